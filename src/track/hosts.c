/*
 * hosts.c - the internal hosts table (see hosts.h): keyed by address
 * (keyed SipHash), one recency list by last activity.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/track/hosts.h"
#include "exfild/util/log.h"
#include "exfild/util/table.h"

struct hosttab {
	struct table tab; /* of struct host */
	struct hash_key key;
	/* the address hosts_prefetch was last asked about, and its hash */
	struct netaddr ahead;
	uint64_t ahead_hash;
};

static uint64_t
addr_hash(const struct hosttab *t, const struct netaddr *a)
{
	return hash_bytes(&t->key, a->a, sizeof(a->a));
}

/* The hosts' table: one bucket a host. */
static struct table_conf
hosts_conf(size_t capacity)
{
	struct table_conf conf = {
		.entry_size = sizeof(struct host),
		.gen_offset = offsetof(struct host, gen), .lists = 1,
	};

	conf.capacity = capacity > 0 ? capacity : 1;
	conf.min_buckets = conf.capacity;
	return conf;
}

uint64_t
hosttab_bytes(size_t capacity)
{
	return table_bytes(hosts_conf(capacity));
}

struct hosttab *
hosttab_new(size_t capacity, const struct hash_key *key)
{
	struct hosttab *t = xcalloc(1, sizeof(*t));
	struct table_conf conf = hosts_conf(capacity);

	if (table_init(&t->tab, &conf) != 0) {
		free(t);
		return NULL;
	}
	t->key = *key;
	t->ahead_hash = addr_hash(t, &t->ahead);
	return t;
}

void
hosttab_free(struct hosttab *t)
{
	if (t == NULL)
		return;
	table_fini(&t->tab);
	free(t);
}

static bool
host_matches(void *probe, const void *entry)
{
	return netaddr_eq(probe, &((const struct host *)entry)->addr);
}

/* A connection after a quiet spell: the waking is kept, unless the one
 * kept followed a longer spell and is recent. */
static void
note_waking(struct host *h, uint64_t ts, uint64_t idle)
{
	if (idle < HOST_WAKE_MIN_NS)
		return;
	if (h->woke_ns != 0 && ts >= h->woke_ns &&
	    ts - h->woke_ns <= HOST_WAKE_KEEP_NS && idle < h->woke_idle_ns)
		return;
	h->woke_ns = ts;
	h->woke_idle_ns = idle;
}

/* The hash of an address (kept from hosts_prefetch when it was asked). */
static uint64_t
host_hash(const struct hosttab *t, const struct netaddr *a)
{
	return memcmp(a->a, t->ahead.a, sizeof(a->a)) == 0 ? t->ahead_hash :
	    addr_hash(t, a);
}

void
hosts_prefetch(struct hosttab *t, const struct netaddr *a)
{
	t->ahead = *a;
	t->ahead_hash = addr_hash(t, a);
	table_prefetch_bucket(&t->tab, t->ahead_hash);
}

void
hosts_prefetch_entry(const struct hosttab *t)
{
	uint32_t id = table_head(&t->tab, t->ahead_hash);
	const char *e;

	if (id == TABLE_NONE)
		return;
	e = table_entry(&t->tab, id);
	__builtin_prefetch(e, 1);
	__builtin_prefetch(e + 64, 1);
}

/* The slot of an address, made (as the newest) if new. */
static uint32_t
host_slot(struct hosttab *t, const struct netaddr *a, bool *made)
{
	uint64_t hash = host_hash(t, a);
	uint32_t i = table_find(&t->tab, hash, host_matches, (void *)(uintptr_t)a);

	*made = i == TABLE_NONE;
	if (*made)
		i = table_insert(&t->tab, hash, 0);
	else
		table_touch(&t->tab, i);
	return i;
}

struct host *
hosts_connection(struct hosttab *t, const struct netaddr *a, uint32_t hint_id,
    uint32_t hint_gen, bool inbound, uint64_t ts_ns, uint64_t since_ns,
    uint64_t *idle_ns, uint32_t *id)
{
	bool made = false;
	uint32_t i = hint_id;
	struct host *h = table_get(&t->tab, hint_id, hint_gen);

	if (h != NULL && netaddr_eq(&h->addr, a)) {
		table_touch(&t->tab, i); /* the caller's slot still holds it */
	} else {
		i = host_slot(t, a, &made);
		h = table_entry(&t->tab, i);
	}

	if (made) {
		h->addr = *a;
		h->first_ns = h->last_ns = ts_ns;
		*idle_ns = ts_ns > since_ns ? ts_ns - since_ns : 0;
	} else {
		*idle_ns = ts_ns > h->last_ns ? ts_ns - h->last_ns : 0;
		if (ts_ns > h->last_ns)
			h->last_ns = ts_ns;
	}
	note_waking(h, ts_ns, *idle_ns);
	if (inbound)
		h->accepted++;
	else
		h->opened++;
	*id = i;
	return h;
}

#define HOUR_NS (3600ULL * NS_PER_SEC)

/* Moves the ring to ts's hour: hours that fall out are cleared. */
static void
pull_advance(struct host *h, uint64_t hour)
{
	uint64_t k;

	if (hour <= h->pull_hour)
		return;
	for (k = h->pull_hour + 1; k <= hour && k - h->pull_hour <= HOST_PULL_HOURS; k++)
		h->pull_b[k % HOST_PULL_HOURS] = 0;
	h->pull_hour = hour;
}

void
hosts_pull(struct host *h, unsigned jewel, uint64_t n, uint64_t ts_ns)
{
	uint64_t hour = ts_ns / HOUR_NS;

	if (n == 0)
		return;
	if (h->pull_last_ns == 0)
		h->pull_hour = hour; /* an empty ring: start at this hour */
	pull_advance(h, hour);
	/* a pull stamped before the ring's newest hour (merged captures)
	 * counts in the newest, if not too old to count at all */
	if (h->pull_hour - hour < HOST_PULL_HOURS)
		h->pull_b[(hour <= h->pull_hour ? hour : h->pull_hour) %
		    HOST_PULL_HOURS] += n;
	if (ts_ns >= h->pull_last_ns) {
		h->pull_last_ns = ts_ns;
		h->pull_jewel = (uint8_t)(jewel + 1);
	}
}

uint64_t
hosts_pulled(const struct host *h, uint64_t now_ns, uint64_t within_ns)
{
	uint64_t now = now_ns / HOUR_NS, hours = (within_ns + HOUR_NS - 1) / HOUR_NS;
	uint64_t k, sum = 0;

	if (h->pull_last_ns == 0 || hours == 0)
		return 0;
	if (hours > HOST_PULL_HOURS)
		hours = HOST_PULL_HOURS;
	for (k = 0; k < hours && k <= now; k++) {
		uint64_t hour = now - k;

		if (hour > h->pull_hour || h->pull_hour - hour >= HOST_PULL_HOURS)
			continue; /* not in the ring (ahead of it, or gone) */
		sum += h->pull_b[hour % HOST_PULL_HOURS];
	}
	return sum;
}

struct host *
hosts_get(struct hosttab *t, uint32_t id, uint32_t gen)
{
	return table_get(&t->tab, id, gen);
}

size_t
hosttab_capacity(const struct hosttab *t)
{
	return table_capacity(&t->tab);
}

struct host_walk {
	hosts_visit_fn fn;
	void *ctx;
};

static bool
visit_host(void *ctx, uint32_t id, void *entry)
{
	struct host_walk *w = ctx;

	w->fn(w->ctx, id, entry);
	return true;
}

void
hosts_foreach(const struct hosttab *t, hosts_visit_fn fn, void *ctx)
{
	struct host_walk w = { fn, ctx };

	table_foreach(&t->tab, 0, visit_host, &w);
}

struct host *
hosts_find(struct hosttab *t, const struct netaddr *a, uint32_t *id)
{
	uint64_t hash = host_hash(t, a);
	uint32_t i = table_find(&t->tab, hash, host_matches, (void *)(uintptr_t)a);

	if (i == TABLE_NONE)
		return NULL;
	*id = i;
	return table_entry(&t->tab, i);
}

struct host *
hosts_restore(struct hosttab *t, const struct host *saved, uint32_t *id)
{
	bool made;
	uint32_t i = host_slot(t, &saved->addr, &made);
	struct host *h = table_entry(&t->tab, i);
	uint32_t gen = h->gen;

	*h = *saved;
	h->gen = gen;
	*id = i;
	return h;
}
