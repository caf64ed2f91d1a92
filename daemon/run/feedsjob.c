/* The feed files written by a child process while the parent mails (run/feedsjob.h). */
#include "run/feedsjob.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/db.h"

struct feedsjob {
	sqlite3 *db;
	const struct kapd_config *cfg;
	time_t now;
	struct feeds_run *run; /* NULL: decided nothing (r says why), or publish inline */
	struct feeds_stats st;
	struct errlist problems;
	int r;          /* of feeds_prepare */
	char err[512];  /* its text */
	pid_t pid;      /* 0: no child, the files are written by feedsjob_finish */
	int fd;         /* the pipe's read end */
	size_t at_fork; /* problems before the child started */
};

/* The job when even its memory is missing: it only remembers to publish inline. */
static struct feedsjob fallback;

/* What the child sends: its figures, what it did for each feed (feeds_written, in the
 * order of the run), then each new problem as its length (NO_TEXT for a message that
 * memory did not allow) and its bytes. */
#define NO_TEXT UINT32_MAX

static int
write_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 0 when all n bytes were read, -1 at an early end or an error. */
static int
read_all(int fd, void *p, size_t n)
{
	char *b = p;
	ssize_t r;

	while (n > 0) {
		r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The child: writes the files with a connection of its own, reports, and ends without
 * running the parent's exit handlers or flushing its stdio buffers (_exit). */
static void __attribute__((noreturn)) child(struct feedsjob *j, int fd)
{
	struct feeds_written w;
	sqlite3 *db = NULL;
	char err[512];
	size_t i, n;
	int ok;

	if (db_open(j->cfg->database, 0, &db, err, sizeof(err)) == 0)
		feeds_write(j->run, db);
	else
		errlist_add(&j->problems, "feeds: %s; no feed was written", err);
	if (db != NULL)
		db_close(db);
	n = feeds_count(j->run);
	ok = write_all(fd, &j->st, sizeof(j->st)) == 0;
	for (i = 0; ok && i < n; i++) {
		feeds_result(j->run, i, &w);
		ok = write_all(fd, &w, sizeof(w)) == 0;
	}
	for (i = j->at_fork; ok && i < j->problems.n; i++) {
		const char *m = errlist_msg(&j->problems, i, NULL);
		uint32_t len = m != NULL ? (uint32_t)strlen(m) : NO_TEXT;

		ok = write_all(fd, &len, sizeof(len)) == 0 &&
		    (m == NULL || write_all(fd, m, len) == 0);
	}
	_exit(ok ? 0 : 1);
}

struct feedsjob *
feedsjob_start(sqlite3 *db, const struct kapd_config *cfg, time_t now, size_t min_dirty)
{
	struct feedsjob *j = calloc(1, sizeof(*j));
	int p[2];
	pid_t pid;

	if (j == NULL) {
		j = &fallback;
		memset(j, 0, sizeof(*j));
		j->db = db;
		j->cfg = cfg;
		j->now = now;
		j->fd = -1;
		return j;
	}
	j->db = db;
	j->cfg = cfg;
	j->now = now;
	j->fd = -1;
	j->r = feeds_prepare(db, cfg, now, &j->st, &j->problems, &j->run, j->err, sizeof(j->err));
	/* No child when the decision failed or few feeds changed, or while the connection holds a lock the
	 * child's connection would share (sqlite.org/howtocorrupt.html 2.6). */
	if (j->r < 0 || feeds_dirty(j->run) < min_dirty || !db_idle(db) || pipe(p) < 0)
		return j;
	/* What stdio holds for the parent must not be written twice. */
	fflush(stdout);
	fflush(stderr);
	j->at_fork = j->problems.n;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return j;
	}
	if (pid == 0) {
		close(p[0]);
		child(j, p[1]);
	}
	close(p[1]);
	j->pid = pid;
	j->fd = p[0];
	return j;
}

pid_t
feedsjob_pid(const struct feedsjob *j)
{
	return j->pid;
}

/* Reads the child's report into the run; -1 when it ended before sending all of it. */
static int
collect(struct feedsjob *j)
{
	struct feeds_stats st;
	struct feeds_written w;
	size_t i, n = feeds_count(j->run);

	if (read_all(j->fd, &st, sizeof(st)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (read_all(j->fd, &w, sizeof(w)) < 0)
			return -1;
		feeds_set_result(j->run, i, &w);
	}
	j->st = st;
	for (;;) {
		uint32_t len;
		char *m;
		ssize_t got = read(j->fd, &len, 1);

		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0)
			return 0; /* the end: every problem was read */
		if (got < 0 || read_all(j->fd, (char *)&len + 1, sizeof(len) - 1) < 0)
			return -1;
		if (len == NO_TEXT) {
			errlist_add(&j->problems, "feeds: out of memory");
			continue;
		}
		m = malloc((size_t)len + 1);
		if (m == NULL || read_all(j->fd, m, len) < 0) {
			free(m);
			return -1;
		}
		m[len] = '\0';
		errlist_add(&j->problems, "%s", m);
		free(m);
	}
}

/* Waits for the child; 0 when it sent its whole report and ended normally. */
static int
join(struct feedsjob *j)
{
	int got, status = 0;
	pid_t w;

	got = collect(j);
	close(j->fd);
	do
		w = waitpid(j->pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (got == 0 && w >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (w >= 0 && WIFSIGNALED(status))
		errlist_add(&j->problems,
		    "feeds: the process writing the files ended early (signal %d); the next check "
		    "writes the feeds it did not report again",
		    WTERMSIG(status));
	else
		errlist_add(&j->problems,
		    "feeds: the process writing the files ended early; the next check writes the "
		    "feeds it did not report again");
	return -1;
}

int
feedsjob_finish(
    struct feedsjob *j, struct feeds_stats *st, struct errlist *problems, char *err, size_t errlen)
{
	size_t i;
	int r;

	if (j == &fallback)
		return feeds_publish(j->db, j->cfg, j->now, st, problems, err, errlen);
	if (j->r < 0) {
		snprintf(err, errlen, "%s", j->err);
		r = j->r;
	} else {
		if (j->pid != 0)
			join(j);
		else
			feeds_write(j->run, j->db);
		r = feeds_finish(j->run, err, errlen);
	}
	*st = j->st;
	for (i = 0; i < j->problems.n; i++)
		errlist_add(problems, "%s", errlist_msg(&j->problems, i, "feeds: out of memory"));
	errlist_free(&j->problems);
	free(j);
	return r;
}
