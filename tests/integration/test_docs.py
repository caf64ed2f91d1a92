"""The product documents itself (issue 11): kapd-plan(5) describes every member that
`kapctl export` writes and nothing else, every member of daemon/core/planspec.c appears
in it (test_install.py renders it with groff and man), and README, man/ and etc/ point
only to files inside the repository."""

import os
import re
import unittest

import kaptest

MAN = os.path.join(kaptest.REPO, "man", "kapd-plan.5")
PLANSPEC = os.path.join(kaptest.REPO, "daemon", "core", "planspec.c")

# One of everything: every member of every kind of object holds a value.
FULL_DOC = {
    "format": "kapd-plan/1",
    "people": [
        {"key": "p-weber", "name": "Anna Weber", "email": "anna.weber@supplier.example",
         "language": "de", "timezone": "Europe/Berlin", "notify": "digest",
         "function": "Key Account Manager",
         "absences": [{"from": "2026-12-21", "until": "2027-01-06",
                       "substitute": "p-boss"}]},
        {"key": "p-boss", "name": "Thomas Brandt", "email": "t.brandt@supplier.example",
         "language": "en", "timezone": "Europe/London", "notify": "immediate",
         "function": "Sales director", "absences": []},
    ],
    "accounts": [{
        "key": "kessler", "name": "Kessler Maschinenbau GmbH", "industry": "Machines",
        "address": "Industriestr. 1\n70565 Stuttgart", "phone": "+49 711 000000",
        "email": "info@kessler.example", "website": "https://kessler.example",
        "rating": "A", "potential": "high", "networks": "VDMA",
        "market_volume": {"amount": 38000000, "currency": "EUR"},
        "positioning": "preferred", "strategic_direction": "electrification",
        "processes": "central purchasing",
        "contacts": [{"key": "c1", "name": "Eva Klein", "function": "CEO",
                      "email": "eva.klein@kessler.example", "phone": "+49 711 1",
                      "decision_role": "decision-maker", "attitude": "supportive",
                      "notes": "prefers mornings"}],
        "needs": [{"key": "n1", "text": "Shorter delivery times"}],
        "competitors": [{"key": "cmp1", "name": "Rival AG", "position": "incumbent",
                         "strengths": "price", "weaknesses": "service"}],
        "history": [{"period": "2025", "revenue": 4200000, "margin": 980000,
                     "currency": "EUR"}],
        "projects": [{"key": "pr1", "title": "Retrofit line 3", "start": "2026-01-15",
                      "end": "2026-09-30", "state": "open"}],
        "complaints": [{"key": "cp1", "date": "2026-03-02", "subject": "Late delivery",
                        "state": "in-progress"}],
        "swot": [{"kind": "strength", "text": "service network"}],
        "plans": [{
            "key": "kessler-2026", "title": "Kessler 2026", "language": "de",
            "timezone": "Europe/Berlin", "state": "active", "last_review": "2025-12-01",
            "next_review": "2026-12-01",
            "team": [{"person": "p-weber", "role": "kam", "function": "KAM"},
                     {"person": "p-boss", "role": "sponsor", "function": "Sponsor"}],
            "goals": [{"key": "g1", "horizon": "long", "focus": "region",
                       "focus_value": "DACH", "text": "Preferred supplier",
                       "target": "40 %", "due": "2028-12-31"}],
            "milestones": [{"key": "m1", "title": "Contract signed", "owner": "p-weber",
                            "due": "2026-12-15", "state": "done", "project": "pr1",
                            "description": "framework contract", "done_on": "2026-11-20"}],
            "activities": [{"key": "a1", "title": "Angebot BZ 800 übergeben",
                            "owner": "p-boss", "due": "2026-12-03", "state": "done",
                            "milestone": "m1", "project": "pr1", "description": "visit",
                            "done_on": "2026-11-25"}],
        }],
    }],
}


def members_by_path(doc):
    """{JSON path of a kind of object: set of its members}, e.g. "accounts[].plans[]"."""
    out = {}

    def walk(obj, path):
        out.setdefault(path, set()).update(obj)
        for name, v in obj.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                child = "%s[]" % name if path == "$" else "%s.%s[]" % (path, name)
                for x in v:
                    walk(x, child)
    walk(doc, "$")
    return out


def documented(text):
    """{path: set of members} from the .SS sections and their .TP/.B entries."""
    out, path, lines = {}, None, text.splitlines()
    for i, ln in enumerate(lines):
        if ln.startswith(".SH"):
            path = "objects" if ln.strip() == ".SH OBJECTS" else None
        elif ln.startswith(".SS ") and path is not None:
            path = ln[4:].strip().strip('"')
            out[path] = set()
        elif (ln == ".TP" and path not in (None, "objects") and i + 1 < len(lines)
              and lines[i + 1].startswith(".B ")):
            out[path].add(lines[i + 1][3:].strip().replace("\\-", "-"))
    return out


class PlanManualTest(kaptest.KapTestCase):

    def man_text(self):
        with open(MAN, encoding="utf-8") as f:
            return f.read()

    def test_manual_documents_exactly_what_export_writes(self):
        self.init_db()
        self.import_file(self.write_doc("full.json", FULL_DOC))
        exported = members_by_path(self.export_doc())
        sent = members_by_path(FULL_DOC)
        self.assertEqual(exported, sent, "test setup: the full sample should export as "
                         "it was imported (every member set)")
        doc = documented(self.man_text())
        self.assertGreaterEqual(len(doc), 15, "expected a section per kind of object")
        for path in sorted(set(exported) | set(doc)):
            with self.subTest(path=path):
                self.assertIn(path, doc, "kapd-plan(5) has no section %s" % path)
                self.assertIn(path, exported, "kapd-plan(5) documents %s, which export "
                              "never writes" % path)
                self.assertEqual(sorted(exported[path] - doc[path]), [],
                                 "written by export, missing in kapd-plan(5) %s" % path)
                self.assertEqual(sorted(doc[path] - exported[path]), [],
                                 "in kapd-plan(5) %s, never written by export" % path)

    def test_every_planspec_member_is_documented(self):
        with open(PLANSPEC, encoding="utf-8") as f:
            src = f.read()
        names = set(re.findall(r'\b(?:LINE|TEXT|TYPED|ENUM|REF|KIDS)\("([a-z_]+)"', src))
        names |= set(re.findall(r'\{ "([a-z_]+)", F_[A-Z]+,', src))
        names.add("key")
        self.assertGreater(len(names), 40, "test setup: expected the planspec tables")
        doc = set().union(*documented(self.man_text()).values())
        self.assertEqual(sorted(names - doc), [], "planspec.c members missing in "
                         "kapd-plan(5)")


class SelfContainedDocsTest(unittest.TestCase):

    def files(self):
        for top in ("README.md", "man", "etc"):
            path = os.path.join(kaptest.REPO, top)
            if os.path.isfile(path):
                yield path
            for root, _, names in os.walk(path):
                for n in names:
                    yield os.path.join(root, n)

    def test_nothing_points_outside_the_repository(self):
        for path in self.files():
            with open(path, encoding="utf-8", errors="replace") as f:
                for no, line in enumerate(f, 1):
                    self.assertNotRegex(line, r"\.\./shared", "%s:%d points outside the "
                                        "repository" % (os.path.relpath(path, kaptest.REPO),
                                                        no))

    def test_readme_links_resolve_inside_the_repository(self):
        with open(os.path.join(kaptest.REPO, "README.md"), encoding="utf-8") as f:
            text = f.read()
        links = re.findall(r"\]\(([^)\s]+)\)", text)
        for target in links:
            if re.match(r"^(https?:|mailto:|#)", target):
                continue
            with self.subTest(link=target):
                path = os.path.normpath(os.path.join(kaptest.REPO, target.split("#")[0]))
                self.assertTrue(path.startswith(kaptest.REPO + os.sep),
                                "README links outside the repository: %s" % target)
                self.assertTrue(os.path.exists(path), "README links to a missing file: %s"
                                % target)
