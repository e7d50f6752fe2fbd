/*
 * daemon.h - the long-running sensor: live capture on the configured
 * interfaces inside one libevent loop, timers (rule evaluation, flow expiry,
 * stats, systemd watchdog), signals (SIGHUP reload, SIGTERM/SIGINT stop,
 * SIGUSR1 stats), privilege drop, sd_notify, and the alert outputs.
 */
#ifndef EXFILD_DAEMON_H
#define EXFILD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "exfild/util/log.h"

struct daemon_opts {
	const char *config_path;
	const char *const *interfaces; /* -i: replace capture.interfaces */
	size_t n_interfaces;
	const char *user;              /* -u: replaces daemon.user */
	bool foreground;               /* -f: log to stderr */
	bool level_forced;             /* -v/-q given: ignore logging.level */
	enum log_level level;
	const char *version;
};

/* Runs until SIGTERM/SIGINT; the process exit status (0, or 1 when start-up
 * failed or every capture broke). */
int daemon_run(const struct daemon_opts *o);

/* The user to drop to: -u, else daemon.user, else "exfild". */
#define DAEMON_DEFAULT_USER "exfild"

#endif
