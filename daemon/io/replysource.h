/* replysource: where replies arrive (SPEC §8): an IMAP mailbox through libcurl or a local
 * maildir.  A check lists what waits (oldest first, at most replies.max_messages), reads
 * each message and, once it was handled, marks it done: moved to replies.processed
 * (IMAP) or from new/ to cur/ with the S flag (maildir).  Library-like: never logs. */
#ifndef KAPD_REPLYSOURCE_H
#define KAPD_REPLYSOURCE_H

#include <stddef.h>

#include "conf/config.h"
#include "io/transport.h"

struct replysource;

struct replysource_msg {
	char id[256];    /* maildir: the file name in new/; IMAP: "UIDVALIDITY.UID" */
	size_t size;     /* bytes, as the source says */
	char cursor[48]; /* IMAP: "UIDVALIDITY:UID", where the next run starts once this
			   * message was handled; "" for a maildir */
};

/* Opens the configured source (IMAP: connects and logs in, reads the password).  A dead
 * server costs one replies.timeout.  *out to close with replysource_close. */
int replysource_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    struct replysource **out, char *err, size_t errlen);
/* What waits, oldest first: *msgs (free it) with *n entries, at most max.  cursor is
 * where the last run stopped (a message's cursor, or "" for the start): IMAP lists the
 * UIDs after it, or everything when the mailbox's UIDVALIDITY changed (RFC 3501
 * §2.3.1.1); a maildir lists what is in new/. */
int replysource_list(struct replysource *s, const char *cursor, size_t max,
    struct replysource_msg **msgs, size_t *n, char *err, size_t errlen);
/* The message's bytes into *data (free it): at most limit bytes are read; a larger
 * message gives -EFBIG (and nothing to free). */
int replysource_fetch(struct replysource *s, const struct replysource_msg *m, size_t limit,
    char **data, size_t *len, char *err, size_t errlen);
/* Marks a handled message so that it is not listed again. */
int replysource_done(
    struct replysource *s, const struct replysource_msg *m, char *err, size_t errlen);
/* Closes (IMAP: logs out) and frees; accepts NULL. */
void replysource_close(struct replysource *s);

#endif
