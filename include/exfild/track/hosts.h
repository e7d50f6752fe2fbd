/*
 * hosts.h - the internal hosts seen, in a fixed-capacity table (util/table,
 * least recently active evicted): when each was first and last active (a
 * connection it opened or accepted) and how many connections it opened to
 * the outside and accepted from it. Looked up once per connection, never
 * per packet; rules keep host-scope state by a host's slot id and
 * generation.
 */
#ifndef EXFILD_TRACK_HOSTS_H
#define EXFILD_TRACK_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define HOST_PULL_HOURS 24   /* pulls from crown jewels kept, by hour */
/* A host wakes when a connection follows at least HOST_WAKE_MIN_NS without
 * one; a waking is kept HOST_WAKE_KEEP_NS unless a longer quiet spell
 * ends before (rule dormant-host reads it). */
#define HOST_WAKE_MIN_NS  (3600ULL * NS_PER_SEC)
#define HOST_WAKE_KEEP_NS (86400ULL * NS_PER_SEC)

struct host {
	struct netaddr addr;
	uint32_t gen;             /* bumped when the slot is reused */
	uint64_t first_ns;        /* first connection seen */
	uint64_t last_ns;         /* latest connection seen */
	uint64_t opened;          /* connections it opened to the outside */
	uint64_t accepted;        /* connections opened to it from outside */
	uint64_t woke_ns;         /* its latest waking (0: none) ... */
	uint64_t woke_idle_ns;    /* ... and the quiet spell before it */
	/* bytes it read from crown jewels (networks.crown_jewels), per hour
	 * of the last HOST_PULL_HOURS; pull_hour is the absolute hour of
	 * pull_b[pull_hour % HOST_PULL_HOURS] */
	uint64_t pull_hour;
	uint64_t pull_b[HOST_PULL_HOURS];
	uint64_t pull_last_ns;    /* its latest pull */
	uint8_t pull_jewel;       /* crown jewel of that pull: index + 1 */
};

struct hosttab;
struct hosttab *hosttab_new(size_t capacity, const struct hash_key *key);
/* The bytes hosttab_new allocates for capacity hosts (pipeline/limits.h). */
uint64_t hosttab_bytes(size_t capacity);
void hosttab_free(struct hosttab *t);
/*
 * A connection of host a at ts (opened by the far side when inbound). The
 * host is made if new (evicting the least recently active when full).
 * hint_id, hint_gen: the slot the caller last had for a (a pair's host;
 * any value when none): no look-up while it still holds a. *idle_ns: how
 * long it had been quiet before (since its last connection; for a new
 * host, since since_ns, when observation began). Returns the host; *id its
 * slot.
 */
struct host *hosts_connection(struct hosttab *t, const struct netaddr *a,
    uint32_t hint_id, uint32_t hint_gen, bool inbound, uint64_t ts_ns,
    uint64_t since_ns, uint64_t *idle_ns, uint32_t *id);
/*
 * A connection of host a is coming: its hash bucket is fetched into the
 * cache now (and the hash kept), then, with hosts_prefetch_entry once
 * other work has given the bucket time to arrive, the entry it leads to.
 * Hints only: hosts_connection finds the host either way.
 */
void hosts_prefetch(struct hosttab *t, const struct netaddr *a);
void hosts_prefetch_entry(const struct hosttab *t);
/* The host read n bytes from crown jewel `jewel` (index) at ts. */
void hosts_pull(struct host *h, unsigned jewel, uint64_t n, uint64_t ts_ns);
/* Bytes it read from crown jewels within the `within` before now (whole
 * hours: the hour of now and the hours before it, at most
 * HOST_PULL_HOURS). */
uint64_t hosts_pulled(const struct host *h, uint64_t now_ns, uint64_t within_ns);
/* The host in slot id if it still has generation gen, else NULL. */
struct host *hosts_get(struct hosttab *t, uint32_t id, uint32_t gen);
size_t hosttab_capacity(const struct hosttab *t);

/* The state file (track/state.h). Each host, least recently active first. */
typedef void (*hosts_visit_fn)(void *ctx, uint32_t id, const struct host *h);
void hosts_foreach(const struct hosttab *t, hosts_visit_fn fn, void *ctx);
/* The host of an address, untouched (*id its slot), or NULL. */
struct host *hosts_find(struct hosttab *t, const struct netaddr *a,
    uint32_t *id);
/* A saved host put back as the most recently active (evicting the least
 * when full; an address already in is overwritten). Returns it. */
struct host *hosts_restore(struct hosttab *t, const struct host *saved,
    uint32_t *id);

#endif
