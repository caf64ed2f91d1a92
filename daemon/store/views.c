#include "store/views.h"

#include <errno.h>
#include <stdio.h>

static const char *const list_sql[] = {
	[VIEW_ACCOUNTS] =
	    "SELECT a.key, a.name, a.industry, a.rating, (SELECT count(*) FROM plan p WHERE "
	    "p.account_id = a.id AND p.state = 'active') FROM account a ORDER BY a.name, a.key",
	[VIEW_PLANS] =
	    "SELECT p.key, a.key, p.state, (SELECT pe.key FROM team_member t JOIN person pe ON "
	    "pe.id = t.person_id WHERE t.plan_id = p.id AND t.role = 'kam'), p.next_review, "
	    "(SELECT count(*) FROM milestone m WHERE m.plan_id = p.id AND m.state = 'open') + "
	    "(SELECT count(*) FROM activity x WHERE x.plan_id = p.id AND x.state = 'open'), "
	    "p.title "
	    "FROM plan p JOIN account a ON a.id = p.account_id ORDER BY a.key, p.key",
	[VIEW_PEOPLE] =
	    "SELECT key, name, email, language, timezone, notify FROM person ORDER BY name, key",
};

/* Open items and annual updates of active plans due on or before ?1; the partial
 * indexes on (due) WHERE state = 'open' serve the item branches. */
static const char due_sql[] =
    "SELECT kind, key, title, due, owner, owner_name, plan FROM ("
    " SELECT 'milestone' AS kind, m.key, m.title, m.due, pe.key AS owner, pe.name AS owner_name,"
    "  p.key AS plan FROM milestone m JOIN plan p ON p.id = m.plan_id"
    "  LEFT JOIN person pe ON pe.id = m.owner_id"
    "  WHERE m.state = 'open' AND m.due <= ?1 AND p.state = 'active'"
    " UNION ALL"
    " SELECT 'activity', a.key, a.title, a.due, pe.key, pe.name, p.key FROM activity a"
    "  JOIN plan p ON p.id = a.plan_id LEFT JOIN person pe ON pe.id = a.owner_id"
    "  WHERE a.state = 'open' AND a.due <= ?1 AND p.state = 'active'"
    " UNION ALL"
    " SELECT 'plan', p.key, p.title, p.next_review, pe.key, pe.name, p.key FROM plan p"
    "  LEFT JOIN team_member t ON t.plan_id = p.id AND t.role = 'kam'"
    "  LEFT JOIN person pe ON pe.id = t.person_id"
    "  WHERE p.state = 'active' AND p.next_review <= ?1"
    ") WHERE (?2 IS NULL OR plan = ?2) AND (?3 IS NULL OR owner = ?3)"
    " ORDER BY due, plan, kind, key";

static const char log_sql[] =
    "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', d.slot_at, 'unixepoch'), d.state, n.recipient_key, "
    "d.email, n.rule,"
    " n.stage, n.kind, n.item_key, n.plan_key, n.deadline, n.on_behalf_of, d.message_id,"
    " d.last_error"
    " FROM notification n JOIN delivery d ON d.id = n.delivery_id"
    " WHERE (?1 IS NULL OR n.plan_key = ?1)"
    " AND (?2 IS NULL OR n.recipient_key = ?2 OR n.on_behalf_of = ?2)"
    " ORDER BY n.id DESC LIMIT ?3";

static const char queue_sql[] =
    "SELECT d.id, d.state, d.email, d.attempts,"
    " CASE WHEN d.next_attempt IS NULL THEN NULL ELSE"
    "  strftime('%Y-%m-%dT%H:%M:%SZ', d.next_attempt, 'unixepoch') END,"
    " strftime('%Y-%m-%dT%H:%M:%SZ', d.slot_at, 'unixepoch'),"
    " (SELECT count(*) FROM notification n WHERE n.delivery_id = d.id), d.last_error,"
    " d.message_id"
    " FROM delivery d WHERE d.state IN ('sending', 'deferred', 'failed')"
    " ORDER BY d.state = 'failed', d.id";

/* Steps st to its end, handing each row to cb, and finalizes it. */
static int
each_row(sqlite3 *db, sqlite3_stmt *st, view_row_fn *cb, void *ctx, char *err, size_t errlen)
{
	struct view_value v[VIEW_MAX_COLS];
	int n = sqlite3_column_count(st), i, rc, r = 0;

	if (n > VIEW_MAX_COLS)
		n = VIEW_MAX_COLS;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			int t = sqlite3_column_type(st, i);

			v[i].type = t == SQLITE_NULL ? VIEW_NULL
			    : t == SQLITE_INTEGER    ? VIEW_INT
			                             : VIEW_TEXT;
			v[i].i = sqlite3_column_int64(st, i);
			v[i].s = (const char *)sqlite3_column_text(st, i);
		}
		if ((r = cb(ctx, v, n)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		r = db_errno(rc) ? db_errno(rc) : -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

int
view_list(sqlite3 *db, enum view_listing what, view_row_fn *cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, list_sql[what], &st, err, errlen)) < 0)
		return r;
	return each_row(db, st, cb, ctx, err, errlen);
}

int
view_due(sqlite3 *db, const char *until, const char *plan, const char *person, view_row_fn *cb,
    void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, due_sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, until, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person, -1, SQLITE_STATIC);
	return each_row(db, st, cb, ctx, err, errlen);
}

int
view_log(sqlite3 *db, const char *plan, const char *person, long limit, view_row_fn *cb, void *ctx,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, log_sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	return each_row(db, st, cb, ctx, err, errlen);
}

int
view_queue(sqlite3 *db, view_row_fn *cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, queue_sql, &st, err, errlen)) < 0)
		return r;
	return each_row(db, st, cb, ctx, err, errlen);
}
