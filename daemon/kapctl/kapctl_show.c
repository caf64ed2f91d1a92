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
print_text(const char *label, const char *text)
{
	const char *p = text, *nl;

	if (text == NULL)
		return;
	printf("  %-20s ", label);
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
person_name(json_t *doc, const char *key)
{
	json_t *p;
	size_t i;

	if (key == NULL)
		return "(no owner)";
	json_array_foreach(json_object_get(doc, "people"), i, p)
		if (str(p, "key") != NULL && strcmp(str(p, "key"), key) == 0)
			return or_dash(str(p, "name"));
	return key;
}

/* "overdue 3 d", "due today", "in 5 d" relative to today. */
static void
relative(char *buf, size_t len, const char *date, kdate_t today)
{
	kdate_t d;
	long k;

	if (date == NULL || kdate_parse(date, &d) < 0) {
		snprintf(buf, len, "-");
		return;
	}
	k = (long)today - (long)d;
	if (k > 0)
		snprintf(buf, len, "overdue %ld d", k);
	else if (k == 0)
		snprintf(buf, len, "due today");
	else
		snprintf(buf, len, "in %ld d", -k);
}

static void
show_account(json_t *acc)
{
	json_t *mv = json_object_get(acc, "market_volume"), *el;
	size_t i;

	printf("\nAccount\n");
	printf("  %-20s %s (%s)\n", "Customer", or_dash(str(acc, "name")), or_dash(str(acc, "key")));
	print_text("Industry", str(acc, "industry"));
	print_text("Address", str(acc, "address"));
	print_text("Phone", str(acc, "phone"));
	print_text("Email", str(acc, "email"));
	print_text("Website", str(acc, "website"));
	if (str(acc, "rating") || str(acc, "potential"))
		printf("  %-20s %s, potential %s\n", "Rating", or_dash(str(acc, "rating")),
		    or_dash(str(acc, "potential")));
	if (json_is_object(mv))
		printf("  %-20s %.0f %s\n", "Market volume",
		    json_number_value(json_object_get(mv, "amount")), or_dash(str(mv, "currency")));
	print_text("Positioning", str(acc, "positioning"));
	print_text("Strategic direction", str(acc, "strategic_direction"));
	print_text("Customer processes", str(acc, "processes"));
	print_text("Networks", str(acc, "networks"));
	if (json_array_size(json_object_get(acc, "contacts")))
		printf("\nContacts\n");
	json_array_foreach(json_object_get(acc, "contacts"), i, el)
		printf("  %-24s %-22s %-15s %-10s %s\n", or_dash(str(el, "name")),
		    or_dash(str(el, "function")), or_dash(str(el, "decision_role")),
		    or_dash(str(el, "attitude")), or_dash(str(el, "email")));
	if (json_array_size(json_object_get(acc, "needs")))
		printf("\nNeeds\n");
	json_array_foreach(json_object_get(acc, "needs"), i, el)
		printf("  - %s\n", or_dash(str(el, "text")));
}

static void
show_market(json_t *acc)
{
	json_t *el;
	size_t i;

	if (json_array_size(json_object_get(acc, "competitors")))
		printf("\nCompetitors\n");
	json_array_foreach(json_object_get(acc, "competitors"), i, el) {
		printf("  %s: %s\n", or_dash(str(el, "name")), or_dash(str(el, "position")));
		print_text("  strengths", str(el, "strengths"));
		print_text("  weaknesses", str(el, "weaknesses"));
	}
	if (json_array_size(json_object_get(acc, "history")))
		printf("\nHistory                 revenue           margin\n");
	json_array_foreach(json_object_get(acc, "history"), i, el)
		printf("  %-12s %16.0f %16.0f %s\n", or_dash(str(el, "period")),
		    json_number_value(json_object_get(el, "revenue")),
		    json_number_value(json_object_get(el, "margin")), or_dash(str(el, "currency")));
	if (json_array_size(json_object_get(acc, "projects")))
		printf("\nProjects\n");
	json_array_foreach(json_object_get(acc, "projects"), i, el)
		printf("  %-12s %-10s %s .. %s  %s\n", or_dash(str(el, "key")), or_dash(str(el, "state")),
		    or_dash(str(el, "start")), or_dash(str(el, "end")), or_dash(str(el, "title")));
	if (json_array_size(json_object_get(acc, "complaints")))
		printf("\nComplaints\n");
	json_array_foreach(json_object_get(acc, "complaints"), i, el)
		printf("  %s  %-11s %s\n", or_dash(str(el, "date")), or_dash(str(el, "state")),
		    or_dash(str(el, "subject")));
	if (json_array_size(json_object_get(acc, "swot")))
		printf("\nSWOT\n");
	json_array_foreach(json_object_get(acc, "swot"), i, el)
		printf("  %-12s %s\n", or_dash(str(el, "kind")), or_dash(str(el, "text")));
}

static void
show_team(json_t *doc, json_t *plan)
{
	json_t *m, *p;
	size_t i, k;

	printf("\nKey account team\n");
	json_array_foreach(json_object_get(plan, "team"), i, m) {
		json_t *person = NULL;

		json_array_foreach(json_object_get(doc, "people"), k, p)
			if (strcmp(or_dash(str(p, "key")), or_dash(str(m, "person"))) == 0)
				person = p;
		printf("  %-8s %-24s %-22s %-34s %-3s %s\n", or_dash(str(m, "role")),
		    person_name(doc, str(m, "person")),
		    or_dash(str(m, "function") ? str(m, "function") : str(person, "function")),
		    or_dash(str(person, "email")), or_dash(str(person, "language")),
		    or_dash(str(person, "timezone")));
	}
}

static void
show_goals(json_t *plan)
{
	json_t *g;
	size_t i;

	if (json_array_size(json_object_get(plan, "goals")))
		printf("\nGoals\n");
	json_array_foreach(json_object_get(plan, "goals"), i, g) {
		printf("  [%s-term%s%s%s%s] %s\n", or_dash(str(g, "horizon")),
		    str(g, "focus") ? ", " : "", str(g, "focus") ? str(g, "focus") : "",
		    str(g, "focus_value") ? ": " : "",
		    str(g, "focus_value") ? str(g, "focus_value") : "", or_dash(str(g, "text")));
		if (str(g, "target") || str(g, "due"))
			printf("      target %s by %s\n", or_dash(str(g, "target")), or_dash(str(g, "due")));
	}
}

/* Progress of a milestone from its activities, and the at-risk flag (SPEC §3): an open
 * linked activity already overdue. */
static void
milestone_progress(json_t *plan, const char *key, kdate_t today, int *done, int *total,
    int *risk)
{
	json_t *a;
	size_t i;
	kdate_t d;

	*done = *total = *risk = 0;
	json_array_foreach(json_object_get(plan, "activities"), i, a) {
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
show_items(json_t *doc, json_t *plan, const char *what, kdate_t today)
{
	char rel[32], progress[48];
	int done, total, risk;
	json_t *it;
	size_t i;

	printf("\n%s\n", strcmp(what, "milestones") == 0 ? "Milestones" : "Activities");
	if (json_array_size(json_object_get(plan, what)) == 0)
		printf("  (none)\n");
	json_array_foreach(json_object_get(plan, what), i, it) {
		const char *state = or_dash(str(it, "state"));

		if (strcmp(state, "open") == 0)
			relative(rel, sizeof(rel), str(it, "due"), today);
		else
			snprintf(rel, sizeof(rel), "%s", state);
		progress[0] = '\0';
		if (strcmp(what, "milestones") == 0) {
			milestone_progress(plan, or_dash(str(it, "key")), today, &done, &total, &risk);
			if (total > 0)
				snprintf(progress, sizeof(progress), "  [%d/%d done%s]", done, total,
				    risk && strcmp(state, "open") == 0 ? ", AT RISK" : "");
		} else if (str(it, "milestone") != NULL) {
			snprintf(progress, sizeof(progress), "  (-> %s)", str(it, "milestone"));
		}
		printf("  %s  %-13s %-14s %s — %s%s\n", or_dash(str(it, "due")), rel,
		    or_dash(str(it, "key")), or_dash(str(it, "title")),
		    person_name(doc, str(it, "owner")), progress);
	}
}

static void
show_plan(json_t *doc, json_t *acc, json_t *plan, kdate_t today)
{
	char rel[32];

	printf("%s\n", or_dash(str(plan, "title")));
	printf("  plan %s, %s; language %s, time zone %s\n", or_dash(str(plan, "key")),
	    or_dash(str(plan, "state")), or_dash(str(plan, "language")),
	    or_dash(str(plan, "timezone")));
	relative(rel, sizeof(rel), str(plan, "next_review"), today);
	printf("  annual update: next %s (%s), last %s\n", or_dash(str(plan, "next_review")),
	    str(plan, "next_review") ? rel : "not scheduled", or_dash(str(plan, "last_review")));
	show_account(acc);
	show_market(acc);
	show_team(doc, plan);
	show_goals(plan);
	show_items(doc, plan, "milestones", today);
	show_items(doc, plan, "activities", today);
}

int
cmd_show(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1, r;
	char err[512];
	json_t *doc = NULL, *acc, *plan;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
	if (argc - optind != 2 || strcmp(argv[optind], "plan") != 0)
		return ctl_fail(EX_USAGE, "show", "usage: kapctl show [--json] plan KEY");
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	r = planio_export(c->db, argv[optind + 1], &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "show", "%s", err);
	if (c->json)
		return ctl_print_json(doc) < 0 ? EX_IOERR : EX_OK;
	acc = json_array_get(json_object_get(doc, "accounts"), 0);
	plan = json_array_get(json_object_get(acc, "plans"), 0);
	show_plan(doc, acc, plan, ctl_today(c, str(plan, "timezone")));
	json_decref(doc);
	return EX_OK;
}
