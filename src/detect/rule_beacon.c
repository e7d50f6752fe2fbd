/*
 * rule_beacon.c - beacon: an internal host contacts an unfamiliar foreign
 * destination at regular times (a C2 implant checking in, JTB's PlugX).
 * Scored on the times connections open (a flow's start, each proxied
 * request or CONNECT, each log line at its start time), in the manner of
 * RITA: over the gaps between the last BEACON_TIMES contacts within
 * `window`,
 *   skew   = Bowley's (Q1 + Q3 - 2 Q2) / (Q3 - Q1)    (0 when Q3 = Q1)
 *   spread = (Q3 - Q1) / Q2,  disp = MAD / Q2          (MAD: median absolute
 *            deviation of the gaps; both relative to the median gap)
 *   score  = ((1 - |skew| * min(1, spread / BEACON_SPREAD_FULL))
 *             + max(0, 1 - disp / BEACON_DISP_ZERO)) / 2
 * Bowley's skew is scale-free: when the gaps hardly spread (a beacon's
 * jitter) its quartiles are noise, so it counts in proportion to the
 * spread. A check-in every 300 s with +-10 % jitter has spread about 0.1
 * and disp about 0.05 (score about 0.9); a person's visits at random times
 * have exponential gaps: spread about 1.6, skew about 0.26, disp about
 * 0.7 (score about 0.37).
 * Contacts less than BEACON_BURST_NS apart count as one check-in (an
 * implant or a browser may open several connections at once).
 */
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/event.h"

#define BEACON_TIMES     32   /* contacts kept per pair */
#define BEACON_BURST_NS  (2ULL * NS_PER_SEC)
#define BEACON_DISP_ZERO 0.5  /* MAD/median at which dispersion scores 0 */
#define BEACON_SPREAD_FULL 0.5 /* IQR/median from which skew counts whole */
#define MS               1000000ULL

struct beacon_conf {
	struct rule_base base;
	uint64_t window_s;
	uint64_t min_connections;
	double score;
};

static int parse_min_connections(void *conf, const char *key,
    const char *text, char *why, size_t whylen);

static const struct rule_param params[] = {
	RULE_KEY("window", RULE_PARAM_PERIOD, struct beacon_conf, window_s, "24h"),
	RULE_KEY_FN("min_connections", RULE_PARAM_TEXT, "24",
	    parse_min_connections),
	RULE_KEY("score", RULE_PARAM_RATIO, struct beacon_conf, score, "0.8"),
};

static const char *const attack[] = { "T1071", "T1573", NULL };

/* A count the ring of kept contacts can reach (more would never fire). */
static int
parse_min_connections(void *conf, const char *key, const char *text,
    char *why, size_t whylen)
{
	struct beacon_conf *c = conf;

	(void)key;
	if (text == NULL) {
		c->min_connections = 0;
		return 0;
	}
	if (config_count_from_text(text, &c->min_connections) != 0 ||
	    c->min_connections < 3 || c->min_connections > BEACON_TIMES) {
		snprintf(why, whylen, "expected a count from 3 to %d (the contacts "
		    "kept per pair)", BEACON_TIMES);
		return -1;
	}
	return 0;
}

/* A pair's last contacts, in milliseconds after base_ns (a ring). */
struct beacon_state {
	uint64_t base_ns;
	uint64_t last_ns;     /* the newest contact kept */
	uint32_t t[BEACON_TIMES];
	uint32_t n, next;
};

/* What the gaps say. */
struct beacon_score {
	size_t connections;
	double median_s, mad_s, skew, score;
};

static void
gate(const void *conf, struct rule_gate *out)
{
	(void)conf;
	out->unfamiliar_foreign_only = true;
	out->min_window_out = 0;
}

static void
sort_doubles(double *v, size_t n)
{
	size_t i, j;
	double x;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* The q-quantile of sorted v (linear between ranks). */
static double
quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Keeps a contact; false when it is part of the check-in just kept. */
static bool
remember(struct beacon_state *st, uint64_t ts)
{
	if (st->n > 0 && ts >= st->last_ns && ts - st->last_ns < BEACON_BURST_NS)
		return false;
	/* a fresh state, or one too old for 32-bit milliseconds: start anew */
	if (st->n == 0 || ts < st->base_ns || (ts - st->base_ns) / MS > UINT32_MAX) {
		memset(st, 0, sizeof(*st));
		st->base_ns = ts;
	}
	st->t[st->next] = (uint32_t)((ts - st->base_ns) / MS);
	st->next = (st->next + 1) % BEACON_TIMES;
	if (st->n < BEACON_TIMES)
		st->n++;
	if (ts > st->last_ns)
		st->last_ns = ts;
	return true;
}

/* The contacts within the window before now, oldest first as kept (the
 * ring from its oldest slot: sorted unless the input was out of order). */
static size_t
recent_times(const struct beacon_state *st, uint64_t now, uint64_t window_ns,
    double *times)
{
	size_t i, k, n = 0, first = st->n < BEACON_TIMES ? 0 : st->next;
	uint64_t at;

	for (k = 0; k < st->n; k++) {
		i = (first + k) % BEACON_TIMES;
		at = st->base_ns + (uint64_t)st->t[i] * MS;
		if (at <= now && now - at <= window_ns)
			times[n++] = (double)st->t[i] / 1000.0;
	}
	return n;
}

/* Scores the gaps between the contacts within the window before now, when
 * there are at least min of them (else only out->connections is set). */
static void
score_gaps(const struct beacon_state *st, uint64_t now, uint64_t window_ns,
    size_t min, struct beacon_score *out)
{
	double times[BEACON_TIMES], gaps[BEACON_TIMES], dev[BEACON_TIMES];
	double q1, q2, q3, disp, spread;
	size_t i, n, g;

	memset(out, 0, sizeof(*out));
	n = recent_times(st, now, window_ns, times);
	out->connections = n;
	if (n < 3 || n < min)
		return;
	sort_doubles(times, n);
	for (g = 0; g + 1 < n; g++)
		gaps[g] = times[g + 1] - times[g];
	sort_doubles(gaps, g);
	q1 = quantile(gaps, g, 0.25);
	q2 = quantile(gaps, g, 0.5);
	q3 = quantile(gaps, g, 0.75);
	for (i = 0; i < g; i++)
		dev[i] = fabs(gaps[i] - q2);
	sort_doubles(dev, g);
	out->median_s = q2;
	out->mad_s = quantile(dev, g, 0.5);
	out->skew = q3 > q1 ? (q1 + q3 - 2 * q2) / (q3 - q1) : 0;
	disp = q2 > 0 ? out->mad_s / q2 : 1;
	spread = q2 > 0 ? (q3 - q1) / q2 : 1;
	out->score = ((1 - fabs(out->skew) * fmin(1, spread / BEACON_SPREAD_FULL)) +
	    fmax(0, 1 - disp / BEACON_DISP_ZERO)) / 2;
}

static void
describe(const struct rule_input *in, const struct beacon_conf *c,
    const struct beacon_score *s, struct finding *out)
{
	struct rule_where w;

	describe_where(in, &w);
	finding_reason(out, "%s contacted %s (%s) %zu times within %llu h, "
	    "every %.0f s (MAD %.1f s): beacon score %.2f", w.host, w.dst, w.cc,
	    s->connections, (unsigned long long)(c->window_s / 3600),
	    s->median_s, s->mad_s, s->score);
	finding_u64(out, "connections", s->connections);
	finding_double(out, "median_gap_s", s->median_s);
	finding_double(out, "mad_s", s->mad_s);
	finding_double(out, "skew", s->skew);
	finding_double(out, "score", s->score);
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct beacon_conf *c = conf;
	struct beacon_state *st = state->at[RULE_SCOPE_PAIR];
	struct beacon_score s;

	if (in->ev == NULL || !remember(st, in->ev->conn_ns))
		return false;
	score_gaps(st, st->last_ns, c->window_s * NS_PER_SEC,
	    (size_t)c->min_connections, &s);
	if (s.connections < c->min_connections || s.score < c->score)
		return false;
	describe(in, c, &s, out);
	finding_threshold_double(out, "rules.beacon.score", c->score, s.score);
	return true;
}

/* Saved state: the ring's count and next slot in range. */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	(void)scope;
	return rule_state_u32_below(state, offsetof(struct beacon_state, n),
	    BEACON_TIMES + 1) &&
	    rule_state_u32_below(state, offsetof(struct beacon_state, next),
	    BEACON_TIMES);
}

const struct rule_def rule_beacon = {
	.name = "beacon",
	.title = "Regular contact with an unfamiliar foreign destination (beacon)",
	.settings = { "beacon", true, SEV_HIGH, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct beacon_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct beacon_state) },
	.observes = RULE_ON_CONN,
	.gate = gate,
	.match = match,
	.state_ok = state_ok,
};
