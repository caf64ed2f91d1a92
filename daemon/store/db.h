/* db: the SQLite database shared by kapd and kapctl.  Rollback journal (not WAL, see
 * README), synchronous=FULL, foreign keys on, a busy timeout, and writes that start with
 * BEGIN IMMEDIATE so a second writer waits instead of failing. */
#ifndef KAPD_DB_H
#define KAPD_DB_H

#include <stddef.h>
#include <sqlite3.h>

#define DB_APPLICATION_ID 0x6b617064 /* "kapd" */
#define DB_BUSY_TIMEOUT_MS 10000

enum {
	DB_OPEN_CREATE = 1 << 0,  /* create the file when missing */
	DB_OPEN_MIGRATE = 1 << 1, /* bring the schema up to date */
	DB_OPEN_READONLY = 1 << 2,
	DB_OPEN_ANY_OLDER = 1 << 3, /* accept an older schema (kapctl migrate) */
};

/* Opens path and configures the connection.  Refuses a file of another application or a
 * schema newer than this binary (-EPROTO), and without DB_OPEN_MIGRATE a schema older than
 * this binary (-ESTALE: "run kapctl migrate").  *out is set only on success. */
int db_open(const char *path, int flags, sqlite3 **out, char *err, size_t errlen);
void db_close(sqlite3 *db);
/* 1 when the connection holds no lock: no transaction open and no statement stepping.
 * Only then may the process fork a child that opens a connection of its own to the same
 * file (SQLite keeps a process's locks per file, and the child inherits that memory). */
int db_idle(sqlite3 *db);
/* Applies every missing migration, each in its own IMMEDIATE transaction that also sets
 * user_version.  *applied (may be NULL) receives how many ran. */
int db_migrate(sqlite3 *db, int *applied, char *err, size_t errlen);
/* The schema version of the file (PRAGMA user_version) and of this binary. */
int db_version(sqlite3 *db);
int db_latest_version(void);

/* Transactions: db_begin starts an IMMEDIATE (write) transaction. */
int db_begin(sqlite3 *db, char *err, size_t errlen);
int db_commit(sqlite3 *db, char *err, size_t errlen);
void db_rollback(sqlite3 *db);
/* Ends the write transaction db_begin started, given r, the outcome of the work done in
 * it: commits when r >= 0 and returns 0 (or the commit's error), rolls back when r or the
 * commit is negative and returns that error. */
int db_commit_or_rollback(sqlite3 *db, int r, char *err, size_t errlen);
/* A read transaction (BEGIN DEFERRED): one consistent view for several queries; ending
 * it (COMMIT) changes nothing that was read.  Nothing may be written inside it (a writer
 * holding a read lock gets SQLITE_BUSY at once, without waiting). */
int db_read_begin(sqlite3 *db, char *err, size_t errlen);
void db_read_end(sqlite3 *db);
/* Runs SQL without results (several statements allowed). */
int db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepares one statement; on failure err holds SQLite's message. */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen);
/* Statements prepared once and reused, for work repeated over many plans or rows in
 * one check (a statement costs more to prepare than to run on one plan).  db_stmts_get
 * returns the statement of sql, reset and with its bindings cleared, preparing it at the
 * first call; sql is the key by address (a string constant of the caller).  The caller
 * resets it (sqlite3_reset) when done, so it holds no lock, and never finalizes it;
 * db_stmts_free finalizes them all (NULL is allowed).  NULL from db_stmts_new: out of
 * memory. */
struct db_stmts;
struct db_stmts *db_stmts_new(sqlite3 *db);
int db_stmts_get(struct db_stmts *c, const char *sql, sqlite3_stmt **st, char *err, size_t errlen);
void db_stmts_free(struct db_stmts *c);
/* For a function that serves both such a loop and a single call: db_stmts_get when c is
 * not NULL, else db_prepare; db_stmts_done resets a statement of c and finalizes one
 * prepared on its own. */
int db_stmts_or_prepare(
    struct db_stmts *c, sqlite3 *db, const char *sql, sqlite3_stmt **st, char *err, size_t errlen);
void db_stmts_done(struct db_stmts *c, sqlite3_stmt *st);
/* Runs one statement binding ?1 = id (when id > 0) and ?2 = text; the number of rows it
 * changed, or a negative errno with err saying what failed ("what: SQLite's message"). */
int db_run_id_text(sqlite3 *db, const char *sql, sqlite3_int64 id, const char *text,
    const char *what, char *err, size_t errlen);
/* Runs the query sql, binding ?1 = id when it has a parameter, and calls row for every
 * row until row returns non-zero, which is returned (0 after the last row).  A failed
 * step gives a negative errno with err "what: SQLite's message". */
int db_each_row(sqlite3 *db, const char *sql, sqlite3_int64 id, const char *what,
    int (*row)(void *ctx, sqlite3_stmt *st), void *ctx, char *err, size_t errlen);
/* Gives every row of the query missing (columns: an index into insert[], an id) a new
 * random token of TOKEN_FEED_LEN hex digits by running insert[index] with ?1 = id and
 * ?2 = the token, in one write transaction; what names the rows in err.  Reads first and
 * writes nothing when no row is missing. */
int db_ensure_tokens(sqlite3 *db, const char *missing, const char *const *insert, const char *what,
    char *err, size_t errlen);
/* *id: the row id of key in table ("plan", "person"), 0 when there is none. */
int db_id_by_key(
    sqlite3 *db, const char *table, const char *key, sqlite3_int64 *id, char *err, size_t errlen);
/* Ends the rotation of the token of row id inside a write transaction, given r, the
 * outcome of the work before (finding id): runs update with ?1 = id and ?2 = a new random
 * token of TOKEN_FEED_LEN hex digits, or insert when update changed no row, then commits
 * and copies the token to token.  On failure rolls back and returns the error. */
int db_rotate_token(sqlite3 *db, int r, const char *update, const char *insert, sqlite3_int64 id,
    char *token, const char *what, char *err, size_t errlen);
/* Maps an SQLite result code to a negative errno-style code. */
int db_errno(int rc);

#endif
