/*
 * test_capture_file.c - capfile_* on capture files written by the test:
 * pcap in both byte orders with micro and nano magic, pcapng, gzip, stdin,
 * a 3-file merge, a truncated file, garbage and empty files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <zlib.h>
#include <cmocka.h>

#include "exfild/capture/capture_file.h"
#include "exfild/util/log.h"

#define MAGIC_MICRO 0xa1b2c3d4u
#define MAGIC_NANO  0xa1b23c4du

/* Capture file image built in memory, then written plain or gzipped. */
struct image {
	uint8_t b[65536];
	size_t len;
	int big_endian;
};

static char tmpdir[64];

static void
put8(struct image *im, uint8_t v)
{
	assert_true(im->len < sizeof(im->b));
	im->b[im->len++] = v;
}

static void
put16(struct image *im, uint16_t v)
{
	if (im->big_endian) {
		put8(im, (uint8_t)(v >> 8));
		put8(im, (uint8_t)v);
	} else {
		put8(im, (uint8_t)v);
		put8(im, (uint8_t)(v >> 8));
	}
}

static void
put32(struct image *im, uint32_t v)
{
	if (im->big_endian) {
		put16(im, (uint16_t)(v >> 16));
		put16(im, (uint16_t)v);
	} else {
		put16(im, (uint16_t)v);
		put16(im, (uint16_t)(v >> 16));
	}
}

/* Bytes of packet number n: a recognisable pattern. */
static void
put_packet_bytes(struct image *im, uint32_t n, uint32_t caplen)
{
	uint32_t i;

	for (i = 0; i < caplen; i++)
		put8(im, (uint8_t)(n * 16 + i));
}

static void
pcap_header(struct image *im, int big_endian, uint32_t magic,
    uint32_t linktype)
{
	memset(im, 0, sizeof(*im));
	im->big_endian = big_endian;
	put32(im, magic);
	put16(im, 2);
	put16(im, 4);
	put32(im, 0);
	put32(im, 0);
	put32(im, 65535);
	put32(im, linktype);
}

static void
pcap_record(struct image *im, uint32_t sec, uint32_t frac, uint32_t n,
    uint32_t caplen, uint32_t wirelen)
{
	put32(im, sec);
	put32(im, frac);
	put32(im, caplen);
	put32(im, wirelen);
	put_packet_bytes(im, n, caplen);
}

/* pcapng Section Header Block and one Interface Description Block. */
static void
pcapng_header(struct image *im, uint16_t linktype, int nano)
{
	memset(im, 0, sizeof(*im));
	put32(im, 0x0a0d0d0a);
	put32(im, 28);
	put32(im, 0x1a2b3c4d);
	put16(im, 1);
	put16(im, 0);
	put32(im, 0xffffffff); /* section length: unknown */
	put32(im, 0xffffffff);
	put32(im, 28);
	put32(im, 1);
	put32(im, nano ? 32 : 20);
	put16(im, linktype);
	put16(im, 0);
	put32(im, 65535);
	if (nano) {
		put16(im, 9);  /* if_tsresol */
		put16(im, 1);
		put8(im, 9);   /* 10^-9 */
		put8(im, 0);
		put8(im, 0);
		put8(im, 0);
		put32(im, 0);  /* opt_endofopt */
	}
	put32(im, nano ? 32 : 20);
}

/* Enhanced Packet Block; ts in the interface's units. */
static void
pcapng_epb(struct image *im, uint64_t ts, uint32_t n, uint32_t caplen,
    uint32_t wirelen)
{
	uint32_t padded = (caplen + 3) & ~3u;

	put32(im, 6);
	put32(im, 32 + padded);
	put32(im, 0);
	put32(im, (uint32_t)(ts >> 32));
	put32(im, (uint32_t)ts);
	put32(im, caplen);
	put32(im, wirelen);
	put_packet_bytes(im, n, caplen);
	while (caplen++ < padded)
		put8(im, 0);
	put32(im, 32 + padded);
}

static const char *
tmp_path(const char *name)
{
	static char paths[8][128];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, name);
	return p;
}

static const char *
write_image(const char *name, const struct image *im, size_t len, int gzip)
{
	const char *path = tmp_path(name);

	if (gzip) {
		gzFile gz = gzopen(path, "wb");

		assert_non_null(gz);
		assert_int_equal(gzwrite(gz, im->b, (unsigned)len), (int)len);
		assert_int_equal(gzclose(gz), Z_OK);
	} else {
		FILE *fp = fopen(path, "wb");

		assert_non_null(fp);
		assert_int_equal(fwrite(im->b, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
	}
	return path;
}

static struct capfile_set *
open_one(const char *path)
{
	char err[256] = "";
	struct capfile_set *s = capfile_open(&path, 1, err, sizeof(err));

	if (s == NULL)
		print_message("open %s: %s\n", path, err);
	assert_non_null(s);
	return s;
}

static void
assert_packet(struct capfile_set *s, uint64_t ts_ns, int linktype,
    uint32_t n, uint32_t caplen, uint32_t wirelen, unsigned file_index)
{
	struct capture_pkt pkt;
	uint32_t i;

	assert_int_equal(capfile_next(s, &pkt), 1);
	assert_int_equal(pkt.ts_ns, ts_ns);
	assert_int_equal(pkt.linktype, linktype);
	assert_int_equal(pkt.caplen, caplen);
	assert_int_equal(pkt.wirelen, wirelen);
	assert_int_equal(pkt.file_index, file_index);
	for (i = 0; i < caplen; i++)
		assert_int_equal(pkt.data[i], (uint8_t)(n * 16 + i));
}

static void
assert_end(struct capfile_set *s, uint64_t packets, uint64_t bytes,
    uint64_t files, uint64_t failed)
{
	struct capture_pkt pkt;
	struct capfile_stats st;

	assert_int_equal(capfile_next(s, &pkt), 0);
	assert_int_equal(capfile_next(s, &pkt), 0);
	capfile_get_stats(s, &st);
	assert_int_equal(st.packets, packets);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.files, files);
	assert_int_equal(st.files_failed, failed);
}

/* Two packets: one whole, one cut by the snap length. */
static void
check_two_packets(const char *path, uint64_t ts1, uint64_t ts2, int linktype)
{
	struct capfile_set *s = open_one(path);

	assert_packet(s, ts1, linktype, 1, 60, 60, 0);
	assert_packet(s, ts2, linktype, 2, 54, 1514, 0);
	assert_end(s, 2, 114, 1, 0);
	capfile_close(s);
}

static void
write_pcap_two(struct image *im, int big_endian, uint32_t magic,
    uint32_t linktype, uint32_t frac1, uint32_t frac2)
{
	pcap_header(im, big_endian, magic, linktype);
	pcap_record(im, 1700000000, frac1, 1, 60, 60);
	pcap_record(im, 1700000001, frac2, 2, 54, 1514);
}

static void
test_pcap_byte_orders_and_precision(void **state)
{
	struct image im;
	int gz;

	(void)state;
	for (gz = 0; gz <= 1; gz++) {
		write_pcap_two(&im, 0, MAGIC_MICRO, 1, 123456, 999999);
		check_two_packets(write_image("le-micro.pcap", &im, im.len, gz),
		    1700000000123456000ull, 1700000001999999000ull, 1);
		write_pcap_two(&im, 1, MAGIC_MICRO, 1, 123456, 0);
		check_two_packets(write_image("be-micro.pcap", &im, im.len, gz),
		    1700000000123456000ull, 1700000001000000000ull, 1);
		write_pcap_two(&im, 0, MAGIC_NANO, 113, 123456789, 999999999);
		check_two_packets(write_image("le-nano.pcap", &im, im.len, gz),
		    1700000000123456789ull, 1700000001999999999ull, 113);
		write_pcap_two(&im, 1, MAGIC_NANO, 228, 1, 2);
		check_two_packets(write_image("be-nano.pcap", &im, im.len, gz),
		    1700000000000000001ull, 1700000001000000002ull, 228);
	}
}

static void
test_pcapng(void **state)
{
	struct image im;
	int gz;

	(void)state;
	for (gz = 0; gz <= 1; gz++) {
		/* Default resolution: microseconds. */
		pcapng_header(&im, 1, 0);
		pcapng_epb(&im, 1700000000123456ull, 1, 60, 60);
		pcapng_epb(&im, 1700000001000001ull, 2, 54, 1514);
		check_two_packets(write_image("micro.pcapng", &im, im.len, gz),
		    1700000000123456000ull, 1700000001000001000ull, 1);
		/* if_tsresol 9: nanoseconds. */
		pcapng_header(&im, 276, 1);
		pcapng_epb(&im, 1700000000123456789ull, 1, 60, 60);
		pcapng_epb(&im, 1700000001000000001ull, 2, 54, 1514);
		check_two_packets(write_image("nano.pcapng", &im, im.len, gz),
		    1700000000123456789ull, 1700000001000000001ull, 276);
	}
}

/* "-" reads standard input, plain or gzip-compressed. */
static void
test_stdin(void **state)
{
	struct image im;
	int gz, saved, fd;

	(void)state;
	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	for (gz = 0; gz <= 1; gz++) {
		write_pcap_two(&im, 0, MAGIC_NANO, 1, 5, 6);
		fd = open(write_image("stdin.pcap", &im, im.len, gz), O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
		close(fd);
		check_two_packets("-", 1700000000000000005ull,
		    1700000001000000006ull, 1);
	}
	/* A pipe cannot be sniffed: read through zlib, plain or gzip. */
	for (gz = 0; gz <= 1; gz++) {
		struct image piped;
		int pfd[2];

		write_pcap_two(&im, 0, MAGIC_MICRO, 1, 7, 8);
		fd = open(write_image("pipe.pcap", &im, im.len, gz), O_RDONLY);
		assert_true(fd >= 0);
		piped.len = (size_t)read(fd, piped.b, sizeof(piped.b));
		close(fd);
		assert_int_equal(pipe(pfd), 0);
		assert_int_equal(write(pfd[1], piped.b, piped.len),
		    (ssize_t)piped.len);
		close(pfd[1]);
		assert_int_equal(dup2(pfd[0], STDIN_FILENO), STDIN_FILENO);
		close(pfd[0]);
		check_two_packets("-", 1700000000000007000ull,
		    1700000001000008000ull, 1);
	}
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

/* Three files with interleaved timestamps and a tie: one timeline. */
static void
test_merge_three(void **state)
{
	static const uint32_t secs[3][3] = {
		{ 10, 40, 70 }, { 20, 50, 80 }, { 30, 40, 90 },
	};
	static const int links[3] = { 1, 113, 12 };
	static const struct {
		unsigned file, n;
		uint32_t sec;
	} want[] = {
		{ 0, 0, 10 }, { 1, 3, 20 }, { 2, 6, 30 }, { 0, 1, 40 },
		{ 2, 7, 40 }, { 1, 4, 50 }, { 0, 2, 70 }, { 1, 5, 80 },
		{ 2, 8, 90 },
	};
	struct image im;
	const char *paths[3];
	char err[256], name[32];
	struct capfile_set *s;
	unsigned f, i;

	(void)state;
	for (f = 0; f < 3; f++) {
		pcap_header(&im, f == 1, f == 2 ? MAGIC_NANO : MAGIC_MICRO,
		    (uint32_t)links[f]);
		for (i = 0; i < 3; i++)
			pcap_record(&im, secs[f][i], 0, f * 3 + i, 10 + f, 100);
		snprintf(name, sizeof(name), "merge%u.pcap", f);
		paths[f] = write_image(name, &im, im.len, f == 1);
	}
	s = capfile_open(paths, 3, err, sizeof(err));
	assert_non_null(s);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_packet(s, want[i].sec * 1000000000ull,
		    links[want[i].file], want[i].n, 10 + want[i].file, 100,
		    want[i].file);
	assert_end(s, 9, 3 * (10 + 11 + 12), 3, 0);
	capfile_close(s);
}

static char *
read_all(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* A file cut mid-record: its earlier packets, a warning, the others go on. */
static void
test_truncated_file(void **state)
{
	struct image im, other;
	const char *paths[2], *logpath = tmp_path("stderr.txt");
	char err[256], want[512];
	struct capfile_set *s;
	int saved, fd;
	const char *log;

	(void)state;
	pcap_header(&im, 0, MAGIC_MICRO, 1);
	pcap_record(&im, 1, 0, 0, 40, 40);
	pcap_record(&im, 3, 0, 1, 40, 40);
	pcap_record(&im, 5, 0, 2, 40, 40);
	paths[0] = write_image("trunc.pcap", &im, im.len - 15, 0);
	pcap_header(&other, 0, MAGIC_MICRO, 1);
	pcap_record(&other, 2, 0, 3, 20, 20);
	pcap_record(&other, 4, 0, 4, 20, 20);
	pcap_record(&other, 6, 0, 5, 20, 20);
	paths[1] = write_image("whole.pcap", &other, other.len, 0);

	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("test", true, LOG_LEVEL_INFO);

	s = capfile_open(paths, 2, err, sizeof(err));
	assert_non_null(s);
	assert_packet(s, 1000000000ull, 1, 0, 40, 40, 0);
	assert_packet(s, 2000000000ull, 1, 3, 20, 20, 1);
	assert_packet(s, 3000000000ull, 1, 1, 40, 40, 0);
	assert_packet(s, 4000000000ull, 1, 4, 20, 20, 1);
	assert_packet(s, 6000000000ull, 1, 5, 20, 20, 1);
	assert_end(s, 5, 40 * 2 + 20 * 3, 2, 1);
	capfile_close(s);

	dup2(saved, STDERR_FILENO);
	close(saved);
	log = read_all(logpath);
	snprintf(want, sizeof(want), "exfild: %s: truncated dump file; tried "
	    "to read 40 captured bytes, only got 25 after 2 packets\n",
	    paths[0]);
	assert_string_equal(log, want);

	/* Cut inside a record header. */
	paths[0] = write_image("trunc-hdr.pcap", &im, 24 + 16 + 40 + 7, 0);
	s = open_one(paths[0]);
	assert_packet(s, 1000000000ull, 1, 0, 40, 40, 0);
	log_set_level(LOG_LEVEL_ERR);
	assert_end(s, 1, 40, 1, 1);
	log_set_level(LOG_LEVEL_INFO);
	capfile_close(s);
}

/* What a reader handed out, to compare two ways of reading a file. */
struct seen {
	uint64_t ts[64];
	uint32_t caplen[64];
	uint32_t sum[64]; /* of the captured bytes */
	size_t n;
	struct capfile_stats st;
};

static void
seen_add(struct seen *sn, const struct capture_pkt *pkt)
{
	uint32_t i, sum = 0;

	assert_true(sn->n < 64);
	for (i = 0; i < pkt->caplen; i++)
		sum = sum * 31 + pkt->data[i];
	sn->ts[sn->n] = pkt->ts_ns;
	sn->caplen[sn->n] = pkt->caplen;
	sn->sum[sn->n++] = sum;
}

/* Reads the file one packet at a time (batch 0) or in batches. */
static void
read_file(const char *path, size_t batch, struct seen *sn)
{
	struct capture_pkt pkts[5];
	struct capfile_set *s;
	char err[256];
	size_t i, n;

	memset(sn, 0, sizeof(*sn));
	s = capfile_open(&path, 1, err, sizeof(err));
	assert_non_null(s);
	if (batch == 0) {
		while (capfile_next(s, &pkts[0]) == 1)
			seen_add(sn, &pkts[0]);
	} else {
		while ((n = capfile_next_batch(s, pkts, batch)) > 0) {
			assert_true(n <= batch);
			/* all of a batch stay valid until the next call */
			for (i = 0; i < n; i++)
				seen_add(sn, &pkts[i]);
		}
		assert_int_equal(capfile_next_batch(s, pkts, batch), 0);
	}
	capfile_get_stats(s, &sn->st);
	capfile_close(s);
}

/* Batches hand out what single reads do, cut anywhere, plain or gzip. */
static void
test_batch_same_as_single(void **state)
{
	struct image im;
	struct seen one, many;
	const char *path;
	size_t cut, batch;
	uint32_t i;
	int gz;

	(void)state;
	pcap_header(&im, 0, MAGIC_NANO, 1);
	for (i = 0; i < 12; i++)
		pcap_record(&im, 100 + i, i, i, i * 7 % 30, 1500);
	log_set_level(LOG_LEVEL_ERR);
	for (gz = 0; gz <= 1; gz++) {
		for (cut = 24; cut <= im.len; cut++) {
			path = write_image("batch.pcap", &im, cut, gz);
			read_file(path, 0, &one);
			for (batch = 1; batch <= 5; batch += 2) {
				read_file(path, batch, &many);
				assert_int_equal(many.n, one.n);
				assert_memory_equal(&many, &one, sizeof(one));
			}
		}
		/* the whole file: every packet, as written */
		assert_int_equal(one.n, 12);
		assert_int_equal(one.st.files_failed, 0);
		assert_int_equal(one.ts[11], 111000000011ull);
		assert_int_equal(one.caplen[3], 21);
		assert_int_equal(one.sum[1], ((((((16u * 31 + 17) * 31 + 18) * 31 +
		    19) * 31 + 20) * 31 + 21) * 31 + 22));
	}
	log_set_level(LOG_LEVEL_INFO);
}

/* A file longer than the reader's block: batches end at the block's end
 * (the records already handed out stay in place) and go on after it. */
static void
test_batch_across_blocks(void **state)
{
	const char *path = tmp_path("big.pcap");
	struct capture_pkt pkts[16];
	struct image rec;
	struct capfile_set *s;
	struct capfile_stats st;
	uint64_t want_bytes = 0;
	uint32_t i, count = 0, caplen;
	size_t n, k, batches = 0;
	FILE *fp = fopen(path, "wb");

	(void)state;
	assert_non_null(fp);
	pcap_header(&rec, 0, MAGIC_MICRO, 1);
	assert_int_equal(fwrite(rec.b, 1, rec.len, fp), rec.len);
	for (i = 0; i < 3000; i++) {
		caplen = 200 + i * 37 % 1300;
		rec.len = 0;
		pcap_record(&rec, i, 0, i, caplen, caplen);
		assert_int_equal(fwrite(rec.b, 1, rec.len, fp), rec.len);
		want_bytes += caplen;
	}
	assert_int_equal(fclose(fp), 0);
	s = open_one(path);
	while ((n = capfile_next_batch(s, pkts, 16)) > 0) {
		batches++;
		for (k = 0; k < n; k++, count++) {
			assert_int_equal(pkts[k].ts_ns, (uint64_t)count * 1000000000ull);
			assert_int_equal(pkts[k].caplen, 200 + count * 37 % 1300);
			assert_int_equal(pkts[k].data[0], (uint8_t)(count * 16));
			assert_int_equal(pkts[k].data[pkts[k].caplen - 1],
			    (uint8_t)(count * 16 + pkts[k].caplen - 1));
		}
		/* the first packet of the batch is still intact at its end */
		assert_int_equal(pkts[0].data[0], (uint8_t)((count - n) * 16));
	}
	assert_int_equal(count, 3000);
	assert_true(batches < 3000 / 16 + 8); /* whole batches but at block ends */
	capfile_get_stats(s, &st);
	assert_int_equal(st.packets, 3000);
	assert_int_equal(st.bytes, want_bytes);
	assert_int_equal(st.files_failed, 0);
	capfile_close(s);
}

static void
test_open_errors(void **state)
{
	struct image im;
	const char *paths[3];
	char err[256], want[300];
	struct capfile_set *s;

	(void)state;
	paths[0] = tmp_path("does-not-exist.pcap");
	s = capfile_open(paths, 1, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: No such file or directory", paths[0]);
	assert_string_equal(err, want);

	memset(&im, 0, sizeof(im));
	memcpy(im.b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	paths[0] = write_image("garbage.pcap", &im, 27, 0);
	s = capfile_open(paths, 1, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: unknown file format", paths[0]);
	assert_string_equal(err, want);

	/* The same garbage gzip-compressed. */
	paths[0] = write_image("garbage.pcap.gz", &im, 27, 1);
	s = capfile_open(paths, 1, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: unknown file format", paths[0]);
	assert_string_equal(err, want);

	/* A good file, then a bad one: NULL naming the bad one. */
	write_pcap_two(&im, 0, MAGIC_MICRO, 1, 0, 0);
	paths[0] = write_image("good.pcap", &im, im.len, 0);
	paths[1] = tmpdir; /* a directory */
	s = capfile_open(paths, 2, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	assert_string_equal(err, want);

	/* A gzip header followed by junk. */
	memset(&im, 0, sizeof(im));
	memcpy(im.b, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03junkjunkjunk"
	    "junkjunkjunk", 34);
	paths[0] = write_image("bad.gz", &im, 34, 0);
	s = capfile_open(paths, 1, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: unknown file format", paths[0]);
	assert_string_equal(err, want);

	/* An empty file. */
	paths[0] = write_image("empty-file.pcap", &im, 0, 0);
	s = capfile_open(paths, 1, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "%s: truncated dump file; tried to read "
	    "4 file header bytes, only got 0", paths[0]);
	assert_string_equal(err, want);

	assert_null(capfile_open(paths, 0, err, sizeof(err)));
	assert_string_equal(err, "no capture files");
	capfile_close(NULL);
}

/* A pcap with a header and no packets. */
static void
test_empty_pcap(void **state)
{
	struct image im;
	struct capfile_set *s;
	const char *paths[2];
	char err[256];

	(void)state;
	pcap_header(&im, 0, MAGIC_MICRO, 1);
	paths[0] = write_image("empty.pcap", &im, im.len, 0);
	s = open_one(paths[0]);
	assert_end(s, 0, 0, 1, 0);
	capfile_close(s);

	pcapng_header(&im, 1, 0);
	paths[1] = write_image("empty.pcapng.gz", &im, im.len, 1);
	s = capfile_open(paths, 2, err, sizeof(err));
	assert_non_null(s);
	assert_end(s, 0, 0, 2, 0);
	capfile_close(s);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_capture_file.XXXXXX");
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The link type is the low 16 bits (FCS-length bits above it are not part
 * of it, as libpcap's LT_LINKTYPE); a version 1 file is refused as libpcap
 * refuses it. */
static void
test_linktype_fcs_bits_and_archaic_version(void **state)
{
	struct image im;
	const char *path;
	struct capfile_set *s;
	char err[256];

	(void)state;
	pcap_header(&im, 0, MAGIC_MICRO, 0x24000001u);
	pcap_record(&im, 1, 0, 0, 40, 40);
	s = open_one(write_image("fcs.pcap", &im, im.len, 0));
	assert_packet(s, 1000000000ull, 1, 0, 40, 40, 0);
	capfile_close(s);
	pcap_header(&im, 0, MAGIC_MICRO, 1);
	im.b[4] = 1; /* version 1.x */
	path = write_image("v1.pcap", &im, im.len, 0);
	assert_null(capfile_open(&path, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "archaic pcap savefile format"));
}

/* The pcap format's seconds are unsigned 32-bit: a record in 2106 reads
 * as 2106 through exfild's own reader (plain file) and through libpcap
 * (gzip-compressed), not as a negative time (tcpdump's time_2106 test). */
static void
test_unsigned_seconds_both_readers(void **state)
{
	struct image im;
	const char *plain, *gz;
	struct capfile_set *s;
	const uint64_t ts = 4294967295ull * 1000000000ull + 5000;

	(void)state;
	pcap_header(&im, 0, MAGIC_MICRO, 1);
	pcap_record(&im, 0xffffffffu, 5, 0, 40, 40);
	plain = write_image("t2106.pcap", &im, im.len, 0);
	gz = write_image("t2106.pcap.gz", &im, im.len, 1);
	s = open_one(plain);
	assert_packet(s, ts, 1, 0, 40, 40, 0);
	assert_end(s, 1, 40, 1, 0);
	capfile_close(s);
	s = open_one(gz);
	assert_packet(s, ts, 1, 0, 40, 40, 0);
	assert_end(s, 1, 40, 1, 0);
	capfile_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsigned_seconds_both_readers),
		cmocka_unit_test(test_linktype_fcs_bits_and_archaic_version),
		cmocka_unit_test(test_pcap_byte_orders_and_precision),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_merge_three),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_batch_same_as_single),
		cmocka_unit_test(test_batch_across_blocks),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_empty_pcap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
