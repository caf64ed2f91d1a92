/* feeds: publishing the calendar feeds (SPEC §5).  One .ics file per active plan (its
 * milestones, activities and annual update) and one per person on the team of an active
 * plan or owning an item of one (what they own, and the annual updates of the plans they
 * are KAM of), in feeds.directory.  A file is named TOKEN.ics, the token 128 random bits.
 * A check rewrites a feed only when what it shows changed; files of rotated tokens and of
 * plans no longer active are removed.  The rows are store/feedstore's, the files
 * io/feedfile's, the events' text core/ics'. */
#ifndef KAPD_FEEDS_H
#define KAPD_FEEDS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "lib/errlist.h"
#include "lib/sbuf.h"
#include "lib/token.h"
#include "store/db.h"

#define FEEDS_TOKEN_LEN TOKEN_FEED_LEN /* hex digits: 128 bits */

struct feeds_stats {
	size_t feeds;   /* feeds that exist now */
	size_t events;  /* events in them */
	size_t changed; /* events new or changed since the last check (SEQUENCE grew) */
	size_t written; /* files replaced */
	size_t same;    /* rewritten into the very bytes already there: left alone */
	size_t removed; /* files removed: rotated tokens, plans no longer active */
	size_t failed;  /* files that could not be written (the old one stays) */
};

/* Publishes every feed at instant now (whose date in the configured time zone decides
 * which done and cancelled items are still shown).  A file that cannot be written (full
 * disk, permissions) is appended to problems and keeps its previous version; the next
 * check tries again.  A negative return (with err) means nothing could be decided: the
 * database or the directory itself failed. */
int feeds_publish(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct feeds_stats *st,
    struct errlist *problems, char *err, size_t errlen);
/* feeds_publish in three steps, so that the files can be written by another process
 * (run/feedsjob.h) while the caller goes on: feeds_prepare decides which feeds changed
 * and records the changed events (st and problems must outlive the run); feeds_write
 * writes the files, reading the events through db (a connection of the process that
 * calls it); feeds_finish records what was written, removes the files of feeds that are
 * gone, and frees the run.  feeds_result and feeds_set_result carry what feeds_write did
 * for feed i (0 <= i < feeds_count) from one process to the other. */
struct feeds_run;
struct feeds_written {
	unsigned char done, replaced;
	uint64_t content;
};
int feeds_prepare(sqlite3 *db, const struct kapd_config *cfg, time_t now, struct feeds_stats *st,
    struct errlist *problems, struct feeds_run **out, char *err, size_t errlen);
void feeds_write(struct feeds_run *x, sqlite3 *db);
size_t feeds_count(const struct feeds_run *x);
/* How many feeds show something else than their files (missing files not counted). */
size_t feeds_dirty(const struct feeds_run *x);
void feeds_result(const struct feeds_run *x, size_t i, struct feeds_written *w);
void feeds_set_result(struct feeds_run *x, size_t i, const struct feeds_written *w);
int feeds_finish(struct feeds_run *x, char *err, size_t errlen);
/* Gives the feed of the plan or person KEY a new token (kind "plan", "person", or NULL
 * for whichever has that key); the old file disappears at the daemon's next check.
 * token receives the new token; *kind_out "plan" or "person".  -ENOENT: no such key;
 * -EEXIST: both a plan and a person have it. */
int feeds_rotate(sqlite3 *db, const char *kind, const char *key, char token[FEEDS_TOKEN_LEN + 1],
    const char **kind_out, char *err, size_t errlen);
/* Appends the subscription URL: base_url (a "/" added when it lacks one) + TOKEN.ics. */
void feeds_url(const char *base_url, const char *token, struct sbuf *out);

#endif
