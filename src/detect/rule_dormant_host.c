/*
 * rule_dormant_host.c - dormant-host: an internal host quiet for at least
 * `idle` (or, new, first seen at least `idle` after observation began)
 * wakes and, within `within` of waking, sends at least `bytes` to
 * unfamiliar foreign destinations, all of them together: an implant or a
 * thief using a machine nobody uses (PlugX's quiet form). The pair whose
 * bytes make the total reach `bytes` alerts, once per waking.
 * The host table notes when a host wakes (a connection, to any
 * destination, after a quiet spell; hosts.h) and the rule reads it when
 * it is next asked about one of the host's unfamiliar foreign pairs; the
 * quiet is the shorter of the table's and the time since the rule last saw
 * the host's bytes (a long-lived connection is not quiet). Only bytes to
 * unfamiliar foreign destinations are added up.
 */

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/hosts.h"
#include "exfild/track/baseline.h"

#define DORMANT_STEPS 4 /* evaluations per `bytes`, at least */

struct dormant_conf {
	struct rule_base base;
	uint64_t idle_s;
	uint64_t bytes;
	uint64_t within_s;
};

static const struct rule_param params[] = {
	RULE_KEY("idle", RULE_PARAM_PERIOD, struct dormant_conf, idle_s, "3d"),
	RULE_KEY("bytes", RULE_PARAM_SIZE, struct dormant_conf, bytes, "1MB"),
	RULE_KEY("within", RULE_PARAM_PERIOD, struct dormant_conf, within_s, "24h"),
};

static const char *const attack[] = { "T1041", "T1048", NULL };

/* A host's state (40 bytes): when it was last seen active, and since its
 * last waking, what it sent to unfamiliar foreign destinations. */
struct dormant_host {
	uint64_t active_ns;  /* the latest evaluation of any of its pairs */
	uint64_t seen_wake_ns; /* the table's latest waking, looked at */
	uint64_t woke_ns;    /* 0: not woken since the rule has known it */
	uint64_t idle_ns;    /* the quiet before woke_ns */
	uint64_t sent;
	bool alerted;        /* this waking has alerted */
};

/* A pair's state (8 bytes): its bytes out when last seen, so that the
 * growth is added once. */
struct dormant_pair {
	uint64_t seen_out;
};

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct dormant_conf *c = conf;
	out->unfamiliar_foreign_only = true;
	out->every_bytes_out = c->bytes >= DORMANT_STEPS ? c->bytes / DORMANT_STEPS : 1;
}

/* Has the host woken (after at least idle) since the rule last looked? */
static bool
wake(const struct rule_input *in, const struct dormant_conf *c,
    struct dormant_host *h)
{
	const struct host *host = in->host;
	uint64_t quiet;

	if (host == NULL || host->woke_ns == 0 || host->woke_ns == h->seen_wake_ns)
		return false;
	h->seen_wake_ns = host->woke_ns;
	quiet = host->woke_idle_ns;
	if (h->active_ns != 0 && h->active_ns < host->woke_ns &&
	    host->woke_ns - h->active_ns < quiet)
		quiet = host->woke_ns - h->active_ns;
	if (quiet < c->idle_s * NS_PER_SEC)
		return false;
	h->woke_ns = host->woke_ns;
	h->idle_ns = quiet;
	h->sent = 0;
	h->alerted = false;
	return true;
}

/* The pair's bytes out since its last evaluation. */
static uint64_t
growth(const struct pair *p, struct dormant_pair *ps)
{
	uint64_t d = p->total_out >= ps->seen_out ? p->total_out - ps->seen_out : 0;

	ps->seen_out = p->total_out;
	return d;
}

static void
describe(const struct rule_input *in, const struct dormant_host *h,
    struct finding *out)
{
	char woke[32], at[RFC3339_LEN];
	struct rule_where w;

	describe_where(in, &w);
	describe_day(h->woke_ns, woke, sizeof(woke));
	format_rfc3339_ms(h->woke_ns, at);
	finding_reason(out, "%s was quiet for %.1f d, woke %s and has sent "
	    "%.2f MB to unfamiliar foreign destinations since, the last to %s (%s)",
	    w.host, (double)h->idle_ns / (86400.0 * NS_PER_SEC), woke,
	    (double)h->sent / 1e6, w.dst, w.cc);
	finding_u64(out, "idle_s", h->idle_ns / NS_PER_SEC);
	finding_str(out, "woke_at", at);
	finding_u64(out, "bytes_since_waking", h->sent);
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct dormant_conf *c = conf;
	struct dormant_host *h = state->at[RULE_SCOPE_HOST];
	uint64_t sent = growth(in->pair, state->at[RULE_SCOPE_PAIR]);

	/* (the growth seen at the milestone after a waking counts as sent
	 * after it) */
	(void)wake(in, c, h);
	if (in->ts_ns > h->active_ns)
		h->active_ns = in->ts_ns;
	if (h->woke_ns == 0 || h->alerted ||
	    (in->ts_ns > h->woke_ns &&
	    in->ts_ns - h->woke_ns > c->within_s * NS_PER_SEC))
		return false;
	h->sent += sent;
	if (h->sent < c->bytes)
		return false;
	h->alerted = true;
	describe(in, h, out);
	finding_threshold(out, "rules.dormant_host.bytes", c->bytes, h->sent);
	return true;
}

/* Saved state: the host's flag is a boolean. */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	return scope != RULE_SCOPE_HOST ||
	    rule_state_bool_ok(state, offsetof(struct dormant_host, alerted));
}

const struct rule_def rule_dormant_host = {
	.name = "dormant-host",
	.title = "A host quiet for days wakes and uploads to unfamiliar foreign "
	    "destinations",
	.settings = { "dormant_host", true, SEV_HIGH, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct dormant_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct dormant_pair),
	    [RULE_SCOPE_HOST] = sizeof(struct dormant_host) },
	.observes = RULE_ON_BYTES | RULE_ON_TICK, /* milestones and the timer */
	.gate = gate,
	.match = match,
	.state_ok = state_ok,
};
