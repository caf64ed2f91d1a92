/* sbuf: a growable string for composing messages.  After an allocation failure the buffer
 * stays failed (every later call is a no-op) and sbuf_finish reports it once. */
#ifndef KAPD_SBUF_H
#define KAPD_SBUF_H

#include <stddef.h>

struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
};

#define SBUF_INIT                                                                                  \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void sbuf_add(struct sbuf *b, const char *s, size_t len);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated string to the caller (free it), or returns -ENOMEM. */
int sbuf_finish(struct sbuf *b, char **out, size_t *len);
void sbuf_free(struct sbuf *b);

/* For fixed buffers (SQL text): appends at *off; a result that did not fit shows as
 * *off >= len afterwards. */
void str_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
