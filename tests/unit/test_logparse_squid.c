/*
 * test_logparse_squid.c - Squid access.log lines: the native format from
 * real Squid lines, CONNECT, custom logformats (%>st, %un, quoted headers,
 * unknown codes, [%tl]), URL forms, every reject reason, hostile fields,
 * user names with blanks, and every test line cut at every byte offset.
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
#include "exfild/logs/logparse_squid.h"

#define ISSUE_FORMAT \
	"squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt"
#define CUSTOM_FORMAT \
	"%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %un %Sh/%<a %mt " \
	"\"%{User-Agent}>h\""
/* elastic/integrations' extended Squid sample: unknown codes, quoted
 * headers, more fields than the format on some lines. */
#define EXTENDED_FORMAT \
	"%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %<st %>st %<sh %>sh %<bs %rm %ru " \
	"%rv %[un %Sh/%<a %<p %mt %ssl::bump_mode %ssl::>sni " \
	"\"%{Referer}>h\" \"%{User-Agent}>h\" \"%{Host}>h\" " \
	"\"%{X-Forwarded-For}>h\" %<tt %err_code"

/* The record as one line, so that tests compare everything at once. */
static void
record_str(const struct log_record *r, char *out, size_t outlen)
{
	char client[NETADDR_STRLEN], server[NETADDR_STRLEN];

	netaddr_format(&r->client, client, sizeof(client));
	netaddr_format(&r->server, server, sizeof(server));
	snprintf(out, outlen, "%s ts=%llu dur=%llu client=%s user=%s "
	    "method=%s host=%s port=%u server=%s up=%s%llu down=%llu "
	    "status=%u mime=%s uid=%s", log_record_source(r->kind),
	    (unsigned long long)r->ts_ns, (unsigned long long)r->duration_ns,
	    client, r->user, r->method, r->host, r->port,
	    server[0] != '\0' ? server : "-", r->has_bytes_up ? "" : "?",
	    (unsigned long long)r->bytes_up, (unsigned long long)r->bytes_down,
	    r->status, r->mime, r->zeek_uid);
}

static struct squid_format *
compile(const char *spec)
{
	char err[256] = "";
	struct squid_format *f = squid_format_compile(spec, err, sizeof(err));

	if (f == NULL)
		fail_msg("compile \"%s\": %s", spec, err);
	return f;
}

/* Parses line (copied to a buffer of exactly its size, so that ASan sees
 * any read past it) and checks the record's text. */
static void
expect_record(const struct squid_format *f, const char *line,
    const char *want)
{
	struct log_record r;
	enum log_reject why;
	size_t n = strlen(line);
	uint8_t *copy = malloc(n + 1);
	char got[1024];

	memcpy(copy, line, n);
	assert_int_equal(squid_parse_line(f, copy, n, &r, &why),
	    LOGPARSE_RECORD);
	assert_int_equal(why, LOGREJ_NONE);
	record_str(&r, got, sizeof(got));
	assert_string_equal(got, want);
	free(copy);
}

static void
expect_reject(const struct squid_format *f, const char *line,
    enum log_reject want)
{
	struct log_record r;
	enum log_reject why;
	size_t n = strlen(line);
	uint8_t *copy = malloc(n + 1);

	memcpy(copy, line, n);
	assert_int_equal(squid_parse_line(f, copy, n, &r, &why),
	    LOGPARSE_REJECT);
	assert_string_equal(log_reject_name(why), log_reject_name(want));
	free(copy);
}

static void
expect_compile_error(const char *spec, const char *want)
{
	char err[256] = "";

	assert_null(squid_format_compile(spec, err, sizeof(err)));
	assert_string_equal(err, want);
}

/* Every prefix of line: a record, a reject or a blank line, never a
 * crash; records have NUL-terminated text and a client address. */
static void
cut_everywhere(const struct squid_format *f, const char *line)
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
		res = squid_parse_line(f, copy, k, &r, &why);
		if (res == LOGPARSE_RECORD) {
			assert_int_equal(why, LOGREJ_NONE);
			assert_non_null(memchr(r.user, '\0', sizeof(r.user)));
			assert_non_null(memchr(r.host, '\0', sizeof(r.host)));
			assert_non_null(memchr(r.method, '\0', sizeof(r.method)));
			assert_non_null(memchr(r.mime, '\0', sizeof(r.mime)));
			assert_true(r.client.family == 4 || r.client.family == 6);
		} else if (res == LOGPARSE_REJECT) {
			assert_true(why > LOGREJ_NONE && why < LOGREJ_COUNT);
		} else {
			assert_int_equal(k, 0);
		}
		free(copy);
	}
}

/* ---- the native format ---- */

static const char *native_lines[] = {
	"1411000000.123    456 10.1.20.21 TCP_MISS/200 1234 POST "
	    "http://hk-files.example.net/upload.php - HIER_DIRECT/203.0.113.5 "
	    "text/html",
	"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT "
	    "login.yahoo.com:443 badeyek DIRECT/209.73.177.115 -",
	"1035368729.430    371 210.8.79.228 TCP_MISS/200 2136 GET "
	    "http://www.fas.harvard.edu/~hpcws/nav/navbar_r3_c6.jpg - "
	    "FIRST_PARENT_MISS/proxy2.syd.connect.com.au image/jpeg",
	"1348870325.850      9 192.168.0.35 TCP_MISS/000 0 GET "
	    "http://www.google.com/complete/search? - DIRECT/www.google.com -",
	"1431966856.793  48016 ::1 TCP_MISS/200 16674 CONNECT "
	    "0.docs.google.com:443 - DIRECT/173.194.206.189 -",
	"1677971734.080  1234 1.2.3.4 TCP_TUNNEL/200 39 CONNECT domain.xyz:443 "
	    "- HIER_DIRECT/1.2.3.4  -",
	"1677971740.678  234 10.10.10.10 TCP_TUNNEL/200 54321 CONNECT "
	    "[2001:db8::5]:8443 user@domain.com HIER_NONE/- -",
};

static const char *native_want[] = {
	"squid-log ts=1411000000123000000 dur=456000000 client=10.1.20.21 "
	    "user= method=POST host=hk-files.example.net port=80 "
	    "server=203.0.113.5 up=?0 down=1234 status=200 mime=text/html uid=",
	"squid-log ts=1157689312049000000 dur=5006000000 client=10.105.21.199 "
	    "user=badeyek method=CONNECT host=login.yahoo.com port=443 "
	    "server=209.73.177.115 up=?0 down=19763 status=200 mime= uid=",
	/* A peer's name after the hierarchy code is not the server. */
	"squid-log ts=1035368729430000000 dur=371000000 client=210.8.79.228 "
	    "user= method=GET host=www.fas.harvard.edu port=80 server=- "
	    "up=?0 down=2136 status=200 mime=image/jpeg uid=",
	"squid-log ts=1348870325850000000 dur=9000000 client=192.168.0.35 "
	    "user= method=GET host=www.google.com port=80 server=- up=?0 "
	    "down=0 status=0 mime= uid=",
	"squid-log ts=1431966856793000000 dur=48016000000 client=::1 user= "
	    "method=CONNECT host=0.docs.google.com port=443 "
	    "server=173.194.206.189 up=?0 down=16674 status=200 mime= uid=",
	"squid-log ts=1677971734080000000 dur=1234000000 client=1.2.3.4 user= "
	    "method=CONNECT host=domain.xyz port=443 server=1.2.3.4 up=?0 "
	    "down=39 status=200 mime= uid=",
	/* An IPv6 CONNECT target with no %<a: the literal is the server. */
	"squid-log ts=1677971740678000000 dur=234000000 client=10.10.10.10 "
	    "user=user@domain.com method=CONNECT host= port=8443 "
	    "server=2001:db8::5 up=?0 down=54321 status=200 mime= uid=",
};

static void
test_native_records(void **state)
{
	struct squid_format *f = compile("squid");
	size_t i;

	(void)state;
	assert_false(squid_format_measures_uploads(f));
	for (i = 0; i < sizeof(native_lines) / sizeof(native_lines[0]); i++)
		expect_record(f, native_lines[i], native_want[i]);
	squid_format_free(f);
}

static void
test_native_line_ends_and_extras(void **state)
{
	struct squid_format *f = compile("squid");

	(void)state;
	/* CRLF, leading padding, log_mime_hdrs' extra fields. */
	expect_record(f, "  1411000000.001 0 10.0.0.1 TCP_HIT/304 99 GET "
	    "http://a.example/ - NONE/- - [Host: a.example\\r\\n] []\r\n",
	    "squid-log ts=1411000000001000000 dur=0 client=10.0.0.1 user= "
	    "method=GET host=a.example port=80 server=- up=?0 down=99 "
	    "status=304 mime= uid=");
	squid_format_free(f);
}

static void
test_connect_lines(void **state)
{
	struct squid_format *f = compile("squid");

	(void)state;
	expect_record(f, "1411000001.500 90000 10.1.2.3 TCP_TUNNEL/200 "
	    "987654321 CONNECT Files.Example.COM:8443 alice "
	    "HIER_DIRECT/2001:db8::10 -",
	    "squid-log ts=1411000001500000000 dur=90000000000 client=10.1.2.3 "
	    "user=alice method=CONNECT host=files.example.com port=8443 "
	    "server=2001:db8::10 up=?0 down=987654321 status=200 mime= uid=");
	/* An IPv4 literal target; %<a names the server it reached. */
	expect_record(f, "1411000001.500 1 10.1.2.3 TCP_TUNNEL/200 5 CONNECT "
	    "198.51.100.9:443 - HIER_DIRECT/198.51.100.10 -",
	    "squid-log ts=1411000001500000000 dur=1000000 client=10.1.2.3 "
	    "user= method=CONNECT host= port=443 server=198.51.100.10 up=?0 "
	    "down=5 status=200 mime= uid=");
	expect_reject(f, "1411000001.500 1 10.1.2.3 TCP_TUNNEL/200 5 CONNECT "
	    "files.example.com:99999 - HIER_DIRECT/198.51.100.10 -",
	    LOGREJ_BAD_URL);
	expect_reject(f, "1411000001.500 1 10.1.2.3 TCP_TUNNEL/200 5 CONNECT "
	    "2001:db8::1:443 - HIER_DIRECT/198.51.100.10 -", LOGREJ_BAD_URL);
	expect_reject(f, "1411000001.500 1 10.1.2.3 TCP_TUNNEL/200 5 CONNECT "
	    "[2001:db8::1 - HIER_DIRECT/198.51.100.10 -", LOGREJ_BAD_URL);
	squid_format_free(f);
}

static void
test_urls(void **state)
{
	struct squid_format *f = compile("squid");
	const char *pre = "1411000000.000 1 10.0.0.1 TCP_MISS/200 10 GET ";

	(void)state;
	char line[512];

#define URL_CASE(url, peer, want)                                          \
	do {                                                               \
		snprintf(line, sizeof(line), "%s%s - %s text/plain", pre,   \
		    url, peer);                                            \
		expect_record(f, line, "squid-log ts=1411000000000000000 "  \
		    "dur=1000000 client=10.0.0.1 user= method=GET " want    \
		    " up=?0 down=10 status=200 mime=text/plain uid=");     \
	} while (0)

	URL_CASE("ftp://user:pw@Files.Example.org/x@y", "HIER_NONE/-",
	    "host=files.example.org port=21 server=-");
	URL_CASE("https://[2001:db8::1]:8443/a", "HIER_NONE/-",
	    "host= port=8443 server=2001:db8::1");
	URL_CASE("http://198.51.100.7/x", "HIER_NONE/-",
	    "host= port=80 server=198.51.100.7");
	URL_CASE("http://198.51.100.7/x", "HIER_DIRECT/203.0.113.5",
	    "host= port=80 server=203.0.113.5");
	URL_CASE("http://h.example:8080?q=1", "HIER_DIRECT/203.0.113.5",
	    "host=h.example port=8080 server=203.0.113.5");
	URL_CASE("WSS://h.example#frag", "HIER_DIRECT/203.0.113.5",
	    "host=h.example port=443 server=203.0.113.5");
	URL_CASE("x-custom://h.example/", "HIER_DIRECT/203.0.113.5",
	    "host=h.example port=0 server=203.0.113.5");
	/* Unicode names are kept as bytes; only ASCII is lowercased. */
	URL_CASE("http://B\xc3\x9c" "cher.Example/", "HIER_NONE/-",
	    "host=b\xc3\x9c" "cher.example port=80 server=-");
#undef URL_CASE
	expect_reject(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 10 GET "
	    "/relative - HIER_NONE/- -", LOGREJ_BAD_URL);
	expect_reject(f, "1411000000.000 1 10.0.0.1 NONE/400 0 NONE "
	    "error:invalid-request - HIER_NONE/- -", LOGREJ_BAD_URL);
	expect_reject(f, "1411000000.000 1 10.0.0.1 NONE/400 0 - - - "
	    "HIER_NONE/- -", LOGREJ_BAD_URL);
	expect_reject(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 10 GET "
	    "http:///nohost - HIER_NONE/- -", LOGREJ_BAD_URL);
	expect_reject(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 10 GET "
	    "http://h.example:http/ - HIER_NONE/- -", LOGREJ_BAD_URL);
	squid_format_free(f);
}

/* ---- custom formats ---- */

static void
test_custom_format(void **state)
{
	struct squid_format *f = compile(CUSTOM_FORMAT);

	(void)state;
	assert_true(squid_format_measures_uploads(f));
	expect_record(f, "1411000002.042   1200 10.1.20.21 TCP_MISS/201 512 "
	    "10485760 PUT http://drop.example.net/f.zip bob "
	    "HIER_DIRECT/203.0.113.9 application/json "
	    "\"Mozilla/5.0 (X11; Linux x86_64) \\\"quoted\\\" \\\\\"",
	    "squid-log ts=1411000002042000000 dur=1200000000 "
	    "client=10.1.20.21 user=bob method=PUT host=drop.example.net "
	    "port=80 server=203.0.113.9 up=10485760 down=512 status=201 "
	    "mime=application/json uid=");
	/* "-" for the request size: this line's upload is not known. */
	expect_record(f, "1411000002.042 1 10.1.20.21 TCP_MISS/200 512 - GET "
	    "http://a.example/ - HIER_NONE/- - \"-\"",
	    "squid-log ts=1411000002042000000 dur=1000000 client=10.1.20.21 "
	    "user= method=GET host=a.example port=80 server=- up=?0 down=512 "
	    "status=200 mime= uid=");
	/* A quoted field must be closed. */
	expect_reject(f, "1411000002.042 1 10.1.20.21 TCP_MISS/200 512 - GET "
	    "http://a.example/ - HIER_NONE/- - \"curl", LOGREJ_TOO_FEW_FIELDS);
	expect_reject(f, "1411000002.042 1 10.1.20.21 TCP_MISS/200 512 - GET "
	    "http://a.example/ - HIER_NONE/- - curl", LOGREJ_FORMAT_MISMATCH);
	squid_format_free(f);
}

static void
test_issue_format(void **state)
{
	struct squid_format *f = compile(ISSUE_FORMAT);

	(void)state;
	assert_true(squid_format_measures_uploads(f));
	expect_record(f, "1411000003.007    321 10.1.20.21 TCP_TUNNEL/200 4567 "
	    "52428800 CONNECT hk-files.example.net:443 carol "
	    "HIER_DIRECT/203.0.113.5 -",
	    "squid-log ts=1411000003007000000 dur=321000000 client=10.1.20.21 "
	    "user=carol method=CONNECT host=hk-files.example.net port=443 "
	    "server=203.0.113.5 up=52428800 down=4567 status=200 mime= uid=");
	/* A native line has a field fewer: it ends before the format. */
	expect_reject(f, native_lines[0], LOGREJ_TOO_FEW_FIELDS);
	squid_format_free(f);
}

static void
test_extended_format(void **state)
{
	struct squid_format *f = compile(EXTENDED_FORMAT);

	(void)state;
	assert_true(squid_format_measures_uploads(f));
	expect_record(f, "1773416922.568    158 10.105.21.199 58948 "
	    "TCP_TUNNEL/200 28854 2051 39 120 - CONNECT www.google.com:443 "
	    "1.1 badeyek HIER_DIRECT/198.51.100.20 443 - - - \"-\" "
	    "\"curl/8.14.1\" \"www.google.com:443\" \"-\" 37 -",
	    "squid-log ts=1773416922568000000 dur=158000000 "
	    "client=10.105.21.199 user=badeyek method=CONNECT "
	    "host=www.google.com port=443 server=198.51.100.20 up=2051 "
	    "down=28854 status=200 mime= uid=");
	/* One quoted field more than the format: the rest is ignored. */
	expect_record(f, "1773416971.100    220 10.105.21.199 32890 "
	    "TCP_TUNNEL/200 15432 1980 39 120 - CONNECT secure.example.com:443 "
	    "1.1 badeyek HIER_DIRECT/198.51.100.20 443 - - - \"-\" "
	    "\"curl/8.14.1\" \"secure.example.com:443\" \"-\" "
	    "\"secure.example.com\" 42 -",
	    "squid-log ts=1773416971100000000 dur=220000000 "
	    "client=10.105.21.199 user=badeyek method=CONNECT "
	    "host=secure.example.com port=443 server=198.51.100.20 up=1980 "
	    "down=15432 status=200 mime= uid=");
	/* A cache hit: no server; %<p is "-". */
	expect_record(f, "1773416969.734      0 10.105.21.199 32844 "
	    "TCP_MEM_HIT/200 905 123 365 123 - GET http://example.com/ 1.1 - "
	    "HIER_NONE/- - text/html - - \"-\" \"curl/8.14.1\" "
	    "\"example.com\" \"-\" - -",
	    "squid-log ts=1773416969734000000 dur=0 client=10.105.21.199 "
	    "user= method=GET host=example.com port=80 server=- up=123 "
	    "down=905 status=200 mime=text/html uid=");
	squid_format_free(f);
}

static void
test_host_header_and_other_codes(void **state)
{
	struct squid_format *f;

	(void)state;
	/* Transparent interception logs a path; the Host header names the
	 * destination; %>rd and %>rP stand in for a URL. */
	f = compile("%ts %>a %rm %ru %{Host}>h %<A %<p %>A");
	expect_record(f, "1411000000 10.0.0.2 GET /upload Up.Example:8080 "
	    "198.51.100.3 8080 -",
	    "squid-log ts=1411000000000000000 dur=0 client=10.0.0.2 user= "
	    "method=GET host=up.example port=8080 server=198.51.100.3 up=?0 "
	    "down=0 status=0 mime= uid=");
	expect_reject(f, "1411000000 10.0.0.2 GET /upload - peer.example 3128 "
	    "-", LOGREJ_BAD_URL);
	squid_format_free(f);
	f = compile("%ts.%03tu %>A %>rd %>rP %ul %ui %<Hs");
	expect_record(f, "1411000000.5 10.0.0.3 Dest.Example 8443 - ident7 404",
	    "squid-log ts=1411000000005000000 dur=0 client=10.0.0.3 "
	    "user=ident7 method= host=dest.example port=8443 server=- up=?0 "
	    "down=0 status=404 mime= uid=");
	expect_reject(f, "1411000000.5 client.example Dest.Example 8443 - - "
	    "404", LOGREJ_BAD_ADDRESS);
	squid_format_free(f);
	/* %tS (start) + %tr is when the request ended. */
	f = compile("%tS %tr %>a:%>p %ru");
	expect_record(f, "1411000000.250 1750 2001:db8::7:51000 "
	    "http://s.example/",
	    "squid-log ts=1411000002000000000 dur=1750000000 "
	    "client=2001:db8::7 user= method= host=s.example port=80 "
	    "server=- up=?0 down=0 status=0 mime= uid=");
	squid_format_free(f);
}

static void
test_builtin_common_combined(void **state)
{
	struct squid_format *f;

	(void)state;
	f = compile("common");
	assert_false(squid_format_measures_uploads(f));
	expect_record(f, "10.0.0.9 - dave [13/Mar/2026:16:48:42 +0100] "
	    "\"POST http://u.example/in HTTP/1.1\" 200 77 TCP_MISS:HIER_DIRECT",
	    "squid-log ts=1773416922000000000 dur=0 client=10.0.0.9 "
	    "user=dave method=POST host=u.example port=80 server=- up=?0 "
	    "down=77 status=200 mime= uid=");
	expect_reject(f, "10.0.0.9 - dave [13/Mar/2026:16:48:42 +01] "
	    "\"POST http://u.example/in HTTP/1.1\" 200 77 TCP_MISS:HIER_DIRECT",
	    LOGREJ_BAD_TIMESTAMP);
	expect_reject(f, "10.0.0.9 - dave [31/Foo/2026:16:48:42 +0100] "
	    "\"POST http://u.example/in HTTP/1.1\" 200 77 TCP_MISS:HIER_DIRECT",
	    LOGREJ_BAD_TIMESTAMP);
	squid_format_free(f);
	f = compile("squid:combined");
	expect_record(f, "10.0.0.9 - - [13/Mar/2026:15:48:42 +0000] "
	    "\"GET http://u.example/ HTTP/1.1\" 304 0 \"-\" "
	    "\"Mozilla/5.0 (X11)\" TCP_IMS_HIT:HIER_NONE",
	    "squid-log ts=1773416922000000000 dur=0 client=10.0.0.9 user= "
	    "method=GET host=u.example port=80 server=- up=?0 down=0 "
	    "status=304 mime= uid=");
	squid_format_free(f);
	/* %tg outside brackets (no zone) and %tl with its zone. */
	f = compile("%tg %>a %ru");
	expect_record(f, "13/Mar/2026:15:48:42 10.0.0.9 http://u.example/",
	    "squid-log ts=1773416922000000000 dur=0 client=10.0.0.9 user= "
	    "method= host=u.example port=80 server=- up=?0 down=0 status=0 "
	    "mime= uid=");
	squid_format_free(f);
	f = compile("%tl %>a %ru");
	expect_record(f, "13/Mar/2026:10:48:42 -0500 10.0.0.9 http://u.example/",
	    "squid-log ts=1773416922000000000 dur=0 client=10.0.0.9 user= "
	    "method= host=u.example port=80 server=- up=?0 down=0 status=0 "
	    "mime= uid=");
	squid_format_free(f);
}

static void
test_format_syntax(void **state)
{
	struct squid_format *f;

	(void)state;
	/* Width, precision, encodings, %%, unknown codes with arguments,
	 * namespaces, http:: prefix, the old {arg}-after-code form. */
	f = compile("%9.3ts %'>a %-8un 100%% %#ru %/rm %note{tag} %zzz "
	    "%adapt::<last_h %{X}>h %tr{ignored} %http::mt");
	expect_record(f, "1411000000 10.9.8.7 eve 100% http://x.example/ GET "
	    "n1 z \"weird\" x 5 text/css",
	    "squid-log ts=1411000000000000000 dur=5000000 client=10.9.8.7 "
	    "user=eve method=GET host=x.example port=80 server=- up=?0 down=0 "
	    "status=0 mime=text/css uid=");
	expect_reject(f, "1411000000 10.9.8.7 eve 99% http://x.example/ GET "
	    "n1 z w x 5 text/css", LOGREJ_FORMAT_MISMATCH);
	squid_format_free(f);
	/* A custom strftime %tl cannot be read: it needs another time. */
	expect_compile_error("%{%s}tl %>a",
	    "logformat: no time code (%ts, %tS, %tl or %tg) in \"%{%s}tl %>a\"");
	expect_compile_error("%ts %rm",
	    "logformat: no client address code (%>a or %>A) in \"%ts %rm\"");
	expect_compile_error("squid:", "logformat: empty or longer than 4095 bytes");
	expect_compile_error("%ts %>a %",
	    "logformat: no format code at offset 9 of \"%ts %>a %\"");
	expect_compile_error("%ts %>a %{Host",
	    "logformat: unterminated { at offset 9 of \"%ts %>a %{Host\"");
	expect_compile_error("%ts%tu %>a",
	    "logformat: two codes with nothing between them at offset 4 of "
	    "\"%ts%tu %>a\"");
}

static void
test_compile_limits(void **state)
{
	char spec[8192], err[256];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 4100; i++)
		spec[n++] = 'x';
	spec[n] = '\0';
	assert_null(squid_format_compile(spec, err, sizeof(err)));
	assert_string_equal(err, "logformat: empty or longer than 4095 bytes");
	n = 0;
	n += (size_t)snprintf(spec, sizeof(spec), "%%ts %%>a");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(spec + n, sizeof(spec) - n, " %%rm");
	assert_null(squid_format_compile(spec, err, sizeof(err)));
	assert_string_equal(err, "logformat: too many codes at offset 513 of "
	    "\"%ts %>a %rm %rm %rm %rm %rm %rm %rm %rm %rm %rm %rm %rm %rm \"");
}

/* ---- rejects ---- */

static void
test_reject_reasons(void **state)
{
	struct squid_format *f = compile("squid");
	struct log_record r;
	enum log_reject why;
	static uint8_t big[LOG_LINE_MAX + 1];

	(void)state;
	expect_reject(f, "14110000x0.123 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_TIMESTAMP);
	expect_reject(f, "1411000000.1234 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_TIMESTAMP);
	/* 2^64 ns is 18446744073.709551616 s. */
	expect_reject(f, "18446744073.710 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_TIMESTAMP);
	expect_reject(f, "18446744074.000 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_TIMESTAMP);
	expect_record(f, "18446744073.709 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -",
	    "squid-log ts=18446744073709000000 dur=1000000 client=10.0.0.1 "
	    "user= method=GET host=a.example port=80 server=- up=?0 down=1 "
	    "status=200 mime= uid=");
	expect_reject(f, "1411000000.123 1 10.0.0 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_ADDRESS);
	expect_reject(f, "1411000000.123 1 - TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_ADDRESS);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/200 12a4 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_NUMBER);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/200 "
	    "18446744073709551616 GET http://a.example/ - HIER_NONE/- -",
	    LOGREJ_BAD_NUMBER);
	expect_record(f, "1411000000.123 1 10.0.0.1 TCP_MISS/200 "
	    "18446744073709551615 GET http://a.example/ - HIER_NONE/- -",
	    "squid-log ts=1411000000123000000 dur=1000000 client=10.0.0.1 "
	    "user= method=GET host=a.example port=80 server=- up=?0 "
	    "down=18446744073709551615 status=200 mime= uid=");
	expect_reject(f, "1411000000.123 18446744073710 10.0.0.1 TCP_MISS/200 "
	    "1 GET http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_NUMBER);
	expect_reject(f, "1411000000.123 -1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_NUMBER);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/1000 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_STATUS);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/2x0 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_BAD_STATUS);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS200 1 GET "
	    "http://a.example/ - HIER_NONE/- -", LOGREJ_FORMAT_MISMATCH);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE", LOGREJ_TOO_FEW_FIELDS);
	expect_reject(f, "1411000000.123 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ - HIER_NONE/- ", LOGREJ_TOO_FEW_FIELDS);
	expect_reject(f, "#Fields: date time", LOGREJ_FORMAT_MISMATCH);
	memset(big, 'a', sizeof(big));
	assert_int_equal(squid_parse_line(f, big, sizeof(big), &r, &why),
	    LOGPARSE_REJECT);
	assert_string_equal(log_reject_name(why), "line_too_long");
	assert_int_equal(squid_parse_line(f, (const uint8_t *)" \t\r\n", 4, &r,
	    &why), LOGPARSE_HEADER);
	assert_int_equal(squid_parse_line(f, NULL, 0, &r, &why),
	    LOGPARSE_HEADER);
	squid_format_free(f);
}

/* ---- hostile fields ---- */

static void
test_hostile_fields(void **state)
{
	struct squid_format *f = compile("squid");
	char line[1024], user[300];

	(void)state;
	/* Control characters cut a text field; the line is kept. */
	expect_record(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://ev\x07il.example/ ali\x01" "ce HIER_NONE/- text/\x1b[31m",
	    "squid-log ts=1411000000000000000 dur=1000000 client=10.0.0.1 "
	    "user=ali method=GET host=ev port=80 server=- up=?0 down=1 "
	    "status=200 mime=text/ uid=");
	/* ... but a host that is nothing but control bytes is no host. */
	expect_reject(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://\x7f/ - HIER_NONE/- -", LOGREJ_BAD_URL);
	/* Overlong user, method, host: truncated to their buffers. */
	memset(user, 'u', 200);
	user[200] = '\0';
	snprintf(line, sizeof(line), "1411000000.000 1 10.0.0.1 TCP_MISS/200 1 "
	    "VERYLONGMETHODNAMEOVER24CHARS http://%.*s.example/ %s "
	    "HIER_NONE/- -", 260, "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
	    "hhhhhhhhhh", user);
	{
		struct log_record r;
		enum log_reject why;

		assert_int_equal(squid_parse_line(f, (const uint8_t *)line,
		    strlen(line), &r, &why), LOGPARSE_RECORD);
		assert_int_equal(strlen(r.user), 63);
		assert_string_equal(r.method, "VERYLONGMETHODNAMEOVER2");
		assert_int_equal(strlen(r.host), 253);
	}
	/* Quotes, percent signs, brackets and UTF-8 in a user name are
	 * bytes like any other. */
	expect_record(f, "1411000000.000 1 10.0.0.1 TCP_MISS/200 1 GET "
	    "http://a.example/ \"%41\\[]\xc3\xa9 HIER_NONE/- -",
	    "squid-log ts=1411000000000000000 dur=1000000 client=10.0.0.1 "
	    "user=\"%41\\[]\xc3\xa9 method=GET host=a.example port=80 server=- "
	    "up=?0 down=1 status=200 mime= uid=");
	/* A NUL byte inside the line. */
	{
		static const uint8_t nul_line[] = "1411000000.000 1 10.0.0.1 "
		    "TCP_MISS/200 1 GET http://a.example/ bo\0b HIER_NONE/- -";
		struct log_record r;
		enum log_reject why;

		assert_int_equal(squid_parse_line(f, nul_line,
		    sizeof(nul_line) - 1, &r, &why), LOGPARSE_RECORD);
		assert_string_equal(r.user, "bo");
	}
	squid_format_free(f);
}

/*
 * The 16-byte scans and the 64-byte blank map: one line with its fields
 * shifted across every offset by width padding (runs of blanks and tabs,
 * one longer than 64 bytes), a long mixed-case host, userinfo, a port and a
 * long MIME type; then a control byte at every offset of the host.
 */
static void
test_wide_lines_and_long_fields(void **state)
{
	static const char want[] = "squid-log ts=1411000000123000000 "
	    "dur=456000000 client=10.1.20.21 user= method=GET "
	    "host=www.very-long-host-name.example.com port=8080 "
	    "server=198.51.100.200 up=?0 down=1234 status=200 "
	    "mime=application/vnd.ms-excel.sheet.macroEnabled uid=";
	static const char host[] = "WWW.Very-Long-Host-Name.EXAMPLE.com";
	struct squid_format *f = compile("squid");
	char line[1024], pad[200], wantk[512], lower[64];
	size_t i, k;

	(void)state;
	for (i = 0; i < 150; i++) {
		memset(pad, ' ', i);
		if (i > 2)
			pad[i / 2] = '\t';
		pad[i] = '\0';
		snprintf(line, sizeof(line), "1411000000.123 %s456 10.1.20.21 "
		    "TCP_MISS/200 1234 GET http://Bob@%s:8080/a/b?c=d@e -%s "
		    "HIER_DIRECT/198.51.100.200 "
		    "application/vnd.ms-excel.sheet.macroEnabled", pad, host,
		    pad);
		expect_record(f, line, want);
	}
	for (k = 0; k < sizeof(host) - 1; k++) {
		snprintf(line, sizeof(line), "1411000000.123 456 10.1.20.21 "
		    "TCP_MISS/200 1234 GET http://%.*s\x01%s/ - "
		    "HIER_DIRECT/198.51.100.200 -", (int)k, host, host + k + 1);
		if (k == 0) {
			expect_reject(f, line, LOGREJ_BAD_URL);
			continue;
		}
		for (i = 0; i < k; i++)
			lower[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ?
			    host[i] + ('a' - 'A') : host[i]);
		lower[k] = '\0';
		snprintf(wantk, sizeof(wantk), "squid-log ts=1411000000123000000 "
		    "dur=456000000 client=10.1.20.21 user= method=GET host=%s "
		    "port=80 server=198.51.100.200 up=?0 down=1234 status=200 "
		    "mime= uid=", lower);
		expect_record(f, line, wantk);
	}
	/* A colon in a later 16 bytes than the first: an unbracketed IPv6
	 * address as the host is no host. */
	expect_reject(f, "1411000000.123 456 10.1.20.21 TCP_MISS/200 1234 GET "
	    "http://abcdefghijklmnopqrstu:1:2/ - HIER_DIRECT/1.2.3.4 -",
	    LOGREJ_BAD_URL);
	squid_format_free(f);
}

/* ---- user names with blanks (Squid 5.7 logs them unescaped) ---- */

#define SPACED_ISSUE_LINE \
	"1700000000.000 48 10.1.2.3 TCP_MISS/200 258 3000305 POST " \
	"http://f.example/up john smith HIER_DIRECT/203.0.113.66 text/plain"
#define SPACED_NATIVE_LINE \
	"1700000000.000 48 10.1.2.3 TCP_MISS/200 258 POST " \
	"http://f.example/up john smith HIER_DIRECT/203.0.113.66 text/plain"
/* As Squid 5.7 logged basic-auth user J. "Q" Döe (%[un: lowercased, the
 * UTF-8 %-encoded), uploading through a tunnel. */
#define SPACED_QUOTED_LINE \
	"1700000001.250   1200 10.1.2.3 TCP_TUNNEL/200 4567 52428800 CONNECT " \
	"vault.example:443 j. \"q\" d%c3%b6e HIER_DIRECT/2001:db8::66 -"
/* A user name that looks like the fields after it, a URL with userinfo
 * and log_mime_hdrs' blocks. */
#define SPACED_MIME_HDRS_LINE \
	"1700000002.000 7 10.1.2.3 TCP_MISS/201 99 PUT " \
	"http://bob@Up.Example:8080/a@b?c x HIER_NONE/- - " \
	"HIER_DIRECT/198.51.100.7 text/plain " \
	"[Host: up.example\\r\\n] [HTTP/1.1 201 Created\\r\\n]"

static void
test_user_with_blanks(void **state)
{
	struct squid_format *issue = compile(ISSUE_FORMAT);
	struct squid_format *native = compile("squid");

	(void)state;
	expect_record(issue, SPACED_ISSUE_LINE,
	    "squid-log ts=1700000000000000000 dur=48000000 client=10.1.2.3 "
	    "user=john smith method=POST host=f.example port=80 "
	    "server=203.0.113.66 up=3000305 down=258 status=200 "
	    "mime=text/plain uid=");
	expect_record(native, SPACED_NATIVE_LINE,
	    "squid-log ts=1700000000000000000 dur=48000000 client=10.1.2.3 "
	    "user=john smith method=POST host=f.example port=80 "
	    "server=203.0.113.66 up=?0 down=258 status=200 mime=text/plain "
	    "uid=");
	expect_record(issue, SPACED_QUOTED_LINE,
	    "squid-log ts=1700000001250000000 dur=1200000000 client=10.1.2.3 "
	    "user=j. \"q\" d%c3%b6e method=CONNECT host=vault.example "
	    "port=443 server=2001:db8::66 up=52428800 down=4567 status=200 "
	    "mime= uid=");
	/* Blanks inside the user are its bytes (a tab, a control character,
	 * cuts it short); blanks and a CRLF after the line are not. */
	expect_record(issue, "1700000000.000 48 10.1.2.3 TCP_MISS/200 258 "
	    "3000305 POST http://f.example/up  john \t smith  "
	    "HIER_DIRECT/203.0.113.66 text/plain \t\r\n",
	    "squid-log ts=1700000000000000000 dur=48000000 client=10.1.2.3 "
	    "user=john  method=POST host=f.example port=80 "
	    "server=203.0.113.66 up=3000305 down=258 status=200 "
	    "mime=text/plain uid=");
	expect_record(native, "1700000000.000 48 10.1.2.3 TCP_MISS/200 258 "
	    "POST http://f.example/up a  b   c HIER_DIRECT/203.0.113.66 -",
	    "squid-log ts=1700000000000000000 dur=48000000 client=10.1.2.3 "
	    "user=a  b   c method=POST host=f.example port=80 "
	    "server=203.0.113.66 up=?0 down=258 status=200 mime= uid=");
	/* Words that read as the fields after the user (the line matches
	 * field by field, with one field left over): the split wins, and
	 * log_mime_hdrs' blocks stay after it. */
	expect_record(native, SPACED_MIME_HDRS_LINE,
	    "squid-log ts=1700000002000000000 dur=7000000 client=10.1.2.3 "
	    "user=x HIER_NONE/- - method=PUT host=up.example port=8080 "
	    "server=198.51.100.7 up=?0 down=99 status=201 mime=text/plain "
	    "uid=");
	/* Without blanks in the user, log_mime_hdrs' blocks change nothing. */
	expect_record(native, "1700000002.000 7 10.1.2.3 TCP_MISS/201 99 PUT "
	    "http://up.example/ x HIER_DIRECT/198.51.100.7 text/plain "
	    "[Host: up.example\\r\\n] [HTTP/1.1 201 Created\\r\\n]",
	    "squid-log ts=1700000002000000000 dur=7000000 client=10.1.2.3 "
	    "user=x method=PUT host=up.example port=80 server=198.51.100.7 "
	    "up=?0 down=99 status=201 mime=text/plain uid=");
	/* A field missing after a user with a blank: the field-by-field
	 * reason. */
	expect_reject(issue, "1700000000.000 48 10.1.2.3 TCP_MISS/200 258 "
	    "3000305 POST http://f.example/up john smith "
	    "HIER_DIRECT/203.0.113.66", LOGREJ_FORMAT_MISMATCH);
	expect_reject(issue, "1700000000.000 48 10.1.2.3 TCP_MISS/200 258 "
	    "3000305 POST http://f.example/up john smith", LOGREJ_TOO_FEW_FIELDS);
	squid_format_free(issue);
	squid_format_free(native);
}

static void
test_user_with_blanks_before_counts(void **state)
{
	/* The request size after the user: a user name shaped like the rest
	 * of the line cannot stand in for it. */
	struct squid_format *f = compile("%ts.%03tu %>a %un %>st %rm %ru");

	(void)state;
	expect_record(f, "1700000000.000 10.1.2.3 x 0 GET http://benign.example/ "
	    "52428800 POST http://drop.example/up",
	    "squid-log ts=1700000000000000000 dur=0 client=10.1.2.3 "
	    "user=x 0 GET http://benign.example/ method=POST "
	    "host=drop.example port=80 server=- up=52428800 down=0 status=0 "
	    "mime= uid=");
	expect_record(f, "1700000000.000 10.1.2.3 bob 52428800 POST "
	    "http://drop.example/up",
	    "squid-log ts=1700000000000000000 dur=0 client=10.1.2.3 user=bob "
	    "method=POST host=drop.example port=80 server=- up=52428800 "
	    "down=0 status=0 mime= uid=");
	/* The fields after the user must still be right. */
	expect_reject(f, "1700000000.000 10.1.2.3 john smith 5x POST "
	    "http://drop.example/up", LOGREJ_BAD_NUMBER);
	squid_format_free(f);
}

static void
test_user_with_blanks_not_split(void **state)
{
	struct squid_format *f;

	(void)state;
	/* No user code: extra fields are not taken for one. */
	f = compile("%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru "
	    "%Sh/%<a %mt");
	expect_reject(f, "1700000000.000 48 10.1.2.3 TCP_MISS/200 258 3000305 "
	    "POST http://f.example/up john smith HIER_DIRECT/203.0.113.66 "
	    "text/plain", LOGREJ_FORMAT_MISMATCH);
	squid_format_free(f);
	/* Two user codes (common): which one has the blank is unknown. */
	f = compile("common");
	expect_reject(f, "10.0.0.9 - john smith [13/Mar/2026:16:48:42 +0100] "
	    "\"POST http://u.example/in HTTP/1.1\" 200 77 TCP_MISS:HIER_DIRECT",
	    LOGREJ_FORMAT_MISMATCH);
	squid_format_free(f);
	/* A quoted field after the user: its blanks cannot be counted. */
	f = compile(CUSTOM_FORMAT);
	expect_reject(f, "1411000002.042 1 10.1.20.21 TCP_MISS/200 512 7 GET "
	    "http://a.example/ john smith HIER_NONE/- - \"curl/8\"",
	    LOGREJ_FORMAT_MISMATCH);
	squid_format_free(f);
	/* A user inside quotes had its blanks before; the split leaves it. */
	f = compile("%ts %>a \"%un\" %>st");
	expect_record(f, "1700000000 10.1.2.3 \"john smith\" 12",
	    "squid-log ts=1700000000000000000 dur=0 client=10.1.2.3 "
	    "user=john smith method= host= port=0 server=- up=12 down=0 "
	    "status=0 mime= uid=");
	squid_format_free(f);
	/* The user last: the first word, the rest ignored as before. */
	f = compile("%ts %>a %>st %un");
	expect_record(f, "1700000000 10.1.2.3 12 john smith",
	    "squid-log ts=1700000000000000000 dur=0 client=10.1.2.3 "
	    "user=john method= host= port=0 server=- up=12 down=0 status=0 "
	    "mime= uid=");
	squid_format_free(f);
}

static void
test_truncation_everywhere(void **state)
{
	struct squid_format *native = compile("squid");
	struct squid_format *custom = compile(CUSTOM_FORMAT);
	struct squid_format *extended = compile(EXTENDED_FORMAT);
	struct squid_format *common = compile("common");
	struct squid_format *issue = compile(ISSUE_FORMAT);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(native_lines) / sizeof(native_lines[0]); i++)
		cut_everywhere(native, native_lines[i]);
	cut_everywhere(custom, "1411000002.042   1200 10.1.20.21 TCP_MISS/201 "
	    "512 10485760 PUT http://drop.example.net/f.zip bob "
	    "HIER_DIRECT/203.0.113.9 application/json "
	    "\"Mozilla/5.0 (X11; Linux x86_64) \\\"quoted\\\" \\\\\"");
	cut_everywhere(extended, "1773416969.734      0 10.105.21.199 32844 "
	    "TCP_MEM_HIT/200 905 123 365 123 - GET http://example.com/ 1.1 - "
	    "HIER_NONE/- - text/html - - \"-\" \"curl/8.14.1\" "
	    "\"example.com\" \"-\" - -");
	cut_everywhere(common, "10.0.0.9 - dave [13/Mar/2026:16:48:42 +0100] "
	    "\"POST http://u.example/in HTTP/1.1\" 200 77 TCP_MISS:HIER_DIRECT");
	cut_everywhere(issue, SPACED_ISSUE_LINE);
	cut_everywhere(issue, SPACED_QUOTED_LINE);
	cut_everywhere(native, SPACED_NATIVE_LINE);
	cut_everywhere(native, SPACED_MIME_HDRS_LINE);
	squid_format_free(native);
	squid_format_free(custom);
	squid_format_free(extended);
	squid_format_free(common);
	squid_format_free(issue);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_records),
		cmocka_unit_test(test_native_line_ends_and_extras),
		cmocka_unit_test(test_connect_lines),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_custom_format),
		cmocka_unit_test(test_issue_format),
		cmocka_unit_test(test_extended_format),
		cmocka_unit_test(test_host_header_and_other_codes),
		cmocka_unit_test(test_builtin_common_combined),
		cmocka_unit_test(test_format_syntax),
		cmocka_unit_test(test_compile_limits),
		cmocka_unit_test(test_reject_reasons),
		cmocka_unit_test(test_hostile_fields),
		cmocka_unit_test(test_wide_lines_and_long_fields),
		cmocka_unit_test(test_user_with_blanks),
		cmocka_unit_test(test_user_with_blanks_before_counts),
		cmocka_unit_test(test_user_with_blanks_not_split),
		cmocka_unit_test(test_truncation_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
