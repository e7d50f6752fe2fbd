/*
 * prevalence.h - what the learning period saw, and how widely: for each
 * address, host name, registered domain and autonomous system that internal
 * hosts used while the baseline was learning, which hosts used it (up to
 * PREV_HOSTS) and on which days. The baseline (baseline.h) asks it whether
 * a key was used by enough hosts or on enough days to be familiar; a host
 * whose traffic to a key raised an alert counts for nothing there, so an
 * implant cannot teach its own server. Fixed capacity, least recently
 * used first out (keys that are not yet prevalent before those that are).
 */
#ifndef EXFILD_PREVALENCE_H
#define EXFILD_PREVALENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define PREV_NAME_MAX 256
#define PREV_HOSTS 8      /* hosts remembered a key: baseline.min_hosts' maximum */
#define PREV_DAYS 32      /* days told apart: baseline.min_days' maximum */

enum prev_kind { PREV_ADDRESS, PREV_NAME, PREV_DOMAIN, PREV_ASN, PREV_KINDS };

/* A key: a normalised name (PREV_NAME, PREV_DOMAIN), an address or an AS
 * number. */
struct prev_key {
	enum prev_kind kind;
	uint32_t asn;
	struct netaddr addr;
	char name[PREV_NAME_MAX];
};

/* What the learning period saw of a key. */
struct prev_count {
	unsigned hosts;    /* hosts that used it and raised no alert there */
	unsigned days;     /* distinct days (UTC) those hosts used it on */
	unsigned alerted;  /* hosts whose use of it raised an alert */
	bool legacy;       /* "learned" in a state file before prevalence */
	uint64_t first_ns, last_ns;
};

struct prevtab;
struct prevtab *prevtab_new(size_t capacity, const struct hash_key *key);
uint64_t prevtab_bytes(size_t capacity);
void prevtab_free(struct prevtab *p);
void prevtab_clear(struct prevtab *p);
/* Does count reach min_hosts hosts or min_days days (or is it legacy)? */
bool prev_count_enough(const struct prev_count *c, unsigned min_hosts,
    unsigned min_days);

/* A host (a tag: prev_host_tag) used k at ts; or, alerted, its traffic
 * to k raised an alert: its uses count for nothing, now and later. */
void prevtab_note(struct prevtab *p, const struct prev_key *k, uint32_t host,
    uint64_t ts_ns, bool alerted);
/* false when k was not seen (or was forgotten). */
bool prevtab_count(const struct prevtab *p, const struct prev_key *k,
    struct prev_count *out);
/* A host's tag: the same in every run (a state file keeps them). */
uint32_t prev_host_tag(const struct netaddr *host);
const char *prev_kind_name(enum prev_kind k);

/* Drops the keys keep says no to (a state file's, checked after loading);
 * how many. */
typedef bool (*prev_keep_fn)(void *ctx, const struct prev_key *k);
size_t prevtab_filter(struct prevtab *p, prev_keep_fn keep, void *ctx);

/* Each key, least recently used first. */
typedef void (*prev_visit_fn)(void *ctx, const struct prev_key *k,
    const struct prev_count *c);
void prevtab_foreach(const struct prevtab *p, prev_visit_fn fn, void *ctx);

/*
 * State file records, one a key:
 *	seen <kind> <key> <first_ns> <last_ns> <legacy:0|1> [<tag>:<days>:<alerted>]...
 * tag and days in hex, alerted 0 or 1. prevtab_write writes them all;
 * prevtab_read parses one line (the cursor holds it whole) and, when
 * apply, adds it. 0, or -1 with msg.
 */
struct cursor;
int prevtab_write(const struct prevtab *p, FILE *fp);
int prevtab_read(struct prevtab *p, const struct cursor *line, bool apply,
    char *msg, size_t msglen);
/* The legacy record of a version 2 file's "learned" destination. */
void prevtab_add_legacy(struct prevtab *p, const struct prev_key *k,
    uint64_t first_ns, uint64_t last_ns);

#endif
