/*
 * pcap_write.h - a pcap file written frame by frame (nanosecond pcap,
 * magic 0xa1b23c4d, version 2.4), for evidence: created new (O_EXCL,
 * O_NOFOLLOW) with mode 0640. The link type is the first frame's; a frame
 * of another link type is not written and counted (a pcap has one).
 * Write errors (disk full) stop the file, logged once, never the caller.
 */
#ifndef EXFILD_PCAP_WRITE_H
#define EXFILD_PCAP_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/evidence/pktring.h"

struct pcap_writer {
	FILE *fp;                 /* NULL: not open, or stopped by an error */
	char path[4096];
	int linktype;             /* -1 until the first frame */
	uint64_t frames;          /* written */
	uint64_t bytes;           /* file bytes written, header included */
	uint64_t other_link;      /* frames left out: another link type */
	bool failed;              /* a write failed: the file stopped there */
};

/* Creates path (it must not exist). False, logged, when it cannot. */
bool pcap_writer_open(struct pcap_writer *w, const char *path);
/* The file bytes pcap_writer_put would write for fr (the file header
 * too before the first frame). */
uint64_t pcap_writer_need(const struct pcap_writer *w,
    const struct pktring_frame *fr);
/* Appends a frame (the header comes before the first). False when it
 * was not written (another link type, or the file has failed). */
bool pcap_writer_put(struct pcap_writer *w, const struct pktring_frame *fr);
/* Closes the file; false when a write or the close failed. */
bool pcap_writer_close(struct pcap_writer *w);

#endif
