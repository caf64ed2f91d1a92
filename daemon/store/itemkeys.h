/* itemkeys: questions about milestone and activity keys across plans. */
#ifndef KAPD_ITEMKEYS_H
#define KAPD_ITEMKEYS_H

#include <sqlite3.h>

/* 1 when a milestone or activity (kind) with key exists in a plan other than plan_key,
 * 0 when not or on a database error (the import that follows reports that one). */
int itemkeys_elsewhere(sqlite3 *db, const char *plan_key, const char *kind, const char *key);

#endif
