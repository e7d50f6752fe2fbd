/*
 * preflight.c - what the daemon's start-up needs from the machine: checked
 * by exfild -t as the daemon's user (in a child that has dropped to it),
 * and the missing directories made, owned by that user, at start-up as
 * root. Every failure names the key and its file:line:col.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exfild/daemon/daemon.h"
#include "exfild/daemon/preflight.h"
#include "exfild/daemon/privdrop.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define FAILURES_MAX 100 /* a child's exit status carries the count */

/* A directory start-up writes in: a file's (outputs, baseline.state) or
 * daemon.state_dir itself. */
struct place {
	char where[CONFIG_ERR_LEN]; /* "FILE:LINE:COL: KEY" */
	const char *path;           /* the file, or the directory */
	char dir[PATH_MAX];
	bool is_file;
	mode_t mode;                /* of the directory when start-up makes it */
};

typedef int place_fn(void *ctx, const struct place *pl);

const char *
preflight_user(const struct config *cfg, const char *user_opt)
{
	return user_opt != NULL ? user_opt : cfg->daemon_user != NULL ?
	    cfg->daemon_user : DAEMON_DEFAULT_USER;
}

static void
dir_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		str_copy(out, ".", outlen);
	else if (slash == path)
		str_copy(out, "/", outlen);
	else
		snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

/* The default state_dir is wanted only when a syslog output spools. */
static bool
spools(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_outputs; i++)
		if (cfg->outputs[i].kind == OUTPUT_SYSLOG &&
		    cfg->outputs[i].spool_bytes > 0)
			return true;
	return false;
}

/* Each place, in the file's order; the default state_dir when the file
 * sets none and a spool needs it. Stops at the first fn that returns
 * non-zero (its value). */
static int
for_each_place(const struct config *cfg, place_fn *fn, void *ctx)
{
	struct place pl;
	size_t i;
	int rc;

	for (i = 0; i < cfg->n_refs; i++) {
		const struct config_ref *r = &cfg->refs[i];
		bool evidence_dir = strcmp(r->key, "evidence.dir") == 0;

		if (r->use != CONFIG_REF_WRITE && r->use != CONFIG_REF_DIR)
			continue;
		if (!cfg->evidence_enabled && evidence_dir)
			continue;
		memset(&pl, 0, sizeof(pl));
		config_ref_where(cfg, r, pl.where, sizeof(pl.where));
		pl.path = r->value;
		pl.is_file = r->use == CONFIG_REF_WRITE;
		if (pl.is_file)
			dir_of(r->value, pl.dir, sizeof(pl.dir));
		else
			str_copy(pl.dir, r->value, sizeof(pl.dir));
		/* an alert file's directory may be shared with a log reader's
		 * group; the state stays the user's alone */
		pl.mode = strncmp(r->key, "outputs.", 8) == 0 || evidence_dir ?
		    0750 : 0700;
		if ((rc = fn(ctx, &pl)) != 0)
			return rc;
	}
	if (cfg->state_dir == NULL && spools(cfg)) {
		memset(&pl, 0, sizeof(pl));
		snprintf(pl.where, sizeof(pl.where), "%s: daemon.state_dir "
		    "(default %s)", cfg->path, CONFIG_DEFAULT_STATE_DIR);
		pl.path = CONFIG_DEFAULT_STATE_DIR;
		str_copy(pl.dir, CONFIG_DEFAULT_STATE_DIR, sizeof(pl.dir));
		pl.mode = 0700;
		if ((rc = fn(ctx, &pl)) != 0)
			return rc;
	}
	if (cfg->evidence_enabled && cfg->evidence_dir == NULL) {
		memset(&pl, 0, sizeof(pl));
		config_evidence_dir(cfg, pl.dir, sizeof(pl.dir));
		snprintf(pl.where, sizeof(pl.where), "%.200s: evidence.dir "
		    "(default %.200s)", cfg->path, pl.dir);
		pl.path = pl.dir;
		pl.mode = 0750;
		return fn(ctx, &pl);
	}
	return 0;
}

/* "FILE:LINE:COL: daemon.user", "-u", or the default's. */
static void
user_where(const struct config *cfg, const char *user_opt, char *out,
    size_t outlen)
{
	const struct config_ref *r;

	if (user_opt != NULL)
		str_copy(out, "-u", outlen);
	else if ((r = config_ref_find(cfg, "daemon.user", NULL)) != NULL)
		config_ref_where(cfg, r, out, outlen);
	else
		snprintf(out, outlen, "%s: daemon.user (default %s)", cfg->path,
		    DAEMON_DEFAULT_USER);
}

/* The user's uid and gid; -1 with "WHERE: no such user" in err. */
static int
find_user(const struct config *cfg, const char *user_opt, uid_t *uid,
    gid_t *gid, char *err, size_t errlen)
{
	const char *user = preflight_user(cfg, user_opt);
	char where[CONFIG_ERR_LEN];
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		return 0;
	}
	user_where(cfg, user_opt, where, sizeof(where));
	if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF ||
	    errno == EPERM)
		snprintf(err, errlen, "%s: no such user \"%s\" (make install "
		    "creates %s; or set daemon.user, or give -u)", where, user,
		    DAEMON_DEFAULT_USER);
	else
		snprintf(err, errlen, "%s: looking up user \"%s\": %s", where, user,
		    strerror(errno));
	return -1;
}

/* ---- exfild -t ---- */

struct check {
	const char *user;  /* the name in messages */
	bool root_makes;   /* start-up runs as root: it creates missing dirs */
	int failures;
};

static void fail(struct check *k, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct check *k, const char *where, const char *fmt, ...)
{
	char msg[CONFIG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "exfild: %s: %s\n", where, msg);
	k->failures++;
}

static int
check_place(void *ctx, const struct place *pl)
{
	struct check *k = ctx;
	struct stat st;

	/* an existing file is appended to (outputs) or read back (the
	 * baseline at start) */
	if (pl->is_file && access(pl->path, F_OK) == 0) {
		const char *how = access(pl->path, W_OK) != 0 ? "writable" :
		    access(pl->path, R_OK) != 0 ? "readable" : NULL;

		if (how != NULL) {
			fail(k, pl->where, "%s: not %s by user %s: %s", pl->path,
			    how, k->user, strerror(errno));
			return 0;
		}
	}
	if (stat(pl->dir, &st) != 0) {
		if (errno == ENOENT && k->root_makes)
			return 0; /* start-up makes it, owned by the user */
		fail(k, pl->where, "%s: directory %s: %s", pl->path, pl->dir,
		    strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		fail(k, pl->where, "%s: %s is not a directory", pl->path, pl->dir);
	} else if (access(pl->dir, W_OK | X_OK) != 0) {
		fail(k, pl->where, "%s: directory %s is not writable by user %s: %s",
		    pl->path, pl->dir, k->user, strerror(errno));
	}
	return 0;
}

/* Every file read is readable (a followed log may not exist yet). */
static void
check_reads(const struct config *cfg, struct check *k)
{
	char where[CONFIG_ERR_LEN];
	size_t i;
	int fd;

	for (i = 0; i < cfg->n_refs; i++) {
		const struct config_ref *r = &cfg->refs[i];

		if (r->use != CONFIG_REF_READ)
			continue;
		fd = open(r->value, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno == ENOENT && strcmp(r->key, "logs.follow") == 0)
			continue; /* followed from when it appears */
		config_ref_where(cfg, r, where, sizeof(where));
		fail(k, where, "%s: not readable by user %s: %s", r->value, k->user,
		    strerror(errno));
	}
}

/* A program run (contain.exec): a regular file the user may execute. */
static void
check_execs(const struct config *cfg, struct check *k)
{
	char where[CONFIG_ERR_LEN];
	struct stat st;
	size_t i;

	for (i = 0; i < cfg->n_refs; i++) {
		const struct config_ref *r = &cfg->refs[i];

		if (r->use != CONFIG_REF_EXEC)
			continue;
		config_ref_where(cfg, r, where, sizeof(where));
		if (stat(r->value, &st) != 0)
			fail(k, where, "%s: %s", r->value, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			fail(k, where, "%s: not a regular file", r->value);
		else if (access(r->value, X_OK) != 0)
			fail(k, where, "%s: not executable by user %s: %s",
			    r->value, k->user, strerror(errno));
	}
}

static void
check_files(const struct config *cfg, struct check *k)
{
	check_reads(cfg, k);
	check_execs(cfg, k);
	(void)for_each_place(cfg, check_place, k);
}

/* As root: the checks in a child that has dropped to the user. */
static void
check_as_user(const struct config *cfg, const char *user_opt, struct check *k)
{
	char err[CONFIG_ERR_LEN], where[CONFIG_ERR_LEN];
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fail(k, "exfild -t", "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		if (privdrop_to_user(k->user, err, sizeof(err)) != 0) {
			user_where(cfg, user_opt, where, sizeof(where));
			fail(k, where, "%s", err);
		} else {
			check_files(cfg, k);
		}
		fflush(stderr);
		_exit(k->failures < FAILURES_MAX ? k->failures : FAILURES_MAX);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			fail(k, "exfild -t", "waitpid: %s", strerror(errno));
			return;
		}
	if (WIFEXITED(status))
		k->failures += WEXITSTATUS(status);
	else
		fail(k, "exfild -t", "the check as user %s ended with signal %d",
		    k->user, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int
preflight_check(const struct config *cfg, const struct preflight_opts *o)
{
	struct check k = { preflight_user(cfg, o->user), geteuid() == 0, 0 };
	char err[CONFIG_ERR_LEN], self[32];
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	size_t i;

	for (i = 0; i < o->n_interfaces; i++)
		if (if_nametoindex(o->interfaces[i]) == 0)
			fail(&k, "-i", "no interface \"%s\" on this machine: %s",
			    o->interfaces[i], strerror(errno));
	if (k.root_makes) {
		if (find_user(cfg, o->user, &uid, &gid, err, sizeof(err)) != 0) {
			fprintf(stderr, "exfild: %s\n", err);
			return k.failures + 1;
		}
		check_as_user(cfg, o->user, &k);
		return k.failures;
	}
	/* not root: the daemon would not drop, it runs as this user */
	if ((pw = getpwuid(geteuid())) != NULL) {
		k.user = pw->pw_name;
	} else {
		snprintf(self, sizeof(self), "uid %u", (unsigned)geteuid());
		k.user = self;
	}
	check_files(cfg, &k);
	return k.failures;
}

/* ---- start-up ---- */

struct prepare {
	const char *user;
	uid_t uid;
	gid_t gid;
	char *err;
	size_t errlen;
};

/* dir and its missing parents (root's, 0755); dir itself mode, given to
 * the user. An existing directory is left as it is. */
static int
make_dir(void *ctx, const struct place *pl)
{
	struct prepare *m = ctx;
	char part[PATH_MAX];
	struct stat st;
	size_t i;
	int fd;

	if (stat(pl->dir, &st) == 0)
		return 0;
	for (i = 1; pl->dir[i] != '\0'; i++) {
		if (pl->dir[i] != '/')
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)i, pl->dir);
		if (mkdir(part, 0755) != 0 && errno != EEXIST)
			goto fail;
	}
	if (mkdir(pl->dir, pl->mode) != 0 && errno != EEXIST)
		goto fail;
	if ((fd = open(pl->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		goto fail;
	if (fchown(fd, m->uid, m->gid) != 0 || fchmod(fd, pl->mode) != 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	log_info("%s: created directory %s (owner %s, mode %04o)", pl->where,
	    pl->dir, m->user, (unsigned)pl->mode);
	return 0;
fail:
	snprintf(m->err, m->errlen, "%s: %s: cannot create directory %s: %s",
	    pl->where, pl->path, pl->dir, strerror(errno));
	return -1;
}

int
preflight_prepare(const struct config *cfg, const char *user, char *err,
    size_t errlen)
{
	struct prepare m = { preflight_user(cfg, user), 0, 0, err, errlen };

	if (geteuid() != 0)
		return 0;
	if (find_user(cfg, user, &m.uid, &m.gid, err, errlen) != 0)
		return -1;
	return for_each_place(cfg, make_dir, &m);
}
