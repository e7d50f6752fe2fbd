/*
 * test_spool.c - the on-disk spool in a mkdtemp directory: order across
 * segments and restarts, crashes (a forked child that exits without
 * closing, a last record cut at every byte), damaged bytes and head files,
 * the size cap, fsync policies and refused operations.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "exfild/util/log.h"
#include "exfild/output/spool.h"
#include "test_files.h"

#define SEC 1000000000ULL
#define REC_LEN 30                       /* payload of the usual test record */
#define FRAMED (SPOOL_REC_HDR + REC_LEN) /* 39 bytes on disk */
#define SEG2 (2 * FRAMED + 10)           /* a segment holds two records */

struct fix {
	char base[64];
	char dir[96];
	char err[512];
};

/* Removes the spool directory (the next open makes it anew). */
static void
wipe(const struct fix *f)
{
	chmod(f->dir, 0700);
	assert_int_equal(remove_tree(f->dir), 0);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->base, "/tmp/test_spool.XXXXXX");
	if (mkdtemp(f->base) == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/spool/out", f->base);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	chmod(f->dir, 0700);
	remove_tree(f->base);
	free(f);
	return 0;
}

/* Record i: "rec <i>:" and then a letter, len bytes in all. */
static void
make_rec(unsigned i, uint8_t *buf, size_t len)
{
	char head[16];
	int n = snprintf(head, sizeof(head), "rec %u:", i);

	memset(buf, 'a' + (int)(i % 26), len);
	memcpy(buf, head, (size_t)n < len ? (size_t)n : len);
}

static void
append_n(struct spool *s, unsigned from, unsigned n, size_t len)
{
	uint8_t buf[4096];
	unsigned i;

	for (i = from; i < from + n; i++) {
		make_rec(i, buf, len);
		assert_int_equal(spool_append(s, buf, len, 0), 0);
	}
}

/* Peeks record i (of len bytes) and acks it. */
static void
expect_rec(struct spool *s, unsigned i, size_t len)
{
	uint8_t want[4096];
	const uint8_t *rec = NULL;
	size_t got = 0;

	make_rec(i, want, len);
	assert_int_equal(spool_peek(s, &rec, &got), 1);
	assert_int_equal(got, len);
	assert_memory_equal(rec, want, len);
	assert_int_equal(spool_ack(s), 0);
}

static void
expect_empty(struct spool *s)
{
	const uint8_t *rec;
	size_t len;

	assert_int_equal(spool_peek(s, &rec, &len), 0);
}

static struct spool *
open_ok(struct fix *f, uint64_t max, uint64_t seg, enum spool_fsync pol)
{
	struct spool *s = spool_open(f->dir, max, seg, pol, 1000, f->err,
	    sizeof(f->err));

	if (s == NULL)
		fail_msg("spool_open: %s", f->err);
	return s;
}

static struct spool_stats
stats(const struct spool *s)
{
	struct spool_stats st;

	spool_get_stats(s, &st);
	return st;
}

static void
path_of(const struct fix *f, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", f->dir, name);
}

static void
seg_path(const struct fix *f, uint64_t num, char *out, size_t len)
{
	snprintf(out, len, "%s/%016llx.seg", f->dir, (unsigned long long)num);
}

static long
file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return (long)st.st_size;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static size_t
read_file(const char *path, uint8_t *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
flip_byte(const char *path, long off)
{
	uint8_t b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x40;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* A head file as spool.h describes it. */
static void
write_head_file(const struct fix *f, uint64_t seg, uint64_t off)
{
	uint8_t h[25];
	char path[160];
	uLong crc;
	int i;

	memcpy(h, "EXSP", 4);
	h[4] = 1;
	for (i = 0; i < 8; i++) {
		h[5 + i] = (uint8_t)(seg >> (56 - 8 * i));
		h[13 + i] = (uint8_t)(off >> (56 - 8 * i));
	}
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, h, 21);
	for (i = 0; i < 4; i++)
		h[21 + i] = (uint8_t)(crc >> (24 - 8 * i));
	path_of(f, "head", path, sizeof(path));
	write_file(path, h, sizeof(h));
}

/* ---- stderr capture, for exact log lines ---- */

static int saved_stderr = -1;
static char capture_path[96];

static void
capture_begin(const struct fix *f)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "%s/stderr", f->base);
	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved_stderr >= 0);
	dup2(fd, 2);
	close(fd);
}

static void
capture_end(char *out, size_t len)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	n = read_file(capture_path, (uint8_t *)out, len - 1);
	out[n] = '\0';
	unlink(capture_path);
}

/* ---- order and restarts ---- */

static void
test_order_across_segments(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	struct spool_stats st;
	const uint8_t *r1, *r2;
	size_t l1, l2;
	char path[160], want[256];
	unsigned i;

	expect_empty(s);
	assert_int_equal(spool_ack(s), -1);
	snprintf(want, sizeof(want), "spool %s: ack without a peeked record",
	    f->dir);
	assert_string_equal(spool_error(s), want);

	append_n(s, 0, 10, REC_LEN);
	st = stats(s);
	assert_int_equal(st.records, 10);
	assert_int_equal(st.bytes, 10 * FRAMED);
	assert_int_equal(st.appended, 10);
	for (i = 1; i <= 5; i++) {
		seg_path(f, i, path, sizeof(path));
		assert_int_equal(file_size(path), 2 * FRAMED);
	}
	seg_path(f, 6, path, sizeof(path));
	assert_false(exists(path));

	/* Peeking again without an ack gives the same record. */
	assert_int_equal(spool_peek(s, &r1, &l1), 1);
	assert_int_equal(spool_peek(s, &r2, &l2), 1);
	assert_ptr_equal(r1, r2);
	assert_int_equal(l1, l2);
	for (i = 0; i < 10; i++) {
		expect_rec(s, i, REC_LEN);
		st = stats(s);
		assert_int_equal(st.records, 9 - i);
		assert_int_equal(st.bytes, (9 - i) * FRAMED);
		assert_int_equal(st.acked, i + 1);
		/* A used-up segment is removed, except the one written. */
		seg_path(f, i / 2 + 1, path, sizeof(path));
		assert_int_equal(exists(path), i % 2 == 0 || i == 9);
	}
	expect_empty(s);
	assert_int_equal(spool_ack(s), -1);
	st = stats(s);
	assert_int_equal(st.dropped_records, 0);
	assert_int_equal(st.corrupt, 0);
	spool_close(s);
	spool_close(NULL);
}

static void
test_reopen_midway(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_ALWAYS);
	struct spool_stats st;
	char path[160];
	unsigned i;

	append_n(s, 0, 10, REC_LEN);
	for (i = 0; i < 3; i++)
		expect_rec(s, i, REC_LEN);
	spool_close(s);

	s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_ALWAYS);
	st = stats(s);
	assert_int_equal(st.records, 7);
	assert_int_equal(st.bytes, 7 * FRAMED);
	assert_int_equal(st.appended, 0);
	assert_int_equal(st.acked, 0);
	assert_int_equal(st.corrupt, 0);
	expect_rec(s, 3, REC_LEN);
	expect_rec(s, 4, REC_LEN);
	append_n(s, 10, 2, REC_LEN); /* a new segment 6 */
	spool_close(s);

	s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_ALWAYS);
	st = stats(s);
	assert_int_equal(st.records, 7);
	seg_path(f, 2, path, sizeof(path));
	assert_false(exists(path));
	for (i = 5; i < 12; i++)
		expect_rec(s, i, REC_LEN);
	expect_empty(s);
	spool_close(s);
}

/* Emptied, then filled again: the used-up segment goes, nothing is lost. */
static void
test_empty_then_more(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	char path[160];
	unsigned round, i;

	for (round = 0; round < 4; round++) {
		append_n(s, round * 2, 2, REC_LEN); /* segment round + 1 full */
		for (i = round * 2; i < round * 2 + 2; i++)
			expect_rec(s, i, REC_LEN);
		expect_empty(s);
		assert_int_equal(stats(s).records, 0);
		if (round == 1) { /* and across a restart */
			spool_close(s);
			s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
			expect_empty(s);
		}
	}
	append_n(s, 8, 1, REC_LEN);
	assert_int_equal(stats(s).records, 1);
	expect_rec(s, 8, REC_LEN);
	for (i = 1; i <= 4; i++) {
		seg_path(f, i, path, sizeof(path));
		assert_false(exists(path));
	}
	spool_close(s);
}

/* A child that works on the spool and dies without spool_close. */
static void
crash_child(struct fix *f, unsigned appends, unsigned acks, bool sync)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct spool *s = spool_open(f->dir, 1 << 20, 1 << 16,
		    SPOOL_FSYNC_INTERVAL, 1000, f->err, sizeof(f->err));
		const uint8_t *rec;
		size_t len;
		uint8_t buf[64];
		unsigned i;

		if (s == NULL)
			_exit(2);
		for (i = 0; i < appends; i++) {
			make_rec(i, buf, REC_LEN);
			if (spool_append(s, buf, REC_LEN, 0) != 0)
				_exit(3);
		}
		for (i = 0; i < acks; i++)
			if (spool_peek(s, &rec, &len) != 1 || spool_ack(s) != 0)
				_exit(4);
		if (sync && spool_sync(s, 5 * SEC) != 0)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_crash_redelivers_not_loses(void **state)
{
	struct fix *f = *state;
	struct spool *s;
	struct spool_stats st;

	/* 300 appended, 257 acked: the head was written at the 256th. */
	crash_child(f, 300, 257, false);
	s = open_ok(f, 1 << 20, 1 << 16, SPOOL_FSYNC_INTERVAL);
	st = stats(s);
	assert_int_equal(st.records, 44);
	assert_int_equal(st.bytes, 44 * FRAMED);
	assert_int_equal(st.corrupt, 0);
	expect_rec(s, 256, REC_LEN); /* delivered before, comes again */
	expect_rec(s, 257, REC_LEN);
	spool_close(s);
}

static void
test_crash_after_sync(void **state)
{
	struct fix *f = *state;
	struct spool *s;

	/* spool_sync wrote the head: nothing comes twice. */
	crash_child(f, 10, 3, true);
	s = open_ok(f, 1 << 20, 1 << 16, SPOOL_FSYNC_INTERVAL);
	assert_int_equal(stats(s).records, 7);
	expect_rec(s, 3, REC_LEN);
	spool_close(s);
}

/* ---- damage ---- */

/*
 * Five records (lengths 20..24); the last is cut at every byte offset.
 * With seg_bytes small each record has a segment of its own.
 */
static void
torn_tail(struct fix *f, uint64_t seg_bytes)
{
	static uint8_t whole[4096];
	uint64_t last_seg = seg_bytes < 100 ? 5 : 1;
	char path[160];
	size_t n, start, framed = SPOOL_REC_HDR + 24, cut;
	struct spool *s;
	unsigned i;

	for (cut = 0; cut <= framed; cut++) {
		struct spool_stats st;
		bool torn = cut > 0 && cut < framed;

		s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
		for (i = 0; i < 5; i++) {
			uint8_t buf[64];

			make_rec(i, buf, 20 + i);
			assert_int_equal(spool_append(s, buf, 20 + i, 0), 0);
		}
		spool_close(s);
		seg_path(f, last_seg, path, sizeof(path));
		n = read_file(path, whole, sizeof(whole));
		start = n - framed;
		assert_int_equal(truncate(path, (off_t)(start + cut)), 0);

		s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
		st = stats(s);
		assert_int_equal(st.records, cut == framed ? 5 : 4);
		assert_int_equal(st.corrupt, torn ? 1 : 0);
		assert_int_equal(file_size(path), (long)(torn ? start :
		    start + cut));
		/* What follows the cut goes right after the good records. */
		append_n(s, 9, 1, 24);
		spool_close(s);
		s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
		assert_int_equal(stats(s).corrupt, 0);
		for (i = 0; i < 4; i++)
			expect_rec(s, i, 20 + i);
		if (cut == framed)
			expect_rec(s, 4, 24);
		expect_rec(s, 9, 24);
		expect_empty(s);
		spool_close(s);
		wipe(f);
	}
}

static void
test_torn_tail_every_offset(void **state)
{
	struct fix *f = *state;

	torn_tail(f, 1 << 20); /* all five in one segment */
	torn_tail(f, 10);      /* each in a segment of its own */
}

/* The layout of five records of 20..24 bytes: where record i starts. */
static size_t
rec_start(unsigned i, unsigned first)
{
	size_t off = 0;
	unsigned k;

	for (k = first; k < i; k++)
		off += SPOOL_REC_HDR + 20 + k;
	return off;
}

/* Drains the spool, checking each record is exactly one of the five. */
static unsigned
drain_indexes(struct spool *s, unsigned *out, unsigned max)
{
	const uint8_t *rec;
	size_t len;
	unsigned n = 0, i;
	int rc;

	while ((rc = spool_peek(s, &rec, &len)) == 1) {
		uint8_t want[64];

		assert_true(n < max);
		assert_true(len >= 20 && len <= 24);
		i = (unsigned)(len - 20);
		make_rec(i, want, len);
		assert_memory_equal(rec, want, len);
		out[n++] = i;
		assert_int_equal(spool_ack(s), 0);
	}
	assert_int_equal(rc, 0);
	return n;
}

/*
 * Every byte of the segments flipped in turn: the record it belongs to is
 * never delivered, the others come in order and intact unless they sit
 * behind a damaged header in the same segment, damage never crosses into
 * another segment, and it is counted.
 */
static void
flip_every_byte(struct fix *f, uint64_t seg_bytes, unsigned nsegs)
{
	static uint8_t orig[2][256];
	size_t olen[2], pos;
	unsigned first_of[2] = { 0, 3 };
	char path[2][160];
	struct spool *s;
	unsigned k, i;

	s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
	for (i = 0; i < 5; i++) {
		uint8_t buf[64];

		make_rec(i, buf, 20 + i);
		assert_int_equal(spool_append(s, buf, 20 + i, 0), 0);
	}
	spool_close(s);
	for (k = 0; k < nsegs; k++) {
		seg_path(f, k + 1, path[k], sizeof(path[k]));
		olen[k] = read_file(path[k], orig[k], sizeof(orig[k]));
	}
	assert_int_equal(olen[0], nsegs == 1 ? 155 : 90);

	for (k = 0; k < nsegs; k++) {
		for (pos = 0; pos < olen[k]; pos++) {
			unsigned got[8], n, hit = 0, j;
			size_t start;
			struct spool_stats st;
			bool body;

			wipe(f);
			spool_close(open_ok(f, 1 << 20, seg_bytes,
			    SPOOL_FSYNC_NEVER));
			for (j = 0; j < nsegs; j++) {
				orig[j][pos] ^= j == k ? 0x40 : 0;
				write_file(path[j], orig[j], olen[j]);
				orig[j][pos] ^= j == k ? 0x40 : 0;
			}
			/* The record holding the flipped byte. */
			for (i = nsegs == 1 ? 0 : first_of[k]; i < 5; i++)
				if (rec_start(i + 1, nsegs == 1 ? 0 :
				    first_of[k]) > pos) {
					hit = i;
					break;
				}
			start = rec_start(hit, nsegs == 1 ? 0 : first_of[k]);
			body = pos - start >= 5; /* CRC or payload */

			s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
			n = drain_indexes(s, got, 8);
			st = stats(s);
			assert_int_equal(st.records, 0);
			assert_int_equal(st.bytes, 0);
			assert_true(st.corrupt >= 1);
			for (j = 0; j < n; j++) {
				assert_int_not_equal(got[j], hit);
				if (j > 0)
					assert_true(got[j] > got[j - 1]);
			}
			if (body) {
				assert_int_equal(n, 4);
				assert_int_equal(st.corrupt, 1);
			}
			if (nsegs == 2 && k == 0) {
				assert_true(n >= 2);
				assert_int_equal(got[n - 2], 3);
				assert_int_equal(got[n - 1], 4);
			}
			spool_close(s);
		}
	}
	wipe(f);
}

static void
test_flip_every_byte(void **state)
{
	struct fix *f = *state;

	flip_every_byte(f, 1 << 20, 1);
	flip_every_byte(f, 95, 2); /* records 0-2, then 3-4 */
}

static void
five_records(struct fix *f, uint64_t seg_bytes)
{
	struct spool *s = open_ok(f, 1 << 20, seg_bytes, SPOOL_FSYNC_NEVER);
	unsigned i;

	for (i = 0; i < 5; i++) {
		uint8_t buf[64];

		make_rec(i, buf, 20 + i);
		assert_int_equal(spool_append(s, buf, 20 + i, 0), 0);
	}
	spool_close(s);
}

static void
test_checksum_mismatch_logged(void **state)
{
	struct fix *f = *state;
	char path[160], out[1024], want[512];
	struct spool *s;

	five_records(f, 1 << 20);
	seg_path(f, 1, path, sizeof(path));
	flip_byte(path, 59 + SPOOL_REC_HDR + 3); /* record 2's payload */
	s = open_ok(f, 1 << 20, 1 << 20, SPOOL_FSYNC_NEVER);
	assert_int_equal(stats(s).records, 5); /* checked when read */
	log_set_level(LOG_LEVEL_WARN);
	capture_begin(f);
	expect_rec(s, 0, 20);
	expect_rec(s, 1, 21);
	expect_rec(s, 3, 23);
	capture_end(out, sizeof(out));
	log_set_level(LOG_LEVEL_ERR);
	snprintf(want, sizeof(want), "exfild: spool %s: 0000000000000001.seg: "
	    "record at offset 59: checksum mismatch: skipped\n", f->dir);
	assert_string_equal(out, want);
	expect_rec(s, 4, 24);
	expect_empty(s);
	assert_int_equal(stats(s).corrupt, 1);
	assert_int_equal(stats(s).records, 0);
	spool_close(s);
}

/* A bad header in a segment that is not the last: the rest of it is
 * skipped (the file stays as it is), the next segment is read. */
static void
test_damaged_middle_segment(void **state)
{
	struct fix *f = *state;
	char path[160], out[1024], want[512];
	struct spool *s;

	five_records(f, 95);
	seg_path(f, 1, path, sizeof(path));
	flip_byte(path, 29); /* record 1's magic */
	log_set_level(LOG_LEVEL_WARN);
	capture_begin(f);
	s = open_ok(f, 1 << 20, 95, SPOOL_FSYNC_NEVER);
	capture_end(out, sizeof(out));
	log_set_level(LOG_LEVEL_ERR);
	snprintf(want, sizeof(want), "exfild: spool %s: 0000000000000001.seg: "
	    "offset 29: bad record magic: the 61 bytes after it skipped\n",
	    f->dir);
	assert_string_equal(out, want);
	assert_int_equal(stats(s).records, 3);
	assert_int_equal(stats(s).bytes, 29 + 32 + 33);
	assert_int_equal(stats(s).corrupt, 1);
	assert_int_equal(file_size(path), 90);
	expect_rec(s, 0, 20);
	expect_rec(s, 3, 23);
	expect_rec(s, 4, 24);
	expect_empty(s);
	seg_path(f, 1, path, sizeof(path));
	assert_false(exists(path)); /* used up, removed */
	spool_close(s);
}

/* Bytes changed under a running spool are caught when read. */
static void
test_damaged_while_open(void **state)
{
	struct fix *f = *state;
	char path[160];
	struct spool *s;
	unsigned i;

	s = open_ok(f, 1 << 20, 1 << 20, SPOOL_FSYNC_NEVER);
	for (i = 0; i < 5; i++) {
		uint8_t buf[64];

		make_rec(i, buf, 20 + i);
		assert_int_equal(spool_append(s, buf, 20 + i, 0), 0);
	}
	seg_path(f, 1, path, sizeof(path));
	flip_byte(path, 59); /* record 2's magic */
	expect_rec(s, 0, 20);
	expect_rec(s, 1, 21);
	expect_empty(s);
	assert_int_equal(stats(s).corrupt, 1);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).bytes, 0);
	/* Still usable: the next record is appended after the damage. */
	append_n(s, 7, 1, REC_LEN);
	expect_rec(s, 7, REC_LEN);
	spool_close(s);
}

/* ---- the head file ---- */

/* Six records, two per segment; three acked (segment 1 is gone). */
static void
head_fixture(struct fix *f)
{
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);

	append_n(s, 0, 6, REC_LEN);
	expect_rec(s, 0, REC_LEN);
	expect_rec(s, 1, REC_LEN);
	expect_rec(s, 2, REC_LEN);
	spool_close(s);
}

static void
expect_after_head(struct fix *f, uint64_t records, uint64_t corrupt,
    unsigned first)
{
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	unsigned i;

	assert_int_equal(stats(s).records, records);
	assert_int_equal(stats(s).bytes, records * FRAMED);
	assert_int_equal(stats(s).corrupt, corrupt);
	for (i = first; i < 6; i++)
		expect_rec(s, i, REC_LEN);
	expect_empty(s);
	spool_close(s);
	wipe(f);
}

static void
test_head_recovery(void **state)
{
	struct fix *f = *state;
	char path[160], seg[160], out[1024], want[1024];

	path_of(f, "head", path, sizeof(path));

	head_fixture(f); /* as written: segment 2, offset 39 */
	seg_path(f, 1, seg, sizeof(seg));
	assert_false(exists(seg));
	assert_int_equal(file_size(path), 25);
	expect_after_head(f, 3, 0, 3);

	head_fixture(f);
	write_file(path, "garbage", 7);
	log_set_level(LOG_LEVEL_WARN);
	capture_begin(f);
	spool_close(open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER));
	capture_end(out, sizeof(out));
	log_set_level(LOG_LEVEL_ERR);
	snprintf(want, sizeof(want), "exfild: spool %s: head: 7 bytes, not "
	    "25\nexfild: spool %s: delivering again from the oldest segment\n",
	    f->dir, f->dir);
	assert_string_equal(out, want);
	/* That open wrote a good head again: from record 2 on. */
	expect_after_head(f, 4, 0, 2);

	head_fixture(f);
	write_file(path, "garbage", 7);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* not a record's start */
	write_head_file(f, 2, 5);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* past the end */
	write_head_file(f, 2, 1000);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* a segment that is not there, newer than all */
	write_head_file(f, 9, 0);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* checksum */
	write_head_file(f, 2, 39);
	flip_byte(path, 24);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* a symbolic link is not followed */
	unlink(path);
	assert_int_equal(symlink("0000000000000002.seg", path), 0);
	expect_after_head(f, 4, 1, 2);

	head_fixture(f); /* older than all (its removal done, not the
			    head's update): nothing amiss */
	write_head_file(f, 1, 39);
	expect_after_head(f, 4, 0, 2);

	head_fixture(f); /* at the end of segment 2: it is used up */
	write_head_file(f, 2, 78);
	expect_after_head(f, 2, 0, 4);

	head_fixture(f); /* segment 3: segment 2 was acked, now removed */
	write_head_file(f, 3, 0);
	seg_path(f, 2, seg, sizeof(seg));
	spool_close(open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER));
	assert_false(exists(seg));
	expect_after_head(f, 2, 0, 4);
}

/* ---- the cap ---- */

static void
test_full_drops_oldest(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 5 * FRAMED, SEG2, SPOOL_FSYNC_NEVER);
	struct spool_stats st;
	char out[1024], want[1024];
	uint8_t buf[64];

	append_n(s, 0, 5, REC_LEN);
	assert_int_equal(stats(s).dropped_records, 0);
	log_set_level(LOG_LEVEL_WARN);
	capture_begin(f);
	make_rec(5, buf, REC_LEN);
	assert_int_equal(spool_append(s, buf, REC_LEN, 1 * SEC), 0);
	make_rec(6, buf, 60); /* 69 bytes: two more go */
	assert_int_equal(spool_append(s, buf, 60, 2 * SEC), 0);
	make_rec(7, buf, REC_LEN);
	assert_int_equal(spool_append(s, buf, REC_LEN, 3 * SEC), 0);
	make_rec(8, buf, REC_LEN); /* 10 s after the first line */
	assert_int_equal(spool_append(s, buf, REC_LEN, 11 * SEC), 0);
	capture_end(out, sizeof(out));
	snprintf(want, sizeof(want),
	    "exfild: spool %s: full (max 195 bytes): dropped 1 oldest alerts\n"
	    "exfild: spool %s: full (max 195 bytes): dropped 4 oldest alerts\n",
	    f->dir, f->dir);
	assert_string_equal(out, want);

	st = stats(s);
	assert_int_equal(st.dropped_records, 5);
	assert_int_equal(st.dropped_bytes, 5 * FRAMED);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.bytes, 3 * FRAMED + 69);
	assert_int_equal(st.appended, 9);
	assert_true(st.bytes <= 5 * FRAMED);

	/* A drop not logged yet is logged at close. */
	capture_begin(f);
	make_rec(9, buf, REC_LEN);
	assert_int_equal(spool_append(s, buf, REC_LEN, 12 * SEC), 0);
	expect_rec(s, 6, 60);
	expect_rec(s, 7, REC_LEN);
	spool_close(s);
	capture_end(out, sizeof(out));
	log_set_level(LOG_LEVEL_ERR);
	snprintf(want, sizeof(want),
	    "exfild: spool %s: full (max 195 bytes): dropped 1 oldest alerts\n",
	    f->dir);
	assert_string_equal(out, want);

	s = open_ok(f, 5 * FRAMED, SEG2, SPOOL_FSYNC_NEVER);
	expect_rec(s, 8, REC_LEN);
	expect_rec(s, 9, REC_LEN);
	expect_empty(s);
	spool_close(s);
}

/* Reopened with a smaller cap: the next append brings it under. */
static void
test_smaller_cap_after_restart(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 10 * FRAMED, SEG2, SPOOL_FSYNC_NEVER);
	struct spool_stats st;

	append_n(s, 0, 10, REC_LEN);
	spool_close(s);
	s = open_ok(f, 5 * FRAMED, SEG2, SPOOL_FSYNC_NEVER);
	assert_int_equal(stats(s).bytes, 10 * FRAMED);
	append_n(s, 10, 1, REC_LEN);
	st = stats(s);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.bytes, 5 * FRAMED);
	assert_int_equal(st.dropped_records, 6);
	assert_int_equal(st.dropped_bytes, 6 * FRAMED);
	expect_rec(s, 6, REC_LEN);
	spool_close(s);
}

/* The record being sent is dropped to make room: its ack forgets nothing
 * else. */
static void
test_drop_while_peeked(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 3 * FRAMED, SEG2, SPOOL_FSYNC_NEVER);
	const uint8_t *rec;
	size_t len;

	append_n(s, 0, 3, REC_LEN);
	assert_int_equal(spool_peek(s, &rec, &len), 1);
	append_n(s, 3, 1, REC_LEN); /* drops record 0 */
	assert_int_equal(spool_ack(s), 0);
	assert_int_equal(stats(s).acked, 0);
	assert_int_equal(stats(s).records, 3);
	expect_rec(s, 1, REC_LEN);
	expect_rec(s, 2, REC_LEN);
	expect_rec(s, 3, REC_LEN);
	expect_empty(s);
	spool_close(s);
}

static void
test_refused_records(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 100, SEG2, SPOOL_FSYNC_NEVER);
	uint8_t *big = malloc(SPOOL_MAX_RECORD + 1);
	char want[512];
	const uint8_t *rec;
	size_t len;

	assert_non_null(big);
	make_rec(1, big, 92); /* 101 bytes on disk: never fits */
	assert_int_equal(spool_append(s, big, 92, 0), -1);
	snprintf(want, sizeof(want), "spool %s: record of 92 bytes refused: "
	    "larger than the whole spool", f->dir);
	assert_string_equal(spool_error(s), want);
	assert_int_equal(stats(s).dropped_records, 1);
	assert_int_equal(stats(s).dropped_bytes, 101);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(spool_append(s, big, 0, 0), -1);
	snprintf(want, sizeof(want), "spool %s: record of 0 bytes refused: "
	    "empty", f->dir);
	assert_string_equal(spool_error(s), want);
	make_rec(2, big, 91); /* exactly 100 */
	assert_int_equal(spool_append(s, big, 91, 0), 0);
	assert_int_equal(stats(s).bytes, 100);
	expect_rec(s, 2, 91);
	spool_close(s);
	wipe(f);

	s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	memset(big, 'x', SPOOL_MAX_RECORD + 1);
	assert_int_equal(spool_append(s, big, SPOOL_MAX_RECORD + 1, 0), -1);
	snprintf(want, sizeof(want), "spool %s: record of 65537 bytes refused: "
	    "longer than a spool record (65536)", f->dir);
	assert_string_equal(spool_error(s), want);
	big[SPOOL_MAX_RECORD - 1] = 'y';
	assert_int_equal(spool_append(s, big, SPOOL_MAX_RECORD, 0), 0);
	spool_close(s);
	s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	assert_int_equal(spool_peek(s, &rec, &len), 1);
	assert_int_equal(len, SPOOL_MAX_RECORD);
	assert_memory_equal(rec, big, SPOOL_MAX_RECORD);
	assert_int_equal(stats(s).dropped_records, 0);
	spool_close(s);
	free(big);
}

/* A record bigger than a segment gets one of its own. */
static void
test_big_record_own_segment(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	char path[160];

	append_n(s, 0, 1, REC_LEN);
	append_n(s, 1, 1, 200);
	append_n(s, 2, 1, REC_LEN);
	seg_path(f, 1, path, sizeof(path));
	assert_int_equal(file_size(path), FRAMED);
	seg_path(f, 2, path, sizeof(path));
	assert_int_equal(file_size(path), SPOOL_REC_HDR + 200);
	seg_path(f, 3, path, sizeof(path));
	assert_int_equal(file_size(path), FRAMED);
	expect_rec(s, 0, REC_LEN);
	expect_rec(s, 1, 200);
	expect_rec(s, 2, REC_LEN);
	spool_close(s);
}

/* ---- fsync policies, seen in the syncs count ---- */

static void
test_fsync_always(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_ALWAYS);

	append_n(s, 0, 1, REC_LEN); /* data + directory (new segment) */
	assert_int_equal(stats(s).syncs, 2);
	append_n(s, 1, 1, REC_LEN);
	assert_int_equal(stats(s).syncs, 3);
	append_n(s, 2, 1, REC_LEN);
	assert_int_equal(stats(s).syncs, 5);
	assert_int_equal(spool_sync(s, 0), 0); /* nothing acked */
	assert_int_equal(stats(s).syncs, 5);
	expect_rec(s, 0, REC_LEN);
	assert_int_equal(spool_sync(s, SEC), 0); /* the head */
	assert_int_equal(stats(s).syncs, 6);
	expect_rec(s, 1, REC_LEN); /* segment 1 used up: the head */
	assert_int_equal(stats(s).syncs, 7);
	spool_close(s);
}

static void
test_fsync_interval(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_INTERVAL);
	uint8_t buf[64];

	make_rec(0, buf, REC_LEN);
	assert_int_equal(spool_append(s, buf, REC_LEN, 10 * SEC), 0);
	assert_int_equal(stats(s).syncs, 2); /* first: data + directory */
	make_rec(1, buf, REC_LEN);
	assert_int_equal(spool_append(s, buf, REC_LEN, 10 * SEC + SEC / 2), 0);
	assert_int_equal(stats(s).syncs, 2);
	assert_int_equal(spool_sync(s, 10 * SEC + 999000000ULL), 0);
	assert_int_equal(stats(s).syncs, 2);
	assert_int_equal(spool_sync(s, 11 * SEC), 0);
	assert_int_equal(stats(s).syncs, 3);
	assert_int_equal(spool_sync(s, 12 * SEC), 0); /* nothing new */
	assert_int_equal(stats(s).syncs, 3);
	make_rec(2, buf, REC_LEN); /* a new segment, not synced yet */
	assert_int_equal(spool_append(s, buf, REC_LEN, 12 * SEC + 1), 0);
	assert_int_equal(stats(s).syncs, 3);
	expect_rec(s, 0, REC_LEN);
	assert_int_equal(spool_sync(s, 13 * SEC), 0); /* data, dir, head */
	assert_int_equal(stats(s).syncs, 6);
	spool_close(s);
}

static void
test_fsync_never(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	unsigned i;

	append_n(s, 0, 5, REC_LEN);
	for (i = 0; i < 3; i++) /* segment 1 used up: head written */
		expect_rec(s, i, REC_LEN);
	assert_int_equal(spool_sync(s, 0), 0);
	assert_int_equal(spool_sync(s, 100 * SEC), 0);
	assert_int_equal(stats(s).syncs, 0);
	spool_close(s);
	s = open_ok(f, 1 << 20, SEG2, SPOOL_FSYNC_NEVER);
	assert_int_equal(stats(s).records, 2);
	expect_rec(s, 3, REC_LEN);
	spool_close(s);
}

/* ---- the bytes on disk, as spool.h describes them ---- */

static size_t
put_record(uint8_t *out, const char *payload, bool crc_with_len)
{
	size_t len = strlen(payload);
	uLong crc = crc32(0L, Z_NULL, 0);

	out[0] = 0xE5;
	out[1] = 0;
	out[2] = 0;
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	if (crc_with_len)
		crc = crc32(crc, out + 1, 4);
	crc = crc32(crc, (const Bytef *)payload, (uInt)len);
	out[5] = (uint8_t)(crc >> 24);
	out[6] = (uint8_t)(crc >> 16);
	out[7] = (uint8_t)(crc >> 8);
	out[8] = (uint8_t)crc;
	memcpy(out + 9, payload, len);
	return 9 + len;
}

static void
test_format_on_disk(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	uint8_t want[64], got[64], head[64];
	char path[160], hpath[160];
	const uint8_t *rec;
	size_t n, len;

	assert_int_equal(spool_append(s, "hello", 5, 0), 0);
	assert_int_equal(spool_append(s, "hi", 2, 0), 0);
	assert_int_equal(spool_peek(s, &rec, &len), 1);
	assert_int_equal(spool_ack(s), 0);
	spool_close(s);

	n = put_record(want, "hello", true);
	n += put_record(want + n, "hi", true);
	seg_path(f, 1, path, sizeof(path));
	assert_int_equal(read_file(path, got, sizeof(got)), n);
	assert_memory_equal(got, want, n);
	path_of(f, "head", hpath, sizeof(hpath));
	assert_int_equal(read_file(hpath, head, sizeof(head)), 25);
	write_head_file(f, 1, 14);
	assert_int_equal(read_file(hpath, got, sizeof(got)), 25);
	assert_memory_equal(head, got, 25);

	/* The checksum covers the length too: payload alone is damage. */
	wipe(f);
	spool_close(open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER));
	n = put_record(want, "hello", false);
	n += put_record(want + n, "hi", true);
	write_file(path, want, n);
	s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	assert_int_equal(spool_peek(s, &rec, &len), 1);
	assert_int_equal(len, 2);
	assert_memory_equal(rec, "hi", 2);
	assert_int_equal(stats(s).corrupt, 1);
	spool_close(s);
}

/* ---- refusals and failures ---- */

static void
expect_open_error(struct fix *f, const char *dir, const char *want)
{
	char err[512] = "";

	assert_null(spool_open(dir, 1 << 20, 0, SPOOL_FSYNC_NEVER, 0, err,
	    sizeof(err)));
	assert_string_equal(err, want);
	(void)f;
}

static void
test_open_errors(void **state)
{
	struct fix *f = *state;
	char path[160], real[160], want[512];
	struct spool *s;
	struct stat st;

	snprintf(path, sizeof(path), "%s/file", f->base);
	write_file(path, "x", 1);
	snprintf(path, sizeof(path), "%s/file/spool", f->base);
	snprintf(want, sizeof(want), "spool %s: mkdir %s: Not a directory",
	    path, path);
	expect_open_error(f, path, want);

	snprintf(real, sizeof(real), "%s/real", f->base);
	assert_int_equal(mkdir(real, 0700), 0);
	snprintf(path, sizeof(path), "%s/link", f->base);
	assert_int_equal(symlink(real, path), 0);
	snprintf(want, sizeof(want), "spool %s: a symbolic link: refused", path);
	expect_open_error(f, path, want);

	snprintf(want, sizeof(want), "spool %s: size 0", f->dir);
	assert_null(spool_open(f->dir, 0, 0, SPOOL_FSYNC_NEVER, 0, want,
	    sizeof(want)));
	snprintf(path, sizeof(path), "spool %s: size 0", f->dir);
	assert_string_equal(want, path);
	expect_open_error(f, "", "spool : no directory");

	s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(want, sizeof(want), "spool %s: in use by another process",
	    f->dir);
	expect_open_error(f, f->dir, want);
	spool_close(s);
	spool_close(open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER)); /* unlocked */

	assert_int_equal(chmod(f->dir, 0770), 0);
	snprintf(want, sizeof(want), "spool %s: writable by group or others: "
	    "refused (chmod 0700)", f->dir);
	expect_open_error(f, f->dir, want);
}

/* A write that fails midway (here the file size limit, as a full disk
 * would) leaves the spool as it was. */
static void
test_write_error(void **state)
{
	struct fix *f = *state;
	struct spool *s = open_ok(f, 1 << 20, 1 << 20, SPOOL_FSYNC_NEVER);
	struct rlimit old, lim;
	char path[160], want[512];
	uint8_t buf[64];
	int rc;

	append_n(s, 0, 2, REC_LEN); /* 78 bytes */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 100;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	make_rec(2, buf, REC_LEN);
	rc = spool_append(s, buf, REC_LEN, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "spool %s: 0000000000000001.seg: write: "
	    "File too large", f->dir);
	assert_string_equal(spool_error(s), want);
	assert_int_equal(stats(s).records, 2);
	assert_int_equal(stats(s).appended, 2);
	seg_path(f, 1, path, sizeof(path));
	assert_int_equal(file_size(path), 78);
	append_n(s, 3, 1, REC_LEN);
	spool_close(s);
	s = open_ok(f, 1 << 20, 1 << 20, SPOOL_FSYNC_NEVER);
	assert_int_equal(stats(s).corrupt, 0);
	expect_rec(s, 0, REC_LEN);
	expect_rec(s, 1, REC_LEN);
	expect_rec(s, 3, REC_LEN);
	expect_empty(s);
	spool_close(s);
}

/* Names that are not segments are left alone; a segment name that is not
 * a regular file is ignored (and counted); new numbers go past both. */
static void
test_foreign_names(void **state)
{
	struct fix *f = *state;
	static const char *const others[] = {
		"foo", "0000000000000001.SEG", "000000000000000g.seg",
		"00000000000000001.seg", "0000000000000001.seg~",
	};
	char path[160];
	struct spool *s;
	size_t i;

	spool_close(open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER));
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		path_of(f, others[i], path, sizeof(path));
		write_file(path, "\xe5\x00\x00\x00\x01xxxxz", 10);
	}
	path_of(f, "head.tmp", path, sizeof(path));
	write_file(path, "junk", 4);
	path_of(f, "0000000000000003.seg", path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
	path_of(f, "0000000000000002.seg", path, sizeof(path));
	assert_int_equal(symlink("foo", path), 0);

	s = open_ok(f, 1 << 20, 0, SPOOL_FSYNC_NEVER);
	assert_int_equal(stats(s).records, 0);
	assert_int_equal(stats(s).corrupt, 2);
	path_of(f, "head.tmp", path, sizeof(path));
	assert_false(exists(path));
	append_n(s, 0, 1, REC_LEN);
	seg_path(f, 4, path, sizeof(path));
	assert_int_equal(file_size(path), FRAMED);
	expect_rec(s, 0, REC_LEN);
	spool_close(s);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		path_of(f, others[i], path, sizeof(path));
		assert_int_equal(file_size(path), 10);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_across_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_then_more, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_redelivers_not_loses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flip_every_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_mismatch_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_middle_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_while_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_while_peeked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smaller_cap_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_record_own_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_always, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_never, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_on_disk, setup, teardown),
	};

	log_init("test_spool", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
