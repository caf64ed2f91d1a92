/* Unit tests for the retry policy (core/backoff): the delay doubles from the first retry
 * up to the cap, the email is tried until the limit has truly passed, and it is given up
 * only when an attempt at or after the limit fails (issue 10, D2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/backoff.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const struct backoff_policy dflt = { 5 * MIN, 2 * HOUR, 4 * DAY };

static void
test_delay_doubles_from_first_to_the_cap(void **state)
{
	static const struct {
		int failed;
		time_t wait;
	} table[] = {
		{ 1, 5 * MIN },
		{ 2, 10 * MIN },
		{ 3, 20 * MIN },
		{ 4, 40 * MIN },
		{ 5, 80 * MIN },
		{ 6, 2 * HOUR },
		{ 7, 2 * HOUR },
		{ 40, 2 * HOUR },
		{ 100000, 2 * HOUR },
		{ 0, 5 * MIN },
	};
	time_t next;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(table); i++) {
		next = 0;
		assert_int_equal(
		    backoff_next(&dflt, 1000000, 1000000 + HOUR, table[i].failed, &next), 1);
		if (next != 1000000 + HOUR + table[i].wait)
			fail_msg("after %d failures: expected a wait of %ld s, got %ld s",
			    table[i].failed, (long)table[i].wait, (long)(next - 1000000 - HOUR));
	}
}

static void
test_last_attempt_falls_on_the_limit(void **state)
{
	time_t armed = 5000000, next = 0;

	(void)state;
	/* 30 minutes before the limit with a two-hour wait due: try at the limit itself. */
	assert_int_equal(backoff_next(&dflt, armed, armed + 4 * DAY - 30 * MIN, 20, &next), 1);
	assert_int_equal(next, armed + 4 * DAY);
}

static void
test_gives_up_only_when_an_attempt_at_or_after_the_limit_fails(void **state)
{
	time_t armed = 5000000, next = 7;

	(void)state;
	assert_int_equal(backoff_next(&dflt, armed, armed + 4 * DAY - 1, 30, &next), 1);
	assert_int_equal(next, armed + 4 * DAY);
	next = 7;
	assert_int_equal(backoff_next(&dflt, armed, armed + 4 * DAY, 31, &next), 0);
	assert_int_equal(next, 7); /* untouched when giving up */
	assert_int_equal(backoff_next(&dflt, armed, armed + 5 * DAY, 31, &next), 0);
}

/* The schedule a daemon checking every 15 minutes follows during an outage of `outage`
 * seconds: returns the number of attempts; *gave_up says whether it gave up, *gap the
 * longest time between two attempts. */
static int
simulate(const struct backoff_policy *p, time_t outage, int *gave_up, time_t *gap)
{
	time_t armed = 0, t = 0, next = 0, last = 0;
	int failed = 0;

	*gave_up = 0;
	*gap = 0;
	for (t = 0; t < 30 * DAY; t += 15 * MIN) {
		if (t < next)
			continue;
		if (t - last > *gap)
			*gap = t - last;
		last = t;
		if (t >= outage)
			return failed + 1; /* the server is back: delivered */
		failed++;
		if (!backoff_next(p, armed, t, failed, &next)) {
			*gave_up = 1;
			return failed;
		}
	}
	return failed;
}

static void
test_an_88_hour_outage_under_a_4_day_limit_loses_nothing(void **state)
{
	static const time_t outages[] = { HOUR, 30 * HOUR, 88 * HOUR, 95 * HOUR - 1 };
	time_t gap;
	size_t i;
	int gave_up, n;

	(void)state;
	for (i = 0; i < N_ELEMS(outages); i++) {
		n = simulate(&dflt, outages[i], &gave_up, &gap);
		if (gave_up)
			fail_msg("outage of %ld h: gave up after %d attempts",
			    (long)(outages[i] / HOUR), n);
		/* Delivered within one cap (plus one check interval) of the server's return. */
		if (gap > 2 * HOUR + 15 * MIN)
			fail_msg("outage of %ld h: %ld s without an attempt",
			    (long)(outages[i] / HOUR), (long)gap);
	}
}

static void
test_an_outage_past_the_limit_gives_up_just_after_it(void **state)
{
	time_t gap;
	int gave_up, n;

	(void)state;
	n = simulate(&dflt, 5 * DAY, &gave_up, &gap);
	assert_true(gave_up);
	assert_true(n > 40); /* 48 attempts at most two hours apart over four days */
	assert_true(gap <= 2 * HOUR + 15 * MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_doubles_from_first_to_the_cap),
		cmocka_unit_test(test_last_attempt_falls_on_the_limit),
		cmocka_unit_test(test_gives_up_only_when_an_attempt_at_or_after_the_limit_fails),
		cmocka_unit_test(test_an_88_hour_outage_under_a_4_day_limit_loses_nothing),
		cmocka_unit_test(test_an_outage_past_the_limit_gives_up_just_after_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
