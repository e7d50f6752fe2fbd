/*
 * test_table.c - the fixed-capacity hash table: insert, find and remove,
 * collisions in one bucket, LRU order and eviction with its callback,
 * generations, two lists, foreach both ways, touch and the coarse touch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/util/table.h"

#define SEC 1000000000ULL

struct item {
	uint32_t key;
	uint32_t gen;
	uint64_t relinked_ns;
	char pad[40];
};

struct fixture {
	struct table t;
	uint32_t evicted[16]; /* keys, in order */
	size_t n_evicted;
	bool evicted_was_findable;
};

static bool
match_item(void *probe, const void *entry)
{
	return ((const struct item *)entry)->key == *(uint32_t *)probe;
}

/* The hash is the key itself: keys equal modulo 4 share a bucket. */
static uint32_t
find(struct fixture *f, uint32_t key)
{
	return table_find(&f->t, key, match_item, &key);
}

static struct item *
item(struct fixture *f, uint32_t id)
{
	return table_entry(&f->t, id);
}

static uint32_t
insert(struct fixture *f, uint32_t key, unsigned list)
{
	uint32_t id = table_insert(&f->t, key, list);

	item(f, id)->key = key;
	return id;
}

static void
on_evict(void *ctx, uint32_t id, void *entry)
{
	struct fixture *f = ctx;
	const struct item *it = entry;

	f->evicted_was_findable = find(f, it->key) == id;
	f->evicted[f->n_evicted++] = it->key;
}

static int
setup_lists(void **state, size_t capacity, unsigned lists)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct table_conf conf = {
		.capacity = capacity, .min_buckets = 4,
		.entry_size = sizeof(struct item),
		.gen_offset = offsetof(struct item, gen),
		.lists = lists, .evict = on_evict,
	};

	if (f == NULL)
		return -1;
	conf.ctx = f;
	if (table_init(&f->t, &conf) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_lists(state, 3, 1);
}

static int
setup_two_lists(void **state)
{
	return setup_lists(state, 4, 2);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	table_fini(&f->t);
	free(f);
	return 0;
}

/* Appends each visited key to a list; stops after `stop` of them. */
struct visits {
	uint32_t key[16];
	size_t n, stop;
};

static bool
record(void *ctx, uint32_t id, void *entry)
{
	struct visits *v = ctx;

	(void)id;
	v->key[v->n++] = ((const struct item *)entry)->key;
	return v->n < v->stop;
}

static void
assert_order(const struct table *t, unsigned list, const uint32_t *want,
    size_t n)
{
	struct visits v = { .stop = 16 };
	size_t i;

	table_foreach(t, list, record, &v);
	assert_int_equal(v.n, n);
	for (i = 0; i < n; i++)
		assert_int_equal(v.key[i], want[i]);
}

static void
test_init_rejects(void **state)
{
	struct table t;
	struct table_conf conf = { .capacity = 0, .entry_size = 8,
		.gen_offset = TABLE_NO_GEN, .lists = 1 };

	(void)state;
	assert_int_equal(table_init(&t, &conf), -1);
	conf.capacity = 4;
	conf.lists = 0;
	assert_int_equal(table_init(&t, &conf), -1);
	conf.lists = TABLE_LISTS + 1;
	assert_int_equal(table_init(&t, &conf), -1);
	conf.lists = 1;
	conf.gen_offset = 6; /* a uint32_t would end past the entry */
	assert_int_equal(table_init(&t, &conf), -1);
	conf.gen_offset = 4;
	assert_int_equal(table_init(&t, &conf), 0);
	assert_int_equal(table_capacity(&t), 4);
	table_fini(&t);
	conf.gen_offset = TABLE_NO_GEN;
	conf.entry_size = 0;
	assert_int_equal(table_init(&t, &conf), -1);
}

/* A slot's id from its entry's address, for odd and even entry sizes. */
static void
test_id_of_entry(void **state)
{
	static const size_t sizes[] = { 1, 3, 8, 24, 40, 136, 200, 4096 + 12 };
	struct table t;
	struct table_conf conf = { .capacity = 1000, .gen_offset = TABLE_NO_GEN,
		.lists = 1 };
	size_t i;
	uint32_t id;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		conf.entry_size = sizes[i];
		assert_int_equal(table_init(&t, &conf), 0);
		for (id = 0; id < 1000; id++)
			assert_int_equal(table_id(&t, table_entry(&t, id)), id);
		table_fini(&t);
	}
}

static void
test_insert_find_remove(void **state)
{
	struct fixture *f = *state;
	uint32_t a, b;

	assert_int_equal(find(f, 7), TABLE_NONE);
	a = insert(f, 7, 0);
	b = insert(f, 8, 0);
	assert_int_equal(a, 0); /* fresh slots in order */
	assert_int_equal(b, 1);
	assert_int_equal(find(f, 7), a);
	assert_int_equal(find(f, 8), b);
	assert_int_equal(table_count(&f->t), 2);
	assert_int_equal(table_id(&f->t, item(f, b)), b);
	table_remove(&f->t, a);
	assert_int_equal(find(f, 7), TABLE_NONE);
	assert_int_equal(find(f, 8), b);
	assert_int_equal(table_count(&f->t), 1);
	/* a released slot is handed out again before a fresh one */
	assert_int_equal(insert(f, 9, 0), a);
	assert_int_equal(f->n_evicted, 0);
}

static void
test_collisions_in_one_bucket(void **state)
{
	struct fixture *f = *state;
	uint32_t a = insert(f, 1, 0), b = insert(f, 5, 0), c = insert(f, 9, 0);

	assert_int_equal(table_bucket(&f->t, 1), table_bucket(&f->t, 9));
	assert_int_equal(table_head(&f->t, 1), c); /* newest first */
	assert_int_equal(find(f, 1), a);
	assert_int_equal(find(f, 5), b);
	assert_int_equal(find(f, 9), c);
	assert_int_equal(find(f, 13), TABLE_NONE);
	table_remove(&f->t, b); /* the middle of the chain */
	assert_int_equal(find(f, 1), a);
	assert_int_equal(find(f, 5), TABLE_NONE);
	assert_int_equal(find(f, 9), c);
	table_remove(&f->t, c); /* its head */
	assert_int_equal(find(f, 1), a);
	assert_int_equal(find(f, 9), TABLE_NONE);
	table_remove(&f->t, a);
	assert_int_equal(table_head(&f->t, 1), TABLE_NONE);
}

static void
test_lru_eviction_at_capacity(void **state)
{
	struct fixture *f = *state;
	uint32_t id;

	insert(f, 1, 0);
	insert(f, 2, 0);
	insert(f, 3, 0);
	assert_order(&f->t, 0, (uint32_t[]){ 1, 2, 3 }, 3);
	table_touch(&f->t, find(f, 1));
	assert_order(&f->t, 0, (uint32_t[]){ 2, 3, 1 }, 3);
	id = find(f, 2);
	assert_int_equal(insert(f, 4, 0), id); /* the evicted slot */
	assert_int_equal(f->n_evicted, 1);
	assert_int_equal(f->evicted[0], 2);
	assert_true(f->evicted_was_findable); /* still in the table then */
	assert_int_equal(find(f, 2), TABLE_NONE);
	assert_int_equal(find(f, 4), id);
	insert(f, 5, 0);
	assert_int_equal(f->evicted[1], 3);
	assert_order(&f->t, 0, (uint32_t[]){ 1, 4, 5 }, 3);
	assert_int_equal(table_count(&f->t), 3);
	assert_int_equal(table_oldest(&f->t, 0), find(f, 1));
	assert_int_equal(table_newest(&f->t, 0), find(f, 5));
}

static void
test_generation_bumps_on_reuse(void **state)
{
	struct fixture *f = *state;
	uint32_t id = insert(f, 1, 0);

	assert_int_equal(item(f, id)->gen, 1);
	assert_ptr_equal(table_get(&f->t, id, 1), item(f, id));
	assert_null(table_get(&f->t, id, 2));
	assert_null(table_get(&f->t, 2, 0)); /* never handed out */
	assert_null(table_get(&f->t, 1000, 1));
	item(f, id)->relinked_ns = 77;
	table_remove(&f->t, id);
	assert_null(table_get(&f->t, id, 1));
	assert_int_equal(insert(f, 2, 0), id);
	assert_int_equal(item(f, id)->gen, 2);
	assert_int_equal(item(f, id)->relinked_ns, 0); /* the rest is zeroed */
	assert_null(table_get(&f->t, id, 1));
	assert_ptr_equal(table_get(&f->t, id, 2), item(f, id));
	/* eviction reuses the slot with the next generation too */
	insert(f, 3, 0);
	insert(f, 4, 0);
	assert_int_equal(insert(f, 5, 0), id);
	assert_int_equal(item(f, id)->gen, 3);
	/* a clear keeps generations */
	table_clear(&f->t);
	assert_int_equal(table_count(&f->t), 0);
	assert_int_equal(find(f, 5), TABLE_NONE);
	assert_null(table_get(&f->t, id, 3));
	assert_int_equal(insert(f, 6, 0), 0);
	assert_int_equal(item(f, 0)->gen, 4);
}

static void
test_foreach_both_ways(void **state)
{
	struct fixture *f = *state;
	struct visits v = { .stop = 16 };

	table_foreach(&f->t, 0, record, &v);
	assert_int_equal(v.n, 0);
	insert(f, 1, 0);
	insert(f, 2, 0);
	insert(f, 3, 0);
	table_foreach_recent(&f->t, 0, record, &v);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.key[0], 3);
	assert_int_equal(v.key[2], 1);
	memset(&v, 0, sizeof(v));
	v.stop = 2; /* false stops the walk */
	table_foreach(&f->t, 0, record, &v);
	assert_int_equal(v.n, 2);
	assert_int_equal(v.key[1], 2);
	assert_int_equal(table_newer(&f->t, find(f, 1)), find(f, 2));
	assert_int_equal(table_newer(&f->t, find(f, 3)), TABLE_NONE);
}

static void
test_touch_coarse(void **state)
{
	struct fixture *f = *state;
	struct item *a;

	a = item(f, insert(f, 1, 0));
	insert(f, 2, 0);
	a->relinked_ns = 10 * SEC;
	table_touch_coarse(&f->t, a, &a->relinked_ns, 10 * SEC + SEC / 2, SEC);
	assert_order(&f->t, 0, (uint32_t[]){ 1, 2 }, 2); /* within the grain */
	assert_int_equal(a->relinked_ns, 10 * SEC);
	table_touch_coarse(&f->t, a, &a->relinked_ns, 5 * SEC, SEC);
	assert_order(&f->t, 0, (uint32_t[]){ 1, 2 }, 2); /* time went back */
	table_touch_coarse(&f->t, a, &a->relinked_ns, 11 * SEC, SEC);
	assert_order(&f->t, 0, (uint32_t[]){ 2, 1 }, 2);
	assert_int_equal(a->relinked_ns, 11 * SEC);
	table_touch(&f->t, find(f, 1)); /* already the newest */
	assert_order(&f->t, 0, (uint32_t[]){ 2, 1 }, 2);
}

static void
test_two_lists_evict_first_list_first(void **state)
{
	struct fixture *f = *state;

	insert(f, 1, 1);
	insert(f, 2, 0);
	insert(f, 3, 1);
	insert(f, 4, 0);
	assert_order(&f->t, 0, (uint32_t[]){ 2, 4 }, 2);
	assert_order(&f->t, 1, (uint32_t[]){ 1, 3 }, 2);
	table_move(&f->t, find(f, 1), 0);
	assert_order(&f->t, 0, (uint32_t[]){ 2, 4, 1 }, 3);
	assert_order(&f->t, 1, (uint32_t[]){ 3 }, 1);
	table_touch(&f->t, find(f, 2)); /* stays in its list */
	assert_order(&f->t, 0, (uint32_t[]){ 4, 1, 2 }, 3);
	insert(f, 5, 1);
	insert(f, 6, 1);
	insert(f, 7, 1);
	assert_int_equal(f->n_evicted, 3);
	assert_int_equal(f->evicted[0], 4);
	assert_int_equal(f->evicted[1], 1);
	assert_int_equal(f->evicted[2], 2);
	insert(f, 8, 1); /* list 0 is empty: the oldest of list 1 */
	assert_int_equal(f->evicted[3], 3);
	assert_order(&f->t, 1, (uint32_t[]){ 5, 6, 7, 8 }, 4);
	assert_int_equal(table_oldest(&f->t, 0), TABLE_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_id_of_entry),
		cmocka_unit_test_setup_teardown(test_insert_find_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collisions_in_one_bucket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_eviction_at_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_bumps_on_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_coarse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_lists_evict_first_list_first,
		    setup_two_lists, teardown),
	};
	return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
