/*
 * rule.h - what a detection rule declares (Zeek's policy script as a C
 * table): its name and title, its config section with typed keys and
 * defaults, the state it keeps and at which scope, the cheap pre-check
 * that keeps it off the packet path, and what it matches on. The engine
 * (engine.h) owns enabled, severity, suppression and the counters; no other
 * file names a rule. Each rule is one file src/detect/rule_<name>.c and one
 * line in registry.c.
 */
#ifndef EXFILD_DETECT_RULE_H
#define EXFILD_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exfild/config/config.h"

struct finding;
struct pair;
struct dest;
struct traffic_event;
struct host;
struct ioc_hit;

/*
 * Where a rule's state lives. Pair: one (internal host, destination);
 * host: one internal host; destination: one destination, shared by every
 * host that talks to it (the only state a sharding by internal host would
 * have to share). A rule may keep state at several scopes. State is a
 * fixed number of bytes per entry, zeroed when the entry's slot is reused
 * (slot id + generation).
 */
enum rule_scope { RULE_SCOPE_NONE, RULE_SCOPE_PAIR, RULE_SCOPE_HOST,
	RULE_SCOPE_DEST, RULE_SCOPE_COUNT };

/* What the rule observes (the engine asks it on these only). */
#define RULE_ON_BYTES 0x1u /* each event with bytes from the host (a packet) */
#define RULE_ON_CONN  0x2u /* a connection or request starts (once per flow
			    * binding, per proxied request, per log line) */
#define RULE_ON_TICK  0x4u /* the periodic timer (daemon), pairs seen lately */
#define RULE_ON_KINDS 3    /* the three above, as gate indexes 0, 1, 2 */

/*
 * The cheap pre-check, worked out from the rule's settings when they are
 * loaded: the engine skips the rule (without calling it) for pairs it
 * cannot match, and skips all rules at once when none can.
 */
struct rule_gate {
	bool unfamiliar_foreign_only; /* only unfamiliar, foreign destinations */
	/* only destinations on an indicator list (rule_input.ioc), familiar
	 * or not, foreign or not: such a rule leaves the other destinations
	 * settled (the tracker never settles a listed one as benign) */
	bool listed_only;
	/* On RULE_ON_BYTES a rule is asked either by the window (a window
	 * rule: when the bytes out in rules.window reach min_window_out, or,
	 * for a rule over archives and other compressed payload
	 * (min_window_compressed > 0), when the window's compressed bytes
	 * reach that) or, for rules over other spans (slow uploads, a host
	 * waking up), at byte milestones: each time the pair's bytes out
	 * since first seen pass a multiple of the smallest every_bytes_out (> 0)
	 * of the enabled rules (one milestone a pair, shared: a rule is asked
	 * at least as often as its own step).
	 * Connections and the timer ask every rule that observes them. */
	uint64_t min_window_out;
	uint64_t min_window_compressed;
	uint64_t every_bytes_out;
};

/* What a rule sees when it is asked. */
struct rule_input {
	const struct config *cfg;
	uint64_t ts_ns;
	unsigned why;                   /* RULE_ON_BYTES, _CONN or _TICK */
	bool at_milestone;              /* RULE_ON_BYTES: a byte milestone */
	uint64_t learn_end_ns;          /* when the baseline's learning ends
					 * (0: no learning period) */
	bool learning;                  /* it is under way: only rules that
					 * alert while learning are asked */
	const struct traffic_event *ev; /* NULL when asked from the timer */
	const struct pair *pair;
	const struct dest *dest;
	const struct host *host;        /* the internal host; NULL when not
					 * known yet (no connection seen) */
	bool familiar; /* destination in the baseline or allow-listed */
	bool foreign;  /* destination not at home (unknown country = foreign) */
	/* the destination on an indicator list (enrich/indicators.h); NULL
	 * when not listed, or when no enabled rule of this kind is
	 * listed_only (not looked up then) */
	const struct ioc_hit *ioc;
};

/* A rule's state for one evaluation, by scope. */
struct rule_state {
	void *at[RULE_SCOPE_COUNT];
};

struct rule_def {
	const char *name;    /* "bulk-upload": the alert's rule, SIEM MSGID */
	const char *title;   /* one line for CEF/LEEF names and people */
	/* rules.<section>: its own keys (enabled and severity are the engine's) */
	struct rule_section settings;
	/* MITRE ATT&CK technique ids, NULL-terminated */
	const char *const *attack;
	/* Asked while the baseline is learning too (nothing but the allow
	 * list is familiar then): for what is suspect whatever the baseline
	 * will say, an archive leaving, a listed indicator. */
	bool during_learning;
	/* bytes of state it keeps per entry of each scope (0: none) */
	size_t state_size[RULE_SCOPE_COUNT];
	unsigned observes;   /* RULE_ON_* */
	void (*gate)(const void *conf, struct rule_gate *out);
	/* Optional, before its state is fetched: false when this evaluation
	 * can change nothing for it (no state is touched then; a cache miss
	 * saved at every connection of an unfamiliar foreign pair). It must
	 * answer from in alone, the same way match would begin. */
	bool (*wants)(const struct rule_input *in, const void *conf);
	/* Does it match now? Fills the finding when it does. state->at[s]:
	 * its entry at scope s (NULL where it keeps none). why: the RULE_ON_*
	 * it is asked for. */
	bool (*match)(const struct rule_input *in, const void *conf,
	    const struct rule_state *state, struct finding *out);
	/* Is this state, read back from a state file, one the rule can work
	 * with (indices in range, booleans 0 or 1)? Every rule that keeps
	 * state has one: a saved file is as hostile as any input, and a state
	 * it refuses is dropped (the entry starts from zeros). */
	bool (*state_ok)(enum rule_scope scope, const void *state);
	/* Optional, after a match: other internal hosts whose pairs with the
	 * same destination are to be asked at once (the members of a
	 * campaign its last member completed). Returns how many it wrote. */
	size_t (*related)(const struct rule_input *in, const void *conf,
	    const struct rule_state *state, struct netaddr *out, size_t max);
	/* Optional: times of day the rule treats apart (off-hours), which the
	 * report's timeline shades under the name shade. spans says whether
	 * UTC second t is in such a time (*in) and returns the next UTC second
	 * (> t) at which that may change; INT64_MAX with *in false when the
	 * settings give nothing to shade. The rule's own matching reads the
	 * same times through the same code. */
	const char *shade;
	int64_t (*spans)(const void *conf, int64_t t, bool *in);
};

/* Helpers for state_ok: the byte at off of a state is a valid bool; a
 * uint32_t at off is below limit. Read as bytes: the state may be any. */
static inline bool
rule_state_bool_ok(const void *state, size_t off)
{
	unsigned char v;

	memcpy(&v, (const unsigned char *)state + off, 1);
	return v <= 1;
}

static inline bool
rule_state_u32_below(const void *state, size_t off, uint32_t limit)
{
	uint32_t v;

	memcpy(&v, (const unsigned char *)state + off, sizeof(v));
	return v < limit;
}

#endif
