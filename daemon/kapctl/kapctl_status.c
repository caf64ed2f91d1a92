/* kapctl status: what the daemon last did and will do next, read from the database, for
 * people and monitors.  kapd writes daemon_state 'last_check' after every check and
 * 'next_check' when it schedules one (and removes 'next_check' when it stops); the queue
 * and the failures come from the delivery table; the feeds from the feed table (schema 3)
 * and any daemon_state rows whose key starts with "feeds".  The database is opened read-only, so a member of the kapd group may run it. */
#include "kapctl/kapctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "store/state.h"

/* A check later than this past its schedule means kapd is not running (or hangs). */
#define LATE_AFTER 120
/* The labels of the text output, whose widest (in the user's language) sets the column
 * where the values start. */
static const char *const labels[] = { "kapd:", N_("database:"), N_("last check:"),
	N_("next check:"), N_("queue:"), N_("mails:"), N_("last failure:"), N_("feeds:"), NULL };

struct status {
	long long last_check, next_check; /* unix time, -1 when unknown */
	struct state_status q;            /* the queue, the failures and the feeds */
	json_t *feed_state;               /* daemon_state rows 'feeds...' as an object */
};

static void
status_free(struct status *s)
{
	state_status_free(&s->q);
	json_decref(s->feed_state);
}

/* daemon_state values are unix times written as text by kapd. */
static void
got_state(void *ctx, const char *key, const char *val)
{
	struct status *s = ctx;
	long long v;
	char *end;

	if (strncmp(key, "feeds", 5) == 0) {
		json_object_set_new(s->feed_state, key, json_string(val));
		return;
	}
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno != 0 || *end != '\0' || end == val)
		return;
	if (strcmp(key, "last_check") == 0)
		s->last_check = v;
	else if (strcmp(key, "next_check") == 0)
		s->next_check = v;
}

static int
status_read(sqlite3 *db, struct status *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->last_check = s->next_check = s->q.next_attempt = -1;
	if ((s->feed_state = json_object()) == NULL)
		return -ENOMEM;
	return state_read(db, got_state, s, &s->q, err, errlen);
}

/* What the numbers say about the daemon: never checked, running, late, or stopped. */
static const char *
daemon_state(const struct status *s, time_t now)
{
	if (s->last_check < 0)
		return "never";
	if (s->next_check < 0)
		return "stopped";
	if (now > s->next_check + LATE_AFTER)
		return "late";
	return "ok";
}

/* "2026-12-01T09:15:00+01:00" in zone tz (the configured time zone). */
static const char *
fmt_instant(const struct ctl *c, long long t, char *buf, size_t len)
{
	kdate_t day;
	int minute, y, m, d;
	long off;
	char sign;

	if (t < 0)
		return "-";
	if (kdate_local((time_t)t, c->cfg.timezone, &day, &minute, &off) < 0) {
		snprintf(buf, len, "@%lld", t);
		return buf;
	}
	kdate_to_ymd(day, &y, &m, &d);
	sign = off < 0 ? '-' : '+';
	off = off < 0 ? -off : off;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02lld%c%02ld:%02ld", y, m, d, minute / 60,
	    minute % 60, ((t % 60) + 60) % 60, sign, off / 3600, off % 3600 / 60);
	return buf;
}

/* "5 min ago", "in 2 h": a rough distance from now, for people. */
static const char *
fmt_rel(const struct ctl *c, long long t, time_t now, char *buf, size_t len)
{
	long long d = t - (long long)now, a = d < 0 ? -d : d;
	const char *unit = "s";
	char n[64];

	if (a < 5) {
		snprintf(buf, len, "%s", tr(c, "now"));
		return buf;
	}
	if (a >= 2 * 86400) {
		COUNT(c, n, a / 86400, "%lu day", "%lu days");
	} else {
		if (a >= 2 * 3600) {
			a /= 3600;
			unit = " h";
		} else if (a >= 120) {
			a /= 60;
			unit = " min";
		}
		snprintf(n, sizeof(n), "%lld%s", a, unit);
	}
	snprintf(buf, len, d < 0 ? tr(c, "%s ago") : tr(c, "in %s"), n);
	return buf;
}

static json_t *
json_instant(const struct ctl *c, long long t)
{
	char buf[80];

	return t < 0 ? json_null() : json_string(fmt_instant(c, t, buf, sizeof(buf)));
}

static json_t *
json_opt_string(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int
print_json(const struct ctl *c, const struct status *s)
{
	json_t *o = json_pack("{s:s, s:o, s:o, s:{s:I, s:I, s:I, s:o}, s:{s:I, s:I, s:o}}",
	    "daemon", daemon_state(s, c->now), "last_check", json_instant(c, s->last_check),
	    "next_check", json_instant(c, s->next_check), "queue", "total",
	    s->q.sending + s->q.deferred, "sending", s->q.sending, "deferred", s->q.deferred,
	    "next_attempt", json_instant(c, s->q.next_attempt), "mails", "sent", s->q.sent,
	    "failed", s->q.failed, "last_failure",
	    s->q.fail_email == NULL ? json_null()
	                            : json_pack("{s:s, s:o, s:o}", "email", s->q.fail_email,
	                                  "error", json_opt_string(s->q.fail_error), "created_at",
	                                  json_opt_string(s->q.fail_at)));

	if (o == NULL)
		return -ENOMEM;
	json_object_set_new(o, "feeds",
	    !s->q.have_feeds
	        ? json_null()
	        : json_pack("{s:I, s:I, s:I, s:o, s:O}", "plans", s->q.feed_plans, "people",
	              s->q.feed_people, "pending", s->q.feed_pending, "last_written",
	              json_opt_string(s->q.feed_written), "state", s->feed_state));
	return ctl_print_json(o);
}

/* The column where the values start: one blank after the widest label. */
static size_t
label_cols(const struct ctl *c)
{
	size_t i, w, cols = 0;

	for (i = 0; labels[i] != NULL; i++)
		if ((w = width_str(tr(c, labels[i])) + 1) > cols)
			cols = w;
	return cols;
}

/* One line "label  instant (relative)" or "label  -". */
static void
print_instant(const struct ctl *c, const char *label, long long t)
{
	char a[80], b[40];

	ctl_label(c, label, label_cols(c));
	if (t < 0)
		printf("-\n");
	else
		printf("%s (%s)\n", fmt_instant(c, t, a, sizeof(a)),
		    fmt_rel(c, t, c->now, b, sizeof(b)));
}

static const char *
state_text(const struct ctl *c, const char *state)
{
	if (strcmp(state, "never") == 0)
		return tr(c, "has not checked this database yet");
	if (strcmp(state, "stopped") == 0)
		return tr(c, "not running (no check scheduled since its last one)");
	if (strcmp(state, "late") == 0)
		return tr(c, "late: the next check is overdue; is kapd running?");
	return tr(c, "running");
}

static void
print_text(const struct ctl *c, const struct status *s)
{
	size_t cols = label_cols(c);
	const char *key;
	char a[80];
	json_t *v;

	ctl_label(c, "kapd:", cols);
	printf("%s\n", state_text(c, daemon_state(s, c->now)));
	ctl_label(c, "database:", cols);
	printf("%s\n", c->db_path);
	print_instant(c, "last check:", s->last_check);
	print_instant(c, "next check:", s->next_check);
	ctl_label(c, "queue:", cols);
	printf(tr(c, "%s (%lld sending, %lld deferred"),
	    COUNT(c, a, s->q.sending + s->q.deferred, "%lu mail", "%lu mails"), s->q.sending,
	    s->q.deferred);
	if (s->q.next_attempt >= 0)
		printf(tr(c, "; next attempt %s"), fmt_instant(c, s->q.next_attempt, a, sizeof(a)));
	printf(")\n");
	ctl_label(c, "mails:", cols);
	printf(tr(c, "%lld sent, %lld failed\n"), s->q.sent, s->q.failed);
	if (s->q.fail_email != NULL) {
		ctl_label(c, "last failure:", cols);
		printf(tr(c, "%s to %s: %s\n"), s->q.fail_at ? s->q.fail_at : "-", s->q.fail_email,
		    s->q.fail_error ? s->q.fail_error : "-");
	}
	ctl_label(c, "feeds:", cols);
	if (!s->q.have_feeds) {
		printf("%s\n", tr(c, "not in this database's schema"));
		return;
	}
	printf("%s, ", COUNT(c, a, s->q.feed_plans, "%lu plan feed", "%lu plan feeds"));
	printf(tr(c, "%s, %lld to be written; last written %s\n"),
	    COUNT(c, a, s->q.feed_people, "%lu person feed", "%lu person feeds"), s->q.feed_pending,
	    s->q.feed_written != NULL ? s->q.feed_written : tr(c, "never"));
	json_object_foreach(s->feed_state, key, v) printf("  %s: %s\n", key, json_string_value(v));
}

int
cmd_status(struct ctl *c, int argc, char **argv)
{
	struct status s;
	char err[512];
	int r;

	memset(&s, 0, sizeof(s));
	r = ctl_plain_opts(c, argc, argv);
	if (r >= 0)
		return r;
	if (optind != argc)
		return ctl_fail(
		    EX_USAGE, "status", tr(c, "unexpected argument \"%s\""), argv[optind]);
	if ((r = ctl_db(c, DB_OPEN_READONLY)) != 0)
		return r;
	r = status_read(c->db, &s, err, sizeof(err));
	if (r < 0) {
		r = ctl_fail(
		    ctl_exit_code(r), "status", "%s", r == -ENOMEM ? tr(c, "out of memory") : err);
		goto out;
	}
	if (c->json)
		r = print_json(c, &s) < 0 ? EX_IOERR : EX_OK;
	else
		print_text(c, &s);
out:
	status_free(&s);
	return r;
}
