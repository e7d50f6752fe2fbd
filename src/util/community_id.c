/*
 * community_id.c - Community ID v1 (github.com/corelight/community-id-spec):
 * the endpoints ordered, hashed with SHA-1 (sha1.c) and base64-encoded
 * (RFC 4648 4, with padding). ICMP's type/code mapping is not needed here:
 * exfild's flows are TCP and UDP.
 */
#include <netinet/in.h>
#include <string.h>

#include "exfild/util/community_id.h"
#include "exfild/util/sha1.h"

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == 132;
}

/* RFC 4648 4: 3 bytes to 4 characters, '=' padding. */
static size_t
base64(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	return o;
}

int
community_id(uint16_t seed, const struct netaddr *saddr,
    const struct netaddr *daddr, uint8_t proto, uint16_t sport,
    uint16_t dport, char out[COMMUNITY_ID_LEN])
{
	const struct netaddr *lo = saddr, *hi = daddr;
	uint16_t lo_port = sport, hi_port = dport;
	size_t off, alen;
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[SHA1_DIGEST_LEN];
	struct sha1 s;
	size_t n = 0, o;
	int c;

	out[0] = '\0';
	if (saddr->family != daddr->family ||
	    (saddr->family != 4 && saddr->family != 6))
		return -1;
	off = saddr->family == 4 ? 12 : 0;
	alen = 16 - off;
	/* the smaller endpoint first: by address, then (when equal) by port */
	c = memcmp(saddr->a + off, daddr->a + off, alen);
	if (!(c < 0 || (c == 0 && sport < dport))) {
		lo = daddr;
		hi = saddr;
		lo_port = dport;
		hi_port = sport;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, lo->a + off, alen);
	n += alen;
	memcpy(buf + n, hi->a + off, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports(proto)) {
		buf[n++] = (uint8_t)(lo_port >> 8);
		buf[n++] = (uint8_t)lo_port;
		buf[n++] = (uint8_t)(hi_port >> 8);
		buf[n++] = (uint8_t)hi_port;
	}
	sha1_init(&s);
	sha1_update(&s, buf, n);
	sha1_final(&s, digest);
	out[0] = '1';
	out[1] = ':';
	o = 2 + base64(digest, sizeof(digest), out + 2);
	out[o] = '\0';
	return 0;
}
