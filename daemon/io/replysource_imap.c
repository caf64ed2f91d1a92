/* replysource_imap: replies from an IMAP mailbox through libcurl. */
#include "io/replysource_impl.h"

#include <errno.h>
#include <stdio.h>

int
replysource_imap_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    void **out, char *err, size_t errlen)
{
	(void)cfg;
	(void)hooks;
	(void)out;
	snprintf(err, errlen, "the IMAP source is not implemented yet; use a maildir");
	return -ENOSYS;
}

const struct replysource_ops replysource_imap_ops = { NULL, NULL, NULL, NULL };
