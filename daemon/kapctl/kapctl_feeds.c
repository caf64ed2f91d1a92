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

struct listing {
	struct ctl *c;
	json_t *rows;    /* --json */
	struct table *t; /* else */
};

static const char *const feeds_headings[] = { "KIND", "KEY", "NAME", "SUBSCRIPTION URL", NULL };

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
	struct listing *l = ctx;
	struct sbuf url = SBUF_INIT;
	json_t *row;
	int r;

	r = url_of(l->c, e->token, &url);
	if (r < 0)
		return r;
	if (l->rows == NULL) {
		const char *cells[4] = { e->kind, e->key, e->name, NULL };

		if (e->written_at == NULL)
			sbuf_puts(&url, "  (written at the daemon's next check)");
		cells[3] = url.s;
		r = url.failed || table_row(l->t, cells) < 0 ? -ENOMEM : 0;
	} else {
		row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "kind", e->kind, "key", e->key,
		    "name", e->name ? e->name : "", "url", url.s, "file",
		    url.s + url.len - FEEDS_TOKEN_LEN - 4, "written_at", e->written_at);
		if (row == NULL || json_array_append_new(l->rows, row) < 0)
			r = -ENOMEM;
	}
	sbuf_free(&url);
	return r;
}

static int
feeds_list_cmd(struct ctl *c)
{
	struct listing l = { c, NULL, NULL };
	char err[512];
	int r;

	if (c->json && (l.rows = json_array()) == NULL)
		return ctl_fail(EX_OSERR, "feeds", "out of memory");
	if (!c->json && (l.t = ctl_table(feeds_headings)) == NULL)
		return ctl_fail(EX_OSERR, "feeds", "out of memory");
	err[0] = '\0';
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
		ctl_usage(stderr, "feeds");
		return EX_USAGE;
	}
	r = feeds_rotate(c->db, kind, key, token, &kind_out, err, sizeof(err));
	if (r == -EEXIST)
		return ctl_fail(EX_USAGE, "feeds", "%s", err);
	if (r < 0)
		return ctl_fail(ctl_exit_code(r == -ENOENT ? -EINVAL : r), "feeds", "%s", err);
	if (url_of(c, token, &url) < 0) {
		sbuf_free(&url);
		return ctl_fail(EX_OSERR, "feeds", "out of memory");
	}
	if (c->json) {
		r = ctl_print_json(json_pack(
		        "{s:s, s:s, s:s}", "kind", kind_out, "key", key, "url", url.s)) < 0
		    ? EX_IOERR
		    : EX_OK;
	} else {
		printf("new subscription URL of %s %s:\n  %s\nThe old URL stops working at the "
		       "daemon's next check (kapd writes the new file and removes the old one).\n",
		    kind_out, key, url.s);
		r = EX_OK;
	}
	sbuf_free(&url);
	return r;
}

int
cmd_feeds(struct ctl *c, int argc, char **argv)
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
		return feeds_list_cmd(c);
	if (strcmp(argv[0], "rotate") == 0)
		return feeds_rotate_cmd(c, argc - 1, argv + 1);
	ctl_fail(EX_USAGE, "feeds", "unknown subcommand \"%s\"", argv[0]);
	ctl_usage(stderr, "feeds");
	return EX_USAGE;
}
