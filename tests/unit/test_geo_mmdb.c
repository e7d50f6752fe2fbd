/*
 * test_geo_mmdb.c - MaxMind DB files as geo and ASN sources: databases
 * written at test time by tests/mkmmdb.pl (libmaxmind-db-writer-perl) from
 * the specs in tests/mmdb, then exact countries (country, else registered
 * country; IPv4 and IPv6; values of the wrong type ignored), ASNs and
 * organisations, the order of several databases, refused files (wrong
 * type, truncated at every length, a search tree larger than the file,
 * not a database) and the same countries
 * from a CSV and its mmdb twin.
 * Run from the repository root (tests/mkmmdb.pl, tests/mmdb,
 * conf/geo-sample.csv).
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
#include "exfild/enrich/geo_mmdb.h"
#include "exfild/util/util.h"

#define SAMPLE_CSV "conf/geo-sample.csv"
#define SPEC_DIR "tests/mmdb"

/* libmaxminddb 1.7 leaks what it allocated for a metadata section it then
 * finds corrupt (fixed in 1.12): its leaks are not exfild's. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libmaxminddb.so\n";
}

struct dbs {
	char dir[64];
	char country[128], city[128], asn[128], csv_twin[128], scratch[128];
};

/* Writes the database of a spec (its type and IP version on its first
 * line) or of a geo CSV, with its type given. */
static int
write_db(const char *spec, const char *args, const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "perl tests/mkmmdb.pl %s '%s' < %s", args,
	    path, spec);
	if (system(cmd) == 0)
		return 0;
	fprintf(stderr, "test_geo_mmdb: failed: %s\n", cmd);
	return -1;
}

static int
group_setup(void **state)
{
	struct dbs *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	strcpy(d->dir, "/tmp/exfild-test-mmdb-XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->country, sizeof(d->country), "%s/country.mmdb", d->dir);
	snprintf(d->city, sizeof(d->city), "%s/city.mmdb", d->dir);
	snprintf(d->asn, sizeof(d->asn), "%s/asn.mmdb", d->dir);
	snprintf(d->csv_twin, sizeof(d->csv_twin), "%s/sample.mmdb", d->dir);
	snprintf(d->scratch, sizeof(d->scratch), "%s/scratch", d->dir);
	*state = d;
	if (write_db(SPEC_DIR "/country.spec", "", d->country) != 0 ||
	    write_db(SPEC_DIR "/city.spec", "", d->city) != 0 ||
	    write_db(SPEC_DIR "/asn.spec", "", d->asn) != 0 ||
	    write_db(SAMPLE_CSV, "GeoLite2-Country 6", d->csv_twin) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	struct dbs *d = *state;

	unlink(d->country);
	unlink(d->city);
	unlink(d->asn);
	unlink(d->csv_twin);
	unlink(d->scratch);
	rmdir(d->dir);
	free(d);
	return 0;
}

static struct netaddr
addr(const char *s)
{
	struct netaddr a;

	if (netaddr_parse(s, &a) != 0)
		fail_msg("bad test address %s", s);
	return a;
}

static const char *
cc_of(const struct geo *g, const char *s)
{
	static char out[3];
	struct netaddr a = addr(s);

	country_format(geo_lookup(g, &a), out);
	return out;
}

static struct geo *
load_one(const char *path)
{
	struct geo *g = geo_new();
	char err[512];

	if (geo_load(g, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return g;
}

static void
test_country_fields(void **state)
{
	struct dbs *d = *state;
	struct geo *g = load_one(d->country);

	assert_string_equal(cc_of(g, "198.51.100.1"), "JP");
	assert_string_equal(cc_of(g, "198.51.100.200"), "US");
	assert_string_equal(cc_of(g, "203.0.113.9"), "HK");     /* country only */
	assert_string_equal(cc_of(g, "192.0.2.1"), "DE");       /* registered only */
	assert_string_equal(cc_of(g, "192.0.2.200"), "FR");     /* uint32 code */
	assert_string_equal(cc_of(g, "100.64.1.1"), "??");      /* 3 letters */
	assert_string_equal(cc_of(g, "100.64.2.1"), "??");      /* a NUL */
	assert_string_equal(cc_of(g, "100.64.3.1"), "??");      /* not a map */
	assert_string_equal(cc_of(g, "100.64.4.1"), "JP");      /* any case */
	assert_string_equal(cc_of(g, "133.2.3.4"), "JP");
	assert_string_equal(cc_of(g, "133.1.3.4"), "KR");       /* longer wins */
	assert_string_equal(cc_of(g, "::ffff:133.1.3.4"), "KR");
	assert_string_equal(cc_of(g, "2001:db8:100::1"), "JP");
	assert_string_equal(cc_of(g, "2001:db8:200:ffff::1"), "US");
	assert_string_equal(cc_of(g, "2001:db8:300::1"), "??");
	assert_string_equal(cc_of(g, "8.8.8.8"), "??");
	/* an IPv4 network is not the IPv6 one with the same bits */
	assert_string_equal(cc_of(g, "c633:6401::"), "??");
	assert_int_equal(geo_lookup(g, &(struct netaddr){ .family = 0 }),
	    COUNTRY_UNKNOWN);
	assert_int_equal(geo_asn(g, &(struct netaddr){ .family = 0 }, NULL, 0),
	    0);
	geo_free(g);
}

/* An IPv4-only City database: its country; IPv6 addresses are unknown. */
static void
test_city_ipv4_only(void **state)
{
	struct dbs *d = *state;
	struct geo *g = load_one(d->city);

	assert_string_equal(cc_of(g, "198.51.100.7"), "BR");
	assert_string_equal(cc_of(g, "2001:db8:100::1"), "??");
	/* an IPv4-mapped address is its IPv4 address, as in the CSV */
	assert_string_equal(cc_of(g, "::ffff:198.51.100.7"), "BR");
	geo_free(g);
}

static uint32_t
asn_of(const struct geo *g, const char *s, char *org, size_t orglen)
{
	struct netaddr a = addr(s);

	return geo_asn(g, &a, org, orglen);
}

static void
test_asn_and_org(void **state)
{
	struct dbs *d = *state;
	struct geo *g = geo_new();
	char err[512], org[128], small[8];

	assert_int_equal(asn_of(g, "198.51.100.1", org, sizeof(org)), 0);
	assert_string_equal(org, "");
	assert_int_equal(geo_load_asn(g, d->asn, err, sizeof(err)), 0);
	assert_int_equal(asn_of(g, "198.51.100.1", org, sizeof(org)), 64500);
	assert_string_equal(org, "Example Net");
	assert_int_equal(asn_of(g, "198.51.100.1", NULL, 0), 64500);
	assert_int_equal(asn_of(g, "2001:db8:200::5", org, sizeof(org)), 64501);
	assert_string_equal(org, "Ex \"v6\" | org=1\n]^\\");
	/* a number stored as text is no number */
	assert_int_equal(asn_of(g, "203.0.113.1", org, sizeof(org)), 0);
	assert_string_equal(org, "");
	assert_int_equal(asn_of(g, "192.0.2.1", org, sizeof(org)), 64503);
	assert_string_equal(org, "");
	/* cut at a character boundary: 21 whole "Élan " of 32 (126 bytes) */
	assert_int_equal(asn_of(g, "100.64.9.9", org, sizeof(org)), 64504);
	assert_int_equal(strlen(org), 126);
	assert_memory_equal(org + 120, "\xc3\x89lan ", 6);
	assert_int_equal(asn_of(g, "100.64.9.9", small, sizeof(small)), 64504);
	assert_string_equal(small, "\xc3\x89lan ");
	assert_int_equal(asn_of(g, "9.9.9.9", org, sizeof(org)), 0);
	/* the ASN database gives no countries */
	assert_string_equal(cc_of(g, "198.51.100.1"), "??");
	geo_free(g);
}

/* path is refused as geo.databases with "path: reason". */
static void
assert_refused(const char *path, const char *reason)
{
	struct geo *g = geo_new();
	char err[512], want[512];

	assert_int_equal(geo_load(g, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, reason);
	assert_string_equal(err, want);
	geo_free(g);
}

/* A database where the other kind is wanted is refused, with its type. */
static void
test_wrong_type_refused(void **state)
{
	struct dbs *d = *state;
	struct geo *g = geo_new();
	char err[512], want[512];

	assert_refused(d->asn, "database type \"GeoLite2-ASN\" is not a Country, "
	    "City or Enterprise database");
	assert_int_equal(geo_load_asn(g, d->country, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: database type \"GeoLite2-Country\" is "
	    "not an ASN or ISP database", d->country);
	assert_string_equal(err, want);
	assert_int_equal(geo_load_asn(g, d->scratch, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: Error opening the specified MaxMind DB "
	    "file: No such file or directory", d->scratch);
	assert_string_equal(err, want);
	geo_free(g);
}

static size_t
slurp(const char *path, uint8_t **out)
{
	FILE *fp = fopen(path, "rb");
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	*out = malloc((size_t)n);
	assert_non_null(*out);
	assert_int_equal(fread(*out, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return (size_t)n;
}

/* Every shorter copy is refused with its path and a reason, or (cut in
 * the metadata's trailing padding only) loads; never a crash. */
static void
test_truncated_every_length(void **state)
{
	struct dbs *d = *state;
	const char *names[] = { d->country, d->asn };
	const uint8_t *marker;
	char err[512];
	uint8_t *db;
	size_t i, n, len;
	int rc;

	for (i = 0; i < 2; i++) {
		len = slurp(names[i], &db);
		for (n = 1; n < len; n++) {
			struct geo *g = geo_new();

			write_bytes(d->scratch, db, n);
			err[0] = '\0';
			rc = i == 0 ? geo_load(g, d->scratch, err, sizeof(err)) :
			    geo_load_asn(g, d->scratch, err, sizeof(err));
			if (rc != 0) {
				assert_int_equal(strncmp(err, d->scratch,
				    strlen(d->scratch)), 0);
				assert_true(strlen(err) > strlen(d->scratch) + 2);
			}
			(void)cc_of(g, "198.51.100.1");
			(void)asn_of(g, "198.51.100.1", err, sizeof(err));
			geo_free(g);
		}
		free(db);
	}
	/* cut before the metadata marker: the library's reason */
	len = slurp(d->country, &db);
	marker = memmem(db, len, "\xab\xcd\xefMaxMind.com", 14);
	assert_non_null(marker);
	write_bytes(d->scratch, db, (size_t)(marker - db));
	assert_refused(d->scratch, "The MaxMind DB file contains invalid metadata");
	free(db);
}

/* A node count whose search tree overflows 32 bits passes libmaxminddb
 * 1.7's own check (its look-ups then read past the file): refused here
 * (fuzz_geo_mmdb found it). */
static void
test_node_count_overflow(void **state)
{
	struct dbs *d = *state;
	const uint8_t *marker, *key;
	uint8_t *db, *bad;
	size_t len, at, size;

	len = slurp(d->city, &db);
	marker = memmem(db, len, "\xab\xcd\xefMaxMind.com", 14);
	assert_non_null(marker);
	key = memmem(marker, len - (size_t)(marker - db), "node_count", 10);
	assert_non_null(key);
	at = (size_t)(key - db) + 10;          /* the value's control byte */
	size = 1 + (db[at] & 0x1f);
	bad = malloc(len + 8);
	assert_non_null(bad);
	memcpy(bad, db, at);
	memcpy(bad + at, "\xc4\xff\xff\xff\xff", 5); /* uint32 0xffffffff */
	memcpy(bad + at + 5, db + at + size, len - at - size);
	write_bytes(d->scratch, bad, len - size + 5);
	assert_refused(d->scratch, "The MaxMind DB file contains invalid metadata "
	    "(a search tree of 4294967295 nodes does not fit in the file)");
	free(bad);
	free(db);
}

/* Databases are asked in order; the first that knows an address wins. CSV
 * and mmdb are told apart by content, not by name. */
static void
test_order_and_sniffing(void **state)
{
	struct dbs *d = *state;
	struct geo *g = geo_new();
	char err[512];
	static const uint8_t csv[] = "198.51.100.0/24,CN\n";

	write_bytes(d->scratch, csv, sizeof(csv) - 1);
	assert_false(geo_mmdb_sniff(d->scratch));
	assert_true(geo_mmdb_sniff(d->country));
	assert_int_equal(geo_load(g, d->scratch, err, sizeof(err)), 0);
	assert_int_equal(geo_load(g, d->country, err, sizeof(err)), 0);
	assert_string_equal(cc_of(g, "198.51.100.1"), "CN");
	assert_string_equal(cc_of(g, "203.0.113.1"), "HK");
	geo_free(g);

	g = geo_new();
	assert_int_equal(geo_load(g, d->country, err, sizeof(err)), 0);
	assert_int_equal(geo_load(g, d->scratch, err, sizeof(err)), 0);
	assert_string_equal(cc_of(g, "198.51.100.1"), "JP");
	assert_string_equal(cc_of(g, "198.51.100.129"), "US");
	assert_int_equal(geo_prefix_count(g), 1);
	geo_free(g);

	/* binary bytes without the marker: a database, refused */
	write_bytes(d->scratch, (const uint8_t *)"\x01\x02\x03", 3);
	assert_true(geo_mmdb_sniff(d->scratch));
	g = geo_new();
	assert_int_equal(geo_load(g, d->scratch, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": The MaxMind DB file contains invalid "
	    "metadata"));
	geo_free(g);
}

/* The shipped sample CSV and its mmdb twin give the same country at both
 * ends of every network and just outside them. */
static void
test_csv_and_mmdb_agree(void **state)
{
	static const char *const probes[] = {
		"198.51.100.0", "198.51.100.127", "198.51.100.128",
		"198.51.100.255", "198.51.101.0", "203.0.113.0", "203.0.113.255",
		"203.0.112.255", "192.0.2.0", "192.0.2.255", "192.0.3.0",
		"2001:db8:100::", "2001:db8:100:ffff:ffff:ffff:ffff:ffff",
		"2001:db8:101::", "2001:db8:200::1", "2001:db8:1ff:ffff::1",
		"133.0.0.0", "133.255.255.255", "134.0.0.0", "132.255.255.255",
		"210.128.0.0", "210.159.255.255", "210.160.0.0", "2001:200::",
		"2001:3ff:ffff::1", "2001:400::", "8.8.8.8", "8.8.9.1",
		"2001:4860::1", "2001:4861::1", "10.0.0.1", "::1",
		"::ffff:198.51.100.1", "::ffff:8.8.8.8", "::ffff:0:0",
	};
	struct dbs *d = *state;
	struct geo *csv = geo_new(), *mm = load_one(d->csv_twin);
	char err[512], a[3];
	size_t i;

	assert_int_equal(geo_load(csv, SAMPLE_CSV, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		strcpy(a, cc_of(csv, probes[i]));
		if (strcmp(a, cc_of(mm, probes[i])) != 0)
			fail_msg("%s: CSV %s, mmdb %s", probes[i], a,
			    cc_of(mm, probes[i]));
	}
	assert_string_equal(cc_of(mm, "133.1.1.1"), "JP");
	geo_free(csv);
	geo_free(mm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_country_fields),
		cmocka_unit_test(test_city_ipv4_only),
		cmocka_unit_test(test_asn_and_org),
		cmocka_unit_test(test_wrong_type_refused),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_node_count_overflow),
		cmocka_unit_test(test_order_and_sniffing),
		cmocka_unit_test(test_csv_and_mmdb_agree),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
