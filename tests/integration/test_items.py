"""Milestones and activities from the command line, the annual update, and `due`."""

import datetime
import json
import re
import unittest

import kaptest

KEY_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
NOW = "2026-12-01T09:00:00+01:00"
TODAY = datetime.date(2026, 12, 1)


def expected_due(doc, today, days, plan=None, person=None):
    """What `due` must list, computed from the document alone:
    {(kind, item): (plan, owner, due, days)}."""
    until = today + datetime.timedelta(days=days)
    doc = kaptest.normalise(doc)
    out = {}
    for acc in doc.get("accounts", []):
        for p in acc.get("plans", []):
            if p["state"] != "active":
                continue
            kam = next((t["person"] for t in p.get("team", []) if t["role"] == "kam"), None)
            rows = []
            for kind, items in (("milestone", p.get("milestones", [])),
                                ("activity", p.get("activities", []))):
                for it in items:
                    if it["state"] == "open":
                        rows.append((kind, it["key"], it.get("owner"), it["due"]))
            if p.get("next_review"):
                rows.append(("plan", p["key"], kam, p["next_review"]))
            for kind, key, owner, due in rows:
                d = datetime.date.fromisoformat(due)
                if d > until:
                    continue
                if plan is not None and p["key"] != plan:
                    continue
                if person is not None and owner != person:
                    continue
                out[(kind, key)] = (p["key"], owner, due, (d - today).days)
    return out


class ItemsTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = kaptest.sample_doc()
        self.plan = next(p for p in self.doc["accounts"][0]["plans"]
                         if p.get("state", "active") == "active")
        self.old = next(p for p in self.doc["accounts"][0]["plans"] if p is not self.plan)
        self.team = [t["person"] for t in self.plan["team"]]
        self.outsider = next(p["key"] for p in self.doc["people"]
                             if p["key"] not in {t["person"] for t in self.old["team"]})
        self.init_db()
        self.import_file(self.write_doc("sample.json", self.doc))

    def q(self, sql, *args):
        return kaptest.query(self.db, sql, args)

    def item(self, kind, key):
        rows = self.q("SELECT i.title, i.due, i.state, i.done_on, pe.key, p.key FROM %s i "
                      "JOIN plan p ON p.id = i.plan_id LEFT JOIN person pe ON "
                      "pe.id = i.owner_id WHERE i.key = ?" % kind, key)
        self.assertEqual(len(rows), 1, "expected one %s %s, got %r" % (kind, key, rows))
        return dict(zip(("title", "due", "state", "done_on", "owner", "plan"), rows[0]))

    def changes(self, kind, key):
        return self.q("SELECT c.field, c.old_value, c.new_value FROM item_change c JOIN %s i "
                      "ON i.id = c.item_id WHERE c.kind = ? AND i.key = ? ORDER BY c.id"
                      % kind, kind, key)

    # -- add ------------------------------------------------------------------------------

    def test_add_with_key(self):
        for kind in ("milestone", "activity"):
            with self.subTest(kind=kind):
                key = "new-%s-1" % kind
                self.ok("add", kind, "--plan", self.plan["key"], "--key", key, "--title",
                        "Neu: Über-Prüfung 😀", "--due", "2026-12-24", "--owner", self.team[1],
                        "--description", "Zeile 1\nZeile 2")
                self.assertEqual(self.item(kind, key), {
                    "title": "Neu: Über-Prüfung 😀", "due": "2026-12-24", "state": "open",
                    "done_on": None, "owner": self.team[1], "plan": self.plan["key"]},
                    "expected the added %s as given" % kind)
                exported = self.export_doc(self.plan["key"])
                member = {"milestone": "milestones", "activity": "activities"}[kind]
                items = exported["accounts"][0]["plans"][0][member]
                self.assertIn(key, [i["key"] for i in items],
                              "expected the added %s in the export" % kind)

    def test_add_activity_linked_to_milestone_and_project(self):
        ms = self.plan["milestones"][0]["key"]
        project = self.doc["accounts"][0]["projects"][0]["key"]
        self.ok("add", "activity", "--plan", self.plan["key"], "--key", "linked", "--title",
                "Linked", "--due", "2026-12-20", "--milestone", ms, "--project", project)
        act = next(a for a in self.export_doc(self.plan["key"])["accounts"][0]["plans"][0]
                   ["activities"] if a["key"] == "linked")
        self.assertEqual((act.get("milestone"), act.get("project")), (ms, project),
                         "expected the activity linked to %s and %s" % (ms, project))

    def test_add_without_key_generates_unique_keys(self):
        before = {r[0] for r in self.q("SELECT key FROM activity")}
        # A key the generator might pick next, taken already.
        self.ok("add", "activity", "--plan", self.plan["key"], "--key",
                self.plan["key"] + "-a1", "--title", "Taken", "--due", "2026-12-10")
        for i in range(3):
            self.ok("add", "activity", "--plan", self.plan["key"], "--title",
                    "Generated %d" % i, "--due", "2026-12-1%d" % i)
        rows = self.q("SELECT key, title FROM activity WHERE title LIKE 'Generated %' "
                      "ORDER BY title")
        self.assertEqual(len(rows), 3, "expected 3 activities with generated keys")
        keys = [r[0] for r in rows]
        self.assertEqual(len(set(keys)), 3, "expected distinct generated keys: %r" % keys)
        for k in keys:
            self.assertRegex(k, KEY_RE, "generated key must follow the key syntax")
            self.assertNotIn(k, before, "generated key %s collides with an existing one" % k)
        self.ok("add", "milestone", "--plan", self.plan["key"], "--title", "Generated ms",
                "--due", "2026-12-31")
        key = self.q("SELECT key FROM milestone WHERE title = 'Generated ms'")[0][0]
        self.assertRegex(key, KEY_RE, "generated milestone key must follow the key syntax")

    def test_add_refuses_owner_not_on_team_and_duplicate_key(self):
        before = kaptest.dump_db(self.db)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "add", "activity", "--plan",
                                self.old["key"], "--title", "x", "--due", "2026-12-10",
                                "--owner", self.outsider)
        self.assertIn(self.outsider, err, "expected the owner named in the error")
        self.expect_rc(kaptest.EX_DATAERR, "add", "activity", "--plan", self.plan["key"],
                       "--title", "x", "--due", "2026-12-10", "--owner", "p-nobody")
        self.expect_rc(kaptest.EX_DATAERR, "add", "activity", "--plan", self.plan["key"],
                       "--key", self.plan["activities"][0]["key"], "--title", "x", "--due",
                       "2026-12-10")
        self.expect_rc(kaptest.EX_DATAERR, "add", "activity", "--plan", "no-such-plan",
                       "--title", "x", "--due", "2026-12-10")
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [],
                         "expected refused adds to change nothing")

    def test_add_refuses_bad_input(self):
        for args in (["--title", "x", "--due", "2026-02-30"],
                     ["--title", "x", "--due", "tomorrow"],
                     ["--title", "x", "--due", "2026-12-10", "--key", "bad key!"],
                     ["--title", "bell\u0007", "--due", "2026-12-10"]):
            with self.subTest(args=args):
                rc, out, err = self.kapctl("add", "activity", "--plan", self.plan["key"],
                                           *args)
                self.assertIn(rc, (kaptest.EX_USAGE, kaptest.EX_DATAERR),
                              "expected 64 or 65 for add %r, got %d: %s" % (args, rc, err))
        self.expect_rc(kaptest.EX_USAGE, "add", "activity", "--plan", self.plan["key"],
                       "--title", "missing due")

    # -- edit -------------------------------------------------------------------------------

    def test_edit_due_and_owner_are_recorded(self):
        for kind, items in (("activity", self.plan["activities"]),
                            ("milestone", self.plan["milestones"])):
            with self.subTest(kind=kind):
                it = next(i for i in items if i.get("state", "open") == "open")
                new_owner = next(p for p in self.team if p != it.get("owner"))
                self.ok("edit", kind, it["key"], "--due", "2027-03-31", "--owner", new_owner)
                row = self.item(kind, it["key"])
                self.assertEqual((row["due"], row["owner"]), ("2027-03-31", new_owner),
                                 "expected the new due date and owner")
                ch = self.changes(kind, it["key"])
                self.assertIn(("due", it["due"], "2027-03-31"), ch,
                              "expected an item_change row due %s -> 2027-03-31, got %r"
                              % (it["due"], ch))
                self.assertIn(("owner", it.get("owner"), new_owner), ch,
                              "expected an item_change row owner %s -> %s, got %r"
                              % (it.get("owner"), new_owner, ch))
                self.assertEqual(len(ch), 2, "expected exactly 2 history rows, got %r" % ch)
                # Editing to the same values records nothing more.
                self.ok("edit", kind, it["key"], "--due", "2027-03-31", "--owner", new_owner)
                self.assertEqual(self.changes(kind, it["key"]), ch,
                                 "expected no history for an edit that changes nothing")

    def test_edit_title_is_not_history_and_clear_links(self):
        act = next(a for a in self.plan["activities"] if a.get("milestone"))
        self.ok("edit", "activity", act["key"], "--title", "Neuer Titel", "--milestone", "-",
                "--description", "-")
        got = next(a for a in self.export_doc(self.plan["key"])["accounts"][0]["plans"][0]
                   ["activities"] if a["key"] == act["key"])
        self.assertEqual(got["title"], "Neuer Titel")
        self.assertIsNone(got.get("milestone"), "expected --milestone - to clear the link")
        self.assertIsNone(got.get("description"), "expected --description - to clear it")
        self.assertEqual(self.changes("activity", act["key"]), [],
                         "expected no item_change rows for a title change")

    def test_edit_refuses_owner_not_on_team(self):
        act = self.old["activities"][0]
        before = kaptest.dump_db(self.db)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "edit", "activity", act["key"],
                                "--owner", self.outsider, "--due", "2027-01-01")
        self.assertIn(self.outsider, err, "expected the refused owner in the message")
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [],
                         "expected a refused edit to change nothing (not even the due date)")
        self.expect_rc(kaptest.EX_DATAERR, "edit", "activity", "no-such-item", "--title", "x")
        self.expect_rc(kaptest.EX_DATAERR, "edit", "activity", act["key"], "--due",
                       "2027-02-29")

    # -- states -----------------------------------------------------------------------------

    def test_done_cancel_reopen(self):
        act = next(a for a in self.plan["activities"] if a.get("state", "open") == "open")
        key = act["key"]
        self.ok("done", key, "--on", "2026-11-30", now=NOW)
        self.assertEqual(self.item("activity", key)["state"], "done")
        self.assertEqual(self.item("activity", key)["done_on"], "2026-11-30",
                         "expected done --on to set done_on")
        self.ok("cancel", "activity", key)
        row = self.item("activity", key)
        self.assertEqual((row["state"], row["done_on"]), ("cancelled", None),
                         "expected cancel to clear done_on")
        self.ok("reopen", key)
        row = self.item("activity", key)
        self.assertEqual((row["state"], row["done_on"]), ("open", None),
                         "expected reopen to give an open item without done_on")
        self.ok("done", "activity", key, "--on", "2026-12-02", now="2026-12-02T09:00:00+01:00")
        self.ok("reopen", "activity", key)
        row = self.item("activity", key)
        self.assertEqual((row["state"], row["done_on"]), ("open", None),
                         "expected reopen of a done item to clear done_on")
        states = [c for c in self.changes("activity", key) if c[0] == "state"]
        self.assertEqual(states, [("state", "open", "done"), ("state", "done", "cancelled"),
                                  ("state", "cancelled", "open"), ("state", "open", "done"),
                                  ("state", "done", "open")],
                         "expected every state change in item_change")
        ms = next(m for m in self.plan["milestones"] if m.get("state", "open") == "open")
        open_acts = [a["key"] for a in self.plan["activities"]
                     if a.get("milestone") == ms["key"] and a.get("state", "open") == "open"]
        self.assertTrue(open_acts, "test data: a milestone with open activities")
        _, err = self.expect_rc(kaptest.EX_DATAERR, "done", "milestone", ms["key"], "--on",
                                "2026-12-01", now=NOW)
        self.assertIn("still has open activities: " + ", ".join(open_acts), err)
        self.assertEqual(self.item("milestone", ms["key"])["state"], "open")
        self.ok("done", "milestone", ms["key"], "--on", "2026-12-01", "--force", now=NOW)
        self.assertEqual(self.item("milestone", ms["key"])["done_on"], "2026-12-01")

    def test_done_refuses_a_completion_date_in_the_future(self):
        act = next(a for a in self.plan["activities"] if a.get("state", "open") == "open")
        _, err = self.expect_rc(kaptest.EX_DATAERR, "done", act["key"], "--on", "2026-12-02",
                                now=NOW)
        self.assertIn("in the future", err)
        self.assertEqual(self.item("activity", act["key"])["state"], "open")

    def test_done_without_on_uses_now(self):
        act = next(a for a in self.plan["activities"] if a.get("state", "open") == "open")
        self.ok("done", act["key"], now="2027-03-15T12:00:00+01:00")
        self.assertEqual(self.item("activity", act["key"])["done_on"], "2027-03-15",
                         "expected done without --on to use the --now date")

    def test_state_commands_refuse_bad_input(self):
        self.expect_rc(kaptest.EX_DATAERR, "done", "no-such-item")
        self.expect_rc(kaptest.EX_DATAERR, "cancel", "milestone",
                       self.plan["activities"][0]["key"])
        rc, _, err = self.kapctl("done", self.plan["activities"][1]["key"], "--on",
                                 "2026-13-01")
        self.assertIn(rc, (kaptest.EX_USAGE, kaptest.EX_DATAERR),
                      "expected 64/65 for done --on 2026-13-01, got %d: %s" % (rc, err))

    # -- annual update ---------------------------------------------------------------------

    def test_reviewed_on_leap_day(self):
        self.ok("reviewed", self.plan["key"], "--on", "2028-02-29")
        self.assertEqual(self.q("SELECT last_review, next_review FROM plan WHERE key = ?",
                                self.plan["key"]), [("2028-02-29", "2029-02-28")],
                         "expected last_review 2028-02-29 and next_review 2029-02-28")
        ch = self.q("SELECT old_value, new_value FROM item_change WHERE kind = 'plan' AND "
                    "field = 'next_review'")
        self.assertEqual(ch, [(kaptest.normalise(self.doc)["accounts"][0]["plans"][0]
                               ["next_review"], "2029-02-28")],
                         "expected the review date change in item_change")
        self.ok("reviewed", self.plan["key"], "--on", "2027-06-30")
        self.assertEqual(self.q("SELECT next_review FROM plan WHERE key = ?",
                                self.plan["key"]), [("2028-06-30",)])
        self.expect_rc(kaptest.EX_DATAERR, "reviewed", "no-such-plan", "--on", "2027-01-01")

    # -- due ------------------------------------------------------------------------------

    def due_rows(self, *args, db=None):
        out = self.ok("due", "--json", *args, db=db, now=NOW)
        try:
            rows = json.loads(out)
        except ValueError:
            self.fail("expected `due --json` to print JSON, got %r" % out[:300])
        self.assertIsInstance(rows, list, "expected a JSON array from due --json")
        got = {}
        for r in rows:
            k = (r["kind"], r["item"])
            self.assertNotIn(k, got, "due listed %r twice" % (k,))
            got[k] = (r["plan"], r.get("owner"), r["due"], r["days"])
        dues = [r["due"] for r in rows]
        self.assertEqual(dues, sorted(dues), "expected due --json sorted by due date")
        return got

    def assert_due(self, expected, got, what):
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        wrong = sorted(k for k in set(expected) & set(got) if expected[k] != got[k])
        msg = []
        if missing:
            msg.append("missing: %r" % missing[:10])
        if extra:
            msg.append("unexpected: %r" % extra[:10])
        for k in wrong[:10]:
            msg.append("%r: expected (plan, owner, due, days) %r, got %r"
                       % (k, expected[k], got[k]))
        self.assertFalse(msg, "%s:\n  %s" % (what, "\n  ".join(msg)))

    def test_due_lists_open_items_of_active_plans(self):
        exp = expected_due(self.doc, TODAY, 7)
        self.assertTrue(exp, "the sample should have items due within a week")
        self.assertTrue(any(v[3] < 0 for v in exp.values()), "sample should have overdue")
        self.assert_due(exp, self.due_rows("--days", "7"), "due --days 7 on the sample")
        self.assert_due(expected_due(self.doc, TODAY, 0), self.due_rows("--days", "0"),
                        "due --days 0 on the sample")
        person = self.plan["activities"][1]["owner"]
        self.assert_due(expected_due(self.doc, TODAY, 30, person=person),
                        self.due_rows("--days", "30", "--person", person),
                        "due --days 30 --person %s" % person)
        self.assert_due(expected_due(self.doc, TODAY, 7),
                        self.due_rows(), "due (default 7 days)")

    def test_due_on_large_document(self):
        doc = kaptest.load_json(kaptest.large_doc_path())
        db = self.path("large.db")
        self.init_db(db)
        self.import_file(kaptest.large_doc_path(), db=db)
        exp = expected_due(doc, TODAY, 7)
        self.assert_due(exp, self.due_rows("--days", "7", db=db),
                        "due --days 7 on the generated document")
        plan = next(p["key"] for a in doc["accounts"] for p in a.get("plans", [])
                    if p.get("state", "active") == "active")
        self.assert_due(expected_due(doc, TODAY, 14, plan=plan),
                        self.due_rows("--days", "14", "--plan", plan, db=db),
                        "due --days 14 --plan %s" % plan)

    def test_due_after_edits(self):
        open_acts = [a for a in self.plan["activities"] if a.get("state", "open") == "open"]
        a, b = open_acts[0]["key"], open_acts[1]["key"]
        self.ok("done", a, "--on", "2026-11-30")
        self.ok("edit", "activity", b, "--due", "2027-06-01")
        self.ok("add", "activity", "--plan", self.plan["key"], "--key", "due-soon",
                "--title", "Soon", "--due", "2026-12-08", "--owner", self.team[0])
        self.ok("add", "activity", "--plan", self.old["key"], "--key", "archived-item",
                "--title", "In an archived plan", "--due", "2026-12-02",
                "--owner", self.old["team"][0]["person"])
        got = self.due_rows("--days", "7")
        self.assertNotIn(("activity", a), got, "a done item must not be due")
        self.assertNotIn(("activity", b), got, "an item moved to 2027 must not be due")
        self.assertEqual(got.get(("activity", "due-soon")),
                         (self.plan["key"], self.team[0], "2026-12-08", 7),
                         "expected the added item due in 7 days")
        if self.old.get("state", "active") != "active":
            self.assertNotIn(("activity", "archived-item"), got,
                             "items of plans that are not active must not be due")

    def test_due_refuses_bad_days(self):
        for bad in ("-1", "x", "7d", ""):
            with self.subTest(days=bad):
                self.expect_rc(kaptest.EX_USAGE, "due", "--days", bad)


if __name__ == "__main__":
    unittest.main()
