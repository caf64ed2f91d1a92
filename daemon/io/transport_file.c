/* The file transport: one <id>.eml per message, written to a temporary file in the same
 * directory, flushed and renamed, so a reader never sees half a message and a crash
 * leaves either nothing or the whole file.  Writing the same id again replaces the file:
 * a retried delivery does not duplicate it. */
#include "io/transport_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/textcheck.h"

struct file_transport {
	char *directory;
};

static int file_send(void *impl, const char *from, const char *to, const char *id,
    const char *msg, size_t len, char *err, size_t errlen);
static void file_close(void *impl);

static const struct transport_ops file_ops = { file_send, NULL, file_close };

int
transport_file_new(const struct kapd_config *cfg, const struct transport_ops **ops,
    void **impl, char *err, size_t errlen)
{
	struct file_transport *t;

	if (mkdir(cfg->mail.directory, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create mail directory %s: %s", cfg->mail.directory,
		    strerror(errno));
		return -errno;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->directory = strdup(cfg->mail.directory)) == NULL) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*ops = &file_ops;
	*impl = t;
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
file_send(void *impl, const char *from, const char *to, const char *id, const char *msg,
    size_t len, char *err, size_t errlen)
{
	struct file_transport *t = impl;
	char *path = NULL, *tmp = NULL;
	int fd = -1, r;

	(void)from;
	if (!text_is_key(id) || !text_is_email(to)) {
		snprintf(err, errlen, "refusing message id \"%s\" or recipient", id);
		return -EINVAL;
	}
	if (asprintf(&path, "%s/%s.eml", t->directory, id) < 0 ||
	    asprintf(&tmp, "%s/.%s.eml.tmp", t->directory, id) < 0) {
		r = -ENOMEM;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, msg, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
out:
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path ? path : id, strerror(-r));
		if (tmp != NULL)
			unlink(tmp);
		/* The directory, not the message, is at fault: a full disk, a missing
		 * directory, a read-only mount (EROFS) or wrong permissions (EACCES, EPERM)
		 * can all be fixed, and the mail must go out then (issue 10, D4). */
		if (r == -ENOSPC || r == -ENOENT || r == -EDQUOT || r == -EIO || r == -EROFS ||
		    r == -EACCES || r == -EPERM)
			r = -EAGAIN;
	}
	free(path);
	free(tmp);
	return r;
}

static void
file_close(void *impl)
{
	struct file_transport *t = impl;

	free(t->directory);
	free(t);
}
