/* transport: hands finished messages to the mail system.  The file transport writes each
 * message as a .eml file into mail.directory (development, the demo, tests); the SMTP
 * transport (libcurl) talks to a server.  Library-like: returns errors, never logs. */
#ifndef KAPD_TRANSPORT_H
#define KAPD_TRANSPORT_H

#include <stddef.h>

#include "conf/config.h"

struct transport;

/* Called at least once a second while a transport waits on the network, so the daemon
 * can keep its systemd watchdog fed during a slow exchange.  May be NULL. */
struct transport_hooks {
	void (*tick)(void *ctx);
	void *ctx;
};

/* Prepares the configured transport (the file transport creates its directory; SMTP
 * reads the password).  *out is a new transport to close with transport_close.  Negative
 * errno with err filled. */
int transport_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    struct transport **out, char *err, size_t errlen);
/* Sends one message (CRLF line ends) from the envelope sender to one recipient.  id is a
 * token unique to the message (its file name in the file transport).  0 on success,
 * -EAGAIN for a temporary failure worth retrying, another negative errno for a permanent
 * one; err says what the server or the system answered.  Connections may be kept open
 * between calls (SMTP reuses one connection for all mails of a check). */
int transport_send(struct transport *t, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen);
/* Messages that may be staged before one transport_commit: 1 where every message is
 * handed over on its own (SMTP: the server has it once it answers), more where messages
 * are files named by their id, so that sending one again replaces it (file). */
size_t transport_batch(const struct transport *t);
/* Sends like transport_send, but the message may not be durable (nor visible) before
 * transport_commit returns 0; with a batch of 1 it is transport_send. */
int transport_stage(struct transport *t, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen);
/* Makes every staged message durable and visible: the file transport syncs the file
 * system once (syncfs), then renames each file into place and syncs the directory.  On
 * failure (-EAGAIN: worth a retry) no staged message counts as sent. */
int transport_commit(struct transport *t, char *err, size_t errlen);
/* Ends a batch: closes connections kept open; the transport stays usable. */
void transport_flush(struct transport *t);
/* Closes and frees; accepts NULL. */
void transport_close(struct transport *t);

#endif
