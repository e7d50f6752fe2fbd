/*
 * geo.h - country of an address from CSV databases of "CIDR,CC" lines
 * (IPv4 and IPv6; the longest prefix wins). Built at start-up into a
 * compact binary trie; lookups allocate nothing.
 */
#ifndef EXFILD_GEO_H
#define EXFILD_GEO_H

#include <stddef.h>

#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"

struct geo;
struct geo *geo_new(void);
void geo_free(struct geo *g);
/* Adds every line; later files override equal prefixes. Blank lines and
 * lines starting with '#' are skipped. -1 with "file:line: message". */
int geo_load_csv(struct geo *g, const char *path, char *err, size_t errlen);
country_t geo_lookup(const struct geo *g, const struct netaddr *a);
size_t geo_prefix_count(const struct geo *g);

#endif
