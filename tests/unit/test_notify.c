/* Unit tests for notify: the sd_notify(3) datagram protocol against a real AF_UNIX
 * socket (a path and an abstract name), the environment it reads and clears, and when
 * the watchdog pings. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/notify.h"

/* The service manager's end: a bound datagram socket. */
struct manager {
	int fd;
	char name[108]; /* as given in NOTIFY_SOCKET */
	char dir[64];
};

static void
manager_open(struct manager *m, int abstract)
{
	struct sockaddr_un a;
	socklen_t len;

	memset(m, 0, sizeof(*m));
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(m->name, sizeof(m->name), "@kapd-test-notify-%ld", (long)getpid());
		memcpy(a.sun_path + 1, m->name + 1, strlen(m->name) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(m->name));
	} else {
		snprintf(m->dir, sizeof(m->dir), "/tmp/kapd-notify-XXXXXX");
		assert_non_null(mkdtemp(m->dir));
		snprintf(m->name, sizeof(m->name), "%s/notify", m->dir);
		memcpy(a.sun_path, m->name, strlen(m->name));
		len = sizeof(a);
	}
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m->fd >= 0);
	assert_int_equal(bind(m->fd, (struct sockaddr *)&a, len), 0);
}

static void
manager_close(struct manager *m)
{
	close(m->fd);
	if (m->dir[0] != '\0') {
		unlink(m->name);
		rmdir(m->dir);
	}
}

/* The next datagram, or "" when none is waiting. */
static const char *
manager_recv(struct manager *m, char *buf, size_t len)
{
	ssize_t n = recv(m->fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
clear_env(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void
messages_reach_a_path_socket_and_the_environment_is_cleared(void **state)
{
	struct manager m;
	struct notify n;
	char err[256], buf[512];

	(void)state;
	manager_open(&m, 0);
	setenv("NOTIFY_SOCKET", m.name, 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_int_equal(notify_send(&n, "READY=1\nSTATUS=%d mails queued", 3), 0);
	assert_string_equal(manager_recv(&m, buf, sizeof(buf)), "READY=1\nSTATUS=3 mails queued");
	notify_close(&n);
	manager_close(&m);
}

static void
messages_reach_an_abstract_socket(void **state)
{
	struct manager m;
	struct notify n;
	char err[256], buf[512];

	(void)state;
	manager_open(&m, 1);
	setenv("NOTIFY_SOCKET", m.name, 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	assert_int_equal(notify_send(&n, "STOPPING=1"), 0);
	assert_string_equal(manager_recv(&m, buf, sizeof(buf)), "STOPPING=1");
	notify_close(&n);
	manager_close(&m);
}

static void
without_notify_socket_everything_is_a_quiet_no_op(void **state)
{
	struct notify n;
	char err[256];

	(void)state;
	clear_env();
	setenv("WATCHDOG_USEC", "2000000", 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	assert_int_equal(n.fd, -1);
	assert_int_equal(notify_send(&n, "READY=1"), 0);
	assert_int_equal(notify_watchdog_interval(&n), 0);
	assert_true(notify_watchdog_due(&n) == UINT64_MAX);
	assert_int_equal(notify_watchdog(&n, 0), 0);
	notify_close(&n);
	clear_env();
}

static void
a_malformed_socket_name_is_refused_with_a_message(void **state)
{
	static const char *const bad[] = { "relative/path", "@", "x", NULL };
	struct notify n;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		clear_env();
		setenv("NOTIFY_SOCKET", bad[i], 1);
		err[0] = '\0';
		assert_int_equal(notify_open(&n, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "NOTIFY_SOCKET"));
		assert_int_equal(n.fd, -1);
		notify_close(&n);
	}
	clear_env();
}

static void
watchdog_pings_at_half_the_timeout_and_only_when_due(void **state)
{
	struct manager m;
	struct notify n;
	char err[256], buf[64];

	(void)state;
	manager_open(&m, 0);
	setenv("NOTIFY_SOCKET", m.name, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	assert_int_equal(notify_watchdog_interval(&n), 1000000);
	assert_true(notify_watchdog_due(&n) >= n.last_ping + 1000000);
	/* Just opened: not due, unless the caller's next wake-up may come too late. */
	assert_int_equal(notify_watchdog(&n, 0), 0);
	assert_string_equal(manager_recv(&m, buf, sizeof(buf)), "");
	assert_int_equal(notify_watchdog(&n, 1000000), 1);
	assert_string_equal(manager_recv(&m, buf, sizeof(buf)), "WATCHDOG=1");
	/* Due again one interval after that ping. */
	n.last_ping -= 1000000;
	assert_int_equal(notify_watchdog(&n, 0), 1);
	assert_string_equal(manager_recv(&m, buf, sizeof(buf)), "WATCHDOG=1");
	assert_int_equal(notify_watchdog(&n, 0), 0);
	notify_close(&n);
	manager_close(&m);
	clear_env();
}

static void
watchdog_of_another_process_or_a_bad_value_is_off(void **state)
{
	struct manager m;
	struct notify n;
	char err[256];

	(void)state;
	manager_open(&m, 0);
	setenv("NOTIFY_SOCKET", m.name, 1);
	setenv("WATCHDOG_USEC", "2000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	assert_int_equal(notify_watchdog_interval(&n), 0);
	assert_null(getenv("WATCHDOG_PID"));
	notify_close(&n);

	setenv("NOTIFY_SOCKET", m.name, 1);
	setenv("WATCHDOG_USEC", "2s", 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "WATCHDOG_USEC"));
	assert_int_equal(notify_watchdog_interval(&n), 0);
	assert_int_equal(notify_send(&n, "READY=1"), 0); /* the socket itself still works */
	notify_close(&n);
	manager_close(&m);
	clear_env();
}

static void
a_full_or_missing_reader_never_blocks_the_sender(void **state)
{
	struct manager m;
	struct notify n;
	char err[256];
	int i, r = 0;

	(void)state;
	manager_open(&m, 0);
	setenv("NOTIFY_SOCKET", m.name, 1);
	assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
	for (i = 0; i < 10000 && r == 0; i++)
		r = notify_send(&n, "STATUS=filling the queue of a reader that never reads");
	assert_int_equal(r, -EAGAIN);
	manager_close(&m);
	assert_true(notify_send(&n, "READY=1") < 0); /* gone: an error, not a hang */
	notify_close(&n);
	clear_env();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_reach_a_path_socket_and_the_environment_is_cleared),
		cmocka_unit_test(messages_reach_an_abstract_socket),
		cmocka_unit_test(without_notify_socket_everything_is_a_quiet_no_op),
		cmocka_unit_test(a_malformed_socket_name_is_refused_with_a_message),
		cmocka_unit_test(watchdog_pings_at_half_the_timeout_and_only_when_due),
		cmocka_unit_test(watchdog_of_another_process_or_a_bad_value_is_off),
		cmocka_unit_test(a_full_or_missing_reader_never_blocks_the_sender),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
