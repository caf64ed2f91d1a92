/* mail_message: the plain data of one email (its recipient, language and items), which
 * mail composes into RFC 5322 text and digest puts into words.  Types only. */
#ifndef KAPD_MAIL_MESSAGE_H
#define KAPD_MAIL_MESSAGE_H

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
	const char *stage; /* "overdue-1"... */
	int unowned;
	int at_risk;
	enum rule_role role; /* as which the recipient gets it (struct rules_notification) */
	const struct report *report; /* status-report: its facts (NULL: not available) */
};

struct mail_message {
	const char *from;    /* "Name <addr>" or "addr" */
	const char *to_name; /* may be NULL */
	const char *to_addr;
	const char *reply_to;   /* the KAM's address, may be NULL */
	const char *message_id; /* "<token@domain>" */
	int reply_commands;     /* replies are read: the text says how to answer */
	const char *references; /* "<id>" for References:, or NULL (the reply key's) */
	time_t date;
	kdate_t today;    /* the recipient's day, for "overdue 3 days" */
	const char *lang; /* the recipient's language (BCP 47), NULL: English */
	const struct mail_item *items;
	size_t n_items;
};

#endif
