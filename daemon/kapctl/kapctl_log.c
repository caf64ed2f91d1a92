/* kapctl log: the audit trail of what was mailed to whom and when (the ledger). */
#include "kapctl/kapctl.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"

static const char log_sql[] =
	"SELECT strftime('%Y-%m-%dT%H:%M:%SZ', d.slot_at, 'unixepoch'), d.state, n.recipient_key, d.email, n.rule,"
	" n.stage, n.kind, n.item_key, n.plan_key, n.deadline, n.on_behalf_of, d.message_id,"
	" d.last_error"
	" FROM notification n JOIN delivery d ON d.id = n.delivery_id"
	" WHERE (?1 IS NULL OR n.plan_key = ?1)"
	" AND (?2 IS NULL OR n.recipient_key = ?2 OR n.on_behalf_of = ?2)"
	" ORDER BY n.id DESC LIMIT ?3";

static const char *const log_columns[] = { "at", "state", "recipient", "email", "rule",
	"stage", "kind", "item", "plan", "due", "on_behalf_of", "message_id", "error", NULL };

static int
log_opts(struct ctl *c, int argc, char **argv, const char **plan, const char **person,
    long *limit)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "plan", required_argument, NULL, 'p' },
		{ "person", required_argument, NULL, 'P' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1;
	char *end;

	while ((o = getopt_long(argc, argv, "+hp:n:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done)) {
			if (done >= 0)
				return done;
			continue;
		}
		if (o == 'p')
			*plan = optarg;
		else if (o == 'P')
			*person = optarg;
		else if (o == 'n') {
			*limit = strtol(optarg, &end, 10);
			if (*end != '\0' || *limit < 1)
				return ctl_fail(EX_USAGE, "log", "--limit: a positive number");
		}
	}
	if (optind != argc)
		return ctl_fail(EX_USAGE, "log", "unexpected argument \"%s\"", argv[optind]);
	return -1;
}

static const char *const log_headings[] = { "AT (UTC)", "STATE", "TO", "RULE", "STAGE",
	"ITEM", "DUE", "FOR", NULL };

static int
add_row(struct table *t, sqlite3_stmt *st)
{
	static const int from[] = { 0, 1, 3, 4, 5, 7, 9, 10 };
	const char *cells[8];
	size_t i;

	for (i = 0; i < 8; i++)
		cells[i] = (const char *)sqlite3_column_text(st, from[i]);
	if (cells[7] == NULL)
		cells[7] = "";
	return table_row(t, cells);
}

int
cmd_log(struct ctl *c, int argc, char **argv)
{
	const char *plan = NULL, *person = NULL;
	json_t *rows = json_array(), *row;
	struct table *t = NULL;
	sqlite3_stmt *st = NULL;
	long limit = 100;
	char err[512];
	int r, rc, i;

	r = log_opts(c, argc, argv, &plan, &person, &limit);
	if (r >= 0 || (r = ctl_db(c, 0)) != 0)
		goto out;
	if (db_prepare(c->db, log_sql, &st, err, sizeof(err)) < 0) {
		r = ctl_fail(EX_SOFTWARE, "log", "%s", err);
		goto out;
	}
	sqlite3_bind_text(st, 1, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, person, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	if (!c->json && (t = ctl_table(log_headings)) == NULL) {
		r = ctl_fail(EX_OSERR, "log", "out of memory");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (t != NULL) {
			if (add_row(t, st) < 0) {
				r = ctl_fail(EX_OSERR, "log", "out of memory");
				goto out;
			}
			continue;
		}
		row = json_object();
		for (i = 0; log_columns[i] != NULL; i++)
			json_object_set_new(row, log_columns[i], sqlite3_column_type(st, i) ==
			    SQLITE_NULL ? json_null() :
			    json_string((const char *)sqlite3_column_text(st, i)));
		json_array_append_new(rows, row);
	}
	if (rc != SQLITE_DONE)
		r = ctl_fail(ctl_exit_code(db_errno(rc)), "log", "%s", sqlite3_errmsg(c->db));
	else if (c->json) {
		r = ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
		rows = NULL;
	} else {
		r = ctl_table_print(t, "");
		t = NULL;
	}
out:
	table_free(t);
	sqlite3_finalize(st);
	json_decref(rows);
	return r;
}
