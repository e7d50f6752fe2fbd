/*
 * test_open_alerts.c - the alerts followed for their alert-update: closed
 * when suppression ends, when the pair is gone (with the totals of the
 * last check), at the end of input and when the table is full; the
 * update keeps the alert's id and names, carries the pair's totals and
 * none of what made the alert fire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/alert/open_alerts.h"

#define SEC 1000000000ULL
#define PAIRS 4

struct fixture {
	struct open_alerts *t;
	/* the pairs: slot i exists with generation gen[i] when alive[i] */
	bool alive[PAIRS];
	uint32_t gen[PAIRS];
	struct alert_totals tot[PAIRS];
	struct alert got[8];      /* the updates written, in order */
	size_t n_got;
};

static bool
totals(void *ctx, uint32_t id, uint32_t gen, struct alert_totals *t)
{
	struct fixture *f = ctx;

	if (id >= PAIRS || !f->alive[id] || f->gen[id] != gen)
		return false;
	*t = f->tot[id];
	return true;
}

static void
emit(void *ctx, const struct alert *u)
{
	struct fixture *f = ctx;

	assert_true(f->n_got < 8);
	f->got[f->n_got++] = *u;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint32_t i;

	assert_non_null(f);
	f->t = open_alerts_new(2, totals, emit, f);
	assert_non_null(f->t);
	for (i = 0; i < PAIRS; i++) {
		f->alive[i] = true;
		f->gen[i] = 7;
		f->tot[i].bytes_out = 1000 * (i + 1);
		f->tot[i].bytes_in = 10 * (i + 1);
		f->tot[i].flows = i + 1;
		f->tot[i].payload[PK_ZIP] = 900 * (i + 1);
		f->tot[i].records_low = i + 1;
		f->tot[i].records_high = 5 * (i + 1);
		f->tot[i].last_ns = 100 * SEC + i;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	open_alerts_free(f->t);
	free(f);
	return 0;
}

/* An alert of pair slot `pair` at ts seconds, with what made it fire. */
static void
add(struct fixture *f, const char *id, uint32_t pair, uint64_t ts_s,
    uint64_t until_s)
{
	char sensor[16];
	struct alert a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	strcpy(sensor, "tap-1");
	a.sensor = sensor; /* gone after the call: the table keeps a copy */
	a.rule = "bulk-upload";
	a.ts_ns = ts_s * SEC;
	a.bytes_out = 1;
	a.flows = 1;
	a.proto = 6;
	a.src_port = 51642;
	strcpy(a.community_id, "1:abc=");
	strcpy(a.http_uri, "/upload.php");
	strcpy(a.finding.reason, "why");
	a.finding.n = 1;
	open_alerts_add(f->t, &a, pair, f->gen[pair], until_s * SEC, ts_s * SEC);
	memset(sensor, 'x', sizeof(sensor) - 1);
}

static void
assert_update(const struct alert *u, const char *id, const char *reason,
    uint64_t ts_s, const struct alert_totals *t)
{
	assert_int_equal(u->kind, ALERT_KIND_UPDATE);
	assert_string_equal(u->id, id);
	assert_string_equal(u->update_reason, reason);
	assert_string_equal(u->sensor, "tap-1");
	assert_string_equal(u->rule, "bulk-upload");
	assert_int_equal(u->ts_ns, ts_s * SEC);
	assert_int_equal(u->bytes_out, t->bytes_out);
	assert_int_equal(u->bytes_in, t->bytes_in);
	assert_int_equal(u->flows, t->flows);
	assert_int_equal(u->payload[PK_ZIP], t->payload[PK_ZIP]);
	assert_int_equal(u->records_low, t->records_low);
	assert_int_equal(u->records_high, t->records_high);
	assert_int_equal(u->last_seen_ns, t->last_ns);
	/* the alert's reasons are not the update's */
	assert_int_equal(u->proto, 0);
	assert_string_equal(u->community_id, "");
	assert_string_equal(u->http_uri, "");
	assert_string_equal(u->finding.reason, "");
	assert_int_equal(u->finding.n, 0);
}

static void
test_suppress_end(void **state)
{
	struct fixture *f = *state;

	add(f, "a1", 1, 10, 3610);
	assert_int_equal(open_alerts_check(f->t, 3609 * SEC), 0);
	assert_int_equal(f->n_got, 0);
	assert_int_equal(open_alerts_count(f->t), 1);
	f->tot[1].bytes_out = 5555; /* the pair went on */
	assert_int_equal(open_alerts_check(f->t, 3610 * SEC), 1);
	assert_int_equal(f->n_got, 1);
	assert_update(&f->got[0], "a1", "suppress_end", 3610, &f->tot[1]);
	assert_int_equal(f->got[0].bytes_out, 5555);
	assert_int_equal(open_alerts_count(f->t), 0);
	assert_int_equal(open_alerts_check(f->t, 9999 * SEC), 0);
	assert_int_equal(f->n_got, 1);
}

/* Evicted (the slot gone, or reused: another generation): the totals of
 * the last check, not the new pair's. */
static void
test_evicted(void **state)
{
	struct fixture *f = *state;
	struct alert_totals before;

	add(f, "a1", 0, 10, 3610);
	add(f, "a2", 2, 11, 3611);
	assert_int_equal(open_alerts_check(f->t, 20 * SEC), 0);
	before = f->tot[2];
	f->gen[2] = 8;
	f->tot[2].bytes_out = 1;
	f->alive[0] = false;
	assert_int_equal(open_alerts_check(f->t, 21 * SEC), 2);
	assert_update(&f->got[0], "a1", "pair_evicted", 21, &f->tot[0]);
	assert_update(&f->got[1], "a2", "pair_evicted", 21, &before);
	assert_int_equal(open_alerts_count(f->t), 0);
}

/* The end of the input closes all, each once; a full table the oldest. */
static void
test_close_all_and_full(void **state)
{
	struct fixture *f = *state;

	add(f, "a1", 0, 10, 3610);
	add(f, "a2", 1, 11, 3611);
	assert_int_equal(f->n_got, 0);
	add(f, "a3", 2, 12, 3612); /* capacity 2: a1 goes */
	assert_int_equal(f->n_got, 1);
	assert_update(&f->got[0], "a1", "table_full", 12, &f->tot[0]);
	assert_int_equal(open_alerts_count(f->t), 2);
	f->alive[2] = false;
	assert_int_equal(open_alerts_close_all(f->t, 50 * SEC), 2);
	assert_int_equal(f->n_got, 3);
	assert_update(&f->got[1], "a2", "end_of_input", 50, &f->tot[1]);
	/* a3's pair went before any check: the alert's own figures */
	assert_string_equal(f->got[2].id, "a3");
	assert_string_equal(f->got[2].update_reason, "pair_evicted");
	assert_int_equal(f->got[2].bytes_out, 1);
	assert_int_equal(f->got[2].last_seen_ns, 12 * SEC);
	assert_int_equal(open_alerts_close_all(f->t, 60 * SEC), 0);
	assert_int_equal(f->n_got, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_suppress_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_all_and_full, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
