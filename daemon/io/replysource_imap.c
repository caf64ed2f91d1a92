/* replysource_imap: replies from an IMAP mailbox through libcurl (RFC 3501, RFC 6851).
 *
 * - One easy handle, so one connection and one login serve the whole run.  imaps:// is
 *   TLS from the start; imap:// must upgrade with STARTTLS (CURLUSESSL_ALL), never clear.
 * - What waits: STATUS gives the mailbox's UIDVALIDITY; "UID FETCH n:* (UID RFC822.SIZE)"
 *   lists the UIDs after the last one handled with their sizes.  A changed UIDVALIDITY
 *   means the UIDs were renumbered, so everything is listed again (the store recognises
 *   messages it handled by their Message-ID).
 * - A message is fetched by its URL with ;UIDVALIDITY= (libcurl refuses it when the
 *   mailbox changed under us) and ;UID= (UID FETCH since libcurl 7.64).
 * - Handled messages move to replies.processed: UID MOVE where the server has MOVE
 *   (RFC 6851), else UID COPY, \Deleted and UID EXPUNGE (RFC 4315) or EXPUNGE.
 * - Every wait is bounded by replies.timeout; hooks->tick keeps the watchdog fed. */
#include "io/replysource_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lib/sbuf.h"

/* libcurl 7.88 stops a command whose answer it counts as more than 300 KB of "headers",
 * and it counts the lines of a large answer several times over (a run of 200 FETCH lines
 * of 37 bytes was counted as 309 KB).  So sizes are asked for in runs of SIZE_BATCH UIDs
 * and searches in windows of SEARCH_WINDOW UIDs. */
#define SIZE_BATCH 50
#define SEARCH_WINDOW 2000

struct imap {
	CURL *curl;
	const struct kapd_config *cfg;
	char *base;    /* "imaps://host:993" */
	char *mailbox; /* the URL's path, as written there ("INBOX") */
	const char *processed;
	struct transport_hooks hooks;
	char *password;
	struct sbuf resp; /* what the last command wrote */
	size_t limit;     /* fetch: bytes allowed */
	int too_big;
	int has_move, has_uidplus;
	unsigned long uidvalidity;
	unsigned long uidnext; /* the UID the next message will get */
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_write(char *data, size_t size, size_t n, void *ctx)
{
	struct imap *im = ctx;

	if (im->resp.len + size * n > im->limit) {
		im->too_big = 1;
		return 0; /* stops the transfer */
	}
	sbuf_add(&im->resp, data, size * n);
	return im->resp.failed ? 0 : size * n;
}

static int
on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct imap *im = ctx;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (im->hooks.tick != NULL)
		im->hooks.tick(im->hooks.ctx);
	return 0;
}

/* Runs one request: url (base + path) with an optional custom command.  The answer is in
 * im->resp.  0, -EACCES (login refused), -EFBIG (over limit) or -EIO, err filled. */
static int
run(struct imap *im, const char *path, const char *custom, size_t limit, char *err, size_t errlen)
{
	char url[1024];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/%s", im->base, path);
	sbuf_free(&im->resp);
	im->resp = (struct sbuf)SBUF_INIT;
	im->limit = limit;
	im->too_big = 0;
	im->errbuf[0] = '\0';
	curl_easy_setopt(im->curl, CURLOPT_URL, url);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, custom);
	rc = curl_easy_perform(im->curl);
	if (rc == CURLE_OK)
		return 0;
	if (im->too_big)
		return -EFBIG;
	snprintf(err, errlen, "IMAP %s: %s", custom != NULL ? custom : "FETCH",
	    im->errbuf[0] ? im->errbuf : curl_easy_strerror(rc));
	return rc == CURLE_LOGIN_DENIED ? -EACCES : -EIO;
}

static int
setup(struct imap *im, const struct kapd_config *cfg)
{
	long to = cfg->replies.timeout;
	CURL *c = im->curl;

	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, im->errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg->replies.tls_verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg->replies.tls_verify ? 2L : 0L);
	if (cfg->replies.ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->replies.ca_file);
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg->replies.user);
	if (im->password != NULL)
		curl_easy_setopt(c, CURLOPT_PASSWORD, im->password);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, to);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, to);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, to);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, im);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, im);
	return 0;
}

/* "imaps://host:port/INBOX" into base and mailbox ("INBOX" when the path is empty). */
static int
split_url(const char *url, struct imap *im)
{
	const char *host = strstr(url, "://"), *slash;

	if (host == NULL)
		return -EINVAL;
	slash = strchr(host + 3, '/');
	im->base = slash != NULL ? strndup(url, (size_t)(slash - url)) : strdup(url);
	im->mailbox = strdup(slash != NULL && slash[1] != '\0' ? slash + 1 : "INBOX");
	return im->base != NULL && im->mailbox != NULL ? 0 : -ENOMEM;
}

/* A mailbox name as an IMAP quoted string; names with '"' or '\\' are refused. */
static int
quoted(const char *name, char *buf, size_t len)
{
	if (strpbrk(name, "\"\\\r\n") != NULL || (size_t)snprintf(buf, len, "\"%s\"", name) >= len)
		return -EINVAL;
	return 0;
}

static void imap_close(void *v);

/* The capabilities after login (RFC 3501 §7.2.1), and the processed mailbox. */
static int
greet(struct imap *im, char *err, size_t errlen)
{
	char cmd[300], q[260];
	int r;

	if ((r = run(im, "", "CAPABILITY", 65536, err, errlen)) < 0)
		return r;
	sbuf_add(&im->resp, "", 1);
	if (im->resp.s != NULL) {
		im->has_move = strstr(im->resp.s, " MOVE") != NULL;
		im->has_uidplus = strstr(im->resp.s, " UIDPLUS") != NULL;
	}
	if (quoted(im->processed, q, sizeof(q)) < 0) {
		snprintf(err, errlen, "replies.processed: a mailbox name without '\"' or '\\'");
		return -EINVAL;
	}
	/* It may exist already: CREATE's NO is no error here. */
	snprintf(cmd, sizeof(cmd), "CREATE %s", q);
	run(im, "", cmd, 65536, err, errlen);
	return 0;
}

int
replysource_imap_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    void **out, char *err, size_t errlen)
{
	struct imap *im = calloc(1, sizeof(*im));
	int r;

	if (im == NULL)
		return -ENOMEM;
	im->processed = cfg->replies.processed;
	im->cfg = cfg;
	im->resp = (struct sbuf)SBUF_INIT;
	if (hooks != NULL)
		im->hooks = *hooks;
	if ((r = config_read_imap_password(cfg, &im->password, err, errlen)) < 0) {
		free(im);
		return r;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(im->password);
		free(im);
		snprintf(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	if ((im->curl = curl_easy_init()) == NULL || split_url(cfg->replies.url, im) < 0) {
		snprintf(err, errlen, "out of memory");
		imap_close(im);
		return -ENOMEM;
	}
	setup(im, cfg);
	if ((r = greet(im, err, errlen)) < 0) {
		imap_close(im);
		return r;
	}
	*out = im;
	return 0;
}

/* The number after word in s ("UIDVALIDITY 42"), or 0. */
static unsigned long
number_after(const char *s, const char *word)
{
	const char *p = s != NULL ? strstr(s, word) : NULL;

	return p != NULL ? strtoul(p + strlen(word), NULL, 10) : 0;
}

/* Appends one message to the list. */
static int
push(struct replysource_msg **v, size_t *k, size_t *cap, unsigned long validity, unsigned long uid,
    size_t size)
{
	struct replysource_msg *p;

	if (*k == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = realloc(*v, *cap * sizeof(*p))) == NULL)
			return -ENOMEM;
		*v = p;
	}
	snprintf((*v)[*k].id, sizeof((*v)[*k].id), "%lu.%lu", validity, uid);
	snprintf((*v)[*k].cursor, sizeof((*v)[*k].cursor), "%lu:%lu", validity, uid);
	(*v)[(*k)++].size = size;
	return 0;
}

/* The sizes of UIDs lo..hi from "* n FETCH (UID u RFC822.SIZE s)" lines. */
static int
sizes(struct imap *im, unsigned long lo, unsigned long hi, struct replysource_msg **v, size_t *k,
    size_t *cap, char *err, size_t errlen)
{
	char cmd[96], *line, *next;
	int r;

	snprintf(cmd, sizeof(cmd), "UID FETCH %lu:%lu (UID RFC822.SIZE)", lo, hi);
	if ((r = run(im, im->mailbox, cmd, 1u << 20, err, errlen)) < 0)
		return r;
	sbuf_add(&im->resp, "", 1);
	for (line = im->resp.s; r == 0 && line != NULL && *line != '\0'; line = next) {
		unsigned long uid;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, "* ", 2) == 0 && strstr(line, " FETCH (") != NULL &&
		    (uid = number_after(line, "UID ")) >= lo && uid <= hi)
			r = push(v, k, cap, im->uidvalidity, uid,
			    (size_t)number_after(line, "RFC822.SIZE "));
	}
	return r;
}

/* The UIDs from start up to below uidnext ("* SEARCH 4 5 9"), ascending, at most max;
 * asked for in windows of SEARCH_WINDOW UIDs so that no answer line grows long. */
static int
search(struct imap *im, unsigned long start, unsigned long uidnext, size_t max,
    unsigned long **uids, size_t *n, char *err, size_t errlen)
{
	unsigned long *u = calloc(max + 1, sizeof(*u)), lo, x;
	char cmd[96], *p, *end;
	size_t k = 0;
	int r = 0;

	if (u == NULL)
		return -ENOMEM;
	for (lo = start; r == 0 && lo < uidnext && k < max; lo += SEARCH_WINDOW) {
		unsigned long hi =
		    lo + SEARCH_WINDOW - 1 < uidnext - 1 ? lo + SEARCH_WINDOW - 1 : uidnext - 1;

		snprintf(cmd, sizeof(cmd), "UID SEARCH UID %lu:%lu", lo, hi);
		if ((r = run(im, im->mailbox, cmd, 1u << 20, err, errlen)) < 0)
			break;
		sbuf_add(&im->resp, "", 1);
		p = im->resp.s != NULL ? strstr(im->resp.s, "* SEARCH") : NULL;
		for (p = p != NULL ? p + 8 : NULL; p != NULL && k < max; p = end) {
			x = strtoul(p, &end, 10);
			if (end == p)
				break;
			if (x >= lo && x <= hi)
				u[k++] = x;
		}
	}
	if (r < 0) {
		free(u);
		return r;
	}
	*uids = u;
	*n = k;
	return 0;
}

static int
cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

/* The UIDVALIDITY of the mailbox (STATUS, RFC 3501 §6.3.10). */
static int
status(struct imap *im, char *err, size_t errlen)
{
	char cmd[300], q[260];
	int r;

	if (quoted(im->mailbox, q, sizeof(q)) < 0) {
		snprintf(err, errlen, "replies.url: a mailbox name without '\"' or '\\'");
		return -EINVAL;
	}
	snprintf(cmd, sizeof(cmd), "STATUS %s (UIDVALIDITY UIDNEXT)", q);
	if ((r = run(im, "", cmd, 65536, err, errlen)) < 0)
		return r;
	sbuf_add(&im->resp, "", 1);
	if ((im->uidvalidity = number_after(im->resp.s, "UIDVALIDITY ")) == 0) {
		snprintf(err, errlen, "IMAP STATUS: the server sent no UIDVALIDITY");
		return -EIO;
	}
	if ((im->uidnext = number_after(im->resp.s, "UIDNEXT ")) == 0) {
		snprintf(err, errlen, "IMAP STATUS: the server sent no UIDNEXT");
		return -EIO;
	}
	return 0;
}

static int
imap_list(void *s, const char *cursor, size_t max, struct replysource_msg **msgs, size_t *n,
    char *err, size_t errlen)
{
	struct imap *im = s;
	struct replysource_msg *v = NULL;
	unsigned long start = 1, cv = 0, cu = 0, *uids = NULL;
	size_t nu = 0, k = 0, cap = 0;
	int r;

	if ((r = status(im, err, errlen)) < 0)
		return r;
	if (cursor != NULL && sscanf(cursor, "%lu:%lu", &cv, &cu) == 2 && cv == im->uidvalidity)
		start = cu + 1;
	if ((r = search(im, start, im->uidnext, max, &uids, &nu, err, errlen)) < 0)
		return r;
	if (nu > 0)
		qsort(uids, nu, sizeof(*uids), cmp_ulong);
	for (size_t i = 0; r == 0 && i < nu; i += SIZE_BATCH) {
		size_t last = i + SIZE_BATCH < nu ? i + SIZE_BATCH - 1 : nu - 1;

		r = sizes(im, uids[i], uids[last], &v, &k, &cap, err, errlen);
	}
	free(uids);
	if (r < 0) {
		free(v);
		return r;
	}
	*msgs = v;
	*n = k < max ? k : max;
	return 0;
}

static int
imap_fetch(void *s, const struct replysource_msg *m, size_t limit, char **data, size_t *len,
    char *err, size_t errlen)
{
	struct imap *im = s;
	char path[600];
	const char *uid = strchr(m->id, '.');
	int r;

	if (m->size > limit)
		return -EFBIG;
	snprintf(path, sizeof(path), "%s;UIDVALIDITY=%lu/;UID=%s", im->mailbox, im->uidvalidity,
	    uid != NULL ? uid + 1 : "0");
	if ((r = run(im, path, NULL, limit, err, errlen)) < 0)
		return r;
	if (sbuf_finish(&im->resp, data, len) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	im->resp = (struct sbuf)SBUF_INIT;
	return 0;
}

/* UID MOVE (RFC 6851), or what it stands for on a server without it. */
static int
imap_done(void *s, const struct replysource_msg *m, char *err, size_t errlen)
{
	struct imap *im = s;
	const char *uid = strchr(m->id, '.') + 1;
	char cmd[400], q[260];
	int r;

	quoted(im->processed, q, sizeof(q));
	if (im->has_move) {
		snprintf(cmd, sizeof(cmd), "UID MOVE %s %s", uid, q);
		return run(im, im->mailbox, cmd, 65536, err, errlen);
	}
	snprintf(cmd, sizeof(cmd), "UID COPY %s %s", uid, q);
	if ((r = run(im, im->mailbox, cmd, 65536, err, errlen)) < 0)
		return r;
	snprintf(cmd, sizeof(cmd), "UID STORE %s +FLAGS.SILENT (\\Deleted)", uid);
	if ((r = run(im, im->mailbox, cmd, 65536, err, errlen)) < 0)
		return r;
	/* Without UIDPLUS, EXPUNGE also removes what others flagged \Deleted: that is what
	 * they asked for. */
	snprintf(cmd, sizeof(cmd), im->has_uidplus ? "UID EXPUNGE %s" : "EXPUNGE", uid);
	return run(im, im->mailbox, im->has_uidplus ? cmd : "EXPUNGE", 65536, err, errlen);
}

static void
imap_close(void *v)
{
	struct imap *im = v;

	if (im == NULL)
		return;
	if (im->curl != NULL)
		curl_easy_cleanup(im->curl); /* says LOGOUT */
	curl_global_cleanup();
	if (im->password != NULL)
		explicit_bzero(im->password, strlen(im->password));
	free(im->password);
	free(im->base);
	free(im->mailbox);
	sbuf_free(&im->resp);
	free(im);
}

const struct replysource_ops replysource_imap_ops = {
	imap_list,
	imap_fetch,
	imap_done,
	imap_close,
};
