/* textout: writing one document as plain text and as HTML side by side, so the two parts
 * of an email cannot drift apart.  Plain text uses CRLF (RFC 5322 §2.3), indents by
 * nesting and never writes two blank lines in a row; HTML is escaped and styled inline
 * (mail clients drop <style> blocks and external resources).  Pure. */
#ifndef KAPD_TEXTOUT_H
#define KAPD_TEXTOUT_H

#include "lib/sbuf.h"

struct out {
	struct sbuf *t, *h;
	const char *lang;
	int blank; /* the text part ends with a blank line (or is empty) */
};

/* The inline styles of the HTML part, one place for the look. */
#define TO_FONT                                                                                    \
	"font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;"                  \
	"color:#222"
#define TO_MUTED "color:#666"
#define TO_CELL                                                                                    \
	"padding:4px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top;"                      \
	"text-align:left"
#define TO_TABLE "border-collapse:collapse;width:100%;margin:4px 0 12px 0"

/* A text line at indent spaces (a "\n" in it continues at the same indent). */
void to_line(struct out *o, int indent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One blank line in the text part, unless it already ends with one. */
void to_blank(struct out *o);
/* Raw HTML (markup written by the caller), and text escaped for HTML. */
void to_html(struct out *o, const char *markup);
void to_esc(struct out *o, const char *text);
/* Both parts: a text line at indent, and <open>escaped text</close> in HTML (open is
 * the whole opening markup, close the closing one). */
void to_both(struct out *o, int indent, const char *open, const char *close, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A formatted string (free it), or NULL without memory. */
char *to_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
