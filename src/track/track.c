/*
 * track.c - the binding stage (see track.h): one path from a traffic event
 * to its (internal host, destination) pair, the pair's windows, and the
 * rule engine. Runs per event without allocating.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/detect/registry.h"
#include "exfild/track/track.h"
#include "exfild/util/log.h"

#define RARE __attribute__((noinline, cold))
/* how often a flow marks its destination in use (baseline LRU) */
#define DEST_TOUCH_NS (1ULL * NS_PER_SEC)

/*
 * What a pair fed by a proxy log needs for its alerts that packets do not
 * have: which log and which user, kept beside the pair (by slot id and
 * generation) so that an alert raised later, by the timer or after a
 * reload, still says so. 64 bytes a slot, touched only by log records.
 */
struct pair_note {
	uint32_t gen;     /* the pair's generation when written */
	uint8_t source;   /* enum event_source; 0: packets */
	char user[59];
};

struct tracker {
	const struct config *cfg;
	struct aggtab *pairs;
	struct baseline *baseline;
	struct hosttab *hosts;
	struct names *names;
	struct geo *geo;
	struct detect *detect;
	struct indicators *ioc;       /* indicator lists (NULL: none) */
	bool answering;               /* asking for a DNS answer (track_dns_answer) */
	/* the engine's gates (read per packet): bytes, connections, timer */
	const struct detect_gate *gate_bytes, *gate_conn, *gate_tick;
	struct pair_note *notes;      /* per pair slot */
	size_t n_notes;
	track_alert_fn alert_fn;
	void *alert_ctx;
	track_lookup_fn lookup_fn;
	void *lookup_ctx;
	uint64_t now_ns;
	/* the baseline's learning period, on the input's clock: under way,
	 * and the time at which to look again (learn_check) */
	bool learning;
	uint64_t learn_due_ns;
	bool asking_related;          /* in ask_related (it does not nest) */
	uint64_t run_start_ns;        /* this run's first input: the hosts table
				       * starts empty, so a host is observed
				       * from then on */
	struct track_stats stats;
};

uint64_t
track_note_bytes(size_t pairs)
{
	return (uint64_t)pairs * sizeof(struct pair_note);
}

/* baseline.allow's AS<number> entries ask the geo tables (per destination). */
static uint32_t
dest_asn(void *ctx, const struct netaddr *a)
{
	const struct tracker *t = ctx;

	return geo_asn(t->geo, a, NULL, 0);
}

struct tracker *
track_new(const struct config *cfg, const struct hash_key *key,
    struct geo *geo, struct names *names, track_alert_fn fn, void *ctx)
{
	struct tracker *t = xcalloc(1, sizeof(*t));
	size_t cap[RULE_SCOPE_COUNT] = { 0 };

	t->cfg = cfg;
	t->geo = geo;
	t->names = names;
	t->alert_fn = fn;
	t->alert_ctx = ctx;
	t->pairs = aggtab_new(cfg->limit_pairs, cfg->rules_window_s * NS_PER_SEC,
	    key);
	t->baseline = baseline_new(cfg->limit_destinations, cfg, key);
	t->hosts = hosttab_new(cfg->limit_hosts, key);
	if (t->pairs == NULL || t->baseline == NULL || t->hosts == NULL) {
		track_free(t);
		return NULL;
	}
	baseline_set_asn_lookup(t->baseline, dest_asn, t);
	/* calloc'd pages stay untouched (and cost nothing) without logs */
	t->notes = xcalloc(cfg->limit_pairs, sizeof(*t->notes));
	t->n_notes = cfg->limit_pairs;
	cap[RULE_SCOPE_PAIR] = cfg->limit_pairs;
	cap[RULE_SCOPE_HOST] = hosttab_capacity(t->hosts);
	cap[RULE_SCOPE_DEST] = cfg->limit_destinations;
	t->detect = detect_new(cfg, cap);
	t->gate_bytes = detect_gate(t->detect, RULE_ON_BYTES);
	t->gate_conn = detect_gate(t->detect, RULE_ON_CONN);
	t->gate_tick = detect_gate(t->detect, RULE_ON_TICK);
	return t;
}

void
track_free(struct tracker *t)
{
	if (t == NULL)
		return;
	aggtab_free(t->pairs);
	baseline_free(t->baseline);
	hosttab_free(t->hosts);
	detect_free(t->detect);
	free(t->notes);
	free(t);
}

void
track_apply_config(struct tracker *t, const struct config *cfg, struct geo *geo)
{
	t->cfg = cfg;
	t->geo = geo;
	detect_apply_config(t->detect, cfg);
	baseline_apply_config(t->baseline, cfg);
	aggtab_set_window(t->pairs, cfg->rules_window_s * NS_PER_SEC);
	/* countries and verdicts were settled under the old geo and baseline */
	aggtab_reset_verdicts(t->pairs, true);
	track_recheck_learning(t);
}

void
track_set_lookup(struct tracker *t, track_lookup_fn fn, void *ctx)
{
	t->lookup_fn = fn;
	t->lookup_ctx = ctx;
}

void
track_set_indicators(struct tracker *t, struct indicators *ioc)
{
	t->ioc = ioc;
}

static void
log_learning(const struct tracker *t, uint64_t end_ns, bool over)
{
	struct baseline_stats st;
	char when[RFC3339_LEN];

	format_rfc3339_ms(end_ns, when);
	if (!over) {
		log_info("baseline: learning until %s (baseline.learn); during "
		    "it only rules that alert while learning can fire, and a "
		    "destination is learned when %" PRIu64 " hosts or %" PRIu64
		    " days use it", when, t->cfg->baseline_min_hosts,
		    t->cfg->baseline_min_days);
		return;
	}
	baseline_get_stats(t->baseline, &st);
	log_info("baseline: learning over at %s: %" PRIu64 " of %" PRIu64
	    " destinations familiar (%" PRIu64 " learned)", when, st.familiar,
	    st.destinations, st.learned);
}

/* Is the baseline learning at ts? Moves it into or out of the period,
 * and says so. Pairs settled during learning are settled again after. */
static RARE void
learn_check(struct tracker *t, uint64_t ts_ns)
{
	uint64_t end = baseline_learn_end_ns(t->baseline);
	bool learning;

	if (end == 0) {
		t->learn_due_ns = 0; /* not begun: the first input starts it */
		return;
	}
	learning = ts_ns < end;
	t->learn_due_ns = learning ? end : UINT64_MAX;
	if (learning == t->learning &&
	    learning != baseline_learning_over(t->baseline))
		return;
	t->learning = learning;
	baseline_set_learning_over(t->baseline, !learning);
	/* pairs settled while learning (only allowed destinations were
	 * familiar then) are judged again */
	aggtab_reset_verdicts(t->pairs, false);
	if (t->cfg->baseline_learn_s > 0)
		log_learning(t, end, !learning);
}

void
track_recheck_learning(struct tracker *t)
{
	t->learn_due_ns = 0;
	if (t->now_ns != 0)
		learn_check(t, t->now_ns);
}

void
track_set_now(struct tracker *t, uint64_t ts_ns)
{
	if (t->run_start_ns == 0)
		t->run_start_ns = ts_ns;
	t->now_ns = ts_ns;
	if (ts_ns >= t->learn_due_ns)
		learn_check(t, ts_ns);
}

/* ---- destinations ---- */

bool
track_dest_address(struct tracker *t, struct dest *d, struct netaddr *out)
{
	if (netaddr_is_set(&d->addr)) {
		*out = d->addr;
		return true;
	}
	/* a name that was not known is looked up again only once the names
	 * table has changed (per destination, not per packet or request) */
	if (d->name[0] == '\0' || d->unidentified ||
	    d->lookup_version == names_changes(t->names) + 1)
		return false;
	/* (a name that is an address literal parses the first time or never) */
	if ((d->lookup_version == 0 && netaddr_parse(d->name, out) == 0) ||
	    names_get(t->names, d->name, out)) {
		d->addr = *out;
		return true;
	}
	d->lookup_version = names_changes(t->names) + 1;
	/* live mode: ask the resolver; the answer lands in the names table,
	 * where the pair's next evaluation finds it (the country stays "??",
	 * foreign, until then) */
	if (t->lookup_fn != NULL)
		t->lookup_fn(t->lookup_ctx, d->name, t->now_ns);
	return false;
}

/* The pair's country, when not known yet and the destination's address
 * is; *a, *have: that address, for the caller's own use. */
static void
locate(struct tracker *t, struct pair *pr, struct dest *d, struct netaddr *a,
    bool *have)
{
	*have = track_dest_address(t, d, a);
	if (*have && pr->country == COUNTRY_UNKNOWN)
		pr->country = geo_lookup(t->geo, a);
}

static void
resolve_country(struct tracker *t, struct pair *pr, struct dest *d)
{
	struct netaddr a;
	bool have;

	if (pr->country == COUNTRY_UNKNOWN)
		locate(t, pr, d, &a, &have);
}

/* Its country resolved if it can be, is the destination foreign? Not when
 * its address is internal or its country at home (unknown: foreign). The
 * address is looked up once. */
static bool
resolve_foreign(struct tracker *t, struct pair *pr, struct dest *d)
{
	struct netaddr a;
	bool have;

	locate(t, pr, d, &a, &have);
	if (have && config_is_internal(t->cfg, &a))
		return false;
	return !config_is_home(t->cfg, pr->country);
}

/* ---- learning ---- */

/* The name the pair's host resolved its address destination by, from a
 * DNS answer (not an SNI or Host it wrote itself); NULL when none. */
static const char *
dns_label(struct tracker *t, const struct pair *pr, const struct dest *d,
    char *buf, size_t buflen)
{
	bool from_dns;

	if (d->name[0] != '\0' || pr->via_proxy || !netaddr_is_set(&d->addr) ||
	    !names_label_get(t->names, &pr->host, &d->addr, buf, buflen,
	    &from_dns) || !from_dns)
		return NULL;
	return buf;
}

/* A connection the host opened while learning: the destination's keys
 * count it, once a day per pair. */
static RARE void
note_learning(struct tracker *t, struct pair *pr, const struct dest *d,
    uint64_t ts_ns)
{
	char buf[DEST_NAME_MAX];
	uint32_t day = (uint32_t)(ts_ns / (86400 * NS_PER_SEC)) + 1;

	if (pr->learn_day == day)
		return;
	pr->learn_day = day;
	baseline_note(t->baseline, d, dns_label(t, pr, d, buf, sizeof(buf)),
	    &pr->host, ts_ns);
}

/* Once learning is over, is the destination familiar for this pair: by
 * its own keys, or an address by the name its host resolved it by? */
static bool
pair_familiar(struct tracker *t, const struct pair *pr, const struct dest *d)
{
	char buf[DEST_NAME_MAX];
	const char *label;

	if (d->familiar)
		return true;
	if (t->learning || (label = dns_label(t, pr, d, buf, sizeof(buf))) == NULL)
		return false;
	return baseline_label_familiar(t->baseline, d, label);
}

bool
track_pair_unfamiliar_foreign(struct tracker *t, struct pair *pr)
{
	struct dest *d;

	if (pr->suspect)
		return true;
	if (pr->benign ||
	    (d = baseline_get(t->baseline, pr->dest_id, pr->dest_gen)) == NULL)
		return false;
	return !pair_familiar(t, pr, d) && resolve_foreign(t, pr, d);
}

/* ---- rules ---- */

struct emit_ctx {
	struct tracker *t;
	const struct pair *pair;
	struct dest *dest;
	uint64_t ts_ns;
	const struct traffic_event *ev;
	uint64_t learn_end_ns;
	bool familiar;
};

static void
emit_detection(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct emit_ctx *e = ctx;
	struct detection d;
	char buf[DEST_NAME_MAX];

	/* a host whose traffic alerts teaches the baseline nothing of it */
	if (e->t->learning)
		baseline_alerted(e->t->baseline, e->dest, dns_label(e->t, e->pair,
		    e->dest, buf, sizeof(buf)), &e->pair->host, e->ts_ns);
	d.during_learning = e->t->learning;
	d.rule = r;
	d.severity = sev;
	d.finding = f;
	d.pair = e->pair;
	d.dest = e->dest;
	d.ts_ns = e->ts_ns;
	d.ev = e->ev;
	d.learn_end_ns = e->learn_end_ns;
	d.familiar = e->familiar;
	d.source = track_pair_log(e->t, agg_pair_id(e->t->pairs, e->pair),
	    e->pair->gen, &d.user);
	e->t->alert_fn(e->t->alert_ctx, &d);
}

/*
 * Asks the rules about the pair at ts. The combined gate of the enabled
 * rules comes first (evaluate, below), so that a large benign upload costs
 * two compares a packet: no rule matches below the smallest window
 * threshold, and a pair whose destination is familiar or at home is
 * settled as benign (until a reload) when every enabled rule wants
 * unfamiliar foreign destinations.
 */
static void ask_related(struct tracker *t, const struct pair *pr, uint64_t ts);

/* When the baseline's learning period ends (0: none, or not begun). */
static uint64_t
learn_end(const struct tracker *t)
{
	return t->cfg->baseline_learn_s == 0 ? 0 :
	    baseline_learn_end_ns(t->baseline);
}

/* The destination's indicator-list match (cached per destination by the
 * lists: indicators.h), copied to hit; NULL when not listed. */
static const struct ioc_hit *
listed(struct tracker *t, const struct pair *pr, const struct dest *d,
    struct ioc_hit *hit)
{
	const struct ioc_hit *h;

	if (t->ioc == NULL || (h = indicators_dest(t->ioc, pr->dest_id, d->gen,
	    d->name, &d->addr)) == NULL)
		return NULL;
	*hit = *h;
	hit->dns_answer = t->answering;
	return hit;
}

static RARE void
evaluate_gated(struct tracker *t, struct pair *pr, uint64_t ts, const
    struct traffic_event *ev, const struct detect_gate *g, unsigned why,
    bool milestone)
{
	struct rule_input in;
	struct detect_ids ids;
	struct emit_ctx e;
	struct ioc_hit hit;
	bool looked_up = false;
	struct dest *d;

	d = baseline_get(t->baseline, pr->dest_id, pr->dest_gen);
	if (d == NULL) {
		/* evicted while in use: only a flood of more new destinations
		 * than limits.destinations within a second can do that */
		t->stats.flows_lost_destination++;
		return;
	}
	/* (a connection's binding has just marked it in use) */
	if (why != RULE_ON_CONN)
		baseline_touch(t->baseline, pr->dest_id, pr->dest_gen, ts);
	in.cfg = t->cfg;
	in.ts_ns = ts;
	in.why = why;
	in.at_milestone = milestone;
	in.learn_end_ns = learn_end(t);
	in.learning = t->learning;
	in.ev = ev;
	in.pair = pr;
	in.dest = d;
	in.host = pr->host_id != AGG_NONE ?
	    hosts_get(t->hosts, pr->host_id, pr->host_gen) : NULL;
	in.ioc = NULL;
	if (pr->suspect) {
		in.familiar = false;
		in.foreign = true;
	} else {
		in.familiar = pair_familiar(t, pr, d);
		in.foreign = resolve_foreign(t, pr, d);
		/* familiar, or at home: a home country or an internal address
		 * (an unknown country counts as foreign, so it is not settled);
		 * never a destination on an indicator list */
		if (in.familiar || !in.foreign) {
			in.ioc = listed(t, pr, d, &hit);
			looked_up = true;
			if (in.ioc == NULL) {
				pr->benign = true;
				if (g->all_unfamiliar_foreign)
					return;
			}
		} else if (pr->country != COUNTRY_UNKNOWN) {
			pr->suspect = true;
		}
	}
	if (!looked_up && g->any_listed)
		in.ioc = listed(t, pr, d, &hit);
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = agg_pair_id(t->pairs, pr);
	ids.gen[RULE_SCOPE_PAIR] = pr->gen;
	ids.id[RULE_SCOPE_DEST] = pr->dest_id;
	ids.gen[RULE_SCOPE_DEST] = pr->dest_gen;
	if (in.host != NULL) {
		ids.id[RULE_SCOPE_HOST] = pr->host_id;
		ids.gen[RULE_SCOPE_HOST] = pr->host_gen;
	}
	e.t = t;
	e.pair = pr;
	e.dest = d;
	e.ts_ns = ts;
	e.ev = ev;
	e.learn_end_ns = in.learn_end_ns;
	e.familiar = in.familiar;
	detect_eval(t->detect, &in, &ids, emit_detection, &e);
	ask_related(t, pr, ts);
}

/*
 * The hosts a rule that matched named as related (a campaign's earlier
 * members): their pairs with the same destination are asked now, as the
 * timer would ask them, so that every member alerts at the moment the
 * campaign is complete. Not again from there.
 */
static void
ask_related(struct tracker *t, const struct pair *pr, uint64_t ts)
{
	struct netaddr hosts[DETECT_RELATED_MAX];
	struct pair *other;
	uint32_t dest_id = pr->dest_id, dest_gen = pr->dest_gen, id;
	size_t i, n = detect_take_related(t->detect, hosts, DETECT_RELATED_MAX);

	if (n == 0 || t->asking_related)
		return;
	t->asking_related = true;
	for (i = 0; i < n; i++) {
		other = agg_find(t->pairs, &hosts[i], dest_id, dest_gen, &id);
		if (other != NULL && other != pr)
			evaluate_gated(t, other, ts, NULL, t->gate_tick, RULE_ON_TICK,
			    false);
	}
	t->asking_related = false;
}

/* The multiple of step after total (UINT64_MAX: none, or past the end). */
static uint64_t
next_milestone(uint64_t total, uint64_t step)
{
	uint64_t k = total / step + 1;

	return step == UINT64_MAX || k > UINT64_MAX / step ? UINT64_MAX : k * step;
}

static inline void
evaluate(struct tracker *t, struct pair *pr, uint64_t ts, const
    struct traffic_event *ev, const struct detect_gate *g, unsigned why)
{
	bool milestone;

	if (!g->any || (pr->benign && g->all_unfamiliar_foreign))
		return;
	if (why != RULE_ON_BYTES) {
		evaluate_gated(t, pr, ts, ev, g, why, false);
		return;
	}
	milestone = pr->total_out >= pr->next_eval_out;
	if (pr->win.out < g->min_window_out &&
	    pr->win.compressed < g->min_window_compressed && !milestone)
		return;
	/* milestones at multiples of the step: an upload that stops at a
	 * threshold that is one is asked there */
	if (milestone)
		pr->next_eval_out = next_milestone(pr->total_out,
		    g->every_bytes_out);
	evaluate_gated(t, pr, ts, ev, g, why, milestone);
}

/* ---- binding ---- */

/* A new pair is asked at its first byte milestone (none when no rule
 * wants milestones). */
static void
first_milestone(struct tracker *t, struct pair *pr)
{
	if (pr->next_eval_out == 0 && pr->total_out == 0)
		pr->next_eval_out = t->gate_bytes->every_bytes_out;
}

static void
credit_pending(struct tracker *t, struct flow *f, struct pair *pr, uint64_t ts)
{
	if (f->pending_out == 0 && f->pending_in == 0 && f->pending_text == 0)
		return;
	agg_add_bytes(t->pairs, pr, ts, f->pending_out, f->pending_in);
	agg_add_kind(t->pairs, pr, ts, PK_TEXT, f->pending_text);
	f->pending_out = f->pending_in = f->pending_text = 0;
}

static void
keep_binding(struct flow *f, const struct traffic_event *ev, struct pair *pr,
    uint32_t pair_id, uint32_t dest_id, const struct dest *d)
{
	f->pair_id = pair_id;
	f->pair_gen = pr->gen;
	f->pair = pr;
	f->dest_id = dest_id;
	f->dest_gen = d->gen;
	f->pair_host = ev->host;
	f->dst_port = ev->dst_port;
}

static void
note_log(struct tracker *t, const struct traffic_event *ev, const struct pair *pr,
    uint32_t pair_id)
{
	track_restore_pair_log(t, pair_id, pr->gen, ev->source, ev->user);
}

void
track_restore_pair_log(struct tracker *t, uint32_t pair_id, uint32_t pair_gen,
    enum event_source source, const char *user)
{
	struct pair_note *note;

	if (pair_id >= t->n_notes)
		return;
	note = &t->notes[pair_id];
	note->gen = pair_gen;
	note->source = (uint8_t)source;
	str_copy(note->user, user != NULL ? user : "", sizeof(note->user));
}

enum event_source
track_pair_log(const struct tracker *t, uint32_t pair_id, uint32_t pair_gen,
    const char **user)
{
	const struct pair_note *note;

	*user = "";
	if (pair_id >= t->n_notes)
		return EVENT_PACKETS;
	note = &t->notes[pair_id];
	if (note->source == EVENT_PACKETS || note->gen != pair_gen)
		return EVENT_PACKETS;
	*user = note->user;
	return (enum event_source)note->source;
}

uint64_t
track_observed_since(const struct tracker *t)
{
	return t->run_start_ns;
}

void
track_restore_observed_since(struct tracker *t, uint64_t ts_ns)
{
	t->run_start_ns = ts_ns;
}

/*
 * A connection (or request) of the pair's host starts: the host's activity
 * is noted, and the rules that observe connections are asked, for those
 * the host opened (a connection opened from outside feeds no rule).
 */
static void
note_connection(struct tracker *t, const struct traffic_event *ev,
    struct pair *pr)
{
	struct host *h;
	uint64_t idle; /* (the hosts table notes the waking itself) */
	uint32_t id;

	/* a new host has been quiet since observation began (this run's
	 * first input, or the first run's when the state was loaded: the hosts
	 * table is saved with it) */
	h = hosts_connection(t->hosts, &ev->host, pr->host_id, pr->host_gen,
	    ev->opened_by_peer, ev->conn_ns,
	    t->run_start_ns != 0 ? t->run_start_ns : ev->conn_ns, &idle, &id);
	pr->host_id = id;
	pr->host_gen = h->gen;
	if (!ev->opened_by_peer)
		evaluate(t, pr, ev->ts_ns, ev, t->gate_conn, RULE_ON_CONN);
}

struct pair *
track_bind(struct tracker *t, const struct traffic_event *ev, struct flow *f)
{
	struct dest *d;
	struct pair *pr;
	uint32_t dest_id, pair_id;
	bool new_flow;

	/* the host's look-up (note_connection) waits on two cache misses that
	 * do not depend on the destination's: started now, they overlap it */
	if (ev->conn_start)
		hosts_prefetch(t->hosts, &ev->host);
	dest_id = baseline_observe(t->baseline, ev->dst_name, &ev->dst_addr,
	    ev->ts_ns, &d);
	if (d == NULL)
		return NULL; /* neither a name nor an address: nothing to key on */
	if (ev->conn_start)
		hosts_prefetch_entry(t->hosts);
	pr = agg_get(t->pairs, &ev->host, dest_id, d->gen, ev->ts_ns, &pair_id);
	if (ev->conn_start && !ev->opened_by_peer)
		detect_prefetch_conn(t->detect, pair_id);
	first_milestone(t, pr);
	new_flow = f != NULL ? f->pair_id != pair_id || f->pair_gen != pr->gen :
	    ev->conn_start;
	if (new_flow)
		agg_add_flow(t->pairs, pr, ev->ts_ns);
	if (f != NULL)
		keep_binding(f, ev, pr, pair_id, dest_id, d);
	if (f != NULL || ev->dst_port != 0)
		pr->dst_port = ev->dst_port;
	if (f != NULL || ev->conn_start)
		pr->via_proxy = ev->via_proxy;
	pr->jewel = ev->jewel;
	resolve_country(t, pr, d);
	if (f != NULL)
		credit_pending(t, f, pr, ev->ts_ns);
	if (ev->source != EVENT_PACKETS)
		note_log(t, ev, pr, pair_id);
	if (ev->conn_start && !ev->opened_by_peer && t->learning)
		note_learning(t, pr, d, ev->ts_ns);
	if (ev->conn_start)
		note_connection(t, ev, pr);
	return pr;
}

/* A destination in use must not be evicted from the baseline: marked at
 * most once a second per flow. */
static inline void
touch_dest(struct tracker *t, struct flow *touch, uint64_t ts)
{
	if (touch != NULL && ts - touch->dest_touch_ns >= DEST_TOUCH_NS) {
		touch->dest_touch_ns = ts;
		baseline_touch(t->baseline, touch->dest_id, touch->dest_gen, ts);
	}
}

/*
 * A DNS answer to an internal host: name has address addr. When either is
 * on an indicator list, the pair (host, name) is made and asked as by the
 * timer (nothing counts as a connection or as bytes); the host's pair with
 * a listed name's address, settled before, is asked again.
 */
void
track_dns_answer(struct tracker *t, const struct netaddr *client,
    const char *name, const struct netaddr *addr, uint64_t ts_ns)
{
	struct dest_ref ref;
	struct pair *pr;
	struct dest *d;
	uint32_t dest_id, dest_gen, pair_id;
	bool learned;

	if (t->ioc == NULL || !config_is_internal(t->cfg, client) ||
	    !indicators_answer(t->ioc, name, addr, &learned))
		return;
	memset(&ref, 0, sizeof(ref));
	ref.addr = *addr;
	if (learned && baseline_find_ref(t->baseline, &ref, &dest_id, &dest_gen) &&
	    (pr = agg_find(t->pairs, client, dest_id, dest_gen, &pair_id)) != NULL)
		pr->benign = false;
	dest_id = baseline_observe(t->baseline, name, addr, ts_ns, &d);
	if (d == NULL)
		return;
	pr = agg_get(t->pairs, client, dest_id, d->gen, ts_ns, &pair_id);
	first_milestone(t, pr);
	resolve_country(t, pr, d);
	t->answering = true;
	evaluate(t, pr, ts_ns, NULL, t->gate_tick, RULE_ON_TICK);
	t->answering = false;
}

void
track_prefetch(const struct tracker *t, const struct flow *f, uint64_t ts_ns)
{
	/* the lines of a pair that every packet reads and writes (agg.h) */
	__builtin_prefetch(f->pair, 1);
	__builtin_prefetch((const char *)f->pair + 64, 1);
	if (ts_ns - f->dest_touch_ns >= DEST_TOUCH_NS)
		baseline_prefetch(t->baseline, f->dest_id);
}

/* Bytes a host reads from a crown jewel: its pulls (rule staging). */
static RARE void
note_pull(struct tracker *t, struct pair *pr, const struct traffic_event *ev)
{
	struct host *h;

	if (pr->host_id == AGG_NONE ||
	    (h = hosts_get(t->hosts, pr->host_id, pr->host_gen)) == NULL)
		return;
	hosts_pull(h, pr->jewel - 1u, ev->bytes_in, ev->ts_ns);
}

/* What a host sends on a connection opened from outside (a public server
 * answering visitors) is served, not uploaded: counted apart, and no rule
 * is asked. What it receives counts as usual. */
static RARE void
serve(struct tracker *t, struct pair *pr, const struct traffic_event *ev,
    struct flow *touch)
{
	pr->total_served += ev->bytes_out;
	agg_add_bytes(t->pairs, pr, ev->ts_ns, 0, ev->bytes_in);
	touch_dest(t, touch, ev->ts_ns);
}

void
track_account(struct tracker *t, struct pair *pr, const struct traffic_event *ev,
    struct flow *touch)
{
	uint32_t kinds;
	unsigned k;

	if (ev->opened_by_peer) {
		serve(t, pr, ev, touch);
		return;
	}
	if (pr->jewel != 0 && ev->bytes_in > 0)
		note_pull(t, pr, ev);
	/* (also moves the window to the event's time) */
	agg_add_bytes(t->pairs, pr, ev->ts_ns, ev->bytes_out, ev->bytes_in);
	touch_dest(t, touch, ev->ts_ns);
	for (kinds = ev->kinds; kinds != 0; kinds &= kinds - 1) {
		k = (unsigned)__builtin_ctz(kinds);
		agg_add_kind(t->pairs, pr, ev->ts_ns, (enum payload_kind)k,
		    ev->kind_bytes[k]);
	}
	if (ev->from_host)
		evaluate(t, pr, ev->ts_ns, ev, t->gate_bytes, RULE_ON_BYTES);
}

bool
track_event(struct tracker *t, const struct traffic_event *ev)
{
	struct pair *pr = track_bind(t, ev, NULL);

	if (pr == NULL)
		return false;
	track_account(t, pr, ev, NULL);
	return true;
}

/*
 * The pair was evicted (the table was full) while this flow still sends:
 * get it again for the same destination, so that a flood of new pairs
 * cannot hide a running upload. Its window starts afresh.
 */
RARE struct pair *
track_flow_rebind(struct tracker *t, struct flow *f, uint64_t ts)
{
	struct pair *pr;
	struct dest *d;
	uint32_t pair_id;

	if ((d = baseline_get(t->baseline, f->dest_id, f->dest_gen)) == NULL) {
		t->stats.flows_lost_destination++;
		f->pair_id = FLOW_NONE; /* its destination was evicted too */
		return NULL;
	}
	pr = agg_get(t->pairs, &f->pair_host, f->dest_id, f->dest_gen, ts, &pair_id);
	first_milestone(t, pr);
	agg_add_flow(t->pairs, pr, ts);
	f->pair_id = pair_id;
	f->pair_gen = pr->gen;
	f->pair = pr;
	pr->dst_port = f->dst_port;
	pr->via_proxy = f->via_proxy || f->host_is_proxy;
	resolve_country(t, pr, d);
	t->stats.pairs_rebound++;
	return pr;
}

/* ---- the timer ---- */

struct recent_ctx {
	struct tracker *t;
	uint64_t now_ns;
};

static void
evaluate_pair_now(void *ctx, struct pair *pr)
{
	struct recent_ctx *r = ctx;

	agg_advance(r->t->pairs, pr, r->now_ns);
	evaluate(r->t, pr, r->now_ns, NULL, r->t->gate_tick, RULE_ON_TICK);
}

void
track_evaluate_recent(struct tracker *t, uint64_t since_ns, uint64_t now_ns)
{
	struct recent_ctx r = { t, now_ns };

	agg_foreach_recent(t->pairs, since_ns, evaluate_pair_now, &r);
}

struct aggtab *
track_pairs(struct tracker *t)
{
	return t->pairs;
}

struct names *
track_names(struct tracker *t)
{
	return t->names;
}

struct hosttab *
track_hosts(struct tracker *t)
{
	return t->hosts;
}

struct baseline *
track_baseline(struct tracker *t)
{
	return t->baseline;
}

struct detect *
track_detect(struct tracker *t)
{
	return t->detect;
}

void
track_get_stats(const struct tracker *t, struct track_stats *out)
{
	*out = t->stats;
}
