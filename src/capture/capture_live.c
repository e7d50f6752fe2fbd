/*
 * capture_live.c - live capture with libpcap (pcap_create/pcap_activate,
 * pcap(3PCAP)): immediate mode, non-blocking handle, kernel BPF filter,
 * bounded batches for one event loop, 64-bit totals of libpcap's wrapping
 * 32-bit statistics.
 */
#include <limits.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/capture/capture_live.h"
#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

struct live_capture {
	pcap_t *pcap;
	char *name;
	int linktype;
	int fd;
	uint64_t ns_per_tick;    /* of pcap_pkthdr.ts.tv_usec: 1 (nano) or 1000 */
	struct live_stats totals;
	uint32_t last_recv;      /* libpcap's counters at the last sample */
	uint32_t last_drop;
	uint32_t last_ifdrop;
	uint64_t next_sample_ns; /* monotonic */
};

/* One live_dispatch call, for the pcap callback. */
struct live_batch {
	struct live_capture *c;
	live_frame_fn fn;
	void *ctx;
	int delivered;
};

/* The link types decode_frame() reads (src/decode/decode.c), as pcap_datalink()
 * returns them: null, Ethernet, raw IP (12, OpenBSD's 14, 101, 228, 229),
 * loop, Linux SLL and SLL2. */
static bool
link_supported(int dlt)
{
	switch (dlt) {
	case 0:   /* DLT_NULL */
	case 1:   /* DLT_EN10MB */
	case 12:  /* DLT_RAW */
	case 14:  /* DLT_RAW on OpenBSD */
	case 101: /* LINKTYPE_RAW */
	case 108: /* DLT_LOOP */
	case 113: /* DLT_LINUX_SLL */
	case 228: /* DLT_IPV4 */
	case 229: /* DLT_IPV6 */
	case 276: /* DLT_LINUX_SLL2 */
		return true;
	default:
		return false;
	}
}

uint64_t
live_counter_advance(uint64_t total, uint32_t *last, uint32_t now)
{
	uint32_t delta = now - *last; /* modulo 2^32: one wrap is exact */

	*last = now;
	return total + delta;
}

/* Kernel timestamp to ns since the epoch; before 1970 is 0, past 2554
 * clamps to UINT64_MAX. */
static uint64_t
live_ts_ns(const struct timeval *tv, uint64_t ns_per_tick)
{
	uint64_t sec, frac;

	sec = tv->tv_sec < 0 ? 0 : (uint64_t)tv->tv_sec;
	frac = tv->tv_usec < 0 ? 0 : (uint64_t)tv->tv_usec * ns_per_tick;
	if (frac >= NS_PER_SEC)
		frac = NS_PER_SEC - 1;
	if (sec > (UINT64_MAX - frac) / NS_PER_SEC)
		return UINT64_MAX;
	return sec * NS_PER_SEC + frac;
}

/* Interface names come from the config or the command line: printable
 * ASCII without spaces, so that they can be logged as they are. */
static int
check_ifname(const char *name, char *err, size_t errlen)
{
	struct cursor c;
	char quoted[QUOTE_BUF];
	const char *s;

	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "empty interface name");
		return -1;
	}
	for (s = name; *s != '\0'; s++) {
		if (*s <= ' ' || *s > '~') {
			cur_init(&c, (const uint8_t *)name, strlen(name));
			quote_bytes(&c, quoted, sizeof(quoted));
			snprintf(err, errlen, "bad interface name %s", quoted);
			return -1;
		}
	}
	return 0;
}

/* pcap_activate()'s error: libpcap's own text for a generic error, else
 * the status and, when it adds something, libpcap's detail. */
static void
activate_error(pcap_t *p, const char *name, int status, char *err,
    size_t errlen)
{
	const char *status_text = pcap_statustostr(status);
	const char *detail = pcap_geterr(p);

	if (status == PCAP_ERROR && detail[0] != '\0')
		snprintf(err, errlen, "%s: %s", name, detail);
	else if (detail[0] != '\0' && strcmp(detail, status_text) != 0)
		snprintf(err, errlen, "%s: %s (%s)", name, status_text, detail);
	else
		snprintf(err, errlen, "%s: %s", name, status_text);
}

static void
activate_warning(pcap_t *p, const char *name, int status)
{
	const char *detail = pcap_geterr(p);

	if (status == PCAP_WARNING && detail[0] != '\0')
		log_warnx("%s: %s", name, detail);
	else
		log_warnx("%s: %s", name, pcap_statustostr(status));
}

/* Everything pcap_activate() needs set beforehand. */
static int
configure(pcap_t *p, const struct live_opts *o, const char *name, char *err,
    size_t errlen)
{
	int snaplen, buffer, r = 0;

	snaplen = o->snaplen > INT_MAX ? INT_MAX : (int)o->snaplen;
	buffer = o->buffer_bytes > INT_MAX ? INT_MAX : (int)o->buffer_bytes;
	if (snaplen > 0)
		r |= pcap_set_snaplen(p, snaplen);
	if (buffer > 0)
		r |= pcap_set_buffer_size(p, buffer);
	r |= pcap_set_immediate_mode(p, 1);
	r |= pcap_set_promisc(p, o->promiscuous ? 1 : 0);
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot set capture options", name);
		return -1;
	}
	/* Nanoseconds where the system has them; micro otherwise. */
	if (pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0)
		log_debug("%s: no nanosecond timestamps, using microseconds",
		    name);
	return 0;
}

static int
set_filter(pcap_t *p, const char *name, const char *bpf, char *err,
    size_t errlen)
{
	struct bpf_program prog;
	struct cursor c;
	char quoted[QUOTE_BUF], pcap_err[PCAP_ERRBUF_SIZE];
	bpf_u_int32 net, mask;
	int r;

	if (bpf == NULL || bpf[0] == '\0')
		return 0;
	/* The netmask only matters for "ip broadcast"; an interface without
	 * an IPv4 address has none. */
	if (pcap_lookupnet(name, &net, &mask, pcap_err) != 0)
		mask = PCAP_NETMASK_UNKNOWN;
	cur_init(&c, (const uint8_t *)bpf, strlen(bpf));
	quote_bytes(&c, quoted, sizeof(quoted));
	if (pcap_compile(p, &prog, bpf, 1, mask) != 0) {
		snprintf(err, errlen, "%s: bad capture filter %s: %s", name,
		    quoted, pcap_geterr(p));
		return -1;
	}
	r = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (r != 0) {
		snprintf(err, errlen, "%s: cannot set capture filter %s: %s",
		    name, quoted, pcap_geterr(p));
		return -1;
	}
	return 0;
}

/* After activation: link type, timestamp unit, non-blocking, filter. */
static int
prepare(struct live_capture *c, const struct live_opts *o, char *err,
    size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE];

	c->linktype = pcap_datalink(c->pcap);
	if (!link_supported(c->linktype)) {
		snprintf(err, errlen, "%s: link type %d (%s) is not supported",
		    c->name, c->linktype,
		    pcap_datalink_val_to_name(c->linktype) != NULL ?
		    pcap_datalink_val_to_name(c->linktype) : "unknown");
		return -1;
	}
	c->ns_per_tick = pcap_get_tstamp_precision(c->pcap) ==
	    PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
	pcap_err[0] = '\0';
	if (pcap_setnonblock(c->pcap, 1, pcap_err) != 0) {
		snprintf(err, errlen, "%s: cannot make the capture non-blocking: %s",
		    c->name, pcap_err);
		return -1;
	}
	if ((c->fd = pcap_get_selectable_fd(c->pcap)) == -1) {
		snprintf(err, errlen, "%s: no descriptor to poll", c->name);
		return -1;
	}
	return set_filter(c->pcap, c->name, o->bpf, err, errlen);
}

int
live_open(const struct live_opts *o, struct live_capture **out, char *err,
    size_t errlen)
{
	struct live_capture *c;
	char pcap_err[PCAP_ERRBUF_SIZE];
	int status;

	*out = NULL;
	if (check_ifname(o->ifname, err, errlen) != 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(o->ifname);
	c->fd = -1;
	pcap_err[0] = '\0';
	if ((c->pcap = pcap_create(c->name, pcap_err)) == NULL) {
		snprintf(err, errlen, "%s: %s", c->name, pcap_err);
		goto fail;
	}
	if (configure(c->pcap, o, c->name, err, errlen) != 0)
		goto fail;
	status = pcap_activate(c->pcap);
	if (status < 0) {
		activate_error(c->pcap, c->name, status, err, errlen);
		goto fail;
	}
	if (status > 0)
		activate_warning(c->pcap, c->name, status);
	if (prepare(c, o, err, errlen) != 0)
		goto fail;
	c->next_sample_ns = clock_mono_ns() + LIVE_SAMPLE_SEC * NS_PER_SEC;
	*out = c;
	return 0;
fail:
	live_close(c);
	return -1;
}

int
live_fd(const struct live_capture *c)
{
	return c->fd;
}

const char *
live_name(const struct live_capture *c)
{
	return c->name;
}

int
live_linktype(const struct live_capture *c)
{
	return c->linktype;
}

/* libpcap's counters into the 64-bit totals; 0 or -1 (not logged). */
static int
sample_counters(struct live_capture *c)
{
	struct pcap_stat ps;

	c->next_sample_ns = clock_mono_ns() + LIVE_SAMPLE_SEC * NS_PER_SEC;
	if (pcap_stats(c->pcap, &ps) != 0)
		return -1;
	c->totals.received = live_counter_advance(c->totals.received,
	    &c->last_recv, ps.ps_recv);
	c->totals.dropped = live_counter_advance(c->totals.dropped,
	    &c->last_drop, ps.ps_drop);
	c->totals.ifdropped = live_counter_advance(c->totals.ifdropped,
	    &c->last_ifdrop, ps.ps_ifdrop);
	return 0;
}

static void
live_on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct live_batch *b = (struct live_batch *)user;

	b->fn(b->ctx, b->c->linktype, bytes, h->caplen, h->len,
	    live_ts_ns(&h->ts, b->c->ns_per_tick));
	b->delivered++;
}

int
live_dispatch(struct live_capture *c, int max_frames, live_frame_fn fn,
    void *ctx)
{
	struct live_batch b = { .c = c, .fn = fn, .ctx = ctx, .delivered = 0 };
	int r;

	/* pcap_dispatch() takes 0 or -1 as "a whole buffer": never that. */
	if (max_frames < 1)
		max_frames = 1;
	r = pcap_dispatch(c->pcap, max_frames, live_on_frame, (u_char *)&b);
	c->totals.delivered += (uint64_t)b.delivered;
	/* Often enough that libpcap's 32-bit counters cannot wrap twice
	 * unseen while frames arrive (drops happen only then). */
	if (clock_mono_ns() >= c->next_sample_ns)
		(void)sample_counters(c);
	if (r < 0 && r != PCAP_ERROR_BREAK) {
		log_warnx("%s: capture failed: %s", c->name, pcap_geterr(c->pcap));
		return -1;
	}
	return b.delivered;
}

int
live_get_stats(struct live_capture *c, struct live_stats *out)
{
	int r;

	if ((r = sample_counters(c)) != 0)
		log_warnx("%s: cannot read capture statistics: %s", c->name,
		    pcap_geterr(c->pcap));
	*out = c->totals;
	return r;
}

void
live_close(struct live_capture *c)
{
	if (c == NULL)
		return;
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	free(c->name);
	free(c);
}

int
live_check_filter(const char *bpf, uint32_t snaplen, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct cursor c;
	char quoted[QUOTE_BUF];
	pcap_t *p;
	int rc = 0;

	if (bpf == NULL || bpf[0] == '\0')
		return 0;
	/* Ethernet: what the filter is usually meant for; a filter that only
	 * makes sense on another link type fails again at open, with the name */
	if ((p = pcap_open_dead(DLT_EN10MB, snaplen > 0 ? (int)snaplen : 65535)) == NULL) {
		snprintf(err, errlen, "cannot check the capture filter");
		return -1;
	}
	if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		cur_init(&c, (const uint8_t *)bpf, strlen(bpf));
		quote_bytes(&c, quoted, sizeof(quoted));
		snprintf(err, errlen, "bad capture filter %s: %s", quoted,
		    pcap_geterr(p));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}
