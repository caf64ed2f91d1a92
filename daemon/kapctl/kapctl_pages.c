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

struct listing {
	struct ctl *c;
	json_t *rows;    /* --json */
	struct table *t; /* else */
};

static const char *const pages_headings[] = { "PLAN", "TITLE", "PAGE URL", NULL };

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
	struct listing *l = ctx;
	struct sbuf url = SBUF_INIT;
	json_t *row;
	int r;

	r = url_of(l->c, e->token, &url);
	if (r < 0)
		return r;
	if (l->rows == NULL) {
		const char *cells[3] = { e->key, e->title, NULL };

		if (e->written_at == NULL)
			sbuf_puts(&url, "  (written at the daemon's next check)");
		cells[2] = url.s;
		r = url.failed || table_row(l->t, cells) < 0 ? -ENOMEM : 0;
	} else {
		row = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "key", e->key, "title",
		    e->title ? e->title : "", "url", url.s, "file",
		    url.s + url.len - TOKEN_FEED_LEN - 5, "written_at", e->written_at);
		if (row == NULL || json_array_append_new(l->rows, row) < 0)
			r = -ENOMEM;
	}
	sbuf_free(&url);
	return r;
}

static int
pages_list_cmd(struct ctl *c)
{
	struct listing l = { c, NULL, NULL };
	char err[512];
	int r;

	if (c->json && (l.rows = json_array()) == NULL)
		return ctl_fail(EX_OSERR, "pages", "out of memory");
	if (!c->json && (l.t = ctl_table(pages_headings)) == NULL)
		return ctl_fail(EX_OSERR, "pages", "out of memory");
	err[0] = '\0';
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
		ctl_usage(stderr, "pages");
		return EX_USAGE;
	}
	r = pages_rotate(c->db, argv[0], token, err, sizeof(err));
	if (r < 0)
		return ctl_fail(ctl_exit_code(r == -ENOENT ? -EINVAL : r), "pages", "%s", err);
	if (url_of(c, token, &url) < 0) {
		sbuf_free(&url);
		return ctl_fail(EX_OSERR, "pages", "out of memory");
	}
	if (c->json) {
		r = ctl_print_json(json_pack("{s:s, s:s}", "key", argv[0], "url", url.s)) < 0
		    ? EX_IOERR
		    : EX_OK;
	} else {
		printf("new page URL of plan %s:\n  %s\nThe old URL stops working at the daemon's "
		       "next check (kapd writes the new file and removes the old one).\n",
		    argv[0], url.s);
		r = EX_OK;
	}
	sbuf_free(&url);
	return r;
}

int
cmd_pages(struct ctl *c, int argc, char **argv)
{
	int r;

	r = ctl_plain_opts(c, argc, argv);
	if (r >= 0)
		return r;
	argc -= optind;
	argv += optind;
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "list") == 0))
		return pages_list_cmd(c);
	if (strcmp(argv[0], "rotate") == 0)
		return pages_rotate_cmd(c, argc - 1, argv + 1);
	ctl_fail(EX_USAGE, "pages", "unknown subcommand \"%s\"", argv[0]);
	ctl_usage(stderr, "pages");
	return EX_USAGE;
}
