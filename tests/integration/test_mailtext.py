"""What people read in the mails kapd writes (issue 11): subjects are headlines within 78
characters, never sentences; an item appears once among a mail's entries; a sponsor is
never addressed as the key account manager; the status report names the deadlines moved
and owners changed since the last report.  The sample plan, one real check, file
transport."""

import email
import os
import re
import sqlite3
import unittest
from email import policy

import kaptest

# 2026-12-01 is a Tuesday: the sample has items overdue by up to four weeks (escalated to
# the KAM, and to the sponsor), due and coming up, and the KAM's status report is due.
TUESDAY_0900 = "2026-12-01T09:00:00+01:00"
ENTRY = re.compile(r"^  \* .*\[([A-Za-z0-9._-]+)\]$")


class MailTextTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.outbox = self.path("outbox")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n' % (self.db, self.outbox))
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))

    def check(self, now):
        argv = [kaptest.KAPD, "-c", self.conf, "--once", "--now", now]
        rc, _, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, "kapd --once: exit %d\n%s" % (rc, err[-3000:]))

    def mails(self):
        out = []
        for name in sorted(os.listdir(self.outbox)):
            with open(os.path.join(self.outbox, name), "rb") as f:
                out.append(email.message_from_binary_file(f, policy=policy.default))
        self.assertTrue(out, "expected the check to write mails")
        return out

    @staticmethod
    def text(m):
        return m.get_body(("plain",)).get_content().replace("\r\n", "\n")

    def test_subjects_are_headlines_within_78_characters(self):
        self.check(TUESDAY_0900)
        for m in self.mails():
            subject = str(m["Subject"])
            with self.subTest(to=str(m["To"]), subject=subject):
                self.assertLessEqual(len(subject), 78, "subject too long")
                self.assertNotRegex(subject, r"\.(\s|:|$)", "a sentence in the subject")
                self.assertNotRegex(subject, r"Reminder|Erinnerung|please|bitte",
                                    "a reason sentence in the subject")
                self.assertRegex(subject, r"\d", "a subject without a count")

    def test_an_item_appears_once_among_the_entries_of_a_mail(self):
        self.check(TUESDAY_0900)
        merged = 0
        for m in self.mails():
            keys = [ENTRY.match(ln).group(1) for ln in self.text(m).splitlines()
                    if ENTRY.match(ln)]
            headers = [str(h).split(";")[0] for h in m.get_all("X-KAP-Item", [])]
            plans = {str(p) for p in m.get_all("X-KAP-Plan", [])}
            with self.subTest(to=str(m["To"])):
                self.assertEqual(len(keys), len(set(keys)), "an item twice: %s" % keys)
                self.assertEqual(set(keys), set(headers) - plans,
                                 "every item notified has one entry")
            merged += len(headers) - len(set(headers))
        self.assertGreater(merged, 0, "expected the sample to merge notifications of an item")

    def test_the_sponsor_is_informed_never_addressed_as_kam(self):
        self.check(TUESDAY_0900)
        sponsor = [m for m in self.mails()
                   if m["To"].addresses[0].addr_spec.startswith("thomas.brandt")]
        self.assertEqual(len(sponsor), 1, "expected one mail to the sponsor")
        text = self.text(sponsor[0])
        self.assertIn("an Sie als Sponsor eskaliert", text)
        self.assertIn("Bitte unterstützen Sie den Key Account Manager", text)
        self.assertNotIn("als Key Account Manager eskaliert", text)
        self.assertNotIn("Bitte klären Sie", text)

    def test_the_status_report_names_moved_deadlines_and_new_owners(self):
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-12-10")
        self.ok("edit", "activity", "kessler-2026-a03", "--owner", "p-huber")
        # The history records the wall clock; the report looks at the week before --now.
        con = sqlite3.connect(self.db)
        with con:
            n = con.execute("UPDATE item_change SET changed_at = '2026-11-30T10:00:00Z'"
                            " WHERE field IN ('due', 'owner')").rowcount
        con.close()
        self.assertEqual(n, 2, "expected the history to record both changes")
        self.check(TUESDAY_0900)
        kam = [m for m in self.mails()
               if m["To"].addresses[0].addr_spec.startswith("anna.weber")]
        self.assertEqual(len(kam), 1)
        text = self.text(kam[0])
        self.assertIn("Statusbericht KW 49/2026", text)
        self.assertRegex(text, r"Geändert seit \d\d\.\d\d\.2026")
        self.assertRegex(text, r"\[kessler-2026-a02\]\n +Änderung: Termin 13\.11\.2026 → "
                         r"10\.12\.2026, \+27 Tage, 1-mal verschoben")
        self.assertRegex(text, r"\[kessler-2026-a03\]\n +Änderung: Verantwortlich "
                         r"Katrin Schäfer → Jürgen Huber")
        self.assertNotIn("\n\n\n", text, "stray blank lines")
        self.assertNotIn("0 von 0", text)


if __name__ == "__main__":
    unittest.main()
