/* mailparse: an incoming mail read with GMime (SPEC §8: a library made for MIME, not a
 * parser of our own).  The body is the first text/plain part that is no attachment, else
 * the first text/html part as text; charsets and transfer encodings are decoded to UTF-8.
 * Library-like: returns errors, never logs. */
#ifndef KAPD_MAILPARSE_H
#define KAPD_MAILPARSE_H

#include <stddef.h>

#include "core/replyauth.h"

#define MAILPARSE_MAX_RCPTS 16

struct inmail {
	char *message_id;  /* without <>; NULL when the mail has none */
	char from[256];    /* the From addr-spec, "" when none */
	char *subject;     /* decoded, UTF-8; NULL when none */
	char *in_reply_to; /* raw header values, NULL when absent */
	char *references;
	char *rcpts[MAILPARSE_MAX_RCPTS]; /* addresses of To, Cc, Delivered-To, X-Original-To */
	size_t n_rcpts;
	struct reply_auto_headers autoh; /* points into the strings below */
	char *hdr[REPLY_AUTO_HEADERS];
	char *text; /* the body as UTF-8 text; "" when none was found */
	size_t text_len;
};

/* Loads GMime (opened on demand, io/gmime_lazy.c) and sets it up: 0, or -ENOSYS with err
 * saying it cannot be loaded.  mailparse does it too; a reader of many mails asks first,
 * so that a missing library fails the run instead of setting each mail aside. */
int mailparse_ready(char *err, size_t errlen);
/* Parses raw[0..len).  0, or -EINVAL (not a mail GMime can read) / -ENOMEM / -ENOSYS
 * (GMime cannot be loaded) with err filled.  Free with mailparse_free (also after a
 * failure). */
int mailparse(const char *raw, size_t len, struct inmail *m, char *err, size_t errlen);
void mailparse_free(struct inmail *m);
/* Releases GMime's global state (at the end of a batch; mailparse sets it up again). */
void mailparse_shutdown(void);

#endif
