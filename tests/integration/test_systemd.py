"""kapd under systemd (SPEC §6, issue 6): the notification protocol, the watchdog, reloads,
journald priorities and `kapctl status`.

Each test plays the service manager: it binds its own AF_UNIX datagram socket, starts kapd
with NOTIFY_SOCKET (and WATCHDOG_USEC) pointing at it, and reads what kapd says, with the
sender's credentials (SO_PASSCRED), as systemd does for NotifyAccess=main.  The slow SMTP
server is tests/integration/smtpd.py (Debian's python3-aiosmtpd) holding the greeting
back; without it that one test is skipped and the idle test still checks the rate."""

import datetime
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import unittest

import kaptest

# 2026-12-01 is a Tuesday; the sample has items due for several people at 09:00 Berlin.
TUESDAY_0900 = "2026-12-01T09:00:00+01:00"
SMTPD = os.path.join(kaptest.HERE, "smtpd.py")
WATCHDOG_USEC = 2000000  # pings expected every second


class NotifyListener:
    """The service manager's end of $NOTIFY_SOCKET: every datagram with its arrival time
    (time.monotonic, CLOCK_MONOTONIC like MONOTONIC_USEC) and the sender's PID."""

    def __init__(self, address):
        self.address = address
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + address[1:] if address.startswith("@") else address)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.messages = []  # (arrival, pid, {key: value}, raw text)
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        creds = socket.CMSG_SPACE(struct.calcsize("3i"))
        while self.running:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, creds)
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:12])[0]
            text = data.decode("utf-8", "replace")
            fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
            with self.cond:
                self.messages.append((time.monotonic(), pid, fields, text))
                self.cond.notify_all()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()

    def wait_for(self, key, value=None, after=0, timeout=30.0):
        """The index of the first message from index `after` on carrying key (=value)."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.messages)):
                    f = self.messages[i][2]
                    if key in f and (value is None or f[key] == value):
                        return i
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            return list(self.messages)

    def pings(self, since=0.0, until=None):
        return [t for t, _, f, _ in self.snapshot()
                if f.get("WATCHDOG") == "1" and t >= since and (until is None or t <= until)]


class SystemdTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.outbox = self.path("outbox")
        self.write_conf()
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))

    def write_conf(self, extra="", mail=None, interval="1h"):
        mail = mail or 'transport = "file"; directory = "%s";' % self.outbox
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\ncheck_interval = "%s";\n'
                    'mail = { %s from = "kapd <kapd@supplier.example>"; };\n'
                    'feeds = { directory = "%s"; };\n%s'
                    % (self.db, interval, mail, self.path("feeds"), extra))

    def listen(self, address=None):
        n = NotifyListener(address or self.path("notify.sock"))
        self.addCleanup(n.close)
        return n

    def start(self, listener, watchdog_usec=None, env=None, stderr=None, now=TUESDAY_0900):
        e = kaptest.child_env()
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                  "CREDENTIALS_DIRECTORY"):
            e.pop(k, None)
        if listener is not None:
            e["NOTIFY_SOCKET"] = listener.address
        if watchdog_usec is not None:
            e["WATCHDOG_USEC"] = str(watchdog_usec)
        e["TZ"] = "Europe/Berlin"
        e.update(env or {})
        argv = [kaptest.KAPD, "-c", self.conf, "--now", now]
        self.started = time.monotonic()
        self.started_clock = now
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=stderr if stderr is not None else subprocess.PIPE, env=e)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(lambda: p.stderr is not None and p.stderr.close())
        return p

    def stop(self, p):
        """SIGTERM; returns kapd's stderr after checking it exited 0 and cleanly."""
        p.send_signal(signal.SIGTERM)
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("kapd did not stop within 20 s of SIGTERM")
        err = (err or b"").decode("utf-8", "replace")
        self.assert_no_sanitizer(["kapd"], err)
        self.assertEqual(p.returncode, 0, "kapd exited %d after SIGTERM:\n%s"
                         % (p.returncode, err[-3000:]))
        return err

    def expect(self, listener, p, key, value=None, after=0, timeout=10, what=""):
        """The index of the next message with key (=value); fails with what kapd logged."""
        i = listener.wait_for(key, value, after=after, timeout=timeout)
        if i is None:
            alive = p.poll() is None
            p.kill()
            err = (p.communicate()[1] or b"").decode("utf-8", "replace")
            self.fail("no %s%s within %d s %s(kapd %s); received %r; kapd said:\n%s"
                      % (key, "=" + value if value else "", timeout, what,
                         "was running" if alive else "had exited %s" % p.returncode,
                         [m[3] for m in listener.snapshot()[after:]], err[-3000:]))
        return i

    def ready(self, listener, p, timeout=30):
        return self.expect(listener, p, "READY", "1", timeout=timeout)

    def status(self):
        """`kapctl status` on the daemon's clock (--now plus the seconds since its start):
        the daemon under test runs on a fixed date, so the wall clock would call it late."""
        start = datetime.datetime.fromisoformat(self.started_clock)
        clock = start + datetime.timedelta(seconds=time.monotonic() - self.started)
        out = self.ok("status", "--json", now=clock.isoformat(timespec="seconds"))
        return json.loads(out)


class NotifyTest(SystemdTestCase):

    def test_status_and_log_lines_follow_log_language(self):
        self.write_conf('log_language = "de";\n')
        n = self.listen()
        p = self.start(n)
        i = self.ready(n, p)
        status = n.snapshot()[i][2].get("STATUS", "")
        self.assertRegex(status, r"^nächste Prüfung \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}; "
                         r"\d+ E-Mails? in der Warteschlange; letzte Prüfung: \d+ E-Mails? "
                         r"gesendet, \d+ zurückgestellt, \d+ fehlgeschlagen$",
                         "expected a German STATUS= line")
        err = self.stop(p)
        j = self.expect(n, p, "STOPPING", "1", after=i)
        self.assertEqual(n.snapshot()[j][2].get("STATUS"), "wird beendet")
        self.assertIn("kapd: SIGTERM: wird beendet", err)
        self.assertRegex(err, r"kapd: Prüfung: \d+ aktiver? (Plan|Pläne)")

    def test_ready_comes_after_the_first_check_with_a_status_line(self):
        n = self.listen()
        p = self.start(n)
        i = self.ready(n, p)
        t, pid, fields, raw = n.snapshot()[i]
        self.assertEqual(pid, p.pid, "READY=1 must come from the main process "
                         "(NotifyAccess=main)")
        # The first check ran before READY=1: it is in the database and its outcome is in
        # the STATUS= sent together with READY=1.
        last = self.ledger_state("last_check")
        self.assertIsNotNone(last, "READY=1 came before the first check was recorded")
        self.assertTrue(os.listdir(self.outbox), "READY=1 came before the first check mailed")
        status = fields.get("STATUS", "")
        self.assertRegex(status, r"^next check \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}; "
                         r"(?:1 mail|(?:0|[2-9]|[1-9]\d+) mails) queued; last check: "
                         r"(?:1 mail|(?:[2-9]|[1-9]\d+) mails) sent, \d+ deferred, "
                         r"\d+ failed$", "unexpected STATUS= line: %r" % raw)
        # Next check one check_interval (1 h) after the first check (which took a moment).
        self.assertRegex(status, r"next check 2026-12-01 10:00:0\d \+0100")
        self.assertIn("; 0 mails queued;", status)
        # Nothing before READY but the watchdog (off here) and nothing else at all: a
        # daemon without WATCHDOG_USEC does not wake up between checks.
        self.assertEqual(i, 0, "messages before READY=1: %r" % n.snapshot()[:i])
        time.sleep(1.5)
        self.assertEqual(len(n.snapshot()), 1, "kapd said more while idle without a "
                         "watchdog: %r" % n.snapshot()[1:])
        self.stop(p)

    def ledger_state(self, key):
        rows = kaptest.query(self.db, "SELECT value FROM daemon_state WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def test_an_abstract_notify_socket_works_too(self):
        n = self.listen("@kapd-test-%d-%d" % (os.getpid(), time.monotonic_ns()))
        p = self.start(n)
        self.ready(n, p)
        self.stop(p)
        self.assertIsNotNone(n.wait_for("STOPPING", "1", timeout=5))

    def test_stopping_on_sigterm_and_status_says_stopped(self):
        n = self.listen()
        p = self.start(n)
        self.ready(n, p)
        st = self.status()
        self.assertEqual(st["daemon"], "ok", st)
        # A running daemon's clock goes on from --now: allow the seconds its start took.
        last = datetime.datetime.fromisoformat(st["last_check"])
        start = datetime.datetime.fromisoformat("2026-12-01T09:00:00+01:00")
        self.assertTrue(start <= last <= start + datetime.timedelta(seconds=10), st)
        gap = datetime.datetime.fromisoformat(st["next_check"]) - last
        self.assertTrue(abs(gap - datetime.timedelta(hours=1)) <= datetime.timedelta(
            seconds=10), st)
        self.assertEqual(st["queue"]["total"], 0, st)
        self.assertGreater(st["mails"]["sent"], 0, st)
        err = self.stop(p)
        self.assertIsNotNone(n.wait_for("STOPPING", "1", timeout=5),
                             "no STOPPING=1 after SIGTERM; got %r" % n.snapshot())
        self.assertIn("SIGTERM: stopping", err)
        st = self.status()
        self.assertEqual(st["daemon"], "stopped", st)
        self.assertIsNone(st["next_check"], st)

    def test_sighup_sends_reloading_with_monotonic_usec_then_ready(self):
        n = self.listen()
        p = self.start(n)
        first = self.ready(n, p)
        self.write_conf('status_report = { stale_after_days = 90; };\n', interval="2h")
        p.send_signal(signal.SIGHUP)
        sent_at = time.monotonic()
        i = self.expect(n, p, "RELOADING", "1", after=first + 1, what="after SIGHUP ")
        fields = n.snapshot()[i][2]
        self.assertIn("MONOTONIC_USEC", fields, "RELOADING=1 without MONOTONIC_USEC")
        usec = int(fields["MONOTONIC_USEC"])
        self.assertLess(abs(usec / 1e6 - sent_at), 5.0, "MONOTONIC_USEC=%d is not "
                        "CLOCK_MONOTONIC of the reload (now %.3f s)" % (usec, sent_at))
        j = self.expect(n, p, "READY", "1", after=i + 1, what="after RELOADING=1 ")
        self.assertIn("reloaded", n.snapshot()[j][2].get("STATUS", ""))
        # The check after the reload reports its outcome.
        k = self.expect(n, p, "STATUS", after=j + 1, what="after the reload's check ")
        self.assertIn("last check:", n.snapshot()[k][2]["STATUS"])
        # The new check_interval (2 h) is in force.
        self.assertIn("next check 2026-12-01 11:00:", n.snapshot()[k][2]["STATUS"])
        err = self.stop(p)
        self.assertIn("reloaded", err)

    def test_a_bad_configuration_on_sighup_keeps_the_old_one_running(self):
        n = self.listen()
        p = self.start(n)
        first = self.ready(n, p)
        mailed = len(os.listdir(self.outbox))
        self.write_conf("no_such_key = 1;\n", interval="2h")
        p.send_signal(signal.SIGHUP)
        i = self.expect(n, p, "RELOADING", "1", after=first + 1, what="after SIGHUP ")
        j = self.expect(n, p, "READY", "1", after=i + 1, what="after a failed reload "
                        "(systemctl reload would hang) ")
        self.assertIn("previous one stays in force", n.snapshot()[j][2].get("STATUS", ""))
        self.assertIsNone(p.poll(), "kapd died on a bad configuration at SIGHUP")
        # Still the old configuration: the next check is an hour away, not two (the bad
        # file's interval), and a check on SIGUSR1 works and mails nothing twice.
        k = self.expect(n, p, "STATUS", after=j + 1, what="after the reload's check ")
        self.assertIn("next check 2026-12-01 10:00:", n.snapshot()[k][2]["STATUS"])
        p.send_signal(signal.SIGUSR1)
        self.expect(n, p, "STATUS", after=k + 1, what="after SIGUSR1 ")
        self.assertEqual(len(os.listdir(self.outbox)), mailed)
        err = self.stop(p)
        self.assertIn("no_such_key", err, "the invalid key is not named in the log")
        self.assertIn("previous configuration stays in force", err)


class WatchdogTest(SystemdTestCase):

    def assert_rate(self, pings, what):
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertTrue(gaps, "%s: fewer than two watchdog pings: %r" % (what, pings))
        half = WATCHDOG_USEC / 2e6
        # At half the timeout from the loop; from the transport's ticks (at least one a
        # second) never later than half + 1 s, and never more than twice per interval.
        self.assertLessEqual(max(gaps), half + 0.6, "%s: a gap of %.2f s between pings "
                             "(timeout %.1f s): %r" % (what, max(gaps), 2 * half, gaps))
        self.assertGreaterEqual(min(gaps), half / 2 - 0.05, "%s: pings %.2f s apart, more "
                                "often than needed: %r" % (what, min(gaps), gaps))
        return gaps

    def test_watchdog_pings_every_half_timeout_while_idle(self):
        n = self.listen()
        p = self.start(n, watchdog_usec=WATCHDOG_USEC)
        i = self.ready(n, p)
        t_ready = n.snapshot()[i][0]
        time.sleep(4.6)
        pings = n.pings(since=t_ready)
        gaps = self.assert_rate(pings, "idle")
        self.assertGreaterEqual(len(pings), 4, "expected a ping about every second for "
                                "4.6 s, got %d" % len(pings))
        self.assertLess(abs(sum(gaps) / len(gaps) - 1.0), 0.15, "mean ping interval %.2f s, "
                        "expected 1 s: %r" % (sum(gaps) / len(gaps), gaps))
        senders = {pid for _, pid, f, _ in n.snapshot() if f.get("WATCHDOG") == "1"}
        self.assertEqual(senders, {p.pid})
        self.stop(p)

    def test_watchdog_pid_of_another_process_turns_the_watchdog_off(self):
        n = self.listen()
        p = self.start(n, watchdog_usec=WATCHDOG_USEC, env={"WATCHDOG_PID": "1"})
        self.ready(n, p)
        time.sleep(1.5)
        self.assertEqual(n.pings(), [], "pinged although WATCHDOG_PID names another process")
        self.stop(p)

    def smtp_server(self, *faults):
        if not os.path.exists(SMTPD):
            self.skipTest("tests/integration/smtpd.py is not there yet")
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            self.skipTest("python3-aiosmtpd is not installed")
        spool = self.path("smtp")
        argv = [kaptest.PY, SMTPD, "--spool", spool, "--tls", "none"]
        for f in faults:
            argv += ["--fault", f]
        srv = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=kaptest.child_env())
        self.addCleanup(lambda: (srv.poll() is None and srv.terminate(), srv.wait(10),
                                 srv.stdout.close(), srv.stderr.close()))
        port = srv.stdout.readline().strip()
        if not port.isdigit():
            self.fail("smtpd.py did not start: %r %r" % (port, srv.stderr.read()))
        return int(port), spool

    def test_watchdog_pings_while_a_slow_smtp_server_holds_the_connection(self):
        # The server accepts the connection and never greets: curl waits mail.timeout (5 s)
        # in the first check, before READY=1.  The transport's ticks keep the pings coming.
        port, spool = self.smtp_server("greeting=hang")
        self.write_conf(mail='transport = "smtp"; url = "smtp://127.0.0.1:%d"; '
                        'timeout = "5s";' % port)
        n = self.listen()
        p = self.start(n, watchdog_usec=WATCHDOG_USEC)
        i = self.ready(n, p, timeout=40)
        t_ready, _, fields, _ = n.snapshot()[i]
        slow = t_ready - self.started
        self.assertGreaterEqual(slow, 4.5, "the first check took %.1f s; the server should "
                                "have held it for the 5 s timeout" % slow)
        pings = n.pings(until=t_ready)
        self.assertGreaterEqual(len(pings), int(slow) - 1, "%d pings in a %.1f s SMTP wait"
                                % (len(pings), slow))
        self.assertLess(pings[0] - self.started, 1.6, "first ping %.2f s after the start"
                        % (pings[0] - self.started))
        self.assertLess(t_ready - pings[-1], 1.6)
        self.assert_rate(pings, "during the SMTP wait")
        with open(os.path.join(spool, "events.jsonl"), encoding="utf-8") as f:
            events = [json.loads(line) for line in f]
        self.assertTrue(any(e["ev"] == "connect" for e in events), events)
        # The mails are queued (deferred), and both STATUS= and kapctl status say so.
        st = self.status()
        self.assertGreater(st["queue"]["deferred"], 0, st)
        self.assertIsNotNone(st["queue"]["next_attempt"], st)
        self.assertIn("; %d mails queued;" % st["queue"]["total"], fields["STATUS"])
        self.assertRegex(fields["STATUS"], r"last check: 0 mails sent, [1-9]\d* deferred")
        self.stop(p)


class JournalTest(SystemdTestCase):

    def test_priority_prefixes_when_stderr_is_the_journal_stream(self):
        r, w = os.pipe()
        st = os.fstat(w)
        n = self.listen()
        p = self.start(n, env={"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}, stderr=w)
        os.close(w)
        self.ready(n, p)
        p.send_signal(signal.SIGTERM)
        p.wait(20)
        with os.fdopen(r, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        lines = err.splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[0-7]>\S", "a journal line without priority: %r"
                             % line)
        self.assertTrue(any(line.startswith("<6>check: ") for line in lines), lines)
        self.assertTrue(any(line.startswith("<5>SIGTERM") for line in lines), lines)

    def test_plain_lines_when_stderr_is_not_the_journal(self):
        # JOURNAL_STREAM inherited, but stderr was redirected elsewhere: a human reads it.
        n = self.listen()
        p = self.start(n, env={"JOURNAL_STREAM": "1:1"})
        self.ready(n, p)
        err = self.stop(p)
        for line in err.splitlines():
            self.assertTrue(line.startswith("kapd: "), line)

    def test_the_smtp_password_never_reaches_the_log_or_the_environment(self):
        marker = "kapd-secret-%d" % os.getpid()
        creds = self.path("creds")
        os.mkdir(creds, 0o700)
        with open(os.path.join(creds, "smtp-password"), "w") as f:
            f.write(marker + "\n")
        # A server that does not exist: the transport reads the password, fails to
        # connect, logs, defers.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.write_conf(mail='transport = "smtp"; url = "smtp://127.0.0.1:%d"; user = "kapd"; '
                        'timeout = "2s";' % port)
        n = self.listen()
        p = self.start(n, env={"CREDENTIALS_DIRECTORY": creds})
        self.ready(n, p)
        with open("/proc/%d/environ" % p.pid, "rb") as f:
            environ = f.read()
        with open("/proc/%d/cmdline" % p.pid, "rb") as f:
            cmdline = f.read()
        err = self.stop(p)
        self.assertIn("deferred", err, "expected the mails to be deferred:\n" + err[-2000:])
        self.assertNotIn(marker, err)
        self.assertNotIn(marker.encode(), environ)
        self.assertNotIn(marker.encode(), cmdline)
        for _, _, _, raw in n.snapshot():
            self.assertNotIn(marker, raw)
        for row in kaptest.query(self.db, "SELECT coalesce(last_error, '') FROM delivery"):
            self.assertNotIn(marker, row[0])


if __name__ == "__main__":
    unittest.main()
