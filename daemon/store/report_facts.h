/* report_facts: gathers a plan's weekly status report (core/report.h) from the
 * database. */
#ifndef KAPD_REPORT_FACTS_H
#define KAPD_REPORT_FACTS_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/report.h"
#include "store/db.h"

/* Gathers the report of plan_key on the KAM's day today; sections unchanged for more
 * than stale_days count as stale.  The statements come from stmts (store/db.h), so that
 * the reports of one check prepare them once.  *out is new (report_free).  Negative
 * errno with err. */
int report_build(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, kdate_t today,
    int stale_days, struct report **out, char *err, size_t errlen);
#endif
