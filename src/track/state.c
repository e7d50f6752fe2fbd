/*
 * state.c - the detection state kept across a restart (see state.h), as
 * text records after the destinations of the baseline's file, one a line,
 * each starting with its type:
 *
 *	observed <ns>
 *	name <addr> <name> <2: DNS answer|3: look-up> <ns>
 *	label <client> <addr> <name> <dns|wire>   (the name a client reached an
 *	                               address by, and where it came from)
 *	host <addr> <first> <last> <opened> <accepted> <woke> <woke_idle>
 *	    <pull_hour> <pull_last> <pull_jewel> <pull_b,... (HOST_PULL_HOURS)>
 *	window <bucket_ns>
 *	pair <host> <dest_addr|-> <dest_name|-> <first> <last> <out> <in>
 *	    <flows> <served> <next_eval_out> <via_proxy 0|1> <jewel> <port>
 *	    <newest_bucket> <out:in:compressed:flows,... (AGG_BUCKETS)>
 *	    <kind=bytes,...|-> <log source|-> <user as hex|->
 *	state <rule> pair <host> <dest_addr> <dest_name> <hex>
 *	state <rule> host <addr> <hex>
 *	state <rule> dest <dest_addr> <dest_name> <hex>
 *	suppress <rule> <host> <dest_addr> <dest_name> <last_alert_ns>
 *
 * A destination is named as in its own line (baseline.h's dest_ref); a
 * host or pair before the records that refer to it. Hosts and pairs are
 * written least recently used first, so that loading them in order keeps
 * the recency (and, into smaller tables, the most recent). A rule's state
 * is its bytes in this machine's layout, checked by the rule before use.
 * Every line is checked whole before anything is applied (baseline.c's
 * first pass); a record whose destination, host or pair was not kept, or
 * whose rule is not in this version or refuses its state, is dropped and
 * counted; a record type this version does not know is skipped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "exfild/detect/registry.h"
#include "exfild/track/state.h"
#include "exfild/util/cursor.h"
#include "exfild/util/log.h"

#define STATE_BYTES_MAX 2048 /* a rule's state at one scope, at most */

static const char *const scope_names[RULE_SCOPE_COUNT] = {
	[RULE_SCOPE_PAIR] = "pair", [RULE_SCOPE_HOST] = "host",
	[RULE_SCOPE_DEST] = "dest",
};

/* ---- writing ---- */

struct writer {
	struct tracker *t;
	FILE *fp;
	int rc;
};

void
state_put_addr(FILE *fp, const struct netaddr *a, int *rc)
{
	char buf[NETADDR_STRLEN];

	netaddr_format(a, buf, sizeof(buf));
	if (fprintf(fp, " %s", buf) < 0)
		*rc = -1;
}

void
state_put_hex(FILE *fp, const void *bytes, size_t len, int *rc)
{
	const unsigned char *p = bytes;
	size_t i;

	if (fputc(' ', fp) == EOF)
		*rc = -1;
	for (i = 0; i < len; i++)
		if (fprintf(fp, "%02x", p[i]) < 0)
			*rc = -1;
}

static void
put_addr(struct writer *w, const struct netaddr *a)
{
	state_put_addr(w->fp, a, &w->rc);
}

static void
put_hex(struct writer *w, const void *bytes, size_t len)
{
	state_put_hex(w->fp, bytes, len, &w->rc);
}

static void
put_dest(struct writer *w, const struct dest *d)
{
	if (fputc(' ', w->fp) == EOF || baseline_write_ref(w->fp, d) != 0)
		w->rc = -1;
}

static void
end_line(struct writer *w)
{
	if (fputc('\n', w->fp) == EOF)
		w->rc = -1;
}

/* "state <rule> <scope>" and the key the caller writes, for each rule
 * keeping state for this entry. */
typedef void (*key_fn)(struct writer *w, const void *entry);

static void
put_rule_states(struct writer *w, enum rule_scope scope, uint32_t id,
    uint32_t gen, key_fn key, const void *entry)
{
	const struct rule_def *const *rules;
	struct detect *d = track_detect(w->t);
	const void *st;
	size_t i, n;

	rules = rules_registry(&n);
	for (i = 0; i < n; i++) {
		if ((st = detect_state_peek(d, i, scope, id, gen)) == NULL)
			continue;
		if (fprintf(w->fp, "state %s %s", rules[i]->name,
		    scope_names[scope]) < 0)
			w->rc = -1;
		key(w, entry);
		put_hex(w, st, detect_state_size(d, i, scope));
		end_line(w);
	}
}

static void
host_key(struct writer *w, const void *entry)
{
	put_addr(w, &((const struct host *)entry)->addr);
}

static void
write_host(void *ctx, uint32_t id, const struct host *h)
{
	struct writer *w = ctx;
	size_t i;

	if (fprintf(w->fp, "host") < 0)
		w->rc = -1;
	put_addr(w, &h->addr);
	if (fprintf(w->fp, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %u ",
	    h->first_ns, h->last_ns, h->opened, h->accepted, h->woke_ns,
	    h->woke_idle_ns, h->pull_hour, h->pull_last_ns, h->pull_jewel) < 0)
		w->rc = -1;
	for (i = 0; i < HOST_PULL_HOURS; i++)
		if (fprintf(w->fp, i > 0 ? ",%" PRIu64 : "%" PRIu64,
		    h->pull_b[i]) < 0)
			w->rc = -1;
	end_line(w);
	put_rule_states(w, RULE_SCOPE_HOST, id, h->gen, host_key, h);
}

/* A pair's key: its host and destination. */
struct pair_ref {
	const struct pair *p;
	const struct dest *d;
};

static void
pair_key(struct writer *w, const void *entry)
{
	const struct pair_ref *r = entry;

	put_addr(w, &r->p->host);
	put_dest(w, r->d);
}

static void
put_pair_fields(struct writer *w, const struct pair *p)
{
	struct agg_bucket b[AGG_BUCKETS];
	size_t i;
	bool any = false;

	agg_buckets(p, b);
	if (fprintf(w->fp, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %u %u %" PRIu64 " ",
	    p->first_ns, p->last_ns, p->total_out, p->total_in, p->total_flows,
	    p->total_served, p->next_eval_out, p->via_proxy ? 1 : 0, p->jewel,
	    p->dst_port, p->newest_bucket) < 0)
		w->rc = -1;
	for (i = 0; i < AGG_BUCKETS; i++)
		if (fprintf(w->fp, "%s%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64,
		    i > 0 ? "," : "", b[i].out, b[i].in, b[i].compressed,
		    b[i].flows) < 0)
			w->rc = -1;
	if (fputc(' ', w->fp) == EOF)
		w->rc = -1;
	for (i = 0; i < PK_COUNT; i++) {
		if (p->kind_bytes[i] == 0)
			continue;
		if (fprintf(w->fp, "%s%s=%" PRIu64, any ? "," : "",
		    payload_kind_name((enum payload_kind)i), p->kind_bytes[i]) < 0)
			w->rc = -1;
		any = true;
	}
	if (!any && fputc('-', w->fp) == EOF)
		w->rc = -1;
}

static void
put_pair_log(struct writer *w, uint32_t id, const struct pair *p)
{
	const char *user;
	enum event_source s = track_pair_log(w->t, id, p->gen, &user);

	if (s == EVENT_PACKETS) {
		if (fprintf(w->fp, " - -") < 0)
			w->rc = -1;
		return;
	}
	if (fprintf(w->fp, " %s", event_source_name(s)) < 0)
		w->rc = -1;
	if (user[0] == '\0') {
		if (fprintf(w->fp, " -") < 0)
			w->rc = -1;
		return;
	}
	put_hex(w, user, strlen(user));
}

static void
put_suppressions(struct writer *w, uint32_t id, const struct pair_ref *r)
{
	const struct rule_def *const *rules;
	struct detect *d = track_detect(w->t);
	uint64_t last;
	size_t i, n;

	rules = rules_registry(&n);
	for (i = 0; i < n; i++) {
		if ((last = detect_suppress_peek(d, i, id, r->p->gen)) == 0)
			continue;
		if (fprintf(w->fp, "suppress %s", rules[i]->name) < 0)
			w->rc = -1;
		pair_key(w, r);
		if (fprintf(w->fp, " %" PRIu64 "\n", last) < 0)
			w->rc = -1;
	}
}

static void
write_pair(void *ctx, const struct pair *p)
{
	struct writer *w = ctx;
	struct pair_ref r = { p, baseline_get(track_baseline(w->t), p->dest_id,
	    p->dest_gen) };
	uint32_t id = agg_pair_id(track_pairs(w->t), p);

	if (r.d == NULL)
		return; /* its destination is gone: the pair cannot be named */
	if (fprintf(w->fp, "pair") < 0)
		w->rc = -1;
	pair_key(w, &r);
	put_pair_fields(w, p);
	put_pair_log(w, id, p);
	end_line(w);
	put_rule_states(w, RULE_SCOPE_PAIR, id, p->gen, pair_key, &r);
	put_suppressions(w, id, &r);
}

static void
dest_key(struct writer *w, const void *entry)
{
	put_dest(w, entry);
}

static void
write_dest_states(void *ctx, uint32_t id, const struct dest *d)
{
	put_rule_states(ctx, RULE_SCOPE_DEST, id, d->gen, dest_key, d);
}

/* What the baseline's hooks are given: the tracker and the later stage's. */
struct state_io {
	struct tracker *t;
	const struct track_state_more *more;
	struct reader *r;
};

/* A name learned from the wire (DNS answers, the daemon's look-ups); the
 * hosts file's are read from it again at start. */
static void
write_name(void *ctx, const char *name, const struct netaddr *addr,
    enum name_source src, uint64_t ts_ns)
{
	struct writer *w = ctx;
	struct dest d;

	if (src == NAME_FROM_HOSTS)
		return;
	memset(&d, 0, sizeof(d));
	str_copy(d.name, name, sizeof(d.name));
	d.addr = *addr;
	if (fprintf(w->fp, "name ") < 0 || baseline_write_ref(w->fp, &d) != 0 ||
	    fprintf(w->fp, " %d %" PRIu64 "\n", (int)src, ts_ns) < 0)
		w->rc = -1;
}

static void
write_label(void *ctx, const struct netaddr *client, const struct netaddr *addr,
    const char *name, bool from_dns)
{
	struct writer *w = ctx;
	struct dest d;

	memset(&d, 0, sizeof(d));
	str_copy(d.name, name, sizeof(d.name));
	d.addr = *addr;
	if (fprintf(w->fp, "label") < 0)
		w->rc = -1;
	state_put_addr(w->fp, client, &w->rc);
	if (fputc(' ', w->fp) == EOF || baseline_write_ref(w->fp, &d) != 0 ||
	    fprintf(w->fp, " %s\n", from_dns ? "dns" : "wire") < 0)
		w->rc = -1;
}

static int
write_records(void *ctx, FILE *fp)
{
	const struct state_io *io = ctx;
	struct writer w = { io->t, fp, 0 };

	if (fprintf(fp, "observed %" PRIu64 "\n",
	    track_observed_since(w.t)) < 0)
		return -1;
	names_foreach(track_names(w.t), write_name, &w);
	names_label_foreach(track_names(w.t), write_label, &w);
	hosts_foreach(track_hosts(w.t), write_host, &w);
	if (fprintf(fp, "window %" PRIu64 "\n",
	    aggtab_bucket_ns(track_pairs(w.t))) < 0)
		return -1;
	agg_foreach(track_pairs(w.t), write_pair, &w);
	baseline_foreach(track_baseline(w.t), write_dest_states, &w);
	if (w.rc == 0 && io->more != NULL && io->more->write != NULL)
		w.rc = io->more->write(io->more->ctx, fp);
	return w.rc;
}

/* ---- reading ---- */

struct reader {
	struct tracker *t;
	uint64_t bucket_ns;   /* the window line's (0: none yet) */
	struct track_state_stats stats;
};

int
state_split(const struct cursor *line, struct state_words *out, char *msg,
    size_t msglen)
{
	struct cursor c = *line, word;

	out->n = 0;
	for (;;) {
		word = cur_next_word(&c);
		if (cur_left(&word) == 0)
			break;
		if (out->n == STATE_FIELDS_MAX) {
			snprintf(msg, msglen, "more than %d fields",
			    STATE_FIELDS_MAX);
			return -1;
		}
		out->w[out->n++] = word;
	}
	return 0;
}

int
state_bad_field(const struct cursor *f, const char *what, char *msg,
    size_t msglen)
{
	char quoted[QUOTE_BUF];

	quote_bytes(f, quoted, sizeof(quoted));
	snprintf(msg, msglen, "invalid %s %s", what, quoted);
	return -1;
}

int
state_get_u64(const struct cursor *f, const char *what, uint64_t *out,
    char *msg, size_t msglen)
{
	if (parse_dec_u64(f, out) != 0)
		return state_bad_field(f, what, msg, msglen);
	return 0;
}

int
state_get_addr(const struct cursor *f, struct netaddr *out, char *msg,
    size_t msglen)
{
	if (cur_left(f) == 0 || cur_left(f) >= NETADDR_STRLEN ||
	    netaddr_parse_n((const char *)cur_rest(f), cur_left(f), out) != 0)
		return state_bad_field(f, "address", msg, msglen);
	return 0;
}

/* Fields from..from+n-1 as uint64s. */
static int
get_u64s(const struct state_words *ws, size_t from, uint64_t *const out[], size_t n,
    char *msg, size_t msglen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (state_get_u64(&ws->w[from + i], "number", out[i], msg, msglen) != 0)
			return -1;
	return 0;
}

/* A sep-separated list of exactly n decimal uint64s. */
static int
get_list(const struct cursor *f, uint8_t sep, uint64_t *out, size_t n,
    const char *what, char *msg, size_t msglen)
{
	struct cursor c = *f, item;
	size_t i;

	for (i = 0; i < n; i++) {
		item = cur_until(&c, sep);
		if (parse_dec_u64(&item, &out[i]) != 0 ||
		    (i + 1 < n && !cur_eat(&c, sep)))
			return state_bad_field(f, what, msg, msglen);
	}
	return cur_left(&c) == 0 ? 0 : state_bad_field(f, what, msg, msglen);
}

int
state_need_fields(const struct state_words *ws, size_t n, const char *what,
    char *msg, size_t msglen)
{
	if (ws->n == n)
		return 0;
	snprintf(msg, msglen, "%s: expected %zu fields, not %zu", what, n, ws->n);
	return -1;
}

static int
read_observed(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	uint64_t ns;

	if (state_need_fields(ws, 2, "observed", msg, msglen) != 0 ||
	    state_get_u64(&ws->w[1], "time", &ns, msg, msglen) != 0)
		return -1;
	if (apply)
		track_restore_observed_since(r->t, ns);
	return 0;
}

static int
parse_host(const struct state_words *ws, struct host *h, char *msg, size_t msglen)
{
	uint64_t jewel;
	uint64_t *const f[] = { &h->first_ns, &h->last_ns, &h->opened,
		&h->accepted, &h->woke_ns, &h->woke_idle_ns, &h->pull_hour,
		&h->pull_last_ns, &jewel };

	memset(h, 0, sizeof(*h));
	if (state_need_fields(ws, 12, "host", msg, msglen) != 0 ||
	    state_get_addr(&ws->w[1], &h->addr, msg, msglen) != 0 ||
	    get_u64s(ws, 2, f, sizeof(f) / sizeof(f[0]), msg, msglen) != 0 ||
	    get_list(&ws->w[11], ',', h->pull_b, HOST_PULL_HOURS, "pulls", msg,
	    msglen) != 0)
		return -1;
	if (jewel > UINT8_MAX)
		return state_bad_field(&ws->w[10], "crown jewel", msg, msglen);
	h->pull_jewel = (uint8_t)jewel;
	return 0;
}

static int
read_host(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	struct host h;
	uint32_t id;

	if (parse_host(ws, &h, msg, msglen) != 0)
		return -1;
	if (!apply)
		return 0;
	hosts_restore(track_hosts(r->t), &h, &id);
	r->stats.hosts++;
	return 0;
}

static int
read_name(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	struct dest_ref ref;
	uint64_t src, ts;

	if (state_need_fields(ws, 5, "name", msg, msglen) != 0 ||
	    baseline_parse_ref(&ws->w[1], &ws->w[2], &ref, msg, msglen) != 0 ||
	    state_get_u64(&ws->w[3], "name source", &src, msg, msglen) != 0 ||
	    state_get_u64(&ws->w[4], "time", &ts, msg, msglen) != 0)
		return -1;
	if ((src != NAME_FROM_DNS && src != NAME_FROM_LOOKUP) ||
	    ref.name[0] == '\0' || !netaddr_is_set(&ref.addr))
		return state_bad_field(&ws->w[3], "name record", msg, msglen);
	if (apply) {
		names_put(track_names(r->t), ref.name, &ref.addr,
		    (enum name_source)src, ts);
		r->stats.names++;
	}
	return 0;
}

static int
read_label(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	struct dest_ref ref;
	struct netaddr client;

	if (state_need_fields(ws, 5, "label", msg, msglen) != 0 ||
	    state_get_addr(&ws->w[1], &client, msg, msglen) != 0 ||
	    baseline_parse_ref(&ws->w[2], &ws->w[3], &ref, msg, msglen) != 0)
		return -1;
	if (ref.name[0] == '\0' || !netaddr_is_set(&ref.addr))
		return state_bad_field(&ws->w[2], "label record", msg, msglen);
	if (!cur_eq_str(&ws->w[4], "dns") && !cur_eq_str(&ws->w[4], "wire"))
		return state_bad_field(&ws->w[4], "label source", msg, msglen);
	if (apply)
		names_label_put(track_names(r->t), &client, &ref.addr, ref.name,
		    cur_eq_str(&ws->w[4], "dns"));
	return 0;
}

static int
read_window(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	uint64_t ns;

	if (state_need_fields(ws, 2, "window", msg, msglen) != 0 ||
	    state_get_u64(&ws->w[1], "bucket width", &ns, msg, msglen) != 0)
		return -1;
	if (apply)
		r->bucket_ns = ns;
	return 0;
}

/* "kind=bytes,..." or "-": a kind this version does not know is left out. */
static int
get_kinds(const struct cursor *f, uint64_t out[PK_COUNT], char *msg,
    size_t msglen)
{
	struct cursor c = *f, item, name;
	uint64_t v;
	size_t k;

	memset(out, 0, PK_COUNT * sizeof(*out));
	if (cur_eq_str(f, "-"))
		return 0;
	do {
		item = cur_until(&c, ',');
		name = cur_until(&item, '=');
		if (!cur_eat(&item, '=') || parse_dec_u64(&item, &v) != 0)
			return state_bad_field(f, "payload kinds", msg, msglen);
		for (k = 0; k < PK_COUNT; k++)
			if (cur_eq_str(&name, payload_kind_name((enum payload_kind)k)))
				out[k] = v;
	} while (cur_eat(&c, ','));
	return cur_left(&c) == 0 ? 0 : state_bad_field(f, "payload kinds", msg, msglen);
}

static int
get_buckets(const struct cursor *f, struct agg_bucket b[AGG_BUCKETS], char *msg,
    size_t msglen)
{
	struct cursor c = *f, item;
	uint64_t v[4];
	size_t i;

	for (i = 0; i < AGG_BUCKETS; i++) {
		item = cur_until(&c, ',');
		if (get_list(&item, ':', v, 4, "window bucket", msg, msglen) != 0 ||
		    (i + 1 < AGG_BUCKETS && !cur_eat(&c, ',')))
			return state_bad_field(f, "window buckets", msg, msglen);
		b[i].out = v[0];
		b[i].in = v[1];
		b[i].compressed = v[2];
		b[i].flows = v[3];
	}
	return cur_left(&c) == 0 ? 0 : state_bad_field(f, "window buckets", msg, msglen);
}

/* The log that fed a pair: "-", or a source name and its user. */
static int
get_log(const struct cursor *src, const struct cursor *user,
    enum event_source *s, char *name, size_t namelen, char *msg, size_t msglen)
{
	enum event_source k;

	*s = EVENT_PACKETS;
	name[0] = '\0';
	if (!cur_eq_str(src, "-")) {
		for (k = EVENT_SQUID_LOG; k <= EVENT_ZEEK_HTTP; k++)
			if (cur_eq_str(src, event_source_name(k)))
				*s = k;
		if (*s == EVENT_PACKETS)
			return state_bad_field(src, "log source", msg, msglen);
	}
	if (cur_eq_str(user, "-"))
		return 0;
	if (cur_left(user) / 2 >= namelen ||
	    parse_hex_bytes(user, (uint8_t *)name, cur_left(user) / 2) != 0 ||
	    memchr(name, '\0', cur_left(user) / 2) != NULL)
		return state_bad_field(user, "user", msg, msglen);
	name[cur_left(user) / 2] = '\0';
	return 0;
}

/* A saved pair: its key and history, as agg_restore takes them. */
struct saved_pair {
	struct pair p;
	struct dest_ref dest;
	enum event_source source;
	char user[64];
};

static int
parse_pair(const struct state_words *ws, struct saved_pair *sp, char *msg,
    size_t msglen)
{
	struct pair *p = &sp->p;
	uint64_t via, jewel, port;
	uint64_t *const f[] = { &p->first_ns, &p->last_ns, &p->total_out,
		&p->total_in, &p->total_flows, &p->total_served,
		&p->next_eval_out, &via, &jewel, &port, &p->newest_bucket };

	memset(sp, 0, sizeof(*sp));
	if (state_need_fields(ws, 19, "pair", msg, msglen) != 0 ||
	    state_get_addr(&ws->w[1], &p->host, msg, msglen) != 0 ||
	    baseline_parse_ref(&ws->w[2], &ws->w[3], &sp->dest, msg, msglen) != 0 ||
	    get_u64s(ws, 4, f, sizeof(f) / sizeof(f[0]), msg, msglen) != 0 ||
	    get_buckets(&ws->w[15], p->b, msg, msglen) != 0 ||
	    get_kinds(&ws->w[16], p->kind_bytes, msg, msglen) != 0 ||
	    get_log(&ws->w[17], &ws->w[18], &sp->source, sp->user,
	    sizeof(sp->user), msg, msglen) != 0)
		return -1;
	if (via > 1)
		return state_bad_field(&ws->w[11], "via_proxy", msg, msglen);
	if (jewel > UINT8_MAX)
		return state_bad_field(&ws->w[12], "crown jewel", msg, msglen);
	if (port > UINT16_MAX)
		return state_bad_field(&ws->w[13], "port", msg, msglen);
	p->via_proxy = via == 1;
	p->jewel = (uint8_t)jewel;
	p->dst_port = (uint16_t)port;
	return 0;
}

/* The destination of a ref, as kept by this run; false (and counted as
 * dropped) when it was not kept. */
static bool
find_dest(struct reader *r, const struct dest_ref *ref, uint32_t *id,
    uint32_t *gen)
{
	if (baseline_find_ref(track_baseline(r->t), ref, id, gen))
		return true;
	r->stats.dropped++;
	return false;
}

/* The pair of a host and destination in the table now. */
static struct pair *
find_pair(struct reader *r, const struct netaddr *host,
    const struct dest_ref *ref, uint32_t *id)
{
	uint32_t did, dgen;
	struct pair *p;

	if (!find_dest(r, ref, &did, &dgen))
		return NULL;
	if ((p = agg_find(track_pairs(r->t), host, did, dgen, id)) == NULL)
		r->stats.dropped++;
	return p;
}

static int
read_pair(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	struct saved_pair sp;
	const struct host *h;
	struct pair *p;
	uint32_t id, hid;

	if (parse_pair(ws, &sp, msg, msglen) != 0)
		return -1;
	if (!apply || !find_dest(r, &sp.dest, &sp.p.dest_id, &sp.p.dest_gen))
		return 0;
	p = agg_restore(track_pairs(r->t), &sp.p, r->bucket_ns, &id);
	if ((h = hosts_find(track_hosts(r->t), &p->host, &hid)) != NULL) {
		p->host_id = hid;
		p->host_gen = h->gen;
	}
	if (sp.source != EVENT_PACKETS)
		track_restore_pair_log(r->t, id, p->gen, sp.source, sp.user);
	r->stats.pairs++;
	return 0;
}

/* "state <rule> <scope> <key...> <hex>": where it goes, by scope. */
static int
rule_state_entry(struct reader *r, enum rule_scope scope, const struct state_words *ws,
    uint32_t *id, uint32_t *gen, bool apply, char *msg, size_t msglen)
{
	const struct host *h;
	struct netaddr host;
	struct dest_ref ref;
	struct pair *p;

	switch (scope) {
	case RULE_SCOPE_PAIR:
		if (state_need_fields(ws, 7, "state", msg, msglen) != 0 ||
		    state_get_addr(&ws->w[3], &host, msg, msglen) != 0 ||
		    baseline_parse_ref(&ws->w[4], &ws->w[5], &ref, msg, msglen) != 0)
			return -1;
		if (apply && (p = find_pair(r, &host, &ref, id)) != NULL) {
			*gen = p->gen;
			return 1;
		}
		return 0;
	case RULE_SCOPE_HOST:
		if (state_need_fields(ws, 5, "state", msg, msglen) != 0 ||
		    state_get_addr(&ws->w[3], &host, msg, msglen) != 0)
			return -1;
		if (apply && (h = hosts_find(track_hosts(r->t), &host, id)) != NULL) {
			*gen = h->gen;
			return 1;
		}
		r->stats.dropped += apply;
		return 0;
	default:
		if (state_need_fields(ws, 6, "state", msg, msglen) != 0 ||
		    baseline_parse_ref(&ws->w[3], &ws->w[4], &ref, msg, msglen) != 0)
			return -1;
		return apply && find_dest(r, &ref, id, gen) ? 1 : 0;
	}
}

static int
read_state(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	unsigned char bytes[STATE_BYTES_MAX];
	const struct cursor *hex;
	enum rule_scope scope = RULE_SCOPE_NONE, s;
	uint32_t id = 0, gen = 0;
	size_t len;
	int rule, found;

	if (ws->n < 5) {
		snprintf(msg, msglen, "state: too few fields");
		return -1;
	}
	for (s = RULE_SCOPE_PAIR; s < RULE_SCOPE_COUNT; s++)
		if (cur_eq_str(&ws->w[2], scope_names[s]))
			scope = s;
	if (scope == RULE_SCOPE_NONE)
		return state_bad_field(&ws->w[2], "scope", msg, msglen);
	hex = &ws->w[ws->n - 1];
	len = cur_left(hex) / 2;
	if (len > sizeof(bytes) || parse_hex_bytes(hex, bytes, len) != 0)
		return state_bad_field(hex, "state bytes", msg, msglen);
	if ((found = rule_state_entry(r, scope, ws, &id, &gen, apply, msg,
	    msglen)) < 0)
		return -1;
	if (!apply || found == 0)
		return 0;
	rule = rules_index_n((const char *)cur_rest(&ws->w[1]), cur_left(&ws->w[1]));
	if (rule < 0 || !detect_state_restore(track_detect(r->t), (size_t)rule,
	    scope, id, gen, bytes, len))
		r->stats.dropped++;
	else
		r->stats.rule_states++;
	return 0;
}

static int
read_suppress(struct reader *r, const struct state_words *ws, bool apply, char *msg,
    size_t msglen)
{
	struct netaddr host;
	struct dest_ref ref;
	struct pair *p;
	uint64_t last;
	uint32_t id;
	int rule;

	if (state_need_fields(ws, 6, "suppress", msg, msglen) != 0 ||
	    state_get_addr(&ws->w[2], &host, msg, msglen) != 0 ||
	    baseline_parse_ref(&ws->w[3], &ws->w[4], &ref, msg, msglen) != 0 ||
	    state_get_u64(&ws->w[5], "time", &last, msg, msglen) != 0)
		return -1;
	if (!apply || (p = find_pair(r, &host, &ref, &id)) == NULL)
		return 0;
	rule = rules_index_n((const char *)cur_rest(&ws->w[1]), cur_left(&ws->w[1]));
	if (rule >= 0 && detect_suppress_restore(track_detect(r->t), (size_t)rule,
	    id, p->gen, last))
		r->stats.suppressions++;
	else
		r->stats.dropped++;
	return 0;
}

typedef int (*record_fn)(struct reader *r, const struct state_words *ws, bool apply,
    char *msg, size_t msglen);

static const struct {
	const char *type;
	record_fn read;
} records[] = {
	{ "observed", read_observed }, { "name", read_name },
	{ "label", read_label }, { "host", read_host },
	{ "window", read_window }, { "pair", read_pair },
	{ "state", read_state }, { "suppress", read_suppress },
};

static int
read_record(void *ctx, const struct cursor *line, bool apply, char *msg,
    size_t msglen)
{
	const struct state_io *io = ctx;
	struct reader *r = io->r;
	struct state_words ws;
	size_t i;
	int rc;

	msg[0] = '\0';
	if (state_split(line, &ws, msg, msglen) != 0 || ws.n == 0)
		return ws.n == 0 ? 0 : -1;
	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		if (cur_eq_str(&ws.w[0], records[i].type))
			return records[i].read(r, &ws, apply, msg, msglen);
	rc = io->more != NULL && io->more->read != NULL ?
	    io->more->read(io->more->ctx, line, apply, msg, msglen) : 0;
	if (rc == 0 || rc == 2)
		r->stats.dropped += apply; /* a newer version's, or cut short */
	return rc < 0 ? -1 : 0;
}

int
track_state_save(struct tracker *t, const char *path,
    const struct track_state_more *more, char *err, size_t errlen)
{
	struct state_io io = { t, more, NULL };
	struct baseline_extra x = { write_records, NULL, &io };

	return baseline_save(track_baseline(t), path, &x, err, errlen);
}

int
track_state_load(struct tracker *t, const char *path,
    const struct track_state_more *more, struct track_state_stats *stats,
    char *err, size_t errlen)
{
	struct reader r = { .t = t };
	struct state_io io = { t, more, &r };
	struct baseline_extra x = { NULL, read_record, &io };
	int rc;

	rc = baseline_load(track_baseline(t), path, &x, err, errlen);
	if (stats != NULL)
		*stats = r.stats;
	/* the file's learning period, on the input's clock */
	track_recheck_learning(t);
	return rc;
}
