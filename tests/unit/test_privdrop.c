/*
 * test_privdrop.c - dropping root in a forked child (the test runner
 * stays root) and reporting what the child ended up with through a pipe.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/daemon/privdrop.h"

#define UNTOUCHED "untouched"

/* What the child saw; plain data written through the pipe. */
struct report {
	int rc;
	char err[256];
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int ngroups;
	gid_t groups[8];
	int setuid0, seteuid0, setgid0, setegid0;
	char status_caps[2][256];	/* CapPrm, CapEff lines of /proc/self/status */
	int again_rc;			/* privdrop_to_user("nobody") once dropped */
	char again_err[256];
	int again_bad_rc;		/* privdrop_to_user(unknown) once dropped */
	char again_bad_err[256];
};

static void
read_caps(struct report *r)
{
	char line[256];
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "CapPrm:", 7) == 0)
			snprintf(r->status_caps[0], sizeof(r->status_caps[0]),
			    "%s", line);
		else if (strncmp(line, "CapEff:", 7) == 0)
			snprintf(r->status_caps[1], sizeof(r->status_caps[1]),
			    "%s", line);
	}
	fclose(fp);
}

/* In the child: drop (keeping CAP_NET_ADMIN or not), look around, try
 * to get back; false when still root (trying setuid(0) proves nothing). */
static bool
drop_and_look(const char *user, bool net_admin, struct report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->err, sizeof(r->err), UNTOUCHED);
	r->rc = privdrop_to_user_caps(user, net_admin, r->err, sizeof(r->err));
	getresuid(&r->ruid, &r->euid, &r->suid);
	getresgid(&r->rgid, &r->egid, &r->sgid);
	r->ngroups = getgroups((int)(sizeof(r->groups) / sizeof(r->groups[0])),
	    r->groups);
	read_caps(r);
	if (r->rc != 0 || r->euid == 0)
		return false;
	r->setuid0 = setuid(0);
	r->seteuid0 = seteuid(0);
	r->setgid0 = setgid(0);
	r->setegid0 = setegid(0);
	return true;
}

/* In the child: drop, look around, try to get back, call again. */
static void
child_run(const char *user, struct report *r)
{
	if (!drop_and_look(user, false, r))
		return;
	snprintf(r->again_err, sizeof(r->again_err), UNTOUCHED);
	r->again_rc = privdrop_to_user("nobody", r->again_err,
	    sizeof(r->again_err));
	snprintf(r->again_bad_err, sizeof(r->again_bad_err), UNTOUCHED);
	r->again_bad_rc = privdrop_to_user("exfild-no-such-user",
	    r->again_bad_err, sizeof(r->again_bad_err));
}

/* In the child: drop keeping CAP_NET_ADMIN (containment). */
static void
child_keep_net_admin(const char *user, struct report *r)
{
	(void)drop_and_look(user, true, r);
}

/*
 * In the child: become nobody by hand (as systemd's User= would), then
 * ask privdrop for root, which it must ignore.
 */
static void
child_already_dropped(const char *user, struct report *r)
{
	struct passwd *pw = getpwnam("nobody");

	memset(r, 0, sizeof(*r));
	r->rc = -2;
	if (pw == NULL || setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		return;
	snprintf(r->err, sizeof(r->err), UNTOUCHED);
	r->rc = privdrop_to_user(user, r->err, sizeof(r->err));
	getresuid(&r->ruid, &r->euid, &r->suid);
	getresgid(&r->rgid, &r->egid, &r->sgid);
}

typedef void child_fn(const char *user, struct report *r);

/* Runs fn(user) in a child process and returns its report. */
static void
run_in_child(child_fn *fn, const char *user, struct report *r)
{
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct report mine;
		const char *p = (const char *)&mine;
		size_t off = 0;

		close(fds[0]);
		fn(user, &mine);
		while (off < sizeof(mine)) {
			ssize_t n = write(fds[1], p + off, sizeof(mine) - off);

			if (n <= 0)
				_exit(2);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(*r)) {
		ssize_t n = read(fds[0], (char *)r + got, sizeof(*r) - got);

		if (n == -1 && errno == EINTR)
			continue;
		assert_true(n > 0);
		got += (size_t)n;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
require_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: privilege dropping not tested\n");
		skip();
	}
}

/* The child is nobody, in nobody's group alone, with exactly these
 * capability lines, and cannot get back to root. */
static void
assert_dropped(const struct report *r, const char *capprm, const char *capeff)
{
	struct passwd *pw = getpwnam("nobody");

	assert_non_null(pw);
	assert_true(pw->pw_uid != 0);
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->err, UNTOUCHED);
	assert_int_equal(r->ruid, pw->pw_uid);
	assert_int_equal(r->euid, pw->pw_uid);
	assert_int_equal(r->suid, pw->pw_uid);
	assert_int_equal(r->rgid, pw->pw_gid);
	assert_int_equal(r->egid, pw->pw_gid);
	assert_int_equal(r->sgid, pw->pw_gid);
	assert_int_equal(r->ngroups, 1);
	assert_int_equal(r->groups[0], pw->pw_gid);
	assert_string_equal(r->status_caps[0], capprm);
	assert_string_equal(r->status_caps[1], capeff);
	/* No way back. */
	assert_int_equal(r->setuid0, -1);
	assert_int_equal(r->seteuid0, -1);
	assert_int_equal(r->setgid0, -1);
	assert_int_equal(r->setegid0, -1);
}

static void
test_drop_to_nobody(void **state)
{
	struct report r;

	(void)state;
	require_root();
	run_in_child(child_run, "nobody", &r);
	assert_dropped(&r, "CapPrm:\t0000000000000000",
	    "CapEff:\t0000000000000000");
	/* Not root any more: a no-op, whatever the name. */
	assert_int_equal(r.again_rc, 0);
	assert_string_equal(r.again_err, UNTOUCHED);
	assert_int_equal(r.again_bad_rc, 0);
	assert_string_equal(r.again_bad_err, UNTOUCHED);
}

/* Containment on: nobody with CAP_NET_ADMIN (bit 12) alone, permitted
 * and effective; still no way back to root. */
static void
test_keep_net_admin(void **state)
{
	struct report r;

	(void)state;
	require_root();
	run_in_child(child_keep_net_admin, "nobody", &r);
	assert_dropped(&r, "CapPrm:\t0000000000001000",
	    "CapEff:\t0000000000001000");
}

/* A refused drop changes nothing: the child is still fully root. */
static void
assert_refused(const char *user, const char *want)
{
	struct report r;

	run_in_child(child_run, user, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, want);
	assert_int_equal(r.ruid, 0);
	assert_int_equal(r.euid, 0);
	assert_int_equal(r.suid, 0);
	assert_int_equal(r.rgid, 0);
	assert_int_equal(r.egid, 0);
	assert_int_equal(r.sgid, 0);
}

static void
test_unknown_user(void **state)
{
	(void)state;
	require_root();
	assert_refused("exfild-no-such-user",
	    "privdrop: no such user 'exfild-no-such-user'");
	assert_refused("", "privdrop: no user name given");
}

static void
test_root_refused(void **state)
{
	(void)state;
	require_root();
	assert_refused("root", "privdrop: user 'root' has uid 0, refusing to "
	    "keep running as root");
}

static void
test_not_root_is_noop(void **state)
{
	struct passwd *pw;
	struct report r;
	char err[64] = UNTOUCHED;

	(void)state;
	if (geteuid() != 0) {
		/* Run unprivileged: the real thing, directly. */
		assert_int_equal(privdrop_to_user("root", err, sizeof(err)), 0);
		assert_string_equal(err, UNTOUCHED);
		return;
	}
	pw = getpwnam("nobody");
	assert_non_null(pw);
	run_in_child(child_already_dropped, "root", &r);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, UNTOUCHED);
	assert_int_equal(r.euid, pw->pw_uid);
	assert_int_equal(r.egid, pw->pw_gid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_to_nobody),
		cmocka_unit_test(test_keep_net_admin),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_root_refused),
		cmocka_unit_test(test_not_root_is_noop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
