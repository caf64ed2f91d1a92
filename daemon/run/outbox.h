/* outbox: the sending half of a check.  Collects the notifications due at this slot,
 * groups them into one digest per person (or one email each in immediate mode), records
 * them in the ledger, composes and hands them to the transport, and records the outcome.
 * Also sends again what a crash left unfinished and retries temporary failures with
 * exponential backoff until delivery.give_up_after. */
#ifndef KAPD_OUTBOX_H
#define KAPD_OUTBOX_H

#include "store/db.h" /* the opaque sqlite3 handle */
#include <time.h>

#include "conf/config.h"
#include "io/transport.h"
#include "lib/errlist.h"
#include "run/stats.h"
#include "core/rules.h"
#include "store/world.h"

struct outbox;

struct outbox *outbox_new(sqlite3 *db, const struct kapd_config *cfg, struct transport *tp,
    time_t now, struct check_stats *st, struct errlist *problems);
void outbox_free(struct outbox *ob);
/* Keeps a notification due now (copies what it needs). */
int outbox_add(
    struct outbox *ob, const struct rules_notification *n, const char *stage, const char *title);
/* Sends everything kept.  Problems with single emails go to problems; a negative return
 * means the ledger could not be written. */
int outbox_flush(
    struct outbox *ob, const struct world *w, struct rules *rules, char *err, size_t errlen);
/* Sends deliveries left in "sending" and deferred ones whose time came. */
int outbox_retry(struct outbox *ob, char *err, size_t errlen);

#endif
