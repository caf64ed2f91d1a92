/* replyauth: the authorisation rules of replies (SPEC §8) and where a reply's key is. */
#include "core/replyauth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum reply_verdict
replyauth_check(const struct reply_mail *m, const char *from, time_t now)
{
	if (now > m->expires)
		return REPLY_EXPIRED;
	/* Domains are case-insensitive (RFC 5321 §2.4); local parts are in practice too,
	 * and a person's address differs from another's by more than case. */
	if (from == NULL || strcasecmp(from, m->email) != 0)
		return REPLY_WRONG_SENDER;
	return REPLY_ACCEPTED;
}

/* The index of the first item (not plan) of the mail at or after i; n_items when none. */
static size_t
next_item(const struct reply_mail *m, size_t i)
{
	while (i < m->n_items && m->items[i].kind == KIND_PLAN)
		i++;
	return i;
}

/* The mail item a key names: an exact match, else one that differs in case only (people
 * type keys in lower case).  -1 when none. */
static long
find_item(const struct reply_mail *m, const char *key)
{
	long loose = -1;

	for (size_t i = next_item(m, 0); i < m->n_items; i = next_item(m, i + 1)) {
		if (strcmp(m->items[i].key, key) == 0)
			return (long)i;
		if (loose < 0 && strcasecmp(m->items[i].key, key) == 0)
			loose = (long)i;
	}
	return loose;
}

/* The only item (not plan) of the mail, counted by key; -1 when none or several. */
static long
only_item(const struct reply_mail *m)
{
	size_t first = next_item(m, 0);

	if (first == m->n_items)
		return -1;
	for (size_t i = next_item(m, first + 1); i < m->n_items; i = next_item(m, i + 1))
		if (m->items[first].kind != m->items[i].kind ||
		    strcmp(m->items[first].key, m->items[i].key) != 0)
			return -1;
	return (long)first;
}

/* The plan a "reviewed" is for: the one plan of the mail; -1 when several, -2 when the
 * sender is not its KAM. */
static long
review_plan(const struct reply_mail *m)
{
	long found = -1;

	for (size_t i = 0; i < m->n_items; i++) {
		if (found >= 0 && strcmp(m->items[found].plan_key, m->items[i].plan_key) != 0)
			return -1;
		if (found < 0 || (m->items[i].kam && !m->items[found].kam))
			found = (long)i;
	}
	return found >= 0 && !m->items[found].kam ? -2 : found;
}

static enum reply_cmd_outcome
decide_one(
    const struct reply_mail *m, const struct replycmd *c, kdate_t today, struct reply_action *a)
{
	long i;

	a->verb = c->verb;
	a->date = c->verb == REPLYCMD_DATE ? c->date : today;
	if (c->verb == REPLYCMD_REVIEWED) {
		i = review_plan(m);
		if (i == -2)
			return REPLY_CMD_KAM_ONLY;
	} else if (c->key[0] != '\0') {
		if ((i = find_item(m, c->key)) < 0)
			return REPLY_CMD_NOT_IN_MAIL;
	} else {
		i = only_item(m);
	}
	if (i < 0)
		return REPLY_CMD_WHICH_ITEM;
	a->item = (size_t)i;
	return REPLY_CMD_OK;
}

void
replyauth_decide(const struct reply_mail *m, const struct replycmd_list *l, kdate_t today,
    struct reply_decision *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < l->n; i++) {
		d->outcome[i] = decide_one(m, &l->cmd[i], today, &d->act[d->n_act]);
		if (d->outcome[i] == REPLY_CMD_OK)
			d->n_act++;
	}
}

static int
is_hex_key(const char *p)
{
	for (int i = 0; i < REPLY_KEY_LEN; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		        (p[i] >= 'A' && p[i] <= 'F')))
			return 0;
	return 1;
}

static void
take_key(const char *p, char *key)
{
	for (int i = 0; i < REPLY_KEY_LEN; i++)
		key[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
	key[REPLY_KEY_LEN] = '\0';
}

int
replyauth_key_from_address(const char *pattern, const char *addr, char *key)
{
	const char *k = pattern != NULL ? strstr(pattern, "{key}") : NULL;
	size_t pre, post, n = addr != NULL ? strlen(addr) : 0;

	if (k == NULL)
		return -ENOENT;
	pre = (size_t)(k - pattern);
	post = strlen(k + 5);
	if (n != pre + REPLY_KEY_LEN + post || strncasecmp(addr, pattern, pre) != 0 ||
	    strcasecmp(addr + pre + REPLY_KEY_LEN, k + 5) != 0 || !is_hex_key(addr + pre))
		return -ENOENT;
	take_key(addr + pre, key);
	return 0;
}

int
replyauth_key_from_ids(const char *ids, char *key)
{
	const char *p = ids;

	while (p != NULL && (p = strstr(p, "<kapd-")) != NULL) {
		const char *end = strpbrk(p + 1, "<>"), *at = strchr(p, '@');

		/* <kapd-TOKEN.KEY@domain>: the key is the 32 digits before the '@'. */
		if (at != NULL && (end == NULL || at < end) && at - p > REPLY_KEY_LEN + 6 &&
		    at[-REPLY_KEY_LEN - 1] == '.' && is_hex_key(at - REPLY_KEY_LEN)) {
			take_key(at - REPLY_KEY_LEN, key);
			return 0;
		}
		p += 6;
	}
	return -ENOENT;
}

void
replyauth_message_id(const char *token, const char *key, const char *domain, char *buf, size_t len)
{
	snprintf(buf, len, "<%s.%s@%s>", token, key, domain);
}

/* The first word of a header value, lower case, into buf. */
static const char *
first_word(const char *v, char *buf, size_t len)
{
	size_t i = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (i + 1 < len && v[i] != '\0' && v[i] != ';' && v[i] != ' ' && v[i] != '\t' &&
	    v[i] != '\r' && v[i] != '\n') {
		buf[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] - 'A' + 'a' : v[i]);
		i++;
	}
	buf[i] = '\0';
	return buf;
}

const char *
replyauth_automatic(const struct reply_auto_headers *h)
{
	static const char *const daemons[] = { "mailer-daemon@", "postmaster@", "mail-daemon@",
		NULL };
	char w[64];

	if (h->auto_submitted != NULL &&
	    strcmp(first_word(h->auto_submitted, w, sizeof(w)), "no") != 0)
		return "Auto-Submitted";
	if (h->precedence != NULL &&
	    (strcmp(first_word(h->precedence, w, sizeof(w)), "bulk") == 0 ||
	        strcmp(w, "junk") == 0 || strcmp(w, "list") == 0 || strcmp(w, "auto_reply") == 0))
		return "Precedence";
	if (h->return_path != NULL && strspn(h->return_path, " \t<>") == strlen(h->return_path))
		return "empty Return-Path";
	if (h->content_type != NULL &&
	    strcmp(first_word(h->content_type, w, sizeof(w)), "multipart/report") == 0)
		return "a delivery report";
	if (h->list_id != NULL)
		return "List-Id";
	if (h->x_autoreply != NULL)
		return "X-Autoreply";
	for (size_t i = 0; h->from != NULL && daemons[i] != NULL; i++)
		if (strncasecmp(h->from, daemons[i], strlen(daemons[i])) == 0)
			return "a mailer daemon";
	if (h->from == NULL || h->from[0] == '\0')
		return "no From address";
	return NULL;
}
