/*
 * test_resolver.c - evdns lookups against a tiny DNS responder on a
 * loopback UDP socket in the same event_base: exact answers, A then AAAA,
 * failures, timeouts, the recent and in-flight limits, invalid names,
 * resolv.conf and option errors, and freeing with answers in flight.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/daemon/resolver.h"

#define TYPE_A		1
#define TYPE_AAAA	28
#define MAX_QUERIES	64
#define MAX_ANSWERS	16

static const struct hash_key test_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

struct query {
	uint16_t qtype;
	char name[256];		/* lowercased */
};

/* Answers A/AAAA for a few names, NXDOMAIN for the rest; see respond(). */
struct responder {
	int fd;
	uint16_t port;
	struct event *ev;
	size_t nqueries;
	struct query queries[MAX_QUERIES];
};

struct answer {
	char name[256];
	char addr[NETADDR_STRLEN];
	uint32_t ttl;
};

struct fixture {
	struct event_base *base;
	struct event *tick;
	struct responder rs;
	struct resolver *r;
	struct resolver_opts opts;
	char nameserver[32];
	size_t nanswers;
	struct answer answers[MAX_ANSWERS];
	bool free_in_fn;	/* fn frees the resolver */
	const char *chain_name;	/* fn looks this name up (once) */
	int chain_rc;
	char dir[64];
	char path[128];
};

enum reply_kind { REPLY_RCODE, REPLY_SILENT, REPLY_GARBAGE };

struct reply {
	enum reply_kind kind;
	uint8_t rcode;
	uint16_t rrtype;	/* 0: no answer record */
	uint32_t ttl;
	uint8_t rdata[16];
	uint16_t rdlen;
};

static void
reply_a(struct reply *rp, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c,
    uint8_t d)
{
	rp->rrtype = TYPE_A;
	rp->ttl = ttl;
	rp->rdata[0] = a;
	rp->rdata[1] = b;
	rp->rdata[2] = c;
	rp->rdata[3] = d;
	rp->rdlen = 4;
}

static void
reply_aaaa(struct reply *rp, uint32_t ttl, const char *text)
{
	rp->rrtype = TYPE_AAAA;
	rp->ttl = ttl;
	assert_int_equal(inet_pton(AF_INET6, text, rp->rdata), 1);
	rp->rdlen = 16;
}

/* The responder's zone. A name it knows without the type asked: NODATA. */
static void
respond(const char *name, uint16_t qtype, struct reply *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->kind = REPLY_RCODE;
	if (strncmp(name, "slow", 4) == 0) {
		rp->kind = REPLY_SILENT;
	} else if (strcmp(name, "garbage.example.net") == 0) {
		rp->kind = REPLY_GARBAGE;
	} else if (strcmp(name, "servfail.example.net") == 0) {
		rp->rcode = 2;
	} else if (strcmp(name, "hk-files.example.net") == 0) {
		if (qtype == TYPE_A)
			reply_a(rp, 300, 203, 0, 113, 7);
	} else if (strcmp(name, "second.example.net") == 0) {
		if (qtype == TYPE_A)
			reply_a(rp, 60, 203, 0, 113, 8);
	} else if (strcmp(name, "v6only.example.net") == 0) {
		if (qtype == TYPE_AAAA)
			reply_aaaa(rp, 120, "2001:db8::7");
	} else if (strcmp(name, "noaddr.example.net") == 0) {
		/* exists, neither A nor AAAA */
	} else {
		rp->rcode = 3;
	}
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Parses one query (RFC 1035 4.1: header, one question, labels without
 * compression) through the cursor; the reply echoes the question bytes
 * (evdns randomises their case) and points its answer name at them.
 * Returns the reply length, 0 for no reply.
 */
static size_t
handle_query(struct responder *rs, const uint8_t *pkt, size_t len,
    uint8_t *out, size_t outlen)
{
	struct cursor c;
	struct reply rp;
	struct query *q;
	uint16_t id, flags, qdcount, qtype;
	size_t namelen = 0, qend, o;
	uint8_t labellen;

	cur_init(&c, pkt, len);
	id = cur_be16(&c);
	flags = cur_be16(&c);
	qdcount = cur_be16(&c);
	cur_skip(&c, 6);
	if (c.err || (flags & 0x8000) != 0 || qdcount != 1)
		return 0;
	assert_true(rs->nqueries < MAX_QUERIES);
	q = &rs->queries[rs->nqueries];
	while ((labellen = cur_u8(&c)) != 0) {
		const uint8_t *label;
		size_t i;

		if ((labellen & 0xc0) != 0 || 255 - namelen < labellen + 1u)
			return 0;
		label = cur_ptr(&c, labellen);
		if (label == NULL)
			return 0;
		if (namelen > 0)
			q->name[namelen++] = '.';
		for (i = 0; i < labellen; i++)
			q->name[namelen++] = (char)(label[i] >= 'A' &&
			    label[i] <= 'Z' ? label[i] - 'A' + 'a' : label[i]);
	}
	q->name[namelen] = '\0';
	qtype = cur_be16(&c);
	cur_skip(&c, 2);	/* class */
	if (c.err)
		return 0;
	qend = c.off;
	q->qtype = qtype;
	rs->nqueries++;

	respond(q->name, qtype, &rp);
	if (rp.kind == REPLY_SILENT)
		return 0;
	if (rp.kind == REPLY_GARBAGE) {
		memcpy(out, pkt, 7);	/* a header cut short */
		out[2] |= 0x80;
		return 7;
	}
	assert_true(outlen - qend >= 12 + 16);
	memcpy(out, pkt, qend);
	put_be16(out, id);
	put_be16(out + 2, (uint16_t)(0x8080 | (flags & 0x0100) | rp.rcode));
	put_be16(out + 4, 1);
	put_be16(out + 6, rp.rrtype != 0 ? 1 : 0);
	put_be16(out + 8, 0);
	put_be16(out + 10, 0);
	o = qend;
	if (rp.rrtype != 0) {
		put_be16(out + o, 0xc00c);
		put_be16(out + o + 2, rp.rrtype);
		put_be16(out + o + 4, 1);
		put_be16(out + o + 6, (uint16_t)(rp.ttl >> 16));
		put_be16(out + o + 8, (uint16_t)rp.ttl);
		put_be16(out + o + 10, rp.rdlen);
		memcpy(out + o + 12, rp.rdata, rp.rdlen);
		o += 12u + rp.rdlen;
	}
	return o;
}

static void
responder_read(evutil_socket_t fd, short what, void *arg)
{
	struct responder *rs = arg;
	uint8_t pkt[512], out[600];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;
	size_t olen;

	(void)what;
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n < 0)
			return;
		olen = handle_query(rs, pkt, (size_t)n, out, sizeof(out));
		if (olen > 0)
			assert_int_equal(sendto(fd, out, olen, 0,
			    (struct sockaddr *)&from, fromlen), (ssize_t)olen);
	}
}

static void
responder_start(struct responder *rs, struct event_base *base)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	rs->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(rs->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(rs->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(rs->fd, (struct sockaddr *)&sin, &len), 0);
	rs->port = ntohs(sin.sin_port);
	rs->ev = event_new(base, rs->fd, EV_READ | EV_PERSIST, responder_read,
	    rs);
	assert_non_null(rs->ev);
	assert_int_equal(event_add(rs->ev, NULL), 0);
}

static void
on_answer(void *ctx, const char *name, const struct netaddr *addr,
    uint32_t ttl)
{
	struct fixture *f = ctx;
	struct answer *a;

	assert_true(f->nanswers < MAX_ANSWERS);
	a = &f->answers[f->nanswers++];
	snprintf(a->name, sizeof(a->name), "%s", name);
	netaddr_format(addr, a->addr, sizeof(a->addr));
	a->ttl = ttl;
	if (f->free_in_fn) {
		resolver_free(f->r);
		f->r = NULL;
	}
	if (f->chain_name != NULL) {
		f->chain_rc = resolver_lookup(f->r, f->chain_name, 1);
		f->chain_name = NULL;
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct timeval tv = { 0, 5000 };

	if (f == NULL)
		return -1;
	f->base = event_base_new();
	if (f->base == NULL)
		return -1;
	/* EVLOOP_ONCE returns at least every 5 ms. */
	f->tick = event_new(f->base, -1, EV_PERSIST, tick, NULL);
	if (f->tick == NULL || event_add(f->tick, &tv) != 0)
		return -1;
	responder_start(&f->rs, f->base);
	snprintf(f->nameserver, sizeof(f->nameserver), "127.0.0.1:%u",
	    f->rs.port);
	f->opts.nameserver = f->nameserver;
	f->opts.key = &test_key;
	f->opts.max_inflight = 8;
	f->opts.recent_slots = 64;
	f->opts.retry_ns = 300 * NS_PER_SEC;
	f->opts.timeout_ms = 200;
	f->opts.attempts = 1;
	strcpy(f->dir, "/tmp/exfild-test-resolver-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/resolv.conf", f->dir);
	*state = f;
	return 0;
}

/* Runs the loop a little after freeing: evdns must not call back then. */
static void
run_ms(struct fixture *f, uint64_t ms)
{
	uint64_t end = clock_mono_ns() + ms * 1000000;

	while (clock_mono_ns() < end)
		event_base_loop(f->base, EVLOOP_ONCE);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	resolver_free(f->r);
	run_ms(f, 20);
	event_free(f->rs.ev);
	close(f->rs.fd);
	event_free(f->tick);
	event_base_free(f->base);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
new_resolver(struct fixture *f)
{
	char err[256] = "";

	f->r = resolver_new(f->base, &f->opts, on_answer, f, err, sizeof(err));
	if (f->r == NULL)
		fail_msg("resolver_new: %s", err);
}

static struct resolver_stats
stats(const struct fixture *f)
{
	struct resolver_stats st;

	resolver_get_stats(f->r, &st);
	assert_int_equal(st.asked, st.answered + st.failed + st.inflight);
	return st;
}

/* Runs the loop until done names have ended (answered or failed). */
static void
run_until_done(struct fixture *f, uint64_t done, uint64_t max_ms)
{
	uint64_t end = clock_mono_ns() + max_ms * 1000000;
	struct resolver_stats st = stats(f);

	while (st.answered + st.failed < done) {
		if (clock_mono_ns() >= end)
			fail_msg("%llu of %llu lookups ended in %llu ms",
			    (unsigned long long)(st.answered + st.failed),
			    (unsigned long long)done, (unsigned long long)max_ms);
		event_base_loop(f->base, EVLOOP_ONCE);
		st = stats(f);
	}
}

static void
assert_answer(const struct fixture *f, size_t i, const char *name,
    const char *addr, uint32_t ttl)
{
	assert_true(i < f->nanswers);
	assert_string_equal(f->answers[i].name, name);
	assert_string_equal(f->answers[i].addr, addr);
	assert_int_equal(f->answers[i].ttl, ttl);
}

static void
assert_query(const struct fixture *f, size_t i, uint16_t qtype,
    const char *name)
{
	assert_true(i < f->rs.nqueries);
	assert_int_equal(f->rs.queries[i].qtype, qtype);
	assert_string_equal(f->rs.queries[i].name, name);
}

static void
test_answer_a(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	st = stats(f);
	assert_int_equal(st.asked, 1);
	assert_int_equal(st.inflight, 1);
	run_until_done(f, 1, 2000);
	assert_int_equal(f->nanswers, 1);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	assert_int_equal(f->rs.nqueries, 1);
	assert_query(f, 0, TYPE_A, "hk-files.example.net");
	st = stats(f);
	assert_int_equal(st.asked, 1);
	assert_int_equal(st.answered, 1);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.skipped_recent, 0);
}

/* Mixed case and a trailing dot: asked and answered as the canonical name. */
static void
test_answer_normalised_name(void **state)
{
	struct fixture *f = *state;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "HK-Files.Example.NET.", 1), 0);
	run_until_done(f, 1, 2000);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	assert_query(f, 0, TYPE_A, "hk-files.example.net");
}

static void
test_aaaa_when_no_a(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "v6only.example.net", 1), 0);
	run_until_done(f, 1, 2000);
	assert_int_equal(f->nanswers, 1);
	assert_answer(f, 0, "v6only.example.net", "2001:db8::7", 120);
	assert_int_equal(f->rs.nqueries, 2);
	assert_query(f, 0, TYPE_A, "v6only.example.net");
	assert_query(f, 1, TYPE_AAAA, "v6only.example.net");
	st = stats(f);
	assert_int_equal(st.asked, 1);
	assert_int_equal(st.answered, 1);
	assert_int_equal(st.failed, 0);
}

/* NXDOMAIN ends the name (no AAAA); NODATA for both types fails after AAAA. */
static void
test_failures_counted(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "nope.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "noaddr.example.net", 1), 0);
	run_until_done(f, 2, 2000);
	assert_int_equal(f->nanswers, 0);
	st = stats(f);
	assert_int_equal(st.asked, 2);
	assert_int_equal(st.answered, 0);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(f->rs.nqueries, 3);
	assert_query(f, 0, TYPE_A, "nope.example.net");
	assert_query(f, 1, TYPE_A, "noaddr.example.net");
	assert_query(f, 2, TYPE_AAAA, "noaddr.example.net");
}

/* SERVFAIL: evdns has no other nameserver to reissue to; the name fails. */
static void
test_servfail_counted(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "servfail.example.net", 1), 0);
	run_until_done(f, 1, 2000);
	st = stats(f);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.answered, 0);
	assert_int_equal(f->nanswers, 0);
	assert_int_equal(f->rs.nqueries, 1);
	assert_query(f, 0, TYPE_A, "servfail.example.net");
}

/* No answer, and a reply cut inside its header: both time out. */
static void
test_timeout(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "garbage.example.net", 1), 0);
	run_ms(f, 100);
	st = stats(f);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.failed, 0);
	run_until_done(f, 2, 3000);
	st = stats(f);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.answered, 0);
	assert_int_equal(f->nanswers, 0);
	/* attempts 1: one query each, no AAAA after a timeout. */
	assert_int_equal(f->rs.nqueries, 2);
}

static void
test_skip_recent_and_inflight(void **state)
{
	struct fixture *f = *state;
	const uint64_t t0 = 10 * NS_PER_SEC;
	struct resolver_stats st;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", t0), 0);
	/* in flight, in any spelling */
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", t0), 1);
	assert_int_equal(resolver_lookup(f->r, "HK-FILES.example.net.", t0), 1);
	run_until_done(f, 1, 2000);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net",
	    t0 + f->opts.retry_ns - 1), 1);
	assert_int_equal(f->rs.nqueries, 1);
	/* a failure is remembered too */
	assert_int_equal(resolver_lookup(f->r, "nope.example.net", t0), 0);
	run_until_done(f, 2, 2000);
	assert_int_equal(resolver_lookup(f->r, "nope.example.net", t0 + 1), 1);
	st = stats(f);
	assert_int_equal(st.skipped_recent, 4);
	assert_int_equal(st.asked, 2);
	/* retry_ns later: asked again */
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net",
	    t0 + f->opts.retry_ns), 0);
	run_until_done(f, 3, 2000);
	assert_int_equal(f->nanswers, 2);
	assert_answer(f, 1, "hk-files.example.net", "203.0.113.7", 300);
	assert_int_equal(f->rs.nqueries, 3);
	st = stats(f);
	assert_int_equal(st.asked, 3);
	assert_int_equal(st.answered, 2);
	assert_int_equal(st.failed, 1);
}

/* In flight with retry_ns shorter than the lookup: skipped all the same. */
static void
test_skip_inflight_after_retry(void **state)
{
	struct fixture *f = *state;

	f->opts.retry_ns = 1;
	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 100), 0);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 200), 1);
	assert_int_equal(stats(f).skipped_recent, 1);
	run_until_done(f, 1, 3000);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 300), 0);
	assert_int_equal(stats(f).asked, 2);
}

/* A direct-mapped table of one slot: the last name evicts the one before. */
static void
test_recent_table_bounded(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	f->opts.recent_slots = 1;
	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	run_until_done(f, 1, 2000);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 2), 1);
	assert_int_equal(resolver_lookup(f->r, "second.example.net", 3), 0);
	run_until_done(f, 2, 2000);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 4), 0);
	run_until_done(f, 3, 2000);
	st = stats(f);
	assert_int_equal(st.asked, 3);
	assert_int_equal(st.answered, 3);
	assert_int_equal(st.skipped_recent, 1);
	assert_answer(f, 1, "second.example.net", "203.0.113.8", 60);
}

static void
test_busy_refused(void **state)
{
	struct fixture *f = *state;
	struct resolver_stats st;

	f->opts.max_inflight = 2;
	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "slow2.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), -1);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 2), -1);
	st = stats(f);
	assert_int_equal(st.refused_busy, 2);
	assert_int_equal(st.asked, 2);
	assert_int_equal(st.inflight, 2);
	assert_int_equal(st.skipped_recent, 0);
	/* a refused name was not remembered: asked once a slot is free */
	run_until_done(f, 2, 3000);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 3), 0);
	run_until_done(f, 3, 2000);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	st = stats(f);
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.answered, 1);
	assert_int_equal(st.refused_busy, 2);
}

static void
fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

/* Labels of 63 + 63 + 63 + len_last, with dots: 192 + len_last bytes. */
static void
long_name(char *buf, size_t len_last)
{
	char label[64];

	fill(label, 63, 'a');
	sprintf(buf, "%s.%s.%s.", label, label, label);
	fill(buf + strlen(buf), len_last, 'b');
}

static void
test_invalid_names(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"1.2.3.4", "1.2.3.4.", "127.1", "0x7f.1", "2130706433",
		"::1", "2001:db8::1", "[::1]", "a..b", ".a", "a.b..", "",
		".", "..", "bad\nname", "bad name", "tab\there", "nul\x01x",
		"del\x7f.example", "caf\xc3\xa9.example", "host:80",
		"a/b.example", "a*.example", "example.123",
	};
	char name[400], label64[65];
	struct resolver_stats st;
	size_t i;

	new_resolver(f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (resolver_lookup(f->r, bad[i], 1) != -1)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(resolver_lookup(f->r, NULL, 1), -1);
	fill(name, 300, 'a');
	assert_int_equal(resolver_lookup(f->r, name, 1), -1);
	fill(label64, 64, 'x');
	snprintf(name, sizeof(name), "%s.example.net", label64);
	assert_int_equal(resolver_lookup(f->r, name, 1), -1);
	long_name(name, 62);	/* 254 bytes */
	assert_int_equal(resolver_lookup(f->r, name, 1), -1);
	long_name(name, 61);
	strcat(name, "..");	/* 255 bytes ending in two dots */
	assert_int_equal(resolver_lookup(f->r, name, 1), -1);
	st = stats(f);
	assert_int_equal(st.invalid_names, sizeof(bad) / sizeof(bad[0]) + 5);
	assert_int_equal(st.asked, 0);
	assert_int_equal(st.skipped_recent, 0);
	assert_int_equal(st.refused_busy, 0);
	run_ms(f, 20);
	assert_int_equal(f->rs.nqueries, 0);
}

/* The edges that are host names: asked, and seen on the wire as such. */
static void
test_valid_edge_names(void **state)
{
	struct fixture *f = *state;
	char n253[300], n254dot[300], label63[64], n63[100];
	struct resolver_stats st;

	f->opts.max_inflight = 8;
	new_resolver(f);
	long_name(n253, 61);	/* 253 bytes */
	assert_int_equal(strlen(n253), 253);
	assert_int_equal(resolver_lookup(f->r, n253, 1), 0);
	long_name(n254dot, 60);
	n254dot[0] = 'c';	/* another name, 253 bytes + '.' */
	strcat(n254dot, "b.");
	assert_int_equal(strlen(n254dot), 254);
	assert_int_equal(resolver_lookup(f->r, n254dot, 1), 0);
	fill(label63, 63, 'x');
	snprintf(n63, sizeof(n63), "%s.example.net", label63);
	assert_int_equal(resolver_lookup(f->r, n63, 1), 0);
	assert_int_equal(resolver_lookup(f->r, "_dmarc.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "xn--bcher-kva.example", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "1.2.3.example", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "localhost", 1), 0);
	run_until_done(f, 7, 2000);
	st = stats(f);
	assert_int_equal(st.invalid_names, 0);
	assert_int_equal(st.asked, 7);
	assert_int_equal(st.failed, 7);
	assert_int_equal(f->rs.nqueries, 7);
	assert_string_equal(f->rs.queries[0].name, n253);
	n254dot[253] = '\0';
	assert_string_equal(f->rs.queries[1].name, n254dot);
	assert_string_equal(f->rs.queries[2].name, n63);
	assert_string_equal(f->rs.queries[6].name, "localhost");
}

/* fn may ask for another name from inside the callback. */
static void
test_lookup_from_fn(void **state)
{
	struct fixture *f = *state;

	new_resolver(f);
	f->chain_name = "v6only.example.net";
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	run_until_done(f, 2, 2000);
	assert_int_equal(f->chain_rc, 0);
	assert_int_equal(f->nanswers, 2);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	assert_answer(f, 1, "v6only.example.net", "2001:db8::7", 120);
}

/* Requests in flight are dropped: no callback, no access after the free. */
static void
test_free_with_inflight(void **state)
{
	struct fixture *f = *state;

	new_resolver(f);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "slow2.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "v6only.example.net", 1), 0);
	resolver_free(f->r);
	f->r = NULL;
	run_ms(f, 400);	/* past the 200 ms timeout */
	assert_int_equal(f->nanswers, 0);
	assert_int_equal(f->rs.nqueries, 4);
}

/*
 * Two answers read by evdns in one go, so both callbacks are queued; fn
 * frees the resolver on the first: the second must be dropped without
 * touching the freed resolver (ASan would report it).
 */
static void
test_free_in_fn_with_answer_queued(void **state)
{
	struct fixture *f = *state;

	new_resolver(f);
	f->free_in_fn = true;
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "second.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 1), 0);
	run_ms(f, 400);
	assert_null(f->r);
	assert_int_equal(f->nanswers, 1);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	assert_int_equal(f->rs.nqueries, 3);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
test_resolv_conf(void **state)
{
	struct fixture *f = *state;
	char text[256];

	snprintf(text, sizeof(text), "# exfild test\nsearch example.net\n"
	    "nameserver %s\noptions timeout:30 attempts:5\n", f->nameserver);
	write_file(f->path, text);
	f->opts.nameserver = NULL;
	f->opts.resolv_conf = f->path;
	new_resolver(f);
	/* no search domain appended: asked as is */
	assert_int_equal(resolver_lookup(f->r, "hk-files", 1), 0);
	/* opts override the file's timeout: 200 ms, not 30 s */
	assert_int_equal(resolver_lookup(f->r, "slow.example.net", 1), 0);
	assert_int_equal(resolver_lookup(f->r, "hk-files.example.net", 1), 0);
	run_until_done(f, 3, 3000);
	assert_int_equal(f->nanswers, 1);
	assert_answer(f, 0, "hk-files.example.net", "203.0.113.7", 300);
	assert_query(f, 0, TYPE_A, "hk-files");
	assert_int_equal(stats(f).failed, 2);
	assert_int_equal(f->rs.nqueries, 3);
}

static void
assert_new_fails(struct fixture *f, const char *want)
{
	char err[256] = "";

	f->r = resolver_new(f->base, &f->opts, on_answer, f, err, sizeof(err));
	assert_null(f->r);
	assert_string_equal(err, want);
}

static void
test_new_errors(void **state)
{
	struct fixture *f = *state;
	struct resolver_opts good = f->opts;
	char want[256];

	f->opts.nameserver = "not-an-ip";
	assert_new_fails(f, "resolver: nameserver \"not-an-ip\": not an "
	    "address or address:port");
	f->opts.nameserver = "bad\x01ns";
	assert_new_fails(f, "resolver: nameserver \"bad\\x01ns\": not an "
	    "address or address:port");
	f->opts.nameserver = "127.0.0.1:99999";
	assert_new_fails(f, "resolver: nameserver \"127.0.0.1:99999\": not an "
	    "address or address:port");

	f->opts.nameserver = NULL;
	f->opts.resolv_conf = "/nonexistent/exfild-resolv.conf";
	assert_new_fails(f, "resolver: /nonexistent/exfild-resolv.conf: "
	    "cannot open");
	write_file(f->path, "search example.net\noptions ndots:2\n");
	f->opts.resolv_conf = f->path;
	snprintf(want, sizeof(want), "resolver: %s: no nameserver line",
	    f->path);
	assert_new_fails(f, want);
	write_file(f->path, "nameserver bogus\n");
	assert_new_fails(f, want);

	f->opts = good;
	f->opts.max_inflight = 1025;
	assert_new_fails(f, "resolver: max_inflight 1025 out of range 1..1024");
	f->opts = good;
	f->opts.recent_slots = RESOLVER_MAX_RECENT_SLOTS + 1;
	assert_new_fails(f, "resolver: recent_slots 1048577 out of range "
	    "1..1048576");
	f->opts = good;
	f->opts.timeout_ms = 60001;
	assert_new_fails(f, "resolver: timeout_ms 60001 out of range 1..60000");
	f->opts = good;
	f->opts.attempts = 11;
	assert_new_fails(f, "resolver: attempts 11 out of range 1..10");

	/* the limits themselves are accepted; zeroes take the defaults */
	f->opts = good;
	f->opts.max_inflight = RESOLVER_MAX_INFLIGHT;
	f->opts.timeout_ms = 1;
	f->opts.attempts = RESOLVER_MAX_ATTEMPTS;
	new_resolver(f);
	resolver_free(f->r);
	memset(&f->opts, 0, sizeof(f->opts));
	f->opts.nameserver = "[::1]:53";
	new_resolver(f);
	resolver_free(f->r);
	f->r = NULL;
	resolver_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer_a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_normalised_name,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_aaaa_when_no_a, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failures_counted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_servfail_counted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_recent_and_inflight,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_inflight_after_retry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_table_bounded,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_invalid_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_valid_edge_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookup_from_fn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_with_inflight, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_free_in_fn_with_answer_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolv_conf, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_new_errors, setup,
		    teardown),
	};

	log_init("test_resolver", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
