/*
 * test_rule_campaign.c - the campaign rule through the engine: the edges
 * of hosts and bytes, the window (of a pair's bytes and of a member),
 * suppression, the exact evidence and reason (also past the 16 hosts
 * kept), how late earlier members alert, the traps (a domestic SaaS, a
 * foreign CDN's downloads, small form posts) each beside a positive
 * control, and the rule's config keys.
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

#define SEC 1000000000ULL
#define T0 (1411000000ULL * SEC) /* Thu 18 Sep 2014 00:26:40 UTC */
#define HOSTS 24
#define KB 1000ULL

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair[HOSTS];
	struct dest dest;
	bool foreign;
	size_t alerts;
	int last_host;     /* the pair of the last alert */
	struct finding last;
};

static int asked_host;

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *fx = ctx;

	assert_string_equal(r->name, "campaign");
	assert_int_equal(sev, SEV_CRITICAL);
	fx->alerts++;
	fx->last_host = asked_host;
	memset(&fx->last, 0, sizeof(fx->last));
	finding_copy(&fx->last, f);
}

static struct fixture *
make_fixture(const char *rules)
{
	static struct fixture fx;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, HOSTS, 0, 2 };
	char yaml[1024], err[CONFIG_ERR_LEN], a[32];
	int i;

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "", "campaign", rules);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	for (i = 0; i < HOSTS; i++) {
		snprintf(a, sizeof(a), "10.1.20.%d", 21 + i);
		assert_int_equal(netaddr_parse(a, &fx.pair[i].host), 0);
		fx.pair[i].country = country_parse("HK");
	}
	strcpy(fx.dest.name, "img.example");
	fx.dest.first_seen_ns = T0;
	fx.foreign = true;
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
	*state = make_fixture("severity: critical");
	return 0;
}

static int
teardown(void **state)
{
	free_fixture(*state);
	return 0;
}

/* Host h sends out bytes (and receives in) at t_s seconds (plus ns) after
 * T0; the engine is asked as for why. Returns the alerts of this ask. */
static size_t
send_at(struct fixture *fx, int h, uint64_t out, uint64_t in, uint64_t t_s,
    uint64_t ns, unsigned why)
{
	struct rule_input ri;
	struct detect_ids ids;

	fx->pair[h].total_out += out;
	fx->pair[h].total_in += in;
	memset(&ri, 0, sizeof(ri));
	ri.cfg = fx->cfg;
	ri.ts_ns = T0 + t_s * SEC + ns;
	ri.why = why;
	ri.at_milestone = why == RULE_ON_BYTES; /* asked as at a byte milestone */
	ri.pair = &fx->pair[h];
	ri.dest = &fx->dest;
	ri.foreign = fx->foreign;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = (uint32_t)h;
	ids.gen[RULE_SCOPE_PAIR] = 1;
	ids.id[RULE_SCOPE_DEST] = 0;
	ids.gen[RULE_SCOPE_DEST] = 1;
	asked_host = h;
	return detect_eval(fx->d, &ri, &ids, record, fx);
}

static size_t
upload(struct fixture *fx, int h, uint64_t out, uint64_t t_s)
{
	return send_at(fx, h, out, 0, t_s, 0, RULE_ON_BYTES);
}

static uint64_t
u64_of(const struct fixture *fx, const char *key)
{
	return rule_test_field(&fx->last, key)->u64;
}

static const char *
str_of(const struct fixture *fx, const char *key)
{
	return finding_text(&fx->last, rule_test_field(&fx->last, key));
}

/* hosts - 1 quiet; hosts: the one that completes it alerts, with exact
 * evidence; hosts + 1: the one that joins later alerts too. */
static void
test_hosts_edge_and_evidence(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(upload(fx, 0, 100 * KB, 0), 0);
	assert_int_equal(upload(fx, 1, 120 * KB, 600), 0);
	assert_int_equal(upload(fx, 2, 150 * KB, 1800), 1);
	assert_int_equal(fx->last_host, 2);
	assert_string_equal(fx->last.reason, "3 internal hosts sent 370.0 kB to "
	    "img.example (HK) within 30 min; first seen Thu 18 Sep 00:26 UTC");
	assert_int_equal(fx->last.n, 6);
	assert_int_equal(u64_of(fx, "hosts"), 3);
	assert_int_equal(u64_of(fx, "hosts_listed"), 3);
	assert_string_equal(str_of(fx, "host_list"), "10.1.20.21,10.1.20.22,10.1.20.23");
	assert_int_equal(u64_of(fx, "bytes_listed"), 370 * KB);
	assert_int_equal(u64_of(fx, "span_s"), 1800);
	assert_int_equal(u64_of(fx, "host_bytes"), 150 * KB);
	assert_int_equal(upload(fx, 3, 100 * KB, 3 * 3600), 1);
	assert_int_equal(fx->last_host, 3);
	assert_int_equal(u64_of(fx, "hosts"), 4);
	assert_string_equal(str_of(fx, "host_list"),
	    "10.1.20.21,10.1.20.22,10.1.20.23,10.1.20.24");
	assert_string_equal(fx->last.reason, "4 internal hosts sent 470.0 kB to "
	    "img.example (HK) within 3 h; first seen Thu 18 Sep 00:26 UTC");
}

/* Two members and a third host with total, all at the default 100KB. */
static size_t
third_with(uint64_t total)
{
	struct fixture *fx = make_fixture("hosts: 3");
	size_t alerts;

	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 10);
	alerts = upload(fx, 2, total, 20);
	free_fixture(fx);
	return alerts;
}

/* One byte under bytes does not qualify; at and over do. */
static void
test_bytes_edge(void **state)
{
	struct fixture *fx = *state;

	free_fixture(fx); /* (third_with makes its own) */
	assert_int_equal(third_with(100 * KB - 1), 0);
	assert_int_equal(third_with(100 * KB), 1);
	assert_int_equal(third_with(100 * KB + 1), 1);
	/* the byte that makes it arrives later: the alert comes then */
	*state = fx = make_fixture("severity: critical");
	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 10);
	assert_int_equal(upload(fx, 2, 100 * KB - 1, 20), 0);
	assert_int_equal(upload(fx, 2, 1, 30), 1);
}

/* A member counts until exactly `window` after it qualified. */
static void
test_member_window(void **state)
{
	struct fixture *fx = *state;

	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 3600);
	assert_int_equal(send_at(fx, 2, 100 * KB, 0, 86400, 0, RULE_ON_BYTES), 1);
	assert_int_equal(u64_of(fx, "span_s"), 86400);
	free_fixture(fx);
	*state = fx = make_fixture("window: 24h");
	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 3600);
	assert_int_equal(send_at(fx, 2, 100 * KB, 0, 86400, 1, RULE_ON_BYTES), 0);
	/* the positive control: a fourth host an hour later makes three again */
	assert_int_equal(upload(fx, 3, 100 * KB, 90000), 1);
	assert_string_equal(str_of(fx, "host_list"), "10.1.20.22,10.1.20.23,10.1.20.24");
}

/* A pair's own bytes count over the window (8 buckets of window/8): 60 KB
 * and 60 KB 27 h later do not qualify, 6 h later they do. */
static size_t
split_upload(struct fixture *fx, uint64_t later_s)
{
	upload(fx, 2, 60 * KB, 0);
	upload(fx, 0, 100 * KB, later_s - 20);
	upload(fx, 1, 100 * KB, later_s - 10);
	return upload(fx, 2, 60 * KB, later_s);
}

static void
test_pair_window(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(split_upload(fx, 27 * 3600), 0);
	free_fixture(fx);
	*state = fx = make_fixture("severity: critical");
	assert_int_equal(split_upload(fx, 6 * 3600), 1);
	assert_int_equal(u64_of(fx, "host_bytes"), 120 * KB);
}

/* One alert per pair per rules.suppress (1 h); after it, a pair still in
 * the campaign alerts again. */
static void
test_suppression(void **state)
{
	struct fixture *fx = *state;

	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 10);
	assert_int_equal(upload(fx, 2, 100 * KB, 20), 1);
	assert_int_equal(upload(fx, 2, 100 * KB, 20 + 3599), 0);
	assert_int_equal(upload(fx, 2, 100 * KB, 20 + 3600), 1);
	assert_int_equal(fx->alerts, 2);
}

/* Members that qualified before the campaign was complete alert at their
 * own next evaluation: a connection, or the next milestone of an upload
 * that goes on (asked every 25 KB, as track.c does, uploading 5 KB every
 * 30 s). How late they alert is measured. */
static void
test_earlier_members_alert_late(void **state)
{
	struct fixture *fx = *state;
	uint64_t next[3] = { 0, 0, 0 }, t, late[3] = { 0, 0, 0 }, done = 0;
	int h;

	for (t = 0; t < 6 * 3600 && fx->alerts < 3; t += 30) {
		for (h = 0; h < 3; h++) {
			/* host h starts uploading h * 20 min after the first */
			if (t < (uint64_t)h * 1200 || late[h] != 0)
				continue;
			fx->pair[h].total_out += 5 * KB;
			if (fx->pair[h].total_out < next[h])
				continue;
			next[h] = fx->pair[h].total_out + 25 * KB;
			if (upload(fx, h, 0, t) == 1) {
				done = done == 0 ? t : done;
				late[h] = t - done + 1;
			}
		}
	}
	print_message("campaign: complete at %llu s; members alert %llu s, "
	    "%llu s, %llu s after\n", (unsigned long long)done,
	    (unsigned long long)late[0] - 1, (unsigned long long)late[1] - 1,
	    (unsigned long long)late[2] - 1);
	/* the third's 105 KB at its fifth milestone; the others at their
	 * next, one milestone (25 KB at 5 KB per 30 s) later */
	assert_int_equal(done, 3000);
	assert_int_equal(late[2] - 1, 0);
	assert_int_equal(late[0] - 1, 150);
	assert_int_equal(late[1] - 1, 150);
	/* a member that stopped sending alerts at the timer's next visit
	 * (in the pipeline, at once: the completing pair names it) */
	free_fixture(fx);
	*state = fx = make_fixture("severity: critical");
	upload(fx, 0, 100 * KB, 0);
	upload(fx, 1, 100 * KB, 10);
	assert_int_equal(upload(fx, 2, 100 * KB, 20), 1);
	assert_int_equal(send_at(fx, 0, 0, 0, 20 + 1800, 0, RULE_ON_CONN), 0);
	assert_int_equal(send_at(fx, 0, 0, 0, 20 + 1800, 0, RULE_ON_TICK), 1);
	assert_int_equal(fx->last_host, 0);
	assert_int_equal(send_at(fx, 1, 0, 0, 20 + 7200, 0, RULE_ON_TICK), 1);
	assert_int_equal(fx->last_host, 1);
}

/* Past the 16 hosts kept, hosts are counted, not listed. A member that
 * qualifies again is counted once; the hosts only counted are forgotten
 * 7/8 to all of the window after (here: by then). */
static void
test_more_than_kept(void **state)
{
	struct fixture *fx = *state;
	int h;

	for (h = 0; h < 20; h++)
		upload(fx, h, 100 * KB, (uint64_t)h * 60);
	assert_int_equal(u64_of(fx, "hosts"), 20);
	assert_int_equal(u64_of(fx, "hosts_listed"), 16);
	assert_string_equal(str_of(fx, "host_list"), "10.1.20.21,10.1.20.22,"
	    "10.1.20.23,10.1.20.24,10.1.20.25,10.1.20.26,10.1.20.27,10.1.20.28,"
	    "10.1.20.29,10.1.20.30,10.1.20.31,10.1.20.32,10.1.20.33,10.1.20.34,"
	    "10.1.20.35,10.1.20.36");
	assert_int_equal(u64_of(fx, "bytes_listed"), 1600 * KB);
	assert_string_equal(fx->last.reason, "20 internal hosts sent at least "
	    "100.0 kB each to img.example (HK) within 19 min; first seen Thu 18 "
	    "Sep 00:26 UTC");
	/* the first host again, after its qualification expired: one host */
	assert_int_equal(upload(fx, 0, 100 * KB, 86400 + 120), 1);
	/* hosts 2..15 (qualified 120 s to 900 s) and host 0 again */
	assert_int_equal(u64_of(fx, "hosts"), 15);
	assert_int_equal(u64_of(fx, "hosts_listed"), 15);
}

/* Many PCs adopting a new domestic SaaS: not foreign, quiet; the same
 * uploads abroad alert. */
static void
test_domestic_saas_quiet(void **state)
{
	struct fixture *fx = *state;
	int h;

	fx->foreign = false;
	for (h = 0; h < 10; h++)
		upload(fx, h, 2000 * KB, (uint64_t)h * 60);
	assert_int_equal(fx->alerts, 0);
	free_fixture(fx);
	*state = fx = make_fixture("severity: critical");
	for (h = 0; h < 10; h++)
		upload(fx, h, 2000 * KB, (uint64_t)h * 60);
	assert_int_equal(fx->alerts, 8);
}

/* PCs downloading from a new foreign CDN: bytes in, quiet; the same
 * amounts sent out alert. */
static void
test_cdn_downloads_quiet(void **state)
{
	struct fixture *fx = *state;
	int h;

	for (h = 0; h < 10; h++)
		send_at(fx, h, 3 * KB, 50000 * KB, (uint64_t)h * 60, 0, RULE_ON_BYTES);
	assert_int_equal(fx->alerts, 0);
	for (h = 0; h < 10; h++)
		send_at(fx, h, 50000 * KB, 3 * KB, 3600 + (uint64_t)h * 60, 0,
		    RULE_ON_BYTES);
	assert_int_equal(fx->alerts, 8);
}

/* Several PCs posting small forms abroad (each 5 posts of 2 KB, under
 * bytes): quiet; one of them uploading 100 KB more, with two others,
 * alerts. */
static void
test_small_posts_quiet(void **state)
{
	struct fixture *fx = *state;
	int h, k;

	for (k = 0; k < 5; k++)
		for (h = 0; h < 10; h++)
			send_at(fx, h, 2 * KB, 4 * KB, (uint64_t)(k * 600 + h), 0,
			    RULE_ON_CONN);
	assert_int_equal(fx->alerts, 0);
	upload(fx, 0, 90 * KB, 3600);
	upload(fx, 1, 90 * KB, 3600);
	assert_int_equal(fx->alerts, 0);
	assert_int_equal(upload(fx, 2, 90 * KB, 3600), 1);
	assert_int_equal(u64_of(fx, "host_bytes"), 100 * KB);
}

static struct config *
load(const char *yaml)
{
	struct config *c = NULL;
	char err[CONFIG_ERR_LEN];

	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)), 0);
	return c;
}

static void
expect_error(const char *yaml, const char *want)
{
	struct config *c = NULL;
	char err[CONFIG_ERR_LEN];

	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
}

static double
get(const struct config *c, const char *key)
{
	double v = -1;

	assert_int_equal(config_rule_get(c, "campaign", key, &v), 0);
	return v;
}

/* Defaults, values, and errors at the value's file:line:col. */
static void
test_config(void **state)
{
	struct config *c;

	(void)state;
	c = load("rules: {}\n");
	assert_true(get(c, "enabled") == 1);
	assert_true(get(c, "severity") == SEV_CRITICAL);
	assert_true(get(c, "hosts") == 3);
	assert_true(get(c, "bytes") == 100000);
	assert_true(get(c, "window") == 86400);
	config_free(c);
	c = load("rules:\n  campaign: { hosts: 5, bytes: 1MiB, window: 3d }\n");
	assert_true(get(c, "hosts") == 5);
	assert_true(get(c, "bytes") == 1048576);
	assert_true(get(c, "window") == 259200);
	config_free(c);
	expect_error("rules:\n  campaign: { hosts: 0 }\n",
	    "t.yaml:2:22: rules.campaign.hosts: invalid number \"0\" "
	    "(expected a whole number from 1 to 1000000000)");
	expect_error("rules:\n  campaign: { bytes: 0 }\n",
	    "t.yaml:2:22: rules.campaign.bytes: must be greater than 0");
	expect_error("rules:\n  campaign:\n    bytes: 10XB\n",
	    "t.yaml:3:12: rules.campaign.bytes: invalid size \"10XB\"");
	expect_error("rules:\n  campaign: { window: 0s }\n",
	    "t.yaml:2:23: rules.campaign.window: must be greater than 0");
	expect_error("rules:\n  campaign: { host: 3 }\n",
	    "t.yaml:2:15: rules.campaign: unknown key \"host\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hosts_edge_and_evidence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bytes_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pair_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_earlier_members_alert_late, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_more_than_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domestic_saas_quiet, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cdn_downloads_quiet, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_small_posts_quiet, setup,
		    teardown),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests_name("rule_campaign", tests, NULL, NULL);
}
