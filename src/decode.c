/*
 * decode.c - one captured frame to a packet view: link layer (Ethernet with
 * 802.1Q/802.1ad tag stacks, Linux SLL/SLL2, raw IP, BSD loopback), IPv4
 * (RFC 791), IPv6 with extension headers (RFC 8200, jumbograms RFC 2675),
 * TCP (RFC 9293) and UDP (RFC 768). Every read goes through the cursor.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "exfild/cursor.h"
#include "exfild/decode.h"

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

static enum decode_result
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

static size_t
min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/*
 * Sets the captured payload: what the cursor still holds, bounded by the
 * length the headers give. The cursor is already narrowed to the IP length.
 */
static void
set_payload(struct packet *out, const struct cursor *c, uint32_t wire_len)
{
	out->l4_payload_wire = wire_len;
	out->payload_len = (uint32_t)min_size(cur_left(c), wire_len);
	out->payload = out->payload_len > 0 ? cur_rest(c) : NULL;
}

/*
 * A first fragment too short for the transport header (RFC 1858 tiny
 * fragments): the header goes on in the next fragment, so no L4 here.
 */
static enum decode_result
l4_in_next_fragment(const struct cursor *c, uint32_t l4_wire,
    struct packet *out)
{
	set_payload(out, c, l4_wire);
	return DECODE_OK;
}

/*
 * TCP header (RFC 9293 3.1); l4_wire is the segment length on the wire.
 * Options cut by the snap length or by a fragment boundary leave the
 * header fields valid and no payload.
 */
static enum decode_result
decode_tcp(struct cursor *c, uint32_t l4_wire, struct packet *out,
    struct decode_stats *st)
{
	uint16_t offset_flags;
	size_t hlen;

	if (out->is_fragment && l4_wire < TCP_HDR_MIN)
		return l4_in_next_fragment(c, l4_wire, out);
	if (l4_wire < TCP_HDR_MIN || cur_left(c) < TCP_HDR_MIN)
		return malformed(st, DEC_TCP_SHORT);
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	out->tcp_seq = cur_be32(c);
	out->tcp_ack = cur_be32(c);
	offset_flags = cur_be16(c);
	cur_skip(c, 6); /* window, checksum, urgent pointer */
	hlen = (size_t)(offset_flags >> 12) * 4;
	if (hlen < TCP_HDR_MIN || (hlen > l4_wire && !out->is_fragment))
		return malformed(st, DEC_TCP_HLEN);
	out->tcp_flags = (uint8_t)(offset_flags & 0xff);
	cur_skip(c, hlen - TCP_HDR_MIN);
	set_payload(out, c, hlen < l4_wire ? l4_wire - (uint32_t)hlen : 0);
	out->has_l4 = true;
	st->tcp++;
	return DECODE_OK;
}

/*
 * UDP header (RFC 768). The UDP length bounds the payload; a first fragment
 * carries only part of the datagram, and a jumbogram (RFC 2675 4) sets the
 * UDP length to 0.
 */
static enum decode_result
decode_udp(struct cursor *c, uint32_t l4_wire, struct packet *out,
    struct decode_stats *st)
{
	uint32_t udp_len;

	if (out->is_fragment && l4_wire < UDP_HDR_LEN)
		return l4_in_next_fragment(c, l4_wire, out);
	if (l4_wire < UDP_HDR_LEN || cur_left(c) < UDP_HDR_LEN)
		return malformed(st, DEC_UDP_SHORT);
	out->sport = cur_be16(c);
	out->dport = cur_be16(c);
	udp_len = cur_be16(c);
	cur_skip(c, 2); /* checksum */
	if (udp_len == 0 && l4_wire >= IP6_JUMBO_MIN)
		udp_len = l4_wire;
	if (udp_len < UDP_HDR_LEN || (!out->is_fragment && udp_len > l4_wire))
		return malformed(st, DEC_UDP_LEN);
	if (udp_len > l4_wire)
		udp_len = l4_wire;
	cur_narrow(c, udp_len - UDP_HDR_LEN);
	set_payload(out, c, udp_len - UDP_HDR_LEN);
	out->has_l4 = true;
	st->udp++;
	return DECODE_OK;
}

/*
 * Transport layer of a first fragment or whole packet. Other protocols keep
 * the IP payload as their payload, with has_l4 false.
 */
static enum decode_result
decode_l4(struct cursor *c, uint32_t l4_wire, struct packet *out,
    struct decode_stats *st)
{
	switch (out->proto) {
	case IPPROTO_TCP:
		return decode_tcp(c, l4_wire, out, st);
	case IPPROTO_UDP:
		return decode_udp(c, l4_wire, out, st);
	default:
		set_payload(out, c, l4_wire);
		st->other_l4++;
		return DECODE_OK;
	}
}

/*
 * IPv4 (RFC 791 3.1), checked in dependency order: captured length, version,
 * header length, total length. wire_ip is the frame's length on the wire
 * from the IP header on. On return the cursor is narrowed to the IP payload.
 */
static enum decode_result
decode_ip4(struct cursor *c, uint32_t wire_ip, struct packet *out,
    struct decode_stats *st)
{
	struct cursor h;
	uint8_t vihl;
	size_t hlen;
	uint32_t total_len;
	uint16_t frag;

	if (cur_left(c) < IP4_HDR_MIN)
		return malformed(st, DEC_IP4_SHORT);
	vihl = cur_peek(c, 0);
	if (vihl >> 4 != 4)
		return malformed(st, DEC_IP4_VERSION);
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > cur_left(c))
		return malformed(st, DEC_IP4_HLEN);
	h = cur_sub(c, hlen);
	cur_skip(&h, 2); /* version/IHL, TOS */
	total_len = cur_be16(&h);
	/* TSO/GRO super-packets are captured with a total length of 0. */
	if (total_len == 0)
		total_len = wire_ip;
	if (total_len < hlen || total_len > wire_ip)
		return malformed(st, DEC_IP4_TOTLEN);
	cur_skip(&h, 2); /* identification */
	frag = cur_be16(&h);
	cur_skip(&h, 1); /* TTL */
	out->proto = cur_u8(&h);
	cur_skip(&h, 2); /* checksum */
	netaddr_from_v4(&out->src, cur_ptr(&h, 4));
	netaddr_from_v4(&out->dst, cur_ptr(&h, 4));
	/* Options: not read. */
	cur_narrow(c, total_len - hlen);
	out->ip_version = 4;
	out->ip_bytes = total_len;
	st->ip4++;
	if ((frag & (IP4_FLAG_MF | IP4_FRAG_OFFSET)) != 0) {
		out->is_fragment = true;
		st->fragments++;
		if ((frag & IP4_FRAG_OFFSET) != 0) {
			set_payload(out, c, total_len - (uint32_t)hlen);
			return DECODE_OK;
		}
	}
	return decode_l4(c, total_len - (uint32_t)hlen, out, st);
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

/* IPv6 (RFC 8200 3): fixed header, payload length, extension headers. */
static enum decode_result
decode_ip6(struct cursor *c, uint32_t wire_ip, struct packet *out,
    struct decode_stats *st)
{
	struct cursor h;
	uint32_t payload_len;
	uint8_t nh;
	bool later_frag = false;
	enum decode_result r;

	if (cur_left(c) < IP6_HDR_LEN)
		return malformed(st, DEC_IP6_SHORT);
	if (cur_peek(c, 0) >> 4 != 6)
		return malformed(st, DEC_IP6_VERSION);
	h = cur_sub(c, IP6_HDR_LEN);
	cur_skip(&h, 4); /* version, traffic class, flow label */
	payload_len = cur_be16(&h);
	nh = cur_u8(&h);
	cur_skip(&h, 1); /* hop limit */
	netaddr_from_v6(&out->src, cur_ptr(&h, 16));
	netaddr_from_v6(&out->dst, cur_ptr(&h, 16));
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
	st->ip6++;
	r = ip6_walk_exthdrs(c, &nh, &payload_len, out, st, &later_frag);
	out->proto = nh;
	if (r != DECODE_OK)
		return r;
	if (later_frag) {
		set_payload(out, c, payload_len);
		return DECODE_OK;
	}
	return decode_l4(c, payload_len, out, st);
}

/* Raw IP links: the version nibble chooses unless the link type says. */
static enum decode_result
decode_ip(struct cursor *link, uint32_t wirelen, int version,
    struct packet *out, struct decode_stats *st)
{
	struct cursor c;
	uint32_t wire_ip = wirelen - (uint32_t)link->off;

	cur_init(&c, cur_rest(link), cur_left(link));
	if (version == 0) {
		if (cur_left(&c) == 0)
			return malformed(st, DEC_LINK_SHORT);
		version = cur_peek(&c, 0) >> 4;
		if (version != 4 && version != 6)
			return malformed(st, DEC_IP4_VERSION);
	}
	if (version == 4)
		return decode_ip4(&c, wire_ip, out, st);
	return decode_ip6(&c, wire_ip, out, st);
}

/* Ethertype after any stack of 802.1Q / 802.1ad / 0x9100 tags. */
static enum decode_result
decode_ethertype(struct cursor *c, uint16_t type, uint32_t wirelen,
    struct packet *out, struct decode_stats *st)
{
	unsigned tags = 0;

	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD ||
	    type == ETHERTYPE_QINQ_9100) {
		if (tags++ == VLAN_MAX_TAGS)
			return malformed(st, DEC_VLAN_DEPTH);
		if (cur_left(c) < VLAN_TAG_LEN)
			return malformed(st, DEC_VLAN_SHORT);
		cur_skip(c, 2); /* PCP, DEI, VLAN id */
		type = cur_be16(c);
	}
	if (type == ETHERTYPE_IPV4)
		return decode_ip(c, wirelen, 4, out, st);
	if (type == ETHERTYPE_IPV6)
		return decode_ip(c, wirelen, 6, out, st);
	return skip_non_ip(st);
}

/* IEEE 802.3: destination, source, ethertype (a length below 0x600: LLC). */
static enum decode_result
decode_ethernet(struct cursor *c, uint32_t wirelen, struct packet *out,
    struct decode_stats *st)
{
	if (cur_left(c) < ETH_HDR_LEN)
		return malformed(st, DEC_LINK_SHORT);
	cur_skip(c, 12);
	return decode_ethertype(c, cur_be16(c), wirelen, out, st);
}

/* Linux cooked capture v1: the protocol is the last field of 16 bytes. */
static enum decode_result
decode_sll(struct cursor *c, uint32_t wirelen, struct packet *out,
    struct decode_stats *st)
{
	if (cur_left(c) < SLL_HDR_LEN)
		return malformed(st, DEC_LINK_SHORT);
	cur_skip(c, 14);
	return decode_ethertype(c, cur_be16(c), wirelen, out, st);
}

/* Linux cooked capture v2: the protocol is the first field of 20 bytes. */
static enum decode_result
decode_sll2(struct cursor *c, uint32_t wirelen, struct packet *out,
    struct decode_stats *st)
{
	uint16_t proto;

	if (cur_left(c) < SLL2_HDR_LEN)
		return malformed(st, DEC_LINK_SHORT);
	proto = cur_be16(c);
	cur_skip(c, SLL2_HDR_LEN - 2);
	return decode_ethertype(c, proto, wirelen, out, st);
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
static enum decode_result
decode_loopback(struct cursor *c, bool network_order, uint32_t wirelen,
    struct packet *out, struct decode_stats *st)
{
	struct cursor peek = *c;
	int version;

	if (cur_left(c) < NULL_HDR_LEN)
		return malformed(st, DEC_LINK_SHORT);
	version = bsd_family_version(cur_be32(c));
	if (version == 0 && !network_order)
		version = bsd_family_version(cur_le32(&peek));
	if (version == 0)
		return skip_non_ip(st);
	return decode_ip(c, wirelen, version, out, st);
}

enum decode_result
decode_frame(int linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts_ns, struct packet *out,
    struct decode_stats *st)
{
	struct cursor c;

	st->frames++;
	memset(out, 0, sizeof(*out));
	out->ts_ns = ts_ns;
	/* A record claiming more captured than wire bytes: trust the less. */
	cur_init(&c, frame, caplen < wirelen ? caplen : wirelen);
	switch (linktype) {
	case LINK_EN10MB:
		return decode_ethernet(&c, wirelen, out, st);
	case LINK_LINUX_SLL:
		return decode_sll(&c, wirelen, out, st);
	case LINK_LINUX_SLL2:
		return decode_sll2(&c, wirelen, out, st);
	case LINK_RAW_DLT:
	case LINK_RAW_DLT_ALT:
	case LINK_RAW:
		return decode_ip(&c, wirelen, 0, out, st);
	case LINK_IPV4:
		return decode_ip(&c, wirelen, 4, out, st);
	case LINK_IPV6:
		return decode_ip(&c, wirelen, 6, out, st);
	case LINK_NULL:
		return decode_loopback(&c, false, wirelen, out, st);
	case LINK_LOOP:
		return decode_loopback(&c, true, wirelen, out, st);
	default:
		st->unsupported_link++;
		return DECODE_SKIP;
	}
}
