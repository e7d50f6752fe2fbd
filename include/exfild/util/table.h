/*
 * table.h - the fixed-capacity hash table under flows, pairs, destinations
 * and names: a pool of slots that never move, chained through slot indices
 * from power-of-two buckets, one to TABLE_LISTS recency lists, and the
 * least recently used slot evicted (with a callback) when the pool is full.
 * The caller hashes its keys (keyed SipHash) and compares them; the lookup
 * is inline so that the comparison inlines into the packet path.
 */
#ifndef EXFILD_TABLE_H
#define EXFILD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TABLE_NONE UINT32_MAX
#define TABLE_FREE UINT8_MAX          /* struct table_link.list of a free slot */
#define TABLE_LISTS 4                 /* recency lists at most */
#define TABLE_NO_GEN SIZE_MAX         /* struct table_conf.gen_offset */

/* Called for a slot about to be evicted, while it is still in the table. */
typedef void (*table_evict_fn)(void *ctx, uint32_t id, void *entry);
/* Does the entry hold the key? probe: the key, and whatever the caller
 * wants to learn from the comparison. */
typedef bool (*table_match_fn)(void *probe, const void *entry);
/* Visits a slot; false stops the walk. */
typedef bool (*table_visit_fn)(void *ctx, uint32_t id, void *entry);

struct table_conf {
	size_t capacity;      /* slots, 1 .. UINT32_MAX - 1 */
	size_t min_buckets;   /* rounded up to a power of two */
	size_t entry_size;
	size_t gen_offset;    /* of a uint32_t bumped on reuse, or TABLE_NO_GEN */
	unsigned lists;       /* 1..TABLE_LISTS; when full, the oldest slot of
			       * the first non-empty list is evicted */
	table_evict_fn evict; /* or NULL */
	void *ctx;
};

/* Per slot, beside the entries. */
struct table_link {
	uint32_t next;          /* hash chain; the free list when free */
	uint32_t bucket;        /* its bucket, not to hash it again */
	uint32_t newer, older;  /* its recency list */
	uint8_t list;           /* which one; TABLE_FREE when free */
};

struct table_list {
	uint32_t newest, oldest;
};

/* The fields are private; they are here for the inline functions. */
struct table {
	char *entries;
	size_t entry_size;
	unsigned id_shift;      /* entry_size = odd << id_shift */
	uint64_t id_inverse;    /* odd * id_inverse = 1 (mod 2^64) */
	struct table_link *links;
	uint32_t *buckets;
	size_t mask;            /* buckets - 1 */
	size_t capacity, count;
	uint32_t free_head;     /* released slots, most recent first */
	uint32_t fresh;         /* slots [fresh, capacity) were never handed out */
	unsigned lists;
	struct table_list list[TABLE_LISTS];
	size_t gen_offset;
	table_evict_fn evict;
	void *ctx;
};

/* 0, or -1 for a capacity or list count out of range. */
int table_init(struct table *t, const struct table_conf *conf);
/* The bytes table_init allocates for conf (entries, links and buckets),
 * without allocating them: what a table module's size function adds up. */
uint64_t table_bytes(struct table_conf conf);
void table_fini(struct table *t);
/* Empties the table (generations are kept). */
void table_clear(struct table *t);

/*
 * A slot for a new key of this hash, as the newest of list: a free one,
 * else the least recently used is evicted. The entry is zeroed but for its
 * generation, which goes up by one.
 */
uint32_t table_insert(struct table *t, uint64_t hash, unsigned list);
void table_remove(struct table *t, uint32_t id);
/* Makes the slot the newest of another list. */
void table_move(struct table *t, uint32_t id, unsigned list);
/* Walks a list from the oldest slot, or from the newest (_recent). */
void table_foreach(const struct table *t, unsigned list, table_visit_fn fn,
    void *ctx);
void table_foreach_recent(const struct table *t, unsigned list,
    table_visit_fn fn, void *ctx);
/* The slow half of table_touch_coarse: *relinked_ns = now_ns, and touch. */
void table_relink_at(struct table *t, const void *entry, uint64_t *relinked_ns,
    uint64_t now_ns);

static inline size_t
table_count(const struct table *t)
{
	return t->count;
}

static inline size_t
table_capacity(const struct table *t)
{
	return t->capacity;
}

/* What a hash's bucket is (the hash itself will do wherever one is asked). */
static inline size_t
table_bucket(const struct table *t, uint64_t hash)
{
	return (size_t)(hash & t->mask);
}

static inline void *
table_entry(const struct table *t, uint32_t id)
{
	return t->entries + (size_t)id * t->entry_size;
}

/* The offset is a multiple of entry_size: dividing it exactly is a shift
 * and a multiplication by the odd factor's inverse (no division). */
static inline uint32_t
table_id(const struct table *t, const void *entry)
{
	uint64_t off = (uint64_t)((const char *)entry - t->entries);

	return (uint32_t)((off >> t->id_shift) * t->id_inverse);
}

/* The first slot of the hash's bucket (TABLE_NONE: empty), and the next. */
static inline uint32_t
table_head(const struct table *t, uint64_t hash)
{
	return t->buckets[hash & t->mask];
}

static inline uint32_t
table_next(const struct table *t, uint32_t id)
{
	return t->links[id].next;
}

static inline void
table_prefetch_bucket(const struct table *t, uint64_t hash)
{
	__builtin_prefetch(&t->buckets[hash & t->mask]);
}

/* Warms slot id's link and the line of its entry at offset (a hint). */
static inline void
table_prefetch_slot(const struct table *t, uint32_t id, size_t offset)
{
	__builtin_prefetch(&t->links[id]);
	__builtin_prefetch((const char *)table_entry(t, id) + offset, 1);
}

/* The entry of slot id if it is in use and has generation gen, else NULL
 * (inline: the packet path checks a destination each packet). */
static inline void *
table_get(const struct table *t, uint32_t id, uint32_t gen)
{
	uint32_t have;
	char *e;

	if (id >= t->fresh || t->links[id].list == TABLE_FREE ||
	    t->gen_offset == TABLE_NO_GEN)
		return NULL;
	e = table_entry(t, id);
	memcpy(&have, e + t->gen_offset, sizeof(have));
	return have == gen ? e : NULL;
}

/* The slot whose entry matches the probe, or TABLE_NONE. */
static inline uint32_t
table_find(const struct table *t, uint64_t hash, table_match_fn match,
    void *probe)
{
	uint32_t id;

	for (id = table_head(t, hash); id != TABLE_NONE; id = table_next(t, id))
		if (match(probe, table_entry(t, id)))
			return id;
	return TABLE_NONE;
}

/* A recency list over slot indices, links beside the slots: id out of its
 * list, or in as the newest of one (also for other pools of slots, such as
 * the parser slots of track/conn.c). */
static inline void
slot_list_unlink(struct table_link *links, struct table_list *list, uint32_t id)
{
	struct table_link *l = &links[id];

	if (l->newer != TABLE_NONE)
		links[l->newer].older = l->older;
	else
		list->newest = l->older;
	if (l->older != TABLE_NONE)
		links[l->older].newer = l->newer;
	else
		list->oldest = l->newer;
}

static inline void
slot_list_push(struct table_link *links, struct table_list *list, uint32_t id)
{
	struct table_link *l = &links[id];

	l->newer = TABLE_NONE;
	l->older = list->newest;
	if (list->newest != TABLE_NONE)
		links[list->newest].newer = id;
	else
		list->oldest = id;
	list->newest = id;
}

/* The same on the table's own lists (for the inline functions here and
 * table.c). */
static inline void
table_list_unlink(struct table *t, uint32_t id)
{
	slot_list_unlink(t->links, &t->list[t->links[id].list], id);
}

static inline void
table_list_push(struct table *t, uint32_t id, unsigned which)
{
	t->links[id].list = (uint8_t)which;
	slot_list_push(t->links, &t->list[which], id);
}

/* Makes the slot the newest of its list (inline: flows, pairs and
 * destinations in use are touched as their packets come). */
static inline void
table_touch(struct table *t, uint32_t id)
{
	unsigned list = t->links[id].list;

	if (t->list[list].newest == id)
		return;
	table_list_unlink(t, id);
	table_list_push(t, id, list);
}

/* The ends of a list and the neighbours of a slot in it (TABLE_NONE: none). */
static inline uint32_t
table_oldest(const struct table *t, unsigned list)
{
	return t->list[list].oldest;
}

static inline uint32_t
table_newest(const struct table *t, unsigned list)
{
	return t->list[list].newest;
}

static inline uint32_t
table_newer(const struct table *t, uint32_t id)
{
	return t->links[id].newer;
}

/*
 * An entry in use at now_ns: made the newest at most once per grain_ns, as
 * a relink touches its neighbours' cache lines. *relinked_ns (in the
 * entry) is the time of its last relink, so each list stays ordered by it.
 */
static inline bool
table_relink_due(uint64_t relinked_ns, uint64_t now_ns, uint64_t grain_ns)
{
	return now_ns >= relinked_ns && now_ns - relinked_ns >= grain_ns;
}

static inline void
table_touch_coarse(struct table *t, const void *entry, uint64_t *relinked_ns,
    uint64_t now_ns, uint64_t grain_ns)
{
	if (table_relink_due(*relinked_ns, now_ns, grain_ns))
		table_relink_at(t, entry, relinked_ns, now_ns);
}

/* The same for a caller that knows the slot (no division to find it). */
static inline void
table_touch_coarse_id(struct table *t, uint32_t id, uint64_t *relinked_ns,
    uint64_t now_ns, uint64_t grain_ns)
{
	if (table_relink_due(*relinked_ns, now_ns, grain_ns)) {
		*relinked_ns = now_ns;
		table_touch(t, id);
	}
}

#endif
