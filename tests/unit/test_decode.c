/*
 * test_decode.c - decode_frame on hand-built frames: every link type, IPv4,
 * IPv6 extension headers and jumbograms, TCP/UDP, snap lengths, padding,
 * each malformed reason, and truncation at every byte offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/decode/decode.h"
#include "exfild/util/netaddr.h"

#define L_NULL    0
#define L_EN10MB  1
#define L_RAW     12
#define L_RAW14   14
#define L_RAW101  101
#define L_LOOP    108
#define L_SLL     113
#define L_IPV4    228
#define L_IPV6    229
#define L_SLL2    276

#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP 1

/* Frame under construction; lengths are patched in by the builders. */
struct frame {
	uint8_t b[4096];
	size_t len;
	size_t ip_off;  /* where the IP header starts */
	size_t l4_off;  /* where the TCP/UDP header starts */
};

static void
put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void
putn(struct frame *f, uint8_t v, size_t n)
{
	while (n-- > 0)
		put8(f, v);
}

static void
set16(struct frame *f, size_t off, uint16_t v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static void
set32(struct frame *f, size_t off, uint32_t v)
{
	set16(f, off, (uint16_t)(v >> 16));
	set16(f, off + 2, (uint16_t)v);
}

/* Ethernet header with ntags tags (TPIDs given), then ethertype. */
static void
put_eth(struct frame *f, const uint16_t *tpids, size_t ntags, uint16_t type)
{
	size_t i;

	putn(f, 0x02, 6);
	putn(f, 0x04, 6);
	for (i = 0; i < ntags; i++) {
		put16(f, tpids[i]);
		put16(f, (uint16_t)(100 + i));
	}
	put16(f, type);
}

static void
put_sll(struct frame *f, uint16_t proto)
{
	put16(f, 0);      /* packet type: to us */
	put16(f, 1);      /* ARPHRD_ETHER */
	put16(f, 6);
	putn(f, 0x02, 8);
	put16(f, proto);
}

static void
put_sll2(struct frame *f, uint16_t proto)
{
	put16(f, proto);
	put16(f, 0);
	put32(f, 3);      /* ifindex */
	put16(f, 1);
	put8(f, 4);       /* outgoing */
	put8(f, 6);
	putn(f, 0x02, 8);
}

/* IPv4 header; total length patched by finish_ip4(). */
static void
put_ip4(struct frame *f, uint8_t proto, uint16_t frag)
{
	f->ip_off = f->len;
	put8(f, 0x45);
	put8(f, 0);
	put16(f, 0);
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a000001); /* 10.0.0.1 */
	put32(f, 0xc0000207); /* 192.0.2.7 */
}

/* IPv6 header; payload length patched by finish_ip6(). */
static void
put_ip6(struct frame *f, uint8_t nh)
{
	f->ip_off = f->len;
	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	put32(f, 0x20010db8);
	put32(f, 0);
	put32(f, 0);
	put32(f, 1);          /* 2001:db8::1 */
	put32(f, 0x20010db8);
	put32(f, 0);
	put32(f, 0);
	put32(f, 2);          /* 2001:db8::2 */
}

static void
put_tcp(struct frame *f, uint8_t flags)
{
	f->l4_off = f->len;
	put16(f, 49152);
	put16(f, 80);
	put32(f, 1000);
	put32(f, 2000);
	put16(f, (uint16_t)(5 << 12 | flags));
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
}

/* UDP header; length patched by finish_udp(). */
static void
put_udp(struct frame *f)
{
	f->l4_off = f->len;
	put16(f, 5353);
	put16(f, 53);
	put16(f, 0);
	put16(f, 0);
}

static void
put_payload(struct frame *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(f, (uint8_t)('a' + i % 26));
}

static void
finish_ip4(struct frame *f)
{
	set16(f, f->ip_off + 2, (uint16_t)(f->len - f->ip_off));
}

static void
finish_ip6(struct frame *f)
{
	set16(f, f->ip_off + 4, (uint16_t)(f->len - f->ip_off - 40));
}

static void
finish_udp(struct frame *f)
{
	set16(f, f->l4_off + 4, (uint16_t)(f->len - f->l4_off));
}

/* Link header for linktype and IP version; ethertype-style links. */
static void
put_link(struct frame *f, int link, int ipv)
{
	uint16_t type = ipv == 4 ? 0x0800 : 0x86dd;
	static const uint16_t one_tag[] = { 0x8100 };

	memset(f, 0, sizeof(*f));
	switch (link) {
	case L_EN10MB:
		put_eth(f, NULL, 0, type);
		break;
	case -1: /* Ethernet with one 802.1Q tag */
		put_eth(f, one_tag, 1, type);
		break;
	case L_SLL:
		put_sll(f, type);
		break;
	case L_SLL2:
		put_sll2(f, type);
		break;
	case L_NULL: /* little-endian writer */
		put32(f, ipv == 4 ? 0x02000000 : 0x1e000000);
		break;
	case L_LOOP:
		put32(f, ipv == 4 ? 2 : 24);
		break;
	default: /* raw links */
		break;
	}
}

/* TCP (or UDP) over IPv4 or IPv6 with n payload bytes over link. */
static void
build(struct frame *f, int link, int ipv, uint8_t proto, size_t n)
{
	put_link(f, link, ipv);
	if (ipv == 4)
		put_ip4(f, proto, 0x4000);
	else
		put_ip6(f, proto);
	if (proto == PROTO_TCP)
		put_tcp(f, 0x18);
	else if (proto == PROTO_UDP)
		put_udp(f);
	put_payload(f, n);
	if (proto == PROTO_UDP)
		finish_udp(f);
	if (ipv == 4)
		finish_ip4(f);
	else
		finish_ip6(f);
}

static enum decode_result
decode_whole(int link, const struct frame *f, struct packet *p,
    struct decode_stats *st)
{
	return decode_frame(link, f->b, (uint32_t)f->len, (uint32_t)f->len,
	    7, p, st);
}

static void
assert_addr(const struct netaddr *a, const char *want)
{
	char buf[NETADDR_STRLEN];

	netaddr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Exactly one malformed reason counted, and it is want. */
static void
assert_only_reason(const struct decode_stats *st, enum decode_reason want)
{
	int r;

	assert_int_equal(st->malformed, 1);
	for (r = 0; r < DEC_REASON_COUNT; r++)
		assert_int_equal(st->reason[r], r == (int)want ? 1 : 0);
}

static void
test_eth_ip4_tcp(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 100);
	assert_int_equal(f.len, 154);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ts_ns, 7);
	assert_addr(&p.src, "10.0.0.1");
	assert_addr(&p.dst, "192.0.2.7");
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.proto, PROTO_TCP);
	assert_true(p.has_l4);
	assert_false(p.is_fragment);
	assert_int_equal(p.sport, 49152);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, TCP_PSH | TCP_ACK);
	assert_int_equal(p.tcp_seq, 1000);
	assert_int_equal(p.tcp_ack, 2000);
	assert_int_equal(p.ip_bytes, 140);
	assert_int_equal(p.l4_payload_wire, 100);
	assert_int_equal(p.payload_len, 100);
	assert_ptr_equal(p.payload, f.b + 54);
	assert_int_equal(p.payload[0], 'a');
	assert_int_equal(st.frames, 1);
	assert_int_equal(st.ip4, 1);
	assert_int_equal(st.tcp, 1);
	assert_int_equal(st.udp, 0);
	assert_int_equal(st.malformed, 0);
}

static void
test_eth_ip6_udp(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 6, PROTO_UDP, 33);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_addr(&p.src, "2001:db8::1");
	assert_addr(&p.dst, "2001:db8::2");
	assert_int_equal(p.ip_version, 6);
	assert_int_equal(p.proto, PROTO_UDP);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.ip_bytes, 40 + 8 + 33);
	assert_int_equal(p.l4_payload_wire, 33);
	assert_int_equal(p.payload_len, 33);
	assert_ptr_equal(p.payload, f.b + 14 + 40 + 8);
	assert_int_equal(st.ip6, 1);
	assert_int_equal(st.udp, 1);
}

/* Every link type carries the same IP packet to the same view. */
static void
test_link_types(void **state)
{
	static const struct {
		int build_link, decode_link, ipv;
		size_t hdr;
	} cases[] = {
		{ L_EN10MB, L_EN10MB, 4, 14 }, { L_EN10MB, L_EN10MB, 6, 14 },
		{ -1, L_EN10MB, 4, 18 }, { -1, L_EN10MB, 6, 18 },
		{ L_SLL, L_SLL, 4, 16 }, { L_SLL, L_SLL, 6, 16 },
		{ L_SLL2, L_SLL2, 4, 20 }, { L_SLL2, L_SLL2, 6, 20 },
		{ L_RAW, L_RAW, 4, 0 }, { L_RAW, L_RAW, 6, 0 },
		{ L_RAW, L_RAW14, 4, 0 }, { L_RAW, L_RAW101, 6, 0 },
		{ L_RAW, L_IPV4, 4, 0 }, { L_RAW, L_IPV6, 6, 0 },
		{ L_NULL, L_NULL, 4, 4 }, { L_NULL, L_NULL, 6, 4 },
		{ L_LOOP, L_LOOP, 4, 4 }, { L_LOOP, L_LOOP, 6, 4 },
	};
	struct frame f;
	struct packet p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct decode_stats st = { 0 };

		build(&f, cases[i].build_link, cases[i].ipv, PROTO_TCP, 10);
		assert_int_equal(decode_whole(cases[i].decode_link, &f, &p,
		    &st), DECODE_OK);
		assert_int_equal(p.ip_version, cases[i].ipv);
		assert_int_equal(p.ip_bytes, (cases[i].ipv == 4 ? 20 : 40) +
		    20 + 10);
		assert_int_equal(p.dport, 80);
		assert_int_equal(p.payload_len, 10);
		assert_ptr_equal(p.payload, f.b + cases[i].hdr +
		    (cases[i].ipv == 4 ? 20 : 40) + 20);
	}
}

/* DLT_NULL in either byte order, and every AF_INET6 value. */
static void
test_null_families(void **state)
{
	static const uint32_t af6[] = { 10, 24, 28, 30 };
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };
	size_t i;

	(void)state;
	build(&f, L_NULL, 4, PROTO_UDP, 4);
	set32(&f, 0, 2); /* big-endian writer */
	assert_int_equal(decode_whole(L_NULL, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_version, 4);
	for (i = 0; i < 4; i++) {
		build(&f, L_NULL, 6, PROTO_UDP, 4);
		set32(&f, 0, af6[i]);
		assert_int_equal(decode_whole(L_NULL, &f, &p, &st), DECODE_OK);
		set32(&f, 0, af6[i] << 24);
		assert_int_equal(decode_whole(L_NULL, &f, &p, &st), DECODE_OK);
		assert_int_equal(p.ip_version, 6);
	}
	/* DLT_LOOP is network order only. */
	build(&f, L_LOOP, 4, PROTO_UDP, 4);
	set32(&f, 0, 0x02000000);
	assert_int_equal(decode_whole(L_LOOP, &f, &p, &st), DECODE_SKIP);
	/* An unknown family is not IP. */
	build(&f, L_NULL, 4, PROTO_UDP, 4);
	set32(&f, 0, 7);
	assert_int_equal(decode_whole(L_NULL, &f, &p, &st), DECODE_SKIP);
	assert_int_equal(st.non_ip, 2);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.frames, 11);
}

static void
test_vlan_stacks(void **state)
{
	static const uint16_t tpids[9] = { 0x88a8, 0x8100, 0x9100, 0x8100,
	    0x8100, 0x8100, 0x8100, 0x8100, 0x8100 };
	struct frame f;
	struct packet p;
	size_t n;

	(void)state;
	for (n = 1; n <= 9; n++) {
		struct decode_stats st = { 0 };

		memset(&f, 0, sizeof(f));
		put_eth(&f, tpids, n, 0x0800);
		put_ip4(&f, PROTO_TCP, 0);
		put_tcp(&f, 0x02);
		finish_ip4(&f);
		if (n <= 8) {
			assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st),
			    DECODE_OK);
			assert_int_equal(p.tcp_flags, TCP_SYN);
			assert_int_equal(p.ip_bytes, 40);
		} else {
			assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st),
			    DECODE_MALFORMED);
			assert_only_reason(&st, DEC_VLAN_DEPTH);
		}
	}
}

static void
test_non_ip_and_unsupported(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x0806); /* ARP */
	putn(&f, 0, 28);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_SKIP);
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x88cc); /* LLDP */
	putn(&f, 0, 46);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_SKIP);
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 46); /* 802.3 length, LLC follows */
	putn(&f, 0, 46);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_SKIP);
	memset(&f, 0, sizeof(f));
	put_sll(&f, 0x0806);
	putn(&f, 0, 28);
	assert_int_equal(decode_whole(L_SLL, &f, &p, &st), DECODE_SKIP);
	assert_int_equal(st.non_ip, 4);
	build(&f, L_RAW, 4, PROTO_TCP, 0);
	assert_int_equal(decode_whole(105, &f, &p, &st), DECODE_SKIP);
	assert_int_equal(decode_whole(127, &f, &p, &st), DECODE_SKIP);
	assert_int_equal(decode_whole(-1, &f, &p, &st), DECODE_SKIP);
	assert_int_equal(st.unsupported_link, 3);
	assert_int_equal(st.non_ip, 4);
	assert_int_equal(st.frames, 7);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.ip4, 0);
}

/* A 60-byte Ethernet frame holding a 40-byte IP packet: padding not counted. */
static void
test_ethernet_padding(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 0);
	putn(&f, 0xee, 6);
	assert_int_equal(f.len, 60);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 40);
	assert_int_equal(p.l4_payload_wire, 0);
	assert_int_equal(p.payload_len, 0);
	assert_null(p.payload);

	/* UDP with 5 payload bytes, padded to 60. */
	build(&f, L_EN10MB, 4, PROTO_UDP, 5);
	putn(&f, 0xee, 60 - f.len);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 33);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.l4_payload_wire, 5);

	/* IPv6 TCP, padding after. */
	build(&f, L_EN10MB, 6, PROTO_TCP, 2);
	putn(&f, 0xee, 30);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 62);
	assert_int_equal(p.payload_len, 2);
}

/* caplen 54 of a 1514-byte frame: the IP length stays the wire's. */
static void
test_short_snaplen(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 1460);
	assert_int_equal(f.len, 1514);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 54, 1514, 0, &p, &st),
	    DECODE_OK);
	assert_int_equal(p.ip_bytes, 1500);
	assert_int_equal(p.l4_payload_wire, 1460);
	assert_int_equal(p.payload_len, 0);
	assert_null(p.payload);
	assert_true(p.has_l4);
	assert_int_equal(p.dport, 80);

	/* 100 of 1514: 46 payload bytes captured. */
	assert_int_equal(decode_frame(L_EN10MB, f.b, 100, 1514, 0, &p, &st),
	    DECODE_OK);
	assert_int_equal(p.payload_len, 46);
	assert_int_equal(p.l4_payload_wire, 1460);
	assert_ptr_equal(p.payload, f.b + 54);

	/* TCP options cut by the snap length: header fields, no payload. */
	build(&f, L_EN10MB, 4, PROTO_TCP, 0);
	set16(&f, f.l4_off + 12, (uint16_t)(15 << 12 | 0x10));
	putn(&f, 1, 40);
	putn(&f, 'x', 200);
	finish_ip4(&f);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 64, (uint32_t)f.len, 0,
	    &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 280);
	assert_int_equal(p.l4_payload_wire, 200);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.tcp_flags, TCP_ACK);
	assert_int_equal(st.malformed, 0);
}

/* caplen > wirelen (a broken file): only wirelen bytes are read. */
static void
test_caplen_beyond_wirelen(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 0);
	putn(&f, 'z', 40);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 94, 54, 0, &p, &st),
	    DECODE_OK);
	assert_int_equal(p.ip_bytes, 40);
	assert_int_equal(p.payload_len, 0);
	/* The IP header claims more than the wire had. */
	build(&f, L_EN10MB, 4, PROTO_TCP, 40);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 94, 60, 0, &p, &st),
	    DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP4_TOTLEN);
}

/* TSO/GRO: IPv4 total length 0, length from the wire. */
static void
test_tso_total_length_zero(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 3000);
	set16(&f, f.ip_off + 2, 0);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 3040);
	assert_int_equal(p.l4_payload_wire, 3000);
	assert_int_equal(p.payload_len, 3000);
	/* Snapped at 200 bytes of a 64 KiB super-packet on the wire. */
	assert_int_equal(decode_frame(L_EN10MB, f.b, 200, 65014 + 14, 0, &p,
	    &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 65014);
	assert_int_equal(p.l4_payload_wire, 65014 - 40);
	assert_int_equal(p.payload_len, 200 - 54);

	/* IPv6 BIG TCP: payload length 0 without a jumbo option. */
	build(&f, L_EN10MB, 6, PROTO_TCP, 3000);
	set16(&f, f.ip_off + 4, 0);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 128, 100000, 0, &p, &st),
	    DECODE_OK);
	assert_int_equal(p.ip_bytes, 100000 - 14);
	assert_int_equal(p.l4_payload_wire, 100000 - 14 - 60);
	assert_int_equal(p.payload_len, 128 - 74);
	assert_int_equal(st.malformed, 0);
}

/* Appends an extension header of len bytes (len % 8 == 0) with next nh. */
static void
put_ext(struct frame *f, uint8_t nh, size_t len)
{
	put8(f, nh);
	put8(f, (uint8_t)(len / 8 - 1));
	putn(f, 0, len - 2); /* PadN-free zero padding = Pad1 options */
}

static void
test_ip6_extension_chain(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 0);            /* Hop-by-Hop */
	put_ext(&f, 43, 8);        /* -> Routing */
	put_ext(&f, 60, 24);       /* -> Destination options */
	put_ext(&f, 44, 16);       /* -> Fragment */
	put8(&f, 51);              /* Fragment: -> AH, offset 0, M=1 */
	put8(&f, 0);
	put16(&f, 0x0001);
	put32(&f, 0xabcdef01);
	put8(&f, 135);             /* AH: 24 bytes = (4 + 2) * 4 */
	put8(&f, 4);
	putn(&f, 0, 22);
	put_ext(&f, 6, 16);        /* Mobility -> TCP */
	put_tcp(&f, 0x11);
	put_payload(&f, 9);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.proto, PROTO_TCP);
	assert_true(p.has_l4);
	assert_true(p.is_fragment);
	assert_int_equal(p.tcp_flags, TCP_FIN | TCP_ACK);
	assert_int_equal(p.ip_bytes, f.len - 14);
	assert_int_equal(p.l4_payload_wire, 9);
	assert_int_equal(p.payload_len, 9);
	assert_ptr_equal(p.payload, f.b + f.len - 9);
	assert_int_equal(st.fragments, 1);
	assert_int_equal(st.tcp, 1);

	/* A later fragment: no L4. */
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 44);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 185 << 3);
	put32(&f, 0xabcdef01);
	put_payload(&f, 100);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_false(p.has_l4);
	assert_int_equal(p.proto, PROTO_TCP);
	assert_int_equal(p.ip_bytes, 148);
	assert_int_equal(p.l4_payload_wire, 100);
	assert_int_equal(st.fragments, 2);
	assert_int_equal(st.tcp, 1);
	assert_int_equal(st.other_l4, 0);

	/* An atomic fragment (offset 0, M 0) is a whole packet. */
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 44);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0);
	put32(&f, 1);
	put_udp(&f);
	put_payload(&f, 3);
	finish_udp(&f);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_false(p.is_fragment);
	assert_int_equal(p.payload_len, 3);
	assert_int_equal(st.fragments, 2);

	/* ESP and No Next Header end the chain: other L4. */
	build(&f, L_EN10MB, 6, 50, 64);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_false(p.has_l4);
	assert_int_equal(p.proto, 50);
	assert_int_equal(p.payload_len, 64);
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 60);
	put_ext(&f, 59, 8);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.l4_payload_wire, 0);
	assert_int_equal(st.other_l4, 2);
	assert_int_equal(st.malformed, 0);
}

/* RFC 2675 jumbogram: payload length 0, Jumbo Payload option. */
static void
test_ip6_jumbogram(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };
	uint32_t jumbo = 70000;

	(void)state;
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 0);
	put8(&f, 6);      /* HBH -> TCP */
	put8(&f, 0);
	put8(&f, 0xc2);   /* Jumbo Payload */
	put8(&f, 4);
	put32(&f, jumbo);
	put_tcp(&f, 0x10);
	put_payload(&f, 50);
	assert_int_equal(decode_frame(L_EN10MB, f.b, (uint32_t)f.len,
	    14 + 40 + jumbo, 0, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 40 + jumbo);
	assert_int_equal(p.l4_payload_wire, jumbo - 8 - 20);
	assert_int_equal(p.payload_len, 50);
	assert_int_equal(st.malformed, 0);

	/* Jumbo UDP: UDP length 0. */
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 0);
	put8(&f, 17);
	put8(&f, 0);
	put8(&f, 1);      /* PadN of 0 bytes, then Jumbo */
	put8(&f, 0);
	put8(&f, 0xc2);
	put8(&f, 4);
	put32(&f, jumbo);
	putn(&f, 0, 6);   /* Pad1 x 6: 16-byte header */
	f.b[f.ip_off + 41] = 1;
	put_udp(&f);
	put_payload(&f, 20);
	assert_int_equal(decode_frame(L_EN10MB, f.b, (uint32_t)f.len,
	    14 + 40 + jumbo, 0, &p, &st), DECODE_OK);
	assert_int_equal(p.proto, PROTO_UDP);
	assert_int_equal(p.l4_payload_wire, jumbo - 16 - 8);
	assert_int_equal(p.payload_len, 20);

	/* A jumbo length below 65536 is invalid (RFC 2675 3). */
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 0);
	put8(&f, 6);
	put8(&f, 0);
	put8(&f, 0xc2);
	put8(&f, 4);
	put32(&f, 1000);
	put_tcp(&f, 0x10);
	memset(&st, 0, sizeof(st));
	assert_int_equal(decode_frame(L_EN10MB, f.b, (uint32_t)f.len,
	    14 + 40 + 1000, 0, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP6_PLEN);
}

static void
test_ip4_fragments(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	/* First fragment (MF): L4 read; the UDP length covers the datagram. */
	build(&f, L_EN10MB, 4, PROTO_UDP, 100);
	set16(&f, f.ip_off + 6, 0x2000);
	set16(&f, f.l4_off + 4, 3000);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_true(p.frag_first);
	assert_int_equal(p.frag_id, 0x1234);
	assert_true(p.has_l4);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 100);
	assert_int_equal(p.l4_payload_wire, 100);
	/* Later fragment: no L4, payload is the fragment data. */
	build(&f, L_EN10MB, 4, PROTO_TCP, 100);
	set16(&f, f.ip_off + 6, 0x0010);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.ip_bytes, 140);
	assert_int_equal(p.l4_payload_wire, 120);
	assert_int_equal(p.payload_len, 120);
	assert_int_equal(st.fragments, 2);
	assert_int_equal(st.udp, 1);
	assert_int_equal(st.tcp, 0);
	assert_int_equal(st.other_l4, 0);
	assert_int_equal(st.malformed, 0);
}

/*
 * Regression (zeek Traces/ipv4/fragmented-syn.pcap): a first fragment holding
 * 24 bytes of a 40-byte TCP header was counted tcp_hlen. The fixed fields
 * are read; the options and any payload are in the next fragment.
 */
static void
test_first_fragment_splits_l4(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_TCP, 0);
	set16(&f, f.ip_off + 6, 0x2000);                     /* MF */
	set16(&f, f.l4_off + 12, (uint16_t)(10 << 12 | TCP_SYN));
	putn(&f, 1, 4);                                      /* 4 option bytes */
	finish_ip4(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_true(p.has_l4);
	assert_int_equal(p.tcp_flags, TCP_SYN);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.ip_bytes, 44);
	assert_int_equal(p.l4_payload_wire, 0);
	assert_int_equal(p.payload_len, 0);
	/* The same header in a whole packet is malformed. */
	set16(&f, f.ip_off + 6, 0x4000);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_MALFORMED);
	assert_int_equal(st.reason[DEC_TCP_HLEN], 1);

	/* Tiny first fragments (RFC 1858): 8 bytes of TCP, 4 of UDP. */
	build(&f, L_EN10MB, 4, PROTO_TCP, 0);
	set16(&f, f.ip_off + 6, 0x2000);
	f.len = f.l4_off + 8;
	finish_ip4(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_false(p.has_l4);
	assert_int_equal(p.l4_payload_wire, 8);
	assert_int_equal(p.payload_len, 8);
	build(&f, L_RAW, 6, 44, 0);
	put8(&f, PROTO_UDP);
	put8(&f, 0);
	put16(&f, 0x0001);                                   /* offset 0, M */
	put32(&f, 9);
	putn(&f, 0x35, 4);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_RAW, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_false(p.has_l4);
	assert_int_equal(p.proto, PROTO_UDP);
	assert_int_equal(p.l4_payload_wire, 4);
	assert_int_equal(st.fragments, 3);
	assert_int_equal(st.tcp, 1);
	assert_int_equal(st.udp, 0);
	assert_int_equal(st.other_l4, 0);
	assert_int_equal(st.malformed, 1);
}

static void
test_udp_length_bounds_payload(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_UDP, 30);
	set16(&f, f.l4_off + 4, 8 + 12);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ip_bytes, 58);
	assert_int_equal(p.l4_payload_wire, 12);
	assert_int_equal(p.payload_len, 12);
}

static void
test_other_protocol(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	build(&f, L_EN10MB, 4, PROTO_ICMP, 64);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_false(p.has_l4);
	assert_int_equal(p.proto, PROTO_ICMP);
	assert_int_equal(p.ip_bytes, 84);
	assert_int_equal(p.l4_payload_wire, 64);
	assert_int_equal(p.payload_len, 64);
	assert_int_equal(st.other_l4, 1);
	assert_int_equal(st.ip4, 1);
}

/*
 * The decoder sets every field it owns on each frame: garbage left in the
 * packet by the caller (or by the previous frame) never shows through.
 */
static enum decode_result
decode_into_garbage(int link, const struct frame *f, struct packet *p,
    struct decode_stats *st)
{
	memset(p, 0xa5, sizeof(*p));
	return decode_whole(link, f, p, st);
}

static void
test_fields_set_on_every_frame(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };

	(void)state;
	/* Other protocol: no transport fields. */
	build(&f, L_EN10MB, 4, PROTO_ICMP, 8);
	assert_int_equal(decode_into_garbage(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.ts_ns, 7);
	assert_addr(&p.src, "10.0.0.1");
	assert_addr(&p.dst, "192.0.2.7");
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.proto, PROTO_ICMP);
	assert_false(p.is_fragment);
	assert_false(p.frag_first);
	assert_int_equal(p.frag_id, 0);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.tcp_seq, 0);
	assert_int_equal(p.tcp_ack, 0);
	assert_int_equal(p.ip_bytes, 28);
	assert_int_equal(p.l4_payload_wire, 8);
	assert_int_equal(p.payload_len, 8);
	assert_ptr_equal(p.payload, f.b + 34);

	/* UDP: ports, no TCP fields. */
	build(&f, L_EN10MB, 6, PROTO_UDP, 0);
	assert_int_equal(decode_into_garbage(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_addr(&p.src, "2001:db8::1");
	assert_false(p.is_fragment);
	assert_false(p.frag_first);
	assert_int_equal(p.frag_id, 0);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.tcp_seq, 0);
	assert_int_equal(p.tcp_ack, 0);
	assert_int_equal(p.l4_payload_wire, 0);
	assert_int_equal(p.payload_len, 0);
	assert_null(p.payload);

	/* A later IPv4 fragment: data only. */
	build(&f, L_EN10MB, 4, PROTO_TCP, 4);
	set16(&f, f.ip_off + 6, 0x0020);
	assert_int_equal(decode_into_garbage(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_false(p.frag_first);
	assert_int_equal(p.frag_id, 0x1234);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.tcp_seq, 0);
	assert_int_equal(p.payload_len, 24);

	/* A tiny first IPv6 fragment (RFC 1858): no TCP fields either. */
	build(&f, L_EN10MB, 6, 44, 0);
	put8(&f, PROTO_TCP);
	put8(&f, 0);
	put16(&f, 0x0001);
	put32(&f, 5);
	putn(&f, 0x11, 12);
	finish_ip6(&f);
	assert_int_equal(decode_into_garbage(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_true(p.is_fragment);
	assert_true(p.frag_first);
	assert_int_equal(p.frag_id, 5);
	assert_false(p.has_l4);
	assert_int_equal(p.proto, PROTO_TCP);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.tcp_ack, 0);
	assert_int_equal(p.l4_payload_wire, 12);
	assert_int_equal(p.payload_len, 12);
	assert_ptr_equal(p.payload, f.b + f.len - 12);
	assert_int_equal(st.malformed, 0);
}

/* IPv4 options (IHL > 5) are skipped, and count in the header length. */
static void
test_ip4_options(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };
	uint32_t caplen, ok = 0;

	(void)state;
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x0800);
	put_ip4(&f, PROTO_TCP, 0x4000);
	f.b[f.ip_off] = 0x47;              /* IHL 7: 8 option bytes */
	put32(&f, 0x94040000);             /* Router Alert */
	put32(&f, 0x01010100);             /* NOP NOP NOP EOL */
	put_tcp(&f, TCP_SYN);
	put_payload(&f, 5);
	finish_ip4(&f);
	assert_int_equal(f.len, 14 + 28 + 20 + 5);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_addr(&p.src, "10.0.0.1");
	assert_addr(&p.dst, "192.0.2.7");
	assert_int_equal(p.ip_bytes, 53);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, TCP_SYN);
	assert_int_equal(p.l4_payload_wire, 5);
	assert_int_equal(p.payload_len, 5);
	assert_ptr_equal(p.payload, f.b + 14 + 28 + 20);

	/* Every cut: malformed up to the end of the TCP header, then OK. */
	memset(&st, 0, sizeof(st));
	for (caplen = 0; caplen <= f.len; caplen++) {
		if (decode_frame(L_EN10MB, f.b, caplen, (uint32_t)f.len, 0, &p,
		    &st) == DECODE_OK) {
			ok++;
			assert_int_equal(p.payload_len, caplen - (14 + 28 + 20));
		}
	}
	assert_int_equal(ok, 6);
	assert_int_equal(st.reason[DEC_LINK_SHORT], 14);
	assert_int_equal(st.reason[DEC_IP4_SHORT], 20);
	assert_int_equal(st.reason[DEC_IP4_HLEN], 8);
	assert_int_equal(st.reason[DEC_TCP_SHORT], 20);
	assert_int_equal(st.malformed, 62);

	/* A total length inside the options, or just after them. */
	memset(&st, 0, sizeof(st));
	set16(&f, f.ip_off + 2, 27);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP4_TOTLEN);
	set16(&f, f.ip_off + 2, 28);
	memset(&st, 0, sizeof(st));
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_TCP_SHORT);
	/* Version 6 in an IPv4 header with options is still a version error. */
	f.b[f.ip_off] = 0x67;
	memset(&st, 0, sizeof(st));
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP4_VERSION);
}

/* Each malformed reason, from a crafted frame. */
enum mutation {
	M_NONE, M_TRUNC, M_SET8, M_SET16
};

struct malformed_case {
	const char *what;
	int link, ipv;
	uint8_t proto;
	enum mutation m;
	size_t off;      /* from the IP header (M_SET*), or the caplen */
	unsigned val;
	enum decode_reason want;
};

static const struct malformed_case malformed_cases[] = {
	{ "eth short", L_EN10MB, 4, PROTO_TCP, M_TRUNC, 13, 0, DEC_LINK_SHORT },
	{ "sll short", L_SLL, 4, PROTO_TCP, M_TRUNC, 15, 0, DEC_LINK_SHORT },
	{ "sll2 short", L_SLL2, 4, PROTO_TCP, M_TRUNC, 19, 0, DEC_LINK_SHORT },
	{ "null short", L_NULL, 4, PROTO_TCP, M_TRUNC, 3, 0, DEC_LINK_SHORT },
	{ "raw empty", L_RAW, 4, PROTO_TCP, M_TRUNC, 0, 0, DEC_LINK_SHORT },
	{ "vlan short", -1, 4, PROTO_TCP, M_TRUNC, 16, 0, DEC_VLAN_SHORT },
	{ "ip4 short", L_EN10MB, 4, PROTO_TCP, M_TRUNC, 33, 0, DEC_IP4_SHORT },
	{ "ip4 version", L_EN10MB, 4, PROTO_TCP, M_SET8, 0, 0x55, DEC_IP4_VERSION },
	{ "ipv4 link v6", L_RAW, 6, PROTO_TCP, M_NONE, 0, 0, DEC_IP4_VERSION },
	{ "raw version 5", L_RAW, 4, PROTO_TCP, M_SET8, 0, 0x55, DEC_IP4_VERSION },
	{ "ip4 ihl 4", L_EN10MB, 4, PROTO_TCP, M_SET8, 0, 0x44, DEC_IP4_HLEN },
	{ "ip4 ihl 15", L_EN10MB, 4, PROTO_TCP, M_SET8, 0, 0x4f, DEC_IP4_HLEN },
	{ "ip4 totlen 19", L_EN10MB, 4, PROTO_TCP, M_SET16, 2, 19, DEC_IP4_TOTLEN },
	{ "ip4 totlen > wire", L_EN10MB, 4, PROTO_TCP, M_SET16, 2, 41, DEC_IP4_TOTLEN },
	{ "ip6 short", L_EN10MB, 6, PROTO_TCP, M_TRUNC, 53, 0, DEC_IP6_SHORT },
	{ "ip6 version", L_EN10MB, 6, PROTO_TCP, M_SET8, 0, 0x40, DEC_IP6_VERSION },
	{ "ipv6 link v4", L_RAW, 4, PROTO_TCP, M_NONE, 0, 0, DEC_IP6_VERSION },
	{ "ip6 plen > wire", L_EN10MB, 6, PROTO_TCP, M_SET16, 4, 21, DEC_IP6_PLEN },
	{ "ip6 ext beyond", L_EN10MB, 6, 0, M_NONE, 0, 0, DEC_IP6_EXTHDR },
	{ "tcp short", L_EN10MB, 4, PROTO_TCP, M_SET16, 2, 39, DEC_TCP_SHORT },
	{ "tcp captured short", L_EN10MB, 4, PROTO_TCP, M_TRUNC, 53, 0, DEC_TCP_SHORT },
	{ "tcp doff 4", L_EN10MB, 4, PROTO_TCP, M_SET8, 32, 0x40, DEC_TCP_HLEN },
	{ "tcp doff 6", L_EN10MB, 4, PROTO_TCP, M_SET8, 32, 0x60, DEC_TCP_HLEN },
	{ "udp short", L_EN10MB, 4, PROTO_UDP, M_SET16, 2, 27, DEC_UDP_SHORT },
	{ "udp len 7", L_EN10MB, 4, PROTO_UDP, M_SET16, 24, 7, DEC_UDP_LEN },
	{ "udp len 0", L_EN10MB, 4, PROTO_UDP, M_SET16, 24, 0, DEC_UDP_LEN },
	{ "udp len > ip", L_EN10MB, 6, PROTO_UDP, M_SET16, 44, 9, DEC_UDP_LEN },
};

static void
test_malformed_reasons(void **state)
{
	struct frame f;
	struct packet p;
	enum decode_result r;
	uint32_t caplen;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(malformed_cases) / sizeof(malformed_cases[0]);
	    i++) {
		const struct malformed_case *mc = &malformed_cases[i];
		struct decode_stats st = { 0 };
		int link = mc->link == -1 ? L_EN10MB : mc->link;

		/* No payload: the IP packet ends the frame. */
		build(&f, mc->link, mc->ipv, mc->proto, 0);
		if (mc->proto == 0) {
			/* Hop-by-Hop claiming 16 bytes of an 8-byte payload. */
			put_ext(&f, 59, 8);
			f.b[f.ip_off + 41] = 1;
			finish_ip6(&f);
		}
		if (strstr(mc->what, "link v6") != NULL)
			link = L_IPV4;
		if (strstr(mc->what, "link v4") != NULL)
			link = L_IPV6;
		caplen = (uint32_t)f.len;
		switch (mc->m) {
		case M_TRUNC:
			caplen = (uint32_t)mc->off;
			break;
		case M_SET8:
			f.b[f.ip_off + mc->off] = (uint8_t)mc->val;
			break;
		case M_SET16:
			set16(&f, f.ip_off + mc->off, (uint16_t)mc->val);
			break;
		default:
			break;
		}
		r = decode_frame(link, f.b, caplen, (uint32_t)f.len, 0, &p, &st);
		if (r != DECODE_MALFORMED || st.reason[mc->want] != 1)
			print_message("case \"%s\" failed\n", mc->what);
		assert_int_equal(r, DECODE_MALFORMED);
		assert_only_reason(&st, mc->want);
		assert_int_equal(st.frames, 1);
	}
}

static void
test_ip6_exthdr_limits(void **state)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };
	size_t i;

	(void)state;
	/* 16 Destination Options headers are followed, 17 are not. */
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 60);
	for (i = 0; i < 15; i++)
		put_ext(&f, 60, 8);
	put_ext(&f, 17, 8);
	put_udp(&f);
	finish_udp(&f);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_OK);
	assert_int_equal(p.proto, PROTO_UDP);

	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 60);
	for (i = 0; i < 16; i++)
		put_ext(&f, 60, 8);
	put_ext(&f, 17, 8);
	put_udp(&f);
	finish_udp(&f);
	finish_ip6(&f);
	assert_int_equal(decode_whole(L_EN10MB, &f, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP6_EXTHDR);

	/* Header cut by the snap length. */
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	put_eth(&f, NULL, 0, 0x86dd);
	put_ip6(&f, 43);
	put_ext(&f, 6, 64);
	put_tcp(&f, 0x10);
	finish_ip6(&f);
	assert_int_equal(decode_frame(L_EN10MB, f.b, 14 + 40 + 30,
	    (uint32_t)f.len, 0, &p, &st), DECODE_MALFORMED);
	assert_only_reason(&st, DEC_IP6_EXTHDR);
}

/*
 * Truncation of valid frames at every byte offset, in an exact-size copy
 * (so an over-read is a sanitizer report): never DECODE_OK with a payload
 * outside what was captured.
 */
static void
truncate_everywhere(int build_link, int link, int ipv, uint8_t proto)
{
	struct frame f;
	struct packet p;
	struct decode_stats st = { 0 };
	uint32_t caplen, ok = 0;
	uint8_t *copy;

	build(&f, build_link, ipv, proto, 24);
	for (caplen = 0; caplen <= f.len; caplen++) {
		enum decode_result r;

		copy = malloc(caplen > 0 ? caplen : 1);
		assert_non_null(copy);
		memcpy(copy, f.b, caplen);
		r = decode_frame(link, copy, caplen, (uint32_t)f.len, 0, &p, &st);
		assert_int_not_equal(r, DECODE_SKIP);
		if (r == DECODE_OK) {
			ok++;
			assert_true(p.payload_len <= p.l4_payload_wire);
			if (p.payload_len > 0) {
				assert_true(p.payload >= copy);
				assert_true(p.payload + p.payload_len <=
				    copy + caplen);
			}
			assert_int_equal(p.ip_bytes, f.len - f.ip_off);
			assert_int_equal(p.l4_payload_wire, 24);
			assert_int_equal(p.payload_len,
			    caplen > f.len - 24 ? caplen - (f.len - 24) : 0);
		}
		free(copy);
	}
	/* OK from the full L4 header on, malformed before it. */
	assert_int_equal(ok, 24 + 1);
	assert_int_equal(st.malformed, f.len - 24);
	assert_int_equal(st.frames, f.len + 1);
}

static void
test_truncation_every_offset(void **state)
{
	static const int links[][2] = {
		{ L_EN10MB, L_EN10MB }, { -1, L_EN10MB }, { L_SLL, L_SLL },
		{ L_SLL2, L_SLL2 }, { L_RAW, L_RAW }, { L_NULL, L_NULL },
		{ L_LOOP, L_LOOP },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		truncate_everywhere(links[i][0], links[i][1], 4, PROTO_TCP);
		truncate_everywhere(links[i][0], links[i][1], 6, PROTO_TCP);
		truncate_everywhere(links[i][0], links[i][1], 4, PROTO_UDP);
		truncate_everywhere(links[i][0], links[i][1], 6, PROTO_UDP);
	}
}

static void
test_reason_names(void **state)
{
	static const char *const want[DEC_REASON_COUNT] = {
		"ok", "link_short", "vlan_short", "vlan_depth", "ip4_short",
		"ip4_version", "ip4_hlen", "ip4_totlen", "ip6_short",
		"ip6_version", "ip6_plen", "ip6_exthdr", "tcp_short",
		"tcp_hlen", "udp_short", "udp_len",
	};
	int r;

	(void)state;
	for (r = 0; r < DEC_REASON_COUNT; r++)
		assert_string_equal(decode_reason_name((enum decode_reason)r),
		    want[r]);
	assert_string_equal(decode_reason_name(DEC_REASON_COUNT), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ip4_tcp),
		cmocka_unit_test(test_eth_ip6_udp),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_null_families),
		cmocka_unit_test(test_vlan_stacks),
		cmocka_unit_test(test_non_ip_and_unsupported),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_short_snaplen),
		cmocka_unit_test(test_caplen_beyond_wirelen),
		cmocka_unit_test(test_tso_total_length_zero),
		cmocka_unit_test(test_ip6_extension_chain),
		cmocka_unit_test(test_ip6_jumbogram),
		cmocka_unit_test(test_ip4_fragments),
		cmocka_unit_test(test_first_fragment_splits_l4),
		cmocka_unit_test(test_udp_length_bounds_payload),
		cmocka_unit_test(test_other_protocol),
		cmocka_unit_test(test_fields_set_on_every_frame),
		cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_malformed_reasons),
		cmocka_unit_test(test_ip6_exthdr_limits),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
