/* Unit tests for config: defaults, a full file, durations, every kind of error reported
 * as "file:line: message" (all of them at once), the shipped etc/kapd.conf, and the SMTP
 * password from a private file or from systemd credentials.  Run from the repository
 * root (the Makefile does), so that etc/kapd.conf is found. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/config.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define WEEKDAYS_MON_FRI ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5))

/* ---- helpers ---- */

static char *
write_temp(const char *text, mode_t mode)
{
	char tmpl[] = "/tmp/kapd-test-config-XXXXXX";
	size_t len = strlen(text);
	int fd = mkstemp(tmpl);
	char *path;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
		fail_msg("test setup: cannot write a temporary file: %s", strerror(errno));
	close(fd);
	path = strdup(tmpl);
	assert_non_null(path);
	return path;
}

static void
print_errors(const struct errlist *e)
{
	for (size_t i = 0; i < e->n; i++)
		print_error("    %s\n", e->msg[i] ? e->msg[i] : "(null)");
}

/* Loads text from a temporary file (removed at once, so a failing test leaves nothing
 * behind); returns config_load's result. */
static int
load_text(const char *text, struct kapd_config *c, struct errlist *errs, char **path)
{
	int r;

	*path = write_temp(text, 0600);
	r = config_load(*path, c, errs);
	unlink(*path);
	return r;
}

static void
assert_loads(const char *text, struct kapd_config *c)
{
	struct errlist errs = ERRLIST_INIT;
	char *path;
	int r = load_text(text, c, &errs, &path);

	if (r != 0) {
		print_error("expected this configuration to load, got %d and:\n", r);
		print_errors(&errs);
		print_error("the text was:\n%s\n", text);
		fail();
	}
	assert_int_equal(errs.n, 0);
	assert_string_equal(c->path, path);
	free(path);
	errlist_free(&errs);
}

/* ---- defaults ---- */

static void
assert_is_default(const struct kapd_config *c)
{
	assert_string_equal(c->database, "/var/lib/kapd/kapd.db");
	assert_string_equal(c->timezone, "UTC");
	assert_int_equal(c->check_interval, 15 * 60);
	assert_int_equal(c->reminders.n_lead, 2);
	assert_int_equal(c->reminders.lead_days[0], 7);
	assert_int_equal(c->reminders.lead_days[1], 1);
	assert_int_equal(c->reminders.overdue_every_days, 3);
	assert_int_equal(c->reminders.escalate_after_days, 7);
	assert_int_equal(c->reminders.sponsor_after_days, 21);
	assert_int_equal(c->annual_update.n_lead, 2);
	assert_int_equal(c->annual_update.lead_days[0], 30);
	assert_int_equal(c->annual_update.lead_days[1], 7);
	assert_int_equal(c->annual_update.overdue_every_days, 7);
	assert_int_equal(c->annual_update.escalate_after_days, 30);
	assert_int_equal(c->status_report.weekday, 1);
	assert_int_equal(c->status_report.stale_after_days, 180);
	assert_int_equal(c->delivery.mode, NOTIFY_DIGEST);
	assert_int_equal(c->delivery.send_time, 8 * 60);
	assert_int_equal(c->delivery.window_end, 18 * 60);
	assert_int_equal(c->delivery.send_days, WEEKDAYS_MON_FRI);
	assert_int_equal(c->delivery.n_holidays, 0);
	assert_int_equal(c->delivery.retry_first, 5 * 60);
	assert_int_equal(c->delivery.give_up_after, 4 * 86400);
	assert_int_equal(c->mail.transport, MAIL_FILE);
	assert_string_equal(c->mail.directory, "/var/lib/kapd/outbox");
	assert_null(c->mail.url);
	assert_null(c->mail.user);
	assert_null(c->mail.password_file);
	assert_string_equal(c->mail.from, "kapd <kapd@localhost.localdomain>");
	assert_null(c->mail.ca_file);
	assert_int_equal(c->mail.tls_verify, 1);
	assert_int_equal(c->mail.timeout, 60);
	assert_string_equal(c->feeds.directory, "/var/lib/kapd/feeds");
	assert_string_equal(c->feeds.base_url, "http://localhost/kapd/");
	assert_string_equal(c->feeds.domain, "kapd.localhost");
	assert_int_equal(c->feeds.keep_done_days, 30);
	assert_int_equal(c->feeds.alarm, 0);
	assert_int_equal(c->replies.source, REPLY_OFF);
	assert_null(c->replies.address);
	assert_string_equal(c->replies.processed, "kapd/processed");
	assert_int_equal(c->replies.key_days, 60);
	assert_int_equal(c->replies.max_messages, 1000);
	assert_int_equal(c->replies.max_bytes, 104857600);
	assert_int_equal(c->replies.timeout, 30);
	assert_int_equal(c->replies.answers_per_hour, 10);
	assert_int_equal(c->replies.tls_verify, 1);
}

static void
defaults_match_the_documented_values(void **state)
{
	struct kapd_config c;

	(void)state;
	assert_int_equal(config_defaults(&c), 0);
	assert_null(c.path);
	assert_is_default(&c);
	config_free(&c);
}

static void
empty_file_gives_the_defaults(void **state)
{
	struct kapd_config c;

	(void)state;
	assert_loads("# nothing but a comment\n", &c);
	assert_is_default(&c);
	config_free(&c);
}

static void
shipped_example_loads_cleanly_and_states_the_real_defaults(void **state)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config c;
	int r = config_load("etc/kapd.conf", &c, &errs);

	(void)state;
	if (r != 0) {
		print_error("expected etc/kapd.conf to load (run from the repository root), "
		            "got %d and:\n",
		    r);
		print_errors(&errs);
		fail();
	}
	assert_is_default(&c);
	config_free(&c);
	errlist_free(&errs);
}

static void
free_accepts_null_and_a_freed_config(void **state)
{
	struct kapd_config c;

	(void)state;
	config_free(NULL);
	assert_int_equal(config_defaults(&c), 0);
	config_free(&c);
	config_free(&c); /* config_free leaves nothing behind to free twice */
}

/* ---- a full file ---- */

static const char full_text[] = "database = \"/srv/kapd/plans.db\";\n"
                                "timezone = \"Europe/Berlin\";\n"
                                "check_interval = 300;\n"
                                "reminders = {\n"
                                "  lead_days = [14, 7, 2];\n"
                                "  overdue_every_days = 2;\n"
                                "  escalate_after_days = 5;\n"
                                "  sponsor_after_days = 30;\n"
                                "};\n"
                                "annual_update = { lead_days = [60]; overdue_every_days = 14;\n"
                                "  escalate_after_days = 45; };\n"
                                "status_report = { weekday = \"thu\"; stale_after_days = 90; };\n"
                                "delivery = {\n"
                                "  mode = \"escalations-only\";\n"
                                "  send_time = \"07:30\";\n"
                                "  window_end = \"19:15\";\n"
                                "  send_days = [\"Mon\", \"WEDNESDAY\", \"saturday\"];\n"
                                "  holidays = [\"2026-12-31\", \"2026-01-01\", \"2026-12-25\"];\n"
                                "  retry_first = \"90s\";\n"
                                "  give_up_after = \"2d\";\n"
                                "};\n"
                                "mail = {\n"
                                "  transport = \"smtp\";\n"
                                "  directory = \"/tmp/outbox\";\n"
                                "  url = \"smtps://mail.example.com:465\";\n"
                                "  user = \"kapd\";\n"
                                "  password_file = \"/etc/kapd/pw\";\n"
                                "  from = \"Key accounts <kap@example.com>\";\n"
                                "  ca_file = \"/etc/kapd/ca.pem\";\n"
                                "  tls_verify = false;\n"
                                "  timeout = \"2m\";\n"
                                "};\n"
                                "feeds = {\n"
                                "  directory = \"/srv/feeds\";\n"
                                "  base_url = \"https://cal.example.com/kap/\";\n"
                                "  domain = \"kap.example.com\";\n"
                                "  keep_done_days = 0;\n"
                                "  alarm = true;\n"
                                "};\n";

static void
full_file_sets_every_key(void **state)
{
	struct kapd_config c;

	(void)state;
	assert_loads(full_text, &c);
	assert_string_equal(c.database, "/srv/kapd/plans.db");
	assert_string_equal(c.timezone, "Europe/Berlin");
	assert_int_equal(c.check_interval, 300);
	assert_int_equal(c.reminders.n_lead, 3);
	assert_int_equal(c.reminders.lead_days[0], 14);
	assert_int_equal(c.reminders.lead_days[2], 2);
	assert_int_equal(c.reminders.overdue_every_days, 2);
	assert_int_equal(c.reminders.escalate_after_days, 5);
	assert_int_equal(c.reminders.sponsor_after_days, 30);
	assert_int_equal(c.annual_update.n_lead, 1);
	assert_int_equal(c.annual_update.lead_days[0], 60);
	assert_int_equal(c.annual_update.overdue_every_days, 14);
	assert_int_equal(c.annual_update.escalate_after_days, 45);
	assert_int_equal(c.status_report.weekday, 4);
	assert_int_equal(c.status_report.stale_after_days, 90);
	assert_int_equal(c.delivery.mode, NOTIFY_ESCALATIONS_ONLY);
	assert_int_equal(c.delivery.send_time, 7 * 60 + 30);
	assert_int_equal(c.delivery.window_end, 19 * 60 + 15);
	assert_int_equal(c.delivery.send_days, (1u << 1) | (1u << 3) | (1u << 6));
	assert_int_equal(c.delivery.retry_first, 90);
	assert_int_equal(c.delivery.give_up_after, 2 * 86400);
	assert_int_equal(c.mail.transport, MAIL_SMTP);
	assert_string_equal(c.mail.directory, "/tmp/outbox");
	assert_string_equal(c.mail.url, "smtps://mail.example.com:465");
	assert_string_equal(c.mail.user, "kapd");
	assert_string_equal(c.mail.password_file, "/etc/kapd/pw");
	assert_string_equal(c.mail.from, "Key accounts <kap@example.com>");
	assert_string_equal(c.mail.ca_file, "/etc/kapd/ca.pem");
	assert_int_equal(c.mail.tls_verify, 0);
	assert_int_equal(c.mail.timeout, 120);
	assert_string_equal(c.feeds.directory, "/srv/feeds");
	assert_string_equal(c.feeds.base_url, "https://cal.example.com/kap/");
	assert_string_equal(c.feeds.domain, "kap.example.com");
	assert_int_equal(c.feeds.keep_done_days, 0);
	assert_int_equal(c.feeds.alarm, 1);
	config_free(&c);
}

static void
holidays_are_stored_sorted(void **state)
{
	struct kapd_config c;
	kdate_t d[3];

	(void)state;
	assert_int_equal(kdate_parse("2026-01-01", &d[0]), 0);
	assert_int_equal(kdate_parse("2026-12-25", &d[1]), 0);
	assert_int_equal(kdate_parse("2026-12-31", &d[2]), 0);
	assert_loads(
	    "delivery = { holidays = [\"2026-12-31\", \"2026-01-01\", \"2026-12-25\"]; };", &c);
	assert_int_equal(c.delivery.n_holidays, 3);
	for (size_t i = 0; i < 3; i++)
		if (c.delivery.holidays[i] != d[i])
			fail_msg("expected holiday %zu to be day %d (sorted), got %d", i, d[i],
			    c.delivery.holidays[i]);
	config_free(&c);
}

/* ---- durations ---- */

static void
durations_accept_seconds_and_units(void **state)
{
	static const struct {
		const char *value; /* as written in the file */
		int seconds;
	} cases[] = {
		{ "60", 60 },
		{ "86400", 86400 },
		{ "\"90s\"", 90 },
		{ "\"15m\"", 900 },
		{ "\"2h\"", 7200 },
		{ "\"1d\"", 86400 },
		{ "\"600\"", 600 },
		{ "\"1440m\"", 86400 },
		{ "120L", 120 },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char text[64];
		struct kapd_config c;

		snprintf(text, sizeof(text), "check_interval = %s;\n", cases[i].value);
		assert_loads(text, &c);
		if (c.check_interval != cases[i].seconds)
			fail_msg("expected check_interval = %s to be %d seconds, got %d",
			    cases[i].value, cases[i].seconds, c.check_interval);
		config_free(&c);
	}
}

/* ---- errors: each text, with exactly the errors it must produce ---- */

struct bad_case {
	const char *name; /* the behaviour the case protects */
	const char *text;
	const char *expect[4]; /* the whole message after the file name: ":line: message" */
};

static const struct bad_case bad_cases[] = {
	{ "unknown top-level key is reported with a suggestion",
	    "database = \"/tmp/a.db\";\ndatabse = \"/tmp/b.db\";\n",
	    { ":2: unknown key \"databse\" (did you mean \"database\"?)" } },
	{ "unknown key far from every known key has no suggestion", "\n\ncolour = \"blue\";\n",
	    { ":3: unknown key \"colour\"" } },
	{ "mistyped group reports its members by full dotted path",
	    "\nreminder = {\n  lead_days = [7, 1];\n};\n",
	    { ":3: unknown key \"reminder.lead_days\" (did you mean \"reminders\"?)" } },
	{ "unknown key inside a group is reported with its group",
	    "mail = {\n  transport = \"file\";\n  tls_verfy = false;\n};\n",
	    { ":3: unknown key \"mail.tls_verfy\" (did you mean \"mail.tls_verify\"?)" } },
	{ "key at the wrong level points to where it belongs",
	    "send_time = \"09:00\";\ndelivery = { timezone = \"UTC\"; };\n",
	    { ":1: unknown key \"send_time\" (did you mean \"delivery.send_time\"?)",
	        ":2: unknown key \"delivery.timezone\" (did you mean \"timezone\"?)" } },
	{ "wrong type names what was expected and what was found", "\n\ncheck_interval = (1, 2);\n",
	    { ":3: check_interval: expected a duration (seconds or a string like \"15m\"), "
	      "got a list" } },
	{ "float where an integer is expected is a type error",
	    "feeds = { keep_done_days = 1.5; };\n",
	    { ":1: feeds.keep_done_days: expected an integer, got a floating-point number" } },
	{ "scalar where a group is expected is a type error", "mail = \"smtp://x\";\n",
	    { ":1: mail: expected a group { ... }, got a string" } },
	{ "integer out of range names the range",
	    "reminders = {\n\n\n\n  overdue_every_days = 0;\n};\n",
	    { ":5: reminders.overdue_every_days: 0 is out of range (1..365)" } },
	{ "lead days that repeat are not strictly decreasing",
	    "reminders = {\n  lead_days = [7, 7];\n};\n",
	    { ":2: reminders.lead_days: must be strictly decreasing (largest first), "
	      "but 7 follows 7" } },
	{ "lead days in increasing order are refused",
	    "annual_update = { lead_days = [7, 30]; };\n",
	    { ":1: annual_update.lead_days: must be strictly decreasing (largest first), "
	      "but 30 follows 7" } },
	{ "empty and overlong lead day lists are refused",
	    "reminders = { lead_days = []; };\n"
	    "annual_update = { lead_days = [9, 8, 7, 6, 5, 4, 3, 2, 1]; };\n",
	    { ":1: reminders.lead_days: must list 1 to 8 days, got 0",
	        ":2: annual_update.lead_days: must list 1 to 8 days, got 9" } },
	{ "lead day out of range is refused", "reminders = { lead_days = [400, 1]; };\n",
	    { ":1: reminders.lead_days: 400 is out of range (1..365)" } },
	{ "send_time that is not HH:MM is refused",
	    "delivery = {\n  send_time = \"8am\";\n  window_end = \"24:00\";\n};\n",
	    { ":2: delivery.send_time: \"8am\" is not a time of day \"HH:MM\" (00:00..23:59)",
	        ":3: delivery.window_end: \"24:00\" is not a time of day \"HH:MM\" "
	        "(00:00..23:59)" } },
	{ "window_end before send_time is refused",
	    "delivery = {\n  send_time = \"09:00\";\n  window_end = \"08:30\";\n};\n",
	    { ":3: delivery.window_end (08:30) must be after delivery.send_time (09:00)" } },
	{ "duplicate holiday is reported at its second occurrence",
	    "delivery = {\n  holidays = [\"2026-12-25\",\n    \"2026-12-26\",\n    "
	    "\"2026-12-25\"];\n};\n",
	    { ":4: delivery.holidays: 2026-12-25 is listed twice" } },
	{ "invalid date in holidays is refused",
	    "delivery = {\n  holidays = (\"2026-02-30\", 20261225);\n};\n",
	    { ":2: delivery.holidays: \"2026-02-30\" is not a valid date (YYYY-MM-DD)",
	        ":2: delivery.holidays: element 2: expected a date, got an integer" } },
	{ "unknown time zone is refused", "\ntimezone = \"Mars/Olympus_Mons\";\n",
	    { ":2: timezone: unknown time zone \"Mars/Olympus_Mons\" (expected an IANA name like "
	      "\"Europe/Berlin\")" } },
	{ "smtp transport without url is refused",
	    "mail = {\n  transport = \"smtp\";\n  from = \"kap@example.com\";\n};\n",
	    { ":2: mail.url: required when mail.transport is \"smtp\"" } },
	{ "smtp transport without from is refused",
	    "mail = {\n  transport = \"smtp\";\n  url = \"smtp://localhost:2525\";\n};\n",
	    { ":2: mail.from: required when mail.transport is \"smtp\"" } },
	{ "url with another scheme is refused",
	    "mail = { url = \"http://mail.example.com\"; };\nfeeds = { base_url = \"ftp://x/\"; "
	    "};\n",
	    { ":1: mail.url: \"http://mail.example.com\" must start with smtp:// or smtps://",
	        ":2: feeds.base_url: \"ftp://x/\" must start with http:// or https://" } },
	{ "syntax error is reported with its line",
	    "database = \"/tmp/a.db\";\n\ncheck_interval = 15 m;\n", { ":3: syntax error" } },
	{ "duplicate key is a syntax error with libconfig's text",
	    "database = \"/tmp/a.db\";\ndatabase = \"/tmp/b.db\";\n",
	    { ":2: syntax error: duplicate setting name" } },
	{ "every error in a file is reported at once",
	    "databse = \"/tmp/a.db\";\n"
	    "\n"
	    "check_interval = \"15x\";\n"
	    "delivery = {\n"
	    "  mode = \"digest\";\n"
	    "  send_days = [\"Monday\", \"Funday\"];\n"
	    "};\n",
	    { ":1: unknown key \"databse\" (did you mean \"database\"?)",
	        ":3: check_interval: \"15x\" is not a duration (seconds, or a number followed by "
	        "s, "
	        "m, h or d, like \"15m\")",
	        ":6: delivery.send_days: \"Funday\" is not a weekday (Monday .. Sunday, or Mon .. "
	        "Sun)" } },
	{ "control characters in strings are refused",
	    "mail = { from = \"kap\\n<kap@example.com>\"; };\n",
	    { ":1: mail.from: contains a control character" } },
	{ "empty string is refused", "database = \"\";\n",
	    { ":1: database: must not be empty (leave the key out instead)" } },
	{ "unknown mode lists the accepted ones", "delivery = { mode = \"daily\"; };\n",
	    { ":1: delivery.mode: \"daily\" is not one of \"digest\", \"immediate\", "
	      "\"escalations-only\" or \"none\"" } },
	{ "bad report weekday is refused", "status_report = { weekday = \"Mo\"; };\n",
	    { ":1: status_report.weekday: \"Mo\" is not a weekday (Monday .. Sunday, or Mon .. "
	      "Sun)" } },
	{ "send_days must not repeat a day or be empty",
	    "delivery = { send_days = [\"Mon\", \"monday\"]; };\n",
	    { ":1: delivery.send_days: Monday is listed twice" } },
	{ "send_days must name a day", "delivery = { send_days = []; };\n",
	    { ":1: delivery.send_days: must name at least one day" } },
	{ "give_up_after shorter than retry_first is refused",
	    "delivery = {\n  retry_first = \"1h\";\n  give_up_after = \"30m\";\n};\n",
	    { ":3: delivery.give_up_after (30m) must not be shorter than delivery.retry_first "
	      "(1h)" } },
	{ "duration below its range names the range in units",
	    "check_interval = 30;\nmail = { timeout = \"2h\"; };\n",
	    { ":1: check_interval: 30s is out of range (1m..1d)",
	        ":2: mail.timeout: 2h is out of range (1s..1h)" } },
	{ "negative durations are refused",
	    "check_interval = -60;\ndelivery = { retry_first = \"-5m\"; };\n",
	    { ":1: check_interval: -1m is out of range (1m..1d)",
	        ":2: delivery.retry_first: \"-5m\" is not a duration (seconds, or a number "
	        "followed "
	        "by s, m, h or d, like \"15m\")" } },
	{ "duration garbage is refused",
	    "check_interval = \"15 m\";\nmail = { timeout = \"1.5h\"; };\n"
	    "delivery = { retry_first = \"\"; give_up_after = \"4days\"; };\n",
	    { ":1: check_interval: \"15 m\" is not a duration (seconds, or a number followed by s, "
	      "m, h or d, like \"15m\")",
	        ":2: mail.timeout: \"1.5h\" is not a duration (seconds, or a number followed by s, "
	        "m, "
	        "h or d, like \"15m\")",
	        ":3: delivery.retry_first: \"\" is not a duration (seconds, or a number followed "
	        "by "
	        "s, m, h or d, like \"15m\")",
	        ":3: delivery.give_up_after: \"4days\" is not a duration (seconds, or a number "
	        "followed by s, m, h or d, like \"15m\")" } },
	{ "duration string that overflows is refused", "check_interval = \"99999999999999d\";\n",
	    { ":1: check_interval: \"99999999999999d\" is out of range (1m..1d)" } },
	{ "replies on without an address is refused",
	    "replies = {\n  source = \"maildir\";\n  maildir = \"/tmp/m\";\n};\n",
	    { ":2: replies.address: required when replies are on" } },
	{ "reply address without {key}, or with it twice, is refused",
	    "replies = {\n  source = \"maildir\"; maildir = \"/tmp/m\";\n"
	    "  address = \"kap@example.com\";\n};\n",
	    { ":3: replies.address: \"kap@example.com\" must be an address with {key} once, like "
	      "\"kap+{key}@example.com\"" } },
	{ "imap replies need url and user; maildir needs its directory",
	    "replies = {\n  source = \"imap\";\n  address = \"kap+{key}@example.com\";\n};\n"
	    "feeds = { alarm = false; };\n",
	    { ":2: replies.url: required when replies.source is \"imap\"",
	        ":2: replies.user: required when replies.source is \"imap\"" } },
	{ "reply source and url scheme are checked",
	    "replies = {\n  source = \"pop3\";\n  url = \"pop3://x/INBOX\";\n  key_days = 0;\n};\n",
	    { ":2: replies.source: \"pop3\" is not one of \"off\", \"imap\" or \"maildir\"",
	        ":3: replies.url: \"pop3://x/INBOX\" must start with imaps:// or imap://",
	        ":4: replies.key_days: 0 is out of range (1..3650)" } },
	{ "integer literal libconfig would wrap is refused, not read as a small number",
	    "mail = {\n  timeout = 4294967297; # libconfig 1.5 reads this as 1\n};\n",
	    { ":2: 4294967297 does not fit in an integer" } },
};

static void
run_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config c, before;
	size_t n_expect = 0;
	char *path, full[512];
	int r;

	memset(&c, 0xa5, sizeof(c));
	before = c;
	r = load_text(bc->text, &c, &errs, &path);
	if (r != -EINVAL)
		fail_msg("expected -EINVAL for a bad file, got %d", r);
	if (memcmp(&c, &before, sizeof(c)) != 0)
		fail_msg("expected config_load to leave the struct untouched on failure");
	for (; n_expect < N_ELEMS(bc->expect) && bc->expect[n_expect] != NULL; n_expect++) {
		size_t i = 0;

		snprintf(full, sizeof(full), "%s%s", path, bc->expect[n_expect]);
		while (i < errs.n && (errs.msg[i] == NULL || strcmp(errs.msg[i], full) != 0))
			i++;
		if (i == errs.n) {
			print_error("expected the error\n    %s\nbut got:\n", full);
			print_errors(&errs);
			fail();
		}
	}
	if (errs.n != n_expect) {
		print_error("expected exactly %zu error(s), got %zu:\n", n_expect, errs.n);
		print_errors(&errs);
		fail();
	}
	free(path);
	errlist_free(&errs);
}

static void
replies_group_is_read_and_the_address_filled(void **state)
{
	struct kapd_config c;
	char buf[128];

	(void)state;
	assert_loads(
	    "replies = {\n  source = \"imap\";\n  url = \"imaps://mail.example.com/INBOX\";\n"
	    "  user = \"kap\";\n  address = \"kap+{key}@example.com\";\n  key_days = 30;\n"
	    "  max_messages = 50;\n  processed = \"Done\";\n};\n",
	    &c);
	assert_int_equal(c.replies.source, REPLY_IMAP);
	assert_string_equal(c.replies.url, "imaps://mail.example.com/INBOX");
	assert_int_equal(c.replies.key_days, 30);
	assert_int_equal(c.replies.max_messages, 50);
	assert_string_equal(c.replies.processed, "Done");
	assert_int_equal(config_reply_address(&c, "abc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "kap+abc@example.com");
	assert_int_equal(config_reply_address(&c, "abc", buf, 10), -ENOSPC);
	config_free(&c);
}

static void
missing_file_is_enoent_with_cannot_open(void **state)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config c;

	(void)state;
	assert_int_equal(config_load("/nonexistent/kapd.conf", &c, &errs), -ENOENT);
	assert_int_equal(errs.n, 1);
	assert_string_equal(
	    errs.msg[0], "/nonexistent/kapd.conf: cannot open: No such file or directory");
	errlist_free(&errs);
}

/* ---- the SMTP password ---- */

static void
password_config(struct kapd_config *c, const char *password_file)
{
	assert_int_equal(config_defaults(c), 0);
	if (password_file != NULL) {
		c->mail.password_file = strdup(password_file);
		assert_non_null(c->mail.password_file);
	}
}

static void
password_file_readable_by_others_is_refused(void **state)
{
	char *path = write_temp("hunter2\n", 0644), err[256] = "", *pw = (char *)"untouched";
	struct kapd_config c;
	char want[512];

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want),
	    "password file %s is readable by group or others "
	    "(mode 0644); chmod 600 it",
	    path);
	assert_string_equal(err, want);
	assert_string_equal(pw, "untouched");
	if (strstr(err, "hunter2") != NULL)
		fail_msg("expected the error never to contain the password");
	config_free(&c);
	unlink(path);
	free(path);
}

static void
private_password_file_is_read_without_its_newline(void **state)
{
	char *path = write_temp("hunter2\n", 0600), err[256] = "", *pw = NULL;
	struct kapd_config c;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_string_equal(pw, "hunter2");
	free(pw);
	config_free(&c);
	unlink(path);
	free(path);
}

static void
password_with_a_line_break_inside_is_refused(void **state)
{
	char *path = write_temp("hunter2\nRCPT TO:<x@example.com>\n", 0600), err[256] = "";
	char *pw = (char *)"untouched";
	struct kapd_config c;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), -EINVAL);
	assert_string_equal(pw, "untouched");
	if (strstr(err, "must hold one non-empty line") == NULL || strstr(err, "hunter2") != NULL)
		fail_msg(
		    "expected an error about the file's form without the password, got: %s", err);
	config_free(&c);
	unlink(path);
	free(path);
}

static void
missing_password_file_is_an_error(void **state)
{
	char err[256] = "", *pw = NULL;
	struct kapd_config c;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	password_config(&c, "/nonexistent/pw");
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), -ENOENT);
	assert_string_equal(err,
	    "password file /nonexistent/pw: cannot open: No such file or "
	    "directory");
	config_free(&c);
}

static void
no_password_configured_gives_null(void **state)
{
	char err[256] = "", *pw = (char *)"untouched";
	struct kapd_config c;

	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	password_config(&c, NULL);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_null(pw);
	config_free(&c);
}

static char *
make_credentials_dir(const char *password)
{
	char tmpl[] = "/tmp/kapd-test-creds-XXXXXX", file[128];
	FILE *f;

	if (mkdtemp(tmpl) == NULL)
		fail_msg("test setup: mkdtemp: %s", strerror(errno));
	if (password != NULL) {
		snprintf(file, sizeof(file), "%s/smtp-password", tmpl);
		f = fopen(file, "w");
		assert_non_null(f);
		fputs(password, f);
		fclose(f);
	}
	return strdup(tmpl);
}

static void
remove_credentials_dir(char *dir)
{
	char file[128];

	snprintf(file, sizeof(file), "%s/smtp-password", dir);
	unlink(file);
	rmdir(dir);
	free(dir);
	unsetenv("CREDENTIALS_DIRECTORY");
}

static void
systemd_credential_is_preferred_over_the_password_file(void **state)
{
	char *path = write_temp("from-file\n", 0600), err[256] = "", *pw = NULL;
	char *dir = make_credentials_dir("from-credential\n");
	struct kapd_config c;

	(void)state;
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_string_equal(pw, "from-credential");
	free(pw);
	remove_credentials_dir(dir);
	config_free(&c);
	unlink(path);
	free(path);
}

static void
credentials_directory_without_the_credential_falls_back_to_the_file(void **state)
{
	char *path = write_temp("from-file", 0600), err[256] = "", *pw = NULL;
	char *dir = make_credentials_dir(NULL);
	struct kapd_config c;

	(void)state;
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_string_equal(pw, "from-file");
	free(pw);
	remove_credentials_dir(dir);
	config_free(&c);
	unlink(path);
	free(path);
}

/* The shipped unit always passes the credential; empty, it means "no password". */
static void
empty_systemd_credential_counts_as_none(void **state)
{
	char *path = write_temp("from-file\n", 0600), err[256] = "", *pw = NULL;
	char *dir = make_credentials_dir("");
	struct kapd_config c;

	(void)state;
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	password_config(&c, NULL);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_null(pw);
	config_free(&c);
	password_config(&c, path);
	assert_int_equal(config_read_password(&c, &pw, err, sizeof(err)), 0);
	assert_string_equal(pw, "from-file");
	free(pw);
	remove_credentials_dir(dir);
	config_free(&c);
	unlink(path);
	free(path);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(defaults_match_the_documented_values),
		cmocka_unit_test(empty_file_gives_the_defaults),
		cmocka_unit_test(shipped_example_loads_cleanly_and_states_the_real_defaults),
		cmocka_unit_test(free_accepts_null_and_a_freed_config),
		cmocka_unit_test(full_file_sets_every_key),
		cmocka_unit_test(holidays_are_stored_sorted),
		cmocka_unit_test(durations_accept_seconds_and_units),
		cmocka_unit_test(missing_file_is_enoent_with_cannot_open),
		cmocka_unit_test(replies_group_is_read_and_the_address_filled),
		cmocka_unit_test(password_file_readable_by_others_is_refused),
		cmocka_unit_test(private_password_file_is_read_without_its_newline),
		cmocka_unit_test(password_with_a_line_break_inside_is_refused),
		cmocka_unit_test(missing_password_file_is_an_error),
		cmocka_unit_test(no_password_configured_gives_null),
		cmocka_unit_test(empty_systemd_credential_counts_as_none),
		cmocka_unit_test(systemd_credential_is_preferred_over_the_password_file),
		cmocka_unit_test(
		    credentials_directory_without_the_credential_falls_back_to_the_file),
	};
	/* Each bad configuration is its own test, named after the behaviour it protects. */
	struct CMUnitTest tests[N_ELEMS(fixed) + N_ELEMS(bad_cases)];
	size_t n = 0;

	for (size_t i = 0; i < N_ELEMS(fixed); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < N_ELEMS(bad_cases); i++) {
		struct CMUnitTest t = { bad_cases[i].name, run_bad_case, NULL, NULL,
			(void *)&bad_cases[i] };
		tests[n++] = t;
	}
	return _cmocka_run_group_tests("config", tests, n, NULL, NULL);
}
