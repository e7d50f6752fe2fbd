/*
 * engine.h - runs the rules of the registry. It owns what every rule has:
 * enabled and severity (from the rule's section), the pre-check gates,
 * suppression (one alert per rule and (host, destination) per
 * rules.suppress), each rule's state at its scope, and the counters. A
 * rule only says whether it matches and what it found.
 */
#ifndef EXFILD_DETECT_ENGINE_H
#define EXFILD_DETECT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"

#define DETECT_NONE UINT32_MAX

/* The gates of the enabled rules that observe one kind of event, taken
 * together: the packet path's test. */
struct detect_gate {
	bool any;                    /* an enabled rule observes this kind */
	bool all_unfamiliar_foreign; /* no enabled rule looks at other destinations
				      * (but listed ones: rule_gate.listed_only) */
	bool any_listed;             /* an enabled rule wants rule_input.ioc */
	uint64_t min_window_out;     /* no window rule matches below this (or
				      * UINT64_MAX when no rule is enabled) */
	uint64_t min_window_compressed; /* ... nor one over compressed bytes
				      * below this many in the window */
	uint64_t every_bytes_out;    /* the smallest step of the rules asked at
				      * byte milestones (UINT64_MAX: none) */
};

/* The entries an evaluation concerns, by scope: slot id and generation
 * (id DETECT_NONE: no entry; rules of that scope are not asked). The pair
 * is always given: alerts and suppression are per pair. */
struct detect_ids {
	uint32_t id[RULE_SCOPE_COUNT];
	uint32_t gen[RULE_SCOPE_COUNT];
};

struct detect_stats {
	uint64_t alerts;
	uint64_t by_rule[RULES_MAX];
};

typedef void (*detect_emit_fn)(void *ctx, const struct rule_def *r,
    enum severity severity, const struct finding *f);

struct detect;
/* cap: entries of each scope (its table's capacity); state is allocated
 * once, untouched pages cost nothing until a rule writes them. */
struct detect *detect_new(const struct config *cfg,
    const size_t cap[RULE_SCOPE_COUNT]);
void detect_free(struct detect *d);
/* The bytes detect_new allocates for cap entries of scope s: every rule's
 * state there, and at RULE_SCOPE_PAIR every rule's suppression
 * (pipeline/limits.h). */
uint64_t detect_bytes(enum rule_scope s, size_t cap);
/* A reload: new settings and gates (state and suppression are kept). */
void detect_apply_config(struct detect *d, const struct config *cfg);
/* The gate of the enabled rules that observe why (RULE_ON_BYTES, _CONN or
 * _TICK); the pointer stays valid (a reload updates what it points to). */
const struct detect_gate *detect_gate(const struct detect *d, unsigned why);

/* Asks every enabled rule that observes in->why and passes its gate; emit
 * is called for each new alert, in registry order. Returns the alerts
 * emitted. */
size_t detect_eval(struct detect *d, const struct rule_input *in,
    const struct detect_ids *ids, detect_emit_fn emit, void *ctx);
/* A connection of the pair in slot pair_id is to be evaluated: the
 * suppression and pair state of the rules that will read them whatever
 * the connection (no rule_def.wants) are fetched into the cache meanwhile.
 * A hint only. */
void detect_prefetch_conn(const struct detect *d, uint32_t pair_id);
void detect_get_stats(const struct detect *d, struct detect_stats *out);
/* The hosts the rules that matched in the last detect_eval named as
 * related (rule_def.related): their pairs with the same destination are
 * the caller's to ask. Empties the list. */
#define DETECT_RELATED_MAX 32
size_t detect_take_related(struct detect *d, struct netaddr *out, size_t max);

/*
 * The state file (track/state.h): a rule's state for one entry (slot id
 * and generation) as it is, or NULL when the rule keeps none for it; and
 * put back into an entry of this run. Restoring checks the size and asks
 * the rule (rule_def.state_ok): false, nothing written, when refused.
 */
const void *detect_state_peek(const struct detect *d, size_t rule,
    enum rule_scope scope, uint32_t id, uint32_t gen);
bool detect_state_restore(struct detect *d, size_t rule, enum rule_scope scope,
    uint32_t id, uint32_t gen, const void *state, size_t len);
/* The state size a rule keeps at a scope (0: none). */
size_t detect_state_size(const struct detect *d, size_t rule,
    enum rule_scope scope);
/* The pair's last alert by the rule (0: none in this generation), and the
 * same put back (false: not, a time of 0 or a slot out of range). */
uint64_t detect_suppress_peek(const struct detect *d, size_t rule,
    uint32_t pair_id, uint32_t pair_gen);
bool detect_suppress_restore(struct detect *d, size_t rule, uint32_t pair_id,
    uint32_t pair_gen, uint64_t last_ns);

#endif
