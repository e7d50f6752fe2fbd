/*
 * test_sha1.c - SHA-1 against the FIPS 180 examples (one block, two
 * blocks, a million 'a'), the empty message, and fed in pieces of every
 * size so that block boundaries fall everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/util/sha1.h"

static void
hex(const uint8_t d[SHA1_DIGEST_LEN], char out[41])
{
	int i;

	for (i = 0; i < SHA1_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
check(const char *msg, size_t len, const char *want)
{
	uint8_t d[SHA1_DIGEST_LEN];
	char got[41];
	struct sha1 s;

	sha1_init(&s);
	sha1_update(&s, msg, len);
	sha1_final(&s, d);
	hex(d, got);
	assert_string_equal(got, want);
}

static void
test_fips180_examples(void **state)
{
	(void)state;
	/* FIPS 180-2 appendix A.1 and A.2 */
	check("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

/* FIPS 180-2 A.3: one million 'a', fed 1000 at a time. */
static void
test_million_a(void **state)
{
	char chunk[1000];
	uint8_t d[SHA1_DIGEST_LEN];
	char got[41];
	struct sha1 s;
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha1_init(&s);
	for (i = 0; i < 1000; i++)
		sha1_update(&s, chunk, sizeof(chunk));
	sha1_final(&s, d);
	hex(d, got);
	assert_string_equal(got, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* The two-block message fed in pieces of 1..56 bytes: the same digest. */
static void
test_pieces(void **state)
{
	static const char m[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[SHA1_DIGEST_LEN];
	char got[41];
	struct sha1 s;
	size_t step, i, n;

	(void)state;
	for (step = 1; step <= 56; step++) {
		sha1_init(&s);
		for (i = 0; i < 56; i += n) {
			n = 56 - i < step ? 56 - i : step;
			sha1_update(&s, m + i, n);
		}
		sha1_final(&s, d);
		hex(d, got);
		assert_string_equal(got, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips180_examples),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
