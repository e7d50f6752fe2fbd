/*
 * state.h - what exfild knows besides its destinations, kept across a
 * restart: when observation began, the names learned from DNS answers,
 * the internal hosts (activity, wakings,
 * crown-jewel pulls), every (host, destination) pair with its totals and
 * window, each rule's state at every scope (long windows, campaign
 * members, beacon series ...) and the rules' suppression. Saved in the
 * baseline's file, after the destinations, by the same atomic write
 * (baseline.h), and loaded at start; a version 1 file (destinations only)
 * still loads. A later stage adds its own records (track_state_more: the
 * flows in progress, with their parser state, conn.h). So a replay split
 * in two at any packet, with --save-baseline between, gives the alerts of
 * one replay.
 */
#ifndef EXFILD_TRACK_STATE_H
#define EXFILD_TRACK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/track/track.h"
#include "exfild/util/cursor.h"

/* What the last load put back and what it left out (a destination not
 * kept, a rule that refused its state or is not in this version, a
 * record type this version does not know). */
struct track_state_stats {
	uint64_t names, hosts, pairs, rule_states, suppressions;
	uint64_t dropped;
};

/*
 * Records of a later stage in the same file (the flows in progress,
 * track/conn.h), written after the tracker's: write adds its lines; read
 * is given each line whose type the tracker does not know, first to check
 * (apply false), then to apply: 1 its own, 2 its own but not all of it
 * could be put back (counted as dropped), 0 not its own (a later
 * version's: skipped and counted), -1 with a message.
 */
struct track_state_more {
	int (*write)(void *ctx, FILE *fp);
	int (*read)(void *ctx, const struct cursor *line, bool apply, char *msg,
	    size_t msglen);
	void *ctx;
};

/* more may be NULL. */
int track_state_save(struct tracker *t, const char *path,
    const struct track_state_more *more, char *err, size_t errlen);
/* At start, into empty tables. Missing file: 0 and nothing loaded. -1
 * with "file:line: message": what was put back is partial, and the
 * tracker is for discarding (start-up fails). */
int track_state_load(struct tracker *t, const char *path,
    const struct track_state_more *more, struct track_state_stats *stats,
    char *err, size_t errlen);

/* ---- for the records of other stages: one line's words and fields ---- */
#define STATE_FIELDS_MAX 32
struct state_words {
	struct cursor w[STATE_FIELDS_MAX];
	size_t n;
};
/* 0, or -1 with msg (more than STATE_FIELDS_MAX words). */
int state_split(const struct cursor *line, struct state_words *out, char *msg,
    size_t msglen);
/* -1 with "what: expected n fields, not m" unless there are n. */
int state_need_fields(const struct state_words *ws, size_t n, const char *what,
    char *msg, size_t msglen);
/* Each -1 with "invalid <what> \"...\"" in msg. */
int state_bad_field(const struct cursor *f, const char *what, char *msg,
    size_t msglen);
int state_get_u64(const struct cursor *f, const char *what, uint64_t *out,
    char *msg, size_t msglen);
int state_get_addr(const struct cursor *f, struct netaddr *out, char *msg,
    size_t msglen);
/* Writers: " <addr>", " <hex of len bytes>" (errors: *rc = -1). */
void state_put_addr(FILE *fp, const struct netaddr *a, int *rc);
void state_put_hex(FILE *fp, const void *bytes, size_t len, int *rc);

#endif
