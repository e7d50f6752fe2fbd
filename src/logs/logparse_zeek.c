/*
 * logparse_zeek.c - Zeek conn.log and http.log, as written by Zeek's ASCII
 * log writer (TSV with '#' headers, or JSON lines with LogAscii::use_json).
 * JSON is read by a small strict scanner (RFC 8259) over the cursor.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exfild/logs/logparse_zeek.h"
#include "exfild/util/util.h"

#define JSON_MAX_DEPTH 32
#define ZEEK_META_MAX 16 /* bytes of #separator, #unset_field, ... */

enum zeek_field {
	ZF_NONE,
	ZF_TS,
	ZF_UID,
	ZF_ORIG_H,
	ZF_RESP_H,
	ZF_RESP_P,
	ZF_DURATION,
	ZF_ORIG_BYTES,
	ZF_RESP_BYTES,
	ZF_METHOD,
	ZF_HOST,
	ZF_URI,
	ZF_REQ_BODY_LEN,
	ZF_RESP_BODY_LEN,
	ZF_STATUS_CODE,
	ZF_ORIG_MIME_TYPES,
	ZF_USERNAME,
	ZF_PATH,        /* JSON "_path" */
	ZF_ORIG_P,      /* id.orig_p, proto: the connection, for join keys */
	ZF_PROTO,
	ZF_CONN_HINT,   /* conn_state, orig_pkts, missed_bytes */
	ZF_HTTP_HINT,   /* trans_depth */
	ZF_OTHER_HINT,  /* server_name (ssl, quic), call_id (sip), query (dns), fuid */
	ZF_COUNT
};

static const struct zeek_name {
	const char *name;
	uint8_t field;
} zeek_names[] = {
	{ "ts", ZF_TS }, { "uid", ZF_UID }, { "id.orig_h", ZF_ORIG_H },
	{ "id.resp_h", ZF_RESP_H }, { "id.resp_p", ZF_RESP_P },
	{ "id.orig_p", ZF_ORIG_P }, { "proto", ZF_PROTO },
	{ "duration", ZF_DURATION }, { "orig_bytes", ZF_ORIG_BYTES },
	{ "resp_bytes", ZF_RESP_BYTES }, { "method", ZF_METHOD },
	{ "host", ZF_HOST }, { "uri", ZF_URI },
	{ "request_body_len", ZF_REQ_BODY_LEN },
	{ "response_body_len", ZF_RESP_BODY_LEN },
	{ "status_code", ZF_STATUS_CODE },
	{ "orig_mime_types", ZF_ORIG_MIME_TYPES },
	{ "username", ZF_USERNAME }, { "_path", ZF_PATH },
	{ "conn_state", ZF_CONN_HINT }, { "orig_pkts", ZF_CONN_HINT },
	{ "missed_bytes", ZF_CONN_HINT }, { "trans_depth", ZF_HTTP_HINT },
	{ "server_name", ZF_OTHER_HINT }, { "call_id", ZF_OTHER_HINT },
	{ "query", ZF_OTHER_HINT }, { "fuid", ZF_OTHER_HINT },
};

enum zval_type { ZV_ABSENT, ZV_UNSET, ZV_TEXT, ZV_NUMBER, ZV_OTHER };

/* One field's value: TSV text or a JSON string (both unescaped into the
 * reader's scratch buffer), or a JSON number's text. */
struct zval {
	const uint8_t *p;
	size_t len;
	uint8_t type;
};

enum zeek_kind { ZK_UNKNOWN, ZK_CONN, ZK_HTTP, ZK_OTHER };

struct zeek_reader {
	uint8_t sep[ZEEK_META_MAX];
	size_t sep_len;
	uint8_t set_sep;
	uint8_t unset[ZEEK_META_MAX];
	size_t unset_len;
	uint8_t empty[ZEEK_META_MAX];
	size_t empty_len;
	enum zeek_kind path_kind;
	bool have_fields;
	size_t ncols;
	uint8_t col[ZEEK_MAX_COLUMNS];
	bool has_col[ZF_COUNT];
	struct zval val[ZF_COUNT];
	uint8_t scratch[LOG_LINE_MAX];
	size_t scratch_used;
};

/* ---- small helpers ---- */

static uint8_t
field_by_name(struct cursor name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(zeek_names); i++)
		if (cur_eq(&name, zeek_names[i].name,
		    strlen(zeek_names[i].name)))
			return zeek_names[i].field;
	return ZF_NONE;
}

/* A decoded JSON key (in a buffer of its own). */
static uint8_t
key_field(const uint8_t *key, size_t n)
{
	struct cursor c;

	cur_init(&c, key, n);
	return field_by_name(c);
}

/* The scratch buffer holds at most one line's worth of decoded bytes:
 * decoding never lengthens, so it cannot run out; checked all the same. */
static uint8_t *
scratch_take(struct zeek_reader *z, size_t n)
{
	uint8_t *p;

	if (sizeof(z->scratch) - z->scratch_used < n)
		return NULL;
	p = z->scratch + z->scratch_used;
	z->scratch_used += n;
	return p;
}

/* Zeek's ASCII escapes: \xHH; other bytes are themselves. */
static size_t
unescape_hex(struct cursor in, uint8_t *out, size_t outlen)
{
	size_t n = 0;
	uint8_t ch;
	int hi, lo;

	while (cur_left(&in) > 0 && n < outlen) {
		ch = cur_u8(&in);
		if (ch == '\\' && cur_peek(&in, 0) == 'x' && cur_left(&in) >= 3 &&
		    (hi = hex_digit_value(cur_peek(&in, 1))) >= 0 &&
		    (lo = hex_digit_value(cur_peek(&in, 2))) >= 0) {
			cur_skip(&in, 3);
			ch = (uint8_t)(hi << 4 | lo);
		}
		out[n++] = ch;
	}
	return n;
}

static struct cursor
zval_cursor(const struct zval *v)
{
	struct cursor c;

	cur_init(&c, v->p, v->len);
	return c;
}

/* A text value that is an address literal: 0, else -1. */
static int
zval_addr(const struct zval *v, struct netaddr *out)
{
	struct cursor c = zval_cursor(v);

	if (v->type != ZV_TEXT)
		return -1;
	return netaddr_parse_n((const char *)cur_rest(&c), cur_left(&c), out);
}

static bool
zval_set(const struct zval *v)
{
	return v->type == ZV_TEXT || v->type == ZV_NUMBER;
}

/* ---- TSV headers ---- */

static void
set_meta(uint8_t *dst, size_t *dstlen, struct cursor v)
{
	*dstlen = unescape_hex(v, dst, ZEEK_META_MAX);
}

static void
reset_headers(struct zeek_reader *z)
{
	z->sep[0] = '\t';
	z->sep_len = 1;
	z->set_sep = ',';
	memcpy(z->unset, "-", 1);
	z->unset_len = 1;
	memcpy(z->empty, "(empty)", 7);
	z->empty_len = 7;
	z->path_kind = ZK_UNKNOWN;
	z->have_fields = false;
	z->ncols = 0;
	memset(z->has_col, 0, sizeof(z->has_col));
}

/* Length of the next column (up to the separator or the end). */
static size_t
column_len(const struct zeek_reader *z, const struct cursor *c)
{
	struct cursor at = *c;
	size_t n;

	if (z->sep_len == 1)
		return cur_find(c, z->sep[0]);
	for (n = 0; cur_left(&at) >= z->sep_len; n++, cur_skip(&at, 1))
		if (cur_starts_with(&at, z->sep, z->sep_len))
			return n;
	return cur_left(c);
}

/* The next column, advancing past it and its separator; *more says a
 * separator followed. */
static struct cursor
next_column(const struct zeek_reader *z, struct cursor *c, bool *more)
{
	struct cursor col = cur_sub(c, column_len(z, c));

	*more = cur_left(c) > 0; /* column_len stopped at a separator */
	if (*more)
		cur_skip(c, z->sep_len);
	return col;
}

static enum zeek_kind
kind_from_columns(const bool *has)
{
	bool conn = has[ZF_ORIG_BYTES] || has[ZF_RESP_BYTES] || has[ZF_CONN_HINT];
	bool http = has[ZF_METHOD] || has[ZF_HOST] || has[ZF_URI] ||
	    has[ZF_REQ_BODY_LEN] || has[ZF_RESP_BODY_LEN] ||
	    has[ZF_STATUS_CODE] || has[ZF_HTTP_HINT];

	if (has[ZF_OTHER_HINT])
		return ZK_OTHER;
	if (conn && !http)
		return ZK_CONN;
	if (http && !conn)
		return ZK_HTTP;
	return ZK_OTHER;
}

static enum zeek_kind
kind_from_path(struct cursor v)
{
	if (cur_eq(&v, "conn", 4))
		return ZK_CONN;
	if (cur_eq(&v, "http", 4))
		return ZK_HTTP;
	return ZK_OTHER;
}

static enum log_reject
header_fields(struct zeek_reader *z, struct cursor c)
{
	struct cursor name;
	bool more = true;
	size_t n = 0;
	uint8_t fld;

	z->have_fields = false;
	z->ncols = 0;
	memset(z->has_col, 0, sizeof(z->has_col));
	if (cur_left(&c) == 0)
		return LOGREJ_BAD_HEADER;
	while (more) {
		name = next_column(z, &c, &more);
		fld = field_by_name(name);
		if (n < ZEEK_MAX_COLUMNS) {
			z->col[n] = fld;
			z->has_col[fld] = true;
		}
		n++;
	}
	z->ncols = n; /* columns past the map are counted, not read */
	z->has_col[ZF_NONE] = false;
	z->have_fields = true;
	return LOGREJ_NONE;
}

/* "#separator \x09" */
static enum log_reject
header_separator(struct zeek_reader *z, struct cursor v)
{
	uint8_t sep[ZEEK_META_MAX];
	size_t n;

	n = unescape_hex(v, sep, sizeof(sep));
	if (n == 0 || cur_left(&v) > 4 * ZEEK_META_MAX)
		return LOGREJ_BAD_HEADER;
	reset_headers(z);
	memcpy(z->sep, sep, n);
	z->sep_len = n;
	return LOGREJ_NONE;
}

static enum log_reject
header_line(struct zeek_reader *z, struct cursor c)
{
	struct cursor key;
	bool more;
	uint8_t set_sep[ZEEK_META_MAX];

	cur_skip(&c, 1); /* '#' */
	if (cur_starts_with(&c, "separator ", 10)) {
		cur_skip(&c, 10);
		return header_separator(z, c);
	}
	key = next_column(z, &c, &more);
	if (cur_eq(&key, "fields", 6))
		return header_fields(z, c);
	if (cur_eq(&key, "path", 4))
		z->path_kind = kind_from_path(c);
	else if (cur_eq(&key, "unset_field", 11))
		set_meta(z->unset, &z->unset_len, c);
	else if (cur_eq(&key, "empty_field", 11))
		set_meta(z->empty, &z->empty_len, c);
	else if (cur_eq(&key, "set_separator", 13) &&
	    unescape_hex(c, set_sep, sizeof(set_sep)) > 0)
		z->set_sep = set_sep[0];
	return LOGREJ_NONE;
}

/* ---- TSV data ---- */

static size_t
first_element_len(const struct zeek_reader *z, const struct cursor *c)
{
	size_t n = 0;

	while (n < cur_left(c) && cur_peek(c, n) != z->set_sep)
		n++;
	return n;
}

static void
tsv_value(struct zeek_reader *z, uint8_t fld, struct cursor col)
{
	struct zval *v = &z->val[fld];
	size_t n;
	uint8_t *out;

	if (cur_eq(&col, z->unset, z->unset_len) ||
	    (fld == ZF_ORIG_MIME_TYPES && cur_eq(&col, z->empty, z->empty_len))) {
		v->type = ZV_UNSET;
		return;
	}
	if (cur_eq(&col, z->empty, z->empty_len)) {
		v->type = ZV_TEXT;
		v->p = z->scratch;
		v->len = 0;
		return;
	}
	if (fld == ZF_ORIG_MIME_TYPES) /* a set: its first element */
		cur_narrow(&col, first_element_len(z, &col));
	if ((out = scratch_take(z, cur_left(&col))) == NULL) {
		v->type = ZV_UNSET;
		return;
	}
	n = unescape_hex(col, out, cur_left(&col));
	z->scratch_used -= cur_left(&col) - n;
	v->p = out;
	v->len = n;
	v->type = ZV_TEXT;
}

static enum log_reject
tsv_line(struct zeek_reader *z, struct cursor c, enum zeek_kind *kind)
{
	struct cursor col;
	size_t i = 0;
	bool more = true;

	if (!z->have_fields)
		return LOGREJ_NO_FIELDS_HEADER;
	while (more) {
		col = next_column(z, &c, &more);
		if (i >= z->ncols)
			return LOGREJ_TOO_MANY_FIELDS;
		if (i < ZEEK_MAX_COLUMNS && z->col[i] != ZF_NONE)
			tsv_value(z, z->col[i], col);
		i++;
	}
	if (i < z->ncols)
		return LOGREJ_TOO_FEW_FIELDS;
	/* #path decides; a log without one by its columns. */
	*kind = z->path_kind != ZK_UNKNOWN ? z->path_kind :
	    kind_from_columns(z->has_col);
	return LOGREJ_NONE;
}

/* ---- JSON (RFC 8259), strict, over the cursor ---- */

static bool
json_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void
json_skip_ws(struct cursor *c)
{
	while (cur_left(c) > 0 && json_ws(cur_peek(c, 0)))
		cur_skip(c, 1);
}

static int
json_hex4(struct cursor *c, unsigned *out)
{
	unsigned v = 0, i;
	int h;

	for (i = 0; i < 4; i++) {
		if ((h = hex_digit_value(cur_u8(c))) < 0 || c->err)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	*out = v;
	return 0;
}

static size_t
utf8_put(uint8_t *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* One escape after the backslash; the code point it stands for. */
static int
json_escape(struct cursor *c, unsigned *cp)
{
	unsigned lo;
	uint8_t ch = cur_u8(c);

	switch (ch) {
	case '"': case '\\': case '/':
		*cp = ch;
		return 0;
	case 'b': *cp = '\b'; return 0;
	case 'f': *cp = '\f'; return 0;
	case 'n': *cp = '\n'; return 0;
	case 'r': *cp = '\r'; return 0;
	case 't': *cp = '\t'; return 0;
	case 'u':
		if (json_hex4(c, cp) != 0 || (*cp >= 0xdc00 && *cp <= 0xdfff))
			return -1;
		if (*cp < 0xd800 || *cp > 0xdbff)
			return 0;
		/* A high surrogate must be followed by a low one. */
		if (cur_u8(c) != '\\' || cur_u8(c) != 'u' ||
		    json_hex4(c, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		return 0;
	default:
		return -1;
	}
}

/*
 * A string at the cursor (past its opening quote). Decoded into out (when
 * not NULL, outlen bytes; longer decodings are cut) with its length in
 * *n. -1 when malformed.
 */
static int
json_string(struct cursor *c, uint8_t *out, size_t outlen, size_t *n)
{
	uint8_t ch, utf8[4];
	unsigned cp;
	size_t k, i;

	*n = 0;
	for (;;) {
		ch = cur_u8(c);
		if (c->err || ch < 0x20)
			return -1;
		if (ch == '"')
			return 0;
		if (ch != '\\') {
			if (out != NULL && *n < outlen)
				out[(*n)++] = ch;
			continue;
		}
		if (json_escape(c, &cp) != 0)
			return -1;
		k = utf8_put(utf8, cp);
		for (i = 0; i < k; i++)
			if (out != NULL && *n < outlen)
				out[(*n)++] = utf8[i];
	}
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
json_number(struct cursor *c)
{
	size_t n = 0;

	if (cur_peek(c, 0) == '-')
		cur_skip(c, 1);
	if (cur_peek(c, 0) == '0') {
		cur_skip(c, 1);
	} else {
		while ((uint8_t)(cur_peek(c, 0) - '0') <= 9 && cur_left(c) > 0) {
			cur_skip(c, 1);
			n++;
		}
		if (n == 0)
			return -1;
	}
	if (cur_peek(c, 0) == '.' && cur_left(c) > 0) {
		cur_skip(c, 1);
		for (n = 0; (uint8_t)(cur_peek(c, 0) - '0') <= 9 &&
		    cur_left(c) > 0; n++)
			cur_skip(c, 1);
		if (n == 0)
			return -1;
	}
	if ((cur_peek(c, 0) | 0x20) == 'e' && cur_left(c) > 0) {
		cur_skip(c, 1);
		if (cur_peek(c, 0) == '+' || cur_peek(c, 0) == '-')
			cur_skip(c, 1);
		for (n = 0; (uint8_t)(cur_peek(c, 0) - '0') <= 9 &&
		    cur_left(c) > 0; n++)
			cur_skip(c, 1);
		if (n == 0)
			return -1;
	}
	return 0;
}

static int
json_word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if (!cur_starts_with(c, w, n))
		return -1;
	cur_skip(c, n);
	return 0;
}

static int json_value(struct zeek_reader *z, struct cursor *c, int depth,
    struct zval *keep);

/* A string value kept in scratch (keep != NULL) or only checked. */
static int
json_string_value(struct zeek_reader *z, struct cursor *c, struct zval *keep)
{
	size_t room, n;
	uint8_t *out = NULL;

	cur_skip(c, 1);
	if (keep != NULL) {
		room = sizeof(z->scratch) - z->scratch_used;
		out = z->scratch + z->scratch_used;
		if (json_string(c, out, room, &n) != 0)
			return -1;
		z->scratch_used += n;
		keep->p = out;
		keep->len = n;
		keep->type = ZV_TEXT;
		return 0;
	}
	return json_string(c, NULL, 0, &n);
}

/* [ v, ... ]: the first element kept when it is a string. */
static int
json_array(struct zeek_reader *z, struct cursor *c, int depth,
    struct zval *keep)
{
	bool first = true;
	struct zval elem;

	cur_skip(c, 1);
	json_skip_ws(c);
	if (cur_peek(c, 0) == ']' && cur_left(c) > 0) {
		cur_skip(c, 1);
		if (keep != NULL)
			keep->type = ZV_UNSET;
		return 0;
	}
	for (;;) {
		memset(&elem, 0, sizeof(elem));
		if (json_value(z, c, depth + 1,
		    first && keep != NULL ? &elem : NULL) != 0)
			return -1;
		if (first && keep != NULL)
			*keep = elem.type == ZV_TEXT ? elem :
			    (struct zval){ NULL, 0, ZV_OTHER };
		first = false;
		json_skip_ws(c);
		switch (cur_u8(c)) {
		case ',':
			continue;
		case ']':
			return c->err ? -1 : 0;
		default:
			return -1;
		}
	}
}

static int json_object(struct zeek_reader *z, struct cursor *c, int depth,
    bool top);

static int
json_value(struct zeek_reader *z, struct cursor *c, int depth,
    struct zval *keep)
{
	struct cursor num;

	if (depth > JSON_MAX_DEPTH)
		return -1;
	json_skip_ws(c);
	if (cur_left(c) == 0)
		return -1;
	switch (cur_peek(c, 0)) {
	case '"':
		return json_string_value(z, c, keep);
	case '{':
		if (keep != NULL)
			keep->type = ZV_OTHER;
		return json_object(z, c, depth + 1, false);
	case '[':
		return json_array(z, c, depth, keep);
	case 't':
	case 'f':
		if (keep != NULL)
			keep->type = ZV_OTHER;
		return json_word(c, cur_peek(c, 0) == 't' ? "true" : "false");
	case 'n':
		if (keep != NULL)
			keep->type = ZV_UNSET;
		return json_word(c, "null");
	default:
		num = *c;
		if (json_number(c) != 0 || c->err)
			return -1;
		if (keep != NULL) {
			num = cur_sub(&num, c->off - num.off);
			keep->p = cur_rest(&num);
			keep->len = cur_left(&num);
			keep->type = ZV_NUMBER;
		}
		return 0;
	}
}

/* { "key": value, ... }; at the top level the keys we know are kept. */
static int
json_object(struct zeek_reader *z, struct cursor *c, int depth, bool top)
{
	uint8_t key[32];
	size_t keylen;
	uint8_t fld;

	cur_skip(c, 1);
	json_skip_ws(c);
	if (cur_peek(c, 0) == '}' && cur_left(c) > 0) {
		cur_skip(c, 1);
		return 0;
	}
	for (;;) {
		json_skip_ws(c);
		if (cur_u8(c) != '"' ||
		    json_string(c, key, sizeof(key), &keylen) != 0)
			return -1;
		json_skip_ws(c);
		if (cur_u8(c) != ':')
			return -1;
		fld = top && keylen < sizeof(key) ? key_field(key, keylen) :
		    ZF_NONE;
		if (json_value(z, c, depth, fld != ZF_NONE ? &z->val[fld] :
		    NULL) != 0)
			return -1;
		json_skip_ws(c);
		switch (cur_u8(c)) {
		case ',':
			continue;
		case '}':
			return c->err ? -1 : 0;
		default:
			return -1;
		}
	}
}

static enum log_reject
json_line(struct zeek_reader *z, struct cursor c, enum zeek_kind *kind)
{
	bool has[ZF_COUNT];
	size_t i;

	if (json_object(z, &c, 0, true) != 0)
		return LOGREJ_BAD_JSON;
	json_skip_ws(&c);
	if (c.err || cur_left(&c) != 0)
		return LOGREJ_BAD_JSON;
	if (z->val[ZF_PATH].type == ZV_TEXT) {
		*kind = kind_from_path(zval_cursor(&z->val[ZF_PATH]));
		return LOGREJ_NONE;
	}
	for (i = 0; i < ZF_COUNT; i++)
		has[i] = z->val[i].type != ZV_ABSENT;
	*kind = kind_from_columns(has);
	return LOGREJ_NONE;
}

/* ---- the record ---- */

/* "2023-02-22T00:00:03.714845Z", "...+01:00", "...+0100". */
static int
parse_iso8601(struct cursor v, uint64_t *ns)
{
	unsigned y, mo, d, hh, mm, ss, zh, zm;
	uint64_t frac = 0, scale = 100000000;
	int64_t secs;
	uint8_t ch, sign;

	if (log_field_digits(&v, 4, &y) != 0 || cur_u8(&v) != '-' ||
	    log_field_digits(&v, 2, &mo) != 0 || cur_u8(&v) != '-' ||
	    log_field_digits(&v, 2, &d) != 0 ||
	    ((ch = cur_u8(&v)) != 'T' && ch != 't' && ch != ' ') ||
	    log_field_digits(&v, 2, &hh) != 0 || cur_u8(&v) != ':' ||
	    log_field_digits(&v, 2, &mm) != 0 || cur_u8(&v) != ':' ||
	    log_field_digits(&v, 2, &ss) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 ||
	    mm > 59 || ss > 60)
		return -1;
	secs = log_days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss;
	if (cur_peek(&v, 0) == '.' && cur_left(&v) > 0) {
		cur_skip(&v, 1);
		if ((uint8_t)(cur_peek(&v, 0) - '0') > 9 || cur_left(&v) == 0)
			return -1;
		while (cur_left(&v) > 0 && (uint8_t)(cur_peek(&v, 0) - '0') <= 9) {
			frac += (uint64_t)(cur_u8(&v) - '0') * scale;
			scale /= 10;
		}
	}
	sign = cur_u8(&v);
	if (v.err)
		return -1;
	if (sign == '+' || sign == '-') {
		if (log_field_digits(&v, 2, &zh) != 0)
			return -1;
		if (cur_peek(&v, 0) == ':' && cur_left(&v) > 0)
			cur_skip(&v, 1);
		if (log_field_digits(&v, 2, &zm) != 0 || zh > 23 || zm > 59)
			return -1;
		secs += (sign == '+' ? -1 : 1) * (int64_t)(zh * 3600 + zm * 60);
	} else if (sign != 'Z' && sign != 'z') {
		return -1;
	}
	if (cur_left(&v) != 0 || secs < 0)
		return -1;
	*ns = (uint64_t)secs * NS_PER_SEC + frac;
	return 0;
}

static int
zval_u64(const struct zval *v, uint64_t *out, uint64_t max)
{
	*out = 0;
	if (!zval_set(v))
		return v->type == ZV_OTHER ? -1 : 0;
	return log_field_u64(zval_cursor(v), out) != 0 || *out > max ? -1 : 0;
}

static void
zval_text(const struct zval *v, char *dst, size_t dstlen, bool lower)
{
	if (v->type == ZV_TEXT)
		log_copy_text(dst, dstlen, zval_cursor(v), lower);
}

static enum log_reject
fill_common(const struct zeek_reader *z, struct log_record *r)
{
	const struct zval *v = z->val;
	struct cursor c;
	uint64_t port;

	if (v[ZF_TS].type == ZV_ABSENT || v[ZF_TS].type == ZV_UNSET ||
	    v[ZF_ORIG_H].type == ZV_ABSENT || v[ZF_ORIG_H].type == ZV_UNSET)
		return LOGREJ_MISSING_FIELD;
	c = zval_cursor(&v[ZF_TS]);
	if (log_field_seconds_ns(c, &r->ts_ns) != 0 &&
	    parse_iso8601(c, &r->ts_ns) != 0)
		return LOGREJ_BAD_TIMESTAMP;
	if (zval_addr(&v[ZF_ORIG_H], &r->client) != 0)
		return LOGREJ_BAD_ADDRESS;
	if (zval_set(&v[ZF_RESP_H]) && zval_addr(&v[ZF_RESP_H], &r->server) != 0)
		return LOGREJ_BAD_ADDRESS;
	if (zval_u64(&v[ZF_RESP_P], &port, 65535) != 0)
		return LOGREJ_BAD_NUMBER;
	r->port = (uint16_t)port;
	if (zval_set(&v[ZF_DURATION]) &&
	    log_field_seconds_ns(zval_cursor(&v[ZF_DURATION]),
	    &r->duration_ns) != 0)
		return LOGREJ_BAD_NUMBER;
	zval_text(&v[ZF_UID], r->zeek_uid, sizeof(r->zeek_uid), false);
	return LOGREJ_NONE;
}

/* The connection as Zeek saw it (id.* and proto; an http.log line is
 * TCP), for the alerts' join keys; proto 0 when a part is missing. A bad
 * value here rejects nothing: the line was read for its bytes. */
static void
fill_tuple(const struct zeek_reader *z, enum zeek_kind kind,
    struct log_record *r)
{
	const struct zval *v = z->val;
	char proto[8] = "";
	uint64_t port;

	memset(&r->tuple, 0, sizeof(r->tuple));
	/* (fill_common parsed id.resp_h into r->server, or refused the line) */
	if (!zval_set(&v[ZF_RESP_H]) || !zval_set(&v[ZF_ORIG_P]) ||
	    zval_u64(&v[ZF_ORIG_P], &port, 65535) != 0)
		return;
	r->tuple.peer = r->server;
	r->tuple.host = r->client;
	r->tuple.host_port = (uint16_t)port;
	r->tuple.peer_port = r->port;
	zval_text(&v[ZF_PROTO], proto, sizeof(proto), true);
	if (kind == ZK_HTTP || strcmp(proto, "tcp") == 0)
		r->tuple.proto = 6;
	else if (strcmp(proto, "udp") == 0)
		r->tuple.proto = 17;
}

static enum log_reject
fill_conn(const struct zeek_reader *z, struct log_record *r)
{
	const struct zval *v = z->val;

	r->kind = LOGREC_ZEEK_CONN;
	r->has_bytes_up = zval_set(&v[ZF_ORIG_BYTES]);
	if (zval_u64(&v[ZF_ORIG_BYTES], &r->bytes_up, UINT64_MAX) != 0 ||
	    zval_u64(&v[ZF_RESP_BYTES], &r->bytes_down, UINT64_MAX) != 0)
		return LOGREJ_BAD_NUMBER;
	return LOGREJ_NONE;
}

/* The uri of a request sent to a proxy: "host:port" after CONNECT (Zeek
 * may log "host:port /"), or "scheme://[user@]host[:port]/...". */
static int
proxy_target(struct log_record *r, struct cursor u, bool connect)
{
	struct netaddr literal;
	size_t n = 0, at = (size_t)-1;
	uint16_t defport = 0;
	uint8_t ch;

	if (!connect) {
		if (cur_left(&u) >= 7 &&
		    strncasecmp((const char *)cur_rest(&u), "http://", 7) == 0) {
			cur_skip(&u, 7);
			defport = 80;
		} else if (cur_left(&u) >= 8 && strncasecmp(
		    (const char *)cur_rest(&u), "https://", 8) == 0) {
			cur_skip(&u, 8);
			defport = 443;
		} else {
			return 1; /* origin form: not to a proxy */
		}
	}
	for (n = 0; n < cur_left(&u); n++) {
		ch = cur_peek(&u, n);
		if (ch == ' ' || (!connect && (ch == '/' || ch == '?' || ch == '#')))
			break;
		if (ch == '@' && !connect)
			at = n;
	}
	if (at != (size_t)-1) {
		cur_skip(&u, at + 1);
		n -= at + 1;
	}
	r->host[0] = '\0';
	r->port = 0;
	if (log_record_set_authority(r, cur_sub(&u, n), &literal) != 0)
		return -1;
	if (r->port == 0)
		r->port = defport;
	r->server = literal; /* id.resp_h was the proxy */
	r->via_proxy = true;
	return 0;
}

static enum log_reject
fill_http(const struct zeek_reader *z, struct log_record *r)
{
	const struct zval *v = z->val;
	struct netaddr literal;
	struct log_record tmp;
	uint64_t status;
	int rc = 1;

	r->kind = LOGREC_ZEEK_HTTP;
	r->has_bytes_up = zval_set(&v[ZF_REQ_BODY_LEN]);
	if (zval_u64(&v[ZF_REQ_BODY_LEN], &r->bytes_up, UINT64_MAX) != 0 ||
	    zval_u64(&v[ZF_RESP_BODY_LEN], &r->bytes_down, UINT64_MAX) != 0)
		return LOGREJ_BAD_NUMBER;
	if (zval_u64(&v[ZF_STATUS_CODE], &status, 999) != 0)
		return LOGREJ_BAD_STATUS;
	r->status = (uint16_t)status;
	zval_text(&v[ZF_METHOD], r->method, sizeof(r->method), false);
	zval_text(&v[ZF_USERNAME], r->user, sizeof(r->user), false);
	zval_text(&v[ZF_ORIG_MIME_TYPES], r->mime, sizeof(r->mime), false);
	if (v[ZF_URI].type == ZV_TEXT) {
		rc = proxy_target(r, zval_cursor(&v[ZF_URI]),
		    strcmp(r->method, "CONNECT") == 0);
		if (rc < 0)
			return LOGREJ_BAD_URL;
	}
	/* The Host header names the destination (its port dropped: the
	 * port is the connection's, or the proxy target's). */
	if (v[ZF_HOST].type == ZV_TEXT && v[ZF_HOST].len > 0) {
		memset(&tmp, 0, sizeof(tmp));
		if (log_record_set_authority(&tmp, zval_cursor(&v[ZF_HOST]),
		    &literal) == 0 && tmp.host[0] != '\0')
			memcpy(r->host, tmp.host, sizeof(r->host));
	}
	return LOGREJ_NONE;
}

static enum log_reject
build_record(const struct zeek_reader *z, enum zeek_kind kind,
    struct log_record *r)
{
	enum log_reject why;

	if (kind != ZK_CONN && kind != ZK_HTTP)
		return LOGREJ_UNSUPPORTED_LOG;
	if ((why = fill_common(z, r)) != LOGREJ_NONE)
		return why;
	fill_tuple(z, kind, r);
	return kind == ZK_CONN ? fill_conn(z, r) : fill_http(z, r);
}

/* ---- the reader ---- */

struct zeek_reader *
zeek_reader_new(void)
{
	struct zeek_reader *z = xcalloc(1, sizeof(*z));

	reset_headers(z);
	return z;
}

void
zeek_reader_free(struct zeek_reader *z)
{
	free(z);
}

void
zeek_reader_reset(struct zeek_reader *z)
{
	reset_headers(z);
}

enum log_parse_result
zeek_reader_line(struct zeek_reader *z, const uint8_t *line, size_t len,
    struct log_record *out, enum log_reject *why)
{
	enum zeek_kind kind = ZK_OTHER;
	struct cursor c, lead;

	*why = LOGREJ_NONE;
	if (len > LOG_LINE_MAX) {
		*why = LOGREJ_LINE_TOO_LONG;
		return LOGPARSE_REJECT;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	cur_init(&c, line, len);
	lead = c;
	json_skip_ws(&lead);
	if (cur_left(&lead) == 0)
		return LOGPARSE_HEADER;
	if (cur_peek(&c, 0) == '#') {
		*why = header_line(z, c);
		return *why == LOGREJ_NONE ? LOGPARSE_HEADER : LOGPARSE_REJECT;
	}
	memset(z->val, 0, sizeof(z->val));
	z->scratch_used = 0;
	if (cur_peek(&lead, 0) == '{')
		*why = json_line(z, lead, &kind);
	else
		*why = tsv_line(z, c, &kind);
	if (*why != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	memset(out, 0, sizeof(*out));
	if ((*why = build_record(z, kind, out)) != LOGREJ_NONE)
		return LOGPARSE_REJECT;
	return LOGPARSE_RECORD;
}
