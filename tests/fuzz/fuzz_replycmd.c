/* libFuzzer target for the reply reader (daemon/core/replycmd.h): the quote stripper and
 * the command grammar read untrusted mail text.  Nothing may crash or read past the
 * input, and what they return is checked here with code of its own:
 *   - the new text ends at a line start (0, the end, or just after a LF);
 *   - a command's key is 1..64 of [A-Za-z0-9._-] or empty, its date a real day;
 *   - a line kept as not understood is NUL-terminated, within its buffer, valid UTF-8
 *     without C0 controls or DEL (it is quoted in an answer mail). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/replycmd.h"
#include "lib/textcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_replycmd: %s\n", what);                              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void
check_key(const char *k)
{
	size_t n = strnlen(k, REPLYCMD_KEY_MAX);

	CHECK(n < REPLYCMD_KEY_MAX, "a key without its NUL");
	for (size_t i = 0; i < n; i++)
		CHECK((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		        (k[i] >= '0' && k[i] <= '9') || k[i] == '.' || k[i] == '_' || k[i] == '-',
		    "a key with a character outside [A-Za-z0-9._-]");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *text = malloc(size ? size : 1);
	static struct replycmd_list l;
	size_t cut;

	CHECK(text != NULL, "out of memory");
	memcpy(text, data, size);
	cut = replycmd_strip(text, size);
	CHECK(cut <= size, "the new text is longer than the reply");
	CHECK(cut == 0 || cut == size || text[cut - 1] == '\n', "cut inside a line");
	replycmd_parse(text, cut, &l);
	CHECK(l.n <= REPLYCMD_MAX && l.n_bad <= REPLYCMD_MAX_BAD, "counts beyond the arrays");
	for (size_t i = 0; i < l.n; i++) {
		int y, m, d;

		check_key(l.cmd[i].key);
		CHECK(l.cmd[i].line >= 1, "a command without its line");
		if (l.cmd[i].verb == REPLYCMD_DATE) {
			kdate_to_ymd(l.cmd[i].date, &y, &m, &d);
			CHECK(kdate_valid_ymd(y, m, d) && y >= 1900 && y <= 9999,
			    "a date that is no real day");
		}
	}
	for (size_t i = 0; i < l.n_bad; i++) {
		CHECK(strnlen(l.bad[i], REPLYCMD_LINE_MAX) < REPLYCMD_LINE_MAX,
		    "a kept line without its NUL");
		CHECK(l.bad[i][0] == '\0' || text_is_line(l.bad[i]),
		    "a kept line that is not safe to quote");
	}
	free(text);
	return 0;
}
