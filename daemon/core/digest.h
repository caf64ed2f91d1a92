/* digest: the words of a notification email, in the recipient's language, as plain text
 * and as HTML with the same content.  The notifications of one item for the recipient
 * become one entry that states every reason that applies; entries are grouped by plan,
 * then by urgency (the rule table's), and the subject is a short headline with counts.
 * Pure; used by mail.c. */
#ifndef KAPD_DIGEST_H
#define KAPD_DIGEST_H

#include "core/mail_message.h"
#include "lib/sbuf.h"

/* Subjects stay within this many characters (RFC 5322 §2.1.1's 78, before encoding). */
#define DIGEST_SUBJECT_MAX 78

/* The subject line (UTF-8, one line, at most DIGEST_SUBJECT_MAX characters). */
void digest_subject(const struct mail_message *m, struct sbuf *out);
/* The plain-text and HTML bodies. */
void digest_bodies(const struct mail_message *m, struct sbuf *text, struct sbuf *html);

#endif
