/*
 * test_capture_live.c - live_* on the loopback interface: UDP datagrams of
 * known sizes sent to a free local port and captured through a BPF filter
 * (exact lengths, timestamps, snaplen truncation, batch cap, statistics),
 * open errors, and the 32-bit counter wrap. Needs CAP_NET_RAW; skipped
 * without it. No traffic leaves the host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "exfild/capture/capture_live.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define ETH_IP_UDP_LEN 42u /* 14 Ethernet + 20 IPv4 + 8 UDP on lo */
#define SLL_IP_UDP_LEN 44u /* 16 Linux cooked + 20 + 8 on "any" */
#define HEAD_LEN 64u
#define MAX_FRAMES 32u
#define WAIT_MS 5000

struct frame_rec {
	int linktype;
	uint32_t caplen, wirelen;
	uint64_t ts_ns;
	uint8_t head[HEAD_LEN];
};

struct collector {
	struct frame_rec f[MAX_FRAMES];
	size_t n;
};

static void
collect_frame(void *ctx, int linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, uint64_t ts_ns)
{
	struct collector *col = ctx;
	struct frame_rec *r;

	assert_true(col->n < MAX_FRAMES);
	r = &col->f[col->n++];
	r->linktype = linktype;
	r->caplen = caplen;
	r->wirelen = wirelen;
	r->ts_ns = ts_ns;
	memcpy(r->head, frame, caplen < HEAD_LEN ? caplen : HEAD_LEN);
}

/* True when err is libpcap's "no permission" for the interface. */
static bool
is_permission_error(const char *err)
{
	return strstr(err, pcap_statustostr(PCAP_ERROR_PERM_DENIED)) != NULL;
}

static struct live_capture *
open_capture(const char *ifname, const char *bpf, uint32_t snaplen)
{
	struct live_opts o = {
		.ifname = ifname,
		.bpf = bpf,
		.snaplen = snaplen,
		.buffer_bytes = 1u << 20,
		.promiscuous = false,
	};
	struct live_capture *c = NULL;
	char err[512];

	if (live_open(&o, &c, err, sizeof(err)) != 0) {
		if (is_permission_error(err)) {
			print_message("skipped: no capture permission (%s); "
			    "run as root or with CAP_NET_RAW\n", err);
			skip();
		}
		fail_msg("live_open(%s): %s", ifname, err);
	}
	assert_non_null(c);
	return c;
}

/* A UDP socket on 127.0.0.1 at a free port: the destination. */
static int
udp_sink(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static uint8_t
payload_byte(size_t datagram, size_t i)
{
	return (uint8_t)(datagram * 31 + i);
}

static void
send_datagrams(uint16_t port, const size_t *sizes, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t buf[2048];
	size_t k, i;
	int fd;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	assert_true((fd = socket(AF_INET, SOCK_DGRAM, 0)) >= 0);
	for (k = 0; k < n; k++) {
		assert_true(sizes[k] <= sizeof(buf));
		for (i = 0; i < sizes[k]; i++)
			buf[i] = payload_byte(k, i);
		assert_int_equal(sendto(fd, buf, sizes[k], 0,
		    (struct sockaddr *)&to, sizeof(to)), (ssize_t)sizes[k]);
	}
	close(fd);
}

/* Polls and dispatches until want frames are in col or WAIT_MS pass. */
static void
collect(struct live_capture *c, struct collector *col, size_t want)
{
	uint64_t deadline = clock_mono_ns() + WAIT_MS * 1000000ull, now;
	struct pollfd pfd = { .fd = live_fd(c), .events = POLLIN };
	int r;

	while (col->n < want && (now = clock_mono_ns()) < deadline) {
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1);
		assert_true(r >= 0);
		assert_true(live_dispatch(c, 64, collect_frame, col) >= 0);
	}
	assert_int_equal(col->n, want);
}

static uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ethernet + IPv4 + UDP to port, carrying datagram k of size len. */
static void
assert_udp_frame(const struct frame_rec *r, uint16_t port, size_t k,
    size_t len)
{
	size_t i, shown = r->caplen < HEAD_LEN ? r->caplen : HEAD_LEN;

	assert_int_equal(r->linktype, 1); /* DLT_EN10MB on Linux lo */
	assert_int_equal(be16_at(r->head + 12), 0x0800);
	assert_int_equal(r->head[14], 0x45);
	assert_int_equal(be16_at(r->head + 16), 20 + 8 + len);
	assert_int_equal(r->head[23], 17);
	assert_int_equal(be16_at(r->head + 36), port);
	assert_int_equal(be16_at(r->head + 38), 8 + len);
	for (i = ETH_IP_UDP_LEN; i < shown; i++)
		assert_int_equal(r->head[i], payload_byte(k, i - ETH_IP_UDP_LEN));
}

static void
make_filter(char *bpf, size_t len, uint16_t port)
{
	snprintf(bpf, len, "udp and dst port %u", (unsigned)port);
}

static void
test_loopback_exact_frames(void **state)
{
	static const size_t sizes[] = { 0, 1, 57, 300, 1472 };
	struct collector col = { .n = 0 };
	struct live_capture *c;
	struct live_stats st;
	char bpf[64];
	uint64_t t0, t1;
	uint16_t port;
	size_t k;
	int sink;

	(void)state;
	sink = udp_sink(&port);
	make_filter(bpf, sizeof(bpf), port);
	c = open_capture("lo", bpf, 2048);
	assert_string_equal(live_name(c), "lo");
	assert_int_equal(live_linktype(c), 1);
	assert_true(live_fd(c) >= 0);
	/* Microsecond timestamps are truncated: compare from the whole µs. */
	t0 = clock_real_ns();
	t0 -= t0 % 1000;
	send_datagrams(port, sizes, ARRAY_LEN(sizes));
	collect(c, &col, ARRAY_LEN(sizes));
	t1 = clock_real_ns();
	for (k = 0; k < ARRAY_LEN(sizes); k++) {
		assert_int_equal(col.f[k].caplen, ETH_IP_UDP_LEN + sizes[k]);
		assert_int_equal(col.f[k].wirelen, ETH_IP_UDP_LEN + sizes[k]);
		assert_udp_frame(&col.f[k], port, k, sizes[k]);
		assert_in_range(col.f[k].ts_ns, t0, t1);
		if (k > 0)
			assert_true(col.f[k].ts_ns >= col.f[k - 1].ts_ns);
	}
	/* Nothing more is ready: 0 at once, the handle does not block. */
	t0 = clock_mono_ns();
	assert_int_equal(live_dispatch(c, 64, collect_frame, &col), 0);
	assert_true(clock_mono_ns() - t0 < 100000000ull);
	assert_int_equal(live_get_stats(c, &st), 0);
	assert_true(st.received >= ARRAY_LEN(sizes));
	assert_int_equal(st.delivered, ARRAY_LEN(sizes));
	assert_int_equal(st.dropped, 0);
	live_close(c);
	close(sink);
}

/* snaplen 64 cuts caplen at 64; wirelen stays the datagram's. */
static void
test_snaplen_truncates(void **state)
{
	static const size_t sizes[] = { 10, 22, 23, 200 };
	static const uint32_t caplens[] = { 52, 64, 64, 64 };
	struct collector col = { .n = 0 };
	struct live_capture *c;
	char bpf[64];
	uint16_t port;
	size_t k;
	int sink;

	(void)state;
	sink = udp_sink(&port);
	make_filter(bpf, sizeof(bpf), port);
	c = open_capture("lo", bpf, 64);
	send_datagrams(port, sizes, ARRAY_LEN(sizes));
	collect(c, &col, ARRAY_LEN(sizes));
	for (k = 0; k < ARRAY_LEN(sizes); k++) {
		assert_int_equal(col.f[k].caplen, caplens[k]);
		assert_int_equal(col.f[k].wirelen, ETH_IP_UDP_LEN + sizes[k]);
		assert_udp_frame(&col.f[k], port, k, sizes[k]);
	}
	live_close(c);
	close(sink);
}

/* A batch never exceeds max_frames (< 1 counts as 1). */
static void
test_batch_cap(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 6 };
	struct collector col = { .n = 0 };
	struct live_capture *c;
	struct pollfd pfd;
	char bpf[64];
	uint16_t port;
	size_t k;
	int sink;

	(void)state;
	sink = udp_sink(&port);
	make_filter(bpf, sizeof(bpf), port);
	c = open_capture("lo", bpf, 2048);
	send_datagrams(port, sizes, ARRAY_LEN(sizes));
	pfd = (struct pollfd){ .fd = live_fd(c), .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	usleep(200000); /* all six in the ring: loopback delivers at once */
	assert_int_equal(live_dispatch(c, 2, collect_frame, &col), 2);
	assert_int_equal(live_dispatch(c, 2, collect_frame, &col), 2);
	assert_int_equal(live_dispatch(c, 0, collect_frame, &col), 1);
	assert_int_equal(live_dispatch(c, -5, collect_frame, &col), 1);
	assert_int_equal(live_dispatch(c, 2, collect_frame, &col), 0);
	assert_int_equal(col.n, ARRAY_LEN(sizes));
	for (k = 0; k < ARRAY_LEN(sizes); k++)
		assert_int_equal(col.f[k].wirelen, ETH_IP_UDP_LEN + sizes[k]);
	live_close(c);
	close(sink);
}

/* "any" gives Linux cooked frames, which the decoder reads. */
static void
test_any_device_cooked(void **state)
{
	static const size_t sizes[] = { 7 };
	struct collector col = { .n = 0 };
	struct live_capture *c;
	char bpf[64];
	uint16_t port;
	int sink;

	(void)state;
	sink = udp_sink(&port);
	make_filter(bpf, sizeof(bpf), port);
	c = open_capture("any", bpf, 2048);
	assert_int_equal(live_linktype(c), 113); /* DLT_LINUX_SLL */
	send_datagrams(port, sizes, 1);
	collect(c, &col, 1);
	assert_int_equal(col.f[0].linktype, 113);
	assert_int_equal(col.f[0].caplen, SLL_IP_UDP_LEN + 7);
	assert_int_equal(col.f[0].wirelen, SLL_IP_UDP_LEN + 7);
	assert_int_equal(be16_at(col.f[0].head + 14), 0x0800);
	assert_int_equal(be16_at(col.f[0].head + 16 + 22), port);
	live_close(c);
	close(sink);
}

static void
assert_open_error(const char *ifname, const char *bpf, const char *want)
{
	struct live_opts o = { .ifname = ifname, .bpf = bpf, .snaplen = 2048 };
	static char not_null;
	struct live_capture *c = (struct live_capture *)&not_null;
	char err[512];

	err[0] = '\0'; /* live_open must set both err and c */
	assert_int_equal(live_open(&o, &c, err, sizeof(err)), -1);
	assert_null(c);
	if (is_permission_error(err)) {
		print_message("skipped: no capture permission (%s)\n", err);
		skip();
	}
	assert_string_equal(err, want);
}

static void
test_open_errors(void **state)
{
	struct live_opts o = { .ifname = "lo", .bpf = "udp and and" };
	struct live_capture *c = NULL;
	const char *prefix = "lo: bad capture filter \"udp and and\": ";
	char err[512];

	(void)state;
	assert_open_error("", NULL, "empty interface name");
	assert_open_error(NULL, NULL, "empty interface name");
	assert_open_error("eth 0", NULL, "bad interface name \"eth 0\"");
	assert_open_error("eth\x1b[0m", NULL,
	    "bad interface name \"eth\\x1b[0m\"");
	assert_open_error("exfild-none0", NULL,
	    "exfild-none0: No such device exists");
	/* A filter error names the interface and the filter, then gives
	 * libpcap's words (which vary between versions). */
	assert_int_equal(live_open(&o, &c, err, sizeof(err)), -1);
	assert_null(c);
	if (is_permission_error(err)) {
		print_message("skipped: no capture permission (%s)\n", err);
		skip();
	}
	assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
	assert_true(strlen(err) > strlen(prefix));
	assert_non_null(strstr(err + strlen(prefix), "syntax error"));
	/* A filter that cannot be printed as it is comes quoted. */
	o.bpf = "udp\n\"x\"";
	assert_int_equal(live_open(&o, &c, err, sizeof(err)), -1);
	prefix = "lo: bad capture filter \"udp\\x0a\\x22x\\x22\": ";
	assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
}

static void
test_counter_advance(void **state)
{
	uint32_t last = 0;
	uint64_t total = 0;
	int i;

	(void)state;
	total = live_counter_advance(total, &last, 5);
	assert_int_equal(total, 5);
	assert_int_equal(last, 5);
	total = live_counter_advance(total, &last, 5); /* no change */
	assert_int_equal(total, 5);
	/* Up to the top of the 32-bit range, then across the wrap. */
	total = live_counter_advance(total, &last, 0xfffffff0u);
	assert_int_equal(total, 0xfffffff0ull);
	total = live_counter_advance(total, &last, 0xffffffffu);
	assert_int_equal(total, 0xffffffffull);
	total = live_counter_advance(total, &last, 0);
	assert_int_equal(total, 0x100000000ull);
	assert_int_equal(last, 0);
	total = live_counter_advance(total, &last, 0x10);
	assert_int_equal(total, 0x100000010ull);
	/* Half the range at a time: four wraps, nothing lost. */
	for (i = 0; i < 8; i++)
		total = live_counter_advance(total, &last, last + 0x80000000u);
	assert_int_equal(total, 0x500000010ull);
	assert_int_equal(last, 0x10);
	/* From an arbitrary total and a wrapped sample. */
	last = 0xfffffff0u;
	assert_int_equal(live_counter_advance(1000, &last, 0x10), 1032);
	assert_int_equal(last, 0x10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_advance),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_loopback_exact_frames),
		cmocka_unit_test(test_snaplen_truncates),
		cmocka_unit_test(test_batch_cap),
		cmocka_unit_test(test_any_device_cooked),
	};

	log_init("test_capture_live", true, LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
