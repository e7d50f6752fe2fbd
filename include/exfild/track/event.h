/*
 * event.h - one traffic event: what a packet (through its flow) or a proxy
 * or sensor log line tells about an internal host and a destination. Both
 * sources hand the binding stage (bind.h) this value and nothing else.
 */
#ifndef EXFILD_TRACK_EVENT_H
#define EXFILD_TRACK_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "exfild/proto/classify.h"
#include "exfild/util/netaddr.h"

struct flow;
struct flow_key;

/* Where an event came from: packets, or a log of this kind. */
enum event_source {
	EVENT_PACKETS = 0,
	EVENT_SQUID_LOG,      /* Squid access.log */
	EVENT_ZEEK_CONN,      /* Zeek conn.log */
	EVENT_ZEEK_HTTP,      /* Zeek http.log */
};

/* The alert's source name of a log ("squid-log"); NULL for packets (the
 * input says: "pcap", "live"). */
static inline const char *
event_source_name(enum event_source s)
{
	switch (s) {
	case EVENT_SQUID_LOG:
		return "squid-log";
	case EVENT_ZEEK_CONN:
		return "zeek-conn";
	case EVENT_ZEEK_HTTP:
		return "zeek-http";
	default:
		return NULL;
	}
}

/*
 * A packet of a flow already bound to its pair carries only its time,
 * bytes, kinds, protocol, who opened the connection and its source: its
 * host and destination are the binding event's (and the pair's). The other events (a binding, a log
 * line, a stray fragment) fill every field.
 */
struct traffic_event {
	uint64_t ts_ns;
	struct netaddr host;       /* the internal host */
	/* the destination: a name (HTTP Host, CONNECT, SNI, a log's host) or an
	 * address, or both */
	const char *dst_name;      /* NULL: none */
	struct netaddr dst_addr;   /* family 0: none */
	uint16_t dst_port;         /* 0: unknown (keeps the one known) */
	uint8_t proto;             /* IPPROTO_TCP, IPPROTO_UDP; 0 unknown */
	bool via_proxy;            /* through a configured proxy */
	bool conn_start;           /* a connection (or a request) starts: a flow */
	uint64_t conn_ns;          /* when it started (a log line: its time less
				    * its duration); with conn_start */
	bool opened_by_peer;       /* the far side opened the connection: the host
				    * serves it (its bytes are served, never an
				    * upload, and no rule is asked) */
	bool from_host;            /* it carries bytes the host sent: rules are asked */
	uint64_t bytes_out;        /* bytes the host sent, and received */
	uint64_t bytes_in;
	uint32_t kinds;            /* bit k set: kind_bytes[k] holds bytes of kind k */
	uint64_t kind_bytes[PK_COUNT]; /* client payload bytes by kind (of bytes_out) */
	enum event_source source;
	const char *user;          /* the log's user name; NULL: none */
	uint8_t jewel;             /* the destination is crown jewel jewel - 1
				    * (a pull); 0: not a crown jewel */
	/* The connection the event is of, for an alert's join keys (proto,
	 * src_port, community_id): a packet's flow key, a Zeek line's id.*
	 * and proto; NULL when unknown (a Squid line, a stray fragment). */
	const struct flow_key *tuple;
	struct flow *flow;         /* a packet's flow (its HTTP request); NULL */
	const char *uid;           /* a Zeek line's uid; NULL: none */
};

/* Payload bytes of a kind in the event. */
static inline void
event_add_kind(struct traffic_event *ev, unsigned kind, uint64_t n)
{
	if (n == 0 || kind >= PK_COUNT)
		return;
	if (!(ev->kinds & (1u << kind))) {
		ev->kinds |= 1u << kind;
		ev->kind_bytes[kind] = 0;
	}
	ev->kind_bytes[kind] += n;
}

/* The sum of the event's payload bytes. */
static inline uint64_t
event_payload(const struct traffic_event *ev)
{
	uint64_t total = 0;
	uint32_t kinds;

	for (kinds = ev->kinds; kinds != 0; kinds &= kinds - 1)
		total += ev->kind_bytes[__builtin_ctz(kinds)];
	return total;
}

#endif
