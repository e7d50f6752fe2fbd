/*
 * test_netaddr.c - address parsing and formatting, prefixes, sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "exfild/util/netaddr.h"

static void
test_parse_format(void **state)
{
	struct netaddr a;
	char buf[NETADDR_STRLEN];

	(void)state;
	assert_int_equal(netaddr_parse("203.0.113.66", &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.a[10], 0xff);
	assert_int_equal(a.a[15], 66);
	netaddr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "203.0.113.66");
	assert_int_equal(netaddr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, 6);
	netaddr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1");
	assert_int_equal(netaddr_parse("300.1.1.1", &a), -1);
	assert_int_equal(netaddr_parse("", &a), -1);
	assert_int_equal(netaddr_parse("1.2.3.4 ", &a), -1);
	assert_int_equal(netaddr_parse_n("10.0.0.1xyz", 8, &a), 0);
	netaddr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.1");
}

static void
test_prefixes(void **state)
{
	struct netprefix p;
	struct netaddr a;

	(void)state;
	assert_int_equal(netprefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(p.len, 8);
	netaddr_parse("10.255.1.2", &a);
	assert_true(netprefix_contains(&p, &a));
	netaddr_parse("11.0.0.1", &a);
	assert_false(netprefix_contains(&p, &a));
	assert_int_equal(netprefix_parse("172.16.0.0/12", &p), 0);
	netaddr_parse("172.31.255.255", &a);
	assert_true(netprefix_contains(&p, &a));
	netaddr_parse("172.32.0.0", &a);
	assert_false(netprefix_contains(&p, &a));
	assert_int_equal(netprefix_parse("fc00::/7", &p), 0);
	netaddr_parse("fd00::77:2", &a);
	assert_true(netprefix_contains(&p, &a));
	netaddr_parse("10.0.0.1", &a); /* other family never matches */
	assert_false(netprefix_contains(&p, &a));
	assert_int_equal(netprefix_parse("10.1.2.3/16", &p), 0); /* masked */
	assert_int_equal(p.addr.a[14], 0);
	assert_int_equal(netprefix_parse("0.0.0.0/0", &p), 0);
	assert_true(netprefix_contains(&p, &a));
	assert_int_equal(netprefix_parse("10.0.0.0/33", &p), -1);
	assert_int_equal(netprefix_parse("10.0.0.0/", &p), -1);
	assert_int_equal(netprefix_parse("10.0.0.0/8x", &p), -1);
	assert_int_equal(netprefix_parse("::/129", &p), -1);
	assert_int_equal(netprefix_parse("1.2.3.4", &p), 0);
	assert_int_equal(p.len, 32);
}

static void
test_set_and_compare(void **state)
{
	struct netset s = { NULL, 0 };
	struct netprefix p;
	struct netaddr a, b;

	(void)state;
	netprefix_parse("192.168.0.0/16", &p);
	netset_add(&s, &p);
	netprefix_parse("2001:db8::/32", &p);
	netset_add(&s, &p);
	netaddr_parse("192.168.7.7", &a);
	assert_true(netset_contains(&s, &a));
	netaddr_parse("2001:db9::1", &a);
	assert_false(netset_contains(&s, &a));
	netset_free(&s);
	assert_int_equal(s.n, 0);
	netaddr_parse("10.0.0.1", &a);
	netaddr_parse("10.0.0.2", &b);
	assert_true(netaddr_cmp(&a, &b) < 0);
	assert_false(netaddr_eq(&a, &b));
	netaddr_parse("::1", &b);
	assert_true(netaddr_cmp(&a, &b) < 0); /* IPv4 sorts before IPv6 */
}

/* ---- host[:port] ---- */

#define NAME NETADDR_HP_NAME
#define PORT NETADDR_HP_PORT
#define ZERO NETADDR_HP_PORT_ZERO

static const struct hp_case {
	const char *s;
	unsigned flags;
	enum netaddr_hp_err want;
	const char *host;	/* on success */
	int family;
	uint16_t port;
	bool has_port;
} hp_cases[] = {
	{ "192.0.2.1", 0, NETADDR_HP_OK, "192.0.2.1", 4, 0, false },
	{ "192.0.2.1:514", 0, NETADDR_HP_OK, "192.0.2.1", 4, 514, true },
	{ "192.0.2.1:1", PORT, NETADDR_HP_OK, "192.0.2.1", 4, 1, true },
	{ "192.0.2.1:65535", PORT, NETADDR_HP_OK, "192.0.2.1", 4, 65535, true },
	{ "192.0.2.1:00080", PORT, NETADDR_HP_OK, "192.0.2.1", 4, 80, true },
	{ "[::1]:514", PORT, NETADDR_HP_OK, "::1", 6, 514, true },
	{ "[2001:db8::1]", 0, NETADDR_HP_OK, "2001:db8::1", 6, 0, false },
	{ "[::ffff:10.0.0.1]:1", 0, NETADDR_HP_OK, "::ffff:10.0.0.1", 6, 1,
	    true },
	{ "127.0.0.1:0", PORT | ZERO, NETADDR_HP_OK, "127.0.0.1", 4, 0, true },
	{ "[::]:0", ZERO, NETADDR_HP_OK, "::", 6, 0, true },
	{ "Siem.Example.COM:6514", NAME, NETADDR_HP_OK, "Siem.Example.COM", 0,
	    6514, true },
	{ "a", NAME, NETADDR_HP_OK, "a", 0, 0, false },
	{ "300.1.1.1", NAME, NETADDR_HP_OK, "300.1.1.1", 0, 0, false },
	/* refused, each for the first reason that applies */
	{ "", NAME, NETADDR_HP_EMPTY, NULL, 0, 0, false },
	{ NULL, 0, NETADDR_HP_EMPTY, NULL, 0, 0, false },
	{ "[::1", 0, NETADDR_HP_NO_BRACKET, NULL, 0, 0, false },
	{ "[", 0, NETADDR_HP_NO_BRACKET, NULL, 0, 0, false },
	{ "[::1]9477", 0, NETADDR_HP_AFTER_BRACKET, NULL, 0, 0, false },
	{ "[::1]]:1", 0, NETADDR_HP_AFTER_BRACKET, NULL, 0, 0, false },
	{ "::1", NAME, NETADDR_HP_NEED_BRACKETS, NULL, 0, 0, false },
	{ "::1:9477", 0, NETADDR_HP_NEED_BRACKETS, NULL, 0, 0, false },
	{ "1.2.3.4:5:6", 0, NETADDR_HP_NEED_BRACKETS, NULL, 0, 0, false },
	{ "192.0.2.1", PORT, NETADDR_HP_NO_PORT, NULL, 0, 0, false },
	{ "[::1]", PORT, NETADDR_HP_NO_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:", 0, NETADDR_HP_EMPTY_PORT, NULL, 0, 0, false },
	{ "[::1]:", 0, NETADDR_HP_EMPTY_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:0", PORT, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:65536", ZERO, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:000080", 0, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:+80", 0, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "192.0.2.1: 80", 0, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "192.0.2.1:8x", 0, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "name:x", NAME, NETADDR_HP_BAD_PORT, NULL, 0, 0, false },
	{ "[10.0.0.1]:5", 0, NETADDR_HP_BAD_V6, NULL, 0, 0, false },
	{ "[]:80", NAME, NETADDR_HP_BAD_V6, NULL, 0, 0, false },
	{ "[::1%lo]:80", 0, NETADDR_HP_BAD_V6, NULL, 0, 0, false },
	{ "[host]:80", NAME, NETADDR_HP_BAD_V6, NULL, 0, 0, false },
	{ ":80", NAME, NETADDR_HP_NO_HOST, NULL, 0, 0, false },
	{ "localhost:80", 0, NETADDR_HP_BAD_HOST, NULL, 0, 0, false },
	{ "127.1:80", 0, NETADDR_HP_BAD_HOST, NULL, 0, 0, false },
	{ " 127.0.0.1", 0, NETADDR_HP_BAD_HOST, NULL, 0, 0, false },
};

static void
test_hostport_cases(void **state)
{
	const struct hp_case *k;
	struct netaddr_hostport hp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hp_cases) / sizeof(hp_cases[0]); i++) {
		k = &hp_cases[i];
		assert_int_equal(netaddr_hostport_parse(k->s,
		    k->s != NULL ? strlen(k->s) : 0, k->flags, &hp), k->want);
		if (k->want != NETADDR_HP_OK)
			continue;
		assert_string_equal(hp.host, k->host);
		assert_int_equal(hp.addr.family, k->family);
		assert_int_equal(hp.port, k->port);
		assert_int_equal(hp.has_port, k->has_port);
	}
}

/* Only the n bytes given are read; hosts that do not fit are refused. */
static void
test_hostport_bounds(void **state)
{
	struct netaddr_hostport hp;
	char name[NETADDR_HOST_MAX + 8];

	(void)state;
	assert_int_equal(netaddr_hostport_parse("10.0.0.1:80", 8, PORT, &hp),
	    NETADDR_HP_NO_PORT);
	assert_int_equal(netaddr_hostport_parse("10.0.0.1:80", 9, 0, &hp),
	    NETADDR_HP_EMPTY_PORT);
	assert_int_equal(netaddr_hostport_parse("10.0.0.1:80", 10, 0, &hp),
	    NETADDR_HP_OK);
	assert_int_equal(hp.port, 8);
	assert_int_equal(netaddr_hostport_parse("[::1]:80", 4, 0, &hp),
	    NETADDR_HP_NO_BRACKET);
	assert_int_equal(netaddr_hostport_parse("a\0b:1", 5, NAME, &hp),
	    NETADDR_HP_BAD_HOST);
	memset(name, 'a', sizeof(name));
	assert_int_equal(netaddr_hostport_parse(name, NETADDR_HOST_MAX - 1,
	    NAME, &hp), NETADDR_HP_OK);
	assert_int_equal(strlen(hp.host), NETADDR_HOST_MAX - 1);
	assert_int_equal(netaddr_hostport_parse(name, NETADDR_HOST_MAX, NAME,
	    &hp), NETADDR_HP_BAD_HOST);
}

static void
test_to_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct netaddr a;
	socklen_t len;

	(void)state;
	assert_int_equal(netaddr_parse("192.0.2.7", &a), 0);
	netaddr_to_sockaddr(&a, 514, &ss, &len);
	assert_int_equal(len, sizeof(sin));
	memcpy(&sin, &ss, sizeof(sin));
	assert_int_equal(sin.sin_family, AF_INET);
	assert_int_equal(ntohs(sin.sin_port), 514);
	assert_int_equal(ntohl(sin.sin_addr.s_addr), 0xc0000207);
	assert_int_equal(netaddr_parse("::1", &a), 0);
	netaddr_to_sockaddr(&a, 9477, &ss, &len);
	assert_int_equal(len, sizeof(sin6));
	memcpy(&sin6, &ss, sizeof(sin6));
	assert_int_equal(sin6.sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6.sin6_port), 9477);
	assert_true(IN6_IS_ADDR_LOOPBACK(&sin6.sin6_addr));
}

/* Multicast, broadcast, link-local and unspecified are never
 * destinations; their neighbours are (the positive controls). */
static void
test_never_destination(void **state)
{
	static const char *const never[] = {
		"239.255.255.250", "224.0.0.252", "224.0.0.0", "255.255.255.255",
		"169.254.0.1", "169.254.255.255", "0.0.0.0", "ff02::fb", "ff0e::1",
		"fe80::1", "febf:ffff::1", "::",
	};
	static const char *const ordinary[] = {
		"223.255.255.255", "240.0.0.1", "255.255.255.254", "169.253.1.1",
		"169.255.0.1", "0.0.0.1", "203.0.113.66", "192.168.1.255",
		"fec0::1", "fe7f::1", "fe00::1", "::1", "2001:db8::1",
	};
	struct netaddr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		assert_int_equal(netaddr_parse(never[i], &a), 0);
		if (!netaddr_is_never_destination(&a))
			fail_msg("%s should never be a destination", never[i]);
	}
	for (i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++) {
		assert_int_equal(netaddr_parse(ordinary[i], &a), 0);
		if (netaddr_is_never_destination(&a))
			fail_msg("%s is a destination like any", ordinary[i]);
	}
	memset(&a, 0, sizeof(a));
	assert_false(netaddr_is_never_destination(&a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_set_and_compare),
		cmocka_unit_test(test_hostport_cases),
		cmocka_unit_test(test_hostport_bounds),
		cmocka_unit_test(test_to_sockaddr),
		cmocka_unit_test(test_never_destination),
	};
	return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
