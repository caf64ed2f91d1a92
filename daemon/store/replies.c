/* replies: the SQL of replies (see replies.h). */
#include "store/replies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "lib/token.h"

/* ---- keys ---- */

static int
random_key(char *key)
{
	return token_random_hex(key, REPLY_KEY_LEN, NULL, 0);
}

/* Runs st (bound by the caller) to its end; 0 or negative errno with err filled. */
static int
step_done(sqlite3 *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return db_errno(rc) ? db_errno(rc) : -EIO;
}

int
replies_key(sqlite3 *db, int64_t delivery_id, time_t expires, char *key, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char fresh[REPLY_KEY_LEN + 1];
	int r;

	if ((r = random_key(fresh)) < 0) {
		snprintf(err, errlen, "no random bytes for a reply key");
		return r;
	}
	/* A key made earlier (a retry) stays: the mail must look the same every time. */
	r = db_prepare(db,
	    "INSERT INTO reply_key (delivery_id, key, expires_at) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (delivery_id) DO UPDATE SET delivery_id = delivery_id "
	    "RETURNING key",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, delivery_id);
	sqlite3_bind_text(st, 2, fresh, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)expires);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == REPLY_KEY_LEN) {
		memcpy(key, sqlite3_column_text(st, 0), REPLY_KEY_LEN + 1);
	} else {
		snprintf(err, errlen, "storing a reply key: %s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

static const char mail_sql[] = "SELECT d.id, d.recipient_key, d.email, coalesce(p.language, ''),"
                               " coalesce(p.timezone, ''), k.expires_at"
                               " FROM reply_key k JOIN delivery d ON d.id = k.delivery_id"
                               " LEFT JOIN person p ON p.key = d.recipient_key WHERE k.key = ?1";
/* The items of the mail; kam: the recipient is the plan's KAM, or got it for the KAM. */
static const char items_sql[] =
    "SELECT n.kind, n.item_key, n.plan_key, max(EXISTS (SELECT 1 FROM plan pl"
    "  JOIN team_member t ON t.plan_id = pl.id AND t.role = 'kam'"
    "  JOIN person pe ON pe.id = t.person_id WHERE pl.key = n.plan_key"
    "  AND (pe.key = n.recipient_key OR pe.key = n.on_behalf_of)))"
    " FROM notification n WHERE n.delivery_id = ?1"
    " GROUP BY n.kind, n.item_key, n.plan_key ORDER BY min(n.id)";

static void
copy_col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s != NULL ? s : "");
}

static int
load_items(sqlite3 *db, struct reply_mail *m, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct reply_item *it;
	int r, rc;

	if ((r = db_prepare(db, items_sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, m->delivery_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);

		if ((it = realloc(m->items, (m->n_items + 1) * sizeof(*it))) == NULL) {
			r = -ENOMEM;
			break;
		}
		m->items = it;
		it += m->n_items++;
		it->kind = strcmp(kind, "plan") == 0 ? KIND_PLAN
		    : strcmp(kind, "milestone") == 0 ? KIND_MILESTONE
		                                     : KIND_ACTIVITY;
		copy_col(st, 1, it->key, sizeof(it->key));
		copy_col(st, 2, it->plan_key, sizeof(it->plan_key));
		it->kam = sqlite3_column_int(st, 3);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		r = -EIO;
	}
	sqlite3_finalize(st);
	return r;
}

int
replies_mail(sqlite3 *db, const char *key, struct reply_mail *m, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = db_prepare(db, mail_sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -ENOENT;
	}
	m->delivery_id = sqlite3_column_int64(st, 0);
	copy_col(st, 1, m->recipient_key, sizeof(m->recipient_key));
	copy_col(st, 2, m->email, sizeof(m->email));
	copy_col(st, 3, m->lang, sizeof(m->lang));
	copy_col(st, 4, m->tz, sizeof(m->tz));
	m->expires = (time_t)sqlite3_column_int64(st, 5);
	sqlite3_finalize(st);
	if ((r = load_items(db, m, err, errlen)) < 0)
		replies_mail_free(m);
	return r;
}

void
replies_mail_free(struct reply_mail *m)
{
	if (m == NULL)
		return;
	free(m->items);
	m->items = NULL;
	m->n_items = 0;
}

int
replies_seen(sqlite3 *db, const char *message_id, const char *key, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = db_prepare(db, "SELECT 1 FROM reply WHERE message_id = ?1 AND reply_key = ?2", &st,
	         err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

/* ---- handling one message ---- */

int
replies_insert(sqlite3 *db, const struct reply_record *rec, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db,
	    "INSERT INTO reply (message_id, reply_key, delivery_id, sender,"
	    " received_at, outcome, reason, commands) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	    " ON CONFLICT (message_id, reply_key) DO NOTHING",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, rec->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, rec->key, -1, SQLITE_STATIC);
	if (rec->delivery_id > 0)
		sqlite3_bind_int64(st, 3, rec->delivery_id);
	sqlite3_bind_text(st, 4, rec->sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)rec->now);
	sqlite3_bind_text(st, 6, rec->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, rec->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, rec->commands, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a reply: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	if (sqlite3_changes(db) == 0)
		return -EEXIST;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

static const char *
table_of(enum item_kind k)
{
	return k == KIND_MILESTONE ? "milestone" : k == KIND_PLAN ? "plan" : "activity";
}

static int
record_change(sqlite3 *db, int64_t id, const struct reply_item *it, const char *field,
    const struct reply_effect *e, time_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare(db,
	    "INSERT INTO reply_change (reply_id, kind, item_key, plan_key, field,"
	    " old_value, new_value, changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, table_of(it->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, it->plan_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->old_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, e->new_value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
	r = step_done(db, st, err, errlen);
	sqlite3_finalize(st);
	return r;
}

/* The item's current state and date (due, or next_review for a plan); -ENOENT when it
 * is gone. */
static int
current(sqlite3 *db, const struct reply_item *it, struct reply_effect *e, char *err, size_t errlen)
{
	char sql[160];
	sqlite3_stmt *st = NULL;
	int r;

	snprintf(sql, sizeof(sql), "SELECT state, %s FROM %s WHERE key = ?1",
	    it->kind == KIND_PLAN ? "coalesce(next_review, '')" : "due", table_of(it->kind));
	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		copy_col(st, 0, e->state, sizeof(e->state));
		copy_col(st, 1, e->old_value, sizeof(e->old_value));
	} else {
		r = -ENOENT;
	}
	sqlite3_finalize(st);
	return r;
}

/* The UPDATE of one action; field is what changes. */
static int
update(sqlite3 *db, const struct reply_item *it, const struct reply_action *a, const char **field,
    struct reply_effect *e, char *err, size_t errlen)
{
	char sql[200], day[KDATE_STRLEN];
	sqlite3_stmt *st = NULL;
	int r;

	kdate_format(a->date, day);
	if (a->verb == REPLYCMD_REVIEWED) {
		*field = "next_review";
		kdate_format(kdate_add_years(a->date, 1), e->new_value);
		snprintf(sql, sizeof(sql),
		    "UPDATE plan SET last_review = ?1, next_review = ?2,"
		    " updated_at = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE key = ?3");
	} else if (a->verb == REPLYCMD_DONE) {
		*field = "state";
		snprintf(e->new_value, sizeof(e->new_value), "done");
		snprintf(sql, sizeof(sql),
		    "UPDATE %s SET state = 'done', done_on = ?1, updated_at"
		    " = strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE key = ?3",
		    table_of(it->kind));
	} else {
		*field = "due";
		snprintf(e->new_value, sizeof(e->new_value), "%s", day);
		snprintf(sql, sizeof(sql),
		    "UPDATE %s SET due = ?1, updated_at = strftime("
		    "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now') WHERE key = ?3",
		    table_of(it->kind));
	}
	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, e->new_value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, it->key, -1, SQLITE_STATIC);
	r = step_done(db, st, err, errlen);
	sqlite3_finalize(st);
	return r;
}

static int
apply_one(sqlite3 *db, int64_t id, const struct reply_item *it, const struct reply_action *a,
    time_t now, struct reply_effect *e, char *err, size_t errlen)
{
	const char *field = NULL;
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = current(db, it, e, err, errlen)) == -ENOENT) {
		e->kind = REPLY_GONE;
		return 0;
	}
	if (r < 0)
		return r;
	/* Done and cancelled items stay as they are; so does a deadline already there. */
	if ((it->kind != KIND_PLAN && strcmp(e->state, "open") != 0) ||
	    (it->kind == KIND_PLAN && strcmp(e->state, "active") != 0) ||
	    (a->verb == REPLYCMD_DATE &&
	        strcmp(e->old_value, kdate_format(a->date, e->new_value)) == 0)) {
		e->kind = REPLY_UNCHANGED;
		return 0;
	}
	if ((r = update(db, it, a, &field, e, err, errlen)) < 0)
		return r;
	if (strcmp(field, "state") == 0)
		snprintf(e->old_value, sizeof(e->old_value), "%s", e->state);
	e->kind = strcmp(e->old_value, e->new_value) == 0 ? REPLY_UNCHANGED : REPLY_CHANGED;
	return e->kind == REPLY_CHANGED ? record_change(db, id, it, field, e, now, err, errlen) : 0;
}

int
replies_apply(sqlite3 *db, int64_t id, const struct reply_mail *m, const struct reply_action *act,
    size_t n, time_t now, struct reply_effect *eff, char *err, size_t errlen)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct reply_item it = m->items[act[i].item];

		/* reviewed acts on the plan of the item it was decided for. */
		if (act[i].verb == REPLYCMD_REVIEWED) {
			it.kind = KIND_PLAN;
			memcpy(it.key, it.plan_key, sizeof(it.key));
		}
		r = apply_one(db, id, &it, &act[i], now, &eff[i], err, errlen);
	}
	return r;
}

int
replies_finish(sqlite3 *db, int64_t id, const char *outcome, const char *answer, size_t len,
    const char *state, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare(db,
	    "UPDATE reply SET outcome = ?1, answer = ?2, answer_state = ?3"
	    " WHERE id = ?4",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, outcome, -1, SQLITE_STATIC);
	if (answer != NULL)
		sqlite3_bind_blob(st, 2, answer, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, id);
	r = step_done(db, st, err, errlen);
	sqlite3_finalize(st);
	return r;
}

int
replies_answers_since(
    sqlite3 *db, const char *sender, time_t since, int *count, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare(db,
	    "SELECT count(*) FROM reply WHERE sender = ?1 AND received_at >= ?2"
	    " AND answer_state IN ('pending', 'sent')",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, sender, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = sqlite3_column_int(st, 0);
	else
		r = -EIO;
	sqlite3_finalize(st);
	return r;
}

/* ---- answers ---- */

static int
claim_rows(sqlite3 *db, size_t max, struct reply_answer **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct reply_answer *v = NULL, *p;
	size_t k = 0;
	int r, rc;

	r = db_prepare(db,
	    "SELECT id, sender, answer FROM reply WHERE answer_state = 'pending'"
	    " AND answer IS NOT NULL AND sender IS NOT NULL ORDER BY id LIMIT ?1",
	    &st, err, errlen);
	if (r == 0)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2);

		if ((p = realloc(v, (k + 1) * sizeof(*v))) == NULL) {
			r = -ENOMEM;
			break;
		}
		v = p;
		memset(&v[k], 0, sizeof(v[k]));
		v[k].id = sqlite3_column_int64(st, 0);
		snprintf(v[k].token, sizeof(v[k].token), "kapd-answer-%lld", (long long)v[k].id);
		v[k].sender = strdup((const char *)sqlite3_column_text(st, 1));
		v[k].answer = malloc(len + 1);
		v[k].len = len;
		k++;
		if (v[k - 1].sender == NULL || v[k - 1].answer == NULL)
			r = -ENOMEM;
		else
			memcpy(v[k - 1].answer, blob, len);
	}
	sqlite3_finalize(st);
	if (r < 0) {
		replies_answers_free(v, k);
		snprintf(err, errlen, "out of memory");
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}

int
replies_claim(
    sqlite3 *db, size_t max, struct reply_answer **out, size_t *n, char *err, size_t errlen)
{
	char sql[256];
	int r;

	*out = NULL;
	*n = 0;
	if ((r = db_begin(db, err, errlen)) < 0)
		return r;
	snprintf(sql, sizeof(sql),
	    "UPDATE reply SET answer_state = 'sent' WHERE id IN (SELECT id"
	    " FROM reply WHERE answer_state = 'pending' AND answer IS NOT NULL AND sender IS NOT"
	    " NULL ORDER BY id LIMIT %zu)",
	    max);
	if ((r = claim_rows(db, max, out, n, err, errlen)) == 0 && *n > 0)
		r = db_exec(db, sql, err, errlen);
	r = db_commit_or_rollback(db, r, err, errlen);
	if (r < 0) {
		replies_answers_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return r;
}

void
replies_answers_free(struct reply_answer *a, size_t n)
{
	for (size_t i = 0; a != NULL && i < n; i++) {
		free(a[i].sender);
		free(a[i].answer);
	}
	free(a);
}

static int
set_state(sqlite3 *db, const int64_t *ids, size_t n, const char *state, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (n == 0)
		return 0;
	if ((r = db_prepare(
	         db, "UPDATE reply SET answer_state = ?1 WHERE id = ?2", &st, err, errlen)) < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, ids[i]);
		r = step_done(db, st, err, errlen);
	}
	sqlite3_finalize(st);
	return r;
}

int
replies_settle(sqlite3 *db, const int64_t *retry, size_t n_retry, const int64_t *failed,
    size_t n_failed, char *err, size_t errlen)
{
	int r;

	if ((r = db_begin(db, err, errlen)) < 0)
		return r;
	if ((r = set_state(db, retry, n_retry, "pending", err, errlen)) == 0 &&
	    (r = set_state(db, failed, n_failed, "failed", err, errlen)) == 0)
		r = db_exec(db,
		    "UPDATE reply SET answer = NULL WHERE answer IS NOT NULL AND"
		    " answer_state IN ('sent', 'failed')",
		    err, errlen);
	return db_commit_or_rollback(db, r, err, errlen);
}

/* ---- the IMAP cursor ---- */

int
replies_cursor(sqlite3 *db, char *buf, size_t len, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	buf[0] = '\0';
	r = db_prepare(db, "SELECT value FROM daemon_state WHERE key = 'replies_imap_cursor'", &st,
	    err, errlen);
	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		copy_col(st, 0, buf, len);
	sqlite3_finalize(st);
	return 0;
}

int
replies_set_cursor(sqlite3 *db, const char *cursor, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare(db,
	    "INSERT INTO daemon_state (key, value) VALUES ('replies_imap_cursor',"
	    " ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at ="
	    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, cursor, -1, SQLITE_STATIC);
	r = step_done(db, st, err, errlen);
	sqlite3_finalize(st);
	return r;
}

/* ---- kapctl replies ---- */

/* The caller's callback of replies_list. */
struct listing {
	int (*fn)(void *ctx, const struct reply_row *r);
	void *ctx;
};

static int
list_row(void *ctx, sqlite3_stmt *st)
{
	const struct listing *l = ctx;
	struct reply_row row = { sqlite3_column_int64(st, 0),
		(const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
		(const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
		(const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
		(const char *)sqlite3_column_text(st, 7), (time_t)sqlite3_column_int64(st, 8),
		sqlite3_column_int(st, 9) };
	int r = l->fn(l->ctx, &row);

	return r < 0 ? r : 0; /* a positive answer goes on */
}

int
replies_list(sqlite3 *db, int limit, int (*fn)(void *ctx, const struct reply_row *r), void *ctx,
    char *err, size_t errlen)
{
	struct listing l = { fn, ctx };

	/* Only the first 8 digits of a key are shown: enough to tell mails apart, useless
	 * to forge a reply with. */
	return db_each_row(db,
	    "SELECT id, message_id, substr(reply_key, 1, 8), sender, outcome,"
	    " reason, commands, answer_state, received_at,"
	    " (SELECT count(*) FROM reply_change c WHERE c.reply_id = reply.id)"
	    " FROM reply ORDER BY id DESC LIMIT ?1",
	    limit, "reading replies", list_row, &l, err, errlen);
}
