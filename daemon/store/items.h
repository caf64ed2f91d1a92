/* items: the changes kapctl makes to milestones and activities
 * between imports (add, edit, done, cancel, reopen), and the lookups that check
 * them.  The caller holds the IMMEDIATE transaction (db_begin) around a change. */
#ifndef KAPD_ITEMS_H
#define KAPD_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/* What add and edit may set; NULL means "not given", "-" clears an optional value. */
struct items_fields {
	const char *kind; /* "milestone" or "activity" */
	const char *title, *due, *owner, *milestone, *project, *description;
};

/* An item (or a plan alone: id 0) and the plan and account it belongs to. */
struct items_ref {
	int64_t id, plan_id, account_id;
	char plan_key[65];
};

/* 1 when plan key exists (r gets its plan and account), else 0. */
int items_find_plan(sqlite3 *db, const char *key, struct items_ref *r);
/* 1 when person key is on the team of plan_id, else 0. */
int items_on_team(sqlite3 *db, const char *person, int64_t plan_id);
/* 1 when milestone key belongs to plan_id, else 0. */
int items_milestone_in_plan(sqlite3 *db, const char *key, int64_t plan_id);
/* 1 when project key belongs to account_id, else 0. */
int items_project_in_account(sqlite3 *db, const char *key, int64_t account_id);
/* 1 when an item of kind already has key, else 0. */
int items_key_taken(sqlite3 *db, const char *kind, const char *key);
/* Looks key up among the milestones and activities (only kind's when *kind is not
 * NULL): how many kinds have it (0, 1 or 2); the first fills r and *kind.  A negative
 * errno with err filled when the lookup itself failed. */
int items_find(
    sqlite3 *db, const char **kind, const char *key, struct items_ref *r, char *err, size_t errlen);
/* Appends a new item with key to plan_id, after the plan's others.  0 or a negative
 * errno with err filled (SQLite's message). */
int items_insert(sqlite3 *db, const struct items_fields *f, int64_t plan_id, const char *key,
    char *err, size_t errlen);
/* Changes the given fields of item id. */
int items_update(sqlite3 *db, const struct items_fields *f, int64_t id, char *err, size_t errlen);
/* Sets the state ("open", "done", "cancelled") and done_on (NULL: none) of item id of
 * kind; the number of rows changed (0: it was so already) or a negative errno. */
int items_set_state(sqlite3 *db, const char *kind, int64_t id, const char *state,
    const char *done_on, char *err, size_t errlen);
#endif
