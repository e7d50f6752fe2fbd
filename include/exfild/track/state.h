/*
 * state.h - what exfild knows besides its destinations, kept across a
 * restart: when observation began, the internal hosts (activity, wakings,
 * crown-jewel pulls), every (host, destination) pair with its totals and
 * window, each rule's state at every scope (long windows, campaign
 * members, beacon series ...) and the rules' suppression. Saved in the
 * baseline's file, after the destinations, by the same atomic write
 * (baseline.h), and loaded at start; a version 1 file (destinations only)
 * still loads. So a replay split in two with --save-baseline between
 * gives the alerts of one replay. Flows in progress are not kept: a
 * connection open across the restart is taken up as a new one.
 */
#ifndef EXFILD_TRACK_STATE_H
#define EXFILD_TRACK_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/track/track.h"

/* What the last load put back and what it left out (a destination not
 * kept, a rule that refused its state or is not in this version, a
 * record type this version does not know). */
struct track_state_stats {
	uint64_t hosts, pairs, rule_states, suppressions;
	uint64_t dropped;
};

int track_state_save(struct tracker *t, const char *path, char *err,
    size_t errlen);
/* At start, into empty tables. Missing file: 0 and nothing loaded. -1
 * with "file:line: message": what was put back is partial, and the
 * tracker is for discarding (start-up fails). */
int track_state_load(struct tracker *t, const char *path,
    struct track_state_stats *stats, char *err, size_t errlen);

#endif
