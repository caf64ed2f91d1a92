/* The feeds' tokens: creating them for new plans and people, listing the subscription
 * URLs and rotating a token (kapctl feeds). */
#include "run/feeds.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "run/feeds_impl.h"

static int
missing_tokens(sqlite3 *db, int (*each)(sqlite3 *, int, sqlite3_int64, char *, size_t),
    size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	*n = 0;
	r = db_prepare(db, "SELECT 1, p.id FROM plan p WHERE p.state = 'active' AND NOT EXISTS"
	    " (SELECT 1 FROM feed f WHERE f.plan_id = p.id) UNION ALL "
	    "SELECT 0, o.id FROM person o WHERE " NEEDED_PERSON " AND NOT EXISTS"
	    " (SELECT 1 FROM feed f WHERE f.person_id = o.id)", &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		if (each != NULL)
			r = each(db, sqlite3_column_int(st, 0), sqlite3_column_int64(st, 1), err, errlen);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading feeds: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

static int
insert_token(sqlite3 *db, int is_plan, sqlite3_int64 id, char *err, size_t errlen)
{
	char token[FEEDS_TOKEN_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = feeds_new_token(token, err, errlen);
	if (r == 0)
		r = db_prepare(db, is_plan ? "INSERT INTO feed (plan_id, token) VALUES (?1, ?2)" :
		    "INSERT INTO feed (person_id, token) VALUES (?1, ?2)", &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "creating a feed token: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
feeds_ensure_tokens(sqlite3 *db, char *err, size_t errlen)
{
	size_t n;
	int r;

	r = missing_tokens(db, NULL, &n, err, errlen);
	if (r < 0 || n == 0)
		return r;
	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	r = missing_tokens(db, insert_token, &n, err, errlen);
	if (r == 0)
		r = db_commit(db, err, errlen);
	if (r < 0)
		db_rollback(db);
	return r;
}

void
feeds_url(const char *base_url, const char *token, struct sbuf *out)
{
	size_t n = strlen(base_url);

	sbuf_puts(out, base_url);
	if (n == 0 || base_url[n - 1] != '/')
		sbuf_add(out, "/", 1);
	sbuf_puts(out, token);
	sbuf_puts(out, ".ics");
}

static int
list_set(sqlite3 *db, const char *sql, const char *kind,
    int (*cb)(void *ctx, const struct feeds_entry *e), void *ctx, char *err, size_t errlen)
{
	struct feeds_entry e;
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(db, sql, &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.kind = kind;
		e.key = (const char *)sqlite3_column_text(st, 0);
		e.name = (const char *)sqlite3_column_text(st, 1);
		e.token = (const char *)sqlite3_column_text(st, 2);
		e.written_at = (const char *)sqlite3_column_text(st, 3);
		r = cb(ctx, &e);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading feeds: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
feeds_list(sqlite3 *db, int (*cb)(void *ctx, const struct feeds_entry *e), void *ctx,
    char *err, size_t errlen)
{
	int r;

	r = feeds_ensure_tokens(db, err, errlen);
	if (r == 0)
		r = list_set(db, "SELECT p.key, p.title, f.token, f.written_at FROM plan p JOIN feed f"
		    " ON f.plan_id = p.id WHERE p.state = 'active' ORDER BY p.key", "plan", cb, ctx,
		    err, errlen);
	if (r == 0)
		r = list_set(db, "SELECT o.key, o.name, f.token, f.written_at FROM person o JOIN feed f"
		    " ON f.person_id = o.id WHERE " NEEDED_PERSON " ORDER BY o.key", "person", cb, ctx,
		    err, errlen);
	return r;
}

/* The row id of key in table ("plan" or "person"), 0 when there is none. */
static int
lookup(sqlite3 *db, const char *table, const char *key, sqlite3_int64 *id, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE key = ?1", table);
	*id = 0;
	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading %s: %s", table, sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

/* Runs one statement binding ?1 = id and ?2 = token; the number of changed rows, or a
 * negative errno. */
static int
run_with_token(sqlite3 *db, const char *sql, sqlite3_int64 id, const char *token, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "rotating the token: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return sqlite3_changes(db);
}

/* A new token for the feed of a plan or person: the row is updated (and its written
 * state forgotten, so the next check writes the file under the new name) or created. */
static int
set_token(sqlite3 *db, int is_plan, sqlite3_int64 id, const char *token, char *err,
    size_t errlen)
{
	char sql[256];
	const char *owner = is_plan ? "plan_id" : "person_id";
	int r;

	snprintf(sql, sizeof(sql), "UPDATE feed SET token = ?2, digest = NULL, content_hash = "
	    "NULL, written_at = NULL, updated_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') "
	    "WHERE %s = ?1", owner);
	r = run_with_token(db, sql, id, token, err, errlen);
	if (r != 0)
		return r < 0 ? r : 0;
	snprintf(sql, sizeof(sql), "INSERT INTO feed (%s, token) VALUES (?1, ?2)", owner);
	r = run_with_token(db, sql, id, token, err, errlen);
	return r < 0 ? r : 0;
}

int
feeds_rotate(sqlite3 *db, const char *kind, const char *key,
    char token[FEEDS_TOKEN_LEN + 1], const char **kind_out, char *err, size_t errlen)
{
	sqlite3_int64 plan = 0, person = 0;
	char fresh[FEEDS_TOKEN_LEN + 1];
	int r;

	r = feeds_new_token(fresh, err, errlen);
	if (r == 0)
		r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	if (kind == NULL || strcmp(kind, "plan") == 0)
		r = lookup(db, "plan", key, &plan, err, errlen);
	if (r == 0 && (kind == NULL || strcmp(kind, "person") == 0))
		r = lookup(db, "person", key, &person, err, errlen);
	if (r == 0 && plan == 0 && person == 0) {
		snprintf(err, errlen, "no %s with the key \"%s\"", kind ? kind : "plan or person", key);
		r = -ENOENT;
	} else if (r == 0 && plan != 0 && person != 0) {
		snprintf(err, errlen, "\"%s\" is the key of a plan and of a person: say which "
		    "(rotate plan %s, rotate person %s)", key, key, key);
		r = -EEXIST;
	}
	if (r == 0)
		r = set_token(db, plan != 0, plan != 0 ? plan : person, fresh, err, errlen);
	if (r == 0)
		r = db_commit(db, err, errlen);
	if (r < 0) {
		db_rollback(db);
		return r;
	}
	memcpy(token, fresh, sizeof(fresh));
	*kind_out = plan != 0 ? "plan" : "person";
	return 0;
}
