/*
 * test_indicators.c - the configured lists as one set: the first list
 * that names a destination, per-destination verdicts cached and checked
 * again after a change, a reload that fails keeping the old lists, files
 * read again when they change (size, mtime, inode) and kept when they
 * vanish, addresses answered for listed names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/enrich/indicators.h"

static const struct hash_key key = { 3, 4 };

struct fixture {
	char dir[64];
	char plain[128], feodo[128], hosts[128];
	struct config *cfg;
	struct indicators *s;
};

static void
write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* indicators: the three files, the plain one high, the Feodo one
 * critical, the hosts file at the rule's severity. */
static struct config *
config_of(struct fixture *f)
{
	char yaml[1024], err[CONFIG_ERR_LEN];
	struct config *c;

	snprintf(yaml, sizeof(yaml), "indicators:\n"
	    "  - { file: %s, severity: high }\n"
	    "  - { file: %s, format: feodo, severity: critical }\n"
	    "  - { file: %s, format: hostfile }\n", f->plain, f->feodo, f->hosts);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)), 0);
	return c;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/exfild-test-ind-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->plain, sizeof(f->plain), "%s/iocs.txt", f->dir);
	snprintf(f->feodo, sizeof(f->feodo), "%s/feodo.csv", f->dir);
	snprintf(f->hosts, sizeof(f->hosts), "%s/urlhaus.txt", f->dir);
	write_text(f->plain, "example.net # exfil host\n198.51.100.0/24\n");
	write_text(f->feodo, "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"malware\"\n"
	    "\"2024-01-01 00:00:00\",\"198.51.100.7\",\"443\",\"QakBot\"\n"
	    "\"2024-01-01 00:00:00\",\"192.0.2.9\",\"8080\",\"Emotet\"\n");
	write_text(f->hosts, "127.0.0.1 drop.example.org\n127.0.0.1 example.net\n");
	f->cfg = config_of(f);
	f->s = indicators_new(16, &key);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[160];

	indicators_free(f->s);
	config_free(f->cfg);
	unlink(f->plain);
	unlink(f->feodo);
	unlink(f->hosts);
	snprintf(path, sizeof(path), "%s/new", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct netaddr
addr_of(const char *s)
{
	struct netaddr a;

	memset(&a, 0, sizeof(a));
	if (s != NULL)
		assert_int_equal(netaddr_parse(s, &a), 0);
	return a;
}

/* The hit of destination slot id (generation 1), or NULL. */
static const struct ioc_hit *
dest(struct fixture *f, uint32_t id, const char *name, const char *addr)
{
	struct netaddr a = addr_of(addr);

	return indicators_dest(f->s, id, 1, name, &a);
}

static void
assert_hit(const struct ioc_hit *h, const char *list, const char *entry,
    enum ioc_how how, int severity)
{
	assert_non_null(h);
	assert_string_equal(h->list, list);
	assert_string_equal(h->entry.text, entry);
	assert_int_equal(h->how, how);
	assert_int_equal(h->severity, severity);
	assert_false(h->dns_answer);
}

/* The first list (in the order of indicators:) that names the
 * destination, by its name or by its address. */
static void
test_first_list_wins(void **state)
{
	struct fixture *f = *state;
	const struct ioc_hit *h;

	assert_null(dest(f, 0, "", "198.51.100.7"));    /* not loaded yet */
	assert_int_equal(indicators_load(f->s, f->cfg, NULL, 0), 0);
	assert_int_equal(indicators_lists(f->s), 3);
	assert_int_equal(indicators_entries(f->s), 6);
	/* the plain list's CIDR before the Feodo list's address */
	assert_hit(dest(f, 0, "", "198.51.100.7"), f->plain, "198.51.100.0/24",
	    IOC_MATCH_NETWORK, SEV_HIGH);
	h = dest(f, 1, "", "192.0.2.9");
	assert_hit(h, f->feodo, "192.0.2.9", IOC_MATCH_ADDRESS, SEV_CRITICAL);
	assert_string_equal(h->entry.note, "Emotet");
	assert_int_equal(h->entry.port, 8080);
	assert_int_equal(h->format, IOC_FORMAT_FEODO);
	/* the plain list's name covers the subdomain, before the hosts file */
	h = dest(f, 2, "files.example.net", "203.0.113.1");
	assert_hit(h, f->plain, "example.net", IOC_MATCH_SUBDOMAIN, SEV_HIGH);
	assert_string_equal(h->entry.note, "exfil host");
	assert_hit(dest(f, 3, "drop.example.org", NULL), f->hosts,
	    "drop.example.org", IOC_MATCH_NAME, -1);
	/* a name not listed, at a listed address: the address */
	assert_hit(dest(f, 4, "cdn.example.com", "198.51.100.9"), f->plain,
	    "198.51.100.0/24", IOC_MATCH_NETWORK, SEV_HIGH);
	/* neither */
	assert_null(dest(f, 5, "www.example.org", "203.0.113.1"));
	assert_null(dest(f, 6, "", "192.0.2.10"));
	/* slots beyond the cache are looked up every time */
	assert_hit(dest(f, 99, "drop.example.org", NULL), f->hosts,
	    "drop.example.org", IOC_MATCH_NAME, -1);
}

/* A verdict is kept for the slot's generation, address and version: a
 * new address, a reused slot or a new list checks again. */
static void
test_cached_verdicts(void **state)
{
	struct fixture *f = *state;
	struct netaddr a = addr_of("203.0.113.1");
	struct ioc_lists *l;
	uint32_t v;

	assert_int_equal(indicators_load(f->s, f->cfg, NULL, 0), 0);
	assert_null(indicators_dest(f->s, 0, 1, "www.example.com", &a));
	a = addr_of("192.0.2.9");
	assert_non_null(indicators_dest(f->s, 0, 1, "www.example.com", &a));
	/* the slot reused for another destination */
	a = addr_of("203.0.113.1");
	assert_non_null(indicators_dest(f->s, 0, 2, "drop.example.org", &a));
	assert_null(indicators_dest(f->s, 0, 3, "www.example.com", &a));
	/* a reload that lists it */
	write_text(f->plain, "www.example.com\n");
	v = indicators_version(f->s);
	l = indicators_prepare(f->s, f->cfg, NULL, 0);
	assert_non_null(l);
	assert_null(indicators_dest(f->s, 0, 3, "www.example.com", &a));
	indicators_commit(f->s, l);
	assert_true(indicators_version(f->s) > v);
	assert_hit(indicators_dest(f->s, 0, 3, "www.example.com", &a), f->plain,
	    "www.example.com", IOC_MATCH_NAME, SEV_HIGH);
}

/* A reload whose file cannot be read changes nothing. */
static void
test_prepare_failure(void **state)
{
	struct fixture *f = *state;
	char err[256], want[256];

	assert_int_equal(indicators_load(f->s, f->cfg, NULL, 0), 0);
	unlink(f->feodo);
	assert_null(indicators_prepare(f->s, f->cfg, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", f->feodo);
	assert_string_equal(err, want);
	assert_int_equal(indicators_load(f->s, f->cfg, err, sizeof(err)), -1);
	assert_hit(dest(f, 0, "", "192.0.2.9"), f->feodo, "192.0.2.9",
	    IOC_MATCH_ADDRESS, SEV_CRITICAL);
	assert_int_equal(indicators_lists(f->s), 3);
}

/* The periodic check: a file read again when its size, mtime or inode
 * changes, only that one; a file gone keeps its entries. */
static void
test_refresh(void **state)
{
	struct fixture *f = *state;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	char fresh[160];

	assert_int_equal(indicators_load(f->s, f->cfg, NULL, 0), 0);
	assert_false(indicators_refresh(f->s));
	assert_null(dest(f, 0, "new.example", NULL));
	/* size */
	write_text(f->hosts, "127.0.0.1 drop.example.org\n127.0.0.1 new.example\n");
	assert_true(indicators_refresh(f->s));
	assert_false(indicators_refresh(f->s));
	assert_hit(dest(f, 0, "new.example", NULL), f->hosts, "new.example",
	    IOC_MATCH_NAME, -1);
	/* mtime alone (same size) */
	write_text(f->hosts, "127.0.0.1 drop.example.org\n127.0.0.1 old.example\n");
	assert_int_equal(utimensat(AT_FDCWD, f->hosts, times, 0), 0);
	assert_true(indicators_refresh(f->s));
	assert_null(dest(f, 0, "new.example", NULL));
	assert_non_null(dest(f, 1, "old.example", NULL));
	/* inode: a new file renamed over it, same size and mtime */
	snprintf(fresh, sizeof(fresh), "%s/new", f->dir);
	write_text(fresh, "127.0.0.1 drop.example.org\n127.0.0.1 yet.example\n");
	assert_int_equal(utimensat(AT_FDCWD, fresh, times, 0), 0);
	assert_int_equal(rename(fresh, f->hosts), 0);
	assert_true(indicators_refresh(f->s));
	assert_non_null(dest(f, 2, "yet.example", NULL));
	/* gone: the entries stay (said once) until it is back */
	unlink(f->hosts);
	assert_false(indicators_refresh(f->s));
	assert_false(indicators_refresh(f->s));
	assert_non_null(dest(f, 3, "yet.example", NULL));
	write_text(f->hosts, "127.0.0.1 back.example\n");
	assert_true(indicators_refresh(f->s));
	assert_null(dest(f, 3, "yet.example", NULL));
	assert_non_null(dest(f, 4, "back.example", NULL));
	/* the other lists were not touched */
	assert_hit(dest(f, 5, "", "192.0.2.9"), f->feodo, "192.0.2.9",
	    IOC_MATCH_ADDRESS, SEV_CRITICAL);
}

/* A DNS answer for a listed name teaches its address; an answer naming a
 * listed address is listed too; others are not. */
static void
test_answers(void **state)
{
	struct fixture *f = *state;
	struct netaddr a = addr_of("203.0.113.50");
	const struct ioc_hit *h;
	bool learned;

	assert_int_equal(indicators_load(f->s, f->cfg, NULL, 0), 0);
	assert_null(dest(f, 0, "", "203.0.113.50"));
	assert_false(indicators_answer(f->s, "www.example.com", &a, &learned));
	assert_false(learned);
	assert_true(indicators_answer(f->s, "cdn.example.net", &a, &learned));
	assert_true(learned);
	h = dest(f, 0, "", "203.0.113.50");
	assert_hit(h, f->plain, "example.net", IOC_MATCH_ANSWERED, SEV_HIGH);
	assert_string_equal(h->answered_for, "cdn.example.net");
	/* the same answer again teaches nothing new */
	assert_true(indicators_answer(f->s, "cdn.example.net", &a, &learned));
	assert_false(learned);
	/* a listed address answered for an unlisted name */
	a = addr_of("192.0.2.9");
	assert_true(indicators_answer(f->s, "www.example.com", &a, &learned));
	assert_false(learned);
	/* a neighbour of the learned address stays unlisted */
	assert_null(dest(f, 1, "", "203.0.113.51"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_list_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prepare_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
	};

	log_init("test", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
