/*
 * rule_staging.c - staging: a host reads at least `pull` from crown jewels
 * (networks.crown_jewels: the CRM, JAL's VIPS) within `within`, and then,
 * within `within` of its latest pull, sends at least `upload` to one
 * unfamiliar foreign destination (T1074 data staged, then sent).
 *
 * Pulls are counted by the hosts table per hour (track/hosts.h); the sum
 * covers the hour of the evaluation and the hours before it, `within`
 * rounded up to whole hours (at most 24 h). The upload is the growth of
 * the pair's bytes out since the rule first saw the pull (asked at byte
 * milestones of upload/4 and at connections): up to one milestone of
 * bytes sent between the pull and that first look is not counted.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/hosts.h"

struct staging_conf {
	struct rule_base base;
	uint64_t pull;
	uint64_t within_s;
	uint64_t upload;
};

static const struct rule_param params[] = {
	RULE_KEY("pull", RULE_PARAM_SIZE, struct staging_conf, pull, "20MB"),
	RULE_KEY("within", RULE_PARAM_PERIOD, struct staging_conf, within_s, "6h"),
	RULE_KEY("upload", RULE_PARAM_SIZE, struct staging_conf, upload, "1MB"),
};

static const char *const attack[] = { "T1074", "T1041", "T1048", NULL };

/* Per pair: its bytes out when the host's latest pull was first seen. */
struct staging_state {
	uint64_t pull_ns;     /* the pull it was counted from (0: none yet) */
	uint64_t out_at_pull; /* pair->total_out then */
};

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct staging_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	out->every_bytes_out = c->upload / 4 > 0 ? c->upload / 4 : 1;
}

static void
describe(const struct rule_input *in, uint64_t pulled, uint64_t sent,
    const struct config *cfg, struct finding *out)
{
	const struct host *h = in->host;
	char jewel[128];
	struct rule_where w;
	char p[32], s[32], when[32];
	const struct crown_jewel *j = NULL;
	time_t t = (time_t)(h->pull_last_ns / NS_PER_SEC);
	struct tm tm;

	if (h->pull_jewel > 0 && h->pull_jewel <= cfg->n_crown_jewels)
		j = &cfg->crown_jewels[h->pull_jewel - 1];
	describe_where(in, &w);
	jewel[0] = '\0';
	if (j != NULL) {
		char addr[NETADDR_STRLEN];

		netaddr_format(&j->addr, addr, sizeof(addr));
		snprintf(jewel, sizeof(jewel), "%s%s%s%s", j->name,
		    j->name[0] != '\0' ? " (" : "", addr, j->name[0] != '\0' ? ")" : "");
	}
	describe_size(pulled, p, sizeof(p));
	describe_size(sent, s, sizeof(s));
	when[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	finding_reason(out, "%s read %s from %s until %s, then sent %s to %s (%s)",
	    w.host, p, jewel[0] != '\0' ? jewel : "a crown jewel", when, s, w.dst,
	    w.cc);
	finding_u64(out, "pulled_bytes", pulled);
	finding_str(out, "pulled_from", jewel);
	finding_str(out, "last_pull", when);
	finding_u64(out, "sent_bytes", sent);
}

/* Only a host with a pull within `within` (most have none). */
static bool
wants(const struct rule_input *in, const void *conf)
{
	const struct staging_conf *c = conf;
	const struct host *h = in->host;

	return h != NULL && h->pull_last_ns != 0 && in->ts_ns >= h->pull_last_ns &&
	    in->ts_ns - h->pull_last_ns <= c->within_s * NS_PER_SEC;
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct staging_conf *c = conf;
	struct staging_state *st = state->at[RULE_SCOPE_PAIR];
	const struct host *h = in->host;
	uint64_t within_ns = c->within_s * NS_PER_SEC, pulled, sent;

	if (!wants(in, conf))
		return false;
	pulled = hosts_pulled(h, h->pull_last_ns, within_ns);
	if (pulled < c->pull)
		return false;
	/* (a count ahead of the pair's, from a state file, starts over) */
	if (st->pull_ns == 0 || st->pull_ns + within_ns < h->pull_last_ns ||
	    st->out_at_pull > in->pair->total_out) {
		/* a new staging spell: count this pair's bytes from now */
		st->pull_ns = h->pull_last_ns;
		st->out_at_pull = in->pair->total_out;
	}
	sent = in->pair->total_out - st->out_at_pull;
	if (sent < c->upload)
		return false;
	describe(in, pulled, sent, in->cfg, out);
	finding_threshold(out, "rules.staging.upload", c->upload, sent);
	return true;
}

/* Saved state: any two counts will do (match starts a spell over when its
 * count is ahead of the pair's). */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	(void)scope;
	(void)state;
	return true;
}

const struct rule_def rule_staging = {
	.name = "staging",
	.title = "Upload to an unfamiliar foreign destination after a bulk read "
	    "of a crown jewel",
	.settings = { "staging", true, SEV_CRITICAL, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct staging_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct staging_state) },
	/* connections too: a pull followed by one log line of upload is seen
	 * before that line's bytes count */
	.observes = RULE_ON_BYTES | RULE_ON_CONN | RULE_ON_TICK,
	.gate = gate,
	.wants = wants,
	.match = match,
	.state_ok = state_ok,
};
