/* kapctl queue: what waits to be mailed (sending, deferred) and what failed; "queue retry"
 * re-arms deliveries so that the next check sends them again. */
#include "kapctl/kapctl.h"

#include <getopt.h>
#include <stdio.h>
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

static const char *const queue_headings[] = { "ID", "STATE", "TO", "ATTEMPTS",
	"ITEMS", "SLOT (UTC)", "NEXT (UTC)", "ERROR", NULL };

/* A row of the human table: the server's last answer comes last, uncut. */
static int
add_row(struct table *t, sqlite3_stmt *st)
{
	char id[24], attempts[16], count[16];
	const char *cells[8];

	snprintf(id, sizeof(id), "%lld", (long long)sqlite3_column_int64(st, 0));
	snprintf(attempts, sizeof(attempts), "%d", sqlite3_column_int(st, 3));
	snprintf(count, sizeof(count), "%d", sqlite3_column_int(st, 6));
	cells[0] = id;
	cells[1] = (const char *)sqlite3_column_text(st, 1);
	cells[2] = (const char *)sqlite3_column_text(st, 2);
	cells[3] = attempts;
	cells[4] = count;
	cells[5] = (const char *)sqlite3_column_text(st, 5);
	cells[6] = (const char *)sqlite3_column_text(st, 4);
	cells[7] = sqlite3_column_type(st, 7) == SQLITE_NULL ? "" :
	    (const char *)sqlite3_column_text(st, 7);
	return table_row(t, cells);
}

static struct table *
queue_table(void)
{
	struct table *t = ctl_table(queue_headings);

	if (t != NULL) {
		table_column(t, 0, "ID", 0, WIDTH_RIGHT);
		table_column(t, 3, "ATTEMPTS", 0, WIDTH_RIGHT);
		table_column(t, 4, "ITEMS", 0, WIDTH_RIGHT);
	}
	return t;
}

static int
list_queue(struct ctl *c)
{
	json_t *rows = json_array(), *row;
	struct table *t = NULL;
	sqlite3_stmt *st = NULL;
	char err[512];
	int rc = SQLITE_DONE, i, r = EX_OK;

	if (db_prepare(c->db, queue_sql, &st, err, sizeof(err)) < 0) {
		json_decref(rows);
		return ctl_fail(EX_SOFTWARE, "queue", "%s", err);
	}
	if (!c->json && (t = queue_table()) == NULL)
		r = ctl_fail(EX_OSERR, "queue", "out of memory");
	while (r == EX_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t != NULL) {
			if (add_row(t, st) < 0)
				r = ctl_fail(EX_OSERR, "queue", "out of memory");
			continue;
		}
		row = json_object();
		for (i = 0; queue_columns[i] != NULL; i++)
			json_object_set_new(row, queue_columns[i], cell(st, i));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
	if (r == EX_OK && rc != SQLITE_DONE)
		r = ctl_fail(ctl_exit_code(db_errno(rc)), "queue", "%s", sqlite3_errmsg(c->db));
	if (r == EX_OK && c->json) {
		r = ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
		rows = NULL;
	} else if (r == EX_OK && table_rows(t) == 0) {
		printf("the queue is empty: nothing waiting, nothing failed\n");
	} else if (r == EX_OK) {
		r = ctl_table_print(t, "");
		t = NULL;
	}
	table_free(t);
	json_decref(rows);
	return r;
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
