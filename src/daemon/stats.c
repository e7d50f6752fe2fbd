/*
 * stats.c - counters as a key=value log line and as Prometheus text
 * (text exposition format 0.0.4), served at /metrics by libevent's evhttp
 * on a loopback address only (the endpoint has no authentication).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "exfild/util/cursor.h"
#include "exfild/decode/decode.h"
#include "exfild/util/log.h"
#include "exfild/detect/registry.h"
#include "exfild/daemon/stats.h"
#include "exfild/util/util.h"

#define METRICS_TEXT_MAX (128 * 1024) /* one /metrics answer */
#define HTTP_TIMEOUT_S 10             /* idle or slow client */
#define HTTP_HEADERS_MAX 8192
#define HTTP_BODY_MAX 4096
#define LISTEN_BACKLOG 16

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

static const struct pipeline_stats zero_stats;

static const struct pipeline_stats *
snapshot_pipe(const struct stats_snapshot *s)
{
	return s->pipe != NULL ? s->pipe : &zero_stats;
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static uint64_t
counter_at(const struct pipeline_stats *p, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)p + off, sizeof(v));
	return v;
}

/* ---- the log line ---- */

static bool
line_key_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
	    ch == ':' || ch == '@' || ch == '+';
}

/* An interface name as part of a key: anything that could break the
 * key=value form (blank, '=', control, non-ASCII) as \xNN. */
static void
line_put_name(struct strbuf *sb, const char *name, size_t max)
{
	struct cursor c;
	uint8_t ch;

	cur_init(&c, (const uint8_t *)name, strnlen(name, max));
	while (cur_left(&c) > 0) {
		ch = cur_u8(&c);
		if (line_key_char(ch))
			sb_putc(sb, (char)ch);
		else
			sb_printf(sb, "\\x%02x", ch);
	}
}

static void
line_kv(struct strbuf *sb, const char *key, uint64_t v)
{
	sb_putc(sb, ' ');
	sb_puts(sb, key);
	sb_putc(sb, '=');
	sb_u64(sb, v);
}

static void
line_ifaces(const struct stats_snapshot *s, struct strbuf *sb)
{
	static const char *const keys[] = {
		"received", "dropped", "ifdropped"
	};
	const struct iface_stats *ifs;
	uint64_t v[3];
	size_t i, k;

	for (i = 0; i < s->n_ifaces; i++) {
		ifs = &s->ifaces[i];
		v[0] = ifs->received;
		v[1] = ifs->dropped;
		v[2] = ifs->ifdropped;
		for (k = 0; k < ARRAY_LEN(keys); k++) {
			sb_putc(sb, ' ');
			line_put_name(sb, ifs->name, sizeof(ifs->name));
			sb_printf(sb, ".%s=", keys[k]);
			sb_u64(sb, v[k]);
		}
	}
}

static void
line_malformed(const struct pipeline_stats *p, struct strbuf *sb)
{
	size_t i;

	line_kv(sb, "malformed", p->decode.malformed);
	for (i = 1; i < DEC_REASON_COUNT; i++)
		if (p->decode.reason[i] != 0)
			line_kv(sb, decode_reason_name((enum decode_reason)i),
			    p->decode.reason[i]);
	line_kv(sb, "http", p->conn.http.malformed);
	line_kv(sb, "dns", p->conn.dns_malformed);
	line_kv(sb, "tls", p->conn.tls_malformed);
}

struct line_counter {
	const char *key;
	size_t off;
};

#define PIPE_OFF(member) offsetof(struct pipeline_stats, member)

static const struct line_counter line_tracking[] = {
	{ "flows_active", PIPE_OFF(flows.active) },
	{ "flows_created", PIPE_OFF(flows.created) },
	{ "flows_expired", PIPE_OFF(flows.expired) },
	{ "flows_evicted", PIPE_OFF(flows.evicted) },
	{ "flows_evicted_half_open", PIPE_OFF(flows.evicted_half_open) },
	{ "flows_half_open_refused", PIPE_OFF(flows.half_open_refused) },
	{ "flows_resumed", PIPE_OFF(flows.resumed) },
	{ "pairs_active", PIPE_OFF(pairs.active) },
	{ "pairs_created", PIPE_OFF(pairs.created) },
	{ "pairs_evicted", PIPE_OFF(pairs.evicted) },
	{ "pairs_rebound", PIPE_OFF(pairs_rebound) },
	{ "flows_lost_destination", PIPE_OFF(flows_lost_destination) },
	{ "destinations", PIPE_OFF(dests.destinations) },
	{ "destinations_evicted", PIPE_OFF(dests.evictions) },
	{ "destinations_familiar", PIPE_OFF(dests.familiar) },
	{ "destinations_learned", PIPE_OFF(dests.learned) },
	{ "baseline_learning", PIPE_OFF(dests.learning) },
	{ "baseline_learn_end", PIPE_OFF(dests.learn_end_s) },
	{ "proxy_unidentified", PIPE_OFF(conn.proxy_unidentified) },
	{ "http_requests", PIPE_OFF(conn.http.requests) },
	{ "tls_sni", PIPE_OFF(conn.tls_sni) },
	{ "dns_answers", PIPE_OFF(conn.dns_answers) },
	{ "dns_untrusted", PIPE_OFF(conn.dns_untrusted) },
	{ "not_tracked", PIPE_OFF(not_tracked) },
	{ "not_destination", PIPE_OFF(not_destination) },
	{ "parser_slots_exhausted", PIPE_OFF(conn.parser_slots_exhausted) },
	{ "parser_slots_reclaimed", PIPE_OFF(conn.parser_slots_reclaimed) },
	{ "contain_blocked", PIPE_OFF(contain.blocked) },
	{ "contain_skipped", PIPE_OFF(contain.skipped) },
	{ "contain_errors", PIPE_OFF(contain.errors) },
};

/* Evidence (evidence/evidence.h): in the line and /metrics only when on. */
static const struct line_counter line_evidence[] = {
	{ "evidence_files", PIPE_OFF(evidence.files) },
	{ "evidence_bytes", PIPE_OFF(evidence.bytes) },
	{ "evidence_deleted", PIPE_OFF(evidence.deleted) },
	{ "evidence_errors", PIPE_OFF(evidence.errors) },
	{ "evidence_cut", PIPE_OFF(evidence.cut) },
	{ "evidence_missing", PIPE_OFF(evidence.missing) },
	{ "evidence_total_bytes", PIPE_OFF(evidence.total) },
	{ "candidates_spooled", PIPE_OFF(evidence.candidates_spooled) },
	{ "candidates_dropped", PIPE_OFF(evidence.candidates_dropped) },
	{ "candidates_deleted", PIPE_OFF(evidence.candidates_deleted) },
	{ "evidence_pcap_files", PIPE_OFF(evidence_pcap.files) },
	{ "evidence_pcap_frames", PIPE_OFF(evidence_pcap.frames) },
	{ "evidence_pcap_missing", PIPE_OFF(evidence_pcap.missing) },
};

static void
line_alerts(const struct pipeline_stats *p, struct strbuf *sb)
{
	const struct rule_def *const *rules;
	size_t n, i;

	rules = rules_registry(&n);
	line_kv(sb, "alerts", p->alerts);
	for (i = 0; i < n; i++)
		line_kv(sb, rules[i]->name, p->alerts_by_rule[i]);
}

/* Outputs: out.<name>.<counter>=N; queue and spool only for syslog. */
static void
line_outputs(const struct stats_snapshot *s, struct strbuf *sb)
{
	const struct output_row *r;
	size_t i, k;

	for (i = 0; i < s->n_outputs; i++) {
		const char *keys[] = { "emitted", "failed", "queued", "spooled",
			"sent", "retried", "dropped" };
		uint64_t v[7];
		size_t nkeys;

		r = &s->outputs[i];
		v[0] = r->emitted;
		v[1] = r->failed;
		v[2] = r->queued;
		v[3] = r->spooled;
		v[4] = r->sent;
		v[5] = r->retried;
		v[6] = r->dropped;
		nkeys = strcmp(r->kind, "syslog") == 0 ? ARRAY_LEN(keys) : 2;
		for (k = 0; k < nkeys; k++) {
			sb_puts(sb, " out.");
			line_put_name(sb, r->name, sizeof(r->name));
			sb_printf(sb, ".%s=", keys[k]);
			sb_u64(sb, v[k]);
		}
	}
}

int
stats_format_line(const struct stats_snapshot *s, struct strbuf *out)
{
	const struct pipeline_stats *p = snapshot_pipe(s);
	size_t i;

	sb_puts(out, "uptime=");
	sb_u64(out, s->uptime_s);
	sb_putc(out, 's');
	line_kv(out, "rss_kb", s->memory_rss_bytes / 1024);
	line_ifaces(s, out);
	line_kv(out, "packets", p->frames);
	line_kv(out, "bytes", p->wire_bytes);
	line_malformed(p, out);
	for (i = 0; i < ARRAY_LEN(line_tracking); i++)
		line_kv(out, line_tracking[i].key,
		    counter_at(p, line_tracking[i].off));
	for (i = 0; p->evidence_on && i < ARRAY_LEN(line_evidence); i++)
		line_kv(out, line_evidence[i].key,
		    counter_at(p, line_evidence[i].off));
	line_alerts(p, out);
	line_outputs(s, out);
	return out->overflow ? -1 : 0;
}

/* ---- Prometheus text exposition format 0.0.4 ---- */

/* A label value between double quotes: backslash, double quote and line
 * feed escaped as the format requires, invalid UTF-8 as U+FFFD. */
static void
prom_label_value(struct strbuf *sb, const char *s, size_t max)
{
	struct cursor c;
	const uint8_t *seq;
	uint8_t ch;
	size_t n;

	cur_init(&c, (const uint8_t *)s, strnlen(s, max));
	sb_putc(sb, '"');
	while (cur_left(&c) > 0) {
		ch = cur_peek(&c, 0);
		if (ch >= 0x80) {
			n = utf8_sequence(cur_rest(&c), cur_left(&c));
			if (n == 0) {
				sb_puts(sb, UTF8_REPLACEMENT);
				cur_skip(&c, 1);
			} else if ((seq = cur_ptr(&c, n)) != NULL) {
				sb_append(sb, (const char *)seq, n);
			}
			continue;
		}
		cur_skip(&c, 1);
		if (ch == '\\')
			sb_puts(sb, "\\\\");
		else if (ch == '"')
			sb_puts(sb, "\\\"");
		else if (ch == '\n')
			sb_puts(sb, "\\n");
		else
			sb_putc(sb, (char)ch);
	}
	sb_putc(sb, '"');
}

enum metric_type { GAUGE, COUNTER };

static void
prom_family(struct strbuf *sb, const char *name, enum metric_type type,
    const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type == COUNTER ? "counter" : "gauge");
}

static void
prom_value(struct strbuf *sb, uint64_t v)
{
	sb_putc(sb, ' ');
	sb_u64(sb, v);
	sb_putc(sb, '\n');
}

static void
prom_scalar(struct strbuf *sb, const char *name, enum metric_type type,
    const char *help, uint64_t v)
{
	prom_family(sb, name, type, help);
	sb_puts(sb, name);
	prom_value(sb, v);
}

static void
prom_info(const struct stats_snapshot *s, struct strbuf *sb)
{
	prom_family(sb, "exfild_info", GAUGE,
	    "Sensor name and exfild version; the value is always 1.");
	sb_puts(sb, "exfild_info{sensor=");
	prom_label_value(sb, or_empty(s->sensor), SIZE_MAX);
	sb_puts(sb, ",version=");
	prom_label_value(sb, or_empty(s->version), SIZE_MAX);
	sb_puts(sb, "}");
	prom_value(sb, 1);
}

static void
prom_iface_sample(struct strbuf *sb, const char *metric,
    const struct iface_stats *ifs, const char *where, uint64_t v)
{
	sb_printf(sb, "%s{interface=", metric);
	prom_label_value(sb, ifs->name, sizeof(ifs->name));
	if (where != NULL)
		sb_printf(sb, ",where=\"%s\"", where);
	sb_putc(sb, '}');
	prom_value(sb, v);
}

static void
prom_ifaces(const struct stats_snapshot *s, struct strbuf *sb)
{
	size_t i;

	prom_family(sb, "exfild_packets_received_total", COUNTER,
	    "Packets the capture received, per interface "
	    "(pcap_stats ps_recv).");
	for (i = 0; i < s->n_ifaces; i++)
		prom_iface_sample(sb, "exfild_packets_received_total",
		    &s->ifaces[i], NULL, s->ifaces[i].received);
	prom_family(sb, "exfild_packets_dropped_total", COUNTER,
	    "Packets dropped per interface: where=\"kernel\" for want of "
	    "buffer space (ps_drop), where=\"interface\" by the interface or "
	    "driver (ps_ifdrop).");
	for (i = 0; i < s->n_ifaces; i++) {
		prom_iface_sample(sb, "exfild_packets_dropped_total",
		    &s->ifaces[i], "kernel", s->ifaces[i].dropped);
		prom_iface_sample(sb, "exfild_packets_dropped_total",
		    &s->ifaces[i], "interface", s->ifaces[i].ifdropped);
	}
}

struct prom_counter {
	const char *name;
	enum metric_type type;
	const char *help;
	size_t off;
};

static const struct prom_counter prom_pipeline[] = {
	{ "exfild_frames_total", COUNTER,
	    "Frames given to the decoder.", PIPE_OFF(frames) },
	{ "exfild_bytes_total", COUNTER,
	    "Wire length of the frames given to the decoder.",
	    PIPE_OFF(wire_bytes) },
	{ "exfild_flows_active", GAUGE,
	    "Flows in the flow table.", PIPE_OFF(flows.active) },
	{ "exfild_flows_created_total", COUNTER,
	    "Flows created.", PIPE_OFF(flows.created) },
	{ "exfild_flows_expired_total", COUNTER,
	    "Flows released after their idle or close timeout.",
	    PIPE_OFF(flows.expired) },
	{ "exfild_flows_evicted_total", COUNTER,
	    "Flows evicted because the flow table was full.",
	    PIPE_OFF(flows.evicted) },
	{ "exfild_flows_evicted_half_open_total", COUNTER,
	    "Flows without client payload evicted because the flow table "
	    "was full.", PIPE_OFF(flows.evicted_half_open) },
	{ "exfild_flows_half_open_refused_total", COUNTER,
	    "Flows not made: their host held limits.half_open_per_host "
	    "flows without client payload.", PIPE_OFF(flows.half_open_refused) },
	{ "exfild_flows_resumed_total", COUNTER,
	    "Evicted flows taken up again where they were.",
	    PIPE_OFF(flows.resumed) },
	{ "exfild_pairs_active", GAUGE,
	    "(host, destination) pairs in the aggregation table.",
	    PIPE_OFF(pairs.active) },
	{ "exfild_pairs_created_total", COUNTER,
	    "(host, destination) pairs created.", PIPE_OFF(pairs.created) },
	{ "exfild_pairs_evicted_total", COUNTER,
	    "(host, destination) pairs evicted because the table was full.",
	    PIPE_OFF(pairs.evicted) },
	{ "exfild_pairs_rebound_total", COUNTER,
	    "Flows whose evicted pair was made again.", PIPE_OFF(pairs_rebound) },
	{ "exfild_flows_lost_destination_total", COUNTER,
	    "Flows whose destination was evicted while in use.",
	    PIPE_OFF(flows_lost_destination) },
	{ "exfild_destinations_active", GAUGE,
	    "Destinations in the baseline table.",
	    PIPE_OFF(dests.destinations) },
	{ "exfild_destinations_evicted_total", COUNTER,
	    "Destinations evicted because the baseline table was full.",
	    PIPE_OFF(dests.evictions) },
	{ "exfild_destinations_familiar", GAUGE,
	    "Destinations familiar: allowed, or learned.",
	    PIPE_OFF(dests.familiar) },
	{ "exfild_destinations_learned", GAUGE,
	    "Destinations familiar by what the learning period saw.",
	    PIPE_OFF(dests.learned) },
	{ "exfild_baseline_learning", GAUGE,
	    "1 while the baseline is learning (only compressed-upload and "
	    "indicator-match alert), else 0.", PIPE_OFF(dests.learning) },
	{ "exfild_baseline_learn_end_seconds", GAUGE,
	    "When the learning period ends or ended (Unix time; 0: not begun).",
	    PIPE_OFF(dests.learn_end_s) },
	{ "exfild_http_requests_total", COUNTER,
	    "HTTP requests parsed.", PIPE_OFF(conn.http.requests) },
	{ "exfild_tls_sni_total", COUNTER,
	    "TLS ClientHellos with a server name.", PIPE_OFF(conn.tls_sni) },
	{ "exfild_dns_answers_total", COUNTER,
	    "DNS answers read.", PIPE_OFF(conn.dns_answers) },
	{ "exfild_dns_untrusted_total", COUNTER,
	    "DNS answers ignored: not from networks.resolvers.",
	    PIPE_OFF(conn.dns_untrusted) },
	{ "exfild_proxy_unidentified_total", COUNTER,
	    "Proxy flows whose real destination stayed unknown.",
	    PIPE_OFF(conn.proxy_unidentified) },
	{ "exfild_not_tracked_total", COUNTER,
	    "Packets not tracked: internal to internal, transit, "
	    "not TCP or UDP.",
	    PIPE_OFF(not_tracked) },
	{ "exfild_not_destination_total", COUNTER,
	    "Packets and log lines not tracked: their far end is multicast, "
	    "broadcast, link-local or unspecified.",
	    PIPE_OFF(not_destination) },
	{ "exfild_parser_slots_exhausted_total", COUNTER,
	    "Flows left unparsed: there are no parser slots "
	    "(limits.app_parsers).", PIPE_OFF(conn.parser_slots_exhausted) },
	{ "exfild_parser_slots_reclaimed_total", COUNTER,
	    "Parser slots taken from the least recently used flow for another.",
	    PIPE_OFF(conn.parser_slots_reclaimed) },
	{ "exfild_contain_blocked_total", COUNTER,
	    "Alert destinations blocked (contain:): nft set elements added, "
	    "hook runs that exited 0.", PIPE_OFF(contain.blocked) },
	{ "exfild_contain_skipped_total", COUNTER,
	    "Alerts of contain.rules not acted on: never blocked (familiar, "
	    "home, internal, proxy, never, unknown) or over "
	    "contain.max_per_minute.", PIPE_OFF(contain.skipped) },
	{ "exfild_contain_errors_total", COUNTER,
	    "Containment that failed: nft refused, the hook failed or did not "
	    "run.", PIPE_OFF(contain.errors) },
};

static const struct prom_counter prom_evidence[] = {
	{ "exfild_evidence_files_total", COUNTER,
	    "Files stored for alerts (manifest lines).", PIPE_OFF(evidence.files) },
	{ "exfild_evidence_bytes_total", COUNTER,
	    "Bytes written under evidence.dir, candidates included.",
	    PIPE_OFF(evidence.bytes) },
	{ "exfild_evidence_deleted_total", COUNTER,
	    "Alert directories deleted to stay under evidence.max_total.",
	    PIPE_OFF(evidence.deleted) },
	{ "exfild_evidence_errors_total", COUNTER,
	    "Evidence files that could not be created, written or moved.",
	    PIPE_OFF(evidence.errors) },
	{ "exfild_evidence_cut_total", COUNTER,
	    "Evidence files cut: max_bytes, max_total, a gap or an error.",
	    PIPE_OFF(evidence.cut) },
	{ "exfild_evidence_missing_total", COUNTER,
	    "Bodies of a pair under evidence not stored: max_open files open.",
	    PIPE_OFF(evidence.missing) },
	{ "exfild_evidence_bytes", GAUGE,
	    "Bytes under evidence.dir now.", PIPE_OFF(evidence.total) },
	{ "exfild_candidates_spooled_total", COUNTER,
	    "Candidate uploads spooled from their first byte.",
	    PIPE_OFF(evidence.candidates_spooled) },
	{ "exfild_candidates_dropped_total", COUNTER,
	    "Candidate uploads not spooled: evidence.max_open files open.",
	    PIPE_OFF(evidence.candidates_dropped) },
	{ "exfild_candidates_deleted_total", COUNTER,
	    "Candidate uploads deleted: they ended without an alert.",
	    PIPE_OFF(evidence.candidates_deleted) },
	{ "exfild_evidence_pcap_files_total", COUNTER,
	    "Alerted pairs' packets.pcap files made (evidence.lookback).",
	    PIPE_OFF(evidence_pcap.files) },
	{ "exfild_evidence_pcap_frames_total", COUNTER,
	    "Frames written to them, their flows' lookback included.",
	    PIPE_OFF(evidence_pcap.frames) },
	{ "exfild_evidence_pcap_missing_total", COUNTER,
	    "Packets of those flows before the alert the rings no longer held.",
	    PIPE_OFF(evidence_pcap.missing) },
};

static void
prom_malformed_sample(struct strbuf *sb, const char *reason, uint64_t v)
{
	sb_printf(sb, "exfild_malformed_total{reason=\"%s\"}", reason);
	prom_value(sb, v);
}

static void
prom_malformed(const struct pipeline_stats *p, struct strbuf *sb)
{
	size_t i;

	prom_family(sb, "exfild_malformed_total", COUNTER,
	    "Packets or messages rejected as malformed, by reason.");
	for (i = 1; i < DEC_REASON_COUNT; i++)
		prom_malformed_sample(sb,
		    decode_reason_name((enum decode_reason)i),
		    p->decode.reason[i]);
	prom_malformed_sample(sb, "http", p->conn.http.malformed);
	prom_malformed_sample(sb, "dns", p->conn.dns_malformed);
	prom_malformed_sample(sb, "tls", p->conn.tls_malformed);
}

static void
prom_alerts(const struct pipeline_stats *p, struct strbuf *sb)
{
	const struct rule_def *const *rules;
	size_t n, i;

	rules = rules_registry(&n);
	prom_family(sb, "exfild_alerts_total", COUNTER,
	    "Alerts raised, by rule.");
	for (i = 0; i < n; i++) {
		sb_puts(sb, "exfild_alerts_total{rule=");
		prom_label_value(sb, rules[i]->name, SIZE_MAX);
		sb_putc(sb, '}');
		prom_value(sb, p->alerts_by_rule[i]);
	}
}

struct prom_output_metric {
	const char *name;
	enum metric_type type;
	const char *help;
	size_t off;
	bool syslog_only;
};

#define ROW_OFF(member) offsetof(struct output_row, member)

static const struct prom_output_metric prom_output_metrics[] = {
	{ "exfild_output_alerts_total", COUNTER,
	    "Alerts handed to an output.", ROW_OFF(emitted), false },
	{ "exfild_output_failed_total", COUNTER,
	    "Alerts an output could not take (format or write error).",
	    ROW_OFF(failed), false },
	{ "exfild_output_queued", GAUGE,
	    "Alerts waiting in a syslog output's memory queue.", ROW_OFF(queued), true },
	{ "exfild_output_spooled", GAUGE,
	    "Alerts waiting in a syslog output's disk spool.", ROW_OFF(spooled), true },
	{ "exfild_output_sent_total", COUNTER,
	    "Alerts a syslog output delivered.", ROW_OFF(sent), true },
	{ "exfild_output_retried_total", COUNTER,
	    "Alerts a syslog output sent again after a broken connection.",
	    ROW_OFF(retried), true },
	{ "exfild_output_dropped_total", COUNTER,
	    "Alerts a syslog output lost: its spool (or queue) was full.",
	    ROW_OFF(dropped), true },
};

static void
prom_outputs(const struct stats_snapshot *s, struct strbuf *sb)
{
	const struct prom_output_metric *m;
	const struct output_row *r;
	uint64_t v;
	size_t i, k;

	if (s->n_outputs == 0)
		return;
	for (k = 0; k < ARRAY_LEN(prom_output_metrics); k++) {
		m = &prom_output_metrics[k];
		prom_family(sb, m->name, m->type, m->help);
		for (i = 0; i < s->n_outputs; i++) {
			r = &s->outputs[i];
			if (m->syslog_only && strcmp(r->kind, "syslog") != 0)
				continue;
			memcpy(&v, (const char *)r + m->off, sizeof(v));
			sb_printf(sb, "%s{output=", m->name);
			prom_label_value(sb, r->name, sizeof(r->name));
			sb_printf(sb, ",kind=\"%s\"}", r->kind);
			prom_value(sb, v);
		}
	}
}

int
stats_format_prometheus(const struct stats_snapshot *s, struct strbuf *out)
{
	const struct pipeline_stats *p = snapshot_pipe(s);
	const struct prom_counter *m;
	size_t i;

	prom_info(s, out);
	prom_scalar(out, "exfild_uptime_seconds", GAUGE,
	    "Seconds since exfild started.", s->uptime_s);
	prom_scalar(out, "exfild_memory_rss_bytes", GAUGE,
	    "Resident set size of the exfild process.", s->memory_rss_bytes);
	prom_ifaces(s, out);
	for (i = 0; i < ARRAY_LEN(prom_pipeline); i++) {
		m = &prom_pipeline[i];
		prom_scalar(out, m->name, m->type, m->help,
		    counter_at(p, m->off));
	}
	for (i = 0; p->evidence_on && i < ARRAY_LEN(prom_evidence); i++) {
		m = &prom_evidence[i];
		prom_scalar(out, m->name, m->type, m->help,
		    counter_at(p, m->off));
	}
	prom_malformed(p, out);
	prom_alerts(p, out);
	prom_outputs(s, out);
	return out->overflow ? -1 : 0;
}

/* ---- resident set size ---- */

/* Decimal digits at the cursor; false when there are none or they overflow. */
static bool
read_decimal(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	size_t digits = 0;
	uint8_t d;

	while (cur_left(c) > 0 && (d = cur_peek(c, 0)) >= '0' && d <= '9') {
		if (v > (UINT64_MAX - (uint64_t)(d - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(d - '0');
		cur_skip(c, 1);
		digits++;
	}
	*out = v;
	return digits > 0;
}

/* proc(5): statm is "size resident shared text lib data dt", in pages. */
uint64_t
stats_parse_statm(const char *text, size_t len, uint64_t page_size)
{
	struct cursor c;
	uint64_t size, resident;

	cur_init(&c, (const uint8_t *)text, len);
	if (!read_decimal(&c, &size) || cur_u8(&c) != ' ')
		return 0;
	if (!read_decimal(&c, &resident) || cur_u8(&c) != ' ')
		return 0;
	if (page_size != 0 && resident > UINT64_MAX / page_size)
		return 0;
	return resident * page_size;
}

uint64_t
stats_memory_rss(void)
{
	char buf[256];
	ssize_t n;
	long page;
	int fd;

	page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		return 0;
	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	do
		n = read(fd, buf, sizeof(buf));
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return 0;
	return stats_parse_statm(buf, (size_t)n, (uint64_t)page);
}

/* ---- listen address ---- */

#define LISTEN_FORMS "expected host:port or [v6]:port"

static int
listen_error(char *err, size_t errlen, const char *listen, const char *msg)
{
	struct cursor c;
	char q[QUOTE_BUF];

	cur_init(&c, (const uint8_t *)listen,
	    listen != NULL ? strlen(listen) : 0);
	quote_bytes(&c, q, sizeof(q));
	snprintf(err, errlen, "listen address %s: %s", q, msg);
	return -1;
}

/* The message for each way the shared parser refuses a listen address. */
static const char *
listen_why(enum netaddr_hp_err e)
{
	switch (e) {
	case NETADDR_HP_EMPTY:
		return LISTEN_FORMS;
	case NETADDR_HP_NO_BRACKET:
		return "missing \"]\" after the IPv6 address";
	case NETADDR_HP_AFTER_BRACKET:
		return "expected \":\" and a port after \"]\"";
	case NETADDR_HP_NEED_BRACKETS:
		return "an IPv6 address must be in brackets, as in [::1]:9477";
	case NETADDR_HP_NO_PORT:
	case NETADDR_HP_EMPTY_PORT:
		return "missing port (" LISTEN_FORMS ")";
	case NETADDR_HP_BAD_PORT:
		return "port must be a number from 0 to 65535";
	case NETADDR_HP_BAD_V6:
		return "not an IPv6 address between the brackets";
	default:
		return "host must be an IPv4 address or a bracketed IPv6 address "
		    "(names are not resolved)";
	}
}

int
stats_listen_parse(const char *listen, struct sockaddr_storage *out,
    socklen_t *outlen, char *err, size_t errlen)
{
	struct netaddr_hostport hp;
	enum netaddr_hp_err e;

	e = netaddr_hostport_parse(listen, listen != NULL ? strlen(listen) : 0,
	    NETADDR_HP_PORT | NETADDR_HP_PORT_ZERO, &hp);
	if (e != NETADDR_HP_OK)
		return listen_error(err, errlen, listen, listen_why(e));
	/* policy: the endpoint has no authentication */
	if (!netaddr_is_loopback(&hp.addr))
		return listen_error(err, errlen, listen,
		    "not a loopback address (127.0.0.0/8 or [::1]): "
		    "the metrics endpoint has no authentication");
	netaddr_to_sockaddr(&hp.addr, hp.port, out, outlen);
	return 0;
}

/* ---- the HTTP listener ---- */

struct stats_http {
	struct evhttp *http;
	stats_snapshot_fn fn;
	void *ctx;
	uint16_t port;
	char *text; /* METRICS_TEXT_MAX bytes, for one answer at a time */
};

static void
http_reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *content_type, const char *body, size_t len)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evhttp_request_get_output_buffer(req);
	char length[24];

	evhttp_add_header(hdr, "Content-Type", content_type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* libevent 2.1 would send a body given for HEAD (and no
		 * length): send the length alone. */
		snprintf(length, sizeof(length), "%zu", len);
		evhttp_add_header(hdr, "Content-Length", length);
		evhttp_send_reply(req, code, reason, NULL);
		return;
	}
	if (evbuffer_add(buf, body, len) == -1) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_send_reply(req, code, reason, NULL);
}

static void
http_reply_plain(struct evhttp_request *req, int code, const char *reason,
    const char *body)
{
	http_reply_text(req, code, reason, "text/plain; charset=utf-8", body,
	    strlen(body));
}

static void
http_metrics(struct stats_http *h, struct evhttp_request *req)
{
	struct stats_snapshot snap;
	struct strbuf sb;

	memset(&snap, 0, sizeof(snap));
	h->fn(h->ctx, &snap);
	sb_init(&sb, h->text, METRICS_TEXT_MAX);
	if (stats_format_prometheus(&snap, &sb) == -1) {
		log_warnx("stats: metrics text longer than %d bytes; "
		    "answered 500", METRICS_TEXT_MAX);
		http_reply_plain(req, HTTP_INTERNAL, "Internal Server Error",
		    "metrics text too long\n");
		return;
	}
	http_reply_text(req, HTTP_OK, "OK", STATS_PROMETHEUS_CONTENT_TYPE,
	    sb.p, sb.len);
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	struct stats_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		http_reply_plain(req, HTTP_NOTFOUND, "Not Found",
		    "not found: the metrics are at /metrics\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_reply_plain(req, HTTP_BADMETHOD, "Method Not Allowed",
		    "method not allowed: use GET or HEAD\n");
		return;
	}
	http_metrics(h, req);
}

static uint16_t
sockaddr_port(const struct sockaddr_storage *ss)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (ss->ss_family == AF_INET) {
		memcpy(&sin, ss, sizeof(sin));
		return ntohs(sin.sin_port);
	}
	memcpy(&sin6, ss, sizeof(sin6));
	return ntohs(sin6.sin6_port);
}

static int
listen_socket(const struct sockaddr_storage *ss, socklen_t sslen,
    uint16_t *port, const char **what)
{
	struct sockaddr_storage bound;
	socklen_t boundlen = sizeof(bound);
	int fd, on = 1, saved;

	*what = "cannot create a socket";
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	*what = "cannot bind";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (const struct sockaddr *)ss, sslen) == -1)
		goto fail;
	*what = "cannot listen";
	if (listen(fd, LISTEN_BACKLOG) == -1 ||
	    getsockname(fd, (struct sockaddr *)&bound, &boundlen) == -1)
		goto fail;
	*port = sockaddr_port(&bound);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
http_configure(struct stats_http *h)
{
	evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, HTTP_BODY_MAX);
	/* Every method reaches http_request, which answers 405 with Allow. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->http, http_request, h);
}

struct stats_http *
stats_http_start(struct event_base *base, const char *listen,
    stats_snapshot_fn fn, void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct stats_http *h;
	const char *what;
	char msg[128];
	int fd;

	if (stats_listen_parse(listen, &ss, &sslen, err, errlen) == -1)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->fn = fn;
	h->ctx = ctx;
	if ((fd = listen_socket(&ss, sslen, &h->port, &what)) == -1) {
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
		listen_error(err, errlen, listen, msg);
		goto fail;
	}
	if ((h->http = evhttp_new(base)) == NULL ||
	    evhttp_accept_socket_with_handle(h->http, fd) == NULL) {
		close(fd);
		listen_error(err, errlen, listen,
		    "cannot start the HTTP server");
		goto fail;
	}
	http_configure(h);
	h->text = xmalloc(METRICS_TEXT_MAX);
	return h;
fail:
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
	return NULL;
}

uint16_t
stats_http_port(const struct stats_http *h)
{
	return h->port;
}

void
stats_http_stop(struct stats_http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h->text);
	free(h);
}
