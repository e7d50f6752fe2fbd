/*
 * baseline.c - the destinations this network already talks to, keyed by
 * host name (else address), in a fixed-capacity table with a keyed hash.
 *
 * The rule: a destination is familiar iff it matches baseline.allow or its
 * first_seen is before learn_start + learn. first_seen is set when the
 * entry is created and never changes afterwards, so a destination first
 * seen after the learning period NEVER becomes familiar because it keeps
 * being used: familiarity is decided by first_seen and the allow list,
 * never by volume or repetition. A named destination is allowed by its
 * name only (its address is a hint that DNS answers can steer); an
 * address-only destination by baseline.allow's networks, or by its
 * autonomous system (AS<number> entries; asked of the caller's look-up,
 * once per destination and at a reload).
 *
 * Full table: the least recently seen unfamiliar entry is evicted first,
 * then the least recently seen entry overall (recency is the order of
 * observation; a timestamp older than last_seen moves nothing). The state
 * file is text, one destination a line, flags kept for human readers only:
 *	exfild-baseline 2 learn_start=<ns|->
 *	<first_seen_ns> <last_seen_ns> <allowed|learned|unfamiliar> <addr|-> <name|->
 * names percent-encoded outside [a-z0-9._-] (the name "-" as %2D); then,
 * from version 2, the records of the rest of the state (track/state.c),
 * each a line starting with a lowercase word, read back through the
 * caller's hooks. Version 1 files (destinations only) still load. Written
 * to a temp file, fsync'd, renamed over the old one, directory fsync'd.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpsl.h>

#include "exfild/track/baseline.h"
#include "exfild/track/prevalence.h"
#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/table.h"

#define NAME_MAX_LEN (DEST_NAME_MAX - 1)
#define BASELINE_NIL TABLE_NONE
#define STATE_MAGIC "exfild-baseline"
#define STATE_VERSION 3
#define STATE_LINE_MAX 32768
#define PSL_MEMO 256 /* entries of the public-suffix memo (a power of two) */ /* a flow with a ClientHello gathered: 16 KiB of hex */

/* Recency lists, in the order they give up entries when the table is full. */
enum { LIST_UNFAMILIAR, LIST_FAMILIAR, LIST_COUNT };

struct order_item {
	uint64_t last_seen_ns;
	uint32_t idx;
};

struct baseline {
	struct table tab;         /* of struct dest */
	struct order_item *order; /* scratch for re-sorting the lists */
	size_t n_order;
	struct hash_key key;

	bool learn_started;
	uint64_t learn_start_ns;
	uint64_t learn_ns;
	struct netprefix *allow_nets;
	size_t n_allow_nets;
	char **allow_domains;
	size_t n_allow_domains;
	uint32_t *allow_asns;
	size_t n_allow_asns;
	baseline_asn_fn asn_fn;
	void *asn_ctx;

	/* prevalence: what learning saw, and what makes a destination
	 * familiar once it is over */
	struct prevtab *seen;
	bool learn_over;
	unsigned familiar_by;     /* BASELINE_BY_* */
	unsigned min_hosts, min_days;
	psl_ctx_t *psl;           /* the Public Suffix List (registered domains) */
	char *psl_path;           /* its file; NULL: libpsl's newest */
	/* a filter of the keys prevalent when learning ended: a new
	 * destination whose keys miss it is judged without a hash look-up */
	uint64_t *filter;
	size_t filter_mask;       /* its bits - 1 */
	/* libpsl's answers for the labels between a new name and a learned
	 * domain (e.g. dscb.akamaiedge.net): they repeat, new names do not */
	struct psl_memo {
		uint64_t hash;    /* keyed hash of the suffix | 1 (0: empty) */
		bool public_suffix;
	} memo[PSL_MEMO];

	uint64_t n_familiar;
	uint64_t n_learned;       /* familiar, not by baseline.allow */
	uint64_t evictions;
	uint64_t not_loaded;      /* the last file's destinations left out */
};

/* What a destination is keyed by: a normalised name, else an address. */
struct dest_key {
	char name[DEST_NAME_MAX];
	size_t len; /* 0: keyed by addr */
	struct netaddr addr;
	uint64_t hash;
};

/* One parsed state-file line. */
struct state_record {
	uint64_t first_seen_ns, last_seen_ns;
	struct dest_ref ref;
};

/*
 * Lowercase ASCII, trailing dots removed (all of them, so that normalising
 * twice changes nothing), 1..255 bytes.
 */
static bool
name_normalise(const char *in, size_t len, char out[DEST_NAME_MAX],
    size_t *outlen)
{
	size_t i;

	if (len > DEST_NAME_MAX) /* over 255 bytes and a final dot */
		return false;
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN || memchr(in, '\0', len) != NULL)
		return false;
	for (i = 0; i < len; i++) {
		char c = in[i];
		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	*outlen = len;
	return true;
}

static void
key_hash(const struct baseline *b, struct dest_key *k)
{
	uint8_t raw[17];

	if (k->len > 0) {
		k->hash = hash_bytes(&b->key, k->name, k->len);
		return;
	}
	raw[0] = k->addr.family;
	memcpy(raw + 1, k->addr.a, 16);
	k->hash = hash_bytes(&b->key, raw, sizeof(raw));
}

/*
 * A name that cannot be a host name (empty, over 255 bytes) falls back to
 * the address; false when there is neither.
 */
static bool
key_make(const struct baseline *b, const char *name, const struct netaddr *addr,
    struct dest_key *k)
{
	memset(k, 0, sizeof(*k));
	if (name == NULL || name[0] == '\0' ||
	    !name_normalise(name, strnlen(name, DEST_NAME_MAX + 1), k->name,
	    &k->len)) {
		if (addr == NULL || !netaddr_is_set(addr))
			return false;
		k->len = 0;
		k->name[0] = '\0';
		k->addr = *addr;
	}
	key_hash(b, k);
	return true;
}

static bool
key_matches(void *probe, const void *entry)
{
	const struct dest_key *k = probe;
	const struct dest *d = entry;

	if (k->len > 0)
		return strcmp(d->name, k->name) == 0;
	return d->name[0] == '\0' && netaddr_eq(&d->addr, &k->addr);
}

static uint32_t
dests_find(const struct baseline *b, struct dest_key *k)
{
	return table_find(&b->tab, k->hash, key_matches, k);
}

static unsigned
list_of(const struct dest *d)
{
	return d->familiar ? LIST_FAMILIAR : LIST_UNFAMILIAR;
}

static uint64_t
learn_end_ns(const struct baseline *b)
{
	if (UINT64_MAX - b->learn_start_ns < b->learn_ns)
		return UINT64_MAX;
	return b->learn_start_ns + b->learn_ns;
}

/* name equals domain or ends with "." domain. */
static bool
domain_matches(const char *name, size_t len, const char *domain)
{
	size_t dlen = strlen(domain);

	if (dlen == 0 || dlen > len)
		return false;
	if (memcmp(name + (len - dlen), domain, dlen) != 0)
		return false;
	return dlen == len || name[len - dlen - 1] == '.';
}

/* The address's autonomous system is an AS<number> entry. */
static bool
asn_allowed(const struct baseline *b, const struct netaddr *a)
{
	uint32_t asn;
	size_t i;

	if (b->n_allow_asns == 0 || b->asn_fn == NULL || !netaddr_is_set(a) ||
	    (asn = b->asn_fn(b->asn_ctx, a)) == 0)
		return false;
	for (i = 0; i < b->n_allow_asns; i++)
		if (b->allow_asns[i] == asn)
			return true;
	return false;
}

static bool
dest_allowed(const struct baseline *b, const struct dest *d)
{
	size_t i, len = strlen(d->name);

	if (len > 0) {
		for (i = 0; i < b->n_allow_domains; i++)
			if (domain_matches(d->name, len, b->allow_domains[i]))
				return true;
		return false;
	}
	for (i = 0; i < b->n_allow_nets; i++)
		if (netprefix_contains(&b->allow_nets[i], &d->addr))
			return true;
	return asn_allowed(b, &d->addr);
}

/* The registered domain of a normalised name (public suffix + 1 label,
 * from the Public Suffix List) into out; false when it has none (one
 * label, a public suffix itself, no list loaded). */
static bool
registered_domain(const struct baseline *b, const char *name, char *out)
{
	const char *r = b->psl != NULL ?
	    psl_registrable_domain(b->psl, name) : NULL;

	if (r == NULL)
		return false;
	str_copy(out, r, PREV_NAME_MAX);
	return true;
}

/* The keys a destination (and, for an address, the name its client
 * resolved it by: label, or NULL) is known by, with the familiar_by bit of
 * each. At most 4. A registered domain is worked out by libpsl (some
 * 10,000 instructions a name) only when asked for (exact); otherwise its
 * key holds the whole name, to be matched by suffix (domain_prevalent). */
struct dest_keys {
	struct prev_key k[4];
	unsigned by[4];
	bool by_suffix[4];
	size_t n;
};

static void
add_key(struct dest_keys *ks, enum prev_kind kind, unsigned by)
{
	ks->k[ks->n].kind = kind;
	ks->by[ks->n] = by;
	ks->by_suffix[ks->n] = false;
	ks->n++;
}

static void
add_name_keys(const struct baseline *b, struct dest_keys *ks, const char *name,
    bool exact)
{
	struct prev_key *k = &ks->k[ks->n];

	/* (a name key is its kind and its NUL-terminated name: no memset of
	 * the 300 bytes, this runs for every new destination) */
	str_copy(k[0].name, name, PREV_NAME_MAX);
	add_key(ks, PREV_NAME, BASELINE_BY_NAME);
	if (!exact) {
		/* the name and its registered domain in one pass: see
		 * name_prevalent */
		ks->by[ks->n - 1] |= BASELINE_BY_DOMAIN;
		ks->by_suffix[ks->n - 1] = true;
		return;
	}
	if (!registered_domain(b, name, k[1].name))
		return; /* a name without one has its name key only */
	add_key(ks, PREV_DOMAIN, BASELINE_BY_DOMAIN);
}

static void
dest_keys(const struct baseline *b, const struct dest *d, const char *label,
    bool exact, struct dest_keys *ks)
{
	struct prev_key *k;
	uint32_t asn;

	ks->n = 0;
	if (d->name[0] != '\0') {
		add_name_keys(b, ks, d->name, exact);
		return;
	}
	k = &ks->k[ks->n];
	memset(k, 0, sizeof(*k));
	k->addr = d->addr;
	add_key(ks, PREV_ADDRESS, BASELINE_BY_ADDRESS);
	/* (an ASN look-up only when asked for: what learning saw of ASes is
	 * counted while familiar_by names asn) */
	if ((b->familiar_by & BASELINE_BY_ASN) && b->asn_fn != NULL &&
	    (asn = b->asn_fn(b->asn_ctx, &d->addr)) != 0) {
		k = &ks->k[ks->n];
		memset(k, 0, sizeof(*k));
		k->asn = asn;
		add_key(ks, PREV_ASN, BASELINE_BY_ASN);
	}
	if (label != NULL && label[0] != '\0')
		add_name_keys(b, ks, label, exact);
}

/* ---- the filter of prevalent keys ---- */

/* FNV-1a over the bytes from the last to the first, so that a name's hash
 * passes through each of its suffixes' on the way. Not keyed: the filter
 * only lets a look-up be skipped, it never decides. */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define FILTER_BITS_PER_KEY 16

static uint64_t
fnv_reverse(uint64_t h, const uint8_t *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ p[n]) * FNV_PRIME;
	return h;
}

static uint64_t
filter_mix(uint64_t h, enum prev_kind kind)
{
	h ^= (uint64_t)(kind + 1) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
key_filter_hash(const struct prev_key *k)
{
	uint64_t h = FNV_OFFSET;

	switch (k->kind) {
	case PREV_ADDRESS:
		h = fnv_reverse(h, &k->addr.family, 1);
		h = fnv_reverse(h, k->addr.a, sizeof(k->addr.a));
		break;
	case PREV_ASN:
		h = fnv_reverse(h, (const uint8_t *)&k->asn, sizeof(k->asn));
		break;
	default:
		h = fnv_reverse(h, (const uint8_t *)k->name, strlen(k->name));
		break;
	}
	return filter_mix(h, k->kind);
}

/* Two bits a key. */
static bool
filter_test(const struct baseline *b, uint64_t h)
{
	size_t i = h & b->filter_mask, j = (h >> 32) & b->filter_mask;

	return (b->filter[i / 64] >> (i % 64) & 1) &&
	    (b->filter[j / 64] >> (j % 64) & 1);
}

static void
filter_visit(void *ctx, const struct prev_key *k, const struct prev_count *c)
{
	struct baseline *b = ctx;
	uint64_t h;
	size_t i, j;

	if (!prev_count_enough(c, b->min_hosts, b->min_days))
		return;
	h = key_filter_hash(k);
	i = h & b->filter_mask;
	j = (h >> 32) & b->filter_mask;
	b->filter[i / 64] |= 1ULL << (i % 64);
	b->filter[j / 64] |= 1ULL << (j % 64);
}

/* Made again whenever the destinations are judged again (learning over,
 * a reload, a load); alerts after learning only take hosts away, which
 * leaves bits the exact look-up then answers. */
static void
filter_rebuild(struct baseline *b)
{
	memset(b->filter, 0, (b->filter_mask + 1) / 8);
	prevtab_foreach(b->seen, filter_visit, b);
}

static size_t
filter_bits(size_t keys)
{
	size_t bits = 1024;

	while (bits / FILTER_BITS_PER_KEY < keys && bits < SIZE_MAX / 4)
		bits *= 2;
	return bits;
}

/* psl_is_public_suffix, remembered (the list changes only with a reload,
 * which empties the memo). */
static bool
public_suffix_memo(struct baseline *b, const char *suffix)
{
	struct psl_memo *m;
	uint64_t h = hash_bytes(&b->key, suffix, strlen(suffix)) | 1;

	m = &b->memo[(h >> 1) & (PSL_MEMO - 1)];
	if (m->hash != h) {
		m->hash = h;
		m->public_suffix = psl_is_public_suffix(b->psl, suffix) != 0;
	}
	return m->public_suffix;
}

/*
 * Is the name in k, or its registered domain, prevalent (as familiar_by
 * asks)? One pass over the name from its end gives the filter's hash of
 * each suffix; only a suffix the filter may hold is looked up. A domain
 * key is always a registered domain (made by registered_domain, checked
 * again when loaded), so a prevalent suffix S is the name's own
 * registered domain unless a longer suffix is a public suffix (the
 * list's private section: a bucket under s3.amazonaws.com is not
 * amazonaws.com): libpsl is asked that, for the labels before S only (one
 * look-up for a name one label under it). k then holds the key that
 * made it, and c its count.
 */
static bool
name_prevalent(struct baseline *b, struct prev_key *k,
    struct prev_count *c)
{
	struct prev_key probe;
	const char *name = k->name, *q;
	size_t len = strlen(name), i;
	uint64_t h = FNV_OFFSET;
	bool dot = false;

	probe.kind = PREV_DOMAIN;
	for (i = len; i-- > 0;) {
		h = (h ^ (uint8_t)name[i]) * FNV_PRIME;
		if (i > 0 && name[i - 1] != '.') {
			dot = dot || name[i] == '.';
			continue;
		}
		if (i == 0 && (b->familiar_by & BASELINE_BY_NAME) &&
		    filter_test(b, filter_mix(h, PREV_NAME)) &&
		    prevtab_count(b->seen, k, c) &&
		    prev_count_enough(c, b->min_hosts, b->min_days))
			return true;
		/* (a registered domain has two labels at least) */
		if (!dot || !(b->familiar_by & BASELINE_BY_DOMAIN) ||
		    !filter_test(b, filter_mix(h, PREV_DOMAIN))) {
			dot = true;
			continue;
		}
		dot = true;
		str_copy(probe.name, name + i, sizeof(probe.name));
		if (!prevtab_count(b->seen, &probe, c) ||
		    !prev_count_enough(c, b->min_hosts, b->min_days))
			continue;
		if (b->psl == NULL)
			return false;
		for (q = name; q < name + i; q = strchr(q, '.') + 1)
			if (q == name ? psl_is_public_suffix(b->psl, q) :
			    public_suffix_memo(b, q))
				return false;
		*k = probe;
		return true;
	}
	return false;
}

/*
 * Why a destination is familiar or not. Familiar: allowed, or, once
 * learning is over, one of its keys that baseline.familiar_by names was
 * used during learning by min_hosts hosts or on min_days days (hosts that
 * alerted on it not counted). exact: the widest use of its keys, for the
 * reason in words, else only whether it is familiar (the cheap way).
 */
static void
verdict_of(struct baseline *b, const struct dest *d, const char *label,
    bool exact, struct baseline_verdict *v)
{
	struct dest_keys ks;
	struct prev_count c;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (d->unidentified) {
		v->why = VERDICT_UNIDENTIFIED;
		return;
	}
	if (d->allowed) {
		v->familiar = true;
		v->why = VERDICT_ALLOWED;
		return;
	}
	v->why = b->learn_over ? VERDICT_NOT_PREVALENT : VERDICT_LEARNING;
	dest_keys(b, d, label, exact, &ks);
	for (i = 0; i < ks.n; i++) {
		if (!(b->familiar_by & ks.by[i]))
			continue;
		if (ks.by_suffix[i]) {
			if (b->learn_over && name_prevalent(b, &ks.k[i], &c)) {
				v->familiar = true;
				v->why = VERDICT_LEARNED;
				v->key = ks.k[i];
				v->count = c;
				return;
			}
			continue;
		}
		/* (the cheap way asks only what the filter may hold) */
		if ((!exact && !filter_test(b, key_filter_hash(&ks.k[i]))) ||
		    !prevtab_count(b->seen, &ks.k[i], &c))
			continue;
		if (b->learn_over &&
		    prev_count_enough(&c, b->min_hosts, b->min_days)) {
			v->familiar = true;
			v->why = VERDICT_LEARNED;
			v->key = ks.k[i];
			v->count = c;
			return;
		}
		/* the widest use so far, for the reason */
		if (!v->have_count || c.hosts > v->count.hosts ||
		    (c.hosts == v->count.hosts && c.days > v->count.days)) {
			v->have_count = true;
			v->key = ks.k[i];
			v->count = c;
		}
	}
	if (!v->have_count && b->learn_over)
		v->why = VERDICT_UNSEEN;
}

static bool
dest_familiar(struct baseline *b, const struct dest *d)
{
	struct baseline_verdict v;

	if (d->unidentified)
		return false;
	if (d->allowed)
		return true;
	if (!b->learn_over)
		return false;
	verdict_of(b, d, NULL, false, &v);
	return v.familiar;
}

static int
order_cmp(const void *x, const void *y)
{
	const struct order_item *a = x, *c = y;

	if (a->last_seen_ns != c->last_seen_ns)
		return a->last_seen_ns < c->last_seen_ns ? -1 : 1;
	return a->idx < c->idx ? -1 : a->idx > c->idx;
}

/* Recomputes allowed and familiar; notes where the entry goes. */
static bool
dest_reevaluate(void *ctx, uint32_t id, void *entry)
{
	struct baseline *b = ctx;
	struct dest *d = entry;

	d->allowed = !d->unidentified && dest_allowed(b, d);
	d->familiar = dest_familiar(b, d);
	if (d->familiar)
		b->n_familiar++;
	if (d->familiar && !d->allowed)
		b->n_learned++;
	b->order[b->n_order].last_seen_ns = d->last_seen_ns;
	b->order[b->n_order].idx = id;
	b->n_order++;
	return true;
}

/*
 * Recomputes allowed and familiar for every entry and rebuilds both
 * recency lists in last_seen order.
 */
static void
dests_reevaluate(struct baseline *b)
{
	unsigned l;
	size_t i;

	filter_rebuild(b);
	b->n_familiar = 0;
	b->n_learned = 0;
	b->n_order = 0;
	for (l = 0; l < LIST_COUNT; l++)
		table_foreach(&b->tab, l, dest_reevaluate, b);
	qsort(b->order, b->n_order, sizeof(*b->order), order_cmp);
	for (i = 0; i < b->n_order; i++)
		table_move(&b->tab, b->order[i].idx,
		    list_of(table_entry(&b->tab, b->order[i].idx)));
}

static void
dests_clear(struct baseline *b)
{
	table_clear(&b->tab);
	prevtab_clear(b->seen);
	b->n_familiar = 0;
	b->n_learned = 0;
}

static void
allow_free(struct baseline *b)
{
	size_t i;

	for (i = 0; i < b->n_allow_domains; i++)
		free(b->allow_domains[i]);
	free(b->allow_domains);
	free(b->allow_nets);
	free(b->allow_asns);
	b->allow_domains = NULL;
	b->allow_nets = NULL;
	b->allow_asns = NULL;
	b->n_allow_domains = b->n_allow_nets = b->n_allow_asns = 0;
}

/* Copies the allow list; domains lowercased, "*." / "." and a final dot cut. */
static void
allow_copy(struct baseline *b, const struct config *cfg)
{
	const char *dom;
	char norm[DEST_NAME_MAX];
	size_t i, len;

	if (cfg->baseline_allow_nets.n > 0) {
		b->allow_nets = xreallocarray(NULL, cfg->baseline_allow_nets.n,
		    sizeof(*b->allow_nets));
		memcpy(b->allow_nets, cfg->baseline_allow_nets.v,
		    cfg->baseline_allow_nets.n * sizeof(*b->allow_nets));
		b->n_allow_nets = cfg->baseline_allow_nets.n;
	}
	if (cfg->n_baseline_allow_asns > 0) {
		b->allow_asns = xreallocarray(NULL, cfg->n_baseline_allow_asns,
		    sizeof(*b->allow_asns));
		memcpy(b->allow_asns, cfg->baseline_allow_asns,
		    cfg->n_baseline_allow_asns * sizeof(*b->allow_asns));
		b->n_allow_asns = cfg->n_baseline_allow_asns;
	}
	if (cfg->n_baseline_allow_domains == 0)
		return;
	b->allow_domains = xcalloc(cfg->n_baseline_allow_domains,
	    sizeof(*b->allow_domains));
	for (i = 0; i < cfg->n_baseline_allow_domains; i++) {
		dom = cfg->baseline_allow_domains[i];
		if (strncmp(dom, "*.", 2) == 0)
			dom += 2;
		else if (dom[0] == '.')
			dom++;
		if (!name_normalise(dom, strnlen(dom, DEST_NAME_MAX + 1), norm,
		    &len)) {
			log_warnx("baseline: ignoring allow domain \"%s\"",
			    cfg->baseline_allow_domains[i]);
			continue;
		}
		b->allow_domains[b->n_allow_domains++] = xstrdup(norm);
	}
}

/* The Public Suffix List: the file given (baseline.public_suffix_list),
 * else libpsl's newest (its built-in list or the system's file, e.g.
 * Debian's publicsuffix package), else none: every name is then its own
 * registered domain, which makes nothing familiar by another's. */
static void
psl_apply(struct baseline *b, const char *path)
{
	psl_ctx_t *psl;

	if (b->psl != NULL && str_eq_nullable(b->psl_path, path))
		return;
	psl = path != NULL ? psl_load_file(path) : psl_latest(NULL);
	if (psl == NULL && path == NULL)
		psl = (psl_ctx_t *)(uintptr_t)psl_builtin();
	if (psl == NULL) {
		log_warnx("baseline: %s: cannot load the Public Suffix List%s",
		    path != NULL ? path : "libpsl",
		    b->psl != NULL ? ": keeping the one loaded" : "");
		return;
	}
	if (b->psl != NULL && b->psl != psl_builtin())
		psl_free(b->psl);
	b->psl = psl;
	memset(b->memo, 0, sizeof(b->memo));
	free(b->psl_path);
	b->psl_path = path != NULL ? xstrdup(path) : NULL;
}

void
baseline_apply_config(struct baseline *b, const struct config *cfg)
{
	allow_free(b);
	b->learn_ns = 0;
	b->familiar_by = BASELINE_BY_ADDRESS | BASELINE_BY_NAME |
	    BASELINE_BY_DOMAIN;
	b->min_hosts = b->min_days = 2;
	if (cfg != NULL) {
		b->learn_ns = cfg->baseline_learn_s > UINT64_MAX / NS_PER_SEC ?
		    UINT64_MAX : cfg->baseline_learn_s * NS_PER_SEC;
		allow_copy(b, cfg);
		b->familiar_by = cfg->baseline_familiar_by;
		b->min_hosts = (unsigned)cfg->baseline_min_hosts;
		b->min_days = (unsigned)cfg->baseline_min_days;
	}
	psl_apply(b, cfg != NULL ? cfg->baseline_psl : NULL);
	dests_reevaluate(b);
}

void
baseline_set_asn_lookup(struct baseline *b, baseline_asn_fn fn, void *ctx)
{
	b->asn_fn = fn;
	b->asn_ctx = ctx;
}

/* A full table gives up its least recently seen unfamiliar entry. */
static void
dest_evicted(void *ctx, uint32_t id, void *entry)
{
	struct baseline *b = ctx;
	struct dest *d = entry;

	(void)id;
	if (d->familiar)
		b->n_familiar--;
	if (d->familiar && !d->allowed)
		b->n_learned--;
	b->evictions++;
}

/* The destinations' table: two buckets a destination. */
static struct table_conf
dests_conf(size_t capacity, struct baseline *b)
{
	struct table_conf conf = {
		.entry_size = sizeof(struct dest),
		.gen_offset = offsetof(struct dest, gen),
		.lists = LIST_COUNT, .evict = dest_evicted, .ctx = b,
	};

	if (capacity == 0)
		capacity = 1;
	if (capacity > UINT32_MAX / 4)
		capacity = UINT32_MAX / 4;
	conf.capacity = capacity;
	conf.min_buckets = capacity * 2;
	return conf;
}

/* What learning saw: two keys a destination (a name and its registered
 * domain, or an address and its AS; domains and ASes are shared). */
static size_t
prev_capacity(size_t dests)
{
	return dests > SIZE_MAX / 2 ? dests : dests * 2;
}

uint64_t
baseline_bytes(size_t capacity)
{
	struct table_conf conf = dests_conf(capacity, NULL);

	return table_bytes(conf) +
	    (uint64_t)conf.capacity * sizeof(struct order_item) +
	    prevtab_bytes(prev_capacity(conf.capacity)) +
	    filter_bits(prev_capacity(conf.capacity)) / 8;
}

struct baseline *
baseline_new(size_t capacity, const struct config *cfg,
    const struct hash_key *key)
{
	struct baseline *b = xcalloc(1, sizeof(*b));
	struct table_conf conf = dests_conf(capacity, b);

	if (table_init(&b->tab, &conf) != 0)
		fatalx("baseline: table of %zu destinations", conf.capacity);
	b->order = xcalloc(conf.capacity, sizeof(*b->order));
	b->key = *key;
	if ((b->seen = prevtab_new(prev_capacity(conf.capacity), key)) == NULL)
		fatalx("baseline: table of %zu learned keys", conf.capacity);
	b->filter_mask = filter_bits(prev_capacity(conf.capacity)) - 1;
	b->filter = xcalloc((b->filter_mask + 1) / 64, sizeof(*b->filter));
	baseline_apply_config(b, cfg);
	return b;
}

void
baseline_free(struct baseline *b)
{
	if (b == NULL)
		return;
	allow_free(b);
	table_fini(&b->tab);
	prevtab_free(b->seen);
	free(b->filter);
	if (b->psl != NULL && b->psl != psl_builtin())
		psl_free(b->psl);
	free(b->psl_path);
	free(b->order);
	free(b);
}

static uint32_t
slot_fill(struct baseline *b, const struct dest_key *k,
    const struct netaddr *addr, uint64_t first_seen_ns, uint64_t last_seen_ns)
{
	uint32_t idx = table_insert(&b->tab, k->hash, LIST_UNFAMILIAR);
	struct dest *d = table_entry(&b->tab, idx);

	memcpy(d->name, k->name, k->len + 1);
	d->unidentified = strcmp(d->name, DEST_UNIDENTIFIED) == 0;
	/* (the unidentified destination never has one, whatever came with its
	 * name from the wire or a log: it must stay of no country) */
	if (addr != NULL && netaddr_is_set(addr) && !d->unidentified)
		d->addr = *addr;
	d->first_seen_ns = first_seen_ns;
	d->last_seen_ns = last_seen_ns;
	d->allowed = !d->unidentified && dest_allowed(b, d);
	d->familiar = dest_familiar(b, d);
	if (d->familiar) {
		b->n_familiar++;
		b->n_learned += !d->allowed;
		table_move(&b->tab, idx, LIST_FAMILIAR);
	}
	return idx;
}

/*
 * Returns BASELINE_NIL (UINT32_MAX) and *out = NULL when there is neither
 * a usable name nor an address.
 */
uint32_t
baseline_observe(struct baseline *b, const char *name,
    const struct netaddr *addr, uint64_t ts_ns, struct dest **out)
{
	struct dest_key k;
	struct dest *d;
	uint32_t idx;

	if (out != NULL)
		*out = NULL;
	if (!key_make(b, name, addr, &k))
		return BASELINE_NIL;
	if (!b->learn_started) {
		b->learn_started = true;
		b->learn_start_ns = ts_ns;
	}
	idx = dests_find(b, &k);
	if (idx == BASELINE_NIL) {
		idx = slot_fill(b, &k, addr, ts_ns, ts_ns);
	} else {
		d = table_entry(&b->tab, idx);
		if (addr != NULL && netaddr_is_set(addr) && !d->unidentified)
			d->addr = *addr;
		if (ts_ns > d->last_seen_ns) {
			d->last_seen_ns = ts_ns;
			table_touch(&b->tab, idx);
		}
	}
	if (out != NULL)
		*out = table_entry(&b->tab, idx);
	return idx;
}

/* (inline: link-time optimisation may then inline it into the packet path) */
inline void
baseline_touch(struct baseline *b, uint32_t id, uint32_t gen, uint64_t ts_ns)
{
	struct dest *d = baseline_get(b, id, gen);

	if (d == NULL || ts_ns <= d->last_seen_ns)
		return;
	d->last_seen_ns = ts_ns;
	table_touch(&b->tab, id);
}

void
baseline_prefetch(const struct baseline *b, uint32_t id)
{
	if (id < table_capacity(&b->tab))
		table_prefetch_slot(&b->tab, id, offsetof(struct dest, gen));
}

struct dest *
baseline_get(struct baseline *b, uint32_t id, uint32_t gen)
{
	return table_get(&b->tab, id, gen);
}

void
baseline_start_learning(struct baseline *b, uint64_t ts_ns)
{
	if (!b->learn_started) {
		b->learn_started = true;
		b->learn_start_ns = ts_ns;
	}
}

uint64_t
baseline_learn_start_ns(const struct baseline *b)
{
	return b->learn_start_ns;
}

uint64_t
baseline_learn_end_ns(const struct baseline *b)
{
	return b->learn_started ? learn_end_ns(b) : 0;
}

void
baseline_set_learning_over(struct baseline *b, bool over)
{
	if (b->learn_over == over)
		return;
	b->learn_over = over;
	dests_reevaluate(b);
}

bool
baseline_learning_over(const struct baseline *b)
{
	return b->learn_over;
}

/* Each of d's keys counts host at ts, or marks it as alerted. */
static void
note_keys(struct baseline *b, const struct dest *d, const char *label,
    const struct netaddr *host, uint64_t ts_ns, bool alerted)
{
	struct dest_keys ks;
	uint32_t tag = prev_host_tag(host);
	size_t i;

	if (d->unidentified)
		return;
	dest_keys(b, d, label, true, &ks);
	for (i = 0; i < ks.n; i++)
		prevtab_note(b->seen, &ks.k[i], tag, ts_ns, alerted);
}

void
baseline_note(struct baseline *b, const struct dest *d, const char *label,
    const struct netaddr *host, uint64_t ts_ns)
{
	note_keys(b, d, label, host, ts_ns, false);
}

void
baseline_alerted(struct baseline *b, const struct dest *d, const char *label,
    const struct netaddr *host, uint64_t ts_ns)
{
	note_keys(b, d, label, host, ts_ns, true);
}

void
baseline_verdict(struct baseline *b, const struct dest *d,
    const char *label, struct baseline_verdict *v)
{
	verdict_of(b, d, label, true, v);
}

bool
baseline_label_familiar(struct baseline *b, const struct dest *d,
    const char *label)
{
	struct baseline_verdict v;

	if (!b->learn_over || d->name[0] != '\0' || d->unidentified ||
	    !(b->familiar_by & (BASELINE_BY_NAME | BASELINE_BY_DOMAIN)))
		return false;
	verdict_of(b, d, label, false, &v);
	return v.familiar;
}

static void
key_text(const struct prev_key *k, char *out, size_t outlen)
{
	char addr[NETADDR_STRLEN];

	switch (k->kind) {
	case PREV_ADDRESS:
		netaddr_format(&k->addr, addr, sizeof(addr));
		snprintf(out, outlen, "address %s", addr);
		break;
	case PREV_ASN:
		snprintf(out, outlen, "AS%" PRIu32, k->asn);
		break;
	case PREV_NAME:
		snprintf(out, outlen, "name %s", k->name);
		break;
	default:
		snprintf(out, outlen, "registered domain %s", k->name);
		break;
	}
}

void
baseline_verdict_text(const struct baseline *b,
    const struct baseline_verdict *v, char *out, size_t outlen)
{
	char key[PREV_NAME_MAX + 32];

	key_text(&v->key, key, sizeof(key));
	switch (v->why) {
	case VERDICT_UNIDENTIFIED:
		snprintf(out, outlen, "never familiar (proxied bytes whose "
		    "destination could not be named)");
		return;
	case VERDICT_ALLOWED:
		snprintf(out, outlen, "allowed (baseline.allow)");
		return;
	case VERDICT_UNSEEN:
		snprintf(out, outlen, "not used while learning");
		return;
	case VERDICT_LEARNED:
		if (v->count.legacy) {
			snprintf(out, outlen, "learned: %s (a baseline saved "
			    "before prevalence)", key);
			return;
		}
		snprintf(out, outlen, "learned: %s used by %u host%s on %u "
		    "day%s", key, v->count.hosts, v->count.hosts == 1 ? "" : "s",
		    v->count.days, v->count.days == 1 ? "" : "s");
		return;
	default:
		break;
	}
	if (!v->have_count) {
		snprintf(out, outlen, "learning");
		return;
	}
	snprintf(out, outlen, "%s: %s used by %u host%s on %u day%s%s "
	    "(needs %u hosts or %u days)",
	    v->why == VERDICT_LEARNING ? "learning" : "not learned", key,
	    v->count.hosts, v->count.hosts == 1 ? "" : "s", v->count.days,
	    v->count.days == 1 ? "" : "s",
	    v->count.alerted > 0 ? ", not counting hosts that alerted" : "",
	    b->min_hosts, b->min_days);
}

void
baseline_get_stats(const struct baseline *b, struct baseline_stats *out)
{
	out->destinations = table_count(&b->tab);
	out->familiar = b->n_familiar;
	out->learned = b->n_learned;
	out->learning = b->learn_started && !b->learn_over;
	out->learn_end_s = baseline_learn_end_ns(b) / NS_PER_SEC;
	out->learn_start_ns = b->learn_started ? b->learn_start_ns : 0;
	out->learn_end_ns = baseline_learn_end_ns(b);
	out->evictions = b->evictions;
	out->not_loaded = b->not_loaded;
}

/* --- state file ------------------------------------------------------ */

static const char *
dest_flags(const struct dest *d)
{
	if (d->allowed)
		return "allowed";
	return d->familiar ? "learned" : "unfamiliar";
}

int
baseline_write_ref(FILE *fp, const struct dest *d)
{
	char addr[NETADDR_STRLEN];

	if (netaddr_is_set(&d->addr))
		netaddr_format(&d->addr, addr, sizeof(addr));
	else
		str_copy(addr, "-", sizeof(addr));
	if (fprintf(fp, "%s ", addr) < 0 || field_write_name(fp, d->name) != 0)
		return -1;
	return 0;
}

static int
write_dest(FILE *fp, const struct dest *d)
{
	if (fprintf(fp, "%" PRIu64 " %" PRIu64 " %s ", d->first_seen_ns,
	    d->last_seen_ns, dest_flags(d)) < 0 ||
	    baseline_write_ref(fp, d) != 0 || fputc('\n', fp) == EOF)
		return -1;
	return 0;
}

void
baseline_foreach(const struct baseline *b, baseline_visit_fn fn, void *ctx)
{
	uint32_t u = table_oldest(&b->tab, LIST_UNFAMILIAR);
	uint32_t f = table_oldest(&b->tab, LIST_FAMILIAR);
	const struct dest *du, *df;
	uint32_t idx;

	while (u != BASELINE_NIL || f != BASELINE_NIL) {
		du = u != BASELINE_NIL ? table_entry(&b->tab, u) : NULL;
		df = f != BASELINE_NIL ? table_entry(&b->tab, f) : NULL;
		if (df == NULL || (du != NULL &&
		    du->last_seen_ns <= df->last_seen_ns)) {
			idx = u;
			u = table_newer(&b->tab, u);
		} else {
			idx = f;
			f = table_newer(&b->tab, f);
		}
		fn(ctx, idx, table_entry(&b->tab, idx));
	}
}

struct write_walk {
	FILE *fp;
	int rc;
};

static void
write_visit(void *ctx, uint32_t id, const struct dest *d)
{
	struct write_walk *w = ctx;

	(void)id;
	if (w->rc == 0)
		w->rc = write_dest(w->fp, d);
}

/* Header, every entry from least to most recently seen, the extra records. */
static int
write_state(const struct baseline *b, const struct baseline_extra *x, FILE *fp)
{
	struct write_walk w = { fp, 0 };

	if (b->learn_started) {
		if (fprintf(fp, STATE_MAGIC " %d learn_start=%" PRIu64 "\n",
		    STATE_VERSION, b->learn_start_ns) < 0)
			return -1;
	} else if (fprintf(fp, STATE_MAGIC " %d learn_start=-\n",
	    STATE_VERSION) < 0) {
		return -1;
	}
	baseline_foreach(b, write_visit, &w);
	if (w.rc != 0 || prevtab_write(b->seen, fp) != 0)
		return -1;
	return x != NULL && x->write != NULL ? x->write(x->ctx, fp) : 0;
}

static int
fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, rc, saved;

	if (slash == NULL) {
		str_copy(dir, ".", sizeof(dir));
	} else if (slash == path) {
		str_copy(dir, "/", sizeof(dir));
	} else {
		if ((size_t)(slash - path) >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
baseline_save(const struct baseline *b, const char *path,
    const struct baseline_extra *x, char *err, size_t errlen)
{
	char tmp[4096];
	const char *what;
	FILE *fp = NULL;
	int fd, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: temp file name: %s", path,
		    strerror(ENAMETOOLONG));
		return -1;
	}
	(void)unlink(tmp); /* a stale one from a crash under the same pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: create temp file: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		what = "fdopen";
		saved = errno;
		close(fd);
		goto fail;
	}
	errno = 0;
	if (write_state(b, x, fp) != 0 || fflush(fp) != 0) {
		what = "write";
		saved = errno != 0 ? errno : EIO;
		goto fail_close;
	}
	if (fsync(fileno(fp)) != 0) {
		what = "fsync";
		saved = errno;
		goto fail_close;
	}
	if (fclose(fp) != 0) {
		what = "close";
		saved = errno;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		what = "rename";
		saved = errno;
		goto fail;
	}
	if (fsync_parent_dir(path) != 0) {
		snprintf(err, errlen, "%s: fsync directory: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;

fail_close:
	fclose(fp);
fail:
	unlink(tmp);
	snprintf(err, errlen, "%s: %s: %s", path, what, strerror(saved));
	return -1;
}

/* A name field: field_parse_name, then normalised. */
static int
parse_name(const struct cursor *field, char out[DEST_NAME_MAX])
{
	char raw[DEST_NAME_MAX];
	size_t n, len;

	if (field_parse_name(field, raw, sizeof(raw), &n) != 0)
		return -1;
	return name_normalise(raw, n, out, &len) ? 0 : -1;
}

static int
parse_addr(const struct cursor *field, struct netaddr *out)
{
	/* (netaddr_parse_n refuses empty, over-long and non-literal bytes) */
	return netaddr_parse_n((const char *)cur_rest(field), cur_left(field),
	    out);
}

enum state_line { STATE_LINE_SKIP, STATE_LINE_RECORD, STATE_LINE_ERROR };

/* One destination line without its '\n'. */
static enum state_line
state_parse_line(const uint8_t *line, size_t len, struct state_record *r,
    char *msg, size_t msglen)
{
	struct cursor c, f[5], extra;
	char quoted[QUOTE_BUF];
	size_t i;

	cur_init(&c, line, len);
	f[0] = cur_next_word(&c);
	if (cur_left(&f[0]) == 0)
		return STATE_LINE_SKIP;
	if (len > STATE_LINE_MAX) {
		snprintf(msg, msglen, "line longer than %d bytes", STATE_LINE_MAX);
		return STATE_LINE_ERROR;
	}
	for (i = 1; i < 5; i++)
		f[i] = cur_next_word(&c);
	extra = cur_next_word(&c);
	if (cur_left(&f[4]) == 0 || cur_left(&extra) > 0) {
		snprintf(msg, msglen, "expected 5 fields: first_seen last_seen "
		    "flags address name");
		return STATE_LINE_ERROR;
	}
	memset(r, 0, sizeof(*r));
	if (parse_dec_u64(&f[0], &r->first_seen_ns) != 0) {
		quote_bytes(&f[0], quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid first_seen %s", quoted);
		return STATE_LINE_ERROR;
	}
	if (parse_dec_u64(&f[1], &r->last_seen_ns) != 0) {
		quote_bytes(&f[1], quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid last_seen %s", quoted);
		return STATE_LINE_ERROR;
	}
	if (r->first_seen_ns > r->last_seen_ns) {
		snprintf(msg, msglen, "first_seen after last_seen");
		return STATE_LINE_ERROR;
	}
	if (!cur_eq_str(&f[2], "allowed") && !cur_eq_str(&f[2], "learned") &&
	    !cur_eq_str(&f[2], "unfamiliar")) {
		quote_bytes(&f[2], quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid flags %s", quoted);
		return STATE_LINE_ERROR;
	}
	if (baseline_parse_ref(&f[3], &f[4], &r->ref, msg, msglen) != 0)
		return STATE_LINE_ERROR;
	return STATE_LINE_RECORD;
}

int
baseline_parse_ref(const struct cursor *addr, const struct cursor *name,
    struct dest_ref *out, char *msg, size_t msglen)
{
	char quoted[QUOTE_BUF];

	memset(out, 0, sizeof(*out));
	if (!cur_eq_str(addr, "-") && parse_addr(addr, &out->addr) != 0) {
		quote_bytes(addr, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid address %s", quoted);
		return -1;
	}
	if (!cur_eq_str(name, "-") && parse_name(name, out->name) != 0) {
		quote_bytes(name, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid name %s", quoted);
		return -1;
	}
	if (out->name[0] == '\0' && !netaddr_is_set(&out->addr)) {
		snprintf(msg, msglen, "neither a name nor an address");
		return -1;
	}
	return 0;
}

bool
baseline_find_ref(struct baseline *b, const struct dest_ref *r, uint32_t *id,
    uint32_t *gen)
{
	struct dest_key k;
	uint32_t i;

	if (!key_make(b, r->name, &r->addr, &k) ||
	    (i = dests_find(b, &k)) == BASELINE_NIL)
		return false;
	*id = i;
	*gen = ((const struct dest *)table_entry(&b->tab, i))->gen;
	return true;
}

/* "exfild-baseline <1|2|3> learn_start=<ns|->". */
static int
state_parse_header(const uint8_t *line, size_t len, bool *started,
    uint64_t *learn_start_ns, unsigned *version_out, char *msg, size_t msglen)
{
	struct cursor c, magic, version, learn, value, extra;
	char quoted[QUOTE_BUF];

	cur_init(&c, line, len);
	magic = cur_next_word(&c);
	version = cur_next_word(&c);
	learn = cur_next_word(&c);
	extra = cur_next_word(&c);
	if (!cur_eq_str(&magic, STATE_MAGIC) || cur_left(&learn) == 0 ||
	    cur_left(&extra) > 0) {
		snprintf(msg, msglen, "not a baseline state file (expected \""
		    STATE_MAGIC " %d learn_start=<ns>\")", STATE_VERSION);
		return -1;
	}
	if (!cur_eq_str(&version, "1") && !cur_eq_str(&version, "2") &&
	    !cur_eq_str(&version, "3")) {
		quote_bytes(&version, quoted, sizeof(quoted));
		snprintf(msg, msglen, "unsupported version %s", quoted);
		return -1;
	}
	if (cur_left(&learn) < 12 ||
	    memcmp(cur_rest(&learn), "learn_start=", 12) != 0) {
		quote_bytes(&learn, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid learn_start %s", quoted);
		return -1;
	}
	*version_out = (unsigned)(cur_rest(&version)[0] - '0');
	cur_skip(&learn, 12);
	value = learn;
	*started = !cur_eq_str(&value, "-");
	*learn_start_ns = 0;
	if (*started && parse_dec_u64(&value, learn_start_ns) != 0) {
		quote_bytes(&value, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid learn_start %s", quoted);
		return -1;
	}
	return 0;
}

static int
u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, c = *(const uint64_t *)y;

	return a < c ? -1 : a > c;
}

/* A destination of a file saved before prevalence (version 1 or 2) that
 * was first seen while learning stays familiar, as it was: its key is
 * prevalent by fiat (the file does not say by how many hosts). */
static void
add_legacy(struct baseline *b, const struct dest_key *dk,
    const struct state_record *rec)
{
	struct prev_key k;

	memset(&k, 0, sizeof(k));
	if (dk->len > 0) {
		k.kind = PREV_NAME;
		str_copy(k.name, dk->name, sizeof(k.name));
	} else {
		k.kind = PREV_ADDRESS;
		k.addr = dk->addr;
	}
	prevtab_add_legacy(b->seen, &k, rec->first_seen_ns, rec->last_seen_ns);
}

/* Loading reads the file twice (see state_read). */
struct load_pass {
	struct baseline *b;
	int pass;
	const struct baseline_extra *x;
	bool in_extra;      /* an extra record was read: no destination may follow */
	uint64_t *seen;
	size_t n_seen, cap_seen;
	uint64_t cutoff;
	size_t ties;
};

/* A record of the rest of the state (version 2): the caller's to parse
 * (pass 0) and apply (pass 1, after every destination is in). */
static int
state_extra_line(struct load_pass *lp, unsigned version, const uint8_t *line,
    size_t len, char *msg, size_t msglen)
{
	struct cursor c;

	if (version < 2) {
		snprintf(msg, msglen, "state record in a version 1 file");
		return -1;
	}
	if (len > STATE_LINE_MAX) {
		snprintf(msg, msglen, "line longer than %d bytes", STATE_LINE_MAX);
		return -1;
	}
	lp->in_extra = true;
	cur_init(&c, line, len);
	if (len > 5 && memcmp(line, "seen ", 5) == 0) {
		if (version < 3) {
			snprintf(msg, msglen, "seen record in a version %u file",
			    version);
			return -1;
		}
		return prevtab_read(lp->b->seen, &c, lp->pass == 1, msg, msglen);
	}
	if (lp->x == NULL || lp->x->read == NULL) {
		snprintf(msg, msglen, "unexpected state record");
		return -1;
	}
	return lp->x->read(lp->x->ctx, &c, lp->pass == 1, msg, msglen);
}

/*
 * Reads the file once. Pass 0 validates and notes every last_seen;
 * pass 1 inserts the lines kept (those seen after lp->cutoff, and the
 * first lp->ties of those seen exactly at it).
 */
static int
state_read(struct baseline *b, FILE *fp, const char *path,
    struct load_pass *lp, char *err, size_t errlen)
{
	struct state_record rec;
	struct dest_key k;
	char msg[256];
	char *line = NULL;
	size_t linecap = 0, lineno = 0, len;
	ssize_t got;
	bool started = false;
	uint64_t learn_start = 0;
	unsigned version = 0;
	int rc = -1;

	lp->in_extra = false;
	while ((got = getline(&line, &linecap, fp)) != -1) {
		len = (size_t)got;
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (lineno == 1) {
			if (state_parse_header((const uint8_t *)line, len,
			    &started, &learn_start, &version, msg,
			    sizeof(msg)) != 0)
				goto bad_line;
			continue;
		}
		if (len > 0 && line[0] >= 'a' && line[0] <= 'z') {
			if (state_extra_line(lp, version, (const uint8_t *)line,
			    len, msg, sizeof(msg)) != 0)
				goto bad_line;
			continue;
		}
		if (lp->in_extra && len > 0) {
			snprintf(msg, sizeof(msg),
			    "destination after the state records");
			goto bad_line;
		}
		switch (state_parse_line((const uint8_t *)line, len, &rec, msg,
		    sizeof(msg))) {
		case STATE_LINE_SKIP:
			continue;
		case STATE_LINE_ERROR:
			goto bad_line;
		case STATE_LINE_RECORD:
			break;
		}
		if (!started) {
			snprintf(msg, sizeof(msg),
			    "destination in a file with learn_start=-");
			goto bad_line;
		}
		if (lp->pass == 0) {
			if (lp->n_seen == lp->cap_seen) {
				lp->cap_seen = lp->cap_seen ? lp->cap_seen * 2 : 64;
				lp->seen = xreallocarray(lp->seen, lp->cap_seen,
				    sizeof(*lp->seen));
			}
			lp->seen[lp->n_seen++] = rec.last_seen_ns;
			continue;
		}
		if (rec.last_seen_ns < lp->cutoff)
			continue;
		if (rec.last_seen_ns == lp->cutoff) {
			if (lp->ties == 0)
				continue;
			lp->ties--;
		}
		if (!key_make(b, rec.ref.name, &rec.ref.addr, &k))
			continue; /* cannot happen: checked by the parser */
		if (dests_find(b, &k) != BASELINE_NIL) {
			snprintf(msg, sizeof(msg), "duplicate destination");
			goto bad_line;
		}
		/* (before prevalence, first seen while learning was learned) */
		if (version < 3 && started && (rec.first_seen_ns < learn_start ||
		    rec.first_seen_ns - learn_start < b->learn_ns))
			add_legacy(b, &k, &rec);
		slot_fill(b, &k, &rec.ref.addr, rec.first_seen_ns,
		    rec.last_seen_ns);
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		goto done;
	}
	if (lineno == 0) {
		snprintf(err, errlen, "%s:1: empty file (no header)", path);
		goto done;
	}
	b->learn_started = started;
	b->learn_start_ns = learn_start;
	rc = 0;
	goto done;
bad_line:
	snprintf(err, errlen, "%s:%zu: %s", path, lineno, msg);
done:
	free(line);
	return rc;
}

/* A domain key is a registered domain (domain_prevalent relies on it). */
static bool
domain_key_valid(void *ctx, const struct prev_key *k)
{
	const struct baseline *b = ctx;
	char reg[PREV_NAME_MAX];

	return k->kind != PREV_DOMAIN || (registered_domain(b, k->name, reg) &&
	    strcmp(reg, k->name) == 0);
}

/* A file's domain keys that are no registered domain (under this list, or
 * written by hand) are dropped, with a warning. */
static void
load_check_domains(struct baseline *b, const char *path)
{
	size_t n = prevtab_filter(b->seen, domain_key_valid, b);

	if (n > 0)
		log_warnx("baseline %s: %zu registered domains are none under "
		    "the Public Suffix List loaded: dropped", path, n);
}

/* Keep the capacity most recently seen: the cutoff and how many ties. */
static void
load_choose_cutoff(const struct baseline *b, struct load_pass *lp)
{
	size_t first_kept, i;

	lp->cutoff = 0;
	lp->ties = SIZE_MAX;
	if (lp->n_seen <= table_capacity(&b->tab))
		return;
	qsort(lp->seen, lp->n_seen, sizeof(*lp->seen), u64_cmp);
	first_kept = lp->n_seen - table_capacity(&b->tab);
	lp->cutoff = lp->seen[first_kept];
	lp->ties = 0;
	for (i = first_kept; i < lp->n_seen && lp->seen[i] == lp->cutoff; i++)
		lp->ties++;
}

/* Said once, and counted: a file saved with a larger limits.destinations
 * (or by another sensor) loses its least recently seen destinations. */
static void
load_warn_cut(struct baseline *b, const char *path, const struct load_pass *lp)
{
	size_t cap = table_capacity(&b->tab);

	if (lp->n_seen <= cap)
		return;
	b->not_loaded = lp->n_seen - cap;
	log_warnx("baseline %s: %zu destinations saved, limits.destinations is "
	    "%zu: the %zu least recently seen were not loaded", path,
	    lp->n_seen, cap, lp->n_seen - cap);
}

int
baseline_load(struct baseline *b, const char *path,
    const struct baseline_extra *x, char *err, size_t errlen)
{
	bool started = b->learn_started;
	uint64_t learn_start = b->learn_start_ns;
	struct load_pass lp;
	FILE *fp;
	int rc = -1;

	dests_clear(b);
	b->not_loaded = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: open: %s", path, strerror(errno));
		return -1;
	}
	memset(&lp, 0, sizeof(lp));
	lp.b = b;
	lp.x = x;
	if (state_read(b, fp, path, &lp, err, errlen) != 0)
		goto done;
	load_choose_cutoff(b, &lp);
	lp.pass = 1;
	if (fseek(fp, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: seek: %s", path, strerror(errno));
		goto done;
	}
	if (state_read(b, fp, path, &lp, err, errlen) != 0)
		goto done;
	load_check_domains(b, path);
	dests_reevaluate(b);
	load_warn_cut(b, path, &lp);
	rc = 0;
done:
	if (rc != 0) {
		dests_clear(b);
		b->learn_started = started;
		b->learn_start_ns = learn_start;
	}
	free(lp.seen);
	fclose(fp);
	return rc;
}

/* --- exfild --baseline: a saved baseline for people ------------------- */

/* Bytes from the wire, printable: \xNN for control, non-ASCII and '\'
 * (and blanks, unless in_text: a name must stay one column). */
static void
print_escaped(FILE *fp, const char *s, bool in_text)
{
	const uint8_t *p = (const uint8_t *)s;

	if (*p == '\0') {
		fputc('-', fp);
		return;
	}
	for (; *p != '\0'; p++) {
		if (*p < (in_text ? 0x20 : 0x21) || *p > 0x7e || *p == '\\')
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
}

struct print_walk {
	struct baseline *b;
	FILE *fp;
	uint64_t newest_ns;
};

static void
newest_visit(void *ctx, uint32_t id, const struct dest *d)
{
	struct print_walk *w = ctx;

	(void)id;
	if (d->last_seen_ns > w->newest_ns)
		w->newest_ns = d->last_seen_ns;
}

static void
print_dest(void *ctx, uint32_t id, const struct dest *d)
{
	struct print_walk *w = ctx;
	struct baseline_verdict v;
	char first[RFC3339_LEN], last[RFC3339_LEN], addr[NETADDR_STRLEN];
	char why[PREV_NAME_MAX * 4 + 128];

	(void)id;
	format_rfc3339_ms(d->first_seen_ns, first);
	format_rfc3339_ms(d->last_seen_ns, last);
	if (netaddr_is_set(&d->addr))
		netaddr_format(&d->addr, addr, sizeof(addr));
	else
		str_copy(addr, "-", sizeof(addr));
	verdict_of(w->b, d, NULL, true, &v);
	baseline_verdict_text(w->b, &v, why, sizeof(why));
	fprintf(w->fp, "%s  %s  %-3s  %-39s  ", first, last,
	    d->familiar ? "yes" : "no", addr);
	print_escaped(w->fp, d->name, false);
	fprintf(w->fp, "  (");
	print_escaped(w->fp, why, true);
	fprintf(w->fp, ")\n");
}

static void
print_key(void *ctx, const struct prev_key *k, const struct prev_count *c)
{
	struct print_walk *w = ctx;
	char first[RFC3339_LEN], last[RFC3339_LEN], addr[NETADDR_STRLEN];

	format_rfc3339_ms(c->first_ns, first);
	format_rfc3339_ms(c->last_ns, last);
	fprintf(w->fp, "%-8s  %-3s  %5u  %4u  %7u  %s  %s  ",
	    prev_kind_name(k->kind),
	    prev_count_enough(c, w->b->min_hosts, w->b->min_days) ? "yes" : "no",
	    c->hosts, c->days, c->alerted, first, last);
	if (k->kind == PREV_ADDRESS) {
		netaddr_format(&k->addr, addr, sizeof(addr));
		fputs(addr, w->fp);
	} else if (k->kind == PREV_ASN) {
		fprintf(w->fp, "AS%" PRIu32, k->asn);
	} else {
		print_escaped(w->fp, k->name, false);
	}
	fputs(c->legacy ? "  (saved before prevalence)\n" : "\n", w->fp);
}

int
baseline_print(struct baseline *b, const char *path, FILE *fp)
{
	struct print_walk w = { b, fp, 0 };
	char start[RFC3339_LEN], end[RFC3339_LEN];
	static const char *const by[] = { "address", "name",
		"registered_domain", "asn" };
	unsigned i;
	bool first = true;

	baseline_foreach(b, newest_visit, &w);
	/* learning is over if it ended before the newest record */
	baseline_set_learning_over(b, b->learn_started &&
	    learn_end_ns(b) <= w.newest_ns);
	fprintf(fp, "# baseline %s\n", path);
	if (!b->learn_started) {
		fprintf(fp, "# learning: not begun\n");
	} else {
		format_rfc3339_ms(b->learn_start_ns, start);
		format_rfc3339_ms(learn_end_ns(b), end);
		fprintf(fp, "# learning: from %s until %s (%s at the newest "
		    "record)\n", start, end, b->learn_over ? "over" :
		    "under way");
	}
	fprintf(fp, "# familiar: baseline.allow, or a key (");
	for (i = 0; i < ARRAY_LEN(by); i++)
		if (b->familiar_by & 1u << i) {
			fprintf(fp, "%s%s", first ? "" : ", ", by[i]);
			first = false;
		}
	fprintf(fp, ") used while learning by %u hosts or on %u days\n",
	    b->min_hosts, b->min_days);
	fprintf(fp, "# %zu destinations, %" PRIu64 " familiar (%" PRIu64
	    " learned)\n", table_count(&b->tab), b->n_familiar, b->n_learned);
	fprintf(fp, "# first_seen  last_seen  familiar  address  name  (why)\n");
	baseline_foreach(b, print_dest, &w);
	fprintf(fp, "#\n# what learning saw: kind  enough  hosts  days  "
	    "alerted  first  last  key\n");
	prevtab_foreach(b->seen, print_key, &w);
	return ferror(fp) ? -1 : 0;
}
