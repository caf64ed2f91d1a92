"""The language of the human texts that are not mail, feed or report (issue 9): kapctl
speaks the language of the user's locale environment (LC_ALL, then LC_MESSAGES, then
LANG, as POSIX orders them) through the embedded catalogs, and keeps JSON and other
machine-readable output as it is; kapd's log lines and STATUS= follow kapd.conf's
log_language, English by default whatever the environment."""

import json
import re
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


if __name__ == "__main__":
    unittest.main()
