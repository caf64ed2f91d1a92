/* The words of kapd's emails.  Every sentence goes through the catalog (daemon/i18n.h);
 * po/GLOSSARY.md fixes the terms.  Each output primitive writes the plain-text and the
 * HTML version together, so the two parts cannot drift apart. */
#include "core/digest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"

struct out {
	struct sbuf *t, *h;
	const char *lang;
};

static void
html_escape(struct sbuf *h, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': sbuf_puts(h, "&amp;"); break;
		case '<': sbuf_puts(h, "&lt;"); break;
		case '>': sbuf_puts(h, "&gt;"); break;
		case '"': sbuf_puts(h, "&quot;"); break;
		case '\'': sbuf_puts(h, "&#39;"); break;
		case '\n': sbuf_puts(h, "<br>"); break;
		case '\r': break;
		default: sbuf_add(h, s, 1); break;
		}
	}
}

/* Plain text uses CRLF (RFC 5322 §2.3); a line break inside a value is a CRLF too. */
static void
text_line(struct sbuf *t, const char *indent, const char *s)
{
	sbuf_puts(t, indent);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			sbuf_printf(t, "\r\n%s", indent);
		else if (*s != '\r')
			sbuf_add(t, s, 1);
	}
	sbuf_puts(t, "\r\n");
}

enum piece { HEAD2, HEAD3, HEAD4, PARA, ITEM, DETAIL };

/* Writes one formatted piece of text in both parts. */
static void __attribute__((format(printf, 3, 0)))
vput(struct out *o, enum piece kind, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	switch (kind) {
	case HEAD2:
	case HEAD3:
	case HEAD4:
		sbuf_printf(o->t, "\r\n%s %s\r\n", kind == HEAD2 ? "==" : kind == HEAD3 ? "--" :
		    "  >", s);
		sbuf_printf(o->h, "<h%d style=\"margin:18px 0 6px\">", 2 + (int)(kind - HEAD2));
		html_escape(o->h, s);
		sbuf_printf(o->h, "</h%d>\n", 2 + (int)(kind - HEAD2));
		break;
	case PARA:
		text_line(o->t, "", s);
		sbuf_puts(o->t, "\r\n");
		sbuf_puts(o->h, "<p>");
		html_escape(o->h, s);
		sbuf_puts(o->h, "</p>\n");
		break;
	case ITEM:
		/* A list item: its first line, then detail lines. */
		text_line(o->t, "  * ", s);
		sbuf_puts(o->h, "<li style=\"margin-bottom:6px\"><b>");
		html_escape(o->h, s);
		sbuf_puts(o->h, "</b>");
		break;
	case DETAIL:
		text_line(o->t, "    ", s);
		sbuf_puts(o->h, "<br>");
		html_escape(o->h, s);
		break;
	}
	free(s);
}

static void __attribute__((format(printf, 3, 4)))
heading(struct out *o, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, level == 2 ? HEAD2 : level == 3 ? HEAD3 : HEAD4, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
para(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, PARA, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
item(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, ITEM, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
detail(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(o, DETAIL, fmt, ap);
	va_end(ap);
}

static void
item_end(struct out *o)
{
	sbuf_puts(o->h, "</li>\n");
}

static void
list_begin(struct out *o)
{
	sbuf_puts(o->h, "<ul>\n");
}

static void
list_end(struct out *o)
{
	sbuf_puts(o->h, "</ul>\n");
}

int
digest_urgency(enum rule r)
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

static const char *
section_title(const char *lang, int urgency)
{
	static const char *const titles[] = { N_("Overdue and escalations"), N_("Due today"),
		N_("Coming up"), N_("Reports") };

	return i18n_tr(lang, titles[urgency]);
}

static const char *
kind_word(const char *lang, enum item_kind kind)
{
	return kind == KIND_MILESTONE ? i18n_tr(lang, "Milestone") :
	    kind == KIND_ACTIVITY ? i18n_tr(lang, "Activity") : i18n_tr(lang, "Plan");
}

/* "overdue by 3 days", "due today", "due in 2 days" for a deadline. */
static void
when(struct out *o, kdate_t due, kdate_t today)
{
	char date[64];
	long k = (long)today - (long)due;

	i18n_date(o->lang, due, date, sizeof(date));
	if (k > 0)
		detail(o, i18n_ntr(o->lang, "Deadline: %s, overdue by %ld day",
		    "Deadline: %s, overdue by %ld days", (unsigned long)k), date, k);
	else if (k == 0)
		detail(o, i18n_tr(o->lang, "Deadline: %s, today"), date);
	else
		detail(o, i18n_ntr(o->lang, "Deadline: %s, in %ld day", "Deadline: %s, in %ld days",
		    (unsigned long)-k), date, -k);
}

/* Why this person gets this notification. */
static const char *
reason(const char *lang, enum rule r)
{
	static const char *const reasons[RULE_COUNT] = {
		N_("Reminder: the deadline is coming up."),
		N_("Reminder: the deadline is today."),
		N_("Reminder: the deadline has passed."),
		N_("Escalation: this item is overdue; as key account manager, please follow up."),
		N_("Escalation to the sponsor: this item is badly overdue."),
		N_("The annual update of this plan is coming up."),
		N_("The annual update of this plan is due today."),
		N_("The annual update of this plan is overdue."),
		N_("Escalation to the sponsor: the annual update of this plan is badly overdue."),
		N_("The weekly status report of this plan."),
	};

	return r < RULE_COUNT ? i18n_tr(lang, reasons[r]) : "";
}

static void
item_line(struct out *o, const struct report_item *it, kdate_t today, int show_owner)
{
	char date[64];
	long k = (long)today - (long)it->due;

	item(o, "%s: %s [%s]", strcmp(it->kind, "milestone") == 0 ?
	    i18n_tr(o->lang, "Milestone") : i18n_tr(o->lang, "Activity"),
	    it->title ? it->title : it->key, it->key);
	i18n_short_date(o->lang, it->due, date, sizeof(date));
	if (k > 0)
		detail(o, i18n_ntr(o->lang, "Deadline: %s, overdue by %ld day",
		    "Deadline: %s, overdue by %ld days", (unsigned long)k), date, k);
	else
		detail(o, i18n_tr(o->lang, "Deadline: %s"), date);
	if (show_owner)
		detail(o, i18n_tr(o->lang, "Owner: %s"), it->owner ? it->owner :
		    i18n_tr(o->lang, "nobody"));
	item_end(o);
}

static void
items_or_none(struct out *o, const struct report_item *v, size_t n, kdate_t today)
{
	size_t i;

	if (n == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < n; i++)
		item_line(o, &v[i], today, 1);
	list_end(o);
}

static void
report_done(struct out *o, const struct report *r)
{
	char date[64];
	size_t i;

	heading(o, 4, i18n_tr(o->lang, "Done since %s"), i18n_short_date(o->lang, r->since, date,
	    sizeof(date)));
	if (r->n_done == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < r->n_done; i++) {
		item(o, "%s [%s]", r->done[i].title ? r->done[i].title : r->done[i].key,
		    r->done[i].key);
		detail(o, i18n_tr(o->lang, "Done on %s by %s"), i18n_short_date(o->lang,
		    r->done[i].done_on, date, sizeof(date)), r->done[i].owner ? r->done[i].owner :
		    i18n_tr(o->lang, "nobody"));
		item_end(o);
	}
	list_end(o);
}

/* Overdue items grouped by owner (the query sorts them by owner). */
static void
report_overdue(struct out *o, const struct report *r)
{
	const char *owner = NULL;
	size_t i;

	heading(o, 4, "%s", i18n_tr(o->lang, "Overdue, by owner"));
	if (r->n_overdue == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	for (i = 0; i < r->n_overdue; i++) {
		const char *who = r->overdue[i].owner ? r->overdue[i].owner :
		    i18n_tr(o->lang, "nobody");

		if (owner == NULL || strcmp(owner, who) != 0) {
			if (owner != NULL)
				list_end(o);
			owner = who;
			para(o, i18n_tr(o->lang, "Owner: %s"), who);
			list_begin(o);
		}
		item_line(o, &r->overdue[i], r->today, 0);
	}
	list_end(o);
}

static void
report_milestones(struct out *o, const struct report *r)
{
	char date[64];
	size_t i;

	heading(o, 4, "%s", i18n_tr(o->lang, "Milestones"));
	if (r->n_milestones == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < r->n_milestones; i++) {
		const struct report_item *m = &r->milestones[i];

		item(o, "%s [%s]", m->title ? m->title : m->key, m->key);
		detail(o, i18n_tr(o->lang, "Deadline: %s"), i18n_short_date(o->lang, m->due, date,
		    sizeof(date)));
		detail(o, i18n_ntr(o->lang, "%d of %d linked activity done",
		    "%d of %d linked activities done", (unsigned long)m->total), m->done, m->total);
		if (m->at_risk)
			detail(o, "%s", i18n_tr(o->lang, "At risk: activities of this milestone are "
			    "overdue."));
		item_end(o);
	}
	list_end(o);
}

static const char *
section_problem(const char *lang, const struct report_section *s)
{
	static const struct {
		const char *name, *empty, *label;
	} names[] = {
		{ "contacts", N_("No contacts with a role in the buying decision"), N_("Contacts") },
		{ "needs", N_("No customer needs recorded"), N_("Needs") },
		{ "competitors", N_("No competitors recorded"), N_("Competitors") },
		{ "history", N_("No revenue history"), N_("History") },
		{ "swot", N_("No SWOT analysis"), N_("SWOT") },
		{ "goals", N_("No goals"), N_("Goals") },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, s->name) == 0)
			return i18n_tr(lang, s->empty ? names[i].empty : names[i].label);
	return s->name;
}

static void
report_sections(struct out *o, const struct report *r)
{
	char date[64];
	size_t i;

	heading(o, 4, "%s", i18n_tr(o->lang, "Plan sections to complete or review"));
	if (r->n_sections == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < r->n_sections; i++) {
		if (r->sections[i].empty)
			item(o, "%s", section_problem(o->lang, &r->sections[i]));
		else
			item(o, i18n_tr(o->lang, "%s: unchanged since %s"),
			    section_problem(o->lang, &r->sections[i]),
			    i18n_short_date(o->lang, r->sections[i].changed, date, sizeof(date)));
		item_end(o);
	}
	list_end(o);
}

static void
report_failures(struct out *o, const struct report *r)
{
	char date[64];
	size_t i;

	heading(o, 4, "%s", i18n_tr(o->lang, "Notifications that could not be delivered"));
	if (r->n_failed == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < r->n_failed; i++) {
		const struct report_failure *f = &r->failed[i];

		item(o, "%s: %s", i18n_short_date(o->lang, f->day, date, sizeof(date)),
		    f->recipient ? f->recipient : "?");
		detail(o, "%s %s %s", f->rule ? f->rule : "", f->stage ? f->stage : "",
		    f->item ? f->item : "");
		if (f->error)
			detail(o, "%s", f->error);
		item_end(o);
	}
	list_end(o);
}

static void
change_line(struct out *o, const struct report_change *c)
{
	item(o, "%s [%s]", c->title ? c->title : c->key, c->key);
	if (strcmp(c->field, "due") == 0)
		detail(o, i18n_ntr(o->lang, "Deadline %s → %s (%+ld days), moved %d time",
		    "Deadline %s → %s (%+ld days), moved %d times", (unsigned long)c->times),
		    c->from ? c->from : "-", c->to ? c->to : "-", c->days, c->times);
	else
		detail(o, i18n_tr(o->lang, "Owner %s → %s"), c->from ? c->from :
		    i18n_tr(o->lang, "nobody"), c->to ? c->to : i18n_tr(o->lang, "nobody"));
	item_end(o);
}

/* SPEC §2: moved deadlines and owner changes since the last report. */
static void
report_changes(struct out *o, const struct report *r)
{
	char date[64];
	size_t i;

	if (r->n_changes == 0)
		return;
	heading(o, 4, i18n_tr(o->lang, "Deadlines moved and owners changed since %s"),
	    i18n_short_date(o->lang, r->since, date, sizeof(date)));
	list_begin(o);
	for (i = 0; i < r->n_changes; i++)
		change_line(o, &r->changes[i]);
	list_end(o);
}

/* SPEC §10: a short "since the last annual update" summary. */
static void
report_since_update(struct out *o, const struct report *r)
{
	const struct report_update *u = &r->update;
	char date[64];
	size_t i;

	if (!u->has)
		return;
	para(o, i18n_tr(o->lang, "Since the annual update of %s: %d added, %d done, "
	    "%d cancelled, %d with a moved deadline, %d with a new owner."),
	    i18n_short_date(o->lang, u->day, date, sizeof(date)), u->added, u->done,
	    u->cancelled, u->moved, u->owners);
	if (u->n_most_moved == 0)
		return;
	para(o, "%s", i18n_tr(o->lang, "Moved most often:"));
	list_begin(o);
	for (i = 0; i < u->n_most_moved; i++)
		change_line(o, &u->most_moved[i]);
	list_end(o);
}

/* A date of the store ("YYYY-MM-DD") in the reader's language. */
static const char *
stored_date(const char *lang, const char *iso, char *buf, size_t len)
{
	kdate_t d;

	return iso != NULL && kdate_parse(iso, &d) == 0 ? i18n_short_date(lang, d, buf, len) :
	    iso != NULL ? iso : "-";
}

/* What team members changed by answering a mail (SPEC §8), with old and new dates. */
static void
report_by_reply(struct out *o, const struct report *r)
{
	char d1[64], d2[64];
	size_t i;

	heading(o, 4, "%s", i18n_tr(o->lang, "Changed by reply"));
	if (r->n_by_reply == 0) {
		para(o, "%s", i18n_tr(o->lang, "None."));
		return;
	}
	list_begin(o);
	for (i = 0; i < r->n_by_reply; i++) {
		const struct report_reply_change *c = &r->by_reply[i];
		const char *f = c->field != NULL ? c->field : "";

		if (strcmp(f, "due") == 0)
			item(o, i18n_tr(o->lang, "%s: deadline moved from %s to %s"), c->item,
			    stored_date(o->lang, c->old_value, d1, sizeof(d1)),
			    stored_date(o->lang, c->new_value, d2, sizeof(d2)));
		else if (strcmp(f, "next_review") == 0)
			item(o, i18n_tr(o->lang, "Annual update recorded, the next one is due %s"),
			    stored_date(o->lang, c->new_value, d1, sizeof(d1)));
		else
			item(o, i18n_tr(o->lang, "%s: marked done"), c->item);
		detail(o, i18n_tr(o->lang, "By reply from %s on %s"), c->sender ? c->sender : "?",
		    i18n_short_date(o->lang, c->day, d1, sizeof(d1)));
		item_end(o);
	}
	list_end(o);
}

/* The same summary inside an annual-update reminder: what the KAM reviews. */
static void
update_details(struct out *o, const struct report *r)
{
	const struct report_update *u = &r->update;
	const struct report_change *c;
	char date[64];
	size_t i;

	if (!u->has)
		return;
	detail(o, i18n_tr(o->lang, "Since the annual update of %s: %d added, %d done, "
	    "%d cancelled, %d with a moved deadline, %d with a new owner."),
	    i18n_short_date(o->lang, u->day, date, sizeof(date)), u->added, u->done,
	    u->cancelled, u->moved, u->owners);
	for (i = 0; i < u->n_most_moved; i++) {
		c = &u->most_moved[i];
		detail(o, i18n_ntr(o->lang, "%s [%s]: %s → %s, moved %d time",
		    "%s [%s]: %s → %s, moved %d times", (unsigned long)c->times),
		    c->title ? c->title : c->key, c->key, c->from ? c->from : "-",
		    c->to ? c->to : "-", c->times);
	}
}

/* The weekly status report (SPEC §3), readable in under a minute: the sections in the
 * order a KAM acts on them. */
static void
status_report(struct out *o, const struct report *r)
{
	char date[64];
	long k = (long)r->next_review - (long)r->today;

	list_end(o); /* leave the list the report's item opened */
	report_overdue(o, r);
	heading(o, 4, "%s", i18n_tr(o->lang, "Due in the next four weeks"));
	items_or_none(o, r->upcoming, r->n_upcoming, r->today);
	report_milestones(o, r);
	report_done(o, r);
	report_changes(o, r);
	report_by_reply(o, r);
	heading(o, 4, "%s", i18n_tr(o->lang, "Annual update"));
	i18n_date(o->lang, r->next_review, date, sizeof(date));
	if (!r->has_review)
		para(o, "%s", i18n_tr(o->lang, "No annual update is scheduled."));
	else if (k >= 0)
		para(o, i18n_ntr(o->lang, "Next annual update: %s, in %ld day",
		    "Next annual update: %s, in %ld days", (unsigned long)k), date, k);
	else
		para(o, i18n_ntr(o->lang, "Next annual update: %s, overdue by %ld day",
		    "Next annual update: %s, overdue by %ld days", (unsigned long)-k), date, -k);
	report_since_update(o, r);
	report_sections(o, r);
	report_failures(o, r);
	list_begin(o);
}

static void
one_item(struct out *o, const struct mail_item *it, kdate_t today)
{
	if (it->rule == RULE_STATUS_REPORT) {
		item(o, i18n_tr(o->lang, "Weekly status report (%s)"), it->stage);
		item_end(o);
		return;
	}
	if (it->kind == KIND_PLAN)
		item(o, "%s: %s", i18n_tr(o->lang, "Annual update"),
		    it->plan_title ? it->plan_title : it->plan_key);
	else
		item(o, "%s: %s [%s]", kind_word(o->lang, it->kind),
		    it->title ? it->title : it->item_key, it->item_key);
	detail(o, "%s", reason(o->lang, it->rule));
	when(o, it->due, today);
	if (it->kind != KIND_PLAN)
		detail(o, i18n_tr(o->lang, "Owner: %s"), it->owner_name ? it->owner_name :
		    i18n_tr(o->lang, "nobody"));
	if (it->unowned)
		detail(o, "%s", i18n_tr(o->lang, "No owner who can be reached by email: reported to "
		    "you as key account manager."));
	if (it->at_risk)
		detail(o, "%s", i18n_tr(o->lang, "At risk: activities of this milestone are overdue."));
	if (it->on_behalf_name)
		detail(o, i18n_tr(o->lang, "You receive this as substitute for %s."),
		    it->on_behalf_name);
	if (it->kind == KIND_PLAN && it->report != NULL)
		update_details(o, it->report);
	item_end(o);
}

void
digest_bodies(const struct mail_message *m, const struct mail_item *const *sorted,
    struct sbuf *text, struct sbuf *html)
{
	struct out o = { text, html, i18n_lang(m->lang) };
	const char *plan = NULL;
	int section = -1;
	size_t i;

	sbuf_printf(html, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	    "</head>\n<body style=\"font-family:sans-serif\">\n", o.lang);
	para(&o, i18n_tr(o.lang, "Hello %s,"), m->to_name && *m->to_name ? m->to_name : m->to_addr);
	para(&o, "%s", i18n_tr(o.lang, "here is what needs your attention in your key account "
	    "plans."));
	for (i = 0; i < m->n_items; i++) {
		if (plan == NULL || strcmp(plan, sorted[i]->plan_key) != 0) {
			if (section >= 0)
				list_end(&o);
			plan = sorted[i]->plan_key;
			section = -1;
			heading(&o, 2, "%s (%s)", sorted[i]->plan_title ? sorted[i]->plan_title : plan,
			    plan);
		}
		if (digest_urgency(sorted[i]->rule) != section) {
			if (section >= 0)
				list_end(&o);
			section = digest_urgency(sorted[i]->rule);
			heading(&o, 3, "%s", section_title(o.lang, section));
			list_begin(&o);
		}
		one_item(&o, sorted[i], m->today);
		if (sorted[i]->rule == RULE_STATUS_REPORT && sorted[i]->report != NULL)
			status_report(&o, sorted[i]->report);
	}
	if (section >= 0)
		list_end(&o);
	sbuf_puts(text, "\r\n");
	if (m->reply_commands)
		para(&o, "%s", i18n_tr(o.lang, "You receive this because you are on the key account "
		    "team of these plans. Answer this mail to update the plan, one command a line: "
		    "\"done KEY\" when an item is done, \"date KEY 2026-12-15\" to move its "
		    "deadline."));
	else
		para(&o, "%s", i18n_tr(o.lang, "You receive this because you are on the key account "
		    "team of these plans. A reply reaches the plan's key account manager."));
	sbuf_puts(text, "-- \r\nkapd\r\n");
	sbuf_puts(html, "<p style=\"color:#666\">-- <br>kapd</p>\n</body></html>\n");
}

void
digest_subject(const struct mail_message *m, struct sbuf *s)
{
	const char *lang = i18n_lang(m->lang), *sep = "";
	unsigned long count[4] = { 0, 0, 0, 0 };
	const struct mail_item *it = &m->items[0];
	size_t i;
	int single_plan = 1;

	if (m->n_items == 1 && it->rule != RULE_STATUS_REPORT) {
		sbuf_printf(s, "%s: %s", reason(lang, it->rule), it->kind == KIND_PLAN ?
		    (it->plan_title ? it->plan_title : it->plan_key) :
		    (it->title ? it->title : it->item_key));
		return;
	}
	for (i = 0; i < m->n_items; i++) {
		count[digest_urgency(m->items[i].rule)]++;
		single_plan &= strcmp(m->items[i].plan_key, it->plan_key) == 0;
	}
	sbuf_printf(s, "%s: ", single_plan && it->plan_title ? it->plan_title :
	    i18n_tr(lang, "Key account plans"));
	if (count[0]) {
		sbuf_printf(s, i18n_tr(lang, "%lu overdue"), count[0]);
		sep = ", ";
	}
	if (count[1]) {
		sbuf_puts(s, sep);
		sbuf_printf(s, i18n_tr(lang, "%lu due today"), count[1]);
		sep = ", ";
	}
	if (count[2]) {
		sbuf_puts(s, sep);
		sbuf_printf(s, i18n_tr(lang, "%lu coming up"), count[2]);
		sep = ", ";
	}
	if (count[3]) {
		sbuf_puts(s, sep);
		sbuf_puts(s, i18n_tr(lang, "weekly status report"));
	}
}
