/*
 * geo.c - country of an address from "CIDR,CC" CSV files, held in a
 * longest-prefix trie (util/trie.h: IPv4 and IPv6 alike); a lookup
 * allocates nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/cursor.h"
#include "exfild/enrich/geo.h"
#include "exfild/util/log.h"
#include "exfild/util/trie.h"
#include "exfild/util/util.h"

#define GEO_LINE_MAX 4096

struct geo {
	struct trie *prefixes; /* value: the country */
};

/* One parsed CSV line. */
struct geo_entry {
	struct netprefix prefix;
	country_t cc;
};

enum geo_line { GEO_LINE_SKIP, GEO_LINE_ENTRY, GEO_LINE_ERROR };

struct geo *
geo_new(void)
{
	struct geo *g = xcalloc(1, sizeof(*g));

	g->prefixes = trie_new();
	return g;
}

void
geo_free(struct geo *g)
{
	if (g == NULL)
		return;
	trie_free(g->prefixes);
	free(g);
}

country_t
geo_lookup(const struct geo *g, const struct netaddr *a)
{
	uint32_t cc = trie_lookup(g->prefixes, a);

	/* (a country code is two letters: never 0, the trie's "none") */
	return cc == 0 ? COUNTRY_UNKNOWN : (country_t)cc;
}

size_t
geo_prefix_count(const struct geo *g)
{
	return trie_prefixes(g->prefixes);
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
geo_add_entry(struct geo *g, const struct geo_entry *e)
{
	(void)trie_insert(g->prefixes, &e->prefix, e->cc, true);
}

/* One CSV line into the trie (file_each_line's callback). */
static int
geo_load_line(void *ctx, const uint8_t *line, size_t len, char *msg,
    size_t msglen)
{
	struct geo_entry entry;

	switch (geo_parse_line(line, len, &entry, msg, msglen)) {
	case GEO_LINE_ENTRY:
		geo_add_entry(ctx, &entry);
		return 0;
	case GEO_LINE_SKIP:
		return 0;
	default:
		return -1;
	}
}

int
geo_load_csv(struct geo *g, const char *path, char *err, size_t errlen)
{
	return file_each_line(path, geo_load_line, g, err, errlen);
}
