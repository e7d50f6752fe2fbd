/*
 * log.h - logging in the manner of OpenBSD's log.c: stderr in the
 * foreground, syslog otherwise (and stderr too when stderr is a terminal or
 * there is no syslog socket, so that errors reach a person). fatal() only
 * at start-up or for broken internal state, never because of input contents.
 */
#ifndef EXFILD_LOG_H
#define EXFILD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define LOG_SYSLOG_SOCKET "/dev/log"

/* to_stderr: stderr only (-f, a replay). Else syslog, and stderr as well
 * when stderr is a terminal or there is no syslog socket (devlog). */
void log_init(const char *ident, bool to_stderr, enum log_level level);
void log_init_syslog(const char *ident, bool to_stderr, enum log_level level,
    const char *devlog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *out);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
