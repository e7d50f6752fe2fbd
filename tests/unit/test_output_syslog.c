/*
 * test_output_syslog.c - the syslog output against receivers on loopback
 * inside the test's own event base: exact frames (octet counting, LF),
 * datagrams (UDP, unix), an outage mid-stream, a receiver absent at start,
 * a restart that delivers the spool, drop-oldest without a spool, IPv6,
 * a host name, and configurations that are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "exfild/util/log.h"
#include "exfild/output/output_syslog.h"
#include "exfild/alert/syslog_format.h"
#include "exfild/util/util.h"

#define N_MAX 2400
#define MSG_MAX 2048
#define CBUF_MAX (8u << 20)
#define WAIT_MS 15000

static const struct syslog_meta test_meta = { 0, "testhost", "exfild", 4242, 0 };

/* ---- alerts and the messages they must become ----------------------------- */

/* NULL host: one whose length varies with i (40..254 bytes), so that the
 * rings wrap at every offset. */
static void
make_alert(struct alert *a, unsigned i, const char *host)
{
	char vary[ALERT_HOST_MAX];

	if (host == NULL) {
		size_t len = 40 + (i * 37u) % 215;

		memset(vary, 'a' + (int)(i % 26), len);
		vary[len] = '\0';
		host = vary;
	}
	memset(a, 0, sizeof(*a));
	a->ts_ns = 1411013400123000000ULL;
	a->sensor = "s";
	a->rule = "bulk-upload";
	a->severity = SEV_HIGH;
	a->source = "pcap";
	netaddr_parse("10.1.20.21", &a->src);
	netaddr_parse("203.0.113.66", &a->dst);
	a->dst_port = 443;
	str_copy(a->dst_host, host, sizeof(a->dst_host));
	a->dst_country = ('H' << 8) | 'K';
	a->via_proxy = true;
	a->bytes_out = 5000000 + i;
	a->window_s = 3600;
	alert_make_id(a, i);
}

struct expect {
	char (*msg)[MSG_MAX];
	size_t *len;
	size_t n;
};

static void
expect_init(struct expect *e, const struct output_conf *oc, size_t n,
    const char *host)
{
	struct syslog_meta m = test_meta;
	struct alert a;
	size_t i;

	e->msg = calloc(n, MSG_MAX);
	e->len = calloc(n, sizeof(size_t));
	assert_non_null(e->msg);
	assert_non_null(e->len);
	e->n = n;
	m.facility = oc->facility;
	for (i = 0; i < n; i++) {
		struct strbuf sb;

		make_alert(&a, (unsigned)i, host);
		sb_init(&sb, e->msg[i], MSG_MAX);
		assert_int_equal(syslog_format_message(&a, oc->header, oc->format,
		    &m, (size_t)oc->max_message, &sb), 0);
		e->len[i] = sb.len;
	}
}

static void
expect_free(struct expect *e)
{
	free(e->msg);
	free(e->len);
}

static void
emit_range(struct output *o, unsigned from, unsigned to, const char *host)
{
	struct alert a;
	unsigned i;

	for (i = from; i < to; i++) {
		make_alert(&a, i, host);
		assert_int_equal(output_emit(o, &a), 0);
	}
}

/* ---- receivers ------------------------------------------------------------ */

struct rx {
	struct event_base *base;
	int type;             /* SOCK_STREAM or SOCK_DGRAM */
	int family;
	bool octet;           /* stream framing: octet counting, else LF */
	int lfd, cfd;
	struct event *lev, *cev;
	uint16_t port;
	char path[108];
	int rcvbuf;           /* 0: the default */
	bool paused;          /* connection accepted, not read */
	size_t close_after;   /* close connection and listener at n >= this */
	bool closed;          /* ... done */
	uint8_t *cbuf;
	size_t clen;
	char (*msg)[MSG_MAX];
	size_t *len;
	size_t n;
	size_t connections, partial_discarded, bad_frames, bytes;
};

static void
rx_init(struct rx *rx, struct event_base *base, int type, int family)
{
	memset(rx, 0, sizeof(*rx));
	rx->base = base;
	rx->type = type;
	rx->family = family;
	rx->octet = true;
	rx->lfd = rx->cfd = -1;
	rx->cbuf = malloc(CBUF_MAX);
	rx->msg = calloc(N_MAX, MSG_MAX);
	rx->len = calloc(N_MAX, sizeof(size_t));
	assert_non_null(rx->cbuf);
	assert_non_null(rx->msg);
	assert_non_null(rx->len);
}

static void
rx_store(struct rx *rx, const uint8_t *p, size_t len)
{
	if (rx->n >= N_MAX || len >= MSG_MAX) {
		rx->bad_frames++;
		return;
	}
	memcpy(rx->msg[rx->n], p, len);
	rx->msg[rx->n][len] = '\0';
	rx->len[rx->n++] = len;
}

/* RFC 6587: "LEN SP MSG" (LEN without leading zeros) or "MSG LF". */
static void
rx_parse(struct rx *rx)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *p = rx->cbuf + off;
		size_t avail = rx->clen - off, i = 0, len = 0;

		if (rx->octet) {
			while (i < avail && i < 10 && p[i] >= '0' && p[i] <= '9')
				len = len * 10 + (size_t)(p[i++] - '0');
			if (i == avail)
				break;
			if (i == 0 || i == 10 || p[0] == '0' || p[i] != ' ') {
				rx->bad_frames++;
				off = rx->clen;
				break;
			}
			if (avail - i - 1 < len)
				break;
			rx_store(rx, p + i + 1, len);
			off += i + 1 + len;
		} else {
			const uint8_t *lf = memchr(p, '\n', avail);

			if (lf == NULL)
				break;
			rx_store(rx, p, (size_t)(lf - p));
			off += (size_t)(lf - p) + 1;
		}
	}
	memmove(rx->cbuf, rx->cbuf + off, rx->clen - off);
	rx->clen -= off;
}

static void
rx_close_conn(struct rx *rx)
{
	if (rx->cfd < 0)
		return;
	if (rx->clen > 0)
		rx->partial_discarded++;
	rx->clen = 0;
	event_free(rx->cev);
	rx->cev = NULL;
	close(rx->cfd);
	rx->cfd = -1;
}

static void
rx_stop(struct rx *rx)
{
	rx_close_conn(rx);
	if (rx->lfd >= 0) {
		event_free(rx->lev);
		rx->lev = NULL;
		close(rx->lfd);
		rx->lfd = -1;
	}
}

static void
rx_free(struct rx *rx)
{
	rx_stop(rx);
	if (rx->path[0] != '\0')
		unlink(rx->path);
	free(rx->cbuf);
	free(rx->msg);
	free(rx->len);
}

static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct rx *rx = arg;

	(void)what;
	for (;;) {
		ssize_t n = read(fd, rx->cbuf + rx->clen, CBUF_MAX - rx->clen);

		if (n > 0) {
			rx->clen += (size_t)n;
			rx->bytes += (size_t)n;
			rx_parse(rx);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			rx_close_conn(rx);
			return;
		}
		if (errno == EAGAIN)
			break;
	}
	/* Everything readable was read: a close now loses nothing acked. */
	if (rx->close_after > 0 && rx->n >= rx->close_after && !rx->closed) {
		rx->closed = true;
		rx_stop(rx);
	}
}

static void
rx_resume(struct rx *rx)
{
	rx->paused = false;
	if (rx->cev != NULL)
		event_add(rx->cev, NULL);
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct rx *rx = arg;
	int c;

	(void)what;
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* a receiver reads what the old connection still holds */
	if (rx->cfd >= 0 && !rx->paused)
		conn_read(rx->cfd, EV_READ, rx);
	rx_close_conn(rx);
	rx->cfd = c;
	rx->connections++;
	rx->cev = event_new(rx->base, c, EV_READ | EV_PERSIST, conn_read, rx);
	if (!rx->paused)
		event_add(rx->cev, NULL);
}

static void
dgram_read(evutil_socket_t fd, short what, void *arg)
{
	struct rx *rx = arg;
	uint8_t buf[70000];

	(void)what;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0)
			return;
		rx->bytes += (size_t)n;
		rx_store(rx, buf, (size_t)n);
	}
}

static socklen_t
rx_addr(const struct rx *rx, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (rx->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(rx->port);
		return sizeof(*s6);
	}
	if (rx->family == AF_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)ss;

		su->sun_family = AF_UNIX;
		memcpy(su->sun_path, rx->path, strlen(rx->path) + 1);
		return sizeof(*su);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s4->sin_port = htons(rx->port);
	return sizeof(*s4);
}

/* Listens (stream) or binds (datagram) at rx->port (0: any, then set) or
 * rx->path. 0, or -1 (errno) when the address cannot be had. */
static int
rx_start(struct rx *rx)
{
	struct sockaddr_storage ss;
	socklen_t sl = rx_addr(rx, &ss);
	int one = 1, fd;

	fd = socket(rx->family, rx->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (rx->family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rx->rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rx->rcvbuf,
		    sizeof(rx->rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    (rx->type == SOCK_STREAM && listen(fd, 8) != 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (rx->family != AF_UNIX && rx->port == 0) {
		sl = sizeof(ss);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
		rx->port = ntohs(rx->family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	}
	rx->lfd = fd;
	rx->lev = event_new(rx->base, fd, EV_READ | EV_PERSIST,
	    rx->type == SOCK_STREAM ? on_accept : dgram_read, rx);
	event_add(rx->lev, NULL);
	rx->closed = false;
	return 0;
}

/* A TCP/UDP port on 127.0.0.1 that nothing listens on (for now). */
static uint16_t
free_port(int type)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Index of the expected message equal to msg i of rx; fails when none. */
static size_t
match(const struct rx *rx, size_t i, const struct expect *e, size_t hint)
{
	size_t k;

	if (hint < e->n && e->len[hint] == rx->len[i] &&
	    memcmp(e->msg[hint], rx->msg[i], rx->len[i]) == 0)
		return hint;
	for (k = 0; k < e->n; k++)
		if (e->len[k] == rx->len[i] &&
		    memcmp(e->msg[k], rx->msg[i], rx->len[i]) == 0)
			return k;
	fail_msg("received message %zu matches no alert: %.*s", i,
	    (int)rx->len[i], rx->msg[i]);
	return 0;
}

/* Received exactly expected [from, to), in order, once each. */
static void
assert_exact(const struct rx *rx, const struct expect *e, size_t from,
    size_t to)
{
	size_t i;

	assert_int_equal(rx->n, to - from);
	for (i = 0; i < rx->n; i++) {
		assert_int_equal(rx->len[i], e->len[from + i]);
		assert_memory_equal(rx->msg[i], e->msg[from + i], rx->len[i]);
	}
	assert_int_equal(rx->bad_frames, 0);
}

/*
 * Every expected alert arrived; first arrivals in order; a message seen
 * again only after the sequence went back (a resend), at most `breaks`
 * times. Returns the number of duplicates.
 */
static size_t
assert_all_in_order(const struct rx *rx, const struct expect *e,
    size_t breaks)
{
	bool *seen = calloc(e->n, sizeof(bool));
	size_t i, next = 0, dups = 0, rewinds = 0, last = 0;

	assert_non_null(seen);
	for (i = 0; i < rx->n; i++) {
		size_t k = match(rx, i, e, next);

		if (i > 0 && k <= last)
			rewinds++;
		last = k;
		if (seen[k]) {
			dups++;
			continue;
		}
		if (k != next)
			fail_msg("alert %zu arrived first before alert %zu", k, next);
		seen[k] = true;
		next++;
	}
	assert_int_equal(next, e->n);
	assert_true(rewinds <= breaks);
	assert_int_equal(rx->bad_frames, 0);
	free(seen);
	return dups;
}

/* ---- running the loop ----------------------------------------------------- */

typedef bool (*cond_fn)(void *);

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static uint64_t
now_ms(void)
{
	return clock_mono_ns() / 1000000ULL;
}

static bool
run_until(struct event_base *base, cond_fn cond, void *arg, int timeout_ms)
{
	struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
	struct timeval tv = { 0, 5000 };
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	event_add(t, &tv);
	while (!cond(arg) && now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return cond(arg);
}

static bool
never(void *arg)
{
	(void)arg;
	return false;
}

static void
run_for(struct event_base *base, int ms)
{
	run_until(base, never, NULL, ms);
}

struct count_cond {
	const struct rx *rx;
	size_t n;
};

static bool
rx_has(void *arg)
{
	const struct count_cond *c = arg;

	return c->rx->n >= c->n;
}

static void
wait_rx(struct event_base *base, const struct rx *rx, size_t n)
{
	struct count_cond c = { rx, n };

	if (!run_until(base, rx_has, &c, WAIT_MS))
		fail_msg("received %zu messages, waited for %zu", rx->n, n);
}

struct stat_cond {
	const struct output *o;
	uint64_t spooled, failures;
};

static bool
spooled_after_failure(void *arg)
{
	const struct stat_cond *c = arg;
	struct output_syslog_stats st;

	assert_int_equal(output_syslog_get_stats(c->o, &st), 0);
	return st.connect_failures >= c->failures && st.spooled >= c->spooled &&
	    st.queued == 0;
}

/* Waits until n alerts are in the spool, none in memory, after `failures`
 * failed connects (a datagram socket always connects: 0). */
static void
wait_spooled(struct event_base *base, const struct output *o, uint64_t n,
    uint64_t failures)
{
	struct stat_cond c = { o, n, failures };

	if (!run_until(base, spooled_after_failure, &c, WAIT_MS))
		fail_msg("not spooled after a failed connect");
}

/* ---- fixture -------------------------------------------------------------- */

struct fx {
	struct event_base *base;
	char dir[64];
	char name[33], host[64], path[128], target[160];
	struct output_conf oc;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	strcpy(f->dir, "/tmp/exfild-osl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char sub[512];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	event_base_free(f->base);
	remove_tree(f->dir);
	free(f);
	return 0;
}

static struct output_conf *
conf(struct fx *f, enum syslog_transport t, const char *host, uint16_t port,
    const char *name)
{
	struct output_conf *oc = &f->oc;

	memset(oc, 0, sizeof(*oc));
	oc->kind = OUTPUT_SYSLOG;
	oc->format = OUTPUT_FORMAT_JSON;
	oc->header = SYSLOG_RFC5424;
	oc->transport = t;
	oc->facility = 20;
	oc->framing = SYSLOG_FRAMING_OCTET;
	oc->max_message = SYSLOG_DEFAULT_MAX_MESSAGE;
	oc->queue_bytes = 1024 * 1024;
	oc->spool_bytes = 16 * 1024 * 1024;
	oc->spool_fsync = SPOOL_FSYNC_NEVER;
	oc->spool_fsync_ms = 1000;
	str_copy(f->name, name, sizeof(f->name));
	oc->name = f->name;
	if (t == SYSLOG_UNIX) {
		str_copy(f->path, host, sizeof(f->path));
		oc->socket_path = f->path;
		snprintf(f->target, sizeof(f->target), "unix://%s", host);
	} else {
		str_copy(f->host, host, sizeof(f->host));
		oc->host = f->host;
		oc->port = port;
		snprintf(f->target, sizeof(f->target), "%s://%s:%u",
		    t == SYSLOG_TCP ? "tcp" : "udp", host, port);
	}
	oc->target = f->target;
	return oc;
}

static struct output *
open_output(struct fx *f)
{
	char err[512];
	struct output *o;

	o = output_syslog_new(f->base, &f->oc, f->dir, &test_meta, err,
	    sizeof(err));
	if (o == NULL)
		fail_msg("output_syslog_new: %s", err);
	return o;
}

static void
get_stats(const struct output *o, struct output_syslog_stats *st)
{
	assert_int_equal(output_syslog_get_stats(o, st), 0);
}

/* ---- tests ---------------------------------------------------------------- */

static const char *const hostile_hosts[] = {
	"hk-files.example.net", "a|b=c\\d]e\"f", "line\nbreak\r\tend",
	"\xff\xfe invalid utf-8 \xc3", "nul-free ]]]\\\\\"\"",
};

static void
hostile_expect(struct expect *e, const struct output_conf *oc, size_t n)
{
	struct syslog_meta m = test_meta;
	struct alert a;
	size_t i;

	expect_init(e, oc, n, "x");
	m.facility = oc->facility;
	for (i = 0; i < n; i++) {
		struct strbuf sb;

		make_alert(&a, (unsigned)i, hostile_hosts[i % ARRAY_LEN(hostile_hosts)]);
		sb_init(&sb, e->msg[i], MSG_MAX);
		assert_int_equal(syslog_format_message(&a, oc->header, oc->format,
		    &m, (size_t)oc->max_message, &sb), 0);
		e->len[i] = sb.len;
	}
}

static void
emit_hostile(struct output *o, size_t n)
{
	struct alert a;
	size_t i;

	for (i = 0; i < n; i++) {
		make_alert(&a, (unsigned)i, hostile_hosts[i % ARRAY_LEN(hostile_hosts)]);
		assert_int_equal(output_emit(o, &a), 0);
	}
}

static void
tcp_framing(void **state, enum syslog_framing framing, enum output_format fmt)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct output_conf *oc;
	struct expect e;
	struct output *o;
	struct rx rx;
	size_t i, want_bytes = 0;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.octet = framing == SYSLOG_FRAMING_OCTET;
	assert_int_equal(rx_start(&rx), 0);
	oc = conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "tcp");
	oc->framing = framing;
	oc->format = fmt;
	hostile_expect(&e, oc, 10);
	o = open_output(f);
	emit_hostile(o, 10);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 10);
	assert_exact(&rx, &e, 0, 10);
	/* the byte stream is exactly the frames: nothing before, between or
	 * after them */
	for (i = 0; i < 10; i++) {
		char digits[24];

		want_bytes += e.len[i] + (rx.octet ?
		    (size_t)snprintf(digits, sizeof(digits), "%zu ", e.len[i]) : 1);
	}
	assert_int_equal(rx.bytes, want_bytes);
	assert_int_equal(rx.clen, 0);
	get_stats(o, &st);
	assert_int_equal(st.sent, 10);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.connect_failures, 0);
	assert_int_equal(rx.connections, 1);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

static void
test_tcp_octet_counting_exact(void **state)
{
	tcp_framing(state, SYSLOG_FRAMING_OCTET, OUTPUT_FORMAT_JSON);
	tcp_framing(state, SYSLOG_FRAMING_OCTET, OUTPUT_FORMAT_CEF);
}

static void
test_tcp_lf_framing_exact(void **state)
{
	tcp_framing(state, SYSLOG_FRAMING_LF, OUTPUT_FORMAT_LEEF);
	tcp_framing(state, SYSLOG_FRAMING_LF, OUTPUT_FORMAT_ECS);
}

/* The receiver closes mid-stream (and stops listening), comes back later:
 * every alert arrives, first arrivals in order. */
static void
test_tcp_outage_mid_stream(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;
	size_t dups;
	const char *host = NULL;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.rcvbuf = 4096;
	rx.close_after = 150;
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "outage");
	expect_init(&e, &f->oc, 900, host);
	o = open_output(f);
	emit_range(o, 0, 600, host);
	wait_rx(f->base, &rx, 150);
	assert_true(rx.closed);
	/* the output finds the break, fails to reconnect, spools */
	wait_spooled(f->base, o, 1, 1);
	emit_range(o, 600, 900, host);
	get_stats(o, &st);
	assert_int_equal(st.queued, 0);
	assert_true(st.spooled >= 300);
	rx.close_after = 0;
	assert_int_equal(rx_start(&rx), 0);
	wait_rx(f->base, &rx, 900);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	run_for(f->base, 50);
	dups = assert_all_in_order(&rx, &e, 1);
	assert_true(dups <= 2);
	assert_int_equal(rx.connections, 2);
	get_stats(o, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.connects, 2);
	assert_true(st.connect_failures >= 1);
	assert_int_equal(st.sent, 900); /* each once for the first time */
	assert_true(st.retried >= 1);   /* the window at the break, again */
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* Nobody listens at start: alerts go to the spool, arrive when it starts. */
static void
test_tcp_refused_at_start(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.port = free_port(SOCK_STREAM);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "refused");
	expect_init(&e, &f->oc, 25, "hk-files.example.net");
	o = open_output(f);
	/* first the failure, then alerts: down, they go straight to disk */
	wait_spooled(f->base, o, 0, 1);
	emit_range(o, 0, 20, "hk-files.example.net");
	get_stats(o, &st);
	assert_int_equal(st.spooled, 20);
	assert_int_equal(st.queued, 0);
	emit_range(o, 20, 25, "hk-files.example.net");
	get_stats(o, &st);
	assert_int_equal(st.spooled, 25);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.connects, 0);
	assert_true(st.connect_failures >= 1);
	/* a drain that times out leaves them all on disk */
	assert_int_equal(output_syslog_drain(o, 50), 25);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 25);
	assert_int_equal(rx_start(&rx), 0);
	wait_rx(f->base, &rx, 25);
	assert_exact(&rx, &e, 0, 25);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.sent, 25);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.dropped, 0);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* close() keeps what was not delivered (spool and memory): a new output
 * over the same state directory delivers it. */
static void
test_restart_delivers_spool(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.port = free_port(SOCK_STREAM);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "restart");
	expect_init(&e, &f->oc, 16, "hk-files.example.net");
	/* first life: closed before the loop ever ran (all in memory) */
	o = open_output(f);
	emit_range(o, 0, 4, "hk-files.example.net");
	get_stats(o, &st);
	assert_int_equal(st.queued, 4);
	assert_int_equal(st.spooled, 0);
	output_close(o);
	/* second life: spooled after a failure */
	o = open_output(f);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 4);
	wait_spooled(f->base, o, 4, 1);
	emit_range(o, 4, 13, "hk-files.example.net");
	output_close(o);
	/* third life: before the loop runs, behind the spool */
	o = open_output(f);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 13);
	assert_int_equal(st.queued, 0);
	emit_range(o, 13, 16, "hk-files.example.net");
	output_close(o);
	/* fourth life: the receiver is there */
	o = open_output(f);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 16);
	assert_int_equal(rx_start(&rx), 0);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 16);
	assert_exact(&rx, &e, 0, 16);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* Without a spool a full queue drops its oldest, counted exactly: the
 * alerts that arrive are the newest, and with the dropped make all. */
static void
test_no_spool_drops_oldest(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;
	size_t kept;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.port = free_port(SOCK_STREAM);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "nospool");
	f->oc.spool_bytes = 0;
	f->oc.queue_bytes = 16 * 1024;
	expect_init(&e, &f->oc, 100, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 100, "hk-files.example.net");
	get_stats(o, &st);
	kept = (size_t)st.queued;
	assert_true(kept > 5 && kept < 100);
	assert_int_equal(st.dropped, 100 - kept);
	assert_int_equal(st.spooled, 0);
	/* down a while: nothing more is lost, nothing goes to disk */
	run_for(f->base, 150);
	get_stats(o, &st);
	assert_int_equal(st.queued, kept);
	assert_int_equal(st.dropped, 100 - kept);
	assert_true(st.connect_failures >= 1);
	assert_int_equal(rx_start(&rx), 0);
	wait_rx(f->base, &rx, kept);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	assert_exact(&rx, &e, 100 - kept, 100);
	get_stats(o, &st);
	assert_int_equal(st.sent, kept);
	assert_int_equal(st.dropped, 100 - kept);
	assert_int_equal(st.queued, 0);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* Past the memory queue alerts go to the spool; the receiver reads
 * nothing for a while (partial writes, a full window), then everything. */
static void
test_tcp_backpressure_queue_to_spool(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;
	const char *host = NULL;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.rcvbuf = 4096;
	rx.paused = true;
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "backpressure");
	f->oc.queue_bytes = 64 * 1024;
	expect_init(&e, &f->oc, 2000, host);
	o = open_output(f);
	emit_range(o, 0, 2000, host);
	get_stats(o, &st);
	assert_true(st.spooled > 0);
	assert_int_equal(st.queued + st.spooled, 2000);
	run_for(f->base, 200);
	get_stats(o, &st);
	assert_true(st.sent < 2000);
	assert_int_equal(st.dropped, 0);
	rx_resume(&rx);
	wait_rx(f->base, &rx, 2000);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	assert_exact(&rx, &e, 0, 2000);
	get_stats(o, &st);
	assert_int_equal(st.sent, 2000);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.connects, 1);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* close() with messages the receiver has not acknowledged (it reads
 * nothing): they go to the spool with the rest; the next output sends
 * them. Duplicates only where the old connection's bytes still arrive. */
static void
test_close_keeps_unacknowledged(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;
	size_t dups;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	rx.rcvbuf = 4096;
	rx.paused = true;
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "unacked");
	expect_init(&e, &f->oc, 1500, NULL);
	o = open_output(f);
	emit_range(o, 0, 1500, NULL);
	run_for(f->base, 200);
	get_stats(o, &st);
	assert_true(st.sent > 0);
	assert_true(st.queued > 0); /* written, not acknowledged */
	output_close(o);
	o = open_output(f);
	get_stats(o, &st);
	assert_true(st.spooled > 1000);
	assert_true(st.spooled <= 1500);
	rx_resume(&rx);
	wait_rx(f->base, &rx, 1500);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	run_for(f->base, 50);
	dups = assert_all_in_order(&rx, &e, 1);
	print_message("unacked at close: %llu spooled, %zu duplicates\n",
	    (unsigned long long)st.spooled, dups);
	get_stats(o, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.spooled, 0);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

struct connects_cond {
	const struct output *o;
	uint64_t connects;
};

static bool
connected_times(void *arg)
{
	const struct connects_cond *c = arg;
	struct output_syslog_stats st;

	assert_int_equal(output_syslog_get_stats(c->o, &st), 0);
	return st.connects >= c->connects;
}

/* A receiver that closes an idle connection (rsyslog does): the output
 * reads the EOF, connects again without anything to send, and what comes
 * next goes over the new connection. */
static void
test_tcp_idle_close_by_receiver(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct connects_cond cc;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_TCP, "127.0.0.1", rx.port, "idle");
	expect_init(&e, &f->oc, 4, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 2, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 2);
	rx_close_conn(&rx);
	cc.o = o;
	cc.connects = 2;
	assert_true(run_until(f->base, connected_times, &cc, WAIT_MS));
	get_stats(o, &st);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.retried, 0);
	emit_range(o, 2, 4, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 4);
	assert_exact(&rx, &e, 0, 4);
	assert_int_equal(rx.connections, 2);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* close() while a name is being looked up: evdns calls back after the
 * output is gone (ASan: no use after free, no leak once the loop ran). */
static void
test_close_while_resolving(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct output *o;
	char err[512];

	conf(f, SYSLOG_TCP, "exfild-test-no-such-name.invalid", 514, "resolving");
	o = output_syslog_new(f->base, &f->oc, f->dir, &test_meta, err,
	    sizeof(err));
	if (o == NULL) {
		print_message("no resolver here: %s\n", err);
		skip();
	}
	emit_range(o, 0, 3, "hk-files.example.net");
	get_stats(o, &st);
	assert_int_equal(st.connects, 0);
	assert_int_equal(st.queued + st.spooled, 3);
	output_close(o);
	run_for(f->base, 100);
	/* the alerts are on disk for the next output */
	o = output_syslog_new(f->base, &f->oc, f->dir, &test_meta, err,
	    sizeof(err));
	assert_non_null(o);
	get_stats(o, &st);
	assert_int_equal(st.spooled, 3);
	output_close(o);
	run_for(f->base, 100);
}

static void
test_udp_datagrams_exact(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_DGRAM, AF_INET);
	rx.rcvbuf = 1 << 20;
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_UDP, "127.0.0.1", rx.port, "udp");
	expect_init(&e, &f->oc, 200, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 200, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 200);
	assert_exact(&rx, &e, 0, 200);
	get_stats(o, &st);
	assert_int_equal(st.sent, 200);
	assert_int_equal(st.retried, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* ICMP port unreachable comes back as ECONNREFUSED on a later send: the
 * datagrams held since are sent again, none lost once a receiver binds. */
static void
test_udp_refused_then_bound(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_DGRAM, AF_INET);
	rx.port = free_port(SOCK_DGRAM);
	conf(f, SYSLOG_UDP, "127.0.0.1", rx.port, "udprefused");
	expect_init(&e, &f->oc, 8, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 8, "hk-files.example.net");
	wait_spooled(f->base, o, 8, 0);
	assert_int_equal(rx_start(&rx), 0);
	wait_rx(f->base, &rx, 8);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	run_for(f->base, 20);
	assert_all_in_order(&rx, &e, 0);
	get_stats(o, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.spooled, 0);
	assert_true(st.sent >= 8);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* /dev/log style: a unix datagram socket; it goes away and comes back. */
static void
test_unix_datagram(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_DGRAM, AF_UNIX);
	snprintf(rx.path, sizeof(rx.path), "%s/log", f->dir);
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_UNIX, rx.path, 0, "unix");
	f->oc.header = SYSLOG_RFC3164;
	expect_init(&e, &f->oc, 60, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 40, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 40);
	assert_exact(&rx, &e, 0, 40);
	/* the receiver goes (after reading all) and its path with it */
	rx_stop(&rx);
	unlink(rx.path);
	emit_range(o, 40, 60, "hk-files.example.net");
	wait_spooled(f->base, o, 20, 1);
	assert_int_equal(rx_start(&rx), 0);
	wait_rx(f->base, &rx, 60);
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	assert_all_in_order(&rx, &e, 1);
	get_stats(o, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.spooled, 0);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

static void
test_tcp_ipv6(void **state)
{
	struct fx *f = *state;
	struct expect e;
	struct output *o;
	struct rx rx;

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET6);
	if (rx_start(&rx) != 0) {
		rx_free(&rx);
		skip();
	}
	conf(f, SYSLOG_TCP, "::1", rx.port, "ipv6");
	expect_init(&e, &f->oc, 5, "hk-files.example.net");
	o = open_output(f);
	emit_range(o, 0, 5, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, WAIT_MS), 0);
	wait_rx(f->base, &rx, 5);
	assert_exact(&rx, &e, 0, 5);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

/* A host name goes through evdns (here answered from /etc/hosts). */
static void
test_tcp_host_name(void **state)
{
	struct fx *f = *state;
	struct output_syslog_stats st;
	struct expect e;
	struct output *o;
	struct rx rx;
	char err[512];

	rx_init(&rx, f->base, SOCK_STREAM, AF_INET);
	assert_int_equal(rx_start(&rx), 0);
	conf(f, SYSLOG_TCP, "localhost", rx.port, "byname");
	expect_init(&e, &f->oc, 3, "hk-files.example.net");
	o = output_syslog_new(f->base, &f->oc, f->dir, &test_meta, err,
	    sizeof(err));
	if (o == NULL) {
		print_message("no resolver here: %s\n", err);
		expect_free(&e);
		rx_free(&rx);
		skip();
	}
	emit_range(o, 0, 3, "hk-files.example.net");
	assert_int_equal(output_syslog_drain(o, 5000), 0);
	wait_rx(f->base, &rx, 3);
	assert_exact(&rx, &e, 0, 3);
	get_stats(o, &st);
	assert_int_equal(st.connects, 1);
	output_close(o);
	expect_free(&e);
	rx_free(&rx);
}

static void
expect_refused(struct fx *f, const char *state_dir, const char *want)
{
	char err[512] = "";

	assert_null(output_syslog_new(f->base, &f->oc, state_dir, &test_meta,
	    err, sizeof(err)));
	assert_string_equal(err, want);
}

static void
test_bad_configurations(void **state)
{
	struct fx *f = *state;
	char longpath[200], want[128];

	conf(f, SYSLOG_TCP, "127.0.0.1", 514, "bad");
	f->oc.kind = OUTPUT_FILE;
	expect_refused(f, f->dir, "syslog output bad: not a syslog output");
	conf(f, SYSLOG_TCP, "127.0.0.1", 514, "../up");
	expect_refused(f, f->dir, "syslog output ../up: bad name");
	conf(f, SYSLOG_TCP, "127.0.0.1", 514, "a/b");
	expect_refused(f, f->dir, "syslog output a/b: bad name");
	conf(f, SYSLOG_TCP, "127.0.0.1", 514, "small");
	f->oc.max_message = 100;
	snprintf(want, sizeof(want), "syslog output small: max_message 100 out "
	    "of range %u..65536", SYSLOG_MIN_MESSAGE);
	expect_refused(f, f->dir, want);
	conf(f, SYSLOG_TCP, "127.0.0.1", 0, "noport");
	expect_refused(f, f->dir, "syslog output noport: no host or port");
	conf(f, SYSLOG_TCP, "127.0.0.1", 514, "nodir");
	expect_refused(f, NULL,
	    "syslog output nodir: a spool needs a state directory");
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	conf(f, SYSLOG_UNIX, longpath, 0, "longpath");
	expect_refused(f, f->dir, "syslog output longpath: socket path missing "
	    "or longer than 107 bytes");
	/* the spool directory cannot be made: a file is in the way */
	{
		char file[128];
		FILE *fp;

		snprintf(file, sizeof(file), "%s/spool", f->dir);
		fp = fopen(file, "w");
		assert_non_null(fp);
		fclose(fp);
		conf(f, SYSLOG_TCP, "127.0.0.1", 514, "blocked");
		assert_null(output_syslog_new(f->base, &f->oc, f->dir, &test_meta,
		    longpath, sizeof(longpath)));
		assert_memory_equal(longpath, "syslog output blocked: ", 23);
		unlink(file);
	}
	/* a json output is not a syslog output */
	{
		struct output_syslog_stats st;
		struct output *j = output_json_stdout();

		assert_int_equal(output_syslog_get_stats(j, &st), -1);
		assert_int_equal(output_syslog_drain(j, 10), 0);
		output_close(j);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_octet_counting_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_lf_framing_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_outage_mid_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_refused_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_delivers_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_spool_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_backpressure_queue_to_spool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_keeps_unacknowledged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_idle_close_by_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_while_resolving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_datagrams_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_refused_then_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_datagram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_host_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_configurations, setup, teardown),
	};

	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	log_init("test_output_syslog", true,
	    getenv("TEST_LOG") != NULL ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
