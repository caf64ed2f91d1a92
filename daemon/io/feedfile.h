/* feedfile: the files kapd publishes for a web server, named by a secret token: the
 * calendar feeds (TOKEN.ics in feeds.directory) and the plan pages (TOKEN.html in
 * pages.directory).  A file is streamed into ".TOKEN.EXT.PID.tmp" in the directory,
 * flushed, and renamed over TOKEN.EXT, so a web server only ever serves a whole file; a
 * file whose bytes did not change is left alone (its mtime and ETag stay).  Also:
 * removing the files of old tokens, and the temporary files a crash left behind, each
 * kind only its own.  No database here. */
#ifndef KAPD_FEEDFILE_H
#define KAPD_FEEDFILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/errlist.h"
#include "lib/sbuf.h"
#include "lib/token.h"

#define FEEDFILE_FLUSH_AT 65536 /* bytes buffered before a write */

/* A kind of file: its extension and the setting naming its directory (for messages). */
struct feedfile_kind {
	const char *ext;     /* ".ics", ".html" */
	const char *setting; /* "feeds.directory", "pages.directory" */
	const char *what;    /* "feed", "page" */
};
extern const struct feedfile_kind feedfile_ics, feedfile_html;

/* One file being written: append to buf, call feedfile_flush when it grows. */
struct feedfile {
	int dirfd;
	int fd;
	char name[TOKEN_FEED_LEN + 12]; /* TOKEN.EXT */
	char tmp[TOKEN_FEED_LEN + 44];  /* .TOKEN.EXT.PID.tmp */
	struct sbuf buf;
	uint64_t hash; /* of the bytes written so far */
	size_t size;
	int err; /* first errno */
};

/* Opens dir (created when missing) as *dirfd.  0 or a negative errno with err filled. */
int feedfile_open_dir(
    const struct feedfile_kind *k, const char *dir, int *dirfd, char *err, size_t errlen);
/* Creates the temporary file of token in dirfd, mode 0644. */
int feedfile_create(const struct feedfile_kind *k, struct feedfile *o, int dirfd, const char *token,
    char *err, size_t errlen);
/* Writes out what buf holds (a failure is kept in o->err). */
void feedfile_flush(struct feedfile *o);
/* Flushes, syncs and closes the file; when its content hash equals old_content (hex, may
 * be "") and the old file has its size, drops it, else renames it over TOKEN.EXT.
 * *replaced says which.  Frees o's buffer.  0, or a negative errno with err filled (the
 * temporary file is gone, the old file stays). */
int feedfile_commit(
    struct feedfile *o, const char *old_content, int *replaced, char *err, size_t errlen);
/* The same in three steps, for many files at once (a first check writes tens of
 * thousands): feedfile_close flushes and closes the temporary file without syncing it
 * and drops it when its content is unchanged (*same = 1, as feedfile_commit); after all
 * files are closed, feedfile_sync makes the n files of tokens durable: with one
 * syncfs(2) of the directory's file system from FEEDFILE_SYNCFS_AT files on, else with
 * an fsync each (syncfs also flushes what other programs wrote: worth it only for
 * many files); then feedfile_publish renames each temporary file of token
 * over TOKEN.EXT (or only removes it when drop is set), and the caller syncs the
 * directory once.  A crash leaves each TOKEN.EXT either old or new and whole, as with
 * feedfile_commit, because no rename happens before the data is on disk. */
int feedfile_close(
    struct feedfile *o, const char *old_content, int *same, char *err, size_t errlen);
#define FEEDFILE_SYNCFS_AT 64
int feedfile_sync(const struct feedfile_kind *k, int dirfd, const char *const *tokens, size_t n,
    char *err, size_t errlen);
int feedfile_publish(const struct feedfile_kind *k, int dirfd, const char *token, int drop,
    char *err, size_t errlen);
/* Gives up on o: closes and removes the temporary file, frees the buffer. */
void feedfile_abort(struct feedfile *o);
/* 1 when TOKEN.EXT is missing from dirfd. */
int feedfile_missing(const struct feedfile_kind *k, int dirfd, const char *token);
/* Removes every TOKEN.EXT whose token is not among tokens (n of them, sorted with
 * strcmp); *removed counts the files removed, failures go to problems (dir names the
 * directory in them).  0, or -ENOMEM/-EIO with err filled. */
int feedfile_remove_others(const struct feedfile_kind *k, int dirfd, const char *dir,
    const char **tokens, size_t n, size_t *removed, struct errlist *problems, char *err,
    size_t errlen);
/* Removes the temporary files a crash can leave in dir (".TOKEN.EXT.*.tmp"); *removed
 * (may be NULL) receives how many.  A missing directory is not an error. */
int feedfile_clean_stale(
    const struct feedfile_kind *k, const char *dir, size_t *removed, char *err, size_t errlen);

#endif
