/*
 * names.h - host name to address cache, filled from DNS answers seen on the
 * wire and from a hosts-format file. Fixed capacity; the least recently
 * used entry is evicted when full. A DNS answer overrides the hosts file.
 * Beside it, the labels: the name by which a client last reached an
 * address (a DNS answer to it, or its own TLS SNI or HTTP Host on a direct
 * connection), which names direct destinations in alerts and reports.
 */
#ifndef EXFILD_NAMES_H
#define EXFILD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

enum name_source { NAME_FROM_HOSTS = 1, NAME_FROM_DNS = 2, NAME_FROM_LOOKUP = 3 };

struct names_stats {
	uint64_t inserts, updates, evictions, hits, misses;
};

struct names;
struct names *names_new(size_t capacity, const struct hash_key *key);
/* The bytes names_new allocates for capacity names (pipeline/limits.h). */
uint64_t names_bytes(size_t capacity);
void names_free(struct names *n);
/* name: any case, trailing dot allowed; stored lowercased. */
void names_put(struct names *n, const char *name, const struct netaddr *addr,
    enum name_source src, uint64_t ts_ns);
bool names_get(struct names *n, const char *name, struct netaddr *out);
/* "addr name [aliases...]" lines, '#' comments. -1 with "file:line: msg". */
int names_load_hosts(struct names *n, const char *path, char *err, size_t errlen);
void names_get_stats(const struct names *n, struct names_stats *out);
/* Each name, least recently put first (the state file: track/state.h). */
typedef void (*names_visit_fn)(void *ctx, const char *name,
    const struct netaddr *addr, enum name_source src, uint64_t ts_ns);
void names_foreach(const struct names *n, names_visit_fn fn, void *ctx);
/* The name a client reached an address by, most recent first (a DNS answer
 * to that client, its TLS SNI or HTTP Host), with whether it came from
 * DNS: only such a name may make the address familiar (the baseline's
 * name keys); a TLS SNI or a Host is whatever the client wrote, so it only
 * names the destination for people. An SNI or Host equal to the DNS name
 * keeps it "from DNS". Same capacity as the names, least recently used
 * evicted. */
void names_label_put(struct names *n, const struct netaddr *client,
    const struct netaddr *addr, const char *name, bool from_dns);
/* The label, lowercased, into out (NUL-terminated), and whether it came
 * from DNS (from_dns may be NULL); false when none. */
bool names_label_get(struct names *n, const struct netaddr *client,
    const struct netaddr *addr, char *out, size_t outlen, bool *from_dns);
/* Each label, least recently put first (the state file). */
typedef void (*names_label_visit_fn)(void *ctx, const struct netaddr *client,
    const struct netaddr *addr, const char *name, bool from_dns);
void names_label_foreach(const struct names *n, names_label_visit_fn fn,
    void *ctx);
/* Changes whenever a name is added or its address changes: a look-up that
 * failed need not be tried again until it does. */
uint64_t names_changes(const struct names *n);

#endif
