/*
 * test_sha256.c - SHA-256 against the FIPS 180 examples ("abc", the
 * 448-bit message, a million 'a'), the empty message, and fed in pieces of
 * every size so that block boundaries fall everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/util/sha256.h"

static void
check(const char *msg, size_t len, const char *want)
{
	char got[SHA256_HEX_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, msg, len);
	sha256_final_hex(&s, got);
	assert_string_equal(got, want);
}

static void
test_fips180_examples(void **state)
{
	(void)state;
	check("abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check("", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_million_a(void **state)
{
	char chunk[1000], got[SHA256_HEX_LEN];
	struct sha256 s;
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sha256_update(&s, chunk, sizeof(chunk));
	sha256_final_hex(&s, got);
	assert_string_equal(got,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* The 448-bit message in pieces of 1..56 bytes: the same digest. */
static void
test_pieces(void **state)
{
	static const char msg[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char got[SHA256_HEX_LEN];
	struct sha256 s;
	size_t step, off, n;

	(void)state;
	for (step = 1; step <= 56; step++) {
		sha256_init(&s);
		for (off = 0; off < 56; off += n) {
			n = 56 - off < step ? 56 - off : step;
			sha256_update(&s, msg + off, n);
		}
		sha256_final_hex(&s, got);
		assert_string_equal(got, "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1");
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
