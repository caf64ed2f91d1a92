"""The language of the human texts that are not mail, feed or report (issue 9): kapctl
speaks the language of the user's locale environment (LC_ALL, then LC_MESSAGES, then
LANG, as POSIX orders them) through the embedded catalogs, and keeps JSON and other
machine-readable output as it is; kapd's log lines and STATUS= follow kapd.conf's
log_language, English by default whatever the environment."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import kaptest

TUESDAY_0900 = "2026-12-01T09:00:00+01:00"
GERMAN = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": "de_DE.UTF-8"}


class LanguageTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.outbox = self.path("outbox")
        self.write_conf()
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))

    def write_conf(self, extra=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; };\n'
                    'feeds = { directory = "%s"; };\npages = { directory = "%s"; };\n%s'
                    % (self.db, self.outbox, self.path("feeds"), self.path("pages"), extra))

    def run_in(self, env, argv):
        rc, out, err = kaptest.run(argv, env=kaptest.child_env(**env))
        self.assert_no_sanitizer(argv, err)
        return rc, out, err

    def kapctl_in(self, env, *args, want=0):
        argv = [kaptest.KAPCTL, "-c", self.conf, "--db", self.db, "--now", TUESDAY_0900]
        argv += [str(a) for a in args]
        rc, out, err = self.run_in(env, argv)
        self.assertEqual(rc, want, "expected `kapctl %s` (%r) to exit %d, got %d:\n%s"
                         % (" ".join(map(str, args)), env, want, rc, err[-2000:]))
        return out, err

    def kapd_once(self, env=None):
        argv = [kaptest.KAPD, "-c", self.conf, "--once", "--now", TUESDAY_0900]
        rc, out, err = self.run_in(env or {}, argv)
        self.assertEqual(rc, 0, "kapd --once: exit %d\n%s" % (rc, err[-3000:]))
        return err


class KapdLogLanguageTest(LanguageTestCase):

    def test_kapd_logs_in_english_by_default_even_under_a_german_locale(self):
        err = self.kapd_once(GERMAN)
        self.assertRegex(err, r"kapd: check: \d+ active plans?, \d+ open items? in the "
                              r"window", "expected the English check line:\n" + err)
        self.assertNotIn("Prüfung", err, "the environment switched kapd's log:\n" + err)

    def test_kapd_logs_in_german_with_log_language_de(self):
        self.write_conf('log_language = "de";\n')
        rc, out, err = kaptest.run([kaptest.KAPD, "-c", self.conf, "--check-config"])
        self.assertEqual((rc, out.strip()), (0, "configuration OK"), err)
        err = self.kapd_once()
        m = re.search(r"kapd: Prüfung: (\d+) aktiver? (Plan|Pläne), (\d+) offene[r]? "
                      r"Punkte? im Zeitfenster, .* jetzt fällig; \d+ E-Mails? gesendet", err)
        self.assertIsNotNone(m, "expected the German check line:\n" + err)
        # The plural rule is the catalog's: "1 aktiver Plan", "2 aktive Pläne".
        self.assertEqual(m.group(2), "Plan" if m.group(1) == "1" else "Pläne", m.group(0))
        self.assertRegex(err, r"kapd: Feeds: \d+ Feeds?, \d+ Termine? \(\d+ geändert\); "
                              r"\d+ Dateie?n? geschrieben")
        self.assertNotIn("kapd: check:", err)

    def test_a_language_without_a_catalog_logs_english(self):
        self.write_conf('log_language = "tlh";\n')
        self.assertRegex(self.kapd_once(), r"kapd: check: \d+ active plans?")


class KapctlLanguageTest(LanguageTestCase):

    def test_kapctl_speaks_german_under_lang_de(self):
        out, _ = self.kapctl_in(GERMAN, "due")
        head = out.splitlines()[0].split()
        self.assertEqual(head, ["TERMIN", "STATUS", "ART", "PUNKT", "PLAN", "VERANTWORTLICH",
                                "TITEL"], "expected German headings:\n" + out)
        self.assertRegex(out, r"überfällig \d+ T\.\s+(Aktivität|Meilenstein)\s")
        out, _ = self.kapctl_in(GERMAN, "status")
        self.assertRegex(out, r"(?m)^Warteschlange: +\d+ E-Mails? \(\d+ im Versand")
        self.assertIn("Datenbank:", out)
        _, err = self.kapctl_in(GERMAN, "done", "no-such-item", want=kaptest.EX_DATAERR)
        self.assertEqual(err.strip(), 'kapctl done: Meilenstein oder Aktivität mit dem '
                         'Schlüssel "no-such-item" nicht gefunden')

    def test_kapctl_counts_take_the_catalogs_plural_forms(self):
        empty = self.path("empty.db")
        argv = [kaptest.KAPCTL, "-c", self.conf, "--db", empty, "--now", TUESDAY_0900]
        self.assertEqual(self.run_in(GERMAN, argv + ["init"])[0], 0)
        for days, want in (("1", "innerhalb von 1 Tag fällig"),
                           ("3", "innerhalb von 3 Tagen fällig")):
            rc, out, err = self.run_in(GERMAN, argv + ["due", "--days", days])
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.strip(), "nichts überfällig oder " + want)
            rc, out, err = self.run_in({}, argv + ["due", "--days", days])
            self.assertEqual(out.strip(), "nothing overdue or due within %s day%s"
                             % (days, "" if days == "1" else "s"))

    def test_the_help_is_german_under_lang_de(self):
        out, _ = self.kapctl_in(GERMAN, "--help")
        self.assertIn("\nBefehle:\n", out)
        self.assertRegex(out, r"(?m)^  due +Zeigen, was überfällig oder bald fällig ist\.$")
        out, _ = self.kapctl_in(GERMAN, "due", "--help")
        self.assertTrue(out.startswith("Aufruf: kapctl due [--json]"), out)
        out, _ = self.kapctl_in({}, "due", "--help")
        self.assertTrue(out.startswith("usage: kapctl due [--json]"), out)

    def test_lc_all_overrides_lang_and_lc_messages_comes_before_lang(self):
        cases = [
            ({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "DUE"),
            ({"LC_ALL": "POSIX", "LC_MESSAGES": "de_DE.UTF-8"}, "DUE"),
            ({"LC_ALL": "de_AT.UTF-8", "LANG": "en_US.UTF-8"}, "TERMIN"),
            ({"LC_ALL": None, "LC_MESSAGES": "de_DE.UTF-8", "LANG": "C.UTF-8"}, "TERMIN"),
            ({"LC_ALL": None, "LC_MESSAGES": "en_GB.UTF-8", "LANG": "de_DE.UTF-8"}, "DUE"),
            ({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "de_DE@euro"}, "TERMIN"),
            ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": None}, "DUE"),
            ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": "fr_FR.UTF-8"}, "DUE"),
        ]
        for env, want in cases:
            out, _ = self.kapctl_in(env, "due")
            self.assertEqual(out.split()[0], want, "with %r expected the heading %s:\n%s"
                             % (env, want, out[:300]))

    def test_english_by_default(self):
        out = self.ok("due", now=TUESDAY_0900)
        self.assertEqual(out.splitlines()[0].split()[:3], ["DUE", "STATUS", "KIND"])
        self.assertRegex(out, r"overdue \d+ d\s+(activity|milestone)\s")

    def test_machine_readable_output_does_not_depend_on_the_locale(self):
        for args in (["--json", "due"], ["--json", "status"], ["--json", "list", "plans"],
                     ["export", "kessler-2026"], ["export-csv", "kessler-2026"],
                     ["show", "--json", "plan", "kessler-2026"]):
            de, _ = self.kapctl_in(GERMAN, *args)
            en, _ = self.kapctl_in({}, *args)
            self.assertEqual(de, en, "kapctl %s differs under LANG=de_DE.UTF-8"
                             % " ".join(args))
        json.loads(de)


class CatalogTest(unittest.TestCase):
    """po/kapd.pot is what xgettext extracts from the sources today (with the Makefile's
    keywords), and po/de.po translates every one of its messages."""

    def setUp(self):
        for tool in ("xgettext", "msgcmp", "make"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed" % tool)

    def msgids(self, path):
        rc, out, err = kaptest.run(["msgcat", "--no-wrap", "--sort-output", path])
        self.assertEqual(rc, 0, err)
        return {"".join(re.findall(r'"(.*)"', m)) for m in
                re.findall(r'(?m)^msgid ((?:".*"\n)+)', out)} - {""}

    def test_the_template_holds_every_message_of_the_sources(self):
        # Under `make check` the outer make's flags would add "Entering directory" lines.
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        p = subprocess.run(["make", "-s", "-n", "-B", "--no-print-directory", "po/kapd.pot"],
                           cwd=kaptest.REPO, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        cmd = p.stdout.replace("\\\n", " ")
        self.assertIn("-o po/kapd.pot", cmd)
        with tempfile.TemporaryDirectory() as d:
            fresh = os.path.join(d, "kapd.pot")
            p = subprocess.run(cmd.replace("-o po/kapd.pot", "-o " + fresh), shell=True,
                               cwd=kaptest.REPO, stderr=subprocess.PIPE, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            want = self.msgids(fresh)
        have = self.msgids(os.path.join(kaptest.REPO, "po", "kapd.pot"))
        self.assertEqual(sorted(want - have), [], "messages missing from po/kapd.pot "
                         "(run make po/kapd.pot and translate them)")
        self.assertEqual(sorted(have - want), [], "po/kapd.pot has messages no source has")

    def test_german_translates_every_message(self):
        rc, out, err = kaptest.run(["msgcmp", os.path.join(kaptest.REPO, "po", "de.po"),
                                    os.path.join(kaptest.REPO, "po", "kapd.pot")])
        self.assertEqual(rc, 0, "po/de.po lacks translations:\n" + err[-3000:])


if __name__ == "__main__":
    unittest.main()
