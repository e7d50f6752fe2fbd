/*
 * test_contain.c - containment decisions with the nft and exec calls
 * replaced by a recording double (contain_ops): the rules listed, each
 * reason never to block, catch-and-release timeouts doubling up to the
 * cap and forgotten, the rate limit, failures; the contain: section's
 * keys; the real hook (hook_run) and the netlink batch nft_build_add
 * makes. The real nft is tests/e2e/contain.sh's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "exfild/alert/alert.h"
#include "exfild/alert/syslog_format.h"
#include "exfild/config/config.h"
#include "exfild/contain/contain.h"
#include "exfild/contain/hook.h"
#include "exfild/contain/nft.h"
#include "exfild/util/util.h"

#define NOW0 1700000000000000000ULL /* 2023-11-14T22:13:20.000Z */
#define MONO0 (5 * NS_PER_SEC)     /* the monotonic clock at the start */

/* ---- the double ---- */

struct double_ops {
	uint64_t now, mono;         /* the wall clock, the monotonic one */
	int nft_calls, exec_calls;
	int nft_rc;
	char family[8], table[64], set[64];
	struct netaddr addr;
	uint64_t timeout_ms;
	char input[16384];
	size_t input_len;
	char path[256];
	struct hook_result result; /* what the hook "did" */
	int exec_rc;
	uint64_t exec_ns;          /* how long it "took" (the clock moves) */
};

static int
d_nft(void *ctx, const char *family, const char *table, const char *set,
    const struct netaddr *addr, uint64_t timeout_ms, char *err, size_t errlen)
{
	struct double_ops *d = ctx;

	d->nft_calls++;
	str_copy(d->family, family, sizeof(d->family));
	str_copy(d->table, table, sizeof(d->table));
	str_copy(d->set, set, sizeof(d->set));
	d->addr = *addr;
	d->timeout_ms = timeout_ms;
	if (d->nft_rc != 0)
		snprintf(err, errlen, "nft: No such file or directory");
	return d->nft_rc;
}

static int
d_exec(void *ctx, const char *path, const char *input, size_t len,
    uint64_t timeout_ms, struct hook_result *r, char *err, size_t errlen)
{
	struct double_ops *d = ctx;

	(void)timeout_ms;
	d->exec_calls++;
	d->now += d->exec_ns;
	d->mono += d->exec_ns;
	str_copy(d->path, path, sizeof(d->path));
	assert_true(len < sizeof(d->input));
	memcpy(d->input, input, len);
	d->input_len = len;
	*r = d->result;
	if (d->exec_rc != 0)
		snprintf(err, errlen, "%s: cannot run: No such file", path);
	return d->exec_rc;
}

static uint64_t
d_now(void *ctx)
{
	return ((struct double_ops *)ctx)->now;
}

static uint64_t
d_mono(void *ctx)
{
	return ((struct double_ops *)ctx)->mono;
}

struct fixture {
	struct config *cfg;
	struct contain *c;
	struct double_ops d;
};

static struct fixture fx;

static void
start(const char *yaml)
{
	char err[CONFIG_ERR_LEN];
	struct contain_ops ops = { d_nft, d_exec, d_now, d_mono, &fx.d };

	memset(&fx, 0, sizeof(fx));
	fx.d.now = NOW0;
	fx.d.mono = MONO0;
	if (config_load_string("test.yaml", yaml, strlen(yaml), &fx.cfg, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	fx.c = contain_new(fx.cfg, &ops, err, sizeof(err));
	assert_non_null(fx.c);
}

static int
teardown(void **state)
{
	(void)state;
	contain_free(fx.c);
	config_free(fx.cfg);
	fx.c = NULL;
	fx.cfg = NULL;
	return 0;
}

#define BASE_YAML \
	"networks:\n  internal: [10.0.0.0/8]\n" \
	"  proxies: ['198.51.100.7:3128']\n" \
	"geo:\n  home: [JP]\n" \
	"contain:\n  enabled: true\n  never: [192.0.2.0/24]\n"

/* A compressed-upload alert from 10.0.0.5 to dst in country cc. */
static void
make_alert(struct alert *a, const char *rule, const char *dst, const char *cc)
{
	memset(a, 0, sizeof(*a));
	a->rule = rule;
	a->sensor = "s";
	a->source = "live";
	a->ts_ns = NOW0;
	assert_int_equal(netaddr_parse("10.0.0.5", &a->src), 0);
	if (dst != NULL)
		assert_int_equal(netaddr_parse(dst, &a->dst), 0);
	a->dst_port = 443;
	a->dst_country = country_parse(cc);
	str_copy(a->id, "00000000-0000-0000-0000-000000000001", sizeof(a->id));
}

static void
contain(const char *rule, const char *dst, const char *cc, bool familiar,
    struct alert *a)
{
	make_alert(a, rule, dst, cc);
	contain_alert(fx.c, a, familiar);
}

/* Time passes: both clocks move on. */
static void
advance(uint64_t ns)
{
	fx.d.now += ns;
	fx.d.mono += ns;
}

/* The counters are these. */
static void
expect_stats(uint64_t blocked, uint64_t skipped, uint64_t errors,
    uint64_t rate_limited)
{
	struct contain_stats st;

	contain_get_stats(fx.c, &st);
	assert_int_equal(st.blocked, blocked);
	assert_int_equal(st.skipped, skipped);
	assert_int_equal(st.errors, errors);
	assert_int_equal(st.rate_limited, rate_limited);
}

/* ---- decisions ---- */

/* A listed rule's foreign, unfamiliar destination is blocked in block4
 * for an hour; the alert says until when. */
static void
test_blocks_listed(void **state)
{
	struct alert a;

	(void)state;
	start(BASE_YAML);
	contain("compressed-upload", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-14T23:13:20.000Z");
	assert_int_equal(fx.d.nft_calls, 1);
	assert_string_equal(fx.d.family, "inet");
	assert_string_equal(fx.d.table, "exfild");
	assert_string_equal(fx.d.set, "block4");
	assert_int_equal(fx.d.timeout_ms, 3600000);
	assert_true(netaddr_eq(&fx.d.addr, &a.dst));
	/* IPv6 goes to set6 */
	contain("indicator-match", "2001:db8::9", "??", false, &a);
	assert_string_equal(a.contained,
	    "nft set block6 until 2023-11-14T23:13:20.000Z");
	assert_string_equal(fx.d.set, "block6");
	/* IPv4-mapped IPv6: blocked as the IPv4 address, in block4 */
	contain("staging", "::ffff:203.0.113.10", "RU", false, &a);
	assert_string_equal(fx.d.set, "block4");
	assert_int_equal(fx.d.addr.family, 4);
	{
		struct netaddr want;

		assert_int_equal(netaddr_parse("203.0.113.10", &want), 0);
		assert_true(netaddr_eq(&fx.d.addr, &want));
	}
	expect_stats(3, 0, 0, 0);
	teardown(NULL);

	/* a contain.never entry written ::ffff:a.b.c.d holds for IPv4 */
	start("contain:\n  enabled: true\n  never: ['::ffff:198.18.0.0/120']\n");
	contain("staging", "198.18.0.5", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (never)");
	contain("staging", "198.18.1.5", "RU", false, &a); /* next to it */
	assert_int_equal(fx.d.nft_calls, 1);
	teardown(NULL);
}

/* A rule not in contain.rules: nothing done, nothing said; the list in
 * the file replaces the default. */
static void
test_rules_list(void **state)
{
	struct alert a;

	(void)state;
	start(BASE_YAML);
	contain("bulk-upload", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "");
	assert_int_equal(fx.d.nft_calls, 0);
	contain("staging", "203.0.113.9", "RU", false, &a); /* positive control */
	assert_int_equal(fx.d.nft_calls, 1);
	teardown(NULL);

	start(BASE_YAML "  rules: [bulk-upload]\n");
	contain("compressed-upload", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "");
	assert_int_equal(fx.d.nft_calls, 0);
	contain("bulk-upload", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 1);
	teardown(NULL);
}

/* Each reason never to block, beside an address that is blocked. */
static void
test_never_blocked(void **state)
{
	static const struct {
		const char *dst, *cc;
		bool familiar;
		const char *want;
	} cases[] = {
		{ NULL, "RU", false, "skipped (unknown)" },
		{ "192.0.2.77", "RU", false, "skipped (never)" },
		{ "10.9.9.9", "RU", false, "skipped (internal)" },
		{ "127.0.0.1", "RU", false, "skipped (special)" },
		{ "224.0.0.251", "RU", false, "skipped (special)" },
		{ "255.255.255.255", "RU", false, "skipped (special)" },
		{ "169.254.169.254", "RU", false, "skipped (special)" },
		{ "0.0.0.0", "RU", false, "skipped (special)" },
		{ "::1", "RU", false, "skipped (special)" },
		{ "ff02::fb", "RU", false, "skipped (special)" },
		{ "fe80::1", "RU", false, "skipped (special)" },
		{ "::", "RU", false, "skipped (special)" },
		{ "::ffff:127.0.0.1", "RU", false, "skipped (special)" },
		{ "::ffff:192.0.2.77", "RU", false, "skipped (never)" },
		{ "::ffff:10.9.9.9", "RU", false, "skipped (internal)" },
		{ "::ffff:198.51.100.7", "RU", false, "skipped (proxy)" },
		{ "198.51.100.7", "RU", false, "skipped (proxy)" },
		{ "203.0.113.9", "JP", false, "skipped (home)" },
		{ "203.0.113.9", "RU", true, "skipped (familiar)" },
	};
	struct alert a;
	size_t i;

	(void)state;
	start(BASE_YAML);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		contain("campaign", cases[i].dst, cases[i].cc, cases[i].familiar,
		    &a);
		assert_string_equal(a.contained, cases[i].want);
	}
	assert_int_equal(fx.d.nft_calls, 0);
	contain("campaign", "192.0.3.1", "RU", false, &a); /* next to never */
	assert_int_equal(fx.d.nft_calls, 1);
	expect_stats(1, ARRAY_LEN(cases), 0, 0);
	teardown(NULL);
}

/* Catch and release: 1 h, 2 h, 4 h, ... at most 24 h; forgotten when
 * max_timeout has passed since the last block ended. */
static void
test_doubling(void **state)
{
	static const uint64_t want_s[] = { 3600, 7200, 14400, 28800, 57600,
		86400, 86400 };
	struct alert a;
	size_t i;

	(void)state;
	start(BASE_YAML "  max_per_minute: 100\n");
	for (i = 0; i < ARRAY_LEN(want_s); i++) {
		contain("staging", "203.0.113.9", "RU", false, &a);
		assert_int_equal(fx.d.timeout_ms, want_s[i] * 1000);
		advance(want_s[i] * NS_PER_SEC + NS_PER_SEC); /* it ended */
	}
	/* another address starts at an hour */
	contain("staging", "203.0.113.10", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 3600000);
	/* 24 h after its last block ended, the first one's count is gone */
	advance(86400 * NS_PER_SEC);
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 3600000);
	teardown(NULL);

	assert_int_equal(contain_timeout_s(3, 86400, 0), 3);
	assert_int_equal(contain_timeout_s(3, 86400, 2), 12);
	assert_int_equal(contain_timeout_s(3, 10, 2), 10);
	assert_int_equal(contain_timeout_s(3600, 86400, 40), 86400);
	assert_int_equal(contain_timeout_s(1ULL << 62, UINT64_MAX, 5),
	    UINT64_MAX);
}

/* The history is a fixed table: full, the least recently blocked goes. */
static void
test_history_eviction(void **state)
{
	struct netaddr first;
	struct alert a;
	char addr[32];
	size_t i;

	(void)state;
	start(BASE_YAML "  max_per_minute: 1000000000\n");
	for (i = 0; i < CONTAIN_HISTORY + 1; i++) {
		if (i == CONTAIN_HISTORY) { /* full: a failed add takes no slot */
			fx.d.nft_rc = -1;
			contain("staging", "198.18.0.1", "RU", false, &a);
			assert_string_equal(a.contained, "skipped (error)");
			fx.d.nft_rc = 0;
		}
		snprintf(addr, sizeof(addr), "203.%zu.%zu.1", (i >> 8) & 255,
		    i & 255);
		contain("staging", addr, "RU", false, &a);
		assert_int_equal(fx.d.timeout_ms, 3600000);
		advance(NS_PER_SEC);
	}
	advance(3600 * NS_PER_SEC); /* every block ended */
	/* the second address is still known: doubled; the first was evicted */
	contain("staging", "203.0.1.1", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 7200000);
	assert_int_equal(netaddr_parse("203.0.0.1", &first), 0);
	contain("staging", "203.0.0.1", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 3600000);
	teardown(NULL);
}

/* Full of running blocks, a new address takes the slot of one whose
 * block ended, though another was blocked less recently. */
static void
test_history_prefers_ended(void **state)
{
	struct alert a;
	char addr[32];
	size_t i;

	(void)state;
	start(BASE_YAML "  max_per_minute: 1000000000\n");
	contain("staging", "198.18.0.1", "RU", false, &a);   /* O: 1 h */
	advance(3601 * NS_PER_SEC);
	contain("staging", "198.18.0.1", "RU", false, &a);   /* O: 2 h more */
	assert_int_equal(fx.d.timeout_ms, 7200000);
	advance(NS_PER_SEC);
	contain("staging", "198.18.0.2", "RU", false, &a);   /* E: 1 h */
	advance(98 * NS_PER_SEC);
	for (i = 0; i < CONTAIN_HISTORY - 2; i++) {          /* the rest: 1 h */
		snprintf(addr, sizeof(addr), "203.0.%zu.%zu", i >> 8, i & 255);
		contain("staging", addr, "RU", false, &a);
	}
	advance(3550 * NS_PER_SEC); /* E ended; O and the rest run */
	contain("staging", "198.18.0.3", "RU", false, &a);   /* takes E's */
	advance(7200 * NS_PER_SEC); /* all ended */
	contain("staging", "198.18.0.1", "RU", false, &a);   /* O: remembered */
	assert_int_equal(fx.d.timeout_ms, 4 * 3600000ULL);
	contain("staging", "198.18.0.2", "RU", false, &a);   /* E: forgotten */
	assert_int_equal(fx.d.timeout_ms, 3600000);
	teardown(NULL);
}

/* An address whose block runs is not added again, nor its timeout
 * doubled: the alert says the running block; no token is taken. */
static void
test_still_blocked(void **state)
{
	struct alert a;

	(void)state;
	start(BASE_YAML "  max_per_minute: 2\n");
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-14T23:13:20.000Z");
	advance(600 * NS_PER_SEC);
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-14T23:13:20.000Z");
	contain("staging", "::ffff:203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-14T23:13:20.000Z");
	assert_int_equal(fx.d.nft_calls, 1);
	expect_stats(1, 0, 0, 0);
	contain("staging", "203.0.113.10", "RU", false, &a); /* a token left */
	assert_int_equal(fx.d.nft_calls, 2);
	advance(3000 * NS_PER_SEC + 1); /* the first block ended */
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 3);
	assert_int_equal(fx.d.timeout_ms, 7200000);
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-15T01:13:20.000Z");
	teardown(NULL);
}

/* The rate limit and the hook budget go by the monotonic clock: the wall
 * clock stepped back an hour takes nothing from the refill. */
static void
test_monotonic(void **state)
{
	struct alert a;

	(void)state;
	start(BASE_YAML "  max_per_minute: 1\n");
	contain("staging", "203.0.113.1", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 1);
	fx.d.now -= 3600 * NS_PER_SEC;
	fx.d.mono += 60 * NS_PER_SEC;
	contain("staging", "203.0.113.2", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 2);
	/* the until shown is the wall clock's */
	assert_string_equal(a.contained,
	    "nft set block4 until 2023-11-14T22:13:20.000Z");
	fx.d.now += 7200 * NS_PER_SEC; /* forward: no token from it */
	contain("staging", "203.0.113.3", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (rate-limited)");
	teardown(NULL);

	start(BASE_YAML "  exec: /opt/hooks/block\n  exec_timeout: 5s\n"
	    "  max_per_minute: 100\n");
	fx.d.exec_ns = 6 * NS_PER_SEC;
	contain("staging", "203.0.113.9", "RU", false, &a);
	contain("staging", "203.0.113.9", "RU", false, &a);
	contain("staging", "203.0.113.9", "RU", false, &a); /* 18 s used */
	fx.d.now += 120 * NS_PER_SEC; /* the wall clock only */
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (rate-limited)");
	assert_int_equal(fx.d.exec_calls, 3);
	teardown(NULL);
}

/* max_per_minute blocks at once, then one per 60/max seconds. */
static void
test_rate_limit(void **state)
{
	struct alert a;
	char addr[32];
	int i;

	(void)state;
	start(BASE_YAML "  max_per_minute: 3\n");
	for (i = 0; i < 3; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i + 1);
		contain("staging", addr, "RU", false, &a);
		assert_string_not_equal(a.contained, "skipped (rate-limited)");
	}
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (rate-limited)");
	assert_int_equal(fx.d.nft_calls, 3);
	/* a skipped reason costs no token */
	contain("staging", "10.1.1.1", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (internal)");
	advance(19 * NS_PER_SEC); /* not quite a token */
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (rate-limited)");
	advance(1 * NS_PER_SEC); /* 20 s: one */
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 4);
	expect_stats(4, 3, 0, 2);
	teardown(NULL);
}

/* nft refuses: the alert says error, it is counted, the address is not
 * noted as blocked (the next block is not doubled). */
static void
test_nft_error(void **state)
{
	struct alert a;

	(void)state;
	start(BASE_YAML);
	fx.d.nft_rc = -1;
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (error)");
	fx.d.nft_rc = 0;
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 3600000);
	expect_stats(1, 0, 1, 0);
	teardown(NULL);
}

/* The hook gets the alert's JSON line on stdin; its exit status is
 * said; killed or not started is an error. */
static void
test_exec(void **state)
{
	char json[16384];
	struct strbuf sb;
	struct alert a;

	(void)state;
	start(BASE_YAML "  exec: /opt/hooks/block\n");
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "exec /opt/hooks/block exit 0");
	assert_int_equal(fx.d.nft_calls, 0);
	assert_string_equal(fx.d.path, "/opt/hooks/block");
	a.contained[0] = '\0'; /* (the JSON it was given was made before) */
	sb_init(&sb, json, sizeof(json));
	assert_true(alert_format_json(&a, &sb));
	sb_putc(&sb, '\n');
	assert_int_equal(fx.d.input_len, sb.len);
	assert_memory_equal(fx.d.input, json, sb.len);

	fx.d.result.exit_status = 3;
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "exec /opt/hooks/block exit 3");
	fx.d.result.exit_status = -1;
	fx.d.result.timed_out = true;
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (error)");
	fx.d.exec_rc = -1;
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (error)");
	/* skip reasons hold for the hook too */
	contain("staging", "203.0.113.9", "JP", false, &a);
	assert_string_equal(a.contained, "skipped (home)");
	assert_int_equal(fx.d.exec_calls, 4);
	expect_stats(1, 1, 3, 0);
	teardown(NULL);
}

/* Hooks that run long: a run starts only when its exec_timeout fits in
 * the 20 s of hook time a minute; a new minute starts afresh. */
static void
test_exec_time_budget(void **state)
{
	struct alert a;
	int i;

	(void)state;
	start(BASE_YAML "  exec: /opt/hooks/block\n  exec_timeout: 5s\n"
	    "  max_per_minute: 100\n");
	fx.d.exec_ns = 6 * NS_PER_SEC;
	for (i = 0; i < 3; i++) { /* 0, 6, 12 s used: each fits 5 s more */
		contain("staging", "203.0.113.9", "RU", false, &a);
		assert_string_equal(a.contained, "exec /opt/hooks/block exit 0");
	}
	contain("staging", "203.0.113.9", "RU", false, &a); /* 18 + 5 > 20 */
	assert_string_equal(a.contained, "skipped (rate-limited)");
	assert_int_equal(fx.d.exec_calls, 3);
	advance(42 * NS_PER_SEC); /* the minute began at the first run */
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "exec /opt/hooks/block exit 0");
	expect_stats(4, 1, 0, 1);
	teardown(NULL);
}

/* A reload with yaml: its config, applied (the caller frees it). */
static struct config *
reload(const char *yaml)
{
	char err[CONFIG_ERR_LEN];
	struct config *c;

	if (config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	contain_apply_config(fx.c, c);
	return c;
}

/* A reload: the new settings apply at once; the history of blocks and
 * the tokens left stay (the tokens capped at the new rate). */
static void
test_reload(void **state)
{
	static const char yaml[] = "contain:\n  enabled: true\n"
	    "  never: [203.0.113.0/24]\n  timeout: 2h\n  max_timeout: 7d\n"
	    "  max_per_minute: 1\n";
	static const char yaml2[] = BASE_YAML "  timeout: 2h\n  max_timeout: 7d\n"
	    "  max_per_minute: 1\n";
	struct config *c2, *c3;
	struct alert a;

	(void)state;
	start(BASE_YAML);
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.timeout_ms, 3600000);
	c2 = reload(yaml);
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_string_equal(a.contained, "skipped (never)");
	c3 = reload(yaml2);
	advance(3601 * NS_PER_SEC); /* the first block ended */
	contain("staging", "203.0.113.9", "RU", false, &a); /* its second */
	assert_int_equal(fx.d.timeout_ms, 4 * 3600000ULL);
	contain("staging", "203.0.113.10", "RU", false, &a); /* 1 a minute */
	assert_string_equal(a.contained, "skipped (rate-limited)");
	assert_int_equal(fx.d.nft_calls, 2);
	teardown(NULL);
	config_free(c2);
	config_free(c3);
}

/* A reload that turns contain.enabled off stops blocking at once. */
static void
test_reload_off(void **state)
{
	struct config *c2;
	struct alert a;

	(void)state;
	start(BASE_YAML);
	contain("staging", "203.0.113.9", "RU", false, &a);
	assert_int_equal(fx.d.nft_calls, 1);
	c2 = reload("contain:\n  enabled: false\n");
	assert_false(c2->contain_enabled);
	contain("staging", "203.0.113.10", "RU", false, &a);
	assert_string_equal(a.contained, "");
	contain("staging", "127.0.0.1", "RU", false, &a);
	assert_string_equal(a.contained, "");
	assert_int_equal(fx.d.nft_calls, 1);
	expect_stats(1, 0, 0, 0);
	teardown(NULL);
	config_free(c2);
}

/* ---- the field in every format ---- */

/* "contained" in each format under its own key, escaped as that format
 * escapes; absent when empty. */
static void
test_formats(void **state)
{
	static const struct {
		enum output_format f;
		enum syslog_header h;
		const char *want;
	} forms[] = {
		{ OUTPUT_FORMAT_JSON, SYSLOG_RFC3164,
		    "\"contained\":\"exec /x=\\\"y\\\" exit 0\"" },
		{ OUTPUT_FORMAT_ECS, SYSLOG_RFC3164,
		    "\"contained\":\"exec /x=\\\"y\\\" exit 0\"" },
		{ OUTPUT_FORMAT_CEF, SYSLOG_RFC3164,
		    " exfildContained=exec /x\\=\"y\" exit 0" },
		{ OUTPUT_FORMAT_LEEF, SYSLOG_RFC3164,
		    "^contained=exec /x=\"y\" exit 0^" },
		{ OUTPUT_FORMAT_JSON, SYSLOG_RFC5424,
		    " contained=\"exec /x=\\\"y\\\" exit 0\"" },
	};
	struct syslog_meta m = { 20, "h", "exfild", 0, 0 };
	char buf[16384];
	struct strbuf sb;
	struct alert a;
	size_t i;
	int pass;

	(void)state;
	make_alert(&a, "staging", "203.0.113.9", "RU");
	a.title = "t";
	for (pass = 0; pass < 2; pass++) {
		str_copy(a.contained, pass == 0 ? "exec /x=\"y\" exit 0" : "",
		    sizeof(a.contained));
		for (i = 0; i < ARRAY_LEN(forms); i++) {
			sb_init(&sb, buf, sizeof(buf));
			if (forms[i].h == SYSLOG_RFC5424)
				assert_int_equal(syslog_format_message(&a,
				    forms[i].h, forms[i].f, &m, sizeof(buf) - 1,
				    &sb), 0);
			else if (forms[i].f == OUTPUT_FORMAT_JSON)
				assert_true(alert_format_json(&a, &sb));
			else
				assert_int_equal(syslog_format_body(&a, forms[i].f,
				    sizeof(buf) - 1, &sb), 0);
			if (pass == 0 && strstr(buf, forms[i].want) == NULL)
				fail_msg("format %zu: no %s in %s", i, forms[i].want,
				    buf);
			if (pass == 1 && strstr(buf, "ontained") != NULL)
				fail_msg("format %zu: an empty field written: %s",
				    i, buf);
		}
	}
}

/* ---- the section ---- */

static void
expect_error(const char *yaml, const char *want)
{
	char err[CONFIG_ERR_LEN];
	struct config *c;

	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c,
	    err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, want);
}

static void
test_config(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *c;
	const char *y = "contain:\n  enabled: yes\n  nft: { table: ip fw, "
	    "set: bad4, set6: bad6 }\n  timeout: 3s\n  max_timeout: 10s\n"
	    "  exec_timeout: 2s\n  max_per_minute: 4\n  rules: [beacon]\n";

	(void)state;
	assert_int_equal(config_load_string("t.yaml", "", 0, &c, err,
	    sizeof(err)), 0);
	assert_false(c->contain_enabled);
	assert_string_equal(c->contain_nft_family, "inet");
	assert_string_equal(c->contain_nft_table, "exfild");
	assert_string_equal(c->contain_nft_set, "block4");
	assert_string_equal(c->contain_nft_set6, "block6");
	assert_int_equal(c->contain_timeout_s, 3600);
	assert_int_equal(c->contain_max_timeout_s, 86400);
	assert_int_equal(c->contain_exec_timeout_s, 5);
	assert_int_equal(c->contain_max_per_minute, 10);
	assert_null(c->contain_exec);
	assert_int_equal(__builtin_popcount(c->contain_rules), 5);
	config_free(c);

	assert_int_equal(config_load_string("t.yaml", y, strlen(y), &c, err,
	    sizeof(err)), 0);
	assert_true(c->contain_enabled);
	assert_string_equal(c->contain_nft_family, "ip");
	assert_string_equal(c->contain_nft_table, "fw");
	assert_string_equal(c->contain_nft_set, "bad4");
	assert_string_equal(c->contain_nft_set6, "bad6");
	assert_int_equal(c->contain_timeout_s, 3);
	assert_int_equal(c->contain_max_timeout_s, 10);
	assert_int_equal(c->contain_exec_timeout_s, 2);
	assert_int_equal(c->contain_max_per_minute, 4);
	assert_int_equal(__builtin_popcount(c->contain_rules), 1);
	config_free(c);

	expect_error("contain:\n  rules: [nope]\n",
	    "t.yaml:2:11: contain.rules: invalid rule \"nope\"");
	expect_error("contain:\n  nft: { table: inet }\n",
	    "contain.nft.table: invalid nftables table");
	expect_error("contain:\n  nft: { table: nope exfild }\n",
	    "contain.nft.table: invalid nftables family");
	expect_error("contain:\n  nft: { set: \"a;b\" }\n",
	    "contain.nft.set: invalid nftables name");
	expect_error("contain:\n  nft: { set6: 9x }\n",
	    "contain.nft.set6: invalid nftables name");
	expect_error("contain:\n  timeout: 2d\n",
	    "max_timeout (86400 s) is shorter than timeout (172800 s)");
	expect_error("contain:\n  max_timeout: 31d\n",
	    "max_timeout is longer than 30 days");
	expect_error("contain:\n  exec_timeout: 21s\n",
	    "exec_timeout is longer than 20 s");
	expect_error("contain:\n  timeout: 0\n", "must be greater than 0");
	expect_error("contain:\n  max_per_minute: 0\n", "invalid number");
	expect_error("contain:\n  never: [10.0.0.0/33]\n", "invalid CIDR");
	expect_error("contain:\n  bogus: 1\n", "unknown key \"bogus\"");
}

/* ---- the real hook ---- */

static void
write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, 0700), 0);
}

static void
test_hook_run(void **state)
{
	char dir[] = "/tmp/test_contain.XXXXXX", script[128], got[128], err[256];
	static const char input[] = "{\"id\":\"x\"}\n";
	struct hook_result r;
	uint64_t t0;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/hook", dir);
	snprintf(got, sizeof(got), "%s/stdin", dir);
	{
		char body[512];

		snprintf(body, sizeof(body), "cat > %s\necho first\n"
		    "printf 'sec\\033ond\\n' >&2\necho third\nexit 4\n", got);
		write_script(script, body);
	}
	assert_int_equal(hook_run(script, input, strlen(input), 5000, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.exit_status, 4);
	assert_false(r.timed_out);
	assert_int_equal(r.output_len, strlen("first\nsec\033ond\nthird\n"));
	assert_memory_equal(r.output, "first\nsec\033ond\nthird\n", r.output_len);
	f = fopen(got, "r");
	assert_non_null(f);
	{
		char buf[64];

		n = fread(buf, 1, sizeof(buf), f);
		assert_int_equal(n, strlen(input));
		assert_memory_equal(buf, input, n);
	}
	fclose(f);

	/* killed at the time limit, long before it would end */
	write_script(script, "sleep 30\n");
	t0 = clock_mono_ns();
	assert_int_equal(hook_run(script, input, strlen(input), 200, &r, err,
	    sizeof(err)), 0);
	assert_true(r.timed_out);
	assert_int_equal(r.exit_status, -1);
	assert_int_equal(r.signal, 9);
	assert_true(clock_mono_ns() - t0 < 2 * NS_PER_SEC);

	/* not there: an error, not a crash */
	unlink(script);
	assert_int_equal(hook_run(script, input, strlen(input), 200, &r, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot run"));
	unlink(got);
	rmdir(dir);
}

/* Is the process pid gone (or a zombie)? Waits up to 2 s. */
static bool
gone(long pid)
{
	char path[64], stat[256];
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	for (i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");
		size_t n;
		char *rp;

		if (f == NULL)
			return true;
		n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		rp = strrchr(stat, ')');
		if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

/* What a hook leaves behind: a background child is killed with its
 * group when the hook exits; a hook that reads no stdin neither blocks
 * nor kills us (SIGPIPE) with a large alert; none of our descriptors
 * reaches it. */
static void
test_hook_leftovers(void **state)
{
	char dir[] = "/tmp/test_contain.XXXXXX", script[128], pidf[128],
	    body[512], err[256];
	static char big[256 * 1024];
	struct hook_result r;
	uint64_t t0;
	long pid = 0;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/hook", dir);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	snprintf(body, sizeof(body), "sleep 30 </dev/null >/dev/null 2>&1 &\n"
	    "echo $! > %s\nexit 0\n", pidf);
	write_script(script, body);
	assert_int_equal(hook_run(script, "x\n", 2, 5000, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.exit_status, 0);
	assert_false(r.timed_out);
	f = fopen(pidf, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	assert_true(pid > 1);
	if (!gone(pid)) {
		(void)kill((pid_t)pid, SIGKILL);
		fail_msg("the hook's background child %ld still runs", pid);
	}

	/* 256 KiB it never reads: it exits, or is killed at the limit */
	memset(big, 'a', sizeof(big));
	write_script(script, "exit 3\n");
	t0 = clock_mono_ns();
	assert_int_equal(hook_run(script, big, sizeof(big), 2000, &r, err,
	    sizeof(err)), 0);
	assert_int_equal(r.exit_status, 3);
	assert_false(r.timed_out);
	write_script(script, "sleep 30\n");
	assert_int_equal(hook_run(script, big, sizeof(big), 200, &r, err,
	    sizeof(err)), 0);
	assert_true(r.timed_out);
	assert_true(clock_mono_ns() - t0 < 2 * NS_PER_SEC);

	/* a descriptor of ours without O_CLOEXEC stays ours */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd > 2);
	write_script(script, "exec ls /proc/self/fd\n");
	assert_int_equal(hook_run(script, "", 0, 5000, &r, err,
	    sizeof(err)), 0);
	close(fd);
	assert_int_equal(r.exit_status, 0);
	assert_int_equal(r.output_len, strlen("0\n1\n2\n3\n"));
	assert_memory_equal(r.output, "0\n1\n2\n3\n", r.output_len);
	unlink(script);
	unlink(pidf);
	rmdir(dir);
}

/* ---- the netlink batch ---- */

static const uint8_t *
find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	size_t i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

static void
test_nft_batch(void **state)
{
	uint8_t buf[1024];
	const struct nlmsghdr *h;
	struct netaddr a;
	uint64_t be = htobe64(3000);
	size_t len, off = 0, msgs = 0;
	uint16_t types[3];

	(void)state;
	assert_int_equal(netaddr_parse("203.0.113.9", &a), 0);
	len = nft_build_add(buf, sizeof(buf), 100, nft_family("inet"),
	    "exfild", "block4", &a, 3000);
	assert_true(len > 0);
	while (off < len) {
		h = (const struct nlmsghdr *)(const void *)(buf + off);
		assert_true(h->nlmsg_len >= NLMSG_HDRLEN);
		types[msgs++] = h->nlmsg_type;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	assert_int_equal(off, len);
	assert_int_equal(msgs, 3);
	assert_int_equal(types[0], NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(types[1], (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM);
	assert_int_equal(types[2], NFNL_MSG_BATCH_END);
	assert_non_null(find_bytes(buf, len, "exfild", 7));
	assert_non_null(find_bytes(buf, len, "block4", 7));
	assert_non_null(find_bytes(buf, len, (const uint8_t[]){ 203, 0, 113, 9 }, 4));
	assert_non_null(find_bytes(buf, len, &be, 8));
	/* too small: 0, not an overflow */
	assert_int_equal(nft_build_add(buf, 40, 100, nft_family("inet"),
	    "exfild", "block4", &a, 3000), 0);
	assert_int_equal(nft_family("inet"), 1);
	assert_int_equal(nft_family("ip6"), 10);
	assert_int_equal(nft_family("arp"), -1);
}

/* An NLMSG_ERROR of sequence seq with error e at off in buf (the
 * request's header after it); mlen 0: its real length. Its end. */
static size_t
put_error(uint8_t *buf, size_t off, uint32_t seq, int32_t e, uint32_t mlen)
{
	struct nlmsghdr h = { 0 }, orig = { 0 };

	h.nlmsg_len = mlen != 0 ? mlen :
	    (uint32_t)(NLMSG_HDRLEN + sizeof(e) + sizeof(orig));
	h.nlmsg_type = NLMSG_ERROR;
	h.nlmsg_seq = seq;
	memcpy(buf + off, &h, sizeof(h));
	memcpy(buf + off + NLMSG_HDRLEN, &e, sizeof(e));
	memcpy(buf + off + NLMSG_HDRLEN + sizeof(e), &orig, sizeof(orig));
	return off + NLMSG_HDRLEN + sizeof(e) + sizeof(orig);
}

/* The kernel's answer: an error for any message of the batch is the
 * answer (EPERM comes with BEGIN's number); the add's ACK is success;
 * other numbers are skipped; bad codes and lengths are malformed. */
static void
test_nft_answer(void **state)
{
	uint8_t buf[256];
	size_t len;
	int error;

	(void)state;
	memset(buf, 0, sizeof(buf));
	len = put_error(buf, 0, 99, -1, 0); /* EPERM on BEGIN (seq - 1) */
	error = -7;
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 1);
	assert_int_equal(error, 1);
	len = put_error(buf, 0, 101, -2, 0); /* on END */
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 1);
	assert_int_equal(error, 2);
	len = put_error(buf, 0, 100, 0, 0); /* the add's ACK */
	error = -7;
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 1);
	assert_int_equal(error, 0);
	len = put_error(buf, 0, 99, 0, 0); /* an ACK of BEGIN: not it */
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 0);
	len = put_error(buf, 0, 97, -1, 0); /* an earlier batch's */
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 0);
	len = put_error(buf, len, 100, -17, 0); /* ... then ours */
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 1);
	assert_int_equal(error, 17);
	/* sequence numbers wrap */
	len = put_error(buf, 0, UINT32_MAX, -1, 0);
	assert_int_equal(nft_find_answer(buf, len, 0, &error), 1);
	assert_int_equal(error, 1);
	/* codes that are no errno */
	len = put_error(buf, 0, 100, 5, 0);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	len = put_error(buf, 0, 100, INT32_MIN, 0);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	len = put_error(buf, 0, 100, -4096, 0);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	len = put_error(buf, 0, 100, -4095, 0);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), 1);
	/* an error message too short for its code, bytes after it */
	len = put_error(buf, 0, 100, -1, NLMSG_HDRLEN);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	len = put_error(buf, 0, 100, -1, NLMSG_HDRLEN + 2);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	/* longer than the datagram */
	len = put_error(buf, 0, 100, -1, 200);
	assert_int_equal(nft_find_answer(buf, len, 100, &error), -1);
	assert_int_equal(nft_find_answer(buf, 0, 100, &error), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_listed),
		cmocka_unit_test(test_rules_list),
		cmocka_unit_test(test_never_blocked),
		cmocka_unit_test(test_doubling),
		cmocka_unit_test(test_history_eviction),
		cmocka_unit_test(test_history_prefers_ended),
		cmocka_unit_test(test_still_blocked),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_nft_error),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_time_budget),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_reload_off),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_hook_run),
		cmocka_unit_test(test_hook_leftovers),
		cmocka_unit_test(test_nft_batch),
		cmocka_unit_test(test_nft_answer),
	};

	log_init("test_contain", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
