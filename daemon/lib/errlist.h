/* errlist: a growing list of error messages, for checks that report every problem at once
 * (configuration files, import documents). */
#ifndef KAPD_ERRLIST_H
#define KAPD_ERRLIST_H

#include <stddef.h>

struct errlist {
	char **msg; /* owned; msg[0..n-1] */
	size_t n;
	size_t cap;
};

#define ERRLIST_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Appends a formatted message; on allocation failure the message is dropped but n still
 * counts it (a check must never pass because memory ran out).  Returns 0 or -ENOMEM. */
int errlist_add(struct errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees every message and resets the list; accepts NULL. */
void errlist_free(struct errlist *e);

#endif
