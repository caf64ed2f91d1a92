#include "store/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"

static void
bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int
insert_delivery(sqlite3 *db, const struct ledger_delivery *d, sqlite3_int64 *id, char *err,
    size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	r = db_prepare(db, "INSERT INTO delivery (recipient_key, email, mode, message_id, state, "
	    "slot_at, armed_at, local_date) VALUES (?1, ?2, ?3, ?4, 'sending', ?5, ?5, ?6)", &st,
	    err, errlen);
	if (r < 0)
		return r;
	bind_str(st, 1, d->recipient_key);
	bind_str(st, 2, d->email);
	bind_str(st, 3, d->immediate ? "immediate" : "digest");
	bind_str(st, 4, d->token);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)d->slot);
	bind_str(st, 6, d->local_date);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a delivery: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* INSERT OR IGNORE: the unique key (rule, kind, item, deadline, stage, recipient) turns a
 * second mailing into a no-op. */
static int
insert_notes(sqlite3 *db, sqlite3_int64 id, const struct ledger_note *notes, size_t n,
    int *keep, size_t *kept, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = SQLITE_DONE, r;

	r = db_prepare(db, "INSERT OR IGNORE INTO notification (rule, kind, item_key, plan_key, "
	    "deadline, stage, recipient_key, on_behalf_of, unowned, title, owner_name, at_risk, "
	    "delivery_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &st,
	    err, errlen);
	if (r < 0)
		return r;
	*kept = 0;
	for (i = 0; i < n; i++) {
		const struct ledger_note *x = &notes[i];

		sqlite3_reset(st);
		bind_str(st, 1, x->rule);
		bind_str(st, 2, x->kind);
		bind_str(st, 3, x->item_key);
		bind_str(st, 4, x->plan_key);
		bind_str(st, 5, x->deadline);
		bind_str(st, 6, x->stage);
		bind_str(st, 7, x->recipient_key);
		bind_str(st, 8, x->on_behalf_key);
		sqlite3_bind_int(st, 9, x->unowned);
		bind_str(st, 10, x->title);
		bind_str(st, 11, x->owner_name);
		sqlite3_bind_int(st, 12, x->at_risk);
		sqlite3_bind_int64(st, 13, id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			break;
		keep[i] = sqlite3_changes(db) > 0;
		*kept += (size_t)keep[i];
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a notification: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

static int
write_outcome(sqlite3 *db, const struct ledger_result *res, char *err, size_t errlen)
{
	static const char *const names[] = { "sent", "deferred", "failed" };
	sqlite3_stmt *st = NULL;
	int rc, r;

	r = db_prepare(db, "UPDATE delivery SET state = ?1, attempts = attempts + 1, "
	    "last_error = ?2, next_attempt = ?3, sent_at = CASE WHEN ?1 = 'sent' THEN "
	    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END WHERE id = ?4", &st, err, errlen);
	if (r < 0)
		return r;
	bind_str(st, 1, names[res->state]);
	bind_str(st, 2, res->error);
	if (res->state == LEDGER_DEFERRED)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)res->next_attempt);
	sqlite3_bind_int64(st, 4, res->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a delivery outcome: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

int
ledger_record(sqlite3 *db, const struct ledger_result *prev, const struct ledger_delivery *d,
    const struct ledger_note *notes, size_t n, int *keep, sqlite3_int64 *id, char *err,
    size_t errlen)
{
	size_t kept = 0;
	int r;

	*id = 0;
	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	if (prev != NULL)
		r = write_outcome(db, prev, err, errlen);
	if (r == 0)
		r = insert_delivery(db, d, id, err, errlen);
	if (r == 0)
		r = insert_notes(db, *id, notes, n, keep, &kept, err, errlen);
	if (r == 0 && kept == 0) {
		/* Everything was mailed by someone else meanwhile: keep only the outcome. */
		char sql[64];

		snprintf(sql, sizeof(sql), "DELETE FROM delivery WHERE id = %lld", (long long)*id);
		r = db_exec(db, sql, err, errlen);
		*id = 0;
	}
	if (r == 0)
		r = db_commit(db, err, errlen);
	if (r < 0) {
		db_rollback(db);
		*id = 0;
	}
	return r;
}

int
ledger_outcome(sqlite3 *db, const struct ledger_result *res, char *err, size_t errlen)
{
	return write_outcome(db, res, err, errlen);
}
