"""Terminal tables align by display width (issue 11): `kapctl due`, `show`, `list` and
`feeds` with names in German, Turkish, Chinese and Japanese, emoji and combining marks.
The display width is computed here from Python's Unicode database (wcwidth semantics:
combining marks and format characters take no column, East Asian wide and fullwidth
characters take two), independently of kapd's table."""

import os
import unicodedata

import kaptest

NOW = "2026-12-01T09:00:00+01:00"
LONG_KEY = "a-generated-" + "0123456789abcdef" * 3 + "0123"  # 64 characters

# (key, name, language): each name shifts a byte- or character-padded column.
PEOPLE = [
    ("p-mueller", "Jürgen Müller-Lüdenscheidt", "de"),
    ("p-yilmaz", "İlkay Yılmaz Göğüş", "tr"),
    ("p-chen", "陈立", "zh"),
    ("p-sato", "佐藤 健", "ja"),
    ("p-jose", "Jose\u0301 Garci\u0301a", "es"),
    ("p-rocket", "Team 🚀 Nord", "en"),
]


def display_width(s):
    w = 0
    for ch in s:
        cp = ord(ch)
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me") or (cat == "Cf" and cp != 0xAD) or 0x1160 <= cp <= 0x11FF:
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def column_of(line, needle, last=False):
    """Display column where needle starts (its last occurrence with last) in line, or
    None."""
    i = line.rfind(needle) if last else line.find(needle)
    return None if i < 0 else display_width(line[:i])


def plan_doc():
    people = [{"key": k, "name": n, "email": "%s@supplier.example" % k, "language": lang,
               "timezone": "Europe/Berlin"} for k, n, lang in PEOPLE]
    accounts = []
    for i, (key, name, _) in enumerate(PEOPLE):
        acts = [{"key": "a-%s-%d" % (key, j), "title": "%s Angebot übergeben %d" % (name, j),
                 "owner": key, "due": "2026-12-%02d" % (1 + i + j), "state": "open"}
                for j in range(2)]
        if key == "p-chen":  # a key as long as keys get
            acts.append({"key": LONG_KEY, "title": "Lange Schlüssel", "owner": key,
                         "due": "2026-12-06"})
        accounts.append({
            "key": "acc-%s" % key, "name": "Kunde %s" % name, "industry": "Maschinenbau",
            "market_volume": {"amount": 38000000 + i, "currency": "EUR"},
            "contacts": [{"key": "c-%s" % key, "name": name, "function": "Einkauf"}],
            "history": [{"period": "2025", "revenue": 4200000, "margin": 980000,
                         "currency": "EUR"},
                        {"period": "2026", "revenue": 5100000, "currency": "EUR"}],
            "plans": [{"key": "plan-%s" % key, "title": "Plan %s 2026" % name,
                       "language": "de", "timezone": "Europe/Berlin",
                       "next_review": "2026-12-05",
                       "team": [{"person": key, "role": "kam"}] +
                               [{"person": k, "role": "member"} for k, _, _ in PEOPLE
                                if k != key],
                       "milestones": [{"key": "m-%s" % key, "title": "Rahmenvertrag %s" % name,
                                       "owner": key, "due": "2026-12-10"}],
                       "activities": acts}]})
    return {"format": "kapd-plan/1", "people": people, "accounts": accounts}


class TableAlignmentTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.init_db()
        self.doc = plan_doc()
        self.import_file(self.write_doc("names.json", self.doc))

    def assert_aligned(self, text, heading, values, what, last=False):
        """Every line of a table with heading that holds one of values (the first found)
        shows it at the display column of heading in the table's heading line; returns
        the number of lines checked.  A blank line ends a table."""
        head, checked = None, 0
        for ln in text.splitlines():
            if not ln.strip():
                head = None
            elif heading in ln and ln.split()[0].isupper():
                head = ln
                continue
            for v in values if head is not None else ():
                col = column_of(ln, v, last)
                if col is None:
                    continue
                want = column_of(head, heading)
                self.assertEqual(col, want, "%s: %r starts at display column %d, its heading "
                                 "%s at %d:\n%s\n%s" % (what, v, col, heading, want, head,
                                                        ln))
                checked += 1
                break
        return checked

    def assert_shifted_by_bytes(self, text, heading, values):
        """The data has to matter: counted in characters, some value would not align."""
        lines = text.splitlines()
        head = next(ln for ln in lines if heading in ln)
        chars = {ln.find(v) for ln in lines for v in values if v in ln and ln is not head}
        self.assertGreater(len(chars), 1, "test data too tame: every %s starts at the same "
                           "character index" % heading)

    def test_due_aligns_owner_and_title_with_cjk_names(self):
        out = self.ok("due", "--days", "30", now=NOW)
        names = [n for _, n, _ in PEOPLE]
        self.assertEqual(self.assert_aligned(out, "OWNER", names, "due"), 6 * 4 + 1,
                         "expected every item and review of the six plans in `due`")
        self.assertIn(LONG_KEY, out, "expected a 64-character key whole in `due`")
        titles = ["%s Angebot" % n for n in names] + ["Rahmenvertrag"]
        self.assert_aligned(out, "TITLE", titles, "due")
        self.assert_shifted_by_bytes(out, "TITLE", titles)

    def test_list_people_plans_accounts_align(self):
        out = self.ok("list", "people")
        emails = ["%s@supplier.example" % k for k, _, _ in PEOPLE]
        self.assertEqual(self.assert_aligned(out, "EMAIL", emails, "list people"), 6)
        self.assert_shifted_by_bytes(out, "EMAIL", emails)
        out = self.ok("list", "accounts")
        self.assertEqual(self.assert_aligned(out, "INDUSTRY", ["Maschinenbau"],
                                             "list accounts"), 6)
        out = self.ok("list", "plans")
        self.assertEqual(self.assert_aligned(out, "TITLE", ["Plan "], "list plans"), 6)

    def test_show_aligns_team_items_and_money(self):
        out = self.ok("show", "plan", "plan-p-chen", now=NOW)
        emails = ["%s@supplier.example" % k for k, _, _ in PEOPLE]
        self.assertEqual(self.assert_aligned(out, "EMAIL", emails, "show team"), 6)
        self.assertEqual(self.assert_aligned(out, "OWNER", ["陈立"], "show items", last=True),
                         4, "expected the milestone and three activities of 陈立")
        self.assert_aligned(out, "FUNCTION", ["Einkauf"], "show contacts")
        self.assertIn("38.000.002 EUR", out, "expected the market volume grouped as German "
                      "writes it (the plan's language is de)")
        hist = [ln for ln in out.splitlines() if ln.strip().startswith("2026")]
        self.assertTrue(hist and hist[0].rstrip().endswith("\u2013"),
                        "expected the missing 2026 margin as a dash, not 0: %r" % hist)
        self.assertNotIn(" 0 EUR", out)

    def test_feeds_align_names(self):
        out = self.ok("feeds")
        names = [n for _, n, _ in PEOPLE]
        self.assertGreaterEqual(self.assert_aligned(out, "SUBSCRIPTION URL", ["http", "/"],
                                                    "feeds"), 12)
        self.assertEqual(self.assert_aligned(out, "NAME", ["Plan "] + names, "feeds"), 12)

    def test_kapd_dry_run_table_fits_long_keys(self):
        conf = self.path("kapd.conf")
        with open(conf, "w") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n' % self.db)
        argv = [kaptest.KAPD, "-c", conf, "--dry-run", "--now", "2026-12-06T08:00:00+01:00"]
        rc, out, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, err)
        self.assertIn(LONG_KEY, out, "expected the long key whole in the dry run")
        plans = ["plan-%s " % k for k, _, _ in PEOPLE]
        n = self.assert_aligned(out, "PLAN", plans, "kapd --dry-run", last=True)
        self.assertGreater(n, 6, "expected notifications of every plan:\n%s" % out)

    def test_queue_and_log_tables_align(self):
        outbox = self.path("outbox")
        os.symlink(self.path("missing"), outbox)  # every delivery is deferred
        conf = self.path("kapd.conf")
        with open(conf, "w") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; '
                    'from = "kapd <kapd@supplier.example>"; };\n'
                    'feeds = { directory = "%s"; };\n'
                    % (self.db, outbox, self.path("feeds")))
        argv = [kaptest.KAPD, "-c", conf, "--once", "--now", NOW]
        rc, out, err = kaptest.run(argv)
        self.assert_no_sanitizer(argv, err)
        self.assertEqual(rc, 0, err)
        emails = ["%s@supplier.example" % k for k, _, _ in PEOPLE]
        out = self.ok("queue")
        self.assertGreaterEqual(self.assert_aligned(out, "TO", emails, "queue"), 6, out)
        self.assertGreaterEqual(self.assert_aligned(out, "ERROR", ["cannot ", "creating ",
                                                                    "opening "], "queue"), 1,
                                "expected the server's answer in the ERROR column:\n" + out)
        out = self.ok("log")
        self.assertGreaterEqual(self.assert_aligned(out, "TO", emails, "log"), 6, out)
        self.assertGreaterEqual(self.assert_aligned(out, "DUE", ["2026-1"], "log", last=True),
                                6, out)
