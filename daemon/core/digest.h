/* digest: the words of a notification email, in the recipient's language, as plain text
 * and as HTML with the same content: grouped by plan, then by urgency (overdue and
 * escalations, due today, coming up, reports).  Pure; used by mail.c. */
#ifndef KAPD_DIGEST_H
#define KAPD_DIGEST_H

#include "core/mail_message.h"
#include "lib/sbuf.h"

/* The subject line (UTF-8, one line). */
void digest_subject(const struct mail_message *m, struct sbuf *out);
/* The bodies; sorted holds the items in the order they are shown. */
void digest_bodies(const struct mail_message *m, const struct mail_item *const *sorted,
    struct sbuf *text, struct sbuf *html);
/* 0 overdue and escalations, 1 due today, 2 coming up, 3 reports. */
int digest_urgency(enum rule rule);

#endif
