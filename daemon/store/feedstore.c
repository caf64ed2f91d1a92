/* The feeds' SQL: tokens, the events of each feed, and what the last check recorded. */
#include "store/feedstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

/* A person has a feed while on the team of an active plan or owning an item of one. */
#define NEEDED_PERSON                                                                              \
	"(EXISTS (SELECT 1 FROM team_member t JOIN plan p ON p.id = t.plan_id"                     \
	" WHERE t.person_id = o.id AND p.state = 'active')"                                        \
	" OR EXISTS (SELECT 1 FROM activity a JOIN plan p ON p.id = a.plan_id"                     \
	" WHERE a.owner_id = o.id AND p.state = 'active')"                                         \
	" OR EXISTS (SELECT 1 FROM milestone m JOIN plan p ON p.id = m.plan_id"                    \
	" WHERE m.owner_id = o.id AND p.state = 'active'))"

enum scope { SCOPE_ALL = 0, SCOPE_PLAN, SCOPE_PERSON };

/* The events of active plans, three queries with the same columns: id, key, title, due,
 * state, done_on, owner id, owner name, plan id, plan title, updated_at, the feed_item
 * row (sequence, digest, changed_at; its kind is enum ics_kind) and the account's name.  ?1 is the first day a
 * done or cancelled item is still shown; a filter follows (the whole database, one plan,
 * one owner). */
#define ITEM_SQL(kind, num)                                                                        \
	"SELECT x.id, x.key, x.title, x.due, x.state, x.done_on, x.owner_id, o.name,"              \
	" x.plan_id, p.title, x.updated_at, fi.sequence, fi.digest, fi.changed_at, a.name"         \
	" FROM " kind " x JOIN plan p ON p.id = x.plan_id"                                         \
	" JOIN account a ON a.id = p.account_id"                                                   \
	" LEFT JOIN person o ON o.id = x.owner_id"                                                 \
	" LEFT JOIN feed_item fi ON fi.kind = " num " AND fi.item_id = x.id"                       \
	" WHERE p.state = 'active' AND (x.state = 'open' OR"                                       \
	" coalesce(x.done_on, substr(x.updated_at, 1, 10)) >= ?1)"

static const char *const item_sql[] = {
	[ICS_MILESTONE] = ITEM_SQL("milestone", "0"),
	[ICS_ACTIVITY] = ITEM_SQL("activity", "1"),
	[ICS_REVIEW] =
	    "SELECT p.id, p.key, p.title, p.next_review, 'open', NULL, k.person_id,"
	    " o.name, p.id, p.title, p.updated_at, fi.sequence, fi.digest, fi.changed_at, a.name"
	    " FROM plan p JOIN account a ON a.id = p.account_id"
	    " LEFT JOIN team_member k ON k.plan_id = p.id AND k.role = 'kam'"
	    " LEFT JOIN person o ON o.id = k.person_id"
	    " LEFT JOIN feed_item fi ON fi.kind = 2 AND fi.item_id = p.id"
	    " WHERE p.state = 'active' AND p.next_review IS NOT NULL AND ?1 = ?1",
};

/* Filters by scope; the orders follow the indexes (plan_id, position) and (owner_id), so
 * no query sorts. */
static const char *const filter_sql[][3] = {
	[SCOPE_ALL] = { " AND x.id > ?3 ORDER BY x.id LIMIT ?4",
	    " AND x.id > ?3 ORDER BY x.id LIMIT ?4", " AND p.id > ?3 ORDER BY p.id LIMIT ?4" },
	[SCOPE_PLAN] = { " AND x.plan_id = ?2 ORDER BY x.position, x.id",
	    " AND x.plan_id = ?2 ORDER BY x.position, x.id", " AND p.id = ?2" },
	[SCOPE_PERSON] = { " AND x.owner_id = ?2 ORDER BY x.id",
	    " AND x.owner_id = ?2 ORDER BY x.id", " AND k.person_id = ?2 ORDER BY p.id" },
};

static const char *
text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* A timestamp of the schema, "YYYY-MM-DDTHH:MM:SSZ" (read once per event, so without
 * sscanf), else any ISO 8601 instant; fallback when there is none. */
static time_t
parse_stamp(const char *s, time_t fallback)
{
	int y, mo, d, h, mi, se;
	time_t t;

	if (s == NULL)
		return fallback;
	if (strlen(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	    s[16] == ':' && s[19] == 'Z') {
		y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
		h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
		if (kdate_valid_ymd(y, mo, d) && h >= 0 && h < 24 && mi >= 0 && mi < 60 &&
		    se >= 0 && se < 61)
			return (time_t)kdate_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	}
	return kdate_parse_instant(s, &t) == 0 ? t : fallback;
}

static char *
put_digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC), as the schema keeps timestamps. */
static void
format_stamp(time_t t, char buf[32])
{
	kdate_t day = (kdate_t)(t / 86400 - (t % 86400 < 0));
	int sec = (int)(t - (time_t)day * 86400) % 86400, y, m, d;
	char *p = buf;

	kdate_to_ymd(day, &y, &m, &d);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sec / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sec / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sec % 60, 2);
	*p++ = 'Z';
	*p = '\0';
}

static int
prepare_items(
    sqlite3 *db, enum ics_kind kind, enum scope scope, sqlite3_stmt **st, char *err, size_t errlen)
{
	char sql[2048];
	size_t off = 0;

	str_appendf(sql, sizeof(sql), &off, "%s%s", item_sql[kind], filter_sql[scope][kind]);
	if (off >= sizeof(sql)) {
		snprintf(err, errlen, "feed query too long");
		return -EINVAL;
	}
	return db_prepare(db, sql, st, err, errlen);
}

/* The event of the current row: -EINVAL for a row the schema should have refused. */
static int
row_event(sqlite3_stmt *st, enum ics_kind kind, time_t now, struct feedstore_event *e)
{
	struct ics_event *ev = &e->ev;
	const char *state = text(st, 4);

	memset(e, 0, sizeof(*e));
	ev->kind = kind;
	ev->key = text(st, 1);
	ev->title = text(st, 2);
	if (ev->key == NULL || ev->title == NULL || kdate_parse(text(st, 3), &ev->due) < 0)
		return -EINVAL;
	ev->state = state == NULL             ? ICS_OPEN
	    : strcmp(state, "done") == 0      ? ICS_DONE
	    : strcmp(state, "cancelled") == 0 ? ICS_CANCELLED
	                                      : ICS_OPEN;
	ev->has_done_on = ev->state == ICS_DONE && kdate_parse(text(st, 5), &ev->done_on) == 0;
	ev->owner = text(st, 7);
	ev->plan = text(st, 9);
	ev->customer = text(st, 14);
	e->id = sqlite3_column_int64(st, 0);
	e->owner = sqlite3_column_type(st, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 6);
	e->plan = sqlite3_column_int64(st, 8);
	e->row_changed = parse_stamp(text(st, 10), now);
	/* Known events keep their sequence and time; a new one starts at 0 with the time the
	 * row last changed (the next check records it). */
	e->known = sqlite3_column_type(st, 12) != SQLITE_NULL;
	if (e->known) {
		ev->sequence = (long)sqlite3_column_int64(st, 11);
		e->digest = (uint64_t)sqlite3_column_int64(st, 12);
		ev->changed = (time_t)sqlite3_column_int64(st, 13);
	} else {
		ev->changed = e->row_changed;
	}
	return 0;
}

/* Steps st, calling cb for each valid row; *n (may be NULL) counts the rows read and
 * *last receives the last row's id. */
static int
each_event(sqlite3 *db, sqlite3_stmt *st, enum ics_kind kind, time_t now, feedstore_event_fn *cb,
    void *ctx, size_t *n, int64_t *last, char *err, size_t errlen)
{
	struct feedstore_event e;
	int r = 0, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n != NULL)
			(*n)++;
		if (last != NULL)
			*last = sqlite3_column_int64(st, 0);
		if (row_event(st, kind, now, &e) < 0)
			continue;
		if ((r = cb(ctx, &e)) != 0)
			break;
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r != 0)
		return r < 0 ? r : 0;
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading items: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return 0;
}

int
feedstore_scan(sqlite3 *db, enum ics_kind kind, const char *cutoff, time_t now, size_t batch,
    feedstore_event_fn *cb, int (*batch_done)(void *ctx, char *err, size_t errlen), void *ctx,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t last = 0;
	size_t n = batch;
	int r;

	r = prepare_items(db, kind, SCOPE_ALL, &st, err, errlen);
	while (r == 0 && n == batch) {
		n = 0;
		if ((r = db_read_begin(db, err, errlen)) < 0)
			break;
		sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, last);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)batch);
		r = each_event(db, st, kind, now, cb, ctx, &n, &last, err, errlen);
		sqlite3_reset(st);
		db_read_end(db);
		if (r == 0)
			r = batch_done(ctx, err, errlen);
	}
	sqlite3_finalize(st);
	return r;
}

/* The six per-feed statements (three kinds, plan or person scope), prepared on first
 * use and reset after each: a first check writes tens of thousands of feeds, and
 * preparing three statements for each was a fifth of its time (profiled). */
struct feedstore_reader {
	sqlite3 *db;
	sqlite3_stmt *st[3][2];
};

int
feedstore_reader_new(sqlite3 *db, struct feedstore_reader **out)
{
	struct feedstore_reader *rd = calloc(1, sizeof(*rd));

	if (rd == NULL)
		return -ENOMEM;
	rd->db = db;
	*out = rd;
	return 0;
}

void
feedstore_reader_free(struct feedstore_reader *rd)
{
	size_t k;

	if (rd == NULL)
		return;
	for (k = 0; k < 3; k++) {
		sqlite3_finalize(rd->st[k][0]);
		sqlite3_finalize(rd->st[k][1]);
	}
	free(rd);
}

int
feedstore_events(struct feedstore_reader *rd, enum ics_kind kind, int is_plan, int64_t owner,
    const char *cutoff, time_t now, feedstore_event_fn *cb, void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt **st = &rd->st[kind][is_plan ? 0 : 1];
	int r;

	if (*st == NULL &&
	    (r = prepare_items(
	         rd->db, kind, is_plan ? SCOPE_PLAN : SCOPE_PERSON, st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(*st, 1, cutoff, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(*st, 2, owner);
	r = each_event(rd->db, *st, kind, now, cb, ctx, NULL, NULL, err, errlen);
	sqlite3_reset(*st);
	return r;
}

/* ---------------------------------------------------------------------------------- */
/* Which feeds exist */

static int
load_set(sqlite3 *db, const char *sql, int is_plan,
    int (*cb)(void *ctx, const struct feedstore_feed *f), void *ctx, char *err, size_t errlen)
{
	struct feedstore_feed f;
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(db, sql, &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		f.row = sqlite3_column_int64(st, 0);
		f.owner = sqlite3_column_int64(st, 1);
		f.is_plan = is_plan;
		f.token = text(st, 2);
		f.digest = text(st, 3);
		f.content = text(st, 4);
		f.name = text(st, 5);
		f.language = text(st, 6);
		f.tz = text(st, 7);
		r = cb(ctx, &f);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading feeds: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

int
feedstore_load(sqlite3 *db, int (*cb)(void *ctx, const struct feedstore_feed *f), void *ctx,
    char *err, size_t errlen)
{
	int r;

	r = load_set(db,
	    "SELECT f.id, p.id, f.token, f.digest, f.content_hash, p.title,"
	    " coalesce(p.language, (SELECT o.language FROM team_member t JOIN person o ON"
	    " o.id = t.person_id WHERE t.plan_id = p.id AND t.role = 'kam')), p.timezone"
	    " FROM plan p JOIN feed f ON f.plan_id = p.id WHERE p.state = 'active'"
	    " ORDER BY p.id",
	    1, cb, ctx, err, errlen);
	if (r == 0)
		r = load_set(db,
		    "SELECT f.id, o.id, f.token, f.digest, f.content_hash, o.name,"
		    " o.language, o.timezone FROM person o JOIN feed f ON f.person_id = o.id"
		    " WHERE " NEEDED_PERSON " ORDER BY o.id",
		    0, cb, ctx, err, errlen);
	return r;
}

/* ---------------------------------------------------------------------------------- */
/* What a check records */

int
feedstore_record_changes(
    sqlite3 *db, const struct feedstore_change *c, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *ins = NULL, *upd = NULL, *st;
	size_t i;
	int r, rc;

	if (n == 0)
		return 0;
	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	/* Plain INSERT and UPDATE: the pass knew which rows exist (an upsert would first try
	 * the insert); the transaction keeps that knowledge true. */
	r = db_prepare(db,
	    "INSERT OR REPLACE INTO feed_item (kind, item_id, sequence, digest,"
	    " changed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	    &ins, err, errlen);
	if (r == 0)
		r = db_prepare(db,
		    "UPDATE feed_item SET sequence = max(sequence + 1, ?3), digest ="
		    " ?4, changed_at = ?5 WHERE kind = ?1 AND item_id = ?2",
		    &upd, err, errlen);
	for (i = 0; r == 0 && i < n; i++) {
		st = c[i].known ? upd : ins;
		sqlite3_bind_int(st, 1, (int)c[i].kind);
		sqlite3_bind_int64(st, 2, c[i].id);
		sqlite3_bind_int64(st, 3, c[i].seq);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)c[i].digest);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)c[i].changed);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			snprintf(err, errlen, "recording feed events: %s", sqlite3_errmsg(db));
			r = db_errno(rc);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	return db_commit_or_rollback(db, r, err, errlen);
}

int
feedstore_record_written(
    sqlite3 *db, const struct feedstore_written *w, size_t n, time_t now, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char digest[17], content[17], stamp[32];
	size_t i;
	int r, rc;

	if (n == 0)
		return 0;
	r = db_begin(db, err, errlen);
	if (r == 0)
		r = db_prepare(db,
		    "UPDATE feed SET digest = ?1, content_hash = ?2, written_at ="
		    " coalesce(?3, written_at) WHERE id = ?4 AND token = ?5",
		    &st, err, errlen);
	format_stamp(now, stamp);
	for (i = 0; r == 0 && i < n; i++) {
		token_hex64(w[i].digest, digest);
		token_hex64(w[i].content, content);
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, content, -1, SQLITE_STATIC);
		if (w[i].replaced)
			sqlite3_bind_text(st, 3, stamp, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int64(st, 4, w[i].row);
		sqlite3_bind_text(st, 5, w[i].token, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			snprintf(err, errlen, "recording feeds: %s", sqlite3_errmsg(db));
			r = db_errno(rc);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return db_commit_or_rollback(db, r, err, errlen);
}

/* ---------------------------------------------------------------------------------- */
/* Tokens */

int
feedstore_ensure_tokens(sqlite3 *db, char *err, size_t errlen)
{
	static const char *const insert[] = {
		"INSERT INTO feed (person_id, token) VALUES (?1, ?2)",
		"INSERT INTO feed (plan_id, token) VALUES (?1, ?2)",
	};

	/* The active plans (1) and the people who need a feed (0) without a feed row. */
	return db_ensure_tokens(db,
	    "SELECT 1, p.id FROM plan p WHERE p.state = 'active' AND NOT EXISTS"
	    " (SELECT 1 FROM feed f WHERE f.plan_id = p.id) UNION ALL "
	    "SELECT 0, o.id FROM person o WHERE " NEEDED_PERSON " AND NOT EXISTS"
	    " (SELECT 1 FROM feed f WHERE f.person_id = o.id)",
	    insert, "creating feed tokens", err, errlen);
}

/* A listing of one kind of feed: the caller's callback and the kind it is told. */
struct listing {
	const char *kind;
	int (*cb)(void *ctx, const struct feedstore_entry *e);
	void *ctx;
};

static int
list_row(void *ctx, sqlite3_stmt *st)
{
	const struct listing *l = ctx;
	struct feedstore_entry e = { l->kind, text(st, 0), text(st, 1), text(st, 2), text(st, 3) };

	return l->cb(l->ctx, &e);
}

int
feedstore_list(sqlite3 *db, int (*cb)(void *ctx, const struct feedstore_entry *e), void *ctx,
    char *err, size_t errlen)
{
	struct listing plans = { "plan", cb, ctx }, people = { "person", cb, ctx };
	int r;

	r = feedstore_ensure_tokens(db, err, errlen);
	if (r == 0)
		r = db_each_row(db,
		    "SELECT p.key, p.title, f.token, f.written_at FROM plan p JOIN feed f"
		    " ON f.plan_id = p.id WHERE p.state = 'active' ORDER BY p.key",
		    0, "reading feeds", list_row, &plans, err, errlen);
	if (r == 0)
		r = db_each_row(db,
		    "SELECT o.key, o.name, f.token, f.written_at FROM person o JOIN feed f"
		    " ON f.person_id = o.id WHERE " NEEDED_PERSON " ORDER BY o.key",
		    0, "reading feeds", list_row, &people, err, errlen);
	return r;
}

int
feedstore_rotate(sqlite3 *db, const char *kind, const char *key, char token[TOKEN_FEED_LEN + 1],
    const char **kind_out, char *err, size_t errlen)
{
	/* The row is updated (and its written state forgotten, so the next check writes the
	 * file under the new name) or created.  [0]: a person's, [1]: a plan's. */
	static const char *const update[] = {
		"UPDATE feed SET token = ?2, digest = NULL, content_hash = NULL, written_at = NULL,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE person_id = ?1",
		"UPDATE feed SET token = ?2, digest = NULL, content_hash = NULL, written_at = NULL,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE plan_id = ?1",
	};
	static const char *const insert[] = {
		"INSERT INTO feed (person_id, token) VALUES (?1, ?2)",
		"INSERT INTO feed (plan_id, token) VALUES (?1, ?2)",
	};
	sqlite3_int64 plan = 0, person = 0;
	int r;

	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	if (kind == NULL || strcmp(kind, "plan") == 0)
		r = db_id_by_key(db, "plan", key, &plan, err, errlen);
	if (r == 0 && (kind == NULL || strcmp(kind, "person") == 0))
		r = db_id_by_key(db, "person", key, &person, err, errlen);
	if (r == 0 && plan == 0 && person == 0) {
		snprintf(
		    err, errlen, "no %s with the key \"%s\"", kind ? kind : "plan or person", key);
		r = -ENOENT;
	} else if (r == 0 && plan != 0 && person != 0) {
		snprintf(err, errlen,
		    "\"%s\" is the key of a plan and of a person: say which "
		    "(rotate plan %s, rotate person %s)",
		    key, key, key);
		r = -EEXIST;
	}
	r = db_rotate_token(db, r, update[plan != 0], insert[plan != 0], plan != 0 ? plan : person,
	    token, "rotating the token", err, errlen);
	if (r == 0)
		*kind_out = plan != 0 ? "plan" : "person";
	return r;
}
