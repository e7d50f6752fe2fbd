/*
 * evpcap.h - the pcap of each pair under evidence (evidence.lookback):
 * when a rule fires for a pair, its evidence directory gets packets.pcap;
 * each of the pair's flows first writes the packets its ring still holds
 * (the last evidence.lookback, pktring.h) and then every packet until the
 * pair's evidence ends (its alert's suppression). Every packet of every
 * flow goes into the ring: one copy a packet. A fixed table of open
 * files; a full one closes its oldest. Packets the ring no longer held
 * are counted as missing, never made up. A file no packet came to (the
 * pair's flows had ended before its alert) is removed at its close.
 */
#ifndef EXFILD_EVPCAP_H
#define EXFILD_EVPCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/evidence/pktring.h"

/* Where the pcaps report to (the evidence stage, evidence.h): charge
 * takes `bytes` about to be written under evidence.dir (evidence.max_total;
 * false: no room, do not write); closed hears of a file that ended (its
 * path, frames, file bytes, and the packets before it its flows' rings no
 * longer held). Either may be NULL. */
struct evpcap_sink {
	bool (*charge)(void *ctx, uint64_t bytes);
	void (*closed)(void *ctx, const char *path, uint64_t frames,
	    uint64_t bytes, uint64_t missing);
	void *ctx;
};

struct evpcap_stats {
	uint64_t files;           /* pcaps opened */
	uint64_t frames;          /* frames written */
	uint64_t bytes;           /* file bytes */
	uint64_t lookback_frames; /* of the frames, from the rings */
	uint64_t missing;         /* flows' packets before the file that the
				   * rings no longer held */
	uint64_t cut;             /* frames not written: max_bytes or no room */
	uint64_t errors;          /* files that could not be made or written */
	uint64_t closed_full;     /* closed early: the table was full */
	uint64_t empty;           /* closed without a frame: removed */
};

/* A flow's part: its newest ring record and which evidence pcap has had
 * its lookback (0: none). In struct flow; zero for a new flow. */
struct evpcap_flow {
	uint64_t ring_last;
	uint32_t sent_serial;
};

struct evpcap;

/* NULL when it cannot be allocated or the arguments are out of range
 * (pktring_new's; capacity >= 1). max_bytes: a file's bytes at most. */
struct evpcap *evpcap_new(size_t ring_bytes, unsigned lookback,
    size_t capacity, uint64_t max_bytes);
void evpcap_set_sink(struct evpcap *e, const struct evpcap_sink *sink);
void evpcap_free(struct evpcap *e);
uint64_t evpcap_bytes(size_t ring_bytes, size_t capacity);

/* The pair (id, gen) is under evidence until until_ns: packets.pcap in
 * dir (made by the caller). Again for a pair already open: only the end
 * moves. False when the file could not be made (logged, counted). */
bool evpcap_open(struct evpcap *e, uint32_t pair_id, uint32_t pair_gen,
    const char *dir, uint64_t until_ns);

/* A packet of a flow: into the ring; and into its pair's pcap when the
 * caller says the pair is under evidence (the pair's evidence_until_ns,
 * one comparison on the packet path). flow_packets: the flow's packets
 * so far, this one included (what its ring could not give is missing). */
void evpcap_packet(struct evpcap *e, struct evpcap_flow *fl,
    const struct pktring_frame *fr, bool under_evidence, uint32_t pair_id,
    uint32_t pair_gen, uint64_t flow_packets);

/* Closes the files whose evidence ended by now_ns (all: UINT64_MAX). */
void evpcap_tick(struct evpcap *e, uint64_t now_ns);

void evpcap_get_stats(const struct evpcap *e, struct evpcap_stats *out);

#endif
