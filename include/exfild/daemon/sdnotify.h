/*
 * sdnotify.h - systemd's service notification protocol spoken directly,
 * without libsystemd (sd_notify(3), sd_watchdog_enabled(3)): one datagram
 * of "KEY=value" lines to the AF_UNIX socket named by $NOTIFY_SOCKET.
 */
#ifndef EXFILD_SDNOTIFY_H
#define EXFILD_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* systemd reads at most PIPE_BUF bytes of one notification. */
#define SDNOTIFY_MSG_MAX 4096

struct sdnotify {
	int fd;			/* -1 when disabled */
	struct sockaddr_un addr;
	socklen_t addrlen;
	bool enabled;		/* $NOTIFY_SOCKET was set */
	bool warned;		/* a send failed and was logged; quiet until one succeeds */
	uint64_t watchdog_usec;	/* 0: no watchdog; else send "WATCHDOG=1" every half of it */
};

/*
 * Reads $NOTIFY_SOCKET (an absolute path, or '@' for a Linux abstract
 * name), $WATCHDOG_USEC and $WATCHDOG_PID, then unsets all three (success
 * or not) so that children do not inherit them. No $NOTIFY_SOCKET:
 * disabled, 0. The watchdog counts only when notifications are enabled and
 * $WATCHDOG_PID is unset or our pid. 0, or -1 with err set for a malformed
 * value (the variables are unset then too). Start-up only.
 */
int sdnotify_open(struct sdnotify *n, char *err, size_t errlen);

/*
 * Sends state ("READY=1", "STOPPING=1", "WATCHDOG=1", "RELOADING=1",
 * several joined by '\n') as one datagram. Disabled: 0, nothing sent.
 * A failure is logged (once until a send succeeds again) and returns -1;
 * it is never fatal: systemd going away must not stop the sensor.
 */
int sdnotify_send(struct sdnotify *n, const char *state);

/* Sends "STATUS=<formatted text>", each '\n' or '\r' in the text made a space. */
int sdnotify_status(struct sdnotify *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void sdnotify_close(struct sdnotify *n);

#endif
