/*
 * evidence.c - uploads kept on disk for alerts (see evidence.h): the
 * spool of candidates, their adoption into an alert's directory, the
 * manifest, and the bound on the bytes under evidence.dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exfild/evidence/evidence.h"
#include "exfild/util/log.h"
#include "exfild/util/sha256.h"
#include "exfild/util/strbuf.h"

#define SPOOL_DIR ".spool"
#define MANIFEST "manifest.jsonl"
#define DIRS_MAX 256          /* alert directories open at once */
#define FILE_MODE 0640
#define DIR_MODE 0750
#define ALERT_DIR_TRIES 100   /* names tried for an alert's directory */
#define ROOT_MAX 2048         /* evidence.dir's length, at most */

enum file_state { FILE_FREE = 0, FILE_WRITING, FILE_FINISHED };

/* A body, part or stream on disk. */
struct ev_file {
	uint8_t state;            /* enum file_state */
	uint8_t kind;             /* enum evidence_kind */
	bool adopted;             /* in an alert's directory (else a candidate) */
	bool cut;                 /* bytes left out (max_bytes, max_total, error) */
	bool failed;              /* a write failed: no more */
	int fd;
	const struct flow *flow;
	struct flow_key tuple;
	uint32_t pair_id, pair_gen;
	uint64_t size, missing_before, first_ns, last_ns, end_ns;
	struct sha256 sha;
	char hex[SHA256_HEX_LEN]; /* when finished */
	char orig[HTTP_FILENAME_MAX];
	char dir[ALERT_EVIDENCE_DIR_MAX]; /* its alert's directory (adopted) */
	char name[EVIDENCE_NAME_MAX];
	char path[PATH_MAX];      /* where it is now */
	/* the last bytes, not yet written: a multipart delimiter is known to
	 * be one only after its bytes came (evidence_part_end takes it back) */
	uint8_t hold[EVIDENCE_HOLD];
	size_t held;
	uint8_t *buf;             /* EVIDENCE_BUF bytes */
	size_t buffered;
};

/* An alert's directory, while its pair is under evidence. */
struct ev_dir {
	bool used;
	uint32_t pair_id, pair_gen;
	uint64_t until_ns;
	unsigned seq;             /* files named in it so far */
	char name[ALERT_EVIDENCE_DIR_MAX];
};

struct evidence {
	char root[PATH_MAX];
	uint64_t max_bytes, max_total, grace_ns;
	struct ev_file *files;
	size_t nfiles;
	size_t open;              /* files not FREE */
	size_t ndirs;             /* dirs[] used */
	uint64_t spool_seq;
	bool no_room;             /* make_room failed: none until it may not */
	struct ev_dir dirs[DIRS_MAX];
	struct evidence_stats stats;
};

/* ---- names ---- */

/* root/a or root/a/b into out; false when it does not fit (evidence_new
 * keeps evidence.dir short enough that exfild's own names always do). */
static bool
path_of(char out[PATH_MAX], const char *root, const char *a, const char *b)
{
	struct strbuf sb;

	sb_init(&sb, out, PATH_MAX);
	sb_puts(&sb, root);
	sb_putc(&sb, '/');
	sb_puts(&sb, a);
	if (b != NULL) {
		sb_putc(&sb, '/');
		sb_puts(&sb, b);
	}
	return !sb.overflow;
}

static bool
safe_byte(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void
evidence_safe_name(const char *filename, unsigned seq, char *out,
    size_t outlen)
{
	char keep[EVIDENCE_NAME_KEEP + 1];
	const char *base = filename, *slash;
	size_t n = 0;
	char c;

	/* a path's last element (both kinds of slash) */
	for (slash = filename; *slash != '\0'; slash++)
		if (*slash == '/' || *slash == '\\')
			base = slash + 1;
	for (; *base != '\0' && n < EVIDENCE_NAME_KEEP; base++) {
		c = safe_byte((unsigned char)*base) ? *base : '_';
		/* no leading dot, no ".." anywhere */
		if (c == '.' && (n == 0 || keep[n - 1] == '.'))
			c = '_';
		keep[n++] = c;
	}
	keep[n] = '\0';
	snprintf(out, outlen, "%03u-%s", seq, n > 0 ? keep : "file");
}

/* "20261207T185302Z-bulk-upload-1a2b3c4d": exfild's own values only. */
static void
dir_name(const struct alert *a, char *out, size_t outlen)
{
	time_t t = (time_t)(a->ts_ns / NS_PER_SEC);
	struct tm tm;
	char when[20];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, outlen, "%s-%s-%.8s", when, a->rule, a->id);
}

/* ---- the bound: bytes under the directory ---- */

/* A directory under evidence.dir opened without following a link: a
 * directory owned by us, else -1 (logged when it is something else). */
static int
dir_open(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warn("evidence: %s: not opened (a link or not a "
			    "directory: left alone)", path);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid()) {
		log_warnx("evidence: %s: not a directory of ours (left alone)",
		    path);
		close(fd);
		return -1;
	}
	return fd;
}

/* "." or "..": not an entry to count or remove. */
static bool
dot_entry(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

/* The bytes of the regular files under path (links never followed). */
static uint64_t
dir_bytes_fd(int fd)
{
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;
	DIR *d;
	int sub;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (dot_entry(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode) &&
		    (sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0)
			sum += dir_bytes_fd(sub);
	}
	closedir(d);
	return sum;
}

/* evidence.dir itself (the configured path: followed if a link). */
static uint64_t
dir_bytes(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? 0 : dir_bytes_fd(fd);
}

/* An alert directory's files, then itself (one level: it holds files);
 * the bytes of the files deleted.  A link or a directory not ours is
 * left alone. */
static uint64_t
remove_dir(const char *path)
{
	struct dirent *de;
	struct stat st;
	uint64_t freed = 0;
	DIR *d;
	int fd;

	if ((fd = dir_open(path)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (dot_entry(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    S_ISDIR(st.st_mode))
			continue;
		/* (unlinkat removes a link itself, never its target) */
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 && S_ISREG(st.st_mode))
			freed += (uint64_t)st.st_size;
	}
	closedir(d);
	(void)rmdir(path);
	return freed;
}

/* A directory still written in (its pair under evidence, or a file of it
 * open) is never deleted. */
static bool
dir_in_use(const struct evidence *ev, const char *name)
{
	size_t i;

	for (i = 0; i < DIRS_MAX; i++)
		if (ev->dirs[i].used && strcmp(ev->dirs[i].name, name) == 0)
			return true;
	for (i = 0; i < ev->nfiles; i++)
		if (ev->files[i].state != FILE_FREE && ev->files[i].adopted &&
		    strcmp(ev->files[i].dir, name) == 0)
			return true;
	return false;
}

/* "20231114T221320Z-...": a name dir_name gives (nothing else under
 * evidence.dir is ever deleted). */
static bool
alert_dir_name(const char *name)
{
	static const char shape[] = "ddddddddTddddddZ-";
	size_t i;

	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? name[i] < '0' || name[i] > '9' :
		    name[i] != shape[i])
			return false;
	return true;
}

/* The oldest alert directory not in use after the name `after` (names
 * begin with the UTC time, so the smallest name is the oldest; "" for
 * the first); false when there is none.  Links are never taken. */
static bool
oldest_dir(const struct evidence *ev, const char *after, char *out,
    size_t outlen)
{
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	if ((d = opendir(ev->root)) == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		if (!alert_dir_name(de->d_name) ||
		    strcmp(de->d_name, after) <= 0 ||
		    (found && strcmp(de->d_name, out) >= 0) ||
		    dir_in_use(ev, de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		str_copy(out, de->d_name, outlen);
		found = true;
	}
	closedir(d);
	return found;
}

static void
total_less(struct evidence *ev, uint64_t bytes)
{
	ev->stats.total = ev->stats.total > bytes ? ev->stats.total - bytes : 0;
	if (bytes > 0)
		ev->no_room = false;
}

/* Room for n more bytes: oldest alert directories deleted until there is
 * (one that cannot be deleted is skipped, what went of it subtracted);
 * false when there is none to delete and no room.  Once false, false at
 * once (no scan) until the total drops or a directory closes. */
static bool
make_room(struct evidence *ev, uint64_t n)
{
	char name[NAME_MAX + 1], after[NAME_MAX + 1] = "", path[PATH_MAX];
	uint64_t bytes;

	if (ev->stats.total + n <= ev->max_total)
		return true;
	if (ev->no_room)
		return false;
	while (ev->stats.total + n > ev->max_total) {
		if (!oldest_dir(ev, after, name, sizeof(name)) ||
		    !path_of(path, ev->root, name, NULL)) {
			ev->no_room = true;
			return false;
		}
		str_copy(after, name, sizeof(after));
		bytes = remove_dir(path);
		total_less(ev, bytes);
		if (access(path, F_OK) == 0) {
			ev->stats.errors++;
			log_warnx("evidence: cannot delete %s (%" PRIu64 " bytes "
			    "of it deleted): the next oldest is tried", path,
			    bytes);
			continue;
		}
		ev->stats.deleted++;
		log_warnx("evidence: deleted %s (%" PRIu64 " bytes) to stay under "
		    "evidence.max_total (%" PRIu64 " bytes)", path, bytes,
		    ev->max_total);
	}
	return true;
}

bool
evidence_account(struct evidence *ev, uint64_t bytes)
{
	if (!make_room(ev, bytes))
		return false;
	ev->stats.total += bytes;
	return true;
}

/* ---- start-up ---- */

/* A new directory, mode 0750 whatever the umask (systemd's 0077); one
 * there already is accepted when may_exist (its mode left alone), else
 * -1 with errno EEXIST. */
static int
make_dir(const char *path, bool may_exist, char *err, size_t errlen)
{
	int fd, e;

	if (mkdir(path, DIR_MODE) != 0) {
		e = errno;
		if (e == EEXIST && may_exist)
			return 0;
		snprintf(err, errlen, "evidence.dir: cannot make %s: %s", path,
		    strerror(e));
		errno = e;
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		(void)fchmod(fd, DIR_MODE);
		close(fd);
	}
	return 0;
}

/* What a run that ended mid-upload left in the spool: never adopted.  A
 * spool that is a link (or not ours) is never followed: the link goes. */
static void
clear_spool(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISLNK(st.st_mode)) {
		log_warnx("evidence: %s is a link: removed, not followed", path);
		(void)unlink(path);
		return;
	}
	(void)remove_dir(path);
}

struct evidence *
evidence_new(const struct config *cfg, char *err, size_t errlen)
{
	struct evidence *ev = xcalloc(1, sizeof(*ev));
	char spool[PATH_MAX];
	size_t i;

	config_evidence_dir(cfg, ev->root, sizeof(ev->root));
	if (strlen(ev->root) > ROOT_MAX) {
		snprintf(err, errlen, "evidence.dir: longer than %d bytes", ROOT_MAX);
		goto fail;
	}
	(void)path_of(spool, ev->root, SPOOL_DIR, NULL);
	if (make_dir(ev->root, true, err, errlen) != 0)
		goto fail;
	clear_spool(spool);
	if (make_dir(spool, true, err, errlen) != 0)
		goto fail;
	evidence_apply_config(ev, cfg);
	ev->nfiles = cfg->evidence_max_open;
	ev->files = xcalloc(ev->nfiles, sizeof(*ev->files));
	for (i = 0; i < ev->nfiles; i++) {
		ev->files[i].buf = xmalloc(EVIDENCE_BUF);
		ev->files[i].fd = -1;
	}
	ev->stats.total = dir_bytes(ev->root);
	log_info("evidence: %s holds %" PRIu64 " bytes (max_total %" PRIu64 ")",
	    ev->root, ev->stats.total, ev->max_total);
	return ev;
fail:
	free(ev);
	return NULL;
}

void
evidence_apply_config(struct evidence *ev, const struct config *cfg)
{
	ev->max_bytes = cfg->evidence_max_bytes;
	ev->max_total = cfg->evidence_max_total;
	ev->grace_ns = cfg->evidence_grace_s * NS_PER_SEC;
	ev->no_room = false; /* (max_total may have grown) */
}

/* ---- files ---- */

static struct ev_file *
file_of(const struct evidence *ev, const struct flow *f)
{
	size_t i;

	if (ev->open == 0)
		return NULL;
	for (i = 0; i < ev->nfiles; i++)
		if (ev->files[i].state == FILE_WRITING && ev->files[i].flow == f)
			return &ev->files[i];
	return NULL;
}

/* The index of the pair's open directory; DIRS_MAX: none. */
static size_t
dir_index(const struct evidence *ev, uint32_t pair_id, uint32_t pair_gen)
{
	size_t i;

	for (i = 0; i < DIRS_MAX; i++)
		if (ev->dirs[i].used && ev->dirs[i].pair_id == pair_id &&
		    ev->dirs[i].pair_gen == pair_gen)
			break;
	return i;
}

static struct ev_dir *
dir_of_pair(struct evidence *ev, uint32_t pair_id, uint32_t pair_gen)
{
	size_t i = dir_index(ev, pair_id, pair_gen);

	return i < DIRS_MAX ? &ev->dirs[i] : NULL;
}

static void file_flush(struct evidence *ev, struct ev_file *fl);

/* A write failed, or there is no room: the file ends here (once); with
 * no room, what is buffered (counted in size and digest) is written. */
static void
file_fail(struct evidence *ev, struct ev_file *fl, const char *what, int err)
{
	if (fl->failed)
		return;
	if (err == 0)
		file_flush(ev, fl);
	if (fl->failed)
		return;
	fl->failed = fl->cut = true;
	ev->stats.errors += err != 0;
	ev->stats.cut++;
	log_warnx("evidence: %s: %s%s%s (the file is cut)", fl->path, what,
	    err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
}

static void
file_flush(struct evidence *ev, struct ev_file *fl)
{
	size_t off = 0;
	ssize_t n;

	while (off < fl->buffered && !fl->failed) {
		n = write(fl->fd, fl->buf + off, fl->buffered - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			file_fail(ev, fl, "write", n < 0 ? errno : EIO);
			break;
		}
		off += (size_t)n;
	}
	fl->buffered = 0;
}

/* The file's next bytes, to its max_bytes and the room max_total leaves. */
static void
file_write(struct evidence *ev, struct ev_file *fl, const uint8_t *data,
    size_t len)
{
	size_t n;

	if (fl->failed)
		return;
	/* (a reload may have lowered max_bytes below the size) */
	if (fl->size >= ev->max_bytes) {
		len = 0;
		fl->cut = true;
	} else if (len > ev->max_bytes - fl->size) {
		len = (size_t)(ev->max_bytes - fl->size);
		fl->cut = true;
	}
	if (len > 0 && !make_room(ev, len)) {
		file_fail(ev, fl, "evidence.max_total reached", 0);
		return;
	}
	ev->stats.total += len;
	ev->stats.bytes += len;
	fl->size += len;
	/* (a candidate is hashed only if a rule adopts it: file_adopt) */
	if (fl->adopted)
		sha256_update(&fl->sha, data, len);
	while (len > 0) {
		n = EVIDENCE_BUF - fl->buffered;
		if (n > len)
			n = len;
		memcpy(fl->buf + fl->buffered, data, n);
		fl->buffered += n;
		data += n;
		len -= n;
		if (fl->buffered == EVIDENCE_BUF)
			file_flush(ev, fl);
	}
	if (fl->cut && !fl->failed && fl->size >= ev->max_bytes) {
		file_flush(ev, fl); /* what is buffered goes to disk first */
		if (!fl->failed) {
			ev->stats.cut++;
			fl->failed = true; /* (no more bytes: counted once) */
		}
	}
}

/* Bytes in: the last EVIDENCE_HOLD stay held back, the rest written. */
static void
file_take(struct evidence *ev, struct ev_file *fl, const uint8_t *data,
    size_t len)
{
	size_t out;

	if (fl->held + len <= EVIDENCE_HOLD) {
		memcpy(fl->hold + fl->held, data, len);
		fl->held += len;
		return;
	}
	out = fl->held + len - EVIDENCE_HOLD;
	if (out >= fl->held) {
		file_write(ev, fl, fl->hold, fl->held);
		file_write(ev, fl, data, out - fl->held);
		memcpy(fl->hold, data + (out - fl->held), EVIDENCE_HOLD);
	} else {
		file_write(ev, fl, fl->hold, out);
		memmove(fl->hold, fl->hold + out, fl->held - out);
		memcpy(fl->hold + fl->held - out, data, len);
	}
	fl->held = EVIDENCE_HOLD;
}

static const char *const kind_names[] = { "body", "part", "tunnel", "tls" };

/* {"name":...,...}: the manifest's line for a file that ended. */
static void
manifest_line(const struct ev_file *fl, struct strbuf *sb)
{
	char addr[NETADDR_STRLEN], t[RFC3339_LEN];

	sb_puts(sb, "{\"name\":");
	json_put_string(sb, fl->name, strlen(fl->name));
	sb_puts(sb, ",\"filename\":");
	json_put_string(sb, fl->orig, strlen(fl->orig));
	sb_printf(sb, ",\"size\":%" PRIu64 ",\"sha256\":\"%s\",\"complete\":%s,"
	    "\"kind\":\"%s\"", fl->size, fl->hex,
	    fl->cut || fl->missing_before > 0 ? "false" : "true",
	    kind_names[fl->kind]);
	sb_printf(sb, ",\"proto\":%u", fl->tuple.proto);
	netaddr_format(&fl->tuple.host, addr, sizeof(addr));
	sb_printf(sb, ",\"src\":\"%s\",\"src_port\":%u", addr, fl->tuple.host_port);
	netaddr_format(&fl->tuple.peer, addr, sizeof(addr));
	sb_printf(sb, ",\"dst\":\"%s\",\"dst_port\":%u", addr, fl->tuple.peer_port);
	format_rfc3339_ms(fl->first_ns, t);
	sb_printf(sb, ",\"first_ts\":\"%s\"", t);
	format_rfc3339_ms(fl->last_ns, t);
	sb_printf(sb, ",\"last_ts\":\"%s\",\"missing_before\":%" PRIu64 "}\n", t,
	    fl->missing_before);
}

/* A line to the manifest at path; counted as a file stored. */
static void
manifest_write(struct evidence *ev, const char *path, const char *line,
    size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
	    FILE_MODE);
	if (fd >= 0)
		(void)fchmod(fd, FILE_MODE);
	if (fd < 0 || !evidence_account(ev, len) ||
	    write(fd, line, len) != (ssize_t)len) {
		ev->stats.errors++;
		log_warnx("evidence: %s: cannot append: %s", path,
		    fd < 0 ? strerror(errno) : "short write or no room");
	}
	if (fd >= 0)
		close(fd);
	ev->stats.files++;
}

static void
manifest_append(struct evidence *ev, const struct ev_file *fl)
{
	char line[2048], path[PATH_MAX];
	struct strbuf sb;

	sb_init(&sb, line, sizeof(line));
	manifest_line(fl, &sb);
	(void)path_of(path, ev->root, fl->dir, MANIFEST);
	manifest_write(ev, path, line, sb.len);
}

void
evidence_note_pcap(struct evidence *ev, const char *path, uint64_t frames,
    uint64_t bytes, uint64_t missing)
{
	char line[512], manifest[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct strbuf sb;
	size_t dirlen;

	if (slash == NULL || (dirlen = (size_t)(slash - path)) +
	    sizeof("/" MANIFEST) > sizeof(manifest))
		return;
	memcpy(manifest, path, dirlen);
	memcpy(manifest + dirlen, "/" MANIFEST, sizeof("/" MANIFEST));
	sb_init(&sb, line, sizeof(line));
	sb_puts(&sb, "{\"name\":");
	json_put_string(&sb, slash + 1, strlen(slash + 1));
	sb_printf(&sb, ",\"kind\":\"pcap\",\"size\":%" PRIu64
	    ",\"frames\":%" PRIu64 ",\"complete\":%s,\"missing_before\":%"
	    PRIu64 "}\n", bytes, frames, missing > 0 ? "false" : "true",
	    missing);
	manifest_write(ev, manifest, line, sb.len);
}

static void
file_release(struct evidence *ev, struct ev_file *fl)
{
	if (fl->fd >= 0)
		close(fl->fd);
	fl->fd = -1;
	fl->state = FILE_FREE;
	fl->flow = NULL;
	ev->open--;
	if (fl->adopted)
		ev->no_room = false; /* (its directory may be deletable now) */
}

/* A candidate that ended without an alert. */
static void
file_discard(struct evidence *ev, struct ev_file *fl)
{
	if (unlink(fl->path) != 0 && errno != ENOENT) {
		ev->stats.errors++;
		log_warn("evidence: cannot delete %s", fl->path);
	}
	total_less(ev, fl->size);
	ev->stats.candidates_deleted++;
	file_release(ev, fl);
}

/* Its bytes are all there: digest, and for a stored file its line. */
static void
file_finish(struct evidence *ev, struct ev_file *fl, uint64_t ts_ns)
{
	file_write(ev, fl, fl->hold, fl->held);
	fl->held = 0;
	file_flush(ev, fl);
	if (fl->adopted)
		sha256_final_hex(&fl->sha, fl->hex);
	fl->end_ns = ts_ns;
	fl->state = FILE_FINISHED;
	fl->flow = NULL;
	if (fl->fd >= 0)
		close(fl->fd);
	fl->fd = -1;
	if (fl->size == 0 && !fl->cut) {
		/* a multipart body's preamble, an empty part: no file */
		(void)unlink(fl->path);
		file_release(ev, fl);
	} else if (fl->adopted) {
		manifest_append(ev, fl);
		file_release(ev, fl);
	}
}

/* from to to, never over a file there (-1 with errno EEXIST). */
static int
move_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* a file system without RENAME_NOREPLACE: link fails on EEXIST */
	if (link(from, to) != 0)
		return -1;
	(void)unlink(from);
	return 0;
}

/* A candidate adopted: the digest of what it has on disk so far (its
 * buffer written first; the bytes still held back are hashed as they are
 * written). Candidates that end without an alert are never hashed: most
 * are not adopted, and hashing costs some 64 instructions a byte. */
static void
hash_on_disk(struct evidence *ev, struct ev_file *fl)
{
	uint64_t got = 0;
	ssize_t n;
	int fd;

	if (fl->fd >= 0)
		file_flush(ev, fl);
	fd = open(fl->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ev->stats.errors++;
		log_warn("evidence: cannot read %s back", fl->path);
		fl->cut = true;
		return;
	}
	/* (the write buffer is empty after the flush: it is the read buffer) */
	while ((n = read(fd, fl->buf, EVIDENCE_BUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ev->stats.errors++;
			log_warn("evidence: cannot read %s back", fl->path);
			break;
		}
		sha256_update(&fl->sha, fl->buf, (size_t)n);
		got += (uint64_t)n;
	}
	close(fd);
	if (got != fl->size) {
		/* a write had failed: the digest and size are what is on disk */
		fl->size = got;
		fl->cut = true;
	}
}

/* Into the directory, named NNN-<safe name>. */
static void
file_adopt(struct evidence *ev, struct ev_file *fl, struct ev_dir *d)
{
	char path[PATH_MAX];

	evidence_safe_name(fl->orig, ++d->seq, fl->name, sizeof(fl->name));
	(void)path_of(path, ev->root, d->name, fl->name);
	if (move_new(fl->path, path) != 0) {
		ev->stats.errors++;
		log_warn("evidence: cannot move %s to %s", fl->path, path);
		return;
	}
	str_copy(fl->path, path, sizeof(fl->path));
	str_copy(fl->dir, d->name, sizeof(fl->dir));
	hash_on_disk(ev, fl);
	fl->adopted = true;
	if (fl->state == FILE_FINISHED) {
		sha256_final_hex(&fl->sha, fl->hex);
		manifest_append(ev, fl);
		file_release(ev, fl);
	}
}

/* A slot for a new file: a free one, else the oldest finished candidate
 * (deleted: decoys never hold every slot).  Candidates use at most three
 * quarters of the slots: the rest is kept for pairs under evidence. */
static struct ev_file *
free_file(struct evidence *ev, bool for_pair)
{
	struct ev_file *fl, *free_one = NULL, *oldest = NULL;
	size_t i, candidates = 0;

	for (i = 0; i < ev->nfiles; i++) {
		fl = &ev->files[i];
		if (fl->state == FILE_FREE) {
			if (free_one == NULL)
				free_one = fl;
			continue;
		}
		if (fl->adopted)
			continue;
		candidates++;
		if (fl->state == FILE_FINISHED &&
		    (oldest == NULL || fl->end_ns < oldest->end_ns))
			oldest = fl;
	}
	if (free_one != NULL &&
	    (for_pair || candidates < ev->nfiles - ev->nfiles / 4))
		return free_one;
	if (oldest != NULL)
		file_discard(ev, oldest);
	return oldest;
}

/* Opened new (never an existing file or a link), mode 0640. */
static int
file_open(struct evidence *ev, struct ev_file *fl, const char *dir)
{
	(void)path_of(fl->path, ev->root, dir, fl->name);
	fl->fd = open(fl->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, FILE_MODE);
	if (fl->fd < 0) {
		ev->stats.errors++;
		log_warn("evidence: cannot create %s", fl->path);
		return -1;
	}
	(void)fchmod(fl->fd, FILE_MODE); /* whatever the umask */
	return 0;
}

bool
evidence_start(struct evidence *ev, const struct evidence_start *st)
{
	struct ev_dir *d = dir_of_pair(ev, st->pair_id, st->pair_gen);
	struct ev_file *fl;

	evidence_end(ev, st->flow, st->ts_ns);
	if ((fl = free_file(ev, d != NULL)) == NULL) {
		ev->stats.candidates_dropped++;
		if (d != NULL)
			ev->stats.missing++;
		return false;
	}
	memset(fl, 0, offsetof(struct ev_file, buf));
	fl->fd = -1;
	fl->kind = (uint8_t)st->kind;
	fl->flow = st->flow;
	fl->tuple = st->flow->key;
	fl->pair_id = st->pair_id;
	fl->pair_gen = st->pair_gen;
	fl->missing_before = st->missing_before;
	fl->first_ns = fl->last_ns = st->ts_ns;
	str_copy(fl->orig, st->filename != NULL ? st->filename : "",
	    sizeof(fl->orig));
	sha256_init(&fl->sha);
	if (d != NULL) {
		evidence_safe_name(fl->orig, ++d->seq, fl->name, sizeof(fl->name));
		str_copy(fl->dir, d->name, sizeof(fl->dir));
		fl->adopted = true;
		if (file_open(ev, fl, d->name) != 0)
			return false;
	} else {
		snprintf(fl->name, sizeof(fl->name), "%" PRIu64, ++ev->spool_seq);
		if (file_open(ev, fl, SPOOL_DIR) != 0)
			return false;
		ev->stats.candidates_spooled++;
	}
	fl->state = FILE_WRITING;
	ev->open++;
	return true;
}

bool
evidence_writing(const struct evidence *ev, const struct flow *f)
{
	return file_of(ev, f) != NULL;
}

void
evidence_bytes(struct evidence *ev, const struct flow *f, const uint8_t *data,
    size_t len, uint64_t ts_ns)
{
	struct ev_file *fl = file_of(ev, f);

	if (fl == NULL)
		return;
	fl->last_ns = ts_ns;
	file_take(ev, fl, data, len);
}

void
evidence_part_end(struct evidence *ev, const struct flow *f, size_t delim,
    uint64_t ts_ns)
{
	struct ev_file *fl = file_of(ev, f);

	if (fl == NULL)
		return;
	if (delim == fl->held + 1 && fl->size == 0)
		delim = fl->held; /* a delimiter at the start: no file */
	if (delim > fl->held) {
		/* (padding longer than the hold: written already) */
		if (!fl->cut)
			ev->stats.cut++;
		fl->cut = true;
		delim = fl->held;
	}
	fl->held -= delim;
	/* the CR of the line end before the delimiter's LF */
	if (fl->held > 0 && fl->hold[fl->held - 1] == '\r')
		fl->held--;
	file_finish(ev, fl, ts_ns);
}

void
evidence_end(struct evidence *ev, const struct flow *f, uint64_t ts_ns)
{
	struct ev_file *fl = file_of(ev, f);

	if (fl != NULL)
		file_finish(ev, fl, ts_ns);
}

void
evidence_cut(struct evidence *ev, const struct flow *f, uint64_t ts_ns)
{
	struct ev_file *fl = file_of(ev, f);

	if (fl == NULL)
		return;
	if (!fl->cut)
		ev->stats.cut++;
	fl->cut = true;
	file_finish(ev, fl, ts_ns);
}

/* ---- alerts ---- */

/* The alert's directory made new: an alert id seen before (a capture
 * replayed into the same evidence.dir) gets "-2", "-3", ... so nothing
 * of an earlier run is written into or over; false when none could be. */
static bool
make_alert_dir(struct evidence *ev, const struct alert *a, char *name,
    size_t namelen)
{
	char base[ALERT_EVIDENCE_DIR_MAX], path[PATH_MAX], err[PATH_MAX + 64];
	struct strbuf sb;
	unsigned n;

	dir_name(a, base, sizeof(base));
	str_copy(name, base, namelen);
	for (n = 2; n <= ALERT_DIR_TRIES + 1; n++) {
		(void)path_of(path, ev->root, name, NULL);
		if (make_dir(path, false, err, sizeof(err)) == 0)
			return true;
		if (errno != EEXIST)
			break;
		sb_init(&sb, name, namelen);
		sb_printf(&sb, "%s-%u", base, n);
		if (sb.overflow) {
			snprintf(err, sizeof(err), "evidence: %s: no name left",
			    base);
			break;
		}
	}
	ev->stats.errors++;
	log_warnx("%s", err);
	return false;
}

static struct ev_dir *
open_dir(struct evidence *ev, uint32_t pair_id, uint32_t pair_gen,
    const struct alert *a)
{
	struct ev_dir *d = dir_of_pair(ev, pair_id, pair_gen), *oldest = NULL;
	size_t i;

	if (d != NULL)
		return d;
	for (i = 0; i < DIRS_MAX && d == NULL; i++)
		if (!ev->dirs[i].used)
			d = &ev->dirs[i];
		else if (oldest == NULL || ev->dirs[i].until_ns < oldest->until_ns)
			oldest = &ev->dirs[i];
	if (d == NULL) {
		d = oldest; /* its pair's later bodies are no longer stored */
		ev->ndirs--;
		ev->no_room = false;
	}
	memset(d, 0, sizeof(*d));
	if (!make_alert_dir(ev, a, d->name, sizeof(d->name)))
		return NULL;
	d->used = true;
	ev->ndirs++;
	d->pair_id = pair_id;
	d->pair_gen = pair_gen;
	return d;
}

static void
list_hashes(const struct evidence *ev, const char *dir, struct alert *a)
{
	char path[PATH_MAX], line[4096];
	const char *h;
	FILE *fp;

	(void)path_of(path, ev->root, dir, MANIFEST);
	a->n_sha256 = 0;
	if ((fp = fopen(path, "re")) == NULL)
		return;
	while (a->n_sha256 < ALERT_SHA256_MAX && fgets(line, sizeof(line), fp)) {
		/* bodies and parts (not tunnel or TLS streams) stored whole */
		if (strstr(line, "\"complete\":true") == NULL ||
		    (strstr(line, "\"kind\":\"body\"") == NULL &&
		    strstr(line, "\"kind\":\"part\"") == NULL) ||
		    (h = strstr(line, "\"sha256\":\"")) == NULL ||
		    strlen(h) < 10 + SHA256_HEX_LEN - 1)
			continue;
		memcpy(a->sha256[a->n_sha256], h + 10, SHA256_HEX_LEN - 1);
		a->sha256[a->n_sha256++][SHA256_HEX_LEN - 1] = '\0';
	}
	fclose(fp);
}

void
evidence_alert(struct evidence *ev, struct pair *p, uint32_t pair_id,
    uint32_t pair_gen, struct alert *a, uint64_t until_ns)
{
	struct ev_dir *d = open_dir(ev, pair_id, pair_gen, a);
	uint64_t until_s = until_ns / NS_PER_SEC + 1;
	size_t i;

	if (d == NULL)
		return;
	if (until_ns > d->until_ns)
		d->until_ns = until_ns;
	p->evidence_until_s = until_s > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)until_s;
	for (i = 0; i < ev->nfiles; i++) {
		struct ev_file *fl = &ev->files[i];

		if (fl->state != FILE_FREE && !fl->adopted &&
		    fl->pair_id == pair_id && fl->pair_gen == pair_gen)
			file_adopt(ev, fl, d);
	}
	str_copy(a->evidence_dir, d->name, sizeof(a->evidence_dir));
	list_hashes(ev, d->name, a);
}

void
evidence_dir_hashes(const struct evidence *ev, struct alert *a)
{
	if (a->evidence_dir[0] != '\0')
		list_hashes(ev, a->evidence_dir, a);
}

bool
evidence_pair_dir(const struct evidence *ev, uint32_t pair_id,
    uint32_t pair_gen, char *dir, size_t dirlen)
{
	size_t i = dir_index(ev, pair_id, pair_gen);

	return i < DIRS_MAX && (size_t)snprintf(dir, dirlen, "%s/%s", ev->root,
	    ev->dirs[i].name) < dirlen;
}

void
evidence_tick(struct evidence *ev, uint64_t now_ns)
{
	size_t i;

	if (ev->open == 0 && ev->ndirs == 0)
		return;

	for (i = 0; i < ev->nfiles; i++) {
		struct ev_file *fl = &ev->files[i];

		if (fl->state == FILE_FINISHED && !fl->adopted &&
		    now_ns - fl->end_ns >= ev->grace_ns && now_ns >= fl->end_ns)
			file_discard(ev, fl);
	}
	for (i = 0; i < DIRS_MAX; i++)
		if (ev->dirs[i].used && ev->dirs[i].until_ns <= now_ns) {
			ev->dirs[i].used = false;
			ev->ndirs--;
			ev->no_room = false; /* (deletable now) */
		}
}

void
evidence_finish(struct evidence *ev)
{
	size_t i;

	for (i = 0; i < ev->nfiles; i++) {
		struct ev_file *fl = &ev->files[i];

		if (fl->state == FILE_WRITING)
			file_finish(ev, fl, fl->last_ns);
		if (fl->state == FILE_FINISHED)
			file_discard(ev, fl);
	}
}

void
evidence_free(struct evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	evidence_finish(ev);
	for (i = 0; i < ev->nfiles; i++)
		free(ev->files[i].buf);
	free(ev->files);
	free(ev);
}

void
evidence_get_stats(const struct evidence *ev, struct evidence_stats *out)
{
	*out = ev->stats;
}
