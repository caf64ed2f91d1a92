/* replyanswer: composing the answer to a reply (see replyanswer.h).  Every text goes
 * through the catalogs; keys, dates and the lines quoted back were checked before. */
#include "core/replyanswer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mail.h"
#include "lib/i18n.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"

/* What each verb does, for the command list (the words are in replycmd's table). */
static const char *const verb_help[] = {
	[REPLYCMD_DONE] = N_("the item is done today"),
	[REPLYCMD_DATE] = N_("the deadline moves to DATE"),
	[REPLYCMD_REVIEWED] = N_("the plan's annual update is recorded (key account manager only)"),
};

static void line(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line(struct sbuf *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sbuf_printf(b, "  %s\n", buf);
}

static const char *
state_word(const char *lang, const char *state)
{
	return strcmp(state, "done") == 0     ? i18n_tr(lang, "done")
	    : strcmp(state, "cancelled") == 0 ? i18n_tr(lang, "cancelled")
	    : strcmp(state, "archived") == 0  ? i18n_tr(lang, "archived")
	                                      : state;
}

/* A date of the store ("YYYY-MM-DD") as the reader's language writes it. */
static const char *
date_text(const char *lang, const char *iso, char *buf, size_t len)
{
	kdate_t d;

	if (kdate_parse(iso, &d) < 0)
		return iso[0] != '\0' ? iso : "-";
	return i18n_short_date(lang, d, buf, len);
}

static void
effect_line(struct sbuf *b, const struct replyanswer *a, size_t i)
{
	const struct reply_action *act = &a->dec->act[i];
	const struct reply_effect *e = &a->eff[i];
	const struct reply_item *it = &a->mail->items[act->item];
	const char *lang = a->lang;
	char d1[64], d2[64];

	if (e->kind == REPLY_GONE)
		line(b, i18n_tr(lang, "%s: no longer in the plan, nothing changed"), it->key);
	else if (e->kind == REPLY_UNCHANGED && act->verb == REPLYCMD_DATE &&
	    strcmp(e->state, "open") == 0)
		line(b, i18n_tr(lang, "%s: unchanged, the deadline already is %s"), it->key,
		    date_text(lang, e->new_value, d1, sizeof(d1)));
	else if (e->kind == REPLY_UNCHANGED)
		line(b, i18n_tr(lang, "%s: unchanged, it is %s"),
		    act->verb == REPLYCMD_REVIEWED ? it->plan_key : it->key,
		    state_word(lang, e->state));
	else if (act->verb == REPLYCMD_DONE)
		line(b, i18n_tr(lang, "%s: marked done"), it->key);
	else if (act->verb == REPLYCMD_DATE)
		line(b, i18n_tr(lang, "%s: deadline moved from %s to %s"), it->key,
		    date_text(lang, e->old_value, d1, sizeof(d1)),
		    date_text(lang, e->new_value, d2, sizeof(d2)));
	else
		line(b, i18n_tr(lang, "Plan %s: annual update recorded, the next one is due %s"),
		    it->plan_key, date_text(lang, e->new_value, d1, sizeof(d1)));
}

/* The command word as typed is not kept; the verb's word in the reader's language is. */
static const char *
verb_word(const char *lang, enum replycmd_verb v)
{
	size_t n;
	const struct replycmd_word *w = replycmd_words(&n);
	const char *want = i18n_lang(lang);

	/* A language without its own command words reads the source language's. */
	for (size_t i = 0; i < n; i++)
		if (w[i].verb == v && strcmp(w[i].lang, want) == 0)
			return w[i].word;
	return replycmd_verb_name(v);
}

static void
refusal_line(
    struct sbuf *b, const struct replyanswer *a, const struct replycmd *c, enum reply_cmd_outcome o)
{
	const char *lang = a->lang;

	if (o == REPLY_CMD_NOT_IN_MAIL)
		line(b, i18n_tr(lang, "%s: not an item of the mail you answered"), c->key);
	else if (o == REPLY_CMD_WHICH_ITEM)
		line(b,
		    i18n_tr(lang,
		        "%s: which item? The mail you answered held several; write "
		        "the item's key after the command"),
		    verb_word(lang, c->verb));
	else if (o == REPLY_CMD_KAM_ONLY)
		line(b,
		    i18n_tr(lang,
		        "%s: only the plan's key account manager can record the "
		        "annual update"),
		    verb_word(lang, c->verb));
}

static size_t
not_understood(struct sbuf *b, const struct replyanswer *a)
{
	const struct replycmd_list *l = a->cmds;
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += a->dec->outcome[i] != REPLY_CMD_OK;
	n += l->n_bad + l->n_dropped;
	if (n == 0)
		return 0;
	sbuf_printf(b, "\n%s\n", i18n_tr(a->lang, "Not understood:"));
	for (size_t i = 0; i < l->n; i++)
		if (a->dec->outcome[i] != REPLY_CMD_OK)
			refusal_line(b, a, &l->cmd[i], a->dec->outcome[i]);
	for (size_t i = 0; i < l->n_bad; i++)
		line(b, i18n_tr(a->lang, "\"%s\": not a command kapd knows"), l->bad[i]);
	if (l->n_dropped > 0)
		line(b,
		    i18n_ntr(a->lang, "%lu more command was not read (at most %d a reply)",
		        "%lu more commands were not read (at most %d a reply)", l->n_dropped),
		    (unsigned long)l->n_dropped, REPLYCMD_MAX);
	return n;
}

static void
command_list(struct sbuf *b, const char *lang)
{
	size_t n;
	const struct replycmd_word *w = replycmd_words(&n);

	sbuf_printf(b, "\n%s\n", i18n_tr(lang, "Commands, one a line, above the quoted mail:"));
	for (int v = REPLYCMD_DONE; v <= REPLYCMD_REVIEWED; v++) {
		char usage[160] = "";
		size_t o = 0;

		for (size_t i = 0; i < n; i++)
			if ((int)w[i].verb == v)
				str_appendf(
				    usage, sizeof(usage), &o, "%s%s", o ? " / " : "", w[i].usage);
		line(b, "%s: %s", usage, i18n_tr(lang, verb_help[v]));
	}
	sbuf_printf(b, "%s\n",
	    i18n_tr(lang,
	        "KEY may be left out when the mail held one item; "
	        "DATE is written 2026-12-15 or 15.12.2026."));
}

int
replyanswer_text(const struct replyanswer *a, char **out, size_t *len)
{
	struct sbuf b = SBUF_INIT;

	if (a->dec->n_act > 0) {
		sbuf_printf(&b, "%s\n", i18n_tr(a->lang, "What your reply did:"));
		for (size_t i = 0; i < a->dec->n_act; i++)
			effect_line(&b, a, i);
	}
	if (not_understood(&b, a) == 0 && a->dec->n_act == 0)
		sbuf_printf(&b, "%s\n",
		    i18n_tr(a->lang,
		        "Your reply held no command kapd "
		        "understands."));
	command_list(&b, a->lang);
	sbuf_puts(&b, "\n-- \nkapd\n");
	return sbuf_finish(&b, out, len);
}

/* "Re: <subject>" when the subject is printable, else a subject of our own. */
static int
subject_header(struct sbuf *b, const struct replyanswer *a)
{
	char subj[400];
	const char *s = a->subject;

	if (s != NULL && text_is_line(s) && strlen(s) < 300) {
		snprintf(subj, sizeof(subj), "%s%s",
		    strncasecmp(s, "Re:", 3) == 0 || strncasecmp(s, "AW:", 3) == 0 ? "" : "Re: ",
		    s);
	} else {
		snprintf(subj, sizeof(subj), "%s", i18n_tr(a->lang, "Your reply to kapd"));
	}
	sbuf_puts(b, "Subject: ");
	if (mail_header_text(b, subj, 9) < 0)
		return -EINVAL;
	sbuf_puts(b, "\r\n");
	return 0;
}

/* A Message-ID fit to be quoted: printable ASCII without space or angle brackets. */
static int
id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > 250)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= 0x20 || id[i] >= 0x7f || id[i] == '<' || id[i] == '>')
			return 0;
	return 1;
}

static int
headers(struct sbuf *b, const struct replyanswer *a, char *err, size_t errlen)
{
	size_t n = strlen(a->from) + 1;
	char name[512], addr[512];

	if (n > sizeof(name) || mail_parse_address(a->from, name, addr) < 0 ||
	    !text_is_email(a->to)) {
		snprintf(err, errlen, "no usable sender or recipient address");
		return -EINVAL;
	}
	mail_date_header(b, a->date);
	sbuf_puts(b, "From: ");
	if (name[0] != '\0' && mail_header_text(b, name, 6) < 0)
		return -EINVAL;
	sbuf_printf(b, "%s<%s>\r\nTo: <%s>\r\n", name[0] ? " " : "", addr, a->to);
	if (subject_header(b, a) < 0)
		return -EINVAL;
	sbuf_printf(b, "Message-ID: %s\r\n", a->message_id);
	if (id_ok(a->in_reply_to))
		sbuf_printf(
		    b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", a->in_reply_to, a->in_reply_to);
	/* RFC 3834 §5: an automatic answer; X-Auto-Response-Suppress keeps Exchange's
	 * out-of-office from answering it. */
	sbuf_printf(b,
	    "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Language: %s\r\n\r\n",
	    i18n_lang(a->lang));
	return 0;
}

/* The body's LF line ends become CRLF inside the base64 (RFC 2046 §4.1.1). */
static int
crlf(const char *text, size_t len, char **out, size_t *olen)
{
	struct sbuf b = SBUF_INIT;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			sbuf_add(&b, "\r", 1);
		sbuf_add(&b, text + i, 1);
	}
	return sbuf_finish(&b, out, olen);
}

int
replyanswer_compose(const struct replyanswer *a, char **out, size_t *len, char *err, size_t errlen)
{
	struct sbuf b = SBUF_INIT;
	char *body = NULL, *body2 = NULL;
	size_t blen = 0, blen2 = 0;
	int r;

	if ((r = headers(&b, a, err, errlen)) < 0)
		goto out;
	if ((r = replyanswer_text(a, &body, &blen)) < 0 ||
	    (r = crlf(body, blen, &body2, &blen2)) < 0)
		goto out;
	mail_base64_lines(&b, body2, blen2);
	r = sbuf_finish(&b, out, len);
	if (r < 0)
		snprintf(err, errlen, "out of memory");
out:
	if (r < 0)
		sbuf_free(&b);
	free(body);
	free(body2);
	return r;
}
