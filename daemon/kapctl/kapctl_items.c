/* kapctl add, edit, done, cancel, reopen, reviewed: the changes a team makes between
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
#include "lib/textcheck.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
#define NOW_SQL_FMT "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now')" /* inside a printf format */

/* What add and edit may set; NULL means "not given", "-" clears an optional value. */
struct item_args {
	const char *kind;   /* "milestone" or "activity" */
	const char *key, *plan, *title, *due, *owner, *milestone, *project, *description;
};

struct item_ref {
	sqlite3_int64 id, plan_id, account_id;
	char plan_key[65];
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

/* Runs a query that returns at most one integer; 1 when found. */
static int
query_id(sqlite3 *db, const char *sql, const char *a, sqlite3_int64 b, sqlite3_int64 *out)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		if (out != NULL)
			*out = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return found;
}

/* Checks the values given, against the plan the item belongs to. */
static int
check_args(struct ctl *c, const char *cmd, const struct item_args *a, const struct item_ref *r)
{
	kdate_t d;

	if (a->title != NULL && (!text_is_line(a->title) || *a->title == '\0' ||
	    text_utf8_len(a->title) > 500))
		return ctl_fail(EX_DATAERR, cmd, "--title: one line of 1..500 characters, "
		    "without control characters");
	if (a->due != NULL && kdate_parse(a->due, &d) < 0)
		return ctl_fail(EX_DATAERR, cmd, "--due: \"%s\" is not a date (YYYY-MM-DD)", a->due);
	if (a->description != NULL && !is_clear(a->description) && !text_is_text(a->description))
		return ctl_fail(EX_DATAERR, cmd, "--description: control characters are not allowed");
	if (a->owner != NULL && !is_clear(a->owner) && !query_id(c->db,
	    "SELECT 1 FROM team_member t JOIN person p ON p.id = t.person_id "
	    "WHERE p.key = ?1 AND t.plan_id = ?2", a->owner, r->plan_id, NULL))
		return ctl_fail(EX_DATAERR, cmd, "--owner: \"%s\" is not on the team of plan %s",
		    a->owner, r->plan_key);
	if (a->milestone != NULL && !is_clear(a->milestone) && !query_id(c->db,
	    "SELECT 1 FROM milestone WHERE key = ?1 AND plan_id = ?2", a->milestone, r->plan_id,
	    NULL))
		return ctl_fail(EX_DATAERR, cmd, "--milestone: no milestone \"%s\" in plan %s",
		    a->milestone, r->plan_key);
	if (a->project != NULL && !is_clear(a->project) && !query_id(c->db,
	    "SELECT 1 FROM project WHERE key = ?1 AND account_id = ?2", a->project,
	    r->account_id, NULL))
		return ctl_fail(EX_DATAERR, cmd, "--project: no project \"%s\" in the plan's account",
		    a->project);
	if (a->milestone != NULL && strcmp(a->kind, "activity") != 0)
		return ctl_fail(EX_USAGE, cmd, "--milestone applies to activities only");
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
		case 't': a->title = optarg; break;
		case 'd': a->due = optarg; break;
		case 'o': a->owner = optarg; break;
		case 'm': a->milestone = optarg; break;
		case 'P': a->project = optarg; break;
		case 'D': a->description = optarg; break;
		default: break;
		}
	}
	return -1;
}

static int
find_plan(struct ctl *c, const char *cmd, const char *key, struct item_ref *r)
{
	if (!query_id(c->db, "SELECT id FROM plan WHERE key = ?1", key, 0, &r->plan_id) ||
	    !query_id(c->db, "SELECT account_id FROM plan WHERE key = ?1", key, 0, &r->account_id))
		return ctl_fail(EX_DATAERR, cmd, "no plan with key \"%s\"", key);
	snprintf(r->plan_key, sizeof(r->plan_key), "%s", key);
	return 0;
}

/* "<plan>-m<n>" / "<plan>-a<n>": the first free number, cut to the key length. */
static int
generate_key(struct ctl *c, const struct item_args *a, char *out, size_t len)
{
	char sql[96], key[96];
	int n;

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE key = ?1", a->kind);
	for (n = 1; n < 100000; n++) {
		snprintf(key, sizeof(key), "%.54s-%c%d", a->plan, a->kind[0], n);
		if (strlen(key) < len && !query_id(c->db, sql, key, 0, NULL)) {
			memcpy(out, key, strlen(key) + 1);
			return 0;
		}
	}
	return -EEXIST;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || is_clear(s))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int
insert_item(struct ctl *c, const struct item_args *a, const struct item_ref *r, const char *key)
{
	char sql[640], err[512];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(sql, sizeof(sql), "INSERT INTO %s (plan_id, position, key, title, due, owner_id, "
	    "project_id, description%s) VALUES (?1, (SELECT coalesce(max(position), -1) + 1 FROM %s "
	    "WHERE plan_id = ?1), ?2, ?3, ?4, (SELECT id FROM person WHERE key = ?5), "
	    "(SELECT id FROM project WHERE key = ?6), ?7%s)", a->kind,
	    strcmp(a->kind, "activity") == 0 ? ", milestone_id" : "", a->kind,
	    strcmp(a->kind, "activity") == 0 ? ", (SELECT id FROM milestone WHERE key = ?8)" : "");
	if (db_prepare(c->db, sql, &st, err, sizeof(err)) < 0)
		return ctl_fail(EX_SOFTWARE, "add", "%s", err);
	sqlite3_bind_int64(st, 1, r->plan_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->due, -1, SQLITE_STATIC);
	bind_opt(st, 5, a->owner);
	bind_opt(st, 6, a->project);
	bind_opt(st, 7, a->description);
	if (strcmp(a->kind, "activity") == 0)
		bind_opt(st, 8, a->milestone);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ctl_fail(ctl_exit_code(db_errno(rc)), "add", "%s", sqlite3_errmsg(c->db));
	return 0;
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
	struct item_ref ref = { 0 };
	char key[65], err[512];
	int r;

	if ((r = parse_item_opts(c, argc, argv, &a)) >= 0)
		return r;
	a.kind = optind < argc ? argv[optind] : NULL;
	if (!valid_kind(a.kind) || optind + 1 != argc)
		return ctl_fail(EX_USAGE, "add", "usage: kapctl add milestone|activity --plan PLAN "
		    "--title TEXT --due DATE [...]");
	if (a.plan == NULL || a.title == NULL || a.due == NULL)
		return ctl_fail(EX_USAGE, "add", "--plan, --title and --due are required");
	if (a.key != NULL && !text_is_key(a.key))
		return ctl_fail(EX_DATAERR, "add", "--key: 1-64 characters of A-Z a-z 0-9 . _ -");
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "add", "%s", err);
	r = find_plan(c, "add", a.plan, &ref);
	if (r == 0)
		r = check_args(c, "add", &a, &ref);
	if (r == 0 && a.key == NULL && generate_key(c, &a, key, sizeof(key)) < 0)
		r = ctl_fail(EX_SOFTWARE, "add", "cannot generate a free key; give one with --key");
	if (r == 0 && a.key != NULL)
		snprintf(key, sizeof(key), "%s", a.key);
	if (r == 0 && query_id(c->db, strcmp(a.kind, "activity") == 0 ?
	    "SELECT 1 FROM activity WHERE key = ?1" : "SELECT 1 FROM milestone WHERE key = ?1",
	    key, 0, NULL))
		r = ctl_fail(EX_DATAERR, "add", "a %s with key \"%s\" exists already", a.kind, key);
	if (r == 0)
		r = insert_item(c, &a, &ref, key);
	r = finish(c, "add", r);
	if (r == 0)
		printf("added %s %s to plan %s\n", a.kind, key, a.plan);
	return r;
}

/* Finds an item by key; kind may be NULL when the key names only one kind. */
static int
find_item(struct ctl *c, const char *cmd, const char **kind, const char *key,
    struct item_ref *r)
{
	static const char *const kinds[] = { "milestone", "activity" };
	sqlite3_stmt *st = NULL;
	char sql[256];
	int i, found = 0;

	for (i = 0; i < 2; i++) {
		if (*kind != NULL && strcmp(*kind, kinds[i]) != 0)
			continue;
		snprintf(sql, sizeof(sql), "SELECT i.id, i.plan_id, p.account_id, p.key FROM %s i "
		    "JOIN plan p ON p.id = i.plan_id WHERE i.key = ?1", kinds[i]);
		if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
			return ctl_fail(EX_SOFTWARE, cmd, "%s", sqlite3_errmsg(c->db));
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			if (found++)
				break;
			r->id = sqlite3_column_int64(st, 0);
			r->plan_id = sqlite3_column_int64(st, 1);
			r->account_id = sqlite3_column_int64(st, 2);
			snprintf(r->plan_key, sizeof(r->plan_key), "%s", sqlite3_column_text(st, 3));
			*kind = kinds[i];
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	sqlite3_finalize(st);
	if (found > 1)
		return ctl_fail(EX_USAGE, cmd, "both a milestone and an activity have the key \"%s\": "
		    "say which (kapctl %s milestone|activity %s)", key, cmd, key);
	if (found == 0)
		return ctl_fail(EX_DATAERR, cmd, "no %s with key \"%s\"", *kind ? *kind :
		    "milestone or activity", key);
	return 0;
}

static int
update_item(struct ctl *c, const struct item_args *a, const struct item_ref *r)
{
	char sql[1024], err[512];
	sqlite3_stmt *st = NULL;
	int rc;

	snprintf(sql, sizeof(sql), "UPDATE %s SET "
	    "title = coalesce(?1, title), due = coalesce(?2, due), "
	    "owner_id = CASE WHEN ?3 IS NULL THEN owner_id WHEN ?3 = '-' THEN NULL "
	    "  ELSE (SELECT id FROM person WHERE key = ?3) END, "
	    "project_id = CASE WHEN ?4 IS NULL THEN project_id WHEN ?4 = '-' THEN NULL "
	    "  ELSE (SELECT id FROM project WHERE key = ?4) END, "
	    "description = CASE WHEN ?5 IS NULL THEN description WHEN ?5 = '-' THEN NULL ELSE ?5 END, "
	    "%s updated_at = " NOW_SQL_FMT " WHERE id = ?7", a->kind,
	    strcmp(a->kind, "activity") == 0 ? "milestone_id = CASE WHEN ?6 IS NULL THEN "
	    "milestone_id WHEN ?6 = '-' THEN NULL ELSE (SELECT id FROM milestone WHERE key = ?6) "
	    "END," : "");
	if (db_prepare(c->db, sql, &st, err, sizeof(err)) < 0)
		return ctl_fail(EX_SOFTWARE, "edit", "%s", err);
	sqlite3_bind_text(st, 1, a->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->due, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->description, -1, SQLITE_STATIC);
	if (strcmp(a->kind, "activity") == 0)
		sqlite3_bind_text(st, 6, a->milestone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ctl_fail(ctl_exit_code(db_errno(rc)), "edit", "%s", sqlite3_errmsg(c->db));
	return 0;
}

int
cmd_edit(struct ctl *c, int argc, char **argv)
{
	struct item_args a = { 0 };
	struct item_ref ref = { 0 };
	char err[512];
	int r;

	if ((r = parse_item_opts(c, argc, argv, &a)) >= 0)
		return r;
	if (optind + 2 != argc || !valid_kind(argv[optind]))
		return ctl_fail(EX_USAGE, "edit", "usage: kapctl edit milestone|activity KEY [options]");
	a.kind = argv[optind];
	a.key = argv[optind + 1];
	if (a.plan != NULL || (a.title == NULL && a.due == NULL && a.owner == NULL &&
	    a.milestone == NULL && a.project == NULL && a.description == NULL))
		return ctl_fail(EX_USAGE, "edit", "give what to change: --title, --due, --owner, "
		    "--milestone, --project or --description");
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, "edit", "%s", err);
	r = find_item(c, "edit", &a.kind, a.key, &ref);
	if (r == 0)
		r = check_args(c, "edit", &a, &ref);
	if (r == 0)
		r = update_item(c, &a, &ref);
	r = finish(c, "edit", r);
	if (r == 0)
		printf("changed %s %s\n", a.kind, a.key);
	return r;
}

/* done, cancel and reopen: [milestone|activity] KEY [--on DATE]. */
static int
set_state(struct ctl *c, int argc, char **argv, const char *state)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "on", required_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	struct item_ref ref = { 0 };
	const char *cmd = argv[0], *kind = NULL, *key, *on = NULL;
	char sql[256], err[512], day[KDATE_STRLEN];
	sqlite3_stmt *st = NULL;
	int o, done = -1, r, rc;
	kdate_t d;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ctl_common_opt(c, cmd, o, &done) && done >= 0)
			return done;
		if (o == 'O')
			on = optarg;
	}
	if (argc - optind == 2 && valid_kind(argv[optind]))
		kind = argv[optind++];
	if (argc - optind != 1)
		return ctl_fail(EX_USAGE, cmd, "usage: kapctl %s [milestone|activity] KEY", cmd);
	key = argv[optind];
	if (on != NULL && (strcmp(state, "done") != 0 || kdate_parse(on, &d) < 0))
		return ctl_fail(EX_USAGE, cmd, "--on takes a date (YYYY-MM-DD) and applies to done");
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (db_begin(c->db, err, sizeof(err)) < 0)
		return ctl_fail(EX_TEMPFAIL, cmd, "%s", err);
	r = find_item(c, cmd, &kind, key, &ref);
	if (r == 0 && on == NULL)
		on = kdate_format(ctl_today(c, NULL), day);
	snprintf(sql, sizeof(sql), "UPDATE %s SET state = ?1, done_on = ?2, updated_at = "
	    NOW_SQL_FMT " WHERE id = ?3 AND (state IS NOT ?1 OR done_on IS NOT ?2)", kind ? kind : "activity");
	if (r == 0 && db_prepare(c->db, sql, &st, err, sizeof(err)) < 0)
		r = ctl_fail(EX_SOFTWARE, cmd, "%s", err);
	if (r == 0) {
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
		bind_opt(st, 2, strcmp(state, "done") == 0 ? on : NULL);
		sqlite3_bind_int64(st, 3, ref.id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = ctl_fail(ctl_exit_code(db_errno(rc)), cmd, "%s", sqlite3_errmsg(c->db));
		else if (sqlite3_changes(c->db) == 0)
			printf("%s %s is already %s\n", kind, key, state);
		else
			printf("%s %s is now %s\n", kind, key, state);
	}
	sqlite3_finalize(st);
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
