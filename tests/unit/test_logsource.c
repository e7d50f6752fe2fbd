/*
 * test_logsource.c - logsrc_*: replay of plain, gzip and piped files (exact
 * lines and line numbers, CRLF, last line without LF, overlong lines, NUL
 * bytes, truncated gzip at every length), tail -F in a libevent loop
 * (appends, rename and copytruncate rotation, delete and recreate, held
 * partial lines, saved positions; with inotify and with the poll alone),
 * the syslog header parser and the UDP/TCP listener on loopback (RFC
 * 5424/3164 headers, RFC 6587 framing, oversized and malformed frames,
 * connection limit, stalled and idle clients). Temporary directories only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <event2/event.h>
#include <zlib.h>

#include "exfild/util/log.h"
#include "exfild/logs/logsource.h"
#include "exfild/util/util.h"

#define WAIT_MS 5000

static char tmpdir[64];

/* ---- collecting lines ---- */

struct got {
	char **text;
	size_t *len;
	uint64_t *lineno;
	char **source;
	size_t n, cap;
};

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->text[i]);
		free(g->source[i]);
	}
	free(g->text);
	free(g->len);
	free(g->lineno);
	free(g->source);
	memset(g, 0, sizeof(*g));
}

static void
collect(void *ctx, const char *source, uint64_t lineno, const char *line,
    size_t len)
{
	struct got *g = ctx;

	assert_int_equal(line[len], '\0');
	if (g->n == g->cap) {
		g->cap = g->cap > 0 ? g->cap * 2 : 64;
		g->text = xreallocarray(g->text, g->cap, sizeof(*g->text));
		g->len = xreallocarray(g->len, g->cap, sizeof(*g->len));
		g->lineno = xreallocarray(g->lineno, g->cap,
		    sizeof(*g->lineno));
		g->source = xreallocarray(g->source, g->cap,
		    sizeof(*g->source));
	}
	g->text[g->n] = xmalloc(len + 1);
	memcpy(g->text[g->n], line, len + 1);
	g->len[g->n] = len;
	g->lineno[g->n] = lineno;
	g->source[g->n] = xstrdup(source);
	g->n++;
}

static void
assert_line(const struct got *g, size_t i, const char *text, uint64_t lineno)
{
	assert_true(i < g->n);
	assert_int_equal(g->len[i], strlen(text));
	assert_string_equal(g->text[i], text);
	assert_int_equal(g->lineno[i], lineno);
}

/* ---- files ---- */

static char *
tpath(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
put(const char *path, const char *text)
{
	write_file(path, text, strlen(text), O_TRUNC);
}

static void
append(const char *path, const char *text)
{
	write_file(path, text, strlen(text), O_APPEND);
}

static void
gz_put(const char *path, const void *data, size_t len)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void *
read_whole(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	log_init("test", true, LOG_LEVEL_ERR);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_logsource.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Every line of a file through logsrc_file_next: rc of the last call. */
static int
pull_all(const char *path, struct got *g, struct logsrc_stats *st)
{
	struct logsrc_file *f;
	struct logsrc_line line;
	char err[256];
	int rc;

	f = logsrc_file_open(path, err, sizeof(err));
	assert_non_null(f);
	while ((rc = logsrc_file_next(f, &line)) == 1) {
		assert_true(line.text[line.len] == '\0');
		collect(g, logsrc_file_name(f), line.lineno, line.text,
		    line.len);
	}
	/* Done stays done. */
	assert_int_equal(logsrc_file_next(f, &line), 0);
	logsrc_file_get_stats(f, st);
	logsrc_file_close(f);
	return rc;
}

/* ---- replay ---- */

static void
test_replay_plain_crlf_last_line(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("plain.log");

	(void)state;
	put(p, "one\ntwo\r\n\nfour\r\r\nfive");
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 5);
	assert_line(&g, 0, "one", 1);
	assert_line(&g, 1, "two", 2);
	assert_line(&g, 2, "", 3);
	assert_line(&g, 3, "four\r", 4); /* one CR is dropped, not two */
	assert_line(&g, 4, "five", 5);
	assert_string_equal(g.source[0], p);
	assert_int_equal(st.lines, 5);
	assert_int_equal(st.bytes, 21);
	assert_int_equal(st.overlong, 0);
	assert_int_equal(st.first_overlong, 0);
	got_free(&g);

	/* A last line of a lone CR is an empty line; a file of one LF one
	 * empty line; an empty file none. */
	put(p, "x\n\r");
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_line(&g, 1, "", 2);
	got_free(&g);
	put(p, "\n");
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 1);
	assert_line(&g, 0, "", 1);
	got_free(&g);
	put(p, "");
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.lines, 0);
	assert_int_equal(st.bytes, 0);
}

static void
test_replay_nul_kept(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("nul.log");

	(void)state;
	write_file(p, "a\0b\n\0\n", 6, O_TRUNC);
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[0], 3);
	assert_memory_equal(g.text[0], "a\0b", 3);
	assert_int_equal(g.len[1], 1);
	assert_int_equal(g.text[1][0], '\0');
	got_free(&g);
}

static void
test_replay_overlong(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("long.log");
	size_t max = LOGSRC_LINE_MAX, big = 5 * max + 17, off = 0;
	char *data = xmalloc(3 * max + big + 64);

	(void)state;
	/* 1: exactly the cap; 2: the cap + CR LF (still fits); 3: one byte
	 * over; 4: "ok"; 5: five times the cap (spans many reads);
	 * 6: "end"; 7: over the cap without a final LF. */
	memset(data + off, 'a', max);
	off += max;
	data[off++] = '\n';
	memset(data + off, 'b', max);
	off += max;
	data[off++] = '\r';
	data[off++] = '\n';
	memset(data + off, 'c', max + 1);
	off += max + 1;
	data[off++] = '\n';
	memcpy(data + off, "ok\n", 3);
	off += 3;
	memset(data + off, 'd', big);
	off += big;
	memcpy(data + off, "\nend\n", 5);
	off += 5;
	write_file(p, data, off, O_TRUNC);
	memset(data, 'e', max + 2);
	write_file(p, data, max + 2, O_APPEND);

	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.len[0], max);
	assert_int_equal(g.lineno[0], 1);
	assert_int_equal(g.text[0][max - 1], 'a');
	assert_int_equal(g.len[1], max);
	assert_int_equal(g.lineno[1], 2);
	assert_int_equal(g.text[1][max - 1], 'b');
	assert_line(&g, 2, "ok", 4);
	assert_line(&g, 3, "end", 6);
	assert_int_equal(st.lines, 4);
	assert_int_equal(st.overlong, 3);
	assert_int_equal(st.first_overlong, 3);
	assert_int_equal(st.bytes, off + max + 2);
	got_free(&g);
	free(data);
}

/* Lines of every length from 0 to a few thousand, crossing every read
 * boundary: out exactly as written. */
static void
test_replay_many_lines(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("many.log");
	size_t n = 4000, i, off = 0, cap = 0, len;
	char *data = NULL;

	(void)state;
	for (i = 0; i < n; i++)
		cap += i % 3001 + 2;
	data = xmalloc(cap);
	for (i = 0; i < n; i++) {
		len = i % 3001;
		memset(data + off, 'A' + (int)(i % 26), len);
		off += len;
		if (i % 7 == 0)
			data[off++] = '\r';
		data[off++] = '\n';
	}
	write_file(p, data, off, O_TRUNC);
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(g.len[i], i % 3001);
		assert_int_equal(g.lineno[i], i + 1);
		if (g.len[i] > 0)
			assert_int_equal(g.text[i][g.len[i] - 1],
			    'A' + (int)(i % 26));
	}
	got_free(&g);

	/* The same through gzip. */
	gz_put(tpath("many.log.gz"), data, off);
	assert_int_equal(pull_all(tpath("many.log.gz"), &g, &st), 0);
	assert_int_equal(g.n, n);
	assert_int_equal(st.bytes, off);
	assert_int_equal(g.len[n - 1], (n - 1) % 3001);
	got_free(&g);
	free(data);
}

static void
test_replay_gzip(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("a.log.gz"), *q = tpath("b.log.gz");
	const char *cat = tpath("cat.gz");
	const char text[] = "first\r\nsecond\nthird";
	void *a, *b;
	size_t alen, blen;

	(void)state;
	gz_put(p, text, sizeof(text) - 1);
	assert_int_equal(pull_all(p, &g, &st), 0);
	assert_int_equal(g.n, 3);
	assert_line(&g, 0, "first", 1);
	assert_line(&g, 1, "second", 2);
	assert_line(&g, 2, "third", 3);
	assert_int_equal(st.bytes, sizeof(text) - 1);
	assert_int_equal(st.read_errors, 0);
	got_free(&g);

	/* Two members one after the other (cat a.gz b.gz). */
	gz_put(q, "\nfourth\n", 8);
	a = read_whole(p, &alen);
	b = read_whole(q, &blen);
	write_file(cat, a, alen, O_TRUNC);
	write_file(cat, b, blen, O_APPEND);
	assert_int_equal(pull_all(cat, &g, &st), 0);
	assert_int_equal(g.n, 4);
	assert_line(&g, 2, "third", 3);
	assert_line(&g, 3, "fourth", 4);
	got_free(&g);
	free(a);
	free(b);
}

/*
 * A gzip file cut at every length: never a cut line, never a crash; the
 * cut file ends with -1 (read error counted), the whole one with 0.
 */
static void
test_replay_gzip_truncated_everywhere(void **state)
{
	static const char *const want[] = {
		"1700000000.123 5 10.0.0.1 TCP_MISS/200 1234 GET http://a/ - "
		    "HIER_DIRECT/1.2.3.4 text/html",
		"1700000001.456 7 10.0.0.2 TCP_TUNNEL/200 99999 CONNECT b:443 "
		    "- HIER_DIRECT/5.6.7.8 -",
		"last line",
	};
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("cut.gz"), *full = tpath("full.gz");
	char text[512];
	void *z;
	size_t zlen, cut, i;
	int rc;

	(void)state;
	snprintf(text, sizeof(text), "%s\n%s\n%s\n", want[0], want[1],
	    want[2]);
	gz_put(full, text, strlen(text));
	z = read_whole(full, &zlen);
	for (cut = 2; cut <= zlen; cut++) {
		write_file(p, z, cut, O_TRUNC);
		rc = pull_all(p, &g, &st);
		assert_int_equal(rc, cut == zlen ? 0 : -1);
		assert_int_equal(st.read_errors, cut == zlen ? 0 : 1);
		assert_true(g.n <= 3);
		for (i = 0; i < g.n; i++)
			assert_line(&g, i, want[i], i + 1);
		if (cut < zlen)
			assert_int_equal(st.first_read_error, g.n);
		else
			assert_int_equal(g.n, 3);
		got_free(&g);
	}
	free(z);
}

static void
test_replay_gzip_corrupt_logged(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("bad.gz"), *logpath = tpath("stderr.txt");
	size_t n = 4000, i, zlen, loglen;
	char want[512], *text = xmalloc(n * 101 + 1);
	uint8_t *z;
	char *log;
	int saved, fd;

	(void)state;
	/* 400 KB of text, so that zlib hands out the first parts before it
	 * reaches the check at the end (it drops what it inflated in the
	 * read that finds the error). */
	for (i = 0; i < n; i++)
		snprintf(text + i * 101, 102, "%0100zu\n", i);
	gz_put(p, text, n * 101);
	free(text);
	z = read_whole(p, &zlen);
	z[zlen - 8] ^= 0xff; /* the CRC-32 in the trailer */
	write_file(p, z, zlen, O_TRUNC);
	free(z);

	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(pull_all(p, &g, &st), -1);
	log_set_level(LOG_LEVEL_ERR);
	dup2(saved, STDERR_FILENO);
	close(saved);

	/* Lines from before the bad part came, whole and in order. */
	assert_true(g.n > 0 && g.n < n);
	for (i = 0; i < g.n; i++) {
		snprintf(want, sizeof(want), "%0100zu", i);
		assert_line(&g, i, want, i + 1);
	}
	assert_int_equal(st.read_errors, 1);
	assert_int_equal(st.first_read_error, g.n);
	log = read_whole(logpath, &loglen);
	log[loglen] = '\0';
	snprintf(want, sizeof(want), "exfild: %s: incorrect data check after "
	    "line %zu; the rest of the file is lost\n", p, g.n);
	assert_string_equal(log, want);
	free(log);
	got_free(&g);
}

static void
test_replay_stdin_pipe(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *p = tpath("pipe.gz");
	int pipefd[2], saved;
	void *z;
	size_t zlen;

	(void)state;
	/* Plain text through a pipe (zlib passes it through). */
	saved = dup(STDIN_FILENO);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], "p1\np2\n", 6), 6);
	close(pipefd[1]);
	dup2(pipefd[0], STDIN_FILENO);
	close(pipefd[0]);
	assert_int_equal(pull_all("-", &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_line(&g, 1, "p2", 2);
	assert_string_equal(g.source[0], "stdin");
	got_free(&g);

	/* gzip through a pipe. */
	gz_put(p, "z1\nz2", 5);
	z = read_whole(p, &zlen);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], z, zlen), (ssize_t)zlen);
	close(pipefd[1]);
	dup2(pipefd[0], STDIN_FILENO);
	close(pipefd[0]);
	assert_int_equal(pull_all("-", &g, &st), 0);
	assert_int_equal(g.n, 2);
	assert_line(&g, 0, "z1", 1);
	assert_line(&g, 1, "z2", 2);
	got_free(&g);
	free(z);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

static void
test_replay_several_in_order(void **state)
{
	struct got g = { 0 };
	struct logsrc_stats st;
	const char *paths[3];
	char err[256], want[300];

	(void)state;
	paths[0] = tpath("r1.log");
	paths[1] = tpath("r2.log.gz");
	paths[2] = tpath("r3.log");
	put(paths[0], "a1\na2\n");
	gz_put(paths[1], "b1\n", 3);
	put(paths[2], "c1\nc2\nc3");
	assert_int_equal(logsrc_replay(paths, 3, collect, &g, &st, err,
	    sizeof(err)), 0);
	assert_int_equal(g.n, 6);
	assert_line(&g, 0, "a1", 1);
	assert_line(&g, 1, "a2", 2);
	assert_line(&g, 2, "b1", 1);
	assert_line(&g, 3, "c1", 1);
	assert_line(&g, 5, "c3", 3);
	assert_string_equal(g.source[2], paths[1]);
	assert_string_equal(g.source[5], paths[2]);
	assert_int_equal(st.lines, 6);
	assert_int_equal(st.bytes, 6 + 3 + 8);
	got_free(&g);

	/* One missing: nothing is read at all. */
	paths[1] = tpath("missing.log");
	assert_int_equal(logsrc_replay(paths, 3, collect, &g, &st, err,
	    sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory",
	    paths[1]);
	assert_string_equal(err, want);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.lines, 0);

	/* A directory is refused at open. */
	assert_null(logsrc_file_open(tmpdir, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: Is a directory", tmpdir);
	assert_string_equal(err, want);
}

/* ---- follow ---- */

struct follow_case {
	bool no_inotify;
};

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* Runs the loop for ms milliseconds. */
static void
run_for(struct event_base *base, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *ev = event_new(base, -1, 0, on_stop, base);

	event_add(ev, &tv);
	event_base_dispatch(base);
	event_free(ev);
}

/* Runs the loop until n lines came (or WAIT_MS), then 100 ms more so that
 * a line too many would show. */
static void
run_until(struct event_base *base, const struct got *g, size_t n)
{
	unsigned waited = 0;

	while (g->n < n && waited < WAIT_MS) {
		run_for(base, 10);
		waited += 10;
	}
	run_for(base, 100);
}

static struct logsrc_follow *
follow(struct event_base *base, const char *path, void **state,
    enum logsrc_start start, struct got *g)
{
	const struct follow_case *fc = *state;
	struct logsrc_follow_opts o = { 0 };
	struct logsrc_follow *f;
	char err[256];

	o.start = start;
	o.poll_ms = 50;
	o.drain_ms = 400;
	o.no_inotify = fc->no_inotify;
	f = logsrc_follow_start(base, path, &o, collect, g, err, sizeof(err));
	assert_non_null(f);
	return f;
}

/* "prefix-N\n" for N in [from, to). */
static void
append_numbered(const char *path, const char *prefix, int from, int to)
{
	char line[64];
	int i;

	for (i = from; i < to; i++) {
		snprintf(line, sizeof(line), "%s-%d\n", prefix, i);
		append(path, line);
	}
}

static void
assert_numbered(const struct got *g, size_t at, const char *prefix, int from,
    int to)
{
	char line[64];
	int i;

	for (i = from; i < to; i++) {
		snprintf(line, sizeof(line), "%s-%d", prefix, i);
		assert_true(at + (size_t)(i - from) < g->n);
		assert_string_equal(g->text[at + (size_t)(i - from)], line);
	}
}

static void
test_follow_append_and_partial(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_follow *f;
	const char *p = tpath("f-append.log");

	/* Old content and a half-written line are not handed out. */
	put(p, "old 1\nold 2\nhalf of a li");
	f = follow(base, p, state, LOGSRC_START_END, &g);
	append(p, "ne\nnew 1\n");
	run_until(base, &g, 1);
	assert_int_equal(g.n, 1);
	assert_line(&g, 0, "new 1", 1);
	assert_string_equal(g.source[0], p);

	/* A partial line is held until its LF comes. */
	append(p, "new 2 fir");
	run_for(base, 200);
	assert_int_equal(g.n, 1);
	append(p, "st half, ");
	run_for(base, 100);
	append(p, "end\r\nnew 3\n");
	run_until(base, &g, 3);
	assert_int_equal(g.n, 3);
	assert_line(&g, 1, "new 2 first half, end", 2);
	assert_line(&g, 2, "new 3", 3);

	logsrc_follow_get_stats(f, &st);
	assert_int_equal(st.lines, 3);
	assert_int_equal(st.bytes, 9 + 9 + 9 + 11);
	assert_int_equal(st.rotations, 0);
	assert_int_equal(st.truncations, 0);
	logsrc_follow_stop(f);
	got_free(&g);
	event_base_free(base);
}

static void
test_follow_rename_rotation(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_follow *f;
	const char *p = tpath("f-rot.log"), *p1 = tpath("f-rot.log.1");
	int oldfd;

	put(p, "");
	f = follow(base, p, state, LOGSRC_START_END, &g);
	append_numbered(p, "a", 0, 10);
	run_until(base, &g, 10);
	assert_int_equal(g.n, 10);

	/* Renamed; the writer still writes to the old file (it has not
	 * reopened), including a line without its LF yet. */
	oldfd = open(p, O_WRONLY | O_APPEND);
	assert_true(oldfd >= 0);
	assert_int_equal(rename(p, p1), 0);
	run_for(base, 100);
	append_numbered(p1, "a", 10, 15);
	run_for(base, 100);
	append_numbered(p1, "a", 15, 20);
	assert_int_equal(write(oldfd, "a-20", 4), 4);
	/* Then the new file appears, and the old one still gets a line and
	 * the rest of the held one after that. */
	append_numbered(p, "b", 0, 5);
	run_for(base, 100);
	assert_int_equal(write(oldfd, "\na-21\n", 6), 6);
	close(oldfd);
	append_numbered(p, "b", 5, 10);
	run_until(base, &g, 32);
	assert_int_equal(g.n, 32);
	/* Each line once: the a-lines in order, the b-lines in order. */
	{
		size_t i, na = 0, nb = 0;
		char want[16];

		for (i = 0; i < g.n; i++) {
			if (g.text[i][0] == 'a')
				snprintf(want, sizeof(want), "a-%zu", na++);
			else
				snprintf(want, sizeof(want), "b-%zu", nb++);
			assert_string_equal(g.text[i], want);
			assert_int_equal(g.lineno[i], i + 1);
		}
		assert_int_equal(na, 22);
		assert_int_equal(nb, 10);
	}
	/* The old file was read to its end before the new one. */
	assert_string_equal(g.text[20], "b-0");
	logsrc_follow_get_stats(f, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(st.truncations, 0);
	assert_int_equal(st.lines, 32);

	/* After the drain time the old file is let go: a line written to
	 * it now is not read. */
	run_for(base, 600);
	append(p1, "late\n");
	append_numbered(p, "b", 10, 11);
	run_until(base, &g, 33);
	assert_int_equal(g.n, 33);
	assert_string_equal(g.text[32], "b-10");
	logsrc_follow_stop(f);
	got_free(&g);
	event_base_free(base);
}

/* Rotated away with an unterminated last line that never gets its LF: it
 * is handed out when the old file is let go. */
static void
test_follow_rotation_last_line(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_follow *f;
	const char *p = tpath("f-last.log"), *p1 = tpath("f-last.log.1");

	put(p, "");
	f = follow(base, p, state, LOGSRC_START_END, &g);
	append(p, "x1\nx2 no LF");
	run_until(base, &g, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(rename(p, p1), 0);
	put(p, "y1\n");
	run_until(base, &g, 2);
	assert_int_equal(g.n, 2);
	assert_line(&g, 1, "y1", 2);
	run_until(base, &g, 3); /* the drain time */
	assert_int_equal(g.n, 3);
	assert_line(&g, 2, "x2 no LF", 3);
	logsrc_follow_stop(f);
	got_free(&g);
	event_base_free(base);
}

static void
test_follow_copytruncate(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_follow *f;
	const char *p = tpath("f-trunc.log");
	int round, fd;

	put(p, "");
	f = follow(base, p, state, LOGSRC_START_END, &g);
	for (round = 0; round < 3; round++) {
		append_numbered(p, "t", round * 100, round * 100 + 20);
		run_until(base, &g, (size_t)round * 25 + 20);
		/* logrotate copytruncate: copy (not read by us), truncate. */
		fd = open(p, O_WRONLY);
		assert_int_equal(ftruncate(fd, 0), 0);
		close(fd);
		append_numbered(p, "u", round * 100, round * 100 + 5);
		run_until(base, &g, (size_t)round * 25 + 25);
		assert_int_equal(g.n, (size_t)round * 25 + 25);
		assert_numbered(&g, (size_t)round * 25, "t", round * 100,
		    round * 100 + 20);
		assert_numbered(&g, (size_t)round * 25 + 20, "u", round * 100,
		    round * 100 + 5);
	}
	logsrc_follow_get_stats(f, &st);
	assert_int_equal(st.truncations, 3);
	assert_int_equal(st.rotations, 0);
	assert_int_equal(st.lines, 75);
	logsrc_follow_stop(f);
	got_free(&g);
	event_base_free(base);
}

static void
test_follow_delete_recreate_and_late_file(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_follow *f;
	const char *p = tpath("f-later.log");

	/* Not there at start: read from its start when it comes. */
	unlink(p);
	f = follow(base, p, state, LOGSRC_START_END, &g);
	run_for(base, 100);
	put(p, "c1\nc2\n");
	run_until(base, &g, 2);
	assert_int_equal(g.n, 2);
	assert_line(&g, 0, "c1", 1);

	/* Deleted, then made again. */
	assert_int_equal(unlink(p), 0);
	run_for(base, 100);
	put(p, "d1\n");
	append(p, "d2\n");
	run_until(base, &g, 4);
	assert_int_equal(g.n, 4);
	assert_line(&g, 2, "d1", 3);
	assert_line(&g, 3, "d2", 4);
	logsrc_follow_get_stats(f, &st);
	assert_int_equal(st.rotations, 1);
	logsrc_follow_stop(f);
	got_free(&g);
	event_base_free(base);
}

static void
test_follow_begin_saved_position(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_follow_opts o = { 0 };
	struct logsrc_position pos;
	struct logsrc_follow *f;
	const char *p = tpath("f-saved.log");
	char err[256];

	put(p, "s1\ns2\ns3 half");
	f = follow(base, p, state, LOGSRC_START_BEGIN, &g);
	run_until(base, &g, 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(logsrc_follow_position(f, &pos), 0);
	assert_int_equal(pos.offset, 6); /* after "s2\n", not the half line */
	logsrc_follow_stop(f);

	/* Restarted at the saved position: the half line whole, no s1/s2. */
	append(p, " done\ns4\n");
	o.start = LOGSRC_START_SAVED;
	o.saved = pos;
	o.poll_ms = 50;
	f = logsrc_follow_start(base, p, &o, collect, &g, err, sizeof(err));
	assert_non_null(f);
	run_until(base, &g, 4);
	assert_int_equal(g.n, 4);
	assert_line(&g, 2, "s3 half done", 1);
	assert_line(&g, 3, "s4", 2);
	assert_int_equal(logsrc_follow_position(f, &pos), 0);
	assert_int_equal(pos.offset, 22);
	logsrc_follow_stop(f);

	/* Another file under the name now: read from its start. */
	assert_int_equal(unlink(p), 0);
	put(p, "n1\n");
	f = logsrc_follow_start(base, p, &o, collect, &g, err, sizeof(err));
	assert_non_null(f);
	run_until(base, &g, 5);
	assert_int_equal(g.n, 5);
	assert_line(&g, 4, "n1", 1);
	logsrc_follow_stop(f);

	assert_null(logsrc_follow_start(base, "", &o, collect, &g, err,
	    sizeof(err)));
	assert_string_equal(err, "follow: empty path");
	got_free(&g);
	event_base_free(base);
}

/* More than one turn's worth at once (1 MiB a turn): every line once, in
 * order; an overlong line among them is counted. */
static void
test_follow_burst_and_overlong(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_follow *f;
	const char *p = tpath("f-burst.log");
	size_t n = 40000, i, off = 0, len = 100;
	char *data = xmalloc(n * (len + 1) + LOGSRC_LINE_MAX + 2);

	put(p, "");
	f = follow(base, p, state, LOGSRC_START_END, &g);
	for (i = 0; i < n; i++) {
		snprintf(data + off, len + 1, "%08zu%0*d", i, (int)len - 8, 0);
		off += len;
		data[off++] = '\n';
		if (i == n / 2) {
			memset(data + off, 'L', LOGSRC_LINE_MAX + 1);
			off += LOGSRC_LINE_MAX + 1;
			data[off++] = '\n';
		}
	}
	write_file(p, data, off, O_APPEND);
	run_until(base, &g, n);
	assert_int_equal(g.n, n);
	for (i = 0; i < n; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%08zu", i);
		assert_memory_equal(g.text[i], want, 8);
		assert_int_equal(g.len[i], len);
		assert_int_equal(g.lineno[i], i <= n / 2 ? i + 1 : i + 2);
	}
	logsrc_follow_get_stats(f, &st);
	assert_int_equal(st.overlong, 1);
	assert_int_equal(st.first_overlong, n / 2 + 2);
	assert_int_equal(st.bytes, off);
	logsrc_follow_stop(f);
	got_free(&g);
	free(data);
	event_base_free(base);
}

/* ---- syslog headers ---- */

static void
assert_msg(const char *m, bool header, const char *want)
{
	const uint8_t *msg;
	size_t len;

	assert_int_equal(logsrc_syslog_msg((const uint8_t *)m, strlen(m),
	    &msg, &len), header);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(msg, want, len);
}

static const char *const syslog_examples[] = {
	/* RFC 5424 section 6.5, examples 1 to 4 */
	"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
	    "\xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
	"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
	    "%% It's time to make the do-nuts.",
	"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	    "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	    "eventID=\"1011\"] \xef\xbb\xbf" "An application event log entry",
	"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - "
	    "ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" "
	    "eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
	/* RFC 3164 section 5.4 */
	"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on "
	    "/dev/pts/8",
	"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
	"<13>Oct 11 22:14:15 proxy1 squid[4242]: 1700000000.123 5 10.0.0.1 "
	    "TCP_MISS/200 1234 GET http://a/ - HIER_DIRECT/1.2.3.4 text/html",
};

static void
test_syslog_headers(void **state)
{
	static const char *const want[] = {
		"'su root' failed for lonvick on /dev/pts/8",
		"%% It's time to make the do-nuts.",
		"An application event log entry",
		"",
		"'su root' failed for lonvick on /dev/pts/8",
		"Use the BFG!",
		"1700000000.123 5 10.0.0.1 TCP_MISS/200 1234 GET http://a/ - "
		    "HIER_DIRECT/1.2.3.4 text/html",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(want); i++)
		assert_msg(syslog_examples[i], true, want[i]);

	/* 5424: escaped quote and bracket in a value; NILVALUE time. */
	assert_msg("<14>1 - h a p m [x@1 k=\"a\\\"]b\\]\"] msg", true,
	    "msg");
	assert_msg("<14>1 - - - - - - x", true, "x");
	/* rsyslog's RSYSLOG_ForwardFormat: RFC 3339 time in a 3164 frame. */
	assert_msg("<13>2024-01-02T03:04:05.123456+01:00 proxy1 "
	    "squid-access: a b c", true, "a b c");
	/* No hostname; no tag; an IPv6 host that looks like a tag. */
	assert_msg("<13>Oct 11 22:14:15 squid: line", true, "line");
	assert_msg("<13>Oct  1 02:04:05 host 1700000000.1 x", true,
	    "1700000000.1 x");
	assert_msg("<13>Oct 11 22:14:15 2001:db8::1 squid[1]: v6", true,
	    "v6");
	assert_msg("<13>Oct 11 22:14:15 host", true, "");
	/* <PRI> alone */
	assert_msg("<13>hello world", true, "hello world");
	assert_msg("<0>1 broken 5424", true, "1 broken 5424");
	assert_msg("<13>Oct 11 22:14:15", true, "Oct 11 22:14:15");
	/* no header: passed whole */
	assert_msg("hello", false, "hello");
	assert_msg("<192>too big", false, "<192>too big");
	assert_msg("<>x", false, "<>x");
	assert_msg("<1234>x", false, "<1234>x");
	assert_msg("<13", false, "<13");
	assert_msg("", false, "");
}

/* Every prefix of every example: no read out of bounds (ASan), the MSG
 * always inside the message. */
static void
test_syslog_headers_truncated_everywhere(void **state)
{
	const uint8_t *msg;
	uint8_t *copy;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < ARRAY_LEN(syslog_examples); i++) {
		size_t full = strlen(syslog_examples[i]);

		for (n = 0; n <= full; n++) {
			/* An exact-size heap copy, so ASan sees overreads. */
			copy = xmalloc(n > 0 ? n : 1);
			memcpy(copy, syslog_examples[i], n);
			logsrc_syslog_msg(copy, n, &msg, &len);
			assert_true(msg >= copy && msg + len == copy + n);
			free(copy);
		}
	}
}

/* ---- listener ---- */

static struct logsrc_listener *
listen_on(struct event_base *base, const char *spec,
    const struct logsrc_listen_opts *o, struct got *g)
{
	struct logsrc_listener *l;
	char err[256];

	l = logsrc_listen_start(base, spec, o, collect, g, err, sizeof(err));
	if (l == NULL)
		fail_msg("%s", err);
	return l;
}

static int
client(bool tcp, int family, uint16_t port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int fd = socket(family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(port);
		sin6.sin6_addr = in6addr_loopback;
		assert_int_equal(connect(fd, (struct sockaddr *)&sin6,
		    sizeof(sin6)), 0);
	}
	return fd;
}

static void
send_text(int fd, const char *text)
{
	size_t n = strlen(text);

	assert_int_equal(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* True when the server closed the connection (EOF or reset). */
static bool
closed_by_peer(struct event_base *base, int fd)
{
	char c;
	ssize_t n;
	int i;

	for (i = 0; i < 100; i++) {
		run_for(base, 10);
		n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return true;
	}
	return false;
}

static void
test_listen_udp(void **state)
{
	struct event_base *base = event_base_new();
	struct logsrc_listen_opts o = { 0 };
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_listener *l;
	const char *multi = "<13>Oct 11 22:14:15 h t: one\r\ntwo\n\nfour\n";
	char big[300];
	int fd;

	(void)state;
	o.max_frame = 256;
	l = listen_on(base, "udp://127.0.0.1:0", &o, &g);
	assert_true(logsrc_listen_port(l) != 0);
	fd = client(false, AF_INET, logsrc_listen_port(l));
	send_text(fd, syslog_examples[2]);
	send_text(fd, syslog_examples[6]);
	send_text(fd, multi);
	send_text(fd, "no header here");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	send_text(fd, big);
	send_text(fd, "<14>1 - - - - - -");
	send_text(fd, "<13>after");
	run_until(base, &g, 8);
	assert_int_equal(g.n, 8);
	assert_line(&g, 0, "An application event log entry", 1);
	assert_line(&g, 1, "1700000000.123 5 10.0.0.1 TCP_MISS/200 1234 GET "
	    "http://a/ - HIER_DIRECT/1.2.3.4 text/html", 2);
	assert_line(&g, 2, "one", 3);
	assert_line(&g, 3, "two", 4);
	assert_line(&g, 4, "", 5);
	assert_line(&g, 5, "four", 6);
	assert_line(&g, 6, "no header here", 7);
	assert_line(&g, 7, "after", 9); /* line 8: the overlong one */
	assert_string_equal(g.source[0], "udp://127.0.0.1:0");
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.messages, 7);
	assert_int_equal(st.lines, 8);
	assert_int_equal(st.no_header, 1);
	assert_int_equal(st.first_no_header, 4);
	assert_int_equal(st.overlong, 1);
	assert_int_equal(st.first_overlong, 8);
	assert_int_equal(st.bytes, strlen(syslog_examples[2]) +
	    strlen(syslog_examples[6]) + strlen(multi) + 14 + 299 + 17 + 9);
	close(fd);
	logsrc_listen_stop(l);
	got_free(&g);

	/* IPv6 loopback, when the host has it. */
	l = logsrc_listen_start(base, "udp://[::1]:0", NULL, collect, &g,
	    big, sizeof(big));
	if (l != NULL) {
		fd = client(false, AF_INET6, logsrc_listen_port(l));
		send_text(fd, "<13>Oct 11 22:14:15 h t: six");
		run_until(base, &g, 1);
		assert_int_equal(g.n, 1);
		assert_line(&g, 0, "six", 1);
		close(fd);
		logsrc_listen_stop(l);
	}
	got_free(&g);
	event_base_free(base);
}

static void
test_listen_tcp_octet_counting(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_listener *l;
	const char *m1 = "<13>Oct 11 22:14:15 h t: first";
	const char *m2 = "<14>1 - h a - - - second\nthird";
	char frames[256];
	size_t i, n;
	int fd;

	(void)state;
	l = listen_on(base, "tcp://127.0.0.1:0", NULL, &g);
	fd = client(true, AF_INET, logsrc_listen_port(l));
	/* Two frames in one write. */
	n = (size_t)snprintf(frames, sizeof(frames), "%zu %s%zu %s",
	    strlen(m1), m1, strlen(m2), m2);
	assert_int_equal(send(fd, frames, n, 0), (ssize_t)n);
	run_until(base, &g, 3);
	assert_int_equal(g.n, 3);
	assert_line(&g, 0, "first", 1);
	assert_line(&g, 1, "second", 2);
	assert_line(&g, 2, "third", 3);

	/* One frame a byte at a time, the loop running in between. */
	n = (size_t)snprintf(frames, sizeof(frames), "%zu %s", strlen(m1),
	    m1);
	for (i = 0; i + 1 < n; i++) {
		assert_int_equal(send(fd, frames + i, 1, 0), 1);
		run_for(base, 2);
		assert_int_equal(g.n, 3);
	}
	assert_int_equal(send(fd, frames + i, 1, 0), 1);
	run_until(base, &g, 4);
	assert_int_equal(g.n, 4);
	assert_line(&g, 3, "first", 4);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.messages, 3);
	assert_int_equal(st.malformed_frames, 0);

	/* Then something that is not a frame length: closed, counted. */
	send_text(fd, "x5 hello");
	assert_true(closed_by_peer(base, fd));
	close(fd);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.malformed_frames, 1);
	assert_int_equal(st.first_malformed, 4);
	assert_int_equal(g.n, 4);

	/* A leading zero is not a MSG-LEN either; the stream ending inside
	 * a frame is counted too. */
	fd = client(true, AF_INET, logsrc_listen_port(l));
	send_text(fd, "3 abc05 hello");
	assert_true(closed_by_peer(base, fd));
	close(fd);
	fd = client(true, AF_INET, logsrc_listen_port(l));
	send_text(fd, "10 <13>abc");
	run_for(base, 50);
	close(fd);
	run_for(base, 100);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.malformed_frames, 3);
	assert_int_equal(g.n, 5);
	assert_line(&g, 4, "abc", 5);
	logsrc_listen_stop(l);
	got_free(&g);
	event_base_free(base);
}

static void
test_listen_tcp_lf_framing(void **state)
{
	struct event_base *base = event_base_new();
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_listener *l;
	int fd;

	(void)state;
	l = logsrc_listen_start(base, "tcp://[::1]:0", NULL, collect, &g,
	    NULL, 0);
	if (l == NULL) {
		event_base_free(base);
		skip();
	}
	fd = client(true, AF_INET6, logsrc_listen_port(l));
	send_text(fd, "<13>Oct 11 22:14:15 h t: one\n<13>Oct 11 22:14:15 h t");
	run_for(base, 50);
	send_text(fd, ": two\r\n1700000000.5 raw squid line\n");
	run_until(base, &g, 3);
	assert_int_equal(g.n, 3);
	assert_line(&g, 0, "one", 1);
	assert_line(&g, 1, "two", 2);
	assert_line(&g, 2, "1700000000.5 raw squid line", 3);
	/* A last frame without LF before the close still counts. */
	send_text(fd, "<13>last");
	run_for(base, 50);
	close(fd);
	run_until(base, &g, 4);
	assert_int_equal(g.n, 4);
	assert_line(&g, 3, "last", 4);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.no_header, 1);
	assert_int_equal(st.first_no_header, 3);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.malformed_frames, 0);
	logsrc_listen_stop(l);
	got_free(&g);
	event_base_free(base);
}

static void
test_listen_tcp_oversized(void **state)
{
	struct event_base *base = event_base_new();
	struct logsrc_listen_opts o = { 0 };
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_listener *l;
	char line[200];
	int fd;

	(void)state;
	o.max_frame = 100;
	l = listen_on(base, "tcp://127.0.0.1:0", &o, &g);

	/* Octet counting: the length alone is enough to refuse it. */
	fd = client(true, AF_INET, logsrc_listen_port(l));
	send_text(fd, "4 <1>a101 ");
	assert_true(closed_by_peer(base, fd));
	close(fd);
	assert_int_equal(g.n, 1);
	assert_line(&g, 0, "a", 1);
	/* Exactly max_frame is fine. */
	fd = client(true, AF_INET, logsrc_listen_port(l));
	memset(line, 'y', 100);
	line[100] = '\0';
	send_text(fd, "100 ");
	send_text(fd, line);
	run_until(base, &g, 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[1], 100);
	close(fd);

	/* LF framing: more than max_frame without a LF. */
	fd = client(true, AF_INET, logsrc_listen_port(l));
	memset(line, 'z', 150);
	line[150] = '\0';
	send_text(fd, "<13>ok\n");
	send_text(fd, line);
	assert_true(closed_by_peer(base, fd));
	close(fd);
	assert_int_equal(g.n, 3);
	assert_line(&g, 2, "ok", 4);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.overlong, 2);
	assert_int_equal(st.first_overlong, 2);
	assert_int_equal(st.connections, 3);
	logsrc_listen_stop(l);
	got_free(&g);
	event_base_free(base);
}

static void
test_listen_tcp_limits_and_stalls(void **state)
{
	struct event_base *base = event_base_new();
	struct logsrc_listen_opts o = { 0 };
	struct got g = { 0 };
	struct logsrc_stats st;
	struct logsrc_listener *l;
	int a, b, c;

	(void)state;
	o.max_connections = 2;
	o.idle_ms = 700;
	l = listen_on(base, "tcp://127.0.0.1:0", &o, &g);
	a = client(true, AF_INET, logsrc_listen_port(l));
	b = client(true, AF_INET, logsrc_listen_port(l));
	run_for(base, 50);
	c = client(true, AF_INET, logsrc_listen_port(l));
	assert_true(closed_by_peer(base, c));
	close(c);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.connections, 2);
	assert_int_equal(st.connections_refused, 1);

	/* a stalls in the middle of a frame; b goes on. */
	send_text(a, "17 <13>partial");
	send_text(b, "<13>b1\n<13>b2\n");
	run_until(base, &g, 2);
	assert_int_equal(g.n, 2);
	assert_line(&g, 0, "b1", 1);
	assert_line(&g, 1, "b2", 2);

	/* a finishes its frame later. */
	send_text(a, " frame");
	run_until(base, &g, 3);
	assert_int_equal(g.n, 3);
	assert_line(&g, 2, "partial frame", 3);

	/* b says nothing for longer than idle_ms: closed; a freed slot
	 * takes a new connection. */
	run_for(base, 300);
	send_text(a, "8 <13>more");
	assert_true(closed_by_peer(base, b));
	close(b);
	assert_int_equal(g.n, 4);
	c = client(true, AF_INET, logsrc_listen_port(l));
	send_text(c, "<13>c1\n");
	run_until(base, &g, 5);
	assert_int_equal(g.n, 5);
	assert_line(&g, 4, "c1", 5);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.connections, 3);
	assert_int_equal(st.connections_refused, 1);
	assert_int_equal(st.malformed_frames, 0);

	/* Idle in the middle of a frame: not handed out cut, counted. */
	send_text(c, "<13>c2 without its LF");
	assert_true(closed_by_peer(base, c));
	assert_int_equal(g.n, 5);
	logsrc_listen_get_stats(l, &st);
	assert_int_equal(st.malformed_frames, 1);
	assert_int_equal(st.first_malformed, 6);
	close(a);
	close(c);
	logsrc_listen_stop(l);
	got_free(&g);
	event_base_free(base);
}

static void
test_listen_errors(void **state)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
		{ "127.0.0.1:514", "127.0.0.1:514: expected udp://ADDR:PORT or "
		    "tcp://ADDR:PORT (IPv6: tcp://[ADDR]:PORT)" },
		{ "udp://", "udp://: expected udp://ADDR:PORT or "
		    "tcp://ADDR:PORT (IPv6: tcp://[ADDR]:PORT)" },
		{ "udp://127.0.0.1", "udp://127.0.0.1: expected udp://ADDR:PORT "
		    "or tcp://ADDR:PORT (IPv6: tcp://[ADDR]:PORT)" },
		{ "tcp://[::1:514", "tcp://[::1:514: expected udp://ADDR:PORT or "
		    "tcp://ADDR:PORT (IPv6: tcp://[ADDR]:PORT)" },
		{ "tcp://[::1]514", "tcp://[::1]514: expected udp://ADDR:PORT or "
		    "tcp://ADDR:PORT (IPv6: tcp://[ADDR]:PORT)" },
		{ "udp://127.0.0.1:65536", "udp://127.0.0.1:65536: the port "
		    "must be a number from 0 to 65535" },
		{ "udp://127.0.0.1:", "udp://127.0.0.1:: the port must be a "
		    "number from 0 to 65535" },
		{ "udp://127.0.0.1:5x", "udp://127.0.0.1:5x: the port must be a "
		    "number from 0 to 65535" },
		{ "udp://localhost:514", "udp://localhost:514: the address must "
		    "be an IPv4 address or an IPv6 address in brackets (names "
		    "are not resolved)" },
		{ "tcp://[1.2.3.4]:514", "tcp://[1.2.3.4]:514: not an IPv6 "
		    "address between the brackets" },
	};
	struct event_base *base = event_base_new();
	struct logsrc_listen_opts o = { 0 };
	struct logsrc_listener *l;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(logsrc_listen_check(cases[i].spec, err,
		    sizeof(err)), -1);
		assert_string_equal(err, cases[i].err);
		assert_null(logsrc_listen_start(base, cases[i].spec, NULL,
		    collect, NULL, err, sizeof(err)));
		assert_string_equal(err, cases[i].err);
	}
	assert_int_equal(logsrc_listen_check("tcp://[::]:5514", err,
	    sizeof(err)), 0);
	assert_int_equal(logsrc_listen_check("udp://0.0.0.0:514", err,
	    sizeof(err)), 0);

	/* The port is taken. */
	l = listen_on(base, "tcp://127.0.0.1:0", NULL, NULL);
	snprintf(err, sizeof(err), "tcp://127.0.0.1:%u",
	    logsrc_listen_port(l));
	{
		char spec[64], want[128];

		str_copy(spec, err, sizeof(spec));
		assert_null(logsrc_listen_start(base, spec, NULL, collect,
		    NULL, err, sizeof(err)));
		snprintf(want, sizeof(want), "%s: cannot bind: Address "
		    "already in use", spec);
		assert_string_equal(err, want);
	}
	logsrc_listen_stop(l);
	o.max_frame = (1u << 20) + 1;
	assert_null(logsrc_listen_start(base, "udp://127.0.0.1:0", &o,
	    collect, NULL, err, sizeof(err)));
	assert_string_equal(err, "udp://127.0.0.1:0: max_frame is more than "
	    "1 MiB");
	logsrc_listen_stop(NULL);
	logsrc_follow_stop(NULL);
	logsrc_file_close(NULL);
	event_base_free(base);
}

int
main(void)
{
	static struct follow_case with_inotify = { false };
	static struct follow_case poll_only = { true };
#define FOLLOW_TESTS(fc)                                                  \
	cmocka_unit_test_prestate(test_follow_append_and_partial, &fc),   \
	cmocka_unit_test_prestate(test_follow_rename_rotation, &fc),      \
	cmocka_unit_test_prestate(test_follow_rotation_last_line, &fc),   \
	cmocka_unit_test_prestate(test_follow_copytruncate, &fc),         \
	cmocka_unit_test_prestate(test_follow_delete_recreate_and_late_file, \
	    &fc),                                                         \
	cmocka_unit_test_prestate(test_follow_begin_saved_position, &fc), \
	cmocka_unit_test_prestate(test_follow_burst_and_overlong, &fc)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_plain_crlf_last_line),
		cmocka_unit_test(test_replay_nul_kept),
		cmocka_unit_test(test_replay_overlong),
		cmocka_unit_test(test_replay_many_lines),
		cmocka_unit_test(test_replay_gzip),
		cmocka_unit_test(test_replay_gzip_truncated_everywhere),
		cmocka_unit_test(test_replay_gzip_corrupt_logged),
		cmocka_unit_test(test_replay_stdin_pipe),
		cmocka_unit_test(test_replay_several_in_order),
		FOLLOW_TESTS(with_inotify),
		FOLLOW_TESTS(poll_only),
		cmocka_unit_test(test_syslog_headers),
		cmocka_unit_test(test_syslog_headers_truncated_everywhere),
		cmocka_unit_test(test_listen_udp),
		cmocka_unit_test(test_listen_tcp_octet_counting),
		cmocka_unit_test(test_listen_tcp_lf_framing),
		cmocka_unit_test(test_listen_tcp_oversized),
		cmocka_unit_test(test_listen_tcp_limits_and_stalls),
		cmocka_unit_test(test_listen_errors),
	};

	return cmocka_run_group_tests_name("logsource", tests, setup,
	    teardown);
}
