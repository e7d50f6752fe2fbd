/*
 * limits.c - the memory the limits: need and the memory this machine can
 * give (see limits.h). Each table module says what it allocates for a
 * capacity; this file only knows which key sizes which tables.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exfild/alert/open_alerts.h"
#include "exfild/detect/describe.h"
#include "exfild/detect/engine.h"
#include "exfild/enrich/indicators.h"
#include "exfild/enrich/names.h"
#include "exfild/pipeline/limits.h"
#include "exfild/contain/contain.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/track/conn.h"
#include "exfild/track/flow.h"
#include "exfild/track/hosts.h"
#include "exfild/track/track.h"
#include "exfild/util/strbuf.h"
#include "exfild/util/util.h"

#define HUMAN_LEN 24

static const struct {
	const char *name;
	size_t field; /* offsetof() in struct config */
} keys[LIMITS_KEYS] = {
	[LIMITS_FLOWS] = { "flows", offsetof(struct config, limit_flows) },
	[LIMITS_PAIRS] = { "pairs", offsetof(struct config, limit_pairs) },
	[LIMITS_DESTINATIONS] = { "destinations",
	    offsetof(struct config, limit_destinations) },
	[LIMITS_NAMES] = { "names", offsetof(struct config, limit_names) },
	[LIMITS_HOSTS] = { "hosts", offsetof(struct config, limit_hosts) },
	[LIMITS_APP_PARSERS] = { "app_parsers",
	    offsetof(struct config, limit_app_parsers) },
};

const char *
limits_key_name(enum limits_key k)
{
	return keys[k].name;
}

static const size_t *
key_field(const struct config *cfg, enum limits_key k)
{
	return (const size_t *)(const void *)((const char *)cfg + keys[k].field);
}

void
limits_need(const struct config *cfg, struct limits_need *out)
{
	size_t pairs = cfg->limit_pairs, dests = cfg->limit_destinations;
	size_t hosts = cfg->limit_hosts;
	int k;

	/* (with evidence's packet ring, evidence.ring, when it has one) */
	out->bytes[LIMITS_FLOWS] = flowtab_bytes(cfg->limit_flows) +
	    conn_evidence_bytes(cfg);
	/* (with the fixed table of alerts followed for their updates) */
	out->bytes[LIMITS_PAIRS] = aggtab_bytes(pairs) + track_note_bytes(pairs) +
	    detect_bytes(RULE_SCOPE_PAIR, pairs) +
	    open_alerts_bytes(PIPELINE_OPEN_ALERTS);
	/* (with containment's table of addresses blocked before) */
	out->bytes[LIMITS_DESTINATIONS] = baseline_bytes(dests) +
	    detect_bytes(RULE_SCOPE_DEST, dests) + indicators_cache_bytes(dests) +
	    (cfg->contain_enabled ? contain_bytes() : 0);
	out->bytes[LIMITS_NAMES] = names_bytes(cfg->limit_names);
	out->bytes[LIMITS_HOSTS] = hosttab_bytes(hosts) +
	    detect_bytes(RULE_SCOPE_HOST, hosts);
	out->bytes[LIMITS_APP_PARSERS] = conn_parser_bytes(cfg->limit_app_parsers);
	out->total = 0;
	for (k = 0; k < LIMITS_KEYS; k++)
		out->total += out->bytes[k];
}

/* A set soft limit lower than the room so far becomes the room. */
static void
lower_to_rlimit(struct limits_room *room, int resource, const char *what)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if ((uint64_t)rl.rlim_cur < room->bytes) {
		room->bytes = (uint64_t)rl.rlim_cur;
		room->what = what;
	}
}

void
limits_room(struct limits_room *out)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	out->bytes = UINT64_MAX;
	out->what = "physical memory";
	if (pages > 0 && size > 0)
		out->bytes = (uint64_t)pages * (uint64_t)size;
	lower_to_rlimit(out, RLIMIT_AS, "RLIMIT_AS");
	lower_to_rlimit(out, RLIMIT_DATA, "RLIMIT_DATA");
}

/* "3.6 GB" (the config's decimal units). */
static const char *
human(uint64_t n, char out[HUMAN_LEN])
{
	describe_size(n, out, HUMAN_LEN);
	return out;
}

static enum limits_key
largest(const struct limits_need *need)
{
	enum limits_key k, big = LIMITS_FLOWS;

	for (k = LIMITS_FLOWS; k < LIMITS_KEYS; k++)
		if (need->bytes[k] > need->bytes[big])
			big = k;
	return big;
}

int
limits_check(const struct config *cfg, const struct limits_need *need,
    const struct limits_room *room, char *err, size_t errlen)
{
	char where[CONFIG_ERR_LEN], h1[HUMAN_LEN], h2[HUMAN_LEN], h3[HUMAN_LEN];
	enum limits_key k;
	size_t line, col;

	if (need->total <= room->bytes)
		return 0;
	k = largest(need);
	if (config_where(cfg, key_field(cfg, k), &line, &col))
		snprintf(where, sizeof(where), "%s:%zu:%zu: limits.%s", cfg->path,
		    line, col, keys[k].name);
	else
		snprintf(where, sizeof(where), "%s: limits.%s (default)", cfg->path,
		    keys[k].name);
	snprintf(err, errlen, "%s: %zu needs %llu bytes (%s); the limits need "
	    "%llu bytes (%s) in all, more than the %llu bytes (%s) of %s", where,
	    *key_field(cfg, k), (unsigned long long)need->bytes[k],
	    human(need->bytes[k], h1), (unsigned long long)need->total,
	    human(need->total, h2), (unsigned long long)room->bytes,
	    human(room->bytes, h3), room->what);
	return -1;
}

void
limits_describe(const struct limits_need *need, const struct limits_room *room,
    char *out, size_t outlen)
{
	char h1[HUMAN_LEN], h2[HUMAN_LEN];
	struct strbuf sb;
	enum limits_key k;

	sb_init(&sb, out, outlen);
	sb_printf(&sb, "memory: the limits need %llu bytes (%s) of the %s of %s:",
	    (unsigned long long)need->total, human(need->total, h1),
	    human(room->bytes, h2), room->what);
	for (k = LIMITS_FLOWS; k < LIMITS_KEYS; k++)
		sb_printf(&sb, "%s %s %s", k == LIMITS_FLOWS ? "" : ",",
		    keys[k].name, human(need->bytes[k], h1));
}
