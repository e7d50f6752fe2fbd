/*
 * decode.h - link, network and transport decoding of one captured frame into
 * a packet view. Link types: Ethernet (802.1Q/802.1ad stacks), Linux SLL and
 * SLL2, raw IPv4/IPv6, BSD loopback. IPv4 (options; fragments counted),
 * IPv6 (extension headers), TCP, UDP. Follows RFC 791, 8200, 9293, 768.
 * Bytes are IP-layer bytes: link padding never counts, the IP length bounds
 * the payload, and a short snap length still yields the full IP length.
 */
#ifndef EXFILD_DECODE_H
#define EXFILD_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Why a frame was rejected; every reason is counted. Keep names in decode.c. */
enum decode_reason {
	DEC_OK = 0,
	DEC_LINK_SHORT,      /* shorter than its link header */
	DEC_VLAN_SHORT,
	DEC_VLAN_DEPTH,      /* more tags than we follow */
	DEC_IP4_SHORT,
	DEC_IP4_VERSION,
	DEC_IP4_HLEN,
	DEC_IP4_TOTLEN,
	DEC_IP6_SHORT,
	DEC_IP6_VERSION,
	DEC_IP6_PLEN,
	DEC_IP6_EXTHDR,
	DEC_TCP_SHORT,
	DEC_TCP_HLEN,
	DEC_UDP_SHORT,
	DEC_UDP_LEN,
	DEC_REASON_COUNT
};
const char *decode_reason_name(enum decode_reason r);

enum decode_result {
	DECODE_OK,        /* an IP packet; L4 fields set for TCP/UDP first fragments */
	DECODE_SKIP,      /* not IP, or a link type we do not read: counted, not an error */
	DECODE_MALFORMED, /* counted by reason */
};

struct decode_stats {
	uint64_t frames;
	uint64_t ip4, ip6, tcp, udp, other_l4;
	uint64_t fragments;        /* IPv4/IPv6 fragments (L4 read only from offset 0) */
	uint64_t non_ip;           /* ARP, LLDP, ...: skipped */
	uint64_t unsupported_link; /* frames of a link type we do not read */
	uint64_t malformed;        /* sum of reasons */
	uint64_t reason[DEC_REASON_COUNT];
};

struct packet {
	uint64_t ts_ns;
	struct netaddr src, dst;
	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto;      /* IPPROTO_TCP, IPPROTO_UDP, or other */
	bool is_fragment;   /* any fragment (first or later) */
	bool frag_first;    /* a fragment at offset 0 (it holds the L4 header) */
	uint32_t frag_id;   /* fragment identification (IPv4 16 bits, IPv6 32) */
	bool has_l4;        /* ports/flags valid: TCP or UDP header read */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint32_t ip_bytes;  /* IP-layer length of the packet on the wire */
	uint32_t l4_payload_wire; /* L4 payload length according to the headers */
	const uint8_t *payload;   /* captured L4 payload, never past the IP length */
	uint32_t payload_len;     /* <= l4_payload_wire */
	/* The frame as captured, for the evidence pcap (evidence/pktring.h):
	 * valid while the packet is. */
	const uint8_t *frame;
	uint32_t caplen, wirelen;
	int linktype;
};

enum decode_result decode_frame(int linktype, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen, uint64_t ts_ns, struct packet *out,
    struct decode_stats *st);

#endif
