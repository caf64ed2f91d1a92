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

/* How a column of a row lands in a field of the struct it fills. */
enum col_as {
	AS_TEXT,       /* const char *, a copy kept in the arena; NULL stays NULL */
	AS_DAY,        /* kdate_t of a date or timestamp, PAGE_NO_DATE when NULL */
	AS_NUMBER,     /* double */
	AS_OPT_NUMBER, /* double, and the int at has set when the column is not NULL */
	AS_STATE,      /* enum page_state of "open", "done", "cancelled" */
};

struct col {
	enum col_as as;
	size_t off, has;
};

#define COL(as, type, field, has)                                                                  \
	{                                                                                          \
		as, offsetof(struct type, field), has                                              \
	}
#define TEXT(type, field) COL(AS_TEXT, type, field, 0)
#define DAY(type, field) COL(AS_DAY, type, field, 0)
#define NUMBER(type, field) COL(AS_NUMBER, type, field, 0)
#define OPT_NUMBER(type, field, has) COL(AS_OPT_NUMBER, type, field, offsetof(struct type, has))
#define STATE(type, field) COL(AS_STATE, type, field, 0)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static enum page_state
state_of(const char *s)
{
	return s == NULL                  ? PAGE_OPEN
	    : strcmp(s, "done") == 0      ? PAGE_DONE
	    : strcmp(s, "cancelled") == 0 ? PAGE_CANCELLED
	                                  : PAGE_OPEN;
}

/* Fills the fields of el named by cols[] from the row's columns first, first + 1... */
static void
fill_cols(struct doc *d, sqlite3_stmt *st, int first, const struct col *cols, size_t n, void *el)
{
	char *base = el;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		k = first + (int)i;
		switch (cols[i].as) {
		case AS_TEXT: *(const char **)(base + cols[i].off) = text(d, st, k); break;
		case AS_DAY: *(kdate_t *)(base + cols[i].off) = day(st, k); break;
		case AS_OPT_NUMBER:
			*(int *)(base + cols[i].has) = sqlite3_column_type(st, k) != SQLITE_NULL;
			/* fall through */
		case AS_NUMBER:
			*(double *)(base + cols[i].off) = sqlite3_column_double(st, k);
			break;
		case AS_STATE:
			*(enum page_state *)(base + cols[i].off) =
			    state_of((const char *)sqlite3_column_text(st, k));
			break;
		}
	}
}

/* One list of the plan: its query (?1 the plan's id, ?2 the account's id), where the
 * array and its length sit in struct page_plan, the element's size and columns, and what
 * is done with a row after its columns (NULL: nothing). */
struct part {
	const char *sql;
	size_t arr, n, size;
	const struct col *cols;
	size_t n_cols;
	void (*then)(struct doc *, sqlite3_stmt *, void *);
};

/* Runs the part's query and appends a zeroed element filled from every row to its
 * array. */
static int
rows(struct doc *d, sqlite3 *db, const struct part *p, char *err, size_t errlen)
{
	char *base = (char *)&d->f.plan, *a = NULL, *na;
	size_t cap = 0, *n = (size_t *)(base + p->n);
	sqlite3_stmt *st = NULL;
	int r, rc;

	*n = 0;
	r = db_prepare(db, p->sql, &st, err, errlen);
	if (r < 0)
		return r;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, d->plan_id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, d->account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			na = realloc(a, cap * p->size);
			if (na == NULL) {
				r = -ENOMEM;
				break;
			}
			a = na;
		}
		memset(a + *n * p->size, 0, p->size);
		fill_cols(d, st, 0, p->cols, p->n_cols, a + *n * p->size);
		if (p->then != NULL)
			p->then(d, st, a + *n * p->size);
		(*n)++;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading the plan: %s", sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	if (a != NULL && keep_ptr(&d->a, a) == NULL)
		r = -ENOMEM;
	*(void **)(base + p->arr) = r == 0 ? a : NULL;
	return r;
}

/* ---------------------------------------------------------------------------------- */

static const struct col contact_cols[] = {
	TEXT(page_contact, name),
	TEXT(page_contact, function),
	TEXT(page_contact, email),
	TEXT(page_contact, phone),
	TEXT(page_contact, role),
	TEXT(page_contact, attitude),
	TEXT(page_contact, notes),
};
static const struct col need_cols[] = { { AS_TEXT, 0, 0 } }; /* the element is the text */
static const struct col competitor_cols[] = {
	TEXT(page_competitor, name),
	TEXT(page_competitor, position),
	TEXT(page_competitor, strengths),
	TEXT(page_competitor, weaknesses),
};
static const struct col history_cols[] = {
	TEXT(page_history, period),
	TEXT(page_history, currency),
	OPT_NUMBER(page_history, revenue, has_revenue),
	OPT_NUMBER(page_history, margin, has_margin),
};
static const struct col goal_cols[] = {
	TEXT(page_goal, horizon),
	TEXT(page_goal, focus),
	TEXT(page_goal, focus_value),
	TEXT(page_goal, text),
	TEXT(page_goal, target),
	DAY(page_goal, due),
};
static const struct col swot_cols[] = { TEXT(page_swot, kind), TEXT(page_swot, text) };
static const struct col member_cols[] = {
	TEXT(page_member, name),
	TEXT(page_member, role),
	TEXT(page_member, function),
};
static const struct col project_cols[] = {
	TEXT(page_project, key),
	TEXT(page_project, title),
	TEXT(page_project, state),
	DAY(page_project, start),
	DAY(page_project, end),
};
static const struct col complaint_cols[] = {
	DAY(page_complaint, date),
	TEXT(page_complaint, subject),
	TEXT(page_complaint, state),
};
/* Milestones and activities: key, title, owner, due, done_on, state, then the milestone
 * id (column 6) that places them. */
static const struct col item_cols[] = {
	TEXT(page_item, key),
	TEXT(page_item, title),
	TEXT(page_item, owner),
	DAY(page_item, due),
	DAY(page_item, done_on),
	STATE(page_item, state),
};
static const struct col move_cols[] = {
	TEXT(page_move, kind),
	TEXT(page_move, key),
	TEXT(page_move, title),
	DAY(page_move, from),
	DAY(page_move, to),
	DAY(page_move, on),
};

/* A milestone: its id (column 6) is remembered to place the activities. */
static void
then_milestone(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct ms_id *n;

	((struct page_item *)el)->milestone = -1;
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

/* An activity: its milestone's index, looked up by the milestone's id (column 6). */
static void
then_activity(struct doc *d, sqlite3_stmt *st, void *el)
{
	struct page_item *it = el;
	struct ms_id key, *hit;

	it->milestone = -1;
	if (sqlite3_column_type(st, 6) == SQLITE_NULL)
		return;
	key.id = sqlite3_column_int64(st, 6);
	hit = bsearch(&key, d->ms, d->n_ms, sizeof(*d->ms), cmp_ms);
	if (hit != NULL)
		it->milestone = hit->index;
}

/* ---------------------------------------------------------------------------------- */

#define ITEM_SQL(table, extra)                                                                     \
	"SELECT x.key, x.title, o.name, x.due, x.done_on, x.state" extra " FROM " table " x"       \
	" LEFT JOIN person o ON o.id = x.owner_id WHERE x.plan_id = ?1"                            \
	" ORDER BY x.due, x.position, x.key"

#define LIST(field, sql, cols, then)                                                               \
	{                                                                                          \
		sql, offsetof(struct page_plan, field), offsetof(struct page_plan, n_##field),     \
		    sizeof(*((struct page_plan *)0)->field), cols, NELEM(cols), then               \
	}

static const struct part parts[] = {
	LIST(contacts,
	    "SELECT name, function, email, phone, decision_role, attitude, notes"
	    " FROM contact WHERE account_id = ?2 ORDER BY position, id",
	    contact_cols, NULL),
	LIST(needs, "SELECT text FROM need WHERE account_id = ?2 ORDER BY position, id", need_cols,
	    NULL),
	LIST(competitors,
	    "SELECT name, market_position, strengths, weaknesses FROM competitor"
	    " WHERE account_id = ?2 ORDER BY position, id",
	    competitor_cols, NULL),
	LIST(history,
	    "SELECT period, currency, revenue, margin FROM history"
	    " WHERE account_id = ?2 ORDER BY position, period",
	    history_cols, NULL),
	LIST(goals,
	    "SELECT horizon, focus, focus_value, text, target, due FROM goal"
	    " WHERE plan_id = ?1 ORDER BY position, id",
	    goal_cols, NULL),
	LIST(swot, "SELECT kind, text FROM swot WHERE account_id = ?2 ORDER BY position, id",
	    swot_cols, NULL),
	LIST(team,
	    "SELECT o.name, t.role, coalesce(t.function, o.function) FROM team_member t"
	    " JOIN person o ON o.id = t.person_id WHERE t.plan_id = ?1 ORDER BY"
	    " CASE t.role WHEN 'kam' THEN 0 WHEN 'sponsor' THEN 1 ELSE 2 END, t.position, t.id",
	    member_cols, NULL),
	LIST(projects,
	    "SELECT key, title, state, start_date, end_date FROM project"
	    " WHERE account_id = ?2 ORDER BY position, id",
	    project_cols, NULL),
	LIST(complaints,
	    "SELECT date, subject, state FROM complaint WHERE account_id = ?2"
	    " ORDER BY date DESC, position",
	    complaint_cols, NULL),
	LIST(milestones, ITEM_SQL("milestone", ", x.id"), item_cols, then_milestone),
	LIST(activities, ITEM_SQL("activity", ", x.milestone_id"), item_cols, then_activity),
	LIST(moves,
	    "SELECT c.kind, coalesce(m.key, a.key, p.key), coalesce(m.title, a.title),"
	    " c.old_value, c.new_value, c.changed_at FROM item_change c"
	    " LEFT JOIN milestone m ON c.kind = 'milestone' AND m.id = c.item_id"
	    " LEFT JOIN activity a ON c.kind = 'activity' AND a.id = c.item_id"
	    " LEFT JOIN plan p ON c.kind = 'plan' AND p.id = c.item_id"
	    " WHERE c.plan_id = ?1 AND c.field IN ('due', 'next_review')"
	    " ORDER BY c.changed_at DESC, c.id DESC",
	    move_cols, NULL),
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

/* The plan's columns after its id, its account's id and its time zone. */
static const struct col plan_cols[] = {
	TEXT(page_plan, key),
	TEXT(page_plan, title),
	TEXT(page_plan, lang),
	TEXT(page_plan, state),
	DAY(page_plan, last_review),
	DAY(page_plan, next_review),
	TEXT(page_plan, account.name),
	TEXT(page_plan, account.industry),
	TEXT(page_plan, account.address),
	TEXT(page_plan, account.phone),
	TEXT(page_plan, account.email),
	TEXT(page_plan, account.website),
	TEXT(page_plan, account.rating),
	TEXT(page_plan, account.potential),
	TEXT(page_plan, account.networks),
	TEXT(page_plan, account.positioning),
	TEXT(page_plan, account.strategic_direction),
	TEXT(page_plan, account.processes),
	NUMBER(page_plan, account.market_volume),
	TEXT(page_plan, account.market_currency),
	TEXT(page_plan, kam),
	TEXT(page_plan, sponsor),
};

/* The plan, its account, its KAM and sponsor. */
static int
plan_row(struct doc *d, sqlite3 *db, const char *key, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = db_prepare(db,
	    "SELECT p.id, p.account_id, p.timezone, p.key, p.title, p.language,"
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
	d->f.timezone = text(d, st, 2);
	fill_cols(d, st, 3, plan_cols, NELEM(plan_cols), &d->f.plan);
	sqlite3_finalize(st);
	return 0;
}

static int
load(struct doc *d, sqlite3 *db, const char *key, char *err, size_t errlen)
{
	size_t i;
	int r;

	r = plan_row(d, db, key, err, errlen);
	for (i = 0; r == 0 && i < NELEM(parts); i++) {
		r = rows(d, db, &parts[i], err, errlen);
		/* The activities look their milestone up by id. */
		if (r == 0 && parts[i].then == then_milestone && d->n_ms > 0)
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
