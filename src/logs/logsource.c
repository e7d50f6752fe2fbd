/*
 * logsource.c - log lines from files (replay, plain or gzip), from a file
 * being written (tail -F, inotify with a stat poll) and from syslog
 * senders (RFC 5426 UDP, RFC 6587 TCP; RFC 5424 and RFC 3164 headers).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <zlib.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/logs/logsource.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/util.h"

/* ---- lines out of a byte stream, shared by every source ---- */

#define LB_CHUNK (64u * 1024)                    /* the least read at once */
#define LB_CAP (LOGSRC_LINE_MAX + 2 + LB_CHUNK)  /* + CR, + the NUL */

/*
 * Unread bytes are buf[start, end); scan of them have been searched for
 * LF already. While skipping, the bytes of an overlong line (or, with
 * fragment, of a line begun before we started) are dropped up to its LF.
 * consumed counts the bytes of every whole line taken out (with its LF)
 * since the last lb_reset: a follower's position.
 */
struct linebuf {
	char *buf;
	size_t start, end, scan;
	uint64_t skipped;
	uint64_t consumed;
	bool skipping;
	bool fragment;
};

enum lb_result { LB_NONE, LB_LINE, LB_OVERLONG };

static void
lb_init(struct linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
	lb->buf = xmalloc(LB_CAP);
}

static void
lb_reset(struct linebuf *lb)
{
	char *buf = lb->buf;

	memset(lb, 0, sizeof(*lb));
	lb->buf = buf;
}

static void
lb_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

/* A line of n bytes at p (its LF, if any, not counted): drop one CR. */
static enum lb_result
lb_line(char *p, size_t n, char **line, size_t *len)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > LOGSRC_LINE_MAX)
		return LB_OVERLONG;
	p[n] = '\0';
	*line = p;
	*len = n;
	return LB_LINE;
}

/*
 * The next whole line (LB_LINE), or an overlong line just finished
 * (LB_OVERLONG), or LB_NONE when more bytes are needed. With eof, the
 * bytes left form the last line.
 */
static enum lb_result
lb_next(struct linebuf *lb, bool eof, char **line, size_t *len)
{
	char *p, *lf;
	size_t n;

	for (;;) {
		p = lb->buf + lb->start;
		lf = memchr(p + lb->scan, '\n', lb->end - lb->start - lb->scan);
		if (lf == NULL)
			break;
		n = (size_t)(lf - p);
		lb->start += n + 1;
		lb->scan = 0;
		lb->consumed += lb->skipped + n + 1;
		lb->skipped = 0;
		if (!lb->skipping)
			return lb_line(p, n, line, len);
		lb->skipping = false;
		if (!lb->fragment)
			return LB_OVERLONG;
		lb->fragment = false;
	}
	lb->scan = lb->end - lb->start;
	if (!lb->skipping && lb->scan > LOGSRC_LINE_MAX + 1)
		lb->skipping = true;
	if (lb->skipping) {
		lb->skipped += lb->end - lb->start;
		lb->start = lb->end = lb->scan = 0;
	}
	if (!eof)
		return LB_NONE;
	if (lb->skipping) {
		lb->consumed += lb->skipped;
		lb->skipped = 0;
		lb->skipping = false;
		if (lb->fragment) {
			lb->fragment = false;
			return LB_NONE;
		}
		return LB_OVERLONG;
	}
	if (lb->end == lb->start)
		return LB_NONE;
	p = lb->buf + lb->start;
	n = lb->end - lb->start;
	lb->consumed += n;
	lb->start = lb->end = lb->scan = 0;
	return lb_line(p, n, line, len);
}

/* Room for the next read (call after lb_next gave LB_NONE): at least
 * LB_CHUNK bytes, one byte kept for the NUL of a last line. */
static size_t
lb_space(struct linebuf *lb, char **p)
{
	size_t held = lb->end - lb->start;

	if (held == 0) {
		lb->start = lb->end = lb->scan = 0;
	} else if (lb->start > 0 && LB_CAP - 1 - lb->end < LB_CHUNK) {
		memmove(lb->buf, lb->buf + lb->start, held);
		lb->start = 0;
		lb->end = held;
	}
	*p = lb->buf + lb->end;
	return LB_CAP - 1 - lb->end;
}

static void
lb_fed(struct linebuf *lb, size_t n)
{
	lb->end += n;
}

static void
note_first(uint64_t *first, uint64_t n)
{
	if (*first == 0)
		*first = n;
}

/* True for the 1st, 2nd, 4th, 8th... occurrence: a warning that repeats
 * is logged that often, with the count. */
static bool
worth_logging(uint64_t count)
{
	return count != 0 && (count & (count - 1)) == 0;
}

/* ---- replay ---- */

struct logsrc_file {
	char *name;
	int fd;         /* plain reads, or -1 */
	gzFile gz;      /* gzip (or unsniffable) stream, or NULL */
	struct linebuf lb;
	uint64_t lineno;
	bool eof;
	bool done;
	struct logsrc_stats stats;
};

#define GZ_BUF_SIZE (128u * 1024) /* zlib's input buffer */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The gzip magic (RFC 1952 section 2.3.1: ID1 31, ID2 139) at the start,
 * or a descriptor that cannot be read at an offset (pipe, stdin). */
static int
wants_zlib(int fd, bool *gz)
{
	uint8_t magic[2];
	ssize_t n;

	n = pread(fd, magic, sizeof(magic), 0);
	if (n == -1 && errno != ESPIPE)
		return -1;
	*gz = n == -1 || (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
	return 0;
}

struct logsrc_file *
logsrc_file_open(const char *path, char *err, size_t errlen)
{
	struct logsrc_file *f;
	struct stat st;
	bool is_stdin = strcmp(path, "-") == 0;
	bool gz;
	int fd;

	fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || wants_zlib(fd, &gz) == -1) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		set_err(err, errlen, "%s: %s", path, strerror(EISDIR));
		close(fd);
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(is_stdin ? "stdin" : path);
	f->fd = fd;
	if (gz) {
		if ((f->gz = gzdopen(fd, "rb")) == NULL) {
			set_err(err, errlen, "%s: %s", path, strerror(ENOMEM));
			close(fd);
			free(f->name);
			free(f);
			return NULL;
		}
		gzbuffer(f->gz, GZ_BUF_SIZE);
		f->fd = -1;
	}
	lb_init(&f->lb);
	return f;
}

/* zlib's message without the "<fd:N>: " it puts first for gzdopen. */
static const char *
zlib_why(gzFile gz, int *zerr)
{
	const char *why = gzerror(gz, zerr), *colon;

	if (*zerr == Z_ERRNO)
		return strerror(errno);
	if (why[0] == '<' && (colon = strstr(why, ">: ")) != NULL)
		why = colon + 3;
	return why;
}

/* Bytes read into the line buffer, 0 at the end, -1 with *why. */
static ssize_t
file_fill(struct logsrc_file *f, const char **why)
{
	char *p;
	size_t space = lb_space(&f->lb, &p);
	ssize_t n;
	int zerr;

	if (f->gz != NULL) {
		if (space > INT_MAX)
			space = INT_MAX;
		n = gzread(f->gz, p, (unsigned)space);
		if (n > 0)
			return n;
		*why = zlib_why(f->gz, &zerr);
		if (n == 0 && (zerr == Z_OK || zerr == Z_STREAM_END))
			return 0;
		return -1;
	}
	do
		n = read(f->fd, p, space);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		*why = strerror(errno);
	return n;
}

int
logsrc_file_next(struct logsrc_file *f, struct logsrc_line *out)
{
	enum lb_result r;
	const char *why = "read error";
	char *line;
	size_t len;
	ssize_t n;

	while (!f->done) {
		r = lb_next(&f->lb, f->eof, &line, &len);
		if (r == LB_LINE) {
			f->stats.lines++;
			out->text = line;
			out->len = len;
			out->lineno = ++f->lineno;
			return 1;
		}
		if (r == LB_OVERLONG) {
			f->stats.overlong++;
			note_first(&f->stats.first_overlong, ++f->lineno);
			continue;
		}
		if (f->eof)
			break;
		if ((n = file_fill(f, &why)) == -1) {
			f->stats.read_errors++;
			note_first(&f->stats.first_read_error, f->lineno);
			log_warnx("%s: %s after line %llu; the rest of the "
			    "file is lost", f->name, why,
			    (unsigned long long)f->lineno);
			f->done = true;
			return -1;
		}
		if (n == 0)
			f->eof = true;
		lb_fed(&f->lb, (size_t)n);
		f->stats.bytes += (uint64_t)n;
	}
	f->done = true;
	return 0;
}

const char *
logsrc_file_name(const struct logsrc_file *f)
{
	return f->name;
}

void
logsrc_file_get_stats(const struct logsrc_file *f, struct logsrc_stats *out)
{
	*out = f->stats;
}

void
logsrc_file_close(struct logsrc_file *f)
{
	if (f == NULL)
		return;
	if (f->gz != NULL)
		gzclose(f->gz);
	else if (f->fd != -1)
		close(f->fd);
	lb_free(&f->lb);
	free(f->name);
	free(f);
}

void
logsrc_stats_add(struct logsrc_stats *sum, const struct logsrc_stats *s)
{
	sum->lines += s->lines;
	sum->bytes += s->bytes;
	sum->overlong += s->overlong;
	sum->read_errors += s->read_errors;
	note_first(&sum->first_overlong, s->first_overlong);
	if (s->read_errors > 0)
		note_first(&sum->first_read_error, s->first_read_error);
}

void
logsrc_file_report(const struct logsrc_file *f)
{
	if (f->stats.overlong > 0)
		log_warnx("%s: %llu lines longer than %u bytes skipped, the "
		    "first at line %llu", f->name,
		    (unsigned long long)f->stats.overlong, LOGSRC_LINE_MAX,
		    (unsigned long long)f->stats.first_overlong);
}

static void
replay_one(struct logsrc_file *f, logline_fn fn, void *ctx)
{
	struct logsrc_line line;

	while (logsrc_file_next(f, &line) == 1)
		fn(ctx, f->name, line.lineno, line.text, line.len);
	logsrc_file_report(f);
}

int
logsrc_replay(const char *const *paths, size_t n, logline_fn fn, void *ctx,
    struct logsrc_stats *stats, char *err, size_t errlen)
{
	struct logsrc_file **files;
	struct logsrc_stats sum;
	size_t i;
	int rc = 0;

	memset(&sum, 0, sizeof(sum));
	files = xcalloc(n > 0 ? n : 1, sizeof(*files));
	for (i = 0; i < n; i++) {
		if ((files[i] = logsrc_file_open(paths[i], err, errlen)) ==
		    NULL) {
			rc = -1;
			break;
		}
	}
	for (i = 0; rc == 0 && i < n; i++) {
		replay_one(files[i], fn, ctx);
		logsrc_stats_add(&sum, &files[i]->stats);
	}
	for (i = 0; i < n; i++)
		logsrc_file_close(files[i]);
	free(files);
	if (stats != NULL)
		*stats = sum;
	return rc;
}

/* ---- follow ---- */

#define FOLLOW_TURN_BYTES (1u << 20) /* per file per turn of the loop */
#define FOLLOW_POLL_MS    1000
#define FOLLOW_DRAIN_MS   5000
#define INOTIFY_BUF       4096
#define FILE_EVENTS (IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)
#define DIR_EVENTS  (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
    IN_ONLYDIR)

/* One open file: the one the path names (cur) or one rotated away (old). */
struct follow_file {
	int fd;              /* -1: none */
	int wd;              /* inotify watch, -1: none */
	uint64_t dev, ino;
	uint64_t offset;     /* bytes read up to */
	uint64_t base;       /* where reading began (lb.consumed counts on) */
	uint64_t last_data_ns;
	struct linebuf lb;
};

struct logsrc_follow {
	struct event_base *base;
	char *path;
	char *dir;
	logline_fn fn;
	void *ctx;
	enum logsrc_start start;
	struct logsrc_position saved;
	uint64_t drain_ns;
	struct follow_file cur, old;
	int ino_fd;          /* -1: poll only */
	int dir_wd;          /* -1: the directory is not watched (yet) */
	struct event *ev_inotify, *ev_poll, *ev_more;
	bool started;        /* the start point has been applied */
	bool warned_irregular;
	uint64_t lineno;
	struct logsrc_stats stats;
};

static void
ff_init(struct follow_file *ff)
{
	ff->fd = -1;
	ff->wd = -1;
	lb_init(&ff->lb);
}

static void
follow_deliver(struct logsrc_follow *f, struct follow_file *ff, bool eof)
{
	enum lb_result r;
	char *line;
	size_t len;

	while ((r = lb_next(&ff->lb, eof, &line, &len)) != LB_NONE) {
		f->lineno++;
		if (r == LB_OVERLONG) {
			f->stats.overlong++;
			note_first(&f->stats.first_overlong, f->lineno);
			if (worth_logging(f->stats.overlong))
				log_warnx("%s: line %llu longer than %u bytes "
				    "skipped (%llu so far)", f->path,
				    (unsigned long long)f->lineno,
				    LOGSRC_LINE_MAX,
				    (unsigned long long)f->stats.overlong);
			continue;
		}
		f->stats.lines++;
		f->fn(f->ctx, f->path, f->lineno, line, len);
	}
}

/*
 * Reads what the file has, handing out whole lines, at most
 * FOLLOW_TURN_BYTES (unbounded when all is set). true when it stopped at
 * the bound with more to read.
 */
static bool
follow_read(struct logsrc_follow *f, struct follow_file *ff, bool all)
{
	size_t budget = FOLLOW_TURN_BYTES, space;
	ssize_t n;
	char *p;

	for (;;) {
		follow_deliver(f, ff, false);
		if (!all && budget == 0)
			return true;
		space = lb_space(&ff->lb, &p);
		if (!all && space > budget)
			space = budget;
		n = read(ff->fd, p, space);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				f->stats.read_errors++;
				note_first(&f->stats.first_read_error,
				    f->lineno);
				if (worth_logging(f->stats.read_errors))
					log_warn("%s: read", f->path);
			}
			return false;
		}
		if (n == 0)
			return false;
		lb_fed(&ff->lb, (size_t)n);
		ff->offset += (uint64_t)n;
		ff->last_data_ns = clock_mono_ns();
		f->stats.bytes += (uint64_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
	}
}

static void
ff_close(struct logsrc_follow *f, struct follow_file *ff)
{
	if (ff->wd != -1 && f->ino_fd != -1)
		inotify_rm_watch(f->ino_fd, ff->wd); /* gone already: EINVAL */
	if (ff->fd != -1)
		close(ff->fd);
	ff->fd = -1;
	ff->wd = -1;
	lb_reset(&ff->lb);
}

/* A file that will not be read again: all it has, its last line, closed. */
static void
follow_finish(struct logsrc_follow *f, struct follow_file *ff)
{
	follow_read(f, ff, true);
	follow_deliver(f, ff, true);
	ff_close(f, ff);
}

static void
follow_watch_file(struct logsrc_follow *f, struct follow_file *ff)
{
	char proc[64];

	if (f->ino_fd == -1)
		return;
	/* The descriptor's own file, whatever the path names by now. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ff->fd);
	ff->wd = inotify_add_watch(f->ino_fd, proc, FILE_EVENTS);
	if (ff->wd == -1)	/* no /proc: the path (the poll corrects a race) */
		ff->wd = inotify_add_watch(f->ino_fd, f->path, FILE_EVENTS);
	if (ff->wd == -1)
		log_debug("%s: inotify_add_watch: %s; polling", f->path,
		    strerror(errno));
}

static void
follow_watch_dir(struct logsrc_follow *f)
{
	if (f->ino_fd == -1 || f->dir_wd != -1)
		return;
	f->dir_wd = inotify_add_watch(f->ino_fd, f->dir, DIR_EVENTS);
}

/* The byte before off is a LF (or there is none): off starts a line. */
static bool
at_line_start(int fd, uint64_t off)
{
	char c;

	if (off == 0)
		return true;
	return pread(fd, &c, 1, (off_t)(off - 1)) == 1 && c == '\n';
}

/* Where to begin in the file the path named at start. */
static uint64_t
follow_first_offset(struct logsrc_follow *f, const struct stat *st)
{
	uint64_t size = st->st_size > 0 ? (uint64_t)st->st_size : 0;

	switch (f->start) {
	case LOGSRC_START_END:
		return size;
	case LOGSRC_START_SAVED:
		if (f->saved.dev == (uint64_t)st->st_dev &&
		    f->saved.ino == (uint64_t)st->st_ino &&
		    f->saved.offset <= size)
			return f->saved.offset;
		log_info("%s: not the file of the saved position (or "
		    "shorter): reading it from the start", f->path);
		return 0;
	case LOGSRC_START_BEGIN:
		break;
	}
	return 0;
}

/* Opens what the path names now into cur (which is free). */
static bool
follow_open(struct logsrc_follow *f)
{
	struct follow_file *ff = &f->cur;
	struct stat st;
	uint64_t off = 0;
	int fd;

	fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return false;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (!f->warned_irregular)
			log_warnx("%s: not a regular file; waiting for one",
			    f->path);
		f->warned_irregular = true;
		close(fd);
		return false;
	}
	f->warned_irregular = false;
	if (!f->started)
		off = follow_first_offset(f, &st);
	if (off > 0 && lseek(fd, (off_t)off, SEEK_SET) == -1) {
		log_warn("%s: lseek", f->path);
		off = 0;
	}
	lb_reset(&ff->lb);
	/* Begun in the middle of a line: drop up to its LF. */
	if (!at_line_start(fd, off))
		ff->lb.skipping = ff->lb.fragment = true;
	ff->fd = fd;
	ff->dev = (uint64_t)st.st_dev;
	ff->ino = (uint64_t)st.st_ino;
	ff->offset = ff->base = off;
	ff->last_data_ns = clock_mono_ns();
	follow_watch_file(f, ff);
	return true;
}

/* copytruncate: the file is shorter than what we read of it. */
static void
follow_truncation(struct logsrc_follow *f)
{
	struct follow_file *ff = &f->cur;
	struct stat st;

	if (fstat(ff->fd, &st) == -1 || (uint64_t)st.st_size >= ff->offset)
		return;
	follow_deliver(f, ff, true);
	f->stats.truncations++;
	log_info("%s: truncated (%llu bytes, %llu read): reading it again "
	    "from the start", f->path, (unsigned long long)st.st_size,
	    (unsigned long long)ff->offset);
	if (lseek(ff->fd, 0, SEEK_SET) == -1)
		log_warn("%s: lseek", f->path);
	lb_reset(&ff->lb);
	ff->offset = ff->base = 0;
}

/* The path names another file (or one again): the current one becomes
 * the old one, read to its end first; the new one is read from 0. */
static void
follow_path(struct logsrc_follow *f)
{
	struct follow_file tmp;
	struct stat st;

	if (stat(f->path, &st) == -1)
		return;
	if (f->cur.fd != -1 && (uint64_t)st.st_dev == f->cur.dev &&
	    (uint64_t)st.st_ino == f->cur.ino)
		return;
	if (f->cur.fd == -1) {
		if (follow_open(f))
			log_info("%s: following", f->path);
		return;
	}
	/* Keep cur's state apart until the new file is really open. */
	if (f->old.fd != -1)
		follow_finish(f, &f->old);
	follow_read(f, &f->cur, true);
	tmp = f->old;
	f->old = f->cur;
	f->cur = tmp;
	f->old.last_data_ns = clock_mono_ns();
	if (!follow_open(f)) {
		/* Gone again between stat and open: keep reading the old
		 * one as the current. */
		tmp = f->cur;
		f->cur = f->old;
		f->old = tmp;
		return;
	}
	f->stats.rotations++;
	log_info("%s: rotated: reading the new file from the start",
	    f->path);
}

static void
follow_check_now(struct logsrc_follow *f)
{
	uint64_t now;
	bool more = false;

	if (f->old.fd != -1) {
		more = follow_read(f, &f->old, false);
		now = clock_mono_ns();
		if (!more && now - f->old.last_data_ns >= f->drain_ns)
			follow_finish(f, &f->old);
	}
	if (f->cur.fd != -1 && !more) {
		follow_truncation(f);
		more = follow_read(f, &f->cur, false);
	}
	if (!more) {
		follow_path(f);
		if (f->cur.fd != -1)
			more = follow_read(f, &f->cur, false);
	}
	if (more)
		event_active(f->ev_more, EV_TIMEOUT, 0);
}

void
logsrc_follow_check(struct logsrc_follow *f)
{
	follow_check_now(f);
}

static void
on_follow_more(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	follow_check_now(arg);
}

static void
on_follow_poll(evutil_socket_t fd, short what, void *arg)
{
	struct logsrc_follow *f = arg;

	(void)fd;
	(void)what;
	follow_watch_dir(f);
	follow_check_now(f);
}

/* Drains the inotify queue (the events only say "look"); notes a
 * directory watch that went away. */
static void
on_follow_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct logsrc_follow *f = arg;
	struct inotify_event ev;
	uint8_t buf[INOTIFY_BUF]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct cursor c;
	ssize_t n;
	const uint8_t *p;

	(void)what;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		cur_init(&c, buf, (size_t)n);
		while ((p = cur_ptr(&c, sizeof(ev))) != NULL) {
			memcpy(&ev, p, sizeof(ev));
			cur_skip(&c, ev.len);
			if (ev.wd == f->dir_wd && (ev.mask & IN_IGNORED))
				f->dir_wd = -1;
			if (ev.wd == f->cur.wd && (ev.mask & IN_IGNORED))
				f->cur.wd = -1;
			if (ev.wd == f->old.wd && (ev.mask & IN_IGNORED))
				f->old.wd = -1;
		}
	}
	follow_check_now(f);
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	dir = xmalloc((size_t)(slash - path) + 1);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return dir;
}

static int
follow_events(struct logsrc_follow *f, unsigned poll_ms)
{
	struct timeval tv = { poll_ms / 1000, (poll_ms % 1000) * 1000 };

	f->ev_poll = event_new(f->base, -1, EV_PERSIST, on_follow_poll, f);
	f->ev_more = event_new(f->base, -1, 0, on_follow_more, f);
	if (f->ev_poll == NULL || f->ev_more == NULL ||
	    event_add(f->ev_poll, &tv) == -1)
		return -1;
	if (f->ino_fd == -1)
		return 0;
	f->ev_inotify = event_new(f->base, f->ino_fd, EV_READ | EV_PERSIST,
	    on_follow_inotify, f);
	if (f->ev_inotify == NULL || event_add(f->ev_inotify, NULL) == -1)
		return -1;
	return 0;
}

struct logsrc_follow *
logsrc_follow_start(struct event_base *base, const char *path,
    const struct logsrc_follow_opts *o, logline_fn fn, void *ctx, char *err,
    size_t errlen)
{
	static const struct logsrc_follow_opts defaults;
	struct logsrc_follow *f;

	if (o == NULL)
		o = &defaults;
	if (path == NULL || path[0] == '\0') {
		set_err(err, errlen, "follow: empty path");
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->base = base;
	f->path = xstrdup(path);
	f->dir = dir_of(path);
	f->fn = fn;
	f->ctx = ctx;
	f->start = o->start;
	f->saved = o->saved;
	f->drain_ns = (uint64_t)(o->drain_ms > 0 ? o->drain_ms :
	    FOLLOW_DRAIN_MS) * 1000000u;
	ff_init(&f->cur);
	ff_init(&f->old);
	f->dir_wd = -1;
	f->ino_fd = -1;
	if (!o->no_inotify &&
	    (f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		log_info("%s: inotify: %s; polling every %u ms", path,
		    strerror(errno), o->poll_ms > 0 ? o->poll_ms :
		    FOLLOW_POLL_MS);
	if (follow_events(f, o->poll_ms > 0 ? o->poll_ms :
	    FOLLOW_POLL_MS) == -1) {
		set_err(err, errlen, "%s: cannot set up the follow events",
		    path);
		logsrc_follow_stop(f);
		return NULL;
	}
	follow_watch_dir(f);
	if (!follow_open(f))
		log_info("%s: %s; waiting for it", path, strerror(errno));
	f->started = true;
	return f;
}

void
logsrc_follow_get_stats(const struct logsrc_follow *f,
    struct logsrc_stats *out)
{
	*out = f->stats;
}

int
logsrc_follow_position(const struct logsrc_follow *f,
    struct logsrc_position *out)
{
	const struct follow_file *ff = &f->cur;

	if (ff->fd == -1)
		return -1;
	out->dev = ff->dev;
	out->ino = ff->ino;
	out->offset = ff->base + ff->lb.consumed;
	return 0;
}

void
logsrc_follow_stop(struct logsrc_follow *f)
{
	if (f == NULL)
		return;
	if (f->ev_inotify != NULL)
		event_free(f->ev_inotify);
	if (f->ev_poll != NULL)
		event_free(f->ev_poll);
	if (f->ev_more != NULL)
		event_free(f->ev_more);
	ff_close(f, &f->cur);
	ff_close(f, &f->old);
	lb_free(&f->cur.lb);
	lb_free(&f->old.lb);
	if (f->ino_fd != -1)
		close(f->ino_fd);
	free(f->path);
	free(f->dir);
	free(f);
}

/* ---- syslog headers: RFC 5424 section 6, RFC 3164 section 4.1 ---- */

#define PRI_MAX 191 /* facility 23 * 8 + severity 7 */

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* PRINTUSASCII: %d33-126 */
static bool
is_print(uint8_t c)
{
	return c >= 33 && c <= 126;
}

/* "<" 1*3DIGIT ">" with a value of at most 191. */
static bool
read_pri(struct cursor *c)
{
	unsigned v = 0, digits = 0;

	if (cur_u8(c) != '<')
		return false;
	while (is_digit(cur_peek(c, 0)) && digits < 3) {
		v = v * 10 + (unsigned)(cur_u8(c) - '0');
		digits++;
	}
	return digits > 0 && cur_u8(c) == '>' && !c->err && v <= PRI_MAX;
}

/* Length of the run of printable non-space bytes at the cursor. */
static size_t
token_len(const struct cursor *c)
{
	size_t n = 0;

	while (n < cur_left(c) && is_print(cur_peek(c, n)))
		n++;
	return n;
}

/* A 1..max byte token followed by one SP, both consumed. */
static bool
read_field(struct cursor *c, size_t max)
{
	size_t n = token_len(c);

	if (n == 0 || n > max)
		return false;
	cur_skip(c, n);
	return cur_u8(c) == ' ' && !c->err;
}

/* "YYYY-MM-DD" at the cursor (not consumed): an RFC 3339 time. */
static bool
looks_rfc3339(const struct cursor *c)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i;

	for (i = 0; i < sizeof(shape) - 1; i++) {
		uint8_t b = cur_peek(c, i);

		if (shape[i] == 'd' ? !is_digit(b) : b != (uint8_t)shape[i])
			return false;
	}
	return true;
}

/* SD-ELEMENT: "[" SD-ID *(SP PARAM-NAME "=" DQUOTE PARAM-VALUE DQUOTE)
 * "]", where PARAM-VALUE escapes '"', '\' and ']' with '\'. */
static bool
read_sd_element(struct cursor *c)
{
	bool quoted = false;
	uint8_t b;

	if (cur_u8(c) != '[' || token_len(c) == 0 ||
	    cur_peek(c, 0) == ']' || cur_peek(c, 0) == '=')
		return false;
	while (cur_left(c) > 0) {
		b = cur_u8(c);
		if (quoted && b == '\\')
			cur_skip(c, cur_left(c) > 0 ? 1 : 0);
		else if (b == '"')
			quoted = !quoted;
		else if (!quoted && b == ']')
			return true;
	}
	return false;
}

/* STRUCTURED-DATA: NILVALUE / 1*SD-ELEMENT */
static bool
read_structured_data(struct cursor *c)
{
	if (cur_peek(c, 0) == '-') {
		cur_skip(c, 1);
		return true;
	}
	do {
		if (!read_sd_element(c))
			return false;
	} while (cur_peek(c, 0) == '[');
	return true;
}

/* After <PRI>: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP
 * MSGID SP STRUCTURED-DATA [SP MSG]. Leaves the cursor at MSG. */
static bool
parse_5424(struct cursor *c)
{
	static const uint8_t bom[3] = { 0xef, 0xbb, 0xbf };
	size_t digits = 0;

	if (cur_peek(c, 0) < '1' || cur_peek(c, 0) > '9')
		return false;
	while (is_digit(cur_peek(c, 0)) && digits < 3) {
		cur_skip(c, 1);
		digits++;
	}
	if (cur_u8(c) != ' ')
		return false;
	if (!(cur_peek(c, 0) == '-' && cur_peek(c, 1) == ' ') &&
	    !looks_rfc3339(c))
		return false;
	if (!read_field(c, 64) || !read_field(c, 255) ||
	    !read_field(c, 48) || !read_field(c, 128) || !read_field(c, 32) ||
	    !read_structured_data(c))
		return false;
	if (cur_left(c) == 0)
		return true;
	if (cur_u8(c) != ' ')
		return false;
	if (cur_left(c) >= 3 && memcmp(cur_rest(c), bom, 3) == 0)
		cur_skip(c, 3);
	return true;
}

/* "Mmm dd hh:mm:ss " (dd may be " d"), consumed with the SP. */
static bool
read_bsd_time(struct cursor *c)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "Mmm Dd dd:dd:dd ";
	const uint8_t *p;
	size_t i;

	if ((p = cur_ptr(c, sizeof(shape) - 1)) == NULL)
		return false;
	for (i = 0; i + 3 <= sizeof(months) - 1; i += 3)
		if (memcmp(p, months + i, 3) == 0)
			break;
	if (i + 3 > sizeof(months) - 1)
		return false;
	for (i = 3; i < sizeof(shape) - 1; i++) {
		switch (shape[i]) {
		case 'd':
			if (!is_digit(p[i]))
				return false;
			break;
		case 'D':
			if (p[i] != ' ' && !is_digit(p[i]))
				return false;
			break;
		default:
			if (p[i] != (uint8_t)shape[i])
				return false;
		}
	}
	return true;
}

/*
 * TAG ":" at the cursor: a name of 1..48 printable bytes other than ':',
 * '[' and ']', then an optional "[pid]", then ':'. Consumed (with one SP
 * after it) when it is one.
 */
static bool
read_tag(struct cursor *c)
{
	struct cursor t = *c;
	size_t n = 0;
	uint8_t b;

	while (is_print(b = cur_peek(&t, n)) && b != ':' && b != '[' &&
	    b != ']')
		n++;
	if (n == 0 || n > 48)
		return false;
	cur_skip(&t, n);
	if (cur_peek(&t, 0) == '[') {
		cur_skip(&t, 1);
		for (n = 0; n <= 32 && is_print(cur_peek(&t, n)) &&
		    cur_peek(&t, n) != ']'; n++)
			;
		if (n > 32 || cur_peek(&t, n) != ']')
			return false;
		cur_skip(&t, n + 1);
	}
	/* ':' then SP or the end: "2001:db8::1" is a host, not a tag */
	if (cur_u8(&t) != ':' || t.err ||
	    (cur_left(&t) > 0 && cur_peek(&t, 0) != ' '))
		return false;
	cur_skip(&t, cur_left(&t) > 0 ? 1 : 0);
	*c = t;
	return true;
}

/* After <PRI>: TIMESTAMP SP [HOSTNAME SP] [TAG ":" [SP]] MSG. */
static bool
parse_3164(struct cursor *c)
{
	struct cursor t = *c;
	size_t n;

	if (looks_rfc3339(&t)) {
		if (!read_field(&t, 64))
			return false;
	} else if (!read_bsd_time(&t)) {
		return false;
	}
	if (!read_tag(&t)) {
		/* HOSTNAME, unless the message ends there */
		n = token_len(&t);
		if (n > 255)
			return false;
		cur_skip(&t, n);
		if (cur_left(&t) > 0 && cur_u8(&t) != ' ')
			return false;
		read_tag(&t);
	}
	if (t.err)
		return false;
	*c = t;
	return true;
}

bool
logsrc_syslog_msg(const uint8_t *m, size_t len, const uint8_t **msg,
    size_t *msglen)
{
	struct cursor c, after_pri;

	cur_init(&c, m, len);
	if (!read_pri(&c)) {
		*msg = m;
		*msglen = len;
		return false;
	}
	after_pri = c;
	if (!parse_5424(&c)) {
		c = after_pri;
		if (!parse_3164(&c))
			c = after_pri;
	}
	*msglen = cur_left(&c);
	*msg = *msglen > 0 ? cur_rest(&c) : m + len;
	return true;
}

/* ---- the listener ---- */

#define LISTEN_CONNS_DEFAULT 32
#define LISTEN_IDLE_MS       600000
#define LISTEN_FRAME_LIMIT   (1u << 20)
#define LISTEN_BACKLOG       64
#define DGRAM_MAX            65536   /* more than any UDP payload */
#define DGRAMS_PER_TURN      64
#define ACCEPTS_PER_TURN     16
#define MSGLEN_DIGITS_MAX    10      /* "MSG-LEN SP" is told by at most */
#define FRAME_HEAD_MAX       (MSGLEN_DIGITS_MAX + 2)
#define UDP_RCVBUF           (1 << 20)
#define ACCEPT_PAUSE_SEC     1

enum framing { FRAMING_UNKNOWN, FRAMING_OCTET, FRAMING_LF };

struct tcp_conn {
	struct logsrc_listener *l;
	struct event *ev;
	int fd;               /* -1: a free slot */
	enum framing framing;
	uint8_t *buf;         /* max_frame + FRAME_HEAD_MAX */
	size_t start, end;
};

struct logsrc_listener {
	struct event_base *base;
	char *spec;
	bool tcp;
	int fd;
	uint16_t port;
	struct event *ev;        /* datagrams, or connections to accept */
	struct event *ev_resume; /* accepting again after EMFILE */
	logline_fn fn;
	void *ctx;
	size_t max_frame;
	unsigned max_conns;
	struct timeval idle;
	struct tcp_conn *conns;
	uint8_t *dgram;          /* DGRAM_MAX */
	char *scratch;           /* one MSG, split in place: max_frame + 1 */
	uint64_t lineno;
	uint64_t msgno;
	struct logsrc_stats stats;
};

static int
listen_error(char *err, size_t errlen, const char *spec, const char *why)
{
	set_err(err, errlen, "%s: %s", spec != NULL ? spec : "(null)", why);
	return -1;
}

/* The message for each way the shared parser refuses the address. */
static const char *
listen_why(enum netaddr_hp_err e, const char *forms)
{
	switch (e) {
	case NETADDR_HP_EMPTY_PORT:
	case NETADDR_HP_BAD_PORT:
		return "the port must be a number from 0 to 65535";
	case NETADDR_HP_BAD_V6:
		return "not an IPv6 address between the brackets";
	case NETADDR_HP_BAD_HOST:
		return "the address must be an IPv4 address or an IPv6 "
		    "address in brackets (names are not resolved)";
	default:
		return forms;
	}
}

static int
listen_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
    bool *tcp, char *err, size_t errlen)
{
	static const char forms[] =
	    "expected udp://ADDR:PORT or tcp://ADDR:PORT "
	    "(IPv6: tcp://[ADDR]:PORT)";
	struct netaddr_hostport hp;
	enum netaddr_hp_err e;

	if (spec == NULL)
		return listen_error(err, errlen, spec, forms);
	if (strncmp(spec, "udp://", 6) == 0)
		*tcp = false;
	else if (strncmp(spec, "tcp://", 6) == 0)
		*tcp = true;
	else
		return listen_error(err, errlen, spec, forms);
	e = netaddr_hostport_parse(spec + 6, strlen(spec + 6),
	    NETADDR_HP_PORT | NETADDR_HP_PORT_ZERO, &hp);
	if (e != NETADDR_HP_OK)
		return listen_error(err, errlen, spec, listen_why(e, forms));
	netaddr_to_sockaddr(&hp.addr, hp.port, ss, sslen);
	return 0;
}

int
logsrc_listen_check(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	bool tcp;

	return listen_parse(spec, &ss, &sslen, &tcp, err, errlen);
}

/* One message (a datagram or a frame): header off, MSG split into lines. */
static void
listen_message(struct logsrc_listener *l, const uint8_t *m, size_t len)
{
	const uint8_t *msg;
	size_t msglen, i, start;
	char *s = l->scratch;

	l->msgno++;
	l->stats.messages++;
	if (!logsrc_syslog_msg(m, len, &msg, &msglen)) {
		l->stats.no_header++;
		note_first(&l->stats.first_no_header, l->msgno);
	}
	memcpy(s, msg, msglen);
	for (start = 0, i = 0; i <= msglen; i++) {
		size_t n;

		if (i < msglen && s[i] != '\n')
			continue;
		if (i == msglen && i == start)
			break; /* after the last LF, or an empty MSG */
		n = i - start;
		if (n > 0 && s[start + n - 1] == '\r')
			n--;
		l->lineno++;
		if (n > LOGSRC_LINE_MAX) {
			l->stats.overlong++;
			note_first(&l->stats.first_overlong, l->lineno);
		} else {
			s[start + n] = '\0';
			l->stats.lines++;
			l->fn(l->ctx, l->spec, l->lineno, s + start, n);
		}
		start = i + 1;
	}
}

/* A message longer than max_frame: counted, not read. */
static void
listen_overlong(struct logsrc_listener *l, size_t len)
{
	l->msgno++;
	l->stats.messages++;
	l->lineno++;
	l->stats.overlong++;
	note_first(&l->stats.first_overlong, l->lineno);
	if (worth_logging(l->stats.overlong))
		log_warnx("%s: a message of %s%zu bytes, more than %zu, "
		    "dropped (%llu so far)", l->spec, l->tcp ? "over " : "",
		    len, l->max_frame, (unsigned long long)l->stats.overlong);
}

static void
on_datagram(evutil_socket_t fd, short what, void *arg)
{
	struct logsrc_listener *l = arg;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < DGRAMS_PER_TURN; i++) {
		n = recv(fd, l->dgram, DGRAM_MAX, MSG_TRUNC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("%s: recv", l->spec);
			return;
		}
		l->stats.bytes += (uint64_t)n;
		if ((size_t)n > DGRAM_MAX || (size_t)n > l->max_frame)
			listen_overlong(l, (size_t)n);
		else
			listen_message(l, l->dgram, (size_t)n);
	}
}

static void
conn_close(struct tcp_conn *k)
{
	if (k->fd == -1)
		return;
	event_del(k->ev);
	close(k->fd);
	k->fd = -1;
	k->start = k->end = 0;
}

static void
conn_malformed(struct tcp_conn *k, const char *why)
{
	struct logsrc_listener *l = k->l;

	l->msgno++;
	l->stats.malformed_frames++;
	note_first(&l->stats.first_malformed, l->msgno);
	if (worth_logging(l->stats.malformed_frames))
		log_warnx("%s: %s: connection closed (%llu so far)", l->spec,
		    why, (unsigned long long)l->stats.malformed_frames);
}

/* RFC 6587 section 3.4.1 octet counting, else 3.4.2 non-transparent:
 * FRAMING_UNKNOWN while only digits have come. */
static enum framing
framing_detect(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i <= MSGLEN_DIGITS_MAX; i++) {
		if (is_digit(p[i]))
			continue;
		return i > 0 && p[i] == ' ' ? FRAMING_OCTET : FRAMING_LF;
	}
	return i > MSGLEN_DIGITS_MAX ? FRAMING_LF : FRAMING_UNKNOWN;
}

/* One octet-counted frame at c: 1 handled, 0 more bytes needed, -1 close. */
static int
frame_octet(struct tcp_conn *k, struct cursor *c)
{
	struct logsrc_listener *l = k->l;
	uint64_t count = 0;
	size_t digits = 0;
	const uint8_t *msg;

	/* MSG-LEN = NONZERO-DIGIT 0*DIGIT */
	if (cur_peek(c, 0) < '1' || cur_peek(c, 0) > '9') {
		conn_malformed(k, "octet-counted frame without a length");
		return -1;
	}
	while (digits < cur_left(c) && is_digit(cur_peek(c, digits)) &&
	    digits <= MSGLEN_DIGITS_MAX)
		count = count * 10 + (uint64_t)(cur_peek(c, digits++) - '0');
	if (digits > MSGLEN_DIGITS_MAX || (digits < cur_left(c) &&
	    cur_peek(c, digits) != ' ')) {
		conn_malformed(k, "octet-counted frame with a bad length");
		return -1;
	}
	if (digits == cur_left(c))
		return 0;
	if (count > l->max_frame) {
		listen_overlong(l, (size_t)count);
		return -1;
	}
	if (cur_left(c) - digits - 1 < count)
		return 0;
	cur_skip(c, digits + 1);
	msg = cur_ptr(c, (size_t)count);
	listen_message(l, msg, (size_t)count);
	return 1;
}

/* One LF-terminated frame at c: 1 handled, 0 more bytes needed, -1 close. */
static int
frame_lf(struct tcp_conn *k, struct cursor *c, bool eof)
{
	struct logsrc_listener *l = k->l;
	const uint8_t *rest = cur_rest(c);
	const uint8_t *lf = memchr(rest, '\n', cur_left(c));
	size_t n = lf != NULL ? (size_t)(lf - rest) : cur_left(c);
	size_t frame = n;

	if (lf == NULL && !eof) {
		if (cur_left(c) > l->max_frame + 1) {
			listen_overlong(l, cur_left(c));
			return -1;
		}
		return 0;
	}
	if (frame > 0 && rest[frame - 1] == '\r')
		frame--;
	if (frame > l->max_frame) {
		listen_overlong(l, frame);
		return -1;
	}
	listen_message(l, cur_ptr(c, n), frame);
	cur_skip(c, lf != NULL ? 1 : 0);
	return 1;
}

/* Every whole frame in the buffer; -1 when the connection must close. */
static int
conn_frames(struct tcp_conn *k, bool eof)
{
	struct cursor c;
	int r = 1;

	cur_init(&c, k->buf + k->start, k->end - k->start);
	while (r == 1 && cur_left(&c) > 0) {
		if (k->framing == FRAMING_UNKNOWN)
			k->framing = framing_detect(cur_rest(&c),
			    cur_left(&c));
		if (k->framing == FRAMING_UNKNOWN)
			r = eof ? frame_lf(k, &c, eof) : 0;
		else if (k->framing == FRAMING_OCTET)
			r = frame_octet(k, &c);
		else
			r = frame_lf(k, &c, eof);
	}
	if (r == -1)
		return -1;
	if (eof && cur_left(&c) > 0) {
		conn_malformed(k, "stream ended inside an octet-counted frame");
		return -1;
	}
	k->start += c.off;
	if (k->start == k->end) {
		k->start = k->end = 0;
	} else if (k->start > 0) {
		memmove(k->buf, k->buf + k->start, k->end - k->start);
		k->end -= k->start;
		k->start = 0;
	}
	return 0;
}

/* Closed without an orderly end (reset, idle): a frame begun is not
 * handed out cut short, but counted. */
static void
conn_abandon(struct tcp_conn *k, const char *why)
{
	if (k->end > k->start)
		conn_malformed(k, why);
	conn_close(k);
}

static void
on_conn(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *k = arg;
	struct logsrc_listener *l = k->l;
	size_t cap = l->max_frame + FRAME_HEAD_MAX;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		log_debug("%s: connection idle for %ld ms: closed", l->spec,
		    (long)(l->idle.tv_sec * 1000 + l->idle.tv_usec / 1000));
		conn_abandon(k, "idle in the middle of a frame");
		return;
	}
	if (k->end == cap) {	/* cannot happen: conn_frames keeps room */
		conn_close(k);
		return;
	}
	do
		n = recv(fd, k->buf + k->end, cap - k->end, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == -1) {
		log_debug("%s: recv: %s", l->spec, strerror(errno));
		conn_abandon(k, "connection lost in the middle of a frame");
		return;
	}
	if (n == 0) {
		conn_frames(k, true);
		conn_close(k);
		return;
	}
	k->end += (size_t)n;
	l->stats.bytes += (uint64_t)n;
	if (conn_frames(k, false) == -1)
		conn_close(k);
}

static struct tcp_conn *
conn_free_slot(struct logsrc_listener *l)
{
	unsigned i;

	for (i = 0; i < l->max_conns; i++)
		if (l->conns[i].fd == -1)
			return &l->conns[i];
	return NULL;
}

static void
conn_open(struct logsrc_listener *l, int fd)
{
	struct tcp_conn *k = conn_free_slot(l);

	if (k == NULL) {
		close(fd);
		l->stats.connections_refused++;
		if (worth_logging(l->stats.connections_refused))
			log_warnx("%s: connection refused: %u already open "
			    "(%llu refused so far)", l->spec, l->max_conns,
			    (unsigned long long)l->stats.connections_refused);
		return;
	}
	k->fd = fd;
	k->framing = FRAMING_UNKNOWN;
	k->start = k->end = 0;
	if (event_assign(k->ev, l->base, fd, EV_READ | EV_PERSIST, on_conn,
	    k) == -1 || event_add(k->ev, &l->idle) == -1) {
		log_warnx("%s: cannot watch a new connection", l->spec);
		close(fd);
		k->fd = -1;
		return;
	}
	l->stats.connections++;
}

static void
on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct logsrc_listener *l = arg;

	(void)fd;
	(void)what;
	event_add(l->ev, NULL);
}

static void
on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct logsrc_listener *l = arg;
	struct timeval pause = { ACCEPT_PAUSE_SEC, 0 };
	int i, k;

	(void)what;
	for (i = 0; i < ACCEPTS_PER_TURN; i++) {
		k = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (k != -1) {
			conn_open(l, k);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* Out of descriptors or memory: the pending connection
		 * would wake us at once again; wait a moment. */
		log_warn("%s: accept (pausing %d s)", l->spec,
		    ACCEPT_PAUSE_SEC);
		event_del(l->ev);
		event_add(l->ev_resume, &pause);
		return;
	}
}

static int
listen_socket(struct logsrc_listener *l, const struct sockaddr_storage *ss,
    socklen_t sslen, const char **what)
{
	struct sockaddr_storage bound;
	socklen_t boundlen = sizeof(bound);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int on = 1, rcvbuf = UDP_RCVBUF;

	*what = "cannot create a socket";
	l->fd = socket(ss->ss_family, (l->tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd == -1)
		return -1;
	*what = "cannot bind";
	if ((l->tcp && setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1) ||
	    (ss->ss_family == AF_INET6 && setsockopt(l->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(l->fd, (const struct sockaddr *)ss, sslen) == -1)
		return -1;
	*what = "cannot listen";
	if ((l->tcp && listen(l->fd, LISTEN_BACKLOG) == -1) ||
	    getsockname(l->fd, (struct sockaddr *)&bound, &boundlen) == -1)
		return -1;
	if (!l->tcp)	/* best effort: fewer drops in bursts */
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	if (bound.ss_family == AF_INET) {
		memcpy(&sin, &bound, sizeof(sin));
		l->port = ntohs(sin.sin_port);
	} else {
		memcpy(&sin6, &bound, sizeof(sin6));
		l->port = ntohs(sin6.sin6_port);
	}
	return 0;
}

static int
listen_events(struct logsrc_listener *l)
{
	unsigned i;

	l->ev = event_new(l->base, l->fd, EV_READ | EV_PERSIST,
	    l->tcp ? on_accept : on_datagram, l);
	if (l->ev == NULL || event_add(l->ev, NULL) == -1)
		return -1;
	if (!l->tcp)
		return 0;
	if ((l->ev_resume = event_new(l->base, -1, 0, on_accept_resume,
	    l)) == NULL)
		return -1;
	for (i = 0; i < l->max_conns; i++) {
		/* Assigned for real when a connection comes. */
		l->conns[i].ev = event_new(l->base, -1, 0, on_conn,
		    &l->conns[i]);
		if (l->conns[i].ev == NULL)
			return -1;
	}
	return 0;
}

struct logsrc_listener *
logsrc_listen_start(struct event_base *base, const char *spec,
    const struct logsrc_listen_opts *o, logline_fn fn, void *ctx, char *err,
    size_t errlen)
{
	static const struct logsrc_listen_opts defaults;
	struct logsrc_listener *l;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *what;
	char why[128];
	unsigned i, idle_ms;
	bool tcp;

	if (o == NULL)
		o = &defaults;
	if (listen_parse(spec, &ss, &sslen, &tcp, err, errlen) == -1)
		return NULL;
	if (o->max_frame > LISTEN_FRAME_LIMIT) {
		listen_error(err, errlen, spec,
		    "max_frame is more than 1 MiB");
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = -1;
	l->base = base;
	l->spec = xstrdup(spec);
	l->tcp = tcp;
	l->fn = fn;
	l->ctx = ctx;
	l->max_frame = o->max_frame > 0 ? o->max_frame : LOGSRC_LINE_MAX;
	l->max_conns = tcp ? (o->max_connections > 0 ? o->max_connections :
	    LISTEN_CONNS_DEFAULT) : 0;
	idle_ms = o->idle_ms > 0 ? o->idle_ms : LISTEN_IDLE_MS;
	l->idle.tv_sec = idle_ms / 1000;
	l->idle.tv_usec = (idle_ms % 1000) * 1000;
	l->scratch = xmalloc(l->max_frame + 1);
	if (!tcp)
		l->dgram = xmalloc(DGRAM_MAX);
	l->conns = xcalloc(l->max_conns > 0 ? l->max_conns : 1,
	    sizeof(*l->conns));
	for (i = 0; i < l->max_conns; i++) {
		l->conns[i].l = l;
		l->conns[i].fd = -1;
		l->conns[i].buf = xmalloc(l->max_frame + FRAME_HEAD_MAX);
	}
	if (listen_socket(l, &ss, sslen, &what) == -1) {
		snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
		listen_error(err, errlen, spec, why);
		goto fail;
	}
	if (listen_events(l) == -1) {
		listen_error(err, errlen, spec, "cannot set up the events");
		goto fail;
	}
	return l;
fail:
	logsrc_listen_stop(l);
	return NULL;
}

uint16_t
logsrc_listen_port(const struct logsrc_listener *l)
{
	return l->port;
}

void
logsrc_listen_get_stats(const struct logsrc_listener *l,
    struct logsrc_stats *out)
{
	*out = l->stats;
}

void
logsrc_listen_stop(struct logsrc_listener *l)
{
	unsigned i;

	if (l == NULL)
		return;
	for (i = 0; i < l->max_conns; i++) {
		if (l->conns[i].ev != NULL) {
			conn_close(&l->conns[i]);
			event_free(l->conns[i].ev);
		}
		free(l->conns[i].buf);
	}
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->ev_resume != NULL)
		event_free(l->ev_resume);
	if (l->fd != -1)
		close(l->fd);
	free(l->conns);
	free(l->dgram);
	free(l->scratch);
	free(l->spec);
	free(l);
}
