#!/usr/bin/python3
"""The kapd torture suite (issue 10): nothing twice, nothing lost, under kill -9, two
writers, long outages, disk faults and hostile text.  Real binaries, real SQLite files,
Debian's aiosmtpd (tests/integration/smtpd.py) and tests/torture/faultsmtp.py on
127.0.0.1 only.

    KAPD_BUILD=build /usr/bin/python3 tests/torture/torture.py [--long] [--seed N]

--long is `make torture` (200 kills, outages of 1 h, 30 h and 95 h, the real 4-day
give-up); the short form (`make torture-short`, run by `make check`) makes 30 kills,
outages of 1 h and 30 h and a give-up under a 6-hour limit.  The last line is

    torture: N passed, N failed; kills K, mails M, duplicates D, lost L

where duplicates counts extra copies of a mail (the same Message-ID received again:
the in-flight transaction of a kill or an unanswered final dot) and lost counts
notifications a clean run delivered and the tortured run did not.  A notification
delivered under two different Message-IDs is a real duplicate and fails its test.
"""

import argparse
import collections
import datetime
import email
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from email import policy

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
os.environ.setdefault("KAPD_BUILD", "build")

import kaptest  # noqa: E402
import test_smtp  # noqa: E402

SYSTEM_PY = "/usr/bin/python3"
FAULTSMTP = os.path.join(HERE, "faultsmtp.py")
SMTPD = os.path.join(REPO, "tests", "integration", "smtpd.py")
BERLIN = datetime.timezone(datetime.timedelta(hours=1))
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)   # a Tuesday
SENDER = "kapd@supplier.example"

COUNTS = collections.Counter()


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def iso(t):
    return t.isoformat()


# ---------------------------------------------------------------------------------------
# A kapd installation in a temporary directory

class Env:
    def __init__(self, name, root):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.db = self.p("kap.db")
        self.conf = self.p("kapd.conf")
        self.outbox = self.p("outbox")
        self.feeds = self.p("feeds")
        self.pages = self.p("pages")
        self.procs = []
        self.pwfile = self.p("smtp-password")
        fd = os.open(self.pwfile, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, (test_smtp.PASSWORD + "\n").encode())
        os.close(fd)
        self.write_conf()

    def p(self, name):
        return os.path.join(self.dir, name)

    def write_conf(self, smtp=None, extra="", delivery=""):
        mail = ('mail = { transport = "file"; directory = "%s"; from = "kapd <%s>"; };'
                % (self.outbox, SENDER))
        if smtp is not None:
            url, user = smtp
            mail = ('mail = { transport = "smtp"; url = "%s"; %s ca_file = "%s"; '
                    'timeout = "5s"; from = "kapd <%s>"; };'
                    % (url, 'user = "%s"; password_file = "%s";' % (user, self.pwfile)
                       if user else "", os.path.join(test_smtp.make_certs(), "ca.pem"),
                       SENDER))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n%s\n'
                    'feeds = { directory = "%s"; };\n%s'
                    'delivery = { retry_first = "5m"; %s };\n%s\n'
                    % (self.db, mail, self.feeds, "" if os.environ.get("TORTURE_NO_PAGES")
                       else 'pages = { directory = "%s"; };\n' % self.pages, delivery,
                       extra))

    def kapctl(self, *args, timeout=120):
        return kaptest.run([kaptest.KAPCTL, "-c", self.conf, "--db", self.db] +
                           [str(a) for a in args], timeout=timeout)

    def setup_sample(self):
        rc, _, err = self.kapctl("init")
        check(rc == 0, "kapctl init: %s" % err)
        path = self.p("sample.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(kaptest.sample_text())
        rc, _, err = self.kapctl("import", path)
        check(rc == 0, "kapctl import: %s" % err)

    def once(self, now, timeout=120):
        rc, out, err = kaptest.run([kaptest.KAPD, "-c", self.conf, "--once", "--now",
                                    iso(now)], timeout=timeout)
        check(not kaptest.sanitizer_report(err), "sanitizer report:\n" + err[-3000:])
        return rc, err

    def spawn_once(self, now):
        return subprocess.Popen([kaptest.KAPD, "-c", self.conf, "--once", "--now", iso(now)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=kaptest.child_env())

    def query(self, sql, args=()):
        return kaptest.query(self.db, sql, args)

    def states(self):
        return dict(self.query("SELECT state, count(*) FROM delivery GROUP BY state"))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.procs = []


class Smtpd:
    """tests/integration/smtpd.py (aiosmtpd): STARTTLS and AUTH required."""

    def __init__(self, env, spool, delay=0.0, faults=()):
        certs = test_smtp.make_certs()
        argv = [SYSTEM_PY, SMTPD, "--spool", spool, "--tls", "starttls",
                "--cert", os.path.join(certs, "server.pem"),
                "--key", os.path.join(certs, "server.key"),
                "--user", test_smtp.USER, "--password-file", env.pwfile]
        if delay:
            argv += ["--delay", str(delay)]
        for f in faults:
            argv += ["--fault", f]
        os.makedirs(spool, exist_ok=True)
        self.spool = spool
        self.proc = start_server(argv)
        env.procs.append(self.proc)
        self.port = int(self.proc.stdout.readline())
        self.smtp = ("smtp://127.0.0.1:%d" % self.port, test_smtp.USER)

    def stop(self):
        stop_proc(self.proc)

    def raw_messages(self):
        path = os.path.join(self.spool, "events.jsonl")
        out = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    e = json.loads(line)
                    if e["ev"] == "message":
                        with open(os.path.join(self.spool, e["name"] + ".eml"), "rb") as m:
                            out.append(m.read())
        return out


class FaultSmtp:
    """tests/torture/faultsmtp.py: smtps, no AUTH, seeded random faults."""

    def __init__(self, env, spool, seed, p_fault=0.1, mode="random", unknown=True):
        certs = test_smtp.make_certs()
        os.makedirs(spool, exist_ok=True)
        argv = [SYSTEM_PY, FAULTSMTP, "--spool", spool, "--seed", str(seed),
                "--p-fault", str(p_fault), "--mode", mode,
                "--cert", os.path.join(certs, "server.pem"),
                "--key", os.path.join(certs, "server.key")]
        if not unknown:
            argv.append("--no-unknown")
        self.spool = spool
        self.proc = start_server(argv)
        env.procs.append(self.proc)
        self.port = int(self.proc.stdout.readline())
        self.smtp = ("smtps://127.0.0.1:%d" % self.port, None)

    def set_mode(self, mode):
        with open(os.path.join(self.spool, "mode"), "w") as f:
            f.write(mode)

    def stop(self):
        stop_proc(self.proc)

    def raw_messages(self):
        out = []
        path = os.path.join(self.spool, "received.jsonl")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    with open(os.path.join(self.spool, json.loads(line)["name"] + ".eml"),
                              "rb") as m:
                        out.append(m.read())
        return out


def start_server(argv):
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def stop_proc(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def outbox_messages(env):
    out = []
    if os.path.isdir(env.outbox):
        for name in sorted(os.listdir(env.outbox)):
            if name.endswith(".eml"):
                with open(os.path.join(env.outbox, name), "rb") as f:
                    out.append(f.read())
    return out


# ---------------------------------------------------------------------------------------
# What was delivered

def parse(raw):
    """(Message-ID, [(recipient, item, rule, stage, due)])"""
    msg = email.message_from_bytes(raw, policy=policy.default)
    to = msg["To"].addresses[0].addr_spec
    notes = []
    for h in msg.get_all("X-KAP-Item", []):
        key, *attrs = [p.strip() for p in str(h).split(";")]
        a = dict(x.split("=", 1) for x in attrs)
        notes.append((to, key, a["rule"], a["stage"], a["due"]))
    return str(msg["Message-ID"]).strip(), notes


def delivered(raws):
    """(set of notifications, copies beyond the first of each Message-ID, notifications
    delivered under two different Message-IDs, number of mails)"""
    by_id = {}
    extra = 0
    for raw in raws:
        mid, notes = parse(raw)
        if mid in by_id:
            extra += 1
            continue
        by_id[mid] = notes
    seen = collections.Counter(n for notes in by_id.values() for n in notes)
    twice = sorted(n for n, c in seen.items() if c > 1)
    return set(seen), extra, twice, len(raws)


def compare(clean_raws, raws, what, max_extra):
    want, _, _, _ = delivered(clean_raws)
    got, extra, twice, mails = delivered(raws)
    lost = want - got
    more = got - want
    COUNTS["mails"] += mails
    COUNTS["duplicates"] += extra
    COUNTS["lost"] += len(lost)
    check(want, "%s: the clean run delivered nothing (a broken setup)" % what)
    check(not lost, "%s: %d notifications lost, e.g. %r" % (what, len(lost), sorted(lost)[:3]))
    check(not twice, "%s: notifications delivered under two Message-IDs: %r"
          % (what, twice[:3]))
    check(not more, "%s: notifications the clean run did not send: %r" % (what, sorted(more)[:3]))
    check(extra <= max_extra, "%s: %d repeated mails, at most %d allowed" % (what, extra,
                                                                           max_extra))
    return len(want)


def weekday_slots(n, hour=9):
    out, d = [], T0.replace(hour=hour)
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d += datetime.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------------------
# The tests

def t_kill9(root, args):
    """kill -9 at random points of checks (SMTP exchanges, ledger commits, feed and page
    writing), each check then run to its end; the delivered set equals a clean run's."""
    per_check = 4 if args.long else 1
    n_kills = 200 if args.long else 30
    times = weekday_slots(n_kills // per_check)
    clean = Env("kill-clean", root)
    clean.setup_sample()
    s1 = Smtpd(clean, clean.p("spool"), delay=0.01)
    clean.write_conf(smtp=s1.smtp)
    durations = []
    for t in times:
        start = time.monotonic()
        rc, err = clean.once(t)
        durations.append(time.monotonic() - start)
        check(rc == 0, "clean check at %s: exit %d\n%s" % (iso(t), rc, err[-2000:]))
    clean_raws = s1.raw_messages()
    clean.stop()

    env = Env("kill", root)
    env.setup_sample()
    s2 = Smtpd(env, env.p("spool"), delay=0.01)
    env.write_conf(smtp=s2.smtp)
    rng = random.Random(args.seed)
    kills = 0
    for t, dur in zip(times, durations):
        for _ in range(per_check):
            p = env.spawn_once(t)
            time.sleep(rng.uniform(0.0, dur * 1.1))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            p.wait()
            p.stderr.close()
            kills += 1
        rc, err = env.once(t)
        check(rc == 0, "check after kill at %s: exit %d\n%s" % (iso(t), rc, err[-2000:]))
    COUNTS["kills"] += kills
    n = compare(clean_raws, s2.raw_messages(), "kill -9", max_extra=kills)
    leftovers = [f for d in (env.feeds, env.pages, env.outbox) if os.path.isdir(d)
                 for f in os.listdir(d) if f.startswith(".") or f.endswith(".tmp")]
    check(not leftovers, "temporary files left behind: %r" % leftovers[:5])
    check(set(env.states()) <= {"sent"}, "ledger states after the last check: %r"
          % env.states())
    env.stop()
    return "%d kills over %d checks, %d notifications compared" % (kills, len(times), n)


def t_two_writers(root, args):
    """kapd checking in a loop (retry passes after a 451 outage, then random temporary
    faults) while kapctl edits and imports: 0 duplicates, 0 busy failures, integrity ok."""
    n_checks = 80 if args.long else 20
    env = Env("writers", root)
    env.setup_sample()
    srv = FaultSmtp(env, env.p("spool"), seed=args.seed, p_fault=0.15, mode="refuse451",
                    unknown=False)
    env.write_conf(smtp=srv.smtp)
    rc, err = env.once(T0)
    check(rc == 0 and set(env.states()) == {"deferred"}, "the outage should defer "
          "everything: %r\n%s" % (env.states(), err[-1500:]))
    add_deferred(env.db, 400 if args.long else 120)
    other = env.p("other.json")
    doc = kaptest.sample_doc()
    with open(other, "w", encoding="utf-8") as f:
        json.dump(prefixed(doc, "w-"), f)
    acts = [k for (k,) in env.query("SELECT key FROM activity WHERE state = 'open'")]
    stop, results = threading.Event(), []

    def writer():
        i = 0
        while not stop.is_set():
            if i % 5 == 4:
                rc, _, err = env.kapctl("import", other)
            else:
                rc, _, err = env.kapctl("edit", "activity", acts[i % len(acts)], "--title",
                                        "Edited %d while kapd retries" % i)
            results.append((rc, err))
            i += 1

    th = threading.Thread(target=writer)
    th.start()
    bad = []
    try:
        t = T0
        for i in range(n_checks):
            t += datetime.timedelta(minutes=6)
            # The server comes back for one check (one long retry pass while kapctl
            # writes), then answers with random temporary faults.
            if i == 2:
                srv.set_mode("ok")
            elif i == 3:
                srv.set_mode("random")
            n0, t0 = len(results), time.monotonic()
            rc, err = env.once(t)
            if os.environ.get("TORTURE_DEBUG"):
                print(i, rc, env.states(), err.count("locked"), len(results) - n0,
                      "%.2f s" % (time.monotonic() - t0), flush=True)
            if rc != 0 or "locked" in err or "busy" in err.lower():
                bad.append((iso(t), rc, err[-500:]))
    finally:
        stop.set()
        th.join()
    srv.set_mode("ok")
    for k in range(6):
        t += datetime.timedelta(hours=2)
        env.once(t)
    ctl_bad = [(rc, e[-300:]) for rc, e in results if rc != 0 or "locked" in e or
               "busy" in e.lower()]
    check(not bad, "kapd failed or saw a busy database: %r" % bad[:3])
    check(not ctl_bad, "kapctl failed or saw a busy database: %r" % ctl_bad[:3])
    got, extra, twice, mails = delivered(srv.raw_messages())
    COUNTS["mails"] += mails
    COUNTS["duplicates"] += extra
    check(extra == 0 and not twice, "duplicates: %d repeated mails, %r" % (extra, twice[:3]))
    states = env.states()
    check(set(states) == {"sent"}, "expected every delivery sent, got %r" % states)
    ids = [r[0] for r in env.query("SELECT message_id FROM delivery")]
    check(mails == len(ids), "%d deliveries in the ledger, %d mails received"
          % (len(ids), mails))
    ok = env.query("PRAGMA integrity_check")
    check(ok == [("ok",)], "integrity_check: %r" % ok)
    env.stop()
    return "%d checks, %d kapctl writes, %d mails, 0 duplicates, 0 busy" % (
        n_checks + 7, len(results), mails)


def add_deferred(db, n):
    """n more deferred deliveries, copies of the first with their own stages: the issue's
    retry pass had hundreds of deferred mails when a kapctl write came."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        d = con.execute("SELECT id, recipient_key, email, mode, slot_at, armed_at, "
                        "local_date, attempts, next_attempt FROM delivery ORDER BY id "
                        "LIMIT 1").fetchone()
        notes = con.execute("SELECT rule, kind, item_key, plan_key, deadline, stage, "
                            "recipient_key, title FROM notification WHERE delivery_id = ?",
                            (d[0],)).fetchall()
        for i in range(n):
            cur = con.execute(
                "INSERT INTO delivery (recipient_key, email, mode, message_id, state, "
                "slot_at, armed_at, local_date, attempts, next_attempt) VALUES "
                "(?, ?, ?, ?, 'deferred', ?, ?, ?, ?, ?)",
                (d[1], d[2], d[3], "torture-%05d-%s" % (i, os.urandom(4).hex()), d[4], d[5],
                 d[6], d[7], d[8]))
            for nt in notes:
                con.execute("INSERT INTO notification (rule, kind, item_key, plan_key, "
                            "deadline, stage, recipient_key, title, delivery_id) VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            nt[:5] + ("%s-t%d" % (nt[5], i),) + nt[6:] + (cur.lastrowid,))
        con.execute("COMMIT")
    finally:
        con.close()


KEYED = ("key", "person", "owner", "substitute", "milestone", "project")


def prefixed(v, prefix):
    if isinstance(v, dict):
        return {k: (prefix + x if k in KEYED and isinstance(x, str) else prefixed(x, prefix))
                for k, x in v.items()}
    if isinstance(v, list):
        return [prefixed(x, prefix) for x in v]
    return v


def outage_series(hours, after_hours):
    step = datetime.timedelta(minutes=15)
    n_out = int(hours * 4)
    n_all = n_out + int(after_hours * 4)
    return [T0 + i * step for i in range(n_all)], n_out


def run_series(env, times, n_down, up_server, limit_s):
    """Checks at times; the SMTP server refuses connections for the first n_down.
    Returns deliveries that failed before their limit."""
    early = set()
    dead = ("smtp://127.0.0.1:%d" % test_smtp.free_port(), test_smtp.USER)
    for i, t in enumerate(times):
        env.write_conf(smtp=dead if i < n_down else up_server.smtp,
                       delivery='give_up_after = "%ds";' % limit_s)
        rc, err = env.once(t)
        check(rc == 0, "check at %s: exit %d\n%s" % (iso(t), rc, err[-1500:]))
        for r in env.query("SELECT id FROM delivery WHERE state = 'failed' AND ? - armed_at "
                           "< ?", (int(t.timestamp()), limit_s)):
            early.add(r[0])
    return early


def t_outage(root, args, hours):
    """An outage of `hours` with checks every 15 minutes, then 3 hours of a working
    server: everything exactly once, nothing failed (the limit is 4 days)."""
    times, n_down = outage_series(hours, 3)
    limit = 4 * 86400
    clean = Env("outage-%g-clean" % hours, root)
    clean.setup_sample()
    s1 = Smtpd(clean, clean.p("spool"))
    run_series(clean, times, 0, s1, limit)
    clean_raws = s1.raw_messages()
    clean.stop()
    env = Env("outage-%g" % hours, root)
    env.setup_sample()
    s2 = Smtpd(env, env.p("spool"))
    early = run_series(env, times, n_down, s2, limit)
    check(not early, "deliveries failed before the limit: %r" % sorted(early)[:5])
    states = env.states()
    check(set(states) == {"sent"}, "after the outage: %r" % states)
    n = compare(clean_raws, s2.raw_messages(), "outage of %g h" % hours, max_extra=0)
    env.stop()
    return "%d checks, %d notifications, all sent once" % (len(times), n)


def t_give_up(root, args):
    """An outage just past the limit: the mails of the first check are given up after
    the limit, not before; everything later arrives once the server is back."""
    limit_h = 96 if args.long else 8
    times, n_down = outage_series(limit_h + 1, 2)
    env = Env("give-up", root)
    env.setup_sample()
    s = Smtpd(env, env.p("spool"))
    early = run_series(env, times, n_down, s, limit_h * 3600)
    check(not early, "deliveries failed before the limit: %r" % sorted(early)[:5])
    first = env.query("SELECT state, attempts FROM delivery WHERE armed_at = ?",
                      (int(T0.timestamp()),))
    check(first and all(st == "failed" for st, _ in first),
          "expected the first check's mails given up just past the limit: %r" % first)
    check(all(a >= limit_h // 2 for _, a in first), "too few attempts: %r" % first)
    later = env.states()
    check(later.get("deferred", 0) == 0 and later.get("sending", 0) == 0,
          "mails still waiting after recovery: %r" % later)
    got, extra, twice, mails = delivered(s.raw_messages())
    COUNTS["mails"] += mails
    check(extra == 0 and not twice, "duplicates after recovery")
    env.stop()
    return "limit %d h, %d given up after it, %d mails after recovery" % (
        limit_h, len(first), mails)


def can_mount(root):
    d = os.path.join(root, "mount-probe")
    os.makedirs(d)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d],
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        return False
    subprocess.run(["umount", d])
    return True


def mount_tmpfs(path, size="1m"):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                   check=True)


def remount(path, mode):
    subprocess.run(["mount", "-o", "remount,%s" % mode, path], check=True)


def fill(path):
    """Fills the file system of path; returns the filler to remove."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def t_disk(root, args):
    """Outbox, feeds, pages and database on a full or read-only tmpfs: the check defers
    or fails without losing anything, and recovers once the disk is fixed."""
    if os.geteuid() != 0 or not can_mount(root):
        print("NOTE: disk-fault torture skipped: mounting a tmpfs is not permitted here",
              flush=True)
        return None
    mounts = []
    try:
        clean = Env("disk-clean", root)
        clean.setup_sample()
        clean.write_conf()
        slots = [T0, T0 + datetime.timedelta(minutes=10), T0 + datetime.timedelta(hours=3)]
        for t in slots:
            clean.once(t)
        clean_raws = outbox_messages(clean)
        results = []
        for case in ("outbox-ro", "outbox-full", "feeds-ro", "pages-full", "db-full",
                     "db-ro"):
            env = Env("disk-" + case, root)
            env.setup_sample()
            env.write_conf()
            what, how = case.split("-")
            target = {"outbox": env.outbox, "feeds": env.feeds, "pages": env.pages,
                      "db": env.p("dbdir")}[what]
            if what == "db":
                mount_tmpfs(target, "2m")
                mounts.append(target)
                shutil.copy(env.db, os.path.join(target, "kap.db"))
                env.db = os.path.join(target, "kap.db")
                env.write_conf()
            else:
                mount_tmpfs(target, "256k")
                mounts.append(target)
            filler = None
            if how == "ro":
                remount(target, "ro")
            else:
                filler = fill(target)
            rc, err = env.once(slots[0])
            if what in ("outbox",):
                check(rc == 0 and set(env.states()) == {"deferred"},
                      "%s: expected everything deferred: rc %d, %r" % (case, rc, env.states()))
            if how == "ro":
                remount(target, "rw")
            else:
                os.unlink(filler)
            for t in slots[1:]:
                rc, err = env.once(t)
                check(rc == 0, "%s: check after the fix: exit %d\n%s" % (case, rc,
                                                                       err[-1500:]))
            check(set(env.states()) == {"sent"}, "%s: after the fix %r" % (case,
                                                                          env.states()))
            compare(clean_raws, outbox_messages(env), case, max_extra=1)
            if what in ("feeds", "pages"):
                check(any(f.endswith(".ics" if what == "feeds" else ".html")
                          for f in os.listdir(target)), "%s: nothing written after the fix"
                      % case)
            results.append(case)
        return "recovered from " + ", ".join(results)
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)


# Text an import accepts (no control characters) but that means something to a mail
# header, a calendar, an HTML page or a terminal.
VALID_HOSTILE = ("</script><script>alert(1)</script> =?utf-8?q?Bcc:_evil@attacker.example?="
                 " END:VEVENT; a,b\\n \"q\" \u202eevil\u202c %s %n")
# Text only a damaged or foreign database holds: controls that would split lines.
RAW_HOSTILE = {
    "name": "Eve\r\nBcc: evil@attacker.example\x1b[2J\u202e",
    "title": "Item\r\nX-Injected: yes\r\n\r\nBEGIN:VEVENT\x07\x1b]0;pwned\x07",
}


def hostile_doc():
    doc = kaptest.sample_doc()
    for acc in doc["accounts"]:
        acc["name"] = VALID_HOSTILE + acc["name"]
        for plan in acc.get("plans", []):
            plan["title"] = VALID_HOSTILE + plan["title"]
            for kind in ("milestones", "activities"):
                for it in plan.get(kind, []):
                    it["title"] = VALID_HOSTILE + it["title"]
    for person in doc.get("people", []):
        person["name"] = VALID_HOSTILE[:60] + person["name"]
    return doc


def check_outputs(env, err, min_mails):
    for bad in ("\r", "\x1b", "\x07", "\u202e", "\u2028"):
        check(bad not in err, "a raw %r reached the log" % bad)
    check(not any(line.startswith(("Bcc", "X-Injected")) for line in err.split("\n")),
          "a forged log line")
    mails = outbox_messages(env)
    check(len(mails) >= min_mails, "%d mails written, expected %d; kapd said:\n%s"
          % (len(mails), min_mails, err[-2000:]))
    for raw in mails:
        for line in raw.split(b"\r\n"):
            check(b"\n" not in line and b"\r" not in line, "a bare CR or LF in a mail")
        msg = email.message_from_bytes(raw, policy=policy.default)
        names = {k.lower() for k in msg.keys()}
        check("bcc" not in names and "x-injected" not in names,
              "an injected header: %r" % sorted(names))
        check(len(msg["To"].addresses) == 1, "more than one recipient")
    COUNTS["mails"] += len(mails)
    icals = [f for f in os.listdir(env.feeds) if f.endswith(".ics")]
    check(icals, "no feed was written")
    for f in icals:
        with open(os.path.join(env.feeds, f), "rb") as fh:
            data = fh.read()
        check(b"\x1b" not in data and b"\x07" not in data, "a control character in a feed")
        lines = data.split(b"\r\n")
        check(sum(l == b"BEGIN:VCALENDAR" for l in lines) == 1, "a second calendar")
        check(sum(l == b"BEGIN:VEVENT" for l in lines) == sum(l == b"END:VEVENT"
                                                             for l in lines),
              "unbalanced events")
        check(not any(l.startswith(b"X-INJECTED") or l == b"END:VEVENT;" for l in lines),
              "a forged calendar line")
        try:
            import icalendar
        except ImportError:
            icalendar = None
        if icalendar is not None:
            icalendar.Calendar.from_ical(data)
    pages = [f for f in os.listdir(env.pages) if f.endswith(".html")]
    for f in pages:
        with open(os.path.join(env.pages, f), encoding="utf-8") as fh:
            check("<script>alert" not in fh.read(), "a script injected into a page")
    return len(mails), len(icals), len(pages)


def t_hostile(root, args):
    """Hostile text in every field that reaches a mail, a feed, a page or a log line:
    no injected header, recipient, calendar line, script or log line.  Imported text
    (markup, encoded-word look-alikes, bidi controls) is mailed safely; raw controls
    planted in the database make kapd refuse that one mail, never split a line."""
    env = Env("hostile", root)
    rc, _, err = env.kapctl("init")
    path = env.p("hostile.json")
    kaptest.write_json(path, hostile_doc())
    rc, _, err = env.kapctl("import", path)
    check(rc == 0, "the import refused valid hostile text: %s" % err[-1500:])
    rc, err = env.once(T0)
    check(rc == 0, "check with hostile text: exit %d\n%s" % (rc, err[-2000:]))
    m1 = check_outputs(env, err, 3)
    con = sqlite3.connect(env.db)
    with con:
        con.execute("UPDATE person SET name = ? WHERE id = (SELECT min(id) FROM person "
                    "WHERE email IS NOT NULL)", (RAW_HOSTILE["name"],))
        con.execute("UPDATE activity SET title = ? WHERE id = (SELECT min(id) FROM "
                    "activity WHERE state = 'open')", (RAW_HOSTILE["title"],))
    con.close()
    rc, err = env.once(T0 + datetime.timedelta(days=1))
    check(rc == 0, "check with raw controls in the database: exit %d\n%s"
          % (rc, err[-2000:]))
    m2 = check_outputs(env, err, m1[0] + 1)
    env.stop()
    return "%d mails, %d feeds, %d pages clean; then with raw controls %d mails" % (
        m1 + (m2[0] - m1[0],))


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="kapd torture suite")
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("TORTURE_SEED", "10")))
    ap.add_argument("-k", action="append", default=[], help="run tests whose name has this")
    args = ap.parse_args()
    for b in (kaptest.KAPD, kaptest.KAPCTL):
        if not os.access(b, os.X_OK):
            sys.stderr.write("torture.py: %s is not built\n" % b)
            return 2
    why = test_smtp.have_tools()
    if why:
        sys.stderr.write("torture.py: %s\n" % why)
        return 2
    tests = [("kill -9", t_kill9), ("two writers", t_two_writers),
             ("outage 1 h", lambda r, a: t_outage(r, a, 1)),
             ("outage 30 h", lambda r, a: t_outage(r, a, 30))]
    if args.long:
        tests.append(("outage 95 h", lambda r, a: t_outage(r, a, 95)))
    tests += [("give up past the limit", t_give_up), ("disk faults", t_disk),
              ("hostile text", t_hostile)]
    if args.k:
        tests = [t for t in tests if any(k in t[0] for k in args.k)]
    root = tempfile.mkdtemp(prefix="kapd-torture-")
    passed = failed = 0
    start = time.monotonic()
    print("kapd torture (%s, seed %d) against %s" % ("long" if args.long else "short",
                                                     args.seed, kaptest.BUILD), flush=True)
    try:
        for name, fn in tests:
            t = time.monotonic()
            try:
                detail = fn(root, args)
            except Failure as e:
                failed += 1
                print("FAIL  %-24s %s" % (name, e), flush=True)
                continue
            except Exception:
                failed += 1
                print("FAIL  %-24s %s" % (name, traceback.format_exc()), flush=True)
                continue
            if detail is None:
                print("SKIP  %s" % name, flush=True)
                continue
            passed += 1
            print("ok    %-24s %s (%.1f s)" % (name, detail, time.monotonic() - t), flush=True)
    finally:
        shutil.rmtree(root, True)
    print("torture took %.1f s" % (time.monotonic() - start))
    print("torture: %d passed, %d failed; kills %d, mails %d, duplicates %d, lost %d"
          % (passed, failed, COUNTS["kills"], COUNTS["mails"], COUNTS["duplicates"],
             COUNTS["lost"]), flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
