/* errlist: a growing list of error messages, for checks that report every problem at once
 * (configuration files, import documents). */
#ifndef KAPD_ERRLIST_H
#define KAPD_ERRLIST_H

#include <stddef.h>

struct errlist {
	char **msg; /* owned; read through errlist_msg: after a failed allocation n > cap */
	size_t n;   /* messages added, stored or not */
	size_t cap;
};

#define ERRLIST_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Appends a formatted message; on allocation failure the message is dropped but n still
 * counts it (a check must never pass because memory ran out).  Returns 0 or -ENOMEM. */
int errlist_add(struct errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Message i (i < n), or `dropped` where it was lost for lack of memory. */
const char *errlist_msg(const struct errlist *e, size_t i, const char *dropped);
/* Frees every message and resets the list; accepts NULL. */
void errlist_free(struct errlist *e);

#endif
