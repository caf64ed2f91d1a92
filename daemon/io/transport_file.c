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
	char **staged; /* ids written to their temporary files, not yet renamed */
	size_t n_staged;
};

static int file_send(void *impl, const char *from, const char *to, const char *id, const char *msg,
    size_t len, char *err, size_t errlen);
static int file_stage(void *impl, const char *from, const char *to, const char *id, const char *msg,
    size_t len, char *err, size_t errlen);
static int file_commit(void *impl, char *err, size_t errlen);
static void file_close(void *impl);

static const struct transport_ops file_ops = { file_send, NULL, file_close, file_stage,
	file_commit };

int
transport_file_new(const struct kapd_config *cfg, const struct transport_ops **ops, void **impl,
    char *err, size_t errlen)
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

/* The directory, not the message, is at fault: a full disk, a missing directory, a
 * read-only mount (EROFS) or wrong permissions (EACCES, EPERM) can all be fixed, and the
 * mail must go out then (issue 10, D4). */
static int
temporary(int r)
{
	if (r == -ENOSPC || r == -ENOENT || r == -EDQUOT || r == -EIO || r == -EROFS ||
	    r == -EACCES || r == -EPERM)
		return -EAGAIN;
	return r;
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

/* Writes the message into .ID.eml.tmp; with stage_only unsynced and left there for
 * file_commit, else synced and renamed to ID.eml at once. */
static int
write_message(struct file_transport *t, const char *to, const char *id, const char *msg, size_t len,
    int stage_only, char *err, size_t errlen)
{
	char *path = NULL, *tmp = NULL;
	int fd = -1, r;

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
	if (r == 0 && !stage_only && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && !stage_only && rename(tmp, path) < 0)
		r = -errno;
out:
	if (r < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path ? path : id, strerror(-r));
		if (tmp != NULL)
			unlink(tmp);
		r = temporary(r);
	}
	free(path);
	free(tmp);
	return r;
}

static int
file_send(void *impl, const char *from, const char *to, const char *id, const char *msg, size_t len,
    char *err, size_t errlen)
{
	(void)from;
	return write_message(impl, to, id, msg, len, 0, err, errlen);
}

static int
file_stage(void *impl, const char *from, const char *to, const char *id, const char *msg,
    size_t len, char *err, size_t errlen)
{
	struct file_transport *t = impl;
	char **v, *copy;
	int r;

	(void)from;
	v = realloc(t->staged, (t->n_staged + 1) * sizeof(*v));
	if (v == NULL || (copy = strdup(id)) == NULL) {
		if (v != NULL)
			t->staged = v;
		snprintf(err, errlen, "out of memory");
		return -EAGAIN;
	}
	t->staged = v;
	r = write_message(t, to, id, msg, len, 1, err, errlen);
	if (r < 0) {
		free(copy);
		return r;
	}
	t->staged[t->n_staged++] = copy;
	return 0;
}

/* syncfs also flushes what other programs wrote: worth it for many files only. */
#define SYNCFS_AT 64

/* Makes the staged files durable; -1 with errno set on failure. */
static int
sync_staged(const struct file_transport *t, int dfd)
{
	char name[128];
	size_t i;
	int fd, r = 0;

	if (t->n_staged >= SYNCFS_AT)
		return syncfs(dfd);
	for (i = 0; i < t->n_staged && r == 0; i++) {
		snprintf(name, sizeof(name), ".%s.eml.tmp", t->staged[i]);
		fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		r = fd < 0 || fsync(fd) < 0 ? -1 : 0;
		if (fd >= 0) {
			int e = errno;

			close(fd);
			errno = e;
		}
	}
	return r;
}

/* The staged files synced (one syncfs for many), then the renames and one directory
 * sync: each .eml appears whole or not at all after a crash, as with a sync per file. */
static int
file_commit(void *impl, char *err, size_t errlen)
{
	struct file_transport *t = impl;
	char *path = NULL, *tmp = NULL;
	size_t i;
	int dfd, r = 0;

	dfd = open(t->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || sync_staged(t, dfd) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot sync %s: %s", t->directory, strerror(errno));
	}
	for (i = 0; i < t->n_staged; i++) {
		if (asprintf(&path, "%s/%s.eml", t->directory, t->staged[i]) < 0)
			path = NULL;
		if (asprintf(&tmp, "%s/.%s.eml.tmp", t->directory, t->staged[i]) < 0)
			tmp = NULL;
		if (r == 0 && (path == NULL || tmp == NULL || rename(tmp, path) < 0)) {
			r = path == NULL || tmp == NULL ? -ENOMEM : -errno;
			snprintf(err, errlen, "cannot write %s: %s", path ? path : t->staged[i],
			    strerror(-r));
		}
		if (r < 0 && tmp != NULL)
			unlink(tmp);
		free(path);
		free(tmp);
		free(t->staged[i]);
	}
	t->n_staged = 0;
	if (r == 0 && fsync(dfd) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot sync %s: %s", t->directory, strerror(errno));
	}
	if (dfd >= 0)
		close(dfd);
	/* Whatever failed, a message not known to be in place is sent again (replacing). */
	return r < 0 ? -EAGAIN : 0;
}

static void
file_close(void *impl)
{
	struct file_transport *t = impl;
	size_t i;

	for (i = 0; i < t->n_staged; i++)
		free(t->staged[i]);
	free(t->staged);
	free(t->directory);
	free(t);
}
