"""What an operator gets (issue 6): `make install` into a DESTDIR is complete and
`make uninstall` takes it back; the shipped unit passes systemd-analyze; the manual pages
render without a warning and document every option, command and configuration key."""

import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import unittest

import kaptest

REPO = kaptest.REPO
MAN = {"kapd.8": "man8", "kapctl.1": "man1", "kapd.conf.5": "man5", "kapd-plan.5": "man5"}


def make(*args, timeout=300):
    """make -o all ARGS with the binaries of KAPD_BUILD (never rebuilt here, so a
    sanitizer build is installed as it is)."""
    argv = ["make", "--no-print-directory", "-s", "-C", REPO, "-o", "all",
            "B=" + kaptest.BUILD] + list(args)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8",
                                                                             "replace")


def documents_option(text, opt):
    """True when a .B/.BR/.BI line of the page names opt (as a whole word)."""
    return re.search(r"^\.(?:B|BR|BI)\b.*(?<![\w-])%s(?![\w-])" % re.escape(opt), text,
                     re.M) is not None


def roff_text(name):
    """A page's source with the escapes that hide plain text undone: \\- to -, font
    changes dropped, \\(dq to a double quote."""
    with open(os.path.join(REPO, "man", name), encoding="utf-8") as f:
        s = f.read()
    s = s.replace("\\-", "-").replace("\\(dq", '"').replace("\\(aq", "'")
    return re.sub(r"\\f[BIRP]", "", s)


def split_top(text):
    """Splits C initializer text at commas outside parentheses, braces and strings."""
    parts, depth, cur, i = [], 0, "", 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j + 1
            continue
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        parts.append(cur.strip())
    return parts


def c_string(arg):
    """The value of a C string literal argument, or None for NULL."""
    arg = arg.strip()
    if arg == "NULL":
        return None
    return arg[1:-1].replace('\\"', '"')


# Where each key-table macro of daemon/conf/config_keys.c keeps its default and range.
DEFAULT_ARG = {"INT": 4, "DUR": 4, "BOOL": 2, "STR": 2, "URL": 2, "ENUM": 2, "LEAD": 2,
               "KEY": 5}
RANGE_ARGS = {"INT": (2, 3)}


def config_keys():
    """(name as documented, default as written in kapd.conf or None, (min, max) or None)
    for every row of the key table in daemon/conf/config_keys.c."""
    with open(os.path.join(REPO, "daemon", "conf", "config_keys.c"), encoding="utf-8") as f:
        src = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    tables = {m.group(1): m.group(2) for m in re.finditer(
        r"static const struct key (\w+)\[\] = \{(.*?)\n\};", src, re.S)}
    keys = []

    def parse(table, prefix):
        for entry in split_top(tables[table]):
            m = re.match(r"(\w+)\((.*)\)$", entry, re.S)
            if entry.startswith("{"):
                name = re.search(r'\.name = "(\w+)"', entry)
                if name is None:
                    continue  # END
                d = re.search(r'\.dflt = ("(?:[^"\\]|\\.)*")', entry)
                keys.append((prefix + name.group(1), c_string(d.group(1)) if d else None, None))
            elif m is not None:
                macro, args = m.group(1), split_top(m.group(2))
                name = c_string(args[0])
                if macro == "GROUP":
                    parse(args[1].strip(), name + ".")
                    continue
                rng = None
                if macro in RANGE_ARGS:
                    lo, hi = RANGE_ARGS[macro]
                    rng = (product(args[lo]), product(args[hi]))
                keys.append((prefix + name, c_string(args[DEFAULT_ARG[macro]]), rng))

    parse("top_keys", "")
    return keys


def product(expr):
    """A C constant like "3650" or "60 * 86400"."""
    v = 1
    for f in expr.split("*"):
        v *= int(f.strip())
    return v


class InstallTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which("make") is None:
            raise unittest.SkipTest("make is not installed")
        for b in (kaptest.KAPD, kaptest.KAPCTL):
            if not os.access(b, os.X_OK):
                raise unittest.SkipTest("%s is not built" % b)

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="kapd-destdir-")
        self.addCleanup(shutil.rmtree, self.root, True)

    def install(self, *args):
        rc, out, err = make("install", "DESTDIR=" + self.root, *args)
        self.assertEqual(rc, 0, "make install failed:\n%s%s" % (out, err))

    def files(self):
        out = set()
        for d, _, names in os.walk(self.root):
            for n in names:
                out.add(os.path.relpath(os.path.join(d, n), self.root))
        return out

    def test_install_puts_every_piece_in_place_and_uninstall_takes_it_back(self):
        self.install("PREFIX=/usr")
        want = {
            "usr/bin/kapctl", "usr/sbin/kapd", "etc/kapd/kapd.conf",
            "usr/lib/systemd/system/kapd.service", "usr/lib/sysusers.d/kapd.conf",
            "usr/lib/tmpfiles.d/kapd.conf", "usr/share/man/man8/kapd.8",
            "usr/share/man/man1/kapctl.1", "usr/share/man/man5/kapd.conf.5",
            "usr/share/man/man5/kapd-plan.5",
            "usr/share/bash-completion/completions/kapctl",
            "usr/share/doc/kapd/examples/kapd.conf",
        }
        if os.path.exists(os.path.join(REPO, "etc", "nginx-kapd.conf")):
            want.add("usr/share/doc/kapd/examples/nginx-kapd.conf")
        got = self.files()
        self.assertEqual(sorted(want - got), [], "missing from the installed tree")
        self.assertEqual(sorted(got - want), [], "installed but not expected (add it here)")
        for prog in ("usr/bin/kapctl", "usr/sbin/kapd"):
            mode = os.stat(os.path.join(self.root, prog)).st_mode
            self.assertEqual(stat.S_IMODE(mode), 0o755, prog)
        rc, out, _ = kaptest.run([os.path.join(self.root, "usr/sbin/kapd"), "--version"])
        self.assertEqual((rc, out.split()[0]), (0, "kapd"))
        with open(os.path.join(self.root, "usr/lib/systemd/system/kapd.service")) as f:
            unit = f.read()
        self.assertIn("\nExecStart=/usr/sbin/kapd -c /etc/kapd/kapd.conf\n", unit)
        self.assertIn("\nLoadCredential=smtp-password:/etc/kapd/smtp-password\n", unit)
        self.assertIn("\nLoadCredential=imap-password:/etc/kapd/imap-password\n", unit)
        # The configuration holds no secret and must be readable by the kapd user.
        mode = os.stat(os.path.join(self.root, "etc/kapd/kapd.conf")).st_mode
        self.assertEqual(stat.S_IMODE(mode), 0o644)

        rc, out, err = make("uninstall", "DESTDIR=" + self.root, "PREFIX=/usr")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(sorted(self.files()), ["etc/kapd/kapd.conf"],
                         "uninstall leaves only the operator's configuration")

    def test_install_honours_prefix_and_keeps_an_existing_configuration(self):
        os.makedirs(os.path.join(self.root, "etc/kapd"))
        mine = os.path.join(self.root, "etc/kapd/kapd.conf")
        with open(mine, "w") as f:
            f.write('timezone = "Europe/Berlin";\n')
        self.install()  # PREFIX=/usr/local
        with open(mine) as f:
            self.assertEqual(f.read(), 'timezone = "Europe/Berlin";\n',
                             "make install overwrote an existing configuration")
        got = self.files()
        for f in ("usr/local/bin/kapctl", "usr/local/sbin/kapd",
                  "usr/local/lib/systemd/system/kapd.service",
                  "usr/local/share/man/man8/kapd.8"):
            self.assertIn(f, got)
        with open(os.path.join(self.root, "usr/local/lib/systemd/system/kapd.service")) as f:
            self.assertIn("\nExecStart=/usr/local/sbin/kapd ", f.read())

    def test_the_unit_passes_systemd_analyze_security_and_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is not installed")
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=20",
                            os.path.join(REPO, "systemd", "kapd.service")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, "exposure above 2.0:\n" + out[-3000:])
        m = re.search(r"Overall exposure level for kapd.service: (\d+\.\d)", out)
        self.assertIsNotNone(m, out[-500:])
        self.assertLessEqual(float(m.group(1)), 2.0)
        self.install("PREFIX=/usr")
        # verify checks that ExecStart= exists: point it into the DESTDIR.
        with open(os.path.join(self.root, "usr/lib/systemd/system/kapd.service")) as f:
            unit = f.read().replace("ExecStart=/usr/sbin/kapd",
                                    "ExecStart=%s/usr/sbin/kapd" % self.root)
        vdir = os.path.join(self.root, "verify")
        os.mkdir(vdir)
        with open(os.path.join(vdir, "kapd.service"), "w") as f:
            f.write(unit)
        env = dict(os.environ, MANPATH=os.path.join(self.root, "usr/share/man"))
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(vdir, "kapd.service")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual((p.returncode, out), (0, ""), "systemd-analyze verify is not clean")

    def test_sysusers_and_tmpfiles_snippets_make_the_user_and_the_directories(self):
        for tool in ("systemd-sysusers", "systemd-tmpfiles"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed" % tool)
        if os.geteuid() != 0:
            self.skipTest("systemd-tmpfiles --root must chown: needs root")
        self.install("PREFIX=/usr")
        for name in ("passwd", "group"):
            open(os.path.join(self.root, "etc", name), "a").close()
        p = subprocess.run(["systemd-sysusers", "--root", self.root,
                            os.path.join(self.root, "usr/lib/sysusers.d/kapd.conf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))
        with open(os.path.join(self.root, "etc/passwd")) as f:
            users = {line.split(":")[0]: line.split(":") for line in f if line.strip()}
        self.assertIn("kapd", users)
        self.assertEqual(users["kapd"][5], "/var/lib/kapd")
        self.assertLess(int(users["kapd"][2]), 1000, "kapd must be a system user")
        with open(os.path.join(self.root, "etc/group"), "a") as f:
            f.write("www-data:x:33:\n")  # Debian's base-passwd has it
        p = subprocess.run(["systemd-tmpfiles", "--root", self.root, "--create",
                            os.path.join(self.root, "usr/lib/tmpfiles.d/kapd.conf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))
        uid = int(users["kapd"][2])
        for path, mode, owner, gid in (("var/lib/kapd", 0o751, uid, uid),
                                       ("var/lib/kapd/feeds", 0o2710, uid, 33),
                                       ("var/lib/kapd/pages", 0o2710, uid, 33),
                                       ("etc/kapd/smtp-password", 0o600, 0, 0),
                                       ("etc/kapd/imap-password", 0o600, 0, 0)):
            st = os.stat(os.path.join(self.root, path))
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid),
                             (oct(mode), owner, gid), path)
        # An existing password survives a second run.
        with open(os.path.join(self.root, "etc/kapd/smtp-password"), "w") as f:
            f.write("s3cret\n")
        subprocess.run(["systemd-tmpfiles", "--root", self.root, "--create",
                        os.path.join(self.root, "usr/lib/tmpfiles.d/kapd.conf")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        with open(os.path.join(self.root, "etc/kapd/smtp-password")) as f:
            self.assertEqual(f.read(), "s3cret\n")


class ManPageTest(unittest.TestCase):

    def test_every_page_renders_without_a_warning(self):
        for page in MAN:
            path = os.path.join(REPO, "man", page)
            if shutil.which("groff"):
                p = subprocess.run(["groff", "-ww", "-man", "-Tutf8", "-z", path],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
                self.assertEqual((p.returncode, p.stderr.decode()), (0, ""),
                                 "groff warnings in %s" % page)
            if shutil.which("man"):
                env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
                p = subprocess.run(["man", "--warnings", "-l", path], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, timeout=60)
                out = p.stdout.decode("utf-8", "replace")
                self.assertEqual((p.returncode, p.stderr.decode()), (0, ""),
                                 "man -l %s is not clean" % page)
                self.assertIn("NAME", out)
                self.assertGreater(len(out.splitlines()), 50, page)
            if not shutil.which("groff") and not shutil.which("man"):
                self.skipTest("neither groff nor man is installed")

    def test_kapd_8_documents_every_option_signal_and_exit_code(self):
        rc, out, _ = kaptest.run([kaptest.KAPD, "--help"])
        self.assertEqual(rc, 0)
        text = roff_text("kapd.8")
        for opt in sorted(set(re.findall(r"--[a-z][a-z-]*", out))):
            self.assertTrue(documents_option(text, opt), "kapd(8) does not document %s" % opt)
        for sig in ("SIGHUP", "SIGUSR1", "SIGTERM", "SIGINT"):
            self.assertIn(sig, text, "kapd(8) does not document %s" % sig)
        for token in ("READY=1", "STATUS=", "WATCHDOG=1", "RELOADING=1", "MONOTONIC_USEC=",
                      "STOPPING=1", "NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM",
                      "CREDENTIALS_DIRECTORY"):
            self.assertIn(token, text, "kapd(8) does not mention %s" % token)
        with open(os.path.join(REPO, "daemon", "kapd", "kapd.c"), encoding="utf-8") as f:
            codes = set(re.findall(r"\b(EX_[A-Z]+)\b", f.read())) - {"EX_OK"}
        numbers = {"EX_USAGE": 64, "EX_DATAERR": 65, "EX_NOINPUT": 66, "EX_UNAVAILABLE": 69,
                   "EX_SOFTWARE": 70, "EX_CANTCREAT": 73, "EX_IOERR": 74, "EX_TEMPFAIL": 75,
                   "EX_NOPERM": 77, "EX_CONFIG": 78}
        exit_section = text.split(".SH EXIT STATUS", 1)[1].split(".SH", 1)[0]
        for c in sorted(codes):
            self.assertIn(".B %d\n" % numbers[c], exit_section,
                          "kapd(8) does not document exit code %s (%d)" % (c, numbers[c]))

    def test_kapctl_1_documents_every_command_and_option(self):
        rc, out, _ = kaptest.run([kaptest.KAPCTL, "--help"])
        self.assertEqual(rc, 0)
        text = roff_text("kapctl.1")
        commands = re.findall(r"^  ([a-z]+)\b", out.split("Commands:", 1)[1].split(
            "Options:", 1)[0], re.M)
        self.assertIn("status", commands)
        for opt in sorted(set(re.findall(r"--[a-z][a-z-]*", out.split("Options:", 1)[1]))):
            self.assertTrue(documents_option(text, opt), "kapctl(1) does not document the "
                            "global option %s" % opt)
        for cmd in commands:
            self.assertTrue(re.search(r"\n\.TP\n\.(B|BR) %s\b" % cmd, text),
                            "kapctl(1) does not document the command %s" % cmd)
            rc, usage, _ = kaptest.run([kaptest.KAPCTL, "-c", os.devnull, cmd, "--help"])
            self.assertEqual(rc, 0, "kapctl %s --help" % cmd)
            block = re.search(r"\n\.TP\n\.(?:B|BR) %s\b.*?(?=\n\.TP\n\.(?:B|BR) [a-z]|\n\.SS|"
                              r"\n\.SH)" % cmd, text, re.S).group(0)
            for opt in sorted(set(re.findall(r"--[a-z][a-z-]*", usage)) - {"--help"}):
                self.assertIn(opt, block, "kapctl(1) does not document %s %s" % (cmd, opt))
        for code in (0, 64, 65, 66, 69, 70, 73, 74, 75, 77, 78):
            self.assertIn(".B %d\n" % code, text, "kapctl(1) does not document exit code %d"
                          % code)

    def test_kapd_conf_5_and_the_example_document_every_key_with_its_default(self):
        keys = config_keys()
        self.assertGreater(len(keys), 30, "the key table of daemon/conf/config_keys.c was not parsed")
        text = roff_text("kapd.conf.5")
        with open(os.path.join(REPO, "etc", "kapd.conf"), encoding="utf-8") as f:
            example = f.read()
        for name, dflt, rng in keys:
            m = re.search(r"\n\.TP\n\.B %s\n(.*?)(?=\n\.TP\n\.B [a-z_]+\.?[a-z_]*\n|\n\.SH)"
                          % re.escape(name), text, re.S)
            self.assertIsNotNone(m, "kapd.conf(5) does not document %s" % name)
            para = m.group(1)
            if dflt is None:
                self.assertIn("No default", para, "%s: no default, and the page must say so"
                              % name)
            else:
                self.assertIn(dflt, para, "kapd.conf(5): %s does not give its default %s"
                              % (name, dflt))
            if rng is not None:
                self.assertIn("%d..%d" % rng, para, "kapd.conf(5): %s does not give its "
                              "range" % name)
            leaf = name.split(".")[-1]
            self.assertTrue(re.search(r"\n\s*#?%s = " % leaf, example),
                            "etc/kapd.conf does not show %s" % name)


# bash-completion's helpers, reduced to what completions/kapctl uses, so the test does not
# need the bash-completion package.
COMPLETION_STUBS = r"""
_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; cur=${words[cword]};
                     prev=${words[cword-1]}; }
_filedir() { COMPREPLY=(FILES); }
complete_line() {
    read -r -a COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kapctl
    echo "${COMPREPLY[*]}"
}
"""


class CompletionTest(kaptest.KapTestCase):

    def complete(self, *lines):
        script = COMPLETION_STUBS + "source %s\n" % os.path.join(REPO, "completions", "kapctl")
        script += "".join("complete_line %s\n" % shlex.quote(line) for line in lines)
        env = dict(kaptest.child_env(), PATH=kaptest.BUILD + os.pathsep + os.environ["PATH"])
        p = subprocess.run(["bash", "-c", script], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=60)
        self.assertEqual(p.stderr.decode(), "")
        return [set(line.split()) for line in p.stdout.decode().split("\n")[:len(lines)]]

    def test_bash_completion_offers_commands_options_and_keys(self):
        self.init_db()
        doc = kaptest.sample_doc()
        self.import_file(self.write_doc("sample.json", doc))
        plans = {p["key"] for a in doc["accounts"] for p in a["plans"]}
        people = {p["key"] for p in doc["people"]}
        g = "kapctl -c %s --db %s " % (self.conf, self.db)
        got = self.complete("kapctl st", "kapctl ", "kapctl status --", "kapctl list ",
                            g + "show plan ", g + "due --person ", "kapctl import ",
                            g + "feeds rotate person ", "kapctl queue ")
        self.assertEqual(got[0], {"status"})
        self.assertTrue({"init", "import", "status", "log", "due"} <= got[1], got[1])
        self.assertEqual(got[2], {"--help", "--json"})
        self.assertEqual(got[3], {"accounts", "plans", "people"})
        self.assertEqual(got[4], plans)
        self.assertEqual(got[5], people)
        self.assertEqual(got[6], {"FILES"})
        self.assertEqual(got[7], people)
        self.assertEqual(got[8], {"retry"})


if __name__ == "__main__":
    unittest.main()
