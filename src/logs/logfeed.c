/*
 * logfeed.c - log lines parsed into records, handed to the pipeline as
 * traffic events; rejects counted by reason with their first place. No
 * allocation per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/log.h"
#include "exfild/logs/logevent.h"
#include "exfild/logs/logfeed.h"
#include "exfild/logs/logparse_squid.h"
#include "exfild/logs/logparse_zeek.h"
#include "exfild/logs/logsource.h"
#include "exfild/util/util.h"

#define PRIME_MAX_LINES 64 /* Zeek headers are a handful of lines */

struct logfeed {
	struct pipeline *pipe;
	struct squid_format *squid; /* NULL: zeek */
	struct zeek_reader *zeek;
	char source[LOGFEED_SOURCE_MAX]; /* the source of the previous line */
	char *format;               /* as given, for messages */
	struct log_record rec;
	struct logfeed_stats stats;
};

struct logfeed *
logfeed_new(const char *format, struct pipeline *p, char *err, size_t errlen)
{
	struct logfeed *f;

	if (!config_log_format_valid(format)) {
		snprintf(err, errlen, "log format \"%s\": expected squid, "
		    "squid:<logformat> or zeek", format);
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->pipe = p;
	f->format = xstrdup(format);
	if (strcmp(format, "zeek") == 0) {
		f->zeek = zeek_reader_new();
	} else if ((f->squid = squid_format_compile(format, err, errlen)) == NULL) {
		logfeed_free(f);
		return NULL;
	}
	return f;
}

void
logfeed_free(struct logfeed *f)
{
	if (f == NULL)
		return;
	squid_format_free(f->squid);
	zeek_reader_free(f->zeek);
	free(f->format);
	free(f);
}

bool
logfeed_measures_uploads(const struct logfeed *f)
{
	/* Zeek's conn and http logs carry request sizes */
	return f->squid == NULL || squid_format_measures_uploads(f->squid);
}

static void
count_reject(struct logfeed *f, enum log_reject why, const char *source,
    uint64_t lineno)
{
	if ((unsigned)why >= LOGREJ_COUNT)
		why = LOGREJ_NONE;
	f->stats.rejected++;
	if (f->stats.reject[why]++ == 0) {
		str_copy(f->stats.first_source[why], source,
		    sizeof(f->stats.first_source[why]));
		f->stats.first_line[why] = lineno;
	}
}

/* One line through the format's parser (zeek: the header context z), counted;
 * true when it is a record (in *rec). */
static bool
parse_line(struct logfeed *f, struct zeek_reader *z, const char *source,
    uint64_t lineno, const char *line, size_t len, struct log_record *rec)
{
	enum log_reject why = LOGREJ_NONE;
	enum log_parse_result r;

	f->stats.lines++;
	if (f->squid != NULL)
		r = squid_parse_line(f->squid, (const uint8_t *)line, len, rec, &why);
	else
		r = zeek_reader_line(z, (const uint8_t *)line, len, rec, &why);
	switch (r) {
	case LOGPARSE_RECORD:
		f->stats.records++;
		return true;
	case LOGPARSE_HEADER:
		f->stats.headers++;
		break;
	case LOGPARSE_REJECT:
		count_reject(f, why, source, lineno);
		break;
	}
	return false;
}

static void
emit(struct logfeed *f, const struct log_record *rec)
{
	struct traffic_event ev;

	log_record_event(rec, &ev);
	pipeline_event(f->pipe, &ev);
}

void
logfeed_line(void *ctx, const char *source, uint64_t lineno, const char *line,
    size_t len)
{
	struct logfeed *f = ctx;

	if (f->zeek != NULL && strncmp(f->source, source, sizeof(f->source)) != 0) {
		/* another file: its own #fields */
		zeek_reader_reset(f->zeek);
		str_copy(f->source, source, sizeof(f->source));
	}
	if (parse_line(f, f->zeek, source, lineno, line, len, &f->rec))
		emit(f, &f->rec);
}

/* ---- replay of several files as one time line ---- */

struct merge_input {
	struct logsrc_file *file;
	struct zeek_reader *zeek; /* its own header context (zeek) */
	struct log_record rec;    /* its next record, when has */
	bool has;
	uint64_t records, rejected; /* its lines so far */
};

/* The input's next record, or has = false at its end. */
static void
merge_advance(struct logfeed *f, struct merge_input *in)
{
	struct logsrc_line l;
	uint64_t rejected;

	in->has = false;
	while (!in->has && logsrc_file_next(in->file, &l) == 1) {
		rejected = f->stats.rejected;
		in->has = parse_line(f, in->zeek, logsrc_file_name(in->file),
		    l.lineno, l.text, l.len, &in->rec);
		in->records += in->has;
		in->rejected += f->stats.rejected - rejected;
	}
}

/* A file with lines of which none parsed was read with the wrong format
 * (or is not a log): -1 with "no line of FILE matches format F". An empty
 * file, or Zeek headers alone, is no error. */
static int
merge_check_parsed(const struct logfeed *f, const struct merge_input *in,
    size_t n, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i].records == 0 && in[i].rejected > 0) {
			snprintf(err, errlen, "no line of %s matches format %s",
			    logsrc_file_name(in[i].file), f->format);
			return -1;
		}
	}
	return 0;
}

/* The input whose next record is the earliest (ties: the first given);
 * NULL when all are done. */
static struct merge_input *
merge_earliest(struct merge_input *in, size_t n)
{
	struct merge_input *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (in[i].has && (best == NULL || in[i].rec.ts_ns < best->rec.ts_ns))
			best = &in[i];
	return best;
}

static void
merge_close(struct merge_input *in, size_t n, struct logsrc_stats *sum)
{
	struct logsrc_stats s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in[i].file != NULL) {
			logsrc_file_report(in[i].file);
			logsrc_file_get_stats(in[i].file, &s);
			logsrc_stats_add(sum, &s);
			logsrc_file_close(in[i].file);
		}
		zeek_reader_free(in[i].zeek);
	}
	free(in);
}

int
logfeed_replay(struct logfeed *f, const char *const *paths, size_t n,
    struct logsrc_stats *stats, char *err, size_t errlen)
{
	struct merge_input *in = xcalloc(n > 0 ? n : 1, sizeof(*in));
	struct merge_input *next;
	size_t i;
	int rc;

	memset(stats, 0, sizeof(*stats));
	for (i = 0; i < n; i++) {
		if ((in[i].file = logsrc_file_open(paths[i], err, errlen)) == NULL) {
			merge_close(in, n, stats);
			return -1;
		}
		if (f->zeek != NULL)
			in[i].zeek = zeek_reader_new();
	}
	for (i = 0; i < n; i++)
		merge_advance(f, &in[i]);
	while ((next = merge_earliest(in, n)) != NULL) {
		emit(f, &next->rec);
		merge_advance(f, next);
	}
	rc = merge_check_parsed(f, in, n, err, errlen);
	merge_close(in, n, stats);
	return rc;
}

void
logfeed_prime_headers(struct logfeed *f, const char *path)
{
	char err[256];
	struct logsrc_file *file;
	struct logsrc_line l;
	enum log_reject why;
	int n = 0;

	if (f->zeek == NULL || (file = logsrc_file_open(path, err, sizeof(err))) == NULL)
		return;
	zeek_reader_reset(f->zeek);
	str_copy(f->source, path, sizeof(f->source));
	while (n++ < PRIME_MAX_LINES && logsrc_file_next(file, &l) == 1 &&
	    l.len > 0 && l.text[0] == '#')
		zeek_reader_line(f->zeek, (const uint8_t *)l.text, l.len, &f->rec, &why);
	logsrc_file_close(file);
}

void
logfeed_get_stats(const struct logfeed *f, struct logfeed_stats *out)
{
	*out = f->stats;
}

void
logfeed_format_stats(const struct logfeed_stats *s, char *out, size_t outlen)
{
	size_t o, i;

	o = (size_t)snprintf(out, outlen, "lines=%llu records=%llu headers=%llu "
	    "rejected=%llu", (unsigned long long)s->lines,
	    (unsigned long long)s->records, (unsigned long long)s->headers,
	    (unsigned long long)s->rejected);
	for (i = 0; i < LOGREJ_COUNT && o < outlen; i++) {
		if (s->reject[i] == 0)
			continue;
		o += (size_t)snprintf(out + o, outlen - o, " %s=%llu (first at %s:%llu)",
		    log_reject_name((enum log_reject)i),
		    (unsigned long long)s->reject[i], s->first_source[i],
		    (unsigned long long)s->first_line[i]);
	}
}
