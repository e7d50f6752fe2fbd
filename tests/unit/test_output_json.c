/*
 * test_output_json.c - line output to a file: one line per alert (JSON,
 * or an ECS/CEF/LEEF body), appended, counted, and reopened (logrotate).
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

#include "exfild/output/output.h"

static void
make_alert(struct alert *a, const char *host)
{
	memset(a, 0, sizeof(*a));
	a->ts_ns = 1411013400123000000ULL;
	a->sensor = "s";
	a->rule = "bulk-upload";
	a->severity = SEV_HIGH;
	a->source = "pcap";
	netaddr_parse("10.1.20.21", &a->src);
	netaddr_parse("203.0.113.66", &a->dst);
	a->dst_port = 443;
	strcpy(a->dst_host, host);
	a->dst_country = ('H' << 8) | 'K';
	a->via_proxy = true;
	a->bytes_out = 5;
	a->window_s = 3600;
	alert_make_id(a, 1);
}

static size_t
read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

static void
test_file_lines_and_reopen(void **state)
{
	char dir[] = "/tmp/exfild-out-XXXXXX", path[64], rotated[64], buf[4096];
	char err[256];
	struct output *o;
	struct alert a;
	const char *nl;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/alerts.json", dir);
	snprintf(rotated, sizeof(rotated), "%s/alerts.json.1", dir);
	o = output_json_file(path, err, sizeof(err));
	assert_non_null(o);
	make_alert(&a, "hk-files.example.net");
	assert_int_equal(output_emit(o, &a), 0);
	make_alert(&a, "a\"b\nc");
	assert_int_equal(output_emit(o, &a), 0);
	assert_int_equal(output_flush(o), 0);
	read_file(path, buf, sizeof(buf));
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	assert_non_null(strstr(buf, "\"dst_host\":\"hk-files.example.net\""));
	assert_non_null(strstr(nl + 1, "\"dst_host\":\"a\\\"b\\nc\""));
	assert_int_equal(strchr(nl + 1, '\n')[1], '\0'); /* exactly two lines */
	assert_int_equal(o->stats.emitted, 2);
	/* logrotate: rename, then reopen writes to a new file */
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(output_reopen(o), 0);
	make_alert(&a, "after.example");
	assert_int_equal(output_emit(o, &a), 0);
	output_close(o);
	read_file(path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "after.example"));
	assert_null(strstr(buf, "hk-files"));
	unlink(path);
	unlink(rotated);
	rmdir(dir);
}

static void
test_unopenable_file(void **state)
{
	char err[256];

	(void)state;
	assert_null(output_json_file("/nonexistent-dir/x.json", err, sizeof(err)));
	assert_string_equal(err, "/nonexistent-dir/x.json: No such file or directory");
	/* a symlink is refused: a replay run as root must not follow one */
	{
		char dir[] = "/tmp/exfild-out-XXXXXX", link[64], target[64];

		assert_non_null(mkdtemp(dir));
		snprintf(link, sizeof(link), "%s/alerts.json", dir);
		snprintf(target, sizeof(target), "%s/victim", dir);
		assert_int_equal(symlink(target, link), 0);
		assert_null(output_json_file(link, err, sizeof(err)));
		assert_non_null(strstr(err, "alerts.json: is a symbolic link (refused)"));
		assert_int_equal(access(target, F_OK), -1);
		unlink(link);
		rmdir(dir);
	}
}

/* A file in another format: one body a line, as syslog_format writes it. */
static void
test_file_other_formats(void **state)
{
	static const struct { enum output_format f; const char *start; } cases[] = {
		{ OUTPUT_FORMAT_CEF, "CEF:0|exfild|exfild|" },
		{ OUTPUT_FORMAT_LEEF, "LEEF:2.0|exfild|exfild|" },
		{ OUTPUT_FORMAT_ECS, "{\"@timestamp\":\"2014-09-18T04:10:00.123Z\"" },
	};
	char dir[] = "/tmp/exfild-out-XXXXXX", path[64], buf[4096], err[256];
	struct output *o;
	struct alert a;
	size_t i, n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/alerts.%zu", dir, i);
		o = output_file_new(path, cases[i].f, err, sizeof(err));
		assert_non_null(o);
		make_alert(&a, "hk|files=x");
		assert_int_equal(output_emit(o, &a), 0);
		assert_int_equal(output_emit(o, &a), 0);
		output_close(o);
		n = read_file(path, buf, sizeof(buf));
		assert_memory_equal(buf, cases[i].start, strlen(cases[i].start));
		/* two lines, each the whole body */
		assert_int_equal(buf[n - 1], '\n');
		assert_memory_equal(strchr(buf, '\n') + 1, cases[i].start,
		    strlen(cases[i].start));
		unlink(path);
	}
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_lines_and_reopen),
		cmocka_unit_test(test_unopenable_file),
		cmocka_unit_test(test_file_other_formats),
	};
	return cmocka_run_group_tests_name("output_json", tests, NULL, NULL);
}
