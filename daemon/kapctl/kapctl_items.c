/* kapctl add, edit, done, cancel, reopen: the changes a team makes between
 * imports.  Every change runs in one IMMEDIATE transaction and is checked against the
 * same rules as an import (owner on the plan's team, links inside the plan or account,
 * no control characters). */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"
#include "store/items.h"
#include "lib/textcheck.h"

/* What add and edit may set; NULL means "not given", "-" clears an optional value. */
struct item_args {
	struct items_fields f;
	const char *key, *plan;
};

static int
is_clear(const char *s)
{
	return s != NULL && strcmp(s, "-") == 0;
}

static int
valid_kind(const char *kind)
{
	return kind != NULL && (strcmp(kind, "milestone") == 0 || strcmp(kind, "activity") == 0);
}

/* Checks the values given, against the plan the item belongs to. */
static int
check_args(struct ctl *c, const char *cmd, const struct items_fields *a, const struct items_ref *r)
{
	kdate_t d;

	if (a->title != NULL &&
	    (!text_is_line(a->title) || *a->title == '\0' || text_utf8_len(a->title) > 500))
		return ctl_fail(EX_DATAERR, cmd,
		    tr(c, "--title: one line of 1..500 characters, without control characters"));
	if (a->due != NULL && kdate_parse(a->due, &d) < 0)
		return ctl_fail(
		    EX_DATAERR, cmd, tr(c, "--due: \"%s\" is not a date (YYYY-MM-DD)"), a->due);
	if (a->description != NULL && !is_clear(a->description) && !text_is_text(a->description))
		return ctl_fail(
		    EX_DATAERR, cmd, tr(c, "--description: control characters are not allowed"));
	if (a->owner != NULL && !is_clear(a->owner) && !items_on_team(c->db, a->owner, r->plan_id))
		return ctl_fail(EX_DATAERR, cmd,
		    tr(c, "--owner: \"%s\" is not on the team of plan %s"), a->owner, r->plan_key);
	if (a->milestone != NULL && !is_clear(a->milestone) &&
	    !items_milestone_in_plan(c->db, a->milestone, r->plan_id))
		return ctl_fail(EX_DATAERR, cmd,
		    tr(c, "--milestone: no milestone \"%s\" in plan %s"), a->milestone,
		    r->plan_key);
	if (a->project != NULL && !is_clear(a->project) &&
	    !items_project_in_account(c->db, a->project, r->account_id))
		return ctl_fail(EX_DATAERR, cmd,
		    tr(c, "--project: no project \"%s\" in the plan's account"), a->project);
	if (a->milestone != NULL && strcmp(a->kind, "activity") != 0)
		return ctl_fail(EX_USAGE, cmd, tr(c, "--milestone applies to activities only"));
	return 0;
}

static int
parse_item_opts(struct ctl *c, int argc, char **argv, struct item_args *a)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'k' },
		{ "plan", required_argument, NULL, 'p' },
		{ "title", required_argument, NULL, 't' },
		{ "due", required_argument, NULL, 'd' },
		{ "owner", required_argument, NULL, 'o' },
		{ "milestone", required_argument, NULL, 'm' },
		{ "project", required_argument, NULL, 'P' },
		{ "description", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1;

	while ((o = getopt_long(argc, argv, "hk:p:t:d:o:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done)) {
			if (done >= 0)
				return done;
			continue;
		}
		switch (o) {
		case 'k': a->key = optarg; break;
		case 'p': a->plan = optarg; break;
		case 't': a->f.title = optarg; break;
		case 'd': a->f.due = optarg; break;
		case 'o': a->f.owner = optarg; break;
		case 'm': a->f.milestone = optarg; break;
		case 'P': a->f.project = optarg; break;
		case 'D': a->f.description = optarg; break;
		default: break;
		}
	}
	return -1;
}

static int
find_plan(struct ctl *c, const char *cmd, const char *key, struct items_ref *r)
{
	if (!items_find_plan(c->db, key, r))
		return ctl_fail(EX_DATAERR, cmd, tr(c, "no plan with key \"%s\""), key);
	return 0;
}

/* "<plan>-m<n>" / "<plan>-a<n>": the first free number, cut to the key length. */
static int
generate_key(struct ctl *c, const struct item_args *a, char *out, size_t len)
{
	char key[96];
	int n;

	for (n = 1; n < 100000; n++) {
		snprintf(key, sizeof(key), "%.54s-%c%d", a->plan, a->f.kind[0], n);
		if (strlen(key) < len && !items_key_taken(c->db, a->f.kind, key)) {
			memcpy(out, key, strlen(key) + 1);
			return 0;
		}
	}
	return -EEXIST;
}

static int
finish(struct ctl *c, const char *cmd, int r)
{
	char err[512];

	if (r == 0 && db_commit(c->db, err, sizeof(err)) < 0)
		r = ctl_fail(EX_IOERR, cmd, "%s", err);
	if (r != 0)
		db_rollback(c->db);
	return r;
}

int
cmd_add(struct ctl *c, int argc, char **argv)
{
	struct item_args a = { 0 };
	struct items_ref ref = { 0 };
	char key[65], err[512];
	int r;

	if ((r = parse_item_opts(c, argc, argv, &a)) >= 0)
		return r;
	a.f.kind = optind < argc ? argv[optind] : NULL;
	if (!valid_kind(a.f.kind) || optind + 1 != argc)
		return ctl_fail(EX_USAGE, "add",
		    tr(c,
		        "usage: kapctl add milestone|activity --plan PLAN --title TEXT --due DATE "
		        "[...]"));
	if (a.plan == NULL || a.f.title == NULL || a.f.due == NULL)
		return ctl_fail(EX_USAGE, "add", tr(c, "--plan, --title and --due are required"));
	if (a.key != NULL && !text_is_key(a.key))
		return ctl_fail(
		    EX_DATAERR, "add", tr(c, "--key: 1-64 characters of A-Z a-z 0-9 . _ -"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "add", "%s", err);
	r = find_plan(c, "add", a.plan, &ref);
	if (r == 0)
		r = check_args(c, "add", &a.f, &ref);
	if (r == 0 && a.key == NULL && generate_key(c, &a, key, sizeof(key)) < 0)
		r = ctl_fail(
		    EX_SOFTWARE, "add", tr(c, "cannot generate a free key; give one with --key"));
	if (r == 0 && a.key != NULL)
		snprintf(key, sizeof(key), "%s", a.key);
	if (r == 0 && items_key_taken(c->db, a.f.kind, key))
		r = ctl_fail(EX_DATAERR, "add", tr(c, "the key \"%s\" exists already (another %s)"),
		    key, tr(c, a.f.kind));
	if (r == 0 && (r = items_insert(c->db, &a.f, ref.plan_id, key, err, sizeof(err))) < 0)
		r = ctl_fail(ctl_exit_code(r), "add", "%s", err);
	r = finish(c, "add", r);
	if (r == 0)
		printf(tr(c, "added %s %s to plan %s\n"), tr(c, a.f.kind), key, a.plan);
	return r;
}

/* Finds an item by key; kind may be NULL when the key names only one kind. */
static int
find_item(struct ctl *c, const char *cmd, const char **kind, const char *key, struct items_ref *r)
{
	char err[512];
	int found;

	found = items_find(c->db, kind, key, r, err, sizeof(err));
	if (found < 0)
		return ctl_fail(EX_SOFTWARE, cmd, "%s", err);
	if (found > 1)
		return ctl_fail(EX_USAGE, cmd,
		    tr(c,
		        "both a milestone and an activity have the key \"%s\": say which (kapctl "
		        "%s milestone|activity %s)"),
		    key, cmd, key);
	if (found == 0)
		return ctl_fail(EX_DATAERR, cmd, tr(c, "no %s with key \"%s\""),
		    tr(c, *kind ? *kind : N_("milestone or activity")), key);
	return 0;
}

int
cmd_edit(struct ctl *c, int argc, char **argv)
{
	struct item_args a = { 0 };
	struct items_ref ref = { 0 };
	char err[512];
	int r;

	if ((r = parse_item_opts(c, argc, argv, &a)) >= 0)
		return r;
	if (optind + 2 != argc || !valid_kind(argv[optind]))
		return ctl_fail(
		    EX_USAGE, "edit", tr(c, "usage: kapctl edit milestone|activity KEY [options]"));
	a.f.kind = argv[optind];
	a.key = argv[optind + 1];
	if (a.plan != NULL ||
	    (a.f.title == NULL && a.f.due == NULL && a.f.owner == NULL && a.f.milestone == NULL &&
	        a.f.project == NULL && a.f.description == NULL))
		return ctl_fail(EX_USAGE, "edit",
		    tr(c,
		        "give what to change: --title, --due, --owner, --milestone, --project or "
		        "--description"));
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "edit", "%s", err);
	r = find_item(c, "edit", &a.f.kind, a.key, &ref);
	if (r == 0)
		r = check_args(c, "edit", &a.f, &ref);
	if (r == 0 && (r = items_update(c->db, &a.f, ref.id, err, sizeof(err))) < 0)
		r = ctl_fail(ctl_exit_code(r), "edit", "%s", err);
	r = finish(c, "edit", r);
	if (r == 0)
		printf(tr(c, "changed %s %s\n"), tr(c, a.f.kind), a.key);
	return r;
}

/* done, cancel and reopen: [milestone|activity] KEY [--on DATE]. */
static int
set_state(struct ctl *c, int argc, char **argv, const char *state)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "on", required_argument, NULL, 'O' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct items_ref ref = { 0 };
	const char *cmd = argv[0], *kind = NULL, *key, *on = NULL;
	char err[512], day[KDATE_STRLEN];
	int o, done = -1, r, n, force = 0;
	kdate_t d;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_opt(c, cmd, o, &done) && done >= 0)
			return done;
		if (o == 'O')
			on = optarg;
		force |= o == 'f';
	}
	if (argc - optind == 2 && valid_kind(argv[optind]))
		kind = argv[optind++];
	if (argc - optind != 1)
		return ctl_fail(
		    EX_USAGE, cmd, tr(c, "usage: kapctl %s [milestone|activity] KEY"), cmd);
	key = argv[optind];
	if (on != NULL && (strcmp(state, "done") != 0 || kdate_parse(on, &d) < 0))
		return ctl_fail(
		    EX_USAGE, cmd, tr(c, "--on takes a date (YYYY-MM-DD) and applies to done"));
	if (on != NULL && d > ctl_today(c, NULL))
		return ctl_fail(EX_DATAERR, cmd,
		    tr(c,
		        "--on: %s is in the future; a completion date is the day the work was "
		        "done"),
		    on);
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, cmd, "%s", err);
	r = find_item(c, cmd, &kind, key, &ref);
	if (r == 0 && !force && strcmp(state, "done") == 0 && strcmp(kind, "milestone") == 0)
		r = ctl_check_open_activities(c, cmd, key);
	if (r == 0 && on == NULL)
		on = kdate_format(ctl_today(c, NULL), day);
	if (r == 0) {
		n = items_set_state(c->db, kind, ref.id, state,
		    strcmp(state, "done") == 0 ? on : NULL, err, sizeof(err));
		if (n < 0)
			r = ctl_fail(ctl_exit_code(n), cmd, "%s", err);
		else if (n == 0)
			printf(tr(c, "%s %s is already %s\n"), tr(c, kind), key, tr(c, state));
		else
			printf(tr(c, "%s %s is now %s\n"), tr(c, kind), key, tr(c, state));
	}
	return finish(c, cmd, r);
}

int
cmd_done(struct ctl *c, int argc, char **argv)
{
	return set_state(c, argc, argv, "done");
}

int
cmd_cancel(struct ctl *c, int argc, char **argv)
{
	return set_state(c, argc, argv, "cancelled");
}

int
cmd_reopen(struct ctl *c, int argc, char **argv)
{
	return set_state(c, argc, argv, "open");
}
