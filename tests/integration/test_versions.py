"""The annual update with versions: kapctl reviewed, versions, diff, rollover (SPEC §10)."""

import datetime
import json
import random
import re
import unittest

import kaptest
import test_ledger

PLAN = "kessler-2026"


def plan_of(doc, key=PLAN):
    for acc in doc["accounts"]:
        for p in acc["plans"]:
            if p["key"] == key:
                return acc, p
    raise KeyError(key)


class VersionsTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = kaptest.sample_doc()
        self.init_db()
        self.import_file(self.write_doc("sample.json", self.doc))

    def now(self, day):
        return "%sT10:00:00+01:00" % day

    def diff(self, *args):
        return json.loads(self.ok("diff", "--json", PLAN, *args))

    def test_reviewed_keeps_a_version_and_moves_the_review_dates(self):
        out = self.ok("reviewed", PLAN, now=self.now("2026-12-01"))
        self.assertIn("kept as version 1", out)
        _, p = plan_of(self.export_doc(PLAN))
        self.assertEqual((p["last_review"], p["next_review"]), ("2026-12-01", "2027-12-01"))
        rows = kaptest.query(self.db, "SELECT number, reviewed_on, document FROM plan_version")
        self.assertEqual([(r[0], r[1]) for r in rows], [(1, "2026-12-01")])
        self.assertEqual(plan_of(json.loads(rows[0][2]))[1], p)
        out = self.ok("versions", PLAN)
        self.assertRegex(out, r"1\s+reviewed 2026-12-01")

    def test_reviewed_warns_with_the_list_of_empty_sections(self):
        doc = kaptest.sample_doc()
        acc, p = plan_of(doc)
        p["goals"] = []
        acc["competitors"] = []
        self.init_db(self.path("b.db"))
        self.import_file(self.write_doc("b.json", doc), db=self.path("b.db"))
        rc, out, err = self.kapctl("reviewed", PLAN, db=self.path("b.db"))
        self.assertEqual(rc, 0, err)
        self.assertIn("empty: goals", err)
        self.assertIn("empty: competitors", err)
        self.assertNotIn("empty: contacts", err)

    def simulate_year(self, rnd, today):
        """A year of changes through kapctl; returns what the diff must say."""
        _, p = plan_of(self.export_doc(PLAN))
        team = [t["person"] for t in p["team"]]
        open_items = [("milestone", m) for m in p["milestones"] if m["state"] == "open"]
        open_items += [("activity", a) for a in p["activities"] if a["state"] == "open"]
        rnd.shuffle(open_items)
        want = {"added": set(), "done": set(), "cancelled": set(), "moved": {}, "owners": {}}
        due = {it["key"]: it["due"] for _, it in open_items}
        first_due = dict(due)
        owner = {it["key"]: it.get("owner") for _, it in open_items}
        first_owner = dict(owner)
        # Deadlines moved one to three times.
        for kind, it in open_items[:8]:
            for _ in range(rnd.randint(1, 3)):
                d = datetime.date.fromisoformat(due[it["key"]]) + \
                    datetime.timedelta(days=rnd.choice([-5, 7, 14, 30]))
                due[it["key"]] = d.isoformat()
                self.ok("edit", kind, it["key"], "--due", due[it["key"]])
                times, _ = want["moved"].get(it["key"], (0, 0))
                want["moved"][it["key"]] = (times + 1, None)
        for key in want["moved"]:
            want["moved"][key] = (want["moved"][key][0],
                                  (datetime.date.fromisoformat(due[key]) -
                                   datetime.date.fromisoformat(first_due[key])).days)
        # Owners changed (to someone else on the team).
        for kind, it in open_items[5:10]:
            new = rnd.choice([t for t in team if t != owner[it["key"]]])
            self.ok("edit", kind, it["key"], "--owner", new)
            owner[it["key"]] = new
            want["owners"][it["key"]] = (first_owner[it["key"]], new)
        # Activities first (a milestone with open activities needs --force).
        acts = [it for kind, it in open_items[10:] if kind == "activity"]
        for it in acts[:4]:
            self.ok("done", "activity", it["key"], "--on", today, now=self.now(today))
            want["done"].add(it["key"])
        for it in acts[4:6]:
            self.ok("cancel", "activity", it["key"])
            want["cancelled"].add(it["key"])
        for n in range(3):
            key = "sim-a%d" % n
            self.ok("add", "activity", "--plan", PLAN, "--key", key, "--title", "Neu %d" % n,
                    "--due", "2027-06-0%d" % (n + 1))
            want["added"].add(key)
        # A new activity moved after it was added is reported as added only.
        self.ok("edit", "activity", "sim-a0", "--due", "2027-07-01")
        return want

    def test_diff_after_a_year_of_changes_names_exactly_what_changed(self):
        self.ok("reviewed", PLAN, now=self.now("2026-01-10"))
        want = self.simulate_year(random.Random(14), "2026-12-01")
        doc = self.export_doc(PLAN)
        acc, _ = plan_of(doc)
        acc["needs"].append({"key": "sim-n1", "text": "Neuer Bedarf"})
        acc["swot"].append({"kind": "threat", "text": "Neuer Wettbewerber"})
        removed_contact = acc["contacts"].pop()["key"]
        self.import_file(self.write_doc("changed.json", doc))
        d = self.diff()
        items = d["items"]
        self.assertEqual({i["key"] for i in items["added"]}, want["added"])
        self.assertEqual({i["key"] for i in items["done"]}, want["done"])
        self.assertEqual({i["key"] for i in items["cancelled"]}, want["cancelled"])
        self.assertEqual({i["key"]: (i["times"], i["days"]) for i in items["moved"]},
                         want["moved"])
        self.assertEqual({i["key"]: (i["from"], i["to"]) for i in items["owners"]},
                         want["owners"])
        self.assertEqual([n["key"] for n in d["needs"]["added"]], ["sim-n1"])
        self.assertEqual([s["text"] for s in d["swot"]["added"]], ["Neuer Wettbewerber"])
        # The contact was not removed from the database (imports never delete keyed
        # objects), so the diff must not claim it was.
        self.assertNotIn(removed_contact, [c["key"] for c in d["contacts"]["removed"]])
        self.assertEqual(d["counts"]["moved"], len(want["moved"]))
        # Nothing is reported twice within the item lists of one kind of fact.
        seen = [i["key"] for k in ("added", "removed", "done", "cancelled")
                for i in items[k]]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertFalse(want["added"] & {i["key"] for i in items["moved"]})
        text = self.ok("diff", PLAN)
        for key in want["moved"]:
            self.assertIn(key, text)

    def test_diff_baseline_by_version_and_by_date(self):
        self.ok("reviewed", PLAN, now=self.now("2026-01-10"))
        self.ok("done", "activity", "kessler-2026-a03", now=self.now("2026-03-01"))
        self.ok("reviewed", PLAN, now=self.now("2026-07-01"))
        self.ok("done", "activity", "kessler-2026-a04", now=self.now("2026-09-01"))
        latest = {i["key"] for i in self.diff()["items"]["done"]}
        self.assertEqual(latest, {"kessler-2026-a04"})
        v1 = {i["key"] for i in self.diff("--version", "1")["items"]["done"]}
        self.assertEqual(v1, {"kessler-2026-a03", "kessler-2026-a04"})
        self.assertEqual(self.diff("--since", "2026-06-30")["version"], 1)
        self.assertEqual(self.diff("--since", "2026-07-01")["version"], 2)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "diff", PLAN, "--since", "2025-12-31")
        self.assertIn("no such version", err)

    def test_rollover_copies_team_goals_open_items_and_round_trips(self):
        old = plan_of(self.export_doc(PLAN))[1]
        out = self.ok("rollover", PLAN, "kessler-2027", "--title", "Kessler 2027",
                      now=self.now("2026-12-15"))
        self.assertIn("now archived", out)
        doc = self.export_doc("kessler-2027")
        _, new = plan_of(doc, "kessler-2027")
        _, old_now = plan_of(self.export_doc(PLAN))
        self.assertEqual(old_now["state"], "archived")
        self.assertEqual(new["title"], "Kessler 2027")
        self.assertEqual(new["team"], old["team"])
        self.assertEqual([g["key"] for g in new["goals"]],
                         [g["key"].replace(PLAN, "kessler-2027") for g in old["goals"]])
        open_acts = [a for a in old["activities"] if a["state"] == "open"]
        self.assertEqual([a["key"] for a in new["activities"]],
                         [a["key"].replace(PLAN, "kessler-2027") for a in open_acts])
        self.assertTrue(all(a["state"] == "open" for a in new["activities"]))
        self.assertEqual((new["last_review"], new["next_review"]), ("2026-12-15", "2027-12-15"))
        self.assertIn("continues plan kessler-2026", self.ok("versions", "kessler-2027"))
        self.assertIn("continued by plan kessler-2027", self.ok("versions", PLAN))
        # The new plan's document imports into an empty database and exports the same.
        fresh = self.init_db(self.path("fresh.db"))
        self.import_file(self.write_doc("new.json", doc), db=fresh)
        self.assert_json_equal(kaptest.normalise(doc),
                               kaptest.normalise(self.export_doc("kessler-2027", db=fresh)),
                               "rollover plan after import into an empty database")
        # And its action list survives the spreadsheet round trip.
        sheet = self.path("new.csv")
        self.ok("export-csv", "kessler-2027", "-o", sheet)
        self.assertIn("0 created, 0 updated", self.ok("import-csv", "kessler-2027", sheet))

    def test_show_plan_lists_moved_deadlines_and_owner_changes(self):
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-11-20", "--owner",
                "p-schaefer")
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-11-25")
        self.ok("edit", "milestone", "kessler-2026-m05", "--due", "2027-02-15")
        out = self.ok("show", "plan", PLAN)
        moved = out.split("Moved deadlines\n", 1)[1].split("\n\n", 1)[0].splitlines()
        self.assertEqual(len(moved), 2, out)
        self.assertRegex(moved[0], r"kessler-2026-a02 .*:\s+2026-11-13 → 2026-11-25 \(2 times\)")
        self.assertRegex(moved[1], r"kessler-2026-m05 .*:\s+2027-01-30 → 2027-02-15 \(1 time\)")
        # A table: the change starts in the same column on every line.
        self.assertEqual(len({re.search(r"\d{4}-\d\d-\d\d →", ln).start() for ln in moved}),
                         1, moved)
        owners = out.split("Owner changes\n", 1)[1].splitlines()
        self.assertRegex(owners[0], r"kessler-2026-a02 .*:\s+Jürgen Huber → Katrin Schäfer \(1 time\)")

    def test_rollover_refuses_an_existing_key(self):
        _, err = self.expect_rc(kaptest.EX_DATAERR, "rollover", PLAN, "kessler-2025")
        self.assertIn("exists already", err)


class StatusReportHistoryTest(test_ledger.LedgerTestCase):
    """The KAM's status report shows the week's moves and the summary since the last
    annual update (SPEC §2, §10)."""

    def test_status_report_shows_moves_and_the_summary_since_the_annual_update(self):
        self.ok("reviewed", PLAN, now="2026-11-20T10:00:00+01:00")
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-12-04", "--owner",
                "p-schaefer")
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-12-11")
        self.ok("done", "activity", "kessler-2026-a03", now=test_ledger.TUESDAY_0900)
        self.check(test_ledger.TUESDAY_0900)
        reports = [m for m in self.mails()
                   if any("rule=status-report" in str(h) for h in m.get_all("X-KAP-Item", []))]
        self.assertTrue(reports, "expected a status report at %s" % test_ledger.TUESDAY_0900)
        body = reports[0].get_body(("plain",)).get_content()
        self.assertIn("Geändert seit", body)
        # Dates as German writes them, days with their plural (issue 11).
        self.assertIn("Termin 13.11.2026 → 11.12.2026, +28 Tage, 2-mal verschoben", body)
        self.assertIn("Verantwortlich Jürgen Huber → Katrin Schäfer", body)
        self.assertIn("Seit der Jahresaktualisierung vom", body)
        self.assertIn("1 erledigt", body)
        self.assertIn("1 mit verschobenem Termin", body)
        self.assertIn("Am häufigsten verschoben:", body)


    def test_annual_update_reminder_carries_the_summary(self):
        self.ok("reviewed", PLAN, "--on", "2025-12-01", now="2026-11-20T10:00:00+01:00")
        self.ok("edit", "activity", "kessler-2026-a02", "--due", "2026-12-04")
        self.ok("done", "activity", "kessler-2026-a03", now=test_ledger.TUESDAY_0900)
        self.check(test_ledger.TUESDAY_0900)
        reminders = [m for m in self.mails()
                     if any("rule=review-due" in str(h) for h in m.get_all("X-KAP-Item", []))]
        self.assertTrue(reminders, "expected the annual-update reminder on its due day")
        body = reminders[0].get_body(("plain",)).get_content()
        part = body[body.index("Jahresaktualisierung"):]
        self.assertIn("Seit der Jahresaktualisierung vom", part)
        self.assertIn("1 erledigt", part)
        # Dates as German writes them, the days moved with their plural (issue 11).
        self.assertIn("kessler-2026-a02]: Termin 13.11.2026 → 04.12.2026, +21 Tage, "
                      "1-mal verschoben", part)


if __name__ == "__main__":
    unittest.main()
