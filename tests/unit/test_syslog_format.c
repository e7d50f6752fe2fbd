/*
 * test_syslog_format.c - syslog messages for alerts: exact output of every
 * header x body, hostile values parsed back out of every format by strict
 * parsers written here (RFC 5424, RFC 3164, CEF, LEEF 2.0, JSON), and the
 * length limit: at every max_len the message fits, parses, or is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exfild/alert/syslog_format.h"
#include "exfild/util/util.h"

#define TS_ALERT      1411013527123000000ULL /* 2014-09-18T04:12:07.123Z */
#define TS_FIRST_SEEN 1411013518000000000ULL /* 2014-09-18T04:11:58.000Z */
#define TS_EARLY      1410998405007000000ULL /* 2014-09-18T00:00:05.007Z */
#define TS_DAY_5      1409889845000000000ULL /* 2014-09-05T04:04:05.000Z */
#define FFFD "\xef\xbf\xbd"
#define MARKER SYSLOG_TRUNC_MARKER
#define VAL_MAX 4096
#define KV_MAX 64
#define BIG 16384

static const enum output_format formats[] = { OUTPUT_FORMAT_JSON,
	OUTPUT_FORMAT_ECS, OUTPUT_FORMAT_CEF, OUTPUT_FORMAT_LEEF };
static const enum syslog_header headers[] = { SYSLOG_RFC5424, SYSLOG_RFC3164 };

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
	a->title = "Compressed upload to an unfamiliar foreign destination";
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
	a->records_low = 3148;
	a->records_high = 15740;
}

/* What issue 13 added: join keys, a Zeek uid, the learning end, the
 * threshold, an HTTP request (hostile bytes), a CONNECT tunnel, ATT&CK. */
static void
join_fields(struct alert *a, const char *const *attack)
{
	a->proto = 6;
	a->src_port = 51642;
	strcpy(a->community_id, "1:B7YelbOZTwHopzDYJdjc91K9Gy0=");
	strcpy(a->uid, "CHhAvVGS1DHFjwGM9");
	a->learn_end_ns = TS_FIRST_SEEN - 7798000000000ULL; /* 02:02:00 */
	a->finding.threshold = "rules.compressed_upload.bytes";
	a->finding.limit.type = a->finding.value.type = FINDING_U64;
	a->finding.limit.u64 = 1000000;
	a->finding.value.u64 = 1572864;
	strcpy(a->http_method, "POST");
	strcpy(a->http_uri, "/u?a=|^=\\]\"\n\xff");
	strcpy(a->http_user_agent, "UA|^=\\]\"\r\x01");
	strcpy(a->http_filename, "f|^=\\]\".rar");
	a->tunnel_connect = true;
	a->attack = attack;
}

/* IPv6, a user, no destination name, port or country. */
static void
sparse_alert(struct alert *a)
{
	memset(a, 0, sizeof(*a));
	strcpy(a->id, "6de9fed8-5261-8076-9988-54a72d90ac4d");
	a->ts_ns = TS_EARLY;
	a->sensor = "s";
	a->rule = "bulk-upload";
	a->title = "Bulk upload to an unfamiliar foreign destination";
	a->severity = SEV_LOW;
	a->source = "squid-log";
	addr(&a->src, "fd00::1:2");
	addr(&a->dst, "2001:db8::9");
	strcpy(a->src_user, "CORP\\alice");
	a->dst_country = COUNTRY_UNKNOWN;
	a->bytes_out = 5;
	a->first_seen_ns = TS_EARLY - 5007000000ULL;
	a->window_start_ns = TS_EARLY - 5007000000ULL;
}

static const struct syslog_meta meta = { 20, "tap01.corp.example", "exfild",
	4242, 0 };

static int
format_msg(const struct alert *a, enum syslog_header h, enum output_format f,
    const struct syslog_meta *m, size_t max_len, char *buf, size_t cap)
{
	struct strbuf sb;

	sb_init(&sb, buf, cap);
	return syslog_format_message(a, h, f, m, max_len, &sb);
}

/* ---- exact output ---- */

#define SD_FULL                                                              \
	"[exfild@32473 id=\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\" "          \
	"rule=\"compressed-upload\" severity=\"critical\" src=\"10.1.20.21\" " \
	"dst=\"203.0.113.66\" dst_port=\"80\" "                               \
	"dst_host=\"hk-files.example.net\" dst_country=\"HK\" via=\"proxy\" " \
	"bytes_out=\"1574000\" bytes_in=\"4210\" window_s=\"3600\" "          \
	"source=\"pcap\" records_est_low=\"3148\" "                        \
	"records_est_high=\"15740\" "                                      \
	"window_start=\"2014-09-18T04:11:58.000Z\"]"
#define H5424_FULL                                                           \
	"<162>1 2014-09-18T04:12:07.123Z tap01.corp.example exfild 4242 "    \
	"compressed-upload " SD_FULL " "
#define H3164_FULL "<162>Sep 18 04:12:07 tap01.corp.example exfild[4242]: "

#define JSON_FULL                                                            \
	"{\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"kind\":\"alert\","                    \
	"\"ts\":\"2014-09-18T04:12:07.123Z\",\"sensor\":\"hq-proxy-tap\","    \
	"\"rule\":\"compressed-upload\",\"severity\":\"critical\","           \
	"\"source\":\"pcap\",\"src\":\"10.1.20.21\",\"dst\":\"203.0.113.66\"," \
	"\"dst_port\":80,\"dst_host\":\"hk-files.example.net\","              \
	"\"dst_country\":\"HK\",\"via\":\"proxy\",\"bytes_out\":1574000,"      \
	"\"bytes_in\":4210,\"flows\":2,\"window_s\":3600,"                    \
	"\"window_start\":\"2014-09-18T04:11:58.000Z\","                      \
	"\"payload_total\":{\"text\":912,\"rar\":1572864},"                   \
	"\"first_seen\":\"2014-09-18T04:11:58.000Z\","                        \
	"\"records_est_low\":3148,\"records_est_high\":15740}"
#define ECS_FULL                                                             \
	"{\"@timestamp\":\"2014-09-18T04:12:07.123Z\","                       \
	"\"ecs\":{\"version\":\"8.11.0\"},"                                   \
	"\"event\":{\"kind\":\"alert\",\"category\":[\"network\"],"           \
	"\"type\":[\"connection\"],"                                         \
	"\"id\":\"0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c\",\"severity\":10,"    \
	"\"module\":\"exfild\",\"start\":\"2014-09-18T04:11:58.000Z\","       \
	"\"end\":\"2014-09-18T04:12:07.123Z\"},"                              \
	"\"rule\":{\"name\":\"compressed-upload\"},"                          \
	"\"source\":{\"ip\":\"10.1.20.21\",\"bytes\":1574000},"               \
	"\"destination\":{\"ip\":\"203.0.113.66\",\"port\":80,"               \
	"\"domain\":\"hk-files.example.net\",\"bytes\":4210,"                 \
	"\"geo\":{\"country_iso_code\":\"HK\"}},"                             \
	"\"network\":{\"direction\":\"outbound\"},"                           \
	"\"observer\":{\"name\":\"hq-proxy-tap\"},"                           \
	"\"labels\":{\"via\":\"proxy\"},"                                     \
	"\"exfild\":{\"source\":\"pcap\",\"flows\":2,\"window_s\":3600,"      \
	"\"first_seen\":\"2014-09-18T04:11:58.000Z\","                        \
	"\"payload_total\":{\"text\":912,\"rar\":1572864},"                 \
	"\"records_est_low\":3148,\"records_est_high\":15740}}"
#define CEF_FULL                                                             \
	"CEF:0|exfild|exfild|0.1.0|compressed-upload|"                        \
	"Compressed upload to an unfamiliar foreign destination|10|"          \
	"rt=1411013527123 start=1411013518000 dvchost=hq-proxy-tap "          \
	"src=10.1.20.21 dst=203.0.113.66 dpt=80 dhost=hk-files.example.net "  \
	"out=1574000 in=4210 deviceDirection=1 "                              \
	"cs1Label=Destination Country cs1=HK cs2Label=Via cs2=proxy "         \
	"cs3Label=Alert ID cs3=0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c "         \
	"cs4Label=Payload Bytes Total cs4=text:912,rar:1572864 "              \
	"cs5Label=Input Source cs5=pcap cn1Label=Flows cn1=2 "                \
	"cn2Label=Window Seconds cn2=3600 "                                   \
	"exfildRecordsEstLow=3148 exfildRecordsEstHigh=15740 "                \
	"exfildFirstSeen=2014-09-18T04:11:58.000Z"
#define LEEF_FULL                                                            \
	"LEEF:2.0|exfild|exfild|0.1.0|compressed-upload|^|"                   \
	"devTime=Sep 18 2014 04:12:07.123 GMT^"                               \
	"devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z^cat=exfiltration^sev=10^"   \
	"src=10.1.20.21^dst=203.0.113.66^dstPort=80^srcBytes=1574000^"        \
	"dstBytes=4210^alertId=0b7f3c1e-5a2d-8e4f-9c61-2d3e4f5a6b7c^"         \
	"dstHost=hk-files.example.net^dstCountry=HK^via=proxy^flows=2^"       \
	"windowSeconds=3600^payloadTotal=text:912,rar:1572864^"               \
	"sensor=hq-proxy-tap^inputSource=pcap^"                               \
	"exfildRecordsEstLow=3148^exfildRecordsEstHigh=15740^"                \
	"exfildFirstSeen=2014-09-18T04:11:58.000Z"

static const char *const full_bodies[] = { JSON_FULL, ECS_FULL, CEF_FULL,
	LEEF_FULL };

static void
test_exact_full(void **state)
{
	static const char *const want[2][4] = {
		{ H5424_FULL JSON_FULL, H5424_FULL ECS_FULL, H5424_FULL CEF_FULL,
		  H5424_FULL LEEF_FULL },
		{ H3164_FULL JSON_FULL, H3164_FULL ECS_FULL, H3164_FULL CEF_FULL,
		  H3164_FULL LEEF_FULL },
	};
	struct alert a;
	char buf[BIG];
	size_t h, f;

	(void)state;
	full_alert(&a);
	for (h = 0; h < 2; h++) {
		for (f = 0; f < 4; f++) {
			assert_int_equal(format_msg(&a, headers[h], formats[f],
			    &meta, 8192, buf, sizeof(buf)), 0);
			assert_string_equal(buf, want[h][f]);
		}
	}
}

/* Issue 13's fields in every format: exact, the wire's bytes escaped as
 * each format escapes (and U+FFFD where it has no escape). */
#define SD_JOIN                                                              \
	"records_est_high=\"15740\" proto=\"tcp\" src_port=\"51642\" "          \
	"community_id=\"1:B7YelbOZTwHopzDYJdjc91K9Gy0=\" "                     \
	"uid=\"CHhAvVGS1DHFjwGM9\" window_start=\"2014-09-18T04:11:58.000Z\" "   \
	"learn_end=\"2014-09-18T02:02:00.000Z\" "                              \
	"threshold=\"rules.compressed_upload.bytes\" "                         \
	"threshold_limit=\"1000000\" threshold_value=\"1572864\" "             \
	"http_method=\"POST\" http_uri=\"/u?a=|^=\\\\\\]\\\"" FFFD FFFD "\" "    \
	"http_user_agent=\"UA|^=\\\\\\]\\\"" FFFD FFFD "\" "                    \
	"http_filename=\"f|^=\\\\\\]\\\".rar\" tunnel=\"connect\" "             \
	"attack_techniques=\"T1074,T1041,T1048\" "                            \
	"attack_tactics=\"Collection,Exfiltration\"] "

/* Body f (formats[], RFC 5424 header) of the alert holds each of the n
 * strings (present), or none of them. */
static void
expect_body(const struct alert *a, size_t f, const char *const *want, size_t n,
    bool present)
{
	char buf[BIG];
	size_t i;

	assert_int_equal(format_msg(a, SYSLOG_RFC5424, formats[f], &meta, 8192,
	    buf, sizeof(buf)), 0);
	for (i = 0; i < n; i++)
		if ((strstr(buf, want[i]) != NULL) != present)
			fail_msg("format %zu %s %s in %s", f,
			    present ? "lacks" : "has", want[i], buf);
}

static void
test_join_every_format(void **state)
{
	static const char *const attack[] = { "T1074", "T1041", "T1048", NULL };
	static const char *const want[4][5] = {
		{ "\"source\":\"pcap\",\"uid\":\"CHhAvVGS1DHFjwGM9\",",
		  "\"dst_port\":80,\"proto\":\"tcp\",\"src_port\":51642,"
		  "\"community_id\":\"1:B7YelbOZTwHopzDYJdjc91K9Gy0=\",",
		  "\"learn_end\":\"2014-09-18T02:02:00.000Z\",\"records_est_low\":3148,"
		  "\"records_est_high\":15740,"
		  "\"threshold\":\"rules.compressed_upload.bytes\","
		  "\"threshold_limit\":1000000,\"threshold_value\":1572864,"
		  "\"http_method\":\"POST\",\"http_uri\":\"/u?a=|^=\\\\]\\\"\\n" FFFD "\","
		  "\"http_user_agent\":\"UA|^=\\\\]\\\"\\r\\u0001\","
		  "\"http_filename\":\"f|^=\\\\]\\\".rar\",\"tunnel\":\"connect\",",
		  "\"attack\":{\"techniques\":[\"T1074\",\"T1041\",\"T1048\"],"
		  "\"tactics\":[\"Collection\",\"Exfiltration\"]}}", SD_JOIN },
		{ "\"source\":{\"ip\":\"10.1.20.21\",\"port\":51642,",
		  "\"network\":{\"direction\":\"outbound\",\"transport\":\"tcp\","
		  "\"iana_number\":\"6\","
		  "\"community_id\":\"1:B7YelbOZTwHopzDYJdjc91K9Gy0=\"},"
		  "\"http\":{\"request\":{\"method\":\"POST\"}},"
		  "\"url\":{\"original\":\"/u?a=|^=\\\\]\\\"\\n" FFFD "\"},"
		  "\"user_agent\":{\"original\":\"UA|^=\\\\]\\\"\\r\\u0001\"},"
		  "\"file\":{\"name\":\"f|^=\\\\]\\\".rar\"},",
		  "\"threat\":{\"framework\":\"MITRE ATT&CK\",\"technique\":{"
		  "\"id\":[\"T1074\",\"T1041\",\"T1048\"],\"name\":[\"Data Staged\","
		  "\"Exfiltration Over C2 Channel\","
		  "\"Exfiltration Over Alternative Protocol\"]},\"tactic\":{"
		  "\"id\":[\"TA0009\",\"TA0010\"],"
		  "\"name\":[\"Collection\",\"Exfiltration\"]}},"
		  "\"zeek\":{\"session_id\":\"CHhAvVGS1DHFjwGM9\"},",
		  "\"learn_end\":\"2014-09-18T02:02:00.000Z\",\"threshold\":{"
		  "\"name\":\"rules.compressed_upload.bytes\",\"limit\":1000000,"
		  "\"value\":1572864},\"tunnel\":\"connect\",", SD_JOIN },
		{ "src=10.1.20.21 spt=51642 proto=TCP externalId=CHhAvVGS1DHFjwGM9 ",
		  "requestMethod=POST request=/u?a\\=|^\\=\\\\]\"\\n" FFFD " "
		  "requestClientApplication=UA|^\\=\\\\]\"\\r" FFFD " "
		  "fname=f|^\\=\\\\]\".rar ",
		  "flexString1Label=MITRE ATT&CK Techniques "
		  "flexString1=T1074,T1041,T1048 "
		  "flexString2Label=MITRE ATT&CK Tactics "
		  "flexString2=Collection,Exfiltration ",
		  "exfildCommunityId=1:B7YelbOZTwHopzDYJdjc91K9Gy0\\= "
		  "exfildThresholdName=rules.compressed_upload.bytes "
		  "exfildThresholdLimit=1000000 exfildThresholdValue=1572864 "
		  "exfildFirstSeen=2014-09-18T04:11:58.000Z "
		  "exfildLearnEnd=2014-09-18T02:02:00.000Z exfildTunnel=connect",
		  SD_JOIN },
		{ "^srcPort=51642^proto=6^dstPort=80^",
		  "^zeekUid=CHhAvVGS1DHFjwGM9^httpMethod=POST^"
		  "url=/u?a=" FFFD FFFD "=\\]\"" FFFD FFFD "^"
		  "userAgent=UA" FFFD FFFD "=\\]\"" FFFD FFFD "^"
		  "fileName=f" FFFD FFFD "=\\]\".rar^",
		  "^attackTechniques=T1074,T1041,T1048^"
		  "attackTactics=Collection,Exfiltration^",
		  "^exfildCommunityId=1:B7YelbOZTwHopzDYJdjc91K9Gy0=^"
		  "exfildThresholdName=rules.compressed_upload.bytes^"
		  "exfildThresholdLimit=1000000^exfildThresholdValue=1572864^"
		  "exfildFirstSeen=2014-09-18T04:11:58.000Z^"
		  "exfildLearnEnd=2014-09-18T02:02:00.000Z^exfildTunnel=connect",
		  SD_JOIN },
	};
	struct alert a;
	char buf[BIG];
	size_t f;

	(void)state;
	full_alert(&a);
	join_fields(&a, attack);
	for (f = 0; f < 4; f++)
		expect_body(&a, f, want[f], 5, true);
	/* enterprise_number: the SD-ID is the output's */
	{
		struct syslog_meta m = meta;

		m.enterprise_number = 64500;
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, formats[0], &m,
		    8192, buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, " compressed-upload [exfild@64500 id="));
	}
}

/* evidence_dir and sha256 (evidence.enabled) in every format, and
 * nothing of them when they are not set. */
static void
test_evidence_every_format(void **state)
{
#define H1 "b4cd54a1f4de9ecd7ec13c094bdab2e93cda58d2acb72de2548aef1c76402d66"
#define H2 "0741952775575eb6afe5243313f9abdb15483add28efb9114e454e3b133e5247"
#define DIR "20231114T221320Z-compressed-upload-38dc9df8"
	static const char *const want[4][2] = {
		{ "\"evidence_dir\":\"" DIR "\",\"sha256\":[\"" H1 "\",\"" H2 "\"]",
		  "sha256=\"" H1 "," H2 "\"" },
		{ "\"file\":{\"name\":\"f|^=\\\\]\\\".rar\",\"hash\":{\"sha256\":\""
		  H1 "\"}}",
		  "\"evidence_dir\":\"" DIR "\",\"sha256\":[\"" H1 "\",\"" H2 "\"]}" },
		{ "fname=f|^\\=\\\\]\".rar fileHash=" H1 " exfildEvidenceDir=" DIR
		  " exfildSha256=" H1 "," H2 " ",
		  "evidence_dir=\"" DIR "\"" },
		{ "fileName=f" FFFD FFFD "=\\]\".rar^exfildEvidenceDir=" DIR
		  "^exfildSha256=" H1 "," H2 "^",
		  "evidence_dir=\"" DIR "\" sha256=\"" H1 "," H2 "\"" },
	};
	static const char *const keys[] = { "evidence_dir", "sha256",
		"fileHash", "exfildEvidenceDir", "exfildSha256", "hash" };
	static const char *const attack[] = { "T1041", NULL };
	struct alert a;
	size_t f;

	(void)state;
	full_alert(&a);
	join_fields(&a, attack);
	for (f = 0; f < 4; f++)
		expect_body(&a, f, keys, sizeof(keys) / sizeof(keys[0]), false);
	strcpy(a.evidence_dir, DIR);
	strcpy(a.sha256[0], H1);
	strcpy(a.sha256[1], H2);
	a.n_sha256 = 2;
	for (f = 0; f < 4; f++)
		expect_body(&a, f, want[f], 2, true);
#undef H1
#undef H2
#undef DIR
}

static void
test_exact_body(void **state)
{
	struct alert a;
	struct strbuf sb;
	char buf[BIG];
	size_t f;

	(void)state;
	full_alert(&a);
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], 8192, &sb), 0);
		assert_string_equal(buf, full_bodies[f]);
		assert_int_equal(sb.len, strlen(full_bodies[f]));
	}
}

#define H5424_SPARSE                                                         \
	"<13>1 2014-09-18T00:00:05.007Z - - - bulk-upload "                   \
	"[exfild@32473 id=\"6de9fed8-5261-8076-9988-54a72d90ac4d\" "          \
	"rule=\"bulk-upload\" severity=\"low\" src=\"fd00::1:2\" "            \
	"src_user=\"CORP\\\\alice\" dst=\"2001:db8::9\" dst_port=\"0\" "      \
	"dst_host=\"\" dst_country=\"??\" via=\"direct\" bytes_out=\"5\" "    \
	"bytes_in=\"0\" window_s=\"0\" source=\"squid-log\" "               \
	"records_est_low=\"0\" records_est_high=\"0\" "                      \
	"window_start=\"2014-09-18T00:00:00.000Z\"] "
#define ECS_SPARSE                                                           \
	"{\"@timestamp\":\"2014-09-18T00:00:05.007Z\","                       \
	"\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"kind\":\"alert\","     \
	"\"category\":[\"network\"],\"type\":[\"connection\"],"             \
	"\"id\":\"6de9fed8-5261-8076-9988-54a72d90ac4d\",\"severity\":3,"     \
	"\"module\":\"exfild\",\"start\":\"2014-09-18T00:00:00.000Z\","       \
	"\"end\":\"2014-09-18T00:00:05.007Z\"},"                              \
	"\"rule\":{\"name\":\"bulk-upload\"},\"source\":{\"ip\":\"fd00::1:2\"," \
	"\"user\":{\"name\":\"CORP\\\\alice\"},\"bytes\":5},"                 \
	"\"destination\":{\"ip\":\"2001:db8::9\",\"bytes\":0},"               \
	"\"network\":{\"direction\":\"outbound\"},\"observer\":{\"name\":\"s\"}," \
	"\"labels\":{\"via\":\"direct\"},\"exfild\":{\"source\":\"squid-log\"," \
	"\"flows\":0,\"window_s\":0,"                                        \
	"\"first_seen\":\"2014-09-18T00:00:00.000Z\",\"payload_total\":{},"   \
	"\"records_est_low\":0,\"records_est_high\":0}}"
#define CEF_SPARSE                                                           \
	"CEF:0|exfild|exfild|0.1.0|bulk-upload|"                              \
	"Bulk upload to an unfamiliar foreign destination|3|"                 \
	"rt=1410998405007 start=1410998400000 dvchost=s "                     \
	"c6a2Label=Source IPv6 Address c6a2=fd00::1:2 suser=CORP\\\\alice "   \
	"c6a3Label=Destination IPv6 Address c6a3=2001:db8::9 out=5 in=0 "     \
	"deviceDirection=1 cs1Label=Destination Country cs1=?? "              \
	"cs2Label=Via cs2=direct "                                            \
	"cs3Label=Alert ID cs3=6de9fed8-5261-8076-9988-54a72d90ac4d "         \
	"cs4Label=Payload Bytes Total cs4= cs5Label=Input Source cs5=squid-log " \
	"cn1Label=Flows cn1=0 cn2Label=Window Seconds cn2=0 "                 \
	"exfildRecordsEstLow=0 exfildRecordsEstHigh=0 "                      \
	"exfildFirstSeen=2014-09-18T00:00:00.000Z"
#define LEEF_SPARSE                                                          \
	"LEEF:2.0|exfild|exfild|0.1.0|bulk-upload|^|"                         \
	"devTime=Sep 18 2014 00:00:05.007 GMT^"                               \
	"devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z^cat=exfiltration^sev=3^"    \
	"src=fd00::1:2^dst=2001:db8::9^usrName=CORP\\alice^srcBytes=5^"       \
	"dstBytes=0^alertId=6de9fed8-5261-8076-9988-54a72d90ac4d^"            \
	"dstCountry=??^via=direct^flows=0^windowSeconds=0^payloadTotal=^"     \
	"sensor=s^inputSource=squid-log^exfildRecordsEstLow=0^"               \
	"exfildRecordsEstHigh=0^exfildFirstSeen=2014-09-18T00:00:00.000Z"

/* No hostname, app name or procid; IPv6; a user; unknown destination. */
/* An update in each format says what it is, why, and its pair's last
 * traffic; the same struct as an alert says none of it (the control). */
static void
test_update_every_format(void **state)
{
	static const char *const want[4][3] = {
		{ "\"kind\":\"update\"", "\"update_reason\":\"pair_evicted\"",
		  "\"last_seen\":\"2014-09-18T04:12:08.000Z\"" },
		{ "\"event\":{\"kind\":\"state\"", "\"kind\":\"update\","
		  "\"update_reason\":\"pair_evicted\"",
		  "\"last_seen\":\"2014-09-18T04:12:08.000Z\"" },
		{ " exfildKind=update", " exfildUpdateReason=pair_evicted",
		  " exfildLastSeen=1411013528000" },
		{ "^exfildKind=update", "^exfildUpdateReason=pair_evicted",
		  "^exfildLastSeen=1411013528000" },
	};
	struct alert a;
	struct strbuf sb;
	char buf[BIG];
	size_t f, k;

	(void)state;
	full_alert(&a);
	a.kind = ALERT_KIND_UPDATE;
	a.update_reason = "pair_evicted";
	a.last_seen_ns = 1411013528ULL * 1000000000ULL;
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], 8192, &sb), 0);
		for (k = 0; k < 3; k++)
			if (strstr(buf, want[f][k]) == NULL)
				fail_msg("format %zu: no %s in %s", f, want[f][k], buf);
	}
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(syslog_format_message(&a, SYSLOG_RFC5424,
	    OUTPUT_FORMAT_CEF, &meta, 8192, &sb), 0);
	assert_non_null(strstr(buf, " kind=\"update\" update_reason=\"pair_evicted\""
	    " last_seen=\"2014-09-18T04:12:08.000Z\""));
	a.kind = ALERT_KIND_ALERT;
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], 8192, &sb), 0);
		assert_null(strstr(buf, "pair_evicted"));
		assert_null(strstr(buf, "xfildKind"));
		assert_null(strstr(buf, "\"kind\":\"state\""));
		assert_null(strstr(buf, "\"kind\":\"update\""));
	}
}

static void
test_exact_sparse(void **state)
{
	static const struct syslog_meta bare = { 1, NULL, "", 0, 0 };
	static const char *const want[2][3] = {
		{ H5424_SPARSE ECS_SPARSE, H5424_SPARSE CEF_SPARSE,
		  H5424_SPARSE LEEF_SPARSE },
		{ "<13>Sep 18 00:00:05 - -: " ECS_SPARSE,
		  "<13>Sep 18 00:00:05 - -: " CEF_SPARSE,
		  "<13>Sep 18 00:00:05 - -: " LEEF_SPARSE },
	};
	struct alert a;
	char buf[BIG];
	size_t h, f;

	(void)state;
	sparse_alert(&a);
	for (h = 0; h < 2; h++) {
		for (f = 0; f < 3; f++) {
			assert_int_equal(format_msg(&a, headers[h], formats[f + 1],
			    &bare, 8192, buf, sizeof(buf)), 0);
			assert_string_equal(buf, want[h][f]);
		}
	}
}

static void
test_severity_and_priority(void **state)
{
	static const struct {
		enum severity sev;
		const char *pri5424, *pri3164, *cef, *leef, *ecs;
	} cases[] = {
		{ SEV_LOW, "<165>1 ", "<165>", "|3|", "^sev=3^", "\"severity\":3," },
		{ SEV_MEDIUM, "<164>1 ", "<164>", "|5|", "^sev=5^", "\"severity\":5," },
		{ SEV_HIGH, "<163>1 ", "<163>", "|8|", "^sev=8^", "\"severity\":8," },
		{ SEV_CRITICAL, "<162>1 ", "<162>", "|10|", "^sev=10^",
		  "\"severity\":10," },
	};
	struct syslog_meta m = meta;
	struct alert a;
	char buf[BIG];
	size_t i;

	(void)state;
	full_alert(&a);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a.severity = cases[i].sev;
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_CEF,
		    &meta, 8192, buf, sizeof(buf)), 0);
		assert_memory_equal(buf, cases[i].pri5424, strlen(cases[i].pri5424));
		assert_non_null(strstr(buf, cases[i].cef));
		assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_LEEF,
		    &meta, 8192, buf, sizeof(buf)), 0);
		assert_memory_equal(buf, cases[i].pri3164, strlen(cases[i].pri3164));
		assert_non_null(strstr(buf, cases[i].leef));
		assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_ECS,
		    &meta, 8192, buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, cases[i].ecs));
	}
	/* facility 0 (kern) and 23 (local7); outside 0..23 refused */
	a.severity = SEV_HIGH;
	m.facility = 0;
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_JSON, &m,
	    8192, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "<3>Sep", 6);
	m.facility = 23;
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_JSON, &m,
	    8192, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "<187>1 ", 7);
	m.facility = 24;
	strcpy(buf, "untouched");
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_JSON, &m,
	    8192, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	m.facility = -1;
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_JSON, &m,
	    8192, buf, sizeof(buf)), -1);
	m.facility = 4;
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, (enum output_format)9,
	    &m, 8192, buf, sizeof(buf)), -1);
	assert_int_equal(format_msg(&a, (enum syslog_header)7, OUTPUT_FORMAT_CEF,
	    &m, 8192, buf, sizeof(buf)), -1);
}

/* Header fields: printable US-ASCII, RFC 5424 lengths, "-" when empty. */
static void
test_header_fields(void **state)
{
	char host[400], app[100], rule[100], want[1200], buf[BIG];
	struct syslog_meta m = meta;
	struct alert a;

	(void)state;
	full_alert(&a);
	a.ts_ns = TS_DAY_5;
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	memcpy(host, "my host\xc3\xa9", 9);
	memset(app, 'a', sizeof(app) - 1);
	app[sizeof(app) - 1] = '\0';
	app[1] = ':';
	app[2] = '[';
	memset(rule, 'r', sizeof(rule) - 1);
	rule[sizeof(rule) - 1] = '\0';
	rule[0] = ' ';
	a.rule = rule;
	m.hostname = host;
	m.app_name = app;
	m.procid = 2147483647;

	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_LEEF, &m,
	    8192, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "<162>1 2014-09-05T04:04:05.000Z "
	    "my_host__%.*s a:[%.*s 2147483647 _%.*s [exfild@32473 ", 255 - 9,
	    host + 9, 48 - 3, app + 3, 32 - 1, rule + 1);
	assert_memory_equal(buf, want, strlen(want));

	/* RFC 3164: the day space-padded; the tag without ':', '[' and ']' */
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_LEEF, &m,
	    8192, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "<162>Sep  5 04:04:05 my_host__%.*s "
	    "a__%.*s[2147483647]: LEEF:2.0|", 255 - 9, host + 9, 32 - 3, app + 3);
	assert_memory_equal(buf, want, strlen(want));
}

/* ---- strict parsers for what the formats promise ---- */

struct kv {
	char key[128];
	char val[VAL_MAX];
	size_t len;
};

struct kvlist {
	struct kv v[KV_MAX];
	size_t n;
};

static struct kv *
kv_add(struct kvlist *l, const char *key, size_t keylen)
{
	struct kv *e;

	assert_true(l->n < KV_MAX);
	assert_true(keylen < sizeof(e->key));
	e = &l->v[l->n++];
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	e->len = 0;
	return e;
}

static void
kv_putc(struct kv *e, uint8_t c)
{
	assert_true(e->len < VAL_MAX);
	e->val[e->len++] = (char)c;
}

static void
kv_put(struct kv *e, const void *p, size_t n)
{
	assert_true(VAL_MAX - e->len >= n);
	memcpy(e->val + e->len, p, n);
	e->len += n;
}

static const struct kv *
kv_find(const struct kvlist *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

/* Decodes one character by its value (not by byte ranges, as the module
 * does): its length, or 0 when malformed, overlong, a surrogate or above
 * U+10FFFF. */
static size_t
utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min_for_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static void
utf8_encode(struct kv *e, uint32_t cp)
{
	if (cp < 0x80) {
		kv_putc(e, (uint8_t)cp);
	} else if (cp < 0x800) {
		kv_putc(e, (uint8_t)(0xc0 | cp >> 6));
		kv_putc(e, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		kv_putc(e, (uint8_t)(0xe0 | cp >> 12));
		kv_putc(e, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		kv_putc(e, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		kv_putc(e, (uint8_t)(0xf0 | cp >> 18));
		kv_putc(e, (uint8_t)(0x80 | (cp >> 12 & 0x3f)));
		kv_putc(e, (uint8_t)(0x80 | (cp >> 6 & 0x3f)));
		kv_putc(e, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* The whole message: well-formed UTF-8, no C0 control or DEL (one line). */
static void
assert_clean_text(const char *s, size_t n)
{
	const uint8_t *d = (const uint8_t *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_decode(d + i, n - i, &cp);
		assert_true(k > 0);
		assert_true(cp >= 0x20 && cp != 0x7f);
		i += k;
	}
}

/* What a value must read back as. */
enum oracle { OR_JSON, OR_SD, OR_CEF, OR_LEEF };

static void
oracle_value(const char *in, size_t n, enum oracle o, struct kv *out)
{
	const uint8_t *d = (const uint8_t *)in;
	size_t i = 0, k;
	uint32_t cp;
	bool keep;

	out->len = 0;
	while (i < n) {
		k = utf8_decode(d + i, n - i, &cp);
		if (k == 0) {
			kv_put(out, FFFD, 3);
			i++;
			continue;
		}
		keep = true;
		if (o != OR_JSON && (cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)))
			keep = o == OR_CEF && (cp == '\n' || cp == '\r');
		if (o == OR_LEEF && (cp == '^' || cp == '|'))
			keep = false;
		if (keep)
			kv_put(out, d + i, k);
		else
			kv_put(out, FFFD, 3);
		i += k;
	}
}

/* -- JSON (RFC 8259), leaves recorded by their dotted path -- */

struct jp {
	const char *p;
	size_t len, off;
	struct kvlist *out;
};

static void jp_value(struct jp *j, const char *path, int depth);

static uint8_t
jp_peek(const struct jp *j)
{
	assert_true(j->off < j->len);
	return (uint8_t)j->p[j->off];
}

static void
jp_expect(struct jp *j, char c)
{
	assert_int_equal(jp_peek(j), (uint8_t)c);
	j->off++;
}

static unsigned
jp_hex4(struct jp *j)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = jp_peek(j);

		j->off++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			fail_msg("bad \\u escape");
	}
	return v;
}

/* A string, decoded into e. */
static void
jp_string(struct jp *j, struct kv *e)
{
	const uint8_t *d = (const uint8_t *)j->p;
	size_t k;
	uint32_t cp;
	uint8_t c;

	jp_expect(j, '"');
	for (;;) {
		c = jp_peek(j);
		if (c == '"')
			break;
		assert_true(c >= 0x20);
		if (c != '\\') {
			k = utf8_decode(d + j->off, j->len - j->off, &cp);
			assert_true(k > 0);
			kv_put(e, d + j->off, k);
			j->off += k;
			continue;
		}
		j->off++;
		c = jp_peek(j);
		j->off++;
		switch (c) {
		case '"': case '\\': case '/':
			kv_putc(e, c);
			break;
		case 'b': kv_putc(e, '\b'); break;
		case 'f': kv_putc(e, '\f'); break;
		case 'n': kv_putc(e, '\n'); break;
		case 'r': kv_putc(e, '\r'); break;
		case 't': kv_putc(e, '\t'); break;
		case 'u':
			cp = jp_hex4(j);
			assert_true(cp < 0xd800 || cp > 0xdfff);
			utf8_encode(e, cp);
			break;
		default:
			fail_msg("bad escape \\%c", c);
		}
	}
	j->off++;
}

static void
jp_join(char *out, size_t outlen, const char *path, const char *key)
{
	size_t pl = strlen(path), kl = strlen(key), o = 0;

	assert_true(pl + 1 + kl < outlen);
	memcpy(out, path, pl);
	o = pl;
	if (pl > 0)
		out[o++] = '.';
	memcpy(out + o, key, kl);
	out[o + kl] = '\0';
}

static void
jp_object(struct jp *j, const char *path, int depth)
{
	struct kv *key = calloc(1, sizeof(*key));
	char sub[128];

	assert_non_null(key);
	jp_expect(j, '{');
	if (jp_peek(j) == '}') {
		j->off++;
		free(key);
		return;
	}
	for (;;) {
		key->len = 0;
		jp_string(j, key);
		kv_putc(key, '\0');
		jp_expect(j, ':');
		jp_join(sub, sizeof(sub), path, key->val);
		jp_value(j, sub, depth + 1);
		if (jp_peek(j) == '}')
			break;
		jp_expect(j, ',');
	}
	j->off++;
	free(key);
}

/* An array's elements as path.0, path.1, ... */
static void
jp_array(struct jp *j, const char *path, int depth)
{
	char sub[128], idx[8];
	int i = 0;

	jp_expect(j, '[');
	if (jp_peek(j) == ']') {
		j->off++;
		return;
	}
	for (;;) {
		snprintf(idx, sizeof(idx), "%d", i++);
		jp_join(sub, sizeof(sub), path, idx);
		jp_value(j, sub, depth + 1);
		if (jp_peek(j) == ']')
			break;
		jp_expect(j, ',');
	}
	j->off++;
}

static void
jp_value(struct jp *j, const char *path, int depth)
{
	struct kv *e;
	size_t start = j->off;
	uint8_t c;

	assert_true(depth < 8);
	c = jp_peek(j);
	if (c == '{') {
		jp_object(j, path, depth);
		return;
	}
	if (c == '[') {
		jp_array(j, path, depth);
		return;
	}
	e = kv_add(j->out, path, strlen(path));
	if (c == '"') {
		jp_string(j, e);
		return;
	}
	/* numbers: non-negative integers are all we write */
	assert_true(c >= '0' && c <= '9');
	while (j->off < j->len && j->p[j->off] >= '0' && j->p[j->off] <= '9')
		j->off++;
	assert_true(j->p[start] != '0' || j->off - start == 1);
	kv_put(e, j->p + start, j->off - start);
}

static void
parse_json(const char *s, size_t n, struct kvlist *out)
{
	struct jp j = { s, n, 0, out };

	jp_value(&j, "", 0);
	assert_int_equal(j.off, n);
}

/* -- CEF: header split on unescaped '|', extension on unescaped '=' -- */

static void
cef_unescape(const char *s, size_t n, bool header, struct kv *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			assert_true(header ? s[i] != '|' : s[i] != '=');
			kv_putc(e, (uint8_t)s[i]);
			continue;
		}
		assert_true(i + 1 < n);
		i++;
		if (s[i] == '\\' || s[i] == (header ? '|' : '='))
			kv_putc(e, (uint8_t)s[i]);
		else if (!header && s[i] == 'n')
			kv_putc(e, '\n');
		else if (!header && s[i] == 'r')
			kv_putc(e, '\r');
		else
			fail_msg("bad CEF escape \\%c", s[i]);
	}
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static void
parse_cef(const char *s, size_t n, struct kvlist *hdr, struct kvlist *ext)
{
	size_t i = 0, field = 0, from = 0, eq[KV_MAX], neq = 0, k, ks, ve;
	char name[16];
	struct kv *e;

	/* 7 header fields, each ended by an unescaped '|' */
	while (field < 7) {
		assert_true(i < n);
		if (s[i] == '\\') {
			i += 2;
			continue;
		}
		if (s[i] == '|') {
			snprintf(name, sizeof(name), "h%zu", field);
			e = kv_add(hdr, name, strlen(name));
			cef_unescape(s + from, i - from, true, e);
			field++;
			from = i + 1;
		}
		i++;
	}
	assert_string_equal(hdr->v[0].key, "h0");
	assert_int_equal(hdr->v[0].len, 5);
	assert_memory_equal(hdr->v[0].val, "CEF:0", 5);
	/* the unescaped '=' of the extension */
	for (i = from; i < n; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (s[i] == '=') {
			assert_true(neq < KV_MAX);
			eq[neq++] = i;
		}
	}
	for (k = 0; k < neq; k++) {
		for (ks = eq[k]; ks > from && is_key_char(s[ks - 1]); ks--)
			;
		assert_true(ks < eq[k]);
		assert_true(ks == from || s[ks - 1] == ' ');
		if (k + 1 < neq) {
			for (ve = eq[k + 1]; ve > eq[k] && is_key_char(s[ve - 1]); ve--)
				;
			assert_true(ve > eq[k] + 0 && s[ve - 1] == ' ');
			ve--;
		} else {
			ve = n;
		}
		e = kv_add(ext, s + ks, eq[k] - ks);
		cef_unescape(s + eq[k] + 1, ve - eq[k] - 1, false, e);
	}
}

/* -- LEEF 2.0 -- */

static void
parse_leef(const char *s, size_t n, struct kvlist *hdr, struct kvlist *attr)
{
	size_t i = 0, field = 0, from = 0, end, eq;
	char name[16];
	struct kv *e;

	while (field < 6) {
		assert_true(i < n);
		if (s[i] == '|') {
			snprintf(name, sizeof(name), "h%zu", field);
			e = kv_add(hdr, name, strlen(name));
			kv_put(e, s + from, i - from);
			field++;
			from = i + 1;
		}
		i++;
	}
	assert_int_equal(hdr->v[0].len, 8);
	assert_memory_equal(hdr->v[0].val, "LEEF:2.0", 8);
	assert_int_equal(hdr->v[5].len, 1);
	assert_int_equal(hdr->v[5].val[0], SYSLOG_LEEF_DELIM);
	while (from < n) {
		const char *d = memchr(s + from, SYSLOG_LEEF_DELIM, n - from);

		end = d != NULL ? (size_t)(d - s) : n;
		for (eq = from; eq < end && s[eq] != '='; eq++)
			assert_true(is_key_char(s[eq]));
		assert_true(eq > from && eq < end);
		e = kv_add(attr, s + from, eq - from);
		kv_put(e, s + eq + 1, end - eq - 1);
		from = end + 1;
		assert_true(d == NULL || from < n);
	}
}

/* -- RFC 5424 and RFC 3164 headers -- */

struct parsed {
	struct kvlist hdr;  /* h0 PRI, h1 TIMESTAMP, h2 HOSTNAME ... */
	struct kvlist sd;   /* PARAM-NAME -> PARAM-VALUE */
	struct kvlist bhdr; /* CEF/LEEF header fields */
	struct kvlist body; /* body fields */
	const char *msg;
};

/* A header token: printable US-ASCII up to the next space. */
static size_t
header_token(const char *s, size_t n, size_t i, size_t max, struct kvlist *l)
{
	size_t from = i;
	char name[16];
	struct kv *e;

	while (i < n && s[i] != ' ') {
		assert_true((uint8_t)s[i] >= 33 && (uint8_t)s[i] <= 126);
		i++;
	}
	assert_true(i > from && i - from <= max);
	assert_true(i < n);
	snprintf(name, sizeof(name), "h%zu", l->n);
	e = kv_add(l, name, strlen(name));
	kv_put(e, s + from, i - from);
	return i + 1;
}

static size_t
parse_pri(const char *s, size_t n, struct kvlist *hdr)
{
	size_t i = 1;
	struct kv *e;

	assert_true(n > 3 && s[0] == '<');
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	assert_true(i > 1 && i <= 4 && i < n && s[i] == '>');
	e = kv_add(hdr, "h0", 2);
	kv_put(e, s + 1, i - 1);
	assert_true(atoi(e->val) <= 191);
	return i + 1;
}

/* [SD-ID *(SP PARAM-NAME="PARAM-VALUE")] with \" \\ \] unescaped */
static size_t
parse_sd(const char *s, size_t n, size_t i, struct kvlist *sd)
{
	static const char id[] = "[" SYSLOG_SD_ID;
	size_t from;
	struct kv *e;

	assert_true(n - i > sizeof(id) && memcmp(s + i, id, sizeof(id) - 1) == 0);
	i += sizeof(id) - 1;
	while (s[i] == ' ') {
		from = ++i;
		while (i < n && s[i] != '=') {
			assert_true(s[i] > 32 && s[i] < 127 && s[i] != ']' &&
			    s[i] != '"');
			i++;
		}
		assert_true(i > from && i - from <= 32 && n - i > 2);
		e = kv_add(sd, s + from, i - from);
		assert_int_equal(s[++i], '"');
		for (i++; i < n && s[i] != '"'; i++) {
			assert_int_not_equal(s[i], ']');
			if (s[i] == '\\') {
				i++;
				assert_true(i < n && (s[i] == '"' || s[i] == '\\' ||
				    s[i] == ']'));
			}
			kv_putc(e, (uint8_t)s[i]);
		}
		assert_true(i < n);
		i++;
	}
	assert_true(i < n && s[i] == ']');
	assert_true(n - i > 1 && s[i + 1] == ' ');
	return i + 2;
}

static size_t
parse_rfc5424(const char *s, size_t n, struct parsed *p)
{
	size_t i = parse_pri(s, n, &p->hdr);

	assert_true(n - i > 2 && s[i] == '1' && s[i + 1] == ' ');
	i += 2;
	i = header_token(s, n, i, 24, &p->hdr);   /* TIMESTAMP */
	assert_int_equal(p->hdr.v[1].len, 24);
	i = header_token(s, n, i, 255, &p->hdr);  /* HOSTNAME */
	i = header_token(s, n, i, 48, &p->hdr);   /* APP-NAME */
	i = header_token(s, n, i, 128, &p->hdr);  /* PROCID */
	i = header_token(s, n, i, 32, &p->hdr);   /* MSGID */
	return parse_sd(s, n, i, &p->sd);
}

static size_t
parse_rfc3164(const char *s, size_t n, struct parsed *p)
{
	size_t i = parse_pri(s, n, &p->hdr), from;
	struct kv *e;

	assert_true(n - i > 16);
	assert_true(s[i + 3] == ' ' && s[i + 6] == ' ' && s[i + 9] == ':' &&
	    s[i + 12] == ':' && s[i + 15] == ' ');
	e = kv_add(&p->hdr, "h1", 2);
	kv_put(e, s + i, 15);
	i = header_token(s, n, i + 16, 255, &p->hdr);    /* HOSTNAME */
	from = i;
	while (i < n && s[i] != ':' && s[i] != '[') {
		assert_true((uint8_t)s[i] >= 33 && (uint8_t)s[i] <= 126);
		i++;
	}
	assert_true(i > from && i - from <= 32 && i < n);
	e = kv_add(&p->hdr, "h3", 2);
	kv_put(e, s + from, i - from);
	if (s[i] == '[') {
		for (from = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		assert_true(i > from && i < n && s[i] == ']');
		i++;
	}
	assert_true(n - i > 2 && s[i] == ':' && s[i + 1] == ' ');
	return i + 2;
}

static void
parse_body(const char *s, size_t n, enum output_format f, struct parsed *p)
{
	switch (f) {
	case OUTPUT_FORMAT_JSON:
	case OUTPUT_FORMAT_ECS:
		parse_json(s, n, &p->body);
		break;
	case OUTPUT_FORMAT_CEF:
		parse_cef(s, n, &p->bhdr, &p->body);
		break;
	case OUTPUT_FORMAT_LEEF:
		parse_leef(s, n, &p->bhdr, &p->body);
		break;
	}
}

/* Parses a whole message (with_header) or a body; asserts on anything
 * malformed. p is zeroed first. */
static void
parse_message(const char *s, size_t n, bool with_header,
    enum syslog_header h, enum output_format f, struct parsed *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	assert_clean_text(s, n);
	if (with_header)
		i = h == SYSLOG_RFC5424 ? parse_rfc5424(s, n, p) :
		    parse_rfc3164(s, n, p);
	p->msg = s + i;
	parse_body(s + i, n - i, f, p);
}

static const char *
host_key(enum output_format f)
{
	static const char *const keys[] = { "dst_host", "destination.domain",
		"dhost", "dstHost" };

	return keys[f];
}

static const char *
user_key(enum output_format f)
{
	static const char *const keys[] = { "src_user", "source.user.name",
		"suser", "usrName" };

	return keys[f];
}

static enum oracle
body_oracle(enum output_format f)
{
	static const enum oracle o[] = { OR_JSON, OR_JSON, OR_CEF, OR_LEEF };

	return o[f];
}

/* ---- the parsers reject what they should (they can fail) ---- */

static void
test_parsers_accept_reference(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	const struct kv *v;
	struct alert a;
	char buf[BIG];
	size_t h, f;

	(void)state;
	assert_non_null(p);
	full_alert(&a);
	for (h = 0; h < 2; h++) {
		for (f = 0; f < 4; f++) {
			assert_int_equal(format_msg(&a, headers[h], formats[f],
			    &meta, 8192, buf, sizeof(buf)), 0);
			parse_message(buf, strlen(buf), true, headers[h],
			    formats[f], p);
			v = kv_find(&p->body, host_key(formats[f]));
			assert_non_null(v);
			assert_int_equal(v->len, 20);
			assert_memory_equal(v->val, "hk-files.example.net", 20);
			if (h == 0) {
				v = kv_find(&p->sd, "dst_host");
				assert_non_null(v);
				assert_memory_equal(v->val, "hk-files.example.net", 20);
				assert_int_equal(p->sd.n, 16);
				assert_string_equal(p->hdr.v[5].val, "compressed-upload");
			} else {
				assert_string_equal(p->hdr.v[3].val, "exfild");
			}
		}
	}
	free(p);
}

/* ---- hostile values in every format ---- */

struct hostile {
	const char *name;
	const char *s;
};

static const struct hostile hostile_values[] = {
	{ "pipe", "a|b|c" },
	{ "equals", "a=b==c" },
	{ "backslash", "a\\b\\\\c\\" },
	{ "bracket", "a]b]" },
	{ "quote", "a\"b\"" },
	{ "caret", "a^b^" },
	{ "lf", "a\nb\n" },
	{ "cr", "a\rb\r\n" },
	{ "tab", "a\tb" },
	{ "controls", "\x01\x1b[31mred\x7f" },
	{ "nel-c1", "a\xc2\x85" "b\xc2\x9f" },
	{ "ff-fe", "\xff\xfe" "evil" },
	{ "overlong", "a\xc0\xaf" "b" },
	{ "lone-continuation", "\x80" "a\xbf" },
	{ "cut-sequence", "\xe3\x81" "z\xf0\x9f" },
	{ "surrogate", "\xed\xa0\x80" },
	{ "above-10ffff", "\xf4\x90\x80\x80" },
	{ "valid-multibyte", "b\xc3\xbc" "cher.\xe4\xbe\x8b.jp\xf0\x9f\x98\x80" },
	{ "line-separator", "a\xe2\x80\xa8" "b" },
	{ "everything", "|=\\]\"^\n\r\x01\xff\xc0\xaf\x80 ]\\\"=|" },
	{ "escape-like", "\\n\\r\\=\\|x" },
};

/* A 10 KB host as the wire sent it; the alert keeps its first 255 bytes. */
static void
make_10k(char *out, size_t n)
{
	static const char piece[] = "|=\\]\"^\n\x01\xff\xc0\xaf\x80\xc3\xbc"
	    "\xe4\xbe\x8b\xf0\x9f\x98\x80x.";
	size_t i;

	for (i = 0; i < n - 1; i++)
		out[i] = piece[i % (sizeof(piece) - 1)];
	out[n - 1] = '\0';
}

/* Both wire fields carry s; every place they show up reads back right. */
static void
check_hostile(const char *host, const char *user, struct parsed *p,
    struct kv *want)
{
	struct alert a;
	struct strbuf sb;
	const struct kv *v;
	char buf[BIG];
	size_t h, f;

	full_alert(&a);
	str_copy(a.dst_host, host, sizeof(a.dst_host));
	str_copy(a.src_user, user, sizeof(a.src_user));
	for (f = 0; f < 4; f++) {
		for (h = 0; h < 3; h++) {
			sb_init(&sb, buf, sizeof(buf));
			if (h < 2) {
				assert_int_equal(syslog_format_message(&a, headers[h],
				    formats[f], &meta, 8192, &sb), 0);
			} else {
				assert_int_equal(syslog_format_body(&a, formats[f],
				    8192, &sb), 0);
			}
			assert_null(strstr(buf, MARKER));
			parse_message(buf, sb.len, h < 2, headers[h % 2],
			    formats[f], p);
			v = kv_find(&p->body, host_key(formats[f]));
			assert_non_null(v);
			oracle_value(a.dst_host, strlen(a.dst_host),
			    body_oracle(formats[f]), want);
			assert_int_equal(v->len, want->len);
			assert_memory_equal(v->val, want->val, want->len);
			v = kv_find(&p->body, user_key(formats[f]));
			assert_non_null(v);
			oracle_value(a.src_user, strlen(a.src_user),
			    body_oracle(formats[f]), want);
			assert_int_equal(v->len, want->len);
			assert_memory_equal(v->val, want->val, want->len);
			if (h != 0)
				continue;
			v = kv_find(&p->sd, "dst_host");
			assert_non_null(v);
			oracle_value(a.dst_host, strlen(a.dst_host), OR_SD, want);
			assert_int_equal(v->len, want->len);
			assert_memory_equal(v->val, want->val, want->len);
			v = kv_find(&p->sd, "src_user");
			assert_non_null(v);
			oracle_value(a.src_user, strlen(a.src_user), OR_SD, want);
			assert_int_equal(v->len, want->len);
			assert_memory_equal(v->val, want->val, want->len);
		}
	}
}

static void
test_hostile_values(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct kv *want = calloc(1, sizeof(*want));
	size_t i;

	(void)state;
	assert_non_null(p);
	assert_non_null(want);
	for (i = 0; i < sizeof(hostile_values) / sizeof(hostile_values[0]); i++)
		check_hostile(hostile_values[i].s, hostile_values[i].s, p, want);
	free(p);
	free(want);
}

static void
test_hostile_10k(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct kv *want = calloc(1, sizeof(*want));
	char *big = malloc(10240);

	(void)state;
	assert_non_null(p);
	assert_non_null(want);
	assert_non_null(big);
	make_10k(big, 10240);
	check_hostile(big, big + 7, p, want);
	free(big);
	free(p);
	free(want);
}

/* Expected renderings of a few, spelled out (the oracle could be wrong). */
static void
test_hostile_exact(void **state)
{
	static const struct {
		enum output_format f;
		const char *want;
	} cases[] = {
		{ OUTPUT_FORMAT_CEF, " dhost=|\\=\\\\]\"^\\n\\r" FFFD FFFD FFFD FFFD
		  FFFD " ]\\\\\"\\=| " },
		{ OUTPUT_FORMAT_LEEF, "^dstHost=" FFFD "=\\]\"" FFFD FFFD FFFD
		  FFFD FFFD FFFD FFFD FFFD " ]\\\"=" FFFD "^" },
		{ OUTPUT_FORMAT_JSON, "\"dst_host\":\"|=\\\\]\\\"^\\n\\r\\u0001"
		  FFFD FFFD FFFD FFFD " ]\\\\\\\"=|\"" },
		{ OUTPUT_FORMAT_ECS, "\"domain\":\"|=\\\\]\\\"^\\n\\r\\u0001"
		  FFFD FFFD FFFD FFFD " ]\\\\\\\"=|\"" },
	};
	static const char sd_want[] = " dst_host=\"|=\\\\\\]\\\"^" FFFD FFFD
	    FFFD FFFD FFFD FFFD FFFD " \\]\\\\\\\"=|\" ";
	struct alert a;
	char buf[BIG];
	size_t i;

	(void)state;
	full_alert(&a);
	strcpy(a.dst_host, "|=\\]\"^\n\r\x01\xff\xc0\xaf\x80 ]\\\"=|");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, cases[i].f, &meta,
		    8192, buf, sizeof(buf)), 0);
		assert_non_null(strstr(buf, cases[i].want));
		assert_non_null(strstr(buf, sd_want));
	}
}

/* ---- length ---- */

static void
long_hostile_alert(struct alert *a)
{
	char big[1024];

	static const char *const attack[] = { "T1041", "T1048", "T1567", "T1020",
		NULL };

	full_alert(a);
	make_10k(big, sizeof(big));
	str_copy(a->dst_host, big, sizeof(a->dst_host));
	str_copy(a->src_user, big + 3, sizeof(a->src_user));
	/* and every field issue 13 added, the wire's hostile and long */
	join_fields(a, attack);
	str_copy(a->http_uri, big + 5, sizeof(a->http_uri));
	str_copy(a->http_user_agent, big + 7, sizeof(a->http_user_agent));
	str_copy(a->http_filename, big + 11, sizeof(a->http_filename));
}

/*
 * A shortened value: the whole expected value, or a prefix of it (ending
 * on a character of the input) followed by the marker.
 */
static void
assert_prefix_or_whole(const struct kv *v, const struct kv *whole)
{
	size_t n;

	if (v->len == whole->len && memcmp(v->val, whole->val, v->len) == 0)
		return;
	assert_true(v->len >= 3);
	n = v->len - 3;
	assert_memory_equal(v->val + n, MARKER, 3);
	assert_true(n < whole->len);
	assert_memory_equal(v->val, whole->val, n);
}

static void
check_shortened(const struct alert *a, const struct parsed *p, bool header,
    enum syslog_header h, enum output_format f, struct kv *whole)
{
	const struct kv *v;

	v = kv_find(&p->body, host_key(f));
	assert_non_null(v);
	oracle_value(a->dst_host, strlen(a->dst_host), body_oracle(f), whole);
	assert_prefix_or_whole(v, whole);
	v = kv_find(&p->body, user_key(f));
	assert_non_null(v);
	oracle_value(a->src_user, strlen(a->src_user), body_oracle(f), whole);
	assert_prefix_or_whole(v, whole);
	if (!header || h != SYSLOG_RFC5424)
		return;
	v = kv_find(&p->sd, "dst_host");
	assert_non_null(v);
	oracle_value(a->dst_host, strlen(a->dst_host), OR_SD, whole);
	assert_prefix_or_whole(v, whole);
}

/*
 * For max_len 0..9000: -1 below the smallest message that fits (out left
 * as it was), then a message of at most max_len bytes that parses, whose
 * wire fields are whole or cut with the marker, appended after what out
 * held. Returns the smallest length that fitted.
 */
static size_t
sweep(const struct alert *a, bool header, enum syslog_header h,
    enum output_format f, struct parsed *p, struct kv *whole)
{
	static const char prefix[] = "framing ";
	const size_t plen = sizeof(prefix) - 1;
	size_t max_len, min_ok = 0, full = 0;
	struct strbuf sb;
	char buf[BIG];
	int rc;

	for (max_len = 0; max_len <= 9000; max_len++) {
		sb_init(&sb, buf, sizeof(buf));
		sb_puts(&sb, prefix);
		rc = header ? syslog_format_message(a, h, f, &meta, max_len, &sb) :
		    syslog_format_body(a, f, max_len, &sb);
		if (rc != 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(min_ok, 0);
			assert_int_equal(sb.len, plen);
			assert_false(sb.overflow);
			assert_string_equal(buf, prefix);
			continue;
		}
		if (min_ok == 0)
			min_ok = max_len;
		assert_false(sb.overflow);
		assert_true(sb.len - plen <= max_len);
		assert_memory_equal(buf, prefix, plen);
		if (full != 0) {
			/* once whole, always whole (and the same bytes) */
			assert_int_equal(sb.len - plen, full);
			continue;
		}
		parse_message(buf + plen, sb.len - plen, header, h, f, p);
		check_shortened(a, p, header, h, f, whole);
		if (strstr(buf, MARKER) == NULL)
			full = sb.len - plen;
	}
	assert_true(min_ok > 0);
	assert_true(full > 0);
	return min_ok;
}

static void
test_length_sweep(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct kv *whole = calloc(1, sizeof(*whole));
	struct alert a;
	size_t h, f, min;

	(void)state;
	assert_non_null(p);
	assert_non_null(whole);
	long_hostile_alert(&a);
	for (f = 0; f < 4; f++) {
		for (h = 0; h < 3; h++) {
			min = sweep(&a, h < 2, headers[h % 2], formats[f], p, whole);
			assert_true(min > 200 && min < SYSLOG_MIN_MESSAGE);
		}
	}
	free(p);
	free(whole);
}

/* The smallest message keeps nothing of the wire fields but the marker. */
static void
test_length_minimum_exact(void **state)
{
	static const char host_cut[] = "\"dst_host\":\"" MARKER "\"";
	static const char user_cut[] = "\"src_user\":\"" MARKER "\"";
	struct alert a;
	char buf[BIG];
	size_t max_len;
	int rc = -1;

	(void)state;
	long_hostile_alert(&a);
	for (max_len = 0; rc != 0; max_len++)
		rc = format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_JSON, &meta,
		    max_len, buf, sizeof(buf));
	assert_non_null(strstr(buf, host_cut));
	assert_non_null(strstr(buf, user_cut));
	/* the same alert with its wire fields "…" is exactly as long */
	str_copy(a.dst_host, MARKER, sizeof(a.dst_host));
	str_copy(a.src_user, MARKER, sizeof(a.src_user));
	str_copy(a.http_uri, MARKER, sizeof(a.http_uri));
	str_copy(a.http_user_agent, MARKER, sizeof(a.http_user_agent));
	str_copy(a.http_filename, MARKER, sizeof(a.http_filename));
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_JSON,
	    &meta, 8192, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), max_len - 1);
}

/* Cut exactly where the message runs out, never inside a character. */
static void
test_length_cut_point(void **state)
{
	struct alert a;
	char buf[BIG], want[BIG];
	size_t full, base, max_len;

	(void)state;
	full_alert(&a);
	/* 80 x "é" (2 bytes each): 160 bytes */
	memset(a.dst_host, 0, sizeof(a.dst_host));
	for (size_t i = 0; i < 80; i++)
		memcpy(a.dst_host + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_CEF, &meta,
	    8192, buf, sizeof(buf)), 0);
	full = strlen(buf);
	base = full - 160;                /* everything but the host */
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_CEF, &meta,
	    full - 1, buf, sizeof(buf)), 0);
	/* 160 - 1 bytes of room for host + marker: 78 characters + "…" */
	assert_int_equal(strlen(buf), base + 156 + 3);
	for (max_len = base + 3; max_len < full; max_len++) {
		size_t keep = (max_len - base - 3) / 2 * 2;

		assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_CEF,
		    &meta, max_len, buf, sizeof(buf)), 0);
		snprintf(want, sizeof(want), " dhost=%.*s" MARKER " ", (int)keep,
		    a.dst_host);
		assert_non_null(strstr(buf, want));
		assert_int_equal(strlen(buf), base + keep + 3);
	}
	assert_int_equal(format_msg(&a, SYSLOG_RFC3164, OUTPUT_FORMAT_CEF, &meta,
	    base + 2, buf, sizeof(buf)), -1);
}

/* The buffer's room limits too; an overflowed buffer is refused. */
static void
test_buffer_room(void **state)
{
	struct alert a;
	struct strbuf sb;
	char buf[700];
	size_t full;

	(void)state;
	full_alert(&a);
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(syslog_format_message(&a, SYSLOG_RFC3164,
	    OUTPUT_FORMAT_CEF, &meta, 8192, &sb), 0);
	full = sb.len;
	assert_int_equal(full, strlen(H3164_FULL CEF_FULL));
	/* room for exactly the message: fits whole */
	sb_init(&sb, buf, full + 1);
	assert_int_equal(syslog_format_message(&a, SYSLOG_RFC3164,
	    OUTPUT_FORMAT_CEF, &meta, 8192, &sb), 0);
	assert_string_equal(buf, H3164_FULL CEF_FULL);
	/* one byte less: the host is shortened */
	sb_init(&sb, buf, full);
	assert_int_equal(syslog_format_message(&a, SYSLOG_RFC3164,
	    OUTPUT_FORMAT_CEF, &meta, 8192, &sb), 0);
	assert_false(sb.overflow);
	assert_non_null(strstr(buf, " dhost=hk-files.example" MARKER " "));
	assert_true(sb.len <= full - 1);
	/* overflowed before: refused, untouched */
	sb_init(&sb, buf, 4);
	sb_puts(&sb, "toolong");
	assert_true(sb.overflow);
	assert_int_equal(syslog_format_message(&a, SYSLOG_RFC3164,
	    OUTPUT_FORMAT_CEF, &meta, 8192, &sb), -1);
	assert_true(sb.overflow);
	assert_string_equal(buf, "too");
	/* no room at all */
	sb_init(&sb, buf, 0);
	assert_int_equal(syslog_format_body(&a, OUTPUT_FORMAT_JSON, 8192, &sb), -1);
}

/* Nothing to shorten: a message too long for reasons of its own fails. */
static void
test_nothing_to_shorten(void **state)
{
	struct alert a;
	char buf[BIG];

	(void)state;
	full_alert(&a);
	a.dst_host[0] = '\0';
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_LEEF, &meta,
	    8192, buf, sizeof(buf)), 0);
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_LEEF, &meta,
	    strlen(buf), buf, sizeof(buf)), 0);
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_LEEF, &meta,
	    strlen(buf) - 1, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
}

/* Fields filled to the brim, without their NUL, are read within bounds. */
static void
test_unterminated_fields(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	const struct kv *v;
	struct alert a;
	char buf[BIG];
	size_t f;

	(void)state;
	assert_non_null(p);
	full_alert(&a);
	memset(a.dst_host, 'h', sizeof(a.dst_host));
	memset(a.src_user, 'u', sizeof(a.src_user));
	for (f = 0; f < 4; f++) {
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, formats[f], &meta,
		    8192, buf, sizeof(buf)), 0);
		parse_message(buf, strlen(buf), true, SYSLOG_RFC5424, formats[f], p);
		v = kv_find(&p->body, host_key(formats[f]));
		assert_non_null(v);
		assert_int_equal(v->len, sizeof(a.dst_host));
		v = kv_find(&p->body, user_key(formats[f]));
		assert_non_null(v);
		assert_int_equal(v->len, sizeof(a.src_user));
		/* and when shortened, the marker fits in the field */
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, formats[f], &meta,
		    strlen(buf) - 1, buf, sizeof(buf)), 0);
		parse_message(buf, strlen(buf), true, SYSLOG_RFC5424, formats[f], p);
		v = kv_find(&p->body, host_key(formats[f]));
		assert_non_null(v);
		assert_int_equal(v->len, 252 + 3);
		assert_memory_equal(v->val + 252, MARKER, 3);
		v = kv_find(&p->body, user_key(formats[f]));
		assert_non_null(v);
		assert_int_equal(v->len, 124 + 3);
		assert_memory_equal(v->val + 124, MARKER, 3);
	}
	free(p);
}


/* ---- a rule's finding, written by every format without knowing the rule ---- */

/* The sparse alert with a finding whose strings carry each format's
 * special characters. */
static void
finding_alert(struct alert *a)
{
	sparse_alert(a);
	finding_init(&a->finding);
	finding_reason(&a->finding, "3 hosts sent to \"x|y=z]\"\\ today");
	assert_true(finding_u64(&a->finding, "hosts", 3));
	assert_true(finding_double(&a->finding, "score", 0.875));
	assert_true(finding_str(&a->finding, "first_host", "a|b=c]\"\\d"));
}

static void
test_finding_every_format(void **state)
{
	static const char *const tails[] = {
		/* JSON */
		",\"reason\":\"3 hosts sent to \\\"x|y=z]\\\"\\\\ today\","
		"\"evidence\":{\"hosts\":3,\"score\":0.875,"
		"\"first_host\":\"a|b=c]\\\"\\\\d\"}}",
		/* ECS: message, and exfild.evidence */
		"\"payload_total\":{},\"records_est_low\":0,\"records_est_high\":0,"
		"\"evidence\":{\"hosts\":3,\"score\":0.875,"
		"\"first_host\":\"a|b=c]\\\"\\\\d\"}}}",
		/* CEF: reason, vendor-prefixed camel-case keys; = and \ escaped */
		" reason=3 hosts sent to \"x|y\\=z]\"\\\\ today exfildHosts=3 "
		"exfildScore=0.875 exfildFirstHost=a|b\\=c]\"\\\\d",
		/* LEEF: its values cannot hold | (U+FFFD instead) */
		"^reason=3 hosts sent to \"x" "\xef\xbf\xbd" "y=z]\"\\ today^"
		"exfildHosts=3^exfildScore=0.875^exfildFirstHost=a"
		"\xef\xbf\xbd" "b=c]\"\\d",
	};
	struct alert a;
	struct strbuf sb;
	char buf[BIG];
	size_t f, n;

	(void)state;
	finding_alert(&a);
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], 8192, &sb), 0);
		n = strlen(tails[f]);
		assert_true(sb.len > n);
		assert_string_equal(buf + sb.len - n, tails[f]);
	}
	sb_init(&sb, buf, sizeof(buf));
	assert_int_equal(syslog_format_body(&a, OUTPUT_FORMAT_ECS, 8192, &sb), 0);
	assert_non_null(strstr(buf, ",\"message\":\"3 hosts sent to "
	    "\\\"x|y=z]\\\"\\\\ today\",\"exfild\":{"));
	/* RFC 5424 structured data: reason and ev_<key>, ] " \ escaped */
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_JSON, &meta,
	    8192, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, " source=\"squid-log\" records_est_low=\"0\" "
	    "records_est_high=\"0\" window_start=\"2014-09-18T00:00:00.000Z\" "
	    "reason=\"3 hosts sent to \\\"x|y=z\\]\\\"\\\\ today\" ev_hosts=\"3\" "
	    "ev_score=\"0.875\" ev_first_host=\"a|b=c\\]\\\"\\\\d\"] {"));
}

/* Without a finding nothing is added (the other tests' exact outputs);
 * with one, a message too long is shortened in the reason and the string
 * values as in the wire fields, and still fits. */
static void
test_finding_shortened(void **state)
{
	struct alert a;
	struct strbuf sb;
	char buf[BIG], longer[FINDING_REASON_MAX];
	size_t f, whole;

	(void)state;
	finding_alert(&a);
	memset(longer, 'r', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	finding_reason(&a.finding, "%s", longer);
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], 8192, &sb), 0);
		whole = sb.len;
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_body(&a, formats[f], whole - 100,
		    &sb), 0);
		assert_true(sb.len <= whole - 100);
		assert_non_null(strstr(buf, "rrr" SYSLOG_TRUNC_MARKER));
		assert_null(strstr(buf, longer));
	}
}

/* ---- the destination's autonomous system ---- */

static const char *
asn_key(enum output_format f)
{
	static const char *const keys[] = { "dst_asn", "destination.as.number",
		"cn3", "dstAsn" };

	return keys[f];
}

static const char *
org_key(enum output_format f)
{
	static const char *const keys[] = { "dst_org",
		"destination.as.organization.name", "cs6", "dstOrg" };

	return keys[f];
}

/* key reads back as the oracle's rendering of s. */
static void
assert_reads_back(const struct kvlist *l, const char *key, const char *s,
    enum oracle o, struct kv *want)
{
	const struct kv *v = kv_find(l, key);

	assert_non_null(v);
	oracle_value(s, strlen(s), o, want);
	assert_int_equal(v->len, want->len);
	assert_memory_equal(v->val, want->val, want->len);
}

/* An organisation name from a database is hostile text like a host name:
 * it reads back right from every header and body, with its number. */
static void
test_as_hostile_every_format(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct kv *want = calloc(1, sizeof(*want));
	struct alert a;
	struct strbuf sb;
	char buf[BIG];
	size_t i, h, f;

	(void)state;
	assert_non_null(p);
	assert_non_null(want);
	full_alert(&a);
	a.dst_asn = 4294967295u;
	for (i = 0; i < sizeof(hostile_values) / sizeof(hostile_values[0]); i++) {
		str_copy(a.dst_org, hostile_values[i].s, sizeof(a.dst_org));
		for (f = 0; f < 4; f++) {
			for (h = 0; h < 3; h++) {
				sb_init(&sb, buf, sizeof(buf));
				if (h < 2)
					assert_int_equal(syslog_format_message(&a,
					    headers[h], formats[f], &meta, 8192,
					    &sb), 0);
				else
					assert_int_equal(syslog_format_body(&a,
					    formats[f], 8192, &sb), 0);
				parse_message(buf, sb.len, h < 2, headers[h % 2],
				    formats[f], p);
				assert_reads_back(&p->body, asn_key(formats[f]),
				    "4294967295", body_oracle(formats[f]), want);
				assert_reads_back(&p->body, org_key(formats[f]),
				    a.dst_org, body_oracle(formats[f]), want);
				if (h != 0)
					continue;
				assert_reads_back(&p->sd, "dst_asn", "4294967295",
				    OR_SD, want);
				assert_reads_back(&p->sd, "dst_org", a.dst_org,
				    OR_SD, want);
			}
		}
	}
	free(p);
	free(want);
}

/* Exact renderings; none of the fields when the AS is unknown. */
static void
test_as_exact(void **state)
{
	static const struct {
		enum output_format f;
		const char *want;
	} cases[] = {
		{ OUTPUT_FORMAT_JSON, "\"dst_country\":\"HK\",\"dst_asn\":64496,"
		  "\"dst_org\":\"Ex \\\"H\\\" | Ltd=^\\n\",\"via\"" },
		{ OUTPUT_FORMAT_ECS, "\"bytes\":4210,\"as\":{\"number\":64496,"
		  "\"organization\":{\"name\":\"Ex \\\"H\\\" | Ltd=^\\n\"}},"
		  "\"geo\"" },
		{ OUTPUT_FORMAT_CEF, " cn2=3600 cn3Label=Destination ASN cn3=64496 "
		  "cs6Label=Destination AS Organization cs6=Ex \"H\" | Ltd\\=^\\n "
		  "exfildRecordsEstLow" },
		{ OUTPUT_FORMAT_LEEF, "^dstCountry=HK^dstAsn=64496^dstOrg=Ex \"H\" "
		  FFFD " Ltd=" FFFD FFFD "^via=" },
	};
	static const char sd_want[] = " dst_country=\"HK\" dst_asn=\"64496\" "
	    "dst_org=\"Ex \\\"H\\\" | Ltd=^" FFFD "\" via=";
	struct alert a;
	char buf[BIG];
	size_t i;

	(void)state;
	full_alert(&a);
	a.dst_asn = 64496;
	strcpy(a.dst_org, "Ex \"H\" | Ltd=^\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, cases[i].f, &meta,
		    8192, buf, sizeof(buf)), 0);
		if (strstr(buf, cases[i].want) == NULL)
			fail_msg("%s\nhas no\n%s", buf, cases[i].want);
		assert_non_null(strstr(buf, sd_want));
	}
	a.dst_org[0] = '\0';
	assert_int_equal(format_msg(&a, SYSLOG_RFC5424, OUTPUT_FORMAT_ECS, &meta,
	    8192, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"as\":{\"number\":64496},"));
	a.dst_asn = 0;
	strcpy(a.dst_org, "ignored");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(format_msg(&a, SYSLOG_RFC5424, cases[i].f, &meta,
		    8192, buf, sizeof(buf)), 0);
		assert_null(strstr(buf, "64496"));
		assert_null(strstr(buf, "ignored"));
		assert_null(strstr(buf, "Organization"));
	}
}

/* Too long a message cuts the organisation as it cuts the host. */
static void
test_as_shortened(void **state)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct kv *whole = calloc(1, sizeof(*whole));
	struct alert a;
	struct strbuf sb;
	const struct kv *v;
	char buf[BIG], big[1024];
	size_t f;

	(void)state;
	assert_non_null(p);
	assert_non_null(whole);
	full_alert(&a);
	a.dst_asn = 64496;
	make_10k(big, sizeof(big));
	str_copy(a.dst_org, big, sizeof(a.dst_org));
	for (f = 0; f < 4; f++) {
		sb_init(&sb, buf, sizeof(buf));
		assert_int_equal(syslog_format_message(&a, SYSLOG_RFC5424,
		    formats[f], &meta, 1300, &sb), 0);
		assert_true(sb.len <= 1300);
		parse_message(buf, sb.len, true, SYSLOG_RFC5424, formats[f], p);
		v = kv_find(&p->body, org_key(formats[f]));
		assert_non_null(v);
		oracle_value(a.dst_org, strlen(a.dst_org), body_oracle(formats[f]),
		    whole);
		assert_prefix_or_whole(v, whole);
		assert_true(v->len < whole->len);
	}
	free(p);
	free(whole);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_full),
		cmocka_unit_test(test_join_every_format),
		cmocka_unit_test(test_evidence_every_format),
		cmocka_unit_test(test_exact_body),
		cmocka_unit_test(test_update_every_format),
		cmocka_unit_test(test_exact_sparse),
		cmocka_unit_test(test_severity_and_priority),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_parsers_accept_reference),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_hostile_10k),
		cmocka_unit_test(test_hostile_exact),
		cmocka_unit_test(test_length_sweep),
		cmocka_unit_test(test_length_minimum_exact),
		cmocka_unit_test(test_length_cut_point),
		cmocka_unit_test(test_buffer_room),
		cmocka_unit_test(test_nothing_to_shorten),
		cmocka_unit_test(test_unterminated_fields),
		cmocka_unit_test(test_finding_every_format),
		cmocka_unit_test(test_finding_shortened),
		cmocka_unit_test(test_as_hostile_every_format),
		cmocka_unit_test(test_as_exact),
		cmocka_unit_test(test_as_shortened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
