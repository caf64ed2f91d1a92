/* report_text: the KAM's weekly status report (SPEC §3) as a document inside the email:
 * one heading, sections in the order a KAM acts on them, each a table in HTML and an
 * evenly indented list in plain text.  Pure; used by digest.c. */
#ifndef KAPD_REPORT_TEXT_H
#define KAPD_REPORT_TEXT_H

#include "core/mail_message.h"
#include "core/textout.h"

/* "week 49, 2026", "KW 49/2026" from a status report's stage "week-2026-W49". */
void report_week_label(const char *lang, const char *stage, struct sbuf *out);
/* "Deadline 13.11.2026 → 10.12.2026, +27 days, moved 2 times", "Owner A → B" (free it). */
char *report_change_text(const char *lang, const struct report_change *c);
/* Writes the status report of it (it->report; a short note when it is NULL). */
void report_text(struct out *o, const struct mail_item *it, kdate_t today);

#endif
