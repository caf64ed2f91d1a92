#include "store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/token.h"
#include "store/migrations.h"

int
db_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW: return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return -EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return -EBADMSG;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH: return -EINVAL;
	default: return -EIO;
	}
}

static int
fail(sqlite3 *db, int rc, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return db_errno(rc) ? db_errno(rc) : -EIO;
}

int
db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return db_errno(rc) ? db_errno(rc) : -EIO;
	}
	return 0;
}

int
db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return fail(db, rc, err, errlen, "cannot prepare statement");
	return 0;
}

struct db_stmts {
	sqlite3 *db;
	struct db_stmt_entry {
		const char *sql;
		sqlite3_stmt *st;
	} * e;
	size_t n, cap;
};

struct db_stmts *
db_stmts_new(sqlite3 *db)
{
	struct db_stmts *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->db = db;
	return c;
}

int
db_stmts_get(struct db_stmts *c, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	struct db_stmt_entry *e;
	size_t i;
	int r;

	for (i = 0; i < c->n; i++)
		if (c->e[i].sql == sql) {
			sqlite3_reset(c->e[i].st);
			sqlite3_clear_bindings(c->e[i].st);
			*st = c->e[i].st;
			return 0;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;

		if ((e = realloc(c->e, cap * sizeof(*e))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c->e = e;
		c->cap = cap;
	}
	if ((r = db_prepare(c->db, sql, &c->e[c->n].st, err, errlen)) < 0)
		return r;
	c->e[c->n].sql = sql;
	*st = c->e[c->n++].st;
	return 0;
}

int
db_stmts_or_prepare(
    struct db_stmts *c, sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen)
{
	return c != NULL ? db_stmts_get(c, sql, st, err, errlen)
	                 : db_prepare(db, sql, st, err, errlen);
}

void
db_stmts_done(struct db_stmts *c, sqlite3_stmt *st)
{
	if (c != NULL)
		sqlite3_reset(st);
	else
		sqlite3_finalize(st);
}

void
db_stmts_free(struct db_stmts *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		sqlite3_finalize(c->e[i].st);
	free(c->e);
	free(c);
}

static int
pragma_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int
db_version(sqlite3 *db)
{
	int v = -1;

	if (pragma_int(db, "PRAGMA user_version", &v) != SQLITE_OK)
		return -1;
	return v;
}

int
db_latest_version(void)
{
	return db_migrations[db_migrations_count - 1].version;
}

int
db_begin(sqlite3 *db, char *err, size_t errlen)
{
	return db_exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int
db_commit(sqlite3 *db, char *err, size_t errlen)
{
	return db_exec(db, "COMMIT", err, errlen);
}

int
db_read_begin(sqlite3 *db, char *err, size_t errlen)
{
	return db_exec(db, "BEGIN DEFERRED", err, errlen);
}

void
db_read_end(sqlite3 *db)
{
	if (db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

int
db_run_id_text(sqlite3 *db, const char *sql, sqlite3_int64 id, const char *text, const char *what,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	if (id > 0)
		sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
		return db_errno(rc);
	}
	return sqlite3_changes(db);
}

int
db_each_row(sqlite3 *db, const char *sql, sqlite3_int64 id, const char *what,
    int (*row)(void *ctx, sqlite3_stmt *st), void *ctx, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row(ctx, st);
	if (r == 0 && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

/* Stops at the first row: there is one. */
static int
any_row(void *ctx, sqlite3_stmt *st)
{
	(void)ctx;
	(void)st;
	return 1;
}

struct tokens {
	sqlite3 *db;
	const char *const *insert, *what;
	char *err;
	size_t errlen;
};

static int
insert_token(void *ctx, sqlite3_stmt *st)
{
	const struct tokens *t = ctx;
	char token[TOKEN_FEED_LEN + 1];
	int r;

	r = token_random_hex(token, TOKEN_FEED_LEN, t->err, t->errlen);
	if (r == 0)
		r = db_run_id_text(t->db, t->insert[sqlite3_column_int(st, 0)],
		    sqlite3_column_int64(st, 1), token, t->what, t->err, t->errlen);
	return r < 0 ? r : 0;
}

int
db_ensure_tokens(sqlite3 *db, const char *missing, const char *const *insert, const char *what,
    char *err, size_t errlen)
{
	struct tokens t = { db, insert, what, err, errlen };
	int r;

	/* Most checks find nothing missing: a read, and no write lock taken. */
	r = db_each_row(db, missing, 0, what, any_row, NULL, err, errlen);
	if (r <= 0)
		return r;
	r = db_begin(db, err, errlen);
	if (r == 0)
		r = db_each_row(db, missing, 0, what, insert_token, &t, err, errlen);
	return db_commit_or_rollback(db, r, err, errlen);
}

int
db_id_by_key(
    sqlite3 *db, const char *table, const char *key, sqlite3_int64 *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE key = ?1", table);
	*id = 0;
	r = db_prepare(db, sql, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading %s: %s", table, sqlite3_errmsg(db));
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	return r;
}

void
db_rollback(sqlite3 *db)
{
	if (db != NULL && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

int
db_rotate_token(sqlite3 *db, int r, const char *update, const char *insert, sqlite3_int64 id,
    char *token, const char *what, char *err, size_t errlen)
{
	char fresh[TOKEN_FEED_LEN + 1];

	if (r == 0)
		r = token_random_hex(fresh, TOKEN_FEED_LEN, err, errlen);
	if (r == 0)
		r = db_run_id_text(db, update, id, fresh, what, err, errlen);
	if (r == 0)
		r = db_run_id_text(db, insert, id, fresh, what, err, errlen);
	r = db_commit_or_rollback(db, r, err, errlen);
	if (r == 0)
		memcpy(token, fresh, sizeof(fresh));
	return r;
}

int
db_commit_or_rollback(sqlite3 *db, int r, char *err, size_t errlen)
{
	if (r >= 0)
		r = db_commit(db, err, errlen);
	if (r < 0)
		db_rollback(db);
	return r;
}

/* A file is ours when it carries our application_id, or when it is still empty (a new
 * file, or one created with touch). */
static int
check_identity(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int appid = 0, ntables = 0, version;

	if (pragma_int(db, "PRAGMA application_id", &appid) != SQLITE_OK ||
	    pragma_int(db, "SELECT count(*) FROM sqlite_master", &ntables) != SQLITE_OK)
		return fail(db, sqlite3_errcode(db), err, errlen, path);
	if (appid != DB_APPLICATION_ID && (appid != 0 || ntables != 0)) {
		snprintf(err, errlen, "%s is not a kapd database (application_id 0x%08x)", path,
		    (unsigned)appid);
		return -EPROTO;
	}
	version = db_version(db);
	if (version > db_latest_version()) {
		snprintf(err, errlen,
		    "%s has schema version %d, newer than this kapd (%s) knows (%d); "
		    "use the newer kapd or restore a backup",
		    path, version, KAPD_VERSION, db_latest_version());
		return -EPROTO;
	}
	return 0;
}

/* Waits for a lock another connection holds, up to DB_BUSY_TIMEOUT_MS: 1, 2, then 4 ms
 * between tries.  sqlite3_busy_timeout sleeps up to 100 ms at a time, so a lock released
 * after a few milliseconds cost up to a tenth of a second; the daemon's feeds child and
 * its mails take turns at the database hundreds of times in a first check. */
static int
busy_wait(void *ctx, int tries)
{
	int slept = tries <= 1 ? tries : tries <= 2 ? 3 : 3 + 4 * (tries - 2);

	(void)ctx;
	if (slept >= DB_BUSY_TIMEOUT_MS)
		return 0;
	sqlite3_sleep(tries == 0 ? 1 : tries == 1 ? 2 : 4);
	return 1;
}

static int
configure(sqlite3 *db, int readonly, char *err, size_t errlen)
{
	int r;

	sqlite3_busy_handler(db, busy_wait, NULL);
	sqlite3_extended_result_codes(db, 1);
	r = db_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", err, errlen);
	if (r == 0 && !readonly)
		r = db_exec(db, "PRAGMA journal_mode=DELETE", err, errlen);
	return r;
}

int
db_idle(sqlite3 *db)
{
	sqlite3_stmt *st;

	if (!sqlite3_get_autocommit(db))
		return 0;
	for (st = sqlite3_next_stmt(db, NULL); st != NULL; st = sqlite3_next_stmt(db, st))
		if (sqlite3_stmt_busy(st))
			return 0;
	return 1;
}

int
db_open(const char *path, int flags, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int oflags, rc, r;

	if (flags & DB_OPEN_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else
		oflags =
		    SQLITE_OPEN_READWRITE | ((flags & DB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s%s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
		    (flags & DB_OPEN_CREATE) ? "" : " (create it with: kapctl init)");
		r = db_errno(rc) ? db_errno(rc) : -EIO;
		goto out;
	}
	r = configure(db, flags & DB_OPEN_READONLY, err, errlen);
	if (r == 0)
		r = check_identity(db, path, err, errlen);
	if (r == 0 && (flags & DB_OPEN_MIGRATE))
		r = db_migrate(db, NULL, err, errlen);
	if (r == 0 && !(flags & DB_OPEN_ANY_OLDER) && db_version(db) < db_latest_version()) {
		if (db_version(db) == 0)
			snprintf(err, errlen, "%s is not initialized: run kapctl init", path);
		else
			snprintf(err, errlen,
			    "%s has schema version %d, this kapd needs %d: "
			    "run kapctl migrate",
			    path, db_version(db), db_latest_version());
		r = -ESTALE;
	}
out:
	if (r < 0) {
		sqlite3_close(db);
		return r;
	}
	*out = db;
	return 0;
}

void
db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}

/* One migration, atomically: the DDL and the new user_version commit together, so a
 * crash leaves the old or the new schema, never a mix. */
static int
apply(sqlite3 *db, const struct migration *m, char *err, size_t errlen)
{
	char sql[96], msg[512];
	int r;

	r = db_begin(db, err, errlen);
	if (r < 0)
		return r;
	/* Another process may have migrated while we waited for the lock. */
	if (db_version(db) >= m->version)
		return db_commit(db, err, errlen);
	r = db_exec(db, m->sql, msg, sizeof(msg));
	if (r < 0) {
		snprintf(err, errlen, "migration %s failed: %s", m->name, msg);
		goto out;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d; PRAGMA application_id=%d", m->version,
	    DB_APPLICATION_ID);
	r = db_exec(db, sql, err, errlen);
	if (r == 0)
		r = db_commit(db, err, errlen);
out:
	if (r < 0)
		db_rollback(db);
	return r;
}

int
db_migrate(sqlite3 *db, int *applied, char *err, size_t errlen)
{
	int i, n = 0, r;

	for (i = 0; i < db_migrations_count; i++) {
		if (db_migrations[i].version <= db_version(db))
			continue;
		r = apply(db, &db_migrations[i], err, errlen);
		if (r < 0)
			return r;
		n++;
	}
	if (applied != NULL)
		*applied = n;
	return 0;
}
