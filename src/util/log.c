/*
 * log.c - stderr or syslog logging with levels, after OpenBSD's log.c.
 * Syslog also copies to stderr when no one would read it otherwise: no
 * syslog socket, or a person at the terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "exfild/util/log.h"

static bool log_to_stderr = true;
static bool log_to_syslog = false;
static enum log_level log_level = LOG_LEVEL_INFO;

static const int syslog_prio[] = {
	[LOG_LEVEL_ERR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

/* A socket at path: where syslog(3) sends (glibc: _PATH_LOG). */
static bool
socket_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

void
log_init_syslog(const char *ident, bool to_stderr, enum log_level level,
    const char *devlog)
{
	log_level = level;
	log_to_syslog = !to_stderr;
	log_to_stderr = to_stderr || isatty(STDERR_FILENO) || !socket_exists(devlog);
	if (log_to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_init(const char *ident, bool to_stderr, enum log_level level)
{
	log_init_syslog(ident, to_stderr, level, LOG_SYSLOG_SOCKET);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void vlog(enum log_level, const char *, va_list, int)
    __attribute__((format(printf, 2, 0)));

static void
vlog(enum log_level level, const char *fmt, va_list ap, int saved_errno)
{
	char msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (saved_errno != 0) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved_errno));
	}
	if (log_to_stderr)
		fprintf(stderr, "exfild: %s\n", msg);
	if (log_to_syslog)
		syslog(syslog_prio[level], "%s", msg);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap, e);
	va_end(ap);
	errno = e;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
