/* Import of kapd-plan/1 documents.  The SQL is derived from the tables in planspec.c:
 * keyed objects are upserted by key and a row whose values did not change is not
 * touched at all (its updated_at stays, no history is written); objects without identity
 * (team, absences, SWOT) are replaced by the document's list. */
#include "store/planio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "lib/kdate.h"
#include "core/planspec.h"
#include "lib/sbuf.h"

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
#define CACHE_MAX 16

struct stmts {
	const struct objspec *spec;
	sqlite3_stmt *upsert;
	sqlite3_stmt *find;  /* id and parent of an existing row */
	sqlite3_stmt *clear; /* OBJ_REPLACE: delete the parent's rows */
};

struct ictx {
	sqlite3 *db;
	struct errlist *errs;
	struct planio_stats *st;
	struct stmts cache[CACHE_MAX];
	int ncache;
};

/* The columns an object writes, in binding order: parent, position, then its fields
 * (a money field writes two).  ref[i] names the table a key is resolved in. */
static size_t
column_list(const struct objspec *s, const char **col, const char **ref, size_t max)
{
	size_t n = 0, i;
	const struct field *f;

	if (s->parent_column != NULL) {
		col[n] = s->parent_column;
		ref[n++] = NULL;
	}
	col[n] = "position";
	ref[n++] = NULL;
	for (i = 0; i < s->nfields && n + 2 <= max; i++) {
		f = &s->fields[i];
		if (f->column == NULL)
			continue;
		col[n] = f->column;
		ref[n++] = f->type == F_REF ? f->ref_table : NULL;
		if (f->type == F_MONEY) {
			col[n] = f->column2;
			ref[n++] = NULL;
		}
	}
	return n;
}

static int
value_columns(const struct objspec *s, char *cols, char *vals, char *sets, char *diff, size_t len)
{
	const char *col[40], *ref[40];
	size_t oc = 0, ov = 0, os = 0, od = 0, i, n = column_list(s, col, ref, 40);

	for (i = 0; i < n; i++) {
		str_appendf(cols, len, &oc, "%s%s", i ? ", " : "", col[i]);
		if (ref[i] != NULL)
			str_appendf(vals, len, &ov, "%s(SELECT id FROM %s WHERE key = ?)",
			    i ? ", " : "", ref[i]);
		else
			str_appendf(vals, len, &ov, "%s?", i ? ", " : "");
		if (strcmp(col[i], "key") == 0)
			continue;
		/* What an upsert may change, and the test whether anything did. */
		str_appendf(sets, len, &os, "%s = excluded.%s, ", col[i], col[i]);
		str_appendf(diff, len, &od, "%s IS NOT excluded.%s OR ", col[i], col[i]);
	}
	return oc < len && ov < len && os < len && od < len ? 0 : -ENAMETOOLONG;
}

static int
prepare_upsert(struct ictx *x, const struct objspec *s, sqlite3_stmt **st)
{
	char cols[1024] = "", vals[1024] = "", sets[2048] = "", diff[2048] = "", sql[8192],
	     err[256];
	int n;

	if (value_columns(s, cols, vals, sets, diff, 1024) < 0)
		return -ENAMETOOLONG;
	if (s->mode == OBJ_REPLACE)
		n = snprintf(
		    sql, sizeof(sql), "INSERT INTO %s (%s) VALUES (%s)", s->table, cols, vals);
	else
		n = snprintf(sql, sizeof(sql),
		    "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s%s%s) "
		    "DO UPDATE SET %supdated_at = %s WHERE %s0",
		    s->table, cols, vals, s->mode == OBJ_NATURAL ? s->parent_column : "",
		    s->mode == OBJ_NATURAL ? ", " : "",
		    s->mode == OBJ_NATURAL ? planspec_field(s, s->natural_key)->column : "key",
		    sets, NOW_SQL, diff);
	if (n < 0 || (size_t)n >= sizeof(sql))
		return -ENAMETOOLONG;
	if (db_prepare(x->db, sql, st, err, sizeof(err)) < 0) {
		errlist_add(x->errs, "internal error preparing the import of %s: %s", s->kind, err);
		return -EIO;
	}
	return 0;
}

static int
prepare_find(struct ictx *x, const struct objspec *s, struct stmts *c)
{
	char sql[512], err[256];

	if (s->mode == OBJ_KEYED)
		snprintf(sql, sizeof(sql), "SELECT id, %s FROM %s WHERE key = ?1",
		    s->parent_column ? s->parent_column : "NULL", s->table);
	else if (s->mode == OBJ_NATURAL)
		snprintf(sql, sizeof(sql), "SELECT id, %s FROM %s WHERE %s = ?2 AND %s = ?1",
		    s->parent_column, s->table, s->parent_column,
		    planspec_field(s, s->natural_key)->column);
	else
		snprintf(
		    sql, sizeof(sql), "DELETE FROM %s WHERE %s = ?", s->table, s->parent_column);
	if (db_prepare(
	        x->db, sql, s->mode == OBJ_REPLACE ? &c->clear : &c->find, err, sizeof(err)) < 0) {
		errlist_add(x->errs, "internal error preparing the import of %s: %s", s->kind, err);
		return -EIO;
	}
	return 0;
}

static struct stmts *
stmts_for(struct ictx *x, const struct objspec *s)
{
	struct stmts *c;
	int i;

	for (i = 0; i < x->ncache; i++)
		if (x->cache[i].spec == s)
			return &x->cache[i];
	if (x->ncache == CACHE_MAX)
		return NULL;
	c = &x->cache[x->ncache];
	if (prepare_upsert(x, s, &c->upsert) < 0 || prepare_find(x, s, c) < 0) {
		sqlite3_finalize(c->upsert);
		sqlite3_finalize(c->find);
		memset(c, 0, sizeof(*c));
		return NULL;
	}
	c->spec = s;
	x->ncache++;
	return c;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* The plan's next review defaults to one year after the last (SPEC §2). */
static void
bind_default(sqlite3_stmt *st, int i, const struct field *f, json_t *obj)
{
	const char *last = json_string_value(json_object_get(obj, "last_review"));
	char buf[KDATE_STRLEN];
	kdate_t d;

	if (strcmp(f->name, "next_review") == 0 && last != NULL && kdate_parse(last, &d) == 0)
		bind_text(st, i, kdate_format(kdate_add_years(d, 1), buf));
	else
		bind_text(st, i, f->dflt);
}

static int
bind_fields(
    sqlite3_stmt *st, const struct objspec *s, json_t *obj, sqlite3_int64 parent, size_t pos)
{
	const struct field *f;
	json_t *v;
	size_t i;
	int n = 1;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (s->parent_column != NULL)
		sqlite3_bind_int64(st, n++, parent);
	sqlite3_bind_int64(st, n++, (sqlite3_int64)pos);
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (f->column == NULL)
			continue;
		v = json_object_get(obj, f->name);
		if (f->type == F_MONEY) {
			if (json_is_object(v)) {
				sqlite3_bind_double(
				    st, n, json_number_value(json_object_get(v, "amount")));
				bind_text(
				    st, n + 1, json_string_value(json_object_get(v, "currency")));
			}
			n += 2;
		} else if (f->type == F_NUMBER) {
			if (json_is_number(v))
				sqlite3_bind_double(st, n, json_number_value(v));
			n++;
		} else if (json_is_string(v)) {
			bind_text(st, n++, json_string_value(v));
		} else {
			bind_default(st, n++, f, obj);
		}
	}
	return 0;
}

/* Looks up an existing row; a keyed object that belongs to another parent is refused
 * rather than silently moved: two documents that both use "a1" must not clobber each
 * other. */
static int
find_existing(struct ictx *x, struct stmts *c, json_t *obj, sqlite3_int64 parent, const char *path,
    sqlite3_int64 *id)
{
	const struct objspec *s = c->spec;
	const char *ident =
	    json_string_value(json_object_get(obj, s->mode == OBJ_KEYED ? "key" : s->natural_key));
	int rc;

	*id = 0;
	sqlite3_reset(c->find);
	bind_text(c->find, 1, ident);
	if (s->mode == OBJ_NATURAL)
		sqlite3_bind_int64(c->find, 2, parent);
	rc = sqlite3_step(c->find);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(c->find, 0);
		if (s->parent_column != NULL && sqlite3_column_int64(c->find, 1) != parent) {
			errlist_add(x->errs,
			    "%s.key: %s key \"%s\" already belongs to another %s in "
			    "the database (keys are unique per kind)",
			    path, s->kind, ident, s->parent_table);
			return -EEXIST;
		}
		return 0;
	}
	if (rc != SQLITE_DONE) {
		errlist_add(x->errs, "%s: database error: %s", path, sqlite3_errmsg(x->db));
		return -EIO;
	}
	return 0;
}

static int import_children(
    struct ictx *x, const struct objspec *s, json_t *obj, sqlite3_int64 id, const char *path);

enum { OUT_NONE, OUT_CREATED, OUT_UPDATED, OUT_UNCHANGED };

/* An object whose own row did not change but whose list without identity (a plan's
 * team, a person's absences, an account's SWOT) was rewritten is updated, not
 * unchanged: the summary must say that adding a team member changed the plan. */
static void
promote(struct ictx *x, int outcome)
{
	if (outcome == OUT_UNCHANGED) {
		x->st->unchanged--;
		x->st->updated++;
	}
}

static int
import_object(struct ictx *x, const struct objspec *s, json_t *obj, sqlite3_int64 parent,
    size_t pos, const char *path, sqlite3_int64 *out, int *outcome)
{
	struct stmts *c = stmts_for(x, s);
	sqlite3_int64 id = 0;
	int rc;

	if (c == NULL)
		return -EIO;
	if (s->mode != OBJ_REPLACE && find_existing(x, c, obj, parent, path, &id) < 0)
		return -EEXIST;
	bind_fields(c->upsert, s, obj, parent, pos);
	rc = sqlite3_step(c->upsert);
	if (rc != SQLITE_DONE) {
		errlist_add(x->errs, "%s: the database refused this %s: %s", path, s->kind,
		    sqlite3_errmsg(x->db));
		sqlite3_reset(c->upsert);
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	*outcome = OUT_NONE;
	if (s->mode != OBJ_REPLACE) {
		x->st->objects++;
		*outcome = id == 0               ? OUT_CREATED
		    : sqlite3_changes(x->db) > 0 ? OUT_UPDATED
		                                 : OUT_UNCHANGED;
		if (*outcome == OUT_CREATED)
			x->st->created++;
		else if (*outcome == OUT_UPDATED)
			x->st->updated++;
		else
			x->st->unchanged++;
	}
	if (id == 0)
		id = sqlite3_last_insert_rowid(x->db);
	sqlite3_reset(c->upsert);
	*out = id;
	return 0;
}

/* The stored value a member of the document would become (its default when absent). */
static const char *
doc_text(const struct field *f, json_t *obj)
{
	const char *v = json_string_value(json_object_get(obj, f->name));

	return v != NULL ? v : f->dflt;
}

static int
same_text(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* 1 when the rows of a list without identity already equal the document's list, so that
 * re-importing an unchanged document writes nothing at all. */
static int
list_unchanged(struct ictx *x, const struct objspec *s, json_t *list, sqlite3_int64 parent)
{
	char sql[1024], err[256];
	size_t off = 0, i, k, rows = 0;
	sqlite3_stmt *st = NULL;
	int same = 1, col;

	str_appendf(sql, sizeof(sql), &off, "SELECT 0");
	for (i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];

		if (f->type == F_NUMBER || f->type == F_MONEY || f->type == F_CHILDREN)
			return 0;
		if (f->type == F_REF)
			str_appendf(sql, sizeof(sql), &off,
			    ", (SELECT key FROM %s WHERE id = t.%s)", f->ref_table, f->column);
		else
			str_appendf(sql, sizeof(sql), &off, ", t.%s", f->column);
	}
	str_appendf(sql, sizeof(sql), &off, " FROM %s t WHERE t.%s = ?1 ORDER BY t.position, t.id",
	    s->table, s->parent_column);
	if (off >= sizeof(sql) || db_prepare(x->db, sql, &st, err, sizeof(err)) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, parent);
	while (same && sqlite3_step(st) == SQLITE_ROW) {
		json_t *el = json_array_get(list, rows++);

		for (k = 0, col = 1; same && el != NULL && k < s->nfields; k++, col++)
			same = same_text(doc_text(&s->fields[k], el),
			    (const char *)sqlite3_column_text(st, col));
		same = same && el != NULL;
	}
	sqlite3_finalize(st);
	return same && rows == json_array_size(list);
}

static int
import_list(
    struct ictx *x, const struct field *f, json_t *list, sqlite3_int64 parent, const char *path)
{
	struct stmts *c = stmts_for(x, f->child);
	sqlite3_int64 id;
	json_t *el;
	size_t i;
	path_t p;
	int r, oc, replaced = 0;

	if (c == NULL)
		return -EIO;
	if (f->child->mode == OBJ_REPLACE) {
		if (list_unchanged(x, f->child, list, parent))
			return 0;
		replaced = 1;
		sqlite3_reset(c->clear);
		sqlite3_bind_int64(c->clear, 1, parent);
		if (sqlite3_step(c->clear) != SQLITE_DONE) {
			errlist_add(x->errs, "%s: database error: %s", path, sqlite3_errmsg(x->db));
			return -EIO;
		}
		sqlite3_reset(c->clear);
	}
	json_array_foreach(list, i, el)
	{
		planspec_path(p, "%s.%s[%zu]", path, f->name, i);
		r = import_object(x, f->child, el, parent, i, p, &id, &oc);
		if (r == 0 && (r = import_children(x, f->child, el, id, p)) > 0) {
			promote(x, oc);
			r = 0;
		}
		if (r == -EEXIST)
			continue; /* reported; go on to find every conflict */
		if (r < 0)
			return r;
	}
	return replaced;
}

/* A list member that is absent leaves the stored rows as they are; a present one (even
 * empty) is the new content of a list without identity.  Returns 1 when such a list of
 * obj itself was rewritten, else 0, or a negative errno. */
static int
import_children(
    struct ictx *x, const struct objspec *s, json_t *obj, sqlite3_int64 id, const char *path)
{
	json_t *list;
	size_t i;
	int r, replaced = 0;

	for (i = 0; i < s->nfields; i++) {
		if (s->fields[i].type != F_CHILDREN)
			continue;
		list = json_object_get(obj, s->fields[i].name);
		if (!json_is_array(list))
			continue;
		r = import_list(x, &s->fields[i], list, id, path);
		if (r < 0)
			return r;
		replaced |= r;
	}
	return replaced;
}

/* People first, all of them, then their absences: a substitute may come later in the
 * document. */
static int
import_people(struct ictx *x, json_t *people)
{
	size_t n = json_array_size(people) + 1;
	sqlite3_int64 *ids = calloc(n, sizeof(*ids));
	int *oc = calloc(n, sizeof(*oc));
	json_t *el;
	size_t i;
	path_t p;
	int r = -ENOMEM;

	if (ids == NULL || oc == NULL)
		goto out;
	json_array_foreach(people, i, el)
	{
		planspec_path(p, "$.people[%zu]", i);
		r = import_object(x, &spec_person, el, 0, i, p, &ids[i], &oc[i]);
		if (r < 0 && r != -EEXIST)
			goto out;
	}
	json_array_foreach(people, i, el)
	{
		planspec_path(p, "$.people[%zu]", i);
		if (ids[i] != 0 && (r = import_children(x, &spec_person, el, ids[i], p)) < 0)
			goto out;
		if (ids[i] != 0 && r > 0)
			promote(x, oc[i]);
	}
	r = 0;
out:
	free(ids);
	free(oc);
	return r;
}

static int
person_in_db(void *ctx, const char *key)
{
	sqlite3 *db = ctx;
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM person WHERE key = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

static int
import_accounts(struct ictx *x, json_t *accounts)
{
	sqlite3_int64 id;
	json_t *el;
	size_t i;
	path_t p;
	int r, oc;

	json_array_foreach(accounts, i, el)
	{
		planspec_path(p, "$.accounts[%zu]", i);
		r = import_object(x, &spec_account, el, 0, i, p, &id, &oc);
		if (r == 0 && (r = import_children(x, &spec_account, el, id, p)) > 0) {
			promote(x, oc);
			r = 0;
		}
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

int
planio_import(sqlite3 *db, json_t *doc, int flags, struct planio_stats *stats, struct errlist *errs)
{
	struct planio_lookup lookup = { person_in_db, db };
	struct planio_stats st = { 0, 0, 0, 0 };
	struct ictx x;
	size_t before = errs->n;
	char err[512];
	int r, i;

	memset(&x, 0, sizeof(x));
	x.db = db;
	x.errs = errs;
	x.st = &st;
	r = flags & PLANIO_IN_TRANSACTION ? 0 : db_begin(db, err, sizeof(err));
	if (r < 0) {
		errlist_add(errs, "cannot start a transaction: %s", err);
		return r;
	}
	r = planio_validate(doc, &lookup, errs);
	if (r == 0)
		r = import_people(&x, json_object_get(doc, "people"));
	if (r == 0)
		r = import_accounts(&x, json_object_get(doc, "accounts"));
	for (i = 0; i < x.ncache; i++) {
		sqlite3_finalize(x.cache[i].upsert);
		sqlite3_finalize(x.cache[i].find);
		sqlite3_finalize(x.cache[i].clear);
	}
	if (r == 0 && errs->n > before)
		r = -EINVAL;
	if (flags & PLANIO_IN_TRANSACTION) {
		/* The caller commits or rolls back, together with its own changes. */
		if (r == 0 && stats != NULL)
			*stats = st;
		return r;
	}
	if (r == 0 && (flags & PLANIO_DRY_RUN)) {
		db_rollback(db);
		if (stats != NULL)
			*stats = st;
		return 0;
	}
	if (r == 0 && (r = db_commit(db, err, sizeof(err))) < 0)
		errlist_add(errs, "cannot commit the import: %s", err);
	if (r < 0) {
		db_rollback(db);
		return r;
	}
	if (stats != NULL)
		*stats = st;
	return 0;
}
