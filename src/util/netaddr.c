/*
 * netaddr.c - IPv4/IPv6 addresses (IPv4 held IPv4-mapped) and prefixes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

bool
netaddr_is_set(const struct netaddr *a)
{
	return a->family == 4 || a->family == 6;
}

int
netaddr_parse_n(const char *s, size_t n, struct netaddr *out)
{
	char buf[NETADDR_STRLEN];
	uint8_t raw[16];

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, raw) == 1) {
		netaddr_from_v4(out, raw);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, raw) == 1) {
		netaddr_from_v6(out, raw);
		return 0;
	}
	return -1;
}

bool
netaddr_is_loopback(const struct netaddr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (a->family == 4)
		return a->a[12] == 127;
	return a->family == 6 && memcmp(a->a, v6_loopback, 16) == 0;
}

int
netaddr_parse(const char *s, struct netaddr *out)
{
	return netaddr_parse_n(s, strlen(s), out);
}

void
netaddr_format(const struct netaddr *a, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (a->family == 4)
		inet_ntop(AF_INET, a->a + 12, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
}

int
netaddr_cmp(const struct netaddr *x, const struct netaddr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}


/* Bits of a prefix length counted over the 128-bit mapped form. */
static unsigned
mapped_bits(const struct netprefix *p)
{
	return p->addr.family == 4 ? 96u + p->len : p->len;
}

static void
mask_addr(struct netaddr *a, unsigned bits)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		a->a[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

int
netprefix_parse(const char *s, struct netprefix *out)
{
	const char *slash = strchr(s, '/');
	unsigned long len;
	char *end;

	if (netaddr_parse_n(s, slash != NULL ? (size_t)(slash - s) : strlen(s),
	    &out->addr) != 0)
		return -1;
	if (slash == NULL) {
		out->len = out->addr.family == 4 ? 32 : 128;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > (out->addr.family == 4 ? 32u : 128u))
		return -1;
	out->len = (uint8_t)len;
	mask_addr(&out->addr, mapped_bits(out));
	return 0;
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static uint64_t
high_mask(unsigned bits)
{
	return bits == 0 ? 0 : bits >= 64 ? UINT64_MAX : ~(UINT64_MAX >> bits);
}

/* Two 64-bit masked compares: this runs twice per packet. */
bool
netprefix_contains(const struct netprefix *p, const struct netaddr *a)
{
	unsigned bits = mapped_bits(p);
	uint64_t m0 = high_mask(bits), m1 = high_mask(bits > 64 ? bits - 64 : 0);

	if (p->addr.family != a->family)
		return false;
	return ((load_be64(p->addr.a) ^ load_be64(a->a)) & m0) == 0 &&
	    ((load_be64(p->addr.a + 8) ^ load_be64(a->a + 8)) & m1) == 0;
}

bool
netset_contains(const struct netset *s, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (netprefix_contains(&s->v[i], a))
			return true;
	return false;
}

void
netset_add(struct netset *s, const struct netprefix *p)
{
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *p;
}

void
netset_free(struct netset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
