/*
 * agg.c - the (internal host, destination) aggregate table and its
 * sliding windows. A window of W is a ring of AGG_BUCKETS buckets of W/N;
 * the running sum covers the newest N buckets, so the effective window is
 * between W - W/N and W (documented in the README).
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/agg.h"
#include "exfild/util/table.h"

#define AGG_LRU_GRAIN_NS 1000000000ULL
#define AGG_LIST 0 /* the one recency list */

struct aggtab {
	struct table tab;
	uint64_t bucket_ns;
	struct hash_key key;
	struct agg_stats stats;
	agg_bucket_fn bucket_fn;  /* watched pairs' closing buckets */
	void *bucket_ctx;
};

/* A pair's key, to look up. */
struct pair_probe {
	const struct netaddr *host;
	uint32_t dest_id, dest_gen;
};

/* agg_foreach and agg_foreach_recent through table_foreach*. */
struct pair_walk {
	struct aggtab *t;
	agg_visit_fn visit;
	agg_update_fn update;
	void *ctx;
	uint64_t since_ns, horizon_ns;
};

static uint64_t
bucket_width(uint64_t window_ns)
{
	uint64_t w = window_ns / AGG_BUCKETS;

	return w == 0 ? 1 : w;
}

static void
pair_evicted(void *ctx, uint32_t id, void *entry)
{
	struct aggtab *t = ctx;
	struct pair *p = entry;

	(void)id;
	p->used = false;
	t->stats.evicted++;
	t->stats.active--;
}

/* The pairs' table: two buckets a pair. */
static struct table_conf
pairs_conf(size_t capacity, struct aggtab *t)
{
	/* twice the buckets: a new pair's look-up, which walks its whole
	 * chain, reads half as many other pairs (a cache miss each) */
	struct table_conf conf = {
		.capacity = capacity, .min_buckets = capacity * 2,
		.entry_size = sizeof(struct pair),
		.gen_offset = offsetof(struct pair, gen),
		.lists = 1, .evict = pair_evicted, .ctx = t,
	};

	return conf;
}

uint64_t
aggtab_bytes(size_t capacity)
{
	return table_bytes(pairs_conf(capacity, NULL));
}

struct aggtab *
aggtab_new(size_t capacity, uint64_t window_ns, const struct hash_key *key)
{
	struct aggtab *t = xcalloc(1, sizeof(*t));
	struct table_conf conf = pairs_conf(capacity, t);

	if (table_init(&t->tab, &conf) != 0) {
		free(t);
		return NULL;
	}
	t->bucket_ns = bucket_width(window_ns);
	t->key = *key;
	return t;
}

void
aggtab_free(struct aggtab *t)
{
	if (t == NULL)
		return;
	table_fini(&t->tab);
	free(t);
}

/* Where bucket number n ends in this width (UINT64_MAX past the end of
 * time). */
static uint64_t
bucket_end(uint64_t n, uint64_t width)
{
	return n >= UINT64_MAX / width - 1 ? UINT64_MAX : (n + 1) * width;
}

/* Bucket numbers change meaning: keep the pair's window sum, moved into
 * its newest bucket in the new width (it then ages out as one). */
static void
rewindow(struct pair *p, uint64_t width)
{
	memset(p->b, 0, sizeof(p->b));
	p->newest_bucket = p->last_ns / width;
	p->bucket_end_ns = bucket_end(p->newest_bucket, width);
	p->b[p->newest_bucket % AGG_BUCKETS] = p->win;
}

static bool
rewindow_pair(void *ctx, uint32_t id, void *entry)
{
	(void)id;
	rewindow(entry, ((struct pair_walk *)ctx)->t->bucket_ns);
	return true;
}

void
aggtab_set_window(struct aggtab *t, uint64_t window_ns)
{
	uint64_t width = bucket_width(window_ns);
	struct pair_walk w = { .t = t };

	if (width == t->bucket_ns)
		return;
	t->bucket_ns = width;
	table_foreach(&t->tab, AGG_LIST, rewindow_pair, &w);
}

uint64_t
aggtab_window_ns(const struct aggtab *t)
{
	return t->bucket_ns * AGG_BUCKETS;
}

static uint64_t
pair_hash(const struct aggtab *t, const struct netaddr *host, uint32_t dest_id,
    uint32_t dest_gen)
{
	uint8_t buf[25];

	memcpy(buf, host->a, 16);
	buf[16] = host->family;
	memcpy(buf + 17, &dest_id, 4);
	memcpy(buf + 21, &dest_gen, 4);
	return hash_bytes(&t->key, buf, sizeof(buf));
}

static bool
match_pair(void *probe, const void *entry)
{
	const struct pair_probe *k = probe;
	const struct pair *p = entry;

	return p->dest_id == k->dest_id && p->dest_gen == k->dest_gen &&
	    netaddr_eq(&p->host, k->host);
}

struct pair *
agg_find(struct aggtab *t, const struct netaddr *host, uint32_t dest_id,
    uint32_t dest_gen, uint32_t *id)
{
	struct pair_probe probe = { host, dest_id, dest_gen };
	uint32_t i = table_find(&t->tab, pair_hash(t, host, dest_id, dest_gen),
	    match_pair, &probe);

	if (i == TABLE_NONE)
		return NULL;
	*id = i;
	return table_entry(&t->tab, i);
}

struct pair *
agg_get(struct aggtab *t, const struct netaddr *host, uint32_t dest_id,
    uint32_t dest_gen, uint64_t ts_ns, uint32_t *id)
{
	struct pair_probe probe = { host, dest_id, dest_gen };
	uint64_t hash = pair_hash(t, host, dest_id, dest_gen);
	struct pair *p;
	uint32_t i;

	i = table_find(&t->tab, hash, match_pair, &probe);
	if (i != TABLE_NONE) {
		p = table_entry(&t->tab, i);
		table_touch(&t->tab, i);
		if (ts_ns > p->lru_ns)
			p->lru_ns = ts_ns; /* the list stays ordered by it */
		*id = i;
		return p;
	}
	i = table_insert(&t->tab, hash, AGG_LIST);
	p = table_entry(&t->tab, i);
	p->used = true;
	p->host = *host;
	p->dest_id = dest_id;
	p->dest_gen = dest_gen;
	p->country = COUNTRY_UNKNOWN;
	p->host_id = AGG_NONE;
	p->first_ns = p->last_ns = p->lru_ns = ts_ns;
	p->newest_bucket = ts_ns / t->bucket_ns;
	p->bucket_end_ns = bucket_end(p->newest_bucket, t->bucket_ns);
	t->stats.created++;
	t->stats.active++;
	*id = i;
	return p;
}

uint32_t
agg_pair_id(const struct aggtab *t, const struct pair *p)
{
	return table_id(&t->tab, p);
}

struct pair *
agg_by_id(struct aggtab *t, uint32_t id, uint32_t gen)
{
	return table_get(&t->tab, id, gen);
}

static void
bucket_sub(struct agg_bucket *sum, const struct agg_bucket *b)
{
	sum->out -= b->out;
	sum->in -= b->in;
	sum->compressed -= b->compressed;
	sum->flows -= b->flows;
}

/* The newest bucket's counts: what the window holds beyond the others
 * (packets add to the window sums only, see agg.h). */
static struct agg_bucket
newest_counts(const struct pair *p)
{
	struct agg_bucket c = p->win;
	size_t i, newest = p->newest_bucket % AGG_BUCKETS;

	for (i = 0; i < AGG_BUCKETS; i++)
		if (i != newest)
			bucket_sub(&c, &p->b[i]);
	return c;
}


void
agg_buckets(const struct pair *p, struct agg_bucket out[AGG_BUCKETS])
{
	memcpy(out, p->b, sizeof(p->b));
	out[p->newest_bucket % AGG_BUCKETS] = newest_counts(p);
}

/* The window moves into a later bucket (see agg_advance). */
static void __attribute__((noinline))
advance_buckets(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	struct agg_bucket c;
	uint64_t now, n;

	now = ts_ns / t->bucket_ns;
	if (now <= p->newest_bucket)
		return;
	/* the newest bucket written out before it becomes an older one (and
	 * handed to the report's hook when the pair is watched) */
	c = newest_counts(p);
	if (p->watched && t->bucket_fn != NULL)
		t->bucket_fn(t->bucket_ctx, p, p->newest_bucket, &c);
	p->b[p->newest_bucket % AGG_BUCKETS] = c;
	if (now - p->newest_bucket >= AGG_BUCKETS) {
		memset(p->b, 0, sizeof(p->b));
		memset(&p->win, 0, sizeof(p->win));
	} else {
		for (n = p->newest_bucket + 1; n <= now; n++) {
			struct agg_bucket *b = &p->b[n % AGG_BUCKETS];
			bucket_sub(&p->win, b);
			memset(b, 0, sizeof(*b));
		}
	}
	p->newest_bucket = now;
	p->bucket_end_ns = bucket_end(now, t->bucket_ns);
}

void
agg_set_bucket_hook(struct aggtab *t, agg_bucket_fn fn, void *ctx)
{
	t->bucket_fn = fn;
	t->bucket_ctx = ctx;
}

void
agg_advance(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	/* most packets fall in the newest bucket (or slightly before it) */
	if (ts_ns >= p->bucket_end_ns)
		advance_buckets(t, p, ts_ns);
}

/* Per packet: inline, with the rare work out of line (advance_buckets;
 * traffic keeps a pair recent, relinked at most once a second). What
 * comes in counts in the newest bucket: in the window sums alone, so that
 * a packet touches only the pair's first two cache lines. */
static inline __attribute__((always_inline)) void
current_bucket(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	agg_advance(t, p, ts_ns);
	if (ts_ns > p->last_ns)
		p->last_ns = ts_ns;
	table_touch_coarse(&t->tab, p, &p->lru_ns, ts_ns, AGG_LRU_GRAIN_NS);
}

/* (inline: link-time optimisation may then inline it into the packet path) */
inline void
agg_add_bytes(struct aggtab *t, struct pair *p, uint64_t ts_ns, uint64_t out,
    uint64_t in)
{
	current_bucket(t, p, ts_ns);
	p->win.out += out;
	p->win.in += in;
	p->total_out += out;
	p->total_in += in;
}

void
agg_add_kind(struct aggtab *t, struct pair *p, uint64_t ts_ns,
    enum payload_kind kind, uint64_t bytes)
{
	if ((unsigned)kind >= PK_COUNT || bytes == 0)
		return;
	p->kind_bytes[kind] += bytes;
	if (!payload_kind_is_compressed(kind))
		return;
	current_bucket(t, p, ts_ns);
	p->win.compressed += bytes;
}

void
agg_add_flow(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	current_bucket(t, p, ts_ns);
	p->win.flows++;
	p->total_flows++;
}

static bool
visit_pair(void *ctx, uint32_t id, void *entry)
{
	const struct pair_walk *w = ctx;

	(void)id;
	w->visit(w->ctx, entry);
	return true;
}

void
agg_foreach(const struct aggtab *t, agg_visit_fn fn, void *ctx)
{
	struct pair_walk w = { .visit = fn, .ctx = ctx };

	table_foreach(&t->tab, AGG_LIST, visit_pair, &w);
}

/* Newest first: the list is ordered by lru_ns, within a second of last_ns. */
static bool
visit_recent(void *ctx, uint32_t id, void *entry)
{
	const struct pair_walk *w = ctx;
	struct pair *p = entry;

	(void)id;
	if (p->lru_ns < w->horizon_ns)
		return false;
	if (p->last_ns >= w->since_ns)
		w->update(w->ctx, p);
	return true;
}

void
agg_foreach_recent(struct aggtab *t, uint64_t since_ns, agg_update_fn fn,
    void *ctx)
{
	struct pair_walk w = {
		.t = t, .update = fn, .ctx = ctx, .since_ns = since_ns,
		.horizon_ns = since_ns > AGG_LRU_GRAIN_NS ?
		    since_ns - AGG_LRU_GRAIN_NS : 0,
	};

	table_foreach_recent(&t->tab, AGG_LIST, visit_recent, &w);
}

static bool
reset_verdict(void *ctx, uint32_t id, void *entry)
{
	struct pair *p = entry;
	const bool *countries_too = ctx;

	(void)id;
	p->benign = false;
	p->suspect = false;
	p->next_eval_out = 0; /* the rules at byte milestones: ask at once */
	if (*countries_too)
		p->country = COUNTRY_UNKNOWN;
	return true;
}

void
aggtab_reset_verdicts(struct aggtab *t, bool countries_too)
{
	table_foreach(&t->tab, AGG_LIST, reset_verdict, &countries_too);
}

void
agg_get_stats(const struct aggtab *t, struct agg_stats *out)
{
	*out = t->stats;
}

uint64_t
agg_window_start(const struct aggtab *t, const struct pair *p)
{
	uint64_t oldest = p->newest_bucket >= AGG_BUCKETS - 1 ?
	    p->newest_bucket - (AGG_BUCKETS - 1) : 0;
	uint64_t start = oldest > UINT64_MAX / t->bucket_ns ? UINT64_MAX :
	    oldest * t->bucket_ns;

	return start > p->first_ns ? start : p->first_ns;
}

uint64_t
aggtab_bucket_ns(const struct aggtab *t)
{
	return t->bucket_ns;
}

static void
bucket_add(struct agg_bucket *sum, const struct agg_bucket *b)
{
	sum->out += b->out;
	sum->in += b->in;
	sum->compressed += b->compressed;
	sum->flows += b->flows;
}

struct pair *
agg_restore(struct aggtab *t, const struct pair *saved, uint64_t bucket_ns,
    uint32_t *id)
{
	struct pair *p = agg_get(t, &saved->host, saved->dest_id,
	    saved->dest_gen, saved->last_ns, id);
	size_t i;

	p->via_proxy = saved->via_proxy;
	p->jewel = saved->jewel;
	p->dst_port = saved->dst_port;
	p->first_ns = saved->first_ns;
	p->last_ns = p->lru_ns = saved->last_ns;
	p->total_out = saved->total_out;
	p->total_in = saved->total_in;
	p->total_flows = saved->total_flows;
	p->total_served = saved->total_served;
	p->next_eval_out = saved->next_eval_out;
	memcpy(p->kind_bytes, saved->kind_bytes, sizeof(p->kind_bytes));
	memcpy(p->b, saved->b, sizeof(p->b));
	memset(&p->win, 0, sizeof(p->win));
	for (i = 0; i < AGG_BUCKETS; i++)
		bucket_add(&p->win, &p->b[i]);
	p->newest_bucket = saved->newest_bucket;
	/* buckets in another width, or numbered where the pair's last
	 * traffic cannot have put them (a file's: a window that would never
	 * age), are kept as one lump */
	if (bucket_ns != t->bucket_ns || bucket_ns == 0 ||
	    p->newest_bucket < p->last_ns / bucket_ns ||
	    p->newest_bucket - p->last_ns / bucket_ns > AGG_BUCKETS)
		rewindow(p, t->bucket_ns);
	else
		p->bucket_end_ns = bucket_end(p->newest_bucket, t->bucket_ns);
	p->benign = p->suspect = false;
	p->country = COUNTRY_UNKNOWN;
	p->host_id = AGG_NONE;
	return p;
}
