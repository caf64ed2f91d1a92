/* replysource: the maildir source, and the dispatch to the IMAP one (replysource_imap.c).
 *
 * A maildir (qmail's maildir(5)): the mail system writes into tmp/ and renames into new/;
 * a reader that handled a message renames it into cur/ with ":2,<flags>" appended.  Both
 * renames are atomic, so a crash leaves each message either waiting or done. */
#include "io/replysource.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/replysource_impl.h"

struct replysource {
	const struct replysource_ops *ops;
	void *impl;
	char *dir; /* maildir */
};

static int
cmp_msg(const void *a, const void *b)
{
	return strcmp(
	    ((const struct replysource_msg *)a)->id, ((const struct replysource_msg *)b)->id);
}

/* Maildir file names start with the delivery time, so name order is arrival order. */
static int
maildir_list(void *v_, const char *cursor, size_t max, struct replysource_msg **msgs, size_t *n,
    char *err, size_t errlen)
{
	struct replysource *s = v_;
	char path[4096];
	struct replysource_msg *v = NULL, *p;
	size_t k = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	(void)cursor; /* new/ holds exactly what waits */
	snprintf(path, sizeof(path), "%s/new", s->dir);
	if ((d = opendir(path)) == NULL) {
		snprintf(err, errlen, "maildir %s: %s", path, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(v->id) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = realloc(v, cap * sizeof(*v))) == NULL) {
				free(v);
				closedir(d);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			v = p;
		}
		snprintf(v[k].id, sizeof(v[k].id), "%s", e->d_name);
		v[k].cursor[0] = '\0';
		v[k++].size = (size_t)st.st_size;
	}
	closedir(d);
	if (k > 0)
		qsort(v, k, sizeof(*v), cmp_msg);
	*msgs = v;
	*n = k < max ? k : max;
	return 0;
}

static int
maildir_fetch(void *v, const struct replysource_msg *m, size_t limit, char **data, size_t *len,
    char *err, size_t errlen)
{
	struct replysource *s = v;
	char path[4096], *buf;
	size_t got = 0;
	ssize_t r = 1;
	int fd;

	snprintf(path, sizeof(path), "%s/new/%s", s->dir, m->id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0) {
		snprintf(err, errlen, "%s: %s", m->id, strerror(errno));
		return -errno;
	}
	if ((buf = malloc(limit + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got <= limit && (r = read(fd, buf + got, limit + 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (r < 0 || got > limit) {
		free(buf);
		snprintf(err, errlen, "%s: %s", m->id, r < 0 ? strerror(errno) : "too large");
		return r < 0 ? -EIO : -EFBIG;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/* new/NAME -> cur/NAME:2,S ("seen"); a name with flags already gets S added. */
static int
maildir_done(void *v, const struct replysource_msg *m, char *err, size_t errlen)
{
	struct replysource *s = v;
	char from[4096], to[4096];
	const char *info = strstr(m->id, ":2,");

	snprintf(from, sizeof(from), "%s/new/%s", s->dir, m->id);
	snprintf(to, sizeof(to), "%s/cur/%s%s%s", s->dir, m->id, info ? "" : ":2,",
	    info && strchr(info + 3, 'S') ? "" : "S");
	if (rename(from, to) < 0) {
		snprintf(err, errlen, "%s: cannot move to cur/: %s", m->id, strerror(errno));
		return -errno;
	}
	return 0;
}

static const struct replysource_ops maildir_ops = {
	maildir_list,
	maildir_fetch,
	maildir_done,
	NULL,
};

int
replysource_open(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    struct replysource **out, char *err, size_t errlen)
{
	struct replysource *s = calloc(1, sizeof(*s));
	int r = 0;

	if (s == NULL)
		return -ENOMEM;
	if (cfg->replies.source == REPLY_MAILDIR) {
		s->ops = &maildir_ops;
		if ((s->dir = strdup(cfg->replies.maildir)) == NULL)
			r = -ENOMEM;
	} else {
		s->ops = &replysource_imap_ops;
		r = replysource_imap_open(cfg, hooks, &s->impl, err, errlen);
	}
	if (r < 0) {
		free(s->dir);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
replysource_list(struct replysource *s, const char *cursor, size_t max,
    struct replysource_msg **msgs, size_t *n, char *err, size_t errlen)
{
	return s->ops->list(
	    s->impl != NULL ? s->impl : (void *)s, cursor, max, msgs, n, err, errlen);
}

int
replysource_fetch(struct replysource *s, const struct replysource_msg *m, size_t limit, char **data,
    size_t *len, char *err, size_t errlen)
{
	return s->ops->fetch(
	    s->impl != NULL ? s->impl : (void *)s, m, limit, data, len, err, errlen);
}

int
replysource_done(struct replysource *s, const struct replysource_msg *m, char *err, size_t errlen)
{
	return s->ops->done(s->impl != NULL ? s->impl : (void *)s, m, err, errlen);
}

void
replysource_close(struct replysource *s)
{
	if (s == NULL)
		return;
	if (s->ops->close != NULL)
		s->ops->close(s->impl);
	free(s->dir);
	free(s);
}
