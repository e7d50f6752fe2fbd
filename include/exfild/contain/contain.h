/*
 * contain.h - containment (contain:, issue 15): an alert of a listed rule
 * blocks its destination address, in an nftables set with a timeout that
 * doubles on each repeat up to contain.max_timeout (catch-and-release, as
 * Zeek's NetControl does), or by running contain.exec with the alert's
 * JSON on stdin. Never an address that is unknown, on contain.never,
 * special (loopback, multicast, ...), internal, a proxy, at home or
 * familiar; never more than
 * contain.max_per_minute blocks or runs a minute. The alert says what
 * was done in its "contained" field. Synchronous: made at alert time.
 */
#ifndef EXFILD_CONTAIN_H
#define EXFILD_CONTAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/alert/alert.h"
#include "exfild/config/config.h"
#include "exfild/contain/hook.h"

/* Addresses blocked before, remembered with their count (a fixed table:
 * the least recently blocked is forgotten when it is full). */
#define CONTAIN_HISTORY 1024

struct contain_stats {
	uint64_t blocked;  /* elements added, hook runs that exited 0 */
	uint64_t skipped;  /* not blocked: one of the reasons below, or the
			    * rate limit */
	uint64_t errors;   /* nft refused, the hook failed or could not run */
	uint64_t rate_limited; /* (of skipped) over contain.max_per_minute */
};

/* What blocks, and the clocks: the real ones (contain_new with NULL),
 * or a test's. Each returns 0, or -1 with err. now_ns is the wall clock
 * (only for the "until" shown), mono_ns the monotonic one (the rate
 * limit, the hook-time budget, when a block ends). */
struct contain_ops {
	int (*nft_add)(void *ctx, const char *family, const char *table,
	    const char *set, const struct netaddr *addr, uint64_t timeout_ms,
	    char *err, size_t errlen);
	int (*exec)(void *ctx, const char *path, const char *input, size_t len,
	    uint64_t timeout_ms, struct hook_result *r, char *err, size_t errlen);
	uint64_t (*now_ns)(void *ctx);
	uint64_t (*mono_ns)(void *ctx);
	void *ctx;
};

struct contain;

/* cfg->contain_enabled must be true. ops NULL: nf_tables netlink (its
 * socket opened here unless contain.exec is set) and hook_run. NULL with
 * err when the socket cannot be made. cfg must outlive it (or be replaced
 * with contain_apply_config). */
struct contain *contain_new(const struct config *cfg,
    const struct contain_ops *ops, char *err, size_t errlen);
void contain_free(struct contain *c);
/* A reload: the new settings; the history and the rate stay. With
 * contain.enabled off in cfg, contain_alert does nothing from now on. */
void contain_apply_config(struct contain *c, const struct config *cfg);

/*
 * An alert: when its rule is in contain.rules, blocks its destination or
 * says why not, in a->contained: "nft set SET until RFC3339", "exec PATH
 * exit N", or "skipped (REASON)", REASON one of unknown, never, special
 * (loopback, multicast, broadcast, link-local, unspecified), internal,
 * proxy, home, familiar (checked in that order), rate-limited, error.
 * An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is judged and blocked
 * as its IPv4 address. An address whose block has not ended is not added
 * again: the alert says that block ("nft set SET until" its end), with no
 * token taken and no count. Other rules' alerts, and all alerts once a
 * reload turned contain.enabled off, are left as they are (contained "").
 * familiar: the baseline's verdict on the destination.
 */
void contain_alert(struct contain *c, struct alert *a, bool familiar);

void contain_get_stats(const struct contain *c, struct contain_stats *out);

/* The timeout of an address's block after `blocks` earlier ones:
 * timeout x 2^blocks, at most max. */
uint64_t contain_timeout_s(uint64_t timeout, uint64_t max, uint32_t blocks);

/* The memory one contain holds (the history table), for limits.c. */
uint64_t contain_bytes(void);

#endif
