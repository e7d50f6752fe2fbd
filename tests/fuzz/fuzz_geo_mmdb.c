/*
 * fuzz_geo_mmdb.c - libFuzzer target for the MaxMind DB loader: the input
 * is a database file (the seeds are corrupted copies of the databases the
 * tests write with tests/mkmmdb.pl), opened through a memfd as geo.databases
 * (content sniffing, then the country layout) or as geo.asn; one that opens
 * is asked for the country, ASN and organisation of fixed addresses and of
 * addresses made of the input's own bytes. A file may be refused, never
 * crash or read out of bounds.
 *
 *   make build-fuzz/fuzz_geo_mmdb
 *   cp -r tests/fuzz/corpus_geo_mmdb /tmp/c  # libFuzzer adds to it
 *   build-fuzz/fuzz_geo_mmdb -max_total_time=60 /tmp/c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exfild/enrich/geo.h"
#include "exfild/util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libmaxminddb 1.7 leaks what it allocated for a metadata section it then
 * finds corrupt (fixed in 1.12): its leaks are not exfild's. */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libmaxminddb.so\n";
}

static char input_path[64];
static int input_fd = -1;

static const char *const probes[] = {
	"198.51.100.1", "198.51.100.200", "203.0.113.9", "192.0.2.1",
	"192.0.2.200", "100.64.1.1", "100.64.9.9", "133.1.3.4", "8.8.8.8",
	"0.0.0.0", "255.255.255.255", "2001:db8:100::1", "2001:db8:200::5",
	"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", true, LOG_LEVEL_ERR);
	input_fd = memfd_create("fuzz-mmdb", 0);
	if (input_fd == -1)
		abort();
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	return 0;
}

static void
ask(const struct geo *g, const struct netaddr *a)
{
	char org[128];
	uint32_t asn;

	(void)geo_lookup(g, a);
	asn = geo_asn(g, a, org, sizeof(org));
	/* what the outputs will print: a NUL-terminated string */
	if (strnlen(org, sizeof(org)) == sizeof(org) || (asn == 0 && org[0]))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct geo *g;
	struct netaddr a;
	char err[512];
	size_t i;
	int rc;

	if (size == 0)
		return 0;
	if (ftruncate(input_fd, 0) != 0 ||
	    pwrite(input_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	g = geo_new();
	rc = data[0] % 2 == 0 ? geo_load(g, input_path, err, sizeof(err)) :
	    geo_load_asn(g, input_path, err, sizeof(err));
	if (rc != 0 && strncmp(err, input_path, strlen(input_path)) != 0)
		abort(); /* a refusal names its file */
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (netaddr_parse(probes[i], &a) != 0)
			abort();
		ask(g, &a);
	}
	for (i = 1; i + 16 <= size && i < 256; i += 16) {
		netaddr_from_v6(&a, data + i);
		ask(g, &a);
		netaddr_from_v4(&a, data + i);
		ask(g, &a);
	}
	geo_free(g);
	return 0;
}
