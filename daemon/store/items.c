#include "store/items.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NOW_SQL_FMT "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now')" /* inside a printf format */

static int
is_clear(const char *s)
{
	return s != NULL && strcmp(s, "-") == 0;
}

static int
is_activity(const char *kind)
{
	return strcmp(kind, "activity") == 0;
}

/* Runs a query that returns at most one integer; 1 when found. */
static int
query_id(sqlite3 *db, const char *sql, const char *a, sqlite3_int64 b, int64_t *out)
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

/* The result of a statement that returns no rows. */
static int
step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return db_errno(rc) ? db_errno(rc) : -EIO;
}

int
items_find_plan(sqlite3 *db, const char *key, struct items_ref *r)
{
	if (!query_id(db, "SELECT id FROM plan WHERE key = ?1", key, 0, &r->plan_id) ||
	    !query_id(db, "SELECT account_id FROM plan WHERE key = ?1", key, 0, &r->account_id))
		return 0;
	snprintf(r->plan_key, sizeof(r->plan_key), "%s", key);
	return 1;
}

int
items_on_team(sqlite3 *db, const char *person, int64_t plan_id)
{
	return query_id(db,
	    "SELECT 1 FROM team_member t JOIN person p ON p.id = t.person_id "
	    "WHERE p.key = ?1 AND t.plan_id = ?2",
	    person, plan_id, NULL);
}

int
items_milestone_in_plan(sqlite3 *db, const char *key, int64_t plan_id)
{
	return query_id(
	    db, "SELECT 1 FROM milestone WHERE key = ?1 AND plan_id = ?2", key, plan_id, NULL);
}

int
items_project_in_account(sqlite3 *db, const char *key, int64_t account_id)
{
	return query_id(
	    db, "SELECT 1 FROM project WHERE key = ?1 AND account_id = ?2", key, account_id, NULL);
}

int
items_key_taken(sqlite3 *db, const char *kind, const char *key)
{
	return query_id(db,
	    is_activity(kind) ? "SELECT 1 FROM activity WHERE key = ?1"
	                      : "SELECT 1 FROM milestone WHERE key = ?1",
	    key, 0, NULL);
}

int
items_find(
    sqlite3 *db, const char **kind, const char *key, struct items_ref *r, char *err, size_t errlen)
{
	static const char *const kinds[] = { "milestone", "activity" };
	sqlite3_stmt *st = NULL;
	char sql[256];
	int i, found = 0;

	for (i = 0; i < 2; i++) {
		if (*kind != NULL && strcmp(*kind, kinds[i]) != 0)
			continue;
		snprintf(sql, sizeof(sql),
		    "SELECT i.id, i.plan_id, p.account_id, p.key FROM %s i "
		    "JOIN plan p ON p.id = i.plan_id WHERE i.key = ?1",
		    kinds[i]);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "%s", sqlite3_errmsg(db));
			return -EIO;
		}
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			if (found++)
				break;
			r->id = sqlite3_column_int64(st, 0);
			r->plan_id = sqlite3_column_int64(st, 1);
			r->account_id = sqlite3_column_int64(st, 2);
			snprintf(
			    r->plan_key, sizeof(r->plan_key), "%s", sqlite3_column_text(st, 3));
			*kind = kinds[i];
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	sqlite3_finalize(st);
	return found;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || is_clear(s))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int prepare_fmt(sqlite3 *db, sqlite3_stmt **st, char *err, size_t errlen, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));

/* Prepares the statement whose SQL is fmt filled in (the item's table, optional columns). */
static int
prepare_fmt(sqlite3 *db, sqlite3_stmt **st, char *err, size_t errlen, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(sql)) {
		snprintf(err, errlen, "an item statement does not fit");
		return -EOVERFLOW;
	}
	return db_prepare(db, sql, st, err, errlen);
}

/* Binds f's title, due, owner, project, description and, for an activity, milestone to
 * ?first, ?first + 1...; with clear_to_null the optional ones (from owner on) are NULL
 * when unset or cleared ("-"). */
static void
bind_fields(sqlite3_stmt *st, int first, const struct items_fields *f, int clear_to_null)
{
	const char *v[] = { f->title, f->due, f->owner, f->project, f->description, f->milestone };
	int i, n = is_activity(f->kind) ? 6 : 5;

	for (i = 0; i < n; i++) {
		if (i >= 2 && clear_to_null)
			bind_opt(st, first + i, v[i]);
		else
			sqlite3_bind_text(st, first + i, v[i], -1, SQLITE_STATIC);
	}
}

int
items_insert(sqlite3 *db, const struct items_fields *f, int64_t plan_id, const char *key, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare_fmt(db, &st, err, errlen,
	    "INSERT INTO %s (plan_id, position, key, title, due, owner_id, "
	    "project_id, description%s) VALUES (?1, (SELECT coalesce(max(position), -1) + 1 FROM "
	    "%s "
	    "WHERE plan_id = ?1), ?2, ?3, ?4, (SELECT id FROM person WHERE key = ?5), "
	    "(SELECT id FROM project WHERE key = ?6), ?7%s)",
	    f->kind, is_activity(f->kind) ? ", milestone_id" : "", f->kind,
	    is_activity(f->kind) ? ", (SELECT id FROM milestone WHERE key = ?8)" : "");
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, plan_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	bind_fields(st, 3, f, 1);
	return step_done(db, st, err, errlen);
}

int
items_update(sqlite3 *db, const struct items_fields *f, int64_t id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare_fmt(db, &st, err, errlen,
	    "UPDATE %s SET "
	    "title = coalesce(?1, title), due = coalesce(?2, due), "
	    "owner_id = CASE WHEN ?3 IS NULL THEN owner_id WHEN ?3 = '-' THEN NULL "
	    "  ELSE (SELECT id FROM person WHERE key = ?3) END, "
	    "project_id = CASE WHEN ?4 IS NULL THEN project_id WHEN ?4 = '-' THEN NULL "
	    "  ELSE (SELECT id FROM project WHERE key = ?4) END, "
	    "description = CASE WHEN ?5 IS NULL THEN description WHEN ?5 = '-' THEN NULL ELSE ?5 "
	    "END, "
	    "%s updated_at = " NOW_SQL_FMT " WHERE id = ?7",
	    f->kind,
	    is_activity(f->kind) ? "milestone_id = CASE WHEN ?6 IS NULL THEN "
	                           "milestone_id WHEN ?6 = '-' THEN NULL ELSE (SELECT id FROM "
	                           "milestone WHERE key = ?6) "
	                           "END,"
	                         : "");
	if (r < 0)
		return r;
	bind_fields(st, 1, f, 0);
	sqlite3_bind_int64(st, 7, id);
	return step_done(db, st, err, errlen);
}

int
items_set_state(sqlite3 *db, const char *kind, int64_t id, const char *state, const char *done_on,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = prepare_fmt(db, &st, err, errlen,
	    "UPDATE %s SET state = ?1, done_on = ?2, updated_at = " NOW_SQL_FMT
	    " WHERE id = ?3 AND (state IS NOT ?1 OR done_on IS NOT ?2)",
	    kind);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	bind_opt(st, 2, done_on);
	sqlite3_bind_int64(st, 3, id);
	r = step_done(db, st, err, errlen);
	return r < 0 ? r : sqlite3_changes(db);
}
