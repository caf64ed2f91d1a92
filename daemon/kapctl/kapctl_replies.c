/* kapctl replies: the replies kapd read, newest first, with sender, mail key (its first
 * digits only), commands and outcome (SPEC §8). */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "store/replies.h"

static const char *const headings[] = { N_("AT (UTC)"), N_("FROM"), N_("KEY"), N_("OUTCOME"),
	N_("CHANGES"), N_("ANSWER"), N_("COMMANDS / REASON"), NULL };

static void
utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The commands on one line for the table ("done A-1; date A-2 2026-12-15"). */
static void
one_line(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < len; i++)
		buf[i] = s[i] == '\n' ? ';' : s[i];
	buf[i] = '\0';
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int
add_row(void *ctx, const struct reply_row *r)
{
	struct ctl_listing *o = ctx;
	char at[32], n[16], what[512];
	json_t *row;

	utc(r->received_at, at, sizeof(at));
	if (o->t != NULL) {
		const char *cells[7];

		snprintf(n, sizeof(n), "%d", r->changes);
		one_line(r->commands != NULL && r->commands[0] ? r->commands : r->reason, what,
		    sizeof(what));
		cells[0] = at;
		cells[1] = r->sender != NULL ? r->sender : "";
		cells[2] = r->key_prefix != NULL && r->key_prefix[0] ? r->key_prefix : "-";
		cells[3] = r->outcome;
		cells[4] = n;
		cells[5] = r->answer;
		cells[6] = what;
		return table_row(o->t, cells) < 0 ? -ENOMEM : 0;
	}
	row = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:i, s:s, s:o}", "at", at, "sender",
	    str_or_null(r->sender), "key",
	    str_or_null(r->key_prefix && r->key_prefix[0] ? r->key_prefix : NULL), "outcome",
	    r->outcome, "reason", str_or_null(r->reason), "commands", str_or_null(r->commands),
	    "changes", r->changes, "answer", r->answer, "message_id", str_or_null(r->message_id));
	if (row == NULL || json_array_append_new(o->rows, row) < 0)
		return -ENOMEM;
	return 0;
}

int
cmd_replies(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_listing o;
	long limit = 100;
	int opt, done = -1, r;
	char err[512] = "", *end;

	while ((opt = getopt_long(argc, argv, "+hn:", opts, NULL)) != -1) {
		if (ctl_common_opt(c, argv[0], opt, &done)) {
			if (done >= 0)
				return done;
			continue;
		}
		if (opt == 'n' &&
		    ((limit = strtol(optarg, &end, 10)) < 1 || *end != '\0' || limit > 100000))
			return ctl_fail(
			    EX_USAGE, "replies", tr(c, "--limit: a number from 1 to 100000"));
	}
	if (optind != argc)
		return ctl_fail(
		    EX_USAGE, "replies", tr(c, "unexpected argument \"%s\""), argv[optind]);
	if ((r = ctl_db(c, 0)) != 0 || (r = ctl_listing_begin(c, "replies", headings, &o)) != 0)
		return r;
	r = replies_list(c->db, (int)limit, add_row, &o, err, sizeof(err));
	return ctl_listing_end(c, "replies", r, err, o.rows, o.t);
}
