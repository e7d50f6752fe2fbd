/*
 * pipeline.c - the stages wired together: frames are decoded and handed to
 * the per-packet stage (conn), log lines arrive as traffic events; both
 * reach the binding stage (track), whose rule engine reports detections,
 * made into alerts here for the outputs. Also the start-up loading, a
 * reload's two steps, the statistics and the forensic pair table.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/detect/finding.h"
#include "exfild/pipeline/limits.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/alert/open_alerts.h"
#include "exfild/contain/contain.h"
#include "exfild/track/conn.h"
#include "exfild/track/state.h"
#include "exfild/track/track.h"
#include "exfild/util/log.h"

/* ... the per-packet helpers, whoever calls them. */
#define HOT_INLINE inline __attribute__((always_inline))

struct pipeline {
	const struct config *cfg;
	const char *source;
	pipeline_alert_fn alert_fn;
	void *alert_ctx;
	pipeline_bucket_fn bucket_fn; /* alerted pairs' buckets (a report) */
	void *bucket_ctx;

	struct hash_key key;
	struct geo *geo;
	struct names *names;
	struct indicators *ioc;
	struct tracker *track;
	struct conntrack *conn;
	struct open_alerts *open;     /* alerts followed for their update */
	struct contain *contain;      /* contain: (the daemon's; NULL: off) */
	struct evidence *evidence;    /* NULL: evidence.enabled off */
	uint64_t evidence_check_ns;   /* input time of its next tick
				       * (UINT64_MAX: no evidence) */
	uint64_t open_check_ns;       /* input time of the next check of open
				       * (UINT64_MAX: none is open) */

	char *baseline_state;         /* the file it was loaded from (a reload
				       * does not move it: restart only) */
	struct pipeline_stats stats;
	struct track_state_stats state_loaded; /* what the state file held */
};

static void on_detection(void *ctx, const struct detection *d);
static bool open_totals(void *ctx, uint32_t id, uint32_t gen,
    struct alert_totals *t);
static void open_emit(void *ctx, const struct alert *update);
static struct geo *load_geo(const struct config *cfg, char *err, size_t errlen);

/* ---- start-up ---- */

/* Where learning stands in the file loaded: it goes on from the file's
 * start, on the input's clock (said again when it ends). */
static void
log_learning_loaded(const char *path, const struct baseline_stats *b,
    const struct config *cfg)
{
	char start[RFC3339_LEN], end[RFC3339_LEN];

	if (b->learn_start_ns == 0 || cfg->baseline_learn_s == 0)
		return;
	format_rfc3339_ms(b->learn_start_ns, start);
	format_rfc3339_ms(b->learn_end_ns, end);
	log_info("baseline: loaded from %s: learning from %s until %s "
	    "(over if the input is later)", path, start, end);
}

static void
log_state_loaded(struct pipeline *p, const char *path)
{
	const struct track_state_stats *s = &p->state_loaded;
	struct baseline_stats b;

	baseline_get_stats(track_baseline(p->track), &b);
	if (b.destinations == 0 && s->hosts == 0 && s->pairs == 0)
		return; /* no file yet, or an empty one */
	log_info("state %s: %llu destinations, %llu names, %llu hosts, %llu pairs, "
	    "%llu rule states, %llu suppressions; %llu records dropped, "
	    "%llu destinations not loaded (limits.destinations)", path,
	    (unsigned long long)b.destinations, (unsigned long long)s->names,
	    (unsigned long long)s->hosts,
	    (unsigned long long)s->pairs, (unsigned long long)s->rule_states,
	    (unsigned long long)s->suppressions, (unsigned long long)s->dropped,
	    (unsigned long long)b.not_loaded);
	log_learning_loaded(path, &b, p->cfg);
}

static int
load_inputs(struct pipeline *p, char *err, size_t errlen)
{
	const struct config *cfg = p->cfg;
	struct track_state_more flows;

	if (cfg->geo_hosts != NULL &&
	    names_load_hosts(p->names, cfg->geo_hosts, err, errlen) != 0)
		return -1;
	if (indicators_load(p->ioc, cfg, err, errlen) != 0)
		return -1;
	if (cfg->baseline_state != NULL) {
		conn_state_hooks(p->conn, &flows);
		if (track_state_load(p->track, cfg->baseline_state, &flows,
		    &p->state_loaded, err, errlen) != 0)
			return -1;
	}
	if (cfg->baseline_state != NULL)
		log_state_loaded(p, cfg->baseline_state);
	return 0;
}

/* The limits fit this machine (-t and start-up alike refuse them before
 * anything is allocated): 0, or -1 with err. */
static int
limits_fit(const struct config *cfg, char *err, size_t errlen)
{
	struct limits_need need;
	struct limits_room room;

	limits_need(cfg, &need);
	limits_room(&room);
	return limits_check(cfg, &need, &room, err, errlen);
}

struct pipeline *
pipeline_new(const struct config *cfg, const char *source, pipeline_alert_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct pipeline *p;

	if (limits_fit(cfg, err, errlen) != 0)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->cfg = cfg;
	p->baseline_state = cfg->baseline_state != NULL ? xstrdup(cfg->baseline_state) : NULL;
	p->source = source;
	p->alert_fn = fn;
	p->alert_ctx = ctx;
	if (hash_key_random(&p->key) != 0) {
		snprintf(err, errlen, "cannot seed the hash tables");
		goto fail;
	}
	if ((p->geo = load_geo(cfg, err, errlen)) == NULL)
		goto fail;
	p->names = names_new(cfg->limit_names, &p->key);
	p->ioc = indicators_new(cfg->limit_destinations, &p->key);
	p->open = open_alerts_new(PIPELINE_OPEN_ALERTS, open_totals, open_emit,
	    p);
	p->open_check_ns = UINT64_MAX;
	if (p->names == NULL || p->open == NULL ||
	    (p->track = track_new(cfg, &p->key, p->geo, p->names, on_detection,
	    p)) == NULL) {
		snprintf(err, errlen, "cannot allocate the tables (see limits:)");
		goto fail;
	}
	track_set_indicators(p->track, p->ioc);
	if ((p->conn = conn_new(cfg, &p->key, p->track, p->names, err,
	    errlen)) == NULL)
		goto fail;
	if (load_inputs(p, err, errlen) != 0)
		goto fail;
	p->evidence_check_ns = UINT64_MAX;
	return p;
fail:
	config_blame(cfg, err, errlen);
	pipeline_free(p);
	return NULL;
}

int
pipeline_keep_evidence(struct pipeline *p, char *err, size_t errlen)
{
	if (!p->cfg->evidence_enabled || p->evidence != NULL)
		return 0;
	if ((p->evidence = evidence_new(p->cfg, err, errlen)) == NULL)
		return -1;
	conn_set_evidence(p->conn, p->evidence);
	p->evidence_check_ns = 0;
	return 0;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	open_alerts_free(p->open);
	contain_free(p->contain);
	conn_free(p->conn);
	evidence_free(p->evidence);
	track_free(p->track);
	names_free(p->names);
	geo_free(p->geo);
	indicators_free(p->ioc);
	free(p->baseline_state);
	free(p);
}

/* ---- alerts ---- */

/* The crown jewel the pair's host read from within the last day, when it
 * gives its own records figures: they size what it sends next. */
static const struct crown_jewel *
recent_jewel(struct pipeline *p, const struct pair *pr, uint64_t ts_ns)
{
	const struct crown_jewel *j;
	const struct host *h;

	if (pr->host_id == AGG_NONE || (h = hosts_get(track_hosts(p->track),
	    pr->host_id, pr->host_gen)) == NULL || h->pull_jewel == 0 ||
	    h->pull_jewel > p->cfg->n_crown_jewels || ts_ns < h->pull_last_ns ||
	    ts_ns - h->pull_last_ns > HOST_PULL_HOURS * 3600ULL * NS_PER_SEC)
		return NULL;
	j = &p->cfg->crown_jewels[h->pull_jewel - 1];
	return j->bytes_per_record > 0 || j->compression > 0 ? j : NULL;
}

/* Records at risk in bytes of the pair: by the crown jewel its host read
 * lately, if that one says, else by records:. */
static void
records_of(struct pipeline *p, const struct pair *pr, uint64_t bytes,
    uint64_t ts_ns, uint64_t *low, uint64_t *high)
{
	const struct crown_jewel *j = recent_jewel(p, pr, ts_ns);
	uint64_t bpr = p->cfg->records_bytes_per_record;
	double comp = p->cfg->records_compression;

	if (j != NULL && j->bytes_per_record > 0)
		bpr = j->bytes_per_record;
	if (j != NULL && j->compression > 0)
		comp = j->compression;
	alert_records(bytes, pr->kind_bytes, bpr, comp, low, high);
}

/* What a detection's pair and destination say, as an alert. */
/* What a destination is called: its name, or for an address the name its
 * host last reached it by (DNS answer, TLS SNI, HTTP Host), else "". */
static void
dest_host_name(struct pipeline *p, const struct pair *pr, const struct dest *d,
    char *out, size_t outlen)
{
	if (d->name[0] != '\0' || !names_label_get(track_names(p->track),
	    &pr->host, &d->addr, out, outlen, NULL))
		str_copy(out, d->name, outlen);
}

/*
 * What the event that made the rule match says of its connection: the
 * join keys (protocol, source port, Community ID over the flow's own
 * endpoints: for a proxied flow the host and the proxy, as a sensor beside
 * exfild sees it), a Zeek uid, and the HTTP request its flow's parser
 * holds. Nothing when the timer asked.
 */
static void
connection_of(struct pipeline *p, const struct traffic_event *ev,
    struct alert *a)
{
	const struct flow_key *k;
	const struct http_request *req;

	if (ev == NULL)
		return;
	if ((k = ev->tuple) != NULL && alert_transport(k->proto) != NULL &&
	    community_id(0, &k->host, &k->peer, k->proto, k->host_port,
	    k->peer_port, a->community_id) == 0) {
		a->proto = k->proto;
		a->src_port = k->host_port;
	}
	if (ev->uid != NULL)
		str_copy(a->uid, ev->uid, sizeof(a->uid));
	if (ev->flow == NULL)
		return;
	a->tunnel_connect = ev->flow->in_tunnel;
	if ((req = conn_flow_request(p->conn, ev->flow)) == NULL)
		return;
	str_copy(a->http_method, req->method, sizeof(a->http_method));
	str_copy(a->http_uri, req->uri, sizeof(a->http_uri));
	str_copy(a->http_user_agent, req->user_agent, sizeof(a->http_user_agent));
	str_copy(a->http_filename, req->filename, sizeof(a->http_filename));
	a->tunnel_connect = a->tunnel_connect || req->is_connect;
}

/* One bucket of a watched pair, by its (host, destination) names. */
static void
emit_bucket(struct pipeline *p, const struct pair *pr, uint64_t bucket,
    uint64_t out)
{
	uint64_t width = aggtab_bucket_ns(track_pairs(p->track));
	char name[ALERT_HOST_MAX] = "";
	struct netaddr addr;
	struct dest *d;

	memset(&addr, 0, sizeof(addr));
	d = baseline_get(track_baseline(p->track), pr->dest_id, pr->dest_gen);
	if (d != NULL) {
		track_dest_address(p->track, d, &addr);
		dest_host_name(p, pr, d, name, sizeof(name));
	}
	p->bucket_fn(p->bucket_ctx, &pr->host, name, &addr, bucket * width,
	    width, out);
}

static void
on_bucket(void *ctx, const struct pair *pr, uint64_t bucket,
    const struct agg_bucket *b)
{
	emit_bucket(ctx, pr, bucket, b->out);
}

/* A pair alerts: watched from now on, its window's buckets given now. */
static void
watch_pair(struct pipeline *p, const struct pair *cpr)
{
	struct aggtab *t = track_pairs(p->track);
	struct agg_bucket b[AGG_BUCKETS];
	struct pair *pr;
	uint64_t n, i;

	pr = agg_by_id(t, agg_pair_id(t, cpr), cpr->gen);
	if (pr == NULL || pr->watched)
		return;
	pr->watched = true;
	agg_buckets(pr, b);
	n = pr->newest_bucket;
	for (i = n >= AGG_BUCKETS - 1 ? n - (AGG_BUCKETS - 1) : 0; i <= n; i++)
		emit_bucket(p, pr, i, b[i % AGG_BUCKETS].out);
}

void
pipeline_watch_alerted(struct pipeline *p, pipeline_bucket_fn fn, void *ctx)
{
	p->bucket_fn = fn;
	p->bucket_ctx = ctx;
	agg_set_bucket_hook(track_pairs(p->track), fn != NULL ? on_bucket : NULL, p);
}

/* An alert's pair is under evidence until its suppression ends (until);
 * its candidates go to the alert's directory (evidence/evidence.h). */
static void
keep_evidence(struct pipeline *p, const struct pair *cpr, struct alert *a,
    uint64_t until)
{
	struct aggtab *t = track_pairs(p->track);
	uint32_t id = agg_pair_id(t, cpr);
	struct pair *pr = agg_by_id(t, id, cpr->gen);
	char dir[PATH_MAX];

	if (pr == NULL)
		return;
	evidence_alert(p->evidence, pr, id, pr->gen, a, until);
	/* the pair's packets, its flows' lookback first (evidence.lookback) */
	if (evidence_pair_dir(p->evidence, id, pr->gen, dir, sizeof(dir)))
		(void)conn_evidence_pcap(p->conn, id, pr->gen, dir, until);
}

static void
on_detection(void *ctx, const struct detection *d)
{
	struct pipeline *p = ctx;
	const struct pair *pr = d->pair;
	uint64_t until = d->ts_ns + p->cfg->rules_suppress_s * NS_PER_SEC;
	struct alert a;

	memset(&a, 0, sizeof(a));
	a.ts_ns = d->ts_ns;
	a.sensor = p->cfg->sensor;
	a.rule = d->rule->name;
	a.title = d->rule->title;
	a.severity = d->severity;
	a.source = d->source == EVENT_PACKETS ? p->source :
	    event_source_name(d->source);
	str_copy(a.src_user, d->user, sizeof(a.src_user));
	a.src = pr->host;
	if (track_dest_address(p->track, d->dest, &a.dst))
		a.dst_asn = geo_asn(p->geo, &a.dst, a.dst_org, sizeof(a.dst_org));
	a.dst_port = pr->dst_port;
	dest_host_name(p, pr, d->dest, a.dst_host, sizeof(a.dst_host));
	a.dst_country = pr->country;
	a.via_proxy = pr->via_proxy;
	a.during_learning = d->during_learning;
	a.bytes_out = pr->win.out;
	a.bytes_in = pr->win.in;
	a.flows = pr->win.flows;
	a.window_s = p->cfg->rules_window_s;
	memcpy(a.payload, pr->kind_bytes, sizeof(a.payload));
	a.first_seen_ns = d->dest->first_seen_ns;
	a.window_start_ns = agg_window_start(track_pairs(p->track), pr);
	a.learn_end_ns = d->learn_end_ns;
	records_of(p, pr, a.bytes_out, a.ts_ns, &a.records_low, &a.records_high);
	finding_copy(&a.finding, d->finding);
	a.attack = d->rule->attack;
	connection_of(p, d->ev, &a);
	alert_make_id(&a, 0);
	if (p->evidence != NULL && d->source == EVENT_PACKETS)
		keep_evidence(p, pr, &a, until);
	if (p->bucket_fn != NULL)
		watch_pair(p, pr);
	if (p->contain != NULL)
		contain_alert(p->contain, &a, d->familiar);
	p->alert_fn(p->alert_ctx, &a);
	open_alerts_add(p->open, &a, agg_pair_id(track_pairs(p->track), pr),
	    pr->gen, until, a.ts_ns);
	if (p->open_check_ns == UINT64_MAX)
		p->open_check_ns = a.ts_ns + NS_PER_SEC;
}

/* ---- alert updates (open_alerts.h) ---- */

/* The pair's totals since first seen: its --pairs row's and its updates'. */
static void
pair_totals(struct pipeline *p, const struct pair *pr, struct alert_totals *t)
{
	t->bytes_out = pr->total_out;
	t->bytes_in = pr->total_in;
	t->flows = pr->total_flows;
	memcpy(t->payload, pr->kind_bytes, sizeof(t->payload));
	records_of(p, pr, pr->total_out, pr->last_ns, &t->records_low,
	    &t->records_high);
	t->last_ns = pr->last_ns;
}

static bool
open_totals(void *ctx, uint32_t id, uint32_t gen, struct alert_totals *t)
{
	struct pipeline *p = ctx;
	const struct pair *pr = agg_by_id(track_pairs(p->track), id, gen);

	if (pr == NULL)
		return false;
	pair_totals(p, pr, t);
	return true;
}

static void
open_emit(void *ctx, const struct alert *update)
{
	struct pipeline *p = ctx;
	struct alert a;

	if (p->evidence == NULL || update->evidence_dir[0] == '\0') {
		p->alert_fn(p->alert_ctx, update);
		return;
	}
	/* the bodies stored complete since the alert too */
	a = *update;
	evidence_dir_hashes(p->evidence, &a);
	p->alert_fn(p->alert_ctx, &a);
}

/* Once a second of input time while alerts are open: those whose
 * suppression ended or whose pair is gone get their update. */
static void
check_open(struct pipeline *p, uint64_t now_ns)
{
	open_alerts_check(p->open, now_ns);
	p->open_check_ns = open_alerts_count(p->open) > 0 ?
	    now_ns + NS_PER_SEC : UINT64_MAX;
}

void
pipeline_close_alerts(struct pipeline *p)
{
	open_alerts_close_all(p->open, p->stats.last_ns);
	p->open_check_ns = UINT64_MAX;
}

/* ---- input ---- */

/* The input's time: the first packet or log line starts the learning
 * period; the newest is "now" for name lookups. */
static HOT_INLINE void
note_time(struct pipeline *p, uint64_t ts_ns)
{
	if (p->stats.first_ns == 0) {
		p->stats.first_ns = ts_ns;
		baseline_start_learning(track_baseline(p->track), ts_ns);
	}
	if (ts_ns > p->stats.last_ns) {
		p->stats.last_ns = ts_ns;
		track_set_now(p->track, ts_ns);
		if (ts_ns >= p->open_check_ns)
			check_open(p, ts_ns);
		if (ts_ns >= p->evidence_check_ns) {
			evidence_tick(p->evidence, ts_ns);
			p->evidence_check_ns = ts_ns + NS_PER_SEC;
		}
	}
}

/* What every frame counts, decoded or not. */
static HOT_INLINE void
count_frame(struct pipeline *p, uint32_t wirelen, uint64_t ts_ns)
{
	p->stats.frames++;
	p->stats.wire_bytes += wirelen;
	note_time(p, ts_ns);
}

void
pipeline_frame(struct pipeline *p, int linktype, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen, uint64_t ts_ns)
{
	struct packet pkt;

	count_frame(p, wirelen, ts_ns);
	if (decode_frame(linktype, frame, caplen, wirelen, ts_ns, &pkt,
	    &p->stats.decode) == DECODE_OK)
		conn_packet(p->conn, &pkt);
}

/*
 * A batch of frames, with the same effects as pipeline_frame on each in
 * turn: all are decoded and counted first (the decoder only counts, and
 * the first frame's time starts learning either way), then handed to the
 * per-packet stage together, whose table look-ups overlap (conn_batch).
 */
void
pipeline_frames(struct pipeline *p, const struct capture_pkt *frames, size_t n)
{
	struct packet pkts[PIPELINE_BATCH_MAX];
	bool ok[PIPELINE_BATCH_MAX];
	size_t i, m;

	for (; n > 0; frames += m, n -= m) {
		m = n < PIPELINE_BATCH_MAX ? n : PIPELINE_BATCH_MAX;
		for (i = 0; i < m; i++) {
			count_frame(p, frames[i].wirelen, frames[i].ts_ns);
			ok[i] = decode_frame(frames[i].linktype, frames[i].data,
			    frames[i].caplen, frames[i].wirelen, frames[i].ts_ns,
			    &pkts[i], &p->stats.decode) == DECODE_OK;
		}
		conn_batch(p->conn, pkts, ok, m);
	}
}

_Static_assert(PIPELINE_BATCH_MAX <= CONN_BATCH_MAX,
    "a batch goes to the per-packet stage whole");

void
pipeline_event(struct pipeline *p, const struct traffic_event *ev)
{
	struct traffic_event pull;
	int jewel;

	p->stats.log_records++;
	note_time(p, ev->ts_ns);
	if (!config_is_internal(p->cfg, &ev->host)) {
		p->stats.not_tracked++;
		return;
	}
	if (netaddr_is_never_destination(&ev->dst_addr)) {
		p->stats.not_destination++;
		return;
	}
	/* the destination must not be ours either, but a crown jewel (a
	 * conn.log line of a host reading the CRM: a pull) */
	if (netaddr_is_set(&ev->dst_addr) &&
	    config_is_internal(p->cfg, &ev->dst_addr)) {
		jewel = config_crown_jewel(p->cfg, &ev->dst_addr, ev->dst_port);
		if (jewel < 0) {
			p->stats.not_tracked++;
			return;
		}
		pull = *ev;
		pull.jewel = (uint8_t)(jewel + 1);
		ev = &pull;
	}
	if (!track_event(p->track, ev))
		p->stats.not_tracked++;
}

void
pipeline_tick(struct pipeline *p, uint64_t now_ns)
{
	conn_tick(p->conn, now_ns);
	if (now_ns >= p->open_check_ns)
		check_open(p, now_ns);
}

void
pipeline_finish(struct pipeline *p)
{
	conn_finish(p->conn);
	if (p->evidence != NULL)
		evidence_finish(p->evidence);
}

void
pipeline_evaluate_recent(struct pipeline *p, uint64_t since_ns, uint64_t now_ns)
{
	track_evaluate_recent(p->track, since_ns, now_ns);
}

int
pipeline_save_baseline(struct pipeline *p, char *err, size_t errlen)
{
	struct track_state_more flows;

	if (p->baseline_state == NULL) {
		snprintf(err, errlen, "baseline.state is not set in the config");
		return -1;
	}
	conn_state_hooks(p->conn, &flows);
	return track_state_save(p->track, p->baseline_state, &flows, err,
	    errlen);
}

void
pipeline_warn_geo(const struct pipeline *p)
{
	const struct config_ref *r = config_ref_find(p->cfg, "geo.databases", NULL);
	char where[CONFIG_ERR_LEN];

	if (geo_locates_public(p->geo))
		return;
	if (r != NULL)
		config_ref_where(p->cfg, r, where, sizeof(where));
	else
		snprintf(where, sizeof(where), "%s: geo.databases", p->cfg->path);
	log_warnx("%s: the geo data locates no public address: every "
	    "destination's country is unknown (\"??\", foreign); replace it "
	    "with a country database (README: Running as a service)", where);
}

bool
pipeline_has_baseline_state(const struct pipeline *p)
{
	return p->baseline_state != NULL;
}

void
pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *out)
{
	struct detect_stats ds;
	struct track_stats ts;
	size_t i;

	*out = p->stats;
	conn_get_stats(p->conn, &out->conn, &out->flows);
	track_get_stats(p->track, &ts);
	detect_get_stats(track_detect(p->track), &ds);
	agg_get_stats(track_pairs(p->track), &out->pairs);
	baseline_get_stats(track_baseline(p->track), &out->dests);
	names_get_stats(p->names, &out->names);
	out->not_tracked += out->conn.not_tracked;
	out->not_destination += out->conn.not_destination;
	out->pairs_rebound = ts.pairs_rebound;
	out->flows_lost_destination = ts.flows_lost_destination;
	out->alerts = ds.alerts;
	if (p->contain != NULL)
		contain_get_stats(p->contain, &out->contain);
	out->evidence_on = p->evidence != NULL;
	if (p->evidence != NULL)
		evidence_get_stats(p->evidence, &out->evidence);
	conn_evidence_stats(p->conn, &out->evidence_pcap);
	for (i = 0; i < RULES_MAX; i++)
		out->alerts_by_rule[i] = ds.by_rule[i];
}

/* ---- forensic pair table ---- */

/* The pairs, first gathered as sort keys (the row itself is filled only
 * when it is handed over, one at a time: 1M pairs take 64 MB, not 560). */
struct pair_key {
	struct netaddr src, dst;
	const struct pair *pr;
	struct dest *d;            /* NULL: its destination is gone */
	uint32_t name;             /* its dst_host at names + name */
	bool has_dst;
};

struct pair_list {
	struct pipeline *p;
	struct pair_key *v;
	size_t n, cap;
	char *names;               /* the keys' dst_host, NUL-terminated */
	size_t names_len, names_cap;
};

/* The NUL-terminated name s appended to l's names: its offset. */
static uint32_t
list_name(struct pair_list *l, const char *s)
{
	size_t len = strlen(s) + 1, off = l->names_len;

	while (l->names_cap - l->names_len < len) {
		l->names_cap = l->names_cap ? l->names_cap * 2 : 64 * 1024;
		l->names = xreallocarray(l->names, l->names_cap, 1);
	}
	memcpy(l->names + off, s, len);
	l->names_len += len;
	return (uint32_t)off;
}

static void
collect_pair(void *ctx, const struct pair *pr)
{
	struct pair_list *l = ctx;
	char name[ALERT_HOST_MAX] = "";
	struct pair_key *k;

	if (l->n == l->cap)
		return;
	k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->src = pr->host;
	k->pr = pr;
	k->d = baseline_get(track_baseline(l->p->track), pr->dest_id, pr->dest_gen);
	if (k->d != NULL) {
		k->has_dst = track_dest_address(l->p->track, k->d, &k->dst);
		dest_host_name(l->p, pr, k->d, name, sizeof(name));
	}
	k->name = list_name(l, name);
	if (pr->watched && l->p->bucket_fn != NULL) {
		struct agg_bucket bk[AGG_BUCKETS];

		agg_buckets(pr, bk);
		emit_bucket(l->p, pr, pr->newest_bucket,
		    bk[pr->newest_bucket % AGG_BUCKETS].out);
	}
}

/* The row of a gathered pair. */
static void
fill_pair(struct pipeline *p, const struct pair_list *l,
    const struct pair_key *k, struct pair_report *r)
{
	const struct pair *pr = k->pr;
	struct alert_totals t;

	memset(r, 0, sizeof(*r));
	r->src = k->src;
	if (k->d != NULL) {
		r->dst = k->dst;
		if (k->has_dst)
			r->dst_asn = geo_asn(p->geo, &r->dst, r->dst_org,
			    sizeof(r->dst_org));
		str_copy(r->dst_host, l->names + k->name, sizeof(r->dst_host));
		r->familiar = k->d->familiar;
	}
	r->dst_country = pr->country;
	r->foreign = !config_is_home(p->cfg, pr->country);
	pair_totals(p, pr, &t);
	r->bytes_out = t.bytes_out;
	r->bytes_in = t.bytes_in;
	r->bytes_served = pr->total_served;
	r->flows = t.flows;
	r->first_ns = pr->first_ns;
	r->records_low = t.records_low;
	r->records_high = t.records_high;
	r->last_ns = t.last_ns;
	memcpy(r->payload, t.payload, sizeof(r->payload));
}

/* By source, destination name, destination address. */
static int
cmp_key(const void *x, const void *y, void *ctx)
{
	const struct pair_key *a = x, *b = y;
	const char *names = ctx;
	int c = netaddr_cmp(&a->src, &b->src);

	if (c == 0)
		c = strcmp(names + a->name, names + b->name);
	if (c == 0)
		c = netaddr_cmp(&a->dst, &b->dst);
	return c;
}

void
pipeline_report_pairs(struct pipeline *p, pipeline_pair_fn fn, void *ctx)
{
	struct pair_report r;
	struct agg_stats st;
	struct pair_list l;
	size_t i;

	agg_get_stats(track_pairs(p->track), &st);
	memset(&l, 0, sizeof(l));
	l.p = p;
	l.cap = st.active;
	l.v = xcalloc(l.cap + 1, sizeof(*l.v));
	agg_foreach(track_pairs(p->track), collect_pair, &l);
	qsort_r(l.v, l.n, sizeof(*l.v), cmp_key, l.names);
	for (i = 0; i < l.n; i++) {
		fill_pair(p, &l, &l.v[i], &r);
		fn(ctx, &r);
	}
	free(l.v);
	free(l.names);
}

/* ---- live mode: reload ---- */

/* contain.enabled changed by a reload: off stops blocking at once (the
 * running contain sees it); on needs the start's privileges unless
 * containment was started. */
static void
note_contain_switch(const struct pipeline *p, const struct config *cfg)
{
	if (p->cfg->contain_enabled == cfg->contain_enabled)
		return;
	if (!cfg->contain_enabled)
		log_info("%s: contain.enabled: off: alerts block nothing from now "
		    "on (addresses in the sets stay until their timeouts)",
		    cfg->path);
	else if (p->contain == NULL)
		log_warnx("%s: contain.enabled: on takes effect at the next "
		    "restart", cfg->path);
	else
		log_info("%s: contain.enabled: on again", cfg->path);
}

static void
warn_restart_only(const struct config *old, const struct config *cfg)
{
	if (old->limit_flows != cfg->limit_flows ||
	    old->limit_pairs != cfg->limit_pairs ||
	    old->limit_destinations != cfg->limit_destinations ||
	    old->limit_names != cfg->limit_names ||
	    old->limit_hosts != cfg->limit_hosts ||
	    old->limit_app_parsers != cfg->limit_app_parsers ||
	    old->limit_half_open_per_host != cfg->limit_half_open_per_host)
		log_warnx("%s: limits: changes take effect at the next restart",
		    cfg->path);
	if (old->evidence_enabled != cfg->evidence_enabled ||
	    !str_eq_nullable(old->evidence_dir, cfg->evidence_dir) ||
	    old->evidence_max_open != cfg->evidence_max_open ||
	    old->evidence_lookback != cfg->evidence_lookback ||
	    old->evidence_ring != cfg->evidence_ring)
		log_warnx("%s: evidence: enabled, dir, max_open, lookback and ring "
		    "take effect at the next restart", cfg->path);
	if (!str_eq_nullable(old->baseline_state, cfg->baseline_state))
		log_warnx("%s: baseline.state: a new path takes effect at the next "
		    "restart", cfg->path);
}

/* Geo databases of cfg (geo.databases, geo.asn) into a new table, the
 * files opened anew; NULL with err on any error (at start-up, or a reload
 * that keeps the old tables). */
static struct geo *
load_geo(const struct config *cfg, char *err, size_t errlen)
{
	struct geo *g = geo_new();
	size_t i;

	for (i = 0; i < cfg->n_geo_databases; i++)
		if (geo_load(g, cfg->geo_databases[i], err, errlen) != 0)
			goto fail;
	if (cfg->geo_asn != NULL &&
	    geo_load_asn(g, cfg->geo_asn, err, errlen) != 0)
		goto fail;
	if (cfg->n_baseline_allow_asns > 0 && cfg->geo_asn == NULL)
		log_warnx("%s: baseline.allow: AS entries match nothing without "
		    "geo.asn", cfg->path);
	if ((cfg->baseline_familiar_by & BASELINE_BY_ASN) && cfg->geo_asn == NULL)
		log_warnx("%s: baseline.familiar_by: asn makes nothing familiar "
		    "without geo.asn", cfg->path);
	return g;
fail:
	geo_free(g);
	return NULL;
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
	struct ioc_lists *ioc;
};

struct pipeline_update *
pipeline_prepare_config(struct pipeline *p, const struct config *cfg,
    char *err, size_t errlen)
{
	struct pipeline_update *u;
	struct geo *geo;

	if ((geo = load_geo(cfg, err, errlen)) == NULL)
		goto fail;
	if (check_hosts(cfg, &p->key, err, errlen) != 0) {
		geo_free(geo);
		goto fail;
	}
	u = xcalloc(1, sizeof(*u));
	u->cfg = cfg;
	u->geo = geo;
	/* the new indicator lists first: on failure the old ones stay */
	if ((u->ioc = indicators_prepare(p->ioc, cfg, err, errlen)) == NULL) {
		pipeline_discard_config(u);
		goto fail;
	}
	return u;
fail:
	config_blame(cfg, err, errlen);
	return NULL;
}

void
pipeline_discard_config(struct pipeline_update *u)
{
	if (u == NULL)
		return;
	geo_free(u->geo);
	indicators_discard(u->ioc);
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
	note_contain_switch(p, cfg);
	geo_free(p->geo);
	p->geo = u->geo;
	p->cfg = cfg;
	indicators_commit(p->ioc, u->ioc);
	track_apply_config(p->track, cfg, p->geo);
	conn_apply_config(p->conn, cfg);
	if (p->contain != NULL)
		contain_apply_config(p->contain, cfg);
	if (p->evidence != NULL)
		evidence_apply_config(p->evidence, cfg);
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

bool
pipeline_refresh_indicators(struct pipeline *p)
{
	if (!indicators_refresh(p->ioc))
		return false;
	/* pairs settled as benign are asked again (a listed one never is) */
	aggtab_reset_verdicts(track_pairs(p->track), false);
	return true;
}

int
pipeline_start_contain(struct pipeline *p, const struct contain_ops *ops,
    char *err, size_t errlen)
{
	if (!p->cfg->contain_enabled || p->contain != NULL)
		return 0;
	if ((p->contain = contain_new(p->cfg, ops, err, errlen)) == NULL)
		return -1;
	if (p->cfg->contain_exec != NULL)
		log_info("contain: on: alerts of the listed rules run %s",
		    p->cfg->contain_exec);
	else
		log_info("contain: on: alerts of the listed rules block their "
		    "destination in nft table %s %s, sets %s and %s",
		    p->cfg->contain_nft_family, p->cfg->contain_nft_table,
		    p->cfg->contain_nft_set, p->cfg->contain_nft_set6);
	return 0;
}

void
pipeline_set_name_lookup(struct pipeline *p, pipeline_lookup_fn fn, void *ctx)
{
	track_set_lookup(p->track, fn, ctx);
}

void
pipeline_learn_name(struct pipeline *p, const char *name,
    const struct netaddr *addr, uint64_t ts_ns)
{
	names_put(p->names, name, addr, NAME_FROM_LOOKUP, ts_ns);
}
