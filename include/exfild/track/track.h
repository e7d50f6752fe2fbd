/*
 * track.h - the binding stage: every traffic event (event.h), from a
 * packet's flow or a log line, goes through one path to its (internal
 * host, destination) pair: the destination is observed in the baseline,
 * the pair found or made, its country resolved, bytes and payload kinds
 * added to its windows, and, when the host sent bytes, the rules asked
 * (detect/engine.h). A flow keeps its binding (pair and destination slot
 * ids with generations) so that its later packets skip the look-ups.
 */
#ifndef EXFILD_TRACK_TRACK_H
#define EXFILD_TRACK_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/detect/engine.h"
#include "exfild/enrich/geo.h"
#include "exfild/enrich/indicators.h"
#include "exfild/enrich/names.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/event.h"
#include "exfild/track/flow.h"
#include "exfild/track/hosts.h"

/* A rule fired for a pair: what an alert is made of. */
struct detection {
	const struct rule_def *rule;
	enum severity severity;
	const struct finding *finding;
	const struct pair *pair;
	struct dest *dest;
	uint64_t ts_ns;
	enum event_source source; /* the log the pair was last fed by, or packets */
	const char *user;         /* that log's user ("" none) */
	bool during_learning;     /* raised while the baseline was learning */
	/* the event whose bytes or connection made the rule match (its
	 * tuple, flow, uid); NULL when asked by the timer or for a campaign's
	 * earlier member */
	const struct traffic_event *ev;
	uint64_t learn_end_ns;    /* when the baseline's learning ends (0: none) */
	bool familiar;            /* the baseline's verdict on the destination
				   * for this pair (rule_input.familiar) */
};
typedef void (*track_alert_fn)(void *ctx, const struct detection *d);
/* Live mode: ask for the address of a name (must not block). */
typedef void (*track_lookup_fn)(void *ctx, const char *name, uint64_t ts_ns);

struct track_stats {
	uint64_t pairs_rebound;          /* flows whose evicted pair was made again */
	uint64_t flows_lost_destination; /* ... whose destination was evicted too */
};

struct tracker;
/* NULL when a table cannot be allocated. geo and names stay the caller's. */
struct tracker *track_new(const struct config *cfg, const struct hash_key *key,
    struct geo *geo, struct names *names, track_alert_fn fn, void *ctx);
void track_free(struct tracker *t);
/* The bytes track_new allocates a pair slot beside the pairs' table and
 * the rules' state: track.c's struct pair_note (the log and user of a
 * pair fed by a proxy log), 64 bytes (pipeline/limits.h). */
uint64_t track_note_bytes(size_t pairs);
/* A reload: new settings and geo (countries and verdicts are worked out
 * again; windows, state and suppression are kept). */
void track_apply_config(struct tracker *t, const struct config *cfg,
    struct geo *geo);
void track_set_lookup(struct tracker *t, track_lookup_fn fn, void *ctx);
/* The indicator lists the rules see (rule_input.ioc); stay the caller's. */
void track_set_indicators(struct tracker *t, struct indicators *ioc);
/* The newest input time (for name look-ups). */
void track_set_now(struct tracker *t, uint64_t ts_ns);
/* The baseline's learning period is to be checked against the input's
 * time again (a state file was loaded, the config changed). */
void track_recheck_learning(struct tracker *t);

/*
 * The one binding path. Binds the event to its pair (made if new) and
 * returns it; NULL when the event names no destination. With a flow, the
 * flow keeps the binding, its waiting bytes are credited, and a flow is
 * counted for the pair when the binding is new; without one (a log line,
 * a stray fragment) a flow is counted when ev->conn_start.
 */
struct pair *track_bind(struct tracker *t, const struct traffic_event *ev,
    struct flow *f);
/* Adds the event's bytes and kinds to the pair; asks the rules when
 * ev->from_host. touch: the flow whose destination is marked in use (at
 * most once a second), or NULL. */
void track_account(struct tracker *t, struct pair *pr,
    const struct traffic_event *ev, struct flow *touch);
/* A packet of bound flow f at ts is coming (the flow may be another
 * one's, read ahead by a batch): the cache lines track_account will touch
 * are fetched meanwhile, the pair's and, when the destination is due to be
 * marked in use, the destination's. Hints only. */
void track_prefetch(const struct tracker *t, const struct flow *f,
    uint64_t ts_ns);
/* Both, for an event without a flow (a log line, a stray fragment).
 * False when it names no destination. */
bool track_event(struct tracker *t, const struct traffic_event *ev);

/* A DNS answer to client (rule indicator-match): see track.c. */
void track_dns_answer(struct tracker *t, const struct netaddr *client,
    const char *name, const struct netaddr *addr, uint64_t ts_ns);

/* The flow's pair: the bound one, or made again after an eviction; NULL
 * when unbound (or its destination is gone). */
struct pair *track_flow_rebind(struct tracker *t, struct flow *f, uint64_t ts_ns);
static inline struct pair *
track_flow_pair(struct tracker *t, struct flow *f, uint64_t ts_ns)
{
	if (f->pair_id == FLOW_NONE)
		return NULL;
	/* the table never moves its slots: a generation check suffices */
	if (f->pair->used && f->pair->gen == f->pair_gen)
		return f->pair;
	return track_flow_rebind(t, f, ts_ns);
}

/* Is the pair's destination unfamiliar and foreign, as the rules would
 * see it now (settled verdicts first: a pair found benign is not)?
 * Looks its country up once, as the rules do; per event, not per packet
 * (evidence's candidates, at a body's first byte). */
bool track_pair_unfamiliar_foreign(struct tracker *t, struct pair *pr);

/* The rules again for pairs with traffic since since_ns, their windows
 * moved to now_ns (the daemon's timer). */
void track_evaluate_recent(struct tracker *t, uint64_t since_ns, uint64_t now_ns);
/* Address of a destination: its own, a literal name, or a known name. */
bool track_dest_address(struct tracker *t, struct dest *d, struct netaddr *out);

struct aggtab *track_pairs(struct tracker *t);
struct hosttab *track_hosts(struct tracker *t);
struct baseline *track_baseline(struct tracker *t);
struct detect *track_detect(struct tracker *t);
struct names *track_names(struct tracker *t);

/* For the state file (track/state.h): when observation began (the first
 * input of the first run; 0: not yet), and the log a pair was last fed by
 * (EVENT_PACKETS: none) with its user. */
uint64_t track_observed_since(const struct tracker *t);
void track_restore_observed_since(struct tracker *t, uint64_t ts_ns);
enum event_source track_pair_log(const struct tracker *t, uint32_t pair_id,
    uint32_t pair_gen, const char **user);
void track_restore_pair_log(struct tracker *t, uint32_t pair_id,
    uint32_t pair_gen, enum event_source source, const char *user);
void track_get_stats(const struct tracker *t, struct track_stats *out);

#endif
