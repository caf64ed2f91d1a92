/* libFuzzer target for the plan validator (core/planvalid.h), which every imported plan
 * document passes before anything reaches the database.
 *
 * The input is parsed as JSON (jansson, as kapctl import does); a document that parses is
 * validated twice with a lookup that knows the person keys starting with "p-".  Checked:
 * nothing crashes or leaks; the answer is 0 with no errors or -EINVAL with at least one;
 * every error names its place ("$..." path); both runs say exactly the same (the
 * validator does not change the document). */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/planvalid.h"
#include "lib/errlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_planvalid: %s\n", what);                             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int
person_exists(void *ctx, const char *key)
{
	(void)ctx;
	return key != NULL && strncmp(key, "p-", 2) == 0;
}

static int
validate(json_t *doc, struct errlist *errs)
{
	struct planio_lookup lookup = { person_exists, NULL };
	int r = planio_validate(doc, &lookup, errs);
	size_t i;

	CHECK(r == 0 || r == -EINVAL, "planio_validate returned neither 0 nor -EINVAL");
	CHECK((r == 0) == (errs->n == 0), "the answer and the error list disagree");
	for (i = 0; i < errs->n; i++)
		CHECK(errs->msg[i] == NULL || errs->msg[i][0] == '$',
		    "an error that does not start with its $ path");
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist a = ERRLIST_INIT, b = ERRLIST_INIT;
	json_error_t jerr;
	json_t *doc;
	size_t i;
	int ra, rb;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return 0;
	ra = validate(doc, &a);
	rb = validate(doc, &b);
	CHECK(ra == rb && a.n == b.n, "a second validation answered differently");
	for (i = 0; i < a.n; i++)
		CHECK((a.msg[i] == NULL) == (b.msg[i] == NULL) &&
		        (a.msg[i] == NULL || strcmp(a.msg[i], b.msg[i]) == 0),
		    "a second validation reported other errors");
	errlist_free(&a);
	errlist_free(&b);
	json_decref(doc);
	return 0;
}
