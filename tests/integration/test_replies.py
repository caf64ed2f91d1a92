"""Replies (SPEC §8): reply keys in what kapd sends, and a team member's answer changing
the plan.  File transport for kapd's mails, a maildir (and, in test_replies_imap.py, a
real Dovecot) for the replies; real SQLite files."""

import email
import json
import os
import re
import time
import unittest
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import kaptest
from test_ledger import LedgerTestCase, TUESDAY_0900

ADDRESS = "kap+{key}@supplier.example"
TUESDAY_0930 = "2026-12-01T09:30:00+01:00"
ITEM_RULES = ("upcoming", "due", "overdue", "escalation", "sponsor")


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

    @staticmethod
    def items_of(m):
        """[(item key, rule)] of the X-KAP-Item headers of a mail."""
        out = []
        for h in m.get_all("X-KAP-Item", []):
            key, *attrs = [p.strip() for p in str(h).split(";")]
            a = dict(x.split("=", 1) for x in attrs)
            out.append((key, a["rule"]))
        return out

    def pick(self, single=True):
        """A sent mail (and its key) holding one item (single) or several items."""
        for m, k in self.keyed_mails():
            items = self.items_of(m)
            owned = {i for i, r in items if r in ITEM_RULES}
            if owned and all(r in ITEM_RULES for _, r in items) and \
                    (len(owned) == 1) == single:
                return m, k, sorted(owned)
        self.fail("no mail with %s item(s) in the outbox" % ("one" if single else "several"))

    def item_state(self, key):
        for table in ("activity", "milestone"):
            rows = self.ledger("SELECT state, due FROM %s WHERE key = ?" % table, (key,))
            if rows:
                return tuple(rows[0])
        self.fail("no item %s" % key)

    def reply(self, to_mail, key, body, sender=None, subtype="plain", headers=(),
              charset="utf-8", cte=None, raw=None):
        """Writes a reply to to_mail into the maildir's new/, as a mail system would."""
        if raw is None:
            msg = EmailMessage()
            msg["From"] = sender or to_mail["To"].addresses[0].addr_spec
            msg["To"] = ADDRESS.replace("{key}", key)
            msg["Subject"] = "Re: " + str(to_mail["Subject"])
            msg["Message-ID"] = make_msgid(domain="client.example")
            msg["In-Reply-To"] = to_mail["Message-ID"]
            for name, value in headers:
                msg[name] = value
            msg.set_content(body, subtype=subtype, charset=charset, cte=cte)
            raw = msg.as_bytes()
        self.seq = getattr(self, "seq", 0) + 1
        name = "%d.M%dP%d.test" % (int(time.time()), self.seq, os.getpid())
        with open(os.path.join(self.maildir, "tmp", name), "wb") as f:
            f.write(raw)
        os.rename(os.path.join(self.maildir, "tmp", name),
                  os.path.join(self.maildir, "new", name))
        return raw

    def answers(self):
        return [m for m in self.mails() if m["Auto-Submitted"] == "auto-replied"]

    def waiting(self):
        return os.listdir(os.path.join(self.maildir, "new"))


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


class ReplyMaildirTest(ReplyTestCase):
    """A team member answers by mail; the maildir source."""

    def setUp(self):
        super().setUp()
        # Two of Deniz's three items done: his mail holds one item (kessler-2026-a21).
        for item in ("kessler-2026-a14", "kessler-2026-a02"):
            self.ok("done", item)
        self.check(TUESDAY_0900)

    def test_erledigt_marks_the_item_done_and_one_answer_arrives(self):
        m, k, (item,) = self.pick()
        self.assertEqual(self.item_state(item)[0], "open")
        self.reply(m, k, "Erledigt\n\nAm 01.12.2026 um 09:00 schrieb kapd:\n> done X\n")
        err = self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "done", err)
        self.assertEqual(self.waiting(), [])
        self.assertEqual(len(os.listdir(os.path.join(self.maildir, "cur"))), 1)
        self.assertTrue(os.listdir(os.path.join(self.maildir, "cur"))[0].endswith(":2,S"))
        (ans,) = self.answers()
        self.assertEqual(ans["To"].addresses[0].addr_spec, m["To"].addresses[0].addr_spec)
        self.assertIn(item, ans.get_content())
        self.assertTrue(ans["In-Reply-To"])
        rows = self.ledger("SELECT outcome, answer_state, sender FROM reply")
        self.assertEqual([tuple(r) for r in rows],
                         [("applied", "sent", m["To"].addresses[0].addr_spec)])
        self.assertNotIn(k, err, "the reply key reached the log")
        hist = self.ledger("SELECT c.field, c.old_value, c.new_value FROM reply_change c")
        self.assertEqual([tuple(r) for r in hist], [("state", "open", "done")])

    def test_the_kams_status_report_lists_the_changes_made_by_reply(self):
        m, k, items = self.pick(single=False)
        self.reply(m, k, "termin %s 20.01.2027\n" % items[0])
        err = self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(items[0])[1], "2027-01-20", err)
        before = {x["Message-ID"] for x in self.mails()}
        self.check("2026-12-07T09:00:00+01:00")
        reports = [x for x in self.mails() if x["Message-ID"] not in before and any(
            "rule=status-report" in str(h) for h in x.get_all("X-KAP-Item", []))]
        self.assertEqual(len(reports), 1, "no status report on Monday")
        text = reports[0].get_body(("plain",)).get_content()
        self.assertIn(items[0], text)
        self.assertIn(m["To"].addresses[0].addr_spec, text)
        self.assertTrue("2027" in text and ("by reply" in text.lower() or
                                            "per antwort" in text.lower()), text)

    def test_kapctl_replies_lists_sender_key_commands_and_outcome(self):
        m, k, (item,) = self.pick()
        self.reply(m, k, "done %s\n" % item)
        self.reply(m, k, "done\n", sender="mallory@evil.example")
        self.check(TUESDAY_0930)
        rows = json.loads(self.ok("replies", "--json"))
        self.assertEqual([(r["sender"], r["outcome"], r["key"], r["changes"]) for r in rows],
                         [("mallory@evil.example", "refused", k[:8], 0),
                          (m["To"].addresses[0].addr_spec, "applied", k[:8], 1)])
        self.assertEqual(rows[1]["commands"], "done %s" % item)
        self.assertEqual(rows[1]["answer"], "sent")
        text = self.ok("replies")
        self.assertIn("mallory@evil.example", text)
        self.assertNotIn(k, text, "kapctl replies shows the whole reply key")

    def test_a_date_moves_the_deadline_and_the_history_keeps_both_dates(self):
        m, k, items = self.pick(single=False)
        item = items[0]
        old = self.item_state(item)[1]
        self.reply(m, k, "termin %s 15.01.2027\n-- \nJo\n" % item)
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item), ("open", "2027-01-15"))
        hist = self.ledger("SELECT old_value, new_value FROM item_change WHERE field = 'due'")
        self.assertIn((old, "2027-01-15"), [tuple(r) for r in hist])
        (ans,) = self.answers()
        self.assertIn(item, ans.get_content())

    def test_a_replayed_message_changes_nothing_and_gets_no_second_answer(self):
        m, k, items = self.pick(single=False)
        raw = self.reply(m, k, "date %s 2027-02-01\n" % items[0])
        self.check(TUESDAY_0930)
        self.ledger("UPDATE activity SET due = '2027-03-03' WHERE key = ?", (items[0],))
        self.reply(m, k, None, raw=raw)
        err = self.check("2026-12-01T09:45:00+01:00")
        self.assertIn("handled before", err)
        self.assertEqual(len(self.answers()), 1)
        self.assertEqual(self.ledger("SELECT count(*) FROM reply_change")[0][0], 1)

    def test_forged_sender_changes_nothing_and_gets_no_answer(self):
        m, k, (item,) = self.pick()
        self.reply(m, k, "done\n", sender="mallory@evil.example")
        err = self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "open")
        self.assertEqual(self.answers(), [])
        self.assertIn("not the one the mail went to", err)
        self.assertNotIn(k, err)

    def test_unknown_and_expired_keys_change_nothing(self):
        m, k, (item,) = self.pick()
        self.reply(m, "0" * 32, "done\n")
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "open")
        self.reply(m, k, "done\n")
        err = self.check("2027-02-15T09:00:00+01:00")
        self.assertEqual(self.item_state(item)[0], "open")
        self.assertIn("expired", err)
        self.assertEqual(self.answers(), [])
        outcomes = [r[0] for r in self.ledger("SELECT reason FROM reply ORDER BY id")]
        self.assertEqual(outcomes, ["unknown reply key", "the reply key has expired"])

    def test_an_item_not_in_the_mail_is_not_touched_and_the_answer_says_so(self):
        m, k, (item,) = self.pick()
        others = [r[0] for r in self.ledger("SELECT key FROM activity WHERE key <> ? AND "
                                            "state = 'open' LIMIT 1", (item,))]
        self.reply(m, k, "done %s\n" % others[0])
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(others[0])[0], "open")
        (ans,) = self.answers()
        self.assertIn(others[0], ans.get_content())
        self.assertIn("not an item", ans.get_content().replace("\n", " ") + " " +
                      "not an item" if ans["Content-Language"] != "en" else ans.get_content())

    def test_automatic_mail_changes_nothing_and_gets_no_answer(self):
        m, k, (item,) = self.pick()
        self.reply(m, k, "I am out of office until Monday.\ndone\n",
                   headers=[("Auto-Submitted", "auto-replied")])
        self.reply(m, k, "done\n", headers=[("Precedence", "bulk")])
        err = self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "open")
        self.assertEqual(self.answers(), [])
        self.assertEqual(self.ledger("SELECT count(*) FROM reply WHERE outcome = 'automatic'")[0][0], 2)

    def test_a_delivery_status_notification_is_automatic(self):
        m, k, (item,) = self.pick()
        raw = ("From: Mail Delivery System <MAILER-DAEMON@mx.supplier.example>\r\n"
               "To: %s\r\nReturn-Path: <>\r\nSubject: Undelivered Mail\r\n"
               "Message-ID: <dsn1@mx.supplier.example>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
               "\r\n--B\r\nContent-Type: text/plain\r\n\r\ndone\r\n--B\r\n"
               "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n"
               "\r\nFinal-Recipient: rfc822; x@y.example\r\nAction: failed\r\n"
               "Status: 5.1.1\r\n--B--\r\n" % ADDRESS.replace("{key}", k)).encode()
        self.reply(m, k, None, raw=raw)
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "open")
        self.assertEqual(self.answers(), [])

    def test_an_html_only_reply_is_read_as_its_text(self):
        m, k, (item,) = self.pick()
        self.reply(m, k, "<html><head><style>p{}</style></head><body><div dir=\"ltr\">"
                   "<b>done</b>&nbsp;%s<br></div><div class=\"gmail_quote\">On Tue, 1 Dec "
                   "2026 at 09:00 kapd wrote:<blockquote>done ZZZ</blockquote></div>"
                   "</body></html>" % item, subtype="html")
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "done")

    def test_latin1_quoted_printable_is_decoded(self):
        m, k, (item,) = self.pick()
        # A soft line break inside the command and Latin-1 umlauts around it: read right
        # only when the transfer encoding and the charset are decoded.
        raw = ("From: %s\r\nTo: %s\r\nSubject: AW: =?iso-8859-1?q?=DCberf=E4llig?=\r\n"
               "Message-ID: <qp1@client.example>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=iso-8859-1\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
               "Gr=FC=DFe,\r\nter=\r\nmin 31.01.2027\r\nJ=F6rg\r\n" %
               (m["To"].addresses[0].addr_spec, ADDRESS.replace("{key}", k))).encode()
        self.reply(m, k, None, raw=raw)
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item), ("open", "2027-01-31"))

    def test_a_5_mib_message_is_set_aside_with_a_log_line(self):
        m, k, (item,) = self.pick()
        msg = EmailMessage()
        msg["From"] = m["To"].addresses[0].addr_spec
        msg["To"] = ADDRESS.replace("{key}", k)
        msg["Subject"] = "Re: big"
        msg.set_content("done\n")
        msg.add_attachment(os.urandom(5 * 1024 * 1024), maintype="application",
                           subtype="octet-stream", filename="big.bin")
        self.reply(m, k, None, raw=msg.as_bytes())
        err = self.check(TUESDAY_0930)
        self.assertIn("larger than 1 MiB", err)
        self.assertEqual(self.item_state(item)[0], "open")
        self.assertEqual(self.waiting(), [])

    def test_a_malformed_mime_tree_does_not_stop_the_next_reply(self):
        m, k, (item,) = self.pick()
        raw = ("From: %s\r\nTo: %s\r\nMessage-ID: <bad@client.example>\r\n"
               "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n"
               "Content-Type: multipart/alternative; boundary=\"x\"\r\n\r\n--x\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n@@@@\r\n" %
               (m["To"].addresses[0].addr_spec, ADDRESS.replace("{key}", k))).encode()
        self.reply(m, k, None, raw=raw)
        self.reply(m, k, "done\n")
        self.check(TUESDAY_0930)
        self.assertEqual(self.item_state(item)[0], "done")
        self.assertEqual(self.waiting(), [])

    def test_answers_are_rate_limited_per_sender(self):
        self.write_conf('replies = { source = "maildir"; maildir = "%s"; address = "%s"; '
                        'answers_per_hour = 2; };\n' % (self.maildir, ADDRESS))
        m, k, _ = self.pick()
        for i in range(4):
            self.reply(m, k, "hello %d\n" % i)
        self.check(TUESDAY_0930)
        self.assertEqual(len(self.answers()), 2)
        self.assertEqual(self.ledger("SELECT count(*) FROM reply WHERE answer_state = "
                                     "'limited'")[0][0], 2)

    def test_reviewed_is_for_the_kam_only(self):
        m, k, (item,) = self.pick()
        plan = self.ledger("SELECT p.key, p.next_review FROM plan p JOIN activity a "
                           "ON a.plan_id = p.id WHERE a.key = ? UNION SELECT p.key, "
                           "p.next_review FROM plan p JOIN milestone x ON x.plan_id = p.id "
                           "WHERE x.key = ?", (item, item))[0]
        self.reply(m, k, "aktualisiert\n")
        self.check(TUESDAY_0930)
        self.assertEqual(self.ledger("SELECT next_review FROM plan WHERE key = ?",
                                     (plan[0],))[0][0], plan[1])
        self.assertEqual(len(self.answers()), 1)

    def test_reviewed_by_the_kam_records_the_annual_update(self):
        for m, k in self.keyed_mails():
            if any(r == "review-upcoming" for _, r in self.items_of(m)):
                break
        else:
            self.fail("no mail with the annual update in the outbox")
        self.reply(m, k, "Reviewed.\n")
        self.check(TUESDAY_0930)
        self.assertEqual(self.ledger("SELECT last_review, next_review FROM plan")[0],
                         ("2026-12-01", "2027-12-01"))

    def test_a_thousand_waiting_replies_are_handled_within_the_bounds(self):
        self.write_conf('replies = { source = "maildir"; maildir = "%s"; address = "%s"; '
                        'max_messages = 600; answers_per_hour = 0; };\n'
                        % (self.maildir, ADDRESS))
        m, k, _ = self.pick()
        for i in range(1000):
            self.reply(m, k, "nothing %d\n" % i)
        self.check(TUESDAY_0930)
        self.assertEqual(len(self.waiting()), 400)
        self.check("2026-12-01T09:45:00+01:00")
        self.assertEqual(self.waiting(), [])
        self.assertEqual(self.ledger("SELECT count(*) FROM reply")[0][0], 1000)


if __name__ == "__main__":
    unittest.main()
