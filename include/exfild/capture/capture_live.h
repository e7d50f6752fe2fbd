/*
 * capture_live.h - live capture from one network interface with libpcap,
 * non-blocking, for a libevent loop: watch live_fd() for EV_READ and call
 * live_dispatch() when it is readable. Frames are handed over with the
 * conventions of capture_file.h (DLT_* link type, caplen, wirelen, ns).
 */
#ifndef EXFILD_CAPTURE_LIVE_H
#define EXFILD_CAPTURE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct live_opts {
	const char *ifname;     /* "eth1", or "any" (Linux cooked frames) */
	const char *bpf;        /* pcap-filter(7) expression; NULL or "" = all */
	uint32_t snaplen;       /* bytes kept per frame; 0 = libpcap's default */
	uint64_t buffer_bytes;  /* kernel ring buffer; 0 = libpcap's default */
	bool promiscuous;
};

/*
 * received, dropped and ifdropped are libpcap's (pcap_stats(3PCAP)):
 * frames that passed the filter, frames the ring had no room for, frames
 * the interface dropped. libpcap keeps them in 32-bit counters that wrap;
 * these are 64-bit totals (see live_counter_advance). delivered counts the
 * frames handed to the callback.
 */
struct live_stats {
	uint64_t received;
	uint64_t dropped;
	uint64_t ifdropped;
	uint64_t delivered;
};

struct live_capture;

/* frame is valid only during the call. */
typedef void (*live_frame_fn)(void *ctx, int linktype, const uint8_t *frame,
    uint32_t caplen, uint32_t wirelen, uint64_t ts_ns);

/*
 * Opens, activates (immediate mode, ns timestamps where the system has
 * them) and filters the interface; the handle is non-blocking. A link type
 * the decoder does not read is refused. 0, or -1 with err such as
 * "eth9: No such device exists" or
 * "eth1: bad capture filter \"udp and and\": <libpcap's message>".
 * libpcap's warnings are logged.
 */
int live_open(const struct live_opts *o, struct live_capture **out, char *err,
    size_t errlen);
/* The descriptor to poll for readability (pcap_get_selectable_fd). */
int live_fd(const struct live_capture *c);
/*
 * Hands at most max_frames ready frames (max_frames < 1 is taken as 1) to
 * fn and returns how many; 0 when none is ready. Never blocks. -1 on a
 * capture error, logged with the interface name.
 */
int live_dispatch(struct live_capture *c, int max_frames, live_frame_fn fn,
    void *ctx);
/* Samples libpcap's counters into the totals; 0, or -1 (logged) when they
 * cannot be read, *out then holding the last totals. */
int live_get_stats(struct live_capture *c, struct live_stats *out);
/* Compiles bpf for Ethernet without opening anything (exfild -t): 0, or -1
 * with "bad capture filter \"...\": <libpcap's message>". */
int live_check_filter(const char *bpf, uint32_t snaplen, char *err,
    size_t errlen);
const char *live_name(const struct live_capture *c);
int live_linktype(const struct live_capture *c);
void live_close(struct live_capture *c);

/*
 * A 64-bit total from a wrapping 32-bit counter: adds now - *last modulo
 * 2^32 to total and stores now in *last. Exact as long as the counter
 * advances by less than 2^32 between two samples; live_dispatch samples
 * at least every LIVE_SAMPLE_SEC seconds while frames arrive.
 */
#define LIVE_SAMPLE_SEC 10
uint64_t live_counter_advance(uint64_t total, uint32_t *last, uint32_t now);

#endif
