/* feedstore: the calendar feeds' rows in the database (SPEC §5): which feeds exist and
 * their secret tokens, the events each one shows, and what the last check recorded (the
 * feed_item sequences and digests, each feed's digest and content hash).  The files
 * themselves are io/feedfile's; deciding and publishing is run/feeds'. */
#ifndef KAPD_FEEDSTORE_H
#define KAPD_FEEDSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/ics.h"
#include "lib/token.h"
#include "store/db.h"

/* One feed that exists now (a plan's or a person's); strings valid during the callback. */
struct feedstore_feed {
	int64_t row;   /* feed.id */
	int64_t owner; /* plan.id or person.id */
	int is_plan;
	const char *token;
	const char *digest;   /* as recorded by the last check, or NULL */
	const char *content;  /* hash of the bytes last written, or NULL */
	const char *name;     /* plan title or person name (may be NULL) */
	const char *language; /* plan's (else its KAM's) or person's language, or NULL */
	const char *tz;       /* time zone, or NULL */
};

/* One event read for a feed; strings point into the row (valid during the callback). */
struct feedstore_event {
	struct ics_event ev;
	int64_t id;         /* item (or plan, for the annual update) row id */
	int64_t plan;       /* plan.id */
	int64_t owner;      /* person.id of the owner (the KAM's for a review), 0: none */
	int known;          /* it has a feed_item row (ev.sequence, ev.changed from it) */
	uint64_t digest;    /* recorded digest when known */
	time_t row_changed; /* the row's updated_at (now when unreadable) */
};

/* A changed event to record: a new feed_item row, or (known) a bumped sequence. */
struct feedstore_change {
	enum ics_kind kind;
	int64_t id;
	long seq;
	uint64_t digest;
	time_t changed;
	int known;
};

/* What a check did with one feed's file. */
struct feedstore_written {
	int64_t row;
	const char *token;
	uint64_t digest, content;
	int replaced; /* the file was replaced: written_at becomes now */
};

/* One feed as kapctl lists it. */
struct feedstore_entry {
	const char *kind; /* "plan" or "person" */
	const char *key;
	const char *name; /* plan title or person name */
	const char *token;
	const char *written_at; /* UTC; NULL until the daemon first wrote the file */
};

/* Callbacks return 0 to go on, a positive value to stop quietly, a negative errno to
 * stop with that error (returned).  Rows the schema's checks should have refused are
 * skipped. */
typedef int feedstore_event_fn(void *ctx, const struct feedstore_event *e);

/* Every active plan and every person who needs a feed (on the team of an active plan or
 * owning an item of one) gets a token; writes only when one is missing. */
int feedstore_ensure_tokens(sqlite3 *db, char *err, size_t errlen);
/* Calls cb for every feed that exists now: plans by id, then people by id. */
int feedstore_load(sqlite3 *db, int (*cb)(void *ctx, const struct feedstore_feed *f), void *ctx,
    char *err, size_t errlen);
/* The whole-database pass over the events of kind shown on or after cutoff (done and
 * cancelled items closed before it are not): batches of at most batch events by id, each
 * in its own read transaction, then batch_done(ctx) (to record what changed). */
int feedstore_scan(sqlite3 *db, enum ics_kind kind, const char *cutoff, time_t now, size_t batch,
    feedstore_event_fn *cb, int (*batch_done)(void *ctx, char *err, size_t errlen), void *ctx,
    char *err, size_t errlen);
/* The statements reading feeds' events, prepared once per check (and reset after each
 * use, so that none holds a lock between two feeds). */
struct feedstore_reader;
int feedstore_reader_new(sqlite3 *db, struct feedstore_reader **out);
void feedstore_reader_free(struct feedstore_reader *rd);
/* The events of kind in the feed of a plan (is_plan) or person owner, in feed order.
 * The caller holds a read transaction (db_read_begin) across the kinds of one file. */
int feedstore_events(struct feedstore_reader *rd, enum ics_kind kind, int is_plan, int64_t owner,
    const char *cutoff, time_t now, feedstore_event_fn *cb, void *ctx, char *err, size_t errlen);
/* Records changed events, in one write transaction. */
int feedstore_record_changes(
    sqlite3 *db, const struct feedstore_change *c, size_t n, char *err, size_t errlen);
/* Records what was written (or found identical) at now, in one write transaction; a
 * feed whose token was rotated meanwhile is left alone. */
int feedstore_record_written(
    sqlite3 *db, const struct feedstore_written *w, size_t n, time_t now, char *err, size_t errlen);
/* Calls cb for every feed that exists now (plans first, then people, by key), giving the
 * ones without a token a new one (a write).  cb returning non-zero stops and is returned. */
int feedstore_list(sqlite3 *db, int (*cb)(void *ctx, const struct feedstore_entry *e), void *ctx,
    char *err, size_t errlen);
/* Gives the feed of the plan or person KEY a new token (kind "plan", "person", or NULL
 * for whichever has that key).  token receives it; *kind_out "plan" or "person".
 * -ENOENT: no such key; -EEXIST: both a plan and a person have it. */
int feedstore_rotate(sqlite3 *db, const char *kind, const char *key, char token[TOKEN_FEED_LEN + 1],
    const char **kind_out, char *err, size_t errlen);

#endif
