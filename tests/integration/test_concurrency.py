"""Concurrent writers wait for the database lock instead of failing (SPEC §7)."""

import sqlite3
import subprocess
import time
import unittest

import kaptest

HOLD_SECONDS = 2.0
KEYED = ("key", "person", "owner", "substitute", "milestone", "project")


def prefixed(v, prefix):
    """A copy of a document with every key and key reference prefixed."""
    if isinstance(v, dict):
        return {k: (prefix + x if k in KEYED and isinstance(x, str) else prefixed(x, prefix))
                for k, x in v.items()}
    if isinstance(v, list):
        return [prefixed(x, prefix) for x in v]
    return v


class ConcurrentWritersTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = kaptest.sample_doc()
        self.plan = next(p for p in self.doc["accounts"][0]["plans"]
                         if p.get("state", "active") == "active")
        self.init_db()
        self.import_file(self.write_doc("sample.json", self.doc))

    def spawn(self, args):
        # --now: the completion dates below must not lie in the future (kapctl done).
        argv = [kaptest.KAPCTL, "-c", self.conf, "--db", self.db, "--now",
                "2026-12-01T12:00:00+01:00"] + [str(a) for a in args]
        return argv, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=kaptest.child_env())

    def open_items(self, kind):
        return [it for it in self.plan[kind] if it.get("state", "open") == "open"]

    def writers(self):
        acts = self.open_items("activities")
        mss = self.open_items("milestones")
        team = [t["person"] for t in self.plan["team"]]
        other = self.write_doc("other.json", prefixed(self.doc, "x-"))
        self.expect = {
            "done": acts[0]["key"], "cancel": acts[1]["key"], "due": acts[2]["key"],
            "owner": (acts[3]["key"], next(p for p in team if p != acts[3].get("owner"))),
            "title": mss[0]["key"], "done_ms": mss[1]["key"],
        }
        e = self.expect
        return [
            ["done", "activity", e["done"], "--on", "2026-12-01"],
            ["cancel", "activity", e["cancel"]],
            ["edit", "activity", e["due"], "--due", "2027-01-15"],
            ["edit", "activity", e["owner"][0], "--owner", e["owner"][1]],
            ["edit", "milestone", e["title"], "--title", "Geändert während gesperrt"],
            ["done", "milestone", e["done_ms"], "--on", "2026-11-30", "--force"],
            ["add", "activity", "--plan", self.plan["key"], "--key", "added-while-locked",
             "--title", "Added while locked", "--due", "2026-12-24"],
            ["reviewed", self.plan["key"], "--on", "2026-12-01"],
            ["import", other],
        ]

    def check_results(self, procs, what):
        for argv, p in procs:
            try:
                out, err = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                self.fail("%s: `%s` did not finish within 120 s" % (what, " ".join(argv)))
            err = err.decode("utf-8", "replace")
            self.assert_no_sanitizer(argv, err)
            self.assertEqual(p.returncode, 0, "%s: expected `%s` to exit 0 after waiting for "
                             "the lock, got %d; stderr: %s"
                             % (what, " ".join(argv[6:]), p.returncode, err))
            low = err.lower()
            self.assertFalse("busy" in low or "locked" in low,
                             "%s: expected no busy/locked text from `%s`, got: %s"
                             % (what, " ".join(argv[6:]), err))

    def check_changes(self):
        e = self.expect
        q = lambda sql, *a: kaptest.query(self.db, sql, a)
        self.assertEqual(q("SELECT state, done_on FROM activity WHERE key=?", e["done"]),
                         [("done", "2026-12-01")], "expected %s done on 2026-12-01" % e["done"])
        self.assertEqual(q("SELECT state, done_on FROM activity WHERE key=?", e["cancel"]),
                         [("cancelled", None)], "expected %s cancelled" % e["cancel"])
        self.assertEqual(q("SELECT due FROM activity WHERE key=?", e["due"]),
                         [("2027-01-15",)], "expected %s due 2027-01-15" % e["due"])
        self.assertEqual(q("SELECT p.key FROM activity a JOIN person p ON p.id = a.owner_id "
                           "WHERE a.key=?", e["owner"][0]), [(e["owner"][1],)],
                         "expected %s owned by %s" % e["owner"])
        self.assertEqual(q("SELECT title FROM milestone WHERE key=?", e["title"]),
                         [("Geändert während gesperrt",)], "expected the new milestone title")
        self.assertEqual(q("SELECT state, done_on FROM milestone WHERE key=?", e["done_ms"]),
                         [("done", "2026-11-30")], "expected %s done" % e["done_ms"])
        self.assertEqual(q("SELECT title, due FROM activity WHERE key='added-while-locked'"),
                         [("Added while locked", "2026-12-24")], "expected the added activity")
        self.assertEqual(q("SELECT last_review, next_review FROM plan WHERE key=?",
                           self.plan["key"]), [("2026-12-01", "2027-12-01")],
                         "expected the review recorded")
        self.assertEqual(q("SELECT count(*) FROM plan WHERE key LIKE 'x-%'"),
                         [(len(self.doc["accounts"][0]["plans"]),)],
                         "expected the concurrently imported plans")
        self.assertEqual(q("SELECT count(*) FROM item_change WHERE field='due' AND "
                           "new_value='2027-01-15'"), [(1,)], "expected the due change logged")

    def run_against_lock(self, begin):
        holder = sqlite3.connect(self.db, isolation_level=None, timeout=30)
        try:
            holder.execute(begin)
            started = time.monotonic()
            procs = [self.spawn(a) for a in self.writers()]
            time.sleep(HOLD_SECONDS)
            early = [(" ".join(argv[6:]), p.returncode) for argv, p in procs
                     if p.poll() is not None]
            holder.execute("COMMIT")
        except BaseException:
            holder.close()
            raise
        holder.close()
        self.assertEqual(early, [], "expected every writer to wait while %s was held "
                         "(%.1f s), but these finished early (command, exit code): %r"
                         % (begin, time.monotonic() - started, early))
        self.check_results(procs, "writers against %s" % begin)
        self.check_changes()

    def test_writers_wait_for_immediate_transaction(self):
        self.run_against_lock("BEGIN IMMEDIATE")

    def test_writers_wait_for_exclusive_transaction(self):
        self.run_against_lock("BEGIN EXCLUSIVE")

    def test_two_imports_race(self):
        for round_ in range(3):
            with self.subTest(round=round_):
                db = self.path("race-%d.db" % round_)
                self.init_db(db)
                a = self.write_doc("a.json", prefixed(self.doc, "a%d-" % round_))
                b = self.write_doc("b.json", prefixed(self.doc, "b%d-" % round_))
                self.db, saved = db, self.db
                try:
                    procs = [self.spawn(["import", a]), self.spawn(["import", b])]
                    self.check_results(procs, "two racing imports")
                    for p in ("a%d-" % round_, "b%d-" % round_):
                        exp = kaptest.normalise(prefixed(self.doc, p))
                        got = kaptest.normalise(self.export_doc(p + self.plan["key"]))
                        self.assertEqual([x["key"] for x in got["accounts"]],
                                         [x["key"] for x in exp["accounts"]],
                                         "expected the account of %s after the race" % p)
                        self.assert_json_equal(
                            [pl for pl in exp["accounts"][0]["plans"]
                             if pl["key"] == p + self.plan["key"]],
                            got["accounts"][0]["plans"], "plan imported during the race")
                finally:
                    self.db = saved

    def test_large_import_races_with_edits(self):
        large = kaptest.large_doc_path()
        procs = [self.spawn(["import", large])]
        procs += [self.spawn(a) for a in self.writers()[:-1]]
        self.check_results(procs, "large import racing with edits")
        self.expect_rc(0, "export", "-o", self.path("after.json"))
        n = kaptest.query(self.db, "SELECT count(*) FROM plan")[0][0]
        want = len(self.doc["accounts"][0]["plans"]) + sum(
            len(a.get("plans", [])) for a in kaptest.load_json(large)["accounts"])
        self.assertEqual(n, want, "expected %d plans after the race, got %d" % (want, n))


if __name__ == "__main__":
    unittest.main()
