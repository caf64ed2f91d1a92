"""Replies over IMAP (SPEC §8): kapd's mails go through the aiosmtpd sink (smtpd.py),
team members' replies are appended to a real Dovecot's INBOX with imaplib, kapd reads
them with libcurl over TLS and sends its answers back through the sink.  Also: the
IMAP server down, a wrong password, a server without MOVE, STARTTLS."""

import email
import os
import re
import socket
import time
import unittest
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import imapd
import kaptest
from test_smtp import SmtpTestCase, TUESDAY_0900, free_port, make_certs

ADDRESS = "kap+{key}@supplier.example"
TUESDAY_0930 = "2026-12-01T09:30:00+01:00"


class ImapReplyTest(SmtpTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        why = imapd.unavailable()
        if why:
            raise unittest.SkipTest(why)

    def setUp(self):
        super().setUp()
        self.srv = self.server()
        self.imap_pw = self.path("imap-password")
        fd = os.open(self.imap_pw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(imapd.PASSWORD + "\n")

    def start(self, without_move=False):
        self.dove = imapd.Dovecot(self, without_move=without_move)
        self.conf_imap()

    def conf_imap(self, url=None, password_file=None, timeout="5s", extra=""):
        url = url or "imaps://127.0.0.1:%d/INBOX" % self.dove.sport
        self.write_conf(self.srv.port, extra="", timeout="10s")
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write('replies = { source = "imap"; url = "%s"; user = "%s";\n'
                    '  password_file = "%s"; ca_file = "%s"; address = "%s";\n'
                    '  timeout = "%s"; %s };\n'
                    % (url, imapd.USER, password_file or self.imap_pw,
                       os.path.join(make_certs(), "ca.pem"), ADDRESS, timeout, extra))

    def sent(self):
        """[(recipient, message)] of what the sink received."""
        out = []
        for env, raw in self.srv.messages():
            out.append((env["rcpt"][0] if isinstance(env.get("rcpt"), list) else
                        env.get("rcpt"), email.message_from_bytes(raw, policy=policy.default)))
        return out

    def first_mail(self):
        for _, m in self.sent():
            items = m.get_all("X-KAP-Item", [])
            keys = [str(h).split(";")[0].strip() for h in items
                    if re.search(r"rule=(overdue|upcoming|due)\b", str(h))]
            rt = re.fullmatch(r"kap\+([0-9a-f]{32})@supplier\.example",
                              m["Reply-To"].addresses[0].addr_spec)
            if keys and rt:
                return m, rt.group(1), keys
        self.fail("no keyed mail with an item reached the sink")

    def reply(self, m, key, body, sender=None, headers=()):
        msg = EmailMessage()
        msg["From"] = sender or m["To"].addresses[0].addr_spec
        msg["To"] = ADDRESS.replace("{key}", key)
        msg["Subject"] = "Re: " + str(m["Subject"])
        msg["Message-ID"] = make_msgid(domain="client.example")
        msg["In-Reply-To"] = m["Message-ID"]
        for name, value in headers:
            msg[name] = value
        msg.set_content(body)
        self.dove.append(msg.as_bytes())
        return msg

    def state(self, key):
        for table in ("activity", "milestone"):
            rows = kaptest.query(self.db, "SELECT state, due FROM %s WHERE key = ?" % table,
                                 (key,))
            if rows:
                return tuple(rows[0])
        self.fail("no item %s" % key)

    def answers(self):
        return [m for _, m in self.sent() if m["Auto-Submitted"] == "auto-replied"]

    def test_round_trip_erledigt_marks_done_and_the_answer_arrives(self):
        self.start()
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        self.reply(m, k, "erledigt %s\n\nAm 01.12.2026 schrieb kapd:\n> x\n" % keys[0])
        err, _ = self.check(TUESDAY_0930)
        self.assertEqual(self.state(keys[0])[0], "done", err)
        (ans,) = self.answers()
        self.assertEqual(ans["To"].addresses[0].addr_spec, m["To"].addresses[0].addr_spec)
        self.assertIn(keys[0], ans.get_content())
        self.assertEqual(self.dove.count("INBOX"), 0, err)
        self.assertEqual(self.dove.count("kapd/processed"), 1)
        self.assertNotIn(k, err)
        self.assertNotIn(imapd.PASSWORD, err)
        # The same message again (a second copy in the inbox): nothing more.
        before = kaptest.query(self.db, "SELECT count(*) FROM item_change")[0][0]
        self.check("2026-12-01T09:45:00+01:00")
        self.assertEqual(kaptest.query(self.db, "SELECT count(*) FROM item_change")[0][0],
                         before)

    def test_forged_and_automatic_replies_change_nothing_and_get_no_answer(self):
        self.start()
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        self.reply(m, k, "done %s\n" % keys[0], sender="mallory@evil.example")
        self.reply(m, k, "done %s\n" % keys[0], headers=[("Auto-Submitted", "auto-replied")])
        self.check(TUESDAY_0930)
        self.assertEqual(self.state(keys[0])[0], "open")
        self.assertEqual(self.answers(), [])
        self.assertEqual(self.dove.count("kapd/processed"), 2)

    def test_a_mailbox_without_move_copies_flags_and_expunges(self):
        self.start(without_move=True)
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        self.reply(m, k, "date %s 2027-01-20\n" % keys[0])
        self.check(TUESDAY_0930)
        self.assertEqual(self.state(keys[0])[1], "2027-01-20")
        self.assertEqual(self.dove.count("INBOX"), 0)
        self.assertEqual(self.dove.count("kapd/processed"), 1)

    def test_starttls_on_imap_works(self):
        self.start()
        self.conf_imap(url="imap://127.0.0.1:%d/INBOX" % self.dove.port)
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        self.reply(m, k, "done %s\n" % keys[0])
        self.check(TUESDAY_0930)
        self.assertEqual(self.state(keys[0])[0], "done")

    def test_a_thousand_messages_in_the_inbox(self):
        self.start()
        self.conf_imap(extra="answers_per_hour = 0;")
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        with self.dove.client() as c:
            for i in range(1000):
                c.append("INBOX", None, None,
                         ("From: %s\r\nTo: %s\r\nMessage-ID: <n%d@client.example>\r\n"
                          "Subject: n\r\n\r\nnothing %d\r\n" %
                          (m["To"].addresses[0].addr_spec, ADDRESS.replace("{key}", k), i, i)
                          ).encode())
        err, took = self.check(TUESDAY_0930)
        self.assertEqual(kaptest.query(self.db, "SELECT count(*) FROM reply")[0][0], 1000, err)
        self.assertEqual(self.dove.count("INBOX"), 0)

    def test_imap_down_costs_one_timeout_and_the_mails_still_go(self):
        port = free_port()
        self.dove = None
        self.conf_imap(url="imaps://127.0.0.1:%d/INBOX" % port, timeout="2s")
        err, took = self.check(TUESDAY_0900)
        self.assertIn("replies:", err)
        self.assertGreater(len(self.sent()), 0, "the deadline mails did not go out")
        self.assertLess(took, 30)

    def test_a_silent_imap_server_costs_one_timeout(self):
        # Accepts the connection (the kernel's backlog) and never says a word.
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(lst.close)
        lst.bind(("127.0.0.1", 0))
        lst.listen(8)
        self.dove = None
        self.conf_imap(url="imaps://127.0.0.1:%d/INBOX" % lst.getsockname()[1],
                       timeout="2s")
        err, took = self.check(TUESDAY_0900)
        self.assertIn("replies:", err)
        self.assertGreater(len(self.sent()), 0, "the deadline mails did not go out")
        self.assertGreaterEqual(took, 2)
        self.assertLess(took, 20, "more than one timeout for a silent server")

    def test_a_wrong_password_is_logged_and_nothing_is_read(self):
        self.start()
        bad = self.path("bad-imap-password")
        fd = os.open(bad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("wrong-%s\n" % os.urandom(4).hex())
        self.conf_imap(password_file=bad)
        self.check(TUESDAY_0900)
        m, k, keys = self.first_mail()
        self.reply(m, k, "done %s\n" % keys[0])
        err, _ = self.check(TUESDAY_0930)
        self.assertIn("replies:", err)
        self.assertEqual(self.state(keys[0])[0], "open")
        self.assertEqual(self.dove.count("INBOX"), 1)


if __name__ == "__main__":
    unittest.main()
