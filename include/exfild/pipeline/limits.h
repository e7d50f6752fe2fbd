/*
 * limits.h - the memory the limits: section needs, added up from what each
 * table module says it allocates for a capacity (its *_bytes function,
 * over its real structures), and whether this machine can give it: its
 * physical memory, RLIMIT_AS and RLIMIT_DATA. Worked out without
 * allocating, so that -t and start-up (pipeline_new) refuse, naming the
 * key, what the tables could not hold.
 */
#ifndef EXFILD_PIPELINE_LIMITS_H
#define EXFILD_PIPELINE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"

/* The keys that size tables (limits.half_open_per_host sizes nothing). */
enum limits_key {
	LIMITS_FLOWS,
	LIMITS_PAIRS,        /* with the rules' state and suppression per pair */
	LIMITS_DESTINATIONS, /* with the rules' state per destination */
	LIMITS_NAMES,
	LIMITS_HOSTS,        /* with the rules' state per host */
	LIMITS_APP_PARSERS,
	LIMITS_KEYS
};

struct limits_need {
	uint64_t bytes[LIMITS_KEYS];
	uint64_t total;
};

/* What this machine can give one process: the least of its physical
 * memory, RLIMIT_AS and RLIMIT_DATA (those that are set). */
struct limits_room {
	uint64_t bytes;
	const char *what; /* "physical memory", "RLIMIT_AS", "RLIMIT_DATA" */
};

/* "flows", "pairs", ... (the key under limits:). */
const char *limits_key_name(enum limits_key k);
void limits_need(const struct config *cfg, struct limits_need *out);
void limits_room(struct limits_room *out);
/* 0 when the need fits the room; else -1 with err naming the key that
 * needs the most, where the file sets it, and the bytes:
 * "file:line:col: limits.flows: 16777216 needs N bytes (3.9 GB); the
 * limits need N bytes (4.3 GB) in all, more than the N bytes (1.1 GB) of
 * RLIMIT_DATA". */
int limits_check(const struct config *cfg, const struct limits_need *need,
    const struct limits_room *room, char *err, size_t errlen);
/* -t's line: "memory: the limits need N bytes (548.2 MB) of the 25.3 GB
 * of physical memory: flows 60.2 MB, pairs ...". */
void limits_describe(const struct limits_need *need,
    const struct limits_room *room, char *out, size_t outlen);

#endif
