/* libFuzzer target for mail_header_text, the RFC 2047 header encoder (daemon/core/mail.h).
 *
 * The input's first byte picks the field the text follows ("Subject: ", "To: "...), the
 * rest is the text.  Text with control characters or invalid UTF-8 must be refused
 * (exactly what text_is_line refuses); anything else must come out as
 *   - the text itself when it is short printable ASCII without "=?" (RFC 5322 §2.1.1:
 *     the line at most 78 characters), or
 *   - encoded words "=?UTF-8?B?...?=" of at most 75 characters, one per line, folded with
 *     CRLF SP, every line at most 76 characters with the field name (RFC 2047 §2), each
 *     word whole UTF-8 characters (§5), and all words decoding back to the text (§6.2);
 * with no other CR, LF or control character anywhere. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_header: %s\n", what);                                \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char *const fields[] = { "Subject: ", "To: ", "From: ", "Reply-To: " };

static int
b64_value(char c)
{
	const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/* Strict base64 (RFC 4648 §4): whole quads, padding only at the end.  Returns the number
 * of octets written to out, or -1. */
static long
b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t i, pad = 0;
	long k = 0;
	int v[4], j;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (j = 0; j < 4; j++) {
			v[j] = b64_value(s[i + j]);
			if (v[j] < 0 && !(s[i + j] == '=' && i + 4 == n && j >= 2))
				return -1;
			if (s[i + j] == '=')
				pad++;
			else if (pad > 0)
				return -1;
		}
		out[k++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (s[i + 2] != '=')
			out[k++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (s[i + 3] != '=')
			out[k++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return k;
}

/* One encoded word w[0..n-1]; appends its text to dec (which has room). */
static void
check_word(const char *w, size_t n, char *dec, size_t *declen)
{
	static const char head[] = "=?UTF-8?B?";
	unsigned char buf[128];
	long k;

	CHECK(n <= 75, "an encoded word longer than 75 characters (RFC 2047 §2)");
	CHECK(n > 12 && memcmp(w, head, 10) == 0 && memcmp(w + n - 2, "?=", 2) == 0,
	    "not an encoded word =?UTF-8?B?...?=");
	k = b64_decode(w + 10, n - 12, buf);
	CHECK(k > 0, "invalid base64 in an encoded word");
	buf[k] = '\0';
	CHECK(memchr(buf, '\0', (size_t)k) == NULL && text_is_line((const char *)buf),
	    "an encoded word that is not whole, valid UTF-8 characters (RFC 2047 §5)");
	memcpy(dec + *declen, buf, (size_t)k);
	*declen += (size_t)k;
}

static void
check_output(const char *text, const char *out, size_t len, size_t used)
{
	const char *line = out, *end;
	size_t i, declen = 0, width;
	char *dec;

	for (i = 0; i < len; i++) {
		if (out[i] == '\r') {
			CHECK(i + 2 < len && out[i + 1] == '\n' && out[i + 2] == ' ',
			    "CR not part of a CRLF SP fold");
			i += 2;
		} else {
			CHECK(out[i] >= 0x20 && out[i] <= 0x7e, "LF or a non-ASCII/control byte");
		}
	}
	if (strstr(out, "=?") == NULL) {
		CHECK(strcmp(out, text) == 0, "plain output differs from the text");
		CHECK(used + len <= 78, "a plain header line longer than 78 characters");
		return;
	}
	dec = malloc(len + 1);
	CHECK(dec != NULL, "out of memory");
	for (width = used;; width = 1) {
		end = strstr(line, "\r\n ");
		if (end == NULL)
			end = out + len;
		CHECK(width + (size_t)(end - line) <= 76,
		    "a line with encoded words longer than 76 characters (RFC 2047 §2)");
		check_word(line, (size_t)(end - line), dec, &declen);
		if (end == out + len)
			break;
		line = end + 3;
	}
	CHECK(declen == strlen(text) && memcmp(dec, text, declen) == 0,
	    "the encoded words do not decode to the text (RFC 2047 §6.2)");
	free(dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b = SBUF_INIT;
	char *text, *out = NULL;
	size_t used, len = 0;
	int r;

	if (size < 1)
		return 0;
	used = strlen(fields[data[0] % (sizeof(fields) / sizeof(fields[0]))]);
	text = malloc(size);
	CHECK(text != NULL, "out of memory");
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	r = mail_header_text(&b, text, used);
	if (r < 0) {
		CHECK(!text_is_line(text), "refused text that text_is_line accepts");
		sbuf_free(&b);
	} else {
		CHECK(text_is_line(text), "accepted text that text_is_line refuses");
		CHECK(sbuf_finish(&b, &out, &len) == 0, "out of memory");
		check_output(text, out, len, used);
		free(out);
	}
	free(text);
	return 0;
}
