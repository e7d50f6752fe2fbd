/*
 * daemon.c - the sensor as a service: open the captures (as root or with
 * CAP_NET_RAW), drop privileges, then run everything in one libevent loop:
 * capture descriptors, timers and signals. A reload (SIGHUP) parses and
 * validates the new file, opens its outputs and loads its geo data before
 * anything changes; on any error the running configuration stays.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "exfild/capture/capture_live.h"
#include "exfild/config/config.h"
#include "exfild/daemon/daemon.h"
#include "exfild/util/log.h"
#include "exfild/logs/logfeed.h"
#include "exfild/logs/logsource.h"
#include "exfild/output/output_set.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/daemon/preflight.h"
#include "exfild/daemon/privdrop.h"
#include "exfild/daemon/resolver.h"
#include "exfild/daemon/sdnotify.h"
#include "exfild/daemon/stats.h"
#include "exfild/util/strbuf.h"
#include "exfild/util/util.h"

#define MAX_CAPTURES     16
#define DISPATCH_BATCH   512  /* frames per interface per wake-up */
#define TICK_SEC         1    /* flow expiry on wall-clock time, status */
#define STATUS_EVERY     30   /* ticks between STATUS= updates */
#define STATS_LINE_MAX   8192
#define MAX_OUTPUT_ROWS  32
#define MAX_LOG_SOURCES  16
#define STOP_DRAIN_MS    2000 /* SIGTERM: time given to deliver queued alerts */

struct capture_slot {
	struct daemon *d;
	struct live_capture *cap;
	struct event *ev;
	bool broken;
};

struct daemon {
	const struct daemon_opts *opts;
	struct config *cfg;
	struct pipeline *pipe;
	struct event_base *base;
	struct capture_slot caps[MAX_CAPTURES];
	size_t ncaps, ncaps_broken;
	struct output_set outputs;
	bool outputs_dirty;     /* alerts written since the last flush */
	struct sdnotify notify;
	struct stats_http *http;
	struct resolver *resolver;
	struct log_slot {
		struct daemon *d;
		char name[LOGFEED_SOURCE_MAX]; /* the path or listen address */
		struct logfeed *feed;
		struct logsrc_follow *follow;
		struct logsrc_listener *listen;
	} logs[MAX_LOG_SOURCES];
	size_t nlogs;
	struct event *ev_tick, *ev_eval, *ev_stats, *ev_watchdog, *ev_save;
	struct event *ev_ioc;   /* indicator lists' files checked */
	struct event *ev_pairs; /* the pairs table (report.pairs_interval) */
	struct event *ev_signals[5];
	uint64_t started_mono_ns;
	uint64_t last_frame_ns; /* newest packet time */
	uint64_t last_eval_ns;
	unsigned ticks;
	int exit_code;
	pid_t saver;        /* a background state save running (0: none) */
};

/* ---- time ---- */

/* "Now" on the packets' clock: wall-clock time, never behind the newest
 * packet (the kernel stamps packets with the same realtime clock). */
static uint64_t
packet_now(const struct daemon *d)
{
	uint64_t now = clock_real_ns();

	return now > d->last_frame_ns ? now : d->last_frame_ns;
}

/* ---- outputs ---- */

static void
outputs_flush(struct daemon *d)
{
	if (!d->outputs_dirty)
		return;
	output_set_flush(&d->outputs);
	d->outputs_dirty = false;
}

static void
on_alert(void *ctx, const struct alert *a)
{
	struct daemon *d = ctx;
	char src[NETADDR_STRLEN], dst[ALERT_HOST_MAX + ALERT_ORG_MAX + 80];
	struct strbuf sb;

	output_set_emit(&d->outputs, a);
	d->outputs_dirty = true;
	/* the log names the alert, its source and destination (name, address,
	 * country: sanitized); the other wire-borne fields stay in the outputs */
	netaddr_format(&a->src, src, sizeof(src));
	sb_init(&sb, dst, sizeof(dst));
	alert_format_dest(a, &sb);
	if (a->kind == ALERT_KIND_UPDATE) {
		log_info("alert-update %s (%s): rule=%s src=%s dst=%s "
		    "bytes_out=%llu flows=%llu", a->id, a->update_reason, a->rule,
		    src, dst, (unsigned long long)a->bytes_out,
		    (unsigned long long)a->flows);
		return;
	}
	log_info("alert %s: rule=%s severity=%s src=%s dst=%s bytes_out=%llu%s%s",
	    a->id, a->rule, severity_name(a->severity), src, dst,
	    (unsigned long long)a->bytes_out,
	    a->contained[0] != '\0' ? " contained=" : "", a->contained);
}

/* ---- the pairs table (SIGUSR2, report.pairs_interval) ---- */

struct pairs_out {
	struct daemon *d;
	uint64_t ts_ns;
	size_t n;
};

static void
emit_pair(void *ctx, const struct pair_report *r)
{
	struct pairs_out *po = ctx;
	struct alert a;

	alert_from_pair(&a, r, po->d->cfg->sensor, po->ts_ns);
	output_set_emit(&po->d->outputs, &a);
	po->d->outputs_dirty = true;
	po->n++;
}

/* Every pair as a "kind":"pair" record to the outputs, at the time of
 * the traffic. */
static void
report_pairs(struct daemon *d, const char *why)
{
	struct pairs_out po = { d, packet_now(d), 0 };

	pipeline_report_pairs(d->pipe, emit_pair, &po);
	outputs_flush(d);
	log_info("pairs: %zu rows written to the outputs (%s)", po.n, why);
}

/* ---- stats ---- */

static size_t
collect_iface_stats(struct daemon *d, struct iface_stats *out)
{
	struct live_stats ls;
	size_t i, n = 0;

	for (i = 0; i < d->ncaps; i++) {
		if (d->caps[i].cap == NULL)
			continue;
		live_get_stats(d->caps[i].cap, &ls);
		str_copy(out[n].name, live_name(d->caps[i].cap), sizeof(out[n].name));
		out[n].received = ls.received;
		out[n].dropped = ls.dropped;
		out[n].ifdropped = ls.ifdropped;
		n++;
	}
	return n;
}

/* The snapshot's pointers refer to this static storage: valid until the
 * next call (one thread). */
static void
fill_snapshot(void *ctx, struct stats_snapshot *s)
{
	static struct pipeline_stats ps;
	static struct iface_stats ifs[MAX_CAPTURES];
	static struct output_row rows[MAX_OUTPUT_ROWS];
	struct daemon *d = ctx;
	size_t n;

	pipeline_get_stats(d->pipe, &ps);
	memset(s, 0, sizeof(*s));
	s->sensor = d->cfg->sensor;
	s->version = d->opts->version;
	s->uptime_s = (clock_mono_ns() - d->started_mono_ns) / NS_PER_SEC;
	s->memory_rss_bytes = stats_memory_rss();
	s->pipe = &ps;
	s->ifaces = ifs;
	s->n_ifaces = collect_iface_stats(d, ifs);
	n = output_set_rows(&d->outputs, rows, ARRAY_LEN(rows));
	s->outputs = rows;
	s->n_outputs = n < ARRAY_LEN(rows) ? n : ARRAY_LEN(rows);
}

static void log_logs_stats(struct daemon *d);

static void
log_stats(struct daemon *d)
{
	static char line[STATS_LINE_MAX];
	struct stats_snapshot s;
	struct strbuf sb;

	fill_snapshot(d, &s);
	sb_init(&sb, line, sizeof(line));
	if (stats_format_line(&s, &sb) != 0)
		log_warnx("stats: line longer than %d bytes, cut", STATS_LINE_MAX);
	log_info("stats: %s", line);
	log_logs_stats(d);
}

static void
update_status(struct daemon *d)
{
	struct pipeline_stats ps;

	if (!d->notify.enabled)
		return;
	pipeline_get_stats(d->pipe, &ps);
	sdnotify_status(&d->notify, "capturing on %zu interface%s: %llu packets, "
	    "%llu flows active, %llu alerts", d->ncaps - d->ncaps_broken,
	    d->ncaps - d->ncaps_broken == 1 ? "" : "s",
	    (unsigned long long)ps.frames, (unsigned long long)ps.flows.active,
	    (unsigned long long)ps.alerts);
}

/* ---- names: asynchronous lookups (evdns) ---- */

static void
on_name_answer(void *ctx, const char *name, const struct netaddr *addr,
    uint32_t ttl)
{
	struct daemon *d = ctx;

	(void)ttl;
	pipeline_learn_name(d->pipe, name, addr, packet_now(d));
}

static void
ask_name(void *ctx, const char *name, uint64_t ts_ns)
{
	struct daemon *d = ctx;

	resolver_lookup(d->resolver, name, ts_ns);
}

/* The system's resolvers (/etc/resolv.conf); without them names stay
 * without an address ("??", foreign) unless DNS answers or the hosts file
 * give one. */
static void
resolver_start(struct daemon *d)
{
	struct resolver_opts o;
	char err[CONFIG_ERR_LEN];

	memset(&o, 0, sizeof(o));
	d->resolver = resolver_new(d->base, &o, on_name_answer, d, err, sizeof(err));
	if (d->resolver == NULL) {
		log_warnx("no name lookups: %s", err);
		return;
	}
	pipeline_set_name_lookup(d->pipe, ask_name, d);
}

/* ---- proxy logs: followed files and syslog listeners ---- */

/* A line of a followed file or a listener: parsed into the pipeline; the
 * alerts it raises are flushed with the rest. */
static void
on_log_line(void *ctx, const char *source, uint64_t lineno, const char *line,
    size_t len)
{
	struct log_slot *l = ctx;

	logfeed_line(l->feed, source, lineno, line, len);
	outputs_flush(l->d);
}

static int
log_source_open(struct daemon *d, const struct log_source_conf *lc,
    struct log_slot *l)
{
	struct logsrc_follow_opts fo;
	char err[CONFIG_ERR_LEN];

	str_copy(l->name, lc->kind == LOG_SOURCE_FOLLOW ? lc->path : lc->listen,
	    sizeof(l->name));
	if ((l->feed = logfeed_new(lc->format, d->pipe, err, sizeof(err))) == NULL) {
		log_warnx("%s: logs: %s", d->cfg->path, err);
		return -1;
	}
	if (!logfeed_measures_uploads(l->feed))
		log_warnx("%s: the Squid native format logs reply sizes only: "
		    "uploads cannot be measured from it (log %%>st with a "
		    "squid:<logformat>); destinations are still learned",
		    lc->path != NULL ? lc->path : lc->listen);
	if (lc->kind == LOG_SOURCE_FOLLOW) {
		memset(&fo, 0, sizeof(fo));
		fo.start = LOGSRC_START_END;
		/* a Zeek file read from its end still needs its #fields */
		logfeed_prime_headers(l->feed, lc->path);
		l->follow = logsrc_follow_start(d->base, lc->path, &fo, on_log_line,
		    l, err, sizeof(err));
	} else {
		l->listen = logsrc_listen_start(d->base, lc->listen, NULL, on_log_line,
		    l, err, sizeof(err));
	}
	if (l->follow == NULL && l->listen == NULL) {
		config_blame(d->cfg, err, sizeof(err));
		log_warnx("%s", err);
		logfeed_free(l->feed);
		l->feed = NULL;
		return -1;
	}
	log_info("logs: %s %s (%s)", lc->kind == LOG_SOURCE_FOLLOW ? "following" :
	    "listening on", lc->kind == LOG_SOURCE_FOLLOW ? lc->path : lc->listen,
	    lc->format);
	return 0;
}

static int
logs_open(struct daemon *d)
{
	size_t i;

	if (d->cfg->n_logs > MAX_LOG_SOURCES) {
		log_warnx("at most %d log sources", MAX_LOG_SOURCES);
		return -1;
	}
	for (i = 0; i < d->cfg->n_logs; i++) {
		d->logs[i].d = d;
		if (log_source_open(d, &d->cfg->logs[i], &d->logs[i]) != 0)
			return -1;
		d->nlogs++;
	}
	return 0;
}

static void
logs_close(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nlogs; i++) {
		logsrc_follow_stop(d->logs[i].follow);
		logsrc_listen_stop(d->logs[i].listen);
		logfeed_free(d->logs[i].feed);
	}
	d->nlogs = 0;
}

static void
log_logs_stats(struct daemon *d)
{
	struct logfeed_stats ls;
	struct logsrc_stats ss;
	char line[2048];
	size_t i;

	for (i = 0; i < d->nlogs; i++) {
		memset(&ss, 0, sizeof(ss));
		if (d->logs[i].follow != NULL)
			logsrc_follow_get_stats(d->logs[i].follow, &ss);
		else if (d->logs[i].listen != NULL)
			logsrc_listen_get_stats(d->logs[i].listen, &ss);
		logfeed_get_stats(d->logs[i].feed, &ls);
		logfeed_format_stats(&ls, line, sizeof(line));
		log_info("stats: logs %s: %s bytes=%llu overlong=%llu rotations=%llu "
		    "truncations=%llu messages=%llu no_header=%llu malformed_frames=%llu "
		    "connections=%llu connections_refused=%llu read_errors=%llu",
		    d->logs[i].name, line, (unsigned long long)ss.bytes,
		    (unsigned long long)ss.overlong, (unsigned long long)ss.rotations,
		    (unsigned long long)ss.truncations, (unsigned long long)ss.messages,
		    (unsigned long long)ss.no_header,
		    (unsigned long long)ss.malformed_frames,
		    (unsigned long long)ss.connections,
		    (unsigned long long)ss.connections_refused,
		    (unsigned long long)ss.read_errors);
	}
}

/* ---- capture ---- */

static void
on_frame(void *ctx, int linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts_ns)
{
	struct daemon *d = ctx;

	if (ts_ns > d->last_frame_ns)
		d->last_frame_ns = ts_ns;
	pipeline_frame(d->pipe, linktype, frame, caplen, wirelen, ts_ns);
}

static void
capture_break(struct capture_slot *c)
{
	struct daemon *d = c->d;

	log_warnx("%s: capture stopped after an error", live_name(c->cap));
	event_del(c->ev);
	c->broken = true;
	if (++d->ncaps_broken == d->ncaps) {
		log_warnx("no capture left: exiting");
		d->exit_code = 1;
		event_base_loopbreak(d->base);
	}
}

static void
capture_drain(struct capture_slot *c)
{
	if (c->broken)
		return;
	if (live_dispatch(c->cap, DISPATCH_BATCH, on_frame, c->d) < 0)
		capture_break(c);
	outputs_flush(c->d);
}

static void
on_capture_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	capture_drain(arg);
}

static int
captures_open(struct daemon *d)
{
	const struct config *cfg = d->cfg;
	const char *const *names = d->opts->n_interfaces > 0 ? d->opts->interfaces :
	    (const char *const *)cfg->capture_interfaces;
	size_t i, n = d->opts->n_interfaces > 0 ? d->opts->n_interfaces :
	    cfg->n_capture_interfaces;
	char err[CONFIG_ERR_LEN];

	if (n == 0) {
		if (cfg->n_logs > 0)
			return 0; /* logs only */
		log_warnx("nothing to watch: set capture.interfaces or logs: in %s, "
		    "or give -i", cfg->path);
		return -1;
	}
	if (n > MAX_CAPTURES) {
		log_warnx("at most %d capture interfaces", MAX_CAPTURES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct live_opts lo = {
			.ifname = names[i],
			.bpf = cfg->capture_bpf,
			.snaplen = cfg->capture_snaplen,
			.buffer_bytes = cfg->capture_buffer,
			.promiscuous = cfg->capture_promiscuous,
		};
		if (live_open(&lo, &d->caps[i].cap, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			return -1;
		}
		d->caps[i].d = d;
		d->ncaps++;
	}
	return 0;
}

static int
captures_watch(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->ncaps; i++) {
		struct capture_slot *c = &d->caps[i];
		int fd = live_fd(c->cap);

		if (fd < 0) {
			log_warnx("%s: no selectable descriptor", live_name(c->cap));
			return -1;
		}
		c->ev = event_new(d->base, fd, EV_READ | EV_PERSIST,
		    on_capture_readable, c);
		if (c->ev == NULL || event_add(c->ev, NULL) != 0) {
			log_warnx("%s: cannot watch the capture", live_name(c->cap));
			return -1;
		}
	}
	return 0;
}

static void
captures_close(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->ncaps; i++) {
		if (d->caps[i].ev != NULL)
			event_free(d->caps[i].ev);
		live_close(d->caps[i].cap);
		d->caps[i].ev = NULL;
		d->caps[i].cap = NULL;
	}
}

/* ---- reload ---- */

static bool
same_logs(const struct config *a, const struct config *b)
{
	size_t i;

	if (a->n_logs != b->n_logs)
		return false;
	for (i = 0; i < a->n_logs; i++)
		if (a->logs[i].kind != b->logs[i].kind ||
		    !str_eq_nullable(a->logs[i].path, b->logs[i].path) ||
		    !str_eq_nullable(a->logs[i].listen, b->logs[i].listen) ||
		    !str_eq_nullable(a->logs[i].format, b->logs[i].format))
			return false;
	return true;
}

/* What a reload cannot change in a running daemon: said, not applied. */
static void
warn_restart_changes(const struct config *old, const struct config *cfg)
{
	size_t i;
	bool same = old->n_capture_interfaces == cfg->n_capture_interfaces &&
	    old->capture_snaplen == cfg->capture_snaplen &&
	    old->capture_buffer == cfg->capture_buffer &&
	    old->capture_promiscuous == cfg->capture_promiscuous &&
	    str_eq_nullable(old->capture_bpf, cfg->capture_bpf);

	for (i = 0; same && i < cfg->n_capture_interfaces; i++)
		same = strcmp(old->capture_interfaces[i], cfg->capture_interfaces[i]) == 0;
	if (!same_logs(old, cfg))
		log_warnx("%s: logs: changes take effect at the next restart "
		    "(the running sources go on as they were)", cfg->path);
	if (!same)
		log_warnx("%s: capture: changes take effect at the next restart "
		    "(the capture was opened before privileges were dropped)",
		    cfg->path);
	if (old->stats_interval_s != cfg->stats_interval_s ||
	    old->rules_eval_interval_s != cfg->rules_eval_interval_s ||
	    !str_eq_nullable(old->stats_listen, cfg->stats_listen))
		log_warnx("%s: stats and rules.eval_interval: changes take effect "
		    "at the next restart", cfg->path);
}

static void arm_ioc_check(struct daemon *d);
static void arm_pairs_report(struct daemon *d);

/* Pairs of the last window asked again (verdicts were worked out anew),
 * their alerts delivered. */
static void
evaluate_window(struct daemon *d)
{
	uint64_t now = packet_now(d);

	pipeline_evaluate_recent(d->pipe, now - d->cfg->rules_window_s * NS_PER_SEC,
	    now);
	outputs_flush(d);
}

/* Loads, validates and applies the file; 0, or -1 with err (nothing
 * changed then). */
static int
reload_config(struct daemon *d, char *err, size_t errlen)
{
	struct pipeline_update *u;
	struct output_set fresh;
	struct config *cfg;

	if (config_load(d->opts->config_path, &cfg, err, errlen) != 0)
		return -1;
	/* geo and hosts first: after the outputs move over nothing may fail */
	if ((u = pipeline_prepare_config(d->pipe, cfg, err, errlen)) == NULL) {
		config_free(cfg);
		return -1;
	}
	if (cfg->n_outputs == 0 ?
	    output_set_open(&fresh, cfg, d->base, true, NULL, err, errlen) != 0 :
	    output_set_reopen_from(&fresh, cfg, d->base, &d->outputs, err, errlen) != 0) {
		pipeline_discard_config(u);
		config_free(cfg);
		return -1;
	}
	pipeline_commit_config(d->pipe, u);
	pipeline_warn_geo(d->pipe);
	output_set_close(&d->outputs);
	d->outputs = fresh;
	warn_restart_changes(d->cfg, cfg);
	config_free(d->cfg);
	d->cfg = cfg;
	if (!d->opts->level_forced)
		log_set_level(cfg->log_level);
	arm_ioc_check(d);
	arm_pairs_report(d);
	/* verdicts settled under the old file are made again now */
	evaluate_window(d);
	return 0;
}

static void
reload(struct daemon *d)
{
	char err[CONFIG_ERR_LEN];

	sdnotify_send(&d->notify, "RELOADING=1");
	log_info("reload: reading %s", d->opts->config_path);
	if (reload_config(d, err, sizeof(err)) == 0) {
		log_info("reload: %s applied", d->cfg->path);
	} else {
		log_warnx("reload failed, keeping the running configuration: %s", err);
		output_set_reopen(&d->outputs);
	}
	sdnotify_send(&d->notify, "READY=1");
	update_status(d);
}

/* ---- timers and signals ---- */

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	size_t i;

	(void)fd;
	(void)what;
	/* a capture whose readiness was missed is read anyway */
	for (i = 0; i < d->ncaps; i++)
		capture_drain(&d->caps[i]);
	pipeline_tick(d->pipe, packet_now(d));
	if (++d->ticks % STATUS_EVERY == 0)
		update_status(d);
}

static void
on_eval(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t now = packet_now(d);

	(void)fd;
	(void)what;
	/* overlap by a second: a pair's LRU time is that coarse */
	pipeline_evaluate_recent(d->pipe, d->last_eval_ns > NS_PER_SEC ?
	    d->last_eval_ns - NS_PER_SEC : 0, now);
	d->last_eval_ns = now;
	outputs_flush(d);
}

/* indicators_check: a list whose file changed is read again. */
static void
on_ioc_check(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (pipeline_refresh_indicators(d->pipe))
		evaluate_window(d);
}

static void
on_stats(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	log_stats(arg);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	sdnotify_send(&d->notify, "WATCHDOG=1");
}

static int
save_baseline(struct daemon *d)
{
	char err[CONFIG_ERR_LEN];

	if (!pipeline_has_baseline_state(d->pipe))
		return 0;
	if (pipeline_save_baseline(d->pipe, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

/* The last background save, if it has ended: its outcome logged. True
 * when none is running. */
static bool
reap_saver(struct daemon *d, bool wait)
{
	int status;
	pid_t pid;

	if (d->saver <= 0)
		return true;
	do
		pid = waitpid(d->saver, &status, wait ? 0 : WNOHANG);
	while (pid == -1 && errno == EINTR);
	if (pid == 0)
		return false;
	if (pid == d->saver && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("state saved in the background (pid %ld)", (long)pid);
	else
		log_warnx("background state save (pid %ld) failed", (long)d->saver);
	d->saver = 0;
	return true;
}

/*
 * The periodic save, in a forked child: it writes the tables as they were
 * at the fork (a copy-on-write snapshot, as Redis's BGSAVE) while the
 * capture goes on; one at a time. Without fork, in the loop.
 */
static void
on_save(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	pid_t pid;

	(void)fd;
	(void)what;
	if (!reap_saver(d, false)) {
		log_warnx("state save: the previous one still runs, skipped");
		return;
	}
	if ((pid = fork()) == -1) {
		log_warnx("state save: fork: %s (saving in the loop)",
		    strerror(errno));
		save_baseline(d);
		return;
	}
	if (pid == 0) {
		/* the loop's signal handlers are the parent's business (a
		 * signal must not reach it through the child) */
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGUSR1, SIG_DFL);
		(void)signal(SIGUSR2, SIG_DFL);
		_exit(save_baseline(d) == 0 ? 0 : 1);
	}
	d->saver = pid;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		log_stats(d);
		break;
	case SIGUSR2:
		report_pairs(d, "SIGUSR2");
		break;
	default:
		log_info("signal %d: stopping", (int)sig);
		event_base_loopbreak(d->base);
		break;
	}
}

static struct event *
add_timer(struct daemon *d, uint64_t usec, event_callback_fn fn)
{
	struct timeval tv = { (time_t)(usec / 1000000), (suseconds_t)(usec % 1000000) };
	struct event *ev = event_new(d->base, -1, EV_PERSIST, fn, d);

	if (ev == NULL || event_add(ev, &tv) != 0)
		fatalx("cannot add a timer");
	return ev;
}

static void
on_pairs_report(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	report_pairs(arg, "report.pairs_interval");
}

/* The pairs table at report.pairs_interval (again after a reload); none
 * for 0. */
static void
arm_pairs_report(struct daemon *d)
{
	if (d->ev_pairs != NULL)
		event_free(d->ev_pairs);
	d->ev_pairs = NULL;
	if (d->cfg->report_pairs_interval_s > 0)
		d->ev_pairs = add_timer(d, d->cfg->report_pairs_interval_s *
		    1000000ULL, on_pairs_report);
}

/* The indicator files' check at the configured interval (again after a
 * reload: the interval may have changed); none for 0. */
static void
arm_ioc_check(struct daemon *d)
{
	if (d->ev_ioc != NULL)
		event_free(d->ev_ioc);
	d->ev_ioc = NULL;
	if (d->cfg->indicators_check_s > 0 && d->cfg->n_indicators > 0)
		d->ev_ioc = add_timer(d, d->cfg->indicators_check_s * 1000000ULL,
		    on_ioc_check);
}

static void
add_events(struct daemon *d)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	size_t i;

	for (i = 0; i < ARRAY_LEN(sigs); i++) {
		d->ev_signals[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		if (d->ev_signals[i] == NULL || event_add(d->ev_signals[i], NULL) != 0)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	d->ev_tick = add_timer(d, TICK_SEC * 1000000ULL, on_tick);
	d->ev_eval = add_timer(d, d->cfg->rules_eval_interval_s * 1000000ULL, on_eval);
	if (d->cfg->stats_interval_s > 0)
		d->ev_stats = add_timer(d, d->cfg->stats_interval_s * 1000000ULL, on_stats);
	if (d->notify.watchdog_usec > 0)
		d->ev_watchdog = add_timer(d, d->notify.watchdog_usec / 2, on_watchdog);
	if (pipeline_has_baseline_state(d->pipe) && d->cfg->daemon_save_interval_s > 0)
		d->ev_save = add_timer(d, d->cfg->daemon_save_interval_s * 1000000ULL,
		    on_save);
	arm_ioc_check(d);
	arm_pairs_report(d);
}

static void
free_events(struct daemon *d)
{
	struct event *evs[] = { d->ev_tick, d->ev_eval, d->ev_stats,
		d->ev_watchdog, d->ev_save, d->ev_ioc, d->ev_pairs,
		d->ev_signals[0], d->ev_signals[1], d->ev_signals[2],
		d->ev_signals[3], d->ev_signals[4] };
	size_t i;

	for (i = 0; i < ARRAY_LEN(evs); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	d->ev_tick = d->ev_eval = d->ev_stats = d->ev_watchdog = d->ev_save = NULL;
	d->ev_ioc = d->ev_pairs = NULL;
	memset(d->ev_signals, 0, sizeof(d->ev_signals));
}

/* ---- start and stop ---- */

static int
start(struct daemon *d)
{
	char err[CONFIG_ERR_LEN];
	const char *user = preflight_user(d->cfg, d->opts->user);

	if (sdnotify_open(&d->notify, err, sizeof(err)) != 0)
		log_warnx("systemd notification disabled: %s", err);
	/* as root: the user exists, and the directories it will write in
	 * (outputs, state) are there and its own */
	if (preflight_prepare(d->cfg, d->opts->user, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (captures_open(d) != 0)
		return -1;
	/* nothing below needs root: the captures are open */
	/* (containment keeps CAP_NET_ADMIN for nf_tables netlink) */
	if (privdrop_to_user_caps(user, d->cfg->contain_enabled, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	d->pipe = pipeline_new(d->cfg, "live", on_alert, d, err, sizeof(err));
	if (d->pipe == NULL || pipeline_start_contain(d->pipe, NULL, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	/* (exfild -t checks the directory; evidence that cannot be kept
	 * never stops detection) */
	if (pipeline_keep_evidence(d->pipe, err, sizeof(err)) != 0)
		log_warnx("%s: no evidence is kept", err);
	pipeline_warn_geo(d->pipe);
	if ((d->base = event_base_new()) == NULL) {
		log_warnx("cannot create the event loop");
		return -1;
	}
	if (output_set_open(&d->outputs, d->cfg, d->base, true, NULL, err,
	    sizeof(err)) != 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (d->cfg->n_outputs == 0)
		log_info("no outputs configured: alerts go to stdout as JSON lines");
	if (captures_watch(d) != 0)
		return -1;
	if (d->cfg->stats_listen != NULL) {
		d->http = stats_http_start(d->base, d->cfg->stats_listen,
		    fill_snapshot, d, err, sizeof(err));
		if (d->http == NULL) {
			log_warnx("%s", err);
			return -1;
		}
	}
	if (logs_open(d) != 0)
		return -1;
	resolver_start(d);
	add_events(d);
	return 0;
}

static void
stop(struct daemon *d)
{
	size_t i;

	sdnotify_send(&d->notify, "STOPPING=1");
	/* what the kernel already holds is read before the captures close */
	for (i = 0; i < d->ncaps && d->pipe != NULL; i++)
		capture_drain(&d->caps[i]);
	if (d->pipe != NULL)
		log_stats(d);
	/* Nothing may run while the outputs drain (the loop turns for them):
	 * no signal handler (a reload would free an output being drained), no
	 * timer, no capture, no log source, no stats listener. */
	free_events(d);
	captures_close(d);
	logs_close(d);
	stats_http_stop(d->http);
	d->http = NULL;
	if (d->pipe != NULL) {
		/* the last word is this save's: a background one still
		 * writing an older snapshot is waited for (not killed: its
		 * temp file would be left behind) */
		(void)reap_saver(d, true);
		if (save_baseline(d) != 0) /* before the flows are let go */
			d->exit_code = 1;
		pipeline_finish(d->pipe);
		pipeline_set_name_lookup(d->pipe, NULL, NULL);
	}
	resolver_free(d->resolver);
	d->resolver = NULL;
	/* what the SIEM has not taken yet goes to the spools */
	if (output_set_drain(&d->outputs, STOP_DRAIN_MS) > 0)
		log_warnx("stopping: alerts not yet delivered stay in the spool");
	output_set_close(&d->outputs);
	/* a turn of the loop lets evdns release answers it had queued */
	if (d->base != NULL)
		event_base_loop(d->base, EVLOOP_NONBLOCK);
	pipeline_free(d->pipe);
	if (d->base != NULL)
		event_base_free(d->base);
	sdnotify_close(&d->notify);
	config_free(d->cfg);
}

int
daemon_run(const struct daemon_opts *o)
{
	char err[CONFIG_ERR_LEN];
	struct daemon d;

	memset(&d, 0, sizeof(d));
	d.opts = o;
	d.notify.fd = -1;
	d.started_mono_ns = clock_mono_ns();
	if (config_load(o->config_path, &d.cfg, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (!o->level_forced)
		log_set_level(d.cfg->log_level);
	signal(SIGPIPE, SIG_IGN);
	if (start(&d) != 0) {
		stop(&d);
		return 1;
	}
	d.last_eval_ns = packet_now(&d);
	sdnotify_send(&d.notify, "READY=1");
	update_status(&d);
	log_info("exfild %s: capturing on %zu interface%s, config %s", o->version,
	    d.ncaps, d.ncaps == 1 ? "" : "s", d.cfg->path);
	event_base_dispatch(d.base);
	log_info("stopping");
	stop(&d);
	return d.exit_code;
}
