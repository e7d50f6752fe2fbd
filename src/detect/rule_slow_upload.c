/*
 * rule_slow_upload.c - slow-upload: an internal host sends one unfamiliar
 * foreign destination at least `bytes` within a long window (a day, a
 * week), at least `min_ratio` times what comes back: the quiet form of a
 * bulk upload, spread thin enough to stay under rules.window's threshold.
 * Each window W is a ring of SLOW_BUCKETS buckets of W/SLOW_BUCKETS, so
 * its sum covers between (SLOW_BUCKETS-1)/SLOW_BUCKETS of W and the whole
 * of W (24 h: the last 22 to 24 h; 7 d: the last 6 d 10 h to 7 d). The
 * rule is fed at each evaluation with the growth of the pair's totals
 * since it was last fed, dated when it is fed: at byte milestones, once
 * 1/SLOW_STEPS of a window's threshold has grown or the growth could make
 * a window cross, and on the timer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"

#define SLOW_WINDOWS_MAX 4
#define SLOW_BUCKETS     12
#define SLOW_STEPS       16 /* evaluations per smallest threshold, at least */

struct slow_conf {
	struct rule_base base;
	size_t n;                          /* windows, shortest first */
	uint64_t window_s[SLOW_WINDOWS_MAX];
	uint64_t bytes[SLOW_WINDOWS_MAX];
	double min_ratio;
};

/* One window's ring: bytes out and in per bucket of window/SLOW_BUCKETS,
 * and their sums (224 bytes). */
struct slow_ring {
	uint64_t end_ns;                   /* where the newest bucket ends */
	uint64_t sum_out, sum_in;
	uint32_t head;                     /* the newest bucket's index */
	uint64_t out[SLOW_BUCKETS], in[SLOW_BUCKETS];
};

/* A pair's state (920 bytes): its totals when last seen, and a ring per
 * window. */
struct slow_state {
	uint64_t seen_out, seen_in;
	bool started;
	struct slow_ring ring[SLOW_WINDOWS_MAX];
};

/* A window's sums at one time. */
struct slow_sum {
	size_t i;
	uint64_t out, in;
};

static int parse_window(void *conf, const char *key, const char *text,
    char *why, size_t whylen);

static const struct rule_param params[] = {
	RULE_KEY_FN("windows", RULE_PARAM_MAP, "24h=10MB;7d=20MB", parse_window),
	RULE_KEY("min_ratio", RULE_PARAM_RATIO, struct slow_conf, min_ratio, "3"),
};

static const char *const attack[] = { "T1030", "T1041", "T1048", NULL };

/* windows: one entry (duration: size), kept sorted by duration; NULL text
 * forgets them all. */
static int
parse_window(void *conf, const char *key, const char *text, char *why,
    size_t whylen)
{
	struct slow_conf *c = conf;
	uint64_t w, b;
	size_t i;

	if (text == NULL) {
		c->n = 0;
		return 0;
	}
	if (parse_duration(key, &w) != 0 || w == 0)
		return snprintf(why, whylen, "window \"%s\" is not a duration", key),
		    -1;
	if (parse_size(text, &b) != 0 || b == 0)
		return snprintf(why, whylen, "not a size"), -1;
	for (i = 0; i < c->n; i++)
		if (c->window_s[i] == w)
			return snprintf(why, whylen, "window %s given twice", key), -1;
	if (c->n == SLOW_WINDOWS_MAX)
		return snprintf(why, whylen, "at most %d windows", SLOW_WINDOWS_MAX),
		    -1;
	for (i = c->n; i > 0 && c->window_s[i - 1] > w; i--) {
		c->window_s[i] = c->window_s[i - 1];
		c->bytes[i] = c->bytes[i - 1];
	}
	c->window_s[i] = w;
	c->bytes[i] = b;
	c->n++;
	return 0;
}

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct slow_conf *c = conf;
	uint64_t step = UINT64_MAX;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->bytes[i] / SLOW_STEPS < step)
			step = c->bytes[i] / SLOW_STEPS;
	out->unfamiliar_foreign_only = true;
	out->every_bytes_out = step > 0 ? step : 1;
}

static uint64_t
bucket_ns(const struct slow_conf *c, size_t i)
{
	return c->window_s[i] * NS_PER_SEC / SLOW_BUCKETS;
}

/* Moves the ring on to the bucket of ts: the buckets it passes are
 * emptied (a division only when a bucket edge is crossed). */
static void
ring_advance(struct slow_ring *r, uint64_t width, uint64_t ts)
{
	uint64_t n;

	if (r->end_ns == 0)
		r->end_ns = (ts / width + 1) * width;
	if (ts < r->end_ns)
		return;
	n = (ts - r->end_ns) / width + 1;
	r->end_ns += n * width;
	if (n >= SLOW_BUCKETS) { /* a whole turn or more: all of it is gone */
		memset(r->out, 0, sizeof(r->out));
		memset(r->in, 0, sizeof(r->in));
		r->sum_out = r->sum_in = 0;
		return;
	}
	for (; n > 0; n--) {
		r->head = (r->head + 1) % SLOW_BUCKETS;
		r->sum_out -= r->out[r->head];
		r->sum_in -= r->in[r->head];
		r->out[r->head] = r->in[r->head] = 0;
		if (r->sum_out == 0 && r->sum_in == 0)
			break; /* (the rest are empty too) */
	}
}

/* Adds to the bucket of ts; a time before the newest bucket counts in it. */
static void
ring_add(struct slow_ring *r, uint64_t width, uint64_t ts, uint64_t out,
    uint64_t in)
{
	ring_advance(r, width, ts);
	r->out[r->head] += out;
	r->in[r->head] += in;
	r->sum_out += out;
	r->sum_in += in;
}

/* The growth since the last evaluation goes into every window. On the
 * first evaluation the pair's bytes so far count in a window only when the
 * pair is young enough for all of them to lie within what it covers. */
static void
feed(const struct slow_conf *c, struct slow_state *st, const struct pair *p,
    uint64_t ts)
{
	uint64_t out = p->total_out - st->seen_out, in = p->total_in - st->seen_in;
	uint64_t width, age = ts > p->first_ns ? ts - p->first_ns : 0;
	size_t i;

	if (p->total_out < st->seen_out || p->total_in < st->seen_in)
		out = in = 0; /* (totals never shrink; a stale state does) */
	for (i = 0; i < c->n; i++) {
		width = bucket_ns(c, i);
		if (!st->started && age > width * (SLOW_BUCKETS - 1))
			ring_add(&st->ring[i], width, ts, 0, 0);
		else
			ring_add(&st->ring[i], width, ts, out, in);
	}
	st->seen_out = p->total_out;
	st->seen_in = p->total_in;
	st->started = true;
}

/* The shortest window over its threshold with out/in >= min_ratio. */
static bool
crossed(const struct slow_conf *c, const struct slow_state *st,
    struct slow_sum *s)
{
	for (s->i = 0; s->i < c->n; s->i++) {
		s->out = st->ring[s->i].sum_out;
		s->in = st->ring[s->i].sum_in;
		if (s->out >= c->bytes[s->i] &&
		    (double)s->out >= c->min_ratio * (double)s->in)
			return true;
	}
	return false;
}

/* "24 h", "7 d", "90 min", "45 s": the largest unit that divides it
 * (days from two on). */
static void
period_text(uint64_t s, char *buf, size_t len)
{
	if (s % 86400 == 0 && s > 86400)
		snprintf(buf, len, "%" PRIu64 " d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%" PRIu64 " h", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, len, "%" PRIu64 " min", s / 60);
	else
		snprintf(buf, len, "%" PRIu64 " s", s);
}

static void
describe(const struct rule_input *in, const struct slow_conf *c,
    const struct slow_sum *s, struct finding *out)
{
	char sent[16], back[16], span[24], first[RFC3339_LEN], day[32];
	struct rule_where w;

	describe_where(in, &w);
	describe_size(s->out, sent, sizeof(sent));
	describe_size(s->in, back, sizeof(back));
	period_text(c->window_s[s->i], span, sizeof(span));
	describe_day(in->pair->first_ns, day, sizeof(day));
	format_rfc3339_ms(in->pair->first_ns, first);
	finding_reason(out, "%s sent %s to %s (%s) within %s, %s back; "
	    "first seen %s", w.host, sent, w.dst, w.cc, span, back, day);
	finding_u64(out, "long_window_s", c->window_s[s->i]);
	finding_u64(out, "long_out", s->out);
	finding_u64(out, "long_in", s->in);
	finding_u64(out, "threshold", c->bytes[s->i]);
	finding_str(out, "first_contact", first);
	finding_threshold(out, "rules.slow_upload.windows", c->bytes[s->i],
	    s->out);
}

/* Cheap: can the pair's bytes out not yet fed make a window cross (its
 * sum can only be smaller once advanced), or are they a step's worth? */
static bool
worth_feeding(const struct slow_conf *c, const struct slow_state *st,
    uint64_t pending)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (st->ring[i].sum_out + pending >= c->bytes[i] ||
		    pending >= c->bytes[i] / SLOW_STEPS)
			return true;
	return !st->started;
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct slow_conf *c = conf;
	struct slow_state *st = state->at[RULE_SCOPE_PAIR];
	struct slow_sum s;

	if (in->why != RULE_ON_TICK && in->pair->total_out >= st->seen_out &&
	    !worth_feeding(c, st, in->pair->total_out - st->seen_out))
		return false;
	feed(c, st, in->pair, in->ts_ns);
	if (!crossed(c, st, &s))
		return false;
	describe(in, c, &s, out);
	return true;
}

/* Saved state: a boolean and each ring's newest index in range. */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	size_t i;

	(void)scope;
	if (!rule_state_bool_ok(state, offsetof(struct slow_state, started)))
		return false;
	for (i = 0; i < SLOW_WINDOWS_MAX; i++)
		if (!rule_state_u32_below(state, offsetof(struct slow_state, ring) +
		    i * sizeof(struct slow_ring) + offsetof(struct slow_ring, head),
		    SLOW_BUCKETS))
			return false;
	return true;
}

const struct rule_def rule_slow_upload = {
	.name = "slow-upload",
	.title = "Slow upload to an unfamiliar foreign destination over days",
	.settings = { "slow_upload", true, SEV_HIGH, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct slow_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct slow_state) },
	.observes = RULE_ON_BYTES | RULE_ON_TICK,
	.gate = gate,
	.match = match,
	.state_ok = state_ok,
};
