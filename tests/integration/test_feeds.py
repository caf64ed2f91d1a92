"""Calendar feeds (SPEC §5, issue 5): one .ics per active plan and per person, written by
`kapd --once` into feeds.directory and read back by four independent readers (Debian's
python3-icalendar and python3-vobject, khal, and ical.js from the npm registry run with
node), compared with what the database says the feeds must hold (computed here, without
kapd).  Also: nothing confidential in a feed, byte-identical files when nothing changed,
one changed activity changes only its VEVENT (SEQUENCE + 1, same UID), done and cancelled
items, secret tokens and their rotation, a real nginx on loopback (304 for an unchanged
feed, 404 after rotation), a full disk, stale temporary files, opt-in alarms."""

import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import kaptest

sys.path.insert(0, os.path.join(kaptest.HERE, "feeds"))
import readers  # noqa: E402

NOW = "2026-12-01T09:00:00+01:00"
LATER = "2026-12-01T09:15:00+01:00"
DOMAIN = "kap.test.example"
BASE_URL = "https://calendar.example.com/kapd/"
KEEP_DONE = 30

WORDS = {
    "de": {"done": "Erledigt: ", "cancelled": "Abgesagt: ", "review": "Jahresaktualisierung: ",
           "person": "Key-Account-Aufgaben: "},
    "en": {"done": "Done: ", "cancelled": "Cancelled: ", "review": "Annual update: ",
           "person": "Key account actions: "},
}


def lang_of(tag):
    return "de" if tag and re.match(r"^de($|[-_])", tag, re.I) else "en"


def one_line(s):
    """What a feed shows of a title or name: line breaks and tabs as spaces, other
    control characters dropped (mirrors nothing in kapd: written from RFC 5545 §3.3.11)."""
    s = s.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return "".join(c for c in s if not (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f))


def expected_feeds(db, now=NOW, keep=KEEP_DONE, tz="Europe/Berlin"):
    """{("plan"|"person", key): {"lang", "name", "events": {uid: event}}} from the
    database: active plans only; done and cancelled items while their closing day (done_on,
    else the UTC date of updated_at) is within the last `keep` days."""
    import zoneinfo
    today = datetime.datetime.fromisoformat(now).astimezone(zoneinfo.ZoneInfo(tz)).date()
    first = (today - datetime.timedelta(days=keep - 1)).isoformat()
    con = sqlite3.connect(db)
    try:
        people = {r[0]: r[1:] for r in con.execute(
            "SELECT id, key, name, language FROM person")}
        plans = {}
        customer = {}
        for pid, key, title, lang, review, acc in con.execute(
                "SELECT p.id, p.key, p.title, p.language, p.next_review, a.name FROM plan p "
                "JOIN account a ON a.id = p.account_id WHERE p.state = 'active'"):
            kam = con.execute("SELECT person_id FROM team_member WHERE plan_id = ? AND "
                              "role = 'kam'", (pid,)).fetchone()
            kam = kam[0] if kam else None
            plans[pid] = (key, title, lang or (people[kam][2] if kam else None), review, kam)
            customer[pid] = one_line(acc)
        feeds = {}
        for pid, (key, title, lang, review, kam) in plans.items():
            feeds[("plan", key)] = {"lang": lang_of(lang), "name": one_line(title), "events": {}}
        members = {r[0] for r in con.execute(
            "SELECT t.person_id FROM team_member t JOIN plan p ON p.id = t.plan_id "
            "WHERE p.state = 'active'")}
        items = []
        for kind in ("milestone", "activity"):
            for row in con.execute(
                    "SELECT x.key, x.title, x.due, x.state, x.done_on, x.owner_id, x.plan_id, "
                    "x.updated_at FROM %s x JOIN plan p ON p.id = x.plan_id "
                    "WHERE p.state = 'active'" % kind):
                key, title, due, state, done_on, owner, pid, updated = row
                closed = done_on or updated[:10]
                if state != "open" and closed < first:
                    continue
                items.append((kind, key, title, due, state, done_on, owner, pid))
                if owner is not None:
                    members.add(owner)
        for pid, (key, title, lang, review, kam) in list(plans.items()):
            if review:
                items.append(("review", key, title, review, "open", None, kam, pid))
        for oid in members:
            key, name, lang = people[oid]
            feeds[("person", key)] = {"lang": lang_of(lang), "events": {},
                                      "name": WORDS[lang_of(lang)]["person"] + one_line(name)}
        for kind, key, title, due, state, done_on, owner, pid in items:
            ev = {"kind": kind, "key": key, "title": one_line(title), "state": state,
                  "due": datetime.date.fromisoformat(due), "done_on": done_on,
                  "uid": "%s-%s@%s" % (kind, key, DOMAIN),
                  "owner": one_line(people[owner][1]) if owner else None,
                  "plan": one_line(plans[pid][1]), "customer": customer[pid]}
            feeds[("plan", plans[pid][0])]["events"][ev["uid"]] = ev
            if owner is not None:
                feeds[("person", people[owner][0])]["events"][ev["uid"]] = ev
        return feeds
    finally:
        con.close()


def summary_of(ev, lang, person=False):
    """An event's title: in a person's feed, which spans plans, an item's title starts
    with its customer ("Kessler: Angebot BZ 800 übergeben"); the annual update names its
    plan already."""
    w = WORDS[lang]
    prefix = w["done"] if ev["state"] == "done" else w["cancelled"] \
        if ev["state"] == "cancelled" else ""
    if ev["kind"] == "review":
        return prefix + w["review"] + ev["title"]
    return prefix + (ev["customer"] + ": " if person else "") + ev["title"]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FeedsTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.feeds_dir = self.path("feeds")
        self.outbox = self.path("outbox")
        self.write_conf()
        self.init_db()

    def write_conf(self, extra_feeds="", feeds_dir=None):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n'
                    'feeds = { directory = "%s"; base_url = "%s"; domain = "%s"; %s };\n'
                    % (self.db, self.outbox, feeds_dir or self.feeds_dir, BASE_URL, DOMAIN,
                       extra_feeds))

    def import_sample(self, doc=None):
        self.doc = doc or kaptest.sample_doc()
        self.import_file(self.write_doc("plan.json", self.doc))

    def kapd(self, *args):
        argv = [kaptest.KAPD, "-c", self.conf] + list(args)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                           env=kaptest.child_env())
        err = p.stderr.decode("utf-8", "replace")
        self.assert_no_sanitizer(argv, err)
        return p.returncode, err

    def check(self, now=NOW):
        rc, err = self.kapd("--once", "--now", now)
        self.assertEqual(rc, 0, "kapd --once --now %s: exit %d\n%s" % (now, rc, err[-3000:]))
        return err

    def listing(self):
        """{("plan"|"person", key): entry} from `kapctl feeds --json`."""
        out = self.ok("feeds", "--json")
        return {(e["kind"], e["key"]): e for e in json.loads(out)}

    def feed_path(self, entry):
        return os.path.join(self.feeds_dir, entry["file"])

    def files(self):
        return sorted(os.listdir(self.feeds_dir)) if os.path.isdir(self.feeds_dir) else []

    def snapshot(self):
        """{name: (sha256, mtime_ns, inode)} of every file in the feed directory."""
        out = {}
        for name in self.files():
            p = os.path.join(self.feeds_dir, name)
            st = os.stat(p)
            out[name] = (sha(p), st.st_mtime_ns, st.st_ino)
        return out

    def read(self, entry):
        with open(self.feed_path(entry), "rb") as f:
            return f.read()

    # -- the four readers against the expectation ---------------------------------------

    def assert_feeds_as_expected(self, now=NOW, keep=KEEP_DONE, backslash_uids=()):
        """Every feed listed by kapctl exists, passes the line rules, and parses in all
        four readers with exactly the expected events.  backslash_uids: events whose
        title has a backslash before "n", "," or ";" or another backslash, which Debian 12's
        python3-icalendar
        4.0.3 (and khal, which uses it) decode wrongly: its unescape_char() replaces "\\n",
        "\\," and "\\;" before "\\\\", so the correct escape "\\\\n" of a literal backslash
        and "n" comes out as a line break.  Their titles are checked with vobject and
        ical.js, which decode them right."""
        expected = expected_feeds(self.db, now, keep)
        listed = self.listing()
        self.assertEqual(sorted(listed), sorted(expected), "kapctl feeds lists other feeds "
                         "than the database calls for")
        names = {self.feed_path(e) for e in listed.values()}
        self.assertEqual(sorted(os.path.join(self.feeds_dir, n) for n in self.files()),
                         sorted(names), "the feed directory holds other files than the feeds")
        js = readers.icaljs(sorted(names))
        for key, entry in sorted(listed.items()):
            path = self.feed_path(entry)
            exp = expected[key]
            with open(path, "rb") as f:
                bad = readers.check_lines(f.read())
            self.assertEqual(bad, [], "%s %s (%s) breaks the line rules" % (key + (path,)))
            self.assertTrue(entry["url"] == BASE_URL + entry["file"] and
                            re.fullmatch(r"[0-9a-f]{32}\.ics", entry["file"]),
                            "unexpected URL %s" % entry["url"])
            got = {"python3-icalendar": readers.python_icalendar(path),
                   "python3-vobject": readers.python_vobject(path),
                   "khal": readers.khal(path, self.tmp)}
            if js is not None:
                got["ical.js"] = js[path]
            for reader, cal in got.items():
                self.assert_events(reader, key, exp, cal, backslash_uids if reader in (
                    "python3-icalendar", "khal") else ())

    def assert_events(self, reader, key, exp, cal, skip_summary=()):
        what = "%s reading the feed of %s %s" % (reader, key[0], key[1])
        if "name" in cal:
            self.assertEqual(cal["name"], exp["name"], "%s: calendar name" % what)
        evs = {e["uid"]: e for e in cal["events"]}
        self.assertEqual(len(evs), len(cal["events"]), "%s: a UID twice" % what)
        self.assertEqual(sorted(evs), sorted(exp["events"]), "%s: other events" % what)
        for uid, e in evs.items():
            x = exp["events"][uid]
            if uid not in skip_summary:
                self.assertEqual(e["summary"], summary_of(x, exp["lang"], key[0] == "person"),
                                 "%s: %s" % (what, uid))
            self.assertEqual(e["start"], x["due"], "%s: %s DTSTART" % (what, uid))
            if "end" in e:
                self.assertEqual(e["end"], x["due"] + datetime.timedelta(days=1),
                                 "%s: %s DTEND (exclusive)" % (what, uid))
            else:
                self.assertEqual(e["last_day"], x["due"], "%s: %s last day" % (what, uid))
            self.assertEqual(e["status"], "CANCELLED" if x["state"] == "cancelled"
                             else "CONFIRMED", "%s: %s STATUS" % (what, uid))
            if "description" in e:
                owner = x["owner"] or ("nicht zugewiesen" if exp["lang"] == "de"
                                       else "not assigned")
                self.assertIn(owner, e["description"], "%s: %s owner" % (what, uid))
                self.assertIn(x["plan"], e["description"], "%s: %s plan" % (what, uid))

    def edit(self, *args):
        self.ok(*args, now=NOW)


class FeedsContentTest(FeedsTestCase):

    def test_demo_feeds_parse_in_four_readers_with_the_expected_events(self):
        self.import_sample()
        err = self.check()
        self.assertIn("feeds:", err)
        self.assert_feeds_as_expected()
        listed = self.listing()
        self.assertIn(("plan", "kessler-2026"), listed)
        # The archived plan of the sample has no feed.
        archived = [p["key"] for a in self.doc["accounts"] for p in a["plans"]
                    if p.get("state") == "archived"]
        for key in archived:
            self.assertNotIn(("plan", key), listed)

    def test_hostile_text_folds_within_75_octets_and_parses_everywhere(self):
        doc = kaptest.sample_doc()
        nasty = ["Müller, Groß; Straße \\ Übergabe", "工厂验收，上海；测试 " * 6,
                 "🚀 Launch 😀, emoji; 👩‍👩‍👧 family",
                 "Ä" * 200, "x" * 74 + "é" + "y" * 74 + "😀" + "z" * 30,
                 ",; \\ " * 20 + "\\", "Line, with \"quotes\" and :colons: and \\back\\slashes"]
        # A backslash before n , ; (see assert_feeds_as_expected): two items.
        tricky = ["C:\\new\\folder, \\; \\, end \\n", "\\" * 37 + "n" + "\\,;" * 19,
                  "two \\\\ in a row"]
        plan = doc["accounts"][0]["plans"][0]
        plan["title"] = "Plan, Kessler; 2026 \\ 工厂 😀"
        items = plan["milestones"] + plan["activities"]
        for i, item in enumerate(items):
            item["title"] = nasty[i % len(nasty)] + " #%d" % i
        for i, title in enumerate(tricky):
            items[i]["title"] = title
        backslash_uids = {"%s-%s@%s" % ("milestone" if i < len(plan["milestones"]) else
                                        "activity", items[i]["key"], DOMAIN)
                          for i in range(len(tricky))}
        for i, person in enumerate(doc["people"]):
            person["name"] = ["Zoë Ødegård, Jr.", "陈立", "Łukasz; Wróbel", "O\\Brien"][i % 4] \
                + " %d" % i
        self.import_sample(doc)
        # Line breaks and control characters cannot be imported, but a database can hold
        # them: the feed must stay valid all the same.
        con = sqlite3.connect(self.db)
        con.execute("UPDATE activity SET title = 'two\r\nlines\nand\ta\x01bell\x7f' WHERE id = "
                    "(SELECT min(id) FROM activity WHERE state = 'open')")
        con.execute("UPDATE person SET name = 'Name' || char(10) || 'ATTENDEE:x' WHERE id = "
                    "(SELECT min(id) FROM person)")
        con.commit()
        con.close()
        self.check()
        self.assert_feeds_as_expected(backslash_uids=backslash_uids)
        for entry in self.listing().values():
            data = self.read(entry)
            self.assertNotIn(b"\nATTENDEE", data)
            self.assertNotIn(b"\x01", data)

    def test_feeds_carry_no_revenue_margin_complaint_contact_or_note(self):
        self.import_sample()
        self.check()
        acc = self.doc["accounts"][0]
        secrets = []
        for h in acc.get("history", []):
            for k in ("revenue", "margin"):
                if h.get(k) is not None:
                    secrets += [str(h[k]), "%d" % h[k], "%.2f" % h[k]]
        secrets += [c["subject"] for c in acc.get("complaints", [])]
        for c in acc.get("contacts", []):
            secrets += [c["name"]] + [c[k] for k in ("email", "phone", "notes") if c.get(k)]
        secrets += [n["text"] for n in acc.get("needs", [])]
        secrets += [s["text"] for s in acc.get("swot", [])]
        secrets += [acc[k] for k in ("address", "phone", "email", "positioning") if acc.get(k)]
        for plan in acc["plans"]:
            secrets += [i["description"] for i in plan.get("milestones", []) +
                        plan.get("activities", []) if i.get("description")]
            secrets += [g["text"] for g in plan.get("goals", [])]
        secrets += [p["email"] for p in self.doc["people"] if p.get("email")]
        # What a feed may show: titles and names (one title quotes a complaint subject).
        shown = " ".join([p["title"] for p in acc["plans"]] + [p["name"] for p in
                         self.doc["people"]] + [i["title"] for p in acc["plans"] for i in
                                                p.get("milestones", []) + p.get("activities", [])])
        secrets = [s for s in secrets if len(s) >= 4 and s not in shown]
        self.assertGreater(len(secrets), 10, "the sample lost its confidential content")
        for entry in self.listing().values():
            text = self.read(entry).replace(b"\r\n ", b"").decode("utf-8")
            text = text.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n")
            for s in secrets:
                if s in text:
                    self.fail("the feed of %s %s shows confidential text: %r"
                              % (entry["kind"], entry["key"], s))

    def test_person_feed_is_in_their_language_and_holds_what_they_own(self):
        self.import_sample()
        self.check()
        listed = self.listing()
        exp = expected_feeds(self.db)
        people = {p["key"]: p for p in self.doc["people"]}
        for (kind, key), entry in listed.items():
            if kind != "person":
                continue
            cal = readers.python_icalendar(self.feed_path(entry))
            lang = lang_of(people[key].get("language"))
            self.assertTrue(cal["name"].startswith(WORDS[lang]["person"]), cal["name"])
            cats = {c for e in cal["events"] for c in e["categories"]}
            allowed = {"de": {"Meilenstein", "Aktivität", "Jahresaktualisierung"},
                       "en": {"Milestone", "Activity", "Annual update"}}[lang]
            self.assertLessEqual(cats, allowed, "%s: categories not in %s" % (key, lang))
            self.assertEqual(sorted(e["uid"] for e in cal["events"]),
                             sorted(exp[(kind, key)]["events"]))
            # A person's feed spans plans: an item's title names its customer.
            customer = self.doc["accounts"][0]["name"]
            for e in cal["events"]:
                if not e["uid"].startswith("review-"):
                    self.assertIn(customer + ": ", e["summary"], "%s: %s" % (key, e["uid"]))
        # The KAM's feed has the annual update of the plan.
        kam = [t["person"] for t in self.doc["accounts"][0]["plans"][0]["team"]
               if t["role"] == "kam"][0]
        cal = readers.python_icalendar(self.feed_path(listed[("person", kam)]))
        self.assertIn("review-kessler-2026@" + DOMAIN, [e["uid"] for e in cal["events"]])

    def test_alarms_are_opt_in(self):
        self.import_sample()
        self.check()
        plan = self.listing()[("plan", "kessler-2026")]
        cal = readers.python_icalendar(self.feed_path(plan))
        self.assertEqual(sum(e["alarms"] for e in cal["events"]), 0)
        self.write_conf("alarm = true;")
        self.check()
        cal = readers.python_icalendar(self.feed_path(plan))
        for e in cal["events"]:
            self.assertEqual(e["alarms"], 1 if e["status"] == "CONFIRMED" and not
                             e["summary"].startswith("Erledigt") else 0, e["uid"])
        js = readers.icaljs([self.feed_path(plan)])
        if js is not None:
            self.assertTrue(any(e["alarms"] for e in js[self.feed_path(plan)]["events"]))


class FeedsChangeTest(FeedsTestCase):

    def setUp(self):
        super().setUp()
        self.import_sample()

    def open_activity(self, plan_key="kessler-2026"):
        for a in self.doc["accounts"][0]["plans"][0]["activities"]:
            if a.get("state", "open") == "open" and a.get("owner"):
                return a
        self.fail("the sample has no open owned activity")

    def test_a_check_with_no_changes_leaves_every_file_untouched(self):
        self.check()
        before = self.snapshot()
        self.assertTrue(before)
        time.sleep(0.05)
        self.check(LATER)
        self.check("2026-12-01T17:45:00+01:00")
        self.assertEqual(self.snapshot(), before, "an unchanged check rewrote a feed")

    def test_changing_one_activity_changes_only_its_vevent(self):
        self.check()
        act = self.open_activity()
        listed = self.listing()
        plan = listed[("plan", "kessler-2026")]
        owner = listed[("person", act["owner"])]
        uid = "activity-%s@%s" % (act["key"], DOMAIN)
        before = {k: self.read(e) for k, e in listed.items()}
        snap = self.snapshot()
        self.edit("edit", "activity", act["key"], "--title", "Neuer Titel, geändert")
        self.check(LATER)
        for key, entry in listed.items():
            data = self.read(entry)
            if key in (("plan", "kessler-2026"), ("person", act["owner"])):
                continue
            self.assertEqual(data, before[key], "the feed of %s %s changed" % key)
            self.assertEqual(snap[entry["file"]], self.snapshot()[entry["file"]])
        for entry in (plan, owner):
            old = readers.vevents(before[(entry["kind"], entry["key"])])
            new = readers.vevents(self.read(entry))
            self.assertEqual(sorted(old), sorted(new), "UIDs changed in %s" % entry["key"])
            changed = [u for u in new if new[u] != old[u]]
            self.assertEqual(changed, [uid], "in the feed of %s %s expected only %s to "
                             "change" % (entry["kind"], entry["key"], uid))
            seq_old = int(readers.prop(old[uid], "SEQUENCE"))
            self.assertEqual(int(readers.prop(new[uid], "SEQUENCE")), seq_old + 1)
            customer = "" if entry["kind"] == "plan" else \
                self.doc["accounts"][0]["name"].replace(",", "\\,") + ": "
            self.assertEqual(readers.prop(new[uid], "SUMMARY"),
                             customer + "Neuer Titel\\, geändert")
            self.assertEqual(readers.prop(new[uid], "DTSTAMP"), "20261201T081500Z")
            self.assertEqual(readers.prop(new[uid], "LAST-MODIFIED"), "20261201T081500Z")
        # Unchanged again: nothing moves, SEQUENCE stays.
        snap = self.snapshot()
        self.check("2026-12-01T10:00:00+01:00")
        self.assertEqual(self.snapshot(), snap)
        self.assert_feeds_as_expected("2026-12-01T10:00:00+01:00")

    def test_a_new_owner_moves_the_event_between_person_feeds(self):
        self.check()
        act = self.open_activity()
        team = [t["person"] for t in self.doc["accounts"][0]["plans"][0]["team"]]
        other = [p for p in team if p != act["owner"]][0]
        uid = "activity-%s@%s" % (act["key"], DOMAIN)
        self.edit("edit", "activity", act["key"], "--owner", other)
        self.check(LATER)
        listed = self.listing()
        self.assertNotIn(uid, readers.vevents(self.read(listed[("person", act["owner"])])))
        new = readers.vevents(self.read(listed[("person", other)]))
        self.assertEqual(readers.prop(new[uid], "SEQUENCE"), "1")
        self.assert_feeds_as_expected(LATER)

    def test_done_and_cancelled_items_stay_for_keep_done_days_then_leave(self):
        self.check()
        acts = [a for a in self.doc["accounts"][0]["plans"][0]["activities"]
                if a.get("state", "open") == "open"][:2]
        self.edit("done", "activity", acts[0]["key"], "--on", "2026-12-01")
        self.edit("cancel", "activity", acts[1]["key"])
        self.check(LATER)
        plan = self.listing()[("plan", "kessler-2026")]
        evs = {e["uid"]: e for e in readers.python_icalendar(self.feed_path(plan))["events"]}
        done = evs["activity-%s@%s" % (acts[0]["key"], DOMAIN)]
        cancelled = evs["activity-%s@%s" % (acts[1]["key"], DOMAIN)]
        self.assertEqual(done["status"], "CONFIRMED")
        self.assertTrue(done["summary"].startswith("Erledigt: "), done["summary"])
        self.assertIn("erledigt am 01.12.2026", done["description"])
        self.assertEqual(cancelled["status"], "CANCELLED")
        self.assertEqual(done["sequence"], 1)
        self.assert_feeds_as_expected(LATER)
        # Still there on the 30th day, gone on the 31st (the real clock's date is what a
        # cancellation records: move past it).
        cancelled_day = kaptest.query(self.db, "SELECT substr(updated_at, 1, 10) FROM activity "
                                      "WHERE key = ?", (acts[1]["key"],))[0][0]
        last = max(datetime.date(2026, 12, 1), datetime.date.fromisoformat(cancelled_day)) + \
            datetime.timedelta(days=KEEP_DONE - 1)
        for day, present in ((datetime.date(2026, 12, 30), True), (last, False)):
            t = "%sT09:00:00+01:00" % (day + datetime.timedelta(days=0 if present else 1))
            self.check(t)
            self.assert_feeds_as_expected(t)
            uids = [e["uid"] for e in readers.python_icalendar(self.feed_path(plan))["events"]]
            self.assertEqual("activity-%s@%s" % (acts[0]["key"], DOMAIN) in uids, present, t)

    def test_only_active_plans_have_feeds_and_an_archived_plan_loses_its_file(self):
        self.check()
        plan = self.listing()[("plan", "kessler-2026")]
        self.assertTrue(os.path.exists(self.feed_path(plan)))
        con = sqlite3.connect(self.db)
        con.execute("UPDATE plan SET state = 'archived' WHERE key = 'kessler-2026'")
        con.commit()
        con.close()
        err = self.check(LATER)
        self.assertFalse(os.path.exists(self.feed_path(plan)), "the archived plan's feed stayed")
        self.assertEqual(self.files(), [], "people of no active plan kept feeds:\n" + err)
        self.assertEqual(self.listing(), {})


class FeedsFileTest(FeedsTestCase):

    def setUp(self):
        super().setUp()
        self.import_sample()

    def test_tokens_are_random_128_bit_and_rotation_removes_the_old_file(self):
        self.check()
        listed = self.listing()
        tokens = [e["file"][:-4] for e in listed.values()]
        self.assertEqual(len(set(tokens)), len(tokens))
        for t in tokens:
            self.assertRegex(t, r"^[0-9a-f]{32}$")
        # Not derived from anything: a second database gets other tokens for the same keys.
        other = self.path("other.db")
        self.init_db(other)
        self.import_file(self.path("plan.json"), db=other)
        again = json.loads(self.ok("feeds", "--json", db=other))
        self.assertFalse(set(e["file"] for e in again) & set(e["file"] for e in listed.values()))
        old = listed[("person", "p-weber")]
        out = self.ok("feeds", "rotate", "person", "p-weber")
        self.assertIn(BASE_URL, out)
        new = self.listing()[("person", "p-weber")]
        self.assertNotEqual(new["file"], old["file"])
        self.assertIsNone(new.get("written_at"))
        self.check(LATER)
        self.assertFalse(os.path.exists(self.feed_path(old)), "the rotated token's file stayed")
        self.assertTrue(os.path.exists(self.feed_path(new)))
        self.assert_feeds_as_expected(LATER)
        self.expect_rc(kaptest.EX_DATAERR, "feeds", "rotate", "no-such-key")
        self.expect_rc(kaptest.EX_USAGE, "feeds", "rotate")
        self.ok("feeds", "rotate", "kessler-2026")

    def test_stale_temporary_files_are_removed_at_start(self):
        self.check()
        entry = self.listing()[("plan", "kessler-2026")]
        token = entry["file"][:-4]
        stale = [".%s.ics.4242.tmp" % token, ".%s.ics.1.tmp" % ("ab" * 16)]
        for name in stale:
            with open(os.path.join(self.feeds_dir, name), "w") as f:
                f.write("BEGIN:VCALENDAR\r\nhalf a fi")
        keep = os.path.join(self.feeds_dir, "README.txt")
        with open(keep, "w") as f:
            f.write("an operator's file")
        err = self.check(LATER)
        self.assertIn("removed 2 temporary files", err)
        for name in stale:
            self.assertFalse(os.path.exists(os.path.join(self.feeds_dir, name)))
        self.assertTrue(os.path.exists(keep), "kapd removed a file that is not its own")

    def test_readers_never_see_a_partial_feed_while_it_is_rewritten(self):
        self.check()
        plan = self.feed_path(self.listing()[("plan", "kessler-2026")])
        act = [a for a in self.doc["accounts"][0]["plans"][0]["activities"]
               if a.get("state", "open") == "open"][0]
        stop = threading.Event()
        seen, bad = [0], []

        def reader():
            while not stop.is_set():
                with open(plan, "rb") as f:
                    data = f.read()
                seen[0] += 1
                if not data.startswith(b"BEGIN:VCALENDAR\r\n") or \
                        not data.endswith(b"END:VCALENDAR\r\n"):
                    bad.append(len(data))
        t = threading.Thread(target=reader)
        t.start()
        try:
            for i in range(12):
                self.edit("edit", "activity", act["key"], "--title", "Rewrite %d " % i + "x" * i)
                self.check("2026-12-01T%02d:00:00+01:00" % (10 + i % 8))
        finally:
            stop.set()
            t.join()
        self.assertEqual(bad, [], "a reader saw a partial feed")
        self.assertGreater(seen[0], 12)
        self.assertEqual([n for n in self.files() if n.endswith(".tmp")], [])
        seq = int(readers.prop(readers.vevents(open(plan, "rb").read())[
            "activity-%s@%s" % (act["key"], DOMAIN)], "SEQUENCE"))
        self.assertEqual(seq, 12)

    def test_an_unusable_feed_directory_is_logged_and_the_check_goes_on(self):
        blocker = self.path("not-a-directory")
        with open(blocker, "w") as f:
            f.write("x")
        self.write_conf(feeds_dir=os.path.join(blocker, "feeds"))
        err = self.check()
        self.assertIn("feeds:", err)
        self.assertRegex(err, r"feeds: feeds\.directory .*not-a-directory")
        self.assertTrue(os.listdir(self.outbox), "the mail of the check was not written")

    def test_a_full_disk_keeps_the_previous_feed_and_the_next_check_recovers(self):
        small = self.path("small")
        os.makedirs(small)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE).returncode == 0
        if mounted:
            self.addCleanup(subprocess.run, ["umount", "-l", small])
        feeds_dir = os.path.join(small, "feeds")
        self.write_conf(feeds_dir=feeds_dir)
        self.feeds_dir = feeds_dir
        self.check()
        before = self.snapshot()
        plan = self.listing()[("plan", "kessler-2026")]
        act = [a for a in self.doc["accounts"][0]["plans"][0]["activities"]
               if a.get("state", "open") == "open"][0]
        self.edit("edit", "activity", act["key"], "--title", "Changed while the disk is full")
        if mounted:
            filler = os.path.join(small, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while os.write(fd, b"\0" * 4096) > 0:
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            err = self.check(LATER)
            self.assertIn("No space left on device", err)
        else:
            # No mount without root; a directory without write permission fails the same
            # way (and root would not be stopped by one: hence the tmpfs above).
            os.chmod(feeds_dir, 0o555)
            self.addCleanup(os.chmod, feeds_dir, 0o755)
            err = self.check(LATER)
            self.assertIn("Permission denied", err)
        self.assertIn("its previous version stays", err)
        self.assertEqual(self.snapshot(), before, "a failed write touched the feeds")
        self.assertEqual([n for n in self.files() if n.endswith(".tmp")], [])
        if mounted:
            os.unlink(filler)
        else:
            os.chmod(feeds_dir, 0o755)
        self.check("2026-12-01T09:30:00+01:00")
        data = self.read(plan)
        self.assertIn("Changed while the disk is full".encode(), data.replace(b"\r\n ", b""))
        self.assert_feeds_as_expected("2026-12-01T09:30:00+01:00")


NGINX_CONF = """daemon off;
master_process off;
worker_processes 1;
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log %(tmp)s/nginx-access.log;
    client_body_temp_path %(tmp)s/nginx-body;
    proxy_temp_path %(tmp)s/nginx-proxy;
    fastcgi_temp_path %(tmp)s/nginx-fastcgi;
    uwsgi_temp_path %(tmp)s/nginx-uwsgi;
    scgi_temp_path %(tmp)s/nginx-scgi;
    server {
        listen 127.0.0.1:%(port)d;
        root %(tmp)s/www-root;
        include %(snippet)s;
    }
}
"""


class FeedsNginxTest(FeedsTestCase):
    """etc/nginx-kapd.conf, as shipped (only its two paths replaced), in a real nginx on a
    loopback port, fetched with curl."""

    def setUp(self):
        super().setUp()
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.curl = shutil.which("curl")
        if not os.access(self.nginx, os.X_OK) or self.curl is None:
            self.fail("nginx and curl are needed (make deps installs them)")
        self.import_sample()
        os.chmod(self.tmp, 0o755)  # nginx's worker may run as another user
        os.makedirs(self.path("www-root"))
        with open(os.path.join(kaptest.REPO, "etc", "nginx-kapd.conf"), encoding="utf-8") as f:
            snippet = f.read()
        self.assertIn("/var/lib/kapd/feeds/", snippet)
        snippet = snippet.replace("/var/lib/kapd/feeds/", self.feeds_dir + "/")
        with open(self.path("nginx-kapd.conf"), "w", encoding="utf-8") as f:
            f.write(snippet)
        self.port = self.free_port()
        with open(self.path("nginx.conf"), "w") as f:
            f.write(NGINX_CONF % {"tmp": self.tmp, "port": self.port,
                                  "snippet": self.path("nginx-kapd.conf")})
        proc = subprocess.Popen([self.nginx, "-p", self.tmp, "-c", self.path("nginx.conf"),
                                 "-e", self.path("nginx-error.log")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop, proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("nginx exited (%d): %s" % (proc.returncode,
                                                     proc.stdout.read().decode()[-2000:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.fail("nginx did not listen on 127.0.0.1:%d" % self.port)

    @staticmethod
    def stop(proc):
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    @staticmethod
    def free_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def get(self, path, *headers):
        """(status, {header: value}, body) of GET path via curl."""
        argv = [self.curl, "-sS", "-D", "-", "-o", self.path("body"), "--max-time", "10"]
        for h in headers:
            argv += ["-H", h]
        argv.append("http://127.0.0.1:%d%s" % (self.port, path))
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        lines = p.stdout.decode("iso-8859-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
        body = b""
        if os.path.exists(self.path("body")):  # curl writes no file for an empty body
            with open(self.path("body"), "rb") as f:
                body = f.read()
            os.unlink(self.path("body"))
        return status, hdrs, body

    def url_path(self, entry):
        return "/kapd/" + entry["file"]

    def test_nginx_serves_feeds_answers_304_when_unchanged_and_404_after_rotation(self):
        self.check()
        listed = self.listing()
        plan = listed[("plan", "kessler-2026")]
        status, h, body = self.get(self.url_path(plan))
        self.assertEqual(status, 200)
        self.assertEqual(h.get("content-type"), "text/calendar; charset=utf-8")
        self.assertEqual(body, self.read(plan))
        etag, modified = h.get("etag"), h.get("last-modified")
        self.assertTrue(etag and modified, h)
        # An unchanged check keeps ETag and Last-Modified: clients get 304s.
        self.check(LATER)
        self.assertEqual(self.get(self.url_path(plan), "If-None-Match: " + etag)[0], 304)
        self.assertEqual(self.get(self.url_path(plan), "If-Modified-Since: " + modified)[0], 304)
        # Nothing else is served: no listing, no temporary or hidden files, no guessing.
        with open(os.path.join(self.feeds_dir, ".%s.ics.1.tmp" % plan["file"][:-4]), "w") as f:
            f.write("partial")
        for path in ("/kapd/", "/kapd", "/kapd/.%s.ics.1.tmp" % plan["file"][:-4],
                     "/kapd/%s" % plan["file"][:-4], "/kapd/../kapd/" + plan["file"] + "x",
                     "/kapd/" + "0" * 32 + ".ics"):
            self.assertEqual(self.get(path)[0], 404, path)
        # Rotation: the old URL is gone after one check, the new one works.
        person = listed[("person", "p-huber")]
        self.ok("feeds", "rotate", "person", "p-huber")
        self.assertEqual(self.get(self.url_path(person))[0], 200)
        self.check("2026-12-01T09:30:00+01:00")
        self.assertEqual(self.get(self.url_path(person))[0], 404)
        fresh = self.listing()[("person", "p-huber")]
        self.assertEqual(self.get(self.url_path(fresh))[0], 200)
        # A change gives a new ETag.
        act = [a for a in self.doc["accounts"][0]["plans"][0]["activities"]
               if a.get("state", "open") == "open"][0]
        self.edit("edit", "activity", act["key"], "--title", "Changed")
        self.check("2026-12-01T09:45:00+01:00")
        status, h, _ = self.get(self.url_path(plan), "If-None-Match: " + etag)
        self.assertEqual(status, 200)
        self.assertNotEqual(h.get("etag"), etag)
        with open(self.path("nginx-access.log"), encoding="utf-8") as f:
            self.assertNotIn(plan["file"], f.read(), "feed tokens reached the access log")


if __name__ == "__main__":
    unittest.main()
