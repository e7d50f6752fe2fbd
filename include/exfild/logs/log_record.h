/*
 * log_record.h - one proxy or sensor log line as the pipeline sees it: the
 * value every log parser (logparse_squid, logparse_zeek) produces, the
 * reasons a line is rejected, and the few field readers both parsers share.
 */
#ifndef EXFILD_LOG_RECORD_H
#define EXFILD_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/track/flow.h"
#include "exfild/util/cursor.h"
#include "exfild/util/netaddr.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define LOG_SIMD 1
#endif

/* Longer lines are rejected (LOGREJ_LINE_TOO_LONG) without being read. */
#define LOG_LINE_MAX 65536

enum log_record_kind { LOGREC_SQUID, LOGREC_ZEEK_CONN, LOGREC_ZEEK_HTTP };

/*
 * Text fields are the log's bytes (IDN and UTF-8 left as they are), cut at
 * the first control character (< 0x20 or 0x7f) and truncated to fit; always
 * NUL-terminated. Whoever prints them must escape them. A parser sets every
 * field of a record it returns, but the bytes after a text field's NUL are
 * unspecified (the Squid parser does not clear the whole record per line).
 */
struct log_record {
	enum log_record_kind kind;
	uint64_t ts_ns;        /* squid: when the request ENDED (%ts.%tu); zeek: ts (start) */
	uint64_t duration_ns;  /* squid %tr; zeek duration (0 unknown) */
	struct netaddr client; /* the internal host: squid %>a, zeek id.orig_h */
	char user[64];         /* squid %un/%[un/%ul/%ue/%ui, zeek username ("-" -> "") */
	char method[24];       /* CONNECT, POST, ... ("" unknown) */
	char host[254];        /* destination name: CONNECT host, URL host, zeek http host;
	                        * lowercased; "" when only an address is known */
	uint16_t port;         /* destination port (CONNECT/URL port, zeek id.resp_p); 0 unknown */
	struct netaddr server; /* squid %<a/%<A (or an address-literal URL host when
	                        * those say nothing), zeek id.resp_h; family 0 unknown */
	bool has_bytes_up;     /* false when the line has no request size (squid native) */
	uint64_t bytes_up;     /* squid %>st (request incl. headers), zeek orig_bytes / request_body_len */
	uint64_t bytes_down;   /* squid %<st, zeek resp_bytes / response_body_len */
	uint16_t status;       /* HTTP status (0 unknown) */
	char mime[64];         /* squid %mt, zeek orig_mime_types (first) */
	char zeek_uid[24];     /* zeek uid ("" for squid) */
	struct flow_key tuple; /* zeek: id.orig_h/p, id.resp_h/p and proto
	                        * (6, 17; 0 unknown, and for squid) */
	bool via_proxy;        /* through a proxy: every squid line; a zeek
	                        * http request in proxy form (CONNECT, an
	                        * absolute URI), whose id.resp_h was the proxy */
};

/* What one line was. Headers are zeek's '#' lines and blank lines. */
enum log_parse_result { LOGPARSE_RECORD, LOGPARSE_HEADER, LOGPARSE_REJECT };

/* Why a line was rejected; log_reject_name() gives the name used in counts. */
enum log_reject {
	LOGREJ_NONE,
	LOGREJ_LINE_TOO_LONG,    /* "line_too_long": more than LOG_LINE_MAX bytes */
	LOGREJ_TOO_FEW_FIELDS,   /* "too_few_fields": the line ends before the format */
	LOGREJ_TOO_MANY_FIELDS,  /* "too_many_fields": zeek TSV with more columns than #fields */
	LOGREJ_FORMAT_MISMATCH,  /* "format_mismatch": squid literal text not where expected */
	LOGREJ_BAD_TIMESTAMP,    /* "bad_timestamp" */
	LOGREJ_BAD_ADDRESS,      /* "bad_address": client (or zeek resp_h) not an address */
	LOGREJ_BAD_NUMBER,       /* "bad_number": a count, port or duration not a number, overflow */
	LOGREJ_BAD_STATUS,       /* "bad_status": HTTP status not 0..999 */
	LOGREJ_BAD_URL,          /* "bad_url": no host in the URL / CONNECT authority */
	LOGREJ_NO_FIELDS_HEADER, /* "no_fields_header": zeek TSV data before any #fields */
	LOGREJ_BAD_HEADER,       /* "bad_header": a zeek #separator/#fields line that cannot be used */
	LOGREJ_UNSUPPORTED_LOG,  /* "unsupported_log": zeek log that is neither conn nor http */
	LOGREJ_MISSING_FIELD,    /* "missing_field": zeek line without ts or id.orig_h */
	LOGREJ_BAD_JSON,         /* "bad_json": not one strict JSON object */
	LOGREJ_COUNT
};

static inline const char *
log_reject_name(enum log_reject r)
{
	static const char *const names[LOGREJ_COUNT] = {
		[LOGREJ_NONE] = "none",
		[LOGREJ_LINE_TOO_LONG] = "line_too_long",
		[LOGREJ_TOO_FEW_FIELDS] = "too_few_fields",
		[LOGREJ_TOO_MANY_FIELDS] = "too_many_fields",
		[LOGREJ_FORMAT_MISMATCH] = "format_mismatch",
		[LOGREJ_BAD_TIMESTAMP] = "bad_timestamp",
		[LOGREJ_BAD_ADDRESS] = "bad_address",
		[LOGREJ_BAD_NUMBER] = "bad_number",
		[LOGREJ_BAD_STATUS] = "bad_status",
		[LOGREJ_BAD_URL] = "bad_url",
		[LOGREJ_NO_FIELDS_HEADER] = "no_fields_header",
		[LOGREJ_BAD_HEADER] = "bad_header",
		[LOGREJ_UNSUPPORTED_LOG] = "unsupported_log",
		[LOGREJ_MISSING_FIELD] = "missing_field",
		[LOGREJ_BAD_JSON] = "bad_json",
	};

	return (unsigned)r < LOGREJ_COUNT ? names[r] : "unknown";
}

#ifdef LOG_SIMD
/*
 * 16 bytes of the left bytes at p, from index i (i < left, left >= 16):
 * p[i..i+15] when that many are left, else the last 16, with *shift set so
 * that a byte mask shifted right by it has p[i] at bit 0. Never reads
 * outside p[0..left-1].
 */
static inline __m128i
log_chunk16(const uint8_t *p, size_t left, size_t i, unsigned *shift)
{
	if (left - i >= 16) {
		*shift = 0;
		return _mm_loadu_si128((const __m128i *)(const void *)(p + i));
	}
	*shift = (unsigned)(16 - (left - i));
	return _mm_loadu_si128((const __m128i *)(const void *)(p + left - 16));
}

/* Bit k set when byte k of v is c. */
static inline unsigned
log_eq16(__m128i v, uint8_t c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8((char)c)));
}

/* Bytes of v in lo..hi (unsigned), as a vector of 0xff/0. */
static inline __m128i
log_range16(__m128i v, uint8_t lo, uint8_t hi)
{
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8((char)lo));

	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))),
	    t);
}

/* Bit k set when byte k of v is a control character (< 0x20, 0x7f). */
static inline unsigned
log_ctl16(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(log_range16(v, 0, 0x1f),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
}
#endif

/*
 * Field readers shared by the parsers. Each takes the whole field (a cursor
 * over exactly its bytes) and returns 0, or -1 when it is not of that form.
 */

/* Decimal digits only, no sign, no blanks; -1 on overflow. (The loops
 * here index the cursor's rest below cur_left(), its whole bound.) */
static inline int
log_field_u64(struct cursor f, uint64_t *out)
{
	const uint8_t *p = cur_rest(&f);
	size_t n = cur_left(&f), i;
	uint64_t v = 0;
	uint8_t d;

	if (n == 0)
		return -1;
	/* 19 digits always fit; past them, check. */
	for (i = 0; i < n && i < 19; i++) {
		d = (uint8_t)(p[i] - '0');
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	for (; i < n; i++) {
		d = (uint8_t)(p[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * A non-negative decimal number of seconds ("1411000000.123", "0.5",
 * "5e-06", JSON's grammar) as nanoseconds, truncated below 1 ns; -1 when
 * malformed or when it does not fit in 64 bits.
 */
static inline int
log_field_seconds_ns(struct cursor f, uint64_t *out)
{
	struct cursor digits;
	size_t nint = 0, nfrac = 0, i, mark;
	int64_t exp = 0, point;
	uint64_t v = 0, e = 0;
	uint8_t d;
	bool eneg = false;

	mark = f.off;
	while (cur_left(&f) > 0 && (uint8_t)(cur_peek(&f, 0) - '0') <= 9) {
		cur_skip(&f, 1);
		nint++;
	}
	if (nint == 0)
		return -1;
	if (cur_peek(&f, 0) == '.' && cur_left(&f) > 0) {
		cur_skip(&f, 1);
		while (cur_left(&f) > 0 &&
		    (uint8_t)(cur_peek(&f, 0) - '0') <= 9) {
			cur_skip(&f, 1);
			nfrac++;
		}
		if (nfrac == 0)
			return -1;
	}
	if (cur_left(&f) > 0 && (cur_peek(&f, 0) | 0x20) == 'e') {
		cur_skip(&f, 1);
		if (cur_peek(&f, 0) == '+' || cur_peek(&f, 0) == '-') {
			eneg = cur_u8(&f) == '-';
		}
		if (cur_left(&f) == 0)
			return -1;
		while (cur_left(&f) > 0) {
			d = (uint8_t)(cur_u8(&f) - '0');
			if (d > 9)
				return -1;
			if (e < 1000)
				e = e * 10 + d;
		}
		exp = eneg ? -(int64_t)e : (int64_t)e;
	}
	if (cur_left(&f) != 0)
		return -1;
	/* The digits without the point; the first `point` of them are the
	 * integer number of nanoseconds. */
	digits = f;
	digits.off = mark;
	point = (int64_t)nint + exp + 9;
	for (i = 0; (int64_t)i < point; i++) {
		if (i < nint + nfrac) {
			d = cur_u8(&digits);
			if (d == '.')
				d = cur_u8(&digits);
			d = (uint8_t)(d - '0');
		} else {
			d = 0;
		}
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil); month 1..12, day 1..31, year >= 1970 for our use. */
static inline int64_t
log_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Exactly n decimal digits as an unsigned; -1 otherwise. */
static inline int
log_field_digits(struct cursor *c, size_t n, unsigned *out)
{
	unsigned v = 0;
	uint8_t d;

	while (n-- > 0) {
		d = (uint8_t)(cur_u8(c) - '0');
		if (c->err || d > 9)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Copy text as the record keeps it: cut at the first control character,
 * truncated to dstlen - 1, ASCII lowercased when asked. */
static inline void
log_copy_text(char *dst, size_t dstlen, struct cursor f, bool lower)
{
	const uint8_t *p = cur_rest(&f);
	size_t left = cur_left(&f), n = 0;
	uint8_t ch;

	if (dstlen == 0)
		return;
#ifdef LOG_SIMD
	/* 16 bytes at a time while none ends the text and all fit; the last
	 * chunk may overlap bytes already copied (with the same values). */
	while (left >= 16 && n < left && dstlen - n > 16) {
		unsigned shift;
		__m128i v = log_chunk16(p, left, n, &shift);

		if (log_ctl16(v) >> shift != 0)
			break;
		if (lower)
			v = _mm_add_epi8(v, _mm_and_si128(log_range16(v, 'A', 'Z'),
			    _mm_set1_epi8(0x20)));
		_mm_storeu_si128((__m128i *)(void *)(dst + (shift == 0 ? n :
		    left - 16)), v);
		n += 16 - shift;
	}
#endif
	while (n < left && n + 1 < dstlen) {
		ch = p[n];
		if (ch < 0x20 || ch == 0x7f)
			break;
		if (lower && ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch + ('a' - 'A'));
		dst[n++] = (char)ch;
	}
	dst[n] = '\0';
}

/*
 * "host", "host:port", "[v6]", "[v6]:port" (an URL authority or a CONNECT
 * target, without userinfo). An address-literal host goes to *literal and
 * r->host is left ""; a name goes to r->host lowercased. The port, when
 * present, to r->port. -1 when there is no host or the port is not 0..65535.
 */
static inline int
log_record_set_authority(struct log_record *r, struct cursor a,
    struct netaddr *literal)
{
	struct cursor host, port;
	const uint8_t *p;
	size_t n = 0, colon = (size_t)-1, i, left;
	uint64_t portnum;
	uint8_t ch;
	bool dotted = true;

	literal->family = 0;
	if (cur_peek(&a, 0) == '[') {
		cur_skip(&a, 1);
		while (n < cur_left(&a) && cur_peek(&a, n) != ']')
			n++;
		if (n == cur_left(&a) || n == 0)
			return -1;
		host = cur_sub(&a, n);
		cur_skip(&a, 1);
		if (netaddr_parse_n((const char *)cur_rest(&host), n, literal) != 0 ||
		    literal->family != 6)
			return -1;
		if (cur_left(&a) > 0) {
			if (cur_u8(&a) != ':')
				return -1;
			colon = 0;
		}
	} else {
		p = cur_rest(&a);
		left = cur_left(&a);
		i = 0;
#ifdef LOG_SIMD
		/* The same scan 16 bytes at a time: colons, and bytes that are
		 * neither digits nor dots before the first colon. */
		while (left >= 16 && i < left) {
			unsigned shift, colons, other, before;
			__m128i v = log_chunk16(p, left, i, &shift);

			colons = log_eq16(v, ':') >> shift;
			other = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(
			    log_range16(v, '0', '9'), _mm_cmpeq_epi8(v,
			    _mm_set1_epi8('.')))) & 0xffff;
			other >>= shift;
			if (colons != 0 && (colon != (size_t)-1 ||
			    (colons & (colons - 1)) != 0))
				return -1; /* an unbracketed IPv6 address */
			before = colon != (size_t)-1 ? 0 : colons != 0 ?
			    (1u << __builtin_ctz(colons)) - 1 : 0xffff;
			if ((other & before) != 0)
				dotted = false;
			if (colons != 0)
				colon = i + (size_t)__builtin_ctz(colons);
			i += 16 - shift;
		}
#endif
		for (; i < left; i++) {
			ch = p[i];
			if (ch == ':' && colon != (size_t)-1)
				return -1; /* an unbracketed IPv6 address */
			if (ch == ':')
				colon = i;
			else if (colon == (size_t)-1 && ch != '.' &&
			    (uint8_t)(ch - '0') > 9)
				dotted = false;
		}
		n = colon != (size_t)-1 ? colon : left;
		if (n == 0)
			return -1;
		host = cur_sub(&a, n);
		if (colon != (size_t)-1)
			cur_skip(&a, 1);
		/* Only digits and dots can be an IPv4 literal: names skip inet_pton. */
		if (!dotted || netaddr_parse_n((const char *)p, n, literal) != 0)
			log_copy_text(r->host, sizeof(r->host), host, true);
	}
	if (colon != (size_t)-1) {
		port = a;
		if (cur_left(&port) > 0) {
			if (log_field_u64(port, &portnum) != 0 || portnum > 65535)
				return -1;
			r->port = (uint16_t)portnum;
		}
	}
	if (literal->family == 0 && r->host[0] == '\0')
		return -1;
	return 0;
}

#endif
