/* kapctl log: the audit trail of what was mailed to whom and when (the ledger). */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/views.h"

static const char *const log_columns[] = { "at", "state", "recipient", "email", "rule", "stage",
	"kind", "item", "plan", "due", "on_behalf_of", "message_id", "error", NULL };

static int
log_opts(struct ctl *c, int argc, char **argv, const char **plan, const char **person, long *limit)
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
				return ctl_fail(
				    EX_USAGE, "log", tr(c, "--limit: a positive number"));
		}
	}
	if (optind != argc)
		return ctl_fail(EX_USAGE, "log", tr(c, "unexpected argument \"%s\""), argv[optind]);
	return -1;
}

static const char *const log_headings[] = { N_("AT (UTC)"), N_("STATE"), N_("TO"), N_("RULE"),
	N_("STAGE"), N_("ITEM"), N_("DUE"), N_("FOR"), NULL };

static int
add_row(void *ctx, const struct view_value *v, int n)
{
	static const int from[] = { 0, 1, 3, 4, 5, 7, 9, 10 };
	struct ctl_listing *o = ctx;
	const char *cells[8];
	json_t *row;
	int i;

	if (o->t != NULL) {
		for (i = 0; i < 8; i++)
			cells[i] = v[from[i]].s;
		if (cells[7] == NULL)
			cells[7] = "";
		return table_row(o->t, cells) < 0 ? -ENOMEM : 0;
	}
	row = json_object();
	for (i = 0; log_columns[i] != NULL && i < n; i++)
		json_object_set_new(row, log_columns[i],
		    v[i].type == VIEW_NULL ? json_null() : json_string(v[i].s));
	json_array_append_new(o->rows, row);
	return 0;
}

int
cmd_log(struct ctl *c, int argc, char **argv)
{
	const char *plan = NULL, *person = NULL;
	struct ctl_listing o;
	long limit = 100;
	char err[512] = "";
	int r;

	r = log_opts(c, argc, argv, &plan, &person, &limit);
	if (r >= 0 || (r = ctl_db(c, 0)) != 0 ||
	    (r = ctl_listing_begin(c, "log", log_headings, &o)) != 0)
		return r;
	r = view_log(c->db, plan, person, limit, add_row, &o, err, sizeof(err));
	return ctl_listing_end(c, "log", r, err, o.rows, o.t);
}
