#!/usr/bin/python3
"""make bench, SMTP part: 1,000 digests to a local sink, kapd against msmtp.

Usage: tests/bench/smtp.py [BUILD_DIR] [--people N] [--keep]

A benchmark, not a test: it exits 0 whatever the numbers (non-zero only when it cannot
measure at all) and prints PASS or FAIL for the target.  Results also go to
BUILD_DIR/bench/smtp-results.json.

The sink is tests/integration/smtpd.py (Debian's aiosmtpd) on loopback with STARTTLS
required and AUTH, a certificate from a test CA made here with openssl, and it saves every
message.  A plan with N people, each owning an activity due on the benchmark day, gives
one digest per person at the 09:00 slot.

  kapd    kapd --once --now INSTANT with mail.transport = "smtp": the whole check
          (decision, composition, the ledger's sending/sent rows with synchronous=FULL)
          over one reused connection.
  msmtp   msmtp started once per message (what a cron script does), sending the very
          messages kapd produced, each with its own connection, STARTTLS and AUTH.

Target (issue 4, item 7): kapd at least 20x faster than msmtp, measured side by side.
For information, kapd runs once more with its database in /dev/shm: the difference is
what the ledger's two synchronous commits per mail (sending, then sent) cost on this disk.
"""

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMTPD = os.path.join(ROOT, "tests", "integration", "smtpd.py")
PY = "/usr/bin/python3"
NOW = "2026-12-01T09:00:00+01:00"  # a Tuesday
DAY = "2026-12-01"
SENDER = "kapd@supplier.example"
USER = "bench"
PASSWORD = "bench-password"
TARGET = 20.0


def die(msg):
    sys.stderr.write("smtp.py: %s\n" % msg)
    sys.exit(1)


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        die("%s failed (%d): %s" % (" ".join(argv[:3]), p.returncode,
                                    p.stderr.decode("utf-8", "replace")[-2000:]))
    return p


def make_certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=kapd bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run(["openssl", "req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1"], cwd=d)
    run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
        cwd=d)


def document(n):
    """One plan; a KAM and n members, each owning one activity due on DAY."""
    people = [{"key": "p-kam", "name": "Kim Kam", "email": "kam@customer.example",
               "language": "en", "timezone": "Europe/Berlin", "notify": "digest"}]
    team = [{"person": "p-kam", "role": "kam"}]
    acts = []
    for i in range(n):
        key = "p-%04d" % i
        people.append({"key": key, "name": "Person %d Müller" % i,
                       "email": "person%d@customer.example" % i, "language": "en",
                       "timezone": "Europe/Berlin", "notify": "digest"})
        team.append({"person": key, "role": "member"})
        acts.append({"key": "a-%04d" % i, "title": "Activity %d: prepare the offer" % i,
                     "owner": key, "due": DAY})
    plan = {"key": "bench-plan", "title": "Bench plan", "state": "active",
            "last_review": "2026-06-01", "team": team, "activities": acts}
    return {"format": "kapd-plan/1", "people": people,
            "accounts": [{"key": "bench", "name": "Bench customer", "plans": [plan]}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    def __init__(self, tmp, spool):
        self.spool = spool
        self.proc = subprocess.Popen(
            [PY, SMTPD, "--spool", spool, "--cert", os.path.join(tmp, "server.pem"),
             "--key", os.path.join(tmp, "server.key"), "--user", USER,
             "--password-file", os.path.join(tmp, "password")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            die("the sink did not start: %s" % self.proc.stderr.read().decode()[-2000:])
        self.port = int(line)

    def events(self, kind):
        with open(os.path.join(self.spool, "events.jsonl"), encoding="utf-8") as f:
            return [e for e in map(json.loads, f) if e["ev"] == kind]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def bench_kapd(build, tmp, sink, db):
    conf = os.path.join(tmp, "kapd.conf")
    with open(conf, "w") as f:
        f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                'mail = { transport = "smtp"; url = "smtp://127.0.0.1:%d"; user = "%s";\n'
                '  password_file = "%s"; ca_file = "%s"; from = "Bench <%s>"; };\n'
                % (db, sink.port, USER, os.path.join(tmp, "password"),
                   os.path.join(tmp, "ca.pem"), SENDER))
    start = time.monotonic()
    run([os.path.join(build, "kapd"), "-c", conf, "--once", "--now", NOW])
    took = time.monotonic() - start
    con = sqlite3.connect(db)
    states = dict(con.execute("SELECT state, count(*) FROM delivery GROUP BY state"))
    con.close()
    return took, states


def bench_msmtp(tmp, sink, messages):
    rc = os.path.join(tmp, "msmtprc")
    fd = os.open(rc, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("defaults\ntls on\ntls_starttls on\ntls_trust_file %s\nauth on\n"
                "account bench\nhost 127.0.0.1\nport %d\nuser %s\npassword %s\nfrom %s\n"
                "account default : bench\n"
                % (os.path.join(tmp, "ca.pem"), sink.port, USER, PASSWORD, SENDER))
    start = time.monotonic()
    for rcpt, raw in messages:
        p = subprocess.run(["msmtp", "-C", rc, "-f", SENDER, rcpt], input=raw,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode != 0:
            die("msmtp failed (%d): %s" % (p.returncode, p.stderr.decode()[-1000:]))
    return time.monotonic() - start


def bench_shm(build, tmp):
    """kapd again with the database in /dev/shm: how much of its time the ledger's
    synchronous commits on the disk take.  None without /dev/shm."""
    if not os.path.isdir("/dev/shm"):
        return None
    shm = tempfile.mkdtemp(prefix="kapd-bench-smtp-", dir="/dev/shm")
    try:
        db = os.path.join(shm, "kap.db")
        shutil.copy(os.path.join(tmp, "fresh.db"), db)
        sink = Sink(tmp, os.path.join(tmp, "spool-shm"))
        try:
            took, states = bench_kapd(build, tmp, sink, db)
        finally:
            sink.stop()
        return took if list(states) == ["sent"] else None
    finally:
        shutil.rmtree(shm, True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", nargs="?", default="build")
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    for tool in ("openssl", "msmtp"):
        if shutil.which(tool) is None:
            die("%s is not installed (make bench installs it)" % tool)
    tmp = tempfile.mkdtemp(prefix="kapd-bench-smtp-")
    try:
        return measure(build, tmp, args.people)
    finally:
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, True)


def measure(build, tmp, people):
    make_certs(tmp)
    with open(os.path.join(tmp, "password"), "w") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(PASSWORD + "\n")
    doc = os.path.join(tmp, "doc.json")
    with open(doc, "w", encoding="utf-8") as f:
        json.dump(document(people), f, ensure_ascii=False)
    kapctl = [os.path.join(build, "kapctl"), "-c", "/dev/null", "--db",
              os.path.join(tmp, "kap.db")]
    run(kapctl + ["init"])
    run(kapctl + ["import", doc])
    shutil.copy(os.path.join(tmp, "kap.db"), os.path.join(tmp, "fresh.db"))

    sink = Sink(tmp, os.path.join(tmp, "spool-kapd"))
    try:
        kapd_s, states = bench_kapd(build, tmp, sink, os.path.join(tmp, "kap.db"))
        received = sink.events("message")
        connections = len(sink.events("connect"))
    finally:
        sink.stop()
    n = len(received)
    if n == 0 or states != {"sent": n}:
        die("kapd did not send everything: ledger %r, sink received %d" % (states, n))
    messages = []
    for e in received:
        with open(os.path.join(tmp, "spool-kapd", e["name"] + ".eml"), "rb") as f:
            messages.append((e["rcpt_tos"][0], f.read()))

    sink = Sink(tmp, os.path.join(tmp, "spool-msmtp"))
    try:
        msmtp_s = bench_msmtp(tmp, sink, messages)
        m = len(sink.events("message"))
    finally:
        sink.stop()
    if m != n:
        die("the sink received %d of %d messages from msmtp" % (m, n))
    shm_s = bench_shm(build, tmp)

    ratio = msmtp_s / kapd_s
    version = subprocess.run(["msmtp", "--version"], stdout=subprocess.PIPE
                             ).stdout.decode().splitlines()[0]
    print("SMTP benchmark: %d digests, STARTTLS + AUTH to aiosmtpd on loopback" % n)
    print("  kapd --once   %7.2f s  %7.0f mails/s  (%d connection%s; decision, composition "
          "and ledger included)" % (kapd_s, n / kapd_s, connections,
                                    "" if connections == 1 else "s"))
    print("  msmtp x %-5d %7.2f s  %7.0f mails/s  (%s, one process per message)"
          % (n, msmtp_s, n / msmtp_s, version))
    print("  ratio         %7.1fx  target >= %.0fx: %s"
          % (ratio, TARGET, "PASS" if ratio >= TARGET else "FAIL"))
    if shm_s is not None:
        print("  (information: kapd with its ledger in /dev/shm, no disk flushes: %.2f s, "
              "%.1fx msmtp)" % (shm_s, msmtp_s / shm_s))
    out = os.path.join(build, "bench")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "smtp-results.json"), "w") as f:
        json.dump({"digests": n, "kapd_seconds": kapd_s, "kapd_connections": connections,
                   "kapd_ledger_in_shm_seconds": shm_s, "msmtp_seconds": msmtp_s, "msmtp_version": version, "ratio": ratio,
                   "target": TARGET, "pass": ratio >= TARGET}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
