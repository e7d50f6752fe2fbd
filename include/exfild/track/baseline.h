/*
 * baseline.h - the destinations this network already talks to. A
 * destination (a host name seen through a proxy, else an address) is
 * familiar when it matches baseline.allow or, once the learning period is
 * over, when one of its keys (its address, its name, its registered
 * domain, its autonomous system: baseline.familiar_by) was used during
 * learning by baseline.min_hosts internal hosts or on baseline.min_days
 * days (track/prevalence.h), not counting hosts whose traffic to it
 * alerted. Nothing is learned after the period, however much it is used,
 * and nothing but the allow list is familiar during it. Fixed capacity
 * (least recently seen unfamiliar entries go first); saved atomically
 * (temp file, fsync, rename) and loaded at start.
 */
#ifndef EXFILD_BASELINE_H
#define EXFILD_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/config/config.h"
#include "exfild/track/prevalence.h"
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
	uint64_t learned;      /* familiar by what learning saw (not allowed) */
	uint64_t learning;     /* 1: the learning period is under way */
	uint64_t learn_start_ns, learn_end_ns; /* 0, 0: not begun */
	uint64_t learn_end_s;  /* learn_end_ns in seconds (the metrics) */
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
/* learn_start + baseline.learn; 0 before learning has begun. */
uint64_t baseline_learn_end_ns(const struct baseline *b);
/* The tracker says when learning is over (its clock is the input's); the
 * destinations are judged again when that changes. */
void baseline_set_learning_over(struct baseline *b, bool over);
bool baseline_learning_over(const struct baseline *b);
/*
 * Learning: host used d at ts (a connection it opened); label, for an
 * address, the name the host resolved it by in DNS (or NULL). Each of the
 * destination's keys counts the host and the day.
 */
void baseline_note(struct baseline *b, const struct dest *d, const char *label,
    const struct netaddr *host, uint64_t ts_ns);
/* host's traffic to d raised an alert: it counts for none of d's keys. */
void baseline_alerted(struct baseline *b, const struct dest *d,
    const char *label, const struct netaddr *host, uint64_t ts_ns);
/* An address destination reached by a name resolved in DNS (label) is
 * familiar by that name or its registered domain (familiar_by allowing). */
bool baseline_label_familiar(struct baseline *b, const struct dest *d,
    const char *label);

/* Why a destination is familiar or not. */
enum verdict_why {
	VERDICT_UNIDENTIFIED,  /* DEST_UNIDENTIFIED */
	VERDICT_ALLOWED,       /* baseline.allow */
	VERDICT_LEARNED,       /* key, count: the key that made it familiar */
	VERDICT_LEARNING,      /* learning under way: nothing is familiar yet */
	VERDICT_NOT_PREVALENT, /* used while learning, not widely enough */
	VERDICT_UNSEEN,        /* not used while learning */
};
struct baseline_verdict {
	bool familiar;
	enum verdict_why why;
	bool have_count;       /* key and count hold its widest use */
	struct prev_key key;
	struct prev_count count;
};
void baseline_verdict(struct baseline *b, const struct dest *d,
    const char *label, struct baseline_verdict *v);
/* The verdict in words: "learned: registered domain example.com used by 3
 * hosts on 2 days". */
void baseline_verdict_text(const struct baseline *b,
    const struct baseline_verdict *v, char *out, size_t outlen);
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
/* exfild --baseline: the loaded file (path, for the heading) as a table
 * for people: RFC 3339 times, names with their bytes escaped, familiar or
 * not and why, then what learning saw. Learning counts as over when it
 * ended before the newest record. 0, or -1 on a write error. */
int baseline_print(struct baseline *b, const char *path, FILE *fp);

#endif
