/*
 * util.h - small helpers shared by every module: allocation that aborts
 * (start-up and config paths only), bounded string copies, a keyed hash,
 * size/duration parsing and time formatting.
 */
#ifndef EXFILD_UTIL_H
#define EXFILD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exfild/util/cursor.h"

#define NS_PER_SEC 1000000000ULL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* Asks for transparent huge pages over the whole 2 MiB stretches of
 * [p, p + len) (a hint; nothing happens where THP is off). For memory that
 * fills from its start, so that a fault brings in 2 MiB, not 4 KiB. */
void mem_huge_pages(void *p, size_t len);

/*
 * Calls fn for each line of the text file at path (without its '\n'),
 * stopping at the first that returns -1: err is then "path:line: msg".
 * A file that cannot be opened or read: "path: reason". 0 or -1. Start-up
 * paths only (getline allocates).
 */
typedef int (*line_fn)(void *ctx, const uint8_t *line, size_t len, char *msg,
    size_t msglen);
int file_each_line(const char *path, line_fn fn, void *ctx, char *err,
    size_t errlen);

/* The smallest power of two >= n (hash table sizes). */
size_t round_pow2(size_t n);

/* Copy at most dstlen-1 bytes and NUL-terminate; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t dstlen);
/* Equal strings, or both NULL (optional config values). */
bool str_eq_nullable(const char *a, const char *b);
/* Length of the well-formed UTF-8 sequence at d (RFC 3629 4: no overlongs,
 * UTF-16 surrogates or code points above U+10FFFF), 0 when d does not
 * start one, also when it is cut short. len >= 1. */
size_t utf8_sequence(const uint8_t *d, size_t len);
/* The same; when cut is not NULL, *cut says whether the len bytes are a
 * valid start of a sequence that the end of the data cut short (a sample
 * that ends inside a character). */
size_t utf8_sequence_cut(const uint8_t *d, size_t len, bool *cut);

/*
 * TLS record header (RFC 8446 5.1, RFC 5246 6.2.1): ContentType one of
 * types (TLS_CT_BIT), ProtocolVersion 3.0 (SSL 3.0) .. 3.4, length 1 ..
 * TLS_RECORD_MAX. At least need bytes must be there; of the rest, what is
 * there is checked (type from 1 byte, version from 3, length from 5).
 */
#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext, RFC 5246 6.2.3 */
#define TLS_CT_BIT(t) (1u << (t))
bool tls_record_header_ok(const uint8_t *d, size_t len, size_t need,
    uint32_t types);
/* Copy n bytes of src (not NUL-terminated), lowercased, truncating. */
size_t str_copy_lower(char *dst, size_t dstlen, const uint8_t *src, size_t n);

/*
 * A domain name as the config and the indicator lists write it, the len
 * bytes at s (not NUL-terminated): "*.example.com", ".example.com" and
 * "example.com" all become "example.com" (the name and every subdomain),
 * lowercased, without a trailing dot, NUL-terminated in out (which may be
 * s). Labels are 1..63 of [a-z0-9_-], at most DOMAIN_MAX bytes; an
 * all-digit last label is a mistyped address. 0, or -1.
 */
#define DOMAIN_MAX 253
int domain_normalise(const char *s, size_t len, char *out, size_t outlen);

/* Untrusted bytes quoted for an error message: "text", bytes that are not
 * printable ASCII (and '"', '\\') as \xNN, cut with "..." after QUOTE_MAX
 * bytes of output. out needs QUOTE_BUF bytes to hold the longest. */
#define QUOTE_MAX 64
#define QUOTE_BUF (QUOTE_MAX + 16)
void quote_bytes(const struct cursor *bytes, char *out, size_t outlen);

/* len bytes as 2 * len lower-case hex digits and a NUL. */
void hex_encode(const uint8_t *in, size_t len, char *out);

/*
 * The Merkle-Damgard frame SHA-1 and SHA-256 share (FIPS 180-4 5.1.1):
 * 64-byte blocks handed to compress(state, block), and the padding (a 1
 * bit, zeros to 56 mod 64, the length in bits, big-endian).
 */
typedef void md_compress_fn(void *state, const uint8_t block[64]);
/* The part of a hash's state the frame keeps: the block being filled. */
struct md_buf {
	uint64_t bytes;      /* message length so far */
	uint8_t block[64];
	size_t used;         /* bytes waiting in block */
};
static inline uint32_t
md_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}
void md_update(struct md_buf *m, const void *data, size_t len,
    md_compress_fn *compress, void *state);
void md_pad(struct md_buf *m, md_compress_fn *compress, void *state);

/* A hex digit's value, -1 for any other byte. */
int hex_digit_value(uint8_t c);
/* A whole field as a decimal uint64: no sign, no blanks, no overflow.
 * 0, or -1. */
int parse_dec_u64(const struct cursor *field, uint64_t *out);
/* A whole field of exactly 2 * len hex digits into len bytes. 0, or -1. */
int parse_hex_bytes(const struct cursor *field, uint8_t *out, size_t len);
/* A name as a state-file field: [a-z0-9._-] as they are, any other byte
 * %XX; "" as "-" and the name "-" as %2D. 0, or -1 (write error). */
int field_write_name(FILE *fp, const char *name);
/* Undoes field_write_name (upper-case letters are taken as they are): the
 * raw bytes into out, NUL-terminated, their count in *len. -1 for a bad or
 * %00 escape, another byte, or more than outlen - 1 bytes. */
int field_parse_name(const struct cursor *field, char *out, size_t outlen,
    size_t *len);

/* SipHash-2-4 with a 128-bit key. */
struct hash_key {
	uint64_t k0, k1;
};
uint64_t hash_bytes(const struct hash_key *key, const void *data, size_t len);
/*
 * SipHash-1-3 over n 64-bit words (as their little-endian bytes): the
 * per-packet table hash. One compression and three finalisation rounds,
 * as in Rust's and CPython's hash tables: keyed against hash flooding,
 * about half the cost of SipHash-2-4. Inline, so that a caller with a
 * constant n gets it unrolled.
 */
#define HASH_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define HASH_SIPROUND(v0, v1, v2, v3)                                     \
	do {                                                              \
		v0 += v1; v1 = HASH_ROTL(v1, 13); v1 ^= v0;               \
		v0 = HASH_ROTL(v0, 32);                                   \
		v2 += v3; v3 = HASH_ROTL(v3, 16); v3 ^= v2;               \
		v0 += v3; v3 = HASH_ROTL(v3, 21); v3 ^= v0;               \
		v2 += v1; v1 = HASH_ROTL(v1, 17); v1 ^= v2;               \
		v2 = HASH_ROTL(v2, 32);                                   \
	} while (0)

/* Its state, and the steps: start, one word, the end (n: words hashed). */
struct hash_state {
	uint64_t v0, v1, v2, v3;
};

static inline struct hash_state
hash_start(const struct hash_key *key)
{
	struct hash_state s = {
		0x736f6d6570736575ULL ^ key->k0, 0x646f72616e646f6dULL ^ key->k1,
		0x6c7967656e657261ULL ^ key->k0, 0x7465646279746573ULL ^ key->k1,
	};

	return s;
}

static inline void
hash_word(struct hash_state *s, uint64_t w)
{
	s->v3 ^= w;
	HASH_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= w;
}

/* tail: the message's last 0..7 bytes (little-endian) after its whole
 * words; len: the message's length in bytes. */
static inline uint64_t
hash_finish(struct hash_state *s, uint64_t tail, size_t len)
{
	uint64_t b = tail | (uint64_t)len << 56;

	s->v3 ^= b;
	HASH_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= b;
	s->v2 ^= 0xff;
	HASH_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	HASH_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	HASH_SIPROUND(s->v0, s->v1, s->v2, s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline uint64_t
hash_words(const struct hash_key *key, const uint64_t *w, size_t n)
{
	struct hash_state s = hash_start(key);
	size_t i;

	for (i = 0; i < n; i++)
		hash_word(&s, w[i]);
	return hash_finish(&s, 0, n * 8);
}

/* The same over a message of 8 to 15 bytes, kept in registers: its first
 * word and the len - 8 bytes after it (the IPv4 flow key: one compression
 * fewer than two whole words). */
static inline uint64_t
hash_word_tail(const struct hash_key *key, uint64_t w, uint64_t tail,
    size_t len)
{
	struct hash_state s = hash_start(key);

	hash_word(&s, w);
	return hash_finish(&s, tail, len);
}
/* Fill a key from the system's random source (getrandom); 0 or -1. */
int hash_key_random(struct hash_key *key);

/*
 * "50MB" (powers of 1000), "1MiB" (powers of 1024), "512B", "1024";
 * "30s", "5m", "1h", "7d", bare number = seconds. 0 or -1.
 */
int parse_size(const char *s, uint64_t *out);
int parse_duration(const char *s, uint64_t *seconds);

/* RFC 3339 UTC with milliseconds: 2014-06-12T03:04:05.123Z (24 chars + NUL). */
#define RFC3339_LEN 25
void format_rfc3339_ms(uint64_t ts_ns, char out[RFC3339_LEN]);

/* Monotonic and real clocks in ns. */
uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);

#endif
