/*
 * test_pktring.c - the per-flow packet ring (evidence.lookback) and the
 * evidence pcap writer: two interleaved flows walk back to their own
 * frames, oldest first; the lookback caps a walk; after the arena comes
 * round a walk stops at the first record gone and never gives stale
 * bytes; a bogus position gives nothing; the pcap file has the exact
 * header, records and mode 0640 whatever the umask. The pairs' pcaps
 * (evpcap): a flow's lookback then its packets, until the evidence ends;
 * max_bytes and evidence.max_total cut; a full table closes its oldest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/evidence/evpcap.h"
#include "exfild/evidence/pcap_write.h"
#include "exfild/evidence/pktring.h"

#define MAX_SEEN 2048

struct seen {
	size_t n;
	uint64_t ts[MAX_SEEN];
	uint32_t caplen[MAX_SEEN];
	bool bytes_ok;            /* every byte is the frame's (ts & 0xff) */
};

static void
collect(void *ctx, const struct pktring_frame *fr)
{
	struct seen *s = ctx;
	uint32_t i;

	assert_true(s->n < MAX_SEEN);
	s->ts[s->n] = fr->ts_ns;
	s->caplen[s->n] = fr->caplen;
	s->n++;
	for (i = 0; i < fr->caplen; i++)
		if (fr->data[i] != (uint8_t)(fr->ts_ns & 0xff))
			s->bytes_ok = false;
}

/* A frame whose bytes all are its ts's low byte. */
static void
put(struct pktring *r, uint64_t *last, uint64_t ts, uint32_t len)
{
	static uint8_t buf[70000];
	struct pktring_frame fr = { .ts_ns = ts, .linktype = 1,
	    .caplen = len, .wirelen = len + 4, .data = buf };

	memset(buf, (int)(ts & 0xff), len);
	pktring_put(r, last, &fr);
}

static void
walk(struct pktring *r, uint64_t last, struct seen *s)
{
	size_t n;

	memset(s, 0, sizeof(*s));
	s->bytes_ok = true;
	n = pktring_walk(r, last, collect, s);
	assert_int_equal(n, s->n);
}

static void
test_two_flows(void **state)
{
	struct pktring *r = pktring_new(PKTRING_MIN_BYTES, 64);
	uint64_t a = 0, b = 0;
	struct seen s;
	uint64_t t;

	(void)state;
	assert_non_null(r);
	for (t = 1; t <= 10; t++)
		put(r, t % 2 ? &a : &b, t, (uint32_t)(60 + t));
	walk(r, a, &s);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ts[0], 1);
	assert_int_equal(s.ts[4], 9);
	assert_int_equal(s.caplen[2], 65);
	assert_true(s.bytes_ok);
	walk(r, b, &s);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.ts[0], 2);
	assert_int_equal(s.ts[4], 10);
	walk(r, 0, &s); /* a flow without records */
	assert_int_equal(s.n, 0);
	pktring_free(r);
}

static void
test_lookback_caps(void **state)
{
	struct pktring *r = pktring_new(PKTRING_MIN_BYTES, 4);
	uint64_t a = 0, t;
	struct seen s;

	(void)state;
	for (t = 1; t <= 10; t++)
		put(r, &a, t, 100);
	walk(r, a, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ts[0], 7);
	assert_int_equal(s.ts[3], 10);
	assert_null(pktring_new(PKTRING_MIN_BYTES, 0));
	assert_null(pktring_new(PKTRING_MIN_BYTES, PKTRING_LOOKBACK_MAX + 1));
	assert_null(pktring_new(PKTRING_MIN_BYTES - 1, 4));
	pktring_free(r);
}

/* 1 MiB arena, 60000-byte frames (60032 a record): 17 fit; after 40
 * the walk gives the newest whole ones and stops at the first gone. */
static void
test_wrap_never_stale(void **state)
{
	struct pktring *r = pktring_new(PKTRING_MIN_BYTES, 1024);
	struct pktring_stats st;
	uint64_t a = 0, b = 0, t;
	struct seen s;

	(void)state;
	put(r, &b, 1000, 50); /* another flow's record, long gone below */
	for (t = 1; t <= 40; t++)
		put(r, &a, t, 60000);
	walk(r, a, &s);
	assert_true(s.bytes_ok);
	assert_int_equal(s.ts[s.n - 1], 40);
	assert_true(s.n >= 15 && s.n <= 17);
	for (t = 0; t < s.n; t++)
		assert_int_equal(s.ts[t], 40 - s.n + 1 + t);
	walk(r, b, &s);
	assert_int_equal(s.n, 0);
	pktring_get_stats(r, &st);
	assert_int_equal(st.records, 41);
	assert_true(st.wraps >= 2);
	/* frames longer than the snap are cut to it */
	put(r, &a, 77, 66000);
	walk(r, a, &s);
	assert_int_equal(s.caplen[s.n - 1], PKTRING_SNAP);
	pktring_free(r);
}

static void
test_bogus_position(void **state)
{
	struct pktring *r = pktring_new(PKTRING_MIN_BYTES, 8);
	uint64_t a = 0, bogus;
	struct seen s;

	(void)state;
	put(r, &a, 5, 100);
	put(r, &a, 6, 100);
	/* positions not at a record: before the first, inside one, past
	 * the head, and huge */
	for (bogus = 1; bogus < 4; bogus++) {
		walk(r, bogus, &s);
		assert_int_equal(s.n, 0);
	}
	walk(r, a + 8, &s);
	assert_true(s.n <= 8); /* inside a record: garbage, but inside the arena */
	walk(r, a + 4096, &s);
	assert_int_equal(s.n, 0);
	walk(r, UINT64_MAX, &s);
	assert_int_equal(s.n, 0);
	pktring_free(r);
}

static void
test_pcap_file(void **state)
{
	char path[] = "/tmp/test_pktring.XXXXXX";
	struct pcap_writer w;
	uint8_t buf[256];
	uint32_t hdr[6];
	struct stat st;
	struct pktring_frame fr = { .ts_ns = 1700000000123456789ull,
	    .linktype = 1, .caplen = 60, .wirelen = 1514, .data = buf };
	mode_t old;
	FILE *fp;
	int fd;

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_false(pcap_writer_open(&w, path)); /* exists: never overwritten */
	unlink(path);
	old = umask(077);
	assert_true(pcap_writer_open(&w, path));
	umask(old);
	assert_true(pcap_writer_put(&w, &fr));
	fr.linktype = 113;
	assert_false(pcap_writer_put(&w, &fr));
	fr.linktype = 1;
	fr.caplen = 200;
	fr.wirelen = 200;
	assert_true(pcap_writer_put(&w, &fr));
	assert_int_equal(w.frames, 2);
	assert_int_equal(w.other_link, 1);
	assert_true(pcap_writer_close(&w));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_size, 24 + 16 + 60 + 16 + 200);
	assert_int_equal(w.bytes, (uint64_t)st.st_size);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fread(hdr, 4, 6, fp), 6);
	assert_int_equal(hdr[0], 0xa1b23c4d);
	assert_int_equal(hdr[5], 1);
	assert_int_equal(fread(hdr, 4, 4, fp), 4);
	assert_int_equal(hdr[0], 1700000000);
	assert_int_equal(hdr[1], 123456789);
	assert_int_equal(hdr[2], 60);
	assert_int_equal(hdr[3], 1514);
	fclose(fp);
	unlink(path);
}

/* Frames in a pcap file, from its records' headers. */
static size_t
pcap_frames(const char *path, uint64_t *first_ts_s)
{
	uint32_t h[6];
	size_t n = 0;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	if (fread(h, 4, 6, fp) == 6) {
		while (fread(h, 4, 4, fp) == 4) {
			if (n == 0)
				*first_ts_s = h[0];
			n++;
			assert_int_equal(fseek(fp, (long)h[2], SEEK_CUR), 0);
		}
	}
	fclose(fp);
	return n;
}

struct charge {
	uint64_t left;
	uint64_t charged;
	unsigned asked;
	uint64_t closed_frames, closed_bytes, closed_missing;
	unsigned closed;
};

static void
closed(void *ctx, const char *path, uint64_t frames, uint64_t bytes,
    uint64_t missing)
{
	struct charge *c = ctx;

	assert_non_null(strstr(path, "/packets.pcap"));
	c->closed++;
	c->closed_frames = frames;
	c->closed_bytes = bytes;
	c->closed_missing = missing;
}

static bool
charge(void *ctx, uint64_t bytes)
{
	struct charge *c = ctx;

	c->asked++;
	if (bytes > c->left)
		return false;
	c->left -= bytes;
	c->charged += bytes;
	return true;
}

static void
packet(struct evpcap *e, struct evpcap_flow *fl, uint64_t ts_s, bool under,
    uint32_t pair, uint64_t count)
{
	static uint8_t buf[100];
	struct pktring_frame fr = { .ts_ns = ts_s * 1000000000ull,
	    .linktype = 1, .caplen = 100, .wirelen = 100, .data = buf };

	evpcap_packet(e, fl, &fr, under, pair, 1, count);
}

static void
test_pair_pcap(void **state)
{
	char dir[] = "/tmp/test_evpcap.XXXXXX", path[128];
	struct charge ch = { .left = UINT64_MAX };
	struct evpcap_flow a = { 0 }, b = { 0 }, other = { 0 };
	struct evpcap_stats st;
	struct evpcap *e;
	uint64_t ts = 0, t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/packets.pcap", dir);
	assert_non_null(e = evpcap_new(PKTRING_MIN_BYTES, 4, 2, 1u << 20));
	evpcap_set_sink(e, &(struct evpcap_sink){ charge, closed, &ch });
	/* before the alert: 6 packets of flow a (4 kept), 1 of b, and
	 * another pair's */
	for (t = 1; t <= 6; t++)
		packet(e, &a, t, false, 7, t);
	packet(e, &b, 7, false, 7, 1);
	packet(e, &other, 8, false, 9, 1);
	assert_true(evpcap_open(e, 7, 1, dir, 20ull * 1000000000));
	packet(e, &a, 10, true, 7, 7);    /* its last 3 (4..6) + this one */
	packet(e, &a, 11, true, 7, 8);
	packet(e, &other, 12, false, 9, 2); /* not under evidence */
	packet(e, &b, 13, true, 7, 2);    /* b's 1 + this one */
	evpcap_tick(e, 19ull * 1000000000); /* still open */
	packet(e, &a, 19, true, 7, 9);
	evpcap_tick(e, 20ull * 1000000000);
	packet(e, &a, 21, true, 7, 10);   /* closed: not written */
	evpcap_get_stats(e, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.frames, 4 + 1 + 2 + 1);
	assert_int_equal(st.lookback_frames, 6);
	assert_int_equal(st.missing, 3); /* a's packets 1..3 */
	assert_int_equal(pcap_frames(path, &ts), 8);
	assert_int_equal(ts, 4); /* the oldest the ring held (4 with this) */
	assert_int_equal(ch.charged, 24 + 8 * (16 + 100));
	assert_int_equal(st.bytes, ch.charged);
	assert_int_equal(ch.closed, 1); /* heard of at its close */
	assert_int_equal(ch.closed_frames, 8);
	assert_int_equal(ch.closed_bytes, ch.charged);
	assert_int_equal(ch.closed_missing, 3);
	unlink(path);

	/* evidence.max_total full: cut, counted */
	ch.left = 24 + 16 + 100;
	ch.asked = 0;
	assert_true(evpcap_open(e, 7, 1, dir, 40ull * 1000000000));
	packet(e, &a, 30, true, 7, 11); /* lookback: 4 frames, 1 fits */
	packet(e, &a, 31, true, 7, 12);
	evpcap_get_stats(e, &st);
	assert_int_equal(st.frames, 9);
	assert_int_equal(st.cut, 4);
	assert_int_equal(st.lookback_frames, 6 + 1); /* those written only */
	/* asked for the first two frames only: refused once, the file stops */
	assert_int_equal(ch.asked, 2);
	evpcap_tick(e, UINT64_MAX);
	assert_int_equal(pcap_frames(path, &ts), 1);
	unlink(path);
	/* a file that exists is never overwritten */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_false(evpcap_open(e, 7, 1, dir, 50ull * 1000000000));
	evpcap_get_stats(e, &st);
	assert_int_equal(st.errors, 1);
	rmdir(path);
	evpcap_free(e);
	rmdir(dir);
}

static void
test_pair_pcap_caps(void **state)
{
	char dir[3][32], path[128];
	struct evpcap_flow a = { 0 };
	struct evpcap_stats st;
	struct evpcap *e;
	uint64_t ts = 0;
	int i;

	(void)state;
	/* max_bytes: the header and two records */
	assert_non_null(e = evpcap_new(PKTRING_MIN_BYTES, 8, 2,
	    24 + 2 * (16 + 100)));
	for (i = 0; i < 3; i++) {
		snprintf(dir[i], sizeof(dir[i]), "/tmp/test_evpcap.XXXXXX");
		assert_non_null(mkdtemp(dir[i]));
	}
	assert_true(evpcap_open(e, 1, 1, dir[0], UINT64_MAX - 1));
	packet(e, &a, 1, true, 1, 1);
	packet(e, &a, 2, true, 1, 2);
	packet(e, &a, 3, true, 1, 3);
	assert_true(evpcap_open(e, 2, 1, dir[1], UINT64_MAX - 1));
	assert_true(evpcap_open(e, 3, 1, dir[2], UINT64_MAX - 1)); /* closes 1 */
	evpcap_get_stats(e, &st);
	assert_int_equal(st.closed_full, 1);
	evpcap_tick(e, UINT64_MAX); /* 2 and 3 had no packet: no file */
	evpcap_get_stats(e, &st);
	assert_int_equal(st.empty, 2);
	snprintf(path, sizeof(path), "%s/packets.pcap", dir[1]);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(st.cut, 1);
	snprintf(path, sizeof(path), "%s/packets.pcap", dir[0]);
	assert_int_equal(pcap_frames(path, &ts), 2);
	evpcap_free(e);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/packets.pcap", dir[i]);
		unlink(path);
		rmdir(dir[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_flows),
		cmocka_unit_test(test_lookback_caps),
		cmocka_unit_test(test_wrap_never_stale),
		cmocka_unit_test(test_bogus_position),
		cmocka_unit_test(test_pcap_file),
		cmocka_unit_test(test_pair_pcap),
		cmocka_unit_test(test_pair_pcap_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
