/*
 * evpcap.c - the pcaps of the pairs under evidence (evpcap.h): a small
 * array of open files looked up by pair slot and generation (walked only
 * for packets of pairs under evidence), fed from the flows' rings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exfild/evidence/evpcap.h"
#include "exfild/evidence/pcap_write.h"
#include "exfild/util/log.h"

#define EVPCAP_FILE "packets.pcap"

struct evpcap_entry {
	bool used;
	bool refused;             /* a charge refused: no more frames (cut) */
	uint32_t pair_id, pair_gen;
	uint32_t serial;          /* flows' sent_serial for this file */
	uint64_t until_ns;
	uint64_t opened;          /* order opened: the oldest goes first */
	uint64_t missing;         /* its flows' packets the rings lacked */
	struct pcap_writer w;
};

struct evpcap {
	struct pktring *ring;
	struct evpcap_entry *v;
	size_t cap;
	uint64_t max_bytes;
	uint32_t next_serial;
	uint64_t opened;
	struct evpcap_sink sink;
	struct evpcap_stats stats;
};

uint64_t
evpcap_bytes(size_t ring_bytes, size_t capacity)
{
	return sizeof(struct evpcap) + pktring_bytes(ring_bytes) +
	    (uint64_t)capacity * sizeof(struct evpcap_entry);
}

struct evpcap *
evpcap_new(size_t ring_bytes, unsigned lookback, size_t capacity,
    uint64_t max_bytes)
{
	struct evpcap *e;

	if (capacity == 0 || (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->ring = pktring_new(ring_bytes, lookback);
	e->v = calloc(capacity, sizeof(*e->v));
	if (e->ring == NULL || e->v == NULL) {
		evpcap_free(e);
		return NULL;
	}
	e->cap = capacity;
	e->max_bytes = max_bytes;
	return e;
}

void
evpcap_set_sink(struct evpcap *e, const struct evpcap_sink *sink)
{
	e->sink = *sink;
}

static void
entry_close(struct evpcap *e, struct evpcap_entry *en)
{
	if (!pcap_writer_close(&en->w))
		e->stats.errors++;
	if (en->w.frames == 0) {
		/* no packet came (an alert raised after its flows had gone):
		 * no file rather than an empty one */
		(void)unlink(en->w.path);
		e->stats.empty++;
	} else if (e->sink.closed != NULL)
		e->sink.closed(e->sink.ctx, en->w.path, en->w.frames, en->w.bytes,
		    en->missing);
	en->used = false;
}

void
evpcap_free(struct evpcap *e)
{
	if (e == NULL)
		return;
	if (e->v != NULL)
		evpcap_tick(e, UINT64_MAX);
	pktring_free(e->ring);
	free(e->v);
	free(e);
}

static struct evpcap_entry *
entry_find(struct evpcap *e, uint32_t pair_id, uint32_t pair_gen)
{
	size_t i;

	for (i = 0; i < e->cap; i++)
		if (e->v[i].used && e->v[i].pair_id == pair_id &&
		    e->v[i].pair_gen == pair_gen)
			return &e->v[i];
	return NULL;
}

/* A free entry; the oldest open one closed when none is. */
static struct evpcap_entry *
entry_take(struct evpcap *e)
{
	struct evpcap_entry *oldest = NULL;
	size_t i;

	for (i = 0; i < e->cap; i++) {
		if (!e->v[i].used)
			return &e->v[i];
		if (oldest == NULL || e->v[i].opened < oldest->opened)
			oldest = &e->v[i];
	}
	log_warnx("evidence: %u pcaps open; closing %s early",
	    (unsigned)e->cap, oldest->w.path);
	entry_close(e, oldest);
	e->stats.closed_full++;
	return oldest;
}

bool
evpcap_open(struct evpcap *e, uint32_t pair_id, uint32_t pair_gen,
    const char *dir, uint64_t until_ns)
{
	struct evpcap_entry *en = entry_find(e, pair_id, pair_gen);
	char path[sizeof(en->w.path)];

	if (en != NULL) {
		if (until_ns > en->until_ns)
			en->until_ns = until_ns;
		return true;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, EVPCAP_FILE) >=
	    sizeof(path)) {
		log_warnx("evidence: %s: path too long", dir);
		e->stats.errors++;
		return false;
	}
	en = entry_take(e);
	if (!pcap_writer_open(&en->w, path)) {
		e->stats.errors++;
		return false;
	}
	en->used = true;
	en->refused = false;
	en->pair_id = pair_id;
	en->pair_gen = pair_gen;
	en->until_ns = until_ns;
	en->opened = ++e->opened;
	en->missing = 0;
	if (++e->next_serial == 0) /* 0 is "none" */
		e->next_serial = 1;
	en->serial = e->next_serial;
	e->stats.files++;
	return true;
}

/* A frame into the entry's file, within max_bytes and evidence.max_total;
 * false when it was not written (counted). */
static bool
entry_write(struct evpcap *e, struct evpcap_entry *en,
    const struct pktring_frame *fr)
{
	uint64_t need = pcap_writer_need(&en->w, fr);
	uint64_t before = en->w.bytes;

	if (en->w.fp == NULL || en->refused ||
	    en->w.bytes + need > e->max_bytes ||
	    (e->sink.charge != NULL && !e->sink.charge(e->sink.ctx, need))) {
		/* (refused once: the file is cut, the sink not asked again) */
		en->refused = en->w.fp != NULL &&
		    en->w.bytes + need <= e->max_bytes;
		e->stats.cut++;
		return false;
	}
	if (!pcap_writer_put(&en->w, fr)) {
		if (en->w.failed)
			e->stats.errors++;
		else
			e->stats.cut++; /* another link type */
		return false;
	}
	e->stats.frames++;
	e->stats.bytes += en->w.bytes - before;
	return true;
}

struct lookback_ctx {
	struct evpcap *e;
	struct evpcap_entry *en;
};

static void
lookback_frame(void *ctx, const struct pktring_frame *fr)
{
	struct lookback_ctx *lc = ctx;

	if (entry_write(lc->e, lc->en, fr))
		lc->e->stats.lookback_frames++;
}

void
evpcap_packet(struct evpcap *e, struct evpcap_flow *fl,
    const struct pktring_frame *fr, bool under_evidence, uint32_t pair_id,
    uint32_t pair_gen, uint64_t flow_packets)
{
	struct evpcap_entry *en;
	struct lookback_ctx lc;
	size_t n;

	pktring_put(e->ring, &fl->ring_last, fr);
	if (!under_evidence ||
	    (en = entry_find(e, pair_id, pair_gen)) == NULL)
		return;
	if (fl->sent_serial != en->serial) {
		/* the flow's first packet since the file opened: its ring,
		 * this packet the newest */
		fl->sent_serial = en->serial;
		lc.e = e;
		lc.en = en;
		n = pktring_walk(e->ring, fl->ring_last, lookback_frame, &lc);
		if (flow_packets > n) {
			e->stats.missing += flow_packets - n;
			en->missing += flow_packets - n;
		}
		return;
	}
	(void)entry_write(e, en, fr);
}

void
evpcap_tick(struct evpcap *e, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < e->cap; i++)
		if (e->v[i].used && e->v[i].until_ns <= now_ns)
			entry_close(e, &e->v[i]);
}

void
evpcap_get_stats(const struct evpcap *e, struct evpcap_stats *out)
{
	*out = e->stats;
}
