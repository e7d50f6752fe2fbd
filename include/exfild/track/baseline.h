/*
 * baseline.h - the destinations this network already talks to. A
 * destination (a host name seen through a proxy, else an address) is
 * familiar when it was first seen during the learning period or matches
 * baseline.allow; one first seen later stays unfamiliar however much it is
 * used, so a suspect cannot make its own destination familiar. Fixed
 * capacity (least recently seen unfamiliar entries go first); saved
 * atomically (temp file, fsync, rename) and loaded at start.
 */
#ifndef EXFILD_BASELINE_H
#define EXFILD_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define DEST_NAME_MAX 256
/* The destination of proxied bytes whose real one could not be named:
 * never familiar, no address, no country (see track/conn.c). */
#define DEST_UNIDENTIFIED "(unidentified via proxy)"

/* What a look-up, a binding and a flow's touch read comes first: with the
 * name's first 27 bytes, in one cache line. */
struct dest {
	uint32_t gen;               /* bumped when the slot is reused */
	bool familiar;              /* learned or allowed */
	bool allowed;               /* matched baseline.allow */
	bool unidentified;          /* DEST_UNIDENTIFIED: never familiar */
	uint64_t last_seen_ns;
	struct netaddr addr;        /* last known address (may be unset) */
	char name[DEST_NAME_MAX];   /* "" when the destination is an address */
	uint64_t first_seen_ns;
	uint64_t lookup_version;    /* names table version at a name's last failed
				     * address look-up, plus 1 (0: none failed) */
};

struct baseline_stats {
	uint64_t destinations, familiar, evictions;
	uint64_t not_loaded; /* the last file's destinations beyond the
			      * capacity (limits.destinations): left out */
};

struct baseline;
struct baseline *baseline_new(size_t capacity, const struct config *cfg,
    const struct hash_key *key);
/* The bytes baseline_new allocates for capacity destinations (the table,
 * and the order it sorts them in at a save: pipeline/limits.h). */
uint64_t baseline_bytes(size_t capacity);
void baseline_free(struct baseline *b);
/* New learn period and allow list (SIGHUP); re-evaluates "allowed". */
void baseline_apply_config(struct baseline *b, const struct config *cfg);
/* The autonomous system of an address (0: unknown), for baseline.allow's
 * AS<number> entries: asked when an address-only destination is first
 * seen and at baseline_apply_config. Without one, they match nothing. */
typedef uint32_t (*baseline_asn_fn)(void *ctx, const struct netaddr *a);
void baseline_set_asn_lookup(struct baseline *b, baseline_asn_fn fn,
    void *ctx);

/*
 * Record that a destination is used at ts. A destination with a name is
 * keyed by the name (addr is kept as its last known address); without a
 * name, by addr. The first call ever starts the learning period.
 * Returns the slot id; *out points into the table (valid until the next
 * observe call). UINT32_MAX and *out = NULL when there is neither a name
 * nor an address.
 */
uint32_t baseline_observe(struct baseline *b, const char *name,
    const struct netaddr *addr, uint64_t ts_ns, struct dest **out);
/* A destination in use at ts (traffic on a flow bound to it): updates
 * last_seen and keeps it from eviction, without a lookup. */
void baseline_touch(struct baseline *b, uint32_t id, uint32_t gen, uint64_t ts_ns);
/* What baseline_touch of slot id will read first, fetched into the cache
 * (a hint). */
void baseline_prefetch(const struct baseline *b, uint32_t id);
/* The slot if it still holds generation gen, else NULL. */
struct dest *baseline_get(struct baseline *b, uint32_t id, uint32_t gen);
uint64_t baseline_learn_start_ns(const struct baseline *b);
/* Starts the learning period at ts unless it has started already (the
 * pipeline calls it with the first packet's time). */
void baseline_start_learning(struct baseline *b, uint64_t ts_ns);

/*
 * The rest of the state (track/state.h) travels in the same file, after
 * the destinations: write adds its lines (each starting with a lowercase
 * word); read is given each such line twice, first to check it (apply
 * false: nothing may change), then, once every destination is in, to
 * apply it. Either returns 0, or -1 with a message for "file:line: ".
 */
struct cursor;
struct baseline_extra {
	int (*write)(void *ctx, FILE *fp);
	int (*read)(void *ctx, const struct cursor *line, bool apply, char *msg,
	    size_t msglen);
	void *ctx;
};

/* Missing file: 0 and an empty table. -1 with "file:line: message" (the
 * table is then empty; what x applied is the caller's to undo). x may be
 * NULL: destinations only. A file with more destinations than the
 * capacity loads the most recently seen, with a warning naming both
 * numbers (the rest are counted in baseline_stats.not_loaded). */
int baseline_load(struct baseline *b, const char *path,
    const struct baseline_extra *x, char *err, size_t errlen);
int baseline_save(const struct baseline *b, const char *path,
    const struct baseline_extra *x, char *err, size_t errlen);

/* A destination as the state file names it: "<addr|-> <name|->". */
struct dest_ref {
	struct netaddr addr;
	char name[DEST_NAME_MAX];
};
int baseline_write_ref(FILE *fp, const struct dest *d);
/* The two fields; -1 with msg when they are not a destination. */
int baseline_parse_ref(const struct cursor *addr, const struct cursor *name,
    struct dest_ref *out, char *msg, size_t msglen);
/* The destination of a ref in the table now, without touching it: its
 * slot and generation; false when it is not there. */
bool baseline_find_ref(struct baseline *b, const struct dest_ref *r,
    uint32_t *id, uint32_t *gen);
/* Each destination, least recently seen first (either list). */
typedef void (*baseline_visit_fn)(void *ctx, uint32_t id, const struct dest *d);
void baseline_foreach(const struct baseline *b, baseline_visit_fn fn, void *ctx);
void baseline_get_stats(const struct baseline *b, struct baseline_stats *out);

#endif
