/* transport_impl: what each transport implements (internal to transport*.c). */
#ifndef KAPD_TRANSPORT_IMPL_H
#define KAPD_TRANSPORT_IMPL_H

#include "io/transport.h"

/* Messages staged per commit at most: bounds the memory of a batch and the ledger
 * transaction that records it. */
#define TRANSPORT_BATCH_MAX 512

struct transport_ops {
	int (*send)(void *impl, const char *from, const char *to, const char *id, const char *msg,
	    size_t len, char *err, size_t errlen);
	void (*flush)(void *impl);
	void (*close)(void *impl);
	/* Optional, for transports storing messages under their id: send without making
	 * durable, then make every staged message durable at once. */
	int (*stage)(void *impl, const char *from, const char *to, const char *id, const char *msg,
	    size_t len, char *err, size_t errlen);
	int (*commit)(void *impl, char *err, size_t errlen);
};

/* Each returns 0 and sets *ops and *impl, or a negative errno with err filled. */
int transport_file_new(const struct kapd_config *cfg, const struct transport_ops **ops, void **impl,
    char *err, size_t errlen);
int transport_smtp_new(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    const struct transport_ops **ops, void **impl, char *err, size_t errlen);

#endif
