/*
 * geo.c - country and autonomous system of an address. Geo databases are
 * asked in their order, the first that knows an address wins: a MaxMind
 * DB (geo_mmdb.c), or "CIDR,CC" CSV files (consecutive ones merged) held
 * in a longest-prefix trie (util/trie.h: IPv4 and IPv6 alike); a lookup
 * allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/enrich/geo.h"
#include "exfild/enrich/geo_mmdb.h"
#include "exfild/util/log.h"
#include "exfild/util/trie.h"
#include "exfild/util/util.h"

#define GEO_LINE_MAX 4096

/* One database of geo.databases: a trie of CSV files (value: the
 * country), or a MaxMind DB. */
struct geo_source {
	struct trie *trie;
	struct geo_mmdb *mmdb;
};

struct geo {
	struct geo_source *src;
	size_t n_src;
	struct geo_mmdb *asn; /* geo.asn (may be NULL) */
	size_t public_prefixes; /* CSV lines holding a public address */
};

/* A CSV file being loaded: its trie, and the geo it belongs to. */
struct csv_load {
	struct geo *g;
	struct trie *t;
};

/* Where no public address is (RFC 6890's special-purpose registries):
 * a prefix inside one of these locates nothing a destination can be. */
static const char *const non_public[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
	"192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/3", "::/127", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
	"fc00::/7", "fe80::/10", "ff00::/8",
};

static bool
prefix_is_public(const struct netprefix *p)
{
	struct netprefix np;
	size_t i;

	for (i = 0; i < ARRAY_LEN(non_public); i++) {
		if (netprefix_parse(non_public[i], &np) != 0)
			continue;
		if (np.addr.family == p->addr.family && np.len <= p->len &&
		    netprefix_contains(&np, &p->addr))
			return false;
	}
	return true;
}

/* One parsed CSV line. */
struct geo_entry {
	struct netprefix prefix;
	country_t cc;
};

enum geo_line { GEO_LINE_SKIP, GEO_LINE_ENTRY, GEO_LINE_ERROR };

static country_t
trie_country(const struct trie *t, const struct netaddr *a)
{
	uint32_t cc = trie_lookup(t, a);

	/* (a country code is two letters: never 0, the trie's "none") */
	return cc == 0 ? COUNTRY_UNKNOWN : (country_t)cc;
}

struct geo *
geo_new(void)
{
	return xcalloc(1, sizeof(struct geo));
}

void
geo_free(struct geo *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_src; i++) {
		trie_free(g->src[i].trie);
		geo_mmdb_close(g->src[i].mmdb);
	}
	free(g->src);
	geo_mmdb_close(g->asn);
	free(g);
}

country_t
geo_lookup(const struct geo *g, const struct netaddr *a)
{
	country_t cc = COUNTRY_UNKNOWN;
	size_t i;

	if (!netaddr_is_set(a))
		return COUNTRY_UNKNOWN;
	for (i = 0; i < g->n_src && cc == COUNTRY_UNKNOWN; i++)
		cc = g->src[i].trie != NULL ? trie_country(g->src[i].trie, a) :
		    geo_mmdb_country(g->src[i].mmdb, a);
	return cc;
}

uint32_t
geo_asn(const struct geo *g, const struct netaddr *a, char *org,
    size_t orglen)
{
	if (org != NULL && orglen > 0)
		org[0] = '\0';
	if (g->asn == NULL)
		return 0;
	return geo_mmdb_asn(g->asn, a, org, orglen);
}

bool
geo_locates_public(const struct geo *g)
{
	size_t i;

	for (i = 0; i < g->n_src; i++)
		if (g->src[i].mmdb != NULL)
			return true; /* a MaxMind DB covers the Internet */
	return g->public_prefixes > 0;
}

size_t
geo_prefix_count(const struct geo *g)
{
	size_t i, n = 0;

	for (i = 0; i < g->n_src; i++)
		if (g->src[i].trie != NULL)
			n += trie_prefixes(g->src[i].trie);
	return n;
}

/* The bytes up to (not including) stop or the end, blanks trimmed. */
static struct cursor
take_field(struct cursor *c, uint8_t stop)
{
	struct cursor field;
	size_t n = 0;

	cur_skip_blanks(c);
	while (n < cur_left(c) && cur_peek(c, n) != stop)
		n++;
	while (n > 0 && cur_is_blank(cur_peek(c, n - 1)))
		n--;
	field = cur_sub(c, n);
	cur_skip_blanks(c);
	return field;
}

static int
parse_prefix(const struct cursor *field, struct netprefix *out)
{
	char buf[64];
	size_t n = cur_left(field);

	if (n == 0 || n >= sizeof(buf) || memchr(cur_rest(field), '\0', n) != NULL)
		return -1;
	memcpy(buf, cur_rest(field), n);
	buf[n] = '\0';
	return netprefix_parse(buf, out);
}

static country_t
parse_country(const struct cursor *field)
{
	struct cursor c = *field;
	char cc[3];
	uint8_t ch;
	int i;

	if (cur_left(&c) != 2)
		return COUNTRY_UNKNOWN;
	for (i = 0; i < 2; i++) {
		ch = cur_u8(&c);
		if (ch >= 'a' && ch <= 'z')
			ch = (uint8_t)(ch - 'a' + 'A');
		if (ch < 'A' || ch > 'Z')
			return COUNTRY_UNKNOWN;
		cc[i] = (char)ch;
	}
	cc[2] = '\0';
	return country_parse(cc);
}

/*
 * One line (without its '\n'): blank and '#' lines are skipped, otherwise
 * "CIDR,CC" with optional blanks around either field.
 */
static enum geo_line
geo_parse_line(const uint8_t *line, size_t len, struct geo_entry *out,
    char *msg, size_t msglen)
{
	struct cursor c, prefix, country;
	char quoted[QUOTE_BUF];

	cur_init(&c, line, len);
	cur_skip_blanks(&c);
	if (cur_left(&c) == 0 || cur_peek(&c, 0) == '#')
		return GEO_LINE_SKIP;
	if (len > GEO_LINE_MAX) {
		snprintf(msg, msglen, "line longer than %d bytes", GEO_LINE_MAX);
		return GEO_LINE_ERROR;
	}
	prefix = take_field(&c, ',');
	if (cur_left(&c) == 0) {
		snprintf(msg, msglen, "expected \"CIDR,CC\"");
		return GEO_LINE_ERROR;
	}
	cur_skip(&c, 1); /* the ',' */
	country = take_field(&c, '\n');
	if (parse_prefix(&prefix, &out->prefix) != 0) {
		quote_bytes(&prefix, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid prefix %s", quoted);
		return GEO_LINE_ERROR;
	}
	out->cc = parse_country(&country);
	if (out->cc == COUNTRY_UNKNOWN) {
		quote_bytes(&country, quoted, sizeof(quoted));
		snprintf(msg, msglen, "invalid country code %s", quoted);
		return GEO_LINE_ERROR;
	}
	return GEO_LINE_ENTRY;
}

static void
geo_add_entry(struct trie *t, const struct geo_entry *e)
{
	(void)trie_insert(t, &e->prefix, e->cc, true);
}

/* One CSV line into the trie (file_each_line's callback). */
static int
geo_load_line(void *ctx, const uint8_t *line, size_t len, char *msg,
    size_t msglen)
{
	struct csv_load *l = ctx;
	struct geo_entry entry;

	switch (geo_parse_line(line, len, &entry, msg, msglen)) {
	case GEO_LINE_ENTRY:
		geo_add_entry(l->t, &entry);
		l->g->public_prefixes += prefix_is_public(&entry.prefix);
		return 0;
	case GEO_LINE_SKIP:
		return 0;
	default:
		return -1;
	}
}

static struct geo_source *
source_add(struct geo *g)
{
	struct geo_source *s;

	g->src = xreallocarray(g->src, g->n_src + 1, sizeof(*g->src));
	s = &g->src[g->n_src++];
	memset(s, 0, sizeof(*s));
	return s;
}

int
geo_load_csv(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct csv_load l = { g, NULL };

	if (g->n_src > 0 && g->src[g->n_src - 1].trie != NULL)
		l.t = g->src[g->n_src - 1].trie;
	else
		l.t = source_add(g)->trie = trie_new();
	return file_each_line(path, geo_load_line, &l, err, errlen);
}

static int
geo_load_mmdb(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct geo_mmdb *m = geo_mmdb_open(path, GEO_MMDB_COUNTRY, err, errlen);

	if (m == NULL)
		return -1;
	source_add(g)->mmdb = m;
	return 0;
}

int
geo_load(struct geo *g, const char *path, char *err, size_t errlen)
{
	if (geo_mmdb_sniff(path))
		return geo_load_mmdb(g, path, err, errlen);
	return geo_load_csv(g, path, err, errlen);
}

int
geo_load_asn(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct geo_mmdb *m = geo_mmdb_open(path, GEO_MMDB_ASN, err, errlen);

	if (m == NULL)
		return -1;
	geo_mmdb_close(g->asn);
	g->asn = m;
	return 0;
}
