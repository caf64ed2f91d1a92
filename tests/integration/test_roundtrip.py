"""Import/export: lossless round trips and idempotent re-import (SPEC §6, plan-format.md)."""

import json
import unittest

import kaptest


class RoundTripTest(kaptest.KapTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.large = kaptest.large_doc_path()

    def round_trip(self, src, what):
        """src -> db1 -> export1 -> db2 -> export2; returns (export1 text, doc)."""
        db1, db2 = self.path("one.db"), self.path("two.db")
        self.init_db(db1)
        self.import_file(src, db=db1)
        exp1 = self.path("export1.json")
        self.ok("export", "-o", exp1, db=db1)
        with open(exp1, encoding="utf-8") as f:
            text1 = f.read()
        self.init_db(db2)
        self.import_file(exp1, db=db2)
        text2 = self.export_text(db=db2)
        if text1 != text2:
            self.assert_json_equal(json.loads(text1), json.loads(text2),
                                   "%s: export of the re-imported export" % what)
            self.fail("%s: the two exports are equal as JSON but not byte-identical" % what)
        self.assert_json_equal(kaptest.normalise(kaptest.load_json(src)),
                               kaptest.normalise(json.loads(text1)),
                               "%s: normalised input vs. normalised export" % what)
        return text1

    def test_sample_round_trip_is_lossless(self):
        src = self.path("sample.json")
        with open(src, "w", encoding="utf-8") as f:
            f.write(kaptest.sample_text())
        self.round_trip(src, "sample document")

    def test_large_generated_round_trip_is_lossless(self):
        self.round_trip(self.large, "generated document")

    def test_export_of_one_plan_round_trips(self):
        src = self.path("sample.json")
        with open(src, "w", encoding="utf-8") as f:
            f.write(kaptest.sample_text())
        self.init_db()
        self.import_file(src)
        doc = kaptest.load_json(src)
        for plan in [p["key"] for a in doc["accounts"] for p in a.get("plans", [])]:
            with self.subTest(plan=plan):
                text = self.export_text(plan)
                one = json.loads(text)
                plans = [p["key"] for a in one["accounts"] for p in a.get("plans", [])]
                self.assertEqual(plans, [plan], "expected `export %s` to hold exactly that "
                                 "plan, got %r" % (plan, plans))
                fresh = self.path("fresh-%s.db" % plan)
                self.init_db(fresh)
                self.import_file(self.write_doc("plan-%s.json" % plan, one), db=fresh)
                again = self.export_text(db=fresh)
                if again != text:
                    self.assert_json_equal(one, json.loads(again),
                                           "whole export of a DB holding only %s" % plan)
                    self.fail("export of a DB holding only %s is not byte-identical to "
                              "`export %s`" % (plan, plan))
                self.assertEqual(self.export_text(plan, db=fresh), text,
                                 "expected `export %s` from the fresh DB to equal the "
                                 "original `export %s`" % (plan, plan))

    def test_export_of_one_generated_plan_round_trips(self):
        self.init_db()
        self.import_file(self.large)
        doc = kaptest.load_json(self.large)
        # A plan of an account that has several plans, so the others must be left out.
        acc = max(doc["accounts"], key=lambda a: len(a.get("plans", [])))
        plan = acc["plans"][-1]["key"]
        text = self.export_text(plan)
        one = json.loads(text)
        self.assertEqual([p["key"] for a in one["accounts"] for p in a.get("plans", [])],
                         [plan], "expected `export %s` to hold exactly that plan" % plan)
        fresh = self.path("fresh.db")
        self.init_db(fresh)
        self.import_file(self.write_doc("one.json", one), db=fresh)
        again = self.export_text(db=fresh)
        if again != text:
            self.assert_json_equal(one, json.loads(again),
                                   "whole export of a DB holding only %s" % plan)
            self.fail("export of a DB holding only %s is not byte-identical" % plan)


class ReimportTest(kaptest.KapTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.large = kaptest.large_doc_path()

    def check_idempotent(self, src, what):
        self.init_db()
        created, updated = self.import_counts(self.import_file(src))
        self.assertGreater(created, 0, "%s: first import should create objects" % what)
        before = kaptest.dump_db(self.db)
        out = self.import_file(src)
        created, updated = self.import_counts(out)
        self.assertEqual((created, updated), (0, 0),
                         "%s: re-importing the same document should report 0 created and "
                         "0 updated, got: %s" % (what, out.strip()))
        after = kaptest.dump_db(self.db)
        diffs = kaptest.dump_diff(before, after)
        if diffs:
            changed = sorted(t for t in after if before.get(t) != after.get(t))
            self.fail("%s: re-importing the same document changed the database (tables %s; "
                      "expected every row, id, created_at/updated_at and item_change to stay "
                      "the same):\n  %s" % (what, ", ".join(changed), "\n  ".join(diffs)))

    def test_reimport_of_sample_changes_nothing(self):
        src = self.write_doc("sample.json", kaptest.sample_doc())
        self.check_idempotent(src, "sample document")

    def test_reimport_of_large_document_changes_nothing(self):
        self.check_idempotent(self.large, "generated document")

    def test_changing_one_activity_title_updates_exactly_one(self):
        doc = kaptest.sample_doc()
        src = self.write_doc("sample.json", doc)
        self.init_db()
        self.import_file(src)
        plan = next(p for a in doc["accounts"] for p in a["plans"] if p.get("activities"))
        act = plan["activities"][0]
        act["title"] = act["title"] + " (geändert)"
        changed = self.write_doc("changed.json", doc)
        before = kaptest.dump_db(self.db)
        out = self.import_file(changed)
        created, updated = self.import_counts(out)
        self.assertEqual((created, updated), (0, 1),
                         "expected a changed activity title to give 0 created, 1 updated, "
                         "got: %s" % out.strip())
        rows = kaptest.query(self.db, "SELECT title FROM activity WHERE key = ?",
                             (act["key"],))
        self.assertEqual(rows, [(act["title"],)], "expected the new title in the database")
        # Only that one activity row changed, and no deadline/owner history was written
        # (the re-creation of keyless rows is covered by the idempotence tests).
        after = kaptest.dump_db(self.db)
        gone = set(before["activity"]) - set(after["activity"])
        self.assertEqual(len(gone), 1, "expected exactly one activity row to change, got %d"
                         % len(gone))
        self.assertEqual([r[0] for r in gone][0],
                         kaptest.query(self.db, "SELECT id FROM activity WHERE key = ?",
                                       (act["key"],))[0][0],
                         "expected the changed row to be activity %s" % act["key"])
        for table in ("item_change", "milestone", "plan", "person", "account"):
            self.assertTrue(before[table] == after[table],
                            "expected table %s unchanged by a title change:\n  %s"
                            % (table, "\n  ".join(kaptest.dump_diff(
                                {table: before[table]}, {table: after[table]}))))
        exported = self.export_doc()
        self.assert_json_equal(kaptest.normalise(doc), kaptest.normalise(exported),
                               "export after re-import with a changed title")


if __name__ == "__main__":
    unittest.main()
