/* kapctl queue: what waits to be mailed (sending, deferred) and what failed; "queue retry"
 * re-arms deliveries so that the next check sends them again. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/state.h"
#include "store/views.h"

static const char *const queue_columns[] = { "id", "state", "email", "attempts", "next_attempt",
	"slot", "notifications", "error", "message_id", NULL };

static json_t *
cell(const struct view_value *v)
{
	if (v->type == VIEW_NULL)
		return json_null();
	if (v->type == VIEW_INT)
		return json_integer(v->i);
	return json_string(v->s);
}

static const char *const queue_headings[] = { N_("ID"), N_("STATE"), N_("TO"), N_("ATTEMPTS"),
	N_("ITEMS"), N_("SLOT (UTC)"), N_("NEXT (UTC)"), N_("ERROR"), NULL };

/* A row of the human table: the server's last answer comes last, uncut. */
static int
add_row(struct table *t, const struct view_value *v)
{
	char id[24], attempts[16], count[16];
	const char *cells[8];

	snprintf(id, sizeof(id), "%lld", v[0].i);
	snprintf(attempts, sizeof(attempts), "%d", (int)v[3].i);
	snprintf(count, sizeof(count), "%d", (int)v[6].i);
	cells[0] = id;
	cells[1] = v[1].s;
	cells[2] = v[2].s;
	cells[3] = attempts;
	cells[4] = count;
	cells[5] = v[5].s;
	cells[6] = v[4].s;
	cells[7] = v[7].type == VIEW_NULL ? "" : v[7].s;
	return table_row(t, cells);
}

static int
queue_row(void *ctx, const struct view_value *v, int n)
{
	struct ctl_listing *o = ctx;
	json_t *row;
	int i;

	if (o->t != NULL)
		return add_row(o->t, v) < 0 ? -ENOMEM : 0;
	row = json_object();
	for (i = 0; queue_columns[i] != NULL && i < n; i++)
		json_object_set_new(row, queue_columns[i], cell(&v[i]));
	json_array_append_new(o->rows, row);
	return 0;
}

static int
list_queue(struct ctl *c)
{
	struct ctl_listing o;
	char err[512] = "";
	int r;

	if ((r = ctl_listing_begin(c, "queue", queue_headings, &o)) != 0)
		return r;
	ctl_column(c, o.t, 0, "ID", 0, WIDTH_RIGHT);
	ctl_column(c, o.t, 3, "ATTEMPTS", 0, WIDTH_RIGHT);
	ctl_column(c, o.t, 4, "ITEMS", 0, WIDTH_RIGHT);
	r = view_queue(c->db, queue_row, &o, err, sizeof(err));
	if (r >= 0 && o.t != NULL && table_rows(o.t) == 0) {
		table_free(o.t);
		printf("%s\n", tr(c, "the queue is empty: nothing waiting, nothing failed"));
		return EX_OK;
	}
	return ctl_listing_end(c, "queue", r, err, o.rows, o.t);
}

/* Re-arms deferred or failed deliveries: due at the next check, with a fresh attempt
 * count and give_up_after counted from now. */
static int
retry(struct ctl *c, const char *which)
{
	char err[512], *end;
	long long id = 0;
	int n;

	if (strcmp(which, "--all") != 0) {
		id = strtoll(which, &end, 10);
		if (*end != '\0' || id <= 0)
			return ctl_fail(
			    EX_USAGE, "queue", tr(c, "retry takes a delivery ID or --all"));
	}
	n = state_retry(c->db, id, c->now, err, sizeof(err));
	if (n < 0)
		return ctl_fail(ctl_exit_code(n), "queue", "%s", err);
	if (n == 0 && id != 0)
		return ctl_fail(
		    EX_DATAERR, "queue", tr(c, "no deferred or failed delivery %lld"), id);
	printf(i18n_ntr(c->lang, "%d delivery re-armed: the next check sends it\n",
	           "%d deliveries re-armed: the next check sends them\n", (unsigned long)n),
	    n);
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
	return ctl_fail(
	    EX_USAGE, "queue", tr(c, "usage: kapctl queue [--json] | kapctl queue retry ID|--all"));
}
