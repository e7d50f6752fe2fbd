/*
 * fuzz_geo_csv.c - libFuzzer target for the line-oriented file parsers:
 * the geo CSV, the hosts file and the baseline state file. The first byte
 * picks the parser; the rest is the file, fed through the public load
 * functions. A baseline that loads must save, load again and save the
 * same bytes.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iinclude tests/fuzz/fuzz_geo_csv.c src/enrich/geo.c src/enrich/geo_mmdb.c \
 *       src/enrich/names.c src/track/baseline.c src/config/config.c src/util/netaddr.c \
 *       src/util/util.c src/util/log.c -lyaml -lmaxminddb -o fuzz_geo_csv
 *   cp -r tests/fuzz/corpus_geo_csv /tmp/c  # libFuzzer adds to it
 *   ./fuzz_geo_csv -max_total_time=60 /tmp/c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exfild/track/baseline.h"
#include "exfild/enrich/geo.h"
#include "exfild/util/log.h"
#include "exfild/enrich/names.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hash_key fuzz_key = { 1, 2 };
static char input_path[64];
static int input_fd = -1;
static char state_dir[64];
static char state_path[128];
static struct config cfg;
static char allow_domain[] = "example.com";
static char *allow_domains[] = { allow_domain };

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
	struct netprefix p;

	(void)argc;
	(void)argv;
	log_init("fuzz", true, LOG_LEVEL_ERR);
	input_fd = memfd_create("fuzz-input", 0);
	if (input_fd == -1)
		abort();
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	strcpy(state_dir, "/tmp/fuzz-baseline-XXXXXX");
	if (mkdtemp(state_dir) == NULL)
		abort();
	snprintf(state_path, sizeof(state_path), "%s/state", state_dir);
	atexit(remove_state_dir);
	cfg.baseline_learn_s = 3600;
	if (netprefix_parse("10.0.0.0/8", &p) != 0)
		abort();
	netset_add(&cfg.baseline_allow_nets, &p);
	cfg.baseline_allow_domains = allow_domains;
	cfg.n_baseline_allow_domains = 1;
	return 0;
}

static void
set_input(const uint8_t *data, size_t size)
{
	if (ftruncate(input_fd, 0) != 0 || pwrite(input_fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
}

static void
fuzz_geo(const uint8_t *data, size_t size)
{
	struct geo *g = geo_new();
	struct netaddr a;
	char err[512];
	size_t i;

	set_input(data, size);
	(void)geo_load_csv(g, input_path, err, sizeof(err));
	/* Look up addresses made of the input's own bytes. */
	for (i = 0; i + 16 <= size && i < 256; i += 16) {
		netaddr_from_v6(&a, data + i);
		(void)geo_lookup(g, &a);
		netaddr_from_v4(&a, data + i);
		(void)geo_lookup(g, &a);
	}
	geo_free(g);
}

static void
fuzz_hosts(const uint8_t *data, size_t size)
{
	struct names *n = names_new(8, &fuzz_key);
	struct netaddr a;
	char err[512];

	set_input(data, size);
	(void)names_load_hosts(n, input_path, err, sizeof(err));
	(void)names_get(n, "localhost", &a);
	names_free(n);
}

static size_t
slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL)
		abort();
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

static void
fuzz_baseline(const uint8_t *data, size_t size)
{
	static char first[1 << 16], second[1 << 16];
	struct baseline *b = baseline_new(8, &cfg, &fuzz_key);
	char err[512];
	size_t n1, n2;

	set_input(data, size);
	if (baseline_load(b, input_path, NULL, err, sizeof(err)) != 0)
		goto done;
	/*
	 * The recency lists follow the order of observation and a reload
	 * sorts by last_seen: observe at the latest time so they agree.
	 */
	(void)baseline_observe(b, "new.example", NULL, UINT64_MAX, NULL);
	if (baseline_save(b, state_path, NULL, err, sizeof(err)) != 0)
		abort();
	n1 = slurp(state_path, first, sizeof(first));
	baseline_free(b);
	b = baseline_new(8, &cfg, &fuzz_key);
	if (baseline_load(b, state_path, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "reload failed: %s\n", err);
		abort();
	}
	if (baseline_save(b, state_path, NULL, err, sizeof(err)) != 0)
		abort();
	n2 = slurp(state_path, second, sizeof(second));
	if (n1 != n2 || memcmp(first, second, n1) != 0) {
		fprintf(stderr, "round trip differs:\n%.*s---\n%.*s", (int)n1,
		    first, (int)n2, second);
		abort();
	}
done:
	baseline_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_geo(data + 1, size - 1);
		break;
	case 1:
		fuzz_hosts(data + 1, size - 1);
		break;
	default:
		fuzz_baseline(data + 1, size - 1);
		break;
	}
	return 0;
}
