/*
 * fuzz_tls.c - libFuzzer target for the ClientHello reader. The first 4
 * input bytes seed the cutting of the rest into segments of random sizes;
 * the answer (and server name) must not depend on the cutting, the name
 * must be lowercase and NUL-terminated, and an answer must stick.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/proto/proto_tls.h"

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
check_name(const char sni[TLS_SNI_MAX])
{
	size_t i, n;
	const char *end = memchr(sni, '\0', TLS_SNI_MAX);

	if (end == NULL || end == sni)
		abort();
	n = (size_t)(end - sni);
	for (i = 0; i < n; i++)
		if (sni[i] >= 'A' && sni[i] <= 'Z')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_parser p;
	char sni_seg[TLS_SNI_MAX], sni_whole[TLS_SNI_MAX];
	enum tls_result seg = TLS_NEED_MORE, whole, again;
	uint32_t seed = 0x2545f491u, r;
	size_t off = 0, n;

	if (size >= 4) {
		seed ^= (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
		    (uint32_t)data[2] << 8 | data[3];
		data += 4;
		size -= 4;
	}
	if (seed == 0)
		seed = 1;
	(void)tls_looks_like_record(data, size);
	memset(sni_seg, 0x55, sizeof(sni_seg));
	tls_parser_init(&p);
	while (off < size && seg == TLS_NEED_MORE) {
		r = next_rand(&seed);
		n = (r & 7) == 0 ? 1 + (r >> 8) % 4096 : 1 + (r >> 8) % 32;
		if (n > size - off)
			n = size - off;
		seg = tls_parser_feed(&p, data + off, n, sni_seg);
		off += n;
	}
	if (seg == TLS_SNI_FOUND)
		check_name(sni_seg);
	again = tls_parser_feed(&p, data, size, sni_seg);
	if (seg != TLS_NEED_MORE && again != seg)
		abort();

	memset(sni_whole, 0x55, sizeof(sni_whole));
	tls_parser_init(&p);
	whole = tls_parser_feed(&p, data, size, sni_whole);
	if (whole != seg)
		abort();
	if (whole == TLS_SNI_FOUND && strcmp(sni_seg, sni_whole) != 0)
		abort();
	return 0;
}
