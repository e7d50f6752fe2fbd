/*
 * spool.c - bounded on-disk FIFO of records for one output: append-only
 * checksummed segments and an atomically replaced head file (the format is
 * in spool.h). Every byte read back from disk is untrusted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/output/spool.h"
#include "exfild/util/util.h"

#define REC_MAGIC 0xE5
#define HEAD_NAME "head"
#define HEAD_TMP "head.tmp"
#define HEAD_MAGIC "EXSP"
#define HEAD_VERSION 1
#define HEAD_LEN 25
#define SEG_DIGITS 16
#define SEG_NAME_LEN (SEG_DIGITS + 4) /* + ".seg" */
#define BUF_LEN (SPOOL_REC_HDR + SPOOL_MAX_RECORD)
#define CORRUPT_LOG_MAX 8

/* One segment file; the counts cover its records from the head on. */
struct segment {
	uint64_t num;
	uint64_t end;     /* bytes of whole, well-framed records */
	uint64_t records;
	uint64_t bytes;
};

struct spool {
	char *dir;
	int dirfd;
	uint64_t max_bytes;
	uint64_t segment_bytes;
	enum spool_fsync policy;
	uint64_t sync_ns;          /* spool_sync period */

	struct segment *segs;      /* oldest first; segs[0] holds the head */
	size_t nsegs, capsegs;
	uint64_t next_num;         /* number of the next new segment */
	bool nums_used_up;
	uint64_t head_off;         /* offset of the oldest record in segs[0] */
	int rfd;                   /* segs[0], opened when needed */
	int wfd;                   /* segs[nsegs - 1], opened when needed */

	uint8_t *buf;              /* the record peek returns */
	bool peeked;
	uint64_t peek_num, peek_off, peek_framed;

	bool head_dirty, data_dirty, dir_dirty;
	uint64_t acks_unwritten;
	bool head_warned, sync_warned;
	bool sync_started;
	uint64_t last_sync_ns;

	uint64_t drops_unlogged;
	bool drop_logged;
	uint64_t last_drop_log_ns;
	unsigned corrupt_logged;

	struct spool_stats st;
	char err[512];
};

static void set_err(struct spool *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static void note_corrupt(struct spool *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* "spool <dir>: " + the message, kept for spool_error(). */
static void
set_err(struct spool *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(s->err, sizeof(s->err), "spool %s: ", s->dir);
	if (n < 0 || (size_t)n >= sizeof(s->err))
		return;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof(s->err) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Damage found on disk: counted always, logged the first few times. */
static void
note_corrupt(struct spool *s, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	s->st.corrupt++;
	if (s->corrupt_logged >= CORRUPT_LOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->corrupt_logged++;
	log_warnx("spool %s: %s%s", s->dir, msg,
	    s->corrupt_logged == CORRUPT_LOG_MAX ?
	    " (more damage is counted, not logged)" : "");
}

static void
seg_name(uint64_t num, char out[SEG_NAME_LEN + 1])
{
	snprintf(out, SEG_NAME_LEN + 1, "%016" PRIx64 ".seg", num);
}

/* Exactly 16 lowercase hex digits and ".seg", so one name per number. */
static bool
parse_seg_name(const char *name, uint64_t *num)
{
	uint64_t v = 0;
	size_t i;

	if (strlen(name) != SEG_NAME_LEN || strcmp(name + SEG_DIGITS, ".seg") != 0)
		return false;
	for (i = 0; i < SEG_DIGITS; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*num = v;
	return true;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

static uint64_t
cur_be64(struct cursor *c)
{
	uint64_t hi = cur_be32(c);

	return hi << 32 | cur_be32(c);
}

/* CRC-32 of a record: its 4 length bytes, then the payload. */
static uint32_t
record_crc(const uint8_t *len_bytes, const uint8_t *payload, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, len_bytes, 4);
	crc = crc32(crc, payload, (uInt)len);
	return (uint32_t)crc;
}

/* Reads up to n bytes at off (fewer only at the end of the file). */
static ssize_t
read_at(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int
write_at(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t put = 0;

	while (put < n) {
		ssize_t r = pwrite(fd, buf + put, n - put, (off_t)(off + put));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = ENOSPC;
			return -1;
		}
		put += (size_t)r;
	}
	return 0;
}

/* A failure is logged once until an fsync succeeds again. */
static int
sync_fd(struct spool *s, int fd, const char *what)
{
	s->st.syncs++;
	if (fsync(fd) != 0) {
		set_err(s, "%s: fsync: %s", what, strerror(errno));
		if (!s->sync_warned)
			log_warnx("%s", s->err);
		s->sync_warned = true;
		return -1;
	}
	s->sync_warned = false;
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * The head file; with any fsync policy but NEVER it is durable before it
 * replaces the old one. A failure is logged once until a write succeeds:
 * the old head only means records delivered again after a restart.
 */
static int
write_head(struct spool *s)
{
	uint8_t rec[HEAD_LEN];
	int fd, saved;

	if (s->nsegs == 0) {
		s->head_dirty = false;
		return 0;
	}
	memcpy(rec, HEAD_MAGIC, 4);
	rec[4] = HEAD_VERSION;
	put_be64(rec + 5, s->segs[0].num);
	put_be64(rec + 13, s->head_off);
	put_be32(rec + 21, (uint32_t)crc32(crc32(0L, Z_NULL, 0), rec, 21));
	fd = openat(s->dirfd, HEAD_TMP,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (write_at(fd, rec, sizeof(rec), 0) != 0)
		goto fail_close;
	if (s->policy != SPOOL_FSYNC_NEVER) {
		s->st.syncs++;
		if (fsync(fd) != 0)
			goto fail_close;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(s->dirfd, HEAD_TMP, s->dirfd, HEAD_NAME) != 0)
		goto fail;
	s->head_dirty = false;
	s->acks_unwritten = 0;
	s->head_warned = false;
	return 0;
fail_close:
	saved = errno;
	close(fd);
	errno = saved;
fail:
	set_err(s, "head: write: %s", strerror(errno));
	if (!s->head_warned)
		log_warnx("%s (records may be delivered twice after a restart)",
		    s->err);
	s->head_warned = true;
	return -1;
}

static int
open_segment(struct spool *s, uint64_t num, int flags)
{
	char name[SEG_NAME_LEN + 1];
	int fd;

	seg_name(num, name);
	fd = openat(s->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		int saved = errno;

		set_err(s, "%s: open: %s", name, strerror(saved));
		errno = saved;
	}
	return fd;
}

static int
ensure_rfd(struct spool *s)
{
	if (s->rfd == -1)
		s->rfd = open_segment(s, s->segs[0].num, O_RDONLY);
	return s->rfd == -1 ? -1 : 0;
}

/*
 * The head moved past the end of segs[0], which is not the one being
 * written: persist the new head first, then remove the used-up segment
 * (a crash between the two finds the head's segment gone and starts at
 * the oldest one left, which is the right one).
 */
static void
retire_head_segment(struct spool *s)
{
	char name[SEG_NAME_LEN + 1];
	uint64_t num = s->segs[0].num;

	close_fd(&s->rfd);
	memmove(&s->segs[0], &s->segs[1], (s->nsegs - 1) * sizeof(s->segs[0]));
	s->nsegs--;
	s->head_off = 0;
	s->head_dirty = true;
	(void)write_head(s);
	seg_name(num, name);
	if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
		log_warn("spool %s: %s: unlink", s->dir, name);
}

static void
settle_head(struct spool *s)
{
	while (s->nsegs > 1 && s->head_off >= s->segs[0].end)
		retire_head_segment(s);
}

/* The oldest nrec records (nbytes on disk) are gone from segs[0]. */
static void
advance_head(struct spool *s, uint64_t nrec, uint64_t nbytes)
{
	struct segment *g = &s->segs[0];

	s->head_off += nbytes;
	g->records -= nrec;
	g->bytes -= nbytes;
	s->st.records -= nrec;
	s->st.bytes -= nbytes;
	s->head_dirty = true;
	s->acks_unwritten += nrec;
	settle_head(s);
}

/* The rest of segs[0] cannot be read: give it up. */
static void
skip_rest_of_head_segment(struct spool *s)
{
	advance_head(s, s->segs[0].records, s->segs[0].bytes);
}

enum rec_status { REC_OK, REC_BAD_HEADER, REC_BAD_CRC, REC_IO_ERROR };

/*
 * Reads the record at the head into s->buf and checks it. On
 * REC_BAD_CRC *framed is still its size on disk; on REC_BAD_HEADER why
 * says what was wrong.
 */
static enum rec_status
read_head_record(struct spool *s, bool want_payload, uint32_t *len,
    uint64_t *framed, const char **why)
{
	const struct segment *g = &s->segs[0];
	struct cursor c;
	uint32_t crc;
	ssize_t n;

	if (ensure_rfd(s) != 0) {
		if (errno != ENOENT)
			return REC_IO_ERROR;
		*why = "segment file gone";
		return REC_BAD_HEADER;
	}
	if (g->end - s->head_off < SPOOL_REC_HDR) {
		*why = "record header past the end";
		return REC_BAD_HEADER;
	}
	n = read_at(s->rfd, s->buf, SPOOL_REC_HDR, s->head_off);
	if (n < 0) {
		set_err(s, "read: %s", strerror(errno));
		return REC_IO_ERROR;
	}
	cur_init(&c, s->buf, (size_t)n);
	if (cur_u8(&c) != REC_MAGIC) {
		*why = "bad record magic";
		return REC_BAD_HEADER;
	}
	*len = cur_be32(&c);
	crc = cur_be32(&c);
	if (c.err) {
		*why = "file cut short";
		return REC_BAD_HEADER;
	}
	if (*len == 0 || *len > SPOOL_MAX_RECORD ||
	    g->end - s->head_off - SPOOL_REC_HDR < *len) {
		*why = "bad record length";
		return REC_BAD_HEADER;
	}
	*framed = SPOOL_REC_HDR + (uint64_t)*len;
	if (!want_payload)
		return REC_OK;
	n = read_at(s->rfd, s->buf + SPOOL_REC_HDR, *len,
	    s->head_off + SPOOL_REC_HDR);
	if (n < 0) {
		set_err(s, "read: %s", strerror(errno));
		return REC_IO_ERROR;
	}
	if ((size_t)n != *len) {
		*why = "file cut short";
		return REC_BAD_HEADER;
	}
	if (record_crc(s->buf + 1, s->buf + SPOOL_REC_HDR, *len) != crc)
		return REC_BAD_CRC;
	return REC_OK;
}

static bool
peek_is_head(const struct spool *s)
{
	return s->peeked && s->nsegs > 0 && s->segs[0].num == s->peek_num &&
	    s->head_off == s->peek_off;
}

int
spool_peek(struct spool *s, const uint8_t **rec, size_t *len)
{
	char name[SEG_NAME_LEN + 1];
	const char *why = "";
	uint64_t framed = 0;
	uint32_t n = 0;

	if (peek_is_head(s)) {
		*rec = s->buf + SPOOL_REC_HDR;
		*len = (size_t)(s->peek_framed - SPOOL_REC_HDR);
		return 1;
	}
	s->peeked = false;
	while (s->st.records > 0 && s->segs[0].records > 0) {
		seg_name(s->segs[0].num, name);
		switch (read_head_record(s, true, &n, &framed, &why)) {
		case REC_OK:
			s->peeked = true;
			s->peek_num = s->segs[0].num;
			s->peek_off = s->head_off;
			s->peek_framed = framed;
			*rec = s->buf + SPOOL_REC_HDR;
			*len = n;
			return 1;
		case REC_BAD_CRC:
			note_corrupt(s, "%s: record at offset %" PRIu64
			    ": checksum mismatch: skipped", name, s->head_off);
			advance_head(s, 1, framed);
			break;
		case REC_BAD_HEADER:
			note_corrupt(s, "%s: offset %" PRIu64 ": %s: rest of "
			    "the segment skipped", name, s->head_off, why);
			skip_rest_of_head_segment(s);
			break;
		case REC_IO_ERROR:
			return -1;
		}
	}
	return 0;
}

int
spool_ack(struct spool *s)
{
	if (!s->peeked) {
		set_err(s, "ack without a peeked record");
		return -1;
	}
	if (peek_is_head(s)) {
		advance_head(s, 1, s->peek_framed);
		s->st.acked++;
		if (s->acks_unwritten >= SPOOL_HEAD_EVERY)
			(void)write_head(s);
	}
	s->peeked = false;
	return 0;
}

/*
 * Drops the oldest record (or what is left of a segment whose next record
 * cannot be framed). -1 on a read error (nothing dropped).
 */
static int
drop_oldest(struct spool *s)
{
	char name[SEG_NAME_LEN + 1];
	const struct segment *g = &s->segs[0];
	const char *why = "";
	uint64_t framed = 0, nrec = 1;
	uint32_t n;

	switch (read_head_record(s, false, &n, &framed, &why)) {
	case REC_OK:
	case REC_BAD_CRC:
		break;
	case REC_BAD_HEADER:
		seg_name(g->num, name);
		note_corrupt(s, "%s: offset %" PRIu64 ": %s: rest of the "
		    "segment dropped", name, s->head_off, why);
		nrec = g->records;
		framed = g->bytes;
		break;
	case REC_IO_ERROR:
		return -1;
	}
	s->st.dropped_records += nrec;
	s->st.dropped_bytes += framed;
	s->drops_unlogged += nrec;
	advance_head(s, nrec, framed);
	return 0;
}

static void
log_drops(struct spool *s, uint64_t now_ns, bool force)
{
	if (s->drops_unlogged == 0)
		return;
	if (!force && s->drop_logged &&
	    now_ns - s->last_drop_log_ns < SPOOL_LOG_INTERVAL_NS)
		return;
	log_warnx("spool %s: full (max %" PRIu64 " bytes): dropped %" PRIu64
	    " oldest alerts", s->dir, s->max_bytes, s->drops_unlogged);
	s->drops_unlogged = 0;
	s->drop_logged = true;
	s->last_drop_log_ns = now_ns;
}

/* Starts the next segment; the one written so far is finished. */
static int
new_segment(struct spool *s)
{
	struct segment *g;
	int fd;

	if (s->nums_used_up) {
		set_err(s, "segment numbers used up");
		return -1;
	}
	if (s->nsegs == s->capsegs) {
		size_t cap = s->capsegs == 0 ? 16 : s->capsegs * 2;
		struct segment *p = reallocarray(s->segs, cap, sizeof(*p));

		if (p == NULL) {
			set_err(s, "segment table: %s", strerror(errno));
			return -1;
		}
		s->segs = p;
		s->capsegs = cap;
	}
	fd = open_segment(s, s->next_num, O_RDWR | O_CREAT | O_EXCL);
	if (fd == -1)
		return -1;
	if (s->wfd != -1 && s->data_dirty && s->policy != SPOOL_FSYNC_NEVER)
		(void)sync_fd(s, s->wfd, "segment");
	close_fd(&s->wfd);
	s->data_dirty = false;
	s->wfd = fd;
	if (s->nsegs == 0)
		s->head_off = 0;
	g = &s->segs[s->nsegs++];
	memset(g, 0, sizeof(*g));
	g->num = s->next_num;
	if (s->next_num == UINT64_MAX)
		s->nums_used_up = true;
	else
		s->next_num++;
	s->dir_dirty = true;
	settle_head(s); /* the head may sit at the end of the one before */
	return 0;
}

static int
refuse(struct spool *s, size_t len, const char *why)
{
	s->st.dropped_records++;
	s->st.dropped_bytes += SPOOL_REC_HDR + (uint64_t)len;
	set_err(s, "record of %zu bytes refused: %s", len, why);
	return -1;
}

static int
sync_data(struct spool *s)
{
	int rc = 0;

	if (s->data_dirty && s->wfd != -1) {
		if (sync_fd(s, s->wfd, "segment") != 0)
			rc = -1;
		s->data_dirty = false;
	}
	if (s->dir_dirty) {
		if (sync_fd(s, s->dirfd, "directory") != 0)
			rc = -1;
		s->dir_dirty = false;
	}
	return rc;
}

int
spool_append(struct spool *s, const void *rec, size_t len, uint64_t now_ns)
{
	uint8_t hdr[SPOOL_REC_HDR];
	struct segment *g;
	uint64_t need = SPOOL_REC_HDR + (uint64_t)len;
	char name[SEG_NAME_LEN + 1];

	if (len == 0)
		return refuse(s, len, "empty");
	if (len > SPOOL_MAX_RECORD)
		return refuse(s, len, "longer than a spool record (65536)");
	if (need > s->max_bytes)
		return refuse(s, len, "larger than the whole spool");
	/* need <= max_bytes; bytes may be over it (opened with a smaller cap) */
	while (s->st.records > 0 && s->st.bytes > s->max_bytes - need) {
		if (drop_oldest(s) != 0) {
			log_drops(s, now_ns, false);
			return -1;
		}
	}
	log_drops(s, now_ns, false);

	if (s->nsegs == 0 || (s->segs[s->nsegs - 1].end > 0 &&
	    (s->segs[s->nsegs - 1].end >= s->segment_bytes ||
	    s->segment_bytes - s->segs[s->nsegs - 1].end < need))) {
		if (new_segment(s) != 0)
			return -1;
	}
	g = &s->segs[s->nsegs - 1];
	seg_name(g->num, name);
	if (s->wfd == -1 &&
	    (s->wfd = open_segment(s, g->num, O_WRONLY)) == -1)
		return -1;
	hdr[0] = REC_MAGIC;
	put_be32(hdr + 1, (uint32_t)len);
	put_be32(hdr + 5, record_crc(hdr + 1, rec, len));
	if (write_at(s->wfd, hdr, sizeof(hdr), g->end) != 0 ||
	    write_at(s->wfd, rec, len, g->end + SPOOL_REC_HDR) != 0) {
		set_err(s, "%s: write: %s", name, strerror(errno));
		/* Leave no torn record (the next write overwrites it anyway). */
		if (ftruncate(s->wfd, (off_t)g->end) != 0)
			log_debug("spool %s: %s: truncate failed", s->dir, name);
		return -1;
	}
	g->end += need;
	g->records++;
	g->bytes += need;
	s->st.records++;
	s->st.bytes += need;
	s->st.appended++;
	s->data_dirty = true;
	if (s->policy == SPOOL_FSYNC_ALWAYS)
		(void)sync_data(s);
	else if (s->policy == SPOOL_FSYNC_INTERVAL)
		(void)spool_sync(s, now_ns);
	return 0;
}

int
spool_sync(struct spool *s, uint64_t now_ns)
{
	int rc = 0;

	if (s->sync_started && now_ns - s->last_sync_ns < s->sync_ns)
		return 0;
	s->sync_started = true;
	s->last_sync_ns = now_ns;
	if (s->policy == SPOOL_FSYNC_INTERVAL && sync_data(s) != 0)
		rc = -1;
	if (s->head_dirty && s->acks_unwritten > 0 && write_head(s) != 0)
		rc = -1;
	return rc;
}

void
spool_get_stats(const struct spool *s, struct spool_stats *out)
{
	*out = s->st;
}

const char *
spool_error(const struct spool *s)
{
	return s->err;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	log_drops(s, 0, true);
	if (s->head_dirty)
		(void)write_head(s);
	if (s->policy != SPOOL_FSYNC_NEVER) {
		s->dir_dirty = true; /* the head's rename */
		(void)sync_data(s);
	}
	close_fd(&s->rfd);
	close_fd(&s->wfd);
	close_fd(&s->dirfd); /* and the lock with it */
	free(s->segs);
	free(s->buf);
	free(s->dir);
	free(s);
}

/* ---- opening: directory, scan, recovery ---- */

/* mkdir -p, each missing directory 0700. */
static int
make_dirs(struct spool *s)
{
	char *path = xstrdup(s->dir);
	char *p;
	int rc = 0;

	for (p = path + 1; rc == 0; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			set_err(s, "mkdir %s: %s", path, strerror(errno));
			rc = -1;
		}
		if (last)
			break;
		*p = '/';
	}
	free(path);
	return rc;
}

static int
open_dir(struct spool *s)
{
	struct stat st;

	if (make_dirs(s) != 0)
		return -1;
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd == -1) {
		int saved = errno;

		/* O_NOFOLLOW | O_DIRECTORY on a link: ELOOP or ENOTDIR */
		if (lstat(s->dir, &st) == 0 && S_ISLNK(st.st_mode))
			set_err(s, "a symbolic link: refused");
		else
			set_err(s, "%s", strerror(saved));
		return -1;
	}
	if (fstat(s->dirfd, &st) != 0) {
		set_err(s, "fstat: %s", strerror(errno));
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		set_err(s, "writable by group or others: refused (chmod 0700)");
		return -1;
	}
	if (flock(s->dirfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			set_err(s, "in use by another process");
		else
			set_err(s, "lock: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
cmp_segment(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Collects the segment names (regular files only), oldest first. */
static int
scan_dir(struct spool *s)
{
	struct dirent *de;
	struct stat st;
	uint64_t num, max = 0;
	bool any = false;
	DIR *d;
	int fd;

	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		set_err(s, "read directory: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, HEAD_TMP) == 0) {
			(void)unlinkat(s->dirfd, HEAD_TMP, 0);
			continue;
		}
		if (!parse_seg_name(de->d_name, &num))
			continue;
		if (!any || num > max)
			max = num;
		any = true;
		if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			note_corrupt(s, "%s: not a regular file: ignored",
			    de->d_name);
			continue;
		}
		if (s->nsegs == s->capsegs) {
			s->capsegs = s->capsegs == 0 ? 16 : s->capsegs * 2;
			s->segs = xreallocarray(s->segs, s->capsegs,
			    sizeof(s->segs[0]));
		}
		memset(&s->segs[s->nsegs], 0, sizeof(s->segs[0]));
		s->segs[s->nsegs++].num = num;
	}
	if (errno != 0) {
		set_err(s, "read directory: %s", strerror(errno));
		closedir(d);
		return -1;
	}
	closedir(d);
	if (s->nsegs > 1)
		qsort(s->segs, s->nsegs, sizeof(s->segs[0]), cmp_segment);
	if (any && max == UINT64_MAX)
		s->nums_used_up = true;
	s->next_num = any ? max + 1 : 1;
	return 0;
}

/* 1 and the head's place, 0 when there is no head file, -1 if damaged. */
static int
read_head_file(struct spool *s, uint64_t *num, uint64_t *off)
{
	uint8_t rec[HEAD_LEN + 1];
	struct cursor c;
	const uint8_t *magic;
	uint32_t crc;
	ssize_t n;
	int fd;

	fd = openat(s->dirfd, HEAD_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		note_corrupt(s, "head: open: %s", strerror(errno));
		return -1;
	}
	n = read_at(fd, rec, sizeof(rec), 0);
	close(fd);
	if (n != HEAD_LEN) {
		note_corrupt(s, "head: %zd bytes, not %d", n, HEAD_LEN);
		return -1;
	}
	cur_init(&c, rec, (size_t)n);
	magic = cur_ptr(&c, 4);
	if (magic == NULL || memcmp(magic, HEAD_MAGIC, 4) != 0 ||
	    cur_u8(&c) != HEAD_VERSION) {
		note_corrupt(s, "head: not a version %d head file", HEAD_VERSION);
		return -1;
	}
	*num = cur_be64(&c);
	*off = cur_be64(&c);
	crc = cur_be32(&c);
	if (c.err || crc != (uint32_t)crc32(crc32(0L, Z_NULL, 0), rec, 21)) {
		note_corrupt(s, "head: checksum mismatch");
		return -1;
	}
	return 1;
}

/*
 * Walks the record headers of one segment (the lengths, not the payloads:
 * checksums are checked when a record is read), setting end, records and
 * bytes. When head_off is given, also finds whether it is a record
 * boundary and what lies before it. Damage ends the segment there; in the
 * last segment (a crash mid-write) the file is cut at that point.
 */
struct walk {
	uint64_t head_off;
	bool want_head, head_ok;
	uint64_t pre_records, pre_bytes;
};

static int
walk_segment(struct spool *s, struct segment *g, bool last, struct walk *w)
{
	char name[SEG_NAME_LEN + 1];
	uint64_t off = 0, chunk_off = 0, size;
	size_t chunk_len = 0;
	const char *why = NULL;
	struct stat st;
	int fd;

	seg_name(g->num, name);
	fd = open_segment(s, g->num, last ? O_RDWR : O_RDONLY);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		set_err(s, "%s: not a regular file", name);
		close(fd);
		return -1;
	}
	size = (uint64_t)st.st_size;
	while (off < size) {
		struct cursor c;
		uint32_t len;

		if (w->want_head && off == w->head_off)
			w->head_ok = true;
		if (size - off < SPOOL_REC_HDR) {
			why = "record header cut short";
			break;
		}
		if (off - chunk_off > chunk_len ||
		    chunk_len - (off - chunk_off) < SPOOL_REC_HDR) {
			ssize_t n = read_at(fd, s->buf, BUF_LEN, off);

			if (n < 0) {
				set_err(s, "%s: read: %s", name, strerror(errno));
				close(fd);
				return -1;
			}
			chunk_off = off;
			chunk_len = (size_t)n;
		}
		cur_init(&c, s->buf + (off - chunk_off), chunk_len - (off - chunk_off));
		if (cur_u8(&c) != REC_MAGIC) {
			why = "bad record magic";
			break;
		}
		len = cur_be32(&c);
		if (c.err) {
			why = "record header cut short";
			break;
		}
		if (len == 0 || len > SPOOL_MAX_RECORD) {
			why = "bad record length";
			break;
		}
		if (size - off - SPOOL_REC_HDR < len) {
			why = "record cut short";
			break;
		}
		if (w->want_head && off < w->head_off) {
			w->pre_records++;
			w->pre_bytes += SPOOL_REC_HDR + (uint64_t)len;
		}
		g->records++;
		g->bytes += SPOOL_REC_HDR + (uint64_t)len;
		off += SPOOL_REC_HDR + (uint64_t)len;
	}
	if (w->want_head && off == w->head_off)
		w->head_ok = true;
	g->end = off;
	if (why != NULL && last) {
		note_corrupt(s, "%s: offset %" PRIu64 ": %s: torn tail of %"
		    PRIu64 " bytes cut", name, off, why, size - off);
		if (ftruncate(fd, (off_t)off) != 0)
			log_warn("spool %s: %s: truncate", s->dir, name);
	} else if (why != NULL) {
		note_corrupt(s, "%s: offset %" PRIu64 ": %s: the %" PRIu64
		    " bytes after it skipped", name, off, why, size - off);
	}
	close(fd);
	return 0;
}

static void
remove_segments_before(struct spool *s, size_t h)
{
	char name[SEG_NAME_LEN + 1];
	size_t i;

	if (h == 0)
		return;
	for (i = 0; i < h; i++) {
		seg_name(s->segs[i].num, name);
		if (unlinkat(s->dirfd, name, 0) != 0 && errno != ENOENT)
			log_warn("spool %s: %s: unlink", s->dir, name);
	}
	memmove(&s->segs[0], &s->segs[h], (s->nsegs - h) * sizeof(s->segs[0]));
	s->nsegs -= h;
}

enum head_state { HEAD_NONE, HEAD_OK, HEAD_STALE, HEAD_BAD };

/*
 * Rebuilds the segment table and the head. A head that is damaged, names
 * a segment that is not there or points between records falls back to the
 * oldest segment: records may come again, none is skipped. A head naming
 * a segment older than all (removing it was done, writing the new head
 * was not) means the oldest too, and nothing is amiss.
 */
static int
recover(struct spool *s)
{
	struct walk w = { 0, false, false, 0, 0 };
	enum head_state head = HEAD_NONE;
	uint64_t hnum = 0, hoff = 0, walked = 0;
	bool any_walked = false;
	size_t i, h = 0;

	if (scan_dir(s) != 0)
		return -1;
	switch (read_head_file(s, &hnum, &hoff)) {
	case 1:
		head = HEAD_OK;
		for (h = 0; h < s->nsegs && s->segs[h].num != hnum; h++)
			;
		if (h < s->nsegs)
			break;
		h = 0;
		head = HEAD_STALE;
		if (s->nsegs > 0 && hnum > s->segs[0].num) {
			note_corrupt(s, "head: segment %016" PRIx64
			    " is missing", hnum);
			head = HEAD_BAD;
		}
		break;
	case 0:
		break;
	default:
		head = HEAD_BAD;
		break;
	}
	if (head == HEAD_OK) {
		w.want_head = true;
		w.head_off = hoff;
		if (walk_segment(s, &s->segs[h], h + 1 == s->nsegs, &w) != 0)
			return -1;
		walked = hnum;
		any_walked = true;
		if (!w.head_ok) {
			note_corrupt(s, "head: offset %" PRIu64 " of segment %016"
			    PRIx64 " is not a record's start", hoff, hnum);
			head = HEAD_BAD;
		}
	}
	s->head_off = 0;
	if (head == HEAD_OK) {
		remove_segments_before(s, h);
		s->segs[0].records -= w.pre_records;
		s->segs[0].bytes -= w.pre_bytes;
		s->head_off = hoff;
	} else {
		s->head_dirty = s->nsegs > 0;
		if (head == HEAD_BAD && s->nsegs > 0)
			log_warnx("spool %s: delivering again from the oldest "
			    "segment", s->dir);
	}
	for (i = 0; i < s->nsegs; i++) {
		struct walk none = { 0, false, false, 0, 0 };

		if (any_walked && s->segs[i].num == walked)
			continue;
		if (walk_segment(s, &s->segs[i], i + 1 == s->nsegs, &none) != 0)
			return -1;
	}
	for (i = 0; i < s->nsegs; i++) {
		s->st.records += s->segs[i].records;
		s->st.bytes += s->segs[i].bytes;
	}
	settle_head(s);
	return 0;
}

struct spool *
spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
    enum spool_fsync policy, uint64_t fsync_ms, char *err, size_t errlen)
{
	struct spool *s;

	if (dir[0] == '\0' || max_bytes == 0) {
		snprintf(err, errlen, "spool %s: %s", dir,
		    dir[0] == '\0' ? "no directory" : "size 0");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->dirfd = s->rfd = s->wfd = -1;
	s->max_bytes = max_bytes;
	s->segment_bytes = segment_bytes != 0 ? segment_bytes :
	    SPOOL_DEFAULT_SEGMENT;
	s->policy = policy;
	s->sync_ns = fsync_ms > UINT64_MAX / 1000000 ? UINT64_MAX :
	    fsync_ms * 1000000;
	s->buf = xmalloc(BUF_LEN);
	if (open_dir(s) != 0 || recover(s) != 0)
		goto fail;
	if (s->st.records > 0)
		log_info("spool %s: %" PRIu64 " alerts (%" PRIu64 " bytes) "
		    "left from before", s->dir, s->st.records, s->st.bytes);
	return s;
fail:
	snprintf(err, errlen, "%s", s->err);
	s->policy = SPOOL_FSYNC_NEVER;
	s->head_dirty = false;
	spool_close(s);
	return NULL;
}
