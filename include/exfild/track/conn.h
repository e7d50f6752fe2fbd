/*
 * conn.h - from a decoded packet to traffic events: roles (the internal
 * host, a configured proxy, the far side), the flow table, TCP order and
 * close, the application parsers (HTTP requests, TLS SNI) that name a
 * proxied flow's real destination, later IP fragments, and DNS answers for
 * the names table. Each packet becomes an event handed to the binding
 * stage (track.h) through the flow's binding. No allocation per packet.
 */
#ifndef EXFILD_TRACK_CONN_H
#define EXFILD_TRACK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/decode/decode.h"
#include "exfild/enrich/names.h"
#include "exfild/evidence/evpcap.h"
#include "exfild/proto/proto_http.h"
#include "exfild/proto/proto_tls.h"
#include "exfild/track/flow.h"
#include "exfild/track/state.h"
#include "exfild/track/track.h"

struct conn_stats {
	struct http_stats http;
	uint64_t not_tracked;      /* internal-to-internal, transit, non-TCP/UDP */
	uint64_t not_destination;  /* packets whose far end is multicast,
				    * broadcast, link-local or unspecified */
	uint64_t fragments_counted;   /* later fragments credited to their flow */
	uint64_t fragments_by_address; /* ... credited to (host, address) instead */
	uint64_t fragments_unmatched; /* ... that could not be placed at all */
	uint64_t flowless_tcp;     /* bare ACK/FIN/RST outside any tracked flow */
	uint64_t tcp_close_ignored; /* client FIN/RST far from the expected seq */
	uint64_t tls_sni, tls_no_sni, tls_malformed;
	uint64_t dns_answers, dns_malformed;
	uint64_t dns_untrusted;    /* answers from outside networks.resolvers */
	uint64_t proxy_unidentified; /* proxy flows whose destination stayed unknown
				      * (their bytes: DEST_UNIDENTIFIED) */
	uint64_t xff_not_internal; /* X-Forwarded-For addresses not used */
	uint64_t parser_slots_exhausted; /* no slot at all (limits.app_parsers) */
	uint64_t parser_slots_reclaimed; /* least recently used taken for another */
};

/* Packets in a batch, at most. */
#define CONN_BATCH_MAX 16

struct conntrack;
/* NULL with err when the tables cannot be allocated (see limits:). */
struct conntrack *conn_new(const struct config *cfg, const struct hash_key *key,
    struct tracker *track, struct names *names, char *err, size_t errlen);
void conn_free(struct conntrack *c);
/* The bytes conn_new allocates for n parser slots (limits.app_parsers):
 * an HTTP or a TLS parser each, as conn.c's union app_parser holds them,
 * its links and its flow; test_limits holds it to what is allocated
 * (pipeline/limits.h). */
uint64_t conn_parser_bytes(size_t n);
/* A reload: networks apply to flows that start afterwards. */
void conn_apply_config(struct conntrack *c, const struct config *cfg);
/* Bodies, parts and streams go to ev from now on (NULL: none); stays
 * the caller's. */
struct evidence;
void conn_set_evidence(struct conntrack *c, struct evidence *ev);

/* One decoded packet. */
void conn_packet(struct conntrack *c, const struct packet *pkt);
/* A batch of decoded packets (those with ok[i]), with the same effects as
 * conn_packet on each in turn; their table look-ups overlap. At most
 * CONN_BATCH_MAX are taken. */
void conn_batch(struct conntrack *c, const struct packet *pkts, const bool *ok,
    size_t n);
/* The HTTP request the flow's parser holds (its head read: method, URI,
 * User-Agent, a part's filename), for an alert the flow's packet raised;
 * NULL when it holds none (not HTTP, or between requests: the parser's
 * slot given back). Read at once: the slot goes to another flow later. */
const struct http_request *conn_flow_request(const struct conntrack *c,
    const struct flow *f);
/* Time passes: expire idle flows (and close the evidence pcaps whose
 * evidence ended). */
void conn_tick(struct conntrack *c, uint64_t now_ns);

/* Evidence pcaps (evidence.lookback > 0, evpcap.h): at most this many
 * pairs' pcaps open at once. */
#define CONN_EVIDENCE_PCAPS 64
/* The bytes conn_new allocates for them (0: evidence or lookback off). */
uint64_t conn_evidence_bytes(const struct config *cfg);
/* The pair (id, gen) alerted: its packets into DIR/packets.pcap until
 * until_ns, each flow's lookback first. False when there is no ring or the
 * file could not be made (logged). */
bool conn_evidence_pcap(struct conntrack *c, uint32_t pair_id,
    uint32_t pair_gen, const char *dir, uint64_t until_ns);
/* The pcaps' counters (out left as it is when there is no ring). */
void conn_evidence_stats(const struct conntrack *c, struct evpcap_stats *out);
/* End of input: release every flow. */
void conn_finish(struct conntrack *c);
void conn_get_stats(const struct conntrack *c, struct conn_stats *out,
    struct flow_stats *flows);
/* The flows in progress in the state file, after the tracker's records
 * (track/state.h): a restart takes a connection up where it was, its
 * destination, pair, payload kind and parser state. */
void conn_state_hooks(struct conntrack *c, struct track_state_more *out);

#endif
