/*
 * test_names.c - name cache: put/get, normalisation, hosts-file versus
 * DNS priority, LRU eviction, hosts(5) parsing with exact errors and
 * truncation at every byte.
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

#include "exfild/enrich/names.h"

static const struct hash_key test_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

struct fixture {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/exfild-test-names-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hosts", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct netaddr
addr_of(const char *s)
{
	struct netaddr a;

	if (netaddr_parse(s, &a) != 0)
		fail_msg("bad test address %s", s);
	return a;
}

static void
put(struct names *n, const char *name, const char *addr,
    enum name_source src)
{
	struct netaddr a = addr_of(addr);

	names_put(n, name, &a, src, 1000);
}

/* The cached address as text, "" when absent. */
static const char *
get(struct names *n, const char *name)
{
	static char buf[NETADDR_STRLEN];
	struct netaddr a;

	if (!names_get(n, name, &a))
		return "";
	netaddr_format(&a, buf, sizeof(buf));
	return buf;
}

/* The label a client reached an address by, "" when none. */
static const char *
label(struct names *n, const char *client, const char *addr)
{
	static char buf[256];
	struct netaddr c = addr_of(client), a = addr_of(addr);

	if (!names_label_get(n, &c, &a, buf, sizeof(buf), NULL))
		return "";
	return buf;
}

static void
put_label(struct names *n, const char *client, const char *addr,
    const char *name)
{
	struct netaddr c = addr_of(client), a = addr_of(addr);

	names_label_put(n, &c, &a, name, false);
}

/* Each client its own label, the latest winning, lowercased, bounded by
 * the capacity (least recently used out); a bad name changes nothing. */
static void
test_labels(void **state)
{
	struct names *n = names_new(2, &test_key);

	(void)state;
	put_label(n, "10.1.20.5", "203.0.113.9", "First.Example.");
	assert_string_equal(label(n, "10.1.20.5", "203.0.113.9"), "first.example");
	assert_string_equal(label(n, "10.1.20.6", "203.0.113.9"), "");
	assert_string_equal(label(n, "10.1.20.5", "203.0.113.10"), "");
	put_label(n, "10.1.20.5", "203.0.113.9", "second.example");
	assert_string_equal(label(n, "10.1.20.5", "203.0.113.9"), "second.example");
	put_label(n, "10.1.20.5", "203.0.113.9", "");
	assert_string_equal(label(n, "10.1.20.5", "203.0.113.9"), "second.example");
	put_label(n, "10.1.20.6", "203.0.113.9", "other.example");
	put_label(n, "10.1.20.7", "203.0.113.9", "third.example");
	assert_string_equal(label(n, "10.1.20.5", "203.0.113.9"), "");
	assert_string_equal(label(n, "10.1.20.6", "203.0.113.9"), "other.example");
	assert_string_equal(label(n, "10.1.20.7", "203.0.113.9"), "third.example");
	/* labels are not names: no address comes of them */
	assert_string_equal(get(n, "third.example"), "");
	names_free(n);
}

/* A label remembers whether DNS gave it: an SNI or Host equal to the DNS
 * name keeps that, another name (what the client wrote) does not, and a
 * later DNS answer gives it back. */
static void
test_label_from_dns(void **state)
{
	struct names *n = names_new(4, &test_key);
	struct netaddr c = addr_of("10.1.20.5"), a = addr_of("203.0.113.9");
	char buf[256];
	bool dns = false;

	(void)state;
	names_label_put(n, &c, &a, "App.Example.", true);
	assert_true(names_label_get(n, &c, &a, buf, sizeof(buf), &dns));
	assert_true(dns);
	names_label_put(n, &c, &a, "app.example", false);
	assert_true(names_label_get(n, &c, &a, buf, sizeof(buf), &dns));
	assert_string_equal(buf, "app.example");
	assert_true(dns);
	names_label_put(n, &c, &a, "fronted.example", false);
	assert_true(names_label_get(n, &c, &a, buf, sizeof(buf), &dns));
	assert_string_equal(buf, "fronted.example");
	assert_false(dns);
	names_label_put(n, &c, &a, "fronted.example", true);
	assert_true(names_label_get(n, &c, &a, buf, sizeof(buf), &dns));
	assert_true(dns);
	names_free(n);
}

static void
test_put_get(void **state)
{
	struct names *n = names_new(8, &test_key);
	struct names_stats st;
	struct netaddr unset;

	(void)state;
	put(n, "example.com", "192.0.2.1", NAME_FROM_DNS);
	put(n, "v6.example.com", "2001:db8::1", NAME_FROM_DNS);
	assert_string_equal(get(n, "example.com"), "192.0.2.1");
	assert_string_equal(get(n, "v6.example.com"), "2001:db8::1");
	assert_string_equal(get(n, "nope.example.com"), "");
	assert_string_equal(get(n, "example.co"), "");
	/* Neither an unset address nor NULL is stored. */
	memset(&unset, 0, sizeof(unset));
	names_put(n, "unset.example", &unset, NAME_FROM_DNS, 1);
	names_put(n, "null.example", NULL, NAME_FROM_DNS, 1);
	assert_string_equal(get(n, "unset.example"), "");
	names_get_stats(n, &st);
	assert_int_equal(st.inserts, 2);
	assert_int_equal(st.updates, 0);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.evictions, 0);
	names_free(n);
}

static void
test_normalisation(void **state)
{
	struct names *n = names_new(8, &test_key);
	struct names_stats st;
	char name[300];

	(void)state;
	put(n, "WWW.Example.COM.", "192.0.2.2", NAME_FROM_DNS);
	assert_string_equal(get(n, "www.example.com"), "192.0.2.2");
	assert_string_equal(get(n, "WWW.EXAMPLE.COM."), "192.0.2.2");
	assert_string_equal(get(n, "www.example.com.."), "192.0.2.2");
	assert_string_equal(get(n, "www.example.co"), "");
	put(n, "www.example.com", "192.0.2.3", NAME_FROM_DNS);
	assert_string_equal(get(n, "Www.Example.Com"), "192.0.2.3");

	/* Empty names and "." are ignored. */
	put(n, "", "192.0.2.4", NAME_FROM_DNS);
	put(n, ".", "192.0.2.4", NAME_FROM_DNS);
	assert_string_equal(get(n, ""), "");
	assert_string_equal(get(n, "."), "");

	/* 255 bytes is the longest name; a trailing dot does not count. */
	memset(name, 'a', sizeof(name));
	name[255] = '\0';
	put(n, name, "192.0.2.5", NAME_FROM_DNS);
	assert_string_equal(get(n, name), "192.0.2.5");
	name[255] = '.';
	name[256] = '\0';
	assert_string_equal(get(n, name), "192.0.2.5");
	name[255] = 'b';
	put(n, name, "192.0.2.6", NAME_FROM_DNS);
	assert_string_equal(get(n, name), "");
	name[299] = '\0';
	put(n, name, "192.0.2.6", NAME_FROM_DNS);
	assert_string_equal(get(n, name), "");

	/* Non-ASCII bytes are kept as they are. */
	put(n, "caf\xc3\xa9.example", "192.0.2.7", NAME_FROM_DNS);
	assert_string_equal(get(n, "CAF\xc3\xa9.EXAMPLE"), "192.0.2.7");
	names_get_stats(n, &st);
	assert_int_equal(st.inserts, 3);
	assert_int_equal(st.updates, 1);
	names_free(n);
}

static void
test_hosts_then_dns(void **state)
{
	struct names *n = names_new(8, &test_key);
	struct names_stats st;

	(void)state;
	put(n, "a.example", "10.0.0.1", NAME_FROM_HOSTS);
	put(n, "a.example", "10.0.0.2", NAME_FROM_HOSTS);
	assert_string_equal(get(n, "a.example"), "10.0.0.2");
	put(n, "a.example", "192.0.2.1", NAME_FROM_DNS);
	assert_string_equal(get(n, "a.example"), "192.0.2.1");
	put(n, "a.example", "10.0.0.3", NAME_FROM_HOSTS);
	assert_string_equal(get(n, "a.example"), "192.0.2.1");
	put(n, "a.example", "192.0.2.9", NAME_FROM_DNS);
	assert_string_equal(get(n, "a.example"), "192.0.2.9");
	put(n, "a.example", "192.0.2.10", NAME_FROM_LOOKUP);
	assert_string_equal(get(n, "a.example"), "192.0.2.10");
	put(n, "a.example", "10.0.0.4", NAME_FROM_HOSTS);
	assert_string_equal(get(n, "a.example"), "192.0.2.10");
	put(n, "a.example", "192.0.2.11", NAME_FROM_DNS);
	assert_string_equal(get(n, "a.example"), "192.0.2.11");
	names_get_stats(n, &st);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.updates, 5);
	names_free(n);
}

static void
test_dns_then_hosts(void **state)
{
	struct names *n = names_new(8, &test_key);

	(void)state;
	put(n, "b.example", "192.0.2.1", NAME_FROM_DNS);
	put(n, "b.example", "10.0.0.1", NAME_FROM_HOSTS);
	assert_string_equal(get(n, "b.example"), "192.0.2.1");
	put(n, "c.example", "192.0.2.2", NAME_FROM_LOOKUP);
	put(n, "C.Example.", "10.0.0.2", NAME_FROM_HOSTS);
	assert_string_equal(get(n, "c.example"), "192.0.2.2");
	names_free(n);
}

static void
test_lru_eviction(void **state)
{
	struct names *n = names_new(3, &test_key);
	struct names_stats st;

	(void)state;
	put(n, "a", "10.0.0.1", NAME_FROM_DNS);
	put(n, "b", "10.0.0.2", NAME_FROM_DNS);
	put(n, "c", "10.0.0.3", NAME_FROM_DNS);
	/* Use order now: a (oldest), b, c. A get makes a the newest. */
	assert_string_equal(get(n, "a"), "10.0.0.1");
	put(n, "d", "10.0.0.4", NAME_FROM_DNS); /* evicts b */
	names_get_stats(n, &st);
	assert_int_equal(st.evictions, 1);
	assert_string_equal(get(n, "b"), "");
	/* Order: c, a, d. An update makes c the newest. */
	put(n, "c", "10.0.0.33", NAME_FROM_DNS);
	put(n, "e", "10.0.0.5", NAME_FROM_DNS); /* evicts a */
	assert_string_equal(get(n, "a"), "");
	/* Order: d, c, e. A rejected hosts entry does not count as use. */
	put(n, "d", "10.9.9.9", NAME_FROM_HOSTS);
	put(n, "f", "10.0.0.6", NAME_FROM_DNS); /* evicts d */
	assert_string_equal(get(n, "d"), "");
	/* Order: c, e, f. Misses do not change it. */
	assert_string_equal(get(n, "c"), "10.0.0.33");
	assert_string_equal(get(n, "e"), "10.0.0.5");
	assert_string_equal(get(n, "f"), "10.0.0.6");
	names_get_stats(n, &st);
	assert_int_equal(st.evictions, 3);
	assert_int_equal(st.inserts, 6);
	assert_int_equal(st.updates, 1);
	assert_int_equal(st.hits, 4);
	assert_int_equal(st.misses, 3);
	names_free(n);
}

static void
test_capacity_one_and_many(void **state)
{
	struct names *n = names_new(1, &test_key);
	char name[32];
	int i;

	(void)state;
	put(n, "x", "10.0.0.1", NAME_FROM_DNS);
	put(n, "y", "10.0.0.2", NAME_FROM_DNS);
	assert_string_equal(get(n, "x"), "");
	assert_string_equal(get(n, "y"), "10.0.0.2");
	names_free(n);

	/* Many more names than capacity: the last 100 stay. */
	n = names_new(100, &test_key);
	for (i = 0; i < 5000; i++) {
		struct netaddr a = addr_of("10.0.0.1");

		a.a[15] = (uint8_t)i;
		snprintf(name, sizeof(name), "h%d.example", i);
		names_put(n, name, &a, NAME_FROM_DNS, (uint64_t)i);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "h%d.example", i);
		if (i < 4900)
			assert_string_equal(get(n, name), "");
		else
			assert_string_not_equal(get(n, name), "");
	}
	names_free(n);
}

static void
test_hosts_file(void **state)
{
	static const char text[] =
	    "# /etc/hosts\n"
	    "127.0.0.1\tlocalhost\n"
	    "::1 ip6-localhost ip6-loopback  # trailing comment\r\n"
	    "\r\n"
	    "   \t\n"
	    "192.0.2.10 Server.Example.Com. alias1\talias2\n"
	    "   # indented comment\n"
	    "192.0.2.11 dns.example\n"
	    "192.0.2.12 later.example\n"
	    "192.0.2.13 later.example#no space before the comment\n"
	    "2001:db8::5 v6.example";
	struct fixture *f = *state;
	struct names *n = names_new(16, &test_key);
	struct names_stats st;
	char err[256];

	put(n, "dns.example", "203.0.113.1", NAME_FROM_DNS);
	write_bytes(f->path, text, strlen(text));
	assert_int_equal(names_load_hosts(n, f->path, err, sizeof(err)), 0);
	assert_string_equal(get(n, "localhost"), "127.0.0.1");
	assert_string_equal(get(n, "ip6-localhost"), "::1");
	assert_string_equal(get(n, "ip6-loopback"), "::1");
	assert_string_equal(get(n, "server.example.com"), "192.0.2.10");
	assert_string_equal(get(n, "alias1"), "192.0.2.10");
	assert_string_equal(get(n, "alias2"), "192.0.2.10");
	assert_string_equal(get(n, "dns.example"), "203.0.113.1");
	assert_string_equal(get(n, "later.example"), "192.0.2.13");
	assert_string_equal(get(n, "v6.example"), "2001:db8::5");
	assert_string_equal(get(n, "#"), "");
	assert_string_equal(get(n, "trailing"), "");
	names_get_stats(n, &st);
	assert_int_equal(st.inserts, 9);
	assert_int_equal(st.updates, 1);
	names_free(n);
}

struct error_case {
	const char *text;
	const char *message; /* after "PATH:" */
};

static void
test_hosts_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "999.1.1.1 foo\n", "1: invalid address \"999.1.1.1\"" },
		{ "# x\n\n127.0.0.1 localhost\nlocalhost 127.0.0.1\n",
		    "4: invalid address \"localhost\"" },
		{ "fe80::1%eth0 x\n", "1: invalid address \"fe80::1%eth0\"" },
		{ "10.0.0.1\n", "1: no host name after the address" },
		{ "10.0.0.1   # only a comment\n",
		    "1: no host name after the address" },
		{ "10.0.0.1/8 x\n", "1: invalid address \"10.0.0.1/8\"" },
		{ "\x01\x7f\"q x\n", "1: invalid address \"\\x01\\x7f\\x22q\"" },
	};
	struct fixture *f = *state;
	struct names *n = names_new(16, &test_key);
	char err[256], want[300];
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		write_bytes(f->path, cases[i].text, strlen(cases[i].text));
		assert_int_equal(names_load_hosts(n, f->path, err, sizeof(err)),
		    -1);
		snprintf(want, sizeof(want), "%s:%s", f->path, cases[i].message);
		assert_string_equal(err, want);
	}

	write_bytes(f->path, "10.0.0.1 a\0b\n", 13);
	assert_int_equal(names_load_hosts(n, f->path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: NUL byte in line", f->path);
	assert_string_equal(err, want);

	unlink(f->path);
	assert_int_equal(names_load_hosts(n, f->path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path);
	assert_string_equal(err, want);
	names_free(n);
}

static void
test_hosts_long_names(void **state)
{
	struct fixture *f = *state;
	struct names *n = names_new(16, &test_key);
	char text[1200], err[256];
	size_t o;

	/* A name too long for the cache is skipped, not an error. */
	o = (size_t)snprintf(text, sizeof(text), "10.0.0.1 ");
	memset(text + o, 'x', 1000);
	o += 1000;
	o += (size_t)snprintf(text + o, sizeof(text) - o, " short\n");
	write_bytes(f->path, text, o);
	assert_int_equal(names_load_hosts(n, f->path, err, sizeof(err)), 0);
	assert_string_equal(get(n, "short"), "10.0.0.1");
	names_free(n);
}

static void
test_hosts_truncation(void **state)
{
	static const char text[] = "# h\r\n127.0.0.1 localhost lh\n"
	    "::1 ip6-localhost # c\n192.0.2.1 a.example\n";
	struct fixture *f = *state;
	char err[256];
	size_t k;
	int rc;

	for (k = 0; k <= strlen(text); k++) {
		struct names *n = names_new(4, &test_key);

		write_bytes(f->path, text, k);
		err[0] = '\0';
		rc = names_load_hosts(n, f->path, err, sizeof(err));
		if (rc != 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(strncmp(err, f->path, strlen(f->path)), 0);
		}
		if (k == strlen(text)) {
			assert_int_equal(rc, 0);
			assert_string_equal(get(n, "a.example"), "192.0.2.1");
		}
		names_free(n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_label_from_dns),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_hosts_then_dns),
		cmocka_unit_test(test_dns_then_hosts),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_capacity_one_and_many),
		cmocka_unit_test_setup_teardown(test_hosts_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hosts_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hosts_long_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hosts_truncation, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
