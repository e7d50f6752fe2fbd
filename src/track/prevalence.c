/*
 * prevalence.c - the keys (addresses, names, registered domains, AS
 * numbers) internal hosts used while the baseline was learning, with the
 * hosts that used each (a 32-bit tag each, up to PREV_HOSTS) and the UTC
 * days each used it on (a bitmap of day mod PREV_DAYS: days that far apart
 * fold together, which can only undercount). A host that raised an alert
 * on a key keeps its place, marked, so that its later uses count for
 * nothing either. A util/table with two recency lists: keys used by one
 * host on one day go first when the table is full.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/track/prevalence.h"
#include "exfild/util/cursor.h"
#include "exfild/util/table.h"

#define PREV_NIL TABLE_NONE
#define NS_PER_DAY (86400ULL * NS_PER_SEC)

enum { LIST_NARROW, LIST_WIDE, LIST_COUNT };

struct prev_entry {
	uint32_t gen;
	uint8_t n;          /* contributors in use */
	uint8_t alerted;    /* bit i: contributor i alerted */
	bool legacy;
	uint32_t tag[PREV_HOSTS];
	uint32_t days[PREV_HOSTS];
	uint64_t first_ns, last_ns;
	struct prev_key key;
};

struct prevtab {
	struct table tab;
	struct hash_key key;
};

static const char *const kind_names[PREV_KINDS] = {
	"address", "name", "domain", "asn",
};

const char *
prev_kind_name(enum prev_kind k)
{
	return (unsigned)k < PREV_KINDS ? kind_names[k] : "?";
}

static struct table_conf
prev_conf(size_t capacity)
{
	struct table_conf conf = {
		.entry_size = sizeof(struct prev_entry),
		.gen_offset = offsetof(struct prev_entry, gen),
		.lists = LIST_COUNT,
	};

	if (capacity == 0)
		capacity = 1;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	conf.capacity = capacity;
	conf.min_buckets = capacity;
	return conf;
}

uint64_t
prevtab_bytes(size_t capacity)
{
	return table_bytes(prev_conf(capacity));
}

struct prevtab *
prevtab_new(size_t capacity, const struct hash_key *key)
{
	struct prevtab *p = xcalloc(1, sizeof(*p));
	struct table_conf conf = prev_conf(capacity);

	if (table_init(&p->tab, &conf) != 0) {
		free(p);
		return NULL;
	}
	p->key = *key;
	return p;
}

void
prevtab_free(struct prevtab *p)
{
	if (p == NULL)
		return;
	table_fini(&p->tab);
	free(p);
}

void
prevtab_clear(struct prevtab *p)
{
	table_clear(&p->tab);
}

uint32_t
prev_host_tag(const struct netaddr *host)
{
	/* a fixed key: tags must mean the same host in the next run; two
	 * hosts that share one count as one, never as more */
	static const struct hash_key fixed = { 0x6578666964707276ULL,
	    0x686f73742d746167ULL };
	uint8_t raw[17];
	uint32_t tag;

	raw[0] = host->family;
	memcpy(raw + 1, host->a, 16);
	tag = (uint32_t)hash_bytes(&fixed, raw, sizeof(raw));
	return tag != 0 ? tag : 1;
}

/* The key's bytes as hashed and compared: kind, then what it holds. */
static size_t
key_bytes(const struct prev_key *k, uint8_t out[1 + PREV_NAME_MAX])
{
	size_t len;

	out[0] = (uint8_t)k->kind;
	switch (k->kind) {
	case PREV_ADDRESS:
		out[1] = k->addr.family;
		memcpy(out + 2, k->addr.a, 16);
		return 18;
	case PREV_ASN:
		memcpy(out + 1, &k->asn, 4);
		return 5;
	default:
		len = strnlen(k->name, PREV_NAME_MAX - 1);
		memcpy(out + 1, k->name, len);
		return 1 + len;
	}
}

static bool
key_eq(const struct prev_key *a, const struct prev_key *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case PREV_ADDRESS:
		return netaddr_eq(&a->addr, &b->addr);
	case PREV_ASN:
		return a->asn == b->asn;
	default:
		return strcmp(a->name, b->name) == 0;
	}
}

static bool
entry_matches(void *probe, const void *entry)
{
	return key_eq(probe, &((const struct prev_entry *)entry)->key);
}

static uint64_t
key_hash(const struct prevtab *p, const struct prev_key *k)
{
	uint8_t raw[1 + PREV_NAME_MAX];

	return hash_bytes(&p->key, raw, key_bytes(k, raw));
}

static struct prev_entry *
entry_find(const struct prevtab *p, const struct prev_key *k, uint64_t hash,
    uint32_t *idx)
{
	*idx = table_find(&p->tab, hash, entry_matches, (void *)(uintptr_t)k);
	return *idx == PREV_NIL ? NULL : table_entry(&p->tab, *idx);
}

static void
entry_count(const struct prev_entry *e, struct prev_count *out)
{
	uint32_t days = 0;
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < e->n; i++) {
		if (e->alerted & 1u << i) {
			out->alerted++;
			continue;
		}
		out->hosts++;
		days |= e->days[i];
	}
	out->days = (unsigned)__builtin_popcount(days);
	out->legacy = e->legacy;
	out->first_ns = e->first_ns;
	out->last_ns = e->last_ns;
}

bool
prev_count_enough(const struct prev_count *c, unsigned min_hosts,
    unsigned min_days)
{
	return c->legacy || (c->hosts > 0 &&
	    (c->hosts >= min_hosts || c->days >= min_days));
}

/* Which list an entry belongs on: used by more than one host or day. */
static unsigned
list_of(const struct prev_entry *e)
{
	struct prev_count c;

	entry_count(e, &c);
	return c.legacy || c.hosts > 1 || c.days > 1 ? LIST_WIDE : LIST_NARROW;
}

/* The entry for k, made when missing (first seen at ts). */
static struct prev_entry *
entry_get(struct prevtab *p, const struct prev_key *k, uint64_t ts_ns,
    uint32_t *idx)
{
	uint64_t hash = key_hash(p, k);
	struct prev_entry *e = entry_find(p, k, hash, idx);

	if (e != NULL) {
		if (ts_ns > e->last_ns)
			e->last_ns = ts_ns;
		if (ts_ns < e->first_ns)
			e->first_ns = ts_ns;
		return e;
	}
	*idx = table_insert(&p->tab, hash, LIST_NARROW);
	e = table_entry(&p->tab, *idx);
	e->n = 0;
	e->alerted = 0;
	e->legacy = false;
	e->first_ns = e->last_ns = ts_ns;
	e->key = *k;
	return e;
}

/* The host's place in e, made when missing and there is room; -1: none. */
static int
contributor(struct prev_entry *e, uint32_t host, bool make)
{
	unsigned i;

	for (i = 0; i < e->n; i++)
		if (e->tag[i] == host)
			return (int)i;
	if (!make || e->n == PREV_HOSTS)
		return -1;
	e->tag[e->n] = host;
	e->days[e->n] = 0;
	return e->n++;
}

void
prevtab_note(struct prevtab *p, const struct prev_key *k, uint32_t host,
    uint64_t ts_ns, bool alerted)
{
	struct prev_entry *e;
	uint32_t idx;
	int i;

	e = entry_get(p, k, ts_ns, &idx);
	i = contributor(e, host, true);
	if (i < 0 && alerted) {
		/* no room: the first that has not alerted gives its place */
		for (i = 0; i < e->n && (e->alerted & 1u << i); i++)
			;
		if (i == e->n)
			i = -1;
		else
			e->tag[i] = host;
	}
	if (i >= 0 && alerted) {
		e->alerted |= (uint8_t)(1u << i);
		e->days[i] = 0;
	} else if (i >= 0 && !(e->alerted & 1u << i)) {
		e->days[i] |= 1u << (ts_ns / NS_PER_DAY % PREV_DAYS);
	}
	table_move(&p->tab, idx, list_of(e));
}

bool
prevtab_count(const struct prevtab *p, const struct prev_key *k,
    struct prev_count *out)
{
	const struct prev_entry *e;
	uint32_t idx;

	if ((e = entry_find(p, k, key_hash(p, k), &idx)) == NULL) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	entry_count(e, out);
	return true;
}

void
prevtab_add_legacy(struct prevtab *p, const struct prev_key *k,
    uint64_t first_ns, uint64_t last_ns)
{
	struct prev_entry *e;
	uint32_t idx;

	e = entry_get(p, k, last_ns, &idx);
	if (first_ns < e->first_ns)
		e->first_ns = first_ns;
	e->legacy = true;
	table_move(&p->tab, idx, LIST_WIDE);
}

struct filter_walk {
	prev_keep_fn keep;
	void *ctx;
	uint32_t *drop;
	size_t n;
};

static bool
filter_visit(void *ctx, uint32_t id, void *entry)
{
	struct filter_walk *w = ctx;
	const struct prev_entry *e = entry;

	if (!w->keep(w->ctx, &e->key))
		w->drop[w->n++] = id;
	return true;
}

size_t
prevtab_filter(struct prevtab *p, prev_keep_fn keep, void *ctx)
{
	struct filter_walk w = { keep, ctx, NULL, 0 };
	size_t i;
	unsigned l;

	if (table_count(&p->tab) == 0)
		return 0;
	w.drop = xcalloc(table_count(&p->tab), sizeof(*w.drop));
	for (l = 0; l < LIST_COUNT; l++)
		table_foreach(&p->tab, l, filter_visit, &w);
	for (i = 0; i < w.n; i++)
		table_remove(&p->tab, w.drop[i]);
	free(w.drop);
	return w.n;
}

/* ---- walking, and the state file ---- */

struct prev_walk {
	prev_visit_fn fn;
	void *ctx;
	FILE *fp;
	int rc;
};

static bool
visit_entry(void *ctx, uint32_t id, void *entry)
{
	struct prev_walk *w = ctx;
	const struct prev_entry *e = entry;
	struct prev_count c;

	(void)id;
	entry_count(e, &c);
	w->fn(w->ctx, &e->key, &c);
	return true;
}

void
prevtab_foreach(const struct prevtab *p, prev_visit_fn fn, void *ctx)
{
	struct prev_walk w = { fn, ctx, NULL, 0 };
	unsigned l;

	for (l = 0; l < LIST_COUNT; l++)
		table_foreach(&p->tab, l, visit_entry, &w);
}

static int
write_key(FILE *fp, const struct prev_key *k)
{
	char addr[NETADDR_STRLEN];

	switch (k->kind) {
	case PREV_ADDRESS:
		netaddr_format(&k->addr, addr, sizeof(addr));
		return fprintf(fp, "%s", addr) < 0 ? -1 : 0;
	case PREV_ASN:
		return fprintf(fp, "%" PRIu32, k->asn) < 0 ? -1 : 0;
	default:
		return field_write_name(fp, k->name);
	}
}

static bool
write_entry(void *ctx, uint32_t id, void *entry)
{
	struct prev_walk *w = ctx;
	const struct prev_entry *e = entry;
	unsigned i;

	(void)id;
	if (w->rc != 0)
		return false;
	if (fprintf(w->fp, "seen %s ", prev_kind_name(e->key.kind)) < 0 ||
	    write_key(w->fp, &e->key) != 0 ||
	    fprintf(w->fp, " %" PRIu64 " %" PRIu64 " %d", e->first_ns,
	    e->last_ns, e->legacy ? 1 : 0) < 0) {
		w->rc = -1;
		return false;
	}
	for (i = 0; i < e->n; i++)
		if (fprintf(w->fp, " %" PRIx32 ":%" PRIx32 ":%u", e->tag[i],
		    e->days[i], (e->alerted >> i) & 1u) < 0) {
			w->rc = -1;
			return false;
		}
	if (fputc('\n', w->fp) == EOF)
		w->rc = -1;
	return w->rc == 0;
}

int
prevtab_write(const struct prevtab *p, FILE *fp)
{
	struct prev_walk w = { NULL, NULL, fp, 0 };
	unsigned l;

	for (l = 0; l < LIST_COUNT && w.rc == 0; l++)
		table_foreach(&p->tab, l, write_entry, &w);
	return w.rc;
}

static int
parse_kind(const struct cursor *f, enum prev_kind *out)
{
	unsigned k;

	for (k = 0; k < PREV_KINDS; k++)
		if (cur_eq_str(f, kind_names[k])) {
			*out = (enum prev_kind)k;
			return 0;
		}
	return -1;
}

/* A name key: lowercase, no final dot (as the baseline normalises). */
static int
parse_key(const struct cursor *f, struct prev_key *k)
{
	uint64_t v;
	size_t len, i;

	switch (k->kind) {
	case PREV_ADDRESS:
		/* (refuses empty, over-long and non-literal bytes) */
		return netaddr_parse_n((const char *)cur_rest(f), cur_left(f),
		    &k->addr);
	case PREV_ASN:
		if (parse_dec_u64(f, &v) != 0 || v == 0 || v > UINT32_MAX)
			return -1;
		k->asn = (uint32_t)v;
		return 0;
	default:
		if (field_parse_name(f, k->name, sizeof(k->name), &len) != 0 ||
		    len == 0 || k->name[len - 1] == '.')
			return -1;
		for (i = 0; i < len; i++)
			if (k->name[i] >= 'A' && k->name[i] <= 'Z')
				return -1;
		return 0;
	}
}

/* "<tag>:<days>:<alerted>", hex, hex, 0|1. */
static int
parse_contributor(const struct cursor *f, uint32_t *tag, uint32_t *days,
    bool *alerted)
{
	struct cursor c = *f, part[3];
	uint64_t v[2];
	unsigned i;
	int d;

	for (i = 0; i < 3; i++) {
		part[i] = cur_until(&c, ':');
		if (cur_left(&part[i]) == 0 || (i < 2 && !cur_eat(&c, ':')))
			return -1;
	}
	if (cur_left(&c) > 0 || c.err)
		return -1;
	for (i = 0; i < 2; i++) {
		if (cur_left(&part[i]) > 8)
			return -1;
		for (v[i] = 0; cur_left(&part[i]) > 0;) {
			if ((d = hex_digit_value(cur_u8(&part[i]))) < 0)
				return -1;
			v[i] = v[i] << 4 | (uint64_t)d;
		}
	}
	if (v[0] == 0 || (!cur_eq_str(&part[2], "0") &&
	    !cur_eq_str(&part[2], "1")))
		return -1;
	*tag = (uint32_t)v[0];
	*days = (uint32_t)v[1];
	*alerted = cur_eq_str(&part[2], "1");
	return 0;
}

int
prevtab_read(struct prevtab *p, const struct cursor *line, bool apply,
    char *msg, size_t msglen)
{
	struct cursor c = *line, word, f[5];
	struct prev_entry rec;
	struct prev_entry *e;
	char quoted[QUOTE_BUF];
	uint64_t legacy;
	uint32_t idx;
	unsigned i;
	bool alerted;

	memset(&rec, 0, sizeof(rec));
	word = cur_next_word(&c);
	for (i = 0; i < 5; i++)
		f[i] = cur_next_word(&c);
	if (!cur_eq_str(&word, "seen") || cur_left(&f[4]) == 0) {
		snprintf(msg, msglen, "expected seen <kind> <key> <first_ns> "
		    "<last_ns> <legacy> [<tag>:<days>:<alerted>]...");
		return -1;
	}
	if (parse_kind(&f[0], &rec.key.kind) != 0 ||
	    parse_key(&f[1], &rec.key) != 0) {
		quote_bytes(cur_left(&f[0]) == 0 || parse_kind(&f[0],
		    &rec.key.kind) != 0 ? &f[0] : &f[1], quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid seen key %s", quoted);
		return -1;
	}
	if (parse_dec_u64(&f[2], &rec.first_ns) != 0 ||
	    parse_dec_u64(&f[3], &rec.last_ns) != 0 ||
	    rec.first_ns > rec.last_ns || parse_dec_u64(&f[4], &legacy) != 0 ||
	    legacy > 1) {
		snprintf(msg, msglen, "invalid seen times or legacy flag");
		return -1;
	}
	rec.legacy = legacy == 1;
	for (;;) {
		word = cur_next_word(&c);
		if (cur_left(&word) == 0)
			break;
		if (rec.n == PREV_HOSTS ||
		    parse_contributor(&word, &rec.tag[rec.n], &rec.days[rec.n],
		    &alerted) != 0) {
			quote_bytes(&word, quoted, sizeof(quoted));
			if (rec.n == PREV_HOSTS)
				snprintf(msg, msglen, "more than %d hosts",
				    PREV_HOSTS);
			else
				snprintf(msg, msglen, "invalid host %s", quoted);
			return -1;
		}
		if (alerted)
			rec.alerted |= (uint8_t)(1u << rec.n);
		rec.n++;
	}
	if (!apply)
		return 0;
	if ((e = entry_find(p, &rec.key, key_hash(p, &rec.key), &idx)) != NULL) {
		snprintf(msg, msglen, "duplicate seen key");
		return -1;
	}
	e = entry_get(p, &rec.key, rec.last_ns, &idx);
	rec.gen = e->gen;
	*e = rec;
	table_move(&p->tab, idx, list_of(e));
	return 0;
}
