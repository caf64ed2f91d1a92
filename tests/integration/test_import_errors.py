"""Import validation: every violation with its JSON path, nothing imported (plan-format.md)."""

import copy
import re
import unittest

import kaptest


def plans_of(doc):
    acc = doc["accounts"][0]
    current = next(p for p in acc["plans"] if p.get("state", "active") == "active")
    other = next(p for p in acc["plans"] if p is not current)
    return acc["plans"].index(current), current, acc["plans"].index(other), other


class ValidationTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.good = kaptest.sample_doc()

    def broken_document(self):
        """The sample with one violation of each kind; returns (doc, expected paths)."""
        d = copy.deepcopy(self.good)
        i0, p0, i1, p1 = plans_of(d)
        self.assertGreaterEqual(len(p0["activities"]), 4, "sample needs >= 4 activities")
        self.assertTrue(p1.get("milestones") and p1.get("activities"),
                        "sample's second plan needs milestones and activities")
        base = "$.accounts[0].plans[%d]" % i0
        other = "$.accounts[0].plans[%d]" % i1
        team1 = {t["person"] for t in p1["team"]}
        outsider = next(p["key"] for p in d["people"] if p["key"] not in team1)
        expected = {}

        d["people"][0]["nickname"] = "Anni"
        expected["unknown member"] = "$.people[0].nickname"
        p0["activities"][0]["due"] = "2026-02-30"
        expected["invalid date"] = base + ".activities[0].due"
        p0["activities"][2]["key"] = p0["activities"][1]["key"]
        expected["duplicate key"] = base + ".activities[2].key"
        p1["activities"][0]["owner"] = outsider
        expected["owner not on team"] = other + ".activities[0].owner"
        sponsor = next(i for i, t in enumerate(p1["team"]) if t["role"] != "kam")
        p1["team"][sponsor]["role"] = "kam"
        expected["two kams"] = other + ".team"
        d["people"][1]["email"] = "anna.weber@@example"
        expected["invalid email"] = "$.people[1].email"
        p0["milestones"][0]["title"] = "Freigabe\u0007erteilt"
        expected["control character"] = base + ".milestones[0].title"
        p0["team"].append({"person": "p-ghost", "role": "member"})
        expected["unknown team person"] = base + ".team[%d].person" % (len(p0["team"]) - 1)
        p0["activities"][3]["milestone"] = p1["milestones"][0]["key"]
        expected["milestone of another plan"] = base + ".activities[3].milestone"
        # Valid changes that must not be applied either.
        d["accounts"][0]["name"] = "Renamed while invalid"
        d["people"].append({"key": "p-new", "name": "Nobody New"})
        return d, expected

    def assert_paths(self, err, expected, what):
        missing = ["%s (%s)" % (path, kind) for kind, path in expected.items()
                   if path not in err]
        self.assertFalse(missing, "%s: expected stderr to report each violation with its "
                         "JSON path; missing:\n  %s\nstderr was:\n%s"
                         % (what, "\n  ".join(missing), err))

    def test_every_violation_is_reported_with_its_path_and_nothing_imported(self):
        self.init_db()
        self.import_file(self.write_doc("good.json", self.good))
        before = kaptest.dump_db(self.db)
        doc, expected = self.broken_document()
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", self.write_doc("bad.json", doc))
        self.assert_paths(err, expected, "import of an invalid document")
        self.assertIn("bad.json", err, "expected the file name in the error messages")
        after = kaptest.dump_db(self.db)
        diffs = kaptest.dump_diff(before, after)
        self.assertFalse(diffs, "expected a rejected import to leave the database unchanged:"
                         "\n  %s" % "\n  ".join(diffs))

    def test_rejected_import_into_empty_database_creates_nothing(self):
        self.init_db()
        before = kaptest.row_counts(self.db)
        doc, expected = self.broken_document()
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", self.write_doc("bad.json", doc))
        self.assert_paths(err, expected, "import of an invalid document")
        self.assertEqual(kaptest.row_counts(self.db), before,
                         "expected no rows after a rejected import")
        self.assertTrue(all(n == 0 for n in before.values()), "fresh DB should be empty")

    def test_dry_run_reports_the_same_violations(self):
        self.init_db()
        doc, expected = self.broken_document()
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", "--dry-run",
                                self.write_doc("bad.json", doc))
        self.assert_paths(err, expected, "import --dry-run of an invalid document")

    def test_dry_run_of_valid_document_writes_nothing(self):
        self.init_db()
        before = kaptest.dump_db(self.db)
        self.ok("import", "--dry-run", self.write_doc("good.json", self.good))
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [],
                         "expected import --dry-run to write nothing")
        self.assertEqual(self.export_doc().get("accounts", []), [],
                         "expected no accounts after import --dry-run")

    def test_malformed_json_reports_file_line_and_column(self):
        self.init_db()
        path = self.path("malformed.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write('{\n  "format": "kapd-plan/1",\n  "people": [\n    {"key": "p-a",, '
                    '"name": "A"}\n  ]\n}\n')
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", path)
        m = re.search(re.escape(path) + r":(\d+):(\d+)", err) or \
            re.search(r"malformed\.json:(\d+):(\d+)", err)
        self.assertIsNotNone(m, "expected 'malformed.json:LINE:COLUMN' in stderr, got: %r"
                             % err)
        self.assertEqual(int(m.group(1)), 4, "expected the error on line 4, got: %r" % err)
        # The second comma is column 18 (1-based); allow the column after it.
        self.assertIn(int(m.group(2)), (17, 18, 19),
                      "expected a column near 18 on line 4, got: %r" % err)

    def test_missing_file_exits_66(self):
        self.init_db()
        _, err = self.expect_rc(kaptest.EX_NOINPUT, "import", self.path("no-such-file.json"))
        self.assertIn("no-such-file.json", err, "expected the file name in the message")

    def test_import_from_stdin(self):
        self.init_db()
        out = self.ok("import", "-", input=kaptest.sample_text())
        created, updated = self.import_counts(out)
        self.assertGreater(created, 0, "expected import - to create objects")


class KeyConflictTest(kaptest.KapTestCase):

    def other_document(self, activity_key, milestone_key=None):
        plan = {"key": "other-2026", "title": "Other plan",
                "team": [{"person": "p-other", "role": "kam"}],
                "activities": [{"key": activity_key, "title": "Borrowed key",
                                "owner": "p-other", "due": "2026-12-10"}]}
        if milestone_key:
            plan["milestones"] = [{"key": milestone_key, "title": "Borrowed milestone key",
                                   "owner": "p-other", "due": "2026-12-11"}]
        return {"format": "kapd-plan/1",
                "people": [{"key": "p-other", "name": "Olga Other",
                            "email": "olga@other.example"}],
                "accounts": [{"key": "other-account", "name": "Other GmbH",
                              "plans": [plan]}]}

    def setUp(self):
        super().setUp()
        self.sample = kaptest.sample_doc()
        _, self.plan, _, _ = plans_of(self.sample)
        self.init_db()
        self.import_file(self.write_doc("sample.json", self.sample))

    def test_activity_key_of_another_plan_is_refused(self):
        taken = self.plan["activities"][0]["key"]
        before = kaptest.dump_db(self.db)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import",
                                self.write_doc("other.json", self.other_document(taken)))
        self.assertIn("already belongs", err, "expected 'already belongs' in: %r" % err)
        self.assertIn(taken, err, "expected the conflicting key in the message")
        self.assertIn("$.accounts[0].plans[0].activities[0].key", err,
                      "expected the JSON path of the conflicting key")
        diffs = kaptest.dump_diff(before, kaptest.dump_db(self.db))
        self.assertFalse(diffs, "expected nothing imported after a key conflict:\n  %s"
                         % "\n  ".join(diffs))
        self.assertEqual(kaptest.query(self.db, "SELECT count(*) FROM account WHERE key = ?",
                                       ("other-account",)), [(0,)],
                         "expected the other account not to be created")

    def test_milestone_key_of_another_plan_is_refused(self):
        taken = self.plan["milestones"][0]["key"]
        before = kaptest.dump_db(self.db)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", self.write_doc(
            "other.json", self.other_document("fresh-activity", taken)))
        self.assertIn("already belongs", err, "expected 'already belongs' in: %r" % err)
        self.assertFalse(kaptest.dump_diff(before, kaptest.dump_db(self.db)),
                         "expected nothing imported after a key conflict")

    def test_dry_run_reports_key_conflict(self):
        taken = self.plan["activities"][0]["key"]
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import", "--dry-run",
                                self.write_doc("other.json", self.other_document(taken)))
        self.assertIn("already belongs", err, "expected import --dry-run to find the key "
                      "conflict a real import reports; stderr: %r" % err)

    def test_same_document_without_conflict_imports(self):
        self.ok("import", self.write_doc("other.json", self.other_document("fresh-key")))
        self.assertEqual(kaptest.query(self.db, "SELECT p.key FROM activity a JOIN plan p ON "
                                       "p.id = a.plan_id WHERE a.key = 'fresh-key'"),
                         [("other-2026",)], "expected fresh-key imported into other-2026")


if __name__ == "__main__":
    unittest.main()
