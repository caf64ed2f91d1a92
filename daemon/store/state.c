#include "store/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
state_remember(sqlite3 *db, const char *key, time_t t)
{
	sqlite3_stmt *st = NULL;
	char err[256];

	if (db_prepare(db,
	        "INSERT INTO daemon_state (key, value) VALUES (?1, ?2) "
	        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = "
	        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
	        &st, err, sizeof(err)) < 0)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)t);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

void
state_forget(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	char err[256];

	if (db_prepare(db, "DELETE FROM daemon_state WHERE key = ?1", &st, err, sizeof(err)) < 0)
		return;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

long long
state_queue_depth(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;
	char err[256];

	if (db_prepare(db,
	        "SELECT count(*) FROM delivery WHERE state IN ('sending', "
	        "'deferred')",
	        &st, err, sizeof(err)) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

struct reader {
	struct state_status *s;
	void (*fact)(void *ctx, const char *key, const char *value);
	void *ctx;
};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? strdup((const char *)t) : NULL;
}

/* Runs sql and hands each row to fn; 0, or a negative errno with err filled. */
static int
query_row(sqlite3 *db, const char *sql, void (*fn)(sqlite3_stmt *, struct reader *),
    struct reader *x, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(st, x);
	r = 0;
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

static void
got_fact(sqlite3_stmt *st, struct reader *x)
{
	const char *key = (const char *)sqlite3_column_text(st, 0);
	const char *val = (const char *)sqlite3_column_text(st, 1);

	if (key != NULL && val != NULL)
		x->fact(x->ctx, key, val);
}

static void
got_counts(sqlite3_stmt *st, struct reader *x)
{
	x->s->sending = sqlite3_column_int64(st, 0);
	x->s->deferred = sqlite3_column_int64(st, 1);
	x->s->failed = sqlite3_column_int64(st, 2);
	x->s->sent = sqlite3_column_int64(st, 3);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		x->s->next_attempt = sqlite3_column_int64(st, 4);
}

static void
got_failure(sqlite3_stmt *st, struct reader *x)
{
	x->s->fail_email = col_dup(st, 0);
	x->s->fail_error = col_dup(st, 1);
	x->s->fail_at = col_dup(st, 2);
}

static void
got_table(sqlite3_stmt *st, struct reader *x)
{
	x->s->have_feeds = sqlite3_column_int(st, 0) > 0;
}

static void
got_feeds(sqlite3_stmt *st, struct reader *x)
{
	x->s->feed_plans = sqlite3_column_int64(st, 0);
	x->s->feed_people = sqlite3_column_int64(st, 1);
	x->s->feed_pending = sqlite3_column_int64(st, 2);
	x->s->feed_written = col_dup(st, 3);
}

int
state_read(sqlite3 *db, void (*fact)(void *ctx, const char *key, const char *value), void *ctx,
    struct state_status *s, char *err, size_t errlen)
{
	struct reader x = { s, fact, ctx };
	int r;

	memset(s, 0, sizeof(*s));
	s->next_attempt = -1;
	if ((r = query_row(db, "SELECT key, value FROM daemon_state", got_fact, &x, err, errlen)) <
	        0 ||
	    (r = query_row(db,
	         "SELECT count(*) FILTER (WHERE state = 'sending'), count(*) "
	         "FILTER (WHERE state = 'deferred'), count(*) FILTER (WHERE state = 'failed'), "
	         "count(*) FILTER (WHERE state = 'sent'), min(next_attempt) FILTER (WHERE state = "
	         "'deferred') FROM delivery",
	         got_counts, &x, err, errlen)) < 0 ||
	    (r = query_row(db,
	         "SELECT email, last_error, created_at FROM delivery WHERE state = "
	         "'failed' ORDER BY id DESC LIMIT 1",
	         got_failure, &x, err, errlen)) < 0 ||
	    (r = query_row(db,
	         "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	         "name = 'feed'",
	         got_table, &x, err, errlen)) < 0)
		return r;
	if (!s->have_feeds)
		return 0;
	return query_row(db,
	    "SELECT count(plan_id), count(person_id), count(*) FILTER (WHERE "
	    "digest IS NULL), max(written_at) FROM feed",
	    got_feeds, &x, err, errlen);
}

void
state_status_free(struct state_status *s)
{
	free(s->fail_email);
	free(s->fail_error);
	free(s->fail_at);
	free(s->feed_written);
	s->fail_email = s->fail_error = s->fail_at = s->feed_written = NULL;
}

int
state_retry(sqlite3 *db, long long id, time_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db,
	    "UPDATE delivery SET state = 'deferred', next_attempt = 0, "
	    "attempts = 0, armed_at = ?2 WHERE state IN ('deferred', 'failed') AND "
	    "(?1 = 0 OR id = ?1)",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return sqlite3_changes(db);
}
