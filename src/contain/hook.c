/*
 * hook.c - contain.exec's program: posix_spawn (no shell, argv {path},
 * descriptors past stderr closed, signals at their defaults, a process
 * group of its own), its stdin fed (non-blocking, within the time limit)
 * and closed, its output read while it runs, SIGKILL to its group when
 * it exited or at the time limit (what it left in the background too).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exfild/contain/hook.h"
#include "exfild/util/util.h"

#define HOOK_POLL_MS 10

struct run {
	pid_t pid;
	int in, out;        /* our ends: its stdin, its stdout and stderr */
	const char *input;
	size_t left;
	struct hook_result *r;
	int status;
	bool exited;        /* a zombie, not yet reaped: its pid (and so its
			     * group's id) cannot be taken by another */
};

static int
spawn(const char *path, int in[2], int out[2], pid_t *pid)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *argv[2];
	sigset_t none, defaults;
	int rc;

	argv[0] = (char *)(uintptr_t)path;
	argv[1] = NULL;
	sigemptyset(&none);
	sigfillset(&defaults);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defaults);
	rc = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* What it wrote: the first HOOK_OUTPUT_MAX bytes kept, the rest dropped. */
static void
read_output(struct run *x)
{
	char scratch[4096];
	struct hook_result *r = x->r;
	ssize_t n;

	while (x->out != -1) {
		n = read(x->out, scratch, sizeof(scratch));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(x->out);
				x->out = -1;
			}
			return;
		}
		if (r->output_len < sizeof(r->output)) {
			size_t k = sizeof(r->output) - r->output_len;

			k = (size_t)n < k ? (size_t)n : k;
			memcpy(r->output + r->output_len, scratch, k);
			r->output_len += k;
		}
	}
}

/* Its stdin: as much as it takes now; closed when all is written (or it
 * stopped reading: EPIPE). */
static void
write_input(struct run *x)
{
	ssize_t n;

	while (x->in != -1 && x->left > 0) {
		n = write(x->in, x->input, x->left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			x->left = 0;
			break;
		}
		x->input += n;
		x->left -= (size_t)n;
	}
	if (x->in != -1) {
		close(x->in);
		x->in = -1;
	}
}

/* Has it exited? Left unreaped (WNOWAIT) so that its group can still be
 * killed without the pid being another's. */
static bool
has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == pid;
}

static void
wait_turn(struct run *x, uint64_t ms)
{
	struct pollfd fds[2];
	nfds_t n = 0;

	if (x->out != -1)
		fds[n++] = (struct pollfd){ .fd = x->out, .events = POLLIN };
	if (x->in != -1)
		fds[n++] = (struct pollfd){ .fd = x->in, .events = POLLOUT };
	(void)poll(n > 0 ? fds : NULL, n, (int)ms);
	read_output(x);
	write_input(x);
	x->exited = has_exited(x->pid);
}

static void
finish(struct run *x)
{
	struct hook_result *r = x->r;

	r->timed_out = !x->exited;
	(void)kill(-x->pid, SIGKILL); /* it, or what it left running */
	while (waitpid(x->pid, &x->status, 0) == -1 && errno == EINTR)
		;
	read_output(x); /* what it wrote before it ended */
	if (WIFEXITED(x->status))
		r->exit_status = WEXITSTATUS(x->status);
	else if (WIFSIGNALED(x->status))
		r->signal = WTERMSIG(x->status);
	if (x->in != -1)
		close(x->in);
	if (x->out != -1)
		close(x->out);
}

/* Our end of a pipe made non-blocking, else closed: never a write or a
 * read that waits for the hook. */
static void
nonblocking(int *fd)
{
	if (fcntl(*fd, F_SETFL, O_NONBLOCK) == -1) {
		close(*fd);
		*fd = -1;
	}
}

int
hook_run(const char *path, const char *input, size_t len,
    uint64_t timeout_ms, struct hook_result *r, char *err, size_t errlen)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int in[2], out[2], rc;
	uint64_t deadline, now;
	struct run x;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	if (pipe2(in, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	rc = spawn(path, in, out, &x.pid);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot run: %s", path, strerror(rc));
		close(in[1]);
		close(out[0]);
		return -1;
	}
	/* a hook that does not read its stdin: EPIPE, not SIGPIPE */
	sigemptyset(&ign.sa_mask);
	(void)sigaction(SIGPIPE, &ign, &old);
	x.in = in[1];
	x.out = out[0];
	x.input = input;
	x.left = len;
	x.r = r;
	nonblocking(&x.in);
	nonblocking(&x.out);
	deadline = clock_mono_ns() + timeout_ms * 1000000ULL;
	write_input(&x);
	while (!x.exited && (now = clock_mono_ns()) < deadline) {
		uint64_t ms = (deadline - now) / 1000000ULL;

		wait_turn(&x, ms < HOOK_POLL_MS ? ms : HOOK_POLL_MS);
	}
	finish(&x);
	(void)sigaction(SIGPIPE, &old, NULL);
	return 0;
}
