"""Plan pages (SPEC §9, issue 13): `kapctl show plan KEY --html` and the pages `kapd --once`
writes into pages.directory, checked with an independent HTML5 parser (python3-html5lib,
strict) and for what a page must and must not carry."""

import html
import os
import re
import sqlite3
import subprocess
import unittest

import kaptest

NOW = "2026-12-01T09:00:00+01:00"
LATER = "2026-12-01T09:15:00+01:00"
BASE_URL = "https://intranet.example.com/kapd/pages/"
PLAN = "kessler-2026"

try:
    import html5lib
except ImportError:  # python3-html5lib is in DEB_PKGS; say so rather than pass
    html5lib = None


def parse_strict(data):
    """Parses data with html5lib in strict mode; raises on the first parse error."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(data)


class PagesTestCase(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.pages_dir = self.path("pages")
        self.write_conf()
        self.init_db()

    def write_conf(self, extra=""):
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write('database = "%s";\ntimezone = "Europe/Berlin";\n'
                    'mail = { transport = "file"; directory = "%s"; };\n'
                    'feeds = { directory = "%s"; };\n'
                    'pages = { directory = "%s"; base_url = "%s"; %s };\n'
                    % (self.db, self.path("outbox"), self.path("feeds"), self.pages_dir,
                       BASE_URL, extra))

    def import_sample(self, doc=None):
        self.doc = doc or kaptest.sample_doc()
        self.import_file(self.write_doc("plan.json", self.doc))

    def plan_doc(self):
        return self.doc["accounts"][0]["plans"][0]

    def account_doc(self):
        return self.doc["accounts"][0]

    def show_html(self, key=PLAN):
        return self.ok("show", "--html", "plan", key, now=NOW)


class ShowHtmlTest(PagesTestCase):

    def setUp(self):
        super().setUp()
        self.import_sample()

    def test_show_html_prints_a_valid_page_of_the_whole_plan(self):
        if html5lib is None:
            self.fail("python3-html5lib is not installed (make deps installs it)")
        page = self.show_html()
        tree = parse_strict(page.encode("utf-8"))
        self.assertEqual(tree.get("lang"), "de", "the sample plan is German")
        plan, acc = self.plan_doc(), self.account_doc()
        text = html.unescape(page)
        for what in ([plan["title"], acc["name"]] + [c["name"] for c in acc["contacts"]] +
                     [m["title"] for m in plan["milestones"]] +
                     [n["text"] for n in acc["needs"]]):
            self.assertIn(what, text, "expected %r on the page" % what)
        self.assertIn("<svg class=\"tl\"", page, "expected the timeline")
        self.assertIn(">Heute</text>", page, "expected the today line, in German")
        self.assertNotRegex(page.lower(), r"<script|<link|src=", "no script, no resources")

    def test_show_html_usage_and_unknown_plan(self):
        self.expect_rc(kaptest.EX_USAGE, "show", "--html", "--json", "plan", PLAN)
        self.expect_rc(kaptest.EX_DATAERR, "show", "--html", "plan", "no-such-plan")

    def test_wider_audience_page_leaves_confidential_content_out(self):
        # Marker values planted in the plan, each found nowhere else.
        doc = kaptest.sample_doc()
        acc = doc["accounts"][0]
        acc["complaints"][0]["subject"] = "Complaint-marker-7781"
        acc["contacts"][0]["notes"] = "Note-marker-4410"
        acc["history"][0]["revenue"] = 7654321
        acc["history"][0]["margin"] = 1234567
        self.init_db(self.path("marked.db"))
        self.db = self.path("marked.db")
        self.write_conf()
        self.import_file(self.write_doc("marked.json", doc))
        markers = {"complaint": "Complaint-marker-7781", "contact note": "Note-marker-4410",
                   "revenue": "7.654.321", "margin": "1.234.567"}
        full = html.unescape(self.show_html())
        for what, marker in markers.items():
            self.assertTrue(marker in full, "expected the %s %r on a confidential page"
                            % (what, marker))
        self.write_conf("confidential = false;")
        wide = html.unescape(self.show_html())
        for what, marker in markers.items():
            self.assertFalse(marker in wide, "confidential = false, yet the %s %r shows"
                             % (what, marker))
        self.assertNotIn("Umsatz", wide, "confidential = false, yet a revenue heading shows")

if __name__ == "__main__":
    unittest.main()
