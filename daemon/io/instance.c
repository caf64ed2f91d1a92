#include "io/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <unistd.h>

/* statfs(2) f_type of the network file systems Linux knows (linux/magic.h). */
static const struct {
	unsigned long magic;
	const char *name;
} remote_fs[] = {
	{ 0x6969UL, "NFS" },
	{ 0x517bUL, "SMB" },
	{ 0xff534d42UL, "CIFS" },
	{ 0xfe534d42UL, "SMB2" },
	{ 0x564c, "NCP" },
	{ 0x6b414653UL, "AFS" },
	{ 0x5346414fUL, "OpenAFS" },
	{ 0x73757245UL, "Coda" },
	{ 0x01021997UL, "9P" },
	{ 0x19830326UL, "FhGFS" },
	{ 0x47504653UL, "GPFS" },
	{ 0x0bd00bd0UL, "Lustre" },
	{ 0x00c36400UL, "CephFS" },
};

static const char *
remote_name(const char *dir)
{
	struct statfs sf;
	size_t i;

	if (statfs(dir, &sf) < 0)
		return NULL;
	for (i = 0; i < sizeof(remote_fs) / sizeof(remote_fs[0]); i++)
		if ((unsigned long)sf.f_type == remote_fs[i].magic)
			return remote_fs[i].name;
	return NULL;
}

/* The directory holding path ("." for a bare name). */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

static pid_t
read_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return pid > 0 && pid <= INT_MAX && (*end == '\n' || *end == '\0') ? (pid_t)pid : 0;
}

int
instance_lock(const char *db_path, pid_t *holder, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX + 8], pid[24];
	const char *remote;
	int fd, r, n;

	*holder = 0;
	dir_of(db_path, dir, sizeof(dir));
	if ((remote = remote_name(dir)) != NULL) {
		snprintf(err, errlen,
		    "the database %s lies on a network file system (%s): "
		    "SQLite's locks do not hold there, so kapd refuses it; keep the database on "
		    "a local disk of the one host that runs kapd",
		    db_path, remote);
		return -EREMOTE;
	}
	snprintf(path, sizeof(path), "%s.lock", db_path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open the lock file %s: %s", path, strerror(-r));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (r == -EBUSY) {
			*holder = read_holder(fd);
			snprintf(err, errlen,
			    "another kapd works on this database: the lock %s is "
			    "held by pid %ld",
			    path, (long)*holder);
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-r));
		}
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid is informative only: failing to write it does not lose the lock. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
		(void)ftruncate(fd, 0);
	return fd;
}

void
instance_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
