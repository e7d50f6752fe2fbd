/*
 * test_proto_dns.c - DNS response reader: A, AAAA, CNAME chains, name
 * compression (backwards, loops, forward pointers), hostile names, limits,
 * and every truncation of each message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/proto/proto_dns.h"

#define MSG_MAX 4096
#define MAX_SEEN 64

struct msg {
	uint8_t b[MSG_MAX];
	size_t n;
};

struct seen {
	char name[DNS_NAME_MAX];
	char addr[NETADDR_STRLEN];
	uint32_t ttl;
};

static struct seen seen[MAX_SEEN];
static int nseen;

static void
on_answer(void *ctx, const char *name, const struct netaddr *addr,
    uint32_t ttl)
{
	(void)ctx;
	assert_true(nseen < MAX_SEEN);
	assert_true(strlen(name) < DNS_NAME_MAX);
	snprintf(seen[nseen].name, sizeof(seen[nseen].name), "%s", name);
	netaddr_format(addr, seen[nseen].addr, sizeof(seen[nseen].addr));
	seen[nseen].ttl = ttl;
	nseen++;
}

static enum dns_result
parse(const struct msg *m)
{
	nseen = 0;
	return dns_parse_response(m->b, m->n, on_answer, NULL);
}

static void
assert_seen(int i, const char *name, const char *addr, uint32_t ttl)
{
	assert_true(i < nseen);
	assert_string_equal(seen[i].name, name);
	assert_string_equal(seen[i].addr, addr);
	assert_int_equal(seen[i].ttl, ttl);
}

static void
put8(struct msg *m, unsigned v)
{
	assert_true(m->n < MSG_MAX);
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
put(struct msg *m, const void *p, size_t n)
{
	assert_true(n <= MSG_MAX - m->n);
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Labels of a dotted name, without the terminating zero. */
static void
put_labels(struct msg *m, const char *name)
{
	const char *dot;
	size_t n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(m, (unsigned)n);
		put(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
}

static size_t
put_name(struct msg *m, const char *name)
{
	size_t at = m->n;

	put_labels(m, name);
	put8(m, 0);
	return at;
}

static void
put_ptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned)off);
}

static void
header(struct msg *m, unsigned flags, unsigned qd, unsigned an)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* Record fields after the owner name; rdlength then rdata follow. */
static void
rr_fixed(struct msg *m, unsigned type, unsigned klass, uint32_t ttl)
{
	put16(m, type);
	put16(m, klass);
	put32(m, ttl);
}

static void
rr_a(struct msg *m, const uint8_t v4[4], uint32_t ttl)
{
	rr_fixed(m, 1, 1, ttl);
	put16(m, 4);
	put(m, v4, 4);
}

static const uint8_t ip1[4] = { 1, 2, 3, 4 };
static const uint8_t ip2[4] = { 5, 6, 7, 8 };
static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 1 };

/* Every proper prefix is malformed and reports nothing; the whole is ok. */
static void
assert_truncations(const struct msg *m, int whole_seen)
{
	struct msg cut;
	size_t k;

	for (k = 0; k < m->n; k++) {
		memset(&cut, 0, sizeof(cut));
		memcpy(cut.b, m->b, k);
		cut.n = k;
		assert_int_equal(parse(&cut), DNS_MALFORMED);
		assert_int_equal(nseen, 0);
	}
	assert_int_equal(parse(m), DNS_OK);
	assert_int_equal(nseen, whole_seen);
}

static void
test_a_record(void **state)
{
	struct msg m;
	size_t q;

	(void)state;
	header(&m, 0x8180, 1, 1);
	q = put_name(&m, "WWW.Example.COM");
	put16(&m, 1);
	put16(&m, 1);
	put_ptr(&m, q);
	rr_a(&m, (const uint8_t[]){ 93, 184, 216, 34 }, 300);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 1);
	assert_seen(0, "www.example.com", "93.184.216.34", 300);
	assert_truncations(&m, 1);
	/* No callback function is fine too. */
	assert_int_equal(dns_parse_response(m.b, m.n, NULL, NULL), DNS_OK);
}

static void
test_aaaa_record(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0x8180, 1, 1);
	put_name(&m, "v6.example");
	put16(&m, 28);
	put16(&m, 1);
	put_name(&m, "v6.example");		/* uncompressed owner */
	rr_fixed(&m, 28, 1, 60);
	put16(&m, 16);
	put(&m, ip6, 16);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 1);
	assert_seen(0, "v6.example", "2001:db8::1", 60);
	assert_truncations(&m, 1);
}

/*
 * www.x.com CNAME a.cdn.net, a.cdn.net CNAME b.edge.net, two A records for
 * b.edge.net; names compressed into the question and into earlier RDATA.
 */
static void
build_chain(struct msg *m)
{
	size_t q, t1, t2;

	header(m, 0x8180, 1, 4);
	q = put_name(m, "www.x.com");
	put16(m, 1);
	put16(m, 1);
	put_ptr(m, q);
	rr_fixed(m, 5, 1, 3600);
	put16(m, 11);
	t1 = m->n;
	put_labels(m, "a.cdn.net");
	put8(m, 0);
	put_ptr(m, t1);
	rr_fixed(m, 5, 1, 120);
	put16(m, 9);
	t2 = m->n;
	put_labels(m, "b.edge");
	put_ptr(m, t1 + 6);			/* "net" inside a.cdn.net */
	put_ptr(m, t2);
	rr_a(m, ip1, 600);
	put_ptr(m, t2);
	rr_a(m, ip2, 30);
}

static void
test_cname_chain(void **state)
{
	struct msg m;

	(void)state;
	build_chain(&m);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 6);
	assert_seen(0, "b.edge.net", "1.2.3.4", 600);
	assert_seen(1, "a.cdn.net", "1.2.3.4", 120);
	assert_seen(2, "www.x.com", "1.2.3.4", 120);
	assert_seen(3, "b.edge.net", "5.6.7.8", 30);
	assert_seen(4, "a.cdn.net", "5.6.7.8", 30);
	assert_seen(5, "www.x.com", "5.6.7.8", 30);
	assert_truncations(&m, 6);
}

/* The brief's example, and CNAMEs listed after the address. */
static void
test_cname_order(void **state)
{
	struct msg m;
	size_t a;

	(void)state;
	header(&m, 0x8180, 1, 2);
	put_name(&m, "www.x.com");
	put16(&m, 1);
	put16(&m, 1);
	a = put_name(&m, "a.cdn.net");
	rr_a(&m, ip1, 50);
	put_name(&m, "www.x.com");
	rr_fixed(&m, 5, 1, 100);
	put16(&m, 2);
	put_ptr(&m, a);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 2);
	assert_seen(0, "a.cdn.net", "1.2.3.4", 50);
	assert_seen(1, "www.x.com", "1.2.3.4", 50);
	assert_truncations(&m, 2);
}

static void
test_cname_loop_and_limits(void **state)
{
	struct msg m;
	char name[32];
	int i;

	(void)state;
	/* a CNAME b, b CNAME a, A a: each CNAME used once per address */
	header(&m, 0x8180, 0, 3);
	put_name(&m, "a.example");
	rr_fixed(&m, 5, 1, 10);
	put16(&m, 11);
	put_name(&m, "b.example");
	put_name(&m, "b.example");
	rr_fixed(&m, 5, 1, 10);
	put16(&m, 11);
	put_name(&m, "a.example");
	put_name(&m, "a.example");
	rr_a(&m, ip1, 10);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 3);
	assert_seen(0, "a.example", "1.2.3.4", 10);
	assert_seen(1, "b.example", "1.2.3.4", 10);
	assert_seen(2, "a.example", "1.2.3.4", 10);

	/* 40 A records: the first 32 are reported, all are checked. */
	header(&m, 0x8180, 0, 40);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		put_name(&m, name);
		rr_a(&m, ip2, (uint32_t)i);
	}
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 32);
	assert_seen(31, "h31.example", "5.6.7.8", 31);
	m.b[m.n - 5] = 3;	/* the 40th A record's rdlength: 3 */
	m.n--;
	assert_int_equal(parse(&m), DNS_MALFORMED);

	/* A chain of 10 CNAMEs: only 8 are kept, so this chain is lost. */
	header(&m, 0x8180, 0, 11);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "c%d.example", i);
		put_name(&m, name);
		rr_fixed(&m, 5, 1, 10);
		snprintf(name, sizeof(name), "c%d.example", i + 1);
		put16(&m, (unsigned)strlen(name) + 2);
		put_name(&m, name);
	}
	put_name(&m, "c10.example");
	rr_a(&m, ip1, 10);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 1);
	assert_seen(0, "c10.example", "1.2.3.4", 10);
}

static void
test_pointer_loops(void **state)
{
	struct msg m;
	size_t at, y;

	(void)state;
	/* A name that points at itself. */
	header(&m, 0x8180, 0, 1);
	at = m.n;
	put_ptr(&m, at);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	assert_int_equal(nseen, 0);

	/* Labels then a pointer back to their own start. */
	header(&m, 0x8180, 0, 1);
	at = m.n;
	put_labels(&m, "loop");
	put_ptr(&m, at);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);

	/* Two pointers pointing at each other: y -> x (back), x -> y. */
	header(&m, 0x8180, 1, 1);
	y = m.n;
	put_labels(&m, "q");
	put_ptr(&m, y + 8);			/* forward, into the answer */
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(m.n, y + 8);
	put_labels(&m, "w");
	put_ptr(&m, y);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);

	/* A forward pointer in an answer name. */
	header(&m, 0x8180, 0, 1);
	put_ptr(&m, m.n + 2);
	put_name(&m, "fwd.example");
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);

	/* Pointer past the end of the message. */
	header(&m, 0x8180, 0, 1);
	put_ptr(&m, 0x3fff);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);

	/* A pointer to a pointer (both backwards) is fine. */
	header(&m, 0x8180, 1, 2);
	at = put_name(&m, "deep.example");
	put16(&m, 1);
	put16(&m, 1);
	y = m.n;
	put_labels(&m, "x");
	put_ptr(&m, at);
	rr_a(&m, ip1, 7);
	put_labels(&m, "y");
	put_ptr(&m, y);
	rr_a(&m, ip2, 8);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 2);
	assert_seen(0, "x.deep.example", "1.2.3.4", 7);
	assert_seen(1, "y.x.deep.example", "5.6.7.8", 8);
	assert_truncations(&m, 2);
}

static void
test_not_response_and_rcode(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0x0100, 1, 0);		/* a query */
	put_name(&m, "q.example");
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m), DNS_NOT_RESPONSE);
	/* NXDOMAIN with an answer: nothing reported */
	header(&m, 0x8183, 0, 1);
	put_name(&m, "nx.example");
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 0);
	/* opcode 2 (STATUS) */
	header(&m, 0x9000, 0, 1);
	put_name(&m, "st.example");
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 0);
	/* short header */
	m.n = 11;
	assert_int_equal(parse(&m), DNS_MALFORMED);
	assert_int_equal(dns_parse_response(NULL, 0, on_answer, NULL),
	    DNS_MALFORMED);
}

static void
test_hostile_names(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0x8180, 0, 6);
	/* a label holding a dot: "a.b" as one label */
	put8(&m, 3);
	put(&m, "a.b", 3);
	put_name(&m, "example");
	rr_a(&m, ip1, 1);
	/* a space, a NUL, a high byte */
	put8(&m, 3);
	put(&m, "a b", 3);
	put8(&m, 0);
	rr_a(&m, ip1, 2);
	put8(&m, 3);
	put(&m, "a\0b", 3);
	put8(&m, 0);
	rr_a(&m, ip1, 3);
	put8(&m, 2);
	put(&m, "\xc3\xa9", 2);
	put8(&m, 0);
	rr_a(&m, ip1, 4);
	/* the root name */
	put8(&m, 0);
	rr_a(&m, ip1, 5);
	/* allowed: '_', '*', '-', digits, upper case */
	put_name(&m, "*._Srv-1.EXAMPLE");
	rr_a(&m, ip2, 6);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 1);
	assert_seen(0, "*._srv-1.example", "5.6.7.8", 6);
}

static void
test_name_limits(void **state)
{
	struct msg m;
	char name[300];
	int i;

	(void)state;
	/* 0x40 label type (extended label, RFC 6891) */
	header(&m, 0x8180, 0, 1);
	put8(&m, 0x41);
	put(&m, "x", 1);
	put8(&m, 0);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	/* 63-byte labels: 4 of them make 257 bytes on the wire (too long),
	 * 3 of them and a 61-byte one make exactly 255. */
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'a' + i, 63);
		name[i * 64 + 63] = '.';
	}
	name[4 * 64 - 1] = '\0';
	header(&m, 0x8180, 0, 1);
	put_name(&m, name);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	name[3 * 64 + 61] = '\0';
	header(&m, 0x8180, 0, 1);
	assert_int_equal(put_name(&m, name), 12);
	assert_int_equal(m.n, 12 + 255);
	rr_a(&m, ip1, 1);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 1);
	assert_int_equal(strlen(seen[0].name), 253);
	assert_string_equal(seen[0].name, name);
}

static void
test_bad_rdata(void **state)
{
	struct msg m;

	(void)state;
	/* A with 5 bytes of RDATA */
	header(&m, 0x8180, 0, 1);
	put_name(&m, "a.example");
	rr_fixed(&m, 1, 1, 1);
	put16(&m, 5);
	put(&m, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	/* AAAA with 4 bytes */
	header(&m, 0x8180, 0, 1);
	put_name(&m, "a.example");
	rr_fixed(&m, 28, 1, 1);
	put16(&m, 4);
	put(&m, ip1, 4);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	/* CNAME whose name ends before its RDATA does */
	header(&m, 0x8180, 0, 1);
	put_name(&m, "a.example");
	rr_fixed(&m, 5, 1, 1);
	put16(&m, 12);
	put_name(&m, "b.example");
	put8(&m, 0);
	assert_int_equal(parse(&m), DNS_MALFORMED);
	/* CNAME whose name runs past its RDATA */
	header(&m, 0x8180, 0, 2);
	put_name(&m, "a.example");
	rr_fixed(&m, 5, 1, 1);
	put16(&m, 4);
	put_name(&m, "b.example");
	assert_int_equal(parse(&m), DNS_MALFORMED);
	/* Class CH and other types are skipped; a TTL with the top bit set
	 * counts as 0 (RFC 2181 8). */
	header(&m, 0x8180, 0, 4);
	put_name(&m, "ch.example");
	rr_fixed(&m, 1, 3, 1);
	put16(&m, 4);
	put(&m, ip1, 4);
	put_name(&m, "mx.example");
	rr_fixed(&m, 15, 1, 1);
	put16(&m, 3);
	put(&m, "\x00\x0a\x00", 3);
	put_name(&m, "ok.example");
	rr_a(&m, ip2, 0x80000000u);
	put_name(&m, "ok2.example");
	rr_a(&m, ip1, 0x7fffffffu);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(nseen, 2);
	assert_seen(0, "ok.example", "5.6.7.8", 0);
	assert_seen(1, "ok2.example", "1.2.3.4", 0x7fffffffu);
	assert_truncations(&m, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_record),
		cmocka_unit_test(test_aaaa_record),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_order),
		cmocka_unit_test(test_cname_loop_and_limits),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_not_response_and_rcode),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_bad_rdata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
