/* Unit tests for log_escape: every line kapd logs goes through it, so that no name,
 * address or server answer can forge a second journal line or send terminal control
 * sequences (issue 10, D8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/log.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_controls_and_bad_bytes_are_escaped_and_text_stays(void **state)
{
	static const struct {
		const char *in, *want;
	} table[] = {
		{ "plain text", "plain text" },
		{ "a@b.example\r\nBcc: evil@x.example failed",
		    "a@b.example\\r\\nBcc: evil@x.example failed" },
		{ "tab\there", "tab\\there" },
		{ "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m" },
		{ "nul-less \x01\x07\x1f\x7f", "nul-less \\x01\\x07\\x1f\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "C1 \xc2\x85 and \xc2\x9b", "C1 \\u0085 and \\u009b" },
		{ "line\xe2\x80\xa8sep\xe2\x80\xa9", "line\\u2028sep\\u2029" },
		{ "Gr\xc3\xb6\xc3\x9f"
		  "er \xe9\x99\x88\xe7\xab\x8b \xf0\x9f\x93\x85",
		    "Gr\xc3\xb6\xc3\x9f"
		    "er \xe9\x99\x88\xe7\xab\x8b \xf0\x9f\x93\x85" },
		{ "latin1 \xe9t\xe9", "latin1 \\xe9t\\xe9" },
		{ "overlong \xc0\xaf, surrogate \xed\xa0\x80",
		    "overlong \\xc0\\xaf, surrogate \\xed\\xa0\\x80" },
		{ "cut \xe2\x82", "cut \\xe2\\x82" },
		{ "\xc2\xa0nbsp", "\xc2\xa0nbsp" },
		{ "bidi \xe2\x80\xae"
		  "evil\xe2\x80\xac \xe2\x81\xa6x\xe2\x81\xa9",
		    "bidi \\u202eevil\\u202c \\u2066x\\u2069" },
		{ "dash \xe2\x80\x93 ok", "dash \xe2\x80\x93 ok" },
	};
	char out[256];
	size_t i, n;

	(void)state;
	for (i = 0; i < N_ELEMS(table); i++) {
		n = log_escape(table[i].in, out, sizeof(out));
		if (strcmp(out, table[i].want) != 0)
			fail_msg("row %zu: expected \"%s\", got \"%s\"", i, table[i].want, out);
		assert_int_equal(n, strlen(out));
	}
}

static void
test_output_is_never_overrun_and_escapes_are_never_split(void **state)
{
	char out[8];
	size_t n;

	(void)state;
	memset(out, 'Z', sizeof(out));
	n = log_escape("ab\ncdefgh", out, 6);
	assert_string_equal(out, "ab\\nc");
	assert_int_equal(n, 5);
	assert_int_equal(out[7], 'Z');
	n = log_escape("abcd\n", out, 6);
	assert_string_equal(out, "abcd"); /* "\n" does not fit whole: left out */
	assert_int_equal(n, 4);
	assert_int_equal(log_escape("x", out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls_and_bad_bytes_are_escaped_and_text_stays),
		cmocka_unit_test(test_output_is_never_overrun_and_escapes_are_never_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
