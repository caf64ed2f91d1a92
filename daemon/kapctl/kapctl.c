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

/* The first sentence of each help text is the command's line in "kapctl --help": keep it
 * short (tests/integration/test_cli.py checks). */
const struct ctl_command ctl_commands[] = {
	{ "init", cmd_init, "",
	    N_("Create the database file (if needed) and its schema.  Safe to run again: an\n"
	       "existing database is only brought up to date.") },
	{ "migrate", cmd_migrate, "",
	    N_("Bring the database schema up to date with this version.  kapd does the same\n"
	       "at start; a database newer than this version is refused (exit 65).") },
	{ "import", cmd_import, "[--dry-run] FILE|-",
	    N_("Import a kapd-plan/1 JSON document.  Everything is validated first; every\n"
	       "violation is reported with its JSON path and nothing is imported on error.\n"
	       "Re-importing the same keys updates in place; an import never deletes.  The\n"
	       "format is described in kapd-plan(5).\n"
	       "  --dry-run   validate only") },
	{ "export", cmd_export, "[-o FILE] [PLAN]",
	    N_("Export plans as a kapd-plan/1 JSON document.  The whole database, or one plan\n"
	       "with its account and people, to standard output or atomically to FILE.\n"
	       "  -o FILE     write FILE, created with mode 0600 (plans are confidential)") },
	{ "list", cmd_list, "[--json] accounts|plans|people",
	    N_("List accounts, plans or people.  One row each, columns as wide as their data.\n"
	       "  --json      a JSON array instead of the table") },
	{ "show", cmd_show, "[--json|--html] plan KEY",
	    N_("Show a whole key account plan.  Base information, contacts, needs, competitors,\n"
	       "revenue history, projects, complaints, SWOT, team, goals, milestones and\n"
	       "activities with owners, deadlines and states, and the next annual update.\n"
	       "  --json      the plan's kapd-plan/1 document instead\n"
	       "  --html      the plan's page (the one kapd writes into pages.directory)") },
	{ "due", cmd_due, "[--json] [--days N] [--plan PLAN] [--person KEY]",
	    N_("Show what is overdue or due soon.  Open milestones and activities of active\n"
	       "plans that are overdue or due within N days, and annual updates due then.\n"
	       "  --days N      look N days ahead (default 7, at most 3660)\n"
	       "  --plan PLAN   only this plan\n"
	       "  --person KEY  only what this person owns (annual updates: the KAM)\n"
	       "  --json        a JSON array instead of the table") },
	{ "add", cmd_add,
	    "milestone|activity --plan PLAN --title TEXT --due DATE\n"
	    "           [--key KEY] [--owner PERSON] [--milestone KEY] [--project KEY]\n"
	    "           [--description TEXT]",
	    N_("Add a milestone or activity to a plan.  Without --key a key is generated.\n"
	       "  --owner PERSON    a member of the plan's team (default: none; the KAM is\n"
	       "                    reminded)\n"
	       "  --milestone KEY   the milestone an activity leads to\n"
	       "  --project KEY     a project of the plan's account") },
	{ "edit", cmd_edit,
	    "milestone|activity KEY [--title TEXT] [--due DATE]\n"
	    "           [--owner PERSON] [--milestone KEY|-] [--project KEY|-]\n"
	    "           [--description TEXT|-]",
	    N_("Change a milestone or activity.  \"-\" clears an optional link or text.\n"
	       "A changed deadline or owner is kept in the item's history.") },
	{ "done", cmd_done, "[milestone|activity] KEY [--on DATE] [--force]",
	    N_("Mark a milestone or activity done.\n"
	       "  --on DATE   the completion date (default today; not in the future)\n"
	       "  --force     mark a milestone done although activities of it are open") },
	{ "cancel", cmd_cancel, "[milestone|activity] KEY",
	    N_("Mark a milestone or activity cancelled.  It is no longer reminded.") },
	{ "reopen", cmd_reopen, "[milestone|activity] KEY",
	    N_("Set a done or cancelled item back to open.") },
	{ "reviewed", cmd_reviewed, "PLAN [--on DATE]",
	    N_("Record the annual update of a plan.  Last review today (or DATE), next review\n"
	       "one year later (29 February falls back to 28 February).\n"
	       "The plan as it is now is kept as a new version; sections that are empty or\n"
	       "unchanged since the last annual update are listed as a warning.\n"
	       "  --on DATE   the day of the review (default today)") },
	{ "versions", cmd_versions, "[--json] PLAN",
	    N_("List the versions of a plan kept at its annual updates.  Also the plans it\n"
	       "continues or is continued by (kapctl rollover).\n"
	       "  --json      a JSON object instead of the list") },
	{ "diff", cmd_diff, "[--json] PLAN [--since DATE | --version N]",
	    N_("Show what changed in a plan since a version.  Items added, done, cancelled,\n"
	       "reopened, deadlines moved (how often, by how many days), owners changed, and\n"
	       "goals, team, contacts, needs, competitors and SWOT added, removed or changed.\n"
	       "  --version N   since version N (default: the latest)\n"
	       "  --since DATE  since the latest version reviewed on or before DATE\n"
	       "  --json        a JSON object instead of the text") },
	{ "rollover", cmd_rollover, "PLAN NEW-KEY [--title TEXT]",
	    N_("Start next year's plan from this year's.  Team, goals and open milestones and\n"
	       "activities are copied under new keys (PLAN's key in front of a key becomes\n"
	       "NEW-KEY); PLAN is archived and the two are linked.\n"
	       "  --title TEXT  the new plan's title (default: the old one)") },
	{ "queue", cmd_queue, "[--json] | queue retry ID|--all",
	    N_("Show the mail queue, or send failed mails again.  Lists the emails waiting to\n"
	       "be sent (sending, deferred with their next attempt) and those that failed, with\n"
	       "the server's answer.  \"queue retry\" re-arms a deferred or failed delivery (or\n"
	       "all of them) for the next check.\n"
	       "  --json      a JSON array instead of the table") },
	{ "log", cmd_log, "[--json] [--plan PLAN] [--person KEY] [--limit N]",
	    N_("Show what was mailed to whom and when.  Newest first, with the state of each\n"
	       "email: sending, sent, deferred (retried later) or failed.\n"
	       "  --plan PLAN   only notifications about this plan\n"
	       "  --person KEY  only notifications to (or on behalf of) this person\n"
	       "  --limit N     at most N rows (default 100)\n"
	       "  --json        a JSON array instead of the table") },
	{ "replies", cmd_replies, "[--json] [--limit N]",
	    N_("Show the replies kapd read, newest first.  Each with its sender, the first digits\n"
	       "of the mail key it answered, the commands read, the outcome (applied, unchanged,\n"
	       "refused, automatic, unreadable), the changes made and whether it was answered.\n"
	       "  --limit N   at most N replies (default 100)\n"
	       "  --json      a JSON array instead of the table") },
	{ "status", cmd_status, "[--json]",
	    N_("Show the daemon's last and next check, mail queue and feeds.  Read from the\n"
	       "database (opened read-only): failed mails, deferred ones, the feeds written.\n"
	       "  --json      a JSON object instead of the text") },
	{ "feeds", cmd_feeds, "[--json] [list] | rotate [plan|person] KEY",
	    N_("List the calendar feeds' URLs, or give a feed a new one.  One feed per active\n"
	       "plan and per person of its team (feeds.base_url + file name); \"rotate\" gives\n"
	       "the feed of a plan or person a new secret token: the old URL stops working at\n"
	       "the daemon's next check.\n"
	       "  --json      a JSON array instead of the table") },
	{ "pages", cmd_pages, "[--json] [list] | rotate PLAN",
	    N_("List the plan pages' URLs, or give a page a new one.  One page per active plan\n"
	       "(pages.base_url + file name); \"rotate\" gives the page of a plan a new secret\n"
	       "token: the old URL stops working at the daemon's next check.\n"
	       "  --json      a JSON array instead of the table") },
	{ "import-csv", cmd_import_csv, "PLAN FILE|- [--dry-run] [--ignore-column NAME]",
	    N_("Import a plan's milestones and activities from CSV.  Header row\n"
	       "with English or German column names (key type title owner due state milestone\n"
	       "project description / Schlüssel Art Titel Verantwortlich Termin Status\n"
	       "Meilenstein Projekt Beschreibung), delimiter , ; or tab, UTF-8 or Windows-1252,\n"
	       "dates YYYY-MM-DD or TT.MM.JJJJ, owners by key, email or exact name.  Every error\n"
	       "is reported as FILE:ROW:COLUMN; nothing changes unless the whole sheet is valid.\n"
	       "  --dry-run             check and show what would change\n"
	       "  --ignore-column NAME  skip a column kapd does not know (repeatable)") },
	{ "export-csv", cmd_export_csv, "PLAN [-o FILE] [--lang de|en] [--delimiter ';'|','|tab]",
	    N_("Export a plan's milestones and activities as CSV.  A spreadsheet (UTF-8 with\n"
	       "BOM, CRLF) that import-csv reads back unchanged.  Column names, types, states\n"
	       "and dates in the language given (default: the plan's); \";\" for German, \",\"\n"
	       "for English.") },
	{ "person", cmd_maint,
	    "add|edit|remove KEY [--name TEXT] [--email ADDR] [--language TAG]\n"
	    "           [--timezone ZONE] [--notify MODE] [--function TEXT]",
	    N_("Add, change or remove a person.  \"-\" as a value clears it; a person still on\n"
	       "a team or owning an item is not removed.") },
	{ "absence", cmd_maint,
	    "add PERSON --from DATE --until DATE [--substitute KEY] |\n"
	    "           list PERSON | edit|remove PERSON N [...]",
	    N_("Maintain a person's absences.  During an absence the substitute gets what the\n"
	       "person would get; N is the absence's number in \"absence list\".") },
	{ "account", cmd_maint,
	    "add|edit KEY [--name TEXT] [--industry TEXT] [--address TEXT]\n"
	    "           [--website URL] [--rating TEXT] [--potential TEXT] [--market-volume \"N "
	    "CUR\"] ...",
	    N_("Add or change an account (the customer).  Every member of kapd-plan(5) is an\n"
	       "option; \"-\" clears one.") },
	{ "contact", cmd_maint,
	    "add ACCOUNT KEY [--name ...] | edit|remove KEY [...] | list ACCOUNT",
	    N_("Maintain the customer's contact persons.  Options: --name --function --email\n"
	       "--phone --decision-role --attitude --notes.") },
	{ "need", cmd_maint, "add ACCOUNT KEY --text TEXT | edit|remove KEY [...] | list ACCOUNT",
	    N_("Maintain the customer's needs.") },
	{ "competitor", cmd_maint,
	    "add ACCOUNT KEY --name TEXT | edit|remove KEY [...] | list ACCOUNT",
	    N_("Maintain the competitors.  Options: --name --position --strengths --weaknesses.") },
	{ "project", cmd_maint,
	    "add ACCOUNT KEY --title TEXT | edit|remove KEY [...] | list ACCOUNT",
	    N_("Maintain the account's projects.  Options: --title --start --end --state.") },
	{ "complaint", cmd_maint,
	    "add ACCOUNT KEY --date DATE --subject TEXT | edit|remove KEY |\n"
	    "           list ACCOUNT",
	    N_("Maintain the account's complaints.  Options: --date --subject --state.") },
	{ "history", cmd_maint,
	    "add|edit|remove ACCOUNT PERIOD [--revenue N] [--margin N]\n"
	    "           [--currency CUR] | list ACCOUNT",
	    N_("Maintain revenue and contribution margin per period.") },
	{ "swot", cmd_maint,
	    "add ACCOUNT --kind KIND --text TEXT | edit|remove ACCOUNT N |\n"
	    "           list ACCOUNT",
	    N_("Maintain the SWOT entries.  Kinds: strength, weakness, opportunity, threat.") },
	{ "plan", cmd_maint,
	    "add ACCOUNT KEY --title TEXT --kam PERSON [...] |\n"
	    "           edit KEY [--title TEXT] [--language TAG] [--timezone ZONE] [--state "
	    "STATE]\n"
	    "           | archive KEY | list ACCOUNT",
	    N_("Add a plan, change its own fields or archive it.  A new plan starts with its\n"
	       "KAM as the team; archived plans are no longer controlled.") },
	{ "team", cmd_maint,
	    "add|edit|remove PLAN PERSON [--role kam|sponsor|member]\n"
	    "           [--function TEXT] | list PLAN",
	    N_("Maintain a plan's key account team.  Naming a new KAM or sponsor makes the\n"
	       "previous one a member.") },
	{ "goal", cmd_maint,
	    "add PLAN KEY --horizon mid|long --text TEXT [--focus F]\n"
	    "           [--focus-value TEXT] [--target TEXT] [--due DATE] | edit|remove KEY | list "
	    "PLAN",
	    N_("Maintain a plan's strategic goals.") },
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

/* A command's line in the overview: the first sentence of its help, on one line. */
static void
summary(const struct ctl *c, const struct ctl_command *cmd, char *buf, size_t len)
{
	const char *help = tr(c, cmd->help);
	size_t i, n = 0;

	for (i = 0; help[i] != '\0' && n + 1 < len; i++) {
		buf[n++] = help[i] == '\n' ? ' ' : help[i];
		if (help[i] == '.' &&
		    (help[i + 1] == ' ' || help[i + 1] == '\n' || help[i + 1] == '\0'))
			break;
	}
	buf[n] = '\0';
}

static void
usage(const struct ctl *c, FILE *f)
{
	const struct ctl_command *cmd;
	char line[256];

	fprintf(f,
	    tr(c,
	        "usage: kapctl [-c FILE] [--db FILE] [--now TIME] [--json] COMMAND "
	        "[ARGS]\n\nCommands:\n"));
	for (cmd = ctl_commands; cmd->name != NULL; cmd++) {
		summary(c, cmd, line, sizeof(line));
		fprintf(f, "  %-11s %s\n", cmd->name, line);
	}
	fprintf(f,
	    tr(c,
	        "\nOptions:\n  -c, --config FILE  configuration (default %s if it exists)\n      "
	        "--db FILE      database file (overrides the configuration)\n      --now TIME     "
	        "act as if it were TIME (ISO 8601 with offset)\n      --json         JSON output "
	        "where a command offers it\n  -h, --help         this help; \"kapctl COMMAND "
	        "--help\" for a command\n  -V, --version      print the version\n\nThe plan "
	        "format: kapd-plan(5); the configuration: kapd.conf(5).\n"),
	    DEFAULT_CONFIG);
}

void
ctl_usage(const struct ctl *c, FILE *f, const char *name)
{
	const struct ctl_command *cmd = find_command(name);

	if (cmd == NULL)
		return;
	fprintf(f, tr(c, "usage: kapctl %s %s\n\n%s\n"), cmd->name, cmd->usage, tr(c, cmd->help));
}

struct table *
ctl_table(const struct ctl *c, const char *const *headings)
{
	struct table *t;
	size_t n;

	for (n = 0; headings[n] != NULL; n++)
		;
	t = table_new(n);
	for (n = 0; t != NULL && headings[n] != NULL; n++)
		table_column(t, n, tr(c, headings[n]), 0, WIDTH_LEFT);
	return t;
}

void
ctl_column(const struct ctl *c, struct table *t, size_t col, const char *heading, size_t max,
    enum width_align align)
{
	if (t != NULL)
		table_column(t, col, tr(c, heading), max, align);
}

void
ctl_label(const struct ctl *c, const char *label, size_t cols)
{
	const char *l = tr(c, label);
	size_t w = width_str(l);

	printf("%s%*s", l, (int)(w < cols ? cols - w : 1), "");
}

int
ctl_table_print(const struct ctl *c, struct table *t, const char *indent)
{
	struct sbuf out = SBUF_INIT;
	int r = EX_OK;

	if (t == NULL)
		return ctl_fail(EX_OSERR, NULL, tr(c, "out of memory"));
	table_render(t, indent, &out);
	if (out.failed)
		r = ctl_fail(EX_OSERR, NULL, tr(c, "out of memory"));
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
ctl_errors_end(const struct ctl *c, const char *cmd, const char *file, size_t n, const char *what)
{
	char count[64];

	fprintf(stderr, "kapctl %s: %s: %s, %s\n", cmd, file,
	    COUNT(c, count, n, "%lu error", "%lu errors"), tr(c, what));
	return EX_DATAERR;
}

int
ctl_exit_code(int err)
{
	switch (-err) {
	case 0: return EX_OK;
	case EINVAL: return EX_DATAERR;
	case ENOENT: return EX_NOINPUT;
	case EBUSY: return EX_TEMPFAIL;
	case EACCES:
	case EPERM: return EX_NOPERM;
	case EPROTO:
	case ESTALE:
	case EBADMSG: return EX_DATAERR;
	case ENOSPC:
	case EIO: return EX_IOERR;
	default: return EX_SOFTWARE;
	}
}

int
ctl_common_opt(struct ctl *c, const char *cmd, int opt, int *done)
{
	switch (opt) {
	case 'h':
		ctl_usage(c, stdout, cmd);
		*done = EX_OK;
		return 1;
	case 'j':
		c->json = 1;
		*done = -1;
		return 1;
	case '?':
	case ':':
		fprintf(stderr, tr(c, "Try 'kapctl %s --help'.\n"), cmd);
		*done = EX_USAGE;
		return 1;
	default: return 0;
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
ctl_listing_end(struct ctl *c, const char *cmd, int r, const char *err, void *rows, struct table *t)
{
	if (r < 0) {
		json_decref(rows);
		table_free(t);
		if (r == -ENOMEM)
			return ctl_fail(EX_OSERR, cmd, tr(c, "out of memory"));
		return ctl_fail(ctl_exit_code(r), cmd, "%s", err[0] ? err : strerror(-r));
	}
	if (c->json) {
		table_free(t);
		return ctl_print_json(rows) < 0 ? EX_IOERR : EX_OK;
	}
	json_decref(rows);
	return ctl_table_print(c, t, "");
}

int
ctl_listing_begin(
    const struct ctl *c, const char *cmd, const char *const *headings, struct ctl_listing *l)
{
	l->c = c;
	l->rows = NULL;
	l->t = NULL;
	if (c->json ? (l->rows = json_array()) == NULL : (l->t = ctl_table(c, headings)) == NULL)
		return ctl_fail(EX_OSERR, cmd, tr(c, "out of memory"));
	return 0;
}

int
ctl_listing_url_entry(const struct ctl_listing *l, const char **cells, size_t n, struct sbuf *url,
    const char *written_at, json_t *row)
{
	if (l->rows != NULL)
		return row == NULL || json_array_append_new(l->rows, row) < 0 ? -ENOMEM : 0;
	if (written_at == NULL)
		sbuf_puts(url, tr(l->c, "  (written at the daemon's next check)"));
	cells[n] = url->s;
	return url->failed || table_row(l->t, cells) < 0 ? -ENOMEM : 0;
}

int
ctl_list_or_rotate(struct ctl *c, int argc, char **argv, int (*list)(struct ctl *c),
    int (*rotate)(struct ctl *c, int argc, char **argv))
{
	const char *cmd = argv[0];
	int r;

	r = ctl_plain_opts(c, argc, argv);
	if (r >= 0)
		return r;
	argc -= optind;
	argv += optind;
	if ((r = ctl_db(c, 0)) != 0)
		return r;
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "list") == 0))
		return list(c);
	if (strcmp(argv[0], "rotate") == 0)
		return rotate(c, argc - 1, argv + 1);
	ctl_fail(EX_USAGE, cmd, tr(c, "unknown subcommand \"%s\""), argv[0]);
	ctl_usage(c, stderr, cmd);
	return EX_USAGE;
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
		fprintf(stderr, "%s\n", errlist_msg(&errs, i, tr(c, "(out of memory)")));
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
		case 'c': *config = optarg; break;
		case 'D': c->db_path = optarg; break;
		case 'N':
			if (kdate_parse_instant(optarg, &c->now) < 0)
				return ctl_fail(EX_USAGE, NULL,
				    tr(c,
				        "--now: \"%s\" is not an ISO 8601 time with offset (e.g. "
				        "2026-12-01T08:00:00+01:00)"),
				    optarg);
			break;
		case 'j': c->json = 1; break;
		case 'h': usage(c, stdout); return -EX_OK - 1;
		case 'V': printf("kapctl %s\n", KAPD_VERSION); return -EX_OK - 1;
		default: usage(c, stderr); return EX_USAGE;
		}
	}
	return 0;
}

/* The language of the messages by POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG,
 * the first one set and not empty.  "de_DE.UTF-8" is German when a catalog for "de"
 * exists; "C", "POSIX", an unset environment and languages without a catalog are the
 * catalogs' source language, English. */
static const char *
locale_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v = NULL;
	char tag[16];
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]) && (v == NULL || *v == '\0'); i++)
		v = getenv(vars[i]);
	if (v == NULL || *v == '\0')
		return I18N_SOURCE_LANG;
	snprintf(tag, sizeof(tag), "%.*s", (int)strcspn(v, ".@"), v);
	return i18n_lang(tag);
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
	c.lang = locale_lang();
	r = parse_global(&c, argc, argv, &config);
	if (r != 0)
		return r < 0 ? EX_OK : r;
	if (optind >= argc) {
		usage(&c, stderr);
		return EX_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		ctl_fail(EX_USAGE, NULL, tr(&c, "unknown command \"%s\""), argv[optind]);
		usage(&c, stderr);
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
		r = ctl_fail(EX_IOERR, NULL, tr(&c, "writing the output: %s"), strerror(errno));
out:
	db_close(c.db);
	config_free(&c.cfg);
	return r;
}
