#include "io/feedfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ics.h"

const struct feedfile_kind feedfile_ics = { ".ics", "feeds.directory", "feed" };
const struct feedfile_kind feedfile_html = { ".html", "pages.directory", "page" };

static int
is_token(const char *s)
{
	size_t i;

	for (i = 0; i < TOKEN_FEED_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "TOKEN.EXT" */
static int
is_file_name(const struct feedfile_kind *k, const char *s)
{
	return strlen(s) == TOKEN_FEED_LEN + strlen(k->ext) && is_token(s) &&
	    strcmp(s + TOKEN_FEED_LEN, k->ext) == 0;
}

/* ".TOKEN.EXT.ANYTHING.tmp" */
static int
is_temp_name(const struct feedfile_kind *k, const char *s)
{
	size_t n = strlen(s), e = strlen(k->ext);

	return n > TOKEN_FEED_LEN + e + 6 && s[0] == '.' && is_token(s + 1) &&
	    strncmp(s + 1 + TOKEN_FEED_LEN, k->ext, e) == 0 && s[1 + TOKEN_FEED_LEN + e] == '.' &&
	    strcmp(s + n - 4, ".tmp") == 0;
}

int
feedfile_clean_stale(
    const struct feedfile_kind *k, const char *dir, size_t *removed, char *err, size_t errlen)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;
	int r = 0;

	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			goto out;
		snprintf(err, errlen, "%s %s: %s", k->setting, dir, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_temp_name(k, e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT && r == 0) {
			r = -errno;
			snprintf(
			    err, errlen, "removing %s/%s: %s", dir, e->d_name, strerror(errno));
		}
	}
	closedir(d);
out:
	if (removed != NULL)
		*removed = n;
	return r;
}

int
feedfile_open_dir(
    const struct feedfile_kind *k, const char *dir, int *dirfd, char *err, size_t errlen)
{
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", k->setting, dir, strerror(errno));
		return -errno;
	}
	*dirfd = fd;
	return 0;
}

static void
feedfile_names(const struct feedfile_kind *k, struct feedfile *o, const char *token)
{
	snprintf(o->name, sizeof(o->name), "%s%s", token, k->ext);
	snprintf(o->tmp, sizeof(o->tmp), ".%s%s.%ld.tmp", token, k->ext, (long)getpid());
}

int
feedfile_create(const struct feedfile_kind *k, struct feedfile *o, int dirfd, const char *token,
    char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->dirfd = dirfd;
	o->hash = ICS_HASH_INIT;
	feedfile_names(k, o, token);
	/* 0644 whatever the umask: the web server, another user, reads the file; the
	 * directory decides who can reach it. */
	o->fd = openat(dirfd, o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (o->fd < 0 || fchmod(o->fd, 0644) < 0) {
		int e = errno;

		snprintf(err, errlen, "creating %s: %s", o->tmp, strerror(e));
		feedfile_abort(o);
		return -e;
	}
	return 0;
}

void
feedfile_flush(struct feedfile *o)
{
	size_t off = 0;
	ssize_t n;

	if (o->buf.failed && o->err == 0)
		o->err = ENOMEM;
	while (o->err == 0 && off < o->buf.len) {
		n = write(o->fd, o->buf.s + off, o->buf.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			o->err = errno;
		else
			off += (size_t)n;
	}
	if (o->err == 0) {
		o->hash = ics_hash(o->hash, o->buf.s, o->buf.len);
		o->size += o->buf.len;
	}
	o->buf.len = 0;
}

void
feedfile_abort(struct feedfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	unlinkat(o->dirfd, o->tmp, 0);
	sbuf_free(&o->buf);
}

/* 1 when dir/name exists with size bytes. */
static int
same_size(int dirfd, const char *name, size_t size)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    (size_t)sb.st_size == size;
}

/* Writes out and closes the temporary file (fsyncs it first with sync); *same: its bytes
 * are those of old_content (hash, hex) and of the file's size, and it is removed.  On
 * failure the temporary file is removed too. */
static int
finish(struct feedfile *o, int sync, const char *old_content, int *same, char *err, size_t errlen)
{
	char content[17];
	int r;

	feedfile_flush(o);
	if (sync && o->err == 0 && fsync(o->fd) < 0)
		o->err = errno;
	if (close(o->fd) < 0 && o->err == 0)
		o->err = errno;
	o->fd = -1;
	if (o->err != 0) {
		snprintf(err, errlen, "writing %s: %s", o->tmp, strerror(o->err));
		r = -o->err;
		feedfile_abort(o);
		return r;
	}
	snprintf(content, sizeof(content), "%016" PRIx64, o->hash);
	*same = strcmp(content, old_content) == 0 && same_size(o->dirfd, o->name, o->size);
	if (*same)
		unlinkat(o->dirfd, o->tmp, 0);
	return 0;
}

int
feedfile_commit(
    struct feedfile *o, const char *old_content, int *replaced, char *err, size_t errlen)
{
	int r, same;

	r = finish(o, 1, old_content, &same, err, errlen);
	if (r < 0)
		return r;
	if (!same && renameat(o->dirfd, o->tmp, o->dirfd, o->name) < 0) {
		r = -errno;
		snprintf(err, errlen, "renaming %s to %s: %s", o->tmp, o->name, strerror(errno));
		feedfile_abort(o);
		return r;
	}
	*replaced = !same;
	sbuf_free(&o->buf);
	return 0;
}

int
feedfile_close(struct feedfile *o, const char *old_content, int *same, char *err, size_t errlen)
{
	int r = finish(o, 0, old_content, same, err, errlen);

	if (r == 0)
		sbuf_free(&o->buf);
	return r;
}

/* Syncs one temporary file by name. */
static int
sync_temp(const struct feedfile_kind *k, int dirfd, const char *token)
{
	struct feedfile o;
	int fd, r = 0;

	feedfile_names(k, &o, token);
	fd = openat(dirfd, o.tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	return r;
}

int
feedfile_sync(const struct feedfile_kind *k, int dirfd, const char *const *tokens, size_t n,
    char *err, size_t errlen)
{
	size_t i;
	int r = 0;

	if (n >= FEEDFILE_SYNCFS_AT) {
		if (syncfs(dirfd) < 0)
			r = -errno;
	} else {
		for (i = 0; i < n && r == 0; i++)
			r = sync_temp(k, dirfd, tokens[i]);
	}
	if (r < 0)
		snprintf(err, errlen, "syncing the files: %s", strerror(-r));
	return r;
}

int
feedfile_publish(
    const struct feedfile_kind *k, int dirfd, const char *token, int drop, char *err, size_t errlen)
{
	struct feedfile o;
	int r = 0;

	feedfile_names(k, &o, token);
	if (!drop && renameat(dirfd, o.tmp, dirfd, o.name) == 0)
		return 0;
	if (!drop) {
		r = -errno;
		snprintf(err, errlen, "renaming %s to %s: %s", o.tmp, o.name, strerror(errno));
	}
	unlinkat(dirfd, o.tmp, 0);
	return r;
}

int
feedfile_missing(const struct feedfile_kind *k, int dirfd, const char *token)
{
	char name[TOKEN_FEED_LEN + 12];
	struct stat sb;

	snprintf(name, sizeof(name), "%s%s", token, k->ext);
	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0;
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
feedfile_remove_others(const struct feedfile_kind *k, int dirfd, const char *dir,
    const char **tokens, size_t n, size_t *removed, struct errlist *problems, char *err,
    size_t errlen)
{
	const char *key;
	struct dirent *e;
	DIR *d;
	int fd;

	fd = dup(dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		snprintf(err, errlen, "%s %s: %s", k->setting, dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		char token[TOKEN_FEED_LEN + 1];

		if (!is_file_name(k, e->d_name))
			continue;
		memcpy(token, e->d_name, TOKEN_FEED_LEN);
		token[TOKEN_FEED_LEN] = '\0';
		key = token;
		if (bsearch(&key, tokens, n, sizeof(*tokens), cmp_token) != NULL)
			continue;
		if (unlinkat(dirfd, e->d_name, 0) == 0)
			(*removed)++;
		else if (errno != ENOENT)
			errlist_add(problems, "%ss: removing the old %s %s/%s: %s", k->what,
			    k->what, dir, e->d_name, strerror(errno));
	}
	closedir(d);
	if (*removed > 0)
		fsync(dirfd);
	return 0;
}
