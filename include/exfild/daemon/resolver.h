/*
 * resolver.h - asynchronous A/AAAA lookups of destination names for the
 * live daemon, with libevent's evdns (RFC 1035 queries over UDP). Bounded:
 * a fixed in-flight array and a direct-mapped "asked recently" table, both
 * allocated by resolver_new; nothing is allocated per lookup but what evdns
 * allocates for a request in flight.
 */
#ifndef EXFILD_RESOLVER_H
#define EXFILD_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

struct event_base;

#define RESOLVER_DEFAULT_MAX_INFLIGHT	64
#define RESOLVER_DEFAULT_RECENT_SLOTS	4096
#define RESOLVER_DEFAULT_RETRY_NS	(300 * NS_PER_SEC)
#define RESOLVER_DEFAULT_TIMEOUT_MS	5000
#define RESOLVER_DEFAULT_ATTEMPTS	2
#define RESOLVER_MAX_INFLIGHT		1024
#define RESOLVER_MAX_RECENT_SLOTS	(1u << 20)
#define RESOLVER_MAX_TIMEOUT_MS		60000
#define RESOLVER_MAX_ATTEMPTS		10

/* A zero number means its RESOLVER_DEFAULT_*. */
struct resolver_opts {
	const char *nameserver;	/* "127.0.0.1:5353", "[::1]:53"; NULL: resolv_conf */
	const char *resolv_conf; /* nameserver lines from here; NULL: /etc/resolv.conf */
	const struct hash_key *key; /* of the recent table; NULL: random */
	size_t max_inflight;	/* names being looked up at once, 1..1024 */
	size_t recent_slots;	/* "asked recently" table, rounded up to a power of 2 */
	uint64_t retry_ns;	/* a name is not asked again within this */
	uint32_t timeout_ms;	/* per query attempt, 1..60000 */
	uint32_t attempts;	/* sends of one query before it times out, 1..10 */
};

/*
 * An answer: name lowercased without a trailing dot, the first address of
 * the A answer, or of the AAAA answer when the name has no A record (AAAA
 * is asked only then), and the answer's TTL in seconds. Names that end
 * without an address (NXDOMAIN, no data, timeout, server failure) are only
 * counted. Called from the event loop; fn may call resolver_lookup or
 * resolver_free.
 */
typedef void (*resolver_answer_fn)(void *ctx, const char *name,
    const struct netaddr *addr, uint32_t ttl);

struct resolver;

/*
 * Asks opts->nameserver, or the nameserver lines of opts->resolv_conf (its
 * "options timeout:/attempts:" are overridden by opts; search domains and
 * the hosts file are not used: names are asked as they are). NULL with err
 * set ("resolver: /etc/resolv.conf: cannot open", "...: no nameserver
 * line", "resolver: nameserver \"x\": not an address or address:port",
 * "resolver: max_inflight 5000 out of range 1..1024", ...). Start-up only.
 */
struct resolver *resolver_new(struct event_base *base,
    const struct resolver_opts *opts, resolver_answer_fn fn, void *ctx,
    char *err, size_t errlen);

/*
 * Starts looking up name (the caller's string need not outlive the call).
 * 0: asked. 1: skipped, asked within retry_ns or in flight (counted
 * skipped_recent). -1: refused, counted as refused_busy when max_inflight
 * names are in flight, as invalid_names when name is not a host name
 * (letters, digits, '-', '_'; labels of 1..63 separated by '.', one
 * trailing '.' allowed, at most 253 bytes; last label not all digits, so
 * never an IP literal), as asked and failed when evdns refuses the query.
 * now_ns is a monotonic clock. Never blocks, never allocates itself.
 */
int resolver_lookup(struct resolver *r, const char *name, uint64_t now_ns);

/* asked == answered + failed + inflight. */
struct resolver_stats {
	uint64_t asked, answered, failed, skipped_recent, refused_busy,
	    invalid_names, inflight;
};
void resolver_get_stats(const struct resolver *r, struct resolver_stats *out);

/*
 * Drops the lookups in flight: fn is not called again, and an answer that
 * evdns had already queued when this is called is discarded unseen. May be
 * called from fn. NULL is accepted.
 */
void resolver_free(struct resolver *r);

#endif
