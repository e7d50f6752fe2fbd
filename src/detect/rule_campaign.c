/*
 * rule_campaign.c - campaign: at least `hosts` distinct internal hosts,
 * each sending at least `bytes`, to one unfamiliar foreign destination
 * within `window` (JAL: 23 PCs sent RAR archives to one Hong Kong server).
 *
 * A pair counts its bytes out over `window` in CAMPAIGN_BUCKETS buckets,
 * fed at each evaluation with the growth of its total since the last one
 * (it is asked every bytes/CAMPAIGN_STEPS of bytes out and
 * on the timer, never per packet). It qualifies when that sum reaches
 * `bytes`, and again once a whole window has passed since. Its destination
 * keeps the hosts that qualified and when: the first CAMPAIGN_KEEP by
 * address (the evidence), each counted until `window` after it qualified,
 * and beyond those a count per bucket (each for 7/8 to all of the window).
 * A qualified pair alerts while that count is at least `hosts`: the one
 * that completes the campaign at once, and with it every earlier member
 * (named as related: the tracker asks their pairs at once), one that joins
 * later when it qualifies.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"

#define CAMPAIGN_BUCKETS 8  /* a window in buckets of window/8 */
#define CAMPAIGN_KEEP    16 /* member hosts kept per destination */
#define CAMPAIGN_STEPS   2  /* a pair is asked every bytes/2 of bytes out */

struct campaign_conf {
	struct rule_base base;
	uint64_t hosts;
	uint64_t bytes;
	uint64_t window_s;
};

static const struct rule_param params[] = {
	RULE_KEY("hosts", RULE_PARAM_COUNT, struct campaign_conf, hosts, "3"),
	RULE_KEY("bytes", RULE_PARAM_SIZE, struct campaign_conf, bytes, "100KB"),
	RULE_KEY("window", RULE_PARAM_PERIOD, struct campaign_conf, window_s, "24h"),
};

static const char *const attack[] = { "T1041", "T1048", "T1567", "T1020", NULL };

/* Sums over the last CAMPAIGN_BUCKETS buckets (72 bytes). */
struct ring {
	uint64_t newest;                /* absolute number of the newest bucket */
	uint64_t v[CAMPAIGN_BUCKETS];
};

/* Pair scope (88 bytes). */
struct campaign_pair {
	uint64_t seen_out;     /* the pair's total_out when last asked */
	uint64_t qualified_ns; /* when its bytes in the window last reached
				* `bytes` (0: never) */
	struct ring out;       /* bytes out, by bucket */
};

/* A host that qualified (40 bytes). */
struct member {
	uint64_t at_ns;        /* when (0: a free slot) */
	uint64_t bytes;        /* its bytes out within the window then */
	struct netaddr host;
};

/* Destination scope, shared by every host sending there (712 bytes). */
struct campaign_dest {
	struct member m[CAMPAIGN_KEEP];
	struct ring further;   /* hosts that qualified with every slot taken */
};

/* The members listed in an alert. */
struct listing {
	size_t n;
	uint64_t bytes;        /* theirs */
	uint64_t first_ns;     /* when the earliest of them qualified */
	char text[FINDING_TEXT_MAX];
};

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct campaign_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	out->min_window_out = 0;
	out->every_bytes_out = c->bytes / CAMPAIGN_STEPS > 0 ?
	    c->bytes / CAMPAIGN_STEPS : 1;
}

static uint64_t
window_ns(const struct campaign_conf *c)
{
	return c->window_s * NS_PER_SEC;
}

static uint64_t
bucket_ns(const struct campaign_conf *c)
{
	uint64_t w = window_ns(c) / CAMPAIGN_BUCKETS;

	return w > 0 ? w : 1;
}

/* Adds n at now (a time before the newest bucket counts in it) and
 * returns the sum; old buckets drop out first. */
static uint64_t
ring_add(struct ring *r, uint64_t now, uint64_t width, uint64_t n)
{
	uint64_t b = now / width, sum = 0;
	size_t i;

	if (b > r->newest && b - r->newest >= CAMPAIGN_BUCKETS)
		memset(r->v, 0, sizeof(r->v));
	else
		while (b > r->newest)
			r->v[++r->newest % CAMPAIGN_BUCKETS] = 0;
	if (b > r->newest)
		r->newest = b;
	r->v[r->newest % CAMPAIGN_BUCKETS] += n;
	for (i = 0; i < CAMPAIGN_BUCKETS; i++)
		sum += r->v[i];
	return sum;
}

/* Was at (0: never) within the window before now? A time after now (input
 * slightly out of order) is. */
static bool
within(uint64_t at, uint64_t now, uint64_t window)
{
	return at != 0 && (now < at || now - at <= window);
}

/* The pair's bytes out within the window, with what it sent since it was
 * last asked. */
static uint64_t
pair_window_out(struct campaign_pair *p, const struct campaign_conf *c,
    uint64_t total_out, uint64_t now)
{
	uint64_t grew = total_out > p->seen_out ? total_out - p->seen_out : 0;

	p->seen_out = total_out;
	return ring_add(&p->out, now, bucket_ns(c), grew);
}

/* host qualified at now with bytes: its own slot again, else a free or
 * expired one, else only counted. */
static void
join(struct campaign_dest *d, const struct campaign_conf *c,
    const struct netaddr *host, uint64_t now, uint64_t bytes)
{
	struct member *slot = NULL;
	size_t i;

	for (i = 0; i < CAMPAIGN_KEEP; i++) {
		if (d->m[i].at_ns != 0 && netaddr_cmp(&d->m[i].host, host) == 0) {
			slot = &d->m[i];
			break;
		}
		if (slot == NULL && !within(d->m[i].at_ns, now, window_ns(c)))
			slot = &d->m[i];
	}
	if (slot == NULL) {
		ring_add(&d->further, now, bucket_ns(c), 1);
		return;
	}
	slot->at_ns = now;
	slot->bytes = bytes;
	slot->host = *host;
}

/* The members within the window, oldest first (indexes into d->m). */
static size_t
members(const struct campaign_dest *d, uint64_t now, uint64_t window,
    size_t *idx)
{
	size_t i, j, n = 0;

	for (i = 0; i < CAMPAIGN_KEEP; i++) {
		if (!within(d->m[i].at_ns, now, window))
			continue;
		for (j = n; j > 0 && d->m[idx[j - 1]].at_ns > d->m[i].at_ns; j--)
			idx[j] = idx[j - 1];
		idx[j] = i;
		n++;
	}
	return n;
}

/* Hosts qualified within the window before now, kept or not. */
static uint64_t
count(struct campaign_dest *d, const struct campaign_conf *c, uint64_t now)
{
	uint64_t n = ring_add(&d->further, now, bucket_ns(c), 0);
	size_t i;

	for (i = 0; i < CAMPAIGN_KEEP; i++)
		n += within(d->m[i].at_ns, now, window_ns(c));
	return n;
}

/* Lists the members within the window, oldest first, as many as fit. */
static void
list(const struct campaign_dest *d, const struct campaign_conf *c,
    uint64_t now, struct listing *l)
{
	size_t idx[CAMPAIGN_KEEP], i, n, len = 0;
	char a[NETADDR_STRLEN];
	int w;

	l->n = 0;
	l->bytes = l->first_ns = 0;
	l->text[0] = '\0';
	n = members(d, now, window_ns(c), idx);
	for (i = 0; i < n; i++) {
		netaddr_format(&d->m[idx[i]].host, a, sizeof(a));
		w = snprintf(l->text + len, sizeof(l->text) - len, "%s%s",
		    i > 0 ? "," : "", a);
		if (w < 0 || (size_t)w >= sizeof(l->text) - len) {
			l->text[len] = '\0';
			break;
		}
		len += (size_t)w;
		l->bytes += d->m[idx[i]].bytes;
		if (l->n++ == 0)
			l->first_ns = d->m[idx[i]].at_ns;
	}
}

/* 45 s, 12 min, 3 h (rounded down). */
static void
format_span(uint64_t s, char *buf, size_t len)
{
	if (s < 120)
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%llu min", (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%llu h", (unsigned long long)(s / 3600));
}

/* Thu 18 Sep 04:10 UTC */
static void
format_when(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%a %d %b %H:%M UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

static void
describe(const struct rule_input *in, const struct campaign_conf *c,
    const struct campaign_dest *d, uint64_t now, uint64_t hosts,
    uint64_t sent, struct finding *out)
{
	char amount[48], size[16], span[24], when[32];
	struct rule_where w;
	struct listing l;
	uint64_t span_s;

	list(d, c, now, &l);
	span_s = now > l.first_ns ? (now - l.first_ns) / NS_PER_SEC : 0;
	describe_where(in, &w);
	describe_size(l.n == hosts ? l.bytes : c->bytes, size, sizeof(size));
	snprintf(amount, sizeof(amount), l.n == hosts ? "%s" : "at least %s each",
	    size);
	format_span(span_s, span, sizeof(span));
	format_when(in->dest->first_seen_ns, when, sizeof(when));
	finding_reason(out, "%llu internal hosts sent %s to %s (%s) within %s; "
	    "first seen %s", (unsigned long long)hosts, amount,
	    w.dst, w.cc, span, when);
	finding_u64(out, "hosts", hosts);
	finding_u64(out, "hosts_listed", l.n);
	finding_str(out, "host_list", l.text);
	finding_u64(out, "bytes_listed", l.bytes);
	finding_u64(out, "span_s", span_s);
	finding_u64(out, "host_bytes", sent);
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct campaign_conf *c = conf;
	struct campaign_pair *p = state->at[RULE_SCOPE_PAIR];
	struct campaign_dest *d = state->at[RULE_SCOPE_DEST];
	uint64_t now = in->ts_ns != 0 ? in->ts_ns : 1;
	uint64_t sent = pair_window_out(p, c, in->pair->total_out, now);
	uint64_t hosts;

	if (sent >= c->bytes && !within(p->qualified_ns, now, window_ns(c))) {
		p->qualified_ns = now;
		join(d, c, &in->pair->host, now, sent);
	}
	if (!within(p->qualified_ns, now, window_ns(c)))
		return false;
	hosts = count(d, c, now);
	if (hosts < c->hosts)
		return false;
	describe(in, c, d, now, hosts, sent, out);
	finding_threshold(out, "rules.campaign.hosts", c->hosts, hosts);
	return true;
}

/* The members within the window but this pair's host: their pairs are
 * asked at once, so that each alerts when the campaign is complete. */
static size_t
related(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct netaddr *out, size_t max)
{
	const struct campaign_conf *c = conf;
	const struct campaign_dest *d = state->at[RULE_SCOPE_DEST];
	uint64_t now = in->ts_ns != 0 ? in->ts_ns : 1;
	size_t i, n = 0;

	for (i = 0; i < CAMPAIGN_KEEP && n < max; i++)
		if (within(d->m[i].at_ns, now, window_ns(c)) &&
		    !netaddr_eq(&d->m[i].host, &in->pair->host))
			out[n++] = d->m[i].host;
	return n;
}

/* Saved state: a member's address is none, IPv4 or IPv6 (the rings are
 * read modulo their size and any counts will do). */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	struct member m;
	size_t i;

	if (scope != RULE_SCOPE_DEST)
		return true;
	for (i = 0; i < CAMPAIGN_KEEP; i++) {
		memcpy(&m, (const unsigned char *)state +
		    offsetof(struct campaign_dest, m) + i * sizeof(m), sizeof(m));
		if (m.host.family != 0 && m.host.family != 4 && m.host.family != 6)
			return false;
	}
	return true;
}

const struct rule_def rule_campaign = {
	.name = "campaign",
	.title = "Several internal hosts upload to one unfamiliar foreign "
	    "destination (campaign)",
	.settings = { "campaign", true, SEV_CRITICAL, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct campaign_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct campaign_pair),
	    [RULE_SCOPE_DEST] = sizeof(struct campaign_dest) },
	.observes = RULE_ON_BYTES | RULE_ON_TICK, /* milestones and the timer */
	.gate = gate,
	.match = match,
	.state_ok = state_ok,
	.related = related,
};
