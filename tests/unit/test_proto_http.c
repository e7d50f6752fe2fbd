/*
 * test_proto_http.c - HTTP request parser: request-target forms, Host,
 * Content-Length and chunked bodies, multipart part starts, CONNECT
 * tunnels, keep-alive and pipelining, long lines, hostile bytes, gaps.
 * Every scenario is also fed one byte at a time and must give the same
 * events as the segmented feed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/proto/proto_http.h"

#define MAX_REQS 16
#define MAX_CALLS 64
#define LOG_MAX 65536
#define BODY_MAX 16384

/* Everything the parser reported, plus a canonical log in which adjacent
 * body (or tunnel) calls merge, so that segmentations can be compared. */
struct rec {
	struct http_request req[MAX_REQS];
	int nreq;
	uint8_t body[BODY_MAX];
	size_t body_len;
	struct {
		size_t off, len;
		bool start;
	} call[MAX_CALLS];
	int ncall;
	uint8_t tunnel[BODY_MAX];
	size_t tunnel_len;
	int ntunnel_calls;
	uint8_t log[LOG_MAX];
	size_t log_len;
	int last_kind;
	struct http_stats stats;
};

enum { K_NONE, K_REQ, K_BODY, K_TUNNEL };

static struct rec rec_a, rec_b;

static void
log_add(struct rec *r, const void *p, size_t n)
{
	assert_true(n <= LOG_MAX - r->log_len);
	memcpy(r->log + r->log_len, p, n);
	r->log_len += n;
}

static void
on_request(void *ctx, const struct http_request *req)
{
	struct rec *r = ctx;
	char line[1024], xff[NETADDR_STRLEN];
	int n;

	assert_true(r->nreq < MAX_REQS);
	r->req[r->nreq++] = *req;
	netaddr_format(&req->xff, xff, sizeof(xff));
	n = snprintf(line, sizeof(line),
	    "\n<REQ %s host=%s port=%u c=%d a=%d xff=%d:%s ch=%d cl=%d:%llu mp=%d>",
	    req->method, req->host, req->port, req->is_connect,
	    req->absolute_uri, req->has_xff, xff, req->chunked,
	    req->has_content_length, (unsigned long long)req->content_length,
	    req->multipart);
	log_add(r, line, (size_t)n);
	r->last_kind = K_REQ;
}

static void
on_body(void *ctx, const uint8_t *data, size_t len, bool part_start)
{
	struct rec *r = ctx;

	assert_true(len > 0);
	assert_true(len <= BODY_MAX - r->body_len);
	assert_true(r->ncall < MAX_CALLS || len == 1);
	if (r->ncall < MAX_CALLS) {
		r->call[r->ncall].off = r->body_len;
		r->call[r->ncall].len = len;
		r->call[r->ncall].start = part_start;
		r->ncall++;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	if (part_start)
		log_add(r, "\n<PART>", 7);
	else if (r->last_kind != K_BODY)
		log_add(r, "\n<BODY>", 7);
	log_add(r, data, len);
	r->last_kind = K_BODY;
}

static void
on_tunnel(void *ctx, const uint8_t *data, size_t len)
{
	struct rec *r = ctx;

	assert_true(len > 0);
	assert_true(len <= BODY_MAX - r->tunnel_len);
	memcpy(r->tunnel + r->tunnel_len, data, len);
	r->tunnel_len += len;
	r->ntunnel_calls++;
	if (r->last_kind != K_TUNNEL)
		log_add(r, "\n<TUN>", 6);
	log_add(r, data, len);
	r->last_kind = K_TUNNEL;
}

/* A segment of the stream, or a gap (data NULL). */
struct step {
	const void *data;
	size_t len;
};

#define SEG(s) { s, sizeof(s) - 1 }
#define GAP { NULL, 0 }

static void
run(const struct step *steps, size_t n, bool bytewise, struct rec *r)
{
	struct http_events ev = { on_request, on_body, on_tunnel, NULL, NULL, NULL };
	struct http_parser p;
	const uint8_t *d;
	size_t i, k;

	memset(r, 0, sizeof(*r));
	ev.stats = &r->stats;
	http_parser_init(&p);
	for (i = 0; i < n; i++) {
		d = steps[i].data;
		if (d == NULL)
			http_parser_gap(&p, &ev);
		else if (!bytewise)
			http_parser_feed(&p, d, steps[i].len, &ev, r);
		else
			for (k = 0; k < steps[i].len; k++)
				http_parser_feed(&p, d + k, 1, &ev, r);
	}
}

static void
assert_same_events(const struct rec *x, const struct rec *y)
{
	assert_int_equal(x->nreq, y->nreq);
	assert_int_equal(x->log_len, y->log_len);
	assert_memory_equal(x->log, y->log, x->log_len);
	assert_int_equal(x->body_len, y->body_len);
	assert_int_equal(x->tunnel_len, y->tunnel_len);
	assert_memory_equal(&x->stats, &y->stats, sizeof(x->stats));
}

/* Runs as given into rec_a, byte by byte into rec_b; both must agree. */
static void
run_both(const struct step *steps, size_t n)
{
	run(steps, n, false, &rec_a);
	run(steps, n, true, &rec_b);
	assert_same_events(&rec_a, &rec_b);
}

/* The whole stream split once at every offset gives the same events. */
static void
assert_every_split(const uint8_t *data, size_t len)
{
	struct step whole[1] = { { data, len } }, two[2];
	size_t k;

	run(whole, 1, false, &rec_b);
	for (k = 1; k < len; k++) {
		two[0].data = data;
		two[0].len = k;
		two[1].data = data + k;
		two[1].len = len - k;
		run(two, 2, false, &rec_a);
		assert_same_events(&rec_a, &rec_b);
	}
}

static void
assert_call(const struct rec *r, int i, const char *bytes, size_t len,
    bool start)
{
	assert_true(i < r->ncall);
	assert_int_equal(r->call[i].len, len);
	assert_int_equal(r->call[i].start, start);
	assert_memory_equal(r->body + r->call[i].off, bytes, len);
}

static void
test_looks_like_request(void **state)
{
	(void)state;
	assert_true(http_looks_like_request((const uint8_t *)"GET /", 5));
	assert_true(http_looks_like_request((const uint8_t *)"POST ", 5));
	assert_true(http_looks_like_request((const uint8_t *)"CONNECT a:1", 11));
	assert_true(http_looks_like_request((const uint8_t *)"PROPFIND /", 10));
	assert_true(http_looks_like_request((const uint8_t *)"MKCOL /", 7));
	assert_false(http_looks_like_request((const uint8_t *)"GET", 3));
	assert_false(http_looks_like_request((const uint8_t *)"get /", 5));
	assert_false(http_looks_like_request((const uint8_t *)"GETX /", 6));
	assert_false(http_looks_like_request((const uint8_t *)"FOO /", 5));
	assert_false(http_looks_like_request((const uint8_t *)" GET /", 6));
	assert_false(http_looks_like_request((const uint8_t *)"\x16\x03\x01", 3));
	assert_false(http_looks_like_request((const uint8_t *)"", 0));
	assert_false(http_looks_like_request(NULL, 4));
}

static void
test_absolute_post_content_length(void **state)
{
	const struct step s[] = {
		SEG("POST http://u:p@Upload.Example.COM:8080/up?a=b HTTP/1.1\r\n"
		    "Host: ignored.example\r\nContent-Length: 10\r\n\r\n01234"),
		SEG("567"),
		SEG("89GET https://B.example/ HTTP/1.1\r\n\r\n"),
	};

	(void)state;
	run_both(s, 3);
	assert_int_equal(rec_a.nreq, 2);
	assert_string_equal(rec_a.req[0].method, "POST");
	assert_string_equal(rec_a.req[0].host, "upload.example.com");
	assert_int_equal(rec_a.req[0].port, 8080);
	assert_true(rec_a.req[0].absolute_uri);
	assert_false(rec_a.req[0].is_connect);
	assert_true(rec_a.req[0].has_content_length);
	assert_int_equal(rec_a.req[0].content_length, 10);
	assert_false(rec_a.req[0].chunked);
	assert_false(rec_a.req[0].multipart);
	assert_int_equal(rec_a.ncall, 3);
	assert_call(&rec_a, 0, "01234", 5, true);
	assert_call(&rec_a, 1, "567", 3, false);
	assert_call(&rec_a, 2, "89", 2, false);
	assert_int_equal(rec_a.body_len, 10);
	assert_string_equal(rec_a.req[1].method, "GET");
	assert_string_equal(rec_a.req[1].host, "b.example");
	assert_int_equal(rec_a.req[1].port, 443);
	assert_true(rec_a.req[1].absolute_uri);
	assert_false(rec_a.req[1].has_content_length);
	assert_int_equal(rec_a.stats.requests, 2);
	assert_int_equal(rec_a.stats.malformed, 0);
	assert_int_equal(rec_a.stats.long_lines, 0);
}

static void
test_connect_tunnel(void **state)
{
	const struct step s[] = {
		SEG("CONNECT Secure.Example.com:443 HTTP/1.1\r\n"
		    "Host: other.example:443\r\nProxy-Connection: keep-alive\r\n"
		    "\r\n\x16\x03\x01"),
		SEG("\x00\x05hello"),
		GAP,
		SEG("GET / HTTP/1.1\r\n\r\n"),
	};

	(void)state;
	run_both(s, 4);
	assert_int_equal(rec_a.nreq, 1);
	assert_string_equal(rec_a.req[0].method, "CONNECT");
	assert_string_equal(rec_a.req[0].host, "secure.example.com");
	assert_int_equal(rec_a.req[0].port, 443);
	assert_true(rec_a.req[0].is_connect);
	assert_false(rec_a.req[0].absolute_uri);
	assert_int_equal(rec_a.ncall, 0);
	assert_int_equal(rec_a.ntunnel_calls, 3);
	assert_int_equal(rec_a.tunnel_len, 3 + 7 + 18);
	assert_memory_equal(rec_a.tunnel,
	    "\x16\x03\x01\x00\x05helloGET / HTTP/1.1\r\n\r\n", 28);
	assert_int_equal(rec_a.stats.requests, 1);
	assert_int_equal(rec_a.stats.connects, 1);
	assert_int_equal(rec_a.stats.resyncs, 0);
}

/* Proxy authentication (NTLM/Negotiate): the first CONNECT gets a 407 and
 * the client asks again on the same connection; the tunnel starts after
 * the second request. Whole and byte by byte alike. */
static void
test_connect_again_after_407(void **state)
{
	const struct step s[] = {
		SEG("CONNECT hk-files.example.net:443 HTTP/1.1\r\n"
		    "Host: hk-files.example.net:443\r\n\r\n"),
		SEG("CONNECT hk-files.example.net:443 HTTP/1.1\r\n"
		    "Host: hk-files.example.net:443\r\n"
		    "Proxy-Authorization: NTLM TlRMTVNTUAADAAAAGAAYAEgAAAA=\r\n\r\n"),
		SEG("Rar!\x1a\x07\x01\x00" "CONNECT x:1 HTTP/1.1\r\n\r\n"),
	};
	const struct step t[] = { /* a tunnel that merely starts with capitals */
		SEG("CONNECT a.example:443 HTTP/1.1\r\n\r\n"),
		SEG("ABCDEFGHIJKLMNOPQRS"),
	};

	(void)state;
	run_both(s, 3);
	assert_int_equal(rec_a.nreq, 2);
	assert_string_equal(rec_a.req[1].host, "hk-files.example.net");
	assert_true(rec_a.req[1].is_connect);
	assert_int_equal(rec_a.tunnel_len, 8 + 24);
	assert_memory_equal(rec_a.tunnel, "Rar!\x1a\x07\x01\x00" "CONNECT x:1", 19);
	assert_int_equal(rec_a.stats.connects, 2);
	run_both(t, 2);
	assert_int_equal(rec_a.nreq, 1);
	assert_int_equal(rec_a.tunnel_len, 19);
	assert_memory_equal(rec_a.tunnel, "ABCDEFGHIJKLMNOPQRS", 19);
}

static void
test_connect_ipv6_and_no_port(void **state)
{
	const struct step s[] = {
		SEG("CONNECT [2001:DB8::1]:8443 HTTP/1.1\r\n\r\n"),
	};
	const struct step t[] = {
		SEG("CONNECT plain.example HTTP/1.1\r\n\r\nx"),
	};
	const struct step u[] = {
		SEG("CONNECT / HTTP/1.1\r\nHost: fromhost.example:8080\r\n\r\n"),
	};

	(void)state;
	run_both(s, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_string_equal(rec_a.req[0].host, "2001:db8::1");
	assert_int_equal(rec_a.req[0].port, 8443);
	run_both(t, 1);
	assert_string_equal(rec_a.req[0].host, "plain.example");
	assert_int_equal(rec_a.req[0].port, 443);
	assert_int_equal(rec_a.tunnel_len, 1);
	/* An authority we cannot use: the Host header names the target. */
	run_both(u, 1);
	assert_string_equal(rec_a.req[0].host, "fromhost.example");
	assert_int_equal(rec_a.req[0].port, 8080);
}

#define KEEPALIVE_1 "GET /a HTTP/1.1\r\nHost: a.example\r\n\r\n"
#define KEEPALIVE_2 "POST /b HTTP/1.1\r\nHost: B.Example:8080\r\n" \
	"Content-Length: 3\r\n\r\nabc"
#define KEEPALIVE_3 "HEAD /c HTTP/1.0\r\nhOsT: c.example\r\n\r\n"

static void
assert_keepalive(const struct rec *r)
{
	assert_int_equal(r->nreq, 3);
	assert_string_equal(r->req[0].method, "GET");
	assert_string_equal(r->req[0].host, "a.example");
	assert_int_equal(r->req[0].port, 80);
	assert_false(r->req[0].absolute_uri);
	assert_string_equal(r->req[1].method, "POST");
	assert_string_equal(r->req[1].host, "b.example");
	assert_int_equal(r->req[1].port, 8080);
	assert_int_equal(r->req[1].content_length, 3);
	assert_string_equal(r->req[2].method, "HEAD");
	assert_string_equal(r->req[2].host, "c.example");
	assert_int_equal(r->req[2].port, 80);
	assert_int_equal(r->ncall, 1);
	assert_call(r, 0, "abc", 3, true);
	assert_int_equal(r->stats.requests, 3);
	assert_int_equal(r->stats.malformed, 0);
}

static void
test_keepalive(void **state)
{
	const struct step s[] = {
		SEG(KEEPALIVE_1), SEG(KEEPALIVE_2), SEG(KEEPALIVE_3),
	};

	(void)state;
	run_both(s, 3);
	assert_keepalive(&rec_a);
}

static void
test_pipelined(void **state)
{
	const struct step s[] = { SEG(KEEPALIVE_1 KEEPALIVE_2 KEEPALIVE_3) };
	const struct step k[] = {
		SEG(KEEPALIVE_1), SEG(KEEPALIVE_2), SEG(KEEPALIVE_3),
	};
	struct rec *keep = &rec_b;

	(void)state;
	run_both(s, 1);
	assert_keepalive(&rec_a);
	/* Same events as the three requests in three segments. */
	run(k, 3, false, keep);
	assert_same_events(&rec_a, keep);
}

#define CHUNKED_HEAD "POST /u HTTP/1.1\r\nHost: up.example\r\n" \
	"Transfer-Encoding: gzip, Chunked\r\nContent-Length: 99\r\n\r\n"

static void
test_chunked(void **state)
{
	static const char stream[] = CHUNKED_HEAD
	    "5;name=\"v\"\r\nhello\r\n"
	    "10\r\n0123456789abcdef\r\n"
	    "000003 ; x=y\r\nXYZ\r\n"
	    "0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n"
	    "GET /next HTTP/1.1\r\nHost: next.example\r\n\r\n";
	const struct step s[] = {
		SEG(CHUNKED_HEAD "5;name=\"v\"\r\nhel"),
		SEG("lo\r\n1"),		/* chunk-size split: "1" | "0" */
		SEG("0\r\n0123456789abcdef\r"),
		SEG("\n000003 ; x=y\r\nXYZ\r\n0\r\nTrailer-A: 1\r\nTrai"),
		SEG("ler-B: 2\r\n\r\nGET /next HTTP/1.1\r\nHost: next.example\r\n\r\n"),
	};

	(void)state;
	run_both(s, 5);
	assert_int_equal(rec_a.nreq, 2);
	assert_true(rec_a.req[0].chunked);
	assert_false(rec_a.req[0].has_content_length);
	assert_int_equal(rec_a.req[0].content_length, 0);
	assert_int_equal(rec_a.body_len, 24);
	assert_memory_equal(rec_a.body, "hello0123456789abcdefXYZ", 24);
	assert_int_equal(rec_a.call[0].start, true);
	assert_int_equal(rec_a.call[0].len, 3);
	assert_int_equal(rec_a.ncall, 4);
	assert_string_equal(rec_a.req[1].host, "next.example");
	assert_int_equal(rec_a.stats.malformed, 0);
	assert_every_split((const uint8_t *)stream, sizeof(stream) - 1);
}

static void
test_chunk_size_overflow(void **state)
{
	const struct step s[] = {
		SEG("POST /u HTTP/1.1\r\nHost: a.example\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"
		    "3\r\nabc\r\n10000000000000000\r\n0123456789abcdef\r\n0\r\n\r\n"),
		SEG("PUT / HTTP/1.1\r\nHost: after.example\r\n\r\n"),
	};
	const struct step t[] = {
		SEG("POST /u HTTP/1.1\r\nHost: a.example\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"
		    "00000000000000000000003\r\nabc\r\n"
		    "ffffffffffffffff\r\nxyz"),
	};
	const struct step u[] = {
		SEG("POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "g\r\n"),
		SEG("POST /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "1\r\naxy\r\n"),
	};

	(void)state;
	run_both(s, 2);
	assert_int_equal(rec_a.nreq, 2);
	assert_true(rec_a.req[0].chunked);
	assert_string_equal(rec_a.req[1].host, "after.example");
	assert_int_equal(rec_a.body_len, 3);
	assert_memory_equal(rec_a.body, "abc", 3);
	assert_int_equal(rec_a.stats.malformed, 1);
	assert_int_equal(rec_a.stats.resyncs, 0);
	/* Leading zeros are no overflow; 2^64-1 is still a size. */
	run_both(t, 1);
	assert_int_equal(rec_a.stats.malformed, 0);
	assert_int_equal(rec_a.body_len, 6);
	assert_memory_equal(rec_a.body, "abcxyz", 6);
	/* Not hex; chunk data not followed by CRLF. */
	run_both(u, 2);
	assert_int_equal(rec_a.nreq, 2);
	assert_int_equal(rec_a.stats.malformed, 2);
	assert_int_equal(rec_a.body_len, 1);
}

/*
 * After garbage the rest of that feed is dropped and the parser waits for
 * a feed that starts with a request: this depends on where segments end,
 * so it is checked on whole feeds, and byte by byte for the difference.
 */
static void
test_resync_drops_rest_of_feed(void **state)
{
	const struct step s[] = {
		SEG("POST /u HTTP/1.1\r\nHost: a.example\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"
		    "10000000000000000\r\nGET / HTTP/1.1\r\nHost: dropped\r\n\r\n"),
		SEG("and this\r\nGET / HTTP/1.1\r\nHost: dropped2\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost: found\r\n\r\n"),
	};

	(void)state;
	run(s, 3, false, &rec_a);
	assert_int_equal(rec_a.nreq, 2);
	assert_string_equal(rec_a.req[0].host, "a.example");
	assert_string_equal(rec_a.req[1].host, "found");
	assert_int_equal(rec_a.stats.malformed, 1);
	/* Byte by byte every byte starts a feed, so "GET " is found. */
	run(s, 3, true, &rec_b);
	assert_int_equal(rec_b.nreq, 4);
	assert_string_equal(rec_b.req[1].host, "dropped");
	assert_string_equal(rec_b.req[2].host, "dropped2");
}

static void
test_content_length_bad(void **state)
{
	const struct step s[] = {
		SEG("POST /a HTTP/1.1\r\nHost: a.example\r\n"
		    "Content-Length: 18446744073709551616\r\n\r\nbody bytes"),
		SEG("GET /b HTTP/1.1\r\nHost: b.example\r\n\r\n"),
	};
	const struct step t[] = {
		SEG("POST /a HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n"
		    "\r\nxy"),
		SEG("POST /a HTTP/1.1\r\nContent-Length: 4\r\n"
		    "Content-Length: 5\r\n\r\nabcde"),
		SEG("POST /a HTTP/1.1\r\nContent-Length: 1e3\r\n\r\nabc"),
		SEG("POST /a HTTP/1.1\r\nContent-Length: 3\r\n"
		    "content-length:  3 \r\n\r\nabc"),
	};
	const struct step u[] = {
		SEG("POST /a HTTP/1.1\r\nHost: a.example\r\n"
		    "Transfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n"
		    "\r\nab"),
	};

	(void)state;
	run_both(s, 2);
	assert_int_equal(rec_a.nreq, 2);
	assert_false(rec_a.req[0].has_content_length);
	assert_string_equal(rec_a.req[0].host, "a.example");
	assert_string_equal(rec_a.req[1].host, "b.example");
	assert_int_equal(rec_a.body_len, 0);
	assert_int_equal(rec_a.stats.malformed, 1);
	/* 2^64-1 fits (and that body never ends). */
	run_both(t, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_true(rec_a.req[0].has_content_length);
	assert_true(rec_a.req[0].content_length == UINT64_MAX);
	assert_int_equal(rec_a.body_len, 2);
	assert_int_equal(rec_a.stats.malformed, 0);
	/* A second, different length is malformed; so is 1e3; a repeated
	 * equal length is fine. */
	run_both(&t[1], 3);
	assert_int_equal(rec_a.nreq, 3);
	assert_int_equal(rec_a.stats.malformed, 2);
	assert_false(rec_a.req[0].has_content_length);
	assert_false(rec_a.req[1].has_content_length);
	assert_true(rec_a.req[2].has_content_length);
	assert_int_equal(rec_a.req[2].content_length, 3);
	assert_int_equal(rec_a.body_len, 3);
	assert_memory_equal(rec_a.body, "abc", 3);
	/* A final coding other than chunked: length unknown, resync. */
	run_both(u, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_false(rec_a.req[0].chunked);
	assert_false(rec_a.req[0].has_content_length);
	assert_int_equal(rec_a.body_len, 0);
	assert_int_equal(rec_a.stats.malformed, 1);
}

#define RAR5 "Rar!\x1a\x07\x01\x00"
#define MP_BOUNDARY "----WebKitFormBoundaryAbC123"
#define MP_BODY								\
	"--" MP_BOUNDARY "\r\n"						\
	"Content-Disposition: form-data; name=\"f1\"; filename=\"a.rar\"\r\n" \
	"Content-Type: application/octet-stream\r\n"			\
	"\r\n"								\
	RAR5 "AAAA\r\n--" MP_BOUNDARY "X not a delimiter\r\n--" MP_BOUNDAR \
	"\r\n--" MP_BOUNDARY " \r\n"					\
	"Content-Disposition: form-data; name=\"f2\"; filename=\"b.rar\"\r\n" \
	"\r\n"								\
	RAR5 "BBBBBB\r\n"						\
	"--" MP_BOUNDARY "--\r\n"					\
	"epilogue --" MP_BOUNDARY "\r\n"
#define MP_BOUNDAR "----WebKitFormBoundaryAbC12"

/* The body holds NUL bytes: strstr would stop at the first. */
#define find(hay, n, lit) find_n(hay, n, lit, sizeof(lit) - 1)

static const char *
find_n(const char *hay, size_t n, const char *needle, size_t needle_len)
{
	const char *p = memmem(hay, n, needle, needle_len);

	assert_non_null(p);
	return p;
}

/* on_part_end: the parts' contents, as evidence.c cuts them (the last
 * `delim` bytes and a CR before them are the delimiter's). */
struct parts {
	char buf[4][64];
	size_t len[4];
	int n;        /* parts started */
	int ended;    /* on_part_end calls */
	bool open;
	size_t got[4];   /* bytes delivered to the part by its end */
	size_t delim[4]; /* on_part_end's delim */
};

static void
parts_body(void *ctx, const uint8_t *data, size_t len, bool part_start)
{
	struct parts *ps = ctx;

	if (part_start) {
		assert_true(ps->n < 4);
		ps->n++;
		ps->open = true;
	}
	if (!ps->open)
		return;
	assert_true(ps->len[ps->n - 1] + len <= sizeof(ps->buf[0]));
	memcpy(ps->buf[ps->n - 1] + ps->len[ps->n - 1], data, len);
	ps->len[ps->n - 1] += len;
}

static void
parts_end(void *ctx, size_t delim)
{
	struct parts *ps = ctx;
	size_t *l = &ps->len[ps->n - 1];

	ps->ended++;
	if (!ps->open)
		return;
	ps->got[ps->n - 1] = *l;
	ps->delim[ps->n - 1] = delim;
	*l = *l > delim ? *l - delim : 0;
	if (*l > 0 && ps->buf[ps->n - 1][*l - 1] == '\r')
		(*l)--;
	ps->open = false;
}

/* A multipart POST (boundary "xyz") with body fed step bytes at a time
 * into a fresh parser: its parts into ps; the request's length. */
static size_t
feed_parts(const char *body, size_t step, struct parts *ps)
{
	struct http_events ev = { NULL, parts_body, NULL, NULL, NULL, parts_end };
	struct http_parser p;
	char req[512];
	size_t n, i;

	n = (size_t)snprintf(req, sizeof(req), "POST /u HTTP/1.1\r\nHost: h\r\n"
	    "Content-Type: multipart/form-data; boundary=xyz\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	assert_true(n < sizeof(req));
	memset(ps, 0, sizeof(*ps));
	http_parser_init(&p);
	for (i = 0; i < n; i += step)
		http_parser_feed(&p, (const uint8_t *)req + i,
		    n - i < step ? n - i : step, &ev, ps);
	return n;
}

static void
test_multipart_part_end(void **state)
{
	static const char body[] =
	    "--xyz\r\nContent-Disposition: form-data; name=a; filename=\"a\"\r\n"
	    "\r\nPK\x03\x04one\r\n--xy not yet\r\n--xyz  \r\n"
	    "Content-Disposition: form-data; name=b\r\n\r\ntwo\n--xyz--\r\n"
	    "epilogue";
	struct parts ps;
	size_t n = 1, step;

	(void)state;
	for (step = 1; step <= n; step += step < 8 ? 1 : 97) {
		n = feed_parts(body, step, &ps);
		/* the preamble (a body's first bytes), then the two parts */
		assert_int_equal(ps.n, 3);
		assert_int_equal(ps.ended, 3);
		assert_int_equal(ps.len[0], 0);
		assert_int_equal(ps.len[1], 21);
		assert_memory_equal(ps.buf[1], "PK\x03\x04one\r\n--xy not yet", 21);
		assert_int_equal(ps.len[2], 3);
		assert_memory_equal(ps.buf[2], "two", 3);
		/* the delimiters as delivered: "--xyz\r\n" at the body's
		 * start (no line end before it), "\n--xyz  \r\n", "\n--xyz--" */
		assert_int_equal(ps.delim[0], 7);
		assert_int_equal(ps.got[0], 7);
		assert_int_equal(ps.delim[1], 10);
		assert_int_equal(ps.delim[2], 8);
	}
}

/* A delimiter at a content's start (an empty part): delim is the bytes
 * delivered, never one more for the line start that was none. */
static void
test_multipart_delim_at_start(void **state)
{
	static const char body[] =
	    "--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "--xyz--\r\n";
	struct parts ps;
	size_t n = 1, step;

	(void)state;
	for (step = 1; step <= n; step++) {
		n = feed_parts(body, step, &ps);
		assert_int_equal(ps.n, 2);
		assert_int_equal(ps.ended, 2);
		assert_int_equal(ps.got[0], 7);   /* "--xyz\r\n" */
		assert_int_equal(ps.delim[0], 7);
		assert_int_equal(ps.got[1], 7);   /* "--xyz--" */
		assert_int_equal(ps.delim[1], 7);
		assert_int_equal(ps.len[1], 0);
	}
}

static void
test_multipart(void **state)
{
	static const char body[] = MP_BODY;
	char head[512], stream[2048];
	const char *second;
	size_t hlen, blen = sizeof(body) - 1, cut, first_off, second_off;
	struct step s[3];

	(void)state;
	hlen = (size_t)snprintf(head, sizeof(head),
	    "POST http://files.example/upload HTTP/1.1\r\n"
	    "Content-Type: multipart/form-data; charset=utf-8; "
	    "boundary=\"" MP_BOUNDARY "\"\r\n"
	    "Content-Length: %zu\r\n\r\n", blen);
	memcpy(stream, head, hlen);
	memcpy(stream + hlen, body, blen);
	/* Cut the stream inside the second part's delimiter. */
	second = find(body, blen, "\r\n--" MP_BOUNDARY " \r\n");
	assert_non_null(second);
	cut = hlen + (size_t)(second - body) + 12;
	s[0].data = stream;
	s[0].len = hlen + 10;
	s[1].data = stream + hlen + 10;
	s[1].len = cut - hlen - 10;
	s[2].data = stream + cut;
	s[2].len = hlen + blen - cut;
	run_both(s, 3);
	assert_int_equal(rec_a.nreq, 1);
	assert_true(rec_a.req[0].multipart);
	assert_string_equal(rec_a.req[0].host, "files.example");
	assert_int_equal(rec_a.body_len, blen);
	assert_memory_equal(rec_a.body, body, blen);
	first_off = (size_t)(find(body, blen, RAR5 "AAAA") - body);
	second_off = (size_t)(find(body, blen, RAR5 "BBBBBB") - body);
	/* calls: body start (2 segments), part 1 content, part 2 headers,
	 * part 2 content */
	assert_int_equal(rec_a.ncall, 5);
	assert_int_equal(rec_a.call[0].start, true);
	assert_int_equal(rec_a.call[0].off, 0);
	assert_int_equal(rec_a.call[0].len, 10);
	assert_int_equal(rec_a.call[1].start, false);
	assert_int_equal(rec_a.call[1].len, first_off - 10);
	assert_int_equal(rec_a.call[2].start, true);
	assert_int_equal(rec_a.call[2].off, first_off);
	assert_memory_equal(rec_a.body + rec_a.call[2].off, RAR5 "AAAA", 12);
	assert_int_equal(rec_a.call[3].start, false);
	assert_int_equal(rec_a.call[4].start, true);
	assert_int_equal(rec_a.call[4].off, second_off);
	assert_int_equal(rec_a.call[4].len, blen - second_off);
	assert_memory_equal(rec_a.body + rec_a.call[4].off, RAR5 "BBBBBB", 14);
	assert_int_equal(rec_a.stats.malformed, 0);
	assert_every_split((const uint8_t *)stream, hlen + blen);
}

/* Feeds len bytes of s whole, or one at a time. */
static void
feed(struct http_parser *p, const char *s, size_t len, bool bytewise,
    struct rec *r)
{
	struct http_events ev = { on_request, on_body, on_tunnel, NULL, NULL, NULL };
	size_t k;

	if (!bytewise) {
		http_parser_feed(p, (const uint8_t *)s, len, &ev, r);
		return;
	}
	for (k = 0; k < len; k++)
		http_parser_feed(p, (const uint8_t *)s + k, 1, &ev, r);
}

/* What alerts say of a request (issue 13): its target, User-Agent and the
 * filename of the part being read, however the stream is cut; a part
 * without a filename keeps the last one, a new request clears them. */
static void
test_alert_fields(void **state)
{
	static const char body[] = MP_BODY;
	char stream[2048];
	const char *part2;
	size_t hlen, blen = sizeof(body) - 1, at2;
	struct http_parser p, q;
	uint8_t saved[sizeof(struct http_parser)];
	int bytewise;

	(void)state;
	hlen = (size_t)snprintf(stream, sizeof(stream),
	    "POST /up?x=1&y=%%22 HTTP/1.1\r\nHost: files.example\r\n"
	    "User-Agent:  curl/8.1 \"q\"\r\nUser-Agent: second\r\n"
	    "Content-Type: multipart/form-data; boundary=\"" MP_BOUNDARY "\"\r\n"
	    "Content-Length: %zu\r\n\r\n", blen);
	memcpy(stream + hlen, body, blen);
	part2 = find(body, blen, "name=\"f2\"");
	assert_non_null(part2);
	at2 = hlen + (size_t)(part2 - body);
	for (bytewise = 0; bytewise < 2; bytewise++) {
		memset(&rec_a, 0, sizeof(rec_a));
		http_parser_init(&p);
		feed(&p, stream, at2, bytewise, &rec_a);
		assert_int_equal(rec_a.nreq, 1);
		assert_string_equal(rec_a.req[0].method, "POST");
		assert_string_equal(rec_a.req[0].uri, "/up?x=1&y=%22");
		assert_string_equal(rec_a.req[0].user_agent, "curl/8.1 \"q\"");
		assert_string_equal(p.req.filename, "a.rar");
		/* the parser state is saved and restored with them */
		memcpy(saved, &p, http_parser_saved_len(&p));
		assert_true(http_parser_restore(&q, saved, http_parser_saved_len(&p)));
		assert_string_equal(q.req.filename, "a.rar");
		feed(&p, stream + at2, hlen + blen - at2, bytewise, &rec_a);
		assert_string_equal(p.req.filename, "b.rar");
		assert_string_equal(p.req.uri, "/up?x=1&y=%22");
		/* the next request starts with none */
		feed(&p, "GET http://x.example/a HTTP/1.1\r\n", 33, bytewise, &rec_a);
		feed(&p, "\r\n", 2, bytewise, &rec_a);
		assert_int_equal(rec_a.nreq, 2);
		assert_string_equal(rec_a.req[1].uri, "http://x.example/a");
		assert_string_equal(rec_a.req[1].user_agent, "");
		assert_string_equal(rec_a.req[1].filename, "");
	}
	/* an unquoted filename, a filename* that is not read, a name= that
	 * only ends like one, and a filename cut to fit */
	memset(&rec_a, 0, sizeof(rec_a));
	http_parser_init(&p);
	hlen = (size_t)snprintf(stream, sizeof(stream),
	    "POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b1\r\n"
	    "Content-Length: 200\r\n\r\n--b1\r\n"
	    "Content-Disposition: form-data; xfilename*=UTF-8''z; filename=tok.zip; n=1\r\n\r\n");
	feed(&p, stream, hlen, false, &rec_a);
	assert_string_equal(p.req.filename, "tok.zip");
	http_parser_init(&p);
	hlen = (size_t)snprintf(stream, sizeof(stream),
	    "POST /u HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b1\r\n"
	    "Content-Length: 900\r\n\r\n--b1\r\n"
	    "Content-Disposition: form-data; filename=\"%0300d\"\r\n\r\n", 7);
	memset(&rec_a, 0, sizeof(rec_a));
	feed(&p, stream, hlen, false, &rec_a);
	assert_int_equal(strlen(p.req.filename), HTTP_FILENAME_MAX - 1);
}

/* Chunked multipart with bare LF lines, unquoted boundary, an empty part
 * without headers, and a delimiter split across two chunks. */
static void
test_multipart_chunked_lf(void **state)
{
	static const char stream[] =
	    "POST /up HTTP/1.1\nHost: mp.example\n"
	    "Content-Type: Multipart/Form-Data; boundary=xYz\n"
	    "Transfer-Encoding: chunked\n\n"
	    "8\n--xYz\nA:\n"
	    "4\nb\n\nR\n"
	    "6\nar!\n--\n"
	    "7\nxYz\n\n--\n"
	    "9\nxYz\n\nQ\n--\n"
	    "5\nxYz--\n"
	    "0\n\n";
	const struct step s[] = { { stream, sizeof(stream) - 1 } };

	(void)state;
	run_both(s, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_true(rec_a.req[0].multipart);
	assert_true(rec_a.req[0].chunked);
	assert_int_equal(rec_a.body_len, 39);
	assert_memory_equal(rec_a.body,
	    "--xYz\nA:b\n\nRar!\n--xYz\n\n--xYz\n\nQ\n--xYz--", 39);
	assert_int_equal(rec_a.ncall, 9);
	assert_call(&rec_a, 0, "--xYz\nA:", 8, true);
	assert_call(&rec_a, 1, "b\n\n", 3, false);
	assert_call(&rec_a, 2, "R", 1, true);
	assert_call(&rec_a, 3, "ar!\n--", 6, false);
	assert_call(&rec_a, 4, "xYz\n\n", 5, false);
	assert_call(&rec_a, 5, "--", 2, true);	/* empty part's content */
	assert_call(&rec_a, 6, "xYz\n\n", 5, false);
	assert_call(&rec_a, 7, "Q\n--", 4, true);
	assert_call(&rec_a, 8, "xYz--", 5, false);
	assert_every_split((const uint8_t *)stream, sizeof(stream) - 1);
}

static void
test_multipart_bad_boundary(void **state)
{
	const struct step s[] = {
		SEG("POST / HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary=\"a\x01" "b\"\r\nContent-Length: 4\r\n\r\n--a\n"),
		SEG("POST / HTTP/1.1\r\nContent-Type: multipart/form-data; "
		    "boundary=0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890\r\n\r\n"),
		SEG("POST / HTTP/1.1\r\nContent-Type: multipart/form-data\r\n"
		    "\r\n"),
		SEG("POST / HTTP/1.1\r\nContent-Type: multipart/form-data;"
		    " name=\"x;y\"; boundary=ok\r\n\r\n"),
		SEG("POST / HTTP/1.1\r\nContent-Type: text/plain; boundary=ok"
		    "\r\n\r\n"),
	};

	(void)state;
	run_both(s, 5);
	assert_int_equal(rec_a.nreq, 5);
	assert_false(rec_a.req[0].multipart);
	assert_false(rec_a.req[1].multipart);	/* 71 characters */
	assert_false(rec_a.req[2].multipart);
	assert_true(rec_a.req[3].multipart);
	assert_false(rec_a.req[4].multipart);
	assert_int_equal(rec_a.ncall, 1);
	assert_call(&rec_a, 0, "--a\n", 4, true);
}

static void
test_x_forwarded_for(void **state)
{
	const struct step s[] = {
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For: 203.0.113.7\r\n\r\n"),
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "x-forwarded-for: unknown, 2001:DB8::7, 198.51.100.1\r\n\r\n"),
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For: [2001:db8::8]:4711\r\n"
		    "X-Forwarded-For: 192.0.2.1\r\n\r\n"),
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For:  192.0.2.9:1234 , 10.0.0.1\r\n\r\n"),
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For: garbage, _hidden, 1.2.3.4.5\r\n\r\n"),
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For: unknown\r\n"
		    "X-Forwarded-For: 198.51.100.20\r\n\r\n"),
		/* the proxy added "unknown": the client's claim is not taken */
		SEG("GET http://x.example/ HTTP/1.1\r\n"
		    "X-Forwarded-For: 10.9.9.9, unknown\r\n\r\n"),
	};
	struct netaddr want;
	int i;
	/* the rightmost address (of the last header) is the proxy's own
	 * addition; what the client wrote to its left is not trusted */
	static const char *const expect[] = {
		"203.0.113.7", "198.51.100.1", "192.0.2.1", "10.0.0.1", NULL,
		"198.51.100.20", NULL,
	};

	(void)state;
	run_both(s, 7);
	assert_int_equal(rec_a.nreq, 7);
	for (i = 0; i < 7; i++) {
		if (expect[i] == NULL) {
			assert_false(rec_a.req[i].has_xff);
			continue;
		}
		assert_true(rec_a.req[i].has_xff);
		assert_int_equal(netaddr_parse(expect[i], &want), 0);
		assert_true(netaddr_eq(&rec_a.req[i].xff, &want));
	}
	assert_int_equal(rec_a.req[0].xff.family, 4);
	assert_int_equal(rec_a.req[1].xff.family, 4);
}

static void
test_host_header_forms(void **state)
{
	const struct step s[] = {
		SEG("GET / HTTP/1.1\r\nHost: WWW.Example.ORG:8443\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost: [2001:DB8::1]:81\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost:[::1]\r\n\r\n"),
		SEG("GET * HTTP/1.1\r\nHost: a.example:\r\n"
		    "Host: second.example\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost: a.example:99999\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost: 2001:db8::2\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nX-Other: 1\r\n\r\n"),
		SEG("OPTIONS * HTTP/1.1\r\nHost: \t opt.example \t\r\n"
		    " folded continuation\r\n\r\n"),
	};

	(void)state;
	run_both(s, 8);
	assert_int_equal(rec_a.nreq, 8);
	assert_string_equal(rec_a.req[0].host, "www.example.org");
	assert_int_equal(rec_a.req[0].port, 8443);
	assert_string_equal(rec_a.req[1].host, "2001:db8::1");
	assert_int_equal(rec_a.req[1].port, 81);
	assert_string_equal(rec_a.req[2].host, "::1");
	assert_int_equal(rec_a.req[2].port, 80);
	assert_string_equal(rec_a.req[3].host, "a.example");
	assert_int_equal(rec_a.req[3].port, 80);
	/* Not a port: kept as part of the (raw) host. */
	assert_string_equal(rec_a.req[4].host, "a.example:99999");
	assert_int_equal(rec_a.req[4].port, 80);
	assert_string_equal(rec_a.req[5].host, "2001:db8::2");
	assert_string_equal(rec_a.req[6].host, "");
	assert_int_equal(rec_a.req[6].port, 80);
	assert_string_equal(rec_a.req[7].host, "opt.example");
	assert_int_equal(rec_a.stats.malformed, 0);
}

static void
test_absolute_uri_forms(void **state)
{
	const struct step s[] = {
		SEG("GET http://[2001:db8::5]:8080/p HTTP/1.1\r\n\r\n"),
		SEG("GET HTTPS://user:pw@[::1]/x HTTP/1.1\r\n\r\n"),
		SEG("GET https://user@host.example?q=1 HTTP/1.1\r\n\r\n"),
		SEG("GET ftp://files.example/f HTTP/1.1\r\n\r\n"),
		SEG("GET http:///nohost HTTP/1.1\r\nHost: h.example\r\n\r\n"),
		SEG("GET http://a@b@c.example:81#frag HTTP/1.1\r\n\r\n"),
	};

	(void)state;
	run_both(s, 6);
	assert_int_equal(rec_a.nreq, 6);
	assert_string_equal(rec_a.req[0].host, "2001:db8::5");
	assert_int_equal(rec_a.req[0].port, 8080);
	assert_string_equal(rec_a.req[1].host, "::1");
	assert_int_equal(rec_a.req[1].port, 443);
	assert_string_equal(rec_a.req[2].host, "host.example");
	assert_int_equal(rec_a.req[2].port, 443);
	assert_string_equal(rec_a.req[3].host, "files.example");
	assert_int_equal(rec_a.req[3].port, 21);
	assert_string_equal(rec_a.req[4].host, "h.example");
	assert_int_equal(rec_a.req[4].port, 80);
	assert_string_equal(rec_a.req[5].host, "c.example");
	assert_int_equal(rec_a.req[5].port, 81);
}

static void
test_long_lines(void **state)
{
	static char stream[12000];
	char *w = stream;
	const struct step *sp;
	struct step s[1];

	(void)state;
	w += sprintf(w, "GET http://long.example:8081/");
	memset(w, 'A', 3000);
	w += 3000;
	w += sprintf(w, " HTTP/1.1\r\nHost: other.example\r\nX-Long: ");
	memset(w, 'B', 5000);
	w += 5000;
	w += sprintf(w, "\r\nX-Exact: ");
	/* exactly HTTP_LINE_MAX bytes with its CR: not truncated */
	memset(w, 'C', HTTP_LINE_MAX - 10);
	w += HTTP_LINE_MAX - 10;
	w += sprintf(w, "\r\nContent-Length: 2\r\n\r\nok");
	s[0].data = stream;
	s[0].len = (size_t)(w - stream);
	sp = s;
	run_both(sp, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_string_equal(rec_a.req[0].host, "long.example");
	assert_int_equal(rec_a.req[0].port, 8081);
	assert_int_equal(rec_a.stats.long_lines, 2);
	assert_int_equal(rec_a.body_len, 2);
	assert_memory_equal(rec_a.body, "ok", 2);
}

static void
test_hostile_host(void **state)
{
	static const char hostile[] = "GET / HTTP/1.1\r\n"
	    "Host: A|b=c\\d\"e'f\0g<X>\r\n\r\n";
	const struct step s[] = { { hostile, sizeof(hostile) - 1 } };
	static char big[1200];
	struct step t[1];
	size_t n;

	(void)state;
	run_both(s, 1);
	assert_int_equal(rec_a.nreq, 1);
	assert_memory_equal(rec_a.req[0].host, "a|b=c\\d\"e'f\0g<x>\0", 17);
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: ");
	memset(big + n, 'H', 400);
	n += 400;
	n += (size_t)sprintf(big + n, ":8080\r\n\r\n");
	t[0].data = big;
	t[0].len = n;
	run_both(t, 1);
	assert_int_equal(strlen(rec_a.req[0].host), HTTP_HOST_MAX - 1);
	assert_int_equal(rec_a.req[0].host[0], 'h');
	assert_int_equal(rec_a.req[0].port, 8080);
}

static void
test_gap_resync(void **state)
{
	const struct step s[] = {
		SEG("POST /a HTTP/1.1\r\nHost: one.example\r\n"
		    "Content-Length: 100\r\n\r\npartial"),
		GAP,
		SEG("rest of the body\r\n"),
		SEG("GET /b HTTP/1.1\r\nHost: two.example\r\n\r\n"),
		GAP,
		SEG("PO"), SEG("ST /c HTTP/1.1\r\nHost: three.example\r\n"
		    "Content-Length: 1\r\n\r\nz"),
		GAP, GAP,
		SEG("get /lower HTTP/1.1\r\n\r\n"),
	};

	(void)state;
	run_both(s, 10);
	assert_int_equal(rec_a.nreq, 3);
	assert_string_equal(rec_a.req[0].host, "one.example");
	assert_string_equal(rec_a.req[1].host, "two.example");
	assert_string_equal(rec_a.req[2].host, "three.example");
	assert_string_equal(rec_a.req[2].method, "POST");
	assert_int_equal(rec_a.body_len, 8);
	assert_memory_equal(rec_a.body, "partialz", 8);
	assert_int_equal(rec_a.stats.resyncs, 4);
	assert_int_equal(rec_a.stats.malformed, 0);
}

static void
test_garbage(void **state)
{
	const struct step s[] = {
		SEG("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
		SEG("more binary \r\n"),
		SEG("GET / HTTP/1.1\r\nHost: after.example\r\n\r\n"),
		SEG("\r\n\r\nGET / HTTP/2.0\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\n\r\n"),
		SEG("BREW /pot HTTP/1.1\r\nno colon here\r\n: empty\r\n"
		    "Bad Name: x\r\n\r\n"),
		SEG("VERYLONGMETHODXX / HTTP/1.1\r\n\r\n"),
		SEG("GET /x\r\n\r\n"),
		SEG("PUT  / HTTP/1.1\r\n\r\n"),
		SEG("PUT /y HTTP/1.1\r\n\r\n"),
	};

	(void)state;
	run_both(s, 10);
	assert_int_equal(rec_a.nreq, 4);
	assert_string_equal(rec_a.req[0].host, "after.example");
	assert_string_equal(rec_a.req[1].method, "GET");
	assert_string_equal(rec_a.req[1].host, "");
	/* Unknown methods are parsed (only resync needs a known one). */
	assert_string_equal(rec_a.req[2].method, "BREW");
	assert_string_equal(rec_a.req[3].method, "PUT");
	/* TLS bytes, HTTP/2.0, 3 bad header lines, 16-char method,
	 * HTTP/0.9 form, empty target */
	assert_int_equal(rec_a.stats.malformed, 8);
	assert_int_equal(rec_a.stats.requests, 4);
}

/* Truncate a stream at every offset, lose the rest, then a new request:
 * it must always be found, and nothing may crash. */
static void
test_truncated_then_gap(void **state)
{
	static const char stream[] = CHUNKED_HEAD "5\r\nhello\r\n0\r\n\r\n"
	    "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b"
	    "\r\nContent-Length: 22\r\n\r\n--b\r\nX: y\r\n\r\ndata--b--";
	static const char next[] = "GET / HTTP/1.1\r\nHost: z.example\r\n\r\n";
	struct step s[3];
	size_t k;

	(void)state;
	for (k = 0; k <= sizeof(stream) - 1; k++) {
		s[0].data = stream;
		s[0].len = k;
		s[1].data = NULL;
		s[1].len = 0;
		s[2].data = next;
		s[2].len = sizeof(next) - 1;
		run(s, 3, false, &rec_a);
		assert_true(rec_a.nreq >= 1);
		assert_string_equal(rec_a.req[rec_a.nreq - 1].host, "z.example");
		assert_int_equal(rec_a.stats.resyncs, 1);
	}
}

/* RFC 9110 5.6.2 tchar, spelled out independently of the parser's table. */
static bool
ref_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Every byte value at every position of a 9-byte field name: the name is
 * malformed exactly when the byte is not a tchar. */
static void
test_field_name_bytes(void **state)
{
	char stream[128];
	struct step s[1];
	size_t pos, n;
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		if (c == ':' || c == '\n')
			continue;	/* they end the name or the line */
		for (pos = 0; pos < 9; pos++) {
			if (pos == 0 && (c == ' ' || c == '\t'))
				continue;	/* obs-fold continuation */
			n = (size_t)snprintf(stream, sizeof(stream),
			    "GET / HTTP/1.1\r\nabcdefghi: v\r\n"
			    "Host: h.example\r\n\r\n");
			stream[16 + pos] = (char)c;
			s[0].data = stream;
			s[0].len = n;
			run(s, 1, false, &rec_a);
			assert_int_equal(rec_a.nreq, 1);
			assert_string_equal(rec_a.req[0].host, "h.example");
			assert_int_equal(rec_a.stats.malformed,
			    ref_tchar(c) ? 0 : 1);
		}
	}
}

/* The host is lowercased in ASCII only, every other byte kept as sent,
 * for every length (the copy goes eight bytes at a time). */
static void
test_host_bytes_lowercased(void **state)
{
	char stream[512], want[HTTP_HOST_MAX];
	uint8_t host[200];
	struct step s[1];
	size_t n, k, len;
	int c, part;

	(void)state;
	for (part = 0; part < 2; part++) {
		len = 0;
		host[len++] = 'Q';
		for (c = part * 128; c < part * 128 + 128; c++)
			if (c != '\n' && c != '\r' && c != ':')
				host[len++] = (uint8_t)c;
		host[len++] = 'Z';
		for (k = 1; k <= len; k++) {
			if (host[k - 1] == ' ' || host[k - 1] == '\t')
				continue;	/* trailing OWS is trimmed */
			n = (size_t)sprintf(stream, "GET / HTTP/1.1\r\nHost: ");
			memcpy(stream + n, host, k);
			n += k;
			n += (size_t)sprintf(stream + n, "\r\n\r\n");
			for (c = 0; c < (int)k; c++)
				want[c] = (char)(host[c] >= 'A' && host[c] <= 'Z' ?
				    host[c] + 32 : host[c]);
			want[k] = '\0';
			s[0].data = stream;
			s[0].len = n;
			run(s, 1, false, &rec_a);
			assert_int_equal(rec_a.nreq, 1);
			assert_memory_equal(rec_a.req[0].host, want, k + 1);
			assert_int_equal(rec_a.req[0].port, 80);
		}
	}
}

/* Field names match in any case; names that differ in one byte (also by
 * a tchar that equals a letter once 0x20 is set) do not. */
static void
test_field_name_case(void **state)
{
	const struct step s[] = {
		SEG("POST / HTTP/1.1\r\nHOST: A.example\r\n"
		    "CONTENT-LENGTH: 2\r\nX-FORWARDED-FOR: 192.0.2.3\r\n\r\nab"),
		SEG("POST / HTTP/1.1\r\nhost: b.example\r\n"
		    "tRANSFER-eNCODING: chunked\r\n"
		    "content-TYPE: multipart/form-data; boundary=q\r\n\r\n"
		    "1\r\nc\r\n0\r\n\r\n"),
		SEG("POST / HTTP/1.1\r\nHos^: c.example\r\nHo_t: d.example\r\n"
		    "Content_Length: 5\r\nContent-Lengt~: 5\r\n"
		    "X-Forwarded_For: 192.0.2.4\r\nTransfer-Encodinf: chunked\r\n"
		    "Content-Typ`: multipart/form-data; boundary=q\r\n\r\n"),
		SEG("GET / HTTP/1.1\r\nHost: e.example\r\n\r\n"),
	};

	(void)state;
	run_both(s, 4);
	assert_int_equal(rec_a.nreq, 4);
	assert_string_equal(rec_a.req[0].host, "a.example");
	assert_true(rec_a.req[0].has_content_length);
	assert_int_equal(rec_a.req[0].content_length, 2);
	assert_true(rec_a.req[0].has_xff);
	assert_string_equal(rec_a.req[1].host, "b.example");
	assert_true(rec_a.req[1].chunked);
	assert_true(rec_a.req[1].multipart);
	assert_string_equal(rec_a.req[2].host, "");
	assert_false(rec_a.req[2].has_content_length);
	assert_false(rec_a.req[2].has_xff);
	assert_false(rec_a.req[2].chunked);
	assert_false(rec_a.req[2].multipart);
	assert_string_equal(rec_a.req[3].host, "e.example");
	assert_int_equal(rec_a.body_len, 3);
	assert_memory_equal(rec_a.body, "abc", 3);
	assert_int_equal(rec_a.stats.malformed, 0);
}

/* Lines of HTTP_LINE_MAX - 1, HTTP_LINE_MAX and HTTP_LINE_MAX + 1 bytes
 * before CR LF, whole in one segment or cut anywhere near their end: only
 * the longer two are truncated, and a truncated Content-Length is no
 * length. */
static void
test_line_max_edges(void **state)
{
	static char stream[4 * HTTP_LINE_MAX];
	struct step s[2];
	size_t n, k, fill, cut;
	int extra;

	(void)state;
	for (extra = -1; extra <= 1; extra++) {
		n = (size_t)sprintf(stream, "GET / HTTP/1.1\r\nX-A: ");
		fill = HTTP_LINE_MAX + (size_t)(extra + 1) - 1 - 5;
		memset(stream + n, 'a', fill);
		n += fill;	/* "X-A: " + fill = HTTP_LINE_MAX + extra */
		n += (size_t)sprintf(stream + n, "\r\nContent-Length: ");
		memset(stream + n, '0', fill - 12);
		n += fill - 12;	/* "Content-Length: " + zeros + "1" */
		n += (size_t)sprintf(stream + n,
		    "1\r\nHost: z.example\r\n\r\nz");
		s[0].data = stream;
		s[0].len = n;
		run(s, 1, false, &rec_b);
		assert_int_equal(rec_b.nreq, 1);
		assert_string_equal(rec_b.req[0].host, "z.example");
		assert_int_equal(rec_b.stats.long_lines, extra < 0 ? 0 : 2);
		assert_int_equal(rec_b.req[0].has_content_length, extra < 0);
		assert_int_equal(rec_b.body_len, extra < 0 ? 1 : 0);
		assert_int_equal(rec_b.stats.malformed, extra < 0 ? 0 : 1);
		for (cut = 16; cut < n; cut++) {
			/* around the ends of the two long lines */
			k = cut - 16;
			if (!(k < 8 || (k > fill && k < fill + 16) ||
			    (k > 2 * fill && k < 2 * fill + 16)))
				continue;
			s[0].len = cut;
			s[1].data = stream + cut;
			s[1].len = n - cut;
			run(s, 2, false, &rec_a);
			assert_same_events(&rec_a, &rec_b);
		}
	}
}

/* Content that only resembles a delimiter: LF and "-" runs, a partial
 * boundary, a boundary followed by another character; a part header line
 * of CRs only is an empty line. Split at every offset. */
static void
test_multipart_near_misses(void **state)
{
#define NM_BODY "--bnd\r\nA: 1\r\n\r\r\n" \
	"x\n-y\n--b\n--bn\r\n--bndX\n-\n--\n--bnd \t\r\n\r\n" \
	"Q\n--bnd--tail\n--bnd\r\n\r\nnot a part"
	static const char stream[] = "POST / HTTP/1.1\r\n"
	    "Content-Type: multipart/form-data; boundary=bnd\r\n"
	    "Content-Length: 87\r\n\r\n" NM_BODY
	    "GET / HTTP/1.1\r\nHost: after.example\r\n\r\n";
	const struct step s[] = { { stream, sizeof(stream) - 1 } };

	(void)state;
	assert_int_equal(sizeof(NM_BODY) - 1, 87);
	run_both(s, 1);
	assert_int_equal(rec_a.nreq, 2);
	assert_true(rec_a.req[0].multipart);
	assert_string_equal(rec_a.req[1].host, "after.example");
	assert_int_equal(rec_a.ncall, 3);
	assert_call(&rec_a, 0, "--bnd\r\nA: 1\r\n\r\r\n", 16, true);
	assert_call(&rec_a, 1, "x\n-y\n--b\n--bn\r\n--bndX\n-\n--\n--bnd \t\r\n\r\n",
	    38, true);
	assert_call(&rec_a, 2, "Q\n--bnd--tail\n--bnd\r\n\r\nnot a part", 33,
	    true);
	assert_int_equal(rec_a.stats.malformed, 0);
	assert_every_split((const uint8_t *)stream, sizeof(stream) - 1);
#undef NM_BODY
}

/* Methods sharing a first letter, and method bytes split over feeds after
 * a gap. */
static void
test_methods_first_letter(void **state)
{
	const struct step s[] = {
		GAP, SEG("PROPP"), SEG("ATCH /a HTTP/1.1\r\nHost: a.example\r\n\r\n"),
		GAP, SEG("MKCALENDAR /b HTTP/1.1\r\nHost: b.example\r\n\r\n"),
		GAP, SEG("MK"), SEG("COLX /c HTTP/1.1\r\n\r\n"),
		SEG("MOVE /d HTTP/1.1\r\nHost: d.example\r\n\r\n"),
	};

	(void)state;
	assert_true(http_looks_like_request((const uint8_t *)"ACL /", 5));
	assert_true(http_looks_like_request((const uint8_t *)"PROPPATCH /", 11));
	assert_true(http_looks_like_request((const uint8_t *)"MOVE /", 6));
	assert_true(http_looks_like_request((const uint8_t *)"MKCALENDAR /", 12));
	assert_false(http_looks_like_request((const uint8_t *)"PROP /", 6));
	assert_false(http_looks_like_request((const uint8_t *)"MKCALENDAR", 10));
	assert_false(http_looks_like_request((const uint8_t *)"Zz /", 4));
	assert_false(http_looks_like_request((const uint8_t *)"@GET /", 6));
	run_both(s, 9);
	assert_int_equal(rec_a.nreq, 3);
	assert_string_equal(rec_a.req[0].method, "PROPPATCH");
	assert_string_equal(rec_a.req[0].host, "a.example");
	assert_string_equal(rec_a.req[1].method, "MKCALENDAR");
	/* "MKCOLX" is no method: the rest waits for a request start. */
	assert_string_equal(rec_a.req[2].method, "MOVE");
	assert_string_equal(rec_a.req[2].host, "d.example");
	assert_int_equal(rec_a.stats.resyncs, 3);
}

static void
test_null_stats_and_callbacks(void **state)
{
	static const char stream[] = "POST /a HTTP/1.1\r\nContent-Length: 1\r\n"
	    "\r\nxCONNECT a:1 HTTP/1.1\r\n\r\ntunnel";
	struct http_events ev;
	struct http_parser p;

	(void)state;
	memset(&ev, 0, sizeof(ev));
	http_parser_init(&p);
	http_parser_feed(&p, (const uint8_t *)stream, sizeof(stream) - 1, &ev,
	    NULL);
	http_parser_gap(&p, &ev);
	http_parser_feed(&p, (const uint8_t *)"x", 1, NULL, NULL);
	http_parser_feed(&p, NULL, 10, &ev, NULL);
	http_parser_init(&p);
	http_parser_gap(&p, NULL);
	http_parser_feed(&p, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, NULL,
	    NULL);
}

/* Run last: no test above asked for a span outside its parent. */
/* The parser's saved state (a restart: track/state.h) taken at every byte
 * of a stream with keep-alive, a chunked multipart upload and a CONNECT,
 * put back into another parser, goes on as if never stopped; a state
 * that is not one is refused. */
static void
test_saved_state_resumes(void **state)
{
	static const char stream[] =
	    "POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
	    "2b\r\n--XyZ\r\nContent-Disposition: form-data\r\n\r\nAB\r\n"
	    "b\r\n\r\n--XyZ--\r\n\r\n0\r\n\r\n"
	    "CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n"
	    "\x16\x03\x01tunnel bytes";
	struct http_events ev = { on_request, on_body, on_tunnel, NULL, NULL, NULL };
	static struct http_parser p1, p2;
	static uint8_t saved[sizeof(struct http_parser)];
	size_t k, n, len = sizeof(stream) - 1;

	(void)state;
	run((const struct step[]){ { stream, len } }, 1, false, &rec_a);
	assert_int_equal(rec_a.nreq, 2);
	for (k = 0; k <= len; k++) {
		memset(&rec_b, 0, sizeof(rec_b));
		ev.stats = &rec_b.stats;
		http_parser_init(&p1);
		http_parser_feed(&p1, (const uint8_t *)stream, k, &ev, &rec_b);
		n = http_parser_saved_len(&p1);
		memcpy(saved, &p1, n);
		memset(&p2, 0xa5, sizeof(p2));
		assert_true(http_parser_restore(&p2, saved, n));
		http_parser_feed(&p2, (const uint8_t *)stream + k, len - k, &ev,
		    &rec_b);
		assert_int_equal(rec_b.log_len, rec_a.log_len);
		assert_memory_equal(rec_b.log, rec_a.log, rec_a.log_len);
	}
	/* refused: a state out of range, a boolean of 2, a length that is not
	 * the line's, an unterminated host, less than the fixed part */
	http_parser_init(&p1);
	n = http_parser_saved_len(&p1);
	memcpy(saved, &p1, n);
	assert_true(http_parser_restore(&p2, saved, n));
	saved[offsetof(struct http_parser, state)] = 9;
	assert_false(http_parser_restore(&p2, saved, n));
	memcpy(saved, &p1, n);
	saved[offsetof(struct http_parser, in_tunnel)] = 2;
	assert_false(http_parser_restore(&p2, saved, n));
	memcpy(saved, &p1, n);
	assert_false(http_parser_restore(&p2, saved, n + 1));
	memset(saved + offsetof(struct http_parser, req.host), 'a', HTTP_HOST_MAX);
	assert_false(http_parser_restore(&p2, saved, n));
	memcpy(saved, &p1, n);
	assert_false(http_parser_restore(&p2, saved, n - 1));
	/* a boundary scan that could never reach its end (the scan would read
	 * past the boundary), or a multipart body without a boundary */
	p1.multipart_state = 1; /* MP_SCAN */
	p1.boundary_len = 8;
	p1.match_len = 7;
	memcpy(saved, &p1, n);
	assert_true(http_parser_restore(&p2, saved, n));
	p1.match_len = 8;
	memcpy(saved, &p1, n);
	assert_false(http_parser_restore(&p2, saved, n));
	p1.match_len = 0;
	p1.boundary_len = 0;
	memcpy(saved, &p1, n);
	assert_false(http_parser_restore(&p2, saved, n));
}

static void
test_no_span_errors(void **state)
{
	(void)state;
	assert_int_equal(http_span_errors(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_looks_like_request),
		cmocka_unit_test(test_absolute_post_content_length),
		cmocka_unit_test(test_connect_tunnel),
		cmocka_unit_test(test_connect_again_after_407),
		cmocka_unit_test(test_connect_ipv6_and_no_port),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunk_size_overflow),
		cmocka_unit_test(test_resync_drops_rest_of_feed),
		cmocka_unit_test(test_content_length_bad),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_multipart_part_end),
		cmocka_unit_test(test_multipart_delim_at_start),
		cmocka_unit_test(test_alert_fields),
		cmocka_unit_test(test_multipart_chunked_lf),
		cmocka_unit_test(test_multipart_bad_boundary),
		cmocka_unit_test(test_x_forwarded_for),
		cmocka_unit_test(test_host_header_forms),
		cmocka_unit_test(test_absolute_uri_forms),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_hostile_host),
		cmocka_unit_test(test_gap_resync),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated_then_gap),
		cmocka_unit_test(test_null_stats_and_callbacks),
		cmocka_unit_test(test_field_name_bytes),
		cmocka_unit_test(test_host_bytes_lowercased),
		cmocka_unit_test(test_field_name_case),
		cmocka_unit_test(test_line_max_edges),
		cmocka_unit_test(test_multipart_near_misses),
		cmocka_unit_test(test_methods_first_letter),
		cmocka_unit_test(test_saved_state_resumes),
		cmocka_unit_test(test_no_span_errors),	/* last */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
