/*
 * capture_pcap.h - zero-copy reader for classic pcap files (both byte
 * orders, micro- and nanosecond magic), the common forensic input. Reads
 * 1 MiB blocks with read(2) and hands out records in place: one copy from
 * the kernel, none per packet. Records are validated like libpcap's reader
 * does (capture length bounded); a truncated or corrupt record ends the file
 * with an error, in libpcap's words. pcapng, gzip and pipes go through
 * libpcap instead.
 */
#ifndef EXFILD_CAPTURE_PCAP_H
#define EXFILD_CAPTURE_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAP_RECORD_MAX 262144u /* libpcap's MAXIMUM_SNAPLEN */

struct pcap_record {
	uint64_t ts_ns;
	const uint8_t *data; /* valid until the next pcap_reader_next() */
	uint32_t caplen;
	uint32_t wirelen;
};

struct pcap_reader;

/* True when the first four bytes are a classic pcap magic number. */
bool pcap_magic_is_classic(const uint8_t magic[4]);

/* Takes ownership of fd. NULL with "bad file header" style err. */
struct pcap_reader *pcap_reader_open(int fd, char *err, size_t errlen);
int pcap_reader_linktype(const struct pcap_reader *r);
/* 1 = record in *out, 0 = clean end of file, -1 = error described in err. */
int pcap_reader_next(struct pcap_reader *r, struct pcap_record *out, char *err,
    size_t errlen);
/* The next record only if it is whole in the current block: 1, else 0 (the
 * next pcap_reader_next() reads on, or reports what is wrong). Records
 * handed out since the last pcap_reader_next() stay valid until the next
 * one, so a batch of them can be worked on together. */
int pcap_reader_next_buffered(struct pcap_reader *r, struct pcap_record *out);
void pcap_reader_close(struct pcap_reader *r);

#endif
