/*
 * fuzz_json_escape.c - libFuzzer target: random bytes through
 * json_put_string(). The output must be one valid RFC 8259 string of
 * well-formed UTF-8 (RFC 3629) with no raw DEL, U+2028 or U+2029, and must
 * decode back to the input with each invalid byte replaced by U+FFFD. A
 * second call into a small buffer must stop at its end and flag overflow.
 *
 * Build and run (from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -Iinclude tests/fuzz/fuzz_json_escape.c src/alert/alert.c src/util/strbuf.c \
 *     src/proto/classify.c src/config/config.c src/util/netaddr.c src/util/util.c src/util/log.c \
 *     -lz -lyaml -o build/fuzz/fuzz_json_escape
 *   ./build/fuzz/fuzz_json_escape -max_total_time=60 NEW_CORPUS_DIR tests/fuzz/corpus_json_escape
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/alert/alert.h"
#include "exfild/util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "check failed: %s (line %d)\n",      \
			    #cond, __LINE__);                                \
			abort();                                             \
		}                                                            \
	} while (0)

/*
 * Decode one UTF-8 character by value (not by byte ranges as alert.c does):
 * returns its length, or 0 when it is malformed, overlong, a surrogate or
 * above U+10FFFF.
 */
static size_t
utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;
	uint32_t v;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min_for_len[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

static size_t
utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* What the string must decode to: each invalid byte becomes U+FFFD. */
static size_t
expected_text(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n) {
		k = utf8_decode(in + i, n - i, &cp);
		if (k == 0) {
			o += utf8_encode(0xfffd, out + o);
			i++;
		} else {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		}
	}
	return o;
}

static int
hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Validates the JSON string s[0..n) strictly and decodes it into out;
 * aborts on anything invalid. Returns the decoded length.
 */
static size_t
json_string_decode(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t i = 1, o = 0, k;
	uint32_t cp;
	int j, h;

	CHECK(n >= 2 && s[0] == '"' && s[n - 1] == '"');
	while (i < n - 1) {
		uint8_t c = s[i];

		CHECK(c >= 0x20 && c != 0x7f && c != '"');
		if (c == '\\') {
			CHECK(i + 1 < n - 1);
			c = s[i + 1];
			i += 2;
			switch (c) {
			case '"': out[o++] = '"'; break;
			case '\\': out[o++] = '\\'; break;
			case '/': out[o++] = '/'; break;
			case 'b': out[o++] = '\b'; break;
			case 'f': out[o++] = '\f'; break;
			case 'n': out[o++] = '\n'; break;
			case 'r': out[o++] = '\r'; break;
			case 't': out[o++] = '\t'; break;
			case 'u':
				CHECK(n - 1 - i >= 4);
				cp = 0;
				for (j = 0; j < 4; j++) {
					h = hex_value(s[i + (size_t)j]);
					CHECK(h >= 0);
					cp = cp << 4 | (uint32_t)h;
				}
				i += 4;
				CHECK(cp < 0xd800 || cp > 0xdfff);
				o += utf8_encode(cp, out + o);
				break;
			default:
				CHECK(!"unknown escape");
			}
			continue;
		}
		k = utf8_decode(s + i, n - 1 - i, &cp);
		CHECK(k > 0);
		CHECK(cp != 0x2028 && cp != 0x2029);
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = 6 * size + 3, small_cap, dec_len, want_len, full;
	char *buf = malloc(cap);
	uint8_t *dec = malloc(3 * size + 1), *want = malloc(3 * size + 1);
	char small[80];
	struct strbuf sb;

	CHECK(buf != NULL && dec != NULL && want != NULL);
	sb_init(&sb, buf, cap);
	json_put_string(&sb, (const char *)data, size);
	CHECK(!sb.overflow);
	CHECK(sb.len < cap && buf[sb.len] == '\0');
	dec_len = json_string_decode((const uint8_t *)buf, sb.len, dec);
	want_len = expected_text(data, size, want);
	CHECK(dec_len == want_len);
	CHECK(memcmp(dec, want, dec_len) == 0);

	/* a buffer that is too small: a prefix, flagged, nothing past it */
	full = sb.len;
	small_cap = size % (sizeof(small) - 1);
	memset(small, 'Z', sizeof(small));
	sb_init(&sb, small, small_cap);
	json_put_string(&sb, (const char *)data, size);
	CHECK(small[small_cap] == 'Z');
	if (small_cap > 0) {
		CHECK(sb.overflow == (full > small_cap - 1));
		CHECK(sb.len == (full < small_cap - 1 ? full : small_cap - 1));
		CHECK(small[sb.len] == '\0');
		CHECK(memcmp(small, buf, sb.len) == 0);
	} else {
		CHECK(sb.overflow && sb.len == 0);
	}

	free(buf);
	free(dec);
	free(want);
	return 0;
}
