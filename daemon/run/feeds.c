/* The database half of the feeds: which feeds exist, which events they hold, what changed
 * since the last check.  The files are written by feeds_file.c; tokens and kapctl's side
 * are in feeds_token.c. */
#include "run/feeds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "run/feeds_impl.h"
#include "core/ics.h"

/* Bumped when the text of the files changes for the same data, so every feed is written
 * again once after an upgrade. */
#define FORMAT_VERSION 1

/* Events per read transaction of the whole-database pass. */
#define BATCH 50000

/* The events of active plans, three queries with the same columns: id, key, title, due,
 * state, done_on, owner id, owner name, plan id, plan title, updated_at, and the feed_item
 * row (sequence, digest, changed_at; its kind is enum ics_kind).  ?1 is the first day a done or cancelled item is
 * still shown; the caller appends a filter (the whole database, one plan, one owner). */
#define ITEM_SQL(kind, num) \
	"SELECT x.id, x.key, x.title, x.due, x.state, x.done_on, x.owner_id, o.name," \
	" x.plan_id, p.title, x.updated_at, fi.sequence, fi.digest, fi.changed_at" \
	" FROM " kind " x JOIN plan p ON p.id = x.plan_id" \
	" LEFT JOIN person o ON o.id = x.owner_id" \
	" LEFT JOIN feed_item fi ON fi.kind = " num " AND fi.item_id = x.id" \
	" WHERE p.state = 'active' AND (x.state = 'open' OR" \
	" coalesce(x.done_on, substr(x.updated_at, 1, 10)) >= ?1)"

static const char *const item_sql[] = {
	[ICS_MILESTONE] = ITEM_SQL("milestone", "0"),
	[ICS_ACTIVITY] = ITEM_SQL("activity", "1"),
	[ICS_REVIEW] = "SELECT p.id, p.key, p.title, p.next_review, 'open', NULL, k.person_id,"
	    " o.name, p.id, p.title, p.updated_at, fi.sequence, fi.digest, fi.changed_at"
	    " FROM plan p LEFT JOIN team_member k ON k.plan_id = p.id AND k.role = 'kam'"
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
	[SCOPE_PERSON] = { " AND x.owner_id = ?2 ORDER BY x.id", " AND x.owner_id = ?2 ORDER BY x.id",
	    " AND k.person_id = ?2 ORDER BY p.id" },
};

static void
hex64(uint64_t v, char buf[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--, v >>= 4)
		buf[i] = hex[v & 15];
	buf[16] = '\0';
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

int
feeds_prepare(sqlite3 *db, enum ics_kind kind, enum feeds_scope scope, sqlite3_stmt **st,
    char *err, size_t errlen)
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

int
feeds_row_event(sqlite3_stmt *st, enum ics_kind kind, time_t now, struct ics_event *ev)
{
	const char *state = (const char *)sqlite3_column_text(st, 4);

	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->key = (const char *)sqlite3_column_text(st, 1);
	ev->title = (const char *)sqlite3_column_text(st, 2);
	if (ev->key == NULL || ev->title == NULL ||
	    kdate_parse((const char *)sqlite3_column_text(st, 3), &ev->due) < 0)
		return -EINVAL;
	ev->state = state == NULL ? ICS_OPEN : strcmp(state, "done") == 0 ? ICS_DONE :
	    strcmp(state, "cancelled") == 0 ? ICS_CANCELLED : ICS_OPEN;
	ev->has_done_on = ev->state == ICS_DONE &&
	    kdate_parse((const char *)sqlite3_column_text(st, 5), &ev->done_on) == 0;
	ev->owner = (const char *)sqlite3_column_text(st, 7);
	ev->plan = (const char *)sqlite3_column_text(st, 9);
	/* Known events keep their sequence and time; a new one starts at 0 with the time the
	 * row last changed (the next check records it). */
	if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
		ev->sequence = (long)sqlite3_column_int64(st, 11);
		ev->changed = (time_t)sqlite3_column_int64(st, 13);
	} else {
		ev->changed = parse_stamp((const char *)sqlite3_column_text(st, 10), now);
	}
	return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Which feeds exist */

static int
add_feed(struct feeds_run *x, sqlite3_stmt *st, int is_plan)
{
	struct feed *f;
	const char *tz = (const char *)sqlite3_column_text(st, 7);

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct feed *nf = realloc(x->f, cap * sizeof(*nf));

		if (nf == NULL)
			return -ENOMEM;
		x->f = nf;
		x->cap = cap;
	}
	f = &x->f[x->n];
	memset(f, 0, sizeof(*f));
	f->row = sqlite3_column_int64(st, 0);
	f->owner = sqlite3_column_int64(st, 1);
	f->is_plan = is_plan;
	snprintf(f->token, sizeof(f->token), "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(f->old_digest, sizeof(f->old_digest), "%s",
	    sqlite3_column_text(st, 3) ? (const char *)sqlite3_column_text(st, 3) : "");
	snprintf(f->old_content, sizeof(f->old_content), "%s",
	    sqlite3_column_text(st, 4) ? (const char *)sqlite3_column_text(st, 4) : "");
	f->name = strdup(sqlite3_column_text(st, 5) ? (const char *)sqlite3_column_text(st, 5) : "");
	f->lang = ics_lang((const char *)sqlite3_column_text(st, 6));
	f->tz = strdup(tz != NULL ? tz : x->cfg->timezone);
	x->n++;
	return f->name != NULL && f->tz != NULL ? 0 : -ENOMEM;
}

static int
load_set(struct feeds_run *x, const char *sql, int is_plan, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(x->db, sql, &st, err, errlen);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = add_feed(x, st, is_plan);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading feeds: %s", sqlite3_errmsg(x->db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

static int
load_feeds(struct feeds_run *x, char *err, size_t errlen)
{
	int r;

	r = load_set(x, "SELECT f.id, p.id, f.token, f.digest, f.content_hash, p.title,"
	    " coalesce(p.language, (SELECT o.language FROM team_member t JOIN person o ON"
	    " o.id = t.person_id WHERE t.plan_id = p.id AND t.role = 'kam')), p.timezone"
	    " FROM plan p JOIN feed f ON f.plan_id = p.id WHERE p.state = 'active'"
	    " ORDER BY p.id", 1, err, errlen);
	x->n_plans = x->n;
	if (r == 0)
		r = load_set(x, "SELECT f.id, o.id, f.token, f.digest, f.content_hash, o.name,"
		    " o.language, o.timezone FROM person o JOIN feed f ON f.person_id = o.id"
		    " WHERE " NEEDED_PERSON " ORDER BY o.id", 0, err, errlen);
	return r;
}

/* The feed of plan or person id (both parts of x->f are sorted by owner), or NULL. */
static struct feed *
find_feed(struct feeds_run *x, int is_plan, sqlite3_int64 id)
{
	size_t lo = is_plan ? 0 : x->n_plans, hi = is_plan ? x->n_plans : x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->f[mid].owner == id)
			return &x->f[mid];
		if (x->f[mid].owner < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------- */
/* What changed */

static int
add_change(struct feeds_run *x, enum ics_kind kind, sqlite3_int64 id, long seq,
    uint64_t digest, time_t changed, int known)
{
	struct change *c;

	if (x->n_changes == x->cap_changes) {
		size_t cap = x->cap_changes ? 2 * x->cap_changes : 256;

		c = realloc(x->changes, cap * sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		x->changes = c;
		x->cap_changes = cap;
	}
	c = &x->changes[x->n_changes++];
	c->kind = kind;
	c->id = id;
	c->seq = seq;
	c->digest = digest;
	c->changed = changed;
	c->known = known;
	return 0;
}

/* One event of the whole-database pass: its digest against the stored one, and its share
 * in the digests of the feeds that show it.  Feeds sum their events' hashes, so the order
 * of the pass does not matter. */
static int
account(struct feeds_run *x, sqlite3_stmt *st, enum ics_kind kind)
{
	struct ics_event ev;
	struct feed *f;
	uint64_t d, mix;
	int r = 0, known;

	if (feeds_row_event(st, kind, x->now, &ev) < 0)
		return 0; /* a row the schema's checks should have refused: not shown */
	d = ics_event_digest(&ev);
	known = sqlite3_column_type(st, 12) != SQLITE_NULL;
	if (!known || (uint64_t)sqlite3_column_int64(st, 12) != d) {
		if (known) {
			time_t row = parse_stamp((const char *)sqlite3_column_text(st, 10), x->now);

			ev.sequence++;
			ev.changed = row > x->now ? row : x->now;
		}
		r = add_change(x, kind, sqlite3_column_int64(st, 0), ev.sequence, d, ev.changed,
		    known);
	}
	mix = ics_hash(ICS_HASH_INIT, &d, sizeof(d));
	mix = ics_hash(mix, &ev.sequence, sizeof(ev.sequence));
	mix = ics_hash(mix, &ev.changed, sizeof(ev.changed));
	x->st->events++;
	if ((f = find_feed(x, 1, sqlite3_column_int64(st, 8))) != NULL) {
		f->sum += mix;
		f->n_events++;
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
	    (f = find_feed(x, 0, sqlite3_column_int64(st, 6))) != NULL) {
		f->sum += mix;
		f->n_events++;
	}
	return r;
}

static int
record_changes(struct feeds_run *x, char *err, size_t errlen)
{
	sqlite3_stmt *ins = NULL, *upd = NULL, *st;
	size_t i;
	int r, rc;

	if (x->n_changes == 0)
		return 0;
	r = db_begin(x->db, err, errlen);
	if (r < 0)
		return r;
	/* Plain INSERT and UPDATE: the pass knew which rows exist (an upsert would first try
	 * the insert); the transaction keeps that knowledge true. */
	r = db_prepare(x->db, "INSERT OR REPLACE INTO feed_item (kind, item_id, sequence, digest,"
	    " changed_at) VALUES (?1, ?2, ?3, ?4, ?5)", &ins, err, errlen);
	if (r == 0)
		r = db_prepare(x->db, "UPDATE feed_item SET sequence = max(sequence + 1, ?3), digest ="
		    " ?4, changed_at = ?5 WHERE kind = ?1 AND item_id = ?2", &upd, err, errlen);
	for (i = 0; r == 0 && i < x->n_changes; i++) {
		const struct change *c = &x->changes[i];

		st = c->known ? upd : ins;
		sqlite3_bind_int(st, 1, (int)c->kind);
		sqlite3_bind_int64(st, 2, c->id);
		sqlite3_bind_int64(st, 3, c->seq);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)c->digest);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)c->changed);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			snprintf(err, errlen, "recording feed events: %s", sqlite3_errmsg(x->db));
			r = db_errno(rc);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	if (r == 0)
		r = db_commit(x->db, err, errlen);
	if (r < 0)
		db_rollback(x->db);
	x->st->changed += x->n_changes;
	x->n_changes = 0;
	return r;
}

/* One batch of the whole-database pass, in its own read transaction: the events of kind
 * with an id above *last, at most BATCH of them.  *n receives how many were read. */
static int
scan_batch(struct feeds_run *x, sqlite3_stmt *st, enum ics_kind kind, sqlite3_int64 *last,
    size_t *n, char *err, size_t errlen)
{
	int r, rc = SQLITE_DONE;

	*n = 0;
	r = db_exec(x->db, "BEGIN", err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, x->cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, *last);
	sqlite3_bind_int64(st, 4, BATCH);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*last = sqlite3_column_int64(st, 0);
		(*n)++;
		r = account(x, st, kind);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	else if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading items: %s", sqlite3_errmsg(x->db));
		r = db_errno(rc);
	}
	sqlite3_reset(st);
	db_exec(x->db, "COMMIT", NULL, 0);
	return r;
}

/* The whole-database pass, in batches so that the list of changed events stays small
 * however large the database (a first check records every event).  A row changed
 * between two batches is seen by the next check. */
static int
scan_all(struct feeds_run *x, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 last;
	size_t n;
	int kind, r = 0;

	for (kind = ICS_MILESTONE; r == 0 && kind <= ICS_REVIEW; kind++) {
		r = feeds_prepare(x->db, kind, SCOPE_ALL, &st, err, errlen);
		for (last = 0, n = BATCH; r == 0 && n == BATCH;) {
			r = scan_batch(x, st, kind, &last, &n, err, errlen);
			if (r == 0)
				r = record_changes(x, err, errlen);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return r;
}

/* The digest of everything a feed's file shows. */
static void
finish_digest(struct feeds_run *x, struct feed *f)
{
	int32_t n[4] = { FORMAT_VERSION, f->is_plan, (int32_t)f->lang, x->cfg->feeds.alarm };
	uint64_t h = ics_hash(ICS_HASH_INIT, n, sizeof(n));
	uint64_t count = f->n_events;

	h = ics_hash_str(h, f->token);
	h = ics_hash_str(h, f->name);
	h = ics_hash_str(h, f->tz);
	h = ics_hash_str(h, x->cfg->feeds.domain);
	h = ics_hash(h, &count, sizeof(count));
	f->digest = ics_hash(h, &f->sum, sizeof(f->sum));
}

/* Stores what was written (or found identical) for each feed, in one transaction. */
static int
record_feeds(struct feeds_run *x, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char digest[17], content[17], stamp[32];
	size_t i;
	int r, rc;

	for (i = 0; i < x->n && !x->f[i].done; i++)
		;
	if (i == x->n)
		return 0;
	r = db_begin(x->db, err, errlen);
	if (r == 0)
		r = db_prepare(x->db, "UPDATE feed SET digest = ?1, content_hash = ?2, written_at ="
		    " coalesce(?3, written_at) WHERE id = ?4 AND token = ?5", &st, err, errlen);
	format_stamp(x->now, stamp);
	for (; r == 0 && i < x->n; i++) {
		const struct feed *f = &x->f[i];

		if (!f->done)
			continue;
		hex64(f->digest, digest);
		hex64(f->content, content);
		sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, content, -1, SQLITE_STATIC);
		if (f->replaced)
			sqlite3_bind_text(st, 3, stamp, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int64(st, 4, f->row);
		sqlite3_bind_text(st, 5, f->token, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
			snprintf(err, errlen, "recording feeds: %s", sqlite3_errmsg(x->db));
			r = db_errno(rc);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (r == 0)
		r = db_commit(x->db, err, errlen);
	if (r < 0)
		db_rollback(x->db);
	return r;
}

/* ---------------------------------------------------------------------------------- */

/* The pass over the database: feeds, tokens, changed events, digests. */
static int
decide(struct feeds_run *x, char *err, size_t errlen)
{
	kdate_t today;
	size_t i;
	int r;

	if (kdate_local(x->now, x->cfg->timezone, &today, NULL, NULL) < 0)
		today = (kdate_t)(x->now / 86400 - (x->now % 86400 < 0));
	/* Done on day D: shown through D + keep_done_days - 1. */
	kdate_format(today - x->cfg->feeds.keep_done_days + 1, x->cutoff);
	r = feeds_ensure_tokens(x->db, err, errlen);
	if (r < 0)
		return r;
	r = load_feeds(x, err, errlen);
	if (r == 0)
		r = scan_all(x, err, errlen);
	for (i = 0; r == 0 && i < x->n; i++) {
		char hex[17];

		finish_digest(x, &x->f[i]);
		hex64(x->f[i].digest, hex);
		x->f[i].dirty = strcmp(hex, x->f[i].old_digest) != 0;
	}
	x->st->feeds = x->n;
	return r;
}

int
feeds_publish(sqlite3 *db, const struct kapd_config *cfg, time_t now,
    struct feeds_stats *st, struct errlist *problems, char *err, size_t errlen)
{
	struct feeds_run x;
	size_t i;
	int r;

	memset(&x, 0, sizeof(x));
	memset(st, 0, sizeof(*st));
	x.db = db;
	x.cfg = cfg;
	x.now = now;
	x.st = st;
	x.problems = problems;
	x.dirfd = -1;
	r = feeds_open_dir(&x, err, errlen);
	if (r == 0)
		r = decide(&x, err, errlen);
	if (r == 0)
		r = feeds_write_all(&x, err, errlen);
	if (r == 0)
		r = record_feeds(&x, err, errlen);
	if (r == 0)
		r = feeds_remove_old(&x, err, errlen);
	feeds_close_dir(&x);
	for (i = 0; i < x.n; i++) {
		free(x.f[i].name);
		free(x.f[i].tz);
	}
	free(x.f);
	free(x.changes);
	return r;
}
