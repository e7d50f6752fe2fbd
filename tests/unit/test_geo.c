/*
 * test_geo.c - geo CSV loading and longest-prefix lookups: IPv4 and IPv6,
 * nested prefixes, /0 and host routes, overrides, exact error messages,
 * CRLF and comments, truncation at every byte, a 300k-line file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_files.h"

#include "exfild/enrich/geo.h"
#include "exfild/util/util.h"

struct fixture {
	char dir[64];
	char path[128];
	char path2[128];
	struct geo *g;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/exfild-test-geo-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/geo.csv", f->dir);
	snprintf(f->path2, sizeof(f->path2), "%s/geo2.csv", f->dir);
	f->g = geo_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	unlink(f->path2);
	rmdir(f->dir);
	geo_free(f->g);
	free(f);
	return 0;
}

/* The country of addr as a 2-letter string ("??" when unknown). */
static const char *
cc_of(const struct geo *g, const char *addr)
{
	static char out[3];
	struct netaddr a;

	if (netaddr_parse(addr, &a) != 0)
		fail_msg("bad test address %s", addr);
	country_format(geo_lookup(g, &a), out);
	return out;
}

static int
load(struct fixture *f, const char *text, char *err, size_t errlen)
{
	write_text(f->path, text);
	err[0] = '\0';
	return geo_load_csv(f->g, f->path, err, errlen);
}

static void
test_v4_nested(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "10.0.0.0/8,US\n10.1.0.0/16,JP\n", err,
	    sizeof(err)), 0);
	assert_int_equal(geo_prefix_count(f->g), 2);
	assert_string_equal(cc_of(f->g, "10.1.2.3"), "JP");
	assert_string_equal(cc_of(f->g, "10.2.0.1"), "US");
	assert_string_equal(cc_of(f->g, "10.0.0.0"), "US");
	assert_string_equal(cc_of(f->g, "10.255.255.255"), "US");
	assert_string_equal(cc_of(f->g, "10.1.255.255"), "JP");
	assert_string_equal(cc_of(f->g, "11.0.0.0"), "??");
	assert_string_equal(cc_of(f->g, "9.255.255.255"), "??");
	assert_int_equal(geo_lookup(f->g, &(struct netaddr){ .family = 0 }),
	    COUNTRY_UNKNOWN);
	/* An IPv4 prefix is not an IPv6 one with the same leading bits. */
	assert_string_equal(cc_of(f->g, "a00::1"), "??");
}

static void
test_nested_inserted_shorter_last(void **state)
{
	struct fixture *f = *state;
	char err[256];

	/* Longer first, then a shorter one that splits above it. */
	assert_int_equal(load(f, "10.1.0.0/16,JP\n10.1.128.0/17,KR\n"
	    "10.0.0.0/8,US\n10.1.0.0/15,CN\n", err, sizeof(err)), 0);
	assert_int_equal(geo_prefix_count(f->g), 4);
	assert_string_equal(cc_of(f->g, "10.1.2.3"), "JP");
	assert_string_equal(cc_of(f->g, "10.1.200.3"), "KR");
	assert_string_equal(cc_of(f->g, "10.0.9.9"), "CN");
	assert_string_equal(cc_of(f->g, "10.2.0.1"), "US");
	assert_string_equal(cc_of(f->g, "12.0.0.1"), "??");
}

static void
test_v6(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "2001:db8::/32,DE\n2001:db8:1::/48,FR\n"
	    "2001:db8:1:2::/64,IT\n", err, sizeof(err)), 0);
	assert_int_equal(geo_prefix_count(f->g), 3);
	assert_string_equal(cc_of(f->g, "2001:db8:1::5"), "FR");
	assert_string_equal(cc_of(f->g, "2001:db8:1:2::5"), "IT");
	assert_string_equal(cc_of(f->g, "2001:db8:2::1"), "DE");
	assert_string_equal(cc_of(f->g, "2001:db9::1"), "??");
	assert_string_equal(cc_of(f->g, "1.2.3.4"), "??");
}

static void
test_default_routes(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "0.0.0.0/0,ZZ\n", err, sizeof(err)), 0);
	assert_string_equal(cc_of(f->g, "1.2.3.4"), "ZZ");
	assert_string_equal(cc_of(f->g, "255.255.255.255"), "ZZ");
	assert_string_equal(cc_of(f->g, "2001:db8::1"), "??");
	assert_int_equal(load(f, "::/0,AQ\n", err, sizeof(err)), 0);
	assert_string_equal(cc_of(f->g, "2001:db8::1"), "AQ");
	assert_string_equal(cc_of(f->g, "1.2.3.4"), "ZZ");
	assert_int_equal(geo_prefix_count(f->g), 2);
}

static void
test_v6_default_covers_mapped_v4(void **state)
{
	struct fixture *f = *state;
	char err[256];

	/* One trie over the IPv4-mapped space: ::/0 covers IPv4 too. */
	assert_int_equal(load(f, "::/0,AQ\n", err, sizeof(err)), 0);
	assert_string_equal(cc_of(f->g, "1.2.3.4"), "AQ");
}

static void
test_host_routes(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "192.0.2.0/24,IE\n192.0.2.7/32,GB\n"
	    "2001:db8::/64,NL\n2001:db8::7/128,BE\n203.0.113.9,SE\n", err,
	    sizeof(err)), 0);
	assert_string_equal(cc_of(f->g, "192.0.2.7"), "GB");
	assert_string_equal(cc_of(f->g, "192.0.2.6"), "IE");
	assert_string_equal(cc_of(f->g, "192.0.2.8"), "IE");
	assert_string_equal(cc_of(f->g, "2001:db8::7"), "BE");
	assert_string_equal(cc_of(f->g, "2001:db8::8"), "NL");
	assert_string_equal(cc_of(f->g, "203.0.113.9"), "SE");
	assert_string_equal(cc_of(f->g, "203.0.113.8"), "??");
}

static void
test_override_order(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "10.0.0.0/8,US\n10.0.0.0/8,CA\n"
	    "10.9.9.9/8,MX\n", err, sizeof(err)), 0);
	/* 10.9.9.9/8 is masked to 10.0.0.0/8: the same prefix again. */
	assert_int_equal(geo_prefix_count(f->g), 1);
	assert_string_equal(cc_of(f->g, "10.3.3.3"), "MX");

	/* A later file overrides an earlier one. */
	write_text(f->path2, "10.0.0.0/8,BR\n");
	assert_int_equal(geo_load_csv(f->g, f->path2, err, sizeof(err)), 0);
	assert_string_equal(cc_of(f->g, "10.3.3.3"), "BR");
	assert_int_equal(geo_prefix_count(f->g), 1);
}

static void
test_crlf_comments_spaces(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_int_equal(load(f, "# network,country\r\n\r\n"
	    "  10.0.0.0/8 , us \r\n"
	    "   # indented comment, 11.0.0.0/8,XX\n"
	    "\t192.0.2.0/24,\tJP\r\n"
	    "\n"
	    "2001:db8::/32 ,De", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(geo_prefix_count(f->g), 3);
	assert_string_equal(cc_of(f->g, "10.1.1.1"), "US");
	assert_string_equal(cc_of(f->g, "11.1.1.1"), "??");
	assert_string_equal(cc_of(f->g, "192.0.2.200"), "JP");
	assert_string_equal(cc_of(f->g, "2001:db8::1"), "DE");
}

struct error_case {
	const char *text;
	const char *message; /* after "PATH:" */
};

static void
test_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "10.0.0.0/33,US\n", "1: invalid prefix \"10.0.0.0/33\"" },
		{ "10.0.0.0/8,J\n", "1: invalid country code \"J\"" },
		{ "10.0.0.0/8,USA\n", "1: invalid country code \"USA\"" },
		{ "10.0.0.0/8,U1\n", "1: invalid country code \"U1\"" },
		{ "10.0.0.0/8,\n", "1: invalid country code \"\"" },
		{ "10.0.0.0/8,JP,x\n", "1: invalid country code \"JP,x\"" },
		{ "10.0.0.0/8 JP\n", "1: expected \"CIDR,CC\"" },
		{ ",US\n", "1: invalid prefix \"\"" },
		{ "10.0.0.0/,US\n", "1: invalid prefix \"10.0.0.0/\"" },
		{ "10.0.0.0/-1,US\n", "1: invalid prefix \"10.0.0.0/-1\"" },
		{ "10.0.0/8,US\n", "1: invalid prefix \"10.0.0/8\"" },
		{ "2001:db8::/129,US\n", "1: invalid prefix \"2001:db8::/129\"" },
		{ "10.0.0.0 /8,US\n", "1: invalid prefix \"10.0.0.0 /8\"" },
		{ "# ok\n\n10.0.0.0/8,US\nbogus,US\n",
		    "4: invalid prefix \"bogus\"" },
		{ "10.0.0.0/8,\x01\xff\n",
		    "1: invalid country code \"\\x01\\xff\"" },
		{ "10.0.0.0/8,\"J\n", "1: invalid country code \"\\x22J\"" },
	};
	struct fixture *f = *state;
	char err[256], want[300];
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(load(f, cases[i].text, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", f->path, cases[i].message);
		assert_string_equal(err, want);
	}
}

static void
test_error_nul_and_long(void **state)
{
	struct fixture *f = *state;
	char err[256], want[300], line[5000];

	write_bytes(f->path, "10.0.0.0\0/8,US\n", 15);
	assert_int_equal(geo_load_csv(f->g, f->path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: invalid prefix \"10.0.0.0\\x00/8\"",
	    f->path);
	assert_string_equal(err, want);

	/* A long field is quoted cut short. */
	memset(line, 'a', 200);
	strcpy(line + 200, ",US\n");
	assert_int_equal(load(f, line, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: invalid prefix \"%.*s...\"",
	    f->path, 63, line);
	assert_string_equal(err, want);

	memset(line, ' ', 4090);
	strcpy(line + 4090, "10.0.0.0/8,US\n");
	assert_int_equal(load(f, line, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: line longer than 4096 bytes",
	    f->path);
	assert_string_equal(err, want);
}

static void
test_missing_file(void **state)
{
	struct fixture *f = *state;
	char err[256], want[300];

	assert_int_equal(geo_load_csv(f->g, f->path2, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path2);
	assert_string_equal(err, want);
}

static void
test_truncation_every_offset(void **state)
{
	static const char text[] = "# c\r\n10.0.0.0/8,US\n2001:db8::/32 , DE\r\n"
	    "192.0.2.7/32,GB\n";
	struct fixture *f = *state;
	char err[256];
	size_t n;
	int rc;

	for (n = 0; n <= strlen(text); n++) {
		struct geo *g = geo_new();

		write_bytes(f->path, text, n);
		err[0] = '\0';
		rc = geo_load_csv(g, f->path, err, sizeof(err));
		if (rc != 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(strncmp(err, f->path, strlen(f->path)), 0);
		}
		if (n == strlen(text)) {
			assert_int_equal(rc, 0);
			assert_int_equal(geo_prefix_count(g), 3);
		}
		geo_free(g);
	}
}

/* The i-th generated prefix: a distinct IPv4 /24 or IPv6 /48. */
static void
gen_line(size_t i, char *buf, size_t len, char *addr, size_t addrlen,
    char cc[3])
{
	cc[0] = (char)('A' + i % 26);
	cc[1] = (char)('A' + i / 26 % 26);
	cc[2] = '\0';
	if (i % 4 == 3) {
		snprintf(buf, len, "2001:%x:%x::/48,%s\n",
		    (unsigned)(i >> 16), (unsigned)(i & 0xffff), cc);
		snprintf(addr, addrlen, "2001:%x:%x::1",
		    (unsigned)(i >> 16), (unsigned)(i & 0xffff));
	} else {
		snprintf(buf, len, "%u.%u.%u.0/24,%s\n", (unsigned)(1 + i / 65536),
		    (unsigned)(i / 256 % 256), (unsigned)(i % 256), cc);
		snprintf(addr, addrlen, "%u.%u.%u.77", (unsigned)(1 + i / 65536),
		    (unsigned)(i / 256 % 256), (unsigned)(i % 256));
	}
}

static void
test_large_file(void **state)
{
	enum { LINES = 300000 };
	struct fixture *f = *state;
	char line[80], addr[64], cc[3], err[256];
	FILE *fp = fopen(f->path, "w");
	size_t i;

	assert_non_null(fp);
	fputs("0.0.0.0/0,ZZ\n", fp);
	for (i = 0; i < LINES; i++) {
		gen_line(i, line, sizeof(line), addr, sizeof(addr), cc);
		fputs(line, fp);
	}
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(geo_load_csv(f->g, f->path, err, sizeof(err)), 0);
	assert_int_equal(geo_prefix_count(f->g), LINES + 1);
	for (i = 0; i < LINES; i++) {
		gen_line(i, line, sizeof(line), addr, sizeof(addr), cc);
		assert_string_equal(cc_of(f->g, addr), cc);
	}
	assert_string_equal(cc_of(f->g, "200.1.1.1"), "ZZ");
	assert_string_equal(cc_of(f->g, "2001:ffff::1"), "??");
}


/* Special-purpose ranges only (private, documentation, link-local,
 * multicast...) locate no public address; one public prefix does, and so
 * does a range that holds some (a /0, a /7 around 10/8). */
static void
test_locates_public(void **state)
{
	static const struct {
		const char *csv;
		bool public;
	} cases[] = {
		{ "# nothing\n", false },
		{ "10.0.0.0/8,JP\n172.16.0.0/12,JP\n192.168.1.0/24,JP\n"
		  "192.0.2.0/24,US\n198.51.100.0/24,JP\n203.0.113.0/24,HK\n"
		  "100.64.0.0/10,JP\n127.0.0.1/32,JP\n169.254.0.0/16,JP\n"
		  "224.0.0.0/4,US\n255.255.255.255/32,US\n198.18.0.0/15,JP\n"
		  "2001:db8::/32,US\nfd00::/8,JP\nfe80::/10,JP\nff02::/16,US\n"
		  "::1/128,JP\n", false },
		{ "10.0.0.0/8,JP\n133.0.0.0/8,JP\n", true },
		{ "8.8.8.8/32,US\n", true },
		{ "2001:200::/23,JP\n", true },
		{ "0.0.0.0/0,US\n", true },
		{ "8.0.0.0/7,US\n", true },
		{ "198.51.100.0/23,JP\n", true }, /* 198.51.101.0/24 is public */
	};
	struct fixture *f = *state;
	char err[256];
	size_t i;

	assert_false(geo_locates_public(f->g)); /* no database at all */
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		geo_free(f->g);
		f->g = geo_new();
		assert_int_equal(load(f, cases[i].csv, err, sizeof(err)), 0);
		if (geo_locates_public(f->g) != cases[i].public)
			fail_msg("case %zu: locates_public should be %d", i,
			    cases[i].public);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v4_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_inserted_shorter_last,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_routes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_v6_default_covers_mapped_v4,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crlf_comments_spaces, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_nul_and_long, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_truncation_every_offset,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locates_public, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
