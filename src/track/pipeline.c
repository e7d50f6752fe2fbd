/*
 * pipeline.c - from a captured frame to alerts. Roles: a flow's "host" is
 * the internal host whose bytes we account; its "peer" is a configured proxy
 * or an external address. Flows to a proxy (and flows from the proxy on an
 * egress tap) are bound to their real destination only once the HTTP
 * request or TLS SNI names it; bytes before that wait in the flow and are
 * credited on binding. Everything here runs per packet: no allocation.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exfild/proto/classify.h"
#include "exfild/enrich/geo.h"
#include "exfild/util/log.h"
#include "exfild/track/pipeline.h"
#include "exfild/proto/proto_dns.h"
#include "exfild/proto/proto_tls.h"
#include "exfild/logs/log_record.h"
#include "exfild/detect/rules.h"

#define EXPIRE_EVERY_NS (1ULL * NS_PER_SEC)
/* Rare paths stay out of the per-packet function's frame. */
#define RARE __attribute__((noinline, cold))
/* ... and the per-packet helpers in it, whoever else calls them. */
#define HOT_INLINE inline __attribute__((always_inline))
/* Fragments: the ports of a datagram's first fragment, so that its later
 * fragments (which carry none) are counted for the same flow. A direct-
 * mapped table: a newer datagram overwrites an older one's slot. */
#define FRAG_SLOTS 4096
#define FRAG_TIMEOUT_NS (60ULL * NS_PER_SEC) /* RFC 8200 4.5, RFC 791 */

struct frag_slot {
	struct netaddr src, dst;
	uint32_t id;
	uint16_t sport, dport;
	uint8_t proto;
	uint64_t ts_ns; /* 0: empty */
};
/* how often a flow marks its destination in use (baseline LRU) */
#define DEST_TOUCH_NS (1ULL * NS_PER_SEC)

union app_parser {
	struct http_parser http;
	struct tls_parser tls;
};

struct pipeline {
	const struct config *cfg;
	const char *source;
	pipeline_alert_fn alert_fn;
	void *alert_ctx;

	struct hash_key key;
	struct flowtab *flows;
	struct aggtab *pairs;
	struct baseline *baseline;
	struct names *names;
	struct geo *geo;
	struct classifier *classifier;

	struct frag_slot *frags;
	union app_parser *slots;
	uint32_t *slot_next;
	uint32_t slot_free;
	size_t nslots;

	uint64_t next_expire_ns;
	uint64_t min_rule_bytes;
	uint64_t alert_seq;
	char *baseline_state;         /* the file it was loaded from (a reload
				       * does not move it: restart only) */
	pipeline_lookup_fn lookup_fn; /* live mode: ask for names' addresses */
	struct pair_note *notes;      /* per pair slot: the log it came from */
	void *lookup_ctx;
	struct pipeline_stats stats;
};

/*
 * What a pair fed by a proxy log needs for its alerts that packets do not
 * have: which log and which user, kept beside the pair (by slot id and
 * generation) so that an alert raised later, by the timer or after a
 * reload, still says so. 64 bytes a slot, touched only by log records.
 */
struct pair_note {
	uint32_t gen;     /* the pair's generation when written */
	uint8_t source;   /* 0: packets; else enum log_record_kind + 1 */
	char user[59];
};

/* What one client segment contributed, collected while parsers run. */
struct segment_ctx {
	struct pipeline *p;
	struct flow *f;
	uint64_t ts_ns;
	uint64_t kind_bytes[PK_COUNT]; /* valid where the bit in kinds is set */
	uint32_t kinds;
	uint64_t consumed; /* body and tunnel bytes (the rest are headers) */
	uint64_t flushed;  /* payload bytes credited to an earlier request's pair */
	uint64_t heads;    /* request head bytes already counted (as text) */
};

/* Adds client payload bytes of a kind to the segment's tally. */
static void
count_kind(struct segment_ctx *s, unsigned kind, uint64_t n)
{
	if (n == 0 || kind >= PK_COUNT)
		return;
	if (!(s->kinds & (1u << kind))) {
		s->kinds |= 1u << kind;
		s->kind_bytes[kind] = 0;
	}
	s->kind_bytes[kind] += n;
}

static void release_flow(void *ctx, struct flow *f);

/* ---- start-up ---- */

static uint64_t
min_rule_bytes(const struct config *cfg)
{
	uint64_t m = UINT64_MAX;

	if (cfg->bulk_upload.enabled && cfg->bulk_upload.bytes < m)
		m = cfg->bulk_upload.bytes;
	if (cfg->compressed_upload.enabled && cfg->compressed_upload.bytes < m)
		m = cfg->compressed_upload.bytes;
	return m;
}

static int
load_inputs(struct pipeline *p, char *err, size_t errlen)
{
	const struct config *cfg = p->cfg;
	size_t i;

	for (i = 0; i < cfg->n_geo_databases; i++)
		if (geo_load_csv(p->geo, cfg->geo_databases[i], err, errlen) != 0)
			return -1;
	if (cfg->geo_hosts != NULL &&
	    names_load_hosts(p->names, cfg->geo_hosts, err, errlen) != 0)
		return -1;
	if (cfg->baseline_state != NULL &&
	    baseline_load(p->baseline, cfg->baseline_state, err, errlen) != 0)
		return -1;
	return 0;
}

struct pipeline *
pipeline_new(const struct config *cfg, const char *source, pipeline_alert_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));
	size_t i;

	p->cfg = cfg;
	p->baseline_state = cfg->baseline_state != NULL ? xstrdup(cfg->baseline_state) : NULL;
	p->source = source;
	p->alert_fn = fn;
	p->alert_ctx = ctx;
	if (hash_key_random(&p->key) != 0) {
		snprintf(err, errlen, "cannot seed the hash tables");
		goto fail;
	}
	p->flows = flowtab_new(cfg->limit_flows, &p->key, release_flow, p);
	p->pairs = aggtab_new(cfg->limit_pairs, cfg->rules_window_s * NS_PER_SEC,
	    &p->key);
	p->baseline = baseline_new(cfg->limit_destinations, cfg, &p->key);
	p->names = names_new(cfg->limit_names, &p->key);
	p->geo = geo_new();
	p->classifier = classifier_new();
	if (p->flows == NULL || p->pairs == NULL || p->baseline == NULL ||
	    p->names == NULL || p->geo == NULL || p->classifier == NULL) {
		snprintf(err, errlen, "cannot allocate the tables (see limits:)");
		goto fail;
	}
	p->frags = xcalloc(FRAG_SLOTS, sizeof(*p->frags));
	/* calloc'd pages stay untouched (and cost nothing) without logs */
	p->notes = xcalloc(cfg->limit_pairs, sizeof(*p->notes));
	p->nslots = cfg->limit_app_parsers;
	p->slots = xcalloc(p->nslots, sizeof(*p->slots));
	p->slot_next = xcalloc(p->nslots, sizeof(*p->slot_next));
	for (i = 0; i < p->nslots; i++)
		p->slot_next[i] = i + 1 < p->nslots ? (uint32_t)(i + 1) : FLOW_NONE;
	p->slot_free = p->nslots > 0 ? 0 : FLOW_NONE;
	p->min_rule_bytes = min_rule_bytes(cfg);
	if (load_inputs(p, err, errlen) != 0)
		goto fail;
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	flowtab_free(p->flows);
	aggtab_free(p->pairs);
	baseline_free(p->baseline);
	names_free(p->names);
	geo_free(p->geo);
	classifier_free(p->classifier);
	free(p->frags);
	free(p->notes);
	free(p->slots);
	free(p->slot_next);
	free(p->baseline_state);
	free(p);
}

/* ---- parser slots ---- */

static union app_parser *
slot_get(struct pipeline *p, struct flow *f)
{
	if (f->app_slot == FLOW_NONE) {
		if (p->slot_free == FLOW_NONE) {
			p->stats.parser_slots_exhausted++;
			return NULL;
		}
		f->app_slot = p->slot_free;
		p->slot_free = p->slot_next[f->app_slot];
		/* a recycled slot holds another flow's state: start clean */
		if (f->app == FLOW_APP_HTTP)
			http_parser_init(&p->slots[f->app_slot].http);
		else
			tls_parser_init(&p->slots[f->app_slot].tls);
	}
	return &p->slots[f->app_slot];
}

static void
slot_put(struct pipeline *p, struct flow *f)
{
	if (f->app_slot == FLOW_NONE)
		return;
	p->slot_next[f->app_slot] = p->slot_free;
	p->slot_free = f->app_slot;
	f->app_slot = FLOW_NONE;
}

static void
release_flow(void *ctx, struct flow *f)
{
	struct pipeline *p = ctx;

	if ((f->via_proxy || f->host_is_proxy) && f->pair_id == FLOW_NONE &&
	    f->app != FLOW_APP_UNKNOWN)
		p->stats.proxy_unidentified++;
	slot_put(p, f);
}

/* ---- destinations ---- */

static bool
is_proxy_address(const struct config *cfg, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < cfg->n_proxies; i++)
		if (netaddr_eq(&cfg->proxies[i].addr, a))
			return true;
	return false;
}

/* Address of a destination: its own, a literal name, or the name cache. */
static bool
dest_address(struct pipeline *p, struct dest *d, struct netaddr *out)
{
	if (netaddr_is_set(&d->addr)) {
		*out = d->addr;
		return true;
	}
	if (d->name[0] == '\0')
		return false;
	if (netaddr_parse(d->name, out) == 0 || names_get(p->names, d->name, out)) {
		d->addr = *out;
		return true;
	}
	/* live mode: ask the resolver; the answer lands in the names table,
	 * where the pair's next evaluation finds it (the country stays "??",
	 * foreign, until then) */
	if (p->lookup_fn != NULL)
		p->lookup_fn(p->lookup_ctx, d->name, p->stats.last_ns);
	return false;
}

static void
resolve_country(struct pipeline *p, struct pair *pr, struct dest *d)
{
	struct netaddr a;

	if (pr->country != COUNTRY_UNKNOWN || !dest_address(p, d, &a))
		return;
	pr->country = geo_lookup(p->geo, &a);
}

static bool
dest_is_foreign(struct pipeline *p, const struct pair *pr, struct dest *d)
{
	struct netaddr a;

	if (dest_address(p, d, &a) && config_is_internal(p->cfg, &a))
		return false;
	return !config_is_home(p->cfg, pr->country);
}

static void
credit_pending(struct pipeline *p, struct flow *f, struct pair *pr, uint64_t ts)
{
	if (f->pending_out == 0 && f->pending_in == 0 && f->pending_text == 0)
		return;
	agg_add_bytes(p->pairs, pr, ts, f->pending_out, f->pending_in);
	agg_add_kind(p->pairs, pr, ts, PK_TEXT, f->pending_text);
	f->pending_out = f->pending_in = f->pending_text = 0;
}

/* Points the flow at the pair (host, destination), counting a new flow for
 * the pair when the flow was not already bound to it. */
static struct pair *
bind_flow(struct pipeline *p, struct flow *f, const struct netaddr *host,
    const char *name, const struct netaddr *addr, uint16_t port, uint64_t ts)
{
	struct dest *d;
	struct pair *pr;
	uint32_t dest_id, pair_id;

	dest_id = baseline_observe(p->baseline, name, addr, ts, &d);
	if (d == NULL)
		return NULL; /* neither a name nor an address: nothing to key on */
	pr = agg_get(p->pairs, host, dest_id, d->gen, ts, &pair_id);
	if (f->pair_id != pair_id || f->pair_gen != pr->gen)
		agg_add_flow(p->pairs, pr, ts);
	f->pair_id = pair_id;
	f->pair_gen = pr->gen;
	f->pair = pr;
	f->dest_id = dest_id;
	f->dest_gen = d->gen;
	f->pair_host = *host;
	f->dst_port = port;
	pr->dst_port = port;
	pr->via_proxy = f->via_proxy || f->host_is_proxy;
	resolve_country(p, pr, d);
	credit_pending(p, f, pr, ts);
	return pr;
}

/*
 * The pair was evicted (the table was full) while this flow still sends:
 * get it again for the same destination, so that a flood of new pairs
 * cannot hide a running upload. Its window starts afresh.
 */
static RARE struct pair *
flow_rebind(struct pipeline *p, struct flow *f, uint64_t ts)
{
	struct pair *pr;
	struct dest *d;
	uint32_t pair_id;

	if ((d = baseline_get(p->baseline, f->dest_id, f->dest_gen)) == NULL) {
		p->stats.flows_lost_destination++;
		f->pair_id = FLOW_NONE; /* its destination was evicted too */
		return NULL;
	}
	pr = agg_get(p->pairs, &f->pair_host, f->dest_id, f->dest_gen, ts, &pair_id);
	agg_add_flow(p->pairs, pr, ts);
	f->pair_id = pair_id;
	f->pair_gen = pr->gen;
	f->pair = pr;
	pr->dst_port = f->dst_port;
	pr->via_proxy = f->via_proxy || f->host_is_proxy;
	resolve_country(p, pr, d);
	p->stats.pairs_rebound++;
	return pr;
}

static HOT_INLINE struct pair *
flow_pair(struct pipeline *p, struct flow *f, uint64_t ts)
{
	if (f->pair_id == FLOW_NONE)
		return NULL;
	/* the table never moves its slots: a generation check suffices */
	if (f->pair->used && f->pair->gen == f->pair_gen)
		return f->pair;
	return flow_rebind(p, f, ts);
}

/* ---- alerts ---- */

struct eval_ctx {
	struct pipeline *p;
	struct pair *pair;
	struct dest *dest;
	uint64_t ts_ns;
};

static void
emit_alert(void *ctx, const struct rule *r, const struct rule_conf *rc)
{
	struct eval_ctx *e = ctx;
	struct pipeline *p = e->p;
	const struct pair *pr = e->pair;
	const struct pair_note *note;
	size_t nrules, idx;
	const struct rule *table = rules_table(&nrules);
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.ts_ns = e->ts_ns;
	a.sensor = p->cfg->sensor;
	a.rule = r->name;
	a.severity = rc->severity;
	a.source = p->source;
	note = &p->notes[agg_pair_id(p->pairs, pr)];
	if (note->source != 0 && note->gen == pr->gen) {
		a.source = log_record_source((enum log_record_kind)(note->source - 1));
		str_copy(a.src_user, note->user, sizeof(a.src_user));
	}
	a.src = pr->host;
	dest_address(p, e->dest, &a.dst);
	a.dst_port = pr->dst_port;
	str_copy(a.dst_host, e->dest->name, sizeof(a.dst_host));
	a.dst_country = pr->country;
	a.via_proxy = pr->via_proxy;
	a.bytes_out = pr->win.out;
	a.bytes_in = pr->win.in;
	a.flows = pr->win.flows;
	a.window_s = p->cfg->rules_window_s;
	memcpy(a.payload, pr->kind_bytes, sizeof(a.payload));
	a.first_seen_ns = e->dest->first_seen_ns;
	alert_make_id(&a, ++p->alert_seq);
	idx = (size_t)(r - table);
	p->stats.alerts++;
	if (idx < AGG_MAX_RULES)
		p->stats.alerts_by_rule[idx]++;
	p->alert_fn(p->alert_ctx, &a);
}

static void
evaluate(struct pipeline *p, struct pair *pr, uint64_t ts)
{
	struct rule_input in;
	struct eval_ctx e;

	if (pr->benign || pr->win.out < p->min_rule_bytes)
		return;
	e.dest = baseline_get(p->baseline, pr->dest_id, pr->dest_gen);
	if (e.dest == NULL) {
		/* evicted while in use: only a flood of more new destinations
		 * than limits.destinations within a second can do that */
		p->stats.flows_lost_destination++;
		return;
	}
	baseline_touch(p->baseline, pr->dest_id, pr->dest_gen, ts);
	resolve_country(p, pr, e.dest);
	in.cfg = p->cfg;
	in.pair = pr;
	in.familiar = e.dest->familiar;
	in.foreign = dest_is_foreign(p, pr, e.dest);
	/* familiar, or at home: a home country or an internal address (an
	 * unknown country counts as foreign, so it is not settled here) */
	if (in.familiar || !in.foreign) {
		pr->benign = true;
		return;
	}
	e.p = p;
	e.pair = pr;
	e.ts_ns = ts;
	rules_eval(&in, pr, ts, emit_alert, &e);
}

/* ---- application layer ---- */

/*
 * Client payload of this segment so far belongs to the requests before the
 * one that starts now: credit it (as payload bytes out, by kind) to the
 * pair the flow is bound to, and evaluate that pair, before the flow is
 * bound to the next request's destination. Otherwise a segment holding an
 * upload to one host and then a request to a familiar one would credit the
 * upload to the familiar host.
 */
static void
flush_segment(struct segment_ctx *s)
{
	struct pair *pr;
	uint64_t total = 0;
	uint32_t kinds;
	unsigned k;

	if (s->kinds == 0 || (pr = flow_pair(s->p, s->f, s->ts_ns)) == NULL)
		return;
	for (kinds = s->kinds; kinds != 0; kinds &= kinds - 1) {
		k = (unsigned)__builtin_ctz(kinds);
		agg_add_kind(s->p->pairs, pr, s->ts_ns, (enum payload_kind)k,
		    s->kind_bytes[k]);
		total += s->kind_bytes[k];
	}
	s->kinds = 0;
	agg_add_bytes(s->p->pairs, pr, s->ts_ns, total, 0);
	s->flushed += total;
	evaluate(s->p, pr, s->ts_ns);
}

static void
on_http_request(void *ctx, const struct http_request *req)
{
	struct segment_ctx *s = ctx;
	struct flow *f = s->f;
	const char *name = req->host[0] != '\0' ? req->host : NULL;
	const struct netaddr *host = &f->key.host;
	struct netaddr addr;

	flush_segment(s);
	f->classified = false;
	memset(&addr, 0, sizeof(addr));
	/* "CONNECT 203.0.113.7:443": an address, matched like a direct flow
	 * (and by baseline.allow CIDRs), not a name */
	if (name != NULL && netaddr_parse(name, &addr) == 0)
		name = NULL;
	if (f->via_proxy) {
		if (name == NULL && !netaddr_is_set(&addr))
			return;
		bind_flow(s->p, f, host, name, &addr, req->port, s->ts_ns);
	} else if (f->host_is_proxy) {
		/* the proxy's own X-Forwarded-For entry names the client; one that
		 * is not internal is not ours to believe */
		if (req->has_xff && config_is_internal(s->p->cfg, &req->xff))
			host = &req->xff;
		else if (req->has_xff)
			s->p->stats.xff_not_internal++;
		bind_flow(s->p, f, host, name, &f->key.peer, f->key.peer_port,
		    s->ts_ns);
	}
	/* this request's head goes with it, not with a later request */
	count_kind(s, PK_TEXT, req->head_in_feed);
	s->heads += req->head_in_feed;
}

static void
on_http_body(void *ctx, const uint8_t *data, size_t len, bool part_start)
{
	struct segment_ctx *s = ctx;

	if (part_start || !s->f->classified) {
		s->f->kind = (uint8_t)classify_bytes(s->p->classifier, data, len);
		s->f->classified = true;
	}
	count_kind(s, s->f->kind, len);
	s->consumed += len;
}

static void
on_http_tunnel(void *ctx, const uint8_t *data, size_t len)
{
	struct segment_ctx *s = ctx;

	if (!s->f->classified) {
		s->f->kind = (uint8_t)classify_bytes(s->p->classifier, data, len);
		s->f->classified = true;
	}
	count_kind(s, s->f->kind, len);
	s->consumed += len;
}

static void
feed_http(struct pipeline *p, struct segment_ctx *s, const uint8_t *data,
    size_t len, bool gap, bool missing_after)
{
	const struct http_events ev = {
		on_http_request, on_http_body, on_http_tunnel, &p->stats.http,
	};
	union app_parser *ap = slot_get(p, s->f);

	if (ap == NULL) {
		count_kind(s, PK_TEXT, len);
		return;
	}
	if (gap)
		http_parser_gap(&ap->http, &ev);
	http_parser_feed(&ap->http, data, len, &ev, s);
	/* the capture cut this segment short: the parser lost the rest */
	if (missing_after)
		http_parser_gap(&ap->http, &ev);
	/* The rest were request lines and headers. (Tunnel bytes held back by
	 * the parser from an earlier segment can make consumed exceed len.) */
	count_kind(s, PK_TEXT, len > s->consumed + s->heads ?
	    len - s->consumed - s->heads : 0);
}

/* Deferred flows (to or from a proxy) learn their destination from SNI. */
static void
feed_tls(struct pipeline *p, struct segment_ctx *s, const uint8_t *data,
    size_t len)
{
	struct flow *f = s->f;
	union app_parser *ap;
	char sni[TLS_SNI_MAX];
	enum tls_result r;

	count_kind(s, PK_TLS, len);
	if (!(f->via_proxy || f->host_is_proxy) || f->pair_id != FLOW_NONE)
		return;
	if ((ap = slot_get(p, f)) == NULL)
		return;
	r = tls_parser_feed(&ap->tls, data, len, sni);
	if (r == TLS_NEED_MORE)
		return;
	slot_put(p, f);
	if (r == TLS_SNI_FOUND) {
		struct netaddr none;
		p->stats.tls_sni++;
		memset(&none, 0, sizeof(none));
		bind_flow(p, f, &f->key.host, sni,
		    f->host_is_proxy ? &f->key.peer : &none, f->key.peer_port,
		    s->ts_ns);
		return;
	}
	if (r == TLS_NO_SNI)
		p->stats.tls_no_sni++;
	else
		p->stats.tls_malformed++;
	if (f->host_is_proxy)
		bind_flow(p, f, &f->key.host, NULL, &f->key.peer,
		    f->key.peer_port, s->ts_ns);
}

/* First client bytes decide what the flow speaks. */
static void
start_app(struct pipeline *p, struct flow *f, const struct packet *pkt)
{
	if (pkt->proto == IPPROTO_TCP &&
	    http_looks_like_request(pkt->payload, pkt->payload_len)) {
		f->app = FLOW_APP_HTTP;
		(void)slot_get(p, f);
		return;
	}
	if (tls_looks_like_record(pkt->payload, pkt->payload_len) ||
	    (pkt->proto == IPPROTO_UDP && pkt->dport == 443)) {
		f->app = FLOW_APP_TLS;
		f->kind = PK_TLS;
		f->classified = true;
		if ((f->via_proxy || f->host_is_proxy) && pkt->proto == IPPROTO_TCP)
			(void)slot_get(p, f);
		return;
	}
	f->app = FLOW_APP_OTHER;
	f->kind = (uint8_t)classify_bytes(p->classifier, pkt->payload,
	    pkt->payload_len);
	f->classified = true;
	if (f->host_is_proxy)
		bind_flow(p, f, &f->key.host, NULL, &f->key.peer, f->key.peer_port,
		    pkt->ts_ns);
}

/* In-order check on the client stream: 1 = new data at data_off, 0 = a
 * retransmission to skip, and *gap when bytes were lost before it. */
static int
client_stream_order(struct flow *f, const struct packet *pkt, uint32_t *data_off,
    bool *gap)
{
	uint32_t seq = pkt->tcp_seq, end, ahead;

	*data_off = 0;
	*gap = false;
	if (pkt->proto != IPPROTO_TCP)
		return 1;
	end = seq + pkt->l4_payload_wire;
	if (!f->seq_valid) {
		f->seq_valid = true;
		f->next_seq_out = end;
		return 1;
	}
	ahead = seq - f->next_seq_out;
	if (ahead == 0 || ahead < 0x80000000u) {
		*gap = ahead != 0;
		f->next_seq_out = end;
		return 1;
	}
	/* starts before what we have: skip the old part, if all old skip it */
	if ((uint32_t)(end - f->next_seq_out) - 1 >= 0x7fffffffu)
		return 0;
	*data_off = f->next_seq_out - seq;
	f->next_seq_out = end;
	return 1;
}

static void
client_payload(struct pipeline *p, struct flow *f, const struct packet *pkt,
    struct segment_ctx *s)
{
	uint32_t off;
	bool gap;
	const uint8_t *data;
	size_t len, missing;

	if (f->app == FLOW_APP_UNKNOWN && pkt->payload_len > 0)
		start_app(p, f, pkt);
	if (client_stream_order(f, pkt, &off, &gap) == 0)
		return;
	if (off >= pkt->payload_len) {
		/* nothing new was captured, but new bytes went by */
		if (f->app == FLOW_APP_HTTP && f->app_slot != FLOW_NONE) {
			const struct http_events ev = { NULL, NULL, NULL, &p->stats.http };
			http_parser_gap(&p->slots[f->app_slot].http, &ev);
		}
		count_kind(s, f->kind, pkt->l4_payload_wire - off);
		return;
	}
	data = pkt->payload + off;
	len = pkt->payload_len - off;
	missing = pkt->l4_payload_wire - pkt->payload_len;
	switch (f->app) {
	case FLOW_APP_HTTP:
		feed_http(p, s, data, len, gap, missing > 0);
		break;
	case FLOW_APP_TLS:
		feed_tls(p, s, data, len);
		break;
	default:
		count_kind(s, f->kind, len);
		break;
	}
	count_kind(s, f->kind, missing);
}

/* ---- DNS ---- */

static void
on_dns_answer(void *ctx, const char *name, const struct netaddr *addr, uint32_t ttl)
{
	struct segment_ctx *s = ctx;

	(void)ttl;
	s->p->stats.dns_answers++;
	names_put(s->p->names, name, addr, NAME_FROM_DNS, s->ts_ns);
}

static RARE void
handle_dns(struct pipeline *p, const struct packet *pkt)
{
	struct segment_ctx s;

	/* With networks.resolvers set, only their answers are believed: a PC
	 * that forges an answer could otherwise move a foreign destination
	 * home (or out of the internal networks) in the geo lookup. */
	if (p->cfg->resolvers.n > 0 && !netset_contains(&p->cfg->resolvers, &pkt->src)) {
		p->stats.dns_untrusted++;
		return;
	}
	memset(&s, 0, sizeof(s));
	s.p = p;
	s.ts_ns = pkt->ts_ns;
	if (dns_parse_response(pkt->payload, pkt->payload_len, on_dns_answer, &s) ==
	    DNS_MALFORMED)
		p->stats.dns_malformed++;
}

/* ---- per packet ---- */

/* Fills the flow key with host = internal side; false when not tracked. */
static bool
assign_roles(const struct config *cfg, const struct packet *pkt,
    struct flow_key *k, bool *out, bool *via_proxy)
{
	bool src_int = config_is_internal(cfg, &pkt->src);
	bool dst_int = config_is_internal(cfg, &pkt->dst);

	*via_proxy = false;
	if (src_int && config_is_proxy(cfg, &pkt->dst, pkt->dport)) {
		*out = true;
		*via_proxy = true;
	} else if (dst_int && config_is_proxy(cfg, &pkt->src, pkt->sport)) {
		*out = false;
		*via_proxy = true;
	} else if (src_int && !dst_int) {
		*out = true;
	} else if (dst_int && !src_int) {
		*out = false;
	} else {
		return false;
	}
	memset(k, 0, sizeof(*k));
	k->host = *out ? pkt->src : pkt->dst;
	k->peer = *out ? pkt->dst : pkt->src;
	k->host_port = *out ? pkt->sport : pkt->dport;
	k->peer_port = *out ? pkt->dport : pkt->sport;
	k->proto = pkt->proto;
	return true;
}

static void
init_flow(struct pipeline *p, struct flow *f, bool via_proxy, uint64_t ts)
{
	f->via_proxy = via_proxy;
	f->host_is_proxy = !via_proxy && is_proxy_address(p->cfg, &f->key.host);
	if (!f->via_proxy && !f->host_is_proxy)
		bind_flow(p, f, &f->key.host, NULL, &f->key.peer, f->key.peer_port, ts);
}

static HOT_INLINE void
account(struct pipeline *p, struct flow *f, const struct packet *pkt, bool out,
    struct segment_ctx *s)
{
	struct pair *pr = flow_pair(p, f, pkt->ts_ns);
	uint64_t text = 0, ip_out;
	uint32_t kinds;
	unsigned k;

	if (pr == NULL) {
		for (kinds = s->kinds; kinds != 0; kinds &= kinds - 1)
			text += s->kind_bytes[__builtin_ctz(kinds)];
		if (out) {
			f->pending_out += pkt->ip_bytes;
			f->pending_text += text;
		} else {
			f->pending_in += pkt->ip_bytes;
		}
		return;
	}
	/* payload flushed to an earlier request's pair is not counted twice */
	ip_out = pkt->ip_bytes > s->flushed ? pkt->ip_bytes - s->flushed : 0;
	agg_add_bytes(p->pairs, pr, pkt->ts_ns, out ? ip_out : 0,
	    out ? 0 : pkt->ip_bytes);
	/* a destination in use must not be evicted from the baseline */
	if (pkt->ts_ns - f->dest_touch_ns >= DEST_TOUCH_NS) {
		f->dest_touch_ns = pkt->ts_ns;
		baseline_touch(p->baseline, f->dest_id, f->dest_gen, pkt->ts_ns);
	}
	for (kinds = s->kinds; kinds != 0; kinds &= kinds - 1) {
		k = (unsigned)__builtin_ctz(kinds);
		agg_add_kind(p->pairs, pr, pkt->ts_ns, (enum payload_kind)k,
		    s->kind_bytes[k]);
	}
	if (out)
		evaluate(p, pr, pkt->ts_ns);
}

/* A reply from the server side of an HTTP flow: a 2xx answering a CONNECT
 * makes what follows the tunnel for good (see proto_http.c). */
static RARE void
server_reply(struct pipeline *p, struct flow *f, const struct packet *pkt,
    struct segment_ctx *s)
{
	const struct http_events ev = {
		on_http_request, on_http_body, on_http_tunnel, &p->stats.http,
	};

	if (http_response_is_2xx(pkt->payload, pkt->payload_len))
		http_parser_tunnel_confirmed(&p->slots[f->app_slot].http, &ev, s);
}

/*
 * A FIN or RST from the client must carry a sequence number near the one
 * expected next (RFC 5961 asks as much of RSTs); otherwise a host could
 * forge one that the proxy ignores, to make us drop the flow's parser or
 * binding and carry on uploading. The server side's numbers are not
 * tracked: its FIN/RST is taken as it comes.
 */
#define CLOSE_SEQ_WINDOW 65535u

static bool
close_is_plausible(struct pipeline *p, const struct flow *f,
    const struct packet *pkt, bool out)
{
	uint32_t d;

	if (!out || !f->seq_valid)
		return true;
	d = pkt->tcp_seq - f->next_seq_out;
	if (d <= CLOSE_SEQ_WINDOW || (uint32_t)-d <= CLOSE_SEQ_WINDOW)
		return true;
	p->stats.tcp_close_ignored++;
	return false;
}

/* ---- fragments ---- */

static struct frag_slot *
frag_slot_of(struct pipeline *p, const struct packet *pkt)
{
	uint64_t w[3];

	memcpy(&w[0], pkt->src.a + 8, 8);
	memcpy(&w[1], pkt->dst.a + 8, 8);
	/* not the protocol: an IPv6 first fragment may carry extension
	 * headers after the Fragment header that its later fragments lack */
	w[2] = pkt->frag_id;
	return &p->frags[hash_words(&p->key, w, 3) & (FRAG_SLOTS - 1)];
}

/* A first fragment: remember its ports for the fragments that follow. */
static RARE void
frag_remember(struct pipeline *p, const struct packet *pkt)
{
	struct frag_slot *fs = frag_slot_of(p, pkt);

	fs->src = pkt->src;
	fs->dst = pkt->dst;
	fs->id = pkt->frag_id;
	fs->proto = pkt->proto;
	fs->sport = pkt->sport;
	fs->dport = pkt->dport;
	fs->ts_ns = pkt->ts_ns == 0 ? 1 : pkt->ts_ns;
}

/*
 * A later fragment (no transport header): its bytes go to the flow of its
 * datagram's first fragment, as IP bytes and as payload of the kind that
 * flow is sending. Without it, a host could hide an upload by fragmenting
 * it. A fragment whose first one was not seen (or is too old) is counted.
 */
/*
 * A later fragment whose first fragment is unknown (not seen yet, too short
 * to hold the ports, or sent last on purpose): credit its bytes to the
 * pair of the internal host and the far address, as direct flows are
 * keyed, so that fragmenting an upload cannot hide it. Its payload counts
 * as "other". Traffic to or from a proxy cannot be placed this way.
 */
static void
fragment_to_pair(struct pipeline *p, const struct packet *pkt)
{
	bool src_int = config_is_internal(p->cfg, &pkt->src);
	bool dst_int = config_is_internal(p->cfg, &pkt->dst);
	const struct netaddr *host = src_int ? &pkt->src : &pkt->dst;
	const struct netaddr *peer = src_int ? &pkt->dst : &pkt->src;
	struct dest *d;
	struct pair *pr;
	uint32_t dest_id, pair_id;

	if (src_int == dst_int || is_proxy_address(p->cfg, host) ||
	    is_proxy_address(p->cfg, peer)) {
		p->stats.fragments_unmatched++;
		return;
	}
	dest_id = baseline_observe(p->baseline, NULL, peer, pkt->ts_ns, &d);
	if (d == NULL) {
		p->stats.fragments_unmatched++;
		return;
	}
	pr = agg_get(p->pairs, host, dest_id, d->gen, pkt->ts_ns, &pair_id);
	resolve_country(p, pr, d);
	p->stats.fragments_by_address++;
	if (!src_int) {
		agg_add_bytes(p->pairs, pr, pkt->ts_ns, 0, pkt->ip_bytes);
		return;
	}
	agg_add_bytes(p->pairs, pr, pkt->ts_ns, pkt->ip_bytes, 0);
	agg_add_kind(p->pairs, pr, pkt->ts_ns, PK_OTHER, pkt->l4_payload_wire);
	evaluate(p, pr, pkt->ts_ns);
}

static RARE void
track_fragment(struct pipeline *p, const struct packet *pkt)
{
	struct frag_slot *fs = frag_slot_of(p, pkt);
	struct flow_key k;
	struct segment_ctx s;
	struct flow *f;
	bool out;

	if (fs->ts_ns == 0 || fs->id != pkt->frag_id ||
	    !netaddr_eq(&fs->src, &pkt->src) || !netaddr_eq(&fs->dst, &pkt->dst) ||
	    pkt->ts_ns - fs->ts_ns > FRAG_TIMEOUT_NS) {
		fragment_to_pair(p, pkt);
		return;
	}
	k.host = pkt->src;
	k.peer = pkt->dst;
	k.host_port = fs->sport;
	k.peer_port = fs->dport;
	k.proto = fs->proto;
	if ((f = flowtab_find_packet(p->flows, &k, pkt->ts_ns, &out)) == NULL) {
		fragment_to_pair(p, pkt);
		return;
	}
	p->stats.fragments_counted++;
	s.p = p;
	s.f = f;
	s.ts_ns = pkt->ts_ns;
	s.consumed = s.flushed = s.heads = 0;
	s.kinds = 0;
	if (out) {
		f->bytes_out += pkt->ip_bytes;
		count_kind(&s, f->kind, pkt->l4_payload_wire);
	} else {
		f->bytes_in += pkt->ip_bytes;
	}
	account(p, f, pkt, out, &s);
}

/* The packet's source as "host": the key to look its flow up with. */
static HOT_INLINE void
packet_key(const struct packet *pkt, struct flow_key *k)
{
	/* no memset: hashing and comparing read the fields, never padding */
	k->host = pkt->src;
	k->peer = pkt->dst;
	k->host_port = pkt->sport;
	k->peer_port = pkt->dport;
	k->proto = pkt->proto;
}

/* The flow of a packet (pk: its packet_key, in bucket), made when it is
 * new and tracked; *out tells whether the packet goes from the internal
 * host to the far side. */
static struct flow *
packet_flow(struct pipeline *p, const struct packet *pkt,
    const struct flow_key *pk, size_t bucket, bool *out)
{
	struct flow_key k;
	struct flow *f;
	bool via_proxy;

	f = flowtab_find_packet_at(p->flows, pk, bucket, pkt->ts_ns, out);
	if (f != NULL && f->closed && pkt->proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* the same 5-tuple again after FIN/RST: a new connection, with
		 * its own sequence numbers, parser and destination */
		flowtab_remove(p->flows, f);
		f = NULL;
	}
	if (f != NULL)
		return f;
	/* A bare ACK, FIN or RST of a connection we no longer (or never) track
	 * does not start a flow: late teardown packets would only churn the
	 * table. SYNs, payload and UDP do. */
	if (pkt->proto == IPPROTO_TCP && pkt->l4_payload_wire == 0 &&
	    !(pkt->tcp_flags & TCP_SYN)) {
		p->stats.flowless_tcp++;
		return NULL;
	}
	/* Roles are worked out once, when a flow starts. */
	if (!assign_roles(p->cfg, pkt, &k, out, &via_proxy)) {
		p->stats.not_tracked++;
		return NULL;
	}
	/* the flow's key has its ends in role order: the same bucket */
	f = flowtab_get_at(p->flows, &k, bucket, pkt->ts_ns, true, NULL);
	init_flow(p, f, via_proxy, pkt->ts_ns);
	return f;
}

static void
track_packet(struct pipeline *p, const struct packet *pkt,
    const struct flow_key *k, size_t bucket)
{
	struct flow *f;
	struct segment_ctx s;
	bool out;

	if (!pkt->has_l4) {
		if (pkt->is_fragment && !pkt->frag_first)
			track_fragment(p, pkt);
		else
			p->stats.not_tracked++;
		return;
	}
	if (pkt->is_fragment)
		frag_remember(p, pkt);
	if ((f = packet_flow(p, pkt, k, bucket, &out)) == NULL)
		return;
	s.p = p;
	s.f = f;
	s.ts_ns = pkt->ts_ns;
	s.consumed = 0;
	s.flushed = 0;
	s.heads = 0;
	s.kinds = 0;
	if (out) {
		f->bytes_out += pkt->ip_bytes;
		f->pkts_out++;
		if (pkt->l4_payload_wire > 0)
			client_payload(p, f, pkt, &s);
	} else {
		f->bytes_in += pkt->ip_bytes;
		f->pkts_in++;
		if (f->app == FLOW_APP_HTTP && f->app_slot != FLOW_NONE &&
		    pkt->payload_len > 0 && pkt->proto == IPPROTO_TCP)
			server_reply(p, f, pkt, &s);
	}
	account(p, f, pkt, out, &s);
	if (pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & (TCP_FIN | TCP_RST)) &&
	    close_is_plausible(p, f, pkt, out)) {
		/* once the client has finished (or the connection is reset) no
		 * request can follow: give the parser slot back now. After the
		 * server's FIN the client may still be sending. */
		if ((out && (pkt->tcp_flags & TCP_FIN)) || (pkt->tcp_flags & TCP_RST))
			slot_put(p, f);
		flowtab_mark_closed(p->flows, f);
	}
}

/* The input's time: the first packet or log line starts the learning
 * period; the newest is "now" for name lookups. */
static HOT_INLINE void
note_time(struct pipeline *p, uint64_t ts_ns)
{
	if (p->stats.first_ns == 0) {
		p->stats.first_ns = ts_ns;
		baseline_start_learning(p->baseline, ts_ns);
	}
	if (ts_ns > p->stats.last_ns)
		p->stats.last_ns = ts_ns;
}

/* What every frame counts, decoded or not. */
static HOT_INLINE void
count_frame(struct pipeline *p, uint32_t wirelen, uint64_t ts_ns)
{
	p->stats.frames++;
	p->stats.wire_bytes += wirelen;
	note_time(p, ts_ns);
}

/* A decoded packet (k, bucket: its flow's key and bucket, when it has
 * ports; see packet_lookup). */
static HOT_INLINE void
handle_packet(struct pipeline *p, const struct packet *pkt,
    const struct flow_key *k, size_t bucket)
{
	if (pkt->ts_ns >= p->next_expire_ns) {
		pipeline_tick(p, pkt->ts_ns);
		p->next_expire_ns = pkt->ts_ns + EXPIRE_EVERY_NS;
	}
	if (pkt->proto == IPPROTO_UDP && pkt->has_l4 && pkt->sport == 53)
		handle_dns(p, pkt);
	track_packet(p, pkt, k, bucket);
}

/* What a packet with ports looks its flow up with: its key and bucket. */
static HOT_INLINE size_t
packet_lookup(const struct pipeline *p, const struct packet *pkt,
    struct flow_key *k)
{
	if (!pkt->has_l4)
		return 0; /* not looked up */
	packet_key(pkt, k);
	return flowtab_bucket(p->flows, k);
}

void
pipeline_frame(struct pipeline *p, int linktype, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen, uint64_t ts_ns)
{
	struct packet pkt;
	struct flow_key k;
	size_t bucket;

	count_frame(p, wirelen, ts_ns);
	if (decode_frame(linktype, frame, caplen, wirelen, ts_ns, &pkt,
	    &p->stats.decode) != DECODE_OK)
		return;
	bucket = packet_lookup(p, &pkt, &k);
	handle_packet(p, &pkt, &k, bucket);
}

/* The lines of a pair that every packet reads and writes (see agg.h). */
static HOT_INLINE void
prefetch_pair(const struct pair *pr)
{
	__builtin_prefetch(pr, 1);
	__builtin_prefetch((const char *)pr + 64, 1);
}

/*
 * A batch of frames, with the same effects as pipeline_frame on each in
 * turn. The table lookups of a packet are cache misses, each waiting on the
 * one before (bucket, flow, pair): here they are started for the whole
 * batch at once, a step at a time (decode and prefetch the buckets, then
 * the flows, then their pairs), and only then is each packet handled, in
 * order, with its full lookup. Prefetches are hints: a table that changes
 * within the batch only makes one of them useless. The decoder only counts,
 * so decoding ahead changes nothing else.
 */
void
pipeline_frames(struct pipeline *p, const struct capture_pkt *frames, size_t n)
{
	struct packet pkts[PIPELINE_BATCH_MAX];
	struct flow_key keys[PIPELINE_BATCH_MAX];
	size_t bucket[PIPELINE_BATCH_MAX];
	const struct flow *hint[PIPELINE_BATCH_MAX];
	bool ok[PIPELINE_BATCH_MAX];
	size_t i, m;

	for (; n > 0; frames += m, n -= m) {
		m = n < PIPELINE_BATCH_MAX ? n : PIPELINE_BATCH_MAX;
		for (i = 0; i < m; i++) {
			ok[i] = decode_frame(frames[i].linktype, frames[i].data,
			    frames[i].caplen, frames[i].wirelen, frames[i].ts_ns,
			    &pkts[i], &p->stats.decode) == DECODE_OK;
			/* (bucket 0 for the rest: prefetched for nothing) */
			bucket[i] = ok[i] ? packet_lookup(p, &pkts[i], &keys[i]) : 0;
		}
		flowtab_prefetch_buckets(p->flows, bucket, m);
		flowtab_prefetch_flows(p->flows, bucket, m, hint);
		for (i = 0; i < m; i++)
			if (hint[i] != NULL && hint[i]->pair_id != FLOW_NONE)
				prefetch_pair(hint[i]->pair);
		for (i = 0; i < m; i++) {
			count_frame(p, frames[i].wirelen, frames[i].ts_ns);
			if (ok[i])
				handle_packet(p, &pkts[i], &keys[i], bucket[i]);
		}
	}
}

void
pipeline_tick(struct pipeline *p, uint64_t now_ns)
{
	flowtab_expire(p->flows, now_ns, p->cfg->flow_timeout_s * NS_PER_SEC,
	    p->cfg->flow_closed_timeout_s * NS_PER_SEC);
}

void
pipeline_finish(struct pipeline *p)
{
	flowtab_flush(p->flows);
}

int
pipeline_save_baseline(struct pipeline *p, char *err, size_t errlen)
{
	if (p->baseline_state == NULL) {
		snprintf(err, errlen, "baseline.state is not set in the config");
		return -1;
	}
	return baseline_save(p->baseline, p->baseline_state, err, errlen);
}

void
pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *out)
{
	*out = p->stats;
	flowtab_get_stats(p->flows, &out->flows);
	agg_get_stats(p->pairs, &out->pairs);
	baseline_get_stats(p->baseline, &out->dests);
	names_get_stats(p->names, &out->names);
}

/* ---- forensic pair table ---- */

struct pair_list {
	struct pipeline *p;
	struct pair_report *v;
	size_t n, cap;
};

static void
collect_pair(void *ctx, const struct pair *pr)
{
	struct pair_list *l = ctx;
	struct pair_report *r;
	struct dest *d;

	if (l->n == l->cap)
		return;
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->src = pr->host;
	d = baseline_get(l->p->baseline, pr->dest_id, pr->dest_gen);
	if (d != NULL) {
		dest_address(l->p, d, &r->dst);
		str_copy(r->dst_host, d->name, sizeof(r->dst_host));
	}
	r->dst_country = pr->country;
	r->bytes_out = pr->total_out;
	r->bytes_in = pr->total_in;
	r->flows = pr->total_flows;
	r->first_ns = pr->first_ns;
	r->last_ns = pr->last_ns;
	memcpy(r->payload, pr->kind_bytes, sizeof(r->payload));
}

static int
cmp_report(const void *x, const void *y)
{
	const struct pair_report *a = x, *b = y;
	int c = netaddr_cmp(&a->src, &b->src);

	if (c == 0)
		c = strcmp(a->dst_host, b->dst_host);
	if (c == 0)
		c = netaddr_cmp(&a->dst, &b->dst);
	return c;
}

void
pipeline_report_pairs(struct pipeline *p, pipeline_pair_fn fn, void *ctx)
{
	struct agg_stats st;
	struct pair_list l;
	size_t i;

	agg_get_stats(p->pairs, &st);
	l.p = p;
	l.n = 0;
	l.cap = st.active;
	l.v = xcalloc(l.cap, sizeof(*l.v));
	agg_foreach(p->pairs, collect_pair, &l);
	qsort(l.v, l.n, sizeof(*l.v), cmp_report);
	for (i = 0; i < l.n; i++)
		fn(ctx, &l.v[i]);
	free(l.v);
}

/* ---- live mode: timer evaluation and reload ---- */

struct recent_ctx {
	struct pipeline *p;
	uint64_t now_ns;
};

static void
evaluate_pair_now(void *ctx, struct pair *pr)
{
	struct recent_ctx *r = ctx;

	agg_advance(r->p->pairs, pr, r->now_ns);
	evaluate(r->p, pr, r->now_ns);
}

void
pipeline_evaluate_recent(struct pipeline *p, uint64_t since_ns, uint64_t now_ns)
{
	struct recent_ctx r = { p, now_ns };

	agg_foreach_recent(p->pairs, since_ns, evaluate_pair_now, &r);
}

static void
warn_restart_only(const struct config *old, const struct config *cfg)
{
	if (old->limit_flows != cfg->limit_flows ||
	    old->limit_pairs != cfg->limit_pairs ||
	    old->limit_destinations != cfg->limit_destinations ||
	    old->limit_names != cfg->limit_names ||
	    old->limit_app_parsers != cfg->limit_app_parsers)
		log_warnx("%s: limits: changes take effect at the next restart",
		    cfg->path);
	if (!str_eq_nullable(old->baseline_state, cfg->baseline_state))
		log_warnx("%s: baseline.state: a new path takes effect at the next "
		    "restart", cfg->path);
}

/* Geo databases of cfg into a new table; NULL with err on any error. */
static struct geo *
load_geo(const struct config *cfg, char *err, size_t errlen)
{
	struct geo *g = geo_new();
	size_t i;

	if (g == NULL) {
		snprintf(err, errlen, "cannot allocate the geo table");
		return NULL;
	}
	for (i = 0; i < cfg->n_geo_databases; i++) {
		if (geo_load_csv(g, cfg->geo_databases[i], err, errlen) != 0) {
			geo_free(g);
			return NULL;
		}
	}
	return g;
}

/* The hosts file is checked in a scratch table before its names join the
 * live one (names from an earlier file stay until displaced). */
static int
check_hosts(const struct config *cfg, const struct hash_key *key, char *err,
    size_t errlen)
{
	struct names *scratch;
	int rc;

	if (cfg->geo_hosts == NULL)
		return 0;
	if ((scratch = names_new(cfg->limit_names, key)) == NULL) {
		snprintf(err, errlen, "cannot allocate the names table");
		return -1;
	}
	rc = names_load_hosts(scratch, cfg->geo_hosts, err, errlen);
	names_free(scratch);
	return rc;
}

struct pipeline_update {
	const struct config *cfg;
	struct geo *geo;
};

struct pipeline_update *
pipeline_prepare_config(struct pipeline *p, const struct config *cfg,
    char *err, size_t errlen)
{
	struct pipeline_update *u;
	struct geo *geo;

	if ((geo = load_geo(cfg, err, errlen)) == NULL)
		return NULL;
	if (check_hosts(cfg, &p->key, err, errlen) != 0) {
		geo_free(geo);
		return NULL;
	}
	u = xcalloc(1, sizeof(*u));
	u->cfg = cfg;
	u->geo = geo;
	return u;
}

void
pipeline_discard_config(struct pipeline_update *u)
{
	if (u == NULL)
		return;
	geo_free(u->geo);
	free(u);
}

void
pipeline_commit_config(struct pipeline *p, struct pipeline_update *u)
{
	const struct config *cfg = u->cfg;
	char err[CONFIG_ERR_LEN];

	if (cfg->geo_hosts != NULL &&
	    names_load_hosts(p->names, cfg->geo_hosts, err, sizeof(err)) != 0)
		log_warnx("%s", err); /* it loaded a moment ago: the file changed */
	warn_restart_only(p->cfg, cfg);
	geo_free(p->geo);
	p->geo = u->geo;
	p->cfg = cfg;
	p->min_rule_bytes = min_rule_bytes(cfg);
	baseline_apply_config(p->baseline, cfg);
	aggtab_set_window(p->pairs, cfg->rules_window_s * NS_PER_SEC);
	/* countries and verdicts were settled under the old geo and baseline */
	aggtab_reset_verdicts(p->pairs);
	free(u);
}

int
pipeline_apply_config(struct pipeline *p, const struct config *cfg, char *err,
    size_t errlen)
{
	struct pipeline_update *u = pipeline_prepare_config(p, cfg, err, errlen);

	if (u == NULL)
		return -1;
	pipeline_commit_config(p, u);
	return 0;
}

void
pipeline_set_name_lookup(struct pipeline *p, pipeline_lookup_fn fn, void *ctx)
{
	p->lookup_fn = fn;
	p->lookup_ctx = ctx;
}

void
pipeline_learn_name(struct pipeline *p, const char *name,
    const struct netaddr *addr, uint64_t ts_ns)
{
	names_put(p->names, name, addr, NAME_FROM_LOOKUP, ts_ns);
}

/* ---- proxy and sensor logs ---- */

/* The payload kind a MIME type names, for request bodies (Zeek's
 * orig_mime_types); PK_OTHER when it says nothing we count. */
static enum payload_kind
mime_kind(const char *mime)
{
	static const struct { const char *type; enum payload_kind kind; } kinds[] = {
		{ "application/x-rar-compressed", PK_RAR }, { "application/vnd.rar", PK_RAR },
		{ "application/x-rar", PK_RAR }, { "application/zip", PK_ZIP },
		{ "application/x-zip-compressed", PK_ZIP }, { "application/x-7z-compressed", PK_7Z },
		{ "application/gzip", PK_GZIP }, { "application/x-gzip", PK_GZIP },
		{ "application/x-bzip2", PK_BZIP2 }, { "application/x-xz", PK_XZ },
		{ "application/zstd", PK_ZSTD }, { "application/vnd.ms-cab-compressed", PK_CAB },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(kinds); i++)
		if (strcasecmp(mime, kinds[i].type) == 0)
			return kinds[i].kind;
	return PK_OTHER;
}

void
pipeline_log_record(struct pipeline *p, const struct log_record *r)
{
	const char *name = r->host[0] != '\0' ? r->host : NULL;
	const struct netaddr *addr = r->server.family != 0 ? &r->server : NULL;
	enum payload_kind kind;
	struct pair_note *note;
	struct pair *pr;
	struct dest *d;
	uint32_t dest_id, pair_id;

	p->stats.log_records++;
	note_time(p, r->ts_ns);
	/* the client must be ours, the destination not */
	if (!config_is_internal(p->cfg, &r->client) ||
	    (addr != NULL && config_is_internal(p->cfg, addr))) {
		p->stats.not_tracked++;
		return;
	}
	dest_id = baseline_observe(p->baseline, name, addr, r->ts_ns, &d);
	if (d == NULL) {
		p->stats.not_tracked++;
		return;
	}
	pr = agg_get(p->pairs, &r->client, dest_id, d->gen, r->ts_ns, &pair_id);
	agg_add_flow(p->pairs, pr, r->ts_ns);
	pr->dst_port = r->port;
	pr->via_proxy = r->kind == LOGREC_SQUID;
	resolve_country(p, pr, d);
	agg_add_bytes(p->pairs, pr, r->ts_ns, r->has_bytes_up ? r->bytes_up : 0,
	    r->bytes_down);
	/* only a request body's own type says what was uploaded (Zeek's
	 * orig_mime_types); Squid's %mt is the reply's */
	kind = r->kind == LOGREC_ZEEK_HTTP ? mime_kind(r->mime) : PK_OTHER;
	if (r->has_bytes_up && r->bytes_up > 0)
		agg_add_kind(p->pairs, pr, r->ts_ns, kind, r->bytes_up);
	note = &p->notes[pair_id];
	note->gen = pr->gen;
	note->source = (uint8_t)(r->kind + 1);
	str_copy(note->user, r->user, sizeof(note->user));
	evaluate(p, pr, r->ts_ns);
}

bool
pipeline_has_baseline_state(const struct pipeline *p)
{
	return p->baseline_state != NULL;
}
