/*
 * table.c - the fixed-capacity hash table with recency lists (see table.h):
 * slots handed out in order the first time (so the pages of the entries
 * are faulted in as the table fills), then from a free list, then by
 * evicting the oldest slot of the first non-empty list.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/util/log.h"
#include "exfild/util/table.h"
#include "exfild/util/util.h"

/* entry_size as odd << *shift, and the odd factor's inverse mod 2^64
 * (Newton's iteration: each step doubles the correct low bits). */
static uint64_t
odd_inverse(size_t size, unsigned *shift)
{
	uint64_t odd = size, inv;
	int i;

	for (*shift = 0; (odd & 1) == 0; odd >>= 1)
		(*shift)++;
	inv = odd; /* correct to 3 bits: odd * odd = 1 (mod 8) */
	for (i = 0; i < 5; i++)
		inv *= 2 - odd * inv;
	return inv;
}

static size_t
bucket_count(const struct table_conf *conf)
{
	return round_pow2(conf->min_buckets > 0 ? conf->min_buckets : 1);
}

uint64_t
table_bytes(struct table_conf conf)
{
	return (uint64_t)conf.capacity *
	    (conf.entry_size + sizeof(struct table_link)) +
	    (uint64_t)bucket_count(&conf) * sizeof(uint32_t);
}

int
table_init(struct table *t, const struct table_conf *conf)
{
	size_t nbuckets;

	if (conf->capacity == 0 || conf->capacity >= TABLE_NONE ||
	    conf->entry_size == 0 ||
	    conf->lists == 0 || conf->lists > TABLE_LISTS ||
	    (conf->gen_offset != TABLE_NO_GEN &&
	    conf->gen_offset + sizeof(uint32_t) > conf->entry_size))
		return -1;
	memset(t, 0, sizeof(*t));
	nbuckets = bucket_count(conf);
	t->entries = xcalloc(conf->capacity, conf->entry_size);
	/* slots are handed out in order: the entries fill from the start */
	mem_huge_pages(t->entries, conf->capacity * conf->entry_size);
	t->entry_size = conf->entry_size;
	t->id_inverse = odd_inverse(conf->entry_size, &t->id_shift);
	t->links = xcalloc(conf->capacity, sizeof(*t->links));
	t->buckets = xreallocarray(NULL, nbuckets, sizeof(*t->buckets));
	t->mask = nbuckets - 1;
	t->capacity = conf->capacity;
	t->lists = conf->lists;
	t->gen_offset = conf->gen_offset;
	t->evict = conf->evict;
	t->ctx = conf->ctx;
	table_clear(t);
	return 0;
}

void
table_fini(struct table *t)
{
	free(t->entries);
	free(t->links);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

void
table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i <= t->mask; i++)
		t->buckets[i] = TABLE_NONE;
	for (i = 0; i < TABLE_LISTS; i++)
		t->list[i].newest = t->list[i].oldest = TABLE_NONE;
	t->free_head = TABLE_NONE;
	t->fresh = 0;
	t->count = 0;
}

static void
bucket_unlink(struct table *t, uint32_t id)
{
	uint32_t *link = &t->buckets[t->links[id].bucket];

	while (*link != id) {
		if (*link == TABLE_NONE)
			fatalx("table: slot %u missing from its bucket", id);
		link = &t->links[*link].next;
	}
	*link = t->links[id].next;
}

void
table_remove(struct table *t, uint32_t id)
{
	bucket_unlink(t, id);
	table_list_unlink(t, id);
	t->links[id].list = TABLE_FREE;
	t->links[id].next = t->free_head;
	t->free_head = id;
	t->count--;
}

static void
evict_oldest(struct table *t)
{
	uint32_t id = TABLE_NONE;
	unsigned l;

	for (l = 0; l < t->lists && id == TABLE_NONE; l++)
		id = t->list[l].oldest;
	if (id == TABLE_NONE)
		fatalx("table: full, yet no slot on its lists");
	if (t->evict != NULL)
		t->evict(t->ctx, id, table_entry(t, id));
	table_remove(t, id);
}

static uint32_t
take_slot(struct table *t)
{
	uint32_t id;

	if (t->free_head == TABLE_NONE && t->fresh < t->capacity)
		return t->fresh++;
	if (t->free_head == TABLE_NONE)
		evict_oldest(t);
	id = t->free_head;
	t->free_head = t->links[id].next;
	return id;
}

/* Zeroes an entry but for its generation, which goes up by one. */
static void
entry_reset(struct table *t, uint32_t id)
{
	char *e = table_entry(t, id);
	uint32_t gen = 0;

	if (t->gen_offset != TABLE_NO_GEN)
		memcpy(&gen, e + t->gen_offset, sizeof(gen));
	memset(e, 0, t->entry_size);
	gen++;
	if (t->gen_offset != TABLE_NO_GEN)
		memcpy(e + t->gen_offset, &gen, sizeof(gen));
}

uint32_t
table_insert(struct table *t, uint64_t hash, unsigned list)
{
	uint32_t id = take_slot(t);
	struct table_link *l = &t->links[id];
	uint32_t *bucket = &t->buckets[hash & t->mask];

	entry_reset(t, id);
	l->bucket = (uint32_t)(hash & t->mask);
	l->next = *bucket;
	*bucket = id;
	table_list_push(t, id, list);
	t->count++;
	return id;
}

void
table_move(struct table *t, uint32_t id, unsigned list)
{
	table_list_unlink(t, id);
	table_list_push(t, id, list);
}

void
table_relink_at(struct table *t, const void *entry, uint64_t *relinked_ns,
    uint64_t now_ns)
{
	*relinked_ns = now_ns;
	table_touch(t, table_id(t, entry));
}

void
table_foreach(const struct table *t, unsigned list, table_visit_fn fn, void *ctx)
{
	uint32_t id, next;

	for (id = t->list[list].oldest; id != TABLE_NONE; id = next) {
		next = t->links[id].newer;
		if (!fn(ctx, id, table_entry(t, id)))
			return;
	}
}

void
table_foreach_recent(const struct table *t, unsigned list, table_visit_fn fn,
    void *ctx)
{
	uint32_t id, next;

	for (id = t->list[list].newest; id != TABLE_NONE; id = next) {
		next = t->links[id].older;
		if (!fn(ctx, id, table_entry(t, id)))
			return;
	}
}
