/* mail: composing the emails people receive (RFC 5322, MIME, RFC 2047), pure.  Every
 * string that reaches a header is validated again here (defence in depth: the import
 * rejects control characters already). */
#ifndef KAPD_MAIL_H
#define KAPD_MAIL_H

#include <stddef.h>
#include <time.h>

#include "core/mail_message.h"

/* Builds the whole message with CRLF line ends into *out (free it): multipart/alternative
 * with a plain-text and an HTML part of the same content, in the recipient's language.  -EINVAL with err
 * filled when a header value is unsafe (control characters, a bad address). */
int mail_compose(const struct mail_message *m, char **out, size_t *len, char *err, size_t errlen);
/* Splits "Name <addr>" or "addr" into its parts (written into name and addr, which hold
 * at least strlen(from) + 1 bytes); the address must be valid.  0 or -EINVAL. */
int mail_parse_address(const char *from, char *name, char *addr);
/* Appends text as a header value: unchanged when it is short printable ASCII, else as
 * RFC 2047 "B" encoded words of at most 75 characters, never splitting a UTF-8
 * character, folded with CRLF SP.  used is the length of the header line so far.
 * Returns 0, or -EINVAL for text with control characters or invalid UTF-8. */
struct sbuf;
int mail_header_text(struct sbuf *b, const char *text, size_t used);
/* Appends text as base64 lines of 76 characters (RFC 2045 §6.8), each ended by CRLF. */
void mail_base64_lines(struct sbuf *b, const char *text, size_t len);
/* Appends "Date: ...\r\n" for t (RFC 5322 §3.3, UTC). */
void mail_date_header(struct sbuf *b, time_t t);

#endif
