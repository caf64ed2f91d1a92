/* feeds_impl: what feeds.c (the database half) and feeds_file.c (the files) share.
 * Internal to the feeds module. */
#ifndef KAPD_FEEDS_IMPL_H
#define KAPD_FEEDS_IMPL_H

#include <sqlite3.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "lib/errlist.h"
#include "run/feeds.h"
#include "core/ics.h"
#include "lib/kdate.h"

enum feeds_scope { SCOPE_ALL = 0, SCOPE_PLAN, SCOPE_PERSON };

/* A person has a feed while on the team of an active plan or owning an item of one. */
#define NEEDED_PERSON \
	"(EXISTS (SELECT 1 FROM team_member t JOIN plan p ON p.id = t.plan_id" \
	" WHERE t.person_id = o.id AND p.state = 'active')" \
	" OR EXISTS (SELECT 1 FROM activity a JOIN plan p ON p.id = a.plan_id" \
	" WHERE a.owner_id = o.id AND p.state = 'active')" \
	" OR EXISTS (SELECT 1 FROM milestone m JOIN plan p ON p.id = m.plan_id" \
	" WHERE m.owner_id = o.id AND p.state = 'active'))"

struct feed {
	sqlite3_int64 row;       /* feed.id */
	sqlite3_int64 owner;     /* plan.id or person.id */
	int is_plan;
	char token[FEEDS_TOKEN_LEN + 1];
	char *name;              /* plan title or person name */
	char *tz;
	enum ics_lang lang;
	char old_digest[17], old_content[17];  /* as stored; "" for none */
	uint64_t sum;            /* of its events' hashes */
	size_t n_events;
	uint64_t digest;         /* of everything the file shows */
	uint64_t content;        /* hash of the bytes written */
	int dirty;               /* digest differs from the stored one */
	int done;                /* written, or found identical: record digest and content */
	int replaced;            /* the file was replaced */
};

struct change {
	enum ics_kind kind;
	sqlite3_int64 id;
	long seq;
	uint64_t digest;
	time_t changed;
	int known;          /* the item has a feed_item row */
};

struct feeds_run {
	sqlite3 *db;
	const struct kapd_config *cfg;
	time_t now;
	char cutoff[KDATE_STRLEN];  /* first closing day of done/cancelled items shown */
	struct feed *f;             /* plans (sorted by id), then people (sorted by id) */
	size_t n, cap, n_plans;
	struct change *changes;
	size_t n_changes, cap_changes;
	struct feeds_stats *st;
	struct errlist *problems;
	int dirfd;
};

/* The events query of kind for a scope (?1 the cutoff day, ?2 the plan or person id). */
int feeds_prepare(sqlite3 *db, enum ics_kind kind, enum feeds_scope scope, sqlite3_stmt **st,
    char *err, size_t errlen);
/* The event of the current row (strings point into the statement's row). */
int feeds_row_event(sqlite3_stmt *st, enum ics_kind kind, time_t now, struct ics_event *ev);
/* Every plan and person that needs a feed gets a token; writes only when one is missing. */
int feeds_ensure_tokens(sqlite3 *db, char *err, size_t errlen);
/* 128 bits from getrandom() as 32 lowercase hex digits. */
int feeds_new_token(char token[FEEDS_TOKEN_LEN + 1], char *err, size_t errlen);

int feeds_open_dir(struct feeds_run *x, char *err, size_t errlen);
void feeds_close_dir(struct feeds_run *x);
/* Writes every dirty feed and every feed whose file is missing. */
int feeds_write_all(struct feeds_run *x, char *err, size_t errlen);
/* Removes TOKEN.ics files whose token belongs to no feed that exists now. */
int feeds_remove_old(struct feeds_run *x, char *err, size_t errlen);

#endif
