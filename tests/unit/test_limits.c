/*
 * test_limits.c - the memory the limits need: the sum of what each table
 * module says it allocates, which is what pipeline_new really allocates
 * (measured, key by key); refused with the key, where it is set and the
 * bytes when this machine (a room given here) cannot hold it; the room
 * from physical memory, RLIMIT_AS and RLIMIT_DATA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/alert/open_alerts.h"
#include "exfild/enrich/indicators.h"
#include "exfild/contain/contain.h"
#include "exfild/pipeline/limits.h"
#include "exfild/pipeline/pipeline.h"
#include "exfild/track/track.h"

#ifdef __SANITIZE_ADDRESS__
size_t __sanitizer_get_current_allocated_bytes(void);

static uint64_t
allocated(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>

static uint64_t
allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
#endif

#define GIB (1024ULL * 1024 * 1024)

static struct config *
load(const char *yaml)
{
	char err[CONFIG_ERR_LEN];
	struct config *c = NULL;

	if (config_load_string("t.yaml", yaml, strlen(yaml), &c, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	return c;
}

/* Each key's bytes are its tables' own figures; the total their sum, and
 * the line -t prints says that total. */
static void
test_need_is_the_tables_sum(void **state)
{
	struct config *c = load("limits: { flows: 1000, pairs: 2000, "
	    "destinations: 3000, names: 4000, hosts: 5000, app_parsers: 60 }\n");
	struct limits_room room = { 8 * GIB, "physical memory" };
	struct limits_need need;
	uint64_t want[LIMITS_KEYS], sum = 0;
	char line[512], head[160];
	int k;

	(void)state;
	want[LIMITS_FLOWS] = flowtab_bytes(1000);
	want[LIMITS_PAIRS] = aggtab_bytes(2000) + track_note_bytes(2000) +
	    detect_bytes(RULE_SCOPE_PAIR, 2000) +
	    open_alerts_bytes(PIPELINE_OPEN_ALERTS);
	want[LIMITS_DESTINATIONS] = baseline_bytes(3000) +
	    detect_bytes(RULE_SCOPE_DEST, 3000) + indicators_cache_bytes(3000);
	want[LIMITS_NAMES] = names_bytes(4000);
	want[LIMITS_HOSTS] = hosttab_bytes(5000) +
	    detect_bytes(RULE_SCOPE_HOST, 5000);
	want[LIMITS_APP_PARSERS] = conn_parser_bytes(60);
	limits_need(c, &need);
	for (k = 0; k < LIMITS_KEYS; k++) {
		assert_true(want[k] > 0);
		assert_int_equal(need.bytes[k], want[k]);
		sum += want[k];
	}
	assert_int_equal(need.total, sum);

	limits_describe(&need, &room, line, sizeof(line));
	snprintf(head, sizeof(head), "memory: the limits need %llu bytes (",
	    (unsigned long long)sum);
	assert_memory_equal(line, head, strlen(head));
	assert_non_null(strstr(line, " of the 8.6 GB of physical memory: flows "));
	assert_non_null(strstr(line, ", app_parsers "));
	assert_int_equal(limits_check(c, &need, &room, line, sizeof(line)), 0);
	config_free(c);
}

/* Containment on: the destinations' figure holds its history table of
 * addresses blocked before (CONTAIN_HISTORY entries); off, nothing. */
static void
test_contain_history_counted(void **state)
{
	struct config *off = load("limits: { destinations: 3000 }\n");
	struct config *on = load("limits: { destinations: 3000 }\n"
	    "contain: { enabled: true }\n");
	struct limits_need a, b;

	(void)state;
	limits_need(off, &a);
	limits_need(on, &b);
	assert_true(contain_bytes() > CONTAIN_HISTORY * sizeof(struct netaddr));
	assert_int_equal(b.bytes[LIMITS_DESTINATIONS],
	    a.bytes[LIMITS_DESTINATIONS] + contain_bytes());
	assert_int_equal(b.total, a.total + contain_bytes());
	config_free(off);
	config_free(on);
}

/* What pipeline_new allocates when one key grows is what its figure
 * says (measured from the allocator; a few pages of slack). */
static void
test_need_matches_allocations(void **state)
{
	static const size_t base = 1000, more = 50000;
	struct limits_need small, big;
	struct config cfg;
	char err[CONFIG_ERR_LEN];
	struct pipeline *p;
	uint64_t before, grew[2];
	size_t *field[LIMITS_KEYS];
	int k, i;

	(void)state;
	config_defaults(&cfg);
	cfg.path = (char *)"t.yaml";
	field[LIMITS_FLOWS] = &cfg.limit_flows;
	field[LIMITS_PAIRS] = &cfg.limit_pairs;
	field[LIMITS_DESTINATIONS] = &cfg.limit_destinations;
	field[LIMITS_NAMES] = &cfg.limit_names;
	field[LIMITS_HOSTS] = &cfg.limit_hosts;
	field[LIMITS_APP_PARSERS] = &cfg.limit_app_parsers;
	for (k = 0; k < LIMITS_KEYS; k++) {
		for (i = 0; i < LIMITS_KEYS; i++)
			*field[i] = base;
		limits_need(&cfg, &small);
		for (i = 0; i < 2; i++) {
			*field[k] = i == 0 ? base : base + more;
			before = allocated();
			p = pipeline_new(&cfg, "test", NULL, NULL, err, sizeof(err));
			assert_non_null(p);
			grew[i] = allocated() - before;
			pipeline_free(p);
		}
		limits_need(&cfg, &big);
		if (grew[1] - grew[0] > big.total - small.total + 65536 ||
		    grew[1] - grew[0] + 65536 < big.total - small.total)
			fail_msg("limits.%s: %zu more allocate %llu bytes more, "
			    "the figure says %llu", limits_key_name(k), more,
			    (unsigned long long)(grew[1] - grew[0]),
			    (unsigned long long)(big.total - small.total));
	}
}

/* Too much for the room: refused naming the key that needs the most,
 * where the file sets it (or that it is the default), and the bytes. */
static void
test_refused_naming_the_key(void **state)
{
	struct config *c = load("sensor: s\nlimits:\n  flows: 16777216\n");
	struct limits_room room = { GIB, "RLIMIT_DATA" };
	struct limits_need need;
	char err[CONFIG_ERR_LEN], want[CONFIG_ERR_LEN];

	(void)state;
	limits_need(c, &need);
	assert_int_equal(limits_check(c, &need, &room, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "t.yaml:3:10: limits.flows: 16777216 needs "
	    "%llu bytes (%.1f GB); the limits need %llu bytes (%.1f GB) in "
	    "all, more than the 1073741824 bytes (1.1 GB) of RLIMIT_DATA",
	    (unsigned long long)flowtab_bytes(16777216),
	    (double)flowtab_bytes(16777216) / 1e9,
	    (unsigned long long)need.total, (double)need.total / 1e9);
	assert_string_equal(err, want);
	/* exactly the total fits */
	room.bytes = need.total;
	assert_int_equal(limits_check(c, &need, &room, err, sizeof(err)), 0);
	config_free(c);

	/* the defaults: pairs need the most */
	c = load("sensor: s\n");
	limits_need(c, &need);
	room.bytes = need.total - 1;
	room.what = "RLIMIT_AS";
	assert_int_equal(limits_check(c, &need, &room, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "t.yaml: limits.pairs (default): 131072 "
	    "needs %llu bytes (", (unsigned long long)need.bytes[LIMITS_PAIRS]);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, " of RLIMIT_AS"));
	config_free(c);
}

/* In a child (the limits are its own): the room after setting one. */
static void
room_under(int resource, rlim_t limit, const char *what)
{
	struct limits_room room;
	struct rlimit rl;
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		assert_int_equal(getrlimit(resource, &rl), 0);
		rl.rlim_cur = limit;
		if (setrlimit(resource, &rl) != 0)
			_exit(2);
		limits_room(&room);
		_exit(room.bytes == limit && strcmp(room.what, what) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_room(void **state)
{
	struct limits_room room;
	uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) *
	    (uint64_t)sysconf(_SC_PAGESIZE);
	struct rlimit as, data;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_AS, &as), 0);
	assert_int_equal(getrlimit(RLIMIT_DATA, &data), 0);
	limits_room(&room);
	if (as.rlim_cur == RLIM_INFINITY && data.rlim_cur == RLIM_INFINITY) {
		assert_int_equal(room.bytes, phys);
		assert_string_equal(room.what, "physical memory");
	}
	assert_true(room.bytes <= phys);
	if (data.rlim_max == RLIM_INFINITY || data.rlim_max > phys / 2)
		room_under(RLIMIT_DATA, (rlim_t)(phys / 2), "RLIMIT_DATA");
	if (as.rlim_max == RLIM_INFINITY || as.rlim_max > phys / 4)
		room_under(RLIMIT_AS, (rlim_t)(phys / 4), "RLIMIT_AS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_need_is_the_tables_sum),
		cmocka_unit_test(test_contain_history_counted),
		cmocka_unit_test(test_need_matches_allocations),
		cmocka_unit_test(test_refused_naming_the_key),
		cmocka_unit_test(test_room),
	};

	log_init("test_limits", true, LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
