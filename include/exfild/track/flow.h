/*
 * flow.h - bidirectional TCP/UDP flows in a fixed-capacity hash table.
 * A flow's key says which end is `host` (the internal host whose traffic
 * we account for) and which is `peer` (a proxy or an external address).
 * The hash is symmetric and keyed randomly (SipHash), so a packet in
 * either direction finds its flow with one lookup.
 *
 * Flows leave by idle timeout, a shorter timeout after FIN/RST, or, when
 * the table is full, eviction in this order (as conntrack drops unassured
 * entries first): closed flows, then flows that carried no client payload
 * yet (half-open SYNs, unanswered datagrams), then flows with client
 * payload, each least recently used first. One internal host may hold at
 * most limits.half_open_per_host flows without client payload. Flows that
 * sent FLOW_HEAVY_BYTES or more (uploads) go last of all, so a flood of
 * small flows cannot push them out. A flow with
 * client payload that is evicted is remembered (a copy, in a smaller table)
 * so that its next packet takes it up where it was: destination, pair,
 * payload kind, stream position. Every way out is counted.
 */
#ifndef EXFILD_FLOW_H
#define EXFILD_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/evidence/evpcap.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/table.h"
#include "exfild/util/util.h"

#define FLOW_NONE UINT32_MAX
#define FLOW_HEAVY_BYTES (8 * 1024) /* bytes out that make a flow evicted last */

struct pair;

struct flow_key {
	struct netaddr host;
	struct netaddr peer;
	uint16_t host_port;
	uint16_t peer_port;
	uint8_t proto;
};

/* Its parser's state was lost (slot reclaimed, bytes not captured): the
 * next one looks for a request; lost in a request's head, the bytes until
 * that request do not belong to the destination the flow had. */
enum flow_parser_lost {
	PARSER_KEPT = 0,
	PARSER_LOST,
	PARSER_LOST_HEAD,
};

/* What the application layer of the flow is, as far as we know. */
enum flow_app {
	FLOW_APP_UNKNOWN = 0, /* no client payload yet */
	FLOW_APP_HTTP,
	FLOW_APP_TLS,
	FLOW_APP_OTHER,
};

/* What every packet of a flow reads and writes comes first, in the first
 * 136 bytes; the table's links are beside the flows (util/table.h). */
struct flow {
	struct flow_key key;
	uint64_t last_ns;
	uint64_t lru_ns;                /* packet time of the last LRU relink (private) */
	uint64_t bytes_out, bytes_in;   /* IP-layer bytes */
	uint64_t pkts_out, pkts_in;
	uint32_t pair_id, pair_gen;     /* current aggregate (FLOW_NONE: unbound) */
	struct pair *pair;              /* its slot, valid while gen is pair_gen */
	uint64_t dest_touch_ns;         /* last time the destination was marked in use */
	uint32_t app_slot;              /* parser slot (FLOW_NONE: none) */
	uint32_t next_seq_out;          /* next expected client sequence number */
	uint8_t app;                    /* enum flow_app */
	uint8_t kind;                   /* enum payload_kind of current client bytes */
	bool seq_valid;
	bool via_proxy;                 /* peer is a configured proxy */
	bool host_is_proxy;             /* egress tap: host is the proxy itself */
	bool closed;                    /* FIN or RST seen */
	bool classified;                /* kind decided for current client stream */
	bool opened_by_peer;            /* the far side opened it (SYN, first datagram) */
	uint32_t dest_id, dest_gen;     /* its destination, to rebind after eviction */
	/* the rest: when the flow starts, binds or leaves */
	uint64_t first_ns;
	uint64_t pending_out, pending_in; /* bytes before the destination was known */
	uint64_t pending_text;          /* client payload bytes before that */
	struct netaddr pair_host;       /* its host (X-Forwarded-For on an egress tap) */
	uint16_t dst_port;              /* its destination port (CONNECT/URI port) */
	bool half_open;                 /* counted against its host's half-open cap */
	uint8_t parser_lost;            /* enum flow_parser_lost */
	bool in_tunnel : 1;             /* past a CONNECT: every client byte tunnels */
	bool sni_read : 1;              /* direct TLS: its ClientHello was read */
	/* evidence_start refused its body or stream, or its part ended:
	 * not asked again per segment (cleared at the next request, body or
	 * part) */
	bool evidence_declined : 1;
	struct evpcap_flow evidence;    /* its packet ring (evidence.lookback) */
};

/* Is seq within 64 KiB (either way) of where the client's stream is, or
 * is that not known? A client FIN/RST, or a segment taking an evicted flow
 * up, must be (RFC 5961 asks as much of RSTs). */
#define FLOW_SEQ_WINDOW 65535u

static inline bool
flow_seq_near(const struct flow *f, uint32_t seq)
{
	uint32_t d = seq - f->next_seq_out;

	return !f->seq_valid || d <= FLOW_SEQ_WINDOW ||
	    (uint32_t)-d <= FLOW_SEQ_WINDOW;
}

struct flow_stats {
	uint64_t created;
	uint64_t active;
	uint64_t expired;     /* idle or closed timeout */
	uint64_t evicted;     /* table full: closed, then unassured, then LRU */
	uint64_t evicted_half_open; /* ... of them, flows without client payload */
	uint64_t half_open_refused; /* not made: the host was at its half-open cap */
	uint64_t resumed;     /* evicted flows taken up again from memory */
};

struct flowtab;

/* Called for a flow that leaves the table, before its slot is reused. */
typedef void (*flow_release_fn)(void *ctx, struct flow *f);

/* half_open_per_host: flows without client payload one host may hold. */
struct flowtab *flowtab_new(size_t capacity, size_t half_open_per_host,
    const struct hash_key *key, flow_release_fn release, void *ctx);
void flowtab_free(struct flowtab *t);

/* The bytes flowtab_new allocates for capacity flows, as flow.c sets
 * them up: its table and the memory of evicted flows (a sixteenth of it,
 * at least 64 or all when smaller), one bucket a flow each; test_limits
 * holds it to what is allocated (pipeline/limits.h). */
uint64_t flowtab_bytes(size_t capacity);

/* Finds the flow; with create, makes it (evicting the LRU if full).
 * Marks it used at ts. NULL only when !create and absent. */
struct flow *flowtab_get(struct flowtab *t, const struct flow_key *k,
    uint64_t ts_ns, bool create, bool *created);
/* Finds the flow of a packet in either direction: k holds the packet's
 * source as "host". *from_host tells whether the packet's source is the
 * flow's host. Marks it used at ts. NULL when absent. */
struct flow *flowtab_find_packet(struct flowtab *t, const struct flow_key *k,
    uint64_t ts_ns, bool *from_host);
/*
 * The same in steps, for a batch of packets: each key's bucket (the same
 * in either direction), a prefetch of the buckets, then of their first
 * flows (returned as hints: NULL, or maybe another key's flow), then the
 * lookup in the bucket. The prefetches only warm the cache: the table may
 * change between them and the lookup.
 */
size_t flowtab_bucket(const struct flowtab *t, const struct flow_key *k);
void flowtab_prefetch_buckets(const struct flowtab *t, const size_t *bucket,
    size_t n);
void flowtab_prefetch_flows(const struct flowtab *t, const size_t *bucket,
    size_t n, const struct flow **first);
struct flow *flowtab_find_packet_at(struct flowtab *t, const struct flow_key *k,
    size_t bucket, uint64_t ts_ns, bool *from_host);
/* flowtab_get with the key's bucket already known (either direction's). */
struct flow *flowtab_get_at(struct flowtab *t, const struct flow_key *k,
    size_t bucket, uint64_t ts_ns, bool create, bool *created);
/* A new connection on the key (the client's SYN): forget an evicted one. */
void flowtab_forget(struct flowtab *t, const struct flow_key *k);
/* May the host start another flow without client payload? False (and
 * counted) when it holds limits.half_open_per_host of them already. */
bool flowtab_may_open(struct flowtab *t, const struct netaddr *host);
/* A new flow its host started (not the far side) that carried no client
 * payload yet: it counts against the host's half-open cap until it does
 * (flowtab_assure), closes or leaves. */
void flowtab_hold_half_open(struct flowtab *t, struct flow *f);
/* The flow carried client payload: it is kept before flows that did not. */
void flowtab_assure(struct flowtab *t, struct flow *f);
/* Its bytes out have just reached FLOW_HEAVY_BYTES: kept before lighter
 * flows (a flow with client payload; see flowtab_assure). */
void flowtab_heavy(struct flowtab *t, struct flow *f);
/* The flow evicted with this key (bucket: flowtab_bucket's), made again as
 * it was (no parser slot; parser_lost when it had one), when the packet
 * continues it: seq (a client TCP segment's; NULL otherwise) within 64 KiB
 * of where the client's stream stopped. NULL when none is remembered (or
 * the segment does not continue it: the memory is kept for one that does). */
struct flow *flowtab_resume_at(struct flowtab *t, const struct flow_key *k,
    size_t bucket, uint64_t ts_ns, const uint32_t *seq);
/* Releases one flow now (a new connection reuses its 5-tuple). */
void flowtab_remove(struct flowtab *t, struct flow *f);
/* Marks a flow closed (moves it to the list with the shorter timeout). */
void flowtab_mark_closed(struct flowtab *t, struct flow *f);
/* Releases flows idle longer than their timeout at now. */
void flowtab_expire(struct flowtab *t, uint64_t now_ns, uint64_t idle_ns,
    uint64_t closed_ns);
/* Releases every flow (end of a replay). */
void flowtab_flush(struct flowtab *t);
void flowtab_get_stats(const struct flowtab *t, struct flow_stats *out);
size_t flowtab_capacity(const struct flowtab *t);
/* Every flow: the open ones, then the closed ones, each least recently
 * used first (the state file: track/state.h). fn must not change the
 * table. */
typedef void (*flow_visit_fn)(void *ctx, const struct flow *f);
void flowtab_foreach(const struct flowtab *t, flow_visit_fn fn, void *ctx);

#endif
