/*
 * flow.c - the flow table: a util/table of struct flow with four recency
 * lists, in the order they give up flows when the table is full (closed
 * flows; open flows without client payload; open flows with it; open flows
 * that sent FLOW_HEAVY_BYTES or more), each ordered by last activity so
 * expiry only looks at the oldest of each.
 * Beside it, the count of each host's flows without client payload (a
 * keyed sketch) and a smaller table remembering evicted flows with client
 * payload, so that an upload pushed out by a flood is taken up again.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/flow.h"
#include "exfild/util/table.h"

/* Eviction takes the oldest of the first non-empty list. */
enum { LIST_CLOSED, LIST_UNASSURED, LIST_ASSURED, LIST_HEAVY, LIST_COUNT };
/* ... and the memory's: light flows are forgotten first */
enum { MEM_LIGHT, MEM_HEAVY, MEM_COUNT };

#define LRU_GRAIN_NS 1000000000ULL /* relink a busy flow at most once a second */

/*
 * Flows without client payload per host, counted in two rows of cells
 * indexed by two halves of the host's keyed hash: a host's count is the
 * smaller of its two cells (a count-min sketch), so another host inflates
 * it only when both of its cells collide with that host's. Increments and
 * decrements pair up through flow->half_open.
 */
#define HALF_OPEN_CELLS 16384u

struct flowtab {
	struct table tab;
	struct table memory;          /* evicted flows with client payload */
	struct hash_key key;
	uint32_t half_open[2][HALF_OPEN_CELLS];
	size_t half_open_cap;
	uint64_t idle_ns;             /* the last expiry's idle timeout */
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

static void half_open_end(struct flowtab *t, struct flow *f);
static void remember(struct flowtab *t, const struct flow *f, bool had_slot);

/* Tells the owner a flow leaves (it is still in the table). */
static void
release_notify(struct flowtab *t, struct flow *f)
{
	if (t->release != NULL)
		t->release(t->ctx, f);
	half_open_end(t, f);
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
	struct flow *f = entry;

	unsigned list = t->tab.links[id].list;
	bool had_slot = f->app_slot != FLOW_NONE;

	if (list == LIST_UNASSURED)
		t->stats.evicted_half_open++;
	release_notify(t, f);
	if (list == LIST_ASSURED || list == LIST_HEAVY)
		remember(t, f, had_slot);
	t->stats.evicted++;
}

/* Evicted flows remembered: a sixteenth of the table (at least 64, or the
 * table's size when smaller). */
static size_t
memory_capacity(size_t capacity)
{
	size_t n = capacity / 16;

	if (n < 64)
		n = capacity < 64 ? capacity : 64;
	return n;
}

/* The flows' table, and the memory of evicted ones. */
static struct table_conf
flows_conf(size_t capacity, struct flowtab *t)
{
	struct table_conf conf = {
		.capacity = capacity, .min_buckets = capacity,
		.entry_size = sizeof(struct flow), .gen_offset = TABLE_NO_GEN,
		.lists = LIST_COUNT, .evict = flow_evicted, .ctx = t,
	};

	return conf;
}

static struct table_conf
memory_conf(size_t capacity)
{
	struct table_conf conf = {
		.capacity = memory_capacity(capacity),
		.min_buckets = memory_capacity(capacity),
		.entry_size = sizeof(struct flow), .gen_offset = TABLE_NO_GEN,
		.lists = MEM_COUNT,
	};

	return conf;
}

uint64_t
flowtab_bytes(size_t capacity)
{
	return table_bytes(flows_conf(capacity, NULL)) +
	    table_bytes(memory_conf(capacity));
}

struct flowtab *
flowtab_new(size_t capacity, size_t half_open_per_host,
    const struct hash_key *key, flow_release_fn release, void *ctx)
{
	struct flowtab *t = xcalloc(1, sizeof(*t));
	struct table_conf conf = flows_conf(capacity, t);
	struct table_conf mem = memory_conf(capacity);

	if (table_init(&t->tab, &conf) != 0) {
		free(t);
		return NULL;
	}
	if (table_init(&t->memory, &mem) != 0) {
		table_fini(&t->tab);
		free(t);
		return NULL;
	}
	t->key = *key;
	t->half_open_cap = half_open_per_host;
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
	table_fini(&t->memory);
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

static inline uint64_t
hash_of(const struct flowtab *t, const struct flow_key *k)
{
	uint64_t x, y, lo, hi;

	if (__builtin_expect(k->host.family != 4 || k->peer.family != 4, 0))
		return hash_of_v6(t, k);
	/* 13 bytes: the smaller end, the larger, the protocol (6 + 6 + 1) */
	x = load32(k->host.a + 12) << 16 | k->host_port;
	y = load32(k->peer.a + 12) << 16 | k->peer_port;
	lo = x < y ? x : y;
	hi = x < y ? y : x;
	return hash_word_tail(&t->key, lo | hi << 48,
	    hi >> 16 | (uint64_t)k->proto << 32, 13);
}

static inline size_t
bucket_of(const struct flowtab *t, const struct flow_key *k)
{
	return table_bucket(&t->tab, hash_of(t, k));
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

/* ---- flows without client payload, per host ---- */

static void
half_open_cells(const struct flowtab *t, const struct netaddr *host,
    uint32_t *cell)
{
	uint64_t w[2], h;

	w[0] = load64(host->a);
	w[1] = load64(host->a + 8);
	h = hash_words(&t->key, w, 2);
	cell[0] = (uint32_t)(h % HALF_OPEN_CELLS);
	cell[1] = (uint32_t)((h >> 32) % HALF_OPEN_CELLS);
}

static uint32_t
half_open_count(const struct flowtab *t, const uint32_t *cell)
{
	uint32_t a = t->half_open[0][cell[0]], b = t->half_open[1][cell[1]];

	return a < b ? a : b;
}

void
flowtab_hold_half_open(struct flowtab *t, struct flow *f)
{
	uint32_t cell[2];

	if (f->half_open)
		return;
	half_open_cells(t, &f->key.host, cell);
	t->half_open[0][cell[0]]++;
	t->half_open[1][cell[1]]++;
	f->half_open = true;
}

static void
half_open_end(struct flowtab *t, struct flow *f)
{
	uint32_t cell[2];

	if (!f->half_open)
		return;
	half_open_cells(t, &f->key.host, cell);
	t->half_open[0][cell[0]]--;
	t->half_open[1][cell[1]]--;
	f->half_open = false;
}

bool
flowtab_may_open(struct flowtab *t, const struct netaddr *host)
{
	uint32_t cell[2];

	half_open_cells(t, host, cell);
	if (half_open_count(t, cell) < t->half_open_cap)
		return true;
	t->stats.half_open_refused++;
	return false;
}

static unsigned
open_list(const struct flow *f)
{
	return f->bytes_out >= FLOW_HEAVY_BYTES ? LIST_HEAVY : LIST_ASSURED;
}

void
flowtab_assure(struct flowtab *t, struct flow *f)
{
	uint32_t id = table_id(&t->tab, f);

	half_open_end(t, f);
	if (t->tab.links[id].list == LIST_UNASSURED) {
		f->lru_ns = f->last_ns; /* (each list stays ordered by lru_ns) */
		table_move(&t->tab, id, open_list(f));
	}
}

void
flowtab_heavy(struct flowtab *t, struct flow *f)
{
	uint32_t id = table_id(&t->tab, f);

	if (t->tab.links[id].list == LIST_ASSURED) {
		f->lru_ns = f->last_ns;
		table_move(&t->tab, id, LIST_HEAVY);
	}
}

/* ---- evicted flows remembered ---- */

static uint32_t
memory_find(const struct flowtab *t, const struct flow_key *k)
{
	struct flow_probe probe = { k, true };

	if (table_count(&t->memory) == 0)
		return TABLE_NONE;
	return table_find(&t->memory, hash_of(t, k), match_key, &probe);
}

/* A new connection with the key: what was remembered of an older one goes. */
void
flowtab_forget(struct flowtab *t, const struct flow_key *k)
{
	uint32_t id = memory_find(t, k);

	if (id != TABLE_NONE)
		table_remove(&t->memory, id);
}

/* An evicted flow with client payload (had_slot: it was reading a head). */
static void
remember(struct flowtab *t, const struct flow *f, bool had_slot)
{
	uint32_t id = memory_find(t, &f->key);
	struct flow *m;

	if (id != TABLE_NONE)
		table_remove(&t->memory, id);
	id = table_insert(&t->memory, hash_of(t, &f->key),
	    f->bytes_out >= FLOW_HEAVY_BYTES ? MEM_HEAVY : MEM_LIGHT);
	m = table_entry(&t->memory, id);
	memcpy(m, f, sizeof(*f));
	m->app_slot = FLOW_NONE;
	if (had_slot && m->parser_lost == PARSER_KEPT)
		m->parser_lost = PARSER_LOST;
}

struct flow *
flowtab_resume_at(struct flowtab *t, const struct flow_key *k, size_t bucket,
    uint64_t ts_ns, const uint32_t *seq)
{
	uint32_t id = memory_find(t, k);
	struct flow m, *f;

	if (id == TABLE_NONE)
		return NULL;
	/* (a copy: making room below may evict into the memory) */
	memcpy(&m, table_entry(&t->memory, id), sizeof(m));
	if (t->idle_ns != 0 && ts_ns > m.last_ns && ts_ns - m.last_ns > t->idle_ns) {
		table_remove(&t->memory, id);
		return NULL;
	}
	if ((seq != NULL && !flow_seq_near(&m, *seq)))
		return NULL;
	table_remove(&t->memory, id);
	f = flow_at(t, table_insert(&t->tab, bucket, open_list(&m)));
	memcpy(f, &m, sizeof(*f));
	f->last_ns = f->lru_ns = ts_ns > f->last_ns ? ts_ns : f->last_ns;
	t->stats.created++;
	t->stats.active++;
	t->stats.resumed++;
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
	f = flow_at(t, table_insert(&t->tab, bucket, LIST_UNASSURED));
	f->key = *k;
	f->first_ns = f->last_ns = f->lru_ns = ts_ns;
	f->pair_id = f->pair_gen = FLOW_NONE;
	f->app_slot = FLOW_NONE;
	flowtab_forget(t, k);
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
	half_open_end(t, f);
	table_move(&t->tab, table_id(&t->tab, f), LIST_CLOSED);
}

/*
 * Releases flows idle for more than timeout. The list is ordered by lru_ns,
 * so once the oldest was relinked recently enough nothing newer can be
 * expired; an oldest whose last packet is recent despite an old lru_ns is
 * made the newest (at most the table's capacity of such moves per call).
 */
/* (inline: four lists are looked at every second of packet time) */
static inline __attribute__((always_inline)) void
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
	t->idle_ns = idle_ns;
	expire_list(t, LIST_CLOSED, now_ns, closed_ns);
	expire_list(t, LIST_UNASSURED, now_ns, idle_ns);
	expire_list(t, LIST_ASSURED, now_ns, idle_ns);
	expire_list(t, LIST_HEAVY, now_ns, idle_ns);
}

void
flowtab_flush(struct flowtab *t)
{
	uint32_t id;

	unsigned list;

	for (list = 0; list < LIST_COUNT; list++)
		while ((id = table_oldest(&t->tab, list)) != TABLE_NONE)
			release_flow(t, id);
	table_clear(&t->memory);
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

	table_foreach(&t->tab, LIST_UNASSURED, visit_flow, &w);
	table_foreach(&t->tab, LIST_ASSURED, visit_flow, &w);
	table_foreach(&t->tab, LIST_HEAVY, visit_flow, &w);
	table_foreach(&t->tab, LIST_CLOSED, visit_flow, &w);
}
