/* kapctl due: what is overdue or due soon, across the active plans. */
#include "kapctl/kapctl.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"

/* Open items and annual updates of active plans due on or before ?1; the partial
 * indexes on (due) WHERE state = 'open' serve the item branches. */
static const char due_sql[] =
	"SELECT kind, key, title, due, owner, owner_name, plan FROM ("
	" SELECT 'milestone' AS kind, m.key, m.title, m.due, pe.key AS owner, pe.name AS owner_name,"
	"  p.key AS plan FROM milestone m JOIN plan p ON p.id = m.plan_id"
	"  LEFT JOIN person pe ON pe.id = m.owner_id"
	"  WHERE m.state = 'open' AND m.due <= ?1 AND p.state = 'active'"
	" UNION ALL"
	" SELECT 'activity', a.key, a.title, a.due, pe.key, pe.name, p.key FROM activity a"
	"  JOIN plan p ON p.id = a.plan_id LEFT JOIN person pe ON pe.id = a.owner_id"
	"  WHERE a.state = 'open' AND a.due <= ?1 AND p.state = 'active'"
	" UNION ALL"
	" SELECT 'plan', p.key, p.title, p.next_review, pe.key, pe.name, p.key FROM plan p"
	"  LEFT JOIN team_member t ON t.plan_id = p.id AND t.role = 'kam'"
	"  LEFT JOIN person pe ON pe.id = t.person_id"
	"  WHERE p.state = 'active' AND p.next_review <= ?1"
	") WHERE (?2 IS NULL OR plan = ?2) AND (?3 IS NULL OR owner = ?3)"
	" ORDER BY due, plan, kind, key";

static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static json_t *
due_row(sqlite3_stmt *st, kdate_t today)
{
	json_t *o = json_object();
	kdate_t d = today;

	kdate_parse(col(st, 3), &d);
	json_object_set_new(o, "kind", json_string(col(st, 0)));
	json_object_set_new(o, "item", json_string(col(st, 1)));
	json_object_set_new(o, "plan", json_string(col(st, 6)));
	json_object_set_new(o, "title", json_string(col(st, 2)));
	json_object_set_new(o, "owner", col(st, 4) ? json_string(col(st, 4)) : json_null());
	json_object_set_new(o, "due", json_string(col(st, 3)));
	json_object_set_new(o, "days", json_integer((json_int_t)d - today));
	return o;
}

static const char *const due_headings[] = { "DUE", "STATUS", "KIND", "ITEM", "PLAN",
	"OWNER", "TITLE", NULL };

static int
add_row(struct table *t, json_t *o, const char *owner_name)
{
	long days = (long)json_integer_value(json_object_get(o, "days"));
	char status[48];
	const char *cells[7];

	if (days < 0)
		snprintf(status, sizeof(status), "overdue %ld d", -days);
	else if (days == 0)
		snprintf(status, sizeof(status), "today");
	else
		snprintf(status, sizeof(status), "in %ld d", days);
	cells[0] = json_string_value(json_object_get(o, "due"));
	cells[1] = status;
	cells[2] = strcmp(json_string_value(json_object_get(o, "kind")), "plan") == 0 ? "review" :
	    json_string_value(json_object_get(o, "kind"));
	cells[3] = json_string_value(json_object_get(o, "item"));
	cells[4] = json_string_value(json_object_get(o, "plan"));
	cells[5] = owner_name ? owner_name : "(no owner)";
	cells[6] = json_string_value(json_object_get(o, "title"));
	return table_row(t, cells);
}

static int
due_opts(struct ctl *c, int argc, char **argv, long *days, const char **plan,
    const char **person)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "days", required_argument, NULL, 'd' },
		{ "plan", required_argument, NULL, 'p' },
		{ "person", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1;
	char *end;

	while ((o = getopt_long(argc, argv, "+hd:p:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], o, &done)) {
			if (done >= 0)
				return done;
			continue;
		}
		if (o == 'd') {
			*days = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || *days < 0 || *days > 3660)
				return ctl_fail(EX_USAGE, "due", "--days: expected 0..3660, got \"%s\"",
				    optarg);
		} else if (o == 'p') {
			*plan = optarg;
		} else if (o == 'P') {
			*person = optarg;
		}
	}
	if (optind != argc)
		return ctl_fail(EX_USAGE, "due", "unexpected argument \"%s\"", argv[optind]);
	return -1;
}

int
cmd_due(struct ctl *c, int argc, char **argv)
{
	const char *plan = NULL, *person = NULL;
	char until[KDATE_STRLEN], err[512];
	sqlite3_stmt *st = NULL;
	json_t *rows = json_array(), *o;
	struct table *t = NULL;
	long days = 7;
	kdate_t today;
	int r, rc;

	r = due_opts(c, argc, argv, &days, &plan, &person);
	if (r >= 0 || (r = ctl_db(c, 0)) != 0)
		goto out;
	if (db_prepare(c->db, due_sql, &st, err, sizeof(err)) < 0) {
		r = ctl_fail(EX_SOFTWARE, "due", "%s", err);
		goto out;
	}
	if (!c->json && (t = ctl_table(due_headings)) == NULL) {
		r = ctl_fail(EX_OSERR, "due", "out of memory");
		goto out;
	}
	today = ctl_today(c, NULL);
	sqlite3_bind_text(st, 1, kdate_format(today + (kdate_t)days, until), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, plan, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, person, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = due_row(st, today);
		if (t != NULL && add_row(t, o, col(st, 5)) < 0) {
			json_decref(o);
			r = ctl_fail(EX_OSERR, "due", "out of memory");
			goto out;
		}
		json_array_append_new(rows, o);
	}
	if (rc != SQLITE_DONE) {
		r = ctl_fail(ctl_exit_code(db_errno(rc)), "due", "%s", sqlite3_errmsg(c->db));
		goto out;
	}
	if (c->json) {
		r = ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
		rows = NULL;
	} else if (json_array_size(rows) == 0) {
		printf("nothing overdue or due within %ld days\n", days);
		r = EX_OK;
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
