/* kapctl list, show, due: read-only views for people and scripts. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/db.h"
#include "store/views.h"
#include "store/planio.h"
#include "lib/textcheck.h"

struct listing {
	const char *what;
	enum view_listing view;
	const char *columns[8];  /* JSON names */
	const char *headings[8]; /* the table's headings (translated) */
	size_t max[8];           /* display columns a cell may take (0: as wide as it is) */
};

static const struct listing listings[] = {
	{ "accounts", VIEW_ACCOUNTS, { "key", "name", "industry", "rating", "active_plans", NULL },
	    { N_("KEY"), N_("NAME"), N_("INDUSTRY"), N_("RATING"), N_("ACTIVE_PLANS"), NULL },
	    { 0, 40, 30, 10, 0 } },
	{ "plans", VIEW_PLANS,
	    { "key", "account", "state", "kam", "next_review", "open_items", "title", NULL },
	    { N_("KEY"), N_("ACCOUNT"), N_("STATE"), N_("KAM"), N_("NEXT_REVIEW"), N_("OPEN_ITEMS"),
	        N_("TITLE"), NULL },
	    { 0, 0, 0, 0, 0, 0, 0 } },
	{ "people", VIEW_PEOPLE, { "key", "name", "email", "language", "timezone", "notify", NULL },
	    { N_("KEY"), N_("NAME"), N_("EMAIL"), N_("LANGUAGE"), N_("TIMEZONE"), N_("NOTIFY"),
	        NULL },
	    { 0, 40, 0, 0, 0, 0 } },
};

static json_t *
cell_json(const struct view_value *v)
{
	switch (v->type) {
	case VIEW_NULL: return json_null();
	case VIEW_INT: return json_integer(v->i);
	default: return json_string(v->s);
	}
}

struct list_out {
	const struct listing *l;
	struct ctl_listing out;
};

static int
list_row(void *ctx, const struct view_value *v, int n)
{
	struct list_out *o = ctx;
	const char *cells[8];
	json_t *row;
	int i;

	if (o->out.t != NULL) {
		for (i = 0; o->l->columns[i] != NULL && i < n; i++)
			cells[i] = v[i].s;
		return table_row(o->out.t, cells) < 0 ? -ENOMEM : 0;
	}
	row = json_object();
	for (i = 0; o->l->columns[i] != NULL && i < n; i++)
		json_object_set_new(row, o->l->columns[i], cell_json(&v[i]));
	return json_array_append_new(o->out.rows, row) < 0 ? -ENOMEM : 0;
}

static int
run_listing(struct ctl *c, const struct listing *l)
{
	struct list_out o = { l, { NULL, NULL, NULL } };
	char err[512] = "";
	size_t i;
	int r;

	if ((r = ctl_listing_begin(c, "list", l->headings, &o.out)) != 0)
		return r;
	for (i = 0; l->columns[i] != NULL; i++) /* counts align right */
		ctl_column(c, o.out.t, i, l->headings[i], l->max[i],
		    strcmp(l->columns[i], "active_plans") == 0 ||
		            strcmp(l->columns[i], "open_items") == 0
		        ? WIDTH_RIGHT
		        : WIDTH_LEFT);
	r = view_list(c->db, l->view, list_row, &o, err, sizeof(err));
	return ctl_listing_end(c, "list", r, err, o.out.rows, o.out.t);
}

int
cmd_list(struct ctl *c, int argc, char **argv)
{
	int r = ctl_plain_opts(c, argc, argv);
	size_t i;

	if (r >= 0)
		return r;
	if (optind + 1 != argc)
		return ctl_fail(EX_USAGE, "list", tr(c, "what? accounts, plans or people"));
	for (i = 0; i < sizeof(listings) / sizeof(listings[0]); i++) {
		if (strcmp(listings[i].what, argv[optind]) != 0)
			continue;
		if ((r = ctl_db(c, 0)) != 0)
			return r;
		return run_listing(c, &listings[i]);
	}
	return ctl_fail(EX_USAGE, "list", tr(c, "unknown list \"%s\" (accounts, plans or people)"),
	    argv[optind]);
}
