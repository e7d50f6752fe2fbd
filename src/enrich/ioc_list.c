/*
 * ioc_list.c - one indicator list file (see ioc_list.h). Three formats,
 * each line read through a cursor: plain ("entry [#] comment"), the
 * abuse.ch Feodo Tracker IP blocklist CSV (RFC 4180 fields, a quoted header
 * row naming dst_ip, dst_port and malware) and hosts-file lines ("address
 * name..." as URLhaus publishes). Entries are 16 bytes in an array, their
 * texts and notes in one string pool; addresses and CIDRs go to a trie,
 * names to an open-addressing hash set (8-byte slots, at most half full),
 * both filled in sorted order once the file is read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/enrich/ioc_list.h"
#include "exfild/util/cursor.h"
#include "exfild/util/trie.h"

#define IOC_LINE_MAX   4096
#define IOC_WORD_MAX   256       /* an entry's text, NUL included */
#define IOC_POOL_MAX   (1u << 30) /* bytes of texts and notes, at most */
#define CSV_FIELD_MAX  256
#define CSV_FIELDS_MAX 32

enum entry_kind { KIND_ADDRESS, KIND_NETWORK, KIND_NAME };

struct ioc_entry {
	uint32_t text;   /* pool offsets */
	uint32_t note;
	uint32_t line;
	uint16_t port;
	uint8_t kind;    /* enum entry_kind */
};

/* A name's slot: the low half of its hash, and its entry + 1 (0: empty). */
struct name_slot {
	uint32_t tag;
	uint32_t entry1;
};

/* An address or CIDR read, put in the trie once the file is read. */
struct pending_prefix {
	struct netprefix p;
	uint32_t entry;
};

struct ioc_list {
	char *path;
	enum ioc_format format;
	struct hash_key key;
	struct trie *addrs;          /* value: entry + 1 */
	struct name_slot *slots;
	size_t slot_mask, n_names;
	struct ioc_entry *entries;
	size_t n, cap;
	/* read, not placed yet: placed in sorted order once the whole file is
	 * read (the trie's paths and the slots are then walked in order, in
	 * cache, not at random: 1M random addresses in 0.4 s, not 3.6 s) */
	struct pending_prefix *pp;
	size_t n_pp, cap_pp;
	struct name_slot *pn;
	size_t n_pn, cap_pn;
	char *pool;                  /* offset 0: "" */
	size_t pool_len, pool_cap;
	/* Feodo: the header's columns (-1: none) */
	bool have_header;
	int col_ip, col_port, col_malware;
	struct ioc_list_stats stats;
};

struct ioc_list *
ioc_list_new(const char *path, enum ioc_format f, const struct hash_key *key)
{
	struct ioc_list *l = xcalloc(1, sizeof(*l));

	l->path = xstrdup(path);
	l->format = f;
	l->key = *key;
	l->addrs = trie_new();
	l->pool_cap = 4096;
	l->pool = xmalloc(l->pool_cap);
	l->pool[0] = '\0';
	l->pool_len = 1;
	l->col_ip = l->col_port = l->col_malware = -1;
	return l;
}

void
ioc_list_free(struct ioc_list *l)
{
	if (l == NULL)
		return;
	trie_free(l->addrs);
	free(l->pp);
	free(l->pn);
	free(l->slots);
	free(l->entries);
	free(l->pool);
	free(l->path);
	free(l);
}

/* ---- bad lines ---- */

static void bad_line(struct ioc_list *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Counted; the first IOC_BAD_KEPT kept as "file:line: reason". */
static void
bad_line(struct ioc_list *l, const char *fmt, ...)
{
	struct ioc_list_stats *s = &l->stats;
	char *out;
	va_list ap;
	int n;

	s->bad++;
	if (s->n_bad_kept == IOC_BAD_KEPT)
		return;
	out = s->bad_kept[s->n_bad_kept++];
	n = snprintf(out, IOC_BAD_LEN, "%s:%llu: ", l->path,
	    (unsigned long long)s->lines);
	if (n < 0 || (size_t)n >= IOC_BAD_LEN)
		return; /* (cut: the path alone fills it) */
	va_start(ap, fmt);
	vsnprintf(out + n, IOC_BAD_LEN - (size_t)n, fmt, ap);
	va_end(ap);
}

/* "quoted" bytes of a field, for a message. */
static const char *
quoted(const struct cursor *field, char out[QUOTE_BUF])
{
	quote_bytes(field, out, QUOTE_BUF);
	return out;
}

/* ---- storage ---- */

/* n bytes and a NUL into the pool: the offset, or 0 when the pool is full. */
static uint32_t
pool_add(struct ioc_list *l, const char *s, size_t n)
{
	size_t off = l->pool_len;

	if (n == 0)
		return 0;
	if (IOC_POOL_MAX - l->pool_len < n + 1)
		return 0;
	while (l->pool_cap - l->pool_len < n + 1) {
		l->pool_cap *= 2;
		l->pool = xreallocarray(l->pool, l->pool_cap, 1);
	}
	memcpy(l->pool + off, s, n);
	l->pool[off + n] = '\0';
	l->pool_len += n + 1;
	return (uint32_t)off;
}

/* A new entry (its index in *idx); false, the line counted bad, when the
 * list is full. */
static bool
entry_add(struct ioc_list *l, enum entry_kind kind, const char *text,
    const char *note, uint16_t port, uint32_t *idx)
{
	struct ioc_entry *e;
	size_t pool_was = l->pool_len;

	if (l->n == IOC_ENTRIES_MAX) {
		bad_line(l, "more than %u entries in one list", IOC_ENTRIES_MAX);
		return false;
	}
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 1024 : l->cap * 2;
		l->entries = xreallocarray(l->entries, l->cap, sizeof(*l->entries));
	}
	e = &l->entries[l->n];
	e->text = pool_add(l, text, strlen(text));
	e->note = pool_add(l, note, strlen(note));
	if (e->text == 0 || (note[0] != '\0' && e->note == 0)) {
		l->pool_len = pool_was;
		bad_line(l, "more than %u bytes of entries in one list", IOC_POOL_MAX);
		return false;
	}
	e->line = (uint32_t)l->stats.lines;
	e->port = port;
	e->kind = (uint8_t)kind;
	*idx = (uint32_t)l->n++;
	return true;
}

static bool
name_equal(const struct ioc_list *l, uint32_t entry, const char *s, size_t n)
{
	const char *t = l->pool + l->entries[entry].text;

	return strncmp(t, s, n) == 0 && t[n] == '\0';
}

/* A name's hash as its slot keeps it: the slot's index is its low bits
 * (a growing table places names again without hashing them). */
static uint32_t
name_tag(const struct ioc_list *l, const char *s, size_t n)
{
	return (uint32_t)hash_bytes(&l->key, s, n);
}

/* The slot of the name, or the empty slot where it would go. */
static struct name_slot *
name_slot(const struct ioc_list *l, const char *s, size_t n, uint32_t tag)
{
	size_t i = tag & l->slot_mask;

	for (;; i = (i + 1) & l->slot_mask) {
		struct name_slot *slot = &l->slots[i];

		if (slot->entry1 == 0 ||
		    (slot->tag == tag && name_equal(l, slot->entry1 - 1, s, n)))
			return slot;
	}
}

/* Room for one more in an array that grows (load paths only). */
static void *
room_for_one(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 1024 : *cap * 2;
	return xreallocarray(v, *cap, size);
}

static void
name_add(struct ioc_list *l, const char *name, const char *note)
{
	uint32_t idx;

	if (!entry_add(l, KIND_NAME, name, note, 0, &idx))
		return;
	l->pn = room_for_one(l->pn, l->n_pn, &l->cap_pn, sizeof(*l->pn));
	l->pn[l->n_pn].tag = name_tag(l, name, strlen(name));
	l->pn[l->n_pn++].entry1 = idx + 1;
	l->stats.names++;
}

static void
prefix_add(struct ioc_list *l, const struct netprefix *p, const char *text,
    const char *note, uint16_t port)
{
	bool address = p->len == (p->addr.family == 4 ? 32 : 128);
	uint32_t idx;

	if (!entry_add(l, address ? KIND_ADDRESS : KIND_NETWORK, text, note, port,
	    &idx))
		return;
	l->pp = room_for_one(l->pp, l->n_pp, &l->cap_pp, sizeof(*l->pp));
	l->pp[l->n_pp].p = *p;
	l->pp[l->n_pp++].entry = idx;
	if (address)
		l->stats.addresses++;
	else
		l->stats.networks++;
}

typedef uint32_t radix_key_fn(const void *rec, uint32_t arg);

/*
 * Stable LSD radix sort of n records of size bytes by a key of `bits`
 * bits (8 a pass; tmp holds n records): placing in this order walks the
 * set's slots and the trie's paths in order, not at random.
 */
static void
radix_sort(void *v, size_t n, size_t size, radix_key_fn *key, uint32_t arg,
    unsigned bits)
{
	unsigned char *src = v, *dst = xreallocarray(NULL, n > 0 ? n : 1, size);
	unsigned char *tmp = dst, *swap;
	size_t count[257], i;
	unsigned shift;

	for (shift = 0; shift < bits; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[((key(src + i * size, arg) >> shift) & 255) + 1]++;
		for (i = 1; i < 257; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			memcpy(dst + count[(key(src + i * size, arg) >> shift) & 255]++ *
			    size, src + i * size, size);
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != v)
		memcpy(v, src, n * size);
	free(tmp);
}

/* A name's home slot (arg: the mask). */
static uint32_t
name_home(const void *rec, uint32_t mask)
{
	return ((const struct name_slot *)rec)->tag & mask;
}

/* The names into a set at most half full, by home slot (a name listed
 * again counts as a duplicate: the first is kept, the sort is stable). */
static void
place_names(struct ioc_list *l)
{
	size_t i, cap = round_pow2(l->n_pn * 2);

	if (l->n_pn == 0)
		return;
	l->slots = xcalloc(cap, sizeof(*l->slots));
	l->slot_mask = cap - 1;
	radix_sort(l->pn, l->n_pn, sizeof(*l->pn), name_home,
	    (uint32_t)l->slot_mask, (unsigned)__builtin_ctzll(cap));
	for (i = 0; i < l->n_pn; i++) {
		const char *t = l->pool + l->entries[l->pn[i].entry1 - 1].text;
		struct name_slot *slot = name_slot(l, t, strlen(t), l->pn[i].tag);

		if (slot->entry1 != 0) {
			l->stats.duplicates++;
			l->stats.names--;
			continue;
		}
		*slot = l->pn[i];
		l->n_names++;
	}
	free(l->pn);
	l->pn = NULL;
	l->n_pn = l->cap_pn = 0;
}

/* A prefix's leading 32 bits (an IPv4 address's own): neighbours in the
 * trie come close together. */
static uint32_t
prefix_lead(const void *rec, uint32_t arg)
{
	const uint8_t *a = ((const struct pending_prefix *)rec)->p.addr.a;
	unsigned at = ((const struct pending_prefix *)rec)->p.addr.family == 4 ?
	    12 : 0;

	(void)arg;
	return (uint32_t)a[at] << 24 | (uint32_t)a[at + 1] << 16 |
	    (uint32_t)a[at + 2] << 8 | a[at + 3];
}

/* The addresses and CIDRs into the trie; one listed again counts as a
 * duplicate (the first is kept). */
static void
place_prefixes(struct ioc_list *l)
{
	size_t i;

	radix_sort(l->pp, l->n_pp, sizeof(*l->pp), prefix_lead, 0, 32);
	for (i = 0; i < l->n_pp; i++) {
		if (trie_insert(l->addrs, &l->pp[i].p, l->pp[i].entry + 1, false) ==
		    l->pp[i].entry + 1)
			continue;
		l->stats.duplicates++;
		if (l->entries[l->pp[i].entry].kind == KIND_ADDRESS)
			l->stats.addresses--;
		else
			l->stats.networks--;
	}
	free(l->pp);
	l->pp = NULL;
	l->n_pp = l->cap_pp = 0;
}

/* ---- entries ---- */

/* The bytes of a field as a string (without NULs: the line has none). */
static bool
field_text(const struct cursor *field, char *out, size_t outlen)
{
	size_t n = cur_left(field);

	if (n == 0 || n >= outlen)
		return false;
	memcpy(out, cur_rest(field), n);
	out[n] = '\0';
	return true;
}

/*
 * A comment or malware family as kept: at most IOC_NOTE_MAX bytes, cut
 * at a character; control bytes and bytes that are not UTF-8 become '?'.
 */
static void
note_text(const struct cursor *field, char out[IOC_NOTE_MAX + 1])
{
	struct cursor c = *field;
	size_t o = 0, k;

	while (cur_left(&c) > 0) {
		const uint8_t *p = cur_rest(&c);

		if (p[0] >= 0x20 && p[0] < 0x7f)
			k = 1; /* (printable ASCII: most notes) */
		else if ((k = utf8_sequence(p, cur_left(&c))) == 0)
			k = 1;
		if (IOC_NOTE_MAX - o < k)
			break;
		if (k == 1 && (p[0] < 0x20 || p[0] >= 0x7f))
			out[o] = '?';
		else
			memcpy(out + o, p, k);
		o += k;
		cur_skip(&c, k);
	}
	out[o] = '\0';
}

/* Is the (normalised) name one a hosts file lists for this machine? */
static bool
local_name(const char *name)
{
	static const char *const local[] = { "localhost", "localhost.localdomain",
		"local", "broadcasthost", "ip6-localhost", "ip6-loopback",
		"ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
		"ip6-allhosts" };
	size_t i;

	for (i = 0; i < ARRAY_LEN(local); i++)
		if (strcmp(name, local[i]) == 0)
			return true;
	return false;
}

/* One entry: an address, a CIDR or a domain name; anything else is a bad
 * line. names: whether a name is taken. */
static void
add_entry(struct ioc_list *l, const struct cursor *word,
    const struct cursor *note, uint16_t port, bool names)
{
	char text[IOC_WORD_MAX], name[DOMAIN_MAX + 1], kept[IOC_NOTE_MAX + 1];
	char q[QUOTE_BUF];
	struct netprefix p;

	note_text(note, kept);
	if (field_text(word, text, sizeof(text)) && netprefix_parse(text, &p) == 0) {
		prefix_add(l, &p, text, kept, port);
		return;
	}
	if (names && domain_normalise((const char *)cur_rest(word), cur_left(word),
	    name, sizeof(name)) == 0) {
		if (!local_name(name))
			name_add(l, name, kept);
		return;
	}
	bad_line(l, names ? "not an address, CIDR or domain name: %s" :
	    "not an address or CIDR: %s", quoted(word, q));
}

/* What follows an entry: blanks, an optional '#', blanks, then the
 * comment up to the end less trailing blanks. */
static struct cursor
trailing_note(struct cursor *c)
{
	size_t n;

	cur_skip_blanks(c);
	if (cur_eat(c, '#'))
		cur_skip_blanks(c);
	n = cur_left(c);
	while (n > 0 && cur_is_blank(cur_peek(c, n - 1)))
		n--;
	return cur_sub(c, n);
}

/* "entry [[#] comment]" (the entry ends at a blank or a '#') */
static void
parse_plain(struct ioc_list *l, struct cursor *c)
{
	struct cursor word, note;
	size_t n = 0;

	while (n < cur_left(c) && !cur_is_blank(cur_peek(c, n)) &&
	    cur_peek(c, n) != '#')
		n++;
	word = cur_sub(c, n);
	note = trailing_note(c);

	add_entry(l, &word, &note, 0, true);
}

/* "address name... [# comment]": the names are listed (exactly), the
 * address (where the hosts file sends them) is not. */
static void
parse_hostfile(struct ioc_list *l, struct cursor *c)
{
	struct cursor line = cur_until(c, '#'), word, note;
	struct netaddr sink;
	char q[QUOTE_BUF];
	bool any = false;

	note = trailing_note(c);
	word = cur_next_word(&line);
	if (netaddr_parse_n((const char *)cur_rest(&word), cur_left(&word),
	    &sink) != 0) {
		bad_line(l, "expected an address, then names: %s", quoted(&word, q));
		return;
	}
	while (word = cur_next_word(&line), cur_left(&word) > 0) {
		add_entry(l, &word, &note, 0, true);
		any = true;
	}
	if (!any)
		bad_line(l, "no host name after the address");
}

/* ---- Feodo Tracker CSV ---- */

enum csv_field { CSV_MORE, CSV_LAST, CSV_BAD };

/*
 * One field of a CSV line (RFC 4180): "quoted", a "" inside being one ",
 * or bare up to the next ','; blanks around it skipped. Its text into
 * out; CSV_BAD for broken quotes or a field longer than outlen - 1.
 */
static enum csv_field
csv_field(struct cursor *c, char *out, size_t outlen)
{
	size_t n = 0, k;
	uint8_t ch;

	cur_skip_blanks(c);
	if (!cur_eat(c, '"')) {
		n = k = cur_find(c, ',');
		while (k > 0 && cur_is_blank(cur_peek(c, k - 1)))
			k--;
		if (k >= outlen)
			return CSV_BAD;
		if (k > 0)
			memcpy(out, cur_rest(c), k);
		out[k] = '\0';
		cur_skip(c, n);
		return cur_eat(c, ',') ? CSV_MORE : CSV_LAST;
	}
	for (;;) {
		if (cur_left(c) == 0)
			return CSV_BAD; /* no closing quote */
		ch = cur_u8(c);
		if (ch == '"' && !cur_eat(c, '"'))
			break;
		if (n + 1 >= outlen)
			return CSV_BAD;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	cur_skip_blanks(c);
	if (cur_eat(c, ','))
		return CSV_MORE;
	return cur_left(c) == 0 ? CSV_LAST : CSV_BAD;
}

/* The fields of a line (at most CSV_FIELDS_MAX, the rest ignored); -1
 * when one is broken. */
static int
csv_split(struct cursor *c, char fields[CSV_FIELDS_MAX][CSV_FIELD_MAX])
{
	char spare[CSV_FIELD_MAX];
	enum csv_field r;
	int n = 0;

	do {
		r = csv_field(c, n < CSV_FIELDS_MAX ? fields[n] : spare, CSV_FIELD_MAX);
		if (r == CSV_BAD)
			return -1;
		if (n < CSV_FIELDS_MAX)
			n++;
	} while (r == CSV_MORE);
	return n;
}

/* A row naming dst_ip is the header: where the columns are. */
static bool
feodo_header(struct ioc_list *l, char fields[CSV_FIELDS_MAX][CSV_FIELD_MAX],
    int n)
{
	int i, ip = -1, port = -1, malware = -1;

	for (i = 0; i < n; i++) {
		if (strcmp(fields[i], "dst_ip") == 0)
			ip = i;
		else if (strcmp(fields[i], "dst_port") == 0)
			port = i;
		else if (strcmp(fields[i], "malware") == 0)
			malware = i;
	}
	if (ip < 0)
		return false;
	l->have_header = true;
	l->col_ip = ip;
	l->col_port = port;
	l->col_malware = malware;
	return true;
}

/* The port column: 1..65535, or empty (0). -1 otherwise. */
static int
feodo_port(const char *s, uint16_t *out)
{
	struct cursor c;
	uint64_t v;

	*out = 0;
	if (s[0] == '\0')
		return 0;
	cur_init(&c, (const uint8_t *)s, strlen(s));
	if (parse_dec_u64(&c, &v) != 0 || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static void
parse_feodo(struct ioc_list *l, struct cursor *c)
{
	char f[CSV_FIELDS_MAX][CSV_FIELD_MAX];
	struct cursor ip, malware;
	int n = csv_split(c, f);
	uint16_t port;

	if (n < 0) {
		bad_line(l, "malformed CSV (quotes or a field over %d bytes)",
		    CSV_FIELD_MAX - 1);
		return;
	}
	if (feodo_header(l, f, n))
		return;
	if (!l->have_header) {
		bad_line(l, "data before the header row (\"dst_ip\",...)");
		return;
	}
	if (l->col_ip >= n || (l->col_port >= 0 && l->col_port >= n) ||
	    (l->col_malware >= 0 && l->col_malware >= n)) {
		bad_line(l, "%d fields, fewer than the header's", n);
		return;
	}
	if (l->col_port >= 0 && feodo_port(f[l->col_port], &port) != 0) {
		bad_line(l, "invalid dst_port");
		return;
	}
	if (l->col_port < 0)
		port = 0;
	cur_init(&ip, (const uint8_t *)f[l->col_ip], strlen(f[l->col_ip]));
	cur_init(&malware, (const uint8_t *)(l->col_malware >= 0 ?
	    f[l->col_malware] : ""), l->col_malware >= 0 ? strlen(f[l->col_malware]) : 0);
	add_entry(l, &ip, &malware, port, false);
}

/* An older Feodo file comments its header out: "# "first_seen_utc",...". */
static void
feodo_comment(struct ioc_list *l, struct cursor *c)
{
	char f[CSV_FIELDS_MAX][CSV_FIELD_MAX];
	int n;

	cur_eat(c, '#');
	cur_skip_blanks(c);
	if (l->have_header || cur_peek(c, 0) != '"')
		return;
	if ((n = csv_split(c, f)) > 0)
		(void)feodo_header(l, f, n);
}

/* ---- loading ---- */

static int
load_line(void *ctx, const uint8_t *line, size_t len, char *msg, size_t msglen)
{
	struct ioc_list *l = ctx;
	struct cursor c;

	(void)msg;
	(void)msglen;
	l->stats.lines++;
	cur_init(&c, line, len);
	cur_skip_blanks(&c);
	if (cur_left(&c) == 0)
		return 0;
	if (len > IOC_LINE_MAX) {
		bad_line(l, "line longer than %d bytes", IOC_LINE_MAX);
		return 0;
	}
	if (memchr(line, '\0', len) != NULL) {
		bad_line(l, "NUL byte in line");
		return 0;
	}
	if (cur_peek(&c, 0) == '#') {
		if (l->format == IOC_FORMAT_FEODO)
			feodo_comment(l, &c);
		return 0;
	}
	switch (l->format) {
	case IOC_FORMAT_FEODO:
		parse_feodo(l, &c);
		break;
	case IOC_FORMAT_HOSTFILE:
		parse_hostfile(l, &c);
		break;
	default:
		parse_plain(l, &c);
		break;
	}
	return 0;
}

/* The room left in the arrays given back; the bytes held counted. */
static void
finish(struct ioc_list *l)
{
	place_names(l);
	place_prefixes(l);
	if (l->n > 0) {
		l->entries = xreallocarray(l->entries, l->n, sizeof(*l->entries));
		l->cap = l->n;
	}
	l->pool = xreallocarray(l->pool, l->pool_len, 1);
	l->pool_cap = l->pool_len;
	trie_shrink(l->addrs);
	l->stats.bytes = sizeof(*l) + strlen(l->path) + 1 +
	    l->cap * sizeof(*l->entries) + l->pool_cap + trie_bytes(l->addrs) +
	    (l->slots != NULL ? (l->slot_mask + 1) * sizeof(*l->slots) : 0);
}

int
ioc_list_load(struct ioc_list *l, char *err, size_t errlen)
{
	uint64_t t0 = clock_mono_ns();
	int rc;

	rc = file_each_line(l->path, load_line, l, err, errlen);
	finish(l);
	l->stats.load_ns = clock_mono_ns() - t0;
	return rc;
}

const char *
ioc_list_path(const struct ioc_list *l)
{
	return l->path;
}

enum ioc_format
ioc_list_format(const struct ioc_list *l)
{
	return l->format;
}

const struct ioc_list_stats *
ioc_list_stats(const struct ioc_list *l)
{
	return &l->stats;
}

uint64_t
ioc_list_entries(const struct ioc_list *l)
{
	return l->stats.addresses + l->stats.networks + l->stats.names;
}

/* ---- look-ups ---- */

bool
ioc_list_match_addr(const struct ioc_list *l, const struct netaddr *a,
    uint32_t *entry, enum ioc_how *how)
{
	uint32_t v = trie_lookup(l->addrs, a);

	if (v == 0)
		return false;
	*entry = v - 1;
	*how = l->entries[v - 1].kind == KIND_ADDRESS ? IOC_MATCH_ADDRESS :
	    IOC_MATCH_NETWORK;
	return true;
}

/* Is the name (n bytes, normalised) in the set? */
static bool
name_find(const struct ioc_list *l, const char *s, size_t n, uint32_t *entry)
{
	const struct name_slot *slot = name_slot(l, s, n, name_tag(l, s, n));

	if (slot->entry1 == 0)
		return false;
	*entry = slot->entry1 - 1;
	return true;
}

bool
ioc_list_match_name(const struct ioc_list *l, const char *name,
    uint32_t *entry, enum ioc_how *how)
{
	char buf[DOMAIN_MAX + 1];
	size_t len = strnlen(name, sizeof(buf) + 1), i, at = 0;

	if (l->n_names == 0)
		return false;
	while (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX)
		return false;
	for (i = 0; i < len; i++)
		buf[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	buf[len] = '\0';
	for (;;) {
		if (name_find(l, buf + at, len - at, entry)) {
			*how = at == 0 ? IOC_MATCH_NAME : IOC_MATCH_SUBDOMAIN;
			return true;
		}
		/* a hosts file lists exact names */
		if (l->format == IOC_FORMAT_HOSTFILE)
			return false;
		while (at < len && buf[at] != '.')
			at++;
		if (at == len)
			return false;
		at++;
	}
}

void
ioc_list_entry(const struct ioc_list *l, uint32_t entry,
    struct ioc_entry_view *out)
{
	const struct ioc_entry *e = &l->entries[entry];

	out->line = e->line;
	out->text = l->pool + e->text;
	out->note = l->pool + e->note;
	out->port = e->port;
}
