/*
 * test_output_set.c - a configuration's outputs: a reload keeps a syslog
 * output whose settings did not change (same object, same spool), reopens
 * one whose settings changed (its spool lock released first), and on an
 * error leaves the running set as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "exfild/output/output_set.h"

static char dir[64];

static struct config *
load(const char *fmt_outputs)
{
	char yaml[1024], err[512];
	struct config *c;

	snprintf(yaml, sizeof(yaml), "daemon: { state_dir: %s }\noutputs:\n%s", dir,
	    fmt_outputs);
	if (config_load_string("t.yaml", yaml, strlen(yaml), &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return c;
}

static void
test_reload_keeps_unchanged_syslog(void **state)
{
	struct event_base *base = event_base_new();
	struct output_set a, b, c, d;
	struct config *ca, *cb, *cc, *cd;
	struct output *kept;
	char err[512], cmd[128];

	(void)state;
	strcpy(dir, "/tmp/exfild-outset-XXXXXX");
	assert_non_null(mkdtemp(dir));
	ca = load("  - syslog: { target: \"udp://127.0.0.1:9\", format: cef, name: siem }\n");
	assert_int_equal(output_set_open(&a, ca, base, false, NULL, err, sizeof(err)), 0);
	assert_int_equal(a.n, 1);
	kept = a.v[0];

	/* the same settings, plus a file: the syslog output is moved over */
	cb = load("  - syslog: { target: \"udp://127.0.0.1:9\", format: cef, name: siem }\n"
	    "  - file: { path: /dev/null }\n");
	assert_int_equal(output_set_reopen_from(&b, cb, base, &a, err, sizeof(err)), 0);
	assert_int_equal(b.n, 2);
	assert_ptr_equal(b.v[0], kept);
	assert_null(a.v[0]);
	output_set_close(&a);
	config_free(ca);

	/* a broken new output: -1, and the running set is whole again */
	cc = load("  - syslog: { target: \"udp://127.0.0.1:9\", format: leef, name: siem }\n"
	    "  - file: { path: /nonexistent-exfild/x.json }\n");
	assert_int_equal(output_set_reopen_from(&c, cc, base, &b, err, sizeof(err)), -1);
	/* (the key and its place in front: config_blame) */
	assert_string_equal(err, "t.yaml:4:19: outputs.file.path: "
	    "/nonexistent-exfild/x.json: No such file or directory");
	assert_non_null(b.v[0]); /* reopened after being closed for the change */
	assert_non_null(b.v[1]);
	config_free(cc);

	/* changed settings: closed, then opened again on the same spool */
	cd = load("  - syslog: { target: \"udp://127.0.0.1:9\", format: leef, name: siem }\n");
	assert_int_equal(output_set_reopen_from(&d, cd, base, &b, err, sizeof(err)), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(d.v[0]);
	assert_null(b.v[0]);
	output_set_close(&b);
	config_free(cb);
	output_set_close(&d);
	config_free(cd);
	event_base_free(base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_keeps_unchanged_syslog),
	};
	return cmocka_run_group_tests_name("output_set", tests, NULL, NULL);
}
