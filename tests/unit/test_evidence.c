/*
 * test_evidence.c - evidence.c: safe names from hostile filenames, a
 * candidate deleted after the grace when no alert came and adopted when
 * one did (its bytes, name, mode and manifest line exact), a multipart
 * delimiter taken back, max_total deleting the oldest directory and
 * then cutting, a reload keeping files, a write error cutting one file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/evidence/evidence.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/sha256.h"
#include "test_files.h"

#define T0 (1700000000ULL * NS_PER_SEC + 500000000ULL) /* 22:13:20.500Z */
#define BODY "PK\x03\x04hello evidence"
#define BODY_SHA "6bace15906e0518d6816a5f6ba4799c87abd6c125d1fb2f44d568dec377fe4d8"

struct fixture {
	char dir[64];
	struct config cfg;
	struct flow f1, f2;
	struct pair pr;
};

static void
flow_init(struct flow *f, const char *host, uint16_t sport)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(netaddr_parse(host, &f->key.host), 0);
	assert_int_equal(netaddr_parse("203.0.113.5", &f->key.peer), 0);
	f->key.host_port = sport;
	f->key.peer_port = 80;
	f->key.proto = 6;
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/test_evidence.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	config_defaults(&fx->cfg);
	fx->cfg.evidence_enabled = true;
	fx->cfg.evidence_dir = fx->dir;
	flow_init(&fx->f1, "10.0.0.1", 40000);
	flow_init(&fx->f2, "10.0.0.2", 40001);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	remove_tree(fx->dir);
	free(fx);
	return 0;
}

static bool
try_start(struct evidence *ev, const struct flow *f, uint32_t pair_id,
    const char *filename, uint64_t ts)
{
	struct evidence_start st = {
		.flow = f, .pair_id = pair_id, .pair_gen = 1,
		.kind = EVIDENCE_PART, .filename = filename, .ts_ns = ts,
	};

	return evidence_start(ev, &st);
}

static void
start(struct evidence *ev, const struct flow *f, uint32_t pair_id,
    const char *filename, uint64_t ts)
{
	assert_true(try_start(ev, f, pair_id, filename, ts));
}

static void
add(struct evidence *ev, const struct flow *f, const char *s, uint64_t ts)
{
	evidence_bytes(ev, f, (const uint8_t *)s, strlen(s), ts);
}

/* Entries of dir/sub, "." and ".." left out. */
static int
entries(const struct fixture *fx, const char *sub)
{
	char path[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
read_file(const char *path, char *out, size_t outlen)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	fclose(fp);
}

/* An alert for pair_id (gen 1) at ts with id's first 8 hex digits. */
static void
raise_alert(struct fixture *fx, struct evidence *ev, uint32_t pair_id,
    const char *id, uint64_t ts, struct alert *a)
{
	memset(a, 0, sizeof(*a));
	memset(&fx->pr, 0, sizeof(fx->pr));
	a->ts_ns = ts;
	a->rule = "bulk-upload";
	snprintf(a->id, sizeof(a->id), "%s", id);
	evidence_alert(ev, &fx->pr, pair_id, 1, a, ts + 3600 * NS_PER_SEC);
}

/* The SHA-256 and size of the file at path. */
static uint64_t
file_digest(const char *path, char hex[SHA256_HEX_LEN])
{
	static uint8_t buf[65536];
	struct sha256 s;
	uint64_t total = 0;
	size_t n;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	sha256_init(&s);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		sha256_update(&s, buf, n);
		total += n;
	}
	fclose(fp);
	sha256_final_hex(&s, hex);
	return total;
}

static void
test_safe_names(void **state)
{
	static const struct {
		const char *sent;
		unsigned seq;
		const char *want;
	} cases[] = {
		{ "../../etc/passwd", 3, "003-passwd" },
		{ "..\\..\\boot.ini", 4, "004-boot.ini" },
		{ "..", 1, "001-_." },
		{ "a..b...c", 1, "001-a._b._.c" },
		{ ".bashrc", 12, "012-_bashrc" },
		{ "a\x01" "b\x7f" "c d\t\r\n;$(x)", 1, "001-a_b_c_d______x_" },
		{ "r\xc3\xa9sum\xc3\xa9.pdf", 1, "001-r__sum__.pdf" },
		/* a NUL ends the name as sent (the parser's is a C string) */
		{ "evil\0.sh", 1, "001-evil" },
		{ "", 1, "001-file" },
		{ "dir/", 1, "001-file" },
		{ "ok-name_1.zip", 1000, "1000-ok-name_1.zip" },
	};
	char big[10241], out[EVIDENCE_NAME_MAX], want[EVIDENCE_NAME_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		evidence_safe_name(cases[i].sent, cases[i].seq, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	evidence_safe_name(big, 2, out, sizeof(out));
	memset(want, 'x', sizeof(want));
	memcpy(want, "002-", 4);
	want[4 + EVIDENCE_NAME_KEEP] = '\0';
	assert_string_equal(out, want);
	assert_int_equal(strlen(out), 104);
}

/* A candidate that ends without an alert: kept for the grace, then gone. */
static void
test_candidate_deleted(void **state)
{
	struct fixture *fx = *state;
	struct evidence_stats st;
	struct evidence *ev;
	char err[256];

	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	start(ev, &fx->f1, 1, "a.zip", T0);
	add(ev, &fx->f1, BODY, T0);
	assert_true(evidence_writing(ev, &fx->f1));
	assert_false(evidence_writing(ev, &fx->f2));
	evidence_end(ev, &fx->f1, T0);
	assert_false(evidence_writing(ev, &fx->f1));
	/* within the grace (10 s) it is there */
	evidence_tick(ev, T0 + 10 * NS_PER_SEC - 1);
	assert_int_equal(entries(fx, ".spool"), 1);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.candidates_spooled, 1);
	assert_int_equal(st.total, sizeof(BODY) - 1);
	evidence_tick(ev, T0 + 10 * NS_PER_SEC);
	assert_int_equal(entries(fx, ".spool"), 0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.candidates_deleted, 1);
	assert_int_equal(st.total, 0);
	assert_int_equal(st.files, 0);
	assert_int_equal(entries(fx, ""), 1); /* .spool only */
	evidence_free(ev);
}

/* An alert adopts the pair's candidate (finished) and stores the pair's
 * next body; another pair's candidate stays in the spool. */
static void
test_adopted_by_alert(void **state)
{
	static const char dir[] = "20231114T221321Z-compressed-upload-0123abcd";
	struct fixture *fx = *state;
	struct evidence_stats st;
	struct evidence *ev;
	struct alert a;
	struct stat sb;
	char err[256], path[512], buf[2048];

	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	start(ev, &fx->f1, 7, "../../etc/passwd", T0);
	add(ev, &fx->f1, BODY, T0);
	evidence_end(ev, &fx->f1, T0);
	start(ev, &fx->f2, 8, "other.zip", T0); /* another pair */
	add(ev, &fx->f2, BODY, T0);
	memset(&a, 0, sizeof(a));
	memset(&fx->pr, 0, sizeof(fx->pr));
	a.ts_ns = T0 + NS_PER_SEC;
	a.rule = "compressed-upload";
	strcpy(a.id, "0123abcd-0000-0000-0000-000000000000");
	assert_false(evidence_pair_open(&fx->pr, T0));
	evidence_alert(ev, &fx->pr, 7, 1, &a, a.ts_ns + 3600 * NS_PER_SEC);
	assert_string_equal(a.evidence_dir, dir);
	assert_int_equal(a.n_sha256, 1);
	assert_string_equal(a.sha256[0], BODY_SHA);
	assert_true(evidence_pair_open(&fx->pr, a.ts_ns + 3600 * NS_PER_SEC));
	assert_false(evidence_pair_open(&fx->pr, a.ts_ns + 3602 * NS_PER_SEC));
	assert_true(evidence_pair_dir(ev, 7, 1, path, sizeof(path)));
	assert_false(evidence_pair_dir(ev, 8, 1, path, sizeof(path)));
	/* the file as sent, mode 0640 in a 0750 directory */
	snprintf(path, sizeof(path), "%s/%s/001-passwd", fx->dir, dir);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, BODY);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	snprintf(path, sizeof(path), "%s/%s", fx->dir, dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	/* the pair's next body goes straight in, a delimiter taken back */
	start(ev, &fx->f1, 7, "", a.ts_ns);
	add(ev, &fx->f1, "second\r", a.ts_ns);
	add(ev, &fx->f1, "\n--bnd", a.ts_ns + NS_PER_SEC);
	evidence_part_end(ev, &fx->f1, 6, a.ts_ns + NS_PER_SEC);
	snprintf(path, sizeof(path), "%s/%s/002-file", fx->dir, dir);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, "second");
	snprintf(path, sizeof(path), "%s/%s/manifest.jsonl", fx->dir, dir);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf,
	    "{\"name\":\"001-passwd\",\"filename\":\"../../etc/passwd\","
	    "\"size\":18,\"sha256\":\"" BODY_SHA "\",\"complete\":true,"
	    "\"kind\":\"part\",\"proto\":6,\"src\":\"10.0.0.1\",\"src_port\":40000,"
	    "\"dst\":\"203.0.113.5\",\"dst_port\":80,"
	    "\"first_ts\":\"2023-11-14T22:13:20.500Z\","
	    "\"last_ts\":\"2023-11-14T22:13:20.500Z\",\"missing_before\":0}\n"
	    "{\"name\":\"002-file\",\"filename\":\"\",\"size\":6,\"sha256\":"
	    "\"16367aacb67a4a017c8da8ab95682ccb390863780f7114dda0a0e0c55644c7c4\","
	    "\"complete\":true,\"kind\":\"part\",\"proto\":6,\"src\":\"10.0.0.1\","
	    "\"src_port\":40000,\"dst\":\"203.0.113.5\",\"dst_port\":80,"
	    "\"first_ts\":\"2023-11-14T22:13:21.500Z\","
	    "\"last_ts\":\"2023-11-14T22:13:22.500Z\",\"missing_before\":0}\n");
	/* the update's list: both now */
	memset(a.sha256, 0, sizeof(a.sha256));
	evidence_dir_hashes(ev, &a);
	assert_int_equal(a.n_sha256, 2);
	assert_string_equal(a.sha256[0], BODY_SHA);
	/* the other pair's candidate is still a candidate */
	assert_int_equal(entries(fx, ".spool"), 1);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.candidates_spooled, 2);
	evidence_free(ev); /* ends it: deleted */
	assert_int_equal(entries(fx, ".spool"), 0);
	assert_int_equal(entries(fx, dir), 3);
}

/* max_total: the oldest alert directory goes first, then files are cut. */
static void
test_max_total(void **state)
{
	struct fixture *fx = *state;
	struct evidence_stats st;
	struct evidence *ev;
	char err[256], path[512], chunk[601];

	snprintf(path, sizeof(path), "%s/20000101T000000Z-old-aaaaaaaa", fx->dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/20000101T000000Z-old-aaaaaaaa/001-x",
	    fx->dir);
	memset(chunk, 'o', 600);
	chunk[600] = '\0';
	write_text(path, chunk);
	/* not exfild's: never deleted */
	snprintf(path, sizeof(path), "%s/keep-me", fx->dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", fx->dir);
	write_text(path, "");
	fx->cfg.evidence_max_total = 1000;
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	evidence_get_stats(ev, &st);
	assert_int_equal(st.total, 600);
	/* 400 bytes fit beside it */
	memset(chunk, 'n', 400);
	chunk[400] = '\0';
	start(ev, &fx->f1, 1, "a", T0);
	add(ev, &fx->f1, chunk, T0);
	evidence_end(ev, &fx->f1, T0); /* (the hold written) */
	assert_int_equal(entries(fx, "20000101T000000Z-old-aaaaaaaa"), 1);
	/* 400 more do not: the old directory goes */
	start(ev, &fx->f2, 2, "b", T0);
	add(ev, &fx->f2, chunk, T0);
	evidence_end(ev, &fx->f2, T0);
	assert_int_equal(entries(fx, "20000101T000000Z-old-aaaaaaaa"), -1);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.total, 800);
	assert_int_equal(st.cut, 0);
	/* nothing left to delete: the next file is cut at the room left */
	start(ev, &fx->f1, 3, "c", T0);
	add(ev, &fx->f1, chunk, T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.cut, 1);
	assert_int_equal(st.deleted, 1);
	assert_true(st.total <= 1000);
	evidence_free(ev);
	assert_int_equal(entries(fx, "keep-me"), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", fx->dir);
	assert_int_equal(access(path, F_OK), 0);
}

/* A reload (evidence_apply_config) keeps the files open and applies the
 * new grace. */
static void
test_reload_keeps_files(void **state)
{
	struct fixture *fx = *state;
	struct evidence *ev;
	struct config cfg;
	char err[256];

	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	start(ev, &fx->f1, 1, "a.zip", T0);
	add(ev, &fx->f1, BODY, T0);
	cfg = fx->cfg;
	cfg.evidence_grace_s = 1;
	evidence_apply_config(ev, &cfg);
	assert_true(evidence_writing(ev, &fx->f1));
	add(ev, &fx->f1, BODY, T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_tick(ev, T0 + NS_PER_SEC - 1);
	assert_int_equal(entries(fx, ".spool"), 1);
	evidence_tick(ev, T0 + NS_PER_SEC);
	assert_int_equal(entries(fx, ".spool"), 0);
	evidence_free(ev);
}

/* A write that fails (here EFBIG past RLIMIT_FSIZE, as a full disk
 * would) cuts that file once, counted; the next file is written. */
static void
test_write_error(void **state)
{
	struct fixture *fx = *state;
	static uint8_t big[3 * EVIDENCE_BUF];
	struct evidence_stats st;
	struct rlimit old, lim;
	struct evidence *ev;
	char err[256];

	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 10000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	start(ev, &fx->f1, 1, "a.zip", T0);
	evidence_bytes(ev, &fx->f1, big, sizeof(big), T0);
	evidence_bytes(ev, &fx->f1, big, sizeof(big), T0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.cut, 1);
	evidence_end(ev, &fx->f1, T0);
	/* the next one is whole */
	start(ev, &fx->f2, 2, "b.zip", T0);
	evidence_bytes(ev, &fx->f2, big, sizeof(big), T0);
	evidence_end(ev, &fx->f2, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.cut, 1);
	assert_int_equal(st.candidates_spooled, 2);
	evidence_free(ev);
}

/* A reload lowering max_bytes below an open file's size: no more bytes
 * (no wrap of max_bytes - size), the file cut at what it had. */
static void
test_reload_lowers_max_bytes(void **state)
{
	struct fixture *fx = *state;
	static uint8_t big[50000];
	struct evidence_stats st;
	struct evidence *ev;
	struct config cfg;
	char err[256];

	memset(big, 'b', sizeof(big));
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	start(ev, &fx->f1, 1, "a.zip", T0);
	evidence_bytes(ev, &fx->f1, big, sizeof(big), T0);
	cfg = fx->cfg;
	cfg.evidence_max_bytes = 1000;
	evidence_apply_config(ev, &cfg);
	evidence_bytes(ev, &fx->f1, big, sizeof(big), T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.bytes, sizeof(big) - EVIDENCE_HOLD);
	assert_int_equal(st.cut, 1);
	evidence_free(ev);
}

/* A file that reaches max_bytes (not a multiple of EVIDENCE_BUF): on
 * disk exactly the size and SHA-256 its manifest line gives. */
static void
test_max_bytes_on_disk(void **state)
{
	struct fixture *fx = *state;
	static uint8_t big[200000];
	struct evidence *ev;
	struct alert a;
	char err[256], path[512], buf[2048], hex[SHA256_HEX_LEN], want[200];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	fx->cfg.evidence_max_bytes = 100000;
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	start(ev, &fx->f1, 1, "a.zip", T0);
	raise_alert(fx, ev, 1, "0123abcd", T0, &a);
	evidence_bytes(ev, &fx->f1, big, sizeof(big), T0);
	evidence_end(ev, &fx->f1, T0);
	snprintf(path, sizeof(path), "%s/%s/001-a.zip", fx->dir, a.evidence_dir);
	assert_int_equal(file_digest(path, hex), 100000);
	snprintf(path, sizeof(path), "%s/%s/manifest.jsonl", fx->dir,
	    a.evidence_dir);
	read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "\"size\":100000,\"sha256\":\"%s\","
	    "\"complete\":false", hex);
	assert_non_null(strstr(buf, want));
	evidence_free(ev);
}

/* A victim directory with one file, mode 0700, beside fx->dir. */
static void
make_victim(const struct fixture *fx, char *victim, size_t len)
{
	char path[512];

	snprintf(victim, len, "%s-victim", fx->dir);
	assert_int_equal(mkdir(victim, 0700), 0);
	assert_int_equal(chmod(victim, 0700), 0);
	snprintf(path, sizeof(path), "%s/precious", victim);
	write_text(path, "keep");
}

static void
check_victim(const char *victim)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/precious", victim);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(stat(victim, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	remove_tree(victim);
}

/* .spool a link to another directory: never followed (its file stays,
 * its mode too); the link goes and a real spool is made. */
static void
test_spool_link_not_followed(void **state)
{
	struct fixture *fx = *state;
	struct evidence *ev;
	struct stat sb;
	char err[256], victim[128], path[512];

	make_victim(fx, victim, sizeof(victim));
	snprintf(path, sizeof(path), "%s/.spool", fx->dir);
	assert_int_equal(symlink(victim, path), 0);
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	/* positive control: the real spool is used and cleared */
	start(ev, &fx->f1, 1, "a.zip", T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_free(ev);
	check_victim(victim);
}

/* max_total: an alert-named link in evidence.dir is never followed, a
 * directory that cannot be deleted (not ours) is skipped for the next
 * oldest, and once nothing can go evidence.dir is not scanned again per
 * write (errors counted once). */
static void
test_max_total_stuck(void **state)
{
	struct fixture *fx = *state;
	static const char *olds[] = { "20000101T000000Z-old-aaaaaaaa",
	    "20000101T000001Z-old-bbbbbbbb" };
	struct evidence_stats st;
	struct evidence *ev;
	char err[256], victim[128], path[512], chunk[601];
	size_t i;

	make_victim(fx, victim, sizeof(victim));
	snprintf(path, sizeof(path), "%s/19990101T000000Z-link-cccccccc",
	    fx->dir);
	assert_int_equal(symlink(victim, path), 0);
	memset(chunk, 'o', 600);
	chunk[600] = '\0';
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->dir, olds[i]);
		assert_int_equal(mkdir(path, 0750), 0);
		snprintf(path, sizeof(path), "%s/%s/001-x", fx->dir, olds[i]);
		write_text(path, chunk);
	}
	/* the oldest is not ours (as root: another owner) */
	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/%s", fx->dir, olds[0]);
	assert_int_equal(chown(path, 65534, 65534), 0);
	fx->cfg.evidence_max_total = 1500;
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	evidence_get_stats(ev, &st);
	assert_int_equal(st.total, 1200);
	memset(chunk, 'n', 400);
	chunk[400] = '\0';
	start(ev, &fx->f1, 1, "a", T0);
	add(ev, &fx->f1, chunk, T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.deleted, 1); /* the second oldest */
	assert_int_equal(st.errors, 1);  /* the stuck one, tried once */
	assert_int_equal(st.total, 1000);
	assert_int_equal(entries(fx, olds[0]), 1);
	assert_int_equal(entries(fx, olds[1]), -1);
	/* no room left and nothing to delete: cut, and no scan per write */
	memset(chunk, 'm', 600);
	start(ev, &fx->f2, 2, "b", T0);
	add(ev, &fx->f2, chunk, T0);
	add(ev, &fx->f2, chunk, T0);
	evidence_end(ev, &fx->f2, T0);
	start(ev, &fx->f1, 3, "c", T0);
	add(ev, &fx->f1, chunk, T0);
	evidence_end(ev, &fx->f1, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.errors, 2); /* the stuck one again, in one scan */
	assert_int_equal(st.cut, 2);
	assert_int_equal(st.total, 1440); /* (b: 600 - the 160 held) */
	evidence_free(ev);
	check_victim(victim);
}

/* The same capture replayed into the same evidence.dir: a directory of
 * its own for each run, each whole. */
static void
test_alert_dir_reused(void **state)
{
	static const char dir[] = "20231114T221320Z-bulk-upload-0123abcd";
	struct fixture *fx = *state;
	struct evidence *ev;
	struct alert a;
	char err[256], path[512], buf[2048], name[128];
	int run;

	for (run = 1; run <= 2; run++) {
		assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
		start(ev, &fx->f1, 1, "a.zip", T0);
		add(ev, &fx->f1, BODY, T0);
		evidence_end(ev, &fx->f1, T0);
		raise_alert(fx, ev, 1, "0123abcd", T0, &a);
		snprintf(name, sizeof(name), run == 1 ? "%s" : "%s-2", dir);
		assert_string_equal(a.evidence_dir, name);
		start(ev, &fx->f1, 1, "b.zip", T0);
		add(ev, &fx->f1, BODY, T0);
		evidence_end(ev, &fx->f1, T0);
		evidence_free(ev);
		assert_int_equal(entries(fx, name), 3);
		snprintf(path, sizeof(path), "%s/%s/002-b.zip", fx->dir, name);
		read_file(path, buf, sizeof(buf));
		assert_string_equal(buf, BODY);
		snprintf(path, sizeof(path), "%s/%s/manifest.jsonl", fx->dir, name);
		read_file(path, buf, sizeof(buf));
		assert_non_null(strstr(buf, "\"name\":\"001-a.zip\""));
		assert_non_null(strstr(strchr(buf, '\n'),
		    "\"name\":\"002-b.zip\""));
		assert_int_equal(strchr(strchr(buf, '\n') + 1, '\n')[1], '\0');
	}
}

/* Decoy candidates never hold every slot: a quarter is kept for pairs
 * under evidence, and a finished candidate gives its slot up. */
static void
test_slots_for_alerted_pair(void **state)
{
	struct fixture *fx = *state;
	struct evidence_stats st;
	struct flow f[4];
	struct evidence *ev;
	struct alert a;
	char err[256];
	unsigned i;

	for (i = 0; i < 4; i++)
		flow_init(&f[i], "10.0.0.9", (uint16_t)(50000 + i));
	fx->cfg.evidence_max_open = 4;
	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	raise_alert(fx, ev, 1, "0123abcd", T0, &a);
	/* decoys: three of four slots, the fourth refused */
	assert_true(try_start(ev, &fx->f1, 10, "x", T0));
	assert_true(try_start(ev, &fx->f2, 11, "x", T0 + 1));
	assert_true(try_start(ev, &f[0], 12, "x", T0 + 2));
	assert_false(try_start(ev, &f[1], 13, "x", T0 + 3));
	/* the alerted pair has the fourth */
	assert_true(try_start(ev, &f[2], 1, "x", T0 + 4));
	/* two decoys end (kept for the grace): the older gives its slot */
	add(ev, &fx->f1, BODY, T0 + 5);
	add(ev, &fx->f2, BODY, T0 + 5);
	evidence_end(ev, &fx->f1, T0 + 5);
	evidence_end(ev, &fx->f2, T0 + 6);
	assert_true(try_start(ev, &f[3], 1, "x", T0 + 7));
	evidence_get_stats(ev, &st);
	assert_int_equal(st.candidates_dropped, 1);
	assert_int_equal(st.candidates_deleted, 1);
	assert_int_equal(st.candidates_spooled, 3);
	assert_int_equal(entries(fx, ".spool"), 2);
	/* the other finished decoy's slot, then every slot is busy: refused */
	assert_true(try_start(ev, &fx->f1, 1, "x", T0 + 8));
	assert_false(try_start(ev, &f[1], 1, "x", T0 + 9));
	evidence_get_stats(ev, &st);
	assert_int_equal(st.candidates_deleted, 2);
	assert_int_equal(st.missing, 1);
	evidence_free(ev);
}

/* A multipart body that begins with its delimiter (the preamble empty),
 * delim one more than the bytes held (a line start counted that was no
 * byte): no file, nothing cut; a part with bytes is stored. */
static void
test_empty_preamble_no_file(void **state)
{
	struct fixture *fx = *state;
	struct evidence_stats st;
	struct evidence *ev;
	struct alert a;
	char err[256];

	assert_non_null(ev = evidence_new(&fx->cfg, err, sizeof(err)));
	raise_alert(fx, ev, 1, "0123abcd", T0, &a);
	start(ev, &fx->f1, 1, "", T0);
	add(ev, &fx->f1, "--xyz\r\n", T0);
	evidence_part_end(ev, &fx->f1, 8, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.cut, 0);
	assert_int_equal(st.files, 0);
	assert_int_equal(entries(fx, a.evidence_dir), 0);
	/* positive control: a part with content */
	start(ev, &fx->f1, 1, "p.bin", T0);
	add(ev, &fx->f1, "data\r\n--xyz--", T0);
	evidence_part_end(ev, &fx->f1, 8, T0);
	evidence_get_stats(ev, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(entries(fx, a.evidence_dir), 2);
	evidence_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe_names),
		cmocka_unit_test_setup_teardown(test_candidate_deleted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_adopted_by_alert, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_max_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_lowers_max_bytes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_bytes_on_disk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spool_link_not_followed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_total_stuck, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alert_dir_reused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slots_for_alerted_pair,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_preamble_no_file,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
