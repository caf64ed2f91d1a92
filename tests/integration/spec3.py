#!/usr/bin/python3
"""An independent reference implementation of SPEC §3 (what the daemon decides).

Written from /work/shared/SPEC.md §3/§6, plan-format.md, etc/kapd.conf and the schema only
(never from daemon/*.c), so that test_spec3.py can compare it with
`kapd --dry-run --json --now T`.  Stdlib only.

    spec3.py --db FILE [--conf FILE] --now 2026-12-01T08:00:00+01:00

prints the notifications pending at that instant, one JSON object a line, in the format of
SPEC §6 (the order of the lines is not part of the contract).

Interpretations where SPEC is silent (documented product behaviour of kapd):
- A person's zone for plan P: the person's timezone, else P's, else config `timezone`.
- "today" for a rule is the local date, at --now, of the rule's recipient: the owner for
  the owner rules (the KAM when the item has no owner or the owner no email), the KAM for
  escalation and review rules, the sponsor for the sponsor rule, review-escalation and an
  escalation about a KAM-owned item.
- Only open milestones and activities of active plans are controlled.
- Absence: a recipient absent on their local today (from <= today <= until) with a
  substitute that has an email (and is not themself) has the notification addressed to
  the substitute.  One level only.
- Preferences: none -> nothing; escalations-only -> only escalation, sponsor and
  review-escalation.  The original recipient's and the substitute's preferences must both
  allow it; the addressee's preference decides the delivery mode (immediate, else digest).
- Slot: in the addressee's zone.  Nothing was ever mailed (dry run), so a digest slot is
  "now" whenever now is on a send day at or after send_time.
"""

import collections
import datetime
import json
import re
import sqlite3
import sys
from zoneinfo import ZoneInfo

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ESCALATION_RULES = ("escalation", "sponsor", "review-escalation")

DEFAULTS = {
    "timezone": "UTC",
    "reminders": {"lead_days": [7, 1], "overdue_every_days": 3, "escalate_after_days": 7,
                  "sponsor_after_days": 21},
    "annual_update": {"lead_days": [30, 7], "overdue_every_days": 7,
                      "escalate_after_days": 30},
    "status_report": {"weekday": "Monday", "stale_after_days": 180},
    "delivery": {"mode": "digest", "send_time": "08:00", "window_end": "18:00",
                 "send_days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
                 "holidays": []},
}


# ---------------------------------------------------------------------------------------
# Configuration

def parse_libconfig(text):
    """A small parser for the libconfig subset kapd.conf uses: `key = value;` settings,
    groups `{ ... }`, arrays `[ ... ]`, strings, integers, booleans, comments."""
    toks = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated comment")
            i = j + 2
        elif c == '"':
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise ValueError("unterminated string")
                if text[j] == "\\":
                    buf.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"'}.get(text[j + 1],
                                                                             text[j + 1]))
                    j += 2
                elif text[j] == '"':
                    break
                else:
                    buf.append(text[j])
                    j += 1
            # adjacent strings concatenate
            if toks and toks[-1][0] == "str":
                toks[-1] = ("str", toks[-1][1] + "".join(buf))
            else:
                toks.append(("str", "".join(buf)))
            i = j + 1
        elif c in "{}[]();,=:":
            toks.append(("p", c))
            i += 1
        else:
            m = re.compile(r"[A-Za-z0-9_.+\-*]+").match(text, i)
            if not m:
                raise ValueError("unexpected %r" % c)
            w = m.group(0)
            if re.fullmatch(r"[+-]?\d+L?", w):
                toks.append(("val", int(w.rstrip("L"))))
            elif re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?", w):
                toks.append(("val", float(w)))
            elif w.lower() in ("true", "false"):
                toks.append(("val", w.lower() == "true"))
            else:
                toks.append(("name", w))
            i = m.end()
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else (None, None)

    def take():
        t = peek()
        pos[0] += 1
        return t

    def settings(end):
        out = {}
        while peek() != end and peek() != (None, None):
            kind, name = take()
            if kind != "name":
                raise ValueError("expected a setting name, got %r" % (name,))
            if take()[1] not in ("=", ":"):
                raise ValueError("expected = after %s" % name)
            out[name] = value()
            if peek() in (("p", ";"), ("p", ",")):
                take()
        return out

    def value():
        kind, v = take()
        if (kind, v) == ("p", "{"):
            g = settings(("p", "}"))
            take()
            return g
        if (kind, v) in (("p", "["), ("p", "(")):
            close = "]" if v == "[" else ")"
            arr = []
            while peek() != ("p", close):
                arr.append(value())
                if peek() == ("p", ","):
                    take()
            take()
            return arr
        if kind in ("str", "val"):
            return v
        raise ValueError("unexpected %r" % (v,))

    return settings((None, None))


def load_config(settings=None):
    """The effective configuration: DEFAULTS overlaid with `settings` (a dict as from
    parse_libconfig)."""
    conf = json.loads(json.dumps(DEFAULTS))
    for k, v in (settings or {}).items():
        if isinstance(v, dict) and isinstance(conf.get(k), dict):
            conf[k].update(v)
        else:
            conf[k] = v
    return conf


def weekday_index(name):
    """0 = Monday .. 6 = Sunday, from "Monday".."Sunday" or "Mon".."Sun" in any case."""
    s = name.strip().lower()
    for i, w in enumerate(WEEKDAYS):
        if s == w or s == w[:3]:
            return i
    raise ValueError("bad weekday %r" % name)


def hhmm(s):
    h, m = s.split(":")
    return datetime.time(int(h), int(m))


# ---------------------------------------------------------------------------------------
# The data (people, plans, items)

class Person:
    def __init__(self, key, email, timezone, notify, absences):
        self.key = key
        self.email = email or None
        self.timezone = timezone or None
        self.notify = notify or None
        self.absences = absences  # [(from date, until date, substitute key or None)]

    def as_tuple(self):
        return (self.key, self.email, self.timezone, self.notify, tuple(self.absences))


class Plan:
    def __init__(self, key, timezone, state, next_review, kam, sponsor, items):
        self.key = key
        self.timezone = timezone or None
        self.state = state
        self.next_review = next_review  # date or None
        self.kam = kam                  # person key
        self.sponsor = sponsor          # person key or None
        self.items = items              # [(kind, key, owner key or None, due date, state)]

    def as_tuple(self):
        return (self.key, self.timezone, self.state, self.next_review, self.kam,
                self.sponsor, tuple(sorted(self.items, key=repr)))


class Model:
    def __init__(self, people, plans):
        self.people = people  # key -> Person
        self.plans = plans    # [Plan]

    def as_tuple(self):
        return (tuple(sorted((p.as_tuple() for p in self.people.values()), key=repr)),
                tuple(sorted((p.as_tuple() for p in self.plans), key=repr)))


def _date(s):
    return datetime.date.fromisoformat(s) if s else None


def model_from_db(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        keys = dict(con.execute("SELECT id, key FROM person"))
        absences = {}
        for pid, f, u, sub in con.execute(
                "SELECT person_id, from_date, until_date, substitute_id FROM absence "
                "ORDER BY person_id, position, id"):
            absences.setdefault(pid, []).append((_date(f), _date(u),
                                                 keys.get(sub) if sub is not None else None))
        people = {}
        for pid, key, email, tz, notify in con.execute(
                "SELECT id, key, email, timezone, notify FROM person"):
            people[key] = Person(key, email, tz, notify, absences.get(pid, []))
        plans = []
        for plid, key, tz, state, nr in con.execute(
                "SELECT id, key, timezone, state, next_review FROM plan ORDER BY id"):
            kam = sponsor = None
            for role, pid in con.execute(
                    "SELECT role, person_id FROM team_member WHERE plan_id = ?", (plid,)):
                if role == "kam":
                    kam = keys[pid]
                elif role == "sponsor":
                    sponsor = keys[pid]
            items = []
            for kind in ("milestone", "activity"):
                for ikey, owner, due, st in con.execute(
                        "SELECT key, owner_id, due, state FROM %s WHERE plan_id = ? "
                        "ORDER BY id" % kind, (plid,)):
                    items.append((kind, ikey, keys.get(owner) if owner is not None else None,
                                  _date(due), st))
            plans.append(Plan(key, tz, state, _date(nr), kam, sponsor, items))
        return Model(people, plans)
    finally:
        con.close()


def _add_year(d):
    try:
        return d.replace(year=d.year + 1)
    except ValueError:  # 29 February falls back to 28 February
        return d.replace(year=d.year + 1, day=28)


def model_from_doc(doc):
    """The same model from a kapd-plan/1 document (defaults of plan-format.md/SPEC §2)."""
    people = {}
    for p in doc.get("people") or []:
        abs_ = [(_date(a["from"]), _date(a["until"]), a.get("substitute"))
                for a in p.get("absences") or []]
        people[p["key"]] = Person(p["key"], p.get("email"), p.get("timezone"),
                                  p.get("notify"), abs_)
    plans = []
    for acc in doc.get("accounts") or []:
        for pl in acc.get("plans") or []:
            kam = sponsor = None
            for tm in pl.get("team") or []:
                if tm["role"] == "kam":
                    kam = tm["person"]
                elif tm["role"] == "sponsor":
                    sponsor = tm["person"]
            nr = _date(pl.get("next_review"))
            if nr is None and pl.get("last_review"):
                nr = _add_year(_date(pl["last_review"]))
            items = []
            for kind, member in (("milestone", "milestones"), ("activity", "activities")):
                for it in pl.get(member) or []:
                    items.append((kind, it["key"], it.get("owner"), _date(it["due"]),
                                  it.get("state") or "open"))
            plans.append(Plan(pl["key"], pl.get("timezone"), pl.get("state") or "active",
                              nr, kam, sponsor, items))
    return Model(people, plans)


# ---------------------------------------------------------------------------------------
# The decision

_zones = {}


def zone(name):
    if name not in _zones:
        _zones[name] = ZoneInfo(name)
    return _zones[name]


def stage_for(k, lead_days, every):
    """(rule suffix, stage) of an owner/review rule for k = today - D, or None."""
    if k < 0:
        ahead = [L for L in lead_days if L >= -k]
        if not ahead:
            return None
        return "upcoming", "upcoming-%d" % min(ahead)
    if k == 0:
        return "due", "due"
    return "overdue", "overdue-%d" % ((k - 1) // every)


def iso(dt):
    return dt.replace(microsecond=0).isoformat()


class Engine:
    def __init__(self, model, conf):
        self.m = model
        self.c = conf
        d = conf["delivery"]
        self.send_days = {weekday_index(w) for w in d["send_days"]}
        self.holidays = {datetime.date.fromisoformat(h) for h in d.get("holidays") or []}
        self.send_time = hhmm(d["send_time"])
        self.window_end = hhmm(d["window_end"])
        self.report_weekday = weekday_index(conf["status_report"]["weekday"])
        self._today, self._slot = {}, {}
        # How often each interpretation case was met (tests check their data reach them).
        self.stats = collections.Counter()

    # -- people ---------------------------------------------------------------------------

    def zone_of(self, person, plan):
        return zone(person.timezone or plan.timezone or self.c["timezone"])

    def today_of(self, person, plan, now):
        tz = self.zone_of(person, plan)
        key = (tz, now)
        if key not in self._today:
            self._today[key] = now.astimezone(tz).date()
        return self._today[key]

    def pref(self, person):
        return person.notify or self.c["delivery"]["mode"]

    @staticmethod
    def allows(pref, rule):
        if pref == "none":
            return False
        if pref == "escalations-only":
            return rule in ESCALATION_RULES
        return True

    def addressee(self, person, today):
        """The substitute when `person` is absent on `today` (one level), else person."""
        for f, u, sub in person.absences:
            if f <= today <= u and sub is not None and sub != person.key:
                s = self.m.people.get(sub)
                if s is not None and s.email:
                    return s
        return person

    # -- slots ---------------------------------------------------------------------------

    def is_send_day(self, d):
        return d.weekday() in self.send_days and d not in self.holidays

    def at(self, d, t, tz):
        """The first instant at which the local clock on day d reads t or later: what a
        check sees as the slot.  Outside daylight-saving changes that is simply d at t; a
        time in a gap becomes the moment of the change, a repeated time its first
        occurrence."""
        naive = datetime.datetime.combine(d, t)
        cands = [naive.replace(tzinfo=tz, fold=f).astimezone(datetime.timezone.utc)
                 for f in (0, 1)]
        start = min(cands) - datetime.timedelta(hours=3)
        for m in range(0, 6 * 60 + 1):
            u = start + datetime.timedelta(minutes=m)
            loc = u.astimezone(tz)
            if loc.date() == d and loc.time().replace(tzinfo=None) >= t:
                return loc
        return cands[0].astimezone(tz)

    def slot(self, now, tz, mode):
        local = now.astimezone(tz)
        d, t = local.date(), local.time().replace(tzinfo=None)
        if self.is_send_day(d):
            if mode == "immediate":
                if self.send_time <= t < self.window_end:
                    return local
            elif t >= self.send_time:
                return local
            if t < self.send_time:
                return self.at(d, self.send_time, tz)
        for i in range(1, 800):
            n = d + datetime.timedelta(days=i)
            if self.is_send_day(n):
                return self.at(n, self.send_time, tz)
        raise RuntimeError("no send day within 800 days")

    # -- rules -----------------------------------------------------------------------------

    def notify(self, out, now, plan, person, rule, stage, kind, item, due):
        """Adds the notification for `person` (the rule's recipient) if it goes anywhere."""
        if person is None or not person.email:
            self.stats["recipient without email"] += 1
            return
        today = self.today_of(person, plan, now)
        to = self.addressee(person, today)
        if to is person and any(f <= today <= u for f, u, _ in person.absences):
            self.stats["absent without usable substitute"] += 1
        if not self.allows(self.pref(person), rule):
            self.stats["recipient's preference %s blocks" % self.pref(person)] += 1
            return
        if not self.allows(self.pref(to), rule):
            self.stats["substitute's preference %s blocks" % self.pref(to)] += 1
            return
        if to is not person:
            self.stats["to a substitute"] += 1
        if not person.timezone:
            self.stats["recipient without time zone, plan %s" % (
                "with time zone" if plan.timezone else "without time zone")] += 1
        mode = "immediate" if self.pref(to) == "immediate" else "digest"
        self.stats["mode %s" % mode] += 1
        key = (self.zone_of(to, plan), mode, now)
        if key not in self._slot:
            self._slot[key] = iso(self.slot(now, key[0], mode))
        out.append({"recipient": to.email, "rule": rule, "stage": stage, "kind": kind,
                    "item": item, "plan": plan.key, "due": due.isoformat(),
                    "slot": self._slot[key]})

    def pending(self, now):
        """Every notification pending at `now` (an aware datetime), as dicts."""
        out = []
        self._today, self._slot = {}, {}  # per-instant caches
        P = self.m.people
        rem, au = self.c["reminders"], self.c["annual_update"]
        lead = sorted(rem["lead_days"], reverse=True)
        review_lead = sorted(au["lead_days"], reverse=True)
        for plan in self.m.plans:
            if plan.state != "active":
                continue
            kam = P.get(plan.kam)
            sponsor = P.get(plan.sponsor) if plan.sponsor else None
            for kind, key, owner_key, due, state in plan.items:
                if state != "open":
                    continue
                owner = P.get(owner_key) if owner_key else None
                rcpt = owner if owner is not None and owner.email else kam
                if owner is None:
                    self.stats["item without owner"] += 1
                elif not owner.email:
                    self.stats["owner without email"] += 1
                if rcpt is not None:
                    k = (self.today_of(rcpt, plan, now) - due).days
                    st = stage_for(k, lead, rem["overdue_every_days"])
                    if st:
                        self.notify(out, now, plan, rcpt, st[0], st[1], kind, key, due)
                esc = sponsor if owner_key is not None and owner_key == plan.kam else kam
                if owner_key is not None and owner_key == plan.kam:
                    self.stats["KAM-owned item, %s sponsor" % (
                        "with" if sponsor else "without")] += 1
                if esc is not None:
                    k = (self.today_of(esc, plan, now) - due).days
                    if k >= rem["escalate_after_days"]:
                        self.notify(out, now, plan, esc, "escalation", "escalation", kind,
                                    key, due)
                if sponsor is not None:
                    k = (self.today_of(sponsor, plan, now) - due).days
                    if k >= rem["sponsor_after_days"]:
                        self.notify(out, now, plan, sponsor, "sponsor", "sponsor", kind, key,
                                    due)
            if plan.next_review is not None:
                D = plan.next_review
                if kam is not None:
                    k = (self.today_of(kam, plan, now) - D).days
                    st = stage_for(k, review_lead, au["overdue_every_days"])
                    if st:
                        self.notify(out, now, plan, kam, "review-" + st[0], st[1], "plan",
                                    plan.key, D)
                if sponsor is not None:
                    k = (self.today_of(sponsor, plan, now) - D).days
                    if k >= au["escalate_after_days"]:
                        self.notify(out, now, plan, sponsor, "review-escalation",
                                    "review-escalation", "plan", plan.key, D)
            if kam is not None and kam.email:
                today = self.today_of(kam, plan, now)
                y, w, _ = today.isocalendar()
                day = datetime.date.fromisocalendar(y, w, self.report_weekday + 1)
                if today >= day:
                    self.notify(out, now, plan, kam, "status-report", "week-%04d-W%02d" % (y, w),
                                "plan", plan.key, day)
        return out


def line(n):
    """The JSON line of SPEC §6 for notification n (members in the documented order)."""
    return json.dumps({k: n[k] for k in ("recipient", "rule", "stage", "kind", "item", "plan",
                                         "due", "slot")}, ensure_ascii=False)


def parse_now(s):
    dt = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("--now needs an offset: %r" % s)
    return dt


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--conf")
    ap.add_argument("--now", required=True)
    a = ap.parse_args(argv)
    settings = {}
    if a.conf:
        with open(a.conf, encoding="utf-8") as f:
            settings = parse_libconfig(f.read())
    eng = Engine(model_from_db(a.db), load_config(settings))
    for n in eng.pending(parse_now(a.now)):
        print(line(n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
