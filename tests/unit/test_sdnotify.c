/*
 * test_sdnotify.c - the sd_notify datagram protocol against a real
 * AF_UNIX datagram socket (path and abstract), and hostile environments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/daemon/sdnotify.h"

struct listener {
	char dir[64];		/* mkdtemp directory (path sockets) */
	char env[100];		/* what NOTIFY_SOCKET is set to */
	int fd;
};

static void
clear_env(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static int
setup(void **state)
{
	struct listener *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return -1;
	l->fd = -1;
	snprintf(l->dir, sizeof(l->dir), "/tmp/exfild-sdnotify-XXXXXX");
	if (mkdtemp(l->dir) == NULL)
		return -1;
	clear_env();
	*state = l;
	return 0;
}

static int
teardown(void **state)
{
	struct listener *l = *state;
	char path[128];

	if (l->fd != -1)
		close(l->fd);
	snprintf(path, sizeof(path), "%s/notify", l->dir);
	unlink(path);
	rmdir(l->dir);
	free(l);
	clear_env();
	return 0;
}

/* A receiving socket at <dir>/notify; NOTIFY_SOCKET is set to it. */
static void
listen_path(struct listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(l->env, sizeof(l->env), "%s/notify", l->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->env);
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
}

/* A receiving socket at an abstract name bound to exactly its bytes. */
static void
listen_abstract(struct listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	snprintf(l->env, sizeof(l->env), "@exfild-test-%ld", (long)getpid());
	len = strlen(l->env);
	memcpy(sa.sun_path + 1, l->env + 1, len - 1);
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
}

/* Receives one datagram and checks it byte for byte. */
static void
expect_datagram(int fd, const char *want)
{
	char buf[SDNOTIFY_MSG_MAX + 16];
	ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	assert_int_equal(got, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void
expect_no_datagram(int fd)
{
	char buf[16];

	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

static void
test_path_socket(void **state)
{
	struct listener *l = *state;
	struct sdnotify n;
	char err[256] = "";

	listen_path(l);
	assert_int_equal(sdnotify_open(&n, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(n.enabled);
	assert_int_equal(n.watchdog_usec, 0);
	assert_int_equal(n.addrlen,
	    offsetof(struct sockaddr_un, sun_path) + strlen(l->env) + 1);
	assert_null(getenv("NOTIFY_SOCKET"));

	assert_int_equal(sdnotify_send(&n, "READY=1\nSTATUS=capturing on eth1"), 0);
	expect_datagram(l->fd, "READY=1\nSTATUS=capturing on eth1");
	assert_int_equal(sdnotify_status(&n, "%d flows, %s", 42, "ok"), 0);
	expect_datagram(l->fd, "STATUS=42 flows, ok");
	assert_int_equal(sdnotify_status(&n, "line one\nline two\r\n"), 0);
	expect_datagram(l->fd, "STATUS=line one line two  ");
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), 0);
	expect_datagram(l->fd, "WATCHDOG=1");
	expect_no_datagram(l->fd);
	sdnotify_close(&n);
	assert_int_equal(n.fd, -1);
	assert_false(n.enabled);
	/* Closed: a no-op again. */
	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	expect_no_datagram(l->fd);
}

static void
test_abstract_socket(void **state)
{
	struct listener *l = *state;
	struct sdnotify n;
	char err[256] = "";
	size_t len;

	listen_abstract(l);
	len = strlen(l->env);
	assert_int_equal(sdnotify_open(&n, err, sizeof(err)), 0);
	assert_true(n.enabled);
	/* The '@' is a NUL byte and the length counts exactly the name. */
	assert_int_equal(n.addrlen, offsetof(struct sockaddr_un, sun_path) + len);
	assert_int_equal(n.addr.sun_path[0], '\0');
	assert_memory_equal(n.addr.sun_path + 1, l->env + 1, len - 1);
	assert_null(getenv("NOTIFY_SOCKET"));

	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	expect_datagram(l->fd, "READY=1");
	assert_int_equal(sdnotify_status(&n, "capturing on %s", "eth1"), 0);
	expect_datagram(l->fd, "STATUS=capturing on eth1");
	sdnotify_close(&n);
}

static void
test_absent_is_disabled(void **state)
{
	struct sdnotify n;
	char err[256] = "";

	(void)state;
	assert_int_equal(setenv("WATCHDOG_USEC", "5000000", 1), 0);
	assert_int_equal(sdnotify_open(&n, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_false(n.enabled);
	assert_int_equal(n.fd, -1);
	/* Nobody to ping: no watchdog, and the variable is gone anyway. */
	assert_int_equal(n.watchdog_usec, 0);
	assert_null(getenv("WATCHDOG_USEC"));
	assert_int_equal(sdnotify_send(&n, "READY=1"), 0);
	assert_int_equal(sdnotify_status(&n, "x"), 0);
	sdnotify_close(&n);
}

/* Opens with NOTIFY_SOCKET pointing at the listener and the given watchdog. */
static int
open_watchdog(struct listener *l, const char *usec, const char *pid,
    struct sdnotify *n, char *err, size_t errlen)
{
	assert_int_equal(setenv("NOTIFY_SOCKET", l->env, 1), 0);
	if (usec != NULL)
		assert_int_equal(setenv("WATCHDOG_USEC", usec, 1), 0);
	if (pid != NULL)
		assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	err[0] = '\0';
	return sdnotify_open(n, err, errlen);
}

static void
assert_env_gone(void)
{
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
}

static void
test_watchdog(void **state)
{
	struct listener *l = *state;
	struct sdnotify n;
	char err[256], pid[32], other[32];

	listen_path(l);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	snprintf(other, sizeof(other), "%ld", (long)getpid() + 1);

	assert_int_equal(open_watchdog(l, "5000000", pid, &n, err, sizeof(err)), 0);
	assert_int_equal(n.watchdog_usec, 5000000);
	assert_env_gone();
	sdnotify_close(&n);

	/* No WATCHDOG_PID: meant for whoever reads it. */
	assert_int_equal(open_watchdog(l, "5000000", NULL, &n, err, sizeof(err)), 0);
	assert_int_equal(n.watchdog_usec, 5000000);
	sdnotify_close(&n);

	/* Inherited from a parent: not ours. */
	assert_int_equal(open_watchdog(l, "5000000", other, &n, err, sizeof(err)), 0);
	assert_int_equal(n.watchdog_usec, 0);
	assert_true(n.enabled);
	assert_env_gone();
	sdnotify_close(&n);

	assert_int_equal(open_watchdog(l, "18446744073709551614", pid, &n, err,
	    sizeof(err)), 0);
	assert_int_equal(n.watchdog_usec, UINT64_MAX - 1);
	sdnotify_close(&n);

	/* WATCHDOG_PID alone is ignored. */
	assert_int_equal(open_watchdog(l, NULL, "garbage", &n, err, sizeof(err)), 0);
	assert_int_equal(n.watchdog_usec, 0);
	assert_env_gone();
	sdnotify_close(&n);
}

static void
test_watchdog_malformed(void **state)
{
	static const char *const bad_usec[] = {
		"5s", "", "-1", "+5", " 5", "5 ", "0", "0x10", "1e6",
		"18446744073709551615",	/* infinity */
		"18446744073709551616",	/* overflow */
		"99999999999999999999999",
	};
	static const char *const bad_pid[] = {
		"", "0", "-1", "abc", "12x", "2147483648", "99999999999999999999",
	};
	struct listener *l = *state;
	struct sdnotify n;
	char err[256], want[256];
	size_t i;

	listen_path(l);
	for (i = 0; i < sizeof(bad_usec) / sizeof(bad_usec[0]); i++) {
		assert_int_equal(open_watchdog(l, bad_usec[i], NULL, &n, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "WATCHDOG_USEC '%.32s': not a "
		    "positive whole number of microseconds", bad_usec[i]);
		assert_string_equal(err, want);
		assert_false(n.enabled);
		assert_int_equal(n.fd, -1);
		assert_int_equal(n.watchdog_usec, 0);
		assert_env_gone();
		sdnotify_close(&n);
	}
	for (i = 0; i < sizeof(bad_pid) / sizeof(bad_pid[0]); i++) {
		assert_int_equal(open_watchdog(l, "5000000", bad_pid[i], &n, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "WATCHDOG_PID '%s': not a process id",
		    bad_pid[i]);
		assert_string_equal(err, want);
		assert_false(n.enabled);
		assert_env_gone();
	}
}

/* Opens with NOTIFY_SOCKET set to s; returns the result, err filled. */
static int
open_socket(const char *s, struct sdnotify *n, char *err, size_t errlen)
{
	assert_int_equal(setenv("NOTIFY_SOCKET", s, 1), 0);
	err[0] = '\0';
	return sdnotify_open(n, err, errlen);
}

static void
test_notify_socket_malformed(void **state)
{
	struct sdnotify n;
	char err[256], s[256];
	size_t cap = sizeof(n.addr.sun_path);

	(void)state;
	assert_int_equal(open_socket("", &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET is empty");
	assert_env_gone();

	assert_int_equal(open_socket("run/notify", &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET 'run/notify': neither an "
	    "absolute path nor an '@' abstract name (only AF_UNIX is supported)");
	assert_int_equal(open_socket("vsock:2:1234", &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET 'vsock:2:1234': neither an "
	    "absolute path nor an '@' abstract name (only AF_UNIX is supported)");
	assert_int_equal(open_socket("@", &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET '@': empty abstract name");
	assert_false(n.enabled);
	assert_env_gone();

	/* A path fills sun_path with its NUL: at most 107 bytes. */
	memset(s, 'a', sizeof(s));
	s[0] = '/';
	s[cap - 1] = '\0';
	assert_int_equal(open_socket(s, &n, err, sizeof(err)), 0);
	assert_true(n.enabled);
	assert_int_equal(n.addrlen, sizeof(struct sockaddr_un));
	sdnotify_close(&n);
	s[cap - 1] = 'a';
	s[cap] = '\0';
	assert_int_equal(open_socket(s, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET: path of 108 bytes, a unix "
	    "socket address holds at most 107");
	assert_false(n.enabled);
	assert_env_gone();

	/* An abstract name has no NUL: '@' plus at most 107 bytes. */
	memset(s, 'a', sizeof(s));
	s[0] = '@';
	s[cap] = '\0';
	assert_int_equal(open_socket(s, &n, err, sizeof(err)), 0);
	assert_int_equal(n.addrlen, sizeof(struct sockaddr_un));
	sdnotify_close(&n);
	s[cap] = 'a';
	s[cap + 1] = '\0';
	assert_int_equal(open_socket(s, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET: abstract name of 108 bytes, "
	    "a unix socket address holds at most 107");
	memset(s + 1, 'a', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(open_socket(s, &n, err, sizeof(err)), -1);
	assert_string_equal(err, "NOTIFY_SOCKET: abstract name of 254 bytes, "
	    "a unix socket address holds at most 107");
	assert_env_gone();

	/* A malformed socket also drops the watchdog variables. */
	assert_int_equal(setenv("WATCHDOG_USEC", "5000000", 1), 0);
	assert_int_equal(open_socket("relative", &n, err, sizeof(err)), -1);
	assert_int_equal(n.watchdog_usec, 0);
	assert_env_gone();
}

static void
test_send_failures_not_fatal(void **state)
{
	struct listener *l = *state;
	struct sdnotify n;
	char err[256], big[SDNOTIFY_MSG_MAX + 2];

	listen_path(l);
	assert_int_equal(sdnotify_open(&n, err, sizeof(err)), 0);

	/* Oversized and empty messages are refused, not truncated. */
	memset(big, 'x', sizeof(big));
	big[SDNOTIFY_MSG_MAX + 1] = '\0';
	assert_int_equal(sdnotify_send(&n, big), -1);
	assert_int_equal(sdnotify_send(&n, ""), -1);
	expect_no_datagram(l->fd);
	big[SDNOTIFY_MSG_MAX] = '\0';
	assert_int_equal(sdnotify_send(&n, big), 0);
	expect_datagram(l->fd, big);

	/* A status too long is cut to the largest datagram. */
	assert_int_equal(sdnotify_status(&n, "%s", big), 0);
	memcpy(big, "STATUS=", 7);
	expect_datagram(l->fd, big);

	/* systemd gone: -1 and a warning, once; back: 0 again. */
	close(l->fd);
	l->fd = -1;
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), -1);
	assert_true(n.warned);
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), -1);
	assert_true(n.warned);
	assert_int_equal(unlink(l->env), 0);
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), -1);
	listen_path(l);
	assert_int_equal(sdnotify_send(&n, "WATCHDOG=1"), 0);
	assert_false(n.warned);
	expect_datagram(l->fd, "WATCHDOG=1");
	sdnotify_close(&n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abstract_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_is_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_socket_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_failures_not_fatal, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
