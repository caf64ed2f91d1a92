/* The plan page's status sections: what is overdue, by owner; the deadlines that moved;
 * how current each section of the plan is. */
#include "core/page_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Overdue items, by owner: sorted copies of pointers (the plan stays const). */
struct due_ref {
	const struct page_item *it;
	int milestone;
};

static int
cmp_due_ref(const void *a, const void *b)
{
	const struct due_ref *x = a, *y = b;
	const char *ox = x->it->owner, *oy = y->it->owner;
	int r;

	/* Items without owner last. */
	if ((ox == NULL) != (oy == NULL))
		return ox == NULL ? 1 : -1;
	if (ox != NULL && (r = strcmp(ox, oy)) != 0)
		return r;
	if (x->it->due != y->it->due)
		return x->it->due < y->it->due ? -1 : 1;
	return strcmp(x->it->key, y->it->key);
}

static size_t
collect_overdue(const struct page_plan *p, kdate_t today, struct due_ref *refs)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_milestones; i++)
		if (p->milestones[i].state == PAGE_OPEN && p->milestones[i].due < today)
			refs[n++] = (struct due_ref){ &p->milestones[i], 1 };
	for (i = 0; i < p->n_activities; i++)
		if (p->activities[i].state == PAGE_OPEN && p->activities[i].due < today)
			refs[n++] = (struct due_ref){ &p->activities[i], 0 };
	qsort(refs, n, sizeof(*refs), cmp_due_ref);
	return n;
}

static void
overdue_entry(struct ctx *c, const struct due_ref *r)
{
	long days = (long)c->o->today - (long)r->it->due;
	char b[48];

	put(c, "<li>");
	if (r->milestone)
		put(c, "<strong>");
	esc(c, r->it->title);
	if (r->milestone)
		put(c, "</strong>");
	put(c, " <span class=\"muted\">(");
	esc(c, tr(c, r->milestone ? "Milestone" : "Activity"));
	put(c, ", ");
	esc(c, page_date(c->lang, r->it->due, b, sizeof(b)));
	put(c, ")</span> <span class=\"overdue\">");
	page_esc_printf(c->out,
	    i18n_ntr(c->lang, "overdue by %ld day", "overdue by %ld days", (unsigned long)days),
	    days);
	put(c, "</span></li>");
}

void
page_sec_overdue(struct ctx *c)
{
	struct due_ref *refs;
	size_t i, n;

	page_h2(c, "overdue", N_("Overdue, by owner"));
	refs = malloc((c->p->n_milestones + c->p->n_activities + 1) * sizeof(*refs));
	if (refs == NULL) {
		c->out->failed = 1;
		return;
	}
	n = collect_overdue(c->p, c->o->today, refs);
	if (n == 0)
		page_none(c, N_("Nothing is overdue."));
	for (i = 0; i < n; i++) {
		const char *owner = refs[i].it->owner;

		if (i == 0 || (owner == NULL) != (refs[i - 1].it->owner == NULL) ||
		    (owner != NULL && strcmp(owner, refs[i - 1].it->owner) != 0)) {
			put(c, i > 0 ? "</ul><h3>" : "<h3>");
			esc(c, owner != NULL ? owner : tr(c, "Without owner"));
			put(c, "</h3><ul>");
		}
		overdue_entry(c, &refs[i]);
	}
	if (n > 0)
		put(c, "</ul>");
	free(refs);
	put(c, "</section>\n");
}

#define MOVES_SHOWN 100

void
page_sec_moves(struct ctx *c)
{
	static const char *const cols[] = { N_("Changed on"), N_("Item"), N_("From"), N_("To"),
		N_("Days") };
	const struct page_plan *p = c->p;
	char b[48];
	size_t i, n = p->n_moves < MOVES_SHOWN ? p->n_moves : MOVES_SHOWN;

	page_h2(c, "moves", N_("Moved deadlines"));
	if (n == 0)
		page_none(c, N_("No deadline has been moved."));
	else
		page_table_head(c, cols, 5, NULL, 16);
	for (i = 0; i < n; i++) {
		const struct page_move *m = &p->moves[i];

		put(c, "<tr>");
		page_cell(c, page_date(c->lang, m->on, b, sizeof(b)));
		page_cell(c, m->title != NULL ? m->title : tr(c, "Annual update"));
		page_cell(c, page_date(c->lang, m->from, b, sizeof(b)));
		page_cell(c, page_date(c->lang, m->to, b, sizeof(b)));
		if (m->from != PAGE_NO_DATE && m->to != PAGE_NO_DATE)
			sbuf_printf(
			    c->out, "<td class=\"num\">%+ld</td>", (long)m->to - (long)m->from);
		else
			put(c, "<td class=\"num\">\xe2\x80\x93</td>");
		put(c, "</tr>");
	}
	if (n > 0)
		page_table_end(c);
	if (p->n_moves > n) {
		put(c, "<p class=\"muted\">");
		page_esc_printf(c->out,
		    i18n_ntr(c->lang, "%zu earlier change is not shown.",
		        "%zu earlier changes are not shown.", p->n_moves - n),
		    p->n_moves - n);
		put(c, "</p>");
	}
	put(c, "</section>\n");
}

static const char *const change_words[] = { N_("added"), N_("removed"), N_("changed"), N_("done"),
	N_("cancelled"), N_("reopened"), N_("moved"), N_("new owner") };

static void
change_detail(struct ctx *c, const struct page_change *k)
{
	char b1[48], b2[48];

	put(c, "<td>");
	if (k->kind == CHANGE_MOVED) {
		esc(c, page_date(c->lang, k->from, b1, sizeof(b1)));
		put(c, " \xe2\x86\x92 ");
		esc(c, page_date(c->lang, k->to, b2, sizeof(b2)));
		if (k->from != PAGE_NO_DATE && k->to != PAGE_NO_DATE)
			sbuf_printf(c->out, " (%+ld)", (long)k->to - (long)k->from);
	} else if (k->kind == CHANGE_OWNER) {
		esc(c, k->from_owner != NULL ? k->from_owner : tr(c, "nobody"));
		put(c, " \xe2\x86\x92 ");
		esc(c, k->to_owner != NULL ? k->to_owner : tr(c, "nobody"));
	}
	if ((k->kind == CHANGE_MOVED || k->kind == CHANGE_OWNER) && k->times > 1) {
		put(c, " ");
		page_esc_printf(c->out,
		    i18n_ntr(c->lang, "%d time", "%d times", (unsigned long)k->times), k->times);
	}
	put(c, "</td>");
}

void
page_sec_since(struct ctx *c)
{
	static const char *const cols[] = { N_("Change"), N_("What"), N_("Entry"), N_("Detail") };
	const struct page_plan *p = c->p;
	size_t i, n = p->n_changes < MOVES_SHOWN ? p->n_changes : MOVES_SHOWN;
	char b[48];

	page_h2(c, "moves", N_("Since the last annual update"));
	put(c, "<p>");
	page_esc_printf(c->out, tr(c, "Changes since the annual update of %s."),
	    page_date(c->lang, p->since, b, sizeof(b)));
	put(c, "</p>");
	if (n == 0)
		page_none(c, N_("Nothing has changed."));
	else
		page_table_head(c, cols, 4, NULL, 0);
	for (i = 0; i < n; i++) {
		const struct page_change *k = &p->changes[i];

		put(c, "<tr>");
		page_cell(c, tr(c, change_words[k->kind]));
		page_cell(c, tr(c, k->section));
		page_cell(c, k->title);
		change_detail(c, k);
		put(c, "</tr>");
	}
	if (n > 0)
		page_table_end(c);
	if (p->n_changes > n) {
		put(c, "<p class=\"muted\">");
		page_esc_printf(c->out,
		    i18n_ntr(c->lang, "%zu more change is not shown.",
		        "%zu more changes are not shown.", p->n_changes - n),
		    p->n_changes - n);
		put(c, "</p>");
	}
	put(c, "</section>\n");
}

static void
currency_row(struct ctx *c, const struct page_section *s)
{
	long age = s->changed == PAGE_NO_DATE ? -1 : (long)c->o->today - (long)s->changed;
	char b[48];

	put(c, "<tr><th scope=\"row\">");
	esc(c, tr(c, s->name));
	put(c, "</th>");
	page_cell(c, page_date(c->lang, s->changed, b, sizeof(b)));
	if (age < 0) {
		put(c, "<td class=\"stale\">");
		esc(c, tr(c, "nothing recorded"));
	} else if (age > c->o->stale_after_days) {
		put(c, "<td class=\"stale\">");
		page_esc_printf(c->out,
		    i18n_ntr(c->lang, "stale: unchanged for %ld day",
		        "stale: unchanged for %ld days", (unsigned long)age),
		    age);
	} else {
		put(c, "<td>");
		esc(c, tr(c, "current"));
	}
	put(c, "</td></tr>");
}

void
page_sec_currency(struct ctx *c)
{
	static const char *const cols[] = { N_("Section"), N_("Last change"), N_("State") };
	char b[48], cap[160];
	size_t i;

	page_h2(c, "currency", N_("How current the plan is"));
	put(c, "<p>");
	esc(c, tr(c, "Next annual update"));
	put(c, ": ");
	esc(c, page_date(c->lang, c->p->next_review, b, sizeof(b)));
	put(c, "</p>");
	snprintf(cap, sizeof(cap),
	    i18n_ntr(c->lang, "A section unchanged for more than %d day counts as stale.",
	        "A section unchanged for more than %d days counts as stale.",
	        (unsigned long)c->o->stale_after_days),
	    c->o->stale_after_days);
	page_table_head(c, cols, 3, cap, 0);
	for (i = 0; i < c->p->n_sections; i++)
		currency_row(c, &c->p->sections[i]);
	page_table_end(c);
	put(c, "</section>\n");
}
