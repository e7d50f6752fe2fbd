/*
 * flow.c - fixed-capacity flow table: chained hashing through indices into
 * one preallocated array, two LRU lists (open flows and closed flows, each
 * ordered by last activity) so expiry only looks at list heads.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/flow.h"
#include "exfild/log.h"

enum { LIST_FREE, LIST_OPEN, LIST_CLOSED, LIST_COUNT };

struct lru {
	uint32_t head, tail;
};

struct flowtab {
	struct flow *flows;
	uint32_t *buckets;
	size_t capacity;
	size_t nbuckets; /* power of two */
	uint32_t free_head;
	struct lru lists[LIST_COUNT];
	struct hash_key key;
	flow_release_fn release;
	void *ctx;
	struct flow_stats stats;
};

static size_t
round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

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
	t->flows = xcalloc(capacity, sizeof(*t->flows));
	t->buckets = xmalloc(t->nbuckets * sizeof(*t->buckets));
	for (i = 0; i < t->nbuckets; i++)
		t->buckets[i] = FLOW_NONE;
	for (i = 0; i < LIST_COUNT; i++)
		t->lists[i].head = t->lists[i].tail = FLOW_NONE;
	for (i = 0; i < capacity; i++) {
		t->flows[i].list = LIST_FREE;
		t->flows[i].lru_prev = t->flows[i].lru_next = FLOW_NONE;
		t->flows[i].hash_next = i + 1 < capacity ? (uint32_t)(i + 1) : FLOW_NONE;
	}
	t->free_head = 0;
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

/* The key's bytes in a fixed layout (no padding) for hashing. */
static size_t
key_bytes(const struct flow_key *k, uint8_t out[40])
{
	memcpy(out, k->host.a, 16);
	memcpy(out + 16, k->peer.a, 16);
	out[32] = (uint8_t)(k->host_port >> 8);
	out[33] = (uint8_t)k->host_port;
	out[34] = (uint8_t)(k->peer_port >> 8);
	out[35] = (uint8_t)k->peer_port;
	out[36] = k->proto;
	out[37] = k->host.family;
	out[38] = k->peer.family;
	return 39;
}

static size_t
bucket_of(const struct flowtab *t, const struct flow_key *k)
{
	uint8_t buf[40];
	size_t n = key_bytes(k, buf);

	return (size_t)(hash_bytes(&t->key, buf, n) & (t->nbuckets - 1));
}

static bool
key_eq(const struct flow_key *x, const struct flow_key *y)
{
	return x->host_port == y->host_port && x->peer_port == y->peer_port &&
	    x->proto == y->proto && netaddr_eq(&x->host, &y->host) &&
	    netaddr_eq(&x->peer, &y->peer);
}

static void
hash_unlink(struct flowtab *t, struct flow *f)
{
	uint32_t id = (uint32_t)(f - t->flows);
	uint32_t *link = &t->buckets[bucket_of(t, &f->key)];

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

struct flow *
flowtab_get(struct flowtab *t, const struct flow_key *k, uint64_t ts_ns,
    bool create, bool *created)
{
	size_t b = bucket_of(t, k);
	uint32_t id;
	struct flow *f;

	if (created != NULL)
		*created = false;
	for (id = t->buckets[b]; id != FLOW_NONE; id = t->flows[id].hash_next) {
		f = &t->flows[id];
		if (key_eq(&f->key, k)) {
			if (ts_ns > f->last_ns)
				f->last_ns = ts_ns;
			lru_unlink(t, f);
			lru_push_tail(t, f, f->closed ? LIST_CLOSED : LIST_OPEN);
			return f;
		}
	}
	if (!create)
		return NULL;
	f = alloc_flow(t);
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_ns = f->last_ns = ts_ns;
	f->pair_id = f->pair_gen = FLOW_NONE;
	f->app_slot = FLOW_NONE;
	id = (uint32_t)(f - t->flows);
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

void
flowtab_mark_closed(struct flowtab *t, struct flow *f)
{
	if (f->closed)
		return;
	f->closed = true;
	lru_unlink(t, f);
	lru_push_tail(t, f, LIST_CLOSED);
}

static void
expire_list(struct flowtab *t, uint8_t list, uint64_t now_ns, uint64_t timeout_ns)
{
	uint32_t id;

	while ((id = t->lists[list].head) != FLOW_NONE) {
		struct flow *f = &t->flows[id];
		if (now_ns < f->last_ns || now_ns - f->last_ns <= timeout_ns)
			break;
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
