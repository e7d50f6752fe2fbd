/*
 * trie.c - longest-prefix match over the 128-bit IPv4-mapped form of
 * addresses (see trie.h): a path-compressed binary trie whose nodes live
 * in one array that grows only while loading.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/util/trie.h"
#include "exfild/util/util.h"

#define TRIE_NO_CHILD 0 /* the root (node 0) is never anyone's child */
#define TRIE_NO_VALUE 0

/*
 * One node: the first `bits` bits of `key` (the rest zero), the value when
 * this exact prefix was added, and the two subtrees by the next bit.
 */
struct trie_node {
	uint8_t key[16];
	uint8_t bits;
	uint32_t value;
	uint32_t child[2];
};

struct trie {
	struct trie_node *nodes;
	size_t n_nodes, cap_nodes;
	size_t n_prefixes;
};

static unsigned
key_bit(const uint8_t key[16], unsigned i)
{
	return (key[i / 8] >> (7 - i % 8)) & 1u;
}

/* Number of leading bits equal in x and y, at most limit. */
static unsigned
common_bits(const uint8_t x[16], const uint8_t y[16], unsigned limit)
{
	unsigned i = 0, diff;

	while (i + 8 <= limit && x[i / 8] == y[i / 8])
		i += 8;
	if (i >= limit)
		return limit;
	diff = (unsigned)(x[i / 8] ^ y[i / 8]);
	i += diff == 0 ? 8 : (unsigned)__builtin_clz(diff) - 24;
	return i < limit ? i : limit;
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
node_add(struct trie *t, const uint8_t key[16], unsigned bits, uint32_t value)
{
	struct trie_node *n;

	if (t->n_nodes == t->cap_nodes) {
		t->cap_nodes = t->cap_nodes * 2;
		t->nodes = xreallocarray(t->nodes, t->cap_nodes, sizeof(*t->nodes));
	}
	n = &t->nodes[t->n_nodes];
	memcpy(n->key, key, 16);
	mask_key(n->key, bits);
	n->bits = (uint8_t)bits;
	n->value = value;
	n->child[0] = n->child[1] = TRIE_NO_CHILD;
	if (value != TRIE_NO_VALUE)
		t->n_prefixes++;
	return (uint32_t)t->n_nodes++;
}

/* The node that is exactly the prefix gets a value. */
static uint32_t
node_set(struct trie *t, uint32_t idx, uint32_t value, bool replace)
{
	struct trie_node *n = &t->nodes[idx];

	if (n->value == TRIE_NO_VALUE)
		t->n_prefixes++;
	else if (!replace)
		return n->value;
	n->value = value;
	return value;
}

/* Adds key/bits (bits over the mapped form, 0..128). */
static uint32_t
insert_key(struct trie *t, const uint8_t key[16], unsigned bits, uint32_t value,
    bool replace)
{
	uint32_t cur = 0, next, split, leaf;
	unsigned b, common, nbits;

	for (;;) {
		if (t->nodes[cur].bits == bits)
			return node_set(t, cur, value, replace);
		b = key_bit(key, t->nodes[cur].bits);
		next = t->nodes[cur].child[b];
		if (next == TRIE_NO_CHILD) {
			leaf = node_add(t, key, bits, value);
			t->nodes[cur].child[b] = leaf;
			return value;
		}
		nbits = t->nodes[next].bits;
		common = common_bits(t->nodes[next].key, key,
		    nbits < bits ? nbits : bits);
		if (common == nbits) {
			cur = next;
			continue;
		}
		/* The new prefix and the child part ways at bit `common`. */
		split = node_add(t, key, common,
		    common == bits ? value : TRIE_NO_VALUE);
		t->nodes[split].child[key_bit(t->nodes[next].key, common)] = next;
		t->nodes[cur].child[b] = split;
		if (common < bits) {
			leaf = node_add(t, key, bits, value);
			t->nodes[split].child[key_bit(key, common)] = leaf;
		}
		return value;
	}
}

struct trie *
trie_new(void)
{
	static const uint8_t zero[16];
	struct trie *t = xcalloc(1, sizeof(*t));

	t->cap_nodes = 64;
	t->nodes = xreallocarray(NULL, t->cap_nodes, sizeof(*t->nodes));
	node_add(t, zero, 0, TRIE_NO_VALUE);
	return t;
}

void
trie_free(struct trie *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t);
}

uint32_t
trie_insert(struct trie *t, const struct netprefix *p, uint32_t value,
    bool replace)
{
	unsigned bits = p->addr.family == 4 ? 96u + p->len : p->len;

	return insert_key(t, p->addr.a, bits, value, replace);
}

uint32_t
trie_lookup(const struct trie *t, const struct netaddr *a)
{
	const struct trie_node *n = &t->nodes[0];
	uint32_t best = n->value, next;

	if (!netaddr_is_set(a))
		return TRIE_NO_VALUE;
	while (n->bits < 128) {
		next = n->child[key_bit(a->a, n->bits)];
		if (next == TRIE_NO_CHILD)
			break;
		n = &t->nodes[next];
		if (common_bits(n->key, a->a, n->bits) != n->bits)
			break;
		if (n->value != TRIE_NO_VALUE)
			best = n->value;
	}
	return best;
}

size_t
trie_prefixes(const struct trie *t)
{
	return t->n_prefixes;
}

size_t
trie_bytes(const struct trie *t)
{
	return sizeof(*t) + t->cap_nodes * sizeof(*t->nodes);
}

void
trie_shrink(struct trie *t)
{
	t->nodes = xreallocarray(t->nodes, t->n_nodes, sizeof(*t->nodes));
	t->cap_nodes = t->n_nodes;
}
