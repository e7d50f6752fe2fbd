/*
 * conn.c - the per-packet stage (see conn.h). Roles: a flow's "host" is the
 * internal host whose bytes we account; its "peer" is a configured proxy
 * or an external address. Flows to a proxy (and flows from the proxy on an
 * egress tap) are bound to their real destination only once the HTTP
 * request or TLS SNI names it; bytes before that wait in the flow and are
 * credited on binding. Everything here runs per packet: no allocation.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/decode/frag.h"
#include "exfild/evidence/evidence.h"
#include "exfild/evidence/evpcap.h"
#include "exfild/proto/classify.h"
#include "exfild/proto/proto_dns.h"
#include "exfild/proto/proto_tls.h"
#include "exfild/track/conn.h"
#include "exfild/util/table.h"

#define EXPIRE_EVERY_NS (1ULL * NS_PER_SEC)
/* Rare paths stay out of the per-packet function's frame. */
#define RARE __attribute__((noinline, cold))
/* ... and the per-packet helpers in it, whoever else calls them. */
#define HOT_INLINE inline __attribute__((always_inline))

union app_parser {
	struct http_parser http;
	struct tls_parser tls;
};



struct conntrack {
	const struct config *cfg;
	struct tracker *track;
	struct names *names;
	struct flowtab *flows;
	struct fragtab *frags;
	struct classifier *classifier;
	struct evidence *evidence;      /* NULL: evidence.enabled is off */
	union app_parser *slots;
	/* beside each slot: the free list (next), or the recency list of the
	 * slots in use (reclaimed from the oldest when none is free), and its
	 * flow */
	struct table_link *slot_links;
	struct flow **slot_owner;
	uint32_t slot_free;
	struct table_list slots_used;
	size_t nslots;
	uint64_t next_expire_ns;
	struct http_events http_events; /* the parser's callbacks into this file */
	bool finishing;                 /* conn_finish: flows let go, no more events */
	struct conn_stats stats;
	/* DNS answers weighed against networks.resolvers (dns_trust_check) */
	uint64_t dns_trusted;
	struct netaddr dns_first_untrusted;
	bool dns_trust_warned;
	/* evidence.lookback > 0: the flows' packet rings and the pcaps of the
	 * pairs under evidence (NULL: none) */
	struct evpcap *evpcap;
};

/* Untrusted DNS answers weighed only once there are this many: a few
 * stray ones at start are no sign of a wrong networks.resolvers. */
#define DNS_UNTRUSTED_MIN 20

/* What one client segment contributed, collected while parsers run. */
struct segment_ctx {
	struct conntrack *c;
	struct flow *f;
	struct traffic_event ev; /* its payload kinds so far */
	uint64_t consumed; /* body and tunnel bytes (the rest are headers) */
	uint64_t flushed;  /* payload bytes credited to an earlier request's pair */
	uint64_t heads;    /* request head bytes already counted (as text) */
};

static void release_flow(void *ctx, struct flow *f);
static void on_http_request(void *ctx, const struct http_request *req);
static void on_http_body(void *ctx, const uint8_t *data, size_t len,
    bool part_start);
static void on_http_tunnel(void *ctx, const uint8_t *data, size_t len);
static void on_http_skipped(void *ctx, const uint8_t *data, size_t len);
static void on_http_part_end(void *ctx, size_t delim);

/* evidence.lookback > 0 (with evidence on): a packet ring and pcaps. */
static bool
evpcap_wanted(const struct config *cfg)
{
	return cfg->evidence_enabled && cfg->evidence_lookback > 0;
}

struct conntrack *
conn_new(const struct config *cfg, const struct hash_key *key,
    struct tracker *track, struct names *names, char *err, size_t errlen)
{
	struct conntrack *c = xcalloc(1, sizeof(*c));
	size_t i;

	c->cfg = cfg;
	c->track = track;
	c->names = names;
	c->flows = flowtab_new(cfg->limit_flows, cfg->limit_half_open_per_host,
	    key, release_flow, c);
	c->classifier = classifier_new();
	if (c->flows == NULL || c->classifier == NULL) {
		snprintf(err, errlen, "cannot allocate the tables (see limits:)");
		conn_free(c);
		return NULL;
	}
	c->frags = fragtab_new(key);
	c->nslots = cfg->limit_app_parsers;
	c->slots = xcalloc(c->nslots, sizeof(*c->slots));
	c->slot_links = xcalloc(c->nslots, sizeof(*c->slot_links));
	c->slot_owner = xcalloc(c->nslots, sizeof(*c->slot_owner));
	for (i = 0; i < c->nslots; i++)
		c->slot_links[i].next = i + 1 < c->nslots ? (uint32_t)(i + 1) :
		    FLOW_NONE;
	c->slot_free = c->nslots > 0 ? 0 : FLOW_NONE;
	c->slots_used.newest = c->slots_used.oldest = TABLE_NONE;
	c->http_events = (struct http_events){ on_http_request, on_http_body,
	    on_http_tunnel, &c->stats.http, on_http_skipped, on_http_part_end };
	if (evpcap_wanted(cfg) &&
	    (c->evpcap = evpcap_new(cfg->evidence_ring, (unsigned)cfg->evidence_lookback,
	    CONN_EVIDENCE_PCAPS, cfg->evidence_max_bytes)) == NULL) {
		snprintf(err, errlen, "cannot allocate the evidence packet ring "
		    "(evidence.ring)");
		conn_free(c);
		return NULL;
	}
	return c;
}

uint64_t
conn_evidence_bytes(const struct config *cfg)
{
	return evpcap_wanted(cfg) ?
	    evpcap_bytes(cfg->evidence_ring, CONN_EVIDENCE_PCAPS) : 0;
}

bool
conn_evidence_pcap(struct conntrack *c, uint32_t pair_id, uint32_t pair_gen,
    const char *dir, uint64_t until_ns)
{
	return c->evpcap != NULL &&
	    evpcap_open(c->evpcap, pair_id, pair_gen, dir, until_ns);
}

void
conn_evidence_stats(const struct conntrack *c, struct evpcap_stats *out)
{
	if (c->evpcap != NULL)
		evpcap_get_stats(c->evpcap, out);
}

uint64_t
conn_parser_bytes(size_t n)
{
	return (uint64_t)n * (sizeof(union app_parser) + sizeof(struct table_link) +
	    sizeof(struct flow *));
}

const struct http_request *
conn_flow_request(const struct conntrack *c, const struct flow *f)
{
	const struct http_parser *hp;

	if (f->app != FLOW_APP_HTTP || f->app_slot == FLOW_NONE ||
	    f->app_slot >= c->nslots || c->slot_owner[f->app_slot] != f)
		return NULL;
	hp = &c->slots[f->app_slot].http;
	return hp->req.method[0] != '\0' ? &hp->req : NULL;
}

void
conn_free(struct conntrack *c)
{
	if (c == NULL)
		return;
	flowtab_free(c->flows);
	evpcap_free(c->evpcap);
	fragtab_free(c->frags);
	classifier_free(c->classifier);
	free(c->slots);
	free(c->slot_links);
	free(c->slot_owner);
	free(c);
}

void
conn_apply_config(struct conntrack *c, const struct config *cfg)
{
	c->cfg = cfg;
}

static bool
pcap_charge(void *ctx, uint64_t bytes)
{
	return evidence_account(ctx, bytes);
}

static void
pcap_closed(void *ctx, const char *path, uint64_t frames, uint64_t bytes,
    uint64_t missing)
{
	evidence_note_pcap(ctx, path, frames, bytes, missing);
}

void
conn_set_evidence(struct conntrack *c, struct evidence *ev)
{
	c->evidence = ev;
	if (c->evpcap != NULL && ev != NULL)
		evpcap_set_sink(c->evpcap,
		    &(struct evpcap_sink){ pcap_charge, pcap_closed, ev });
}

/* ---- parser slots ----
 *
 * A flow holds a slot only while its parser holds state: a request's head
 * (and a body with a structure to follow: chunks, multipart parts), a
 * CONNECT awaiting its reply, a ClientHello. When none is free, the least
 * recently used is reclaimed: its flow goes on with its destination and
 * payload kind, and its parser starts again by looking for a request.
 */

/*
 * An HTTP flow's parser taken away. After a CONNECT the rest is the
 * tunnel's (a tunnel cannot be left by a request the proxy never saw
 * answered); in a body, the bytes go on with the body's kind until the
 * next request; in a head, the request it started is lost with its
 * destination and kind (see feed_http).
 */
static void
parser_taken(struct flow *f, const struct http_parser *hp)
{
	if (http_parser_in_tunnel(hp)) {
		f->in_tunnel = true;
		return;
	}
	if (http_parser_in_body(hp)) {
		f->parser_lost = PARSER_LOST;
		return;
	}
	f->parser_lost = PARSER_LOST_HEAD;
	f->classified = false;
}

/* A slot for a flow: a free one, else the least recently used one taken
 * from its flow (FLOW_NONE: there are no slots at all). */
static uint32_t
slot_take(struct conntrack *c)
{
	uint32_t id = c->slot_free;
	struct flow *owner;

	if (id != FLOW_NONE) {
		c->slot_free = c->slot_links[id].next;
		return id;
	}
	if ((id = c->slots_used.oldest) == TABLE_NONE) {
		c->stats.parser_slots_exhausted++;
		return FLOW_NONE;
	}
	slot_list_unlink(c->slot_links, &c->slots_used, id);
	owner = c->slot_owner[id];
	owner->app_slot = FLOW_NONE;
	c->stats.parser_slots_reclaimed++;
	if (owner->app == FLOW_APP_HTTP)
		parser_taken(owner, &c->slots[id].http);
	else
		owner->parser_lost = PARSER_LOST;
	return id;
}

static union app_parser *
slot_get(struct conntrack *c, struct flow *f)
{
	union app_parser *ap;
	uint32_t id = f->app_slot;

	if (id != FLOW_NONE) {
		if (c->slots_used.newest != id) {
			slot_list_unlink(c->slot_links, &c->slots_used, id);
			slot_list_push(c->slot_links, &c->slots_used, id);
		}
		return &c->slots[id];
	}
	if ((id = slot_take(c)) == FLOW_NONE)
		return NULL;
	f->app_slot = id;
	c->slot_owner[id] = f;
	slot_list_push(c->slot_links, &c->slots_used, id);
	/* a recycled slot holds another flow's state: start clean */
	ap = &c->slots[id];
	if (f->app == FLOW_APP_HTTP) {
		http_parser_init(&ap->http);
		/* taken away mid-request: look for the next one */
		if (f->parser_lost != PARSER_KEPT)
			http_parser_gap(&ap->http, &c->http_events);
	} else if (f->app == FLOW_APP_TLS) {
		tls_parser_init(&ap->tls);
	}
	f->parser_lost = PARSER_KEPT;
	return ap;
}

static void
slot_put(struct conntrack *c, struct flow *f)
{
	uint32_t id = f->app_slot;

	if (id == FLOW_NONE)
		return;
	slot_list_unlink(c->slot_links, &c->slots_used, id);
	c->slot_links[id].next = c->slot_free;
	c->slot_owner[id] = NULL;
	c->slot_free = id;
	f->app_slot = FLOW_NONE;
}

/* After a feed or a reply: an HTTP parser between requests, or inside a
 * tunnel for good, holds nothing the flow needs; its slot goes back. */
static void
slot_done(struct conntrack *c, struct flow *f)
{
	const struct http_parser *hp;

	if (f->app_slot == FLOW_NONE || f->app != FLOW_APP_HTTP)
		return;
	hp = &c->slots[f->app_slot].http;
	if (http_parser_tunnel_steady(hp))
		f->in_tunnel = true;
	else if (http_parser_busy(hp))
		return;
	slot_put(c, f);
}

static void bind_unidentified(struct conntrack *c, struct flow *f, uint64_t ts);

/* A flow leaves: bytes still waiting for a destination are not left
 * behind (a proxied flow that never named one). */
static void
release_flow(void *ctx, struct flow *f)
{
	struct conntrack *c = ctx;

	slot_put(c, f);
	if (c->evidence != NULL)
		evidence_end(c->evidence, f, f->last_ns);
	if (f->pair_id != FLOW_NONE || !(f->via_proxy || f->host_is_proxy) ||
	    f->app == FLOW_APP_UNKNOWN)
		return;
	/* (not at the end of input: the outputs are closed by then, and the
	 * state file keeps the flow's waiting bytes for the next run) */
	if (f->via_proxy && f->pending_out > 0 && !c->finishing)
		bind_unidentified(c, f, f->last_ns);
	else
		c->stats.proxy_unidentified++;
}

/* ---- binding ---- */

static bool
is_proxy_address(const struct config *cfg, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < cfg->n_proxies; i++)
		if (netaddr_eq(&cfg->proxies[i].addr, a))
			return true;
	return false;
}

/* The flow's destination is known: bind it (host: the internal host, which
 * an egress tap learns from X-Forwarded-For). */
static void
bind_flow(struct conntrack *c, struct flow *f, const struct netaddr *host,
    const char *name, const struct netaddr *addr, uint16_t port, uint64_t ts)
{
	struct traffic_event ev;
	int jewel;

	memset(&ev, 0, sizeof(ev));
	/* a direct flow to a crown jewel (an internal system): its pulls */
	if (c->cfg->n_crown_jewels > 0 && addr != NULL &&
	    (jewel = config_crown_jewel(c->cfg, addr, port)) >= 0 &&
	    config_is_internal(c->cfg, addr))
		ev.jewel = (uint8_t)(jewel + 1);
	ev.ts_ns = ts;
	ev.host = *host;
	ev.dst_name = name;
	if (addr != NULL)
		ev.dst_addr = *addr;
	ev.dst_port = port;
	ev.proto = f->key.proto;
	ev.via_proxy = f->via_proxy || f->host_is_proxy;
	ev.conn_start = true; /* a flow's start, a request, a ClientHello */
	ev.conn_ns = ts;
	ev.opened_by_peer = f->opened_by_peer;
	ev.source = EVENT_PACKETS;
	ev.tuple = &f->key;
	ev.flow = f;
	(void)track_bind(c->track, &ev, f);
}

/* A proxied flow whose destination cannot be named (it resumed mid-body,
 * lost its parser, or sent no request, Host or SNI): its bytes go to the
 * host's "unidentified via proxy" destination, which is never familiar
 * and of no known country, so that the rules still see them. */
static void
bind_unidentified(struct conntrack *c, struct flow *f, uint64_t ts)
{
	c->stats.proxy_unidentified++;
	bind_flow(c, f, &f->key.host, DEST_UNIDENTIFIED, NULL, 0, ts);
}

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
	uint64_t total;

	if (s->ev.kinds == 0 ||
	    (pr = track_flow_pair(s->c->track, s->f, s->ev.ts_ns)) == NULL)
		return;
	total = event_payload(&s->ev);
	s->ev.bytes_out = total;
	s->ev.bytes_in = 0;
	s->ev.from_host = true;
	track_account(s->c->track, pr, &s->ev, NULL);
	s->ev.kinds = 0;
	s->flushed += total;
}

/* ---- application layer ---- */

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
	f->evidence_declined = false;
	if (s->c->evidence != NULL)
		evidence_end(s->c->evidence, f, s->ev.ts_ns);
	memset(&addr, 0, sizeof(addr));
	/* "CONNECT 203.0.113.7:443": an address, matched like a direct flow
	 * (and by baseline.allow CIDRs), not a name */
	if (name != NULL && netaddr_parse(name, &addr) == 0)
		name = NULL;
	if (f->via_proxy) {
		if (name != NULL || netaddr_is_set(&addr))
			bind_flow(s->c, f, host, name, &addr, req->port,
			    s->ev.ts_ns);
		else if (f->pair_id == FLOW_NONE)
			bind_unidentified(s->c, f, s->ev.ts_ns);
	} else if (!f->host_is_proxy) {
		/* a direct request: its Host names the address it went to */
		if (name != NULL)
			names_label_put(s->c->names, &f->key.host, &f->key.peer,
			    name, false);
	} else {
		/* the proxy's own X-Forwarded-For entry names the client; one that
		 * is not internal is not ours to believe */
		if (req->has_xff && config_is_internal(s->c->cfg, &req->xff))
			host = &req->xff;
		else if (req->has_xff)
			s->c->stats.xff_not_internal++;
		bind_flow(s->c, f, host, name, &f->key.peer, f->key.peer_port,
		    s->ev.ts_ns);
	}
	/* this request's head goes with it, not with a later request */
	event_add_kind(&s->ev, PK_TEXT, req->head_in_feed);
	s->heads += req->head_in_feed;
}

/* Client bytes of a body (or a tunnel): the first of a part decide its kind. */
static void
on_client_bytes(struct segment_ctx *s, const uint8_t *data, size_t len,
    bool part_start)
{
	if (part_start || !s->f->classified) {
		s->f->kind = (uint8_t)classify_bytes(s->c->classifier, data, len);
		s->f->classified = true;
	}
	event_add_kind(&s->ev, s->f->kind, len);
	s->consumed += len;
}

/* ---- evidence (evidence/evidence.h) ---- */

/* A file for the flow's bytes; refused (no slot, no file): the flow
 * is not asked again until its next body or part. */
static void
evidence_begin(struct segment_ctx *s, struct pair *pr, enum evidence_kind kind,
    const char *filename, uint64_t missing_before)
{
	struct aggtab *pairs = track_pairs(s->c->track);
	struct evidence_start st = {
		.flow = s->f, .pair_id = agg_pair_id(pairs, pr), .pair_gen = pr->gen,
		.kind = kind, .filename = filename, .missing_before = missing_before,
		.ts_ns = s->ev.ts_ns,
	};

	s->f->evidence_declined = !evidence_start(s->c->evidence, &st);
}

static void
body_begin(struct segment_ctx *s, struct pair *pr, uint64_t missing_before)
{
	const struct http_request *req = conn_flow_request(s->c, s->f);

	evidence_begin(s, pr, req != NULL && req->multipart ? EVIDENCE_PART :
	    EVIDENCE_BODY, req != NULL ? req->filename : "", missing_before);
}

/*
 * A body or part's bytes. At its start it is written when its pair is
 * under evidence, or when it is a candidate: its first bytes an archive
 * or high-entropy, its destination unfamiliar and foreign as the rules
 * see it at that byte (track_pair_unfamiliar_foreign: one look per body).
 * One in progress when its pair comes under evidence is written from
 * there, what came before recorded as missing (the flow's IP-layer bytes
 * out: an upper bound).
 */
static void
body_evidence(struct segment_ctx *s, const uint8_t *data, size_t len,
    bool part_start)
{
	struct conntrack *c = s->c;
	struct pair *pr;

	if (part_start) {
		s->f->evidence_declined = false;
		pr = track_flow_pair(c->track, s->f, s->ev.ts_ns);
		if (pr == NULL || (!evidence_pair_open(pr, s->ev.ts_ns) &&
		    (!payload_kind_is_compressed(s->f->kind) ||
		    !track_pair_unfamiliar_foreign(c->track, pr)))) {
			evidence_end(c->evidence, s->f, s->ev.ts_ns);
			return;
		}
		body_begin(s, pr, 0);
	} else if (!s->f->evidence_declined &&
	    (pr = track_flow_pair(c->track, s->f, s->ev.ts_ns)) != NULL &&
	    evidence_pair_open(pr, s->ev.ts_ns) &&
	    !evidence_writing(c->evidence, s->f)) {
		body_begin(s, pr, s->f->bytes_out);
	}
	evidence_bytes(c->evidence, s->f, data, len, s->ev.ts_ns);
}

/* A tunnel's or a direct TLS stream's client bytes: stored while the pair
 * is under evidence (one comparison otherwise). What the client sent on
 * the connection before is recorded as missing (before: IP-layer bytes,
 * an upper bound; 0 when these are its first payload). */
static void
stream_evidence(struct segment_ctx *s, const uint8_t *data, size_t len,
    enum evidence_kind kind, uint64_t before)
{
	struct pair *pr = track_flow_pair(s->c->track, s->f, s->ev.ts_ns);

	if (s->f->evidence_declined || pr == NULL ||
	    !evidence_pair_open(pr, s->ev.ts_ns))
		return;
	if (!evidence_writing(s->c->evidence, s->f))
		evidence_begin(s, pr, kind, "", before);
	evidence_bytes(s->c->evidence, s->f, data, len, s->ev.ts_ns);
}

/* Bytes of the flow's body were lost (a gap, the parser's slot taken):
 * its file ends there, cut. */
static void
evidence_gap(struct conntrack *c, struct flow *f, uint64_t ts_ns)
{
	if (c->evidence != NULL && evidence_writing(c->evidence, f))
		evidence_cut(c->evidence, f, ts_ns);
}

static void
on_http_body(void *ctx, const uint8_t *data, size_t len, bool part_start)
{
	struct segment_ctx *s = ctx;

	on_client_bytes(s, data, len, part_start);
	if (s->c->evidence != NULL)
		body_evidence(s, data, len, part_start);
}

static void
on_http_part_end(void *ctx, size_t delim)
{
	struct segment_ctx *s = ctx;

	/* (what follows until the next part's content is no file's) */
	s->f->evidence_declined = true;
	if (s->c->evidence != NULL)
		evidence_part_end(s->c->evidence, s->f, delim, s->ev.ts_ns);
}

static void
on_http_tunnel(void *ctx, const uint8_t *data, size_t len)
{
	struct segment_ctx *s = ctx;
	bool first = !s->f->classified; /* (the tunnel's first bytes) */

	on_client_bytes(s, data, len, false);
	if (s->c->evidence != NULL)
		stream_evidence(s, data, len, EVIDENCE_TUNNEL, first ? 0 :
		    s->f->bytes_out);
}

/* Where a part's content starts in skipped bytes: after the first empty
 * line within their first PART_HEAD_MAX bytes (the headers of a multipart
 * part, or the rest of a request's head), else at the start. */
#define PART_HEAD_MAX 1024

static size_t
content_start(const uint8_t *data, size_t len)
{
	const uint8_t *end = memmem(data, len < PART_HEAD_MAX ? len : PART_HEAD_MAX,
	    "\r\n\r\n", 4);
	size_t at = end != NULL ? (size_t)(end - data) + 4 : 0;

	return at < len ? at : 0;
}

/*
 * Bytes the parser dropped while looking for a request (its state was lost
 * or bytes were missed): most likely the rest of a body, or a later part
 * of it. Of their own kind when that is not text (a part's content after
 * its headers is looked at, so a new part keeps its archive kind), else of
 * the body's known kind (the rest of an archive of stored text).
 */
static void
on_http_skipped(void *ctx, const uint8_t *data, size_t len)
{
	struct segment_ctx *s = ctx;
	size_t at = content_start(data, len);
	enum payload_kind k = classify_bytes(s->c->classifier, data + at, len - at);

	evidence_gap(s->c, s->f, s->ev.ts_ns);

	if (k == PK_TEXT && s->f->classified)
		k = (enum payload_kind)s->f->kind;
	event_add_kind(&s->ev, k, len);
	s->consumed += len;
}

static const struct http_events *
http_events(struct conntrack *c)
{
	return &c->http_events;
}

static void
feed_http(struct conntrack *c, struct segment_ctx *s, const uint8_t *data,
    size_t len, bool gap, bool missing_after)
{
	const struct http_events *ev = http_events(c);
	struct flow *f = s->f;
	union app_parser *ap;

	if (f->in_tunnel) {
		on_http_tunnel(s, data, len);
		return;
	}
	/* its parser was taken before the request named its destination: not
	 * the destination of an earlier request on the connection either */
	if (f->via_proxy && (f->parser_lost == PARSER_LOST_HEAD ||
	    (f->parser_lost != PARSER_KEPT && f->pair_id == FLOW_NONE)))
		bind_unidentified(c, f, s->ev.ts_ns);
	if ((ap = slot_get(c, f)) == NULL) {
		event_add_kind(&s->ev, PK_TEXT, len);
		return;
	}
	if (gap) {
		evidence_gap(c, f, s->ev.ts_ns);
		http_parser_gap(&ap->http, ev);
	}
	http_parser_feed(&ap->http, data, len, ev, s);
	/* the capture cut this segment short: the parser lost the rest */
	if (missing_after) {
		evidence_gap(c, f, s->ev.ts_ns);
		http_parser_gap(&ap->http, ev);
	}
	slot_done(c, f);
	/* The rest were request lines and headers. (Tunnel bytes held back by
	 * the parser from an earlier segment can make consumed exceed len.) */
	event_add_kind(&s->ev, PK_TEXT, len > s->consumed + s->heads ?
	    len - s->consumed - s->heads : 0);
}

/* A TLS flow to or from a proxy that names no server: on an egress tap
 * its peer is the destination; through a proxy it is unidentified. */
static void
tls_unnamed(struct conntrack *c, struct flow *f, uint64_t ts)
{
	if (f->host_is_proxy)
		bind_flow(c, f, &f->key.host, NULL, &f->key.peer,
		    f->key.peer_port, ts);
	else
		bind_unidentified(c, f, ts);
}

/* A ClientHello read to its end, counted: true when it named a server. */
static bool
count_hello(struct conntrack *c, enum tls_result r)
{
	if (r == TLS_SNI_FOUND)
		c->stats.tls_sni++;
	else if (r == TLS_NO_SNI)
		c->stats.tls_no_sni++;
	else
		c->stats.tls_malformed++;
	return r == TLS_SNI_FOUND;
}

/* A direct TLS connection: its SNI names the address (a label, for the
 * alerts and reports; the pair stays keyed by address). */
static void
feed_tls_direct(struct conntrack *c, struct flow *f, const uint8_t *data,
    size_t len)
{
	union app_parser *ap;
	char sni[TLS_SNI_MAX];
	enum tls_result r;

	if (f->sni_read || f->key.proto != IPPROTO_TCP)
		return;
	if (f->parser_lost != PARSER_KEPT || (ap = slot_get(c, f)) == NULL) {
		f->sni_read = true;
		return;
	}
	if ((r = tls_parser_feed(&ap->tls, data, len, sni)) == TLS_NEED_MORE)
		return;
	slot_put(c, f);
	f->sni_read = true;
	if (count_hello(c, r))
		names_label_put(c->names, &f->key.host, &f->key.peer, sni,
		    false);
}

/* Deferred flows (to or from a proxy) learn their destination from SNI. */
static void
feed_tls(struct conntrack *c, struct segment_ctx *s, const uint8_t *data,
    size_t len)
{
	struct flow *f = s->f;
	union app_parser *ap;
	char sni[TLS_SNI_MAX];
	enum tls_result r;

	event_add_kind(&s->ev, PK_TLS, len);
	if (!(f->via_proxy || f->host_is_proxy)) {
		feed_tls_direct(c, f, data, len);
		return;
	}
	if (f->pair_id != FLOW_NONE)
		return;
	if (f->parser_lost != PARSER_KEPT) {
		/* a ClientHello cut off mid-read cannot be read on */
		f->parser_lost = PARSER_KEPT;
		tls_unnamed(c, f, s->ev.ts_ns);
		return;
	}
	if ((ap = slot_get(c, f)) == NULL)
		return;
	r = tls_parser_feed(&ap->tls, data, len, sni);
	if (r == TLS_NEED_MORE)
		return;
	slot_put(c, f);
	if (count_hello(c, r)) {
		bind_flow(c, f, &f->key.host, sni,
		    f->host_is_proxy ? &f->key.peer : NULL, f->key.peer_port,
		    s->ev.ts_ns);
		return;
	}
	tls_unnamed(c, f, s->ev.ts_ns);
}

/* First client bytes decide what the flow speaks. */
static void
start_app(struct conntrack *c, struct flow *f, const struct packet *pkt)
{
	if (pkt->proto == IPPROTO_TCP &&
	    http_looks_like_request(pkt->payload, pkt->payload_len)) {
		f->app = FLOW_APP_HTTP;
		(void)slot_get(c, f);
		return;
	}
	if (tls_looks_like_record(pkt->payload, pkt->payload_len) ||
	    (pkt->proto == IPPROTO_UDP && pkt->dport == 443)) {
		f->app = FLOW_APP_TLS;
		f->kind = PK_TLS;
		f->classified = true;
		if (pkt->proto == IPPROTO_TCP)
			(void)slot_get(c, f);
		return;
	}
	f->app = FLOW_APP_OTHER;
	f->kind = (uint8_t)classify_bytes(c->classifier, pkt->payload,
	    pkt->payload_len);
	f->classified = true;
	if (f->host_is_proxy)
		bind_flow(c, f, &f->key.host, NULL, &f->key.peer, f->key.peer_port,
		    pkt->ts_ns);
	else if (f->via_proxy) /* to a proxy, yet no request: mid-stream */
		bind_unidentified(c, f, pkt->ts_ns);
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
client_payload(struct conntrack *c, struct flow *f, const struct packet *pkt,
    struct segment_ctx *s)
{
	uint32_t off;
	bool gap, first = f->app == FLOW_APP_UNKNOWN;
	const uint8_t *data;
	size_t len, missing;

	if (first) {
		/* client payload on the wire (captured or not): kept before
		 * flows without it in the table */
		flowtab_assure(c->flows, f);
		if (pkt->payload_len > 0)
			start_app(c, f, pkt);
	}
	if (client_stream_order(f, pkt, &off, &gap) == 0)
		return;
	if (off >= pkt->payload_len) {
		/* nothing new was captured, but new bytes went by */
		evidence_gap(c, f, s->ev.ts_ns);
		if (f->app == FLOW_APP_HTTP && f->app_slot != FLOW_NONE) {
			const struct http_events ev = { .stats = &c->stats.http };
			http_parser_gap(&c->slots[f->app_slot].http, &ev);
		} else if (f->app == FLOW_APP_HTTP && !f->in_tunnel &&
		    f->parser_lost == PARSER_KEPT) {
			f->parser_lost = PARSER_LOST; /* (the next slot resyncs) */
		}
		event_add_kind(&s->ev, f->kind, pkt->l4_payload_wire - off);
		return;
	}
	data = pkt->payload + off;
	len = pkt->payload_len - off;
	missing = pkt->l4_payload_wire - pkt->payload_len;
	switch (f->app) {
	case FLOW_APP_HTTP:
		feed_http(c, s, data, len, gap, missing > 0);
		break;
	case FLOW_APP_TLS:
		feed_tls(c, s, data, len);
		if (c->evidence != NULL && !f->via_proxy && !f->host_is_proxy)
			stream_evidence(s, data, len, EVIDENCE_TLS, first ? 0 :
			    f->bytes_out - pkt->ip_bytes);
		break;
	default:
		event_add_kind(&s->ev, f->kind, len);
		break;
	}
	event_add_kind(&s->ev, f->kind, missing);
}

/* ---- DNS ---- */

struct dns_ctx {
	struct conntrack *c;
	uint64_t ts_ns;
	struct netaddr client;    /* the answer's destination */
	bool client_internal;     /* ... an internal host: its labels */
};

static void
on_dns_answer(void *ctx, const char *name, const struct netaddr *addr, uint32_t ttl)
{
	struct dns_ctx *d = ctx;

	(void)ttl;
	d->c->stats.dns_answers++;
	names_put(d->c->names, name, addr, NAME_FROM_DNS, d->ts_ns);
	if (d->client_internal)
		names_label_put(d->c->names, &d->client, addr, name, true);
	track_dns_answer(d->c->track, &d->client, name, addr, d->ts_ns);
}

/* More than half of the DNS answers ignored as untrusted: networks.resolvers
 * is likely not this network's (the sample's, say), and names learn no
 * address from DNS. Said once a run. */
static void
dns_trust_check(struct conntrack *c)
{
	char first[NETADDR_STRLEN];
	uint64_t bad = c->stats.dns_untrusted;

	if (c->dns_trust_warned || bad < DNS_UNTRUSTED_MIN ||
	    bad <= c->dns_trusted)
		return;
	c->dns_trust_warned = true;
	netaddr_format(&c->dns_first_untrusted, first, sizeof(first));
	log_warnx("%s: networks.resolvers: %llu of %llu DNS answers were ignored "
	    "as not from a listed resolver (the first from %s): list the "
	    "resolvers this network uses, or none to believe every answer",
	    c->cfg->path, (unsigned long long)bad,
	    (unsigned long long)(bad + c->dns_trusted), first);
}

static RARE void
handle_dns(struct conntrack *c, const struct packet *pkt)
{
	struct dns_ctx d = { c, pkt->ts_ns, pkt->dst,
	    config_is_internal(c->cfg, &pkt->dst) };

	/* With networks.resolvers set, only their answers are believed: a PC
	 * that forges an answer could otherwise move a foreign destination
	 * home (or out of the internal networks) in the geo lookup. */
	if (c->cfg->resolvers.n > 0 && !netset_contains(&c->cfg->resolvers, &pkt->src)) {
		if (c->stats.dns_untrusted++ == 0)
			c->dns_first_untrusted = pkt->src;
		dns_trust_check(c);
		return;
	}
	c->dns_trusted++;
	if (dns_parse_response(pkt->payload, pkt->payload_len, on_dns_answer, &d) ==
	    DNS_MALFORMED)
		c->stats.dns_malformed++;
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
	} else if (src_int && dst_int && cfg->n_crown_jewels > 0 &&
	    config_crown_jewel(cfg, &pkt->dst, pkt->dport) >= 0) {
		*out = true;  /* an internal host reading a crown jewel */
	} else if (src_int && dst_int && cfg->n_crown_jewels > 0 &&
	    config_crown_jewel(cfg, &pkt->src, pkt->sport) >= 0) {
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

/* A new flow: who opened it (a SYN from the far side, or a datagram from
 * it first), and, for a direct flow, its destination at once. */
static void
init_flow(struct conntrack *c, struct flow *f, const struct packet *pkt,
    bool out, bool via_proxy)
{
	f->via_proxy = via_proxy;
	f->host_is_proxy = !via_proxy && is_proxy_address(c->cfg, &f->key.host);
	f->opened_by_peer = !out && (pkt->proto != IPPROTO_TCP ||
	    (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN);
	f->in_tunnel = false;
	f->parser_lost = PARSER_KEPT;
	f->sni_read = false;
	if (!f->via_proxy && !f->host_is_proxy)
		bind_flow(c, f, &f->key.host, NULL, &f->key.peer, f->key.peer_port,
		    pkt->ts_ns);
}

/* The packet's bytes to the flow's pair, or waiting in the flow until its
 * destination is known. */
static HOT_INLINE void
account(struct conntrack *c, struct flow *f, const struct packet *pkt, bool out,
    struct segment_ctx *s)
{
	struct pair *pr = track_flow_pair(c->track, f, pkt->ts_ns);
	uint64_t ip_out;

	if (pr == NULL) {
		if (out) {
			f->pending_out += pkt->ip_bytes;
			f->pending_text += event_payload(&s->ev);
		} else {
			f->pending_in += pkt->ip_bytes;
		}
		return;
	}
	/* payload flushed to an earlier request's pair is not counted twice */
	ip_out = pkt->ip_bytes > s->flushed ? pkt->ip_bytes - s->flushed : 0;
	s->ev.bytes_out = out ? ip_out : 0;
	s->ev.bytes_in = out ? 0 : pkt->ip_bytes;
	s->ev.from_host = out;
	track_account(c->track, pr, &s->ev, f);
}

/* A reply from the server side of an HTTP flow: a 2xx answering a CONNECT
 * makes what follows the tunnel for good (see proto_http.c). */
static RARE void
server_reply(struct conntrack *c, struct flow *f, const struct packet *pkt,
    struct segment_ctx *s)
{
	struct http_parser *hp = &c->slots[f->app_slot].http;

	/* (only a CONNECT's fresh tunnel has a reply to wait for; the
	 * segment, in cache, is read before the parser's slot) */
	if (http_response_is_2xx(pkt->payload, pkt->payload_len) &&
	    http_parser_awaits_tunnel_reply(hp))
		http_parser_tunnel_confirmed(hp, http_events(c), s);
	slot_done(c, f);
}

/*
 * A FIN or RST from the client must carry a sequence number near the one
 * expected next (RFC 5961 asks as much of RSTs); otherwise a host could
 * forge one that the proxy ignores, to make us drop the flow's parser or
 * binding and carry on uploading. The server side's numbers are not
 * tracked: its FIN/RST is taken as it comes.
 */
static bool
close_is_plausible(struct conntrack *c, const struct flow *f,
    const struct packet *pkt, bool out)
{
	if (!out || flow_seq_near(f, pkt->tcp_seq))
		return true;
	c->stats.tcp_close_ignored++;
	return false;
}

/* A segment's event. Its host and destination are the flow's pair's (the
 * event names none: rules read them from the pair); bytes and kinds are
 * filled in as the segment is read. */
static HOT_INLINE void
segment_start(struct segment_ctx *s, struct conntrack *c, struct flow *f,
    uint64_t ts_ns)
{
	s->c = c;
	s->f = f;
	s->ev.ts_ns = ts_ns;
	s->ev.proto = f->key.proto;
	s->ev.conn_start = false;
	s->ev.opened_by_peer = f->opened_by_peer;
	s->ev.source = EVENT_PACKETS;
	s->ev.kinds = 0;
	s->ev.tuple = &f->key; /* (two stores: the alert's join keys) */
	s->ev.flow = f;
	s->ev.uid = NULL;
	s->consumed = 0;
	s->flushed = 0;
	s->heads = 0;
}

/* ---- fragments ---- */

/*
 * A later fragment whose first fragment is unknown (not seen yet, too short
 * to hold the ports, or sent last on purpose): credit its bytes to the
 * pair of the internal host and the far address, as direct flows are
 * keyed, so that fragmenting an upload cannot hide it. Its payload counts
 * as "other". Traffic to or from a proxy cannot be placed this way.
 */
static void
fragment_to_pair(struct conntrack *c, const struct packet *pkt)
{
	bool src_int = config_is_internal(c->cfg, &pkt->src);
	bool dst_int = config_is_internal(c->cfg, &pkt->dst);
	struct traffic_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = pkt->ts_ns;
	ev.host = src_int ? pkt->src : pkt->dst;
	ev.dst_addr = src_int ? pkt->dst : pkt->src;
	ev.proto = pkt->proto;
	ev.source = EVENT_PACKETS;
	ev.from_host = src_int;
	if (src_int) {
		ev.bytes_out = pkt->ip_bytes;
		event_add_kind(&ev, PK_OTHER, pkt->l4_payload_wire);
	} else {
		ev.bytes_in = pkt->ip_bytes;
	}
	if (netaddr_is_never_destination(&ev.dst_addr)) {
		c->stats.not_destination++;
		return;
	}
	if (src_int == dst_int || is_proxy_address(c->cfg, &ev.host) ||
	    is_proxy_address(c->cfg, &ev.dst_addr) || !track_event(c->track, &ev)) {
		c->stats.fragments_unmatched++;
		return;
	}
	c->stats.fragments_by_address++;
}

/*
 * A later fragment (no transport header): its bytes go to the flow of its
 * datagram's first fragment, as IP bytes and as payload of the kind that
 * flow is sending. Without it, a host could hide an upload by fragmenting
 * it. A fragment whose first one was not seen (or is too old) goes to its
 * pair by address.
 */
static RARE void
track_fragment(struct conntrack *c, const struct packet *pkt)
{
	struct flow_key k;
	struct segment_ctx s;
	struct flow *f;
	bool out;

	k.host = pkt->src;
	k.peer = pkt->dst;
	if (!frag_lookup(c->frags, pkt, &k.proto, &k.host_port, &k.peer_port) ||
	    (f = flowtab_find_packet(c->flows, &k, pkt->ts_ns, &out)) == NULL) {
		fragment_to_pair(c, pkt);
		return;
	}
	c->stats.fragments_counted++;
	segment_start(&s, c, f, pkt->ts_ns);
	if (out) {
		f->bytes_out += pkt->ip_bytes;
		event_add_kind(&s.ev, f->kind, pkt->l4_payload_wire);
	} else {
		f->bytes_in += pkt->ip_bytes;
	}
	account(c, f, pkt, out, &s);
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

/* A flow evicted from the full table that this payload continues: taken
 * up where it was (destination, pair, payload kind, stream position). */
static struct flow *
resume_flow(struct conntrack *c, const struct packet *pkt,
    const struct flow_key *k, size_t bucket, bool out)
{
	if (pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_SYN))
		return NULL;
	/* (the far side's sequence numbers are not tracked) */
	return flowtab_resume_at(c->flows, k, bucket, pkt->ts_ns,
	    out && pkt->proto == IPPROTO_TCP ? &pkt->tcp_seq : NULL);
}

/* A flow made for the packet. One the internal host starts without payload
 * (its SYN) counts against its half-open cap; beyond the cap it is not made
 * (its first payload will make it). Packets from the far side never count
 * against an internal host. */
static struct flow *
new_flow(struct conntrack *c, const struct packet *pkt, const struct flow_key *k,
    size_t bucket, bool out, bool via_proxy)
{
	bool half_open = out && pkt->l4_payload_wire == 0;
	struct flow *f;

	/* the host's SYN: a new connection, not one evicted on this key */
	if (out && pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_SYN))
		flowtab_forget(c->flows, k);
	if (half_open && !flowtab_may_open(c->flows, &k->host))
		return NULL;
	f = flowtab_get_at(c->flows, k, bucket, pkt->ts_ns, true, NULL);
	init_flow(c, f, pkt, out, via_proxy);
	if (half_open)
		flowtab_hold_half_open(c->flows, f);
	return f;
}

/* The flow of a packet (pk: its packet_key, in bucket), made when it is
 * new and tracked; *out tells whether the packet goes from the internal
 * host to the far side. */
static struct flow *
packet_flow(struct conntrack *c, const struct packet *pkt,
    const struct flow_key *pk, size_t bucket, bool *out)
{
	struct flow_key k;
	struct flow *f;
	bool via_proxy;

	f = flowtab_find_packet_at(c->flows, pk, bucket, pkt->ts_ns, out);
	if (f != NULL && f->closed && pkt->proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		/* the same 5-tuple again after FIN/RST: a new connection, with
		 * its own sequence numbers, parser and destination */
		flowtab_remove(c->flows, f);
		f = NULL;
	}
	if (f != NULL)
		return f;
	/* A bare ACK, FIN or RST of a connection we no longer (or never) track
	 * does not start a flow: late teardown packets would only churn the
	 * table. SYNs, payload and UDP do. */
	if (pkt->proto == IPPROTO_TCP && pkt->l4_payload_wire == 0 &&
	    !(pkt->tcp_flags & TCP_SYN)) {
		c->stats.flowless_tcp++;
		return NULL;
	}
	/* Roles are worked out once, when a flow starts. */
	if (!assign_roles(c->cfg, pkt, &k, out, &via_proxy)) {
		c->stats.not_tracked++;
		return NULL;
	}
	/* SSDP, mDNS, LLMNR, DHCP broadcasts, APIPA: never a destination
	 * (a few compares, only for packets that have no flow) */
	if (netaddr_is_never_destination(&k.peer)) {
		c->stats.not_destination++;
		return NULL;
	}
	/* the flow's key has its ends in role order: the same bucket */
	if (pkt->l4_payload_wire > 0 &&
	    (f = resume_flow(c, pkt, &k, bucket, *out)) != NULL)
		return f;
	return new_flow(c, pkt, &k, bucket, *out, via_proxy);
}

/* evidence.lookback: the packet into its flow's ring, and into its pair's
 * pcap while the pair is under evidence (its alert's suppression). Not
 * inlined: the packet path without a ring keeps its registers. */
static __attribute__((noinline)) void
keep_packet(struct conntrack *c, struct flow *f, const struct packet *pkt)
{
	const struct pktring_frame fr = { pkt->ts_ns, pkt->linktype,
	    pkt->caplen, pkt->wirelen, pkt->frame };
	const struct pair *pr = f->pair;
	bool under = f->pair_id != FLOW_NONE && pr != NULL &&
	    pr->gen == f->pair_gen && evidence_pair_open(pr, pkt->ts_ns);

	evpcap_packet(c->evpcap, &f->evidence, &fr, under, f->pair_id,
	    f->pair_gen, f->pkts_in + f->pkts_out);
}

static void
track_packet(struct conntrack *c, const struct packet *pkt,
    const struct flow_key *k, size_t bucket)
{
	struct flow *f;
	struct segment_ctx s;
	bool out;

	if (!pkt->has_l4) {
		if (pkt->is_fragment && !pkt->frag_first)
			track_fragment(c, pkt);
		else
			c->stats.not_tracked++;
		return;
	}
	if (pkt->is_fragment)
		frag_remember(c->frags, pkt);
	if ((f = packet_flow(c, pkt, k, bucket, &out)) == NULL)
		return;
	segment_start(&s, c, f, pkt->ts_ns);
	if (out) {
		f->bytes_out += pkt->ip_bytes;
		f->pkts_out++;
		if (__builtin_expect(f->bytes_out >= FLOW_HEAVY_BYTES, 0) &&
		    f->bytes_out - pkt->ip_bytes < FLOW_HEAVY_BYTES)
			flowtab_heavy(c->flows, f);
		if (pkt->l4_payload_wire > 0)
			client_payload(c, f, pkt, &s);
	} else {
		f->bytes_in += pkt->ip_bytes;
		f->pkts_in++;
		if (f->app == FLOW_APP_HTTP && f->app_slot != FLOW_NONE &&
		    pkt->payload_len > 0 && pkt->proto == IPPROTO_TCP)
			server_reply(c, f, pkt, &s);
	}
	account(c, f, pkt, out, &s);
	if (c->evpcap != NULL)
		keep_packet(c, f, pkt);
	if (pkt->proto == IPPROTO_TCP && (pkt->tcp_flags & (TCP_FIN | TCP_RST)) &&
	    close_is_plausible(c, f, pkt, out)) {
		/* once the client has finished (or the connection is reset) no
		 * request can follow: give the parser slot back now, and the flow
		 * goes among those evicted first. After the server's FIN the
		 * client may still be sending (an upload the server half-closed
		 * on is not made easier to evict). */
		if ((out && (pkt->tcp_flags & TCP_FIN)) || (pkt->tcp_flags & TCP_RST)) {
			slot_put(c, f);
			if (c->evidence != NULL)
				evidence_end(c->evidence, f, pkt->ts_ns);
			flowtab_mark_closed(c->flows, f);
		}
	}
}

static HOT_INLINE void
handle_packet(struct conntrack *c, const struct packet *pkt,
    const struct flow_key *k, size_t bucket)
{
	if (pkt->ts_ns >= c->next_expire_ns) {
		conn_tick(c, pkt->ts_ns);
		c->next_expire_ns = pkt->ts_ns + EXPIRE_EVERY_NS;
	}
	if (pkt->proto == IPPROTO_UDP && pkt->has_l4 && pkt->sport == 53)
		handle_dns(c, pkt);
	track_packet(c, pkt, k, bucket);
}

/* What a packet with ports looks its flow up with: its key and bucket. */
static HOT_INLINE size_t
packet_lookup(const struct conntrack *c, const struct packet *pkt,
    struct flow_key *k)
{
	if (!pkt->has_l4)
		return 0; /* not looked up */
	packet_key(pkt, k);
	return flowtab_bucket(c->flows, k);
}

void
conn_packet(struct conntrack *c, const struct packet *pkt)
{
	struct flow_key k;
	size_t bucket = packet_lookup(c, pkt, &k);

	handle_packet(c, pkt, &k, bucket);
}

/* The start of a flow's parser state: what each of its segments reads
 * first, either way (see proto_http.h). */
static HOT_INLINE void
prefetch_slot(const union app_parser *ap)
{
	__builtin_prefetch(ap, 1);
	__builtin_prefetch((const char *)ap + 64, 1);
}

/*
 * The table lookups of a packet are cache misses, each waiting on the one
 * before (bucket, flow, pair): here they are started for the whole batch at
 * once, a step at a time (the buckets, each as soon as its hash is known,
 * then the flows, then their pairs, the destinations due to be marked in
 * use (track_prefetch) and their parsers), and only then is each packet handled,
 * in order, with its full lookup.
 * Prefetches are hints: a table that changes within the batch only makes
 * one of them useless.
 */
void
conn_batch(struct conntrack *c, const struct packet *pkts, const bool *ok,
    size_t n)
{
	struct flow_key keys[CONN_BATCH_MAX];
	size_t bucket[CONN_BATCH_MAX] = { 0 }; /* (all set below; GCC cannot tell) */
	const struct flow *hint[CONN_BATCH_MAX];
	size_t i;

	if (n > CONN_BATCH_MAX)
		n = CONN_BATCH_MAX;
	for (i = 0; i < n; i++) {
		/* (bucket 0 for the rest: prefetched for nothing) */
		bucket[i] = ok[i] ? packet_lookup(c, &pkts[i], &keys[i]) : 0;
		flowtab_prefetch_buckets(c->flows, &bucket[i], 1);
	}
	flowtab_prefetch_flows(c->flows, bucket, n, hint);
	for (i = 0; i < n; i++) {
		if (hint[i] == NULL)
			continue;
		if (hint[i]->pair_id != FLOW_NONE)
			track_prefetch(c->track, hint[i], pkts[i].ts_ns);
		if (hint[i]->app_slot < c->nslots)
			prefetch_slot(&c->slots[hint[i]->app_slot]);
	}
	for (i = 0; i < n; i++)
		if (ok[i])
			handle_packet(c, &pkts[i], &keys[i], bucket[i]);
}

void
conn_tick(struct conntrack *c, uint64_t now_ns)
{
	flowtab_expire(c->flows, now_ns, c->cfg->flow_timeout_s * NS_PER_SEC,
	    c->cfg->flow_closed_timeout_s * NS_PER_SEC);
	if (c->evpcap != NULL)
		evpcap_tick(c->evpcap, now_ns);
}

void
conn_finish(struct conntrack *c)
{
	c->finishing = true;
	flowtab_flush(c->flows);
	c->finishing = false;
	if (c->evpcap != NULL)
		evpcap_tick(c->evpcap, UINT64_MAX);
}

void
conn_get_stats(const struct conntrack *c, struct conn_stats *out,
    struct flow_stats *flows)
{
	*out = c->stats;
	flowtab_get_stats(c->flows, flows);
}

/* ---- the state file: flows in progress (track/state.h) ----
 *
 *	flow <host> <host_port> <peer> <peer_port> <proto> <first> <last>
 *	    <bytes_out> <bytes_in> <pkts_out> <pkts_in> <flags> <app> <kind>
 *	    <next_seq_out> <dst_port> <pair_host|-> <dest_addr|-> <dest_name|->
 *	    <pending_out> <pending_in> <pending_text> <dest_touch>
 *	    <parser: -|http|tls> <its bytes as hex|->
 *
 * The flow's pair is named by its host and destination (bound: flags
 * FS_BOUND), which the tracker's records before it put back; a parser in
 * progress by the bytes that hold its state, checked by its module.
 */
#define FS_SEQ_VALID  0x01
#define FS_VIA_PROXY  0x02
#define FS_HOST_PROXY 0x04
#define FS_CLOSED     0x08
#define FS_CLASSIFIED 0x10
#define FS_BY_PEER    0x20
#define FS_BOUND      0x40
#define FS_TUNNEL     0x80
#define FS_PARSER_LOST 0x100
#define FS_SNI_READ   0x200
#define FS_HEAD_LOST  0x400
#define FS_ALL        0x7ff
#define FLOW_FIELDS   26

struct flow_writer {
	struct conntrack *c;
	FILE *fp;
	int rc;
};

static unsigned
flow_flags(const struct flow *f)
{
	return (f->seq_valid ? FS_SEQ_VALID : 0) | (f->via_proxy ? FS_VIA_PROXY : 0) |
	    (f->host_is_proxy ? FS_HOST_PROXY : 0) | (f->closed ? FS_CLOSED : 0) |
	    (f->classified ? FS_CLASSIFIED : 0) |
	    (f->opened_by_peer ? FS_BY_PEER : 0) |
	    (f->pair_id != FLOW_NONE ? FS_BOUND : 0) |
	    (f->in_tunnel ? FS_TUNNEL : 0) |
	    (f->parser_lost != PARSER_KEPT ? FS_PARSER_LOST : 0) |
	    (f->parser_lost == PARSER_LOST_HEAD ? FS_HEAD_LOST : 0) |
	    (f->sni_read ? FS_SNI_READ : 0);
}

static void
put_flow_parser(struct flow_writer *w, const struct flow *f)
{
	const union app_parser *ap;

	if (f->app_slot == FLOW_NONE || f->app_slot >= w->c->nslots ||
	    (f->app != FLOW_APP_HTTP && f->app != FLOW_APP_TLS)) {
		if (fprintf(w->fp, " - -") < 0)
			w->rc = -1;
		return;
	}
	ap = &w->c->slots[f->app_slot];
	if (fprintf(w->fp, f->app == FLOW_APP_HTTP ? " http" : " tls") < 0)
		w->rc = -1;
	if (f->app == FLOW_APP_HTTP)
		state_put_hex(w->fp, &ap->http, http_parser_saved_len(&ap->http),
		    &w->rc);
	else
		state_put_hex(w->fp, &ap->tls, tls_parser_saved_len(&ap->tls),
		    &w->rc);
}

static void
write_flow(void *ctx, const struct flow *f)
{
	struct flow_writer *w = ctx;
	const struct dest *d = baseline_get(track_baseline(w->c->track),
	    f->dest_id, f->dest_gen);

	if (fprintf(w->fp, "flow") < 0)
		w->rc = -1;
	state_put_addr(w->fp, &f->key.host, &w->rc);
	if (fprintf(w->fp, " %u", f->key.host_port) < 0)
		w->rc = -1;
	state_put_addr(w->fp, &f->key.peer, &w->rc);
	if (fprintf(w->fp, " %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 " %u %u %u %" PRIu32 " %u", f->key.peer_port,
	    f->key.proto, f->first_ns, f->last_ns, f->bytes_out, f->bytes_in,
	    f->pkts_out, f->pkts_in, flow_flags(f), f->app, f->kind,
	    f->next_seq_out, f->dst_port) < 0)
		w->rc = -1;
	if (netaddr_is_set(&f->pair_host))
		state_put_addr(w->fp, &f->pair_host, &w->rc);
	else if (fprintf(w->fp, " -") < 0)
		w->rc = -1;
	if (d != NULL) {
		if (fputc(' ', w->fp) == EOF || baseline_write_ref(w->fp, d) != 0)
			w->rc = -1;
	} else if (fprintf(w->fp, " - -") < 0) {
		w->rc = -1;
	}
	if (fprintf(w->fp, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
	    f->pending_out, f->pending_in, f->pending_text, f->dest_touch_ns) < 0)
		w->rc = -1;
	put_flow_parser(w, f);
	if (fputc('\n', w->fp) == EOF)
		w->rc = -1;
}

static int
write_flows(void *ctx, FILE *fp)
{
	struct flow_writer w = { ctx, fp, 0 };

	flowtab_foreach(((struct conntrack *)ctx)->flows, write_flow, &w);
	return w.rc;
}

/* A saved flow, parsed. */
struct saved_flow {
	struct flow f;
	unsigned flags;
	bool has_dest;
	struct dest_ref dest;
	uint8_t parser;               /* FLOW_APP_HTTP, _TLS, or 0: none */
	uint8_t bytes[sizeof(union app_parser)];
	size_t nbytes;
};

static int
parse_flow_numbers(const struct state_words *ws, struct saved_flow *sf,
    char *msg, size_t msglen)
{
	struct flow *f = &sf->f;
	uint64_t v[18];
	size_t i;
	static const uint8_t at[] = { 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 20, 21, 22, 23 };
	static const uint64_t max[] = { UINT16_MAX, UINT16_MAX, UINT8_MAX,
		UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
		UINT64_MAX, FS_ALL, FLOW_APP_OTHER, PK_COUNT - 1, UINT32_MAX,
		UINT16_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };

	for (i = 0; i < sizeof(at); i++)
		if (state_get_u64(&ws->w[at[i]], "number", &v[i], msg, msglen) != 0 ||
		    v[i] > max[i])
			return state_bad_field(&ws->w[at[i]], "flow field", msg,
			    msglen);
	f->key.host_port = (uint16_t)v[0];
	f->key.peer_port = (uint16_t)v[1];
	f->key.proto = (uint8_t)v[2];
	f->first_ns = v[3];
	f->last_ns = v[4];
	f->bytes_out = v[5];
	f->bytes_in = v[6];
	f->pkts_out = v[7];
	f->pkts_in = v[8];
	sf->flags = (unsigned)v[9];
	f->app = (uint8_t)v[10];
	f->kind = (uint8_t)v[11];
	f->next_seq_out = (uint32_t)v[12];
	f->dst_port = (uint16_t)v[13];
	f->pending_out = v[14];
	f->pending_in = v[15];
	f->pending_text = v[16];
	f->dest_touch_ns = v[17];
	return 0;
}

static int
parse_flow_parser(const struct state_words *ws, struct saved_flow *sf,
    char *msg, size_t msglen)
{
	const struct cursor *kind = &ws->w[24], *hex = &ws->w[25];

	sf->parser = 0;
	if (cur_eq_str(kind, "-") && cur_eq_str(hex, "-"))
		return 0;
	if (cur_eq_str(kind, "http"))
		sf->parser = FLOW_APP_HTTP;
	else if (cur_eq_str(kind, "tls"))
		sf->parser = FLOW_APP_TLS;
	else
		return state_bad_field(kind, "parser", msg, msglen);
	sf->nbytes = cur_left(hex) / 2;
	if (sf->nbytes > sizeof(sf->bytes) ||
	    parse_hex_bytes(hex, sf->bytes, sf->nbytes) != 0)
		return state_bad_field(hex, "parser bytes", msg, msglen);
	return 0;
}

static int
parse_flow(const struct state_words *ws, struct saved_flow *sf, char *msg,
    size_t msglen)
{
	memset(sf, 0, sizeof(*sf));
	if (state_need_fields(ws, FLOW_FIELDS, "flow", msg, msglen) != 0 ||
	    state_get_addr(&ws->w[1], &sf->f.key.host, msg, msglen) != 0 ||
	    state_get_addr(&ws->w[3], &sf->f.key.peer, msg, msglen) != 0 ||
	    parse_flow_numbers(ws, sf, msg, msglen) != 0 ||
	    parse_flow_parser(ws, sf, msg, msglen) != 0)
		return -1;
	if (!cur_eq_str(&ws->w[17], "-") &&
	    state_get_addr(&ws->w[17], &sf->f.pair_host, msg, msglen) != 0)
		return -1;
	sf->has_dest = !(cur_eq_str(&ws->w[18], "-") &&
	    cur_eq_str(&ws->w[19], "-"));
	if (sf->has_dest && baseline_parse_ref(&ws->w[18], &ws->w[19],
	    &sf->dest, msg, msglen) != 0)
		return -1;
	return 0;
}

/* The flow's destination and pair in this run's tables. */
static void
restore_binding(struct conntrack *c, struct flow *f, const struct saved_flow *sf)
{
	struct aggtab *pairs = track_pairs(c->track);
	struct pair *p;
	uint32_t id, gen;

	if (!sf->has_dest ||
	    !baseline_find_ref(track_baseline(c->track), &sf->dest, &id, &gen))
		return;
	f->dest_id = id;
	f->dest_gen = gen;
	if (!(sf->flags & FS_BOUND) ||
	    (p = agg_find(pairs, &f->pair_host, id, gen, &id)) == NULL)
		return;
	f->pair_id = id;
	f->pair_gen = p->gen;
	f->pair = p;
}

/* False when the saved parser state could not be put back. */
static bool
restore_parser(struct conntrack *c, struct flow *f, const struct saved_flow *sf)
{
	union app_parser *ap;
	bool ok;

	if (sf->parser == 0)
		return true;
	if (sf->parser != f->app || (ap = slot_get(c, f)) == NULL)
		return false;
	ok = f->app == FLOW_APP_HTTP ?
	    http_parser_restore(&ap->http, sf->bytes, sf->nbytes) :
	    tls_parser_restore(&ap->tls, sf->bytes, sf->nbytes);
	if (!ok)
		slot_put(c, f); /* refused: the flow goes on without one */
	return ok;
}

/* False when a part of it was not kept (its pair, its parser state). */
static bool
restore_flow(struct conntrack *c, const struct saved_flow *sf)
{
	const struct flow *s = &sf->f;
	bool whole, made;
	struct flow *f = flowtab_get(c->flows, &s->key, s->last_ns, true, &made);

	if (!made)
		return false; /* a key saved twice: the first one counts */
	f->first_ns = s->first_ns;
	f->last_ns = f->lru_ns = s->last_ns;
	f->bytes_out = s->bytes_out;
	f->bytes_in = s->bytes_in;
	f->pkts_out = s->pkts_out;
	f->pkts_in = s->pkts_in;
	f->app = s->app;
	f->kind = s->kind;
	f->next_seq_out = s->next_seq_out;
	f->dst_port = s->dst_port;
	f->pair_host = s->pair_host;
	f->pending_out = s->pending_out;
	f->pending_in = s->pending_in;
	f->pending_text = s->pending_text;
	f->dest_touch_ns = s->dest_touch_ns;
	f->seq_valid = (sf->flags & FS_SEQ_VALID) != 0;
	f->via_proxy = (sf->flags & FS_VIA_PROXY) != 0;
	f->host_is_proxy = (sf->flags & FS_HOST_PROXY) != 0;
	f->classified = (sf->flags & FS_CLASSIFIED) != 0;
	f->opened_by_peer = (sf->flags & FS_BY_PEER) != 0;
	f->in_tunnel = (sf->flags & FS_TUNNEL) != 0;
	f->parser_lost = (sf->flags & FS_HEAD_LOST) ? PARSER_LOST_HEAD :
	    (sf->flags & FS_PARSER_LOST) ? PARSER_LOST : PARSER_KEPT;
	f->sni_read = (sf->flags & FS_SNI_READ) != 0;
	f->pair_id = f->pair_gen = FLOW_NONE;
	f->pair = NULL;
	restore_binding(c, f, sf);
	whole = restore_parser(c, f, sf) &&
	    (!(sf->flags & FS_BOUND) || f->pair_id != FLOW_NONE);
	if (f->app != FLOW_APP_UNKNOWN)
		flowtab_assure(c->flows, f);
	else if (!f->opened_by_peer)
		flowtab_hold_half_open(c->flows, f);
	if (sf->flags & FS_CLOSED)
		flowtab_mark_closed(c->flows, f);
	return whole;
}

static int
read_flow(void *ctx, const struct cursor *line, bool apply, char *msg,
    size_t msglen)
{
	struct conntrack *c = ctx;
	static struct saved_flow sf; /* 8 KiB of parser bytes: not on the stack */
	struct state_words ws;

	if (state_split(line, &ws, msg, msglen) != 0)
		return -1;
	if (ws.n == 0 || !cur_eq_str(&ws.w[0], "flow"))
		return 0;
	if (parse_flow(&ws, &sf, msg, msglen) != 0)
		return -1;
	return !apply || restore_flow(c, &sf) ? 1 : 2;
}

void
conn_state_hooks(struct conntrack *c, struct track_state_more *out)
{
	out->write = write_flows;
	out->read = read_flow;
	out->ctx = c;
}
