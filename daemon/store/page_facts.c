/* Reads a plan for its page: one query per part of the plan, each row copied into plain
 * structs whose strings live in one arena freed with the facts. */
#include "store/page_facts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "store/db.h"

struct arena {
	void **p;
	size_t n, cap;
	int failed;
};

struct doc {
	struct page_facts f;
	struct arena a;
	sqlite3_int64 plan_id, account_id;
	struct ms_id *ms; /* milestone ids with their index, sorted by id */
	size_t n_ms, cap_ms;
};

struct ms_id {
	sqlite3_int64 id;
	int index;
};

static void *
keep_ptr(struct arena *a, void *p)
{
	void **np;

	if (p == NULL) {
		a->failed = 1;
		return NULL;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;

		np = realloc(a->p, cap * sizeof(*np));
		if (np == NULL) {
			free(p);
			a->failed = 1;
			return NULL;
		}
		a->p = np;
		a->cap = cap;
	}
	a->p[a->n++] = p;
	return p;
}

static const char *
text(struct doc *d, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s == NULL ? NULL : keep_ptr(&d->a, strdup((const char *)s));
}

static kdate_t
day(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	char buf[KDATE_STRLEN];
	kdate_t k;

	if (s == NULL)
		return PAGE_NO_DATE;
	/* Timestamps "YYYY-MM-DDTHH:MM:SSZ" count by their (UTC) day. */
	snprintf(buf, sizeof(buf), "%.10s", s);
	return kdate_parse(buf, &k) == 0 ? k : PAGE_NO_DATE;
}

/* Runs sql (?1 the plan's id, ?2 the account's id) and calls fill for every row with a
 * new zeroed element of size bytes appended to *arr. */
static int
rows(struct doc *d, sqlite3 *db, const char *sql, void **arr, size_t *n, size_t size,
    void (*fill)(struct doc *, sqlite3_stmt *, void *), char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	char *a = NULL, *na;
	int r, rc;

	*n = 0;
	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, d->plan_id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, d->account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			na = realloc(a, cap * size);
			if (na == NULL) {
				r = -ENOMEM;
				break;
			}
			a = na;
		}
		memset(a + *n * size, 0, size);
		fill(d, st, a + (*n)++ * size);
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading the plan: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	if (a != NULL && keep_ptr(&d->a, a) == NULL)
		r = -ENOMEM;
	*arr = r == 0 ? a : NULL;
	return r;
}

/* ---------------------------------------------------------------------------------- */

static void
fill_contact(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_contact *c = el;

	c->name = text(d, st, 0);
	c->function = text(d, st, 1);
	c->email = text(d, st, 2);
	c->phone = text(d, st, 3);
	c->role = text(d, st, 4);
	c->attitude = text(d, st, 5);
	c->notes = text(d, st, 6);
}

static void
fill_need(struct doc *d, sqlite3_stmt *st, void *el)
{
	*(const char **)el = text(d, st, 0);
}

static void
fill_competitor(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_competitor *c = el;

	c->name = text(d, st, 0);
	c->position = text(d, st, 1);
	c->strengths = text(d, st, 2);
	c->weaknesses = text(d, st, 3);
}

static void
fill_history(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_history *h = el;

	h->period = text(d, st, 0);
	h->currency = text(d, st, 1);
	h->has_revenue = sqlite3_column_type(st, 2) != SQLITE_NULL;
	h->revenue = sqlite3_column_double(st, 2);
	h->has_margin = sqlite3_column_type(st, 3) != SQLITE_NULL;
	h->margin = sqlite3_column_double(st, 3);
}

static void
fill_goal(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_goal *g = el;

	g->horizon = text(d, st, 0);
	g->focus = text(d, st, 1);
	g->focus_value = text(d, st, 2);
	g->text = text(d, st, 3);
	g->target = text(d, st, 4);
	g->due = day(st, 5);
}

static void
fill_swot(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_swot *s = el;

	s->kind = text(d, st, 0);
	s->text = text(d, st, 1);
}

static void
fill_member(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_member *m = el;

	m->name = text(d, st, 0);
	m->role = text(d, st, 1);
	m->function = text(d, st, 2);
}

static void
fill_project(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_project *p = el;

	p->key = text(d, st, 0);
	p->title = text(d, st, 1);
	p->state = text(d, st, 2);
	p->start = day(st, 3);
	p->end = day(st, 4);
}

static void
fill_complaint(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_complaint *c = el;

	c->date = day(st, 0);
	c->subject = text(d, st, 1);
	c->state = text(d, st, 2);
}

static enum page_state
state_of(const char *s)
{
	return s == NULL                  ? PAGE_OPEN
	    : strcmp(s, "done") == 0      ? PAGE_DONE
	    : strcmp(s, "cancelled") == 0 ? PAGE_CANCELLED
	                                  : PAGE_OPEN;
}

/* Milestones and activities: key, title, owner, due, done_on, state, milestone id.  The
 * milestone id is kept (as the index's stand-in) until the milestones are known. */
static void
fill_item(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_item *it = el;

	it->key = text(d, st, 0);
	it->title = text(d, st, 1);
	it->owner = text(d, st, 2);
	it->due = day(st, 3);
	it->done_on = day(st, 4);
	it->state = state_of((const char *)sqlite3_column_text(st, 5));
	it->milestone = -1;
}

/* A milestone: its id (column 6) is remembered to place the activities. */
static void
fill_milestone(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct ms_id *n;

	fill_item(d, st, el);
	if (d->n_ms == d->cap_ms) {
		d->cap_ms = d->cap_ms ? 2 * d->cap_ms : 16;
		n = realloc(d->ms, d->cap_ms * sizeof(*n));
		if (n == NULL) {
			d->a.failed = 1;
			return;
		}
		d->ms = n;
	}
	d->ms[d->n_ms].id = sqlite3_column_int64(st, 6);
	d->ms[d->n_ms].index = (int)d->n_ms;
	d->n_ms++;
}

static int
cmp_ms(const void *a, const void *b)
{
	const struct ms_id *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void
fill_activity(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_item *it = el;
	struct ms_id key, *hit;

	fill_item(d, st, el);
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		return;
	key.id = sqlite3_column_int64(st, 6);
	hit = bsearch(&key, d->ms, d->n_ms, sizeof(*d->ms), cmp_ms);
	if (hit != NULL)
		it->milestone = hit->index;
}

static void
fill_move(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_move *m = el;

	m->kind = text(d, st, 0);
	m->key = text(d, st, 1);
	m->title = text(d, st, 2);
	m->from = day(st, 3);
	m->to = day(st, 4);
	m->on = day(st, 5);
}

/* ---------------------------------------------------------------------------------- */

#define ITEM_SQL(table, extra)                                                                     \
	"SELECT x.key, x.title, o.name, x.due, x.done_on, x.state" extra " FROM " table " x"       \
	" LEFT JOIN person o ON o.id = x.owner_id WHERE x.plan_id = ?1"                            \
	" ORDER BY x.due, x.position, x.key"

#define LIST(field, sql, fn)                                                                       \
	{                                                                                          \
		sql, offsetof(struct page_plan, field), offsetof(struct page_plan, n_##field),     \
		    sizeof(*((struct page_plan *)0)->field), fn                                    \
	}

static const struct part {
	const char *sql;
	size_t arr, n, size;
	void (*fill)(struct doc *, sqlite3_stmt *, void *);
} parts[] = {
	LIST(contacts,
	    "SELECT name, function, email, phone, decision_role, attitude, notes"
	    " FROM contact WHERE account_id = ?2 ORDER BY position, id",
	    fill_contact),
	LIST(needs, "SELECT text FROM need WHERE account_id = ?2 ORDER BY position, id", fill_need),
	LIST(competitors,
	    "SELECT name, market_position, strengths, weaknesses FROM competitor"
	    " WHERE account_id = ?2 ORDER BY position, id",
	    fill_competitor),
	LIST(history,
	    "SELECT period, currency, revenue, margin FROM history"
	    " WHERE account_id = ?2 ORDER BY position, period",
	    fill_history),
	LIST(goals,
	    "SELECT horizon, focus, focus_value, text, target, due FROM goal"
	    " WHERE plan_id = ?1 ORDER BY position, id",
	    fill_goal),
	LIST(swot, "SELECT kind, text FROM swot WHERE account_id = ?2 ORDER BY position, id",
	    fill_swot),
	LIST(team,
	    "SELECT o.name, t.role, coalesce(t.function, o.function) FROM team_member t"
	    " JOIN person o ON o.id = t.person_id WHERE t.plan_id = ?1 ORDER BY"
	    " CASE t.role WHEN 'kam' THEN 0 WHEN 'sponsor' THEN 1 ELSE 2 END, t.position, t.id",
	    fill_member),
	LIST(projects,
	    "SELECT key, title, state, start_date, end_date FROM project"
	    " WHERE account_id = ?2 ORDER BY position, id",
	    fill_project),
	LIST(complaints,
	    "SELECT date, subject, state FROM complaint WHERE account_id = ?2"
	    " ORDER BY date DESC, position",
	    fill_complaint),
	LIST(milestones, ITEM_SQL("milestone", ", x.id"), fill_milestone),
	LIST(activities, ITEM_SQL("activity", ", x.milestone_id"), fill_activity),
	LIST(moves,
	    "SELECT c.kind, coalesce(m.key, a.key, p.key), coalesce(m.title, a.title),"
	    " c.old_value, c.new_value, c.changed_at FROM item_change c"
	    " LEFT JOIN milestone m ON c.kind = 'milestone' AND m.id = c.item_id"
	    " LEFT JOIN activity a ON c.kind = 'activity' AND a.id = c.item_id"
	    " LEFT JOIN plan p ON c.kind = 'plan' AND p.id = c.item_id"
	    " WHERE c.plan_id = ?1 AND c.field IN ('due', 'next_review')"
	    " ORDER BY c.changed_at DESC, c.id DESC",
	    fill_move),
};

/* When each section last changed (SPEC §9), by the newest updated_at of its rows. */
static const struct {
	const char *name, *sql;
} section_sql[] = {
	{ N_("Customer"), "SELECT updated_at FROM account WHERE id = ?2" },
	{ N_("Contacts"), "SELECT max(updated_at) FROM contact WHERE account_id = ?2" },
	{ N_("Needs"), "SELECT max(updated_at) FROM need WHERE account_id = ?2" },
	{ N_("Competitors"), "SELECT max(updated_at) FROM competitor WHERE account_id = ?2" },
	{ N_("History"), "SELECT max(updated_at) FROM history WHERE account_id = ?2" },
	{ N_("Goals"), "SELECT max(updated_at) FROM goal WHERE plan_id = ?1" },
	{ N_("SWOT"), "SELECT max(updated_at) FROM swot WHERE account_id = ?2" },
	{ N_("Key account team"), "SELECT max(updated_at) FROM team_member WHERE plan_id = ?1" },
	{ N_("Projects"), "SELECT max(updated_at) FROM project WHERE account_id = ?2" },
	{ N_("Milestones"), "SELECT max(updated_at) FROM milestone WHERE plan_id = ?1" },
	{ N_("Activities"), "SELECT max(updated_at) FROM activity WHERE plan_id = ?1" },
};

static int
sections(struct doc *d, sqlite3 *db, char *err, size_t errlen)
{
	size_t i, n = sizeof(section_sql) / sizeof(section_sql[0]);
	struct page_section *s = keep_ptr(&d->a, calloc(n, sizeof(*s)));
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (s == NULL)
		return -ENOMEM;
	for (i = 0; r == 0 && i < n; i++) {
		r = db_prepare(db, section_sql[i].sql, &st, err, errlen);
		if (r < 0)
			break;
		if (sqlite3_bind_parameter_count(st) >= 1)
			sqlite3_bind_int64(st, 1, d->plan_id);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, d->account_id);
		s[i].name = section_sql[i].name;
		s[i].changed = sqlite3_step(st) == SQLITE_ROW ? day(st, 0) : PAGE_NO_DATE;
		sqlite3_finalize(st);
	}
	d->f.plan.sections = s;
	d->f.plan.n_sections = n;
	return r;
}

/* The plan, its account, its KAM and sponsor. */
static int
plan_row(struct doc *d, sqlite3 *db, const char *key, char *err, size_t errlen)
{
	struct page_plan *p = &d->f.plan;
	sqlite3_stmt *st = NULL;
	int r, c = 9;

	r = db_prepare(db,
	    "SELECT p.id, p.account_id, p.key, p.title, p.language, p.timezone,"
	    " p.state, p.last_review, p.next_review, a.name, a.industry, a.address, a.phone,"
	    " a.email, a.website, a.rating, a.potential, a.networks, a.positioning,"
	    " a.strategic_direction, a.processes, a.market_volume, a.market_currency,"
	    " (SELECT o.name FROM team_member t JOIN person o ON o.id = t.person_id"
	    "  WHERE t.plan_id = p.id AND t.role = 'kam'),"
	    " (SELECT o.name FROM team_member t JOIN person o ON o.id = t.person_id"
	    "  WHERE t.plan_id = p.id AND t.role = 'sponsor')"
	    " FROM plan p JOIN account a ON a.id = p.account_id WHERE p.key = ?1",
	    &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "no plan \"%s\"", key);
		sqlite3_finalize(st);
		return -ENOENT;
	}
	d->plan_id = sqlite3_column_int64(st, 0);
	d->account_id = sqlite3_column_int64(st, 1);
	p->key = text(d, st, 2);
	p->title = text(d, st, 3);
	p->lang = text(d, st, 4);
	d->f.timezone = text(d, st, 5);
	p->state = text(d, st, 6);
	p->last_review = day(st, 7);
	p->next_review = day(st, 8);
	p->account.name = text(d, st, c++);
	p->account.industry = text(d, st, c++);
	p->account.address = text(d, st, c++);
	p->account.phone = text(d, st, c++);
	p->account.email = text(d, st, c++);
	p->account.website = text(d, st, c++);
	p->account.rating = text(d, st, c++);
	p->account.potential = text(d, st, c++);
	p->account.networks = text(d, st, c++);
	p->account.positioning = text(d, st, c++);
	p->account.strategic_direction = text(d, st, c++);
	p->account.processes = text(d, st, c++);
	p->account.market_volume = sqlite3_column_double(st, c++);
	p->account.market_currency = text(d, st, c++);
	p->kam = text(d, st, c++);
	p->sponsor = text(d, st, c);
	sqlite3_finalize(st);
	return 0;
}

static int
load(struct doc *d, sqlite3 *db, const char *key, char *err, size_t errlen)
{
	char *base = (char *)&d->f.plan;
	size_t i;
	int r;

	r = plan_row(d, db, key, err, errlen);
	for (i = 0; r == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
		r = rows(d, db, parts[i].sql, (void **)(base + parts[i].arr),
		    (size_t *)(base + parts[i].n), parts[i].size, parts[i].fill, err, errlen);
		/* The activities look their milestone up by id. */
		if (r == 0 && parts[i].fill == fill_milestone && d->n_ms > 0)
			qsort(d->ms, d->n_ms, sizeof(*d->ms), cmp_ms);
	}
	if (r == 0)
		r = sections(d, db, err, errlen);
	return r;
}

int
page_facts_load(
    sqlite3 *db, const char *plan_key, struct page_facts **out, char *err, size_t errlen)
{
	struct doc *d = calloc(1, sizeof(*d));
	int r;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->f.mem = d;
	d->f.plan.since = PAGE_NO_DATE;
	/* One read transaction: the page shows one state of the plan. */
	if (!sqlite3_get_autocommit(db)) {
		r = load(d, db, plan_key, err, errlen);
	} else if ((r = db_exec(db, "BEGIN", err, errlen)) == 0) {
		r = load(d, db, plan_key, err, errlen);
		db_exec(db, "COMMIT", NULL, 0);
	}
	if (r == 0 && d->a.failed)
		r = -ENOMEM;
	free(d->ms);
	d->ms = NULL;
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		page_facts_free(&d->f);
		return r;
	}
	*out = &d->f;
	return 0;
}

void
page_facts_free(struct page_facts *f)
{
	struct doc *d;
	size_t i;

	if (f == NULL)
		return;
	d = f->mem;
	for (i = 0; i < d->a.n; i++)
		free(d->a.p[i]);
	free(d->a.p);
	free(d->ms);
	free(d);
}
