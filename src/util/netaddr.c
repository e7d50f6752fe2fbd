/*
 * netaddr.c - IPv4/IPv6 addresses (IPv4 held IPv4-mapped) and prefixes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

bool
netaddr_is_set(const struct netaddr *a)
{
	return a->family == 4 || a->family == 6;
}

/* Could it be an address literal at all? inet_pton reads decimal digits
 * and dots (AF_INET), hex digits, colons and dots (AF_INET6): a host name
 * with any other letter is turned away without copying it. */
static bool
literal_chars_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
			return false;
	return true;
}

int
netaddr_parse_n(const char *s, size_t n, struct netaddr *out)
{
	char buf[NETADDR_STRLEN];
	uint8_t raw[16];

	if (n == 0 || n >= sizeof(buf) || !literal_chars_only(s, n))
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

bool
netaddr_is_never_destination(const struct netaddr *a)
{
	static const uint8_t zero[16];
	const uint8_t *v4 = a->a + 12;

	if (a->family == 4)
		return (v4[0] & 0xf0) == 224 || /* multicast 224.0.0.0/4 */
		    (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255) ||
		    (v4[0] == 169 && v4[1] == 254) ||
		    (v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] == 0);
	if (a->family != 6)
		return false;
	return a->a[0] == 0xff || (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80) ||
	    memcmp(a->a, zero, sizeof(zero)) == 0;
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


void
netaddr_to_sockaddr(const struct netaddr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(ss, 0, sizeof(*ss));
	if (a->family == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		memcpy(&sin.sin_addr, a->a + 12, 4);
		memcpy(ss, &sin, sizeof(sin));
		*sslen = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		memcpy(&sin6.sin6_addr, a->a, 16);
		memcpy(ss, &sin6, sizeof(sin6));
		*sslen = sizeof(sin6);
	}
}

/* ---- host[:port] ---- */

/* The whole of c is a port: 1-5 digits, 1..65535 (0 too when zero_ok). */
static enum netaddr_hp_err
hp_port(struct cursor c, bool zero_ok, uint16_t *port)
{
	uint32_t v = 0;
	uint8_t d;

	if (cur_left(&c) == 0)
		return NETADDR_HP_EMPTY_PORT;
	if (cur_left(&c) > 5)
		return NETADDR_HP_BAD_PORT;
	while (cur_left(&c) > 0) {
		d = (uint8_t)(cur_u8(&c) - '0');
		if (d > 9)
			return NETADDR_HP_BAD_PORT;
		v = v * 10 + d;
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return NETADDR_HP_BAD_PORT;
	*port = (uint16_t)v;
	return NETADDR_HP_OK;
}

/*
 * Splits c into its host and, after a ':', its port (*has_port): "[v6]"
 * with what may follow it, else up to the one ':' there may be.
 */
static enum netaddr_hp_err
hp_split(struct cursor *c, struct cursor *host, bool *bracketed,
    bool *has_port)
{
	if (cur_left(c) == 0)
		return NETADDR_HP_EMPTY;
	*bracketed = cur_eat(c, '[');
	if (*bracketed) {
		if (cur_find(c, ']') == cur_left(c))
			return NETADDR_HP_NO_BRACKET;
		*host = cur_until(c, ']');
		cur_skip(c, 1);
		if (cur_left(c) == 0)
			return NETADDR_HP_OK;
		if (!cur_eat(c, ':'))
			return NETADDR_HP_AFTER_BRACKET;
		*has_port = true;
		return NETADDR_HP_OK;
	}
	*host = cur_until(c, ':');
	*has_port = cur_eat(c, ':');
	if (cur_find(c, ':') != cur_left(c))
		return NETADDR_HP_NEED_BRACKETS;
	return NETADDR_HP_OK;
}

/* The host: an IPv6 address in brackets, else an IPv4 one or a name. */
static enum netaddr_hp_err
hp_host(struct cursor host, bool bracketed, unsigned flags,
    struct netaddr_hostport *out)
{
	size_t n = cur_left(&host);
	const char *s = (const char *)cur_rest(&host);

	out->addr.family = 0;
	if (bracketed)
		return netaddr_parse_n(s, n, &out->addr) == 0 &&
		    out->addr.family == 6 ? NETADDR_HP_OK : NETADDR_HP_BAD_V6;
	if (n == 0)
		return NETADDR_HP_NO_HOST;
	if (netaddr_parse_n(s, n, &out->addr) != 0) {
		out->addr.family = 0;
		if (!(flags & NETADDR_HP_NAME))
			return NETADDR_HP_BAD_HOST;
	}
	return NETADDR_HP_OK;
}

/* The host as a C string: it must fit and hold no NUL. */
static enum netaddr_hp_err
hp_host_text(struct cursor host, char *buf, size_t buflen)
{
	size_t n = cur_left(&host);

	if (n >= buflen || (n > 0 && cur_find(&host, '\0') != n))
		return NETADDR_HP_BAD_HOST;
	if (n > 0)
		memcpy(buf, cur_rest(&host), n);
	buf[n] = '\0';
	return NETADDR_HP_OK;
}

enum netaddr_hp_err
netaddr_hostport_parse(const char *s, size_t n, unsigned flags,
    struct netaddr_hostport *out)
{
	struct cursor c, host;
	enum netaddr_hp_err e;
	bool bracketed = false, has_port = false;

	cur_init(&c, (const uint8_t *)s, n);
	if ((e = hp_split(&c, &host, &bracketed, &has_port)) != NETADDR_HP_OK)
		return e;
	out->port = 0;
	out->has_port = has_port;
	if (!has_port && (flags & NETADDR_HP_PORT))
		return NETADDR_HP_NO_PORT;
	if (has_port && (e = hp_port(c, (flags & NETADDR_HP_PORT_ZERO) != 0,
	    &out->port)) != NETADDR_HP_OK)
		return e;
	if ((e = hp_host(host, bracketed, flags, out)) != NETADDR_HP_OK)
		return e;
	return hp_host_text(host, out->host, sizeof(out->host));
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
