/*
 * fuzz_indicators.c - libFuzzer target for the indicator list files (rule
 * indicator-match): the first byte picks the format (plain, Feodo CSV,
 * hosts file); the rest is the file, read through the public load
 * function; the list's counts must add up, and names and addresses made
 * of the input's own bytes are looked up in it.
 *
 *   make fuzz   (or build-fuzz/fuzz_indicators -max_total_time=60 \
 *       build-fuzz/corpus_indicators tests/fuzz/corpus_indicators)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exfild/enrich/ioc_list.h"
#include "exfild/util/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct hash_key fuzz_key = { 7, 8 };
static char input_path[64];
static int input_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz", true, LOG_LEVEL_ERR);
	input_fd = memfd_create("fuzz-input", 0);
	if (input_fd == -1)
		abort();
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	return 0;
}

/* Every entry found is one the list holds, its texts NUL-terminated. */
static void
check_entry(const struct ioc_list *l, uint32_t e)
{
	struct ioc_entry_view v;

	if (e >= ioc_list_entries(l))
		abort();
	ioc_list_entry(l, e, &v);
	if (strlen(v.text) == 0 || strlen(v.note) > IOC_NOTE_MAX)
		abort();
}

/* Names: each line's first words; addresses: 16-byte runs of the input. */
static void
look_up(const struct ioc_list *l, const uint8_t *data, size_t size)
{
	char name[300];
	struct netaddr a;
	enum ioc_how how;
	uint32_t e;
	size_t i, n;

	for (i = 0; i < size && i < 4096; i += n + 1) {
		for (n = 0; i + n < size && n < sizeof(name) - 1 &&
		    data[i + n] != '\n' && data[i + n] != ' '; n++)
			name[n] = data[i + n] == '\0' ? '.' : (char)data[i + n];
		name[n] = '\0';
		if (ioc_list_match_name(l, name, &e, &how))
			check_entry(l, e);
	}
	for (i = 0; i + 16 <= size && i < 256; i += 16) {
		netaddr_from_v6(&a, data + i);
		if (ioc_list_match_addr(l, &a, &e, &how))
			check_entry(l, e);
		netaddr_from_v4(&a, data + i);
		if (ioc_list_match_addr(l, &a, &e, &how))
			check_entry(l, e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ioc_format formats[] = { IOC_FORMAT_PLAIN,
		IOC_FORMAT_FEODO, IOC_FORMAT_HOSTFILE };
	const struct ioc_list_stats *st;
	struct ioc_list *l;
	char err[512];

	if (size == 0)
		return 0;
	if (ftruncate(input_fd, 0) != 0 ||
	    pwrite(input_fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	l = ioc_list_new(input_path, formats[data[0] % 3], &fuzz_key);
	if (ioc_list_load(l, err, sizeof(err)) != 0)
		abort(); /* the file is there: only bad lines, never a failure */
	st = ioc_list_stats(l);
	if (st->addresses + st->networks + st->names != ioc_list_entries(l) ||
	    st->n_bad_kept > IOC_BAD_KEPT || st->n_bad_kept > st->bad)
		abort();
	look_up(l, data + 1, size - 1);
	ioc_list_free(l);
	return 0;
}
