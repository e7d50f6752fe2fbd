/*
 * test_netaddr.c - address parsing and formatting, prefixes, sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_set_and_compare),
	};
	return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
