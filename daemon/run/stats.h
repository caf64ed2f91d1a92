/* stats: what one check counted, shared by the check and its outbox. */
#ifndef KAPD_STATS_H
#define KAPD_STATS_H

#include <stddef.h>

struct check_stats {
	size_t plans, items; /* active plans, open items in the decision window */
	size_t pending;      /* notifications pending now */
	size_t due_now;      /* of those, at their delivery slot now */
	size_t mails;        /* emails the transport accepted */
	size_t notified;     /* notifications in them */
	size_t deferred;     /* temporary failures, to be retried */
	size_t failed;       /* permanent failures */
	size_t retried;      /* earlier deliveries sent again */
};

#endif
