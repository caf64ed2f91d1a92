/* ledger: the record of what was mailed (SPEC §3: each notification at most once across
 * restarts and crashes).  A delivery (one email) and its notifications are recorded as
 * "sending" in one transaction before the transport is asked, and the outcome after: a
 * crash in between leaves a row that the next check sends again (at-least-once, with a
 * duplicate window of one transport call). */
#ifndef KAPD_LEDGER_H
#define KAPD_LEDGER_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ledger_note {
	const char *rule, *kind, *item_key, *plan_key, *deadline, *stage;
	const char *recipient_key, *on_behalf_key, *title, *owner_name;
	int unowned, at_risk;
};

struct ledger_delivery {
	const char *recipient_key;
	const char *email;
	int immediate;
	const char *token; /* unique: the Message-ID's left part, the .eml name */
	time_t slot;
	const char *local_date; /* the recipient's day of the slot */
};

enum ledger_state { LEDGER_SENT, LEDGER_DEFERRED, LEDGER_FAILED };

/* The outcome of a transport attempt at time at; next_attempt only for LEDGER_DEFERRED. */
struct ledger_result {
	int64_t id;
	enum ledger_state state;
	const char *error;
	time_t next_attempt;
	time_t at;
};

/* Records the delivery and its notifications.  A notification some other process
 * recorded meanwhile is left out (keep[i] = 0); when none is left nothing is recorded and
 * *id = 0.  One IMMEDIATE transaction, which also stores prev (the outcome of the email
 * sent just before, may be NULL): one commit per email instead of two, and the duplicate
 * window stays one transport call. */
int ledger_record(sqlite3 *db, const struct ledger_result *prev, const struct ledger_delivery *d,
    const struct ledger_note *notes, size_t n, int *keep, int64_t *id, char *err, size_t errlen);
/* One email of a batch: its delivery and notifications; keep (n entries) and id are
 * filled as by ledger_record. */
struct ledger_mail {
	struct ledger_delivery d;
	const struct ledger_note *notes;
	size_t n;
	int *keep;
	int64_t id;
};
/* ledger_record for the n emails of a batch, with the outcomes prev[0..n_prev-1] of the
 * batch before, in one IMMEDIATE transaction.  Only for a transport that stores each
 * email under its token (sending it again replaces it): the duplicate window becomes
 * the batch, and a resent email lands on its own earlier copy. */
int ledger_record_batch(sqlite3 *db, const struct ledger_result *prev, size_t n_prev,
    struct ledger_mail *m, size_t n, char *err, size_t errlen);
/* Stores the outcomes res[0..n-1] in one transaction (waiting as ledger_outcome). */
int ledger_outcomes(
    sqlite3 *db, const struct ledger_result *res, size_t n, char *err, size_t errlen);
/* Stores an outcome on its own.  No statement of db may be open: the write then waits
 * for another writer (busy timeout), and a lock still held after that is waited for again
 * a few times before -EBUSY is returned. */
int ledger_outcome(sqlite3 *db, const struct ledger_result *res, char *err, size_t errlen);

/* A delivery to send again: left in "sending" by a crash, or deferred and due. */
struct ledger_retry {
	int64_t id;
	char *email, *token, *local_date, *to_name, *lang;
	int attempts;
	time_t armed_at;
};
/* All deliveries due for another attempt at now, read at once (no statement stays open
 * while the caller sends and writes).  *out (caller frees with ledger_retries_free) is set
 * only on success. */
int ledger_due_retries(
    sqlite3 *db, time_t now, struct ledger_retry **out, size_t *n, char *err, size_t errlen);
void ledger_retries_free(struct ledger_retry *r, size_t n);

/* A recorded notification of a delivery, as the email showed it. */
struct ledger_stored_note {
	char *rule, *kind, *item_key, *plan_key, *deadline, *stage, *title, *owner_name;
	char *plan_title, *on_behalf_name;
	int unowned, at_risk;
	int to_sponsor; /* it went to the plan's sponsor (or their substitute) */
};
struct ledger_stored {
	struct ledger_stored_note *notes;
	size_t n;
	char *reply_to; /* the KAM of the first note's plan, or NULL */
};
/* The notifications of delivery id.  s is filled (free with ledger_stored_free) even on
 * failure, so it can always be freed. */
int ledger_load_delivery(
    sqlite3 *db, int64_t id, struct ledger_stored *s, char *err, size_t errlen);
void ledger_stored_free(struct ledger_stored *s);

/* Open items due on or before until, streamed inside the caller's read transaction.  For
 * each item the callback gets the ledger lines already recorded for its current deadline
 * ("rule stage recipient", one a line, or NULL).  at_risk is set for milestones with
 * linked open activities due before today.  A negative callback return stops the stream
 * and is returned. */
struct ledger_item {
	int milestone;
	const char *key, *title, *due, *mailed;
	int64_t plan_id, owner_id; /* owner_id 0: none */
	int at_risk;
};
typedef int (*ledger_item_fn)(void *ctx, const struct ledger_item *it);
int ledger_stream_items(sqlite3 *db, const char *until, const char *today, ledger_item_fn fn,
    void *ctx, char *err, size_t errlen);

/* Whether a plan-level notification was recorded (the lookup keeps one prepared statement,
 * reset after each use so it holds no lock). */
struct ledger_lookup;
int ledger_lookup_new(sqlite3 *db, struct ledger_lookup **out, char *err, size_t errlen);
void ledger_lookup_free(struct ledger_lookup *lk);
int ledger_plan_mailed(struct ledger_lookup *lk, const char *rule, const char *plan_key,
    const char *deadline, const char *stage, const char *recipient_key);

#endif
