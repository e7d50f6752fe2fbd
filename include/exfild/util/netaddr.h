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
#include <sys/socket.h>

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
/* Never a destination of an upload: multicast (224.0.0.0/4, ff00::/8),
 * the limited broadcast 255.255.255.255, link-local (169.254.0.0/16,
 * fe80::/10) and unspecified (0.0.0.0, ::). False for an unset address. */
bool netaddr_is_never_destination(const struct netaddr *a);
int netaddr_parse(const char *s, struct netaddr *out);     /* 0 / -1 */
int netaddr_parse_n(const char *s, size_t n, struct netaddr *out);
void netaddr_format(const struct netaddr *a, char *buf, size_t len);
int netaddr_cmp(const struct netaddr *x, const struct netaddr *y);
/* a (family 4 or 6) and port as a sockaddr_in or sockaddr_in6. */
void netaddr_to_sockaddr(const struct netaddr *a, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *sslen);

/*
 * host[:port] as config and listeners write it: "192.0.2.1",
 * "192.0.2.1:514", "[2001:db8::1]", "[::1]:514", and with NETADDR_HP_NAME
 * "host.example[:port]". An IPv6 address is always in brackets; a port is
 * 1-5 digits, 1..65535. Callers add their own policy (loopback only, say)
 * as a check on the result.
 */
#define NETADDR_HP_NAME      0x01 /* the host may be a name (not checked) */
#define NETADDR_HP_PORT      0x02 /* a port must be given */
#define NETADDR_HP_PORT_ZERO 0x04 /* port 0 (any free port) is allowed */

#define NETADDR_HOST_MAX 256      /* host text, its NUL included */

struct netaddr_hostport {
	char host[NETADDR_HOST_MAX]; /* as written, without brackets */
	struct netaddr addr;         /* family 0 when the host is a name */
	uint16_t port;               /* 0 when none was given */
	bool has_port;
};

/* Why a host[:port] was refused, in the order the checks run. */
enum netaddr_hp_err {
	NETADDR_HP_OK,
	NETADDR_HP_EMPTY,         /* no text at all */
	NETADDR_HP_NO_BRACKET,    /* "[" without "]" */
	NETADDR_HP_AFTER_BRACKET, /* "]" followed by other than ":" */
	NETADDR_HP_NEED_BRACKETS, /* a second ':' outside brackets */
	NETADDR_HP_NO_PORT,       /* none, and NETADDR_HP_PORT was asked */
	NETADDR_HP_EMPTY_PORT,    /* nothing after the ':' */
	NETADDR_HP_BAD_PORT,      /* not a port number */
	NETADDR_HP_BAD_V6,        /* between brackets: not an IPv6 address */
	NETADDR_HP_NO_HOST,       /* nothing before the ':' */
	NETADDR_HP_BAD_HOST,      /* not an address (nor a name if allowed) */
};

/* The n bytes at s (NULL: none); out is only valid on NETADDR_HP_OK. */
enum netaddr_hp_err netaddr_hostport_parse(const char *s, size_t n,
    unsigned flags, struct netaddr_hostport *out);

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
