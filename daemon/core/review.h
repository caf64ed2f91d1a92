/* review: what the annual update should look at (SPEC §10): sections of the plan that are
 * empty, and sections nobody changed since the last annual update.  Pure. */
#ifndef KAPD_REVIEW_H
#define KAPD_REVIEW_H

#include <stddef.h>

#include "lib/sbuf.h"

#define REVIEW_SECTIONS_MAX 16

struct review_section {
	const char *name;     /* "goals", "contacts"... (static) */
	long count;           /* rows in the section */
	char last_change[21]; /* newest updated_at "YYYY-MM-DDTHH:MM:SSZ", "" when empty */
};

/* Appends one line per empty or stale section to out ("  empty: goals",
 * "  stale: contacts (last changed 2025-03-01, before the annual update of 2025-12-01)");
 * previous is the plan's last review before this one ("" or NULL: only empty sections
 * are reported).  Returns how many lines were added. */
size_t review_check(
    const struct review_section *s, size_t n, const char *previous, struct sbuf *out);

#endif
