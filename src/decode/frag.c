/*
 * frag.c - the first-fragment table (see frag.h): slots keyed by a hash of
 * the addresses and the fragment id.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/decode/frag.h"

struct frag_slot {
	struct netaddr src, dst;
	uint32_t id;
	uint16_t sport, dport;
	uint8_t proto;
	uint64_t ts_ns; /* 0: empty */
};

struct fragtab {
	struct hash_key key;
	struct frag_slot slots[FRAG_SLOTS];
};

struct fragtab *
fragtab_new(const struct hash_key *key)
{
	struct fragtab *t = xcalloc(1, sizeof(*t));

	t->key = *key;
	return t;
}

void
fragtab_free(struct fragtab *t)
{
	free(t);
}

static size_t
slot_of(const struct fragtab *t, const struct packet *pkt)
{
	uint64_t w[3];

	memcpy(&w[0], pkt->src.a + 8, 8);
	memcpy(&w[1], pkt->dst.a + 8, 8);
	/* not the protocol: an IPv6 first fragment may carry extension
	 * headers after the Fragment header that its later fragments lack */
	w[2] = pkt->frag_id;
	return hash_words(&t->key, w, 3) & (FRAG_SLOTS - 1);
}

void
frag_remember(struct fragtab *t, const struct packet *pkt)
{
	struct frag_slot *fs = &t->slots[slot_of(t, pkt)];

	fs->src = pkt->src;
	fs->dst = pkt->dst;
	fs->id = pkt->frag_id;
	fs->proto = pkt->proto;
	fs->sport = pkt->sport;
	fs->dport = pkt->dport;
	fs->ts_ns = pkt->ts_ns == 0 ? 1 : pkt->ts_ns;
}

bool
frag_lookup(const struct fragtab *t, const struct packet *pkt, uint8_t *proto,
    uint16_t *sport, uint16_t *dport)
{
	const struct frag_slot *fs = &t->slots[slot_of(t, pkt)];

	if (fs->ts_ns == 0 || fs->id != pkt->frag_id ||
	    !netaddr_eq(&fs->src, &pkt->src) || !netaddr_eq(&fs->dst, &pkt->dst) ||
	    pkt->ts_ns - fs->ts_ns > FRAG_TIMEOUT_NS)
		return false;
	*proto = fs->proto;
	*sport = fs->sport;
	*dport = fs->dport;
	return true;
}
