/*
 * sdnotify.c - readiness, status and watchdog notifications to systemd,
 * after sd_notify(3) and sd_watchdog_enabled(3): no libsystemd, so the
 * sensor also runs where there is no systemd at all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exfild/util/log.h"
#include "exfild/daemon/sdnotify.h"

/* Parses a non-empty run of decimal digits, nothing else, into *out. */
static int
parse_decimal(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned digit;

		if (*s < '0' || *s > '9')
			return -1;
		digit = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

/* Fills n->addr and n->addrlen from the value of $NOTIFY_SOCKET. */
static int
notify_addr_parse(struct sdnotify *n, const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);
	size_t cap = sizeof(n->addr.sun_path);

	if (len == 0) {
		snprintf(err, errlen, "NOTIFY_SOCKET is empty");
		return -1;
	}
	if (s[0] != '/' && s[0] != '@') {
		snprintf(err, errlen, "NOTIFY_SOCKET '%.64s': neither an absolute "
		    "path nor an '@' abstract name (only AF_UNIX is supported)", s);
		return -1;
	}
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sun_family = AF_UNIX;
	if (s[0] == '@') {
		/* The '@' becomes the leading NUL; the name has no terminator. */
		if (len == 1) {
			snprintf(err, errlen, "NOTIFY_SOCKET '@': empty abstract name");
			return -1;
		}
		if (len > cap) {
			snprintf(err, errlen, "NOTIFY_SOCKET: abstract name of %zu "
			    "bytes, a unix socket address holds at most %zu",
			    len - 1, cap - 1);
			return -1;
		}
		memcpy(n->addr.sun_path + 1, s + 1, len - 1);
		n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
		return 0;
	}
	if (len >= cap) {
		snprintf(err, errlen, "NOTIFY_SOCKET: path of %zu bytes, a unix "
		    "socket address holds at most %zu", len, cap - 1);
		return -1;
	}
	memcpy(n->addr.sun_path, s, len);
	n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

/*
 * Sets n->watchdog_usec from $WATCHDOG_USEC, unless $WATCHDOG_PID names
 * another process (the variables were inherited, not meant for us).
 * systemd never sends 0 or infinity (UINT64_MAX): both are malformed.
 */
static int
watchdog_parse(struct sdnotify *n, const char *usec, const char *pid,
    char *err, size_t errlen)
{
	uint64_t v, p;

	n->watchdog_usec = 0;
	if (usec == NULL)
		return 0;
	if (parse_decimal(usec, &v) == -1 || v == 0 || v == UINT64_MAX) {
		snprintf(err, errlen, "WATCHDOG_USEC '%.32s': not a positive "
		    "whole number of microseconds", usec);
		return -1;
	}
	if (pid != NULL) {
		if (parse_decimal(pid, &p) == -1 || p == 0 || p > INT32_MAX) {
			snprintf(err, errlen, "WATCHDOG_PID '%.32s': not a "
			    "process id", pid);
			return -1;
		}
		if ((pid_t)p != getpid())
			return 0;
	}
	n->watchdog_usec = v;
	return 0;
}

int
sdnotify_open(struct sdnotify *n, char *err, size_t errlen)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	int rc = 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (sock != NULL && notify_addr_parse(n, sock, err, errlen) == -1)
		rc = -1;
	if (rc == 0 && watchdog_parse(n, usec, pid, err, errlen) == -1)
		rc = -1;
	/* Parsed: the strings are no longer used. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	if (rc == -1 || sock == NULL) {
		n->watchdog_usec = 0;
		return rc;
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
		n->watchdog_usec = 0;
		return -1;
	}
	n->enabled = true;
	return 0;
}

/* The socket's name as $NOTIFY_SOCKET spelt it, for log lines. */
static void
notify_addr_format(const struct sdnotify *n, char *buf, size_t len)
{
	size_t namelen = (size_t)n->addrlen - offsetof(struct sockaddr_un, sun_path);

	if (n->addr.sun_path[0] == '\0')
		snprintf(buf, len, "@%.*s", (int)(namelen - 1), n->addr.sun_path + 1);
	else
		snprintf(buf, len, "%s", n->addr.sun_path);
}

int
sdnotify_send(struct sdnotify *n, const char *state)
{
	char name[sizeof(n->addr.sun_path) + 1];
	size_t len;
	ssize_t sent;

	if (!n->enabled)
		return 0;
	len = strlen(state);
	if (len == 0 || len > SDNOTIFY_MSG_MAX) {
		log_warnx("sd_notify: message of %zu bytes not sent (1 to %d)",
		    len, SDNOTIFY_MSG_MAX);
		return -1;
	}
	sent = sendto(n->fd, state, len, MSG_NOSIGNAL,
	    (const struct sockaddr *)&n->addr, n->addrlen);
	if (sent == -1 || (size_t)sent != len) {
		if (!n->warned) {
			notify_addr_format(n, name, sizeof(name));
			if (sent == -1)
				log_warn("sd_notify: send to %s", name);
			else
				log_warnx("sd_notify: send to %s: %zd of %zu "
				    "bytes", name, sent, len);
			n->warned = true;
		}
		return -1;
	}
	n->warned = false;
	return 0;
}

int
sdnotify_status(struct sdnotify *n, const char *fmt, ...)
{
	static const char prefix[] = "STATUS=";
	char msg[SDNOTIFY_MSG_MAX + 1];
	char *p;
	va_list ap;

	if (!n->enabled)
		return 0;
	memcpy(msg, prefix, sizeof(prefix));
	va_start(ap, fmt);
	/* Too long a status is cut short: it is for people to read. */
	vsnprintf(msg + sizeof(prefix) - 1, sizeof(msg) - (sizeof(prefix) - 1),
	    fmt, ap);
	va_end(ap);
	for (p = msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	return sdnotify_send(n, msg);
}

void
sdnotify_close(struct sdnotify *n)
{
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
	n->enabled = false;
	n->watchdog_usec = 0;
}
