/*
 * spool.h - a bounded on-disk FIFO of records for one output (alerts the
 * SIEM could not take yet), in the manner of rsyslog's disk-assisted queue.
 * Survives restarts; after a crash a record may come out twice, never lost.
 */
#ifndef EXFILD_SPOOL_H
#define EXFILD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h" /* enum spool_fsync */

/*
 * On disk: a directory (0700) of append-only segments NNNNNNNNNNNNNNNN.seg
 * (16 lowercase hex digits, increasing), each a run of records
 *     u8 magic/version (0xE5), be32 length, be32 CRC-32 (zlib) of the
 *     length's 4 bytes and the payload, payload
 * and a file "head" (replaced atomically) naming the oldest unacknowledged
 * record: "EXSP", u8 version 1, be64 segment, be64 offset, be32 CRC-32 of
 * the 21 bytes before it. The head is written lazily (every
 * SPOOL_HEAD_EVERY acks, when a segment is used up, by spool_sync when
 * due, at close), so a crash delivers the records since then again: a
 * receiver drops duplicates by alert id.
 */
#define SPOOL_REC_HDR 9u             /* bytes before each payload */
#define SPOOL_MAX_RECORD 65536u      /* longest payload; longer is refused */
#define SPOOL_DEFAULT_SEGMENT (1024u * 1024u)
#define SPOOL_HEAD_EVERY 256u        /* acks between head writes */
#define SPOOL_LOG_INTERVAL_NS (10ULL * 1000000000ULL) /* "full" log lines */

struct spool; /* opaque */

/*
 * Records, bytes: what the spool holds now (bytes on disk, record headers
 * included). appended, acked: since open. dropped_*: records given up to
 * make room (oldest first) or refused as too big. corrupt: damaged places
 * found on disk (a record failing its checks, a torn or unreadable tail, a
 * bad head file, a segment name that is not a regular file). syncs: fsync
 * calls made (data, head and directory).
 */
struct spool_stats {
	uint64_t records, bytes;
	uint64_t appended, acked;
	uint64_t dropped_records, dropped_bytes;
	uint64_t corrupt;
	uint64_t syncs;
};

/*
 * Opens (creating it and missing parents, 0700) the spool directory dir and
 * takes an exclusive lock on it. max_bytes caps the bytes held (> 0);
 * segment_bytes is the segment size (0: SPOOL_DEFAULT_SEGMENT); fsync_ms is
 * the SPOOL_FSYNC_INTERVAL period. Scans the segments: torn tails are cut,
 * damage is counted and logged, stats are rebuilt. NULL with "spool <dir>:
 * reason" in err on failure (not a directory, a symlink, writable by group
 * or others, in use by another process, ...).
 */
struct spool *spool_open(const char *dir, uint64_t max_bytes,
    uint64_t segment_bytes, enum spool_fsync policy, uint64_t fsync_ms,
    char *err, size_t errlen);

/*
 * Appends a record of len bytes (1..SPOOL_MAX_RECORD). When it would make
 * the spool pass max_bytes the oldest records are dropped first (counted,
 * logged at most every SPOOL_LOG_INTERVAL_NS); a record that cannot fit
 * even in an empty spool is refused and counted as dropped. now_ns
 * (monotonic) paces the interval fsync and the log. 0, or -1 with the reason
 * in spool_error() (refused, or a write failed: the spool is unchanged).
 * A failed fsync is logged, not returned: the record is in the spool.
 */
int spool_append(struct spool *s, const void *rec, size_t len,
    uint64_t now_ns);

/*
 * The oldest record: 1 and *rec, *len (valid until the next spool_peek,
 * spool_ack or spool_close), 0 when the spool is empty, -1 on a read
 * error (spool_error()). Damaged records are skipped and counted. Peeking
 * again without an ack returns the same record.
 */
int spool_peek(struct spool *s, const uint8_t **rec, size_t *len);

/*
 * The record last peeked was delivered: forget it. 0, or -1 when nothing
 * was peeked. If spool_append dropped that record meanwhile, nothing more
 * is forgotten (0). The head is persisted lazily (see above).
 */
int spool_ack(struct spool *s);

/*
 * Call it from a timer. When fsync_ms has passed since the last time it
 * acted (every call when fsync_ms is 0): writes the head if acks are
 * pending and, with SPOOL_FSYNC_INTERVAL, fsyncs what was written since.
 * spool_append does the same with SPOOL_FSYNC_INTERVAL. 0 or -1
 * (spool_error()).
 */
int spool_sync(struct spool *s, uint64_t now_ns);

void spool_get_stats(const struct spool *s, struct spool_stats *out);

/* The last failure: "spool <dir>: reason" ("" when none). */
const char *spool_error(const struct spool *s);

/* Writes the head, fsyncs per the policy, unlocks and frees. NULL is fine. */
void spool_close(struct spool *s);

#endif
