#include "store/report_facts.h"
#include "store/report_changes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

#define ITEM_COLS "kind, key, title, owner, due, done_on"
#define ITEMS_OF(where, order)                                                                     \
	"SELECT " ITEM_COLS " FROM ("                                                              \
	" SELECT 'activity' AS kind, a.key, a.title, pe.name AS owner, a.due, a.done_on, a.state"  \
	"  FROM activity a LEFT JOIN person pe ON pe.id = a.owner_id WHERE a.plan_id = ?1"         \
	" UNION ALL"                                                                               \
	" SELECT 'milestone', m.key, m.title, pe.name, m.due, m.done_on, m.state"                  \
	"  FROM milestone m LEFT JOIN person pe ON pe.id = m.owner_id WHERE m.plan_id = ?1"        \
	") WHERE " where " ORDER BY " order

static const char done_sql[] =
    ITEMS_OF("state = 'done' AND done_on > ?3 AND done_on <= ?2", "done_on, key");
static const char overdue_sql[] =
    ITEMS_OF("state = 'open' AND due < ?2", "coalesce(owner, ''), due, key");
static const char upcoming_sql[] =
    ITEMS_OF("state = 'open' AND due >= ?2 AND due <= ?4", "due, key");
static const char milestones_sql[] =
    "SELECT 'milestone', m.key, m.title, pe.name, m.due, m.done_on,"
    " (SELECT count(*) FROM activity x WHERE x.milestone_id = m.id AND x.state = 'done'),"
    " (SELECT count(*) FROM activity x WHERE x.milestone_id = m.id AND x.state != 'cancelled'),"
    " EXISTS (SELECT 1 FROM activity x WHERE x.milestone_id = m.id AND x.state = 'open'"
    "  AND x.due < ?2)"
    " FROM milestone m LEFT JOIN person pe ON pe.id = m.owner_id"
    " WHERE m.plan_id = ?1 AND m.state = 'open' ORDER BY m.due, m.key";
static const char failed_sql[] =
    "SELECT d.email, n.rule, n.stage, n.item_key, d.last_error, d.local_date"
    " FROM notification n JOIN delivery d ON d.id = n.delivery_id"
    " WHERE n.plan_key = ?5 AND d.state = 'failed' AND (?7 IS NULL"
    "  OR coalesce(d.outcome_at, d.slot_at) > ?7"
    "  OR (coalesce(d.outcome_at, d.slot_at) = ?7 AND d.id > ?8))"
    " ORDER BY d.slot_at, n.id";

static const char by_reply_sql[] =
    "SELECT r.sender, c.kind, c.item_key, c.field, c.old_value, c.new_value,"
    " date(c.changed_at, 'unixepoch') FROM reply_change c JOIN reply r ON r.id = c.reply_id"
    " WHERE c.plan_key = ?5 AND date(c.changed_at, 'unixepoch') >= ?3 ORDER BY c.id";

/* The sections of SPEC §3 whose absence or age the report names; ?1 plan, ?6 account. */
static const struct {
	const char *name;
	const char *sql;
} sections[] = {
	{ "contacts",
	    "SELECT count(*), max(updated_at) FROM contact WHERE account_id = ?6 AND "
	    "decision_role IS NOT NULL AND decision_role != 'unknown'" },
	{ "needs", "SELECT count(*), max(updated_at) FROM need WHERE account_id = ?6" },
	{ "competitors", "SELECT count(*), max(updated_at) FROM competitor WHERE account_id = ?6" },
	{ "history", "SELECT count(*), max(updated_at) FROM history WHERE account_id = ?6" },
	{ "swot", "SELECT count(*), max(updated_at) FROM swot WHERE account_id = ?6" },
	{ "goals", "SELECT count(*), max(updated_at) FROM goal WHERE plan_id = ?1" },
};

struct mem {
	char **p;
	size_t n, cap;
	int failed;
};

static const char *
keep(struct mem *m, const unsigned char *s)
{
	char *c, **p;

	if (s == NULL)
		return NULL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;

		p = realloc(m->p, cap * sizeof(*p));
		if (p == NULL) {
			m->failed = 1;
			return NULL;
		}
		m->p = p;
		m->cap = cap;
	}
	c = strdup((const char *)s);
	if (c == NULL) {
		m->failed = 1;
		return NULL;
	}
	m->p[m->n++] = c;
	return c;
}

struct query {
	sqlite3 *db;
	struct db_stmts *stmts;
	sqlite3_int64 plan_id, account_id;
	char today[KDATE_STRLEN], since[KDATE_STRLEN], until[KDATE_STRLEN];
	const char *plan_key;
	struct mem *mem;
	int has_last;                   /* a report was sent before: */
	sqlite3_int64 last_at, last_id; /* its slot and delivery */
};

static int
prepare(struct query *q, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	int r = db_stmts_get(q->stmts, sql, st, err, errlen);
	int i, n;

	if (r < 0)
		return r;
	n = sqlite3_bind_parameter_count(*st);
	for (i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(*st, i);
		int k = name != NULL ? (int)strtol(name + 1, NULL, 10) : i;

		switch (k) {
		case 1: sqlite3_bind_int64(*st, i, q->plan_id); break;
		case 2: sqlite3_bind_text(*st, i, q->today, -1, SQLITE_STATIC); break;
		case 3: sqlite3_bind_text(*st, i, q->since, -1, SQLITE_STATIC); break;
		case 4: sqlite3_bind_text(*st, i, q->until, -1, SQLITE_STATIC); break;
		case 5: sqlite3_bind_text(*st, i, q->plan_key, -1, SQLITE_STATIC); break;
		case 6: sqlite3_bind_int64(*st, i, q->account_id); break;
		case 7:
			if (q->has_last)
				sqlite3_bind_int64(*st, i, q->last_at);
			break;
		case 8: sqlite3_bind_int64(*st, i, q->last_id); break;
		default: break;
		}
	}
	return 0;
}

static kdate_t
date_col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	kdate_t d = 0;

	if (s != NULL)
		kdate_parse(strlen(s) > 10 ? "" : s, &d);
	return d;
}

static int
items(
    struct query *q, const char *sql, struct report_item **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct report_item *v = NULL, *it;
	size_t cap = 0;
	int rc, r = prepare(q, sql, &st, err, errlen);

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			it = realloc(v, cap * sizeof(*v));
			if (it == NULL) {
				r = -ENOMEM;
				break;
			}
			v = it;
		}
		it = &v[(*n)++];
		memset(it, 0, sizeof(*it));
		it->kind = keep(q->mem, sqlite3_column_text(st, 0));
		it->key = keep(q->mem, sqlite3_column_text(st, 1));
		it->title = keep(q->mem, sqlite3_column_text(st, 2));
		it->owner = keep(q->mem, sqlite3_column_text(st, 3));
		it->due = date_col(st, 4);
		it->done_on = date_col(st, 5);
		if (sqlite3_column_count(st) > 8) {
			it->done = sqlite3_column_int(st, 6);
			it->total = sqlite3_column_int(st, 7);
			it->at_risk = sqlite3_column_int(st, 8);
		}
	}
	sqlite3_reset(st);
	*out = v;
	return r;
}

static int
failures(struct query *q, struct report *rep, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct report_failure *f;
	size_t cap = 0;
	int r = prepare(q, failed_sql, &st, err, errlen);

	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (rep->n_failed == cap) {
			cap = cap ? 2 * cap : 8;
			f = realloc(rep->failed, cap * sizeof(*f));
			if (f == NULL) {
				r = -ENOMEM;
				break;
			}
			rep->failed = f;
		}
		f = &rep->failed[rep->n_failed++];
		f->recipient = keep(q->mem, sqlite3_column_text(st, 0));
		f->rule = keep(q->mem, sqlite3_column_text(st, 1));
		f->stage = keep(q->mem, sqlite3_column_text(st, 2));
		f->item = keep(q->mem, sqlite3_column_text(st, 3));
		f->error = keep(q->mem, sqlite3_column_text(st, 4));
		f->day = date_col(st, 5);
	}
	sqlite3_reset(st);
	return r;
}

/* The changes replies made since the previous report. */
static int
by_reply(struct query *q, struct report *rep, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct report_reply_change *c;
	size_t cap = 0;
	int r = prepare(q, by_reply_sql, &st, err, errlen);

	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (rep->n_by_reply == cap) {
			cap = cap ? 2 * cap : 8;
			if ((c = realloc(rep->by_reply, cap * sizeof(*c))) == NULL) {
				r = -ENOMEM;
				break;
			}
			rep->by_reply = c;
		}
		c = &rep->by_reply[rep->n_by_reply++];
		c->sender = keep(q->mem, sqlite3_column_text(st, 0));
		c->kind = keep(q->mem, sqlite3_column_text(st, 1));
		c->item = keep(q->mem, sqlite3_column_text(st, 2));
		c->field = keep(q->mem, sqlite3_column_text(st, 3));
		c->old_value = keep(q->mem, sqlite3_column_text(st, 4));
		c->new_value = keep(q->mem, sqlite3_column_text(st, 5));
		c->day = date_col(st, 6);
	}
	sqlite3_reset(st);
	return r;
}

/* Empty sections, and those whose last change is older than stale_days. */
static int
check_sections(struct query *q, struct report *rep, int stale_days, char *err, size_t errlen)
{
	size_t i, n = sizeof(sections) / sizeof(sections[0]);
	sqlite3_stmt *st = NULL;
	char day[KDATE_STRLEN];
	kdate_t changed;
	int r = 0;

	rep->sections = calloc(n, sizeof(*rep->sections));
	if (rep->sections == NULL)
		return -ENOMEM;
	for (i = 0; r == 0 && i < n; i++) {
		r = prepare(q, sections[i].sql, &st, err, errlen);
		if (r < 0 || sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			break;
		}
		snprintf(day, sizeof(day), "%.10s",
		    sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
		changed = kdate_parse(day, &changed) == 0 ? changed : rep->today;
		if (sqlite3_column_int(st, 0) == 0 || rep->today - changed > stale_days) {
			rep->sections[rep->n_sections].name = sections[i].name;
			rep->sections[rep->n_sections].empty = sqlite3_column_int(st, 0) == 0;
			rep->sections[rep->n_sections++].changed = changed;
		}
		sqlite3_reset(st);
		st = NULL;
	}
	return r;
}

/* The previous report is the last one that was sent: one that failed or waits for a
 * retry told nobody anything (issue 10, D3). */
#define LAST_REPORT(col)                                                                           \
	"(SELECT " col " FROM notification n JOIN delivery d ON d.id = n.delivery_id"              \
	" WHERE n.rule = 'status-report' AND n.plan_key = p.key AND d.state = 'sent'"              \
	" AND d.local_date < ?2 ORDER BY d.slot_at DESC, d.id DESC LIMIT 1)"

static const char plan_sql[] =
    "SELECT id, account_id, next_review, " LAST_REPORT("d.local_date") ", " LAST_REPORT(
        "d.slot_at") ", " LAST_REPORT("d.id") " FROM plan p WHERE p.key = ?1";

/* The plan's ids and review, and the day of the previous report (else a week ago). */
static int
plan_facts(struct query *q, struct report *rep, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r = db_stmts_get(q->stmts, plan_sql, &st, err, errlen);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, q->plan_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->today, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "no plan \"%s\"", q->plan_key);
		sqlite3_reset(st);
		return -ENOENT;
	}
	q->plan_id = sqlite3_column_int64(st, 0);
	q->account_id = sqlite3_column_int64(st, 1);
	rep->has_review = sqlite3_column_type(st, 2) != SQLITE_NULL;
	rep->next_review = date_col(st, 2);
	rep->since = sqlite3_column_type(st, 3) != SQLITE_NULL ? date_col(st, 3) : rep->today - 7;
	q->has_last = sqlite3_column_type(st, 4) != SQLITE_NULL;
	q->last_at = sqlite3_column_int64(st, 4);
	q->last_id = sqlite3_column_int64(st, 5);
	sqlite3_reset(st);
	kdate_format(rep->since, q->since);
	return 0;
}

int
report_build(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, kdate_t today,
    int stale_days, struct report **out, char *err, size_t errlen)
{
	struct report *rep = calloc(1, sizeof(*rep));
	struct mem *mem = calloc(1, sizeof(*mem));
	struct query q = { db, stmts, 0, 0, "", "", "", plan_key, mem, 0, 0, 0 };
	int r = -ENOMEM;

	if (rep == NULL || mem == NULL) {
		free(rep);
		free(mem);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rep->mem = mem;
	rep->today = today;
	kdate_format(today, q.today);
	kdate_format(today + 28, q.until);
	r = plan_facts(&q, rep, err, errlen);
	if (r == 0)
		r = items(&q, done_sql, &rep->done, &rep->n_done, err, errlen);
	if (r == 0)
		r = items(&q, overdue_sql, &rep->overdue, &rep->n_overdue, err, errlen);
	if (r == 0)
		r = items(&q, upcoming_sql, &rep->upcoming, &rep->n_upcoming, err, errlen);
	if (r == 0)
		r = items(&q, milestones_sql, &rep->milestones, &rep->n_milestones, err, errlen);
	if (r == 0)
		r = check_sections(&q, rep, stale_days, err, errlen);
	if (r == 0)
		r = failures(&q, rep, err, errlen);
	if (r == 0)
		r = report_changes_add(db, stmts, plan_key, rep, err, errlen);
	if (r == 0)
		r = by_reply(&q, rep, err, errlen);
	if (r == 0 && mem->failed)
		r = -ENOMEM;
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		report_free(rep);
		return r;
	}
	*out = rep;
	return 0;
}

void
report_free(struct report *r)
{
	struct mem *m;
	size_t i;

	if (r == NULL)
		return;
	m = r->mem;
	for (i = 0; m != NULL && i < m->n; i++)
		free(m->p[i]);
	if (m != NULL)
		free(m->p);
	free(m);
	free(r->done);
	free(r->overdue);
	free(r->upcoming);
	free(r->milestones);
	free(r->sections);
	free(r->failed);
	report_changes_free(r);

	free(r->by_reply);
	free(r);
}
