/* replyanswer: the answer to a reply (SPEC §8), pure: what changed, what was not
 * understood, and the command list, in the sender's language; a text/plain mail with
 * Auto-Submitted: auto-replied (RFC 3834 §5) and In-Reply-To/References to the reply. */
#ifndef KAPD_REPLYANSWER_H
#define KAPD_REPLYANSWER_H

#include <stddef.h>
#include <time.h>

#include "core/replyauth.h"
#include "core/replycmd.h"

struct replyanswer {
	const char *from;        /* kapd's sender, "Name <addr>" or "addr" */
	const char *to;          /* the reply's sender (an address) */
	const char *lang;        /* the sender's language; NULL: English */
	const char *subject;     /* the reply's subject, may be NULL */
	const char *in_reply_to; /* the reply's Message-ID without <>, may be NULL */
	const char *message_id;  /* the answer's own, "<...>" */
	time_t date;
	const struct reply_mail *mail;
	const struct replycmd_list *cmds;
	const struct reply_decision *dec;
	const struct reply_effect *eff; /* one per dec->act */
};

/* The whole message with CRLF line ends into *out (free it).  -EINVAL with err filled
 * when the recipient or sender is not a usable address; -ENOMEM. */
int replyanswer_compose(
    const struct replyanswer *a, char **out, size_t *len, char *err, size_t errlen);
/* The body alone (for tests and kapctl): *out to free. */
int replyanswer_text(const struct replyanswer *a, char **out, size_t *len);

#endif
