#!/usr/bin/python3
"""make bench, calendar feeds: one feed of 100,000 events written by kapd, side by side with
Debian's python3-icalendar writing the same events, plus the time of a check that finds
nothing changed.

Usage: tests/bench/feeds.py [BUILD_DIR] [--events N] [--runs N] [--no-python]

A benchmark, not a test: it exits 0 whatever the numbers (non-zero only when it cannot
measure) and prints PASS or FAIL per target.  Results also go to
BUILD_DIR/bench/feeds-results.json.

The data: one active plan with N milestones and activities (10% milestones; titles with
umlauts, CJK and emoji, commas and semicolons; deadlines over two years; 5% done within
the grace period; no owner, so that the plan's feed is the one big feed), written straight
into a fresh database with Python's sqlite3.  Every program runs under
BUILD_DIR/bench/measure (wall time, peak RSS of the program itself).

  first   kapd --once on the fresh database: creates the feed tokens, records the N
          events' SEQUENCE rows, writes the feed (streamed event by event with libical).
  same    kapd --once again, nothing changed: reads the plan and compares digests; the
          file must keep its mtime.
  change  one activity's title changed: kapd --once rewrites the feed.
  python  python3-icalendar: reads the same rows and writes the same events (same
          properties and texts) as one Calendar, the way a Python program would.

  libical BUILD_DIR/bench/icalwriter (tests/bench/icalwriter.c): reads the same rows and
          writes the same events with libical, one VEVENT component serialized and freed
          per event: the plain C way, without kapd's tokens, SEQUENCE rows and digests.

Targets: first at least 20x faster than python (issue 5), first at most 2x the libical
writer (issue 15), kapd's peak RSS under 32 MiB.
"""

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTANT = "2026-12-01T09:00:00+01:00"
LATER = "2026-12-01T09:15:00+01:00"
CHANGED = "2026-12-01T09:30:00+01:00"
DOMAIN = "bench.example"
TARGET_RATIO = 20.0
TARGET_LIBICAL = 2.0    # kapd's first check / the libical writer, at most
TARGET_RSS_MIB = 32.0

WORDS = ["Angebot", "Übergabe", "Rahmenvertrag", "Wartung", "工厂验收", "Schulung", "Audit",
         "retrofit", "Ersatzteile", "größer", "Prüfung", "follow-up", "😀", "🚀", "Linie 3"]


def log(msg):
    print(msg, flush=True)


def make_db(build, db, n, seed=1):
    if os.path.exists(db):
        os.unlink(db)
    conf = os.path.join(os.path.dirname(db), "init.conf")
    with open(conf, "w") as f:
        f.write('database = "%s";\n' % db)
    subprocess.run([os.path.join(build, "kapctl"), "-c", conf, "init"], check=True,
                   stdout=subprocess.DEVNULL)
    rng = random.Random(seed)
    base = datetime.date(2026, 12, 1)
    con = sqlite3.connect(db)
    con.execute("INSERT INTO person (id, key, name, language) VALUES (1, 'p-kam', 'Anna Weber',"
                " 'en')")
    con.execute("INSERT INTO account (id, key, name) VALUES (1, 'acc', 'Kessler AG')")
    con.execute("INSERT INTO plan (id, account_id, key, title, language, timezone, next_review)"
                " VALUES (1, 1, 'bench', 'Kessler, 2027; all lines', 'en', 'Europe/Berlin',"
                " '2027-03-01')")
    con.execute("INSERT INTO team_member (plan_id, person_id, role) VALUES (1, 1, 'kam')")
    n_ms = n // 10
    rows = {"milestone": [], "activity": []}
    for i in range(n):
        kind = "milestone" if i < n_ms else "activity"
        due = base + datetime.timedelta(days=rng.randint(-365, 365))
        title = "%s %s, %s; Nr. %d" % (rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS),
                                       i)
        state, done_on = "open", None
        if rng.random() < 0.05:
            state, done_on = "done", (base - datetime.timedelta(days=rng.randint(0, 20))).isoformat()
        rows[kind].append(("%s-%06d" % (kind[0], i), 1, i, title, due.isoformat(), state, done_on,
                           "2026-11-20T10:00:00Z"))
    for kind, r in rows.items():
        con.executemany("INSERT INTO %s (key, plan_id, position, title, due, state, done_on, "
                        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)" % kind, r)
    con.commit()
    con.close()


def write_conf(path, db, feeds):
    with open(path, "w") as f:
        f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                'mail = { transport = "file"; directory = "%s"; '
                'from = "kapd <kapd@bench.example>"; };\n'
                'feeds = { directory = "%s"; domain = "%s"; };\n'
                % (db, os.path.join(os.path.dirname(db), "outbox"), feeds, DOMAIN))


def measure(build, argv):
    """(wall s, peak RSS MiB) of argv, run under BUILD_DIR/bench/measure."""
    res = tempfile.mktemp(prefix="kapd-bench-")
    p = subprocess.run([os.path.join(build, "bench", "measure"), res] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s" % (argv[0], p.returncode,
                                                 p.stderr.decode()[-2000:]))
    with open(res) as f:
        wall, rss, user, sys_s, status = f.read().split()
    os.unlink(res)
    return float(wall), int(rss) / 1024.0


# -- the Python side ------------------------------------------------------------------

def python_writer(db, out):
    """Writes the plan's events with python3-icalendar: the same properties and texts as
    kapd's English feed (see daemon/core/ics.c)."""
    from icalendar import Calendar, Event, vDuration
    con = sqlite3.connect(db)
    plan_key, plan_title, review = con.execute(
        "SELECT key, title, next_review FROM plan WHERE id = 1").fetchone()
    cal = Calendar()
    cal.add("version", "2.0")
    cal.add("prodid", "-//kapd//kapd calendar feed//EN")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", plan_title)
    cal.add("x-wr-calname", plan_title)
    cal.add("x-wr-timezone", "Europe/Berlin")
    cal.add("refresh-interval", vDuration(datetime.timedelta(hours=1)),
            parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(datetime.timedelta(hours=1)))
    first = (datetime.date(2026, 12, 1) - datetime.timedelta(days=29)).isoformat()
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    def day(d):
        return "%d %s %04d" % (d.day, months[d.month - 1], d.year)

    def add(kind, category, key, title, due, state, done_on, updated, owner=None):
        due = datetime.date.fromisoformat(due)
        stamp = datetime.datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        ev = Event()
        ev.add("uid", "%s-%s@%s" % (kind, key, DOMAIN))
        ev.add("dtstamp", stamp)
        ev.add("dtstart", due)
        ev.add("dtend", due + datetime.timedelta(days=1))
        prefix = "Done: " if state == "done" else ""
        ev.add("summary", prefix + ("Annual update: " if kind == "review" else "") + title)
        st = "done on " + day(datetime.date.fromisoformat(done_on)) if state == "done" \
            else "open"
        ev.add("description", "Owner: %s\nPlan: %s\nState: %s\nDeadline: %s\nKey: %s"
               % (owner or "not assigned", plan_title, st, day(due), key))
        ev.add("categories", [category])
        ev.add("status", "CONFIRMED")
        ev.add("sequence", 0)
        ev.add("last-modified", stamp)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)

    updated = con.execute("SELECT updated_at FROM plan WHERE id = 1").fetchone()[0]
    kam = con.execute("SELECT name FROM person WHERE id = 1").fetchone()[0]
    add("review", "Annual update", plan_key, plan_title, review, "open", None, updated, kam)
    for kind, category in (("milestone", "Milestone"), ("activity", "Activity")):
        for row in con.execute("SELECT key, title, due, state, done_on, updated_at FROM %s "
                               "WHERE plan_id = 1 AND (state = 'open' OR coalesce(done_on, "
                               "substr(updated_at, 1, 10)) >= ?) ORDER BY position, id"
                               % kind, (first,)):
            add(kind, category, *row)
    with open(out, "wb") as f:
        f.write(cal.to_ical())
    con.close()


# ---------------------------------------------------------------------------------------

def count_events(path):
    with open(path, "rb") as f:
        return f.read().count(b"BEGIN:VEVENT\r\n")


def feed_file(feeds):
    big = [os.path.join(feeds, n) for n in os.listdir(feeds) if n.endswith(".ics")]
    return max(big, key=os.path.getsize)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3, help="kapd runs per measure (best of)")
    ap.add_argument("--no-python", action="store_true")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    kapd = os.path.join(build, "kapd")
    if not os.access(os.path.join(build, "bench", "measure"), os.X_OK):
        sys.exit("bench: %s/bench/measure is missing (make bench builds it)" % build)
    work = os.path.join(build, "bench", "feeds-%d" % a.events)
    os.makedirs(work, exist_ok=True)
    seed_db = os.path.join(work, "seed.db")
    db = os.path.join(work, "kapd.db")
    feeds = os.path.join(work, "feeds")
    conf = os.path.join(work, "kapd.conf")
    write_conf(conf, db, feeds)
    log("== calendar feeds: one feed of %d events (%s, %s, %d cores)" % (
        a.events, platform.machine(), platform.python_version(), os.cpu_count() or 0))
    make_db(build, seed_db, a.events)

    results = {"events": a.events}
    first, same, change = [], [], []
    for run in range(a.runs):
        shutil.copyfile(seed_db, db)
        shutil.rmtree(feeds, ignore_errors=True)
        first.append(measure(build, [kapd, "-c", conf, "--once", "--now", INSTANT]))
        path = feed_file(feeds)
        mtime = os.stat(path).st_mtime_ns
        same.append(measure(build, [kapd, "-c", conf, "--once", "--now", LATER]))
        if os.stat(path).st_mtime_ns != mtime:
            sys.exit("bench: the unchanged check rewrote the feed")
        con = sqlite3.connect(db)
        con.execute("UPDATE activity SET title = 'Changed title %d' WHERE id = "
                    "(SELECT max(id) FROM activity)" % run)
        con.commit()
        con.close()
        change.append(measure(build, [kapd, "-c", conf, "--once", "--now", CHANGED]))
        if os.stat(path).st_mtime_ns == mtime:
            sys.exit("bench: the changed activity did not rewrite the feed")
    n = count_events(path)
    size = os.path.getsize(path)
    best = lambda xs: min(xs, key=lambda x: x[0])  # noqa: E731
    peak = max(r for _, r in first + same + change)
    results.update({"kapd_first_s": best(first)[0], "kapd_same_s": best(same)[0],
                    "kapd_change_s": best(change)[0], "kapd_peak_rss_mib": peak,
                    "feed_events": n, "feed_bytes": size})
    log("kapd, first check (tokens, %d SEQUENCE rows, the feed): %.2f s" % (n, best(first)[0]))
    log("kapd, check with nothing changed:                     %.3f s (file untouched)"
        % best(same)[0])
    log("kapd, check after one activity changed (rewrite):     %.2f s" % best(change)[0])
    log("kapd, peak RSS of all its runs:                       %.1f MiB" % peak)
    log("feed: %d events, %.1f MiB, %.0f bytes per event" % (n, size / 2**20, size / max(n, 1)))

    icalwriter = os.path.join(build, "bench", "icalwriter")
    if os.access(icalwriter, os.X_OK):
        out = os.path.join(work, "libical.ics")
        lw = [measure(build, [icalwriter, db, out]) for _ in range(a.runs)]
        ln = count_events(out)
        if ln != n:
            log("WARNING: the libical writer wrote %d events, kapd %d" % (ln, n))
        lratio = best(first)[0] / best(lw)[0]
        results.update({"libical_s": best(lw)[0], "libical_events": ln,
                        "ratio_libical": lratio, "target_libical": TARGET_LIBICAL,
                        "pass_libical": lratio <= TARGET_LIBICAL})
        log("libical event by event (tests/bench/icalwriter.c):    %.2f s" % best(lw)[0])
        log("%s  kapd's first check is %.2fx the libical writer (target <= %.0fx)" % (
            "PASS" if lratio <= TARGET_LIBICAL else "FAIL", lratio, TARGET_LIBICAL))
    else:
        log("FAIL  %s is missing (make bench builds it): no libical comparison" % icalwriter)
    results.update({"peak_rss_target_mib": TARGET_RSS_MIB})

    if not a.no_python:
        out = os.path.join(work, "python.ics")
        wall, rss = measure(build, [sys.executable or "/usr/bin/python3", __file__,
                                    "--python-writer", db, out])
        pn = count_events(out)
        if pn != n:
            log("WARNING: python wrote %d events, kapd %d" % (pn, n))
        ratio = wall / best(first)[0]
        results.update({"python_s": wall, "python_peak_rss_mib": rss, "python_events": pn,
                        "ratio_first": ratio, "ratio_change": wall / best(change)[0]})
        log("python3-icalendar, the same events:                   %.2f s, peak RSS %.0f MiB"
            % (wall, rss))
        log("%s  kapd's first check is %.1fx faster than python3-icalendar (target >= %.0fx; "
            "rewrite after a change: %.1fx)" % ("PASS" if ratio >= TARGET_RATIO else "FAIL",
                                                ratio, TARGET_RATIO, results["ratio_change"]))
    log("%s  kapd's peak RSS %.1f MiB (target < %.0f MiB)" % (
        "PASS" if peak < TARGET_RSS_MIB else "FAIL", peak, TARGET_RSS_MIB))
    with open(os.path.join(build, "bench", "feeds-results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--python-writer":
        python_writer(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(main())
