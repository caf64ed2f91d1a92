/* Composition of notification emails.  This version writes English text/plain mails
 * with the headers SPEC §4 and §6 require; localisation and the HTML part come with the
 * mail issue.  Line ends are CRLF everywhere (RFC 5322 §2.1). */
#include "mail.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "textcheck.h"

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

int
mail_header_text(struct sbuf *b, const char *text, size_t used)
{
	size_t n;

	if (!text_is_line(text))
		return -EINVAL;
	/* RFC 2047 §5: an encoded word must not look like one by accident, so plain text
	 * with "=?" is encoded too; 78 is RFC 5322 §2.1.1's recommended line length. */
	if (plain_ascii(text) && strstr(text, "=?") == NULL && used + strlen(text) <= 78) {
		sbuf_puts(b, text);
		return 0;
	}
	while (*text != '\0') {
		n = utf8_cut(text, WORD_BYTES);
		sbuf_puts(b, "=?UTF-8?B?");
		base64(b, (const unsigned char *)text, n);
		sbuf_puts(b, "?=");
		text += n;
		if (*text != '\0')
			sbuf_puts(b, "\r\n "); /* RFC 2047 §2: each encoded word on its own line */
	}
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
		} else if (mail_header_text(b, name, 80) < 0) {
			return -EINVAL;
		}
		sbuf_puts(b, "\r\n ");
	}
	sbuf_printf(b, "<%s>\r\n", addr);
	return 0;
}

static void
date_header(struct sbuf *b, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	/* RFC 5322 §3.3, in English whatever the locale. */
	sbuf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Overdue and escalations first, then due today, then upcoming, then reports. */
static int
urgency(enum rule r)
{
	switch (r) {
	case RULE_ESCALATION:
	case RULE_SPONSOR:
	case RULE_REVIEW_ESCALATION:
	case RULE_OVERDUE:
	case RULE_REVIEW_OVERDUE:
		return 0;
	case RULE_DUE:
	case RULE_REVIEW_DUE:
		return 1;
	case RULE_UPCOMING:
	case RULE_REVIEW_UPCOMING:
		return 2;
	default:
		return 3;
	}
}

static const char *const urgency_titles[] = { "Overdue and escalations", "Due today",
	"Coming up", "Reports" };

static const char *
rule_label(enum rule r)
{
	static const char *const labels[RULE_COUNT] = { "coming up", "due today", "overdue",
		"escalation: overdue", "escalation to the sponsor: overdue",
		"annual plan update coming up", "annual plan update due today",
		"annual plan update overdue", "escalation: annual plan update overdue",
		"weekly status report" };

	return r < RULE_COUNT ? labels[r] : "?";
}

static int
cmp_items(const void *a, const void *b)
{
	const struct mail_item *x = *(const struct mail_item *const *)a;
	const struct mail_item *y = *(const struct mail_item *const *)b;
	int c = strcmp(x->plan_key, y->plan_key);

	if (c == 0)
		c = urgency(x->rule) - urgency(y->rule);
	if (c == 0)
		c = x->due < y->due ? -1 : x->due > y->due;
	if (c == 0)
		c = strcmp(x->item_key, y->item_key);
	return c;
}

static void
item_text(struct sbuf *b, const struct mail_item *it, kdate_t today)
{
	char due[KDATE_STRLEN];
	long k = (long)today - (long)it->due;

	if (it->rule == RULE_STATUS_REPORT) {
		sbuf_printf(b, "  * Weekly status report of this plan (%s)\r\n", it->stage);
		return;
	}
	sbuf_printf(b, "  * %s: %s [%s]\r\n", it->kind == KIND_PLAN ? "Plan" :
	    it->kind == KIND_MILESTONE ? "Milestone" : "Activity",
	    it->title ? it->title : it->item_key, it->item_key);
	sbuf_printf(b, "    %s, deadline %s", rule_label(it->rule), kdate_format(it->due, due));
	if (k > 0)
		sbuf_printf(b, " (%ld day%s ago)", k, k == 1 ? "" : "s");
	else if (k < 0)
		sbuf_printf(b, " (in %ld day%s)", -k, k == -1 ? "" : "s");
	sbuf_puts(b, "\r\n");
	if (it->kind != KIND_PLAN)
		sbuf_printf(b, "    owner: %s%s\r\n", it->owner_name ? it->owner_name : "nobody",
		    it->unowned ? " (no owner who can be mailed: reported to you as KAM)" : "");
	if (it->at_risk)
		sbuf_puts(b, "    at risk: activities of this milestone are overdue\r\n");
	if (it->on_behalf_name)
		sbuf_printf(b, "    you receive this as substitute for %s\r\n", it->on_behalf_name);
}

static void
body_text(struct sbuf *b, const struct mail_message *m, const struct mail_item **sorted)
{
	const char *plan = NULL;
	int section = -1;
	size_t i;

	sbuf_printf(b, "Hello %s,\r\n\r\n", m->to_name && *m->to_name ? m->to_name : m->to_addr);
	sbuf_printf(b, "kapd has %zu notification%s for you.\r\n", m->n_items,
	    m->n_items == 1 ? "" : "s");
	for (i = 0; i < m->n_items; i++) {
		if (plan == NULL || strcmp(plan, sorted[i]->plan_key) != 0) {
			plan = sorted[i]->plan_key;
			section = -1;
			sbuf_printf(b, "\r\n== %s (%s)\r\n", sorted[i]->plan_title ?
			    sorted[i]->plan_title : plan, plan);
		}
		if (urgency(sorted[i]->rule) != section) {
			section = urgency(sorted[i]->rule);
			sbuf_printf(b, "\r\n%s\r\n", urgency_titles[section]);
		}
		item_text(b, sorted[i], m->today);
	}
	sbuf_puts(b, "\r\nYou receive this because you are on the key account team of these "
	    "plans.\r\n-- \r\nkapd\r\n");
}

static int
check_items(const struct mail_message *m)
{
	size_t i;

	for (i = 0; i < m->n_items; i++) {
		const struct mail_item *it = &m->items[i];

		if (!text_is_key(it->item_key) || !text_is_key(it->plan_key) ||
		    (it->title && !text_is_line(it->title)) ||
		    (it->plan_title && !text_is_line(it->plan_title)) ||
		    (it->owner_name && !text_is_line(it->owner_name)) ||
		    !text_is_key(it->stage))
			return -EINVAL;
	}
	return 0;
}

static void
subject_text(struct sbuf *s, const struct mail_message *m)
{
	int count[4] = { 0, 0, 0, 0 };
	size_t i;

	if (m->n_items == 1) {
		sbuf_printf(s, "kapd: %s: %s", rule_label(m->items[0].rule),
		    m->items[0].kind == KIND_PLAN ? (m->items[0].plan_title ?
		    m->items[0].plan_title : m->items[0].plan_key) :
		    (m->items[0].title ? m->items[0].title : m->items[0].item_key));
		return;
	}
	for (i = 0; i < m->n_items; i++)
		count[urgency(m->items[i].rule)]++;
	sbuf_printf(s, "kapd: %d overdue, %d due today, %d coming up", count[0], count[1],
	    count[2]);
	if (count[3])
		sbuf_printf(s, ", %d report%s", count[3], count[3] == 1 ? "" : "s");
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
	date_header(b, m->date);
	if (address_header(b, "From", name, addr) < 0 ||
	    address_header(b, "To", m->to_name, m->to_addr) < 0 ||
	    (m->reply_to && address_header(b, "Reply-To", NULL, m->reply_to) < 0))
		goto out;
	subject_text(&subject, m);
	if (sbuf_finish(&subject, &subj, NULL) < 0) {
		r = -ENOMEM;
		goto out;
	}
	sbuf_puts(b, "Subject: ");
	if (mail_header_text(b, subj, 9) < 0)
		goto out;
	sbuf_printf(b, "\r\nMessage-ID: %s\r\n", m->message_id);
	/* RFC 3834 §5: automatic, so no vacation replies or loops. */
	sbuf_puts(b, "Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"
	    "MIME-Version: 1.0\r\n");
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

static void
body_part(struct sbuf *b, const char *text, size_t len)
{
	size_t i;

	sbuf_puts(b, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	/* 57 octets -> 76 base64 characters per line (RFC 2045 §6.8). */
	for (i = 0; i < len; i += 57) {
		base64(b, (const unsigned char *)text + i, len - i < 57 ? len - i : 57);
		sbuf_puts(b, "\r\n");
	}
}

int
mail_compose(const struct mail_message *m, char **out, size_t *len, char *err, size_t errlen)
{
	const struct mail_item **sorted = calloc(m->n_items + 1, sizeof(*sorted));
	struct sbuf b = SBUF_INIT, text = SBUF_INIT;
	char *body = NULL;
	size_t i, body_len = 0;
	int r = -ENOMEM;

	if (sorted == NULL)
		goto out;
	for (i = 0; i < m->n_items; i++)
		sorted[i] = &m->items[i];
	qsort(sorted, m->n_items, sizeof(*sorted), cmp_items);
	r = check_items(m);
	if (r == 0)
		r = headers(&b, m);
	if (r < 0) {
		snprintf(err, errlen, "unsafe header value for %s (control characters or a bad "
		    "address)", m->to_addr);
		goto out;
	}
	kap_headers(&b, sorted, m->n_items);
	body_text(&text, m, sorted);
	r = sbuf_finish(&text, &body, &body_len);
	if (r == 0) {
		body_part(&b, body, body_len);
		r = sbuf_finish(&b, out, len);
	}
	if (r < 0)
		snprintf(err, errlen, "out of memory");
out:
	sbuf_free(&b);
	sbuf_free(&text);
	free(body);
	free(sorted);
	return r;
}
