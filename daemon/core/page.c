/* The plan page's HTML (SPEC §9): the sections in the guide's order.  Every text from the
 * plan goes through page_escape(); the page carries its style sheet and its pictures
 * (page_svg.c) inline and no script, so it can be opened from a file or any web server. */
#include "core/page.h"
#include "core/page_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/numfmt.h"

/* System fonts only; colours pass WCAG AA on white (text 4.5:1, shapes 3:1). */
static const char css[] =
    ":root{color-scheme:light}*{box-sizing:border-box}"
    "body{margin:0 auto;max-width:72rem;padding:1rem;color:#1f2328;background:#fff;"
    "font:1rem/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
    "\"Liberation Sans\",Arial,sans-serif;overflow-wrap:break-word}"
    "h1{font-size:1.6rem;margin:.1rem 0 .6rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;"
    "padding-bottom:.2rem;border-bottom:2px solid #8c959f}h3{font-size:1.05rem;margin:1rem 0 .4rem}"
    "p,li,td,th,dd,h1,h2,h3{unicode-bidi:plaintext}.txt{white-space:pre-line}"
    ".kicker,.muted{color:#57606a}.kicker{margin:0;font-weight:600}"
    "nav ul{display:flex;flex-wrap:wrap;gap:.2rem 1rem;padding:0;list-style:none}"
    "a{color:#0a58b0}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;width:100%;margin:.3rem 0}"
    "th,td{text-align:start;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #d0d7de}"
    "thead th{background:#eef1f4}tbody th{font-weight:600}"
    ".num{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem "
    "1rem;margin:0}"
    "dl.facts dt{font-weight:600}dl.facts dd{margin:0}"
    ".swot{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem}"
    ".swot section{border:1px solid #8c959f;border-radius:4px;padding:.3rem .7rem}"
    ".swot h3{margin:.3rem 0}.swot ul{padding-inline-start:1.1rem;margin:.2rem 0}"
    "svg.tl{display:block;width:100%;min-width:56rem;height:auto}"
    "svg.chart{display:block;width:100%;max-width:40rem;min-width:20rem;height:auto}"
    "svg text{font-family:inherit;fill:#1f2328}svg .lbl{font-size:12px}svg .sm{font-size:11px}"
    "svg .ms{font-weight:600}svg .lane{fill:#f3f4f6}svg .grid{stroke:#d0d7de}"
    "svg .today{stroke:#0a58b0;stroke-width:2}svg "
    "text.today{fill:#0a58b0;stroke:none;font-weight:600}"
    "svg .rev{fill:#1f4e8c}svg .mar{fill:#2e7d6b}"
    ".k-open{fill:#fff;stroke:#0a58b0;stroke-width:2}.k-soon{fill:#8a5300}"
    ".k-overdue{fill:#b42318}.k-done{fill:#17702f}.k-cancelled{fill:#6e7781}"
    ".k-at_risk{fill:#fff;stroke:#b42318;stroke-width:3}.k-x{stroke:#6e7781;stroke-width:2.5}"
    "svg text.w-overdue,svg text.w-at_risk{fill:#b42318;font-weight:600}"
    "svg text.w-soon{fill:#8a5300}svg text.w-done{fill:#17702f}"
    "ul.legend{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;list-style:none;padding:0}"
    "ul.legend svg{vertical-align:middle;margin-inline-end:.3rem}"
    ".overdue{color:#b42318;font-weight:600}.stale{color:#8a5300;font-weight:600}"
    "footer{margin-top:2rem;font-size:.9rem}"
    "@media (max-width:40rem){body{padding:.6rem}dl.facts{grid-template-columns:minmax(0,1fr)}"
    "dl.facts dd{margin-bottom:.4rem}}"
    "@media print{@page{size:A4;margin:14mm}body{max-width:none;padding:0;font-size:10pt}"
    "nav{display:none}.scroll{overflow:visible}svg.tl,svg.chart{min-width:0;width:100%}"
    "tr,li,dl.facts,.swot section,svg{break-inside:avoid}h2,h3{break-after:avoid}"
    "thead{display:table-header-group}a{color:inherit;text-decoration:none}}";

/* ---------------------------------------------------------------------------------- */

void
page_escape(struct sbuf *out, const char *s)
{
	const char *run = s;
	const char *rep;

	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			/* Controls are not allowed in HTML text (tab and newline are). */
			rep = c < 0x20 && c != '\t' && c != '\n' ? "" : NULL;
		}
		if (rep == NULL)
			continue;
		sbuf_add(out, run, (size_t)(s - run));
		sbuf_puts(out, rep);
		run = s + 1;
	}
	sbuf_add(out, run, (size_t)(s - run));
}

void
page_esc_printf(struct sbuf *out, const char *fmt, ...)
{
	struct sbuf t = SBUF_INIT;
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		page_escape(out, small);
		return;
	}
	t.s = malloc((size_t)n + 1);
	if (t.s == NULL) {
		out->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(t.s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	page_escape(out, t.s);
	free(t.s);
}

void
page_amount(struct sbuf *out, const char *lang, double v)
{
	char buf[64];

	sbuf_puts(out, numfmt_money(lang, &v, NULL, buf, sizeof(buf)));
}

const char *
page_date(const char *lang, kdate_t d, char *buf, size_t len)
{
	if (d == PAGE_NO_DATE)
		return "\xe2\x80\x93"; /* – */
	return i18n_short_date(lang, d, buf, len);
}

/* A translated word for an enumeration value from a table of {value, msgid}. */
struct word {
	const char *value, *msgid;
};

static const char *
word_of(const char *lang, const struct word *t, const char *value)
{
	if (value == NULL)
		return "\xe2\x80\x93";
	for (; t->value != NULL; t++)
		if (strcmp(t->value, value) == 0)
			return i18n_tr(lang, t->msgid);
	return value;
}

static const struct word decision_roles[] = {
	{ "decision-maker", N_("decision maker") },
	{ "influencer", N_("influencer") },
	{ "buyer", N_("buyer") },
	{ "user", N_("user") },
	{ "gatekeeper", N_("gatekeeper") },
	{ "champion", N_("champion") },
	{ "opponent", N_("opponent") },
	{ "unknown", N_("unknown") },
	{ NULL, NULL },
};
static const struct word attitudes[] = {
	{ "supportive", N_("supportive") },
	{ "neutral", N_("neutral") },
	{ "critical", N_("critical") },
	{ "unknown", N_("unknown") },
	{ NULL, NULL },
};
static const struct word states[] = {
	{ "open", N_("open") },
	{ "done", N_("done") },
	{ "cancelled", N_("cancelled") },
	{ "in-progress", N_("in progress") },
	{ "closed", N_("closed") },
	{ "active", N_("active") },
	{ "draft", N_("draft") },
	{ "archived", N_("archived") },
	{ NULL, NULL },
};
static const struct word team_roles[] = {
	{ "kam", N_("Key account manager") },
	{ "sponsor", N_("Sponsor") },
	{ "member", N_("Team member") },
	{ NULL, NULL },
};
static const struct word focuses[] = {
	{ "product", N_("product") },
	{ "application", N_("application") },
	{ "region", N_("region") },
	{ "subsidiary", N_("subsidiary") },
	{ "other", N_("other") },
	{ NULL, NULL },
};

/* ---------------------------------------------------------------------------------- */

void
page_h2(struct ctx *c, const char *id, const char *msgid)
{
	sbuf_printf(c->out, "<section id=\"%s\"><h2>", id);
	esc(c, tr(c, msgid));
	put(c, "</h2>");
}

/* <dt>label</dt><dd>value</dd> when value is set; multi-line text keeps its lines. */
static void
fact(struct ctx *c, const char *msgid, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	put(c, "<dt>");
	esc(c, tr(c, msgid));
	put(c, "</dt><dd class=\"txt\">");
	esc(c, value);
	put(c, "</dd>");
}

void
page_cell(struct ctx *c, const char *s)
{
	put(c, "<td>");
	esc(c, s != NULL ? s : "\xe2\x80\x93");
	put(c, "</td>");
}

/* <div class="scroll"><table><thead><tr><th>..</th>..</tr></thead><tbody>; the columns
 * with their bit set in num (1 << index) hold figures. */
void
page_table_head(
    struct ctx *c, const char *const *msgids, size_t n, const char *caption, unsigned num)
{
	size_t i;

	put(c, "<div class=\"scroll\"><table>");
	if (caption != NULL) {
		put(c, "<caption class=\"muted\">");
		esc(c, caption);
		put(c, "</caption>");
	}
	put(c, "<thead><tr>");
	for (i = 0; i < n; i++) {
		put(c, num & (1u << i) ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
		esc(c, tr(c, msgids[i]));
		put(c, "</th>");
	}
	put(c, "</tr></thead><tbody>");
}

void
page_table_end(struct ctx *c)
{
	put(c, "</tbody></table></div>");
}

void
page_none(struct ctx *c, const char *msgid)
{
	put(c, "<p class=\"muted\">");
	esc(c, tr(c, msgid));
	put(c, "</p>");
}

/* ---------------------------------------------------------------------------------- */

static void
head(struct ctx *c)
{
	put(c, "<!DOCTYPE html>\n<html lang=\"");
	esc(c, c->lang);
	put(c,
	    "\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	page_esc_printf(c->out, tr(c, "Key account plan: %s"), c->p->title);
	put(c, "</title>\n<style>");
	put(c, css);
	put(c, "</style>\n</head>\n<body>\n");
}

static void
header(struct ctx *c)
{
	const struct page_plan *p = c->p;
	char b1[48];

	put(c, "<header><p class=\"kicker\">");
	esc(c, tr(c, "Key account plan"));
	put(c, "</p><h1>");
	esc(c, p->title);
	put(c, "</h1><dl class=\"facts\">");
	fact(c, N_("Customer"), p->account.name);
	fact(c, N_("Key account manager"), p->kam);
	fact(c, N_("Sponsor"), p->sponsor);
	fact(c, N_("State"), word_of(c->lang, states, p->state));
	fact(c, N_("Last annual update"), page_date(c->lang, p->last_review, b1, sizeof(b1)));
	put(c, "<dt>");
	esc(c, tr(c, "Next annual update"));
	put(c, "</dt><dd>");
	esc(c, page_date(c->lang, p->next_review, b1, sizeof(b1)));
	if (p->next_review != PAGE_NO_DATE && p->next_review < c->o->today) {
		put(c, " <strong class=\"overdue\">");
		esc(c, tr(c, "overdue"));
		put(c, "</strong>");
	}
	put(c, "</dd></dl></header>\n");
}

static const struct {
	const char *id, *msgid;
	int confidential;
} toc[] = {
	{ "customer", N_("Customer"), 0 },
	{ "needs", N_("Needs"), 0 },
	{ "market", N_("Market and competition"), 0 },
	{ "history", N_("History"), 1 },
	{ "assessment", N_("Assessment"), 0 },
	{ "goals", N_("Goals"), 0 },
	{ "swot", N_("SWOT"), 0 },
	{ "team", N_("Key account team"), 0 },
	{ "projects", N_("Projects"), 0 },
	{ "timeline", N_("Timeline"), 0 },
	{ "overdue", N_("Overdue, by owner"), 0 },
	{ "moves", N_("Moved deadlines"), 0 },
	{ "currency", N_("How current the plan is"), 0 },
};

static void
nav(struct ctx *c)
{
	size_t i;

	put(c, "<nav aria-label=\"");
	esc(c, tr(c, "Contents"));
	put(c, "\"><ul>");
	for (i = 0; i < sizeof(toc) / sizeof(toc[0]); i++) {
		const char *msgid = toc[i].msgid;

		if (toc[i].confidential && !c->o->confidential)
			continue;
		if (strcmp(toc[i].id, "moves") == 0 && c->p->since != PAGE_NO_DATE)
			msgid = N_("Since the last annual update");
		sbuf_printf(c->out, "<li><a href=\"#%s\">", toc[i].id);
		esc(c, tr(c, msgid));
		put(c, "</a></li>");
	}
	put(c, "</ul></nav>\n<main>\n");
}

static void
contacts(struct ctx *c)
{
	static const char *const cols[] = { N_("Name"), N_("Function"),
		N_("Role in the buying decision"), N_("Attitude"), N_("Email"), N_("Phone"),
		N_("Notes") };
	const struct page_plan *p = c->p;
	size_t i;

	put(c, "<h3>");
	esc(c, tr(c, "Contacts"));
	put(c, "</h3>");
	if (p->n_contacts == 0) {
		page_none(c, N_("No contacts recorded."));
		return;
	}
	page_table_head(c, cols, c->o->confidential ? 7 : 6, NULL, 0);
	for (i = 0; i < p->n_contacts; i++) {
		const struct page_contact *k = &p->contacts[i];

		put(c, "<tr><th scope=\"row\">");
		esc(c, k->name);
		put(c, "</th>");
		page_cell(c, k->function);
		page_cell(c, word_of(c->lang, decision_roles, k->role));
		page_cell(c, word_of(c->lang, attitudes, k->attitude));
		page_cell(c, k->email);
		page_cell(c, k->phone);
		if (c->o->confidential)
			page_cell(c, k->notes);
		put(c, "</tr>");
	}
	page_table_end(c);
}

static void
sec_customer(struct ctx *c)
{
	const struct page_plan *p = c->p;

	page_h2(c, "customer", N_("Customer"));
	put(c, "<dl class=\"facts\">");
	fact(c, N_("Name"), p->account.name);
	fact(c, N_("Industry"), p->account.industry);
	fact(c, N_("Address"), p->account.address);
	fact(c, N_("Phone"), p->account.phone);
	fact(c, N_("Email"), p->account.email);
	fact(c, N_("Website"), p->account.website);
	put(c, "</dl>");
	contacts(c);
	put(c, "</section>\n");
}

static void
sec_needs(struct ctx *c)
{
	size_t i;

	page_h2(c, "needs", N_("Needs"));
	if (c->p->n_needs == 0)
		page_none(c, N_("No customer needs recorded."));
	else
		put(c, "<ul>");
	for (i = 0; i < c->p->n_needs; i++) {
		put(c, "<li class=\"txt\">");
		esc(c, c->p->needs[i]);
		put(c, "</li>");
	}
	if (c->p->n_needs > 0)
		put(c, "</ul>");
	put(c, "</section>\n");
}

static void
sec_market(struct ctx *c)
{
	static const char *const cols[] = { N_("Competitor"), N_("Position"), N_("Strengths"),
		N_("Weaknesses") };
	const struct page_plan *p = c->p;
	struct sbuf vol = SBUF_INIT;
	size_t i;

	page_h2(c, "market", N_("Market and competition"));
	if (p->account.market_currency != NULL) {
		page_amount(&vol, c->lang, p->account.market_volume);
		sbuf_printf(&vol, " %s", p->account.market_currency);
	}
	put(c, "<dl class=\"facts\">");
	fact(c, N_("Positioning"), p->account.positioning);
	fact(c, N_("Strategic direction"), p->account.strategic_direction);
	fact(c, N_("Market volume"), vol.s);
	fact(c, N_("Customer processes"), p->account.processes);
	put(c, "</dl>");
	sbuf_free(&vol);
	put(c, "<h3>");
	esc(c, tr(c, "Competitors"));
	put(c, "</h3>");
	if (p->n_competitors == 0)
		page_none(c, N_("No competitors recorded."));
	else
		page_table_head(c, cols, 4, NULL, 0);
	for (i = 0; i < p->n_competitors; i++) {
		put(c, "<tr><th scope=\"row\">");
		esc(c, p->competitors[i].name);
		put(c, "</th>");
		page_cell(c, p->competitors[i].position);
		page_cell(c, p->competitors[i].strengths);
		page_cell(c, p->competitors[i].weaknesses);
		put(c, "</tr>");
	}
	if (p->n_competitors > 0)
		page_table_end(c);
	put(c, "</section>\n");
}

static void
money_cell(struct ctx *c, int has, double v, const char *currency)
{
	put(c, "<td class=\"num\">");
	if (has) {
		page_amount(c->out, c->lang, v);
		put(c, " ");
		esc(c, currency);
	} else {
		put(c, "\xe2\x80\x93");
	}
	put(c, "</td>");
}

/* Revenues and margins: only on a confidential page. */
static void
sec_history(struct ctx *c)
{
	static const char *const cols[] = { N_("Period"), N_("Revenue"),
		N_("Contribution margin") };
	const struct page_plan *p = c->p;
	size_t i;

	if (!c->o->confidential)
		return;
	page_h2(c, "history", N_("History"));
	if (p->n_history == 0) {
		page_none(c, N_("No revenue history recorded."));
		put(c, "</section>\n");
		return;
	}
	page_history_chart(c->out, p);
	page_table_head(c, cols, 3, NULL, 6);
	for (i = 0; i < p->n_history; i++) {
		const struct page_history *h = &p->history[i];

		put(c, "<tr><th scope=\"row\">");
		esc(c, h->period);
		put(c, "</th>");
		money_cell(c, h->has_revenue, h->revenue, h->currency);
		money_cell(c, h->has_margin, h->margin, h->currency);
		put(c, "</tr>");
	}
	page_table_end(c);
	put(c, "</section>\n");
}

/* The buying centre: each decision role with the contacts who hold it. */
static void
buying_centre(struct ctx *c)
{
	const struct page_plan *p = c->p;
	const struct word *w;
	size_t i, n;

	put(c, "<h3>");
	esc(c, tr(c, "Roles in the buying decision"));
	put(c, "</h3><dl class=\"facts\">");
	for (w = decision_roles; w->value != NULL; w++) {
		for (i = n = 0; i < p->n_contacts; i++) {
			if (p->contacts[i].role == NULL ||
			    strcmp(p->contacts[i].role, w->value) != 0)
				continue;
			if (n++ == 0) {
				put(c, "<dt>");
				esc(c, tr(c, w->msgid));
				put(c, "</dt><dd>");
			} else {
				put(c, ", ");
			}
			esc(c, p->contacts[i].name);
		}
		if (n > 0)
			put(c, "</dd>");
	}
	put(c, "</dl>");
}

static void
sec_assessment(struct ctx *c)
{
	const struct page_plan *p = c->p;

	page_h2(c, "assessment", N_("Assessment"));
	put(c, "<dl class=\"facts\">");
	fact(c, N_("Customer rating"), p->account.rating);
	fact(c, N_("Development potential"), p->account.potential);
	fact(c, N_("Networks"), p->account.networks);
	put(c, "</dl>");
	if (p->n_contacts > 0)
		buying_centre(c);
	put(c, "</section>\n");
}

static void
goal_rows(struct ctx *c, const char *horizon, const char *msgid)
{
	static const char *const cols[] = { N_("Goal"), N_("Focus"), N_("Target"),
		N_("Target date") };
	const struct word *f;
	char b[48];
	size_t i, n = 0;

	/* By focus in the order of the table, then the goals without one. */
	for (f = focuses;; f++) {
		for (i = 0; i < c->p->n_goals; i++) {
			const struct page_goal *g = &c->p->goals[i];

			if (strcmp(g->horizon, horizon) != 0 ||
			    (f->value == NULL
			            ? g->focus != NULL
			            : g->focus == NULL || strcmp(g->focus, f->value) != 0))
				continue;
			if (n++ == 0) {
				put(c, "<h3>");
				esc(c, tr(c, msgid));
				put(c, "</h3>");
				page_table_head(c, cols, 4, NULL, 0);
			}
			put(c, "<tr><td class=\"txt\">");
			esc(c, g->text);
			put(c, "</td><td>");
			if (g->focus != NULL)
				esc(c, word_of(c->lang, focuses, g->focus));
			if (g->focus_value != NULL) {
				put(c, g->focus != NULL ? ": " : "");
				esc(c, g->focus_value);
			}
			put(c, "</td>");
			page_cell(c, g->target);
			page_cell(c, page_date(c->lang, g->due, b, sizeof(b)));
			put(c, "</tr>");
		}
		if (f->value == NULL)
			break;
	}
	if (n > 0)
		page_table_end(c);
}

static void
sec_goals(struct ctx *c)
{
	page_h2(c, "goals", N_("Goals"));
	if (c->p->n_goals == 0)
		page_none(c, N_("No goals recorded."));
	goal_rows(c, "mid", N_("Mid-term goals"));
	goal_rows(c, "long", N_("Long-term goals"));
	put(c, "</section>\n");
}

static void
sec_swot(struct ctx *c)
{
	static const struct word kinds[] = {
		{ "strength", N_("Strengths") },
		{ "weakness", N_("Weaknesses") },
		{ "opportunity", N_("Opportunities") },
		{ "threat", N_("Threats") },
		{ NULL, NULL },
	};
	const struct word *k;
	size_t i, n;

	page_h2(c, "swot", N_("SWOT"));
	put(c, "<div class=\"swot\">");
	for (k = kinds; k->value != NULL; k++) {
		put(c, "<section><h3>");
		esc(c, tr(c, k->msgid));
		put(c, "</h3><ul>");
		for (i = n = 0; i < c->p->n_swot; i++) {
			if (strcmp(c->p->swot[i].kind, k->value) != 0)
				continue;
			n++;
			put(c, "<li class=\"txt\">");
			esc(c, c->p->swot[i].text);
			put(c, "</li>");
		}
		if (n == 0)
			put(c, "<li class=\"muted\">\xe2\x80\x93</li>");
		put(c, "</ul></section>");
	}
	put(c, "</div></section>\n");
}

static void
sec_team(struct ctx *c)
{
	static const char *const cols[] = { N_("Name"), N_("Role"), N_("Function") };
	size_t i;

	page_h2(c, "team", N_("Key account team"));
	page_table_head(c, cols, 3, NULL, 0);
	for (i = 0; i < c->p->n_team; i++) {
		const struct page_member *m = &c->p->team[i];

		put(c, "<tr><th scope=\"row\">");
		esc(c, m->name);
		put(c, "</th>");
		page_cell(c, word_of(c->lang, team_roles, m->role));
		page_cell(c, m->function);
		put(c, "</tr>");
	}
	page_table_end(c);
	put(c, "</section>\n");
}

static void
complaints(struct ctx *c)
{
	static const char *const cols[] = { N_("Date"), N_("Subject"), N_("State") };
	char b[48];
	size_t i;

	put(c, "<h3>");
	esc(c, tr(c, "Complaints"));
	put(c, "</h3>");
	if (c->p->n_complaints == 0) {
		page_none(c, N_("No complaints recorded."));
		return;
	}
	page_table_head(c, cols, 3, NULL, 0);
	for (i = 0; i < c->p->n_complaints; i++) {
		const struct page_complaint *k = &c->p->complaints[i];

		put(c, "<tr>");
		page_cell(c, page_date(c->lang, k->date, b, sizeof(b)));
		page_cell(c, k->subject);
		page_cell(c, word_of(c->lang, states, k->state));
		put(c, "</tr>");
	}
	page_table_end(c);
}

static void
sec_projects(struct ctx *c)
{
	static const char *const cols[] = { N_("Project"), N_("State"), N_("Start"), N_("End") };
	char b[48];
	size_t i;

	page_h2(c, "projects", c->o->confidential ? N_("Projects and complaints") : N_("Projects"));
	if (c->p->n_projects == 0)
		page_none(c, N_("No projects recorded."));
	else
		page_table_head(c, cols, 4, NULL, 0);
	for (i = 0; i < c->p->n_projects; i++) {
		const struct page_project *k = &c->p->projects[i];

		put(c, "<tr><th scope=\"row\">");
		esc(c, k->title);
		put(c, "</th>");
		page_cell(c, word_of(c->lang, states, k->state));
		page_cell(c, page_date(c->lang, k->start, b, sizeof(b)));
		page_cell(c, page_date(c->lang, k->end, b, sizeof(b)));
		put(c, "</tr>");
	}
	if (c->p->n_projects > 0)
		page_table_end(c);
	if (c->o->confidential)
		complaints(c);
	put(c, "</section>\n");
}

static void
sec_timeline(struct ctx *c)
{
	page_h2(c, "timeline", N_("Timeline"));
	page_timeline(c->out, c->p, c->o);
	put(c, "</section>\n");
}

static void
footer(struct ctx *c)
{
	char b[48];

	put(c, "</main>\n<footer class=\"muted\"><p>");
	page_esc_printf(c->out, tr(c, "As of %s. Written by kapd; printed, it is a snapshot."),
	    page_date(c->lang, c->o->today, b, sizeof(b)));
	put(c, "</p></footer>\n</body>\n</html>\n");
}

void
page_compose(const struct page_plan *p, const struct page_options *o, struct sbuf *out)
{
	struct ctx c = { out, p, o, i18n_lang(p->lang) };

	head(&c);
	header(&c);
	nav(&c);
	sec_customer(&c);
	sec_needs(&c);
	sec_market(&c);
	sec_history(&c);
	sec_assessment(&c);
	sec_goals(&c);
	sec_swot(&c);
	sec_team(&c);
	sec_projects(&c);
	sec_timeline(&c);
	page_sec_overdue(&c);
	if (p->since != PAGE_NO_DATE)
		page_sec_since(&c);
	else
		page_sec_moves(&c);
	page_sec_currency(&c);
	footer(&c);
}
