#include "store/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "store/db.h"

static void
bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The statements below take a db_stmts (store/db.h): a batch of emails prepares each
 * once instead of once per email (profiled on a first check); NULL prepares per call. */
static const char delivery_sql[] =
    "INSERT INTO delivery (recipient_key, email, mode, message_id, state, "
    "slot_at, armed_at, local_date) VALUES (?1, ?2, ?3, ?4, 'sending', ?5, ?5, ?6)";

static int
insert_delivery(sqlite3 *db, struct db_stmts *c, const struct ledger_delivery *d, int64_t *id,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	r = db_stmts_or_prepare(c, db, delivery_sql, &st, err, errlen);
	if (r < 0)
		return r;
	bind_str(st, 1, d->recipient_key);
	bind_str(st, 2, d->email);
	bind_str(st, 3, d->immediate ? "immediate" : "digest");
	bind_str(st, 4, d->token);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)d->slot);
	bind_str(st, 6, d->local_date);
	rc = sqlite3_step(st);
	db_stmts_done(c, st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a delivery: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* INSERT OR IGNORE: the unique key (rule, kind, item, deadline, stage, recipient) turns a
 * second mailing into a no-op. */
static const char notes_insert_sql[] =
    "INSERT OR IGNORE INTO notification (rule, kind, item_key, plan_key, "
    "deadline, stage, recipient_key, on_behalf_of, unowned, title, owner_name, at_risk, "
    "delivery_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

static int
insert_notes(sqlite3 *db, struct db_stmts *c, int64_t id, const struct ledger_note *notes, size_t n,
    int *keep, size_t *kept, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = SQLITE_DONE, r;

	r = db_stmts_or_prepare(c, db, notes_insert_sql, &st, err, errlen);
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
	db_stmts_done(c, st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a notification: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

static const char outcome_sql[] =
    "UPDATE delivery SET state = ?1, attempts = attempts + 1, "
    "last_error = ?2, next_attempt = ?3, outcome_at = ?5, sent_at = CASE WHEN ?1 = "
    "'sent' THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END WHERE id = ?4";

static int
write_outcome(
    sqlite3 *db, struct db_stmts *c, const struct ledger_result *res, char *err, size_t errlen)
{
	static const char *const names[] = { "sent", "deferred", "failed" };
	sqlite3_stmt *st = NULL;
	int rc, r;

	r = db_stmts_or_prepare(c, db, outcome_sql, &st, err, errlen);
	if (r < 0)
		return r;
	bind_str(st, 1, names[res->state]);
	bind_str(st, 2, res->error);
	if (res->state == LEDGER_DEFERRED)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)res->next_attempt);
	sqlite3_bind_int64(st, 4, res->id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)res->at);
	rc = sqlite3_step(st);
	db_stmts_done(c, st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "recording a delivery outcome: %s", sqlite3_errmsg(db));
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

int
ledger_record(sqlite3 *db, const struct ledger_result *prev, const struct ledger_delivery *d,
    const struct ledger_note *notes, size_t n, int *keep, int64_t *id, char *err, size_t errlen)
{
	size_t kept = 0;
	int r;

	*id = 0;
	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	if (prev != NULL)
		r = write_outcome(db, NULL, prev, err, errlen);
	if (r == 0)
		r = insert_delivery(db, NULL, d, id, err, errlen);
	if (r == 0)
		r = insert_notes(db, NULL, *id, notes, n, keep, &kept, err, errlen);
	if (r == 0 && kept == 0) {
		/* Everything was mailed by someone else meanwhile: keep only the outcome. */
		char sql[64];

		snprintf(sql, sizeof(sql), "DELETE FROM delivery WHERE id = %lld", (long long)*id);
		r = db_exec(db, sql, err, errlen);
		*id = 0;
	}
	r = db_commit_or_rollback(db, r, err, errlen);
	if (r < 0)
		*id = 0;
	return r;
}

/* One email of a batch, inside the caller's transaction. */
static int
record_one(sqlite3 *db, struct db_stmts *c, struct ledger_mail *m, char *err, size_t errlen)
{
	char sql[64];
	size_t kept = 0;
	int r;

	r = insert_delivery(db, c, &m->d, &m->id, err, errlen);
	if (r == 0)
		r = insert_notes(db, c, m->id, m->notes, m->n, m->keep, &kept, err, errlen);
	if (r == 0 && kept == 0) {
		snprintf(
		    sql, sizeof(sql), "DELETE FROM delivery WHERE id = %lld", (long long)m->id);
		r = db_exec(db, sql, err, errlen);
		m->id = 0;
	}
	return r;
}

int
ledger_record_batch(sqlite3 *db, const struct ledger_result *prev, size_t n_prev,
    struct ledger_mail *m, size_t n, char *err, size_t errlen)
{
	struct db_stmts *c;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		m[i].id = 0;
	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	c = db_stmts_new(db); /* NULL (out of memory): each call prepares its own */
	for (i = 0; r == 0 && i < n_prev; i++)
		r = write_outcome(db, c, &prev[i], err, errlen);
	for (i = 0; r == 0 && i < n; i++)
		r = record_one(db, c, &m[i], err, errlen);
	db_stmts_free(c);
	r = db_commit_or_rollback(db, r, err, errlen);
	if (r < 0) {
		for (i = 0; i < n; i++)
			m[i].id = 0;
	}
	return r;
}

/* An outcome not written means the email is sent again by the next check (a duplicate),
 * so a lock held longer than the busy timeout (a long import) is waited for again. */
#define OUTCOME_TRIES 6

static int
outcomes_once(sqlite3 *db, const struct ledger_result *res, size_t n, char *err, size_t errlen)
{
	struct db_stmts *c = NULL;
	size_t i;
	int r;

	r = db_begin(db, err, errlen);
	if (r == 0)
		c = db_stmts_new(db); /* NULL: each call prepares its own */
	for (i = 0; r == 0 && i < n; i++)
		r = write_outcome(db, c, &res[i], err, errlen);
	db_stmts_free(c);
	return db_commit_or_rollback(db, r, err, errlen);
}

int
ledger_outcomes(sqlite3 *db, const struct ledger_result *res, size_t n, char *err, size_t errlen)
{
	int i, r = -EBUSY;

	if (n == 0)
		return 0;
	for (i = 0; i < OUTCOME_TRIES && r == -EBUSY; i++)
		r = outcomes_once(db, res, n, err, errlen);
	return r;
}

int
ledger_outcome(sqlite3 *db, const struct ledger_result *res, char *err, size_t errlen)
{
	int i, r = -EBUSY;

	for (i = 0; i < OUTCOME_TRIES && r == -EBUSY; i++)
		r = write_outcome(db, NULL, res, err, errlen);
	return r;
}

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

static int
step_failed(sqlite3 *db, int rc, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return db_errno(rc) ? db_errno(rc) : -EIO;
}

static const char retry_sql[] =
    "SELECT d.id, d.email, d.message_id, d.attempts, d.armed_at, d.local_date,"
    " (SELECT name FROM person WHERE key = d.recipient_key),"
    " (SELECT language FROM person WHERE key = d.recipient_key)"
    " FROM delivery d WHERE d.state = 'sending' OR (d.state = 'deferred'"
    " AND d.next_attempt <= ?1) ORDER BY d.id";

static int
retry_row(sqlite3_stmt *st, struct ledger_retry **v, size_t *n, size_t *cap)
{
	struct ledger_retry *x;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;

		x = realloc(*v, c * sizeof(**v));
		if (x == NULL)
			return -ENOMEM;
		*v = x;
		*cap = c;
	}
	x = &(*v)[(*n)++];
	memset(x, 0, sizeof(*x));
	x->id = sqlite3_column_int64(st, 0);
	x->email = dup_col(st, 1);
	x->token = dup_col(st, 2);
	x->attempts = sqlite3_column_int(st, 3);
	x->armed_at = (time_t)sqlite3_column_int64(st, 4);
	x->local_date = dup_col(st, 5);
	x->to_name = dup_col(st, 6);
	x->lang = dup_col(st, 7);
	return 0;
}

/* The rows are all read and the statement finalized before anything is sent: a read
 * statement left open across the outcome writes holds a shared lock, and SQLite answers a
 * writer that holds a shared lock with SQLITE_BUSY at once, without the busy timeout
 * (deadlock avoidance), whenever another process waits to commit. */
int
ledger_due_retries(
    sqlite3 *db, time_t now, struct ledger_retry **out, size_t *n, char *err, size_t errlen)
{
	struct ledger_retry *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t cnt = 0, cap = 0;
	int rc = SQLITE_DONE, r;

	r = db_prepare(db, retry_sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = retry_row(st, &v, &cnt, &cap);
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = step_failed(db, rc, "reading the outbox", err, errlen);
	else if (r < 0)
		snprintf(err, errlen, "reading the outbox: out of memory");
	if (r < 0) {
		ledger_retries_free(v, cnt);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
ledger_retries_free(struct ledger_retry *r, size_t n)
{
	size_t i;

	for (i = 0; r != NULL && i < n; i++) {
		free(r[i].email);
		free(r[i].token);
		free(r[i].local_date);
		free(r[i].to_name);
		free(r[i].lang);
	}
	free(r);
}

static const char notes_sql[] =
    "SELECT n.rule, n.kind, n.item_key, n.plan_key, n.deadline, n.stage, n.title,"
    " n.owner_name, (SELECT title FROM plan WHERE key = n.plan_key),"
    " (SELECT name FROM person WHERE key = n.on_behalf_of), n.unowned, n.at_risk,"
    " (SELECT pe.email FROM plan p JOIN team_member t ON t.plan_id = p.id AND t.role = 'kam'"
    "  JOIN person pe ON pe.id = t.person_id WHERE p.key = n.plan_key),"
    /* whether it went to the plan's sponsor (a KAM rule about the KAM's own item) */
    " EXISTS (SELECT 1 FROM plan p JOIN team_member t ON t.plan_id = p.id"
    "  AND t.role = 'sponsor' JOIN person pe ON pe.id = t.person_id WHERE p.key = n.plan_key"
    "  AND pe.key = coalesce(n.on_behalf_of, n.recipient_key))"
    " FROM notification n WHERE n.delivery_id = ?1 ORDER BY n.id";

/* The note's strings, in the order of notes_sql's first columns. */
static void
note_fields(struct ledger_stored_note *x, char **f[10])
{
	char **v[10] = { &x->rule, &x->kind, &x->item_key, &x->plan_key, &x->deadline, &x->stage,
		&x->title, &x->owner_name, &x->plan_title, &x->on_behalf_name };

	memcpy(f, v, sizeof(v));
}

static int
stored_row(struct ledger_stored *s, sqlite3_stmt *st)
{
	struct ledger_stored_note *x;
	char **f[10];
	int i;

	x = realloc(s->notes, (s->n + 1) * sizeof(*s->notes));
	if (x == NULL)
		return -ENOMEM;
	s->notes = x;
	x = &s->notes[s->n++];
	memset(x, 0, sizeof(*x));
	note_fields(x, f);
	for (i = 0; i < 10; i++)
		*f[i] = dup_col(st, i);
	x->unowned = sqlite3_column_int(st, 10);
	x->at_risk = sqlite3_column_int(st, 11);
	x->to_sponsor = sqlite3_column_int(st, 13);
	if (s->reply_to == NULL)
		s->reply_to = dup_col(st, 12);
	return 0;
}

int
ledger_load_delivery(sqlite3 *db, int64_t id, struct ledger_stored *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, r;

	memset(s, 0, sizeof(*s));
	r = db_prepare(db, notes_sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = stored_row(s, st);
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = step_failed(db, rc, "reading a delivery", err, errlen);
	return r;
}

void
ledger_stored_free(struct ledger_stored *s)
{
	char **f[10];
	size_t i;
	int k;

	for (i = 0; s->notes != NULL && i < s->n; i++) {
		note_fields(&s->notes[i], f);
		for (k = 0; k < 10; k++)
			free(*f[k]);
	}
	free(s->notes);
	free(s->reply_to);
	memset(s, 0, sizeof(*s));
}

/* Open items of active plans due on or before ?1; milestones carry the at-risk flag
 * (open linked activities overdue on ?2).  The partial indexes on (due) WHERE state =
 * 'open' serve it, so the items of each kind come in due order. */
static const char items_sql[] =
    "SELECT 0, a.key, a.plan_id, a.due, a.owner_id, a.title, 0"
    " FROM activity a WHERE a.state = 'open' AND a.due <= ?1 "
    "UNION ALL "
    "SELECT 1, m.key, m.plan_id, m.due, m.owner_id, m.title,"
    " EXISTS (SELECT 1 FROM activity x WHERE x.milestone_id = m.id AND x.state = 'open'"
    "  AND x.due < ?2)"
    " FROM milestone m WHERE m.state = 'open' AND m.due <= ?1";

/* The ledger lines of one kind and deadline, by item key: read from the covering index
 * notification(kind, deadline, item_key, rule, stage, recipient_key) once per due date
 * of the stream instead of once per item (a lookup per item was most of a check with a
 * day's ledger: 64,756 seeks on the bench, against some 750 due dates). */
static const char group_sql[] =
    "SELECT item_key, rule || ' ' || stage || ' ' || recipient_key FROM notification"
    " WHERE kind = ?1 AND deadline = ?2 ORDER BY item_key";

struct group {
	sqlite3_stmt *st;
	int milestone; /* of the lines held; -1: none held yet */
	char due[16];
	struct sbuf text;   /* "key\0lines\0" for each key, its lines joined by "\n" */
	size_t *at, n, cap; /* offsets of the keys in text, in key order */
};

/* Loads the lines of (milestone, due) into g unless it holds them. */
static int
group_load(struct group *g, int milestone, const char *due)
{
	const char *key, *line, *last = NULL;
	int rc;

	if (g->milestone == milestone && strcmp(g->due, due) == 0)
		return 0;
	g->milestone = -1;
	g->text.len = 0;
	g->n = 0;
	if (strlen(due) >= sizeof(g->due))
		return 0; /* not a date: no ledger line has it as deadline */
	sqlite3_bind_text(g->st, 1, milestone ? "milestone" : "activity", -1, SQLITE_STATIC);
	sqlite3_bind_text(g->st, 2, due, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(g->st)) == SQLITE_ROW) {
		key = (const char *)sqlite3_column_text(g->st, 0);
		line = (const char *)sqlite3_column_text(g->st, 1);
		if (key == NULL || line == NULL)
			continue;
		if (last != NULL && strcmp(last, key) == 0) {
			g->text.len--; /* joins the lines of the same key */
			sbuf_add(&g->text, "\n", 1);
		} else {
			if (g->n == g->cap) {
				size_t cap = g->cap ? 2 * g->cap : 256, *at;

				at = realloc(g->at, cap * sizeof(*at));
				if (at == NULL) {
					sqlite3_reset(g->st);
					return -ENOMEM;
				}
				g->at = at;
				g->cap = cap;
			}
			g->at[g->n++] = g->text.len;
			sbuf_add(&g->text, key, strlen(key) + 1);
		}
		sbuf_add(&g->text, line, strlen(line) + 1);
		last = g->text.s + g->at[g->n - 1];
	}
	sqlite3_reset(g->st);
	if (rc != SQLITE_DONE)
		return rc;
	if (g->text.failed)
		return -ENOMEM;
	g->milestone = milestone;
	snprintf(g->due, sizeof(g->due), "%s", due);
	return 0;
}

/* The lines of key in the loaded group, or NULL. */
static const char *
group_lines(const struct group *g, const char *key)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = g->text.s + g->at[mid];
		int c = strcmp(k, key);

		if (c == 0)
			return k + strlen(k) + 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The callback only decides and collects (it never writes): the statements stay open for
 * the whole stream, inside the caller's read transaction. */
int
ledger_stream_items(sqlite3 *db, const char *until, const char *today, ledger_item_fn fn, void *ctx,
    char *err, size_t errlen)
{
	struct group g = { NULL, -1, "", SBUF_INIT, NULL, 0, 0 };
	sqlite3_stmt *st = NULL;
	struct ledger_item it;
	int rc, r, gr = 0;

	r = db_prepare(db, items_sql, &st, err, errlen);
	if (r == 0)
		r = db_prepare(db, group_sql, &g.st, err, errlen);
	if (r < 0) {
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_bind_text(st, 1, until, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		it.milestone = sqlite3_column_int(st, 0);
		it.key = (const char *)sqlite3_column_text(st, 1);
		it.plan_id = sqlite3_column_int64(st, 2);
		it.due = (const char *)sqlite3_column_text(st, 3);
		it.owner_id = sqlite3_column_int64(st, 4);
		it.title = (const char *)sqlite3_column_text(st, 5);
		it.at_risk = sqlite3_column_int(st, 6);
		if (it.key == NULL || it.due == NULL)
			continue;
		if ((gr = group_load(&g, it.milestone, it.due)) != 0)
			break;
		it.mailed = group_lines(&g, it.key);
		if ((r = fn(ctx, &it)) < 0)
			break;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(g.st);
	sbuf_free(&g.text);
	free(g.at);
	if (gr == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		return gr;
	}
	if (gr > 0) /* an SQLite code of the ledger lines */
		return step_failed(db, gr, "reading the ledger", err, errlen);
	if (r >= 0 && rc != SQLITE_DONE)
		return step_failed(db, rc, "reading items", err, errlen);
	return r < 0 ? r : 0;
}

struct ledger_lookup {
	sqlite3_stmt *st;
};

int
ledger_lookup_new(sqlite3 *db, struct ledger_lookup **out, char *err, size_t errlen)
{
	struct ledger_lookup *lk = calloc(1, sizeof(*lk));
	int r;

	if (lk == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = db_prepare(db,
	    "SELECT 1 FROM notification WHERE rule = ?1 AND kind = 'plan' AND "
	    "item_key = ?2 AND deadline = ?3 AND stage = ?4 AND recipient_key = ?5",
	    &lk->st, err, errlen);
	if (r < 0) {
		free(lk);
		return r;
	}
	*out = lk;
	return 0;
}

void
ledger_lookup_free(struct ledger_lookup *lk)
{
	if (lk == NULL)
		return;
	sqlite3_finalize(lk->st);
	free(lk);
}

int
ledger_plan_mailed(struct ledger_lookup *lk, const char *rule, const char *plan_key,
    const char *deadline, const char *stage, const char *recipient_key)
{
	int found;

	sqlite3_reset(lk->st);
	bind_str(lk->st, 1, rule);
	bind_str(lk->st, 2, plan_key);
	bind_str(lk->st, 3, deadline);
	bind_str(lk->st, 4, stage);
	bind_str(lk->st, 5, recipient_key);
	found = sqlite3_step(lk->st) == SQLITE_ROW;
	sqlite3_reset(lk->st);
	return found;
}
