/* testutil: small helpers shared by the unit tests (static, header-only: each test is
 * its own program).  Include after <cmocka.h>. */
#ifndef KAPD_TESTUTIL_H
#define KAPD_TESTUTIL_H

#include <time.h>

#include "lib/kdate.h"

/* The day of "YYYY-MM-DD"; a bad date in a table is a mistake of the test. */
static inline kdate_t
day_of(const char *s)
{
	kdate_t d = 0;

	if (kdate_parse(s, &d) != 0)
		fail_msg("test setup: kdate_parse(\"%s\") should succeed", s);
	return d;
}

/* The instant of an ISO 8601 time with offset. */
static inline time_t
instant_of(const char *s)
{
	time_t t = 0;

	if (kdate_parse_instant(s, &t) != 0)
		fail_msg("test setup: kdate_parse_instant(\"%s\") should succeed", s);
	return t;
}

#endif
