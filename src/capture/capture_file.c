/*
 * capture_file.c - replay of pcap/pcapng files (optionally gzip-compressed,
 * "-" for stdin), several files merged into one timeline by timestamp.
 * Plain classic pcap files, the common case, go through the zero-copy
 * reader in capture_pcap.c; everything else through libpcap's offline
 * reader. Timestamps are read at nanosecond precision.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "exfild/capture/capture_file.h"
#include "exfild/capture/capture_pcap.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define CAPFILE_IOBUF_SIZE (1u << 20) /* stdio buffer of each FILE */
#define CAPFILE_GZBUF_SIZE (128u << 10) /* zlib input buffer */

struct capfile {
	char *path;
	struct pcap_reader *fast; /* plain classic pcap, or NULL */
	char *iobuf;     /* stdio buffer of the FILE libpcap reads */
	pcap_t *pcap;    /* owns the FILE (when fast is NULL) */
	int linktype;
	bool has_head;   /* head holds the file's next packet */
	bool done;
	struct pcap_record head;
	uint64_t packets;
	char err[256];   /* the fast reader's error text */
};

struct capfile_set {
	struct capfile *files;
	size_t n;
	size_t last;     /* index returned last; n before the first packet */
	struct capfile_stats stats;
};

/* Read-only stdio cookie over a zlib gzFile. */
static ssize_t
gz_cookie_read(void *cookie, char *buf, size_t size)
{
	int n;

	if (size > INT_MAX)
		size = INT_MAX;
	n = gzread(cookie, buf, (unsigned)size);
	return n < 0 ? -1 : n;
}

static int
gz_cookie_close(void *cookie)
{
	return gzclose(cookie) == Z_OK ? 0 : EOF;
}

/* Takes fd; a gzip stream, or any stream zlib passes through unchanged. */
static FILE *
open_gzip_fd(int fd)
{
	static const cookie_io_functions_t gz_io = {
		.read = gz_cookie_read,
		.close = gz_cookie_close,
	};
	gzFile gz;
	FILE *fp;

	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	gzbuffer(gz, CAPFILE_GZBUF_SIZE);
	if ((fp = fopencookie(gz, "rb", gz_io)) == NULL)
		gzclose(gz);
	return fp;
}

/*
 * Opens a path (or stdin for "-") as a stdio stream. A file starting with
 * the gzip magic is read through zlib; a pipe or stdin cannot be sniffed
 * without consuming it, so it always goes through zlib, which passes plain
 * data through unchanged.
 */
static FILE *
open_stream(const char *path)
{
	uint8_t magic[2];
	ssize_t n;
	int fd;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	n = pread(fd, magic, sizeof(magic), 0);
	if (n == -1 && errno != ESPIPE) {
		close(fd);
		return NULL;
	}
	if (n == -1 || (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b))
		return open_gzip_fd(fd);
	if ((fp = fdopen(fd, "rb")) == NULL)
		close(fd);
	return fp;
}

/* pcap timestamp (seconds, nanoseconds) to ns since the epoch, clamped. */
static uint64_t
pkthdr_ts_ns(const struct pcap_pkthdr *h)
{
	uint64_t sec, nsec = (uint64_t)(uint32_t)h->ts.tv_usec;

	/* The pcap format's seconds are unsigned 32-bit (until 2106); libpcap
	 * may hand them back as a negative time_t: read them as the file has
	 * them, as capture_pcap.c does. */
	if (h->ts.tv_sec < 0)
		sec = h->ts.tv_sec >= INT32_MIN ? (uint64_t)(uint32_t)h->ts.tv_sec : 0;
	else
		sec = (uint64_t)h->ts.tv_sec;
	if (sec > (UINT64_MAX - nsec) / NS_PER_SEC)
		return UINT64_MAX;
	return sec * NS_PER_SEC + nsec;
}

static void
file_failed(struct capfile_set *s, struct capfile *f, const char *why)
{
	log_warnx("%s: %s after %llu packets", f->path, why,
	    (unsigned long long)f->packets);
	s->stats.files_failed++;
}

/* Reads the file's next packet into its head; logs and ends it on error. */
static void
capfile_advance(struct capfile_set *s, struct capfile *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	f->has_head = false;
	if (f->done)
		return;
	if (f->fast != NULL) {
		r = pcap_reader_next(f->fast, &f->head, f->err, sizeof(f->err));
		if (r == 1) {
			f->has_head = true;
			return;
		}
		f->done = true;
		if (r < 0)
			file_failed(s, f, f->err);
		return;
	}
	r = pcap_next_ex(f->pcap, &h, &data);
	if (r == 1) {
		f->head.ts_ns = pkthdr_ts_ns(h);
		f->head.data = data;
		f->head.caplen = h->caplen;
		f->head.wirelen = h->len;
		f->has_head = true;
		return;
	}
	f->done = true;
	if (r != PCAP_ERROR_BREAK)
		file_failed(s, f, pcap_geterr(f->pcap));
}

/* A regular file that starts with a classic pcap magic number gets the
 * zero-copy reader; 0 when it did (or the file is not one), -1 on error. */
static int
open_fast(struct capfile *f, const char *path, char *err, size_t errlen)
{
	uint8_t magic[4];
	char why[256];
	int fd;

	if (strcmp(path, "-") == 0)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0; /* the general path reports the error */
	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    !pcap_magic_is_classic(magic)) {
		close(fd);
		return 0;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((f->fast = pcap_reader_open(fd, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	f->linktype = pcap_reader_linktype(f->fast);
	return 0;
}

static int
capfile_open_one(struct capfile *f, const char *path, char *err,
    size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];
	FILE *fp;

	f->path = xstrdup(path);
	if (open_fast(f, path, err, errlen) != 0)
		return -1;
	if (f->fast != NULL)
		return 0;
	if ((fp = open_stream(path)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	f->iobuf = xmalloc(CAPFILE_IOBUF_SIZE);
	setvbuf(fp, f->iobuf, _IOFBF, CAPFILE_IOBUF_SIZE);
	pcap_err[0] = '\0';
	f->pcap = pcap_fopen_offline_with_tstamp_precision(fp,
	    PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (f->pcap == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: %s", path, pcap_err);
		return -1;
	}
	f->linktype = pcap_datalink(f->pcap);
	return 0;
}

static void
capfile_close_one(struct capfile *f)
{
	pcap_reader_close(f->fast);
	if (f->pcap != NULL)
		pcap_close(f->pcap); /* closes the FILE, which used iobuf */
	free(f->iobuf);
	free(f->path);
}

struct capfile_set *
capfile_open(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct capfile_set *s;
	size_t i;

	if (n == 0) {
		snprintf(err, errlen, "no capture files");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->files = xcalloc(n, sizeof(*s->files));
	s->n = n;
	s->last = n;
	for (i = 0; i < n; i++) {
		if (capfile_open_one(&s->files[i], paths[i], err, errlen) != 0) {
			s->n = i + 1;
			capfile_close(s);
			return NULL;
		}
	}
	s->stats.files = n;
	for (i = 0; i < n; i++)
		capfile_advance(s, &s->files[i]);
	return s;
}

/* A record of file i as handed out. */
static inline void
capfile_pkt(const struct capfile *f, size_t i, const struct pcap_record *r,
    struct capture_pkt *out)
{
	out->ts_ns = r->ts_ns;
	out->linktype = f->linktype;
	out->data = r->data;
	out->caplen = r->caplen;
	out->wirelen = r->wirelen;
	out->file_index = (unsigned)i;
}

/* Counts n packets of file i, of bytes captured bytes, handed out. */
static inline void
capfile_count(struct capfile_set *s, size_t i, uint64_t n, uint64_t bytes)
{
	s->files[i].packets += n;
	s->stats.packets += n;
	s->stats.bytes += bytes;
	s->last = i;
}

/* Hands out the head of file i (which holds a packet). */
static void
capfile_take(struct capfile_set *s, size_t i, struct capture_pkt *out)
{
	struct capfile *f = &s->files[i];

	capfile_pkt(f, i, &f->head, out);
	capfile_count(s, i, 1, f->head.caplen);
}

/* One plain pcap file (the usual replay): straight from its reader. */
static bool
capfile_is_single_fast(const struct capfile_set *s)
{
	return s->n == 1 && s->last == 0 && s->files[0].fast != NULL;
}

static int
capfile_next_fast(struct capfile_set *s, struct capture_pkt *out)
{
	struct capfile *f = &s->files[0];

	if (f->done)
		return 0;
	switch (pcap_reader_next(f->fast, &f->head, f->err, sizeof(f->err))) {
	case 1:
		capfile_take(s, 0, out);
		return 1;
	case 0:
		f->done = true;
		f->has_head = false;
		return 0;
	default:
		f->done = true;
		f->has_head = false;
		file_failed(s, f, f->err);
		return 0;
	}
}

int
capfile_next(struct capfile_set *s, struct capture_pkt *out)
{
	uint64_t best_ts = 0, ts;
	size_t i, best = s->n;

	if (capfile_is_single_fast(s))
		return capfile_next_fast(s, out);
	if (s->last < s->n)
		capfile_advance(s, &s->files[s->last]);
	s->last = s->n;
	/* Smallest head timestamp; ties go to the lower index. */
	for (i = 0; i < s->n; i++) {
		if (!s->files[i].has_head)
			continue;
		ts = s->files[i].head.ts_ns;
		if (best == s->n || ts < best_ts) {
			best = i;
			best_ts = ts;
		}
	}
	if (best == s->n)
		return 0;
	capfile_take(s, best, out);
	return 1;
}

size_t
capfile_next_batch(struct capfile_set *s, struct capture_pkt *out, size_t max)
{
	struct capfile *f = &s->files[0];
	struct pcap_record r;
	uint64_t bytes = 0;
	size_t n;

	if (max == 0 || capfile_next(s, &out[0]) != 1)
		return 0;
	if (!capfile_is_single_fast(s))
		return 1; /* merged files and libpcap hand out one at a time */
	/* the rest of the batch straight from the reader, counted at the end */
	for (n = 1; n < max; n++) {
		if (pcap_reader_next_buffered(f->fast, &r) != 1)
			break;
		capfile_pkt(f, 0, &r, &out[n]);
		bytes += r.caplen;
	}
	capfile_count(s, 0, n - 1, bytes);
	return n;
}

void
capfile_get_stats(const struct capfile_set *s, struct capfile_stats *out)
{
	*out = s->stats;
}

void
capfile_close(struct capfile_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		capfile_close_one(&s->files[i]);
	free(s->files);
	free(s);
}
