/* The words of kapd's emails.  Every sentence goes through the catalog (lib/i18n.h);
 * po/GLOSSARY.md fixes the terms; what a rule says comes from its row of the rule table
 * (core/rules.c).  A recipient reads one entry per item: the notifications of an item
 * for them (an owner reminder and an escalation, an escalation and the sponsor's) are
 * merged, and the entry states every reason and one request that fits their role. */
#include "core/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/report_text.h"
#include "core/textout.h"
#include "lib/i18n.h"
#include "lib/textcheck.h"

/* The notifications of one item for the recipient, most urgent first. */
struct entry {
	const struct mail_item **it;
	size_t n;
};

static const struct rule_def *
def_of(const struct mail_item *it)
{
	static const struct rule_def none = { "?", TARGET_ITEM, STAGE_DUE, ROLE_OWNER,
		URGENCY_TODAY, 0, 0, NULL, NULL, NULL };
	const struct rule_def *d = rules_def(it->rule);

	return d != NULL ? d : &none;
}

static int
same_item(const struct mail_item *a, const struct mail_item *b)
{
	return def_of(a)->target != TARGET_WEEK && def_of(b)->target != TARGET_WEEK &&
	    a->kind == b->kind && a->due == b->due && strcmp(a->plan_key, b->plan_key) == 0 &&
	    strcmp(a->item_key, b->item_key) == 0;
}

/* Urgency, then the table's order within it. */
static int
cmp_rank(const struct mail_item *x, const struct mail_item *y)
{
	const struct rule_def *a = def_of(x), *b = def_of(y);

	if (a->urgency != b->urgency)
		return (int)a->urgency - (int)b->urgency;
	return a->order - b->order;
}

/* Groups an item's notifications together, most urgent first. */
static int
cmp_group(const void *pa, const void *pb)
{
	const struct mail_item *x = *(const struct mail_item *const *)pa;
	const struct mail_item *y = *(const struct mail_item *const *)pb;
	int c = strcmp(x->plan_key, y->plan_key);

	if (c == 0)
		c = strcmp(x->item_key, y->item_key);
	if (c == 0)
		c = (int)x->kind - (int)y->kind;
	if (c == 0)
		c = x->due < y->due ? -1 : x->due > y->due;
	if (c == 0)
		c = (int)(def_of(x)->target == TARGET_WEEK) -
		    (int)(def_of(y)->target == TARGET_WEEK);
	return c != 0 ? c : cmp_rank(x, y);
}

/* Entries in reading order: plan, urgency, deadline, key. */
static int
cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	const struct mail_item *x = a->it[0], *y = b->it[0];
	int c = strcmp(x->plan_key, y->plan_key);

	if (c == 0)
		c = (int)def_of(x)->urgency - (int)def_of(y)->urgency;
	if (c == 0)
		c = x->due < y->due ? -1 : x->due > y->due;
	if (c == 0)
		c = strcmp(x->item_key, y->item_key);
	return c != 0 ? c : cmp_rank(x, y);
}

/* The entries of m (free *entries and *items); 0 or -1 without memory. */
static int
entries_of(const struct mail_message *m, struct entry **entries, size_t *n,
    const struct mail_item ***items)
{
	const struct mail_item **it = calloc(m->n_items + 1, sizeof(*it));
	struct entry *e = calloc(m->n_items + 1, sizeof(*e));
	size_t i, k = 0;

	if (it == NULL || e == NULL) {
		free(it);
		free(e);
		return -1;
	}
	for (i = 0; i < m->n_items; i++)
		it[i] = &m->items[i];
	qsort(it, m->n_items, sizeof(*it), cmp_group);
	for (i = 0; i < m->n_items; i++) {
		if (k == 0 || !same_item(e[k - 1].it[0], it[i]))
			e[k++].it = &it[i];
		e[k - 1].n++;
	}
	qsort(e, k, sizeof(*e), cmp_entry);
	*entries = e;
	*n = k;
	*items = it;
	return 0;
}

/* The rule table's headline for days (the days to or since the deadline).  The table's
 * msgids take one %ld or none; a unit test checks every row, and msgfmt --check checks
 * that each translation takes the same. */
static void
headline(struct sbuf *s, const char *lang, const struct rule_def *d, long days)
{
	unsigned long n = (unsigned long)(days < 0 ? -days : days);

	if (d->headline_pl == NULL) {
		sbuf_puts(s, i18n_tr(lang, d->headline));
		return;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	sbuf_printf(s, i18n_ntr(lang, d->headline, d->headline_pl, n), (long)n);
#pragma GCC diagnostic pop
}

static const char *
item_title(const struct mail_item *it)
{
	if (it->kind == KIND_PLAN)
		return it->plan_title != NULL ? it->plan_title : it->plan_key;
	return it->title != NULL ? it->title : it->item_key;
}

/* Appends s, cut with "…" so that out holds at most max characters. */
static void
put_cut(struct sbuf *out, const char *s, size_t max)
{
	size_t have = out->s != NULL ? text_utf8_len(out->s) : 0, n = 0;
	const char *p = s;

	if (have + text_utf8_len(s) <= max) {
		sbuf_puts(out, s);
		return;
	}
	for (; *p != '\0' && have + n + 1 < max; n++)
		do
			p++;
		while (((unsigned char)*p & 0xc0) == 0x80);
	while (p > s && p[-1] == ' ')
		p--;
	sbuf_add(out, s, (size_t)(p - s));
	sbuf_puts(out, "…");
}

/* "[Kessler 2026] Overdue for 3 days: Send the BZ 800 offer": the plan's title gives
 * way to the headline, the item's title fills the rest (at least 20 characters). */
static void
subject_one(const struct mail_message *m, const char *lang, const struct entry *e, struct sbuf *s)
{
	const struct mail_item *it = e->it[0];
	const struct rule_def *d = def_of(it);
	struct sbuf hl = SBUF_INIT, week = SBUF_INIT;
	long room;

	if (d->target == TARGET_WEEK) {
		report_week_label(lang, it->stage, &week);
		sbuf_printf(&hl, i18n_tr(lang, "Status report, %s"), week.s != NULL ? week.s : "");
		sbuf_free(&week);
	} else {
		headline(&hl, lang, d, (long)m->today - (long)it->due);
	}
	if (hl.s == NULL) {
		s->failed = 1;
		return;
	}
	room = DIGEST_SUBJECT_MAX - 3 - (long)text_utf8_len(hl.s) -
	    (d->target == TARGET_ITEM ? 22 : 0);
	sbuf_puts(s, "[");
	put_cut(s, it->plan_title != NULL ? it->plan_title : it->plan_key,
	    (size_t)(room < 12  ? 13
	            : room > 32 ? 33
	                        : room + 1));
	sbuf_puts(s, "] ");
	sbuf_puts(s, hl.s);
	sbuf_free(&hl);
	if (d->target == TARGET_ITEM) {
		sbuf_puts(s, ": ");
		put_cut(s, item_title(it), DIGEST_SUBJECT_MAX);
	}
}

/* Appends sep and part when they fit in the subject; 1 when they did. */
static int
put_fit(struct sbuf *s, const char *sep, const char *part)
{
	if (part == NULL ||
	    text_utf8_len(s->s != NULL ? s->s : "") + text_utf8_len(sep) + text_utf8_len(part) >
	        DIGEST_SUBJECT_MAX) {
		free((void *)part);
		return 0;
	}
	sbuf_puts(s, sep);
	sbuf_puts(s, part);
	free((void *)part);
	return 1;
}

/* "Kessler 2026: 2 overdue, 1 due today": the counts by urgency, most urgent first,
 * as many as fit (the body lists everything). */
static void
subject_counts(const char *lang, const struct entry *e, size_t n, struct sbuf *s)
{
	unsigned long c[URGENCY_COUNT] = { 0 };
	const char *plan = e[0].it[0]->plan_key, *sep = ": ";
	int single = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		c[def_of(e[i].it[0])->urgency]++;
		single &= strcmp(e[i].it[0]->plan_key, plan) == 0;
	}
	put_cut(s,
	    single ? (e[0].it[0]->plan_title ? e[0].it[0]->plan_title : plan)
	           : i18n_tr(lang, "Key account plans"),
	    32);
	if (c[URGENCY_OVERDUE] &&
	    put_fit(s, sep,
	        to_fmt(i18n_ntr(lang, "%lu overdue", "%lu overdue", c[URGENCY_OVERDUE]),
	            c[URGENCY_OVERDUE])))
		sep = ", ";
	if (c[URGENCY_TODAY] &&
	    put_fit(s, sep,
	        to_fmt(i18n_ntr(lang, "%lu due today", "%lu due today", c[URGENCY_TODAY]),
	            c[URGENCY_TODAY])))
		sep = ", ";
	if (c[URGENCY_REPORT] &&
	    put_fit(s, sep,
	        to_fmt(i18n_ntr(lang, "%lu status report", "%lu status reports", c[URGENCY_REPORT]),
	            c[URGENCY_REPORT])))
		sep = ", ";
	if (c[URGENCY_SOON])
		put_fit(s, sep,
		    to_fmt(i18n_ntr(lang, "%lu coming up", "%lu coming up", c[URGENCY_SOON]),
		        c[URGENCY_SOON]));
}

/* Whatever the parts, the subject ends within DIGEST_SUBJECT_MAX characters. */
static void
cap(struct sbuf *s)
{
	struct sbuf c = SBUF_INIT;

	if (s->s == NULL || text_utf8_len(s->s) <= DIGEST_SUBJECT_MAX)
		return;
	put_cut(&c, s->s, DIGEST_SUBJECT_MAX);
	s->len = 0;
	sbuf_puts(s, c.s != NULL ? c.s : "");
	sbuf_free(&c);
}

void
digest_subject(const struct mail_message *m, struct sbuf *s)
{
	const char *lang = i18n_lang(m->lang);
	const struct mail_item **items = NULL;
	struct entry *e = NULL;
	size_t n = 0;

	if (m->n_items == 0 || entries_of(m, &e, &n, &items) < 0) {
		sbuf_puts(s, "kapd");
		return;
	}
	if (n == 1)
		subject_one(m, lang, &e[0], s);
	else
		subject_counts(lang, e, n, s);
	free(e);
	free(items);
	cap(s);
}

/* ---------------------------------------------------------------------------------- */
/* The body */

static const char *
kind_word(const char *lang, enum item_kind kind)
{
	return kind == KIND_MILESTONE ? i18n_tr(lang, "Milestone")
	    : kind == KIND_ACTIVITY   ? i18n_tr(lang, "Activity")
	                              : i18n_tr(lang, "Annual update");
}

static const char *
section_title(const char *lang, enum urgency u)
{
	static const char *const titles[URGENCY_COUNT] = {
		[URGENCY_OVERDUE] = N_("Overdue and escalations"),
		[URGENCY_TODAY] = N_("Due today"),
		[URGENCY_SOON] = N_("Coming up"),
		[URGENCY_REPORT] = N_("Status report"),
	};

	return i18n_tr(lang, titles[u]);
}

/* The deadline's state: "Overdue for 9 days", "Due today", "Due in 2 days". */
static void
state_phrase(struct sbuf *s, const char *lang, kdate_t due, kdate_t today)
{
	long k = (long)today - (long)due;

	if (k > 0)
		sbuf_printf(s,
		    i18n_ntr(lang, "Overdue for %ld day", "Overdue for %ld days", (unsigned long)k),
		    k);
	else if (k == 0)
		sbuf_puts(s, i18n_tr(lang, "Due today"));
	else
		sbuf_printf(
		    s, i18n_ntr(lang, "Due in %ld day", "Due in %ld days", (unsigned long)-k), -k);
}

static void
add_reason(struct sbuf *s, const char *r)
{
	if (r == NULL || *r == '\0' || (s->s != NULL && strstr(s->s, r) != NULL))
		return;
	sbuf_puts(s, "; ");
	sbuf_puts(s, r);
}

/* Why the recipient reads this entry, every reason once: the state, the escalations,
 * the missing owner, the substitution, the risk. */
static void
reasons(struct sbuf *s, const char *lang, const struct entry *e, kdate_t today)
{
	size_t i;

	state_phrase(s, lang, e->it[0]->due, today);
	for (i = 0; i < e->n; i++) {
		const struct mail_item *it = e->it[i];
		const struct rule_def *d = def_of(it);

		if (d->stage == STAGE_ONCE && it->role != d->role && it->role == ROLE_SPONSOR)
			add_reason(s, i18n_tr(lang, "escalated to you as sponsor"));
		else if (d->reason != NULL)
			add_reason(s, i18n_tr(lang, d->reason));
		if (it->unowned)
			add_reason(s,
			    i18n_tr(lang,
			        "no owner can be reached by email, so it comes "
			        "to you as key account manager"));
		if (it->at_risk)
			add_reason(s,
			    i18n_tr(lang,
			        "at risk: activities of this milestone are "
			        "overdue"));
	}
	sbuf_puts(s, ".");
}

/* The highest role of the entry's recipient: sponsor, KAM, owner. */
static enum rule_role
entry_role(const struct entry *e, int *unowned)
{
	enum rule_role role = ROLE_OWNER;
	size_t i;

	*unowned = 0;
	for (i = 0; i < e->n; i++) {
		if (e->it[i]->role > role)
			role = e->it[i]->role;
		*unowned |= e->it[i]->unowned;
	}
	return role;
}

/* What the recipient is asked to do, by the role they hold for this item. */
static void
request(struct out *o, const struct entry *e)
{
	const struct mail_item *it = e->it[0];
	int unowned;
	enum rule_role role = entry_role(e, &unowned);

	if (role == ROLE_SPONSOR)
		to_both(o, 4, "<br>", "", "%s",
		    i18n_tr(o->lang,
		        "For your information: please "
		        "back the key account manager in resolving this."));
	else if (it->kind == KIND_PLAN)
		to_both(o, 4, "<br>", "", "%s",
		    i18n_tr(o->lang,
		        "Please review the plan with "
		        "the key account team and record the annual update."));
	else if (unowned)
		to_both(o, 4, "<br>", "", "%s",
		    i18n_tr(o->lang,
		        "Please assign an owner or take "
		        "care of it yourself."));
	else if (role == ROLE_KAM)
		to_both(o, 4, "<br>", "", i18n_tr(o->lang, "Please follow up with %s."),
		    it->owner_name != NULL ? it->owner_name : "?");
	else
		/* The owner may be the KAM: the request names no role they might not hold. */
		to_both(o, 4, "<br>", "", "%s",
		    i18n_tr(o->lang,
		        "Please complete it, or agree on "
		        "a new deadline within the key account team."));
}

/* An annual-update reminder carries the summary since the last annual update: what the
 * KAM reviews (SPEC §10). */
static void
update_details(struct out *o, const struct report *r)
{
	const struct report_update *u = &r->update;
	char date[64], *c;
	size_t i;

	if (!u->has)
		return;
	to_both(o, 4, "<br>", "",
	    i18n_tr(o->lang,
	        "Since the annual update of %s: %d added, "
	        "%d done, %d cancelled, %d with a moved deadline, %d with a new owner."),
	    i18n_short_date(o->lang, u->day, date, sizeof(date)), u->added, u->done, u->cancelled,
	    u->moved, u->owners);
	for (i = 0; i < u->n_most_moved; i++) {
		c = report_change_text(o->lang, &u->most_moved[i]);
		to_both(o, 4, "<br>", "", "%s [%s]: %s",
		    u->most_moved[i].title ? u->most_moved[i].title : u->most_moved[i].key,
		    u->most_moved[i].key, c != NULL ? c : "");
		free(c);
	}
}

static void
entry_out(struct out *o, const struct entry *e, kdate_t today)
{
	const struct mail_item *it = e->it[0];
	struct sbuf why = SBUF_INIT;
	char date[64];
	size_t i;

	/* The text part's list mark; HTML has the table row. */
	to_line(o, 2, "* %s: %s%s%s%s", kind_word(o->lang, it->kind), item_title(it),
	    it->kind == KIND_PLAN ? "" : " [", it->kind == KIND_PLAN ? "" : it->item_key,
	    it->kind == KIND_PLAN ? "" : "]");
	to_html(o, "<tr><td style=\"" TO_CELL "\"><b>");
	to_esc(o, kind_word(o->lang, it->kind));
	to_html(o, ": ");
	to_esc(o, item_title(it));
	to_html(o, "</b>");
	if (it->kind != KIND_PLAN) {
		to_html(o, " <span style=\"" TO_MUTED "\">[");
		to_esc(o, it->item_key);
		to_html(o, "]</span>");
	}
	to_both(o, 4, "<br>", "", i18n_tr(o->lang, "Deadline: %s"),
	    i18n_date(o->lang, it->due, date, sizeof(date)));
	if (it->kind != KIND_PLAN)
		to_both(o, 4, "<br>", "", i18n_tr(o->lang, "Owner: %s"),
		    it->owner_name != NULL ? it->owner_name : i18n_tr(o->lang, "not assigned"));
	reasons(&why, o->lang, e, today);
	to_both(o, 4, "<br>", "", "%s", why.s != NULL ? why.s : "");
	sbuf_free(&why);
	for (i = 0; i < e->n; i++)
		if (e->it[i]->on_behalf_name != NULL) {
			to_both(o, 4, "<br>", "",
			    i18n_tr(o->lang,
			        "You receive this as substitute "
			        "for %s."),
			    e->it[i]->on_behalf_name);
			break;
		}
	if (it->kind == KIND_PLAN && it->report != NULL)
		update_details(o, it->report);
	request(o, e);
	to_html(o, "</td></tr>\n");
	to_blank(o);
}

static void
plan_heading(struct out *o, const struct mail_item *it)
{
	to_blank(o);
	to_line(o, 0, "== %s ==", it->plan_title != NULL ? it->plan_title : it->plan_key);
	to_blank(o);
	to_html(o,
	    "<h2 style=\"font-size:18px;margin:24px 0 4px 0;border-bottom:2px solid "
	    "#1f4e79;color:#1f4e79\">");
	to_esc(o, it->plan_title != NULL ? it->plan_title : it->plan_key);
	to_html(o, "</h2>\n");
}

static void
section_heading(struct out *o, const char *title)
{
	to_both(o, 0, "<h3 style=\"font-size:15px;margin:16px 0 4px 0\">", "</h3>\n", "%s", title);
	to_blank(o);
}

static void
table_open(struct out *o)
{
	to_html(o,
	    "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" "
	    "width=\"100%\" style=\"" TO_TABLE "\">\n");
}

static void
body_entries(struct out *o, const struct mail_message *m, const struct entry *e, size_t n)
{
	const char *plan = NULL;
	int section = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mail_item *it = e[i].it[0];
		const struct rule_def *d = def_of(it);

		if (plan == NULL || strcmp(plan, it->plan_key) != 0) {
			if (section >= 0 && section != URGENCY_REPORT)
				to_html(o, "</table>\n");
			plan = it->plan_key;
			section = -1;
			plan_heading(o, it);
		}
		if (d->target == TARGET_WEEK) {
			if (section >= 0 && section != URGENCY_REPORT)
				to_html(o, "</table>\n");
			section = URGENCY_REPORT;
			report_text(o, it, m->today);
			continue;
		}
		if ((int)d->urgency != section) {
			if (section >= 0 && section != URGENCY_REPORT)
				to_html(o, "</table>\n");
			section = (int)d->urgency;
			section_heading(o, section_title(o->lang, d->urgency));
			table_open(o);
		}
		entry_out(o, &e[i], m->today);
	}
	if (section >= 0 && section != URGENCY_REPORT)
		to_html(o, "</table>\n");
}

/* Entries are sorted by plan first. */
static unsigned long
count_plans(const struct entry *e, size_t n)
{
	unsigned long plans = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (i == 0 || strcmp(e[i].it[0]->plan_key, e[i - 1].it[0]->plan_key) != 0)
			plans++;
	return plans;
}

/* Why the reader receives the mail and what an answer does. */
static void
body_footer(struct out *o, int reply_commands, unsigned long plans)
{
	const char *muted = "<p style=\"" TO_MUTED ";font-size:12px;margin-top:24px\">";

	to_blank(o);
	if (reply_commands)
		to_both(o, 0, muted, "</p>\n", "%s",
		    i18n_ntr(o->lang,
		        "You receive this email because you belong to the key account team of this "
		        "plan. Answer it to update the plan, one command a line: \"done KEY\" when "
		        "an item is done, \"date KEY 2026-12-15\" to move its deadline.",
		        "You receive this email because you belong to the key account team of "
		        "these plans. Answer it to update them, one command a line: \"done KEY\" "
		        "when an item is done, \"date KEY 2026-12-15\" to move its deadline.",
		        plans));
	else
		to_both(o, 0, muted, "</p>\n", "%s",
		    i18n_ntr(o->lang,
		        "You receive this email because you belong to the key account team of this "
		        "plan. Replies go to its key account manager.",
		        "You receive this email because you belong to the key account team of "
		        "these plans. Replies go to the key account manager of the plan concerned.",
		        plans));
}

void
digest_bodies(const struct mail_message *m, struct sbuf *text, struct sbuf *html)
{
	struct out o = { text, html, i18n_lang(m->lang), 1 };
	const struct mail_item **items = NULL;
	struct entry *e = NULL;
	size_t n = 0;
	unsigned long plans;

	sbuf_printf(html,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\"></head>\n<body style=\""
	    "margin:0;padding:16px;" TO_FONT "\">\n<div style=\"max-width:680px\">\n",
	    o.lang);
	to_both(&o, 0, "<p>", "</p>\n", i18n_tr(o.lang, "Hello %s,"),
	    m->to_name && *m->to_name ? m->to_name : m->to_addr);
	to_blank(&o);
	if (entries_of(m, &e, &n, &items) < 0) {
		text->failed = 1;
		return;
	}
	plans = count_plans(e, n);
	to_both(&o, 0, "<p>", "</p>\n", "%s",
	    i18n_ntr(o.lang,
	        "Here is what needs your "
	        "attention in your key account plan.",
	        "Here is what needs your attention in your "
	        "key account plans.",
	        plans));
	body_entries(&o, m, e, n);
	free(e);
	free(items);
	body_footer(&o, m->reply_commands, plans);
	to_blank(&o);
	sbuf_puts(text, "-- \r\nkapd\r\n");
	sbuf_puts(html,
	    "<p style=\"" TO_MUTED ";font-size:12px\">-- <br>kapd</p>\n</div>\n"
	    "</body></html>\n");
}
