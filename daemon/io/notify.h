/* notify: the systemd notification protocol (sd_notify(3)) and the service watchdog
 * (sd_watchdog_enabled(3)), without libsystemd.  A message is one datagram of
 * "KEY=VALUE" lines sent to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name when it starts with '@').  Outside systemd every call is a no-op, so the
 * daemon runs the same from a shell.  Library-like: returns errors, never logs. */
#ifndef KAPD_NOTIFY_H
#define KAPD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct notify {
	int fd; /* -1: no $NOTIFY_SOCKET, nothing is sent */
	struct sockaddr_un addr;
	socklen_t addrlen;
	uint64_t watchdog_usec; /* $WATCHDOG_USEC for this process, 0 when off */
	uint64_t last_ping;     /* CLOCK_MONOTONIC usec of the last WATCHDOG=1 */
};

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID and removes them from the
 * environment (nothing kapd might start inherits them).  Without $NOTIFY_SOCKET, n is
 * inert and 0 is returned.  A malformed variable gives -EINVAL with err filled, and n is
 * inert (fd -1) as far as the socket goes.  Close with notify_close. */
int notify_open(struct notify *n, char *err, size_t errlen);
/* Sends one message (printf-style; lines separated by '\n').  0, or negative errno. */
int notify_send(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The watchdog ping interval in usec (half of $WATCHDOG_USEC), or 0 when off. */
uint64_t notify_watchdog_interval(const struct notify *n);
/* CLOCK_MONOTONIC usec at which the next ping is due, or UINT64_MAX when off. */
uint64_t notify_watchdog_due(const struct notify *n);
/* Sends WATCHDOG=1 when a ping is due within slack usec (a caller that wakes up only
 * now and then passes how late its next wake-up may come).  Returns 1 when it pinged. */
int notify_watchdog(struct notify *n, uint64_t slack);
/* CLOCK_MONOTONIC in usec, the clock of MONOTONIC_USEC= and of the watchdog. */
uint64_t notify_now(void);
/* Closes the socket; accepts an inert or already closed n. */
void notify_close(struct notify *n);

#endif
