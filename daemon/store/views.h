/* views: the read-only listings kapctl prints (accounts, plans, people, what is due, the
 * audit trail of mails, the delivery queue), handed over row by row as plain values, so
 * the program formats and never sees SQL. */
#ifndef KAPD_VIEWS_H
#define KAPD_VIEWS_H

#include <stddef.h>

#include "store/db.h"

#define VIEW_MAX_COLS 16

enum view_type { VIEW_NULL = 0, VIEW_INT, VIEW_TEXT };

/* One value of a row: s is its text form (NULL for SQL NULL), i its integer value. */
struct view_value {
	enum view_type type;
	long long i;
	const char *s;
};

/* Called for each row (values valid during the call); non-zero stops the listing and is
 * returned. */
typedef int view_row_fn(void *ctx, const struct view_value *v, int n);

enum view_listing { VIEW_ACCOUNTS = 0, VIEW_PLANS, VIEW_PEOPLE };

/* kapctl list: accounts (key, name, industry, rating, active plans), plans (key, account,
 * state, KAM, next review, open items, title) or people (key, name, email, language,
 * timezone, notify), in display order.  Listings return 0 or a negative errno with err
 * filled (SQLite's message). */
int view_list(
    sqlite3 *db, enum view_listing what, view_row_fn *cb, void *ctx, char *err, size_t errlen);
/* kapctl due: open items and annual updates of active plans due on or before until
 * (YYYY-MM-DD), optionally of one plan or owner: kind ("milestone", "activity", "plan"),
 * key, title, due, owner key, owner name, plan key; by due date. */
int view_due(sqlite3 *db, const char *until, const char *plan, const char *person, view_row_fn *cb,
    void *ctx, char *err, size_t errlen);
/* kapctl log: the newest limit notifications, optionally of one plan or recipient (or
 * on their behalf): slot (UTC), state, recipient, email, rule, stage, kind, item, plan,
 * deadline, on behalf of, Message-ID, last error. */
int view_log(sqlite3 *db, const char *plan, const char *person, long limit, view_row_fn *cb,
    void *ctx, char *err, size_t errlen);
/* kapctl queue: deliveries sending, deferred or failed (failed last): id, state, email,
 * attempts, next attempt (UTC), slot (UTC), notifications, last error, Message-ID. */
int view_queue(sqlite3 *db, view_row_fn *cb, void *ctx, char *err, size_t errlen);

#endif
