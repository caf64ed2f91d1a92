#include "core/report_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"

/* A table row: the first cell is the list item of the text part, the others its detail
 * line ("Deadline: 01.12.2026; Owner: Anna Berg"); in HTML one cell each under the
 * column heads. */
static void
row(struct out *o, const char *const *heads, char *const *cells, int n)
{
	int i;

	to_line(o, 4, "* %s", cells[0] != NULL ? cells[0] : "");
	to_html(o, "<tr>");
	for (i = 0; i < n; i++) {
		to_html(o, "<td style=\"" TO_CELL "\">");
		to_esc(o, cells[i]);
		to_html(o, "</td>");
	}
	to_html(o, "</tr>\n");
	if (n > 1) {
		struct sbuf d = SBUF_INIT;

		for (i = 1; i < n; i++) {
			if (cells[i] == NULL || *cells[i] == '\0')
				continue;
			if (d.len > 0)
				sbuf_puts(&d, "; ");
			sbuf_printf(&d, i18n_tr(o->lang, "%1$s: %2$s"), heads[i], cells[i]);
		}
		if (d.len > 0)
			to_line(o, 6, "%s", d.s);
		sbuf_free(&d);
	}
	for (i = 0; i < n; i++)
		free(cells[i]);
}

static void
table_begin(struct out *o, const char *const *heads, int n)
{
	int i;

	to_html(o,
	    "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" "
	    "width=\"100%\" style=\"" TO_TABLE "\">\n<tr>");
	for (i = 0; i < n; i++) {
		to_html(o,
		    "<th style=\"" TO_CELL ";" TO_MUTED ";font-weight:normal;"
		    "font-size:12px\">");
		to_esc(o, heads[i]);
		to_html(o, "</th>");
	}
	to_html(o, "</tr>\n");
}

static void
table_end(struct out *o)
{
	to_html(o, "</table>\n");
}

static void
sub_heading(struct out *o, const char *title)
{
	to_blank(o);
	to_both(o, 2, "<h4 style=\"font-size:14px;margin:14px 0 2px 0\">", "</h4>\n", "%s", title);
}

/* 1 when there is nothing to list: says so. */
static int
none(struct out *o, size_t n, const char *what)
{
	if (n > 0)
		return 0;
	to_both(o, 4, "<p style=\"margin:2px 0 8px 0;" TO_MUTED "\">", "</p>\n", "%s", what);
	return 1;
}

static char *
title_key(const struct report_item *it)
{
	return to_fmt("%s [%s]", it->title != NULL ? it->title : it->key, it->key);
}

static const char *
kind_word(const char *lang, const char *kind)
{
	return strcmp(kind, "milestone") == 0 ? i18n_tr(lang, "Milestone")
	                                      : i18n_tr(lang, "Activity");
}

static char *
short_date(const char *lang, kdate_t day)
{
	char buf[64];

	return to_fmt("%s", i18n_short_date(lang, day, buf, sizeof(buf)));
}

static char *
overdue_by(const char *lang, kdate_t due, kdate_t today)
{
	long k = (long)today - (long)due;

	return to_fmt(
	    i18n_ntr(lang, "overdue for %ld day", "overdue for %ld days", (unsigned long)k), k);
}

/* Overdue items grouped by owner (the query sorts them by owner). */
static void
overdue(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Item"), i18n_tr(o->lang, "Deadline"),
		i18n_tr(o->lang, "State") };
	const char *owner = NULL;
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Overdue, by owner"));
	if (none(o, r->n_overdue, i18n_tr(o->lang, "No overdue items.")))
		return;
	table_begin(o, heads, 3);
	for (i = 0; i < r->n_overdue; i++) {
		const struct report_item *it = &r->overdue[i];
		const char *who = it->owner ? it->owner : i18n_tr(o->lang, "not assigned");
		char *cells[3];

		if (owner == NULL || strcmp(owner, who) != 0) {
			owner = who;
			to_line(o, 4, "%s:", who);
			to_html(o,
			    "<tr><td colspan=\"3\" style=\"" TO_CELL ";font-weight:bold;"
			    "background:#f3f6fa\">");
			to_esc(o, who);
			to_html(o, "</td></tr>\n");
		}
		cells[0] = to_fmt("%s: %s [%s]", kind_word(o->lang, it->kind),
		    it->title ? it->title : it->key, it->key);
		cells[1] = short_date(o->lang, it->due);
		cells[2] = overdue_by(o->lang, it->due, r->today);
		row(o, heads, cells, 3);
	}
	table_end(o);
}

static void
upcoming(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Item"), i18n_tr(o->lang, "Deadline"),
		i18n_tr(o->lang, "Owner") };
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Due in the next four weeks"));
	if (none(o, r->n_upcoming, i18n_tr(o->lang, "Nothing is due in the next four weeks.")))
		return;
	table_begin(o, heads, 3);
	for (i = 0; i < r->n_upcoming; i++) {
		const struct report_item *it = &r->upcoming[i];
		char *cells[3];

		cells[0] = to_fmt("%s: %s [%s]", kind_word(o->lang, it->kind),
		    it->title ? it->title : it->key, it->key);
		cells[1] = short_date(o->lang, it->due);
		cells[2] = to_fmt("%s", it->owner ? it->owner : i18n_tr(o->lang, "not assigned"));
		row(o, heads, cells, 3);
	}
	table_end(o);
}

/* "2 of 3 linked activities done", "no linked activities", and the risk. */
static char *
progress(const char *lang, const struct report_item *m)
{
	char *p, *s;

	if (m->total == 0)
		p = to_fmt("%s", i18n_tr(lang, "no linked activities"));
	else
		p = to_fmt(i18n_ntr(lang, "%1$d of %2$d linked activity done",
		               "%1$d of %2$d linked activities done", (unsigned long)m->total),
		    m->done, m->total);
	if (p == NULL || !m->at_risk)
		return p;
	s = to_fmt("%s; %s", p,
	    i18n_tr(lang,
	        "at risk: activities of this milestone are "
	        "overdue"));
	free(p);
	return s;
}

static void
milestones(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Milestone"), i18n_tr(o->lang, "Deadline"),
		i18n_tr(o->lang, "Progress") };
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Milestones"));
	if (none(o, r->n_milestones, i18n_tr(o->lang, "The plan has no milestones.")))
		return;
	table_begin(o, heads, 3);
	for (i = 0; i < r->n_milestones; i++) {
		char *cells[3];

		cells[0] = title_key(&r->milestones[i]);
		cells[1] = short_date(o->lang, r->milestones[i].due);
		cells[2] = progress(o->lang, &r->milestones[i]);
		row(o, heads, cells, 3);
	}
	table_end(o);
}

/* The data knows when an item was marked done and who owns it, not who marked it: the
 * report says exactly that. */
static void
done(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Item"), i18n_tr(o->lang, "Done on"),
		i18n_tr(o->lang, "Owner") };
	char date[64];
	size_t i;
	char *title = to_fmt(i18n_tr(o->lang, "Done since %s"),
	    i18n_short_date(o->lang, r->since, date, sizeof(date)));

	sub_heading(o, title != NULL ? title : "");
	free(title);
	if (none(o, r->n_done, i18n_tr(o->lang, "No activities or milestones were completed.")))
		return;
	table_begin(o, heads, 3);
	for (i = 0; i < r->n_done; i++) {
		const struct report_item *it = &r->done[i];
		char *cells[3];

		cells[0] = to_fmt("%s: %s [%s]", kind_word(o->lang, it->kind),
		    it->title ? it->title : it->key, it->key);
		cells[1] = short_date(o->lang, it->done_on);
		cells[2] = to_fmt("%s", it->owner ? it->owner : i18n_tr(o->lang, "not assigned"));
		row(o, heads, cells, 3);
	}
	table_end(o);
}

/* A stored date as the language writes it; other text (a name) unchanged. */
static char *
value_text(const char *lang, const char *v)
{
	char buf[64];
	kdate_t d;

	if (v == NULL)
		return to_fmt("%s", i18n_tr(lang, "not assigned"));
	if (kdate_parse(v, &d) == 0)
		return to_fmt("%s", i18n_short_date(lang, d, buf, sizeof(buf)));
	return to_fmt("%s", v);
}

/* "Deadline 13.11.2026 → 10.12.2026, +27 days, moved 2 times", "Owner Anna Weber →
 * Oliver Hughes". */
char *
report_change_text(const char *lang, const struct report_change *c)
{
	char *from = value_text(lang, c->from), *to = value_text(lang, c->to), *s, *t, *u;
	char *s2 = NULL;
	int due = strcmp(c->field, "due") == 0;
	unsigned long days = (unsigned long)(c->days < 0 ? -c->days : c->days);

	s = to_fmt(i18n_tr(lang, "%1$s %2$s → %3$s"),
	    due ? i18n_tr(lang, "Deadline") : i18n_tr(lang, "Owner"), from ? from : "",
	    to ? to : "");
	free(from);
	free(to);
	if (s == NULL || !due)
		return s;
	/* TRANSLATORS: how far a deadline moved, with its sign: "+27 days", "-1 day". */
	t = to_fmt(i18n_ntr(lang, "%+ld day", "%+ld days", days), c->days);
	u = to_fmt(
	    i18n_ntr(lang, "moved %d time", "moved %d times", (unsigned long)c->times), c->times);
	s2 = to_fmt("%s, %s, %s", s, t ? t : "", u ? u : "");
	free(s);
	free(t);
	free(u);
	return s2;
}

/* Moves and owner changes (store/report_changes folds them per item): a table under a
 * heading, or nothing to say. */
static void
change_rows(struct out *o, const struct report_change *v, size_t n)
{
	const char *heads[] = { i18n_tr(o->lang, "Item"), i18n_tr(o->lang, "Change") };
	size_t i;

	table_begin(o, heads, 2);
	for (i = 0; i < n; i++) {
		const struct report_change *c = &v[i];
		char *cells[2];

		cells[0] = to_fmt("%s: %s [%s]", kind_word(o->lang, c->kind ? c->kind : ""),
		    c->title ? c->title : (c->key ? c->key : "?"), c->key ? c->key : "?");
		cells[1] = report_change_text(o->lang, c);
		row(o, heads, cells, 2);
	}
	table_end(o);
}

/* What changed since the last report: moved deadlines and new owners.  The history does
 * not record who made a change, so the report does not claim to know. */
static void
changes(struct out *o, const struct report *r)
{
	char date[64];
	char *title = to_fmt(i18n_tr(o->lang, "Changed since %s"),
	    i18n_short_date(o->lang, r->since, date, sizeof(date)));

	sub_heading(o, title != NULL ? title : "");
	free(title);
	if (none(o, r->n_changes,
	        i18n_tr(o->lang,
	            "No deadlines were moved and no owners "
	            "changed.")))
		return;
	change_rows(o, r->changes, r->n_changes);
}

/* What team members changed by answering a mail (SPEC §8), with old and new values. */
static void
by_reply(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Change"), i18n_tr(o->lang, "By reply") };
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Changed by reply"));
	if (none(o, r->n_by_reply, i18n_tr(o->lang, "Nobody changed the plan by reply.")))
		return;
	table_begin(o, heads, 2);
	for (i = 0; i < r->n_by_reply; i++) {
		const struct report_reply_change *c = &r->by_reply[i];
		const char *f = c->field != NULL ? c->field : "";
		char *cells[2], *a = value_text(o->lang, c->old_value);
		char *b = value_text(o->lang, c->new_value), date[64];

		if (strcmp(f, "due") == 0)
			cells[0] = to_fmt(i18n_tr(o->lang, "%s: deadline moved from %s to %s"),
			    c->item ? c->item : "?", a ? a : "", b ? b : "");
		else if (strcmp(f, "next_review") == 0)
			cells[0] = to_fmt(i18n_tr(o->lang,
			                      "Annual update recorded, the next one is "
			                      "due %s"),
			    b ? b : "");
		else
			cells[0] =
			    to_fmt(i18n_tr(o->lang, "%s: marked done"), c->item ? c->item : "?");
		cells[1] = to_fmt(i18n_tr(o->lang, "%s on %s"), c->sender ? c->sender : "?",
		    i18n_short_date(o->lang, c->day, date, sizeof(date)));
		free(a);
		free(b);
		row(o, heads, cells, 2);
	}
	table_end(o);
}

/* SPEC §10: what changed since the last annual update (the plan's latest version). */
static void
since_update(struct out *o, const struct report *r)
{
	const struct report_update *u = &r->update;
	char date[64];

	if (!u->has)
		return;
	to_both(o, 4, "<p style=\"margin:2px 0 8px 0\">", "</p>\n",
	    i18n_tr(o->lang,
	        "Since "
	        "the annual update of %s: %d added, %d done, %d cancelled, %d with a moved "
	        "deadline, %d with a new owner."),
	    i18n_short_date(o->lang, u->day, date, sizeof(date)), u->added, u->done, u->cancelled,
	    u->moved, u->owners);
	if (u->n_most_moved == 0)
		return;
	to_both(o, 4, "<p style=\"margin:2px 0 2px 0\">", "</p>\n", "%s",
	    i18n_tr(o->lang, "Moved most often:"));
	change_rows(o, u->most_moved, u->n_most_moved);
}

static void
annual_update(struct out *o, const struct report *r)
{
	const char *p = "<p style=\"margin:2px 0 8px 0\">";
	long k = (long)r->next_review - (long)r->today;
	char date[64];

	sub_heading(o, i18n_tr(o->lang, "Annual update"));
	i18n_date(o->lang, r->next_review, date, sizeof(date));
	if (!r->has_review)
		to_both(o, 4, p, "</p>\n", "%s",
		    i18n_tr(o->lang,
		        "No annual update is "
		        "scheduled."));
	else if (k >= 0)
		to_both(o, 4, p, "</p>\n",
		    i18n_ntr(o->lang, "Next annual update: %s, in %ld day",
		        "Next annual update: %s, in %ld days", (unsigned long)k),
		    date, k);
	else
		to_both(o, 4, p, "</p>\n",
		    i18n_ntr(o->lang,
		        "Next annual update: %s, overdue "
		        "for %ld day",
		        "Next annual update: %s, overdue for %ld days", (unsigned long)-k),
		    date, -k);
}

static const char *
section_problem(const char *lang, const struct report_section *s)
{
	static const struct {
		const char *name, *empty, *label;
	} names[] = {
		{ "contacts", N_("No contacts with a role in the buying decision"),
		    N_("Contacts") },
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
sections(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Section"), i18n_tr(o->lang, "State") };
	char date[64];
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Plan sections to complete or review"));
	if (none(o, r->n_sections, i18n_tr(o->lang, "All sections are filled in and current.")))
		return;
	table_begin(o, heads, 2);
	for (i = 0; i < r->n_sections; i++) {
		char *cells[2];

		cells[0] = to_fmt("%s", section_problem(o->lang, &r->sections[i]));
		cells[1] = r->sections[i].empty
		    ? to_fmt("%s", i18n_tr(o->lang, "empty"))
		    : to_fmt(i18n_tr(o->lang, "unchanged since %s"),
		          i18n_short_date(o->lang, r->sections[i].changed, date, sizeof(date)));
		row(o, heads, cells, 2);
	}
	table_end(o);
}

static void
failures(struct out *o, const struct report *r)
{
	const char *heads[] = { i18n_tr(o->lang, "Recipient"), i18n_tr(o->lang, "Date"),
		i18n_tr(o->lang, "Notification"), i18n_tr(o->lang, "Error") };
	size_t i;

	sub_heading(o, i18n_tr(o->lang, "Notifications that could not be delivered"));
	if (none(o, r->n_failed, i18n_tr(o->lang, "All notifications were delivered.")))
		return;
	table_begin(o, heads, 4);
	for (i = 0; i < r->n_failed; i++) {
		const struct report_failure *f = &r->failed[i];
		char *cells[4];

		cells[0] = to_fmt("%s", f->recipient ? f->recipient : "?");
		cells[1] = short_date(o->lang, f->day);
		cells[2] = to_fmt("%s %s %s", f->item ? f->item : "", f->rule ? f->rule : "",
		    f->stage ? f->stage : "");
		cells[3] = to_fmt("%s", f->error ? f->error : "");
		row(o, heads, cells, 4);
	}
	table_end(o);
}

void
report_week_label(const char *lang, const char *stage, struct sbuf *out)
{
	int year = 0, week = 0;

	if (stage == NULL || sscanf(stage, "week-%d-W%d", &year, &week) != 2) {
		sbuf_puts(out, stage != NULL ? stage : "");
		return;
	}
	/* TRANSLATORS: an ISO week and its year: "week 49, 2026"; German "KW 49/2026". */
	sbuf_printf(out, i18n_tr(lang, "week %1$d, %2$d"), week, year);
}

/* The weekly status report, readable in under a minute: the sections in the order a KAM
 * acts on them. */
void
report_text(struct out *o, const struct mail_item *it, kdate_t today)
{
	struct sbuf week = SBUF_INIT;

	(void)today;
	report_week_label(o->lang, it->stage, &week);
	to_both(o, 0, "<h3 style=\"font-size:15px;margin:16px 0 4px 0\">", "</h3>\n",
	    i18n_tr(o->lang, "Status report, %s"), week.s != NULL ? week.s : "");
	sbuf_free(&week);
	if (it->report == NULL) {
		to_both(o, 2, "<p>", "</p>\n", "%s",
		    i18n_tr(o->lang,
		        "The facts of this report "
		        "could not be gathered; the daemon's log says why."));
		to_blank(o);
		return;
	}
	overdue(o, it->report);
	upcoming(o, it->report);
	milestones(o, it->report);
	done(o, it->report);
	changes(o, it->report);
	by_reply(o, it->report);
	annual_update(o, it->report);
	since_update(o, it->report);
	sections(o, it->report);
	failures(o, it->report);
	to_blank(o);
}
