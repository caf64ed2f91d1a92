/* replysource_impl: what a reply source implements (maildir in replysource.c, IMAP in
 * replysource_imap.c).  The first argument is the source's own state. */
#ifndef KAPD_REPLYSOURCE_IMPL_H
#define KAPD_REPLYSOURCE_IMPL_H

#include "io/replysource.h"

struct replysource_ops {
	int (*list)(void *s, const char *cursor, size_t max, struct replysource_msg **msgs,
	    size_t *n, char *err, size_t errlen);
	int (*fetch)(void *s, const struct replysource_msg *m, size_t limit, char **data,
	    size_t *len, char *err, size_t errlen);
	int (*done)(void *s, const struct replysource_msg *m, char *err, size_t errlen);
	void (*close)(void *s);
};

extern const struct replysource_ops replysource_imap_ops;
int replysource_imap_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    void **out, char *err, size_t errlen);

#endif
