/* Unit tests for the plan page (core/page.c, core/page_svg.c): planted markup is escaped
 * everywhere, right-to-left and CJK text passes unchanged, a page for a wider audience
 * carries no revenue, margin, complaint or contact note, the timeline tells each state
 * by shape and word, figures are grouped by the language, and the page has no script
 * and no external resource. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "testutil.h"

#include "core/page.h"
#include "lib/sbuf.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define EVIL "<script>alert(\"x\")</script> & \"q\" 'a'"
#define RTL "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d" /* שלום עולם */
#define CJK "\xe9\x99\x88\xe7\xab\x8b"                                          /* 陈立 */

static const struct page_contact contacts[] = {
	{ "Contact " EVIL, "CTO " RTL, "c@x.example", "+49 1", "decision-maker", "supportive",
	    "NOTES-MARKER " EVIL },
	{ "Li " CJK, NULL, NULL, NULL, "champion", NULL, NULL },
};
static const char *const needs[] = { "Need " EVIL, "Need " CJK };
static const struct page_competitor competitors[] = {
	{ "Rival " EVIL, "first", "strong " EVIL, "weak" },
};
static const struct page_history history[] = {
	{ "2024", "EUR", 987654321.0, 0, 1, 0 },
	{ "2025 " EVIL, "EUR", 1234567.0, 123456789.0, 1, 1 },
};
static const struct page_goal goals[] = {
	{ "mid", "product", "BZ " EVIL, "Goal " EVIL, "target " EVIL, 0 },
	{ "long", NULL, NULL, "Long goal " RTL, NULL, PAGE_NO_DATE },
};
static const struct page_swot swot[] = {
	{ "strength", "S " EVIL },
	{ "threat", "T " CJK },
};
static const struct page_member team[] = {
	{ "KAM " EVIL, "kam", "f " EVIL },
	{ "Member " CJK, "member", NULL },
};
static const struct page_project projects[] = {
	{ "p1", "Project " EVIL, "open", PAGE_NO_DATE, PAGE_NO_DATE },
};
static const struct page_complaint complaints[] = {
	{ 0, "COMPLAINT-MARKER " EVIL, "open" },
};
static struct page_item milestones[2];
static struct page_item activities[5];
static const struct page_move moves[] = {
	{ "activity", "a1", "Moved " EVIL, 0, 0, 0 },
	{ "plan", "k", NULL, 0, 0, 0 },
};
static const struct page_section sections[] = {
	{ "Goals", 0 },
	{ "SWOT", PAGE_NO_DATE },
};

/* Today is 2026-12-01; soon means within 7 days. */
static struct page_plan
plan_of(const char *lang)
{
	struct page_plan p;
	kdate_t today = day_of("2026-12-01");

	memset(&p, 0, sizeof(p));
	p.lang = lang;
	p.key = "k";
	p.title = "Plan " EVIL;
	p.state = "active";
	p.kam = "KAM " EVIL;
	p.sponsor = NULL;
	p.last_review = day_of("2025-12-21");
	p.next_review = day_of("2026-12-21");
	p.account.name = "Account " EVIL " " RTL;
	p.account.website = "https://x.example/?a=1&b=\"2\"";
	p.account.positioning = "line one\nline two " EVIL;
	p.account.market_volume = 38000000;
	p.account.market_currency = "EUR";
	p.contacts = contacts;
	p.n_contacts = N_ELEMS(contacts);
	p.needs = needs;
	p.n_needs = N_ELEMS(needs);
	p.competitors = competitors;
	p.n_competitors = N_ELEMS(competitors);
	p.history = history;
	p.n_history = N_ELEMS(history);
	p.goals = goals;
	p.n_goals = N_ELEMS(goals);
	p.swot = swot;
	p.n_swot = N_ELEMS(swot);
	p.team = team;
	p.n_team = N_ELEMS(team);
	p.projects = projects;
	p.n_projects = N_ELEMS(projects);
	p.complaints = complaints;
	p.n_complaints = N_ELEMS(complaints);
	milestones[0] = (struct page_item){ "m1", "Milestone " EVIL, "Owner " EVIL, today + 20,
		PAGE_NO_DATE, PAGE_OPEN, -1 };
	milestones[1] = (struct page_item){ "m2", "Done milestone " CJK, NULL, today - 40,
		today - 41, PAGE_DONE, -1 };
	activities[0] = (struct page_item){ "a1", "Late activity " EVIL, "Owner " EVIL, today - 3,
		PAGE_NO_DATE, PAGE_OPEN, 0 };
	activities[1] = (struct page_item){ "a2", "Soon activity " RTL, NULL, today + 2,
		PAGE_NO_DATE, PAGE_OPEN, 0 };
	activities[2] = (struct page_item){ "a3", "Cancelled activity", NULL, today + 5,
		PAGE_NO_DATE, PAGE_CANCELLED, 1 };
	activities[3] = (struct page_item){ "a4", "Loose activity " CJK, "Li " CJK, today + 60,
		PAGE_NO_DATE, PAGE_OPEN, -1 };
	activities[4] = (struct page_item){ "a5", "Done loose activity", NULL, today - 10,
		today - 9, PAGE_DONE, -1 };
	p.milestones = milestones;
	p.n_milestones = N_ELEMS(milestones);
	p.activities = activities;
	p.n_activities = N_ELEMS(activities);
	p.moves = moves;
	p.n_moves = N_ELEMS(moves);
	p.sections = sections;
	p.n_sections = N_ELEMS(sections);
	p.since = PAGE_NO_DATE;
	return p;
}

static char *
compose(const struct page_plan *p, int confidential)
{
	struct page_options o = { day_of("2026-12-01"), 7, 180, confidential };
	struct sbuf b = SBUF_INIT;
	char *s = NULL;

	page_compose(p, &o, &b);
	assert_false(b.failed);
	assert_int_equal(sbuf_finish(&b, &s, NULL), 0);
	return s;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* ---------------------------------------------------------------------------------- */

static void
planted_markup_is_escaped_everywhere(void **state)
{
	struct page_plan p = plan_of("en");
	char *s = compose(&p, 1);

	(void)state;
	if (strcasestr(s, "<script") != NULL)
		fail_msg("a planted <script> reached the page unescaped");
	if (strstr(s, "\"q\"") != NULL || strstr(s, "'a'") != NULL)
		fail_msg("a planted quote reached the page unescaped");
	if (strstr(s, " & ") != NULL)
		fail_msg("a planted & reached the page unescaped");
	/* Every planted copy shows, escaped: title, account, KAM, contact, need, goal... */
	assert_true(count(s,
	                "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
	                "&quot;q&quot; &#39;a&#39;") >= 20);
	assert_non_null(strstr(s, "https://x.example/?a=1&amp;b=&quot;2&quot;"));
	free(s);
}

static void
rtl_and_cjk_text_pass_unchanged(void **state)
{
	struct page_plan p = plan_of("en");
	char *s = compose(&p, 1);

	(void)state;
	assert_true(count(s, RTL) >= 4);
	assert_true(count(s, CJK) >= 5);
	/* Each paragraph or cell takes its direction from its own text. */
	assert_non_null(strstr(s, "unicode-bidi:plaintext"));
	free(s);
}

static void
wider_audience_page_has_no_confidential_marker(void **state)
{
	static const char *const markers[] = { "NOTES-MARKER", "COMPLAINT-MARKER", "987,654,321",
		"123,456,789", "1,234,567" };
	struct page_plan p = plan_of("en");
	char *open = compose(&p, 0), *full = compose(&p, 1);
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(markers); i++) {
		if (strstr(open, markers[i]) != NULL)
			fail_msg("confidential = false, yet the page shows \"%s\"", markers[i]);
		if (strstr(full, markers[i]) == NULL)
			fail_msg("confidential = true, yet the page lacks \"%s\"", markers[i]);
	}
	free(open);
	free(full);
}

static void
missing_margin_is_a_dash_not_zero(void **state)
{
	struct page_plan p = plan_of("en");
	char *s = compose(&p, 1);

	(void)state;
	assert_non_null(strstr(s, "987,654,321 EUR</td><td class=\"num\">\xe2\x80\x93</td>"));
	assert_null(strstr(s, ">0 EUR<"));
	free(s);
}

static void
item_look_follows_state_deadline_and_risk(void **state)
{
	static const struct {
		enum page_state st;
		int due, at_risk; /* due: days from today */
		enum page_look want;
	} cases[] = {
		{ PAGE_OPEN, 30, 0, LOOK_OPEN },
		{ PAGE_OPEN, 8, 0, LOOK_OPEN },
		{ PAGE_OPEN, 7, 0, LOOK_SOON },
		{ PAGE_OPEN, 0, 0, LOOK_SOON },
		{ PAGE_OPEN, -1, 0, LOOK_OVERDUE },
		{ PAGE_OPEN, -1, 1, LOOK_OVERDUE },
		{ PAGE_OPEN, 30, 1, LOOK_AT_RISK },
		{ PAGE_OPEN, 2, 1, LOOK_AT_RISK },
		{ PAGE_DONE, -5, 1, LOOK_DONE },
		{ PAGE_CANCELLED, -5, 0, LOOK_CANCELLED },
	};
	struct page_options o = { day_of("2026-12-01"), 7, 180, 1 };
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		struct page_item it = { "k", "t", NULL, o.today + cases[i].due, PAGE_NO_DATE,
			cases[i].st, -1 };

		if (page_item_look(&it, cases[i].at_risk, &o) != cases[i].want)
			fail_msg("case %zu: state %d due %+d at_risk %d: look %d, expected %d", i,
			    cases[i].st, cases[i].due, cases[i].at_risk,
			    page_item_look(&it, cases[i].at_risk, &o), cases[i].want);
	}
}

/* The timeline's own SVG (not its legend). */
static char *
timeline_of(const char *page)
{
	const char *a = strstr(page, "<svg class=\"tl\""), *b;
	char *svg;

	assert_non_null(a);
	b = strstr(a, "</svg>");
	assert_non_null(b);
	svg = strndup(a, (size_t)(b - a));
	assert_non_null(svg);
	return svg;
}

static void
timeline_tells_states_by_shape_and_word(void **state)
{
	struct page_plan p = plan_of("en");
	char *s = compose(&p, 1), *svg = timeline_of(s);

	(void)state;
	assert_non_null(strstr(svg, "<title>Timeline: Plan &lt;script&gt;"));
	/* m1 has an overdue activity: at risk, a hollow red diamond and the words. */
	assert_non_null(strstr(svg, "<path class=\"k-at_risk\""));
	assert_non_null(strstr(svg, ">at risk</text>"));
	assert_non_null(strstr(svg, "<rect class=\"k-overdue\""));
	assert_non_null(strstr(svg, ">overdue</text>"));
	assert_non_null(strstr(svg, "<path class=\"k-soon\""));
	assert_non_null(strstr(svg, ">due soon</text>"));
	assert_non_null(strstr(svg, "<path class=\"k-x\""));
	assert_non_null(strstr(svg, ">cancelled</text>"));
	assert_non_null(strstr(svg, "<path class=\"k-done\""));   /* the done milestone */
	assert_non_null(strstr(svg, "<circle class=\"k-done\"")); /* the done activity */
	assert_non_null(strstr(svg, "<circle class=\"k-open\""));
	assert_non_null(strstr(svg, "<line class=\"today\""));
	assert_non_null(strstr(svg, ">Today</text>"));
	assert_non_null(strstr(svg, "Without milestone"));
	/* Months across: December 2025 to February 2027 (the loose activity). */
	assert_non_null(strstr(svg, ">Dec</text>"));
	assert_non_null(strstr(svg, ">2025</text>"));
	assert_non_null(strstr(svg, ">2027</text>"));
	free(svg);
	free(s);
}

static void
timeline_without_loose_items_has_no_extra_lane(void **state)
{
	struct page_plan p = plan_of("en");
	char *s;

	(void)state;
	p.n_activities = 3; /* only the ones with a milestone */
	s = compose(&p, 1);
	assert_null(strstr(s, "Without milestone"));
	free(s);
	p.n_milestones = p.n_activities = 0;
	s = compose(&p, 1);
	assert_null(strstr(s, "<svg class=\"tl\""));
	assert_non_null(strstr(s, "No milestones or activities recorded."));
	free(s);
}

static void
figures_are_grouped_by_language(void **state)
{
	static const struct {
		const char *lang;
		double v;
		const char *want;
	} cases[] = {
		{ "en", 0, "0" },
		{ "en", 999, "999" },
		{ "en", 1000, "1,000" },
		{ "en", 38000000, "38,000,000" },
		{ "en", -1234.4, "-1,234.40" },
		{ "de", 1234.5, "1.234,50" },
		{ "de", 1234567, "1.234.567" },
		{ "de", 100000, "100.000" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++) {
		struct sbuf b = SBUF_INIT;

		page_amount(&b, cases[i].lang, cases[i].v);
		sbuf_add(&b, "", 0);
		if (strcmp(b.s, cases[i].want) != 0)
			fail_msg("%s %.1f: \"%s\", expected \"%s\"", cases[i].lang, cases[i].v, b.s,
			    cases[i].want);
		sbuf_free(&b);
	}
}

static void
page_is_in_the_plan_language(void **state)
{
	struct page_plan p = plan_of("de-AT");
	char *s = compose(&p, 1);

	(void)state;
	assert_non_null(strstr(s, "<html lang=\"de\">"));
	assert_non_null(strstr(s, "38.000.000 EUR"));
	assert_non_null(strstr(s, ">Zeitplan</h2>"));
	assert_non_null(strstr(s, ">Heute</text>"));
	assert_non_null(strstr(s, "01.12.2026"));
	free(s);
}

static void
page_has_no_script_and_no_external_resource(void **state)
{
	static const char *const banned[] = { "<script", "<link", "<img", "<iframe", "<object",
		"src=", "@import", "url(http", "javascript:",
		" on"
		"load=",
		"<base" };
	struct page_plan p = plan_of("en");
	char *s = compose(&p, 1);
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(banned); i++)
		if (strcasestr(s, banned[i]) != NULL)
			fail_msg("the page contains \"%s\"", banned[i]);
	assert_true(strncmp(s, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
	assert_non_null(strstr(s, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(s, "@media print{@page{size:A4"));
	assert_non_null(strstr(s, "<th scope=\"col\">"));
	free(s);
}

static void
changes_since_the_annual_update_replace_the_moved_deadlines(void **state)
{
	struct page_change changes[] = {
		{ CHANGE_MOVED, "Activity", "Moved " EVIL, day_of("2026-11-01"),
		    day_of("2026-11-20"), NULL, NULL, 3 },
		{ CHANGE_OWNER, "Milestone", "Handed over", PAGE_NO_DATE, PAGE_NO_DATE,
		    "Anna " EVIL, NULL, 1 },
		{ CHANGE_ADDED, "Need", "Need " RTL, PAGE_NO_DATE, PAGE_NO_DATE, NULL, NULL, 0 },
	};
	struct page_plan p = plan_of("en");
	char *s;

	(void)state;
	s = compose(&p, 1);
	assert_non_null(strstr(s, ">Moved deadlines</h2>"));
	assert_null(strstr(s, "Since the last annual update"));
	free(s);
	p.since = day_of("2025-12-21");
	p.changes = changes;
	p.n_changes = N_ELEMS(changes);
	s = compose(&p, 1);
	assert_null(strstr(s, ">Moved deadlines</h2>"));
	assert_non_null(strstr(s, ">Since the last annual update</h2>"));
	assert_non_null(strstr(s, "Changes since the annual update of 21 Dec 2025."));
	assert_non_null(strstr(s, "<td>moved</td><td>Activity</td><td>Moved &lt;script&gt;"));
	assert_non_null(strstr(s, "1 Nov 2026 \xe2\x86\x92 20 Nov 2026 (+19) 3 times</td>"));
	assert_non_null(strstr(s,
	    "<td>Anna &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
	    "&amp; &quot;q&quot; &#39;a&#39; \xe2\x86\x92 nobody</td>"));
	assert_non_null(strstr(s, "<td>added</td><td>Need</td><td>Need " RTL "</td>"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(planted_markup_is_escaped_everywhere),
		cmocka_unit_test(rtl_and_cjk_text_pass_unchanged),
		cmocka_unit_test(wider_audience_page_has_no_confidential_marker),
		cmocka_unit_test(missing_margin_is_a_dash_not_zero),
		cmocka_unit_test(item_look_follows_state_deadline_and_risk),
		cmocka_unit_test(timeline_tells_states_by_shape_and_word),
		cmocka_unit_test(timeline_without_loose_items_has_no_extra_lane),
		cmocka_unit_test(figures_are_grouped_by_language),
		cmocka_unit_test(page_is_in_the_plan_language),
		cmocka_unit_test(page_has_no_script_and_no_external_resource),
		cmocka_unit_test(changes_since_the_annual_update_replace_the_moved_deadlines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
