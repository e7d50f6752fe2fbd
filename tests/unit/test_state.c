/*
 * test_state.c - the detection state kept across a restart (track/state.h):
 * a campaign and a slow upload begun before a restart complete after it
 * (and not without the saved state: the positive control), the file reads
 * back to the same file, the rules' suppression survives, and a hostile
 * file is refused by line or its records dropped and counted.
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

#include "rule_test.h"

#include "exfild/pipeline/pipeline.h"
#include "exfild/track/state.h"

#define SEC 1000000000ULL
#define HOUR (3600 * SEC)
#define T0 (1411000000ULL * SEC)
#define KB 1000ULL

static char dir[64], geo_path[128], state_path[128];
static struct alert alerts[8];
static size_t nalerts;

static void
on_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	if (nalerts < 8)
		alerts[nalerts] = *a;
	nalerts++;
}

#define CONFIG_YAML \
    "sensor: unit\n" \
    "networks: { internal: [10.0.0.0/8] }\n" \
    "geo: { home: [JP], databases: [%s] }\n" \
    "baseline: { learn: 1h, state: %s }\n" \
    "rules:\n" \
    "  suppress: 24h\n" \
    "  campaign: { hosts: 3, bytes: 100KB, window: 24h }\n" \
    "  slow_upload: { windows: { 24h: 1MB }, min_ratio: 3 }\n" \
    "limits: { flows: 64, pairs: 64, destinations: 64, names: 64, hosts: 64 }\n"

static struct config *cfg;

static int
setup(void **state)
{
	char yaml[1024], err[512];
	FILE *fp;

	(void)state;
	strcpy(dir, "/tmp/exfild-state-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(geo_path, sizeof(geo_path), "%s/geo.csv", dir);
	snprintf(state_path, sizeof(state_path), "%s/baseline.state", dir);
	fp = fopen(geo_path, "w");
	assert_non_null(fp);
	fputs("203.0.113.0/24,HK\n198.51.100.0/24,JP\n", fp);
	fclose(fp);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, geo_path, state_path);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), 0);
	nalerts = 0;
	return 0;
}

static int
teardown(void **state)
{
	char path[160];

	(void)state;
	config_free(cfg);
	unlink(geo_path);
	unlink(state_path);
	snprintf(path, sizeof(path), "%s/copy", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static struct pipeline *
start(void)
{
	char err[512];
	struct pipeline *p = pipeline_new(cfg, "pcap", on_alert, NULL, err,
	    sizeof(err));

	if (p == NULL)
		fail_msg("%s", err);
	return p;
}

/* One proxy-log line's worth: host sent `out` bytes to name at ts. */
static void
upload(struct pipeline *p, const char *host, const char *name,
    const char *addr, uint64_t ts, uint64_t out)
{
	struct traffic_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = ev.conn_ns = ts;
	netaddr_parse(host, &ev.host);
	ev.dst_name = name;
	netaddr_parse(addr, &ev.dst_addr);
	ev.dst_port = 443;
	ev.proto = 6;
	ev.conn_start = true;
	ev.from_host = out > 0;
	ev.bytes_out = out;
	ev.bytes_in = 1000;
	ev.source = EVENT_SQUID_LOG;
	ev.user = "alice";
	pipeline_event(p, &ev);
}

/* Before the restart: learning, then two of the three campaign hosts and
 * the first half of a slow upload. */
static void
before_restart(struct pipeline *p)
{
	upload(p, "10.1.1.9", "intranet.example", "198.51.100.5", T0, 0);
	upload(p, "10.1.1.1", "hk.example", "203.0.113.66", T0 + 2 * HOUR, 150 * KB);
	upload(p, "10.1.1.2", "hk.example", "203.0.113.66", T0 + 3 * HOUR, 150 * KB);
	upload(p, "10.1.1.4", "slow.example", "203.0.113.70", T0 + 2 * HOUR, 600 * KB);
}

static void
after_restart(struct pipeline *p)
{
	upload(p, "10.1.1.3", "hk.example", "203.0.113.66", T0 + 5 * HOUR, 150 * KB);
	upload(p, "10.1.1.4", "slow.example", "203.0.113.70", T0 + 6 * HOUR, 600 * KB);
}

static size_t
read_all(const char *path, char *buf, size_t len)
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
write_all(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static const struct alert *
alert_of(const char *rule, const char *src)
{
	char buf[NETADDR_STRLEN];
	size_t i;

	for (i = 0; i < nalerts && i < 8; i++) {
		netaddr_format(&alerts[i].src, buf, sizeof(buf));
		if (strcmp(alerts[i].rule, rule) == 0 && strcmp(buf, src) == 0)
			return &alerts[i];
	}
	return NULL;
}

static void
test_campaign_and_slow_upload_span_a_restart(void **state)
{
	static char first[65536], second[65536];
	const struct alert *a;
	struct pipeline *p;
	char err[512];

	(void)state;
	p = start();
	before_restart(p);
	assert_int_equal(nalerts, 0);
	assert_int_equal(pipeline_save_baseline(p, err, sizeof(err)), 0);
	pipeline_free(p);
	read_all(state_path, first, sizeof(first));
	assert_non_null(strstr(first, "\nobserved 1411000000000000000\n"));
	assert_non_null(strstr(first, "\nhost 10.1.1.4 1411007200000000000 "));
	assert_non_null(strstr(first, "\npair 10.1.1.1 203.0.113.66 hk.example "));
	assert_non_null(strstr(first, " squid-log 616c696365\n")); /* "alice" */
	assert_non_null(strstr(first, "\nstate campaign dest 203.0.113.66 hk.example "));
	assert_non_null(strstr(first, "\nstate slow-upload pair 10.1.1.4 "));

	/* the restarted sensor: the file reads back to the same records (the
	 * destinations come back ordered by last use, which the first run
	 * kept in order of arrival), and to the same file from then on */
	p = start();
	assert_int_equal(pipeline_save_baseline(p, err, sizeof(err)), 0);
	pipeline_free(p);
	assert_int_equal(read_all(state_path, second, sizeof(second)),
	    strlen(first));
	p = start();
	assert_int_equal(pipeline_save_baseline(p, err, sizeof(err)), 0);
	read_all(state_path, first, sizeof(first));
	assert_string_equal(first, second);

	after_restart(p);
	assert_int_equal(nalerts, 4);
	a = alert_of("campaign", "10.1.1.3");
	assert_non_null(a);
	assert_string_equal(a->finding.text +
	    rule_test_field(&a->finding, "host_list")->str_off,
	    "10.1.1.1,10.1.1.2,10.1.1.3");
	/* the members from before the restart alert too, with their log */
	assert_non_null(alert_of("campaign", "10.1.1.1"));
	assert_non_null(a = alert_of("campaign", "10.1.1.2"));
	assert_string_equal(a->source, "squid-log");
	assert_string_equal(a->src_user, "alice");
	a = alert_of("slow-upload", "10.1.1.4");
	assert_non_null(a);
	assert_int_equal(rule_test_field(&a->finding, "long_out")->u64, 1200 * KB);
	assert_int_equal(a->bytes_out, 600 * KB); /* the 1 h window's */

	/* suppression is kept too: saved, loaded, the same upload is quiet */
	assert_int_equal(pipeline_save_baseline(p, err, sizeof(err)), 0);
	pipeline_free(p);
	nalerts = 0;
	p = start();
	upload(p, "10.1.1.4", "slow.example", "203.0.113.70", T0 + 7 * HOUR, 600 * KB);
	upload(p, "10.1.1.5", "hk.example", "203.0.113.66", T0 + 7 * HOUR, 150 * KB);
	/* quiet for 10.1.1.4; the campaign's new member alerts (a control) */
	assert_int_equal(nalerts, 1);
	assert_non_null(alert_of("campaign", "10.1.1.5"));
	pipeline_free(p);
}

/* The positive control's other half: without the saved state, the same
 * traffic after the restart is quiet (one host, half an upload). */
static void
test_without_state_the_same_traffic_is_quiet(void **state)
{
	struct pipeline *p;

	(void)state;
	unlink(state_path);
	p = start();
	upload(p, "10.1.1.9", "intranet.example", "198.51.100.5", T0, 0);
	after_restart(p);
	assert_int_equal(nalerts, 0);
	pipeline_free(p);
}

/* Saves the before-restart state and returns the file's text. */
static void
saved_state(char *text, size_t len)
{
	struct pipeline *p = start();
	char err[512];

	before_restart(p);
	assert_int_equal(pipeline_save_baseline(p, err, sizeof(err)), 0);
	pipeline_free(p);
	read_all(state_path, text, len);
}

/* Replaces the first line starting with `prefix` by `line` (or adds it
 * at the end when prefix is NULL). */
static void
edit_line(char *text, size_t len, const char *prefix, const char *line)
{
	char out[65536], *at, *eol;

	if (prefix == NULL) {
		snprintf(out, sizeof(out), "%s%s\n", text, line);
	} else {
		at = strstr(text, prefix);
		assert_non_null(at);
		eol = strchr(at, '\n');
		assert_non_null(eol);
		snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - text), text, line,
		    eol);
	}
	snprintf(text, len, "%s", out);
}

static void
test_hostile_records_dropped_and_counted(void **state)
{
	static char text[65536];
	struct track_state_stats st;
	struct tracker *t;
	char err[512], *at;
	struct geo *geo = geo_new();
	struct names *names = names_new(64, &(struct hash_key){ 1, 2 });

	(void)state;
	saved_state(text, sizeof(text));
	/* the campaign's destination state with a member of no family */
	at = strstr(text, "\nstate campaign dest ");
	assert_non_null(at);
	at = strrchr(strchr(at + 1, '\n') - 1, ' ') + 1; /* its hex */
	/* the first member's family byte: after at_ns, bytes, 16 address bytes */
	memcpy(at + 2 * 32, "07", 2);
	/* a record of a later version, a rule this one has not */
	edit_line(text, sizeof(text), NULL, "flows 1 2 3");
	edit_line(text, sizeof(text), NULL,
	    "state no-such-rule host 10.1.1.1 00");
	write_all(state_path, text);
	t = track_new(cfg, &(struct hash_key){ 1, 2 }, geo, names, NULL, NULL);
	assert_non_null(t);
	assert_int_equal(track_state_load(t, state_path, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.hosts, 4);
	assert_int_equal(st.pairs, 4);
	assert_int_equal(st.dropped, 3);
	track_free(t);
	names_free(names);
	geo_free(geo);
}

/* A version 1 file (destinations only, from before the state was kept)
 * still loads, familiarity and all: the learned destination stays quiet,
 * the unfamiliar one alerts (the control). */
static void
test_version_1_file_still_loads(void **state)
{
	struct pipeline *p;

	(void)state;
	write_all(state_path, "exfild-baseline 1 learn_start=1411000000000000000\n"
	    "1411000000000000000 1411000000000000000 learned 203.0.113.5 old.example\n"
	    "1411007200000000000 1411007200000000000 unfamiliar 203.0.113.66 hk.example\n");
	p = start();
	upload(p, "10.1.1.4", "old.example", "203.0.113.5", T0 + 2 * HOUR, 600 * KB);
	upload(p, "10.1.1.4", "old.example", "203.0.113.5", T0 + 3 * HOUR, 600 * KB);
	assert_int_equal(nalerts, 0);
	upload(p, "10.1.1.4", "hk.example", "203.0.113.66", T0 + 2 * HOUR, 600 * KB);
	upload(p, "10.1.1.4", "hk.example", "203.0.113.66", T0 + 3 * HOUR, 600 * KB);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "slow-upload");
	pipeline_free(p);
}

static void
test_bad_lines_refused_with_their_line(void **state)
{
	static const struct {
		const char *prefix, *line, *message;
	} cases[] = {
		{ "pair 10.1.1.1 ", "pair 10.1.1.1", "pair: expected 19 fields, not 2" },
		{ "host 10.1.1.4 ", "host 10.1.1.4 1 2 3 4 5 6 7 8 9 1,2",
		    "invalid pulls \"1,2\"" },
		{ "window ", "window -5", "invalid bucket width \"-5\"" },
		{ "state slow-upload ", "state slow-upload pair 10.1.1.4 - - 0g",
		    "invalid state bytes \"0g\"" },
		{ NULL, "suppress bulk-upload 10.1.1.4 - x 1x", "invalid time \"1x\"" },
		{ "observed ", "observed 1 2", "observed: expected 2 fields, not 3" },
		{ NULL, "1 2 learned - late.example",
		    "destination after the state records" },
	};
	static char text[65536], base[65536];
	struct track_state_stats st;
	struct tracker *t;
	char err[512], want[512];
	size_t i, lineno;
	struct geo *geo = geo_new();
	struct names *names = names_new(64, &(struct hash_key){ 1, 2 });
	const char *at;

	(void)state;
	saved_state(base, sizeof(base));
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), "%s", base);
		edit_line(text, sizeof(text), cases[i].prefix, cases[i].line);
		write_all(state_path, text);
		at = strstr(text, cases[i].line);
		for (lineno = 1; at > text; at--)
			lineno += at[-1] == '\n';
		t = track_new(cfg, &(struct hash_key){ 1, 2 }, geo, names, NULL,
		    NULL);
		assert_int_equal(track_state_load(t, state_path, NULL, &st, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%zu: %s", state_path, lineno,
		    cases[i].message);
		assert_string_equal(err, want);
		track_free(t);
	}
	names_free(names);
	geo_free(geo);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_campaign_and_slow_upload_span_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_without_state_the_same_traffic_is_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hostile_records_dropped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_version_1_file_still_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_lines_refused_with_their_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
