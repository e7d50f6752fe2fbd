/*
 * capture_pcap.c - classic pcap reader (the libpcap file format,
 * draft-ietf-opsawg-pcap): 24-byte file header, then 16-byte record headers
 * each followed by the captured bytes. Parsed through the cursor from a
 * 1 MiB block buffer; records are returned in place.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "exfild/capture/capture_pcap.h"
#include "exfild/util/cursor.h"
#include "exfild/util/util.h"

#define BLOCK_SIZE (1u << 20) /* 4 x PCAP_RECORD_MAX */
#define READ_AHEAD (32u << 20) /* asked of the kernel beyond what we read */
#define FILE_HEADER_LEN 24
#define RECORD_HEADER_LEN 16
#define PREFETCH_AHEAD 2048 /* bytes: about four records of make bench */

struct pcap_reader {
	int fd;
	bool big_endian; /* the file's byte order */
	bool nano;      /* nanosecond timestamps */
	bool eof;
	int linktype;
	uint8_t *buf;
	uint64_t file_off; /* bytes read from the file so far */
	uint64_t advised;  /* read-ahead asked up to here */
	bool uncached;  /* a read has had to wait for the disk (see refill) */
	size_t have;    /* bytes in buf */
	size_t off;     /* next record header */
};

static const uint8_t magic_usec_le[4] = { 0xd4, 0xc3, 0xb2, 0xa1 };
static const uint8_t magic_usec_be[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
static const uint8_t magic_nsec_le[4] = { 0x4d, 0x3c, 0xb2, 0xa1 };
static const uint8_t magic_nsec_be[4] = { 0xa1, 0xb2, 0x3c, 0x4d };

bool
pcap_magic_is_classic(const uint8_t magic[4])
{
	return memcmp(magic, magic_usec_le, 4) == 0 ||
	    memcmp(magic, magic_usec_be, 4) == 0 ||
	    memcmp(magic, magic_nsec_le, 4) == 0 ||
	    memcmp(magic, magic_nsec_be, 4) == 0;
}

static uint32_t
read_u32(struct cursor *c, bool big_endian)
{
	return big_endian ? cur_be32(c) : cur_le32(c);
}

/* Field i of a record header slice the cursor has bounds-checked. */
static inline uint32_t
header_u32(const uint8_t *h, unsigned i, bool big_endian)
{
	uint32_t v;

	memcpy(&v, h + 4 * i, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return big_endian ? __builtin_bswap32(v) : v;
#else
	return big_endian ? v : __builtin_bswap32(v);
#endif
}

/* Moves the unread tail to the front and reads more: 0, or -1 with errno. */
static int refill(struct pcap_reader *r) __attribute__((noinline));

/*
 * Reads into buf[have..BLOCK_SIZE): read(2)'s answer. As long as the page
 * cache holds all that is asked (RWF_NOWAIT reads it all), the file is
 * taken to be cached; the first read that would wait (EAGAIN), comes up
 * short or is refused (a pipe, an old kernel) ends that for good.
 */
static ssize_t
read_block(struct pcap_reader *r)
{
	struct iovec v = { r->buf + r->have, BLOCK_SIZE - r->have };
	ssize_t n;

	if (!r->uncached) {
		n = preadv2(r->fd, &v, 1, -1, RWF_NOWAIT);
		if (n == (ssize_t)v.iov_len)
			return n;
		r->uncached = true;
		if (n > 0)
			return n;
	}
	return read(r->fd, v.iov_base, v.iov_len);
}

static int
refill(struct pcap_reader *r)
{
	ssize_t n;

	if (r->off > 0) {
		memmove(r->buf, r->buf + r->off, r->have - r->off);
		r->have -= r->off;
		r->off = 0;
	}
	while (!r->eof && r->have < BLOCK_SIZE) {
		n = read_block(r);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			r->eof = true;
		r->have += (size_t)n;
		r->file_off += (uint64_t)n;
	}
	/* Have the kernel read the next stretch while we work through this
	 * block, so that a replay from disk overlaps reading and decoding.
	 * Each part of the file is advised once (asking again for pages
	 * already cached costs a page-cache walk), and none while every read
	 * has found its pages cached (a file replayed again: the walk would
	 * find them all). Advice only: an error (a pipe, say) changes
	 * nothing. */
	if (!r->eof && r->uncached && r->advised < r->file_off + READ_AHEAD) {
		uint64_t from = r->advised > r->file_off ? r->advised : r->file_off;
		(void)posix_fadvise(r->fd, (off_t)from,
		    (off_t)(r->file_off + READ_AHEAD - from), POSIX_FADV_WILLNEED);
		r->advised = r->file_off + READ_AHEAD;
	}
	return 0;
}

/* Makes at least need bytes available at off; false at end of file. */
static inline bool
available(struct pcap_reader *r, size_t need, int *io_error)
{
	*io_error = 0;
	if (r->have - r->off >= need)
		return true;
	if (refill(r) != 0) {
		*io_error = errno;
		return false;
	}
	return r->have - r->off >= need;
}

struct pcap_reader *
pcap_reader_open(int fd, char *err, size_t errlen)
{
	struct pcap_reader *r = xcalloc(1, sizeof(*r));
	struct cursor c;
	int io_error;
	const uint8_t *magic;
	uint16_t version_major;
	bool big;

	r->fd = fd;
	r->buf = xmalloc(BLOCK_SIZE);
	if (!available(r, FILE_HEADER_LEN, &io_error)) {
		snprintf(err, errlen, "%s", io_error ? strerror(io_error) :
		    "truncated pcap file header");
		goto fail;
	}
	cur_init(&c, r->buf, FILE_HEADER_LEN);
	magic = cur_ptr(&c, 4);
	if (magic == NULL || !pcap_magic_is_classic(magic)) {
		snprintf(err, errlen, "not a classic pcap file");
		goto fail;
	}
	big = magic[0] == 0xa1;
	r->nano = magic[2] == 0x3c || magic[1] == 0x3c;
	r->big_endian = big;
	version_major = big ? cur_be16(&c) : cur_le16(&c);
	cur_skip(&c, 2 + 4 + 4 + 4); /* minor, thiszone, sigfigs, snaplen */
	/* the link type is the low 16 bits; FCS bits above (LT_LINKTYPE) */
	r->linktype = (int)(read_u32(&c, big) & 0xffff);
	if (c.err) {
		snprintf(err, errlen, "truncated pcap file header");
		goto fail;
	}
	if (version_major < 2) {
		snprintf(err, errlen, "archaic pcap savefile format");
		goto fail;
	}
	r->off = FILE_HEADER_LEN;
	return r;
fail:
	pcap_reader_close(r);
	return NULL;
}

int
pcap_reader_linktype(const struct pcap_reader *r)
{
	return r->linktype;
}

/* The record whose header h the cursor has bounds-checked; 0 when its
 * capture length is out of bounds, else 1 with *caplen set. */
static inline int
record_caplen(const struct pcap_reader *r, const uint8_t *h, uint32_t *caplen)
{
	*caplen = header_u32(h, 2, r->big_endian);
	return *caplen <= PCAP_RECORD_MAX;
}

/* Hands out the record at off, whose bytes are all in the buffer. */
static inline void
take_record(struct pcap_reader *r, const uint8_t *h, uint32_t caplen,
    struct pcap_record *out)
{
	uint32_t sec = header_u32(h, 0, r->big_endian);
	uint32_t frac = header_u32(h, 1, r->big_endian);

	out->ts_ns = (uint64_t)sec * NS_PER_SEC + (r->nano ? frac : (uint64_t)frac * 1000);
	out->caplen = caplen;
	out->wirelen = header_u32(h, 3, r->big_endian);
	out->data = h + RECORD_HEADER_LEN;
	r->off += RECORD_HEADER_LEN + (size_t)caplen;
	/* Each record's header is found from the one before, and the block
	 * has left the cache by the time it is read: the stretch a few
	 * records on is fetched now (a hint: an address past the block's end,
	 * worked out as a number, fetches nothing). */
	__builtin_prefetch((const void *)((uintptr_t)out->data + caplen +
	    PREFETCH_AHEAD));
}

int
pcap_reader_next(struct pcap_reader *r, struct pcap_record *out, char *err,
    size_t errlen)
{
	struct cursor c;
	const uint8_t *h;
	uint32_t caplen;
	int io_error;

	if (!available(r, RECORD_HEADER_LEN, &io_error)) {
		if (io_error != 0) {
			snprintf(err, errlen, "read: %s", strerror(io_error));
			return -1;
		}
		if (r->have == r->off)
			return 0;
		snprintf(err, errlen, "truncated dump file; tried to read %d "
		    "header bytes, only got %zu", RECORD_HEADER_LEN, r->have - r->off);
		return -1;
	}
	cur_init(&c, r->buf + r->off, r->have - r->off);
	if ((h = cur_ptr(&c, RECORD_HEADER_LEN)) == NULL)
		return -1; /* cannot happen: available() said so */
	if (!record_caplen(r, h, &caplen)) {
		snprintf(err, errlen, "invalid packet capture length %u, bigger "
		    "than maximum of %u", caplen, PCAP_RECORD_MAX);
		return -1;
	}
	if (!available(r, RECORD_HEADER_LEN + (size_t)caplen, &io_error)) {
		if (io_error != 0)
			snprintf(err, errlen, "read: %s", strerror(io_error));
		else
			snprintf(err, errlen, "truncated dump file; tried to read %u "
			    "captured bytes, only got %zu", caplen,
			    r->have - r->off - RECORD_HEADER_LEN);
		return -1;
	}
	/* available() may have moved the buffer: h is read again */
	take_record(r, r->buf + r->off, caplen, out);
	return 1;
}

int
pcap_reader_next_buffered(struct pcap_reader *r, struct pcap_record *out)
{
	struct cursor c;
	const uint8_t *h;
	uint32_t caplen;

	cur_init(&c, r->buf + r->off, r->have - r->off);
	if ((h = cur_ptr(&c, RECORD_HEADER_LEN)) == NULL ||
	    !record_caplen(r, h, &caplen) || cur_ptr(&c, caplen) == NULL)
		return 0;
	take_record(r, h, caplen, out);
	return 1;
}

void
pcap_reader_close(struct pcap_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r);
}
