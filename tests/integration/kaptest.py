"""Shared helpers for the kapd integration tests (stdlib only).

Binaries come from $KAPD_BUILD (default "build"), relative to the repository root unless
absolute.  Every test gets its own temporary directory (self.tmp) holding its own SQLite
files; nothing touches the network.  The large generated document is made once per run
(large_doc_path()) and shared read-only by every test that needs it.
"""

import atexit
import calendar
import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(REPO, os.environ.get("KAPD_BUILD", "build"))
KAPCTL = os.path.join(BUILD, "kapctl")
KAPD = os.path.join(BUILD, "kapd")
PY = sys.executable or "/usr/bin/python3"
SAMPLE = os.path.join(REPO, "demo", "sample.py")
GEN_LARGE = os.path.join(HERE, "gen_large.py")

# The sample document is generated for this day, so every run sees the same data.
SAMPLE_TODAY = "2026-12-01"
# Size of the generated document: large enough to matter, small enough for ~60 s total
# (and ~3x that under ASan).
LARGE_PLANS = 200
LARGE_ITEMS = 60
LARGE_SEED = 7

# Text a sanitizer prints; any of it in stderr is a failure even if the exit code hid it.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")

EX_OK, EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_TEMPFAIL, EX_CONFIG = 0, 64, 65, 66, 75, 78

_session_dir = None


def session_dir():
    """A temporary directory for the whole run (removed at exit)."""
    global _session_dir
    if _session_dir is None:
        _session_dir = tempfile.mkdtemp(prefix="kapd-it-session-")
        atexit.register(shutil.rmtree, _session_dir, True)
    return _session_dir


def child_env(**extra):
    """The environment of the programs under test: the caller's, with LC_ALL=C.UTF-8 so
    that kapctl's messages are English whatever locale the caller has (tests of other
    languages pass their own variables in extra; a value None removes the variable)."""
    env = dict(os.environ)
    env["LC_ALL"] = "C.UTF-8"
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run(argv, input=None, timeout=120, cwd=None, env=None):
    """Runs argv (in env, default child_env()); returns (rc, stdout, stderr) as text."""
    if isinstance(input, str):
        input = input.encode("utf-8")
    p = subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, cwd=cwd, env=env if env is not None else child_env())
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def sanitizer_report(stderr):
    return any(m in stderr for m in SANITIZER_MARKERS)


_sample_cache = {}


def sample_text(today=SAMPLE_TODAY):
    """The demo document (demo/sample.py --today TODAY) as text."""
    if today not in _sample_cache:
        rc, out, err = run([PY, SAMPLE, "--today", today])
        if rc != 0:
            raise RuntimeError("demo/sample.py --today %s failed (%d): %s" % (today, rc, err))
        _sample_cache[today] = out
    return _sample_cache[today]


def sample_doc(today=SAMPLE_TODAY):
    return json.loads(sample_text(today))


_large_path = None


def large_doc_path():
    """tests/integration/gen_large.py output, generated once per run."""
    global _large_path
    if _large_path is None:
        path = os.path.join(session_dir(), "large.json")
        rc, out, err = run([PY, GEN_LARGE, "--plans", str(LARGE_PLANS), "--items-per-plan",
                            str(LARGE_ITEMS), "--seed", str(LARGE_SEED), path], timeout=300)
        if rc != 0:
            raise RuntimeError("gen_large.py failed (%d): %s" % (rc, err))
        _large_path = path
    return _large_path


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return path


# ---------------------------------------------------------------------------------------
# JSON normalisation and comparison

def add_year(iso):
    """ISO date plus one year; 29 February falls back to 28 February."""
    d = datetime.date.fromisoformat(iso)
    y = d.year + 1
    day = d.day
    if d.month == 2 and day == 29 and not calendar.isleap(y):
        day = 28
    return datetime.date(y, d.month, day).isoformat()


def strip_empty(v):
    """Drops null members and empty arrays, recursively."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = strip_empty(x)
            if x is None or (isinstance(x, list) and not x):
                continue
            out[k] = x
        return out
    if isinstance(v, list):
        return [strip_empty(x) for x in v]
    return v


def normalise(doc):
    """The document with null members and empty arrays dropped and defaults filled in:
    item and project state "open", complaint state "open", plan state "active",
    plan next_review = last_review + 1 year."""
    doc = strip_empty(doc)
    for acc in doc.get("accounts", []):
        for pr in acc.get("projects", []):
            pr.setdefault("state", "open")
        for cp in acc.get("complaints", []):
            cp.setdefault("state", "open")
        for plan in acc.get("plans", []):
            plan.setdefault("state", "active")
            if "next_review" not in plan and "last_review" in plan:
                plan["next_review"] = add_year(plan["last_review"])
            for kind in ("milestones", "activities"):
                for it in plan.get(kind, []):
                    it.setdefault("state", "open")
    return doc


def json_diff(a, b, path="$", out=None, limit=25):
    """Paths where a and b differ (at most `limit`)."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            p = "%s.%s" % (path, k)
            if k not in b:
                out.append("%s: only in expected (%r)" % (p, short(a[k])))
            elif k not in a:
                out.append("%s: only in actual (%r)" % (p, short(b[k])))
            else:
                json_diff(a[k], b[k], p, out, limit)
            if len(out) >= limit:
                break
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: expected %d elements, got %d" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            json_diff(x, y, "%s[%d]" % (path, i), out, limit)
            if len(out) >= limit:
                break
    elif type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(
            b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool)):
        out.append("%s: expected %r, got %r" % (path, short(a), short(b)))
    elif a != b:
        out.append("%s: expected %r, got %r" % (path, short(a), short(b)))
    return out


def short(v, n=120):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "..."


# ---------------------------------------------------------------------------------------
# Database inspection (python sqlite3, independent of kapd)

def latest_schema_version():
    """The number of the newest sql/NNN_*.sql migration (what init/migrate must reach)."""
    import re
    nums = [int(m.group(1)) for m in (re.match(r"^(\d+)_.*\.sql$", n)
                                      for n in os.listdir(os.path.join(REPO, "sql"))) if m]
    return max(nums) if nums else 0


def migration_files():
    import re
    d = os.path.join(REPO, "sql")
    return sorted(os.path.join(d, n) for n in os.listdir(d) if re.match(r"^\d+_.*\.sql$", n))


def user_tables(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
    finally:
        con.close()


def dump_db(path):
    """Every row of every table (sorted), plus user_version and application_id."""
    con = sqlite3.connect(path)
    try:
        out = {"#user_version": con.execute("PRAGMA user_version").fetchone()[0],
               "#application_id": con.execute("PRAGMA application_id").fetchone()[0]}
        for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE "
                "'sqlite_%' ORDER BY name").fetchall():
            rows = con.execute('SELECT * FROM "%s"' % name.replace('"', '""')).fetchall()
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def row_counts(path):
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {n: con.execute('SELECT count(*) FROM "%s"' % n).fetchone()[0] for n in names}
    finally:
        con.close()


def query(path, sql, args=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def dump_diff(before, after, limit=20):
    out = []
    for t in sorted(set(before) | set(after)):
        a, b = before.get(t), after.get(t)
        if a == b:
            continue
        if not isinstance(a, list) or not isinstance(b, list):
            out.append("%s: %r -> %r" % (t, a, b))
            continue
        sa, sb = set(a), set(b)
        for r in sorted(sa - sb, key=repr)[:5]:
            out.append("%s: row gone or changed: %r" % (t, r))
        for r in sorted(sb - sa, key=repr)[:5]:
            out.append("%s: row new or changed: %r" % (t, r))
        if len(out) >= limit:
            break
    return out[:limit]


# ---------------------------------------------------------------------------------------

class KapTestCase(unittest.TestCase):
    """A test with its own temporary directory and database file (self.db)."""

    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        for b in (KAPCTL, KAPD):
            if not os.access(b, os.X_OK):
                raise unittest.SkipTest("%s is not built (run make)" % b)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kapd-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # An empty configuration, so that /etc/kapd/kapd.conf never leaks into a test.
        self.conf = os.path.join(self.tmp, "empty.conf")
        open(self.conf, "w").close()
        self.db = self.path("kap.db")

    def path(self, name):
        return os.path.join(self.tmp, name)

    # -- running ------------------------------------------------------------------------

    def kapctl(self, *args, db=None, input=None, timeout=120, now=None):
        """Runs kapctl -c EMPTY --db DB [--now NOW] ARGS; returns (rc, stdout, stderr)."""
        argv = [KAPCTL, "-c", self.conf, "--db", db or self.db]
        if now:
            argv += ["--now", now]
        argv += [str(a) for a in args]
        rc, out, err = run(argv, input=input, timeout=timeout)
        self.assert_no_sanitizer(argv, err)
        return rc, out, err

    def assert_no_sanitizer(self, argv, err):
        if sanitizer_report(err):
            self.fail("sanitizer report from %s:\n%s" % (" ".join(argv), err[-4000:]))

    def ok(self, *args, **kw):
        """kapctl that must exit 0; returns stdout."""
        rc, out, err = self.kapctl(*args, **kw)
        self.assertEqual(rc, 0, "expected `kapctl %s` to exit 0, got %d; stderr:\n%s"
                         % (" ".join(map(str, args)), rc, err[-3000:]))
        return out

    def expect_rc(self, want, *args, **kw):
        """kapctl that must exit `want`; returns (stdout, stderr)."""
        rc, out, err = self.kapctl(*args, **kw)
        self.assertEqual(rc, want, "expected `kapctl %s` to exit %d, got %d; stdout:\n%s\n"
                         "stderr:\n%s" % (" ".join(map(str, args)), want, rc, out[-2000:],
                                          err[-3000:]))
        return out, err

    # -- databases and documents ---------------------------------------------------------

    def init_db(self, db=None):
        self.ok("init", db=db)
        return db or self.db

    def write_doc(self, name, doc):
        return write_json(self.path(name), doc)

    def import_file(self, path, db=None):
        return self.ok("import", path, db=db)

    def export_text(self, *plan, db=None):
        return self.ok("export", *plan, db=db)

    def export_doc(self, *plan, db=None):
        text = self.export_text(*plan, db=db)
        try:
            return json.loads(text)
        except ValueError as e:
            self.fail("export did not print valid JSON (%s): %r" % (e, text[:500]))

    def assert_json_equal(self, expected, actual, what):
        diffs = json_diff(expected, actual)
        if diffs:
            self.fail("%s: documents differ (first differences):\n  %s"
                      % (what, "\n  ".join(diffs)))

    def import_counts(self, out):
        """(created, updated) from an import summary line."""
        import re
        m = re.search(r"(\d+) created, (\d+) updated", out)
        self.assertIsNotNone(m, "expected an import summary with 'N created, N updated', "
                             "got: %r" % out)
        return int(m.group(1)), int(m.group(2))
