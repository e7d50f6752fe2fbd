/*
 * pktring.h - the last packets of every flow, kept for the pcap of a pair
 * that alerts (evidence.lookback). One fixed arena written in a circle:
 * each record holds a frame as captured (cut at PKTRING_SNAP bytes) and
 * the position of its flow's previous record, so a flow keeps only the
 * position of its newest record (8 bytes). A record is good while the
 * arena has not come round over it; a walk stops at the first one that
 * is gone, so what it gives is always what was captured, never stale
 * bytes. No allocation after pktring_new; O(1) a packet (one copy).
 */
#ifndef EXFILD_PKTRING_H
#define EXFILD_PKTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKTRING_SNAP 65535u     /* a frame's bytes kept at most */
#define PKTRING_LOOKBACK_MAX 1024u
#define PKTRING_MIN_BYTES (1u << 20)

/* A frame as the capture gave it. */
struct pktring_frame {
	uint64_t ts_ns;
	int linktype;             /* the capture's link type (pcap LINKTYPE_) */
	uint32_t caplen, wirelen;
	const uint8_t *data;      /* caplen bytes */
};

struct pktring_stats {
	uint64_t records;         /* frames written */
	uint64_t bytes;           /* their bytes, headers included */
	uint64_t wraps;           /* times the arena came round */
};

struct pktring;

/* An arena of `bytes` (at least PKTRING_MIN_BYTES; rounded down to 8),
 * walks giving at most lookback records (1..PKTRING_LOOKBACK_MAX).
 * NULL when it cannot be allocated or the arguments are out of range. */
struct pktring *pktring_new(size_t bytes, unsigned lookback);
void pktring_free(struct pktring *r);
/* The bytes pktring_new allocates for an arena of `bytes`. */
uint64_t pktring_bytes(size_t bytes);

/* Writes the frame as the newest record of the flow whose newest record
 * is *last (0: none) and sets *last to it. */
void pktring_put(struct pktring *r, uint64_t *last,
    const struct pktring_frame *fr);

/* Called for each record of a walk, oldest first. */
typedef void (*pktring_fn)(void *ctx, const struct pktring_frame *fr);
/* The flow's newest records, at most lookback, oldest first, from last
 * (its newest record's position) back to the first one gone. Returns how
 * many were given. */
size_t pktring_walk(const struct pktring *r, uint64_t last, pktring_fn fn,
    void *ctx);

void pktring_get_stats(const struct pktring *r, struct pktring_stats *out);

#endif
