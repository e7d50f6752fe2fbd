/*
 * flow.c - fixed-capacity flow table: chained hashing through indices into
 * one preallocated array, two LRU lists (open flows and closed flows, each
 * ordered by last activity) so expiry only looks at list heads.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/flow.h"
#include "exfild/util/log.h"

enum { LIST_FREE, LIST_OPEN, LIST_CLOSED, LIST_COUNT };

#define LRU_GRAIN_NS 1000000000ULL /* relink a busy flow at most once a second */

struct lru {
	uint32_t head, tail;
};

struct flowtab {
	struct flow *flows;
	uint32_t *buckets;
	size_t capacity;
	size_t nbuckets; /* power of two */
	uint32_t free_head; /* released slots, most recent first */
	uint32_t fresh;     /* slots [fresh, capacity) were never handed out */
	struct lru lists[LIST_COUNT];
	struct hash_key key;
	flow_release_fn release;
	void *ctx;
	struct flow_stats stats;
};

static void
lru_unlink(struct flowtab *t, struct flow *f)
{
	struct lru *l = &t->lists[f->list];

	if (f->lru_prev != FLOW_NONE)
		t->flows[f->lru_prev].lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next != FLOW_NONE)
		t->flows[f->lru_next].lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = FLOW_NONE;
}

static void
lru_push_tail(struct flowtab *t, struct flow *f, uint8_t list)
{
	struct lru *l = &t->lists[list];
	uint32_t id = (uint32_t)(f - t->flows);

	f->list = list;
	f->lru_next = FLOW_NONE;
	f->lru_prev = l->tail;
	if (l->tail != FLOW_NONE)
		t->flows[l->tail].lru_next = id;
	else
		l->head = id;
	l->tail = id;
}

struct flowtab *
flowtab_new(size_t capacity, const struct hash_key *key, flow_release_fn release,
    void *ctx)
{
	struct flowtab *t;
	size_t i;

	if (capacity == 0 || capacity >= FLOW_NONE)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->capacity = capacity;
	t->nbuckets = round_pow2(capacity);
	/* Slots are handed out in order the first time (see alloc_flow), so
	 * the pages of the array are faulted in as the table fills, not all
	 * at start-up. */
	t->flows = xcalloc(capacity, sizeof(*t->flows));
	t->buckets = xmalloc(t->nbuckets * sizeof(*t->buckets));
	for (i = 0; i < t->nbuckets; i++)
		t->buckets[i] = FLOW_NONE;
	for (i = 0; i < LIST_COUNT; i++)
		t->lists[i].head = t->lists[i].tail = FLOW_NONE;
	t->free_head = FLOW_NONE;
	t->fresh = 0;
	t->key = *key;
	t->release = release;
	t->ctx = ctx;
	return t;
}

void
flowtab_free(struct flowtab *t)
{
	if (t == NULL)
		return;
	free(t->flows);
	free(t->buckets);
	free(t);
}

static uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Symmetric hash: the two endpoints in a fixed order (the smaller first)
 * and the protocol, as 64-bit words, so that both directions of a
 * connection land in the same bucket. Words are loaded in host order: the
 * order only has to be the same for both directions. Two words when both
 * ends are IPv4.
 */
static size_t
bucket_of(const struct flowtab *t, const struct flow_key *k)
{
	uint64_t w[5], x0, x1, y0, y1;
	bool swap;

	if (k->host.family == 4 && k->peer.family == 4) {
		x0 = load32(k->host.a + 12) << 16 | k->host_port;
		y0 = load32(k->peer.a + 12) << 16 | k->peer_port;
		swap = x0 > y0;
		w[0] = (swap ? y0 : x0) | (uint64_t)k->proto << 48;
		w[1] = swap ? x0 : y0;
		return (size_t)(hash_words(&t->key, w, 2) & (t->nbuckets - 1));
	}
	{
		x0 = load64(k->host.a);
		x1 = load64(k->host.a + 8);
		y0 = load64(k->peer.a);
		y1 = load64(k->peer.a + 8);
		swap = x0 != y0 ? x0 > y0 : x1 != y1 ? x1 > y1 :
		    k->host_port > k->peer_port;
		w[0] = swap ? y0 : x0;
		w[1] = swap ? y1 : x1;
		w[2] = swap ? x0 : y0;
		w[3] = swap ? x1 : y1;
		w[4] = (uint64_t)(swap ? k->peer_port : k->host_port) << 32 |
		    (uint64_t)(swap ? k->host_port : k->peer_port) << 16 | k->proto;
	}
	return (size_t)(hash_words(&t->key, w, 5) & (t->nbuckets - 1));
}

static bool
key_eq(const struct flow_key *x, const struct flow_key *y)
{
	return x->host_port == y->host_port && x->peer_port == y->peer_port &&
	    x->proto == y->proto && netaddr_eq(&x->host, &y->host) &&
	    netaddr_eq(&x->peer, &y->peer);
}

static bool
key_eq_reversed(const struct flow_key *x, const struct flow_key *y)
{
	return x->host_port == y->peer_port && x->peer_port == y->host_port &&
	    x->proto == y->proto && netaddr_eq(&x->host, &y->peer) &&
	    netaddr_eq(&x->peer, &y->host);
}

static void
hash_unlink(struct flowtab *t, struct flow *f)
{
	uint32_t id = (uint32_t)(f - t->flows);
	uint32_t *link = &t->buckets[f->bucket];

	while (*link != FLOW_NONE) {
		if (*link == id) {
			*link = f->hash_next;
			return;
		}
		link = &t->flows[*link].hash_next;
	}
	fatalx("flow table: flow %u missing from its bucket", id);
}

/* Takes a flow out of the table, tells the owner, puts the slot on the free list. */
static void
release_flow(struct flowtab *t, struct flow *f)
{
	if (t->release != NULL)
		t->release(t->ctx, f);
	hash_unlink(t, f);
	lru_unlink(t, f);
	f->list = LIST_FREE;
	f->hash_next = t->free_head;
	t->free_head = (uint32_t)(f - t->flows);
	t->stats.active--;
}

static struct flow *
alloc_flow(struct flowtab *t)
{
	struct flow *f;

	if (t->free_head == FLOW_NONE && t->fresh < t->capacity)
		return &t->flows[t->fresh++];
	if (t->free_head == FLOW_NONE) {
		uint32_t victim = t->lists[LIST_CLOSED].head;
		if (victim == FLOW_NONE)
			victim = t->lists[LIST_OPEN].head;
		release_flow(t, &t->flows[victim]);
		t->stats.evicted++;
	}
	f = &t->flows[t->free_head];
	t->free_head = f->hash_next;
	return f;
}

/*
 * Moves a flow to its list's tail, at most once per LRU_GRAIN_NS of packet
 * time: relinking touches three entries, so doing it on every packet of a
 * busy flow costs cache misses for nothing. The lists are therefore ordered
 * by lru_ns (the last relink), which is within LRU_GRAIN_NS of last_ns;
 * expiry re-checks last_ns (see expire_list).
 */
static void
touch(struct flowtab *t, struct flow *f)
{
	if (f->last_ns - f->lru_ns < LRU_GRAIN_NS)
		return;
	f->lru_ns = f->last_ns;
	if (t->lists[f->list].tail == (uint32_t)(f - t->flows))
		return;
	lru_unlink(t, f);
	lru_push_tail(t, f, f->list);
}

struct flow *
flowtab_get(struct flowtab *t, const struct flow_key *k, uint64_t ts_ns,
    bool create, bool *created)
{
	return flowtab_get_at(t, k, bucket_of(t, k), ts_ns, create, created);
}

struct flow *
flowtab_get_at(struct flowtab *t, const struct flow_key *k, size_t bucket,
    uint64_t ts_ns, bool create, bool *created)
{
	size_t b = bucket & (t->nbuckets - 1);
	uint32_t id;
	struct flow *f;

	if (created != NULL)
		*created = false;
	for (id = t->buckets[b]; id != FLOW_NONE; id = t->flows[id].hash_next) {
		f = &t->flows[id];
		if (key_eq(&f->key, k)) {
			if (ts_ns > f->last_ns)
				f->last_ns = ts_ns;
			touch(t, f);
			return f;
		}
	}
	if (!create)
		return NULL;
	f = alloc_flow(t);
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_ns = f->last_ns = f->lru_ns = ts_ns;
	f->pair_id = f->pair_gen = FLOW_NONE;
	f->app_slot = FLOW_NONE;
	id = (uint32_t)(f - t->flows);
	f->bucket = (uint32_t)b;
	f->hash_next = t->buckets[b];
	t->buckets[b] = id;
	f->lru_prev = f->lru_next = FLOW_NONE;
	lru_push_tail(t, f, LIST_OPEN);
	t->stats.created++;
	t->stats.active++;
	if (created != NULL)
		*created = true;
	return f;
}

size_t
flowtab_bucket(const struct flowtab *t, const struct flow_key *k)
{
	return bucket_of(t, k);
}

void
flowtab_prefetch_buckets(const struct flowtab *t, const size_t *bucket, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		__builtin_prefetch(&t->buckets[bucket[i] & (t->nbuckets - 1)]);
}

void
flowtab_prefetch_flows(const struct flowtab *t, const size_t *bucket, size_t n,
    const struct flow **first)
{
	uint32_t id;
	size_t i;

	for (i = 0; i < n; i++) {
		id = t->buckets[bucket[i] & (t->nbuckets - 1)];
		first[i] = id != FLOW_NONE ? &t->flows[id] : NULL;
		if (first[i] == NULL)
			continue;
		/* the key and the per-packet fields (see flow.h) */
		__builtin_prefetch(first[i]);
		__builtin_prefetch((const char *)first[i] + 64);
		__builtin_prefetch((const char *)first[i] + 128);
	}
}

struct flow *
flowtab_find_packet_at(struct flowtab *t, const struct flow_key *k,
    size_t bucket, uint64_t ts_ns, bool *from_host)
{
	uint32_t id;
	struct flow *f;

	for (id = t->buckets[bucket & (t->nbuckets - 1)]; id != FLOW_NONE;
	    id = t->flows[id].hash_next) {
		f = &t->flows[id];
		if (key_eq(&f->key, k))
			*from_host = true;
		else if (key_eq_reversed(&f->key, k))
			*from_host = false;
		else
			continue;
		if (ts_ns > f->last_ns)
			f->last_ns = ts_ns;
		touch(t, f);
		return f;
	}
	return NULL;
}

struct flow *
flowtab_find_packet(struct flowtab *t, const struct flow_key *k, uint64_t ts_ns,
    bool *from_host)
{
	return flowtab_find_packet_at(t, k, bucket_of(t, k), ts_ns, from_host);
}

void
flowtab_remove(struct flowtab *t, struct flow *f)
{
	release_flow(t, f);
	t->stats.expired++;
}

void
flowtab_mark_closed(struct flowtab *t, struct flow *f)
{
	if (f->closed)
		return;
	f->closed = true;
	f->lru_ns = f->last_ns;
	lru_unlink(t, f);
	lru_push_tail(t, f, LIST_CLOSED);
}

/*
 * Releases flows idle for more than timeout. The list is ordered by lru_ns,
 * so once the head was relinked recently enough nothing behind it can be
 * expired; a head whose last packet is recent despite an old lru_ns is
 * moved to the tail (at most the list's length of such moves per call).
 */
static void
expire_list(struct flowtab *t, uint8_t list, uint64_t now_ns, uint64_t timeout_ns)
{
	size_t moves = 0;
	uint32_t id;

	while ((id = t->lists[list].head) != FLOW_NONE) {
		struct flow *f = &t->flows[id];
		if (now_ns < f->lru_ns || now_ns - f->lru_ns <= timeout_ns)
			break;
		if (now_ns < f->last_ns || now_ns - f->last_ns <= timeout_ns) {
			if (++moves > t->capacity)
				break;
			f->lru_ns = f->last_ns;
			lru_unlink(t, f);
			lru_push_tail(t, f, list);
			continue;
		}
		release_flow(t, f);
		t->stats.expired++;
	}
}

void
flowtab_expire(struct flowtab *t, uint64_t now_ns, uint64_t idle_ns,
    uint64_t closed_ns)
{
	expire_list(t, LIST_CLOSED, now_ns, closed_ns);
	expire_list(t, LIST_OPEN, now_ns, idle_ns);
}

void
flowtab_flush(struct flowtab *t)
{
	uint32_t id;

	while ((id = t->lists[LIST_CLOSED].head) != FLOW_NONE)
		release_flow(t, &t->flows[id]);
	while ((id = t->lists[LIST_OPEN].head) != FLOW_NONE)
		release_flow(t, &t->flows[id]);
}

void
flowtab_get_stats(const struct flowtab *t, struct flow_stats *out)
{
	*out = t->stats;
}

size_t
flowtab_capacity(const struct flowtab *t)
{
	return t->capacity;
}
