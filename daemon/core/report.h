/* report: the facts of a plan's weekly status report for its KAM (SPEC §3): what was done
 * since the last report, what is overdue (by owner), what is due in the next four weeks,
 * the milestones with their progress and at-risk flag, the next annual update, plan
 * sections that are empty or stale, and notifications that failed permanently.  Plain
 * data: store/report_facts.c gathers it from the database, core/mail.c composes the text. */
#ifndef KAPD_REPORT_H
#define KAPD_REPORT_H

#include <stddef.h>

#include "lib/kdate.h"

struct report_item {
	const char *kind; /* "activity", "milestone" */
	const char *key;
	const char *title;
	const char *owner; /* name, NULL without owner */
	kdate_t due;
	kdate_t done_on; /* done items */
	int done, total; /* milestones: linked activities done / not cancelled */
	int at_risk;     /* milestones: an open linked activity is overdue */
};

struct report_section {
	const char *name; /* "goals", "history", "swot"... (see report.c) */
	int empty;        /* nothing recorded */
	kdate_t changed;  /* stale: the last change, days before the report */
};

struct report_failure {
	const char *recipient; /* address */
	const char *rule, *stage, *item;
	const char *error;
	kdate_t day;
};

/* A moved deadline or a changed owner, folded per item: first value -> last, how often
 * (SPEC §2: the status report shows the history). */
struct report_change {
	const char *kind, *key, *title;
	const char *field;     /* "due" or "owner" */
	const char *from, *to; /* dates, or owner names (NULL: nobody) */
	int times;
	long days; /* due: to - from */
};

/* What changed since the last annual update, i.e. since the plan's latest version
 * (SPEC §10): counts and the five most-moved items. */
struct report_update {
	int has;     /* the plan has a version */
	kdate_t day; /* the day it was reviewed */
	int added, done, cancelled, moved, owners;
	struct report_change *most_moved;
	size_t n_most_moved;
};

/* A change made by a reply to a mail (SPEC §8), with its old and new value. */
struct report_reply_change {
	const char *sender; /* the address the reply came from */
	const char *kind;   /* "activity", "milestone", "plan" */
	const char *item;   /* item key (the plan key for the annual update) */
	const char *field;  /* "state", "due", "next_review" */
	const char *old_value, *new_value;
	kdate_t day; /* UTC day of the change */
};

struct report {
	kdate_t since; /* the previous report's day (or a week ago) */
	kdate_t today;
	struct report_item *done, *overdue, *upcoming, *milestones;
	size_t n_done, n_overdue, n_upcoming, n_milestones;
	int has_review;
	kdate_t next_review;
	struct report_section *sections; /* the empty or stale ones only */
	size_t n_sections;
	struct report_failure *failed;
	size_t n_failed;
	struct report_reply_change *by_reply; /* since the previous report */
	size_t n_by_reply;
	void *mem;                     /* owns the strings */
	struct report_change *changes; /* moves and owner changes since `since` */
	size_t n_changes;
	struct report_update update;
	void *changes_mem; /* owns changes and update (store/report_changes.c) */
};

void report_free(struct report *r);

#endif
