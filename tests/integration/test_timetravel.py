"""Time travel: kapd every 15 simulated minutes over 60 days on an international plan set.

The test generates a small plan set (12 plans, 15 people in five time zones, all four
notify preferences, absences with substitutes, plans with and without sponsor, items
without owner, review dates and deadlines spread over the period), then runs

    kapd -c CONF --dry-run --json --now T     (what is pending at T, and deliverable at T)
    kapd -c CONF --once --now T               (the real check: .eml files and the ledger)

for every T = START + n * 15 min over DAYS days (state carries over, so nothing runs in
parallel).  The period starts 2026-10-01T00:00Z and crosses the start of daylight saving
time in Australia (2026-10-04), its end in Europe (2026-10-25) and in America
(2026-11-01).  A few times during the run kapctl marks an item done, cancels one, moves a
deadline and reassigns an owner, each chosen among items pending at that instant but not
yet mailed, to exercise "what a slot sends is decided at the slot" (SPEC §3).

Then it proves from the .eml files (email package, policy.default) and the SQLite ledger:
 1. every (item, rule, stage, due, recipient) is in exactly one email;
 2. every email's Date is the instant of the check that wrote it and a slot of its
    recipient: a send day (Mon-Fri, no holiday) in their zone, local time >= 08:00 (and
    < 18:00 for immediate mode), at most one email a local day in digest mode, one
    notification per email in immediate mode;
 3. the emails of the check at T hold exactly the notifications the dry run at T reported
    as deliverable at T (slot == T);
 4. the ledger (notification and delivery tables) holds exactly what the emails hold;
and, independently of kapd's own slot computation: no slot is lost (something pending for
a recipient at an instant that is a slot for them must be deliverable then), nothing goes
to a person with notify "none", to an absent person, or about a draft or archived plan,
and nothing mutated is mailed in its old form.

KAPD_TIMETRAVEL_DAYS overrides the number of simulated days (default 60) for local
experiments; the suite runs the full period.
"""

import collections
import datetime
import email
import email.policy
import json
import os
import random
import subprocess
import sys
import time
import unittest
import zoneinfo

import gen_large
import kaptest

START = datetime.datetime(2026, 10, 1, 0, 0, tzinfo=datetime.timezone.utc)
DAYS = int(os.environ.get("KAPD_TIMETRAVEL_DAYS", "60"))
STEP = datetime.timedelta(minutes=15)
SEED = 20261001
CONFIG_ZONE = "Europe/Berlin"
HOLIDAYS = ["2026-10-26", "2026-11-11", "2026-11-26"]
SEND_DAYS = {0, 1, 2, 3, 4}  # Monday..Friday
SEND_TIME = datetime.time(8, 0)
WINDOW_END = datetime.time(18, 0)
OWNER_RULES = ("upcoming", "due", "overdue")
ESCALATION_RULES = ("escalation", "sponsor", "review-escalation")
# Mutations: (day offset from START, UTC hour, action).  Each picks an item that the dry
# run at that instant reports as pending with a slot still ahead.
MUTATIONS = [(7, 3, "done"), (13, 6, "move-later"), (20, 3, "reassign"), (26, 21, "cancel"),
             (33, 3, "move-earlier"), (40, 12, "reassign"), (47, 3, "done"),
             (52, 6, "move-later")]
EXAMPLES = 6  # evidence lines kept per failure category
# `--now T` must make the check run at T exactly (SPEC §6: "behave as if it were then").
# A check a few seconds later is reported under its own name (and otherwise treated as
# the check at T, so one late start does not show up as a dozen unrelated failures).
DRIFT = datetime.timedelta(seconds=5)
DRIFT_MSG = "--now drift: the check ran a little after the --now instant"


# ---------------------------------------------------------------------------------------
# The plan set

# (key, zone, notify, language)
PEOPLE = [
    ("tt-p00", "Europe/Berlin", "digest", "de"),
    ("tt-p01", "America/Chicago", "immediate", "en"),
    ("tt-p02", "Australia/Sydney", "digest", "en"),
    ("tt-p03", "Asia/Kolkata", "escalations-only", "en"),
    ("tt-p04", "UTC", "digest", "de"),
    ("tt-p05", "Europe/Berlin", "immediate", "de"),
    ("tt-p06", "America/Chicago", "digest", "en"),
    ("tt-p07", "Australia/Sydney", "immediate", "en"),
    ("tt-p08", "Asia/Kolkata", "digest", "en"),
    ("tt-p09", "UTC", "none", "de"),
    ("tt-p10", "Europe/Berlin", "escalations-only", "de"),
    ("tt-p11", "America/Chicago", "digest", "en"),
    ("tt-p12", "Australia/Sydney", "none", "en"),
    ("tt-p13", "Asia/Kolkata", "immediate", "en"),
    ("tt-p14", "UTC", "digest", "de"),
]
# person -> [(from, until, substitute)]: a KAM, a member and a cross-zone substitution.
ABSENCES = {
    "tt-p00": [("2026-10-19", "2026-10-30", "tt-p05")],
    "tt-p06": [("2026-11-09", "2026-11-13", "tt-p11")],
    "tt-p07": [("2026-10-28", "2026-11-04", "tt-p13"), ("2026-08-01", "2026-08-10", "tt-p02")],
}
KAMS = ["tt-p00", "tt-p04", "tt-p06", "tt-p08", "tt-p02", "tt-p14", "tt-p11", "tt-p00",
        "tt-p10", "tt-p01", "tt-p06", "tt-p04"]
SPONSORS = ["tt-p10", "tt-p03", None, "tt-p05", "tt-p14", "tt-p00", None, "tt-p13",
            "tt-p04", "tt-p03", "tt-p08", "tt-p12"]
# next_review relative to START (days); None: none given (last_review + 1 year, far away)
REVIEWS = [4, 11, 19, 33, 40, 47, 56, -12, 26, None, 90, -40]
PLAN_ZONES = ["Europe/Berlin", None, "America/Chicago", "Australia/Sydney", None,
              "Asia/Kolkata", "UTC", None, "Europe/Berlin", "America/Chicago", None, "UTC"]


def generate(seed=SEED):
    """A kapd-plan/1 document: 12 active plans, one draft and one archived plan."""
    rng = random.Random(seed)
    base = START.date()

    def day(n):
        return (base + datetime.timedelta(days=n)).isoformat()

    people = []
    for i, (key, zone, notify, lang) in enumerate(PEOPLE):
        p = {"key": key, "name": "Person %02d %s" % (i, ["Müller", "O'Brien", "Åström",
                                                           "Yılmaz", "Smith"][i % 5]),
             "email": "%s@team%d.supplier.example" % (key.replace("-", "."), i % 3),
             "language": lang, "timezone": zone, "notify": notify}
        if key in ABSENCES:
            p["absences"] = [{"from": f, "until": u, "substitute": s}
                             for f, u, s in ABSENCES[key]]
        people.append(p)
    keys = [p["key"] for p in people]

    def plan(i, state):
        pk = "tt-plan-%02d" % i
        kam, sponsor = KAMS[i % len(KAMS)], SPONSORS[i % len(SPONSORS)]
        team = [{"person": kam, "role": "kam"}]
        if sponsor:
            team.append({"person": sponsor, "role": "sponsor"})
        others = [k for k in keys if k not in (kam, sponsor)]
        for m in rng.sample(others, 3 + i % 3):
            team.append({"person": m, "role": "member"})
        owners = [t["person"] for t in team]
        p = {"key": pk, "title": "KAP %02d Übersicht" % i, "state": state,
             "language": "de" if i % 2 else "en", "team": team}
        if PLAN_ZONES[i % len(PLAN_ZONES)]:
            p["timezone"] = PLAN_ZONES[i % len(PLAN_ZONES)]
        review = REVIEWS[i % len(REVIEWS)]
        if review is None:
            p["last_review"] = day(-100)
        else:
            p["last_review"] = day(review - 365)
            p["next_review"] = day(review)
        ms, acts = [], []
        for j in range(3):
            it = {"key": "%s-m%d" % (pk, j), "title": "Meilenstein %d/%d" % (i, j),
                  "due": day(rng.randint(-10, 62)), "state": "open"}
            if not (j == 2 and i % 3 == 0):  # some milestones without owner
                it["owner"] = rng.choice(owners)
            ms.append(it)
        for j in range(10):
            it = {"key": "%s-a%02d" % (pk, j), "title": "Aktivität %d/%d „x“" % (i, j),
                  "due": day(rng.randint(-14, 62)), "state": "open"}
            if j != 0:  # a0 of every plan has no owner: its reminders go to the KAM
                it["owner"] = owners[0] if j == 1 else rng.choice(owners)
            if j % 3 == 1:
                it["milestone"] = rng.choice(ms)["key"]
            if j == 9 and i % 2 == 0:
                it["state"] = "done"
                it["done_on"] = day(-3)
            elif j == 8 and i % 4 == 1:
                it["state"] = "cancelled"
            acts.append(it)
        p["milestones"], p["activities"] = ms, acts
        return p

    accounts = []
    for a in range(6):
        accounts.append({"key": "tt-acc-%d" % a, "name": "Kunde %d GmbH & Co. KG" % a,
                         "plans": []})
    for i in range(12):
        accounts[i % 6]["plans"].append(plan(i, "active"))
    accounts[0]["plans"].append(plan(12, "draft"))
    accounts[1]["plans"].append(plan(13, "archived"))
    return {"format": "kapd-plan/1", "people": people, "accounts": accounts}


# ---------------------------------------------------------------------------------------

def dst_changes():
    """The UTC offset changes of the people's zones inside the simulated period."""
    out = []
    for zname in sorted({z for _, z, _, _ in PEOPLE}):
        zone = zoneinfo.ZoneInfo(zname)
        prev = START.astimezone(zone).utcoffset()
        for h in range(DAYS * 24):
            t = START + datetime.timedelta(hours=h + 1)
            off = t.astimezone(zone).utcoffset()
            if off != prev:
                out.append("%s %s" % (zname, t.astimezone(zone).date()))
                prev = off
    return out


def iso(t):
    return t.isoformat()


def parse_item_header(v):
    """'KEY; rule=R; stage=S; due=D' -> (KEY, R, S, D) or None."""
    parts = [p.strip() for p in str(v).split(";")]
    if len(parts) != 4:
        return None
    fields = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if set(fields) != {"rule", "stage", "due"}:
        return None
    return parts[0], fields["rule"], fields["stage"], fields["due"]


class Failures:
    """Failure categories with a count and the first few pieces of evidence."""

    def __init__(self):
        self.count = collections.Counter()
        self.examples = collections.defaultdict(list)

    def add(self, category, evidence):
        self.count[category] += 1
        if len(self.examples[category]) < EXAMPLES:
            self.examples[category].append(evidence)

    def __bool__(self):
        return bool(self.count)

    def report(self):
        out = []
        for cat in sorted(self.count):
            out.append("%s: %d case(s), e.g.:" % (cat, self.count[cat]))
            out += ["    " + e for e in self.examples[cat]]
        return "\n".join(out)


class TimeTravelTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = generate()
        errors = gen_large.check_document(self.doc)
        self.assertEqual(errors, [], "the generated plan set is invalid (a test bug)")
        self.outbox = self.path("outbox")
        os.mkdir(self.outbox)
        os.mkdir(self.path("feeds"))
        self.kconf = self.path("kapd.conf")
        with open(self.kconf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "%s";\n' % (self.db, CONFIG_ZONE))
            f.write('delivery = { holidays = [%s]; };\n'
                    % ", ".join('"%s"' % h for h in HOLIDAYS))
            f.write('mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n' % self.outbox)
            f.write('feeds = { directory = "%s"; };\n' % self.path("feeds"))
        self.init_db()
        self.import_file(self.write_doc("timetravel.json", self.doc))

        self.person = {p["key"]: p for p in self.doc["people"]}
        self.by_email = {p["email"].lower(): p for p in self.doc["people"]}
        self.zone = {p["email"].lower(): zoneinfo.ZoneInfo(p["timezone"])
                     for p in self.doc["people"]}
        self.plans = {}
        self.items = {}   # item key -> {kind, plan, owner, due, state}, kept current
        for acc in self.doc["accounts"]:
            for p in acc["plans"]:
                self.plans[p["key"]] = p
                for kind, lst in (("milestone", p["milestones"]),
                                  ("activity", p["activities"])):
                    for it in lst:
                        self.items[it["key"]] = {"kind": kind, "plan": p["key"],
                                                 "owner": it.get("owner"),
                                                 "due": it["due"], "state": it["state"]}
        self.env = kaptest.child_env()
        self.fails = Failures()
        self.emails = []      # {file, t, to, items [(item, rule, stage, due)], plans, ...}
        self.digest_days = collections.defaultdict(set)  # address -> local days with a digest
        self.mutations = []   # {action, t, old, desc}
        self.mutated = set()  # item keys changed by a mutation
        self.seen_files = set()
        self.slot_cache = {}
        self.stats = collections.Counter()

    # -- running ----------------------------------------------------------------------------

    def exec(self, argv, what):
        """Runs argv (no shell), which must exit 0; returns stdout.  Time goes to stats."""
        t0 = time.monotonic()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           env=self.env)
        self.stats[what] += time.monotonic() - t0
        err = p.stderr.decode("utf-8", "replace")
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(p.returncode, 0, "expected `%s` to exit 0, got %d; stderr:\n%s"
                         % (" ".join(argv), p.returncode, err[-3000:]))
        return p.stdout.decode("utf-8", "replace")

    def dry_run(self, t, what="dry runs"):
        out = self.exec([kaptest.KAPD, "-c", self.kconf, "--dry-run", "--json", "--now",
                         iso(t)], what)
        rows = []
        for ln, line in enumerate(out.splitlines()):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as e:
                    self.fail("dry run at %s: line %d is not JSON (%s): %r"
                              % (iso(t), ln + 1, e, line[:300]))
        return rows

    def slot_of(self, s):
        """The instant of an ISO 8601 time with offset, or None."""
        if not isinstance(s, str):
            return None
        if s not in self.slot_cache:
            try:
                v = datetime.datetime.fromisoformat(s)
            except ValueError:
                v = None
            self.slot_cache[s] = v if v is not None and v.tzinfo is not None else None
        return self.slot_cache[s]

    # -- the model of delivery slots (SPEC §3) ----------------------------------------------

    def mode(self, addr):
        p = self.by_email.get(addr)
        return p.get("notify", "digest") if p else None

    def is_slot(self, addr, t):
        """Whether instant t is a delivery slot for recipient addr, given the local days on
        which a digest already went to them."""
        mode = self.mode(addr)
        if mode in (None, "none"):
            return False
        local = t.astimezone(self.zone[addr])
        if local.weekday() not in SEND_DAYS or local.date().isoformat() in HOLIDAYS:
            return False
        if local.time() < SEND_TIME:
            return False
        if mode == "immediate":
            return local.time() < WINDOW_END
        return local.date() not in self.digest_days[addr]

    def absent_on(self, pkey, local_date):
        """The substitute of person pkey on their local day, or None."""
        for f, u, s in ABSENCES.get(pkey, []):
            if f <= local_date.isoformat() <= u:
                return s
        return None

    def local(self, addr, t):
        return t.astimezone(self.zone[addr]).strftime("%a %Y-%m-%d %H:%M")

    # -- the test ---------------------------------------------------------------------------

    def test_sixty_days_every_fifteen_minutes(self):
        schedule = {START + datetime.timedelta(days=d, hours=h): a for d, h, a in MUTATIONS
                    if d < DAYS}
        n_checks = DAYS * 96
        wall = time.monotonic()
        for n in range(n_checks):
            t = START + n * STEP
            if t in schedule:
                self.mutate(schedule[t], t, self.dry_run(t, "mutations"))
            deliverable = self.deliverable_at(t, self.dry_run(t))
            self.exec([kaptest.KAPD, "-c", self.kconf, "--once", "--now", iso(t)], "checks")
            mailed = self.collect_emails(t)
            # 3. nothing left out, nothing extra
            for key in sorted(set(deliverable) - set(mailed)):
                self.fails.add("3. deliverable at T (dry run) but not mailed by the check at "
                               "T", "at %s: item=%s rule=%s stage=%s due=%s to=%s"
                               % ((iso(t),) + key))
            for key in sorted(set(mailed) - set(deliverable)):
                self.fails.add("3. mailed by the check at T but not deliverable at T (dry "
                               "run)", "at %s: item=%s rule=%s stage=%s due=%s to=%s"
                               % ((iso(t),) + key))
        elapsed = time.monotonic() - wall

        where = self.check_duplicates()
        self.check_ledger(where)
        self.check_people_and_plans()
        self.check_mutations()
        self.check_coverage()
        summary = self.summary(n_checks, elapsed, where)
        if self.fails:
            self.fail("%s\n%s" % (summary, self.fails.report()))

    def deliverable_at(self, t, rows):
        """The notifications the dry run at t reports as deliverable at t, after checking
        every pending line against the slot model."""
        deliverable = collections.Counter()
        self.stats["pending lines"] += len(rows)
        for r in rows:
            try:
                addr = r["recipient"].lower()
                key = (r["item"], r["rule"], r["stage"], r["due"], addr)
            except (KeyError, AttributeError, TypeError):
                self.fails.add("dry run: malformed line", "at %s: %r" % (iso(t), r))
                continue
            s, zone, line = self.slot_of(r.get("slot")), self.zone.get(addr), json.dumps(r)
            if zone is None:
                self.fails.add("dry run: recipient is nobody's address",
                               "at %s: %s" % (iso(t), line))
                continue
            if s is None:
                self.fails.add("dry run: slot missing or not ISO 8601 with offset",
                               "at %s: %s" % (iso(t), line))
                continue
            if s.utcoffset() != s.astimezone(zone).utcoffset():
                self.fails.add("dry run: slot not in the recipient's offset",
                               "at %s: %s (zone %s: %s)" % (iso(t), line, zone.key,
                                                            s.astimezone(zone).isoformat()))
            if s < t:
                self.fails.add("dry run: slot in the past", "at %s: %s" % (iso(t), line))
            if t < s <= t + DRIFT:
                # kapd checked a little after --now: reported once, and counted as
                # deliverable at t so that it does not show up as unrelated failures.
                self.fails.add(DRIFT_MSG, "dry run --now %s reported %s" % (iso(t), line))
                s = t
            where = "at %s (%s local, mode %s): %s" % (iso(t), self.local(addr, t),
                                                       self.mode(addr), line)
            if s == t:
                deliverable[key] += 1
                if not self.is_slot(addr, t):
                    self.fails.add("dry run: deliverable at an instant that is no slot for "
                                   "the recipient", where)
            elif self.is_slot(addr, t) and (self.mode(addr) != "escalations-only" or
                                            r["rule"] in ESCALATION_RULES):
                self.fails.add("lost slot: pending at an instant that is a slot for the "
                               "recipient, but not deliverable then", where)
        for key, c in deliverable.items():
            if c > 1:
                self.fails.add("dry run: notification listed twice",
                               "at %s: %r x%d" % (iso(t), key, c))
        self.stats["deliverable"] += len(deliverable)
        return deliverable

    def summary(self, n_checks, elapsed, where):
        st = self.stats
        rules = collections.Counter(it[1] for em in self.emails for it in em["items"])
        text = ("time travel: %d checks (%d days from %s), %d kapd runs in %.1f s (dry runs "
                "%.1f s, checks %.1f s, mutations %.1f s); %d emails, %d notifications (%d "
                "distinct), %d of %d dry-run lines deliverable at their T; %d mutations; "
                "rules: %s" % (n_checks, DAYS, iso(START), 2 * n_checks, elapsed,
                               st["dry runs"], st["checks"], st["mutations"],
                               len(self.emails), sum(len(em["items"]) for em in self.emails),
                               len(where), st["deliverable"], st["pending lines"],
                               len(self.mutations),
                               ", ".join("%s=%d" % kv for kv in sorted(rules.items()))))
        sys.stderr.write("\n%s\n  daylight-saving changes crossed: %s\n"
                         % (text, ", ".join(dst_changes())))
        for m in self.mutations:
            sys.stderr.write("  mutation: %s\n" % m["desc"])
        return text

    def check_coverage(self):
        """The run must have exercised what it claims to exercise."""
        modes = {self.mode(em["to"]) for em in self.emails}
        for want in ("digest", "immediate", "escalations-only"):
            if want not in modes:
                self.fails.add("coverage: no email to a person in mode %s" % want,
                               "modes seen: %r" % sorted(m for m in modes if m))
        wanted = [a for d, h, a in MUTATIONS if d < DAYS]
        if len(self.mutations) != len(wanted):
            self.fails.add("coverage: not every mutation found an item to mutate",
                           "planned %r, done %r"
                           % (wanted, [m["action"] for m in self.mutations]))

    # -- emails -----------------------------------------------------------------------------

    def collect_emails(self, t):
        """Reads the .eml files the check at t wrote; returns their notifications."""
        new = sorted(set(os.listdir(self.outbox)) - self.seen_files)
        self.seen_files.update(new)
        mailed = collections.Counter()
        for name in new:
            if not name.endswith(".eml"):
                self.fails.add("outbox: a file that is no .eml left behind",
                               "%s after the check at %s" % (name, iso(t)))
                continue
            em = self.read_email(name, t)
            if em is None:
                continue
            self.emails.append(em)
            for it in em["items"]:
                mailed[it + (em["to"],)] += 1
            self.check_email_slot(em)
        return mailed

    def read_email(self, name, t):
        with open(os.path.join(self.outbox, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        tos = msg.get_all("To") or []
        if len(tos) != 1 or len(msg["To"].addresses) != 1:
            self.fails.add("email: not exactly one To address", "%s: %r" % (name, tos))
            return None
        to = msg["To"].addresses[0].addr_spec.lower()
        items = []
        for v in msg.get_all("X-KAP-Item") or []:
            it = parse_item_header(v)
            if it is None:
                self.fails.add("email: malformed X-KAP-Item", "%s: %r" % (name, str(v)))
            else:
                items.append(it)
        if not items:
            self.fails.add("email: no X-KAP-Item header", "%s at %s to %s"
                           % (name, iso(t), to))
        date = msg["Date"]
        dt = getattr(date, "datetime", None) if date is not None else None
        if dt is None or dt.tzinfo is None:
            self.fails.add("email: missing or unparsable Date", "%s: %r" % (name, str(date)))
            dt = t
        elif t < dt <= t + DRIFT:
            self.fails.add(DRIFT_MSG, "--once --now %s wrote %s with Date: %s"
                           % (iso(t), name, str(date)))
            dt = t
        elif dt != t:
            self.fails.add("2. email Date is not the instant of the check that wrote it",
                           "%s: Date %s, check at %s" % (name, str(date), iso(t)))
        plans = sorted(str(v).strip() for v in msg.get_all("X-KAP-Plan") or [])
        item_plans = set()
        for it in items:
            if it[1].startswith("review-") or it[1] == "status-report":
                item_plans.add(it[0])
            elif it[0] in self.items:
                item_plans.add(self.items[it[0]]["plan"])
            else:
                self.fails.add("email: X-KAP-Item names an unknown item",
                               "%s: %r" % (name, it))
        if set(plans) != item_plans or len(plans) != len(set(plans)):
            self.fails.add("email: X-KAP-Plan headers do not match its items' plans",
                           "%s: X-KAP-Plan %r, items' plans %r"
                           % (name, plans, sorted(item_plans)))
        return {"file": name, "t": dt, "to": to, "items": items, "plans": plans,
                "message_id": str(msg["Message-ID"] or "").strip()}

    def check_email_slot(self, em):
        """2. the email went out at a slot of its recipient."""
        to, dt = em["to"], em["t"]
        mode = self.mode(to)
        if mode is None:
            self.fails.add("email: To is nobody's address", "%s: %s" % (em["file"], to))
            return
        local = dt.astimezone(self.zone[to])
        where = "%s at %s to %s (%s local, mode %s)" % (em["file"], iso(dt), to,
                                                        self.local(to, dt), mode)
        if mode == "none":
            self.fails.add("2. email to a person with notify none", where)
        if local.weekday() not in SEND_DAYS:
            self.fails.add("2. email on a weekend in the recipient's zone", where)
        if local.date().isoformat() in HOLIDAYS:
            self.fails.add("2. email on a holiday in the recipient's zone", where)
        if local.time() < SEND_TIME:
            self.fails.add("2. email before 08:00 local", where)
        if mode == "immediate":
            if local.time() >= WINDOW_END:
                self.fails.add("2. immediate email at or after 18:00 local", where)
            if len(em["items"]) != 1:
                self.fails.add("2. immediate-mode email with more than one notification",
                               "%s: %r" % (where, em["items"]))
        if mode in ("digest", "escalations-only"):
            if local.date() in self.digest_days[to]:
                self.fails.add("2. second digest on one local day", where)
            self.digest_days[to].add(local.date())
        if mode == "escalations-only":
            for it in em["items"]:
                if it[1] not in ESCALATION_RULES:
                    self.fails.add("2. non-escalation to an escalations-only person",
                                   "%s: %r" % (where, it))

    def check_duplicates(self):
        """1. each (item, rule, stage, due, recipient) is in exactly one email."""
        where = collections.defaultdict(list)
        for em in self.emails:
            for it in em["items"]:
                where[it + (em["to"],)].append("%s@%s" % (em["file"], iso(em["t"])))
        for key, files in sorted(where.items()):
            if len(files) > 1:
                self.fails.add("1. notification in more than one email",
                               "item=%s rule=%s stage=%s due=%s to=%s in %s"
                               % (key + (", ".join(files[:4]),)))
        return where

    # -- ledger -----------------------------------------------------------------------------

    def check_ledger(self, where):
        """4. the ledger holds exactly the notifications found in the emails."""
        self.ledger_rows = kaptest.query(
            self.db, "SELECT n.item_key, n.rule, n.stage, n.deadline, n.recipient_key, "
            "d.email, d.message_id, d.state, n.plan_key, n.on_behalf_of, n.unowned, "
            "d.slot_at FROM notification n LEFT JOIN delivery d ON d.id = n.delivery_id")
        by_mid = {em["message_id"].strip("<>").split("@")[0]: em for em in self.emails}
        ledger = set()
        for item, rule, stage, due, rkey, daddr, mid, state, *_ in self.ledger_rows:
            p = self.person.get(rkey)
            if p is None:
                self.fails.add("4. ledger: recipient_key is no person",
                               repr((item, rule, rkey)))
                continue
            key = (item, rule, stage, due, p["email"].lower())
            ledger.add(key)
            em = by_mid.get(mid)
            if daddr is None:
                self.fails.add("4. ledger: notification without delivery row", repr(key))
            elif daddr.lower() != key[4]:
                self.fails.add("4. ledger: delivery address differs from the notification's "
                               "recipient", "%r delivery email %s" % (key, daddr))
            elif em is None:
                self.fails.add("4. ledger: delivery message_id matches no .eml",
                               "%r message_id %r" % (key, mid))
            elif key[:4] not in em["items"]:
                self.fails.add("4. ledger: notification's delivery is an email that does "
                               "not hold it", "%r in %s" % (key, em["file"]))
            if daddr is not None and state != "sent":
                self.fails.add("4. ledger: delivery not in state sent",
                               "%r state %r" % (key, state))
        for key in sorted(set(where) - ledger):
            self.fails.add("4. mailed but not in the ledger",
                           "item=%s rule=%s stage=%s due=%s to=%s" % key)
        for key in sorted(ledger - set(where)):
            self.fails.add("4. in the ledger but in no email",
                           "item=%s rule=%s stage=%s due=%s to=%s" % key)
        deliveries = kaptest.query(self.db, "SELECT message_id, email, mode FROM delivery")
        dmids = {d[0] for d in deliveries}
        if len(deliveries) != len(self.emails) or dmids != set(by_mid):
            self.fails.add("4. delivery rows and .eml files differ",
                           "%d delivery rows, %d emails; only in ledger %r; only in files %r"
                           % (len(deliveries), len(self.emails),
                              sorted(dmids - set(by_mid))[:5],
                              sorted(set(by_mid) - dmids)[:5]))
        for mid, addr, mode in deliveries:
            pref = self.mode(addr.lower())
            if mode != ("digest" if pref == "escalations-only" else pref):
                self.fails.add("4. delivery mode differs from the recipient's preference",
                               "%s to %s: mode %s, preference %s" % (mid, addr, mode, pref))

    # -- people, absences, plans ------------------------------------------------------------

    def check_people_and_plans(self):
        active = {k for k, p in self.plans.items() if p.get("state", "active") == "active"}
        for em in self.emails:
            for pk in em["plans"]:
                if pk not in active:
                    self.fails.add("email about a plan that is not active",
                                   "%s to %s: plan %s (%s)" % (
                                       em["file"], em["to"], pk,
                                       self.plans.get(pk, {}).get("state")))
            p = self.by_email.get(em["to"])
            if p and self.absent_on(p["key"], em["t"].astimezone(self.zone[em["to"]]).date()):
                self.fails.add("email to a person on their absence day",
                               "%s at %s to %s (absent %r)" % (em["file"], iso(em["t"]),
                                                               em["to"], ABSENCES[p["key"]]))
        used = set()
        for item, rule, stage, due, rkey, _, _, _, plan, obo, unowned, slot_at in \
                self.ledger_rows:
            what = "%r to %s" % ((item, rule, stage, due), rkey)
            if obo is not None:
                self.check_substitution(what, rkey, obo, slot_at)
                used.add(obo)
            # Items without owner go to the KAM (or the KAM's substitute), marked unowned.
            it = self.items.get(item)
            if rule in OWNER_RULES and it is not None and it["owner"] is None and \
                    item not in self.mutated:
                kam = next(m["person"] for m in self.plans[plan]["team"] if m["role"] == "kam")
                if kam not in (rkey, obo):
                    self.fails.add("unowned item not reported to the KAM",
                                   "%s (KAM %s)" % (what, kam))
                if not unowned:
                    self.fails.add("unowned item not marked unowned in the ledger", what)
        first, last = START.date().isoformat(), (START + datetime.timedelta(
            days=DAYS - 1)).date().isoformat()
        for pk, spans in ABSENCES.items():
            inside = any(f <= last and u >= first for f, u, _ in spans)
            if inside and self.person[pk]["notify"] in ("digest", "immediate") and \
                    pk not in used:
                self.fails.add("coverage: nothing was substituted for an absent person",
                               "%s absent %r" % (pk, spans))

    def check_substitution(self, what, rkey, obo, slot_at):
        """Marked substitution happens only on the absent person's absence days, to their
        substitute (decided at the slot: the absent person's local day then)."""
        absent = self.person.get(obo)
        if absent is None:
            self.fails.add("substitution: on_behalf_of is not a person key",
                           "%s on behalf of %r" % (what, obo))
            return
        inst = datetime.datetime.fromtimestamp(slot_at, datetime.timezone.utc)
        day = inst.astimezone(zoneinfo.ZoneInfo(absent["timezone"])).date()
        sub = self.absent_on(obo, day)
        if sub is None:
            self.fails.add("substitution outside the absence",
                           "%s on behalf of %s at %s (their day %s)"
                           % (what, obo, iso(inst), day))
        elif sub != rkey:
            self.fails.add("substitution to someone else than the substitute",
                           "%s on behalf of %s: the substitute is %s" % (what, obo, sub))

    # -- mutations --------------------------------------------------------------------------

    def mutate(self, action, t, rows):
        """Changes one item that the dry run at t reports pending for an owner rule with its
        slot still ahead (within four days), with kapctl --now t."""
        cands = []
        for r in rows:
            s = self.slot_of(r.get("slot"))
            it = self.items.get(r.get("item"))
            if s is None or not t < s <= t + datetime.timedelta(days=4) or it is None or \
                    it["state"] != "open" or r["item"] in self.mutated or \
                    r["rule"] not in OWNER_RULES:
                continue
            cands.append((s, r["item"], r))
        today = t.astimezone(zoneinfo.ZoneInfo(CONFIG_ZONE)).date()
        for s, key, r in sorted(cands, key=lambda c: c[:2]):
            it = self.items[key]
            addr = r["recipient"].lower()
            pending = "pending %s/%s to %s, slot %s" % (r["rule"], r["stage"], addr, r["slot"])
            old = {"item": key, "due": it["due"], "owner": it["owner"], "addr": addr}
            if action in ("done", "cancel"):
                args = ["done", it["kind"], key, "--on", today.isoformat()] \
                    if action == "done" else ["cancel", it["kind"], key]
                it["state"] = "done" if action == "done" else "cancelled"
                desc = "%s %s at %s (%s)" % (action, key, iso(t), pending)
            elif action.startswith("move"):
                new = today + datetime.timedelta(days=9 if action == "move-later" else -2)
                if new.isoformat() == it["due"]:
                    continue
                args = ["edit", it["kind"], key, "--due", new.isoformat()]
                it["due"] = old["new_due"] = new.isoformat()
                desc = "move %s from %s to %s at %s (%s)" % (key, old["due"], new, iso(t),
                                                             pending)
            else:  # reassign an item whose pending notification goes to its owner
                owner = it["owner"]
                if owner is None or self.person[owner]["email"].lower() != addr:
                    continue
                new = [m["person"] for m in self.plans[it["plan"]]["team"]
                       if m["person"] != owner and m["person"] not in ABSENCES and
                       self.person[m["person"]]["notify"] in ("digest", "immediate")]
                if not new:
                    continue
                args = ["edit", it["kind"], key, "--owner", new[0]]
                it["owner"] = old["new_owner"] = new[0]
                desc = "reassign %s from %s to %s at %s (%s)" % (key, owner, new[0], iso(t),
                                                                 pending)
            t0 = time.monotonic()
            self.ok(*args, now=iso(t))
            self.stats["mutations"] += time.monotonic() - t0
            self.mutated.add(key)
            self.mutations.append({"action": action, "t": t, "old": old, "desc": desc})
            return

    def check_mutations(self):
        """After a change nothing is mailed in its old form, and the new form is mailed."""
        for m in self.mutations:
            t, old, action = m["t"], m["old"], m["action"]
            new_addr = self.person[old["new_owner"]]["email"].lower() \
                if "new_owner" in old else None
            hits_new = 0
            for em in self.emails:
                if em["t"] < t:
                    continue
                for item, rule, stage, due in em["items"]:
                    if item != old["item"]:
                        continue
                    ev = "%s; %s at %s to %s: %s/%s due %s" % (
                        m["desc"], em["file"], iso(em["t"]), em["to"], rule, stage, due)
                    if action in ("done", "cancel"):
                        self.fails.add("decided at the slot: item mailed after it was %s"
                                       % ("done" if action == "done" else "cancelled"), ev)
                    elif action.startswith("move") and due == old["due"]:
                        self.fails.add("decided at the slot: old deadline mailed after the "
                                       "move", ev)
                    elif action.startswith("move"):
                        hits_new += due == old["new_due"]
                    elif rule in OWNER_RULES and em["to"] == old["addr"]:
                        self.fails.add("decided at the slot: old owner reminded after the "
                                       "reassignment", ev)
                    else:
                        hits_new += rule in OWNER_RULES and em["to"] == new_addr
            # The new date's first stage (upcoming, 7 days before it, plus a weekend) must
            # fall inside the simulated period for its mail to be expected (a shortened
            # run, KAPD_TIMETRAVEL_DAYS, may end before).
            end = (START + datetime.timedelta(days=DAYS)).date()
            reachable = "new_due" not in old or datetime.date.fromisoformat(
                old["new_due"]) - datetime.timedelta(days=7 - 3) <= end
            if action.startswith("move") and not hits_new and reachable:
                self.fails.add("moved deadline: nothing mailed for the new date", m["desc"])
            if action == "reassign" and not hits_new:
                self.fails.add("reassigned item: the new owner was never reminded", m["desc"])


if __name__ == "__main__":
    unittest.main()
