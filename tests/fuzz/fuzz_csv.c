/* libFuzzer target for the CSV reader (core/csv) and the action-list sheet
 * (core/actionlist).  Nothing may crash or leak, and:
 *   - rows are numbered upwards from 1 and every field is valid UTF-8 without NUL;
 *   - what the writer makes of the records reads back, with the same delimiter, as the
 *     same records;
 *   - applying the sheet to a small plan either succeeds or leaves the plan unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actionlist.h"
#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_csv: %s\n", what);                                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char plan_json[] =
    "{\"format\": \"kapd-plan/1\", \"people\": ["
    "{\"key\": \"p-a\", \"name\": \"Anna\", \"email\": \"a@x.example\"}],"
    "\"accounts\": [{\"key\": \"acc\", \"name\": \"Acc\","
    " \"projects\": [{\"key\": \"pr1\", \"title\": \"P\"}],"
    " \"plans\": [{\"key\": \"pl\", \"title\": \"Plan\","
    "  \"team\": [{\"person\": \"p-a\", \"role\": \"kam\"}],"
    "  \"milestones\": [{\"key\": \"m1\", \"title\": \"M\", \"due\": \"2026-12-15\","
    "   \"state\": \"open\"}],"
    "  \"activities\": [{\"key\": \"a1\", \"title\": \"A\", \"due\": \"2026-12-03\","
    "   \"state\": \"done\", \"done_on\": \"2026-12-01\", \"milestone\": \"m1\"}]}]}]}";

/* Well-formed UTF-8 (RFC 3629), checked independently of the reader's own code. */
static int
valid_utf8(const unsigned char *s)
{
	unsigned long cp, min;
	int n, i;

	for (; *s != 0; s += n) {
		if (*s < 0x80) {
			n = 1;
			continue;
		}
		n = (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3 : (*s & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0)
			return 0;
		cp = *s & (0x7F >> n);
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
	}
	return 1;
}

static void
check_table(const struct csv_table *t)
{
	size_t i, j, row = 0;

	for (i = 0; i < t->n; i++) {
		CHECK(t->rec[i].row > row, "rows must increase");
		row = t->rec[i].row;
		for (j = 0; j < t->rec[i].nfields; j++)
			CHECK(valid_utf8((const unsigned char *)t->rec[i].fields[j]),
			    "a field must be valid UTF-8");
	}
}

static void
check_rewrite(const struct csv_table *t)
{
	struct csv_table u = CSV_TABLE_INIT;
	struct errlist e = ERRLIST_INIT;
	struct sbuf b = SBUF_INIT;
	char *text;
	size_t len, i, j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->rec[i].nfields; j++) {
			if (j > 0)
				sbuf_add(&b, &t->delim, 1);
			csv_put_field(&b, t->rec[i].fields[j], t->delim);
		}
		csv_end_record(&b);
	}
	if (sbuf_finish(&b, &text, &len) < 0)
		return;
	CHECK(csv_read_delim(text, len, "w", t->delim, &u, &e) == 0 && e.n == 0,
	    "the writer's text must read back");
	CHECK(u.n == t->n, "the same number of records");
	for (i = 0; i < t->n; i++) {
		CHECK(u.rec[i].nfields == t->rec[i].nfields, "the same number of fields");
		for (j = 0; j < t->rec[i].nfields; j++)
			CHECK(strcmp(u.rec[i].fields[j], t->rec[i].fields[j]) == 0,
			    "the same fields");
	}
	csv_table_free(&u);
	errlist_free(&e);
	free(text);
}

static void
check_apply(const struct csv_table *t)
{
	struct al_options opt = { .today = 20000 };
	struct errlist e = ERRLIST_INIT;
	struct al_summary sum;
	json_t *doc = json_loads(plan_json, 0, NULL), *copy;

	if (doc == NULL)
		return;
	copy = json_deep_copy(doc);
	if (actionlist_apply(doc, "pl", t, "f", &opt, &sum, &e) == 0)
		al_summary_free(&sum);
	else
		CHECK(json_equal(doc, copy), "a refused sheet must not change the plan");
	errlist_free(&e);
	json_decref(copy);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table t = CSV_TABLE_INIT;
	struct errlist e = ERRLIST_INIT;

	if (csv_read((const char *)data, size, "f", &t, &e) == 0) {
		check_table(&t);
		check_rewrite(&t);
		check_apply(&t);
	}
	csv_table_free(&t);
	errlist_free(&e);
	return 0;
}
