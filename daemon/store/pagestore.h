/* pagestore: the plan pages' rows in the database (SPEC §9): each active plan's page
 * token and the hash of the bytes last written.  The files are io/feedfile's, the page
 * core/page's, publishing run/pages'. */
#ifndef KAPD_PAGESTORE_H
#define KAPD_PAGESTORE_H

#include <stddef.h>

#include "lib/token.h"
#include "store/db.h"

/* One active plan's page; strings valid during the callback. */
struct pagestore_entry {
	const char *key; /* the plan's */
	const char *title;
	const char *token;
	const char *content;    /* hash of the bytes last written (hex), or NULL */
	const char *written_at; /* UTC; NULL until the daemon first wrote the page */
};

/* Every active plan gets a page token; writes only when one is missing. */
int pagestore_ensure_tokens(sqlite3 *db, char *err, size_t errlen);
/* Calls cb for every active plan's page, by plan key (after pagestore_ensure_tokens).
 * cb returning non-zero stops and is returned. */
int pagestore_list(sqlite3 *db, int (*cb)(void *ctx, const struct pagestore_entry *e), void *ctx,
    char *err, size_t errlen);
/* Records that the page with token now has the bytes of hash content (hex); replaced:
 * the file was replaced, so written_at becomes now (UTC).  A rotated token is left
 * alone. */
int pagestore_record(
    sqlite3 *db, const char *token, const char *content, int replaced, char *err, size_t errlen);
/* A new token for the page of plan KEY (token receives it); the written state is
 * forgotten so the next check writes the file under the new name.  -ENOENT: no such
 * plan. */
int pagestore_rotate(
    sqlite3 *db, const char *key, char token[TOKEN_FEED_LEN + 1], char *err, size_t errlen);

#endif
