"""SPEC §3 cross-check: kapd's decisions against an independent reference (spec3.py).

A generated international document (people and plans in seven time zones, some without
zone or email, every notify preference, absences with and without substitutes, plans with
and without sponsor or review date, KAM-owned and unowned items) is imported once; then,
for three configurations (defaults; holidays with a Thursday report and another send
window; everything changed, with send_time 02:30 inside the DST gaps) and about 1080
instants in all (every 7 or 13 hours over the autumn 2026 DST changes in Europe, America
and Australia, the turn of 2026/2027, the spring 2027 changes, February 2028 with a review
on the 29th, local edges such as 07:59:59/08:00:00/17:59:59/18:00:00 in every zone, and
the seconds around the spring-forward gaps), `kapd --dry-run --json --now T` must print
exactly the multiset of JSON lines the reference computes from the same database.

test_now_holds_for_the_whole_check: a dry run delayed by a locked database must still
decide for --now (not for --now plus the time it waited).
"""

import collections
import datetime
import json
import os
import random
import sys
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kaptest  # noqa: E402
import spec3  # noqa: E402

try:
    from gen_large import check_document  # noqa: E402
except Exception:  # pragma: no cover - the checker is optional
    check_document = None

UTC = datetime.timezone.utc
ZONES = ["Europe/Berlin", "America/Chicago", "Australia/Sydney", "Asia/Kolkata",
         "Pacific/Auckland", "America/St_Johns", "UTC"]
NOTIFY = [None, "digest", "immediate", "escalations-only", "none"]
D = datetime.date.fromisoformat

# Windows the instants are drawn from (dates the data is spread around).
SPAN = (datetime.datetime(2026, 9, 20, tzinfo=UTC), datetime.datetime(2026, 11, 19, tzinfo=UTC))
YEAR_END = (datetime.datetime(2026, 12, 30, 1, tzinfo=UTC),
            datetime.datetime(2027, 1, 2, 12, tzinfo=UTC))
SPRING_2027 = (datetime.datetime(2027, 3, 12, tzinfo=UTC),
               datetime.datetime(2027, 3, 30, tzinfo=UTC))
FEB_2028 = (datetime.datetime(2028, 1, 28, 5, tzinfo=UTC),
            datetime.datetime(2028, 3, 3, tzinfo=UTC))
ANCHORS = [D("2026-10-01"), D("2026-10-20"), D("2026-11-05"), D("2026-12-31"),
           D("2027-03-20"), D("2028-02-29")]
ABSENCE_WINDOWS = [(D("2026-09-15"), D("2026-11-20")), (D("2026-12-20"), D("2027-01-03")),
                   (D("2027-03-08"), D("2027-03-28")), (D("2028-02-10"), D("2028-03-02"))]

# Configurations: all defaults; holidays, a non-default report weekday and send window;
# everything changed (immediate by default, weekend send days, send_time inside the
# night of the DST changes: 02:30 does not exist on the spring-forward Sundays, and the
# fall-back Sundays where it would be ambiguous are holidays).
VARIANTS = {
    "defaults": {},
    "holidays": {
        "timezone": "Asia/Kolkata",
        "status_report": {"weekday": "Thursday"},
        "delivery": {"send_time": "07:45", "window_end": "19:15",
                     "holidays": ["2026-10-02", "2026-10-26", "2026-11-02", "2026-11-11",
                                  "2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01",
                                  "2028-02-29"]},
    },
    "custom": {
        "timezone": "America/St_Johns",
        "reminders": {"lead_days": [14, 3, 1], "overdue_every_days": 2,
                      "escalate_after_days": 5, "sponsor_after_days": 12},
        "annual_update": {"lead_days": [60, 14, 1], "overdue_every_days": 5,
                          "escalate_after_days": 20},
        "status_report": {"weekday": "sun"},
        "delivery": {"mode": "immediate", "send_time": "02:30", "window_end": "17:00",
                     "send_days": ["Mon", "tuesday", "WED", "Thu", "Sat", "Sunday"],
                     "holidays": ["2026-10-25", "2027-04-04", "2026-11-05", "2027-01-01",
                                  "2028-02-28"]},
    },
}

# Sundays on which 02:30 local does not exist (DST gaps) in ZONES.
GAP_DAYS = [("Pacific/Auckland", "2026-09-27"), ("Australia/Sydney", "2026-10-04"),
            ("America/Chicago", "2027-03-14"), ("America/St_Johns", "2027-03-14"),
            ("Europe/Berlin", "2027-03-28")]
# Per configuration: hours between grid instants (odd, so every local hour comes round)
# and the dates of the local edge instants (send_time and window_end, each minus 1 s).
DENSITY = {
    "defaults": (7, ["2026-10-05", "2026-10-26", "2026-11-02", "2026-12-31", "2027-01-01",
                     "2028-02-29"]),
    "holidays": (13, ["2026-10-02", "2026-10-26", "2026-10-29", "2028-02-29"]),
    "custom": (13, ["2026-10-10", "2026-11-01", "2027-01-01", "2027-03-13"]),
}


# ---------------------------------------------------------------------------------------
# The document

def generate(seed=31, n_people=22, n_plans=30, items_per_plan=9):
    rng = random.Random(seed)
    people = []
    for i in range(n_people):
        p = {"key": "sp%02d" % i, "name": "Person %d" % i}
        if i % 8 != 5:  # a few without email
            p["email"] = "person%02d@team.supplier.example" % i
        tz = (ZONES + [None])[i % 8]
        if tz:
            p["timezone"] = tz
        nt = NOTIFY[(i * 3) % 5] if i >= 5 else ["digest", "immediate", None, "digest",
                                                 "escalations-only"][i]
        if nt:
            p["notify"] = nt
        people.append(p)
    keys = [p["key"] for p in people]
    for i, p in enumerate(people):
        if i % 5 in (1, 3) or i == 0:
            out = []
            for lo, hi in ABSENCE_WINDOWS:
                if rng.random() < 0.6:
                    start = lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days))
                    until = min(hi, start + datetime.timedelta(days=rng.randint(0, 12)))
                    a = {"from": start.isoformat(), "until": until.isoformat()}
                    r = rng.random()
                    if r < 0.75:
                        a["substitute"] = rng.choice([k for k in keys if k != p["key"]])
                    elif r < 0.85:
                        a["substitute"] = None
                    out.append(a)
            if out:
                p["absences"] = out
    no_email = [p["key"] for p in people if "email" not in p]
    accounts = []
    for a in range(n_plans // 2):
        accounts.append({"key": "sacc%02d" % a, "name": "Account %d" % a, "plans": []})
    for n in range(n_plans):
        pk = "splan%02d" % n
        team_keys = rng.sample(keys, rng.randint(3, 6))
        if n == 4:  # a KAM without email
            team_keys[0] = no_email[0]
            team_keys = list(dict.fromkeys(team_keys))
        kam = team_keys[0]
        has_sponsor = n % 3 != 1
        team = [{"person": kam, "role": "kam"}]
        if has_sponsor:
            team.append({"person": team_keys[1], "role": "sponsor"})
        team += [{"person": k, "role": "member"} for k in team_keys[2:]]
        plan = {"key": pk, "title": "Plan %d" % n,
                "state": "active" if n % 10 not in (7,) else ["draft", "archived"][n // 10 % 2],
                "team": team, "milestones": [], "activities": []}
        tz = (ZONES + [None, None])[(n * 5) % 9]
        if tz:
            plan["timezone"] = tz
        rv = n % 9
        if rv == 0:
            plan["next_review"] = "2028-02-29"
        elif rv == 1:
            pass  # no annual update date
        elif rv == 2:
            plan["last_review"] = "2025-%s" % rng.choice(["10-05", "10-30", "11-12", "09-01"])
        elif rv == 3:
            plan["last_review"] = "2027-02-28"  # next review 2028-02-28
        elif rv == 4:
            plan["last_review"] = "2028-02-29"  # next review 2029-02-28
        else:
            anchor = rng.choice(ANCHORS)
            plan["next_review"] = (anchor + datetime.timedelta(
                days=rng.randint(-45, 60))).isoformat()
        members = [t["person"] for t in team]
        for j in range(items_per_plan):
            kind = "milestones" if j % 3 == 0 else "activities"
            it = {"key": "%s-%s%d" % (pk, kind[0], j), "title": "Item %d of %s" % (j, pk)}
            r = rng.random()
            if r < 0.25:
                it["owner"] = kam
            elif r < 0.4 and has_sponsor:
                it["owner"] = team[1]["person"]
            elif r < 0.8:
                it["owner"] = rng.choice(members)
            elif r < 0.9:
                it["owner"] = None
            r = rng.random()
            if r < 0.06:
                due = D("2025-06-01") + datetime.timedelta(days=rng.randint(0, 200))
            elif r < 0.1:
                due = D("2029-01-01") + datetime.timedelta(days=rng.randint(0, 400))
            else:
                due = rng.choice(ANCHORS) + datetime.timedelta(days=rng.randint(-40, 40))
            it["due"] = due.isoformat()
            r = rng.random()
            it["state"] = "open" if r < 0.8 else ("done" if r < 0.9 else "cancelled")
            if it["state"] == "done":
                it["done_on"] = "2026-09-01"
            plan[kind].append(it)
        accounts[n % len(accounts)]["plans"].append(plan)
    return {"format": "kapd-plan/1", "people": people, "accounts": accounts}


# ---------------------------------------------------------------------------------------
# Configuration files

def libconfig_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, list):
        return "[" + ", ".join(libconfig_value(x) for x in v) + "]"
    raise TypeError(v)


def libconfig_text(settings):
    out = []
    for k, v in settings.items():
        if isinstance(v, dict):
            out.append("%s = {" % k)
            out += ["\t%s = %s;" % (kk, libconfig_value(vv)) for kk, vv in v.items()]
            out.append("};")
        else:
            out.append("%s = %s;" % (k, libconfig_value(v)))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# Instants

def every(lo, hi, hours):
    t, out = lo, []
    while t <= hi:
        out.append(t)
        t += datetime.timedelta(hours=hours)
    return out


def local(zone, day, hms):
    """The instant `day hms` local in zone, or None when that local time does not exist
    or is ambiguous (DST)."""
    h, m, sec = map(int, hms.split(":"))
    tz = ZoneInfo(zone)
    d = D(day)
    a, b = (datetime.datetime(d.year, d.month, d.day, h, m, sec, tzinfo=tz, fold=f)
            for f in (0, 1))
    if a.utcoffset() != b.utcoffset():
        return None
    return a


def minus1s(hhmm):
    t = datetime.datetime.combine(D("2000-01-02"), spec3.hhmm(hhmm)) - datetime.timedelta(
        seconds=1)
    return t.strftime("%H:%M:%S")


def instants(name):
    """(label, aware datetime) pairs for configuration `name`."""
    conf = spec3.load_config(VARIANTS[name])
    hours, edge_dates = DENSITY[name]
    send, end = conf["delivery"]["send_time"], conf["delivery"]["window_end"]
    out = []
    for lo, hi, h in ((SPAN[0], SPAN[1], hours), (YEAR_END[0], YEAR_END[1], 5),
                      (SPRING_2027[0], SPRING_2027[1], 13), (FEB_2028[0], FEB_2028[1], 31)):
        out += [("grid", t) for t in every(lo, hi, h)]
    for z in ZONES:
        for day in edge_dates:
            for hms in (minus1s(send), send + ":00", minus1s(end), end + ":00"):
                t = local(z, day, hms)
                if t is not None:
                    out.append(("edge %s %s %s" % (z, day, hms), t))
    if send == "02:30":
        for z, day in GAP_DAYS:
            tz = ZoneInfo(z)
            # the last second before the gap and the first after it (02:00 -> 03:00)
            before = datetime.datetime.combine(D(day), datetime.time(1, 59, 59),
                                               tzinfo=tz).astimezone(UTC)
            for t in (before, before + datetime.timedelta(seconds=1),
                      before + datetime.timedelta(minutes=30),
                      before + datetime.timedelta(minutes=30, seconds=1),
                      before + datetime.timedelta(minutes=31)):
                out.append(("gap %s %s" % (z, day), t.astimezone(tz)))
    return out


def now_arg(t):
    """ISO 8601 with the instant's own offset (+05:30, -03:30, +13:00...)."""
    return t.replace(microsecond=0).isoformat()


# ---------------------------------------------------------------------------------------

def slot_pairs(only_kapd, only_ref):
    """When the two sides differ only in slots: the distinct (kapd slot, reference slot)
    pairs, else None."""
    def split(lines):
        out = collections.defaultdict(list)
        for l in lines:
            n = json.loads(l)
            slot = n.pop("slot")
            out[json.dumps(n, sort_keys=True)].append(slot)
        return out
    try:
        a, b = split(only_kapd), split(only_ref)
    except ValueError:
        return None
    if set(a) != set(b) or any(len(a[k]) != len(b[k]) for k in a):
        return None
    return sorted({(x, y) for k in a for x, y in zip(sorted(a[k]), sorted(b[k]))})


def describe(only_kapd, only_ref, limit=6):
    """Report lines: notifications that differ only in their slot (as distinct slot
    pairs), then the lines only in kapd and only in the reference otherwise."""
    def key(l):
        try:
            n = json.loads(l)
            return json.dumps({k: v for k, v in n.items() if k != "slot"}, sort_keys=True)
        except ValueError:
            return l
    ka = collections.Counter(key(l) for l in only_kapd)
    kr = collections.Counter(key(l) for l in only_ref)
    both = ka & kr
    pairs = slot_pairs([l for l in only_kapd if key(l) in both],
                       [l for l in only_ref if key(l) in both]) or []
    out = []
    if both:
        out.append("  %d notifications differ only in their slot: %s%s" % (
            sum(both.values()), ", ".join("kapd %s / reference %s" % p for p in pairs[:3]),
            ", ..." if len(pairs) > 3 else ""))
    rest_k = [l for l in only_kapd if key(l) not in both]
    rest_r = [l for l in only_ref if key(l) not in both]
    out += ["  only in kapd:      " + l for l in rest_k[:limit]]
    if len(rest_k) > limit:
        out.append("  ... %d more only in kapd" % (len(rest_k) - limit))
    out += ["  only in reference: " + l for l in rest_r[:limit]]
    if len(rest_r) > limit:
        out.append("  ... %d more only in reference" % (len(rest_r) - limit))
    return out


def drift_only(only_kapd, only_ref, now):
    """True when kapd and the reference differ only in "now" slots that kapd put a few
    seconds after --now (kapd's clock advanced while the check ran)."""
    def strip(lines):
        out = []
        for l in lines:
            n = json.loads(l)
            slot = datetime.datetime.fromisoformat(n.pop("slot"))
            out.append((json.dumps(n, sort_keys=True), slot))
        return sorted(out, key=lambda x: x[0])
    try:
        a, b = strip(only_kapd), strip(only_ref)
    except ValueError:
        return False
    return len(a) == len(b) and all(
        x[0] == y[0] and y[1] == now and datetime.timedelta(0) < x[1] - now <=
        datetime.timedelta(seconds=10) for x, y in zip(a, b))


class Spec3Test(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = generate()
        if check_document is not None:
            errors = check_document(self.doc)
            self.assertFalse(errors, "generated document is invalid: %s" % (errors,))
        self.init_db()
        self.import_file(self.write_doc("spec3.json", self.doc))

    def write_conf(self, name, settings):
        full = {"database": self.db,
                "mail": {"transport": "file", "directory": self.path("outbox-" + name)},
                "feeds": {"directory": self.path("feeds-" + name)}}
        for k, v in settings.items():
            full[k] = v
        path = self.path(name + ".conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(libconfig_text(full))
        # the reference reads the file kapd reads
        with open(path, encoding="utf-8") as f:
            parsed = spec3.parse_libconfig(f.read())
        self.assertEqual(parsed, json.loads(json.dumps(full)), "libconfig writer/parser")
        rc, out, err = kaptest.run([kaptest.KAPD, "-c", path, "--check-config"])
        self.assertEqual(rc, 0, "%s: kapd --check-config failed: %s%s" % (name, out, err))
        return path, spec3.load_config(parsed)

    def dry_run(self, conf_path, t):
        argv = [kaptest.KAPD, "-c", conf_path, "--dry-run", "--json", "--now", now_arg(t)]
        rc, out, err = kaptest.run(argv, timeout=60)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, "kapd --now %s exited %d: %s" % (now_arg(t), rc, err[-2000:]))
        return collections.Counter(l for l in out.split("\n") if l.strip())

    def test_model_from_db_matches_document(self):
        """The reference's view of the database is the document (sanity of both)."""
        self.assertEqual(spec3.model_from_db(self.db).as_tuple(),
                         spec3.model_from_doc(self.doc).as_tuple())

    def test_dry_run_matches_reference(self):
        model = spec3.model_from_db(self.db)
        rules = set()
        stats = collections.Counter()
        failures = []  # (variant, label, --now, only in kapd, only in reference, drift)
        runs = 0
        started = time.monotonic()
        for name, settings in VARIANTS.items():
            conf_path, conf = self.write_conf(name, settings)
            engine = spec3.Engine(model, conf)
            for label, t in instants(name):
                got = self.dry_run(conf_path, t)
                runs += 1
                pending = engine.pending(t)
                stats.update(engine.stats)
                engine.stats.clear()
                rules.update(n["rule"] for n in pending)
                want = collections.Counter(spec3.line(n) for n in pending)
                if got != want:
                    only_k = sorted((got - want).elements())
                    only_r = sorted((want - got).elements())
                    failures.append((name, label, now_arg(t), only_k, only_r,
                                     drift_only(only_k, only_r, t)))
        elapsed = time.monotonic() - started
        # nothing was mailed or recorded by the dry runs
        self.assertEqual(kaptest.query(self.db, "SELECT count(*) FROM notification")[0][0], 0)
        self.assertEqual(kaptest.query(self.db, "SELECT count(*) FROM delivery")[0][0], 0)
        # the data exercises every rule
        for r in ("upcoming", "due", "overdue", "escalation", "sponsor", "review-upcoming",
                  "review-due", "review-overdue", "review-escalation", "status-report"):
            self.assertIn(r, rules, "the generated data never triggers %s" % r)
        for case in ("recipient without email", "absent without usable substitute",
                     "recipient's preference none blocks",
                     "recipient's preference escalations-only blocks",
                     "substitute's preference none blocks", "to a substitute",
                     "recipient without time zone, plan with time zone",
                     "recipient without time zone, plan without time zone",
                     "mode immediate", "mode digest", "item without owner",
                     "owner without email", "KAM-owned item, with sponsor",
                     "KAM-owned item, without sponsor"):
            self.assertGreater(stats[case], 0, "the generated data never reach the case "
                               "'%s' (reached: %s)" % (case, dict(stats)))
        if failures:
            lines = ["%d of %d kapd runs differ from the SPEC §3 reference (%.1f s):"
                     % (len(failures), runs, elapsed)]
            for name, label, now, only_k, only_r, drift in failures[:40]:
                lines.append("  config %s, --now %s (%s): %d only in kapd, %d only in "
                             "reference%s" % (name, now, label, len(only_k), len(only_r),
                                              " [only 'now' slots a few seconds after --now:"
                                              " kapd's clock ran on during the check]"
                                              if drift else ""))
            if len(failures) > 40:
                lines.append("  ... %d more" % (len(failures) - 40))
            lines.append("first differences:")
            for name, label, now, only_k, only_r, drift in failures[:6]:
                lines.append("config %s, --now %s (%s):" % (name, now, label))
                lines += describe(only_k, only_r)
            self.fail("\n".join(lines))

    def test_now_holds_for_the_whole_check(self):
        """--now is the time of the whole dry run (SPEC §6: it prints what is pending "at
        that time"): a check that starts late, here because another process holds the
        database locked for 1.5 s, must still decide and print slots for --now, not for
        --now plus the seconds it waited."""
        import sqlite3
        import subprocess
        conf_path, conf = self.write_conf("clock", {})
        # one second before midnight UTC: seconds later, UTC recipients have a new today
        t = datetime.datetime(2026, 10, 6, 23, 59, 59, tzinfo=UTC)
        engine = spec3.Engine(spec3.model_from_db(self.db), conf)
        want = collections.Counter(spec3.line(n) for n in engine.pending(t))
        later = collections.Counter(spec3.line(n) for n in engine.pending(
            t + datetime.timedelta(seconds=2)))
        self.assertIsNone(slot_pairs(sorted((later - want).elements()),
                                     sorted((want - later).elements())),
                          "two seconds later, more than the slots should change")
        con = sqlite3.connect(self.db, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            argv = [kaptest.KAPD, "-c", conf_path, "--dry-run", "--json", "--now", now_arg(t)]
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=kaptest.child_env())
            time.sleep(1.5)
            waited = p.poll() is None
        finally:
            con.execute("ROLLBACK")
            con.close()
        out, err = p.communicate(timeout=60)
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        self.assert_no_sanitizer(argv, err)
        if p.returncode != 0 and "lock" in err.lower():
            self.skipTest("kapd gave up on the locked database: %s" % err[-500:])
        self.assertEqual(p.returncode, 0, "kapd exited %d: %s" % (p.returncode, err[-2000:]))
        if not waited:
            self.skipTest("kapd did not wait for the locked database; cannot delay it")
        got = collections.Counter(l for l in out.split("\n") if l.strip())
        if got != want:
            only_k = sorted((got - want).elements())
            only_r = sorted((want - got).elements())
            self.fail("kapd --dry-run --json --now %s, started while the database was locked "
                      "for 1.5 s, does not print what is pending at --now: %d lines only in "
                      "kapd, %d only in the reference (kapd's clock ran on from --now while "
                      "it waited, so it decided for a later time, here the next UTC day):\n%s"
                      % (now_arg(t), len(only_k), len(only_r),
                         "\n".join(describe(only_k, only_r, 5))))


if __name__ == "__main__":
    unittest.main()
