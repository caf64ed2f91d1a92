#include "store/pagestore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Active plans without a page row. */
#define MISSING_SQL                                                                                \
	"SELECT p.id FROM plan p WHERE p.state = 'active' AND NOT EXISTS"                          \
	" (SELECT 1 FROM page g WHERE g.plan_id = p.id)"

static int
insert_missing(sqlite3 *db, char *err, size_t errlen)
{
	char token[TOKEN_FEED_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(db, MISSING_SQL, &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = token_random_hex(token, TOKEN_FEED_LEN, err, errlen);
		if (r == 0)
			r = db_run_id_text(db, "INSERT INTO page (plan_id, token) VALUES (?1, ?2)",
			    sqlite3_column_int64(st, 0), token, "writing a page row", err, errlen);
		r = r < 0 ? r : 0;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading plans: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
pagestore_ensure_tokens(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	/* Read first: most checks find nothing missing and write nothing. */
	r = db_prepare(db, MISSING_SQL " LIMIT 1", &st, err, errlen);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	r = db_begin(db, err, errlen);
	if (r == 0)
		r = insert_missing(db, err, errlen);
	return db_commit_or_rollback(db, r, err, errlen);
}

int
pagestore_list(sqlite3 *db, int (*cb)(void *ctx, const struct pagestore_entry *e), void *ctx,
    char *err, size_t errlen)
{
	struct pagestore_entry e;
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(db,
	    "SELECT p.key, p.title, g.token, g.content_hash, g.written_at"
	    " FROM plan p JOIN page g ON g.plan_id = p.id WHERE p.state = 'active'"
	    " ORDER BY p.key",
	    &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		e.key = (const char *)sqlite3_column_text(st, 0);
		e.title = (const char *)sqlite3_column_text(st, 1);
		e.token = (const char *)sqlite3_column_text(st, 2);
		e.content = (const char *)sqlite3_column_text(st, 3);
		e.written_at = (const char *)sqlite3_column_text(st, 4);
		r = cb(ctx, &e);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading pages: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
pagestore_record(
    sqlite3 *db, const char *token, const char *content, int replaced, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db,
	    "UPDATE page SET content_hash = ?2, written_at = CASE WHEN ?3 THEN"
	    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now') ELSE written_at END,"
	    " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE token = ?1",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, content, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, replaced != 0);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a page: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return 0;
}

static int
plan_id(sqlite3 *db, const char *key, sqlite3_int64 *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db, "SELECT id FROM plan WHERE key = ?1", &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
	} else if (rc == SQLITE_DONE) {
		snprintf(err, errlen, "no plan with the key \"%s\"", key);
		r = -ENOENT;
	} else {
		snprintf(err, errlen, "reading plans: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
pagestore_rotate(
    sqlite3 *db, const char *key, char token[TOKEN_FEED_LEN + 1], char *err, size_t errlen)
{
	char fresh[TOKEN_FEED_LEN + 1];
	sqlite3_int64 id = 0;
	int r;

	r = token_random_hex(fresh, TOKEN_FEED_LEN, err, errlen);
	if (r == 0)
		r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	r = plan_id(db, key, &id, err, errlen);
	if (r == 0)
		r = db_run_id_text(db,
		    "UPDATE page SET token = ?2, content_hash = NULL,"
		    " written_at = NULL, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
		    " WHERE plan_id = ?1",
		    id, fresh, "writing a page row", err, errlen);
	if (r == 0)
		r = db_run_id_text(db, "INSERT INTO page (plan_id, token) VALUES (?1, ?2)", id,
		    fresh, "writing a page row", err, errlen);
	r = db_commit_or_rollback(db, r, err, errlen);
	if (r < 0)
		return r;
	memcpy(token, fresh, sizeof(fresh));
	return 0;
}
