/*
 * test_rule_staging.c - the staging rule through the engine: the pull and
 * upload thresholds at their edges, the `within` limits after the pull,
 * exact evidence, suppression, config errors; quiet traps (no pull, an
 * upload to a familiar destination after a pull) beside positive controls.
 * Also the hosts table's pull hours.
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
#define HOUR (3600 * SEC)
#define T0 (1411000000ULL / 3600 * 3600 * SEC) /* on the hour */

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair;
	struct dest dest;
	struct host host;
	size_t alerts;
	struct finding last;
};

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *fx = ctx;

	assert_string_equal(r->name, "staging");
	assert_int_equal(sev, SEV_CRITICAL);
	fx->alerts++;
	memset(&fx->last, 0, sizeof(fx->last));
	finding_copy(&fx->last, f);
}

static int
setup(void **state)
{
	static struct fixture fx;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "networks: { crown_jewels: [ { "
	    "address: \"10.20.9.5:1521\", name: VIPS, bytes_per_record: 600, "
	    "compression: 6 }, \"10.20.9.6\" ] }\n", "staging",
	    "pull: 20MB, within: 6h, upload: 1MB");
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	assert_int_equal(netaddr_parse("10.1.20.21", &fx.pair.host), 0);
	fx.pair.country = country_parse("HK");
	strcpy(fx.dest.name, "hk-files.example.net");
	fx.host.addr = fx.pair.host;
	*state = &fx;
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

/* The engine asked on why at ts, the pair's bytes out grown by out first:
 * a byte milestone, or a connection (before its bytes). */
static void
asked_at(struct fixture *fx, unsigned why, uint64_t ts, uint64_t out,
    bool familiar)
{
	struct rule_input in;
	struct detect_ids ids;

	fx->pair.total_out += out;
	memset(&in, 0, sizeof(in));
	in.cfg = fx->cfg;
	in.ts_ns = ts;
	in.why = why;
	in.at_milestone = why == RULE_ON_BYTES;
	in.pair = &fx->pair;
	in.dest = &fx->dest;
	in.host = &fx->host;
	in.familiar = familiar;
	in.foreign = true;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx->pair.gen;
	ids.id[RULE_SCOPE_HOST] = 1;
	ids.gen[RULE_SCOPE_HOST] = 0;
	detect_eval(fx->d, &in, &ids, record, fx);
}

static void
sent_at(struct fixture *fx, uint64_t ts, uint64_t out, bool familiar)
{
	asked_at(fx, RULE_ON_BYTES, ts, out, familiar);
}

/* A whole upload in one event (one conn.log line): the connection is
 * seen before its bytes, so all of them count; without that look (the
 * control) the rule's first sight of the pair is after them. */
static void
test_one_line_upload(void **state)
{
	struct fixture *fx = *state;

	hosts_pull(&fx->host, 0, 21000000, T0);
	asked_at(fx, RULE_ON_CONN, T0 + 2 * HOUR, 0, false);
	sent_at(fx, T0 + 2 * HOUR, 1200265, false);
	assert_int_equal(fx->alerts, 1);
	assert_int_equal(rule_test_field(&fx->last, "sent_bytes")->u64, 1200265);
	/* the control: another host's pair, the same line without the look */
	fx->pair.total_out = 0;
	fx->pair.gen = 1;
	sent_at(fx, T0 + 2 * HOUR + SEC, 1200265, false);
	assert_int_equal(fx->alerts, 1);
}

/* 20 MB pulled over three hours, then 1 MB out: the alert, exact. */
static void
test_pull_then_upload(void **state)
{
	struct fixture *fx = *state;

	hosts_pull(&fx->host, 0, 8000000, T0 + 10 * 60 * SEC);
	hosts_pull(&fx->host, 0, 8000000, T0 + HOUR + 5 * 60 * SEC);
	hosts_pull(&fx->host, 0, 4000000, T0 + 2 * HOUR + 30 * 60 * SEC);
	sent_at(fx, T0 + 3 * HOUR, 1, false);          /* counted from here */
	sent_at(fx, T0 + 3 * HOUR + SEC, 999999, false); /* one byte under */
	assert_int_equal(fx->alerts, 0);
	sent_at(fx, T0 + 3 * HOUR + 2 * SEC, 1, false);  /* at */
	assert_int_equal(fx->alerts, 1);
	assert_string_equal(fx->last.reason, "10.1.20.21 read 20.0 MB from VIPS "
	    "(10.20.9.5) until 2014-09-18T02:30:00Z, then sent 1.0 MB to "
	    "hk-files.example.net (HK)");
	assert_int_equal(rule_test_field(&fx->last, "pulled_bytes")->u64, 20000000);
	assert_string_equal(finding_text(&fx->last, rule_test_field(&fx->last, "pulled_from")),
	    "VIPS (10.20.9.5)");
	assert_int_equal(rule_test_field(&fx->last, "sent_bytes")->u64, 1000000);
	sent_at(fx, T0 + 3 * HOUR + 3 * SEC, 5000000, false); /* suppressed */
	assert_int_equal(fx->alerts, 1);
}

/* One byte under the pull: quiet; the byte more: alerts. */
static void
test_pull_edge(void **state)
{
	struct fixture *fx = *state;

	hosts_pull(&fx->host, 1, 19999999, T0);
	sent_at(fx, T0 + HOUR, 1, false);
	sent_at(fx, T0 + HOUR + SEC, 2000000, false);
	assert_int_equal(fx->alerts, 0);
	hosts_pull(&fx->host, 1, 1, T0 + HOUR + 2 * SEC);
	sent_at(fx, T0 + HOUR + 3 * SEC, 1, false); /* a new spell counts from here */
	sent_at(fx, T0 + HOUR + 4 * SEC, 1000000, false);
	assert_int_equal(fx->alerts, 1);
	assert_string_equal(finding_text(&fx->last, rule_test_field(&fx->last, "pulled_from")),
	    "10.20.9.6");
}

/* An upload later than `within` after the last pull: quiet; the pull
 * renewed: alerts. Pulls older than `within` before the last do not add. */
static void
test_within(void **state)
{
	struct fixture *fx = *state;

	hosts_pull(&fx->host, 0, 25000000, T0);
	sent_at(fx, T0 + 6 * HOUR + SEC, 1, false);
	sent_at(fx, T0 + 6 * HOUR + 2 * SEC, 2000000, false);
	assert_int_equal(fx->alerts, 0);
	hosts_pull(&fx->host, 0, 1000, T0 + 7 * HOUR); /* 25 MB now 7 h old */
	sent_at(fx, T0 + 7 * HOUR + SEC, 2000000, false);
	assert_int_equal(fx->alerts, 0);
	hosts_pull(&fx->host, 0, 20000000, T0 + 8 * HOUR);
	sent_at(fx, T0 + 8 * HOUR + SEC, 1, false);
	sent_at(fx, T0 + 8 * HOUR + 2 * SEC, 1000000, false);
	assert_int_equal(fx->alerts, 1);
}

/* After a pull, an upload to a familiar destination stays quiet; the same
 * to an unfamiliar one alerts. A host that pulled nothing stays quiet. */
static void
test_traps(void **state)
{
	struct fixture *fx = *state;

	sent_at(fx, T0, 1, false);
	sent_at(fx, T0 + SEC, 5000000, false);
	assert_int_equal(fx->alerts, 0); /* no pull */
	hosts_pull(&fx->host, 0, 30000000, T0 + HOUR);
	sent_at(fx, T0 + HOUR + SEC, 1, true);
	sent_at(fx, T0 + HOUR + 2 * SEC, 5000000, true);
	assert_int_equal(fx->alerts, 0); /* familiar */
	sent_at(fx, T0 + HOUR + 3 * SEC, 1, false);
	sent_at(fx, T0 + HOUR + 4 * SEC, 1000000, false);
	assert_int_equal(fx->alerts, 1);
}

/* The pull hours: the sum covers whole hours back from a time. */
static void
test_pull_hours(void **state)
{
	struct host h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hosts_pulled(&h, T0, 6 * HOUR), 0);
	hosts_pull(&h, 2, 100, T0 + 59 * 60 * SEC);
	hosts_pull(&h, 2, 10, T0 + HOUR);
	assert_int_equal(hosts_pulled(&h, T0 + HOUR, HOUR), 10);
	assert_int_equal(hosts_pulled(&h, T0 + HOUR + 59 * 60 * SEC, 2 * HOUR), 110);
	hosts_pull(&h, 2, 1, T0 + 30 * HOUR); /* the first two drop out */
	assert_int_equal(h.pull_jewel, 3);
	assert_int_equal(hosts_pulled(&h, T0 + 30 * HOUR, 24 * HOUR), 1);
	hosts_pull(&h, 2, 5, T0 + 29 * HOUR); /* out of order, within the ring */
	assert_int_equal(hosts_pulled(&h, T0 + 30 * HOUR, 2 * HOUR), 6);
}

static void
test_config(void **state)
{
	struct config *c;
	char err[CONFIG_ERR_LEN];
	const char *bad = "networks: { crown_jewels: [ { name: VIPS } ] }\n";
	const char *bad2 = "networks: { crown_jewels: [ \"crm.example\" ] }\n";
	double v;

	(void)state;
	assert_int_equal(config_load_string("t.yaml", bad, strlen(bad), &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:1:29: networks.crown_jewels: a crown "
	    "jewel needs an address");
	assert_int_equal(config_load_string("t.yaml", bad2, strlen(bad2), &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t.yaml:1:29: networks.crown_jewels: invalid "
	    "address \"crm.example\" (expected address, address:port or "
	    "[IPv6]:port)");
	assert_int_equal(config_load_string("t.yaml", "", 0, &c, err,
	    sizeof(err)), 0);
	assert_int_equal(config_rule_get(c, "staging", "pull", &v), 0);
	assert_true(v == 20e6);
	assert_int_equal(config_rule_get(c, "staging", "within", &v), 0);
	assert_true(v == 6 * 3600);
	assert_int_equal(config_rule_get(c, "staging", "upload", &v), 0);
	assert_true(v == 1e6);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pull_then_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_line_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_within, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traps, setup, teardown),
		cmocka_unit_test(test_pull_hours),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests_name("rule_staging", tests, NULL, NULL);
}
