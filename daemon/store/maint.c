/* maint: deletes by key, with SQL derived from the plan-format tables (core/planspec). */
#include "store/maint.h"

#include <errno.h>
#include <stdio.h>

#include "store/db.h"

int
maint_delete(sqlite3 *db, const struct objspec *spec, const char *parent_key,
    const char *id, char *err, size_t errlen)
{
	const struct field *nat = spec->mode == OBJ_NATURAL ?
	    planspec_field(spec, spec->natural_key) : NULL;
	sqlite3_stmt *st = NULL;
	char sql[256];
	int r, rc;

	if (nat != NULL)
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = ?1 AND %s = (SELECT id FROM %s "
		    "WHERE key = ?2)", spec->table, nat->column, spec->parent_column,
		    spec->parent_table);
	else
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE key = ?1", spec->table);
	if ((r = db_prepare(db, sql, &st, err, errlen)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (nat != NULL)
		sqlite3_bind_text(st, 2, parent_key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(err, errlen, "%s \"%s\" is still referred to (on a team, owner of an item "
		    "or substitute); change those first", spec->kind, id);
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
