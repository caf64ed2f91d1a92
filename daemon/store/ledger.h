/* ledger: the record of what was mailed (SPEC §3: each notification at most once across
 * restarts and crashes).  A delivery (one email) and its notifications are recorded as
 * "sending" in one transaction before the transport is asked, and the outcome after: a
 * crash in between leaves a row that the next check sends again (at-least-once, with a
 * duplicate window of one transport call). */
#ifndef KAPD_LEDGER_H
#define KAPD_LEDGER_H

#include <sqlite3.h>
#include <stddef.h>
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
	const char *token;        /* unique: the Message-ID's left part, the .eml name */
	time_t slot;
	const char *local_date;   /* the recipient's day of the slot */
};

enum ledger_state { LEDGER_SENT, LEDGER_DEFERRED, LEDGER_FAILED };

/* The outcome of a transport attempt; next_attempt only for LEDGER_DEFERRED. */
struct ledger_result {
	sqlite3_int64 id;
	enum ledger_state state;
	const char *error;
	time_t next_attempt;
};

/* Records the delivery and its notifications.  A notification some other process
 * recorded meanwhile is left out (keep[i] = 0); when none is left nothing is recorded and
 * *id = 0.  One IMMEDIATE transaction, which also stores prev (the outcome of the email
 * sent just before, may be NULL): one commit per email instead of two, and the duplicate
 * window stays one transport call. */
int ledger_record(sqlite3 *db, const struct ledger_result *prev, const struct ledger_delivery *d,
    const struct ledger_note *notes, size_t n, int *keep, sqlite3_int64 *id, char *err,
    size_t errlen);
/* Stores an outcome on its own. */
int ledger_outcome(sqlite3 *db, const struct ledger_result *res, char *err, size_t errlen);

#endif
