"""Replies (SPEC §8): reply keys in what kapd sends, and a team member's answer changing
the plan.  File transport for kapd's mails, a maildir (and, in test_replies_imap.py, a
real Dovecot) for the replies; real SQLite files."""

import email
import os
import re
import unittest
from email import policy

import kaptest
from test_ledger import LedgerTestCase, TUESDAY_0900

ADDRESS = "kap+{key}@supplier.example"


class ReplyTestCase(LedgerTestCase):

    def setUp(self):
        super().setUp()
        self.maildir = self.path("replies")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub))
        self.write_conf('replies = { source = "maildir"; maildir = "%s"; address = "%s"; };\n'
                        % (self.maildir, ADDRESS))

    def keyed_mails(self):
        """(mail, key) of every mail in the outbox, the key read from Reply-To."""
        out = []
        for m in self.mails():
            rt = m["Reply-To"].addresses[0].addr_spec
            k = re.fullmatch(r"kap\+([0-9a-f]{32})@supplier\.example", rt)
            self.assertIsNotNone(k, "Reply-To %r does not carry a reply key" % rt)
            out.append((m, k.group(1)))
        return out


class ReplyKeyTest(ReplyTestCase):

    def test_every_mail_carries_its_own_key_in_reply_to_message_id_and_references(self):
        self.check(TUESDAY_0900)
        keyed = self.keyed_mails()
        self.assertGreater(len(keyed), 1)
        keys = [k for _, k in keyed]
        self.assertEqual(len(keys), len(set(keys)), "two mails share a reply key")
        for m, k in keyed:
            self.assertIn(k, m["Message-ID"])
            self.assertIn(k, m["References"])
        rows = self.ledger("SELECT k.key, d.email FROM reply_key k JOIN delivery d "
                           "ON d.id = k.delivery_id")
        self.assertEqual(sorted(keys), sorted(r[0] for r in rows))
        sent_to = {k: m["To"].addresses[0].addr_spec for m, k in keyed}
        self.assertEqual(sent_to, {r[0]: r[1] for r in rows})

    def test_without_replies_reply_to_stays_the_kam_and_no_key_is_made(self):
        self.write_conf()
        self.check(TUESDAY_0900)
        for m in self.mails():
            self.assertNotIn("kap+", str(m["Reply-To"] or ""))
            self.assertIsNone(m["References"])
        self.assertEqual(self.ledger("SELECT count(*) FROM reply_key")[0][0], 0)

    def test_keys_never_reach_the_log_or_the_feeds(self):
        err = self.check(TUESDAY_0900)
        keys = [k for _, k in self.keyed_mails()]
        feeds = self.path("feeds")
        texts = [err]
        for root, _, files in os.walk(self.tmp):
            for name in files:
                if name.endswith(".ics"):
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        texts.append(f.read())
        for k in keys:
            for t in texts:
                self.assertNotIn(k, t)


if __name__ == "__main__":
    unittest.main()
