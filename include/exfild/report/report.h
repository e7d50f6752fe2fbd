/*
 * report.h - the forensic report of a replay (--report FILE): one
 * self-contained HTML file (inline CSS, inline SVG timeline, no script)
 * from the replay's alerts, its pair table and its summary. Every string
 * that came from the wire is escaped for HTML (report_escape).
 */
#ifndef EXFILD_REPORT_H
#define EXFILD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/alert/alert.h"
#include "exfild/config/config.h"

/* What the replay says of itself (main.c fills it at the end). */
struct report_summary {
	const char *const *files;  /* the -r or -l files, as given */
	size_t n_files;
	bool logs;                 /* log records, not packets */
	uint64_t units;            /* packets, or log records */
	uint64_t first_ns, last_ns;
	uint64_t learn_start_ns, learn_end_ns; /* 0, 0: no learning period */
};

struct report;

/* cfg must outlive the report (home countries). */
struct report *report_new(const struct config *cfg);
void report_free(struct report *r);
/* Every alert of the replay, as it is emitted (copied). */
void report_add_alert(struct report *r, const struct alert *a);
/* Every pair of pipeline_report_pairs, after the alerts (a
 * pipeline_pair_fn: ctx is the report). Only those the report shows are
 * kept. */
void report_add_pair(void *ctx, const struct pair_report *p);
/* One window bucket of an alerted pair (a pipeline_bucket_fn: ctx is
 * the report; pipeline_watch_alerted): the timeline's bars. */
void report_add_bucket(void *ctx, const struct netaddr *src,
    const char *dst_host, const struct netaddr *dst, uint64_t start_ns,
    uint64_t width_ns, uint64_t bytes_out);
/* Writes the HTML to path (replaced atomically). 0, or -1 with err. */
int report_write(struct report *r, const struct report_summary *s,
    const char *path, char *err, size_t errlen);

/* A shaded span of the timeline, [start, end) in UTC seconds. */
struct report_band {
	int64_t start, end;
};
/* The spans a rule sets apart (rule_def.spans: off-hours) over [t0, t1),
 * clipped to it; bands less than min_gap apart are merged into one. At
 * most max are written (the rest of the axis is then left unshaded) and
 * the rule is asked at most REPORT_SHADE_STEPS times: how many. */
#define REPORT_SHADE_STEPS 100000
size_t report_bands(int64_t (*spans)(const void *conf, int64_t t, bool *in),
    const void *conf, int64_t t0, int64_t t1, int64_t min_gap,
    struct report_band *out, size_t max);

/* n bytes of s as HTML text or attribute value: & < > " ' escaped,
 * control bytes and invalid UTF-8 as U+FFFD. */
void report_escape(FILE *fp, const char *s, size_t n);
/* The timeline's bucket for a span of input: the shortest of 1, 5, 10,
 * 15, 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7 days giving at most
 * REPORT_BUCKETS_MAX buckets. */
#define REPORT_BUCKETS_MAX 120
uint64_t report_bucket_ns(uint64_t span_ns);

#endif
