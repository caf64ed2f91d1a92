/* The plan page's pictures, as inline SVG: the timeline of the operative plan (months
 * across, a line for today, each milestone a diamond with its activities beneath, the
 * activities without milestone in a lane of their own) and the bar chart of revenue and
 * margin.  A state is told by shape and by a word as well as by colour, so the timeline
 * reads in black and white and for people who do not tell red from green. */
#include "core/page.h"

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"

/* Timeline geometry, in SVG user units (the picture scales to its box). */
#define TL_W 1000
#define TL_LABEL 8 /* x of the labels */
#define TL_X0 330  /* the plot area */
#define TL_X1 984
#define TL_TOP 44 /* below the month names */
#define TL_ROW 20
#define TL_BOTTOM 24    /* room for the "today" label */
#define TL_MAX_LABEL 46 /* characters of a title in the label column */
#define TL_WORD_ROOM 96 /* a state word right of its marker needs this much room */

static const char *const look_class[] = { "open", "soon", "overdue", "done", "cancelled",
	"at_risk" };

enum page_look
page_item_look(const struct page_item *it, int at_risk, const struct page_options *o)
{
	if (it->state == PAGE_DONE)
		return LOOK_DONE;
	if (it->state == PAGE_CANCELLED)
		return LOOK_CANCELLED;
	if (it->due < o->today)
		return LOOK_OVERDUE;
	if (at_risk)
		return LOOK_AT_RISK;
	if ((long)it->due - (long)o->today <= o->soon_days)
		return LOOK_SOON;
	return LOOK_OPEN;
}

const char *
page_look_word(const char *lang, enum page_look l)
{
	static const char *const words[] = { N_("open"), N_("due soon"), N_("overdue"), N_("done"),
		N_("cancelled"), N_("at risk") };

	return i18n_tr(lang, words[l]);
}

/* Appends at most max characters of UTF-8 text s, escaped, with "…" when cut (and
 * mark is set). */
static void
escape_cut(struct sbuf *out, const char *s, size_t max, int mark)
{
	size_t i = 0, chars = 0;
	char *copy;

	while (s[i] != '\0' && chars < max) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	if (s[i] == '\0') {
		page_escape(out, s);
		return;
	}
	copy = strndup(s, i);
	if (copy == NULL) {
		out->failed = 1;
		return;
	}
	page_escape(out, copy);
	if (mark)
		sbuf_puts(out, "\xe2\x80\xa6");
	free(copy);
}

struct tl {
	struct sbuf *out;
	const struct page_plan *p;
	const struct page_options *o;
	const char *lang;
	kdate_t start, end; /* first day of the first month, first day after the last */
	int y;              /* top of the next row */
};

static int
tl_x(const struct tl *t, kdate_t d)
{
	return TL_X0 + (int)((long long)(d - t->start) * (TL_X1 - TL_X0) / (t->end - t->start));
}

static kdate_t
month_start(kdate_t d)
{
	int y, m, day;

	kdate_to_ymd(d, &y, &m, &day);
	return kdate_from_ymd(y, m, 1);
}

static kdate_t
next_month(kdate_t d)
{
	int y, m, day;

	kdate_to_ymd(d, &y, &m, &day);
	return m == 12 ? kdate_from_ymd(y + 1, 1, 1) : kdate_from_ymd(y, m + 1, 1);
}

static void
widen(kdate_t *lo, kdate_t *hi, kdate_t d)
{
	if (d == PAGE_NO_DATE)
		return;
	if (d < *lo)
		*lo = d;
	if (d > *hi)
		*hi = d;
}

/* The months across: from the earliest to the latest of the deadlines, the annual
 * updates and today. */
static void
tl_range(struct tl *t)
{
	kdate_t lo = t->o->today, hi = t->o->today;
	size_t i;

	for (i = 0; i < t->p->n_milestones; i++)
		widen(&lo, &hi, t->p->milestones[i].due);
	for (i = 0; i < t->p->n_activities; i++)
		widen(&lo, &hi, t->p->activities[i].due);
	widen(&lo, &hi, t->p->last_review);
	widen(&lo, &hi, t->p->next_review);
	t->start = month_start(lo);
	t->end = next_month(hi);
}

static void
tl_months(struct tl *t, int height)
{
	int n = 0, every, k = 0, y, m, d, x;
	kdate_t day;

	for (day = t->start; day < t->end; day = next_month(day))
		n++;
	every = (n + 23) / 24; /* at most 24 month names across */
	for (day = t->start; day < t->end; day = next_month(day), k++) {
		x = tl_x(t, day);
		sbuf_printf(t->out,
		    "<line class=\"grid\" x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\"/>", x, x,
		    height - TL_BOTTOM);
		if (k % every != 0)
			continue;
		kdate_to_ymd(day, &y, &m, &d);
		sbuf_printf(t->out, "<text class=\"sm\" x=\"%d\" y=\"16\">", x + 3);
		escape_cut(t->out, i18n_month(t->lang, m), 3, 0);
		sbuf_puts(t->out, "</text>");
		if (m == 1 || k == 0)
			sbuf_printf(
			    t->out, "<text class=\"sm\" x=\"%d\" y=\"34\">%d</text>", x + 3, y);
	}
}

/* The marker of an item at (x, y): a diamond for a milestone, else a shape by state. */
static void
tl_marker(struct sbuf *out, int milestone, enum page_look l, int x, int y)
{
	const char *k = look_class[l];

	if (milestone)
		sbuf_printf(out, "<path class=\"k-%s\" d=\"M%d %dl8 8-8 8-8-8z\"/>", k, x, y - 8);
	else if (l == LOOK_DONE)
		sbuf_printf(out, "<circle class=\"k-done\" cx=\"%d\" cy=\"%d\" r=\"6\"/>", x, y);
	else if (l == LOOK_SOON)
		sbuf_printf(out, "<path class=\"k-soon\" d=\"M%d %dl7 12h-14z\"/>", x, y - 7);
	else if (l == LOOK_OVERDUE)
		sbuf_printf(out,
		    "<rect class=\"k-overdue\" x=\"%d\" y=\"%d\" width=\"11\" "
		    "height=\"11\"/>",
		    x - 5, y - 5);
	else if (l == LOOK_CANCELLED)
		sbuf_printf(out, "<path class=\"k-x\" d=\"M%d %dl9 9m0-9l-9 9\"/>", x - 4, y - 4);
	else
		sbuf_printf(out, "<circle class=\"k-open\" cx=\"%d\" cy=\"%d\" r=\"5\"/>", x, y);
}

static void
tl_row(struct tl *t, const struct page_item *it, int milestone, int at_risk)
{
	enum page_look l = page_item_look(it, at_risk, t->o);
	int x = tl_x(t, it->due), y = t->y + TL_ROW / 2, left;
	char b[48];

	sbuf_puts(t->out, "<g><title>");
	page_escape(t->out, it->title);
	sbuf_puts(t->out, " \xe2\x80\x93 ");
	page_escape(t->out, it->owner != NULL ? it->owner : i18n_tr(t->lang, "without owner"));
	sbuf_printf(t->out, ", %s, ", i18n_short_date(t->lang, it->due, b, sizeof(b)));
	page_escape(t->out, page_look_word(t->lang, l));
	sbuf_printf(t->out,
	    "</title><text class=\"lbl%s\" x=\"%d\" y=\"%d\" "
	    "clip-path=\"url(#tl-clip)\">",
	    milestone ? " ms" : "", TL_LABEL + (milestone ? 0 : 12), y + 4);
	escape_cut(t->out, it->title, milestone ? TL_MAX_LABEL - 7 : TL_MAX_LABEL - 2, 1);
	sbuf_puts(t->out, "</text>");
	tl_marker(t->out, milestone, l, x, y);
	if (l != LOOK_OPEN) {
		left = x > TL_X1 - TL_WORD_ROOM;
		sbuf_printf(t->out, "<text class=\"sm w-%s\" x=\"%d\" y=\"%d\"%s>", look_class[l],
		    left ? x - 11 : x + 11, y + 4, left ? " text-anchor=\"end\"" : "");
		page_escape(t->out, page_look_word(t->lang, l));
		sbuf_puts(t->out, "</text>");
	}
	sbuf_puts(t->out, "</g>\n");
	t->y += TL_ROW;
}

/* At risk (SPEC §3): an open activity of the milestone is overdue. */
static int
at_risk(const struct page_plan *p, size_t m, kdate_t today)
{
	size_t i;

	for (i = 0; i < p->n_activities; i++)
		if (p->activities[i].milestone == (int)m && p->activities[i].state == PAGE_OPEN &&
		    p->activities[i].due < today)
			return 1;
	return 0;
}

/* Activity indices grouped by milestone (a counting sort that keeps their order); the
 * ones without milestone last.  first[m]..first[m + 1] are milestone m's. */
static size_t *
tl_lanes(const struct page_plan *p, size_t *first)
{
	size_t nm = p->n_milestones, i, *order, *fill;
	size_t lane;

	order = malloc((p->n_activities + 1) * sizeof(*order));
	fill = calloc(nm + 2, sizeof(*fill));
	if (order == NULL || fill == NULL) {
		free(order);
		free(fill);
		return NULL;
	}
	memset(first, 0, (nm + 2) * sizeof(*first));
	for (i = 0; i < p->n_activities; i++) {
		int m = p->activities[i].milestone;

		first[(m >= 0 && (size_t)m < nm ? (size_t)m : nm) + 1]++;
	}
	for (lane = 1; lane <= nm + 1; lane++)
		first[lane] += first[lane - 1];
	for (i = 0; i < p->n_activities; i++) {
		int m = p->activities[i].milestone;

		lane = m >= 0 && (size_t)m < nm ? (size_t)m : nm;
		order[first[lane] + fill[lane]++] = i;
	}
	free(fill);
	return order;
}

static void
tl_lane_band(struct tl *t, size_t rows, int shaded)
{
	if (shaded)
		sbuf_printf(t->out,
		    "<rect class=\"lane\" x=\"0\" y=\"%d\" width=\"%d\" "
		    "height=\"%zu\"/>",
		    t->y, TL_W, rows * TL_ROW);
}

static void
tl_rows(struct tl *t, const size_t *order, const size_t *first)
{
	const struct page_plan *p = t->p;
	size_t m, i, nm = p->n_milestones;

	for (m = 0; m < nm; m++) {
		tl_lane_band(t, 1 + first[m + 1] - first[m], m % 2 == 1);
		tl_row(t, &p->milestones[m], 1, at_risk(p, m, t->o->today));
		for (i = first[m]; i < first[m + 1]; i++)
			tl_row(t, &p->activities[order[i]], 0, 0);
	}
	if (first[nm + 1] == first[nm])
		return;
	tl_lane_band(t, 1 + first[nm + 1] - first[nm], nm % 2 == 1);
	sbuf_printf(t->out,
	    "<text class=\"lbl ms\" x=\"%d\" y=\"%d\"><tspan font-style=\"italic\">", TL_LABEL,
	    t->y + TL_ROW / 2 + 4);
	page_escape(t->out, i18n_tr(t->lang, "Without milestone"));
	sbuf_puts(t->out, "</tspan></text>\n");
	t->y += TL_ROW;
	for (i = first[nm]; i < first[nm + 1]; i++)
		tl_row(t, &p->activities[order[i]], 0, 0);
}

static void
tl_today(struct tl *t, int height)
{
	int x = tl_x(t, t->o->today), right = x > TL_X1 - 60;

	sbuf_printf(t->out, "<line class=\"today\" x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\"/>", x, x,
	    height - TL_BOTTOM + 4);
	sbuf_printf(t->out, "<text class=\"sm today\" x=\"%d\" y=\"%d\"%s>", x, height - 6,
	    right ? " text-anchor=\"end\"" : " text-anchor=\"middle\"");
	page_escape(t->out, i18n_tr(t->lang, "Today"));
	sbuf_puts(t->out, "</text>\n");
}

static void
tl_legend(struct tl *t)
{
	static const enum page_look order[] = { LOOK_OPEN, LOOK_SOON, LOOK_OVERDUE, LOOK_DONE,
		LOOK_CANCELLED };
	size_t i;

	sbuf_puts(t->out,
	    "<ul class=\"legend\"><li><svg width=\"18\" height=\"18\" "
	    "viewBox=\"0 0 18 18\" aria-hidden=\"true\"><path class=\"k-open\" "
	    "d=\"M9 1l8 8-8 8-8-8z\"/></svg>");
	page_escape(t->out, i18n_tr(t->lang, "Milestone"));
	sbuf_puts(t->out, "</li>");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		sbuf_puts(t->out,
		    "<li><svg width=\"18\" height=\"18\" viewBox=\"0 0 18 18\" "
		    "aria-hidden=\"true\">");
		tl_marker(t->out, 0, order[i], 9, 9);
		sbuf_puts(t->out, "</svg>");
		page_escape(t->out, page_look_word(t->lang, order[i]));
		sbuf_puts(t->out, "</li>");
	}
	sbuf_puts(t->out,
	    "<li><svg width=\"18\" height=\"18\" viewBox=\"0 0 18 18\" "
	    "aria-hidden=\"true\"><path class=\"k-at_risk\" d=\"M9 1l8 8-8 8-8-8z\"/></svg>");
	page_escape(t->out, page_look_word(t->lang, LOOK_AT_RISK));
	sbuf_puts(t->out, "</li></ul>\n");
}

void
page_timeline(struct sbuf *out, const struct page_plan *p, const struct page_options *o)
{
	struct tl t = { out, p, o, i18n_lang(p->lang), 0, 0, TL_TOP };
	size_t *first, *order, rows;
	int height;
	char b1[48], b2[48];

	if (p->n_milestones == 0 && p->n_activities == 0) {
		sbuf_puts(out, "<p class=\"muted\">");
		page_escape(out, i18n_tr(t.lang, "No milestones or activities recorded."));
		sbuf_puts(out, "</p>\n");
		return;
	}
	first = malloc((p->n_milestones + 2) * sizeof(*first));
	order = first != NULL ? tl_lanes(p, first) : NULL;
	if (order == NULL) {
		free(first);
		out->failed = 1;
		return;
	}
	tl_range(&t);
	rows = p->n_milestones + p->n_activities +
	    (first[p->n_milestones + 1] > first[p->n_milestones]);
	height = TL_TOP + (int)rows * TL_ROW + TL_BOTTOM;
	sbuf_printf(out,
	    "<div class=\"scroll\"><svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\"><title>",
	    TL_W, height, TL_W, height);
	page_escape(out, i18n_tr(t.lang, "Timeline"));
	sbuf_puts(out, ": ");
	page_escape(out, p->title);
	sbuf_puts(out, "</title><desc>");
	page_escape(out, i18n_short_date(t.lang, t.start, b1, sizeof(b1)));
	sbuf_puts(out, " \xe2\x80\x93 ");
	page_escape(out, i18n_short_date(t.lang, t.end - 1, b2, sizeof(b2)));
	sbuf_printf(out,
	    "</desc>\n<defs><clipPath id=\"tl-clip\"><rect width=\"%d\" height=\"%d\"/>"
	    "</clipPath></defs>\n",
	    TL_X0 - 12, height);
	tl_months(&t, height);
	tl_rows(&t, order, first);
	tl_today(&t, height);
	sbuf_puts(out, "</svg></div>\n");
	tl_legend(&t);
	free(order);
	free(first);
}

/* ---------------------------------------------------------------------------------- */

#define CH_W 600
#define CH_H 230
#define CH_X0 10
#define CH_BASE 180
#define CH_TOP 40
#define CH_MAX_PERIODS 12

static void
ch_bar(struct sbuf *out, const char *lang, const struct page_history *h, int margin, int x, int w,
    double max)
{
	double v = margin ? h->margin : h->revenue;
	int has = margin ? h->has_margin : h->has_revenue;
	int bh = has && v > 0 && max > 0 ? (int)(v / max * (CH_BASE - CH_TOP) + 0.5) : 0;

	sbuf_puts(out, "<g><title>");
	page_escape(out, h->period);
	sbuf_puts(out, ": ");
	page_escape(out, i18n_tr(lang, margin ? "Contribution margin" : "Revenue"));
	sbuf_puts(out, " ");
	if (has) {
		page_amount(out, lang, v);
		sbuf_puts(out, " ");
		page_escape(out, h->currency);
	} else {
		sbuf_puts(out, "\xe2\x80\x93");
	}
	sbuf_puts(out, "</title>");
	if (has)
		sbuf_printf(out,
		    "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
		    margin ? "mar" : "rev", x, CH_BASE - bh, w, bh);
	else
		sbuf_printf(out,
		    "<text class=\"sm\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
		    "\xe2\x80\x93</text>",
		    x + w / 2, CH_BASE - 4);
	sbuf_puts(out, "</g>");
}

static void
ch_legend(struct sbuf *out, const char *lang, double max, const char *currency)
{
	sbuf_puts(out,
	    "<rect class=\"rev\" x=\"10\" y=\"6\" width=\"12\" height=\"12\"/>"
	    "<text class=\"sm\" x=\"27\" y=\"16\">");
	page_escape(out, i18n_tr(lang, "Revenue"));
	sbuf_puts(out,
	    "</text><rect class=\"mar\" x=\"190\" y=\"6\" width=\"12\" height=\"12\"/>"
	    "<text class=\"sm\" x=\"207\" y=\"16\">");
	page_escape(out, i18n_tr(lang, "Contribution margin"));
	sbuf_printf(
	    out, "</text><text class=\"sm\" x=\"%d\" y=\"34\" text-anchor=\"end\">", CH_W - 10);
	page_escape(out, i18n_tr(lang, "max."));
	sbuf_puts(out, " ");
	page_amount(out, lang, max);
	sbuf_puts(out, " ");
	page_escape(out, currency);
	sbuf_printf(out, "</text><line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
	    CH_X0, CH_TOP, CH_W - 10, CH_TOP);
}

void
page_history_chart(struct sbuf *out, const struct page_plan *p)
{
	const char *lang = i18n_lang(p->lang);
	size_t first = p->n_history > CH_MAX_PERIODS ? p->n_history - CH_MAX_PERIODS : 0, i, n;
	double max = 0;
	int gw, bw, gx;

	n = p->n_history - first;
	for (i = first; i < p->n_history; i++) {
		if (p->history[i].has_revenue && p->history[i].revenue > max)
			max = p->history[i].revenue;
		if (p->history[i].has_margin && p->history[i].margin > max)
			max = p->history[i].margin;
	}
	gw = (CH_W - 2 * CH_X0) / (int)n;
	bw = gw * 2 / 5 > 48 ? 48 : gw * 2 / 5;
	sbuf_printf(out,
	    "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
	    "%d %d\" width=\"%d\" height=\"%d\"><title>",
	    CH_W, CH_H, CH_W, CH_H);
	page_escape(out, i18n_tr(lang, "Revenue and contribution margin by period"));
	sbuf_puts(out, "</title>");
	ch_legend(out, lang, max, p->history[p->n_history - 1].currency);
	for (i = first; i < p->n_history; i++) {
		gx = CH_X0 + (int)(i - first) * gw + gw / 2;
		ch_bar(out, lang, &p->history[i], 0, gx - bw - 1, bw, max);
		ch_bar(out, lang, &p->history[i], 1, gx + 1, bw, max);
		sbuf_printf(out, "<text class=\"sm\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", gx,
		    CH_BASE + 18);
		escape_cut(out, p->history[i].period, 10, 1);
		sbuf_puts(out, "</text>");
	}
	sbuf_printf(out,
	    "<line stroke=\"#57606a\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></svg>\n", CH_X0,
	    CH_BASE, CH_W - 10, CH_BASE);
}
