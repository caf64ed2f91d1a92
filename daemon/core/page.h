/* page: the plan page (SPEC §9), one self-contained HTML5 document per plan for the
 * extended team: the plan in the guide's order, in the plan's language, with an inline SVG
 * timeline and a small revenue chart; no script, no external resource, every text escaped.
 * Pure: plain structs in, bytes out (store/page_facts.c gathers the structs). */
#ifndef KAPD_PAGE_H
#define KAPD_PAGE_H

#include <stddef.h>

#include "lib/kdate.h"
#include "lib/sbuf.h"

#define PAGE_NO_DATE INT32_MIN /* a kdate_t that is not set */

enum page_state { PAGE_OPEN = 0, PAGE_DONE, PAGE_CANCELLED };

/* What the timeline and the lists show for an item on a day. */
enum page_look { LOOK_OPEN = 0, LOOK_SOON, LOOK_OVERDUE, LOOK_DONE, LOOK_CANCELLED, LOOK_AT_RISK };

struct page_contact {
	const char *name, *function, *email, *phone;
	const char *role;     /* decision role: "decision-maker"... or NULL */
	const char *attitude; /* "supportive", "neutral", "critical", "unknown" or NULL */
	const char *notes;    /* confidential */
};

struct page_competitor {
	const char *name, *position, *strengths, *weaknesses;
};

struct page_history {
	const char *period, *currency;
	double revenue, margin;
	int has_revenue, has_margin; /* a missing figure is shown as "–", never 0 */
};

struct page_goal {
	const char *horizon; /* "mid", "long" */
	const char *focus;   /* "product"... or NULL */
	const char *focus_value, *text, *target;
	kdate_t due; /* PAGE_NO_DATE when none */
};

struct page_swot {
	const char *kind; /* "strength", "weakness", "opportunity", "threat" */
	const char *text;
};

struct page_member {
	const char *name, *role, *function; /* role "kam", "sponsor", "member" */
};

struct page_project {
	const char *key, *title, *state;
	kdate_t start, end; /* PAGE_NO_DATE when none */
};

struct page_complaint {
	kdate_t date;
	const char *subject, *state; /* state "open", "in-progress", "closed" */
};

/* A milestone or an activity. */
struct page_item {
	const char *key, *title;
	const char *owner;    /* the owner's name, NULL without owner */
	kdate_t due, done_on; /* done_on PAGE_NO_DATE unless done */
	enum page_state state;
	int milestone; /* activities: index into page_plan.milestones, or -1 */
};

/* A deadline that moved (item_change). */
struct page_move {
	const char *kind, *key, *title; /* kind "milestone", "activity", "plan" */
	kdate_t from, to;               /* PAGE_NO_DATE when unset */
	kdate_t on;                     /* the day of the change (UTC) */
};

/* What changed since the last annual update (a version of the plan, SPEC §10). */
enum page_change_kind {
	CHANGE_ADDED = 0,
	CHANGE_REMOVED,
	CHANGE_CHANGED,
	CHANGE_DONE,
	CHANGE_CANCELLED,
	CHANGE_REOPENED,
	CHANGE_MOVED,
	CHANGE_OWNER
};

struct page_change {
	enum page_change_kind kind;
	const char *section;               /* msgid of what it is: "Milestone", "Goal", "Need"... */
	const char *title;                 /* the entry's title, text or name */
	kdate_t from, to;                  /* CHANGE_MOVED: the deadline then and now */
	const char *from_owner, *to_owner; /* CHANGE_OWNER: names (NULL: nobody) */
	int times;                         /* CHANGE_MOVED, CHANGE_OWNER: how often */
};

/* When a section of the plan last changed. */
struct page_section {
	const char *name; /* msgid of the section's heading, e.g. "Goals" */
	kdate_t changed;  /* PAGE_NO_DATE: nothing recorded */
};

struct page_plan {
	const char *lang; /* BCP 47 tag of the plan (NULL: English) */
	const char *key, *title, *state;
	const char *kam, *sponsor;        /* names or NULL */
	kdate_t last_review, next_review; /* PAGE_NO_DATE when unset */
	struct {
		const char *name, *industry, *address, *phone, *email, *website;
		const char *rating, *potential, *networks;
		const char *positioning, *strategic_direction, *processes;
		double market_volume;
		const char *market_currency; /* NULL: no market volume */
	} account;
	const struct page_contact *contacts;
	size_t n_contacts;
	const char *const *needs;
	size_t n_needs;
	const struct page_competitor *competitors;
	size_t n_competitors;
	const struct page_history *history;
	size_t n_history;
	const struct page_goal *goals;
	size_t n_goals;
	const struct page_swot *swot;
	size_t n_swot;
	const struct page_member *team;
	size_t n_team;
	const struct page_project *projects;
	size_t n_projects;
	const struct page_complaint *complaints;
	size_t n_complaints;
	const struct page_item *milestones;
	size_t n_milestones;
	const struct page_item *activities;
	size_t n_activities;
	const struct page_move *moves;
	size_t n_moves;
	/* With a version: the changes since (shown instead of the moved deadlines). */
	kdate_t since; /* the last annual update's version; PAGE_NO_DATE: none */
	const struct page_change *changes;
	size_t n_changes;
	const struct page_section *sections;
	size_t n_sections;
};

struct page_options {
	kdate_t today;        /* the plan's local date */
	int soon_days;        /* open items due within this many days are "due soon" */
	int stale_after_days; /* a section unchanged longer is stale */
	int confidential;     /* 0: no revenues, margins, complaints, contact notes */
};

/* Appends the whole page to out (check out->failed for memory). */
void page_compose(const struct page_plan *p, const struct page_options *o, struct sbuf *out);

/* Internals shared with page_svg.c and the unit tests. */
/* How an item looks on day today (milestones: at_risk when an open activity of theirs is
 * overdue and the milestone itself is open and not overdue). */
enum page_look page_item_look(
    const struct page_item *it, int at_risk, const struct page_options *o);
/* Appends s with &, <, >, " and ' escaped; controls other than tab and newline dropped. */
void page_escape(struct sbuf *out, const char *s);
/* Appends an amount grouped by the language's convention (lib/numfmt): "1,234,567",
 * "1.234.567", cents only when it has some. */
void page_amount(struct sbuf *out, const char *lang, double v);
/* The timeline (inline SVG) and its legend. */
void page_timeline(struct sbuf *out, const struct page_plan *p, const struct page_options *o);
/* The bar chart of revenue and margin by period (inline SVG). */
void page_history_chart(struct sbuf *out, const struct page_plan *p);
/* The translated word for a look ("overdue", "due soon"...). */
const char *page_look_word(const char *lang, enum page_look l);

#endif
