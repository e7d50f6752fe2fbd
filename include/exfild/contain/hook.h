/*
 * hook.h - contain.exec: a program run with a fixed argv (its path alone,
 * no shell), the alert's JSON line on its stdin, a minimal environment,
 * in a process group of its own killed after a time limit; the first
 * bytes of what it wrote (stdout and stderr) kept for the log.
 */
#ifndef EXFILD_CONTAIN_HOOK_H
#define EXFILD_CONTAIN_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOOK_OUTPUT_MAX 512 /* bytes of its output kept; the rest is read
			     * and dropped */

struct hook_result {
	int exit_status;   /* 0..255 when it exited, else -1 */
	int signal;        /* the signal that ended it (0: none) */
	bool timed_out;    /* killed (SIGKILL) at the time limit */
	char output[HOOK_OUTPUT_MAX];
	size_t output_len;
};

/* Runs path with input on its stdin (closed after it), waits at most
 * timeout_ms: 0 with r filled, or -1 with err when it could not start. */
int hook_run(const char *path, const char *input, size_t len,
    uint64_t timeout_ms, struct hook_result *r, char *err, size_t errlen);

#endif
