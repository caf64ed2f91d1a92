/* pages: the plan pages (SPEC §9).  One self-contained HTML5 file per active plan in
 * pages.directory, named TOKEN.html after the plan's own 128-bit token (not its feed's),
 * written after each check only when its bytes changed, atomically (the feeds' file
 * machinery); pages of plans no longer active and of rotated tokens are removed.  The
 * page itself is composed by core/page.c from store/page_facts.c. */
#ifndef KAPD_PAGES_H
#define KAPD_PAGES_H

#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "lib/errlist.h"
#include "lib/sbuf.h"
#include "store/db.h"
#include "store/pagestore.h"

struct pages_stats {
	size_t pages;   /* active plans, each with its page */
	size_t written; /* files replaced */
	size_t same;    /* composed into the bytes already there: left alone */
	size_t removed; /* files of rotated tokens and of plans no longer active */
	size_t failed;  /* pages that could not be written (the old file stays) */
};

/* Appends the page of plan_key as it is at instant now (the plan's local date decides
 * what is overdue) to out.  -ENOENT when there is no such plan; negative errno with err. */
int pages_render(sqlite3 *db, const struct kapd_config *cfg, const char *plan_key, time_t now,
    struct sbuf *out, char *err, size_t errlen);
/* Writes the page of every active plan whose bytes changed and removes the pages of
 * rotated tokens and of plans no longer active.  A page that cannot be written is
 * appended to problems and keeps its previous file.  Negative (with err) when nothing
 * could be decided: the database or the directory failed. */
int pages_publish(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct pages_stats *st,
    struct errlist *problems, char *err, size_t errlen);
/* Removes temporary files a crash left in dir; *removed (may be NULL) receives how many. */
int pages_clean_stale(const char *dir, size_t *removed, char *err, size_t errlen);

/* Calls cb for each active plan's page (by key), giving plans without a token one (a
 * write).  cb returning non-zero stops and is returned. */
int pages_list(sqlite3 *db, int (*cb)(void *ctx, const struct pagestore_entry *e), void *ctx,
    char *err, size_t errlen);
/* A new token for the page of plan KEY; the old file goes at the daemon's next check.
 * -ENOENT: no such plan. */
int pages_rotate(
    sqlite3 *db, const char *key, char token[TOKEN_FEED_LEN + 1], char *err, size_t errlen);
/* Appends the page's URL: base_url (a "/" added when it lacks one) + TOKEN.html. */
void pages_url(const char *base_url, const char *token, struct sbuf *out);

#endif
