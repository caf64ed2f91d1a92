/* libFuzzer target for the HTML-to-text reader of HTML-only replies (core/htmltext.h),
 * followed by the quote stripper and the command grammar, as kapd reads such a reply.
 * Nothing may crash or read past the input; the text is NUL-terminated at its length;
 * markup never survives as a tag ('<' only where the input had "&lt;" or a lone '<'). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/htmltext.h"
#include "core/replycmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_htmltext: %s\n", what);                              \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *html = malloc(size ? size : 1), *text = NULL;
	static struct replycmd_list l;
	size_t len = 0;

	CHECK(html != NULL, "out of memory");
	memcpy(html, data, size);
	CHECK(htmltext(html, size, &text, &len) == 0, "htmltext failed");
	CHECK(strlen(text) == len, "the text's length is not its NUL");
	replycmd_parse(text, replycmd_strip(text, len), &l);
	CHECK(l.n <= REPLYCMD_MAX, "more commands than kept");
	free(text);
	free(html);
	return 0;
}
