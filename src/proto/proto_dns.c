/*
 * proto_dns.c - DNS response reader (RFC 1035 4.1, RFC 3596): collects the
 * A/AAAA and CNAME records of the answer section, then reports each
 * address under its owner name and every name of the CNAME chain to it.
 */
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/proto/proto_dns.h"

#define DNS_HDR_LEN 12
#define DNS_WIRE_NAME_MAX 255	/* RFC 1035 2.3.4 */
#define DNS_MAX_JUMPS 32
#define DNS_MAX_ADDRS 32	/* more A/AAAA records are checked, not kept */
#define DNS_MAX_CNAMES 8	/* so CNAME chains are at most 8 long */

#define DNS_FLAG_QR 0x8000
#define DNS_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_RCODE(f) ((f) & 0xf)

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

/*
 * A name in presentation form, lowercased. usable is false for the root
 * name and for names with a byte outside [a-z0-9-_*] in a label (a '.'
 * inside a label included): those are never reported, nor matched in a
 * CNAME chain, so a record with such a name is skipped (DNS_OK still).
 */
struct dns_name {
	char s[DNS_NAME_MAX];
	bool usable;
};

struct dns_addr_rr {
	struct dns_name owner;
	struct netaddr addr;
	uint32_t ttl;
};

struct dns_cname_rr {
	struct dns_name owner;
	struct dns_name target;
	uint32_t ttl;
};

struct dns_answers {
	struct dns_addr_rr addr[DNS_MAX_ADDRS];
	struct dns_cname_rr cname[DNS_MAX_CNAMES];
	size_t naddr, ncname;
};

static bool
name_char_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_' || c == '*';
}

/*
 * Appends one label to out (as ".label" after the first), checking the
 * room left for it and the final NUL at the write. -1 when it would not
 * fit (name_read's wire limit keeps names shorter; this does not rely on
 * it).
 */
static int
name_append(struct dns_name *out, size_t *outlen, const uint8_t *label,
    uint8_t n)
{
	size_t need = (size_t)n + (*outlen > 0 ? 1 : 0);
	uint8_t c;
	size_t i;

	if (sizeof(out->s) - 1 - *outlen < need)
		return -1;
	if (*outlen > 0)
		out->s[(*outlen)++] = '.';
	for (i = 0; i < n; i++) {
		c = label[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (!name_char_ok(c))
			out->usable = false;
		out->s[(*outlen)++] = (char)c;
	}
	return 0;
}

/*
 * Reads a possibly compressed name (RFC 1035 4.1.4) at c, which moves past
 * the name's bytes in place (up to and including its first pointer).
 * A pointer must point before the start of the run of labels that holds
 * it, and the name it leads to is read within msg[0, that start): so the
 * runs move strictly backwards and cannot loop. Also at most
 * DNS_MAX_JUMPS pointers, labels of at most 63 bytes, at most 255 bytes
 * on the wire. 0 or -1.
 */
static int
name_read(const uint8_t *msg, size_t msglen, struct cursor *c,
    struct dns_name *out)
{
	struct cursor w = *c;
	size_t run_start = w.off, wire = 1, outlen = 0;
	unsigned jumps = 0;
	const uint8_t *label;
	uint16_t ptr;
	uint8_t b;
	bool jumped = false;

	out->usable = true;
	for (;;) {
		b = cur_u8(&w);
		if (w.err)
			return -1;
		if (b == 0)
			break;
		if ((b & 0xc0) == 0xc0) {
			ptr = (uint16_t)((b & 0x3f) << 8 | cur_u8(&w));
			if (w.err || ptr >= run_start ||
			    ++jumps > DNS_MAX_JUMPS)
				return -1;
			if (!jumped) {
				c->off = w.off;
				jumped = true;
			}
			cur_init(&w, msg,
			    run_start < msglen ? run_start : msglen);
			cur_skip(&w, ptr);
			run_start = ptr;
			continue;
		}
		if ((b & 0xc0) != 0)
			return -1;	/* 0x40, 0x80: extended, reserved */
		wire += 1 + (size_t)b;
		label = cur_ptr(&w, b);
		if (label == NULL || wire > DNS_WIRE_NAME_MAX ||
		    name_append(out, &outlen, label, b) != 0)
			return -1;
	}
	if (!jumped)
		c->off = w.off;
	out->s[outlen] = '\0';
	if (outlen == 0)
		out->usable = false;
	return 0;
}

/* RFC 2181 8: a TTL with the top bit set is taken as zero. */
static uint32_t
ttl_value(uint32_t raw)
{
	return raw > 0x7fffffffu ? 0 : raw;
}

/* One answer record; A, AAAA and CNAME of class IN are kept. 0 or -1. */
static int
answer_read(const uint8_t *msg, size_t len, struct cursor *c,
    struct dns_answers *ans)
{
	struct dns_name owner;
	struct cursor rd;
	const uint8_t *rdata;
	uint16_t type, klass, rdlen;
	uint32_t ttl;

	if (name_read(msg, len, c, &owner) != 0)
		return -1;
	type = cur_be16(c);
	klass = cur_be16(c);
	ttl = ttl_value(cur_be32(c));
	rdlen = cur_be16(c);
	if (!cur_need(c, rdlen))
		return -1;
	/* rd reads the RDATA in place, with offsets relative to msg. */
	rd = *c;
	cur_narrow(&rd, rdlen);
	cur_skip(c, rdlen);
	if (klass != DNS_CLASS_IN)
		return 0;
	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		rdata = cur_ptr(&rd, type == DNS_TYPE_A ? 4 : 16);
		if (rdata == NULL || cur_left(&rd) != 0)
			return -1;
		if (ans->naddr == DNS_MAX_ADDRS)
			return 0;
		ans->addr[ans->naddr].owner = owner;
		if (type == DNS_TYPE_A)
			netaddr_from_v4(&ans->addr[ans->naddr].addr, rdata);
		else
			netaddr_from_v6(&ans->addr[ans->naddr].addr, rdata);
		ans->addr[ans->naddr++].ttl = ttl;
	} else if (type == DNS_TYPE_CNAME) {
		struct dns_cname_rr *cn;

		if (ans->ncname == DNS_MAX_CNAMES) {
			struct dns_name skipped;

			if (name_read(msg, len, &rd, &skipped) != 0 ||
			    cur_left(&rd) != 0)
				return -1;
			return 0;
		}
		cn = &ans->cname[ans->ncname];
		if (name_read(msg, len, &rd, &cn->target) != 0 ||
		    cur_left(&rd) != 0)
			return -1;
		cn->owner = owner;
		cn->ttl = ttl;
		ans->ncname++;
	}
	return 0;
}

/* The unused CNAME record whose target is name, or -1. */
static int
cname_to(const struct dns_answers *ans, const struct dns_name *name,
    unsigned used)
{
	size_t i;

	if (!name->usable)
		return -1;
	for (i = 0; i < ans->ncname; i++)
		if (!(used & 1u << i) && ans->cname[i].target.usable &&
		    strcmp(ans->cname[i].target.s, name->s) == 0)
			return (int)i;
	return -1;
}

/*
 * Each address under its owner, then under each name of the CNAME chain
 * leading to the owner, walking back towards the question. Each CNAME is
 * used once per address (so loops end); the TTL reported is the smallest
 * along the chain so far.
 */
static void
answers_report(const struct dns_answers *ans, dns_answer_fn fn, void *ctx)
{
	const struct dns_name *name;
	unsigned used;
	uint32_t ttl;
	size_t i;
	int k;

	for (i = 0; i < ans->naddr; i++) {
		name = &ans->addr[i].owner;
		ttl = ans->addr[i].ttl;
		used = 0;
		if (name->usable)
			fn(ctx, name->s, &ans->addr[i].addr, ttl);
		while ((k = cname_to(ans, name, used)) >= 0) {
			used |= 1u << k;
			name = &ans->cname[k].owner;
			if (ans->cname[k].ttl < ttl)
				ttl = ans->cname[k].ttl;
			if (name->usable)
				fn(ctx, name->s, &ans->addr[i].addr, ttl);
		}
	}
}

/*
 * Only standard queries (opcode 0) with RCODE 0 carry answers we use;
 * other responses are DNS_OK with nothing reported. The whole question
 * and answer sections are checked before anything is reported, so a
 * malformed response reports nothing. Authority and additional sections
 * are not read.
 */
enum dns_result
dns_parse_response(const uint8_t *msg, size_t len, dns_answer_fn fn,
    void *ctx)
{
	struct dns_answers ans;
	struct dns_name qname;
	struct cursor c;
	uint16_t flags, qdcount, ancount, i;

	cur_init(&c, msg, len);
	cur_skip(&c, 2);		/* id */
	flags = cur_be16(&c);
	qdcount = cur_be16(&c);
	ancount = cur_be16(&c);
	cur_skip(&c, 4);		/* nscount, arcount */
	if (c.err)
		return DNS_MALFORMED;
	if (!(flags & DNS_FLAG_QR))
		return DNS_NOT_RESPONSE;
	if (DNS_OPCODE(flags) != 0 || DNS_RCODE(flags) != 0)
		return DNS_OK;
	for (i = 0; i < qdcount; i++) {
		if (name_read(msg, len, &c, &qname) != 0)
			return DNS_MALFORMED;
		cur_skip(&c, 4);	/* qtype, qclass */
		if (c.err)
			return DNS_MALFORMED;
	}
	ans.naddr = 0;
	ans.ncname = 0;
	for (i = 0; i < ancount; i++)
		if (answer_read(msg, len, &c, &ans) != 0)
			return DNS_MALFORMED;
	if (fn != NULL)
		answers_report(&ans, fn, ctx);
	return DNS_OK;
}
