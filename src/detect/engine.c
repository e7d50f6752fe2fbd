/*
 * engine.c - the rule engine: gates, suppression, per-scope rule state,
 * counters. Suppression is kept per rule and pair slot (16 bytes a pair per
 * rule, touched only when the pair alerts); a rule's state per entry of
 * each scope it keeps state at, behind an 8-byte header holding the
 * entry's generation, so that a reused slot starts from zeros.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/detect/engine.h"
#include "exfild/detect/registry.h"
#include "exfild/track/agg.h"
#include "exfild/util/util.h"

struct suppress_slot {
	uint64_t last_ns; /* 0: never alerted */
	uint32_t gen;     /* the pair's generation when it alerted */
};

struct state_hdr {
	uint32_t gen;
	uint32_t pad;
};

/* One rule's state at one scope: an array of header + state per entry. */
struct state_table {
	unsigned char *v;
	size_t stride;
};

struct detect {
	const struct config *cfg;
	const struct rule_def *const *rules;
	size_t n_rules;
	size_t cap[RULE_SCOPE_COUNT];
	struct rule_gate gates[RULES_MAX];
	struct detect_gate gate[RULE_ON_KINDS];    /* by kind (gate_index) */
	struct suppress_slot *suppress[RULES_MAX]; /* per pair slot */
	struct state_table state[RULES_MAX][RULE_SCOPE_COUNT];
	/* the enabled rules asked on every connection, without a pre-check
	 * (wants) that could spare their state: detect_prefetch_conn */
	size_t conn_rules[RULES_MAX];
	size_t n_conn_rules;
	struct netaddr related[DETECT_RELATED_MAX];
	size_t n_related;
	struct detect_stats stats;
};

static size_t
stride_of(size_t state_size)
{
	/* header + state, rounded up to 8 bytes */
	return sizeof(struct state_hdr) + ((state_size + 7) & ~(size_t)7);
}

uint64_t
detect_bytes(enum rule_scope s, size_t cap)
{
	const struct rule_def *const *rules;
	uint64_t per_entry = 0;
	size_t n, i;

	rules = rules_registry(&n);
	for (i = 0; i < n; i++) {
		if (s == RULE_SCOPE_PAIR)
			per_entry += sizeof(struct suppress_slot);
		if (rules[i]->state_size[s] != 0)
			per_entry += stride_of(rules[i]->state_size[s]);
	}
	return per_entry * cap;
}

/* Asked on every connection, with no pre-check to spare its state. */
static bool
asked_every_connection(const struct rule_def *r)
{
	return (r->observes & RULE_ON_CONN) && r->wants == NULL;
}

static void
alloc_state(struct detect *d, size_t i)
{
	const struct rule_def *r = d->rules[i];
	enum rule_scope s;

	for (s = RULE_SCOPE_PAIR; s < RULE_SCOPE_COUNT; s++) {
		if (r->state_size[s] == 0 || d->cap[s] == 0)
			continue;
		d->state[i][s].stride = stride_of(r->state_size[s]);
		d->state[i][s].v = xcalloc(d->cap[s], d->state[i][s].stride);
		/* written at each connection of a new pair (pair slots are
		 * handed out in order): it fills from the start, as the pairs
		 * table does */
		if (s == RULE_SCOPE_PAIR && asked_every_connection(r))
			mem_huge_pages(d->state[i][s].v,
			    d->cap[s] * d->state[i][s].stride);
	}
}

struct detect *
detect_new(const struct config *cfg, const size_t cap[RULE_SCOPE_COUNT])
{
	struct detect *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->rules = rules_registry(&d->n_rules);
	memcpy(d->cap, cap, sizeof(d->cap));
	for (i = 0; i < d->n_rules; i++) {
		if (cap[RULE_SCOPE_PAIR] > 0)
			d->suppress[i] = xcalloc(cap[RULE_SCOPE_PAIR],
			    sizeof(struct suppress_slot));
		alloc_state(d, i);
	}
	detect_apply_config(d, cfg);
	return d;
}

void
detect_free(struct detect *d)
{
	size_t i;
	int s;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_rules; i++) {
		free(d->suppress[i]);
		for (s = 0; s < RULE_SCOPE_COUNT; s++)
			free(d->state[i][s].v);
	}
	free(d);
}

/* RULE_ON_BYTES, _CONN, _TICK as 0, 1, 2. */
static unsigned
gate_index(unsigned why)
{
	return why == RULE_ON_BYTES ? 0 : why == RULE_ON_CONN ? 1 : 2;
}

/* The rule's gate into the combined gate of one kind of event. */
static void
combine(struct detect_gate *k, const struct rule_gate *g, unsigned kind)
{
	k->any = true;
	if (g->listed_only)
		k->any_listed = true;
	else if (!g->unfamiliar_foreign_only)
		k->all_unfamiliar_foreign = false;
	if (kind != RULE_ON_BYTES)
		return;
	if (g->every_bytes_out > 0) {
		if (g->every_bytes_out < k->every_bytes_out)
			k->every_bytes_out = g->every_bytes_out;
	} else if (g->min_window_compressed > 0) {
		if (g->min_window_compressed < k->min_window_compressed)
			k->min_window_compressed = g->min_window_compressed;
	} else if (g->min_window_out < k->min_window_out) {
		k->min_window_out = g->min_window_out;
	}
}

void
detect_apply_config(struct detect *d, const struct config *cfg)
{
	unsigned k;
	size_t i;

	d->cfg = cfg;
	for (k = 0; k < RULE_ON_KINDS; k++) {
		d->gate[k].any = false;
		d->gate[k].all_unfamiliar_foreign = true;
		d->gate[k].any_listed = false;
		d->gate[k].min_window_out = UINT64_MAX;
		d->gate[k].min_window_compressed = UINT64_MAX;
		d->gate[k].every_bytes_out = UINT64_MAX;
	}
	d->n_conn_rules = 0;
	for (i = 0; i < d->n_rules; i++) {
		struct rule_gate *g = &d->gates[i];

		memset(g, 0, sizeof(*g));
		if (!config_rule_base(cfg, i)->enabled)
			continue;
		if (asked_every_connection(d->rules[i]))
			d->conn_rules[d->n_conn_rules++] = i;
		d->rules[i]->gate(config_rule(cfg, i), g);
		for (k = 0; k < RULE_ON_KINDS; k++)
			if (d->rules[i]->observes & (1u << k))
				combine(&d->gate[k], g, 1u << k);
	}
}

const struct detect_gate *
detect_gate(const struct detect *d, unsigned why)
{
	return &d->gate[gate_index(why)];
}

static bool
suppressed(const struct suppress_slot *s, uint32_t gen, uint64_t ts_ns,
    uint64_t suppress_ns)
{
	if (s->last_ns == 0 || s->gen != gen)
		return false;
	/* a packet stamped before the last alert (captures merged from
	 * several queues are not strictly ordered) is within the period too */
	return ts_ns < s->last_ns || ts_ns - s->last_ns < suppress_ns;
}

/* The header of a rule's entry at a scope; NULL when it keeps none there
 * or the slot is out of range. */
static struct state_hdr *
state_slot(const struct detect *d, size_t i, enum rule_scope s, uint32_t id)
{
	const struct state_table *st;

	if (i >= d->n_rules || s <= RULE_SCOPE_NONE || s >= RULE_SCOPE_COUNT)
		return NULL;
	st = &d->state[i][s];
	if (st->v == NULL || id >= d->cap[s])
		return NULL;
	return (struct state_hdr *)(void *)(st->v + (size_t)id * st->stride);
}

/* The rule's entry at each scope it keeps state at; false when one of
 * them was not given (the rule is not asked then). */
static bool
rule_state(struct detect *d, size_t i, const struct detect_ids *ids,
    struct rule_state *out)
{
	struct state_hdr *h;
	int s;

	memset(out, 0, sizeof(*out));
	for (s = RULE_SCOPE_PAIR; s < RULE_SCOPE_COUNT; s++) {
		if (d->rules[i]->state_size[s] == 0)
			continue;
		if ((h = state_slot(d, i, (enum rule_scope)s, ids->id[s])) == NULL)
			return false;
		if (h->gen != ids->gen[s]) {
			memset(h + 1, 0, d->state[i][s].stride - sizeof(*h));
			h->gen = ids->gen[s];
		}
		out->at[s] = h + 1;
	}
	return true;
}

/* Is the rule asked on this evaluation? Destinations first (unless it
 * wants every one on this kind), then, on bytes, its window or its own
 * milestone; connections and the timer ask every rule observing them. */
static bool
passes_gate(const struct rule_gate *g, const struct rule_input *in)
{
	if (g->unfamiliar_foreign_only && (in->familiar || !in->foreign))
		return false;
	if (g->listed_only && in->ioc == NULL)
		return false;
	if (in->why != RULE_ON_BYTES)
		return true;
	if (g->every_bytes_out > 0)
		return in->at_milestone;
	if (g->min_window_compressed > 0)
		return in->pair->win.compressed >= g->min_window_compressed;
	return in->pair->win.out >= g->min_window_out;
}

void
detect_prefetch_conn(const struct detect *d, uint32_t pair_id)
{
	const struct state_table *st;
	size_t k, i;

	if (pair_id >= d->cap[RULE_SCOPE_PAIR])
		return;
	for (k = 0; k < d->n_conn_rules; k++) {
		i = d->conn_rules[k];
		__builtin_prefetch(&d->suppress[i][pair_id]);
		st = &d->state[i][RULE_SCOPE_PAIR];
		if (st->v != NULL)
			__builtin_prefetch(st->v + (size_t)pair_id * st->stride, 1);
	}
}

size_t
detect_eval(struct detect *d, const struct rule_input *in,
    const struct detect_ids *ids, detect_emit_fn emit, void *ctx)
{
	uint64_t suppress_ns = d->cfg->rules_suppress_s * NS_PER_SEC;
	uint32_t pair_id = ids->id[RULE_SCOPE_PAIR];
	uint32_t pair_gen = ids->gen[RULE_SCOPE_PAIR];
	struct suppress_slot *s;
	struct rule_state state;
	struct finding f;
	size_t i, emitted = 0;

	if (pair_id == DETECT_NONE || pair_id >= d->cap[RULE_SCOPE_PAIR])
		return 0;
	for (i = 0; i < d->n_rules; i++) {
		const struct rule_def *r = d->rules[i];
		const struct rule_base *b = config_rule_base(d->cfg, i);

		if (!b->enabled || !(r->observes & in->why) ||
		    (in->learning && !r->during_learning) ||
		    !passes_gate(&d->gates[i], in) ||
		    (r->wants != NULL && !r->wants(in, config_rule(d->cfg, i))))
			continue;
		s = &d->suppress[i][pair_id];
		if (suppressed(s, pair_gen, in->ts_ns, suppress_ns) ||
		    !rule_state(d, i, ids, &state))
			continue;
		finding_init(&f);
		if (!r->match(in, config_rule(d->cfg, i), &state, &f))
			continue;
		s->last_ns = in->ts_ns == 0 ? 1 : in->ts_ns;
		s->gen = pair_gen;
		d->stats.alerts++;
		d->stats.by_rule[i]++;
		/* (a finding may carry its own: an indicator list's) */
		emit(ctx, r, f.severity >= 0 ? (enum severity)f.severity :
		    b->severity, &f);
		emitted++;
		if (r->related != NULL)
			d->n_related += r->related(in, config_rule(d->cfg, i), &state,
			    d->related + d->n_related,
			    DETECT_RELATED_MAX - d->n_related);
	}
	return emitted;
}

size_t
detect_take_related(struct detect *d, struct netaddr *out, size_t max)
{
	size_t n = d->n_related < max ? d->n_related : max;

	memcpy(out, d->related, n * sizeof(*out));
	d->n_related = 0;
	return n;
}

void
detect_get_stats(const struct detect *d, struct detect_stats *out)
{
	*out = d->stats;
}

const void *
detect_state_peek(const struct detect *d, size_t rule, enum rule_scope scope,
    uint32_t id, uint32_t gen)
{
	const struct state_hdr *h = state_slot(d, rule, scope, id);

	return h != NULL && gen != 0 && h->gen == gen ? h + 1 : NULL;
}

size_t
detect_state_size(const struct detect *d, size_t rule, enum rule_scope scope)
{
	if (rule >= d->n_rules || scope <= RULE_SCOPE_NONE ||
	    scope >= RULE_SCOPE_COUNT)
		return 0;
	return d->rules[rule]->state_size[scope];
}

bool
detect_state_restore(struct detect *d, size_t rule, enum rule_scope scope,
    uint32_t id, uint32_t gen, const void *state, size_t len)
{
	struct state_hdr *h = state_slot(d, rule, scope, id);
	const struct rule_def *r;

	if (h == NULL || gen == 0 || len != detect_state_size(d, rule, scope))
		return false;
	r = d->rules[rule];
	if (r->state_ok == NULL || !r->state_ok(scope, state))
		return false;
	memset(h + 1, 0, d->state[rule][scope].stride - sizeof(*h));
	memcpy(h + 1, state, len);
	h->gen = gen;
	return true;
}

uint64_t
detect_suppress_peek(const struct detect *d, size_t rule, uint32_t pair_id,
    uint32_t pair_gen)
{
	const struct suppress_slot *s;

	if (rule >= d->n_rules || d->suppress[rule] == NULL ||
	    pair_id >= d->cap[RULE_SCOPE_PAIR])
		return 0;
	s = &d->suppress[rule][pair_id];
	return s->gen == pair_gen ? s->last_ns : 0;
}

bool
detect_suppress_restore(struct detect *d, size_t rule, uint32_t pair_id,
    uint32_t pair_gen, uint64_t last_ns)
{
	if (rule >= d->n_rules || d->suppress[rule] == NULL ||
	    pair_id >= d->cap[RULE_SCOPE_PAIR] || last_ns == 0)
		return false;
	d->suppress[rule][pair_id].last_ns = last_ns;
	d->suppress[rule][pair_id].gen = pair_gen;
	return true;
}
