/* report_changes: the history part of the status report (SPEC §2, §10): deadlines moved
 * and owners changed since the last report, and the "since the last annual update"
 * summary from the plan's latest version. */
#ifndef KAPD_REPORT_CHANGES_H
#define KAPD_REPORT_CHANGES_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/report.h"
#include "store/db.h"

/* Fills rep->changes and rep->update (rep->since and rep->today must be set); the
 * memory is freed by report_changes_free (report_free calls it).  The statements come
 * from stmts (store/db.h). */
int report_changes_add(sqlite3 *db, struct db_stmts *stmts, const char *plan_key,
    struct report *rep, char *err, size_t errlen);
void report_changes_free(struct report *rep);

#endif
