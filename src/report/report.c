/*
 * report.c - the forensic report (--report FILE): one HTML file with its
 * CSS inline, no script (a Content-Security-Policy forbids any), a
 * timeline drawn here as inline SVG. Every string from the wire or a
 * database goes through report_escape. Nothing in it depends on the wall
 * clock: the same input gives the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exfild/detect/registry.h"
#include "exfild/report/report.h"
#include "exfild/util/util.h"

/* Caps that keep the file small (a few MB at most), each said as "n more". */
#define DESTS_MAX        100 /* destination sections */
#define DEST_HOSTS_MAX   50  /* hosts listed in one */
#define DEST_ALERTS_MAX  50  /* alerts listed in one */
#define ROWS_MAX         100 /* timeline rows */
#define TOP_PAIRS        20
#define SUMMARY_HOSTS_MAX 50 /* hosts named in the summary */
#define SHADE_BANDS_MAX  400 /* shaded bands of one rule (merged under 2 px) */
#define LABEL_LANES      3   /* lines of alert labels in a timeline row */
#define LABEL_TITLE_MAX  20  /* alerts a merged label's tooltip lists */
#define LABEL_TEXT_MAX   128

struct rdest {
	char name[ALERT_HOST_MAX];
	struct netaddr addr;
	country_t country;
	uint32_t asn;
	char org[ALERT_ORG_MAX];
	uint64_t first_seen_ns;
	uint64_t bytes_out, records_low, records_high;
	size_t n_alerts, n_pairs;
	size_t n_listed;           /* pairs in its host table (DEST_HOSTS_MAX) */
};

/* What the report keeps of a pair to a flagged destination: those its
 * destination's host table lists, and the alerted ones (timeline rows);
 * of the others only the destination's totals. */
struct rpair {
	struct netaddr src;
	size_t dest;
	bool listed;               /* in the destination's host table */
	uint64_t bytes_out, flows, records_low, records_high, first_ns, last_ns;
	uint64_t payload[PK_COUNT];
};

/* An alerted (host, destination): a timeline row. */
struct rrow {
	struct netaddr src;
	size_t dest;
	size_t first_alert;        /* its first alert's index (row order) */
	const struct rpair *pr;    /* NULL: not in the pair table */
};

/* An alerted pair's bytes out per window bucket, in time order. */
struct rsample {
	uint64_t start, out;
};

struct rwatch {
	struct netaddr src;
	char name[ALERT_HOST_MAX];
	struct netaddr addr;
	uint64_t width;
	struct rsample *v;
	size_t n, cap;
};

struct report {
	const struct config *cfg;
	struct alert *alerts;
	size_t n_alerts, cap_alerts;
	struct rdest *dests;       /* sorted by (name, addr) once built */
	size_t n_dests;
	size_t *alert_dest;        /* each alert's destination */
	bool built;
	struct rpair *pairs;       /* kept pairs to flagged destinations */
	size_t n_pairs, cap_pairs;
	struct rrow *alerted;      /* alerted (src, dest), sorted by cmp_row */
	struct pair_report top[TOP_PAIRS]; /* unfamiliar foreign, by bytes out */
	size_t n_top;
	uint64_t n_unfamiliar_foreign;
	struct rwatch *watches;    /* sorted by (src, name, addr) */
	size_t n_watches, cap_watches;
};

/* ---- escaping ---- */

void
report_escape(FILE *fp, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len;

	while (i < n) {
		switch (p[i]) {
		case '&': fputs("&amp;", fp); i++; continue;
		case '<': fputs("&lt;", fp); i++; continue;
		case '>': fputs("&gt;", fp); i++; continue;
		case '"': fputs("&quot;", fp); i++; continue;
		case '\'': fputs("&#39;", fp); i++; continue;
		default: break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			fputs("&#xFFFD;", fp);
			i++;
			continue;
		}
		len = p[i] < 0x80 ? 1 : utf8_sequence(p + i, n - i);
		if (len == 0) {
			fputs("&#xFFFD;", fp);
			i++;
			continue;
		}
		if (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) {
			fputs("&#xFFFD;", fp); /* C1 controls */
			i += 2;
			continue;
		}
		fwrite(p + i, 1, len, fp);
		i += len;
	}
}

static void
esc(FILE *fp, const char *s)
{
	report_escape(fp, s, strlen(s));
}

/* A fixed-size field from the wire: it may fill its array without a NUL. */
static void
esc_field(FILE *fp, const char *field, size_t size)
{
	report_escape(fp, field, strnlen(field, size));
}

/* ---- the timeline's bucket ---- */

uint64_t
report_bucket_ns(uint64_t span_ns)
{
	static const uint64_t mins[] = { 1, 5, 10, 15, 30, 60, 120, 180, 360,
		720, 1440, 2880, 10080 };
	size_t i;
	uint64_t b = 0;

	for (i = 0; i < ARRAY_LEN(mins); i++) {
		b = mins[i] * 60 * NS_PER_SEC;
		if (span_ns / b < REPORT_BUCKETS_MAX)
			break;
	}
	return b;
}

/* ---- collecting ---- */

struct report *
report_new(const struct config *cfg)
{
	struct report *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	return r;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->alerts);
	free(r->dests);
	free(r->alert_dest);
	free(r->pairs);
	free(r->alerted);
	for (size_t i = 0; i < r->n_watches; i++)
		free(r->watches[i].v);
	free(r->watches);
	free(r);
}

void
report_add_alert(struct report *r, const struct alert *a)
{
	if (r->n_alerts == r->cap_alerts) {
		r->cap_alerts = r->cap_alerts ? r->cap_alerts * 2 : 64;
		r->alerts = xreallocarray(r->alerts, r->cap_alerts, sizeof(*r->alerts));
	}
	r->alerts[r->n_alerts++] = *a;
	r->built = false;
}

static int
dest_key_cmp(const char *name, const struct netaddr *addr,
    const struct rdest *d)
{
	int c = strcmp(name, d->name);

	return c != 0 ? c : netaddr_cmp(addr, &d->addr);
}

static int
cmp_dest(const void *x, const void *y)
{
	const struct rdest *a = x, *b = y;

	return dest_key_cmp(a->name, &a->addr, b);
}

/* Rows and alerted pairs by (host, destination). */
static int
cmp_row(const void *x, const void *y)
{
	const struct rrow *a = x, *b = y;
	int c = netaddr_cmp(&a->src, &b->src);

	if (c == 0)
		c = a->dest < b->dest ? -1 : a->dest > b->dest;
	return c;
}

/* The flagged destination (name, addr): its index, or -1. */
static long
find_dest(const struct report *r, const char *name, const struct netaddr *addr)
{
	size_t lo = 0, hi = r->n_dests, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = dest_key_cmp(name, addr, &r->dests[mid]);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The flagged destinations, from the alerts. */
static void
build_dests(struct report *r)
{
	struct rdest *d;
	size_t i, n = 0;
	long k;

	if (r->built)
		return;
	free(r->dests);
	free(r->alert_dest);
	r->dests = xcalloc(r->n_alerts + 1, sizeof(*r->dests));
	r->alert_dest = xcalloc(r->n_alerts + 1, sizeof(*r->alert_dest));
	for (i = 0; i < r->n_alerts; i++) {
		d = &r->dests[n++];
		str_copy(d->name, r->alerts[i].dst_host, sizeof(d->name));
		d->addr = r->alerts[i].dst;
	}
	qsort(r->dests, n, sizeof(*r->dests), cmp_dest);
	r->n_dests = 0;
	for (i = 0; i < n; i++)
		if (r->n_dests == 0 ||
		    cmp_dest(&r->dests[i], &r->dests[r->n_dests - 1]) != 0)
			r->dests[r->n_dests++] = r->dests[i];
	for (i = 0; i < r->n_alerts; i++) {
		const struct alert *a = &r->alerts[i];

		k = find_dest(r, a->dst_host, &a->dst);
		d = &r->dests[k];
		r->alert_dest[i] = (size_t)k;
		if (d->n_alerts++ == 0)
			d->country = a->dst_country;
		if (a->dst_asn != 0) {
			d->asn = a->dst_asn;
			str_copy(d->org, a->dst_org, sizeof(d->org));
		}
		if (a->first_seen_ns != 0 && (d->first_seen_ns == 0 ||
		    a->first_seen_ns < d->first_seen_ns))
			d->first_seen_ns = a->first_seen_ns;
	}
	free(r->alerted);
	r->alerted = xcalloc(r->n_alerts + 1, sizeof(*r->alerted));
	for (i = 0; i < r->n_alerts; i++) {
		r->alerted[i].src = r->alerts[i].src;
		r->alerted[i].dest = r->alert_dest[i];
	}
	qsort(r->alerted, r->n_alerts, sizeof(*r->alerted), cmp_row);
	r->built = true;
}

static void
keep_top(struct report *r, const struct pair_report *p)
{
	size_t i;

	r->n_unfamiliar_foreign++;
	if (r->n_top == TOP_PAIRS && p->bytes_out <= r->top[TOP_PAIRS - 1].bytes_out)
		return;
	i = r->n_top < TOP_PAIRS ? r->n_top++ : TOP_PAIRS - 1;
	/* first come stays first among equals (pairs come sorted) */
	for (; i > 0 && r->top[i - 1].bytes_out < p->bytes_out; i--)
		r->top[i] = r->top[i - 1];
	r->top[i] = *p;
}

/* Is (src, destination k) an alerted pair? */
static bool
is_alerted(const struct report *r, const struct netaddr *src, size_t k)
{
	struct rrow key = { .src = *src, .dest = k };

	return bsearch(&key, r->alerted, r->n_alerts, sizeof(*r->alerted),
	    cmp_row) != NULL;
}

void
report_add_pair(void *ctx, const struct pair_report *p)
{
	struct report *r = ctx;
	struct rdest *d;
	struct rpair *kp;
	bool listed;
	long k;

	build_dests(r);
	if (!p->familiar && p->foreign)
		keep_top(r, p);
	if ((k = find_dest(r, p->dst_host, &p->dst)) < 0)
		return;
	d = &r->dests[k];
	d->bytes_out += p->bytes_out;
	d->records_low += p->records_low;
	d->records_high += p->records_high;
	d->n_pairs++;
	if (p->first_ns != 0 && (d->first_seen_ns == 0 || p->first_ns < d->first_seen_ns))
		d->first_seen_ns = p->first_ns;
	listed = d->n_listed < DEST_HOSTS_MAX;
	if (!listed && !is_alerted(r, &p->src, (size_t)k))
		return;
	d->n_listed += listed;
	if (r->n_pairs == r->cap_pairs) {
		r->cap_pairs = r->cap_pairs ? r->cap_pairs * 2 : 64;
		r->pairs = xreallocarray(r->pairs, r->cap_pairs, sizeof(*r->pairs));
	}
	kp = &r->pairs[r->n_pairs++];
	kp->src = p->src;
	kp->dest = (size_t)k;
	kp->listed = listed;
	kp->bytes_out = p->bytes_out;
	kp->flows = p->flows;
	kp->records_low = p->records_low;
	kp->records_high = p->records_high;
	kp->first_ns = p->first_ns;
	kp->last_ns = p->last_ns;
	memcpy(kp->payload, p->payload, sizeof(kp->payload));
}

static int
watch_cmp(const struct netaddr *src, const char *name,
    const struct netaddr *addr, const struct rwatch *w)
{
	int c = netaddr_cmp(src, &w->src);

	if (c == 0)
		c = strcmp(name, w->name);
	if (c == 0)
		c = netaddr_cmp(addr, &w->addr);
	return c;
}

/* The watch of (src, name, addr): its index, or where it would go. */
static size_t
watch_find(const struct report *r, const struct netaddr *src,
    const char *name, const struct netaddr *addr, bool *found)
{
	size_t lo = 0, hi = r->n_watches, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = watch_cmp(src, name, addr, &r->watches[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
report_add_bucket(void *ctx, const struct netaddr *src, const char *dst_host,
    const struct netaddr *dst, uint64_t start_ns, uint64_t width_ns,
    uint64_t bytes_out)
{
	struct report *r = ctx;
	struct rwatch *w;
	bool found;
	size_t i = watch_find(r, src, dst_host, dst, &found), j;

	if (!found) {
		if (r->n_watches == r->cap_watches) {
			r->cap_watches = r->cap_watches ? r->cap_watches * 2 : 16;
			r->watches = xreallocarray(r->watches, r->cap_watches,
			    sizeof(*r->watches));
		}
		memmove(&r->watches[i + 1], &r->watches[i],
		    (r->n_watches - i) * sizeof(*r->watches));
		r->n_watches++;
		w = &r->watches[i];
		memset(w, 0, sizeof(*w));
		w->src = *src;
		str_copy(w->name, dst_host, sizeof(w->name));
		w->addr = *dst;
	}
	w = &r->watches[i];
	w->width = width_ns;
	/* buckets come in time order, but for the one still open */
	for (j = w->n; j > 0 && w->v[j - 1].start > start_ns; j--)
		;
	if (j > 0 && w->v[j - 1].start == start_ns) {
		w->v[j - 1].out = bytes_out;
		return;
	}
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = xreallocarray(w->v, w->cap, sizeof(*w->v));
	}
	memmove(&w->v[j + 1], &w->v[j], (w->n - j) * sizeof(*w->v));
	w->v[j].start = start_ns;
	w->v[j].out = bytes_out;
	w->n++;
}

/* ---- writing: helpers ---- */

static void
put_time(FILE *fp, uint64_t ns)
{
	char t[RFC3339_LEN];

	if (ns == 0) {
		fputs("-", fp);
		return;
	}
	format_rfc3339_ms(ns, t);
	fputs(t, fp);
}

/* A byte count: exact, with the raw value for a machine. */
static void
put_bytes(FILE *fp, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double x = (double)v;
	int u = -1;

	fprintf(fp, "<span class=\"n\" data-v=\"%llu\">%llu", (unsigned long long)v,
	    (unsigned long long)v);
	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	if (u >= 0)
		fprintf(fp, " (%.1f %s)", x, unit[u]);
	fputs("</span>", fp);
}

static void
put_addr(FILE *fp, const struct netaddr *a)
{
	char buf[64];

	if (!netaddr_is_set(a)) {
		fputs("-", fp);
		return;
	}
	netaddr_format(a, buf, sizeof(buf));
	esc(fp, buf);
}

/* A destination's label: its name, else its address. */
static void
put_dest_label(FILE *fp, const char *name, const struct netaddr *addr)
{
	if (name[0] != '\0')
		esc(fp, name);
	else
		put_addr(fp, addr);
}

static void
put_country(FILE *fp, country_t cc)
{
	char c[3];

	country_format(cc, c);
	esc(fp, c);
}

static void
put_payload(FILE *fp, const uint64_t kinds[PK_COUNT])
{
	bool any = false;
	int k;

	for (k = 0; k < PK_COUNT; k++) {
		if (kinds[k] == 0)
			continue;
		fprintf(fp, "%s%s&nbsp;%llu", any ? ", " : "",
		    payload_kind_name((enum payload_kind)k),
		    (unsigned long long)kinds[k]);
		any = true;
	}
	if (!any)
		fputs("-", fp);
}

static void
put_more(FILE *fp, size_t more, const char *what, const char *tag)
{
	if (more > 0)
		fprintf(fp, "<%s class=\"more\">%zu more %s</%s>\n", tag, more,
		    what, tag);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#111;max-width:70em}"
    "h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #888;"
    "margin-top:1.5em}h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;"
    "vertical-align:top;font-size:.9em}"
    "th{background:#eee}td.num,th.num{text-align:right}"
    ".more{font-style:italic;color:#555}.reason{margin:.2em 0}"
    "section.dest{page-break-inside:avoid}"
    ".ev{font-family:monospace;font-size:.85em;word-break:break-all}"
    "svg{max-width:100%;height:auto}"
    "svg text{font-family:sans-serif;font-size:10px}"
    "svg .learning{fill:#ddd}svg .shade{fill:#f3d98b;fill-opacity:.45}"
    "svg .bar{fill:#36c}"
    "svg .marker line{stroke:#c00;stroke-width:1.5}"
    "svg .mlabel{fill:#c00;font-size:9px}"
    "svg .grid{stroke:#ccc;stroke-width:.5}"
    "@media print{body{margin:0}h2{page-break-after:avoid}}";

/* ---- writing: the sections ---- */

static int
cmp_addr(const void *x, const void *y)
{
	return netaddr_cmp(x, y);
}

static void
write_summary(FILE *fp, struct report *r, const struct report_summary *s)
{
	const char *rule_seen[RULES_MAX];
	uint64_t by[RULES_MAX][4];
	size_t n_rules = 0, i, j;
	struct netaddr *hosts;
	size_t n_hosts = 0;
	uint64_t bytes = 0, lo = 0, hi = 0;

	memset(by, 0, sizeof(by));
	hosts = xcalloc(r->n_alerts + 1, sizeof(*hosts));
	for (i = 0; i < r->n_alerts; i++) {
		const struct alert *a = &r->alerts[i];

		for (j = 0; j < n_rules && strcmp(rule_seen[j], a->rule) != 0; j++)
			;
		if (j == n_rules && n_rules < RULES_MAX)
			rule_seen[n_rules++] = a->rule;
		if (j < n_rules && a->severity <= SEV_CRITICAL)
			by[j][a->severity]++;
		hosts[i] = a->src;
	}
	qsort(hosts, r->n_alerts, sizeof(*hosts), cmp_addr);
	for (i = 0; i < r->n_alerts; i++)
		if (n_hosts == 0 || netaddr_cmp(&hosts[i], &hosts[n_hosts - 1]) != 0)
			hosts[n_hosts++] = hosts[i];
	for (i = 0; i < r->n_dests; i++) {
		bytes += r->dests[i].bytes_out;
		lo += r->dests[i].records_low;
		hi += r->dests[i].records_high;
	}
	fputs("<section id=\"summary\"><h2>Summary</h2>\n<table>\n", fp);
	fputs("<tr><th>Input</th><td id=\"sum-files\">", fp);
	for (i = 0; i < s->n_files; i++) {
		fputs(i > 0 ? "<br>" : "", fp);
		esc(fp, s->files[i]);
	}
	fputs("</td></tr>\n<tr><th>Time span</th><td id=\"sum-span\">", fp);
	put_time(fp, s->first_ns);
	fputs(" &ndash; ", fp);
	put_time(fp, s->last_ns);
	fprintf(fp, "</td></tr>\n<tr><th>%s</th><td id=\"sum-units\" class=\"num\">"
	    "%llu</td></tr>\n", s->logs ? "Log records" : "Packets",
	    (unsigned long long)s->units);
	fputs("<tr><th>Learning period</th><td id=\"sum-learning\">", fp);
	if (s->learn_end_ns > s->learn_start_ns) {
		put_time(fp, s->learn_start_ns);
		fputs(" &ndash; ", fp);
		put_time(fp, s->learn_end_ns);
	} else {
		fputs("none", fp);
	}
	fprintf(fp, "</td></tr>\n<tr><th>Alerts</th><td id=\"sum-alerts\" "
	    "class=\"num\">%zu</td></tr>\n", r->n_alerts);
	fprintf(fp, "<tr><th>Internal hosts involved</th><td id=\"sum-hosts\" "
	    "data-n=\"%zu\">%zu: ", n_hosts, n_hosts);
	for (i = 0; i < n_hosts && i < SUMMARY_HOSTS_MAX; i++) {
		fputs(i > 0 ? ", " : "", fp);
		put_addr(fp, &hosts[i]);
	}
	if (n_hosts > SUMMARY_HOSTS_MAX)
		fprintf(fp, " <span class=\"more\">and %zu more</span>",
		    n_hosts - SUMMARY_HOSTS_MAX);
	fprintf(fp, "</td></tr>\n<tr><th>Flagged destinations</th>"
	    "<td id=\"sum-dests\" class=\"num\">%zu</td></tr>\n", r->n_dests);
	fputs("<tr><th>Bytes sent to flagged destinations</th><td id=\"sum-bytes\">", fp);
	put_bytes(fp, bytes);
	fprintf(fp, "</td></tr>\n<tr><th>Records at risk</th><td id=\"sum-records\" "
	    "data-low=\"%llu\" data-high=\"%llu\">%llu &ndash; %llu</td></tr>\n"
	    "</table>\n", (unsigned long long)lo, (unsigned long long)hi,
	    (unsigned long long)lo, (unsigned long long)hi);
	free(hosts);

	fputs("<h3>Alerts by rule and severity</h3>\n<table id=\"by-rule\">"
	    "<tr><th>rule</th>", fp);
	for (j = 0; j <= SEV_CRITICAL; j++)
		fprintf(fp, "<th class=\"num\">%s</th>", severity_name((enum severity)j));
	fputs("<th class=\"num\">total</th></tr>\n", fp);
	for (i = 0; i < n_rules; i++) {
		uint64_t t = 0;

		fputs("<tr><td>", fp);
		esc(fp, rule_seen[i]);
		fputs("</td>", fp);
		for (j = 0; j <= SEV_CRITICAL; j++) {
			fprintf(fp, "<td class=\"num\">%llu</td>", (unsigned long long)by[i][j]);
			t += by[i][j];
		}
		fprintf(fp, "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)t);
	}
	fputs("</table></section>\n", fp);
}

struct axis {
	uint64_t t0, t1, bucket;
	size_t nb;
	double left, width;
};

static double
axis_x(const struct axis *ax, uint64_t t)
{
	if (t < ax->t0)
		t = ax->t0;
	if (t > ax->t1)
		t = ax->t1;
	return ax->left + (double)(t - ax->t0) * ax->width / (double)(ax->t1 - ax->t0);
}

static int
cmp_row_first(const void *x, const void *y)
{
	const struct rrow *a = x, *b = y;

	return a->first_alert < b->first_alert ? -1 : a->first_alert > b->first_alert;
}

/* The alerted pairs, in the order of their first alert. */
static struct rrow *
alerted_rows(struct report *r, size_t *n_out)
{
	struct rrow *rows = xcalloc(r->n_alerts + 1, sizeof(*rows)), *pr;
	size_t i, j, n = 0;

	for (i = 0; i < r->n_alerts; i++) {
		rows[n].src = r->alerts[i].src;
		rows[n].dest = r->alert_dest[i];
		rows[n].first_alert = i;
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && cmp_row(&rows[i], &rows[j - 1]) == 0) {
			if (rows[i].first_alert < rows[j - 1].first_alert)
				rows[j - 1].first_alert = rows[i].first_alert;
			continue;
		}
		rows[j++] = rows[i];
	}
	n = j;
	/* the pairs, as rows, sorted alike: each row's pair by a merge */
	pr = xcalloc(r->n_pairs + 1, sizeof(*pr));
	for (i = 0; i < r->n_pairs; i++) {
		pr[i].src = r->pairs[i].src;
		pr[i].dest = r->pairs[i].dest;
		pr[i].pr = &r->pairs[i];
	}
	qsort(pr, r->n_pairs, sizeof(*pr), cmp_row);
	for (i = 0, j = 0; i < n; i++) {
		while (j < r->n_pairs && cmp_row(&pr[j], &rows[i]) < 0)
			j++;
		if (j < r->n_pairs && cmp_row(&pr[j], &rows[i]) == 0)
			rows[i].pr = pr[j].pr;
	}
	free(pr);
	qsort(rows, n, sizeof(*rows), cmp_row_first);
	*n_out = n;
	return rows;
}

static void
put_tick_label(FILE *fp, const struct axis *ax, uint64_t t)
{
	char s[RFC3339_LEN];

	format_rfc3339_ms(t, s); /* 2014-06-02T09:00:00.000Z */
	if (ax->bucket >= 1440 * 60 * NS_PER_SEC || ax->t1 - ax->t0 > 2 * 86400 * NS_PER_SEC)
		fprintf(fp, "%.5s %.5s", s + 5, s + 11);
	else
		fprintf(fp, "%.5s", s + 11);
}

/* bytes sent over [from, to) into the buckets v, by overlap (the part
 * outside the axis left out of the proportion: no byte is lost). */
static void
spread(const struct axis *ax, double *v, uint64_t from, uint64_t to,
    uint64_t bytes)
{
	uint64_t lo = from > ax->t0 ? from : ax->t0;
	uint64_t hi = to < ax->t1 ? to : ax->t1;
	size_t b;

	if (bytes == 0)
		return;
	if (hi <= lo) {
		b = from <= ax->t0 ? 0 : from >= ax->t1 ? ax->nb - 1 :
		    (size_t)((from - ax->t0) / ax->bucket);
		v[b] += (double)bytes;
		return;
	}
	for (b = (size_t)((lo - ax->t0) / ax->bucket); b < ax->nb; b++) {
		uint64_t bs = ax->t0 + b * ax->bucket, be = bs + ax->bucket;
		uint64_t os = bs > lo ? bs : lo, oe = be < hi ? be : hi;

		if (bs >= hi)
			break;
		if (oe > os)
			v[b] += (double)bytes * (double)(oe - os) / (double)(hi - lo);
	}
}

/* A row's bytes per bucket: its window buckets from its first alert on
 * (report_add_bucket), and the rest of its bytes out before them spread
 * evenly from its first packet; no bucket known: all spread from its
 * first to its last packet. */
static void
row_bytes(const struct report *r, const struct rrow *row,
    const struct axis *ax, double *v)
{
	const struct rdest *d = &r->dests[row->dest];
	const struct rpair *p = row->pr;
	const struct rwatch *w = NULL;
	uint64_t sum = 0, until;
	bool found;
	size_t i;

	memset(v, 0, ax->nb * sizeof(*v));
	i = watch_find(r, &row->src, d->name, &d->addr, &found);
	if (found)
		w = &r->watches[i];
	for (i = 0; w != NULL && i < w->n; i++) {
		uint64_t from = w->v[i].start, to = from + w->width;

		/* no byte before the pair's first packet or after its last */
		if (p != NULL && p->first_ns > from && p->first_ns < to)
			from = p->first_ns;
		if (p != NULL && p->last_ns + 1 > from && p->last_ns + 1 < to)
			to = p->last_ns + 1;
		spread(ax, v, from, to, w->v[i].out);
		sum += w->v[i].out;
	}
	if (p == NULL || p->bytes_out <= sum)
		return;
	until = w != NULL && w->n > 0 ? w->v[0].start : p->last_ns + 1;
	if (p->first_ns >= until)
		until = p->first_ns + 1;
	spread(ax, v, p->first_ns, until, p->bytes_out - sum);
}

/* A label of alert marks: the alerts idx[first .. first + n) of a row. */
struct rlabel {
	size_t first, n;
	const char *rule[2];       /* the first two rules it holds */
	bool more;                 /* ... and others */
	double x, start, w;        /* mark, text's left end and width */
	double floor;              /* its line's end before it */
	int lane;
};

/* What drawing a row needs, allocated once for all rows: a value per
 * bucket, and per alert an index and a label. */
struct row_scratch {
	double *v;
	size_t *idx;
	struct rlabel *labels;
};

static int
cmp_alert_time(const void *x, const void *y, void *ctx)
{
	const struct report *r = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	uint64_t a = r->alerts[i].ts_ns, b = r->alerts[j].ts_ns;

	if (a != b)
		return a < b ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* The alerts of a row into idx, by time then order of emission: how many. */
static size_t
row_alerts(const struct report *r, const struct rrow *row, size_t *idx)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_alerts; i++)
		if (r->alert_dest[i] == row->dest &&
		    netaddr_cmp(&r->alerts[i].src, &row->src) == 0)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_alert_time, (void *)(uintptr_t)r);
	return n;
}

/* Alert a joins label l (the rules it holds kept as they come). */
static void
label_add(struct rlabel *l, const struct alert *a)
{
	if (l->n++ == 0)
		l->rule[0] = a->rule;
	else if (strcmp(a->rule, l->rule[0]) == 0 ||
	    (l->rule[1] != NULL && strcmp(a->rule, l->rule[1]) == 0))
		return;
	else if (l->rule[1] == NULL)
		l->rule[1] = a->rule;
	else
		l->more = true;
}

/* A label's text: the rule's name, or "3 alerts: a, b" (the first two
 * rules it holds, "..." when there are more). */
static void
label_text(const struct rlabel *l, char *buf, size_t len)
{
	if (l->n == 1)
		snprintf(buf, len, "%s", l->rule[0]);
	else
		snprintf(buf, len, "%zu alerts: %s%s%s%s", l->n, l->rule[0],
		    l->rule[1] != NULL ? ", " : "",
		    l->rule[1] != NULL ? l->rule[1] : "", l->more ? ", ..." : "");
}

/* The label's place: right of its mark, or left when it would leave the
 * plot (not over its line's previous label). */
static void
label_place(struct rlabel *l, const struct axis *ax)
{
	char text[LABEL_TEXT_MAX];

	label_text(l, text, sizeof(text));
	l->w = (double)strlen(text) * 5.2;
	l->start = l->x + 2;
	if (l->x + l->w + 2 > ax->left + ax->width + 8)
		l->start = l->x - 2 - l->w > l->floor ? l->x - 2 - l->w : l->floor;
}

/* Lays out a row's labels (n_idx alerts, by time) in LABEL_LANES lines:
 * marks closer than 8 px share a label; a label with no free line takes
 * in the alerts up to where one frees (the latest label grows). */
static size_t
layout_labels(const struct report *r, const size_t *idx, size_t n_idx,
    const struct axis *ax, struct rlabel *out)
{
	double lane_end[LABEL_LANES];
	size_t i, n = 0;
	int k;

	for (k = 0; k < LABEL_LANES; k++)
		lane_end[k] = -1e9;
	for (i = 0; i < n_idx; i++) {
		const struct alert *a = &r->alerts[idx[i]];
		struct rlabel *l = &out[n];
		double x = axis_x(ax, a->ts_ns);

		if (n == 0 || x - out[n - 1].x >= 8) {
			*l = (struct rlabel){ .first = i, .x = x, .lane = -1,
				.floor = -1e9 };
			label_add(l, a);
			label_place(l, ax);
			for (k = 0; k < LABEL_LANES && l->lane < 0; k++)
				if (lane_end[k] <= l->start)
					l->lane = k;
			if (l->lane >= 0 || n == 0) {
				l->lane = l->lane < 0 ? 0 : l->lane;
				l->floor = lane_end[l->lane];
				n++;
				lane_end[l->lane] = l->start + l->w + 4;
				continue;
			}
		}
		l = &out[n - 1];
		label_add(l, a);
		label_place(l, ax);
		lane_end[l->lane] = l->start + l->w + 4;
	}
	return n;
}

/* One label, with a tooltip listing its alerts (LABEL_TITLE_MAX at most). */
static void
write_label(FILE *fp, const struct report *r, const size_t *idx,
    const struct rlabel *l, double y)
{
	char text[LABEL_TEXT_MAX];
	size_t i;

	label_text(l, text, sizeof(text));
	fprintf(fp, "<text class=\"mlabel\" x=\"%.1f\" y=\"%.1f\">", l->start,
	    y + 8 + 7 * l->lane);
	esc(fp, text);
	fputs("<title>", fp);
	for (i = 0; i < l->n && i < LABEL_TITLE_MAX; i++) {
		const struct alert *a = &r->alerts[idx[l->first + i]];

		fputs(i > 0 ? "&#10;" : "", fp);
		esc(fp, a->rule);
		fputs(" ", fp);
		put_time(fp, a->ts_ns);
	}
	if (l->n > LABEL_TITLE_MAX)
		fprintf(fp, "&#10;%zu more", l->n - LABEL_TITLE_MAX);
	fputs("</title></text>\n", fp);
}

/* A row's alerts: a mark each (its rule and time as a tooltip), then the
 * labels (layout_labels). idx and labels: room for every alert. */
static void
write_markers(FILE *fp, const struct report *r, const struct rrow *row,
    const struct axis *ax, double y, double h, size_t *idx,
    struct rlabel *labels)
{
	size_t i, n = row_alerts(r, row, idx), n_labels;

	for (i = 0; i < n; i++) {
		const struct alert *a = &r->alerts[idx[i]];
		double x = axis_x(ax, a->ts_ns);

		fputs("<g class=\"marker\" data-rule=\"", fp);
		esc(fp, a->rule);
		fprintf(fp, "\"><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\"/><title>", x, x, y, y + h);
		esc(fp, a->rule);
		fputs(" ", fp);
		put_time(fp, a->ts_ns);
		fputs("</title></g>\n", fp);
	}
	n_labels = layout_labels(r, idx, n, ax, labels);
	for (i = 0; i < n_labels; i++)
		write_label(fp, r, idx, &labels[i], y);
}

/* A row: its label, its bars (row_bytes), its alerts (write_markers). */
static void
write_row(FILE *fp, const struct report *r, const struct rrow *row,
    const struct axis *ax, double y, double h, struct row_scratch *sc)
{
	const struct rdest *d = &r->dests[row->dest];
	double max = 0, *v = sc->v;
	size_t b;

	fputs("<g class=\"row\" data-src=\"", fp);
	put_addr(fp, &row->src);
	fputs("\" data-dst=\"", fp);
	put_dest_label(fp, d->name, &d->addr);
	fprintf(fp, "\"><text x=\"4\" y=\"%.1f\">", y + h / 2 + 3);
	put_addr(fp, &row->src);
	fputs(" &#8594; ", fp);
	put_dest_label(fp, d->name, &d->addr);
	fputs("</text>\n", fp);
	fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
	    "y2=\"%.1f\"/>\n", ax->left, ax->left + ax->width, y + h, y + h);
	row_bytes(r, row, ax, v);
	for (b = 0; b < ax->nb; b++)
		if (v[b] > max)
			max = v[b];
	for (b = 0; b < ax->nb; b++) {
		double bh;

		if (v[b] <= 0)
			continue;
		bh = (h - 12) * v[b] / max;
		if (bh < 1)
			bh = 1;
		fprintf(fp, "<rect class=\"bar\" data-v=\"%.0f\" x=\"%.1f\" "
		    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%.0f "
		    "bytes</title></rect>\n", v[b],
		    axis_x(ax, ax->t0 + b * ax->bucket), y + h - bh,
		    ax->width / (double)ax->nb, bh, v[b]);
	}
	write_markers(fp, r, row, ax, y, h, sc->idx, sc->labels);
	fputs("</g>\n", fp);
}

size_t
report_bands(int64_t (*spans)(const void *conf, int64_t t, bool *in),
    const void *conf, int64_t t0, int64_t t1, int64_t min_gap,
    struct report_band *out, size_t max)
{
	size_t n = 0, steps;
	int64_t t, next;
	bool in;

	for (t = t0, steps = 0; t < t1 && steps < REPORT_SHADE_STEPS;
	    t = next, steps++) {
		if ((next = spans(conf, t, &in)) <= t)
			break; /* no progress: a broken answer ends the shading */
		if (next > t1)
			next = t1;
		if (!in)
			continue;
		if (n > 0 && t - out[n - 1].end < min_gap) {
			out[n - 1].end = next;
			continue;
		}
		if (n == max)
			break;
		out[n++] = (struct report_band){ t, next };
	}
	return n;
}

/* Each enabled rule's shading (rule_def.spans) over the axis, bands under
 * 2 px apart merged; the names of those drawn into names: how many. */
static size_t
write_shading(FILE *fp, const struct report *r, const struct axis *ax,
    double top, double h, const char **names)
{
	struct report_band bands[SHADE_BANDS_MAX];
	const struct rule_def *const *rules;
	int64_t t0 = (int64_t)(ax->t0 / NS_PER_SEC);
	int64_t t1 = (int64_t)((ax->t1 + NS_PER_SEC - 1) / NS_PER_SEC);
	int64_t gap = (int64_t)((double)(t1 - t0) * 2 / ax->width) + 1;
	size_t n_rules, i, n, b, n_names = 0;

	rules = rules_registry(&n_rules);
	for (i = 0; i < n_rules; i++) {
		if (rules[i]->spans == NULL || !config_rule_base(r->cfg, i)->enabled)
			continue;
		n = report_bands(rules[i]->spans, config_rule(r->cfg, i), t0, t1,
		    gap, bands, SHADE_BANDS_MAX);
		for (b = 0; b < n; b++) {
			double x0 = axis_x(ax, (uint64_t)bands[b].start * NS_PER_SEC);

			fputs("<rect class=\"shade\" data-shade=\"", fp);
			esc(fp, rules[i]->shade);
			fprintf(fp, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\"><title>", x0, top,
			    axis_x(ax, (uint64_t)bands[b].end * NS_PER_SEC) - x0, h - top);
			esc(fp, rules[i]->shade);
			fputs(" ", fp);
			put_time(fp, (uint64_t)bands[b].start * NS_PER_SEC);
			fputs(" &#8211; ", fp);
			put_time(fp, (uint64_t)bands[b].end * NS_PER_SEC);
			fputs("</title></rect>\n", fp);
		}
		if (n > 0)
			names[n_names++] = rules[i]->shade;
	}
	return n_names;
}

/* The key to the shading, above the row labels. */
static void
write_legend(FILE *fp, bool learning, const char *const *names, size_t n)
{
	double x = 4;
	size_t i;

	if (learning) {
		fprintf(fp, "<g class=\"key\"><rect class=\"learning\" x=\"%.1f\" "
		    "y=\"4\" width=\"12\" height=\"9\"/><text x=\"%.1f\" "
		    "y=\"12\">learning</text></g>\n", x, x + 15);
		x += 15 + 8 * 5.5 + 10;
	}
	for (i = 0; i < n; i++) {
		fprintf(fp, "<g class=\"key\"><rect class=\"shade\" x=\"%.1f\" "
		    "y=\"4\" width=\"12\" height=\"9\"/><text x=\"%.1f\" "
		    "y=\"12\">", x, x + 15);
		esc(fp, names[i]);
		fputs("</text></g>\n", fp);
		x += 15 + (double)strlen(names[i]) * 5.5 + 10;
	}
}

static void
write_timeline(FILE *fp, struct report *r, const struct report_summary *s)
{
	const double W = 1000, left = 320, rowh = 30, top = 24;
	const char *shades[RULES_MAX];
	struct row_scratch sc;
	struct axis ax;
	struct rrow *rows;
	size_t n_rows, shown, i, step, n_shades;
	uint64_t mins;
	bool learning;
	double h;

	rows = alerted_rows(r, &n_rows);
	shown = n_rows < ROWS_MAX ? n_rows : ROWS_MAX;
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", fp);
	if (s->last_ns < s->first_ns || s->first_ns == 0) {
		fputs("<p>No input.</p></section>\n", fp);
		free(rows);
		return;
	}
	ax.bucket = report_bucket_ns(s->last_ns - s->first_ns);
	ax.t0 = s->first_ns / ax.bucket * ax.bucket;
	ax.nb = (size_t)((s->last_ns - ax.t0) / ax.bucket + 1);
	ax.t1 = ax.t0 + ax.nb * ax.bucket;
	ax.left = left;
	ax.width = W - left - 10;
	h = top + (double)shown * rowh + 4;
	mins = ax.bucket / 60 / NS_PER_SEC;
	fprintf(fp, "<p>One row per alerted (host, destination); bars: bytes out "
	    "per %llu %s (exact per window bucket of rules.window / 8 from the "
	    "pair's first alert on; its earlier bytes spread evenly from its "
	    "first packet); red marks: alerts (marks closer than a label share "
	    "one, &quot;3 alerts: ...&quot;, its tooltip lists them); the key "
	    "above the rows names the shading (learning period, off-hours).</p>\n",
	    (unsigned long long)(mins % 1440 == 0 ? mins / 1440 : mins % 60 == 0 ?
	    mins / 60 : mins), mins % 1440 == 0 ? "d" : mins % 60 == 0 ? "h" : "min");
	fprintf(fp, "<svg id=\"timeline-svg\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "data-rows=\"%zu\">\n", W, h, W, h, shown);
	learning = s->learn_end_ns > s->learn_start_ns && s->learn_end_ns > ax.t0 &&
	    s->learn_start_ns < ax.t1;
	if (learning) {
		double x0 = axis_x(&ax, s->learn_start_ns);

		fprintf(fp, "<rect class=\"learning\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"><title>learning</title></rect>\n",
		    x0, top, axis_x(&ax, s->learn_end_ns) - x0, h - top);
	}
	n_shades = write_shading(fp, r, &ax, top, h, shades);
	write_legend(fp, learning, shades, n_shades);
	step = (ax.nb + 7) / 8;
	for (i = 0; i <= ax.nb; i += step) {
		uint64_t t = ax.t0 + i * ax.bucket;
		double x = axis_x(&ax, t);

		fprintf(fp, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
		    "y2=\"%.1f\"/>", x, x, top - 10, h);
		if (x < W - 60) { /* a label that would be cut is left out */
			fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 2, top - 12);
			put_tick_label(fp, &ax, t);
			fputs("</text>", fp);
		}
		fputs("\n", fp);
	}
	sc.v = xcalloc(ax.nb, sizeof(*sc.v));
	sc.idx = xcalloc(r->n_alerts + 1, sizeof(*sc.idx));
	sc.labels = xcalloc(r->n_alerts + 1, sizeof(*sc.labels));
	for (i = 0; i < shown; i++)
		write_row(fp, r, &rows[i], &ax, top + (double)i * rowh, rowh, &sc);
	free(sc.v);
	free(sc.idx);
	free(sc.labels);
	fputs("</svg>\n", fp);
	put_more(fp, n_rows - shown, "alerted pairs not drawn", "p");
	fputs("</section>\n", fp);
	free(rows);
}

static void
write_evidence(FILE *fp, const struct finding *f)
{
	char buf[64];
	bool num;
	size_t i;

	if (f->n == 0)
		return;
	fputs("<div class=\"ev\">", fp);
	for (i = 0; i < f->n; i++) {
		fputs(i > 0 ? " " : "", fp);
		esc(fp, f->f[i].key);
		fputs("=", fp);
		esc(fp, finding_value(f, &f->f[i], buf, sizeof(buf), &num));
	}
	fputs("</div>", fp);
}

/* The alert's evidence directory and the stored bodies' SHA-256
 * (evidence.enabled). */
static void
write_evidence_files(FILE *fp, const struct alert *a)
{
	unsigned i;

	if (a->evidence_dir[0] == '\0')
		return;
	fputs("<div class=\"ev\">evidence: ", fp);
	esc_field(fp, a->evidence_dir, sizeof(a->evidence_dir));
	for (i = 0; i < a->n_sha256 && i < ALERT_SHA256_MAX; i++) {
		fputs(" sha256 ", fp);
		esc_field(fp, a->sha256[i], sizeof(a->sha256[i]));
	}
	fputs("</div>", fp);
}

static void
write_alert(FILE *fp, const struct alert *a)
{
	fputs("<tr class=\"alert\"><td>", fp);
	put_time(fp, a->ts_ns);
	fputs("</td><td class=\"rule\">", fp);
	esc(fp, a->rule);
	fprintf(fp, "</td><td>%s</td><td>", severity_name(a->severity));
	put_addr(fp, &a->src);
	if (a->src_user[0] != '\0') {
		fputs(" (", fp);
		esc_field(fp, a->src_user, sizeof(a->src_user));
		fputs(")", fp);
	}
	fputs("</td><td>", fp);
	put_bytes(fp, a->bytes_out);
	fputs("</td><td><div class=\"reason\">", fp);
	if (a->finding.reason[0] != '\0')
		esc_field(fp, a->finding.reason, sizeof(a->finding.reason));
	else if (a->title != NULL)
		esc(fp, a->title);
	fputs("</div>", fp);
	write_evidence(fp, &a->finding);
	if (a->http_method[0] != '\0') {
		fputs("<div class=\"ev\">", fp);
		esc_field(fp, a->http_method, sizeof(a->http_method));
		fputs(" ", fp);
		esc_field(fp, a->http_uri, sizeof(a->http_uri));
		if (a->http_user_agent[0] != '\0') {
			fputs(" User-Agent: ", fp);
			esc_field(fp, a->http_user_agent, sizeof(a->http_user_agent));
		}
		if (a->http_filename[0] != '\0') {
			fputs(" filename: ", fp);
			esc_field(fp, a->http_filename, sizeof(a->http_filename));
		}
		fputs("</div>", fp);
	}
	write_evidence_files(fp, a);
	fputs("</td></tr>\n", fp);
}

static int
cmp_dest_bytes(const void *x, const void *y, void *ctx)
{
	const struct report *r = ctx;
	const struct rdest *a = &r->dests[*(const size_t *)x];
	const struct rdest *b = &r->dests[*(const size_t *)y];

	if (a->bytes_out != b->bytes_out)
		return a->bytes_out > b->bytes_out ? -1 : 1;
	return cmp_dest(a, b);
}

static void
write_dest(FILE *fp, const struct report *r, size_t k)
{
	const struct rdest *d = &r->dests[k];
	size_t i, shown = 0;

	fputs("<section class=\"dest\"><h3>", fp);
	put_dest_label(fp, d->name, &d->addr);
	fputs("</h3>\n<table><tr><th>Name</th><td class=\"d-name\">", fp);
	esc(fp, d->name[0] != '\0' ? d->name : "-");
	fputs("</td></tr><tr><th>Address</th><td>", fp);
	put_addr(fp, &d->addr);
	fputs("</td></tr><tr><th>Country</th><td>", fp);
	put_country(fp, d->country);
	fputs("</td></tr><tr><th>AS</th><td>", fp);
	if (d->asn != 0) {
		fprintf(fp, "AS%u ", (unsigned)d->asn);
		esc(fp, d->org);
	} else {
		fputs("unknown", fp);
	}
	fputs("</td></tr><tr><th>First seen</th><td>", fp);
	put_time(fp, d->first_seen_ns);
	fputs("</td></tr><tr><th>Bytes out</th><td class=\"d-bytes\">", fp);
	put_bytes(fp, d->bytes_out);
	fprintf(fp, "</td></tr><tr><th>Records at risk</th><td>%llu &ndash; %llu"
	    "</td></tr></table>\n", (unsigned long long)d->records_low,
	    (unsigned long long)d->records_high);
	fputs("<table class=\"hosts\"><tr><th>host</th><th class=\"num\">bytes out"
	    "</th><th class=\"num\">flows</th><th>payload kinds (bytes)</th>"
	    "<th>records</th><th>first &ndash; last</th></tr>\n", fp);
	for (i = 0; i < r->n_pairs; i++) {
		const struct rpair *p = &r->pairs[i];

		if (p->dest != k || !p->listed)
			continue;
		fputs("<tr class=\"host\"><td>", fp);
		put_addr(fp, &p->src);
		fputs("</td><td class=\"num\">", fp);
		put_bytes(fp, p->bytes_out);
		fprintf(fp, "</td><td class=\"num\">%llu</td><td>",
		    (unsigned long long)p->flows);
		put_payload(fp, p->payload);
		fprintf(fp, "</td><td>%llu &ndash; %llu</td><td>",
		    (unsigned long long)p->records_low,
		    (unsigned long long)p->records_high);
		put_time(fp, p->first_ns);
		fputs(" &ndash; ", fp);
		put_time(fp, p->last_ns);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>\n", fp);
	put_more(fp, d->n_pairs - d->n_listed, "hosts", "p");
	fputs("<table class=\"alerts\"><tr><th>time</th><th>rule</th><th>severity"
	    "</th><th>host</th><th>bytes out (window)</th><th>reason and evidence"
	    "</th></tr>\n", fp);
	for (i = 0, shown = 0; i < r->n_alerts; i++) {
		if (r->alert_dest[i] != k)
			continue;
		if (shown++ < DEST_ALERTS_MAX)
			write_alert(fp, &r->alerts[i]);
	}
	fputs("</table>\n", fp);
	put_more(fp, shown > DEST_ALERTS_MAX ? shown - DEST_ALERTS_MAX : 0,
	    "alerts", "p");
	fputs("</section>\n", fp);
}

static void
write_dests(FILE *fp, struct report *r)
{
	size_t *order = xcalloc(r->n_dests + 1, sizeof(*order));
	size_t i, shown = r->n_dests < DESTS_MAX ? r->n_dests : DESTS_MAX;

	for (i = 0; i < r->n_dests; i++)
		order[i] = i;
	qsort_r(order, r->n_dests, sizeof(*order), cmp_dest_bytes, r);
	fputs("<section id=\"destinations\"><h2>Flagged destinations</h2>\n", fp);
	for (i = 0; i < shown; i++)
		write_dest(fp, r, order[i]);
	put_more(fp, r->n_dests - shown, "destinations", "p");
	fputs("</section>\n", fp);
	free(order);
}

static void
write_top(FILE *fp, struct report *r)
{
	size_t i;

	fputs("<section id=\"top-pairs\"><h2>Top pairs to unfamiliar foreign "
	    "destinations</h2>\n<table><tr><th>host</th><th>destination</th>"
	    "<th>country</th><th class=\"num\">bytes out</th><th class=\"num\">"
	    "flows</th><th>alerted</th></tr>\n", fp);
	for (i = 0; i < r->n_top; i++) {
		const struct pair_report *p = &r->top[i];
		long k = find_dest(r, p->dst_host, &p->dst);
		bool alerted = k >= 0 && is_alerted(r, &p->src, (size_t)k);

		fputs("<tr class=\"top\"><td>", fp);
		put_addr(fp, &p->src);
		fputs("</td><td>", fp);
		put_dest_label(fp, p->dst_host, &p->dst);
		fputs("</td><td>", fp);
		put_country(fp, p->dst_country);
		fputs("</td><td class=\"num\">", fp);
		put_bytes(fp, p->bytes_out);
		fprintf(fp, "</td><td class=\"num\">%llu</td><td>%s</td></tr>\n",
		    (unsigned long long)p->flows, alerted ? "yes" : "no");
	}
	fputs("</table>\n", fp);
	put_more(fp, (size_t)(r->n_unfamiliar_foreign - r->n_top),
	    "pairs to unfamiliar foreign destinations", "p");
	fputs("</section>\n", fp);
}

int
report_write(struct report *r, const struct report_summary *s,
    const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *fp;

	build_dests(r);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fp = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	    "'none'; style-src 'unsafe-inline'\">\n"
	    "<title>exfild forensic report</title>\n<style>", fp);
	fputs(style, fp);
	fputs("</style></head><body>\n<h1>exfild forensic report</h1>\n", fp);
	write_summary(fp, r, s);
	write_timeline(fp, r, s);
	write_dests(fp, r);
	write_top(fp, r);
	fputs("</body></html>\n", fp);
	if (ferror(fp) | (fclose(fp) != 0)) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
