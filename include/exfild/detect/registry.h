/*
 * registry.h - every detection rule exfild has, in a fixed order (the
 * order alerts of one event come out in, and the index of each rule's
 * settings, counters and suppression). Adding a rule: its file
 * src/detect/rule_<name>.c and one line in registry.c.
 */
#ifndef EXFILD_DETECT_REGISTRY_H
#define EXFILD_DETECT_REGISTRY_H

#include <stddef.h>

#include "exfild/detect/rule.h"

const struct rule_def *const *rules_registry(size_t *n);
/* The registry index of the rule called name; -1 when there is none. */
int rules_index(const char *name);
/* The same for len bytes at name (not NUL-terminated). */
int rules_index_n(const char *name, size_t len);

#endif
