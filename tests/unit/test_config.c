/*
 * test_config.c - the YAML configuration: defaults, the shipped sample, every
 * key, every error with its exact "file:line:col: message", and hostile input
 * (every truncation and byte flip of the sample).
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

#include "exfild/config/config.h"
#include "exfild/util/util.h"

#define SAMPLE_PATH "conf/exfild.yaml"


/* A rule's setting, through the loader's generic accessor. */
static double
rule_get(const struct config *c, const char *section, const char *key)
{
	double v = -1;

	assert_int_equal(config_rule_get(c, section, key, &v), 0);
	return v;
}

static char errbuf[CONFIG_ERR_LEN];

static struct config *
load_ok(const char *yaml)
{
	struct config *c = NULL;
	int rc = config_load_string("t.yaml", yaml, strlen(yaml), &c, errbuf,
	    sizeof(errbuf));

	if (rc != 0)
		print_error("unexpected error: %s\n", errbuf);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	assert_string_equal(errbuf, "");
	return c;
}

/* Loads yaml, which must fail with exactly msg. */
static void
expect_error(const char *yaml, const char *msg)
{
	struct config *c = (struct config *)1;
	int rc = config_load_string("t.yaml", yaml, strlen(yaml), &c, errbuf,
	    sizeof(errbuf));

	if (rc == 0)
		print_error("expected failure for: %s\n", yaml);
	assert_int_equal(rc, -1);
	assert_null(c);
	assert_string_equal(errbuf, msg);
}

static struct netaddr
addr(const char *s)
{
	struct netaddr a;

	assert_int_equal(netaddr_parse(s, &a), 0);
	return a;
}

static bool
is_internal(const struct config *c, const char *s)
{
	struct netaddr a = addr(s);

	return config_is_internal(c, &a);
}

static bool
is_proxy(const struct config *c, const char *s, uint16_t port)
{
	struct netaddr a = addr(s);

	return config_is_proxy(c, &a, port);
}

static void
assert_prefix(const struct netprefix *p, const char *text, unsigned len)
{
	char buf[NETADDR_STRLEN];

	netaddr_format(&p->addr, buf, sizeof(buf));
	assert_string_equal(buf, text);
	assert_int_equal(p->len, len);
}

static void
assert_country(country_t cc, const char *text)
{
	char buf[3];

	country_format(cc, buf);
	assert_string_equal(buf, text);
}

static void
assert_default_values(const struct config *c)
{
	assert_int_equal(c->internal.n, 4);
	assert_prefix(&c->internal.v[0], "10.0.0.0", 8);
	assert_prefix(&c->internal.v[1], "172.16.0.0", 12);
	assert_prefix(&c->internal.v[2], "192.168.0.0", 16);
	assert_prefix(&c->internal.v[3], "fc00::", 7);
	assert_int_equal(c->n_proxies, 0);
	assert_int_equal(c->n_geo_home, 0);
	assert_int_equal(c->n_geo_databases, 0);
	assert_null(c->geo_hosts);
	assert_null(c->baseline_state);
	assert_int_equal(c->baseline_learn_s, 604800);
	assert_int_equal(c->baseline_allow_nets.n, 0);
	assert_int_equal(c->n_baseline_allow_domains, 0);
	assert_int_equal(c->rules_window_s, 3600);
	assert_int_equal(c->rules_suppress_s, 3600);
	assert_true(rule_get(c, "bulk_upload", "enabled"));
	assert_int_equal(rule_get(c, "bulk_upload", "bytes"), 50000000);
	assert_true(rule_get(c, "bulk_upload", "min_ratio") == 3.0);
	assert_int_equal(rule_get(c, "bulk_upload", "severity"), SEV_HIGH);
	assert_true(rule_get(c, "compressed_upload", "enabled"));
	assert_int_equal(rule_get(c, "compressed_upload", "bytes"), 1000000);
	assert_int_equal(rule_get(c, "compressed_upload", "severity"), SEV_CRITICAL);
	assert_int_equal(c->limit_flows, 262144);
	assert_int_equal(c->limit_pairs, 131072);
	assert_int_equal(c->limit_destinations, 131072);
	assert_int_equal(c->limit_names, 65536);
	assert_int_equal(c->limit_app_parsers, 4096);
	assert_int_equal(c->flow_timeout_s, 300);
	assert_int_equal(c->flow_closed_timeout_s, 10);
}

static void
expected_hostname(char out[64])
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	str_copy(out, host[0] != '\0' ? host : "unknown", 64);
}

static void
test_defaults(void **state)
{
	struct config c;
	char host[64];

	(void)state;
	config_defaults(&c); /* owns no memory: nothing to free */
	assert_default_values(&c);
	expected_hostname(host);
	assert_string_equal(c.sensor, host);
	assert_null(c.path);
	assert_true(is_internal(&c, "10.1.2.3"));
	assert_true(is_internal(&c, "172.16.0.0"));
	assert_true(is_internal(&c, "172.31.255.255"));
	assert_false(is_internal(&c, "172.32.0.0"));
	assert_false(is_internal(&c, "172.15.255.255"));
	assert_true(is_internal(&c, "192.168.200.1"));
	assert_false(is_internal(&c, "192.169.0.1"));
	assert_true(is_internal(&c, "fc00::1"));
	assert_true(is_internal(&c, "fdff:ffff::1"));
	assert_false(is_internal(&c, "fe80::1"));
	assert_false(is_internal(&c, "8.8.8.8"));
	assert_false(is_internal(&c, "::ffff:8.8.8.8"));
	assert_false(is_internal(&c, "2001:db8::1"));
	assert_false(is_proxy(&c, "10.77.1.2", 3128));
	assert_false(config_is_home(&c, country_parse("JP")));
}

static void
test_empty_inputs(void **state)
{
	static const char *const empties[] = {
		"", "\n", "# only a comment\n", "---\n", "--- ~\n", "null\n",
		"---\n...\n", "{}\n",
	};
	char host[64];
	size_t i;

	(void)state;
	expected_hostname(host);
	for (i = 0; i < ARRAY_LEN(empties); i++) {
		struct config *c = load_ok(empties[i]);
		assert_default_values(c);
		assert_string_equal(c->sensor, host);
		assert_string_equal(c->path, "t.yaml");
		config_free(c);
	}
	/* Empty sections keep their defaults. */
	{
		struct config *c = load_ok("networks:\ngeo:\nbaseline: {}\n"
		    "rules:\n  bulk_upload:\n  compressed_upload: ~\nlimits:\nflow:\n");
		assert_default_values(c);
		config_free(c);
	}
}

static void
test_sample_file(void **state)
{
	struct config *c = NULL;
	char err[CONFIG_ERR_LEN] = "x";

	(void)state;
	if (config_load(SAMPLE_PATH, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(err, "");
	assert_string_equal(c->path, SAMPLE_PATH);
	assert_string_equal(c->sensor, "hq-proxy-tap");
	assert_int_equal(c->internal.n, 4);
	assert_prefix(&c->internal.v[0], "10.0.0.0", 8);
	assert_prefix(&c->internal.v[1], "172.16.0.0", 12);
	assert_prefix(&c->internal.v[2], "192.168.0.0", 16);
	assert_prefix(&c->internal.v[3], "fc00::", 7);
	/* a starting point: no demo proxy or resolver, the placeholder geo
	 * file beside it (relative to the file's directory), no hosts file */
	assert_int_equal(c->n_proxies, 0);
	assert_int_equal(c->resolvers.n, 0);
	assert_int_equal(c->n_geo_home, 1);
	assert_country(c->geo_home[0], "JP");
	assert_int_equal(c->n_geo_databases, 1);
	assert_string_equal(c->geo_databases[0], "conf/geo.csv");
	assert_null(c->geo_hosts);
	assert_string_equal(c->baseline_state, "/var/lib/exfild/baseline.state");
	assert_int_equal(c->baseline_learn_s, 7 * 86400);
	assert_int_equal(c->baseline_allow_nets.n, 1);
	assert_prefix(&c->baseline_allow_nets.v[0], "192.0.2.0", 24);
	assert_int_equal(c->n_baseline_allow_domains, 1);
	assert_string_equal(c->baseline_allow_domains[0], "windowsupdate.com");
	assert_int_equal(c->rules_window_s, 3600);
	assert_int_equal(c->rules_suppress_s, 3600);
	assert_true(rule_get(c, "bulk_upload", "enabled"));
	assert_int_equal(rule_get(c, "bulk_upload", "bytes"), 50000000);
	assert_true(rule_get(c, "bulk_upload", "min_ratio") == 3.0);
	assert_int_equal(rule_get(c, "bulk_upload", "severity"), SEV_HIGH);
	assert_true(rule_get(c, "compressed_upload", "enabled"));
	assert_int_equal(rule_get(c, "compressed_upload", "bytes"), 1000000);
	assert_int_equal(rule_get(c, "compressed_upload", "severity"), SEV_CRITICAL);
	assert_int_equal(c->limit_flows, 262144);
	assert_int_equal(c->limit_pairs, 131072);
	assert_int_equal(c->limit_destinations, 131072);
	assert_int_equal(c->limit_names, 65536);
	assert_int_equal(c->limit_app_parsers, 4096);
	assert_int_equal(c->flow_timeout_s, 300);
	assert_int_equal(c->flow_closed_timeout_s, 10);
	config_free(c);
}

/* report.pairs_interval: a duration, 0 (off) by default. */
static void
test_report_pairs_interval(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("sensor: x\n");
	assert_int_equal(c->report_pairs_interval_s, 0);
	config_free(c);
	c = load_ok("report:\n  pairs_interval: 10m\n");
	assert_int_equal(c->report_pairs_interval_s, 600);
	config_free(c);
	c = load_ok("report: { pairs_interval: 0 }\n");
	assert_int_equal(c->report_pairs_interval_s, 0);
	config_free(c);
	expect_error("report:\n  pairs_interval: soon\n",
	    "t.yaml:2:19: report.pairs_interval: invalid duration \"soon\"");
	expect_error("report:\n  pairs: 1m\n",
	    "t.yaml:2:3: report: unknown key \"pairs\"");
}

/* evidence: off by default, its defaults, sizes, bounds; dir relative to
 * the configuration file, else <daemon.state_dir>/evidence. */
static struct config *load_named(const char *name, const char *yaml);

/* c's evidence section: enabled, max_bytes, max_total, lookback,
 * max_open, grace and the directory as used; c freed. */
static void
expect_evidence(struct config *c, bool on, uint64_t max_bytes,
    uint64_t max_total, uint64_t lookback, uint64_t max_open, uint64_t grace,
    const char *dir)
{
	char got[256];

	assert_int_equal(c->evidence_enabled, on);
	assert_int_equal(c->evidence_max_bytes, max_bytes);
	assert_int_equal(c->evidence_max_total, max_total);
	assert_int_equal(c->evidence_lookback, lookback);
	assert_int_equal(c->evidence_max_open, max_open);
	assert_int_equal(c->evidence_grace_s, grace);
	config_evidence_dir(c, got, sizeof(got));
	assert_string_equal(got, dir);
	config_free(c);
}

static void
test_evidence(void **state)
{
	(void)state;
	expect_evidence(load_ok("sensor: x\n"), false, 64ULL << 20, 2ULL << 30,
	    64, 64, 10, "/var/lib/exfild/evidence");
	expect_evidence(load_ok("daemon: { state_dir: /srv/x }\nevidence:\n"
	    "  enabled: true\n  max_bytes: 1MB\n  max_total: 3GiB\n"
	    "  lookback: 0\n  max_open: 4096\n  grace: 1m\n"), true, 1000000,
	    3ULL << 30, 0, 4096, 60, "/srv/x/evidence");
	expect_evidence(load_ok("evidence: { dir: /abs/ev, lookback: 1024 }\n"),
	    false, 64ULL << 20, 2ULL << 30, 1024, 64, 10, "/abs/ev");
	/* relative: to the configuration file's directory */
	expect_evidence(load_named("/etc/exfild/exfild.yaml",
	    "evidence: { dir: ev }\n"), false, 64ULL << 20, 2ULL << 30, 64, 64,
	    10, "/etc/exfild/ev");
	expect_error("evidence: { lookback: 1025 }\n",
	    "t.yaml:1:23: evidence.lookback: must be between 1 and 1024");
	expect_error("evidence: { max_open: 0 }\n",
	    "t.yaml:1:23: evidence.max_open: invalid number \"0\" "
	    "(expected a whole number from 1 to 1000000000)");
	expect_error("evidence: { max_open: 4097 }\n",
	    "t.yaml:1:23: evidence.max_open: must be between 1 and 4096");
	expect_error("evidence: { max_bytes: 0 }\n",
	    "t.yaml:1:24: evidence.max_bytes: must be greater than 0");
	expect_error("evidence: { enabled: maybe }\n",
	    "t.yaml:1:22: evidence.enabled: invalid boolean \"maybe\" "
	    "(expected true, false, yes or no)");
	expect_error("evidence: { pcap: 1 }\n",
	    "t.yaml:1:13: evidence: unknown key \"pcap\"");
}

/* indicators: a list of mappings (file required, format plain by
 * default, severity the rule's by default); indicators_check: a duration,
 * 5m by default, 0 allowed. */
static void
test_indicators(void **state)
{
	struct config *c;
	char yaml[4096];
	size_t i, n;

	(void)state;
	c = load_ok("indicators:\n"
	    "  - { file: /etc/exfild/iocs.txt, severity: high }\n"
	    "  - { file: /var/lib/exfild/feodo.csv, format: feodo, severity: critical }\n"
	    "  - file: /var/lib/exfild/urlhaus.txt\n"
	    "    format: HostFile\n"
	    "indicators_check: 1m\n");
	assert_int_equal(c->n_indicators, 3);
	assert_string_equal(c->indicators[0].file, "/etc/exfild/iocs.txt");
	assert_int_equal(c->indicators[0].format, IOC_FORMAT_PLAIN);
	assert_int_equal(c->indicators[0].severity, SEV_HIGH);
	assert_int_equal(c->indicators[1].format, IOC_FORMAT_FEODO);
	assert_int_equal(c->indicators[1].severity, SEV_CRITICAL);
	assert_int_equal(c->indicators[2].format, IOC_FORMAT_HOSTFILE);
	assert_int_equal(c->indicators[2].severity, -1);
	assert_int_equal(c->indicators_check_s, 60);
	assert_string_equal(ioc_format_name(IOC_FORMAT_HOSTFILE), "hostfile");
	config_free(c);
	c = load_ok("indicators_check: 0\n");
	assert_int_equal(c->n_indicators, 0);
	assert_int_equal(c->indicators_check_s, 0);
	config_free(c);
	c = load_ok("sensor: x\n");
	assert_int_equal(c->indicators_check_s, 300);
	config_free(c);
	expect_error("indicators:\n  - { format: feodo }\n",
	    "t.yaml:2:5: indicators: missing key \"file\"");
	expect_error("indicators:\n  - { file: a, format: stix }\n",
	    "t.yaml:2:24: indicators.format: invalid format \"stix\" (expected "
	    "plain, feodo or hostfile)");
	expect_error("indicators:\n  - { file: a, severity: urgent }\n",
	    "t.yaml:2:26: indicators.severity: invalid severity \"urgent\" "
	    "(expected low, medium, high or critical)");
	expect_error("indicators:\n  - { file: a, colour: red }\n",
	    "t.yaml:2:16: indicators: unknown key \"colour\"");
	expect_error("indicators:\n  - /etc/exfild/iocs.txt\n",
	    "t.yaml:2:5: indicators: expected a mapping, not a scalar");
	expect_error("indicators: /etc/exfild/iocs.txt\n",
	    "t.yaml:1:13: indicators: expected a list");
	expect_error("indicators_check: soon\n",
	    "t.yaml:1:19: indicators_check: invalid duration \"soon\"");
	n = (size_t)snprintf(yaml, sizeof(yaml), "indicators:\n");
	for (i = 0; i <= INDICATOR_LISTS_MAX; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "  - { file: f%zu }\n", i);
	expect_error(yaml, "t.yaml:34:5: indicators: more than 32 indicator lists");
}

static void
test_sensor(void **state)
{
	char long_name[80], yaml[128];
	struct config *c;

	(void)state;
	c = load_ok("sensor: branch-7\n");
	assert_string_equal(c->sensor, "branch-7");
	config_free(c);
	c = load_ok("sensor: \"caf\xc3\xa9 tap\"\n"); /* UTF-8 is fine */
	assert_string_equal(c->sensor, "caf\xc3\xa9 tap");
	config_free(c);

	memset(long_name, 'a', 63);
	long_name[63] = '\0';
	snprintf(yaml, sizeof(yaml), "sensor: %s\n", long_name);
	c = load_ok(yaml);
	assert_string_equal(c->sensor, long_name);
	config_free(c);
	snprintf(yaml, sizeof(yaml), "sensor: %sb\n", long_name);
	expect_error(yaml, "t.yaml:1:9: sensor: longer than 63 characters");

	expect_error("sensor: \"\"\n", "t.yaml:1:9: sensor: must not be empty");
	expect_error("sensor:\n", "t.yaml:1:8: sensor: missing value");
	expect_error("sensor: ~\n", "t.yaml:1:9: sensor: missing value");
	expect_error("sensor: \"a\\tb\"\n",
	    "t.yaml:1:9: sensor: contains control characters");
	expect_error("sensor: \"a\\0b\"\n",
	    "t.yaml:1:9: sensor: contains a NUL character");
	expect_error("sensor: [a, b]\n",
	    "t.yaml:1:9: sensor: expected a scalar, not a list");
	expect_error("sensor:\n  name: x\n",
	    "t.yaml:2:3: sensor: expected a scalar, not a mapping");
}

static void
test_networks_internal(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("networks:\n  internal: [10.20.0.0/16, 2001:db8:1::/48, 198.51.100.7]\n");
	assert_int_equal(c->internal.n, 3); /* replaces the defaults */
	assert_prefix(&c->internal.v[0], "10.20.0.0", 16);
	assert_prefix(&c->internal.v[1], "2001:db8:1::", 48);
	assert_prefix(&c->internal.v[2], "198.51.100.7", 32);
	assert_true(is_internal(c, "10.20.255.1"));
	assert_false(is_internal(c, "10.21.0.1"));
	assert_false(is_internal(c, "192.168.1.1"));
	assert_true(is_internal(c, "2001:db8:1:ffff::1"));
	assert_false(is_internal(c, "2001:db8:2::1"));
	assert_true(is_internal(c, "198.51.100.7"));
	assert_false(is_internal(c, "198.51.100.8"));
	config_free(c);

	/* Host bits are masked off. */
	c = load_ok("networks:\n  internal:\n    - 10.1.2.3/8\n");
	assert_int_equal(c->internal.n, 1);
	assert_prefix(&c->internal.v[0], "10.0.0.0", 8);
	config_free(c);

	c = load_ok("networks: {internal: []}\n");
	assert_int_equal(c->internal.n, 0);
	assert_false(is_internal(c, "10.0.0.1"));
	config_free(c);

	expect_error("networks:\n  internal: [10.0.0.0/8, 10.0.0.0/33]\n",
	    "t.yaml:2:26: networks.internal: invalid CIDR \"10.0.0.0/33\"");
	expect_error("networks:\n  internal:\n    - 10.0.0.0/8\n    - fc00::/129\n",
	    "t.yaml:4:7: networks.internal: invalid CIDR \"fc00::/129\"");
	expect_error("networks:\n  internal: [intranet]\n",
	    "t.yaml:2:14: networks.internal: invalid CIDR \"intranet\"");
	expect_error("networks:\n  internal: [\"10.0.0.0/ 8\"]\n",
	    "t.yaml:2:14: networks.internal: invalid CIDR \"10.0.0.0/ 8\"");
	expect_error("networks:\n  internal: 10.0.0.0/8\n",
	    "t.yaml:2:13: networks.internal: expected a list");
	expect_error("networks:\n  internal:\n",
	    "t.yaml:2:12: networks.internal: missing value");
	expect_error("networks:\n  internal: [[10.0.0.0/8]]\n",
	    "t.yaml:2:14: networks.internal: expected a scalar, not a list");
	expect_error("networks:\n  internal: [{a: b}]\n",
	    "t.yaml:2:14: networks.internal: expected a scalar, not a mapping");
	expect_error("networks:\n  internal: [10.0.0.0/8, ~]\n",
	    "t.yaml:2:26: networks.internal: missing value");
}

static void
test_proxies(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("networks:\n  proxies:\n"
	    "    - 10.77.1.2:3128\n"
	    "    - 10.77.1.3\n"
	    "    - \"[2001:db8::1]:8080\"\n"
	    "    - 2001:db8::2\n"
	    "    - \"[2001:db8::3]\"\n"
	    "    - 192.0.2.1:65535\n");
	assert_int_equal(c->n_proxies, 6);
	assert_int_equal(c->proxies[0].port, 3128);
	assert_int_equal(c->proxies[1].port, 0);
	assert_int_equal(c->proxies[2].port, 8080);
	assert_int_equal(c->proxies[2].addr.family, 6);
	assert_int_equal(c->proxies[3].port, 0);
	assert_int_equal(c->proxies[4].port, 0);
	assert_int_equal(c->proxies[5].port, 65535);

	assert_true(is_proxy(c, "10.77.1.2", 3128));
	assert_false(is_proxy(c, "10.77.1.2", 3129));
	assert_false(is_proxy(c, "10.77.1.4", 3128));
	assert_true(is_proxy(c, "10.77.1.3", 1));     /* no port: any port */
	assert_true(is_proxy(c, "10.77.1.3", 65535));
	assert_true(is_proxy(c, "2001:db8::1", 8080));
	assert_false(is_proxy(c, "2001:db8::1", 3128));
	assert_true(is_proxy(c, "2001:db8::2", 443));
	assert_true(is_proxy(c, "2001:db8::3", 80));
	assert_true(is_proxy(c, "192.0.2.1", 65535));
	assert_false(is_proxy(c, "192.0.2.1", 0));
	assert_false(is_proxy(c, "2001:db8::4", 80));
	config_free(c);

	expect_error("networks:\n  proxies: [\"10.0.0.1:0\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"10.0.0.1:0\" "
	    "(port must be 1..65535)");
	expect_error("networks:\n  proxies: [\"10.0.0.1:65536\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"10.0.0.1:65536\" "
	    "(port must be 1..65535)");
	expect_error("networks:\n  proxies: [\"10.0.0.1:\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"10.0.0.1:\" "
	    "(port must be 1..65535)");
	expect_error("networks:\n  proxies: [\"10.0.0.1:+80\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"10.0.0.1:+80\" "
	    "(port must be 1..65535)");
	expect_error("networks:\n  proxies: [\"[2001:db8::1]:http\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"[2001:db8::1]:http\" "
	    "(port must be 1..65535)");
	expect_error("networks:\n  proxies: [proxy.corp:3128]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"proxy.corp:3128\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: [\"[10.0.0.1]:3128\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"[10.0.0.1]:3128\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: [\"[2001:db8::1\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"[2001:db8::1\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: [\"[2001:db8::1]3128\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"[2001:db8::1]3128\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: [\"[]:80\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \"[]:80\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: [\":80\"]\n",
	    "t.yaml:2:13: networks.proxies: invalid proxy \":80\" "
	    "(expected address, address:port or [IPv6]:port)");
	expect_error("networks:\n  proxies: \"10.0.0.1:3128\"\n",
	    "t.yaml:2:12: networks.proxies: expected a list");
}

static void
test_geo(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("geo:\n  home: [jp, Us, DE]\n"
	    "  databases: [a.csv, /etc/exfild/b.csv, \"with space.csv\"]\n"
	    "  hosts: ../hosts\n");
	assert_int_equal(c->n_geo_home, 3);
	assert_int_equal(c->geo_home[0], ('J' << 8) | 'P');
	assert_country(c->geo_home[1], "US");
	assert_country(c->geo_home[2], "DE");
	assert_true(config_is_home(c, country_parse("JP")));
	assert_true(config_is_home(c, country_parse("us")));
	assert_false(config_is_home(c, country_parse("FR")));
	assert_false(config_is_home(c, COUNTRY_UNKNOWN));
	assert_int_equal(c->n_geo_databases, 3);
	assert_string_equal(c->geo_databases[0], "a.csv"); /* kept as written */
	assert_string_equal(c->geo_databases[1], "/etc/exfild/b.csv");
	assert_string_equal(c->geo_databases[2], "with space.csv");
	assert_string_equal(c->geo_hosts, "../hosts");
	config_free(c);

	/* YAML 1.1 would read NO as false; libyaml keeps it a string. */
	c = load_ok("geo:\n  home: [NO]\n");
	assert_country(c->geo_home[0], "NO");
	config_free(c);

	expect_error("geo:\n  home: [JP, JPN]\n",
	    "t.yaml:2:14: geo.home: invalid country code \"JPN\" (expected 2 letters)");
	expect_error("geo:\n  home: [J1]\n",
	    "t.yaml:2:10: geo.home: invalid country code \"J1\" (expected 2 letters)");
	expect_error("geo:\n  home: [\"\"]\n",
	    "t.yaml:2:10: geo.home: invalid country code \"\" (expected 2 letters)");
	expect_error("geo:\n  home: JP\n", "t.yaml:2:9: geo.home: expected a list");
	expect_error("geo:\n  databases: [a.csv, \"\"]\n",
	    "t.yaml:2:22: geo.databases: must not be empty");
	expect_error("geo:\n  databases: [\"a\\nb\"]\n",
	    "t.yaml:2:15: geo.databases: contains control characters");
	expect_error("geo:\n  hosts: \"\"\n", "t.yaml:2:10: geo.hosts: must not be empty");
	expect_error("geo:\n  hosts: [a, b]\n",
	    "t.yaml:2:10: geo.hosts: expected a scalar, not a list");
	expect_error("geo:\n  country: JP\n", "t.yaml:2:3: geo: unknown key \"country\"");
}

static void
test_baseline(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("baseline:\n  state: state/base.db\n  learn: 36h\n"
	    "  allow:\n"
	    "    - \"*.WindowsUpdate.COM\"\n"
	    "    - 192.0.2.0/24\n"
	    "    - Example.org\n"
	    "    - .corp.example.\n"
	    "    - 2001:db8::/32\n"
	    "    - 198.51.100.1\n"
	    "    - a_b-c.x1.example\n");
	assert_string_equal(c->baseline_state, "state/base.db");
	assert_int_equal(c->baseline_learn_s, 36 * 3600);
	assert_int_equal(c->baseline_allow_nets.n, 3);
	assert_prefix(&c->baseline_allow_nets.v[0], "192.0.2.0", 24);
	assert_prefix(&c->baseline_allow_nets.v[1], "2001:db8::", 32);
	assert_prefix(&c->baseline_allow_nets.v[2], "198.51.100.1", 32);
	assert_int_equal(c->n_baseline_allow_domains, 4);
	assert_string_equal(c->baseline_allow_domains[0], "windowsupdate.com");
	assert_string_equal(c->baseline_allow_domains[1], "example.org");
	assert_string_equal(c->baseline_allow_domains[2], "corp.example");
	assert_string_equal(c->baseline_allow_domains[3], "a_b-c.x1.example");
	config_free(c);

	c = load_ok("baseline:\n  learn: 0\n");
	assert_int_equal(c->baseline_learn_s, 0);
	config_free(c);

	expect_error("baseline:\n  allow: [\"*.\"]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"*.\"");
	expect_error("baseline:\n  allow: [\"*\"]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"*\"");
	expect_error("baseline:\n  allow: [\"*.*.example.com\"]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"*.*.example.com\"");
	expect_error("baseline:\n  allow: [a..b]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"a..b\"");
	expect_error("baseline:\n  allow: [300.1.1.1]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"300.1.1.1\"");
	expect_error("baseline:\n  allow: [192.0.2.0/40]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"192.0.2.0/40\"");
	expect_error("baseline:\n  allow: [\"ex ample.com\"]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"ex ample.com\"");
	expect_error("baseline:\n  allow: [\"\"]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain \"\"");
	expect_error("baseline:\n  allow: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com]\n",
	    "t.yaml:2:11: baseline.allow: invalid CIDR or domain "
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");
	expect_error("baseline:\n  learn: 7y\n",
	    "t.yaml:2:10: baseline.learn: invalid duration \"7y\"");
	expect_error("baseline:\n  learn: -1d\n",
	    "t.yaml:2:10: baseline.learn: invalid duration \"-1d\"");
	expect_error("baseline:\n  state:\n", "t.yaml:2:9: baseline.state: missing value");
	expect_error("baseline:\n  allow: {a: b}\n",
	    "t.yaml:2:10: baseline.allow: expected a list");
}

static void
test_domain_length_limits(void **state)
{
	char label[64], name[300], yaml[400];
	struct config *c;
	size_t i;

	(void)state;
	/* A 63-character label is fine, 64 is not (the quoted test above). */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(yaml, sizeof(yaml), "baseline: {allow: [%s.com]}\n", label);
	c = load_ok(yaml);
	assert_int_equal(strlen(c->baseline_allow_domains[0]), 67);
	config_free(c);

	/* 253 characters are fine, 254 are not. */
	name[0] = '\0';
	for (i = 0; i < 4; i++)
		strcat(name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(name, "com"); /* 4 * 62 + 3 = 251 */
	strcat(name, "aa");
	assert_int_equal(strlen(name), 253);
	snprintf(yaml, sizeof(yaml), "baseline: {allow: [%s]}\n", name);
	c = load_ok(yaml);
	assert_string_equal(c->baseline_allow_domains[0], name);
	config_free(c);
	strcat(name, "a");
	snprintf(yaml, sizeof(yaml), "baseline: {allow: [%s]}\n", name);
	c = (struct config *)1;
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c,
	    errbuf, sizeof(errbuf)), -1);
	assert_null(c);
	assert_non_null(strstr(errbuf, "t.yaml:1:20: baseline.allow: invalid CIDR or domain"));
}

static void
test_rules(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("rules:\n  window: 30m\n  suppress: 2h\n"
	    "  bulk_upload: {enabled: false, bytes: 10MiB, min_ratio: 2.5, severity: medium}\n"
	    "  compressed_upload:\n    enabled: yes\n    bytes: 512KB\n    severity: LOW\n");
	assert_int_equal(c->rules_window_s, 1800);
	assert_int_equal(c->rules_suppress_s, 7200);
	assert_false(rule_get(c, "bulk_upload", "enabled"));
	assert_int_equal(rule_get(c, "bulk_upload", "bytes"), 10 * 1048576);
	assert_true(rule_get(c, "bulk_upload", "min_ratio") == 2.5);
	assert_int_equal(rule_get(c, "bulk_upload", "severity"), SEV_MEDIUM);
	assert_true(rule_get(c, "compressed_upload", "enabled"));
	assert_int_equal(rule_get(c, "compressed_upload", "bytes"), 512000);
	assert_int_equal(rule_get(c, "compressed_upload", "severity"), SEV_LOW);
	config_free(c);

	/* Omitted rule keys keep their defaults. */
	c = load_ok("rules:\n  bulk_upload: {min_ratio: 0}\n  compressed_upload: {enabled: no}\n");
	assert_true(rule_get(c, "bulk_upload", "enabled"));
	assert_int_equal(rule_get(c, "bulk_upload", "bytes"), 50000000);
	assert_true(rule_get(c, "bulk_upload", "min_ratio") == 0.0);
	assert_int_equal(rule_get(c, "bulk_upload", "severity"), SEV_HIGH);
	assert_false(rule_get(c, "compressed_upload", "enabled"));
	assert_int_equal(rule_get(c, "compressed_upload", "bytes"), 1000000);
	config_free(c);

	c = load_ok("rules:\n  bulk_upload: {enabled: True, min_ratio: .5}\n");
	assert_true(rule_get(c, "bulk_upload", "enabled"));
	assert_true(rule_get(c, "bulk_upload", "min_ratio") == 0.5);
	config_free(c);

	expect_error("rules:\n  bulk_upload:\n    bytes: 50XB\n",
	    "t.yaml:3:12: rules.bulk_upload.bytes: invalid size \"50XB\"");
	expect_error("rules:\n  bulk_upload: { bytes: 0 }\n",
	    "t.yaml:2:25: rules.bulk_upload.bytes: must be greater than 0");
	expect_error("rules:\n  bulk_upload: { bytes: 50mb }\n",
	    "t.yaml:2:25: rules.bulk_upload.bytes: invalid size \"50mb\"");
	expect_error("rules:\n  bulk_upload: { min_ratio: -1 }\n",
	    "t.yaml:2:29: rules.bulk_upload.min_ratio: invalid ratio \"-1\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  bulk_upload: { min_ratio: 3x }\n",
	    "t.yaml:2:29: rules.bulk_upload.min_ratio: invalid ratio \"3x\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  bulk_upload: { min_ratio: inf }\n",
	    "t.yaml:2:29: rules.bulk_upload.min_ratio: invalid ratio \"inf\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  bulk_upload: { min_ratio: 0x10 }\n",
	    "t.yaml:2:29: rules.bulk_upload.min_ratio: invalid ratio \"0x10\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  bulk_upload: { min_ratio: 1e999 }\n",
	    "t.yaml:2:29: rules.bulk_upload.min_ratio: invalid ratio \"1e999\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  bulk_upload: { severity: urgent }\n",
	    "t.yaml:2:28: rules.bulk_upload.severity: invalid severity \"urgent\" "
	    "(expected low, medium, high or critical)");
	expect_error("rules:\n  compressed_upload: { enabled: maybe }\n",
	    "t.yaml:2:33: rules.compressed_upload.enabled: invalid boolean \"maybe\" "
	    "(expected true, false, yes or no)");
	expect_error("rules:\n  compressed_upload: { min_ratio: 2 }\n",
	    "t.yaml:2:24: rules.compressed_upload: unknown key \"min_ratio\"");
	expect_error("rules:\n  bulk_upload: { bytez: 1MB }\n",
	    "t.yaml:2:18: rules.bulk_upload: unknown key \"bytez\"");
	/* a rule's keys come from its own table (src/detect/rule_beacon.c) */
	expect_error("rules:\n  beacon: { score: high }\n",
	    "t.yaml:2:20: rules.beacon.score: invalid ratio \"high\" "
	    "(expected a number >= 0)");
	expect_error("rules:\n  beacon: { min_connections: 0 }\n",
	    "t.yaml:2:30: rules.beacon.min_connections: invalid value \"0\": "
	    "expected a count from 3 to 32 (the contacts kept per pair)");
	/* more contacts than a pair keeps could never be reached */
	expect_error("rules:\n  beacon: { min_connections: 33 }\n",
	    "t.yaml:2:30: rules.beacon.min_connections: invalid value \"33\": "
	    "expected a count from 3 to 32 (the contacts kept per pair)");
	expect_error("rules:\n  beacon: { window: 0s }\n",
	    "t.yaml:2:21: rules.beacon.window: must be greater than 0");
	expect_error("rules:\n  no_such_rule: {}\n",
	    "t.yaml:2:3: rules: unknown key \"no_such_rule\"");
	/* records at risk: defaults, values, a compression under 1 refused */
	c = load_ok("sensor: s\n");
	assert_int_equal(c->records_bytes_per_record, 500);
	assert_true(c->records_compression == 5.0);
	config_free(c);
	c = load_ok("records: { bytes_per_record: 600, compression: 6 }\n");
	assert_int_equal(c->records_bytes_per_record, 600);
	assert_true(c->records_compression == 6.0);
	config_free(c);
	expect_error("records: { compression: 0.5 }\n",
	    "t.yaml:1:25: records.compression: must be at least 1");
	expect_error("rules:\n  window: 0\n", "t.yaml:2:11: rules.window: must be greater than 0");
	expect_error("rules:\n  suppress: 0s\n",
	    "t.yaml:2:13: rules.suppress: must be greater than 0");
	expect_error("rules:\n  window: 1 hour\n",
	    "t.yaml:2:11: rules.window: invalid duration \"1 hour\"");
	expect_error("rules:\n  bulk_upload: 50MB\n",
	    "t.yaml:2:16: rules.bulk_upload: expected a mapping");
	expect_error("rules:\n  bulk_upload: [bytes, 50MB]\n",
	    "t.yaml:2:16: rules.bulk_upload: expected a mapping");
}

static void
test_sizes_and_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{ "512B", 512 }, { "1024", 1024 }, { "1KB", 1000 }, { "1KiB", 1024 },
		{ "50MB", 50000000 }, { "2MiB", 2097152 }, { "1GB", 1000000000 },
		{ "1GiB", 1073741824 }, { "1.5MB", 1500000 }, { "\"3 KB\"", 3000 },
	};
	static const struct {
		const char *text;
		uint64_t seconds;
	} durations[] = {
		{ "30s", 30 }, { "90", 90 }, { "5m", 300 }, { "1h", 3600 },
		{ "7d", 604800 }, { "1.5h", 5400 }, { "2w", 1209600 },
	};
	char yaml[128];
	struct config *c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		snprintf(yaml, sizeof(yaml), "rules: {compressed_upload: {bytes: %s}}\n",
		    sizes[i].text);
		c = load_ok(yaml);
		assert_int_equal(rule_get(c, "compressed_upload", "bytes"), sizes[i].bytes);
		config_free(c);
	}
	for (i = 0; i < ARRAY_LEN(durations); i++) {
		snprintf(yaml, sizeof(yaml), "flow: {timeout: %s}\n", durations[i].text);
		c = load_ok(yaml);
		assert_int_equal(c->flow_timeout_s, durations[i].seconds);
		config_free(c);
	}
}

static void
test_limits_and_flow(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("limits:\n  flows: 1\n  pairs: 2\n  destinations: 3\n  names: 4\n"
	    "  app_parsers: 16777216\nflow:\n  timeout: 2m\n  closed_timeout: 1\n");
	assert_int_equal(c->limit_flows, 1);
	assert_int_equal(c->limit_pairs, 2);
	assert_int_equal(c->limit_destinations, 3);
	assert_int_equal(c->limit_names, 4);
	assert_int_equal(c->limit_app_parsers, 16777216);
	assert_int_equal(c->flow_timeout_s, 120);
	assert_int_equal(c->flow_closed_timeout_s, 1);
	config_free(c);

	c = load_ok("limits: {flows: \"1000\"}\n"); /* quoted numbers are numbers */
	assert_int_equal(c->limit_flows, 1000);
	config_free(c);

	expect_error("limits:\n  flows: 0\n",
	    "t.yaml:2:10: limits.flows: must be between 1 and 16777216");
	expect_error("limits:\n  pairs: 16777217\n",
	    "t.yaml:2:10: limits.pairs: must be between 1 and 16777216");
	expect_error("limits:\n  names: 99999999999999999999999\n",
	    "t.yaml:2:10: limits.names: must be between 1 and 16777216");
	expect_error("limits:\n  destinations: -5\n",
	    "t.yaml:2:17: limits.destinations: invalid number \"-5\"");
	expect_error("limits:\n  app_parsers: 1e6\n",
	    "t.yaml:2:16: limits.app_parsers: invalid number \"1e6\"");
	expect_error("limits:\n  flows: 64K\n",
	    "t.yaml:2:10: limits.flows: invalid number \"64K\"");
	expect_error("limits:\n  flows: \" 5\"\n",
	    "t.yaml:2:10: limits.flows: invalid number \" 5\"");
	expect_error("limits:\n  sockets: 5\n", "t.yaml:2:3: limits: unknown key \"sockets\"");
	expect_error("flow:\n  timeout: 0m\n", "t.yaml:2:12: flow.timeout: must be greater than 0");
	expect_error("flow:\n  closed_timeout: soon\n",
	    "t.yaml:2:19: flow.closed_timeout: invalid duration \"soon\"");
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_error("sensor: a\n\n  # indented comment\nnetworkz:\n  internal: []\n",
	    "t.yaml:4:1: unknown key \"networkz\"");
	expect_error("networks:\n  internal: []\n  networkz: []\n",
	    "t.yaml:3:3: networks: unknown key \"networkz\"");
	expect_error("capture:\n  interface: eth0\n",
	    "t.yaml:2:3: capture: unknown key \"interface\"");
	expect_error("logz: {}\n", "t.yaml:1:1: unknown key \"logz\"");
	/* Keys are case-sensitive and compared over their full length. */
	expect_error("Sensor: a\n", "t.yaml:1:1: unknown key \"Sensor\"");
	expect_error("sensor2: a\n", "t.yaml:1:1: unknown key \"sensor2\"");
	expect_error("sens: a\n", "t.yaml:1:1: unknown key \"sens\"");
	expect_error("\"sensor\\0x\": a\n", "t.yaml:1:1: unknown key \"sensor\\x00x\"");
	/* A hostile key is escaped and cut short. */
	expect_error("\"k\\e\\\"\\\\\": 1\n", "t.yaml:1:1: unknown key \"k\\x1b\\\"\\\\\"");
	expect_error("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: 1\n",
	    "t.yaml:1:1: unknown key \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"");
	expect_error("\"\\xe9t\\xe9\": 1\n", "t.yaml:1:1: unknown key \"\\xc3\\xa9t\\xc3\\xa9\"");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("sensor: a\nsensor: b\n", "t.yaml:2:1: duplicate key \"sensor\"");
	expect_error("geo:\n  home: [JP]\nrules: {}\ngeo:\n  home: [US]\n",
	    "t.yaml:4:1: duplicate key \"geo\"");
	expect_error("rules:\n  bulk_upload: {bytes: 1MB, severity: low, bytes: 2MB}\n",
	    "t.yaml:2:44: rules.bulk_upload: duplicate key \"bytes\"");
	expect_error("baseline:\n  state: a\n  learn: 1d\n  state: b\n",
	    "t.yaml:4:3: baseline: duplicate key \"state\"");
	/* Quoting does not make a different key. */
	expect_error("sensor: a\n\"sensor\": b\n", "t.yaml:2:1: duplicate key \"sensor\"");
	/* Duplicate unknown keys: the first is already unknown. */
	expect_error("foo: 1\nfoo: 2\n", "t.yaml:1:1: unknown key \"foo\"");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	expect_error("- sensor: a\n", "t.yaml:1:1: expected a mapping of sections, not a list");
	expect_error("just words\n", "t.yaml:1:1: expected a mapping of sections, not a scalar");
	expect_error("networks: [10.0.0.0/8]\n", "t.yaml:1:11: networks: expected a mapping");
	expect_error("networks: internal\n", "t.yaml:1:11: networks: expected a mapping");
	expect_error("geo: \"\"\n", "t.yaml:1:6: geo: expected a mapping");
	expect_error("networks:\n  internal:\n    a: b\n",
	    "t.yaml:3:5: networks.internal: expected a list");
	expect_error("limits:\n  flows: [1]\n",
	    "t.yaml:2:10: limits.flows: expected a scalar, not a list");
	expect_error("flow:\n  timeout: {m: 5}\n",
	    "t.yaml:2:12: flow.timeout: expected a scalar, not a mapping");
	expect_error("rules:\n  bulk_upload:\n    severity: [high]\n",
	    "t.yaml:3:15: rules.bulk_upload.severity: expected a scalar, not a list");
	expect_error("? [a, b]\n: c\n", "t.yaml:1:3: keys must be scalars, not a list");
	expect_error("rules:\n  ? {a: b}\n  : c\n",
	    "t.yaml:2:5: rules: keys must be scalars, not a mapping");
}

static void
test_anchors(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("rules:\n  bulk_upload: &r {bytes: 2MB, severity: low}\n"
	    "  compressed_upload: *r\n"
	    "networks: {internal: &nets [10.0.0.0/8]}\n"
	    "baseline: {allow: *nets}\n");
	assert_int_equal(rule_get(c, "bulk_upload", "bytes"), 2000000);
	assert_int_equal(rule_get(c, "compressed_upload", "bytes"), 2000000);
	assert_int_equal(rule_get(c, "compressed_upload", "severity"), SEV_LOW);
	assert_int_equal(c->internal.n, 1);
	assert_int_equal(c->baseline_allow_nets.n, 1);
	config_free(c);
	expect_error("sensor: *nope\n",
	    "t.yaml:1:9: found undefined alias");
}

static void
test_yaml_syntax_errors(void **state)
{
	(void)state;
	expect_error("networks:\n  internal: [10.0.0.0/8\n",
	    "t.yaml:3:1: did not find expected ',' or ']' "
	    "(while parsing a flow sequence at 2:13)");
	expect_error("sensor: a\n\tgeo: {}\n",
	    "t.yaml:2:1: found a tab character that violates indentation "
	    "(while scanning a plain scalar at 1:9)");
	expect_error("sensor: a\n  geo: b\n",
	    "t.yaml:2:6: mapping values are not allowed in this context");
	expect_error("sensor: \"unterminated\n",
	    "t.yaml:2:1: found unexpected end of stream "
	    "(while scanning a quoted scalar at 1:9)");
	expect_error("geo:\n  home: [JP]\n home: [US]\n",
	    "t.yaml:3:2: did not find expected key (while parsing a block mapping at 1:1)");
	/* Reader errors carry an offset; it is turned into line:column. */
	expect_error("sensor: a\nsensor2: \x01\n",
	    "t.yaml:2:10: control characters are not allowed");
	expect_error("sensor: \xff\n", "t.yaml:1:9: invalid leading UTF-8 octet");
	{
		static const char with_nul[] = "sensor: a\0b\n";
		struct config *c = (struct config *)1;
		assert_int_equal(config_load_string("t.yaml", with_nul,
		    sizeof(with_nul) - 1, &c, errbuf, sizeof(errbuf)), -1);
		assert_null(c);
		assert_string_equal(errbuf, "t.yaml:1:10: control characters are not allowed");
	}
}

static void
test_multiple_documents(void **state)
{
	(void)state;
	expect_error("sensor: a\n---\nsensor: b\n",
	    "t.yaml:3:1: only one YAML document is allowed");
	expect_error("sensor: a\n---\n", "t.yaml:3:1: only one YAML document is allowed");
	expect_error("sensor: a\n--- [\n",
	    "t.yaml:3:1: did not find expected node content "
	    "(while parsing a flow node at 3:1)");
}

/* prefix, then open times open, then close times close (a heap string). */
static char *
nested(const char *prefix, char open, size_t n_open, char close, size_t n_close)
{
	size_t plen = strlen(prefix);
	char *s = xmalloc(plen + n_open + n_close + 2);

	memcpy(s, prefix, plen);
	memset(s + plen, open, n_open);
	memset(s + plen + n_open, close, n_close);
	s[plen + n_open + n_close] = '\n';
	s[plen + n_open + n_close + 1] = '\0';
	return s;
}

/* A block mapping n levels deep: "k:\n k:\n  k:\n ... k: v". */
static char *
nested_block(size_t n)
{
	char *s = xmalloc(n * (n + 4) + 8), *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(p, ' ', i);
		p += i;
		memcpy(p, "k:\n", 3);
		p += 3;
	}
	strcpy(p - 1, " v\n");
	return s;
}

/* Nesting deeper than 64 levels is refused at the first collection beyond
 * it, before libyaml builds the document (a file 100000 deep took 20 s);
 * 64 levels reach the loader, which says what is wrong with them. */
static void
test_nesting_depth(void **state)
{
	static const struct {
		const char *prefix;
		char open;
		size_t n_open;
		char close;
		size_t n_close;
		const char *msg;
	} flow[] = {
		/* the top mapping is level 1: 63 lists inside it make 64 */
		{ "sensor: ", '[', 63, ']', 63,
		    "t.yaml:1:9: sensor: expected a scalar, not a list" },
		{ "sensor: ", '[', 64, ']', 64,
		    "t.yaml:1:72: nesting deeper than 64 levels" },
		{ "", '{', 64, '}', 64,
		    "t.yaml:1:2: keys must be scalars, not a mapping" },
		{ "", '{', 65, '}', 65, "t.yaml:1:65: nesting deeper than 64 levels" },
		/* never closed, and closed */
		{ "sensor: ", '[', 100000, ']', 0,
		    "t.yaml:1:72: nesting deeper than 64 levels" },
		{ "", '[', 100000, ']', 100000,
		    "t.yaml:1:65: nesting deeper than 64 levels" },
		/* a syntax error before the depth is reached is libyaml's */
		{ "sensor: ", '[', 10, '}', 1, "t.yaml:1:19: did not find expected "
		    "node content (while parsing a flow node at 1:19)" },
	};
	char *y;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(flow); i++) {
		y = nested(flow[i].prefix, flow[i].open, flow[i].n_open,
		    flow[i].close, flow[i].n_close);
		expect_error(y, flow[i].msg);
		free(y);
	}
	for (i = 64; i <= 65; i++) {
		y = nested_block(i);
		expect_error(y, i == 64 ? "t.yaml:1:1: unknown key \"k\"" :
		    "t.yaml:65:65: nesting deeper than 64 levels");
		free(y);
	}
}

static void
test_config_load_files(void **state)
{
	char path[] = "/tmp/test_config_XXXXXX";
	char err[CONFIG_ERR_LEN];
	struct config *c = (struct config *)1;
	char *big;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(config_load("/nonexistent/exfild.yaml", &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_string_equal(err, "/nonexistent/exfild.yaml: cannot open: No such file or directory");
	c = (struct config *)1;
	assert_int_equal(config_load("conf", &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_string_equal(err, "conf: cannot read: Is a directory");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("sensor: from-file\nlimits:\n  flows: 10x\n", f);
	fclose(f);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	{
		char want[128];
		snprintf(want, sizeof(want), "%s:3:10: limits.flows: invalid number \"10x\"", path);
		assert_string_equal(err, want);
	}

	/* 1 MiB of comments is accepted; one byte more is refused. */
	big = malloc(1024 * 1024 + 1);
	assert_non_null(big);
	memset(big, ' ', 1024 * 1024);
	big[0] = '#';
	big[1024 * 1024 - 1] = '\n';
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, 1024 * 1024, f), 1024 * 1024);
	fclose(f);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c->path, path);
	config_free(c);
	f = fopen(path, "a");
	assert_non_null(f);
	fputc('\n', f);
	fclose(f);
	c = (struct config *)1;
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	assert_null(c);
	{
		char want[128];
		snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", path);
		assert_string_equal(err, want);
	}
	free(big);
	unlink(path);
}

static void
test_small_error_buffers(void **state)
{
	const char *yaml = "rules:\n  bulk_upload:\n    bytes: 50XB\n";
	struct config *c;
	char small[12];

	(void)state;
	memset(small, 'Z', sizeof(small));
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, small,
	    sizeof(small)), -1);
	assert_string_equal(small, "t.yaml:3:12");
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, NULL, 0), -1);
	assert_null(c);
	assert_int_equal(config_load("/nonexistent", &c, NULL, 0), -1);
}

static void
test_severity_and_country(void **state)
{
	enum severity s = SEV_LOW;
	char buf[3];

	(void)state;
	assert_string_equal(severity_name(SEV_LOW), "low");
	assert_string_equal(severity_name(SEV_MEDIUM), "medium");
	assert_string_equal(severity_name(SEV_HIGH), "high");
	assert_string_equal(severity_name(SEV_CRITICAL), "critical");
	assert_string_equal(severity_name((enum severity)7), "unknown");
	assert_int_equal(severity_parse("critical", &s), 0);
	assert_int_equal(s, SEV_CRITICAL);
	assert_int_equal(severity_parse("Medium", &s), 0);
	assert_int_equal(s, SEV_MEDIUM);
	assert_int_equal(severity_parse("highest", &s), -1);
	assert_int_equal(severity_parse("", &s), -1);
	assert_int_equal(s, SEV_MEDIUM);

	assert_int_equal(country_parse("JP"), ('J' << 8) | 'P');
	assert_int_equal(country_parse("jp"), ('J' << 8) | 'P');
	assert_int_equal(country_parse("J"), COUNTRY_UNKNOWN);
	assert_int_equal(country_parse("JPN"), COUNTRY_UNKNOWN);
	assert_int_equal(country_parse("1P"), COUNTRY_UNKNOWN);
	assert_int_equal(country_parse("J\xc3"), COUNTRY_UNKNOWN);
	assert_int_equal(country_parse(""), COUNTRY_UNKNOWN);
	assert_int_equal(country_parse(NULL), COUNTRY_UNKNOWN);
	assert_country(country_parse("de"), "DE");
	assert_country(COUNTRY_UNKNOWN, "??");
	assert_country(0, "??");
	assert_country((country_t)(('a' << 8) | 'b'), "??");
	country_format((country_t)(('Z' << 8) | 'A'), buf);
	assert_string_equal(buf, "ZA");
}

static char *
read_sample(size_t *len)
{
	FILE *f = fopen(SAMPLE_PATH, "r");
	char *buf = malloc(65536);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	assert_true(*len > 0 && *len < 65536);
	return buf;
}

/* Either loads or fails with a message naming the file; never anything else. */
static void
load_hostile(const char *buf, size_t len)
{
	struct config *c = (struct config *)1;
	int rc = config_load_string("t.yaml", buf, len, &c, errbuf, sizeof(errbuf));

	if (rc == 0) {
		assert_non_null(c);
		config_free(c);
		return;
	}
	assert_int_equal(rc, -1);
	assert_null(c);
	assert_true(strncmp(errbuf, "t.yaml:", 7) == 0);
	assert_true(strlen(errbuf) > 7);
}

static void
test_sample_truncated_everywhere(void **state)
{
	size_t len, i;
	char *buf = read_sample(&len);
	char *copy;

	(void)state;
	for (i = 0; i <= len; i++) {
		copy = malloc(i + 1); /* exact-size copy: ASan sees any overread */
		assert_non_null(copy);
		memcpy(copy, buf, i);
		load_hostile(copy, i);
		free(copy);
	}
	free(buf);
}

static void
test_sample_byte_flips(void **state)
{
	static const char flips[] = { '\0', '\n', ':', '[', '{', '-', '"', '&', '*', 'x', '\x80' };
	size_t len, i, k;
	char *buf = read_sample(&len);

	(void)state;
	for (i = 0; i < len; i++) {
		char saved = buf[i];
		for (k = 0; k < sizeof(flips); k++) {
			buf[i] = flips[k];
			load_hostile(buf, len);
		}
		buf[i] = saved;
	}
	free(buf);
}

static void
test_resolvers(void **state)
{
	struct config *c;
	struct netaddr a;

	(void)state;
	c = load_ok("networks:\n  resolvers: [10.1.1.53, \"2001:db8::53\"]\n");
	assert_int_equal(c->resolvers.n, 2);
	netaddr_parse("10.1.1.53", &a);
	assert_true(netset_contains(&c->resolvers, &a));
	netaddr_parse("10.1.1.54", &a);
	assert_false(netset_contains(&c->resolvers, &a));
	config_free(c);
	c = load_ok("sensor: s\n");
	assert_int_equal(c->resolvers.n, 0);
	config_free(c);
	expect_error("networks:\n  resolvers: [10.1.1.300]\n",
	    "t.yaml:2:15: networks.resolvers: invalid CIDR \"10.1.1.300\"");
}

/* ---- the daemon's sections (issue 3) ---- */

static void
test_daemon_defaults(void **state)
{
	struct config *c = load_ok("");

	(void)state;
	assert_null(c->daemon_user);
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->n_capture_interfaces, 0);
	assert_null(c->capture_bpf);
	assert_int_equal(c->capture_snaplen, 2048);
	assert_int_equal(c->capture_buffer, 64 * 1024 * 1024);
	assert_true(c->capture_promiscuous);
	assert_int_equal(c->rules_eval_interval_s, 5);
	assert_int_equal(c->stats_interval_s, 300);
	assert_null(c->stats_listen);
	assert_int_equal(c->n_outputs, 0);
	config_free(c);
}

static void
test_daemon_sections(void **state)
{
	struct config *c = load_ok(
	    "daemon: { user: sensor }\n"
	    "logging: { level: DEBUG }\n"
	    "capture:\n"
	    "  interfaces: [eth1, \"bond0.20\", veth-x_1]\n"
	    "  bpf: \"tcp or udp port 53\"\n"
	    "  snaplen: 96\n"
	    "  buffer: 2MiB\n"
	    "  promiscuous: no\n"
	    "rules: { eval_interval: 2s }\n"
	    "stats: { interval: 0, listen: \"[::1]:9477\" }\n"
	    "outputs:\n"
	    "  - file: { path: /var/log/exfild/alerts.json, format: json }\n"
	    "  - stdout: {}\n"
	    "  - stdout:\n");

	(void)state;
	assert_string_equal(c->daemon_user, "sensor");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c->n_capture_interfaces, 3);
	assert_string_equal(c->capture_interfaces[0], "eth1");
	assert_string_equal(c->capture_interfaces[1], "bond0.20");
	assert_string_equal(c->capture_interfaces[2], "veth-x_1");
	assert_string_equal(c->capture_bpf, "tcp or udp port 53");
	assert_int_equal(c->capture_snaplen, 96);
	assert_int_equal(c->capture_buffer, 2 * 1024 * 1024);
	assert_false(c->capture_promiscuous);
	assert_int_equal(c->rules_eval_interval_s, 2);
	assert_int_equal(c->stats_interval_s, 0);
	assert_string_equal(c->stats_listen, "[::1]:9477");
	assert_int_equal(c->n_outputs, 3);
	assert_int_equal(c->outputs[0].kind, OUTPUT_FILE);
	assert_string_equal(c->outputs[0].path, "/var/log/exfild/alerts.json");
	assert_int_equal(c->outputs[0].format, OUTPUT_FORMAT_JSON);
	assert_int_equal(c->outputs[1].kind, OUTPUT_STDOUT);
	assert_null(c->outputs[1].path);
	assert_int_equal(c->outputs[2].kind, OUTPUT_STDOUT);
	assert_string_equal(output_format_name(c->outputs[0].format), "json");
	config_free(c);

	c = load_ok("capture: { bpf: \"\", interfaces: [eth0] }\n"
	    "stats: { listen: \"127.0.0.1:9477\" }\n");
	assert_null(c->capture_bpf);
	assert_string_equal(c->stats_listen, "127.0.0.1:9477");
	config_free(c);
}

static void
test_daemon_errors(void **state)
{
	(void)state;
	expect_error("logging: { level: loud }\n",
	    "t.yaml:1:19: logging.level: invalid level \"loud\" "
	    "(expected error, warning, info or debug)");
	expect_error("capture: { interfaces: [eth0/1] }\n",
	    "t.yaml:1:25: capture.interfaces: invalid interface name \"eth0/1\" "
	    "(1 to 15 letters, digits or .-_:@)");
	expect_error("capture: { interfaces: [abcdefghijklmnop] }\n",
	    "t.yaml:1:25: capture.interfaces: invalid interface name "
	    "\"abcdefghijklmnop\" (1 to 15 letters, digits or .-_:@)");
	expect_error("capture: { interfaces: [eth0, eth0] }\n",
	    "t.yaml:1:31: capture.interfaces: interface \"eth0\" listed twice");
	expect_error("capture: { interfaces: eth0 }\n",
	    "t.yaml:1:24: capture.interfaces: expected a list");
	expect_error("capture: { bpf: \"tcp\\nor udp\" }\n",
	    "t.yaml:1:17: capture.bpf: contains control characters");
	expect_error("capture: { snaplen: 64 }\n",
	    "t.yaml:1:21: capture.snaplen: must be between 96 and 262144");
	expect_error("capture: { snaplen: 1e4 }\n",
	    "t.yaml:1:21: capture.snaplen: invalid number \"1e4\"");
	expect_error("capture: { buffer: 100KB }\n",
	    "t.yaml:1:20: capture.buffer: must be between 1MiB and 4GiB");
	expect_error("capture: { buffer: 5GiB }\n",
	    "t.yaml:1:20: capture.buffer: must be between 1MiB and 4GiB");
	expect_error("rules: { eval_interval: 0 }\n",
	    "t.yaml:1:25: rules.eval_interval: must be greater than 0");
	expect_error("stats: { listen: \"0.0.0.0:9477\" }\n",
	    "t.yaml:1:18: stats.listen: invalid listen address \"0.0.0.0:9477\" "
	    "(only loopback: the endpoint has no authentication)");
	expect_error("stats: { listen: \"127.0.0.1\" }\n",
	    "t.yaml:1:18: stats.listen: invalid listen address \"127.0.0.1\" "
	    "(expected 127.0.0.1:PORT or [::1]:PORT)");
	expect_error("stats: { listen: \"127.0.0.1:99999\" }\n",
	    "t.yaml:1:18: stats.listen: invalid listen address \"127.0.0.1:99999\" "
	    "(expected 127.0.0.1:PORT or [::1]:PORT)");
	expect_error("outputs: { file: x }\n",
	    "t.yaml:1:10: outputs: expected a list");
	expect_error("outputs: [ json ]\n",
	    "t.yaml:1:12: outputs: expected a mapping, not a scalar");
	expect_error("outputs:\n  - { file: { path: a }, stdout: {} }\n",
	    "t.yaml:2:5: outputs: each output is a mapping with one key (file, stdout or syslog)");
	expect_error("outputs:\n  - kafka: { topic: x }\n",
	    "t.yaml:2:5: outputs: unknown output \"kafka\" (expected file, stdout or syslog)");
	expect_error("outputs:\n  - file: { format: json }\n",
	    "t.yaml:2:11: outputs.file: missing key \"path\"");
	expect_error("outputs:\n  - file: { path: a, format: xml }\n",
	    "t.yaml:2:30: outputs.file.format: invalid format \"xml\" (expected json, ecs, cef or leef)");
	expect_error("outputs:\n  - stdout: { path: a }\n",
	    "t.yaml:2:15: outputs.stdout: unknown key \"path\"");
}

static void
test_syslog_outputs(void **state)
{
	struct config *c = load_ok(
	    "daemon: { state_dir: /var/lib/x }\n"
	    "outputs:\n"
	    "  - syslog: { target: \"tcp://siem.corp:6514\", format: cef, facility: local4, framing: octet-counting }\n"
	    "  - syslog: { target: \"udp://127.0.0.1:514\", format: rfc5424-json }\n"
	    "  - syslog: { target: \"unix:///dev/log\", format: rfc3164 }\n"
	    "  - syslog: { target: \"tcp://[2001:db8::5]\", format: rfc3164-leef, framing: lf,\n"
	    "      max_message: 4KiB, queue: 1MiB, spool: 0, fsync: always, name: qradar }\n"
	    "  - syslog: { target: \"udp://LOG.Example.COM.\", format: ecs, fsync_interval: 5s }\n");
	const struct output_conf *o;

	(void)state;
	assert_string_equal(c->state_dir, "/var/lib/x");
	assert_int_equal(c->n_outputs, 5);
	o = &c->outputs[0];
	assert_int_equal(o->kind, OUTPUT_SYSLOG);
	assert_int_equal(o->transport, SYSLOG_TCP);
	assert_string_equal(o->host, "siem.corp");
	assert_int_equal(o->port, 6514);
	assert_int_equal(o->format, OUTPUT_FORMAT_CEF);
	assert_int_equal(o->header, SYSLOG_RFC5424);
	assert_int_equal(o->facility, 20);
	assert_string_equal(syslog_facility_name(o->facility), "local4");
	assert_int_equal(o->framing, SYSLOG_FRAMING_OCTET);
	assert_int_equal(o->max_message, 8192);
	assert_int_equal(o->queue_bytes, 4 * 1024 * 1024);
	assert_int_equal(o->spool_bytes, 256 * 1024 * 1024);
	assert_int_equal(o->spool_fsync, SPOOL_FSYNC_INTERVAL);
	assert_int_equal(o->spool_fsync_ms, 1000);
	assert_string_equal(o->name, "tcp-siem-corp-6514");
	assert_string_equal(o->target, "tcp://siem.corp:6514");
	o = &c->outputs[1];
	assert_int_equal(o->transport, SYSLOG_UDP);
	assert_string_equal(o->host, "127.0.0.1");
	assert_int_equal(o->port, 514);
	assert_int_equal(o->format, OUTPUT_FORMAT_JSON);
	assert_int_equal(o->header, SYSLOG_RFC5424);
	assert_string_equal(o->name, "udp-127-0-0-1-514");
	o = &c->outputs[2];
	assert_int_equal(o->transport, SYSLOG_UNIX);
	assert_string_equal(o->socket_path, "/dev/log");
	assert_null(o->host);
	assert_int_equal(o->header, SYSLOG_RFC3164);
	assert_int_equal(o->format, OUTPUT_FORMAT_JSON);
	o = &c->outputs[3];
	assert_string_equal(o->host, "2001:db8::5");
	assert_int_equal(o->port, 514);
	assert_int_equal(o->header, SYSLOG_RFC3164);
	assert_int_equal(o->format, OUTPUT_FORMAT_LEEF);
	assert_int_equal(o->framing, SYSLOG_FRAMING_LF);
	assert_int_equal(o->max_message, 4096);
	assert_int_equal(o->queue_bytes, 1024 * 1024);
	assert_int_equal(o->spool_bytes, 0);
	assert_int_equal(o->spool_fsync, SPOOL_FSYNC_ALWAYS);
	assert_string_equal(o->name, "qradar");
	o = &c->outputs[4];
	assert_string_equal(o->host, "log.example.com");
	assert_int_equal(o->format, OUTPUT_FORMAT_ECS);
	assert_int_equal(o->spool_fsync_ms, 5000);
	config_free(c);
}

static void
test_syslog_output_errors(void **state)
{
	(void)state;
	expect_error("outputs:\n  - syslog: { format: cef }\n",
	    "t.yaml:2:13: outputs.syslog: missing key \"target\"");
	expect_error("outputs:\n  - syslog: { target: \"http://x:1\" }\n",
	    "t.yaml:2:23: outputs.syslog.target: invalid target \"http://x:1\" "
	    "(expected udp://HOST[:PORT], tcp://HOST[:PORT] or unix:///PATH)");
	expect_error("outputs:\n  - syslog: { target: \"tcp://x:0\" }\n",
	    "t.yaml:2:23: outputs.syslog.target: invalid target \"tcp://x:0\" "
	    "(bad host or port)");
	expect_error("outputs:\n  - syslog: { target: \"tcp://[10.0.0.1]:5\" }\n",
	    "t.yaml:2:23: outputs.syslog.target: invalid target \"tcp://[10.0.0.1]:5\" "
	    "(bad host or port)");
	expect_error("outputs:\n  - syslog: { target: \"udp://bad host\" }\n",
	    "t.yaml:2:23: outputs.syslog.target: invalid target \"udp://bad host\" "
	    "(bad host or port)");
	expect_error("outputs:\n  - syslog: { target: \"unix://dev/log\" }\n",
	    "t.yaml:2:23: outputs.syslog.target: invalid target \"unix://dev/log\" "
	    "(unix:// needs an absolute socket path under 108 bytes)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", format: rfc5424-xml }\n",
	    "t.yaml:2:42: outputs.syslog.format: invalid format \"rfc5424-xml\" "
	    "(expected json, ecs, cef or leef, optionally after rfc5424- or rfc3164-)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", facility: local8 }\n",
	    "t.yaml:2:44: outputs.syslog.facility: invalid facility \"local8\" "
	    "(expected a name such as daemon, auth or local0..local7)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", framing: crlf }\n",
	    "t.yaml:2:43: outputs.syslog.framing: invalid framing \"crlf\" "
	    "(expected octet-counting or lf)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", max_message: 100 }\n",
	    "t.yaml:2:47: outputs.syslog.max_message: must be between 3072 and 65000 bytes");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", fsync: sometimes }\n",
	    "t.yaml:2:41: outputs.syslog.fsync: invalid fsync policy \"sometimes\" "
	    "(expected always, interval or never)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\", name: \"A b\" }\n",
	    "t.yaml:2:40: outputs.syslog.name: invalid name \"A b\" (1 to 32 of a-z, 0-9, - and _)");
	expect_error("outputs:\n  - syslog: { target: \"udp://a\" }\n"
	    "  - syslog: { target: \"udp://a:514\" }\n  - syslog: { target: \"udp://a\" }\n",
	    "t.yaml:4:13: outputs.syslog: two syslog outputs named \"udp-a\" (give each a name:)");
}

static void
test_log_sources(void **state)
{
	struct config *c = load_ok(
	    "logs:\n"
	    "  - follow: /var/log/squid/access.log\n"
	    "    format: squid\n"
	    "  - listen: \"udp://0.0.0.0:5514\"\n"
	    "    format: \"squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt\"\n"
	    "  - { listen: \"tcp://[::1]:5514\", format: zeek }\n");

	(void)state;
	assert_int_equal(c->n_logs, 3);
	assert_int_equal(c->logs[0].kind, LOG_SOURCE_FOLLOW);
	assert_string_equal(c->logs[0].path, "/var/log/squid/access.log");
	assert_string_equal(c->logs[0].format, "squid");
	assert_int_equal(c->logs[1].kind, LOG_SOURCE_LISTEN);
	assert_string_equal(c->logs[1].listen, "udp://0.0.0.0:5514");
	assert_string_equal(c->logs[1].format,
	    "squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt");
	assert_string_equal(c->logs[2].listen, "tcp://[::1]:5514");
	assert_string_equal(c->logs[2].format, "zeek");
	config_free(c);

	expect_error("logs:\n  - follow: /a\n", "t.yaml:2:5: logs: missing key \"format\"");
	expect_error("logs:\n  - { format: zeek }\n",
	    "t.yaml:2:5: logs: each log source has one of follow or listen");
	expect_error("logs:\n  - { follow: /a, listen: \"udp://1.2.3.4:5\", format: zeek }\n",
	    "t.yaml:2:5: logs: each log source has one of follow or listen");
	expect_error("logs:\n  - { follow: /a, format: bluecoat }\n",
	    "t.yaml:2:27: logs.format: invalid log format \"bluecoat\" "
	    "(expected squid, squid:<logformat> or zeek)");
	expect_error("logs:\n  - { listen: \"udp://0.0.0.0\", format: zeek }\n",
	    "t.yaml:2:15: logs.listen: invalid listen address \"udp://0.0.0.0\" "
	    "(expected udp://ADDR:PORT or tcp://ADDR:PORT)");
	expect_error("logs:\n  - { listen: \"udp://[::1]\", format: zeek }\n",
	    "t.yaml:2:15: logs.listen: invalid listen address \"udp://[::1]\" "
	    "(expected udp://ADDR:PORT or tcp://ADDR:PORT)");
	expect_error("logs:\n  - { listen: \"tcp://logs.example:5514\", format: zeek }\n",
	    "t.yaml:2:15: logs.listen: invalid listen address \"tcp://logs.example:5514\" "
	    "(expected udp://ADDR:PORT or tcp://ADDR:PORT)");
	expect_error("logs: [ /var/log/x ]\n",
	    "t.yaml:1:9: logs: expected a mapping, not a scalar");
}

/* geo.asn is a path; baseline.allow takes "AS<number>" entries beside
 * CIDRs and domains. */
static void
test_geo_asn_and_allow_as(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("geo:\n  asn: /var/lib/GeoIP/GeoLite2-ASN.mmdb\n"
	    "baseline:\n  allow: [AS13335, as64500, AS4294967295, 192.0.2.0/24,"
	    " as.example, AS12x.example]\n");
	assert_string_equal(c->geo_asn, "/var/lib/GeoIP/GeoLite2-ASN.mmdb");
	assert_int_equal(c->n_baseline_allow_asns, 3);
	assert_int_equal(c->baseline_allow_asns[0], 13335);
	assert_int_equal(c->baseline_allow_asns[1], 64500);
	assert_int_equal(c->baseline_allow_asns[2], 4294967295u);
	assert_int_equal(c->baseline_allow_nets.n, 1);
	assert_int_equal(c->n_baseline_allow_domains, 2);
	assert_string_equal(c->baseline_allow_domains[0], "as.example");
	assert_string_equal(c->baseline_allow_domains[1], "as12x.example");
	config_free(c);

	c = load_ok("geo:\n  home: [JP]\n");
	assert_null(c->geo_asn);
	assert_int_equal(c->n_baseline_allow_asns, 0);
	config_free(c);

	expect_error("baseline:\n  allow: [AS0]\n",
	    "t.yaml:2:11: baseline.allow: invalid AS number \"AS0\" "
	    "(expected AS1 to AS4294967295)");
	expect_error("baseline:\n  allow: [AS4294967296]\n",
	    "t.yaml:2:11: baseline.allow: invalid AS number \"AS4294967296\" "
	    "(expected AS1 to AS4294967295)");
	expect_error("baseline:\n  allow: [AS000000000001]\n",
	    "t.yaml:2:11: baseline.allow: invalid AS number \"AS000000000001\" "
	    "(expected AS1 to AS4294967295)");
	expect_error("geo:\n  asn: [a.mmdb]\n",
	    "t.yaml:2:8: geo.asn: expected a scalar, not a list");
}


/* A config named name: its paths, as the loader resolved them. */
static struct config *
load_named(const char *name, const char *yaml)
{
	struct config *c = NULL;

	assert_int_equal(config_load_string(name, yaml, strlen(yaml), &c, errbuf,
	    sizeof(errbuf)), 0);
	assert_non_null(c);
	return c;
}

#define PATHS_YAML \
	"geo: { databases: [geo.csv, /abs/g.mmdb], hosts: sub/hosts, asn: a.mmdb }\n" \
	"baseline: { state: state/b.state }\n" \
	"daemon: { user: someone, state_dir: lib }\n" \
	"indicators:\n  - { file: iocs.txt }\n" \
	"logs:\n  - { follow: ../squid/access.log, format: squid }\n" \
	"outputs:\n  - file: { path: log/alerts.json }\n"

/* Relative paths are relative to the configuration file's directory;
 * absolute ones and the user name stay as written. */
static void
test_relative_paths(void **state)
{
	struct config *c;

	(void)state;
	c = load_named("/etc/exfild/exfild.yaml", PATHS_YAML);
	assert_string_equal(c->geo_databases[0], "/etc/exfild/geo.csv");
	assert_string_equal(c->geo_databases[1], "/abs/g.mmdb");
	assert_string_equal(c->geo_hosts, "/etc/exfild/sub/hosts");
	assert_string_equal(c->geo_asn, "/etc/exfild/a.mmdb");
	assert_string_equal(c->baseline_state, "/etc/exfild/state/b.state");
	assert_string_equal(c->daemon_user, "someone");
	assert_string_equal(c->state_dir, "/etc/exfild/lib");
	assert_string_equal(c->indicators[0].file, "/etc/exfild/iocs.txt");
	assert_string_equal(c->logs[0].path, "/etc/exfild/../squid/access.log");
	assert_string_equal(c->outputs[0].path, "/etc/exfild/log/alerts.json");
	config_free(c);
	/* a relative config name: joined to its directory */
	c = load_named("conf/demo.yaml", PATHS_YAML);
	assert_string_equal(c->geo_databases[0], "conf/geo.csv");
	assert_string_equal(c->outputs[0].path, "conf/log/alerts.json");
	config_free(c);
	/* no directory in the name: the working directory is its directory */
	c = load_named("exfild.yaml", PATHS_YAML);
	assert_string_equal(c->geo_databases[0], "geo.csv");
	assert_string_equal(c->state_dir, "lib");
	config_free(c);
	/* at the root */
	c = load_named("/x.yaml", PATHS_YAML);
	assert_string_equal(c->geo_hosts, "/sub/hosts");
	config_free(c);
}

/* Each file, directory and the user is noted with its key and place. */
static void
test_config_refs(void **state)
{
	static const struct {
		const char *key, *value;
		size_t line, col;
		enum config_ref_use use;
	} want[] = {
		{ "geo.databases", "/c/geo.csv", 1, 20, CONFIG_REF_READ },
		{ "geo.databases", "/abs/g.mmdb", 1, 29, CONFIG_REF_READ },
		{ "geo.hosts", "/c/sub/hosts", 1, 50, CONFIG_REF_READ },
		{ "geo.asn", "/c/a.mmdb", 1, 66, CONFIG_REF_READ },
		{ "baseline.state", "/c/state/b.state", 2, 20, CONFIG_REF_WRITE },
		{ "daemon.user", "someone", 3, 17, CONFIG_REF_USER },
		{ "daemon.state_dir", "/c/lib", 3, 37, CONFIG_REF_DIR },
		{ "indicators.file", "/c/iocs.txt", 5, 13, CONFIG_REF_READ },
		{ "logs.follow", "/c/../squid/access.log", 7, 15, CONFIG_REF_READ },
		{ "outputs.file.path", "/c/log/alerts.json", 9, 19, CONFIG_REF_WRITE },
	};
	char where[CONFIG_ERR_LEN];
	struct config *c;
	size_t i;

	(void)state;
	c = load_named("/c/x.yaml", PATHS_YAML);
	assert_int_equal(c->n_refs, ARRAY_LEN(want));
	for (i = 0; i < ARRAY_LEN(want); i++) {
		assert_string_equal(c->refs[i].key, want[i].key);
		assert_string_equal(c->refs[i].value, want[i].value);
		assert_int_equal(c->refs[i].line, want[i].line);
		assert_int_equal(c->refs[i].col, want[i].col);
		assert_int_equal(c->refs[i].use, want[i].use);
	}
	assert_ptr_equal(config_ref_find(c, "daemon.user", NULL), &c->refs[5]);
	assert_ptr_equal(config_ref_find(c, NULL, "/abs/g.mmdb"), &c->refs[1]);
	assert_null(config_ref_find(c, "geo.hosts", "/abs/g.mmdb"));
	config_ref_where(c, &c->refs[9], where, sizeof(where));
	assert_string_equal(where, "/c/x.yaml:9:19: outputs.file.path");
	config_free(c);
}

/* An error about a named file gets its key and place in front; others
 * (and the user name) are left alone. */
static void
test_config_blame(void **state)
{
	char err[CONFIG_ERR_LEN];
	struct config *c;

	(void)state;
	c = load_named("/c/x.yaml", PATHS_YAML);
	snprintf(err, sizeof(err), "/c/geo.csv: cannot open: No such file or directory");
	assert_true(config_blame(c, err, sizeof(err)));
	assert_string_equal(err, "/c/x.yaml:1:20: geo.databases: /c/geo.csv: "
	    "cannot open: No such file or directory");
	snprintf(err, sizeof(err), "/c/sub/hosts:3: bad line");
	assert_true(config_blame(c, err, sizeof(err)));
	assert_string_equal(err, "/c/x.yaml:1:50: geo.hosts: /c/sub/hosts:3: bad line");
	/* a path that is only a prefix of another's is not it */
	snprintf(err, sizeof(err), "/c/geo.csv.old: cannot open");
	assert_false(config_blame(c, err, sizeof(err)));
	assert_string_equal(err, "/c/geo.csv.old: cannot open");
	snprintf(err, sizeof(err), "someone: no such user");
	assert_false(config_blame(c, err, sizeof(err)));
	config_free(c);
}

/* baseline.familiar_by, min_hosts, min_days, public_suffix_list: the
 * defaults, every word, and each refusal with its place. */
static void
test_baseline_prevalence(void **state)
{
	struct config *c;

	(void)state;
	c = load_ok("geo:\n  home: [JP]\n");
	assert_int_equal(c->baseline_familiar_by, BASELINE_BY_ADDRESS |
	    BASELINE_BY_NAME | BASELINE_BY_DOMAIN);
	assert_int_equal(c->baseline_min_hosts, 2);
	assert_int_equal(c->baseline_min_days, 2);
	assert_null(c->baseline_psl);
	config_free(c);

	c = load_ok("baseline:\n  familiar_by: [asn, name]\n  min_hosts: 8\n"
	    "  min_days: 32\n  public_suffix_list: /etc/exfild/psl.dat\n");
	assert_int_equal(c->baseline_familiar_by, BASELINE_BY_ASN |
	    BASELINE_BY_NAME);
	assert_int_equal(c->baseline_min_hosts, 8);
	assert_int_equal(c->baseline_min_days, 32);
	assert_string_equal(c->baseline_psl, "/etc/exfild/psl.dat");
	config_free(c);

	expect_error("baseline:\n  familiar_by: [address, domain]\n",
	    "t.yaml:2:26: baseline.familiar_by: invalid familiarity \"domain\" "
	    "(expected address, name, registered_domain or asn)");
	expect_error("baseline:\n  familiar_by: []\n",
	    "t.yaml:2:16: baseline.familiar_by: must not be empty (nothing "
	    "would ever be familiar but baseline.allow)");
	expect_error("baseline:\n  min_hosts: 9\n",
	    "t.yaml:2:14: baseline.min_hosts: must be between 1 and 8");
	expect_error("baseline:\n  min_hosts: 0\n",
	    "t.yaml:2:14: baseline.min_hosts: invalid number \"0\" (expected a "
	    "whole number from 1 to 1000000000)");
	expect_error("baseline:\n  min_days: 33\n",
	    "t.yaml:2:13: baseline.min_days: must be between 1 and 32");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_resolvers),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_sample_file),
		cmocka_unit_test(test_sensor),
		cmocka_unit_test(test_indicators),
		cmocka_unit_test(test_report_pairs_interval),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_networks_internal),
		cmocka_unit_test(test_proxies),
		cmocka_unit_test(test_geo),
		cmocka_unit_test(test_geo_asn_and_allow_as),
		cmocka_unit_test(test_baseline_prevalence),
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_domain_length_limits),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_sizes_and_durations),
		cmocka_unit_test(test_limits_and_flow),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_yaml_syntax_errors),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_config_load_files),
		cmocka_unit_test(test_small_error_buffers),
		cmocka_unit_test(test_severity_and_country),
		cmocka_unit_test(test_sample_truncated_everywhere),
		cmocka_unit_test(test_sample_byte_flips),
		cmocka_unit_test(test_daemon_defaults),
		cmocka_unit_test(test_daemon_sections),
		cmocka_unit_test(test_daemon_errors),
		cmocka_unit_test(test_syslog_outputs),
		cmocka_unit_test(test_syslog_output_errors),
		cmocka_unit_test(test_log_sources),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_config_refs),
		cmocka_unit_test(test_config_blame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
