/* config_set: one setter per type of key, which checks a libconfig value (type, range,
 * syntax of durations, times of day, weekdays and dates) and stores it into the struct,
 * and the value parsers they use. */
#include "conf/config_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const weekday_names[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday", "Sunday", NULL };
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

const char *
config_fmt_duration(long long v, char *buf, size_t len)
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
			config_say(x, k, s, "contains a control character");
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
		config_say(x, k, s, "%lld is out of range (%ld..%ld)", v, k->min, k->max);
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
		config_say(x, k, s,
		    "\"%s\" is not a duration (seconds, or a number followed by s, m, h "
		    "or d, like \"15m\")",
		    str);
		return;
	}
	config_fmt_duration(k->min, lo, sizeof(lo));
	config_fmt_duration(k->max, hi, sizeof(hi));
	if (r == -ERANGE)
		config_say(x, k, s, "\"%s\" is out of range (%s..%s)", str, lo, hi);
	else if (v < k->min || v > k->max)
		config_say(x, k, s, "%s is out of range (%s..%s)",
		    config_fmt_duration(v, a, sizeof(a)), lo, hi);
	else
		*FIELD(x, k->off, int) = (int)v;
}

int
config_replace_string(char **dst, const char *v, struct ctx *x)
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
		config_say(x, k, s, "must not be empty (leave the key out instead)");
	else if (k->words != NULL && !has_prefix(v, k->words))
		config_say(x, k, s, "\"%s\" must start with %s", v,
		    join_words(k->words, 0, buf, sizeof(buf)));
	else
		config_replace_string(FIELD(x, k->off, char *), v, x);
}

static void
set_zone(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);

	if (v == NULL)
		return;
	if (!kdate_zone_exists(v)) /* true for "UTC" even without a zone database */
		config_say(x, k, s,
		    "unknown time zone \"%s\" (expected an IANA name like "
		    "\"Europe/Berlin\")",
		    v);
	else
		config_replace_string(FIELD(x, k->off, char *), v, x);
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
	config_say(
	    x, k, s, "\"%s\" is not one of %s", v, join_words(k->words, 1, buf, sizeof(buf)));
}

static void
set_weekday(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const char *v = str_of(k, s, x);
	int d;

	if (v == NULL)
		return;
	if ((d = parse_weekday(v)) == 0)
		config_say(x, k, s, "\"%s\" is not a weekday (Monday .. Sunday, or Mon .. Sun)", v);
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
		config_say(x, k, s, "\"%s\" is not a time of day \"HH:MM\" (00:00..23:59)", v);
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
	config_say(x, k, e != NULL ? e : s, "element %d: expected %s, got %s", i + 1, what,
	    e != NULL ? type_name(e) : "nothing");
	return NULL;
}

static void
set_weekdays(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	int n = config_setting_length(s), bad = x->nerr;
	unsigned mask = 0;

	if (n == 0)
		config_say(x, k, s, "must name at least one day");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = elem(k, s, i, CONFIG_TYPE_STRING, "a weekday name", x);
		const char *v = e != NULL ? str_of(k, e, x) : NULL;
		int d = v != NULL ? parse_weekday(v) : 0;

		if (v != NULL && d == 0)
			config_say(x, k, e,
			    "\"%s\" is not a weekday (Monday .. Sunday, or Mon .. Sun)", v);
		else if (d != 0 && (mask & (1u << d)))
			config_say(x, k, e, "%s is listed twice", weekday_names[d - 1]);
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
		config_say(x, k, s, "must list 1 to %d days, got %d", CONFIG_MAX_LEAD, n);
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = elem(k, s, i, CONFIG_TYPE_INT, "a number of days", x);

		v[i] = 0;
		if (e == NULL || int_in_range(k, e, x, &v[i]) < 0)
			continue;
		/* A stage runs from one lead day to the next smaller one (SPEC §3). */
		if (i > 0 && v[i - 1] > 0 && v[i] >= v[i - 1])
			config_say(x, k, e,
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
			config_say(x, k, e, "\"%s\" is not a valid date (YYYY-MM-DD)", v);
		for (int j = 0; d[i] != INT32_MIN && j < i; j++) {
			if (d[j] == d[i]) {
				config_say(x, k, e, "%s is listed twice", v);
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

static void
set_group(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	x->group = k->name;
	config_read_group(k->sub, s, x);
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

void
config_apply(const struct key *k, const config_setting_t *s, struct ctx *x)
{
	const struct ktype_info *t = &ktypes[k->type];

	if (!(t->accept & (1u << config_setting_type(s))))
		config_say(x, k, s, "expected %s, got %s", t->expect, type_name(s));
	else
		t->set(k, s, x);
}
