/* replyrun: reading the replies that arrived, once per check (SPEC §8).  Each message is
 * parsed, checked (key, sender, items, automatic mail), applied and recorded in one
 * transaction, then marked handled at its source; answers are sent after, and ones a
 * crash or a mail server left waiting at the next run.  Runs after the check's mails, so
 * a slow or dead mail source never holds up a deadline mail. */
#ifndef KAPD_REPLYRUN_H
#define KAPD_REPLYRUN_H

#include "store/db.h" /* the sqlite3 handle */
#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "io/transport.h"
#include "lib/errlist.h"

#define REPLYRUN_MAX_MESSAGE (1024 * 1024) /* bytes; larger messages are set aside */

struct replyrun_stats {
	size_t fetched;    /* messages read from the source */
	size_t applied;    /* replies that changed the plan */
	size_t unchanged;  /* accepted replies that changed nothing */
	size_t refused;    /* unknown or expired key, another sender, no key */
	size_t automatic;  /* automatic mail (RFC 3834): no change, no answer */
	size_t unreadable; /* too large or not a mail */
	size_t replayed;   /* handled before (a refetch after a crash, a replay) */
	size_t answered;   /* answers sent */
	size_t waiting;    /* messages left for the next check (bounds) */
};

/* One run.  Every message's outcome is a line in notes (for the log; never the reply
 * key); a negative return means the source or the database failed, with err filled.
 * tp may be NULL: answers then wait for the next run. */
int replyrun(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp,
    const struct transport_hooks *hooks, time_t now, struct replyrun_stats *st,
    struct errlist *notes, char *err, size_t errlen);

#endif
