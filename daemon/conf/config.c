/* config: kapd.conf (libconfig syntax) into a typed, validated struct kapd_config.
 *
 * Every key is one row of a table (name, type, range, default, offset).  A type knows
 * which libconfig value types it accepts and how to check and store a value.  Defaults are
 * written in the table as they would be written in kapd.conf and go through the same
 * setters as the file, so a default can never bypass a check.  Reading never stops at the
 * first problem: every error is appended to an errlist as "file:line: what is wrong", and
 * the cross-field rules run after all keys were read. */
/* lint: long because the key table, its per-type setters and the cross-field checks share
 * private types (struct key, struct ctx); splitting them wants a private header (README). */
#include "conf/config.h"
#include "lib/textcheck.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#define CONFIG_MAX_BYTES (1024 * 1024) /* far beyond any sensible kapd.conf */
#define MAX_BAD_INTS 32

enum ktype {
	K_INT,      /* int, min..max */
	K_BOOL,     /* int, 0 or 1 */
	K_DURATION, /* int seconds, min..max; 90, "90s", "15m", "2h", "4d" */
	K_STRING,   /* char *; words = allowed prefixes (URL schemes) or NULL */
	K_ZONE,     /* char *, an IANA time zone */
	K_ENUM,     /* int, index into words */
	K_WEEKDAY,  /* int, ISO 1..7 */
	K_TIME,     /* int, minutes after midnight from "HH:MM" */
	K_WEEKDAYS, /* unsigned, bit (1u << ISO weekday) */
	K_LEAD,     /* int[CONFIG_MAX_LEAD] at off, int count at off_n; elements min..max */
	K_DATES,    /* kdate_t * at off, size_t count at off_n; sorted, no duplicates */
	K_GROUP,    /* members in sub; groups do not nest */
};

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	size_t off_n;
	long min, max;
	const char *dflt; /* as written in kapd.conf; NULL: no default (field stays NULL) */
	const char *const *words;
	const struct key *sub;
};

/* What one load is doing: where messages go and which group is being read. */
struct ctx {
	const char *file;
	struct errlist *errs;
	struct kapd_config *c;
	const char *group; /* name of the group being read, NULL at the top level */
	int nerr;
	int nomem;
	unsigned bad_int_line[MAX_BAD_INTS]; /* lines with an integer libconfig wrapped */
	size_t n_bad_int;
};

typedef void setter_fn(const struct key *k, const config_setting_t *s, struct ctx *x);

struct ktype_info {
	unsigned accept; /* bit (1u << CONFIG_TYPE_x) for each libconfig type taken */
	const char *expect;
	setter_fn *set;
};

_Static_assert(sizeof(enum notify_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum mail_transport) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum reply_source) == sizeof(int), "enums are stored as int");

static const char *const weekday_names[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday", "Sunday", NULL };
static const char *const mode_names[] = { "digest", "immediate", "escalations-only", "none", NULL };
static const char *const transport_names[] = { "file", "smtp", NULL };
static const char *const smtp_schemes[] = { "smtp://", "smtps://", NULL };
static const char *const http_schemes[] = { "http://", "https://", NULL };
static const char *const source_names[] = { "off", "imap", "maildir", NULL };
static const char *const imap_schemes[] = { "imaps://", "imap://", NULL };

#define OFF(m) offsetof(struct kapd_config, m)
#define KEY(n, t, m, lo, hi, d)                                                                    \
	{                                                                                          \
		.name = n, .type = t, .off = OFF(m), .min = lo, .max = hi, .dflt = d               \
	}
#define INT(n, m, lo, hi, d) KEY(n, K_INT, m, lo, hi, d)
#define DUR(n, m, lo, hi, d) KEY(n, K_DURATION, m, lo, hi, d)
#define BOOL(n, m, d) KEY(n, K_BOOL, m, 0, 1, d)
#define STR(n, m, d) KEY(n, K_STRING, m, 0, 0, d)
#define URL(n, m, d, w)                                                                            \
	{                                                                                          \
		.name = n, .type = K_STRING, .off = OFF(m), .dflt = d, .words = w                  \
	}
#define ENUM(n, m, d, w)                                                                           \
	{                                                                                          \
		.name = n, .type = K_ENUM, .off = OFF(m), .dflt = d, .words = w                    \
	}
#define LEAD(n, m, d)                                                                              \
	{                                                                                          \
		.name = n, .type = K_LEAD, .off = OFF(m.lead_days), .off_n = OFF(m.n_lead),        \
		.min = 1, .max = 365, .dflt = d                                                    \
	}
#define GROUP(n, s)                                                                                \
	{                                                                                          \
		.name = n, .type = K_GROUP, .sub = s                                               \
	}
#define END                                                                                        \
	{                                                                                          \
		.name = NULL                                                                       \
	}

static const struct key reminders_keys[] = {
	LEAD("lead_days", reminders, "[7, 1]"),
	INT("overdue_every_days", reminders.overdue_every_days, 1, 365, "3"),
	INT("escalate_after_days", reminders.escalate_after_days, 1, 3650, "7"),
	INT("sponsor_after_days", reminders.sponsor_after_days, 1, 3650, "21"),
	END,
};

static const struct key annual_update_keys[] = {
	LEAD("lead_days", annual_update, "[30, 7]"),
	INT("overdue_every_days", annual_update.overdue_every_days, 1, 365, "7"),
	INT("escalate_after_days", annual_update.escalate_after_days, 1, 3650, "30"),
	END,
};

static const struct key status_report_keys[] = {
	KEY("weekday", K_WEEKDAY, status_report.weekday, 1, 7, "\"Monday\""),
	INT("stale_after_days", status_report.stale_after_days, 1, 3650, "180"),
	END,
};

static const struct key delivery_keys[] = {
	ENUM("mode", delivery.mode, "\"digest\"", mode_names),
	KEY("send_time", K_TIME, delivery.send_time, 0, 0, "\"08:00\""),
	KEY("window_end", K_TIME, delivery.window_end, 0, 0, "\"18:00\""),
	KEY("send_days", K_WEEKDAYS, delivery.send_days, 0, 0,
	    "[\"Monday\", \"Tuesday\", \"Wednesday\", \"Thursday\", \"Friday\"]"),
	{ .name = "holidays",
	    .type = K_DATES,
	    .off = OFF(delivery.holidays),
	    .off_n = OFF(delivery.n_holidays),
	    .dflt = "[]" },
	DUR("retry_first", delivery.retry_first, 1, 86400, "\"5m\""),
	DUR("retry_max", delivery.retry_max, 1, 86400, "\"2h\""),
	DUR("give_up_after", delivery.give_up_after, 1, 60 * 86400, "\"4d\""),
	END,
};

static const struct key mail_keys[] = {
	ENUM("transport", mail.transport, "\"file\"", transport_names),
	STR("directory", mail.directory, "\"/var/lib/kapd/outbox\""),
	URL("url", mail.url, NULL, smtp_schemes),
	STR("user", mail.user, NULL),
	STR("password_file", mail.password_file, NULL),
	STR("from", mail.from, "\"kapd <kapd@localhost.localdomain>\""),
	STR("ca_file", mail.ca_file, NULL),
	BOOL("tls_verify", mail.tls_verify, "true"),
	DUR("timeout", mail.timeout, 1, 3600, "\"60s\""),
	END,
};

static const struct key feeds_keys[] = {
	STR("directory", feeds.directory, "\"/var/lib/kapd/feeds\""),
	URL("base_url", feeds.base_url, "\"http://localhost/kapd/\"", http_schemes),
	STR("domain", feeds.domain, "\"kapd.localhost\""),
	INT("keep_done_days", feeds.keep_done_days, 0, 3650, "30"),
	BOOL("alarm", feeds.alarm, "false"),
	END,
};

static const struct key replies_keys[] = {
	ENUM("source", replies.source, "\"off\"", source_names),
	URL("url", replies.url, NULL, imap_schemes),
	STR("user", replies.user, NULL),
	STR("password_file", replies.password_file, NULL),
	STR("maildir", replies.maildir, NULL),
	STR("address", replies.address, NULL),
	STR("processed", replies.processed, "\"kapd/processed\""),
	STR("ca_file", replies.ca_file, NULL),
	BOOL("tls_verify", replies.tls_verify, "true"),
	DUR("timeout", replies.timeout, 1, 600, "\"30s\""),
	INT("key_days", replies.key_days, 1, 3650, "60"),
	INT("max_messages", replies.max_messages, 1, 100000, "1000"),
	INT("max_bytes", replies.max_bytes, 1024, 1024 * 1024 * 1024, "104857600"),
	INT("answers_per_hour", replies.answers_per_hour, 0, 1000, "10"),
	END,
};

static const struct key pages_keys[] = {
	STR("directory", pages.directory, "\"/var/lib/kapd/pages\""),
	URL("base_url", pages.base_url, "\"http://localhost/kapd/pages/\"", http_schemes),
	BOOL("confidential", pages.confidential, "true"),
	END,
};

static const struct key top_keys[] = {
	STR("database", database, "\"/var/lib/kapd/kapd.db\""),
	KEY("timezone", K_ZONE, timezone, 0, 0, "\"UTC\""),
	DUR("check_interval", check_interval, 60, 86400, "\"15m\""),
	STR("log_language", log_language, "\"en\""),
	GROUP("reminders", reminders_keys),
	GROUP("annual_update", annual_update_keys),
	GROUP("status_report", status_report_keys),
	GROUP("delivery", delivery_keys),
	GROUP("mail", mail_keys),
	GROUP("feeds", feeds_keys),
	GROUP("replies", replies_keys),
	GROUP("pages", pages_keys),
	END,
};

/* ---- messages ---- */

/* Appends "file:line: [group.key: ]message"; without a setting (or a line) "file: ...". */
static void __attribute__((format(printf, 4, 5)))
say(struct ctx *x, const struct key *k, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = x->file, *group = k != NULL && x->group != NULL ? x->group : "";
	unsigned line = s != NULL ? config_setting_source_line(s) : 0;
	char where[24] = "", *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (s != NULL && config_setting_source_file(s) != NULL)
		file = config_setting_source_file(s);
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	if (errlist_add(x->errs, "%s%s: %s%s%s%s%s", file, where, group, *group ? "." : "",
	        k != NULL ? k->name : "", k != NULL ? ": " : "",
	        msg != NULL ? msg : "(out of memory)") < 0 ||
	    msg == NULL)
		x->nomem = 1;
	x->nerr++;
	free(msg);
}

static const char *
type_name(const config_setting_t *s)
{
	static const char *const names[] = {
		[CONFIG_TYPE_INT] = "an integer",
		[CONFIG_TYPE_INT64] = "an integer",
		[CONFIG_TYPE_FLOAT] = "a floating-point number",
		[CONFIG_TYPE_STRING] = "a string",
		[CONFIG_TYPE_BOOL] = "a boolean",
		[CONFIG_TYPE_ARRAY] = "an array",
		[CONFIG_TYPE_LIST] = "a list",
		[CONFIG_TYPE_GROUP] = "a group",
	};
	int t = config_setting_type(s);

	return t > 0 && t <= CONFIG_TYPE_LIST ? names[t] : "nothing";
}

/* "a, b or c" into buf, each word quoted when quote is set. */
static const char *
join_words(const char *const *w, int quote, char *buf, size_t len)
{
	size_t used = 0;
	const char *q = quote ? "\"" : "";

	buf[0] = '\0';
	for (size_t i = 0; w[i] != NULL && used < len; i++) {
		const char *sep = i == 0 ? "" : w[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(buf + used, len - used, "%s%s%s%s", sep, q, w[i], q);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

static const struct {
	char unit;
	long long secs;
} units[] = {
	{ 'd', 86400 },
	{ 'h', 3600 },
	{ 'm', 60 },
	{ 's', 1 },
};

/* "90s", "15m", "2h", "4d": the largest unit that divides the value. */
static const char *
fmt_duration(long long v, char *buf, size_t len)
{
	size_t i = 0;

	while (i < 3 && (v == 0 || v % units[i].secs != 0))
		i++;
	snprintf(buf, len, "%lld%c", v / units[i].secs, units[i].unit);
	return buf;
}

/* ---- value parsers (pure) ---- */

/* Digits with an optional unit s, m, h or d; 0, -EINVAL (garbage) or -ERANGE. */
static int
parse_duration(const char *s, long long *out)
{
	long long v, mult = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end == '\0')
		mult = 1;
	for (size_t i = 0; i < 4 && mult == 0; i++)
		if (*end == units[i].unit && end[1] == '\0')
			mult = units[i].secs;
	if (mult == 0)
		return -EINVAL;
	if (errno == ERANGE || v > INT_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/* "Monday" or "Mon", any case: ISO weekday 1..7, or 0. */
static int
parse_weekday(const char *s)
{
	for (int i = 0; weekday_names[i] != NULL; i++)
		if (strcasecmp(s, weekday_names[i]) == 0 ||
		    (strlen(s) == 3 && strncasecmp(s, weekday_names[i], 3) == 0))
			return i + 1;
	return 0;
}

/* Strict "HH:MM", 00:00..23:59: minutes after midnight, or -1. */
static int
parse_hhmm(const char *s)
{
	int h, m;

	if (strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	return h <= 23 && m <= 59 ? h * 60 + m : -1;
}

/* ---- setters, one per type ---- */

/* The field a key (or its count, off_n) stores into. */
#define FIELD(x, off, type) ((type *)(void *)((char *)(x)->c + (off)))

/* The string value, or NULL after reporting a control character (which also keeps such
 * characters out of every later message that quotes the value). */
static const char *
str_of(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = config_setting_get_string(s);

	for (const char *p = v; p != NULL && *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			say(x, k, s, "contains a control character");
			return NULL;
		}
	}
	return v;
}

/* libconfig 1.5 wraps integer literals that do not fit in 32 bits; scan_ints() found
 * them, and their (meaningless) values are not checked a second time. */
static int
is_bad_int(const config_setting_t *s, const struct ctx *x)
{
	for (size_t i = 0; i < x->n_bad_int; i++)
		if (x->bad_int_line[i] == config_setting_source_line(s))
			return 1;
	return 0;
}

/* An integer within the key's range, or -1 after reporting (or for a wrapped literal). */
static int
int_in_range(const struct key *k, const config_setting_t *s, struct ctx *x, int *out)
{
	long long v = config_setting_get_int64(s);

	if (is_bad_int(s, x))
		return -1;
	if (v < k->min || v > k->max) {
		say(x, k, s, "%lld is out of range (%ld..%ld)", v, k->min, k->max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static void
set_int(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	int v;

	if (int_in_range(k, s, x, &v) == 0)
		*FIELD(x, k->off, int) = v;
}

static void
set_bool(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	*FIELD(x, k->off, int) = config_setting_get_bool(s) ? 1 : 0;
}

static void
set_duration(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	char a[24], lo[24], hi[24];
	const char *str = NULL;
	long long v = 0;
	int r = 0;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		if (is_bad_int(s, x))
			return;
		v = config_setting_get_int64(s);
	} else if ((str = str_of(k, s, x)) == NULL)
		return;
	else if ((r = parse_duration(str, &v)) == -EINVAL) {
		say(x, k, s,
		    "\"%s\" is not a duration (seconds, or a number followed by s, m, h "
		    "or d, like \"15m\")",
		    str);
		return;
	}
	fmt_duration(k->min, lo, sizeof(lo));
	fmt_duration(k->max, hi, sizeof(hi));
	if (r == -ERANGE)
		say(x, k, s, "\"%s\" is out of range (%s..%s)", str, lo, hi);
	else if (v < k->min || v > k->max)
		say(x, k, s, "%s is out of range (%s..%s)", fmt_duration(v, a, sizeof(a)), lo, hi);
	else
		*FIELD(x, k->off, int) = (int)v;
}

static int
replace_string(char **dst, const char *v, struct ctx *x)
{
	char *copy = strdup(v);

	if (copy == NULL) {
		x->nomem = 1;
		return -ENOMEM;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int
has_prefix(const char *s, const char *const *prefixes)
{
	for (size_t i = 0; prefixes[i] != NULL; i++)
		if (strncasecmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static void
set_string(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);
	char buf[64];

	if (v == NULL)
		return;
	if (*v == '\0')
		say(x, k, s, "must not be empty (leave the key out instead)");
	else if (k->words != NULL && !has_prefix(v, k->words))
		say(x, k, s, "\"%s\" must start with %s", v,
		    join_words(k->words, 0, buf, sizeof(buf)));
	else
		replace_string(FIELD(x, k->off, char *), v, x);
}

static void
set_zone(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);

	if (v == NULL)
		return;
	if (!kdate_zone_exists(v)) /* true for "UTC" even without a zone database */
		say(x, k, s,
		    "unknown time zone \"%s\" (expected an IANA name like "
		    "\"Europe/Berlin\")",
		    v);
	else
		replace_string(FIELD(x, k->off, char *), v, x);
}

static void
set_enum(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);
	char buf[96];

	if (v == NULL)
		return;
	for (int i = 0; k->words[i] != NULL; i++) {
		if (strcmp(v, k->words[i]) == 0) {
			*FIELD(x, k->off, int) = i;
			return;
		}
	}
	say(x, k, s, "\"%s\" is not one of %s", v, join_words(k->words, 1, buf, sizeof(buf)));
}

static void
set_weekday(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);
	int d;

	if (v == NULL)
		return;
	if ((d = parse_weekday(v)) == 0)
		say(x, k, s, "\"%s\" is not a weekday (Monday .. Sunday, or Mon .. Sun)", v);
	else
		*FIELD(x, k->off, int) = d;
}

static void
set_time(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);
	int m;

	if (v == NULL)
		return;
	if ((m = parse_hhmm(v)) < 0)
		say(x, k, s, "\"%s\" is not a time of day \"HH:MM\" (00:00..23:59)", v);
	else
		*FIELD(x, k->off, int) = m;
}

/* An array element of the wanted libconfig type, or NULL after reporting. */
static const config_setting_t *
elem(const struct key *k, const config_setting_t *s, int i, int type, const char *what,
    struct ctx *x)
{
	const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

	if (e != NULL &&
	    (config_setting_type(e) == type ||
	        (type == CONFIG_TYPE_INT && config_setting_type(e) == CONFIG_TYPE_INT64)))
		return e;
	say(x, k, e != NULL ? e : s, "element %d: expected %s, got %s", i + 1, what,
	    e != NULL ? type_name(e) : "nothing");
	return NULL;
}

static void
set_weekdays(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	int n = config_setting_length(s), bad = x->nerr;
	unsigned mask = 0;

	if (n == 0)
		say(x, k, s, "must name at least one day");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = elem(k, s, i, CONFIG_TYPE_STRING, "a weekday name", x);
		const char *v = e != NULL ? str_of(k, e, x) : NULL;
		int d = v != NULL ? parse_weekday(v) : 0;

		if (v != NULL && d == 0)
			say(x, k, e, "\"%s\" is not a weekday (Monday .. Sunday, or Mon .. Sun)",
			    v);
		else if (d != 0 && (mask & (1u << d)))
			say(x, k, e, "%s is listed twice", weekday_names[d - 1]);
		mask |= d != 0 ? 1u << d : 0;
	}
	if (x->nerr == bad)
		*FIELD(x, k->off, unsigned) = mask;
}

static void
set_lead(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	int n = config_setting_length(s), bad = x->nerr, v[CONFIG_MAX_LEAD];

	if (n < 1 || n > CONFIG_MAX_LEAD) {
		say(x, k, s, "must list 1 to %d days, got %d", CONFIG_MAX_LEAD, n);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = elem(k, s, i, CONFIG_TYPE_INT, "a number of days", x);

		v[i] = 0;
		if (e == NULL || int_in_range(k, e, x, &v[i]) < 0)
			continue;
		/* A stage runs from one lead day to the next smaller one (SPEC §3). */
		if (i > 0 && v[i - 1] > 0 && v[i] >= v[i - 1])
			say(x, k, e,
			    "must be strictly decreasing (largest first), but %d follows %d", v[i],
			    v[i - 1]);
	}
	if (x->nerr != bad)
		return;
	memcpy(FIELD(x, k->off, int), v, (size_t)n * sizeof(v[0]));
	*FIELD(x, k->off_n, int) = n;
}

static int
cmp_kdate(const void *a, const void *b)
{
	kdate_t x = *(const kdate_t *)a, y = *(const kdate_t *)b;

	return (x > y) - (x < y);
}

/* Reports bad dates and duplicates (at the element's line); stores them sorted. */
static void
set_dates(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	int n = config_setting_length(s), bad = x->nerr;
	kdate_t *d = calloc(n > 0 ? (size_t)n : 1, sizeof(*d));

	if (d == NULL) {
		x->nomem = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = elem(k, s, i, CONFIG_TYPE_STRING, "a date", x);
		const char *v = e != NULL ? str_of(k, e, x) : NULL;

		d[i] = INT32_MIN; /* never a valid date, so never a duplicate */
		if (v != NULL && kdate_parse(v, &d[i]) < 0)
			say(x, k, e, "\"%s\" is not a valid date (YYYY-MM-DD)", v);
		for (int j = 0; d[i] != INT32_MIN && j < i; j++) {
			if (d[j] == d[i]) {
				say(x, k, e, "%s is listed twice", v);
				break;
			}
		}
	}
	if (x->nerr != bad) {
		free(d);
		return;
	}
	qsort(d, (size_t)n, sizeof(*d), cmp_kdate);
	free(*FIELD(x, k->off, kdate_t *));
	*FIELD(x, k->off, kdate_t *) = d;
	*FIELD(x, k->off_n, size_t) = (size_t)n;
}

static void read_group(const struct key *keys, const config_setting_t *g, struct ctx *x);

static void
set_group(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	x->group = k->name;
	read_group(k->sub, s, x);
	x->group = NULL;
}

#define T(t) (1u << CONFIG_TYPE_##t)
static const struct ktype_info ktypes[] = {
	[K_INT] = { T(INT) | T(INT64), "an integer", set_int },
	[K_BOOL] = { T(BOOL), "true or false", set_bool },
	[K_DURATION] = { T(INT) | T(INT64) | T(STRING),
	    "a duration (seconds or a string like \"15m\")", set_duration },
	[K_STRING] = { T(STRING), "a string", set_string },
	[K_ZONE] = { T(STRING), "a time zone name like \"Europe/Berlin\"", set_zone },
	[K_ENUM] = { T(STRING), "a string", set_enum },
	[K_WEEKDAY] = { T(STRING), "a weekday name like \"Monday\"", set_weekday },
	[K_TIME] = { T(STRING), "a time of day like \"08:00\"", set_time },
	[K_WEEKDAYS] = { T(ARRAY) | T(LIST), "an array of weekday names like [\"Monday\"]",
	    set_weekdays },
	[K_LEAD] = { T(ARRAY) | T(LIST), "an array of days like [7, 1]", set_lead },
	[K_DATES] = { T(ARRAY) | T(LIST), "an array of dates like [\"2026-12-25\"]", set_dates },
	[K_GROUP] = { T(GROUP), "a group { ... }", set_group },
};
#undef T

static void
apply(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const struct ktype_info *t = &ktypes[k->type];

	if (!(t->accept & (1u << config_setting_type(s))))
		say(x, k, s, "expected %s, got %s", t->expect, type_name(s));
	else
		t->set(k, s, x);
}

/* ---- unknown keys ---- */

static int
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 64 || lb >= 64)
		return INT_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A likely meant key for name in keys (group: their group, or NULL), as a dotted path in
 * buf: the closest sibling within two edits, else the same name elsewhere in the tree. */
static const char *
suggest(const struct key *keys, const char *group, const char *name, char *buf, size_t len)
{
	const struct key *best = NULL;
	int bestd = 3;

	for (const struct key *k = keys; k->name != NULL; k++) {
		int d = edit_distance(name, k->name);
		if (d < bestd) {
			best = k;
			bestd = d;
		}
	}
	if (best != NULL) {
		snprintf(buf, len, "%s%s%s", group ? group : "", group ? "." : "", best->name);
		return buf;
	}
	/* No near sibling: the same name elsewhere ("send_time" at the top level). */
	for (const struct key *g = top_keys; g->name != NULL; g++) {
		if (group != NULL && g->type != K_GROUP && strcmp(g->name, name) == 0)
			return g->name;
		if (g->type != K_GROUP || (group != NULL && strcmp(g->name, group) == 0))
			continue;
		for (const struct key *k = g->sub; k->name != NULL; k++) {
			if (strcmp(k->name, name) == 0) {
				snprintf(buf, len, "%s.%s", g->name, k->name);
				return buf;
			}
		}
	}
	return NULL;
}

/* Reports an unknown key by its full dotted path; an unknown group is reported member by
 * member ("reminder.lead_days"), so that each line of a mistyped group is pointed at. */
static void
report_unknown(const config_setting_t *s, const char *path, const char *hint, struct ctx *x)
{
	int n = config_setting_is_group(s) ? config_setting_length(s) : 0;
	char sub[192];

	if (n == 0 || strlen(path) > 128) {
		say(x, NULL, s, "unknown key \"%s\"%s%s%s", path, hint ? " (did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?)" : "");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		snprintf(sub, sizeof(sub), "%s.%s", path, config_setting_name(m));
		report_unknown(m, sub, hint, x);
	}
}

static void
read_group(const struct key *keys, const config_setting_t *g, struct ctx *x)
{
	int n = config_setting_length(g);
	char path[192], hint[192];

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct key *k = keys;

		while (k->name != NULL && strcmp(k->name, name) != 0)
			k++;
		if (k->name != NULL) {
			apply(k, s, x);
			continue;
		}
		snprintf(path, sizeof(path), "%s%s%s", x->group ? x->group : "",
		    x->group ? "." : "", name);
		report_unknown(s, path, suggest(keys, x->group, name, hint, sizeof(hint)), x);
	}
}

/* ---- whole-file checks ---- */

/* Checks the integer literal at p (a sign, digits, maybe hex or an L suffix; floats are
 * skipped) and returns the first character after it. */
static const char *
scan_number(const char *p, unsigned line, struct ctx *x)
{
	const char *q = p + (*p == '-' || *p == '+'), *end = q;
	int hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X'), bad;

	while (isalnum((unsigned char)*end) || *end == '.' ||
	    ((*end == '-' || *end == '+') && !hex && (end[-1] == 'e' || end[-1] == 'E')))
		end++;
	for (const char *c = q; c < end && !hex; c++)
		if (*c == '.' || *c == 'e' || *c == 'E')
			return end;
	errno = 0;
	if (hex)
		bad = strtoull(q, NULL, 16) > 0xffffffffULL;
	else {
		long long v = strtoll(p, NULL, 10);
		bad = end[-1] != 'L' && (v > INT_MAX || v < INT_MIN);
	}
	if (bad || errno == ERANGE) {
		if (errlist_add(x->errs, "%s:%u: %.*s does not fit in an integer", x->file, line,
		        (int)(end - p), p) < 0)
			x->nomem = 1;
		x->nerr++;
		if (x->n_bad_int < MAX_BAD_INTS)
			x->bad_int_line[x->n_bad_int++] = line;
	}
	return end;
}

/* libconfig 1.5 silently wraps integer literals that do not fit in 32 bits (4294967297
 * reads as 1), so they are caught in the text itself: numbers outside strings and
 * comments that do not continue a name. */
static void
scan_ints(const char *p, struct ctx *x)
{
	unsigned line = 1;
	char prev = ' ';

	for (; *p != '\0'; prev = *p, p++) {
		if (*p == '\n') {
			line++;
		} else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				line += *p == '\n';
			}
			if (*p == '\0')
				return;
		} else if (*p == '#' || (*p == '/' && p[1] == '/')) {
			while (p[1] != '\0' && p[1] != '\n')
				p++;
		} else if (*p == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(*p == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p == '\0')
				return;
			p++;
		} else if ((isdigit((unsigned char)*p) ||
		               ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) &&
		    !isalnum((unsigned char)prev) && strchr("_*-.", prev) == NULL) {
			p = scan_number(p, line, x) - 1;
		}
	}
}

static const config_setting_t *
at(const config_t *lc, const char *path, const char *fallback)
{
	const config_setting_t *s = config_lookup(lc, path);

	return s != NULL || fallback == NULL ? s : config_lookup(lc, fallback);
}

/* Rules between keys, checked after every key was read (and reported). */
/* "Name <addr>" or "addr", with a valid address: the sender of every email. */
static int
sender_ok(const char *from)
{
	const char *lt = strchr(from, '<');
	char addr[256];
	size_t n;

	if (lt == NULL)
		return text_is_email(from);
	n = strlen(lt + 1);
	if (n < 2 || lt[n] != '>' || n - 1 >= sizeof(addr))
		return 0;
	memcpy(addr, lt + 1, n - 1);
	addr[n - 1] = '\0';
	return text_is_email(addr);
}

int
config_reply_address(const struct kapd_config *c, const char *key, char *buf, size_t len)
{
	const char *a = c->replies.address, *k = a != NULL ? strstr(a, "{key}") : NULL;
	int n;

	if (k == NULL || strstr(k + 5, "{key}") != NULL)
		return -EINVAL;
	n = snprintf(buf, len, "%.*s%s%s", (int)(k - a), a, key, k + 5);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return text_is_email(buf) ? 0 : -EINVAL;
}

/* The replies group, when on: where replies come from and where they are sent to. */
static void
check_replies(const config_t *lc, struct ctx *x)
{
	const struct kapd_config *c = x->c;
	const config_setting_t *g = at(lc, "replies.source", "replies");
	char probe[320];

	if (c->replies.source == REPLY_OFF)
		return;
	/* A sample key as long as a real one (32 hex digits) shows the address is usable. */
	if (c->replies.address == NULL)
		say(x, NULL, g, "replies.address: required when replies are on");
	else if (config_reply_address(c, "0123456789abcdef0123456789abcdef", probe, sizeof(probe)) <
	    0)
		say(x, NULL, at(lc, "replies.address", NULL),
		    "replies.address: \"%s\" must be an "
		    "address with {key} once, like \"kap+{key}@example.com\"",
		    c->replies.address);
	if (c->replies.source == REPLY_IMAP && c->replies.url == NULL)
		say(x, NULL, g, "replies.url: required when replies.source is \"imap\"");
	if (c->replies.source == REPLY_IMAP && c->replies.user == NULL)
		say(x, NULL, g, "replies.user: required when replies.source is \"imap\"");
	if (c->replies.source == REPLY_MAILDIR && c->replies.maildir == NULL)
		say(x, NULL, g, "replies.maildir: required when replies.source is \"maildir\"");
}

static void
check_rules(const config_t *lc, struct ctx *x)
{
	const struct kapd_config *c = x->c;
	char a[24], b[24];

	if (c->delivery.window_end <= c->delivery.send_time)
		say(x, NULL, at(lc, "delivery.window_end", "delivery.send_time"),
		    "delivery.window_end (%02d:%02d) must be after delivery.send_time (%02d:%02d)",
		    c->delivery.window_end / 60, c->delivery.window_end % 60,
		    c->delivery.send_time / 60, c->delivery.send_time % 60);
	if (c->delivery.give_up_after < c->delivery.retry_first)
		say(x, NULL, at(lc, "delivery.give_up_after", "delivery.retry_first"),
		    "delivery.give_up_after (%s) must not be shorter than delivery.retry_first "
		    "(%s)",
		    fmt_duration(c->delivery.give_up_after, a, sizeof(a)),
		    fmt_duration(c->delivery.retry_first, b, sizeof(b)));
	if (c->delivery.retry_max < c->delivery.retry_first)
		say(x, NULL, at(lc, "delivery.retry_max", "delivery.retry_first"),
		    "delivery.retry_max (%s) must not be shorter than delivery.retry_first (%s)",
		    fmt_duration(c->delivery.retry_max, a, sizeof(a)),
		    fmt_duration(c->delivery.retry_first, b, sizeof(b)));
	if (!sender_ok(c->mail.from))
		say(x, NULL, at(lc, "mail.from", NULL),
		    "mail.from: \"%s\" is not an address "
		    "(\"Name <user@example.com>\" or \"user@example.com\")",
		    c->mail.from);
	check_replies(lc, x);
	if (c->mail.transport != MAIL_SMTP)
		return;
	if (c->mail.url == NULL)
		say(x, NULL, at(lc, "mail.transport", NULL),
		    "mail.url: required when mail.transport is \"smtp\"");
	/* The built-in sender only suits the file transport: a real server needs a real one. */
	if (config_lookup(lc, "mail.from") == NULL)
		say(x, NULL, at(lc, "mail.transport", NULL),
		    "mail.from: required when mail.transport is \"smtp\"");
}

static void
syntax_error(const config_t *lc, struct ctx *x)
{
	const char *file = config_error_file(lc) != NULL ? config_error_file(lc) : x->file;
	const char *text = config_error_text(lc) != NULL ? config_error_text(lc) : "";
	int r;

	if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
		r = errlist_add(x->errs, "%s: cannot read: %s", file, text);
	else if (strcmp(text, "syntax error") == 0) /* libconfig's text for most errors */
		r = errlist_add(x->errs, "%s:%d: syntax error", file, config_error_line(lc));
	else
		r = errlist_add(
		    x->errs, "%s:%d: syntax error: %s", file, config_error_line(lc), text);
	if (r < 0)
		x->nomem = 1;
	x->nerr++;
}

/* The whole file as a string (so that scan_ints() can see the literals). */
static int
read_text(const char *path, struct errlist *errs, char **out)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int r = 0;

	if (f == NULL || (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))) {
		r = f == NULL ? -errno : -EISDIR;
		errlist_add(errs, "%s: cannot open: %s", path, strerror(-r));
	} else if ((buf = malloc(CONFIG_MAX_BYTES + 1)) == NULL) {
		r = -ENOMEM;
		errlist_add(errs, "%s: out of memory", path);
	} else if ((n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f)) > CONFIG_MAX_BYTES || ferror(f) ||
	    memchr(buf, '\0', n) != NULL) {
		r = ferror(f) ? -EIO : n > CONFIG_MAX_BYTES ? -EFBIG : -EINVAL;
		errlist_add(errs, "%s: cannot read: %s", path,
		    r == -EINVAL ? "it contains a NUL byte" : strerror(-r));
	}
	if (f != NULL)
		fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* ---- public ---- */

/* Each default goes through the same setter as a value from the file. */
static void
apply_defaults(const struct key *keys, struct ctx *x)
{
	char buf[256];
	config_t lc;

	for (const struct key *k = keys; k->name != NULL; k++) {
		if (k->type == K_GROUP) {
			x->group = k->name;
			apply_defaults(k->sub, x);
			x->group = NULL;
			continue;
		}
		if (k->dflt == NULL)
			continue;
		config_init(&lc);
		snprintf(buf, sizeof(buf), "v = %s;", k->dflt);
		if (config_read_string(&lc, buf) == CONFIG_TRUE)
			apply(k, config_lookup(&lc, "v"), x);
		else
			x->nerr++;
		config_destroy(&lc);
	}
}

int
config_defaults(struct kapd_config *c)
{
	struct errlist errs = ERRLIST_INIT;
	struct kapd_config t;
	struct ctx x = { .file = "(built-in default)", .errs = &errs, .c = &t };

	memset(&t, 0, sizeof(t));
	apply_defaults(top_keys, &x);
	errlist_free(&errs);
	if (x.nomem || x.nerr > 0) {
		config_free(&t);
		return x.nomem ? -ENOMEM : -EINVAL; /* -EINVAL: a bad default in the table */
	}
	*c = t;
	return 0;
}

int
config_load(const char *path, struct kapd_config *c, struct errlist *errs)
{
	struct kapd_config t;
	struct ctx x = { .file = path, .errs = errs, .c = &t };
	char *text = NULL;
	config_t lc;
	int r;

	if ((r = read_text(path, errs, &text)) < 0)
		return r;
	if ((r = config_defaults(&t)) < 0) {
		errlist_add(errs, "%s: cannot set up the defaults: %s", path, strerror(-r));
		free(text);
		return r;
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		syntax_error(&lc, &x);
	} else {
		scan_ints(text, &x);
		read_group(top_keys, config_root_setting(&lc), &x);
		check_rules(&lc, &x);
	}
	config_destroy(&lc);
	free(text);
	replace_string(&t.path, path, &x);
	if (x.nomem && errlist_add(errs, "%s: out of memory", path) == 0)
		x.nerr++;
	r = x.nomem ? -ENOMEM : x.nerr > 0 ? -EINVAL : 0;
	if (r == 0)
		*c = t;
	else
		config_free(&t);
	return r;
}

static void
free_keys(const struct key *keys, struct kapd_config *c)
{
	for (const struct key *k = keys; k->name != NULL; k++) {
		char *p = (char *)c + k->off;

		if (k->type == K_GROUP)
			free_keys(k->sub, c);
		else if (k->type == K_STRING || k->type == K_ZONE)
			free(*(char **)p);
		else if (k->type == K_DATES)
			free(*(kdate_t **)p);
	}
}

void
config_free(struct kapd_config *c)
{
	if (c == NULL)
		return;
	free_keys(top_keys, c);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
