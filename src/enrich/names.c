/*
 * names.c - host name to address cache (DNS answers seen on the wire, a
 * hosts-format file). Fixed capacity: entries and hash chains live in
 * arrays allocated by names_new; the least recently used entry is evicted.
 * A DNS or LOOKUP entry is never replaced by a hosts-file entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/enrich/names.h"

#define NAME_MAX_LEN 255
#define NAMES_NIL UINT32_MAX
#define HOSTS_LINE_MAX 4096

struct name_entry {
	char name[NAME_MAX_LEN + 1];
	uint8_t len;
	uint8_t src;              /* enum name_source */
	struct netaddr addr;
	uint64_t ts_ns;           /* last put */
	uint64_t hash;
	uint32_t chain;           /* next in the hash bucket */
	uint32_t newer, older;    /* LRU list */
};

struct names {
	struct name_entry *entries;
	uint32_t *buckets;
	size_t capacity, used;
	uint32_t bucket_mask;
	uint32_t newest, oldest;
	struct hash_key key;
	struct names_stats stats;
};

/*
 * A normalised name: lowercase ASCII, no trailing dots (all removed, as
 * baseline.c does), 1..255 bytes.
 */
struct name_key {
	char s[NAME_MAX_LEN + 1];
	size_t len;
};

static bool
name_normalise(const char *in, struct name_key *out)
{
	size_t len = strnlen(in, NAME_MAX_LEN + 2), i;

	if (len > NAME_MAX_LEN + 1)
		return false;
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = in[i];
		out->s[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out->s[len] = '\0';
	out->len = len;
	return true;
}

/* A hosts-file entry ranks below one learned from DNS or a lookup. */
static int
source_rank(enum name_source src)
{
	return src == NAME_FROM_HOSTS ? 1 : 2;
}

struct names *
names_new(size_t capacity, const struct hash_key *key)
{
	struct names *n = xcalloc(1, sizeof(*n));
	size_t nbuckets = 2, i;

	if (capacity == 0)
		capacity = 1;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	while (nbuckets < capacity * 2)
		nbuckets *= 2;
	n->entries = xcalloc(capacity, sizeof(*n->entries));
	n->buckets = xcalloc(nbuckets, sizeof(*n->buckets));
	for (i = 0; i < nbuckets; i++)
		n->buckets[i] = NAMES_NIL;
	n->capacity = capacity;
	n->bucket_mask = (uint32_t)(nbuckets - 1);
	n->newest = n->oldest = NAMES_NIL;
	n->key = *key;
	return n;
}

void
names_free(struct names *n)
{
	if (n == NULL)
		return;
	free(n->entries);
	free(n->buckets);
	free(n);
}

static void
lru_unlink(struct names *n, uint32_t idx)
{
	struct name_entry *e = &n->entries[idx];

	if (e->newer != NAMES_NIL)
		n->entries[e->newer].older = e->older;
	else
		n->newest = e->older;
	if (e->older != NAMES_NIL)
		n->entries[e->older].newer = e->newer;
	else
		n->oldest = e->newer;
	e->newer = e->older = NAMES_NIL;
}

static void
lru_push_newest(struct names *n, uint32_t idx)
{
	struct name_entry *e = &n->entries[idx];

	e->newer = NAMES_NIL;
	e->older = n->newest;
	if (n->newest != NAMES_NIL)
		n->entries[n->newest].newer = idx;
	n->newest = idx;
	if (n->oldest == NAMES_NIL)
		n->oldest = idx;
}

static void
lru_touch(struct names *n, uint32_t idx)
{
	if (n->newest == idx)
		return;
	lru_unlink(n, idx);
	lru_push_newest(n, idx);
}

static uint32_t
names_find(const struct names *n, const struct name_key *k, uint64_t hash)
{
	uint32_t idx = n->buckets[hash & n->bucket_mask];
	const struct name_entry *e;

	for (; idx != NAMES_NIL; idx = e->chain) {
		e = &n->entries[idx];
		if (e->hash == hash && e->len == k->len &&
		    memcmp(e->name, k->s, k->len) == 0)
			return idx;
	}
	return NAMES_NIL;
}

static void
chain_remove(struct names *n, uint32_t idx)
{
	uint32_t *link = &n->buckets[n->entries[idx].hash & n->bucket_mask];

	while (*link != NAMES_NIL) {
		if (*link == idx) {
			*link = n->entries[idx].chain;
			return;
		}
		link = &n->entries[*link].chain;
	}
}

/* A free entry, evicting the least recently used one when full. */
static uint32_t
names_take_slot(struct names *n)
{
	uint32_t idx;

	if (n->used < n->capacity)
		return (uint32_t)n->used++;
	idx = n->oldest;
	lru_unlink(n, idx);
	chain_remove(n, idx);
	n->stats.evictions++;
	return idx;
}

void
names_put(struct names *n, const char *name, const struct netaddr *addr,
    enum name_source src, uint64_t ts_ns)
{
	struct name_key k;
	struct name_entry *e;
	uint64_t hash;
	uint32_t idx, *bucket;

	if (addr == NULL || !netaddr_is_set(addr) || !name_normalise(name, &k))
		return;
	hash = hash_bytes(&n->key, k.s, k.len);
	idx = names_find(n, &k, hash);
	if (idx != NAMES_NIL) {
		e = &n->entries[idx];
		if (source_rank(src) < source_rank((enum name_source)e->src))
			return;
		e->addr = *addr;
		e->src = (uint8_t)src;
		e->ts_ns = ts_ns;
		lru_touch(n, idx);
		n->stats.updates++;
		return;
	}
	idx = names_take_slot(n);
	e = &n->entries[idx];
	memcpy(e->name, k.s, k.len + 1);
	e->len = (uint8_t)k.len;
	e->src = (uint8_t)src;
	e->addr = *addr;
	e->ts_ns = ts_ns;
	e->hash = hash;
	bucket = &n->buckets[hash & n->bucket_mask];
	e->chain = *bucket;
	*bucket = idx;
	lru_push_newest(n, idx);
	n->stats.inserts++;
}

bool
names_get(struct names *n, const char *name, struct netaddr *out)
{
	struct name_key k;
	uint32_t idx;

	if (!name_normalise(name, &k)) {
		n->stats.misses++;
		return false;
	}
	idx = names_find(n, &k, hash_bytes(&n->key, k.s, k.len));
	if (idx == NAMES_NIL) {
		n->stats.misses++;
		return false;
	}
	lru_touch(n, idx);
	n->stats.hits++;
	*out = n->entries[idx].addr;
	return true;
}

void
names_get_stats(const struct names *n, struct names_stats *out)
{
	*out = n->stats;
}

/*
 * One hosts(5) line without its '\n': "address name [aliases...]", text
 * after '#' ignored. Names too long for the cache are skipped. 0 or -1.
 */
static int
hosts_parse_line(struct names *n, const uint8_t *line, size_t len, char *msg,
    size_t msglen)
{
	struct cursor c, word;
	struct netaddr addr;
	char quoted[QUOTE_BUF];
	char name[NAME_MAX_LEN + 2];
	const uint8_t *hash;
	size_t wlen;
	bool any = false;

	if ((hash = memchr(line, '#', len)) != NULL)
		len = (size_t)(hash - line);
	if (memchr(line, '\0', len) != NULL) {
		snprintf(msg, msglen, "NUL byte in line");
		return -1;
	}
	cur_init(&c, line, len);
	word = cur_next_word(&c);
	if (cur_left(&word) == 0)
		return 0;
	if (len > HOSTS_LINE_MAX) {
		snprintf(msg, msglen, "line longer than %d bytes", HOSTS_LINE_MAX);
		return -1;
	}
	if (netaddr_parse_n((const char *)cur_rest(&word), cur_left(&word),
	    &addr) != 0) {
		quote_bytes(&word, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid address %s", quoted);
		return -1;
	}
	for (;;) {
		word = cur_next_word(&c);
		if (cur_left(&word) == 0)
			break;
		any = true;
		wlen = cur_left(&word);
		if (wlen >= sizeof(name))
			continue;
		memcpy(name, cur_rest(&word), wlen);
		name[wlen] = '\0';
		names_put(n, name, &addr, NAME_FROM_HOSTS, 0);
	}
	if (!any) {
		snprintf(msg, msglen, "no host name after the address");
		return -1;
	}
	return 0;
}

static int
hosts_load_line(void *ctx, const uint8_t *line, size_t len, char *msg,
    size_t msglen)
{
	return hosts_parse_line(ctx, line, len, msg, msglen);
}

int
names_load_hosts(struct names *n, const char *path, char *err, size_t errlen)
{
	return file_each_line(path, hosts_load_line, n, err, errlen);
}
