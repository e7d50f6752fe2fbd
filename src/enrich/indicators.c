/*
 * indicators.c - the configured indicator lists as one set (see
 * indicators.h): loading, reloading, the periodic file check, the
 * per-destination verdict cache (40 bytes a destination slot, allocated
 * once and touched only for destinations asked about) and the addresses
 * DNS answered for listed names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exfild/enrich/indicators.h"
#include "exfild/util/log.h"

/* What a file was when it was read: a change of any is a new file. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_s, mtime_ns;
	int err;            /* errno of the last stat or read that failed */
};

/* The loaded lists, in the order of indicators:. */
struct ioc_lists {
	struct ioc_list **v;
	int *severity;
	struct file_id *ids;
	size_t n;
};

/* A destination slot's verdict, for its generation, address and version. */
struct dest_verdict {
	uint32_t gen, version;
	struct netaddr addr;
	uint8_t how;        /* enum ioc_how */
	uint16_t list;      /* index + 1; 0: not listed */
	uint32_t entry;
	uint32_t answer;    /* IOC_MATCH_ANSWERED: its slot in answers */
};

/* An address DNS answered for a listed name (family 0: a free slot). */
struct ioc_answer {
	struct netaddr addr;
	char name[DOMAIN_MAX + 1];
};

#define ANSWER_PROBES 8

struct indicators {
	struct ioc_lists *lists;
	struct hash_key key;
	uint32_t version;
	struct dest_verdict *cache;
	size_t cap;
	struct ioc_answer *answers; /* IOC_ANSWERS slots */
	struct ioc_hit hit;
};

static size_t
cache_slots(size_t dest_capacity)
{
	return dest_capacity > 0 ? dest_capacity : 1;
}

uint64_t
indicators_cache_bytes(size_t dest_capacity)
{
	return (uint64_t)cache_slots(dest_capacity) * sizeof(struct dest_verdict);
}

struct indicators *
indicators_new(size_t dest_capacity, const struct hash_key *key)
{
	struct indicators *s = xcalloc(1, sizeof(*s));

	s->key = *key;
	s->version = 1; /* a zeroed cache slot is never current */
	s->cap = dest_capacity;
	/* calloc'd pages stay untouched (and cost nothing) without lists */
	s->cache = xcalloc(cache_slots(dest_capacity), sizeof(*s->cache));
	s->answers = xcalloc(IOC_ANSWERS, sizeof(*s->answers));
	return s;
}

void
indicators_discard(struct ioc_lists *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		ioc_list_free(l->v[i]);
	free(l->v);
	free(l->severity);
	free(l->ids);
	free(l);
}

void
indicators_free(struct indicators *s)
{
	if (s == NULL)
		return;
	indicators_discard(s->lists);
	free(s->cache);
	free(s->answers);
	free(s);
}

/* ---- loading ---- */

static void
file_id_of(const char *path, struct file_id *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) != 0) {
		out->err = errno != 0 ? errno : EIO;
		return;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime_s = (int64_t)st.st_mtim.tv_sec;
	out->mtime_ns = (int64_t)st.st_mtim.tv_nsec;
}

static bool
file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
	    a->size == b->size && a->mtime_s == b->mtime_s &&
	    a->mtime_ns == b->mtime_ns;
}

/* One file read into a new list (its identity taken just before). */
static struct ioc_list *
read_list(const struct indicators *s, const char *path, enum ioc_format f,
    struct file_id *id, char *err, size_t errlen)
{
	struct ioc_list *l;

	file_id_of(path, id);
	l = ioc_list_new(path, f, &s->key);
	if (ioc_list_load(l, err, errlen) != 0) {
		ioc_list_free(l);
		return NULL;
	}
	return l;
}

struct ioc_lists *
indicators_prepare(const struct indicators *s, const struct config *cfg,
    char *err, size_t errlen)
{
	struct ioc_lists *l = xcalloc(1, sizeof(*l));
	size_t i, n = cfg->n_indicators;

	l->v = xcalloc(n > 0 ? n : 1, sizeof(*l->v));
	l->severity = xcalloc(n > 0 ? n : 1, sizeof(*l->severity));
	l->ids = xcalloc(n > 0 ? n : 1, sizeof(*l->ids));
	for (i = 0; i < n; i++) {
		l->v[i] = read_list(s, cfg->indicators[i].file,
		    cfg->indicators[i].format, &l->ids[i], err, errlen);
		if (l->v[i] == NULL) {
			indicators_discard(l);
			return NULL;
		}
		l->severity[i] = cfg->indicators[i].severity;
		l->n++;
	}
	return l;
}

/* What a list holds, how much memory and how long it took; its first bad
 * lines with their file:line. */
static void
log_list(const struct ioc_list *l)
{
	const struct ioc_list_stats *st = ioc_list_stats(l);
	uint64_t n = ioc_list_entries(l);
	size_t i;

	log_info("indicators: %s (%s): %llu entries (%llu addresses, %llu "
	    "networks, %llu names), %llu duplicates, %llu bad lines; %zu bytes "
	    "(%llu an entry), read in %llu ms", ioc_list_path(l),
	    ioc_format_name(ioc_list_format(l)), (unsigned long long)n,
	    (unsigned long long)st->addresses, (unsigned long long)st->networks,
	    (unsigned long long)st->names, (unsigned long long)st->duplicates,
	    (unsigned long long)st->bad, st->bytes,
	    (unsigned long long)(n > 0 ? st->bytes / n : 0),
	    (unsigned long long)(st->load_ns / 1000000));
	for (i = 0; i < st->n_bad_kept; i++)
		log_warnx("indicators: %s", st->bad_kept[i]);
	if (st->bad > st->n_bad_kept)
		log_warnx("indicators: %s: %llu more bad lines", ioc_list_path(l),
		    (unsigned long long)(st->bad - st->n_bad_kept));
}

void
indicators_commit(struct indicators *s, struct ioc_lists *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		log_list(l->v[i]);
	indicators_discard(s->lists);
	s->lists = l;
	s->version++;
}

int
indicators_load(struct indicators *s, const struct config *cfg, char *err,
    size_t errlen)
{
	struct ioc_lists *l = indicators_prepare(s, cfg, err, errlen);

	if (l == NULL)
		return -1;
	indicators_commit(s, l);
	return 0;
}

/* List i again if its file changed; true when it was replaced. */
static bool
refresh_one(struct indicators *s, size_t i)
{
	struct ioc_lists *ls = s->lists;
	struct ioc_list *fresh;
	struct file_id id;
	char err[CONFIG_ERR_LEN];

	file_id_of(ioc_list_path(ls->v[i]), &id);
	if (file_id_eq(&id, &ls->ids[i]))
		return false;
	ls->ids[i] = id; /* a failure is said once per change */
	if (id.err != 0) {
		log_warnx("indicators: %s: %s (keeping its %llu entries)",
		    ioc_list_path(ls->v[i]), strerror(id.err),
		    (unsigned long long)ioc_list_entries(ls->v[i]));
		return false;
	}
	fresh = read_list(s, ioc_list_path(ls->v[i]), ioc_list_format(ls->v[i]),
	    &ls->ids[i], err, sizeof(err));
	if (fresh == NULL) {
		log_warnx("indicators: %s (keeping its %llu entries)", err,
		    (unsigned long long)ioc_list_entries(ls->v[i]));
		return false;
	}
	log_list(fresh);
	ioc_list_free(ls->v[i]);
	ls->v[i] = fresh;
	return true;
}

bool
indicators_refresh(struct indicators *s)
{
	bool changed = false;
	size_t i;

	for (i = 0; s->lists != NULL && i < s->lists->n; i++)
		if (refresh_one(s, i))
			changed = true;
	if (changed)
		s->version++;
	return changed;
}

uint32_t
indicators_version(const struct indicators *s)
{
	return s->version;
}

size_t
indicators_lists(const struct indicators *s)
{
	return s->lists != NULL ? s->lists->n : 0;
}

uint64_t
indicators_entries(const struct indicators *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < indicators_lists(s); i++)
		n += ioc_list_entries(s->lists->v[i]);
	return n;
}

/* ---- answers ---- */

/* The slot of the address, or where it would go (an empty slot, else the
 * first of its probes, to be reused). *found: it holds the address. */
static size_t
answer_slot(const struct indicators *s, const struct netaddr *a, bool *found)
{
	size_t home = (size_t)hash_bytes(&s->key, a->a, sizeof(a->a)) %
	    IOC_ANSWERS, i, k;

	*found = false;
	for (k = 0; k < ANSWER_PROBES; k++) {
		i = (home + k) % IOC_ANSWERS;
		if (s->answers[i].addr.family == 0)
			return i;
		if (netaddr_eq(&s->answers[i].addr, a)) {
			*found = true;
			return i;
		}
	}
	return home;
}

/* The address was answered for the listed name; true when that is new. */
static bool
answer_learn(struct indicators *s, const struct netaddr *a, const char *name)
{
	struct ioc_answer *ans;
	bool found;

	if (strlen(name) > DOMAIN_MAX)
		return false;
	ans = &s->answers[answer_slot(s, a, &found)];
	if (found && strcmp(ans->name, name) == 0)
		return false;
	ans->addr = *a;
	str_copy(ans->name, name, sizeof(ans->name));
	return true;
}

/* ---- verdicts ---- */

/* The first list that names the destination; v->list 0 when none. */
static void
check_lists(const struct indicators *s, const char *name,
    const struct netaddr *addr, struct dest_verdict *v)
{
	const struct ioc_lists *ls = s->lists;
	enum ioc_how how;
	uint32_t entry;
	size_t i;

	v->list = 0;
	for (i = 0; i < ls->n; i++) {
		if ((name[0] != '\0' &&
		    ioc_list_match_name(ls->v[i], name, &entry, &how)) ||
		    (netaddr_is_set(addr) &&
		    ioc_list_match_addr(ls->v[i], addr, &entry, &how))) {
			v->list = (uint16_t)(i + 1);
			v->entry = entry;
			v->how = (uint8_t)how;
			return;
		}
	}
}

/* The lists, then the addresses answered for listed names. */
static void
check_dest(const struct indicators *s, const char *name,
    const struct netaddr *addr, struct dest_verdict *v)
{
	static const struct netaddr none;
	bool found;
	size_t k;

	check_lists(s, name, addr, v);
	if (v->list != 0 || !netaddr_is_set(addr))
		return;
	k = answer_slot(s, addr, &found);
	if (!found)
		return;
	check_lists(s, s->answers[k].name, &none, v);
	if (v->list != 0) {
		v->how = IOC_MATCH_ANSWERED;
		v->answer = (uint32_t)k;
	}
}

static const struct ioc_hit *
hit_of(struct indicators *s, const struct dest_verdict *v)
{
	const struct ioc_list *l = s->lists->v[v->list - 1];
	struct ioc_hit *h = &s->hit;

	h->list = ioc_list_path(l);
	h->format = ioc_list_format(l);
	h->severity = s->lists->severity[v->list - 1];
	h->how = (enum ioc_how)v->how;
	h->answered_for = v->how == IOC_MATCH_ANSWERED ?
	    s->answers[v->answer].name : "";
	ioc_list_entry(l, v->entry, &h->entry);
	h->dns_answer = false;
	return h;
}

const struct ioc_hit *
indicators_dest(struct indicators *s, uint32_t id, uint32_t gen,
    const char *name, const struct netaddr *addr)
{
	struct dest_verdict scratch, *v;

	if (s->lists == NULL || s->lists->n == 0)
		return NULL;
	v = id < s->cap ? &s->cache[id] : &scratch;
	if (v == &scratch || v->gen != gen || v->version != s->version ||
	    !netaddr_eq(&v->addr, addr)) {
		check_dest(s, name, addr, v);
		v->gen = gen;
		v->version = s->version;
		v->addr = *addr;
	}
	return v->list != 0 ? hit_of(s, v) : NULL;
}

bool
indicators_answer(struct indicators *s, const char *name,
    const struct netaddr *addr, bool *learned)
{
	static const struct netaddr none;
	struct dest_verdict v;

	*learned = false;
	if (s->lists == NULL || s->lists->n == 0)
		return false;
	check_lists(s, name, &none, &v);
	if (v.list != 0) {
		if (netaddr_is_set(addr) && answer_learn(s, addr, name)) {
			*learned = true;
			s->version++;
		}
		return true;
	}
	check_lists(s, "", addr, &v);
	return v.list != 0;
}
