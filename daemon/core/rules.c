/* The controlling rules of SPEC §3.  Everything here is arithmetic on day numbers; local
 * time is asked of the injected struct rules_tz once per zone and cached for the run, so
 * a check over a million items costs a handful of zone lookups. */
#include "core/rules.h"

#include "lib/i18n.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONES_MAX 64

/* A zone's clock at now and its delivery slots, computed once per run. */
struct zone {
	const char *name;
	int ok;
	kdate_t today;
	int minute;
	long offset;
	int send_today;    /* today is a send day */
	time_t today_slot; /* today at send_time */
	long today_slot_off;
	time_t next_slot; /* the next send day after today, at send_time */
	long next_slot_off;
	time_t day_start; /* the first instant of today */
};

#define FALLBACKS_MAX 64

struct rules {
	const struct rules_input *in;
	const struct kapd_config *cfg;
	struct zone zones[ZONES_MAX];
	int nzones;
	struct rules_fallback fallbacks[FALLBACKS_MAX]; /* zones that did not resolve */
	size_t nfallbacks;
	/* One bit per person: has an address.  Asked for the owner, KAM and sponsor of every
	 * item; a bit stays in cache where the address text would be a miss (profiled). */
	unsigned char *addressable;
	/* Per person: 1 + the slot in zones of the zone their own time zone resolved to, 0
	 * when not known yet.  Asked several times for every item (profiled). */
	unsigned char *person_zone;
};

#define AFTER(field) offsetof(struct kapd_config, field)

/* The rule table: one row per rule, keyed by its enum value.  NP_ fills headline and
 * headline_pl, which follow each other in struct rule_def.  The decisions below, the
 * stage names, the ledger's names, the digest's sections and order, and the texts of
 * mails all derive from it. */
static const struct rule_def rule_table[RULE_COUNT] = {
	[RULE_UPCOMING] = { .name = "upcoming",
	    .target = TARGET_ITEM,
	    .stage = STAGE_LEAD,
	    .role = ROLE_OWNER,
	    .urgency = URGENCY_SOON,
	    .headline = NP_("Due in %ld day", "Due in %ld days") },
	[RULE_DUE] = { .name = "due",
	    .target = TARGET_ITEM,
	    .stage = STAGE_DUE,
	    .role = ROLE_OWNER,
	    .urgency = URGENCY_TODAY,
	    .headline = N_("Due today") },
	[RULE_OVERDUE] = { .name = "overdue",
	    .target = TARGET_ITEM,
	    .stage = STAGE_EVERY,
	    .role = ROLE_OWNER,
	    .urgency = URGENCY_OVERDUE,
	    .order = 2,
	    .headline = NP_("Overdue for %ld day", "Overdue for %ld days") },
	[RULE_ESCALATION] = { .name = "escalation",
	    .target = TARGET_ITEM,
	    .stage = STAGE_ONCE,
	    .role = ROLE_KAM,
	    .urgency = URGENCY_OVERDUE,
	    .order = 1,
	    .after = AFTER(reminders.escalate_after_days),
	    .headline = NP_("Escalation, overdue for %ld day", "Escalation, overdue for %ld days"),
	    .reason = N_("escalated to you as key account manager") },
	[RULE_SPONSOR] = { .name = "sponsor",
	    .target = TARGET_ITEM,
	    .stage = STAGE_ONCE,
	    .role = ROLE_SPONSOR,
	    .urgency = URGENCY_OVERDUE,
	    .after = AFTER(reminders.sponsor_after_days),
	    .headline = NP_("Escalation, overdue for %ld day", "Escalation, overdue for %ld days"),
	    .reason = N_("escalated to you as sponsor") },
	[RULE_REVIEW_UPCOMING] = { .name = "review-upcoming",
	    .target = TARGET_REVIEW,
	    .stage = STAGE_LEAD,
	    .role = ROLE_KAM,
	    .urgency = URGENCY_SOON,
	    .headline = NP_("Annual update due in %ld day", "Annual update due in %ld days") },
	[RULE_REVIEW_DUE] = { .name = "review-due",
	    .target = TARGET_REVIEW,
	    .stage = STAGE_DUE,
	    .role = ROLE_KAM,
	    .urgency = URGENCY_TODAY,
	    .headline = N_("Annual update due today") },
	[RULE_REVIEW_OVERDUE] = { .name = "review-overdue",
	    .target = TARGET_REVIEW,
	    .stage = STAGE_EVERY,
	    .role = ROLE_KAM,
	    .urgency = URGENCY_OVERDUE,
	    .order = 2,
	    .headline =
	        NP_("Annual update overdue for %ld day", "Annual update overdue for %ld days") },
	[RULE_REVIEW_ESCALATION] = { .name = "review-escalation",
	    .target = TARGET_REVIEW,
	    .stage = STAGE_ONCE,
	    .role = ROLE_SPONSOR,
	    .urgency = URGENCY_OVERDUE,
	    .after = AFTER(annual_update.escalate_after_days),
	    .headline = NP_("Escalation, annual update overdue for %ld day",
	        "Escalation, annual update overdue for %ld days"),
	    .reason = N_("escalated to you as sponsor") },
	[RULE_STATUS_REPORT] = { .name = "status-report",
	    .target = TARGET_WEEK,
	    .stage = STAGE_WEEK,
	    .role = ROLE_KAM,
	    .urgency = URGENCY_REPORT,
	    .headline = N_("Status report") },
};

const struct rule_def *
rules_def(enum rule rule)
{
	return (unsigned)rule < RULE_COUNT ? &rule_table[rule] : NULL;
}

enum rule_role
rules_role(enum rule rule, int unowned, int to_sponsor)
{
	const struct rule_def *d = rules_def(rule);

	if (d == NULL)
		return ROLE_OWNER;
	if (d->role == ROLE_OWNER && unowned)
		return ROLE_KAM;
	if (d->role == ROLE_KAM && to_sponsor)
		return ROLE_SPONSOR;
	return d->role;
}

int
rules_by_name(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < RULE_COUNT; i++)
		if (strcmp(rule_table[i].name, name) == 0)
			return i;
	return -1;
}

const char *
rules_rule_name(enum rule rule)
{
	return rule < RULE_COUNT ? rule_table[rule].name : "?";
}

/* The once-only rules to the KAM or the sponsor are the escalations (escalations-only). */
int
rules_is_escalation(enum rule rule)
{
	const struct rule_def *d = rules_def(rule);

	return d != NULL && d->stage == STAGE_ONCE && d->role != ROLE_OWNER;
}

const char *
rules_kind_name(enum item_kind kind)
{
	return kind == KIND_ACTIVITY ? "activity" : kind == KIND_MILESTONE ? "milestone" : "plan";
}

char *
rules_stage_name(const struct rules_notification *n, char *buf, size_t len)
{
	const struct rule_def *d = rules_def(n->rule);

	if (d == NULL)
		snprintf(buf, len, "?");
	else if (d->stage == STAGE_LEAD)
		snprintf(buf, len, "upcoming-%d", n->stage);
	else if (d->stage == STAGE_DUE)
		snprintf(buf, len, "due");
	else if (d->stage == STAGE_EVERY)
		snprintf(buf, len, "overdue-%d", n->stage);
	else if (d->stage == STAGE_WEEK)
		snprintf(buf, len, "week-%04d-W%02d", n->stage_year, n->stage);
	else
		snprintf(buf, len, "%s", d->name);
	return buf;
}

/* The rule of target whose stages are of kind stage (the staged rules: one each). */
static int
staged_rule(enum rule_target target, enum rule_stage stage, enum rule *out)
{
	int i;

	for (i = 0; i < RULE_COUNT; i++) {
		if (rule_table[i].target == target && rule_table[i].stage == stage) {
			*out = (enum rule)i;
			return 1;
		}
	}
	return 0;
}

static int
sys_local(void *ctx, const char *tz, time_t t, kdate_t *day, int *minute, long *off)
{
	(void)ctx;
	return kdate_local(t, tz, day, minute, off);
}

static int
sys_instant(void *ctx, const char *tz, kdate_t day, int minute, time_t *t, long *off)
{
	(void)ctx;
	return kdate_instant(tz, day, minute, t, off);
}

const struct rules_tz rules_tz_system = { sys_local, sys_instant, NULL };

static int
is_holiday(const struct kapd_config *cfg, kdate_t day)
{
	size_t lo = 0, hi = cfg->delivery.n_holidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cfg->delivery.holidays[mid] == day)
			return 1;
		if (cfg->delivery.holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
is_send_day(const struct kapd_config *cfg, kdate_t day)
{
	return (cfg->delivery.send_days & (1u << kdate_weekday(day))) && !is_holiday(cfg, day);
}

/* 1 when the local clock at t shows day and at least minute. */
static int
reached(const struct rules_tz *tz, const char *name, time_t t, kdate_t day, int minute, long *off)
{
	kdate_t d;
	int m;

	return tz->local(tz->ctx, name, t, &d, &m, off) == 0 && d == day && m >= minute;
}

/* The first instant of day at which the local clock reads minute or later: what a check
 * sees as the slot.  Usually the mktime() answer; next to a daylight-saving change (a
 * send_time in the skipped or repeated hour) the first such minute may come earlier, so
 * the three hours before it are scanned. */
static int
first_instant(
    const struct rules_tz *tz, const char *name, kdate_t day, int minute, time_t *out, long *off)
{
	long before, after, o;
	time_t t, s;
	kdate_t d;
	int m;

	if (tz->instant(tz->ctx, name, day, minute, &t, &after) < 0)
		return -EINVAL;
	*out = t;
	*off = after;
	if (tz->local(tz->ctx, name, t - 3 * 3600, &d, &m, &before) < 0 || before == after)
		return 0;
	for (s = t - 3 * 3600; s < t; s += 60) {
		if (reached(tz, name, s, day, minute, &o)) {
			*out = s;
			*off = o;
			return 0;
		}
	}
	return 0;
}

static int
zone_init(struct rules *r, struct zone *z, const char *name)
{
	const struct rules_tz *tz = r->in->tz;
	int send_time = r->cfg->delivery.send_time, i;
	kdate_t next;
	long off;

	z->name = name;
	if (tz->local(tz->ctx, name, r->in->now, &z->today, &z->minute, &z->offset) < 0)
		return -EINVAL;
	z->send_today = is_send_day(r->cfg, z->today);
	if (first_instant(tz, name, z->today, send_time, &z->today_slot, &z->today_slot_off) < 0 ||
	    first_instant(tz, name, z->today, 0, &z->day_start, &off) < 0)
		return -EINVAL;
	/* Send days recur weekly unless a long run of holidays intervenes. */
	for (next = z->today + 1, i = 0; i < 800 && !is_send_day(r->cfg, next); i++)
		next++;
	if (first_instant(tz, name, next, send_time, &z->next_slot, &z->next_slot_off) < 0)
		return -EINVAL;
	z->ok = 1;
	return 0;
}

/* The cached zone of that name (computed on first use); NULL when it does not resolve. */
static const struct zone *
zone_named(struct rules *r, const char *name)
{
	struct zone *z;
	int i;

	/* The same name is mostly the same pointer (world shares zone names): look for it
	 * before comparing texts. */
	for (i = 0; i < r->nzones; i++)
		if (r->zones[i].name == name)
			return r->zones[i].ok ? &r->zones[i] : NULL;
	for (i = 0; i < r->nzones; i++)
		if (strcmp(r->zones[i].name, name) == 0)
			return r->zones[i].ok ? &r->zones[i] : NULL;
	if (r->nzones == ZONES_MAX) {
		/* More distinct zones than slots: reuse the last slot (costs a recomputation). */
		r->nzones--;
	}
	z = &r->zones[r->nzones++];
	memset(z, 0, sizeof(*z));
	zone_init(r, z, name);
	return z->ok ? z : NULL;
}

/* Remembers, once per person (or plan) and zone, that a zone did not resolve and which
 * one was used instead, for the caller to report. */
static void
note_fallback(struct rules *r, int person, int plan, const char *bad, const char *used)
{
	struct rules_fallback *f;
	size_t i;

	for (i = 0; i < r->nfallbacks; i++) {
		f = &r->fallbacks[i];
		if (f->person == person && (person != RULES_NONE || f->plan == plan) &&
		    strcmp(f->zone, bad) == 0)
			return;
	}
	if (r->nfallbacks == FALLBACKS_MAX)
		return;
	r->fallbacks[r->nfallbacks++] = (struct rules_fallback){ person, plan, bad, used };
}

/* The zone of a person for a plan: theirs, else the plan's, else the configured one.  A
 * zone that does not resolve (missing from tzdata, e.g. after an update) falls back to
 * the next one, never silently dropping the person's notifications (issue 10, D5). */
static const struct zone *
zone_for(struct rules *r, int person, int plan)
{
	const char *names[3] = { NULL, NULL, r->cfg->timezone };
	const struct zone *z;
	int i, bad = -1, k;

	if (person != RULES_NONE) {
		names[0] = r->in->people[person].tz;
		/* The slot still holds that zone unless it was reused (more zones than slots). */
		k = r->person_zone[person] - 1;
		if (k >= 0 && names[0] != NULL && r->zones[k].name == names[0])
			return &r->zones[k];
	}
	if (plan >= 0)
		names[1] = r->in->plans[plan].tz;
	for (i = 0; i < 3; i++) {
		if (names[i] == NULL)
			continue;
		z = zone_named(r, names[i]);
		if (z == NULL) {
			if (bad < 0)
				bad = i;
			continue;
		}
		break;
	}
	if (i == 0)
		r->person_zone[person] = (unsigned char)(z - r->zones + 1);
	if (bad >= 0)
		note_fallback(
		    r, bad == 0 ? person : RULES_NONE, plan, names[bad], i < 3 ? z->name : NULL);
	return i < 3 ? z : NULL;
}

size_t
rules_fallbacks(const struct rules *r, const struct rules_fallback **out)
{
	*out = r->fallbacks;
	return r->nfallbacks;
}

struct rules *
rules_new(const struct rules_input *in)
{
	struct rules *r = calloc(1, sizeof(*r));
	const char *e;
	size_t i;

	if (r == NULL)
		return NULL;
	r->in = in;
	r->cfg = in->cfg;
	r->addressable = calloc(in->n_people / 8 + 1, 1);
	r->person_zone = calloc(in->n_people + 1, 1);
	if (r->addressable == NULL || r->person_zone == NULL) {
		rules_free(r);
		return NULL;
	}
	for (i = 0; i < in->n_people; i++) {
		e = in->people[i].email;
		if (e != NULL && *e != '\0')
			r->addressable[i / 8] |= (unsigned char)(1u << (i % 8));
	}
	return r;
}

void
rules_free(struct rules *r)
{
	if (r != NULL) {
		free(r->addressable);
		free(r->person_zone);
	}
	free(r);
}

int
rules_today(struct rules *r, int person, int plan, kdate_t *day)
{
	const struct zone *z = zone_for(r, person, plan);

	if (z == NULL)
		return -EINVAL;
	*day = z->today;
	return 0;
}

static int
usable(const struct rules *r, int person)
{
	if (person == RULES_NONE || person < 0 || (size_t)person >= r->in->n_people)
		return 0;
	return (r->addressable[person / 8] >> (person % 8)) & 1;
}

static int
mode_of(const struct rules *r, int person)
{
	int m = r->in->people[person].notify;

	return m >= 0 ? m : (int)r->cfg->delivery.mode;
}

static int
mode_allows(int mode, enum rule rule)
{
	if (mode == NOTIFY_NONE)
		return 0;
	return mode != NOTIFY_ESCALATIONS_ONLY || rules_is_escalation(rule);
}

/* 1 when a digest already went to person today in zone z: at or after the first instant
 * of the zone's day (computed once per zone, not per person). */
static int
digest_sent_today(struct rules *r, int person, const struct zone *z)
{
	time_t last = r->in->people[person].last_digest;

	return last != 0 && last >= z->day_start && last <= r->in->now;
}

/* The next delivery slot (SPEC §3, delivery slots): digests at the first check at or after
 * send_time on a send day, at most one a day; immediate mails at every check between
 * send_time and window_end on a send day. */
static void
set_slot(struct rules *r, struct rules_notification *n, int mode, const struct zone *z)
{
	int send_time = r->cfg->delivery.send_time, window_end = r->cfg->delivery.window_end;
	int sent = mode != NOTIFY_IMMEDIATE && digest_sent_today(r, n->recipient, z);
	int open_now = z->send_today && z->minute >= send_time && !sent &&
	    (mode != NOTIFY_IMMEDIATE || z->minute < window_end);

	n->immediate = mode == NOTIFY_IMMEDIATE;
	n->deliver_now = open_now;
	if (open_now) {
		n->slot = r->in->now;
		n->slot_offset = z->offset;
	} else if (z->send_today && z->minute < send_time && !sent) {
		n->slot = z->today_slot;
		n->slot_offset = z->today_slot_off;
	} else {
		n->slot = z->next_slot;
		n->slot_offset = z->next_slot_off;
	}
}

/* The substitute standing in for person on their local day, or RULES_NONE. */
static int
substitute_for(const struct rules *r, int person, kdate_t today)
{
	const struct rules_person *p = &r->in->people[person];
	size_t i;

	for (i = 0; i < p->n_absences; i++)
		if (p->absences[i].from <= today && today <= p->absences[i].until &&
		    usable(r, p->absences[i].substitute) && p->absences[i].substitute != person)
			return p->absences[i].substitute;
	return RULES_NONE;
}

/* Sends n, meant for person (whose local day is today), to them or to their substitute,
 * if both their preferences let it through. */
static int
route(struct rules *r, struct rules_notification *n, int person, kdate_t today, rules_emit_fn *emit,
    void *ctx)
{
	int sub = substitute_for(r, person, today), to = sub != RULES_NONE ? sub : person;
	const struct zone *z;

	if (!mode_allows(mode_of(r, person), n->rule) || !mode_allows(mode_of(r, to), n->rule))
		return 0;
	z = zone_for(r, to, n->plan);
	if (z == NULL)
		return 0;
	n->recipient = to;
	n->on_behalf = sub != RULES_NONE ? person : RULES_NONE;
	set_slot(r, n, mode_of(r, to), z);
	return emit(ctx, n);
}

/* The staged rules' stage for a deadline: upcoming-L for the smallest lead L >= days
 * left, due, overdue-j; their rule is the target's row with that kind of stage. */
static int
deadline_stage(const int *lead, int n_lead, int every, kdate_t today, kdate_t due,
    enum rule_target target, enum rule *rule, int *stage)
{
	long k = (long)today - (long)due;
	int i;

	if (k == 0) {
		*stage = 0;
		return staged_rule(target, STAGE_DUE, rule);
	}
	if (k > 0) {
		*stage = (int)((k - 1) / every);
		return staged_rule(target, STAGE_EVERY, rule);
	}
	for (i = n_lead - 1; i >= 0; i--) {
		if (lead[i] >= -k) {
			*stage = lead[i];
			return staged_rule(target, STAGE_LEAD, rule);
		}
	}
	return 0;
}

static void
init_notification(
    struct rules_notification *n, enum item_kind kind, const char *item, int plan, kdate_t due)
{
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->item = item;
	n->plan = plan;
	n->due = due;
	n->recipient = n->on_behalf = n->owner = RULES_NONE;
}

/* The person a rule's role names for an item (owner RULES_NONE for plan rules), and the
 * role they are addressed in: an owner rule without a usable owner goes to the KAM, a
 * KAM rule about the KAM's own item to the sponsor. */
static int
recipient_of(const struct rules *r, const struct rules_plan *p, enum rule_role role, int owner,
    enum rule_role *as, int *unowned)
{
	*unowned = 0;
	*as = role;
	if (role == ROLE_OWNER) {
		if (usable(r, owner))
			return owner;
		*unowned = 1;
		*as = ROLE_KAM;
		return p->kam;
	}
	if (role == ROLE_KAM && owner != RULES_NONE && owner == p->kam) {
		*as = ROLE_SPONSOR;
		return p->sponsor;
	}
	return role == ROLE_KAM ? p->kam : p->sponsor;
}

/* The once-only rules of target (escalations): each fires once per deadline, from its
 * threshold of days overdue on, in table order. */
static int
once_rules(struct rules *r, const struct rules_notification *base, enum rule_target target,
    rules_emit_fn *emit, void *ctx)
{
	const struct rules_plan *p = &r->in->plans[base->plan];
	struct rules_notification n;
	kdate_t today;
	int i, to, ret;

	for (i = 0; i < RULE_COUNT; i++) {
		const struct rule_def *d = &rule_table[i];
		int after;

		if (d->target != target || d->stage != STAGE_ONCE)
			continue;
		n = *base;
		n.rule = (enum rule)i;
		to = recipient_of(r, p, d->role, base->owner, &n.role, &n.unowned);
		memcpy(&after, (const char *)r->cfg + d->after, sizeof(after));
		if (!usable(r, to) || rules_today(r, to, n.plan, &today) < 0 ||
		    (long)today - (long)n.due < after)
			continue;
		if ((ret = route(r, &n, to, today, emit, ctx)) < 0)
			return ret;
	}
	return 0;
}

/* The configuration of a target's stages (reminders or annual_update). */
struct stages {
	const int *lead;
	int n_lead, every;
};

/* The staged rule of target (owner reminders, annual update) at its current stage. */
static int
staged(struct rules *r, struct rules_notification *n, enum rule_target target,
    const struct stages *rem, rules_emit_fn *emit, void *ctx)
{
	const struct rules_plan *p = &r->in->plans[n->plan];
	enum rule rule;
	kdate_t today;
	int to, stage;

	if (!staged_rule(target, STAGE_DUE, &rule))
		return 0;
	to = recipient_of(r, p, rule_table[rule].role, n->owner, &n->role, &n->unowned);
	if (!usable(r, to) || rules_today(r, to, n->plan, &today) < 0 ||
	    !deadline_stage(
	        rem->lead, rem->n_lead, rem->every, today, n->due, target, &rule, &stage))
		return 0;
	n->rule = rule;
	n->stage = stage;
	return route(r, n, to, today, emit, ctx);
}

int
rules_item(struct rules *r, const struct rules_item *it, rules_emit_fn *emit, void *ctx)
{
	const struct stages st = { r->cfg->reminders.lead_days, r->cfg->reminders.n_lead,
		r->cfg->reminders.overdue_every_days };
	struct rules_notification n, base;
	int ret;

	init_notification(&base, it->kind, it->key, it->plan, it->due);
	base.at_risk = it->at_risk;
	base.owner = it->owner;
	n = base;
	if ((ret = staged(r, &n, TARGET_ITEM, &st, emit, ctx)) < 0)
		return ret;
	return once_rules(r, &base, TARGET_ITEM, emit, ctx);
}

/* The status report's stage: the KAM's ISO week, from its report day on. */
static int
status_report(struct rules *r, int plan, rules_emit_fn *emit, void *ctx)
{
	const struct rules_plan *p = &r->in->plans[plan];
	struct rules_notification n;
	kdate_t today, report;
	int year, week;
	enum rule rule;

	if (!staged_rule(TARGET_WEEK, STAGE_WEEK, &rule) || !usable(r, p->kam) ||
	    rules_today(r, p->kam, plan, &today) < 0)
		return 0;
	report = today - (kdate_weekday(today) - 1) + (r->cfg->status_report.weekday - 1);
	if (today < report)
		return 0;
	kdate_iso_week(today, &year, &week);
	init_notification(&n, KIND_PLAN, p->key, plan, report);
	n.rule = rule;
	n.role = rule_table[rule].role;
	n.stage = week;
	n.stage_year = year;
	return route(r, &n, p->kam, today, emit, ctx);
}

int
rules_plan(struct rules *r, int plan, rules_emit_fn *emit, void *ctx)
{
	const struct rules_plan *p = &r->in->plans[plan];
	const struct stages st = { r->cfg->annual_update.lead_days, r->cfg->annual_update.n_lead,
		r->cfg->annual_update.overdue_every_days };
	struct rules_notification n, base;
	int ret;

	if (p->has_review) {
		init_notification(&base, KIND_PLAN, p->key, plan, p->next_review);
		n = base;
		if ((ret = staged(r, &n, TARGET_REVIEW, &st, emit, ctx)) < 0)
			return ret;
		if ((ret = once_rules(r, &base, TARGET_REVIEW, emit, ctx)) < 0)
			return ret;
	}
	return status_report(r, plan, emit, ctx);
}
