#include "core/textout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
to_esc(struct out *o, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': sbuf_puts(o->h, "&amp;"); break;
		case '<': sbuf_puts(o->h, "&lt;"); break;
		case '>': sbuf_puts(o->h, "&gt;"); break;
		case '"': sbuf_puts(o->h, "&quot;"); break;
		case '\'': sbuf_puts(o->h, "&#39;"); break;
		case '\n': sbuf_puts(o->h, "<br>"); break;
		case '\r': break;
		default: sbuf_add(o->h, s, 1); break;
		}
	}
}

void
to_html(struct out *o, const char *markup)
{
	sbuf_puts(o->h, markup);
}

static void
text(struct out *o, int indent, const char *s)
{
	int i;

	for (i = 0; i < indent; i++)
		sbuf_puts(o->t, " ");
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			sbuf_puts(o->t, "\r\n");
			for (i = 0; i < indent; i++)
				sbuf_puts(o->t, " ");
		} else if (*s != '\r') {
			sbuf_add(o->t, s, 1);
		}
	}
	sbuf_puts(o->t, "\r\n");
	o->blank = 0;
}

void
to_blank(struct out *o)
{
	if (!o->blank)
		sbuf_puts(o->t, "\r\n");
	o->blank = 1;
}

static char *vfmt(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *
vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *
to_fmt(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vfmt(fmt, ap);
	va_end(ap);
	return s;
}

static void vline(struct out *o, int indent, const char *open, const char *close, const char *fmt,
    va_list ap) __attribute__((format(printf, 5, 0)));

/* The text line; with open non-NULL, the same words escaped between open and close in the
 * HTML too. */
static void
vline(struct out *o, int indent, const char *open, const char *close, const char *fmt, va_list ap)
{
	char *s = vfmt(fmt, ap);

	if (s == NULL) {
		o->t->failed = 1;
		return;
	}
	text(o, indent, s);
	if (open != NULL) {
		sbuf_puts(o->h, open);
		to_esc(o, s);
		sbuf_puts(o->h, close);
	}
	free(s);
}

void
to_line(struct out *o, int indent, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(o, indent, NULL, NULL, fmt, ap);
	va_end(ap);
}

void
to_both(struct out *o, int indent, const char *open, const char *close, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(o, indent, open, close, fmt, ap);
	va_end(ap);
}
