/*
 * logfeed.h - proxy and sensor log lines into the pipeline: each line (from
 * logsource.h: a replayed file, a followed file, a syslog listener) is
 * parsed by the configured format (Squid native or logformat, Zeek conn or
 * http) and the record handed to pipeline_log_record. Lines that do not
 * parse are counted by reason, with the first place each reason was seen.
 */
#ifndef EXFILD_LOGFEED_H
#define EXFILD_LOGFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/logs/log_record.h"
#include "exfild/pipeline/pipeline.h"

#define LOGFEED_SOURCE_MAX 128

struct logfeed_stats {
	uint64_t lines, records, headers, rejected;
	uint64_t reject[LOGREJ_COUNT];
	/* where each reason was first seen: source name and line number */
	char first_source[LOGREJ_COUNT][LOGFEED_SOURCE_MAX];
	uint64_t first_line[LOGREJ_COUNT];
};

struct logfeed;

/* format: "squid", "squid:<logformat>" or "zeek". NULL with err when the
 * format does not compile. */
struct logfeed *logfeed_new(const char *format, struct pipeline *p, char *err,
    size_t errlen);
void logfeed_free(struct logfeed *f);
/* false for Squid's native format: it logs reply sizes only, so uploads
 * cannot be measured (destinations and familiarity still are). */
bool logfeed_measures_uploads(const struct logfeed *f);
/* A logline_fn (logsource.h): ctx is the feed. A new source name starts a
 * new Zeek header context. */
void logfeed_line(void *ctx, const char *source, uint64_t lineno,
    const char *line, size_t len);
/*
 * A replay of n files (logsource.h's replay files: plain, gzip, "-") as
 * one time line: each file parsed with its own header context, records
 * handed on in order of their time stamps (each file's own order kept;
 * ties go to the file given first), so that a Zeek conn.log and http.log
 * of the same hours, or a Squid log and its rotated predecessor, read as
 * the sensor saw them. All files are opened first: -1 with "path: reason"
 * when one cannot be, nothing read. stats: the files' counters summed.
 * -1 as well, after the replay, when a file had lines and none parsed:
 * "no line of FILE matches format F".
 */
struct logsrc_stats;
int logfeed_replay(struct logfeed *f, const char *const *paths, size_t n,
    struct logsrc_stats *stats, char *err, size_t errlen);
/* Zeek files followed from their end: their '#' header lines, read first. */
void logfeed_prime_headers(struct logfeed *f, const char *path);
void logfeed_get_stats(const struct logfeed *f, struct logfeed_stats *out);
/* "lines=N records=N headers=N rejected=N <reason>=N (first at SRC:LINE)..." */
void logfeed_format_stats(const struct logfeed_stats *s, char *out, size_t outlen);

#endif
