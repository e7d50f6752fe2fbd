/*
 * evidence.h - what was sent, kept on disk for an alert (issue 15). A
 * candidate upload (an HTTP body or multipart part to a pair not settled
 * benign, whose first bytes are an archive or high-entropy) is spooled
 * from its first byte under <evidence.dir>/.spool/; when a rule fires for
 * its pair the candidates move into the alert's directory, and until the
 * pair's suppression ends every body, part, CONNECT tunnel and direct TLS
 * stream of the pair is stored there too, with manifest.jsonl. Candidates
 * that end without an alert are deleted after evidence.grace. Everything
 * under the directory stays under evidence.max_total (oldest alert
 * directories deleted first). Fixed tables (evidence.max_open files at
 * once), no allocation after evidence_new; a write error never stops
 * detection: the file is cut, logged once and counted.
 */
#ifndef EXFILD_EVIDENCE_H
#define EXFILD_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/alert/alert.h"
#include "exfild/config/config.h"
#include "exfild/track/agg.h"
#include "exfild/track/flow.h"
#include "exfild/util/util.h"

/* Names in an alert's directory: "NNN-" and at most this many bytes of
 * the sender's filename, made safe (evidence_safe_name). */
#define EVIDENCE_NAME_KEEP 100
#define EVIDENCE_NAME_MAX (EVIDENCE_NAME_KEEP + 16)
#define EVIDENCE_BUF 32768  /* write buffer per open file */
#define EVIDENCE_HOLD 160   /* bytes held back: a multipart delimiter
			     * ("\r\n--" + 70 + padding) taken back */

enum evidence_kind {
	EVIDENCE_BODY = 0,  /* a request body */
	EVIDENCE_PART,      /* a multipart/form-data part */
	EVIDENCE_TUNNEL,    /* a CONNECT tunnel's client bytes */
	EVIDENCE_TLS,       /* a direct TLS stream's client bytes */
};

struct evidence_stats {
	uint64_t files;                /* files stored for alerts (manifest lines) */
	uint64_t bytes;                /* bytes written, candidates included */
	uint64_t deleted;              /* alert directories deleted for max_total */
	uint64_t errors;               /* write, rename or open errors */
	uint64_t candidates_spooled;
	uint64_t candidates_dropped;   /* not spooled: max_open files open */
	uint64_t candidates_deleted;   /* ended without an alert */
	uint64_t cut;                  /* files cut at max_bytes or max_total */
	uint64_t missing;              /* bodies of an alerted pair begun before
					* the alert and not spooled */
	uint64_t total;                /* bytes under evidence.dir now */
};

/* A body, part or stream that starts. */
struct evidence_start {
	const struct flow *flow;       /* the flow it arrives on (its key only
					* is read; the pointer identifies it) */
	uint32_t pair_id, pair_gen;
	enum evidence_kind kind;
	const char *filename;          /* as sent (wire bytes), "" none */
	uint64_t missing_before;       /* bytes of it seen before this */
	uint64_t ts_ns;
};

struct evidence;
/* NULL (and err) when the directory cannot be made or read; the caller
 * asks only when cfg->evidence_enabled. */
struct evidence *evidence_new(const struct config *cfg, char *err,
    size_t errlen);
/* End of input: files in progress are closed (stored ones listed in their
 * manifest, candidates deleted). evidence_free does it too. */
void evidence_finish(struct evidence *ev);
void evidence_free(struct evidence *ev);
/* A reload: sizes and grace change; open files and directories stay. */
void evidence_apply_config(struct evidence *ev, const struct config *cfg);

/* Is the pair under evidence at ts? One comparison, per packet. */
static inline bool
evidence_pair_open(const struct pair *p, uint64_t ts_ns)
{
	return (uint64_t)p->evidence_until_s * NS_PER_SEC > ts_ns;
}

/*
 * A body, part or stream starts: spooled (candidate) or stored (its pair
 * under evidence). Returns true when it is being written; false when not
 * (max_open files open: counted as dropped). The flow's earlier file, if
 * any, ends first.
 */
bool evidence_start(struct evidence *ev, const struct evidence_start *st);
/* Bytes of the flow's file (nothing when it has none). */
void evidence_bytes(struct evidence *ev, const struct flow *f,
    const uint8_t *data, size_t len, uint64_t ts_ns);
/* Has the flow a file being written? (false at once when none is open) */
bool evidence_writing(const struct evidence *ev, const struct flow *f);
/* A multipart part's content ended: the last delim bytes (and a CR
 * before them) were its delimiter's (proto_http.h on_part_end), not the
 * file's. It ends. */
void evidence_part_end(struct evidence *ev, const struct flow *f,
    size_t delim, uint64_t ts_ns);
/* Bytes of the flow's file were lost (a gap): it ends, cut. */
void evidence_cut(struct evidence *ev, const struct flow *f, uint64_t ts_ns);
/* The flow's file ends (next request, flow closed or evicted). */
void evidence_end(struct evidence *ev, const struct flow *f, uint64_t ts_ns);
/* An alert for the pair: its directory made (or the pair's open one
 * reused), the pair's candidates moved in, p->evidence_until_s set to
 * until_ns; a->evidence_dir and a->sha256 filled. */
void evidence_alert(struct evidence *ev, struct pair *p, uint32_t pair_id,
    uint32_t pair_gen, struct alert *a, uint64_t until_ns);
/* a->sha256 from the manifest of a->evidence_dir as it is now (the
 * alert-update record at the suppression's end lists the bodies stored
 * complete since the alert too). */
void evidence_dir_hashes(const struct evidence *ev, struct alert *a);
/* Input time passes: finished candidates past the grace deleted,
 * directories whose time is over closed. */
void evidence_tick(struct evidence *ev, uint64_t now_ns);

/* For the per-flow packet ring (evidence/pktring.c): the pair's open
 * alert directory (a full path into dir), false when none. */
bool evidence_pair_dir(const struct evidence *ev, uint32_t pair_id,
    uint32_t pair_gen, char *dir, size_t dirlen);
/* Bytes written under evidence.dir by someone else: charged to
 * max_total (oldest directories deleted first). false: no room. */
bool evidence_account(struct evidence *ev, uint64_t bytes);
void evidence_get_stats(const struct evidence *ev, struct evidence_stats *out);
/* The packet ring's pcap at path (in an alert's directory) ended: its
 * manifest line {"name":"packets.pcap","kind":"pcap","size":N,"frames":N,
 * "complete":BOOL,"missing_before":N}, missing_before the packets of its
 * flows seen before it that the rings no longer held. */
void evidence_note_pcap(struct evidence *ev, const char *path,
    uint64_t frames, uint64_t bytes, uint64_t missing);

/* A name safe on disk from the sender's filename: [A-Za-z0-9._-] kept,
 * any other byte '_', no leading dot, ".." broken up, at most
 * EVIDENCE_NAME_KEEP bytes, "file" when nothing is left, prefixed
 * "NNN-" with seq (so two never collide). */
void evidence_safe_name(const char *filename, unsigned seq, char *out,
    size_t outlen);

#endif
