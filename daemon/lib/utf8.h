/* utf8: the one UTF-8 decoder (RFC 3629) that the text checks, display widths and the
 * iCalendar text share. */
#ifndef KAPD_UTF8_H
#define KAPD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at s, reading at most n bytes (a NUL ends a sequence early, so
 * n may exceed what is left of a NUL-terminated string).  Its length in bytes with *cp
 * set, or 0 when it is not well-formed: overlong forms, surrogates, code points above
 * U+10FFFF, a truncated sequence. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
