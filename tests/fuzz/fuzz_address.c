/* libFuzzer target for the validators that guard headers and the SMTP envelope:
 * text_is_email, text_is_line, text_is_text (daemon/lib/textcheck.h) and mail_parse_address
 * (daemon/core/mail.h).  Nothing may crash, and whatever they accept is checked here with code
 * of its own:
 *   - an accepted address is at most 254 octets of printable ASCII without space, CR, LF,
 *     NUL or any of <>()[]\,;:" (which could end the address in MAIL FROM/RCPT TO or in
 *     a header, RFC 5321 §4.1.2), has one local@domain split with a dotted domain;
 *   - an accepted line is valid UTF-8 without C0, DEL, C1, U+2028 or U+2029; text may
 *     add tab, CR and LF only;
 *   - "Name <addr>" splits into a valid address and a valid line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail.h"
#include "lib/textcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_address: %s\n", what);                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void
check_email(const char *s)
{
	const char *at = strrchr(s, '@'), *p;

	CHECK(strlen(s) <= 254, "an address longer than 254 octets");
	for (p = s; *p != '\0'; p++)
		CHECK(*p > 0x20 && *p < 0x7f && strchr("<>()[]\\,;:\"", *p) == NULL,
		    "an address with a space, control, non-ASCII or special character");
	CHECK(at != NULL && at != s && at[1] != '\0', "an address without local@domain");
	CHECK(strchr(at + 1, '.') != NULL, "an address whose domain has no dot");
	CHECK(strstr(s, "..") == NULL, "an address with an empty atom or label");
}

/* Independent UTF-8 walk (RFC 3629 §4 table). */
static void
check_line(const char *s, int text)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	int n, i;

	while (*p != '\0') {
		if (*p < 0x80)
			n = 0, cp = *p;
		else if (*p >= 0xc2 && *p <= 0xdf)
			n = 1, cp = *p & 0x1f;
		else if (*p >= 0xe0 && *p <= 0xef)
			n = 2, cp = *p & 0x0f;
		else if (*p >= 0xf0 && *p <= 0xf4)
			n = 3, cp = *p & 0x07;
		else
			n = -1, cp = 0;
		CHECK(n >= 0, "accepted an invalid UTF-8 lead byte");
		for (i = 1; i <= n; i++) {
			CHECK((p[i] & 0xc0) == 0x80, "accepted a truncated UTF-8 sequence");
			cp = cp << 6 | (p[i] & 0x3f);
		}
		CHECK(!(n == 2 && cp < 0x800) && !(n == 3 && (cp < 0x10000 || cp > 0x10ffff)),
		    "accepted an overlong or too large UTF-8 sequence");
		CHECK(cp < 0xd800 || cp > 0xdfff, "accepted a UTF-8 surrogate");
		CHECK(cp >= 0x20 || (text && (cp == '\t' || cp == '\r' || cp == '\n')),
		    "accepted a C0 control character");
		CHECK(cp < 0x7f || cp > 0x9f, "accepted DEL or a C1 control character");
		CHECK(cp != 0x2028 && cp != 0x2029, "accepted U+2028 or U+2029");
		p += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *name = malloc(size + 1), *addr = malloc(size + 1);
	int line, text, email;

	CHECK(s != NULL && name != NULL && addr != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	line = text_is_line(s);
	text = text_is_text(s);
	email = text_is_email(s);
	if (email)
		check_email(s);
	if (line)
		check_line(s, 0);
	if (text)
		check_line(s, 1);
	CHECK(!line || text, "a valid line that is not valid text");
	CHECK(!email || line, "a valid address that is not a valid line");
	if (line)
		CHECK(text_utf8_len(s) <= strlen(s), "more characters than octets");
	if (mail_parse_address(s, name, addr) == 0) {
		CHECK(text_is_email(addr) && text_is_line(name), "parsed into invalid parts");
		check_email(addr);
		check_line(name, 0);
		CHECK(strlen(name) + strlen(addr) <= strlen(s), "parts longer than the input");
	}
	free(s);
	free(name);
	free(addr);
	return 0;
}
