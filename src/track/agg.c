/*
 * agg.c - the (internal host, destination) aggregate table and its
 * sliding windows. A window of W is a ring of AGG_BUCKETS buckets of W/N;
 * the running sum covers the newest N buckets, so the effective window is
 * between W - W/N and W (documented in the README).
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/agg.h"
#include "exfild/util/log.h"

#define AGG_LRU_GRAIN_NS 1000000000ULL

struct aggtab {
	struct pair *pairs;
	uint32_t *buckets;
	size_t capacity, nbuckets;
	uint32_t free_head; /* released slots, most recent first */
	uint32_t fresh;     /* slots [fresh, capacity) were never handed out */
	uint32_t lru_head, lru_tail;
	uint64_t bucket_ns;
	struct hash_key key;
	struct agg_stats stats;
};

static uint64_t
bucket_width(uint64_t window_ns)
{
	uint64_t w = window_ns / AGG_BUCKETS;

	return w == 0 ? 1 : w;
}

struct aggtab *
aggtab_new(size_t capacity, uint64_t window_ns, const struct hash_key *key)
{
	struct aggtab *t;
	size_t i;

	if (capacity == 0 || capacity >= AGG_NONE)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->capacity = capacity;
	t->nbuckets = round_pow2(capacity);
	/* handed out in order the first time (agg_get): pages are faulted
	 * in as the table fills, not all at start-up */
	t->pairs = xcalloc(capacity, sizeof(*t->pairs));
	t->buckets = xmalloc(t->nbuckets * sizeof(*t->buckets));
	for (i = 0; i < t->nbuckets; i++)
		t->buckets[i] = AGG_NONE;
	t->free_head = AGG_NONE;
	t->fresh = 0;
	t->lru_head = t->lru_tail = AGG_NONE;
	t->bucket_ns = bucket_width(window_ns);
	t->key = *key;
	return t;
}

void
aggtab_free(struct aggtab *t)
{
	if (t == NULL)
		return;
	free(t->pairs);
	free(t->buckets);
	free(t);
}

void
aggtab_set_window(struct aggtab *t, uint64_t window_ns)
{
	uint64_t width = bucket_width(window_ns);
	size_t i;

	if (width == t->bucket_ns)
		return;
	t->bucket_ns = width;
	/* Bucket numbers change meaning: keep each pair's window sum, moved
	 * into its newest bucket in the new width (it then ages out as one). */
	for (i = 0; i < t->capacity; i++) {
		struct pair *p = &t->pairs[i];
		if (!p->used)
			continue;
		memset(p->b, 0, sizeof(p->b));
		p->newest_bucket = p->last_ns / width;
		p->bucket_end_ns = p->newest_bucket >= UINT64_MAX / width - 1 ?
		    UINT64_MAX : (p->newest_bucket + 1) * width;
		p->b[p->newest_bucket % AGG_BUCKETS] = p->win;
	}
}

uint64_t
aggtab_window_ns(const struct aggtab *t)
{
	return t->bucket_ns * AGG_BUCKETS;
}

static size_t
bucket_of(const struct aggtab *t, const struct netaddr *host, uint32_t dest_id,
    uint32_t dest_gen)
{
	uint8_t buf[25];

	memcpy(buf, host->a, 16);
	buf[16] = host->family;
	memcpy(buf + 17, &dest_id, 4);
	memcpy(buf + 21, &dest_gen, 4);
	return (size_t)(hash_bytes(&t->key, buf, sizeof(buf)) & (t->nbuckets - 1));
}

static void
lru_unlink(struct aggtab *t, struct pair *p)
{
	if (p->lru_prev != AGG_NONE)
		t->pairs[p->lru_prev].lru_next = p->lru_next;
	else
		t->lru_head = p->lru_next;
	if (p->lru_next != AGG_NONE)
		t->pairs[p->lru_next].lru_prev = p->lru_prev;
	else
		t->lru_tail = p->lru_prev;
}

static void
lru_push_tail(struct aggtab *t, struct pair *p)
{
	uint32_t id = (uint32_t)(p - t->pairs);

	p->lru_next = AGG_NONE;
	p->lru_prev = t->lru_tail;
	if (t->lru_tail != AGG_NONE)
		t->pairs[t->lru_tail].lru_next = id;
	else
		t->lru_head = id;
	t->lru_tail = id;
}

static void
evict_lru(struct aggtab *t)
{
	uint32_t id = t->lru_head;
	struct pair *p = &t->pairs[id];
	uint32_t *link = &t->buckets[bucket_of(t, &p->host, p->dest_id, p->dest_gen)];

	while (*link != id) {
		if (*link == AGG_NONE)
			fatalx("aggregate table: pair %u missing from its bucket", id);
		link = &t->pairs[*link].hash_next;
	}
	*link = p->hash_next;
	lru_unlink(t, p);
	p->used = false;
	p->hash_next = t->free_head;
	t->free_head = id;
	t->stats.evicted++;
	t->stats.active--;
}

struct pair *
agg_get(struct aggtab *t, const struct netaddr *host, uint32_t dest_id,
    uint32_t dest_gen, uint64_t ts_ns, uint32_t *id)
{
	size_t b = bucket_of(t, host, dest_id, dest_gen);
	uint32_t i, gen;
	struct pair *p;

	for (i = t->buckets[b]; i != AGG_NONE; i = t->pairs[i].hash_next) {
		p = &t->pairs[i];
		if (p->dest_id == dest_id && p->dest_gen == dest_gen &&
		    netaddr_eq(&p->host, host)) {
			lru_unlink(t, p);
			lru_push_tail(t, p);
			if (ts_ns > p->lru_ns)
				p->lru_ns = ts_ns; /* the list stays ordered by it */
			*id = i;
			return p;
		}
	}
	if (t->free_head == AGG_NONE && t->fresh < t->capacity) {
		i = t->fresh++;
		p = &t->pairs[i];
	} else {
		if (t->free_head == AGG_NONE)
			evict_lru(t);
		i = t->free_head;
		p = &t->pairs[i];
		t->free_head = p->hash_next;
	}
	gen = p->gen + 1;
	memset(p, 0, sizeof(*p));
	p->gen = gen;
	p->used = true;
	p->host = *host;
	p->dest_id = dest_id;
	p->dest_gen = dest_gen;
	p->country = COUNTRY_UNKNOWN;
	p->first_ns = p->last_ns = p->lru_ns = ts_ns;
	p->newest_bucket = ts_ns / t->bucket_ns;
	p->bucket_end_ns = p->newest_bucket >= UINT64_MAX / t->bucket_ns - 1 ?
	    UINT64_MAX : (p->newest_bucket + 1) * t->bucket_ns;
	p->hash_next = t->buckets[b];
	t->buckets[b] = i;
	lru_push_tail(t, p);
	t->stats.created++;
	t->stats.active++;
	*id = i;
	return p;
}

uint32_t
agg_pair_id(const struct aggtab *t, const struct pair *p)
{
	return (uint32_t)(p - t->pairs);
}

struct pair *
agg_by_id(struct aggtab *t, uint32_t id, uint32_t gen)
{
	struct pair *p;

	if (id >= t->capacity)
		return NULL;
	p = &t->pairs[id];
	return p->used && p->gen == gen ? p : NULL;
}

static void
bucket_sub(struct agg_bucket *sum, const struct agg_bucket *b)
{
	sum->out -= b->out;
	sum->in -= b->in;
	sum->compressed -= b->compressed;
	sum->flows -= b->flows;
}

/* The window moves into a later bucket (see agg_advance). */
static void __attribute__((noinline))
advance_buckets(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	uint64_t now, n;

	now = ts_ns / t->bucket_ns;
	if (now <= p->newest_bucket)
		return;
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
	p->bucket_end_ns = now >= UINT64_MAX / t->bucket_ns - 1 ? UINT64_MAX :
	    (now + 1) * t->bucket_ns;
}

void
agg_advance(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	/* most packets fall in the newest bucket (or slightly before it) */
	if (ts_ns >= p->bucket_end_ns)
		advance_buckets(t, p, ts_ns);
}

/* Traffic keeps a pair recent: relink it at most once a second (a relink
 * touches its neighbours' cache lines). */
static void __attribute__((noinline))
relink(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	p->lru_ns = ts_ns;
	if (t->lru_tail == (uint32_t)(p - t->pairs))
		return;
	lru_unlink(t, p);
	lru_push_tail(t, p);
}

static inline void
touch(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	if (ts_ns >= p->lru_ns && ts_ns - p->lru_ns >= AGG_LRU_GRAIN_NS)
		relink(t, p, ts_ns);
}

/* Per packet: inline, with the rare work in the two functions above. */
static inline __attribute__((always_inline)) struct agg_bucket *
current_bucket(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	agg_advance(t, p, ts_ns);
	if (ts_ns > p->last_ns)
		p->last_ns = ts_ns;
	touch(t, p, ts_ns);
	return &p->b[p->newest_bucket % AGG_BUCKETS];
}

void
agg_add_bytes(struct aggtab *t, struct pair *p, uint64_t ts_ns, uint64_t out,
    uint64_t in)
{
	struct agg_bucket *b = current_bucket(t, p, ts_ns);

	b->out += out;
	b->in += in;
	p->win.out += out;
	p->win.in += in;
	p->total_out += out;
	p->total_in += in;
}

void
agg_add_kind(struct aggtab *t, struct pair *p, uint64_t ts_ns,
    enum payload_kind kind, uint64_t bytes)
{
	struct agg_bucket *b;

	if ((unsigned)kind >= PK_COUNT || bytes == 0)
		return;
	p->kind_bytes[kind] += bytes;
	if (!payload_kind_is_compressed(kind))
		return;
	b = current_bucket(t, p, ts_ns);
	b->compressed += bytes;
	p->win.compressed += bytes;
}

void
agg_add_flow(struct aggtab *t, struct pair *p, uint64_t ts_ns)
{
	struct agg_bucket *b = current_bucket(t, p, ts_ns);

	b->flows++;
	p->win.flows++;
	p->total_flows++;
}

void
agg_foreach(const struct aggtab *t, agg_visit_fn fn, void *ctx)
{
	uint32_t i;

	for (i = t->lru_head; i != AGG_NONE; i = t->pairs[i].lru_next)
		fn(ctx, &t->pairs[i]);
}

void
agg_foreach_recent(struct aggtab *t, uint64_t since_ns, agg_update_fn fn,
    void *ctx)
{
	uint64_t horizon = since_ns > AGG_LRU_GRAIN_NS ? since_ns - AGG_LRU_GRAIN_NS : 0;
	uint32_t i, prev;

	for (i = t->lru_tail; i != AGG_NONE; i = prev) {
		struct pair *p = &t->pairs[i];
		/* fn may not reorder the list, but read the link first anyway */
		prev = p->lru_prev;
		if (p->lru_ns < horizon)
			break;
		if (p->last_ns >= since_ns)
			fn(ctx, p);
	}
}

void
aggtab_reset_verdicts(struct aggtab *t)
{
	uint32_t i;

	for (i = t->lru_head; i != AGG_NONE; i = t->pairs[i].lru_next) {
		t->pairs[i].benign = false;
		t->pairs[i].country = COUNTRY_UNKNOWN;
	}
}

void
agg_get_stats(const struct aggtab *t, struct agg_stats *out)
{
	*out = t->stats;
}
