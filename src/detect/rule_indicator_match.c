/*
 * rule_indicator_match.c - indicator-match: an internal host's traffic to
 * a destination on an indicator list (indicators:, enrich/indicators.h):
 * its address, a network holding it, its name or a parent of it, or an
 * address DNS answered for a listed name; also a DNS answer to the host
 * naming one. Whatever the size, familiar or not, foreign or not, and
 * during the baseline's learning too. The tracker looks the destination
 * up (once per destination and list version), never per packet.
 */
#include <stdio.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/enrich/indicators.h"
#include "exfild/track/agg.h"

struct indicator_match_conf {
	struct rule_base base;
};

static const char *const attack[] = { "T1071", "T1041", NULL };

static void
gate(const void *conf, struct rule_gate *out)
{
	(void)conf;
	out->listed_only = true;
	out->min_window_out = UINT64_MAX; /* (not asked on bytes) */
}

/* "iocs.txt line 3 (example.net, subdomain)" and its note. */
static void
describe(const struct rule_input *in, const struct ioc_hit *h,
    struct finding *out)
{
	struct rule_where w;
	char addr[NETADDR_STRLEN];
	const char *note = h->entry.note;

	describe_where(in, &w);
	netaddr_format(&in->dest->addr, addr, sizeof(addr));
	if (h->dns_answer)
		finding_reason(out, "%s was answered %s (%s) by DNS; listed in %s "
		    "line %u (%s, %s)%s%s", w.host, w.dst, addr, h->list,
		    (unsigned)h->entry.line, h->entry.text, ioc_how_name(h->how),
		    note[0] != '\0' ? ": " : "", note);
	else
		finding_reason(out, "%s contacted %s (%s); listed in %s line %u "
		    "(%s, %s)%s%s", w.host, w.dst, w.cc, h->list,
		    (unsigned)h->entry.line, h->entry.text, ioc_how_name(h->how),
		    note[0] != '\0' ? ": " : "", note);
}

static void
evidence(const struct ioc_hit *h, struct finding *out)
{
	finding_str(out, "list", h->list);
	finding_u64(out, "line", h->entry.line);
	finding_str(out, "entry", h->entry.text);
	finding_str(out, "match", ioc_how_name(h->how));
	if (h->how == IOC_MATCH_ANSWERED)
		finding_str(out, "answered_for", h->answered_for);
	finding_str(out, "seen_in", h->dns_answer ? "dns" : "traffic");
	if (h->format == IOC_FORMAT_FEODO) {
		if (h->entry.note[0] != '\0')
			finding_str(out, "malware", h->entry.note);
		if (h->entry.port != 0)
			finding_u64(out, "listed_port", h->entry.port);
	} else if (h->entry.note[0] != '\0') {
		finding_str(out, "comment", h->entry.note);
	}
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct ioc_hit *h = in->ioc;

	(void)conf;
	(void)state;
	if (h == NULL)
		return false;
	describe(in, h, out);
	evidence(h, out);
	if (h->severity >= 0)
		finding_severity(out, h->severity);
	return true;
}

const struct rule_def rule_indicator_match = {
	.name = "indicator-match",
	.title = "Traffic to an address or name on an indicator list",
	.settings = { "indicator_match", true, SEV_HIGH, NULL, 0,
	    sizeof(struct indicator_match_conf) },
	.attack = attack,
	.during_learning = true,
	.observes = RULE_ON_CONN | RULE_ON_TICK,
	.gate = gate,
	.match = match,
};
