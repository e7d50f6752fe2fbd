/*
 * geo_mmdb.h - MaxMind DB files (.mmdb) through libmaxminddb, memory-mapped:
 * the country of an address (Country, City and Enterprise layouts, the free
 * GeoLite2 ones alike) or its autonomous system (ASN and ISP layouts).
 * A file is refused with its path and the library's reason; every value
 * read from one is checked for its type before use.
 */
#ifndef EXFILD_GEO_MMDB_H
#define EXFILD_GEO_MMDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"

/* What a database is opened for; its metadata's database_type must say so. */
enum geo_mmdb_kind {
	GEO_MMDB_COUNTRY, /* "...Country...", "...City...", "...Enterprise..." */
	GEO_MMDB_ASN,     /* "...ASN...", "...ISP..." */
};

/* Is the file a MaxMind DB rather than text? By content: the metadata
 * marker in its last 128 KiB, or bytes no text file has (a NUL, other
 * control characters) in its first 4 KiB. False when it cannot be read. */
bool geo_mmdb_sniff(const char *path);

struct geo_mmdb;
/* NULL with "path: reason" (the library's, or the type's). */
struct geo_mmdb *geo_mmdb_open(const char *path, enum geo_mmdb_kind kind,
    char *err, size_t errlen);
void geo_mmdb_close(struct geo_mmdb *m);
/* country.iso_code, else registered_country.iso_code; COUNTRY_UNKNOWN
 * when neither is two letters. */
country_t geo_mmdb_country(const struct geo_mmdb *m, const struct netaddr *a);
/* autonomous_system_number (0: unknown) and, when org is not NULL,
 * autonomous_system_organization ("" when none), cut to orglen - 1 bytes
 * at a character boundary and at an embedded NUL. */
uint32_t geo_mmdb_asn(const struct geo_mmdb *m, const struct netaddr *a,
    char *org, size_t orglen);

#endif
