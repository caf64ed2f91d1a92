/* Unit tests for plandiff (what changed since a version), rollover (next year's plan)
 * and review (empty and stale sections). */
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

#include "core/plandiff.h"
#include "core/review.h"
#include "core/rollover.h"

static json_t *
load(const char *text)
{
	json_error_t e;
	json_t *doc = json_loads(text, 0, &e);

	if (doc == NULL)
		fail_msg("test document: %s", e.text);
	return doc;
}

#define THEN                                                                                       \
	"{\"accounts\": [{\"key\": \"acc\", \"needs\": [{\"key\": \"n1\", \"text\": \"a\"}],"      \
	" \"swot\": [{\"kind\": \"threat\", \"text\": \"x\"}], \"plans\": [{\"key\": \"pl\","      \
	" \"goals\": [{\"key\": \"g1\", \"text\": \"G\"}],"                                        \
	" \"milestones\": [{\"key\": \"m1\", \"title\": \"M\", \"due\": \"2026-03-01\", "          \
	"\"state\": \"open\"}],"                                                                   \
	" \"activities\": ["                                                                       \
	"  {\"key\": \"a1\", \"title\": \"A1\", \"due\": \"2026-02-01\", \"state\": \"open\", "    \
	"\"owner\": \"p1\"},"                                                                      \
	"  {\"key\": \"a2\", \"title\": \"A2\", \"due\": \"2026-02-01\", \"state\": \"open\"},"    \
	"  {\"key\": \"a3\", \"title\": \"A3\", \"due\": \"2026-02-01\", \"state\": "              \
	"\"done\"}]}]}]}"
#define NOW                                                                                        \
	"{\"accounts\": [{\"key\": \"acc\", \"needs\": [{\"key\": \"n1\", \"text\": \"b\"}],"      \
	" \"swot\": [{\"kind\": \"threat\", \"text\": \"y\"}], \"plans\": [{\"key\": \"pl\","      \
	" \"goals\": [{\"key\": \"g2\", \"text\": \"G\"}],"                                        \
	" \"milestones\": [{\"key\": \"m1\", \"title\": \"M\", \"due\": \"2026-03-01\", "          \
	"\"state\": \"done\"}],"                                                                   \
	" \"activities\": ["                                                                       \
	"  {\"key\": \"a1\", \"title\": \"A1\", \"due\": \"2026-02-15\", \"state\": \"open\", "    \
	"\"owner\": \"p2\"},"                                                                      \
	"  {\"key\": \"a2\", \"title\": \"A2\", \"due\": \"2026-02-01\", \"state\": "              \
	"\"cancelled\"},"                                                                          \
	"  {\"key\": \"a3\", \"title\": \"A3\", \"due\": \"2026-02-01\", \"state\": \"open\"},"    \
	"  {\"key\": \"a4\", \"title\": \"A4\", \"due\": \"2026-05-01\", \"state\": "              \
	"\"open\"}]}]}]}"

static const char *
key_at(json_t *d, const char *group, const char *list, size_t i)
{
	return json_string_value(json_object_get(
	    json_array_get(json_object_get(json_object_get(d, group), list), i), "key"));
}

static void
diff_names_each_fact_once_with_moves_counted_from_the_history(void **state)
{
	const struct hist_change h[] = {
		{ "activity", "a1", "due", "2026-02-01", "2026-02-20" },
		{ "activity", "a1", "due", "2026-02-20", "2026-02-15" },
		{ "activity", "a1", "owner", "p1", "p2" },
		{ "activity", "a4", "due", "2026-04-01", "2026-05-01" },
	};
	json_t *then = load(THEN), *now = load(NOW), *d, *mv, *top;

	(void)state;
	assert_int_equal(plandiff(then, now, "pl", h, 4, &d), 0);
	assert_string_equal(key_at(d, "items", "added", 0), "a4");
	assert_int_equal(json_array_size(json_object_get(json_object_get(d, "items"), "added")), 1);
	assert_string_equal(key_at(d, "items", "done", 0), "m1");
	assert_string_equal(key_at(d, "items", "cancelled", 0), "a2");
	assert_string_equal(key_at(d, "items", "reopened", 0), "a3");
	mv = json_object_get(json_object_get(d, "items"), "moved");
	assert_int_equal(json_array_size(mv), 1); /* a4 is only "added" */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(mv, 0), "times")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(mv, 0), "days")), 14);
	assert_string_equal(key_at(d, "items", "owners", 0), "a1");
	assert_string_equal(key_at(d, "goals", "added", 0), "g2");
	assert_string_equal(key_at(d, "goals", "removed", 0), "g1");
	assert_string_equal(key_at(d, "needs", "changed", 0), "n1");
	assert_int_equal(json_array_size(json_object_get(json_object_get(d, "swot"), "added")), 1);
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(d, "swot"), "removed")), 1);
	top = plandiff_most_moved(d, 5);
	assert_int_equal(json_array_size(top), 1);
	json_decref(top);
	json_decref(d);
	json_decref(then);
	json_decref(now);
}

static void
rollover_copies_open_items_under_new_keys_and_archives_the_old_plan(void **state)
{
	struct errlist e = ERRLIST_INIT;
	struct rollover_counts n;
	json_t *doc = load(NOW), *plans, *np;

	(void)state;
	assert_int_equal(rollover_build(doc, "pl", "pl2", NULL, 20000, &n, &e), 0);
	plans = json_object_get(json_array_get(json_object_get(doc, "accounts"), 0), "plans");
	assert_int_equal(json_array_size(plans), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(plans, 0), "state")), "archived");
	np = json_array_get(plans, 1);
	assert_int_equal(n.milestones, 0);
	assert_int_equal(n.activities, 3);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(np, "activities"), 0), "key")),
	    "pl2-a1");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(np, "goals"), 0), "key")),
	    "pl2-g2");
	assert_string_equal(json_string_value(json_object_get(np, "next_review")), "2025-10-04");
	json_decref(doc);
}

static void
review_lists_empty_and_stale_sections(void **state)
{
	const struct review_section s[] = {
		{ "goals", 0, "" },
		{ "contacts", 3, "2025-03-01T10:00:00Z" },
		{ "needs", 2, "2026-02-01T10:00:00Z" },
	};
	struct sbuf b = SBUF_INIT;
	char *out;

	(void)state;
	assert_int_equal(review_check(s, 3, "2025-12-01", &b), 2);
	assert_int_equal(sbuf_finish(&b, &out, NULL), 0);
	assert_string_equal(out,
	    "  empty: goals\n  stale: contacts (last changed 2025-03-01, "
	    "before the annual update of 2025-12-01)\n");
	free(out);
	assert_int_equal(review_check(s + 1, 2, NULL, &b), 0);
	sbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(diff_names_each_fact_once_with_moves_counted_from_the_history),
		cmocka_unit_test(
		    rollover_copies_open_items_under_new_keys_and_archives_the_old_plan),
		cmocka_unit_test(review_lists_empty_and_stale_sections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
