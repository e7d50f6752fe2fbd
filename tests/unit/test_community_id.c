/*
 * test_community_id.c - Community ID v1 against the reference
 * implementation's published baseline (corelight/community-id-spec,
 * baseline/baseline_deflt.json for seed 0, baseline_seed1.json for seed 1):
 * the TCP, UDP and SCTP flows (IPv4 and IPv6) in both directions, SCTP's
 * equal ports (the ordering's tie rule), and RSVP (protocol 46, no ports).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/util/community_id.h"

struct vector {
	uint8_t proto;
	const char *saddr, *daddr;
	uint16_t sport, dport;
	const char *seed0, *seed1;
};

static const struct vector vectors[] = {
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855,
	    "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
	    63943, 25,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
	    25, 63943,
	    "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585,
	    "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 132, "192.168.170.56", "192.168.170.8", 7, 7,
	    "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 46, "10.1.12.1", "10.1.12.2", 0, 0,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
	{ 46, "10.1.12.2", "10.1.12.1", 0, 0,
	    "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

static void
test_baseline(void **state)
{
	struct netaddr s, d;
	char id[COMMUNITY_ID_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];

		assert_int_equal(netaddr_parse(v->saddr, &s), 0);
		assert_int_equal(netaddr_parse(v->daddr, &d), 0);
		assert_int_equal(community_id(0, &s, &d, v->proto, v->sport,
		    v->dport, id), 0);
		assert_string_equal(id, v->seed0);
		assert_int_equal(community_id(1, &s, &d, v->proto, v->sport,
		    v->dport, id), 0);
		assert_string_equal(id, v->seed1);
	}
}

/* Ports are hashed for TCP: another source port, another id (the
 * positive control of the vectors above agreeing in both directions). */
static void
test_ports_matter(void **state)
{
	struct netaddr s, d;
	char id[COMMUNITY_ID_LEN];

	(void)state;
	assert_int_equal(netaddr_parse("128.232.110.120", &s), 0);
	assert_int_equal(netaddr_parse("66.35.250.204", &d), 0);
	assert_int_equal(community_id(0, &s, &d, 6, 34856, 80, id), 0);
	assert_string_not_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	assert_int_equal(strlen(id), COMMUNITY_ID_LEN - 1);
	/* the protocol is hashed too */
	assert_int_equal(community_id(0, &s, &d, 17, 34855, 80, id), 0);
	assert_string_not_equal(id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
}

static void
test_mixed_families(void **state)
{
	struct netaddr s, d, none;
	char id[COMMUNITY_ID_LEN];

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(netaddr_parse("192.0.2.1", &s), 0);
	assert_int_equal(netaddr_parse("2001:db8::1", &d), 0);
	assert_int_equal(community_id(0, &s, &d, 6, 1, 2, id), -1);
	assert_string_equal(id, "");
	assert_int_equal(community_id(0, &none, &none, 6, 1, 2, id), -1);
	assert_string_equal(id, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline),
		cmocka_unit_test(test_ports_matter),
		cmocka_unit_test(test_mixed_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
