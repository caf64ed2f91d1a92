/* kapctl: the command-line tool.  Internal header shared by its source files. */
#ifndef KAPD_KAPCTL_H
#define KAPD_KAPCTL_H

#include <stdio.h>
#include <time.h>

#include "conf/config.h"
#include "lib/kdate.h"
#include "store/db.h"
#include "lib/table.h"

#include "lib/i18n.h"

/* kapctl's human output speaks the language of the user's locale environment (struct
 * ctl's lang): tr() translates a message, COUNT() writes a count with its noun ("1 open
 * activity", "2 open activities") by the plural rule of that language's catalog.  JSON,
 * CSV, iCalendar and exported plans stay as they are: programs read them. */
#define tr(c, msgid) i18n_tr((c)->lang, msgid)
#define COUNT(c, buf, n, singular, plural)                                                         \
	i18n_count((c)->lang, (unsigned long)(n), singular, plural, buf, sizeof(buf))

struct ctl {
	struct kapd_config cfg;
	const char *db_path; /* --db, else cfg.database */
	sqlite3 *db;         /* opened on demand by ctl_db() */
	time_t now;          /* --now, else the clock */
	int json;            /* --json */
	const char *lang; /* catalog language of the human output (from the locale environment) */
};

struct ctl_command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage; /* synopsis after "kapctl NAME" */
	const char *help;  /* what it does, options (N_(): shown in the user's language) */
};

/* Opens the database (migrated to this binary's schema) once; prints the error and
 * returns a sysexits code, or 0. */
int ctl_db(struct ctl *c, int flags);
/* Today in the configured time zone (or in tz when not NULL). */
kdate_t ctl_today(const struct ctl *c, const char *tz);
/* Prints "kapctl NAME: message" to stderr; returns code for convenience. */
int ctl_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A table for human output (lib/table.h) with the given headings (NULL-terminated, at
 * most TABLE_MAX_COLS, marked N_() and shown in the user's language); NULL when out of
 * memory. */
struct table *ctl_table(const struct ctl *c, const char *const *headings);
/* Sets column col of t (NULL: nothing) with heading, in the user's language, max and
 * align (table_column). */
void ctl_column(const struct ctl *c, struct table *t, size_t col, const char *heading, size_t max,
    enum width_align align);
/* Prints label in the user's language, padded with blanks to cols display columns (at
 * least one blank), for a "label  value" line. */
void ctl_label(const struct ctl *c, const char *label, size_t cols);
/* Prints the table to stdout with indent before every line, and frees it: 0 or an
 * exit code. */
int ctl_table_print(const struct ctl *c, struct table *t, const char *indent);
/* Ends a command whose input had n errors (printed before): "kapctl CMD: FILE: 2 errors,
 * " and what (a N_() message); returns EX_DATAERR. */
int ctl_errors_end(
    const struct ctl *c, const char *cmd, const char *file, size_t n, const char *what);
/* Maps a negative errno from a module to a sysexits code. */
int ctl_exit_code(int err);
/* Handles the common subcommand options (--help, --json) in a getopt_long loop: returns 1
 * when the option was one of these, and sets *done to an exit code for --help. */
int ctl_common_opt(struct ctl *c, const char *cmd, int opt, int *done);
/* Parses a command's options when it has only --help and --json: -1 to go on (optind
 * at the first argument), or an exit code. */
int ctl_plain_opts(struct ctl *c, int argc, char **argv);
/* Prints the usage of a command to f. */
void ctl_usage(const struct ctl *c, FILE *f, const char *cmd);
/* Prints a JSON value followed by a newline; takes the reference. */
int ctl_print_json(void *json);
struct json_t;
struct sbuf;
/* The output of a listing command: JSON rows (--json) or a table; the other is NULL. */
struct ctl_listing {
	const struct ctl *c;
	struct json_t *rows;
	struct table *t;
};
/* Starts a listing: l->rows for --json, else l->t with headings (ctl_table).  0, or an
 * exit code after saying "out of memory". */
int ctl_listing_begin(
    const struct ctl *c, const char *cmd, const char *const *headings, struct ctl_listing *l);
/* Adds an entry of a feed or page listing: with --json the row (taken; NULL when out of
 * memory), else a table row of n cells, then the URL with a note when the daemon has not
 * written the file yet (written_at NULL).  0 or -ENOMEM. */
int ctl_listing_url_entry(const struct ctl_listing *l, const char **cells, size_t n,
    struct sbuf *url, const char *written_at, struct json_t *row);
/* Runs a command of the form "NAME [--json] [list] | NAME rotate ARGS" (feeds, pages) on
 * the database: list, or rotate with the ARGS; a sysexits code. */
int ctl_list_or_rotate(struct ctl *c, int argc, char **argv, int (*list)(struct ctl *c),
    int (*rotate)(struct ctl *c, int argc, char **argv));
/* Ends a listing command once the store's call returned r (err its message, or ""):
 * prints the JSON rows (--json) or the table, frees both (it takes them, either may be
 * NULL) and returns the exit code. */
int ctl_listing_end(
    struct ctl *c, const char *cmd, int r, const char *err, void *rows, struct table *t);

int cmd_init(struct ctl *c, int argc, char **argv);
int cmd_migrate(struct ctl *c, int argc, char **argv);
int cmd_import(struct ctl *c, int argc, char **argv);
int cmd_export(struct ctl *c, int argc, char **argv);
int cmd_list(struct ctl *c, int argc, char **argv);
int cmd_show(struct ctl *c, int argc, char **argv);
int cmd_due(struct ctl *c, int argc, char **argv);
int cmd_add(struct ctl *c, int argc, char **argv);
int cmd_edit(struct ctl *c, int argc, char **argv);
int cmd_done(struct ctl *c, int argc, char **argv);
int cmd_cancel(struct ctl *c, int argc, char **argv);
int cmd_reopen(struct ctl *c, int argc, char **argv);
int cmd_reviewed(struct ctl *c, int argc, char **argv);
int cmd_log(struct ctl *c, int argc, char **argv);
int cmd_replies(struct ctl *c, int argc, char **argv);
int cmd_queue(struct ctl *c, int argc, char **argv);
int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_feeds(struct ctl *c, int argc, char **argv);
int cmd_pages(struct ctl *c, int argc, char **argv);
int cmd_import_csv(struct ctl *c, int argc, char **argv);
int cmd_export_csv(struct ctl *c, int argc, char **argv);
int cmd_versions(struct ctl *c, int argc, char **argv);
int cmd_diff(struct ctl *c, int argc, char **argv);
int cmd_rollover(struct ctl *c, int argc, char **argv);
int cmd_maint(struct ctl *c, int argc, char **argv);
/* 0 when milestone key has no open activities, else prints them and asks for --force
 * (a sysexits code). */
int ctl_check_open_activities(struct ctl *c, const char *cmd, const char *key);
struct json_t;
/* Prints the plan's moved deadlines and owner changes (kapctl show plan). */
void ctl_show_history(struct ctl *c, const char *plan_key, struct json_t *doc, struct json_t *plan);

extern const struct ctl_command ctl_commands[];

#endif
