#include "lib/errlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int
errlist_add(struct errlist *e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (e->n > e->cap) {
		/* An earlier message was already dropped: the array has no slot for index
		 * n-1, so later messages are counted, not stored (errlist_msg gives the fallback). */
		if (r >= 0)
			free(s);
		e->n++;
		return -ENOMEM;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		char **m = realloc(e->msg, cap * sizeof(*m));
		if (m == NULL) {
			if (r >= 0)
				free(s);
			e->n++;
			return -ENOMEM;
		}
		e->msg = m;
		e->cap = cap;
	}
	e->msg[e->n++] = r >= 0 ? s : NULL;
	return r >= 0 ? 0 : -ENOMEM;
}

const char *
errlist_msg(const struct errlist *e, size_t i, const char *dropped)
{
	return i < e->n && i < e->cap && e->msg[i] != NULL ? e->msg[i] : dropped;
}

void
errlist_free(struct errlist *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n && i < e->cap; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = e->cap = 0;
}
