#include "io/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/transport_impl.h"

struct transport {
	const struct transport_ops *ops;
	void *impl;
};

int
transport_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    struct transport **out, char *err, size_t errlen)
{
	struct transport *t = calloc(1, sizeof(*t));
	int r;

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (cfg->mail.transport == MAIL_SMTP)
		r = transport_smtp_new(cfg, hooks, &t->ops, &t->impl, err, errlen);
	else
		r = transport_file_new(cfg, &t->ops, &t->impl, err, errlen);
	if (r < 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int
transport_send(struct transport *t, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen)
{
	return t->ops->send(t->impl, from, to, id, msg, len, err, errlen);
}

size_t
transport_batch(const struct transport *t)
{
	return t->ops->stage != NULL && t->ops->commit != NULL ? TRANSPORT_BATCH_MAX : 1;
}

int
transport_stage(struct transport *t, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen)
{
	if (t->ops->stage == NULL)
		return t->ops->send(t->impl, from, to, id, msg, len, err, errlen);
	return t->ops->stage(t->impl, from, to, id, msg, len, err, errlen);
}

int
transport_commit(struct transport *t, char *err, size_t errlen)
{
	return t->ops->commit != NULL ? t->ops->commit(t->impl, err, errlen) : 0;
}

void
transport_flush(struct transport *t)
{
	if (t != NULL && t->ops->flush != NULL)
		t->ops->flush(t->impl);
}

void
transport_close(struct transport *t)
{
	if (t == NULL)
		return;
	t->ops->close(t->impl);
	free(t);
}
