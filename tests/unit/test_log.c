/*
 * test_log.c - where log lines go: stderr alone (-f, a replay), syslog
 * alone when there is a syslog socket and no terminal, and stderr as well
 * when there is no syslog socket (errors must reach a person).
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

#include "exfild/util/log.h"
#include "stderr_capture.h"

/* What one warning logged after log_init_syslog(to_stderr, devlog) wrote
 * on stderr (not a terminal here: a file). */
static void
logged(bool to_stderr, const char *devlog, char *out, size_t outlen)
{
	stderr_capture_begin();
	log_init_syslog("test_log", to_stderr, LOG_LEVEL_INFO, devlog);
	log_warnx("config %s: %d", "x.yaml", 7);
	log_debug("not at this level");
	stderr_capture_end(out, outlen);
}

static void
test_foreground_stderr(void **state)
{
	char out[256];

	(void)state;
	logged(true, "/nonexistent/exfild-test-log", out, sizeof(out));
	assert_string_equal(out, "exfild: config x.yaml: 7\n");
}

/* No syslog socket: the line reaches stderr too. */
static void
test_no_syslog_socket(void **state)
{
	char out[256];

	(void)state;
	logged(false, "/nonexistent/exfild-test-log", out, sizeof(out));
	assert_string_equal(out, "exfild: config x.yaml: 7\n");
	/* a path that is not a socket is no syslog either */
	logged(false, "/dev/null", out, sizeof(out));
	assert_string_equal(out, "exfild: config x.yaml: 7\n");
}

/* A syslog socket and no terminal: syslog alone (the positive control). */
static void
test_syslog_socket(void **state)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/exfild-test-log-XXXXXX", out[256];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/log", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	logged(false, sun.sun_path, out, sizeof(out));
	assert_string_equal(out, "");
	close(fd);
	unlink(sun.sun_path);
	rmdir(dir);
	log_init("test_log", true, LOG_LEVEL_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_foreground_stderr),
		cmocka_unit_test(test_no_syslog_socket),
		cmocka_unit_test(test_syslog_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
