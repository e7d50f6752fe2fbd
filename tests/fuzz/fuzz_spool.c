/*
 * fuzz_spool.c - libFuzzer target for the spool's reading of its own
 * directory (src/output/spool.c), every byte of which is untrusted. The input
 * makes the directory:
 *     u8 flags (bit 0: the first file is the head file), u8 segment size,
 *     u8 spool size, u8 spool size after a restart, then up to 4 files:
 *     u8 segment number, be16 length, that many bytes (fewer when the
 *     input ends)
 * and the spool must open it, count the same records again after a close
 * and reopen (with another cap), hand out only well-formed records and
 * end empty, get within its cap by an append, and then take new records
 * and give them back intact.
 *
 *   make build-fuzz/fuzz_spool
 *   cp -r tests/fuzz/corpus_spool /tmp/c  # libFuzzer adds to it
 *   ./build-fuzz/fuzz_spool -max_total_time=60 /tmp/c
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/output/spool.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base_dir[64];
static char spool_dir[96];

/* Empties the spool directory (it holds only plain files). */
static void
clear_dir(void)
{
	struct dirent *de;
	DIR *d = opendir(spool_dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[384];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", spool_dir, de->d_name);
		if (unlink(path) != 0)
			abort();
	}
	closedir(d);
}

static void
remove_dirs(void)
{
	clear_dir();
	rmdir(spool_dir);
	rmdir(base_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", true, LOG_LEVEL_ERR);
	strcpy(base_dir, "/tmp/fuzz-spool-XXXXXX");
	if (mkdtemp(base_dir) == NULL)
		abort();
	snprintf(spool_dir, sizeof(spool_dir), "%s/s", base_dir);
	atexit(remove_dirs);
	return 0;
}

static void
put_file(const char *name, const uint8_t *p, size_t n)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", spool_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (n > 0 && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static struct spool *
open_spool(uint64_t max, uint64_t seg)
{
	char err[512];
	struct spool *s = spool_open(spool_dir, max, seg, SPOOL_FSYNC_NEVER, 0,
	    err, sizeof(err));

	if (s == NULL) {
		fprintf(stderr, "open: %s\n", err);
		abort();
	}
	return s;
}

static struct spool_stats
stats(const struct spool *s)
{
	struct spool_stats st;

	spool_get_stats(s, &st);
	return st;
}

/* Record i of the round trip: its length and bytes follow from i. */
static size_t
fill(unsigned i, uint8_t *buf)
{
	size_t len = 1 + i * 7 % 40;

	memset(buf, 'A' + (int)i, len);
	buf[0] = (uint8_t)i;
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_stats st0, st;
	struct cursor c;
	struct spool *s;
	uint64_t seg, max, max2;
	const uint8_t *rec;
	uint8_t flags, buf[64];
	size_t len, want;
	unsigned i, n;

	cur_init(&c, data, size);
	flags = cur_u8(&c);
	seg = 16 + (uint64_t)cur_u8(&c) * 8;
	max = 256 + (uint64_t)cur_u8(&c) * 64;
	max2 = 64 + (uint64_t)cur_u8(&c) * 16;
	if (c.err)
		return 0;
	if (mkdir(spool_dir, 0700) != 0)
		clear_dir();
	for (i = 0; i < 4 && cur_left(&c) >= 3; i++) {
		uint8_t num = cur_u8(&c);
		size_t flen = cur_be16(&c);
		struct cursor body;
		char name[32];

		if (flen > cur_left(&c))
			flen = cur_left(&c);
		body = cur_sub(&c, flen);
		if (i == 0 && (flags & 1) != 0)
			snprintf(name, sizeof(name), "head");
		else
			snprintf(name, sizeof(name), "%016x.seg", num);
		put_file(name, body.p, body.len);
	}

	/* The counts do not change by a close and reopen. */
	s = open_spool(max, seg);
	st0 = stats(s);
	spool_close(s);
	s = open_spool(max2, seg);
	st = stats(s);
	if (st.records != st0.records || st.bytes != st0.bytes) {
		fprintf(stderr, "reopen: %llu records %llu bytes, then %llu, "
		    "%llu\n", (unsigned long long)st0.records,
		    (unsigned long long)st0.bytes,
		    (unsigned long long)st.records, (unsigned long long)st.bytes);
		abort();
	}

	/* One append may drop old records to stay within the cap. */
	n = (unsigned)fill(0, buf);
	if (spool_append(s, buf, n, 0) != 0 || stats(s).bytes > max2)
		abort();

	/* Drain: no more records than counted, each well-formed. */
	n = 0;
	while (spool_peek(s, &rec, &len) == 1) {
		if (len == 0 || len > SPOOL_MAX_RECORD || ++n > st.records + 1)
			abort();
		if (spool_ack(s) != 0)
			abort();
	}
	st = stats(s);
	if (st.records != 0 || st.bytes != 0)
		abort();

	/* New records after whatever was there come back intact. */
	spool_close(s);
	s = open_spool(max, seg);
	for (i = 1; i <= 5; i++) {
		n = (unsigned)fill(i, buf);
		if (spool_append(s, buf, n, 0) != 0)
			abort();
	}
	spool_close(s);
	s = open_spool(max, seg);
	for (i = 1; i <= 5; i++) {
		want = fill(i, buf);
		if (spool_peek(s, &rec, &len) != 1 || len != want ||
		    memcmp(rec, buf, len) != 0 || spool_ack(s) != 0)
			abort();
	}
	if (spool_peek(s, &rec, &len) != 0)
		abort();
	spool_close(s);
	return 0;
}
