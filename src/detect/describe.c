/*
 * describe.c - the words the rules' reasons share (see describe.h).
 */
#include <stdio.h>
#include <time.h>

#include "exfild/detect/describe.h"
#include "exfild/track/agg.h"
#include "exfild/util/util.h"

void
describe_where(const struct rule_input *in, struct rule_where *out)
{
	netaddr_format(&in->pair->host, out->host, sizeof(out->host));
	if (in->dest->name[0] != '\0')
		str_copy(out->dst, in->dest->name, sizeof(out->dst));
	else
		netaddr_format(&in->dest->addr, out->dst, sizeof(out->dst));
	country_format(in->pair->country, out->cc);
}

void
describe_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double x = (double)bytes;
	size_t u = 0;

	while (x >= 1000 && u + 1 < ARRAY_LEN(unit)) {
		x /= 1000;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", x, unit[u]);
}

void
describe_day(uint64_t ts_ns, char *buf, size_t len)
{
	time_t t = (time_t)(ts_ns / NS_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%a %Y-%m-%d %H:%M UTC", &tm) == 0)
		buf[0] = '\0';
}
