/* plandiff: what changed in a plan since a version (SPEC §10, the annual update).  Pure:
 * compares two kapd-plan/1 documents of the plan and reads the deadline and owner
 * history kept in between; every fact is reported once. */
#ifndef KAPD_PLANDIFF_H
#define KAPD_PLANDIFF_H

#include <jansson.h>
#include <stddef.h>

/* One row of the item history (item_change) after the version, oldest first. */
struct hist_change {
	const char *kind;  /* "milestone" or "activity" */
	const char *key;   /* the item's key (NULL when the item is gone) */
	const char *field; /* "due", "owner", "state" */
	const char *old_value, *new_value;
};

/* Builds the difference of plan plan_key between then (the version's document) and now
 * (the current export) as a new JSON object:
 *   {"items": {"added": [...], "removed": [...], "done": [...], "cancelled": [...],
 *              "reopened": [...], "moved": [...], "owners": [...]},
 *    "goals"|"team"|"contacts"|"needs"|"competitors"|"swot": {"added": [...],
 *              "removed": [...], "changed": [...]},
 *    "counts": {"added": n, "done": n, "cancelled": n, "moved": n, "owners": n}}
 * Items are {"kind", "key", "title"} plus, for moved, "from", "to", "times" (moves in the
 * history, at least 1) and "days" (to - from); for owners "from", "to", "times".  An
 * item added since is only "added".  -ENOENT when the plan is in neither document. */
int plandiff(json_t *then, json_t *now, const char *plan_key, const struct hist_change *h,
    size_t nh, json_t **out);

/* The moved items of a diff, most moves first (then most days), at most max of them:
 * a new reference to an array. */
json_t *plandiff_most_moved(json_t *diff, size_t max);

/* The history folded per item and field ("due" and "owner" only): a new reference to
 * an array of {"kind", "key", "field", "from" (the first old value), "to" (the last new
 * value), "times"}, in the order the items first changed. */
json_t *plandiff_history(const struct hist_change *h, size_t nh);

#endif
