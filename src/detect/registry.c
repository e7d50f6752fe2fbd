/*
 * registry.c - the list of rules. One line per rule, in the order the
 * engine asks them.
 */
#include <string.h>

#include "exfild/detect/registry.h"
#include "exfild/util/util.h"

#define EXFILD_RULES(X) \
	X(bulk_upload) \
	X(compressed_upload) \
	X(beacon) \
	X(staging) \
	X(campaign) \
	X(slow_upload) \
	X(dormant_host) \
	X(off_hours) \
	X(server_egress) \
	X(indicator_match)

#define DECLARE_RULE(n) extern const struct rule_def rule_##n;
#define LIST_RULE(n) &rule_##n,

EXFILD_RULES(DECLARE_RULE)

static const struct rule_def *const registry[] = { EXFILD_RULES(LIST_RULE) };

_Static_assert(ARRAY_LEN(registry) <= RULES_MAX,
    "RULES_MAX (config.h) bounds the registry");

const struct rule_def *const *
rules_registry(size_t *n)
{
	*n = ARRAY_LEN(registry);
	return registry;
}

int
rules_index(const char *name)
{
	return rules_index_n(name, strlen(name));
}

int
rules_index_n(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(registry); i++)
		if (strlen(registry[i]->name) == len &&
		    memcmp(registry[i]->name, name, len) == 0)
			return (int)i;
	return -1;
}
