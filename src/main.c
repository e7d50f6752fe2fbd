/*
 * main.c - command line: forensic replay of capture files (-r), config
 * check (-t), and otherwise the daemon (live capture, see daemon.c).
 * Replay prints one JSON object per alert on stdout (and, with --pairs,
 * the per-(host, destination) table after them) and a summary on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "exfild/capture/capture_file.h"
#include "exfild/capture/capture_live.h"
#include "exfild/config/config.h"
#include "exfild/daemon/daemon.h"
#include "exfild/daemon/preflight.h"
#include "exfild/util/log.h"
#include "exfild/logs/logfeed.h"
#include "exfild/logs/logsource.h"
#include "exfild/output/output.h"
#include "exfild/output/output_set.h"
#include "exfild/pipeline/limits.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/report/report.h"
#include "exfild/track/baseline.h"
#include "exfild/detect/registry.h"
#include "exfild/util/util.h"
#include "exfild/version.h"

#define DEFAULT_CONFIG "/etc/exfild/exfild.yaml"
#define MAX_INPUTS 256
#define MAX_INTERFACES 16

struct options {
	const char *config_path;
	const char *inputs[MAX_INPUTS];
	size_t n_inputs;
	const char *logs[MAX_INPUTS];
	size_t n_logs;
	const char *log_format;
	const char *interfaces[MAX_INTERFACES];
	size_t n_interfaces;
	const char *user;
	bool foreground;
	bool test_config;
	bool pairs;
	bool text;                 /* --format text: a line per alert for a person */
	bool format_given;         /* --format (json or text): a replay's */
	bool save_baseline;
	const char *print_baseline; /* --baseline FILE */
	const char *report;         /* --report FILE */
	bool config_given;
	bool to_outputs;
	bool level_forced;
	enum log_level level;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: exfild -r FILE [-r FILE ...] [-c CONFIG] [--pairs] [--save-baseline]\n"
	    "                    [--report FILE] [--format json|text]\n"
	    "       exfild -l LOG [-l LOG ...] [--log-format FORMAT] [-c CONFIG] [--pairs]\n"
	    "                    [--report FILE]\n"
	    "       exfild -t [-c CONFIG]\n"
	    "       exfild --baseline FILE [-c CONFIG]\n"
	    "       exfild [-c CONFIG] [-i IFACE ...] [-f] [-u USER]\n"
	    "\n"
	    "  -r, --read FILE      replay a capture (pcap, pcapng, .gz, - for stdin);\n"
	    "                       several files are merged by timestamp\n"
	    "  -l, --log FILE       replay a proxy log (plain or .gz, - for stdin);\n"
	    "                       several files are read one after the other\n"
	    "      --log-format F   squid (native, default), squid:<logformat string>,\n"
	    "                       or zeek (conn.log, http.log; TSV or JSON)\n"
	    "  -c, --config FILE    configuration (default " DEFAULT_CONFIG ")\n"
	    "  -t, --test-config    check the configuration and the files it names, exit\n"
	    "  -i, --interface IF   capture on IF (repeatable; replaces capture.interfaces)\n"
	    "  -f, --foreground     log to stderr instead of syslog\n"
	    "  -u, --user USER      user to run as after opening the capture as root\n"
	    "                       (default daemon.user, or " DAEMON_DEFAULT_USER ")\n"
	    "      --pairs          after the alerts, print one JSON object per\n"
	    "                       (internal host, destination) seen\n"
	    "      --report FILE    write the forensic report of the replay to FILE\n"
	    "                       (one HTML file: summary, timeline, destinations)\n"
	    "      --format F       json (default) or text: one line per alert for a\n"
	    "                       person (time, severity, rule, who, where, bytes, why)\n"
	    "      --save-baseline  write baseline.state after the replay\n"
	    "      --baseline FILE  print a saved baseline (baseline.state) as a\n"
	    "                       table: familiar or not, and why\n"
	    "      --to-outputs     also deliver the alerts to the configured outputs\n"
	    "                       (the SIEM), waiting up to 15 s at the end\n"
	    "  -v, --verbose        more log output (repeat for debug)\n"
	    "  -q, --quiet          warnings and errors only\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n");
}

/* The first option given that only a replay takes; NULL when none. */
static const char *
replay_only_option(const struct options *o)
{
	if (o->pairs)
		return "--pairs";
	if (o->to_outputs)
		return "--to-outputs";
	if (o->format_given)
		return "--format";
	if (o->save_baseline)
		return "--save-baseline";
	if (o->report != NULL)
		return "--report";
	return NULL;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_PAIRS = 256, OPT_SAVE_BASELINE, OPT_TO_OUTPUTS, OPT_LOG_FORMAT,
		OPT_BASELINE, OPT_REPORT, OPT_FORMAT };
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "config", required_argument, NULL, 'c' },
		{ "test-config", no_argument, NULL, 't' },
		{ "interface", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "pairs", no_argument, NULL, OPT_PAIRS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "save-baseline", no_argument, NULL, OPT_SAVE_BASELINE },
		{ "baseline", required_argument, NULL, OPT_BASELINE },
		{ "to-outputs", no_argument, NULL, OPT_TO_OUTPUTS },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *replay_only;
	int ch;

	memset(o, 0, sizeof(*o));
	o->config_path = DEFAULT_CONFIG;
	o->level = LOG_LEVEL_INFO;
	while ((ch = getopt_long(argc, argv, "r:l:c:ti:fu:vqVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (o->n_inputs == MAX_INPUTS) {
				fprintf(stderr, "exfild: at most %d -r files\n", MAX_INPUTS);
				return -1;
			}
			o->inputs[o->n_inputs++] = optarg;
			break;
		case 'l':
			if (o->n_logs == MAX_INPUTS) {
				fprintf(stderr, "exfild: at most %d -l files\n", MAX_INPUTS);
				return -1;
			}
			o->logs[o->n_logs++] = optarg;
			break;
		case OPT_LOG_FORMAT:
			o->log_format = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			o->config_given = true;
			break;
		case 't':
			o->test_config = true;
			break;
		case 'i':
			if (o->n_interfaces == MAX_INTERFACES) {
				fprintf(stderr, "exfild: at most %d -i interfaces\n",
				    MAX_INTERFACES);
				return -1;
			}
			o->interfaces[o->n_interfaces++] = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'u':
			o->user = optarg;
			break;
		case OPT_PAIRS:
			o->pairs = true;
			break;
		case OPT_FORMAT:
			o->text = strcmp(optarg, "text") == 0;
			if (!o->text && strcmp(optarg, "json") != 0) {
				fprintf(stderr, "exfild: --format: \"%s\" is not "
				    "json or text\n", optarg);
				return -1;
			}
			o->format_given = true;
			break;
		case OPT_SAVE_BASELINE:
			o->save_baseline = true;
			break;
		case OPT_BASELINE:
			o->print_baseline = optarg;
			break;
		case OPT_TO_OUTPUTS:
			o->to_outputs = true;
			break;
		case OPT_REPORT:
			o->report = optarg;
			break;
		case 'v':
			if (o->level < LOG_LEVEL_DEBUG)
				o->level++;
			o->level_forced = true;
			break;
		case 'q':
			o->level = LOG_LEVEL_WARN;
			o->level_forced = true;
			break;
		case 'V':
			printf("exfild %s\n", EXFILD_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "exfild: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	if ((o->n_inputs > 0 || o->n_logs > 0) && (o->n_interfaces > 0 || o->user != NULL)) {
		fprintf(stderr, "exfild: -r and -l replay files; -i and -u are for the daemon\n");
		return -1;
	}
	if (o->print_baseline != NULL && (o->n_inputs > 0 || o->n_logs > 0 ||
	    o->test_config || o->n_interfaces > 0)) {
		fprintf(stderr, "exfild: --baseline prints a file; it takes no "
		    "-r, -l, -t or -i\n");
		return -1;
	}
	if (o->n_inputs == 0 && o->n_logs == 0 &&
	    (replay_only = replay_only_option(o)) != NULL) {
		fprintf(stderr, "exfild: %s is for a replay: give -r or -l\n",
		    replay_only);
		return -1;
	}
	if (o->n_inputs > 0 && o->n_logs > 0) {
		fprintf(stderr, "exfild: replay captures (-r) or logs (-l), not both at once\n");
		return -1;
	}
	if (o->log_format == NULL)
		o->log_format = "squid";
	return 0;
}

/* Where a replay's alerts go: JSON on stdout, and with --to-outputs also
 * the configured outputs (syslog to the SIEM), drained at the end. */
struct replay_sink {
	char state_dir[4096];
	struct output *out;
	struct event_base *base;
	struct output_set set;
	bool to_outputs;
	struct report *report;     /* --report: the alerts, kept */
};

#define REPLAY_DRAIN_MS 15000

static int
sink_open(struct replay_sink *k, const struct options *o,
    const struct config *cfg)
{
	char err[CONFIG_ERR_LEN];

	memset(k, 0, sizeof(*k));
	k->out = o->text ? output_text_stdout() : output_json_stdout();
	k->to_outputs = o->to_outputs;
	if (o->report != NULL)
		k->report = report_new(cfg);
	if (!k->to_outputs)
		return 0;
	if ((k->base = event_base_new()) == NULL) {
		fprintf(stderr, "exfild: cannot create an event loop\n");
		return -1;
	}
	/* spools of their own: the daemon locks its spools, and files a replay
	 * run as root writes must not end up in the daemon's */
	snprintf(k->state_dir, sizeof(k->state_dir), "%s/replay",
	    cfg->state_dir != NULL ? cfg->state_dir : CONFIG_DEFAULT_STATE_DIR);
	if (output_set_open(&k->set, cfg, k->base, false, k->state_dir, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s\n", err);
		return -1;
	}
	if (k->set.n == 0)
		fprintf(stderr, "exfild: --to-outputs: %s has no outputs\n", cfg->path);
	return 0;
}

/* 0, or -1 when alerts could not all be written or delivered. */
static int
sink_close(struct replay_sink *k)
{
	size_t left;
	int rc = 0;

	if (k->to_outputs && k->set.n > 0) {
		left = output_set_drain(&k->set, REPLAY_DRAIN_MS);
		if (left > 0) {
			fprintf(stderr, "exfild: --to-outputs: %zu alerts not delivered "
			    "within %d s; they stay in the spool under %s and are "
			    "sent first by the next replay with --to-outputs\n", left,
			    REPLAY_DRAIN_MS / 1000, k->state_dir);
			rc = -1;
		}
	}
	output_set_close(&k->set);
	if (k->base != NULL)
		event_base_free(k->base);
	output_close(k->out);
	report_free(k->report);
	return rc;
}

static void
write_alert(void *ctx, const struct alert *a)
{
	struct replay_sink *k = ctx;

	output_emit(k->out, a);
	/* (the report draws alerts; an update's totals are its pairs') */
	if (k->report != NULL && a->kind == ALERT_KIND_ALERT)
		report_add_alert(k->report, a);
	if (k->to_outputs) {
		output_set_emit(&k->set, a);
		/* let the outputs send as the replay goes */
		event_base_loop(k->base, EVLOOP_NONBLOCK);
	}
}

/* A --pairs row, in the alerts' format (JSON or text). */
static void
write_pair(void *ctx, const struct pair_report *r)
{
	struct replay_sink *k = ctx;
	struct alert a;

	alert_from_pair(&a, r, NULL, 0);
	if (output_emit(k->out, &a) != 0)
		log_warnx("pair report line too long; skipped");
}

/* --report: the HTML file from the alerts kept, the pairs and the
 * replay's own figures; how long that took (the pairs gathered and the
 * file written, monotonic clock) and the file's size on stderr. 0 or -1. */
static int
write_report(const struct options *o, struct pipeline *pl,
    struct replay_sink *sink)
{
	struct report_summary rs;
	struct pipeline_stats st;
	struct stat sb;
	char err[CONFIG_ERR_LEN];
	uint64_t t0 = clock_mono_ns();

	pipeline_report_pairs(pl, report_add_pair, sink->report);
	pipeline_get_stats(pl, &st);
	memset(&rs, 0, sizeof(rs));
	rs.logs = o->n_logs > 0;
	rs.files = rs.logs ? o->logs : o->inputs;
	rs.n_files = rs.logs ? o->n_logs : o->n_inputs;
	rs.units = rs.logs ? st.log_records : st.frames;
	rs.first_ns = st.first_ns;
	rs.last_ns = st.last_ns;
	rs.learn_start_ns = st.dests.learn_start_ns;
	rs.learn_end_ns = st.dests.learn_end_ns;
	if (report_write(sink->report, &rs, o->report, err, sizeof(err)) != 0) {
		fprintf(stderr, "exfild: --report: %s\n", err);
		return -1;
	}
	fprintf(stderr, "exfild: report: wrote %s (%lld bytes) in %.3f s\n",
	    o->report, stat(o->report, &sb) == 0 ? (long long)sb.st_size : -1LL,
	    (double)(clock_mono_ns() - t0) / 1e9);
	return 0;
}

/* The end of a replay: the pairs table, stdout checked (alerts that did
 * not reach it, a full disk or a closed pipe, make the replay fail: its
 * output is incomplete), the baseline saved when asked. 0 or -1. */
static int
finish_replay(const struct options *o, struct pipeline *pl,
    struct replay_sink *sink)
{
	char err[CONFIG_ERR_LEN];
	int rc = 0;

	pipeline_close_alerts(pl); /* the updates, before the pairs */
	output_flush(sink->out);
	if (o->pairs)
		pipeline_report_pairs(pl, write_pair, sink);
	if (fflush(stdout) != 0 || ferror(stdout) || sink->out->stats.failed > 0) {
		fprintf(stderr, "exfild: writing to stdout failed: %s: the alerts "
		    "printed are incomplete\n", strerror(errno));
		rc = -1;
	}
	if (sink->report != NULL && write_report(o, pl, sink) != 0)
		rc = -1;
	if (o->save_baseline && pipeline_save_baseline(pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s\n", err);
		rc = -1;
	}
	return rc;
}

/* " rule=N" for every rule, in registry order. */
/* What the full tables gave way to (README "Not blinded by full tables"). */
#define SUMMARY_OFF(member) offsetof(struct pipeline_stats, member)

static const struct {
	const char *key;
	size_t off;
} limit_counters[] = {
	{ "flows_evicted", SUMMARY_OFF(flows.evicted) },
	{ "half_open_evicted", SUMMARY_OFF(flows.evicted_half_open) },
	{ "half_open_refused", SUMMARY_OFF(flows.half_open_refused) },
	{ "flows_resumed", SUMMARY_OFF(flows.resumed) },
	{ "pairs_evicted", SUMMARY_OFF(pairs.evicted) },
	{ "pairs_rebound", SUMMARY_OFF(pairs_rebound) },
	{ "destinations_evicted", SUMMARY_OFF(dests.evictions) },
	{ "flows_lost_destination", SUMMARY_OFF(flows_lost_destination) },
	{ "parser_slots_reclaimed", SUMMARY_OFF(conn.parser_slots_reclaimed) },
	{ "parser_slots_exhausted", SUMMARY_OFF(conn.parser_slots_exhausted) },
};

static void
print_limit_counters(const struct pipeline_stats *st)
{
	uint64_t v;
	size_t i;

	fputs("exfild: limits:", stderr);
	for (i = 0; i < ARRAY_LEN(limit_counters); i++) {
		memcpy(&v, (const char *)st + limit_counters[i].off, sizeof(v));
		fprintf(stderr, " %s=%llu", limit_counters[i].key,
		    (unsigned long long)v);
	}
	fputc('\n', stderr);
}

static void
print_alerts_by_rule(const struct pipeline_stats *st)
{
	const struct rule_def *const *rules;
	size_t n, i;

	rules = rules_registry(&n);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s=%llu", rules[i]->name,
		    (unsigned long long)st->alerts_by_rule[i]);
}

/* A replay that learned says what, and until when (README "Familiar
 * destinations"): a replay shorter than baseline.learn alerts on almost
 * nothing, and that must not pass for a clean bill. */
static void
print_learning(const struct pipeline_stats *st)
{
	const struct baseline_stats *b = &st->dests;
	char start[RFC3339_LEN], end[RFC3339_LEN];

	if (b->learn_end_ns == 0 || b->learn_end_ns <= st->first_ns ||
	    b->learn_end_ns == b->learn_start_ns)
		return; /* no learning, or it was over before this input */
	format_rfc3339_ms(b->learn_start_ns, start);
	format_rfc3339_ms(b->learn_end_ns, end);
	if (b->learning)
		fprintf(stderr, "exfild: baseline: still learning at the end of "
		    "the input (from %s until %s): nothing but baseline.allow "
		    "is familiar yet and only compressed-upload and "
		    "indicator-match alert; %llu destinations seen\n", start, end,
		    (unsigned long long)b->destinations);
	else
		fprintf(stderr, "exfild: baseline: learned %llu destinations "
		    "(%llu familiar of %llu) from %s until %s\n",
		    (unsigned long long)b->learned,
		    (unsigned long long)b->familiar,
		    (unsigned long long)b->destinations, start, end);
}

/* What evidence (evidence.enabled) wrote, when it is on. */
static void
print_evidence(const struct pipeline_stats *st)
{
	const struct evidence_stats *e = &st->evidence;

	if (!st->evidence_on)
		return;
	fprintf(stderr, "exfild: evidence: files=%llu bytes=%llu total=%llu "
	    "candidates_spooled=%llu candidates_deleted=%llu "
	    "candidates_dropped=%llu cut=%llu missing=%llu deleted=%llu "
	    "errors=%llu\n", (unsigned long long)e->files,
	    (unsigned long long)e->bytes, (unsigned long long)e->total,
	    (unsigned long long)e->candidates_spooled,
	    (unsigned long long)e->candidates_deleted,
	    (unsigned long long)e->candidates_dropped,
	    (unsigned long long)e->cut, (unsigned long long)e->missing,
	    (unsigned long long)e->deleted, (unsigned long long)e->errors);
	if (st->evidence_pcap.files > 0)
		fprintf(stderr, "exfild: evidence: pcaps=%llu frames=%llu "
		    "lookback_frames=%llu missing=%llu cut=%llu errors=%llu\n",
		    (unsigned long long)st->evidence_pcap.files,
		    (unsigned long long)st->evidence_pcap.frames,
		    (unsigned long long)st->evidence_pcap.lookback_frames,
		    (unsigned long long)st->evidence_pcap.missing,
		    (unsigned long long)st->evidence_pcap.cut,
		    (unsigned long long)st->evidence_pcap.errors);
}

static void
print_summary(const struct pipeline_stats *st, const struct capfile_stats *cs,
    double elapsed)
{
	char first[RFC3339_LEN], last[RFC3339_LEN];
	struct rusage ru;
	int i;

	format_rfc3339_ms(st->first_ns, first);
	format_rfc3339_ms(st->last_ns, last);
	fprintf(stderr,
	    "exfild: replay: files=%llu failed=%llu packets=%llu bytes=%llu "
	    "first=%s last=%s\n",
	    (unsigned long long)cs->files, (unsigned long long)cs->files_failed,
	    (unsigned long long)st->frames, (unsigned long long)st->wire_bytes,
	    first, last);
	fprintf(stderr,
	    "exfild: decode: ipv4=%llu ipv6=%llu tcp=%llu udp=%llu fragments=%llu "
	    "non_ip=%llu unsupported_link=%llu not_tracked=%llu "
	    "not_destination=%llu flowless_tcp=%llu tcp_close_ignored=%llu fragments_counted=%llu "
	    "fragments_by_address=%llu fragments_unmatched=%llu\n",
	    (unsigned long long)st->decode.ip4, (unsigned long long)st->decode.ip6,
	    (unsigned long long)st->decode.tcp, (unsigned long long)st->decode.udp,
	    (unsigned long long)st->decode.fragments,
	    (unsigned long long)st->decode.non_ip,
	    (unsigned long long)st->decode.unsupported_link,
	    (unsigned long long)st->not_tracked,
	    (unsigned long long)st->not_destination,
	    (unsigned long long)st->conn.flowless_tcp,
	    (unsigned long long)st->conn.tcp_close_ignored,
	    (unsigned long long)st->conn.fragments_counted,
	    (unsigned long long)st->conn.fragments_by_address,
	    (unsigned long long)st->conn.fragments_unmatched);
	fprintf(stderr, "exfild: malformed: total=%llu",
	    (unsigned long long)st->decode.malformed);
	for (i = 1; i < DEC_REASON_COUNT; i++)
		if (st->decode.reason[i] != 0)
			fprintf(stderr, " %s=%llu", decode_reason_name((enum decode_reason)i),
			    (unsigned long long)st->decode.reason[i]);
	fprintf(stderr, " http=%llu dns=%llu tls=%llu\n",
	    (unsigned long long)st->conn.http.malformed,
	    (unsigned long long)st->conn.dns_malformed,
	    (unsigned long long)st->conn.tls_malformed);
	fprintf(stderr,
	    "exfild: flows: created=%llu expired=%llu evicted=%llu pairs=%llu "
	    "pairs_evicted=%llu destinations=%llu proxy_unidentified=%llu "
	    "http_requests=%llu tls_sni=%llu dns_answers=%llu dns_untrusted=%llu "
	    "parser_slots_exhausted=%llu\n",
	    (unsigned long long)st->flows.created,
	    (unsigned long long)st->flows.expired,
	    (unsigned long long)st->flows.evicted,
	    (unsigned long long)st->pairs.created,
	    (unsigned long long)st->pairs.evicted,
	    (unsigned long long)st->dests.destinations,
	    (unsigned long long)st->conn.proxy_unidentified,
	    (unsigned long long)st->conn.http.requests,
	    (unsigned long long)st->conn.tls_sni,
	    (unsigned long long)st->conn.dns_answers,
	    (unsigned long long)st->conn.dns_untrusted,
	    (unsigned long long)st->conn.parser_slots_exhausted);
	print_limit_counters(st);
	print_learning(st);
	print_evidence(st);
	fprintf(stderr, "exfild: alerts=%llu", (unsigned long long)st->alerts);
	print_alerts_by_rule(st);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, " elapsed=%.3fs rate=%.0f pkt/s peak_rss_kb=%ld\n", elapsed,
	    elapsed > 0 ? (double)st->frames / elapsed : 0.0, ru.ru_maxrss);
}

static int
replay(const struct options *o, const struct config *cfg)
{
	char err[CONFIG_ERR_LEN];
	struct capfile_set *cap;
	struct capture_pkt batch[PIPELINE_BATCH_MAX];
	struct pipeline *pl;
	struct replay_sink sink;
	struct pipeline_stats st;
	struct capfile_stats cs;
	uint64_t t0 = clock_mono_ns();
	size_t n;
	int rc = 0;

	cap = capfile_open(o->inputs, o->n_inputs, err, sizeof(err));
	if (cap == NULL) {
		fprintf(stderr, "exfild: %s\n", err);
		return 1;
	}
	if (sink_open(&sink, o, cfg) != 0) {
		sink_close(&sink);
		capfile_close(cap);
		return 1;
	}
	pl = pipeline_new(cfg, "pcap", write_alert, &sink, err, sizeof(err));
	if (pl == NULL) {
		fprintf(stderr, "exfild: %s\n", err);
		capfile_close(cap);
		sink_close(&sink);
		return 1;
	}
	/* evidence that cannot be kept never stops detection */
	if (pipeline_keep_evidence(pl, err, sizeof(err)) != 0)
		fprintf(stderr, "exfild: %s: no evidence is kept\n", err);
	if (sink.report != NULL)
		pipeline_watch_alerted(pl, report_add_bucket, sink.report);
	while ((n = capfile_next_batch(cap, batch, PIPELINE_BATCH_MAX)) > 0)
		pipeline_frames(pl, batch, n);
	if (finish_replay(o, pl, &sink) != 0)
		rc = 1;
	pipeline_finish(pl); /* after the save: flows in progress are kept */
	pipeline_get_stats(pl, &st);
	capfile_get_stats(cap, &cs);
	print_summary(&st, &cs, (double)(clock_mono_ns() - t0) / 1e9);
	if (cs.packets == 0 && cs.files_failed == cs.files)
		rc = 1;
	pipeline_free(pl);
	capfile_close(cap);
	if (sink_close(&sink) != 0)
		rc = 1;
	return rc;
}

static void
print_log_summary(const struct logfeed_stats *ls, const struct logsrc_stats *ss,
    const struct pipeline_stats *st, double elapsed)
{
	char line[4096];

	logfeed_format_stats(ls, line, sizeof(line));
	fprintf(stderr, "exfild: logs: %s bytes=%llu overlong=%llu read_errors=%llu\n",
	    line, (unsigned long long)ss->bytes, (unsigned long long)ss->overlong,
	    (unsigned long long)ss->read_errors);
	print_learning(st);
	fprintf(stderr, "exfild: pairs=%llu destinations=%llu not_tracked=%llu alerts=%llu",
	    (unsigned long long)st->pairs.created,
	    (unsigned long long)st->dests.destinations,
	    (unsigned long long)st->not_tracked, (unsigned long long)st->alerts);
	print_alerts_by_rule(st);
	fprintf(stderr, " elapsed=%.3fs rate=%.0f lines/s\n", elapsed,
	    elapsed > 0 ? (double)ls->lines / elapsed : 0.0);
}

/* -l: proxy logs through the same pipeline; alerts as for a capture. */
static int
replay_logs(const struct options *o, const struct config *cfg)
{
	char err[CONFIG_ERR_LEN];
	struct pipeline *pl;
	struct logfeed *feed;
	struct replay_sink sink;
	struct logfeed_stats ls;
	struct logsrc_stats ss;
	struct pipeline_stats st;
	uint64_t t0 = clock_mono_ns();
	int rc = 0;

	if (sink_open(&sink, o, cfg) != 0) {
		sink_close(&sink);
		return 1;
	}
	pl = pipeline_new(cfg, "log", write_alert, &sink, err, sizeof(err));
	if (pl == NULL) {
		fprintf(stderr, "exfild: %s\n", err);
		sink_close(&sink);
		return 1;
	}
	if (sink.report != NULL)
		pipeline_watch_alerted(pl, report_add_bucket, sink.report);
	if ((feed = logfeed_new(o->log_format, pl, err, sizeof(err))) == NULL) {
		fprintf(stderr, "exfild: --log-format: %s\n", err);
		pipeline_free(pl);
		sink_close(&sink);
		return 1;
	}
	if (!logfeed_measures_uploads(feed))
		fprintf(stderr, "exfild: the log format records reply sizes only "
		    "(no %%>st): uploads cannot be measured, so bulk-upload and "
		    "compressed-upload cannot fire; destinations and the baseline "
		    "are still learned. Log %%>st (squid:... format) to measure "
		    "uploads.\n");
	if (logfeed_replay(feed, o->logs, o->n_logs, &ss, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s\n", err);
		rc = 1;
	}
	if (finish_replay(o, pl, &sink) != 0)
		rc = 1;
	logfeed_get_stats(feed, &ls);
	pipeline_get_stats(pl, &st);
	print_log_summary(&ls, &ss, &st, (double)(clock_mono_ns() - t0) / 1e9);
	logfeed_free(feed);
	pipeline_free(pl);
	if (sink_close(&sink) != 0)
		rc = 1;
	return rc;
}

/* -t, logs: each format compiles, each listen address is one. */
static int
test_log_sources(const struct config *cfg, struct pipeline *pl)
{
	char err[CONFIG_ERR_LEN];
	struct logfeed *f;
	size_t i;

	for (i = 0; i < cfg->n_logs; i++) {
		const struct log_source_conf *l = &cfg->logs[i];

		if ((f = logfeed_new(l->format, pl, err, sizeof(err))) == NULL) {
			fprintf(stderr, "exfild: %s: logs[%zu].format: %s\n", cfg->path,
			    i + 1, err);
			return -1;
		}
		logfeed_free(f);
		if (l->kind == LOG_SOURCE_LISTEN &&
		    logsrc_listen_check(l->listen, err, sizeof(err)) != 0) {
			fprintf(stderr, "exfild: %s: logs[%zu].listen: %s\n", cfg->path,
			    i + 1, err);
			return -1;
		}
	}
	return 0;
}

/* -t's line on the memory the limits need (pipeline_new refused them
 * if this machine could not give it). */
static void
print_memory(const struct config *cfg)
{
	struct limits_need need;
	struct limits_room room;
	char line[512];

	limits_need(cfg, &need);
	limits_room(&room);
	limits_describe(&need, &room, line, sizeof(line));
	printf("%s\n", line);
}

/* -t: the file parses, the limits fit this machine, the capture filter
 * compiles, the files it names (geo databases, hosts, baseline state)
 * load, and what start-up needs is there for the daemon's user
 * (preflight.h). */
static int
test_config(const struct options *o, const struct config *cfg)
{
	struct preflight_opts po = { o->user, o->interfaces, o->n_interfaces };
	char err[CONFIG_ERR_LEN];
	struct pipeline *pl;

	if (live_check_filter(cfg->capture_bpf, cfg->capture_snaplen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s: capture.bpf: %s\n", cfg->path, err);
		return 1;
	}
	if ((pl = pipeline_new(cfg, "test", NULL, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "exfild: %s\n", err);
		return 1;
	}
	if (test_log_sources(cfg, pl) != 0) {
		pipeline_free(pl);
		return 1;
	}
	pipeline_warn_geo(pl);
	pipeline_free(pl);
	if (preflight_check(cfg, &po) != 0)
		return 1;
	print_memory(cfg);
	printf("configuration OK\n");
	return 0;
}

static int
run_daemon(const struct options *o)
{
	struct daemon_opts d = {
		.config_path = o->config_path,
		.interfaces = o->interfaces,
		.n_interfaces = o->n_interfaces,
		.user = o->user,
		.foreground = o->foreground,
		.level_forced = o->level_forced,
		.level = o->level,
		.version = EXFILD_VERSION,
	};

	log_init("exfild", o->foreground, o->level);
	return daemon_run(&d);
}

/* The rest of the state (names, hosts, pairs) is not for this table. */
static int
skip_state_record(void *ctx, const struct cursor *line, bool apply, char *msg,
    size_t msglen)
{
	(void)ctx;
	(void)line;
	(void)apply;
	(void)msg;
	(void)msglen;
	return 0;
}

/* --baseline FILE: a saved baseline for people (the config gives the
 * thresholds and the allow list the verdicts are worked out with). */
static int
print_baseline(const struct options *o, const struct config *cfg)
{
	struct baseline_extra x = { NULL, skip_state_record, NULL };
	struct hash_key key;
	struct baseline *b;
	char err[CONFIG_ERR_LEN];
	int rc = 1;

	if (hash_key_random(&key) != 0)
		memset(&key, 0x5a, sizeof(key));
	b = baseline_new(cfg->limit_destinations, cfg, &key);
	if (access(o->print_baseline, R_OK) != 0) {
		fprintf(stderr, "exfild: %s: %s\n", o->print_baseline,
		    strerror(errno));
	} else if (baseline_load(b, o->print_baseline, &x, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s\n", err);
	} else if (baseline_print(b, o->print_baseline, stdout) != 0 ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "exfild: writing to stdout failed: %s\n",
		    strerror(errno));
	} else {
		rc = 0;
	}
	baseline_free(b);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct config *cfg;
	char err[CONFIG_ERR_LEN];
	int rc;

	if (parse_options(argc, argv, &o) != 0)
		return 1;
	if (!o.test_config && o.n_inputs == 0 && o.n_logs == 0 &&
	    o.print_baseline == NULL)
		return run_daemon(&o);
	log_init("exfild", true, o.level);
	if (o.print_baseline != NULL && !o.config_given &&
	    access(o.config_path, F_OK) != 0) {
		/* no config: the defaults' thresholds */
		if (config_load_string("(defaults)", "{}", 2, &cfg, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "exfild: %s\n", err);
			return 1;
		}
	} else if (config_load(o.config_path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "exfild: %s\n", err);
		return 1;
	}
	if (o.print_baseline != NULL) {
		rc = print_baseline(&o, cfg);
		config_free(cfg);
		return rc;
	}
	rc = o.test_config ? test_config(&o, cfg) : o.n_logs > 0 ?
	    replay_logs(&o, cfg) : replay(&o, cfg);
	config_free(cfg);
	return rc;
}
