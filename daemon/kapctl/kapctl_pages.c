/* kapctl pages: the plan pages' URLs, and rotating a page's secret token. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "lib/sbuf.h"
#include "lib/table.h"
#include "run/pages.h"

static const char *const pages_headings[] = { N_("PLAN"), N_("TITLE"), N_("PAGE URL"), NULL };

static int
url_of(const struct ctl *c, const char *token, struct sbuf *url)
{
	url->len = 0;
	pages_url(c->cfg.pages.base_url, token, url);
	return url->failed ? -ENOMEM : 0;
}

static int
print_entry(void *ctx, const struct pagestore_entry *e)
{
	struct ctl_listing *l = ctx;
	const char *cells[3] = { e->key, e->title, NULL };
	struct sbuf url = SBUF_INIT;
	int r;

	if ((r = url_of(l->c, e->token, &url)) == 0)
		r = ctl_listing_url_entry(l, cells, 2, &url, e->written_at,
		    l->rows == NULL
		        ? NULL
		        : json_pack("{s:s, s:s, s:s, s:s, s:s?}", "key", e->key, "title",
		              e->title ? e->title : "", "url", url.s, "file",
		              url.s + url.len - TOKEN_FEED_LEN - 5, "written_at", e->written_at));
	sbuf_free(&url);
	return r;
}

static int
pages_list_cmd(struct ctl *c)
{
	struct ctl_listing l;
	char err[512] = "";
	int r;

	if ((r = ctl_listing_begin(c, "pages", pages_headings, &l)) != 0)
		return r;
	r = pages_list(c->db, print_entry, &l, err, sizeof(err));
	return ctl_listing_end(c, "pages", r, err, l.rows, l.t);
}

static int
pages_rotate_cmd(struct ctl *c, int argc, char **argv)
{
	char token[TOKEN_FEED_LEN + 1], err[512];
	struct sbuf url = SBUF_INIT;
	int r;

	if (argc != 1) {
		ctl_usage(c, stderr, "pages");
		return EX_USAGE;
	}
	r = pages_rotate(c->db, argv[0], token, err, sizeof(err));
	if (r < 0)
		return ctl_fail(ctl_exit_code(r == -ENOENT ? -EINVAL : r), "pages", "%s", err);
	if (url_of(c, token, &url) < 0) {
		sbuf_free(&url);
		return ctl_fail(EX_OSERR, "pages", tr(c, "out of memory"));
	}
	if (c->json) {
		r = ctl_print_json(json_pack("{s:s, s:s}", "key", argv[0], "url", url.s)) < 0
		    ? EX_IOERR
		    : EX_OK;
	} else {
		printf(
		    tr(c,
		        "new page URL of plan %s:\n  %s\nThe old URL stops working at the daemon's "
		        "next check (kapd writes the new file and removes the old one).\n"),
		    argv[0], url.s);
		r = EX_OK;
	}
	sbuf_free(&url);
	return r;
}

int
cmd_pages(struct ctl *c, int argc, char **argv)
{
	return ctl_list_or_rotate(c, argc, argv, pages_list_cmd, pages_rotate_cmd);
}
