/* kapctl reviewed, versions, diff, rollover: the annual update with versions (SPEC §10).
 * A version is the plan's own export, kept in the database at each annual update; the
 * diff compares it with the plan now and reads the item history in between. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "core/actionlist_tab.h"
#include "core/plandiff.h"
#include "core/review.h"
#include "core/rollover.h"
#include "lib/sbuf.h"
#include "lib/textcheck.h"
#include "store/db.h"
#include "store/planio.h"
#include "store/versions.h"

static const char *
str(json_t *o, const char *m)
{
	return json_string_value(json_object_get(o, m));
}

/* --on DATE or today in the plan's zone.  A review date ahead is allowed: a KAM may
 * record an update agreed for a fixed day (the version is the plan as it is now). */
static int
review_day(struct ctl *c, const char *cmd, const char *on, json_t *plan, kdate_t *day)
{
	if (on == NULL) {
		*day = ctl_today(c, str(plan, "timezone"));
		return 0;
	}
	if (kdate_parse(on, day) < 0)
		return ctl_fail(
		    EX_USAGE, cmd, tr(c, "--on: \"%s\" is not a date (YYYY-MM-DD)"), on);
	return 0;
}

/* Sections to look at, said before the version is taken (so the warning names the
 * state the KAM just confirmed). */
static void
warn_sections(struct ctl *c, const char *plan, const char *previous)
{
	struct review_section s[REVIEW_SECTIONS_MAX];
	struct sbuf b = SBUF_INIT;
	size_t n = REVIEW_SECTIONS_MAX, lines;
	char err[256];

	if (versions_sections(c->db, plan, s, &n, err, sizeof(err)) < 0)
		return;
	lines = review_check(s, n, previous, &b);
	if (lines > 0 && b.s != NULL) {
		fputs("kapctl reviewed: ", stderr);
		fprintf(stderr,
		    i18n_ntr(c->lang,
		        "warning: %zu section of plan %s is empty or unchanged since the last "
		        "annual update:\n%s",
		        "warning: %zu sections of plan %s are empty or unchanged since the last "
		        "annual update:\n%s",
		        lines),
		    lines, plan, b.s);
	}
	sbuf_free(&b);
}

static int
record_review(struct ctl *c, const char *plan, const char *on, int *number, char *last, char *next)
{
	char err[512];
	json_t *doc = NULL, *p;
	kdate_t d;
	int r;

	r = planio_export(c->db, plan, &doc, err, sizeof(err));
	if (r < 0)
		return ctl_fail(
		    r == -ENOENT ? EX_DATAERR : ctl_exit_code(r), "reviewed", "%s", err);
	p = al_find_plan(doc, plan, NULL);
	if ((r = review_day(c, "reviewed", on, p, &d)) != 0)
		goto out;
	warn_sections(c, plan, str(p, "last_review"));
	kdate_format(d, last);
	kdate_format(kdate_add_years(d, 1), next);
	json_decref(doc);
	doc = NULL;
	if ((r = versions_set_review(c->db, plan, last, next, err, sizeof(err))) == 0 &&
	    (r = planio_export(c->db, plan, &doc, err, sizeof(err))) == 0)
		r = versions_record(c->db, plan, last, doc, number, err, sizeof(err));
	if (r < 0)
		r = ctl_fail(ctl_exit_code(r), "reviewed", "%s", err);
out:
	json_decref(doc);
	return r;
}

int
cmd_reviewed(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "on", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	const char *on = NULL;
	char err[512], last[KDATE_STRLEN], next[KDATE_STRLEN];
	int o, done = -1, r, number = 0;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_opt(c, "reviewed", o, &done) && done >= 0)
			return done;
		if (o == 'O')
			on = optarg;
	}
	if (argc - optind != 1)
		return ctl_fail(
		    EX_USAGE, "reviewed", tr(c, "usage: kapctl reviewed PLAN [--on DATE]"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "reviewed", "%s", err);
	r = record_review(c, argv[optind], on, &number, last, next);
	if (r == 0 && db_commit(c->db, err, sizeof(err)) < 0)
		r = ctl_fail(EX_IOERR, "reviewed", "%s", err);
	if (r != 0) {
		db_rollback(c->db);
		return r;
	}
	printf(tr(c, "plan %s reviewed on %s; next annual update due %s; kept as version %d\n"),
	    argv[optind], last, next, number);
	return EX_OK;
}

int
cmd_versions(struct ctl *c, int argc, char **argv)
{
	struct version_info *v = NULL;
	char err[512], prev[65], next[65];
	size_t n = 0, i;
	json_t *arr;
	int r = ctl_plain_opts(c, argc, argv);

	if (r >= 0)
		return r;
	if (argc - optind != 1)
		return ctl_fail(
		    EX_USAGE, "versions", tr(c, "usage: kapctl versions [--json] PLAN"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if ((r = versions_list(c->db, argv[optind], &v, &n, err, sizeof(err))) < 0)
		return ctl_fail(ctl_exit_code(r), "versions", "%s", err);
	versions_links(c->db, argv[optind], prev, next);
	if (c->json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr,
			    json_pack("{s:i,s:s,s:s}", "version", v[i].number, "reviewed_on",
			        v[i].reviewed_on, "created_at", v[i].created_at));
		free(v);
		return ctl_print_json(
		           json_pack("{s:s,s:o,s:s?,s:s?}", "plan", argv[optind], "versions", arr,
		               "previous", *prev ? prev : NULL, "next", *next ? next : NULL)) < 0
		    ? EX_IOERR
		    : EX_OK;
	}
	if (*prev)
		printf(tr(c, "plan %s continues plan %s\n"), argv[optind], prev);
	if (*next)
		printf(tr(c, "plan %s is continued by plan %s\n"), argv[optind], next);
	if (n == 0)
		printf(tr(c, "plan %s has no versions yet (kapctl reviewed %s keeps one)\n"),
		    argv[optind], argv[optind]);
	for (i = 0; i < n; i++)
		printf(tr(c, "%3d  reviewed %s  (kept %s)\n"), v[i].number, v[i].reviewed_on,
		    v[i].created_at);
	free(v);
	return EX_OK;
}
