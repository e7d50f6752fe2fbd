/*
 * test_rules.c - the rule engine and the two upload rules of the registry:
 * thresholds at the edge (one under, at, over), the ratio, the
 * familiarity and foreignness gates, suppression per rule and pair (and
 * its end when the pair's slot is reused), disabled rules, the combined
 * gate, registry look-ups and every rule's declaration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/detect/attack.h"
#include "exfild/detect/engine.h"
#include "exfild/detect/registry.h"
#include "exfild/track/agg.h"

#define SEC 1000000000ULL

static char fired[8][32];
static enum severity fired_sev[8];
static const char *fired_threshold[8];
static uint64_t fired_limit[8], fired_value[8];
static size_t nfired;

static void
record(void *ctx, const struct rule_def *r, enum severity sev,
    const struct finding *f)
{
	(void)ctx;
	if (nfired < 8) {
		strcpy(fired[nfired], r->name);
		fired_sev[nfired] = sev;
		fired_threshold[nfired] = f->threshold;
		fired_limit[nfired] = f->limit.u64;
		fired_value[nfired] = f->value.u64;
	}
	nfired++;
}

struct fixture {
	struct config *cfg;
	struct detect *d;
	struct pair p;
};

static int
setup(void **state)
{
	static struct fixture fx;
	const size_t cap[RULE_SCOPE_COUNT] = { 0, 4, 0, 4 };
	char err[CONFIG_ERR_LEN];
	const char *yaml = "rules: { suppress: 1h, bulk_upload: { bytes: 1000,"
	    " min_ratio: 3 }, compressed_upload: { bytes: 500 } }\n";

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml),
	    &fx.cfg, err, sizeof(err)), 0);
	fx.d = detect_new(fx.cfg, cap);
	*state = &fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	detect_free(fx->d);
	config_free(fx->cfg);
	return 0;
}

/* Asks the engine about pair slot 1 (generation gen) at ts. */
static size_t
eval_gen(struct fixture *fx, bool familiar, bool foreign, uint64_t ts,
    uint32_t gen)
{
	struct rule_input in;
	struct detect_ids ids;

	memset(&in, 0, sizeof(in));
	in.cfg = fx->cfg;
	in.ts_ns = ts;
	in.why = RULE_ON_BYTES;
	in.pair = &fx->p;
	in.familiar = familiar;
	in.foreign = foreign;
	memset(&ids, 0xff, sizeof(ids));
	ids.id[RULE_SCOPE_PAIR] = 1;
	ids.gen[RULE_SCOPE_PAIR] = gen;
	nfired = 0;
	return detect_eval(fx->d, &in, &ids, record, NULL);
}

static size_t
eval(struct fixture *fx, bool familiar, bool foreign, uint64_t ts)
{
	return eval_gen(fx, familiar, foreign, ts, 0);
}

static void
test_bulk_threshold_and_ratio(void **state)
{
	struct fixture *fx = *state;

	fx->p.win.out = 999;
	assert_int_equal(eval(fx, false, true, SEC), 0);
	fx->p.win.out = 1000;
	fx->p.win.in = 334; /* 1000 < 3 * 334 */
	assert_int_equal(eval(fx, false, true, SEC), 0);
	fx->p.win.in = 333;
	assert_int_equal(eval(fx, false, true, SEC), 1);
	assert_string_equal(fired[0], "bulk-upload");
	assert_int_equal(fired_sev[0], SEV_HIGH);
	/* why it fired: the setting and the figure that reached it */
	assert_string_equal(fired_threshold[0], "rules.bulk_upload.bytes");
	assert_int_equal(fired_limit[0], 1000);
	assert_int_equal(fired_value[0], 1000);
	fx->p.win.out = 1001; /* over, and suppressed now */
	assert_int_equal(eval(fx, false, true, 2 * SEC), 0);
}

static void
test_gates_familiar_and_domestic(void **state)
{
	struct fixture *fx = *state;

	fx->p.win.out = 5000;
	fx->p.win.compressed = 5000;
	assert_int_equal(eval(fx, true, true, SEC), 0);
	assert_int_equal(eval(fx, false, false, SEC), 0);
	/* positive control: the same pair, unfamiliar and foreign */
	assert_int_equal(eval(fx, false, true, SEC), 2);
	assert_string_equal(fired[0], "bulk-upload");
	assert_string_equal(fired[1], "compressed-upload");
	assert_int_equal(fired_sev[1], SEV_CRITICAL);
	assert_string_equal(fired_threshold[1], "rules.compressed_upload.bytes");
	assert_int_equal(fired_limit[1], 500);
	assert_int_equal(fired_value[1], 5000);
}

static void
test_compressed_threshold(void **state)
{
	struct fixture *fx = *state;

	fx->p.win.out = 600;
	fx->p.win.in = 600;
	fx->p.win.compressed = 499;
	assert_int_equal(eval(fx, false, true, SEC), 0);
	fx->p.win.compressed = 500;
	assert_int_equal(eval(fx, false, true, SEC), 1);
	assert_string_equal(fired[0], "compressed-upload");
}

static void
test_suppression_per_rule(void **state)
{
	struct fixture *fx = *state;

	fx->p.win.compressed = 600;
	fx->p.win.out = 600;
	assert_int_equal(eval(fx, false, true, 10 * SEC), 1);
	assert_int_equal(eval(fx, false, true, 20 * SEC), 0);
	fx->p.win.out = 2000; /* bulk not yet fired: fires despite the other's suppression */
	assert_int_equal(eval(fx, false, true, 30 * SEC), 1);
	assert_string_equal(fired[0], "bulk-upload");
	assert_int_equal(eval(fx, false, true, (10 + 3599) * SEC), 0);
	/* a packet stamped before the alert is within the period too */
	assert_int_equal(eval(fx, false, true, 5 * SEC), 0);
	assert_int_equal(eval(fx, false, true, (10 + 3600) * SEC), 1);
	assert_string_equal(fired[0], "compressed-upload");
}

/* The pair's slot was reused (new generation): its suppression is gone. */
static void
test_suppression_ends_with_the_pair(void **state)
{
	struct fixture *fx = *state;

	fx->p.win.compressed = 600;
	fx->p.win.out = 600;
	assert_int_equal(eval_gen(fx, false, true, 10 * SEC, 7), 1);
	assert_int_equal(eval_gen(fx, false, true, 11 * SEC, 7), 0);
	assert_int_equal(eval_gen(fx, false, true, 12 * SEC, 8), 1);
}

static void
test_disabled_rule_and_gate(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg;
	char err[CONFIG_ERR_LEN];
	const char *yaml = "rules: { bulk_upload: { enabled: false, bytes: 1000 },"
	    " compressed_upload: { bytes: 700 } }\n";

	assert_int_equal(config_load_string("t.yaml", yaml, strlen(yaml), &cfg,
	    err, sizeof(err)), 0);
	detect_apply_config(fx->d, cfg);
	assert_true(detect_gate(fx->d, RULE_ON_BYTES)->all_unfamiliar_foreign);
	/* only the rule over compressed bytes is on: no window of plain
	 * bytes asks the rules */
	assert_true(detect_gate(fx->d, RULE_ON_BYTES)->min_window_out == UINT64_MAX);
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->min_window_compressed,
	    700);
	fx->p.win.out = 5000;
	assert_int_equal(eval(fx, false, true, SEC), 0);
	fx->p.win.compressed = 700; /* positive control */
	assert_int_equal(eval(fx, false, true, SEC), 1);
	assert_string_equal(fired[0], "compressed-upload");
	detect_apply_config(fx->d, fx->cfg);
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->min_window_out, 1000);
	assert_int_equal(detect_gate(fx->d, RULE_ON_BYTES)->min_window_compressed,
	    500);
	config_free(cfg);
}

/* A finding holds at most FINDING_FIELDS_MAX fields and FINDING_TEXT_MAX
 * bytes of strings, cut short, never more. */
static void
test_finding_bounds(void **state)
{
	struct finding f, g;
	char big[2 * FINDING_TEXT_MAX], buf[32];
	bool number;
	size_t i;

	(void)state;
	finding_init(&f);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	finding_reason(&f, "%s", big);
	assert_int_equal(strlen(f.reason), FINDING_REASON_MAX - 1);
	assert_true(finding_str(&f, "a", big));
	assert_int_equal(strlen(finding_text(&f, &f.f[0])), FINDING_TEXT_MAX - 1);
	assert_false(finding_str(&f, "b", "y")); /* no text left */
	assert_int_equal(f.n, 1);
	for (i = 1; i < FINDING_FIELDS_MAX; i++)
		assert_true(finding_u64(&f, "n", i));
	assert_false(finding_u64(&f, "n", 99));
	assert_false(finding_double(&f, "d", 1.5));
	assert_int_equal(f.n, FINDING_FIELDS_MAX);
	assert_string_equal(finding_value(&f, &f.f[2], buf, sizeof(buf), &number), "2");
	assert_true(number);
	assert_int_equal(finding_longest(&f), FINDING_TEXT_MAX - 1);
	memset(&g, 0, sizeof(g));
	finding_copy(&g, &f);
	assert_string_equal(finding_text(&g, &g.f[0]), finding_text(&f, &f.f[0]));
	assert_string_equal(g.reason, f.reason);
	finding_init(&f);
	assert_true(finding_double(&f, "d", 1.0 / 0.0));
	assert_string_equal(finding_value(&f, &f.f[0], buf, sizeof(buf), &number), "");
	assert_false(number);
}

/* Every rule declares what the engine and the loader need. */
static void
test_registry_declarations(void **state)
{
	const struct rule_def *const *r;
	size_t n, i, j;

	(void)state;
	r = rules_registry(&n);
	assert_true(n >= 2 && n <= RULES_MAX);
	for (i = 0; i < n; i++) {
		assert_non_null(r[i]->name);
		assert_non_null(r[i]->title);
		assert_non_null(r[i]->match);
		assert_non_null(r[i]->gate);
		assert_non_null(r[i]->attack);
		assert_non_null(r[i]->attack[0]);
		/* every technique is in the catalogue, so every format names
		 * it and its tactic */
		for (j = 0; r[i]->attack[j] != NULL; j++)
			if (attack_technique(r[i]->attack[j]) == NULL)
				fail_msg("%s: %s is not in attack.c", r[i]->name,
				    r[i]->attack[j]);
		assert_true(r[i]->settings.size <= RULE_CONF_MAX);
		assert_true(r[i]->settings.n_params <= RULE_PARAMS_MAX);
		assert_int_equal(rules_index(r[i]->name), (int)i);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(r[i]->name, r[j]->name);
			assert_string_not_equal(r[i]->settings.key, r[j]->settings.key);
		}
	}
	assert_int_equal(rules_index("compressed-upload"), 1);
	assert_int_equal(rules_index("nope"), -1);
}

/* The catalogue's names and tactics, and a rule's tactics in order. */
static void
test_attack_catalogue(void **state)
{
	static const char *const staging[] = { "T1074", "T1041", "T1048", NULL };
	static const char *const unknown[] = { "T9999", NULL };
	const struct attack_technique *t, *tac[ATTACK_TACTICS_MAX];

	(void)state;
	t = attack_technique("T1041");
	assert_non_null(t);
	assert_string_equal(t->name, "Exfiltration Over C2 Channel");
	assert_string_equal(t->tactic_id, "TA0010");
	assert_string_equal(t->tactic, "Exfiltration");
	t = attack_technique("T1573");
	assert_non_null(t);
	assert_string_equal(t->tactic, "Command and Control");
	assert_null(attack_technique("T1078"));
	assert_int_equal(attack_tactics(staging, tac, ATTACK_TACTICS_MAX), 2);
	assert_string_equal(tac[0]->tactic, "Collection");
	assert_string_equal(tac[1]->tactic, "Exfiltration");
	assert_int_equal(attack_tactics(unknown, tac, ATTACK_TACTICS_MAX), 0);
	assert_int_equal(attack_tactics(NULL, tac, ATTACK_TACTICS_MAX), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bulk_threshold_and_ratio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gates_familiar_and_domestic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compressed_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_per_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_ends_with_the_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_rule_and_gate, setup, teardown),
		cmocka_unit_test(test_finding_bounds),
		cmocka_unit_test(test_registry_declarations),
		cmocka_unit_test(test_attack_catalogue),
	};
	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
