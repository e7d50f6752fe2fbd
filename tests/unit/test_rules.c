/*
 * test_rules.c - bulk-upload and compressed-upload thresholds, ratio,
 * familiarity and foreignness gates, suppression per rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/detect/rules.h"

#define SEC 1000000000ULL

static char fired[8][32];
static size_t nfired;

static void
record(void *ctx, const struct rule *r, const struct rule_conf *rc)
{
	(void)ctx;
	(void)rc;
	if (nfired < 8)
		strcpy(fired[nfired], r->name);
	nfired++;
}

static void
setup_cfg(struct config *cfg)
{
	config_defaults(cfg);
	cfg->bulk_upload.bytes = 1000;
	cfg->bulk_upload.min_ratio = 3;
	cfg->compressed_upload.bytes = 500;
	cfg->rules_suppress_s = 3600;
}

static size_t
eval(struct config *cfg, struct pair *p, bool familiar, bool foreign, uint64_t ts)
{
	struct rule_input in = { cfg, p, familiar, foreign };

	nfired = 0;
	return rules_eval(&in, p, ts, record, NULL);
}

static void
test_bulk_threshold_and_ratio(void **state)
{
	struct config cfg;
	struct pair p;

	(void)state;
	setup_cfg(&cfg);
	memset(&p, 0, sizeof(p));
	p.win.out = 999;
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 0);
	p.win.out = 1000;
	p.win.in = 334; /* 1000 < 3 * 334 */
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 0);
	p.win.in = 333;
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 1);
	assert_string_equal(fired[0], "bulk-upload");
}

static void
test_gates_familiar_and_domestic(void **state)
{
	struct config cfg;
	struct pair p;

	(void)state;
	setup_cfg(&cfg);
	memset(&p, 0, sizeof(p));
	p.win.out = 5000;
	p.win.compressed = 5000;
	assert_int_equal(eval(&cfg, &p, true, true, SEC), 0);
	assert_int_equal(eval(&cfg, &p, false, false, SEC), 0);
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 2);
	assert_string_equal(fired[0], "bulk-upload");
	assert_string_equal(fired[1], "compressed-upload");
}

static void
test_compressed_threshold(void **state)
{
	struct config cfg;
	struct pair p;

	(void)state;
	setup_cfg(&cfg);
	memset(&p, 0, sizeof(p));
	p.win.out = 600;
	p.win.in = 600;
	p.win.compressed = 499;
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 0);
	p.win.compressed = 500;
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 1);
	assert_string_equal(fired[0], "compressed-upload");
}

static void
test_suppression_per_rule(void **state)
{
	struct config cfg;
	struct pair p;

	(void)state;
	setup_cfg(&cfg);
	memset(&p, 0, sizeof(p));
	p.win.compressed = 600;
	p.win.out = 600;
	assert_int_equal(eval(&cfg, &p, false, true, 10 * SEC), 1);
	assert_int_equal(eval(&cfg, &p, false, true, 20 * SEC), 0);
	p.win.out = 2000; /* bulk not yet fired: fires despite the other's suppression */
	assert_int_equal(eval(&cfg, &p, false, true, 30 * SEC), 1);
	assert_string_equal(fired[0], "bulk-upload");
	assert_int_equal(eval(&cfg, &p, false, true, (10 + 3599) * SEC), 0);
	assert_int_equal(eval(&cfg, &p, false, true, (10 + 3600) * SEC), 1);
	assert_string_equal(fired[0], "compressed-upload");
}

static void
test_disabled_rule(void **state)
{
	struct config cfg;
	struct pair p;

	(void)state;
	setup_cfg(&cfg);
	cfg.bulk_upload.enabled = false;
	memset(&p, 0, sizeof(p));
	p.win.out = 5000;
	assert_int_equal(eval(&cfg, &p, false, true, SEC), 0);
	assert_non_null(rules_find("compressed-upload"));
	assert_null(rules_find("nope"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_threshold_and_ratio),
		cmocka_unit_test(test_gates_familiar_and_domestic),
		cmocka_unit_test(test_compressed_threshold),
		cmocka_unit_test(test_suppression_per_rule),
		cmocka_unit_test(test_disabled_rule),
	};
	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
