/* notify: sd_notify(3) and the watchdog without libsystemd.
 *
 * The protocol is one datagram per message to $NOTIFY_SOCKET; systemd documents it as
 * stable (sd_notify(3), and its self-contained example in man/notify-selfcontained-
 * example.c).  The sender's PID travels as SCM_CREDENTIALS, which the kernel adds by
 * itself because systemd's socket has SO_PASSCRED set, so NotifyAccess=main works
 * without more on our side.  The socket is non-blocking: when the reader is gone or its
 * queue is full a message is dropped rather than stalling the daemon's loop. */
#include "io/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t
notify_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A decimal unsigned number and nothing else: 0, or -EINVAL. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uintmax_t v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoumax(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT64_MAX)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

/* $WATCHDOG_USEC applies to us unless $WATCHDOG_PID names another process (the variable
 * was inherited through a shell script, say). */
static int
read_watchdog(struct notify *n, char *err, size_t errlen)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (usec == NULL)
		return 0;
	if (parse_u64(usec, &v) < 0 || v == 0) {
		snprintf(err, errlen,
		    "WATCHDOG_USEC=\"%.40s\" is not a positive number of "
		    "microseconds",
		    usec);
		return -EINVAL;
	}
	if (pid != NULL && (parse_u64(pid, &p) < 0 || p != (uint64_t)getpid()))
		return 0;
	n->watchdog_usec = v;
	return 0;
}

/* "/run/systemd/notify", or "@name" for an abstract socket, into a sockaddr_un. */
static int
set_address(struct notify *n, const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 || len >= sizeof(n->addr.sun_path)) {
		snprintf(err, errlen,
		    "NOTIFY_SOCKET=\"%.60s\" is neither an absolute path nor an "
		    "@abstract name of at most %zu bytes",
		    path, sizeof(n->addr.sun_path) - 1);
		return -EINVAL;
	}
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, path, len);
	if (path[0] == '@')
		n->addr.sun_path[0] = '\0'; /* abstract names have no terminating NUL */
	else
		len++;
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	return 0;
}

int
notify_open(struct notify *n, char *err, size_t errlen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	int r = 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (path != NULL) {
		r = set_address(n, path, err, errlen);
		if (r == 0) {
			n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (n->fd < 0) {
				r = -errno;
				snprintf(
				    err, errlen, "socket for NOTIFY_SOCKET: %s", strerror(errno));
			}
		}
		if (r == 0)
			r = read_watchdog(n, err, errlen);
	}
	if (n->fd < 0)
		n->watchdog_usec = 0; /* pings that go nowhere would only wake us up */
	n->last_ping = notify_now();
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return r;
}

int
notify_send(struct notify *n, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	ssize_t sent;
	int len, r = 0;

	if (n->fd < 0)
		return 0;
	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (len < 0)
		return -ENOMEM;
	sent = sendto(
	    n->fd, msg, (size_t)len, MSG_NOSIGNAL, (const struct sockaddr *)&n->addr, n->addrlen);
	if (sent < 0)
		r = -errno;
	else if (sent != len)
		r = -EMSGSIZE;
	free(msg);
	return r;
}

uint64_t
notify_watchdog_interval(const struct notify *n)
{
	return n->watchdog_usec / 2;
}

uint64_t
notify_watchdog_due(const struct notify *n)
{
	if (n->watchdog_usec == 0)
		return UINT64_MAX;
	return n->last_ping + notify_watchdog_interval(n);
}

int
notify_watchdog(struct notify *n, uint64_t slack)
{
	uint64_t now = notify_now(), due = notify_watchdog_due(n);

	if (due == UINT64_MAX || now + slack < due)
		return 0;
	n->last_ping = now;
	/* A lost ping is not retried early: the next one is due in half the timeout. */
	notify_send(n, "WATCHDOG=1");
	return 1;
}

void
notify_close(struct notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->watchdog_usec = 0;
}
