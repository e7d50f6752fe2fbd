/*
 * test_classify.c - payload classification: every magic number and its
 * near misses and truncations, TLS record headers, text, entropy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#define ZLIB_CONST
#include <zlib.h>

#include "exfild/proto/classify.h"

#define PRNG_SEED 0x9e3779b97f4a7c15ULL

struct magic_case {
	const char *what;
	const uint8_t *bytes;
	size_t len; /* the shortest input that is recognised */
	enum payload_kind kind;
	const uint8_t *next; /* what must follow when there is more */
	size_t next_len;
};

static const uint8_t m_rar4[] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x00 };
static const uint8_t m_rar5[] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x01, 0x00 };
static const uint8_t m_zip[] = { 'P', 'K', 0x03, 0x04 };
static const uint8_t m_zip_empty[] = { 'P', 'K', 0x05, 0x06 };
static const uint8_t m_zip_spanned[] = { 'P', 'K', 0x07, 0x08 };
static const uint8_t m_7z[] = { '7', 'z', 0xbc, 0xaf, 0x27, 0x1c };
static const uint8_t m_gzip[] = { 0x1f, 0x8b, 0x08 };
static const uint8_t m_bzip2[] = { 'B', 'Z', 'h', '9' };
static const uint8_t m_bzip2_block[] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };
static const uint8_t m_xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
static const uint8_t m_zstd[] = { 0x28, 0xb5, 0x2f, 0xfd };
static const uint8_t m_zstd_skip0[] = { 0x50, 0x2a, 0x4d, 0x18 };
static const uint8_t m_zstd_skipf[] = { 0x5f, 0x2a, 0x4d, 0x18 };
static const uint8_t m_cab[] = { 'M', 'S', 'C', 'F', 0, 0, 0, 0 };

static const struct magic_case magics[] = {
	{ "rar4", m_rar4, sizeof(m_rar4), PK_RAR, NULL, 0 },
	{ "rar5", m_rar5, sizeof(m_rar5), PK_RAR, NULL, 0 },
	{ "zip", m_zip, sizeof(m_zip), PK_ZIP, NULL, 0 },
	{ "zip-empty", m_zip_empty, sizeof(m_zip_empty), PK_ZIP, NULL, 0 },
	{ "zip-spanned", m_zip_spanned, sizeof(m_zip_spanned), PK_ZIP, NULL, 0 },
	{ "7z", m_7z, sizeof(m_7z), PK_7Z, NULL, 0 },
	{ "gzip", m_gzip, sizeof(m_gzip), PK_GZIP, NULL, 0 },
	{ "bzip2", m_bzip2, sizeof(m_bzip2), PK_BZIP2, m_bzip2_block,
	    sizeof(m_bzip2_block) },
	{ "xz", m_xz, sizeof(m_xz), PK_XZ, NULL, 0 },
	{ "zstd", m_zstd, sizeof(m_zstd), PK_ZSTD, NULL, 0 },
	{ "zstd-skippable-0", m_zstd_skip0, sizeof(m_zstd_skip0), PK_ZSTD, NULL, 0 },
	{ "zstd-skippable-f", m_zstd_skipf, sizeof(m_zstd_skipf), PK_ZSTD, NULL, 0 },
	{ "cab", m_cab, sizeof(m_cab), PK_CAB, NULL, 0 },
};

static uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
fill_random(uint8_t *buf, size_t n)
{
	uint64_t s = PRNG_SEED;
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(xorshift64(&s) >> 32);
}

static int
setup(void **state)
{
	struct classifier *c = classifier_new();

	if (c == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	classifier_free(*state);
	return 0;
}

static enum payload_kind
cls(void **state, const void *data, size_t len)
{
	return classify_bytes(*state, data, len);
}

static void
test_kind_names(void **state)
{
	static const char *const want[PK_COUNT] = { "other", "text", "tls",
		"rar", "zip", "7z", "gzip", "bzip2", "xz", "zstd", "cab",
		"high-entropy" };
	int k;

	(void)state;
	for (k = 0; k < PK_COUNT; k++)
		assert_string_equal(payload_kind_name((enum payload_kind)k), want[k]);
	assert_string_equal(payload_kind_name(PK_COUNT), "other");
	assert_string_equal(payload_kind_name((enum payload_kind)-1), "other");
}

static void
test_kind_is_compressed(void **state)
{
	(void)state;
	assert_false(payload_kind_is_compressed(PK_OTHER));
	assert_false(payload_kind_is_compressed(PK_TEXT));
	assert_false(payload_kind_is_compressed(PK_TLS));
	assert_true(payload_kind_is_compressed(PK_RAR));
	assert_true(payload_kind_is_compressed(PK_ZIP));
	assert_true(payload_kind_is_compressed(PK_7Z));
	assert_true(payload_kind_is_compressed(PK_GZIP));
	assert_true(payload_kind_is_compressed(PK_BZIP2));
	assert_true(payload_kind_is_compressed(PK_XZ));
	assert_true(payload_kind_is_compressed(PK_ZSTD));
	assert_true(payload_kind_is_compressed(PK_CAB));
	assert_true(payload_kind_is_compressed(PK_HIGH_ENTROPY));
	assert_false(payload_kind_is_compressed(PK_COUNT));
}

/* Each magic alone, and followed by zeros (after what must follow it). */
static void
test_magic_each(void **state)
{
	uint8_t buf[2048];
	size_t i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic_case *m = &magics[i];

		memset(buf, 0, sizeof(buf));
		memcpy(buf, m->bytes, m->len);
		if (m->next != NULL)
			memcpy(buf + m->len, m->next, m->next_len);
		if (cls(state, m->bytes, m->len) != m->kind ||
		    cls(state, buf, sizeof(buf)) != m->kind)
			fail_msg("magic %s not recognised", m->what);
	}
}

/* Every truncation of a magic is not that kind (and no other archive). */
static void
test_magic_truncated(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		const struct magic_case *m = &magics[i];

		for (k = 0; k < m->len; k++) {
			enum payload_kind got = cls(state, m->bytes, k);

			if (payload_kind_is_compressed(got))
				fail_msg("magic %s cut at %zu: %s", m->what, k,
				    payload_kind_name(got));
		}
	}
}

static void
test_magic_near_misses(void **state)
{
	static const uint8_t rar_v2[] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x02 };
	static const uint8_t rar5_cut[] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x01 };
	static const uint8_t pk3[] = { 'P', 'K', 0x03 };
	static const uint8_t pk_0305[] = { 'P', 'K', 0x03, 0x05 };
	static const uint8_t pk_0102[] = { 'P', 'K', 0x01, 0x02 };
	static const uint8_t sz_bad[] = { '7', 'z', 0xbc, 0xaf, 0x27, 0x1d };
	static const uint8_t gz_method7[] = { 0x1f, 0x8b, 0x07, 0x00 };
	static const uint8_t gz_reserved[] = { 0x1f, 0x8b, 0x08, 0x20 };
	static const uint8_t gz_flags_ok[] = { 0x1f, 0x8b, 0x08, 0x1f };
	static const uint8_t bz_block[] = { 'B', 'Z', 'h', '1', 0x31, 0x41, 0x59,
		0x26, 0x53, 0x59 };
	static const uint8_t bz_eos[] = { 'B', 'Z', 'h', '9', 0x17, 0x72, 0x45,
		0x38, 0x50, 0x90 };
	static const uint8_t bz_bad_eos[] = { 'B', 'Z', 'h', '9', 0x17, 0x72,
		0x45, 0x38, 0x50, 0x91 };
	static const uint8_t xz_bad[] = { 0xfd, '7', 'z', 'X', 'Z', 0x01 };
	static const uint8_t zstd_bad[] = { 0x28, 0xb5, 0x2f, 0xfc };
	static const uint8_t zstd_skip_60[] = { 0x60, 0x2a, 0x4d, 0x18 };
	static const uint8_t zstd_skip_4f[] = { 0x4f, 0x2a, 0x4d, 0x18 };
	static const uint8_t cab_reserved[] = { 'M', 'S', 'C', 'F', 1, 0, 0, 0 };

	assert_int_equal(cls(state, rar_v2, sizeof(rar_v2)), PK_OTHER);
	assert_int_equal(cls(state, rar5_cut, sizeof(rar5_cut)), PK_OTHER);
	assert_int_equal(cls(state, pk3, sizeof(pk3)), PK_OTHER);
	assert_int_equal(cls(state, pk_0305, sizeof(pk_0305)), PK_OTHER);
	/* a central directory header does not start an archive */
	assert_int_equal(cls(state, pk_0102, sizeof(pk_0102)), PK_OTHER);
	assert_int_equal(cls(state, sz_bad, sizeof(sz_bad)), PK_OTHER);
	assert_int_equal(cls(state, gz_method7, sizeof(gz_method7)), PK_OTHER);
	assert_int_equal(cls(state, gz_reserved, sizeof(gz_reserved)), PK_OTHER);
	assert_int_equal(cls(state, gz_flags_ok, sizeof(gz_flags_ok)), PK_GZIP);
	assert_int_equal(cls(state, bz_block, sizeof(bz_block)), PK_BZIP2);
	assert_int_equal(cls(state, bz_eos, sizeof(bz_eos)), PK_BZIP2);
	assert_int_equal(cls(state, bz_bad_eos, sizeof(bz_bad_eos)), PK_OTHER);
	/* "BZh" + digit but no block magic after it: (printable) text */
	assert_int_equal(cls(state, "BZh91AY&SX", 10), PK_TEXT);
	/* printable look-alikes are text, not bzip2 */
	assert_int_equal(cls(state, "BZh0", 4), PK_TEXT);
	assert_int_equal(cls(state, "BZh9 is a block size", 20), PK_TEXT);
	assert_int_equal(cls(state, "BZ", 2), PK_TEXT);
	assert_int_equal(cls(state, xz_bad, sizeof(xz_bad)), PK_OTHER);
	assert_int_equal(cls(state, zstd_bad, sizeof(zstd_bad)), PK_OTHER);
	assert_int_equal(cls(state, zstd_skip_60, sizeof(zstd_skip_60)), PK_OTHER);
	assert_int_equal(cls(state, zstd_skip_4f, sizeof(zstd_skip_4f)), PK_OTHER);
	assert_int_equal(cls(state, cab_reserved, sizeof(cab_reserved)), PK_OTHER);
	assert_int_equal(cls(state, "MSCF", 4), PK_TEXT);
}

/* A real gzip stream, made here with zlib (windowBits 15 + 16 = gzip). */
static void
test_gzip_stream_from_zlib(void **state)
{
	static const char text[] = "The quick brown fox jumps over the lazy dog. "
	    "The quick brown fox jumps over the lazy dog.\n";
	uint8_t out[256];
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (const Bytef *)text;
	zs.avail_in = sizeof(text) - 1;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(out[0], 0x1f);
	assert_int_equal(cls(state, out, zs.total_out), PK_GZIP);
	deflateEnd(&zs);
}

static void
test_tls_records(void **state)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01,
		0x00, 0x00, 0xc4, 0x03, 0x03 };
	static const uint8_t appdata_max[] = { 0x17, 0x03, 0x03, 0x48, 0x00 };
	static const uint8_t ccs_ssl3[] = { 0x14, 0x03, 0x00, 0x00, 0x01, 0x01 };
	static const uint8_t alert_34[] = { 0x15, 0x03, 0x04, 0x00, 0x02 };
	static const uint8_t len_zero[] = { 0x17, 0x03, 0x03, 0x00, 0x00 };
	static const uint8_t len_over[] = { 0x17, 0x03, 0x03, 0x48, 0x01 };
	static const uint8_t type_24[] = { 0x18, 0x03, 0x03, 0x00, 0x10 };
	static const uint8_t type_19[] = { 0x13, 0x03, 0x03, 0x00, 0x10 };
	static const uint8_t ver_35[] = { 0x16, 0x03, 0x05, 0x00, 0x10 };
	static const uint8_t ver_20[] = { 0x16, 0x02, 0x00, 0x00, 0x10 };
	size_t k;

	assert_int_equal(cls(state, hello, sizeof(hello)), PK_TLS);
	assert_int_equal(cls(state, appdata_max, sizeof(appdata_max)), PK_TLS);
	assert_int_equal(cls(state, ccs_ssl3, sizeof(ccs_ssl3)), PK_TLS);
	assert_int_equal(cls(state, alert_34, sizeof(alert_34)), PK_TLS);
	assert_int_equal(cls(state, len_zero, sizeof(len_zero)), PK_OTHER);
	assert_int_equal(cls(state, len_over, sizeof(len_over)), PK_OTHER);
	assert_int_equal(cls(state, type_24, sizeof(type_24)), PK_OTHER);
	assert_int_equal(cls(state, type_19, sizeof(type_19)), PK_OTHER);
	assert_int_equal(cls(state, ver_35, sizeof(ver_35)), PK_OTHER);
	assert_int_equal(cls(state, ver_20, sizeof(ver_20)), PK_OTHER);
	for (k = 0; k < 5; k++)
		assert_int_equal(cls(state, hello, k), PK_OTHER);
}

static void
test_text_ascii(void **state)
{
	static const char req[] = "POST /upload HTTP/1.1\r\nHost: example.net\r\n"
	    "Content-Type: text/plain\r\n\tfolded\r\n\r\nhello=world&x=1\n";

	assert_int_equal(cls(state, req, sizeof(req) - 1), PK_TEXT);
}

static void
test_text_japanese(void **state)
{
	/* "日本語のテキストです。" then more of the same */
	static const char ja[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
	    "\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x81\xa7\xe3\x81"
	    "\x99\xe3\x80\x82";
	uint8_t buf[1500];
	size_t n = sizeof(ja) - 1, off;

	assert_int_equal(n, 33);
	assert_int_equal(cls(state, ja, n), PK_TEXT);
	/* cut in the middle of the last character: still text */
	assert_int_equal(cls(state, ja, n - 1), PK_TEXT);
	assert_int_equal(cls(state, ja, n - 2), PK_TEXT);
	/* 1500 bytes: the 1024-byte sample ends inside a character */
	for (off = 0; off + n <= sizeof(buf); off += n)
		memcpy(buf + off, ja, n);
	memset(buf + off, 'a', sizeof(buf) - off);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_TEXT);
}

/* 95% printable is text, below that is not. */
static void
test_text_threshold(void **state)
{
	uint8_t buf[100];

	memset(buf, 'x', sizeof(buf));
	memset(buf, 0x01, 5);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_TEXT);
	buf[5] = 0x01;
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	/* DEL and invalid UTF-8 count as binary */
	memset(buf, 'x', sizeof(buf));
	memset(buf, 0x7f, 6);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	memset(buf, 'x', sizeof(buf));
	buf[0] = 0xc0; buf[1] = 0xaf;   /* overlong '/' */
	buf[2] = 0xed; buf[3] = 0xa0; buf[4] = 0x80; /* surrogate */
	buf[5] = 0xf5;                  /* never valid */
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	buf[5] = 'x';                   /* exactly 5 bad bytes */
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_TEXT);
}

static void
test_high_entropy(void **state)
{
	uint8_t rnd[4096];

	fill_random(rnd, sizeof(rnd));
	assert_int_equal(cls(state, rnd, 1024), PK_HIGH_ENTROPY);
	/* longer than the sample: only the first 1024 bytes are deflated */
	assert_int_equal(cls(state, rnd, sizeof(rnd)), PK_HIGH_ENTROPY);
	assert_int_equal(cls(state, rnd, 64), PK_HIGH_ENTROPY);
	assert_int_equal(cls(state, rnd, 63), PK_OTHER);
	/* no classifier: no entropy test */
	assert_int_equal(classify_bytes(NULL, rnd, 1024), PK_OTHER);
}

/* Random bytes followed by zeros: the sample now deflates well. */
static void
test_low_entropy_binary(void **state)
{
	uint8_t buf[1024];
	size_t i;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i % 16);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x80 + i % 97);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
	fill_random(buf, 512);
	memset(buf + 512, 0, 512);
	assert_int_equal(cls(state, buf, sizeof(buf)), PK_OTHER);
}

/* Raw deflate, level 1, 2 KiB window: the setting classify.c documents. */
static size_t
deflated_size(const uint8_t *d, size_t n)
{
	uint8_t out[2048];
	z_stream zs;
	size_t got;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 1, Z_DEFLATED, -11, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = d;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	got = zs.total_out;
	deflateEnd(&zs);
	return got;
}

/*
 * Random bytes then zeros, sliding across the threshold: high-entropy
 * exactly when deflated + ceil(3% of len) >= len + 5.
 */
static void
test_entropy_threshold(void **state)
{
	uint8_t buf[1024];
	size_t lens[] = { 64, 100, 256, 1024 }, li, r, hits, misses;

	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		size_t len = lens[li];

		hits = misses = 0;
		for (r = len / 2; r <= len; r++) {
			size_t z, saving = (len * 3 + 99) / 100;
			bool want;

			fill_random(buf, r);
			memset(buf + r, 0, len - r);
			z = deflated_size(buf, len);
			want = z + saving >= len + 5;
			if (want)
				hits++;
			else
				misses++;
			if (cls(state, buf, len) !=
			    (want ? PK_HIGH_ENTROPY : PK_OTHER))
				fail_msg("len %zu random %zu deflated %zu", len, r, z);
		}
		/* both sides of the threshold were exercised */
		assert_true(hits > 0);
		assert_true(misses > 0);
	}
}

/* The deflate state is reset between calls: results do not depend on order. */
static void
test_reuse(void **state)
{
	uint8_t rnd[1024], zero[1024];
	int i;

	fill_random(rnd, sizeof(rnd));
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < 50; i++) {
		assert_int_equal(cls(state, rnd, sizeof(rnd)), PK_HIGH_ENTROPY);
		assert_int_equal(cls(state, zero, sizeof(zero)), PK_OTHER);
		assert_int_equal(cls(state, rnd + i, 100), PK_HIGH_ENTROPY);
	}
}

static void
test_short_inputs(void **state)
{
	uint8_t rnd[63];
	uint8_t one;

	fill_random(rnd, sizeof(rnd));
	assert_int_equal(cls(state, NULL, 0), PK_OTHER);
	assert_int_equal(cls(state, NULL, 10), PK_OTHER);
	assert_int_equal(cls(state, "", 0), PK_OTHER);
	assert_int_equal(cls(state, "a", 1), PK_TEXT);
	assert_int_equal(cls(state, "\n", 1), PK_TEXT);
	one = 0x00;
	assert_int_equal(cls(state, &one, 1), PK_OTHER);
	one = 0x1f;
	assert_int_equal(cls(state, &one, 1), PK_OTHER);
	one = 0xe3;     /* a lone lead byte: a cut character */
	assert_int_equal(cls(state, &one, 1), PK_TEXT);
	one = 0x80;
	assert_int_equal(cls(state, &one, 1), PK_OTHER);
	assert_int_equal(cls(state, rnd, sizeof(rnd)), PK_OTHER);
}

static void
test_free_null(void **state)
{
	(void)state;
	classifier_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_kind_is_compressed),
		cmocka_unit_test_setup_teardown(test_magic_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_magic_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_magic_near_misses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_stream_from_zlib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_ascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_japanese, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_high_entropy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_entropy_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entropy_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_inputs, setup, teardown),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
