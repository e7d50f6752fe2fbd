/*
 * logsource.h - where proxy log lines come from: replay of files (plain or
 * gzip, "-" for stdin), follow of a growing file (tail -F) and a syslog
 * listener (UDP/TCP), the last two in a libevent loop. They hand out lines,
 * not records: the parsers (logparse_*.h) read them.
 *
 * Common to every source:
 * - A line ends at LF; a CR just before the LF is dropped; a last line
 *   without LF still counts (replay, and a rotated-away followed file).
 * - The line handed out is valid only during the call (or until the next
 *   logsrc_file_next); line[len] is '\0', but NUL bytes inside the line
 *   are kept as they are (the parser rejects them): use len.
 * - A line longer than LOGSRC_LINE_MAX bytes (without its CR LF) is never
 *   cut: it is skipped whole and counted in overlong, with the number of
 *   the first such line in first_overlong. It still has a line number.
 * - The callback must not stop or free the source that calls it.
 */
#ifndef EXFILD_LOGSOURCE_H
#define EXFILD_LOGSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGSRC_LINE_MAX (64u * 1024)

/*
 * source names where the line came from: the path as given ("stdin" for
 * "-") or the listen address as given ("udp://0.0.0.0:5514"). lineno is
 * 1-based: for a replayed file its line number in that file; for a followed
 * file or a listener the number of lines seen since it started (a followed
 * file is read from its end the first time, so file line numbers are not
 * known).
 */
typedef void (*logline_fn)(void *ctx, const char *source, uint64_t lineno,
    const char *line, size_t len);

/*
 * Counters of one source (of all files, for logsrc_replay). The first_*
 * fields are line numbers (for malformed_frames and no_header: message
 * numbers) of the first occurrence, 0 when there was none.
 */
struct logsrc_stats {
	uint64_t lines;            /* handed to the callback */
	uint64_t bytes;            /* read: file bytes (after gunzip), or
	                              datagram/stream bytes received */
	uint64_t overlong;         /* lines or messages longer than the cap */
	uint64_t rotations;        /* follow: the path named another file */
	uint64_t truncations;      /* follow: the file shrank below what was read */
	uint64_t messages;         /* listener: datagrams and TCP frames */
	uint64_t no_header;        /* listener: messages passed whole (no
	                              RFC 5424/3164 header recognised) */
	uint64_t malformed_frames; /* listener: a bad TCP octet count, or a
	                              frame left unfinished */
	uint64_t connections;      /* listener: TCP connections accepted */
	uint64_t connections_refused; /* listener: beyond max_connections */
	uint64_t read_errors;      /* a corrupt or truncated gzip stream, an
	                              I/O error: the rest of that file is lost */
	uint64_t first_overlong;
	uint64_t first_malformed;
	uint64_t first_no_header;
	uint64_t first_read_error; /* the last line number read before it */
};

/* ---- replay ---- */

/*
 * One file read line by line, for a caller that wants to pull lines (to
 * merge several files by the records' time stamps, which only the parser
 * knows). A file starting with the gzip magic (1f 8b) is inflated with
 * zlib (several members, as from `cat a.gz b.gz`, are read in turn); a
 * pipe or stdin cannot be sniffed and goes through zlib, which passes
 * plain text through unchanged. Memory is fixed at open: a 128 KiB line
 * buffer, and about 420 KiB more of zlib's for a gzip stream.
 */
struct logsrc_file;

struct logsrc_line {
	const char *text; /* NUL-terminated at len; may hold NUL bytes */
	size_t len;
	uint64_t lineno;
};

/* NULL with "path: reason" in err when the file cannot be opened. */
struct logsrc_file *logsrc_file_open(const char *path, char *err,
    size_t errlen);
/*
 * 1 = a line in *out, valid until the next call; 0 = end of the file;
 * -1 = a read error or a corrupt/truncated gzip stream, logged with the
 * file name and line number and counted: the file is done, and its
 * unterminated last line, if any, is dropped (it would be cut short). On
 * a corrupt stream zlib also drops what it inflated in the read that
 * found the error (up to 128 KiB of lines before it).
 */
int logsrc_file_next(struct logsrc_file *f, struct logsrc_line *out);
/* The source name handed to callbacks: the path, or "stdin". */
const char *logsrc_file_name(const struct logsrc_file *f);
void logsrc_file_get_stats(const struct logsrc_file *f,
    struct logsrc_stats *out);
void logsrc_file_close(struct logsrc_file *f);
/* At the end of a replayed file: a warning for its overlong lines. */
void logsrc_file_report(const struct logsrc_file *f);
/* Adds one file's replay counters to a sum (lines, bytes, overlong, read
 * errors, and the first of each). */
void logsrc_stats_add(struct logsrc_stats *sum, const struct logsrc_stats *s);

/*
 * Replays n files one after the other, in the order given, every line to
 * fn. Not merged by time stamp: a line's time is known only after parsing,
 * and rotated logs given oldest first are already in order; a caller that
 * needs a merge (Zeek conn.log with http.log of the same hours) pulls from
 * one logsrc_file per file and merges records itself. All files are opened
 * before the first line is handed out: -1 with "path: reason" in err if
 * one cannot be; nothing is read then. A read error ends that file only
 * (logged); the others are still read. A file with overlong lines or a
 * read error gets a warning naming it. *stats (may be NULL) receives the
 * sums over all files, first_* from the first file that had the problem.
 * 0 or -1.
 */
int logsrc_replay(const char *const *paths, size_t n, logline_fn fn,
    void *ctx, struct logsrc_stats *stats, char *err, size_t errlen);

/* ---- follow (tail -F) ---- */

struct event_base;

/* Where a follower was: a file (device and inode) and the byte offset just
 * after the last whole line handed out. */
struct logsrc_position {
	uint64_t dev;
	uint64_t ino;
	uint64_t offset;
};

enum logsrc_start {
	LOGSRC_START_END,   /* like tail -F -n0: only lines written from now */
	LOGSRC_START_BEGIN, /* the whole file first */
	LOGSRC_START_SAVED, /* at saved.offset if the path still names
	                       saved's file and it is at least that long; the
	                       file's start if it is another file (rotated
	                       while we were away) or is shorter (truncated) */
};

struct logsrc_follow_opts {
	enum logsrc_start start;
	struct logsrc_position saved; /* for LOGSRC_START_SAVED */
	unsigned poll_ms;   /* stat poll; 0 = 1000 */
	unsigned drain_ms;  /* a rotated-away file is still read until it
	                       gives nothing for this long; 0 = 5000 */
	bool no_inotify;    /* the stat poll alone (tests) */
};

/*
 * Follows path in base like tail -F. The start point (see enum
 * logsrc_start) applies to the file the path names at the call; when the
 * file comes later, or a new one takes its place, that one is read from
 * its start. With LOGSRC_START_END a partly written last line is skipped
 * up to its LF. Each file is plain text (a followed file is being written;
 * it is not gzip).
 *
 * Changes are noticed through inotify (IN_MODIFY, IN_MOVE_SELF,
 * IN_DELETE_SELF, IN_ATTRIB on the file; IN_CREATE, IN_MOVED_TO,
 * IN_DELETE, IN_MOVED_FROM on its directory) where available, with a stat
 * poll every poll_ms as the fallback and safety net. Then:
 * - The path names another file (rotation by rename, or deletion and a new
 *   file): the old one is read to its end first, then the new one from its
 *   start; the old one stays open and is still read until it has given
 *   nothing for drain_ms (a writer that has not reopened yet), then its
 *   unterminated last line, if any, is handed out and it is closed.
 * - The file is shorter than the offset read (copytruncate): it is read
 *   again from its start; a held unterminated line is handed out first.
 *   Lines written between logrotate's copy and its truncation are in the
 *   copy only, and a file that grows past the old offset before the next
 *   look hides its truncation: both are inherent to copytruncate.
 * - The path names nothing: the open file is still read; the follower
 *   waits for a file to appear (also at start, and if the directory does
 *   not exist yet: then the poll alone finds it).
 * An unterminated last line is held until its LF arrives, so no line is
 * handed out in two pieces or twice. At most 1 MiB is read per file per
 * turn of the loop; the rest follows in the next turns. Buffers are fixed
 * at start (two line buffers of 128 KiB). NULL with a message in err when
 * path is empty or the events cannot be set up.
 */
struct logsrc_follow;

struct logsrc_follow *logsrc_follow_start(struct event_base *base,
    const char *path, const struct logsrc_follow_opts *o, logline_fn fn,
    void *ctx, char *err, size_t errlen);
/* Looks now instead of waiting for an event or the poll (tests, SIGHUP). */
void logsrc_follow_check(struct logsrc_follow *f);
void logsrc_follow_get_stats(const struct logsrc_follow *f,
    struct logsrc_stats *out);
/* The position to save for LOGSRC_START_SAVED: 0, or -1 when no file is
 * open. Lines still unread in a rotated-away file are not covered. */
int logsrc_follow_position(const struct logsrc_follow *f,
    struct logsrc_position *out);
/* Stops and frees; a held unterminated line is not handed out (a restart
 * from the saved position reads it whole). NULL is ignored. */
void logsrc_follow_stop(struct logsrc_follow *f);

/* ---- syslog listener ---- */

/*
 * "udp://ADDR:PORT" or "tcp://ADDR:PORT"; ADDR an IPv4 address or an IPv6
 * address in brackets ("tcp://[::]:5514"); names are not resolved; port 0
 * takes any free port (see logsrc_listen_port). An IPv6 socket is v6-only.
 *
 * Each datagram (RFC 5426) or TCP frame is one message. Its header is
 * parsed and dropped, bounds-checked:
 * - RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
 *   STRUCTURED-DATA [MSG]; a UTF-8 BOM opening MSG is dropped.
 * - RFC 3164 (as rsyslog and most devices send it): <PRI>TIMESTAMP
 *   [HOSTNAME] TAG: MSG, TIMESTAMP "Mmm dd hh:mm:ss" or an RFC 3339 time
 *   (rsyslog's RSYSLOG_ForwardFormat), TAG "name:" or "name[pid]:"; one
 *   space after the colon is dropped. Without a TAG, MSG is what follows
 *   the HOSTNAME (so with neither HOSTNAME nor TAG, MSG's first word is
 *   taken for the HOSTNAME: network senders always send one).
 * - <PRI> alone: MSG is what follows it.
 * A message without a recognisable header is passed whole (counted in
 * no_header). MSG is then split into lines at LF as in a file (so one
 * message is one line, unless it holds LFs).
 *
 * TCP framing (RFC 6587) is told per connection by its first frame:
 * octet-counting ("MSG-LEN SP MSG", MSG-LEN a nonzero-led digit run) when
 * it starts with digits and a space, else non-transparent (LF-terminated,
 * CR LF tolerated; a last frame without LF before an orderly close still
 * counts). A frame longer than max_frame closes the connection (counted in
 * overlong), as does a bad octet count (malformed_frames); a frame left
 * unfinished (the stream ends inside an octet-counted frame, is reset, or
 * goes idle) is not handed out but counted in malformed_frames. Connections
 * beyond max_connections are accepted and closed at once (counted); one
 * that sends nothing for idle_ms is closed; each is read only when it has
 * bytes ready, so a stalled client holds up no other. All buffers are
 * fixed at start: max_connections x (max_frame + 12) bytes for TCP, 64 KiB
 * for UDP, and max_frame + 1 for the MSG being split.
 */
struct logsrc_listen_opts {
	unsigned max_connections; /* TCP; 0 = 32 */
	size_t max_frame;         /* bytes of one message; 0 = LOGSRC_LINE_MAX,
	                             at most 1 MiB */
	unsigned idle_ms;         /* TCP; 0 = 600000 (10 minutes) */
};

struct logsrc_listener;

/* Checks the address text alone (config checks): 0, or -1 with a message
 * naming it in err. */
int logsrc_listen_check(const char *spec, char *err, size_t errlen);
/* Binds and listens in base; NULL with "spec: reason" in err. */
struct logsrc_listener *logsrc_listen_start(struct event_base *base,
    const char *spec, const struct logsrc_listen_opts *o, logline_fn fn,
    void *ctx, char *err, size_t errlen);
/* The bound port (the one chosen when 0 was asked). */
uint16_t logsrc_listen_port(const struct logsrc_listener *l);
void logsrc_listen_get_stats(const struct logsrc_listener *l,
    struct logsrc_stats *out);
/* Closes the socket and every connection and frees; NULL is ignored. */
void logsrc_listen_stop(struct logsrc_listener *l);

/*
 * The MSG part of one syslog message (the header parse above), for tests
 * and for parsers that get whole messages some other way: *msg, *msglen
 * point into the message. true when a header was recognised; false when
 * the message is passed whole.
 */
bool logsrc_syslog_msg(const uint8_t *m, size_t len, const uint8_t **msg,
    size_t *msglen);

#endif
