/*
 * geo.h - country and autonomous system of an address. Countries come from
 * geo databases asked in order (the first that knows an address wins):
 * MaxMind DB files (geo_mmdb.h) and CSV files of "CIDR,CC" lines (IPv4 and
 * IPv6; consecutive CSV files are one table where the longest prefix
 * wins), told apart by content. The autonomous system comes from one
 * MaxMind ASN database. Built at start-up (or a reload); lookups allocate
 * nothing.
 */
#ifndef EXFILD_GEO_H
#define EXFILD_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"

struct geo;
struct geo *geo_new(void);
void geo_free(struct geo *g);
/* Adds a database after those loaded: a MaxMind DB, or else a CSV file.
 * -1 with "path: reason" or "file:line: message". */
int geo_load(struct geo *g, const char *path, char *err, size_t errlen);
/* Adds every line of a CSV file (to the CSV file loaded just before, if
 * any: a later file overrides equal prefixes). Blank lines and lines
 * starting with '#' are skipped. -1 with "file:line: message". */
int geo_load_csv(struct geo *g, const char *path, char *err, size_t errlen);
/* The ASN database (GeoLite2-ASN layout). -1 with "path: reason". */
int geo_load_asn(struct geo *g, const char *path, char *err, size_t errlen);
country_t geo_lookup(const struct geo *g, const struct netaddr *a);
/* The address's autonomous system number (0: unknown, or no ASN
 * database) and, when org is not NULL, its organisation ("" when none):
 * text from a file, the outputs' to escape. */
uint32_t geo_asn(const struct geo *g, const struct netaddr *a, char *org,
    size_t orglen);
size_t geo_prefix_count(const struct geo *g);
/* Can any public address be located? False when every CSV line is a
 * private, documentation or other special-purpose range (or there is no
 * database): every destination would then be of unknown country. A
 * MaxMind DB counts as covering public addresses. */
bool geo_locates_public(const struct geo *g);

#endif
