/* config: reading the SMTP and IMAP passwords (systemd credential or a private file). */
#include "conf/config.h"
#include "lib/errlist.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX 4096 /* bytes of a password file */

/* Opens a secret file and checks what it is; the checks use the opened descriptor, so the
 * file cannot be swapped between check and read.  O_NONBLOCK: a FIFO must not hang us. */
static int
open_secret(const char *path, const char *what, int check_mode, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), r = 0;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s %s: cannot open: %s", what, path, strerror(-r));
	} else if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s %s is not a regular file", what, path);
	} else if (check_mode && (st.st_mode & 077)) {
		r = -EPERM;
		snprintf(err, errlen,
		    "%s %s is readable by group or others (mode %04o); "
		    "chmod 600 it",
		    what, path, (unsigned)(st.st_mode & 07777));
	} else if (st.st_size > SECRET_MAX) {
		r = -EFBIG;
		snprintf(err, errlen, "%s %s is larger than %d bytes", what, path, SECRET_MAX);
	}
	if (r < 0 && fd >= 0)
		close(fd);
	return r < 0 ? r : fd;
}

/* Reads a secret: one line, whose newline (LF or CRLF) is dropped.  A line break inside
 * could smuggle a command into an SMTP exchange, so there must be none. */
static int
read_secret(
    const char *path, const char *what, int check_mode, char **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n = 1;
	int fd = open_secret(path, what, check_mode, err, errlen), r = 0;

	if (fd < 0)
		return fd;
	if ((buf = malloc(SECRET_MAX + 1)) == NULL)
		r = -ENOMEM;
	while (r == 0 && n > 0 && len <= SECRET_MAX) {
		n = read(fd, buf + len, SECRET_MAX + 1 - len);
		if (n < 0 && errno != EINTR)
			r = -errno;
		len += n > 0 ? (size_t)n : 0;
		n = n < 0 && errno == EINTR ? 1 : n;
	}
	close(fd);
	if (r == 0 && len > 0 && buf[len - 1] == '\n')
		len -= len > 1 && buf[len - 2] == '\r' ? 2 : 1;
	if (r == 0 &&
	    (len > SECRET_MAX || len == 0 || memchr(buf, '\0', len) != NULL ||
	        memchr(buf, '\n', len) != NULL || memchr(buf, '\r', len) != NULL))
		r = -EINVAL;
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path,
		    r == -EINVAL ? "must hold one non-empty line of at most 4096 bytes"
		                 : strerror(-r));
		if (buf != NULL)
			explicit_bzero(buf, SECRET_MAX + 1);
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* A secret from the systemd credential named cred, else from file (mode checked). */
static int
read_credential_or_file(const char *cred, const char *file, char **out, char *err, size_t errlen)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[PATH_MAX];
	int r;

	/* systemd credentials (LoadCredential=) live in a directory only this service can
	 * read, so their mode is not checked; they are preferred over the file.  An empty
	 * credential counts as none: the shipped unit always loads one (systemd refuses to
	 * start without the file), and a mail server without AUTH needs no password. */
	if (dir != NULL && *dir != '\0') {
		struct stat st;

		if (snprintf(path, sizeof(path), "%s/%s", dir, cred) >= (int)sizeof(path)) {
			snprintf(err, errlen, "CREDENTIALS_DIRECTORY is too long");
			return -ENAMETOOLONG;
		}
		r = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0
		    ? -ENOENT
		    : read_secret(path, "credential", 0, out, err, errlen);
		if (r != -ENOENT)
			return r;
	}
	if (file == NULL) {
		if (errlen > 0)
			err[0] = '\0';
		*out = NULL;
		return 0;
	}
	return read_secret(file, "password file", 1, out, err, errlen);
}

int
config_read_password(const struct kapd_config *c, char **out, char *err, size_t errlen)
{
	return read_credential_or_file("smtp-password", c->mail.password_file, out, err, errlen);
}

int
config_read_imap_password(const struct kapd_config *c, char **out, char *err, size_t errlen)
{
	return read_credential_or_file("imap-password", c->replies.password_file, out, err, errlen);
}

/* Reads each secret the configuration needs, as the daemon will, and forgets it: so that
 * kapd --check-config refuses what kapd --once would refuse (issue 10, D7).  Every
 * problem goes to errs; returns the first error or 0. */
int
config_check_secrets(const struct kapd_config *c, struct errlist *errs)
{
	char *secret = NULL, err[512];
	int r, first = 0;

	if (c->mail.transport == MAIL_SMTP) {
		r = config_read_password(c, &secret, err, sizeof(err));
		if (r < 0) {
			errlist_add(errs, "mail: %s", err);
			first = r;
		}
		config_secret_free(secret);
		secret = NULL;
	}
	if (c->replies.source == REPLY_IMAP) {
		r = config_read_imap_password(c, &secret, err, sizeof(err));
		if (r < 0) {
			errlist_add(errs, "replies: %s", err);
			first = first < 0 ? first : r;
		}
		config_secret_free(secret);
	}
	return first;
}

void
config_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
