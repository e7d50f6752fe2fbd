/*
 * output_set.c - a configuration's outputs opened together, and the
 * operations the daemon and the replay apply to all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/log.h"
#include "exfild/output/output_set.h"
#include "exfild/output/output_syslog.h"
#include "exfild/util/util.h"

static const char *
state_dir_of(const struct config *cfg)
{
	return cfg->state_dir != NULL ? cfg->state_dir : CONFIG_DEFAULT_STATE_DIR;
}

static struct output *
open_one(const struct output_conf *oc, const char *state_dir,
    struct event_base *base, char *err, size_t errlen)
{
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
    struct event_base *base, bool stdout_default, const char *state_dir,
    char *err, size_t errlen)
{
	size_t i, n = cfg->n_outputs;

	memset(s, 0, sizeof(*s));
	s->state_dir = state_dir != NULL ? state_dir : state_dir_of(cfg);
	if (n == 0 && !stdout_default)
		return 0;
	s->v = xcalloc(n > 0 ? n : 1, sizeof(*s->v));
	s->conf = xcalloc(n > 0 ? n : 1, sizeof(*s->conf));
	if (n == 0) {
		s->v[s->n++] = output_json_stdout();
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct output *o = open_one(&cfg->outputs[i], s->state_dir, base,
		    err, errlen);

		if (o == NULL) {
			config_blame(cfg, err, errlen);
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
		if (s->v[i] != NULL)
			output_emit(s->v[i], a);
}

void
output_set_flush(struct output_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] != NULL)
			output_flush(s->v[i]);
}

void
output_set_reopen(struct output_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] != NULL && output_reopen(s->v[i]) != 0)
			log_warnx("output %zu (%s) could not be reopened", i + 1,
			    s->v[i]->ops->kind);
}

/* The same syslog output in two configurations: nothing a running output
 * was made with differs. */
static bool
same_syslog(const struct output_conf *a, const struct output_conf *b)
{
	return a->format == b->format && a->header == b->header &&
	    a->transport == b->transport && str_eq_nullable(a->target, b->target) &&
	    str_eq_nullable(a->host, b->host) && a->port == b->port &&
	    str_eq_nullable(a->socket_path, b->socket_path) && a->facility == b->facility &&
	    a->framing == b->framing && a->max_message == b->max_message &&
	    a->enterprise_number == b->enterprise_number &&
	    a->queue_bytes == b->queue_bytes && a->spool_bytes == b->spool_bytes &&
	    a->spool_fsync == b->spool_fsync && a->spool_fsync_ms == b->spool_fsync_ms &&
	    str_eq_nullable(a->name, b->name);
}

/* The old set's syslog output of that name, or SIZE_MAX. */
static size_t
find_syslog(const struct output_set *old, const char *name)
{
	size_t i;

	for (i = 0; i < old->n; i++)
		if (old->v[i] != NULL && old->conf[i] != NULL &&
		    old->conf[i]->kind == OUTPUT_SYSLOG &&
		    strcmp(old->conf[i]->name, name) == 0)
			return i;
	return SIZE_MAX;
}

int
output_set_reopen_from(struct output_set *s, const struct config *cfg,
    struct event_base *base, struct output_set *old, char *err, size_t errlen)
{
	size_t i, j, n = cfg->n_outputs;
	size_t *taken = xcalloc(n > 0 ? n : 1, sizeof(*taken));
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->state_dir = state_dir_of(cfg);
	s->v = xcalloc(n > 0 ? n : 1, sizeof(*s->v));
	s->conf = xcalloc(n > 0 ? n : 1, sizeof(*s->conf));
	for (i = 0; i < n && rc == 0; i++) {
		const struct output_conf *oc = &cfg->outputs[i];

		taken[i] = SIZE_MAX;
		j = oc->kind == OUTPUT_SYSLOG ? find_syslog(old, oc->name) : SIZE_MAX;
		if (j != SIZE_MAX && same_syslog(old->conf[j], oc) &&
		    strcmp(old->state_dir, s->state_dir) == 0) {
			/* unchanged: keep it running, queue and connection */
			s->v[s->n] = old->v[j];
			old->v[j] = NULL;
		} else {
			if (j != SIZE_MAX) {
				/* changed: the old one gives up its spool (and its lock) */
				output_flush(old->v[j]);
				output_close(old->v[j]);
				old->v[j] = NULL;
			}
			if ((s->v[s->n] = open_one(oc, s->state_dir, base, err,
			    errlen)) == NULL) {
				config_blame(cfg, err, errlen);
				rc = -1;
				break;
			}
		}
		taken[i] = j;
		s->conf[s->n++] = oc;
	}
	if (rc != 0) {
		/* give back what was taken; close what was opened (freeing the
		 * spools' locks); then reopen what was closed */
		for (i = 0; i < s->n; i++) {
			j = taken[i];
			if (j != SIZE_MAX && old->v[j] == NULL &&
			    same_syslog(old->conf[j], s->conf[i])) {
				old->v[j] = s->v[i];
				s->v[i] = NULL;
			}
		}
		output_set_close(s);
		for (j = 0; j < old->n; j++) {
			char err2[256];

			if (old->v[j] == NULL && old->conf[j] != NULL &&
			    (old->v[j] = open_one(old->conf[j], old->state_dir, base,
			    err2, sizeof(err2))) == NULL)
				log_warnx("output %s lost: %s", old->conf[j]->name, err2);
		}
	}
	free(taken);
	return rc;
}

size_t
output_set_drain(struct output_set *s, int timeout_ms)
{
	struct output_syslog_stats st;
	uint64_t deadline = clock_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	uint64_t now;
	size_t i, left = 0;

	/* one deadline for all: every output's drain turns the same loop, so
	 * they all progress while the first waits */
	for (i = 0; i < s->n; i++) {
		if (s->v[i] == NULL || output_syslog_get_stats(s->v[i], &st) != 0)
			continue;
		now = clock_mono_ns();
		left += output_syslog_drain(s->v[i], now >= deadline ? 0 :
		    (int)((deadline - now) / 1000000ULL));
	}
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
		if (s->v[i] == NULL)
			continue;
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
		if (s->v[i] == NULL)
			continue;
		output_flush(s->v[i]);
		output_close(s->v[i]);
	}
	free(s->v);
	free(s->conf);
	memset(s, 0, sizeof(*s));
}
