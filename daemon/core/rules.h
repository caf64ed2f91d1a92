/* rules: the controlling rules of SPEC §3 as pure decisions.  Given people, plans, items,
 * the configuration and an instant "now", they say which notification each rule has at its
 * current stage, for whom, and when its next delivery slot is.  No SQLite, no clock, no
 * environment: local time comes through struct rules_tz, which the caller supplies (the
 * system's zone database in the daemon, the same in tests).  Whether a notification was
 * already mailed is the caller's business (the ledger). */
#ifndef KAPD_RULES_H
#define KAPD_RULES_H

#include <stddef.h>
#include <time.h>

#include "conf/config.h"
#include "lib/kdate.h"

/* The rules of SPEC §3.  Everything about a rule is in its row of the rule table
 * (rules.c, struct rule_def): a new rule is a name here, a row there, its texts in the
 * catalogs and a test. */
enum rule {
	RULE_UPCOMING,
	RULE_DUE,
	RULE_OVERDUE,
	RULE_ESCALATION,
	RULE_SPONSOR,
	RULE_REVIEW_UPCOMING,
	RULE_REVIEW_DUE,
	RULE_REVIEW_OVERDUE,
	RULE_REVIEW_ESCALATION,
	RULE_STATUS_REPORT,
	RULE_COUNT
};

/* Whom a rule addresses.  An owner rule of an item without a usable owner goes to the
 * KAM; a KAM rule about the KAM's own item goes to the sponsor. */
enum rule_role { ROLE_OWNER, ROLE_KAM, ROLE_SPONSOR };

/* What a rule watches: an item's deadline, the plan's annual update, the plan's week. */
enum rule_target { TARGET_ITEM, TARGET_REVIEW, TARGET_WEEK };

/* How a rule's stages are named and when they fire (SPEC §3, stage names). */
enum rule_stage {
	STAGE_LEAD,  /* "upcoming-<L>" before the deadline */
	STAGE_DUE,   /* "due" on the deadline */
	STAGE_EVERY, /* "overdue-<j>" every N days after it */
	STAGE_ONCE,  /* once per deadline from a threshold on, named like the rule */
	STAGE_WEEK,  /* "week-<year>-W<ww>" once per ISO week */
};

/* The sections of a digest, most urgent first. */
enum urgency { URGENCY_OVERDUE, URGENCY_TODAY, URGENCY_SOON, URGENCY_REPORT, URGENCY_COUNT };

struct rule_def {
	const char *name; /* in the ledger, X-KAP-Item and --json: never renamed */
	enum rule_target target;
	enum rule_stage stage;
	enum rule_role role;
	enum urgency urgency;
	int order;    /* within its urgency in a digest: smaller first */
	size_t after; /* STAGE_ONCE: offset in struct kapd_config of its days */
	/* msgids: the one-line headline of a mail about one item ("Overdue for %ld days",
	 * with the days the deadline is away or past), and the reason stated in the
	 * entry ("escalated to you as key account manager"), NULL when the role says it. */
	const char *headline, *headline_pl;
	const char *reason;
};

/* The row of rule; NULL outside the table. */
const struct rule_def *rules_def(enum rule rule);
/* The role a recipient of rule holds: the KAM for an owner rule of an unowned item, the
 * sponsor for a KAM rule that went to the sponsor, else the rule's. */
enum rule_role rules_role(enum rule rule, int unowned, int to_sponsor);
/* The rule named name ("review-due"), or -1. */
int rules_by_name(const char *name);

enum item_kind {
	KIND_ACTIVITY,
	KIND_MILESTONE,
	KIND_PLAN,
};

#define RULES_NONE (-1) /* no person */

struct rules_absence {
	kdate_t from, until; /* inclusive, in the absent person's local calendar */
	int substitute;      /* person index, or RULES_NONE */
};

struct rules_person {
	const char *key;
	const char *email; /* NULL: no usable address */
	const char *tz;    /* NULL: the plan's zone, else the configured one */
	int notify;        /* enum notify_mode, or -1 for delivery.mode */
	const struct rules_absence *absences;
	size_t n_absences;
	time_t last_digest; /* when the last digest went to this person; 0: never */
};

struct rules_plan {
	const char *key;
	const char *tz;   /* NULL: the configured zone */
	int kam, sponsor; /* person indexes, or RULES_NONE */
	int has_review;
	kdate_t next_review;
};

struct rules_item {
	enum item_kind kind; /* KIND_ACTIVITY or KIND_MILESTONE */
	const char *key;
	int plan; /* index into the plans */
	kdate_t due;
	int owner;   /* person index, or RULES_NONE */
	int at_risk; /* a milestone with overdue open activities */
};

struct rules_notification {
	enum rule rule;
	enum item_kind kind;
	const char *item; /* item key, or the plan key for plan rules (borrowed) */
	int plan;
	kdate_t due;         /* the deadline; for status-report the week's report day */
	int stage;           /* upcoming: lead days; overdue: j; status-report: week; else 0 */
	int stage_year;      /* status-report: ISO week-numbering year */
	int recipient;       /* the addressee (a substitute when the person is absent) */
	int on_behalf;       /* the absent person the substitute stands in for, or RULES_NONE */
	int owner;           /* the item's owner, or RULES_NONE (plan rules: RULES_NONE) */
	int unowned;         /* an owner rule reported to the KAM: no (usable) owner */
	enum rule_role role; /* the role the recipient (or the one substituted) holds */
	int at_risk;
	int immediate;    /* immediate mode: one email per notification */
	int deliver_now;  /* now is a delivery slot for it */
	time_t slot;      /* the next delivery slot (now when deliver_now) */
	long slot_offset; /* the addressee's UTC offset at the slot, seconds */
};

/* Local time in IANA zones: kdate_local() and kdate_instant() semantics. */
struct rules_tz {
	int (*local)(void *ctx, const char *tz, time_t t, kdate_t *day, int *minute, long *off);
	int (*instant)(void *ctx, const char *tz, kdate_t day, int minute, time_t *t, long *off);
	void *ctx;
};

struct rules_input {
	const struct kapd_config *cfg;
	const struct rules_tz *tz;
	time_t now;
	const struct rules_person *people;
	size_t n_people;
	const struct rules_plan *plans;
	size_t n_plans;
};

typedef int rules_emit_fn(void *ctx, const struct rules_notification *n);

struct rules;

/* Prepares a decision run at in->now; in must outlive the returned object.  NULL on
 * allocation failure. */
struct rules *rules_new(const struct rules_input *in);
void rules_free(struct rules *r);
/* The zone database through kdate. */
extern const struct rules_tz rules_tz_system;

/* Emits the notifications of an open item of an active plan at its current stage: the
 * owner's (upcoming, due, overdue), the KAM's escalation and the sponsor's.  Stops at and
 * returns the first negative value emit returns. */
int rules_item(struct rules *r, const struct rules_item *it, rules_emit_fn *emit, void *ctx);
/* Emits the plan-level notifications of an active plan: the annual update's stages and
 * the KAM's weekly status report. */
int rules_plan(struct rules *r, int plan, rules_emit_fn *emit, void *ctx);

/* "upcoming", "review-escalation"... */
const char *rules_rule_name(enum rule rule);
/* 1 when the rule is one of the escalations (escalation, sponsor, review-escalation). */
int rules_is_escalation(enum rule rule);
/* "activity", "milestone", "plan". */
const char *rules_kind_name(enum item_kind kind);
/* The stage name of SPEC §3: "upcoming-7", "due", "overdue-2", "escalation",
 * "week-2026-W48"...; buf of at least 24 bytes. */
char *rules_stage_name(const struct rules_notification *n, char *buf, size_t len);
/* A zone that did not resolve during this run and the one used instead (used is NULL
 * when none resolved and the notifications were skipped).  person is RULES_NONE when the
 * bad zone was the plan's. */
struct rules_fallback {
	int person;
	int plan;
	const char *zone;
	const char *used;
};
/* The fallbacks of this run so far (at most 64, each person and zone once). */
size_t rules_fallbacks(const struct rules *r, const struct rules_fallback **out);
/* The local day of person p for a notification about plan (their zone, else the plan's,
 * else the configured one); -EINVAL when no zone resolves. */
int rules_today(struct rules *r, int person, int plan, kdate_t *day);

#endif
