/*
 * test_rule_off_hours.c - the off-hours rule through the engine: the edge
 * of bytes and of working time (20:00 is off-hours), exact evidence, the
 * spell (a night, a weekend; a working day between two nights ends it),
 * growth placed at the later evaluation, suppression, a DST zone, the
 * defaults and config errors, and the traps (late work to a domestic
 * partner, a nightly backup to a familiar cloud) beside positive controls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rule_test.h"

#include "exfild/detect/engine.h"
#include "exfild/detect/registry.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/event.h"

#define SEC 1000000000ULL
/* Monday 2024-06-03 00:00 in Tokyo (UTC+9), in UTC seconds */
#define MON_JST 1717340400ULL
#define MB 1000000ULL

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair pair;
	struct dest dest;
	size_t alerts;
	struct finding last;
};

static struct fixture fx;

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	struct fixture *x = ctx;

	assert_string_equal(r->name, "off-hours");
	assert_int_equal(sev, SEV_MEDIUM);
	x->alerts++;
	memset(&x->last, 0, sizeof(x->last));
	finding_copy(&x->last, f);
}

/* A fixture with this rules.off_hours section ("" for the defaults). */
static void
load(const char *section)
{
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 4, 4 };
	char yaml[1024], err[CONFIG_ERR_LEN];

	memset(&fx, 0, sizeof(fx));
	rule_test_yaml(yaml, sizeof(yaml), "", "off_hours", section);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &fx.cfg,
	    err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	assert_int_equal(netaddr_parse("10.1.20.21", &fx.pair.host), 0);
	fx.pair.country = country_parse("US");
	strcpy(fx.dest.name, "files.example");
}

static void
unload(void)
{
	detect_free(fx.d);
	config_free(fx.cfg);
}

static int
setup(void **state)
{
	(void)state;
	load("");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unload();
	return 0;
}

/* An evaluation at UTC second t with the pair's bytes out now total. */
static void
eval_at(uint64_t t, uint64_t total, unsigned why, bool familiar, bool foreign)
{
	struct rule_input in;
	struct detect_ids ids;

	fx.pair.total_out = total;
	memset(&in, 0, sizeof(in));
	in.cfg = fx.cfg;
	in.ts_ns = t * SEC;
	in.why = why;
	in.at_milestone = why == RULE_ON_BYTES; /* asked as at a byte milestone */
	in.pair = &fx.pair;
	in.dest = &fx.dest;
	in.familiar = familiar;
	in.foreign = foreign;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = fx.pair.gen;
	detect_eval(fx.d, &in, &ids, record, &fx);
}

/* Tokyo time: day 0 = Monday 2024-06-03. */
static uint64_t
jst(int day, int h, int m)
{
	return MON_JST + (uint64_t)day * 86400 + (uint64_t)h * 3600 + (uint64_t)m * 60;
}

static void
bytes_at(uint64_t t, uint64_t total)
{
	eval_at(t, total, RULE_ON_BYTES, false, true);
}

static const char *
text(const char *key)
{
	return finding_text(&fx.last, rule_test_field(&fx.last, key));
}

/* One byte under bytes: quiet; at it: the alert, exact evidence; more:
 * suppressed within rules.suppress, again after it. */
static void
test_bytes_edge_evidence_suppression(void **state)
{
	(void)state;
	bytes_at(jst(0, 21, 0), 2 * MB - 1);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(0, 21, 5), 2 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(fx.last.reason, "10.1.20.21 sent 2000000 bytes to "
	    "files.example (US) outside working hours, since 2024-06-03 20:00 Mon "
	    "(Asia/Tokyo); local time 2024-06-03 21:05 Mon");
	assert_int_equal(fx.last.n, 4);
	assert_int_equal(rule_test_field(&fx.last, "off_hours_bytes")->u64, 2 * MB);
	assert_string_equal(text("spell_start"), "2024-06-03 20:00 Mon");
	assert_string_equal(text("local_time"), "2024-06-03 21:05 Mon");
	assert_string_equal(text("tz"), "Asia/Tokyo");
	bytes_at(jst(0, 22, 4), 3 * MB);
	assert_int_equal(fx.alerts, 1);
	bytes_at(jst(0, 22, 5), 3 * MB + 1);
	assert_int_equal(fx.alerts, 2);
	assert_int_equal(rule_test_field(&fx.last, "off_hours_bytes")->u64, 3 * MB + 1);
}

/* One byte over, at once (a fresh pair): the alert. */
static void
test_bytes_over(void **state)
{
	(void)state;
	bytes_at(jst(2, 3, 0), 2 * MB + 1);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("spell_start"), "2024-06-04 20:00 Tue");
}

/* Working time is [08:00, 20:00): 19:59 counts as work, 20:00 as off-hours,
 * 08:00 as work again, 07:59 as off-hours. Growth between two evaluations
 * is placed at the later one. */
static void
test_working_time_edges(void **state)
{
	(void)state;
	bytes_at(jst(0, 10, 0), 5 * MB);
	bytes_at(jst(0, 19, 59), 10 * MB);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(1, 8, 0), 20 * MB);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(1, 20, 0), 22 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(rule_test_field(&fx.last, "off_hours_bytes")->u64, 2 * MB);
	assert_string_equal(text("local_time"), "2024-06-04 20:00 Tue");
	unload();
	load("");
	bytes_at(jst(1, 7, 59), 2 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("spell_start"), "2024-06-03 20:00 Mon");
}

/* A spell ends with working time, even when the pair is quiet all day;
 * a night and a weekend are one spell each. */
static void
test_spells(void **state)
{
	(void)state;
	bytes_at(jst(0, 23, 0), 1 * MB);
	bytes_at(jst(1, 21, 0), 2 * MB);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(2, 3, 0), 3 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_int_equal(rule_test_field(&fx.last, "off_hours_bytes")->u64, 2 * MB);
	assert_string_equal(text("spell_start"), "2024-06-04 20:00 Tue");
	unload();
	load("");
	bytes_at(jst(4, 21, 0), 1 * MB);
	bytes_at(jst(6, 12, 0), 2 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("spell_start"), "2024-06-07 20:00 Fri");
	assert_string_equal(text("local_time"), "2024-06-09 12:00 Sun");
}

/* Connections do not ask it (byte milestones and the timer do). */
static void
test_connection(void **state)
{
	(void)state;
	eval_at(jst(5, 10, 0), 2 * MB, RULE_ON_CONN, false, true);
	assert_int_equal(fx.alerts, 0);
	eval_at(jst(5, 10, 0), 2 * MB, RULE_ON_TICK, false, true);
	assert_int_equal(fx.alerts, 1);
}

/* Late work to a new domestic partner: not foreign, quiet; the same to a
 * foreign one alerts. A nightly backup to a familiar cloud: quiet; to an
 * unfamiliar one alerts. */
static void
test_traps(void **state)
{
	(void)state;
	eval_at(jst(0, 22, 0), 50 * MB, RULE_ON_BYTES, false, false);
	assert_int_equal(fx.alerts, 0);
	fx.pair.gen++;
	eval_at(jst(0, 22, 0), 50 * MB, RULE_ON_BYTES, false, true);
	assert_int_equal(fx.alerts, 1);
	fx.pair.gen++;
	eval_at(jst(1, 2, 0), 500 * MB, RULE_ON_BYTES, true, true);
	assert_int_equal(fx.alerts, 1);
	fx.pair.gen++;
	eval_at(jst(1, 2, 0), 500 * MB, RULE_ON_BYTES, false, true);
	assert_int_equal(fx.alerts, 2);
}

/* A zone with DST (Europe/Paris): 18:30 UTC is 20:30 in July (off-hours)
 * and 19:30 in January (work). */
static void
test_dst_zone(void **state)
{
	(void)state;
	unload();
	load("tz: Europe/Paris");
	bytes_at(1705343400ULL, 2 * MB);
	assert_int_equal(fx.alerts, 0);
	fx.pair.gen++;
	bytes_at(1719858600ULL, 2 * MB);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("local_time"), "2024-07-01 20:30 Mon");
	assert_string_equal(text("tz"), "Europe/Paris");
}

/* Several ranges, 24:00, a wrapping day range; no working time at all. */
static void
test_ranges(void **state)
{
	(void)state;
	unload();
	load("work: [\"Sat-Mon 00:00-24:00\", \"Wed 09:00-12:00\"], bytes: 1KB");
	bytes_at(jst(0, 23, 59), 1000);
	bytes_at(jst(2, 10, 0), 2000);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(2, 12, 0), 3000);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("spell_start"), "2024-06-05 12:00 Wed");
	unload();
	load("work: [], bytes: 1KB");
	bytes_at(jst(0, 10, 0), 1000);
	assert_int_equal(fx.alerts, 1);
	assert_string_equal(text("spell_start"), "(no working time)");
}

static void
test_defaults(void **state)
{
	double v;

	(void)state;
	assert_int_equal(config_rule_get(fx.cfg, "off_hours", "bytes", &v), 0);
	assert_true(v == 2e6);
	assert_int_equal(config_rule_get(fx.cfg, "off_hours", "enabled", &v), 0);
	assert_true(v == 1);
	assert_int_equal(config_rule_get(fx.cfg, "off_hours", "severity", &v), 0);
	assert_true(v == SEV_MEDIUM);
	bytes_at(jst(0, 19, 59), 2 * MB);
	assert_int_equal(fx.alerts, 0);
	bytes_at(jst(5, 9, 0), 4 * MB);
	assert_int_equal(fx.alerts, 1);
}

static void
config_error(const char *section, const char *want)
{
	struct config *c = NULL;
	char yaml[256], err[CONFIG_ERR_LEN];

	snprintf(yaml, sizeof(yaml), "rules:\n  off_hours: { %s }\n", section);
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void
test_config_errors(void **state)
{
	(void)state;
	config_error("tz: Mars/Olympus", "t.yaml:2:20: rules.off_hours.tz: invalid "
	    "value \"Mars/Olympus\": unknown time zone "
	    "(/usr/share/zoneinfo/Mars/Olympus)");
	config_error("tz: ../../etc/passwd", "t.yaml:2:20: rules.off_hours.tz: "
	    "invalid value \"../../etc/passwd\": not an IANA time zone name");
	config_error("tz: /etc/localtime", "t.yaml:2:20: rules.off_hours.tz: "
	    "invalid value \"/etc/localtime\": not an IANA time zone name");
	config_error("tz: zone.tab", "t.yaml:2:20: rules.off_hours.tz: "
	    "invalid value \"zone.tab\": not an IANA time zone name");
	config_error("tz: Asia", "t.yaml:2:20: rules.off_hours.tz: invalid value "
	    "\"Asia\": unknown time zone (/usr/share/zoneinfo/Asia)");
	config_error("tz: iso3166.tab", "t.yaml:2:20: rules.off_hours.tz: "
	    "invalid value \"iso3166.tab\": not an IANA time zone name");
	config_error("tz: Factory/", "t.yaml:2:20: rules.off_hours.tz: "
	    "invalid value \"Factory/\": unknown time zone "
	    "(/usr/share/zoneinfo/Factory/)");
	config_error("work: [\"Mon-Fry 08:00-20:00\"]", "t.yaml:2:23: "
	    "rules.off_hours.work: invalid value \"Mon-Fry 08:00-20:00\": days "
	    "are Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range of them (Mon-Fri)");
	config_error("work: [\"Mon 20:00-08:00\"]", "t.yaml:2:23: "
	    "rules.off_hours.work: invalid value \"Mon 20:00-08:00\": the end "
	    "must be after the start (a range past midnight is two ranges, up to "
	    "24:00 and from 00:00)");
	config_error("work: [\"Mon 08:00-24:01\"]", "t.yaml:2:23: "
	    "rules.off_hours.work: invalid value \"Mon 08:00-24:01\": expected "
	    "days and HH:MM-HH:MM, as \"Mon-Fri 08:00-20:00\"");
	config_error("work: [\"Mon 8:00-20:00\"]", "t.yaml:2:23: "
	    "rules.off_hours.work: invalid value \"Mon 8:00-20:00\": expected "
	    "days and HH:MM-HH:MM, as \"Mon-Fri 08:00-20:00\"");
	config_error("work: [\"Mon 08:00-20:00 \"]", "t.yaml:2:23: "
	    "rules.off_hours.work: invalid value \"Mon 08:00-20:00 \": expected "
	    "days and HH:MM-HH:MM, as \"Mon-Fri 08:00-20:00\"");
	config_error("bytes: 0", "t.yaml:2:23: rules.off_hours.bytes: must be "
	    "greater than 0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bytes_edge_evidence_suppression,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_working_time_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dst_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
