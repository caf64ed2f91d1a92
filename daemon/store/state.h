/* state: what the daemon is doing, as kapd records it and kapctl status reads it: the
 * daemon_state facts (unix times written as text), the delivery queue's counts and newest
 * failure, the feeds' summary; and re-arming deliveries (kapctl queue retry). */
#ifndef KAPD_STATE_H
#define KAPD_STATE_H

#include <stddef.h>
#include <time.h>

#include "store/db.h"

struct state_status {
	long long sending, deferred, failed, sent;
	long long next_attempt;                  /* earliest retry of a deferred mail, -1: none */
	char *fail_email, *fail_error, *fail_at; /* the newest permanent failure (or NULL) */
	int have_feeds;                          /* the feed table exists (schema 3 on) */
	long long feed_plans, feed_people;       /* feeds of plans and of people */
	long long feed_pending;                  /* feeds still to be (re)written */
	char *feed_written;                      /* when a feed file was last replaced (UTC) */
};

/* Records the fact key = t (best effort: losing one is harmless). */
void state_remember(sqlite3 *db, const char *key, time_t t);
/* Removes the fact key (best effort). */
void state_forget(sqlite3 *db, const char *key);
/* Deliveries not yet accepted by the mail server (sending or deferred); -1 on error. */
long long state_queue_depth(sqlite3 *db);
/* Calls fact for every daemon_state row, then fills *s (free it with state_status_free,
 * also after a failure).  0 or a negative errno with err filled. */
int state_read(sqlite3 *db, void (*fact)(void *ctx, const char *key, const char *value), void *ctx,
    struct state_status *s, char *err, size_t errlen);
void state_status_free(struct state_status *s);
/* Re-arms deferred or failed deliveries (id, or all for id 0): due at the next check,
 * with a fresh attempt count and give_up_after counted from now.  The number re-armed, or
 * a negative errno with err filled. */
int state_retry(sqlite3 *db, long long id, time_t now, char *err, size_t errlen);

#endif
