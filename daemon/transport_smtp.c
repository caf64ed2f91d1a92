/* The SMTP transport (libcurl): not part of this version yet. */
#include "transport_impl.h"

#include <errno.h>
#include <stdio.h>

int
transport_smtp_new(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    const struct transport_ops **ops, void **impl, char *err, size_t errlen)
{
	(void)cfg;
	(void)hooks;
	(void)ops;
	(void)impl;
	snprintf(err, errlen, "the SMTP transport is not part of this version; "
	    "use mail.transport = \"file\"");
	return -ENOTSUP;
}
