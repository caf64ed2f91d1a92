/* kapctl list, show, due: read-only views for people and scripts. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"
#include "store/planio.h"
#include "lib/textcheck.h"

struct listing {
	const char *what;
	const char *sql;
	const char *columns[8];  /* JSON names (and headings, upper-cased) */
	size_t max[8];           /* display columns a cell may take (0: as wide as it is) */
};

static const struct listing listings[] = {
	{ "accounts",
	  "SELECT a.key, a.name, a.industry, a.rating, (SELECT count(*) FROM plan p WHERE "
	  "p.account_id = a.id AND p.state = 'active') FROM account a ORDER BY a.name, a.key",
	  { "key", "name", "industry", "rating", "active_plans", NULL }, { 0, 40, 30, 10, 0 } },
	{ "plans",
	  "SELECT p.key, a.key, p.state, (SELECT pe.key FROM team_member t JOIN person pe ON "
	  "pe.id = t.person_id WHERE t.plan_id = p.id AND t.role = 'kam'), p.next_review, "
	  "(SELECT count(*) FROM milestone m WHERE m.plan_id = p.id AND m.state = 'open') + "
	  "(SELECT count(*) FROM activity x WHERE x.plan_id = p.id AND x.state = 'open'), p.title "
	  "FROM plan p JOIN account a ON a.id = p.account_id ORDER BY a.key, p.key",
	  { "key", "account", "state", "kam", "next_review", "open_items", "title", NULL },
	  { 0, 0, 0, 0, 0, 0, 0 } },
	{ "people",
	  "SELECT key, name, email, language, timezone, notify FROM person ORDER BY name, key",
	  { "key", "name", "email", "language", "timezone", "notify", NULL },
	  { 0, 40, 0, 0, 0, 0 } },
};

static json_t *
cell_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return json_null();
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	default:
		return json_string((const char *)sqlite3_column_text(st, i));
	}
}

/* The human table: headings are the JSON names upper-cased; numbers align right. */
static struct table *
listing_table(const struct listing *l)
{
	char head[32];
	struct table *t;
	size_t i, k;

	for (i = 0; l->columns[i] != NULL; i++)
		;
	if ((t = table_new(i)) == NULL)
		return NULL;
	for (i = 0; l->columns[i] != NULL; i++) {
		for (k = 0; l->columns[i][k] != '\0' && k + 1 < sizeof(head); k++)
			head[k] = l->columns[i][k] >= 'a' && l->columns[i][k] <= 'z' ?
			    (char)(l->columns[i][k] - 'a' + 'A') : l->columns[i][k];
		head[k] = '\0';
		table_column(t, i, head, l->max[i], strcmp(l->columns[i], "active_plans") == 0 ||
		    strcmp(l->columns[i], "open_items") == 0 ? WIDTH_RIGHT : WIDTH_LEFT);
	}
	return t;
}

static int
run_listing(struct ctl *c, const struct listing *l)
{
	json_t *rows = json_array(), *row;
	const char *cells[8];
	struct table *t = NULL;
	sqlite3_stmt *st = NULL;
	char err[512];
	int rc = SQLITE_DONE, i, r = EX_OK;

	if (db_prepare(c->db, l->sql, &st, err, sizeof(err)) < 0) {
		json_decref(rows);
		return ctl_fail(EX_SOFTWARE, "list", "%s", err);
	}
	if (!c->json && (t = listing_table(l)) == NULL)
		r = ctl_fail(EX_OSERR, "list", "out of memory");
	while (r == EX_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; l->columns[i] != NULL; i++) {
			cells[i] = (const char *)sqlite3_column_text(st, i);
			json_object_set_new(row, l->columns[i], cell_json(st, i));
		}
		json_array_append_new(rows, row);
		if (t != NULL && table_row(t, cells) < 0)
			r = ctl_fail(EX_OSERR, "list", "out of memory");
	}
	sqlite3_finalize(st);
	if (r == EX_OK && rc != SQLITE_DONE)
		r = ctl_fail(ctl_exit_code(db_errno(rc)), "list", "%s", sqlite3_errmsg(c->db));
	if (r == EX_OK && c->json) {
		r = ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
		rows = NULL;
	} else if (r == EX_OK) {
		r = ctl_table_print(t, "");
		t = NULL;
	}
	table_free(t);
	json_decref(rows);
	return r;
}

int
cmd_list(struct ctl *c, int argc, char **argv)
{
	int r = ctl_plain_opts(c, argc, argv);
	size_t i;

	if (r >= 0)
		return r;
	if (optind + 1 != argc)
		return ctl_fail(EX_USAGE, "list", "what? accounts, plans or people");
	for (i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
		if (strcmp(listings[i].what, argv[optind]) != 0)
			continue;
		if ((r = ctl_db(c, 0)) != 0)
			return r;
		return run_listing(c, &listings[i]);
	}
	return ctl_fail(EX_USAGE, "list", "unknown list \"%s\" (accounts, plans or people)",
	    argv[optind]);
}
