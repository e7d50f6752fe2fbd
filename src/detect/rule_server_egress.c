/*
 * rule_server_egress.c - server-egress: a server opens a connection to an
 * unfamiliar foreign destination (JTB's first sign). A server is a host in
 * networks.servers, or one learned: it had accepted connections from
 * outside (at least LEARNED_ACCEPTED) and opened none before this one,
 * first seen while the baseline was learning (see learned()). With
 * `bytes` > 0 the alert waits until the pair's bytes out reach it (byte
 * milestones).
 */
#include <stdio.h>
#include <string.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/hosts.h"

#define MILESTONE (64 * 1024) /* bytes out between evaluations, at most */
#define LEARNED_ACCEPTED 10   /* connections accepted that make a learned
			       * server (a stray inbound probe does not) */

struct server_egress_conf {
	struct rule_base base;
	uint64_t bytes;         /* 0: at the connection */
};

enum server_why { NOT_SERVER, SERVER_LISTED, SERVER_LEARNED };

/* Per pair (24 bytes): the server's connection out, as it was seen. */
struct server_egress_state {
	uint64_t accepted, opened; /* the host's, at the connection */
	uint8_t why;               /* enum server_why; NOT_SERVER: none yet */
};

static const char *const attack[] = { "T1071", "T1041", "T1190", NULL };

/* `bytes` may be 0 (RULE_PARAM_SIZE may not). */
static int
parse_bytes(void *conf, const char *key, const char *text, char *why,
    size_t whylen)
{
	struct server_egress_conf *c = conf;

	(void)key;
	if (text == NULL) {
		c->bytes = 0;
		return 0;
	}
	if (parse_size(text, &c->bytes) != 0) {
		snprintf(why, whylen, "expected a size (0, 64KB, 1MiB)");
		return -1;
	}
	return 0;
}

static const struct rule_param params[] = {
	RULE_KEY_FN("bytes", RULE_PARAM_TEXT, "0", parse_bytes),
};

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct server_egress_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	/* Never per packet. A rule with a step is asked at every connection;
	 * with bytes 0 the step is "never" (UINT64_MAX), with bytes > 0 the
	 * pair is asked again as its bytes out grow. */
	out->min_window_out = UINT64_MAX;
	out->every_bytes_out = c->bytes == 0 ? UINT64_MAX :
	    c->bytes < MILESTONE ? c->bytes : MILESTONE;
}

/*
 * Learned: first seen while the baseline was learning, the learning over
 * now, it accepted at least LEARNED_ACCEPTED connections and opened none
 * before this one (opened counts it). No learning period: none learned.
 * (The hosts table starts empty at each start: a host is first seen in
 * this run, so after a restart with a loaded baseline none is learned
 * until the table is kept in the state file.)
 */
static bool
learned(const struct rule_input *in)
{
	const struct host *h = in->host;

	return h != NULL && h->accepted >= LEARNED_ACCEPTED && h->opened == 1 &&
	    in->learn_end_ns != 0 && h->first_ns < in->learn_end_ns &&
	    in->ts_ns >= in->learn_end_ns;
}

/* On a connection, only a server's (listed or learned) can start
 * anything; bytes look at what a connection remembered. */
static bool
wants(const struct rule_input *in, const void *conf)
{
	(void)conf;
	return in->why != RULE_ON_CONN ||
	    netset_contains(&in->cfg->servers, &in->pair->host) || learned(in);
}

/* On a connection: is the host a server? Remembered with its counts. */
static void
note_connection(const struct rule_input *in, struct server_egress_state *st)
{
	enum server_why why = NOT_SERVER;

	if (netset_contains(&in->cfg->servers, &in->pair->host))
		why = SERVER_LISTED;
	else if (learned(in))
		why = SERVER_LEARNED;
	if (why == NOT_SERVER || st->why != NOT_SERVER)
		return;
	st->why = (uint8_t)why;
	st->accepted = in->host != NULL ? in->host->accepted : 0;
	st->opened = in->host != NULL ? in->host->opened : 0;
}

static void
describe(const struct rule_input *in, const struct server_egress_state *st,
    struct finding *out)
{
	struct rule_where w;
	const char *why = st->why == SERVER_LISTED ? "listed in networks.servers" :
	    "learned: accepted connections from outside, opened none";

	describe_where(in, &w);
	finding_reason(out, "Server %s (%s) opened a connection to %s (%s) and "
	    "sent %llu bytes; it had accepted %llu connections from outside",
	    w.host, st->why == SERVER_LISTED ? "listed" : "learned", w.dst, w.cc,
	    (unsigned long long)in->pair->total_out,
	    (unsigned long long)st->accepted);
	finding_str(out, "server", why);
	finding_u64(out, "accepted", st->accepted);
	finding_u64(out, "opened", st->opened);
	finding_u64(out, "bytes_out", in->pair->total_out);
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct server_egress_conf *c = conf;
	struct server_egress_state *st = state->at[RULE_SCOPE_PAIR];

	if (in->why == RULE_ON_CONN)
		note_connection(in, st);
	if (st->why == NOT_SERVER || in->pair->total_out < c->bytes)
		return false;
	describe(in, st, out);
	finding_threshold(out, "rules.server_egress.bytes", c->bytes,
	    in->pair->total_out);
	return true;
}

/* Saved state: why is one of enum server_why. */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	unsigned char why;

	(void)scope;
	memcpy(&why, (const unsigned char *)state +
	    offsetof(struct server_egress_state, why), 1);
	return why <= SERVER_LEARNED;
}

const struct rule_def rule_server_egress = {
	.name = "server-egress",
	.title = "A server opened a connection to an unfamiliar foreign destination",
	.settings = { "server_egress", true, SEV_CRITICAL, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct server_egress_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct server_egress_state) },
	.observes = RULE_ON_CONN | RULE_ON_BYTES,
	.gate = gate,
	.wants = wants,
	.match = match,
	.state_ok = state_ok,
};
