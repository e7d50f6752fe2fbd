/*
 * test_rule_slow_upload.c - the slow-upload rule through the engine: the
 * edges of a window's threshold and of min_ratio, exact evidence and
 * reason, the buckets' edge (what a window covers), the 7-day window,
 * suppression, the windows map (defaults, replacing them, errors at
 * file:line:col), and the traps that stay quiet (a familiar destination,
 * a busy download) beside positive controls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rule_test.h"

#include "exfild/detect/engine.h"
#include "exfild/detect/registry.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/event.h"

#define SEC  1000000000ULL
#define HOUR (3600 * SEC)
#define DAY  (24 * HOUR)
/* a multiple of both windows' buckets (2 h and 14 h): bucket edges at T0 */
#define T0   (1411200000ULL * SEC)
#define MB   1000000ULL

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair;
	struct dest dest;
	size_t alerts;
	struct finding last;
};

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *fx = ctx;

	assert_string_equal(r->name, "slow-upload");
	assert_int_equal(sev, SEV_HIGH);
	fx->alerts++;
	memset(&fx->last, 0, sizeof(fx->last));
	finding_copy(&fx->last, f);
}

static struct fixture *
make_fixture(const char *rules)
{
	static struct fixture fx;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "", "slow_upload", rules);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	assert_int_equal(netaddr_parse("10.1.20.21", &fx.pair.host), 0);
	fx.pair.country = country_parse("HK");
	fx.pair.first_ns = T0;
	strcpy(fx.dest.name, "img.example");
	return &fx;
}

static void
free_fixture(struct fixture *fx)
{
	detect_free(fx->d);
	config_free(fx->cfg);
}

static int
setup(void **state)
{
	*state = make_fixture("severity: high");
	return 0;
}

static int
teardown(void **state)
{
	free_fixture(*state);
	return 0;
}

/* The pair's totals are now out and in, at T0 + t; familiar or not. */
static size_t
at(struct fixture *fx, uint64_t t, uint64_t out, uint64_t in, bool familiar)
{
	struct rule_input ri;
	struct detect_ids ids;
	size_t before = fx->alerts;

	fx->pair.total_out = out;
	fx->pair.total_in = in;
	memset(&ri, 0, sizeof(ri));
	ri.cfg = fx->cfg;
	ri.ts_ns = T0 + t;
	ri.why = RULE_ON_BYTES;
	ri.at_milestone = true; /* asked as at a byte milestone */
	ri.pair = &fx->pair;
	ri.dest = &fx->dest;
	ri.familiar = familiar;
	ri.foreign = true;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx->pair.gen;
	ids.id[RULE_SCOPE_DEST] = 2;
	ids.gen[RULE_SCOPE_DEST] = 0;
	detect_eval(fx->d, &ri, &ids, record, fx);
	return fx->alerts - before;
}

/* Another pair in the same slot: fresh state, no suppression. */
static void
next_pair(struct fixture *fx)
{
	fx->pair.gen++;
	fx->pair.total_out = fx->pair.total_in = 0;
	fx->pair.first_ns = T0;
}

/* 10 MB in 24 h: one byte under is quiet, at it alerts with exact
 * evidence, one byte over alerts too; the next bytes are suppressed. */
static void
test_threshold_edge_and_evidence(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, 5 * HOUR, 10 * MB - 1, 1000, false), 0);
	assert_int_equal(at(fx, 6 * HOUR, 10 * MB, 1000, false), 1);
	assert_string_equal(fx->last.reason, "10.1.20.21 sent 10.0 MB to "
	    "img.example (HK) within 24 h, 1.0 kB back; first seen "
	    "Sat 2014-09-20 08:00 UTC");
	assert_int_equal(rule_test_field(&fx->last, "long_window_s")->u64, 86400);
	assert_int_equal(rule_test_field(&fx->last, "long_out")->u64, 10 * MB);
	assert_int_equal(rule_test_field(&fx->last, "long_in")->u64, 1000);
	assert_int_equal(rule_test_field(&fx->last, "threshold")->u64, 10 * MB);
	assert_string_equal(finding_text(&fx->last, rule_test_field(&fx->last,
	    "first_contact")), "2014-09-20T08:00:00.000Z");
	assert_int_equal(at(fx, 7 * HOUR - 1, 11 * MB, 1000, false), 0);
	/* rules.suppress (1 h) after the alert, still over: again */
	assert_int_equal(at(fx, 7 * HOUR, 12 * MB, 1000, false), 1);

	next_pair(fx);
	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, HOUR, 10 * MB + 1, 0, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "long_out")->u64, 10 * MB + 1);
}

/* out/in at min_ratio (3) alerts, just under it does not: a busy
 * download stays quiet. */
static void
test_ratio_edge(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, HOUR, 12 * MB, 4 * MB + 1, false), 0);
	next_pair(fx);
	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, HOUR, 12 * MB, 4 * MB, false), 1);
}

/* A window of 24 h is 12 buckets of 2 h: bytes in the bucket 22 h before
 * the newest still count, bytes 24 h before do not. */
static void
test_bucket_edges(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, 0, 6 * MB, 0, false), 0);
	assert_int_equal(at(fx, DAY - 1, 10 * MB, 0, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "long_window_s")->u64, 86400);

	next_pair(fx);
	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, 0, 6 * MB, 0, false), 0);
	assert_int_equal(at(fx, DAY, 10 * MB, 0, false), 0);
}

/* 20 MB over five days: the 24 h window never holds 10 MB, the 7-day
 * window reaches 20 MB; the alert names it. */
static void
test_seven_day_window(void **state)
{
	struct fixture *fx = *state;
	uint64_t out = 0;
	int day;

	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	for (day = 0; day < 5 && fx->alerts == 0; day++) {
		out += 4 * MB;
		at(fx, (uint64_t)day * DAY + HOUR, out, 100000, false);
	}
	assert_int_equal(fx->alerts, 1);
	assert_int_equal(day, 5);
	assert_int_equal(rule_test_field(&fx->last, "long_window_s")->u64, 7 * 86400);
	assert_int_equal(rule_test_field(&fx->last, "long_out")->u64, 20 * MB);
	assert_int_equal(rule_test_field(&fx->last, "threshold")->u64, 20 * MB);
	assert_string_equal(fx->last.reason, "10.1.20.21 sent 20.0 MB to "
	    "img.example (HK) within 7 d, 100.0 kB back; first seen "
	    "Sat 2014-09-20 08:00 UTC");
}

/* The same bytes to a familiar destination stay quiet (the engine's
 * gate); to an unfamiliar one they alert. */
static void
test_familiar_quiet(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(at(fx, 0, 0, 0, true), 0);
	assert_int_equal(at(fx, HOUR, 30 * MB, 0, true), 0);
	next_pair(fx);
	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, HOUR, 30 * MB, 0, false), 1);
}

/* A pair first looked at long after it was first seen: its earlier bytes
 * count in no window that cannot hold them. */
static void
test_first_look_at_an_old_pair(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(at(fx, 8 * DAY, 30 * MB, 0, false), 0);
	next_pair(fx);
	/* 3 days old: too old for 24 h, young enough for 7 d */
	assert_int_equal(at(fx, 3 * DAY, 30 * MB, 0, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "long_window_s")->u64, 7 * 86400);
}

/* The windows map replaces the defaults; min_ratio and the byte step. */
static void
test_settings(void **state)
{
	struct fixture *fx = *state;
	double v;

	assert_int_equal(config_rule_get(fx->cfg, "slow_upload", "min_ratio", &v), 0);
	assert_true(v == 3.0);
	/* 10 MB / 16 */
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->every_bytes_out, 625000);
	free_fixture(fx);
	fx = make_fixture("windows: { 90m: 1MB }, min_ratio: 0");
	*state = fx;
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->every_bytes_out, 62500);
	assert_int_equal(at(fx, 0, 0, 0, false), 0);
	assert_int_equal(at(fx, HOUR, MB, 50 * MB, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "long_window_s")->u64, 5400);
	assert_string_equal(fx->last.reason, "10.1.20.21 sent 1.0 MB to "
	    "img.example (HK) within 90 min, 50.0 MB back; first seen "
	    "Sat 2014-09-20 08:00 UTC");
}

static void
expect_error(const char *rules, const char *msg)
{
	char yaml[512], err[CONFIG_ERR_LEN];
	struct config *cfg = NULL;

	snprintf(yaml, sizeof(yaml), "rules: { slow_upload: { %s } }\n", rules);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), -1);
	assert_string_equal(err, msg);
}

static void
test_config_errors(void **state)
{
	(void)state;
	expect_error("windows: { 2x: 10MB }", "t.yaml:1:40: rules.slow_upload."
	    "windows: invalid value \"10MB\": window \"2x\" is not a duration");
	expect_error("windows: { 0s: 10MB }", "t.yaml:1:40: rules.slow_upload."
	    "windows: invalid value \"10MB\": window \"0s\" is not a duration");
	expect_error("windows: { 24h: lots }", "t.yaml:1:41: rules.slow_upload."
	    "windows: invalid value \"lots\": not a size");
	expect_error("windows: { 24h: 0 }", "t.yaml:1:41: rules.slow_upload."
	    "windows: invalid value \"0\": not a size");
	expect_error("windows: { 24h: 1MB, 1d: 2MB }", "t.yaml:1:50: "
	    "rules.slow_upload.windows: invalid value \"2MB\": window 1d given twice");
	expect_error("windows: { 1h: 1MB, 2h: 1MB, 3h: 1MB, 4h: 1MB, 5h: 1MB }",
	    "t.yaml:1:76: rules.slow_upload.windows: invalid value \"1MB\": "
	    "at most 4 windows");
	expect_error("windows: [24h]", "t.yaml:1:34: rules.slow_upload.windows: "
	    "expected a mapping");
	expect_error("min_ratio: -1", "t.yaml:1:36: rules.slow_upload.min_ratio: "
	    "invalid ratio \"-1\" (expected a number >= 0)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_threshold_edge_and_evidence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratio_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bucket_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seven_day_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_familiar_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_look_at_an_old_pair, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests_name("rule_slow_upload", tests, NULL, NULL);
}
