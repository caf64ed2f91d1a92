"""The action list as a spreadsheet: kapctl import-csv and export-csv (SPEC §10).

The sheets are written byte by byte as German Excel (Windows-1252, ";", CRLF,
TT.MM.JJJJ) and LibreOffice (UTF-8, "," or tab, LF) write them."""

import csv
import io
import os
import re
import shutil
import subprocess
import unittest

import kaptest

PLAN = "kessler-2026"
NOW = "2026-12-01T09:00:00+01:00"


def items(doc, plan=PLAN):
    """{key: item} of the plan's milestones and activities, with their kind."""
    out = {}
    for acc in doc["accounts"]:
        for p in acc["plans"]:
            if p["key"] != plan:
                continue
            for kind, arr in (("milestone", p.get("milestones", [])),
                              ("activity", p.get("activities", []))):
                for it in arr:
                    out[it["key"]] = dict(it, kind=kind)
    return out


def cp1252_sheet(rows):
    """German Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, ";" and CRLF, fields
    quoted only where needed."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("cp1252")


class CsvTest(kaptest.KapTestCase):

    def setUp(self):
        super().setUp()
        self.doc = kaptest.sample_doc()
        self.init_db()
        self.import_file(self.write_doc("sample.json", self.doc))
        self.people = {p["key"]: p for p in self.doc["people"]}

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def german_excel_rows(self):
        huber = self.people["p-huber"]
        return [
            ["Schlüssel", "Art", "Titel", "Verantwortlich", "Termin", "Status", "Meilenstein",
             "Projekt", "Beschreibung"],
            ["xl-m1", "Meilenstein", "Abnahme Linie 4 – Größe prüfen", "Anna Weber",
             "15.03.2027", "offen", "", "kessler-pr-taicang", ""],
            ["xl-a1", "Aktivität", "Preise; \"final\" abstimmen", huber["email"], "1.2.2027",
             "offen", "xl-m1", "", "Zeile 1; mit \"Zitat\"\r\nZeile 2 – Ä Ö Ü ß €"],
            ["kessler-2026-a02", "Aktivität", "Taktzeitanalyse Getriebegehäuse erstellen",
             "Katrin Schäfer", "20.11.2026", "erledigt", "kessler-2026-m02",
             "kessler-pr-taicang", ""],
        ]

    def test_german_excel_sheet_imports_exactly(self):
        rows = self.german_excel_rows()
        before = items(self.export_doc(PLAN))
        rows[3][8] = "Basis: Zeichnungen GH-450 – Ziel 4,5 min"
        path = self.write("excel.csv", cp1252_sheet(rows))
        with open(path, "rb") as f:
            raw = f.read()
        self.assertIn(b"\r\n", raw)
        self.assertIn(b"\x80", raw)  # the euro sign in Windows-1252
        out = self.ok("import-csv", PLAN, path, now=NOW)
        self.assertIn("Windows-1252", out)
        self.assertIn("semicolon", out)
        self.assertIn("2 created, 1 updated, 0 unchanged", out)
        self.assertIn("updated activity kessler-2026-a02: due, owner, state, description", out)
        after = items(self.export_doc(PLAN))
        self.assertEqual(after["xl-m1"], {
            "key": "xl-m1", "kind": "milestone", "title": "Abnahme Linie 4 – Größe prüfen",
            "owner": "p-weber", "due": "2027-03-15", "state": "open",
            "project": "kessler-pr-taicang"})
        self.assertEqual(after["xl-a1"], {
            "key": "xl-a1", "kind": "activity", "title": "Preise; \"final\" abstimmen",
            "owner": "p-huber", "due": "2027-02-01", "state": "open", "milestone": "xl-m1",
            "description": "Zeile 1; mit \"Zitat\"\nZeile 2 – Ä Ö Ü ß €"})
        a02 = after["kessler-2026-a02"]
        self.assertEqual((a02["owner"], a02["due"], a02["state"], a02["done_on"]),
                         ("p-schaefer", "2026-11-20", "done", "2026-12-01"))
        self.assertEqual(a02["description"], "Basis: Zeichnungen GH-450 – Ziel 4,5 min")
        # Every other item is as it was.
        for key, it in before.items():
            if key != "kessler-2026-a02":
                self.assertEqual(after[key], it, key)
        # The moved deadline and the new owner are history.
        hist = kaptest.query(self.db, "SELECT field, old_value, new_value FROM item_change "
                             "WHERE kind = 'activity' ORDER BY id")
        self.assertIn(("due", "2026-11-13", "2026-11-20"), hist)
        self.assertIn(("owner", "p-huber", "p-schaefer"), hist)

    def test_wrong_rows_refused_with_row_and_column_database_unchanged(self):
        rows = self.german_excel_rows()
        rows[1][4] = "31.02.2027"               # row 2: no such day
        rows[2][3] = "Niemand Unbekannt"        # row 3: not on the team
        rows[3][5] = "fertig"                   # row 4: no such state
        rows.append(["", "Aktivität", "ohne Schlüssel", "", "01.01.2027", "", "", "", ""])
        rows.append(["xl-a9", "Aktivität", "", "", "2027-01-01", "", "nix", "", ""])
        path = self.write("bad.csv", cp1252_sheet(rows))
        before = kaptest.dump_db(self.db)
        out, err = self.expect_rc(kaptest.EX_DATAERR, "import-csv", PLAN, path)
        lines = [l for l in err.splitlines() if l.startswith(path)]
        self.assertIn(path + ":2:Termin: \"31.02.2027\" is not a date (YYYY-MM-DD or "
                      "TT.MM.JJJJ)", lines)
        self.assertTrue(any(l.startswith(path + ":3:Verantwortlich: \"Niemand Unbekannt\"")
                            for l in lines), err)
        self.assertTrue(any(l.startswith(path + ":4:Status: \"fertig\"") for l in lines), err)
        self.assertTrue(any(l.startswith(path + ":5:Schlüssel: a key is needed")
                            for l in lines), err)
        self.assertTrue(any(l.startswith(path + ":6:Titel:") for l in lines), err)
        self.assertTrue(any(l.startswith(path + ":6:Meilenstein: no milestone \"nix\"")
                            for l in lines), err)
        self.assertIn("nothing was changed", err)
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [])

    def test_row_numbers_count_like_a_spreadsheet(self):
        # A line break inside a quoted cell stays in its row; an empty row still counts.
        text = ("key,type,title,due\n"
                "r-a1,activity,\"two\nlines\",2027-01-01\n"
                ",,,\n"
                "r-a2,activity,ok,2027-13-01\n")
        path = self.write("rows.csv", text.encode())
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import-csv", PLAN, path)
        self.assertIn(path + ":4:due: \"2027-13-01\" is not a date", err)

    def test_unknown_column_is_an_error_unless_ignored(self):
        text = "key;type;title;due;Kommentar\r\nu-a1;activity;Neu;2027-01-05;egal\r\n"
        path = self.write("extra.csv", text.encode())
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import-csv", PLAN, path)
        self.assertIn(path + ":1:Kommentar: unknown column", err)
        out = self.ok("import-csv", PLAN, path, "--ignore-column", "Kommentar")
        self.assertIn("1 created, 0 updated", out)

    def test_key_of_another_plan_is_refused(self):
        text = "key\ttype\ttitle\tdue\nkessler-2025-a01\tactivity\tx\t2027-01-01\n"
        path = self.write("other.csv", text.encode())
        _, err = self.expect_rc(kaptest.EX_DATAERR, "import-csv", PLAN, path)
        self.assertIn(path + ":2:key: the activity \"kessler-2025-a01\" belongs to another "
                      "plan", err)

    def test_dry_run_changes_nothing(self):
        path = self.write("excel.csv", cp1252_sheet(self.german_excel_rows()))
        before = kaptest.dump_db(self.db)
        out = self.ok("import-csv", PLAN, path, "--dry-run")
        self.assertIn("dry run, nothing changed: 2 created", out)
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [])

    def roundtrip(self, *opts):
        sheet = self.path("export.csv")
        self.ok("export-csv", PLAN, "-o", sheet, *opts)
        before = kaptest.dump_db(self.db)
        out = self.ok("import-csv", PLAN, sheet)
        n = len(items(self.export_doc(PLAN)))
        self.assertIn("0 created, 0 updated, %d unchanged" % n, out)
        self.assertEqual(kaptest.dump_diff(before, kaptest.dump_db(self.db)), [])
        return sheet

    def test_roundtrip_german_and_english_changes_nothing(self):
        # First bring in what a sheet makes (quotes, line breaks, new items), then the
        # sheet's own export must read back as no change at all.
        self.ok("import-csv", PLAN, self.write("excel.csv",
                                              cp1252_sheet(self.german_excel_rows())))
        self.roundtrip("--lang", "de")
        self.roundtrip("--lang", "en")
        self.roundtrip("--lang", "en", "--delimiter", "tab")

    def test_export_reads_back_in_python_csv(self):
        self.ok("import-csv", PLAN, self.write("excel.csv",
                                              cp1252_sheet(self.german_excel_rows())))
        sheet = self.path("de.csv")
        self.ok("export-csv", PLAN, "-o", sheet, "--lang", "de")
        with open(sheet, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"\xef\xbb\xbf"), "expected a UTF-8 BOM")
        self.assertEqual(oct(os.stat(sheet).st_mode & 0o777), "0o600")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""),
                               delimiter=";"))
        self.assertEqual(rows[0], ["Schlüssel", "Art", "Titel", "Verantwortlich", "Termin",
                                   "Status", "Meilenstein", "Projekt", "Beschreibung"])
        by_key = {r[0]: r for r in rows[1:]}
        doc_items = items(self.export_doc(PLAN))
        self.assertEqual(set(by_key), set(doc_items))
        a1 = by_key["xl-a1"]
        self.assertEqual(a1[1:], ["Aktivität", "Preise; \"final\" abstimmen", "Jürgen Huber",
                                  "01.02.2027", "offen", "xl-m1", "",
                                  "Zeile 1; mit \"Zitat\"\nZeile 2 – Ä Ö Ü ß €"])
        for key, it in doc_items.items():
            d = it["due"].split("-")
            self.assertEqual(by_key[key][4], "%s.%s.%s" % (d[2], d[1], d[0]), key)

    def test_libreoffice_reads_the_export(self):
        lo = shutil.which("libreoffice") or shutil.which("soffice")
        if lo is None:
            self.skipTest("libreoffice is not installed (Debian: libreoffice-calc-nogui); "
                          "the export was checked with Python's csv only")
        sheet = self.path("en.csv")
        self.ok("export-csv", PLAN, "-o", sheet, "--lang", "en")
        outdir = self.path("lo")
        p = subprocess.run([lo, "--headless", "-env:UserInstallation=file://" +
                            self.path("lo-profile"), "--convert-to",
                            "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", outdir,
                            sheet], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        with open(os.path.join(outdir, "en.csv"), encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0][0], "key")
        self.assertEqual({r[0] for r in rows[1:]}, set(items(self.export_doc(PLAN))))


class ImportSummaryTest(kaptest.KapTestCase):

    def test_adding_a_team_member_counts_the_plan_as_updated(self):
        doc = kaptest.sample_doc()
        self.init_db()
        self.import_file(self.write_doc("a.json", doc))
        doc["people"].append({"key": "p-neu", "name": "Nina Neu", "email": "nina@x.example"})
        plan = next(p for p in doc["accounts"][0]["plans"] if p["key"] == PLAN)
        plan["team"].append({"person": "p-neu", "role": "member"})
        out = self.import_file(self.write_doc("b.json", doc))
        self.assertEqual(self.import_counts(out), (1, 1))
        out = self.import_file(self.write_doc("b.json", doc))
        self.assertEqual(self.import_counts(out), (0, 0))
        doc["people"][0]["absences"] = [{"from": "2027-01-04", "until": "2027-01-08"}]
        out = self.import_file(self.write_doc("c.json", doc))
        self.assertEqual(self.import_counts(out), (0, 1))


if __name__ == "__main__":
    unittest.main()
