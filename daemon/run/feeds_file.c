/* The file half of the feeds: each feed is streamed event by event into ".TOKEN.ics.PID.tmp"
 * in the feed directory, flushed, and renamed over TOKEN.ics, so a web server only ever
 * serves a whole file; a file whose bytes did not change is left alone (its mtime and
 * ETag stay).  Also: removing the files of old tokens, and the temporary files a crash
 * left behind. */
#include "run/feeds_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"

#define FLUSH_AT 65536

int
feeds_new_token(char token[FEEDS_TOKEN_LEN + 1], char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[FEEDS_TOKEN_LEN / 2];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return -errno;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(b); i++) {
		token[2 * i] = hex[b[i] >> 4];
		token[2 * i + 1] = hex[b[i] & 15];
	}
	token[FEEDS_TOKEN_LEN] = '\0';
	return 0;
}

static int
is_token(const char *s)
{
	size_t i;

	for (i = 0; i < FEEDS_TOKEN_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "TOKEN.ics" */
static int
is_feed_name(const char *s)
{
	return strlen(s) == FEEDS_TOKEN_LEN + 4 && is_token(s) &&
	    strcmp(s + FEEDS_TOKEN_LEN, ".ics") == 0;
}

/* ".TOKEN.ics.ANYTHING.tmp" */
static int
is_temp_name(const char *s)
{
	size_t n = strlen(s);

	return n > FEEDS_TOKEN_LEN + 10 && s[0] == '.' && is_token(s + 1) &&
	    strncmp(s + 1 + FEEDS_TOKEN_LEN, ".ics.", 5) == 0 && strcmp(s + n - 4, ".tmp") == 0;
}

int
feeds_clean_stale(const char *dir, size_t *removed, char *err, size_t errlen)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;
	int r = 0;

	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			goto out;
		snprintf(err, errlen, "feeds.directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_temp_name(e->d_name))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT && r == 0) {
			r = -errno;
			snprintf(err, errlen, "removing %s/%s: %s", dir, e->d_name, strerror(errno));
		}
	}
	closedir(d);
out:
	if (removed != NULL)
		*removed = n;
	return r;
}

int
feeds_open_dir(struct feeds_run *x, char *err, size_t errlen)
{
	const char *dir = x->cfg->feeds.directory;

	x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0)
		x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->dirfd < 0) {
		snprintf(err, errlen, "feeds.directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

void
feeds_close_dir(struct feeds_run *x)
{
	if (x->dirfd >= 0)
		close(x->dirfd);
	x->dirfd = -1;
}

/* ---------------------------------------------------------------------------------- */

struct out {
	int fd;
	struct sbuf buf;
	uint64_t hash;
	size_t size;
	int err;          /* first errno */
};

static void
out_flush(struct out *o)
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

/* Streams the events of feed f of one kind into o. */
static int
stream_kind(struct feeds_run *x, const struct feed *f, enum ics_kind kind,
    struct ics_writer *w, struct out *o, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct ics_event ev;
	int r, rc = SQLITE_DONE;

	r = feeds_prepare(x->db, kind, f->is_plan ? SCOPE_PLAN : SCOPE_PERSON, &st, err, errlen);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, x->cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, f->owner);
	while (o->err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (feeds_row_event(st, kind, x->now, &ev) < 0)
			continue;
		r = ics_writer_event(w, &ev, &o->buf);
		if (r == -ENOMEM)
			o->err = ENOMEM;
		else if (r < 0)
			errlist_add(x->problems, "feeds: %s %s left out of a feed: libical wrote text "
			    "that is not valid iCalendar", ev.kind == ICS_REVIEW ? "plan" :
			    ev.kind == ICS_MILESTONE ? "milestone" : "activity", ev.key);
		if (o->buf.len >= FLUSH_AT)
			out_flush(o);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(err, errlen, "reading items: %s", sqlite3_errmsg(x->db));
		r = db_errno(rc);
	} else {
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

/* Writes the whole feed into the open temporary file o->fd. */
static int
generate(struct feeds_run *x, const struct feed *f, struct out *o, char *err, size_t errlen)
{
	static const enum ics_kind order[] = { ICS_REVIEW, ICS_MILESTONE, ICS_ACTIVITY };
	struct ics_calendar cal;
	struct ics_writer *w = NULL;
	struct sbuf name = SBUF_INIT;
	size_t i;
	int r;

	if (f->is_plan)
		ics_plan_calendar_name(f->lang, f->name, &name);
	else
		ics_person_calendar_name(f->lang, f->name, &name);
	cal.lang = f->lang;
	cal.name = name.s != NULL ? name.s : "";
	cal.tz = f->tz;
	cal.domain = x->cfg->feeds.domain;
	cal.alarm = x->cfg->feeds.alarm;
	w = ics_writer_new(&cal);
	r = w == NULL || name.failed ? -ENOMEM : ics_begin(&cal, &o->buf);
	/* One read transaction: the file shows one state of the plans. */
	if (r == 0 && (r = db_exec(x->db, "BEGIN", err, errlen)) == 0) {
		for (i = 0; r == 0 && i < sizeof(order) / sizeof(order[0]); i++)
			r = stream_kind(x, f, order[i], w, o, err, errlen);
		db_exec(x->db, "COMMIT", NULL, 0);
	}
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r == 0) {
		ics_end(&o->buf);
		out_flush(o);
	}
	ics_writer_free(w);
	sbuf_free(&name);
	return r;
}

/* 1 when dir/name exists with size bytes. */
static int
same_size(int dirfd, const char *name, size_t size)
{
	struct stat sb;

	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    (size_t)sb.st_size == size;
}

/* Writes feed f: 0 (f->done set), or a negative errno with err filled. */
static int
write_feed(struct feeds_run *x, struct feed *f, char *err, size_t errlen)
{
	char name[FEEDS_TOKEN_LEN + 8], tmp[FEEDS_TOKEN_LEN + 40], content[17];
	struct out o;
	int r;

	snprintf(name, sizeof(name), "%s.ics", f->token);
	snprintf(tmp, sizeof(tmp), ".%s.ics.%ld.tmp", f->token, (long)getpid());
	memset(&o, 0, sizeof(o));
	o.hash = ICS_HASH_INIT;
	/* 0644 whatever the umask: the web server, another user, reads the file; the
	 * directory decides who can reach it. */
	o.fd = openat(x->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (o.fd < 0 || fchmod(o.fd, 0644) < 0) {
		r = -errno;
		snprintf(err, errlen, "creating %s: %s", tmp, strerror(errno));
		goto fail;
	}
	r = generate(x, f, &o, err, errlen);
	if (r == 0 && o.err == 0 && fsync(o.fd) < 0)
		o.err = errno;
	if (close(o.fd) < 0 && o.err == 0 && r == 0)
		o.err = errno;
	o.fd = -1;
	if (r == 0 && o.err != 0) {
		r = -o.err;
		snprintf(err, errlen, "writing %s: %s", tmp, strerror(o.err));
	}
	if (r < 0)
		goto fail;
	f->content = o.hash;
	snprintf(content, sizeof(content), "%016" PRIx64, o.hash);
	if (strcmp(content, f->old_content) == 0 && same_size(x->dirfd, name, o.size)) {
		unlinkat(x->dirfd, tmp, 0);
		x->st->same++;
	} else if (renameat(x->dirfd, tmp, x->dirfd, name) < 0) {
		r = -errno;
		snprintf(err, errlen, "renaming %s to %s: %s", tmp, name, strerror(errno));
		goto fail;
	} else {
		f->replaced = 1;
		x->st->written++;
	}
	f->done = 1;
	sbuf_free(&o.buf);
	return 0;
fail:
	if (o.fd >= 0)
		close(o.fd);
	unlinkat(x->dirfd, tmp, 0);
	sbuf_free(&o.buf);
	return r;
}

static int
file_missing(int dirfd, const char *token)
{
	char name[FEEDS_TOKEN_LEN + 8];
	struct stat sb;

	snprintf(name, sizeof(name), "%s.ics", token);
	return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0;
}

/* Errors after which writing the other feeds is pointless this check. */
static int
hopeless(int r)
{
	return r == -ENOSPC || r == -EDQUOT || r == -EROFS || r == -EACCES || r == -EPERM ||
	    r == -ENOMEM;
}

int
feeds_write_all(struct feeds_run *x, char *err, size_t errlen)
{
	char why[512];
	size_t i, skipped = 0;
	int r, any = 0, stop = 0;

	(void)err;
	(void)errlen;
	for (i = 0; i < x->n; i++) {
		struct feed *f = &x->f[i];

		if (!f->dirty && !file_missing(x->dirfd, f->token))
			continue;
		if (stop) {
			skipped++;
			continue;
		}
		r = write_feed(x, f, why, sizeof(why));
		if (r == 0) {
			any |= f->replaced;
			continue;
		}
		x->st->failed++;
		errlist_add(x->problems, "feeds: the feed of %s \"%s\" was not written (%s/%s); "
		    "its previous version stays and the next check tries again",
		    f->is_plan ? "plan" : "person", f->name, x->cfg->feeds.directory, why);
		stop = hopeless(r);
	}
	if (skipped > 0) {
		x->st->failed += skipped;
		errlist_add(x->problems, "feeds: %zu more feeds were not written for the same reason",
		    skipped);
	}
	/* The renames are durable once the directory is. */
	if (any)
		fsync(x->dirfd);
	return 0;
}

static int
cmp_token(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
feeds_remove_old(struct feeds_run *x, char *err, size_t errlen)
{
	const char **tokens, *key;
	struct dirent *e;
	size_t i;
	DIR *d;
	int fd;

	tokens = calloc(x->n + 1, sizeof(*tokens));
	fd = dup(x->dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (tokens == NULL || d == NULL) {
		snprintf(err, errlen, "feeds.directory %s: %s", x->cfg->feeds.directory,
		    tokens == NULL ? "out of memory" : strerror(errno));
		if (fd >= 0 && d == NULL)
			close(fd);
		free(tokens);
		return tokens == NULL ? -ENOMEM : -EIO;
	}
	for (i = 0; i < x->n; i++)
		tokens[i] = x->f[i].token;
	qsort(tokens, x->n, sizeof(*tokens), cmp_token);
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		char token[FEEDS_TOKEN_LEN + 1];

		if (!is_feed_name(e->d_name))
			continue;
		memcpy(token, e->d_name, FEEDS_TOKEN_LEN);
		token[FEEDS_TOKEN_LEN] = '\0';
		key = token;
		if (bsearch(&key, tokens, x->n, sizeof(*tokens), cmp_token) != NULL)
			continue;
		if (unlinkat(x->dirfd, e->d_name, 0) == 0)
			x->st->removed++;
		else if (errno != ENOENT)
			errlist_add(x->problems, "feeds: removing the old feed %s/%s: %s",
			    x->cfg->feeds.directory, e->d_name, strerror(errno));
	}
	closedir(d);
	free(tokens);
	if (x->st->removed > 0)
		fsync(x->dirfd);
	return 0;
}
