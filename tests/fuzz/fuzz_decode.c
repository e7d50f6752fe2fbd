/*
 * fuzz_decode.c - libFuzzer target for decode_frame. The first byte picks
 * the link type (low 4 bits) and how the wire length relates to the
 * captured length (high bits); the rest is the frame. Checks the decoder's
 * promises on every accepted frame, and that it sets every field: the frame
 * is decoded twice, into packets filled with different garbage.
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -D_GNU_SOURCE \
 *       src/decode/decode.c src/util/netaddr.c src/util/util.c src/util/log.c tests/fuzz/fuzz_decode.c
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SAME(f) (a->f == b->f)

static bool
same_packet(const struct packet *a, const struct packet *b)
{
	return SAME(ts_ns) && memcmp(&a->src, &b->src, sizeof(a->src)) == 0 &&
	    memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0 &&
	    SAME(ip_version) && SAME(proto) && SAME(is_fragment) &&
	    SAME(frag_first) && SAME(frag_id) && SAME(has_l4) &&
	    SAME(sport) && SAME(dport) && SAME(tcp_flags) && SAME(tcp_seq) &&
	    SAME(tcp_ack) && SAME(ip_bytes) && SAME(l4_payload_wire) &&
	    SAME(payload) && SAME(payload_len);
}

static const int fuzz_links[16] = {
	1, 1, 1, 1, 113, 276, 12, 14, 101, 228, 229, 0, 108, 0, 105, 1,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_stats st, st2;
	struct packet p, p2;
	uint32_t caplen, wirelen;
	uint8_t *frame;
	int r, link;

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
	memset(&st2, 0, sizeof(st2));
	memset(&p, 0x00, sizeof(p));
	memset(&p2, 0xff, sizeof(p2));
	link = fuzz_links[data[0] & 15];
	r = decode_frame(link, frame, caplen, wirelen, 0, &p, &st);
	if (st.frames != 1 || (r == DECODE_MALFORMED) != (st.malformed == 1))
		abort();
	if (decode_frame(link, frame, caplen, wirelen, 0, &p2, &st2) != r ||
	    memcmp(&st, &st2, sizeof(st)) != 0)
		abort();
	if (r == DECODE_OK && !same_packet(&p, &p2))
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
		if (!p.is_fragment && (p.frag_first || p.frag_id != 0))
			abort();
	}
	free(frame);
	return 0;
}
