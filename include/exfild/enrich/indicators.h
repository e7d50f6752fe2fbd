/*
 * indicators.h - the indicator lists of the configuration (indicators:,
 * rule indicator-match) as one set: loaded at start, loaded whole again
 * at a reload (the new lists first; on failure the old ones stay), and a
 * list again when its file changes (mtime, size or inode: indicators_check).
 * The tracker asks it once per destination: the verdict is cached by the
 * destination's slot and generation, its address and the set's version,
 * so a change re-checks each destination once, at its next evaluation.
 * A DNS answer for a listed name teaches it the answered address (the last
 * IOC_ANSWERS of them): that address matches from then on.
 */
#ifndef EXFILD_ENRICH_INDICATORS_H
#define EXFILD_ENRICH_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/enrich/ioc_list.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define IOC_ANSWERS 1024 /* addresses answered for listed names, kept */

/* A destination on a list: what the rule reports. Pointers into the
 * lists, valid until the next reload or refresh. */
struct ioc_hit {
	const char *list;           /* the file */
	enum ioc_format format;
	int severity;               /* the list's enum severity; -1: the rule's */
	enum ioc_how how;
	const char *answered_for;   /* IOC_MATCH_ANSWERED: the listed name DNS
				     * answered the address for; else "" */
	struct ioc_entry_view entry;
	bool dns_answer;            /* the destination is being seen in a DNS
				     * answer to the host (set by the tracker) */
};

struct indicators;
/* dest_capacity: the destination slots verdicts are cached for
 * (limits.destinations). key seeds the lists' name hashes. */
struct indicators *indicators_new(size_t dest_capacity,
    const struct hash_key *key);
void indicators_free(struct indicators *s);
/* Bytes of the verdict cache for dest_capacity slots (pipeline/limits.h). */
uint64_t indicators_cache_bytes(size_t dest_capacity);

/* The lists of cfg, loaded (start-up): -1 with "file: reason" when one
 * cannot be read (the set is unchanged then). Each list is logged with its
 * counts, its bytes and its first bad lines (file:line). */
int indicators_load(struct indicators *s, const struct config *cfg, char *err,
    size_t errlen);
/* The same in two steps, for a reload: prepare reads every file (NULL
 * with err: nothing changed); commit puts them in place of the old ones
 * and cannot fail; discard drops prepared lists. */
struct ioc_lists;
struct ioc_lists *indicators_prepare(const struct indicators *s,
    const struct config *cfg, char *err, size_t errlen);
void indicators_commit(struct indicators *s, struct ioc_lists *l);
void indicators_discard(struct ioc_lists *l);
/* Each list whose file changed since it was read (mtime, size or inode),
 * read again; one that cannot be read keeps its entries (a warning, once
 * per change). True when a list was replaced. */
bool indicators_refresh(struct indicators *s);

/* Moves on whenever what matches may have changed (a list, an answer). */
uint32_t indicators_version(const struct indicators *s);
size_t indicators_lists(const struct indicators *s);
uint64_t indicators_entries(const struct indicators *s);

/*
 * Is the destination (slot id and generation, its name or "", its
 * address, unset when not known) listed? The first list in the order of
 * indicators: that names it (its name, a parent of it in a plain list, its
 * address or a network holding it), else an address answered for a listed
 * name. NULL when none; the hit is valid until the next call.
 */
const struct ioc_hit *indicators_dest(struct indicators *s, uint32_t id,
    uint32_t gen, const char *name, const struct netaddr *addr);
/* A DNS answer: name has address addr. True when the name or the address
 * is listed; *learned when the address of a listed name is new to the set
 * (it matches from now on). */
bool indicators_answer(struct indicators *s, const char *name,
    const struct netaddr *addr, bool *learned);

#endif
