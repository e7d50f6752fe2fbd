/*
 * rule_compressed_upload.c - compressed-upload: at least `bytes` of archive
 * or high-entropy client payload (seen outside TLS) sent to one unfamiliar
 * foreign destination within rules.window: the JAL pattern of RAR archives
 * through the proxy.
 */
#include <stddef.h>

#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"

struct compressed_upload_conf {
	struct rule_base base;
	uint64_t bytes;
};

static const struct rule_param params[] = {
	RULE_KEY("bytes", RULE_PARAM_SIZE, struct compressed_upload_conf, bytes, "1MB"),
};

static const char *const attack[] = { "T1560", "T1041", "T1048", NULL };

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct compressed_upload_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	out->min_window_compressed = c->bytes; /* (a size: never 0) */
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct compressed_upload_conf *c = conf;

	(void)state;
	if (in->pair->win.compressed < c->bytes)
		return false;
	finding_threshold(out, "rules.compressed_upload.bytes", c->bytes,
	    in->pair->win.compressed);
	return true;
}

const struct rule_def rule_compressed_upload = {
	.name = "compressed-upload",
	.title = "Compressed upload to an unfamiliar foreign destination",
	.settings = { "compressed_upload", true, SEV_CRITICAL, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct compressed_upload_conf) },
	.attack = attack,
	.during_learning = true,
	.observes = RULE_ON_BYTES | RULE_ON_TICK,
	.gate = gate,
	.match = match,
};
