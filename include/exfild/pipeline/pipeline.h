/*
 * pipeline.h - the stages wired together, one frame (or log event) in,
 * alerts out: decode (decode/), the per-packet stage (track/conn.h: roles,
 * flows, the real destination behind a proxy), the binding stage
 * (track/track.h: (host, destination) pairs, baseline), the rule engine
 * (detect/), and alerts made for the outputs. Sources (replay, live, logs)
 * feed it; it never allocates per packet.
 */
#ifndef EXFILD_PIPELINE_H
#define EXFILD_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/track/agg.h"
#include "exfild/alert/alert.h"
#include "exfild/evidence/evidence.h"
#include "exfild/evidence/evpcap.h"
#include "exfild/track/baseline.h"
#include "exfild/capture/capture_file.h"
#include "exfild/config/config.h"
#include "exfild/contain/contain.h"
#include "exfild/decode/decode.h"
#include "exfild/track/conn.h"
#include "exfild/track/event.h"
#include "exfild/track/flow.h"
#include "exfild/enrich/names.h"
#include "exfild/proto/proto_http.h"

struct pipeline_stats {
	uint64_t frames;
	uint64_t wire_bytes;
	uint64_t first_ns, last_ns;
	struct decode_stats decode;
	struct flow_stats flows;
	struct agg_stats pairs;
	struct baseline_stats dests;
	struct names_stats names;
	struct conn_stats conn;    /* the per-packet stage's counters */
	uint64_t not_tracked;      /* packets (conn.not_tracked) and log events
				    * not ours: internal-to-internal, transit */
	uint64_t not_destination;  /* packets (conn.not_destination) and log
				    * events whose far end is multicast,
				    * broadcast, link-local or unspecified */
	uint64_t pairs_rebound;    /* flows whose evicted pair was made again */
	uint64_t flows_lost_destination; /* ... whose destination was evicted too */
	uint64_t log_records;      /* log events handed to pipeline_event */
	uint64_t alerts;
	uint64_t alerts_by_rule[RULES_MAX]; /* by rule registry index */
	struct contain_stats contain; /* all 0 when containment is off */
	bool evidence_on;          /* evidence.enabled (the counters below) */
	struct evidence_stats evidence; /* zero when evidence is off */
	struct evpcap_stats evidence_pcap; /* the packet ring's pcaps (zero
					    * when lookback is 0) */
};

typedef void (*pipeline_alert_fn)(void *ctx, const struct alert *a);

struct pipeline;

/* The daemon: containment (contain.h) on when cfg->contain_enabled, its
 * alerts then saying what was done; ops NULL: the real nft and hook (a
 * replay never blocks: it does not call this). 0, or -1 with err. */
int pipeline_start_contain(struct pipeline *p, const struct contain_ops *ops,
    char *err, size_t errlen);

/* Loads geo databases, the hosts file and the baseline state named in cfg.
 * source names the input in alerts ("pcap", "live", ...). cfg must outlive
 * the pipeline (or be replaced with pipeline_apply_config). */
struct pipeline *pipeline_new(const struct config *cfg, const char *source,
    pipeline_alert_fn fn, void *ctx, char *err, size_t errlen);
void pipeline_free(struct pipeline *p);
/* With evidence.enabled, uploads are kept for alerts from now on (the
 * evidence directory made and read: evidence/evidence.h); a capture
 * replay and the daemon ask, exfild -t does not. 0, or -1 with err (the
 * pipeline goes on without evidence). */
int pipeline_keep_evidence(struct pipeline *p, char *err, size_t errlen);

void pipeline_frame(struct pipeline *p, int linktype, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen, uint64_t ts_ns);
/* The same for each of n frames in turn (a replay's batch): the table
 * lookups of the batch overlap. Batches of PIPELINE_BATCH_MAX. */
#define PIPELINE_BATCH_MAX 16
void pipeline_frames(struct pipeline *p, const struct capture_pkt *frames,
    size_t n);
/* Time passes without packets (live mode timer): expire idle flows. */
void pipeline_tick(struct pipeline *p, uint64_t now_ns);
/* (Replay and timer alike, once a second of input time while alerts are
 * open: an alert whose rules.suppress period ended, or whose pair was
 * evicted, gets its update through the alert function, kind
 * ALERT_KIND_UPDATE.) */
/* Timer (live mode): re-evaluates the rules for pairs with traffic since
 * since_ns, their windows moved to now_ns, so that a verdict that changes
 * with time alone (a reload's new thresholds, a ratio as bytes age out)
 * is not left waiting for the pair's next packet. */
void pipeline_evaluate_recent(struct pipeline *p, uint64_t since_ns,
    uint64_t now_ns);
/* Live mode: fn is asked for the address of a destination name that
 * neither DNS answers on the wire nor the hosts file gave (for geo). It
 * must not block; its answer comes back through pipeline_learn_name. */
typedef void (*pipeline_lookup_fn)(void *ctx, const char *name, uint64_t ts_ns);
void pipeline_set_name_lookup(struct pipeline *p, pipeline_lookup_fn fn, void *ctx);
void pipeline_learn_name(struct pipeline *p, const char *name,
    const struct netaddr *addr, uint64_t ts_ns);
/* A traffic event that comes without packets: a proxy or sensor log line
 * (Squid, Zeek), made by logs/logevent.h. The same binding, pairs and rules
 * as packets; bytes are the log's (application bytes, not IP-layer). An
 * event whose host is not internal, or whose destination address is, is
 * counted (not_tracked) and dropped. */
void pipeline_event(struct pipeline *p, const struct traffic_event *ev);
/* Alerts followed for their alert-update record (alert/open_alerts.h):
 * at most this many at once (the oldest is updated early to make room). */
#define PIPELINE_OPEN_ALERTS 256
/* End of input (a replay's end, the daemon's exit): every alert still
 * followed gets its update, with its pair's totals, at the last input
 * time. Before pipeline_report_pairs, so both show the same totals. */
void pipeline_close_alerts(struct pipeline *p);
/* End of input: release every flow. */
void pipeline_finish(struct pipeline *p);

/*
 * SIGHUP: switch to cfg (validated by config_load) without losing flows or
 * windows. Geo databases, the hosts file and the indicator lists are
 * loaded first; on any error
 * nothing changes and -1 is returned with err. Networks apply to flows that
 * start afterwards; the window width, rules, allow-list and learning period
 * at once; table sizes (limits:) and baseline.state only at a restart (a
 * warning says so). cfg must outlive the pipeline or the next apply.
 */
int pipeline_apply_config(struct pipeline *p, const struct config *cfg,
    char *err, size_t errlen);
/* The same in two steps, for a reload that has more to prepare (outputs):
 * prepare loads and checks everything (NULL with err: nothing changed);
 * commit cannot fail; discard drops a prepared update. */
struct pipeline_update;
struct pipeline_update *pipeline_prepare_config(struct pipeline *p,
    const struct config *cfg, char *err, size_t errlen);
void pipeline_commit_config(struct pipeline *p, struct pipeline_update *u);
void pipeline_discard_config(struct pipeline_update *u);

/* The indicator lists whose files changed (mtime, size, inode), read
 * again (the daemon's indicators_check timer); one that fails keeps its
 * entries. True when any changed: verdicts are worked out again. */
bool pipeline_refresh_indicators(struct pipeline *p);

int pipeline_save_baseline(struct pipeline *p, char *err, size_t errlen);
/* baseline.state was set when the pipeline was made (its path stays until
 * a restart, whatever a reload says). */
bool pipeline_has_baseline_state(const struct pipeline *p);
/* A warning when the geo data locates no public address (geo.h): every
 * destination would be of unknown country. Start-up, reload and -t. */
void pipeline_warn_geo(const struct pipeline *p);
void pipeline_get_stats(const struct pipeline *p, struct pipeline_stats *out);

/*
 * The bytes out of the pairs that alerted, per window bucket (a report's
 * timeline): from a pair's first alert on, fn gets each of its buckets
 * [start_ns, start_ns + width_ns): the window's then, each later one as it
 * closes, the open one at pipeline_report_pairs. A later call for the same
 * bucket replaces the earlier figure. Set before the input.
 */
typedef void (*pipeline_bucket_fn)(void *ctx, const struct netaddr *src,
    const char *dst_host, const struct netaddr *dst, uint64_t start_ns,
    uint64_t width_ns, uint64_t bytes_out);
void pipeline_watch_alerted(struct pipeline *p, pipeline_bucket_fn fn,
    void *ctx);

typedef void (*pipeline_pair_fn)(void *ctx, const struct pair_report *r);
/* Every (host, destination) pair, sorted by host, then destination. */
void pipeline_report_pairs(struct pipeline *p, pipeline_pair_fn fn, void *ctx);

#endif
