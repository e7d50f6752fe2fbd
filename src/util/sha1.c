/*
 * sha1.c - SHA-1 as FIPS 180-4 gives it (5.1.1 padding, 6.1.2 the
 * computation), for the Community ID hash; tested with the FIPS 180
 * examples in tests/unit/test_sha1.c.
 */
#include <string.h>

#include "exfild/util/sha1.h"
#include "exfild/util/util.h"

static uint32_t
rotl(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static void
compress(void *state, const uint8_t block[64])
{
	uint32_t *h = state;
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = md_be32(block + 4 * i);
	for (i = 16; i < 80; i++)
		w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rotl(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rotl(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
sha1_init(struct sha1 *s)
{
	static const uint32_t h0[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->m.bytes = 0;
	s->m.used = 0;
}

void
sha1_update(struct sha1 *s, const void *data, size_t len)
{
	md_update(&s->m, data, len, compress, s->h);
}

void
sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN])
{
	int i;

	md_pad(&s->m, compress, s->h);
	for (i = 0; i < 20; i++)
		digest[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}
