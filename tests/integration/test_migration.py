"""Database creation, migration and refusal of foreign or newer databases."""

import os
import sqlite3
import unittest

import kaptest

LATEST = kaptest.latest_schema_version()


def pragma(path, name):
    return kaptest.query(path, "PRAGMA %s" % name)[0][0]


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class MigrationTest(kaptest.KapTestCase):

    def test_migrate_of_zero_byte_file_creates_current_schema(self):
        open(self.db, "wb").close()
        self.ok("migrate")
        self.assertEqual(pragma(self.db, "user_version"), LATEST,
                         "expected PRAGMA user_version %d (the newest sql/ migration) after "
                         "migrate of an empty file" % LATEST)
        self.assertNotEqual(pragma(self.db, "application_id"), 0,
                            "expected kapd to set PRAGMA application_id")
        tables = set(kaptest.user_tables(self.db))
        for t in ("person", "account", "plan", "team_member", "milestone", "activity",
                  "item_change"):
            self.assertIn(t, tables, "expected table %s after migrate" % t)
        # And the result is usable.
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))
        self.ok("migrate")
        self.assertEqual(pragma(self.db, "user_version"), LATEST,
                         "expected a second migrate to keep version %d" % LATEST)

    def test_zero_byte_file_is_not_used_before_migrate(self):
        open(self.db, "wb").close()
        _, err = self.expect_rc(kaptest.EX_DATAERR, "list", "plans")
        self.assertIn("init", err, "expected a hint to run init, got: %r" % err)
        self.assertEqual(os.path.getsize(self.db), 0, "expected the empty file left alone")

    def test_init_creates_missing_file_and_second_init_is_harmless(self):
        self.assertFalse(os.path.exists(self.db))
        self.ok("init")
        self.assertTrue(os.path.exists(self.db), "expected init to create the database")
        self.assertEqual(pragma(self.db, "user_version"), LATEST,
                         "expected schema version %d after init" % LATEST)
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))
        before = kaptest.dump_db(self.db)
        self.ok("init")
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [],
                         "expected a second init to change nothing")

    def test_commands_do_not_create_a_missing_database(self):
        for args in (["list", "plans"], ["export"]):
            with self.subTest(cmd=args[0]):
                self.expect_rc(kaptest.EX_NOINPUT, *args)
                self.assertFalse(os.path.exists(self.db),
                                 "expected `%s` not to create the database" % " ".join(args))

    def version_1_db(self):
        """A database made by python sqlite3 with only sql/001_*.sql, holding a plan."""
        ref = self.path("ref.db")
        self.init_db(ref)
        app_id = pragma(ref, "application_id")
        con = sqlite3.connect(self.db)
        with open(kaptest.migration_files()[0], encoding="utf-8") as f:
            con.executescript(f.read())
        con.executescript("""
            PRAGMA foreign_keys=ON;
            INSERT INTO person(id, key, name, email) VALUES
                (1, 'p-old', 'Olga Old', 'olga@old.example');
            INSERT INTO account(id, key, name) VALUES (1, 'old-account', 'Old Account AG');
            INSERT INTO plan(id, account_id, key, title, last_review, next_review)
                VALUES (1, 1, 'old-plan', 'Old plan', '2026-01-15', '2027-01-15');
            INSERT INTO team_member(plan_id, person_id, role) VALUES (1, 1, 'kam');
            INSERT INTO activity(plan_id, key, title, owner_id, due)
                VALUES (1, 'old-act', 'Made at version 1', 1, '2026-12-03');
        """)
        con.execute("PRAGMA application_id=%d" % app_id)
        con.execute("PRAGMA user_version=1")
        con.commit()
        con.close()

    def test_older_schema_is_migrated_keeping_data(self):
        if LATEST < 2:
            self.skipTest("only one migration exists")
        self.version_1_db()
        before = kaptest.dump_db(self.db)
        _, err = self.expect_rc(kaptest.EX_DATAERR, "list", "plans")
        self.assertIn("migrate", err, "expected an older schema to ask for `kapctl migrate`, "
                      "got: %r" % err)
        self.assertEqual(pragma(self.db, "user_version"), 1,
                         "expected `list` not to migrate on its own")
        self.ok("migrate")
        self.assertEqual(pragma(self.db, "user_version"), LATEST,
                         "expected migrate to reach version %d" % LATEST)
        after = kaptest.dump_db(self.db)
        for table in before:
            if not table.startswith("#"):
                self.assertEqual(before[table], after[table],
                                 "expected table %s unchanged by the migration" % table)
        doc = self.export_doc()
        acts = [a["key"] for acc in doc["accounts"] for p in acc["plans"]
                for a in p.get("activities", [])]
        self.assertEqual(acts, ["old-act"], "expected the version-1 data in the export")
        self.ok("done", "old-act", "--on", "2026-12-01", now="2026-12-01T12:00:00+01:00")

    def schema_before(self, suffix):
        """self.db with the migrations before the one whose file ends with suffix, as
        the older kapd left it; returns an open connection and that version."""
        files = kaptest.migration_files()
        mine = [i for i, f in enumerate(files) if f.endswith(suffix)][0]
        con = sqlite3.connect(self.db)
        for f in files[:mine]:
            with open(f, encoding="utf-8") as fh:
                con.executescript(fh.read())
        return con, mine

    def stamp(self, con, version):
        """Marks the database as kapd's at `version` (the application id of a fresh
        init) and closes the connection."""
        ref = self.path("ref.db")
        self.init_db(ref)
        con.execute("PRAGMA application_id=%d" % pragma(ref, "application_id"))
        con.execute("PRAGMA user_version=%d" % version)
        con.commit()
        con.close()

    def test_ledger_keeps_its_rows_and_takes_rule_names_from_the_rule_table(self):
        """Version 8 drops the CHECK list of rule names (a new rule is a row of the rule
        table, not a table rebuild) and keeps every ledger row."""
        con, mine = self.schema_before("_rule_names.sql")
        con.executescript("""
            INSERT INTO delivery(id, recipient_key, email, mode, message_id, slot_at,
                armed_at, local_date) VALUES (1, 'p1', 'p1@x.example', 'digest', '<m1@x>',
                0, 0, '2026-12-01');
            INSERT INTO notification(rule, kind, item_key, plan_key, deadline, stage,
                recipient_key, delivery_id) VALUES ('review-escalation', 'plan', 'pl',
                'pl', '2026-11-01', 'review-escalation', 'p1', 1);
        """)
        with self.assertRaises(sqlite3.IntegrityError, msg="the old schema lists rule names"):
            con.execute("INSERT INTO notification(rule, kind, item_key, plan_key, deadline,"
                        " stage, recipient_key, delivery_id) VALUES ('final-notice',"
                        " 'activity', 'a', 'pl', '2026-11-01', 'x', 'p1', 1)")
        self.stamp(con, mine)
        self.ok("migrate")
        self.assertEqual(pragma(self.db, "user_version"), LATEST)
        rows = kaptest.query(self.db, "SELECT rule, stage, recipient_key FROM notification")
        self.assertEqual(rows, [("review-escalation", "review-escalation", "p1")],
                         "expected the ledger row kept by the rebuild")
        con = sqlite3.connect(self.db)
        con.execute("INSERT INTO notification(rule, kind, item_key, plan_key, deadline,"
                    " stage, recipient_key, delivery_id) VALUES ('final-notice', 'activity',"
                    " 'a', 'pl', '2026-11-01', 'final-notice', 'p1', 1)")
        with self.assertRaises(sqlite3.IntegrityError, msg="a malformed rule name"):
            con.execute("INSERT INTO notification(rule, kind, item_key, plan_key, deadline,"
                        " stage, recipient_key, delivery_id) VALUES ('Bad Rule;', 'activity',"
                        " 'b', 'pl', '2026-11-01', 'x', 'p1', 1)")
        con.close()
        indexes = {r[0] for r in kaptest.query(
            self.db, "SELECT name FROM sqlite_master WHERE tbl_name = 'notification'"
            " AND type = 'index' AND name NOT LIKE 'sqlite_%'")}
        self.assertEqual(indexes, {"notification_item", "notification_delivery",
                                   "notification_plan", "notification_recipient"})

    def test_ledger_keeps_one_unique_index_on_its_key(self):
        """Version 11 drops the UNIQUE constraint that duplicated notification_item: the
        rows stay, notification_item is the unique index, and a second line for the same
        rule, item, deadline, stage and recipient is still refused (or ignored by the
        INSERT OR IGNORE kapd uses)."""
        con, mine = self.schema_before("_ledger_one_unique_index.sql")
        con.execute("INSERT INTO delivery(id, recipient_key, email, mode, message_id,"
                    " slot_at, armed_at, local_date) VALUES (1, 'p1', 'p1@x.example',"
                    " 'digest', '<m1@x>', 0, 0, '2026-12-01')")
        line = ("INSERT INTO notification(rule, kind, item_key, plan_key, deadline, stage,"
                " recipient_key, delivery_id, title) VALUES ('due', 'activity', ?, 'pl',"
                " '2026-11-01', 'due', 'p1', 1, ?)")
        for key in ("a1", "a2", "a3"):
            con.execute(line, (key, "Title " + key))
        before = con.execute("SELECT * FROM notification ORDER BY id").fetchall()
        autoindexes = con.execute("SELECT count(*) FROM sqlite_master WHERE tbl_name ="
                                  " 'notification' AND name LIKE 'sqlite_autoindex%'")
        self.assertEqual(autoindexes.fetchone()[0], 1, "expected version 10's constraint")
        self.stamp(con, mine)
        self.ok("migrate")
        self.assertEqual(pragma(self.db, "user_version"), LATEST)
        after = kaptest.query(self.db, "SELECT * FROM notification ORDER BY id")
        self.assertEqual(after, before, "expected every ledger row kept by the rebuild")
        indexes = dict(kaptest.query(
            self.db, "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'notification'"
            " AND type = 'index'"))
        self.assertEqual(set(indexes), {"notification_item", "notification_delivery",
                                        "notification_plan", "notification_recipient"},
                         "expected no second index on the key (no sqlite_autoindex)")
        self.assertTrue(indexes["notification_item"].startswith("CREATE UNIQUE INDEX"),
                        indexes["notification_item"])
        con = sqlite3.connect(self.db)
        with self.assertRaises(sqlite3.IntegrityError, msg="a second line for a1"):
            con.execute(line, ("a1", "again"))
        con.execute(line.replace("INSERT INTO", "INSERT OR IGNORE INTO"), ("a1", "again"))
        con.execute(line.replace("'p1', 1", "'p2', 1"), ("a1", "another recipient"))
        con.commit()
        rows = con.execute("SELECT item_key, recipient_key, title FROM notification"
                           " WHERE item_key = 'a1' ORDER BY id").fetchall()
        con.close()
        self.assertEqual(rows, [("a1", "p1", "Title a1"), ("a1", "p2", "another recipient")])

    def newer_db(self):
        self.init_db()
        self.import_file(self.write_doc("sample.json", kaptest.sample_doc()))
        con = sqlite3.connect(self.db)
        con.execute("PRAGMA user_version=99")
        con.commit()
        con.close()
        return file_bytes(self.db)

    def test_newer_schema_is_refused(self):
        original = self.newer_db()
        for args in (["list", "plans"], ["export"], ["migrate"], ["init"],
                     ["import", self.path("sample.json")],
                     ["reviewed", "kessler-2026", "--on", "2026-12-01"]):
            with self.subTest(cmd=" ".join(args)):
                _, err = self.expect_rc(kaptest.EX_DATAERR, *args)
                self.assertIn("newer", err, "expected 'newer' in the refusal of `%s`, got: %r"
                              % (" ".join(args), err))
        self.assertEqual(pragma(self.db, "user_version"), 99, "user_version must stay 99")
        self.assertTrue(file_bytes(self.db) == original,
                        "expected the newer database file left byte-for-byte unchanged")

    def foreign_db(self):
        con = sqlite3.connect(self.db)
        con.execute("CREATE TABLE inventory (sku TEXT PRIMARY KEY, qty INTEGER)")
        con.execute("INSERT INTO inventory VALUES ('bolt-m8', 500)")
        con.commit()
        con.close()
        self.assertEqual(pragma(self.db, "application_id"), 0)
        return file_bytes(self.db)

    def test_foreign_sqlite_file_is_refused(self):
        original = self.foreign_db()
        for args in (["list", "plans"], ["export"], ["migrate"], ["init"],
                     ["import", self.write_doc("sample.json", kaptest.sample_doc())]):
            with self.subTest(cmd=" ".join(args)):
                _, err = self.expect_rc(kaptest.EX_DATAERR, *args)
                self.assertIn("not a kapd database", err,
                              "expected 'not a kapd database' from `%s`, got: %r"
                              % (" ".join(args), err))
        self.assertEqual(kaptest.user_tables(self.db), ["inventory"],
                         "expected no kapd tables added to a foreign database")
        self.assertTrue(file_bytes(self.db) == original,
                        "expected the foreign database file left byte-for-byte unchanged")

    def test_non_sqlite_file_is_refused(self):
        with open(self.db, "w") as f:
            f.write("this is not a database, just some text\n" * 50)
        original = file_bytes(self.db)
        for args in (["list", "plans"], ["migrate"]):
            with self.subTest(cmd=" ".join(args)):
                rc, out, err = self.kapctl(*args)
                self.assertIn(rc, (kaptest.EX_DATAERR, kaptest.EX_NOINPUT),
                              "expected `%s` on a text file to fail with 65 or 66, got %d: %s"
                              % (" ".join(args), rc, err))
                self.assertTrue(err.strip(), "expected an error message")
        self.assertTrue(file_bytes(self.db) == original, "expected the text file unchanged")


if __name__ == "__main__":
    unittest.main()
