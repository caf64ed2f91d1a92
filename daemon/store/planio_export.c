/* Export of kapd-plan/1 documents, driven by the same tables as the import so that
 * export -> import -> export is lossless.  Members stored as NULL are left out. */
#include "store/planio.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "core/planspec.h"
#include "lib/sbuf.h"

struct ectx {
	sqlite3 *db;
	const char *plan_key; /* NULL: everything */
	char *err;
	size_t errlen;
};

/* The people a single plan needs: its team, and the substitutes of those, recursively. */
#define PLAN_PEOPLE                                                                                \
	"id IN (WITH RECURSIVE ppl(id) AS (SELECT person_id FROM team_member WHERE plan_id = "     \
	"(SELECT id FROM plan WHERE key = ?2) UNION SELECT a.substitute_id FROM absence a "        \
	"JOIN ppl ON a.person_id = ppl.id WHERE a.substitute_id IS NOT NULL) SELECT id FROM ppl)"

static const char *
filter_for(const struct ectx *e, const struct objspec *s)
{
	if (e->plan_key == NULL)
		return "1";
	if (s == &spec_person)
		return PLAN_PEOPLE;
	if (s == &spec_account)
		return "id = (SELECT account_id FROM plan WHERE key = ?2)";
	if (strcmp(s->table, "plan") == 0)
		return "key = ?2";
	return "1";
}

static int
select_sql(const struct ectx *e, const struct objspec *s, char *sql, size_t len)
{
	const struct field *f;
	size_t off = 0, i;

	str_appendf(sql, len, &off, "SELECT t.id");
	for (i = 0; i < s->nfields; i++) {
		f = &s->fields[i];
		if (f->type == F_CHILDREN)
			continue;
		if (f->type == F_REF)
			str_appendf(sql, len, &off, ", (SELECT key FROM %s WHERE id = t.%s)",
			    f->ref_table, f->column);
		else
			str_appendf(sql, len, &off, ", t.%s", f->column);
		if (f->type == F_MONEY)
			str_appendf(sql, len, &off, ", t.%s", f->column2);
	}
	str_appendf(sql, len, &off, " FROM %s t WHERE %s%s%s AND %s ORDER BY t.position, t.id",
	    s->table, s->parent_column ? "t." : "", s->parent_column ? s->parent_column : "1",
	    s->parent_column ? " = ?1" : "", filter_for(e, s));
	return off < len ? 0 : -ENAMETOOLONG;
}

/* Amounts are stored as REAL; whole numbers go back out as JSON integers. */
static json_t *
number(double d)
{
	if (isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *
column_value(sqlite3_stmt *st, int col, const struct field *f)
{
	json_t *m;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	if (f->type == F_NUMBER)
		return number(sqlite3_column_double(st, col));
	if (f->type == F_MONEY) {
		m = json_object();
		json_object_set_new(m, "amount", number(sqlite3_column_double(st, col)));
		json_object_set_new(
		    m, "currency", json_string((const char *)sqlite3_column_text(st, col + 1)));
		return m;
	}
	return json_string((const char *)sqlite3_column_text(st, col));
}

static int export_list(struct ectx *e, const struct objspec *s, sqlite3_int64 parent, json_t **out);

static int
row_object(struct ectx *e, const struct objspec *s, sqlite3_stmt *st, json_t **out)
{
	json_t *obj = json_object(), *v;
	const struct field *f;
	size_t i;
	int col = 1, r = 0;

	for (i = 0; i < s->nfields && r == 0; i++) {
		f = &s->fields[i];
		if (f->type == F_CHILDREN) {
			r = export_list(e, f->child, sqlite3_column_int64(st, 0), &v);
			if (r == 0 && json_array_size(v) > 0)
				json_object_set_new(obj, f->name, v);
			else
				json_decref(v);
			continue;
		}
		v = column_value(st, col, f);
		if (v != NULL)
			json_object_set_new(obj, f->name, v);
		col += f->type == F_MONEY ? 2 : 1;
	}
	if (r < 0) {
		json_decref(obj);
		return r;
	}
	*out = obj;
	return 0;
}

static int
export_list(struct ectx *e, const struct objspec *s, sqlite3_int64 parent, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array(), *obj;
	char sql[4096];
	int rc, r;

	r = select_sql(e, s, sql, sizeof(sql));
	if (r == 0)
		r = db_prepare(e->db, sql, &st, e->err, e->errlen);
	if (r < 0)
		goto out;
	sqlite3_bind_int64(st, 1, parent);
	if (e->plan_key != NULL && sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, e->plan_key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = row_object(e, s, st, &obj);
		if (r < 0)
			goto out;
		json_array_append_new(list, obj);
	}
	if (rc != SQLITE_DONE) {
		snprintf(e->err, e->errlen, "reading %s: %s", s->table, sqlite3_errmsg(e->db));
		r = db_errno(rc) ? db_errno(rc) : -EIO;
	}
out:
	sqlite3_finalize(st);
	if (r < 0) {
		json_decref(list);
		return r;
	}
	*out = list;
	return 0;
}

static int
plan_exists(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM plan WHERE key = ?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

int
planio_export(sqlite3 *db, const char *plan_key, json_t **out, char *err, size_t errlen)
{
	struct ectx e = { db, plan_key, err, errlen };
	json_t *doc = NULL, *people = NULL, *accounts = NULL;
	int r, own;

	if (plan_key != NULL && !plan_exists(db, plan_key)) {
		snprintf(err, errlen, "no plan with key \"%s\"", plan_key);
		return -ENOENT;
	}
	/* One read transaction: the document is a consistent snapshot.  A caller that holds
	 * a transaction already (read, change, write back) gets its snapshot. */
	own = sqlite3_get_autocommit(db);
	r = own ? db_exec(db, "BEGIN", err, errlen) : 0;
	if (r < 0)
		return r;
	r = export_list(&e, &spec_person, 0, &people);
	if (r == 0)
		r = export_list(&e, &spec_account, 0, &accounts);
	if (own)
		db_exec(db, "COMMIT", NULL, 0);
	if (r < 0)
		goto out;
	doc = json_object();
	json_object_set_new(doc, "format", json_string(PLANIO_FORMAT));
	json_object_set(doc, "people", people);
	json_object_set(doc, "accounts", accounts);
	*out = doc;
out:
	json_decref(people);
	json_decref(accounts);
	return r;
}
