/*
 * rules.c - the detection rules. bulk-upload: bytes out in the window to an
 * unfamiliar foreign destination at or above a threshold, with out/in at
 * or above a ratio. compressed-upload: archive or high-entropy client bytes
 * (outside TLS) in the window to such a destination at or above a threshold.
 */
#include <string.h>

#include "exfild/detect/rules.h"

static const struct rule_conf *
bulk_conf(const struct config *cfg)
{
	return &cfg->bulk_upload;
}

static bool
bulk_match(const struct rule_input *in, const struct rule_conf *rc)
{
	const struct agg_bucket *w = &in->pair->win;

	if (w->out < rc->bytes || in->familiar || !in->foreign)
		return false;
	/* out/in >= ratio, computed without division by zero */
	return (double)w->out >= rc->min_ratio * (double)w->in;
}

static const struct rule_conf *
compressed_conf(const struct config *cfg)
{
	return &cfg->compressed_upload;
}

static bool
compressed_match(const struct rule_input *in, const struct rule_conf *rc)
{
	return in->pair->win.compressed >= rc->bytes && !in->familiar &&
	    in->foreign;
}

static const struct rule rule_table[] = {
	{ "bulk-upload", bulk_conf, bulk_match },
	{ "compressed-upload", compressed_conf, compressed_match },
};

_Static_assert(sizeof(rule_table) / sizeof(rule_table[0]) <= AGG_MAX_RULES,
    "pair suppression state holds AGG_MAX_RULES rules");

const struct rule *
rules_table(size_t *n)
{
	*n = sizeof(rule_table) / sizeof(rule_table[0]);
	return rule_table;
}

const struct rule *
rules_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(rule_table) / sizeof(rule_table[0]); i++)
		if (strcmp(rule_table[i].name, name) == 0)
			return &rule_table[i];
	return NULL;
}

static bool
suppressed(const struct pair *p, size_t rule, uint64_t ts_ns, uint64_t suppress_ns)
{
	uint64_t last = p->last_alert_ns[rule];

	/* a packet stamped before the last alert (captures merged from
	 * several queues are not strictly ordered) is within the period too */
	return last != 0 && (ts_ns < last || ts_ns - last < suppress_ns);
}

size_t
rules_eval(const struct rule_input *in, struct pair *p, uint64_t ts_ns,
    rule_emit_fn emit, void *ctx)
{
	uint64_t suppress_ns = in->cfg->rules_suppress_s * 1000000000ULL;
	size_t i, emitted = 0;

	for (i = 0; i < sizeof(rule_table) / sizeof(rule_table[0]); i++) {
		const struct rule *r = &rule_table[i];
		const struct rule_conf *rc = r->conf(in->cfg);

		if (!rc->enabled || suppressed(p, i, ts_ns, suppress_ns))
			continue;
		if (!r->match(in, rc))
			continue;
		p->last_alert_ns[i] = ts_ns == 0 ? 1 : ts_ns;
		emit(ctx, r, rc);
		emitted++;
	}
	return emitted;
}
