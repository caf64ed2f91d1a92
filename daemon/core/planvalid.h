/* planvalid: checks a plan document of the exchange format kapd-plan/1 (kapd-plan(5)).
 * Pure: the only outside knowledge comes through planio_lookup. */
#ifndef KAPD_PLANVALID_H
#define KAPD_PLANVALID_H

#include <jansson.h>

#include "lib/errlist.h"

#define PLANIO_FORMAT "kapd-plan/1"

/* Answers whether a person key not defined in the document exists elsewhere (the
 * database); NULL means "nowhere". */
struct planio_lookup {
	int (*person_exists)(void *ctx, const char *key);
	void *ctx;
};

/* Checks doc against plan-format.md: members, types, enumerations, keys, dates, emails,
 * references and the team rules.  Appends "$.path: message" to errs for each violation.
 * Returns 0 when the document is valid, -EINVAL otherwise. */
int planio_validate(json_t *doc, const struct planio_lookup *lookup, struct errlist *errs);

#endif
