/*
 * test_baseline.c - destination baseline: the learning window boundary,
 * the allow list (networks, domain suffixes, AS numbers), no familiarity
 * by use, eviction order, slot generations, state file save/load (round
 * trip, atomicity, exact errors, truncation) and config changes.
 */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_files.h"

#include "exfild/track/baseline.h"
#include "stderr_capture.h"

static const struct hash_key test_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };

#define T0 1700000000000000000ULL /* first observation */
#define SEC NS_PER_SEC

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	char *domains[4];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/exfild-test-baseline-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/state", f->dir);
	f->cfg.baseline_allow_domains = f->domains;
	/* one host's use while learning makes a destination familiar (the
	 * tests of prevalence set their own) */
	f->cfg.baseline_familiar_by = BASELINE_BY_ADDRESS | BASELINE_BY_NAME |
	    BASELINE_BY_DOMAIN;
	f->cfg.baseline_min_hosts = 1;
	f->cfg.baseline_min_days = 1;
	*state = f;
	return 0;
}

static int
remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes the fixture's directory and everything in it. */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	netset_free(&f->cfg.baseline_allow_nets);
	free(f);
	return 0;
}

static void
allow_net(struct config *c, const char *cidr)
{
	struct netprefix p;

	assert_int_equal(netprefix_parse(cidr, &p), 0);
	netset_add(&c->baseline_allow_nets, &p);
}

static size_t
read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

static size_t
count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static struct netaddr
addr_of(const char *s)
{
	struct netaddr a;

	if (netaddr_parse(s, &a) != 0)
		fail_msg("bad test address %s", s);
	return a;
}

static const struct netaddr *
host_a(void)
{
	static struct netaddr h;

	h = addr_of("10.0.0.1");
	return &h;
}

static const struct netaddr *
addr_of_ptr(const char *s)
{
	static struct netaddr h;

	h = addr_of(s);
	return &h;
}

/* As the tracker does: a use while learning is noted, by host 10.0.0.1
 * (ts 0: a look that notes nothing). */
static void
note_if_learning(struct baseline *b, const struct dest *d, uint64_t ts)
{
	uint64_t end = baseline_learn_end_ns(b);

	if (ts != 0 && !baseline_learning_over(b) && ts < end)
		baseline_note(b, d, NULL, host_a(), ts);
}

static struct dest *
see(struct baseline *b, const char *name, uint64_t ts)
{
	struct dest *d = NULL;

	assert_int_not_equal(baseline_observe(b, name, NULL, ts, &d), UINT32_MAX);
	assert_non_null(d);
	note_if_learning(b, d, ts);
	return d;
}

static struct dest *
see_addr(struct baseline *b, const char *addr, uint64_t ts)
{
	struct netaddr a = addr_of(addr);
	struct dest *d = NULL;

	assert_int_not_equal(baseline_observe(b, NULL, &a, ts, &d), UINT32_MAX);
	assert_non_null(d);
	note_if_learning(b, d, ts);
	return d;
}

/* The learning period is over (the tracker's clock passed its end). */
static void
over(struct baseline *b)
{
	baseline_set_learning_over(b, true);
}

/*
 * The entry for a name without changing it (ts 0 never moves last_seen);
 * NULL if the name is not in the table.
 */
static struct dest *
peek(struct baseline *b, const char *name)
{
	struct baseline_stats before, after;
	struct dest *d;

	baseline_get_stats(b, &before);
	d = see(b, name, 0);
	baseline_get_stats(b, &after);
	if (after.destinations != before.destinations ||
	    after.evictions != before.evictions)
		fail_msg("peek(%s) created an entry", name);
	return d;
}

/* A slot reference: still alive while the slot holds that generation. */
struct ref {
	uint32_t id, gen;
};

static struct ref
ref_of(struct baseline *b, const char *name, uint64_t ts)
{
	struct dest *d = see(b, name, ts);
	struct ref r = { baseline_observe(b, name, NULL, ts, NULL), d->gen };

	return r;
}

static bool
alive(struct baseline *b, struct ref r)
{
	return baseline_get(b, r.id, r.gen) != NULL;
}

static void
test_learning_boundary(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	uint64_t end = T0 + 10 * SEC;
	struct dest *d, *before, *v4;

	f->cfg.baseline_learn_s = 10;
	b = baseline_new(16, &f->cfg, &test_key);
	d = see(b, "first.example", T0);
	assert_int_equal(baseline_learn_start_ns(b), T0);
	assert_int_equal(baseline_learn_end_ns(b), end);
	/* while learning, nothing but the allow list is familiar */
	assert_false(d->familiar);
	assert_false(d->allowed);
	assert_int_equal(d->first_seen_ns, T0);
	assert_int_equal(d->last_seen_ns, T0);
	before = see(b, "before.example", end - 1);
	assert_false(before->familiar);
	v4 = see_addr(b, "203.0.113.4", end - 1);
	over(b);
	assert_true(d->familiar);
	assert_true(before->familiar);
	assert_true(v4->familiar);
	assert_false(see(b, "at.example", end)->familiar);
	assert_false(see(b, "after.example", end + 1)->familiar);
	assert_false(see_addr(b, "203.0.113.5", end)->familiar);
	/* The learning start does not move with later observations. */
	assert_int_equal(baseline_learn_start_ns(b), T0);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 6);
	assert_int_equal(st.familiar, 3);
	assert_int_equal(st.learned, 3);
	assert_false(st.learning);
	assert_int_equal(st.evictions, 0);
	baseline_free(b);
}

/* The destination of proxied bytes that named none is never learned,
 * nor allowed, however early it is seen (the positive control beside it
 * is learned). */
static void
test_unidentified_never_familiar(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct dest *d;
	char all[] = "*.";

	f->cfg.baseline_learn_s = 10;
	f->domains[0] = all;
	f->cfg.n_baseline_allow_domains = 1;
	b = baseline_new(16, &f->cfg, &test_key);
	see(b, "first.example", T0);
	d = see(b, DEST_UNIDENTIFIED, T0 + 1);
	over(b);
	assert_true(peek(b, "first.example")->familiar);
	assert_true(d->unidentified);
	assert_false(d->familiar);
	assert_false(d->allowed);
	assert_false(see(b, "first.example", T0)->unidentified);
	baseline_free(b);
}

static void
test_no_learning(void **state)
{
	struct fixture *f = *state;
	struct baseline *b = baseline_new(4, &f->cfg, &test_key);

	/* learn 0: nothing is learned, not even the very first. */
	assert_false(see(b, "first.example", T0)->familiar);
	baseline_free(b);
	/* No config at all behaves the same. */
	b = baseline_new(4, NULL, &test_key);
	assert_false(see(b, "first.example", T0)->familiar);
	baseline_free(b);
}

static void
test_allow_list(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	struct netaddr a = addr_of("198.51.100.7");
	struct dest *d;
	char d1[] = "example.com", d2[] = "*.Corp.Test.", d3[] = "", d4[] = "*.";

	allow_net(&f->cfg, "198.51.100.0/24");
	allow_net(&f->cfg, "2001:db8:a::/48");
	f->domains[0] = d1;
	f->domains[1] = d2;
	f->domains[2] = d3;
	f->domains[3] = d4;
	f->cfg.n_baseline_allow_domains = 4;
	b = baseline_new(32, &f->cfg, &test_key);

	d = see(b, "example.com", T0);
	assert_true(d->allowed);
	assert_true(d->familiar);
	assert_true(see(b, "x.example.com", T0)->allowed);
	assert_true(see(b, "a.b.EXAMPLE.com.", T0)->allowed);
	assert_false(see(b, "badexample.com", T0)->allowed);
	assert_false(see(b, "badexample.com", T0)->familiar);
	assert_false(see(b, "example.com.evil", T0)->allowed);
	assert_false(see(b, "com", T0)->allowed);
	assert_false(see(b, ".example.com.x", T0)->allowed);
	assert_true(see(b, "corp.test", T0)->allowed);
	assert_true(see(b, "srv.corp.test", T0)->allowed);
	assert_false(see(b, "xcorp.test", T0)->allowed);
	/* Addresses: only an address-keyed destination is allowed by net. */
	assert_true(see_addr(b, "198.51.100.7", T0)->allowed);
	assert_true(see_addr(b, "198.51.100.255", T0)->allowed);
	assert_false(see_addr(b, "198.51.101.1", T0)->allowed);
	assert_true(see_addr(b, "2001:db8:a::1", T0)->allowed);
	assert_false(see_addr(b, "2001:db8:b::1", T0)->allowed);
	d = NULL;
	baseline_observe(b, "other.net", &a, T0, &d);
	assert_non_null(d);
	assert_false(d->allowed);
	assert_false(d->familiar);
	assert_true(netaddr_eq(&d->addr, &a));
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 16);
	assert_int_equal(st.familiar, 8);
	baseline_free(b);
}

static void
test_use_never_makes_familiar(void **state)
{
	struct fixture *f = *state;
	uint64_t end = T0 + 60 * SEC, ts;
	struct baseline *b;
	struct baseline_stats st;
	struct dest *d;
	uint32_t id, id2;
	char err[256];
	int i;

	f->cfg.baseline_learn_s = 60;
	b = baseline_new(8, &f->cfg, &test_key);
	see(b, "learned.example", T0);
	over(b);
	id = baseline_observe(b, "late.example", NULL, end, &d);
	assert_false(d->familiar);
	for (i = 1; i <= 100000; i++) {
		ts = end + (uint64_t)i * SEC;
		id2 = baseline_observe(b, "LATE.example.", NULL, ts, &d);
		assert_int_equal(id2, id);
		assert_false(d->familiar);
	}
	assert_int_equal(d->first_seen_ns, end);
	assert_int_equal(d->last_seen_ns, end + 100000 * SEC);
	/* An out-of-order timestamp inside the window changes nothing. */
	d = see(b, "late.example", T0 + 1);
	assert_false(d->familiar);
	assert_int_equal(d->first_seen_ns, end);
	assert_int_equal(d->last_seen_ns, end + 100000 * SEC);
	/* Neither does a config reload. */
	baseline_apply_config(b, &f->cfg);
	d = peek(b, "late.example");
	assert_false(d->familiar);
	/* Nor a save and load. */
	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	baseline_free(b);
	b = baseline_new(8, &f->cfg, &test_key);
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	over(b);
	assert_false(peek(b, "late.example")->familiar);
	assert_true(peek(b, "learned.example")->familiar);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 2);
	assert_int_equal(st.familiar, 1);
	baseline_free(b);
}

static void
test_eviction_unfamiliar_first(void **state)
{
	struct fixture *f = *state;
	uint64_t end = T0 + 10 * SEC;
	struct baseline *b;
	struct baseline_stats st;
	struct ref f1, f2, f3, u1, u2, u3;

	f->cfg.baseline_learn_s = 10;
	b = baseline_new(3, &f->cfg, &test_key);
	f1 = ref_of(b, "f1", T0);
	f2 = ref_of(b, "f2", T0 + 1);
	over(b);
	u1 = ref_of(b, "u1", end + 1);
	/* Full: u1 is evicted although f1 and f2 were seen earlier. */
	u2 = ref_of(b, "u2", end + 2);
	baseline_get_stats(b, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.destinations, 3);
	assert_int_equal(st.familiar, 2);
	assert_false(alive(b, u1));
	assert_true(alive(b, u2));
	assert_true(alive(b, f1));
	assert_true(alive(b, f2));
	baseline_free(b);

	/* Two unfamiliar: the least recently seen of them goes. */
	b = baseline_new(3, &f->cfg, &test_key);
	f1 = ref_of(b, "f1", T0);
	over(b);
	u1 = ref_of(b, "u1", end + 1);
	u2 = ref_of(b, "u2", end + 2);
	see(b, "u1", end + 3);
	u3 = ref_of(b, "u3", end + 4); /* evicts u2 */
	assert_true(alive(b, f1));
	assert_true(alive(b, u1));
	assert_false(alive(b, u2));
	assert_true(alive(b, u3));
	baseline_get_stats(b, &st);
	assert_int_equal(st.evictions, 1);
	baseline_free(b);

	/* All familiar: the least recently seen overall goes. */
	b = baseline_new(2, &f->cfg, &test_key);
	f1 = ref_of(b, "f1", T0);
	f2 = ref_of(b, "f2", T0 + 1);
	see(b, "f1", T0 + 2);
	f3 = ref_of(b, "f3", T0 + 3); /* evicts f2 */
	over(b);
	assert_true(alive(b, f1));
	assert_false(alive(b, f2));
	assert_true(alive(b, f3));
	assert_true(see(b, "f3", T0 + 3)->familiar);
	baseline_get_stats(b, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.familiar, 2);
	/* A new unfamiliar one then evicts the oldest familiar one, f1. */
	u1 = ref_of(b, "u1", end);
	assert_false(see(b, "u1", end)->familiar);
	assert_false(alive(b, f1));
	assert_true(alive(b, f3));
	assert_true(alive(b, u1));
	baseline_get_stats(b, &st);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(st.familiar, 1);
	baseline_free(b);
}

static void
test_generation(void **state)
{
	struct fixture *f = *state;
	struct baseline *b = baseline_new(1, &f->cfg, &test_key);
	struct dest *d;
	uint32_t id, id2, gen;

	id = baseline_observe(b, "a.example", NULL, T0, &d);
	assert_int_equal(id, 0);
	gen = d->gen;
	assert_int_equal(gen, 1);
	assert_ptr_equal(baseline_get(b, id, gen), d);
	assert_null(baseline_get(b, id, gen + 1));
	assert_null(baseline_get(b, id, 0));
	assert_null(baseline_get(b, 1, gen));
	assert_null(baseline_get(b, UINT32_MAX, gen));
	/* The same destination keeps its slot and generation. */
	id2 = baseline_observe(b, "a.example", NULL, T0 + 1, &d);
	assert_int_equal(id2, id);
	assert_int_equal(d->gen, gen);
	/* A new one reuses the slot with the next generation. */
	id2 = baseline_observe(b, "b.example", NULL, T0 + 2, &d);
	assert_int_equal(id2, id);
	assert_int_equal(d->gen, gen + 1);
	assert_null(baseline_get(b, id, gen));
	assert_ptr_equal(baseline_get(b, id, gen + 1), d);
	assert_string_equal(d->name, "b.example");
	assert_int_equal(d->first_seen_ns, T0 + 2);
	baseline_free(b);
}

static void
test_observe_keys(void **state)
{
	struct fixture *f = *state;
	struct baseline *b = baseline_new(8, &f->cfg, &test_key);
	struct netaddr a1 = addr_of("192.0.2.1"), a2 = addr_of("192.0.2.2");
	struct netaddr unset;
	struct baseline_stats st;
	struct dest dummy, *d = &dummy;
	char longname[300];
	uint32_t id, id2;

	/* Neither a name nor an address: no slot. */
	memset(&unset, 0, sizeof(unset));
	assert_int_equal(baseline_observe(b, NULL, NULL, T0, &d), UINT32_MAX);
	assert_null(d);
	assert_int_equal(baseline_observe(b, "", &unset, T0, &d), UINT32_MAX);
	assert_int_equal(baseline_observe(b, ".", NULL, T0, NULL), UINT32_MAX);
	/* ... and it does not start the learning period. */
	assert_int_equal(baseline_learn_start_ns(b), 0);

	/* A named destination follows its name, keeping the last address. */
	id = baseline_observe(b, "Host.Example.", &a1, T0, &d);
	assert_string_equal(d->name, "host.example");
	assert_true(netaddr_eq(&d->addr, &a1));
	id2 = baseline_observe(b, "host.example", &a2, T0 + 5, &d);
	assert_int_equal(id2, id);
	assert_true(netaddr_eq(&d->addr, &a2));
	id2 = baseline_observe(b, "host.example", &unset, T0 + 6, &d);
	assert_true(netaddr_eq(&d->addr, &a2));
	id2 = baseline_observe(b, "host.example", NULL, T0 + 7, &d);
	assert_true(netaddr_eq(&d->addr, &a2));
	assert_int_equal(d->last_seen_ns, T0 + 7);
	/* The address alone is another destination. */
	id2 = baseline_observe(b, NULL, &a2, T0 + 8, &d);
	assert_int_not_equal(id2, id);
	assert_string_equal(d->name, "");
	assert_int_equal(baseline_observe(b, "", &a2, T0 + 9, NULL), id2);
	/* A name too long to be a host name falls back to the address. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(baseline_observe(b, longname, &a2, T0 + 10, NULL), id2);
	/* Dots at the 256th byte do not make a long name short. */
	memset(longname, 'a', 255);
	memcpy(longname + 255, "..evil", 7);
	assert_int_equal(baseline_observe(b, longname, &a2, T0 + 11, NULL), id2);
	/* Trailing dots go, however many. */
	assert_int_equal(baseline_observe(b, "host.example...", NULL, T0 + 12,
	    NULL), id);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 2);
	baseline_free(b);
}

static const char hostile_name[] =
    "evil name\nwith newline %41 \xc3\xa9\xe2\x9c\x93\t-\x01.example";

static void
test_save_load_round_trip(void **state)
{
	struct fixture *f = *state;
	struct baseline *b, *b2;
	struct baseline_stats st, st2;
	struct netaddr a6 = addr_of("2001:db8::42"), a4 = addr_of("192.0.2.9");
	struct dest *d, *d2;
	char err[256], text[4096], text2[4096];
	size_t n, n2;
	char dom[] = "allowed.test";

	f->cfg.baseline_learn_s = 100;
	f->domains[0] = dom;
	f->cfg.n_baseline_allow_domains = 1;
	b = baseline_new(16, &f->cfg, &test_key);
	see(b, "learned.example", T0);
	baseline_observe(b, hostile_name, &a6, T0 + 50 * SEC, &d);
	note_if_learning(b, d, T0 + 50 * SEC);
	over(b);
	baseline_observe(b, "-", NULL, T0 + 150 * SEC, NULL);
	baseline_observe(b, "x.allowed.test", &a4, T0 + 200 * SEC, NULL);
	see_addr(b, "203.0.113.7", T0 + 300 * SEC);
	see(b, "learned.example", T0 + 400 * SEC);

	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	n = read_file(f->path, text, sizeof(text));
	assert_string_equal(text,
	    "exfild-baseline 3 learn_start=1700000000000000000\n"
	    "1700000050000000000 1700000050000000000 learned 2001:db8::42 "
	    "evil%20name%0Awith%20newline%20%2541%20%C3%A9%E2%9C%93%09-%01.example\n"
	    "1700000150000000000 1700000150000000000 unfamiliar - %2D\n"
	    "1700000200000000000 1700000200000000000 allowed 192.0.2.9 "
	    "x.allowed.test\n"
	    "1700000300000000000 1700000300000000000 unfamiliar 203.0.113.7 -\n"
	    "1700000000000000000 1700000400000000000 learned - learned.example\n"
	    /* what learning saw: host 10.0.0.1's tag, day 19675 % 32 */
	    "seen name learned.example 1700000000000000000 1700000000000000000 "
	    "0 729a42ff:8000000:0\n"
	    "seen domain learned.example 1700000000000000000 "
	    "1700000000000000000 0 729a42ff:8000000:0\n"
	    "seen name evil%20name%0Awith%20newline%20%2541%20%C3%A9%E2%9C%93%09"
	    "-%01.example 1700000050000000000 1700000050000000000 0 "
	    "729a42ff:8000000:0\n"
	    "seen domain evil%20name%0Awith%20newline%20%2541%20%C3%A9%E2%9C%93"
	    "%09-%01.example 1700000050000000000 1700000050000000000 0 "
	    "729a42ff:8000000:0\n");

	b2 = baseline_new(16, &f->cfg, &test_key);
	assert_int_equal(baseline_load(b2, f->path, NULL, err, sizeof(err)), 0);
	over(b2);
	assert_int_equal(baseline_learn_start_ns(b2), T0);
	baseline_get_stats(b, &st);
	baseline_get_stats(b2, &st2);
	assert_int_equal(st2.destinations, 5);
	assert_int_equal(st2.destinations, st.destinations);
	assert_int_equal(st2.familiar, st.familiar);
	assert_int_equal(st2.familiar, 3);

	d = peek(b, hostile_name);
	d2 = peek(b2, hostile_name);
	assert_string_equal(d2->name, d->name);
	assert_true(netaddr_eq(&d2->addr, &a6));
	assert_int_equal(d2->first_seen_ns, T0 + 50 * SEC);
	assert_int_equal(d2->last_seen_ns, T0 + 50 * SEC);
	assert_true(d2->familiar);
	d2 = peek(b2, "-");
	assert_string_equal(d2->name, "-");
	assert_false(d2->familiar);
	assert_false(netaddr_is_set(&d2->addr));
	d2 = peek(b2, "x.allowed.test");
	assert_true(d2->allowed);
	assert_true(netaddr_eq(&d2->addr, &a4));

	/* Saving what was loaded gives the same bytes. */
	assert_int_equal(baseline_save(b2, f->path, NULL, err, sizeof(err)), 0);
	n2 = read_file(f->path, text2, sizeof(text2));
	assert_int_equal(n2, n);
	assert_string_equal(text2, text);
	baseline_free(b);
	baseline_free(b2);
}

static void
test_save_empty_and_not_started(void **state)
{
	struct fixture *f = *state;
	struct baseline *b = baseline_new(4, &f->cfg, &test_key);
	char err[256], text[256];

	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	read_file(f->path, text, sizeof(text));
	assert_string_equal(text, "exfild-baseline 3 learn_start=-\n");
	see(b, "a", T0);
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	/* learn_start=- in the file: the next observation starts learning. */
	baseline_free(b);
	f->cfg.baseline_learn_s = 1;
	b = baseline_new(4, &f->cfg, &test_key);
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	see(b, "b", T0 + 5);
	over(b);
	assert_true(peek(b, "b")->familiar);
	assert_int_equal(baseline_learn_start_ns(b), T0 + 5);
	baseline_free(b);
}

static void
test_save_atomic(void **state)
{
	struct fixture *f = *state;
	struct baseline *b = baseline_new(4, &f->cfg, &test_key);
	char err[256], want[512], path[256];
	struct stat sb;

	see(b, "a.example", T0);
	write_text(f->path, "old contents\n");
	/* A temp file left by a crash under the same pid is replaced. */
	snprintf(path, sizeof(path), "%s.tmp.%ld", f->path, (long)getpid());
	write_text(path, "stale\n");
	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	assert_int_equal(count_dir_entries(f->dir), 1);
	read_file(f->path, want, sizeof(want));
	assert_string_equal(want, "exfild-baseline 3 "
	    "learn_start=1700000000000000000\n1700000000000000000 "
	    "1700000000000000000 unfamiliar - a.example\n");
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* rename over a directory fails: the temp file is removed. */
	snprintf(path, sizeof(path), "%s/isdir", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(want, sizeof(want), "%s/x", path);
	write_text(want, "keep\n");
	assert_int_equal(baseline_save(b, path, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: rename: Is a directory", path);
	assert_string_equal(err, want);
	assert_int_equal(count_dir_entries(f->dir), 2); /* state, isdir */
	snprintf(want, sizeof(want), "%s/x", path);
	unlink(want);

	/* No such directory. */
	snprintf(path, sizeof(path), "%s/nodir/state", f->dir);
	assert_int_equal(baseline_save(b, path, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s: create temp file: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(count_dir_entries(f->dir), 2);
	baseline_free(b);
}

struct error_case {
	const char *text;
	const char *message; /* after "PATH:" */
};

#define HDR "exfild-baseline 1 learn_start=1000\n"
#define V3 "exfild-baseline 3 learn_start=1000\n"

static void
test_load_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "", "1: empty file (no header)" },
		{ "hello\n", "1: not a baseline state file (expected "
		    "\"exfild-baseline 3 learn_start=<ns>\")" },
		{ "exfild-baseline 1\n", "1: not a baseline state file (expected "
		    "\"exfild-baseline 3 learn_start=<ns>\")" },
		{ "exfild-baseline 1 learn_start=1 x\n", "1: not a baseline state "
		    "file (expected \"exfild-baseline 3 learn_start=<ns>\")" },
		{ "exfild-baseline 4 learn_start=1\n",
		    "1: unsupported version \"4\"" },
		/* what learning saw (version 3) */
		{ "exfild-baseline 2 learn_start=1\nseen name a 1 2 0\n",
		    "2: seen record in a version 2 file" },
		{ V3 "seen bogus a 1 2 0\n", "2: invalid seen key \"bogus\"" },
		{ V3 "seen name A.b 1 2 0\n", "2: invalid seen key \"A.b\"" },
		{ V3 "seen name a. 1 2 0\n", "2: invalid seen key \"a.\"" },
		{ V3 "seen asn 0 1 2 0\n", "2: invalid seen key \"0\"" },
		{ V3 "seen asn 4294967296 1 2 0\n",
		    "2: invalid seen key \"4294967296\"" },
		{ V3 "seen address 192.0.2 1 2 0\n",
		    "2: invalid seen key \"192.0.2\"" },
		{ V3 "seen name a 2 1 0\n", "2: invalid seen times or legacy flag" },
		{ V3 "seen name a 1 2 2\n", "2: invalid seen times or legacy flag" },
		{ V3 "seen name a 1 2\n", "2: expected seen <kind> <key> "
		    "<first_ns> <last_ns> <legacy> [<tag>:<days>:<alerted>]..." },
		{ V3 "seen name a 1 2 0 0:1:0\n", "2: invalid host \"0:1:0\"" },
		{ V3 "seen name a 1 2 0 1:1:2\n", "2: invalid host \"1:1:2\"" },
		{ V3 "seen name a 1 2 0 1:1\n", "2: invalid host \"1:1\"" },
		{ V3 "seen name a 1 2 0 1:1:0:\n", "2: invalid host \"1:1:0:\"" },
		{ V3 "seen name a 1 2 0 123456789:1:0\n",
		    "2: invalid host \"123456789:1:0\"" },
		{ V3 "seen name a 1 2 0 1:g:0\n", "2: invalid host \"1:g:0\"" },
		{ V3 "seen name a 1 2 0 1:0:0 2:0:0 3:0:0 4:0:0 5:0:0 6:0:0 "
		    "7:0:0 8:0:0 9:0:0\n", "2: more than 8 hosts" },
		{ V3 "seen name a 1 2 0\nseen name a 1 2 0\n",
		    "3: duplicate seen key" },
		/* the records after the destinations: version 2 only, after
		 * every destination, and only with someone to read them */
		{ HDR "1 2 learned - a\npair x\n",
		    "3: state record in a version 1 file" },
		{ "exfild-baseline 2 learn_start=1\n1 2 learned - a\npair x\n",
		    "3: unexpected state record" },
		{ "exfild-baseline 1 learn_start=abc\n",
		    "1: invalid learn_start \"abc\"" },
		{ "exfild-baseline 1 start=1\n", "1: invalid learn_start \"start=1\"" },
		{ "exfild-baseline 1 learn_start=\n", "1: invalid learn_start \"\"" },
		{ HDR "1 2 learned 192.0.2.1\n", "2: expected 5 fields: first_seen "
		    "last_seen flags address name" },
		{ HDR "1 2 learned 192.0.2.1 a b\n", "2: expected 5 fields: "
		    "first_seen last_seen flags address name" },
		{ HDR "12x 20 learned - a\n", "2: invalid first_seen \"12x\"" },
		{ HDR "-1 20 learned - a\n", "2: invalid first_seen \"-1\"" },
		{ HDR "18446744073709551616 18446744073709551616 learned - a\n",
		    "2: invalid first_seen \"18446744073709551616\"" },
		{ HDR "1 +2 learned - a\n", "2: invalid last_seen \"+2\"" },
		{ HDR "\n5 6 learned - a\n30 20 learned - b\n",
		    "4: first_seen after last_seen" },
		{ HDR "1 2 bogus - a\n", "2: invalid flags \"bogus\"" },
		{ HDR "1 2 learned 192.0.2 a\n", "2: invalid address \"192.0.2\"" },
		{ HDR "1 2 learned 192.0.2.0/24 a\n",
		    "2: invalid address \"192.0.2.0/24\"" },
		{ HDR "1 2 learned - a%2\n", "2: invalid name \"a%2\"" },
		{ HDR "1 2 learned - a%zz\n", "2: invalid name \"a%zz\"" },
		{ HDR "1 2 learned - a%00b\n", "2: invalid name \"a%00b\"" },
		{ HDR "1 2 learned - a/b\n", "2: invalid name \"a/b\"" },
		{ HDR "1 2 learned - \xc3\xa9\n", "2: invalid name \"\\xc3\\xa9\"" },
		{ HDR "1 2 learned - .\n", "2: invalid name \".\"" },
		{ HDR "1 2 learned - -\n", "2: neither a name nor an address" },
		{ HDR "1 2 learned - a.example\n3 4 learned 192.0.2.1 A.Example.\n",
		    "3: duplicate destination" },
		{ HDR "1 2 learned 192.0.2.1 -\n3 4 learned 192.0.2.1 -\n",
		    "3: duplicate destination" },
		{ "exfild-baseline 1 learn_start=-\n1 2 learned - a\n",
		    "2: destination in a file with learn_start=-" },
	};
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	char err[256], want[512];
	size_t i;

	f->cfg.baseline_learn_s = 10;
	b = baseline_new(8, &f->cfg, &test_key);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		see(b, "before.example", T0);
		write_text(f->path, cases[i].text);
		assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s:%s", f->path, cases[i].message);
		assert_string_equal(err, want);
		/* A failed load leaves an empty table, learning as it was. */
		baseline_get_stats(b, &st);
		assert_int_equal(st.destinations, 0);
		assert_int_equal(st.familiar, 0);
		assert_int_equal(baseline_learn_start_ns(b), T0);
	}
	/* A missing file is an empty table. */
	unlink(f->path);
	see(b, "before.example", T0);
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 0);
	/* An unreadable path is an error. */
	snprintf(want, sizeof(want), "%s/x", f->path);
	write_text(f->path, HDR);
	assert_int_equal(baseline_load(b, want, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/x: open: Not a directory", f->path);
	assert_string_equal(err, want);
	baseline_free(b);
}

static void
test_load_tolerant_forms(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	char err[256];

	f->cfg.baseline_learn_s = 10;
	b = baseline_new(8, &f->cfg, &test_key);
	write_text(f->path, "exfild-baseline 1 learn_start=1000\r\n"
	    "\r\n"
	    "1 2 learned  - Upper.Example. \r\n"
	    "\t5\t6\tunfamiliar\t::ffff:192.0.2.1\t%61%2e%62\n"
	    "7 8 allowed 2001:db8::1 -");
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	over(b);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 3);
	/* Flags are recomputed: all first seen in [1000, 1000 + 10 s). */
	assert_int_equal(st.familiar, 3);
	assert_true(peek(b, "upper.example")->familiar);
	assert_int_equal(peek(b, "a.b")->first_seen_ns, 5);
	baseline_free(b);
}

/* More destinations saved than the capacity (limits.destinations): the
 * most recently seen are loaded, with one warning naming both numbers. */
static void
test_load_keeps_most_recent(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	char err[256], log[512], want[512];

	f->cfg.baseline_learn_s = 0;
	b = baseline_new(3, &f->cfg, &test_key);
	write_text(f->path, HDR
	    "1 50 unfamiliar - a\n"
	    "1 10 unfamiliar - b\n"
	    "1 40 unfamiliar - c\n"
	    "1 20 unfamiliar - d\n"
	    "1 30 unfamiliar - e\n");
	stderr_capture_begin();
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	stderr_capture_end(log, sizeof(log));
	/* said once, with both numbers, and counted */
	snprintf(want, sizeof(want), "exfild: baseline %s: 5 destinations saved, "
	    "limits.destinations is 3: the 2 least recently seen were not "
	    "loaded\n", f->path);
	assert_string_equal(log, want);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 3);
	assert_int_equal(st.not_loaded, 2);
	assert_int_equal(st.evictions, 0);
	/* The next new one evicts the least recently seen: e (30). */
	see(b, "new", 100);
	assert_int_equal(peek(b, "a")->last_seen_ns, 50);
	assert_int_equal(peek(b, "c")->last_seen_ns, 40);
	assert_int_equal(peek(b, "new")->last_seen_ns, 100);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 3);
	assert_int_equal(st.evictions, 1);
	baseline_free(b);

	/* Ties at the cutoff: the first ones in the file are kept. */
	b = baseline_new(2, &f->cfg, &test_key);
	write_text(f->path, HDR
	    "1 10 unfamiliar - a\n"
	    "1 20 unfamiliar - b\n"
	    "1 10 unfamiliar - c\n"
	    "1 5 unfamiliar - d\n");
	stderr_capture_begin();
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	stderr_capture_end(log, sizeof(log));
	snprintf(want, sizeof(want), "exfild: baseline %s: 4 destinations saved, "
	    "limits.destinations is 2: the 2 least recently seen were not "
	    "loaded\n", f->path);
	assert_string_equal(log, want);
	assert_int_equal(peek(b, "b")->last_seen_ns, 20);
	assert_int_equal(peek(b, "a")->last_seen_ns, 10);

	/* What fits loads in silence; the count is the last file's. */
	write_text(f->path, HDR "1 10 unfamiliar - a\n");
	stderr_capture_begin();
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	stderr_capture_end(log, sizeof(log));
	assert_string_equal(log, "");
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 1);
	assert_int_equal(st.not_loaded, 0);
	baseline_free(b);
}

static void
test_load_recomputes_flags(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	char err[256], dom[] = "ok.test";

	f->cfg.baseline_learn_s = 10;
	f->domains[0] = dom;
	f->cfg.n_baseline_allow_domains = 1;
	allow_net(&f->cfg, "192.0.2.0/24");
	b = baseline_new(8, &f->cfg, &test_key);
	write_text(f->path, "exfild-baseline 1 learn_start=1000000000\n"
	    /* claims familiar but first seen after the window */
	    "11000000000 12000000000 learned - claims.example\n"
	    /* claims allowed but matches nothing */
	    "20000000000 20000000000 allowed - fake.example\n"
	    /* written unfamiliar, but first seen inside the window */
	    "10999999999 30000000000 unfamiliar - early.example\n"
	    /* allowed by the list now */
	    "40000000000 40000000000 unfamiliar - a.ok.test\n"
	    "40000000000 40000000000 unfamiliar 192.0.2.77 -\n");
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	over(b);
	assert_false(peek(b, "claims.example")->familiar);
	assert_false(peek(b, "fake.example")->allowed);
	assert_false(peek(b, "fake.example")->familiar);
	assert_true(peek(b, "early.example")->familiar);
	assert_false(peek(b, "early.example")->allowed);
	assert_true(peek(b, "a.ok.test")->allowed);
	assert_true(see_addr(b, "192.0.2.77", 0)->allowed);
	baseline_get_stats(b, &st);
	assert_int_equal(st.destinations, 5);
	assert_int_equal(st.familiar, 3);
	baseline_free(b);
}

static void
test_load_truncation(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	char err[256], text[2048];
	size_t n, k;
	int rc;

	f->cfg.baseline_learn_s = 10;
	b = baseline_new(8, &f->cfg, &test_key);
	see(b, hostile_name, T0);
	see_addr(b, "2001:db8::1", T0 + 20 * SEC);
	see(b, "plain.example", T0 + 30 * SEC);
	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	baseline_free(b);
	n = read_file(f->path, text, sizeof(text));
	for (k = 0; k <= n; k++) {
		b = baseline_new(8, &f->cfg, &test_key);
		write_bytes(f->path, text, k);
		err[0] = '\0';
		rc = baseline_load(b, f->path, NULL, err, sizeof(err));
		if (rc != 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(strncmp(err, f->path, strlen(f->path)), 0);
		}
		if (k == n)
			assert_int_equal(rc, 0);
		baseline_free(b);
	}
}

static void
test_apply_config(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct baseline_stats st;
	struct config cfg2;
	char dom[] = "Partner.Test";
	struct dest *d;
	uint32_t id, gen;

	b = baseline_new(8, &f->cfg, &test_key);
	id = baseline_observe(b, "x.partner.test", NULL, T0, &d);
	gen = d->gen;
	see(b, "other.test", T0 + 1);
	see_addr(b, "192.0.2.5", T0 + 2);
	see(b, "late.test", T0 + 100 * SEC);
	baseline_get_stats(b, &st);
	assert_int_equal(st.familiar, 0);

	memset(&cfg2, 0, sizeof(cfg2));
	cfg2.baseline_allow_domains = f->domains;
	f->domains[0] = dom;
	cfg2.n_baseline_allow_domains = 1;
	allow_net(&cfg2, "192.0.2.0/28");
	baseline_apply_config(b, &cfg2);
	netset_free(&cfg2.baseline_allow_nets);
	d = baseline_get(b, id, gen);
	assert_non_null(d);
	assert_true(d->allowed);
	assert_true(d->familiar);
	assert_false(peek(b, "other.test")->familiar);
	assert_true(see_addr(b, "192.0.2.5", 0)->allowed);
	baseline_get_stats(b, &st);
	assert_int_equal(st.familiar, 2);

	/* A longer learning period, no allow list: what was not noted while
	 * learning is not learned after the fact. */
	memset(&cfg2, 0, sizeof(cfg2));
	cfg2.baseline_learn_s = 60;
	cfg2.baseline_familiar_by = f->cfg.baseline_familiar_by;
	cfg2.baseline_min_hosts = cfg2.baseline_min_days = 1;
	baseline_apply_config(b, &cfg2);
	over(b);
	assert_false(baseline_get(b, id, gen)->allowed);
	assert_false(baseline_get(b, id, gen)->familiar);
	assert_false(peek(b, "other.test")->familiar);
	assert_false(peek(b, "late.test")->familiar);
	baseline_get_stats(b, &st);
	assert_int_equal(st.familiar, 0);

	/* Back to nothing: eviction then prefers the unfamiliar again. */
	baseline_apply_config(b, &f->cfg);
	baseline_get_stats(b, &st);
	assert_int_equal(st.familiar, 0);
	assert_int_equal(st.destinations, 4);
	baseline_free(b);
}

static void
test_apply_config_reorders_eviction(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct config cfg2;
	char dom[] = "keep.test";

	f->cfg.baseline_learn_s = 0;
	b = baseline_new(3, &f->cfg, &test_key);
	see(b, "a.keep.test", T0);
	see(b, "b", T0 + 1);
	see(b, "c", T0 + 2);
	memset(&cfg2, 0, sizeof(cfg2));
	f->domains[0] = dom;
	cfg2.baseline_allow_domains = f->domains;
	cfg2.n_baseline_allow_domains = 1;
	baseline_apply_config(b, &cfg2);
	/* a is allowed now: b (the oldest unfamiliar) goes first. */
	see(b, "d", T0 + 3);
	peek(b, "a.keep.test");
	peek(b, "c");
	peek(b, "d");
	baseline_free(b);
}

/* A pretend ASN database: 198.51.100.0/24 is AS64500, 2001:db8::/32
 * AS64501, the rest unknown; counts the look-ups. */
static unsigned asn_lookups;

static uint32_t
fake_asn(void *ctx, const struct netaddr *a)
{
	struct netaddr v4 = addr_of("198.51.100.0"), v6 = addr_of("2001:db8::");

	(void)ctx;
	asn_lookups++;
	if (memcmp(a->a, v4.a, 15) == 0)
		return 64500;
	if (memcmp(a->a, v6.a, 4) == 0)
		return 64501;
	return 0;
}

/* The host b of the prevalence tests. */
static const struct netaddr *
host_b(void)
{
	static struct netaddr h;

	h = addr_of("10.0.0.2");
	return &h;
}

#define DAY (86400 * SEC)

/* Prevalence: familiar once learning is over when min_hosts hosts or
 * min_days days used a key (its name, registered domain, address, AS);
 * a host that alerted on it counts for nothing; an attacker's name under
 * an unseen registered domain stays unfamiliar; the reason in words. */
static void
test_prevalence(void **state)
{
	struct fixture *f = *state;
	struct baseline_verdict v;
	struct baseline_stats st;
	struct baseline *b;
	struct netaddr a = addr_of("198.51.100.7"), c = addr_of("198.51.100.9");
	struct dest *wide, *one, *days, *fed, *addr, *d;
	char why[512];

	f->cfg.baseline_learn_s = 7 * 86400;
	f->cfg.baseline_min_hosts = 2;
	f->cfg.baseline_min_days = 2;
	b = baseline_new(64, &f->cfg, &test_key);
	baseline_start_learning(b, T0);
	wide = see(b, "app.saas-example.com", T0);           /* host a */
	baseline_note(b, wide, NULL, host_b(), T0 + SEC);     /* host b */
	one = see(b, "one.example.net", T0);                  /* a only */
	days = see(b, "nightly.backup.example.org", T0);      /* a, day 0 */
	see(b, "nightly.backup.example.org", T0 + DAY);       /* a, day 1 */
	/* the thief's server: two hosts, one of which alerted */
	fed = see(b, "upload.hk-mirror.example.net", T0);
	baseline_note(b, fed, NULL, host_b(), T0);
	baseline_alerted(b, fed, NULL, host_b(), T0 + 2 * SEC);
	/* ... and its later uses count for nothing either */
	baseline_note(b, fed, NULL, host_b(), T0 + DAY);
	/* an address reached by a name resolved in DNS: the name counts */
	assert_int_equal(baseline_observe(b, NULL, &a, T0, &addr) != UINT32_MAX,
	    1);
	baseline_note(b, addr, "cdn.saas-example.com", host_a(), T0);
	/* nothing but the allow list is familiar while learning */
	baseline_get_stats(b, &st);
	assert_true(st.learning);
	assert_int_equal(st.familiar, 0);
	baseline_verdict(b, wide, NULL, &v);
	assert_int_equal(v.why, VERDICT_LEARNING);
	over(b);
	assert_true(wide->familiar);
	assert_false(one->familiar);
	assert_true(days->familiar);
	assert_false(fed->familiar);
	/* the address: by its own key one host, one day; by the resolved
	 * name's registered domain (saas-example.com: 2 hosts), familiar */
	assert_false(addr->familiar);
	assert_true(baseline_label_familiar(b, addr, "cdn.saas-example.com"));
	assert_true(baseline_label_familiar(b, addr, "other.saas-example.com"));
	assert_false(baseline_label_familiar(b, addr, "upd.hk-mirror-cdn.net"));
	/* after learning: a new name under a familiar registered domain is
	 * familiar, one under an unseen one is not */
	assert_true(see(b, "new.saas-example.com", T0 + 8 * DAY)->familiar);
	assert_false(see(b, "upd.hk-mirror-cdn.net", T0 + 8 * DAY)->familiar);
	/* a new address of the same network stays unfamiliar by address */
	d = NULL;
	baseline_observe(b, NULL, &c, T0 + 8 * DAY, &d);
	assert_false(d->familiar);
	baseline_get_stats(b, &st);
	assert_false(st.learning);
	assert_int_equal(st.learned, 3);

	baseline_verdict(b, wide, NULL, &v);
	baseline_verdict_text(b, &v, why, sizeof(why));
	assert_string_equal(why, "learned: name app.saas-example.com used by 2 "
	    "hosts on 1 day");
	baseline_verdict(b, days, NULL, &v);
	baseline_verdict_text(b, &v, why, sizeof(why));
	assert_string_equal(why, "learned: name nightly.backup.example.org used "
	    "by 1 host on 2 days");
	baseline_verdict(b, fed, NULL, &v);
	baseline_verdict_text(b, &v, why, sizeof(why));
	assert_string_equal(why, "not learned: name upload.hk-mirror.example.net "
	    "used by 1 host on 1 day, not counting hosts that alerted (needs 2 "
	    "hosts or 2 days)");
	baseline_verdict(b, d, NULL, &v);
	baseline_verdict_text(b, &v, why, sizeof(why));
	assert_string_equal(why, "not used while learning");
	baseline_verdict(b, peek(b, "new.saas-example.com"), NULL, &v);
	baseline_verdict_text(b, &v, why, sizeof(why));
	assert_string_equal(why, "learned: registered domain saas-example.com "
	    "used by 2 hosts on 1 day");

	/* familiar_by without registered_domain: the new name is not */
	f->cfg.baseline_familiar_by = BASELINE_BY_ADDRESS | BASELINE_BY_NAME;
	baseline_apply_config(b, &f->cfg);
	assert_false(peek(b, "new.saas-example.com")->familiar);
	assert_true(peek(b, "app.saas-example.com")->familiar);
	assert_false(baseline_label_familiar(b, addr, "other.saas-example.com"));
	/* stricter thresholds, judged again from what was saved */
	f->cfg.baseline_familiar_by |= BASELINE_BY_DOMAIN;
	f->cfg.baseline_min_hosts = 3;
	f->cfg.baseline_min_days = 3;
	baseline_apply_config(b, &f->cfg);
	assert_false(peek(b, "app.saas-example.com")->familiar);
	assert_false(peek(b, "nightly.backup.example.org")->familiar);
	baseline_free(b);
}

/* What learning saw survives a save and a load, alerted hosts included. */
static void
test_prevalence_saved(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct dest *d;
	char err[256];

	f->cfg.baseline_learn_s = 86400;
	f->cfg.baseline_min_hosts = 2;
	f->cfg.baseline_min_days = 2;
	b = baseline_new(16, &f->cfg, &test_key);
	baseline_start_learning(b, T0);
	d = see(b, "two.example.com", T0);
	baseline_note(b, d, NULL, host_b(), T0);
	d = see(b, "fed.example.net", T0);
	baseline_alerted(b, d, NULL, host_b(), T0);
	assert_int_equal(baseline_save(b, f->path, NULL, err, sizeof(err)), 0);
	baseline_free(b);
	b = baseline_new(16, &f->cfg, &test_key);
	assert_int_equal(baseline_load(b, f->path, NULL, err, sizeof(err)), 0);
	/* the learning goes on: host b's alert still keeps it out */
	d = peek(b, "fed.example.net");
	baseline_note(b, d, NULL, host_b(), T0 + 10 * SEC);
	over(b);
	assert_true(peek(b, "two.example.com")->familiar);
	assert_false(peek(b, "fed.example.net")->familiar);
	/* positive control: a second host that did not alert makes it so */
	baseline_set_learning_over(b, false);
	baseline_note(b, d, NULL, addr_of_ptr("10.0.0.3"), T0 + 11 * SEC);
	over(b);
	assert_true(peek(b, "fed.example.net")->familiar);
	baseline_free(b);
}

/* familiar_by asn: an address of an autonomous system that two hosts used
 * while learning is familiar, in any of its addresses; without asn in
 * familiar_by it is not (the control). */
static void
test_familiar_by_asn(void **state)
{
	struct fixture *f = *state;
	struct baseline *b;
	struct dest *d;
	struct netaddr a = addr_of("198.51.100.7"), c = addr_of("198.51.100.99");

	f->cfg.baseline_learn_s = 3600;
	f->cfg.baseline_min_hosts = 2;
	f->cfg.baseline_min_days = 2;
	f->cfg.baseline_familiar_by = BASELINE_BY_ADDRESS | BASELINE_BY_ASN;
	b = baseline_new(16, &f->cfg, &test_key);
	baseline_set_asn_lookup(b, fake_asn, NULL);
	baseline_start_learning(b, T0);
	baseline_observe(b, NULL, &a, T0, &d);
	baseline_note(b, d, NULL, host_a(), T0);
	baseline_note(b, d, NULL, host_b(), T0);
	over(b);
	d = NULL;
	baseline_observe(b, NULL, &c, T0 + 7200 * SEC, &d);
	assert_true(d->familiar);
	f->cfg.baseline_familiar_by = BASELINE_BY_ADDRESS;
	baseline_apply_config(b, &f->cfg);
	assert_false(d->familiar);
	assert_true(see_addr(b, "198.51.100.7", 0)->familiar);
	baseline_free(b);
}

/* AS<number> entries allow address-only destinations by their autonomous
 * system, asked once when first seen (and again at a reload); a named
 * destination is allowed by its name only, as with networks. */
static void
test_allow_as(void **state)
{
	struct fixture *f = *state;
	uint32_t asns[] = { 64501, 64500 };
	struct netaddr a = addr_of("198.51.100.7");
	struct baseline *b;
	struct dest *d = NULL;

	f->cfg.baseline_allow_asns = asns;
	f->cfg.n_baseline_allow_asns = 2;
	f->cfg.baseline_learn_s = 0;
	b = baseline_new(32, &f->cfg, &test_key);
	/* no look-up yet: AS entries match nothing */
	assert_false(see_addr(b, "198.51.100.1", T0)->allowed);
	baseline_set_asn_lookup(b, fake_asn, NULL);
	asn_lookups = 0;
	assert_true(see_addr(b, "198.51.100.7", T0)->allowed);
	assert_true(see_addr(b, "198.51.100.7", T0 + SEC)->familiar);
	assert_int_equal(asn_lookups, 1);
	assert_true(see_addr(b, "2001:db8:5::1", T0)->allowed);
	assert_false(see_addr(b, "203.0.113.1", T0)->allowed);
	assert_false(see_addr(b, "203.0.113.1", T0)->familiar);
	baseline_observe(b, "named.example", &a, T0, &d);
	assert_non_null(d);
	assert_false(d->allowed);
	/* a reload asks again: the one seen before the look-up is allowed */
	assert_false(see_addr(b, "198.51.100.1", T0)->allowed);
	baseline_apply_config(b, &f->cfg);
	assert_true(see_addr(b, "198.51.100.1", T0)->allowed);
	/* without AS entries, nothing is asked */
	f->cfg.n_baseline_allow_asns = 0;
	baseline_apply_config(b, &f->cfg);
	asn_lookups = 0;
	assert_false(see_addr(b, "198.51.100.9", T0)->allowed);
	assert_false(see_addr(b, "198.51.100.7", T0)->allowed);
	assert_int_equal(asn_lookups, 0);
	baseline_free(b);
	f->cfg.baseline_allow_asns = NULL;
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_learning_boundary),
		T(test_prevalence),
		T(test_prevalence_saved),
		T(test_familiar_by_asn),
		T(test_no_learning),
		T(test_unidentified_never_familiar),
		T(test_allow_list),
		T(test_allow_as),
		T(test_use_never_makes_familiar),
		T(test_eviction_unfamiliar_first),
		T(test_generation),
		T(test_observe_keys),
		T(test_save_load_round_trip),
		T(test_save_empty_and_not_started),
		T(test_save_atomic),
		T(test_load_errors),
		T(test_load_tolerant_forms),
		T(test_load_keeps_most_recent),
		T(test_load_recomputes_flags),
		T(test_load_truncation),
		T(test_apply_config),
		T(test_apply_config_reorders_eviction),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
