/* replyauth: who may change what by reply (SPEC §8), pure.  A reply counts only when its
 * key is known and unexpired and its From is the address the keyed mail went to; a
 * command acts only on an item of that mail, and "reviewed" only for the plan's KAM.
 * Also: finding the key in a reply's addresses and message ids. */
#ifndef KAPD_REPLYAUTH_H
#define KAPD_REPLYAUTH_H

#include <stddef.h>
#include <time.h>

#include "core/replycmd.h"
#include "core/rules.h"

#define REPLY_KEY_LEN 32 /* hex digits: 128 bits */

/* One item the keyed mail held (activity, milestone, or a plan for plan rules). */
struct reply_item {
	enum item_kind kind;
	char key[REPLYCMD_KEY_MAX]; /* the plan key for KIND_PLAN */
	char plan_key[REPLYCMD_KEY_MAX];
	int kam; /* the mail went to this plan's KAM */
};

/* The keyed mail, as the store recorded it. */
struct reply_mail {
	long long delivery_id;
	char recipient_key[REPLYCMD_KEY_MAX];
	char email[256];
	char lang[36]; /* the recipient's language ("" unknown) */
	char tz[64];   /* the recipient's zone ("" unknown) */
	time_t expires;
	struct reply_item *items;
	size_t n_items;
};

enum reply_verdict {
	REPLY_ACCEPTED,
	REPLY_EXPIRED,      /* the key is known but too old */
	REPLY_WRONG_SENDER, /* From is not the keyed mail's recipient */
};

/* Why one command does or does not act. */
enum reply_cmd_outcome {
	REPLY_CMD_OK,
	REPLY_CMD_NOT_IN_MAIL, /* the key names no item of the keyed mail */
	REPLY_CMD_WHICH_ITEM,  /* no key, and the mail held more than one item */
	REPLY_CMD_KAM_ONLY,    /* reviewed by someone who is not the plan's KAM */
};

/* What a command does: verb on mail item `item` (index into reply_mail.items); date is
 * the new deadline (DATE) or the sender's today (DONE, REVIEWED). */
struct reply_action {
	enum replycmd_verb verb;
	size_t item;
	kdate_t date;
};

struct reply_decision {
	enum reply_cmd_outcome outcome[REPLYCMD_MAX]; /* one per command */
	struct reply_action act[REPLYCMD_MAX];        /* one per accepted command */
	size_t n_act;
};

/* What an accepted command did to the plan (filled by the store, read by the answer). */
enum reply_effect_kind {
	REPLY_CHANGED,   /* old_value -> new_value */
	REPLY_UNCHANGED, /* nothing to do: already done, closed, or the same date */
	REPLY_GONE,      /* the item no longer exists */
};

struct reply_effect {
	enum reply_effect_kind kind;
	char old_value[16]; /* a date or a state */
	char new_value[16];
	char state[16]; /* the item's state when unchanged */
};

/* The headers that tell automatic mail (RFC 3834 §2, §3.1.8; RFC 3464 for DSNs), each
 * NULL when absent. */
enum { REPLY_AUTO_HEADERS = 7 };
struct reply_auto_headers {
	const char *auto_submitted; /* anything but "no" is automatic (RFC 3834 §5) */
	const char *precedence;     /* bulk, junk, list, auto_reply */
	const char *return_path;    /* "<>": a bounce */
	const char *content_type;   /* multipart/report: a DSN or MDN */
	const char *list_id;        /* mailing list traffic */
	const char *x_autoreply;    /* X-Autoreply, X-Autorespond: older responders */
	const char *from;           /* MAILER-DAEMON and kin */
};

/* Why a message is automatic mail that must get no answer and make no change, or NULL
 * for a person's mail. */
const char *replyauth_automatic(const struct reply_auto_headers *h);

/* The verdict on the reply as a whole: from is its From address. */
enum reply_verdict replyauth_check(const struct reply_mail *m, const char *from, time_t now);
/* The action of each command; today is the sender's local day. */
void replyauth_decide(const struct reply_mail *m, const struct replycmd_list *l, kdate_t today,
    struct reply_decision *d);
/* The key in an address written from the pattern ("kap+{key}@example.com"): 0 with key
 * (REPLY_KEY_LEN + 1 bytes) filled, or -ENOENT. */
int replyauth_key_from_address(const char *pattern, const char *addr, char *key);
/* The key in a list of message ids ("<kapd-x.KEY@host> <...>", from In-Reply-To or
 * References): the first id of the form kapd-...KEY@.  0 or -ENOENT. */
int replyauth_key_from_ids(const char *ids, char *key);
/* "kapd-<token>.<key>" (the left part of a Message-ID) into buf. */
void replyauth_message_id(
    const char *token, const char *key, const char *domain, char *buf, size_t len);

#endif
