#include "store/world.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

#define CHUNK 65536

/* Strings of a check live in large chunks freed together: no per-string bookkeeping. */
struct arena {
	struct arena *next;
	size_t used, size;
	int failed;
	char data[];
};

static char *
arena_alloc(struct arena **a, size_t n)
{
	struct arena *c = *a;
	size_t size;

	if (c == NULL || c->size - c->used < n) {
		size = n > CHUNK ? n : CHUNK;
		c = malloc(sizeof(*c) + size);
		if (c == NULL) {
			if (*a != NULL)
				(*a)->failed = 1;
			return NULL;
		}
		c->next = *a;
		c->used = 0;
		c->size = size;
		c->failed = *a != NULL && (*a)->failed;
		*a = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

const char *
world_strdup(struct world *w, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	p = arena_alloc(&w->arena, n);
	if (p == NULL) {
		if (w->arena == NULL)
			w->arena = calloc(1, sizeof(*w->arena));
		if (w->arena != NULL)
			w->arena->failed = 1;
		return NULL;
	}
	memcpy(p, s, n);
	return p;
}

int
world_failed(const struct world *w)
{
	return w->arena != NULL && w->arena->failed;
}

static int
find_id(const sqlite3_int64 *ids, size_t n, sqlite3_int64 id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return (int)mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
world_person(const struct world *w, sqlite3_int64 id)
{
	int i;

	if (w->person_at != NULL)
		i = id >= 0 && (size_t)id < w->person_span ? w->person_at[id] : -1;
	else
		i = find_id(w->person_id, w->n_people, id);
	return i < 0 ? RULES_NONE : i;
}

int
world_plan(const struct world *w, sqlite3_int64 id)
{
	if (w->plan_at != NULL)
		return id >= 0 && (size_t)id < w->plan_span ? w->plan_at[id] : -1;
	return find_id(w->plan_id, w->n_plans, id);
}

/* A direct table from row id to index when the largest id is at most a few times the
 * count (else the binary search stays: a table for sparse ids would waste memory). */
static int *
index_table(const sqlite3_int64 *ids, size_t n, size_t *span)
{
	size_t i, top;
	int *at;

	if (n == 0 || ids[n - 1] < 0 || (size_t)ids[n - 1] > 4 * n + 4096 || n > INT32_MAX)
		return NULL;
	top = (size_t)ids[n - 1] + 1;
	if ((at = malloc(top * sizeof(*at))) == NULL)
		return NULL;
	memset(at, 0xff, top * sizeof(*at));
	for (i = 0; i < n; i++)
		at[ids[i]] = (int)i;
	*span = top;
	return at;
}

static int
count(sqlite3 *db, const char *sql, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*n = (size_t)sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
notify_mode(const char *s)
{
	static const char *const modes[] = { "digest", "immediate", "escalations-only", "none" };
	int i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, modes[i]) == 0)
			return i;
	return -1;
}

static const char *
col(struct world *w, sqlite3_stmt *st, int i)
{
	return world_strdup(w, (const char *)sqlite3_column_text(st, i));
}

/* Zone names are shared: the rules find a person's zone by comparing the pointer first,
 * so each distinct name is stored once (a few dozen at most; beyond that, copies). */
static const char *
zone_col(struct world *w, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i), *z;
	size_t k;

	if (s == NULL)
		return NULL;
	for (k = 0; k < w->n_zones; k++)
		if (strcmp(w->zones[k], s) == 0)
			return w->zones[k];
	z = world_strdup(w, s);
	if (z != NULL && w->n_zones < sizeof(w->zones) / sizeof(w->zones[0]))
		w->zones[w->n_zones++] = z;
	return z;
}

static int
load_people(sqlite3 *db, struct world *w, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i = 0;
	int rc;

	rc = db_prepare(db,
	    "SELECT p.id, p.key, p.name, p.email, p.timezone, p.notify, "
	    "(SELECT max(d.slot_at) FROM delivery d WHERE d.recipient_key = p.key AND "
	    "d.mode = 'digest'), p.language FROM person p ORDER BY p.id",
	    &st, err, errlen);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < w->n_people) {
		struct rules_person *p = &w->people[i];

		w->person_id[i] = sqlite3_column_int64(st, 0);
		p->key = col(w, st, 1);
		w->person_name[i] = col(w, st, 2);
		p->email = col(w, st, 3);
		p->tz = zone_col(w, st, 4);
		p->notify = notify_mode((const char *)sqlite3_column_text(st, 5));
		p->last_digest = (time_t)sqlite3_column_int64(st, 6);
		w->person_lang[i] = col(w, st, 7);
		i++;
	}
	w->n_people = i;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading people: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return 0;
}

static int
load_absences(sqlite3 *db, struct world *w, size_t n, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i = 0;
	int rc, who, sub;

	rc = db_prepare(db,
	    "SELECT person_id, from_date, until_date, substitute_id FROM absence "
	    "ORDER BY person_id, from_date",
	    &st, err, errlen);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < n) {
		struct rules_absence *a = &w->absences[i];

		who = world_person(w, sqlite3_column_int64(st, 0));
		sub = sqlite3_column_type(st, 3) == SQLITE_NULL
		    ? RULES_NONE
		    : world_person(w, sqlite3_column_int64(st, 3));
		if (who == RULES_NONE ||
		    kdate_parse((const char *)sqlite3_column_text(st, 1), &a->from) < 0 ||
		    kdate_parse((const char *)sqlite3_column_text(st, 2), &a->until) < 0)
			continue;
		a->substitute = sub;
		if (w->people[who].absences == NULL)
			w->people[who].absences = a;
		w->people[who].n_absences++;
		i++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading absences: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return 0;
}

static int
load_plans(sqlite3 *db, struct world *w, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t i = 0;
	int rc;

	rc = db_prepare(db,
	    "SELECT p.id, p.key, p.title, p.timezone, p.next_review, "
	    "(SELECT person_id FROM team_member WHERE plan_id = p.id AND role = 'kam'), "
	    "(SELECT person_id FROM team_member WHERE plan_id = p.id AND role = 'sponsor') "
	    "FROM plan p WHERE p.state = 'active' ORDER BY p.id",
	    &st, err, errlen);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < w->n_plans) {
		struct rules_plan *p = &w->plans[i];

		w->plan_id[i] = sqlite3_column_int64(st, 0);
		p->key = col(w, st, 1);
		w->plan_title[i] = col(w, st, 2);
		p->tz = zone_col(w, st, 3);
		p->has_review = sqlite3_column_type(st, 4) != SQLITE_NULL &&
		    kdate_parse((const char *)sqlite3_column_text(st, 4), &p->next_review) == 0;
		p->kam = sqlite3_column_type(st, 5) == SQLITE_NULL
		    ? RULES_NONE
		    : world_person(w, sqlite3_column_int64(st, 5));
		p->sponsor = sqlite3_column_type(st, 6) == SQLITE_NULL
		    ? RULES_NONE
		    : world_person(w, sqlite3_column_int64(st, 6));
		i++;
	}
	w->n_plans = i;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading plans: %s", sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return 0;
}

static int
allocate(struct world *w, size_t n_absences)
{
	w->people = calloc(w->n_people + 1, sizeof(*w->people));
	w->person_name = calloc(w->n_people + 1, sizeof(*w->person_name));
	w->person_lang = calloc(w->n_people + 1, sizeof(*w->person_lang));
	w->person_id = calloc(w->n_people + 1, sizeof(*w->person_id));
	w->absences = calloc(n_absences + 1, sizeof(*w->absences));
	w->plans = calloc(w->n_plans + 1, sizeof(*w->plans));
	w->plan_title = calloc(w->n_plans + 1, sizeof(*w->plan_title));
	w->plan_id = calloc(w->n_plans + 1, sizeof(*w->plan_id));
	return w->people && w->person_name && w->person_lang && w->person_id && w->absences &&
	        w->plans && w->plan_title && w->plan_id
	    ? 0
	    : -ENOMEM;
}

int
world_load(sqlite3 *db, struct world *w, char *err, size_t errlen)
{
	size_t n_absences = 0;
	int r;

	memset(w, 0, sizeof(*w));
	if (count(db, "SELECT count(*) FROM person", &w->n_people) != SQLITE_OK ||
	    count(db, "SELECT count(*) FROM absence", &n_absences) != SQLITE_OK ||
	    count(db, "SELECT count(*) FROM plan WHERE state = 'active'", &w->n_plans) !=
	        SQLITE_OK) {
		snprintf(err, errlen, "reading the database: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	r = allocate(w, n_absences);
	if (r == 0)
		r = load_people(db, w, err, errlen);
	if (r == 0)
		r = load_absences(db, w, n_absences, err, errlen);
	if (r == 0)
		r = load_plans(db, w, err, errlen);
	if (r == 0 && world_failed(w))
		r = -ENOMEM;
	if (r == 0) {
		w->person_at = index_table(w->person_id, w->n_people, &w->person_span);
		w->plan_at = index_table(w->plan_id, w->n_plans, &w->plan_span);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory loading people and plans");
	if (r < 0)
		world_free(w);
	return r;
}

void
world_free(struct world *w)
{
	struct arena *a, *next;

	if (w == NULL)
		return;
	for (a = w->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	free(w->people);
	free(w->person_name);
	free(w->person_lang);
	free(w->person_id);
	free(w->absences);
	free(w->plans);
	free(w->plan_title);
	free(w->plan_id);
	free(w->person_at);
	free(w->plan_at);
	memset(w, 0, sizeof(*w));
}
