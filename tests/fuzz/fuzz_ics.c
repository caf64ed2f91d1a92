/* libFuzzer target for the iCalendar text of the feeds (core/ics.h): ics_clean, ics_escape
 * and ics_fold, the functions every untrusted title, name and description of a feed goes
 * through before it reaches a calendar.
 *
 * The input's first byte picks oneline (bit 0); the rest is the text.  Checked:
 *   - ics_clean gives valid UTF-8 without CR, DEL or C0/C1 controls other than LF and
 *     HTAB, and with oneline without LF or HTAB either;
 *   - ics_escape of that gives a TEXT value (RFC 5545 §3.3.11): no LF, every ; and ,
 *     escaped, every backslash starting one of \\ \; \, \n, and unescaping gives the
 *     cleaned text back;
 *   - ics_fold of "DESCRIPTION:" + the value succeeds and gives physical lines of at most
 *     75 octets (§3.1) ended by CRLF, continuations starting with one space, each line
 *     whole UTF-8 characters, no fold inside an escape, and unfolding gives the line back;
 *   - ics_fold of the raw text: refused, or folded with the same properties, and never
 *     refused when text_is_line accepts the text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ics.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"
#include "lib/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_ics: %s\n", what);                                   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void
check_clean(const char *s, size_t n, int oneline)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, k;

	CHECK(strlen(s) == n, "a NUL inside the cleaned text");
	while (i < n) {
		k = utf8_decode(p + i, n - i, &cp);
		CHECK(k > 0, "ics_clean left invalid UTF-8");
		CHECK(cp != '\r', "ics_clean left a CR");
		CHECK(!(cp < 0x20 && cp != '\n' && cp != '\t'), "ics_clean left a C0 control");
		CHECK(!(cp >= 0x7f && cp <= 0x9f), "ics_clean left DEL or a C1 control");
		CHECK(
		    !(oneline && (cp == '\n' || cp == '\t')), "ics_clean oneline left LF or HTAB");
		i += k;
	}
}

/* Checks an escaped TEXT value and that it unescapes to clean. */
static void
check_escape(const char *v, size_t n, const char *clean)
{
	char *back = malloc(n + 1);
	size_t i, k = 0;

	CHECK(back != NULL, "out of memory");
	for (i = 0; i < n; i++) {
		CHECK(v[i] != '\n' && v[i] != '\r', "a raw line break in an escaped value");
		CHECK(v[i] != ';' && v[i] != ',', "an unescaped ; or , (RFC 5545 §3.3.11)");
		if (v[i] != '\\') {
			back[k++] = v[i];
			continue;
		}
		CHECK(i + 1 < n, "a lone backslash at the end of an escaped value");
		i++;
		CHECK(v[i] == '\\' || v[i] == ';' || v[i] == ',' || v[i] == 'n',
		    "a backslash that starts no escape");
		back[k++] = v[i] == 'n' ? '\n' : v[i];
	}
	back[k] = '\0';
	CHECK(strcmp(back, clean) == 0, "unescaping does not give the cleaned text back");
	free(back);
}

/* 1 when position i of line (unfolded) is right after a backslash that starts an escape. */
static int
inside_escape(const char *line, size_t i)
{
	size_t j, run = 0;

	if (i == 0 || line[i - 1] != '\\')
		return 0;
	for (j = i; j > 0 && line[j - 1] == '\\'; j--)
		run++;
	return run % 2 == 1;
}

/* Checks the folded form out of the logical line (len octets). */
static void
check_fold(const char *line, size_t len, const char *out, size_t outlen, int escaped)
{
	const char *p = out, *end = out + outlen, *eol;
	size_t used = 0, seg;

	CHECK(outlen >= 2 && memcmp(end - 2, "\r\n", 2) == 0, "folded text not ended by CRLF");
	while (p < end) {
		eol = memchr(p, '\r', (size_t)(end - p));
		CHECK(eol != NULL && eol + 1 < end && eol[1] == '\n', "a CR not part of CRLF");
		CHECK(eol - p <= ICS_LINE_MAX, "a physical line longer than 75 octets (§3.1)");
		if (p != out) {
			CHECK(*p == ' ', "a continuation line not starting with a space");
			p++;
			/* A fold point: between whole characters, never inside an escape. */
			CHECK(used < len && ((unsigned char)line[used] & 0xc0) != 0x80,
			    "a fold inside a UTF-8 character");
			CHECK(!escaped || !inside_escape(line, used), "a fold inside an escape");
		}
		seg = (size_t)(eol - p);
		CHECK(seg > 0, "an empty physical line");
		CHECK(used + seg <= len && memcmp(line + used, p, seg) == 0,
		    "unfolding does not give the line back");
		used += seg;
		p = eol + 2;
	}
	CHECK(used == len, "unfolding lost octets");
}

static void
fold_and_check(const char *line, size_t len, int escaped, int must)
{
	struct sbuf out = SBUF_INIT;
	int r = ics_fold(line, len, &out);

	CHECK(!out.failed, "out of memory");
	if (must)
		CHECK(r == 0, "ics_fold refused a line that should fold");
	if (r == 0)
		check_fold(line, len, out.s, out.len, escaped);
	else
		CHECK(out.len == 0, "ics_fold refused but appended");
	sbuf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf clean = SBUF_INIT, value = SBUF_INIT, line = SBUF_INIT;
	int oneline;
	char *text;

	if (size < 1)
		return 0;
	oneline = data[0] & 1;
	text = malloc(size);
	CHECK(text != NULL, "out of memory");
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	ics_clean(text, oneline, &clean);
	sbuf_add(&clean, "", 0);
	CHECK(!clean.failed, "out of memory");
	check_clean(clean.s != NULL ? clean.s : "", clean.len, oneline);
	ics_escape(clean.s != NULL ? clean.s : "", &value);
	CHECK(!value.failed, "out of memory");
	check_escape(value.s != NULL ? value.s : "", value.len, clean.s != NULL ? clean.s : "");
	sbuf_puts(&line, "DESCRIPTION:");
	sbuf_add(&line, value.s != NULL ? value.s : "", value.len);
	CHECK(!line.failed, "out of memory");
	fold_and_check(line.s, line.len, 1, 1);

	/* The raw text, as a content line of its own. */
	fold_and_check(text, strlen(text), 0, strlen(text) > 0 && text_is_line(text));

	sbuf_free(&clean);
	sbuf_free(&value);
	sbuf_free(&line);
	free(text);
	return 0;
}
