/* textcheck: validators for strings that end up in headers, files and feeds.  Used at
 * import and again by the encoders (defence in depth).  Pure. */
#ifndef KAPD_TEXTCHECK_H
#define KAPD_TEXTCHECK_H

#include <stddef.h>

#define TEXT_KEY_MAX 64

/* Object key: 1..64 of [A-Za-z0-9._-]. */
int text_is_key(const char *s);
/* Valid UTF-8 without C0/C1 controls, DEL, U+2028 or U+2029 (nothing that can start a new
 * header line or hide text). */
int text_is_line(const char *s);
/* Like text_is_line but tab, CR and LF are allowed. */
int text_is_text(const char *s);
/* Number of UTF-8 characters (the string must be valid UTF-8). */
size_t text_utf8_len(const char *s);
/* A plain addr-spec local@domain in ASCII (RFC 5321 §4.1.2 dot-string and a domain of
 * LDH labels with at least one dot), at most 254 octets.  No display name, no quoting. */
int text_is_email(const char *s);
/* A BCP 47 language tag in its common shape: 2-3 letters, then -subtags of 1-8 alnum. */
int text_is_lang(const char *s);
/* An ISO 4217 currency code: three capital letters. */
int text_is_currency(const char *s);

#endif
