/* rollover: next year's plan from this year's (SPEC §10).  Pure, on the kapd-plan/1
 * document of the old plan. */
#ifndef KAPD_ROLLOVER_H
#define KAPD_ROLLOVER_H

#include <jansson.h>

#include "lib/errlist.h"
#include "lib/kdate.h"

struct rollover_counts {
	size_t team, goals, milestones, activities;
};

/* Adds plan new_key to the account of old_key in doc: the old plan's language, time zone
 * and team, its goals and its open milestones and activities under new keys (the old
 * plan key in front of a key becomes the new one, else the new key is put in front),
 * links between copied items kept; reviewed on today, next review a year later.  The old
 * plan becomes archived.  title NULL keeps the old title.  0, or -EINVAL with errs. */
int rollover_build(json_t *doc, const char *old_key, const char *new_key, const char *title,
    kdate_t today, struct rollover_counts *counts, struct errlist *errs);

#endif
