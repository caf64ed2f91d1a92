/* Unit tests for the delivery side of SPEC §3 in daemon/core/rules.c: each recipient's local
 * "today", delivery slots (digest, immediate, weekends, holidays, one digest a day) and
 * daylight-saving changes in Europe/Berlin, America/Chicago and Australia/Sydney, with the
 * system's zone database.  The stage rules are in test_rules.c.  Notifications are written
 * as "rule:stage@recipient[ for absent][ unowned][ immediate] now|later"; local times and
 * UTC offsets were computed independently with Python's zoneinfo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"

#include "conf/config.h"
#include "lib/kdate.h"
#include "core/rules.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_GOT 8
#define MAX_PEOPLE 72
#define DESC_LEN 160
#define ALL_DAYS 0xfeu /* bits 1 (Monday) .. 7 (Sunday) */

enum { KAM, SPONSOR, OWNER, SUB, NOTZ, N_ROSTER };

static const struct rules_person roster[N_ROSTER] = {
	[KAM] = { "kam", "kam@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[SPONSOR] = { "sponsor", "sponsor@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[OWNER] = { "owner", "owner@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[SUB] = { "sub", "sub@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[NOTZ] = { "notz", "notz@example.com", NULL, -1, NULL, 0, 0 },
};

struct world {
	struct kapd_config cfg;
	struct rules_person people[MAX_PEOPLE];
	size_t n_people;
	struct rules_plan plans[3];
	size_t n_plans;
	struct rules_absence absence;
	struct rules_notification got[MAX_GOT];
	size_t n_got;
	int overflow;
};

static char *
utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "(time %lld)", (long long)t);
	return buf;
}

static int
world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	if (config_defaults(&w->cfg) != 0) {
		free(w);
		return -1;
	}
	memcpy(w->people, roster, sizeof(roster));
	w->n_people = N_ROSTER;
	w->plans[0] = (struct rules_plan){ "plan-a", "Europe/Berlin", KAM, SPONSOR, 0, 0 };
	w->n_plans = 1;
	*state = w;
	return 0;
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	config_free(&w->cfg);
	free(w);
	return 0;
}

static void
set_string(char **dst, const char *s)
{
	free(*dst);
	*dst = strdup(s);
	assert_non_null(*dst);
}

static void
set_holidays(struct world *w, const char *const *days, size_t n)
{
	free(w->cfg.delivery.holidays);
	w->cfg.delivery.holidays = calloc(n, sizeof(kdate_t));
	assert_non_null(w->cfg.delivery.holidays);
	for (size_t i = 0; i < n; i++)
		w->cfg.delivery.holidays[i] = day_of(days[i]);
	w->cfg.delivery.n_holidays = n;
}

static int
collect(void *ctx, const struct rules_notification *n)
{
	struct world *w = ctx;

	if (w->n_got == MAX_GOT) {
		w->overflow = 1;
		return 0;
	}
	w->got[w->n_got++] = *n;
	return 0;
}

static struct rules *
start(struct world *w, struct rules_input *in, const char *now)
{
	struct rules *r;

	*in = (struct rules_input){ &w->cfg, &rules_tz_system, instant_of(now), w->people,
		w->n_people, w->plans, w->n_plans };
	r = rules_new(in);
	assert_non_null(r);
	w->n_got = 0;
	w->overflow = 0;
	return r;
}

static void
run_items(struct world *w, const char *now, const struct rules_item *items, size_t n)
{
	struct rules_input in;
	struct rules *r = start(w, &in, now);
	int ret = 0;

	for (size_t i = 0; i < n && ret >= 0; i++)
		ret = rules_item(r, &items[i], collect, w);
	rules_free(r);
	if (ret < 0)
		fail_msg("at %s: rules_item returned %d, expected 0", now, ret);
}

static void
run_item(struct world *w, const char *now, const char *due, int owner)
{
	struct rules_item it = { KIND_ACTIVITY, "act-1", 0, day_of(due), owner, 0 };

	run_items(w, now, &it, 1);
}

static const char *
who(const struct world *w, int person)
{
	if (person == RULES_NONE)
		return "(none)";
	return person >= 0 && (size_t)person < w->n_people ? w->people[person].key : "(bad)";
}

static char *
describe(const struct world *w, const struct rules_notification *n, char *buf, size_t len)
{
	char stage[32];
	int behalf = n->on_behalf != RULES_NONE;

	snprintf(buf, len, "%s:%s@%s%s%s%s%s %s", rules_rule_name(n->rule),
	    rules_stage_name(n, stage, sizeof(stage)), who(w, n->recipient), behalf ? " for " : "",
	    behalf ? who(w, n->on_behalf) : "", n->unowned ? " unowned" : "",
	    n->immediate ? " immediate" : "", n->deliver_now ? "now" : "later");
	return buf;
}

/* Exactly one notification, described as want, whose slot is the instant slot (unless
 * NULL) with UTC offset off. */
static void
expect_one(const struct world *w, const char *label, const char *want, const char *slot, long off)
{
	char d[DESC_LEN], all[MAX_GOT * DESC_LEN] = "", a[40], b[40];

	for (size_t j = 0; j < w->n_got; j++) {
		size_t k = strlen(all);

		snprintf(all + k, sizeof(all) - k, "%s%s", j > 0 ? "; " : "",
		    describe(w, &w->got[j], d, sizeof(d)));
	}
	if (w->n_got != 1 || w->overflow || strcmp(describe(w, &w->got[0], d, sizeof(d)), want))
		fail_msg("%s: expected [%s], got [%s]", label, want, all);
	if (slot != NULL && (w->got[0].slot != instant_of(slot) || w->got[0].slot_offset != off))
		fail_msg("%s: expected slot %s (%s, offset %ld), got %s (offset %ld)", label, slot,
		    utc(instant_of(slot), a, sizeof(a)), off, utc(w->got[0].slot, b, sizeof(b)),
		    w->got[0].slot_offset);
}

/* One item owned by OWNER, who lives in tz with preference mode and last digest. */
struct slot_row {
	const char *name, *tz;
	int mode;
	const char *last_digest; /* NULL: never */
	const char *now, *due, *want;
	const char *slot; /* NULL: not checked */
	long offset;
};

static void
check_slot_rows(struct world *w, const struct slot_row *rows, size_t n)
{
	char label[256];

	for (size_t i = 0; i < n; i++) {
		const struct slot_row *row = &rows[i];

		w->people[OWNER].tz = row->tz;
		w->people[OWNER].notify = row->mode;
		w->people[OWNER].last_digest = row->last_digest ? instant_of(row->last_digest) : 0;
		run_item(w, row->now, row->due, OWNER);
		snprintf(label, sizeof(label), "%s (owner in %s, now %s, due %s, last digest %s)",
		    row->name, row->tz, row->now, row->due,
		    row->last_digest ? row->last_digest : "never");
		expect_one(w, label, row->want, row->slot, row->offset);
	}
}

#define BER "Europe/Berlin"
#define CHI "America/Chicago"
#define SYD "Australia/Sydney"
#define DG NOTIFY_DIGEST
#define IM NOTIFY_IMMEDIATE

static void
digest_goes_at_the_first_check_from_send_time_once_a_local_day(void **state)
{
	static const struct slot_row rows[] = {
		{ "before send_time: today at send_time", BER, -1, NULL,
		    "2026-12-01T07:30:00+01:00", "2026-12-01", "due:due@owner later",
		    "2026-12-01T08:00:00+01:00", 3600 },
		{ "at send_time: now", BER, -1, NULL, "2026-12-01T08:00:00+01:00", "2026-12-01",
		    "due:due@owner now", "2026-12-01T08:00:00+01:00", 3600 },
		{ "late evening: a digest has no window end", BER, DG, NULL,
		    "2026-12-01T22:00:00+01:00", "2026-12-01", "due:due@owner now",
		    "2026-12-01T22:00:00+01:00", 3600 },
		{ "digest already sent today: next send day", BER, -1, "2026-12-01T08:00:00+01:00",
		    "2026-12-01T10:00:00+01:00", "2026-12-01", "due:due@owner later",
		    "2026-12-02T08:00:00+01:00", 3600 },
		{ "digest sent yesterday: now", BER, -1, "2026-11-30T17:00:00+01:00",
		    "2026-12-01T10:00:00+01:00", "2026-12-01", "due:due@owner now",
		    "2026-12-01T10:00:00+01:00", 3600 },
		{ "Sydney: digest earlier this local day, on the previous UTC day", SYD, -1,
		    "2026-11-30T21:30:00Z", "2026-12-01T01:00:00Z", "2026-12-01",
		    "due:due@owner later", "2026-12-02T08:00:00+11:00", 39600 },
		{ "Sydney: digest on the previous local day, same UTC day", SYD, -1,
		    "2026-11-30T12:00:00Z", "2026-11-30T22:00:00Z", "2026-12-01",
		    "due:due@owner now", "2026-11-30T22:00:00Z", 39600 },
	};

	check_slot_rows(*state, rows, N_ELEMS(rows));
}

static void
immediate_slots_are_every_check_between_send_time_and_window_end(void **state)
{
	static const struct slot_row rows[] = {
		{ "07:59: today at 08:00", BER, IM, NULL, "2026-12-01T07:59:00+01:00", "2026-12-01",
		    "due:due@owner immediate later", "2026-12-01T08:00:00+01:00", 3600 },
		{ "08:00: now", BER, IM, NULL, "2026-12-01T08:00:00+01:00", "2026-12-01",
		    "due:due@owner immediate now", "2026-12-01T08:00:00+01:00", 3600 },
		{ "17:59: now", BER, IM, NULL, "2026-12-01T17:59:00+01:00", "2026-12-01",
		    "due:due@owner immediate now", "2026-12-01T17:59:00+01:00", 3600 },
		{ "18:00 (window_end): next send day", BER, IM, NULL, "2026-12-01T18:00:00+01:00",
		    "2026-12-01", "due:due@owner immediate later", "2026-12-02T08:00:00+01:00",
		    3600 },
		{ "a digest sent today does not hold immediate mail", BER, IM,
		    "2026-12-01T08:00:00+01:00", "2026-12-01T10:00:00+01:00", "2026-12-01",
		    "due:due@owner immediate now", "2026-12-01T10:00:00+01:00", 3600 },
		{ "Saturday: Monday at send_time", BER, IM, NULL, "2026-12-05T12:00:00+01:00",
		    "2026-12-07", "upcoming:upcoming-7@owner immediate later",
		    "2026-12-07T08:00:00+01:00", 3600 },
	};

	check_slot_rows(*state, rows, N_ELEMS(rows));
}

static void
weekends_and_holidays_move_the_slot_to_the_next_send_day(void **state)
{
	static const char *const holidays[] = { "2026-12-24", "2026-12-25", "2027-01-01" };
	static const struct slot_row rows[] = {
		{ "Saturday: Monday", BER, -1, NULL, "2026-12-05T09:00:00+01:00", "2026-12-07",
		    "upcoming:upcoming-7@owner later", "2026-12-07T08:00:00+01:00", 3600 },
		{ "Sunday night: Monday", BER, -1, NULL, "2026-12-06T23:00:00+01:00", "2026-12-07",
		    "upcoming:upcoming-1@owner later", "2026-12-07T08:00:00+01:00", 3600 },
		{ "Friday after the digest: Monday", BER, -1, "2026-12-04T08:00:00+01:00",
		    "2026-12-04T15:00:00+01:00", "2026-12-04", "due:due@owner later",
		    "2026-12-07T08:00:00+01:00", 3600 },
		{ "holiday 12-24, 12-25 and the weekend: Monday 12-28", BER, -1, NULL,
		    "2026-12-24T09:00:00+01:00", "2026-12-24", "due:due@owner later",
		    "2026-12-28T08:00:00+01:00", 3600 },
		{ "before send_time on a holiday: not today", BER, -1, NULL,
		    "2026-12-25T07:00:00+01:00", "2026-12-25", "due:due@owner later",
		    "2026-12-28T08:00:00+01:00", 3600 },
		{ "day before the holidays, after the digest", BER, -1, "2026-12-23T08:00:00+01:00",
		    "2026-12-23T10:00:00+01:00", "2026-12-23", "due:due@owner later",
		    "2026-12-28T08:00:00+01:00", 3600 },
		{ "31 December is a send day", BER, -1, NULL, "2026-12-31T09:00:00+01:00",
		    "2026-12-31", "due:due@owner now", "2026-12-31T09:00:00+01:00", 3600 },
		{ "New Year's Day: Monday 2027-01-04", BER, -1, NULL, "2027-01-01T09:00:00+01:00",
		    "2027-01-01", "due:due@owner later", "2027-01-04T08:00:00+01:00", 3600 },
		{ "holiday in Sydney's calendar while still 12-23 in UTC", SYD, -1, NULL,
		    "2026-12-23T22:00:00Z", "2026-12-24", "due:due@owner later",
		    "2026-12-28T08:00:00+11:00", 39600 },
	};
	struct world *w = *state;

	set_holidays(w, holidays, N_ELEMS(holidays));
	check_slot_rows(w, rows, N_ELEMS(rows));
}

static void
slots_after_daylight_saving_changes_have_the_new_utc_offset(void **state)
{
	static const struct slot_row rows[] = {
		{ "Berlin spring: Saturday to Monday", BER, -1, NULL, "2026-03-28T10:00:00+01:00",
		    "2026-03-30", "upcoming:upcoming-7@owner later", "2026-03-30T08:00:00+02:00",
		    7200 },
		{ "Berlin spring: Monday 07:00 CEST", BER, -1, NULL, "2026-03-30T07:00:00+02:00",
		    "2026-03-30", "due:due@owner later", "2026-03-30T08:00:00+02:00", 7200 },
		{ "Berlin spring: Monday 08:00 CEST is a slot", BER, -1, NULL,
		    "2026-03-30T06:00:00Z", "2026-03-30", "due:due@owner now",
		    "2026-03-30T08:00:00+02:00", 7200 },
		{ "Berlin autumn: Saturday to Monday", BER, -1, NULL, "2026-10-24T10:00:00+02:00",
		    "2026-10-26", "upcoming:upcoming-7@owner later", "2026-10-26T08:00:00+01:00",
		    3600 },
		{ "Berlin autumn: 07:30 CET is before send_time", BER, -1, NULL,
		    "2026-10-26T06:30:00Z", "2026-10-26", "due:due@owner later",
		    "2026-10-26T08:00:00+01:00", 3600 },
		{ "Chicago spring: Saturday to Monday", CHI, -1, NULL, "2026-03-07T10:00:00-06:00",
		    "2026-03-09", "upcoming:upcoming-7@owner later", "2026-03-09T08:00:00-05:00",
		    -18000 },
		{ "Chicago autumn: Saturday to Monday", CHI, -1, NULL, "2026-10-31T10:00:00-05:00",
		    "2026-11-02", "upcoming:upcoming-7@owner later", "2026-11-02T08:00:00-06:00",
		    -21600 },
		{ "Chicago autumn: Monday 08:00 CST is a slot", CHI, -1, NULL,
		    "2026-11-02T14:00:00Z", "2026-11-02", "due:due@owner now",
		    "2026-11-02T08:00:00-06:00", -21600 },
		{ "Sydney autumn (April): Saturday to Monday", SYD, -1, NULL,
		    "2026-04-04T10:00:00+11:00", "2026-04-06", "upcoming:upcoming-7@owner later",
		    "2026-04-06T08:00:00+10:00", 36000 },
		{ "Sydney spring (October): Saturday to Monday", SYD, -1, NULL,
		    "2026-10-03T10:00:00+10:00", "2026-10-05", "upcoming:upcoming-7@owner later",
		    "2026-10-05T08:00:00+11:00", 39600 },
		{ "Sydney spring: Monday 08:30 AEDT is a slot", SYD, IM, NULL,
		    "2026-10-04T21:30:00Z", "2026-10-05", "due:due@owner immediate now",
		    "2026-10-05T08:30:00+11:00", 39600 },
	};

	check_slot_rows(*state, rows, N_ELEMS(rows));
}

static void
today_changes_at_local_midnight_across_daylight_saving_changes(void **state)
{
	static const struct slot_row rows[] = {
		{ "Berlin 23:30 CEST on 03-29", BER, -1, NULL, "2026-03-29T21:30:00Z", "2026-03-30",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Berlin 00:00 CEST on 03-30", BER, -1, NULL, "2026-03-29T22:00:00Z", "2026-03-30",
		    "due:due@owner later", "2026-03-30T08:00:00+02:00", 7200 },
		{ "Berlin 23:30 CET on 10-25", BER, -1, NULL, "2026-10-25T22:30:00Z", "2026-10-26",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Berlin 00:00 CET on 10-26", BER, -1, NULL, "2026-10-25T23:00:00Z", "2026-10-26",
		    "due:due@owner later", "2026-10-26T08:00:00+01:00", 3600 },
		{ "Chicago 23:30 CDT on 03-08", CHI, -1, NULL, "2026-03-09T04:30:00Z", "2026-03-09",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Chicago 00:00 CDT on 03-09", CHI, -1, NULL, "2026-03-09T05:00:00Z", "2026-03-09",
		    "due:due@owner later", "2026-03-09T08:00:00-05:00", -18000 },
		{ "Chicago 23:30 CST on 11-01", CHI, -1, NULL, "2026-11-02T05:30:00Z", "2026-11-02",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Chicago 00:00 CST on 11-02", CHI, -1, NULL, "2026-11-02T06:00:00Z", "2026-11-02",
		    "due:due@owner later", "2026-11-02T08:00:00-06:00", -21600 },
		{ "Sydney 23:30 AEST on 04-05", SYD, -1, NULL, "2026-04-05T13:30:00Z", "2026-04-06",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Sydney 00:00 AEST on 04-06", SYD, -1, NULL, "2026-04-05T14:00:00Z", "2026-04-06",
		    "due:due@owner later", "2026-04-06T08:00:00+10:00", 36000 },
		{ "Sydney 23:30 AEDT on 10-04", SYD, -1, NULL, "2026-10-04T12:30:00Z", "2026-10-05",
		    "upcoming:upcoming-1@owner later", NULL, 0 },
		{ "Sydney 00:00 AEDT on 10-05", SYD, -1, NULL, "2026-10-04T13:00:00Z", "2026-10-05",
		    "due:due@owner later", "2026-10-05T08:00:00+11:00", 39600 },
	};

	check_slot_rows(*state, rows, N_ELEMS(rows));
}

/* On the change days themselves (Sundays, so every day is a send day here), 08:00 local
 * has the offset after the change. */
static void
send_time_on_the_day_of_a_change_uses_that_days_offset(void **state)
{
	static const struct slot_row rows[] = {
		{ "Berlin 03-29 01:30 CET", BER, -1, NULL, "2026-03-29T00:30:00Z", "2026-03-29",
		    "due:due@owner later", "2026-03-29T08:00:00+02:00", 7200 },
		{ "Berlin 10-25 02:30 CEST", BER, -1, NULL, "2026-10-25T00:30:00Z", "2026-10-25",
		    "due:due@owner later", "2026-10-25T08:00:00+01:00", 3600 },
		{ "Chicago 03-08 01:00 CST", CHI, -1, NULL, "2026-03-08T07:00:00Z", "2026-03-08",
		    "due:due@owner later", "2026-03-08T08:00:00-05:00", -18000 },
		{ "Chicago 11-01 01:30 CDT", CHI, -1, NULL, "2026-11-01T06:30:00Z", "2026-11-01",
		    "due:due@owner later", "2026-11-01T08:00:00-06:00", -21600 },
		{ "Sydney 04-05 01:00 AEDT", SYD, -1, NULL, "2026-04-04T14:00:00Z", "2026-04-05",
		    "due:due@owner later", "2026-04-05T08:00:00+10:00", 36000 },
		{ "Sydney 10-04 01:00 AEST", SYD, -1, NULL, "2026-10-03T15:00:00Z", "2026-10-04",
		    "due:due@owner later", "2026-10-04T08:00:00+11:00", 39600 },
	};
	struct world *w = *state;

	w->cfg.delivery.send_days = ALL_DAYS;
	check_slot_rows(w, rows, N_ELEMS(rows));
}

/* A send_time inside the hour a change skips or repeats (02:30, or 01:30 in Chicago).  SPEC
 * §3: the digest goes at the first check at or after send_time, and changes never lose or
 * add a slot.  The rules must announce as the slot the instant from which deliver_now is
 * true: one minute earlier it is false, at the slot it is true. */
struct edge_row {
	const char *name, *tz;
	int send_time;
	const char *before, *slot;
	long offset;
};

/* Appends to errs what row got wrong, if anything. */
static void
check_edge_row(struct world *w, const struct edge_row *row, char *errs, size_t len)
{
	char d[DESC_LEN], a[40], b[40], c[40];
	time_t slot = instant_of(row->slot);
	size_t k = strlen(errs);
	char due[KDATE_STRLEN];
	int early, on_time;

	snprintf(due, sizeof(due), "%.10s", row->slot); /* the slot's local date */
	w->cfg.delivery.send_time = row->send_time;
	w->people[OWNER].tz = row->tz;
	run_item(w, row->before, due, OWNER);
	if (w->n_got != 1 || strcmp(describe(w, &w->got[0], d, sizeof(d)), "due:due@owner later") ||
	    w->got[0].slot != slot || w->got[0].slot_offset != row->offset) {
		snprintf(errs + k, len - k,
		    "\n  %s (send_time %02d:%02d, checked at %s): expected "
		    "slot %s (%s, offset %ld), got %s (offset %ld)",
		    row->name, row->send_time / 60, row->send_time % 60, row->before, row->slot,
		    utc(slot, a, sizeof(a)), row->offset,
		    w->n_got == 1 ? utc(w->got[0].slot, b, sizeof(b)) : "no single notification",
		    w->n_got == 1 ? w->got[0].slot_offset : 0);
		k = strlen(errs);
	}
	run_item(w, utc(slot - 60, b, sizeof(b)), due, OWNER);
	early = w->n_got == 1 && w->got[0].deliver_now;
	run_item(w, utc(slot, c, sizeof(c)), due, OWNER);
	on_time = w->n_got == 1 && w->got[0].deliver_now;
	if (early || !on_time)
		snprintf(errs + k, len - k,
		    "\n  %s: expected deliver_now 0 at %s and 1 at %s, got %d "
		    "and %d",
		    row->name, b, c, early, on_time);
}

static void
send_time_in_a_skipped_or_repeated_hour_gives_exactly_one_slot(void **state)
{
	static const struct edge_row rows[] = {
		{ "Berlin gap: 02:30 does not exist, 03:00 CEST is first", BER, 150,
		    "2026-03-29T00:30:00Z", "2026-03-29T03:00:00+02:00", 7200 },
		{ "Berlin repeat: first 02:30 is CEST", BER, 150, "2026-10-24T23:30:00Z",
		    "2026-10-25T02:30:00+02:00", 7200 },
		{ "Chicago gap: 02:30 does not exist, 03:00 CDT is first", CHI, 150,
		    "2026-03-08T07:00:00Z", "2026-03-08T03:00:00-05:00", -18000 },
		{ "Chicago repeat: first 01:30 is CDT", CHI, 90, "2026-11-01T05:00:00Z",
		    "2026-11-01T01:30:00-05:00", -18000 },
		{ "Sydney repeat: first 02:30 is AEDT", SYD, 150, "2026-04-04T14:00:00Z",
		    "2026-04-05T02:30:00+11:00", 39600 },
		{ "Sydney gap: 02:30 does not exist, 03:00 AEDT is first", SYD, 150,
		    "2026-10-03T15:00:00Z", "2026-10-04T03:00:00+11:00", 39600 },
		{ "control: 08:00 after the Berlin gap", BER, 480, "2026-03-29T00:30:00Z",
		    "2026-03-29T08:00:00+02:00", 7200 },
	};
	struct world *w = *state;
	char errs[4096] = "";

	w->cfg.delivery.send_days = ALL_DAYS;
	for (size_t i = 0; i < N_ELEMS(rows); i++)
		check_edge_row(w, &rows[i], errs, sizeof(errs));
	if (errs[0] != '\0')
		fail_msg("the announced slot is not where delivery starts:%s", errs);
}

static void
repeated_hour_does_not_add_a_second_digest(void **state)
{
	struct world *w = *state;

	w->cfg.delivery.send_days = ALL_DAYS;
	w->cfg.delivery.send_time = 150;
	w->people[OWNER].last_digest = instant_of("2026-10-25T02:45:00+02:00");
	run_item(w, "2026-10-25T02:45:00+01:00", "2026-10-25", OWNER);
	expect_one(w, "second 02:45 on 2026-10-25 after a digest at the first",
	    "due:due@owner later", "2026-10-26T02:30:00+01:00", 3600);
	/* A slot taken now has the offset of now, not the one send_time had that day. */
	w->cfg.delivery.send_time = 60;
	w->people[OWNER].last_digest = 0;
	run_item(w, "2026-10-25T10:00:00+01:00", "2026-10-25", OWNER);
	expect_one(w, "10:00 CET on 2026-10-25, send_time 01:00 CEST", "due:due@owner now",
	    "2026-10-25T10:00:00+01:00", 3600);
}

static void
escalations_only_uses_digest_slots(void **state)
{
	struct world *w = *state;

	w->people[OWNER].notify = NOTIFY_ESCALATIONS_ONLY;
	w->people[KAM].notify = NOTIFY_ESCALATIONS_ONLY;
	w->people[KAM].last_digest = instant_of("2026-12-17T08:00:00+01:00");
	run_item(w, "2026-12-17T19:00:00+01:00", "2026-12-10", OWNER);
	expect_one(w, "KAM with escalations-only, digest already sent today",
	    "escalation:escalation@kam later", "2026-12-18T08:00:00+01:00", 3600);
	w->people[KAM].last_digest = 0;
	run_item(w, "2026-12-17T19:00:00+01:00", "2026-12-10", OWNER);
	expect_one(w, "KAM with escalations-only, evening without a digest yet",
	    "escalation:escalation@kam now", "2026-12-17T19:00:00+01:00", 3600);
}

static void
substitute_receives_in_their_own_zone_during_the_absent_persons_local_days(void **state)
{
	struct world *w = *state;

	w->people[SUB].tz = CHI;
	w->absence = (struct rules_absence){ day_of("2026-12-01"), day_of("2026-12-01"), SUB };
	w->people[OWNER].absences = &w->absence;
	w->people[OWNER].n_absences = 1;
	run_item(w, "2026-12-01T09:00:00+01:00", "2026-12-01", OWNER);
	expect_one(w, "Berlin owner absent, substitute in Chicago at 02:00 CST",
	    "due:due@sub for owner later", "2026-12-01T08:00:00-06:00", -21600);
	/* The absence is 12-10 in the Sydney owner's calendar, while Berlin is still 12-09. */
	w->people[SUB].tz = BER;
	w->people[OWNER].tz = SYD;
	w->absence = (struct rules_absence){ day_of("2026-12-10"), day_of("2026-12-10"), SUB };
	run_item(w, "2026-12-09T12:00:00Z", "2026-12-10", OWNER);
	expect_one(w, "Sydney owner on 12-09 at 23:00, before the absence",
	    "upcoming:upcoming-1@owner now", "2026-12-09T12:00:00Z", 39600);
	run_item(w, "2026-12-09T14:00:00Z", "2026-12-10", OWNER);
	expect_one(w, "Sydney owner on 12-10 01:00, absent; substitute in Berlin at 15:00",
	    "due:due@sub for owner now", "2026-12-09T14:00:00Z", 3600);
	/* The slot follows the substitute's preference: they receive the mail. */
	w->people[SUB].notify = NOTIFY_IMMEDIATE;
	run_item(w, "2026-12-09T18:00:00Z", "2026-12-10", OWNER);
	expect_one(w, "immediate substitute in Berlin at 19:00, after window_end",
	    "due:due@sub for owner immediate later", "2026-12-10T08:00:00+01:00", 3600);
}

static void
same_instant_is_due_in_sydney_and_the_day_before_in_chicago(void **state)
{
	struct world *w = *state;
	kdate_t syd = 0, chi = 0;
	struct rules_input in;
	struct rules *r;
	struct rules_item items[] = {
		{ KIND_ACTIVITY, "act-syd", 0, day_of("2026-12-01"), SUB, 0 },
		{ KIND_ACTIVITY, "act-chi", 0, day_of("2026-12-01"), OWNER, 0 },
	};

	w->people[SUB].tz = SYD;
	w->people[OWNER].tz = CHI;
	r = start(w, &in, "2026-11-30T14:00:00Z");
	assert_int_equal(rules_today(r, SUB, 0, &syd), 0);
	assert_int_equal(rules_today(r, OWNER, 0, &chi), 0);
	rules_free(r);
	if (syd != day_of("2026-12-01") || chi != day_of("2026-11-30"))
		fail_msg("at 2026-11-30T14:00Z expected today 2026-12-01 in Sydney and 2026-11-30 "
		         "in Chicago, got day %d and day %d",
		    (int)syd, (int)chi);
	run_items(w, "2026-11-30T14:00:00Z", &items[0], 1);
	expect_one(w, "Sydney owner at 01:00 AEDT on 12-01", "due:due@sub later",
	    "2026-12-01T08:00:00+11:00", 39600);
	run_items(w, "2026-11-30T14:00:00Z", &items[1], 1);
	expect_one(w, "Chicago owner at 08:00 CST on 11-30", "upcoming:upcoming-1@owner now",
	    "2026-11-30T08:00:00-06:00", -21600);
}

struct fallback_row {
	const char *name, *person_tz, *plan_tz, *cfg_tz, *want, *slot;
	long offset;
};

static void
person_without_zone_uses_the_plans_then_the_configured_zone(void **state)
{
	static const struct fallback_row rows[] = {
		{ "plan in Sydney", NULL, SYD, "UTC", "due:due@notz later",
		    "2026-12-01T08:00:00+11:00", 39600 },
		{ "no plan zone, configured Auckland", NULL, NULL, "Pacific/Auckland",
		    "due:due@notz later", "2026-12-01T08:00:00+13:00", 46800 },
		{ "no plan zone, configured Chicago", NULL, NULL, CHI,
		    "upcoming:upcoming-1@notz now", "2026-11-30T08:00:00-06:00", -21600 },
		{ "no plan zone, configured UTC", NULL, NULL, "UTC", "upcoming:upcoming-1@notz now",
		    "2026-11-30T14:00:00Z", 0 },
		{ "the person's own zone wins", CHI, SYD, "Pacific/Auckland",
		    "upcoming:upcoming-1@notz now", "2026-11-30T08:00:00-06:00", -21600 },
	};
	struct world *w = *state;
	char label[200];

	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		w->people[NOTZ].tz = rows[i].person_tz;
		w->plans[0].tz = rows[i].plan_tz;
		set_string(&w->cfg.timezone, rows[i].cfg_tz);
		run_item(w, "2026-11-30T14:00:00Z", "2026-12-01", NOTZ);
		snprintf(
		    label, sizeof(label), "%s (2026-11-30T14:00Z, due 2026-12-01)", rows[i].name);
		expect_one(w, label, rows[i].want, rows[i].slot, rows[i].offset);
	}
}

static const char *const other_zones[] = {
	"Africa/Abidjan",
	"Africa/Cairo",
	"Africa/Johannesburg",
	"Africa/Lagos",
	"Africa/Nairobi",
	"America/Anchorage",
	"America/Bogota",
	"America/Caracas",
	"America/Denver",
	"America/Halifax",
	"America/Lima",
	"America/Los_Angeles",
	"America/Mexico_City",
	"America/New_York",
	"America/Phoenix",
	"America/Santiago",
	"America/Sao_Paulo",
	"America/St_Johns",
	"America/Toronto",
	"Asia/Baghdad",
	"Asia/Bangkok",
	"Asia/Dhaka",
	"Asia/Dubai",
	"Asia/Hong_Kong",
	"Asia/Jakarta",
	"Asia/Jerusalem",
	"Asia/Kabul",
	"Asia/Karachi",
	"Asia/Kathmandu",
	"Asia/Kolkata",
	"Asia/Manila",
	"Asia/Seoul",
	"Asia/Shanghai",
	"Asia/Singapore",
	"Asia/Tehran",
	"Asia/Tokyo",
	"Asia/Yangon",
	"Atlantic/Azores",
	"Atlantic/Reykjavik",
	"Australia/Adelaide",
	"Australia/Brisbane",
	"Australia/Darwin",
	"Australia/Perth",
	"Europe/Athens",
	"Europe/Dublin",
	"Europe/Helsinki",
	"Europe/Istanbul",
	"Europe/Lisbon",
	"Europe/London",
	"Europe/Madrid",
	"Europe/Moscow",
	"Europe/Paris",
	"Europe/Rome",
	"Europe/Warsaw",
	"Europe/Zurich",
	"Pacific/Auckland",
	"Pacific/Chatham",
	"Pacific/Fiji",
	"Pacific/Guam",
	"Pacific/Honolulu",
	"Pacific/Noumea",
	"Pacific/Tongatapu",
	"Indian/Maldives",
	"Indian/Mauritius",
	"Pacific/Tahiti",
	"Asia/Vladivostok",
};

/* Adds one person per zone in other_zones, from index N_ROSTER on. */
static void
add_people_in_other_zones(struct world *w)
{
	static char keys[N_ELEMS(other_zones)][8];

	for (size_t i = 0; i < N_ELEMS(other_zones); i++) {
		snprintf(keys[i], sizeof(keys[i]), "p%zu", i);
		w->people[N_ROSTER + i] = (struct rules_person){ keys[i], "p@example.com",
			other_zones[i], -1, NULL, 0, 0 };
	}
	w->n_people = N_ROSTER + N_ELEMS(other_zones);
}

static void
many_zones_in_one_run_each_keep_their_own_today(void **state)
{
	struct world *w = *state;
	struct rules_input in;
	struct rules *r;
	kdate_t got[N_ELEMS(other_zones)], want;
	size_t bad = N_ELEMS(other_zones);

	add_people_in_other_zones(w);
	r = start(w, &in, "2026-11-30T11:30:00Z");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < N_ELEMS(other_zones); i++)
			if (rules_today(r, (int)(N_ROSTER + i), 0, &got[i]) != 0)
				got[i] = -1;
	rules_free(r);
	for (size_t i = 0; i < N_ELEMS(other_zones) && bad == N_ELEMS(other_zones); i++)
		if (kdate_local(in.now, other_zones[i], &want, NULL, NULL) != 0 || got[i] != want)
			bad = i;
	if (bad < N_ELEMS(other_zones))
		fail_msg("%s at 2026-11-30T11:30Z after %zu zones: expected day %d, got %d",
		    other_zones[bad], N_ELEMS(other_zones), (int)want, (int)got[bad]);
}

/* A person without a zone in two plans of different zones: "digest already sent today" is
 * judged in the zone of the plan at hand.  Kiritimati (+14): the last digest, at 00:30 on
 * 12-01, was today; Pago Pago (-11): it was on 11-29, not today (11-30).  The answer must
 * not depend on how many other zones the run looked at before, whatever their number. */
static void
digest_sent_today_does_not_depend_on_how_many_zones_the_run_saw(void **state)
{
	struct world *w = *state;
	struct rules_input in;
	kdate_t day;
	int kam = N_ROSTER; /* in other_zones[0], so looking the KAM up adds no zone */
	struct rules_item items[] = {
		{ KIND_ACTIVITY, "act-b", 1, day_of("2026-11-30"), NOTZ, 0 },
		{ KIND_ACTIVITY, "act-c", 2, day_of("2026-12-01"), NOTZ, 0 },
	};
	static const char *const want[] = { "due:due@notz now", "due:due@notz later" };
	char label[160];

	add_people_in_other_zones(w);
	w->plans[1] = (struct rules_plan){ "plan-b", "Pacific/Pago_Pago", kam, RULES_NONE, 0, 0 };
	w->plans[2] = (struct rules_plan){ "plan-c", "Pacific/Kiritimati", kam, RULES_NONE, 0, 0 };
	w->n_plans = 3;
	w->people[NOTZ].last_digest = instant_of("2026-11-30T10:30:00Z");
	for (size_t seen = 0; seen <= N_ELEMS(other_zones); seen++) {
		struct rules *r = start(w, &in, "2026-12-01T05:00:00Z");
		int ret = 0, ok = 1;
		size_t i;

		for (i = 0; i < seen; i++)
			ret |= rules_today(r, (int)(N_ROSTER + i), 0, &day);
		for (i = 0; i < 2 && ok; i++) {
			w->n_got = 0;
			ret |= rules_item(r, &items[i], collect, w);
			ok = w->n_got == 1 && w->got[0].deliver_now == (i == 0);
		}
		rules_free(r);
		assert_int_equal(ret, 0);
		if (!ok) {
			snprintf(label, sizeof(label),
			    "at 2026-12-01T05:00Z, the %s plan after %zu "
			    "other zones",
			    i == 1 ? "Pago Pago" : "Kiritimati", seen);
			expect_one(w, label, want[i - 1], NULL, 0);
		}
	}
}

/* A zone missing from tzdata falls back to the plan's, then the configured one (issue
 * 10, D5); only when none resolves is there no today. */
static void
unknown_zone_falls_back_and_only_no_zone_at_all_has_no_today(void **state)
{
	struct world *w = *state;
	struct rules_input in;
	struct rules *r;
	char *saved = w->cfg.timezone, bad[] = "Venus/Maxwell_Montes";
	const char *plan_tz = w->plans[0].tz;
	kdate_t day = 0;
	int ret;

	w->people[NOTZ].tz = "Mars/Olympus_Mons";
	r = start(w, &in, "2026-12-01T09:00:00Z");
	ret = rules_today(r, NOTZ, 0, &day);
	rules_free(r);
	if (ret != 0 || day != day_of("2026-12-01"))
		fail_msg("rules_today for zone Mars/Olympus_Mons: expected the fallback's "
		         "2026-12-01, got %d",
		    ret);
	w->plans[0].tz = "Mars/Olympus_Mons";
	w->cfg.timezone = bad;
	r = start(w, &in, "2026-12-01T09:00:00Z");
	ret = rules_today(r, NOTZ, 0, &day);
	rules_free(r);
	w->cfg.timezone = saved;
	w->plans[0].tz = plan_tz;
	if (ret != -EINVAL)
		fail_msg("rules_today with no zone resolving: expected -EINVAL, got %d", ret);
}

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(digest_goes_at_the_first_check_from_send_time_once_a_local_day),
		T(immediate_slots_are_every_check_between_send_time_and_window_end),
		T(weekends_and_holidays_move_the_slot_to_the_next_send_day),
		T(slots_after_daylight_saving_changes_have_the_new_utc_offset),
		T(today_changes_at_local_midnight_across_daylight_saving_changes),
		T(send_time_on_the_day_of_a_change_uses_that_days_offset),
		T(send_time_in_a_skipped_or_repeated_hour_gives_exactly_one_slot),
		T(repeated_hour_does_not_add_a_second_digest),
		T(escalations_only_uses_digest_slots),
		T(substitute_receives_in_their_own_zone_during_the_absent_persons_local_days),
		T(same_instant_is_due_in_sydney_and_the_day_before_in_chicago),
		T(person_without_zone_uses_the_plans_then_the_configured_zone),
		T(many_zones_in_one_run_each_keep_their_own_today),
		T(digest_sent_today_does_not_depend_on_how_many_zones_the_run_saw),
		T(unknown_zone_falls_back_and_only_no_zone_at_all_has_no_today),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
