/* Mail composition (daemon/core/mail.c, digest.c): RFC 2047 encoded words that round-trip and
 * never split a character, no header injection, well-formed CRLF messages with the
 * X-KAP headers of SPEC §6, and texts in the recipient's language. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/i18n.h"
#include "core/mail.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"

static int
b64val(int c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(a, c);

	return c != '\0' && p != NULL ? (int)(p - a) : -1;
}

/* Decodes base64 text of n characters into out; returns the length. */
static size_t
unbase64(const char *s, size_t n, unsigned char *out)
{
	size_t i, k = 0;
	unsigned v = 0;
	int bits = 0;

	for (i = 0; i < n && s[i] != '='; i++) {
		int d = b64val((unsigned char)s[i]);

		assert_true(d >= 0);
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return k;
}

/* Decodes a header value made of encoded words separated by CRLF SP; checks each word's
 * length and that each decodes to complete UTF-8 characters. */
static char *
decode_words(const char *v)
{
	static unsigned char out[8192];
	size_t k = 0;
	unsigned char word[256];

	while (*v != '\0') {
		const char *end;
		size_t n, len;

		if (strncmp(v, "\r\n ", 3) == 0)
			v += 3;
		if (strncmp(v, "=?UTF-8?B?", 10) != 0)
			fail_msg("expected an encoded word at: %.40s", v);
		end = strstr(v + 10, "?=");
		assert_non_null(end);
		if ((size_t)(end + 2 - v) > 75)
			fail_msg("encoded word longer than 75 characters: %.80s", v);
		n = unbase64(v + 10, (size_t)(end - v - 10), word);
		word[n] = '\0';
		if (!text_is_line((const char *)word))
			fail_msg("an encoded word splits a character or holds controls");
		len = n;
		memcpy(out + k, word, len);
		k += len;
		v = end + 2;
	}
	out[k] = '\0';
	return (char *)out;
}

static void
test_short_ascii_header_text_stays_plain(void **state)
{
	struct sbuf b = SBUF_INIT;
	char *s;

	(void)state;
	assert_int_equal(mail_header_text(&b, "Weekly report", 9), 0);
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	assert_string_equal(s, "Weekly report");
	free(s);
}

/* A deterministic mix of 1- to 4-octet characters. */
static size_t
random_text(uint32_t *seed, char *buf, size_t max_chars)
{
	static const char *const pieces[] = { "a", "Z", " ", "ä", "ß", "€", "陈", "立", "😀", "=?",
		"?=", "_", "\"", "🚀", "é", "ü", "Ω" };
	size_t n = 0, i, chars;

	*seed = *seed * 1103515245u + 12345u;
	chars = 1 + (*seed >> 8) % max_chars;
	for (i = 0; i < chars; i++) {
		*seed = *seed * 1103515245u + 12345u;
		const char *p = pieces[(*seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(buf + n, p, strlen(p));
		n += strlen(p);
	}
	buf[n] = '\0';
	return n;
}

static void
test_encoded_words_round_trip_and_never_split_characters(void **state)
{
	char text[1024];
	uint32_t seed = 42;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		struct sbuf b = SBUF_INIT;
		char *s;

		random_text(&seed, text, 120);
		assert_int_equal(mail_header_text(&b, text, 100), 0);
		assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
		if (strcmp(s, text) != 0 && strcmp(decode_words(s), text) != 0)
			fail_msg("round trip of \"%s\" gave \"%s\"", text, decode_words(s));
		free(s);
	}
}

static void
test_header_text_with_line_breaks_or_controls_is_refused(void **state)
{
	static const char *const bad[] = { "a\r\nBcc: x@evil.example", "a\nb", "a\rb", "tab\there",
		"nul\x01", "del\x7f", "ls\xe2\x80\xa8", "\xc3", "\xff" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbuf b = SBUF_INIT;

		if (mail_header_text(&b, bad[i], 9) != -EINVAL)
			fail_msg("expected -EINVAL for case %zu", i);
		sbuf_free(&b);
	}
}

static void
test_addresses_are_split_and_validated(void **state)
{
	char name[128], addr[128];

	(void)state;
	assert_int_equal(mail_parse_address("kapd <kapd@supplier.example>", name, addr), 0);
	assert_string_equal(name, "kapd");
	assert_string_equal(addr, "kapd@supplier.example");
	assert_int_equal(mail_parse_address("kapd@supplier.example", name, addr), 0);
	assert_string_equal(name, "");
	assert_int_equal(mail_parse_address("x <a@b.example> trailing", name, addr), -EINVAL);
	assert_int_equal(
	    mail_parse_address("x <a@b.example\r\nBcc: c@d.example>", name, addr), -EINVAL);
	assert_int_equal(mail_parse_address("x <not an address>", name, addr), -EINVAL);
}

static const struct mail_item items[] = {
	{ .rule = RULE_OVERDUE,
	    .kind = KIND_ACTIVITY,
	    .item_key = "a1",
	    .title = "Werksbesuch "
	             "mit Jürgen „Kick-off“",
	    .plan_key = "acme-2026",
	    .plan_title = "ACME Plan 2026",
	    .owner_name = "Jürgen Huber",
	    .due = 20788,
	    .stage = "overdue-0" },
	{ .rule = RULE_UPCOMING,
	    .kind = KIND_MILESTONE,
	    .item_key = "m1",
	    .title = "Contract",
	    .plan_key = "acme-2026",
	    .plan_title = "ACME Plan 2026",
	    .owner_name = "Anna Weber",
	    .due = 20800,
	    .stage = "upcoming-7",
	    .at_risk = 1 },
	{ .rule = RULE_REVIEW_DUE,
	    .kind = KIND_PLAN,
	    .item_key = "beta-2026",
	    .title = NULL,
	    .plan_key = "beta-2026",
	    .plan_title = "Beta plan",
	    .due = 20790,
	    .stage = "due" },
};

static char *
compose(const char *lang, const struct mail_item *it, size_t n, int expect)
{
	struct mail_message m = { .from = "kapd <kapd@supplier.example>",
		.to_name = "Jürgen Huber",
		.to_addr = "j.huber@supplier.example",
		.reply_to = "anna@supplier.example",
		.message_id = "<kapd-1@supplier.example>",
		.date = 1796198400,
		.today = 20790,
		.lang = lang,
		.items = it,
		.n_items = n };
	char *out = NULL, err[256];
	size_t len;
	int r = mail_compose(&m, &out, &len, err, sizeof(err));

	assert_int_equal(r, expect);
	if (r == 0)
		assert_int_equal(strlen(out), len);
	return out;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void
test_message_lines_end_in_crlf_and_stay_within_limits(void **state)
{
	char *msg = compose("de", items, 3, 0);
	const char *p, *line = msg;

	(void)state;
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n' && (p == msg || p[-1] != '\r'))
			fail_msg("bare LF at offset %zu", (size_t)(p - msg));
		if (*p == '\r' && p[1] != '\n')
			fail_msg("bare CR at offset %zu", (size_t)(p - msg));
		if (*p == '\n') {
			if (p - line > 998)
				fail_msg("line longer than 998 octets (RFC 5322 §2.1.1)");
			line = p + 1;
		}
	}
	free(msg);
}

static void
test_message_carries_the_headers_of_spec_4_and_6(void **state)
{
	char *msg = compose("en", items, 3, 0);
	char *body = strstr(msg, "\r\n\r\n");

	(void)state;
	assert_non_null(body);
	*body = '\0';
	/* Date comes first, exactly once. */
	assert_int_equal(strncmp(msg, "Date: ", 6), 0);
	assert_int_equal(count(msg, "\r\nDate: "), 0);
	assert_int_equal(count(msg, "\r\nFrom: "), 1);
	assert_int_equal(count(msg, "\r\nTo: "), 1);
	assert_int_equal(count(msg, "\r\nReply-To: <anna@supplier.example>"), 1);
	assert_int_equal(count(msg, "\r\nMessage-ID: <kapd-1@supplier.example>"), 1);
	assert_int_equal(count(msg, "\r\nAuto-Submitted: auto-generated"), 1);
	assert_int_equal(count(msg, "\r\nX-KAP-Plan: acme-2026"), 1);
	assert_int_equal(count(msg, "\r\nX-KAP-Plan: beta-2026"), 1);
	assert_int_equal(count(msg, "\r\nX-KAP-Item: "), 3);
	assert_int_equal(
	    count(msg, "X-KAP-Item: a1; rule=overdue; stage=overdue-0; due=2026-12-01"), 1);
	assert_int_equal(count(msg, "multipart/alternative"), 1);
	*body = '\r';
	assert_int_equal(count(body, "Content-Type: text/plain; charset=UTF-8"), 1);
	assert_int_equal(count(body, "Content-Type: text/html; charset=UTF-8"), 1);
	free(msg);
}

static void
test_a_title_with_a_line_break_cannot_reach_a_header(void **state)
{
	struct mail_item bad = items[0];

	(void)state;
	bad.title = "x\r\nBcc: victim@evil.example";
	assert_null(compose("en", &bad, 1, -EINVAL));
	bad = items[0];
	bad.item_key = "a1\r\nBcc: victim@evil.example";
	assert_null(compose("en", &bad, 1, -EINVAL));
}

static void
test_texts_follow_the_recipient_language(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(i18n_lang("de-AT"), "de");
	assert_string_equal(i18n_lang("fr"), "en");
	assert_string_equal(i18n_lang(NULL), "en");
	assert_string_equal(i18n_tr("de", "Milestone"), "Meilenstein");
	assert_string_equal(i18n_tr("fr", "Milestone"), "Milestone");
	assert_string_equal(i18n_ntr("de", "%1$d of %2$d linked activity done",
	                        "%1$d of %2$d linked activities done", 2),
	    "%1$d von %2$d zugeordneten Aktivitäten erledigt");
	assert_string_equal(i18n_ntr("de", "%1$d of %2$d linked activity done",
	                        "%1$d of %2$d linked activities done", 1),
	    "%1$d von %2$d zugeordneten Aktivität erledigt");
	assert_string_equal(i18n_date("de", 20788, buf, sizeof(buf)), "Dienstag, 1. Dezember 2026");
	assert_string_equal(i18n_date("en", 20788, buf, sizeof(buf)), "Tuesday, 1 December 2026");
	assert_string_equal(i18n_short_date("de", 20788, buf, sizeof(buf)), "01.12.2026");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_ascii_header_text_stays_plain),
		cmocka_unit_test(test_encoded_words_round_trip_and_never_split_characters),
		cmocka_unit_test(test_header_text_with_line_breaks_or_controls_is_refused),
		cmocka_unit_test(test_addresses_are_split_and_validated),
		cmocka_unit_test(test_message_lines_end_in_crlf_and_stay_within_limits),
		cmocka_unit_test(test_message_carries_the_headers_of_spec_4_and_6),
		cmocka_unit_test(test_a_title_with_a_line_break_cannot_reach_a_header),
		cmocka_unit_test(test_texts_follow_the_recipient_language),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
