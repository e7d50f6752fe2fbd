/*
 * flow.c - the flow table: a util/table of struct flow with two recency
 * lists (closed flows, evicted first, and open flows, each ordered by last
 * activity) so expiry only looks at the oldest of each.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/flow.h"
#include "exfild/util/table.h"

enum { LIST_CLOSED, LIST_OPEN, LIST_COUNT };

#define LRU_GRAIN_NS 1000000000ULL /* relink a busy flow at most once a second */

struct flowtab {
	struct table tab;
	struct hash_key key;
	flow_release_fn release;
	void *ctx;
	struct flow_stats stats;
};

/* A key to look up; how it matched. */
struct flow_probe {
	const struct flow_key *k;
	bool from_host;
};

static inline struct flow *
flow_at(const struct flowtab *t, uint32_t id)
{
	return table_entry(&t->tab, id);
}

/* Tells the owner a flow leaves (it is still in the table). */
static void
release_notify(struct flowtab *t, struct flow *f)
{
	if (t->release != NULL)
		t->release(t->ctx, f);
	t->stats.active--;
}

static void
release_flow(struct flowtab *t, uint32_t id)
{
	release_notify(t, flow_at(t, id));
	table_remove(&t->tab, id);
}

static void
flow_evicted(void *ctx, uint32_t id, void *entry)
{
	struct flowtab *t = ctx;

	(void)id;
	release_notify(t, entry);
	t->stats.evicted++;
}

struct flowtab *
flowtab_new(size_t capacity, const struct hash_key *key, flow_release_fn release,
    void *ctx)
{
	struct flowtab *t = xcalloc(1, sizeof(*t));
	struct table_conf conf = {
		.capacity = capacity, .min_buckets = capacity,
		.entry_size = sizeof(struct flow), .gen_offset = TABLE_NO_GEN,
		.lists = LIST_COUNT, .evict = flow_evicted, .ctx = t,
	};

	if (table_init(&t->tab, &conf) != 0) {
		free(t);
		return NULL;
	}
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
	table_fini(&t->tab);
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
 * order only has to be the same for both directions. 13 bytes, kept in
 * registers, when both ends are IPv4; the rest out of line.
 */
static __attribute__((noinline)) uint64_t
hash_of_v6(const struct flowtab *t, const struct flow_key *k)
{
	uint64_t w[5], x0, x1, y0, y1;
	bool swap;

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
	return hash_words(&t->key, w, 5);
}

static inline size_t
bucket_of(const struct flowtab *t, const struct flow_key *k)
{
	uint64_t x, y, lo, hi;

	if (__builtin_expect(k->host.family != 4 || k->peer.family != 4, 0))
		return table_bucket(&t->tab, hash_of_v6(t, k));
	/* 13 bytes: the smaller end, the larger, the protocol (6 + 6 + 1) */
	x = load32(k->host.a + 12) << 16 | k->host_port;
	y = load32(k->peer.a + 12) << 16 | k->peer_port;
	lo = x < y ? x : y;
	hi = x < y ? y : x;
	return table_bucket(&t->tab, hash_word_tail(&t->key, lo | hi << 48,
	    hi >> 16 | (uint64_t)k->proto << 32, 13));
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

static bool
match_key(void *probe, const void *entry)
{
	const struct flow *f = entry;

	return key_eq(&f->key, ((struct flow_probe *)probe)->k);
}

/*
 * A packet of the flow at ts. The flow moves to its list's newest end at
 * most once per LRU_GRAIN_NS of packet time: the lists are therefore
 * ordered by lru_ns (the last relink), which is within LRU_GRAIN_NS of
 * last_ns; expiry re-checks last_ns (see expire_list).
 */
static inline struct flow *
flow_used(struct flowtab *t, uint32_t id, uint64_t ts_ns)
{
	struct flow *f = flow_at(t, id);

	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	table_touch_coarse_id(&t->tab, id, &f->lru_ns, f->last_ns, LRU_GRAIN_NS);
	return f;
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
	struct flow_probe probe = { k, true };
	uint32_t id;
	struct flow *f;

	if (created != NULL)
		*created = false;
	id = table_find(&t->tab, bucket, match_key, &probe);
	if (id != TABLE_NONE)
		return flow_used(t, id, ts_ns);
	if (!create)
		return NULL;
	f = flow_at(t, table_insert(&t->tab, bucket, LIST_OPEN));
	f->key = *k;
	f->first_ns = f->last_ns = f->lru_ns = ts_ns;
	f->pair_id = f->pair_gen = FLOW_NONE;
	f->app_slot = FLOW_NONE;
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
		table_prefetch_bucket(&t->tab, bucket[i]);
}

void
flowtab_prefetch_flows(const struct flowtab *t, const size_t *bucket, size_t n,
    const struct flow **first)
{
	uint32_t id;
	size_t i;

	for (i = 0; i < n; i++) {
		id = table_head(&t->tab, bucket[i]);
		first[i] = id != TABLE_NONE ? flow_at(t, id) : NULL;
		if (first[i] == NULL)
			continue;
		/* the key and the per-packet fields (see flow.h) */
		__builtin_prefetch(first[i]);
		__builtin_prefetch((const char *)first[i] + 64);
		__builtin_prefetch((const char *)first[i] + 128);
	}
}

/* (inline: link-time optimisation may then inline it into the packet path) */
inline struct flow *
flowtab_find_packet_at(struct flowtab *t, const struct flow_key *k,
    size_t bucket, uint64_t ts_ns, bool *from_host)
{
	const struct flow *f;
	uint32_t id;

	/* (the bucket walked here, not through table_find: the comparisons
	 * stay inline wherever this is) */
	for (id = table_head(&t->tab, bucket); id != TABLE_NONE;
	    id = table_next(&t->tab, id)) {
		f = flow_at(t, id);
		if (key_eq(&f->key, k))
			*from_host = true;
		else if (key_eq_reversed(&f->key, k))
			*from_host = false;
		else
			continue;
		return flow_used(t, id, ts_ns);
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
	release_flow(t, table_id(&t->tab, f));
	t->stats.expired++;
}

void
flowtab_mark_closed(struct flowtab *t, struct flow *f)
{
	if (f->closed)
		return;
	f->closed = true;
	f->lru_ns = f->last_ns;
	table_move(&t->tab, table_id(&t->tab, f), LIST_CLOSED);
}

/*
 * Releases flows idle for more than timeout. The list is ordered by lru_ns,
 * so once the oldest was relinked recently enough nothing newer can be
 * expired; an oldest whose last packet is recent despite an old lru_ns is
 * made the newest (at most the table's capacity of such moves per call).
 */
static void
expire_list(struct flowtab *t, unsigned list, uint64_t now_ns, uint64_t timeout_ns)
{
	size_t moves = 0;
	uint32_t id;

	while ((id = table_oldest(&t->tab, list)) != TABLE_NONE) {
		struct flow *f = flow_at(t, id);
		if (now_ns < f->lru_ns || now_ns - f->lru_ns <= timeout_ns)
			break;
		if (now_ns < f->last_ns || now_ns - f->last_ns <= timeout_ns) {
			if (++moves > table_capacity(&t->tab))
				break;
			table_relink_at(&t->tab, f, &f->lru_ns, f->last_ns);
			continue;
		}
		release_flow(t, id);
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

	while ((id = table_oldest(&t->tab, LIST_CLOSED)) != TABLE_NONE)
		release_flow(t, id);
	while ((id = table_oldest(&t->tab, LIST_OPEN)) != TABLE_NONE)
		release_flow(t, id);
}

void
flowtab_get_stats(const struct flowtab *t, struct flow_stats *out)
{
	*out = t->stats;
}

size_t
flowtab_capacity(const struct flowtab *t)
{
	return table_capacity(&t->tab);
}

struct flow_walk {
	flow_visit_fn fn;
	void *ctx;
};

static bool
visit_flow(void *ctx, uint32_t id, void *entry)
{
	const struct flow_walk *w = ctx;

	(void)id;
	w->fn(w->ctx, entry);
	return true;
}

void
flowtab_foreach(const struct flowtab *t, flow_visit_fn fn, void *ctx)
{
	struct flow_walk w = { fn, ctx };

	table_foreach(&t->tab, LIST_OPEN, visit_flow, &w);
	table_foreach(&t->tab, LIST_CLOSED, visit_flow, &w);
}
