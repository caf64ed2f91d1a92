/* review: empty and stale sections at the annual update.  A section is stale when its
 * newest change is older than the previous annual update: a whole year went by without
 * anyone touching it, which is what the guide's yearly renewal is meant to catch. */
#include "core/review.h"

#include <string.h>

size_t
review_check(const struct review_section *s, size_t n, const char *previous, struct sbuf *out)
{
	size_t i, lines = 0;

	for (i = 0; i < n; i++) {
		if (s[i].count == 0) {
			sbuf_printf(out, "  empty: %s\n", s[i].name);
			lines++;
		} else if (previous != NULL && *previous != '\0' && s[i].last_change[0] != '\0' &&
		    strncmp(s[i].last_change, previous, 10) < 0) {
			sbuf_printf(out,
			    "  stale: %s (last changed %.10s, before the annual update "
			    "of %s)\n",
			    s[i].name, s[i].last_change, previous);
			lines++;
		}
	}
	return lines;
}
