/* transport: hands finished messages to the mail system.  The file transport writes each
 * message as a .eml file into mail.directory (development, the demo, tests); the SMTP
 * transport (libcurl) talks to a server.  Library-like: returns errors, never logs. */
#ifndef KAPD_TRANSPORT_H
#define KAPD_TRANSPORT_H

#include <stddef.h>

#include "config.h"

struct transport;

/* Prepares the configured transport (creating the file transport's directory).  *out is
 * a new transport to close with transport_close.  Negative errno with err filled. */
int transport_open(const struct kapd_config *cfg, struct transport **out, char *err,
    size_t errlen);
/* Sends one message (CRLF line ends) from the envelope sender to one recipient.  id is a
 * token unique to the message (its file name in the file transport).  0 on success,
 * -EAGAIN for a temporary failure worth retrying, another negative errno for a permanent
 * one; err says what the server or the system answered. */
int transport_send(struct transport *t, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen);
void transport_close(struct transport *t);

#endif
