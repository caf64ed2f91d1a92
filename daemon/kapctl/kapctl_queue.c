/* kapctl queue: what waits to be mailed (sending, deferred) and what failed; "queue retry"
 * re-arms deliveries so that the next check sends them again. */
#include "kapctl/kapctl.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"

static const char queue_sql[] =
	"SELECT d.id, d.state, d.email, d.attempts,"
	" CASE WHEN d.next_attempt IS NULL THEN NULL ELSE"
	"  strftime('%Y-%m-%dT%H:%M:%SZ', d.next_attempt, 'unixepoch') END,"
	" strftime('%Y-%m-%dT%H:%M:%SZ', d.slot_at, 'unixepoch'),"
	" (SELECT count(*) FROM notification n WHERE n.delivery_id = d.id), d.last_error,"
	" d.message_id"
	" FROM delivery d WHERE d.state IN ('sending', 'deferred', 'failed')"
	" ORDER BY d.state = 'failed', d.id";

static const char *const queue_columns[] = { "id", "state", "email", "attempts",
	"next_attempt", "slot", "notifications", "error", "message_id", NULL };

static json_t *
cell(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
		return json_integer(sqlite3_column_int64(st, i));
	return json_string((const char *)sqlite3_column_text(st, i));
}

static int
list_queue(struct ctl *c)
{
	json_t *rows = json_array(), *row;
	sqlite3_stmt *st = NULL;
	char err[512];
	int rc, i, n = 0;

	if (db_prepare(c->db, queue_sql, &st, err, sizeof(err)) < 0) {
		json_decref(rows);
		return ctl_fail(EX_SOFTWARE, "queue", "%s", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (!c->json) {
			printf("%-6lld %-9s %-40s attempts %d, %d notification%s, slot %s, next %s\n",
			    (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
			    sqlite3_column_text(st, 2), sqlite3_column_int(st, 3),
			    sqlite3_column_int(st, 6), sqlite3_column_int(st, 6) == 1 ? "" : "s",
			    sqlite3_column_text(st, 5), sqlite3_column_type(st, 4) == SQLITE_NULL ?
			    "-" : (const char *)sqlite3_column_text(st, 4));
			if (sqlite3_column_type(st, 7) != SQLITE_NULL)
				printf("       %s\n", sqlite3_column_text(st, 7));
			continue;
		}
		row = json_object();
		for (i = 0; queue_columns[i] != NULL; i++)
			json_object_set_new(row, queue_columns[i], cell(st, i));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		return ctl_fail(ctl_exit_code(db_errno(rc)), "queue", "%s", sqlite3_errmsg(c->db));
	}
	if (c->json)
		return ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
	json_decref(rows);
	if (n == 0)
		printf("the queue is empty: nothing waiting, nothing failed\n");
	return EX_OK;
}

/* Re-arms deferred or failed deliveries: due at the next check, with a fresh attempt
 * count and give_up_after counted from now. */
static int
retry(struct ctl *c, const char *which)
{
	sqlite3_stmt *st = NULL;
	char err[512], *end;
	long long id = 0;
	int rc;

	if (strcmp(which, "--all") != 0) {
		id = strtoll(which, &end, 10);
		if (*end != '\0' || id <= 0)
			return ctl_fail(EX_USAGE, "queue", "retry takes a delivery ID or --all");
	}
	if (db_prepare(c->db, "UPDATE delivery SET state = 'deferred', next_attempt = 0, "
	    "attempts = 0, armed_at = ?2 WHERE state IN ('deferred', 'failed') AND "
	    "(?1 = 0 OR id = ?1)", &st, err, sizeof(err)) < 0)
		return ctl_fail(EX_SOFTWARE, "queue", "%s", err);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ctl_fail(ctl_exit_code(db_errno(rc)), "queue", "%s", sqlite3_errmsg(c->db));
	if (sqlite3_changes(c->db) == 0 && id != 0)
		return ctl_fail(EX_DATAERR, "queue", "no deferred or failed delivery %lld", id);
	printf("%d deliver%s re-armed: the next check sends %s\n", sqlite3_changes(c->db),
	    sqlite3_changes(c->db) == 1 ? "y" : "ies", sqlite3_changes(c->db) == 1 ? "it" : "them");
	return EX_OK;
}

int
cmd_queue(struct ctl *c, int argc, char **argv)
{
	int r = ctl_plain_opts(c, argc, argv);

	if (r >= 0)
		return r;
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (optind == argc)
		return list_queue(c);
	if (strcmp(argv[optind], "retry") == 0 && optind + 2 == argc)
		return retry(c, argv[optind + 1]);
	return ctl_fail(EX_USAGE, "queue", "usage: kapctl queue [--json] | kapctl queue retry "
	    "ID|--all");
}
