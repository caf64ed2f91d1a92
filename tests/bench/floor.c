/* The floor of `make bench`: the bare SQLite query a check cannot do without, selecting
 * the open items with a deadline in the decision window (due <= BOUND, where BOUND is the
 * UTC date of the instant + 1 + the largest reminders.lead_days, as kapd computes it).
 * Every row is stepped and every column read; the row count is printed.
 *
 *     floor DATABASE BOUND        e.g. floor build/bench/kapd-bench.db 2026-12-09
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

static const char floor_sql[] = "SELECT key, plan_id, due, owner_id, title FROM activity"
                                " WHERE state = 'open' AND due <= ?1 "
                                "UNION ALL "
                                "SELECT key, plan_id, due, owner_id, title FROM milestone"
                                " WHERE state = 'open' AND due <= ?1";

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long rows = 0, sum = 0;
	size_t bytes = 0;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: floor DATABASE BOUND\n");
		return 64;
	}
	rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 10000); /* as kapd: wait out a writer */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, floor_sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(
		    stderr, "floor: %s: %s\n", argv[1], db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return 1;
	}
	sqlite3_bind_text(st, 1, argv[2], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *key = sqlite3_column_text(st, 0);
		const unsigned char *due = sqlite3_column_text(st, 2);
		const unsigned char *title = sqlite3_column_text(st, 4);

		/* Use what was read so that nothing is optimised away. */
		sum += sqlite3_column_int64(st, 1) + sqlite3_column_int64(st, 3);
		bytes += (key ? strlen((const char *)key) : 0) +
		    (due ? strlen((const char *)due) : 0) +
		    (title ? strlen((const char *)title) : 0);
		rows++;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "floor: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		return 1;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%lld\n", rows);
	fprintf(stderr, "floor: %lld rows, %zu bytes of text, checksum %lld\n", rows, bytes, sum);
	return 0;
}
