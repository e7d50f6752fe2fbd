/*
 * output_syslog.h - alerts to a SIEM over syslog (UDP, TCP with RFC 6587
 * framing, unix datagram), behind struct output_ops, driven by a libevent
 * base: a memory queue, an on-disk spool (spool.h) past it or while the
 * target is down, reconnect with backoff, resend after a break.
 *
 * Order and loss. An alert is formatted once (syslog_format.h) and queued
 * in memory (a ring of oc->queue_bytes, at least one longest message). It
 * goes to the spool instead when the ring is full, when the target is down
 * (a connect failed and the backoff runs, or disconnected longer than
 * OUTPUT_SYSLOG_GRACE_MS), or when the spool holds anything; memory is
 * moved into the spool first, so the spool is always older. The sender
 * takes saved windows first (below), then the spool, then memory. Without
 * a spool (spool: 0) a full ring drops its oldest message; a full spool
 * drops its oldest record. Both are counted in dropped and logged (at most
 * every 10 s); so is what memory holds at close when there is no spool.
 *
 * Resend. What was handed to the kernel stays in a window (at most
 * OUTPUT_SYSLOG_WINDOW_BYTES) until it is known delivered: on TCP until
 * the peer acknowledged it (SIOCOUTQ; the send buffer is fixed below the
 * window); a datagram for OUTPUT_SYSLOG_DGRAM_HOLD_MS (ECONNREFUSED from an
 * ICMP port unreachable reports a datagram sent before). When the
 * connection breaks (write error, EOF or error on read, keepalive or
 * TCP_USER_TIMEOUT), the window is sent again from its first message,
 * whole, on the next connection: duplicates around a break, never a gap;
 * receivers drop them by alert id. When the target goes down, at close and
 * at the end of a drain, the window is saved in order to a second spool,
 * <state_dir>/spool/<name>/resend/, sent before the spool: a restart keeps
 * the order too. A TCP peer that acknowledged bytes and then dropped them
 * unread cannot be detected without an application-level ack (RELP).
 *
 * Names are resolved with libevent's evdns (getaddrinfo semantics,
 * AI_ADDRCONFIG, /etc/hosts, resolv.conf read at creation; timeout 2 s, 2
 * attempts), never blocking the loop; every address is tried in order.
 * Address literals need no resolver. Reconnect: exponential backoff from
 * 100 ms to 30 s with +-20% jitter; state changes are logged once each.
 */
#ifndef EXFILD_OUTPUT_SYSLOG_H
#define EXFILD_OUTPUT_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/output/output.h"
#include "exfild/alert/syslog_format.h"

struct event_base;

#define OUTPUT_SYSLOG_BACKOFF_MIN_MS 100
#define OUTPUT_SYSLOG_BACKOFF_MAX_MS 30000
#define OUTPUT_SYSLOG_GRACE_MS 2000
#define OUTPUT_SYSLOG_DGRAM_HOLD_MS 500
#define OUTPUT_SYSLOG_CONNECT_TIMEOUT_MS 10000
#define OUTPUT_SYSLOG_WINDOW_BYTES (1024u * 1024u)

/*
 * A syslog output for oc (kind OUTPUT_SYSLOG) on base; its spool, when
 * oc->spool_bytes > 0, is <state_dir>/spool/<oc->name>/ (made 0700 with
 * its parents). The base must run (the daemon's loop, or
 * output_syslog_drain) for anything to be sent. meta gives the
 * header's hostname, app name and procid (NULL: gethostname, "exfild",
 * getpid); the facility is oc->facility. Starts connecting at once.
 * NULL with err ("syslog output NAME: reason") on failure.
 */
struct output *output_syslog_new(struct event_base *base,
    const struct output_conf *oc, const char *state_dir,
    const struct syslog_meta *meta, char *err, size_t errlen);

/*
 * queued: messages in memory not yet known delivered (queue and window).
 * spooled: messages on disk now (spool and saved windows). sent: messages
 * handed whole to the kernel the first time; retried: handed again after
 * a break or an error.
 * dropped: messages given up (queue or spool full, unformattable, or in
 * memory at close without a spool). connects: connections made;
 * connect_failures: attempts that failed (resolution included).
 */
struct output_syslog_stats {
	uint64_t queued, spooled, sent, retried, dropped, connects,
	    connect_failures;
};
/* 0, or -1 when o is not a syslog output. */
int output_syslog_get_stats(const struct output *o,
    struct output_syslog_stats *out);

/*
 * replay --to-outputs: runs the base until every alert is delivered (sent
 * and, on TCP, acknowledged) or timeout_ms passes. What is left moves to
 * the spool. Returns the number of alerts not delivered (in the spool; in
 * memory when there is none).
 */
size_t output_syslog_drain(struct output *o, int timeout_ms);

#endif
