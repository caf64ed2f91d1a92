/* mail: composing the emails people receive (RFC 5322, MIME, RFC 2047), pure.  Every
 * string that reaches a header is validated again here (defence in depth: the import
 * rejects control characters already). */
#ifndef KAPD_MAIL_H
#define KAPD_MAIL_H

#include <stddef.h>
#include <time.h>

#include "lib/kdate.h"
#include "core/report.h"
#include "core/rules.h"

struct mail_item {
	enum rule rule;
	enum item_kind kind;
	const char *item_key;
	const char *title;
	const char *plan_key;
	const char *plan_title;
	const char *owner_name;     /* NULL: no owner */
	const char *on_behalf_name; /* the absent person, for a substitute; NULL otherwise */
	kdate_t due;
	const char *stage;          /* "overdue-1"... */
	int unowned;
	int at_risk;
	const struct report *report; /* status-report: its facts (NULL: not available) */
};

struct mail_message {
	const char *from;           /* "Name <addr>" or "addr" */
	const char *to_name;        /* may be NULL */
	const char *to_addr;
	const char *reply_to;       /* the KAM's address, may be NULL */
	const char *message_id;     /* "<token@domain>" */
	const char *references;     /* "<id>" for References:, or NULL (the reply key's) */
	time_t date;
	kdate_t today;              /* the recipient's day, for "overdue 3 days" */
	const char *lang;           /* the recipient's language (BCP 47), NULL: English */
	const struct mail_item *items;
	size_t n_items;
};

/* Builds the whole message with CRLF line ends into *out (free it): multipart/alternative
 * with a plain-text and an HTML part of the same content, in the recipient's language.  -EINVAL with err
 * filled when a header value is unsafe (control characters, a bad address). */
int mail_compose(const struct mail_message *m, char **out, size_t *len, char *err,
    size_t errlen);
/* Splits "Name <addr>" or "addr" into its parts (written into name and addr, which hold
 * at least strlen(from) + 1 bytes); the address must be valid.  0 or -EINVAL. */
int mail_parse_address(const char *from, char *name, char *addr);
/* Appends text as a header value: unchanged when it is short printable ASCII, else as
 * RFC 2047 "B" encoded words of at most 75 characters, never splitting a UTF-8
 * character, folded with CRLF SP.  used is the length of the header line so far.
 * Returns 0, or -EINVAL for text with control characters or invalid UTF-8. */
struct sbuf;
int mail_header_text(struct sbuf *b, const char *text, size_t used);

#endif
