"""Command line hygiene (usage, versions, exit codes) and configuration checking."""

import json
import os
import re
import unittest

import kaptest

COMMANDS = ["init", "migrate", "import", "export", "list", "show", "due", "add", "edit",
            "done", "cancel", "reopen", "reviewed"]


def version():
    with open(os.path.join(kaptest.REPO, "VERSION")) as f:
        return f.read().strip()


class KapctlCliTest(kaptest.KapTestCase):

    def bare(self, *args):
        """kapctl without -c/--db."""
        argv = [kaptest.KAPCTL] + list(args)
        rc, out, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        return rc, out, err

    def test_help_prints_usage(self):
        for opt in ("--help", "-h"):
            with self.subTest(opt=opt):
                rc, out, err = self.bare(opt)
                self.assertEqual(rc, 0, "expected `kapctl %s` to exit 0, got %d: %s"
                                 % (opt, rc, err))
                self.assertIn("usage", out.lower(), "expected usage on stdout")
                for cmd in COMMANDS:
                    self.assertRegex(out, r"(?m)^\s+%s\b" % cmd,
                                     "expected command %s in `kapctl --help`" % cmd)

    def test_help_describes_every_command_in_one_line(self):
        rc, out, _ = self.bare("--help")
        block = out.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
        rows = [ln for ln in block.splitlines()]
        self.assertGreaterEqual(len(rows), len(COMMANDS), block)
        for ln in rows:
            with self.subTest(line=ln):
                m = re.match(r"^  ([a-z][a-z-]*) +(\S.*)$", ln)
                self.assertIsNotNone(m, "expected '  COMMAND  description', got %r" % ln)
                self.assertLessEqual(len(ln), 80, "expected one short line: %r" % ln)
                self.assertRegex(m.group(2), r"^[A-Z].*\.$", "expected a sentence")
        for cmd in COMMANDS:
            self.assertRegex(block, r"(?m)^  %s +[A-Z]" % cmd,
                             "expected a description of %s" % cmd)

    def test_version(self):
        for opt in ("--version", "-V"):
            with self.subTest(opt=opt):
                rc, out, err = self.bare(opt)
                self.assertEqual(rc, 0, "expected `kapctl %s` to exit 0, got %d" % (opt, rc))
                self.assertIn(version(), out, "expected the version %s in %r"
                              % (version(), out))

    def test_every_command_has_help(self):
        rc, out, _ = self.bare("--help")
        listed = re.findall(r"(?m)^  ([a-z]+)\s", out.split("Options:")[0])
        for cmd in sorted(set(COMMANDS) | set(listed)):
            with self.subTest(cmd=cmd):
                rc, out, err = self.bare(cmd, "--help")
                self.assertEqual(rc, 0, "expected `kapctl %s --help` to exit 0, got %d: %s"
                                 % (cmd, rc, err))
                self.assertIn("usage", out.lower(), "expected usage from `kapctl %s --help`"
                              % cmd)
                self.assertIn(cmd, out, "expected the command name in its help")

    def test_help_needs_no_database(self):
        rc, out, err = self.kapctl("list", "--help", db=self.path("nowhere/x.db"))
        self.assertEqual(rc, 0, "expected --help to work without a database: %s" % err)
        self.assertFalse(os.path.exists(self.path("nowhere")))

    def test_usage_errors_exit_64(self):
        self.init_db()
        for args in (["frobnicate"], ["--bogus-option", "list", "plans"], ["list"],
                     ["list", "frobs"], ["list", "plans", "extra"], ["show"],
                     ["show", "account", "x"], ["export", "a", "b"], ["import"],
                     ["add", "gadget", "--plan", "p", "--title", "t", "--due", "2026-12-01"],
                     ["done"], ["due", "--days"], ["edit", "activity"]):
            with self.subTest(args=args):
                out, err = self.expect_rc(kaptest.EX_USAGE, *args)
                self.assertTrue(err.strip(), "expected a message on stderr for %r" % args)
        rc, out, err = self.bare()
        self.assertEqual(rc, kaptest.EX_USAGE, "expected bare `kapctl` to exit 64, got %d"
                         % rc)
        for bad in ("yesterday", "2026-12-01", "2026-12-01T08:00:00"):
            with self.subTest(now=bad):
                self.expect_rc(kaptest.EX_USAGE, "due", now=bad)

    def test_unknown_plan_exits_65(self):
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))
        _, err = self.expect_rc(kaptest.EX_DATAERR, "show", "plan", "nope")
        self.assertIn("nope", err, "expected the unknown key in the message")
        self.expect_rc(kaptest.EX_DATAERR, "export", "nope")
        self.expect_rc(kaptest.EX_DATAERR, "reviewed", "nope")

    def test_list_and_show(self):
        doc = kaptest.sample_doc()
        self.init_db()
        self.import_file(self.write_doc("sample.json", doc))
        for what, keys in (("people", [p["key"] for p in doc["people"]]),
                           ("accounts", [a["key"] for a in doc["accounts"]]),
                           ("plans", [p["key"] for a in doc["accounts"] for p in a["plans"]])):
            with self.subTest(list=what):
                text = self.ok("list", what)
                for k in keys:
                    self.assertIn(k, text, "expected %s in `list %s`" % (k, what))
                rows = json.loads(self.ok("list", "--json", what))
                self.assertEqual(sorted(r["key"] for r in rows), sorted(keys),
                                 "expected `list --json %s` to list every key" % what)
        plan = doc["accounts"][0]["plans"][0]
        text = self.ok("show", "plan", plan["key"])
        self.assertIn(plan["title"], text, "expected the plan title in `show plan`")
        for it in plan["milestones"][:3] + plan["activities"][:3]:
            self.assertIn(it["key"], text, "expected %s in `show plan`" % it["key"])
        shown = json.loads(self.ok("show", "--json", "plan", plan["key"]))
        self.assertEqual(kaptest.normalise(shown), kaptest.normalise(
            json.loads(self.export_text(plan["key"]))),
            "expected `show --json plan` to print the plan's document")

    def test_database_from_configuration(self):
        db = self.path("from-config.db")
        conf = self.path("kapd.conf")
        with open(conf, "w") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n' % db)
        argv = [kaptest.KAPCTL, "-c", conf, "init"]
        rc, out, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, "expected `kapctl -c CONF init` to exit 0: %s" % err)
        self.assertTrue(os.path.exists(db), "expected init to create the configured database")

    def test_broken_configuration_exits_78(self):
        conf = self.path("broken.conf")
        with open(conf, "w") as f:
            f.write('# broken\ndatabase = "%s";\nfrobnicate = 1;\n' % self.db)
        argv = [kaptest.KAPCTL, "-c", conf, "list", "plans"]
        rc, out, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, kaptest.EX_CONFIG, "expected kapctl with a broken config to "
                         "exit 78, got %d: %s" % (rc, err))
        self.assertIn("%s:3:" % conf, err, "expected '<file>:3:' in %r" % err)


class KapdConfigTest(kaptest.KapTestCase):

    def kapd(self, *args):
        argv = [kaptest.KAPD] + list(args)
        rc, out, err = kaptest.run(argv, timeout=60)
        self.assert_no_sanitizer(argv, err)
        return rc, out, err

    def test_kapd_help_and_version(self):
        rc, out, err = self.kapd("--help")
        self.assertEqual(rc, 0, "expected `kapd --help` to exit 0: %s" % err)
        self.assertIn("usage", out.lower())
        rc, out, err = self.kapd("--version")
        self.assertEqual(rc, 0, "expected `kapd --version` to exit 0: %s" % err)
        self.assertIn(version(), out)
        rc, out, err = self.kapd("--no-such-option")
        self.assertEqual(rc, kaptest.EX_USAGE, "expected an unknown kapd option to exit 64")

    def test_shipped_example_is_valid(self):
        conf = os.path.join(kaptest.REPO, "etc", "kapd.conf")
        if not os.path.exists(conf):
            self.skipTest("etc/kapd.conf does not exist yet")
        rc, out, err = self.kapd("--check-config", "-c", conf)
        self.assertEqual(rc, 0, "expected etc/kapd.conf to pass --check-config, got %d: %s"
                         % (rc, err + out))
        self.assertIn("configuration OK", out + err)

    def test_shipped_example_with_defaults_uncommented_is_valid(self):
        """Every documented `#key = default;` line, uncommented, must be accepted."""
        src = os.path.join(kaptest.REPO, "etc", "kapd.conf")
        if not os.path.exists(src):
            self.skipTest("etc/kapd.conf does not exist yet")
        seen, lines, group, n = set(), [], None, 0
        with open(src, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^(\w+) = \{", line)
                if m:
                    group = m.group(1)
                if line.startswith("};"):
                    group = None
                m = re.match(r"^(\s*)#(\w+) = (.*;)\s*$", line)
                # Skip files that need not exist here; take the first example of a key.
                if m and (group, m.group(2)) not in seen and m.group(2) not in (
                        "password_file", "ca_file"):
                    seen.add((group, m.group(2)))
                    line = "%s%s = %s\n" % (m.group(1), m.group(2), m.group(3))
                    n += 1
                lines.append(line)
        if n == 0:
            self.skipTest("etc/kapd.conf has no commented defaults")
        conf = self.path("defaults.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("".join(lines))
        rc, out, err = self.kapd("--check-config", "-c", conf)
        self.assertEqual(rc, 0, "expected etc/kapd.conf with its %d documented defaults "
                         "uncommented to be valid, got %d: %s" % (n, rc, err + out))

    def test_broken_config_reports_file_and_lines(self):
        conf = self.path("broken.conf")
        with open(conf, "w") as f:
            f.write('# kapd test configuration\n'
                    'timezone = "Europe/Berlin";\n'
                    'frobnicate = 1;\n'
                    'reminders = {\n'
                    '\tlead_days = [1, 7];\n'
                    '};\n')
        rc, out, err = self.kapd("--check-config", "-c", conf)
        self.assertEqual(rc, kaptest.EX_CONFIG, "expected exit 78 for a broken config, got "
                         "%d: %s" % (rc, err))
        self.assertIn("%s:3:" % conf, err, "expected '<file>:3:' (unknown key) in %r" % err)
        self.assertIn("%s:5:" % conf, err, "expected '<file>:5:' (bad value) in %r" % err)
        self.assertNotIn("configuration OK", out + err)

    def test_config_syntax_error_and_missing_file(self):
        conf = self.path("syntax.conf")
        with open(conf, "w") as f:
            f.write('timezone = "UTC";\ncheck_interval = ;\n')
        rc, out, err = self.kapd("--check-config", "-c", conf)
        self.assertEqual(rc, kaptest.EX_CONFIG, "expected 78 for a syntax error: %s" % err)
        self.assertIn("%s:2:" % conf, err, "expected '<file>:2:' in %r" % err)
        missing = self.path("missing.conf")
        rc, out, err = self.kapd("--check-config", "-c", missing)
        self.assertEqual(rc, kaptest.EX_CONFIG, "expected 78 for a missing config: %s" % err)
        self.assertIn(missing, err, "expected the file name in %r" % err)

    def test_bad_values_are_reported_per_line(self):
        cases = [
            ('check_interval = "10s";', "check_interval below 1m"),
            ('timezone = "Mars/Olympus";', "unknown time zone"),
            ('delivery = { send_time = "25:00"; };', "bad time of day"),
            ('delivery = { send_days = []; };', "no send day"),
            ('delivery = { holidays = ["2026-02-30"]; };', "invalid holiday date"),
            ('feeds = { base_url = "ftp://x/"; };', "base_url not http(s)"),
            ('mail = { transport = "pigeon"; };', "unknown transport"),
        ]
        for i, (line, what) in enumerate(cases):
            with self.subTest(what=what):
                conf = self.path("bad%d.conf" % i)
                with open(conf, "w") as f:
                    f.write("# %s\n%s\n" % (what, line))
                rc, out, err = self.kapd("--check-config", "-c", conf)
                self.assertEqual(rc, kaptest.EX_CONFIG, "expected 78 for %s (%s), got %d"
                                 % (what, line, rc))
                self.assertIn("%s:2:" % conf, err, "expected '<file>:2:' for %s in %r"
                              % (what, err))


if __name__ == "__main__":
    unittest.main()
