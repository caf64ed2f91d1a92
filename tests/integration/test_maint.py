"""kapctl for everything a KAM maintains (SPEC §10): no part of a plan needs a
hand-edited JSON file."""

import unittest

import kaptest

PLAN = "kessler-2026"


class MaintTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.init_db()

    def plan_doc(self, key):
        doc = self.export_doc(key)
        for acc in doc["accounts"]:
            for p in acc["plans"]:
                if p["key"] == key:
                    return doc, acc, p
        self.fail("plan %s not exported" % key)

    def test_a_whole_plan_from_the_command_line_only(self):
        self.ok("person", "add", "p-kam", "--name", "Karla Am", "--email", "karla@x.example",
                "--language", "de", "--timezone", "Europe/Berlin")
        self.ok("person", "add", "p-two", "--name", "Tom Zwei", "--email", "tom@x.example")
        self.ok("absence", "add", "p-two", "--from", "2027-01-04", "--until", "2027-01-08",
                "--substitute", "p-kam")
        self.ok("account", "add", "acme", "--name", "ACME GmbH", "--industry", "Maschinenbau",
                "--market-volume", "25000000 EUR")
        self.ok("contact", "add", "acme", "c-ceo", "--name", "Dr. Eva Klein", "--function",
                "CEO", "--decision-role", "decision-maker")
        self.ok("need", "add", "acme", "n1", "--text", "Kürzere Lieferzeiten")
        self.ok("competitor", "add", "acme", "cmp1", "--name", "Rival AG", "--strengths", "Preis")
        self.ok("project", "add", "acme", "pr1", "--title", "Linie 3", "--start", "2027-01-15")
        self.ok("complaint", "add", "acme", "cp1", "--date", "2026-11-02", "--subject",
                "Späte Lieferung")
        self.ok("history", "add", "acme", "2025", "--revenue", "4200000", "--margin", "980000",
                "--currency", "EUR")
        self.ok("swot", "add", "acme", "--kind", "threat", "--text", "Neuer Wettbewerber")
        self.ok("plan", "add", "acme", "acme-2027", "--title", "ACME 2027", "--kam", "p-kam",
                "--language", "de", "--next-review", "2027-12-01")
        self.ok("team", "add", "acme-2027", "p-two", "--role", "member", "--function",
                "Produktion")
        self.ok("goal", "add", "acme-2027", "acme-g1", "--horizon", "long", "--text",
                "Bevorzugter Lieferant", "--focus", "region", "--focus-value", "DACH")
        self.ok("add", "milestone", "--plan", "acme-2027", "--key", "acme-m1", "--title",
                "Rahmenvertrag", "--due", "2027-03-01", "--owner", "p-kam")
        self.ok("add", "activity", "--plan", "acme-2027", "--key", "acme-a1", "--title",
                "Werksbesuch", "--due", "2027-02-01", "--owner", "p-two", "--milestone",
                "acme-m1", "--project", "pr1")
        doc, acc, p = self.plan_doc("acme-2027")
        people = {x["key"]: x for x in doc["people"]}
        self.assertEqual(people["p-two"]["absences"],
                         [{"from": "2027-01-04", "until": "2027-01-08", "substitute": "p-kam"}])
        self.assertEqual(acc["market_volume"], {"amount": 25000000, "currency": "EUR"})
        self.assertEqual([c["key"] for c in acc["contacts"]], ["c-ceo"])
        self.assertEqual(acc["contacts"][0]["decision_role"], "decision-maker")
        self.assertEqual([n["text"] for n in acc["needs"]], ["Kürzere Lieferzeiten"])
        self.assertEqual(acc["competitors"][0]["strengths"], "Preis")
        self.assertEqual(acc["projects"][0]["start"], "2027-01-15")
        self.assertEqual(acc["complaints"][0]["subject"], "Späte Lieferung")
        self.assertEqual((acc["history"][0]["period"], acc["history"][0]["revenue"]),
                         ("2025", 4200000))
        self.assertEqual(acc["swot"], [{"kind": "threat", "text": "Neuer Wettbewerber"}])
        self.assertEqual(p["team"], [{"person": "p-kam", "role": "kam"},
                                     {"person": "p-two", "role": "member",
                                      "function": "Produktion"}])
        self.assertEqual(p["goals"][0]["focus_value"], "DACH")
        self.assertEqual([a["key"] for a in p["activities"]], ["acme-a1"])
        # The document built only with kapctl imports into an empty database unchanged.
        fresh = self.init_db(self.path("fresh.db"))
        self.import_file(self.write_doc("acme.json", doc), db=fresh)
        self.assert_json_equal(kaptest.normalise(doc),
                               kaptest.normalise(self.export_doc("acme-2027", db=fresh)),
                               "plan made with kapctl")

    def sample(self):
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))

    def test_edit_and_remove_by_key(self):
        self.sample()
        _, acc, p = self.plan_doc(PLAN)
        contact = acc["contacts"][0]["key"]
        self.ok("contact", "edit", contact, "--phone", "+49 711 1", "--notes", "-")
        self.ok("need", "remove", acc["needs"][0]["key"])
        self.ok("goal", "edit", p["goals"][0]["key"], "--target", "50 %")
        self.ok("swot", "remove", "kessler", "1")
        _, acc2, p2 = self.plan_doc(PLAN)
        c2 = next(c for c in acc2["contacts"] if c["key"] == contact)
        self.assertEqual(c2["phone"], "+49 711 1")
        self.assertNotIn("notes", c2)
        self.assertEqual([n["key"] for n in acc2["needs"]], [n["key"] for n in acc["needs"][1:]])
        self.assertEqual(p2["goals"][0]["target"], "50 %")
        self.assertEqual(acc2["swot"], acc["swot"][1:])

    def test_new_kam_makes_the_old_one_a_member_and_archive_stops_control(self):
        self.sample()
        self.ok("team", "edit", PLAN, "p-huber", "--role", "kam")
        _, _, p = self.plan_doc(PLAN)
        roles = {t["person"]: t["role"] for t in p["team"]}
        self.assertEqual((roles["p-huber"], roles["p-weber"]), ("kam", "member"))
        self.ok("plan", "edit", "kessler-2025", "--title", "Kessler 2025 (alt)")
        self.assertEqual(self.plan_doc("kessler-2025")[2]["title"], "Kessler 2025 (alt)")
        self.ok("goal", "edit", "kessler-2025-g1", "--target", "erreicht")
        self.assertEqual(self.plan_doc("kessler-2025")[2]["goals"][0]["target"], "erreicht")
        self.ok("plan", "archive", PLAN)
        self.assertEqual(self.plan_doc(PLAN)[2]["state"], "archived")
        due = self.ok("--json", "due", "--days", "400")
        self.assertNotIn(PLAN, due)

    def test_absences_add_list_remove(self):
        self.sample()
        self.ok("absence", "add", "p-huber", "--from", "2026-12-21", "--until", "2027-01-06",
                "--substitute", "p-weber")
        self.ok("absence", "add", "p-huber", "--from", "2027-03-01", "--until", "2027-03-05")
        had = next(p for p in kaptest.sample_doc()["people"]
                   if p["key"] == "p-huber").get("absences", [])
        n = len(had)
        out = self.ok("absence", "list", "p-huber")
        self.assertIn("%d  from=2026-12-21 until=2027-01-06 substitute=p-weber" % (n + 1), out)
        self.assertIn("%d  from=2027-03-01 until=2027-03-05" % (n + 2), out)
        self.ok("absence", "remove", "p-huber", str(n + 1))
        rows = kaptest.query(self.db, "SELECT from_date FROM absence a JOIN person p "
                             "ON p.id = a.person_id WHERE p.key = 'p-huber' ORDER BY a.position")
        self.assertEqual(rows, [(a["from"],) for a in had] + [("2027-03-01",)])

    def test_bad_input_is_refused_and_nothing_changes(self):
        self.sample()
        before = kaptest.dump_db(self.db)
        cases = [
            (kaptest.EX_USAGE, ["contact", "add", "kessler", "c-x", "--nme", "x"], "unknown option --nme"),
            (kaptest.EX_DATAERR, ["goal", "add", PLAN, "g-x", "--horizon", "short", "--text", "x"],
             "\"short\" is not one of: mid, long"),
            (kaptest.EX_DATAERR, ["person", "remove", "p-huber"], "still referred to"),
            (kaptest.EX_DATAERR, ["team", "add", PLAN, "p-nobody"], "p-nobody"),
            (kaptest.EX_DATAERR, ["absence", "add", "p-huber", "--from", "2027-01-10",
                                  "--until", "2027-01-01"], "until"),
            (kaptest.EX_DATAERR, ["need", "edit", "no-such-need", "--text", "x"], "no-such-need"),
            (kaptest.EX_USAGE, ["plan", "remove", PLAN], "archive"),
            (kaptest.EX_DATAERR, ["person", "add", "p-huber", "--name", "x"], "exists already"),
        ]
        for rc, args, text in cases:
            _, err = self.expect_rc(rc, *args)
            self.assertIn(text, err, args)
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [])


if __name__ == "__main__":
    unittest.main()
