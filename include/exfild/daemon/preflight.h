/*
 * preflight.h - what the daemon's start-up needs from the machine, checked
 * by exfild -t as the user the daemon will run as (the user exists; the
 * files the configuration names are readable by it; the directories of
 * the output files, daemon.state_dir (when set, or when a syslog output
 * spools under its default) and baseline.state's directory are writable by
 * it; the -i interfaces exist), and made at start-up as root
 * before privileges are dropped (missing directories created, owned by the
 * user). Each failure names the key and its file:line.
 */
#ifndef EXFILD_PREFLIGHT_H
#define EXFILD_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "exfild/config/config.h"

struct preflight_opts {
	const char *user;               /* -u (NULL: daemon.user or the default) */
	const char *const *interfaces;  /* -i */
	size_t n_interfaces;
};

/* The user the daemon runs as: -u, else daemon.user, else "exfild". */
const char *preflight_user(const struct config *cfg, const char *user_opt);

/*
 * exfild -t: each failure a line on stderr ("exfild: FILE:LINE:COL: KEY:
 * ..."); the number of failures. As root the checks run in a child
 * process that has dropped to the user (a directory start-up will create
 * may be missing); otherwise as this process's user, which the daemon would
 * run as.
 */
int preflight_check(const struct config *cfg, const struct preflight_opts *o);

/*
 * Start-up as root, before the privilege drop: the missing directories of
 * the output files and baseline.state (0750 and 0700) and daemon.state_dir
 * (0700) created and given to user (parents missing too: root's, 0755).
 * Not root: nothing to do. 0, or -1 with "FILE:LINE:COL: KEY: ..." in err.
 */
int preflight_prepare(const struct config *cfg, const char *user, char *err,
    size_t errlen);

#endif
