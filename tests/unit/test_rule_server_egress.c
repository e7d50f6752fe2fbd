/*
 * test_rule_server_egress.c - the server-egress rule through the engine: a
 * listed server and a learned one (the edge of baseline.learn) opening a
 * connection out, exact evidence, the edge of bytes, suppression, the
 * defaults and a config error, and the traps (a public server answering
 * visitors, a PC, a server to a familiar or domestic destination) beside
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
#include "exfild/track/baseline.h"
#include "exfild/track/hosts.h"

#define SEC 1000000000ULL
#define T0 (1717372800ULL * SEC)
#define HOUR (3600 * SEC)

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair;
	struct dest dest;
	struct host host;
	size_t alerts;
	struct finding last;
};

static struct fixture fx;

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *x = ctx;

	assert_string_equal(r->name, "server-egress");
	assert_int_equal(sev, SEV_CRITICAL);
	x->alerts++;
	memset(&x->last, 0, sizeof(x->last));
	finding_copy(&x->last, f);
}

/* servers 10.9.0.0/24, learning 2h, and this rules.server_egress section;
 * the host is first seen at T0. */
static void
load(const char *section, const char *host)
{
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "networks: { servers: [10.9.0.0/24] }\n"
	    "baseline: { learn: 2h }\n", "server_egress", section);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	assert_int_equal(netaddr_parse(host, &fx.pair.host), 0);
	fx.host.addr = fx.pair.host;
	fx.host.first_ns = T0;
	fx.pair.country = country_parse("RU");
	strcpy(fx.dest.name, "drop.example");
}

static void
unload(void)
{
	detect_free(fx.d);
	config_free(fx.cfg);
}

static int
setup_listed(void **state)
{
	(void)state;
	load("", "10.9.0.5");
	return 0;
}

static int
setup_unlisted(void **state)
{
	(void)state;
	load("", "10.1.20.21");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unload();
	return 0;
}

/* The rule asked at ts with the host's counts and the pair's bytes out. */
static void
ask(uint64_t ts, unsigned why, uint64_t total_out, bool familiar, bool foreign)
{
	struct rule_input in;
	struct detect_ids ids;

	fx.pair.total_out = total_out;
	memset(&in, 0, sizeof(in));
	in.cfg = fx.cfg;
	in.ts_ns = ts;
	in.why = why;
	in.at_milestone = why == RULE_ON_BYTES; /* asked as at a byte milestone */
	/* learning began at T0 */
	in.learn_end_ns = fx.cfg->baseline_learn_s == 0 ? 0 :
	    T0 + fx.cfg->baseline_learn_s * NS_PER_SEC;
	in.pair = &fx.pair;
	in.dest = &fx.dest;
	in.host = &fx.host;
	in.familiar = familiar;
	in.foreign = foreign;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx.pair.gen;
	detect_eval(fx.d, &in, &ids, record, &fx);
}

/* The host opens a connection out (opened counts it) at ts. */
static void
opens(uint64_t ts, uint64_t total_out)
{
	fx.host.opened++;
	ask(ts, RULE_ON_CONN, total_out, false, true);
}

/* A listed server's first connection out: the alert, exact evidence; the
 * next within rules.suppress: none; after it: again. */
static void
test_listed(void **state)
{
	(void)state;
	fx.host.accepted = 1234;
	opens(T0 + 10 * SEC, 0);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(fx.last.reason, "Server 10.9.0.5 (listed) opened a "
	    "connection to drop.example (RU) and sent 0 bytes; it had accepted "
	    "1234 connections from outside");
	assert_int_equal(fx.last.n, 4);
	assert_string_equal(finding_text(&fx.last, rule_test_field(&fx.last, "server")),
	    "listed in networks.servers");
	assert_int_equal(rule_test_field(&fx.last, "accepted")->u64, 1234);
	assert_int_equal(rule_test_field(&fx.last, "opened")->u64, 1);
	assert_int_equal(rule_test_field(&fx.last, "bytes_out")->u64, 0);
	opens(T0 + HOUR + 9 * SEC, 100);
	assert_int_equal(fx.alerts, 1);
	opens(T0 + HOUR + 10 * SEC, 200);
	assert_int_equal(fx.alerts, 2);
	assert_int_equal(rule_test_field(&fx.last, "opened")->u64, 1);
}

/* A public server answering foreign visitors: its bytes go out on
 * connections opened from outside, which reach no rule (only milestones
 * of what it sent on its own connections, here none): quiet. The same
 * server opening one connection out: the alert. */
static void
test_public_server_trap(void **state)
{
	(void)state;
	fx.host.accepted = 50000;
	fx.pair.total_served = 900000000;
	ask(T0 + 3 * HOUR, RULE_ON_BYTES, 0, false, true);
	assert_int_equal(fx.alerts, 0);
	opens(T0 + 3 * HOUR, 0);
	assert_int_equal(fx.alerts, 1);
}

/* Learned (not listed): accepted connections, opened none before, first
 * seen in learning (2h from T0); its first connection out 1 ns before
 * learning ends: quiet; when it ends: the alert. */
static void
test_learned_edge(void **state)
{
	(void)state;
	fx.host.accepted = 40;
	opens(T0 + 2 * HOUR - 1, 5000);
	assert_int_equal(fx.alerts, 0);
	fx.pair.gen++;
	fx.host.opened = 0;
	opens(T0 + 2 * HOUR, 5000);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(fx.last.reason, "Server 10.1.20.21 (learned) opened a "
	    "connection to drop.example (RU) and sent 5000 bytes; it had accepted "
	    "40 connections from outside");
	assert_string_equal(finding_text(&fx.last, rule_test_field(&fx.last, "server")),
	    "learned: accepted connections from outside, opened none");
	assert_int_equal(rule_test_field(&fx.last, "accepted")->u64, 40);
	assert_int_equal(rule_test_field(&fx.last, "opened")->u64, 1);
	assert_int_equal(rule_test_field(&fx.last, "bytes_out")->u64, 5000);
	/* first seen after learning (however long it served since): not a
	 * learned server */
	fx.pair.gen++;
	fx.host.opened = 0;
	fx.host.first_ns = T0 + 2 * HOUR;
	opens(T0 + 50 * HOUR, 5000);
	assert_int_equal(fx.alerts, 1);
}

/* A PC opens connections all the time: a host that never accepted one is
 * no server, nor is its second connection a server's first; fewer than 10
 * accepted connections do not make a server. */
static void
test_pc_trap(void **state)
{
	(void)state;
	opens(T0 + 5 * HOUR, 0);
	assert_int_equal(fx.alerts, 0);
	fx.host.accepted = 10;
	opens(T0 + 6 * HOUR, 0);
	assert_int_equal(fx.alerts, 0);
	/* one inbound probe short of a server: quiet; at 10 accepted: alert */
	fx.pair.gen++;
	fx.host.opened = 0;
	fx.host.accepted = 9;
	opens(T0 + 6 * HOUR, 0);
	assert_int_equal(fx.alerts, 0);
	fx.pair.gen++;
	fx.host.opened = 0;
	fx.host.accepted = 10;
	opens(T0 + 6 * HOUR, 0);
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(rule_test_field(&fx.last, "accepted")->u64, 10);
}

/* No learning period: no learned servers. */
static void
test_no_learning(void **state)
{
	(void)state;
	unload();
	load("", "10.1.20.21");
	fx.cfg->baseline_learn_s = 0;
	fx.host.accepted = 40;
	opens(T0 + 100 * HOUR, 0);
	assert_int_equal(fx.alerts, 0);
}

/* A listed server to a familiar or a domestic destination: quiet; to an
 * unfamiliar foreign one: the alert. */
static void
test_familiar_domestic_trap(void **state)
{
	(void)state;
	fx.host.opened = 1;
	ask(T0, RULE_ON_CONN, 0, true, true);
	ask(T0, RULE_ON_CONN, 0, false, false);
	assert_int_equal(fx.alerts, 0);
	ask(T0, RULE_ON_CONN, 0, false, true);
	assert_int_equal(fx.alerts, 1);
}

/* bytes: 1000: one byte under at the connection, quiet; at it (a later
 * milestone): the alert; one over at once (a fresh pair): the alert. */
static void
test_bytes_edge(void **state)
{
	(void)state;
	unload();
	load("bytes: 1000", "10.9.0.5");
	opens(T0, 999);
	assert_int_equal(fx.alerts, 0);
	ask(T0 + SEC, RULE_ON_BYTES, 1000, false, true);
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(rule_test_field(&fx.last, "bytes_out")->u64, 1000);
	fx.pair.gen++;
	opens(T0, 1001);
	assert_int_equal(fx.alerts, 2);
	/* milestones alone (no connection of a server) stay quiet */
	fx.pair.gen++;
	ask(T0, RULE_ON_BYTES, 5000, false, true);
	assert_int_equal(fx.alerts, 2);
}

static void
test_config(void **state)
{
	struct config *c = NULL;
	const char *yaml = "rules:\n  server_egress: { bytes: lots }\n";
	char err[CONFIG_ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(config_rule_get(fx.cfg, "server_egress", "severity", &v), 0);
	assert_true(v == SEV_CRITICAL);
	assert_int_equal(config_rule_get(fx.cfg, "server_egress", "enabled", &v), 0);
	assert_true(v == 1);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:2:27: rules.server_egress.bytes: invalid "
	    "value \"lots\": expected a size (0, 64KB, 1MiB)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listed, setup_listed, teardown),
		cmocka_unit_test_setup_teardown(test_public_server_trap, setup_listed,
		    teardown),
		cmocka_unit_test_setup_teardown(test_learned_edge, setup_unlisted,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pc_trap, setup_unlisted, teardown),
		cmocka_unit_test_setup_teardown(test_no_learning, setup_unlisted,
		    teardown),
		cmocka_unit_test_setup_teardown(test_familiar_domestic_trap,
		    setup_listed, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_edge, setup_listed, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup_listed, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
