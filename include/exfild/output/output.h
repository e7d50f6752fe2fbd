/*
 * output.h - alert outputs behind a small table of function pointers (as
 * masscan's OutputType): JSON lines to stdout or a file now; syslog
 * transports plug in the same way.
 */
#ifndef EXFILD_OUTPUT_H
#define EXFILD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/alert/alert.h"
#include "exfild/config/config.h"

struct output;

struct output_ops {
	const char *kind;
	int (*emit)(struct output *o, const struct alert *a);
	int (*flush)(struct output *o);
	int (*reopen)(struct output *o); /* SIGHUP, for logrotate */
	void (*close)(struct output *o);
};

struct output_stats {
	uint64_t emitted, failed;
};

struct output {
	const struct output_ops *ops;
	void *state;
	struct output_stats stats;
};

/* One alert a line on stdout (forensic replay: nothing else goes to
 * stdout): JSON, ECS JSON, CEF or LEEF. */
struct output *output_stdout_new(enum output_format format);
/* ... appended to path; NULL with err when it cannot be opened. */
struct output *output_file_new(const char *path, enum output_format format,
    char *err, size_t errlen);
/* One line per alert for a person on stdout (alert_format_text). */
struct output *output_text_stdout(void);
/* The JSON cases of the two. */
struct output *output_json_stdout(void);
struct output *output_json_file(const char *path, char *err, size_t errlen);

int output_emit(struct output *o, const struct alert *a);
int output_flush(struct output *o);
int output_reopen(struct output *o);
void output_close(struct output *o);

#endif
