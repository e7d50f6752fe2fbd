/*
 * fuzz_pipeline.c - libFuzzer target for the whole per-packet path: the
 * input is cut into frames ([link type byte][2-byte length][frame]...) that
 * go through decode, flows, HTTP/TLS/DNS parsers, classification,
 * aggregates and rules, as Suricata's fuzz_decodepcapfile does for its
 * pipeline. Small tables so that eviction paths run too. Build: make fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/log.h"
#include "exfild/pipeline/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char yaml[] =
    "sensor: fuzz\n"
    "networks: { internal: [10.0.0.0/8, fc00::/7], proxies: [\"10.77.1.2:3128\", \"10.77.1.3\"] }\n"
    "geo: { home: [JP] }\n"
    "baseline: { learn: 10s }\n"
    "rules: { window: 60s, suppress: 10s, bulk_upload: { bytes: 2000 },"
    " compressed_upload: { bytes: 500 } }\n"
    "limits: { flows: 16, pairs: 16, destinations: 16, names: 16, app_parsers: 4 }\n"
    "flow: { timeout: 5s, closed_timeout: 1s }\n";

static const int linktypes[] = { 1, 113, 276, 12, 101, 228, 229, 0, 108 };

static void
drop_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	(void)a;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config *cfg;
	char err[512];
	struct pipeline *p;
	uint64_t ts = 1411000000ULL * 1000000000ULL;
	size_t off = 0;

	if (cfg == NULL) {
		log_init("fuzz", true, LOG_LEVEL_ERR);
		if (config_load_string("fuzz.yaml", yaml, sizeof(yaml) - 1, &cfg,
		    err, sizeof(err)) != 0)
			abort();
	}
	p = pipeline_new(cfg, "pcap", drop_alert, NULL, err, sizeof(err));
	if (p == NULL)
		abort();
	while (size - off >= 3) {
		int lt = linktypes[data[off] % (sizeof(linktypes) / sizeof(linktypes[0]))];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		uint8_t *frame;

		off += 3;
		if (len > size - off)
			len = size - off;
		/* an exact-size copy, so any over-read is caught */
		frame = malloc(len ? len : 1);
		memcpy(frame, data + off, len);
		ts += (uint64_t)(data[off - 3] & 0x0f) * 700000000ULL;
		pipeline_frame(p, lt, frame, (uint32_t)len, (uint32_t)len, ts);
		free(frame);
		off += len;
	}
	pipeline_finish(p);
	pipeline_free(p);
	return 0;
}
