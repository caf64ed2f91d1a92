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
	const char *columns[8]; /* JSON names (and headings, upper-cased) */
	size_t max[8];          /* display columns a cell may take (0: as wide as it is) */
};

static const struct listing listings[] = {
	{ "accounts", VIEW_ACCOUNTS, { "key", "name", "industry", "rating", "active_plans", NULL },
	    { 0, 40, 30, 10, 0 } },
	{ "plans", VIEW_PLANS,
	    { "key", "account", "state", "kam", "next_review", "open_items", "title", NULL },
	    { 0, 0, 0, 0, 0, 0, 0 } },
	{ "people", VIEW_PEOPLE, { "key", "name", "email", "language", "timezone", "notify", NULL },
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
			head[k] = l->columns[i][k] >= 'a' && l->columns[i][k] <= 'z'
			    ? (char)(l->columns[i][k] - 'a' + 'A')
			    : l->columns[i][k];
		head[k] = '\0';
		table_column(t, i, head, l->max[i],
		    strcmp(l->columns[i], "active_plans") == 0 ||
		            strcmp(l->columns[i], "open_items") == 0
		        ? WIDTH_RIGHT
		        : WIDTH_LEFT);
	}
	return t;
}

struct list_out {
	const struct listing *l;
	struct table *t; /* the human table, or NULL for JSON */
	json_t *rows;
};

static int
list_row(void *ctx, const struct view_value *v, int n)
{
	struct list_out *o = ctx;
	const char *cells[8];
	json_t *row = json_object();
	int i;

	for (i = 0; o->l->columns[i] != NULL && i < n; i++) {
		cells[i] = v[i].s;
		json_object_set_new(row, o->l->columns[i], cell_json(&v[i]));
	}
	json_array_append_new(o->rows, row);
	return o->t != NULL && table_row(o->t, cells) < 0 ? -ENOMEM : 0;
}

static int
run_listing(struct ctl *c, const struct listing *l)
{
	struct list_out o = { l, NULL, json_array() };
	char err[512];
	int r = EX_OK;

	if (!c->json && (o.t = listing_table(l)) == NULL)
		r = ctl_fail(EX_OSERR, "list", "out of memory");
	if (r == EX_OK && (r = view_list(c->db, l->view, list_row, &o, err, sizeof(err))) < 0)
		r = r == -ENOMEM ? ctl_fail(EX_OSERR, "list", "out of memory")
		                 : ctl_fail(ctl_exit_code(r), "list", "%s", err);
	if (r == EX_OK && c->json) {
		r = ctl_print_json(o.rows) < 0 ? EX_IOERR : EX_OK;
		o.rows = NULL;
	} else if (r == EX_OK) {
		r = ctl_table_print(o.t, "");
		o.t = NULL;
	}
	table_free(o.t);
	json_decref(o.rows);
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
	return ctl_fail(
	    EX_USAGE, "list", "unknown list \"%s\" (accounts, plans or people)", argv[optind]);
}
