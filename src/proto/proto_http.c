/*
 * proto_http.c - incremental HTTP/1.x request parser for the client side of
 * a proxy connection (RFC 9110, RFC 9112; multipart delimiters RFC 2046
 * 5.1.1). Finds the destination (CONNECT authority, absolute URI, Host),
 * de-chunks bodies and marks where each multipart part's content starts.
 */
#include <stddef.h>
#include <string.h>

#include "exfild/proto/proto_http.h"
#include "exfild/util/util.h"
#include "exfild/util/cursor.h"

/* p->state */
enum http_state {
	HS_REQ_LINE,	/* request line; empty lines before it are skipped */
	HS_HEADERS,
	HS_BODY,	/* Content-Length body: body_left bytes to go */
	HS_CHUNKED,	/* chunked body, see chunk_state */
	HS_RESYNC,	/* lost track: wait for a feed that starts a request */
};

/* p->chunk_state (RFC 9112 7.1) */
enum chunk_state {
	CS_SIZE,	/* chunk-size [; ext] line */
	CS_DATA,	/* body_left bytes of chunk data */
	CS_DATA_END,	/* the CRLF after chunk data */
	CS_TRAILERS,	/* trailer lines until an empty line */
};

/*
 * p->multipart_state. The pattern in p->boundary is "\n--" boundary, so a
 * delimiter is found at the start of any line whether the line ends in
 * CRLF or a bare LF; the body start and a part's content start count as
 * line starts (match_len 1).
 */
enum multipart_state {
	MP_NONE,	/* not multipart */
	MP_SCAN,	/* looking for the delimiter, match_len bytes matched */
	MP_AFTER_DELIM,	/* "--" (close), transport padding, or line end */
	MP_CLOSE_DASH,	/* one '-' of a close delimiter seen */
	MP_PART_HEADERS, /* part header lines until an empty line */
	MP_EPILOGUE,	/* after the close delimiter: nothing more to find */
};

/* p->flags */
#define HF_PART_PENDING	0x01 /* next body bytes start a body or a part */
#define HF_MP_LINE_DATA	0x02 /* current part header line is not empty */
#define HF_CL_BAD	0x04 /* Content-Length unusable: resync after headers */
#define HF_TE_OTHER	0x08 /* Transfer-Encoding not ending in chunked */
#define HF_TUNNEL_FRESH	0x10 /* after CONNECT, no tunnel byte seen yet */
#define HF_MP_VIRTUAL_LF 0x20 /* the delimiter matched began at a body's or a
			       * content's start: its "\n" was never delivered */

/* Where part_headers_scan is in a filename parameter (fn_state). */
enum { FN_NAME, FN_VALUE_START, FN_QUOTED, FN_TOKEN, FN_DONE };

/* Methods http_looks_like_request() accepts, each followed by SP. */
struct method {
	const char *name;
	size_t len;
};
#define METHOD(s) { s, sizeof(s) - 1 }
static const struct method known_methods[] = {
	METHOD("GET"), METHOD("POST"), METHOD("PUT"), METHOD("HEAD"),
	METHOD("OPTIONS"), METHOD("DELETE"), METHOD("PATCH"), METHOD("CONNECT"),
	METHOD("TRACE"), METHOD("PROPFIND"), METHOD("PROPPATCH"),
	METHOD("MKCOL"), METHOD("COPY"), METHOD("MOVE"), METHOD("LOCK"),
	METHOD("UNLOCK"), METHOD("SEARCH"), METHOD("REPORT"),
	METHOD("MKCALENDAR"), METHOD("ACL"),
};
#undef METHOD

/*
 * RFC 9110 5.6.2 tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA, by byte value
 * (bytes from 0x80 on are 0). A table: header names are checked per byte.
 */
static const bool tchar_table[256] = {
	/* 0x00-0x1f: controls */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20  SP ! " # $ % & ' ( ) * + , - . / */
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	/* 0x30  0 1 2 3 4 5 6 7 8 9 : ; < = > ? */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	/* 0x40  @ A B C D E F G H I J K L M N O */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x50  P Q R S T U V W X Y Z [ \ ] ^ _ */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	/* 0x60  ` a b c d e f g h i j k l m n o */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x70  p q r s t u v w x y z { | } ~ DEL */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
};

/* A run of bytes inside p->line (or another bounded buffer). */
struct span {
	const uint8_t *p;
	size_t n;
};

/*
 * Work done once per request or more rarely stays out of line, so that
 * the per-line and per-byte loops it is called from stay short.
 */
#define OUT_OF_LINE __attribute__((noinline))

#define STAT(ev, name)							\
	do {								\
		if ((ev) != NULL && (ev)->stats != NULL)		\
			(ev)->stats->name++;				\
	} while (0)

static uint8_t
ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_tchar(uint8_t c)
{
	return tchar_table[c];
}

/* Length of the run of tchar at the start of s (four at a time first). */
static size_t
tchar_run(struct span s)
{
	size_t i = 0;

	while (s.n - i >= 4 && is_tchar(s.p[i]) && is_tchar(s.p[i + 1]) &&
	    is_tchar(s.p[i + 2]) && is_tchar(s.p[i + 3]))
		i += 4;
	while (i < s.n && is_tchar(s.p[i]))
		i++;
	return i;
}

static bool
is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static struct span
span_make(const uint8_t *p, size_t n)
{
	struct span s = { p, n };

	return s;
}

/*
 * Spans asked of span_sub() outside their parent. Each would be a bug in
 * this file: it is counted (http_span_errors) and gets an empty span, so
 * no input can make the parser read out of bounds.
 */
static uint64_t span_errors;

uint64_t
http_span_errors(void)
{
	return span_errors;
}

/* Bytes [from, to) of s; empty (and counted) unless from <= to <= s.n. */
static struct span
span_sub(struct span s, size_t from, size_t to)
{
	if (__builtin_expect(!cur_range_ok(s.n, from, to), 0)) {
		span_errors++;
		return span_make(s.p, 0);
	}
	return span_make(s.p + from, to - from);
}

static struct span
span_trim(struct span s)
{
	while (s.n > 0 && is_ows(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Index of the first (or last) c in s, or s.n when absent. */
static size_t
span_find(struct span s, uint8_t c)
{
	const uint8_t *q = s.n > 0 ? memchr(s.p, c, s.n) : NULL;

	return q != NULL ? (size_t)(q - s.p) : s.n;
}

static size_t
span_find_last(struct span s, uint8_t c)
{
	const uint8_t *q = s.n > 0 ? memrchr(s.p, c, s.n) : NULL;

	return q != NULL ? (size_t)(q - s.p) : s.n;
}

/* Does c occur in s exactly once? */
static bool
span_once(struct span s, uint8_t c)
{
	size_t i = span_find(s, c);

	return i < s.n && span_find(span_sub(s, i + 1, s.n), c) == s.n - i - 1;
}

static size_t
span_count(struct span s, uint8_t c)
{
	size_t i, k = 0;

	for (i = 0; i < s.n; i++)
		k += s.p[i] == c;
	return k;
}

static bool
span_eq_ci(struct span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.n != n)
		return false;
	for (i = 0; i < n; i++)
		if (ascii_lower(s.p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/*
 * A field name (all tchar) against a lowercase name of letters and '-':
 * for a tchar c, c | 0x20 is a lowercase letter only when c is that
 * letter in either case, and '-' only when c is '-'.
 */
static bool
name_eq(struct span name, const char *lit)
{
	uint64_t a, b;
	size_t i;

	/* Eight bytes at a time; the last word may overlap the one before. */
	if (name.n >= 8) {
		for (i = 0; i < name.n; i += 8) {
			if (name.n - i < 8)
				i = name.n - 8;
			memcpy(&a, name.p + i, 8);
			memcpy(&b, lit + i, 8);
			if ((a | 0x2020202020202020ULL) != b)
				return false;
		}
		return true;
	}
	for (i = 0; i < name.n; i++)
		if ((name.p[i] | 0x20) != (uint8_t)lit[i])
			return false;
	return true;
}

static bool
span_prefix_ci(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && span_eq_ci(span_sub(s, 0, n), lit);
}

/* Port: 1-5 digits, 1..65535; 0 when invalid or empty. */
static uint16_t
port_parse(struct span s)
{
	uint32_t v = 0;
	size_t i;

	if (s.n == 0 || s.n > 5)
		return 0;
	for (i = 0; i < s.n; i++) {
		if (!is_digit(s.p[i]))
			return 0;
		v = v * 10 + (uint32_t)(s.p[i] - '0');
	}
	return v <= 65535 ? (uint16_t)v : 0;
}

/* Method token followed by SP: full match, a prefix of one, or neither. */
enum method_match { MM_NONE, MM_PREFIX, MM_FULL };

static enum method_match
method_match(const uint8_t *data, size_t len)
{
	enum method_match best = MM_NONE;
	const struct method *m;
	size_t i;

	if (len == 0)
		return MM_PREFIX;
	if (data[0] < 'A' || data[0] > 'Z')
		return MM_NONE;	/* every method starts with a capital */
	for (i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++) {
		m = &known_methods[i];
		if (data[0] != (uint8_t)m->name[0])
			continue;
		if (len > m->len) {
			if (memcmp(data, m->name, m->len) == 0 &&
			    data[m->len] == ' ')
				return MM_FULL;
		} else if (memcmp(data, m->name, len) == 0)
			best = MM_PREFIX;
	}
	return best;
}

bool
http_looks_like_request(const uint8_t *data, size_t len)
{
	return data != NULL && len > 0 && method_match(data, len) == MM_FULL;
}

/*
 * Copies n bytes lowercasing ASCII letters only, eight bytes at a time: in
 * each byte, h = its low 7 bits; h + 0x3f has the top bit set when
 * h >= 'A', h + 0x25 when h > 'Z' (neither carries into the next byte);
 * their XOR, for bytes below 0x80, marks 'A'..'Z', and the mark shifted
 * down two bits is the 0x20 that lowercases.
 */
static void
copy_lower(char *dst, const uint8_t *src, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w, h, upper;
	size_t i;

	for (i = 0; n - i >= 8; i += 8) {
		memcpy(&w, src + i, 8);
		h = w & ~high;
		upper = ((h + ones * (0x80 - 'A')) ^ (h + ones * (0x7f - 'Z'))) &
		    ~w & high;
		w |= upper >> 2;
		memcpy(dst + i, &w, 8);
	}
	for (; i < n; i++)
		dst[i] = (char)ascii_lower(src[i]);
}

/* Host bytes as sent, lowercased (ASCII only), at most HTTP_HOST_MAX-1. */
static void
host_set(struct http_request *req, struct span host)
{
	size_t n = host.n < HTTP_HOST_MAX - 1 ? host.n : HTTP_HOST_MAX - 1;

	copy_lower(req->host, host.p, n);
	req->host[n] = '\0';
}

/*
 * "host", "host:port", "[v6]", "[v6]:port" (RFC 3986 3.2.2). An
 * unbracketed value with more than one ':' is taken whole as the host; a
 * port that is not a valid number is kept as part of the host. Sets host
 * and port only when the host is not empty.
 */
static void
authority_parse(struct http_request *req, struct span a, uint16_t def_port)
{
	struct span host = a, port = span_sub(a, a.n, a.n);
	size_t i;
	uint16_t v;

	if (a.n > 0 && a.p[0] == '[') {
		i = span_find(a, ']');
		if (i == a.n) {
			host = span_sub(a, 1, a.n);
		} else {
			host = span_sub(a, 1, i);
			if (i + 1 < a.n && a.p[i + 1] == ':')
				port = span_sub(a, i + 2, a.n);
		}
	} else if (span_once(a, ':')) {
		i = span_find(a, ':');
		v = port_parse(span_sub(a, i + 1, a.n));
		if (v != 0 || i + 1 == a.n) {
			host = span_sub(a, 0, i);
			port = span_sub(a, i + 1, a.n);
		}
	}
	if (host.n == 0)
		return;
	host_set(req, host);
	v = port_parse(port);
	req->port = v != 0 ? v : def_port;
}

/* RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static size_t
scheme_len(struct span t)
{
	size_t i, colon;

	if (t.n == 0 || !is_alpha(t.p[0]))
		return 0;
	colon = span_find(t, ':');
	if (t.n - colon < 3 || memcmp(t.p + colon, "://", 3) != 0)
		return 0;
	for (i = 1; i < colon; i++)
		if (!is_alpha(t.p[i]) && !is_digit(t.p[i]) &&
		    t.p[i] != '+' && t.p[i] != '-' && t.p[i] != '.')
			return 0;
	return colon;
}

static uint16_t
scheme_port(struct span scheme)
{
	if (span_eq_ci(scheme, "https") || span_eq_ci(scheme, "wss"))
		return 443;
	if (span_eq_ci(scheme, "ftp"))
		return 21;
	return 80;
}

/*
 * Request target (RFC 9112 3.2): absolute-form
 * "scheme://[userinfo@]host[:port][/...]" (default port 443 for https and
 * wss, 21 for ftp, else 80); authority-form for CONNECT (443 when the port
 * is missing); origin-form, asterisk-form and anything else leave the host
 * to the Host header.
 */
static void
target_parse(struct http_request *req, struct span t)
{
	struct span auth;
	size_t slen, i;

	if (t.n > 0 && (t.p[0] == '/' || t.p[0] == '*'))
		return;
	slen = scheme_len(t);
	if (slen == 0) {
		if (req->is_connect)
			authority_parse(req, t, 443);
		return;
	}
	req->absolute_uri = true;
	/* The authority ends at the first '/', '?' or '#'. */
	auth = span_sub(t, slen + 3, t.n);
	auth = span_sub(auth, 0, span_find(auth, '/'));
	auth = span_sub(auth, 0, span_find(auth, '?'));
	auth = span_sub(auth, 0, span_find(auth, '#'));
	i = span_find_last(auth, '@');
	if (i < auth.n)
		auth = span_sub(auth, i + 1, auth.n);
	authority_parse(req, auth, scheme_port(span_sub(t, 0, slen)));
}

/*
 * METHOD SP request-target SP HTTP/1.x (RFC 9112 3). A truncated line
 * (longer than HTTP_LINE_MAX) is taken without its version: its target's
 * start, where the host is, was kept. 0 or -1.
 */
/* A span as a C string, cut to fit (raw bytes: escaped at output). */
static void
span_copy(char *dst, size_t size, struct span s)
{
	size_t n = s.n < size - 1 ? s.n : size - 1;

	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

OUT_OF_LINE static int
request_line_parse(struct http_parser *p, struct span line)
{
	struct http_request *req = &p->req;
	struct span target, version;
	size_t i, sp;

	memset(req, 0, sizeof(*req));
	p->flags = 0;
	p->fn_state = FN_NAME;
	p->fn_match = 0;
	p->fn_len = 0;
	for (i = 0; i < line.n && is_tchar(line.p[i]); i++)
		;
	if (i == 0 || i >= HTTP_METHOD_MAX || i == line.n || line.p[i] != ' ')
		return -1;
	memcpy(req->method, line.p, i);
	req->method[i] = '\0';
	req->is_connect = i == 7 && memcmp(req->method, "CONNECT", 7) == 0;
	line = span_sub(line, i + 1, line.n);
	sp = span_find(line, ' ');
	target = span_sub(line, 0, sp);
	if (target.n == 0)
		return -1;
	if (sp == line.n) {
		if (!p->line_truncated)
			return -1;
	} else if (!p->line_truncated) {
		version = span_sub(line, sp + 1, line.n);
		if (version.n != 8 || memcmp(version.p, "HTTP/1.", 7) != 0 ||
		    !is_digit(version.p[7]))
			return -1;
	}
	req->port = 80;
	span_copy(req->uri, sizeof(req->uri), target);
	target_parse(req, target);
	return 0;
}

static void
header_host(struct http_parser *p, struct span value)
{
	/* The request target's host wins; of several Host fields the first. */
	if (p->req.host[0] != '\0')
		return;
	authority_parse(&p->req, value, 80);
}

static void
header_content_length(struct http_parser *p, struct span value,
    const struct http_events *ev)
{
	uint64_t v = 0;
	size_t i;
	bool ok = value.n > 0 && !p->line_truncated;

	for (i = 0; ok && i < value.n; i++) {
		if (!is_digit(value.p[i]) ||
		    v > (UINT64_MAX - (uint64_t)(value.p[i] - '0')) / 10) {
			ok = false;
			break;
		}
		v = v * 10 + (uint64_t)(value.p[i] - '0');
	}
	/* RFC 9112 6.3 (5): differing lengths are unrecoverable. */
	if (ok && p->req.has_content_length && p->req.content_length != v)
		ok = false;
	if (!ok) {
		p->flags |= HF_CL_BAD;
		STAT(ev, malformed);
		return;
	}
	p->req.has_content_length = true;
	p->req.content_length = v;
}

/* RFC 9112 6.3 (4): chunked only when it is the final coding. */
OUT_OF_LINE static void
header_transfer_encoding(struct http_parser *p, struct span value)
{
	struct span last;
	size_t i;

	if (value.n == 0)
		return;
	i = span_find_last(value, ',');
	last = i < value.n ? span_sub(value, i + 1, value.n) : value;
	last = span_sub(last, 0, span_find(last, ';'));
	if (span_eq_ci(span_trim(last), "chunked")) {
		p->req.chunked = true;
		p->flags &= (uint8_t)~HF_TE_OTHER;
	} else {
		p->req.chunked = false;
		p->flags |= HF_TE_OTHER;
	}
}

/* RFC 2046 5.1.1 bchars (space allowed, but not as the last character). */
static bool
is_bchar(uint8_t c)
{
	switch (c) {
	case '\'': case '(': case ')': case '+': case '_': case ',':
	case '-': case '.': case '/': case ':': case '=': case '?': case ' ':
		return true;
	default:
		return is_alpha(c) || is_digit(c);
	}
}

/* Copies a valid boundary into the delimiter pattern "\n--" boundary. */
static bool
boundary_set(struct http_parser *p, const uint8_t *b, size_t n)
{
	size_t i;

	if (n == 0 || n > 70 || b[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (!is_bchar(b[i]))
			return false;
	memcpy(p->boundary, "\n--", 3);
	memcpy(p->boundary + 3, b, n);
	p->boundary_len = (uint16_t)(n + 3);
	return true;
}

/*
 * Parameter value at the start of v: quoted-string (quoted-pairs undone)
 * or token. Writes at most cap bytes to out; returns the length, or
 * cap + 1 when it does not fit.
 */
static size_t
param_value(struct span v, uint8_t *out, size_t cap)
{
	size_t i, n = 0;

	if (v.n > 0 && v.p[0] == '"') {
		for (i = 1; i < v.n && v.p[i] != '"'; i++) {
			if (v.p[i] == '\\' && i + 1 < v.n)
				i++;
			if (n == cap)
				return cap + 1;
			out[n++] = v.p[i];
		}
		return n;
	}
	for (i = 0; i < v.n && v.p[i] != ';' && !is_ows(v.p[i]); i++) {
		if (n == cap)
			return cap + 1;
		out[n++] = v.p[i];
	}
	return n;
}

/*
 * Content-Type: multipart/... ; boundary=... (RFC 2046 5.1.1, RFC 7578).
 * Any multipart subtype is scanned: form-data is the common upload, but
 * multipart/mixed or related carry files the same way. Without a valid
 * boundary the body is treated as opaque.
 */
OUT_OF_LINE static void
header_content_type(struct http_parser *p, struct span value)
{
	uint8_t b[HTTP_BOUNDARY_MAX];
	struct span rest, name;
	size_t i, n;

	p->req.multipart = false;
	i = span_find(value, ';');
	if (!span_prefix_ci(span_trim(span_sub(value, 0, i)), "multipart/"))
		return;
	rest = span_sub(value, i, value.n);
	while (rest.n > 0) {
		rest = span_trim(span_sub(rest, 1, rest.n));	/* past ';' */
		i = span_find(rest, '=');
		name = span_trim(span_sub(rest, 0, i));
		if (i == rest.n)
			return;
		rest = span_trim(span_sub(rest, i + 1, rest.n));
		if (span_eq_ci(name, "boundary")) {
			n = param_value(rest, b, 70);
			p->req.multipart = n <= 70 && boundary_set(p, b, n);
			return;
		}
		/* Skip this parameter's value, quoted or not. */
		if (rest.n > 0 && rest.p[0] == '"') {
			for (i = 1; i < rest.n && rest.p[i] != '"'; i++)
				if (rest.p[i] == '\\')
					i++;
			rest = i < rest.n ? span_sub(rest, i + 1, rest.n) :
			    span_sub(rest, rest.n, rest.n);
		}
		rest = span_sub(rest, span_find(rest, ';'), rest.n);
	}
}

/* One X-Forwarded-For element: a.b.c.d, a.b.c.d:port, v6, [v6], [v6]:port. */
static bool
xff_element(struct span e, struct netaddr *out)
{
	size_t i;

	if (e.n > 0 && e.p[0] == '[') {
		i = span_find(e, ']');
		if (i == e.n)
			return false;
		e = span_sub(e, 1, i);
	} else if (span_count(e, ':') == 1 && span_count(e, '.') == 3) {
		e = span_sub(e, 0, span_find(e, ':'));
	}
	/* (netaddr_parse_n turns away any byte no address literal has) */
	return netaddr_parse_n((const char *)e.p, e.n, out) == 0;
}

/* The first address in the list ("unknown" and non-addresses skipped). */
OUT_OF_LINE static void
header_xff(struct http_parser *p, struct span value)
{
	struct span rest = value, e;
	struct netaddr xff;
	size_t i;

	/* Every proxy appends the address it received the request from, so
	 * the rightmost element (of the last header) is the one our proxy
	 * added; elements to its left are whatever the client claimed. */
	while (rest.n > 0) {
		i = span_find(rest, ',');
		e = span_trim(span_sub(rest, 0, i));
		/* only the rightmost element counts: one that is not an address
		 * ("unknown") leaves the request without a client address */
		p->req.has_xff = xff_element(e, &xff);
		if (p->req.has_xff)
			p->req.xff = xff;
		rest = i < rest.n ? span_sub(rest, i + 1, rest.n) :
		    span_sub(rest, rest.n, rest.n);
	}
}

/*
 * field-name ":" OWS field-value OWS (RFC 9112 5). The name is a token
 * right up to the colon; only the fields we use are looked at, picked by
 * the name's length before comparing it.
 */
static void
header_parse(struct http_parser *p, struct span line,
    const struct http_events *ev)
{
	struct span name, value;
	size_t i;

	/* Obsolete line folding (RFC 9112 5.2): a continuation, ignored. */
	if (is_ows(line.p[0]))
		return;
	i = tchar_run(line);
	if (i == 0 || i == line.n || line.p[i] != ':') {
		STAT(ev, malformed);
		return;
	}
	name = span_sub(line, 0, i);
	value = span_sub(line, i + 1, line.n);
	switch (name.n) {
	case 4:
		if (name_eq(name, "host"))
			header_host(p, span_trim(value));
		break;
	case 10:
		if (name_eq(name, "user-agent") && p->req.user_agent[0] == '\0')
			span_copy(p->req.user_agent, sizeof(p->req.user_agent),
			    span_trim(value));
		break;
	case 12:
		if (name_eq(name, "content-type"))
			header_content_type(p, span_trim(value));
		break;
	case 14:
		if (name_eq(name, "content-length"))
			header_content_length(p, span_trim(value), ev);
		break;
	case 15:
		if (name_eq(name, "x-forwarded-for"))
			header_xff(p, span_trim(value));
		break;
	case 17:
		if (name_eq(name, "transfer-encoding"))
			header_transfer_encoding(p, span_trim(value));
		break;
	default:
		break;
	}
}

static void
request_done(struct http_parser *p)
{
	p->state = HS_REQ_LINE;
	p->multipart_state = MP_NONE;
	p->flags = 0;
	p->body_left = 0;
}

static void
resync(struct http_parser *p)
{
	request_done(p);
	p->state = HS_RESYNC;
}

/*
 * Empty line after the headers: report the request, then choose the body
 * framing (RFC 9112 6.3): CONNECT becomes a tunnel; chunked wins over
 * Content-Length (has_content_length is reported false whenever the
 * length is not what frames the body); another final
 * transfer coding or a bad Content-Length leaves the body length unknown,
 * so we resynchronise.
 */
OUT_OF_LINE static void
headers_done(struct http_parser *p, const struct http_events *ev, void *ctx)
{
	struct http_request *req = &p->req;

	if (req->chunked || (p->flags & (HF_TE_OTHER | HF_CL_BAD))) {
		req->has_content_length = false;
		req->content_length = 0;
	}
	STAT(ev, requests);
	if (req->is_connect)
		STAT(ev, connects);
	req->head_in_feed = p->head_feed;
	p->head_feed = 0;
	if (ev != NULL && ev->on_request != NULL)
		ev->on_request(ctx, req);
	if (req->is_connect) {
		p->in_tunnel = true;
		p->flags |= HF_TUNNEL_FRESH;
		return;
	}
	if (!req->chunked && (p->flags & HF_TE_OTHER)) {
		STAT(ev, malformed);
		resync(p);
		return;
	}
	if (!req->chunked && (p->flags & HF_CL_BAD)) {
		resync(p);
		return;
	}
	if (!req->chunked && (!req->has_content_length ||
	    req->content_length == 0)) {
		request_done(p);
		return;
	}
	p->flags |= HF_PART_PENDING;
	p->multipart_state = req->multipart ? MP_SCAN : MP_NONE;
	p->match_len = 1;
	p->flags |= HF_MP_VIRTUAL_LF;
	if (req->chunked) {
		p->state = HS_CHUNKED;
		p->chunk_state = CS_SIZE;
	} else {
		p->state = HS_BODY;
		p->body_left = req->content_length;
	}
}

/* chunk-size = 1*HEXDIG, then BWS and ";" extensions (RFC 9112 7.1.1). */
static int
chunk_size_parse(struct span line, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	int d;

	for (i = 0; i < line.n && (d = hex_digit_value(line.p[i])) >= 0; i++) {
		if (v > UINT64_MAX >> 4)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (i == 0)
		return -1;
	while (i < line.n && is_ows(line.p[i]))
		i++;
	if (i < line.n && line.p[i] != ';')
		return -1;
	*out = v;
	return 0;
}

static void
chunk_line_done(struct http_parser *p, struct span line,
    const struct http_events *ev)
{
	uint64_t size;

	switch (p->chunk_state) {
	case CS_SIZE:
		if (chunk_size_parse(line, &size) != 0) {
			STAT(ev, malformed);
			resync(p);
		} else if (size == 0) {
			p->chunk_state = CS_TRAILERS;
		} else {
			p->body_left = size;
			p->chunk_state = CS_DATA;
		}
		break;
	case CS_DATA_END:
		if (line.n != 0) {
			STAT(ev, malformed);
			resync(p);
		} else
			p->chunk_state = CS_SIZE;
		break;
	case CS_TRAILERS:
		if (line.n == 0)
			request_done(p);
		break;
	default:
		break;
	}
}

/* A complete line, without its CR LF (or bare LF); p->line_truncated
 * says whether it was cut at HTTP_LINE_MAX. */
static void
line_done(struct http_parser *p, struct span line,
    const struct http_events *ev, void *ctx)
{
	switch (p->state) {
	case HS_REQ_LINE:
		if (line.n == 0)
			break;	/* RFC 9112 2.2: empty lines before a request */
		if (request_line_parse(p, line) != 0) {
			STAT(ev, malformed);
			resync(p);
		} else
			p->state = HS_HEADERS;
		break;
	case HS_HEADERS:
		if (line.n == 0)
			headers_done(p, ev, ctx);
		else
			header_parse(p, line, ev);
		break;
	case HS_CHUNKED:
		chunk_line_done(p, line, ev);
		break;
	default:
		break;
	}
}

/*
 * Can the start of a request line (the bytes so far, CR included) still
 * become "METHOD SP" (or an empty line)? Lets binary garbage (a TLS
 * record, say) be rejected at once instead of at its first LF.
 */
static bool
request_start_ok(struct span line)
{
	size_t i, n = line.n < HTTP_METHOD_MAX ? line.n : HTTP_METHOD_MAX;

	for (i = 0; i < n; i++) {
		if (line.p[i] == ' ')
			return i > 0;
		if (!is_tchar(line.p[i]))
			return i == 0 && line.p[i] == '\r' && line.n == 1;
	}
	return line.n < HTTP_METHOD_MAX;
}

/* Appends n bytes of a line to p->line, keeping at most HTTP_LINE_MAX. */
static void
line_append(struct http_parser *p, const uint8_t *data, size_t n,
    const struct http_events *ev)
{
	size_t room = HTTP_LINE_MAX - p->line_len;
	size_t k = n < room ? n : room;

	memcpy(p->line + p->line_len, data, k);
	p->line_len = (uint16_t)(p->line_len + k);
	if (k < n && !p->line_truncated) {
		p->line_truncated = true;
		STAT(ev, long_lines);
	}
}

/*
 * Takes bytes up to and including LF; on LF the line (without CR LF or
 * bare LF, at most HTTP_LINE_MAX bytes of it) is processed. A line wholly
 * inside this segment is parsed where it is; only a line that spans
 * segments is gathered in p->line. Returns the bytes consumed.
 */
static size_t
line_step(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	const uint8_t *lf = memchr(data, '\n', len);
	size_t n = lf != NULL ? (size_t)(lf - data) : len;
	struct span line;

	/* bytes of a request head in this feed (see head_in_feed) */
	if (p->state == HS_REQ_LINE || p->state == HS_HEADERS)
		p->head_feed += (uint32_t)(lf != NULL ? n + 1 : len);
	if (lf != NULL && p->line_len == 0) {
		line = span_sub(span_make(data, len), 0,
		    n < HTTP_LINE_MAX ? n : HTTP_LINE_MAX);
		if (n > HTTP_LINE_MAX) {
			p->line_truncated = true;
			STAT(ev, long_lines);
		}
	} else {
		line_append(p, data, n, ev);
		line = span_sub(span_make(p->line, sizeof(p->line)), 0,
		    p->line_len);
	}
	if (p->state == HS_REQ_LINE && !request_start_ok(line)) {
		STAT(ev, malformed);
		resync(p);
		p->line_len = 0;
		p->line_truncated = false;
		return len;	/* the rest of this feed is dropped */
	}
	if (lf == NULL)
		return len;
	if (!p->line_truncated && line.n > 0 && line.p[line.n - 1] == '\r')
		line.n--;
	line_done(p, line, ev, ctx);
	p->line_len = 0;
	p->line_truncated = false;
	return n + 1;
}

/* Is the parser reading lines (request line, headers, chunk framing)? */
static bool
in_lines(const struct http_parser *p)
{
	if (p->in_tunnel)
		return false;
	return p->state == HS_REQ_LINE || p->state == HS_HEADERS ||
	    (p->state == HS_CHUNKED && p->chunk_state != CS_DATA);
}

/*
 * The common case, kept lean: header field lines wholly inside this
 * segment and not over HTTP_LINE_MAX, parsed in place. Stops before the
 * empty line ending the headers, before a line not complete here and
 * before an overlong one, all left to line_step(). Returns the bytes
 * consumed.
 */
static size_t
header_lines(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev)
{
	const struct span all = span_make(data, len);
	const uint8_t *lf;
	struct span line;
	size_t off = 0;

	while ((lf = memchr(data + off, '\n', len - off)) != NULL) {
		line = span_sub(all, off, (size_t)(lf - data));
		if (line.n > HTTP_LINE_MAX)
			break;
		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (line.n == 0)
			break;
		header_parse(p, line, ev);
		off = (size_t)(lf - data) + 1;
	}
	p->head_feed += (uint32_t)off;
	return off;
}

/* Consecutive lines of one segment, as long as lines are wanted. */
static size_t
lines_step(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	size_t off = 0;

	do {
		if (p->state == HS_HEADERS && p->line_len == 0) {
			off += header_lines(p, data + off, len - off, ev);
			if (off == len)
				break;
		}
		off += line_step(p, data + off, len - off, ev, ctx);
	} while (off < len && in_lines(p));
	return off;
}

static void
emit_body(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	bool start = (p->flags & HF_PART_PENDING) != 0;

	if (len == 0)
		return;
	p->flags &= (uint8_t)~HF_PART_PENDING;
	if (ev != NULL && ev->on_body != NULL)
		ev->on_body(ctx, data, len, start);
}

/*
 * MP_SCAN from data[i]: finds the delimiter pattern, which may have begun
 * in an earlier segment (match_len bytes of it matched). Only LF starts
 * the pattern and no other byte of it is a LF, so after a mismatch the
 * search goes on at the mismatching byte itself: every byte is looked at
 * once at most, and between line ends only memchr() runs. Returns where
 * the scan stopped: just past the delimiter (state MP_AFTER_DELIM), else
 * len.
 */
static size_t
delimiter_scan(struct http_parser *p, const uint8_t *data, size_t len,
    size_t i)
{
	const uint8_t *lf;

	for (;;) {
		if (p->match_len == 0) {
			/* Most line ends in content are not followed by '-'. */
			do {
				lf = memchr(data + i, '\n', len - i);
				if (lf == NULL)
					return len;
				i = (size_t)(lf - data) + 1;
			} while (i < len && data[i] != '-');
			p->match_len = 1;
			p->flags &= (uint8_t)~HF_MP_VIRTUAL_LF;
		}
		while (i < len && data[i] == (uint8_t)p->boundary[p->match_len]) {
			i++;
			if (++p->match_len == p->boundary_len) {
				/* from here match_len counts the delimiter's
				 * bytes delivered (a part's content ends where it
				 * begins: http_events.on_part_end) */
				p->multipart_state = MP_AFTER_DELIM;
				return i;
			}
		}
		if (i == len)
			return len;
		p->match_len = 0;
	}
}

/*
 * One body byte right after a delimiter (MP_AFTER_DELIM, MP_CLOSE_DASH).
 * Returns the delimiter's bytes so far (this one included) when the
 * delimiter is now certain (its line ends, or "--" closes the body), else
 * 0.
 */
static size_t
multipart_byte(struct http_parser *p, uint8_t c)
{
	/* (a line start that was no byte of the body is not counted) */
	size_t run = (size_t)p->match_len + 1 -
	    ((p->flags & HF_MP_VIRTUAL_LF) != 0);

	if (p->match_len < UINT16_MAX)
		p->match_len++;
	switch (p->multipart_state) {
	case MP_AFTER_DELIM:
		if (c == '-') {
			p->multipart_state = MP_CLOSE_DASH;
		} else if (c == '\n') {
			p->multipart_state = MP_PART_HEADERS;
			p->flags &= (uint8_t)~HF_MP_LINE_DATA;
			p->match_len = 0;
			return run;
		} else if (!is_ows(c) && c != '\r') {
			/* "--boundaryX": content that only looked like one */
			p->multipart_state = MP_SCAN;
			p->match_len = 0;
		}
		break;
	case MP_CLOSE_DASH:
		if (c == '-') {
			p->multipart_state = MP_EPILOGUE;
			p->match_len = 0;
			return run;
		}
		p->multipart_state = MP_SCAN;
		p->match_len = c == '\n' ? 1 : 0;
		p->flags &= (uint8_t)~HF_MP_VIRTUAL_LF;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * MP_PART_HEADERS from data[i]: part header lines, up to an empty one (CR
 * LF or bare LF; HF_MP_LINE_DATA says whether the current line has more
 * than CRs). Returns where the scan stopped: just past the empty line's
 * LF, where the part's content starts (state MP_SCAN), else len.
 */
/*
 * One byte of a part header line, looking for filename="..." or
 * filename=token (RFC 7578 4.2, RFC 6266 4.1; "filename*=" is not read):
 * its value replaces req.filename, cut to fit. Streaming, nothing held but
 * the value: a line may come in any number of pieces.
 */
static void
filename_byte(struct http_parser *p, uint8_t c)
{
	static const char name[] = "filename=";
	struct http_request *req = &p->req;

	switch (p->fn_state) {
	case FN_NAME:
		if (ascii_lower(c) == (uint8_t)name[p->fn_match]) {
			if (++p->fn_match < sizeof(name) - 1)
				return;
			p->fn_state = FN_VALUE_START;
			p->fn_len = 0;
			req->filename[0] = '\0';
		}
		p->fn_match = ascii_lower(c) == 'f' ? 1 : 0;
		return;
	case FN_VALUE_START:
		if (c == '"') {
			p->fn_state = FN_QUOTED;
			return;
		}
		p->fn_state = FN_TOKEN;
		break;
	case FN_QUOTED:
	case FN_TOKEN:
		break;
	default:
		return;
	}
	if (c == '\0' || c == '\r' || (p->fn_state == FN_QUOTED && c == '"') ||
	    (p->fn_state == FN_TOKEN && (c == ';' || c == ' ' || c == '\t'))) {
		p->fn_state = FN_DONE;
		return;
	}
	if (p->fn_len < sizeof(req->filename) - 1) {
		req->filename[p->fn_len++] = (char)c;
		req->filename[p->fn_len] = '\0';
	}
}

static size_t
part_headers_scan(struct http_parser *p, const uint8_t *data, size_t len,
    size_t i)
{
	const uint8_t *lf;
	size_t end, j;

	for (;;) {
		lf = memchr(data + i, '\n', len - i);
		end = lf != NULL ? (size_t)(lf - data) : len;
		for (j = i; j < end; j++)
			filename_byte(p, data[j]);
		if (lf != NULL) {
			/* a parameter does not go on past its line */
			p->fn_state = FN_NAME;
			p->fn_match = 0;
		}
		for (; i < end && !(p->flags & HF_MP_LINE_DATA); i++)
			if (data[i] != '\r')
				p->flags |= HF_MP_LINE_DATA;
		if (lf == NULL)
			return len;
		i = end + 1;
		if (!(p->flags & HF_MP_LINE_DATA)) {
			p->multipart_state = MP_SCAN;
			p->match_len = 1;
			p->flags |= HF_MP_VIRTUAL_LF;
			return i;
		}
		p->flags &= (uint8_t)~HF_MP_LINE_DATA;
	}
}

/*
 * Body bytes (already de-chunked). Every body byte is delivered once, in
 * order, preamble, delimiters and part headers included (with part_start
 * false); a call is split where a part's content begins, so that the call
 * starting with the content's first byte has part_start true. The first
 * call of each body has part_start true too.
 */
static void
body_deliver(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	size_t i = 0, from = 0, run;

	if (p->multipart_state == MP_NONE) {
		emit_body(p, data, len, ev, ctx);
		return;
	}
	while (i < len) {
		switch (p->multipart_state) {
		case MP_SCAN:
			i = delimiter_scan(p, data, len, i);
			break;
		case MP_PART_HEADERS:
			i = part_headers_scan(p, data, len, i);
			if (p->multipart_state == MP_SCAN) {
				emit_body(p, data + from, i - from, ev, ctx);
				from = i;
				p->flags |= HF_PART_PENDING;
			}
			break;
		case MP_EPILOGUE:
			i = len;
			break;
		default:
			if ((run = multipart_byte(p, data[i++])) == 0 ||
			    ev == NULL || ev->on_part_end == NULL)
				break;
			emit_body(p, data + from, i - from, ev, ctx);
			from = i;
			ev->on_part_end(ctx, run);
			break;
		}
	}
	emit_body(p, data + from, len - from, ev, ctx);
}

static size_t
body_step(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	size_t n = len < p->body_left ? len : (size_t)p->body_left;

	body_deliver(p, data, n, ev, ctx);
	p->body_left -= n;
	if (p->body_left == 0) {
		if (p->state == HS_BODY)
			request_done(p);
		else
			p->chunk_state = CS_DATA_END;
	}
	return n;
}

/*
 * After a gap or garbage: a feed must start with "METHOD SP" of a known
 * method. The method bytes may arrive over several feeds; they are kept
 * in p->line so the request line continues from them. Returns the bytes
 * consumed; the state is HS_REQ_LINE once a method matched.
 */
static size_t
resync_step(struct http_parser *p, const uint8_t *data, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		p->line[p->line_len++] = data[i];
		switch (method_match(p->line, p->line_len)) {
		case MM_FULL:
			p->state = HS_REQ_LINE;
			return i + 1;
		case MM_PREFIX:
			break;
		case MM_NONE:
			p->line_len = 0;
			return len;
		}
	}
	return len;
}

void
http_parser_init(struct http_parser *p)
{
	/* p->line is only ever read below p->line_len: no need to clear it. */
	memset(p, 0, offsetof(struct http_parser, line));
	p->state = HS_REQ_LINE;
}

/*
 * The first client bytes after a CONNECT: when they are another request,
 * the proxy refused the CONNECT (407 for NTLM/Negotiate authentication, or
 * an error) and the client asks again on the same connection, so they are
 * parsed as a request, not counted as tunnel data. Up to TUNNEL_PEEK bytes
 * are held in p->line (unused inside a tunnel) until that is decided, so a
 * request split into tiny segments is recognised too; once the tunnel has
 * carried data it is a tunnel for good.
 */
#define TUNNEL_PEEK 16

enum tunnel_start { TUNNEL_DATA, TUNNEL_WAIT, TUNNEL_REQUEST };

/* 1: a request line starts here; 0: tunnel data; -1: too few bytes. */
static int
request_verdict(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (d[i] == ' ')
			return http_looks_like_request(d, n) ? 1 : 0;
		if (d[i] < 'A' || d[i] > 'Z')
			return 0;
	}
	return n >= TUNNEL_PEEK ? 0 : -1;
}

static enum tunnel_start
tunnel_first_bytes(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	uint8_t peek[TUNNEL_PEEK];
	size_t held = p->line_len;
	size_t take = len < TUNNEL_PEEK - held ? len : TUNNEL_PEEK - held;
	int verdict;

	memcpy(peek, p->line, held);
	memcpy(peek + held, data, take);
	verdict = request_verdict(peek, held + take);
	if (verdict < 0) { /* then take == len: all of it is held */
		memcpy(p->line + held, data, take);
		p->line_len = (uint16_t)(held + take);
		return TUNNEL_WAIT;
	}
	p->flags &= (uint8_t)~HF_TUNNEL_FRESH;
	if (verdict == 0) {
		p->line_len = 0;
		if (held > 0 && ev != NULL && ev->on_tunnel != NULL)
			ev->on_tunnel(ctx, peek, held);
		return TUNNEL_DATA;
	}
	p->in_tunnel = false;
	request_done(p);
	p->line_len = (uint16_t)held; /* the request line's first bytes */
	p->line_truncated = false;
	return TUNNEL_REQUEST;
}

bool
http_response_is_2xx(const uint8_t *data, size_t len)
{
	/* (most server segments are body bytes: the first one turns them away) */
	return len >= 12 && data[0] == 'H' && memcmp(data, "HTTP/1.", 7) == 0 &&
	    (data[7] == '0' || data[7] == '1') && data[8] == ' ' &&
	    data[9] == '2' && data[10] >= '0' && data[10] <= '9' &&
	    data[11] >= '0' && data[11] <= '9';
}

bool
http_parser_busy(const struct http_parser *p)
{
	return p->state != HS_REQ_LINE || p->line_len != 0 || p->in_tunnel ||
	    p->flags != 0;
}

bool
http_parser_in_body(const struct http_parser *p)
{
	return !p->in_tunnel && (p->state == HS_BODY || p->state == HS_CHUNKED);
}

bool
http_parser_in_tunnel(const struct http_parser *p)
{
	return p->in_tunnel;
}

bool
http_parser_tunnel_steady(const struct http_parser *p)
{
	return p->in_tunnel && !(p->flags & HF_TUNNEL_FRESH) && p->line_len == 0;
}

bool
http_parser_awaits_tunnel_reply(const struct http_parser *p)
{
	return p->in_tunnel && (p->flags & HF_TUNNEL_FRESH);
}

void
http_parser_tunnel_confirmed(struct http_parser *p, const struct http_events *ev,
    void *ctx)
{
	if (!http_parser_awaits_tunnel_reply(p))
		return;
	p->flags &= (uint8_t)~HF_TUNNEL_FRESH;
	if (p->line_len > 0 && ev != NULL && ev->on_tunnel != NULL)
		ev->on_tunnel(ctx, p->line, p->line_len);
	p->line_len = 0;
}

/* Tunnel bytes: 0 when all of data was the tunnel's (or is held), 1 when
 * the parser left the tunnel and data is to be parsed as a request. */
static int
tunnel_feed(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	if (p->flags & HF_TUNNEL_FRESH) {
		switch (tunnel_first_bytes(p, data, len, ev, ctx)) {
		case TUNNEL_WAIT:
			return 0;
		case TUNNEL_REQUEST:
			return 1;
		case TUNNEL_DATA:
			break;
		}
	}
	if (ev != NULL && ev->on_tunnel != NULL)
		ev->on_tunnel(ctx, data, len);
	return 0;
}

static void
skipped(const struct http_events *ev, void *ctx, const uint8_t *data, size_t len)
{
	if (len > 0 && ev != NULL && ev->on_skipped != NULL)
		ev->on_skipped(ctx, data, len);
}

/* A segment of the request stream (not of a tunnel). */
OUT_OF_LINE static void
stream_feed(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	size_t off = 0;

	if (p->state == HS_RESYNC) {
		off = resync_step(p, data, len);
		if (p->state == HS_RESYNC) {
			if (p->line_len == 0) /* (else held: a method may follow) */
				skipped(ev, ctx, data, len);
			return;
		}
	}
	while (off < len) {
		if (p->in_tunnel && tunnel_feed(p, data + off, len - off, ev,
		    ctx) == 0)
			return;
		switch (p->state) {
		case HS_REQ_LINE:
		case HS_HEADERS:
			off += lines_step(p, data + off, len - off, ev, ctx);
			break;
		case HS_BODY:
			off += body_step(p, data + off, len - off, ev, ctx);
			break;
		case HS_CHUNKED:
			if (p->chunk_state == CS_DATA)
				off += body_step(p, data + off, len - off, ev,
				    ctx);
			else
				off += lines_step(p, data + off, len - off, ev,
				    ctx);
			break;
		default:
			/* Garbage: the rest of this feed is dropped. */
			skipped(ev, ctx, data + off, len - off);
			return;
		}
	}
}

void
http_parser_feed(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx)
{
	p->head_feed = 0; /* head bytes of earlier feeds were counted there */
	if (data == NULL || len == 0)
		return;
	/* After CONNECT every byte is the tunnel's (and gaps too), unless the
	 * client asks again at once (see tunnel_first_bytes). */
	if (p->in_tunnel && tunnel_feed(p, data, len, ev, ctx) == 0)
		return;
	stream_feed(p, data, len, ev, ctx);
}

void
http_parser_gap(struct http_parser *p, const struct http_events *ev)
{
	if (p->in_tunnel) {
		/* the tunnel simply goes on; bytes held to tell a repeated
		 * request from tunnel data are lost with the gap */
		p->flags &= (uint8_t)~HF_TUNNEL_FRESH;
		p->line_len = 0;
		return;
	}
	STAT(ev, resyncs);
	resync(p);
	p->line_len = 0;
	p->line_truncated = false;
}

size_t
http_parser_saved_len(const struct http_parser *p)
{
	size_t n = p->line_len <= HTTP_LINE_MAX ? p->line_len : HTTP_LINE_MAX;

	return offsetof(struct http_parser, line) + n;
}

/* The booleans of a saved state, as bytes (read as bool, another value
 * would be undefined). */
static bool
saved_bools_ok(const uint8_t *b)
{
	static const size_t at[] = {
		offsetof(struct http_parser, line_truncated),
		offsetof(struct http_parser, in_tunnel),
		offsetof(struct http_parser, req.is_connect),
		offsetof(struct http_parser, req.absolute_uri),
		offsetof(struct http_parser, req.has_xff),
		offsetof(struct http_parser, req.chunked),
		offsetof(struct http_parser, req.has_content_length),
		offsetof(struct http_parser, req.multipart),
	};
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if (b[at[i]] > 1)
			return false;
	return true;
}

bool
http_parser_restore(struct http_parser *p, const uint8_t *bytes, size_t len)
{
	struct http_parser t;
	size_t head = offsetof(struct http_parser, line);

	if (len < head || len > sizeof(t) || !saved_bools_ok(bytes))
		return false;
	memset(&t, 0, sizeof(t));
	memcpy(&t, bytes, len);
	if (t.state > HS_RESYNC || t.chunk_state > CS_TRAILERS ||
	    t.multipart_state > MP_EPILOGUE || t.line_len > HTTP_LINE_MAX ||
	    len != head + t.line_len || t.boundary_len > HTTP_BOUNDARY_MAX + 3 ||
	    (t.boundary_len != 0 && t.boundary_len < 4) ||
	    (t.multipart_state != MP_NONE && t.boundary_len == 0) ||
	    /* the scan reads boundary[match_len] until it reaches the end:
	     * below it (1: a line start, also before any boundary is known) */
	    (t.multipart_state == MP_SCAN && t.match_len >= t.boundary_len &&
	    t.match_len > 1) ||
	    memchr(t.req.method, '\0', sizeof(t.req.method)) == NULL ||
	    memchr(t.req.host, '\0', sizeof(t.req.host)) == NULL ||
	    memchr(t.req.uri, '\0', sizeof(t.req.uri)) == NULL ||
	    memchr(t.req.user_agent, '\0', sizeof(t.req.user_agent)) == NULL ||
	    t.fn_state > FN_DONE || t.fn_match >= sizeof("filename=") - 1 ||
	    t.fn_len >= sizeof(t.req.filename) ||
	    strnlen(t.req.filename, sizeof(t.req.filename)) != t.fn_len ||
	    (t.req.xff.family != 0 && t.req.xff.family != 4 &&
	    t.req.xff.family != 6))
		return false;
	*p = t;
	return true;
}
