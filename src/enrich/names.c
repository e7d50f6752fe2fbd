/*
 * names.c - host name to address cache (DNS answers seen on the wire, a
 * hosts-format file). Fixed capacity (a util/table allocated by names_new);
 * the least recently used entry is evicted.
 * A DNS or LOOKUP entry is never replaced by a hosts-file entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/table.h"
#include "exfild/enrich/names.h"

#define NAME_MAX_LEN 255
#define NAMES_NIL TABLE_NONE
#define HOSTS_LINE_MAX 4096

struct name_entry {
	char name[NAME_MAX_LEN + 1];
	uint8_t len;
	uint8_t src;              /* enum name_source */
	struct netaddr addr;
	uint64_t ts_ns;           /* last put */
};

/* A label: the name a client reached an address by. */
struct label_entry {
	struct netaddr client, addr;
	uint8_t len;
	bool from_dns;
	char name[NAME_MAX_LEN + 1];
};

struct names {
	struct table tab;         /* of struct name_entry, one recency list */
	struct table labels;      /* of struct label_entry, one recency list */
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

static void
name_evicted(void *ctx, uint32_t id, void *entry)
{
	struct names *n = ctx;

	(void)id;
	(void)entry;
	n->stats.evictions++;
}

/* The names' table: two buckets a name. */
static struct table_conf
names_conf(size_t capacity, struct names *n)
{
	struct table_conf conf = {
		.entry_size = sizeof(struct name_entry),
		.gen_offset = TABLE_NO_GEN, .lists = 1,
		.evict = name_evicted, .ctx = n,
	};

	if (capacity == 0)
		capacity = 1;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	conf.capacity = capacity;
	conf.min_buckets = capacity * 2;
	return conf;
}

/* The labels' table: as many as names, a bucket each. */
static struct table_conf
labels_conf(size_t capacity)
{
	struct table_conf conf = {
		.entry_size = sizeof(struct label_entry),
		.gen_offset = TABLE_NO_GEN, .lists = 1,
		.capacity = capacity, .min_buckets = capacity,
	};

	return conf;
}

uint64_t
names_bytes(size_t capacity)
{
	struct table_conf names = names_conf(capacity, NULL);

	return table_bytes(names) + table_bytes(labels_conf(names.capacity));
}

struct names *
names_new(size_t capacity, const struct hash_key *key)
{
	struct names *n = xcalloc(1, sizeof(*n));
	struct table_conf conf = names_conf(capacity, n);

	if (table_init(&n->tab, &conf) != 0)
		fatalx("names: table of %zu names", conf.capacity);
	conf = labels_conf(conf.capacity);
	if (table_init(&n->labels, &conf) != 0)
		fatalx("names: table of %zu labels", conf.capacity);
	n->key = *key;
	return n;
}

void
names_free(struct names *n)
{
	if (n == NULL)
		return;
	table_fini(&n->tab);
	table_fini(&n->labels);
	free(n);
}

static bool
name_matches(void *probe, const void *entry)
{
	const struct name_key *k = probe;
	const struct name_entry *e = entry;

	return e->len == k->len && memcmp(e->name, k->s, k->len) == 0;
}

static uint32_t
names_find(const struct names *n, struct name_key *k, uint64_t hash)
{
	return table_find(&n->tab, hash, name_matches, k);
}

void
names_put(struct names *n, const char *name, const struct netaddr *addr,
    enum name_source src, uint64_t ts_ns)
{
	struct name_key k;
	struct name_entry *e;
	uint64_t hash;
	uint32_t idx;

	if (addr == NULL || !netaddr_is_set(addr) || !name_normalise(name, &k))
		return;
	hash = hash_bytes(&n->key, k.s, k.len);
	idx = names_find(n, &k, hash);
	if (idx != NAMES_NIL) {
		e = table_entry(&n->tab, idx);
		if (source_rank(src) < source_rank((enum name_source)e->src))
			return;
		e->addr = *addr;
		e->src = (uint8_t)src;
		e->ts_ns = ts_ns;
		table_touch(&n->tab, idx);
		n->stats.updates++;
		return;
	}
	e = table_entry(&n->tab, table_insert(&n->tab, hash, 0));
	memcpy(e->name, k.s, k.len + 1);
	e->len = (uint8_t)k.len;
	e->src = (uint8_t)src;
	e->addr = *addr;
	e->ts_ns = ts_ns;
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
	table_touch(&n->tab, idx);
	n->stats.hits++;
	*out = ((struct name_entry *)table_entry(&n->tab, idx))->addr;
	return true;
}

/* ---- labels ---- */

struct label_probe {
	const struct netaddr *client, *addr;
};

static bool
label_matches(void *probe, const void *entry)
{
	const struct label_probe *p = probe;
	const struct label_entry *e = entry;

	return netaddr_eq(&e->client, p->client) && netaddr_eq(&e->addr, p->addr);
}

static uint64_t
label_hash(const struct names *n, const struct netaddr *client,
    const struct netaddr *addr)
{
	uint8_t raw[34];

	raw[0] = client->family;
	memcpy(raw + 1, client->a, 16);
	raw[17] = addr->family;
	memcpy(raw + 18, addr->a, 16);
	return hash_bytes(&n->key, raw, sizeof(raw));
}

void
names_label_put(struct names *n, const struct netaddr *client,
    const struct netaddr *addr, const char *name, bool from_dns)
{
	struct label_probe p = { client, addr };
	struct label_entry *e;
	struct name_key k;
	uint64_t hash;
	uint32_t idx;

	if (!netaddr_is_set(client) || !netaddr_is_set(addr) ||
	    !name_normalise(name, &k))
		return;
	hash = label_hash(n, client, addr);
	idx = table_find(&n->labels, hash, label_matches, &p);
	if (idx == NAMES_NIL) {
		idx = table_insert(&n->labels, hash, 0);
		e = table_entry(&n->labels, idx);
		e->client = *client;
		e->addr = *addr;
		e->from_dns = false;
		e->len = 0;
	} else {
		e = table_entry(&n->labels, idx);
		table_touch(&n->labels, idx);
	}
	e->from_dns = from_dns || (e->from_dns && e->len == k.len &&
	    memcmp(e->name, k.s, k.len) == 0);
	memcpy(e->name, k.s, k.len + 1);
	e->len = (uint8_t)k.len;
}

bool
names_label_get(struct names *n, const struct netaddr *client,
    const struct netaddr *addr, char *out, size_t outlen, bool *from_dns)
{
	struct label_probe p = { client, addr };
	const struct label_entry *e;
	uint32_t idx;

	if (outlen == 0 || !netaddr_is_set(client) || !netaddr_is_set(addr))
		return false;
	idx = table_find(&n->labels, label_hash(n, client, addr), label_matches,
	    &p);
	if (idx == NAMES_NIL)
		return false;
	e = table_entry(&n->labels, idx);
	str_copy(out, e->name, outlen);
	if (from_dns != NULL)
		*from_dns = e->from_dns;
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

uint64_t
names_changes(const struct names *n)
{
	return n->stats.inserts + n->stats.updates;
}

struct names_walk {
	names_visit_fn fn;
	void *ctx;
};

static bool
visit_name(void *ctx, uint32_t id, void *entry)
{
	const struct names_walk *w = ctx;
	const struct name_entry *e = entry;

	(void)id;
	w->fn(w->ctx, e->name, &e->addr, (enum name_source)e->src, e->ts_ns);
	return true;
}

struct label_walk {
	names_label_visit_fn fn;
	void *ctx;
};

static bool
visit_label(void *ctx, uint32_t id, void *entry)
{
	const struct label_walk *w = ctx;
	const struct label_entry *e = entry;

	(void)id;
	w->fn(w->ctx, &e->client, &e->addr, e->name, e->from_dns);
	return true;
}

void
names_label_foreach(const struct names *n, names_label_visit_fn fn, void *ctx)
{
	struct label_walk w = { fn, ctx };

	table_foreach(&n->labels, 0, visit_label, &w);
}

void
names_foreach(const struct names *n, names_visit_fn fn, void *ctx)
{
	struct names_walk w = { fn, ctx };

	table_foreach(&n->tab, 0, visit_name, &w);
}
