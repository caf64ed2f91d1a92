/* planio: the plan exchange format kapd-plan/1 (plan-format.md) in and out of the
 * database.  Validation is pure and reports every violation with its JSON path; import
 * writes in one transaction and nothing on error; export is lossless. */
#ifndef KAPD_PLANIO_H
#define KAPD_PLANIO_H

#include <jansson.h>
#include <sqlite3.h>

#include "core/planvalid.h"
#include "lib/errlist.h"

struct planio_stats {
	int objects; /* keyed objects in the document */
	int created;
	int updated;
	int unchanged;
};

#define PLANIO_DRY_RUN 0x1 /* do everything, then roll back: every check, no change */
/* The caller holds the write transaction (db_begin) and commits or rolls back itself:
 * for changes that must land together with the import (CSV import, versions). */
#define PLANIO_IN_TRANSACTION 0x2

/* Validates doc (people may also exist in db) and imports it in one IMMEDIATE
 * transaction; re-importing the same keys updates in place and leaves unchanged rows
 * untouched.  A key that already belongs to another parent is an error.  On any error
 * nothing is written, errs says why and a negative errno is returned. */
int planio_import(
    sqlite3 *db, json_t *doc, int flags, struct planio_stats *stats, struct errlist *errs);

/* Builds the document of the whole database, or of one plan (with its account and the
 * people it references) when plan_key is not NULL.  *out is a new reference.
 * -ENOENT when the plan does not exist. */
int planio_export(sqlite3 *db, const char *plan_key, json_t **out, char *err, size_t errlen);

#endif
