/* width: how many terminal columns text takes, and fitting text into a column.
 * wcwidth semantics (combining marks and format characters take none, East Asian wide
 * and fullwidth characters and emoji take two) from a range table compiled in
 * (width_table.h), so the result does not depend on the process locale, the installed
 * locales or the C library's Unicode version.  Pure. */
#ifndef KAPD_WIDTH_H
#define KAPD_WIDTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

enum width_align { WIDTH_LEFT = 0, WIDTH_RIGHT };

/* Columns of one code point: 0, 1 or 2 (controls count 0: they are never shown). */
int width_char(uint32_t cp);
/* Columns of the first len bytes of a UTF-8 string; an invalid byte counts one column
 * (a terminal shows a replacement character for it). */
size_t width_strn(const char *s, size_t len);
/* Columns of a NUL-terminated UTF-8 string; NULL takes none. */
size_t width_str(const char *s);
/* Bytes of s that fit into cols columns, ending at a character boundary and keeping
 * the zero-width characters that follow the last one that fits. */
size_t width_prefix(const char *s, size_t cols);
/* Appends s fitted into exactly cols columns: a longer text is cut at a character
 * boundary and ends in "…"; a shorter one is padded with spaces (after it for
 * WIDTH_LEFT, before it for WIDTH_RIGHT).  NULL counts as "". */
void width_fit(struct sbuf *out, const char *s, size_t cols, enum width_align align);
/* Appends n spaces. */
void width_spaces(struct sbuf *out, size_t n);

#endif
