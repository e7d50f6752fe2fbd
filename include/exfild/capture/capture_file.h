/*
 * capture_file.h - forensic replay of capture files through libpcap's
 * offline reader: pcap (both byte orders, micro and nano), pcapng, either
 * gzip-compressed (zlib, through a stdio cookie), "-" for stdin. Several
 * files are merged into one timeline in timestamp order. A corrupt or
 * truncated file ends that file with a logged message; the others go on.
 */
#ifndef EXFILD_CAPTURE_FILE_H
#define EXFILD_CAPTURE_FILE_H

#include <stddef.h>
#include <stdint.h>

struct capture_pkt {
	uint64_t ts_ns;
	int linktype; /* DLT_* of the file it came from */
	const uint8_t *data; /* valid until the next capfile_next() */
	uint32_t caplen;
	uint32_t wirelen;
	unsigned file_index;
};

struct capfile_stats {
	uint64_t files;
	uint64_t files_failed;  /* could not be opened or ended with an error */
	uint64_t packets;
	uint64_t bytes;         /* captured bytes read */
};

struct capfile_set;

/* Opens all files; NULL with err naming the first file that cannot be opened. */
struct capfile_set *capfile_open(const char *const *paths, size_t n, char *err,
    size_t errlen);
/* 1 = a packet in *out, 0 = every file is done. */
int capfile_next(struct capfile_set *s, struct capture_pkt *out);
/* Up to max packets in timestamp order, all valid until the next call (a
 * batch lets the pipeline prefetch); 0 = every file is done. A single
 * plain pcap file gives whole batches, other inputs one packet a call. */
size_t capfile_next_batch(struct capfile_set *s, struct capture_pkt *out,
    size_t max);
void capfile_get_stats(const struct capfile_set *s, struct capfile_stats *out);
void capfile_close(struct capfile_set *s);

#endif
