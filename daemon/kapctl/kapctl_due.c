/* kapctl due: what is overdue or due soon, across the active plans. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/views.h"

static json_t *
due_row(const struct view_value *v, kdate_t today)
{
	json_t *o = json_object();
	kdate_t d = today;

	kdate_parse(v[3].s, &d);
	json_object_set_new(o, "kind", json_string(v[0].s));
	json_object_set_new(o, "item", json_string(v[1].s));
	json_object_set_new(o, "plan", json_string(v[6].s));
	json_object_set_new(o, "title", json_string(v[2].s));
	json_object_set_new(o, "owner", v[4].s ? json_string(v[4].s) : json_null());
	json_object_set_new(o, "due", json_string(v[3].s));
	json_object_set_new(o, "days", json_integer((json_int_t)d - today));
	return o;
}

static const char *const due_headings[] = { N_("DUE"), N_("STATUS"), N_("KIND"), N_("ITEM"),
	N_("PLAN"), N_("OWNER"), N_("TITLE"), NULL };

static int
add_row(const struct ctl *c, struct table *t, json_t *o, const char *owner_name)
{
	long days = (long)json_integer_value(json_object_get(o, "days"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	char status[48];
	const char *cells[7];

	if (days < 0)
		snprintf(status, sizeof(status), tr(c, "overdue %ld d"), -days);
	else if (days == 0)
		snprintf(status, sizeof(status), "%s", tr(c, "today"));
	else
		snprintf(status, sizeof(status), tr(c, "in %ld d"), days);
	cells[0] = json_string_value(json_object_get(o, "due"));
	cells[1] = status;
	cells[2] = strcmp(kind, "plan") == 0 ? tr(c, "review")
	    : strcmp(kind, "milestone") == 0 ? tr(c, "milestone")
	    : strcmp(kind, "activity") == 0  ? tr(c, "activity")
	                                     : kind;
	cells[3] = json_string_value(json_object_get(o, "item"));
	cells[4] = json_string_value(json_object_get(o, "plan"));
	cells[5] = owner_name ? owner_name : tr(c, "(no owner)");
	cells[6] = json_string_value(json_object_get(o, "title"));
	return table_row(t, cells);
}

static int
due_opts(struct ctl *c, int argc, char **argv, long *days, const char **plan, const char **person)
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
				return ctl_fail(EX_USAGE, "due",
				    tr(c, "--days: expected 0..3660, got \"%s\""), optarg);
		} else if (o == 'p') {
			*plan = optarg;
		} else if (o == 'P') {
			*person = optarg;
		}
	}
	if (optind != argc)
		return ctl_fail(EX_USAGE, "due", tr(c, "unexpected argument \"%s\""), argv[optind]);
	return -1;
}

struct due_out {
	struct table *t; /* the human table, or NULL for JSON */
	json_t *rows;
	kdate_t today;
	const struct ctl *c;
};

static int
due_one(void *ctx, const struct view_value *v, int n)
{
	struct due_out *x = ctx;
	json_t *o;

	(void)n;
	o = due_row(v, x->today);
	if (x->t != NULL && add_row(x->c, x->t, o, v[5].s) < 0) {
		json_decref(o);
		return -ENOMEM;
	}
	json_array_append_new(x->rows, o);
	return 0;
}

int
cmd_due(struct ctl *c, int argc, char **argv)
{
	const char *plan = NULL, *person = NULL;
	char until[KDATE_STRLEN], err[512];
	struct due_out x = { NULL, json_array(), 0, c };
	long days = 7;
	int r;

	r = due_opts(c, argc, argv, &days, &plan, &person);
	if (r >= 0 || (r = ctl_db(c, 0)) != 0)
		goto out;
	if (!c->json && (x.t = ctl_table(c, due_headings)) == NULL) {
		r = ctl_fail(EX_OSERR, "due", tr(c, "out of memory"));
		goto out;
	}
	x.today = ctl_today(c, NULL);
	r = view_due(c->db, kdate_format(x.today + (kdate_t)days, until), plan, person, due_one, &x,
	    err, sizeof(err));
	if (r == -ENOMEM) {
		r = ctl_fail(EX_OSERR, "due", tr(c, "out of memory"));
		goto out;
	}
	if (r < 0) {
		r = ctl_fail(ctl_exit_code(r), "due", "%s", err);
		goto out;
	}
	if (c->json) {
		r = ctl_print_json(x.rows) < 0 ? EX_IOERR : EX_OK;
		x.rows = NULL;
	} else if (json_array_size(x.rows) == 0) {
		printf(i18n_ntr(c->lang, "nothing overdue or due within %ld day\n",
		           "nothing overdue or due within %ld days\n", (unsigned long)days),
		    days);
		r = EX_OK;
	} else {
		r = ctl_table_print(c, x.t, "");
		x.t = NULL;
	}
out:
	table_free(x.t);
	json_decref(x.rows);
	return r;
}
