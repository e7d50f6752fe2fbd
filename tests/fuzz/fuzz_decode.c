/*
 * fuzz_decode.c - libFuzzer target for decode_frame. The first byte picks
 * the link type (low 4 bits) and how the wire length relates to the
 * captured length (high bits); the rest is the frame. Checks the decoder's
 * promises on every accepted frame.
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -D_GNU_SOURCE \
 *       src/decode.c src/netaddr.c src/util.c src/log.c tests/fuzz/fuzz_decode.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_links[16] = {
	1, 1, 1, 1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 0, 105, 1,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_stats st;
	struct packet p;
	uint32_t caplen, wirelen;
	uint8_t *frame;
	int r;

	if (size < 1 || size > 1 << 20)
		return 0;
	caplen = (uint32_t)(size - 1);
	switch (data[0] >> 4 & 3) {
	case 0:
		wirelen = caplen;
		break;
	case 1: /* cut by the snap length */
		wirelen = caplen + 1500;
		break;
	case 2: /* a huge super-packet */
		wirelen = caplen + 100000;
		break;
	default: /* a broken record claiming less on the wire */
		wirelen = caplen / 2;
		break;
	}
	/* An exact-size copy: any over-read is an ASan report. */
	frame = malloc(caplen > 0 ? caplen : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, caplen);
	memset(&st, 0, sizeof(st));
	r = decode_frame(fuzz_links[data[0] & 15], frame, caplen, wirelen, 0,
	    &p, &st);
	if (st.frames != 1 || (r == DECODE_MALFORMED) != (st.malformed == 1))
		abort();
	if (r == DECODE_OK) {
		if (p.payload_len > p.l4_payload_wire ||
		    p.ip_bytes > wirelen || p.l4_payload_wire > p.ip_bytes)
			abort();
		if (p.payload_len > 0 && (p.payload < frame ||
		    p.payload + p.payload_len > frame + caplen))
			abort();
		if (p.ip_version != 4 && p.ip_version != 6)
			abort();
	}
	free(frame);
	return 0;
}
