/* itemkeys: milestone and activity keys are unique across plans (one UNIQUE column per
 * table), so a sheet for one plan must not reuse another plan's key. */
#include "store/itemkeys.h"

#include <stdlib.h>
#include <string.h>

int
itemkeys_elsewhere(sqlite3 *db, const char *plan_key, const char *kind, const char *key)
{
	static const char *const sql[2] = {
		"SELECT 1 FROM milestone i JOIN plan p ON p.id = i.plan_id "
		"WHERE i.key = ?1 AND p.key IS NOT ?2",
		"SELECT 1 FROM activity i JOIN plan p ON p.id = i.plan_id "
		"WHERE i.key = ?1 AND p.key IS NOT ?2",
	};
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, sql[strcmp(kind, "milestone") == 0 ? 0 : 1], -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, plan_key, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

char *
itemkeys_open_activities(sqlite3 *db, const char *milestone_key)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	if (sqlite3_prepare_v2(db,
	        "SELECT group_concat(key, ', ') FROM (SELECT a.key FROM "
	        "activity a JOIN milestone m ON m.id = a.milestone_id WHERE m.key = ?1 AND "
	        "a.state = 'open' ORDER BY a.position, a.id)",
	        -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, milestone_key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			out = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return out;
}
