/* itemkeys: questions about milestone and activity keys across plans. */
#ifndef KAPD_ITEMKEYS_H
#define KAPD_ITEMKEYS_H

#include <sqlite3.h>

/* 1 when a milestone or activity (kind) with key exists in a plan other than plan_key,
 * 0 when not or on a database error (the import that follows reports that one). */
int itemkeys_elsewhere(sqlite3 *db, const char *plan_key, const char *kind, const char *key);

/* The keys of the open activities of milestone key, comma-separated (caller frees), or
 * NULL when there are none or on error. */
char *itemkeys_open_activities(sqlite3 *db, const char *milestone_key);

#endif
