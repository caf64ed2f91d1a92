/* Unit tests for errlist under memory exhaustion: a message that cannot be stored is
 * still counted (a check must not pass because memory ran out), and nothing after it
 * writes or reads past the array.  Linked with -Wl,--wrap=realloc (see the Makefile), so
 * the test decides which of errlist's reallocations fail; ASan sees any stray access. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lib/errlist.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int fail_realloc; /* the next reallocations fail while set */

void *
__wrap_realloc(void *p, size_t n)
{
	return fail_realloc ? NULL : __real_realloc(p, n);
}

static void
add_n(struct errlist *e, int from, int count, int want)
{
	int i;

	for (i = from; i < from + count; i++)
		assert_int_equal(errlist_add(e, "problem %d", i), want);
}

static void
test_a_message_without_room_is_counted_and_later_ones_stay_in_bounds(void **state)
{
	struct errlist e = ERRLIST_INIT;
	size_t i;
	char want[32];

	(void)state;
	add_n(&e, 0, 8, 0); /* fills the first 8 slots */
	assert_int_equal(e.n, 8);
	fail_realloc = 1;
	add_n(&e, 8, 1, -ENOMEM);
	fail_realloc = 0;
	/* Memory is back, but the dropped message has no slot: later ones are counted and
	 * dropped too, instead of landing at msg[n] past the array. */
	add_n(&e, 9, 20, -ENOMEM);
	assert_int_equal(e.n, 29);
	for (i = 0; i < 8; i++) {
		snprintf(want, sizeof(want), "problem %zu", i);
		assert_string_equal(errlist_msg(&e, i, "lost"), want);
	}
	for (i = 8; i < e.n; i++)
		assert_string_equal(errlist_msg(&e, i, "lost"), "lost");
	assert_string_equal(errlist_msg(&e, e.n, "past the end"), "past the end");
	errlist_free(&e);
	assert_int_equal(e.n, 0);
}

static void
test_the_first_message_without_memory_still_counts(void **state)
{
	struct errlist e = ERRLIST_INIT;

	(void)state;
	fail_realloc = 1;
	add_n(&e, 0, 3, -ENOMEM);
	fail_realloc = 0;
	assert_int_equal(e.n, 3);
	assert_null(errlist_msg(&e, 0, NULL));
	assert_string_equal(errlist_msg(&e, 2, "lost"), "lost");
	errlist_free(&e);
}

static void
test_messages_grow_past_the_first_allocation(void **state)
{
	struct errlist e = ERRLIST_INIT;
	size_t i;
	char want[32];

	(void)state;
	add_n(&e, 0, 100, 0);
	assert_int_equal(e.n, 100);
	for (i = 0; i < e.n; i++) {
		snprintf(want, sizeof(want), "problem %zu", i);
		assert_string_equal(errlist_msg(&e, i, "lost"), want);
	}
	errlist_free(&e);
	errlist_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_a_message_without_room_is_counted_and_later_ones_stay_in_bounds),
		cmocka_unit_test(test_the_first_message_without_memory_still_counts),
		cmocka_unit_test(test_messages_grow_past_the_first_allocation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
