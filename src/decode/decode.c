/*
 * decode.c - one captured frame to a packet view: link layer (Ethernet with
 * 802.1Q/802.1ad tag stacks, Linux SLL/SLL2, raw IP, BSD loopback), IPv4
 * (RFC 791), IPv6 with extension headers (RFC 8200, jumbograms RFC 2675),
 * TCP (RFC 9293) and UDP (RFC 768). Every read goes through the cursor.
 */
#include <netinet/in.h>
#include <stddef.h>

#include "exfild/util/cursor.h"
#include "exfild/decode/decode.h"

/* LINKTYPE_* / DLT_* numbers (tcpdump.org link-layer header types). */
#define LINK_NULL        0
#define LINK_EN10MB      1
#define LINK_RAW_DLT     12  /* DLT_RAW on most platforms */
#define LINK_RAW_DLT_ALT 14  /* DLT_RAW on OpenBSD */
#define LINK_RAW         101 /* LINKTYPE_RAW as written in files */
#define LINK_LOOP        108
#define LINK_LINUX_SLL   113
#define LINK_IPV4        228
#define LINK_IPV6        229
#define LINK_LINUX_SLL2  276

#define ETH_HDR_LEN   14
#define SLL_HDR_LEN   16
#define SLL2_HDR_LEN  20
#define NULL_HDR_LEN  4
#define VLAN_TAG_LEN  4
#define VLAN_MAX_TAGS 8

#define ETHERTYPE_IPV4      0x0800
#define ETHERTYPE_IPV6      0x86dd
#define ETHERTYPE_8021Q     0x8100
#define ETHERTYPE_8021AD    0x88a8
#define ETHERTYPE_QINQ_9100 0x9100

/* BSD loopback address families: AF_INET everywhere, AF_INET6 per OS. */
#define BSD_AF_INET         2
#define BSD_AF_INET6_LINUX  10
#define BSD_AF_INET6_BSD    24 /* NetBSD, OpenBSD */
#define BSD_AF_INET6_FREE   28 /* FreeBSD */
#define BSD_AF_INET6_DARWIN 30 /* macOS */

#define IP4_HDR_MIN      20
#define IP4_VIHL_PLAIN   0x45 /* version 4, 5 words: no options */
#define IP4_FLAG_MF      0x2000
#define IP4_FRAG_OFFSET  0x1fff
#define IP6_HDR_LEN      40
#define IP6_MAX_EXTHDRS  16
#define IP6_FRAG_HDR_LEN 8
#define IP6_OPT_PAD1     0x00
#define IP6_OPT_JUMBO    0xc2
#define IP6_JUMBO_MIN    65536u
#define TCP_HDR_MIN      20
#define UDP_HDR_LEN      8

/* IPv6 next-header values that are extension headers (RFC 8200 4, 7045). */
#define IP6_NH_HOPOPTS  0
#define IP6_NH_ROUTING  43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH       51
#define IP6_NH_DSTOPTS  60
#define IP6_NH_MOBILITY 135
#define IP6_NH_HIP      139
#define IP6_NH_SHIM6    140

static const char *const reason_names[DEC_REASON_COUNT] = {
	[DEC_OK] = "ok",
	[DEC_LINK_SHORT] = "link_short",
	[DEC_VLAN_SHORT] = "vlan_short",
	[DEC_VLAN_DEPTH] = "vlan_depth",
	[DEC_IP4_SHORT] = "ip4_short",
	[DEC_IP4_VERSION] = "ip4_version",
	[DEC_IP4_HLEN] = "ip4_hlen",
	[DEC_IP4_TOTLEN] = "ip4_totlen",
	[DEC_IP6_SHORT] = "ip6_short",
	[DEC_IP6_VERSION] = "ip6_version",
	[DEC_IP6_PLEN] = "ip6_plen",
	[DEC_IP6_EXTHDR] = "ip6_exthdr",
	[DEC_TCP_SHORT] = "tcp_short",
	[DEC_TCP_HLEN] = "tcp_hlen",
	[DEC_UDP_SHORT] = "udp_short",
	[DEC_UDP_LEN] = "udp_len",
};

const char *
decode_reason_name(enum decode_reason r)
{
	if ((unsigned)r >= DEC_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

/*
 * Error paths are cold: out of line, they keep the hot path short. Every
 * rejection is counted by reason.
 */
__attribute__((cold, noinline)) static enum decode_result
malformed(struct decode_stats *st, enum decode_reason r)
{
	st->malformed++;
	st->reason[r]++;
	return DECODE_MALFORMED;
}

static enum decode_result
skip_non_ip(struct decode_stats *st)
{
	st->non_ip++;
	return DECODE_SKIP;
}

/*
 * Big-endian fields of a fixed header: h comes from cur_ptr() for the whole
 * header and off + 2 (or 4) lies within it, so the cursor checked the bounds
 * once for all of the header's fields.
 */
static inline uint16_t
hdr_be16(const uint8_t *h, size_t off)
{
	return (uint16_t)((uint16_t)h[off] << 8 | h[off + 1]);
}

static inline uint32_t
hdr_be32(const uint8_t *h, size_t off)
{
	return (uint32_t)h[off] << 24 | (uint32_t)h[off + 1] << 16 |
	    (uint32_t)h[off + 2] << 8 | h[off + 3];
}

/* What the network layer hands on, once its headers are checked. */
struct ip_view {
	const uint8_t *addrs; /* source then destination, inside the header */
	uint32_t l4_wire;     /* transport bytes on the wire */
	bool l4_header;       /* they start with the transport header: false
	                         for a fragment other than the first */
	bool fragment;        /* any fragment: the transport header may be cut */
};

/*
 * Sets the captured payload: what the cursor still holds, bounded by the
 * length the headers give. The cursor is already narrowed to the IP length.
 */
static inline void
set_payload(struct packet *out, struct cursor *c, uint32_t wire_len)
{
	size_t left = cur_left(c);

	out->l4_payload_wire = wire_len;
	out->payload_len = left < wire_len ? (uint32_t)left : wire_len;
	out->payload = out->payload_len > 0 ? cur_ptr(c, out->payload_len) :
	    NULL;
}

/* Not a fragment (the walk of IPv6 extension headers may change that). */
static inline void
clear_fragment_fields(struct packet *out)
{
	out->is_fragment = false;
	out->frag_first = false;
	out->frag_id = 0;
}

/* TCP fields are zero unless a TCP header was read. */
static inline void
clear_tcp_fields(struct packet *out)
{
	out->tcp_flags = 0;
	out->tcp_seq = 0;
	out->tcp_ack = 0;
}

/* No transport header here: the IP payload (or fragment data) as payload. */
static inline enum decode_result
no_transport_header(struct packet *out, struct cursor *c,
    uint32_t l4_wire)
{
	out->has_l4 = false;
	out->sport = 0;
	out->dport = 0;
	clear_tcp_fields(out);
	set_payload(out, c, l4_wire);
	return DECODE_OK;
}

/*
 * TCP header (RFC 9293 3.1); l4_wire is the segment length on the wire.
 * A first fragment too short for the header (RFC 1858 tiny fragments) has
 * it in the next fragment: no L4 here. Options cut by the snap length or by
 * a fragment boundary leave the header fields valid and no payload.
 */
__attribute__((always_inline)) static inline enum decode_result
decode_tcp(struct cursor *c, uint32_t l4_wire, bool fragment,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *h;
	uint32_t hlen;

	if (fragment && l4_wire < TCP_HDR_MIN)
		return no_transport_header(out, c, l4_wire);
	if (l4_wire < TCP_HDR_MIN || (h = cur_ptr(c, TCP_HDR_MIN)) == NULL)
		return malformed(st, DEC_TCP_SHORT);
	hlen = (uint32_t)(h[12] & 0xf0) >> 2; /* data offset: 32-bit words */
	if (hlen < TCP_HDR_MIN || (hlen > l4_wire && !fragment))
		return malformed(st, DEC_TCP_HLEN);
	out->has_l4 = true;
	out->sport = hdr_be16(h, 0);
	out->dport = hdr_be16(h, 2);
	out->tcp_seq = hdr_be32(h, 4);
	out->tcp_ack = hdr_be32(h, 8);
	out->tcp_flags = h[13];
	/* Window, checksum, urgent pointer (h + 14): not read. */
	cur_skip(c, hlen - TCP_HDR_MIN); /* options */
	set_payload(out, c, hlen < l4_wire ? l4_wire - hlen : 0);
	st->tcp++;
	return DECODE_OK;
}

/*
 * UDP header (RFC 768). The UDP length bounds the payload; a first fragment
 * carries only part of the datagram, and a jumbogram (RFC 2675 4) sets the
 * UDP length to 0.
 */
__attribute__((always_inline)) static inline enum decode_result
decode_udp(struct cursor *c, uint32_t l4_wire, bool fragment,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *h;
	uint32_t udp_len;

	if (fragment && l4_wire < UDP_HDR_LEN)
		return no_transport_header(out, c, l4_wire);
	if (l4_wire < UDP_HDR_LEN || (h = cur_ptr(c, UDP_HDR_LEN)) == NULL)
		return malformed(st, DEC_UDP_SHORT);
	udp_len = hdr_be16(h, 4);
	if (udp_len == 0 && l4_wire >= IP6_JUMBO_MIN)
		udp_len = l4_wire;
	if (udp_len < UDP_HDR_LEN || (!fragment && udp_len > l4_wire))
		return malformed(st, DEC_UDP_LEN);
	if (udp_len > l4_wire)
		udp_len = l4_wire;
	out->has_l4 = true;
	out->sport = hdr_be16(h, 0);
	out->dport = hdr_be16(h, 2);
	clear_tcp_fields(out);
	/* Checksum (h + 6): not read. */
	cur_narrow(c, udp_len - UDP_HDR_LEN);
	set_payload(out, c, udp_len - UDP_HDR_LEN);
	st->udp++;
	return DECODE_OK;
}

/*
 * Transport layer. A fragment other than the first holds data only. Other
 * protocols keep the IP payload as their payload, with has_l4 false.
 * Inlined into both IP paths, so the cursor stays in registers.
 */
__attribute__((always_inline)) static inline enum decode_result
decode_l4(struct cursor *c, const struct ip_view *ip, struct packet *out,
    struct decode_stats *st)
{
	if (!ip->l4_header)
		return no_transport_header(out, c, ip->l4_wire);
	switch (out->proto) {
	case IPPROTO_TCP:
		return decode_tcp(c, ip->l4_wire, ip->fragment, out, st);
	case IPPROTO_UDP:
		return decode_udp(c, ip->l4_wire, ip->fragment, out, st);
	default:
		st->other_l4++;
		return no_transport_header(out, c, ip->l4_wire);
	}
}

/*
 * IPv4 (RFC 791 3.1), checked in dependency order: captured length, version,
 * header length, total length. wire_ip is the packet's length on the wire
 * as far as the frame goes. On DECODE_OK the cursor is narrowed to the IP
 * payload and *ip describes it.
 */
static inline enum decode_result
decode_ip4(struct cursor *c, uint32_t wire_ip, struct ip_view *ip,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *h;
	uint32_t hlen, total_len;
	uint16_t frag;

	if ((h = cur_ptr(c, IP4_HDR_MIN)) == NULL)
		return malformed(st, DEC_IP4_SHORT);
	/* Version 4 without options, the usual header, passes both at once. */
	hlen = IP4_HDR_MIN;
	if (__builtin_expect(h[0] != IP4_VIHL_PLAIN, 0)) {
		if (h[0] >> 4 != 4)
			return malformed(st, DEC_IP4_VERSION);
		hlen = (uint32_t)(h[0] & 0x0f) * 4;
		if (hlen < IP4_HDR_MIN || hlen - IP4_HDR_MIN > cur_left(c))
			return malformed(st, DEC_IP4_HLEN);
		cur_skip(c, hlen - IP4_HDR_MIN); /* options: not read */
	}
	total_len = hdr_be16(h, 2);
	if (total_len == 0) /* TSO/GRO super-packets: the frame's length */
		total_len = wire_ip;
	/* hlen <= total_len <= wire_ip in one compare (hlen <= wire_ip, as
	   the header was captured) */
	if (total_len - hlen > wire_ip - hlen)
		return malformed(st, DEC_IP4_TOTLEN);
	/* TOS (h + 1), TTL (h + 8), checksum (h + 10): not read. */
	frag = hdr_be16(h, 6);
	cur_narrow(c, total_len - hlen);
	out->ip_version = 4;
	out->proto = h[9];
	out->ip_bytes = total_len;
	clear_fragment_fields(out);
	st->ip4++;
	ip->addrs = h + 12;
	ip->l4_wire = total_len - hlen;
	ip->l4_header = true;
	ip->fragment = false;
	if ((frag & (IP4_FLAG_MF | IP4_FRAG_OFFSET)) != 0) {
		out->is_fragment = true;
		out->frag_first = (frag & IP4_FRAG_OFFSET) == 0;
		out->frag_id = hdr_be16(h, 4);
		st->fragments++;
		ip->fragment = true;
		ip->l4_header = out->frag_first;
	}
	return DECODE_OK;
}

/*
 * RFC 2675: with a payload length of 0 and a Hop-by-Hop header first, the
 * Jumbo Payload option gives the length. Returns 0 when there is none.
 */
static uint32_t
ip6_jumbo_len(struct cursor hbh)
{
	struct cursor opts;
	uint8_t type, len;
	uint32_t jumbo = 0;

	cur_skip(&hbh, 1); /* next header */
	len = cur_u8(&hbh);
	opts = cur_sub(&hbh, (size_t)len * 8 + 6);
	while (!opts.err && cur_left(&opts) > 0) {
		type = cur_u8(&opts);
		if (type == IP6_OPT_PAD1)
			continue;
		len = cur_u8(&opts);
		if (type == IP6_OPT_JUMBO && len == 4) {
			jumbo = cur_be32(&opts);
			break;
		}
		cur_skip(&opts, len);
	}
	return opts.err ? 0 : jumbo;
}

/* ESP (50) and No Next Header (59) end the walk like an upper layer. */
static bool
ip6_is_exthdr(uint8_t nh)
{
	switch (nh) {
	case IP6_NH_HOPOPTS:
	case IP6_NH_ROUTING:
	case IP6_NH_FRAGMENT:
	case IP6_NH_AH:
	case IP6_NH_DSTOPTS:
	case IP6_NH_MOBILITY:
	case IP6_NH_HIP:
	case IP6_NH_SHIM6:
		return true;
	default:
		return false;
	}
}

/*
 * Walks the extension header chain (RFC 8200 4) within the payload. On
 * success *nh is the upper-layer protocol and *left its length on the wire.
 * A Fragment header with a non-zero offset stops the walk (*later_frag).
 */
static enum decode_result
ip6_walk_exthdrs(struct cursor *c, uint8_t *nh, uint32_t *left,
    struct packet *out, struct decode_stats *st, bool *later_frag)
{
	struct cursor ext;
	uint16_t frag;
	size_t len;
	unsigned n;

	for (n = 0; ip6_is_exthdr(*nh); n++) {
		if (n == IP6_MAX_EXTHDRS || cur_left(c) < 2)
			return malformed(st, DEC_IP6_EXTHDR);
		if (*nh == IP6_NH_FRAGMENT)
			len = IP6_FRAG_HDR_LEN;
		else if (*nh == IP6_NH_AH) /* RFC 4302 2.2: 4-octet units */
			len = ((size_t)cur_peek(c, 1) + 2) * 4;
		else
			len = ((size_t)cur_peek(c, 1) + 1) * 8;
		if (len > *left || len > cur_left(c))
			return malformed(st, DEC_IP6_EXTHDR);
		ext = cur_sub(c, len);
		*left -= (uint32_t)len;
		if (*nh == IP6_NH_FRAGMENT) {
			*nh = cur_u8(&ext);
			cur_skip(&ext, 1);
			frag = cur_be16(&ext);
			/* Offset (13 bits) and M flag; an atomic fragment is whole. */
			if ((frag & 0xfff9) != 0) {
				if (!out->is_fragment)
					st->fragments++;
				out->is_fragment = true;
				out->frag_first = (frag >> 3) == 0;
				out->frag_id = cur_be32(&ext);
			}
			if ((frag >> 3) != 0) {
				*later_frag = true;
				return DECODE_OK;
			}
		} else {
			*nh = cur_u8(&ext);
		}
	}
	return DECODE_OK;
}

/*
 * IPv6 (RFC 8200 3): fixed header, payload length, extension headers. On
 * DECODE_OK as for decode_ip4(), the extension headers not counted in
 * ip->l4_wire.
 */
static inline enum decode_result
decode_ip6(struct cursor *c, uint32_t wire_ip, struct ip_view *ip,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *h;
	uint32_t payload_len;
	uint8_t nh;
	bool later_frag = false;
	enum decode_result r;

	if ((h = cur_ptr(c, IP6_HDR_LEN)) == NULL)
		return malformed(st, DEC_IP6_SHORT);
	if (h[0] >> 4 != 6)
		return malformed(st, DEC_IP6_VERSION);
	/* Traffic class, flow label (h + 0), hop limit (h + 7): not read. */
	payload_len = hdr_be16(h, 4);
	nh = h[6];
	if (payload_len == 0 && nh == IP6_NH_HOPOPTS &&
	    (payload_len = ip6_jumbo_len(*c)) != 0) {
		if (payload_len < IP6_JUMBO_MIN)
			return malformed(st, DEC_IP6_PLEN);
	} else if (payload_len == 0) {
		/* BIG TCP / GSO captures: the length is the frame's. */
		payload_len = wire_ip - IP6_HDR_LEN;
	}
	if (payload_len > wire_ip - IP6_HDR_LEN)
		return malformed(st, DEC_IP6_PLEN);
	cur_narrow(c, payload_len);
	out->ip_version = 6;
	out->ip_bytes = IP6_HDR_LEN + payload_len;
	clear_fragment_fields(out);
	st->ip6++;
	r = ip6_walk_exthdrs(c, &nh, &payload_len, out, st, &later_frag);
	out->proto = nh;
	ip->addrs = h + 8;
	ip->l4_wire = payload_len;
	ip->l4_header = !later_frag;
	ip->fragment = out->is_fragment;
	return r;
}

/*
 * An IPv4 packet: ip points to its caplen captured bytes (NULL if none),
 * wire_ip is its length on the wire as far as the frame goes. Out of line,
 * as is the IPv6 one, so the link layer ends in a tail call and each path
 * has the registers to itself. The addresses are copied last: nothing
 * needs them before, and a rejected packet does not pay for them.
 */
__attribute__((noinline)) static enum decode_result
decode_ip4_packet(const uint8_t *ip, size_t caplen, uint32_t wire_ip,
    struct packet *out, struct decode_stats *st)
{
	struct cursor c;
	struct ip_view v = { NULL, 0, false, false };
	enum decode_result r;

	cur_init(&c, ip, caplen);
	if ((r = decode_ip4(&c, wire_ip, &v, out, st)) != DECODE_OK ||
	    (r = decode_l4(&c, &v, out, st)) != DECODE_OK)
		return r;
	netaddr_from_v4(&out->src, v.addrs);
	netaddr_from_v4(&out->dst, v.addrs + 4);
	return DECODE_OK;
}

/* An IPv6 packet, as decode_ip4_packet(). */
__attribute__((noinline)) static enum decode_result
decode_ip6_packet(const uint8_t *ip, size_t caplen, uint32_t wire_ip,
    struct packet *out, struct decode_stats *st)
{
	struct cursor c;
	struct ip_view v = { NULL, 0, false, false };
	enum decode_result r;

	cur_init(&c, ip, caplen);
	if ((r = decode_ip6(&c, wire_ip, &v, out, st)) != DECODE_OK ||
	    (r = decode_l4(&c, &v, out, st)) != DECODE_OK)
		return r;
	netaddr_from_v6(&out->src, v.addrs);
	netaddr_from_v6(&out->dst, v.addrs + 16);
	return DECODE_OK;
}

/*
 * The IP packet after the link header; version 0 (raw IP links) reads it
 * from the version nibble. The wire length left from here bounds the IP
 * length.
 */
static inline enum decode_result
decode_ip(struct cursor *link, uint32_t wirelen, int version,
    struct packet *out, struct decode_stats *st)
{
	uint32_t wire_ip = wirelen - (uint32_t)link->off;
	size_t caplen = cur_left(link);
	const uint8_t *ip;

	if (version == 0) {
		if (caplen == 0)
			return malformed(st, DEC_LINK_SHORT);
		version = cur_peek(link, 0) >> 4;
		if (version != 4 && version != 6)
			return malformed(st, DEC_IP4_VERSION);
	}
	ip = caplen > 0 ? cur_ptr(link, caplen) : NULL; /* the rest */
	if (version == 4)
		return decode_ip4_packet(ip, caplen, wire_ip, out, st);
	return decode_ip6_packet(ip, caplen, wire_ip, out, st);
}

/* Ethertype after any stack of 802.1Q / 802.1ad / 0x9100 tags. */
static inline enum decode_result
decode_ethertype(struct cursor *c, uint16_t type, uint32_t wirelen,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *tag;
	unsigned tags;

	for (tags = 0;; tags++) {
		if (type == ETHERTYPE_IPV4)
			return decode_ip(c, wirelen, 4, out, st);
		if (type == ETHERTYPE_IPV6)
			return decode_ip(c, wirelen, 6, out, st);
		if (type != ETHERTYPE_8021Q && type != ETHERTYPE_8021AD &&
		    type != ETHERTYPE_QINQ_9100)
			return skip_non_ip(st);
		if (tags == VLAN_MAX_TAGS)
			return malformed(st, DEC_VLAN_DEPTH);
		/* PCP, DEI, VLAN id, then the next ethertype. */
		if ((tag = cur_ptr(c, VLAN_TAG_LEN)) == NULL)
			return malformed(st, DEC_VLAN_SHORT);
		type = hdr_be16(tag, 2);
	}
}

static int
bsd_family_version(uint32_t af)
{
	switch (af) {
	case BSD_AF_INET:
		return 4;
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREE:
	case BSD_AF_INET6_DARWIN:
		return 6;
	default:
		return 0;
	}
}

/*
 * BSD loopback: a 4-byte address family, in the writer's byte order for
 * DLT_NULL (either is accepted) and in network order for DLT_LOOP.
 */
static inline enum decode_result
decode_loopback(struct cursor *c, bool network_order, uint32_t wirelen,
    struct packet *out, struct decode_stats *st)
{
	const uint8_t *h;
	int version;

	if ((h = cur_ptr(c, NULL_HDR_LEN)) == NULL)
		return malformed(st, DEC_LINK_SHORT);
	version = bsd_family_version(hdr_be32(h, 0));
	if (version == 0 && !network_order) /* a little-endian writer */
		version = bsd_family_version((uint32_t)h[3] << 24 |
		    (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0]);
	if (version == 0)
		return skip_non_ip(st);
	return decode_ip(c, wirelen, version, out, st);
}

/*
 * Every field of *out is set on DECODE_OK (ports, TCP fields and has_l4 are
 * zero unless a transport header was read); on other results the fields
 * are unspecified.
 */
enum decode_result
decode_frame(int linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts_ns, struct packet *out,
    struct decode_stats *st)
{
	struct cursor c;
	const uint8_t *h;
	size_t hdr_len, type_off;

	st->frames++;
	out->ts_ns = ts_ns;
	out->frame = frame;
	out->caplen = caplen;
	out->wirelen = wirelen;
	out->linktype = linktype;
	/* A record claiming more captured than wire bytes: trust the less. */
	cur_init(&c, frame, caplen < wirelen ? caplen : wirelen);
	if (linktype == LINK_EN10MB) { /* the usual link first */
		/* IEEE 802.3: destination, source, ethertype (< 0x600: LLC). */
		if ((h = cur_ptr(&c, ETH_HDR_LEN)) == NULL)
			return malformed(st, DEC_LINK_SHORT);
		if (hdr_be16(h, 12) == ETHERTYPE_IPV4) /* untagged: the most */
			return decode_ip(&c, wirelen, 4, out, st);
		return decode_ethertype(&c, hdr_be16(h, 12), wirelen, out, st);
	}
	switch (linktype) {
	case LINK_LINUX_SLL: /* Linux cooked v1: the protocol last */
		hdr_len = SLL_HDR_LEN;
		type_off = 14;
		break;
	case LINK_LINUX_SLL2: /* Linux cooked v2: the protocol first */
		hdr_len = SLL2_HDR_LEN;
		type_off = 0;
		break;
	case LINK_RAW_DLT:
	case LINK_RAW_DLT_ALT:
	case LINK_RAW:
		return decode_ip(&c, wirelen, 0, out, st);
	case LINK_IPV4:
		return decode_ip(&c, wirelen, 4, out, st);
	case LINK_IPV6:
		return decode_ip(&c, wirelen, 6, out, st);
	case LINK_NULL:
	case LINK_LOOP:
		return decode_loopback(&c, linktype == LINK_LOOP, wirelen,
		    out, st);
	default:
		st->unsupported_link++;
		return DECODE_SKIP;
	}
	if ((h = cur_ptr(&c, hdr_len)) == NULL)
		return malformed(st, DEC_LINK_SHORT);
	return decode_ethertype(&c, hdr_be16(h, type_off), wirelen, out, st);
}
