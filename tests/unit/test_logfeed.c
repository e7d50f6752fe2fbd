/*
 * test_logfeed.c - proxy log lines through the parsers into the pipeline:
 * a Squid upload with %>st alerts with the log's source, user and bytes;
 * the native format measures no uploads; Zeek http with an archive MIME
 * type is a compressed upload; rejects are counted with their first place.
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

#include "exfild/logs/logfeed.h"
#include "exfild/logs/logsource.h"

#define CONFIG_YAML \
    "sensor: unit\n" \
    "networks: { internal: [10.0.0.0/8] }\n" \
    "geo: { home: [JP], databases: [%s] }\n" \
    "baseline: { learn: 1h }\n" \
    "rules:\n" \
    "  bulk_upload: { bytes: 2MB, min_ratio: 3, severity: high }\n" \
    "  compressed_upload: { bytes: 1MB, severity: critical }\n"

#define SQUID_FMT "squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt"

static struct alert alerts[8];
static size_t nalerts;
static char geo_path[64];

static void
on_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	if (nalerts < 8)
		alerts[nalerts] = *a;
	nalerts++;
}

struct fixture {
	struct config *cfg;
	struct pipeline *p;
};

static int
setup(void **state)
{
	static struct fixture fx;
	char yaml[1024], err[512];
	int fd;

	strcpy(geo_path, "/tmp/exfild-logfeed-XXXXXX");
	fd = mkstemp(geo_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "203.0.113.0/24,HK\n198.51.100.0/24,JP\n", 37), 37);
	close(fd);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, geo_path);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.p = pipeline_new(fx.cfg, "log", on_alert, NULL, err, sizeof(err));
	assert_non_null(fx.p);
	nalerts = 0;
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	pipeline_free(fx->p);
	config_free(fx->cfg);
	unlink(geo_path);
	return 0;
}

static void
feed(struct logfeed *f, const char *source, uint64_t lineno, const char *line)
{
	logfeed_line(f, source, lineno, line, strlen(line));
}

static void
test_squid_upload_alerts_with_user(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct logfeed *f = logfeed_new(SQUID_FMT, fx->p, err, sizeof(err));
	struct logfeed_stats st;

	(void)state;
	assert_non_null(f);
	assert_true(logfeed_measures_uploads(f));
	/* learning starts with the first line; an hour later HK is new */
	feed(f, "a.log", 1, "1411000000.000    100 10.1.20.9 TCP_MISS/200 5000 400 GET "
	    "http://www.jal.example.jp/ - HIER_DIRECT/198.51.100.10 text/html");
	feed(f, "a.log", 2, "1411007200.000  90000 10.1.20.23 TCP_TUNNEL/200 20000 1500000 "
	    "CONNECT hk-files.example.net:443 alice HIER_DIRECT/203.0.113.66 -");
	assert_int_equal(nalerts, 0); /* 1.5 MB < 2 MB */
	feed(f, "a.log", 3, "1411007300.000  90000 10.1.20.23 TCP_TUNNEL/200 30000 1000000 "
	    "CONNECT hk-files.example.net:443 alice HIER_DIRECT/203.0.113.66 -");
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "bulk-upload");
	assert_string_equal(alerts[0].source, "squid-log");
	assert_string_equal(alerts[0].src_user, "alice");
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].dst_port, 443);
	assert_int_equal(alerts[0].dst_country, ('H' << 8) | 'K');
	assert_true(alerts[0].via_proxy);
	assert_int_equal(alerts[0].bytes_out, 2500000);
	assert_int_equal(alerts[0].bytes_in, 50000);
	assert_int_equal(alerts[0].flows, 2);
	assert_int_equal(alerts[0].ts_ns, 1411007300ULL * 1000000000ULL);
	/* a line that does not parse: counted by reason, first place kept */
	feed(f, "a.log", 4, "garbage");
	feed(f, "b.log", 9, "1411007400.000 1 notanaddress TCP_MISS/200 1 1 GET "
	    "http://x.example/ - HIER_NONE/- -");
	feed(f, "b.log", 10, "also garbage");
	logfeed_get_stats(f, &st);
	assert_int_equal(st.lines, 6);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.rejected, 3);
	assert_int_equal(st.reject[LOGREJ_BAD_ADDRESS], 1);
	assert_string_equal(st.first_source[LOGREJ_BAD_ADDRESS], "b.log");
	assert_int_equal(st.first_line[LOGREJ_BAD_ADDRESS], 9);
	logfeed_free(f);
}

static void
write_log(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Two files given in one replay are one time line: the earlier record
 * first, whichever file it is in (read one file after the other, the
 * upload's second half would come before its first). */
static void
test_replay_merges_files_by_time(void **state)
{
	struct fixture *fx = *state;
	char err[256], a[64], b[64];
	const char *paths[2] = { a, b };
	struct logfeed *f = logfeed_new(SQUID_FMT, fx->p, err, sizeof(err));
	struct logsrc_stats ss;
	struct logfeed_stats st;

	strcpy(a, "/tmp/exfild-logfeed-a-XXXXXX");
	strcpy(b, "/tmp/exfild-logfeed-b-XXXXXX");
	close(mkstemp(a));
	close(mkstemp(b));
	write_log(a, "1411000000.000    100 10.1.20.9 TCP_MISS/200 5000 400 GET "
	    "http://www.jal.example.jp/ - HIER_DIRECT/198.51.100.10 text/html\n"
	    "1411007300.000  90000 10.1.20.23 TCP_TUNNEL/200 30000 1000000 "
	    "CONNECT hk-files.example.net:443 alice HIER_DIRECT/203.0.113.66 -\n");
	write_log(b, "1411007200.000  90000 10.1.20.23 TCP_TUNNEL/200 20000 1500000 "
	    "CONNECT hk-files.example.net:443 alice HIER_DIRECT/203.0.113.66 -\n");
	assert_non_null(f);
	assert_int_equal(logfeed_replay(f, paths, 2, &ss, err, sizeof(err)), 0);
	assert_int_equal(ss.lines, 3);
	logfeed_get_stats(f, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].bytes_out, 2500000);
	assert_int_equal(alerts[0].ts_ns, 1411007300ULL * 1000000000ULL);
	/* a file that cannot be opened: nothing is read */
	paths[1] = "/nonexistent/exfild.log";
	assert_int_equal(logfeed_replay(f, paths, 2, &ss, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/exfild.log: No such file or directory");
	logfeed_free(f);
	unlink(a);
	unlink(b);
}

static void
test_squid_native_measures_no_uploads(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct logfeed *f = logfeed_new("squid", fx->p, err, sizeof(err));
	struct pipeline_stats st;

	assert_non_null(f);
	assert_false(logfeed_measures_uploads(f));
	feed(f, "n.log", 1, "1411000000.000    100 10.1.20.9 TCP_MISS/200 5000 GET "
	    "http://www.jal.example.jp/ - HIER_DIRECT/198.51.100.10 text/html");
	feed(f, "n.log", 2, "1411007200.000  90000 10.1.20.23 TCP_TUNNEL/200 90000000 "
	    "CONNECT hk-files.example.net:443 - HIER_DIRECT/203.0.113.66 -");
	assert_int_equal(nalerts, 0);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.log_records, 2);
	assert_int_equal(st.dests.destinations, 2); /* destinations still learned */
	logfeed_free(f);
}

static void
test_zeek_http_archive_is_compressed_upload(void **state)
{
	struct fixture *fx = *state;
	char err[256];
	struct logfeed *f = logfeed_new("zeek", fx->p, err, sizeof(err));

	assert_non_null(f);
	feed(f, "http.log", 1, "#separator \\x09");
	feed(f, "http.log", 2, "#path\thttp");
	feed(f, "http.log", 3, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
	    "id.resp_p\tmethod\thost\turi\trequest_body_len\tresponse_body_len\t"
	    "status_code\torig_mime_types");
	feed(f, "http.log", 4, "1411000000.0\tC1\t10.1.20.9\t40000\t198.51.100.10\t80\t"
	    "GET\twww.jal.example.jp\t/\t0\t5000\t200\t-");
	feed(f, "http.log", 5, "1411007200.0\tC2\t10.1.20.21\t40001\t203.0.113.66\t80\t"
	    "POST\thk-files.example.net\t/upload.php\t1200000\t300\t200\t"
	    "application/x-rar-compressed");
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].source, "zeek-http");
	assert_int_equal(alerts[0].payload[PK_RAR], 1200000);
	assert_int_equal(alerts[0].bytes_out, 1200000);
	assert_false(alerts[0].via_proxy);
	logfeed_free(f);
}

static void
test_bad_format(void **state)
{
	struct fixture *fx = *state;
	char err[256];

	assert_null(logfeed_new("bluecoat", fx->p, err, sizeof(err)));
	assert_string_equal(err, "log format \"bluecoat\": expected squid, "
	    "squid:<logformat> or zeek");
}

/* An alert raised later (the timer after a reload) still names the log it
 * came from and its user. */
static void
test_timer_alert_keeps_log_source_and_user(void **state)
{
	struct fixture *fx = *state;
	char err[256], yaml[1024];
	struct logfeed *f = logfeed_new(SQUID_FMT, fx->p, err, sizeof(err));
	struct config *cfg2;

	assert_non_null(f);
	feed(f, "a.log", 1, "1411000000.000    100 10.1.20.9 TCP_MISS/200 5000 400 GET "
	    "http://www.jal.example.jp/ - HIER_DIRECT/198.51.100.10 text/html");
	feed(f, "a.log", 2, "1411007200.000  90000 10.1.20.23 TCP_TUNNEL/200 20000 1500000 "
	    "CONNECT hk-files.example.net:443 mallory HIER_DIRECT/203.0.113.66 -");
	assert_int_equal(nalerts, 0);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, geo_path);
	strcpy(strstr(yaml, "bytes: 2MB"), "bytes: 1MB, min_ratio: 3 }\n");
	assert_int_equal(config_load_string("t2.yaml", yaml, strlen(yaml), &cfg2,
	    err, sizeof(err)), 0);
	assert_int_equal(pipeline_apply_config(fx->p, cfg2, err, sizeof(err)), 0);
	config_free(fx->cfg);
	fx->cfg = cfg2;
	pipeline_evaluate_recent(fx->p, 1411007000ULL * 1000000000ULL,
	    1411007210ULL * 1000000000ULL);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "bulk-upload");
	assert_string_equal(alerts[0].source, "squid-log");
	assert_string_equal(alerts[0].src_user, "mallory");
	assert_int_equal(alerts[0].bytes_out, 1500000);
	logfeed_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_squid_upload_alerts_with_user,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_merges_files_by_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_squid_native_measures_no_uploads,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeek_http_archive_is_compressed_upload,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_alert_keeps_log_source_and_user,
		    setup, teardown),
	};
	return cmocka_run_group_tests_name("logfeed", tests, NULL, NULL);
}
