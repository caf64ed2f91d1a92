/* Composition of notification emails: the headers of SPEC §4 and §6, RFC 2047 encoded
 * words, and a multipart/alternative body whose words come from digest.c.  Line ends are
 * CRLF everywhere (RFC 5322 §2.1). */
#include "core/mail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "lib/i18n.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"

#define WORD_BYTES 45 /* 45 octets -> 60 base64 characters: 72 with "=?UTF-8?B?" "?=" */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
base64(struct sbuf *b, const unsigned char *p, size_t n)
{
	char out[4];
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		out[0] = b64[p[i] >> 2];
		out[1] = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[2] = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[3] = b64[p[i + 2] & 63];
		sbuf_add(b, out, 4);
	}
	if (i < n) {
		out[0] = b64[p[i] >> 2];
		out[1] = b64[((p[i] & 3) << 4) | (i + 1 < n ? p[i + 1] >> 4 : 0)];
		out[2] = i + 1 < n ? b64[(p[i + 1] & 15) << 2] : '=';
		out[3] = '=';
		sbuf_add(b, out, 4);
	}
}

static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The length of the longest prefix of s of at most max octets that ends on a UTF-8
 * character boundary. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Text as RFC 2047 "B" encoded words, each on its own line (folded with CRLF SP).  §2: a
 * word is at most 75 characters and a line holding one at most 76, so the first word
 * takes what the field name left of its line (used), and when not even one character
 * fits there the text starts on the next line.  "=?UTF-8?B?" and "?=" take 12
 * characters, base64 4 for every 3 octets. */
static void
encode_words(struct sbuf *b, const char *text, size_t used)
{
	size_t n, room;

	while (*text != '\0') {
		room = used + 12 + 4 <= 76 ? (76 - used - 12) / 4 * 3 : 0;
		n = utf8_cut(text, room < WORD_BYTES ? room : WORD_BYTES);
		if (n > 0) {
			sbuf_puts(b, "=?UTF-8?B?");
			base64(b, (const unsigned char *)text, n);
			sbuf_puts(b, "?=");
			text += n;
		}
		if (*text != '\0')
			sbuf_puts(b, "\r\n ");
		used = 1;
	}
}

int
mail_header_text(struct sbuf *b, const char *text, size_t used)
{
	if (!text_is_line(text))
		return -EINVAL;
	/* RFC 2047 §5: an encoded word must not look like one by accident, so plain text
	 * with "=?" is encoded too; 78 is RFC 5322 §2.1.1's recommended line length. */
	if (plain_ascii(text) && strstr(text, "=?") == NULL && used + strlen(text) <= 78)
		sbuf_puts(b, text);
	else
		encode_words(b, text, used);
	return 0;
}

int
mail_parse_address(const char *from, char *name, char *addr)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n;

	name[0] = '\0';
	if (lt == NULL) {
		memcpy(addr, from, strlen(from) + 1);
	} else {
		if (gt == NULL || gt[1] != '\0')
			return -EINVAL;
		n = (size_t)(lt - from);
		while (n > 0 && from[n - 1] == ' ')
			n--;
		memcpy(name, from, n);
		name[n] = '\0';
		memcpy(addr, lt + 1, (size_t)(gt - lt - 1));
		addr[gt - lt - 1] = '\0';
	}
	return text_is_email(addr) && text_is_line(name) ? 0 : -EINVAL;
}

/* "Name" <addr>: the name as a quoted string when it is plain ASCII, else encoded words
 * (RFC 2047 §5(3) allows them in a phrase, never inside quotes). */
static int
address_header(struct sbuf *b, const char *field, const char *name, const char *addr)
{
	const char *p;

	if (!text_is_email(addr))
		return -EINVAL;
	sbuf_printf(b, "%s: ", field);
	if (name != NULL && *name != '\0') {
		if (plain_ascii(name) && strstr(name, "=?") == NULL && strlen(name) < 60) {
			sbuf_puts(b, "\"");
			for (p = name; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					sbuf_puts(b, "\\");
				sbuf_add(b, p, 1);
			}
			sbuf_puts(b, "\"");
		} else if (!text_is_line(name)) {
			return -EINVAL;
		} else {
			encode_words(b, name, strlen(field) + 2);
		}
		sbuf_puts(b, "\r\n ");
	}
	sbuf_printf(b, "<%s>\r\n", addr);
	return 0;
}

void
mail_date_header(struct sbuf *b, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	struct tm tm;

	gmtime_r(&t, &tm);
	/* RFC 5322 §3.3, in English whatever the locale. */
	sbuf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	    tm.tm_mday, i18n_month_abbr_c(tm.tm_mon + 1), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
}

static int
cmp_items(const void *a, const void *b)
{
	const struct mail_item *x = *(const struct mail_item *const *)a;
	const struct mail_item *y = *(const struct mail_item *const *)b;
	int c = strcmp(x->plan_key, y->plan_key);

	if (c == 0)
		c = (int)rules_def(x->rule)->urgency - (int)rules_def(y->rule)->urgency;
	if (c == 0)
		c = rules_def(x->rule)->order - rules_def(y->rule)->order;
	if (c == 0)
		c = x->due < y->due ? -1 : x->due > y->due;
	if (c == 0)
		c = strcmp(x->item_key, y->item_key);
	return c;
}

static int
check_items(const struct mail_message *m)
{
	size_t i;

	for (i = 0; i < m->n_items; i++) {
		const struct mail_item *it = &m->items[i];

		if (rules_def(it->rule) == NULL || !text_is_key(it->item_key) ||
		    !text_is_key(it->plan_key) || (it->title && !text_is_line(it->title)) ||
		    (it->plan_title && !text_is_line(it->plan_title)) ||
		    (it->owner_name && !text_is_line(it->owner_name)) || !text_is_key(it->stage))
			return -EINVAL;
	}
	return 0;
}

static int
headers(struct sbuf *b, const struct mail_message *m)
{
	char *name = malloc(strlen(m->from) + 1), *addr = malloc(strlen(m->from) + 1);
	struct sbuf subject = SBUF_INIT;
	char *subj = NULL;
	int r = -ENOMEM;

	if (name == NULL || addr == NULL)
		goto out;
	r = -EINVAL;
	if (mail_parse_address(m->from, name, addr) < 0)
		goto out;
	mail_date_header(b, m->date);
	if (address_header(b, "From", name, addr) < 0 ||
	    address_header(b, "To", m->to_name, m->to_addr) < 0 ||
	    (m->reply_to && address_header(b, "Reply-To", NULL, m->reply_to) < 0))
		goto out;
	digest_subject(m, &subject);
	if (sbuf_finish(&subject, &subj, NULL) < 0) {
		r = -ENOMEM;
		goto out;
	}
	sbuf_puts(b, "Subject: ");
	if (mail_header_text(b, subj, 9) < 0)
		goto out;
	sbuf_printf(b, "\r\nMessage-ID: %s\r\n", m->message_id);
	if (m->references != NULL)
		sbuf_printf(b, "References: %s\r\n", m->references);
	/* RFC 3834 §5: automatic, so no vacation replies or loops. */
	sbuf_puts(b,
	    "Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"
	    "MIME-Version: 1.0\r\n");
	/* RFC 3282: the language the text is written in. */
	sbuf_printf(b, "Content-Language: %s\r\n", i18n_lang(m->lang));
	r = 0;
out:
	free(subj);
	free(name);
	free(addr);
	return r;
}

/* One X-KAP-Plan per plan and one X-KAP-Item per notification (SPEC §6). */
static void
kap_headers(struct sbuf *b, const struct mail_item **sorted, size_t n)
{
	char due[KDATE_STRLEN];
	size_t i;

	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(sorted[i]->plan_key, sorted[i - 1]->plan_key) != 0)
			sbuf_printf(b, "X-KAP-Plan: %s\r\n", sorted[i]->plan_key);
	for (i = 0; i < n; i++)
		sbuf_printf(b, "X-KAP-Item: %s; rule=%s; stage=%s; due=%s\r\n", sorted[i]->item_key,
		    rules_rule_name(sorted[i]->rule), sorted[i]->stage,
		    kdate_format(sorted[i]->due, due));
}

/* 57 octets -> 76 base64 characters per line (RFC 2045 §6.8). */
static void
base64_lines(struct sbuf *b, const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 57) {
		base64(b, (const unsigned char *)text + i, len - i < 57 ? len - i : 57);
		sbuf_puts(b, "\r\n");
	}
}

void
mail_base64_lines(struct sbuf *b, const char *text, size_t len)
{
	base64_lines(b, text, len);
}

/* multipart/alternative, plain text first (RFC 2046 §5.1.4: the preferred part last).
 * The boundary contains "=_", which base64 never produces, so no part can contain it. */
#define BOUNDARY "=_kapd_alternative_="

static void
body_parts(struct sbuf *b, const char *text, size_t tlen, const char *html, size_t hlen)
{
	sbuf_puts(b,
	    "Content-Type: multipart/alternative; boundary=\"" BOUNDARY "\"\r\n\r\n"
	    "--" BOUNDARY "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(b, text, tlen);
	sbuf_puts(b,
	    "--" BOUNDARY "\r\nContent-Type: text/html; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	base64_lines(b, html, hlen);
	sbuf_puts(b, "--" BOUNDARY "--\r\n");
}

int
mail_compose(const struct mail_message *m, char **out, size_t *len, char *err, size_t errlen)
{
	const struct mail_item **sorted = calloc(m->n_items + 1, sizeof(*sorted));
	struct sbuf b = SBUF_INIT, text = SBUF_INIT, html = SBUF_INIT;
	char *tbody = NULL, *hbody = NULL;
	size_t i, tlen = 0, hlen = 0;
	int r = -ENOMEM;

	if (sorted == NULL)
		goto out;
	r = m->n_items > 0 ? check_items(m) : -EINVAL;
	for (i = 0; r == 0 && i < m->n_items; i++)
		sorted[i] = &m->items[i];
	if (r == 0)
		qsort(sorted, m->n_items, sizeof(*sorted), cmp_items);
	if (r == 0)
		r = headers(&b, m);
	if (r < 0) {
		snprintf(err, errlen,
		    "unsafe header value for %s (control characters or a bad "
		    "address)",
		    m->to_addr);
		goto out;
	}
	kap_headers(&b, sorted, m->n_items);
	digest_bodies(m, &text, &html);
	r = sbuf_finish(&text, &tbody, &tlen);
	if (r == 0)
		r = sbuf_finish(&html, &hbody, &hlen);
	if (r == 0) {
		body_parts(&b, tbody, tlen, hbody, hlen);
		r = sbuf_finish(&b, out, len);
	}
	if (r < 0)
		snprintf(err, errlen, "out of memory");
out:
	sbuf_free(&b);
	sbuf_free(&text);
	sbuf_free(&html);
	free(tbody);
	free(hbody);
	free(sorted);
	return r;
}
