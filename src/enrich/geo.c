/*
 * geo.c - country and autonomous system of an address. Geo databases are
 * asked in their order, the first that knows an address wins: a MaxMind
 * DB (geo_mmdb.c), or "CIDR,CC" CSV files (consecutive ones merged) held
 * in a path-compressed binary trie over the 128-bit IPv4-mapped form (an
 * IPv4 /8 is a /104 there). Trie nodes live in one array that grows only
 * while loading; a lookup walks at most 128 levels and allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/enrich/geo.h"
#include "exfild/enrich/geo_mmdb.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define GEO_NO_CHILD 0 /* the root (node 0) is never anyone's child */
#define GEO_NO_COUNTRY ((country_t)0)
#define GEO_LINE_MAX 4096

/*
 * One node: the first `bits` bits of `key` (the rest zero), the country
 * when this exact prefix was loaded, and the two subtrees by the next bit.
 */
struct geo_node {
	uint8_t key[16];
	uint8_t bits;
	country_t cc;
	uint32_t child[2];
};

struct geo_trie {
	struct geo_node *nodes;
	size_t n_nodes, cap_nodes;
	size_t n_prefixes;
};

/* One database of geo.databases: a trie of CSV files, or a MaxMind DB. */
struct geo_source {
	struct geo_trie *trie;
	struct geo_mmdb *mmdb;
};

struct geo {
	struct geo_source *src;
	size_t n_src;
	struct geo_mmdb *asn; /* geo.asn (may be NULL) */
};

/* One parsed CSV line. */
struct geo_entry {
	struct netprefix prefix;
	country_t cc;
};

enum geo_line { GEO_LINE_SKIP, GEO_LINE_ENTRY, GEO_LINE_ERROR };

static unsigned
key_bit(const uint8_t key[16], unsigned i)
{
	return (key[i / 8] >> (7 - i % 8)) & 1u;
}

/* Number of leading bits equal in x and y, at most limit. */
static unsigned
common_bits(const uint8_t x[16], const uint8_t y[16], unsigned limit)
{
	unsigned i = 0;

	while (i < limit && i % 8 == 0 && limit - i >= 8 && x[i / 8] == y[i / 8])
		i += 8;
	while (i < limit && key_bit(x, i) == key_bit(y, i))
		i++;
	return i;
}

static void
mask_key(uint8_t key[16], unsigned bits)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		key[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

static uint32_t
node_add(struct geo_trie *g, const uint8_t key[16], unsigned bits, country_t cc)
{
	struct geo_node *n;

	if (g->n_nodes == g->cap_nodes) {
		g->cap_nodes = g->cap_nodes * 2;
		g->nodes = xreallocarray(g->nodes, g->cap_nodes, sizeof(*g->nodes));
	}
	n = &g->nodes[g->n_nodes];
	memcpy(n->key, key, 16);
	mask_key(n->key, bits);
	n->bits = (uint8_t)bits;
	n->cc = cc;
	n->child[0] = n->child[1] = GEO_NO_CHILD;
	if (cc != GEO_NO_COUNTRY)
		g->n_prefixes++;
	return (uint32_t)g->n_nodes++;
}

static void
node_set_country(struct geo_trie *g, uint32_t idx, country_t cc)
{
	if (g->nodes[idx].cc == GEO_NO_COUNTRY)
		g->n_prefixes++;
	g->nodes[idx].cc = cc;
}

/* Adds key/bits (bits over the mapped form, 0..128); equal prefix: cc wins. */
static void
geo_insert(struct geo_trie *g, const uint8_t key[16], unsigned bits, country_t cc)
{
	uint32_t cur = 0, next, split, leaf;
	unsigned b, common, nbits;

	for (;;) {
		if (g->nodes[cur].bits == bits) {
			node_set_country(g, cur, cc);
			return;
		}
		b = key_bit(key, g->nodes[cur].bits);
		next = g->nodes[cur].child[b];
		if (next == GEO_NO_CHILD) {
			leaf = node_add(g, key, bits, cc);
			g->nodes[cur].child[b] = leaf;
			return;
		}
		nbits = g->nodes[next].bits;
		common = common_bits(g->nodes[next].key, key,
		    nbits < bits ? nbits : bits);
		if (common == nbits) {
			cur = next;
			continue;
		}
		/* The new prefix and the child part ways at bit `common`. */
		split = node_add(g, key, common,
		    common == bits ? cc : GEO_NO_COUNTRY);
		g->nodes[split].child[key_bit(g->nodes[next].key, common)] = next;
		g->nodes[cur].child[b] = split;
		if (common < bits) {
			leaf = node_add(g, key, bits, cc);
			g->nodes[split].child[key_bit(key, common)] = leaf;
		}
		return;
	}
}

static struct geo_trie *
trie_new(void)
{
	static const uint8_t zero[16];
	struct geo_trie *g = xcalloc(1, sizeof(*g));

	g->cap_nodes = 64;
	g->nodes = xreallocarray(NULL, g->cap_nodes, sizeof(*g->nodes));
	node_add(g, zero, 0, GEO_NO_COUNTRY);
	return g;
}

static void
trie_free(struct geo_trie *g)
{
	if (g == NULL)
		return;
	free(g->nodes);
	free(g);
}

static country_t
trie_lookup(const struct geo_trie *g, const struct netaddr *a)
{
	const struct geo_node *n = &g->nodes[0];
	country_t best = n->cc;
	uint32_t next;

	while (n->bits < 128) {
		next = n->child[key_bit(a->a, n->bits)];
		if (next == GEO_NO_CHILD)
			break;
		n = &g->nodes[next];
		if (common_bits(n->key, a->a, n->bits) != n->bits)
			break;
		if (n->cc != GEO_NO_COUNTRY)
			best = n->cc;
	}
	return best == GEO_NO_COUNTRY ? COUNTRY_UNKNOWN : best;
}

struct geo *
geo_new(void)
{
	return xcalloc(1, sizeof(struct geo));
}

void
geo_free(struct geo *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_src; i++) {
		trie_free(g->src[i].trie);
		geo_mmdb_close(g->src[i].mmdb);
	}
	free(g->src);
	geo_mmdb_close(g->asn);
	free(g);
}

country_t
geo_lookup(const struct geo *g, const struct netaddr *a)
{
	country_t cc = COUNTRY_UNKNOWN;
	size_t i;

	if (!netaddr_is_set(a))
		return COUNTRY_UNKNOWN;
	for (i = 0; i < g->n_src && cc == COUNTRY_UNKNOWN; i++)
		cc = g->src[i].trie != NULL ? trie_lookup(g->src[i].trie, a) :
		    geo_mmdb_country(g->src[i].mmdb, a);
	return cc;
}

uint32_t
geo_asn(const struct geo *g, const struct netaddr *a, char *org,
    size_t orglen)
{
	if (org != NULL && orglen > 0)
		org[0] = '\0';
	if (g->asn == NULL)
		return 0;
	return geo_mmdb_asn(g->asn, a, org, orglen);
}

size_t
geo_prefix_count(const struct geo *g)
{
	size_t i, n = 0;

	for (i = 0; i < g->n_src; i++)
		if (g->src[i].trie != NULL)
			n += g->src[i].trie->n_prefixes;
	return n;
}

/* The bytes up to (not including) stop or the end, blanks trimmed. */
static struct cursor
take_field(struct cursor *c, uint8_t stop)
{
	struct cursor field;
	size_t n = 0;

	cur_skip_blanks(c);
	while (n < cur_left(c) && cur_peek(c, n) != stop)
		n++;
	while (n > 0 && cur_is_blank(cur_peek(c, n - 1)))
		n--;
	field = cur_sub(c, n);
	cur_skip_blanks(c);
	return field;
}

static int
parse_prefix(const struct cursor *field, struct netprefix *out)
{
	char buf[64];
	size_t n = cur_left(field);

	if (n == 0 || n >= sizeof(buf) || memchr(cur_rest(field), '\0', n) != NULL)
		return -1;
	memcpy(buf, cur_rest(field), n);
	buf[n] = '\0';
	return netprefix_parse(buf, out);
}

static country_t
parse_country(const struct cursor *field)
{
	struct cursor c = *field;
	char cc[3];
	uint8_t ch;
	int i;

	if (cur_left(&c) != 2)
		return COUNTRY_UNKNOWN;
	for (i = 0; i < 2; i++) {
		ch = cur_u8(&c);
		if (ch >= 'a' && ch <= 'z')
			ch = (uint8_t)(ch - 'a' + 'A');
		if (ch < 'A' || ch > 'Z')
			return COUNTRY_UNKNOWN;
		cc[i] = (char)ch;
	}
	cc[2] = '\0';
	return country_parse(cc);
}

/*
 * One line (without its '\n'): blank and '#' lines are skipped, otherwise
 * "CIDR,CC" with optional blanks around either field.
 */
static enum geo_line
geo_parse_line(const uint8_t *line, size_t len, struct geo_entry *out,
    char *msg, size_t msglen)
{
	struct cursor c, prefix, country;
	char quoted[QUOTE_BUF];

	cur_init(&c, line, len);
	cur_skip_blanks(&c);
	if (cur_left(&c) == 0 || cur_peek(&c, 0) == '#')
		return GEO_LINE_SKIP;
	if (len > GEO_LINE_MAX) {
		snprintf(msg, msglen, "line longer than %d bytes", GEO_LINE_MAX);
		return GEO_LINE_ERROR;
	}
	prefix = take_field(&c, ',');
	if (cur_left(&c) == 0) {
		snprintf(msg, msglen, "expected \"CIDR,CC\"");
		return GEO_LINE_ERROR;
	}
	cur_skip(&c, 1); /* the ',' */
	country = take_field(&c, '\n');
	if (parse_prefix(&prefix, &out->prefix) != 0) {
		quote_bytes(&prefix, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid prefix %s", quoted);
		return GEO_LINE_ERROR;
	}
	out->cc = parse_country(&country);
	if (out->cc == COUNTRY_UNKNOWN) {
		quote_bytes(&country, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid country code %s", quoted);
		return GEO_LINE_ERROR;
	}
	return GEO_LINE_ENTRY;
}

static void
geo_add_entry(struct geo_trie *g, const struct geo_entry *e)
{
	unsigned bits = e->prefix.addr.family == 4 ? 96u + e->prefix.len :
	    e->prefix.len;

	geo_insert(g, e->prefix.addr.a, bits, e->cc);
}

/* One CSV line into the trie (file_each_line's callback). */
static int
geo_load_line(void *ctx, const uint8_t *line, size_t len, char *msg,
    size_t msglen)
{
	struct geo_entry entry;

	switch (geo_parse_line(line, len, &entry, msg, msglen)) {
	case GEO_LINE_ENTRY:
		geo_add_entry(ctx, &entry);
		return 0;
	case GEO_LINE_SKIP:
		return 0;
	default:
		return -1;
	}
}

static struct geo_source *
source_add(struct geo *g)
{
	struct geo_source *s;

	g->src = xreallocarray(g->src, g->n_src + 1, sizeof(*g->src));
	s = &g->src[g->n_src++];
	memset(s, 0, sizeof(*s));
	return s;
}

int
geo_load_csv(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct geo_trie *t;

	if (g->n_src > 0 && g->src[g->n_src - 1].trie != NULL)
		t = g->src[g->n_src - 1].trie;
	else
		t = source_add(g)->trie = trie_new();
	return file_each_line(path, geo_load_line, t, err, errlen);
}

static int
geo_load_mmdb(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct geo_mmdb *m = geo_mmdb_open(path, GEO_MMDB_COUNTRY, err, errlen);

	if (m == NULL)
		return -1;
	source_add(g)->mmdb = m;
	return 0;
}

int
geo_load(struct geo *g, const char *path, char *err, size_t errlen)
{
	if (geo_mmdb_sniff(path))
		return geo_load_mmdb(g, path, err, errlen);
	return geo_load_csv(g, path, err, errlen);
}

int
geo_load_asn(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct geo_mmdb *m = geo_mmdb_open(path, GEO_MMDB_ASN, err, errlen);

	if (m == NULL)
		return -1;
	geo_mmdb_close(g->asn);
	g->asn = m;
	return 0;
}
