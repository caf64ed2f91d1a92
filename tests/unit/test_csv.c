/* Unit tests for the CSV reader and writer (core/csv) and the action-list sheet
 * (core/actionlist): quoting, encodings, delimiters, spreadsheet row numbers, the column
 * table in both languages, every error at once with FILE:ROW:COLUMN, and the round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/actionlist.h"
#include "core/csv.h"

static void
read_ok(const char *text, struct csv_table *t)
{
	struct errlist e = ERRLIST_INIT;
	int r = csv_read(text, strlen(text), "f.csv", t, &e);

	if (r != 0)
		fail_msg("csv_read failed (%d): %s", r, e.n ? e.msg[0] : "");
	errlist_free(&e);
}

static void
rfc4180_quotes_delimiters_and_line_breaks_inside_fields(void **state)
{
	struct csv_table t = CSV_TABLE_INIT;

	(void)state;
	read_ok("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"l1\r\nl2\"\r\nlast,,\n", &t);
	assert_int_equal(t.delim, ',');
	assert_int_equal(t.n, 3);
	assert_string_equal(t.rec[1].fields[0], "x,1");
	assert_string_equal(t.rec[1].fields[1], "say \"hi\"");
	assert_string_equal(t.rec[1].fields[2], "l1\nl2");
	assert_int_equal(t.rec[2].row, 3);
	assert_int_equal(t.rec[2].nfields, 3);
	assert_string_equal(t.rec[2].fields[2], "");
	csv_table_free(&t);
}

static void
rows_are_counted_as_a_spreadsheet_counts_them(void **state)
{
	struct csv_table t = CSV_TABLE_INIT;

	(void)state;
	/* A line break inside a quoted field stays in its row; empty rows count but are
	 * not records; the last line needs no line break. */
	read_ok("h1;h2\n\"a\nb\nc\";1\n;\n\nz;2", &t);
	assert_int_equal(t.delim, ';');
	assert_int_equal(t.n, 3);
	assert_int_equal(t.rec[1].row, 2);
	assert_int_equal(t.rec[2].row, 5);
	assert_string_equal(t.rec[2].fields[0], "z");
	csv_table_free(&t);
}

static void
delimiter_is_detected_from_the_header(void **state)
{
	static const struct {
		const char *text;
		char delim;
	} cases[] = {
		{ "a,b,c\n1;2,3\n", ',' },
		{ "a;b;c\n1,5;2;3\n", ';' },
		{ "a\tb\tc\n", '\t' },
		{ "\"x;y\",b,c\n", ',' },
		{ "single\n", ',' },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_table t = CSV_TABLE_INIT;
		read_ok(cases[i].text, &t);
		assert_int_equal(t.delim, cases[i].delim);
		csv_table_free(&t);
	}
}

static void
encoding_bom_utf8_and_windows_1252_are_detected_and_converted(void **state)
{
	struct csv_table t = CSV_TABLE_INIT;

	(void)state;
	read_ok("\xEF\xBB\xBFk\xC3\xA4y\n", &t);
	assert_int_equal(t.encoding, CSV_UTF8_BOM);
	assert_string_equal(t.rec[0].fields[0], "k\xC3\xA4y");
	csv_table_free(&t);
	read_ok("k\xC3\xA4y\n", &t);
	assert_int_equal(t.encoding, CSV_UTF8);
	csv_table_free(&t);
	/* ä, €, „ and ž: Latin-1 and the Windows-1252 table for 0x80-0x9F. */
	read_ok("\xE4\x80\x84\x9E\n", &t);
	assert_int_equal(t.encoding, CSV_CP1252);
	assert_string_equal(t.rec[0].fields[0], "\xC3\xA4\xE2\x82\xAC\xE2\x80\x9E\xC5\xBE");
	csv_table_free(&t);
}

static void
reader_errors_name_file_and_row(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "a,b\n\"open,1\n", "f.csv:2: a quoted field is not closed" },
		{ "a,b\n\"x\"y,1\n", "f.csv:2: text after the closing quote of field 1" },
		{ "a\n\x81\n", "f.csv:2: a byte that is not a character in Windows-1252" },
		{ "\xFF\xFE"
		  "a\0",
		    "f.csv:1: UTF-16 text" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_table t = CSV_TABLE_INIT;
		struct errlist e = ERRLIST_INIT;
		size_t len = strlen(cases[i].text) + (i == 3 ? 2 : 0);
		assert_int_equal(csv_read(cases[i].text, len, "f.csv", &t, &e), -EINVAL);
		assert_true(e.n >= 1);
		if (strncmp(e.msg[0], cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg(
			    "case %zu: expected \"%s...\", got \"%s\"", i, cases[i].msg, e.msg[0]);
		csv_table_free(&t);
		errlist_free(&e);
	}
}

static void
writer_quotes_only_what_needs_it(void **state)
{
	struct sbuf b = SBUF_INIT;
	char *s;

	(void)state;
	csv_put_field(&b, "plain", ';');
	sbuf_puts(&b, "|");
	csv_put_field(&b, "a;b", ';');
	sbuf_puts(&b, "|");
	csv_put_field(&b, "a,b", ';');
	sbuf_puts(&b, "|");
	csv_put_field(&b, "say \"x\"\nnext", ';');
	sbuf_puts(&b, "|");
	csv_put_field(&b, " pad", ';');
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	assert_string_equal(s, "plain|\"a;b\"|a,b|\"say \"\"x\"\"\nnext\"|\" pad\"");
	free(s);
}

static void
dates_iso_and_german_are_real_dates(void **state)
{
	static const struct {
		const char *s;
		const char *iso;
	} ok[] = {
		{ "2026-12-01", "2026-12-01" },
		{ "01.12.2026", "2026-12-01" },
		{ "1.2.2027", "2027-02-01" },
		{ "29.02.2028", "2028-02-29" },
	};
	static const char *const bad[] = {
		"29.02.2027",
		"31.04.2026",
		"1.2.27",
		"01.12.2026 10:00",
		"2026-2-1",
		"1.-2.2027",
		"",
		"12/01/2026",
		"001.1.2026",
		"1.1.+2026",
	};
	char buf[KDATE_STRLEN];
	kdate_t d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(actionlist_parse_date(ok[i].s, &d), 0);
		assert_string_equal(kdate_format(d, buf), ok[i].iso);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (actionlist_parse_date(bad[i], &d) == 0)
			fail_msg("\"%s\" should not be a date", bad[i]);
}

static json_t *
plan_doc(void)
{
	json_error_t e;
	json_t *doc = json_loads(
	    "{\"format\": \"kapd-plan/1\", \"people\": ["
	    "{\"key\": \"p-a\", \"name\": \"Anna Weber\", \"email\": \"anna@x.example\"},"
	    "{\"key\": \"p-b\", \"name\": \"Bernd Huber\", \"email\": \"bernd@x.example\"}],"
	    "\"accounts\": [{\"key\": \"acc\", \"name\": \"Acc\","
	    " \"projects\": [{\"key\": \"pr1\", \"title\": \"P\"}],"
	    " \"plans\": [{\"key\": \"pl\", \"title\": \"Plan\","
	    "  \"team\": [{\"person\": \"p-a\", \"role\": \"kam\"}, {\"person\": \"p-b\", "
	    "\"role\": \"member\"}],"
	    "  \"milestones\": [{\"key\": \"m1\", \"title\": \"M one\", \"owner\": \"p-a\","
	    "   \"due\": \"2026-12-15\", \"state\": \"open\"}],"
	    "  \"activities\": [{\"key\": \"a1\", \"title\": \"A one\", \"owner\": \"p-b\","
	    "   \"due\": \"2026-12-03\", \"state\": \"open\", \"milestone\": \"m1\"}]}]}]}",
	    0, &e);

	if (doc == NULL)
		fail_msg("test document: %s", e.text);
	return doc;
}

static int
apply(json_t *doc, const char *text, struct al_summary *sum, struct errlist *errs)
{
	struct al_options opt = { .today = 20000 };
	struct csv_table t = CSV_TABLE_INIT;
	int r = csv_read(text, strlen(text), "s.csv", &t, errs);

	if (r == 0)
		r = actionlist_apply(doc, "pl", &t, "s.csv", &opt, sum, errs);
	csv_table_free(&t);
	return r;
}

static void
sheet_in_german_updates_and_creates_with_owners_by_name_and_email(void **state)
{
	struct al_summary sum;
	struct errlist e = ERRLIST_INIT;
	json_t *doc = plan_doc(), *acts;

	(void)state;
	assert_int_equal(apply(doc,
	                     "Titel;Schlüssel;Termin;Verantwortlich;Art;Meilenstein;Status\n"
	                     "A one;a1;5.12.2026;Anna Weber;Aktivität;m1;erledigt\n"
	                     "Neu;a2;2027-01-10;BERND@x.example;Aktivität;m1;\n"
	                     "M one;m1;15.12.2026;p-a;Meilenstein;;offen\n",
	                     &sum, &e),
	    0);
	assert_int_equal(sum.created, 1);
	assert_int_equal(sum.updated, 1);
	assert_int_equal(sum.unchanged, 1);
	assert_string_equal(
	    sum.lines, "updated activity a1: due, owner, state\ncreated activity a2\n");
	acts = json_object_get(
	    json_array_get(
	        json_object_get(json_array_get(json_object_get(doc, "accounts"), 0), "plans"), 0),
	    "activities");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(acts, 0), "owner")), "p-a");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(acts, 0), "done_on")), "2024-10-04");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(acts, 1), "owner")), "p-b");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(acts, 1), "state")), "open");
	al_summary_free(&sum);
	json_decref(doc);
}

static void
every_error_is_reported_with_file_row_and_column_and_nothing_changes(void **state)
{
	static const char *const want[] = {
		"s.csv:2:due: \"31.11.2026\" is not a date (YYYY-MM-DD or TT.MM.JJJJ)",
		"s.csv:3:owner: \"Nobody\" is not on the team of plan pl (give a person key, email "
		"or exact name)",
		"s.csv:3:project: no project \"prX\" in the plan's account",
		"s.csv:4:key: \"a1\" appears already in row 2",
		"s.csv:5:type: \"x9\" is new: its type is needed (milestone or activity)",
	};
	struct al_summary sum;
	struct errlist e = ERRLIST_INIT;
	json_t *doc = plan_doc(), *copy = json_deep_copy(doc);
	size_t i;

	(void)state;
	assert_int_equal(apply(doc,
	                     "key,type,title,due,owner,project\n"
	                     "a1,activity,A one,31.11.2026,,\n"
	                     "a3,activity,T,2027-01-01,Nobody,prX\n"
	                     "a1,activity,A one,2027-01-01,,\n"
	                     "x9,,T,2027-01-01,,\n",
	                     &sum, &e),
	    -EINVAL);
	assert_int_equal(e.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < e.n; i++)
		assert_string_equal(e.msg[i], want[i]);
	assert_true(json_equal(doc, copy));
	errlist_free(&e);
	json_decref(copy);
	json_decref(doc);
}

static void
unknown_column_is_an_error_unless_ignored(void **state)
{
	static const char *const ignore[] = { "Notiz", NULL };
	struct al_options opt = { .today = 20000, .ignore = ignore };
	struct csv_table t = CSV_TABLE_INIT;
	struct errlist e = ERRLIST_INIT;
	struct al_summary sum;
	json_t *doc = plan_doc();
	const char *text = "key;notiz\na1;x\n";

	(void)state;
	assert_int_equal(apply(doc, "key;Notiz\na1;x\n", &sum, &e), -EINVAL);
	assert_string_equal(e.msg[0],
	    "s.csv:1:Notiz: unknown column (known: key, type, title, "
	    "owner, due, state, milestone, project, description or Schlüssel, Art, Titel, "
	    "Verantwortlich, Termin, Status, Meilenstein, Projekt, Beschreibung; --ignore-column "
	    "skips one)");
	errlist_free(&e);
	assert_int_equal(csv_read(text, strlen(text), "s.csv", &t, &e), 0);
	assert_int_equal(actionlist_apply(doc, "pl", &t, "s.csv", &opt, &sum, &e), 0);
	assert_int_equal(sum.unchanged, 1);
	al_summary_free(&sum);
	csv_table_free(&t);
	json_decref(doc);
}

static void
export_then_apply_is_no_change_in_both_languages(void **state)
{
	static const char *const langs[] = { "de", "en" };
	struct al_summary sum;
	struct errlist e = ERRLIST_INIT;
	json_t *doc = plan_doc(), *copy = json_deep_copy(doc);
	char *text;
	size_t len, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(
		    actionlist_export(doc, "pl", langs[i], i ? ',' : ';', &text, &len), 0);
		assert_memory_equal(text, "\xEF\xBB\xBF", 3);
		if (i == 0)
			assert_non_null(strstr(
			    text, "m1;Meilenstein;M one;Anna Weber;15.12.2026;offen;;;\r\n"));
		assert_int_equal(apply(doc, text, &sum, &e), 0);
		assert_int_equal(sum.unchanged, 2);
		assert_int_equal(sum.created + sum.updated, 0);
		assert_true(json_equal(doc, copy));
		al_summary_free(&sum);
		free(text);
	}
	json_decref(copy);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc4180_quotes_delimiters_and_line_breaks_inside_fields),
		cmocka_unit_test(rows_are_counted_as_a_spreadsheet_counts_them),
		cmocka_unit_test(delimiter_is_detected_from_the_header),
		cmocka_unit_test(encoding_bom_utf8_and_windows_1252_are_detected_and_converted),
		cmocka_unit_test(reader_errors_name_file_and_row),
		cmocka_unit_test(writer_quotes_only_what_needs_it),
		cmocka_unit_test(dates_iso_and_german_are_real_dates),
		cmocka_unit_test(sheet_in_german_updates_and_creates_with_owners_by_name_and_email),
		cmocka_unit_test(
		    every_error_is_reported_with_file_row_and_column_and_nothing_changes),
		cmocka_unit_test(unknown_column_is_an_error_unless_ignored),
		cmocka_unit_test(export_then_apply_is_no_change_in_both_languages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
