/* kapctl show plan: the whole key account plan on one terminal page.  It renders the
 * plan's export document, so what it shows is exactly what export carries. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/numfmt.h"
#include "lib/sbuf.h"
#include "run/pages.h"
#include "store/planio.h"

static const char *
str(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

/* Prints free text indented, line by line. */
static void
print_text(const struct ctl *c, const char *label, const char *text)
{
	const char *p = text, *nl;

	if (text == NULL)
		return;
	printf("  ");
	ctl_label(c, label, 21);
	for (;;) {
		nl = strchr(p, '\n');
		printf("%.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (nl == NULL)
			break;
		p = nl + 1;
		printf("  %-20s ", "");
	}
}

static const char *
person_name(const struct ctl *c, json_t *doc, const char *key)
{
	json_t *p;
	size_t i;

	if (key == NULL)
		return tr(c, "(no owner)");
	json_array_foreach(json_object_get(doc, "people"), i, p) if (str(p, "key") != NULL &&
	    strcmp(str(p, "key"), key) == 0) return or_dash(str(p, "name"));
	return key;
}

/* "overdue 3 d", "due today", "in 5 d" relative to today. */
static void
relative(const struct ctl *c, char *buf, size_t len, const char *date, kdate_t today)
{
	kdate_t d;
	long k;

	if (date == NULL || kdate_parse(date, &d) < 0) {
		snprintf(buf, len, "-");
		return;
	}
	k = (long)today - (long)d;
	if (k > 0)
		snprintf(buf, len, tr(c, "overdue %ld d"), k);
	else if (k == 0)
		snprintf(buf, len, "%s", tr(c, "due today"));
	else
		snprintf(buf, len, tr(c, "in %ld d"), -k);
}

/* Appends a table row from cells; a failed allocation marks the table failed. */
static void
row(struct table *t, int *failed, const char *c0, const char *c1, const char *c2, const char *c3,
    const char *c4, const char *c5)
{
	const char *cells[6] = { c0, c1, c2, c3, c4, c5 };

	if (t == NULL || table_row(t, cells) < 0)
		*failed = 1;
}

/* Prints a section's table (or nothing when it has no rows); 0 or -ENOMEM. */
static int
print_section(const struct ctl *c, const char *title, struct table *t, int failed)
{
	int r = 0;

	if (t == NULL || failed)
		r = -ENOMEM;
	else if (table_rows(t) > 0) {
		printf("\n%s\n", tr(c, title));
		r = ctl_table_print(c, t, "  ") == EX_OK ? 0 : -ENOMEM;
		t = NULL;
	}
	table_free(t);
	return r;
}

static struct table *
section(const struct ctl *c, const char *const *headings, size_t title_max)
{
	struct table *t = ctl_table(c, headings);
	size_t n;

	/* The column named TITLE or TEXT may be cut: it is the one that grows. */
	for (n = 0; t != NULL && headings[n] != NULL; n++)
		if (strcmp(headings[n], "TITLE") == 0 || strcmp(headings[n], "TEXT") == 0)
			ctl_column(c, t, n, headings[n], title_max, WIDTH_LEFT);
	return t;
}

static json_t *
person_of(json_t *doc, const char *key)
{
	json_t *p;
	size_t k;

	json_array_foreach(json_object_get(doc, "people"), k,
	    p) if (key != NULL && strcmp(or_dash(str(p, "key")), key) == 0) return p;
	return NULL;
}

/* An amount of member name of obj as the plan's language writes it; a missing one (absent
 * or null) as a dash, never as 0. */
static const char *
amount(const char *lang, json_t *obj, const char *name, const char *currency, char *buf, size_t len)
{
	json_t *v = json_object_get(obj, name);
	double d = json_number_value(v);

	return numfmt_money(lang, json_is_number(v) ? &d : NULL, currency, buf, len);
}

/* The plan's language, else its KAM's, for the numbers it shows. */
static const char *
plan_language(json_t *doc, json_t *plan)
{
	json_t *m;
	size_t i;

	if (str(plan, "language") != NULL)
		return str(plan, "language");
	json_array_foreach(
	    json_object_get(plan, "team"), i, m) if (strcmp(or_dash(str(m, "role")), "kam") ==
	    0) return str(person_of(doc, str(m, "person")), "language");
	return NULL;
}

static void
show_account(const struct ctl *c, json_t *acc, const char *lang)
{
	static const char *const heads[] = { N_("NAME"), N_("FUNCTION"), N_("ROLE"), N_("ATTITUDE"),
		N_("EMAIL"), N_("PHONE"), NULL };
	json_t *mv = json_object_get(acc, "market_volume"), *el;
	char money[64];
	struct table *t;
	int failed = 0;
	size_t i;

	printf("\n%s\n  ", tr(c, "Account"));
	ctl_label(c, N_("Customer"), 21);
	printf("%s (%s)\n", or_dash(str(acc, "name")), or_dash(str(acc, "key")));
	print_text(c, N_("Industry"), str(acc, "industry"));
	print_text(c, N_("Address"), str(acc, "address"));
	print_text(c, N_("Phone"), str(acc, "phone"));
	print_text(c, N_("Email"), str(acc, "email"));
	print_text(c, N_("Website"), str(acc, "website"));
	if (str(acc, "rating") || str(acc, "potential")) {
		printf("  ");
		ctl_label(c, N_("Rating"), 21);
		printf(tr(c, "%s, potential %s\n"), or_dash(str(acc, "rating")),
		    or_dash(str(acc, "potential")));
	}
	if (json_is_object(mv)) {
		printf("  ");
		ctl_label(c, N_("Market volume"), 21);
		printf(
		    "%s\n", amount(lang, mv, "amount", str(mv, "currency"), money, sizeof(money)));
	}
	print_text(c, N_("Positioning"), str(acc, "positioning"));
	print_text(c, N_("Strategic direction"), str(acc, "strategic_direction"));
	print_text(c, N_("Customer processes"), str(acc, "processes"));
	print_text(c, N_("Networks"), str(acc, "networks"));
	t = section(c, heads, 0);
	json_array_foreach(json_object_get(acc, "contacts"), i, el)
	    row(t, &failed, str(el, "name"), str(el, "function"), str(el, "decision_role"),
	        str(el, "attitude"), str(el, "email"), str(el, "phone"));
	print_section(c, N_("Contacts"), t, failed);
	if (json_array_size(json_object_get(acc, "needs")))
		printf("\n%s\n", tr(c, "Needs"));
	json_array_foreach(json_object_get(acc, "needs"), i, el)
	    printf("  - %s\n", or_dash(str(el, "text")));
}

static void
show_history(const struct ctl *c, json_t *acc, const char *lang)
{
	static const char *const heads[] = { N_("PERIOD"), N_("REVENUE"), N_("MARGIN"), NULL };
	char rev[64], mar[64];
	struct table *t = ctl_table(c, heads);
	int failed = 0;
	json_t *el;
	size_t i;

	if (t != NULL) {
		ctl_column(c, t, 1, heads[1], 0, WIDTH_RIGHT);
		ctl_column(c, t, 2, heads[2], 0, WIDTH_RIGHT);
	}
	json_array_foreach(json_object_get(acc, "history"), i, el) row(t, &failed,
	    str(el, "period"), amount(lang, el, "revenue", str(el, "currency"), rev, sizeof(rev)),
	    amount(lang, el, "margin", str(el, "currency"), mar, sizeof(mar)), NULL, NULL, NULL);
	print_section(c, N_("History"), t, failed);
}

static void
show_market(const struct ctl *c, json_t *acc, const char *lang)
{
	static const char *const proj[] = { N_("KEY"), N_("STATE"), N_("START"), N_("END"),
		N_("TITLE"), NULL };
	static const char *const compl [] = { N_("DATE"), N_("STATE"), N_("SUBJECT"), NULL };
	static const char *const swot[] = { N_("KIND"), N_("TEXT"), NULL };
	struct table *t;
	json_t *el;
	size_t i;
	int failed = 0;

	if (json_array_size(json_object_get(acc, "competitors")))
		printf("\n%s\n", tr(c, "Competitors"));
	json_array_foreach(json_object_get(acc, "competitors"), i, el)
	{
		printf("  %s: %s\n", or_dash(str(el, "name")), or_dash(str(el, "position")));
		print_text(c, N_("  strengths"), str(el, "strengths"));
		print_text(c, N_("  weaknesses"), str(el, "weaknesses"));
	}
	show_history(c, acc, lang);
	t = section(c, proj, 0);
	json_array_foreach(json_object_get(acc, "projects"), i, el) row(t, &failed, str(el, "key"),
	    str(el, "state"), str(el, "start"), str(el, "end"), str(el, "title"), NULL);
	print_section(c, N_("Projects"), t, failed);
	t = section(c, compl, 0);
	json_array_foreach(json_object_get(acc, "complaints"), i, el) row(
	    t, &failed, str(el, "date"), str(el, "state"), str(el, "subject"), NULL, NULL, NULL);
	print_section(c, N_("Complaints"), t, failed);
	t = section(c, swot, 0);
	json_array_foreach(json_object_get(acc, "swot"), i, el)
	    row(t, &failed, str(el, "kind"), str(el, "text"), NULL, NULL, NULL, NULL);
	print_section(c, N_("SWOT"), t, failed);
}

static void
show_team(const struct ctl *c, json_t *doc, json_t *plan)
{
	static const char *const heads[] = { N_("ROLE"), N_("NAME"), N_("FUNCTION"), N_("EMAIL"),
		N_("LANGUAGE"), N_("TIME ZONE"), NULL };
	struct table *t = ctl_table(c, heads);
	int failed = 0;
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(plan, "team"), i, m)
	{
		json_t *person = person_of(doc, str(m, "person"));

		row(t, &failed, str(m, "role"), person_name(c, doc, str(m, "person")),
		    str(m, "function") ? str(m, "function") : str(person, "function"),
		    str(person, "email"), str(person, "language"), str(person, "timezone"));
	}
	if (table_rows(t) == 0)
		printf("\n%s\n  %s\n", tr(c, "Key account team"), tr(c, "(none)"));
	print_section(c, N_("Key account team"), t, failed);
}

static void
show_goals(const struct ctl *c, json_t *plan)
{
	const char *h;
	json_t *g;
	size_t i;

	if (json_array_size(json_object_get(plan, "goals")))
		printf("\n%s\n", tr(c, "Goals"));
	json_array_foreach(json_object_get(plan, "goals"), i, g)
	{
		h = or_dash(str(g, "horizon"));
		h = strcmp(h, "mid") == 0    ? tr(c, "mid-term")
		    : strcmp(h, "long") == 0 ? tr(c, "long-term")
		                             : h;
		printf("  [%s%s%s%s%s] %s\n", h, str(g, "focus") ? ", " : "",
		    str(g, "focus") ? str(g, "focus") : "", str(g, "focus_value") ? ": " : "",
		    str(g, "focus_value") ? str(g, "focus_value") : "", or_dash(str(g, "text")));
		if (str(g, "target") || str(g, "due"))
			printf(tr(c, "      target %s by %s\n"), or_dash(str(g, "target")),
			    or_dash(str(g, "due")));
	}
}

/* Progress of a milestone from its activities, and the at-risk flag (SPEC §3): an open
 * linked activity already overdue. */
static void
milestone_progress(json_t *plan, const char *key, kdate_t today, int *done, int *total, int *risk)
{
	json_t *a;
	size_t i;
	kdate_t d;

	*done = *total = *risk = 0;
	json_array_foreach(json_object_get(plan, "activities"), i, a)
	{
		if (str(a, "milestone") == NULL || strcmp(str(a, "milestone"), key) != 0 ||
		    strcmp(or_dash(str(a, "state")), "cancelled") == 0)
			continue;
		(*total)++;
		*done += strcmp(or_dash(str(a, "state")), "done") == 0;
		if (strcmp(or_dash(str(a, "state")), "open") == 0 &&
		    kdate_parse(or_dash(str(a, "due")), &d) == 0 && d < today)
			*risk = 1;
	}
}

static void
show_items(const struct ctl *c, json_t *doc, json_t *plan, const char *what, kdate_t today)
{
	static const char *const heads[] = { N_("DUE"), N_("STATUS"), N_("KEY"), N_("TITLE"),
		N_("OWNER"), N_("PROGRESS"), NULL };
	int is_ms = strcmp(what, "milestones") == 0, done, total, risk, failed = 0;
	char rel[32], progress[48];
	struct table *t = section(c, heads, 60);
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(plan, what), i, it)
	{
		const char *state = or_dash(str(it, "state"));

		if (strcmp(state, "open") == 0)
			relative(c, rel, sizeof(rel), str(it, "due"), today);
		else
			snprintf(rel, sizeof(rel), "%s", state);
		progress[0] = '\0';
		if (is_ms) {
			milestone_progress(
			    plan, or_dash(str(it, "key")), today, &done, &total, &risk);
			if (total > 0)
				snprintf(progress, sizeof(progress), "%d/%d %s%s", done, total,
				    tr(c, "done"),
				    risk && strcmp(state, "open") == 0 ? tr(c, ", AT RISK") : "");
		} else if (str(it, "milestone") != NULL) {
			snprintf(progress, sizeof(progress), "-> %s", str(it, "milestone"));
		}
		row(t, &failed, str(it, "due"), rel, str(it, "key"), str(it, "title"),
		    person_name(c, doc, str(it, "owner")), progress);
	}
	if (table_rows(t) == 0)
		printf("\n%s\n  %s\n", is_ms ? tr(c, "Milestones") : tr(c, "Activities"),
		    tr(c, "(none)"));
	print_section(c, is_ms ? N_("Milestones") : N_("Activities"), t, failed);
}

static void
show_plan(const struct ctl *c, json_t *doc, json_t *acc, json_t *plan, kdate_t today)
{
	const char *lang = plan_language(doc, plan);
	char rel[32];

	printf("%s\n", or_dash(str(plan, "title")));
	printf(tr(c, "  plan %s, %s; language %s, time zone %s\n"), or_dash(str(plan, "key")),
	    or_dash(str(plan, "state")), or_dash(str(plan, "language")),
	    or_dash(str(plan, "timezone")));
	relative(c, rel, sizeof(rel), str(plan, "next_review"), today);
	printf(tr(c, "  annual update: next %s (%s), last %s\n"), or_dash(str(plan, "next_review")),
	    str(plan, "next_review") ? rel : tr(c, "not scheduled"),
	    or_dash(str(plan, "last_review")));
	show_account(c, acc, lang);
	show_market(c, acc, lang);
	show_team(c, doc, plan);
	show_goals(c, plan);
	show_items(c, doc, plan, "milestones", today);
	show_items(c, doc, plan, "activities", today);
}

/* The plan's page (SPEC §9), exactly as kapd writes it. */
static int
show_html(struct ctl *c, const char *key)
{
	struct sbuf page = SBUF_INIT;
	char err[512];
	int r;

	r = pages_render(c->db, &c->cfg, key, c->now, &page, err, sizeof(err));
	if (r < 0) {
		sbuf_free(&page);
		return ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "show", "%s", err);
	}
	r = fwrite(page.s, 1, page.len, stdout) != page.len || fflush(stdout) != 0;
	sbuf_free(&page);
	return r ? ctl_fail(EX_IOERR, "show", tr(c, "writing the page: %s"), strerror(errno))
	         : EX_OK;
}

int
cmd_show(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1, r, html = 0;
	char err[512];
	json_t *doc = NULL, *acc, *plan;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'H')
			html = 1;
		else if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "plan") != 0 || (html && c->json))
		return ctl_fail(
		    EX_USAGE, "show", tr(c, "usage: kapctl show [--json|--html] plan KEY"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (html)
		return show_html(c, argv[optind + 1]);
	r = planio_export(c->db, argv[optind + 1], &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "show", "%s", err);
	if (c->json)
		return ctl_print_json(doc) < 0 ? EX_IOERR : EX_OK;
	acc = json_array_get(json_object_get(doc, "accounts"), 0);
	plan = json_array_get(json_object_get(acc, "plans"), 0);
	show_plan(c, doc, acc, plan, ctl_today(c, str(plan, "timezone")));
	ctl_show_history(c, argv[optind + 1], doc, plan);
	json_decref(doc);
	return EX_OK;
}
