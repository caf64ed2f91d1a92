/* kapctl feeds: the calendar feeds' subscription URLs, and rotating a feed's secret token. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "run/feeds.h"
#include "store/feedstore.h"
#include "lib/sbuf.h"

static const char *const feeds_headings[] = { N_("KIND"), N_("KEY"), N_("NAME"),
	N_("SUBSCRIPTION URL"), NULL };

static int
url_of(const struct ctl *c, const char *token, struct sbuf *url)
{
	url->len = 0;
	feeds_url(c->cfg.feeds.base_url, token, url);
	return url->failed ? -ENOMEM : 0;
}

static int
print_entry(void *ctx, const struct feedstore_entry *e)
{
	struct ctl_listing *l = ctx;
	const char *cells[4] = { e->kind, e->key, e->name, NULL };
	struct sbuf url = SBUF_INIT;
	int r;

	if ((r = url_of(l->c, e->token, &url)) == 0)
		r = ctl_listing_url_entry(l, cells, 3, &url, e->written_at,
		    l->rows == NULL
		        ? NULL
		        : json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "kind", e->kind, "key",
		              e->key, "name", e->name ? e->name : "", "url", url.s, "file",
		              url.s + url.len - FEEDS_TOKEN_LEN - 4, "written_at", e->written_at));
	sbuf_free(&url);
	return r;
}

static int
feeds_list_cmd(struct ctl *c)
{
	struct ctl_listing l;
	char err[512] = "";
	int r;

	if ((r = ctl_listing_begin(c, "feeds", feeds_headings, &l)) != 0)
		return r;
	r = feedstore_list(c->db, print_entry, &l, err, sizeof(err));
	return ctl_listing_end(c, "feeds", r, err, l.rows, l.t);
}

static int
feeds_rotate_cmd(struct ctl *c, int argc, char **argv)
{
	char token[FEEDS_TOKEN_LEN + 1], err[512];
	const char *kind = NULL, *key, *kind_out = NULL;
	struct sbuf url = SBUF_INIT;
	int r;

	if (argc == 2 && (strcmp(argv[0], "plan") == 0 || strcmp(argv[0], "person") == 0)) {
		kind = argv[0];
		key = argv[1];
	} else if (argc == 1) {
		key = argv[0];
	} else {
		ctl_usage(c, stderr, "feeds");
		return EX_USAGE;
	}
	r = feeds_rotate(c->db, kind, key, token, &kind_out, err, sizeof(err));
	if (r == -EEXIST)
		return ctl_fail(EX_USAGE, "feeds", "%s", err);
	if (r < 0)
		return ctl_fail(ctl_exit_code(r == -ENOENT ? -EINVAL : r), "feeds", "%s", err);
	if (url_of(c, token, &url) < 0) {
		sbuf_free(&url);
		return ctl_fail(EX_OSERR, "feeds", tr(c, "out of memory"));
	}
	if (c->json) {
		r = ctl_print_json(json_pack(
		        "{s:s, s:s, s:s}", "kind", kind_out, "key", key, "url", url.s)) < 0
		    ? EX_IOERR
		    : EX_OK;
	} else {
		printf(tr(c,
		           "new subscription URL of %s %s:\n  %s\nThe old URL stops working at the "
		           "daemon's next check (kapd writes the new file and removes the old "
		           "one).\n"),
		    kind_out, key, url.s);
		r = EX_OK;
	}
	sbuf_free(&url);
	return r;
}

int
cmd_feeds(struct ctl *c, int argc, char **argv)
{
	return ctl_list_or_rotate(c, argc, argv, feeds_list_cmd, feeds_rotate_cmd);
}
