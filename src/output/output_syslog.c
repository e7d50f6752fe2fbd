/*
 * output_syslog.c - alerts to a syslog receiver (output_syslog.h): a memory
 * ring, the disk spool, a window of messages not yet known delivered, and
 * UDP (RFC 5426), TCP (RFC 6587 octet counting or LF) and unix datagram.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h> /* SIOCOUTQ */
#endif

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "exfild/util/log.h"
#include "exfild/output/output_syslog.h"
#include "exfild/output/spool.h"
#include "exfild/util/strbuf.h"
#include "exfild/util/util.h"

#define MS_NS 1000000ULL
#define LIVED_RESET_NS (1000 * MS_NS) /* a connection this old resets backoff */
#define DROP_LOG_NS (10 * NS_PER_SEC)
#define ACKPOLL_MS 20
#define ENOBUFS_RETRY_MS 10
#define PUMP_BUDGET 256       /* messages handed to the kernel per turn */
#define IOV_RECORDS 64        /* records per sendmsg on TCP */
#define MAX_ADDRS 16
#define READ_TURNS 8
#define KEEPIDLE_S 60
#define KEEPINTVL_S 10
#define KEEPCNT 3
#define USER_TIMEOUT_MS 30000
#define STREAM_SNDBUF (256 * 1024) /* the kernel doubles it: < the window */
#define DNS_TIMEOUT "2"
#define DNS_ATTEMPTS "2"
#define QUEUE_MAX_BYTES ((uint64_t)SIZE_MAX >> 2)

/*
 * A ring of records, each contiguous: a header (length, flags, a time) and
 * the message, padded to 8 bytes. A record that does not fit before the
 * end starts again at 0, behind a wrap marker when there is room for one.
 */
#define REC_HDR 16u
#define REC_WRAP UINT32_MAX
#define REC_SENT 1u  /* handed to the kernel at least once */
#define REC_DEAD 2u  /* a datagram the kernel will never take: skip */
#define SAVED_UNSENT 'u'
#define SAVED_SENT 's'

struct rec_hdr {
	uint32_t len;
	uint32_t flags;
	uint64_t stamp_ns; /* datagrams: when sent */
};

struct ring {
	uint8_t *buf;
	size_t cap; /* a multiple of 8 */
	size_t head, tail;
	size_t count;
	size_t used; /* bytes of the records (wrap gaps not counted) */
};

enum conn_state { ST_IDLE, ST_RESOLVING, ST_CONNECTING, ST_CONNECTED };
enum send_result { SEND_DONE, SEND_BLOCKED, SEND_BROKEN };

struct syslog_out;

/* evdns hands the callback argument back even after a cancel: it must
 * outlive the output, so it is a separate allocation that, once orphaned,
 * takes the evdns base with it. */
struct dns_ticket {
	struct syslog_out *owner; /* NULL: the output is gone */
	struct evdns_base *dns;
	struct event_base *base;
};

struct syslog_out {
	struct output_conf oc;  /* strings point into the copies below */
	char *name, *target, *host, *socket_path;
	char port[8];
	struct event_base *base;
	struct syslog_meta meta;
	char hostname[256];
	char app_name[49];

	char *fmt;              /* one formatted message */
	size_t fmt_cap;

	struct ring mem;        /* the memory queue */
	struct ring win;        /* handed to the kernel, not known delivered */
	size_t win_limit;       /* bytes of records the window takes */
	size_t win_next;        /* index of the next record to send */
	size_t win_next_off;    /* its offset (when win_next < win.count) */
	size_t win_partial;     /* bytes of it written (TCP) */
	uint64_t win_written;   /* TCP bytes written and still in the window */

	struct spool *spool;
	struct spool *resend;   /* the window saved in order: sent first */

	enum conn_state state;
	int fd;
	int socktype, protocol;
	struct sockaddr_storage addrs[MAX_ADDRS];
	socklen_t addr_lens[MAX_ADDRS];
	size_t naddrs, addr_idx;
	int last_errno;
	struct evdns_base *dns;
	struct dns_ticket *ticket;
	struct evdns_getaddrinfo_request *dns_req;

	struct event *ev_read, *ev_write;
	struct event *ev_retry, *ev_pump, *ev_ackpoll, *ev_sync, *ev_deadline;
	bool wait_writable;
	bool deadline_hit;

	uint64_t backoff_ms;
	uint64_t rng;
	uint64_t connected_ns, disconnected_ns, outage_ns;
	bool ever_connected, outage;
	uint64_t outage_failures;

	uint64_t sent, retried, dropped, connects, connect_failures;
	uint64_t drops_unlogged, drop_log_ns;
	uint64_t spool_err_log_ns;
};

static const struct output_ops syslog_ops;

/* ---- the ring ---------------------------------------------------------- */

static size_t
rec_size(size_t len)
{
	return (REC_HDR + len + 7) & ~(size_t)7;
}

static void
rec_get(const struct ring *r, size_t off, struct rec_hdr *h)
{
	memcpy(h, r->buf + off, sizeof(*h));
}

static void
rec_put(struct ring *r, size_t off, const struct rec_hdr *h)
{
	memcpy(r->buf + off, h, sizeof(*h));
}

static void
ring_init(struct ring *r, size_t cap)
{
	r->cap = cap & ~(size_t)7;
	r->buf = xmalloc(r->cap);
	r->head = r->tail = r->count = r->used = 0;
}

/* Where a record of need bytes would go; false when it does not fit. */
static bool
ring_place(const struct ring *r, size_t need, size_t *at)
{
	if (r->count == 0) {
		*at = 0;
		return need <= r->cap;
	}
	if (r->tail > r->head) {
		if (r->cap - r->tail >= need) {
			*at = r->tail;
			return true;
		}
		if (r->head >= need) {
			*at = 0;
			return true;
		}
		return false;
	}
	if (r->tail < r->head && r->head - r->tail >= need) {
		*at = r->tail;
		return true;
	}
	return false; /* tail == head: full */
}

static bool
ring_fits(const struct ring *r, size_t len)
{
	size_t at;

	return ring_place(r, rec_size(len), &at);
}

/* The record at off, or at 0 when off holds the wrap marker or no room. */
static size_t
ring_skip_wrap(const struct ring *r, size_t off)
{
	struct rec_hdr h;

	if (r->cap - off < REC_HDR)
		return 0;
	rec_get(r, off, &h);
	return h.len == REC_WRAP ? 0 : off;
}

/* Appends; false when full. *where gets the record's offset. */
static bool
ring_push(struct ring *r, const void *msg, size_t len, uint32_t flags,
    size_t *where)
{
	struct rec_hdr h = { (uint32_t)len, flags, 0 };
	size_t need = rec_size(len), at;

	if (len >= REC_WRAP || !ring_place(r, need, &at))
		return false;
	if (r->count > 0 && at == 0 && r->cap - r->tail >= REC_HDR) {
		struct rec_hdr wrap = { REC_WRAP, 0, 0 };
		rec_put(r, r->tail, &wrap);
	}
	rec_put(r, at, &h);
	memcpy(r->buf + at + REC_HDR, msg, len);
	r->tail = at + need;
	r->count++;
	r->used += need;
	if (where != NULL)
		*where = at;
	return true;
}

static size_t
ring_front(const struct ring *r)
{
	return ring_skip_wrap(r, r->head);
}

/* The record after the one at off (only when there is one). */
static size_t
ring_after(const struct ring *r, size_t off)
{
	struct rec_hdr h;

	rec_get(r, off, &h);
	return ring_skip_wrap(r, off + rec_size(h.len));
}

static uint8_t *
ring_msg(const struct ring *r, size_t off, size_t *len)
{
	struct rec_hdr h;

	rec_get(r, off, &h);
	*len = h.len;
	return r->buf + off + REC_HDR;
}

static void
ring_pop(struct ring *r)
{
	size_t off = ring_front(r);
	struct rec_hdr h;

	rec_get(r, off, &h);
	r->count--;
	r->used -= rec_size(h.len);
	if (r->count == 0)
		r->head = r->tail = 0;
	else
		r->head = off + rec_size(h.len);
}

/* ---- small helpers ------------------------------------------------------ */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static struct timeval
ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static void
timer_after(struct event *ev, uint64_t ms)
{
	struct timeval tv = ms_tv(ms);

	evtimer_add(ev, &tv);
}

static bool
is_stream(const struct syslog_out *so)
{
	return so->oc.transport == SYSLOG_TCP;
}

static uint64_t
records_in(const struct spool *sp)
{
	struct spool_stats st;

	if (sp == NULL)
		return 0;
	spool_get_stats(sp, &st);
	return st.records;
}

/* The main spool (the sidecar of saved windows is older than all of it). */
static uint64_t
spool_records(const struct syslog_out *so)
{
	return records_in(so->spool);
}

static uint64_t
on_disk(const struct syslog_out *so)
{
	return records_in(so->spool) + records_in(so->resend);
}

static void
note_drops(struct syslog_out *so, uint64_t n, const char *why)
{
	uint64_t now = clock_mono_ns();

	so->dropped += n;
	so->drops_unlogged += n;
	if (so->drop_log_ns != 0 && now - so->drop_log_ns < DROP_LOG_NS)
		return;
	log_warnx("syslog output %s: %s: dropped %llu alerts (%llu in total)",
	    so->name, why, (unsigned long long)so->drops_unlogged,
	    (unsigned long long)so->dropped);
	so->drops_unlogged = 0;
	so->drop_log_ns = now;
}

static void
spool_trouble(struct syslog_out *so, const struct spool *sp)
{
	uint64_t now = clock_mono_ns();

	if (so->spool_err_log_ns == 0 || now - so->spool_err_log_ns >= DROP_LOG_NS) {
		log_warnx("syslog output %s: %s", so->name, spool_error(sp));
		so->spool_err_log_ns = now;
	}
}

static int
spool_put_in(struct syslog_out *so, struct spool *sp, const void *msg,
    size_t len)
{
	if (spool_append(sp, msg, len, clock_mono_ns()) == 0)
		return 0;
	spool_trouble(so, sp);
	return -1;
}

static int
spool_put(struct syslog_out *so, const void *msg, size_t len)
{
	return spool_put_in(so, so->spool, msg, len);
}

/* An outage ends when something is known delivered (a connect alone
 * says little: UDP always connects, a broken receiver may accept). */
static void
outage_over(struct syslog_out *so)
{
	if (!so->outage)
		return;
	/* the backlog: in memory and in flight as well as on disk (the
	 * drain may already have moved the spool's head into memory) */
	log_info("syslog output %s: %s is back after %.1f s (%llu connection "
	    "attempts failed); %llu alerts still to send", so->name,
	    so->target, (double)(clock_mono_ns() - so->outage_ns) / 1e9,
	    (unsigned long long)so->outage_failures,
	    (unsigned long long)(on_disk(so) + so->mem.count + so->win.count));
	so->outage = false;
	so->outage_failures = 0;
}

static void
outage_begin(struct syslog_out *so)
{
	so->outage = true;
	so->outage_ns = clock_mono_ns();
	so->outage_failures = 0;
}

/* ---- framing ------------------------------------------------------------ */

/* RFC 6587 3.4.1 "MSG-LEN SP" before the message, or 3.4.2 a trailing LF. */
static size_t
frame_prefix(const struct syslog_out *so, size_t len, char out[24])
{
	if (!is_stream(so) || so->oc.framing != SYSLOG_FRAMING_OCTET)
		return 0;
	return (size_t)snprintf(out, 24, "%zu ", len);
}

static size_t
frame_suffix_len(const struct syslog_out *so)
{
	return is_stream(so) && so->oc.framing == SYSLOG_FRAMING_LF ? 1 : 0;
}

static size_t
frame_len(const struct syslog_out *so, size_t len)
{
	char pfx[24];

	return frame_prefix(so, len, pfx) + len + frame_suffix_len(so);
}

/* ---- the window --------------------------------------------------------- */

static void
window_rewind(struct syslog_out *so)
{
	so->win_next = 0;
	so->win_partial = 0;
	so->win_written = 0;
	if (so->win.count > 0)
		so->win_next_off = ring_front(&so->win);
}

static bool
window_has_room(const struct syslog_out *so, size_t len)
{
	return so->win.used + rec_size(len) <= so->win_limit &&
	    ring_fits(&so->win, len);
}

static bool
window_push(struct syslog_out *so, const void *msg, size_t len,
    uint32_t flags)
{
	size_t at;

	if (!window_has_room(so, len) ||
	    !ring_push(&so->win, msg, len, flags, &at))
		return false;
	if (so->win_next == so->win.count - 1)
		so->win_next_off = at;
	return true;
}

static void
window_pop_sent(struct syslog_out *so)
{
	ring_pop(&so->win);
	so->win_next--;
}

/* TCP: forget what the peer acknowledged (SIOCOUTQ: bytes not yet acked). */
static void
window_trim_stream(struct syslog_out *so)
{
	uint64_t acked;
	int outq = 0;

	if (so->fd < 0 || so->win_next == 0)
		return;
#ifdef SIOCOUTQ
	if (ioctl(so->fd, SIOCOUTQ, &outq) != 0)
		return;
#endif
	if (outq < 0)
		outq = 0;
	acked = so->win_written > (uint64_t)outq ?
	    so->win_written - (uint64_t)outq : 0;
	while (so->win_next > 0) {
		size_t len, flen;

		ring_msg(&so->win, ring_front(&so->win), &len);
		flen = frame_len(so, len);
		if (flen > acked)
			break;
		acked -= flen;
		so->win_written -= flen;
		window_pop_sent(so);
		outage_over(so);
	}
}

/* Datagrams: forget those held OUTPUT_SYSLOG_DGRAM_HOLD_MS (all sent ones
 * when force: the window needs the room, or at close). */
static void
window_trim_dgram(struct syslog_out *so, bool force)
{
	uint64_t now = clock_mono_ns();

	while (so->win_next > 0) {
		struct rec_hdr h;

		rec_get(&so->win, ring_front(&so->win), &h);
		if (!force && now - h.stamp_ns < OUTPUT_SYSLOG_DGRAM_HOLD_MS * MS_NS)
			break;
		window_pop_sent(so);
		if (!force)
			outage_over(so);
	}
}

static void
window_trim(struct syslog_out *so)
{
	if (is_stream(so))
		window_trim_stream(so);
	else
		window_trim_dgram(so, false);
}

static void
mark_sent(struct syslog_out *so, size_t off)
{
	struct rec_hdr h;

	rec_get(&so->win, off, &h);
	if (h.flags & REC_SENT)
		so->retried++;
	else
		so->sent++;
	h.flags |= REC_SENT;
	h.stamp_ns = clock_mono_ns();
	rec_put(&so->win, off, &h);
}

static void
window_advance(struct syslog_out *so)
{
	so->win_next++;
	if (so->win_next < so->win.count)
		so->win_next_off = ring_after(&so->win, so->win_next_off);
}

static bool
transient_errno(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

static void conn_broken(struct syslog_out *, int, const char *);

static void
wait_writable(struct syslog_out *so)
{
	so->wait_writable = true;
	event_add(so->ev_write, NULL);
}

/* TCP: as many frames as the socket takes, in one sendmsg per batch. */
static enum send_result
window_send_stream(struct syslog_out *so, unsigned *budget)
{
	static char lf[] = "\n";

	while (so->win_next < so->win.count && *budget > 0) {
		struct iovec iov[IOV_RECORDS * 3];
		char pfx[IOV_RECORDS][24];
		struct msghdr mh;
		size_t i, n = 0, idx = so->win_next, off = so->win_next_off;
		size_t skip = so->win_partial;
		ssize_t w;

		for (i = 0; i < IOV_RECORDS && idx < so->win.count; i++, idx++) {
			size_t len, plen;
			uint8_t *msg = ring_msg(&so->win, off, &len);
			struct iovec parts[3];
			size_t k;

			plen = frame_prefix(so, len, pfx[i]);
			parts[0].iov_base = pfx[i];
			parts[0].iov_len = plen;
			parts[1].iov_base = msg;
			parts[1].iov_len = len;
			parts[2].iov_base = lf;
			parts[2].iov_len = frame_suffix_len(so);
			for (k = 0; k < 3; k++) {
				if (parts[k].iov_len <= skip) {
					skip -= parts[k].iov_len;
					continue;
				}
				iov[n].iov_base = (uint8_t *)parts[k].iov_base + skip;
				iov[n].iov_len = parts[k].iov_len - skip;
				skip = 0;
				n++;
			}
			if (idx + 1 < so->win.count)
				off = ring_after(&so->win, off);
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n;
		w = sendmsg(so->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				wait_writable(so);
				return SEND_BLOCKED;
			}
			conn_broken(so, errno, NULL);
			return SEND_BROKEN;
		}
		so->win_written += (uint64_t)w;
		while (w > 0) {
			size_t len, left;

			ring_msg(&so->win, so->win_next_off, &len);
			left = frame_len(so, len) - so->win_partial;
			if ((size_t)w < left) {
				so->win_partial += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			so->win_partial = 0;
			mark_sent(so, so->win_next_off);
			window_advance(so);
			if (*budget > 0)
				(*budget)--;
		}
	}
	return SEND_DONE;
}

/* Datagrams: one message each. */
static enum send_result
window_send_dgram(struct syslog_out *so, unsigned *budget)
{
	while (so->win_next < so->win.count && *budget > 0) {
		struct rec_hdr h;
		size_t len;
		const uint8_t *msg = ring_msg(&so->win, so->win_next_off, &len);

		rec_get(&so->win, so->win_next_off, &h);
		if (h.flags & REC_DEAD) {
			window_advance(so);
			continue;
		}
		if (send(so->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				wait_writable(so);
				return SEND_BLOCKED;
			}
			if (errno == ENOBUFS) {
				timer_after(so->ev_ackpoll, ENOBUFS_RETRY_MS);
				return SEND_BLOCKED;
			}
			if (errno == EMSGSIZE) {
				h.flags |= REC_DEAD | REC_SENT;
				rec_put(&so->win, so->win_next_off, &h);
				note_drops(so, 1, "message longer than a datagram");
				window_advance(so);
				continue;
			}
			conn_broken(so, errno, NULL);
			return SEND_BROKEN;
		}
		mark_sent(so, so->win_next_off);
		window_advance(so);
		(*budget)--;
	}
	return SEND_DONE;
}

/* The oldest message waiting: from the saved windows, the spool, or
 * memory (*from tells which). 1, or 0 when there is none (or a spool
 * cannot be read now: logged, tried again later). A saved window's
 * record is a flag byte (SAVED_SENT: sent before) and the message. */
static int
next_message(struct syslog_out *so, const uint8_t **msg, size_t *len,
    int *from)
{
	struct spool *sources[2] = { so->resend, so->spool };
	size_t i;

	for (i = 0; i < 2; i++) {
		int rc;

		if (sources[i] == NULL)
			continue;
		while ((rc = spool_peek(sources[i], msg, len)) == 1 && i == 0 &&
		    *len < 2)
			spool_ack(sources[i]); /* too short to be ours: skip */
		if (rc < 0) {
			spool_trouble(so, sources[i]);
			return 0;
		}
		if (rc == 1) {
			*from = (int)i;
			return 1;
		}
	}
	if (so->mem.count == 0)
		return 0;
	*msg = ring_msg(&so->mem, ring_front(&so->mem), len);
	*from = 2;
	return 1;
}

/* Moves messages, oldest first, into the window while they fit. The
 * number moved. */
static size_t
window_refill(struct syslog_out *so)
{
	size_t moved = 0;
	const uint8_t *msg;
	size_t len;
	int from;

	while (next_message(so, &msg, &len, &from) == 1) {
		uint32_t flags = 0;

		if (from == 0) {
			flags = msg[0] == SAVED_SENT ? REC_SENT : 0;
			msg++;
			len--;
		}
		if (!window_has_room(so, len) && !is_stream(so))
			window_trim_dgram(so, true);
		if (!window_push(so, msg, len, flags))
			break;
		if (from == 0)
			spool_ack(so->resend);
		else if (from == 1)
			spool_ack(so->spool);
		else
			ring_pop(&so->mem);
		moved++;
	}
	return moved;
}

static void
schedule_pump(struct syslog_out *so)
{
	struct timeval zero = { 0, 0 };

	if (!evtimer_pending(so->ev_pump, NULL))
		evtimer_add(so->ev_pump, &zero);
}

/* Sends what the window holds and refills it, until the socket or the
 * window is full, nothing is left, or the turn's budget is spent. */
static void
pump(struct syslog_out *so)
{
	unsigned budget = PUMP_BUDGET;
	enum send_result r;

	if (so->state != ST_CONNECTED || so->wait_writable)
		return;
	for (;;) {
		window_trim(so);
		if (is_stream(so))
			r = window_send_stream(so, &budget);
		else
			r = window_send_dgram(so, &budget);
		if (r != SEND_DONE)
			return;
		if (budget == 0) {
			schedule_pump(so);
			return;
		}
		if (window_refill(so) == 0)
			break;
	}
	if (so->win.count > 0 && !evtimer_pending(so->ev_ackpoll, NULL))
		timer_after(so->ev_ackpoll, is_stream(so) ? ACKPOLL_MS :
		    OUTPUT_SYSLOG_DGRAM_HOLD_MS);
}

/* ---- parking messages in the spool --------------------------------------- */

/* The memory queue into the spool (it is newer than what the spool holds). */
static void
park_memory(struct syslog_out *so)
{
	while (so->mem.count > 0) {
		size_t len;
		const uint8_t *msg = ring_msg(&so->mem, ring_front(&so->mem), &len);

		if (spool_put(so, msg, len) != 0)
			return;
		ring_pop(&so->mem);
	}
}

/* One message of the window into the sidecar: a flag byte, then the
 * message, put together in the format buffer (free: this never runs
 * while an alert is being formatted; it holds any spool record). */
static int
save_record(struct syslog_out *so, const uint8_t *msg, size_t len, bool sent)
{
	so->fmt[0] = sent ? SAVED_SENT : SAVED_UNSENT;
	memcpy(so->fmt + 1, msg, len);
	return spool_put_in(so, so->resend, so->fmt, len + 1);
}

/*
 * The window into the sidecar spool of saved windows, which is sent before
 * the spool: what the sidecar still holds came before the window, so it is
 * pulled back behind the window first and the sidecar written again whole
 * (never more than a window: cheap). Order is kept across restarts.
 */
static void
park_window(struct syslog_out *so)
{
	const uint8_t *rec;
	size_t len;

	if (so->resend == NULL || so->win.count == 0)
		return;
	while (spool_peek(so->resend, &rec, &len) == 1) {
		if (len < 2) {
			spool_ack(so->resend);
			continue;
		}
		if (!ring_push(&so->win, rec + 1, len - 1,
		    rec[0] == SAVED_SENT ? REC_SENT : 0, NULL)) {
			log_warnx("syslog output %s: window full while saving it: "
			    "%llu saved alerts go after it", so->name,
			    (unsigned long long)records_in(so->resend));
			break;
		}
		spool_ack(so->resend);
	}
	while (so->win.count > 0) {
		size_t off = ring_front(&so->win);
		uint8_t *msg = ring_msg(&so->win, off, &len);
		struct rec_hdr h;

		rec_get(&so->win, off, &h);
		if (!(h.flags & REC_DEAD) && save_record(so, msg, len,
		    (h.flags & REC_SENT) != 0) != 0)
			break;
		ring_pop(&so->win);
	}
	window_rewind(so);
}

/* Memory to disk: when the target goes down (not connected: the window
 * too), at close and at the end of a drain (at_end: the window too). */
static void
park(struct syslog_out *so, bool at_end)
{
	if (so->spool == NULL)
		return;
	if (so->state != ST_CONNECTED || at_end)
		park_window(so);
	park_memory(so);
}

/* ---- connections -------------------------------------------------------- */

static void start_connect(struct syslog_out *);

static void
close_socket(struct syslog_out *so)
{
	if (so->ev_read != NULL)
		event_free(so->ev_read);
	if (so->ev_write != NULL)
		event_free(so->ev_write);
	so->ev_read = so->ev_write = NULL;
	if (so->fd >= 0)
		close(so->fd);
	so->fd = -1;
	so->wait_writable = false;
}

static const char *
error_text(int e, const char *text)
{
	if (text != NULL)
		return text;
	return e != 0 ? strerror(e) : "failed";
}

static void
schedule_retry(struct syslog_out *so)
{
	uint64_t ms = so->backoff_ms;

	ms = ms * (80 + rng_next(&so->rng) % 41) / 100; /* +-20% */
	so->backoff_ms = so->backoff_ms * 2 > OUTPUT_SYSLOG_BACKOFF_MAX_MS ?
	    OUTPUT_SYSLOG_BACKOFF_MAX_MS : so->backoff_ms * 2;
	so->state = ST_IDLE;
	timer_after(so->ev_retry, ms);
}

static void
connect_failed(struct syslog_out *so, int e, const char *text)
{
	so->connect_failures++;
	if (!so->outage) {
		log_warnx("syslog output %s: cannot connect to %s: %s; retrying "
		    "(backoff up to %d s), alerts go to the spool meanwhile",
		    so->name, so->target, error_text(e, text),
		    OUTPUT_SYSLOG_BACKOFF_MAX_MS / 1000);
		outage_begin(so);
	} else {
		log_debug("syslog output %s: connect to %s: %s", so->name,
		    so->target, error_text(e, text));
	}
	so->outage_failures++;
	schedule_retry(so);
	park(so, false);
}

static void
conn_broken(struct syslog_out *so, int e, const char *text)
{
	uint64_t now = clock_mono_ns();
	bool short_lived = now - so->connected_ns < LIVED_RESET_NS;

	if (is_stream(so))
		window_trim_stream(so);
	close_socket(so);
	window_rewind(so);
	so->disconnected_ns = now;
	so->state = ST_IDLE;
	if (!so->outage) {
		log_warnx("syslog output %s: connection to %s lost: %s; %zu alerts "
		    "to send again", so->name, so->target, error_text(e, text),
		    so->win.count);
		outage_begin(so);
	}
	if (!short_lived) {
		so->backoff_ms = OUTPUT_SYSLOG_BACKOFF_MIN_MS;
		start_connect(so);
		return;
	}
	schedule_retry(so);
	park(so, false);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct syslog_out *so = arg;
	char buf[512];
	int turn;

	(void)what;
	/* A syslog receiver says nothing: what it sends is discarded; EOF
	 * (rsyslog closing an idle connection) or an error is a break. */
	for (turn = 0; turn < READ_TURNS; turn++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0) {
			conn_broken(so, 0, "closed by the receiver");
			return;
		}
		if (!transient_errno(errno))
			conn_broken(so, errno, NULL);
		return;
	}
}

static void on_writable(evutil_socket_t, short, void *);
static uint64_t undelivered(const struct syslog_out *);

static void
conn_established(struct syslog_out *so)
{
	uint64_t now = clock_mono_ns();

	so->state = ST_CONNECTED;
	so->connects++;
	so->connected_ns = now;
	if (is_stream(so)) {
		so->ev_read = event_new(so->base, so->fd, EV_READ | EV_PERSIST,
		    on_read, so);
		if (so->ev_read == NULL || event_add(so->ev_read, NULL) != 0)
			fatalx("syslog output %s: cannot add a read event", so->name);
	}
	if (!so->ever_connected)
		log_info("syslog output %s: connected to %s", so->name, so->target);
	so->ever_connected = true;
	if (undelivered(so) == 0)
		outage_over(so);
	window_rewind(so);
	schedule_pump(so);
}

static int
set_stream_options(int fd)
{
	int on = 1, idle = KEEPIDLE_S, intvl = KEEPINTVL_S, cnt = KEEPCNT;
	int sndbuf = STREAM_SNDBUF;
	unsigned int utimeout = USER_TIMEOUT_MS;

	/* A receiver gone without a RST: keepalive finds an idle connection
	 * dead in 60 + 3 * 10 s; TCP_USER_TIMEOUT one with unacked data. */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0)
		return -1;
	/* What the kernel holds unacknowledged stays below the window, so
	 * the window is never what stops the writes (and kernel memory per
	 * output is bounded): a slow receiver shows as EAGAIN. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
#ifdef TCP_USER_TIMEOUT
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &utimeout,
	    sizeof(utimeout));
#else
	(void)utimeout;
#endif
	return 0;
}

/* The socket's write event: connect completion, and room after EAGAIN. */
static void
socket_events(struct syslog_out *so)
{
	so->ev_write = event_new(so->base, so->fd, EV_WRITE, on_writable, so);
	if (so->ev_write == NULL)
		fatalx("syslog output %s: cannot create an event", so->name);
}

/* Tries the addresses from addr_idx on, in order. */
static void
try_addresses(struct syslog_out *so)
{
	while (so->addr_idx < so->naddrs) {
		const struct sockaddr *sa =
		    (const struct sockaddr *)&so->addrs[so->addr_idx];
		int fd;

		so->addr_idx++;
		fd = socket(sa->sa_family, so->socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, so->protocol);
		if (fd < 0) {
			so->last_errno = errno;
			continue;
		}
		if (is_stream(so) && set_stream_options(fd) != 0) {
			so->last_errno = errno;
			close(fd);
			continue;
		}
		so->fd = fd;
		socket_events(so);
		if (connect(fd, sa, so->addr_lens[so->addr_idx - 1]) == 0) {
			conn_established(so);
			return;
		}
		if (errno == EINPROGRESS && is_stream(so)) {
			struct timeval tv = ms_tv(OUTPUT_SYSLOG_CONNECT_TIMEOUT_MS);

			so->state = ST_CONNECTING;
			event_add(so->ev_write, &tv);
			return;
		}
		so->last_errno = errno;
		close_socket(so);
	}
	connect_failed(so, so->last_errno, NULL);
}

static void
connect_unix(struct syslog_out *so)
{
	struct sockaddr_un un;
	int fd;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, so->socket_path, strlen(so->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_failed(so, errno, NULL);
		return;
	}
	so->fd = fd;
	if (connect(fd, (const struct sockaddr *)&un, sizeof(un)) != 0) {
		int e = errno;

		close_socket(so);
		connect_failed(so, e, NULL);
		return;
	}
	socket_events(so);
	conn_established(so);
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct syslog_out *so = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (so->state != ST_CONNECTING) {
		so->wait_writable = false;
		pump(so);
		return;
	}
	if (what & EV_TIMEOUT)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0) {
		conn_established(so);
		return;
	}
	so->last_errno = err;
	close_socket(so);
	try_addresses(so);
}

static void
free_orphan_dns(evutil_socket_t fd, short what, void *arg)
{
	struct dns_ticket *t = arg;

	(void)fd;
	(void)what;
	evdns_base_free(t->dns, 0);
	free(t);
}

static void
resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct dns_ticket *t = arg;
	struct syslog_out *so = t->owner;
	struct evutil_addrinfo *ai;

	if (so == NULL) {
		/* Cancelled by close: evdns is done with the request once
		 * this returns; the base goes on the next turn of the loop. */
		struct timeval zero = { 0, 0 };

		if (res != NULL)
			evutil_freeaddrinfo(res);
		(void)event_base_once(t->base, -1, EV_TIMEOUT, free_orphan_dns,
		    t, &zero);
		return;
	}
	so->dns_req = NULL;
	so->naddrs = 0;
	for (ai = res; ai != NULL && so->naddrs < MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(so->addrs[0]) ||
		    (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
			continue;
		memcpy(&so->addrs[so->naddrs], ai->ai_addr, ai->ai_addrlen);
		so->addr_lens[so->naddrs] = (socklen_t)ai->ai_addrlen;
		so->naddrs++;
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (so->naddrs == 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "cannot resolve %s: %s", so->host,
		    result != 0 ? evutil_gai_strerror(result) : "no address");
		connect_failed(so, 0, msg);
		return;
	}
	so->addr_idx = 0;
	so->last_errno = 0;
	try_addresses(so);
}

static void
start_connect(struct syslog_out *so)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;

	evtimer_del(so->ev_retry);
	if (so->oc.transport == SYSLOG_UNIX) {
		connect_unix(so);
		return;
	}
	if (so->dns == NULL) { /* an address literal, resolved at creation */
		so->addr_idx = 0;
		try_addresses(so);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = so->socktype;
	hints.ai_protocol = so->protocol;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	so->state = ST_RESOLVING;
	so->dns_req = NULL;
	req = evdns_getaddrinfo(so->dns, so->host, so->port, &hints, resolved,
	    so->ticket);
	if (req != NULL) /* else resolved() ran already */
		so->dns_req = req;
}

/* ---- events ------------------------------------------------------------- */

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_connect(arg);
}

static void
on_pump(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

static void
on_sync(evutil_socket_t fd, short what, void *arg)
{
	struct syslog_out *so = arg;
	uint64_t now = clock_mono_ns();

	(void)fd;
	(void)what;
	if (spool_sync(so->spool, now) != 0)
		spool_trouble(so, so->spool);
	if (spool_sync(so->resend, now) != 0)
		spool_trouble(so, so->resend);
}

static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct syslog_out *so = arg;

	(void)fd;
	(void)what;
	so->deadline_hit = true;
}

/* ---- the output --------------------------------------------------------- */

static bool
target_down(const struct syslog_out *so)
{
	if (so->state == ST_CONNECTED)
		return false;
	if (evtimer_pending(so->ev_retry, NULL))
		return true;
	return clock_mono_ns() - so->disconnected_ns >
	    OUTPUT_SYSLOG_GRACE_MS * MS_NS;
}

/* Into the memory ring, dropping its oldest when full (no spool). */
static void
memory_push(struct syslog_out *so, const char *msg, size_t len)
{
	uint64_t dropped = 0;

	while (!ring_push(&so->mem, msg, len, 0, NULL)) {
		if (so->mem.count == 0) {
			dropped++; /* cannot happen: the ring holds one longest */
			break;
		}
		ring_pop(&so->mem);
		dropped++;
	}
	if (dropped > 0)
		note_drops(so, dropped, so->spool == NULL ?
		    "memory queue full (no spool)" :
		    "memory queue full and the spool failing");
}

/* Memory, or the spool (behind what memory holds) when the queue is full,
 * the target down or the spool not empty. */
static void
enqueue(struct syslog_out *so, const char *msg, size_t len)
{
	if (so->spool != NULL && (spool_records(so) > 0 || target_down(so) ||
	    !ring_fits(&so->mem, len))) {
		park_memory(so);
		if (so->mem.count == 0 && spool_put(so, msg, len) == 0)
			return;
	}
	memory_push(so, msg, len);
}

static int
syslog_emit(struct output *o, const struct alert *a)
{
	struct syslog_out *so = o->state;
	struct strbuf sb;

	sb_init(&sb, so->fmt, so->fmt_cap);
	if (syslog_format_message(a, so->oc.header, so->oc.format, &so->meta,
	    (size_t)so->oc.max_message, &sb) != 0 || sb.len == 0) {
		note_drops(so, 1, "alert cannot be formatted");
		return -1;
	}
	enqueue(so, sb.p, sb.len);
	if (so->state == ST_CONNECTED)
		schedule_pump(so);
	return 0;
}

static int
syslog_flush(struct output *o)
{
	struct syslog_out *so = o->state;
	uint64_t now = clock_mono_ns();

	if (so->spool != NULL && (spool_sync(so->spool, now) != 0 ||
	    spool_sync(so->resend, now) != 0)) {
		log_warnx("syslog output %s: %s %s", so->name,
		    spool_error(so->spool), spool_error(so->resend));
		return -1;
	}
	if (so->state == ST_CONNECTED)
		schedule_pump(so);
	return 0;
}

/* SIGHUP: a connection that is down is tried again now (and a name
 * resolved again), without waiting for the backoff. */
static int
syslog_reopen(struct output *o)
{
	struct syslog_out *so = o->state;

	if (so->state == ST_IDLE) {
		so->backoff_ms = OUTPUT_SYSLOG_BACKOFF_MIN_MS;
		start_connect(so);
	}
	return syslog_flush(o);
}

static uint64_t
undelivered(const struct syslog_out *so)
{
	return so->mem.count + so->win.count + on_disk(so);
}

static void
free_dns(struct syslog_out *so)
{
	if (so->ticket == NULL)
		return;
	if (so->dns_req != NULL) {
		/* evdns calls back later, with EVUTIL_EAI_CANCEL: the ticket
		 * stays, orphaned; the evdns base is freed by the loop. */
		so->ticket->owner = NULL;
		evdns_getaddrinfo_cancel(so->dns_req);
		so->dns_req = NULL;
		return;
	}
	evdns_base_free(so->dns, 0);
	free(so->ticket);
}

static void
syslog_close(struct output *o)
{
	struct syslog_out *so = o->state;
	uint64_t left;

	if (so->state == ST_CONNECTED) {
		if (is_stream(so))
			window_trim_stream(so);
		else
			window_trim_dgram(so, true); /* presumed delivered */
	}
	park(so, true);
	left = so->mem.count + so->win.count;
	if (left > 0)
		note_drops(so, left, so->spool == NULL ?
		    "undelivered at close (no spool)" :
		    "undelivered at close (the spool failed)");
	if (so->drops_unlogged > 0) {
		log_warnx("syslog output %s: dropped %llu alerts (%llu in total)",
		    so->name, (unsigned long long)so->drops_unlogged,
		    (unsigned long long)so->dropped);
	}
	close_socket(so);
	event_free(so->ev_retry);
	event_free(so->ev_pump);
	event_free(so->ev_ackpoll);
	event_free(so->ev_deadline);
	if (so->ev_sync != NULL)
		event_free(so->ev_sync);
	free_dns(so);
	spool_close(so->resend);
	spool_close(so->spool);
	free(so->mem.buf);
	free(so->win.buf);
	free(so->fmt);
	free(so->name);
	free(so->target);
	free(so->host);
	free(so->socket_path);
	free(so);
	free(o);
}

static const struct output_ops syslog_ops = {
	"syslog", syslog_emit, syslog_flush, syslog_reopen, syslog_close,
};

int
output_syslog_get_stats(const struct output *o, struct output_syslog_stats *out)
{
	const struct syslog_out *so;
	struct spool_stats st;

	if (o == NULL || o->ops != &syslog_ops)
		return -1;
	so = o->state;
	memset(out, 0, sizeof(*out));
	out->queued = so->mem.count + so->win.count;
	out->sent = so->sent;
	out->retried = so->retried;
	out->dropped = so->dropped;
	out->connects = so->connects;
	out->connect_failures = so->connect_failures;
	if (so->spool != NULL) {
		spool_get_stats(so->spool, &st);
		out->spooled = st.records;
		out->dropped += st.dropped_records;
		spool_get_stats(so->resend, &st);
		out->spooled += st.records;
		out->dropped += st.dropped_records;
	}
	return 0;
}

size_t
output_syslog_drain(struct output *o, int timeout_ms)
{
	struct syslog_out *so;

	if (o == NULL || o->ops != &syslog_ops)
		return 0;
	so = o->state;

	so->deadline_hit = false;
	timer_after(so->ev_deadline, timeout_ms > 0 ? (uint64_t)timeout_ms : 0);
	if (so->state == ST_CONNECTED)
		schedule_pump(so);
	while (!so->deadline_hit && undelivered(so) > 0) {
		if (so->state == ST_CONNECTED && so->win.count > 0 &&
		    !evtimer_pending(so->ev_ackpoll, NULL) &&
		    !evtimer_pending(so->ev_pump, NULL) && !so->wait_writable)
			schedule_pump(so);
		if (event_base_loop(so->base, EVLOOP_ONCE) < 0)
			break;
	}
	evtimer_del(so->ev_deadline);
	park(so, true);
	if (so->spool != NULL) {
		(void)spool_sync(so->spool, clock_mono_ns());
		(void)spool_sync(so->resend, clock_mono_ns());
	}
	return (size_t)undelivered(so);
}

/* ---- creation ----------------------------------------------------------- */

static int
resolve_literal(struct syslog_out *so)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = so->socktype;
	hints.ai_protocol = so->protocol;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(so->host, so->port, &hints, &res);
	if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(so->addrs[0]))
		goto fail;
	memcpy(&so->addrs[0], res->ai_addr, res->ai_addrlen);
	so->addr_lens[0] = (socklen_t)res->ai_addrlen;
	so->naddrs = 1;
	freeaddrinfo(res);
	return 0;
fail:
	if (res != NULL)
		freeaddrinfo(res);
	return -1;
}

static int
setup_resolver(struct syslog_out *so)
{
	so->dns = evdns_base_new(so->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (so->dns == NULL)
		return -1;
	(void)evdns_base_set_option(so->dns, "timeout:", DNS_TIMEOUT);
	(void)evdns_base_set_option(so->dns, "attempts:", DNS_ATTEMPTS);
	so->ticket = xcalloc(1, sizeof(*so->ticket));
	so->ticket->owner = so;
	so->ticket->dns = so->dns;
	so->ticket->base = so->base;
	return 0;
}

static int
check_conf(const struct output_conf *oc, const char *state_dir, char *err,
    size_t errlen)
{
	const char *name = oc->name != NULL ? oc->name : "?";
	struct sockaddr_un un;

	if (oc->kind != OUTPUT_SYSLOG) {
		snprintf(err, errlen, "syslog output %s: not a syslog output", name);
		return -1;
	}
	if (oc->name == NULL || oc->name[0] == '\0' || oc->name[0] == '.' ||
	    strchr(oc->name, '/') != NULL) {
		snprintf(err, errlen, "syslog output %s: bad name", name);
		return -1;
	}
	if (oc->max_message < SYSLOG_MIN_MESSAGE ||
	    oc->max_message > SPOOL_MAX_RECORD) {
		snprintf(err, errlen, "syslog output %s: max_message %llu out of "
		    "range %u..%u", name, (unsigned long long)oc->max_message,
		    SYSLOG_MIN_MESSAGE, SPOOL_MAX_RECORD);
		return -1;
	}
	if (oc->queue_bytes > QUEUE_MAX_BYTES) {
		snprintf(err, errlen, "syslog output %s: queue too large", name);
		return -1;
	}
	if (oc->transport == SYSLOG_UNIX) {
		if (oc->socket_path == NULL ||
		    strlen(oc->socket_path) >= sizeof(un.sun_path)) {
			snprintf(err, errlen, "syslog output %s: socket path "
			    "missing or longer than %zu bytes", name,
			    sizeof(un.sun_path) - 1);
			return -1;
		}
	} else if (oc->host == NULL || oc->host[0] == '\0' || oc->port == 0) {
		snprintf(err, errlen, "syslog output %s: no host or port", name);
		return -1;
	}
	if (oc->spool_bytes > 0 && state_dir == NULL) {
		snprintf(err, errlen, "syslog output %s: a spool needs a state "
		    "directory", name);
		return -1;
	}
	return 0;
}

static void
setup_meta(struct syslog_out *so, const struct syslog_meta *meta)
{
	if (meta != NULL && meta->hostname != NULL)
		str_copy(so->hostname, meta->hostname, sizeof(so->hostname));
	else if (gethostname(so->hostname, sizeof(so->hostname)) != 0)
		so->hostname[0] = '\0';
	so->hostname[sizeof(so->hostname) - 1] = '\0';
	str_copy(so->app_name, meta != NULL && meta->app_name != NULL ?
	    meta->app_name : "exfild", sizeof(so->app_name));
	so->meta.facility = so->oc.facility;
	so->meta.hostname = so->hostname;
	so->meta.app_name = so->app_name;
	so->meta.procid = meta != NULL ? meta->procid : (int)getpid();
	so->meta.enterprise_number = (uint32_t)so->oc.enterprise_number;
}

static int
open_spool(struct syslog_out *so, const char *state_dir, char *err,
    size_t errlen)
{
	char dir[4096], serr[512];
	uint64_t seg = so->oc.spool_bytes / 8;
	int n;

	n = snprintf(dir, sizeof(dir), "%s/spool/%s", state_dir, so->name);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(err, errlen, "syslog output %s: state directory path "
		    "too long", so->name);
		return -1;
	}
	/* Segments of an eighth of the spool, so that dropping the oldest
	 * frees a little at a time; each takes a longest record. */
	if (seg > SPOOL_DEFAULT_SEGMENT)
		seg = SPOOL_DEFAULT_SEGMENT;
	if (seg < 2 * (SPOOL_MAX_RECORD + SPOOL_REC_HDR))
		seg = 2 * (SPOOL_MAX_RECORD + SPOOL_REC_HDR);
	so->spool = spool_open(dir, so->oc.spool_bytes, seg, so->oc.spool_fsync,
	    so->oc.spool_fsync_ms, serr, sizeof(serr));
	if (so->spool == NULL) {
		snprintf(err, errlen, "syslog output %s: %s", so->name, serr);
		return -1;
	}
	/* The saved windows: inside the spool's directory (it ignores what
	 * is not one of its segments); twice a window, so it never drops. */
	n = snprintf(dir, sizeof(dir), "%s/spool/%s/resend", state_dir, so->name);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		snprintf(err, errlen, "syslog output %s: state directory path "
		    "too long", so->name);
		return -1;
	}
	so->resend = spool_open(dir, 2 * (uint64_t)so->win_limit + seg, seg,
	    so->oc.spool_fsync, so->oc.spool_fsync_ms, serr, sizeof(serr));
	if (so->resend == NULL) {
		snprintf(err, errlen, "syslog output %s: %s", so->name, serr);
		return -1;
	}
	return 0;
}

static struct event *
timer_new(struct syslog_out *so, short flags, event_callback_fn fn)
{
	struct event *ev = event_new(so->base, -1, flags, fn, so);

	if (ev == NULL)
		fatalx("syslog output %s: cannot create an event", so->name);
	return ev;
}

static void
setup_events(struct syslog_out *so)
{
	so->ev_retry = timer_new(so, 0, on_retry);
	so->ev_pump = timer_new(so, 0, on_pump);
	so->ev_ackpoll = timer_new(so, 0, on_pump);
	so->ev_deadline = timer_new(so, 0, on_deadline);
	if (so->spool != NULL) {
		uint64_t ms = so->oc.spool_fsync == SPOOL_FSYNC_INTERVAL &&
		    so->oc.spool_fsync_ms > 0 ? so->oc.spool_fsync_ms : 1000;
		struct timeval tv = ms_tv(ms);

		so->ev_sync = timer_new(so, EV_PERSIST, on_sync);
		event_add(so->ev_sync, &tv);
	}
}

struct output *
output_syslog_new(struct event_base *base, const struct output_conf *oc,
    const char *state_dir, const struct syslog_meta *meta, char *err,
    size_t errlen)
{
	struct syslog_out *so;
	struct output *o;
	struct hash_key seed;
	size_t longest;

	if (check_conf(oc, state_dir, err, errlen) != 0)
		return NULL;
	so = xcalloc(1, sizeof(*so));
	so->oc = *oc;
	so->name = xstrdup(oc->name);
	so->target = xstrdup(oc->target != NULL ? oc->target : oc->name);
	so->host = oc->host != NULL ? xstrdup(oc->host) : NULL;
	so->socket_path = oc->socket_path != NULL ? xstrdup(oc->socket_path) : NULL;
	so->oc.name = so->name;
	so->oc.target = so->target;
	so->oc.host = so->host;
	so->oc.socket_path = so->socket_path;
	so->oc.path = NULL;
	snprintf(so->port, sizeof(so->port), "%u", (unsigned)oc->port);
	so->base = base;
	so->fd = -1;
	setup_meta(so, meta);
	so->socktype = oc->transport == SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
	so->protocol = oc->transport == SYSLOG_TCP ? IPPROTO_TCP :
	    oc->transport == SYSLOG_UDP ? IPPROTO_UDP : 0;
	so->backoff_ms = OUTPUT_SYSLOG_BACKOFF_MIN_MS;
	if (hash_key_random(&seed) != 0)
		seed.k0 = clock_real_ns() ^ (uint64_t)getpid();
	so->rng = seed.k0 | 1;

	/* any spool record fits (one from a run with a larger max_message) */
	so->fmt_cap = SPOOL_MAX_RECORD + 1;
	so->fmt = xmalloc(so->fmt_cap);
	longest = rec_size((size_t)oc->max_message);
	ring_init(&so->mem, oc->queue_bytes > longest ? (size_t)oc->queue_bytes :
	    longest);
	/* The ring has room for the limit and a wrap gap, so that a saved
	 * window pulled back behind the window always fits (park_window). */
	so->win_limit = OUTPUT_SYSLOG_WINDOW_BYTES > 2 * longest ?
	    OUTPUT_SYSLOG_WINDOW_BYTES : 2 * longest;
	ring_init(&so->win, so->win_limit + 2 * longest);

	if (oc->transport != SYSLOG_UNIX && resolve_literal(so) != 0 &&
	    setup_resolver(so) != 0) {
		snprintf(err, errlen, "syslog output %s: cannot set up the "
		    "resolver for %s", so->name, so->host);
		goto fail;
	}
	if (oc->spool_bytes > 0 && open_spool(so, state_dir, err, errlen) != 0)
		goto fail;
	setup_events(so);

	o = xcalloc(1, sizeof(*o));
	o->ops = &syslog_ops;
	o->state = so;
	so->disconnected_ns = clock_mono_ns();
	start_connect(so);
	return o;
fail:
	spool_close(so->spool);
	if (so->dns != NULL)
		evdns_base_free(so->dns, 0);
	free(so->ticket);
	free(so->mem.buf);
	free(so->win.buf);
	free(so->fmt);
	free(so->name);
	free(so->target);
	free(so->host);
	free(so->socket_path);
	free(so);
	return NULL;
}
