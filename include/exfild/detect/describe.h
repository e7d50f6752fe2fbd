/*
 * describe.h - the words the rules' reasons share: who sent, to what
 * destination (its name, else its address) in which country, and a day
 * as an analyst reads it. Values only; the finding escapes nothing (the
 * output formats do).
 */
#ifndef EXFILD_DETECT_DESCRIBE_H
#define EXFILD_DETECT_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/detect/rule.h"
#include "exfild/track/baseline.h"
#include "exfild/util/netaddr.h"

struct rule_where {
	char host[NETADDR_STRLEN];  /* the internal host */
	char dst[DEST_NAME_MAX];    /* the destination's name, else its address */
	char cc[3];                 /* its country, "??" unknown */
};

void describe_where(const struct rule_input *in, struct rule_where *out);
/* "950 B", "1.8 MB", "20.0 GB": decimal units, as the config's sizes. */
void describe_size(uint64_t bytes, char *buf, size_t len);
/* "Thu 2014-09-18 03:04 UTC" ("" when the time cannot be shown). */
void describe_day(uint64_t ts_ns, char *buf, size_t len);

#endif
