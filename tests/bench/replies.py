#!/usr/bin/python3
"""make bench, replies: what 1,000 waiting replies add to a check (SPEC §8, target < 2 s).

Usage: tests/bench/replies.py [BUILD_DIR] [--replies N] [--runs N]

A benchmark, not a test: it exits 0 whatever the numbers (non-zero only when it cannot
measure) and prints PASS or FAIL.  The sample plan is imported, a first check at Tuesday
09:00 (Berlin) mails the team with reply keys; then N replies from the right senders,
each moving a deadline of an item of its mail ("date KEY DATE" above a quoted original),
wait in a maildir.  Measured: kapd --once at 09:30 with the N replies waiting, against
the same check with the maildir empty (both on copies of the same database, the median
of --runs).  Answers go to the file transport (answers_per_hour limits them as it would
in production)."""

import argparse
import email
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email import policy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ADDRESS = "kap+{key}@supplier.example"


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("%s: exit %d\n%s" % (" ".join(argv), p.returncode, p.stderr.decode()[-2000:]))
    return p


def setup(build, d):
    conf = os.path.join(d, "kapd.conf")
    maildir = os.path.join(d, "replies")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    with open(conf, "w") as f:
        f.write('database = "%s/kapd.db";\ntimezone = "Europe/Berlin";\n'
                'mail = { transport = "file"; directory = "%s/outbox"; '
                'from = "kapd <kapd@supplier.example>"; };\n'
                'feeds = { directory = "%s/feeds"; };\npages = { directory = "%s/pages"; };\n'
                'replies = { source = "maildir"; maildir = "%s"; address = "%s"; };\n'
                % (d, d, d, d, maildir, ADDRESS))
    sample = os.path.join(d, "sample.json")
    with open(sample, "w") as f:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "demo", "sample.py")],
                       stdout=f, check=True)
    kapctl = [os.path.join(build, "kapctl"), "-c", conf]
    run(kapctl + ["init"])
    run(kapctl + ["import", sample])
    run([os.path.join(build, "kapd"), "-c", conf, "--once", "--now",
         "2026-12-01T09:00:00+01:00"])
    return conf, maildir


def replies(d, maildir, n):
    """N replies to the mails in the outbox, round robin."""
    mails = []
    for name in sorted(os.listdir(os.path.join(d, "outbox"))):
        with open(os.path.join(d, "outbox", name), "rb") as f:
            m = email.message_from_binary_file(f, policy=policy.default)
        items = [str(h).split(";")[0].strip() for h in m.get_all("X-KAP-Item", [])
                 if re.search(r"rule=(overdue|upcoming|due|escalation|sponsor)\b", str(h))]
        if items:
            mails.append((m, items))
    for i in range(n):
        m, items = mails[i % len(mails)]
        day = "%04d-%02d-%02d" % (2027 + i // 336, 1 + (i // 28) % 12, 1 + i % 28)
        msg = email.message.EmailMessage()
        msg["From"], msg["To"] = str(m["To"]), str(m["Reply-To"])
        msg["Subject"], msg["In-Reply-To"] = "Re: " + str(m["Subject"]), m["Message-ID"]
        msg["Message-ID"] = "<bench-%d@client.example>" % i
        msg.set_content("date %s %s\n\nOn Tue, 1 Dec 2026 at 09:00, kapd wrote:\n> %s\n"
                        % (items[i % len(items)], day, "quoted original " * 20))
        with open(os.path.join(maildir, "new", "%d.bench%05d.host" % (1796000000, i)),
                  "wb") as f:
            f.write(msg.as_bytes())


def timed(build, conf):
    start = time.monotonic()
    run([os.path.join(build, "kapd"), "-c", conf, "--once", "--now",
         "2026-12-01T09:30:00+01:00"])
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--replies", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    base = tempfile.mkdtemp(prefix="kapd-bench-replies-")
    try:
        master = os.path.join(base, "master")
        os.makedirs(master)
        conf, maildir = setup(build, master)
        with_r, without = [], []
        for k in range(a.runs):
            for label, n, out in (("empty", 0, without), ("waiting", a.replies, with_r)):
                d = os.path.join(base, "%s-%d" % (label, k))
                shutil.copytree(master, d)
                c = os.path.join(d, "kapd.conf")
                with open(c) as f:
                    text = f.read().replace(master, d)
                with open(c, "w") as f:
                    f.write(text)
                md = os.path.join(d, "replies")
                if n:
                    replies(d, md, n)
                out.append(timed(build, c))
                if n and os.listdir(os.path.join(md, "new")):
                    sys.exit("replies left unread: %d" % len(os.listdir(os.path.join(md, "new"))))
        added = statistics.median(with_r) - statistics.median(without)
        print("replies: check with %d replies waiting %.2f s, without %.2f s (median of %d): "
              "%.2f s added, %.2f ms a reply; target < 2 s: %s"
              % (a.replies, statistics.median(with_r), statistics.median(without), a.runs,
                 added, 1000 * added / a.replies, "PASS" if added < 2 else "FAIL"))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
