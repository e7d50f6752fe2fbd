/*
 * output_set.c - a configuration's outputs opened together, and the
 * operations the daemon and the replay apply to all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/log.h"
#include "exfild/output_set.h"
#include "exfild/output_syslog.h"
#include "exfild/util.h"

static struct output *
open_one(const struct output_conf *oc, const struct config *cfg,
    struct event_base *base, char *err, size_t errlen)
{
	const char *state_dir = cfg->state_dir != NULL ? cfg->state_dir :
	    CONFIG_DEFAULT_STATE_DIR;

	switch (oc->kind) {
	case OUTPUT_STDOUT:
		return output_stdout_new(oc->format);
	case OUTPUT_FILE:
		return output_file_new(oc->path, oc->format, err, errlen);
	case OUTPUT_SYSLOG:
		if (base == NULL) {
			snprintf(err, errlen, "syslog output %s: no event loop", oc->name);
			return NULL;
		}
		return output_syslog_new(base, oc, state_dir, NULL, err, errlen);
	}
	snprintf(err, errlen, "unknown output kind %d", (int)oc->kind);
	return NULL;
}

int
output_set_open(struct output_set *s, const struct config *cfg,
    struct event_base *base, bool stdout_default, char *err, size_t errlen)
{
	size_t i, n = cfg->n_outputs;

	memset(s, 0, sizeof(*s));
	if (n == 0 && !stdout_default)
		return 0;
	s->v = xcalloc(n > 0 ? n : 1, sizeof(*s->v));
	s->conf = xcalloc(n > 0 ? n : 1, sizeof(*s->conf));
	if (n == 0) {
		s->v[s->n++] = output_json_stdout();
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct output *o = open_one(&cfg->outputs[i], cfg, base, err, errlen);

		if (o == NULL) {
			output_set_close(s);
			return -1;
		}
		s->conf[s->n] = &cfg->outputs[i];
		s->v[s->n++] = o;
	}
	return 0;
}

void
output_set_emit(struct output_set *s, const struct alert *a)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		output_emit(s->v[i], a);
}

void
output_set_flush(struct output_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		output_flush(s->v[i]);
}

void
output_set_reopen(struct output_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (output_reopen(s->v[i]) != 0)
			log_warnx("output %zu (%s) could not be reopened", i + 1,
			    s->v[i]->ops->kind);
}

size_t
output_set_drain(struct output_set *s, int timeout_ms)
{
	struct output_syslog_stats st;
	size_t i, left = 0;

	for (i = 0; i < s->n; i++)
		if (output_syslog_get_stats(s->v[i], &st) == 0)
			left += output_syslog_drain(s->v[i], timeout_ms);
	return left;
}

static void
row_name(const struct output_conf *oc, char *out, size_t outlen)
{
	const char *slash;

	if (oc == NULL || oc->kind == OUTPUT_STDOUT) {
		str_copy(out, "stdout", outlen);
	} else if (oc->kind == OUTPUT_SYSLOG) {
		str_copy(out, oc->name, outlen);
	} else {
		slash = strrchr(oc->path, '/');
		str_copy(out, slash != NULL ? slash + 1 : oc->path, outlen);
	}
}

size_t
output_set_rows(const struct output_set *s, struct output_row *rows, size_t max)
{
	struct output_syslog_stats st;
	size_t i;

	for (i = 0; i < s->n && i < max; i++) {
		struct output_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		row_name(s->conf[i], r->name, sizeof(r->name));
		r->kind = s->conf[i] == NULL || s->conf[i]->kind == OUTPUT_STDOUT ?
		    "stdout" : s->conf[i]->kind == OUTPUT_FILE ? "file" : "syslog";
		r->emitted = s->v[i]->stats.emitted;
		r->failed = s->v[i]->stats.failed;
		if (output_syslog_get_stats(s->v[i], &st) == 0) {
			r->queued = st.queued;
			r->spooled = st.spooled;
			r->sent = st.sent;
			r->retried = st.retried;
			r->dropped = st.dropped;
		}
	}
	return s->n;
}

void
output_set_close(struct output_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		output_flush(s->v[i]);
		output_close(s->v[i]);
	}
	free(s->v);
	free(s->conf);
	memset(s, 0, sizeof(*s));
}
