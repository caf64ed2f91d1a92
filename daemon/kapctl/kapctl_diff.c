/* kapctl diff and rollover: what changed since a version, and next year's plan. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "core/plandiff.h"
#include "core/rollover.h"
#include "lib/textcheck.h"
#include "store/db.h"
#include "store/planio.h"
#include "store/versions.h"

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

/* What follows an item's title: the move, the owners, the completion date. */
static void
item_detail(const struct ctl *c, json_t *it, const char *name, char *buf, size_t len)
{
	long long times = json_integer_value(json_object_get(it, "times"));
	char n[64];

	buf[0] = '\0';
	if (strcmp(name, "moved") == 0)
		snprintf(buf, len, tr(c, "%s -> %s, %s, %+lld days"), str(it, "from"),
		    str(it, "to"), COUNT(c, n, times, "%lu time", "%lu times"),
		    json_integer_value(json_object_get(it, "days")));
	else if (strcmp(name, "owners") == 0)
		snprintf(buf, len, "%s -> %s", str(it, "from") ?: tr(c, "(none)"),
		    str(it, "to") ?: tr(c, "(none)"));
	else if (strcmp(name, "done") == 0 && str(it, "done_on"))
		snprintf(buf, len, "(%s)", str(it, "done_on"));
}

/* One table per kind of change, columns sized by display width. */
static void
print_items(const struct ctl *c, json_t *items, const char *name, const char *heading)
{
	json_t *arr = json_object_get(items, name), *it;
	char detail[200];
	const char *cells[4] = { NULL, NULL, NULL, detail };
	struct table *t;
	size_t i;

	if (json_array_size(arr) == 0 || (t = table_new(4)) == NULL)
		return;
	table_column(t, 2, NULL, 50, WIDTH_LEFT);
	json_array_foreach(arr, i, it)
	{
		item_detail(c, it, name, detail, sizeof(detail));
		cells[0] = str(it, "kind");
		cells[1] = str(it, "key");
		cells[2] = str(it, "title");
		if (table_row(t, cells) < 0)
			break;
	}
	printf("%s (%zu):\n", tr(c, heading), json_array_size(arr));
	ctl_table_print(c, t, "  ");
}

static const char *
section_label(json_t *el, const char *section)
{
	if (strcmp(section, "swot") == 0)
		return str(el, "kind");
	if (strcmp(section, "team") == 0)
		return str(el, "person");
	return str(el, "key");
}

static void
print_sections(const struct ctl *c, json_t *diff)
{
	static const char *const names[] = { N_("goals"), N_("team"), N_("contacts"), N_("needs"),
		N_("competitors"), N_("swot") };
	static const char *const how[] = { N_("added"), N_("removed"), N_("changed") };
	json_t *sec, *arr, *el;
	size_t i, j, k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sec = json_object_get(diff, names[i]);
		for (j = 0; j < 3; j++) {
			arr = json_object_get(sec, how[j]);
			if (json_array_size(arr) == 0)
				continue;
			printf(tr(c, "%s %s (%zu):"), tr(c, names[i]), tr(c, how[j]),
			    json_array_size(arr));
			json_array_foreach(arr, k, el) if (strcmp(names[i], "swot") == 0)
			    printf("\n  %s: %s", section_label(el, names[i]), str(el, "text"));
			else printf(" %s", section_label(el, names[i]) ?: "?");
			putchar('\n');
		}
	}
}

static void
print_diff(const struct ctl *c, json_t *d, const char *plan, const struct version_info *vi)
{
	static const char *const names[][2] = {
		{ "added", N_("items added") },
		{ "removed", N_("items removed") },
		{ "done", N_("done") },
		{ "cancelled", N_("cancelled") },
		{ "reopened", N_("reopened") },
		{ "moved", N_("deadlines moved") },
		{ "owners", N_("owners changed") },
	};
	json_t *items = json_object_get(d, "items");
	size_t i;

	printf(
	    tr(c, "plan %s since version %d (reviewed %s):\n"), plan, vi->number, vi->reviewed_on);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		print_items(c, items, names[i][0], names[i][1]);
	print_sections(c, d);
}

struct diff_args {
	const char *plan, *since;
	int version;
};

static int
compute(struct ctl *c, const struct diff_args *a, struct version_info *vi, json_t **out)
{
	struct hist_list h = { 0 };
	json_t *then = NULL, *now = NULL;
	char err[512];
	int r;

	r = versions_get(c->db, NULL, a->plan, a->version, a->since, vi, &then, err, sizeof(err));
	if (r == 0)
		r = planio_export(c->db, a->plan, &now, err, sizeof(err));
	if (r == 0)
		r = versions_history(c->db, a->plan, vi->mark, &h, err, sizeof(err));
	if (r == 0 && plandiff(then, now, a->plan, h.h, h.n, out) < 0)
		r = -ENOENT;
	if (r < 0)
		r = ctl_fail(r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "diff", "%s", err);
	hist_list_free(&h);
	json_decref(then);
	json_decref(now);
	return r;
}

int
cmd_diff(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "version", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct diff_args a = { 0 };
	struct version_info vi;
	char err[512], *end;
	int o, done = -1, r;
	json_t *d = NULL;
	kdate_t day;
	long v;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_opt(c, "diff", o, &done)) {
			if (done >= 0)
				return done;
			continue;
		}
		if (o == 's')
			a.since = optarg;
		if (o == 'v') {
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1000000)
				return ctl_fail(
				    EX_USAGE, "diff", tr(c, "--version takes a version number"));
			a.version = (int)v;
		}
	}
	if (argc - optind != 1 || (a.since != NULL && a.version > 0))
		return ctl_fail(EX_USAGE, "diff",
		    tr(c, "usage: kapctl diff PLAN [--since DATE | --version N] [--json]"));
	if (a.since != NULL && kdate_parse(a.since, &day) < 0)
		return ctl_fail(
		    EX_USAGE, "diff", tr(c, "--since: \"%s\" is not a date (YYYY-MM-DD)"), a.since);
	a.plan = argv[optind];
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	/* One transaction: the version, the plan and the history agree with each other. */
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "diff", "%s", err);
	r = compute(c, &a, &vi, &d);
	db_rollback(c->db);
	if (r != 0)
		return r;
	if (c->json) {
		json_object_set_new(d, "plan", json_string(a.plan));
		json_object_set_new(d, "version", json_integer(vi.number));
		json_object_set_new(d, "reviewed_on", json_string(vi.reviewed_on));
		return ctl_print_json(d) < 0 ? EX_IOERR : EX_OK;
	}
	print_diff(c, d, a.plan, &vi);
	json_decref(d);
	return EX_OK;
}

static int
do_rollover(
    struct ctl *c, const char *old, const char *new, const char *title, struct rollover_counts *n)
{
	struct errlist errs = ERRLIST_INIT;
	json_t *doc = NULL, *probe = NULL;
	char err[512], day[KDATE_STRLEN];
	size_t i;
	int r;

	if (planio_export(c->db, new, &probe, err, sizeof(err)) == 0) {
		json_decref(probe);
		return ctl_fail(
		    EX_DATAERR, "rollover", tr(c, "a plan with key \"%s\" exists already"), new);
	}
	r = planio_export(c->db, old, &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(
		    r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "rollover", "%s", err);
	r = rollover_build(doc, old, new, title, ctl_today(c, NULL), n, &errs);
	if (r == 0)
		r = planio_import(c->db, doc, PLANIO_IN_TRANSACTION, NULL, &errs);
	if (r == 0)
		r = versions_link(c->db, old, new, err, sizeof(err));
	json_decref(doc);
	doc = NULL;
	/* The new plan's first version: the start of its year, for kapctl diff. */
	if (r == 0 && (r = planio_export(c->db, new, &doc, err, sizeof(err))) == 0)
		r = versions_record(
		    c->db, new, kdate_format(ctl_today(c, NULL), day), doc, NULL, err, sizeof(err));
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "kapctl rollover: %s\n",
		    errlist_msg(&errs, i, tr(c, "(out of memory)")));
	if (r < 0 && errs.n == 0)
		ctl_fail(ctl_exit_code(r), "rollover", "%s", err);
	errlist_free(&errs);
	json_decref(doc);
	return r < 0 ? (r == -EINVAL ? EX_DATAERR : ctl_exit_code(r)) : 0;
}

int
cmd_rollover(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "title", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct rollover_counts n = { 0 };
	const char *title = NULL;
	int o, done = -1, r;
	char err[512], w[4][64];

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_opt(c, "rollover", o, &done) && done >= 0)
			return done;
		if (o == 't')
			title = optarg;
	}
	if (argc - optind != 2)
		return ctl_fail(EX_USAGE, "rollover",
		    tr(c, "usage: kapctl rollover PLAN NEW-KEY [--title TEXT]"));
	if (!text_is_key(argv[optind + 1]))
		return ctl_fail(
		    EX_DATAERR, "rollover", tr(c, "NEW-KEY: 1-64 characters of A-Z a-z 0-9 . _ -"));
	if (title != NULL && (!text_is_line(title) || *title == '\0'))
		return ctl_fail(
		    EX_DATAERR, "rollover", tr(c, "--title: one line without control characters"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "rollover", "%s", err);
	r = do_rollover(c, argv[optind], argv[optind + 1], title, &n);
	if (r == 0 && db_commit(c->db, err, sizeof(err)) < 0)
		r = ctl_fail(EX_IOERR, "rollover", "%s", err);
	if (r != 0) {
		db_rollback(c->db);
		return r;
	}
	printf(tr(c, "plan %s starts from plan %s (now archived): %s, %s, %s, %s\n"),
	    argv[optind + 1], argv[optind],
	    COUNT(c, w[0], n.team, "%lu team member", "%lu team members"),
	    COUNT(c, w[1], n.goals, "%lu goal", "%lu goals"),
	    COUNT(c, w[2], n.milestones, "%lu open milestone", "%lu open milestones"),
	    COUNT(c, w[3], n.activities, "%lu open activity", "%lu open activities"));
	return EX_OK;
}
