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

/* kapctl's human output speaks the user's language (from the locale environment): tr() translates a
 * message, COUNT() writes a count with its noun ("1 open activity", "2 open activities")
 * by the plural rule of that language's catalog.  JSON, CSV, iCalendar and exported plans
 * stay as they are: programs read them. */
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
	const char *help;  /* what it does, options */
};

/* Opens the database (migrated to this binary's schema) once; prints the error and
 * returns a sysexits code, or 0. */
int ctl_db(struct ctl *c, int flags);
/* Today in the configured time zone (or in tz when not NULL). */
kdate_t ctl_today(const struct ctl *c, const char *tz);
/* Prints "kapctl NAME: message" to stderr; returns code for convenience. */
int ctl_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A table for human output (lib/table.h) with the given headings (NULL-terminated, at
 * most TABLE_MAX_COLS); NULL when out of memory. */
struct table *ctl_table(const char *const *headings);
/* Prints the table to stdout with indent before every line, and frees it: 0 or an
 * exit code. */
int ctl_table_print(struct table *t, const char *indent);
/* Maps a negative errno from a module to a sysexits code. */
int ctl_exit_code(int err);
/* Handles the common subcommand options (--help, --json) in a getopt_long loop: returns 1
 * when the option was one of these, and sets *done to an exit code for --help. */
int ctl_common_opt(struct ctl *c, const char *cmd, int opt, int *done);
/* Parses a command's options when it has only --help and --json: -1 to go on (optind
 * at the first argument), or an exit code. */
int ctl_plain_opts(struct ctl *c, int argc, char **argv);
/* Prints the usage of a command to f. */
void ctl_usage(FILE *f, const char *cmd);
/* Prints a JSON value followed by a newline; takes the reference. */
int ctl_print_json(void *json);
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
