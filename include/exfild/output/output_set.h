/*
 * output_set.h - the outputs of a configuration, opened together: every
 * alert goes to each. The daemon keeps one set (a reload opens the next
 * set before closing this one); a replay with --to-outputs opens one
 * beside its stdout.
 */
#ifndef EXFILD_OUTPUT_SET_H
#define EXFILD_OUTPUT_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/config/config.h"
#include "exfild/output/output.h"

struct event_base;

struct output_set {
	struct output **v;
	const struct output_conf **conf; /* each output's entry in the config */
	size_t n;
	const char *state_dir;           /* the config's: spools live there */
};

/* Per-output counters for the stats line and /metrics. */
struct output_row {
	char name[40];      /* syslog: its name; file: its path's last part */
	const char *kind;   /* "file", "stdout", "syslog" */
	uint64_t emitted, failed;            /* every kind */
	uint64_t queued, spooled, sent, retried, dropped; /* syslog */
};

/*
 * Opens every output of cfg (syslog outputs in base, spools under
 * state_dir, NULL: cfg's daemon.state_dir); with none configured and
 * stdout_default, JSON on stdout. On an error none stays open: -1 with err.
 */
int output_set_open(struct output_set *s, const struct config *cfg,
    struct event_base *base, bool stdout_default, const char *state_dir,
    char *err, size_t errlen);
/*
 * A reload: opens cfg's outputs as output_set_open does, but a syslog
 * output of the same name and settings in old is moved over as it is
 * (queue, connection and spool kept); one whose settings changed is closed
 * first (its spool is locked) and opened anew. -1 with err: old is as it
 * was (what was moved is given back, what was closed reopened).
 */
int output_set_reopen_from(struct output_set *s, const struct config *cfg,
    struct event_base *base, struct output_set *old, char *err, size_t errlen);
void output_set_emit(struct output_set *s, const struct alert *a);
void output_set_flush(struct output_set *s);
void output_set_reopen(struct output_set *s);
/* Runs base until every syslog output has delivered its queue or
 * timeout_ms passed; returns the alerts left (they stay in the spools). */
size_t output_set_drain(struct output_set *s, int timeout_ms);
/* Fills at most max rows; returns how many outputs there are. */
size_t output_set_rows(const struct output_set *s, struct output_row *rows,
    size_t max);
void output_set_close(struct output_set *s);

#endif
