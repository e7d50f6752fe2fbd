/*
 * test_stats.c - the stats line and Prometheus text compared whole, label
 * escaping with hostile names, overflow at every buffer size, the statm
 * parser cut at every offset, listen-address errors, and HTTP round trips
 * on loopback (200, HEAD, 404, 405, garbage, a stalled client).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "exfild/daemon/stats.h"
#include "exfild/detect/registry.h"

#define FFFD "\xef\xbf\xbd"
#define ERR_LEN 512

/* ---- a hand-filled snapshot: every counter a different value ---- */

static struct pipeline_stats fixture_pipe;
static struct iface_stats fixture_ifaces[2];
static struct stats_snapshot fixture;

static void
fill_fixture(void)
{
	struct pipeline_stats *p = &fixture_pipe;

	memset(p, 0, sizeof(*p));
	p->frames = 1000;
	p->wire_bytes = 654321;
	p->decode.malformed = 7;
	p->decode.reason[DEC_IP4_SHORT] = 3;
	p->decode.reason[DEC_TCP_HLEN] = 4;
	p->conn.http.malformed = 11;
	p->conn.dns_malformed = 12;
	p->conn.tls_malformed = 13;
	p->flows.active = 21;
	p->flows.created = 22;
	p->flows.expired = 23;
	p->flows.evicted = 24;
	p->flows.evicted_half_open = 25;
	p->flows.half_open_refused = 26;
	p->flows.resumed = 27;
	p->pairs_rebound = 34;
	p->flows_lost_destination = 35;
	p->conn.parser_slots_reclaimed = 58;
	p->contain.blocked = 61;
	p->contain.skipped = 62;
	p->contain.errors = 63;
	p->pairs.active = 31;
	p->pairs.created = 32;
	p->pairs.evicted = 33;
	p->dests.destinations = 41;
	p->dests.evictions = 42;
	p->dests.familiar = 43;
	p->dests.learned = 44;
	p->dests.learning = 1;
	p->dests.learn_end_s = 1410998400;
	p->conn.proxy_unidentified = 51;
	p->conn.http.requests = 52;
	p->conn.tls_sni = 53;
	p->conn.dns_answers = 54;
	p->conn.dns_untrusted = 55;
	p->not_tracked = 56;
	p->not_destination = 59;
	p->conn.parser_slots_exhausted = 57;
	p->alerts = 3;
	p->alerts_by_rule[0] = 2;
	p->alerts_by_rule[1] = 1;
	/* counters the outputs do not show: must not leak into them */
	p->decode.ip4 = 999001;
	p->names.hits = 999002;
	p->alerts_by_rule[RULES_MAX - 1] = 999003;

	memset(fixture_ifaces, 0, sizeof(fixture_ifaces));
	strcpy(fixture_ifaces[0].name, "eth0");
	fixture_ifaces[0].received = 1010;
	fixture_ifaces[0].dropped = 5;
	fixture_ifaces[0].ifdropped = 1;
	strcpy(fixture_ifaces[1].name, "bond0.100");
	fixture_ifaces[1].received = 20;

	memset(&fixture, 0, sizeof(fixture));
	fixture.sensor = "tap-1";
	fixture.version = "0.1.0";
	fixture.uptime_s = 3600;
	fixture.memory_rss_bytes = 52428800;
	fixture.pipe = &fixture_pipe;
	fixture.ifaces = fixture_ifaces;
	fixture.n_ifaces = 2;
}

/* The fixture's line up to its alert counts; the rest follows the rule
 * registry (see rule_counts: the first two rules have counts 2 and 1). */
static const char expected_line_head[] =
    "uptime=3600s rss_kb=51200 "
    "eth0.received=1010 eth0.dropped=5 eth0.ifdropped=1 "
    "bond0.100.received=20 bond0.100.dropped=0 bond0.100.ifdropped=0 "
    "packets=1000 bytes=654321 "
    "malformed=7 ip4_short=3 tcp_hlen=4 http=11 dns=12 tls=13 "
    "flows_active=21 flows_created=22 flows_expired=23 flows_evicted=24 "
    "flows_evicted_half_open=25 flows_half_open_refused=26 flows_resumed=27 "
    "pairs_active=31 pairs_created=32 pairs_evicted=33 "
    "pairs_rebound=34 flows_lost_destination=35 "
    "destinations=41 destinations_evicted=42 destinations_familiar=43 "
    "destinations_learned=44 baseline_learning=1 "
    "baseline_learn_end=1410998400 proxy_unidentified=51 "
    "http_requests=52 tls_sni=53 dns_answers=54 dns_untrusted=55 "
    "not_tracked=56 not_destination=59 parser_slots_exhausted=57 parser_slots_reclaimed=58 "
    "contain_blocked=61 contain_skipped=62 contain_errors=63 alerts=3";

static const char expected_prom_head[] =
    "# HELP exfild_info Sensor name and exfild version; the value is always 1.\n"
    "# TYPE exfild_info gauge\n"
    "exfild_info{sensor=\"tap-1\",version=\"0.1.0\"} 1\n"
    "# HELP exfild_uptime_seconds Seconds since exfild started.\n"
    "# TYPE exfild_uptime_seconds gauge\n"
    "exfild_uptime_seconds 3600\n"
    "# HELP exfild_memory_rss_bytes Resident set size of the exfild process.\n"
    "# TYPE exfild_memory_rss_bytes gauge\n"
    "exfild_memory_rss_bytes 52428800\n"
    "# HELP exfild_packets_received_total Packets the capture received, per "
    "interface (pcap_stats ps_recv).\n"
    "# TYPE exfild_packets_received_total counter\n"
    "exfild_packets_received_total{interface=\"eth0\"} 1010\n"
    "exfild_packets_received_total{interface=\"bond0.100\"} 20\n"
    "# HELP exfild_packets_dropped_total Packets dropped per interface: "
    "where=\"kernel\" for want of buffer space (ps_drop), where=\"interface\" "
    "by the interface or driver (ps_ifdrop).\n"
    "# TYPE exfild_packets_dropped_total counter\n"
    "exfild_packets_dropped_total{interface=\"eth0\",where=\"kernel\"} 5\n"
    "exfild_packets_dropped_total{interface=\"eth0\",where=\"interface\"} 1\n"
    "exfild_packets_dropped_total{interface=\"bond0.100\",where=\"kernel\"} 0\n"
    "exfild_packets_dropped_total{interface=\"bond0.100\",where=\"interface\"} 0\n"
    "# HELP exfild_frames_total Frames given to the decoder.\n"
    "# TYPE exfild_frames_total counter\n"
    "exfild_frames_total 1000\n"
    "# HELP exfild_bytes_total Wire length of the frames given to the decoder.\n"
    "# TYPE exfild_bytes_total counter\n"
    "exfild_bytes_total 654321\n"
    "# HELP exfild_flows_active Flows in the flow table.\n"
    "# TYPE exfild_flows_active gauge\n"
    "exfild_flows_active 21\n"
    "# HELP exfild_flows_created_total Flows created.\n"
    "# TYPE exfild_flows_created_total counter\n"
    "exfild_flows_created_total 22\n"
    "# HELP exfild_flows_expired_total Flows released after their idle or "
    "close timeout.\n"
    "# TYPE exfild_flows_expired_total counter\n"
    "exfild_flows_expired_total 23\n"
    "# HELP exfild_flows_evicted_total Flows evicted because the flow table "
    "was full.\n"
    "# TYPE exfild_flows_evicted_total counter\n"
    "exfild_flows_evicted_total 24\n"
    "# HELP exfild_flows_evicted_half_open_total Flows without client "
    "payload evicted because the flow table was full.\n"
    "# TYPE exfild_flows_evicted_half_open_total counter\n"
    "exfild_flows_evicted_half_open_total 25\n"
    "# HELP exfild_flows_half_open_refused_total Flows not made: their host "
    "held limits.half_open_per_host flows without client payload.\n"
    "# TYPE exfild_flows_half_open_refused_total counter\n"
    "exfild_flows_half_open_refused_total 26\n"
    "# HELP exfild_flows_resumed_total Evicted flows taken up again where "
    "they were.\n"
    "# TYPE exfild_flows_resumed_total counter\n"
    "exfild_flows_resumed_total 27\n"
    "# HELP exfild_pairs_active (host, destination) pairs in the aggregation "
    "table.\n"
    "# TYPE exfild_pairs_active gauge\n"
    "exfild_pairs_active 31\n"
    "# HELP exfild_pairs_created_total (host, destination) pairs created.\n"
    "# TYPE exfild_pairs_created_total counter\n"
    "exfild_pairs_created_total 32\n"
    "# HELP exfild_pairs_evicted_total (host, destination) pairs evicted "
    "because the table was full.\n"
    "# TYPE exfild_pairs_evicted_total counter\n"
    "exfild_pairs_evicted_total 33\n"
    "# HELP exfild_pairs_rebound_total Flows whose evicted pair was made "
    "again.\n"
    "# TYPE exfild_pairs_rebound_total counter\n"
    "exfild_pairs_rebound_total 34\n"
    "# HELP exfild_flows_lost_destination_total Flows whose destination was "
    "evicted while in use.\n"
    "# TYPE exfild_flows_lost_destination_total counter\n"
    "exfild_flows_lost_destination_total 35\n"
    "# HELP exfild_destinations_active Destinations in the baseline table.\n"
    "# TYPE exfild_destinations_active gauge\n"
    "exfild_destinations_active 41\n"
    "# HELP exfild_destinations_evicted_total Destinations evicted because "
    "the baseline table was full.\n"
    "# TYPE exfild_destinations_evicted_total counter\n"
    "exfild_destinations_evicted_total 42\n"
    "# HELP exfild_destinations_familiar Destinations familiar: allowed, or "
    "learned.\n"
    "# TYPE exfild_destinations_familiar gauge\n"
    "exfild_destinations_familiar 43\n"
    "# HELP exfild_destinations_learned Destinations familiar by what the "
    "learning period saw.\n"
    "# TYPE exfild_destinations_learned gauge\n"
    "exfild_destinations_learned 44\n"
    "# HELP exfild_baseline_learning 1 while the baseline is learning (only "
    "compressed-upload and indicator-match alert), else 0.\n"
    "# TYPE exfild_baseline_learning gauge\n"
    "exfild_baseline_learning 1\n"
    "# HELP exfild_baseline_learn_end_seconds When the learning period ends "
    "or ended (Unix time; 0: not begun).\n"
    "# TYPE exfild_baseline_learn_end_seconds gauge\n"
    "exfild_baseline_learn_end_seconds 1410998400\n"
    "# HELP exfild_http_requests_total HTTP requests parsed.\n"
    "# TYPE exfild_http_requests_total counter\n"
    "exfild_http_requests_total 52\n"
    "# HELP exfild_tls_sni_total TLS ClientHellos with a server name.\n"
    "# TYPE exfild_tls_sni_total counter\n"
    "exfild_tls_sni_total 53\n"
    "# HELP exfild_dns_answers_total DNS answers read.\n"
    "# TYPE exfild_dns_answers_total counter\n"
    "exfild_dns_answers_total 54\n"
    "# HELP exfild_dns_untrusted_total DNS answers ignored: not from "
    "networks.resolvers.\n"
    "# TYPE exfild_dns_untrusted_total counter\n"
    "exfild_dns_untrusted_total 55\n"
    "# HELP exfild_proxy_unidentified_total Proxy flows whose real "
    "destination stayed unknown.\n"
    "# TYPE exfild_proxy_unidentified_total counter\n"
    "exfild_proxy_unidentified_total 51\n"
    "# HELP exfild_not_tracked_total Packets not tracked: internal to "
    "internal, transit, not TCP or UDP.\n"
    "# TYPE exfild_not_tracked_total counter\n"
    "exfild_not_tracked_total 56\n"
    "# HELP exfild_not_destination_total Packets and log lines not tracked: "
    "their far end is multicast, broadcast, link-local or unspecified.\n"
    "# TYPE exfild_not_destination_total counter\n"
    "exfild_not_destination_total 59\n"
    "# HELP exfild_parser_slots_exhausted_total Flows left unparsed: there "
    "are no parser slots (limits.app_parsers).\n"
    "# TYPE exfild_parser_slots_exhausted_total counter\n"
    "exfild_parser_slots_exhausted_total 57\n"
    "# HELP exfild_parser_slots_reclaimed_total Parser slots taken from the "
    "least recently used flow for another.\n"
    "# TYPE exfild_parser_slots_reclaimed_total counter\n"
    "exfild_parser_slots_reclaimed_total 58\n"
    "# HELP exfild_contain_blocked_total Alert destinations blocked "
    "(contain:): nft set elements added, hook runs that exited 0.\n"
    "# TYPE exfild_contain_blocked_total counter\n"
    "exfild_contain_blocked_total 61\n"
    "# HELP exfild_contain_skipped_total Alerts of contain.rules not acted "
    "on: never blocked (familiar, home, internal, proxy, never, unknown) or "
    "over contain.max_per_minute.\n"
    "# TYPE exfild_contain_skipped_total counter\n"
    "exfild_contain_skipped_total 62\n"
    "# HELP exfild_contain_errors_total Containment that failed: nft "
    "refused, the hook failed or did not run.\n"
    "# TYPE exfild_contain_errors_total counter\n"
    "exfild_contain_errors_total 63\n"
    "# HELP exfild_malformed_total Packets or messages rejected as "
    "malformed, by reason.\n"
    "# TYPE exfild_malformed_total counter\n"
    "exfild_malformed_total{reason=\"link_short\"} 0\n"
    "exfild_malformed_total{reason=\"vlan_short\"} 0\n"
    "exfild_malformed_total{reason=\"vlan_depth\"} 0\n"
    "exfild_malformed_total{reason=\"ip4_short\"} 3\n"
    "exfild_malformed_total{reason=\"ip4_version\"} 0\n"
    "exfild_malformed_total{reason=\"ip4_hlen\"} 0\n"
    "exfild_malformed_total{reason=\"ip4_totlen\"} 0\n"
    "exfild_malformed_total{reason=\"ip6_short\"} 0\n"
    "exfild_malformed_total{reason=\"ip6_version\"} 0\n"
    "exfild_malformed_total{reason=\"ip6_plen\"} 0\n"
    "exfild_malformed_total{reason=\"ip6_exthdr\"} 0\n"
    "exfild_malformed_total{reason=\"tcp_short\"} 0\n"
    "exfild_malformed_total{reason=\"tcp_hlen\"} 4\n"
    "exfild_malformed_total{reason=\"udp_short\"} 0\n"
    "exfild_malformed_total{reason=\"udp_len\"} 0\n"
    "exfild_malformed_total{reason=\"http\"} 11\n"
    "exfild_malformed_total{reason=\"dns\"} 12\n"
    "exfild_malformed_total{reason=\"tls\"} 13\n"
    "# HELP exfild_alerts_total Alerts raised, by rule.\n"
    "# TYPE exfild_alerts_total counter\n";

static char expected_line[4096];
static char expected_prom[16384];

/* " name=N" (line) or the exposition's sample, for every rule of the
 * registry, with the fixture's counts. */
static void
rule_counts(char *line, size_t linelen, char *prom, size_t promlen,
    const uint64_t *by_rule)
{
	const struct rule_def *const *r;
	size_t n, i, o = 0, q = 0;

	r = rules_registry(&n);
	for (i = 0; i < n; i++) {
		o += (size_t)snprintf(line + o, linelen - o, " %s=%llu", r[i]->name,
		    (unsigned long long)by_rule[i]);
		q += (size_t)snprintf(prom + q, promlen - q,
		    "exfild_alerts_total{rule=\"%s\"} %llu\n", r[i]->name,
		    (unsigned long long)by_rule[i]);
	}
}

static void
fill_expected(void)
{
	char line[1024], prom[2048];

	rule_counts(line, sizeof(line), prom, sizeof(prom),
	    fixture.pipe->alerts_by_rule);
	snprintf(expected_line, sizeof(expected_line), "%s%s",
	    expected_line_head, line);
	snprintf(expected_prom, sizeof(expected_prom), "%s%s",
	    expected_prom_head, prom);
}

static int
setup(void **state)
{
	(void)state;
	fill_fixture();
	fill_expected();
	return 0;
}

static void
test_line_exact(void **state)
{
	char buf[4096];
	struct strbuf sb;

	(void)state;
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_line(&fixture, &sb), 0);
	assert_string_equal(buf, expected_line);
	assert_int_equal(sb.len, strlen(expected_line));
}

static void
test_prometheus_exact(void **state)
{
	static char buf[16384];
	struct strbuf sb;

	(void)state;
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_prometheus(&fixture, &sb), 0);
	assert_string_equal(buf, expected_prom);
}

/*
 * Structure of the exposition format: each family's HELP then TYPE once,
 * its samples right after, counters named *_total, every line ended.
 */
static size_t
check_exposition(const char *text)
{
	char family[128] = "", seen[64][128];
	const char *line = text, *nl, *type;
	size_t n, nseen = 0, i, nl_len;

	while (*line != '\0') {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		nl_len = (size_t)(nl - line);
		if (strncmp(line, "# HELP ", 7) == 0) {
			n = strcspn(line + 7, " ");
			assert_true(n < sizeof(family));
			memcpy(family, line + 7, n);
			family[n] = '\0';
			assert_memory_equal(family, "exfild_", 7);
			for (i = 0; i < nseen; i++)
				assert_string_not_equal(seen[i], family);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], family);
			line = nl + 1;
			nl = strchr(line, '\n');
			assert_non_null(nl);
			assert_memory_equal(line, "# TYPE ", 7);
			assert_memory_equal(line + 7, family, strlen(family));
			type = line + 7 + strlen(family);
			n = strlen(family);
			if (strncmp(type, " counter\n", 9) == 0)
				assert_string_equal(family + n - 6, "_total");
			else
				assert_memory_equal(type, " gauge\n", 7);
		} else {
			assert_true(line[0] != '#');
			n = strcspn(line, "{ ");
			assert_int_equal(n, strlen(family));
			assert_memory_equal(line, family, n);
			assert_true(nl_len > n);
		}
		line = nl + 1;
	}
	return nseen;
}

static void
test_prometheus_structure(void **state)
{
	static char buf[16384];
	struct strbuf sb;
	struct stats_snapshot empty;

	(void)state;
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_prometheus(&fixture, &sb), 0);
	assert_int_equal(check_exposition(buf), 39);

	/* no pipeline yet, no interface, no names: still every family */
	memset(&empty, 0, sizeof(empty));
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_prometheus(&empty, &sb), 0);
	assert_int_equal(check_exposition(buf), 39);
	assert_non_null(strstr(buf, "\nexfild_info{sensor=\"\",version=\"\"} 1\n"));
	assert_non_null(strstr(buf, "\nexfild_alerts_total{rule=\"bulk-upload\"} 0\n"
	    "exfild_alerts_total{rule=\"compressed-upload\"} 0\n"));
	assert_non_null(strstr(buf, "# TYPE exfild_packets_received_total counter\n"
	    "# HELP exfild_packets_dropped_total "));
	assert_null(strstr(buf, "interface=\""));
}

static void
test_line_empty(void **state)
{
	char buf[4096];
	struct strbuf sb;
	struct stats_snapshot empty;
	uint64_t zero[RULES_MAX] = { 0 };
	char want[4096], rules[1024], prom[2048];

	(void)state;
	memset(&empty, 0, sizeof(empty));
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_line(&empty, &sb), 0);
	rule_counts(rules, sizeof(rules), prom, sizeof(prom), zero);
	snprintf(want, sizeof(want), "%s%s",
	    "uptime=0s rss_kb=0 packets=0 bytes=0 malformed=0 http=0 dns=0 tls=0 "
	    "flows_active=0 flows_created=0 flows_expired=0 flows_evicted=0 "
	    "flows_evicted_half_open=0 flows_half_open_refused=0 "
	    "flows_resumed=0 "
	    "pairs_active=0 pairs_created=0 pairs_evicted=0 pairs_rebound=0 "
	    "flows_lost_destination=0 destinations=0 "
	    "destinations_evicted=0 destinations_familiar=0 "
	    "destinations_learned=0 baseline_learning=0 baseline_learn_end=0 "
	    "proxy_unidentified=0 http_requests=0 "
	    "tls_sni=0 dns_answers=0 dns_untrusted=0 not_tracked=0 "
	    "not_destination=0 parser_slots_exhausted=0 parser_slots_reclaimed=0 "
	    "contain_blocked=0 contain_skipped=0 contain_errors=0 alerts=0", rules);
	assert_string_equal(buf, want);
	assert_true(strstr(buf, " bulk-upload=0 compressed-upload=0") != NULL);
}

static void
test_prometheus_hostile_labels(void **state)
{
	static char buf[16384];
	struct strbuf sb;
	struct iface_stats ifs[2];
	struct stats_snapshot s = fixture;

	(void)state;
	memset(ifs, 0, sizeof(ifs));
	strcpy(ifs[0].name, "e\"t\\h\n0} 9\n");
	ifs[0].received = 7;
	/* 32 bytes, no NUL: only the array is read */
	memset(ifs[1].name, 'x', sizeof(ifs[1].name));
	ifs[1].received = 8;
	s.ifaces = ifs;
	s.n_ifaces = 2;
	s.sensor = "a\"b\\c\nd caf\xc3\xa9 \xff\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"
	    " \xf0\x9f\x98\x80 \xe3\x81";
	s.version = "\\\"";
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_prometheus(&s, &sb), 0);
	assert_non_null(strstr(buf, "\nexfild_info{sensor=\"a\\\"b\\\\c\\nd caf\xc3\xa9 "
	    FFFD FFFD FFFD " " FFFD FFFD FFFD " " FFFD FFFD FFFD FFFD " "
	    "\xf0\x9f\x98\x80 " FFFD FFFD "\",version=\"\\\\\\\"\"} 1\n"));
	assert_non_null(strstr(buf,
	    "\nexfild_packets_received_total{interface=\"e\\\"t\\\\h\\n0} 9\\n\"} 7\n"
	    "exfild_packets_received_total{interface=\""
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 8\n"));
	assert_non_null(strstr(buf,
	    "\nexfild_packets_dropped_total{interface=\"e\\\"t\\\\h\\n0} 9\\n\","
	    "where=\"kernel\"} 0\n"));
	/* still well formed: one sample per line, families intact */
	assert_int_equal(check_exposition(buf), 39);
}

static void
test_line_hostile_iface(void **state)
{
	char buf[4096];
	struct strbuf sb;
	struct iface_stats ifs[1];
	struct stats_snapshot s;
	const char *want;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(ifs, 0, sizeof(ifs));
	strcpy(ifs[0].name, "e t=h\n\xc3\xa9:1");
	ifs[0].received = 4;
	s.ifaces = ifs;
	s.n_ifaces = 1;
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_line(&s, &sb), 0);
	want = "uptime=0s rss_kb=0 "
	    "e\\x20t\\x3dh\\x0a\\xc3\\xa9:1.received=4 "
	    "e\\x20t\\x3dh\\x0a\\xc3\\xa9:1.dropped=0 "
	    "e\\x20t\\x3dh\\x0a\\xc3\\xa9:1.ifdropped=0 packets=0 ";
	assert_int_equal(strncmp(buf, want, strlen(want)), 0);
	assert_null(strchr(buf, '\n'));
}

/* Every buffer size: -1 exactly when the text does not fit, a prefix kept. */
static void
test_overflow_every_size(void **state)
{
	static char buf[16384];
	struct strbuf sb;
	size_t cap, full;

	(void)state;
	full = strlen(expected_line);
	for (cap = 0; cap <= full + 1; cap++) {
		sb_init(&sb, buf, cap);
		assert_int_equal(stats_format_line(&fixture, &sb),
		    cap > full ? 0 : -1);
		if (cap > 0)
			assert_memory_equal(buf, expected_line, cap - 1);
	}
	full = strlen(expected_prom);
	for (cap = 0; cap <= full + 1; cap++) {
		sb_init(&sb, buf, cap);
		assert_int_equal(stats_format_prometheus(&fixture, &sb),
		    cap > full ? 0 : -1);
		if (cap > 0)
			assert_memory_equal(buf, expected_prom, cap - 1);
	}
}

static void
test_statm(void **state)
{
	static const char statm[] = "12345 678 90 1 0 2 0\n";
	char cut[sizeof(statm)];
	size_t n;

	(void)state;
	assert_int_equal(stats_parse_statm(statm, strlen(statm), 4096),
	    678 * 4096);
	/* cut at every offset: nothing until "678 " is complete */
	for (n = 0; n <= strlen(statm); n++) {
		memcpy(cut, statm, n);
		assert_int_equal(stats_parse_statm(n == 0 ? NULL : cut, n, 4096),
		    n < 10 ? 0 : 678 * 4096);
	}
	assert_int_equal(stats_parse_statm("abc 1 2", 7, 4096), 0);
	assert_int_equal(stats_parse_statm(" 1 2 3", 6, 4096), 0);
	assert_int_equal(stats_parse_statm("1  2 3", 6, 4096), 0);
	assert_int_equal(stats_parse_statm("1 -2 3", 6, 4096), 0);
	assert_int_equal(stats_parse_statm("1\t2 3", 5, 4096), 0);
	assert_int_equal(stats_parse_statm("1 2x 3", 6, 4096), 0);
	assert_int_equal(stats_parse_statm("1 2\0003", 5, 4096), 0);
	assert_int_equal(stats_parse_statm("1 18446744073709551616 0", 24, 1), 0);
	assert_int_equal(stats_parse_statm("1 18446744073709551615 0", 24, 1),
	    UINT64_MAX);
	assert_int_equal(stats_parse_statm("1 4503599627370496 0", 20, 4096), 0);
	assert_int_equal(stats_parse_statm("1 4503599627370495 0", 20, 4096),
	    4503599627370495ULL * 4096);
	assert_int_equal(stats_parse_statm("1 2 3", 5, 0), 0);
}

static void
test_memory_rss_live(void **state)
{
	uint64_t rss = stats_memory_rss();
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	assert_true(page > 0);
	assert_true(rss > 0);
	assert_int_equal(rss % (uint64_t)page, 0);
	assert_true(rss < (1ULL << 40));
}

/* ---- listen addresses ---- */

static void
test_listen_ok(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	socklen_t len;
	char err[ERR_LEN] = "";

	(void)state;
	assert_int_equal(stats_listen_parse("127.0.0.1:9477", &ss, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(len, sizeof(sin));
	memcpy(&sin, &ss, sizeof(sin));
	assert_int_equal(sin.sin_family, AF_INET);
	assert_int_equal(ntohs(sin.sin_port), 9477);
	assert_int_equal(ntohl(sin.sin_addr.s_addr), 0x7f000001);

	assert_int_equal(stats_listen_parse("127.254.3.4:00080", &ss, &len, err,
	    sizeof(err)), 0);
	memcpy(&sin, &ss, sizeof(sin));
	assert_int_equal(ntohs(sin.sin_port), 80);
	assert_int_equal(ntohl(sin.sin_addr.s_addr), 0x7ffe0304);

	assert_int_equal(stats_listen_parse("127.0.0.1:65535", &ss, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(stats_listen_parse("127.0.0.1:0", &ss, &len, err,
	    sizeof(err)), 0);

	assert_int_equal(stats_listen_parse("[::1]:9477", &ss, &len, err,
	    sizeof(err)), 0);
	assert_int_equal(len, sizeof(sin6));
	memcpy(&sin6, &ss, sizeof(sin6));
	assert_int_equal(sin6.sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6.sin6_port), 9477);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr));
	assert_string_equal(err, "");
}

#define FORMS "expected host:port or [v6]:port"
#define NO_PORT "missing port (" FORMS ")"
#define BAD_PORT "port must be a number from 0 to 65535"
#define BAD_HOST "host must be an IPv4 address or a bracketed IPv6 address " \
    "(names are not resolved)"
#define BAD_V6 "not an IPv6 address between the brackets"
#define NEED_BRACKETS "an IPv6 address must be in brackets, as in [::1]:9477"
#define NOT_LOOPBACK "not a loopback address (127.0.0.0/8 or [::1]): the " \
    "metrics endpoint has no authentication"

static const struct {
	const char *in;
	const char *err;
} listen_bad[] = {
	{ "", "listen address \"\": " FORMS },
	{ NULL, "listen address \"\": " FORMS },
	{ "127.0.0.1", "listen address \"127.0.0.1\": " NO_PORT },
	{ "127.0.0.1:", "listen address \"127.0.0.1:\": " NO_PORT },
	{ "127.0.0.1:65536", "listen address \"127.0.0.1:65536\": " BAD_PORT },
	{ "127.0.0.1:123456", "listen address \"127.0.0.1:123456\": " BAD_PORT },
	{ "127.0.0.1:-1", "listen address \"127.0.0.1:-1\": " BAD_PORT },
	{ "127.0.0.1:+80", "listen address \"127.0.0.1:+80\": " BAD_PORT },
	{ "127.0.0.1:80x", "listen address \"127.0.0.1:80x\": " BAD_PORT },
	{ "127.0.0.1: 80", "listen address \"127.0.0.1: 80\": " BAD_PORT },
	{ "127.0.0.1:http", "listen address \"127.0.0.1:http\": " BAD_PORT },
	{ "127.0.0.1:94:77", "listen address \"127.0.0.1:94:77\": " NEED_BRACKETS },
	{ "::1:9477", "listen address \"::1:9477\": " NEED_BRACKETS },
	{ "[::1]", "listen address \"[::1]\": " NO_PORT },
	{ "[::1]:", "listen address \"[::1]:\": " NO_PORT },
	{ "[::1]:x", "listen address \"[::1]:x\": " BAD_PORT },
	{ "[::1", "listen address \"[::1\": missing \"]\" after the IPv6 address" },
	{ "[::1]9477", "listen address \"[::1]9477\": expected \":\" and a port "
	    "after \"]\"" },
	{ "[127.0.0.1]:80", "listen address \"[127.0.0.1]:80\": " BAD_V6 },
	{ "[]:80", "listen address \"[]:80\": " BAD_V6 },
	{ "[::1%lo]:80", "listen address \"[::1%lo]:80\": " BAD_V6 },
	{ "localhost:9477", "listen address \"localhost:9477\": " BAD_HOST },
	{ ":9477", "listen address \":9477\": " BAD_HOST },
	{ "127.1:80", "listen address \"127.1:80\": " BAD_HOST },
	{ " 127.0.0.1:80", "listen address \" 127.0.0.1:80\": " BAD_HOST },
	{ "127.0.0.1 :80", "listen address \"127.0.0.1 :80\": " BAD_HOST },
	{ "\x01\"\\:80", "listen address \"\\x01\\x22\\x5c:80\": " BAD_HOST },
	{ "0.0.0.0:9477", "listen address \"0.0.0.0:9477\": " NOT_LOOPBACK },
	{ "192.168.1.10:9477", "listen address \"192.168.1.10:9477\": "
	    NOT_LOOPBACK },
	{ "128.0.0.1:9477", "listen address \"128.0.0.1:9477\": " NOT_LOOPBACK },
	{ "126.255.255.255:9477", "listen address \"126.255.255.255:9477\": "
	    NOT_LOOPBACK },
	{ "[::]:9477", "listen address \"[::]:9477\": " NOT_LOOPBACK },
	{ "[::2]:9477", "listen address \"[::2]:9477\": " NOT_LOOPBACK },
	{ "[::ffff:127.0.0.1]:9477", "listen address \"[::ffff:127.0.0.1]:9477\": "
	    NOT_LOOPBACK },
	{ "[fe80::1]:9477", "listen address \"[fe80::1]:9477\": " NOT_LOOPBACK },
};

static void
test_listen_errors(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(listen_bad) / sizeof(listen_bad[0]); i++) {
		err[0] = '\0';
		if (stats_listen_parse(listen_bad[i].in, &ss, &len, err,
		    sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", listen_bad[i].in);
		assert_string_equal(err, listen_bad[i].err);
	}
}

static void
test_listen_long_and_cut(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char in[300], err[ERR_LEN];
	const char *full = "[::1]:9477";
	size_t n;

	(void)state;
	memset(in, 'a', 200);
	strcpy(in + 200, ":80");
	assert_int_equal(stats_listen_parse(in, &ss, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "listen address \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": " BAD_HOST);
	/* a short error buffer: cut, terminated */
	assert_int_equal(stats_listen_parse("0.0.0.0:1", &ss, &len, err, 10), -1);
	assert_string_equal(err, "listen ad");
	/* every prefix of a good address: refused until a port digit is in */
	for (n = 0; n <= strlen(full); n++) {
		memcpy(in, full, n);
		in[n] = '\0';
		assert_int_equal(stats_listen_parse(in, &ss, &len, err,
		    sizeof(err)), n < 7 ? -1 : 0);
	}
}

/* ---- HTTP ---- */

static int snapshot_calls;

static void
fixture_snapshot(void *ctx, struct stats_snapshot *out)
{
	assert_ptr_equal(ctx, &fixture);
	snapshot_calls++;
	*out = fixture;
}

static void
test_http_refuses(void **state)
{
	struct event_base *base = event_base_new();
	char err[ERR_LEN];

	(void)state;
	assert_non_null(base);
	assert_null(stats_http_start(base, "0.0.0.0:9477", fixture_snapshot,
	    &fixture, err, sizeof(err)));
	assert_string_equal(err, "listen address \"0.0.0.0:9477\": " NOT_LOOPBACK);
	assert_null(stats_http_start(base, "127.0.0.1", fixture_snapshot,
	    &fixture, err, sizeof(err)));
	assert_string_equal(err, "listen address \"127.0.0.1\": " NO_PORT);
	stats_http_stop(NULL);
	event_base_free(base);
}

static void
test_http_port_in_use(void **state)
{
	struct event_base *base = event_base_new();
	struct stats_http *h;
	char err[ERR_LEN], addr[64], want[ERR_LEN];

	(void)state;
	h = stats_http_start(base, "127.0.0.1:0", fixture_snapshot, &fixture,
	    err, sizeof(err));
	assert_non_null(h);
	assert_true(stats_http_port(h) != 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", stats_http_port(h));
	assert_null(stats_http_start(base, addr, fixture_snapshot, &fixture,
	    err, sizeof(err)));
	snprintf(want, sizeof(want),
	    "listen address \"%s\": cannot bind: Address already in use", addr);
	assert_string_equal(err, want);
	stats_http_stop(h);
	event_base_free(base);
}

#define RESPONSE_MAX 32768

struct exchange {
	const char *request;
	size_t reqlen;
	char response[RESPONSE_MAX];
	size_t len;
	int error;
};

struct client_run {
	int family;
	uint16_t port;
	struct exchange *ex;
	size_t n;
	int done_fd;
};

static int
client_connect(const struct client_run *run)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct timeval tv = { 5, 0 };
	int fd;

	fd = socket(run->family, SOCK_STREAM, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (run->family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(run->port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(run->port);
		sin6.sin6_addr = in6addr_loopback;
		if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0)
			return fd;
	}
	close(fd);
	return -1;
}

/* One request per connection ("Connection: close"): read until EOF. */
static void
client_exchange(const struct client_run *run, struct exchange *ex)
{
	ssize_t n;
	size_t off = 0;
	int fd = client_connect(run);

	if (fd == -1) {
		ex->error = errno;
		return;
	}
	while (off < ex->reqlen) {
		n = send(fd, ex->request + off, ex->reqlen - off, MSG_NOSIGNAL);
		if (n <= 0) {
			ex->error = errno;
			close(fd);
			return;
		}
		off += (size_t)n;
	}
	while (ex->len < sizeof(ex->response) - 1) {
		n = recv(fd, ex->response + ex->len,
		    sizeof(ex->response) - 1 - ex->len, 0);
		if (n < 0)
			ex->error = errno;
		if (n <= 0)
			break;
		ex->len += (size_t)n;
	}
	ex->response[ex->len] = '\0';
	close(fd);
}

/*
 * A client that sends half a request and holds the connection open stays
 * open while every exchange is answered: the listener never blocks.
 */
static void *
client_thread(void *arg)
{
	struct client_run *run = arg;
	ssize_t done;
	size_t i;
	int stalled = client_connect(run);

	if (stalled != -1)
		(void)send(stalled, "GET /met", 8, MSG_NOSIGNAL);
	for (i = 0; i < run->n; i++)
		client_exchange(run, &run->ex[i]);
	if (stalled != -1)
		close(stalled);
	done = write(run->done_fd, "x", 1);
	(void)done;
	return NULL;
}

static void
on_client_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Runs the exchanges against a listener on addr; false when the address
 * family is unavailable here (no ::1 in the container). */
static bool
run_exchanges(const char *addr, int family, struct exchange *ex, size_t n)
{
	struct event_base *base = event_base_new();
	struct event *done, *timeout;
	struct timeval limit = { 30, 0 };
	struct client_run run;
	struct stats_http *h;
	pthread_t tid;
	char err[ERR_LEN];
	int pipefd[2];

	assert_non_null(base);
	h = stats_http_start(base, addr, fixture_snapshot, &fixture, err,
	    sizeof(err));
	if (h == NULL && family == AF_INET6) {
		event_base_free(base);
		return false;
	}
	if (h == NULL)
		fail_msg("%s", err);
	assert_int_equal(pipe(pipefd), 0);
	done = event_new(base, pipefd[0], EV_READ, on_client_done, base);
	timeout = evtimer_new(base, on_client_done, base);
	assert_non_null(done);
	assert_non_null(timeout);
	event_add(done, NULL);
	event_add(timeout, &limit);
	memset(&run, 0, sizeof(run));
	run.family = family;
	run.port = stats_http_port(h);
	run.ex = ex;
	run.n = n;
	run.done_fd = pipefd[1];
	assert_int_equal(pthread_create(&tid, NULL, client_thread, &run), 0);
	event_base_dispatch(base);
	pthread_join(tid, NULL);
	event_free(done);
	event_free(timeout);
	close(pipefd[0]);
	close(pipefd[1]);
	stats_http_stop(h);
	event_base_free(base);
	return true;
}

#define REQ(s) { s, sizeof(s) - 1, "", 0, 0 }

/* The status line, one header line (exact, with CRLF) present, the body. */
static void
assert_response(const struct exchange *ex, const char *status,
    const char *header, const char *body)
{
	const char *end;

	if (ex->error != 0)
		fail_msg("exchange failed: %s", strerror(ex->error));
	assert_int_equal(strncmp(ex->response, status, strlen(status)), 0);
	end = strstr(ex->response, "\r\n\r\n");
	assert_non_null(end);
	if (header != NULL) {
		const char *h = strstr(ex->response, header);

		assert_non_null(h);
		assert_true(h < end);
	}
	assert_string_equal(end + 4, body);
}

static const char not_found[] = "not found: the metrics are at /metrics\n";
static const char not_allowed[] = "method not allowed: use GET or HEAD\n";

static struct exchange exchanges[] = {
	REQ("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
	REQ("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
	REQ("GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
	REQ("POST /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	    "Content-Length: 3\r\n\r\nabc"),
	REQ("OPTIONS /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close"
	    "\r\n\r\n"),
	REQ("DELETE / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
	REQ("GET /metrics/ HTTP/1.1\r\nHost: localhost\r\nConnection: close"
	    "\r\n\r\n"),
	REQ("GET /metrics?debug=1 HTTP/1.1\r\nHost: localhost\r\n"
	    "Connection: close\r\n\r\n"),
	REQ("\x01\xff garbage\r\n\r\n"),
	REQ("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	    "Content-Length: 99999999\r\n\r\n"),
	REQ("GET /metrics HTTP/1.0\r\n\r\n"),
	REQ("HEAD /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
};

static void
check_exchanges(struct exchange *ex)
{
	char length[64];

	snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n",
	    strlen(expected_prom));
	assert_response(&ex[0], "HTTP/1.1 200 OK\r\n", "\r\nContent-Type: "
	    "text/plain; version=0.0.4; charset=utf-8\r\n", expected_prom);
	assert_response(&ex[0], "HTTP/1.1 200 OK\r\n", length, expected_prom);
	assert_response(&ex[1], "HTTP/1.1 200 OK\r\n", "\r\nContent-Type: "
	    "text/plain; version=0.0.4; charset=utf-8\r\n", "");
	assert_response(&ex[1], "HTTP/1.1 200 OK\r\n", length, "");
	assert_response(&ex[11], "HTTP/1.1 404 Not Found\r\n",
	    "\r\nContent-Length: 39\r\n", "");
	assert_response(&ex[2], "HTTP/1.1 404 Not Found\r\n", NULL, not_found);
	assert_response(&ex[3], "HTTP/1.1 405 Method Not Allowed\r\n",
	    "\r\nAllow: GET, HEAD\r\n", not_allowed);
	assert_response(&ex[4], "HTTP/1.1 405 Method Not Allowed\r\n",
	    "\r\nAllow: GET, HEAD\r\n", not_allowed);
	assert_response(&ex[5], "HTTP/1.1 404 Not Found\r\n", NULL, not_found);
	assert_response(&ex[6], "HTTP/1.1 404 Not Found\r\n", NULL, not_found);
	assert_response(&ex[7], "HTTP/1.1 200 OK\r\n", NULL, expected_prom);
	assert_int_equal(strncmp(ex[8].response, "HTTP/1.1 400 ", 13), 0);
	assert_int_equal(strncmp(ex[9].response, "HTTP/1.1 413 ", 13), 0);
	assert_response(&ex[10], "HTTP/1.0 200 OK\r\n", NULL, expected_prom);
}

static void
test_http_round_trip(void **state)
{
	size_t i;

	(void)state;
	snapshot_calls = 0;
	assert_true(run_exchanges("127.0.0.1:0", AF_INET, exchanges,
	    sizeof(exchanges) / sizeof(exchanges[0])));
	check_exchanges(exchanges);
	/* GET, HEAD, GET ?debug=1, GET HTTP/1.0: one snapshot each */
	assert_int_equal(snapshot_calls, 4);

	for (i = 0; i < sizeof(exchanges) / sizeof(exchanges[0]); i++) {
		exchanges[i].len = 0;
		exchanges[i].error = 0;
		exchanges[i].response[0] = '\0';
	}
	if (!run_exchanges("[::1]:0", AF_INET6, exchanges,
	    sizeof(exchanges) / sizeof(exchanges[0]))) {
		print_message("note: no ::1 here; IPv6 round trip skipped\n");
		return;
	}
	check_exchanges(exchanges);
}

/* The outputs' counters: a file (emitted/failed only) and a syslog output
 * (queue, spool, sent, retried, dropped), in the line and in Prometheus. */
static void
test_outputs(void **state)
{
	static char buf[16384];
	struct output_row rows[2];
	struct stats_snapshot s = fixture;
	struct strbuf sb;

	(void)state;
	memset(rows, 0, sizeof(rows));
	strcpy(rows[0].name, "alerts.json");
	rows[0].kind = "file";
	rows[0].emitted = 4;
	strcpy(rows[1].name, "siem\"1");
	rows[1].kind = "syslog";
	rows[1].emitted = 4;
	rows[1].queued = 1;
	rows[1].spooled = 2;
	rows[1].sent = 3;
	rows[1].retried = 5;
	rows[1].dropped = 6;
	s.outputs = rows;
	s.n_outputs = 2;
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_line(&s, &sb), 0);
	assert_non_null(strstr(buf, " compressed-upload=1 "));
	assert_non_null(strstr(buf, " out.alerts.json.emitted=4 "
	    "out.alerts.json.failed=0 out.siem\\x221.emitted=4 out.siem\\x221.failed=0 "
	    "out.siem\\x221.queued=1 out.siem\\x221.spooled=2 out.siem\\x221.sent=3 "
	    "out.siem\\x221.retried=5 out.siem\\x221.dropped=6"));
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(stats_format_prometheus(&s, &sb), 0);
	assert_non_null(strstr(buf, "# TYPE exfild_output_alerts_total counter\n"
	    "exfild_output_alerts_total{output=\"alerts.json\",kind=\"file\"} 4\n"
	    "exfild_output_alerts_total{output=\"siem\\\"1\",kind=\"syslog\"} 4\n"));
	assert_non_null(strstr(buf, "# TYPE exfild_output_spooled gauge\n"
	    "exfild_output_spooled{output=\"siem\\\"1\",kind=\"syslog\"} 2\n"));
	assert_non_null(strstr(buf, "exfild_output_dropped_total{output=\"siem\\\"1\",kind=\"syslog\"} 6\n"));
	/* a file output has no queue */
	assert_null(strstr(buf, "exfild_output_queued{output=\"alerts.json\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_line_exact, setup),
		cmocka_unit_test_setup(test_line_empty, setup),
		cmocka_unit_test_setup(test_line_hostile_iface, setup),
		cmocka_unit_test_setup(test_prometheus_exact, setup),
		cmocka_unit_test_setup(test_prometheus_structure, setup),
		cmocka_unit_test_setup(test_prometheus_hostile_labels, setup),
		cmocka_unit_test_setup(test_overflow_every_size, setup),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_memory_rss_live),
		cmocka_unit_test(test_listen_ok),
		cmocka_unit_test(test_listen_errors),
		cmocka_unit_test(test_listen_long_and_cut),
		cmocka_unit_test_setup(test_http_refuses, setup),
		cmocka_unit_test_setup(test_http_port_in_use, setup),
		cmocka_unit_test_setup(test_http_round_trip, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
