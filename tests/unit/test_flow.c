/*
 * test_flow.c - flow table: lookup, both directions, eviction when full
 * (closed, then without client payload, then least recently used), the
 * per-host half-open cap, evicted flows taken up again, idle and closed
 * timeouts, release callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/track/flow.h"

static const struct hash_key test_key = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
#define SEC 1000000000ULL

static unsigned released;
static uint16_t last_released_port;

static void
on_release(void *ctx, struct flow *f)
{
	(void)ctx;
	released++;
	last_released_port = f->key.host_port;
}

static struct flow_key
key_for(uint16_t host_port)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	netaddr_parse("10.1.20.21", &k.host);
	netaddr_parse("203.0.113.66", &k.peer);
	k.host_port = host_port;
	k.peer_port = 443;
	k.proto = 6;
	return k;
}

static void
test_get_create_and_find(void **state)
{
	struct flowtab *t = flowtab_new(4, 128, &test_key, on_release, NULL);
	struct flow_key k = key_for(40000);
	struct flow *f, *g;
	bool created;
	struct flow_stats st;

	(void)state;
	assert_null(flowtab_get(t, &k, 1000, false, &created));
	f = flowtab_get(t, &k, 1000, true, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(f->first_ns, 1000);
	assert_int_equal(f->pair_id, FLOW_NONE);
	g = flowtab_get(t, &k, 2000, true, &created);
	assert_ptr_equal(f, g);
	assert_false(created);
	assert_int_equal(g->last_ns, 2000);
	k.peer_port = 80;
	assert_null(flowtab_get(t, &k, 2000, false, NULL));
	flowtab_get_stats(t, &st);
	assert_int_equal(st.created, 1);
	assert_int_equal(st.active, 1);
	flowtab_free(t);
}

static void
test_lru_eviction_when_full(void **state)
{
	struct flowtab *t = flowtab_new(3, 128, &test_key, on_release, NULL);
	struct flow_key k;
	struct flow_stats st;
	uint16_t port;

	(void)state;
	released = 0;
	for (port = 1; port <= 3; port++) {
		k = key_for(port);
		flowtab_get(t, &k, port * 10 * SEC, true, NULL);
	}
	k = key_for(1); /* touch 1: now 2 is least recently used */
	flowtab_get(t, &k, 100 * SEC, true, NULL);
	k = key_for(4);
	flowtab_get(t, &k, 110 * SEC, true, NULL);
	assert_int_equal(released, 1);
	assert_int_equal(last_released_port, 2);
	k = key_for(2);
	assert_null(flowtab_get(t, &k, 120, false, NULL));
	flowtab_get_stats(t, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.active, 3);
	flowtab_free(t);
}

static void
test_closed_flows_evicted_first(void **state)
{
	struct flowtab *t = flowtab_new(2, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2), k3 = key_for(3);
	struct flow *f2;

	(void)state;
	released = 0;
	flowtab_get(t, &k1, 10, true, NULL);
	f2 = flowtab_get(t, &k2, 20, true, NULL);
	flowtab_mark_closed(t, f2);
	flowtab_get(t, &k3, 30, true, NULL);
	assert_int_equal(last_released_port, 2);
	assert_non_null(flowtab_get(t, &k1, 40, false, NULL));
	flowtab_free(t);
}


/* Flows with client payload outlive those without, whatever their age. */
static void
test_unassured_evicted_before_assured(void **state)
{
	struct flowtab *t = flowtab_new(3, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2), k3 = key_for(3),
	    k4 = key_for(4), k5 = key_for(5);
	struct flow_stats st;

	(void)state;
	released = 0;
	flowtab_assure(t, flowtab_get(t, &k1, 10 * SEC, true, NULL)); /* oldest */
	flowtab_get(t, &k2, 20 * SEC, true, NULL);
	flowtab_assure(t, flowtab_get(t, &k3, 30 * SEC, true, NULL));
	flowtab_get(t, &k4, 40 * SEC, true, NULL);
	assert_int_equal(last_released_port, 2);
	flowtab_get(t, &k5, 50 * SEC, true, NULL);   /* k4, the newest, still goes */
	assert_int_equal(last_released_port, 4);
	assert_non_null(flowtab_get(t, &k1, 60 * SEC, false, NULL));
	flowtab_get_stats(t, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.evicted_half_open, 2);
	/* only flows with payload left: the least recently used of them (k1
	 * was used at 60 s) */
	flowtab_assure(t, flowtab_get(t, &k5, 70 * SEC, false, NULL));
	flowtab_get(t, &k2, 80 * SEC, true, NULL);
	assert_int_equal(last_released_port, 3);
	flowtab_get_stats(t, &st);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.evicted_half_open, 2);
	flowtab_free(t);
}

/* One host's flows without payload are capped; payload, close and release
 * each give a place back; another host is not held back. */
static void
test_half_open_cap_per_host(void **state)
{
	struct flowtab *t = flowtab_new(16, 3, &test_key, on_release, NULL);
	struct flow_key k = key_for(1), other = key_for(9);
	struct flow *f[3];
	struct flow_stats st;
	uint16_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		k = key_for((uint16_t)(i + 1));
		assert_true(flowtab_may_open(t, &k.host));
		f[i] = flowtab_get(t, &k, 10, true, NULL);
		flowtab_hold_half_open(t, f[i]);
	}
	assert_false(flowtab_may_open(t, &k.host));
	netaddr_parse("10.1.20.22", &other.host);
	assert_true(flowtab_may_open(t, &other.host));
	flowtab_assure(t, f[0]);
	assert_true(flowtab_may_open(t, &k.host));
	k = key_for(4);
	flowtab_hold_half_open(t, flowtab_get(t, &k, 20, true, NULL));
	assert_false(flowtab_may_open(t, &k.host));
	flowtab_mark_closed(t, f[1]);
	assert_true(flowtab_may_open(t, &k.host));
	k = key_for(5);
	flowtab_hold_half_open(t, flowtab_get(t, &k, 30, true, NULL));
	assert_false(flowtab_may_open(t, &k.host));
	flowtab_remove(t, f[2]);
	assert_true(flowtab_may_open(t, &k.host));
	flowtab_get_stats(t, &st);
	assert_int_equal(st.half_open_refused, 3);
	flowtab_free(t);
}

static struct flow *
assured_flow(struct flowtab *t, uint16_t port, uint64_t ts)
{
	struct flow_key k = key_for(port);
	struct flow *f = flowtab_get(t, &k, ts, true, NULL);

	flowtab_assure(t, f);
	return f;
}

/* An evicted upload is taken up where it was by its next segment. */
static void
test_evicted_flow_resumes(void **state)
{
	struct flowtab *t = flowtab_new(2, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1);
	struct flow *f;
	struct flow_stats st;
	uint32_t seq = 5000;

	(void)state;
	f = assured_flow(t, 1, 10);
	f->kind = 3;
	f->app = FLOW_APP_HTTP;
	f->pair_id = 77;
	f->pair_gen = 8;
	f->dest_id = 55;
	f->bytes_out = 123456;
	f->seq_valid = true;
	f->next_seq_out = 5000;
	f->app_slot = 9;       /* reading a head when it went */
	(void)assured_flow(t, 2, 20);
	(void)assured_flow(t, 3, 30);   /* evicts port 1 */
	assert_null(flowtab_get(t, &k1, 40, false, NULL));
	f = flowtab_resume_at(t, &k1, flowtab_bucket(t, &k1), 40, &seq);
	assert_non_null(f);
	assert_int_equal(f->kind, 3);
	assert_int_equal(f->app, FLOW_APP_HTTP);
	assert_int_equal(f->pair_id, 77);
	assert_int_equal(f->pair_gen, 8);
	assert_int_equal(f->dest_id, 55);
	assert_int_equal(f->bytes_out, 123456);
	assert_int_equal(f->first_ns, 10);
	assert_int_equal(f->last_ns, 40);
	assert_int_equal(f->app_slot, FLOW_NONE);
	assert_true(f->parser_lost);
	assert_ptr_equal(flowtab_get(t, &k1, 41, false, NULL), f);
	flowtab_get_stats(t, &st);
	assert_int_equal(st.resumed, 1);
	assert_int_equal(st.evicted, 2);       /* port 2 made room for it */
	/* taken once: what was remembered is gone */
	k1 = key_for(2);
	assert_non_null(flowtab_resume_at(t, &k1, flowtab_bucket(t, &k1), 50,
	    NULL));
	assert_null(flowtab_resume_at(t, &k1, flowtab_bucket(t, &k1), 50,
	    NULL));
	flowtab_free(t);
}

/* Not taken up: a segment far from where the stream stopped, a new
 * connection with the same ports, a flow that carried no payload. */
static void
test_resume_refused(void **state)
{
	struct flowtab *t = flowtab_new(4, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2), k3 = key_for(3),
	    k7 = key_for(7);
	struct flow *f;
	uint32_t far = 5000 + 70000;
	uint16_t port;

	(void)state;
	f = assured_flow(t, 1, 10);
	f->seq_valid = true;
	f->next_seq_out = 5000;
	for (port = 2; port <= 5; port++)     /* 5 evicts 1 */
		(void)assured_flow(t, port, 10 * port);
	assert_null(flowtab_resume_at(t, &k1, flowtab_bucket(t, &k1), 60, &far));
	(void)assured_flow(t, 6, 70);         /* evicts 2: remembered */
	flowtab_get(t, &k2, 80, true, NULL);  /* a new connection: forgotten */
	flowtab_get(t, &k7, 90, true, NULL);  /* evicts 2 (no payload) */
	assert_null(flowtab_resume_at(t, &k2, flowtab_bucket(t, &k2), 100, NULL));
	/* the positive control: 3, evicted with payload, comes back */
	assert_non_null(flowtab_resume_at(t, &k3, flowtab_bucket(t, &k3), 110,
	    NULL));
	flowtab_free(t);
}

static void
test_expire_idle_and_closed(void **state)
{
	struct flowtab *t = flowtab_new(8, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2), k3 = key_for(3);
	struct flow_stats st;
	struct flow *f;

	(void)state;
	released = 0;
	flowtab_get(t, &k1, 0, true, NULL);        /* open, idle since 0 */
	f = flowtab_get(t, &k2, 50, true, NULL);   /* closed at 50 */
	flowtab_mark_closed(t, f);
	flowtab_get(t, &k3, 90, true, NULL);       /* open, recent */
	flowtab_expire(t, 100, 100, 10);           /* idle 100, closed 10 */
	assert_int_equal(released, 1);             /* only the closed one */
	assert_int_equal(last_released_port, 2);
	flowtab_expire(t, 101, 100, 10);           /* k1 idle 101 > 100 */
	assert_int_equal(released, 2);
	assert_int_equal(last_released_port, 1);
	assert_non_null(flowtab_get(t, &k3, 101, false, NULL));
	flowtab_get_stats(t, &st);
	assert_int_equal(st.expired, 2);
	flowtab_flush(t);
	assert_int_equal(released, 3);
	flowtab_get_stats(t, &st);
	assert_int_equal(st.active, 0);
	flowtab_free(t);
}

/* A flow touched again within a second keeps its place (relinks are
 * rate-limited), one touched a second later moves to the tail. */
static void
test_lru_relink_grain(void **state)
{
	struct flowtab *t = flowtab_new(2, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2), k3 = key_for(3);

	(void)state;
	released = 0;
	flowtab_get(t, &k1, 0, true, NULL);
	flowtab_get(t, &k2, 1, true, NULL);
	flowtab_get(t, &k1, SEC - 1, true, NULL); /* within the grain: no move */
	flowtab_get(t, &k3, SEC, true, NULL);
	assert_int_equal(last_released_port, 1);
	flowtab_get(t, &k2, 2 * SEC, true, NULL); /* a second later: moves */
	flowtab_get(t, &k1, 2 * SEC, true, NULL);
	assert_int_equal(last_released_port, 3);
	flowtab_free(t);
}

/* An old head whose last packet is recent is kept (moved), not expired. */
static void
test_expire_rechecks_last_packet(void **state)
{
	struct flowtab *t = flowtab_new(4, 128, &test_key, on_release, NULL);
	struct flow_key k1 = key_for(1), k2 = key_for(2);

	(void)state;
	released = 0;
	flowtab_get(t, &k1, 0, true, NULL);
	flowtab_get(t, &k2, 10, true, NULL);
	flowtab_get(t, &k1, SEC / 2, true, NULL); /* last_ns moves, lru_ns not */
	flowtab_expire(t, 100 * SEC, 100 * SEC - SEC / 4, SEC);
	assert_int_equal(released, 1);
	assert_int_equal(last_released_port, 2);
	assert_non_null(flowtab_get(t, &k1, 100 * SEC, false, NULL));
	flowtab_free(t);
}

/* One lookup finds the flow from either direction and says which. */
static void
test_find_packet_both_directions(void **state)
{
	struct flowtab *t = flowtab_new(4, 128, &test_key, NULL, NULL);
	struct flow_key k = key_for(40000), rev, other;
	struct flow *f;
	bool from_host = false;

	(void)state;
	f = flowtab_get(t, &k, 10, true, NULL);
	assert_ptr_equal(flowtab_find_packet(t, &k, 20, &from_host), f);
	assert_true(from_host);
	rev = k;
	rev.host = k.peer;
	rev.peer = k.host;
	rev.host_port = k.peer_port;
	rev.peer_port = k.host_port;
	assert_ptr_equal(flowtab_find_packet(t, &rev, 30, &from_host), f);
	assert_false(from_host);
	assert_int_equal(f->last_ns, 30);
	other = rev;
	other.peer_port = 40001; /* not the same connection */
	assert_null(flowtab_find_packet(t, &other, 40, &from_host));
	other = k;
	other.proto = 17;
	assert_null(flowtab_find_packet(t, &other, 40, &from_host));
	flowtab_free(t);
}

static void
test_many_flows_bounded(void **state)
{
	struct flowtab *t = flowtab_new(100, 128, &test_key, NULL, NULL);
	struct flow_stats st;
	struct flow_key k;
	unsigned i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		k = key_for((uint16_t)i);
		k.peer.a[15] = (uint8_t)(i >> 8);
		flowtab_get(t, &k, i, true, NULL);
	}
	flowtab_get_stats(t, &st);
	assert_int_equal(st.created, 10000);
	assert_int_equal(st.active, 100);
	assert_int_equal(st.evicted, 9900);
	flowtab_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_create_and_find),
		cmocka_unit_test(test_lru_eviction_when_full),
		cmocka_unit_test(test_closed_flows_evicted_first),
		cmocka_unit_test(test_unassured_evicted_before_assured),
		cmocka_unit_test(test_half_open_cap_per_host),
		cmocka_unit_test(test_evicted_flow_resumes),
		cmocka_unit_test(test_resume_refused),
		cmocka_unit_test(test_expire_idle_and_closed),
		cmocka_unit_test(test_lru_relink_grain),
		cmocka_unit_test(test_expire_rechecks_last_packet),
		cmocka_unit_test(test_find_packet_both_directions),
		cmocka_unit_test(test_many_flows_bounded),
	};
	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
