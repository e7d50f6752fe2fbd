/*
 * test_alert.c - alert and pair JSON lines: exact output, every escape,
 * invalid UTF-8 replacement, hostile names, overflow, deterministic ids.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exfild/alert/alert.h"

#define TS_ALERT      1411013527123000000ULL /* 2014-09-18T04:12:07.123Z */
#define TS_FIRST_SEEN 1411013518000000000ULL /* 2014-09-18T04:11:58.000Z */
#define FFFD "\xef\xbf\xbd"
/* computed independently (Python SipHash-2-4 over the documented message) */
#define ID_EXACT_1 "72520f09-c350-8eb6-8c4c-1811d1354f14"
#define ID_EXACT_2 "6de9fed8-5261-8076-9988-54a72d90ac4d"

/* ---- a tiny strict JSON checker (RFC 8259 + well-formed UTF-8) ---- */

struct jp {
	const uint8_t *p;
	size_t len, off;
};

static bool jp_value(struct jp *j, int depth);

static void
jp_ws(struct jp *j)
{
	while (j->off < j->len && (j->p[j->off] == ' ' || j->p[j->off] == '\t' ||
	    j->p[j->off] == '\n' || j->p[j->off] == '\r'))
		j->off++;
}

static bool
jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if (j->len - j->off < n || memcmp(j->p + j->off, lit, n) != 0)
		return false;
	j->off += n;
	return true;
}

static bool
jp_hex4(struct jp *j, unsigned *cp)
{
	size_t i;

	*cp = 0;
	if (j->len - j->off < 4)
		return false;
	for (i = 0; i < 4; i++) {
		uint8_t c = j->p[j->off++];

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*cp |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*cp |= c - 'A' + 10;
		else
			return false;
	}
	return true;
}

/* One UTF-8 character, strictly (RFC 3629 §4). */
static bool
jp_utf8(struct jp *j)
{
	uint8_t b = j->p[j->off], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (b >= 0xc2 && b <= 0xdf)
		need = 2;
	else if (b >= 0xe0 && b <= 0xef)
		need = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 4;
	else
		return false;
	if (j->len - j->off < need)
		return false;
	lo = b == 0xe0 ? 0xa0 : b == 0xf0 ? 0x90 : 0x80;
	hi = b == 0xed ? 0x9f : b == 0xf4 ? 0x8f : 0xbf;
	for (i = 1; i < need; i++) {
		uint8_t c = j->p[j->off + i];

		if (c < lo || c > hi)
			return false;
		lo = 0x80;
		hi = 0xbf;
	}
	/* what the encoder promises beyond RFC 8259 */
	if (b == 0xe2 && j->p[j->off + 1] == 0x80 &&
	    (j->p[j->off + 2] == 0xa8 || j->p[j->off + 2] == 0xa9))
		return false;
	j->off += need;
	return true;
}

static bool
jp_string(struct jp *j)
{
	unsigned cp;

	if (!jp_lit(j, "\""))
		return false;
	while (j->off < j->len) {
		uint8_t c = j->p[j->off];

		if (c == '"') {
			j->off++;
			return true;
		}
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == '\\') {
			j->off++;
			if (j->off >= j->len)
				return false;
			c = j->p[j->off++];
			if (c == 'u') {
				if (!jp_hex4(j, &cp))
					return false;
				if (cp >= 0xd800 && cp <= 0xdfff)
					return false; /* never produced */
			} else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
				return false;
			}
		} else if (c >= 0x80) {
			if (!jp_utf8(j))
				return false;
		} else {
			j->off++;
		}
	}
	return false;
}

static bool
jp_number(struct jp *j)
{
	size_t start = j->off;

	while (j->off < j->len && j->p[j->off] >= '0' && j->p[j->off] <= '9')
		j->off++;
	if (j->off == start)
		return false;
	/* no leading zeros */
	return !(j->p[start] == '0' && j->off - start > 1);
}

static bool
jp_object(struct jp *j, int depth)
{
	if (!jp_lit(j, "{"))
		return false;
	jp_ws(j);
	if (jp_lit(j, "}"))
		return true;
	for (;;) {
		jp_ws(j);
		if (!jp_string(j))
			return false;
		jp_ws(j);
		if (!jp_lit(j, ":") || !jp_value(j, depth + 1))
			return false;
		jp_ws(j);
		if (jp_lit(j, "}"))
			return true;
		if (!jp_lit(j, ","))
			return false;
	}
}

static bool
jp_array(struct jp *j, int depth)
{
	if (!jp_lit(j, "["))
		return false;
	jp_ws(j);
	if (jp_lit(j, "]"))
		return true;
	for (;;) {
		if (!jp_value(j, depth + 1))
			return false;
		jp_ws(j);
		if (jp_lit(j, "]"))
			return true;
		if (!jp_lit(j, ","))
			return false;
	}
}

static bool
jp_value(struct jp *j, int depth)
{
	if (depth > 8)
		return false;
	jp_ws(j);
	if (j->off >= j->len)
		return false;
	switch (j->p[j->off]) {
	case '{':
		return jp_object(j, depth);
	case '[':
		return jp_array(j, depth);
	case '"':
		return jp_string(j);
	default:
		return jp_number(j);
	}
}

static bool
json_valid(const char *s, size_t n)
{
	struct jp j = { (const uint8_t *)s, n, 0 };

	if (!jp_value(&j, 0))
		return false;
	jp_ws(&j);
	return j.off == j.len;
}

static void
test_checker_rejects(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\":\"b\\u0000\",\"c\":{}}", 22));
	assert_false(json_valid("\"a\nb\"", 5));
	assert_false(json_valid("\"\xc0\xaf\"", 4));
	assert_false(json_valid("\"\xe2\x80\xa8\"", 5));
	assert_false(json_valid("\"\\x\"", 4));
	assert_false(json_valid("\"abc", 4));
	assert_false(json_valid("{\"a\":1,}", 8));
	assert_false(json_valid("\"a\"\"", 4));
}

/* ---- fixtures ---- */

static void
addr(struct netaddr *a, const char *s)
{
	assert_int_equal(netaddr_parse(s, a), 0);
}

static void
full_alert(struct alert *a)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->id, "0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c");
	a->ts_ns = TS_ALERT;
	a->sensor = "hq-proxy-tap";
	a->rule = "compressed-upload";
	a->severity = SEV_CRITICAL;
	a->source = "pcap";
	addr(&a->src, "10.1.20.21");
	addr(&a->dst, "203.0.113.66");
	a->dst_port = 80;
	strcpy(a->dst_host, "hk-files.example.net");
	a->dst_country = country_parse("HK");
	a->via_proxy = true;
	a->bytes_out = 1574000;
	a->bytes_in = 4210;
	a->flows = 2;
	a->window_s = 3600;
	a->payload[PK_TEXT] = 912;
	a->payload[PK_RAR] = 1572864;
	a->first_seen_ns = TS_FIRST_SEEN;
	a->window_start_ns = TS_FIRST_SEEN;
}

static const char full_json[] =
    "{\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"kind\":\"alert\","
    "\"ts\":\"2014-09-18T04:12:07.123Z\",\"sensor\":\"hq-proxy-tap\","
    "\"rule\":\"compressed-upload\",\"severity\":\"critical\","
    "\"source\":\"pcap\",\"src\":\"10.1.20.21\",\"dst\":\"203.0.113.66\","
    "\"dst_port\":80,\"dst_host\":\"hk-files.example.net\","
    "\"dst_country\":\"HK\",\"via\":\"proxy\",\"bytes_out\":1574000,"
    "\"bytes_in\":4210,\"flows\":2,\"window_s\":3600,"
    "\"window_start\":\"2014-09-18T04:11:58.000Z\","
    "\"payload_total\":{\"text\":912,\"rar\":1572864},"
    "\"first_seen\":\"2014-09-18T04:11:58.000Z\","
    "\"records_est_low\":0,\"records_est_high\":0}";

/* Formats into a fresh buffer; returns the result of the formatter. */
static bool
format_alert(const struct alert *a, char *buf, size_t cap)
{
	struct strbuf sb;

	sb_init(&sb, buf, cap);
	return alert_format_json(a, &sb);
}

static void
test_alert_full(void **state)
{
	struct alert a;
	char buf[2048];

	(void)state;
	full_alert(&a);
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, full_json);
	assert_true(json_valid(buf, strlen(buf)));
}

/* An update: the alert's id and names, "kind":"update", the pair's
 * totals, last_seen and why; nothing of what made the alert fire. */
static void
test_alert_update(void **state)
{
	static const char want[] =
	    "{\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"kind\":\"update\","
	    "\"ts\":\"2014-09-18T04:12:07.123Z\",\"sensor\":\"hq-proxy-tap\","
	    "\"rule\":\"compressed-upload\",\"severity\":\"critical\","
	    "\"source\":\"pcap\",\"src\":\"10.1.20.21\",\"dst\":\"203.0.113.66\","
	    "\"dst_port\":80,\"dst_host\":\"hk-files.example.net\","
	    "\"dst_country\":\"HK\",\"via\":\"proxy\",\"bytes_out\":1574000,"
	    "\"bytes_in\":4210,\"flows\":2,"
	    "\"payload_total\":{\"text\":912,\"rar\":1572864},"
	    "\"first_seen\":\"2014-09-18T04:11:58.000Z\","
	    "\"last_seen\":\"2014-09-18T04:11:58.000Z\","
	    "\"records_est_low\":3,\"records_est_high\":9,"
	    "\"update_reason\":\"suppress_end\"}";
	struct alert a;
	char buf[2048];

	(void)state;
	full_alert(&a);
	a.kind = ALERT_KIND_UPDATE;
	a.update_reason = "suppress_end";
	a.last_seen_ns = TS_FIRST_SEEN;
	a.records_low = 3;
	a.records_high = 9;
	strcpy(a.finding.reason, "not written");
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
	assert_true(json_valid(buf, strlen(buf)));
	/* the control: the same struct as an alert has its own kind */
	a.kind = ALERT_KIND_ALERT;
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "\"kind\":\"alert\""));
	assert_non_null(strstr(buf, "\"reason\":\"not written\""));
}

/* The text line: who, where (name, address, country, AS), bytes, why;
 * wire text with a control character and invalid UTF-8 made harmless. */
static void
test_alert_text(void **state)
{
	struct alert a;
	struct strbuf sb;
	char buf[2048];

	(void)state;
	full_alert(&a);
	a.title = "Compressed upload";
	a.dst_asn = 64496;
	strcpy(a.dst_org, "Files Ltd");
	sb_init(&sb, buf, sizeof(buf));
	assert_true(alert_format_text(&a, &sb));
	assert_string_equal(buf, "2014-09-18T04:12:07.123Z critical "
	    "compressed-upload 10.1.20.21 -> hk-files.example.net "
	    "(203.0.113.66, HK, AS64496 Files Ltd): 1574000 bytes out: "
	    "Compressed upload");
	strcpy(a.dst_host, "evil\x1b[2J\xc0.test");
	strcpy(a.finding.reason, "why\nnot");
	a.dst_asn = 0;
	memset(&a.dst, 0, sizeof(a.dst));
	sb_init(&sb, buf, sizeof(buf));
	assert_true(alert_format_text(&a, &sb));
	assert_string_equal(buf, "2014-09-18T04:12:07.123Z critical "
	    "compressed-upload 10.1.20.21 -> evil" FFFD "[2J" FFFD ".test (HK): "
	    "1574000 bytes out: why" FFFD "not");
}

static void
test_alert_src_user_and_ipv6(void **state)
{
	static const char want[] =
	    "{\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"kind\":\"alert\","
	    "\"ts\":\"2014-09-18T04:12:07.123Z\",\"sensor\":\"hq-proxy-tap\","
	    "\"rule\":\"bulk-upload\",\"severity\":\"low\","
	    "\"source\":\"squid-log\",\"src\":\"2001:db8::21\","
	    "\"src_user\":\"CORP\\\\j.doe\",\"dst\":\"2001:db8:ff::66\","
	    "\"dst_port\":443,\"dst_host\":\"\",\"dst_country\":\"JP\","
	    "\"via\":\"direct\",\"bytes_out\":18446744073709551615,"
	    "\"bytes_in\":0,\"flows\":1,\"window_s\":0,"
	    "\"window_start\":\"2014-09-18T04:11:58.000Z\","
	    "\"payload_total\":{\"other\":1,\"high-entropy\":7},"
	    "\"first_seen\":\"1970-01-01T00:00:00.000Z\","
    "\"records_est_low\":0,\"records_est_high\":0}";
	struct alert a;
	char buf[2048];

	(void)state;
	full_alert(&a);
	a.rule = "bulk-upload";
	a.severity = SEV_LOW;
	a.source = "squid-log";
	addr(&a.src, "2001:db8::21");
	addr(&a.dst, "2001:db8:ff::66");
	strcpy(a.src_user, "CORP\\j.doe");
	a.dst_port = 443;
	a.dst_host[0] = '\0';
	a.dst_country = country_parse("jp");
	a.via_proxy = false;
	a.bytes_out = UINT64_MAX;
	a.bytes_in = 0;
	a.flows = 1;
	a.window_s = 0;
	memset(a.payload, 0, sizeof(a.payload));
	a.payload[PK_OTHER] = 1;
	a.payload[PK_HIGH_ENTROPY] = 7;
	a.first_seen_ns = 0;
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
}

/* No destination address, unknown country, empty payload, NULL strings. */
static void
test_alert_minimal(void **state)
{
	static const char want[] =
	    "{\"id\":\"\",\"kind\":\"alert\",\"ts\":\"1970-01-01T00:00:00.000Z\",\"sensor\":\"\","
	    "\"rule\":\"\",\"severity\":\"low\",\"source\":\"\",\"src\":\"\","
	    "\"dst\":\"\",\"dst_port\":0,\"dst_host\":\"\",\"dst_country\":\"??\","
	    "\"via\":\"direct\",\"bytes_out\":0,\"bytes_in\":0,\"flows\":0,"
	    "\"window_s\":0,\"window_start\":\"1970-01-01T00:00:00.000Z\","
	    "\"payload_total\":{},"
	    "\"first_seen\":\"1970-01-01T00:00:00.000Z\","
    "\"records_est_low\":0,\"records_est_high\":0}";
	struct alert a;
	char buf[1024];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.dst_country = COUNTRY_UNKNOWN;
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
	a.dst_country = 0; /* garbage code: also "??" */
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
}

/* Every buffer size short of the full line fails cleanly. */
static void
test_alert_overflow_every_size(void **state)
{
	struct alert a;
	char buf[1024];
	size_t need = sizeof(full_json), cap;

	(void)state;
	full_alert(&a);
	for (cap = 0; cap < need; cap++) {
		memset(buf, 'Z', sizeof(buf));
		if (format_alert(&a, buf, cap))
			fail_msg("fitted in %zu bytes", cap);
		if (cap > 0)
			assert_int_equal(strlen(buf), cap - 1);
		assert_int_equal(buf[cap], 'Z'); /* nothing past the end */
	}
	assert_true(format_alert(&a, buf, need));
	assert_string_equal(buf, full_json);
}

/* Hostile strings from the wire in every string field. */
static void
test_alert_hostile_fields(void **state)
{
	static const char want[] =
	    "{\"id\":\"x\",\"kind\":\"alert\",\"ts\":\"2014-09-18T04:12:07.123Z\","
	    "\"sensor\":\"s\\\"}\",\"rule\":\"r\\n\",\"severity\":\"critical\","
	    "\"source\":\"\\u001b[31m\",\"src\":\"10.1.20.21\","
	    "\"src_user\":\"u" FFFD "\",\"dst\":\"203.0.113.66\","
	    "\"dst_port\":80,\"dst_host\":\"a|b=c\\\\d]e\\\"f\\ng" FFFD "\","
	    "\"dst_country\":\"HK\",\"via\":\"proxy\",\"bytes_out\":1574000,"
	    "\"bytes_in\":4210,\"flows\":2,\"window_s\":3600,"
	    "\"window_start\":\"2014-09-18T04:11:58.000Z\","
	    "\"payload_total\":{\"text\":912,\"rar\":1572864},"
	    "\"first_seen\":\"2014-09-18T04:11:58.000Z\","
    "\"records_est_low\":0,\"records_est_high\":0}";
	struct alert a;
	char buf[2048];

	(void)state;
	full_alert(&a);
	strcpy(a.id, "x");
	a.sensor = "s\"}";
	a.rule = "r\n";
	a.source = "\x1b[31m";
	strcpy(a.src_user, "u\xff");
	strcpy(a.dst_host, "a|b=c\\d]e\"f\ng\xc0");
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
	assert_true(json_valid(buf, strlen(buf)));
}

/* Issue 13: join keys, why it fired, the HTTP request (hostile bytes,
 * escaped), the CONNECT tunnel and ATT&CK, in their places. */
static void
test_alert_join_and_why(void **state)
{
	static const char *const attack[] = { "T1560", "T1041", "T1048", NULL };
	static const char want[] =
	    "{\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"kind\":\"alert\","
	    "\"ts\":\"2014-09-18T04:12:07.123Z\",\"sensor\":\"hq-proxy-tap\","
	    "\"rule\":\"compressed-upload\",\"severity\":\"critical\","
	    "\"source\":\"zeek-http\",\"uid\":\"CHhAvVGS1DHFjwGM9\","
	    "\"src\":\"10.1.20.21\",\"dst\":\"203.0.113.66\","
	    "\"dst_port\":80,\"proto\":\"tcp\",\"src_port\":51642,"
	    "\"community_id\":\"1:B7YelbOZTwHopzDYJdjc91K9Gy0=\","
	    "\"dst_host\":\"hk-files.example.net\","
	    "\"dst_country\":\"HK\",\"via\":\"proxy\",\"bytes_out\":1574000,"
	    "\"bytes_in\":4210,\"flows\":2,\"window_s\":3600,"
	    "\"window_start\":\"2014-09-18T04:11:58.000Z\","
	    "\"payload_total\":{\"text\":912,\"rar\":1572864},"
	    "\"first_seen\":\"2014-09-18T04:11:58.000Z\","
	    "\"learn_end\":\"2014-09-18T02:00:00.000Z\","
	    "\"records_est_low\":0,\"records_est_high\":0,"
	    "\"threshold\":\"rules.compressed_upload.bytes\","
	    "\"threshold_limit\":1000000,\"threshold_value\":1572864,"
	    "\"http_method\":\"POST\",\"http_uri\":\"/up?a=\\\"\\n\\\\\","
	    "\"http_user_agent\":\"UA\\u0001" FFFD "\","
	    "\"http_filename\":\"x\\\"].rar\",\"tunnel\":\"connect\","
	    "\"attack\":{\"techniques\":[\"T1560\",\"T1041\",\"T1048\"],"
	    "\"tactics\":[\"Collection\",\"Exfiltration\"]}}";
	struct alert a;
	char buf[4096];

	(void)state;
	full_alert(&a);
	a.source = "zeek-http";
	strcpy(a.uid, "CHhAvVGS1DHFjwGM9");
	a.proto = 6;
	a.src_port = 51642;
	strcpy(a.community_id, "1:B7YelbOZTwHopzDYJdjc91K9Gy0=");
	a.learn_end_ns = 1411005600000000000ULL;
	a.finding.threshold = "rules.compressed_upload.bytes";
	a.finding.limit.type = a.finding.value.type = FINDING_U64;
	a.finding.limit.u64 = 1000000;
	a.finding.value.u64 = 1572864;
	strcpy(a.http_method, "POST");
	strcpy(a.http_uri, "/up?a=\"\n\\");
	strcpy(a.http_user_agent, "UA\x01\xff");
	strcpy(a.http_filename, "x\"].rar");
	a.tunnel_connect = true;
	a.attack = attack;
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_string_equal(buf, want);
	assert_true(json_valid(buf, strlen(buf)));
	/* the positive control of "left out": an unknown protocol (a Squid
	 * line) has no join keys, no learning end, no threshold */
	a.proto = 0;
	a.learn_end_ns = 0;
	a.finding.threshold = NULL;
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_null(strstr(buf, "\"proto\""));
	assert_null(strstr(buf, "community_id"));
	assert_null(strstr(buf, "learn_end"));
	assert_null(strstr(buf, "threshold"));
	assert_non_null(strstr(buf, "\"http_method\":\"POST\""));
}

/* Host and user fields filled to the last byte with no NUL. */
static void
test_alert_unterminated_fields(void **state)
{
	struct alert a;
	char buf[8192];

	(void)state;
	full_alert(&a);
	memset(a.dst_host, '"', sizeof(a.dst_host));
	memset(a.src_user, 0x01, sizeof(a.src_user));
	memset(a.id, '\\', sizeof(a.id));
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_true(json_valid(buf, strlen(buf)));
	assert_int_equal(strlen(buf),
	    sizeof(full_json) - 1
	    + (2 * ALERT_ID_LEN - 36)               /* id: \\ x 37 */
	    + (2 * ALERT_HOST_MAX - 20)             /* host: \" x 256 */
	    + (strlen(",\"src_user\":\"\"") + 6 * ALERT_USER_MAX));
}

/* ---- json_put_string ---- */

/* The input is copied to a heap block of exactly n bytes (ASan sees any
 * read past it). */
static void
check_put(const char *in, size_t n, const char *want)
{
	char buf[512], *exact = NULL;
	struct strbuf sb;

	if (in != NULL) {
		exact = malloc(n > 0 ? n : 1); /* not test_malloc: no guard bytes */
		assert_non_null(exact);
		memcpy(exact, in, n);
	}
	sb_init(&sb, buf, sizeof(buf));
	json_put_string(&sb, exact, n);
	free(exact);
	assert_false(sb.overflow);
	assert_string_equal(buf, want);
	assert_true(json_valid(buf, sb.len));
}

#define PUT(lit, want) check_put(lit, sizeof(lit) - 1, want)

static void
test_escapes(void **state)
{
	static const char all_controls[32] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
		28, 29, 30, 31 };

	(void)state;
	PUT("", "\"\"");
	PUT("plain text / ok", "\"plain text / ok\"");
	PUT("\"", "\"\\\"\"");
	PUT("\\", "\"\\\\\"");
	PUT("\n", "\"\\n\"");
	PUT("\r", "\"\\r\"");
	PUT("\t", "\"\\t\"");
	PUT("\b", "\"\\b\"");
	PUT("\f", "\"\\f\"");
	PUT("\x7f", "\"\\u007f\"");
	PUT("a\0b", "\"a\\u0000b\"");
	PUT("\x1f\x1b", "\"\\u001f\\u001b\"");
	PUT("\xe2\x80\xa8", "\"\\u2028\"");
	PUT("\xe2\x80\xa9", "\"\\u2029\"");
	PUT("x\xe2\x80\xa8y\xe2\x80\xa9z", "\"x\\u2028y\\u2029z\"");
	/* neighbours of U+2028/9 stay literal */
	PUT("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\xe2\x80\xaa\"");
	check_put(all_controls, sizeof(all_controls),
	    "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
	    "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
	    "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
	    "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
	/* NULL with a length is treated as empty */
	check_put(NULL, 5, "\"\"");
}

static void
test_valid_utf8_kept(void **state)
{
	(void)state;
	PUT("caf\xc3\xa9", "\"caf\xc3\xa9\"");                 /* U+00E9 */
	PUT("\xc2\x80", "\"\xc2\x80\"");                       /* U+0080 */
	PUT("\xdf\xbf", "\"\xdf\xbf\"");                       /* U+07FF */
	PUT("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");               /* U+0800 */
	PUT("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");               /* U+D7FF */
	PUT("\xee\x80\x80", "\"\xee\x80\x80\"");               /* U+E000 */
	PUT("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");               /* U+FFFF */
	PUT("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"");       /* U+10000 */
	PUT("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");       /* U+1F600 */
	PUT("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");       /* U+10FFFF */
	PUT("\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"");
	PUT(FFFD, "\"" FFFD "\"");
}

static void
test_invalid_utf8_replaced(void **state)
{
	(void)state;
	PUT("\x80", "\"" FFFD "\"");                       /* lone continuation */
	PUT("a\xbf" "b", "\"a" FFFD "b\"");
	PUT("\xc0\xaf", "\"" FFFD FFFD "\"");               /* overlong '/' */
	PUT("\xc1\xbf", "\"" FFFD FFFD "\"");
	PUT("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");      /* overlong, 3 bytes */
	PUT("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
	PUT("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");      /* surrogate D800 */
	PUT("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");      /* surrogate DFFF */
	PUT("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* U+110000 */
	PUT("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	PUT("\xf8\x88\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD FFFD "\"");
	PUT("\xfe\xff", "\"" FFFD FFFD "\"");
	PUT("\xe3\x81", "\"" FFFD FFFD "\"");               /* truncated あ */
	/* the length ends the string even when valid bytes follow */
	check_put("\xe3\x81\x82", 2, "\"" FFFD FFFD "\"");
	check_put("\xf0\x9f\x98\x80", 3, "\"" FFFD FFFD FFFD "\"");
	check_put("\xc3\xa9", 1, "\"" FFFD "\"");
	PUT("\xe3\x81x", "\"" FFFD FFFD "x\"");
	PUT("\xe3\x81\xe3\x81\x82", "\"" FFFD FFFD "\xe3\x81\x82\"");
	PUT("\xf0\x9f\x98", "\"" FFFD FFFD FFFD "\"");
	PUT("\xc3", "\"" FFFD "\"");
	PUT("ok\xc3\"", "\"ok" FFFD "\\\"\"");
	/* an invalid byte next to U+2028 */
	PUT("\xe2\xe2\x80\xa8", "\"" FFFD "\\u2028\"");
}

/* Truncating a mixed string at every offset always yields valid JSON. */
static void
test_truncation_every_offset(void **state)
{
	static const char mix[] = "a\"\\\n\xe6\x97\xa5\xf0\x9f\x98\x80\xe2\x80\xa8"
	    "\x7f\xc3\xa9z";
	char buf[512];
	struct strbuf sb;
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(mix); n++) {
		sb_init(&sb, buf, sizeof(buf));
		json_put_string(&sb, mix, n);
		assert_false(sb.overflow);
		if (!json_valid(buf, sb.len))
			fail_msg("invalid JSON for %zu bytes: %s", n, buf);
	}
}

static void
make_hostile(char *h, size_t n)
{
	static const char pieces[] = "|=\\]\"\n\0\xc0\xaf\xed\xa0\x80\xe3\x81"
	    "\xe2\x80\xa8\x7f\x80 ok.example.";
	size_t i;

	for (i = 0; i < n; i++)
		h[i] = pieces[i * 7 % (sizeof(pieces) - 1)];
}

static void
test_hostile_10k(void **state)
{
	static char host[10240];
	static char big[10240 * 6 + 3];
	struct strbuf sb;
	char small[100];

	(void)state;
	make_hostile(host, sizeof(host));
	sb_init(&sb, big, sizeof(big));
	json_put_string(&sb, host, sizeof(host));
	assert_false(sb.overflow);
	assert_true(json_valid(big, sb.len));
	assert_int_equal(strlen(big), sb.len); /* no NUL inside */
	/* too small: cut, flagged, never past the end */
	memset(small, 'Z', sizeof(small));
	sb_init(&sb, small, sizeof(small) - 1);
	json_put_string(&sb, host, sizeof(host));
	assert_true(sb.overflow);
	assert_int_equal(sb.len, sizeof(small) - 2);
	assert_int_equal(small[sizeof(small) - 1], 'Z');
}

/* The same hostile bytes as dst_host of an alert (cut at 255 bytes). */
static void
test_hostile_host_alert(void **state)
{
	struct alert a;
	char buf[4096], host[ALERT_HOST_MAX];
	size_t cap;

	(void)state;
	full_alert(&a);
	make_hostile(host, sizeof(host));
	memcpy(a.dst_host, host, sizeof(a.dst_host)); /* NULs inside */
	assert_true(format_alert(&a, buf, sizeof(buf)));
	assert_true(json_valid(buf, strlen(buf)));
	for (cap = 0; cap < 256; cap++)
		assert_false(format_alert(&a, buf, cap));
}

/* ---- ids ---- */

static void
check_id_shape(const char *id)
{
	regex_t re;

	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-"
	    "[89ab][0-9a-f]{3}-[0-9a-f]{12}$", REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&re, id, 0, NULL, 0) != 0)
		fail_msg("bad id shape: %s", id);
	regfree(&re);
	assert_int_equal(strlen(id), ALERT_ID_LEN - 1);
}

static void
test_id_exact(void **state)
{
	struct alert a;

	(void)state;
	full_alert(&a);
	alert_make_id(&a, 1);
	assert_string_equal(a.id, ID_EXACT_1);
	check_id_shape(a.id);
	alert_make_id(&a, 2);
	assert_string_equal(a.id, ID_EXACT_2);
}

static void
test_id_deterministic_and_distinct(void **state)
{
	struct alert a, b;
	char first[ALERT_ID_LEN], seen[64][ALERT_ID_LEN];
	uint64_t seq;
	size_t i, j, n = 0;

	(void)state;
	full_alert(&a);
	alert_make_id(&a, 7);
	strcpy(first, a.id);
	/* fields outside the hash do not change it */
	b = a;
	b.bytes_out++;
	b.severity = SEV_LOW;
	b.payload[PK_ZIP] = 5;
	alert_make_id(&b, 7);
	assert_string_equal(b.id, first);
	alert_make_id(&a, 7);
	assert_string_equal(a.id, first);

	for (seq = 0; seq < 32; seq++) {
		alert_make_id(&a, seq);
		check_id_shape(a.id);
		strcpy(seen[n++], a.id);
	}
	/* each hashed field changes the id */
	b = a; b.sensor = "other-tap"; alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; b.rule = "bulk-upload"; alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; addr(&b.src, "10.1.20.22"); alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; addr(&b.dst, "203.0.113.67"); alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; b.dst.family = 0; alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; b.dst_host[0] = 'H'; alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; b.ts_ns++; alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	/* moving a byte between sensor and rule is a different message */
	b = a; b.sensor = "hq-proxy-tapc"; b.rule = "ompressed-upload";
	alert_make_id(&b, 7); strcpy(seen[n++], b.id);
	b = a; b.sensor = NULL; b.rule = NULL; alert_make_id(&b, 7);
	check_id_shape(b.id); strcpy(seen[n++], b.id);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(seen[i], seen[j]) == 0)
				fail_msg("ids %zu and %zu equal: %s", i, j, seen[i]);
}

/* ---- pairs ---- */

static void
test_pair_exact(void **state)
{
	static const char want[] =
	    "{\"kind\":\"pair\",\"src\":\"10.1.20.21\",\"dst\":\"203.0.113.66\","
	    "\"dst_host\":\"hk-files.example.net\",\"dst_country\":\"HK\","
	    "\"bytes_out\":1574000,\"bytes_in\":4210,\"bytes_served\":77,"
	    "\"flows\":2,\"first\":\"2014-09-18T04:11:58.000Z\","
	    "\"last\":\"2014-09-18T04:12:07.123Z\","
	    "\"payload_total\":{\"text\":912,\"rar\":1572864},"
	    "\"records_est_low\":3148,\"records_est_high\":15740}";
	static const char want_empty[] =
	    "{\"kind\":\"pair\",\"src\":\"\",\"dst\":\"\",\"dst_host\":\"\\u0007" FFFD "\","
	    "\"dst_country\":\"??\",\"bytes_out\":0,\"bytes_in\":0,"
	    "\"bytes_served\":0,\"flows\":0,"
	    "\"first\":\"1970-01-01T00:00:00.000Z\","
	    "\"last\":\"1970-01-01T00:00:00.000Z\",\"payload_total\":{},"
	    "\"records_est_low\":0,\"records_est_high\":0}";
	struct pair_report r;
	char buf[1024];
	struct strbuf sb;
	size_t cap;

	(void)state;
	memset(&r, 0, sizeof(r));
	addr(&r.src, "10.1.20.21");
	addr(&r.dst, "203.0.113.66");
	strcpy(r.dst_host, "hk-files.example.net");
	r.dst_country = country_parse("HK");
	r.bytes_out = 1574000;
	r.bytes_served = 77;
	r.bytes_in = 4210;
	r.flows = 2;
	r.first_ns = TS_FIRST_SEEN;
	r.last_ns = TS_ALERT;
	r.payload[PK_TEXT] = 912;
	r.payload[PK_RAR] = 1572864;
	r.records_low = 3148;
	r.records_high = 15740;
	sb_init(&sb, buf, sizeof(buf));
	assert_true(pair_format_json(&r, &sb));
	assert_string_equal(buf, want);
	for (cap = 0; cap < sizeof(want); cap++) {
		sb_init(&sb, buf, cap);
		assert_false(pair_format_json(&r, &sb));
	}

	memset(&r, 0, sizeof(r));
	strcpy(r.dst_host, "\a\xff");
	sb_init(&sb, buf, sizeof(buf));
	assert_true(pair_format_json(&r, &sb));
	assert_string_equal(buf, want_empty);
}


/* Records at risk: at face value, and with what may be compressed (not
 * text) multiplied; no payload known: all of it may be. */
static void
test_records_estimate(void **state)
{
	uint64_t kinds[PK_COUNT] = { 0 }, low, high;

	(void)state;
	kinds[PK_TEXT] = 200000;
	kinds[PK_RAR] = 800000;
	alert_records(1000000, kinds, 500, 5, &low, &high);
	assert_int_equal(low, 2000);
	assert_int_equal(high, 8400);   /* (200000 + 800000 x 5) / 500 */
	memset(kinds, 0, sizeof(kinds));
	alert_records(1000, kinds, 500, 5, &low, &high);
	assert_int_equal(low, 2);
	assert_int_equal(high, 10);
	kinds[PK_TEXT] = 7;             /* text only: nothing compressed */
	alert_records(1000, kinds, 500, 5, &low, &high);
	assert_int_equal(low, 2);
	assert_int_equal(high, 2);
	kinds[PK_TEXT] = 0;
	kinds[PK_TLS] = 1;
	alert_records(999, kinds, 1000, 6, &low, &high); /* under one record */
	assert_int_equal(low, 0);
	assert_int_equal(high, 5);
	alert_records(UINT64_MAX, kinds, 1, 5, &low, &high); /* saturates */
	assert_int_equal(low, UINT64_MAX);
	assert_int_equal(high, UINT64_MAX);
}

/* dst_asn and dst_org follow dst_country in alerts and pair rows, only
 * when the autonomous system is known; the organisation is escaped. */
static void
test_as_fields_json(void **state)
{
	struct pair_report r;
	struct alert a;
	char buf[4096];
	struct strbuf sb;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.dst_country = country_parse("HK");
	r.dst_asn = 64496;
	strcpy(r.dst_org, "Ex \"H\"\n\xff");
	sb_init(&sb, buf, sizeof(buf));
	assert_true(pair_format_json(&r, &sb));
	assert_non_null(strstr(buf, ",\"dst_country\":\"HK\",\"dst_asn\":64496,"
	    "\"dst_org\":\"Ex \\\"H\\\"\\n" FFFD "\",\"bytes_out\":0,"));
	r.dst_asn = 0;
	sb_init(&sb, buf, sizeof(buf));
	assert_true(pair_format_json(&r, &sb));
	assert_null(strstr(buf, "dst_asn"));
	assert_null(strstr(buf, "dst_org"));

	memset(&a, 0, sizeof(a));
	a.dst_country = country_parse("HK");
	a.dst_asn = 4294967295u;
	strcpy(a.dst_org, "Org");
	sb_init(&sb, buf, sizeof(buf));
	assert_true(alert_format_json(&a, &sb));
	assert_non_null(strstr(buf, ",\"dst_country\":\"HK\",\"dst_asn\":4294967295,"
	    "\"dst_org\":\"Org\",\"via\":"));
	a.dst_asn = 0;
	sb_init(&sb, buf, sizeof(buf));
	assert_true(alert_format_json(&a, &sb));
	assert_null(strstr(buf, "dst_asn"));
	assert_null(strstr(buf, "dst_org"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects),
		cmocka_unit_test(test_alert_full),
		cmocka_unit_test(test_alert_update),
		cmocka_unit_test(test_alert_text),
		cmocka_unit_test(test_alert_join_and_why),
		cmocka_unit_test(test_alert_src_user_and_ipv6),
		cmocka_unit_test(test_alert_minimal),
		cmocka_unit_test(test_alert_overflow_every_size),
		cmocka_unit_test(test_alert_hostile_fields),
		cmocka_unit_test(test_alert_unterminated_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_invalid_utf8_replaced),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_hostile_10k),
		cmocka_unit_test(test_hostile_host_alert),
		cmocka_unit_test(test_id_exact),
		cmocka_unit_test(test_id_deterministic_and_distinct),
		cmocka_unit_test(test_pair_exact),
		cmocka_unit_test(test_records_estimate),
		cmocka_unit_test(test_as_fields_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
