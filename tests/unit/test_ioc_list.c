/*
 * test_ioc_list.c - one indicator list file per format: exact entries,
 * comments and malware families, names covering their subdomains (plain)
 * or not (hosts file), bad lines counted and kept with file:line, a file
 * that cannot be read, and a list of 1M entries built here (its load time
 * and bytes per entry printed; the speed target is make bench's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_files.h"

#include "exfild/enrich/ioc_list.h"

static const struct hash_key key = { 11, 22 };

struct fixture {
	char dir[64];
	char path[128];
	struct ioc_list *l;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/exfild-test-ioc-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/list", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ioc_list_free(f->l);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The file holds text; loaded in format fmt (must succeed). */
static const struct ioc_list_stats *
load(struct fixture *f, enum ioc_format fmt, const char *text)
{
	char err[256];

	write_bytes(f->path, text, strlen(text));
	f->l = ioc_list_new(f->path, fmt, &key);
	assert_int_equal(ioc_list_load(f->l, err, sizeof(err)), 0);
	return ioc_list_stats(f->l);
}

/* "file:line: reason" of the i-th bad line kept. */
static void
assert_bad(struct fixture *f, size_t i, unsigned line, const char *reason)
{
	char want[IOC_BAD_LEN];

	snprintf(want, sizeof(want), "%s:%u: %s", f->path, line, reason);
	assert_true(i < ioc_list_stats(f->l)->n_bad_kept);
	assert_string_equal(ioc_list_stats(f->l)->bad_kept[i], want);
}

/* The entry a look-up found (ok): its text, line, how and note. */
static void
assert_found(struct fixture *f, bool ok, uint32_t e, enum ioc_how h,
    const char *text, unsigned line, enum ioc_how how, const char *note)
{
	struct ioc_entry_view v;

	assert_true(ok);
	ioc_list_entry(f->l, e, &v);
	assert_string_equal(v.text, text);
	assert_int_equal(v.line, line);
	assert_int_equal(h, how);
	assert_string_equal(v.note, note);
}

/* The entry listing addr (a literal). */
static void
assert_addr(struct fixture *f, const char *addr, const char *text,
    unsigned line, enum ioc_how how, const char *note)
{
	struct netaddr a;
	enum ioc_how h = IOC_MATCH_ADDRESS;
	uint32_t e = 0;
	bool ok;

	assert_int_equal(netaddr_parse(addr, &a), 0);
	ok = ioc_list_match_addr(f->l, &a, &e, &h);
	assert_found(f, ok, e, h, text, line, how, note);
}

static bool
addr_listed(struct fixture *f, const char *addr)
{
	struct netaddr a;
	enum ioc_how h;
	uint32_t e;

	assert_int_equal(netaddr_parse(addr, &a), 0);
	return ioc_list_match_addr(f->l, &a, &e, &h);
}

/* The entry listing the name. */
static void
assert_name(struct fixture *f, const char *name, const char *text,
    unsigned line, enum ioc_how how, const char *note)
{
	enum ioc_how h = IOC_MATCH_NAME;
	uint32_t e = 0;
	bool ok = ioc_list_match_name(f->l, name, &e, &h);

	assert_found(f, ok, e, h, text, line, how, note);
}

static bool
name_listed(struct fixture *f, const char *name)
{
	enum ioc_how h;
	uint32_t e;

	return ioc_list_match_name(f->l, name, &e, &h);
}

/* Plain lines: addresses, CIDRs, names, comments with or without '#'. */
static void
test_plain(void **state)
{
	struct fixture *f = *state;
	const struct ioc_list_stats *st = load(f, IOC_FORMAT_PLAIN,
	    "# indicators of the week\n"
	    "\n"
	    "203.0.113.7\n"
	    "198.51.100.0/24   # bulletproof hoster\n"
	    "2001:db8:bad::/48 v6 range\n"
	    "Evil.Example.  # phishing kit\n"
	    "*.wild.example\r\n"
	    "   drop.example.net#no blank before it\n"
	    "example.org\n"
	    "203.0.113.7  # listed twice\n");

	assert_int_equal(st->lines, 10);
	assert_int_equal(st->addresses, 1);
	assert_int_equal(st->networks, 2);
	assert_int_equal(st->names, 4);
	assert_int_equal(st->duplicates, 1);
	assert_int_equal(st->bad, 0);
	assert_int_equal(ioc_list_entries(f->l), 7);
	assert_addr(f, "203.0.113.7", "203.0.113.7", 3, IOC_MATCH_ADDRESS, "");
	assert_addr(f, "198.51.100.200", "198.51.100.0/24", 4, IOC_MATCH_NETWORK,
	    "bulletproof hoster");
	assert_addr(f, "2001:db8:bad:1::5", "2001:db8:bad::/48", 5,
	    IOC_MATCH_NETWORK, "v6 range");
	assert_name(f, "evil.example", "evil.example", 6, IOC_MATCH_NAME,
	    "phishing kit");
	assert_name(f, "WWW.Evil.Example.", "evil.example", 6,
	    IOC_MATCH_SUBDOMAIN, "phishing kit");
	assert_name(f, "wild.example", "wild.example", 7, IOC_MATCH_NAME, "");
	assert_name(f, "a.b.wild.example", "wild.example", 7, IOC_MATCH_SUBDOMAIN,
	    "");
	assert_name(f, "drop.example.net", "drop.example.net", 8, IOC_MATCH_NAME,
	    "no blank before it");
	/* the nearest listed parent */
	assert_name(f, "news.example.org", "example.org", 9, IOC_MATCH_SUBDOMAIN, "");
	/* neighbours: positive controls above */
	assert_false(addr_listed(f, "203.0.113.8"));
	assert_false(addr_listed(f, "198.51.101.1"));
	assert_false(name_listed(f, "notevil.example"));
	assert_false(name_listed(f, "evil.example.com"));
	assert_false(name_listed(f, "example.net"));
	assert_false(name_listed(f, "other.example.net"));
	assert_false(name_listed(f, "example"));
	assert_false(name_listed(f, ""));
}

/* Bad lines: counted, the first IOC_BAD_KEPT with file:line and why;
 * the good lines between them load. */
static void
test_plain_bad_lines(void **state)
{
	struct fixture *f = *state;
	char text[8192];
	const struct ioc_list_stats *st;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text),
	    "good.example\n"
	    "under_score!.example\n"
	    "1.2.3.4/33\n"
	    "999.1.1.1\n"
	    "10.0.0.1\n");
	memcpy(text + n, "nul\0.example\n", 13);
	n += 13;
	text[n++] = 'a';
	memset(text + n, 'b', 4200);
	n += 4200;
	n += (size_t)snprintf(text + n, sizeof(text) - n,
	    "\nlast.example\nbad/name\nx..y\nz\n.\n");
	write_bytes(f->path, text, n);
	f->l = ioc_list_new(f->path, IOC_FORMAT_PLAIN, &key);
	assert_int_equal(ioc_list_load(f->l, text, sizeof(text)), 0);
	st = ioc_list_stats(f->l);
	assert_int_equal(st->lines, 12);
	assert_int_equal(st->bad, 8);
	assert_int_equal(st->n_bad_kept, IOC_BAD_KEPT);
	assert_int_equal(ioc_list_entries(f->l), 4); /* good, 10.0.0.1, last, z */
	assert_bad(f, 0, 2, "not an address, CIDR or domain name: "
	    "\"under_score!.example\"");
	assert_bad(f, 1, 3, "not an address, CIDR or domain name: \"1.2.3.4/33\"");
	assert_bad(f, 2, 4, "not an address, CIDR or domain name: \"999.1.1.1\"");
	assert_bad(f, 3, 6, "NUL byte in line");
	assert_bad(f, 4, 7, "line longer than 4096 bytes");
	assert_bad(f, 5, 9, "not an address, CIDR or domain name: \"bad/name\"");
	assert_bad(f, 6, 10, "not an address, CIDR or domain name: \"x..y\"");
	assert_bad(f, 7, 12, "not an address, CIDR or domain name: \".\"");
	assert_name(f, "good.example", "good.example", 1, IOC_MATCH_NAME, "");
	assert_name(f, "last.example", "last.example", 8, IOC_MATCH_NAME, "");
	assert_name(f, "z", "z", 11, IOC_MATCH_NAME, "");
	assert_addr(f, "10.0.0.1", "10.0.0.1", 5, IOC_MATCH_ADDRESS, "");
}

/* A comment keeps at most IOC_NOTE_MAX bytes, cut at a character; control
 * bytes and bytes that are not UTF-8 become '?'. */
static void
test_plain_comment_bytes(void **state)
{
	struct fixture *f = *state;
	char text[1024], want[IOC_NOTE_MAX + 1];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "a.example # caf\xc3\xa9 \x01\xff!\n"
	    "b.example # ");
	memset(text + n, 'x', IOC_NOTE_MAX - 1);
	n += IOC_NOTE_MAX - 1;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\xc3\xa9\n");
	text[n] = '\0';
	load(f, IOC_FORMAT_PLAIN, text);
	assert_name(f, "a.example", "a.example", 1, IOC_MATCH_NAME,
	    "caf\xc3\xa9 ?" "?!");
	memset(want, 'x', IOC_NOTE_MAX - 1);
	want[IOC_NOTE_MAX - 1] = '\0';
	assert_name(f, "b.example", "b.example", 2, IOC_MATCH_NAME, want);
}

/* The Feodo Tracker CSV as abuse.ch publishes it: the columns by the
 * quoted header row, the malware family and port of each address. */
static void
test_feodo(void **state)
{
	struct fixture *f = *state;
	struct ioc_entry_view v;
	struct netaddr a;
	enum ioc_how h;
	uint32_t e;
	const struct ioc_list_stats *st = load(f, IOC_FORMAT_FEODO,
	    "################################################################\n"
	    "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n"
	    "# Last updated: 2024-05-01 12:00:00 UTC                        #\n"
	    "################################################################\n"
	    "#\n"
	    "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"
	    "\"2021-01-17 07:44:46\",\"51.75.69.222\",\"443\",\"online\",\"2024-05-01\",\"QakBot\"\n"
	    "\"2023-11-02 10:01:02\",\"192.0.2.50\",\"8080\",\"offline\",\"2024-04-30\",\"Pikabot\"\n"
	    "\"2023-11-02 10:01:02\",\"2001:db8::66\",\"\",\"offline\",\"\",\"Dridex, \"\"v2\"\"\"\n"
	    "\"2023-11-03 10:01:02\",\"192.0.2.51\",\"99999\",\"online\",\"\",\"Emotet\"\n"
	    "\"2023-11-03 10:01:02\",\"c2.example\",\"443\",\"online\",\"\",\"Emotet\"\n"
	    "\"2023-11-03 10:01:02\",\"192.0.2.52\"\n"
	    "\"2023-11-03 10:01:02\",\"192.0.2.53,\"443\"\n"
	    "2023-11-04 10:01:02, 192.0.2.54 ,443,online,,BumbleBee\n"
	    "# \"END\"\n");

	assert_int_equal(st->addresses, 4);
	assert_int_equal(st->names, 0);
	assert_int_equal(st->bad, 4);
	assert_addr(f, "51.75.69.222", "51.75.69.222", 7, IOC_MATCH_ADDRESS,
	    "QakBot");
	assert_int_equal(netaddr_parse("192.0.2.50", &a), 0);
	assert_true(ioc_list_match_addr(f->l, &a, &e, &h));
	ioc_list_entry(f->l, e, &v);
	assert_string_equal(v.note, "Pikabot");
	assert_int_equal(v.port, 8080);
	assert_addr(f, "2001:db8::66", "2001:db8::66", 9, IOC_MATCH_ADDRESS,
	    "Dridex, \"v2\"");
	assert_addr(f, "192.0.2.54", "192.0.2.54", 14, IOC_MATCH_ADDRESS,
	    "BumbleBee");
	assert_bad(f, 0, 10, "invalid dst_port");
	assert_bad(f, 1, 11, "not an address or CIDR: \"c2.example\"");
	assert_bad(f, 2, 12, "2 fields, fewer than the header's");
	assert_bad(f, 3, 13, "malformed CSV (quotes or a field over 255 bytes)");
	assert_false(addr_listed(f, "192.0.2.51"));
	assert_false(name_listed(f, "c2.example"));
}

/* Data before any header row is refused; an older file's header is in a
 * comment ("# "first_seen_utc","dst_ip",..."). */
static void
test_feodo_headers(void **state)
{
	struct fixture *f = *state;

	load(f, IOC_FORMAT_FEODO,
	    "\"2021-01-17 07:44:46\",\"51.75.69.222\",\"443\",\"QakBot\"\n"
	    "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"malware\"\n"
	    "\"2021-01-17 07:44:46\",\"51.75.69.223\",\"443\",\"QakBot\"\n");
	assert_int_equal(ioc_list_stats(f->l)->bad, 1);
	assert_bad(f, 0, 1, "data before the header row (\"dst_ip\",...)");
	assert_false(addr_listed(f, "51.75.69.222"));
	assert_addr(f, "51.75.69.223", "51.75.69.223", 3, IOC_MATCH_ADDRESS,
	    "QakBot");
}

/* Hosts-file lines (URLhaus): the names are listed, exactly; the address
 * they are sent to is not; this machine's own names are skipped. */
static void
test_hostfile(void **state)
{
	struct fixture *f = *state;
	const struct ioc_list_stats *st = load(f, IOC_FORMAT_HOSTFILE,
	    "################################################################\n"
	    "# abuse.ch URLhaus Host file                                   #\n"
	    "################################################################\n"
	    "127.0.0.1\tlocalhost\n"
	    "::1 ip6-localhost ip6-loopback\n"
	    "127.0.0.1\tmalware.example\n"
	    "0.0.0.0 a.bad.example b.bad.example # two at once\n"
	    "127.0.0.1\n"
	    "host.example 127.0.0.1\n"
	    "127.0.0.1 ok.example bad!name\n");

	assert_int_equal(st->names, 4);
	assert_int_equal(st->addresses, 0);
	assert_int_equal(st->bad, 3);
	assert_name(f, "malware.example", "malware.example", 6, IOC_MATCH_NAME, "");
	assert_name(f, "b.bad.example", "b.bad.example", 7, IOC_MATCH_NAME,
	    "two at once");
	assert_name(f, "ok.example", "ok.example", 10, IOC_MATCH_NAME, "");
	assert_bad(f, 0, 8, "no host name after the address");
	assert_bad(f, 1, 9, "expected an address, then names: \"host.example\"");
	assert_bad(f, 2, 10, "not an address, CIDR or domain name: \"bad!name\"");
	/* exact names only: a subdomain, the parent and the sinkhole are not */
	assert_false(name_listed(f, "www.malware.example"));
	assert_false(name_listed(f, "bad.example"));
	assert_false(name_listed(f, "localhost"));
	assert_false(addr_listed(f, "127.0.0.1"));
}

static void
test_unreadable(void **state)
{
	struct fixture *f = *state;
	char err[256], want[256];

	f->l = ioc_list_new(f->path, IOC_FORMAT_PLAIN, &key);
	assert_int_equal(ioc_list_load(f->l, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", f->path);
	assert_string_equal(err, want);
	assert_int_equal(ioc_list_entries(f->l), 0);
}

/*
 * 1M entries (half addresses, a quarter names, a quarter CIDRs) made here:
 * all load, each is found; the time and bytes per entry are printed (make
 * bench holds the target: under a second).
 */
#define MILLION 1000000u
static void
test_million(void **state)
{
	struct fixture *f = *state;
	const struct ioc_list_stats *st;
	FILE *fp = fopen(f->path, "w");
	char err[256];
	uint32_t i, v;
	clock_t cpu;

	assert_non_null(fp);
	for (i = 0; i < MILLION; i++) {
		v = 0x0b000000u + i * 7u;
		if (i % 4 < 2)
			fprintf(fp, "%u.%u.%u.%u\n", v >> 24, (v >> 16) & 255,
			    (v >> 8) & 255, v & 255);
		else if (i % 4 == 2)
			fprintf(fp, "host%u.c2-%u.example # seen %u\n", i, i % 977, i);
		else
			fprintf(fp, "2001:db8:%x:%x::/64\n", i >> 16, i & 0xffff);
	}
	assert_int_equal(fclose(fp), 0);
	f->l = ioc_list_new(f->path, IOC_FORMAT_PLAIN, &key);
	cpu = clock();
	assert_int_equal(ioc_list_load(f->l, err, sizeof(err)), 0);
	cpu = clock() - cpu;
	st = ioc_list_stats(f->l);
	printf("ioc_list: %u entries (%llu addresses, %llu networks, %llu names) "
	    "loaded in %.0f ms (%.0f ms of CPU), %zu bytes (%zu an entry)\n",
	    MILLION, (unsigned long long)st->addresses,
	    (unsigned long long)st->networks, (unsigned long long)st->names,
	    (double)st->load_ns / 1e6, (double)cpu * 1000 / CLOCKS_PER_SEC,
	    st->bytes, st->bytes / MILLION);
	assert_int_equal(ioc_list_entries(f->l), MILLION);
	assert_int_equal(st->bad + st->duplicates, 0);
	assert_addr(f, "11.0.0.0", "11.0.0.0", 1, IOC_MATCH_ADDRESS, "");
	assert_addr(f, "11.0.0.7", "11.0.0.7", 2, IOC_MATCH_ADDRESS, "");
	assert_name(f, "x.host999998.c2-527.example", "host999998.c2-527.example",
	    999999, IOC_MATCH_SUBDOMAIN, "seen 999998");
	assert_addr(f, "2001:db8:f:423f::1", "2001:db8:f:423f::/64", 1000000,
	    IOC_MATCH_NETWORK, "");
	assert_false(name_listed(f, "host999999.c2-527.example"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_comment_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feodo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feodo_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_million, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
