/*
 * test_report.c - the forensic report's HTML escaper (every markup
 * character, control bytes, invalid and overlong UTF-8, C1 controls,
 * valid multi-byte text kept), the timeline's bucket for spans from
 * none to months (at most REPORT_BUCKETS_MAX buckets, the edges exact), and
 * the caps: 10k alerts to 1000 destinations and 100k pairs make a file of a
 * few MB that says how many more of each it left out; the off-hours bands
 * (exact seconds in Asia/Tokyo and across Europe/Berlin's change to summer
 * time, none without working hours) and their rectangles in the file, none
 * with the rule off; alert labels that do not overlap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exfild/detect/registry.h"
#include "exfild/report/report.h"
#include "exfild/util/util.h"

/* report_escape of n bytes of s, as a string (the caller frees it). */
static char *
escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	report_escape(fp, s, n);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

static void
expect_escape(const char *s, size_t n, const char *want)
{
	char *got = escaped(s, n);

	assert_string_equal(got, want);
	free(got);
}

#define EXPECT(lit, want) expect_escape(lit, sizeof(lit) - 1, want)

static void
test_escape_markup(void **state)
{
	(void)state;
	EXPECT("plain.example", "plain.example");
	EXPECT("", "");
	EXPECT("<script>alert('x')</script>",
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	EXPECT("a&b\"c", "a&amp;b&quot;c");
	EXPECT("&amp;", "&amp;amp;"); /* never taken for a reference */
	EXPECT("x'\"><img src=x>", "x&#39;&quot;&gt;&lt;img src=x&gt;");
}

static void
test_escape_controls(void **state)
{
	(void)state;
	EXPECT("lf\nx", "lf&#xFFFD;x");
	EXPECT("cr\rtab\t", "cr&#xFFFD;tab&#xFFFD;");
	EXPECT("nul\0x", "nul&#xFFFD;x"); /* n bytes, NUL included */
	EXPECT("del\x7f", "del&#xFFFD;");
	EXPECT("c1\xc2\x85", "c1&#xFFFD;");   /* U+0085 NEL */
	EXPECT("nbsp\xc2\xa0", "nbsp\xc2\xa0"); /* U+00A0 is text */
}

static void
test_escape_utf8(void **state)
{
	(void)state;
	EXPECT("D\xc3\xb6" "e", "D\xc3\xb6" "e");                 /* U+00F6 */
	EXPECT("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"); /* 日本 */
	EXPECT("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");           /* U+1F600 */
	EXPECT("\xff\xfe" "x", "&#xFFFD;&#xFFFD;x");
	EXPECT("overlong\xc0\xaf", "overlong&#xFFFD;&#xFFFD;");
	EXPECT("cont\x80" "x", "cont&#xFFFD;x");
	EXPECT("\xe0\x80\xaf", "&#xFFFD;&#xFFFD;&#xFFFD;");     /* overlong 3 */
	EXPECT("\xed\xa0\x80", "&#xFFFD;&#xFFFD;&#xFFFD;");     /* surrogate */
	EXPECT("\xf4\x90\x80\x80", "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;"); /* > U+10FFFF */
	EXPECT("cut\xe6\x97", "cut&#xFFFD;&#xFFFD;");           /* truncated */
	/* n stops a sequence short even when the bytes go on */
	expect_escape("\xc3\xb6", 1, "&#xFFFD;");
}

#define MIN (60 * NS_PER_SEC)

static void
test_bucket(void **state)
{
	static const struct {
		uint64_t span, bucket;
	} cases[] = {
		{ 0, 1 * MIN },
		{ 60 * MIN, 1 * MIN },               /* 1 hour: 60 buckets */
		{ 120 * MIN - 1, 1 * MIN },          /* 119.99 buckets */
		{ 120 * MIN, 5 * MIN },              /* 120: one too many */
		{ 278 * MIN, 5 * MIN },              /* the JAL-like day */
		{ 24 * 60 * MIN, 15 * MIN },         /* 1 day: 96 */
		{ 7 * 24 * 60 * MIN, 120 * MIN },    /* 1 week: 84 */
		{ 30 * 24 * 60 * MIN, 720 * MIN },   /* 30 days: 120 of 6 h is one
						 * too many: 60 of 12 h */
		{ 3650ULL * 24 * 60 * MIN, 10080 * MIN }, /* past the largest */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = report_bucket_ns(cases[i].span);

		if (b < 10080 * MIN) /* the largest: as many as it takes */
			assert_true(cases[i].span / b < REPORT_BUCKETS_MAX);
		assert_int_equal(b, cases[i].bucket);
	}
}

/* The file's text (the caller frees it). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	struct stat st;
	char *buf;

	assert_non_null(fp);
	assert_int_equal(fstat(fileno(fp), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)st.st_size, fp), (size_t)st.st_size);
	buf[st.st_size] = '\0';
	fclose(fp);
	*len = (size_t)st.st_size;
	return buf;
}

static void
test_caps(void **state)
{
	const uint64_t t0 = 1411000000ULL * NS_PER_SEC;
	char dir[] = "/tmp/test_report.XXXXXX", path[64], err[256];
	struct report_summary s = { 0 };
	static struct alert a;
	static struct pair_report p;
	struct config *cfg;
	struct report *r;
	size_t len, i;
	char *html;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.html", dir);
	assert_int_equal(config_load_string("t", "{}", 2, &cfg, err, sizeof(err)), 0);
	r = report_new(cfg);
	for (i = 0; i < 10000; i++) { /* 10000 pairs, 1000 destinations */
		uint8_t h[4] = { 10, 0, (uint8_t)(i / 250), (uint8_t)(i % 250) };
		uint8_t d[4] = { 203, 0, (uint8_t)(i % 1000 / 250), (uint8_t)(i % 250) };

		memset(&a, 0, sizeof(a));
		a.rule = "bulk-upload";
		a.title = "t";
		a.severity = SEV_HIGH;
		netaddr_from_v4(&a.src, h);
		netaddr_from_v4(&a.dst, d);
		snprintf(a.dst_host, sizeof(a.dst_host), "d%zu<x>.example", i % 1000);
		a.ts_ns = t0 + i * 259 * NS_PER_SEC; /* 30 days */
		finding_reason(&a.finding, "reason %zu", i);
		report_add_alert(r, &a);
	}
	for (i = 0; i < 100000; i++) { /* each destination's first 100 hosts */
		uint8_t h[4] = { 10, 0, (uint8_t)(i / 250), (uint8_t)(i % 250) };
		uint8_t d[4] = { 203, 0, (uint8_t)(i / 100 % 1000 / 250),
			(uint8_t)(i / 100 % 250) };

		memset(&p, 0, sizeof(p));
		netaddr_from_v4(&p.src, h);
		netaddr_from_v4(&p.dst, d);
		snprintf(p.dst_host, sizeof(p.dst_host), "d%zu<x>.example", i / 100);
		p.bytes_out = 1000 + i;
		p.first_ns = t0;
		p.last_ns = t0 + 30 * 86400 * NS_PER_SEC;
		p.foreign = true;
		report_add_pair(r, &p);
	}
	s.first_ns = t0;
	s.last_ns = t0 + 30 * 86400 * NS_PER_SEC;
	assert_int_equal(report_write(r, &s, path, err, sizeof(err)), 0);
	html = slurp(path, &len);
	assert_true(len < 10 * 1024 * 1024);
	assert_non_null(strstr(html, ">9900 more alerted pairs not drawn<"));
	assert_non_null(strstr(html, ">900 more destinations<"));
	assert_non_null(strstr(html, ">50 more hosts<")); /* 100 each, 50 shown */
	assert_non_null(strstr(html, ">99980 more pairs to unfamiliar foreign"));
	assert_non_null(strstr(html, "and 9950 more")); /* summary hosts */
	assert_non_null(strstr(html, "bytes out per 12 h"));
	assert_null(strstr(html, "<x>"));
	free(html);
	report_free(r);
	config_free(cfg);
	unlink(path);
	rmdir(dir);
}

/* The settings loaded from yaml (the caller frees them). */
static struct config *
load(const char *yaml)
{
	struct config *cfg;
	char err[CONFIG_ERR_LEN];

	if (config_load_string("t.yaml", yaml, strlen(yaml), &cfg, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	return cfg;
}

/* The off-hours bands of cfg over [t0, t1), gaps under min_gap merged. */
static size_t
off_hours_bands(const struct config *cfg, int64_t t0, int64_t t1,
    int64_t min_gap, struct report_band *out, size_t max)
{
	size_t n_rules;
	const struct rule_def *const *rules = rules_registry(&n_rules);
	int i = rules_index("off-hours");

	assert_true(i >= 0);
	assert_non_null(rules[i]->spans);
	return report_bands(rules[i]->spans, config_rule(cfg, (size_t)i), t0, t1,
	    min_gap, out, max);
}

#define THU_2014_09_18 1410998400 /* 00:00 UTC, 09:00 in Tokyo */
#define H 3600

static void
test_bands_tokyo(void **state)
{
	/* the default: Asia/Tokyo (UTC+9, no summer time), Mon-Fri 08:00-20:00 */
	struct config *cfg = load("{}");
	struct report_band b[64];
	const int64_t t0 = THU_2014_09_18;

	(void)state;
	/* Thu 09:00 .. Mon 09:00 local: Thu 20:00-Fri 08:00, Fri 20:00-Mon 08:00 */
	assert_int_equal(off_hours_bands(cfg, t0, t0 + 96 * H, 1, b, 8), 2);
	assert_int_equal(b[0].start, t0 + 11 * H);
	assert_int_equal(b[0].end, t0 + 23 * H);
	assert_int_equal(b[1].start, t0 + 35 * H);
	assert_int_equal(b[1].end, t0 + 95 * H);
	/* clipped to the span: it starts at 21:00 local, ends at 07:00 */
	assert_int_equal(off_hours_bands(cfg, t0 + 12 * H, t0 + 22 * H, 1, b, 8), 1);
	assert_int_equal(b[0].start, t0 + 12 * H);
	assert_int_equal(b[0].end, t0 + 22 * H);
	/* working hours only: none */
	assert_int_equal(off_hours_bands(cfg, t0, t0 + 11 * H, 1, b, 8), 0);
	/* the night (12 h) is closer than min_gap to the weekend: merged */
	assert_int_equal(off_hours_bands(cfg, t0, t0 + 96 * H, 13 * H, b, 8), 1);
	assert_int_equal(b[0].start, t0 + 11 * H);
	assert_int_equal(b[0].end, t0 + 95 * H);
	/* at most max */
	assert_int_equal(off_hours_bands(cfg, t0, t0 + 96 * H, 1, b, 1), 1);
	assert_int_equal(b[0].end, t0 + 23 * H);
	/* 30 days, Thu 18 Sep to Sat 18 Oct 09:00 local: one band a weeknight
	 * (Mon-Thu), one a weekend from Friday 20:00: 1 + 1 + 3 * 5 + 4 + 1 */
	assert_int_equal(off_hours_bands(cfg, t0, t0 + 30 * 24 * H, 1, b, 64), 22);
	assert_int_equal(b[21].start, t0 + (29 * 24 + 11) * H);
	assert_int_equal(b[21].end, t0 + 30 * 24 * H);
	config_free(cfg);
}

static void
test_bands_dst(void **state)
{
	/* Berlin goes from UTC+1 to UTC+2 on Sunday 2024-03-31 at 01:00 UTC */
	struct config *cfg = load("rules:\n  off_hours: { tz: Europe/Berlin, "
	    "work: [\"Mon-Fri 09:00-17:00\"] }\n");
	struct report_band b[8];

	(void)state;
	/* Fri 29 Mar 00:00 UTC .. Tue 2 Apr 00:00 UTC */
	assert_int_equal(off_hours_bands(cfg, 1711670400, 1712016000, 1, b, 8), 3);
	assert_int_equal(b[0].start, 1711670400); /* Fri 01:00 CET, off */
	assert_int_equal(b[0].end, 1711699200);   /* Fri 09:00 CET = 08:00 UTC */
	assert_int_equal(b[1].start, 1711728000); /* Fri 17:00 CET = 16:00 UTC */
	assert_int_equal(b[1].end, 1711954800);   /* Mon 09:00 CEST = 07:00 UTC:
						   * one band over the change */
	assert_int_equal(b[2].start, 1711983600); /* Mon 17:00 CEST = 15:00 UTC */
	assert_int_equal(b[2].end, 1712016000);
	config_free(cfg);
}

static void
test_bands_no_hours(void **state)
{
	struct config *cfg = load("rules:\n  off_hours: { work: [] }\n");
	struct report_band b[8];

	(void)state;
	/* no working time: the rule takes all as off-hours; nothing shaded */
	assert_int_equal(off_hours_bands(cfg, THU_2014_09_18,
	    THU_2014_09_18 + 96 * H, 1, b, 8), 0);
	config_free(cfg);
}

/* A report of one alert per minute offset m: at Thu 2014-09-18 00:00 UTC
 * (09:00 in Tokyo) + m minutes, all from 10.0.0.1 to x.example, input from 00:00 to 96 h later,
 * under cfg: its HTML (the caller frees it). */
static char *
render(const struct config *cfg, const int *mins, size_t n, const char **rules)
{
	char dir[] = "/tmp/test_report.XXXXXX", path[64], err[256], *html;
	struct report_summary s = { 0 };
	static struct alert a;
	struct report *r = report_new(cfg);
	uint8_t h[4] = { 10, 0, 0, 1 }, d[4] = { 203, 0, 113, 9 };
	size_t i, len;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.html", dir);
	for (i = 0; i < n; i++) {
		memset(&a, 0, sizeof(a));
		a.rule = rules[i];
		a.title = "t";
		a.severity = SEV_HIGH;
		netaddr_from_v4(&a.src, h);
		netaddr_from_v4(&a.dst, d);
		snprintf(a.dst_host, sizeof(a.dst_host), "x.example");
		a.ts_ns = ((uint64_t)THU_2014_09_18 + (uint64_t)mins[i] * 60) * NS_PER_SEC;
		report_add_alert(r, &a);
	}
	s.first_ns = (uint64_t)THU_2014_09_18 * NS_PER_SEC;
	s.last_ns = ((uint64_t)THU_2014_09_18 + 96 * H - 1) * NS_PER_SEC;
	assert_int_equal(report_write(r, &s, path, err, sizeof(err)), 0);
	html = slurp(path, &len);
	report_free(r);
	unlink(path);
	rmdir(dir);
	return html;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)) != NULL; s++)
		n++;
	return n;
}

static void
test_shading_rects(void **state)
{
	const int mins[] = { 0 };
	const char *rules[] = { "bulk-upload" };
	struct config *on = load("{}");
	struct config *off = load("rules:\n  off_hours: { enabled: false }\n");
	char *html;

	(void)state;
	/* hourly buckets over 96 h, 670 px: 11 h in is x = 320 + 76.8 */
	html = render(on, mins, 1, rules);
	assert_int_equal(count(html, "<rect class=\"shade\" data-shade=\"off-hours\""), 2);
	assert_non_null(strstr(html, "<rect class=\"shade\" data-shade=\"off-hours\" "
	    "x=\"396.8\" y=\"24.0\" width=\"83.8\""));
	assert_non_null(strstr(html, "<title>off-hours 2014-09-18T11:00:00.000Z "
	    "&#8211; 2014-09-18T23:00:00.000Z</title>"));
	assert_non_null(strstr(html, "<title>off-hours 2014-09-19T11:00:00.000Z "
	    "&#8211; 2014-09-21T23:00:00.000Z</title>"));
	assert_non_null(strstr(html, "y=\"12\">off-hours</text>")); /* the key */
	free(html);
	/* the rule off: no band, no key */
	html = render(off, mins, 1, rules);
	assert_int_equal(count(html, "class=\"shade\""), 0);
	assert_null(strstr(html, ">off-hours</text>"));
	assert_non_null(strstr(html, "<g class=\"marker\"")); /* still drawn */
	free(html);
	config_free(on);
	config_free(off);
}

static void
test_labels(void **state)
{
	/* 96 h over 670 px: 7 px an hour. Three alerts in one minute, one
	 * 30 min later (3.5 px: the same label), one 3 h later (21 px: its
	 * own line, the first label being wider), one 40 h later (its own
	 * label on the first line) */
	const int mins[] = { 0, 0, 1, 30, 180, 2400 };
	const char *rules[] = { "bulk-upload", "off-hours", "bulk-upload",
		"beacon", "campaign", "bulk-upload" };
	struct config *cfg = load("{}");
	char *html;

	(void)state;
	html = render(cfg, mins, 6, rules);
	assert_int_equal(count(html, "<g class=\"marker\""), 6);
	assert_int_equal(count(html, "<text class=\"mlabel\""), 3);
	assert_non_null(strstr(html, "y=\"32.0\">4 alerts: bulk-upload, off-hours, "
	    "...<title>bulk-upload 2014-09-18T00:00:00.000Z&#10;off-hours "
	    "2014-09-18T00:00:00.000Z&#10;bulk-upload 2014-09-18T00:01:00.000Z&#10;"
	    "beacon 2014-09-18T00:30:00.000Z</title></text>"));
	assert_non_null(strstr(html, "y=\"39.0\">campaign<title>"));
	assert_non_null(strstr(html, "y=\"32.0\">bulk-upload<title>bulk-upload "
	    "2014-09-19T16:00:00.000Z</title>"));
	free(html);
	config_free(cfg);
}

static void
test_labels_full(void **state)
{
	/* marks 10.5 px apart (1.5 h): three labels in three lines, the
	 * fourth finds none free and joins the third; 2000 more alerts an
	 * hour after it (no line free there either) join it too, one mark
	 * each, and its tooltip lists 20 */
	static int mins[2004];
	static const char *rules[2004];
	struct config *cfg = load("{}");
	char *html;
	size_t i;

	(void)state;
	for (i = 0; i < 2004; i++) {
		mins[i] = i < 4 ? (int)i * 90 : 330;
		rules[i] = i == 2003 ? "beacon" : "bulk-upload";
	}
	html = render(cfg, mins, 2004, rules);
	assert_int_equal(count(html, "<g class=\"marker\""), 2004);
	assert_int_equal(count(html, "<text class=\"mlabel\""), 3);
	assert_non_null(strstr(html, "y=\"32.0\">bulk-upload<title>"));
	assert_non_null(strstr(html, "y=\"39.0\">bulk-upload<title>"));
	assert_non_null(strstr(html, "y=\"46.0\">2002 alerts: bulk-upload, "
	    "beacon<title>"));
	assert_non_null(strstr(html, "&#10;1982 more</title>"));
	free(html);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_bands_tokyo),
		cmocka_unit_test(test_bands_dst),
		cmocka_unit_test(test_bands_no_hours),
		cmocka_unit_test(test_shading_rects),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_labels_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
