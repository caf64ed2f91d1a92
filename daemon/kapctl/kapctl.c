/* kapctl: create, import, inspect and maintain key account plans.  This file holds the
 * command table, the global options and the helpers every command shares. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "store/db.h"
#include "lib/errlist.h"
#include "lib/sbuf.h"

#define DEFAULT_CONFIG KAPD_SYSCONFDIR "/kapd/kapd.conf"

const struct ctl_command ctl_commands[] = {
	{ "init", cmd_init, "",
	  "Create the database file (if needed) and its schema." },
	{ "migrate", cmd_migrate, "",
	  "Bring the database schema up to date with this version of kapd." },
	{ "import", cmd_import, "[--dry-run] FILE|-",
	  "Import a kapd-plan/1 JSON document.  Everything is validated first; every\n"
	  "violation is reported with its JSON path and nothing is imported on error.\n"
	  "Re-importing the same keys updates in place.\n"
	  "  --dry-run   validate only" },
	{ "export", cmd_export, "[-o FILE] [PLAN]",
	  "Export the whole database, or one plan with its account and people, as a\n"
	  "kapd-plan/1 JSON document (to standard output, or atomically to FILE, created\n"
	  "with mode 0600: plans are confidential)." },
	{ "list", cmd_list, "[--json] accounts|plans|people",
	  "List accounts, plans or people." },
	{ "show", cmd_show, "[--json|--html] plan KEY",
	  "Show the whole key account plan: base information, team, goals, milestones and\n"
	  "activities with owners, deadlines and states, and the next annual update.\n"
	  "With --json, the plan's kapd-plan/1 document; with --html, the plan's page\n"
	  "(the one kapd writes into pages.directory) on stdout." },
	{ "due", cmd_due, "[--json] [--days N] [--plan PLAN] [--person KEY]",
	  "Show open milestones and activities of active plans that are overdue or due\n"
	  "within N days (default 7), and annual updates due in that time." },
	{ "add", cmd_add, "milestone|activity --plan PLAN --title TEXT --due DATE\n"
	  "           [--key KEY] [--owner PERSON] [--milestone KEY] [--project KEY]\n"
	  "           [--description TEXT]",
	  "Add a milestone or activity to a plan.  Without --key one is generated." },
	{ "edit", cmd_edit, "milestone|activity KEY [--title TEXT] [--due DATE]\n"
	  "           [--owner PERSON] [--milestone KEY|-] [--project KEY|-]\n"
	  "           [--description TEXT|-]",
	  "Change a milestone or activity.  \"-\" clears an optional link or text.\n"
	  "A changed deadline or owner is kept in the item's history." },
	{ "done", cmd_done, "[milestone|activity] KEY [--on DATE]",
	  "Mark an item done (completion date today, or DATE)." },
	{ "cancel", cmd_cancel, "[milestone|activity] KEY",
	  "Mark an item cancelled." },
	{ "reopen", cmd_reopen, "[milestone|activity] KEY",
	  "Set a done or cancelled item back to open." },
	{ "reviewed", cmd_reviewed, "PLAN [--on DATE]",
	  "Record the annual update of a plan: last review today (or DATE), next review\n"
	  "one year later (29 February falls back to 28 February)." },
	{ "queue", cmd_queue, "[--json] | queue retry ID|--all",
	  "List the emails waiting to be sent (sending, deferred with their next attempt) and\n"
	  "those that failed, with the server's answer.  \"queue retry\" re-arms a deferred\n"
	  "or failed delivery (or all of them) for the next check." },
	{ "log", cmd_log, "[--json] [--plan PLAN] [--person KEY] [--limit N]",
	  "Show what was mailed to whom and when (newest first, default 100 rows), with the\n"
	  "state of each email: sending, sent, deferred (retried later) or failed." },
	{ "status", cmd_status, "[--json]",
	  "Show the daemon's last and next check, the mail queue (sending and deferred),\n"
	  "failed mails and the feeds, from the database (opened read-only)." },
	{ "feeds", cmd_feeds, "[--json] [list] | rotate [plan|person] KEY",
	  "List the calendar feeds' subscription URLs (feeds.base_url + file name), one\n"
	  "per active plan and per person of its team; or give the feed of a plan or\n"
	  "person a new secret token: the old URL stops working at the daemon's next check." },
	{ "import-csv", cmd_import_csv, "PLAN FILE|- [--dry-run] [--ignore-column NAME]",
	  "Import a plan's milestones and activities from a spreadsheet (CSV).  Header row\n"
	  "with English or German column names (key type title owner due state milestone\n"
	  "project description / Schlüssel Art Titel Verantwortlich Termin Status\n"
	  "Meilenstein Projekt Beschreibung), delimiter , ; or tab, UTF-8 or Windows-1252,\n"
	  "dates YYYY-MM-DD or TT.MM.JJJJ, owners by key, email or exact name.  Every error\n"
	  "is reported as FILE:ROW:COLUMN; nothing changes unless the whole sheet is valid.\n"
	  "  --dry-run             check and show what would change\n"
	  "  --ignore-column NAME  skip a column kapd does not know (repeatable)" },
	{ "export-csv", cmd_export_csv, "PLAN [-o FILE] [--lang de|en] [--delimiter ';'|','|tab]",
	  "Export a plan's milestones and activities as a spreadsheet (UTF-8 with BOM, CRLF)\n"
	  "that import-csv reads back unchanged.  Column names, types, states and dates in\n"
	  "the language given (default: the plan's); \";\" for German, \",\" for English." },
	{ NULL, NULL, NULL, NULL },
};

static const struct ctl_command *
find_command(const char *name)
{
	const struct ctl_command *cmd;

	for (cmd = ctl_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

static void
usage(FILE *f)
{
	const struct ctl_command *cmd;

	fprintf(f, "usage: kapctl [-c FILE] [--db FILE] [--now TIME] [--json] COMMAND [ARGS]\n\n"
	    "Commands:\n");
	for (cmd = ctl_commands; cmd->name != NULL; cmd++)
		fprintf(f, "  %-9s %s\n", cmd->name, cmd->usage);
	fprintf(f, "\nOptions:\n"
	    "  -c, --config FILE  configuration (default %s if it exists)\n"
	    "      --db FILE      database file (overrides the configuration)\n"
	    "      --now TIME     act as if it were TIME (ISO 8601 with offset)\n"
	    "      --json         JSON output (list, show, due)\n"
	    "  -h, --help         this help; \"kapctl COMMAND --help\" for a command\n"
	    "  -V, --version      print the version\n", DEFAULT_CONFIG);
}

void
ctl_usage(FILE *f, const char *name)
{
	const struct ctl_command *cmd = find_command(name);

	if (cmd == NULL)
		return;
	fprintf(f, "usage: kapctl %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->help);
}

struct table *
ctl_table(const char *const *headings)
{
	struct table *t;
	size_t n;

	for (n = 0; headings[n] != NULL; n++)
		;
	t = table_new(n);
	for (n = 0; t != NULL && headings[n] != NULL; n++)
		table_column(t, n, headings[n], 0, WIDTH_LEFT);
	return t;
}

int
ctl_table_print(struct table *t, const char *indent)
{
	struct sbuf out = SBUF_INIT;
	int r = EX_OK;

	if (t == NULL)
		return ctl_fail(EX_OSERR, NULL, "out of memory");
	table_render(t, indent, &out);
	if (out.failed)
		r = ctl_fail(EX_OSERR, NULL, "out of memory");
	else if (out.len > 0)
		fwrite(out.s, 1, out.len, stdout);
	sbuf_free(&out);
	table_free(t);
	return r;
}

int
ctl_fail(int code, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kapctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int
ctl_exit_code(int err)
{
	switch (-err) {
	case 0:
		return EX_OK;
	case EINVAL:
		return EX_DATAERR;
	case ENOENT:
		return EX_NOINPUT;
	case EBUSY:
		return EX_TEMPFAIL;
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	case EPROTO:
	case ESTALE:
	case EBADMSG:
		return EX_DATAERR;
	case ENOSPC:
	case EIO:
		return EX_IOERR;
	default:
		return EX_SOFTWARE;
	}
}

int
ctl_common_opt(struct ctl *c, const char *cmd, int opt, int *done)
{
	switch (opt) {
	case 'h':
		ctl_usage(stdout, cmd);
		*done = EX_OK;
		return 1;
	case 'j':
		c->json = 1;
		*done = -1;
		return 1;
	case '?':
	case ':':
		fprintf(stderr, "Try 'kapctl %s --help'.\n", cmd);
		*done = EX_USAGE;
		return 1;
	default:
		return 0;
	}
}

int
ctl_plain_opts(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o, done = -1;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		if (ctl_common_opt(c, argv[0], o, &done) && done >= 0)
			return done;
	return -1;
}

int
ctl_print_json(void *json)
{
	int r = json_dumpf(json, stdout, JSON_INDENT(2)) == 0 ? 0 : -EIO;

	fputc('\n', stdout);
	json_decref(json);
	return r;
}

int
ctl_db(struct ctl *c, int flags)
{
	char err[512];
	int r;

	if (c->db != NULL)
		return 0;
	r = db_open(c->db_path, flags, &c->db, err, sizeof(err));
	if (r < 0)
		return ctl_fail(ctl_exit_code(r), NULL, "%s", err);
	return 0;
}

kdate_t
ctl_today(const struct ctl *c, const char *tz)
{
	kdate_t day = 0;
	int minute;

	if (tz != NULL && kdate_local(c->now, tz, &day, &minute, NULL) == 0)
		return day;
	if (kdate_local(c->now, c->cfg.timezone, &day, &minute, NULL) == 0)
		return day;
	kdate_local(c->now, "UTC", &day, &minute, NULL);
	return day;
}

/* The configuration: -c FILE, else the system file when it exists, else the embedded
 * default. */
static int
load_config(struct ctl *c, const char *path)
{
	struct errlist errs = ERRLIST_INIT;
	struct stat st;
	size_t i;
	int r;

	if (path == NULL && stat(DEFAULT_CONFIG, &st) == 0)
		path = DEFAULT_CONFIG;
	if (path == NULL)
		return config_defaults(&c->cfg) < 0 ? EX_SOFTWARE : 0;
	r = config_load(path, &c->cfg, &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i] ? errs.msg[i] : "(out of memory)");
	errlist_free(&errs);
	return r < 0 ? EX_CONFIG : 0;
}

static int
parse_global(struct ctl *c, int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "now", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			*config = optarg;
			break;
		case 'D':
			c->db_path = optarg;
			break;
		case 'N':
			if (kdate_parse_instant(optarg, &c->now) < 0)
				return ctl_fail(EX_USAGE, NULL, "--now: \"%s\" is not an ISO 8601 time "
				    "with offset (e.g. 2026-12-01T08:00:00+01:00)", optarg);
			break;
		case 'j':
			c->json = 1;
			break;
		case 'h':
			usage(stdout);
			return -EX_OK - 1;
		case 'V':
			printf("kapctl %s\n", KAPD_VERSION);
			return -EX_OK - 1;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const struct ctl_command *cmd;
	const char *config = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	c.now = time(NULL);
	r = parse_global(&c, argc, argv, &config);
	if (r != 0)
		return r < 0 ? EX_OK : r;
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		ctl_fail(EX_USAGE, NULL, "unknown command \"%s\"", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	r = load_config(&c, config);
	if (r != 0)
		goto out;
	if (c.db_path == NULL)
		c.db_path = c.cfg.database;
	argc -= optind;
	argv += optind;
	optind = 0; /* let getopt_long start afresh for the command's options */
	r = cmd->run(&c, argc, argv);
	if (fflush(stdout) != 0 && r == 0)
		r = ctl_fail(EX_IOERR, NULL, "writing the output: %s", strerror(errno));
out:
	db_close(c.db);
	config_free(&c.cfg);
	return r;
}
