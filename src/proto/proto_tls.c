/*
 * proto_tls.c - TLS ClientHello reader: gathers the first handshake message
 * from TLS records (RFC 8446 5.1, 4.1.2; RFC 5246 7.4.1.2) across TCP
 * segments and records, then reads server_name (RFC 6066 3).
 */
#include <stddef.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/proto/proto_tls.h"
#include "exfild/util/util.h"

#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPLICATION_DATA 23
#define TLS_RECORD_HDR 5u
#define TLS_HS_HDR 4u
#define TLS_HS_CLIENT_HELLO 1
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME 0

static char
ascii_lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/*
 * Checks the bytes present: at least type and version (3 bytes) are
 * needed; the length is checked when all 5 header bytes are there.
 */
bool
tls_looks_like_record(const uint8_t *data, size_t len)
{
	return tls_record_header_ok(data, len, 3,
	    TLS_CT_BIT(TLS_CT_HANDSHAKE) | TLS_CT_BIT(TLS_CT_APPLICATION_DATA));
}

void
tls_parser_init(struct tls_parser *p)
{
	/* p->buf is only ever read below p->have: no need to clear it */
	memset(p, 0, offsetof(struct tls_parser, buf));
}

/*
 * server_name extension_data: ServerNameList (RFC 6066 3). The whole list
 * is checked; the first host_name entry is the answer.
 */
static enum tls_result
server_name_parse(struct cursor *ext, char sni[TLS_SNI_MAX])
{
	struct cursor list;
	enum tls_result res = TLS_NO_SNI;
	const uint8_t *name;
	uint16_t list_len, name_len;
	uint8_t name_type;
	size_t i;

	list_len = cur_be16(ext);
	list = cur_sub(ext, list_len);
	if (ext->err || cur_left(ext) != 0)
		return TLS_MALFORMED;
	while (cur_left(&list) > 0) {
		name_type = cur_u8(&list);
		name_len = cur_be16(&list);
		name = cur_ptr(&list, name_len);
		if (list.err)
			return TLS_MALFORMED;
		if (name_type != TLS_SNI_HOST_NAME || res == TLS_SNI_FOUND)
			continue;
		if (name_len == 0 || name_len >= TLS_SNI_MAX ||
		    memchr(name, '\0', name_len) != NULL)
			return TLS_MALFORMED;
		if (sni != NULL) {
			for (i = 0; i < name_len; i++)
				sni[i] = ascii_lower(name[i]);
			sni[name_len] = '\0';
		}
		res = TLS_SNI_FOUND;
	}
	return res;
}

/*
 * The complete ClientHello in p->buf (handshake header included). Every
 * extension's framing is checked, not only server_name's; the first
 * server_name extension counts.
 */
static enum tls_result
client_hello_parse(const struct tls_parser *p, char sni[TLS_SNI_MAX])
{
	struct cursor c, exts, ext;
	enum tls_result res = TLS_NO_SNI;
	uint16_t ext_type, ext_len, exts_len, suites_len;
	uint8_t sid_len, comp_len;
	bool seen_sni = false;

	cur_init(&c, p->buf, p->have);
	cur_skip(&c, TLS_HS_HDR);
	cur_skip(&c, 2);		/* legacy_version */
	cur_skip(&c, 32);		/* random */
	sid_len = cur_u8(&c);
	if (sid_len > 32)
		return TLS_MALFORMED;
	cur_skip(&c, sid_len);
	suites_len = cur_be16(&c);
	if (suites_len % 2 != 0)
		return TLS_MALFORMED;
	cur_skip(&c, suites_len);
	comp_len = cur_u8(&c);
	if (comp_len == 0)
		return TLS_MALFORMED;
	cur_skip(&c, comp_len);
	if (c.err)
		return TLS_MALFORMED;
	if (cur_left(&c) == 0)
		return TLS_NO_SNI;	/* no extensions (TLS 1.2 and older) */
	exts_len = cur_be16(&c);
	exts = cur_sub(&c, exts_len);
	if (c.err || cur_left(&c) != 0)
		return TLS_MALFORMED;
	while (cur_left(&exts) > 0) {
		ext_type = cur_be16(&exts);
		ext_len = cur_be16(&exts);
		ext = cur_sub(&exts, ext_len);
		if (exts.err)
			return TLS_MALFORMED;
		if (ext_type != TLS_EXT_SERVER_NAME || seen_sni)
			continue;
		seen_sni = true;
		res = server_name_parse(&ext, sni);
		if (res == TLS_MALFORMED)
			return res;
	}
	return res;
}

static enum tls_result
finish(struct tls_parser *p, enum tls_result res)
{
	p->done = (uint8_t)res;
	return res;
}

/* The record header bytes so far: every ClientHello record is a
 * handshake record. */
static bool
record_header_ok(const struct tls_parser *p)
{
	return tls_record_header_ok(p->rec_hdr, p->rec_hdr_len, 0,
	    TLS_CT_BIT(TLS_CT_HANDSHAKE));
}

/* A record header is complete: check it and start its payload. */
static enum tls_result
record_start(struct tls_parser *p)
{
	struct cursor c;

	if (!record_header_ok(p))
		return p->have == 0 ? TLS_NOT_TLS : TLS_MALFORMED;
	cur_init(&c, p->rec_hdr + 3, 2);
	p->rec_left = cur_be16(&c);
	return TLS_NEED_MORE;
}

/*
 * One more record header byte. The first record must be a handshake
 * record, else the stream is not TLS; a later one must be a handshake
 * record too (the ClientHello continues), else the hello is malformed.
 */
static enum tls_result
record_header_byte(struct tls_parser *p, uint8_t b)
{
	enum tls_result bad = p->have == 0 ? TLS_NOT_TLS : TLS_MALFORMED;

	p->rec_hdr[p->rec_hdr_len++] = b;
	if (p->rec_hdr_len == TLS_RECORD_HDR)
		return record_start(p);
	return record_header_ok(p) ? TLS_NEED_MORE : bad;
}

/* Handshake message length once its header is in; 0 before. */
static size_t
hello_total(const struct tls_parser *p)
{
	struct cursor c;

	if (p->have < TLS_HS_HDR)
		return 0;
	cur_init(&c, p->buf + 1, 3);
	return TLS_HS_HDR + (size_t)cur_be24(&c);
}

/* Payload bytes of the current record into p->buf. */
static enum tls_result
record_payload(struct tls_parser *p, struct cursor *c, char sni[TLS_SNI_MAX])
{
	size_t need, take, total;
	const uint8_t *src;
	bool had_header = p->have >= TLS_HS_HDR;

	total = hello_total(p);
	need = total == 0 ? TLS_HS_HDR - p->have : total - p->have;
	take = cur_left(c);
	if (take > p->rec_left)
		take = p->rec_left;
	if (take > need)
		take = need;
	src = cur_ptr(c, take);
	memcpy(p->buf + p->have, src, take);
	p->have = (uint16_t)(p->have + take);
	p->rec_left = (uint16_t)(p->rec_left - take);
	if (p->rec_left == 0)
		p->rec_hdr_len = 0;
	if (!had_header && p->have == TLS_HS_HDR) {
		if (p->buf[0] != TLS_HS_CLIENT_HELLO)
			return TLS_MALFORMED;
		if (hello_total(p) > TLS_HELLO_MAX)
			return TLS_MALFORMED;
	}
	if (p->have >= TLS_HS_HDR && p->have == hello_total(p))
		return client_hello_parse(p, sni);
	return TLS_NEED_MORE;
}

enum tls_result
tls_parser_feed(struct tls_parser *p, const uint8_t *data, size_t len,
    char sni[TLS_SNI_MAX])
{
	struct cursor c;
	enum tls_result res = TLS_NEED_MORE;

	if (p->done != TLS_NEED_MORE) {
		/* Same answer again; the hello is still in buf for the name. */
		if (p->done == TLS_SNI_FOUND)
			(void)client_hello_parse(p, sni);
		return (enum tls_result)p->done;
	}
	cur_init(&c, data, len);
	while (res == TLS_NEED_MORE && cur_left(&c) > 0) {
		if (p->rec_hdr_len < TLS_RECORD_HDR)
			res = record_header_byte(p, cur_u8(&c));
		else
			res = record_payload(p, &c, sni);
	}
	if (res == TLS_NEED_MORE)
		return res;
	return finish(p, res);
}

size_t
tls_parser_saved_len(const struct tls_parser *p)
{
	size_t n = p->have <= TLS_HELLO_MAX ? p->have : TLS_HELLO_MAX;

	return offsetof(struct tls_parser, buf) + n;
}

bool
tls_parser_restore(struct tls_parser *p, const uint8_t *bytes, size_t len)
{
	struct tls_parser t;
	size_t head = offsetof(struct tls_parser, buf);

	if (len < head || len > sizeof(t))
		return false;
	memset(&t, 0, sizeof(t));
	memcpy(&t, bytes, len);
	if (t.have > TLS_HELLO_MAX || len != head + t.have ||
	    t.rec_hdr_len > sizeof(t.rec_hdr) || t.done > TLS_MALFORMED)
		return false;
	/* a hello being gathered: its header says a ClientHello that fits,
	 * not yet whole (record_payload copies up to its length) */
	if (t.done == TLS_NEED_MORE && t.have >= TLS_HS_HDR &&
	    (t.buf[0] != TLS_HS_CLIENT_HELLO || hello_total(&t) > TLS_HELLO_MAX ||
	    t.have >= hello_total(&t)))
		return false;
	*p = t;
	return true;
}
