/* Import validation: every violation of plan-format.md is reported with its JSON path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/planio.h"

/* A minimal valid document; cases below replace one piece of it. */
#define PEOPLE                                                                                     \
	"\"people\": ["                                                                            \
	"{\"key\": \"p-kam\", \"name\": \"Anna Weber\", \"email\": \"anna@supplier.example\","     \
	" \"language\": \"de\", \"timezone\": \"Europe/Berlin\", \"notify\": \"digest\"},"         \
	"{\"key\": \"p-mem\", \"name\": \"Jürgen Huber\", \"email\": "                            \
	"\"j.huber@supplier.example\"}]"
#define TEAM                                                                                       \
	"\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}, {\"person\": \"p-mem\", "          \
	"\"role\": \"member\"}]"
#define DOC(people, account_extra, plan_extra, items)                                              \
	"{\"format\": \"kapd-plan/1\", " people ", \"accounts\": [{\"key\": \"acme\", "            \
	"\"name\": \"ACME GmbH\", \"projects\": [{\"key\": \"pr1\", \"title\": "                   \
	"\"Retrofit\"}]" account_extra                                                             \
	", \"plans\": [{\"key\": \"acme-2026\", \"title\": \"Plan 2026\", " plan_extra ", " items  \
	"}]}]}"
#define ITEMS(a)                                                                                   \
	"\"milestones\": [{\"key\": \"m1\", \"title\": \"Contract\", \"owner\": \"p-kam\", "       \
	"\"due\": \"2026-12-15\"}], \"activities\": [" a "]"
#define ACT                                                                                        \
	"{\"key\": \"a1\", \"title\": \"Visit\", \"owner\": \"p-mem\", \"due\": \"2026-12-03\", "  \
	"\"milestone\": \"m1\", \"project\": \"pr1\"}"

struct bad_case {
	const char *name;
	const char *doc;
	const char *expect[4]; /* substrings of the messages, each must appear */
};

static const struct bad_case bad_cases[] = {
	{ "wrong format", "{\"format\": \"kapd-plan/2\"}",
	    { "$.format: must be \"kapd-plan/1\"" } },
	{ "unknown top-level member", "{\"format\": \"kapd-plan/1\", \"plans\": []}",
	    { "$.plans: unknown member" } },
	{ "unknown member of an activity",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-12-01\", \"prio\": 1}")),
	    { "$.accounts[0].plans[0].activities[0].prio: unknown member of this activity" } },
	{ "invalid date",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-02-30\"}")),
	    { "$.accounts[0].plans[0].activities[0].due: \"2026-02-30\" is not a valid date" } },
	{ "missing required member",
	    DOC(PEOPLE, "", TEAM, ITEMS("{\"key\": \"a1\", \"due\": \"2026-12-01\"}")),
	    { "$.accounts[0].plans[0].activities[0].title: required member is missing" } },
	{ "bad key characters",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a 1\", \"title\": \"x\", \"due\": \"2026-12-01\"}")),
	    { "$.accounts[0].plans[0].activities[0].key: \"a 1\" is not a valid key" } },
	{ "duplicate key within a kind", DOC(PEOPLE, "", TEAM, ITEMS(ACT ", " ACT)),
	    { "$.accounts[0].plans[0].activities[1].key: duplicate activity key \"a1\" (first used "
	      "at "
	      "$.accounts[0].plans[0].activities[0])" } },
	{ "owner not on the team",
	    DOC(PEOPLE, "", "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}]", ITEMS(ACT)),
	    { "$.accounts[0].plans[0].activities[0].owner: \"p-mem\" is not on the team" } },
	{ "unknown owner",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"owner\": \"p-ghost\", \"due\": "
	              "\"2026-12-01\"}")),
	    { "activities[0].owner: \"p-ghost\" is not on the team of this plan (and no such "
	      "person exists)" } },
	{ "two KAMs",
	    DOC(PEOPLE, "",
	        "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}, {\"person\": \"p-mem\", "
	        "\"role\": \"kam\"}]",
	        ITEMS(ACT)),
	    { "$.accounts[0].plans[0].team: a plan needs exactly one member with role \"kam\" "
	      "(found 2)" } },
	{ "no KAM",
	    DOC(PEOPLE, "", "\"team\": [{\"person\": \"p-mem\", \"role\": \"member\"}]", ITEMS("")),
	    { "(found 0)" } },
	{ "team person unknown",
	    DOC(PEOPLE, "",
	        "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}, {\"person\": \"p-x\", "
	        "\"role\": \"member\"}]",
	        ITEMS("")),
	    { "$.accounts[0].plans[0].team[1].person: no person with key \"p-x\"" } },
	{ "bad team role",
	    DOC(PEOPLE, "",
	        "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}, {\"person\": \"p-mem\", "
	        "\"role\": \"boss\"}]",
	        ITEMS("")),
	    { "$.accounts[0].plans[0].team[1].role: \"boss\" is not one of: kam, sponsor, "
	      "member" } },
	{ "milestone link outside the plan",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-12-01\", \"milestone\": "
	              "\"m9\"}")),
	    { "$.accounts[0].plans[0].activities[0].milestone: no milestone \"m9\" in this "
	      "plan" } },
	{ "project link outside the account",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-12-01\", \"project\": "
	              "\"pr9\"}")),
	    { "$.accounts[0].plans[0].activities[0].project: no project \"pr9\" in this "
	      "account" } },
	{ "invalid email",
	    "{\"format\": \"kapd-plan/1\", \"people\": [{\"key\": \"p\", \"name\": \"P\", "
	    "\"email\": \"p@@x\"}]}",
	    { "$.people[0].email: \"p@@x\" is not a valid email address" } },
	{ "line break in a name (header injection)",
	    "{\"format\": \"kapd-plan/1\", \"people\": [{\"key\": \"p\", \"name\": \"P\\r\\nBcc: "
	    "x@evil.example\"}]}",
	    { "$.people[0].name: control characters" } },
	{ "unknown time zone",
	    "{\"format\": \"kapd-plan/1\", \"people\": [{\"key\": \"p\", \"name\": \"P\", "
	    "\"timezone\": \"Mars/Olympus\"}]}",
	    { "$.people[0].timezone: \"Mars/Olympus\" is not a known IANA time zone" } },
	{ "bad notify preference",
	    "{\"format\": \"kapd-plan/1\", \"people\": [{\"key\": \"p\", \"name\": \"P\", "
	    "\"notify\": \"never\"}]}",
	    { "$.people[0].notify: \"never\" is not one of: digest, immediate, escalations-only, "
	      "none" } },
	{ "absence substitute unknown and dates reversed",
	    "{\"format\": \"kapd-plan/1\", \"people\": [{\"key\": \"p\", \"name\": \"P\", "
	    "\"absences\": "
	    "[{\"from\": \"2026-12-21\", \"until\": \"2026-12-01\", \"substitute\": \"q\"}]}]}",
	    { "$.people[0].absences[0].until: 2026-12-01 is before from (2026-12-21)",
	        "$.people[0].absences[0].substitute: no person with key \"q\"" } },
	{ "wrong type", "{\"format\": \"kapd-plan/1\", \"people\": {\"key\": \"p\"}}",
	    { "$.people: expected an array" } },
	{ "bad currency and duplicate period",
	    DOC(PEOPLE,
	        ", \"history\": [{\"period\": \"2025\", \"revenue\": 1, \"currency\": \"euro\"}, "
	        "{\"period\": \"2025\", \"revenue\": 2, \"currency\": \"EUR\"}]",
	        TEAM, ITEMS("")),
	    { "$.accounts[0].history[0].currency: \"euro\" is not an ISO 4217 currency code",
	        "$.accounts[0].history[1].period: period \"2025\" appears twice" } },
	{ "done_on on an open item",
	    DOC(PEOPLE, "", TEAM,
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-12-01\", \"done_on\": "
	              "\"2026-11-30\"}")),
	    { "$.accounts[0].plans[0].activities[0].done_on: only a done item has a completion "
	      "date" } },
	{ "several violations reported at once",
	    DOC(PEOPLE, "", "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}]",
	        ITEMS("{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-13-01\", \"owner\": "
	              "\"p-mem\", \"state\": \"finished\"}")),
	    { "activities[0].due: \"2026-13-01\" is not a valid date",
	        "activities[0].owner: \"p-mem\" is not on the team",
	        "activities[0].state: \"finished\" is not one of: open, done, cancelled" } },
};

static int
known_in_db(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "p-db") == 0;
}

static void
validate_string(const char *text, struct errlist *errs, int expect_ok)
{
	struct planio_lookup lookup = { known_in_db, NULL };
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	int r;

	if (doc == NULL)
		fail_msg("test document is not JSON (line %d: %s): %s", jerr.line, jerr.text, text);
	r = planio_validate(doc, &lookup, errs);
	json_decref(doc);
	if (expect_ok && r != 0)
		fail_msg(
		    "expected a valid document, got %zu errors, first: %s", errs->n, errs->msg[0]);
	if (!expect_ok && r != -EINVAL)
		fail_msg("expected -EINVAL for an invalid document, got %d", r);
}

static void
test_each_violation_is_reported_with_its_json_path(void **state)
{
	size_t i, k, m;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct errlist errs = ERRLIST_INIT;

		validate_string(bad_cases[i].doc, &errs, 0);
		for (k = 0; k < 4 && bad_cases[i].expect[k] != NULL; k++) {
			for (m = 0; m < errs.n; m++)
				if (errs.msg[m] && strstr(errs.msg[m], bad_cases[i].expect[k]))
					break;
			if (m == errs.n) {
				fprintf(stderr, "case \"%s\": got %zu messages:\n",
				    bad_cases[i].name, errs.n);
				for (m = 0; m < errs.n; m++)
					fprintf(stderr, "  %s\n", errs.msg[m]);
				fail_msg("case \"%s\": expected a message containing: %s",
				    bad_cases[i].name, bad_cases[i].expect[k]);
			}
		}
		errlist_free(&errs);
	}
}

static void
test_valid_document_passes(void **state)
{
	struct errlist errs = ERRLIST_INIT;

	(void)state;
	validate_string(DOC(PEOPLE, "", TEAM, ITEMS(ACT)), &errs, 1);
	errlist_free(&errs);
}

static void
test_people_known_only_to_the_database_are_accepted(void **state)
{
	struct errlist errs = ERRLIST_INIT;

	(void)state;
	validate_string(DOC(PEOPLE, "",
	                    "\"team\": [{\"person\": \"p-kam\", \"role\": \"kam\"}, "
	                    "{\"person\": \"p-db\", \"role\": \"sponsor\"}]",
	                    ITEMS("")),
	    &errs, 1);
	errlist_free(&errs);
}

static void
test_null_optional_members_are_absent(void **state)
{
	struct errlist errs = ERRLIST_INIT;

	(void)state;
	validate_string(
	    DOC(PEOPLE, ", \"industry\": null", TEAM,
	        ITEMS(
	            "{\"key\": \"a1\", \"title\": \"x\", \"due\": \"2026-12-01\", \"owner\": null, "
	            "\"done_on\": null, \"milestone\": null}")),
	    &errs, 1);
	errlist_free(&errs);
}

static void
test_non_object_document_is_rejected(void **state)
{
	struct errlist errs = ERRLIST_INIT;

	(void)state;
	validate_string("[1, 2]", &errs, 0);
	assert_non_null(strstr(errs.msg[0], "$: expected an object"));
	errlist_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_violation_is_reported_with_its_json_path),
		cmocka_unit_test(test_valid_document_passes),
		cmocka_unit_test(test_people_known_only_to_the_database_are_accepted),
		cmocka_unit_test(test_null_optional_members_are_absent),
		cmocka_unit_test(test_non_object_document_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
