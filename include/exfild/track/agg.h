/*
 * agg.h - per-(internal host, destination) aggregates: totals since first
 * seen, bytes per payload kind, and a sliding window (a ring of
 * AGG_BUCKETS buckets spanning rules.window) with running sums so that a
 * rule reads the window in O(1). Fixed capacity, least recently used pair
 * evicted when full. Rule state and suppression live in the rule engine
 * (detect/engine.h), by the pair's slot id and generation, so new rules do
 * not grow this struct.
 */
#ifndef EXFILD_AGG_H
#define EXFILD_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/proto/classify.h"
#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define AGG_BUCKETS 8
#define AGG_NONE UINT32_MAX

struct agg_bucket {
	uint64_t out, in, compressed;
	uint64_t flows;
};

/* What every packet of a pair reads and writes comes first, in two cache
 * lines, so that a prefetch of those brings most of its work in. */
struct pair {
	uint32_t gen;             /* bumped when the slot is reused */
	bool used;
	/* The destination is familiar, or located at home: no rule that
	 * wants unfamiliar foreign destinations can fire for this pair until
	 * the baseline or geo settings change (a reload clears it). Saves
	 * evaluating every packet of a large benign upload. */
	bool benign;
	bool via_proxy;
	/* The opposite, settled: unfamiliar, and foreign with a known
	 * country (until a reload); the rules' inputs need no look-up. */
	bool suspect;
	uint8_t jewel;            /* the destination is a crown jewel (index +
				   * 1): its bytes in are the host's pulls */
	bool watched;             /* its closing buckets go to the bucket
				   * hook (agg_set_bucket_hook) */
	uint16_t dst_port;        /* last destination port used */
	country_t country;        /* COUNTRY_UNKNOWN until resolved */
	/* sliding window */
	uint64_t newest_bucket;   /* absolute bucket number of b[newest % N] */
	uint64_t bucket_end_ns;   /* where the newest bucket ends (no division
				   * while packets stay inside it) */
	uint64_t last_ns;
	uint64_t lru_ns;          /* packet time of the last LRU relink (private) */
	uint64_t total_out, total_in;
	uint64_t next_eval_out;   /* total_out at which the rules asked at byte
				   * milestones are asked next (track.c; 0: at
				   * once, UINT64_MAX: none is enabled) */
	struct agg_bucket win;    /* running sum of b[] */
	uint64_t kind_bytes[PK_COUNT]; /* client payload bytes per kind, total */
	/* The buckets. Traffic adds to win only: the newest bucket's slot is
	 * written when the window moves past it (its counts until then are
	 * win less the others; agg_buckets gives all eight). */
	struct agg_bucket b[AGG_BUCKETS];
	/* the rest: when the pair is found, made or alerts */
	struct netaddr host;      /* internal host */
	uint32_t dest_id, dest_gen; /* baseline destination */
	uint64_t first_ns;
	uint64_t total_flows;
	uint64_t total_served;    /* bytes the host sent on connections the far
				   * side opened (a server answering): not
				   * uploads, counted apart */
	uint32_t host_id, host_gen; /* its internal host (hosts.h), AGG_NONE
				     * until a connection of it was seen */
	uint32_t learn_day;       /* UTC day + 1 of its last note to the
				   * learning baseline (track.c): once a day */
	uint32_t evidence_until_s; /* its alert's evidence is kept until this
				    * input time (Unix seconds; 0: none), see
				    * evidence/evidence.h (in the padding) */
};

struct agg_stats {
	uint64_t created, active, evicted;
};

struct aggtab;
struct aggtab *aggtab_new(size_t capacity, uint64_t window_ns,
    const struct hash_key *key);
/* The bytes aggtab_new allocates for capacity pairs (pipeline/limits.h). */
uint64_t aggtab_bytes(size_t capacity);
void aggtab_free(struct aggtab *t);
/* New window length (SIGHUP): each pair's window sum is kept, moved into
 * its newest bucket (it ages out as one lump in the new width). */
void aggtab_set_window(struct aggtab *t, uint64_t window_ns);
uint64_t aggtab_window_ns(const struct aggtab *t);

/* Find or create the pair; *id receives its slot. */
struct pair *agg_get(struct aggtab *t, const struct netaddr *host,
    uint32_t dest_id, uint32_t dest_gen, uint64_t ts_ns, uint32_t *id);
/* The pair if it exists (nothing made, nothing touched); *id its slot. */
struct pair *agg_find(struct aggtab *t, const struct netaddr *host,
    uint32_t dest_id, uint32_t dest_gen, uint32_t *id);
/* The slot id of a pair of this table. */
uint32_t agg_pair_id(const struct aggtab *t, const struct pair *p);
/* The pair in slot id if it still has generation gen, else NULL. */
struct pair *agg_by_id(struct aggtab *t, uint32_t id, uint32_t gen);

/* The pair's buckets as they stand, the newest one included (see b). */
void agg_buckets(const struct pair *p, struct agg_bucket out[AGG_BUCKETS]);
/* Moves the window forward to ts (old buckets drop out of the sums). */
void agg_advance(struct aggtab *t, struct pair *p, uint64_t ts_ns);
void agg_add_bytes(struct aggtab *t, struct pair *p, uint64_t ts_ns,
    uint64_t out, uint64_t in);
void agg_add_kind(struct aggtab *t, struct pair *p, uint64_t ts_ns,
    enum payload_kind kind, uint64_t bytes);
void agg_add_flow(struct aggtab *t, struct pair *p, uint64_t ts_ns);

/* Called when a watched pair's newest bucket closes (the window moves
 * past it) with the bucket's number (time / bucket width) and counts:
 * once per bucket width at most, per watched pair with traffic. */
typedef void (*agg_bucket_fn)(void *ctx, const struct pair *p,
    uint64_t bucket, const struct agg_bucket *b);
void agg_set_bucket_hook(struct aggtab *t, agg_bucket_fn fn, void *ctx);

typedef void (*agg_visit_fn)(void *ctx, const struct pair *p);
void agg_foreach(const struct aggtab *t, agg_visit_fn fn, void *ctx);
/* Pairs with traffic at or after since_ns (newest first; a pair may be
 * visited that is up to a second older: the LRU is relinked that coarsely). */
typedef void (*agg_update_fn)(void *ctx, struct pair *p);
void agg_foreach_recent(struct aggtab *t, uint64_t since_ns, agg_update_fn fn,
    void *ctx);
/* A config reload: what was settled under the old geo and baseline (the
 * "benign" verdict, and with countries_too the country) is worked out
 * again; the end of learning and new indicator lists keep the countries. */
void aggtab_reset_verdicts(struct aggtab *t, bool countries_too);
void agg_get_stats(const struct aggtab *t, struct agg_stats *out);
/* Where the pair's window now begins: the start of its oldest bucket, or
 * the pair's first traffic when that came later. */
uint64_t agg_window_start(const struct aggtab *t, const struct pair *p);
/* The width of a window bucket now (rules.window / AGG_BUCKETS). */
uint64_t aggtab_bucket_ns(const struct aggtab *t);
/*
 * The state file (track/state.h): a saved pair put back as the most
 * recently used, under its destination's slot in this run. What is saved
 * is its history (totals, kinds, window buckets numbered in width
 * bucket_ns, the next byte milestone, via_proxy, jewel, port); verdicts
 * and the country are worked out again, the window sums recomputed, and a
 * window saved in another width kept as one lump. *id its slot.
 */
struct pair *agg_restore(struct aggtab *t, const struct pair *saved,
    uint64_t bucket_ns, uint32_t *id);

#endif
