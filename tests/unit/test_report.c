/*
 * test_report.c - the forensic report's HTML escaper (every markup
 * character, control bytes, invalid and overlong UTF-8, C1 controls,
 * valid multi-byte text kept), the timeline's bucket for spans from
 * none to months (at most REPORT_BUCKETS_MAX buckets, the edges exact), and
 * the caps: 10k alerts to 1000 destinations and 100k pairs make a file of a
 * few MB that says how many more of each it left out.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
