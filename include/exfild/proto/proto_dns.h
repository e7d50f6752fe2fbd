/*
 * proto_dns.h - DNS response reader (RFC 1035, 3596): A and AAAA answers,
 * with CNAME chains resolved back to the question name, and name
 * compression followed with loop and bounds checks.
 */
#ifndef EXFILD_PROTO_DNS_H
#define EXFILD_PROTO_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

#define DNS_NAME_MAX 256 /* presentation form, lowercased, no trailing dot */

enum dns_result { DNS_OK, DNS_NOT_RESPONSE, DNS_MALFORMED };

/* Called for each (name, address) learned: the owner name of every A/AAAA
 * record and every name in the CNAME chain that leads to it. */
typedef void (*dns_answer_fn)(void *ctx, const char *name,
    const struct netaddr *addr, uint32_t ttl);

enum dns_result dns_parse_response(const uint8_t *msg, size_t len,
    dns_answer_fn fn, void *ctx);

#endif
