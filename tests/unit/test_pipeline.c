/*
 * test_pipeline.c - the whole per-packet path on crafted frames: roles,
 * proxy destination binding (CONNECT, absolute URI), pending bytes credited
 * on binding, classification, familiarity from the learning period,
 * domestic destinations, retransmissions, exact alert fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rule_test.h"

#include "exfild/pipeline/pipeline.h"

#define SEC 1000000000ULL
#define T0 (1411000000ULL * SEC)
#define DLT_EN10MB 1

static char tmpdir[64];
static struct alert alerts[16];
static size_t nalerts;
static struct alert updates[4];  /* alert-updates, apart */
static size_t nupdates;

static void
on_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	if (a->kind == ALERT_KIND_UPDATE) {
		if (nupdates < 4)
			updates[nupdates] = *a;
		nupdates++;
		return;
	}
	if (nalerts < 16)
		alerts[nalerts] = *a;
	nalerts++;
}

/* Ethernet + IPv4 header (20 bytes, no options) at f[0..34): the addresses,
 * protocol, IP total length, identification and fragment field given. */
static void
ip4_frame_header(uint8_t *f, const char *src, const char *dst, uint8_t proto,
    size_t iplen, uint16_t id, uint16_t frag)
{
	struct netaddr s, d;

	netaddr_parse(src, &s);
	netaddr_parse(dst, &d);
	memset(f, 0, 34);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(iplen >> 8);
	f[17] = (uint8_t)iplen;
	f[18] = (uint8_t)(id >> 8);
	f[19] = (uint8_t)id;
	f[20] = (uint8_t)(frag >> 8);
	f[21] = (uint8_t)frag;
	f[22] = 64;
	f[23] = proto;
	memcpy(f + 26, s.a + 12, 4);
	memcpy(f + 30, d.a + 12, 4);
}

/* Ethernet + IPv4 + TCP (20-byte header) frame; returns its length. */
static size_t
tcp_frame(uint8_t *f, const char *src, const char *dst, uint16_t sport,
    uint16_t dport, uint32_t seq, uint8_t flags, const void *payload, size_t len)
{
	ip4_frame_header(f, src, dst, 6, 40 + len, 0, 0);
	memset(f + 34, 0, 20);
	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[38] = (uint8_t)(seq >> 24);
	f[39] = (uint8_t)(seq >> 16);
	f[40] = (uint8_t)(seq >> 8);
	f[41] = (uint8_t)seq;
	f[46] = 0x50;
	f[47] = flags;
	memcpy(f + 54, payload, len);
	return 54 + len;
}

struct conn {
	const char *client, *server;
	uint16_t cport, sport;
	uint32_t seq;
};

static void
send_out(struct pipeline *p, struct conn *c, uint64_t ts, const void *data, size_t len)
{
	static uint8_t frame[70000];
	size_t n = tcp_frame(frame, c->client, c->server, c->cport, c->sport, c->seq,
	    TCP_ACK | TCP_PSH, data, len);

	pipeline_frame(p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, ts);
	c->seq += (uint32_t)len;
}

static void
send_in(struct pipeline *p, struct conn *c, uint64_t ts, const void *data, size_t len)
{
	static uint8_t frame[70000];
	size_t n = tcp_frame(frame, c->server, c->client, c->sport, c->cport, 1,
	    TCP_ACK, data, len);

	pipeline_frame(p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, ts);
}

/* Pseudo-random bytes behind a magic number: archive-like content. */
static void
fill_archive(uint8_t *buf, size_t len, const char *magic, size_t mlen)
{
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	memcpy(buf, magic, mlen);
}

#define CONFIG_YAML \
    "sensor: unit\n" \
    "networks:\n" \
    "  internal: [10.0.0.0/8]\n" \
    "  proxies: [\"10.77.1.2:3128\"]\n" \
    "  resolvers: [10.1.1.53]\n" \
    "geo:\n" \
    "  home: [JP]\n" \
    "  databases: [%s/geo.csv]\n" \
    "baseline:\n" \
    "  learn: 1h\n" \
    "rules:\n" \
    "  window: 1h\n" \
    "  suppress: 1h\n" \
    "  bulk_upload: { bytes: 100KB, min_ratio: 3, severity: high }\n" \
    "  compressed_upload: { bytes: 20KB, severity: critical }\n" \
    "limits: { flows: 64, pairs: 64, destinations: 64, names: 64, app_parsers: 8 }\n"

struct fixture {
	struct config *cfg;
	struct pipeline *p;
};

static size_t half_open_cap = 128; /* limits.half_open_per_host of the next setup */

static int
setup(void **state)
{
	static struct fixture fx;
	char path[128], yaml[1024], err[512];
	FILE *fp;

	strcpy(tmpdir, "/tmp/exfild-pipeline-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/geo.csv", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("203.0.113.0/24,HK\n198.51.100.0/24,JP\n", fp);
	fclose(fp);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, tmpdir);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.cfg->limit_half_open_per_host = half_open_cap;
	fx.p = pipeline_new(fx.cfg, "pcap", on_alert, NULL, err, sizeof(err));
	assert_non_null(fx.p);
	nalerts = 0;
	nupdates = 0;
	memset(alerts, 0, sizeof(alerts)); /* an earlier test's are not this one's */
	*state = &fx;
	return 0;
}

/* The same with a host allowed 2 flows without payload. */
static int
setup_cap2(void **state)
{
	int rc;

	half_open_cap = 2;
	rc = setup(state);
	half_open_cap = 128;
	return rc;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char path[128];

	pipeline_free(fx->p);
	config_free(fx->cfg);
	snprintf(path, sizeof(path), "%s/geo.csv", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return 0;
}

/* A destination two hosts use during learning is familiar: no alert
 * later (baseline.min_hosts, 2 by default). */
static void
learn_destination(struct pipeline *p, const char *server, uint16_t cport)
{
	struct conn c = { "10.1.20.9", server, cport, 80, 1000 };
	struct conn c2 = { "10.1.20.8", server, cport, 80, 1000 };

	send_out(p, &c, T0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	send_out(p, &c2, T0 + 1, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
}

/*
 * Learning: only compressed-upload (and indicator-match) alert during it,
 * marked during_learning; a destination is learned when two hosts use it
 * (one that alerted does not count), so the server a host fed archives to
 * while learning alerts again after it, and a widely used one does not.
 */
static void
test_learning_needs_prevalence(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[30000];
	struct conn thief = { "10.1.20.40", "203.0.113.60", 50040, 443, 1 };
	struct conn peer = { "10.1.20.41", "203.0.113.60", 50041, 443, 1 };
	struct conn later = { "10.1.20.41", "203.0.113.60", 50042, 443, 1 };
	struct conn wide1 = { "10.1.20.42", "203.0.113.61", 50043, 443, 1 };
	struct conn wide2 = { "10.1.20.43", "203.0.113.61", 50044, 443, 1 };
	struct conn wide3 = { "10.1.20.42", "203.0.113.61", 50045, 443, 1 };
	struct conn bulk = { "10.1.20.44", "203.0.113.62", 50046, 443, 1 };
	static uint8_t text[200000];
	struct pipeline_stats st;
	char src[NETADDR_STRLEN];
	size_t i;

	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	memset(text, 'a', sizeof(text));
	send_out(fx->p, &peer, T0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &thief, T0 + 10 * SEC + i, rar + i * 1000, 1000);
	send_out(fx->p, &wide1, T0 + 20 * SEC, "GET / HTTP/1.1\r\n\r\n", 18);
	send_out(fx->p, &wide2, T0 + 21 * SEC, "GET / HTTP/1.1\r\n\r\n", 18);
	/* a loud plain upload while learning: bulk-upload does not alert */
	for (i = 0; i < 150; i++)
		send_out(fx->p, &bulk, T0 + 30 * SEC + i, text + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_true(alerts[0].during_learning);
	pipeline_get_stats(fx->p, &st);
	assert_true(st.dests.learning);
	assert_int_equal(st.dests.familiar, 0);
	/* after learning (1 h): the fed server alerts for the other host */
	for (i = 0; i < 25; i++) {
		send_out(fx->p, &later, T0 + 2 * 3600 * SEC + i, rar + i * 1000,
		    1000);
		send_out(fx->p, &wide3, T0 + 2 * 3600 * SEC + i, rar + i * 1000,
		    1000);
	}
	assert_int_equal(nalerts, 2);
	assert_string_equal(alerts[1].rule, "compressed-upload");
	netaddr_format(&alerts[1].src, src, sizeof(src));
	assert_string_equal(src, "10.1.20.41");
	/* the first alert's suppression (1 h) ended before: its update came,
	 * with the thief's totals (25 kB and its flow), at the first packet
	 * after it; none for the second yet, until the end of the input */
	assert_int_equal(nupdates, 1);
	assert_string_equal(updates[0].id, alerts[0].id);
	assert_string_equal(updates[0].update_reason, "suppress_end");
	assert_int_equal(updates[0].ts_ns, T0 + 2 * 3600 * SEC);
	assert_true(updates[0].bytes_out >= 25000);
	assert_true(updates[0].bytes_out >= alerts[0].bytes_out);
	assert_int_equal(updates[0].flows, 1);
	pipeline_close_alerts(fx->p);
	assert_int_equal(nupdates, 2);
	assert_string_equal(updates[1].id, alerts[1].id);
	assert_string_equal(updates[1].update_reason, "end_of_input");
	pipeline_close_alerts(fx->p);
	assert_int_equal(nupdates, 2);
	assert_false(alerts[1].during_learning);
	pipeline_get_stats(fx->p, &st);
	assert_false(st.dests.learning);
	assert_int_equal(st.dests.learned, 1);
}

static void
test_direct_zip_upload_alerts_once(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[30000];
	struct conn c = { "10.1.20.24", "203.0.113.99", 50000, 8443, 1 };
	struct pipeline_stats st;
	char dst[NETADDR_STRLEN], src[NETADDR_STRLEN];
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40000); /* starts learning at T0 */
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 30; i++)
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + i * SEC, zip + i * 1000, 1000);
	/* 20 segments of 1000 payload bytes reach 20 KB of zip */
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_int_equal(alerts[0].severity, SEV_CRITICAL);
	assert_int_equal(alerts[0].ts_ns, T0 + 2 * 3600 * SEC + 19 * SEC);
	assert_int_equal(alerts[0].bytes_out, 20 * 1040);
	assert_int_equal(alerts[0].bytes_in, 0);
	assert_int_equal(alerts[0].payload[PK_ZIP], 20000);
	assert_int_equal(alerts[0].flows, 1);
	assert_int_equal(alerts[0].dst_port, 8443);
	assert_false(alerts[0].via_proxy);
	assert_int_equal(alerts[0].dst_country, ('H' << 8) | 'K');
	assert_string_equal(alerts[0].dst_host, "");
	netaddr_format(&alerts[0].dst, dst, sizeof(dst));
	netaddr_format(&alerts[0].src, src, sizeof(src));
	assert_string_equal(dst, "203.0.113.99");
	assert_string_equal(src, "10.1.20.24");
	assert_int_equal(alerts[0].first_seen_ns, T0 + 2 * 3600 * SEC);
	assert_string_equal(alerts[0].sensor, "unit");
	assert_string_equal(alerts[0].source, "pcap");
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.alerts, 1);
	assert_int_equal(st.alerts_by_rule[1], 1);
}

static void
test_familiar_and_domestic_stay_quiet(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[30000];
	struct conn fam = { "10.1.20.30", "203.0.113.50", 50001, 443, 1 };
	struct conn fam2 = { "10.1.20.33", "203.0.113.50", 50003, 443, 1 };
	struct conn jp = { "10.1.20.31", "198.51.100.20", 50002, 80, 1 };
	size_t i;

	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	/* 203.0.113.50 is used by two hosts during learning */
	send_out(fx->p, &fam, T0, rar, 100);
	send_out(fx->p, &fam2, T0 + 1, rar, 100);
	for (i = 0; i < 30; i++) {
		send_out(fx->p, &fam, T0 + 2 * 3600 * SEC + i, rar + i * 1000, 1000);
		send_out(fx->p, &jp, T0 + 2 * 3600 * SEC + i, rar + i * 1000, 1000);
	}
	assert_int_equal(nalerts, 0);
}

static void
test_connect_tunnel_binds_name_and_credits_pending(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char connect[] =
	    "CONNECT hk-files.example.net:443 HTTP/1.1\r\nHost: hk-files.example.net:443\r\n\r\n";
	struct conn c = { "10.1.20.22", "10.77.1.2", 50010, 3128, 1 };
	struct netaddr none;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40001);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &c, T0 + 3 * 3600 * SEC, connect, sizeof(connect) - 1);
	send_in(fx->p, &c, T0 + 3 * 3600 * SEC + 1,
	    "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, T0 + 3 * 3600 * SEC + 2 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_true(alerts[0].via_proxy);
	assert_int_equal(alerts[0].dst_port, 443);
	/* name unresolved: no address, country unknown, treated as foreign */
	memset(&none, 0, sizeof(none));
	assert_int_equal(alerts[0].dst.family, 0);
	assert_int_equal(alerts[0].dst_country, COUNTRY_UNKNOWN);
	/* CONNECT segment + 200 reply + 20 tunnel segments, IP bytes */
	assert_int_equal(alerts[0].bytes_out, (40 + sizeof(connect) - 1) + 20 * 1040);
	assert_int_equal(alerts[0].bytes_in, 40 + 39);
	assert_int_equal(alerts[0].payload[PK_TEXT], sizeof(connect) - 1);
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

/* Behind a proxy that demands NTLM authentication, the first CONNECT is
 * answered 407 and asked again on the same connection: the RAR that then
 * goes through the tunnel is still seen as RAR. */
static void
test_connect_after_proxy_auth_407(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char connect1[] =
	    "CONNECT hk-files.example.net:443 HTTP/1.1\r\nHost: hk-files.example.net:443\r\n\r\n";
	static const char deny[] =
	    "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n";
	static const char connect2[] =
	    "CONNECT hk-files.example.net:443 HTTP/1.1\r\nHost: hk-files.example.net:443\r\n"
	    "Proxy-Authorization: NTLM TlRMTVNTUAADAAAAGAAYAEgAAAA=\r\n\r\n";
	struct conn c = { "10.1.20.26", "10.77.1.2", 50030, 3128, 1 };
	uint64_t t = T0 + 3 * 3600 * SEC;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40003);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &c, t, connect1, sizeof(connect1) - 1);
	send_in(fx->p, &c, t + 1, deny, sizeof(deny) - 1);
	send_out(fx->p, &c, t + 2, connect2, sizeof(connect2) - 1);
	send_in(fx->p, &c, t + 3, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, t + 4 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
	assert_int_equal(alerts[0].payload[PK_TEXT],
	    sizeof(connect1) - 1 + sizeof(connect2) - 1);
	assert_int_equal(alerts[0].flows, 1);
	assert_int_equal(alerts[0].ts_ns, t + 4 + 19);
}


/* Review finding: an upload and a request to a familiar host in the same
 * segments: the upload is credited to its own destination. */
static void
test_segment_split_between_requests(void **state)
{
	struct fixture *fx = *state;
	static uint8_t seg[4096], zip[3000];
	static const char post[] = "POST http://evil.example/u HTTP/1.1\r\n"
	    "Host: evil.example\r\nContent-Length: 3000\r\n\r\n";
	static const char get[] = "GET http://good.example/ HTTP/1.1\r\n"
	    "Host: good.example\r\n\r\n";
	struct conn learn = { "10.1.20.80", "10.77.1.2", 50040, 3128, 1 };
	struct conn c = { "10.1.20.81", "10.77.1.2", 50041, 3128, 1 };
	size_t i, n;

	send_out(fx->p, &learn, T0, get, sizeof(get) - 1); /* good is familiar */
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	n = 0;
	memcpy(seg + n, post, sizeof(post) - 1);
	n += sizeof(post) - 1;
	memcpy(seg + n, zip, sizeof(zip));
	n += sizeof(zip);
	memcpy(seg + n, get, sizeof(get) - 1);
	n += sizeof(get) - 1;
	for (i = 0; i < 10; i++)
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + i, seg, n);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "evil.example");
	assert_int_equal(alerts[0].payload[PK_ZIP], 21000);
}

/* Review finding: the same 5-tuple reused after FIN is a new connection. */
static void
test_syn_after_close_is_new_connection(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[128];
	static uint8_t zip[25000];
	static const char get[] = "GET http://good.example/ HTTP/1.1\r\n"
	    "Host: good.example\r\n\r\n";
	static const char connect[] = "CONNECT evil.example:443 HTTP/1.1\r\n\r\n";
	struct conn learn = { "10.1.20.9", "10.77.1.2", 40010, 3128, 1 };
	struct conn c = { "10.1.20.82", "10.77.1.2", 50042, 3128, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i, n;

	send_out(fx->p, &learn, T0, get, sizeof(get) - 1); /* good is familiar */
	send_out(fx->p, &c, t, get, sizeof(get) - 1);
	n = tcp_frame(frame, "10.1.20.82", "10.77.1.2", 50042, 3128, c.seq,
	    TCP_FIN | TCP_ACK, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 1);
	/* within closed_timeout, the same ports again with an ISN behind */
	c.seq = 0xffff0001u;
	n = tcp_frame(frame, "10.1.20.82", "10.77.1.2", 50042, 3128, c.seq, TCP_SYN, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 2);
	c.seq++;
	send_out(fx->p, &c, t + 3, connect, sizeof(connect) - 1);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, t + 4 + i, zip + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "evil.example");
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.created, 3);
}

/* Review finding: a flood of new pairs evicting a running upload's pair
 * does not hide it: the flow gets its pair again. */
static void
test_pair_eviction_does_not_hide_upload(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[25000], frame[128];
	struct conn c = { "10.1.20.83", "203.0.113.90", 50043, 8443, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	char dst[NETADDR_STRLEN], client[32];
	unsigned i;
	size_t n;

	learn_destination(fx->p, "198.51.100.10", 40004);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	send_out(fx->p, &c, t, zip, 1000);
	/* 70 short connections from 70 hosts: 70 new pairs > limits.pairs
	 * (64); closed at once, so the flow table drops them first */
	for (i = 0; i < 70; i++) {
		snprintf(client, sizeof(client), "10.1.30.%u", i);
		n = tcp_frame(frame, client, "203.0.113.4", 2000, 80, 1,
		    TCP_ACK | TCP_FIN, "x", 1);
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 1);
	}
	for (i = 1; i < 25; i++)
		send_out(fx->p, &c, t + 2 + i, zip + i * 1000, 1000);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.pairs_rebound, 1);
	assert_int_equal(nalerts, 1);
	netaddr_format(&alerts[0].dst, dst, sizeof(dst));
	assert_string_equal(dst, "203.0.113.90");
	/* the window started again at the rebinding: 20 KB of it after that */
	assert_int_equal(alerts[0].ts_ns, t + 2 + 20);
}

/* Review findings: on an egress tap only an internal X-Forwarded-For
 * address names the client; a CONNECT to an address literal is an address
 * destination. */
static void
test_xff_must_be_internal_and_connect_literal(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char post[] = "POST /u HTTP/1.1\r\nHost: evil.example\r\n"
	    "X-Forwarded-For: 10.9.9.9, 8.8.8.8\r\nContent-Length: 25000\r\n\r\n";
	static const char connect[] = "CONNECT 203.0.113.77:443 HTTP/1.1\r\n\r\n";
	struct conn eg = { "10.77.1.2", "203.0.113.66", 50050, 80, 1 };
	struct conn lit = { "10.1.20.85", "10.77.1.2", 50051, 3128, 1 };
	struct pipeline_stats st;
	char src[NETADDR_STRLEN], dst[NETADDR_STRLEN];
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40005);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x00", 7);
	send_out(fx->p, &eg, t, post, sizeof(post) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &eg, t + 1 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	netaddr_format(&alerts[0].src, src, sizeof(src));
	assert_string_equal(src, "10.77.1.2"); /* 8.8.8.8 is not ours */
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.xff_not_internal, 1);
	send_out(fx->p, &lit, t, connect, sizeof(connect) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &lit, t + 1 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 2);
	assert_string_equal(alerts[1].dst_host, "");
	netaddr_format(&alerts[1].dst, dst, sizeof(dst));
	assert_string_equal(dst, "203.0.113.77");
	assert_int_equal(alerts[1].dst_country, ('H' << 8) | 'K');
}

/* Ethernet + IPv4 + UDP frame from port 53 carrying a DNS answer
 * "evil.example A <a>". */
static size_t
dns_answer_frame_for(uint8_t *f, const char *src, const char *dst,
    const uint8_t a[4])
{
	uint8_t msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		4, 'e', 'v', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 1, 0, 1,
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 0, 0, 0, 0,
	};
	memcpy(msg + sizeof(msg) - 4, a, 4);
	ip4_frame_header(f, src, dst, 17, 28 + sizeof(msg), 0, 0);
	memset(f + 34, 0, 8);
	f[34] = 0;
	f[35] = 53;
	f[36] = 0x13;
	f[37] = 0x88;
	f[38] = (uint8_t)((8 + sizeof(msg)) >> 8);
	f[39] = (uint8_t)(8 + sizeof(msg));
	memcpy(f + 42, msg, sizeof(msg));
	return 42 + sizeof(msg);
}

/* ... "evil.example A 198.51.100.10" (198.51.100.0/24 is JP in the test
 * geo). */
static size_t
dns_answer_frame(uint8_t *f, const char *src, const char *dst)
{
	static const uint8_t jp[4] = { 198, 51, 100, 10 };

	return dns_answer_frame_for(f, src, dst, jp);
}

/* A TLS record holding a ClientHello with server name sni; its length. */
static size_t
client_hello(uint8_t *b, const char *sni)
{
	size_t n = strlen(sni), ext = 9 + n, hs = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	size_t o = 0;

	b[o++] = 22, b[o++] = 3, b[o++] = 1;
	b[o++] = (uint8_t)((hs + 4) >> 8), b[o++] = (uint8_t)(hs + 4);
	b[o++] = 1, b[o++] = 0, b[o++] = (uint8_t)(hs >> 8), b[o++] = (uint8_t)hs;
	b[o++] = 3, b[o++] = 3;
	memset(b + o, 0x42, 32), o += 32;
	b[o++] = 0;                                   /* session id */
	b[o++] = 0, b[o++] = 2, b[o++] = 0x13, b[o++] = 0x01; /* one suite */
	b[o++] = 1, b[o++] = 0;                       /* null compression */
	b[o++] = (uint8_t)(ext >> 8), b[o++] = (uint8_t)ext;
	b[o++] = 0, b[o++] = 0;                       /* server_name */
	b[o++] = (uint8_t)((n + 5) >> 8), b[o++] = (uint8_t)(n + 5);
	b[o++] = (uint8_t)((n + 3) >> 8), b[o++] = (uint8_t)(n + 3);
	b[o++] = 0, b[o++] = (uint8_t)(n >> 8), b[o++] = (uint8_t)n;
	memcpy(b + o, sni, n);
	return o + n;
}

/* Direct flows carry the name their host reached the address by: its DNS
 * answer, its HTTP Host, its TLS SNI; each host its own, the pair still
 * keyed by the address. */
static void
test_direct_flows_named(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[512], zip[25000], hello[512];
	static const uint8_t hk[4] = { 203, 0, 113, 81 };
	static const char post[] = "POST /u HTTP/1.1\r\nHost: B-Files.Example.org\r\n"
	    "Content-Length: 25000\r\n\r\n";
	struct conn a = { "10.1.20.60", "203.0.113.81", 50070, 8443, 1 };
	struct conn b = { "10.1.20.61", "203.0.113.81", 50071, 80, 1 };
	struct conn c = { "10.1.20.62", "203.0.113.81", 50072, 443, 1 };
	struct conn d = { "10.1.20.63", "203.0.113.81", 50073, 8443, 1 };
	uint64_t t = T0 + 2 * 3600 * SEC;
	char dst[NETADDR_STRLEN];
	size_t i, n;

	learn_destination(fx->p, "198.51.100.11", 40008);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	n = dns_answer_frame_for(frame, "10.1.1.53", "10.1.20.60", hk);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t);
	send_out(fx->p, &b, t + 1, post, sizeof(post) - 1);
	n = client_hello(hello, "c.tls.example");
	send_out(fx->p, &c, t + 1, hello, n);
	for (i = 0; i < 25; i++) {
		send_out(fx->p, &a, t + 2 + i, zip + i * 1000, 1000);
		send_out(fx->p, &b, t + 2 + i, zip + i * 1000, 1000);
		send_out(fx->p, &d, t + 2 + i, zip + i * 1000, 1000);
	}
	/* c's bytes are TLS: 110 KB of them make a bulk upload */
	for (i = 0; i < 110; i++)
		send_out(fx->p, &c, t + 30 + i, zip, 1000);
	assert_int_equal(nalerts, 4);
	assert_string_equal(alerts[0].dst_host, "evil.example");
	assert_string_equal(alerts[1].dst_host, "b-files.example.org");
	assert_string_equal(alerts[2].dst_host, "");   /* d: no name of its own */
	assert_string_equal(alerts[3].rule, "bulk-upload");
	assert_string_equal(alerts[3].dst_host, "c.tls.example");
	for (i = 0; i < 4; i++) {
		netaddr_format(&alerts[i].dst, dst, sizeof(dst));
		assert_string_equal(dst, "203.0.113.81");
	}
}

/*
 * Familiar by the name a host resolved: two hosts reach evil.example at
 * 203.0.113.90 while learning (DNS answers from the resolver); after it,
 * a third host's upload to the name's new address 203.0.113.91 is quiet,
 * while an upload to another new address that only an SNI names alerts
 * (an SNI is what the client wrote, never a reason to trust it).
 */
static void
test_familiar_by_resolved_name(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[512], zip[25000], hello[512];
	static const uint8_t old_a[4] = { 203, 0, 113, 90 };
	static const uint8_t new_a[4] = { 203, 0, 113, 91 };
	struct conn l1 = { "10.1.20.64", "203.0.113.90", 50080, 443, 1 };
	struct conn l2 = { "10.1.20.65", "203.0.113.90", 50081, 443, 1 };
	struct conn up = { "10.1.20.66", "203.0.113.91", 50082, 443, 1 };
	struct conn sni = { "10.1.20.67", "203.0.113.92", 50083, 443, 1 };
	uint64_t t = T0 + 2 * 3600 * SEC;
	char dst[NETADDR_STRLEN];
	size_t i, n;

	n = dns_answer_frame_for(frame, "10.1.1.53", "10.1.20.64", old_a);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, T0);
	n = dns_answer_frame_for(frame, "10.1.1.53", "10.1.20.65", old_a);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, T0);
	send_out(fx->p, &l1, T0 + 1, "hello", 5);
	send_out(fx->p, &l2, T0 + 2, "hello", 5);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	n = dns_answer_frame_for(frame, "10.1.1.53", "10.1.20.66", new_a);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t);
	n = client_hello(hello, "evil.example");
	send_out(fx->p, &sni, t + 1, hello, n);
	send_out(fx->p, &up, t + 1, hello, n);
	/* TLS bytes: 110 KB of them make a bulk upload */
	for (i = 0; i < 110; i++) {
		send_out(fx->p, &up, t + 2 + i, zip, 1000);
		send_out(fx->p, &sni, t + 2 + i, zip, 1000);
	}
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "bulk-upload");
	assert_string_equal(alerts[0].dst_host, "evil.example");
	netaddr_format(&alerts[0].dst, dst, sizeof(dst));
	assert_string_equal(dst, "203.0.113.92");
	assert_false(alerts[0].during_learning);
}

/* Review finding: a PC forging a DNS answer that places its destination at
 * home is not believed when networks.resolvers is set; the resolver is. */
static void
test_dns_answers_only_from_resolvers(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[256], rar[25000];
	static const char connect[] = "CONNECT evil.example:443 HTTP/1.1\r\n\r\n";
	struct conn c = { "10.1.20.90", "10.77.1.2", 50060, 3128, 1 };
	struct conn c2 = { "10.1.20.91", "10.77.1.2", 50061, 3128, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i, n;

	learn_destination(fx->p, "198.51.100.11", 40006);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x00", 7);
	n = dns_answer_frame(frame, "10.1.20.90", "10.1.20.92"); /* forged */
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t);
	send_out(fx->p, &c, t + 1, connect, sizeof(connect) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, t + 2 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].dst_country, COUNTRY_UNKNOWN);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.dns_untrusted, 1);
	assert_int_equal(st.conn.dns_answers, 0);
	/* the same answer from the resolver is believed: JP, no alert */
	n = dns_answer_frame(frame, "10.1.1.53", "10.1.20.91");
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 100);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.dns_answers, 1);
	send_out(fx->p, &c2, t + 101, connect, sizeof(connect) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c2, t + 102 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 1); /* evil.example is in JP now */
}

/* IPv4 fragment of a UDP datagram: offset in bytes (multiple of 8); the
 * first fragment starts with the 8-byte UDP header of a datagram of
 * dgram_len bytes. */
static size_t
udp_fragment(uint8_t *f, uint16_t id, size_t offset, bool more,
    const uint8_t *data, size_t len, size_t dgram_len)
{
	size_t hdr = offset == 0 ? 8 : 0;
	uint16_t frag = (uint16_t)((more ? 0x2000 : 0) | (offset / 8));

	ip4_frame_header(f, "10.1.20.95", "203.0.113.55", 17, 20 + hdr + len, id,
	    frag);
	memset(f + 34, 0, 8);
	if (hdr) {
		f[34] = 0xc3;
		f[35] = 0x50; /* 50000 */
		f[36] = 0x11;
		f[37] = 0x5c; /* 4444 */
		f[38] = (uint8_t)((8 + dgram_len) >> 8);
		f[39] = (uint8_t)(8 + dgram_len);
	}
	memcpy(f + 34 + hdr, data, len);
	return 34 + hdr + len;
}

/* Review finding: an upload sent as fragmented UDP datagrams is counted
 * whole: later fragments go to the flow of their first fragment. */
static void
test_fragmented_udp_upload_counted(void **state)
{
	struct fixture *fx = *state;
	static uint8_t data[3000], frame[2048];
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	uint16_t id;
	size_t n;

	learn_destination(fx->p, "198.51.100.10", 40007);
	fill_archive(data, sizeof(data), "\x9f\x3a", 2); /* high entropy */
	for (id = 1; id <= 10; id++) {
		n = udp_fragment(frame, id, 0, true, data, 1472, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
		n = udp_fragment(frame, id, 1480, true, data + 1472, 1480, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
		n = udp_fragment(frame, id, 2960, false, data + 2952, 48, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.fragments_counted, 20);
	assert_int_equal(st.conn.fragments_unmatched, 0);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	/* crossed in datagram 7: 6 x 3000 + 1472 + 1480 >= 20 KB */
	assert_int_equal(alerts[0].ts_ns, t + 7);
	assert_int_equal(alerts[0].payload[PK_HIGH_ENTROPY], 6 * 3000 + 1472 + 1480);
	/* a later fragment whose first one was never seen: credited to the
	 * (host, address) pair, the same pair as the direct flow's */
	n = udp_fragment(frame, 99, 1480, false, data, 100, sizeof(data));
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 20);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.fragments_by_address, 1);
	assert_int_equal(st.conn.fragments_unmatched, 0);
}

/* Review finding: later fragments sent before their first fragment (the
 * sender chooses the order) are still counted, by address. */
static void
test_fragments_before_first_still_counted(void **state)
{
	struct fixture *fx = *state;
	static uint8_t data[3000], frame[2048];
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	uint16_t id;
	size_t n;

	learn_destination(fx->p, "198.51.100.10", 40008);
	fill_archive(data, sizeof(data), "\x9f\x3a", 2);
	for (id = 1; id <= 60; id++) {
		n = udp_fragment(frame, id, 2960, false, data + 2952, 48, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
		n = udp_fragment(frame, id, 1480, true, data + 1472, 1480, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
		n = udp_fragment(frame, id, 0, true, data, 1472, sizeof(data));
		pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + id);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.fragments_by_address, 120);
	/* the first fragments' high-entropy payload, then the whole volume */
	assert_int_equal(nalerts, 2);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[1].rule, "bulk-upload");
	assert_true(alerts[1].bytes_out >= 100000);
}

/* Second review: after the proxy's 200, a request-looking start of the
 * tunnel is tunnel data: it cannot move the upload to a familiar host. */
static void
test_tunnel_after_200_stays_tunnel(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[1200];
	static const char connect[] = "CONNECT evil.example:443 HTTP/1.1\r\n\r\n";
	static const char fake[] = "POST / HTTP/1.1\r\nHost: good.example\r\n"
	    "Content-Length: 130000\r\n\r\n";
	static const char get[] = "GET http://good.example/ HTTP/1.1\r\n"
	    "Host: good.example\r\n\r\n";
	struct conn learn = { "10.1.20.9", "10.77.1.2", 40011, 3128, 1 };
	struct conn c = { "10.1.20.96", "10.77.1.2", 50070, 3128, 1 };
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i;

	send_out(fx->p, &learn, T0, get, sizeof(get) - 1); /* good is familiar */
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	send_out(fx->p, &c, t, connect, sizeof(connect) - 1);
	send_in(fx->p, &c, t + 1, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	send_out(fx->p, &c, t + 2, fake, sizeof(fake) - 1);
	for (i = 0; i < 100; i++)
		send_out(fx->p, &c, t + 3 + i, zip, sizeof(zip));
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "bulk-upload");
	assert_string_equal(alerts[0].dst_host, "evil.example");
}

/* Second review: a client RST far from the expected sequence number (one
 * the proxy would ignore) does not end the flow's parsing or binding. */
static void
test_forged_rst_ignored(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000], frame[128];
	static const char connect[] = "CONNECT evil.example:443 HTTP/1.1\r\n\r\n";
	struct conn c = { "10.1.20.97", "10.77.1.2", 50071, 3128, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i, n;

	learn_destination(fx->p, "198.51.100.10", 40009);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x00", 7);
	send_out(fx->p, &c, t, connect, sizeof(connect) - 1);
	send_in(fx->p, &c, t + 1, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	send_out(fx->p, &c, t + 2, rar, 1000);
	n = tcp_frame(frame, "10.1.20.97", "10.77.1.2", 50071, 3128,
	    c.seq + 0x40000000u, TCP_RST, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, t + 3);
	for (i = 1; i < 25; i++)
		send_out(fx->p, &c, t + 3 + i, rar + i * 1000, 1000);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.tcp_close_ignored, 1);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "evil.example");
}

/* Second review: data smuggled in the headers of a request to one host,
 * followed in the same segment by a request to a familiar host, stays with
 * the first host. */
static void
test_header_bytes_stay_with_their_request(void **state)
{
	struct fixture *fx = *state;
	static uint8_t seg[2048];
	static const char get[] = "GET http://good.example/ HTTP/1.1\r\n"
	    "Host: good.example\r\n\r\n";
	struct conn learn = { "10.1.20.9", "10.77.1.2", 40012, 3128, 1 };
	struct conn c = { "10.1.20.98", "10.77.1.2", 50072, 3128, 1 };
	uint64_t t = T0 + 2 * 3600 * SEC;
	size_t i, n = 0;

	send_out(fx->p, &learn, T0, get, sizeof(get) - 1); /* good is familiar */
	n += (size_t)snprintf((char *)seg, sizeof(seg),
	    "GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\nX-D: ");
	memset(seg + n, 'A', 1300);
	n += 1300;
	memcpy(seg + n, "\r\n\r\n", 4);
	n += 4;
	memcpy(seg + n, get, sizeof(get) - 1);
	n += sizeof(get) - 1;
	for (i = 0; i < 150; i++)
		send_out(fx->p, &c, t + i, seg, n);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "bulk-upload");
	assert_string_equal(alerts[0].dst_host, "evil.example");
}

static void
test_retransmission_counts_bytes_not_kind(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[5000];
	struct conn c = { "10.1.20.40", "203.0.113.7", 50020, 9000, 1 };
	struct pipeline_stats st;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40002);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x00", 7);
	send_out(fx->p, &c, T0 + 2 * 3600 * SEC, rar, 1000);
	for (i = 0; i < 3; i++) { /* the same segment again */
		c.seq = 1;
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + 1 + i, rar, 1000);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.created, 3); /* and the two learning GETs */
	assert_int_equal(nalerts, 0);
	/* 4 x 1040 IP bytes, but only 1000 RAR bytes: check via a threshold
	 * crossing: 19 more fresh KB make 20 KB of RAR exactly */
	for (i = 0; i < 19; i++) {
		c.seq = 1001 + (uint32_t)i * 200;
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + 10 + i, rar, 200);
	}
	assert_int_equal(nalerts, 0); /* 1000 + 3800 = 4800 < 20000 */
}

static void
test_internal_and_transit_not_tracked(void **state)
{
	struct fixture *fx = *state;
	struct conn lan = { "10.1.20.1", "10.1.30.1", 1, 445, 1 };
	struct conn transit = { "8.8.8.8", "1.1.1.1", 1, 53, 1 };
	struct pipeline_stats st;

	send_out(fx->p, &lan, T0, "x", 1);
	send_out(fx->p, &transit, T0, "x", 1);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.not_tracked, 2);
	assert_int_equal(st.flows.created, 0);
	assert_int_equal(st.frames, 2);
}

/* Bare ACK/FIN/RST packets of an unknown connection start no flow; a SYN
 * or payload does. */
static void
test_bare_teardown_starts_no_flow(void **state)
{
	struct fixture *fx = *state;
	static uint8_t frame[128];
	struct pipeline_stats st;
	size_t n;

	n = tcp_frame(frame, "10.1.20.70", "203.0.113.9", 40000, 443, 1, TCP_ACK, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, T0);
	n = tcp_frame(frame, "10.1.20.70", "203.0.113.9", 40000, 443, 1,
	    TCP_ACK | TCP_FIN, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, T0);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.created, 0);
	assert_int_equal(st.conn.flowless_tcp, 2);
	n = tcp_frame(frame, "10.1.20.70", "203.0.113.9", 40001, 443, 1, TCP_SYN, "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, T0);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.created, 1);
}

static void
test_flow_table_stays_bounded(void **state)
{
	struct fixture *fx = *state;
	struct pipeline_stats st;
	struct conn c = { "10.1.20.50", "203.0.113.8", 0, 80, 1 };
	unsigned i;

	for (i = 0; i < 1000; i++) {
		c.cport = (uint16_t)(20000 + i);
		send_out(fx->p, &c, T0 + i, "abc", 3);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.created, 1000);
	assert_int_equal(st.flows.active, 64);
	assert_int_equal(st.flows.evicted, 936);
}


/* Keep-alive connections whose requests are complete and answered hold no
 * parser slot: more of them than limits.app_parsers (8) leave the upload
 * that follows parsed, named and alerted on. */
static void
test_answered_requests_hold_no_parser_slot(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char get[] =
	    "GET http://www.example.jp/ HTTP/1.1\r\nHost: www.example.jp\r\n\r\n";
	static const char post[] =
	    "POST http://hk-files.example.net/u HTTP/1.1\r\n"
	    "Host: hk-files.example.net\r\nContent-Length: 25000\r\n\r\n";
	struct conn c = { "10.1.20.40", "10.77.1.2", 0, 3128, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_destination(fx->p, "198.51.100.10", 40005);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	for (i = 0; i < 20; i++) {
		c.cport = (uint16_t)(30000 + i);
		c.seq = 1;
		send_out(fx->p, &c, t + i, get, sizeof(get) - 1);
		send_in(fx->p, &c, t + i, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38);
	}
	c.cport = 31000;
	c.seq = 1;
	send_out(fx->p, &c, t + 100, post, sizeof(post) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, t + 101 + i, rar + i * 1000, 1000);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.parser_slots_reclaimed, 0);
	assert_int_equal(st.conn.parser_slots_exhausted, 0);
	assert_int_equal(st.conn.http.requests, 23); /* and the learning GETs */
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

/* When every slot is reading a head, the least recently used is taken
 * (counted); its flow, whose destination was never named, sends its bytes
 * to the host's "unidentified via proxy" destination, which alerts. */
static void
test_parser_slot_reclaimed_bytes_go_unidentified(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char part[] = "POST http://hk-files.example.net/u HTTP/1.1\r\nHo";
	struct conn c[9], up = { "10.1.20.41", "10.77.1.2", 32000, 3128, 1 };
	struct pipeline_stats st;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_destination(fx->p, "198.51.100.10", 40006);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &up, t, part, sizeof(part) - 1);   /* oldest slot */
	for (i = 0; i < 8; i++) {
		c[i] = (struct conn){ "10.1.20.42", "10.77.1.2",
		    (uint16_t)(33000 + i), 3128, 1 };
		send_out(fx->p, &c[i], t + 1 + i, part, sizeof(part) - 1);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.parser_slots_reclaimed, 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &up, t + 20 + i, rar + i * 1000, 1000);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.conn.proxy_unidentified, 1);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "(unidentified via proxy)");
	assert_int_equal(alerts[0].dst_country, COUNTRY_UNKNOWN);
	assert_true(alerts[0].via_proxy);
	/* every byte the host sent on it: the head's part and the archive */
	assert_int_equal(alerts[0].bytes_out, 40 + sizeof(part) - 1 + 20 * 1040);
}

/* A proxied flow first seen mid-body (evicted and forgotten, or the capture
 * started late) names no destination: its bytes are not left waiting. */
static void
test_proxy_flow_resumed_mid_body_goes_unidentified(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	struct conn up = { "10.1.20.43", "10.77.1.2", 34000, 3128, 1 };
	unsigned i;

	learn_destination(fx->p, "198.51.100.10", 40007);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &up, T0 + 2 * 3600 * SEC + i, rar + 500 + i * 900, 900);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "(unidentified via proxy)");
	assert_int_equal(alerts[0].bytes_out, 23 * 940);
	assert_int_equal(alerts[0].payload[PK_HIGH_ENTROPY], 23 * 900);
}

static void
send_flags(struct pipeline *p, struct conn *c, uint64_t ts, uint8_t flags,
    const void *data, size_t len, uint32_t caplen_cut)
{
	static uint8_t frame[70000];
	size_t n = tcp_frame(frame, c->client, c->server, c->cport, c->sport, c->seq,
	    flags, data, len);

	pipeline_frame(p, DLT_EN10MB, frame, caplen_cut ? caplen_cut : (uint32_t)n,
	    (uint32_t)n, ts);
	c->seq += (uint32_t)len + ((flags & TCP_SYN) ? 1 : 0);
}

static void
send_in_seq(struct pipeline *p, struct conn *c, uint64_t ts, uint32_t seq, const void *data, size_t len)
{
	static uint8_t frame[70000];
	size_t n = tcp_frame(frame, c->server, c->client, c->sport, c->cport, seq,
	    TCP_ACK, data, len);

	pipeline_frame(p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n, ts);
}

static const char learn_get[] =
    "GET http://www.example.jp/ HTTP/1.1\r\nHost: www.example.jp\r\n\r\n";

static void
learn_named(struct pipeline *p)
{
	struct conn l = { "10.1.20.9", "10.77.1.2", 41000, 3128, 1 };

	learn_destination(p, "198.51.100.10", 40009);
	send_out(p, &l, T0 + 1, learn_get, sizeof(learn_get) - 1);
}

/* a keep-alive flow bound to a familiar destination loses its parser
 * slot mid-head; the next request (to an unfamiliar host) and its body are
 * credited to the familiar one. flood=false is the control. */
static void
run_midhead(void **state, bool flood)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char part1[] = "POST http://hk-files.example.net/u HTTP/1.1\r\n";
	static const char part2[] = "Host: hk-files.example.net\r\nContent-Length: 25000\r\n\r\n";
	static const char other[] = "GET http://a.example.org/ HTTP/1.1\r\nHo";
	struct conn f = { "10.1.20.61", "10.77.1.2", 42000, 3128, 1 }, o;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_named(fx->p);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &f, t, learn_get, sizeof(learn_get) - 1);
	send_in(fx->p, &f, t + 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38);
	send_out(fx->p, &f, t + 2, part1, sizeof(part1) - 1);
	if (flood)
		for (i = 0; i < 8; i++) {
			o = (struct conn){ "10.1.20.62", "10.77.1.2",
			    (uint16_t)(44000 + i), 3128, 1 };
			send_out(fx->p, &o, t + 3 + i, other, sizeof(other) - 1);
		}
	send_out(fx->p, &f, t + 20, part2, sizeof(part2) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &f, t + 21 + i, rar + i * 1000, 1000);
}


/* a request naming Host "(unidentified via proxy)" seen on the proxy's
 * egress side gives the shared destination a home-country address. */
static void
run_poison(void **state, bool poison)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char req[] = "GET / HTTP/1.1\r\nHost: (unidentified via proxy)\r\n\r\n";
	struct conn e = { "10.77.1.2", "198.51.100.20", 45000, 80, 1 };
	struct conn up = { "10.1.20.43", "10.77.1.2", 34000, 3128, 1 };
	unsigned i;

	learn_destination(fx->p, "198.51.100.10", 40007);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	if (poison)
		send_out(fx->p, &e, T0 + 2 * 3600 * SEC - 5, req, sizeof(req) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &up, T0 + 2 * 3600 * SEC + i, rar + 500 + i * 900, 900);
}


/* a remembered CONNECT tunnel to a familiar host is resumed by a new
 * connection on its 5-tuple whose SYN was refused (half-open cap) and whose
 * ISN continues the old stream: the new CONNECT is read as tunnel bytes. */
static void
run_hijack(void **state, bool refuse)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000], tls[200];
	static const char c1[] = "CONNECT www.example.jp:443 HTTP/1.1\r\n\r\n";
	static const char c2[] = "CONNECT hk-files.example.net:443 HTTP/1.1\r\n\r\n";
	struct conn a = { "10.1.20.70", "10.77.1.2", 43000, 3128, 1 }, o, b;
	uint64_t t = T0 + 2 * 3600 * SEC;
	uint32_t next;
	unsigned i;

	learn_named(fx->p);
	send_out(fx->p, &(struct conn){ "10.1.20.9", "10.77.1.2", 41001, 3128, 1 },
	    T0 + 2, "CONNECT www.example.jp:443 HTTP/1.1\r\n\r\n", sizeof(c1) - 1);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	memset(tls, 0x17, sizeof(tls));
	send_out(fx->p, &a, t, c1, sizeof(c1) - 1);
	send_in(fx->p, &a, t + 1, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	send_out(fx->p, &a, t + 2, tls, sizeof(tls));
	next = a.seq;
	for (i = 0; i < 70; i++) {
		o = (struct conn){ "10.1.20.71", "203.0.113.9", (uint16_t)(46000 + i), 80, 1 };
		send_out(fx->p, &o, t + 3 + i, "abc", 3);
	}
	for (i = 0; i < 70; i++) {
		o = (struct conn){ "10.1.20.71", "203.0.113.9", (uint16_t)(46000 + i), 80, 4 };
		send_flags(fx->p, &o, t + 75, TCP_FIN | TCP_ACK, "", 0, 0);
	}
	/* two SYNs elsewhere: the host is at its half-open cap (2) */
	for (i = 0; i < 2; i++) {
		o = (struct conn){ "10.1.20.70", "203.0.113.9", (uint16_t)(47000 + i), 443, 7 };
		send_flags(fx->p, &o, t + 80, TCP_SYN, "", 0, 0);
	}
	b = (struct conn){ "10.1.20.70", "10.77.1.2", 43000, 3128, next - 1 };
	if (refuse)
		send_flags(fx->p, &b, t + 81, TCP_SYN, "", 0, 0);
	else
		b.seq = next;
	send_out(fx->p, &b, t + 82, c2, sizeof(c2) - 1);
	send_in(fx->p, &b, t + 83, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &b, t + 84 + i, rar + i * 1000, 1000);
}


/* after eviction, a server segment with payload comes first: the memory
 * is dropped (its seq is the server's), the flow is not resumed. */
static void
run_inbound_first(void **state, bool inbound)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char c1[] = "CONNECT hk-files.example.net:443 HTTP/1.1\r\n\r\n";
	struct conn a = { "10.1.20.90", "10.77.1.2", 43100, 3128, 1 }, o;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_destination(fx->p, "198.51.100.10", 40007);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &a, t, c1, sizeof(c1) - 1);
	send_in(fx->p, &a, t + 1, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	send_out(fx->p, &a, t + 2, rar, 1000);
	for (i = 0; i < 70; i++) {
		o = (struct conn){ "10.1.20.71", "203.0.113.9", (uint16_t)(46000 + i), 80, 1 };
		send_out(fx->p, &o, t + 3 + i, "abc", 3);
	}
	if (inbound)
		send_in_seq(fx->p, &a, t + 80, 0x80000000u, "\x17\x03\x03\x00\x20xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 37);
	for (i = 1; i < 25; i++)
		send_out(fx->p, &a, t + 81 + i, rar + i * 1000, 1000);
}


/* a capture cut at the headers (snaplen): flows with client payload
 * stay "without payload" and count against the half-open cap. */
static void
test_snaplen(void **state)
{
	struct fixture *fx = *state;
	static uint8_t data[1000];
	struct conn c;
	struct pipeline_stats st;
	unsigned i;

	for (i = 0; i < 4; i++) {
		c = (struct conn){ "10.1.20.95", "203.0.113.9", (uint16_t)(48000 + i), 443, 1 };
		send_flags(fx->p, &c, T0 + i, TCP_SYN, "", 0, 0);
		send_flags(fx->p, &c, T0 + i, TCP_ACK | TCP_PSH, data, sizeof(data), 54);
	}
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.half_open_refused, 0);
}

/* a CONNECT's slot reclaimed while it awaits the proxy's reply: the
 * 2xx is not seen, and a request inside the tunnel rebinds it. */
static void
run_connect_reclaim(void **state, bool flood)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char c1[] = "CONNECT hk-files.example.net:443 HTTP/1.1\r\n\r\n";
	static const char other[] = "GET http://a.example.org/ HTTP/1.1\r\nHo";
	struct conn a = { "10.1.20.97", "10.77.1.2", 43300, 3128, 1 }, o;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_named(fx->p);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &a, t, c1, sizeof(c1) - 1);
	if (flood)
		for (i = 0; i < 8; i++) {
			o = (struct conn){ "10.1.20.62", "10.77.1.2",
			    (uint16_t)(44000 + i), 3128, 1 };
			send_out(fx->p, &o, t + 1 + i, other, sizeof(other) - 1);
		}
	send_in(fx->p, &a, t + 10, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	send_out(fx->p, &a, t + 11, rar, 1000);
	send_out(fx->p, &a, t + 11, learn_get, sizeof(learn_get) - 1);
	for (i = 1; i < 25; i++)
		send_out(fx->p, &a, t + 12 + i, rar + i * 1000, 1000);
}


/* multipart: slot reclaimed inside a text part; the RAR part after it
 * is counted as text. */
static void
run_multipart(void **state, bool flood)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char head[] =
	    "POST http://hk-files.example.net/u HTTP/1.1\r\nHost: hk-files.example.net\r\n"
	    "Content-Type: multipart/form-data; boundary=XyZ\r\n"
	    "Content-Length: 30000\r\n\r\n"
	    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello there, plain text\r\n";
	static const char part2[] =
	    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.rar\"\r\n\r\n";
	static const char other[] = "GET http://a.example.org/ HTTP/1.1\r\nHo";
	struct conn a = { "10.1.20.98", "10.77.1.2", 43400, 3128, 1 }, o;
	uint64_t t = T0 + 2 * 3600 * SEC;
	unsigned i;

	learn_named(fx->p);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &a, t, head, sizeof(head) - 1);
	if (flood)
		for (i = 0; i < 8; i++) {
			o = (struct conn){ "10.1.20.62", "10.77.1.2",
			    (uint16_t)(44000 + i), 3128, 1 };
			send_out(fx->p, &o, t + 1 + i, other, sizeof(other) - 1);
		}
	send_out(fx->p, &a, t + 10, part2, sizeof(part2) - 1);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &a, t + 12 + i, rar + i * 1000, 1000);
}


/* Review findings on issue 11 (each attack beside its control). */
static uint64_t
stat_reclaimed(struct pipeline *p)
{
	struct pipeline_stats st;

	pipeline_get_stats(p, &st);
	return st.conn.parser_slots_reclaimed;
}

static void
test_midhead_control(void **s)
{
	run_midhead(s, false);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

/* the slot lost mid-head: not the earlier, familiar request's destination */
static void
test_midhead_reclaimed(void **s)
{
	struct fixture *fx = *s;

	run_midhead(s, true);
	assert_int_equal(stat_reclaimed(fx->p), 2);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "(unidentified via proxy)");
}

static void
test_unidentified_control(void **s)
{
	run_poison(s, false);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].dst_country, COUNTRY_UNKNOWN);
}

/* a Host "(unidentified via proxy)" to a home server gives it no address */
static void
test_unidentified_not_poisoned(void **s)
{
	run_poison(s, true);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "(unidentified via proxy)");
	assert_int_equal(alerts[0].dst_country, COUNTRY_UNKNOWN);
	assert_int_equal(alerts[0].dst.family, 0);
}

static void
test_resume_control(void **s)
{
	run_inbound_first(s, false);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

/* the server's segment first after the eviction still takes it up */
static void
test_resume_by_server_segment(void **s)
{
	run_inbound_first(s, true);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

static void
test_connect_control(void **s)
{
	run_connect_reclaim(s, false);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
}

/* a CONNECT's slot taken before the 2xx: still a tunnel for good */
static void
test_connect_reclaimed_stays_tunnel(void **s)
{
	struct fixture *fx = *s;

	run_connect_reclaim(s, true);
	assert_true(stat_reclaimed(fx->p) > 0);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
}

static void
test_multipart_control(void **s)
{
	run_multipart(s, false);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].payload[PK_RAR], 20000);
}

/* the slot taken in a text part: the archive part after it still counts */
static void
test_multipart_reclaimed(void **s)
{
	struct fixture *fx = *s;

	run_multipart(s, true);
	assert_true(stat_reclaimed(fx->p) > 0);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
}

/* a refused SYN on a remembered flow's key: a new connection, not the old
 * (familiar) tunnel taken up again */
static void
test_refused_syn_forgets(void **s)
{
	struct fixture *fx = *s;
	struct pipeline_stats st;

	run_hijack(s, true);
	pipeline_get_stats(fx->p, &st);
	assert_int_equal(st.flows.half_open_refused, 1);
	assert_int_equal(st.flows.resumed, 0);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].dst_host, "hk-files.example.net");
}

static unsigned npairs;
static char first_pair_host[64];
static uint64_t served_of_first, out_of_first; /* of the first serving pair */

static void
count_pair(void *ctx, const struct pair_report *r)
{
	(void)ctx;
	if (npairs++ == 0)
		str_copy(first_pair_host, r->dst_host, sizeof(first_pair_host));
	if (r->bytes_served > 0 && served_of_first == 0) {
		served_of_first = r->bytes_served;
		out_of_first = r->bytes_out;
	}
}

static void
test_absolute_uri_keepalive_two_destinations(void **state)
{
	struct fixture *fx = *state;
	static const char req1[] = "GET http://a.example.com/ HTTP/1.1\r\nHost: a.example.com\r\n\r\n";
	static const char req2[] = "GET http://b.example.com/x HTTP/1.1\r\nHost: b.example.com\r\n\r\n";
	struct conn c = { "10.1.20.60", "10.77.1.2", 50100, 3128, 1 };

	send_out(fx->p, &c, T0, req1, sizeof(req1) - 1);
	send_in(fx->p, &c, T0 + 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 38);
	send_out(fx->p, &c, T0 + 2, req2, sizeof(req2) - 1);
	npairs = 0;
	pipeline_report_pairs(fx->p, count_pair, NULL);
	assert_int_equal(npairs, 2);
	assert_string_equal(first_pair_host, "a.example.com");
}

/* A reload with a lower threshold: the pair below the old one alerts at the
 * timer's next evaluation, before any more traffic. */
static void
test_reload_lower_threshold_applies_at_timer(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[15000];
	struct conn c = { "10.1.20.24", "203.0.113.99", 50000, 8443, 1 };
	char yaml[1024], err[512];
	struct config *cfg2;
	uint64_t t1 = T0 + 2 * 3600 * SEC;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40000);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 15; i++)
		send_out(fx->p, &c, t1 + i * SEC, zip + i * 1000, 1000);
	assert_int_equal(nalerts, 0); /* 15 KB < 20 KB */

	snprintf(yaml, sizeof(yaml), CONFIG_YAML, tmpdir);
	strcpy(strstr(yaml, "bytes: 20KB"), "bytes: 10KB, severity: high }\n"
	    "limits: { flows: 64, pairs: 64, destinations: 64, names: 64, "
	    "app_parsers: 8 }\n");
	assert_int_equal(config_load_string("t2.yaml", yaml, strlen(yaml), &cfg2,
	    err, sizeof(err)), 0);
	assert_int_equal(pipeline_apply_config(fx->p, cfg2, err, sizeof(err)), 0);
	config_free(fx->cfg);
	fx->cfg = cfg2;
	/* pairs quiet since before t1 + 14 s are not looked at */
	pipeline_evaluate_recent(fx->p, t1 + 15 * SEC, t1 + 20 * SEC);
	assert_int_equal(nalerts, 0);
	pipeline_evaluate_recent(fx->p, t1 + 10 * SEC, t1 + 20 * SEC);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_int_equal(alerts[0].severity, SEV_HIGH);
	assert_int_equal(alerts[0].ts_ns, t1 + 20 * SEC);
	assert_int_equal(alerts[0].payload[PK_ZIP], 15000);
}

/* A destination at home is settled as benign; a reload whose geo database
 * moves it abroad makes the next packet's evaluation see it as foreign. */
static void
test_reload_geo_change_unsettles_verdicts(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[30000];
	struct conn c = { "10.1.20.24", "198.51.100.77", 50000, 443, 1 };
	char yaml[1024], err[512], path[128], dir[96];
	struct config *cfg2;
	uint64_t t1 = T0 + 2 * 3600 * SEC;
	FILE *fp;
	size_t i;

	learn_destination(fx->p, "192.0.2.1", 40000);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, t1 + i * SEC, zip + i * 1000, 1000);
	assert_int_equal(nalerts, 0); /* JP: domestic */

	snprintf(dir, sizeof(dir), "%s/alt", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/geo.csv", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("198.51.100.0/24,HK\n", fp);
	fclose(fp);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, dir);
	assert_int_equal(config_load_string("t2.yaml", yaml, strlen(yaml), &cfg2,
	    err, sizeof(err)), 0);
	assert_int_equal(pipeline_apply_config(fx->p, cfg2, err, sizeof(err)), 0);
	config_free(fx->cfg);
	fx->cfg = cfg2;
	send_out(fx->p, &c, t1 + 26 * SEC, zip + 25000, 1000);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].dst_country, ('H' << 8) | 'K');
	assert_int_equal(alerts[0].payload[PK_ZIP], 26000);
	unlink(path);
	rmdir(dir);
}

/* A geo database that cannot be read: -1, and the old config stays. */
static void
test_reload_error_keeps_old_config(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[30000];
	struct conn c = { "10.1.20.24", "203.0.113.99", 50000, 8443, 1 };
	char yaml[1024], err[512];
	struct config *cfg2;
	size_t i;

	learn_destination(fx->p, "198.51.100.10", 40000);
	snprintf(yaml, sizeof(yaml), CONFIG_YAML, "/nonexistent-exfild");
	assert_int_equal(config_load_string("t2.yaml", yaml, strlen(yaml), &cfg2,
	    err, sizeof(err)), 0);
	assert_int_equal(pipeline_apply_config(fx->p, cfg2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-exfild/geo.csv"));
	config_free(cfg2);
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 30; i++)
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + i * SEC, zip + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].dst_country, ('H' << 8) | 'K');
	assert_string_equal(alerts[0].sensor, "unit");
}

/* The geo of config_yaml_mmdb: MaxMind DBs written by tests/mkmmdb.pl
 * (run from the repository root). */
#define CONFIG_YAML_MMDB \
    "sensor: unit\n" \
    "networks:\n" \
    "  internal: [10.0.0.0/8]\n" \
    "geo:\n" \
    "  home: [JP]\n" \
    "  databases: [%s]\n" \
    "  asn: %s/asn.mmdb\n" \
    "baseline:\n" \
    "  learn: 1h\n" \
    "  allow: [%s]\n" \
    "rules:\n" \
    "  compressed_upload: { bytes: 20KB, severity: critical }\n" \
    "limits: { flows: 64, pairs: 64, destinations: 64, names: 64, app_parsers: 8 }\n"

static void
apply_mmdb_config(struct fixture *fx, const char *databases, const char *allow,
    int want_rc, char *err, size_t errlen)
{
	char yaml[1024];
	struct config *cfg2;

	snprintf(yaml, sizeof(yaml), CONFIG_YAML_MMDB, databases, tmpdir, allow);
	assert_int_equal(config_load_string("t2.yaml", yaml, strlen(yaml), &cfg2,
	    err, errlen), 0);
	assert_int_equal(pipeline_apply_config(fx->p, cfg2, err, errlen), want_rc);
	if (want_rc != 0) {
		config_free(cfg2);
		return;
	}
	config_free(fx->cfg);
	fx->cfg = cfg2;
}

static void
zip_upload(struct pipeline *p, const char *server, uint16_t cport, uint64_t t)
{
	static uint8_t zip[25000];
	struct conn c = { "10.1.20.24", server, cport, 443, 1 };
	size_t i;

	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	for (i = 0; i < 25; i++)
		send_out(p, &c, t + i * SEC, zip + i * 1000, 1000);
}

/* MaxMind DBs as the only geo source and the ASN database: alerts carry
 * the country, ASN and organisation; a reload to a truncated database is
 * refused (path and reason) and the old tables stay; an AS<number> allow
 * entry makes the AS's addresses familiar. */
static void
test_reload_mmdb_geo_and_asn(void **state)
{
	struct fixture *fx = *state;
	char err[512], country[128], cut[128], cmd[512], want[300];
	uint64_t t1 = T0 + 2 * 3600 * SEC;
	FILE *in, *out;
	int ch;
	long n = 0;

	snprintf(country, sizeof(country), "%s/country.mmdb", tmpdir);
	snprintf(cut, sizeof(cut), "%s/cut.mmdb", tmpdir);
	snprintf(cmd, sizeof(cmd), "perl tests/mkmmdb.pl %s < tests/mmdb/country.spec"
	    " && perl tests/mkmmdb.pl %s/asn.mmdb < tests/mmdb/asn.spec", country,
	    tmpdir);
	assert_int_equal(system(cmd), 0);
	in = fopen(country, "rb");
	out = fopen(cut, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while ((ch = fgetc(in)) != EOF && n++ < 700)
		fputc(ch, out);
	fclose(in);
	fclose(out);

	learn_destination(fx->p, "192.0.2.1", 40000);
	apply_mmdb_config(fx, country, "192.0.2.0/24", 0, err, sizeof(err));
	zip_upload(fx->p, "198.51.100.200", 50000, t1);
	assert_int_equal(nalerts, 1);
	assert_int_equal(alerts[0].dst_country, ('U' << 8) | 'S');
	assert_int_equal(alerts[0].dst_asn, 64500);
	assert_string_equal(alerts[0].dst_org, "Example Net");

	apply_mmdb_config(fx, cut, "192.0.2.0/24", -1, err, sizeof(err));
	snprintf(want, sizeof(want), "t2.yaml:6:15: geo.databases: %s: The "
	    "MaxMind DB file contains invalid metadata", cut);
	assert_string_equal(err, want);
	zip_upload(fx->p, "198.51.100.201", 50001, t1 + 100 * SEC);
	assert_int_equal(nalerts, 2);
	assert_int_equal(alerts[1].dst_country, ('U' << 8) | 'S');
	assert_int_equal(alerts[1].dst_asn, 64500);

	apply_mmdb_config(fx, country, "AS64500", 0, err, sizeof(err));
	zip_upload(fx->p, "198.51.100.202", 50002, t1 + 200 * SEC);
	assert_int_equal(nalerts, 2);
	zip_upload(fx->p, "203.0.113.5", 50003, t1 + 300 * SEC);
	assert_int_equal(nalerts, 3);
	assert_int_equal(alerts[2].dst_country, ('H' << 8) | 'K');
	assert_int_equal(alerts[2].dst_asn, 0); /* its number is text: unknown */
	assert_string_equal(alerts[2].dst_org, "");
	unlink(country);
	unlink(cut);
	snprintf(cut, sizeof(cut), "%s/asn.mmdb", tmpdir);
	unlink(cut);
}

/* A recorded stream of frames, fed to a pipeline one way or the other. */
#define TAPE_MAX 256
struct tape {
	uint8_t frames[TAPE_MAX][1200];
	struct capture_pkt pkts[TAPE_MAX];
	size_t n;
};

static void
tape_tcp(struct tape *tp, uint64_t ts, const char *src, const char *dst,
    uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
    const void *payload, size_t len)
{
	size_t n;

	assert_true(tp->n < TAPE_MAX && len <= 1100);
	n = tcp_frame(tp->frames[tp->n], src, dst, sport, dport, seq, flags,
	    payload, len);
	tp->pkts[tp->n].ts_ns = ts;
	tp->pkts[tp->n].linktype = DLT_EN10MB;
	tp->pkts[tp->n].data = tp->frames[tp->n];
	tp->pkts[tp->n].caplen = tp->pkts[tp->n].wirelen = (uint32_t)n;
	tp->n++;
}

/* Flows that start, close, start again on the same ports, an upload that
 * alerts, a flood that evicts flows and pairs, teardown without a flow,
 * a cut frame, and idle gaps that expire flows: all within batches. */
static void
record_mixed(struct tape *tp)
{
	static uint8_t zip[30000];
	static const char connect[] = "CONNECT evil.example:443 HTTP/1.1\r\n\r\n";
	uint64_t t = T0 + 2 * 3600 * SEC;
	uint32_t seq = 1;
	char host[NETADDR_STRLEN];
	size_t i;

	memset(tp, 0, sizeof(*tp));
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	tape_tcp(tp, T0, "10.1.20.9", "198.51.100.10", 40000, 80, 1,
	    TCP_ACK | TCP_PSH, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	for (i = 0; i < 30; i++) {
		tape_tcp(tp, t + i * SEC, "10.1.20.24", "203.0.113.99", 50000,
		    8443, 1 + (uint32_t)i * 1000, TCP_ACK | TCP_PSH,
		    zip + i * 1000, 1000);
		tape_tcp(tp, t + i * SEC + 1, "203.0.113.99", "10.1.20.24", 8443,
		    50000, 1, TCP_ACK, "", 0);
		/* a flood of one-packet flows, each to its own pair: the
		 * tables (64 flows, 64 pairs) overflow */
		snprintf(host, sizeof(host), "10.1.30.%zu", i + 1);
		tape_tcp(tp, t + i * SEC + 2, host, "203.0.113.7",
		    (uint16_t)(30000 + i), 80, 1, TCP_ACK | TCP_PSH, "abc", 3);
		tape_tcp(tp, t + i * SEC + 3, host, "203.0.113.8",
		    (uint16_t)(30000 + i), 80, 1, TCP_SYN, "", 0);
		tape_tcp(tp, t + i * SEC + 4, host, "203.0.113.9",
		    (uint16_t)(30000 + i), 80, 1, TCP_ACK | TCP_PSH, "def", 3);
	}
	tape_tcp(tp, t + 40 * SEC, "10.1.20.24", "203.0.113.99", 50000, 8443,
	    30001, TCP_ACK | TCP_FIN, "", 0);
	tape_tcp(tp, t + 40 * SEC + 1, "10.1.20.70", "203.0.113.9", 40000, 443,
	    1, TCP_ACK, "", 0); /* no flow */
	/* the same ports again through the proxy, then an upload on it */
	tape_tcp(tp, t + 41 * SEC, "10.1.20.82", "10.77.1.2", 50042, 3128, seq,
	    TCP_ACK | TCP_PSH, connect, sizeof(connect) - 1);
	seq += sizeof(connect) - 1;
	tape_tcp(tp, t + 41 * SEC + 1, "10.1.20.82", "10.77.1.2", 50042, 3128,
	    seq, TCP_ACK | TCP_FIN, "", 0);
	seq = 0xffff0001u;
	tape_tcp(tp, t + 41 * SEC + 2, "10.1.20.82", "10.77.1.2", 50042, 3128,
	    seq++, TCP_SYN, "", 0);
	tape_tcp(tp, t + 41 * SEC + 3, "10.1.20.82", "10.77.1.2", 50042, 3128,
	    seq, TCP_ACK | TCP_PSH, connect, sizeof(connect) - 1);
	seq += sizeof(connect) - 1;
	for (i = 0; i < 25; i++, seq += 1000)
		tape_tcp(tp, t + 42 * SEC + i, "10.1.20.82", "10.77.1.2", 50042,
		    3128, seq, TCP_ACK | TCP_PSH, zip + i * 1000, 1000);
	/* a frame cut inside its IP header */
	tape_tcp(tp, t + 43 * SEC, "10.1.20.82", "10.77.1.2", 50042, 3128,
	    seq, TCP_ACK, "", 0);
	tp->pkts[tp->n - 1].caplen = 20;
}

/* pipeline_frames has exactly the effects of pipeline_frame on each frame:
 * the same alerts and the same counters, whatever the batch sizes. */
static void
test_batches_same_as_frames(void **state)
{
	struct fixture *fx = *state;
	static struct tape tp;
	static struct alert one[16];
	struct pipeline_stats st_one, st_many;
	struct pipeline *p;
	char err[512];
	size_t i, nalerts_one, chunk;

	record_mixed(&tp);
	for (i = 0; i < tp.n; i++)
		pipeline_frame(fx->p, tp.pkts[i].linktype, tp.pkts[i].data,
		    tp.pkts[i].caplen, tp.pkts[i].wirelen, tp.pkts[i].ts_ns);
	pipeline_finish(fx->p);
	pipeline_get_stats(fx->p, &st_one);
	nalerts_one = nalerts;
	memcpy(one, alerts, sizeof(one));
	/* what the tape holds: two uploads alert, the tables overflow */
	assert_int_equal(nalerts_one, 2);
	assert_string_equal(one[1].dst_host, "evil.example");
	assert_true(st_one.flows.evicted > 0);
	assert_true(st_one.pairs.evicted > 0);
	assert_true(st_one.flows.expired > 0);
	assert_int_equal(st_one.conn.flowless_tcp, 1);
	assert_int_equal(st_one.decode.malformed, 1);
	for (chunk = 1; chunk <= 40; chunk += 13) {
		p = pipeline_new(fx->cfg, "pcap", on_alert, NULL, err, sizeof(err));
		assert_non_null(p);
		nalerts = 0;
	nupdates = 0;
		memset(alerts, 0, sizeof(alerts));
		for (i = 0; i < tp.n; i += chunk)
			pipeline_frames(p, &tp.pkts[i], tp.n - i < chunk ?
			    tp.n - i : chunk);
		pipeline_finish(p);
		pipeline_get_stats(p, &st_many);
		pipeline_free(p);
		assert_int_equal(nalerts, nalerts_one);
		assert_memory_equal(alerts, one, sizeof(one));
		assert_memory_equal(&st_many, &st_one, sizeof(st_one));
	}
}

static char looked_up[64];
static unsigned lookups;

static void
record_lookup(void *ctx, const char *name, uint64_t ts_ns)
{
	(void)ctx;
	(void)ts_ns;
	snprintf(looked_up, sizeof(looked_up), "%s", name);
	lookups++;
}

/* Live mode: a name with no address is asked for; the answer places it.
 * Here the answer says Japan, so the upload that follows is domestic. */
static void
test_name_lookup_answer_places_destination(void **state)
{
	struct fixture *fx = *state;
	static uint8_t rar[25000];
	static const char connect[] =
	    "CONNECT files.example.jp:443 HTTP/1.1\r\nHost: files.example.jp:443\r\n\r\n";
	struct conn c = { "10.1.20.22", "10.77.1.2", 50010, 3128, 1 };
	struct netaddr jp;
	size_t i;

	lookups = 0;
	pipeline_set_name_lookup(fx->p, record_lookup, NULL);
	learn_destination(fx->p, "198.51.100.10", 40001);
	fill_archive(rar, sizeof(rar), "Rar!\x1a\x07\x01\x00", 8);
	send_out(fx->p, &c, T0 + 3 * 3600 * SEC, connect, sizeof(connect) - 1);
	assert_true(lookups >= 1);
	assert_string_equal(looked_up, "files.example.jp");
	assert_int_equal(netaddr_parse("198.51.100.44", &jp), 0);
	pipeline_learn_name(fx->p, "files.example.jp", &jp, T0 + 3 * 3600 * SEC);
	send_in(fx->p, &c, T0 + 3 * 3600 * SEC + 1,
	    "HTTP/1.1 200 Connection established\r\n\r\n", 39);
	for (i = 0; i < 25; i++)
		send_out(fx->p, &c, T0 + 3 * 3600 * SEC + 2 + i, rar + i * 1000, 1000);
	assert_int_equal(nalerts, 0);
	/* without the answer the same upload alerts with country "??" (the
	 * test above), so the answer is what kept it quiet */
	lookups = 0;
	send_out(fx->p, &c, T0 + 3 * 3600 * SEC + 30, rar, 1000);
	assert_int_equal(lookups, 0); /* placed: not asked again */
}


/* A public server answering visitors: the bytes it sends on connections
 * opened from outside are served, never an upload (no alert, counted
 * apart in --pairs); the same bytes on a connection it opened alert. */
static void
test_served_bytes_are_not_uploads(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[30000];
	static uint8_t frame[70000];
	struct conn c = { "10.1.20.24", "203.0.113.99", 443, 50001, 1 };
	size_t i, n;

	learn_destination(fx->p, "198.51.100.10", 40000); /* starts learning at T0 */
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	/* the visitor's SYN opens the connection to the internal server */
	n = tcp_frame(frame, c.server, c.client, c.sport, c.cport, 7, TCP_SYN,
	    "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n,
	    T0 + 2 * 3600 * SEC);
	for (i = 0; i < 30; i++)
		send_out(fx->p, &c, T0 + 2 * 3600 * SEC + (i + 1) * SEC,
		    zip + i * 1000, 1000);
	assert_int_equal(nalerts, 0);
	npairs = 0;
	pipeline_report_pairs(fx->p, count_pair, NULL);
	assert_int_equal(served_of_first, 30 * 1040);
	assert_int_equal(out_of_first, 0);
	/* positive control: the server opens a connection of its own and
	 * sends the same bytes: an upload, and an alert */
	c.cport = 50002;
	n = tcp_frame(frame, c.client, c.server, c.cport, c.sport, 0, TCP_SYN,
	    "", 0);
	pipeline_frame(fx->p, DLT_EN10MB, frame, (uint32_t)n, (uint32_t)n,
	    T0 + 3 * 3600 * SEC);
	for (i = 0; i < 30; i++)
		send_out(fx->p, &c, T0 + 3 * 3600 * SEC + (i + 1) * SEC,
		    zip + i * 1000, 1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_int_equal(alerts[0].bytes_out, 40 + 20 * 1040);
}


/* The fixture's YAML with `add` after the line `after` and `add2` after
 * the line `after2`. */
static void
yaml_with(char *out, size_t n, const char *after, const char *add,
    const char *after2, const char *add2)
{
	char base[2048], one[2560];
	const char *at;
	size_t head;

	snprintf(base, sizeof(base), CONFIG_YAML, tmpdir);
	assert_non_null(at = strstr(base, after));
	head = (size_t)(at - base) + strlen(after);
	snprintf(one, sizeof(one), "%.*s%s%s", (int)head, base, add, base + head);
	assert_non_null(at = strstr(one, after2));
	head = (size_t)(at - one) + strlen(after2);
	snprintf(out, n, "%.*s%s%s", (int)head, one, add2, one + head);
}

/* A PC reads 300 KB from a crown jewel (an internal system: tracked as a
 * pull), then uploads a ZIP abroad: staging alerts with where the pull
 * came from, and the upload's records at risk use the crown jewel's own
 * figures (600 bytes a record, 6 times compressed). The same upload from
 * a PC that read nothing: compressed-upload only, sized by records:. */
static void
test_crown_jewel_pull_then_upload(void **state)
{
	struct fixture *fx = *state;
	static uint8_t zip[30000], rows[1000];
	struct conn q = { "10.1.20.30", "10.20.9.5", 41000, 1521, 1 };
	struct conn up = { "10.1.20.30", "203.0.113.50", 41001, 443, 1 };
	struct conn up2 = { "10.1.20.31", "203.0.113.50", 41002, 443, 1 };
	struct pipeline *p;
	struct config *cfg;
	char yaml[3072], err[512];
	const struct alert *staging = NULL, *compressed = NULL;
	size_t i;

	yaml_with(yaml, sizeof(yaml), "  resolvers: [10.1.1.53]\n",
	    "  crown_jewels: [ { address: \"10.20.9.5:1521\", name: VIPS, "
	    "bytes_per_record: 600, compression: 6 } ]\n", "  suppress: 1h\n",
	    "  staging: { pull: 300KB, within: 6h, upload: 20KB }\n");
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), 0);
	p = pipeline_new(cfg, "pcap", on_alert, NULL, err, sizeof(err));
	assert_non_null(p);
	learn_destination(p, "198.51.100.10", 40000); /* learning starts at T0 */
	fill_archive(zip, sizeof(zip), "PK\x03\x04", 4);
	memset(rows, 'r', sizeof(rows));
	/* 1 query, 300 answers of 1000 bytes (IP: 1040 each) */
	send_out(p, &q, T0 + 2 * 3600 * SEC, "SELECT * FROM customers", 23);
	for (i = 0; i < 300; i++)
		send_in(p, &q, T0 + 2 * 3600 * SEC + i * SEC / 10, rows, sizeof(rows));
	assert_int_equal(nalerts, 0); /* reading is no alert */
	for (i = 0; i < 30; i++)
		send_out(p, &up, T0 + 3 * 3600 * SEC + i * SEC, zip + i * 1000, 1000);
	for (i = 0; i < nalerts && i < 16; i++) {
		if (strcmp(alerts[i].rule, "staging") == 0)
			staging = &alerts[i];
		if (strcmp(alerts[i].rule, "compressed-upload") == 0)
			compressed = &alerts[i];
	}
	assert_non_null(staging);
	assert_non_null(compressed);
	/* 300 answers of 1040 IP bytes; 20800 bytes out since the pull when
	 * the upload reached 20 KB */
	assert_string_equal(staging->finding.reason, "10.1.20.30 read 312.0 kB "
	    "from VIPS (10.20.9.5) until 2014-09-18T02:27:09Z, then sent 20.8 kB "
	    "to 203.0.113.50 (HK)");
	assert_int_equal(rule_test_field(&staging->finding, "pulled_bytes")->u64,
	    300 * 1040);
	/* 20 segments of 1040 bytes: 20800 bytes out, by the jewel's figures */
	assert_int_equal(compressed->bytes_out, 20800);
	assert_int_equal(compressed->records_low, 20800 / 600);
	assert_int_equal(compressed->records_high, 20800 * 6 / 600);
	pipeline_free(p);
	config_free(cfg);
	/* positive control for the sizes, negative for staging */
	nalerts = 0;
	nupdates = 0;
	learn_destination(fx->p, "198.51.100.10", 40000);
	for (i = 0; i < 30; i++)
		send_out(fx->p, &up2, T0 + 3 * 3600 * SEC + i * SEC, zip + i * 1000,
		    1000);
	assert_int_equal(nalerts, 1);
	assert_string_equal(alerts[0].rule, "compressed-upload");
	assert_int_equal(alerts[0].records_low, 20800 / 500);
	assert_int_equal(alerts[0].records_high, 20800 * 5 / 500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crown_jewel_pull_then_upload,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_served_bytes_are_not_uploads,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_zip_upload_alerts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_familiar_and_domestic_stay_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learning_needs_prevalence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_familiar_by_resolved_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_tunnel_binds_name_and_credits_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_after_proxy_auth_407, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_split_between_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_after_close_is_new_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pair_eviction_does_not_hide_upload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answered_requests_hold_no_parser_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parser_slot_reclaimed_bytes_go_unidentified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proxy_flow_resumed_mid_body_goes_unidentified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_midhead_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_midhead_reclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unidentified_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unidentified_not_poisoned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_by_server_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_reclaimed_stays_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart_reclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_syn_forgets, setup_cap2, teardown),
		cmocka_unit_test_setup_teardown(test_snaplen, setup_cap2, teardown),
		cmocka_unit_test_setup_teardown(test_xff_must_be_internal_and_connect_literal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_answers_only_from_resolvers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_flows_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_udp_upload_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments_before_first_still_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_after_200_stays_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_rst_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_bytes_stay_with_their_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmission_counts_bytes_not_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_internal_and_transit_not_tracked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bare_teardown_starts_no_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_table_stays_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_uri_keepalive_two_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_lower_threshold_applies_at_timer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_geo_change_unsettles_verdicts,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_mmdb_geo_and_asn,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_error_keeps_old_config,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_same_as_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_lookup_answer_places_destination,
		    setup, teardown),
	};
	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
