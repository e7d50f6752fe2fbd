/*
 * netaddr.h - IPv4/IPv6 addresses and CIDR prefixes. IPv4 is stored as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) so that both families compare,
 * hash and match with the same code.
 */
#ifndef EXFILD_NETADDR_H
#define EXFILD_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct netaddr {
	uint8_t a[16];
	uint8_t family; /* 0 = none, 4, 6 */
};

struct netprefix {
	struct netaddr addr; /* masked */
	uint8_t len;         /* bits, 0..32 for IPv4, 0..128 for IPv6 */
};

struct netset {
	struct netprefix *v;
	size_t n;
};

/* Inline: the decoder makes two addresses per packet. */
static inline void
netaddr_from_v4(struct netaddr *out, const uint8_t v4[4])
{
	static const uint8_t v4_mapped_prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};

	__builtin_memcpy(out->a, v4_mapped_prefix, 12);
	__builtin_memcpy(out->a + 12, v4, 4);
	out->family = 4;
}

static inline void
netaddr_from_v6(struct netaddr *out, const uint8_t v6[16])
{
	__builtin_memcpy(out->a, v6, 16);
	out->family = 6;
}
bool netaddr_is_set(const struct netaddr *a);
bool netaddr_is_loopback(const struct netaddr *a); /* 127.0.0.0/8, ::1 */
int netaddr_parse(const char *s, struct netaddr *out);     /* 0 / -1 */
int netaddr_parse_n(const char *s, size_t n, struct netaddr *out);
void netaddr_format(const struct netaddr *a, char *buf, size_t len);
int netaddr_cmp(const struct netaddr *x, const struct netaddr *y);

/* Inline: the flow table compares addresses on every packet. */
static inline bool
netaddr_eq(const struct netaddr *x, const struct netaddr *y)
{
	uint64_t a[2], b[2];

	if (x->family != y->family)
		return false;
	__builtin_memcpy(a, x->a, 16);
	__builtin_memcpy(b, y->a, 16);
	return a[0] == b[0] && a[1] == b[1];
}

/* "10.0.0.0/8", "fc00::/7", a bare address is a /32 or /128. 0 / -1. */
int netprefix_parse(const char *s, struct netprefix *out);
bool netprefix_contains(const struct netprefix *p, const struct netaddr *a);

bool netset_contains(const struct netset *s, const struct netaddr *a);
/* Appends (reallocates; config paths only). */
void netset_add(struct netset *s, const struct netprefix *p);
void netset_free(struct netset *s);

#endif
