"""The mail ledger and the daemon's check (SPEC §3, §6): each notification mailed at most
once, decided at the slot, retried after a failure, crash leftovers sent again; the loop's
signals.  File transport; real SQLite files."""

import email
import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest
from email import policy

import kaptest

# 2026-12-01 is a Tuesday; the sample has items overdue, due and upcoming around it.
MONDAY_0900 = "2026-11-30T09:00:00+01:00"
TUESDAY_0700 = "2026-12-01T07:00:00+01:00"
TUESDAY_0900 = "2026-12-01T09:00:00+01:00"
TUESDAY_0915 = "2026-12-01T09:15:00+01:00"


class LedgerTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.outbox = self.path("outbox")
        self.write_conf()
        self.init_db()
        self.doc = kaptest.sample_doc()
        self.import_file(self.write_doc("sample.json", self.doc))

    def write_conf(self, extra="", mail_dir=None):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n%s'
                    % (self.db, mail_dir or self.outbox, extra))

    def kapd(self, *args, timeout=60):
        argv = [kaptest.KAPD, "-c", self.conf] + list(args)
        rc, out, err = kaptest.run(argv, timeout=timeout)
        self.assert_no_sanitizer(argv, err)
        return rc, out, err

    def check(self, now):
        rc, out, err = self.kapd("--once", "--now", now)
        self.assertEqual(rc, 0, "kapd --once --now %s: exit %d\n%s" % (now, rc, err[-3000:]))
        return err

    def pending(self, now):
        rc, out, err = self.kapd("--dry-run", "--json", "--now", now)
        self.assertEqual(rc, 0, "kapd --dry-run: exit %d\n%s" % (rc, err[-3000:]))
        return [json.loads(line) for line in out.splitlines()]

    def mails(self):
        found = []
        if not os.path.isdir(self.outbox):
            return found
        for name in sorted(os.listdir(self.outbox)):
            if name.endswith(".eml"):
                with open(os.path.join(self.outbox, name), "rb") as f:
                    found.append(email.message_from_binary_file(f, policy=policy.default))
        return found

    def mailed_items(self):
        """(recipient address, item, rule, stage, due) of every notification in the outbox."""
        out = []
        for m in self.mails():
            to = m["To"].addresses[0].addr_spec
            for h in m.get_all("X-KAP-Item", []):
                key, *attrs = [p.strip() for p in str(h).split(";")]
                a = dict(x.split("=", 1) for x in attrs)
                out.append((to, key, a["rule"], a["stage"], a["due"]))
        return out

    def ledger(self, sql, args=()):
        return kaptest.query(self.db, sql, args)

    def open_activity(self, owner_email_required=True):
        people = {p["key"]: p for p in self.doc["people"]}
        plan = self.doc["accounts"][0]["plans"][0]
        for a in plan["activities"]:
            if a.get("state", "open") == "open" and a["due"] > "2026-12-02" and \
                    people.get(a.get("owner"), {}).get("notify", "digest") == "digest" and \
                    not people.get(a.get("owner"), {}).get("absences"):
                return a
        self.fail("the sample has no open future activity with a digest owner")


class LedgerTest(LedgerTestCase):

    def test_a_second_check_at_the_same_slot_mails_nothing_again(self):
        self.check(TUESDAY_0900)
        first = self.mailed_items()
        self.assertTrue(first, "expected mails at Tuesday 09:00 Berlin")
        self.check(TUESDAY_0900)
        self.check(TUESDAY_0915)
        again = self.mailed_items()
        self.assertEqual(sorted(first), sorted(set(again)), "the later checks mailed more")
        self.assertEqual(len(again), len(set(again)), "a notification was mailed twice")

    def test_dry_run_neither_sends_nor_records(self):
        pend = self.pending(TUESDAY_0900)
        self.assertTrue(pend)
        self.assertEqual(self.mails(), [])
        self.assertEqual(self.ledger("SELECT count(*) FROM notification")[0][0], 0)
        self.assertEqual(self.ledger("SELECT count(*) FROM delivery")[0][0], 0)

    def test_the_ledger_holds_exactly_what_was_mailed(self):
        self.check(TUESDAY_0900)
        rows = self.ledger("SELECT d.email, n.item_key, n.rule, n.stage, n.deadline FROM "
                           "notification n JOIN delivery d ON d.id = n.delivery_id "
                           "WHERE d.state = 'sent'")
        self.assertEqual(sorted(map(tuple, rows)), sorted(self.mailed_items()))

    def test_what_the_dry_run_shows_deliverable_is_what_the_check_mails(self):
        due_now = {(p["recipient"], p["item"], p["rule"], p["stage"], p["due"])
                   for p in self.pending(TUESDAY_0900) if p["slot"].startswith("2026-12-01T09:00")
                   or self.slot_is_now(p["slot"], TUESDAY_0900)}
        self.check(TUESDAY_0900)
        self.assertEqual(due_now, set(self.mailed_items()))

    @staticmethod
    def slot_is_now(slot, now):
        from datetime import datetime
        return datetime.fromisoformat(slot) == datetime.fromisoformat(now)

    def test_an_item_done_before_its_slot_is_not_mailed(self):
        act = self.open_activity()
        before = [p for p in self.pending(TUESDAY_0700) if p["item"] == act["key"]]
        if not before:
            self.skipTest("the chosen activity has nothing pending on Tuesday")
        self.ok("done", "activity", act["key"])
        self.check(TUESDAY_0900)
        self.assertNotIn(act["key"], [m[1] for m in self.mailed_items()])

    def test_a_moved_deadline_starts_the_stages_afresh(self):
        act = self.open_activity()
        self.check(TUESDAY_0900)
        stages = [m for m in self.mailed_items() if m[1] == act["key"]]
        self.ok("edit", "activity", act["key"], "--due", "2026-12-03")
        self.check("2026-12-02T09:00:00+01:00")
        after = [m for m in self.mailed_items() if m[1] == act["key"]]
        self.assertIn("2026-12-03", [m[4] for m in after],
                      "expected a notification for the new deadline; got %r (before %r)"
                      % (after, stages))

    def test_kapctl_log_shows_what_was_sent_to_whom(self):
        self.check(TUESDAY_0900)
        out = self.ok("log", "--json", "--limit", "1000")
        rows = json.loads(out)
        self.assertEqual(len(rows), len(self.mailed_items()))
        self.assertTrue(all(r["state"] == "sent" for r in rows))
        kam = self.doc["accounts"][0]["plans"][0]["team"][0]["person"]
        mine = json.loads(self.ok("log", "--json", "--person", kam))
        self.assertTrue(mine and all(r["recipient"] == kam or r["on_behalf_of"] == kam
                                     for r in mine))


class FailureTest(LedgerTestCase):

    def test_a_failed_write_is_deferred_then_sent_and_never_lost(self):
        # The outbox is a dangling symlink: the transport opens, writing fails (ENOENT).
        target = self.path("later")
        os.symlink(target, self.outbox)
        self.write_conf('delivery = { retry_first = "5m"; give_up_after = "4d"; };\n')
        err = self.check(TUESDAY_0900)
        self.assertIn("deferred", err)
        deferred = self.ledger("SELECT count(*) FROM delivery WHERE state = 'deferred'")[0][0]
        self.assertGreater(deferred, 0, "expected deferred deliveries")
        os.mkdir(target)
        self.check("2026-12-01T09:02:00+01:00")  # before the retry time: nothing yet
        self.assertEqual(self.mails(), [])
        self.check("2026-12-01T09:06:00+01:00")
        self.assertEqual(self.ledger("SELECT count(*) FROM delivery WHERE state != 'sent'")[0][0],
                         0, "every deferred delivery should be sent after the retry time")
        self.assertEqual(len(self.mails()), deferred)

    def test_giving_up_marks_failed_and_keeps_the_record(self):
        os.symlink(self.path("never"), self.outbox)
        self.write_conf('delivery = { retry_first = "5m"; give_up_after = "10m"; };\n')
        self.check(TUESDAY_0900)
        self.check("2026-12-01T09:06:00+01:00")
        self.check("2026-12-01T09:20:00+01:00")
        states = {r[0] for r in self.ledger("SELECT state FROM delivery")}
        self.assertEqual(states, {"failed"}, "expected every delivery failed after giving up")
        rows = json.loads(self.ok("log", "--json"))
        self.assertTrue(rows and all(r["state"] == "failed" and r["error"] for r in rows))

    def test_kapctl_queue_lists_failures_and_retry_rearms_them(self):
        link = self.path("outbox-target")
        os.symlink(link, self.outbox)
        self.write_conf('delivery = { retry_first = "5m"; give_up_after = "10m"; };\n')
        self.check(TUESDAY_0900)
        waiting = json.loads(self.ok("queue", "--json"))
        self.assertTrue(waiting and all(q["state"] == "deferred" and q["next_attempt"]
                                        for q in waiting), waiting)
        self.check("2026-12-01T09:06:00+01:00")
        self.check("2026-12-01T09:20:00+01:00")
        failed = json.loads(self.ok("queue", "--json"))
        self.assertTrue(failed and all(q["state"] == "failed" and q["error"] for q in failed))
        self.expect_rc(kaptest.EX_DATAERR, "queue", "retry", "999999")
        os.mkdir(link)
        out = self.ok("queue", "retry", "--all", now="2026-12-01T10:00:00+01:00")
        self.assertIn("%d deliver" % len(failed), out)
        self.check("2026-12-01T10:01:00+01:00")
        self.assertEqual(len(self.mails()), len(failed))
        self.assertIn("the queue is empty", self.ok("queue"))

    def test_a_delivery_left_sending_by_a_crash_is_sent_at_the_next_check(self):
        self.check(TUESDAY_0900)
        n = len(self.mails())
        # Simulate a crash between recording and sending: mark one delivery unfinished
        # and remove its file.
        row = self.ledger("SELECT id, message_id FROM delivery ORDER BY id LIMIT 1")[0]
        con = sqlite3.connect(self.db)
        con.execute("UPDATE delivery SET state = 'sending', sent_at = NULL WHERE id = ?",
                    (row[0],))
        con.commit()
        con.close()
        os.unlink(os.path.join(self.outbox, row[1] + ".eml"))
        self.check(TUESDAY_0915)
        self.assertTrue(os.path.exists(os.path.join(self.outbox, row[1] + ".eml")),
                        "the unfinished delivery was not sent again")
        self.assertEqual(len(self.mails()), n)
        self.assertEqual(self.ledger("SELECT state FROM delivery WHERE id = ?", (row[0],))[0][0],
                         "sent")


class DaemonLoopTest(LedgerTestCase):

    def start(self):
        argv = [kaptest.KAPD, "-c", self.conf, "--now", TUESDAY_0900]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=kaptest.child_env())
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def wait_checks(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            got = self.ledger("SELECT count(*) FROM daemon_state WHERE key = 'last_check'")
            if got and got[0][0] >= 1 and len(self.mails()) >= n:
                return
            time.sleep(0.1)
        self.fail("the daemon did not check within %d s" % timeout)

    def test_signals_check_reload_and_stop(self):
        self.write_conf('check_interval = "1h";\n')
        p = self.start()
        self.wait_checks(1)
        first = len(self.mails())
        # A bad configuration on SIGHUP: the old one stays, the daemon keeps running.
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("no_such_key = 1;\n")
        p.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        self.assertIsNone(p.poll(), "kapd died on a bad configuration at SIGHUP")
        self.write_conf('check_interval = "1h";\n')
        p.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("kapd did not stop on SIGTERM")
        err = err.decode("utf-8", "replace")
        self.assert_no_sanitizer(["kapd"], err)
        self.assertEqual(p.returncode, 0, err[-2000:])
        self.assertIn("previous configuration stays in force", err)
        self.assertIn("SIGUSR1", err)
        self.assertIn("SIGTERM", err)
        self.assertEqual(len(self.mails()), first, "the SIGUSR1 check mailed duplicates")
        self.assertGreaterEqual(err.count("check:"), 3, "expected a check at start, after "
                                "SIGHUP and after SIGUSR1:\n" + err[-2000:])


if __name__ == "__main__":
    unittest.main()
