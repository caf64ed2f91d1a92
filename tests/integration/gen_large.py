#!/usr/bin/python3
"""Generates a large, valid kapd-plan/1 document for import, export and load tests.

    gen_large.py [--plans N] [--items-per-plan M] [--seed S] [--base-date YYYY-MM-DD] OUT.json

Defaults: 200 plans across 100 accounts, 60 milestones and activities per plan, about 60
people.  The output depends only on the arguments.  Every member of the format appears
somewhere (with the default sizes), every enumeration value is used, some optional members
are null or absent, and the text is tricky but valid: umlauts, CJK, emoji, quotes,
backslashes, commas, semicolons, and newlines in the multi-line fields (description,
notes) only.  Single-line fields never hold a control character (SPEC §4: nothing may
inject a mail header).  The document is checked against the import rules of
plan-format.md before it is written; check_document() can be imported by other tests.
"""

import argparse
import datetime
import json
import os
import random
import re
import sys

FORMAT = "kapd-plan/1"
NOTIFY = ["digest", "immediate", "escalations-only", "none"]
ROLES = ["decision-maker", "influencer", "buyer", "user", "gatekeeper", "champion",
         "opponent", "unknown"]
ATTITUDES = ["supportive", "neutral", "critical", "unknown"]
HORIZONS = ["mid", "long"]
FOCUSES = ["product", "application", "region", "subsidiary", "other"]
ITEM_STATES = ["open", "done", "cancelled"]
PLAN_STATES = ["draft", "active", "archived"]
SWOT_KINDS = ["strength", "weakness", "opportunity", "threat"]
# Not enumerated in plan-format.md; these are the values sql/001_plan.sql allows.
PROJECT_STATES = ["open", "done", "cancelled"]
COMPLAINT_STATES = ["open", "in-progress", "closed"]
LANGUAGES = ["de", "en", "de", "en", "en-US", "de-CH", "fr", "zh-Hans-CN", "pt-BR", "ja"]
ZONES = ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/London", "UTC",
         "America/Chicago", "America/New_York", "America/Sao_Paulo", "Asia/Shanghai",
         "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney", "Pacific/Auckland",
         "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
CURRENCIES = ["EUR", "EUR", "EUR", "USD", "CHF", "GBP", "CNY", "JPY"]

# Fragments for text; none holds a control character.
WORDS = [
    "Müller", "Größe", "Straße", "Ärger", "Übergabe", "Öl", "Maßnahme", "GROẞ", "Fußnote",
    "Wartung", "Angebot", "Rahmenvertrag", "delivery", "spare parts", "retrofit", "line 3",
    "北京", "上海工厂", "東京都", "サービス", "한국어", "Ελληνικά", "Русский", "Čeština",
    "Łódź", "Ærø", "Zoë", "naïve café", "e\u0301", "😀", "🚀", "👩\u200d🔧", "🇩🇪", "€ 1.234,56",
    "½ Tag", "±5 %", "“quoted”", "\"double\"", "'single'", "„Anführung“", "«guillemets»",
    "back\\slash", "C:\\Temp\\plan.xlsx", "a,b,c", "x;y;z", "semi;colon", "comma, here",
    "<b>bold</b>", "&amp;", "%s %d %n", "${HOME}", "'; DROP TABLE plan; --", "=SUM(A1:A9)",
    "@here", "#42", "100 %", "\u00a0nbsp", "tab\u2192arrow", "עברית", "العربية", "∑∞≠",
]
FIRST = ["Anna", "Jürgen", "Zoë", "Łukasz", "José", "François", "Siobhán", "Björn", "Søren",
         "Renée", "Anna-Lena", "Nguyễn Văn", "小明", "花子", "Jessica", "Oliver", "Deniz",
         "Ümit", "Ines", "Marie-Thérèse", "Jean \"JJ\"", "Kai"]
LAST = ["Weber", "Groß", "Müller", "Ødegård", "Wróbel", "Núñez", "L'Hôte", "O'Brien",
        "Åström", "Kierkegaard", "Fleming", "Schäfer", "An", "王", "佐藤", "Miller", "Yılmaz",
        "Kessler-Brückner", "von der Höh", "da Silva", "Smith, Jr."]
FUNCTIONS = ["Key Account Manager", "Vertriebsleiter DACH", "Produktion", "Logistik",
             "F&E / R&D", "Service", "Qualitätsmanagement", "Einkauf", "CEO", "CTO",
             "Werkleiter", "Controlling", "Anwendungstechnik", "Sales \"EMEA\"", "品质经理"]
INDUSTRIES = ["Maschinenbau", "Automotive", "Food & Beverage", "Pharma; Chemie",
              "Halbleiter", "Energie, Wind", "Luft- und Raumfahrt", "食品机械"]
CITIES = ["70565 Stuttgart, DE", "80331 München, DE", "8001 Zürich, CH", "1010 Wien, AT",
          "Chicago, IL 60601, US", "上海市 200000, CN", "東京都 100-0001, JP",
          "97424 Schweinfurt, DE"]

SINGLE_LINE_CC = re.compile("[\u0000-\u001f\u007f-\u009f]")
MULTI_LINE_CC = re.compile("[\u0000-\u0009\u000b-\u001f\u007f-\u009f]")
KEY_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                      r"@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class Gen:
    """Random document parts; the first account and plan use every member and value."""

    def __init__(self, seed, base):
        self.rng = random.Random(seed)
        self.base = base

    def chance(self, p):
        return self.rng.random() < p

    def day(self, lo, hi):
        return self.base + datetime.timedelta(days=self.rng.randint(lo, hi))

    def text(self, words=(2, 7)):
        """A single line of tricky text."""
        n = self.rng.randint(*words)
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def lines(self):
        """Multi-line text: newlines, an empty line or a trailing newline."""
        parts = [self.text() for _ in range(self.rng.randint(1, 4))]
        if self.chance(0.3):
            parts.insert(1, "")
        return "\n".join(parts) + ("\n" if self.chance(0.2) else "")

    def name(self):
        return "%s %s" % (self.rng.choice(FIRST), self.rng.choice(LAST))

    def opt(self, obj, member, value, full, p_null=0.1, p_absent=0.05):
        """Sets an optional member; unless full, it is sometimes null or left out."""
        r = self.rng.random()
        if full or r >= p_null + p_absent:
            obj[member] = value
        elif r < p_null:
            obj[member] = None


def person(g, i, n):
    key = ["p%03d" % i, "P.%03d_x" % i, "person-%03d.de" % i][i % 3]
    local = ["anna.weber%d" % i, "j_mueller+kap%d" % i, "x%d" % i][i % 3]
    p = {"key": key, "name": g.name(), "email": "%s@team%d.supplier.example" % (local, i % 4),
         "language": g.rng.choice(LANGUAGES), "timezone": g.rng.choice(ZONES)}
    full = i < 4
    g.opt(p, "notify", NOTIFY[i % 4] if i < 4 else g.rng.choice(NOTIFY), full)
    g.opt(p, "function", g.rng.choice(FUNCTIONS), full)
    if full or g.chance(0.25):
        p["absences"] = absences(g, i, n, full)
    return p


def absences(g, i, n, full):
    out, start = [], g.day(-60, 30)
    for j in range(g.rng.randint(1, 3)):
        until = start + datetime.timedelta(days=g.rng.randint(0, 20))
        a = {"from": start.isoformat(), "until": until.isoformat()}
        sub = (i + g.rng.randint(1, n - 1)) % n
        g.opt(a, "substitute", sub, full and j == 0, p_null=0.2)
        out.append(a)
        start = until + datetime.timedelta(days=g.rng.randint(1, 90))
    return out


def people(g, n):
    ps = [person(g, i, n) for i in range(n)]
    for p in ps:  # substitutes were drawn as indexes
        for a in p.get("absences", []):
            if isinstance(a.get("substitute"), int):
                a["substitute"] = ps[a["substitute"]]["key"]
    return ps


def contacts(g, ak, full):
    out = []
    for j in range(len(ROLES) if full else g.rng.randint(0, 6)):
        c = {"key": "%s-c%d" % (ak, j), "name": g.name()}
        g.opt(c, "function", g.rng.choice(FUNCTIONS), full)
        g.opt(c, "email", "kontakt.%d@%s.kunde.example" % (j, ak.lower()), full)
        g.opt(c, "phone", "+49 (0)711 %04d-%d" % (g.rng.randint(0, 9999), j), full)
        g.opt(c, "decision_role", ROLES[j] if full else g.rng.choice(ROLES), full)
        g.opt(c, "attitude", ATTITUDES[j % 4] if full else g.rng.choice(ATTITUDES), full)
        g.opt(c, "notes", g.lines(), full, p_null=0.3)
        out.append(c)
    return out


def competitors(g, ak, full):
    out = []
    for j in range(2 if full else g.rng.randint(0, 3)):
        c = {"key": "%s-cmp%d" % (ak, j), "name": g.text((1, 3)) + " AG"}
        for m in ("position", "strengths", "weaknesses"):
            g.opt(c, m, g.text(), full)
        out.append(c)
    return out


def amount(g, lo, hi):
    """Whole numbers and numbers with cents, as JSON writers produce both."""
    v = g.rng.uniform(lo, hi)
    return int(v) if g.chance(0.5) else round(v, 2)


def history(g, full):
    periods = ["2021", "2022", "2023", "2024", "2025", "2025-Q3", "2025-H2", "FY 2025/26"]
    out = []
    for period in g.rng.sample(periods, len(periods) if full else g.rng.randint(0, 5)):
        rev = amount(g, 1e5, 5e7)
        h = {"period": period, "currency": g.rng.choice(CURRENCIES)}
        g.opt(h, "revenue", rev, full)
        g.opt(h, "margin", round(rev * g.rng.uniform(-0.1, 0.35), 2), full)
        out.append(h)
    return out


def projects(g, ak, full):
    out = []
    for j in range(3 if full else g.rng.randint(0, 4)):
        start = g.day(-700, 100)
        p = {"key": "%s-pr%d" % (ak, j), "title": g.text(),
             "state": PROJECT_STATES[j] if full else g.rng.choice(PROJECT_STATES)}
        g.opt(p, "start", start.isoformat(), full)
        g.opt(p, "end", (start + datetime.timedelta(days=g.rng.randint(0, 500))).isoformat(),
              full)
        out.append(p)
    return out


def complaints(g, ak, full):
    return [{"key": "%s-cp%d" % (ak, j), "date": g.day(-900, 0).isoformat(),
             "subject": g.text(),
             "state": COMPLAINT_STATES[j % 3] if full else g.rng.choice(COMPLAINT_STATES)}
            for j in range(3 if full else g.rng.randint(0, 4))]


def account(g, i, full):
    ak = "A%03d" % i  # prefix of the account's child keys
    key = [ak, "kunde-%03d.gmbh" % i, "K_%03d" % i][i % 3]
    if i == 1:
        key = ("x" * 64)[:61] + "%03d" % i   # the longest key allowed
    a = {"key": key, "name": g.text((1, 4)) + " GmbH & Co. KG"}
    members = {
        "industry": g.rng.choice(INDUSTRIES),
        "address": "%s %d, %s" % (g.rng.choice(WORDS), g.rng.randint(1, 200),
                                  g.rng.choice(CITIES)),
        "phone": "+49 711 %07d" % g.rng.randint(0, 9999999),
        "email": "info@%s.kunde.example" % ak.lower(),
        "website": "https://www.%s.kunde.example/de/ueber-uns?x=1&y=2" % ak.lower(),
        "rating": g.rng.choice(["A", "B", "C", "A+"]),
        "potential": g.rng.choice(["high", "medium", "low", "hoch", "sehr hoch (> 5 Mio €)"]),
        "networks": g.text(),
        "market_volume": {"amount": amount(g, 1e6, 2e8),
                          "currency": g.rng.choice(CURRENCIES)},
        "positioning": g.text((5, 12)),
        "strategic_direction": g.text((5, 12)),
        "processes": g.text((5, 12)),
    }
    for m, v in members.items():
        g.opt(a, m, v, full)
    a["contacts"] = contacts(g, ak, full)
    g.opt(a, "needs", [{"key": "%s-n%d" % (ak, j), "text": g.text()}
                       for j in range(g.rng.randint(1 if full else 0, 5))], full, 0.05)
    g.opt(a, "competitors", competitors(g, ak, full), full, 0.05)
    g.opt(a, "history", history(g, full), full, 0.05)
    a["projects"] = projects(g, ak, full)
    g.opt(a, "complaints", complaints(g, ak, full), full, 0.05)
    kinds = SWOT_KINDS if full else [g.rng.choice(SWOT_KINDS) for _ in range(g.rng.randint(0, 8))]
    g.opt(a, "swot", [{"kind": k, "text": g.text()} for k in kinds], full, 0.05)
    a["plans"] = []
    return a


def team(g, person_keys, full):
    size = g.rng.randint(3, min(10, len(person_keys)))
    chosen = g.rng.sample(person_keys, size)
    out = [{"person": chosen[0], "role": "kam"}]
    with_sponsor = full or g.chance(0.8)
    for j, pk in enumerate(chosen[1:]):
        t = {"person": pk, "role": "sponsor" if j == 0 and with_sponsor else "member"}
        g.opt(t, "function", g.rng.choice(FUNCTIONS), full, p_null=0.2, p_absent=0.3)
        out.append(t)
    return out


def goals(g, pk, full):
    out = []
    for j in range(len(FOCUSES) if full else g.rng.randint(0, 4)):
        gl = {"key": "%s-g%d" % (pk, j), "text": g.text(),
              "horizon": HORIZONS[j % 2] if full else g.rng.choice(HORIZONS)}
        g.opt(gl, "focus", FOCUSES[j] if full else g.rng.choice(FOCUSES), full)
        g.opt(gl, "focus_value", g.text((1, 3)), full)
        g.opt(gl, "target", g.text((2, 4)), full)
        g.opt(gl, "due", g.day(100, 1500).isoformat(), full)
        out.append(gl)
    return out


def item(g, key, owners, j, full):
    """The members milestones and activities share."""
    state = ITEM_STATES[j] if full and j < 3 else g.rng.choices(ITEM_STATES, (7, 2, 1))[0]
    due = g.day(-200, 300)
    it = {"key": key, "title": g.text(), "due": due.isoformat(), "state": state}
    # An item without owner is legal: its reminders go to the KAM (SPEC §3).
    g.opt(it, "owner", g.rng.choice(owners), full, p_null=0.01, p_absent=0.01)
    if state == "done":
        done = min(g.base, due + datetime.timedelta(days=g.rng.randint(-30, 10)))
        it["done_on"] = done.isoformat()
    elif full or g.chance(0.3):
        it["done_on"] = None
    return it


def plan_items(g, pk, owners, project_keys, n_items, full):
    n_ms = n_items // 5
    milestones = []
    for j in range(n_ms):
        m = item(g, "%s-m%03d" % (pk, j), owners, j, full)
        if project_keys:
            g.opt(m, "project", g.rng.choice(project_keys), full and j == 0, 0.3, 0.3)
        milestones.append(m)
    activities = []
    for j in range(n_items - n_ms):
        a = item(g, "%s-a%03d" % (pk, j), owners, j, full)
        if milestones:
            g.opt(a, "milestone", g.rng.choice(milestones)["key"], full and j == 0, 0.2, 0.2)
        if project_keys:
            g.opt(a, "project", g.rng.choice(project_keys), full and j == 0, 0.3, 0.3)
        g.opt(a, "description", g.lines(), full and j == 0, 0.3, 0.2)
        activities.append(a)
    return milestones, activities


def plan(g, i, acc, state, year, person_keys, n_items):
    full = i == 0
    pk = "P%04d" % i  # prefix of the plan's child keys
    p = {"key": "%s-%d" % (acc["key"][:50], year) if i % 2 else "plan_%04d.%d" % (i, year),
         "title": "KAP %d: %s" % (year, g.text((1, 4))), "state": state}
    g.opt(p, "language", g.rng.choice(LANGUAGES), full)
    g.opt(p, "timezone", g.rng.choice(ZONES), full)
    last = g.day(-500, -1)
    g.opt(p, "last_review", last.isoformat(), full)
    g.opt(p, "next_review", (last + datetime.timedelta(days=g.rng.randint(30, 400))).isoformat(),
          full)
    p["team"] = team(g, person_keys, full)
    g.opt(p, "goals", goals(g, pk, full), full, 0.05)
    owners = [t["person"] for t in p["team"]]
    project_keys = [pr["key"] for pr in acc["projects"]]
    p["milestones"], p["activities"] = plan_items(g, pk, owners, project_keys, n_items, full)
    return p


def plan_states(g, n):
    """An account's plans, oldest first: archived ones, the active one, maybe a draft."""
    states = ["archived"] * (n - 1) + ["active"]
    if n >= 2 and g.chance(0.3):
        states[-1], states[-2] = "draft", "active"
    elif n == 1 and g.chance(0.1):
        states[0] = "draft"
    return states


def generate(n_plans, n_items, seed, base):
    g = Gen(seed, base)
    n_people = max(12, round(n_plans * 0.3))
    n_accounts = max(1, (n_plans + 1) // 2)
    ps = people(g, n_people)
    person_keys = [p["key"] for p in ps]
    accounts = [account(g, i, i == 0) for i in range(n_accounts)]
    counts = [1 if i < n_plans else 0 for i in range(n_accounts)]
    for _ in range(n_plans - sum(counts)):
        counts[g.rng.randrange(n_accounts)] += 1
    if n_plans >= 3 and counts[0] < 3:  # the first account shows all three plan states
        counts[0] += 3 - counts[0]
        for _ in range(sum(counts) - n_plans):
            counts[max(range(1, n_accounts), key=lambda k: counts[k])] -= 1
    i = 0
    for acc, n in zip(accounts, counts):
        states = plan_states(g, n)
        if acc is accounts[0] and n >= 3:
            states[-3:] = ["archived", "active", "draft"]
        for k, state in enumerate(states):
            acc["plans"].append(plan(g, i, acc, state, base.year - n + 1 + k, person_keys,
                                     n_items))
            i += 1
    return {"format": FORMAT, "people": ps, "accounts": accounts}


# ---------------------------------------------------------------------------------------
# The import rules of plan-format.md, checked strictly (unknown members are errors).

SCHEMA = {
    "doc": {"format": "str", "people": ("list", "person"), "accounts": ("list", "account")},
    "person": {"key": "key", "name": "str", "email": "email", "language": "lang",
               "timezone": "zone", "notify": NOTIFY, "function": "str",
               "absences": ("list", "absence")},
    "absence": {"from": "date", "until": "date", "substitute": "key"},
    "account": {"key": "key", "name": "str", "industry": "str", "address": "str",
                "phone": "str", "email": "email", "website": "str", "rating": "str",
                "potential": "str", "networks": "str", "market_volume": ("obj", "money"),
                "positioning": "str", "strategic_direction": "str", "processes": "str",
                "contacts": ("list", "contact"), "needs": ("list", "need"),
                "competitors": ("list", "competitor"), "history": ("list", "history"),
                "projects": ("list", "project"), "complaints": ("list", "complaint"),
                "swot": ("list", "swot"), "plans": ("list", "plan")},
    "money": {"amount": "num", "currency": "currency"},
    "contact": {"key": "key", "name": "str", "function": "str", "email": "email",
                "phone": "str", "decision_role": ROLES, "attitude": ATTITUDES, "notes": "text"},
    "need": {"key": "key", "text": "str"},
    "competitor": {"key": "key", "name": "str", "position": "str", "strengths": "str",
                   "weaknesses": "str"},
    "history": {"period": "str", "revenue": "num", "margin": "num", "currency": "currency"},
    "project": {"key": "key", "title": "str", "start": "date", "end": "date",
                "state": PROJECT_STATES},
    "complaint": {"key": "key", "date": "date", "subject": "str", "state": COMPLAINT_STATES},
    "swot": {"kind": SWOT_KINDS, "text": "str"},
    "plan": {"key": "key", "title": "str", "language": "lang", "timezone": "zone",
             "state": PLAN_STATES, "last_review": "date", "next_review": "date",
             "team": ("list", "team"), "goals": ("list", "goal"),
             "milestones": ("list", "milestone"), "activities": ("list", "activity")},
    "team": {"person": "key", "role": ["kam", "sponsor", "member"], "function": "str"},
    "goal": {"key": "key", "horizon": HORIZONS, "focus": FOCUSES, "focus_value": "str",
             "text": "str", "target": "str", "due": "date"},
    "milestone": {"key": "key", "title": "str", "owner": "key", "due": "date",
                  "state": ITEM_STATES, "project": "key", "done_on": "date"},
    "activity": {"key": "key", "title": "str", "owner": "key", "due": "date",
                 "state": ITEM_STATES, "milestone": "key", "project": "key",
                 "description": "text", "done_on": "date"},
}
REQUIRED = {
    "doc": ["format", "people", "accounts"], "person": ["key", "name"],
    "absence": ["from", "until"], "account": ["key", "name"],
    "money": ["amount", "currency"], "contact": ["key", "name"], "need": ["key", "text"],
    "competitor": ["key", "name"], "history": ["period", "currency"],
    "project": ["key", "title"], "complaint": ["key", "date", "subject"],
    "swot": ["kind", "text"], "plan": ["key", "title"], "team": ["person", "role"],
    "goal": ["key", "horizon", "text"], "milestone": ["key", "title", "due", "state"],
    "activity": ["key", "title", "due", "state"],
}


def is_date(v):
    if not isinstance(v, str) or not DATE_RE.match(v):
        return False
    try:
        return datetime.date.fromisoformat(v).year >= 1
    except ValueError:
        return False


def value_error(typ, v):
    """Why scalar v does not fit typ, or None."""
    if isinstance(typ, list):
        return None if v in typ else "not one of %s" % ", ".join(typ)
    if typ == "num":
        ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        return None if ok else "not a number"
    if not isinstance(v, str):
        return "not a string"
    if typ == "text":
        return "control character" if MULTI_LINE_CC.search(v) else None
    if SINGLE_LINE_CC.search(v):
        return "control character in a single-line field"
    checks = {"key": KEY_RE.match, "date": is_date, "email": EMAIL_RE.match,
              "lang": LANG_RE.match, "currency": CURRENCY_RE.match,
              "zone": zone_exists, "str": lambda s: s != ""}
    return None if checks[typ](v) else "not a valid %s" % typ


def zone_exists(tz):
    if tz == "UTC":
        return True
    if not os.path.isdir("/usr/share/zoneinfo"):
        return True  # nothing to check against
    return ".." not in tz and os.path.isfile(os.path.join("/usr/share/zoneinfo", tz))


def check_shape(kind, obj, path, errors, seen):
    """Members, types and enumerations; collects the objects of every kind in seen."""
    if not isinstance(obj, dict):
        errors.append("%s: not an object" % path)
        return
    seen.setdefault(kind, []).append((path, obj))
    for m in REQUIRED[kind]:
        if obj.get(m) is None:
            errors.append("%s: missing %s" % (path, m))
    for m, v in obj.items():
        typ = SCHEMA[kind].get(m)
        if typ is None:
            errors.append("%s.%s: unknown member" % (path, m))
        elif v is None:
            continue
        elif isinstance(typ, tuple) and typ[0] == "list":
            if not isinstance(v, list):
                errors.append("%s.%s: not an array" % (path, m))
                continue
            for j, child in enumerate(v):
                check_shape(typ[1], child, "%s.%s[%d]" % (path, m, j), errors, seen)
        elif isinstance(typ, tuple):
            check_shape(typ[1], v, "%s.%s" % (path, m), errors, seen)
        else:
            why = value_error(typ, v)
            if why:
                errors.append("%s.%s: %s: %r" % (path, m, why, v))


def check_unique_keys(seen, errors):
    for kind, objs in seen.items():
        keys = {}
        for path, obj in objs:
            k = obj.get("key")
            if k is None:
                continue
            if k in keys:
                errors.append("%s.key: %s %r already used at %s" % (path, kind, k, keys[k]))
            keys[k] = path


def check_plan(path, p, persons, project_keys, errors):
    team = [t for t in p.get("team") or [] if isinstance(t, dict)]
    members = [t.get("person") for t in team]
    roles = [t.get("role") for t in team]
    if roles.count("kam") != 1:
        errors.append("%s.team: %d kam, expected exactly one" % (path, roles.count("kam")))
    if roles.count("sponsor") > 1:
        errors.append("%s.team: more than one sponsor" % path)
    if len(set(members)) != len(members):
        errors.append("%s.team: a person appears twice" % path)
    for j, pk in enumerate(members):
        if pk not in persons:
            errors.append("%s.team[%d].person: no person %r" % (path, j, pk))
    ms_keys = {m.get("key") for m in p.get("milestones") or []}
    for kind in ("milestones", "activities"):
        for j, it in enumerate(p.get(kind) or []):
            check_item("%s.%s[%d]" % (path, kind, j), it, members, ms_keys, project_keys,
                       errors)


def check_item(path, it, members, ms_keys, project_keys, errors):
    owner = it.get("owner")
    if owner is not None and owner not in members:
        errors.append("%s.owner: %r is not on the plan's team" % (path, owner))
    if (it.get("state") == "done") != (it.get("done_on") is not None):
        errors.append("%s.done_on: required exactly when state is done" % path)
    if it.get("milestone") is not None and it["milestone"] not in ms_keys:
        errors.append("%s.milestone: no milestone %r in this plan" % (path, it["milestone"]))
    if it.get("project") is not None and it["project"] not in project_keys:
        errors.append("%s.project: no project %r in this account" % (path, it["project"]))


def check_refs(doc, errors):
    persons = {p.get("key") for p in doc.get("people") or [] if isinstance(p, dict)}
    for i, p in enumerate(doc.get("people") or []):
        for j, a in enumerate(p.get("absences") or []):
            path = "$.people[%d].absences[%d]" % (i, j)
            sub = a.get("substitute")
            if sub is not None and (sub not in persons or sub == p.get("key")):
                errors.append("%s.substitute: %r is no other person" % (path, sub))
            if is_date(a.get("from")) and is_date(a.get("until")) and a["until"] < a["from"]:
                errors.append("%s: until before from" % path)
    for i, acc in enumerate(doc.get("accounts") or []):
        path = "$.accounts[%d]" % i
        projects = acc.get("projects") or []
        for j, pr in enumerate(projects):
            if is_date(pr.get("start")) and is_date(pr.get("end")) and pr["end"] < pr["start"]:
                errors.append("%s.projects[%d]: end before start" % (path, j))
        periods = [h.get("period") for h in acc.get("history") or []]
        if len(set(periods)) != len(periods):
            errors.append("%s.history: a period appears twice" % path)
        for j, p in enumerate(acc.get("plans") or []):
            check_plan("%s.plans[%d]" % (path, j), p, persons,
                       {pr.get("key") for pr in projects}, errors)


def check_document(doc):
    """Every violation of plan-format.md's rules, as "JSON path: problem" strings."""
    errors, seen = [], {}
    check_shape("doc", doc, "$", errors, seen)
    if doc.get("format") != FORMAT:
        errors.append("$.format: expected %r" % FORMAT)
    if not errors:
        check_unique_keys(seen, errors)
        check_refs(doc, errors)
    return errors


def coverage_gaps(doc):
    """Members never given a non-null value, and enumeration values never used."""
    used, seen = set(), {}
    check_shape("doc", doc, "$", [], seen)
    for kind, objs in seen.items():
        for _, obj in objs:
            for m, v in obj.items():
                if v is not None:
                    used.add((kind, m))
                    if isinstance(SCHEMA[kind][m], list):
                        used.add((kind, m, v))
    gaps = []
    for kind, members in SCHEMA.items():
        for m, typ in members.items():
            want = [(kind, m)] + [(kind, m, v) for v in typ] if isinstance(typ, list) else [
                (kind, m)]
            gaps += [":".join(w) for w in want if w not in used]
    return gaps


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Write a large valid kapd-plan/1 document.")
    ap.add_argument("--plans", type=int, default=200, help="number of plans (default 200)")
    ap.add_argument("--items-per-plan", type=int, default=60,
                    help="milestones plus activities per plan (default 60)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--base-date", type=datetime.date.fromisoformat,
                    default=datetime.date(2026, 12, 1),
                    help="dates are spread around this day (default 2026-12-01)")
    ap.add_argument("out", help="output file")
    args = ap.parse_args(argv)
    if args.plans < 1 or args.items_per_plan < 0:
        ap.error("--plans must be at least 1 and --items-per-plan at least 0")
    return args


def main(argv):
    args = parse_args(argv)
    doc = generate(args.plans, args.items_per_plan, args.seed, args.base_date)
    errors = check_document(doc)
    if errors:
        sys.stderr.write("gen_large.py: generated an invalid document (a bug):\n  %s\n"
                         % "\n  ".join(errors[:20]))
        return 1
    gaps = coverage_gaps(doc)
    if gaps:
        sys.stderr.write("gen_large.py: note: unused at this size: %s\n" % ", ".join(gaps))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, allow_nan=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
