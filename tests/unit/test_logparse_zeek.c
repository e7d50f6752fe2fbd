/*
 * test_logparse_zeek.c - Zeek conn.log and http.log in TSV (headers, unset
 * and empty fields, reordered and missing #fields, other separators) and
 * JSON (strict scanner: escapes, surrogates, numbers, nesting), exact
 * records, every reject reason, and lines cut at every byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/logs/logevent.h"
#include "exfild/logs/logparse_zeek.h"

#define CONN_HEADER \
	"#separator \\x09\n" \
	"#set_separator\t,\n" \
	"#empty_field\t(empty)\n" \
	"#unset_field\t-\n" \
	"#path\tconn\n" \
	"#open\t2024-08-16-09-45-01\n" \
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t" \
	"service\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\t" \
	"local_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\t" \
	"resp_pkts\tresp_ip_bytes\ttunnel_parents\n" \
	"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\t" \
	"count\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\t" \
	"count\tset[string]\n"

#define CONN_LINE \
	"1677024003.714845\tC6SgKom3WB2KEL2ae\t192.168.1.107\t65164\t" \
	"66.63.168.35\t5888\ttcp\t-\t0.037629\t1048576\t200\tSF\tT\tF\t0\t" \
	"ShADadFf\t2\t104\t2\t80\t(empty)"

#define HTTP_HEADER \
	"#separator \\x09\n" \
	"#set_separator\t,\n" \
	"#empty_field\t(empty)\n" \
	"#unset_field\t-\n" \
	"#path\thttp\n" \
	"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t" \
	"trans_depth\tmethod\thost\turi\treferrer\tversion\tuser_agent\t" \
	"origin\trequest_body_len\tresponse_body_len\tstatus_code\t" \
	"status_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\t" \
	"orig_fuids\torig_filenames\torig_mime_types\tresp_fuids\t" \
	"resp_filenames\tresp_mime_types\n" \
	"#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\t" \
	"string\tstring\tstring\tstring\tstring\tcount\tcount\tcount\tstring\t" \
	"count\tstring\tset[enum]\tstring\tstring\tset[string]\t" \
	"vector[string]\tvector[string]\tvector[string]\tvector[string]\t" \
	"vector[string]\tvector[string]\n"

#define HTTP_LINE \
	"1411000000.5\tCHhAvVGS1DHFjwGM9\t10.1.20.21\t51234\t203.0.113.5\t" \
	"80\t1\tPOST\tHK-Files.Example.NET:8080\t/upload.php\t-\t1.1\t" \
	"curl/8\t-\t5242880\t42\t200\tOK\t-\t-\t(empty)\tbob\t-\t-\t" \
	"Fa1\tsecret.zip\tapplication/zip,text/plain\tFb2\t-\ttext/html"

static void
record_str(const struct log_record *r, char *out, size_t outlen)
{
	char client[NETADDR_STRLEN], server[NETADDR_STRLEN];

	netaddr_format(&r->client, client, sizeof(client));
	netaddr_format(&r->server, server, sizeof(server));
	snprintf(out, outlen, "%s ts=%llu dur=%llu client=%s user=%s "
	    "method=%s host=%s port=%u server=%s up=%s%llu down=%llu "
	    "status=%u mime=%s uid=%s%s", log_record_source(r->kind),
	    (unsigned long long)r->ts_ns, (unsigned long long)r->duration_ns,
	    client, r->user, r->method, r->host, r->port,
	    server[0] != '\0' ? server : "-", r->has_bytes_up ? "" : "?",
	    (unsigned long long)r->bytes_up, (unsigned long long)r->bytes_down,
	    r->status, r->mime, r->zeek_uid, r->via_proxy ? " via=proxy" : "");
}

/* One line through the reader, copied to a buffer of exactly its size. */
static enum log_parse_result
feed(struct zeek_reader *z, const char *line, struct log_record *r,
    enum log_reject *why)
{
	size_t n = strlen(line);
	uint8_t *copy = malloc(n + 1);
	enum log_parse_result res;

	memcpy(copy, line, n);
	res = zeek_reader_line(z, copy, n, r, why);
	free(copy);
	return res;
}

/* Every line of text must be a header. */
static void
feed_headers(struct zeek_reader *z, const char *text)
{
	struct log_record r;
	enum log_reject why;
	const char *nl;
	char line[2048];

	while ((nl = strchr(text, '\n')) != NULL) {
		assert_true((size_t)(nl - text) < sizeof(line));
		memcpy(line, text, (size_t)(nl - text));
		line[nl - text] = '\0';
		assert_int_equal(feed(z, line, &r, &why), LOGPARSE_HEADER);
		text = nl + 1;
	}
}

static void
expect_record(struct zeek_reader *z, const char *line, const char *want)
{
	struct log_record r;
	enum log_reject why;
	char got[1024];

	assert_int_equal(feed(z, line, &r, &why), LOGPARSE_RECORD);
	assert_int_equal(why, LOGREJ_NONE);
	record_str(&r, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
expect_reject(struct zeek_reader *z, const char *line, enum log_reject want)
{
	struct log_record r;
	enum log_reject why;

	assert_int_equal(feed(z, line, &r, &why), LOGPARSE_REJECT);
	assert_string_equal(log_reject_name(why), log_reject_name(want));
}

static void
cut_everywhere(struct zeek_reader *z, const char *line)
{
	struct log_record r;
	enum log_reject why;
	enum log_parse_result res;
	size_t n = strlen(line), k;
	uint8_t *copy;

	for (k = 0; k <= n; k++) {
		copy = malloc(k + 1);
		memcpy(copy, line, k);
		memset(&r, 0xa5, sizeof(r));
		res = zeek_reader_line(z, copy, k, &r, &why);
		if (res == LOGPARSE_RECORD) {
			assert_non_null(memchr(r.user, '\0', sizeof(r.user)));
			assert_non_null(memchr(r.host, '\0', sizeof(r.host)));
			assert_non_null(memchr(r.method, '\0', sizeof(r.method)));
			assert_non_null(memchr(r.mime, '\0', sizeof(r.mime)));
			assert_non_null(memchr(r.zeek_uid, '\0',
			    sizeof(r.zeek_uid)));
			assert_true(r.client.family == 4 || r.client.family == 6);
		} else if (res == LOGPARSE_REJECT) {
			assert_true(why > LOGREJ_NONE && why < LOGREJ_COUNT);
		}
		free(copy);
	}
}

static int
setup(void **state)
{
	*state = zeek_reader_new();
	return 0;
}

static int
teardown(void **state)
{
	zeek_reader_free(*state);
	return 0;
}

/* ---- TSV ---- */

static void
test_tsv_conn(void **state)
{
	struct zeek_reader *z = *state;

	feed_headers(z, CONN_HEADER);
	expect_record(z, CONN_LINE,
	    "zeek-conn ts=1677024003714845000 dur=37629000 "
	    "client=192.168.1.107 user= method= host= port=5888 "
	    "server=66.63.168.35 up=1048576 down=200 status=0 mime= "
	    "uid=C6SgKom3WB2KEL2ae");
	/* Unset counts: no upload size; an unset duration is 0. */
	expect_record(z, "1300000000.000001\tCjhGID4nQcgTWjvg4c\t"
	    "fe80::217:f2ff:fed7:cf65\t5353\tff02::fb\t5353\tudp\tdns\t-\t-\t-\t"
	    "S0\tT\tF\t0\tD\t1\t199\t0\t0\t-",
	    "zeek-conn ts=1300000000000001000 dur=0 "
	    "client=fe80::217:f2ff:fed7:cf65 user= method= host= port=5353 "
	    "server=ff02::fb up=?0 down=0 status=0 mime= "
	    "uid=CjhGID4nQcgTWjvg4c");
	assert_int_equal(feed(z, "#close\t2024-08-16-09-45-02", &(struct log_record){ 0 },
	    &(enum log_reject){ 0 }), LOGPARSE_HEADER);
}

/* The connection, for the alerts' join keys (issue 13): id.* and proto
 * (an http.log line is TCP); without id.orig_p none. */
static void
test_tuple(void **state)
{
	struct zeek_reader *z = *state;
	struct log_record r;
	enum log_reject why;
	char buf[NETADDR_STRLEN];

	feed_headers(z, CONN_HEADER);
	assert_int_equal(feed(z, CONN_LINE, &r, &why), LOGPARSE_RECORD);
	assert_int_equal(r.tuple.proto, 6);
	netaddr_format(&r.tuple.host, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.107");
	netaddr_format(&r.tuple.peer, buf, sizeof(buf));
	assert_string_equal(buf, "66.63.168.35");
	assert_int_equal(r.tuple.host_port, 65164);
	assert_int_equal(r.tuple.peer_port, 5888);
	assert_int_equal(feed(z, "1300000000.000001\tCjhGID4nQcgTWjvg4c\t"
	    "10.0.0.5\t5353\t203.0.113.9\t53\tudp\tdns\t-\t-\t-\t"
	    "S0\tT\tF\t0\tD\t1\t199\t0\t0\t-", &r, &why), LOGPARSE_RECORD);
	assert_int_equal(r.tuple.proto, 17);
	assert_int_equal(feed(z, "1300000000.000001\tCjhGID4nQcgTWjvg4c\t"
	    "10.0.0.5\t-\t203.0.113.9\t53\tudp\tdns\t-\t-\t-\t"
	    "S0\tT\tF\t0\tD\t1\t199\t0\t0\t-", &r, &why), LOGPARSE_RECORD);
	assert_int_equal(r.tuple.proto, 0);
	zeek_reader_reset(z);
	feed_headers(z, HTTP_HEADER);
	assert_int_equal(feed(z, HTTP_LINE, &r, &why), LOGPARSE_RECORD);
	assert_int_equal(r.tuple.proto, 6);
	assert_int_equal(r.tuple.host_port, 51234);
	assert_int_equal(r.tuple.peer_port, 80);
	assert_string_equal(r.zeek_uid, "CHhAvVGS1DHFjwGM9");
}

static void
test_tsv_http(void **state)
{
	struct zeek_reader *z = *state;

	feed_headers(z, HTTP_HEADER);
	expect_record(z, HTTP_LINE,
	    "zeek-http ts=1411000000500000000 dur=0 client=10.1.20.21 user=bob "
	    "method=POST host=hk-files.example.net port=80 server=203.0.113.5 "
	    "up=5242880 down=42 status=200 mime=application/zip "
	    "uid=CHhAvVGS1DHFjwGM9");
	/* Zeek's http-connect baseline: CONNECT through a proxy (resp_h is
	 * the proxy; host:port comes from the uri). */
	expect_record(z, "1300000000.123456\tCHhAvVGS1DHFjwGM9\t79.26.245.236\t"
	    "3378\t254.228.86.79\t8240\t1\tCONNECT\t-\tmailin03.sul.t-online.de:25 /"
	    "\t-\t1.0\t-\t-\t0\t0\t200\tConnection established\t-\t-\t(empty)\t"
	    "-\t-\t-\t-\t-\t-\t-\t-\t-",
	    "zeek-http ts=1300000000123456000 dur=0 client=79.26.245.236 user= "
	    "method=CONNECT host=mailin03.sul.t-online.de port=25 server=- "
	    "up=0 down=0 status=200 mime= uid=CHhAvVGS1DHFjwGM9 via=proxy");
	/* An absolute URI to a proxy; the Host header wins for the name. */
	expect_record(z, "1300000000\tC1\t10.0.0.1\t1\t10.0.0.254\t3128\t1\tGET\t"
	    "www.example.org\thttp://user@www.example.org:8000/x\t-\t1.1\t-\t-\t"
	    "0\t10\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t(empty)\t-\t-\t-",
	    "zeek-http ts=1300000000000000000 dur=0 client=10.0.0.1 user= "
	    "method=GET host=www.example.org port=8000 server=- up=0 down=10 "
	    "status=200 mime= uid=C1 via=proxy");
	/* An address in the Host header is no name; escapes are decoded
	 * and control bytes cut text short. */
	expect_record(z, "1300000000\tC2\t10.0.0.1\t1\t198.51.100.1\t80\t1\tG\\x45T"
	    "\t198.51.100.1:80\t/\t-\t1.1\t-\t-\t-\t-\t-\t-\t-\t-\t(empty)\t"
	    "ev\\x0ail\t-\t-\t-\t-\t-\t-\t-\t-",
	    "zeek-http ts=1300000000000000000 dur=0 client=10.0.0.1 user=ev "
	    "method=GET host= port=80 server=198.51.100.1 up=?0 down=0 "
	    "status=0 mime= uid=C2");
	expect_reject(z, "1300000000\tC3\t10.0.0.1\t1\t198.51.100.1\t80\t1\t"
	    "CONNECT\t-\t:25\t-\t1.1\t-\t-\t-\t-\t-\t-\t-\t-\t(empty)\t"
	    "-\t-\t-\t-\t-\t-\t-\t-\t-", LOGREJ_BAD_URL);
	expect_reject(z, "1300000000\tC3\t10.0.0.1\t1\t198.51.100.1\t80\t1\t"
	    "GET\t-\t/\t-\t1.1\t-\t-\t-\t-\t1000\t-\t-\t-\t(empty)\t"
	    "-\t-\t-\t-\t-\t-\t-\t-\t-", LOGREJ_BAD_STATUS);
}

static void
test_tsv_reordered_and_custom(void **state)
{
	struct zeek_reader *z = *state;

	/* Another separator, unset marker, column order, no #path (the
	 * columns say conn), extra columns ignored. */
	feed_headers(z, "#separator \\x7c\n"
	    "#unset_field|NONE\n"
	    "#fields|resp_bytes|extra|id.resp_p|orig_bytes|id.resp_h|ts|"
	    "id.orig_h|uid|duration\n");
	expect_record(z, "7|x|443|9000|2001:db8::1|1700000000.25|10.9.9.9|"
	    "Cabc|5e-06",
	    "zeek-conn ts=1700000000250000000 dur=5000 client=10.9.9.9 user= "
	    "method= host= port=443 server=2001:db8::1 up=9000 down=7 status=0 "
	    "mime= uid=Cabc");
	expect_record(z, "NONE|x|443|NONE|NONE|1700000000|10.9.9.9|NONE|NONE",
	    "zeek-conn ts=1700000000000000000 dur=0 client=10.9.9.9 user= "
	    "method= host= port=443 server=- up=?0 down=0 status=0 mime= uid=");
	expect_reject(z, "7|x|443|9000|2001:db8::1|1700000000.25|10.9.9.9|Cabc",
	    LOGREJ_TOO_FEW_FIELDS);
	expect_reject(z, "7|x|443|9000|2001:db8::1|1700000000.25|10.9.9.9|"
	    "Cabc|1|", LOGREJ_TOO_MANY_FIELDS);
	expect_reject(z, "7|x|443|9000|2001:db8::1|1700000000.25|NONE|Cabc|1",
	    LOGREJ_MISSING_FIELD);
	expect_reject(z, "7|x|443|9000|2001:db8::1|NONE|10.9.9.9|Cabc|1",
	    LOGREJ_MISSING_FIELD);
	expect_reject(z, "7|x|443|9000|2001:db8::1|XXXXXXXXXX.XXXXXX|"
	    "10.9.9.9|Cabc|1", LOGREJ_BAD_TIMESTAMP);
	expect_reject(z, "7|x|443|9000|2001:db8::1|1.5|10.9.9|Cabc|1",
	    LOGREJ_BAD_ADDRESS);
	expect_reject(z, "7|x|443|9000|2001:db8::g|1.5|10.9.9.9|Cabc|1",
	    LOGREJ_BAD_ADDRESS);
	expect_reject(z, "7|x|65536|9000|2001:db8::1|1.5|10.9.9.9|Cabc|1",
	    LOGREJ_BAD_NUMBER);
	expect_reject(z, "-7|x|443|9000|2001:db8::1|1.5|10.9.9.9|Cabc|1",
	    LOGREJ_BAD_NUMBER);
	expect_reject(z, "7|x|443|18446744073709551616|2001:db8::1|1.5|"
	    "10.9.9.9|Cabc|1", LOGREJ_BAD_NUMBER);
	expect_reject(z, "7|x|443|1|2001:db8::1|1.5|10.9.9.9|Cabc|1s",
	    LOGREJ_BAD_NUMBER);
	/* A new #separator starts a new header block. */
	feed_headers(z, "#separator \\x09\n");
	expect_reject(z, "1\t2", LOGREJ_NO_FIELDS_HEADER);
}

static void
test_tsv_missing_and_other_logs(void **state)
{
	struct zeek_reader *z = *state;
	struct log_record r;
	enum log_reject why;

	/* Zeek's conn.log.ctu baseline: a column line without '#fields'. */
	assert_int_equal(feed(z, "### BTest baseline data generated by "
	    "btest-diff.", &r, &why), LOGPARSE_HEADER);
	expect_reject(z, "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p",
	    LOGREJ_NO_FIELDS_HEADER);
	expect_reject(z, "1300000000.1\tC\t192.168.1.108\t64702\t185.33.86.224"
	    "\t888", LOGREJ_NO_FIELDS_HEADER);
	/* dns.log and ssl.log: not ours, even with a 'history' column. */
	feed_headers(z, "#separator \\x09\n#path\tdns\n"
	    "#fields\tts\tuid\tid.orig_h\tproto\tquery\n");
	expect_reject(z, "1\tC\t10.0.0.1\tudp\texample.com",
	    LOGREJ_UNSUPPORTED_LOG);
	feed_headers(z, "#separator \\x09\n"
	    "#fields\tts\tuid\tid.orig_h\tserver_name\thistory\n");
	expect_reject(z, "1\tC\t10.0.0.1\tx.example\tISI",
	    LOGREJ_UNSUPPORTED_LOG);
	/* #path decides over the columns. */
	feed_headers(z, "#separator \\x09\n#path\ttunnel\n"
	    "#fields\tts\tuid\tid.orig_h\torig_bytes\n");
	expect_reject(z, "1\tC\t10.0.0.1\t5", LOGREJ_UNSUPPORTED_LOG);
	feed_headers(z, "#separator \\x09\n#path\tconn\n"
	    "#fields\tts\tid.orig_h\n");
	expect_record(z, "1\t10.0.0.1", "zeek-conn ts=1000000000 dur=0 "
	    "client=10.0.0.1 user= method= host= port=0 server=- up=?0 down=0 "
	    "status=0 mime= uid=");
	/* An empty #fields and a bad #separator are rejected headers. */
	expect_reject(z, "#fields", LOGREJ_BAD_HEADER);
	expect_reject(z, "#separator ", LOGREJ_BAD_HEADER);
	/* A reset forgets the headers (a new file). */
	feed_headers(z, CONN_HEADER);
	expect_record(z, CONN_LINE,
	    "zeek-conn ts=1677024003714845000 dur=37629000 "
	    "client=192.168.1.107 user= method= host= port=5888 "
	    "server=66.63.168.35 up=1048576 down=200 status=0 mime= "
	    "uid=C6SgKom3WB2KEL2ae");
	zeek_reader_reset(z);
	expect_reject(z, CONN_LINE, LOGREJ_NO_FIELDS_HEADER);
	assert_int_equal(feed(z, "", &r, &why), LOGPARSE_HEADER);
	assert_int_equal(feed(z, "  \r\n", &r, &why), LOGPARSE_HEADER);
}

/* ---- JSON ---- */

static void
test_json_conn_http(void **state)
{
	struct zeek_reader *z = *state;

	/* Slips' conn.log: JSON, unset fields absent. */
	expect_record(z, "{\"ts\":30.043784,\"uid\":\"CeXwwk4XHhkKHn7kag\","
	    "\"id.orig_h\":\"10.0.2.15\",\"id.orig_p\":49158,"
	    "\"id.resp_h\":\"195.113.232.73\",\"id.resp_p\":80,\"proto\":\"tcp\","
	    "\"service\":\"http\",\"duration\":0.0018720000000023163,"
	    "\"orig_bytes\":97,\"resp_bytes\":179,\"conn_state\":\"SF\","
	    "\"missed_bytes\":0,\"history\":\"ShADadfF\",\"orig_pkts\":5}",
	    "zeek-conn ts=30043784000 dur=1872000 client=10.0.2.15 user= "
	    "method= host= port=80 server=195.113.232.73 up=97 down=179 "
	    "status=0 mime= uid=CeXwwk4XHhkKHn7kag");
	expect_record(z, " {\"_path\":\"conn\",\"ts\":\"2023-02-22T00:00:03.714845Z\","
	    "\"id.orig_h\":\"10.0.0.1\",\"id.resp_h\":null,\"tunnel_parents\":[],"
	    "\"x\":{\"a\":[1,{\"b\":[]}],\"c\":true}} ",
	    "zeek-conn ts=1677024003714845000 dur=0 client=10.0.0.1 user= "
	    "method= host= port=0 server=- up=?0 down=0 status=0 mime= uid=");
	expect_record(z, "{\"ts\":\"2023-02-22T01:00:03+01:00\",\"uid\":\"C\\u0041\","
	    "\"id.orig_h\":\"10.0.2.15\",\"id.resp_h\":\"147.32.80.7\","
	    "\"id.resp_p\":80,\"trans_depth\":1,\"method\":\"POST\","
	    "\"host\":\"Caf\\u00e9.example\",\"uri\":\"/bin.sh\","
	    "\"response_body_len\":593,"
	    "\"status_code\":200,\"username\":\"\\ud83d\\ude00 x\","
	    "\"orig_mime_types\":[\"application/x-msdownload\",\"text/plain\"]}",
	    "zeek-http ts=1677024003000000000 dur=0 client=10.0.2.15 "
	    "user=\xf0\x9f\x98\x80 x method=POST host=caf\xc3\xa9.example port=80 "
	    "server=147.32.80.7 up=?0 down=593 status=200 "
	    "mime=application/x-msdownload uid=CA");
}

/* {"a":[[...[1]...]]} with depth arrays. */
static const char *
nested(char *out, size_t depth)
{
	size_t n = 0, i;

	n += (size_t)sprintf(out, "{\"a\":");
	for (i = 0; i < depth; i++)
		out[n++] = '[';
	out[n++] = '1';
	for (i = 0; i < depth; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = '\0';
	return out;
}

static void
test_json_rejects(void **state)
{
	struct zeek_reader *z = *state;
	static const char *bad[] = {
		"{",
		"{}x",
		"{\"ts\":1,}",
		"{\"ts\":1 \"uid\":\"x\"}",
		"{\"ts\" 1}",
		"{ts:1}",
		"{\"ts\":01}",
		"{\"ts\":1.}",
		"{\"ts\":-}",
		"{\"ts\":1e}",
		"{\"ts\":.5}",
		"{\"ts\":+1}",
		"{\"ts\":tru}",
		"{\"ts\":nul}",
		"{\"uid\":\"a\tb\"}",
		"{\"uid\":\"\\q\"}",
		"{\"uid\":\"\\u12\"}",
		"{\"uid\":\"\\udc00\"}",
		"{\"uid\":\"\\ud800\"}",
		"{\"uid\":\"\\ud800\\u0041\"}",
		"{\"uid\":\"abc}",
		"{\"a\":[1,2}",
		"{\"a\":[1,]}",
		"{\"a\":{\"b\":1,}}",
		"{\"ts\":1}{\"ts\":2}",
	};
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(z, bad[i], LOGREJ_BAD_JSON);
	/* 32 nested arrays are fine, 33 are not. */
	expect_reject(z, nested(line, 32), LOGREJ_UNSUPPORTED_LOG);
	expect_reject(z, nested(line, 33), LOGREJ_BAD_JSON);
	/* SIP has a method and a uri, but is no http.log. */
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\",\"method\":"
	    "\"INVITE\",\"uri\":\"sip:a@b\",\"call_id\":\"x\"}",
	    LOGREJ_UNSUPPORTED_LOG);
	expect_reject(z, "{}", LOGREJ_UNSUPPORTED_LOG);
	expect_reject(z, "{\"_path\":\"dns\",\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_UNSUPPORTED_LOG);
	expect_reject(z, "{\"uid\":\"C\",\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_MISSING_FIELD);
	expect_reject(z, "{\"ts\":null,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_MISSING_FIELD);
	expect_reject(z, "{\"ts\":true,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_BAD_TIMESTAMP);
	expect_reject(z, "{\"ts\":-1.5,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_BAD_TIMESTAMP);
	expect_reject(z, "{\"ts\":\"2023-02-30T00:00:00\",\"id.orig_h\":"
	    "\"10.0.0.1\",\"orig_bytes\":1}", LOGREJ_BAD_TIMESTAMP);
	expect_reject(z, "{\"ts\":1e400,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1}", LOGREJ_BAD_TIMESTAMP);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":10,\"orig_bytes\":1}",
	    LOGREJ_BAD_ADDRESS);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1.5}", LOGREJ_BAD_NUMBER);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":-1}", LOGREJ_BAD_NUMBER);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":1e3}", LOGREJ_BAD_NUMBER);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"orig_bytes\":[1]}", LOGREJ_BAD_NUMBER);
	expect_reject(z, "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\","
	    "\"method\":\"GET\",\"status_code\":1000}", LOGREJ_BAD_STATUS);
}

static void
test_line_too_long(void **state)
{
	struct zeek_reader *z = *state;
	static uint8_t big[LOG_LINE_MAX + 1];
	struct log_record r;
	enum log_reject why;

	memset(big, '{', sizeof(big));
	assert_int_equal(zeek_reader_line(z, big, sizeof(big), &r, &why),
	    LOGPARSE_REJECT);
	assert_string_equal(log_reject_name(why), "line_too_long");
	/* A full-size line of nested arrays is refused by depth, not stack. */
	big[0] = '{';
	memcpy(big + 1, "\"a\":", 4);
	memset(big + 5, '[', LOG_LINE_MAX - 5);
	assert_int_equal(zeek_reader_line(z, big, LOG_LINE_MAX, &r, &why),
	    LOGPARSE_REJECT);
	assert_string_equal(log_reject_name(why), "bad_json");
}

static void
test_truncation_everywhere(void **state)
{
	struct zeek_reader *z = *state;

	feed_headers(z, CONN_HEADER);
	cut_everywhere(z, CONN_LINE);
	feed_headers(z, HTTP_HEADER);
	cut_everywhere(z, HTTP_LINE);
	cut_everywhere(z, "{\"ts\":\"2023-02-22T01:00:03.5+0100\",\"uid\":"
	    "\"C\\u0041\",\"id.orig_h\":\"10.0.2.15\",\"id.resp_h\":"
	    "\"147.32.80.7\",\"id.resp_p\":80,\"method\":\"CONNECT\","
	    "\"uri\":\"[2001:db8::1]:443\",\"request_body_len\":10,"
	    "\"username\":\"\\ud83d\\ude00\",\"orig_mime_types\":[\"a/b\"],"
	    "\"n\":{\"x\":[null,false,-0.5E+3]}}");
	/* The header lines themselves, cut. */
	zeek_reader_reset(z);
	cut_everywhere(z, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h");
	cut_everywhere(z, "#separator \\x09");
	cut_everywhere(z, "#unset_field\t-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tsv_conn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsv_http, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tuple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsv_reordered_and_custom,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsv_missing_and_other_logs,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_conn_http, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_line_too_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_truncation_everywhere,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
