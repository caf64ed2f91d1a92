#!/usr/bin/python3
"""Writes a realistic kapd-plan/1 document for the demo.

The supplier, Brenner Maschinenbau GmbH (machining centres and production lines), plans
its business with the key account Kessler Antriebstechnik AG, a drivetrain supplier with
plants in Germany, the US and China.  Deadlines are spread around "today" so that a
demo run shows every kind of reminder: items overdue by 1 to 30 days, due today, due in
the next week, later, done and cancelled.

    sample.py [--today YYYY-MM-DD] [OUT.json]

Without OUT the document goes to stdout.  The output depends only on the date.
"""

import argparse
import datetime
import json
import sys

SUPPLIER = "brenner-maschinenbau.example"
CUSTOMER = "kessler-antriebstechnik.example"

# key, name, email local part, language, time zone, notify, function
PEOPLE = [
    ("p-weber", "Anna Weber", "anna.weber", "de", "Europe/Berlin", "digest",
     "Key Account Managerin"),
    ("p-brandt", "Dr. Thomas Brandt", "thomas.brandt", "de", "Europe/Berlin",
     "escalations-only", "Geschäftsführer Vertrieb"),
    ("p-huber", "Jürgen Huber", "juergen.huber", "de", "Europe/Berlin", "immediate",
     "Leiter Anwendungstechnik"),
    ("p-schaefer", "Katrin Schäfer", "katrin.schaefer", "de", "Europe/Berlin", "digest",
     "Innendienst und Auftragsabwicklung"),
    ("p-yilmaz", "Deniz Yılmaz", "deniz.yilmaz", "de", "Europe/Berlin", "digest",
     "Qualitätsmanagement"),
    ("p-hughes", "Oliver Hughes", "oliver.hughes", "en", "Europe/London", "digest",
     "Digital Services Product Manager"),
    ("p-miller", "Jessica Miller", "jessica.miller", "en", "America/Chicago", "digest",
     "Regional Sales Manager North America"),
    ("p-chen", "Chen Li (陈立)", "li.chen", "en", "Asia/Shanghai", "digest",
     "Service & Sales Manager China"),
]

# Team function of each member in the active plan.
TEAM_FUNCTION = {
    "p-huber": "Anwendungstechnik und Inbetriebnahme",
    "p-schaefer": "Angebote, Aufträge, Schulungen",
    "p-yilmaz": "Qualität und Reklamationen",
    "p-hughes": "Condition Monitoring",
    "p-miller": "Werk Rockford (USA)",
    "p-chen": "Werk Taicang (China)",
}

# Milestones: suffix, title, owner, due (days from today), state, done (days), project
MILESTONES = [
    ("m01", "Lastenheft Linie Taicang freigegeben", "p-weber", -25, "done", -27, "taicang"),
    ("m02", "Angebot Bearbeitungszentren BZ 800 übergeben", "p-weber", -12, "open", None,
     "taicang"),
    ("m03", "Werksabnahme (FAT) Linie Taicang bestanden", "p-huber", 45, "open", None,
     "taicang"),
    ("m04", "Retrofit Rockford: Maschine 3 wieder in Produktion", "p-miller", 6, "open", None,
     "rockford"),
    ("m05", "Rahmenvertrag Ersatzteile unterzeichnet", "p-weber", 60, "open", None, None),
    ("m06", "Service-Level-Agreement Asien abgestimmt", "p-chen", -3, "open", None, "taicang"),
    ("m07", "Pilot Condition Monitoring in Schweinfurt live", "p-hughes", 0, "open", None,
     "monitoring"),
    ("m08", "Lieferantenaudit Schweinfurt bestanden", "p-yilmaz", -40, "done", -41, None),
    ("m09", "Schulungskonzept Instandhaltung abgenommen", "p-schaefer", 2, "open", None, None),
    ("m10", "Strategiegespräch mit dem Vorstand geführt", "p-brandt", 21, "open", None, None),
]

# Activities: suffix, title, owner, due, state, done, milestone, project, description
ACTIVITIES = [
    ("a01", "Lastenheft mit der Fertigungsplanung durchsprechen", "p-huber", -30, "done", -29,
     "m01", "taicang", "Taktzeit, Spannvorrichtungen und Späneentsorgung geklärt."),
    ("a02", "Taktzeitanalyse Getriebegehäuse erstellen", "p-huber", -18, "open", None, "m02",
     "taicang", "Basis: Zeichnungen GH-450 und GH-520 von Herrn Brückner.\n"
     "Ziel: ≤ 4,5 min je Gehäuse auf zwei BZ 800."),
    ("a03", "Preiskalkulation BZ 800 mit dem Controlling abstimmen", "p-schaefer", -9, "open",
     None, "m02", None, "Staffelpreise für 4, 6 und 8 Maschinen; Währung EUR."),
    ("a04", "Angebotsunterlagen ins Englische übersetzen", "p-hughes", -1, "open", None, "m02",
     "taicang", "Technical annex and terms; Chinese summary by Li Chen."),
    ("a05", "Referenzbesuch bei Bestandskunden in Jiangsu organisieren", "p-chen", -5, "open",
     None, "m06", "taicang", None),
    ("a06", "SLA-Entwurf mit dem Service-Team Shanghai prüfen", "p-chen", 0, "open", None,
     "m06", None, "Reaktionszeit 24 h, Ersatzteillager Suzhou."),
    ("a07", "Ersatzteilliste für Maschine 3 an Kessler Rockford senden", "p-miller", -2, "open",
     None, "m04", "rockford", "Spindle, ball screws X/Y, way covers; quote in USD."),
    ("a08", "Spindeltausch Maschine 3 einplanen", "p-miller", 1, "open", None, "m04",
     "rockford", "Coordinate with Rockford maintenance (2nd shift)."),
    ("a09", "Remote-Diagnose für Maschine 3 einrichten", "p-hughes", 4, "open", None, "m04",
     "rockford", None),
    ("a10", "Datenschutzfreigabe für Condition Monitoring einholen", "p-weber", 0, "open", None,
     "m07", "monitoring", "Betriebsrat und Datenschutzbeauftragter müssen zustimmen."),
    ("a11", "Dashboard-Demo für die Werkleitung Schweinfurt", "p-hughes", 7, "open", None,
     "m07", "monitoring", "Show vibration trends of spindles 1–4; German UI."),
    ("a12", "Schulungsbedarf der Instandhaltung erfassen", "p-schaefer", -14, "done", -15,
     "m09", None, "Fragebogen an 18 Instandhalter; Rücklauf 15."),
    ("a13", "Schulungstermine mit Werkleiter Brückner abstimmen", "p-schaefer", 3, "open", None,
     "m09", None, None),
    ("a14", "8D-Report zur Reklamation „Lieferverzug Charge 12“ abschließen", "p-yilmaz", -27,
     "open", None, None, None, "D5/D6 fehlen noch: Abstellmaßnahme beim Gussteillieferanten."),
    ("a15", "Rahmenvertrag: Entwurf an die Rechtsabteilung", "p-weber", 14, "open", None, "m05",
     None, None),
    ("a16", "Preisgleitklausel Stahl mit Frau Größer verhandeln", "p-weber", 25, "open", None,
     "m05", None, "Index: Stahlpreis (Destatis); Schwelle ± 5 %."),
    ("a17", "Besuch Kessler Rockford mit dem Serviceleiter", "p-miller", 35, "open", None, None,
     "rockford", None),
    ("a18", "Wettbewerbsanalyse Takumi aktualisieren", "p-hughes", -7, "done", -8, None, None,
     "New lead times and service rates from the Takumi Chicago office."),
    ("a19", "Strategiepapier für das Vorstandsgespräch vorbereiten", "p-brandt", 18, "open",
     None, "m10", None, "Schwerpunkte: China-Ausbau, Servicegeschäft, Rahmenvertrag."),
    ("a20", "Gemeinsamer Messebesuch EMO Hannover", "p-brandt", -20, "cancelled", None, "m10",
     None, "Abgesagt: Kessler schickt dieses Jahr niemanden zur Messe."),
    ("a21", "Werksbesuch Taicang mit der Produktion", "p-huber", 5, "open", None, "m03",
     "taicang", "Termin erst nach Herrn Hubers Urlaub."),
    ("a22", "Kick-off der Werksabnahme vorbereiten", "p-huber", 40, "open", None, "m03",
     "taicang", None),
    ("a23", "Reklamationsstatistik für Frau Größer aufbereiten", "p-yilmaz", 9, "open", None,
     None, None, "Alle Reklamationen der letzten 12 Monate, mit Status und Maßnahmen."),
]


def add_years(day, n):
    """The same day n years later; 29 February becomes 28 February (SPEC §2)."""
    try:
        return day.replace(year=day.year + n)
    except ValueError:
        return day.replace(year=day.year + n, day=28)


class Dates:
    """Dates relative to today, written as YYYY-MM-DD."""

    def __init__(self, today):
        self.today = today

    def day(self, days):
        if days is None:
            return None
        return self.today + datetime.timedelta(days=days)

    def rel(self, days):
        return self.day(days).isoformat()

    def ymd(self, year_offset, month, day):
        return datetime.date(self.today.year + year_offset, month, day).isoformat()


def people(d):
    out = []
    for key, name, local, lang, tz, notify, function in PEOPLE:
        out.append({"key": key, "name": name, "email": "%s@%s" % (local, SUPPLIER),
                    "language": lang, "timezone": tz, "notify": notify,
                    "function": function})
    # Jürgen Huber is on holiday this week; Deniz Yılmaz stands in for him.
    out[2]["absences"] = [{"from": d.rel(-3), "until": d.rel(4), "substitute": "p-yilmaz"}]
    return out


def contacts():
    return [
        {"key": "kessler-c-koehler", "name": "Dr. Matthias Köhler",
         "function": "Vorstand Technik (CTO)", "email": "matthias.koehler@" + CUSTOMER,
         "phone": "+49 9721 4711-100", "decision_role": "decision-maker", "attitude": "neutral",
         "notes": "Entscheidet über alle Investitionen > 1 Mio. €.\n"
                  "Erwartet belastbare TCO-Rechnungen, keine Folienschlachten."},
        {"key": "kessler-c-groesser", "name": "Sabine Größer",
         "function": "Leiterin Einkauf Investitionsgüter",
         "email": "sabine.groesser@" + CUSTOMER, "phone": "+49 9721 4711-230",
         "decision_role": "buyer", "attitude": "critical",
         "notes": "Verweist regelmäßig auf den Lieferverzug von Charge 12."},
        {"key": "kessler-c-brueckner", "name": "Markus Brückner",
         "function": "Werkleiter Schweinfurt", "email": "markus.brueckner@" + CUSTOMER,
         "phone": "+49 9721 4711-500", "decision_role": "champion", "attitude": "supportive",
         "notes": "Hat die BZ 600 im Werk eingeführt und empfiehlt uns für Taicang."},
    ]


def competitors():
    return [
        {"key": "kessler-cmp-hartmann", "name": "Hartmann Werkzeugmaschinen AG",
         "position": "Etablierter Lieferant in Schweinfurt, 6 Maschinen im Feld",
         "strengths": "Langjährige Beziehung zum Einkauf; günstige Ersatzteilpreise",
         "weaknesses": "Kein eigener Service in China; veraltete Steuerungen"},
        {"key": "kessler-cmp-takumi", "name": "Takumi Machine Tools Co., Ltd.",
         "position": "Preisführer in Asien, stark in Taicang",
         "strengths": "Kurze Lieferzeiten ab Werk Dalian; aggressive Preise",
         "weaknesses": "Geringe Prozesskompetenz bei Gehäusebearbeitung"},
    ]


def projects(d):
    return [
        {"key": "kessler-pr-taicang", "title": "Zerspanungslinie Getriebegehäuse Taicang",
         "start": d.rel(-120), "end": d.rel(240), "state": "open"},
        {"key": "kessler-pr-rockford", "title": "Retrofit Maschinen 1–4 Rockford (IL)",
         "start": d.rel(-60), "end": d.rel(90), "state": "open"},
        {"key": "kessler-pr-monitoring", "title": "Pilot Condition Monitoring Schweinfurt",
         "start": d.rel(-45), "end": d.rel(75), "state": "open"},
        {"key": "kessler-pr-bz600", "title": "Lieferung 4 × BZ 600 Werk Schweinfurt",
         "start": d.ymd(-2, 10, 1), "end": d.ymd(-1, 4, 30), "state": "done"},
    ]


def history(d):
    figures = [(-3, 2850000, 610000), (-2, 4120000, 905000), (-1, 3680000, 742000)]
    return [{"period": str(d.today.year + y), "revenue": rev, "margin": margin,
             "currency": "EUR"} for y, rev, margin in figures]


def account(d):
    return {
        "key": "kessler", "name": "Kessler Antriebstechnik AG",
        "industry": "Automobilzulieferer – Antriebstechnik",
        "address": "Würzburger Straße 112, 97424 Schweinfurt, DE",
        "phone": "+49 9721 4711-0", "email": "info@" + CUSTOMER,
        "website": "https://www." + CUSTOMER, "rating": "A", "potential": "hoch",
        "networks": "VDA-Arbeitskreis Getriebe; Kunde im Netzwerk „Industrie 4.0 Mainfranken“",
        "market_volume": {"amount": 38000000, "currency": "EUR"},
        "positioning": "Zweitlieferant für Bearbeitungszentren in Schweinfurt; "
                       "in Taicang und Rockford noch nicht gelistet.",
        "strategic_direction": "Kessler verlagert Gehäusefertigung nach China und baut die "
                               "E-Achsen-Fertigung in Schweinfurt aus.",
        "processes": "Investitionen > 500 T€ über den Vorstand; Ausschreibung über das "
                     "Lieferantenportal; Abnahme nach VDI 3441.",
        "contacts": contacts(),
        "needs": [
            {"key": "kessler-n-lead", "text": "Kürzere Lieferzeiten für Ersatzspindeln (≤ 5 Tage)"},
            {"key": "kessler-n-china", "text": "Service vor Ort in China mit chinesischsprachigen "
                                              "Technikern"},
            {"key": "kessler-n-oee", "text": "Höhere Verfügbarkeit (OEE ≥ 85 %) durch "
                                            "vorausschauende Wartung"},
        ],
        "competitors": competitors(),
        "history": history(d),
        "projects": projects(d),
        "complaints": [
            {"key": "kessler-cp-12", "date": d.rel(-75), "subject": "Lieferverzug Charge 12",
             "state": "in-progress"},
            {"key": "kessler-cp-13", "date": d.rel(-190),
             "subject": "Maßabweichung Spannvorrichtung BZ 600", "state": "closed"},
            {"key": "kessler-cp-14", "date": d.rel(-6),
             "subject": "Spindle failure machine 3, Rockford", "state": "open"},
        ],
        "swot": [
            {"kind": "strength", "text": "Beste Prozesskompetenz für Getriebegehäuse"},
            {"kind": "strength", "text": "Werkleiter Schweinfurt ist überzeugter Fürsprecher"},
            {"kind": "weakness", "text": "Kein eigenes Servicelager in China"},
            {"kind": "opportunity", "text": "Neue Linie in Taicang (ca. 12 Maschinen)"},
            {"kind": "opportunity", "text": "Servicegeschäft: Wartungsverträge für alle Werke"},
            {"kind": "threat", "text": "Takumi unterbietet Preise in Asien um bis zu 20 %"},
        ],
        "plans": [active_plan(d), archived_plan(d)],
    }


def item(plan_key, suffix, title, owner, due, state, done):
    """A milestone or activity; due and done are dates."""
    obj = {"key": "%s-%s" % (plan_key, suffix), "title": title, "owner": owner,
           "due": due.isoformat(), "state": state}
    if done is not None:
        obj["done_on"] = done.isoformat()
    return obj


def active_plan(d):
    key = "kessler-%d" % d.today.year
    next_review = d.today + datetime.timedelta(days=21)
    team = [{"person": "p-weber", "role": "kam"}, {"person": "p-brandt", "role": "sponsor"}]
    team += [{"person": p, "role": "member", "function": f} for p, f in TEAM_FUNCTION.items()]
    milestones = []
    for suffix, title, owner, due, state, done, project in MILESTONES:
        m = item(key, suffix, title, owner, d.day(due), state, d.day(done))
        if project:
            m["project"] = "kessler-pr-" + project
        milestones.append(m)
    activities = []
    for suffix, title, owner, due, state, done, ms, project, desc in ACTIVITIES:
        a = item(key, suffix, title, owner, d.day(due), state, d.day(done))
        if ms:
            a["milestone"] = "%s-%s" % (key, ms)
        if project:
            a["project"] = "kessler-pr-" + project
        a["description"] = desc
        activities.append(a)
    return {
        "key": key, "title": "Key-Account-Plan Kessler %d" % d.today.year, "language": "de",
        "timezone": "Europe/Berlin", "state": "active",
        "last_review": add_years(next_review, -1).isoformat(),
        "next_review": next_review.isoformat(),
        "team": team, "goals": goals(d, key),
        "milestones": milestones, "activities": activities,
    }


def goals(d, key):
    return [
        {"key": key + "-g1", "horizon": "long", "focus": "region", "focus_value": "China",
         "text": "Bevorzugter Lieferant für Zerspanungslinien im Werk Taicang werden",
         "target": "Share of Wallet 35 %", "due": d.ymd(2, 12, 31)},
        {"key": key + "-g2", "horizon": "mid", "focus": "product",
         "focus_value": "Bearbeitungszentrum BZ 800",
         "text": "Alle neuen Gehäuselinien mit BZ 800 ausstatten",
         "target": "2 Linien beauftragt", "due": d.ymd(1, 6, 30)},
        {"key": key + "-g3", "horizon": "mid", "focus": "application",
         "focus_value": "Condition Monitoring",
         "text": "Servicegeschäft ausbauen: Wartungsverträge für alle drei Werke",
         "target": "Serviceumsatz +40 % gegenüber Vorjahr", "due": d.ymd(1, 3, 31)},
    ]


def archived_plan(d):
    """Last year's plan, replaced at the last annual update; its dates lie in its year."""
    year = d.today.year - 1
    key = "kessler-%d" % year
    next_review = add_years(d.today + datetime.timedelta(days=21), -1)

    def day(month, dom):
        return datetime.date(year, month, dom)

    ms = [("m01", "Lieferung 4 × BZ 600 abgenommen", "p-weber", day(3, 20), "done", day(3, 24)),
          ("m02", "Kundenzufriedenheitsanalyse abgeschlossen", "p-schaefer", day(7, 31), "done",
           day(7, 28))]
    acts = [("a01", "Abnahmeprotokolle BZ 600 unterschreiben lassen", "p-huber", day(3, 13),
             "done", day(3, 12), "m01"),
            ("a02", "Interviews mit Instandhaltung und Einkauf führen", "p-schaefer", day(6, 30),
             "done", day(7, 3), "m02"),
            ("a03", "Roadshow Condition Monitoring in Rockford", "p-weber", day(9, 15),
             "cancelled", None, None)]
    milestones = [item(key, *m) for m in ms]
    milestones[0]["project"] = "kessler-pr-bz600"
    activities = []
    for suffix, title, owner, due, state, done, m in acts:
        a = item(key, suffix, title, owner, due, state, done)
        a["milestone"] = "%s-%s" % (key, m) if m else None
        activities.append(a)
    return {
        "key": key, "title": "Key-Account-Plan Kessler %d" % year, "language": "de",
        "timezone": "Europe/Berlin", "state": "archived",
        "last_review": add_years(next_review, -1).isoformat(),
        "next_review": next_review.isoformat(),
        "team": [{"person": "p-weber", "role": "kam"},
                 {"person": "p-brandt", "role": "sponsor"},
                 {"person": "p-huber", "role": "member", "function": "Anwendungstechnik"},
                 {"person": "p-schaefer", "role": "member", "function": "Innendienst"}],
        "goals": [{"key": key + "-g1", "horizon": "mid", "focus": "subsidiary",
                   "focus_value": "Werk Schweinfurt",
                   "text": "BZ 600 als Standard für die Gehäusefertigung etablieren",
                   "target": "4 Maschinen in Betrieb", "due": "%d-12-31" % year}],
        "milestones": milestones, "activities": activities,
    }


def document(today):
    d = Dates(today)
    return {"format": "kapd-plan/1", "people": people(d), "accounts": [account(d)]}


def iso_date(text):
    """Strict YYYY-MM-DD (date.fromisoformat also takes 20260101 and week dates)."""
    try:
        if len(text) != 10:
            raise ValueError
        return datetime.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError("not a date YYYY-MM-DD: %r" % text) from None


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Write the kapd demo plan (kapd-plan/1 JSON).")
    ap.add_argument("--today", type=iso_date,
                    default=datetime.date.today(), help="reference date YYYY-MM-DD")
    ap.add_argument("out", nargs="?", help="output file (default: stdout)")
    return ap.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    text = json.dumps(document(args.today), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
