/*
 * test_rule_indicator_match.c - the indicator-match rule through the
 * engine, with hits from real lists (enrich/indicators.h): an address, a
 * CIDR, a name and a subdomain alert, a sibling name does not; exact
 * evidence for each format; a list's severity over the rule's;
 * familiar, domestic and learning-period destinations alert all the same;
 * suppression; the gate (not asked for unlisted destinations); the rule
 * turned off. Each stays-quiet case has its positive control beside it.
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

#include "exfild/detect/engine.h"
#include "exfild/enrich/indicators.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"

#define SEC 1000000000ULL
#define T0 (1717372800ULL * SEC)
#define HOUR (3600 * SEC)

static const struct hash_key key = { 5, 6 };

struct fixture {
	char dir[64], plain[128], feodo[128], hosts[128];
	struct config *cfg;
	struct detect *d;
	struct indicators *ioc;
	struct pair pair;
	struct dest dest;
	uint32_t dest_id;
	size_t alerts;
	enum severity sev;
	struct finding last;
};

static struct fixture fx;

static void
write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *x = ctx;

	assert_string_equal(r->name, "indicator-match");
	x->alerts++;
	x->sev = sev;
	memset(&x->last, 0, sizeof(x->last));
	finding_copy(&x->last, f);
}

/* Three lists (plain high, Feodo critical, hosts file at the rule's
 * severity) and this rules.indicator_match section; learning 2h. */
static void
load(const char *section)
{
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char prefix[1024], yaml[2048], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	strcpy(fx.dir, "/tmp/exfild-test-rim-XXXXXX");
	assert_non_null(mkdtemp(fx.dir));
	snprintf(fx.plain, sizeof(fx.plain), "%s/iocs.txt", fx.dir);
	snprintf(fx.feodo, sizeof(fx.feodo), "%s/feodo.csv", fx.dir);
	snprintf(fx.hosts, sizeof(fx.hosts), "%s/urlhaus.txt", fx.dir);
	write_text(fx.plain, "# ours\n203.0.113.7 # C2 seen in March\n"
	    "198.51.100.0/24\nexample.net   phishing kit\n");
	write_text(fx.feodo, "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"malware\"\n"
	    "\"2024-01-01 00:00:00\",\"192.0.2.50\",\"8080\",\"QakBot\"\n");
	write_text(fx.hosts, "127.0.0.1 drop.example.org\n");
	snprintf(prefix, sizeof(prefix), "baseline: { learn: 2h }\nindicators:\n"
	    "  - { file: %s, severity: high }\n"
	    "  - { file: %s, format: feodo, severity: critical }\n"
	    "  - { file: %s, format: hostfile }\n", fx.plain, fx.feodo, fx.hosts);
	rule_test_yaml(yaml, sizeof(yaml), prefix, "indicator_match", section);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	fx.ioc = indicators_new(4, &key);
	assert_int_equal(indicators_load(fx.ioc, fx.cfg, err, sizeof(err)), 0);
	assert_int_equal(netaddr_parse("10.1.20.21", &fx.pair.host), 0);
	fx.pair.country = country_parse("RU");
	fx.pair.gen = 1;
}

static int
setup(void **state)
{
	(void)state;
	load("");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	detect_free(fx.d);
	indicators_free(fx.ioc);
	config_free(fx.cfg);
	unlink(fx.plain);
	unlink(fx.feodo);
	unlink(fx.hosts);
	rmdir(fx.dir);
	return 0;
}

/* The destination (name or "", address or NULL) in a fresh slot. */
static void
to(const char *name, const char *addr)
{
	memset(&fx.dest, 0, sizeof(fx.dest));
	str_copy(fx.dest.name, name, sizeof(fx.dest.name));
	if (addr != NULL)
		assert_int_equal(netaddr_parse(addr, &fx.dest.addr), 0);
	fx.dest.gen = ++fx.dest_id;
	fx.pair.gen++; /* a new pair too */
}

/* The rule asked as the tracker asks it (the hit looked up as it does). */
static void
ask_as(uint64_t ts, unsigned why, bool familiar, bool foreign, bool dns)
{
	struct rule_input in;
	struct detect_ids ids;
	struct ioc_hit hit;
	const struct ioc_hit *h;

	memset(&in, 0, sizeof(in));
	in.cfg = fx.cfg;
	in.ts_ns = ts;
	in.why = why;
	in.learn_end_ns = T0 + 2 * HOUR;
	in.pair = &fx.pair;
	in.dest = &fx.dest;
	in.familiar = familiar;
	in.foreign = foreign;
	h = indicators_dest(fx.ioc, 0, fx.dest.gen, fx.dest.name, &fx.dest.addr);
	if (h != NULL) {
		hit = *h;
		hit.dns_answer = dns;
		in.ioc = &hit;
	}
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx.pair.gen;
	ids.id[RULE_SCOPE_DEST] = 0;
	ids.gen[RULE_SCOPE_DEST] = fx.dest.gen;
	detect_eval(fx.d, &in, &ids, record, &fx);
}

/* A connection after learning, to an unfamiliar foreign destination. */
static void
ask(void)
{
	ask_as(T0 + 3 * HOUR, RULE_ON_CONN, false, true, false);
}

static const char *
text_of(const char *k)
{
	return finding_text(&fx.last, rule_test_field(&fx.last, k));
}

static void
assert_no_field(const char *k)
{
	size_t i;

	for (i = 0; i < fx.last.n; i++)
		assert_string_not_equal(fx.last.f[i].key, k);
}

/* "listed in <file> line N (<entry>, <how>)<: note>" as the reason ends. */
static void
assert_reason(const char *head, const char *file, unsigned line,
    const char *tail)
{
	char want[FINDING_REASON_MAX];

	snprintf(want, sizeof(want), "%s; listed in %s line %u %s", head, file,
	    line, tail);
	assert_string_equal(fx.last.reason, want);
}

/* An address: the alert at the list's severity, exact evidence. */
static void
test_address(void **state)
{
	(void)state;
	to("", "203.0.113.7");
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(fx.sev, SEV_HIGH);
	assert_reason("10.1.20.21 contacted 203.0.113.7 (RU)", fx.plain, 2,
	    "(203.0.113.7, address): C2 seen in March");
	assert_int_equal(fx.last.n, 6);
	assert_string_equal(text_of("list"), fx.plain);
	assert_int_equal(rule_test_field(&fx.last, "line")->u64, 2);
	assert_string_equal(text_of("entry"), "203.0.113.7");
	assert_string_equal(text_of("match"), "address");
	assert_string_equal(text_of("seen_in"), "traffic");
	assert_string_equal(text_of("comment"), "C2 seen in March");
	assert_no_field("malware");
	/* its neighbour: quiet */
	to("", "203.0.113.8");
	ask();
	assert_int_equal(fx.alerts, 1);
}

/* A CIDR: any address in it; the next network's: quiet. */
static void
test_network(void **state)
{
	(void)state;
	to("", "198.51.101.1");
	ask();
	assert_int_equal(fx.alerts, 0);
	to("", "198.51.100.200");
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_reason("10.1.20.21 contacted 198.51.100.200 (RU)", fx.plain, 3,
	    "(198.51.100.0/24, network)");
	assert_string_equal(text_of("entry"), "198.51.100.0/24");
	assert_string_equal(text_of("match"), "network");
	assert_no_field("comment");
	assert_int_equal(fx.last.n, 5);
}

/* A name and its subdomains alert; a sibling with the same ending does
 * not, nor does the name under another parent. */
static void
test_name_subdomain_sibling(void **state)
{
	(void)state;
	to("badexample.net", "203.0.113.20");
	ask();
	to("example.net.example.com", "203.0.113.20");
	ask();
	to("net", NULL);
	ask();
	assert_int_equal(fx.alerts, 0);
	to("example.net", NULL);
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_reason("10.1.20.21 contacted example.net (RU)", fx.plain, 4,
	    "(example.net, name): phishing kit");
	assert_string_equal(text_of("match"), "name");
	to("Files.Example.NET", "203.0.113.20");
	ask();
	assert_int_equal(fx.alerts, 2);
	assert_reason("10.1.20.21 contacted Files.Example.NET (RU)", fx.plain, 4,
	    "(example.net, subdomain): phishing kit");
	assert_string_equal(text_of("entry"), "example.net");
	assert_string_equal(text_of("match"), "subdomain");
	assert_string_equal(text_of("comment"), "phishing kit");
}

/* The Feodo list: its severity, the malware family and port. */
static void
test_feodo_evidence(void **state)
{
	(void)state;
	to("", "192.0.2.50");
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(fx.sev, SEV_CRITICAL);
	assert_reason("10.1.20.21 contacted 192.0.2.50 (RU)", fx.feodo, 2,
	    "(192.0.2.50, address): QakBot");
	assert_int_equal(fx.last.n, 7);
	assert_string_equal(text_of("list"), fx.feodo);
	assert_string_equal(text_of("malware"), "QakBot");
	assert_int_equal(rule_test_field(&fx.last, "listed_port")->u64, 8080);
	assert_no_field("comment");
}

/* A hosts-file list has no severity of its own: the rule's (here
 * medium); its names are exact: a subdomain stays quiet. */
static void
test_hostfile_rule_severity(void **state)
{
	(void)state;
	teardown(NULL);
	load("severity: medium");
	to("www.drop.example.org", NULL);
	ask();
	assert_int_equal(fx.alerts, 0);
	to("drop.example.org", NULL);
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(fx.sev, SEV_MEDIUM);
	assert_reason("10.1.20.21 contacted drop.example.org (RU)", fx.hosts, 1,
	    "(drop.example.org, name)");
	/* a list's own severity still wins over the rule's */
	to("", "192.0.2.50");
	ask();
	assert_int_equal(fx.sev, SEV_CRITICAL);
}

/* Familiar or not, foreign or not, during the learning period or after:
 * the alert all the same. */
static void
test_familiar_domestic_learning(void **state)
{
	(void)state;
	to("example.net", NULL);
	ask_as(T0 + 60 * SEC, RULE_ON_CONN, true, false, false);
	assert_int_equal(fx.alerts, 1);
	fx.pair.country = country_parse("JP");
	to("", "203.0.113.7");
	ask_as(T0 + 3 * HOUR, RULE_ON_CONN, true, false, false);
	assert_int_equal(fx.alerts, 2);
	assert_reason("10.1.20.21 contacted 203.0.113.7 (JP)", fx.plain, 2,
	    "(203.0.113.7, address): C2 seen in March");
	/* and on the timer */
	to("", "198.51.100.1");
	ask_as(T0 + 3 * HOUR, RULE_ON_TICK, false, true, false);
	assert_int_equal(fx.alerts, 3);
}

/* One alert per pair per rules.suppress (1h). */
static void
test_suppression(void **state)
{
	(void)state;
	to("example.net", NULL);
	ask_as(T0 + 3 * HOUR, RULE_ON_CONN, false, true, false);
	ask_as(T0 + 4 * HOUR - 1, RULE_ON_CONN, false, true, false);
	ask_as(T0 + 4 * HOUR - 1, RULE_ON_TICK, false, true, false);
	assert_int_equal(fx.alerts, 1);
	ask_as(T0 + 4 * HOUR, RULE_ON_CONN, false, true, false);
	assert_int_equal(fx.alerts, 2);
}

/* The gate: the rule leaves unlisted destinations settled (the combined
 * gate still skips familiar and domestic pairs), is asked on connections
 * and the timer, never per packet. */
static void
test_gate(void **state)
{
	const struct detect_gate *g;

	(void)state;
	g = detect_gate(fx.d, RULE_ON_CONN);
	assert_true(g->any && g->any_listed && g->all_unfamiliar_foreign);
	g = detect_gate(fx.d, RULE_ON_TICK);
	assert_true(g->any && g->any_listed && g->all_unfamiliar_foreign);
	g = detect_gate(fx.d, RULE_ON_BYTES);
	assert_false(g->any || g->any_listed);
	to("", "203.0.113.7");
	ask_as(T0 + 3 * HOUR, RULE_ON_BYTES, false, true, false);
	assert_int_equal(fx.alerts, 0);
	ask();
	assert_int_equal(fx.alerts, 1);
}

/* Seen in a DNS answer to the host: said so. */
static void
test_dns_answer(void **state)
{
	(void)state;
	to("cdn.example.net", "203.0.113.9");
	ask_as(T0 + 3 * HOUR, RULE_ON_TICK, false, true, true);
	assert_int_equal(fx.alerts, 1);
	assert_reason("10.1.20.21 was answered cdn.example.net (203.0.113.9) by DNS",
	    fx.plain, 4, "(example.net, subdomain): phishing kit");
	assert_string_equal(text_of("seen_in"), "dns");
}

/* An address DNS answered for a listed name: the name it was for. */
static void
test_answered(void **state)
{
	struct netaddr a;
	bool learned;

	(void)state;
	to("", "203.0.113.60");
	ask();
	assert_int_equal(fx.alerts, 0);
	assert_int_equal(netaddr_parse("203.0.113.60", &a), 0);
	assert_true(indicators_answer(fx.ioc, "cdn.example.net", &a, &learned));
	to("", "203.0.113.60");
	ask();
	assert_int_equal(fx.alerts, 1);
	assert_reason("10.1.20.21 contacted 203.0.113.60 (RU)", fx.plain, 4,
	    "(example.net, answered): phishing kit");
	assert_string_equal(text_of("match"), "answered");
	assert_string_equal(text_of("answered_for"), "cdn.example.net");
	assert_int_equal(fx.last.n, 7);
}

/* rules.indicator_match.enabled: false: quiet (the gate has no listed
 * rule then); the defaults: on, high. */
static void
test_disabled_and_defaults(void **state)
{
	double v;

	(void)state;
	assert_int_equal(config_rule_get(fx.cfg, "indicator_match", "enabled", &v), 0);
	assert_true(v == 1);
	assert_int_equal(config_rule_get(fx.cfg, "indicator_match", "severity", &v), 0);
	assert_true(v == SEV_HIGH);
	teardown(NULL);
	load("enabled: false");
	to("example.net", NULL);
	ask();
	assert_int_equal(fx.alerts, 0);
	assert_false(detect_gate(fx.d, RULE_ON_CONN)->any_listed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_subdomain_sibling, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feodo_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfile_rule_severity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_familiar_domestic_learning, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_and_defaults, setup,
		    teardown),
	};

	log_init("test", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
