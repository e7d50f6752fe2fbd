/*
 * rule_bulk_upload.c - bulk-upload: an internal host sends at least
 * `bytes` to one unfamiliar foreign destination within rules.window, with
 * bytes out at least `min_ratio` times bytes in (an upload, not a busy
 * download).
 */
#include <stddef.h>

#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"

struct bulk_upload_conf {
	struct rule_base base;
	uint64_t bytes;
	double min_ratio;
};

static const struct rule_param params[] = {
	RULE_KEY("bytes", RULE_PARAM_SIZE, struct bulk_upload_conf, bytes, "50MB"),
	RULE_KEY("min_ratio", RULE_PARAM_RATIO, struct bulk_upload_conf, min_ratio, "3"),
};

static const char *const attack[] = { "T1041", "T1048", "T1567", NULL };

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct bulk_upload_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	out->min_window_out = c->bytes;
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct bulk_upload_conf *c = conf;
	const struct agg_bucket *w = &in->pair->win;

	(void)state;
	if (w->out < c->bytes)
		return false;
	/* out/in >= ratio, computed without division by zero */
	if ((double)w->out < c->min_ratio * (double)w->in)
		return false;
	finding_threshold(out, "rules.bulk_upload.bytes", c->bytes, w->out);
	return true;
}

const struct rule_def rule_bulk_upload = {
	.name = "bulk-upload",
	.title = "Bulk upload to an unfamiliar foreign destination",
	.settings = { "bulk_upload", true, SEV_HIGH, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct bulk_upload_conf) },
	.attack = attack,
	.observes = RULE_ON_BYTES | RULE_ON_TICK,
	.gate = gate,
	.match = match,
};
