/*
 * stats.h - the daemon's counters as one key=value log line (stats.interval,
 * SIGUSR1) and as Prometheus text (exposition format 0.0.4), served at
 * /metrics by an optional localhost-only evhttp listener (stats.listen).
 */
#ifndef EXFILD_STATS_H
#define EXFILD_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "exfild/output/output_set.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/util/strbuf.h"

/* Counters of one capture interface, from pcap_stats(3PCAP). */
struct iface_stats {
	char name[32];
	uint64_t received;  /* ps_recv */
	uint64_t dropped;   /* ps_drop: no room in the kernel buffer */
	uint64_t ifdropped; /* ps_ifdrop: dropped by the interface or driver */
};

struct stats_snapshot {
	const char *sensor;  /* config "sensor"; NULL = "" */
	const char *version; /* exfild version; NULL = "" */
	uint64_t uptime_s;
	uint64_t memory_rss_bytes;
	const struct pipeline_stats *pipe; /* NULL = all zero */
	const struct iface_stats *ifaces;
	size_t n_ifaces;
	const struct output_row *outputs; /* the alert outputs (queues, spools) */
	size_t n_outputs;
};

/*
 * One line of key=value pairs separated by spaces, no newline:
 *   uptime=3600s rss_kb=N eth0.received=N eth0.dropped=N eth0.ifdropped=N
 *   packets=N bytes=N malformed=N <reason>=N... http=N dns=N tls=N
 *   flows_active=N flows_created=N flows_expired=N flows_evicted=N
 *   pairs_active=N pairs_created=N pairs_evicted=N destinations=N
 *   destinations_evicted=N proxy_unidentified=N http_requests=N tls_sni=N
 *   dns_answers=N dns_untrusted=N not_tracked=N parser_slots_exhausted=N
 *   alerts=N <rule>=N...
 * Decoder reasons appear only when non-zero; every rule appears. Bytes of an
 * interface name other than [A-Za-z0-9._:@+-] are written as \xNN.
 * 0, or -1 when out overflowed.
 */
int stats_format_line(const struct stats_snapshot *s, struct strbuf *out);

/* Prometheus text exposition format 0.0.4: families exfild_*, HELP and
 * TYPE once each, counters named *_total, label values escaped (\\, \",
 * \n) and invalid UTF-8 replaced by U+FFFD. 0, or -1 when out overflowed. */
#define STATS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
int stats_format_prometheus(const struct stats_snapshot *s, struct strbuf *out);

/* Resident set size in bytes from /proc/self/statm; 0 if unavailable. */
uint64_t stats_memory_rss(void);
/* The parser behind it: the second field of statm text (pages) times
 * page_size; 0 when the text is not "N N ..." or the product overflows. */
uint64_t stats_parse_statm(const char *text, size_t len, uint64_t page_size);

/*
 * "127.0.0.1:9477" or "[::1]:9477" (port 0: any free port). The host must
 * be a literal loopback address (127.0.0.0/8 or ::1): the endpoint has no
 * authentication. 0, or -1 with a message naming the text in err. For
 * config checks as well as stats_http_start.
 */
int stats_listen_parse(const char *listen, struct sockaddr_storage *out,
    socklen_t *outlen, char *err, size_t errlen);

/* The daemon fills a snapshot on demand (pointers valid until it returns). */
typedef void (*stats_snapshot_fn)(void *ctx, struct stats_snapshot *out);

struct event_base;
struct stats_http;

/*
 * Listens on listen (see stats_listen_parse) in base: GET or HEAD /metrics
 * answers 200 with the Prometheus text, other paths 404, other methods on
 * /metrics 405 with "Allow: GET, HEAD". Non-blocking; slow clients time
 * out. NULL with a message in err on failure.
 */
struct stats_http *stats_http_start(struct event_base *base,
    const char *listen, stats_snapshot_fn fn, void *ctx, char *err,
    size_t errlen);
/* The port bound (useful with port 0). */
uint16_t stats_http_port(const struct stats_http *h);
/* Closes the listener and every open connection. NULL is fine. */
void stats_http_stop(struct stats_http *h);

#endif
