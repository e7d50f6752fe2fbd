/*
 * rule_test.h - for the test of one rule: its configuration with every
 * other rule of the registry disabled, so that each rule is tested alone
 * (its own alerts, its own gate) however many rules are added later; an
 * evidence field by its key. Include after cmocka.h.
 */
#ifndef EXFILD_TEST_RULE_TEST_H
#define EXFILD_TEST_RULE_TEST_H

#include <stdio.h>
#include <string.h>

#include "exfild/detect/finding.h"
#include "exfild/detect/registry.h"

/* "<prefix>rules: { other: { enabled: false }, ..., <section>: { <keys> } }" */
static inline void
rule_test_yaml(char *out, size_t n, const char *prefix, const char *section,
    const char *keys)
{
	const struct rule_def *const *defs;
	size_t i, count, o;

	defs = rules_registry(&count);
	o = (size_t)snprintf(out, n, "%srules: { ", prefix);
	for (i = 0; i < count && o < n; i++)
		if (strcmp(defs[i]->settings.key, section) != 0)
			o += (size_t)snprintf(out + o, n - o, "%s: { enabled: false }, ",
			    defs[i]->settings.key);
	if (o < n)
		snprintf(out + o, n - o, "%s: { %s } }\n", section, keys);
}

/* The evidence field called key; the test fails when there is none. */
static inline const struct finding_field *
rule_test_field(const struct finding *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->f[i].key, key) == 0)
			return &f->f[i];
	fail_msg("no evidence field %s", key);
	return NULL;
}

#endif
