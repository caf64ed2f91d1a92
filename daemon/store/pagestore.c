#include "store/pagestore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
pagestore_ensure_tokens(sqlite3 *db, char *err, size_t errlen)
{
	static const char *const insert[] = { "INSERT INTO page (plan_id, token) VALUES (?1, ?2)" };

	/* The active plans without a page row. */
	return db_ensure_tokens(db,
	    "SELECT 0, p.id FROM plan p WHERE p.state = 'active' AND NOT EXISTS"
	    " (SELECT 1 FROM page g WHERE g.plan_id = p.id)",
	    insert, "writing page rows", err, errlen);
}

/* The caller's callback of pagestore_list. */
struct listing {
	int (*cb)(void *ctx, const struct pagestore_entry *e);
	void *ctx;
};

static int
list_row(void *ctx, sqlite3_stmt *st)
{
	const struct listing *l = ctx;
	struct pagestore_entry e = { (const char *)sqlite3_column_text(st, 0),
		(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
		(const char *)sqlite3_column_text(st, 3),
		(const char *)sqlite3_column_text(st, 4) };

	return l->cb(l->ctx, &e);
}

int
pagestore_list(sqlite3 *db, int (*cb)(void *ctx, const struct pagestore_entry *e), void *ctx,
    char *err, size_t errlen)
{
	struct listing l = { cb, ctx };

	return db_each_row(db,
	    "SELECT p.key, p.title, g.token, g.content_hash, g.written_at"
	    " FROM plan p JOIN page g ON g.plan_id = p.id WHERE p.state = 'active'"
	    " ORDER BY p.key",
	    0, "reading pages", list_row, &l, err, errlen);
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

/* The row id of the plan with key; -ENOENT when there is none. */
static int
plan_id(sqlite3 *db, const char *key, sqlite3_int64 *id, char *err, size_t errlen)
{
	int r = db_id_by_key(db, "plan", key, id, err, errlen);

	if (r == 0 && *id == 0) {
		snprintf(err, errlen, "no plan with the key \"%s\"", key);
		r = -ENOENT;
	}
	return r;
}

int
pagestore_rotate(
    sqlite3 *db, const char *key, char token[TOKEN_FEED_LEN + 1], char *err, size_t errlen)
{
	sqlite3_int64 id = 0;
	int r;

	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	r = plan_id(db, key, &id, err, errlen);
	return db_rotate_token(db, r,
	    "UPDATE page SET token = ?2, content_hash = NULL,"
	    " written_at = NULL, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
	    " WHERE plan_id = ?1",
	    "INSERT INTO page (plan_id, token) VALUES (?1, ?2)", id, token, "writing a page row",
	    err, errlen);
}
