/*
 * trie.h - longest-prefix match over IPv4 and IPv6 prefixes: a
 * path-compressed binary trie over the 128-bit IPv4-mapped form (an IPv4
 * /8 is a /104 there), each prefix holding a non-zero 32-bit value (a
 * country for geo.c, an entry for the indicator lists). Built while
 * loading (the node array grows); a look-up walks at most 128 levels and
 * allocates nothing. 32 bytes a node, about two nodes a prefix.
 */
#ifndef EXFILD_UTIL_TRIE_H
#define EXFILD_UTIL_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

struct trie;
struct trie *trie_new(void);
void trie_free(struct trie *t);
/*
 * Adds the prefix with value (not 0). When the prefix is there already,
 * replace says whether value takes its place. Returns the value the
 * prefix holds afterwards.
 */
uint32_t trie_insert(struct trie *t, const struct netprefix *p, uint32_t value,
    bool replace);
/* The value of the longest prefix that holds a; 0 when none does. */
uint32_t trie_lookup(const struct trie *t, const struct netaddr *a);
size_t trie_prefixes(const struct trie *t);
/* Memory held (the node array as allocated). */
size_t trie_bytes(const struct trie *t);
/* Gives back the array's unused room (after a load). */
void trie_shrink(struct trie *t);

#endif
