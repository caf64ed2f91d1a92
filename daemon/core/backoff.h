/* backoff: when to try a temporarily failed email again (RFC 5321 §4.5.4.1: retry after a
 * delay, give up only after days, every parameter configurable).  Pure: takes times and
 * the policy, returns the decision. */
#ifndef KAPD_BACKOFF_H
#define KAPD_BACKOFF_H

#include <time.h>

struct backoff_policy {
	int first;         /* seconds before the first retry */
	int max;           /* the longest wait between two attempts (the cap) */
	int give_up_after; /* seconds after armed_at; an attempt failing after that is final */
};

/* After a temporary failure at now of an email first tried (or re-armed) at armed_at,
 * failed attempts counting this one: returns 1 and sets *next to the next attempt (the
 * delay doubles from first up to max, and the last attempt falls at the limit itself, so
 * the email is tried until give_up_after has truly passed), or 0 when the attempt that
 * just failed came at or after the limit (give up). */
int backoff_next(
    const struct backoff_policy *p, time_t armed_at, time_t now, int failed, time_t *next);

#endif
