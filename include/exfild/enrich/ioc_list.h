/*
 * ioc_list.h - one indicator list file (rule indicator-match): its
 * addresses and CIDRs in a longest-prefix trie (util/trie.h), its names
 * in a hash set matched by suffix (in a plain list a name covers its
 * subdomains; a hosts file lists exact names), and each entry's line, text
 * and comment or malware family. Read once from the file, every byte
 * hostile (util/cursor.h), then only looked up. A bad line is counted and
 * kept with its file:line for the log, never fatal.
 */
#ifndef EXFILD_ENRICH_IOC_LIST_H
#define EXFILD_ENRICH_IOC_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

#define IOC_BAD_KEPT   8    /* bad lines kept with their reason */
#define IOC_BAD_LEN    192  /* "file:line: reason", cut */
#define IOC_NOTE_MAX   160  /* bytes of a comment or malware family kept */
#define IOC_ENTRIES_MAX (16u * 1024 * 1024) /* a list's entries, at most */

/* How a destination matched an entry. */
enum ioc_how {
	IOC_MATCH_ADDRESS,   /* an address entry */
	IOC_MATCH_NETWORK,   /* a CIDR holding the address */
	IOC_MATCH_NAME,      /* the name itself */
	IOC_MATCH_SUBDOMAIN, /* a subdomain of a listed name (plain lists) */
	IOC_MATCH_ANSWERED,  /* an address DNS answered for a listed name */
};
static inline const char *
ioc_how_name(enum ioc_how how)
{
	static const char *const names[] = { "address", "network", "name",
		"subdomain", "answered" };

	return (unsigned)how < sizeof(names) / sizeof(names[0]) ? names[how] :
	    "unknown";
}

/* An entry as found: pointers into the list (valid while it lives). */
struct ioc_entry_view {
	uint32_t line;
	const char *text;    /* as listed, normalised: "198.51.100.0/24", "evil.example" */
	const char *note;    /* its comment, or a Feodo malware family ("" none) */
	uint16_t port;       /* a Feodo dst_port (0: none) */
};

struct ioc_list_stats {
	uint64_t lines;
	uint64_t addresses, networks, names; /* entries, by kind */
	uint64_t duplicates; /* entries listed before (the first is kept) */
	uint64_t bad;        /* lines refused */
	size_t bytes;        /* memory the list holds */
	uint64_t load_ns;    /* how long the load took */
	size_t n_bad_kept;   /* the first IOC_BAD_KEPT bad lines: */
	char bad_kept[IOC_BAD_KEPT][IOC_BAD_LEN];
};

struct ioc_list;
/* An empty list of the file at path in format f; key seeds its name hash
 * (keyed: a list is hostile input). */
struct ioc_list *ioc_list_new(const char *path, enum ioc_format f,
    const struct hash_key *key);
void ioc_list_free(struct ioc_list *l);
/* Reads the file into the (empty) list. -1 with "path: reason" only when
 * the file cannot be read; bad lines are counted (stats). */
int ioc_list_load(struct ioc_list *l, char *err, size_t errlen);
const char *ioc_list_path(const struct ioc_list *l);
enum ioc_format ioc_list_format(const struct ioc_list *l);
const struct ioc_list_stats *ioc_list_stats(const struct ioc_list *l);
uint64_t ioc_list_entries(const struct ioc_list *l);

/* The entry that lists the address (the longest prefix); false when none. */
bool ioc_list_match_addr(const struct ioc_list *l, const struct netaddr *a,
    uint32_t *entry, enum ioc_how *how);
/* The entry that lists the name (any case, trailing dot allowed): itself,
 * else in a plain list its nearest listed parent; false when none. */
bool ioc_list_match_name(const struct ioc_list *l, const char *name,
    uint32_t *entry, enum ioc_how *how);
void ioc_list_entry(const struct ioc_list *l, uint32_t entry,
    struct ioc_entry_view *out);

#endif
