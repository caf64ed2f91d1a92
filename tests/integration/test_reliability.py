"""Nothing twice, nothing lost (issue 10): the ledger under concurrent writers, the retry
policy across long outages, and the defects D1-D10 the outside torture run found.  Each
test names the behaviour it protects; all run the real kapd and kapctl against
tests/integration/smtpd.py on loopback."""

import collections
import os
import sqlite3
import subprocess
import threading
import time

import kaptest
import test_ledger
import test_smtp
from test_smtp import TUESDAY_0900, TUESDAY_0906

EXTRA_DELIVERIES = 300


class RetryRaceTest(test_smtp.SmtpTestCase):
    """D1: the retry pass must not hold a read statement while it writes outcomes, or a
    kapctl write makes every outcome write fail and the next check sends it all again."""

    def add_deferred(self, n):
        """n more deferred deliveries, copies of the first one with their own stage."""
        con = sqlite3.connect(self.db, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            d = con.execute("SELECT id, recipient_key, email, mode, slot_at, armed_at, "
                            "local_date, attempts, next_attempt FROM delivery "
                            "ORDER BY id LIMIT 1").fetchone()
            notes = con.execute("SELECT rule, kind, item_key, plan_key, deadline, stage, "
                                "recipient_key, title FROM notification "
                                "WHERE delivery_id = ?", (d[0],)).fetchall()
            for i in range(n):
                cur = con.execute(
                    "INSERT INTO delivery (recipient_key, email, mode, message_id, state, "
                    "slot_at, armed_at, local_date, attempts, next_attempt) "
                    "VALUES (?, ?, ?, ?, 'deferred', ?, ?, ?, ?, ?)",
                    (d[1], d[2], d[3], "race-%04d-%s" % (i, os.urandom(4).hex()), d[4],
                     d[5], d[6], d[7], d[8]))
                for nt in notes:
                    con.execute("INSERT INTO notification (rule, kind, item_key, plan_key, "
                                "deadline, stage, recipient_key, title, delivery_id) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                nt[:5] + ("%s-race%d" % (nt[5], i),) + nt[6:] +
                                (cur.lastrowid,))
            con.execute("COMMIT")
        finally:
            con.close()

    def edit_loop(self, stop, results):
        """kapctl edits, one after another, until stop is set."""
        key = kaptest.query(self.db, "SELECT key FROM activity WHERE state = 'open' "
                            "ORDER BY key LIMIT 1")[0][0]
        i = 0
        while not stop.is_set():
            rc, _, err = kaptest.run([kaptest.KAPCTL, "-c", self.path("ctl.conf"), "--db",
                                      self.db, "edit", "activity", key, "--title",
                                      "Edited during the retry pass %d" % i])
            results.append((rc, err))
            i += 1

    def test_kapctl_edits_during_the_retry_pass_cause_no_duplicates(self):
        open(self.path("ctl.conf"), "w").close()
        down = self.server(faults=["MAIL=451"])
        self.write_conf(down.port)
        self.check(TUESDAY_0900)
        self.assert_all_deferred("451 on MAIL")
        self.add_deferred(EXTRA_DELIVERIES)
        down.stop()
        srv = self.server()
        self.write_conf(srv.port)
        stop, results = threading.Event(), []
        writer = threading.Thread(target=self.edit_loop, args=(stop, results))
        writer.start()
        try:
            while not results:
                time.sleep(0.01)
            err, _ = self.check(TUESDAY_0906)
        finally:
            stop.set()
            writer.join()
        self.check("2026-12-01T09:20:00+01:00")
        counts = collections.Counter(self.message_ids(srv))
        dup = {k: v for k, v in counts.items() if v > 1}
        self.assertEqual(dup, {}, "Message-IDs received more than once (kapd log of the "
                         "retry pass:\n%s)" % err[-2000:])
        total = len(self.deliveries())
        self.assertEqual(self.states(), {"sent": total})
        self.assertEqual(len(counts), total, "expected every delivery to arrive once")
        bad = [(rc, e) for rc, e in results if rc != 0 or "locked" in e or "busy" in e.lower()]
        self.assertEqual(bad, [], "kapctl edits failed during the retry pass")
        self.assertGreater(len(results), 1, "expected kapctl edits throughout the pass")

    def message_ids(self, srv):
        out = []
        for _, raw in srv.messages():
            for line in raw.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    out.append(line.split(b":", 1)[1].strip().decode())
                    break
        return out


def at(t):
    """An ISO 8601 time with offset for the unix time t (Berlin's winter offset)."""
    import datetime
    tz = datetime.timezone(datetime.timedelta(hours=1))
    return datetime.datetime.fromtimestamp(t, tz).isoformat()


def unix(iso):
    import datetime
    return int(datetime.datetime.fromisoformat(iso).timestamp())


class OutageTest(test_smtp.SmtpTestCase):
    """D2: one retry policy with a cap; attempts continue until give_up_after has truly
    passed, and an email is given up only when an attempt after the limit fails."""

    STEP = 15 * 60

    def run_outage(self, hours, after_hours):
        """Checks every 15 minutes from Tuesday 09:00 with the server refusing connections
        for `hours`, then working for `after_hours`.  Returns the server."""
        port = test_smtp.free_port()   # nothing listens there: connection refused
        self.write_conf(port)
        start = unix(TUESDAY_0900)
        t, early = start, []
        while t < start + hours * 3600:
            self.check(at(t))
            early += [r for r in self.failed_before_limit(t) if r not in early]
            t += self.STEP
        srv = self.server()
        self.write_conf(srv.port)
        while t < start + (hours + after_hours) * 3600:
            self.check(at(t))
            t += self.STEP
        self.assertEqual(early, [], "deliveries failed before give_up_after had passed")
        return srv

    def failed_before_limit(self, now):
        return kaptest.query(self.db, "SELECT id, armed_at, last_error FROM delivery WHERE "
                             "state = 'failed' AND ? - armed_at < 4 * 86400", (now,))

    def test_an_88_hour_outage_under_a_4_day_limit_loses_and_fails_nothing(self):
        srv = self.run_outage(88, 2.5)
        states = self.states()
        self.assertEqual(set(states), {"sent"}, "expected every delivery sent after the "
                         "88-hour outage, got %r" % states)
        counts = collections.Counter(RetryRaceTest.message_ids(self, srv))
        self.assertEqual(len(counts), sum(states.values()))
        self.assertEqual(max(counts.values()), 1, "a Message-ID arrived twice")

    def test_an_outage_past_the_limit_gives_up_just_after_it(self):
        self.run_outage(4 * 24 + 1, 0)
        rows = kaptest.query(self.db, "SELECT state, armed_at, attempts, last_error "
                             "FROM delivery ORDER BY id")
        first = [r for r in rows if r[1] == unix(TUESDAY_0900)]
        self.assertTrue(first, "expected deliveries armed at the first check")
        for state, _, attempts, err in first:
            self.assertEqual(state, "failed", "expected the first check's mail given up "
                             "an hour after the 4-day limit")
            self.assertIn("gave up", err)
            # At most two hours between attempts over four days: at least 48 attempts.
            self.assertGreaterEqual(attempts, 48, "too few attempts (no cap?)")


class ReportFailuresTest(test_smtp.SmtpTestCase):
    """D3: every permanent failure reaches the KAM's next status report that was sent,
    whatever day it happened (a failed report is not "the last report")."""

    def report_texts(self, srv, week):
        out = []
        for _, raw in srv.messages():
            msg = test_smtp.email.message_from_bytes(raw, policy=test_smtp.policy.default)
            if any("rule=status-report" in str(h) and week in str(h)
                   for h in msg.get_all("X-KAP-Item", [])):
                out.append(msg.get_body(("plain",)).get_content())
        return out

    def test_a_failure_on_the_report_day_is_in_the_next_report(self):
        os.makedirs(self.path("spool1"))
        first = test_smtp.Server(self, self.path("spool1"), faults=["RCPT=550:1"])
        self.write_conf(first.port)
        self.check("2026-12-07T09:00:00+01:00")
        failed = kaptest.query(self.db, "SELECT email FROM delivery WHERE state = 'failed'")
        self.assertEqual(len(failed), 1, "expected one mail failed by the 550")
        first.stop()
        os.makedirs(self.path("spool2"))
        srv = test_smtp.Server(self, self.path("spool2"))
        self.write_conf(srv.port)
        self.check("2026-12-14T09:00:00+01:00")
        texts = self.report_texts(srv, "week-2026-W51")
        self.assertEqual(len(texts), 1, "expected one status report in week 51")
        self.assertIn(failed[0][0], texts[0], "the failure of 2026-12-07 is missing from "
                      "the next status report:\n%s" % texts[0][-3000:])


def make_unwritable(test, path):
    """Makes the directory path refuse new files: EACCES (mode 0555) for an ordinary user,
    EPERM (chattr +i) or else EROFS (a read-only tmpfs mounted over it) for root, who
    ignores modes.  Returns the undo function."""
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        return lambda: os.chmod(path, 0o755)
    p = subprocess.run(["chattr", "+i", path], stderr=subprocess.PIPE)
    if p.returncode == 0:
        test.addCleanup(lambda: subprocess.run(["chattr", "-i", path]))
        return lambda: subprocess.run(["chattr", "-i", path], check=True)
    # No immutable flag here (tmpfs, say): a read-only mount over it gives EROFS.
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path],
                       stderr=subprocess.PIPE)
    if m.returncode != 0:
        test.skipTest("cannot make %s unwritable as root (chattr: %s; mount: %s)"
                      % (path, p.stderr.decode().strip(), m.stderr.decode().strip()))
    test.addCleanup(lambda: subprocess.run(["umount", "-l", path], stderr=subprocess.DEVNULL))
    return lambda: subprocess.run(["umount", path], check=True)


class UnwritableOutboxTest(test_ledger.LedgerTestCase):
    """D4: an outbox that refuses writes (EACCES, EPERM, EROFS) defers the mail, and it
    goes out once the directory is fixed, without `kapctl queue retry`."""

    def test_an_unwritable_outbox_defers_and_sends_after_the_fix(self):
        os.mkdir(self.outbox)
        undo = make_unwritable(self, self.outbox)
        err = self.check(TUESDAY_0900)
        states = dict(self.ledger("SELECT state, count(*) FROM delivery GROUP BY state"))
        self.assertEqual(set(states), {"deferred"}, "expected every delivery deferred, got "
                         "%r; kapd said:\n%s" % (states, err[-2000:]))
        undo()
        self.check(TUESDAY_0906)
        self.assertEqual(self.ledger("SELECT count(*) FROM delivery WHERE state != 'sent'"),
                         [(0,)], "expected every delivery sent after the fix")
        self.assertEqual(len(self.mails()), states["deferred"])


class UnknownZoneTest(test_ledger.LedgerTestCase):
    """D5: a person's zone missing from tzdata (say after an update) falls back to the
    plan's zone, then the configured one, with a warning naming the person."""

    def test_an_unknown_zone_falls_back_and_warns_with_the_persons_name(self):
        before = self.pending(TUESDAY_0900)
        victim = before[0]["recipient"]
        key, name = self.ledger("SELECT key, name FROM person WHERE email = ?", (victim,))[0]
        con = sqlite3.connect(self.db)
        with con:
            con.execute("UPDATE person SET timezone = 'Mars/Olympus_Mons' WHERE key = ?",
                        (key,))
        con.close()
        rc, out, err = self.kapd("--dry-run", "--json", "--now", TUESDAY_0900)
        self.assertEqual(rc, 0, err)
        after = [kaptest.json.loads(line) for line in out.splitlines()]
        strip = lambda rows: sorted((r["recipient"], r["rule"], r["stage"], r["item"])
                                    for r in rows)
        self.assertEqual(strip(after), strip(before), "the person's notifications changed")
        warn = [l for l in err.splitlines() if "Mars/Olympus_Mons" in l]
        self.assertTrue(warn, "expected a warning about the unknown zone, got:\n%s" % err)
        self.assertIn(key, warn[0])
        self.assertIn(name, warn[0])
        self.assertIn("Europe/Berlin", warn[0], "expected the zone used instead")
        self.check(TUESDAY_0900)
        mailed = {m["To"].addresses[0].addr_spec for m in self.mails()}
        self.assertIn(victim, mailed, "the person with the unknown zone got no mail")


class SlowServerTest(test_smtp.SmtpTestCase):
    """D6: mail.timeout bounds each answer, not the whole exchange: a server taking 1.5 s
    for every answer is slow, not dead, under a 5 s timeout."""

    def test_a_server_answering_each_command_in_1_5_s_is_used_with_timeout_5_s(self):
        srv = self.server(delay=1.5)
        self.write_conf(srv.port, timeout="5s")
        err, took = self.check(TUESDAY_0900)
        n = len(self.deliveries())
        self.assertEqual(self.states(), {"sent": n}, "expected every mail sent through the "
                         "slow server; kapd said:\n%s" % err[-2000:])
        self.assertEqual(len(self.assert_received_ok(srv, expect_sent=n)), n)


class CheckConfigSecretTest(kaptest.KapTestCase):
    """D7: kapd --check-config reads the password file as the daemon would, and refuses
    what a check would refuse: missing, readable by others, a directory, empty."""

    def write_conf(self, pwfile):
        with open(self.conf, "w") as f:
            f.write('database = "%s";\nmail = { transport = "smtp"; url = '
                    '"smtp://127.0.0.1:1"; user = "u"; password_file = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n' % (self.db, pwfile))

    def make(self, kind):
        p = self.path("pw-" + kind)
        if kind == "directory":
            os.mkdir(p)
        elif kind != "missing":
            fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, b"" if kind == "empty" else b"secret-pw\n")
            os.close(fd)
            os.chmod(p, 0o644 if kind == "mode-0644" else 0o600)
        return p

    def kapd(self, *args):
        return kaptest.run([kaptest.KAPD, "-c", self.conf] + list(args))

    def test_check_config_refuses_each_bad_password_file(self):
        for kind in ("missing", "mode-0644", "directory", "empty"):
            with self.subTest(kind=kind):
                p = self.make(kind)
                self.write_conf(p)
                rc, out, err = self.kapd("--check-config")
                self.assertEqual(rc, kaptest.EX_CONFIG, "--check-config with a %s password "
                                 "file: exit %d, stdout %r, stderr %r" % (kind, rc, out, err))
                self.assertNotIn("configuration OK", out)
                self.assertIn(p, err, "expected the file named in the error")
                self.assertNotIn("secret-pw", out + err)

    def test_check_config_accepts_a_private_password_file(self):
        self.write_conf(self.make("good"))
        rc, out, err = self.kapd("--check-config")
        self.assertEqual((rc, out.strip()), (0, "configuration OK"), err)


class HostileLogTest(test_ledger.LedgerTestCase):
    """D8: control characters from the database never reach the log unescaped: a CR/LF
    address must not forge a second journal line, an ESC sequence must not reach the
    terminal."""

    HOSTILE = "x@y.example\r\nBcc: evil@attacker.example failed permanently\x1b[2J\x7f\u2028"

    def test_a_crlf_address_in_the_database_is_logged_as_one_line(self):
        victim = self.pending(TUESDAY_0900)[0]["recipient"]
        con = sqlite3.connect(self.db)
        with con:
            con.execute("UPDATE person SET email = ?, name = ? WHERE email = ?",
                        (self.HOSTILE, "Eve\nkapd: forged line", victim))
        con.close()
        rc, out, err = self.kapd("--once", "--now", TUESDAY_0900)
        self.assertEqual(rc, 0, err)
        self.assertIn("attacker.example", err, "expected the bad address logged (escaped)")
        for line in err.split("\n"):
            self.assertFalse(line.startswith("Bcc:") or line.startswith("kapd: forged"),
                             "a forged log line: %r" % line)
        for bad in ("\r", "\x1b", "\x7f", "\u2028"):
            self.assertNotIn(bad, err, "a raw control character %r reached the log" % bad)
        self.assertIn("\\r\\nBcc:", err, "expected CR LF shown as \\r\\n")


class SingleInstanceTest(test_ledger.LedgerTestCase):
    """D9: one kapd per database.  A second daemon or --once exits with 75 (EX_TEMPFAIL)
    naming the holder's pid; a dry run still works; the lock goes with the process."""

    def start_daemon(self):
        p = subprocess.Popen([kaptest.KAPD, "-c", self.conf, "--now", TUESDAY_0900],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=kaptest.child_env())
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait(),
                                 p.stderr.close()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = kaptest.query(self.db, "SELECT count(*) FROM delivery") \
                if os.path.exists(self.db) else [(0,)]
            if rows[0][0] > 0:
                return p
            if p.poll() is not None:
                self.fail("kapd exited: %s" % p.stderr.read().decode())
            time.sleep(0.05)
        self.fail("the daemon did not check within 30 s")

    def test_a_second_instance_exits_75_naming_the_holder(self):
        daemon = self.start_daemon()
        for args in (["--once", "--now", TUESDAY_0906], ["--now", TUESDAY_0906]):
            with self.subTest(args=args):
                try:
                    rc, out, err = self.kapd(*args, timeout=15)
                except subprocess.TimeoutExpired:
                    self.fail("a second kapd %s kept running" % " ".join(args))
                self.assertEqual(rc, kaptest.EX_TEMPFAIL, "second kapd %s: exit %d\n%s"
                                 % (" ".join(args), rc, err))
                self.assertIn("pid %d" % daemon.pid, err)
        rc, out, err = self.kapd("--dry-run", "--now", TUESDAY_0906)
        self.assertEqual(rc, 0, "a dry run takes no lock: %s" % err)
        daemon.kill()
        daemon.wait()
        self.check(TUESDAY_0906)   # the lock went with the killed process


class DoneWithoutDateTest(kaptest.KapTestCase):
    """D10: an import with "state": "done" and no done_on is refused with a clear error,
    and nothing is stored (kapd-plan(5): done_on is required for done items)."""

    def test_done_without_done_on_is_refused_and_changes_nothing(self):
        self.init_db()
        doc = kaptest.sample_doc()
        plan = doc["accounts"][0]["plans"][0]
        act = next(a for a in plan["activities"] if a.get("state", "open") == "open")
        act["state"] = "done"
        act.pop("done_on", None)
        before = kaptest.dump_db(self.db)
        out, err = self.expect_rc(kaptest.EX_DATAERR, "import",
                                  self.write_doc("bad.json", doc))
        self.assertIn("done_on", err)
        self.assertIn("required", err)
        self.assertEqual(kaptest.dump_db(self.db), before, "a refused import changed the "
                         "database")
        act["done_on"] = "2026-11-30"
        self.import_file(self.write_doc("good.json", doc))
        self.assertEqual(kaptest.query(self.db, "SELECT state, done_on FROM activity WHERE "
                                       "key = ?", (act["key"],)), [("done", "2026-11-30")])


if __name__ == "__main__":
    import unittest
    unittest.main()
