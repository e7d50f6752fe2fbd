/*
 * fuzz_state.c - libFuzzer target for the detection state file
 * (track/state.h): the input is loaded as a saved state into a tracker with
 * every rule on, and its flows into a connection tracker; then traffic to
 * the destinations and from the hosts it names asks the rules with
 * whatever state they were given (each rule's
 * state_ok stands between the file and its code). A state that loads must
 * save, and a saved state must load and save the same bytes again.
 * Built by `make fuzz` (build-fuzz/fuzz_state); seeds in
 * tests/fuzz/corpus_state/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exfild/config/config.h"
#include "exfild/enrich/geo.h"
#include "exfild/enrich/names.h"
#include "exfild/track/conn.h"
#include "exfild/track/state.h"
#include "exfild/util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hash_key fuzz_key = { 1, 2 };
static char input_path[64], state_dir[64], state_path[128];
static int input_fd = -1;
static struct config *cfg;
static struct geo *geo;
static struct names *names;

static const char yaml[] =
    "networks: { internal: [10.0.0.0/8], servers: [10.9.0.0/16],\n"
    "  crown_jewels: [\"10.20.9.5:1521\"] }\n"
    "geo: { home: [JP] }\n"
    "baseline: { learn: 1h }\n"
    "rules: { campaign: { hosts: 2, bytes: 1KB }, beacon: { min_connections: 4 },\n"
    "  slow_upload: { windows: { 1h: 2KB } }, dormant_host: { idle: 1h, bytes: 1KB },\n"
    "  off_hours: { bytes: 1KB }, staging: { pull: 1KB, upload: 1KB } }\n"
    "limits: { flows: 16, pairs: 16, destinations: 16, names: 16, hosts: 16,\n"
    "  app_parsers: 4 }\n";

static void
remove_state_dir(void)
{
	char tmp[192];

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", state_path, (long)getpid());
	unlink(tmp);
	unlink(state_path);
	rmdir(state_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	log_init("fuzz", true, LOG_LEVEL_ERR);
	if ((input_fd = memfd_create("fuzz-input", 0)) == -1)
		abort();
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	strcpy(state_dir, "/tmp/fuzz-state-XXXXXX");
	if (mkdtemp(state_dir) == NULL)
		abort();
	snprintf(state_path, sizeof(state_path), "%s/state", state_dir);
	atexit(remove_state_dir);
	if (config_load_string("fuzz.yaml", yaml, sizeof(yaml) - 1, &cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	geo = geo_new();
	names = names_new(16, &fuzz_key);
	return 0;
}

static void
ignore_alert(void *ctx, const struct detection *d)
{
	(void)ctx;
	(void)d;
}

/* The pairs loaded (the walk must not change the table: collected first). */
struct loaded {
	struct pair p[16];
	size_t n;
};

static void
collect_pair(void *ctx, const struct pair *p)
{
	struct loaded *l = ctx;

	if (l->n < 16)
		l->p[l->n++] = *p;
}

/* Traffic from a host the state names to the destination it names. */
static void
send_on_pair(struct tracker *t, const struct pair *p)
{
	struct dest *d = baseline_get(track_baseline(t), p->dest_id, p->dest_gen);
	struct traffic_event ev;

	if (d == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = ev.conn_ns = p->last_ns + 1000000000ULL;
	ev.host = p->host;
	ev.dst_name = d->name[0] != '\0' ? d->name : NULL;
	ev.dst_addr = d->addr;
	ev.dst_port = 443;
	ev.proto = 6;
	ev.conn_start = ev.from_host = true;
	ev.bytes_out = 5000;
	ev.jewel = p->jewel;
	(void)track_event(t, &ev);
}

static size_t
slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		abort();
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

static struct conntrack *conn; /* the flows of the tracker made last */

static struct tracker *
tracker(void)
{
	struct tracker *t = track_new(cfg, &fuzz_key, geo, names, ignore_alert,
	    NULL);
	char err[256];

	if (t == NULL || (conn = conn_new(cfg, &fuzz_key, t, names, err,
	    sizeof(err))) == NULL)
		abort();
	return t;
}

static void
tracker_free(struct tracker *t)
{
	conn_finish(conn); /* the flows let go: their parser slots back */
	conn_free(conn);
	track_free(t);
}

static int
load(struct tracker *t, const char *path, char *err, size_t errlen)
{
	struct track_state_more flows;

	conn_state_hooks(conn, &flows);
	return track_state_load(t, path, &flows, NULL, err, errlen);
}

static int
save(struct tracker *t, const char *path, char *err, size_t errlen)
{
	struct track_state_more flows;

	conn_state_hooks(conn, &flows);
	return track_state_save(t, path, &flows, err, errlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char first[1 << 17], second[1 << 17];
	static struct loaded loaded;
	struct tracker *t = tracker();
	char err[512];
	size_t n1, n2, i;

	if (ftruncate(input_fd, 0) != 0 ||
	    pwrite(input_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (load(t, input_path, err, sizeof(err)) != 0)
		goto done;
	loaded.n = 0;
	agg_foreach(track_pairs(t), collect_pair, &loaded);
	for (i = 0; i < loaded.n; i++)
		send_on_pair(t, &loaded.p[i]);
	track_evaluate_recent(t, 0, UINT64_MAX / 2);
	if (save(t, state_path, err, sizeof(err)) != 0)
		abort();
	tracker_free(t);
	t = tracker();
	if (load(t, state_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "reload failed: %s\n", err);
		abort();
	}
	if (save(t, state_path, err, sizeof(err)) != 0)
		abort();
	n1 = slurp(state_path, first, sizeof(first));
	tracker_free(t);
	t = tracker();
	if (load(t, state_path, err, sizeof(err)) != 0 ||
	    save(t, state_path, err, sizeof(err)) != 0)
		abort();
	n2 = slurp(state_path, second, sizeof(second));
	if (n1 != n2 || memcmp(first, second, n1) != 0) {
		fprintf(stderr, "round trip differs:\n%.*s---\n%.*s", (int)n1,
		    first, (int)n2, second);
		abort();
	}
done:
	tracker_free(t);
	return 0;
}
