/* maint: deletes by key, with SQL derived from the plan-format tables (core/planspec). */
#include "store/maint.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"

int
maint_delete(sqlite3 *db, const struct objspec *spec, const char *parent_key, const char *id,
    char *err, size_t errlen)
{
	const struct field *nat =
	    spec->mode == OBJ_NATURAL ? planspec_field(spec, spec->natural_key) : NULL;
	sqlite3_stmt *st = NULL;
	char sql[256];
	int r, rc;

	if (nat != NULL)
		snprintf(sql, sizeof(sql),
		    "DELETE FROM %s WHERE %s = ?1 AND %s = (SELECT id FROM %s "
		    "WHERE key = ?2)",
		    spec->table, nat->column, spec->parent_column, spec->parent_table);
	else
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE key = ?1", spec->table);
	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (nat != NULL)
		sqlite3_bind_text(st, 2, parent_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(err, errlen,
		    "%s \"%s\" is still referred to (on a team, owner of an item "
		    "or substitute); change those first",
		    spec->kind, id);
		r = -EBUSY;
	} else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		r = db_errno(rc);
	} else if (sqlite3_changes(db) == 0) {
		snprintf(err, errlen, "no %s \"%s\"", spec->kind, id);
		r = -ENOENT;
	}
	sqlite3_finalize(st);
	return r;
}

void
maint_scope(
    sqlite3 *db, const struct objspec *spec, const char *parent_key, const char *key, char out[65])
{
	int plan = spec->parent_table != NULL && strcmp(spec->parent_table, "plan") == 0;
	sqlite3_stmt *st = NULL;
	char sql[256];

	out[0] = '\0';
	if (spec->parent_table == NULL)
		return;
	if (parent_key != NULL && plan) {
		snprintf(out, 65, "%s", parent_key);
		return;
	}
	if (parent_key == NULL && strcmp(spec->table, "plan") == 0) {
		snprintf(out, 65, "%s", key); /* a plan is in its own document */
		return;
	}
	if (parent_key != NULL)
		snprintf(sql, sizeof(sql),
		    "SELECT p.key FROM plan p JOIN account a ON a.id = "
		    "p.account_id WHERE a.key = ?1 ORDER BY p.id LIMIT 1");
	else
		snprintf(sql, sizeof(sql),
		    "SELECT p.key FROM %s t JOIN plan p ON p.%s = t.%s "
		    "WHERE t.key = ?1 ORDER BY p.id LIMIT 1",
		    spec->table, plan ? "id" : "account_id", spec->parent_column);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, parent_key ? parent_key : key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(out, 65, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}
