/* Unit tests for the controlling rules of SPEC §3 (daemon/core/rules.c): which stage an open
 * item or a plan is at, who receives it (owner, KAM, sponsor, substitute) and what each
 * notification preference lets through.  Delivery slots, zones and daylight-saving changes
 * are in test_rules_slots.c.  Every table row runs the rules on a small world and compares
 * the emitted notifications, written as "rule:stage@recipient[ for absent][ unowned]
 * [ immediate] now|later[ due=YYYY-MM-DD]", with the row's list in any order.  Dates and
 * weekdays were checked independently with Python's datetime. */
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
#define MAX_GOT 16
#define MAX_WANT 4
#define DESC_LEN 160

/* The people of the world, by index; everyone is in Berlin unless a test moves them. */
enum { KAM, SPONSOR, OWNER, NOMAIL, SUB, N_PEOPLE };

static const struct rules_person roster[N_PEOPLE] = {
	[KAM] = { "kam", "kam@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[SPONSOR] = { "sponsor", "sponsor@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[OWNER] = { "owner", "owner@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
	[NOMAIL] = { "nomail", NULL, "Europe/Berlin", -1, NULL, 0, 0 },
	[SUB] = { "sub", "sub@example.com", "Europe/Berlin", -1, NULL, 0, 0 },
};

struct world {
	struct kapd_config cfg; /* config_defaults() with the test's overrides */
	struct rules_person people[N_PEOPLE];
	struct rules_plan plans[1];
	struct rules_absence absence;
	int skip_status; /* drop status-report notifications (review tables) */
	struct rules_notification got[MAX_GOT];
	size_t n_got;
	int overflow, failed;
};

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
	w->plans[0] = (struct rules_plan){ "plan-a", "Europe/Berlin", KAM, SPONSOR, 0, 0 };
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
set_leads(int *dst, int *n, const int *src, int count)
{
	for (int i = 0; i < count; i++)
		dst[i] = src[i];
	*n = count;
}

static int
collect(void *ctx, const struct rules_notification *n)
{
	struct world *w = ctx;

	if (w->skip_status && n->rule == RULE_STATUS_REPORT)
		return 0;
	if (w->n_got == MAX_GOT) {
		w->overflow = 1;
		return 0;
	}
	w->got[w->n_got++] = *n;
	return 0;
}

/* Runs rules_item on each item, then rules_plan on the plan when plan_rules is set. */
static void
run(struct world *w, const char *now, const struct rules_item *items, size_t n_items,
    int plan_rules)
{
	struct rules_input in = { &w->cfg, &rules_tz_system, instant_of(now), w->people, N_PEOPLE,
		w->plans, N_ELEMS(w->plans) };
	struct rules *r = rules_new(&in);
	int ret = 0;

	assert_non_null(r);
	w->n_got = 0;
	w->overflow = 0;
	for (size_t i = 0; i < n_items && ret >= 0; i++)
		ret = rules_item(r, &items[i], collect, w);
	if (plan_rules && ret >= 0)
		ret = rules_plan(r, 0, collect, w);
	rules_free(r);
	if (ret < 0)
		fail_msg("at %s: rules returned %d, expected 0", now, ret);
}

static void
run_item(struct world *w, const char *now, const char *due, int owner)
{
	struct rules_item it = { KIND_ACTIVITY, "act-1", 0, day_of(due), owner, 0 };

	run(w, now, &it, 1, 0);
}

static const char *
who(const struct world *w, int person)
{
	if (person == RULES_NONE)
		return "(none)";
	return person >= 0 && person < N_PEOPLE ? w->people[person].key : "(bad index)";
}

static char *
describe(const struct world *w, const struct rules_notification *n, char *buf, size_t len)
{
	char stage[32], due[KDATE_STRLEN];
	int behalf = n->on_behalf != RULES_NONE, status = n->rule == RULE_STATUS_REPORT;

	snprintf(buf, len, "%s:%s@%s%s%s%s%s %s%s%s", rules_rule_name(n->rule),
	    rules_stage_name(n, stage, sizeof(stage)), who(w, n->recipient), behalf ? " for " : "",
	    behalf ? who(w, n->on_behalf) : "", n->unowned ? " unowned" : "",
	    n->immediate ? " immediate" : "", n->deliver_now ? "now" : "later",
	    status ? " due=" : "", status ? kdate_format(n->due, due) : "");
	return buf;
}

static void
append(char *buf, size_t len, const char *s)
{
	size_t k = strlen(buf);

	snprintf(buf + k, len - k, "%s%s", k > 0 ? "; " : "", s);
}

/* The collected notifications must be exactly want (NULL-terminated or MAX_WANT long), in
 * any order; the failure message lists both. */
static void
expect_got(const struct world *w, const char *label, const char *const *want)
{
	char d[DESC_LEN], want_list[MAX_WANT * DESC_LEN] = "", got_list[MAX_GOT * DESC_LEN] = "";
	int used[MAX_GOT] = { 0 }, ok = !w->overflow;
	size_t n_want = 0;

	for (; n_want < MAX_WANT && want[n_want] != NULL; n_want++) {
		size_t j;

		append(want_list, sizeof(want_list), want[n_want]);
		for (j = 0; j < w->n_got; j++)
			if (!used[j] &&
			    strcmp(describe(w, &w->got[j], d, sizeof(d)), want[n_want]) == 0)
				break;
		if (j == w->n_got)
			ok = 0;
		else
			used[j] = 1;
	}
	if (ok && n_want == w->n_got)
		return;
	for (size_t j = 0; j < w->n_got; j++)
		append(got_list, sizeof(got_list), describe(w, &w->got[j], d, sizeof(d)));
	fail_msg("%s: expected [%s], got [%s]%s", label, want_list, got_list,
	    w->overflow ? " and more" : "");
}

struct item_row {
	const char *name, *now, *due;
	int owner;
	const char *want[MAX_WANT];
};

static void
check_item_rows(struct world *w, const struct item_row *rows, size_t n)
{
	char label[256];

	for (size_t i = 0; i < n; i++) {
		run_item(w, rows[i].now, rows[i].due, rows[i].owner);
		snprintf(label, sizeof(label), "%s (now %s, due %s, owner %s)", rows[i].name,
		    rows[i].now, rows[i].due, who(w, rows[i].owner));
		expect_got(w, label, rows[i].want);
	}
}

struct plan_row {
	const char *name, *now, *review; /* review NULL: the plan has no review date */
	const char *want[MAX_WANT];
};

static void
check_plan_rows(struct world *w, const struct plan_row *rows, size_t n)
{
	char label[256];

	for (size_t i = 0; i < n; i++) {
		w->plans[0].has_review = rows[i].review != NULL;
		w->plans[0].next_review = rows[i].review != NULL ? day_of(rows[i].review) : 0;
		run(w, rows[i].now, NULL, 0, 1);
		snprintf(label, sizeof(label), "%s (now %s, next review %s)", rows[i].name,
		    rows[i].now, rows[i].review != NULL ? rows[i].review : "none");
		expect_got(w, label, rows[i].want);
	}
}

/* D = 2026-12-10, a Thursday; checks at 09:00 Berlin, so weekdays are slots ("now") and
 * the weekend is not ("later"). */
#define D "2026-12-10"

static void
owner_stages_follow_lead_days_due_day_and_overdue_every_three_days(void **state)
{
	static const struct item_row rows[] = {
		{ "8 days before: nothing yet", "2026-12-02T09:00:00+01:00", D, OWNER, { NULL } },
		{ "7 days before: upcoming-7", "2026-12-03T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-7@owner now" } },
		{ "6 days before: still upcoming-7", "2026-12-04T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-7@owner now" } },
		{ "2 days before: still upcoming-7", "2026-12-08T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-7@owner now" } },
		{ "1 day before: upcoming-1", "2026-12-09T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-1@owner now" } },
		{ "due day: due", "2026-12-10T09:00:00+01:00", D, OWNER, { "due:due@owner now" } },
		{ "D+1: overdue-0", "2026-12-11T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner now" } },
		{ "D+2 (Saturday): overdue-0", "2026-12-12T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner later" } },
		{ "D+3 (Sunday): overdue-0", "2026-12-13T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner later" } },
		{ "D+4: overdue-1", "2026-12-14T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-1@owner now" } },
		{ "D+6: overdue-1, one day short of escalation", "2026-12-16T09:00:00+01:00", D,
		    OWNER, { "overdue:overdue-1@owner now" } },
		{ "D+7: overdue-2 and escalation to the KAM", "2026-12-17T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-2@owner now", "escalation:escalation@kam now" } },
		{ "D+20: overdue-6, no sponsor yet", "2026-12-30T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now" } },
		{ "D+21: sponsor escalation", "2026-12-31T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now",
		        "sponsor:sponsor@sponsor now" } },
		{ "D+22: overdue-7; escalations keep their single stage",
		    "2027-01-01T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-7@owner now", "escalation:escalation@kam now",
		        "sponsor:sponsor@sponsor now" } },
	};

	check_item_rows(*state, rows, N_ELEMS(rows));
}

static void
three_lead_days_each_hold_until_the_next_lead_begins(void **state)
{
	static const int leads[] = { 14, 3, 1 };
	static const struct item_row rows[] = {
		{ "15 days before: nothing", "2026-11-25T09:00:00+01:00", D, OWNER, { NULL } },
		{ "14 days before: upcoming-14", "2026-11-26T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-14@owner now" } },
		{ "4 days before: still upcoming-14", "2026-12-06T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-14@owner later" } },
		{ "3 days before: upcoming-3", "2026-12-07T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-3@owner now" } },
		{ "2 days before: still upcoming-3", "2026-12-08T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-3@owner now" } },
		{ "1 day before: upcoming-1", "2026-12-09T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-1@owner now" } },
		{ "due day", "2026-12-10T09:00:00+01:00", D, OWNER, { "due:due@owner now" } },
	};
	struct world *w = *state;

	set_leads(w->cfg.reminders.lead_days, &w->cfg.reminders.n_lead, leads, 3);
	check_item_rows(w, rows, N_ELEMS(rows));
}

static void
configured_overdue_interval_and_escalation_thresholds_are_honoured(void **state)
{
	static const struct item_row rows[] = {
		{ "k=5: overdue-0 with every=5", "2026-12-15T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner now" } },
		{ "k=6: overdue-1", "2026-12-16T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-1@owner now" } },
		{ "k=9: no escalation below 10", "2026-12-19T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-1@owner later" } },
		{ "k=10: escalation", "2026-12-20T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-1@owner later", "escalation:escalation@kam later" } },
		{ "k=15: sponsor", "2026-12-25T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-2@owner now", "escalation:escalation@kam now",
		        "sponsor:sponsor@sponsor now" } },
	};
	struct world *w = *state;

	w->cfg.reminders.overdue_every_days = 5;
	w->cfg.reminders.escalate_after_days = 10;
	w->cfg.reminders.sponsor_after_days = 15;
	check_item_rows(w, rows, N_ELEMS(rows));
}

static void
stages_count_days_across_the_year_end_and_29_february(void **state)
{
	static const struct item_row rows[] = {
		{ "D=12-30, k=1 on 12-31", "2026-12-31T09:00:00+01:00", "2026-12-30", OWNER,
		    { "overdue:overdue-0@owner now" } },
		{ "k=3 on 01-02", "2027-01-02T09:00:00+01:00", "2026-12-30", OWNER,
		    { "overdue:overdue-0@owner later" } },
		{ "k=4 on 01-03", "2027-01-03T09:00:00+01:00", "2026-12-30", OWNER,
		    { "overdue:overdue-1@owner later" } },
		{ "k=7 on 01-06: escalation", "2027-01-06T09:00:00+01:00", "2026-12-30", OWNER,
		    { "overdue:overdue-2@owner now", "escalation:escalation@kam now" } },
		{ "k=21 on 01-20: sponsor", "2027-01-20T09:00:00+01:00", "2026-12-30", OWNER,
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now",
		        "sponsor:sponsor@sponsor now" } },
		{ "D=2027-01-02, 7 days before in 2026", "2026-12-26T09:00:00+01:00", "2027-01-02",
		    OWNER, { "upcoming:upcoming-7@owner later" } },
		{ "D=2027-01-02, 1 day before", "2027-01-01T09:00:00+01:00", "2027-01-02", OWNER,
		    { "upcoming:upcoming-1@owner now" } },
		{ "D=2028-02-29, 7 days before", "2028-02-22T09:00:00+01:00", "2028-02-29", OWNER,
		    { "upcoming:upcoming-7@owner now" } },
		{ "D=2028-02-29, on 02-28", "2028-02-28T09:00:00+01:00", "2028-02-29", OWNER,
		    { "upcoming:upcoming-1@owner now" } },
		{ "D=2028-02-29, due", "2028-02-29T09:00:00+01:00", "2028-02-29", OWNER,
		    { "due:due@owner now" } },
		{ "D=2028-02-29, on 03-01", "2028-03-01T09:00:00+01:00", "2028-02-29", OWNER,
		    { "overdue:overdue-0@owner now" } },
	};

	check_item_rows(*state, rows, N_ELEMS(rows));
}

static void
escalation_of_an_item_the_kam_owns_goes_to_the_sponsor(void **state)
{
	static const struct item_row rows[] = {
		{ "k=6: KAM's own overdue only", "2026-12-16T09:00:00+01:00", D, KAM,
		    { "overdue:overdue-1@kam now" } },
		{ "k=7: escalation to the sponsor", "2026-12-17T09:00:00+01:00", D, KAM,
		    { "overdue:overdue-2@kam now", "escalation:escalation@sponsor now" } },
		{ "k=21: escalation and sponsor rule", "2026-12-31T09:00:00+01:00", D, KAM,
		    { "overdue:overdue-6@kam now", "escalation:escalation@sponsor now",
		        "sponsor:sponsor@sponsor now" } },
	};

	check_item_rows(*state, rows, N_ELEMS(rows));
}

static void
plan_without_sponsor_has_no_sponsor_rule_and_kam_items_do_not_escalate(void **state)
{
	static const struct item_row rows[] = {
		{ "member's item at k=21", "2026-12-31T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now" } },
		{ "KAM's item at k=21", "2026-12-31T09:00:00+01:00", D, KAM,
		    { "overdue:overdue-6@kam now" } },
	};
	static const struct plan_row review[] = {
		{ "review 30 days overdue", "2027-04-14T09:00:00+02:00", "2027-03-15",
		    { "review-overdue:overdue-4@kam now" } },
	};
	struct world *w = *state;

	w->plans[0].sponsor = RULES_NONE;
	check_item_rows(w, rows, N_ELEMS(rows));
	w->skip_status = 1;
	check_plan_rows(w, review, N_ELEMS(review));
}

/* Preference rows: delivery.mode, then each person's own (-1: none, use delivery.mode). */
struct pref_row {
	const char *name;
	int cfg, owner, kam, sponsor, item_owner;
	const char *now;
	const char *want[MAX_WANT];
};

static void
notify_preferences_decide_what_each_person_receives(void **state)
{
	enum {
		DG = NOTIFY_DIGEST,
		IM = NOTIFY_IMMEDIATE,
		EO = NOTIFY_ESCALATIONS_ONLY,
		NO = NOTIFY_NONE
	};
	static const struct pref_row rows[] = {
		{ "digest owner on the due day", DG, DG, -1, -1, OWNER, "2026-12-10T09:00:00+01:00",
		    { "due:due@owner now" } },
		{ "immediate owner: own email", DG, IM, -1, -1, OWNER, "2026-12-10T09:00:00+01:00",
		    { "due:due@owner immediate now" } },
		{ "no preference follows delivery.mode", IM, -1, -1, -1, OWNER,
		    "2026-12-10T09:00:00+01:00", { "due:due@owner immediate now" } },
		{ "escalations-only owner: no due mail", DG, EO, -1, -1, OWNER,
		    "2026-12-10T09:00:00+01:00", { NULL } },
		{ "escalations-only owner: still escalates", DG, EO, -1, -1, OWNER,
		    "2026-12-17T09:00:00+01:00", { "escalation:escalation@kam now" } },
		{ "none owner: nothing", DG, NO, -1, -1, OWNER, "2026-12-10T09:00:00+01:00",
		    { NULL } },
		{ "none owner: items still escalate", DG, NO, -1, -1, OWNER,
		    "2026-12-31T09:00:00+01:00",
		    { "escalation:escalation@kam now", "sponsor:sponsor@sponsor now" } },
		{ "escalations-only KAM gets escalations", DG, -1, EO, -1, OWNER,
		    "2026-12-17T09:00:00+01:00",
		    { "overdue:overdue-2@owner now", "escalation:escalation@kam now" } },
		{ "none KAM gets no escalation", DG, -1, NO, -1, OWNER, "2026-12-17T09:00:00+01:00",
		    { "overdue:overdue-2@owner now" } },
		{ "escalations-only KAM owning the item", DG, -1, EO, -1, KAM,
		    "2026-12-31T09:00:00+01:00",
		    { "escalation:escalation@sponsor now", "sponsor:sponsor@sponsor now" } },
		{ "none sponsor", DG, -1, -1, NO, OWNER, "2026-12-31T09:00:00+01:00",
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now" } },
		{ "immediate sponsor", DG, -1, -1, IM, OWNER, "2026-12-31T09:00:00+01:00",
		    { "overdue:overdue-6@owner now", "escalation:escalation@kam now",
		        "sponsor:sponsor@sponsor immediate now" } },
	};
	struct world *w = *state;
	char label[256];

	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		w->cfg.delivery.mode = (enum notify_mode)rows[i].cfg;
		w->people[OWNER].notify = rows[i].owner;
		w->people[KAM].notify = rows[i].kam;
		w->people[SPONSOR].notify = rows[i].sponsor;
		run_item(w, rows[i].now, D, rows[i].item_owner);
		snprintf(label, sizeof(label), "%s (now %s, due " D ")", rows[i].name, rows[i].now);
		expect_got(w, label, rows[i].want);
	}
}

static void
item_without_owner_or_without_usable_address_is_reported_to_the_kam(void **state)
{
	static const struct item_row rows[] = {
		{ "owner without email, due day", "2026-12-10T09:00:00+01:00", D, NOMAIL,
		    { "due:due@kam unowned now" } },
		{ "owner without email, 1 day before", "2026-12-09T09:00:00+01:00", D, NOMAIL,
		    { "upcoming:upcoming-1@kam unowned now" } },
		{ "no owner, due day", "2026-12-10T09:00:00+01:00", D, RULES_NONE,
		    { "due:due@kam unowned now" } },
		{ "no owner, k=7: overdue and escalation to the KAM", "2026-12-17T09:00:00+01:00",
		    D, RULES_NONE,
		    { "overdue:overdue-2@kam unowned now", "escalation:escalation@kam now" } },
	};
	struct world *w = *state;

	check_item_rows(w, rows, N_ELEMS(rows));
	w->people[NOMAIL].email = "";
	check_item_rows(w, rows, 2);
}

static void
absent_persons_notifications_go_to_their_substitute_on_their_behalf(void **state)
{
	static const struct item_row owner_rows[] = {
		{ "the day before the absence", "2026-12-08T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-7@owner now" } },
		{ "first day of the absence", "2026-12-09T09:00:00+01:00", D, OWNER,
		    { "upcoming:upcoming-1@sub for owner now" } },
		{ "during the absence", "2026-12-10T09:00:00+01:00", D, OWNER,
		    { "due:due@sub for owner now" } },
		{ "last day of the absence", "2026-12-11T23:30:00+01:00", D, OWNER,
		    { "overdue:overdue-0@sub for owner now" } },
		{ "the day after the absence", "2026-12-12T00:30:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner later" } },
	};
	static const struct item_row kam_rows[] = {
		{ "absent KAM's escalation", "2026-12-17T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-2@owner now", "escalation:escalation@sub for kam now" } },
	};
	static const struct item_row no_sub_rows[] = {
		{ "substitute without address", "2026-12-10T09:00:00+01:00", D, OWNER,
		    { "due:due@owner now" } },
	};
	static const struct item_row none_rows[] = {
		{ "absent owner with preference none", "2026-12-10T09:00:00+01:00", D, OWNER,
		    { NULL } },
	};
	struct world *w = *state;

	w->absence = (struct rules_absence){ day_of("2026-12-09"), day_of("2026-12-11"), SUB };
	w->people[OWNER].absences = &w->absence;
	w->people[OWNER].n_absences = 1;
	check_item_rows(w, owner_rows, N_ELEMS(owner_rows));
	w->absence.substitute = NOMAIL;
	check_item_rows(w, no_sub_rows, N_ELEMS(no_sub_rows));
	w->absence.substitute = RULES_NONE;
	check_item_rows(w, no_sub_rows, N_ELEMS(no_sub_rows));
	/* rules.h: the absent person's preference still applies to what is sent for them. */
	w->absence.substitute = SUB;
	w->people[OWNER].notify = NOTIFY_NONE;
	check_item_rows(w, none_rows, N_ELEMS(none_rows));
	w->people[OWNER].notify = -1;
	w->people[OWNER].n_absences = 0;
	w->absence = (struct rules_absence){ day_of("2026-12-17"), day_of("2026-12-17"), SUB };
	w->people[KAM].absences = &w->absence;
	w->people[KAM].n_absences = 1;
	check_item_rows(w, kam_rows, N_ELEMS(kam_rows));
}

/* The caller passes only open items with their current deadline, so a moved deadline is
 * a new due date: its stages start afresh (SPEC §3, "Moving a deadline..."). */
static void
moved_deadline_gives_the_stages_of_the_new_date(void **state)
{
	static const struct item_row rows[] = {
		{ "not moved: overdue-0 at D+1", "2026-12-11T09:00:00+01:00", D, OWNER,
		    { "overdue:overdue-0@owner now" } },
		{ "moved to D+5 at D+1: upcoming-7", "2026-12-11T09:00:00+01:00", "2026-12-15",
		    OWNER, { "upcoming:upcoming-7@owner now" } },
		{ "moved to D+10 at D+1: nothing yet", "2026-12-11T09:00:00+01:00", "2026-12-20",
		    OWNER, { NULL } },
		{ "moved to D+9 at D+8: upcoming-1, escalation gone", "2026-12-18T09:00:00+01:00",
		    "2026-12-19", OWNER, { "upcoming:upcoming-1@owner now" } },
		{ "moved earlier, to yesterday: overdue-0", "2026-12-08T09:00:00+01:00",
		    "2026-12-07", OWNER, { "overdue:overdue-0@owner now" } },
	};

	check_item_rows(*state, rows, N_ELEMS(rows));
}

static void
milestone_kind_and_at_risk_flag_reach_the_notification(void **state)
{
	struct world *w = *state;
	struct rules_item it = { KIND_MILESTONE, "ms-1", 0, day_of(D), OWNER, 1 };

	run(w, "2026-12-09T09:00:00+01:00", &it, 1, 0);
	assert_int_equal(w->n_got, 1);
	if (w->got[0].kind != KIND_MILESTONE || !w->got[0].at_risk || w->got[0].due != it.due ||
	    strcmp(w->got[0].item, "ms-1") != 0 || w->got[0].plan != 0)
		fail_msg("expected milestone ms-1 at risk due " D " in plan 0, got %s %s%s plan %d",
		    rules_kind_name(w->got[0].kind), w->got[0].item,
		    w->got[0].at_risk ? " at risk" : "", w->got[0].plan);
}

/* R = 2027-03-15, a Monday; lead days [30, 7], every 7, escalation after 30. */
static void
annual_review_has_upcoming_due_overdue_and_sponsor_escalation_stages(void **state)
{
	static const struct plan_row rows[] = {
		{ "no review date", "2027-03-15T09:00:00+01:00", NULL, { NULL } },
		{ "31 days before: nothing", "2027-02-12T09:00:00+01:00", "2027-03-15", { NULL } },
		{ "30 days before", "2027-02-13T09:00:00+01:00", "2027-03-15",
		    { "review-upcoming:upcoming-30@kam later" } },
		{ "8 days before", "2027-03-07T09:00:00+01:00", "2027-03-15",
		    { "review-upcoming:upcoming-30@kam later" } },
		{ "7 days before", "2027-03-08T09:00:00+01:00", "2027-03-15",
		    { "review-upcoming:upcoming-7@kam now" } },
		{ "1 day before", "2027-03-14T09:00:00+01:00", "2027-03-15",
		    { "review-upcoming:upcoming-7@kam later" } },
		{ "due day", "2027-03-15T09:00:00+01:00", "2027-03-15",
		    { "review-due:due@kam now" } },
		{ "R+1", "2027-03-16T09:00:00+01:00", "2027-03-15",
		    { "review-overdue:overdue-0@kam now" } },
		{ "R+7", "2027-03-22T09:00:00+01:00", "2027-03-15",
		    { "review-overdue:overdue-0@kam now" } },
		{ "R+8", "2027-03-23T09:00:00+01:00", "2027-03-15",
		    { "review-overdue:overdue-1@kam now" } },
		{ "R+29: no escalation yet", "2027-04-13T09:00:00+02:00", "2027-03-15",
		    { "review-overdue:overdue-4@kam now" } },
		{ "R+30: escalation to the sponsor", "2027-04-14T09:00:00+02:00", "2027-03-15",
		    { "review-overdue:overdue-4@kam now",
		        "review-escalation:review-escalation@sponsor now" } },
	};
	struct world *w = *state;

	w->skip_status = 1;
	check_plan_rows(w, rows, N_ELEMS(rows));
}

static void
review_due_on_29_february_counts_real_days(void **state)
{
	static const struct plan_row rows[] = {
		{ "31 days before", "2028-01-29T09:00:00+01:00", "2028-02-29", { NULL } },
		{ "30 days before", "2028-01-30T09:00:00+01:00", "2028-02-29",
		    { "review-upcoming:upcoming-30@kam later" } },
		{ "7 days before", "2028-02-22T09:00:00+01:00", "2028-02-29",
		    { "review-upcoming:upcoming-7@kam now" } },
		{ "28 February", "2028-02-28T09:00:00+01:00", "2028-02-29",
		    { "review-upcoming:upcoming-7@kam now" } },
		{ "29 February", "2028-02-29T09:00:00+01:00", "2028-02-29",
		    { "review-due:due@kam now" } },
		{ "1 March", "2028-03-01T09:00:00+01:00", "2028-02-29",
		    { "review-overdue:overdue-0@kam now" } },
		{ "30 days overdue", "2028-03-30T09:00:00+02:00", "2028-02-29",
		    { "review-overdue:overdue-4@kam now",
		        "review-escalation:review-escalation@sponsor now" } },
	};
	struct world *w = *state;

	w->skip_status = 1;
	check_plan_rows(w, rows, N_ELEMS(rows));
}

static void
review_rules_respect_the_kams_and_sponsors_preferences(void **state)
{
	static const struct plan_row eo_kam[] = {
		{ "escalations-only KAM: no review reminder", "2027-03-15T09:00:00+01:00",
		    "2027-03-15", { NULL } },
		{ "the sponsor still gets the review escalation", "2027-04-14T09:00:00+02:00",
		    "2027-03-15", { "review-escalation:review-escalation@sponsor now" } },
	};
	static const struct plan_row no_sponsor[] = {
		{ "sponsor with preference none", "2027-04-14T09:00:00+02:00", "2027-03-15",
		    { NULL } },
	};
	struct world *w = *state;

	w->people[KAM].notify = NOTIFY_ESCALATIONS_ONLY;
	check_plan_rows(w, eo_kam, N_ELEMS(eo_kam));
	w->people[SPONSOR].notify = NOTIFY_NONE;
	check_plan_rows(w, no_sponsor, N_ELEMS(no_sponsor));
}

struct status_row {
	const char *name;
	int weekday;
	const char *kam_tz, *now;
	const char *want[MAX_WANT];
};

static void
status_report_is_due_from_the_report_weekday_of_the_kams_iso_week(void **state)
{
	static const struct status_row rows[] = {
		{ "Monday report on Monday", 1, "Europe/Berlin", "2026-11-30T09:00:00+01:00",
		    { "status-report:week-2026-W49@kam now due=2026-11-30" } },
		{ "Monday report still pending on Sunday", 1, "Europe/Berlin",
		    "2026-12-06T12:00:00+01:00",
		    { "status-report:week-2026-W49@kam later due=2026-11-30" } },
		{ "Wednesday report: not on Monday", 3, "Europe/Berlin",
		    "2026-11-30T09:00:00+01:00", { NULL } },
		{ "Wednesday report: not on Tuesday", 3, "Europe/Berlin",
		    "2026-12-01T23:59:00+01:00", { NULL } },
		{ "Wednesday report on Wednesday", 3, "Europe/Berlin", "2026-12-02T09:00:00+01:00",
		    { "status-report:week-2026-W49@kam now due=2026-12-02" } },
		{ "Wednesday report on Sunday", 3, "Europe/Berlin", "2026-12-06T09:00:00+01:00",
		    { "status-report:week-2026-W49@kam later due=2026-12-02" } },
		{ "week 53 begins 2026-12-28", 1, "Europe/Berlin", "2026-12-28T09:00:00+01:00",
		    { "status-report:week-2026-W53@kam now due=2026-12-28" } },
		{ "1 January 2027 is in 2026-W53", 1, "Europe/Berlin", "2027-01-01T09:00:00+01:00",
		    { "status-report:week-2026-W53@kam now due=2026-12-28" } },
		{ "2027-01-04 is 2027-W01", 1, "Europe/Berlin", "2027-01-04T09:00:00+01:00",
		    { "status-report:week-2027-W01@kam now due=2027-01-04" } },
		{ "Friday report: not on Thursday 2026-12-31", 5, "Europe/Berlin",
		    "2026-12-31T09:00:00+01:00", { NULL } },
		{ "Friday report on 2027-01-01", 5, "Europe/Berlin", "2027-01-01T09:00:00+01:00",
		    { "status-report:week-2026-W53@kam now due=2027-01-01" } },
		{ "Sunday report on Sunday", 7, "Europe/Berlin", "2027-01-03T09:00:00+01:00",
		    { "status-report:week-2026-W53@kam later due=2027-01-03" } },
		{ "week number has two digits", 1, "Europe/Berlin", "2027-02-01T09:00:00+01:00",
		    { "status-report:week-2027-W05@kam now due=2027-02-01" } },
		{ "Sydney KAM already in 2027-W01", 1, "Australia/Sydney", "2027-01-03T14:00:00Z",
		    { "status-report:week-2027-W01@kam later due=2027-01-04" } },
		{ "Berlin KAM still in 2026-W53", 1, "Europe/Berlin", "2027-01-03T14:00:00Z",
		    { "status-report:week-2026-W53@kam later due=2026-12-28" } },
	};
	struct world *w = *state;
	char label[256];

	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		w->cfg.status_report.weekday = rows[i].weekday;
		w->people[KAM].tz = rows[i].kam_tz;
		run(w, rows[i].now, NULL, 0, 1);
		snprintf(label, sizeof(label), "%s (now %s, report weekday %d, KAM in %s)",
		    rows[i].name, rows[i].now, rows[i].weekday, rows[i].kam_tz);
		expect_got(w, label, rows[i].want);
	}
}

static void
stage_names_follow_spec_for_every_rule(void **state)
{
	static const struct {
		enum rule rule;
		int stage, year;
		const char *rule_name, *stage_name;
		int escalation;
	} rows[] = {
		{ RULE_UPCOMING, 7, 0, "upcoming", "upcoming-7", 0 },
		{ RULE_UPCOMING, 14, 0, "upcoming", "upcoming-14", 0 },
		{ RULE_DUE, 0, 0, "due", "due", 0 },
		{ RULE_OVERDUE, 0, 0, "overdue", "overdue-0", 0 },
		{ RULE_OVERDUE, 12, 0, "overdue", "overdue-12", 0 },
		{ RULE_ESCALATION, 0, 0, "escalation", "escalation", 1 },
		{ RULE_SPONSOR, 0, 0, "sponsor", "sponsor", 1 },
		{ RULE_REVIEW_UPCOMING, 30, 0, "review-upcoming", "upcoming-30", 0 },
		{ RULE_REVIEW_DUE, 0, 0, "review-due", "due", 0 },
		{ RULE_REVIEW_OVERDUE, 3, 0, "review-overdue", "overdue-3", 0 },
		{ RULE_REVIEW_ESCALATION, 0, 0, "review-escalation", "review-escalation", 1 },
		{ RULE_STATUS_REPORT, 48, 2026, "status-report", "week-2026-W48", 0 },
		{ RULE_STATUS_REPORT, 1, 2027, "status-report", "week-2027-W01", 0 },
		{ RULE_STATUS_REPORT, 53, 2026, "status-report", "week-2026-W53", 0 },
	};
	char buf[24];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(rows); i++) {
		struct rules_notification n = {
			.rule = rows[i].rule, .stage = rows[i].stage, .stage_year = rows[i].year
		};
		const char *got = rules_stage_name(&n, buf, sizeof(buf));

		if (strcmp(got, rows[i].stage_name) != 0 ||
		    strcmp(rules_rule_name(rows[i].rule), rows[i].rule_name) != 0 ||
		    rules_is_escalation(rows[i].rule) != rows[i].escalation)
			fail_msg("rule %d stage %d: expected %s/%s%s, got %s/%s%s",
			    (int)rows[i].rule, rows[i].stage, rows[i].rule_name, rows[i].stage_name,
			    rows[i].escalation ? " (escalation)" : "",
			    rules_rule_name(rows[i].rule), got,
			    rules_is_escalation(rows[i].rule) ? " (escalation)" : "");
	}
	assert_string_equal(rules_kind_name(KIND_ACTIVITY), "activity");
	assert_string_equal(rules_kind_name(KIND_MILESTONE), "milestone");
	assert_string_equal(rules_kind_name(KIND_PLAN), "plan");
}

/* An owner's zone missing from tzdata (after an update, say) falls back to the plan's
 * zone, then the configured one; the notification is not dropped, and the fallback is
 * reported with the person so the program can warn (issue 10, D5). */
static void
unknown_zone_falls_back_to_the_plan_then_the_configured_zone(void **state)
{
	static const struct {
		const char *plan_tz, *used;
	} rows[] = {
		{ "Europe/Berlin", "Europe/Berlin" },
		{ "Atlantis/Nowhere", "UTC" },
		{ NULL, "UTC" },
	};
	struct world *w = *state;
	struct rules_item it = { KIND_ACTIVITY, "act-1", 0, day_of("2026-12-01"), OWNER, 0 };
	const struct rules_fallback *fb;
	size_t i, n;

	for (i = 0; i < N_ELEMS(rows); i++) {
		struct rules_input in = { &w->cfg, &rules_tz_system,
			instant_of("2026-12-01T12:00:00+01:00"), w->people, N_PEOPLE, w->plans, 1 };
		struct rules *r;

		w->people[OWNER].tz = "Mars/Olympus_Mons";
		w->plans[0].tz = rows[i].plan_tz;
		r = rules_new(&in);
		assert_non_null(r);
		w->n_got = 0;
		assert_int_equal(rules_item(r, &it, collect, w), 0);
		if (w->n_got != 1 || w->got[0].recipient != OWNER || w->got[0].rule != RULE_DUE)
			fail_msg("plan zone %s: expected the owner's due notification, got %zu",
			    rows[i].plan_tz ? rows[i].plan_tz : "(none)", w->n_got);
		n = rules_fallbacks(r, &fb);
		assert_true(n >= 1);
		assert_int_equal(fb[0].person, OWNER);
		assert_string_equal(fb[0].zone, "Mars/Olympus_Mons");
		assert_non_null(fb[0].used);
		assert_string_equal(fb[0].used, rows[i].used);
		rules_free(r);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(owner_stages_follow_lead_days_due_day_and_overdue_every_three_days),
		T(three_lead_days_each_hold_until_the_next_lead_begins),
		T(configured_overdue_interval_and_escalation_thresholds_are_honoured),
		T(stages_count_days_across_the_year_end_and_29_february),
		T(escalation_of_an_item_the_kam_owns_goes_to_the_sponsor),
		T(plan_without_sponsor_has_no_sponsor_rule_and_kam_items_do_not_escalate),
		T(notify_preferences_decide_what_each_person_receives),
		T(item_without_owner_or_without_usable_address_is_reported_to_the_kam),
		T(absent_persons_notifications_go_to_their_substitute_on_their_behalf),
		T(moved_deadline_gives_the_stages_of_the_new_date),
		T(milestone_kind_and_at_risk_flag_reach_the_notification),
		T(annual_review_has_upcoming_due_overdue_and_sponsor_escalation_stages),
		T(review_due_on_29_february_counts_real_days),
		T(review_rules_respect_the_kams_and_sponsors_preferences),
		T(status_report_is_due_from_the_report_weekday_of_the_kams_iso_week),
		T(stage_names_follow_spec_for_every_rule),
		T(unknown_zone_falls_back_to_the_plan_then_the_configured_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
