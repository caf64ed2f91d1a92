#include "core/backoff.h"

/* first * 2^(failed-1), capped at max without overflowing. */
static time_t
delay(const struct backoff_policy *p, int failed)
{
	time_t d = p->first > 0 ? p->first : 1;
	int i;

	for (i = 1; i < failed && d < p->max; i++)
		d *= 2;
	return p->max > 0 && d > p->max ? p->max : d;
}

int
backoff_next(const struct backoff_policy *p, time_t armed_at, time_t now, int failed, time_t *next)
{
	time_t limit = armed_at + p->give_up_after, t;

	if (now >= limit)
		return 0;
	t = now + delay(p, failed < 1 ? 1 : failed);
	*next = t < limit ? t : limit;
	return 1;
}
