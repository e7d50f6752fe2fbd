/*
 * pktring.c - the last packets of every flow in one circular arena
 * (pktring.h). Positions are absolute byte offsets that only grow; the
 * arena holds the last `size` bytes of them, so a record at pos is good
 * while pos >= head - size. Records never straddle the arena's end (the
 * tail is skipped), and a record read back is checked to lie inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/evidence/pktring.h"

struct rec_head {
	uint64_t prev;            /* the flow's previous record (0: none) */
	uint64_t ts_ns;
	uint32_t caplen;          /* bytes kept (<= PKTRING_SNAP) */
	uint32_t wirelen;
	int32_t linktype;
	uint32_t unused;
};

struct pktring {
	uint8_t *arena;
	uint64_t size;            /* a power of two */
	uint64_t head;            /* where the next record goes (absolute) */
	unsigned lookback;
	struct pktring_stats stats;
};

static uint64_t
arena_size(size_t bytes)
{
	uint64_t s = PKTRING_MIN_BYTES;

	while (s * 2 <= bytes && s * 2 > s)
		s *= 2;
	return s;
}

uint64_t
pktring_bytes(size_t bytes)
{
	return sizeof(struct pktring) + arena_size(bytes);
}

struct pktring *
pktring_new(size_t bytes, unsigned lookback)
{
	struct pktring *r;

	if (bytes < PKTRING_MIN_BYTES || lookback == 0 ||
	    lookback > PKTRING_LOOKBACK_MAX)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->size = arena_size(bytes);
	if ((r->arena = malloc(r->size)) == NULL) {
		free(r);
		return NULL;
	}
	/* positions start past one arena, so 0 is never one and nothing
	 * before the first record looks written */
	r->head = r->size;
	r->lookback = lookback;
	return r;
}

void
pktring_free(struct pktring *r)
{
	if (r == NULL)
		return;
	free(r->arena);
	free(r);
}

static uint64_t
record_len(uint32_t caplen)
{
	return sizeof(struct rec_head) + (((uint64_t)caplen + 7) & ~(uint64_t)7);
}

void
pktring_put(struct pktring *r, uint64_t *last, const struct pktring_frame *fr)
{
	struct rec_head h;
	uint32_t keep = fr->caplen < PKTRING_SNAP ? fr->caplen : PKTRING_SNAP;
	uint64_t need = record_len(keep), phys = r->head & (r->size - 1);

	if (phys + need > r->size) { /* no straddling: skip the tail */
		r->head += r->size - phys;
		phys = 0;
		r->stats.wraps++;
	}
	h.prev = *last;
	h.ts_ns = fr->ts_ns;
	h.caplen = keep;
	h.wirelen = fr->wirelen;
	h.linktype = fr->linktype;
	h.unused = 0;
	memcpy(r->arena + phys, &h, sizeof(h));
	memcpy(r->arena + phys + sizeof(h), fr->data, keep);
	*last = r->head;
	r->head += need;
	r->stats.records++;
	r->stats.bytes += need;
}

/* The record at pos when it is still in the arena, whole. */
static bool
record_at(const struct pktring *r, uint64_t pos, struct rec_head *h)
{
	uint64_t phys;

	if (pos < r->size || pos >= r->head || r->head - pos > r->size)
		return false;
	phys = pos & (r->size - 1);
	if (phys + sizeof(*h) > r->size)
		return false;
	memcpy(h, r->arena + phys, sizeof(*h));
	return h->caplen <= PKTRING_SNAP && h->prev < pos &&
	    phys + record_len(h->caplen) <= r->size;
}

size_t
pktring_walk(const struct pktring *r, uint64_t last, pktring_fn fn, void *ctx)
{
	uint64_t pos[PKTRING_LOOKBACK_MAX];
	struct pktring_frame fr;
	struct rec_head h;
	size_t n = 0, i;

	while (n < r->lookback && record_at(r, last, &h)) {
		pos[n++] = last;
		last = h.prev;
	}
	for (i = n; i-- > 0;) {
		(void)record_at(r, pos[i], &h);
		fr.ts_ns = h.ts_ns;
		fr.linktype = h.linktype;
		fr.caplen = h.caplen;
		fr.wirelen = h.wirelen;
		fr.data = r->arena + (pos[i] & (r->size - 1)) + sizeof(h);
		fn(ctx, &fr);
	}
	return n;
}

void
pktring_get_stats(const struct pktring *r, struct pktring_stats *out)
{
	*out = r->stats;
}
