/*
 * test_rule_dormant_host.c - the dormant-host rule through the engine: the
 * edges of idle, bytes and within, exact evidence and reason, bytes of
 * several destinations adding up (the pair that reaches bytes alerts, once
 * a waking), bytes sent before the waking not counted, a long-lived
 * connection is not quiet, settings and their errors, and the traps that
 * stay quiet (a PC back from holiday uploading to a familiar SaaS, a host
 * active every day uploading to a new foreign destination) beside
 * positive controls.
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
#include "exfild/track/hosts.h"
#include "exfild/track/baseline.h"
#include "exfild/track/event.h"

#define SEC  1000000000ULL
#define HOUR (3600 * SEC)
#define DAY  (24 * HOUR)
#define T0   (1411200000ULL * SEC)
#define MB   1000000ULL

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair[3];
	struct dest dest[3];
	uint32_t host_gen;
	struct host host;   /* what the hosts table says of the host */
	size_t alerts;
	size_t last_pair;
	struct finding last;
};

static struct fixture fx0;

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *fx = ctx;

	assert_string_equal(r->name, "dormant-host");
	assert_int_equal(sev, SEV_HIGH);
	fx->alerts++;
	memset(&fx->last, 0, sizeof(fx->last));
	finding_copy(&fx->last, f);
}

static struct fixture *
make_fixture(const char *rules)
{
	struct fixture *fx = &fx0;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];
	size_t i;

	memset(fx, 0, sizeof(*fx));
	rule_test_yaml(yaml, sizeof(yaml), "", "dormant_host", rules);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx->cfg,
	    err, sizeof(err)), 0);
	fx->d = detect_new(fx->cfg, cap);
	for (i = 0; i < 3; i++) {
		assert_int_equal(netaddr_parse("10.1.20.40", &fx->pair[i].host), 0);
		fx->pair[i].country = country_parse("HK");
		snprintf(fx->dest[i].name, sizeof(fx->dest[i].name), "d%zu.example", i);
	}
	return fx;
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

/* Pair k (0..2, one host) asked at T0 + t with its bytes out now at out;
 * a connection when idle is not NO_CONN (the host's quiet before it). */
#define NO_CONN UINT64_MAX
static size_t
ask(struct fixture *fx, size_t k, uint64_t t, uint64_t idle, uint64_t out,
    bool familiar)
{
	struct traffic_event ev;
	struct rule_input ri;
	struct detect_ids ids;
	size_t before = fx->alerts;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = T0 + t;
	fx->pair[k].total_out = out;
	memset(&ri, 0, sizeof(ri));
	ri.cfg = fx->cfg;
	ri.ts_ns = T0 + t;
	ri.why = idle == NO_CONN ? RULE_ON_BYTES : RULE_ON_CONN;
	ri.at_milestone = ri.why == RULE_ON_BYTES; /* as at a byte milestone */
	/* the hosts table notes a waking at a connection after a quiet spell */
	if (idle != NO_CONN && idle >= HOST_WAKE_MIN_NS) {
		fx->host.woke_ns = T0 + t;
		fx->host.woke_idle_ns = idle;
	}
	ri.host = &fx->host;
	ri.ev = &ev;
	ri.pair = &fx->pair[k];
	ri.dest = &fx->dest[k];
	ri.familiar = familiar;
	ri.foreign = true;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = (uint32_t)k;
	ids.gen[RULE_SCOPE_PAIR] = fx->pair[k].gen;
	ids.id[RULE_SCOPE_HOST] = 1;
	ids.gen[RULE_SCOPE_HOST] = fx->host_gen;
	ids.id[RULE_SCOPE_DEST] = (uint32_t)k;
	ids.gen[RULE_SCOPE_DEST] = 0;
	detect_eval(fx->d, &ri, &ids, record, fx);
	if (fx->alerts > before)
		fx->last_pair = k;
	return fx->alerts - before;
}

/* Another host in the same slots: fresh state everywhere. */
static void
next_host(struct fixture *fx)
{
	size_t i;

	fx->host_gen++;
	memset(&fx->host, 0, sizeof(fx->host));
	for (i = 0; i < 3; i++) {
		fx->pair[i].gen++;
		fx->pair[i].total_out = 0;
	}
}

/* Quiet 1 ns under 3 d: no waking; 3 d: woken, and 1 MB since alerts
 * (1 byte under does not), with exact evidence; once a waking. */
static void
test_idle_and_bytes_edges(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ask(fx, 0, 0, 3 * DAY - 1, 0, false), 0);
	assert_int_equal(ask(fx, 0, HOUR, NO_CONN, 5 * MB, false), 0);
	next_host(fx);
	assert_int_equal(ask(fx, 0, 0, 3 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 0, HOUR, NO_CONN, MB - 1, false), 0);
	assert_int_equal(ask(fx, 0, HOUR + SEC, NO_CONN, MB, false), 1);
	assert_string_equal(fx->last.reason, "10.1.20.40 was quiet for 3.0 d, "
	    "woke Sat 2014-09-20 08:00 UTC and has sent 1.00 MB to unfamiliar "
	    "foreign destinations since, the last to d0.example (HK)");
	assert_int_equal(rule_test_field(&fx->last, "idle_s")->u64, 3 * 86400);
	assert_string_equal(finding_text(&fx->last, rule_test_field(&fx->last, "woke_at")),
	    "2014-09-20T08:00:00.000Z");
	assert_int_equal(rule_test_field(&fx->last, "bytes_since_waking")->u64, MB);
	/* once a waking: more bytes, later, to another destination */
	assert_int_equal(ask(fx, 0, 3 * HOUR, NO_CONN, 3 * MB, false), 0);
	assert_int_equal(ask(fx, 1, 3 * HOUR, 60 * SEC, 0, false), 0);
	assert_int_equal(ask(fx, 1, 4 * HOUR, NO_CONN, 3 * MB, false), 0);
	/* quiet again for 3 d: a new waking alerts again */
	assert_int_equal(ask(fx, 2, 8 * DAY, 4 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 2, 8 * DAY + HOUR, NO_CONN, MB + 1, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "idle_s")->u64, 4 * 86400);
	assert_int_equal(rule_test_field(&fx->last, "bytes_since_waking")->u64, MB + 1);
}

/* Destinations add up: the pair whose bytes reach 1 MB alerts. */
static void
test_destinations_add_up(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ask(fx, 0, 0, 5 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 0, HOUR, NO_CONN, 600000, false), 0);
	assert_int_equal(ask(fx, 1, 2 * HOUR, 10 * SEC, 0, false), 0);
	assert_int_equal(ask(fx, 1, 3 * HOUR, NO_CONN, 399999, false), 0);
	assert_int_equal(ask(fx, 1, 3 * HOUR + 1, NO_CONN, 400000, false), 1);
	assert_int_equal(fx->last_pair, 1);
	assert_string_equal(fx->last.reason, "10.1.20.40 was quiet for 5.0 d, "
	    "woke Sat 2014-09-20 08:00 UTC and has sent 1.00 MB to unfamiliar "
	    "foreign destinations since, the last to d1.example (HK)");
}

/* within (24 h) of waking: bytes at it count, bytes after it do not. */
static void
test_within_edge(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ask(fx, 0, 0, 3 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 0, DAY + 1, NO_CONN, 2 * MB, false), 0);
	next_host(fx);
	assert_int_equal(ask(fx, 0, 0, 3 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 0, DAY, NO_CONN, 2 * MB, false), 1);
}

/* Connections do not ask the rule: the waking the table noted is read at
 * the pair's next byte milestone, and the pair's bytes since it last
 * looked count (the host was quiet before). */
static void
test_bytes_before_waking(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ask(fx, 0, 0, NO_CONN, 0, false), 0);
	assert_int_equal(ask(fx, 0, 4 * DAY, 4 * DAY, 900000, false), 0);
	assert_int_equal(ask(fx, 0, 4 * DAY + HOUR, NO_CONN, 990000, false), 0);
	assert_int_equal(ask(fx, 0, 4 * DAY + HOUR, NO_CONN, 1000000, false), 1);
	assert_int_equal(rule_test_field(&fx->last, "bytes_since_waking")->u64, MB);
}

/* A host whose bytes the rule saw a day ago (a long-lived connection) is
 * not quiet, whatever the host table says of its connections. */
static void
test_long_connection_not_quiet(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(ask(fx, 0, 0, 0, 0, false), 0);
	assert_int_equal(ask(fx, 0, 3 * DAY, NO_CONN, 500000, false), 0);
	assert_int_equal(ask(fx, 1, 4 * DAY, 4 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 1, 4 * DAY + HOUR, NO_CONN, 5 * MB, false), 0);
	/* positive control: nothing seen for those 4 days */
	next_host(fx);
	assert_int_equal(ask(fx, 0, 0, 0, 0, false), 0);
	assert_int_equal(ask(fx, 1, 4 * DAY, 4 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 1, 4 * DAY + HOUR, NO_CONN, 5 * MB, false), 1);
}

/* Traps. A PC back from a fortnight's holiday uploads 50 MB to a familiar
 * SaaS: quiet (the same to an unfamiliar one alerts). A host active every
 * day uploads 5 MB to a new foreign destination: quiet (the same after 3
 * quiet days alerts). */
static void
test_traps(void **state)
{
	struct fixture *fx = *state;
	int day;

	assert_int_equal(ask(fx, 0, 0, 14 * DAY, 0, true), 0);
	assert_int_equal(ask(fx, 0, HOUR, NO_CONN, 50 * MB, true), 0);
	next_host(fx);
	assert_int_equal(ask(fx, 0, 0, 14 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 0, HOUR, NO_CONN, 50 * MB, false), 1);

	next_host(fx);
	for (day = 0; day < 10; day++)
		assert_int_equal(ask(fx, 0, (uint64_t)day * DAY, DAY, 0, true), 0);
	assert_int_equal(ask(fx, 1, 10 * DAY, DAY - HOUR, 0, false), 0);
	assert_int_equal(ask(fx, 1, 10 * DAY + HOUR, NO_CONN, 5 * MB, false), 0);
	next_host(fx);
	assert_int_equal(ask(fx, 1, 10 * DAY, 3 * DAY, 0, false), 0);
	assert_int_equal(ask(fx, 1, 10 * DAY + HOUR, NO_CONN, 5 * MB, false), 1);
}

/* Defaults, the byte step (bytes / 4), and errors at file:line:col. */
static void
test_settings(void **state)
{
	struct fixture *fx = *state;
	char yaml[128], err[CONFIG_ERR_LEN];
	struct config *cfg = NULL;
	double v;

	assert_int_equal(config_rule_get(fx->cfg, "dormant_host", "idle", &v), 0);
	assert_true(v == 3 * 86400);
	assert_int_equal(config_rule_get(fx->cfg, "dormant_host", "bytes", &v), 0);
	assert_true(v == 1e6);
	assert_int_equal(config_rule_get(fx->cfg, "dormant_host", "within", &v), 0);
	assert_true(v == 86400);
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->every_bytes_out, 250000);
	snprintf(yaml, sizeof(yaml), "rules: { dormant_host: { idle: 0 } }\n");
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:1:32: rules.dormant_host.idle: "
	    "must be greater than 0");
	snprintf(yaml, sizeof(yaml), "rules: { dormant_host: { bytes: some } }\n");
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:1:33: rules.dormant_host.bytes: "
	    "invalid size \"some\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_and_bytes_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_destinations_add_up, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_within_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_before_waking, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_connection_not_quiet, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_traps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	};
	return cmocka_run_group_tests_name("rule_dormant_host", tests, NULL, NULL);
}
