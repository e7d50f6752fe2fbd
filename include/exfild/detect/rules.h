/*
 * rules.h - detection rules as independent units in a table. Each rule
 * reads one pair's aggregates plus facts about its destination and says
 * whether it fires; rules_eval applies suppression (one alert per rule,
 * host and destination per rules.suppress) and calls emit for new alerts.
 */
#ifndef EXFILD_RULES_H
#define EXFILD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/track/agg.h"
#include "exfild/config/config.h"

struct rule_input {
	const struct config *cfg;
	const struct pair *pair;
	bool familiar;  /* destination is in the baseline or allow-listed */
	bool foreign;   /* destination country not in geo.home (unknown = foreign) */
};

struct rule {
	const char *name;
	/* This rule's settings in the config. */
	const struct rule_conf *(*conf)(const struct config *cfg);
	/* Does the pair cross the rule's threshold now? */
	bool (*match)(const struct rule_input *in, const struct rule_conf *rc);
};

const struct rule *rules_table(size_t *n);
const struct rule *rules_find(const char *name);

typedef void (*rule_emit_fn)(void *ctx, const struct rule *r,
    const struct rule_conf *rc);

/* Evaluates every enabled rule against in->pair at ts. Returns alerts emitted. */
size_t rules_eval(const struct rule_input *in, struct pair *p, uint64_t ts_ns,
    rule_emit_fn emit, void *ctx);

#endif
