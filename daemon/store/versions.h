/* versions: a plan's versions (its export at each annual update), its item history since
 * a version, the facts the annual update checks, and the links made by a rollover.
 * Every function runs inside the caller's transaction when one is open. */
#ifndef KAPD_VERSIONS_H
#define KAPD_VERSIONS_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>

#include "core/plandiff.h"
#include "core/review.h"
#include "store/db.h"

struct version_info {
	int number;
	char reviewed_on[11];
	char created_at[21];
	sqlite3_int64 mark; /* last item_change id when it was taken */
};

/* Stores doc as the next version of plan_key, reviewed on reviewed_on; *number (may be
 * NULL) receives its number.  -ENOENT when the plan does not exist. */
int versions_record(sqlite3 *db, const char *plan_key, const char *reviewed_on, json_t *doc,
    int *number, char *err, size_t errlen);

/* Every version of the plan, oldest first; *out is caller-owned (free()). */
int versions_list(sqlite3 *db, const char *plan_key, struct version_info **out, size_t *n,
    char *err, size_t errlen);

/* One version and its document (new reference): number > 0 that one; else the latest
 * reviewed on or before on_or_before (NULL: the latest of all).  -ENOENT when none.
 * stmts (may be NULL) keeps the statement prepared for the next call (store/db.h). */
int versions_get(sqlite3 *db, struct db_stmts *stmts, const char *plan_key, int number,
    const char *on_or_before, struct version_info *vi, json_t **doc, char *err, size_t errlen);

/* The plan's deadline, owner and state history written after mark, oldest first. */
struct hist_list {
	struct hist_change *h;
	size_t n;
	char **strings; /* owned copies the entries point into */
	size_t nstrings;
};
int versions_history(sqlite3 *db, const char *plan_key, sqlite3_int64 mark, struct hist_list *out,
    char *err, size_t errlen);
/* The same for the history written on or after day since ("YYYY-MM-DD", UTC); stmts as
 * for versions_get. */
int versions_history_since(sqlite3 *db, struct db_stmts *stmts, const char *plan_key,
    const char *since, struct hist_list *out, char *err, size_t errlen);
void hist_list_free(struct hist_list *l);

/* The plan's sections with their size and last change, for review_check; *n in/out. */
int versions_sections(sqlite3 *db, const char *plan_key, struct review_section *out, size_t *n,
    char *err, size_t errlen);

/* Records that next_key continues plan_key. */
int versions_link(
    sqlite3 *db, const char *plan_key, const char *next_key, char *err, size_t errlen);
/* The plan before and after plan_key ("" when none). */
int versions_links(sqlite3 *db, const char *plan_key, char prev[65], char next[65]);

/* Sets the plan's last and next review. */
int versions_set_review(sqlite3 *db, const char *plan_key, const char *last, const char *next,
    char *err, size_t errlen);

#endif
