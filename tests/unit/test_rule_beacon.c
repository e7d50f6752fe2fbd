/*
 * test_rule_beacon.c - the beacon rule through the engine: the edge of
 * min_connections and of score, the exact evidence of a perfectly regular
 * beacon, check-ins at 300 s and 600 s with +-10 % jitter above 0.8 and a
 * person's visits at random times (exponential gaps, 60 a day) below it,
 * bursts counted as one check-in, the window, suppression, and the
 * familiarity gate, each quiet case beside a positive control.
 */
#include <math.h>
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

#define SEC 1000000000ULL
#define T0 (1411000000ULL * SEC)
#ifndef N_CONTACTS
#define N_CONTACTS 24
#endif

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair;
	struct dest dest;
	uint32_t gen;     /* the pair's generation (a new one: fresh state) */
	size_t alerts;
	struct finding last;
};

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *fx = ctx;

	assert_string_equal(r->name, "beacon");
	assert_int_equal(sev, SEV_HIGH);
	fx->alerts++;
	memset(&fx->last, 0, sizeof(fx->last));
	finding_copy(&fx->last, f);
}

static struct fixture *
make_fixture(const char *rules)
{
	static struct fixture fx;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 0, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "", "beacon", rules);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	assert_int_equal(netaddr_parse("10.1.20.21", &fx.pair.host), 0);
	fx.pair.country = country_parse("HK");
	strcpy(fx.dest.name, "c2.example");
	return &fx;
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
	struct fixture *fx = *state;

	detect_free(fx->d);
	config_free(fx->cfg);
	return 0;
}

/* One contact at ts (seconds after T0, fractional). */
static void
contact(struct fixture *fx, double t_s, bool familiar)
{
	struct traffic_event ev;
	struct rule_input in;
	struct detect_ids ids;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = T0 + (uint64_t)llround(t_s * 1e9);
	ev.conn_start = true;
	ev.conn_ns = ev.ts_ns;
	memset(&in, 0, sizeof(in));
	in.cfg = fx->cfg;
	in.ts_ns = ev.ts_ns;
	in.why = RULE_ON_CONN;
	in.ev = &ev;
	in.pair = &fx->pair;
	in.dest = &fx->dest;
	in.familiar = familiar;
	in.foreign = true;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx->gen;
	ids.id[RULE_SCOPE_DEST] = 2;
	ids.gen[RULE_SCOPE_DEST] = 0;
	detect_eval(fx->d, &in, &ids, record, fx);
}

/* 23 regular contacts: quiet; the 24th (min_connections): the alert,
 * with exact evidence; the 25th: suppressed. */
static void
test_min_connections_edge_and_evidence(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < 23; i++)
		contact(fx, 300.0 * i, false);
	assert_int_equal(fx->alerts, 0);
	contact(fx, 300.0 * 23, false);
	assert_int_equal(fx->alerts, 1);
	assert_string_equal(fx->last.reason, "10.1.20.21 contacted c2.example (HK) "
	    "24 times within 24 h, every 300 s (MAD 0.0 s): beacon score 1.00");
	assert_int_equal(rule_test_field(&fx->last, "connections")->u64, 24);
	assert_true(rule_test_field(&fx->last, "median_gap_s")->dbl == 300.0);
	assert_true(rule_test_field(&fx->last, "mad_s")->dbl == 0.0);
	assert_true(rule_test_field(&fx->last, "skew")->dbl == 0.0);
	assert_true(rule_test_field(&fx->last, "score")->dbl == 1.0);
	contact(fx, 300.0 * 24, false);
	assert_int_equal(fx->alerts, 1);
}

/* score is a threshold too: at it alerts, just over it does not. */
static void
test_score_edge(void **state)
{
	struct fixture *fx = *state;
	int i;

	/* (the setup's fixture is replaced: free it first) */
	detect_free(fx->d);
	config_free(fx->cfg);
	fx = make_fixture("score: 1.0");
	for (i = 0; i < 24; i++)
		contact(fx, 600.0 * i, false);
	assert_int_equal(fx->alerts, 1);
	detect_free(fx->d);
	config_free(fx->cfg);
	fx = make_fixture("score: 1.001");
	for (i = 0; i < 24; i++)
		contact(fx, 600.0 * i, false);
	assert_int_equal(fx->alerts, 0);
	detect_free(fx->d);
	config_free(fx->cfg);
	*state = make_fixture("severity: high");
}

/* A deterministic uniform number in [0, 1). */
static double
uniform(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*seed >> 11) / 9007199254740992.0;
}

/* The beacon score of n contacts whose gaps come from gap(); the engine's
 * own evidence, with min_connections and score low enough to report it. */
static double
score_of(double (*gap)(uint64_t *, double), double period, uint64_t seed,
    int n, int *alerts)
{
	char rules[128];
	struct fixture *fx;
	double t = 0, score = -1;
	int i;

	snprintf(rules, sizeof(rules), "min_connections: %d, score: 0, "
	    "window: 7d", n);
	fx = make_fixture(rules);

	/* (a random gap under BEACON_BURST_NS merges two contacts: a few more) */
	for (i = 0; i < n + 8 && fx->alerts == 0; i++) {
		contact(fx, t, false);
		t += gap(&seed, period);
	}
	if (fx->alerts > 0)
		score = rule_test_field(&fx->last, "score")->dbl;
	*alerts = (int)fx->alerts;
	detect_free(fx->d);
	config_free(fx->cfg);
	return score;
}

/* An implant sleeping period +- 10 %. */
static double
jittered(uint64_t *seed, double period)
{
	return period * (0.9 + 0.2 * uniform(seed));
}

/* A person: exponential gaps (a Poisson process of that mean). */
static double
exponential(uint64_t *seed, double mean)
{
	return -mean * log(1.0 - uniform(seed));
}

/* N_CONTACTS contacts each: every jittered beacon scores above 0.8, every run of
 * random visits below it. */
static void
test_scores_separate(void **state)
{
	double s, beacon_min = 1, random_max = 0;
	uint64_t seed;
	int alerts;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		s = score_of(jittered, 300, seed, N_CONTACTS, &alerts);
		assert_int_equal(alerts, 1);
		beacon_min = fmin(beacon_min, s);
		s = score_of(jittered, 600, seed + 1000, N_CONTACTS, &alerts);
		assert_int_equal(alerts, 1);
		beacon_min = fmin(beacon_min, s);
		s = score_of(exponential, 86400.0 / 60, seed, N_CONTACTS, &alerts);
		assert_int_equal(alerts, 1);
		random_max = fmax(random_max, s);
	}
	print_message("beacon: lowest jittered score %.3f, highest random %.3f\n",
	    beacon_min, random_max);
	assert_true(beacon_min > 0.8);
	assert_true(random_max < 0.8);
}

/* With the default settings: random browsing stays quiet, a beacon over
 * the same day alerts (the positive control). */
static void
test_random_visits_quiet_beacon_alerts(void **state)
{
	struct fixture *fx = *state;
	uint64_t seed = 7;
	double t = 0;
	int i;

	for (i = 0; i < 60; i++) {
		contact(fx, t, false);
		t += exponential(&seed, 86400.0 / 60);
	}
	assert_int_equal(fx->alerts, 0);
	fx->gen++; /* another pair in the same slot */
	t = 0;
	for (i = 0; i < 60 && fx->alerts == 0; i++) {
		contact(fx, t, false);
		t += jittered(&seed, 600);
	}
	assert_int_equal(fx->alerts, 1);
}

/* Several connections within a second are one check-in. */
static void
test_bursts_are_one_check_in(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < 23; i++) {
		contact(fx, 300.0 * i, false);
		contact(fx, 300.0 * i + 0.2, false);
		contact(fx, 300.0 * i + 1.1, false);
	}
	assert_int_equal(fx->alerts, 0);
	contact(fx, 300.0 * 23, false);
	assert_int_equal(fx->alerts, 1);
	assert_int_equal(rule_test_field(&fx->last, "connections")->u64, 24);
}

/* Contacts older than the window do not count. */
static void
test_window(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < 12; i++)
		contact(fx, 3600.0 * i, false);
	/* 12 more a day later: the first 12 are out of the 24 h window */
	for (i = 0; i < 12; i++)
		contact(fx, 86400.0 * 2 + 3600.0 * i, false);
	assert_int_equal(fx->alerts, 0);
	for (i = 12; i < 24; i++)
		contact(fx, 86400.0 * 2 + 3600.0 * i, false);
	assert_int_equal(fx->alerts, 1);
}

/* A familiar destination never alerts; the same contacts to an unfamiliar
 * one do. */
static void
test_familiar_quiet(void **state)
{
	struct fixture *fx = *state;
	int i;

	for (i = 0; i < 30; i++)
		contact(fx, 300.0 * i, true);
	assert_int_equal(fx->alerts, 0);
	fx->gen++;
	for (i = 0; i < 30; i++)
		contact(fx, 300.0 * i, false);
	assert_int_equal(fx->alerts, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_min_connections_edge_and_evidence,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_score_edge, setup, teardown),
		cmocka_unit_test(test_scores_separate),
		cmocka_unit_test_setup_teardown(test_random_visits_quiet_beacon_alerts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bursts_are_one_check_in, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_familiar_quiet, setup, teardown),
	};
	return cmocka_run_group_tests_name("rule_beacon", tests, NULL, NULL);
}
