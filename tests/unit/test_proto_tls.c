/*
 * test_proto_tls.c - ClientHello reader: ClientHellos built here, with and
 * without server_name, spread over records and segments in every way
 * (record headers split, one byte per record, byte by byte), too large,
 * malformed, or not TLS at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "exfild/proto/proto_tls.h"
#include "exfild/util/util.h"

#define BUF_MAX 24000

struct bytes {
	uint8_t b[BUF_MAX];
	size_t n;
};

static void
put8(struct bytes *o, unsigned v)
{
	assert_true(o->n < BUF_MAX);
	o->b[o->n++] = (uint8_t)v;
}

static void
put16(struct bytes *o, unsigned v)
{
	put8(o, v >> 8);
	put8(o, v & 0xff);
}

static void
put24(struct bytes *o, size_t v)
{
	put8(o, (unsigned)(v >> 16) & 0xff);
	put16(o, (unsigned)v & 0xffff);
}

static void
put(struct bytes *o, const void *p, size_t n)
{
	assert_true(n <= BUF_MAX - o->n);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
fill(struct bytes *o, uint8_t v, size_t n)
{
	assert_true(n <= BUF_MAX - o->n);
	memset(o->b + o->n, v, n);
	o->n += n;
}

/* What goes into a test ClientHello. */
struct hello_opts {
	const char *sni;	/* NULL: no server_name extension */
	size_t sni_len;		/* 0: strlen(sni) */
	size_t key_share;	/* bytes of key_share data before server_name */
	bool ech;		/* an encrypted_client_hello extension first */
	bool no_extensions;	/* stop after compression_methods */
	unsigned sid_len;
	unsigned suites_len;
	uint8_t hs_type;	/* 0: ClientHello */
	bool sni_other_type_first; /* a name_type 1 entry before host_name */
};

/* ClientHello handshake message (header included). */
static void
build_hello(struct bytes *o, const struct hello_opts *h)
{
	struct bytes body, ext;
	size_t name_len;

	memset(&body, 0, sizeof(body));
	memset(&ext, 0, sizeof(ext));
	put16(&body, 0x0303);
	fill(&body, 0xab, 32);				/* random */
	put8(&body, h->sid_len);
	fill(&body, 0x5a, h->sid_len);
	put16(&body, h->suites_len);
	fill(&body, 0x13, h->suites_len);
	put8(&body, 1);					/* compression: null */
	put8(&body, 0);
	if (!h->no_extensions) {
		put16(&ext, 43);			/* supported_versions */
		put16(&ext, 3);
		put8(&ext, 2);
		put16(&ext, 0x0304);
		if (h->ech) {
			put16(&ext, 0xfe0d);
			put16(&ext, 40);
			fill(&ext, 0xec, 40);
		}
		if (h->key_share > 0) {
			put16(&ext, 51);
			put16(&ext, (unsigned)h->key_share);
			fill(&ext, 0x4b, h->key_share);
		}
		if (h->sni != NULL) {
			name_len = h->sni_len != 0 ? h->sni_len : strlen(h->sni);
			put16(&ext, 0);
			put16(&ext, (unsigned)(name_len + 5 +
			    (h->sni_other_type_first ? 6 : 0)));
			put16(&ext, (unsigned)(name_len + 3 +
			    (h->sni_other_type_first ? 6 : 0)));
			if (h->sni_other_type_first) {
				put8(&ext, 1);
				put16(&ext, 3);
				put(&ext, "odd", 3);
			}
			put8(&ext, 0);
			put16(&ext, (unsigned)name_len);
			put(&ext, h->sni, name_len);
		}
		put16(&ext, 10);			/* supported_groups */
		put16(&ext, 4);
		put16(&ext, 2);
		put16(&ext, 29);
		put16(&body, (unsigned)ext.n);
		put(&body, ext.b, ext.n);
	}
	put8(o, h->hs_type != 0 ? h->hs_type : 1);
	put24(o, body.n);
	put(o, body.b, body.n);
}

/* Handshake bytes wrapped in records of at most max payload bytes. */
static void
wrap_records(struct bytes *o, const struct bytes *hs, size_t max)
{
	size_t off, n;

	for (off = 0; off < hs->n; off += n) {
		n = hs->n - off < max ? hs->n - off : max;
		put8(o, 22);
		put16(o, off == 0 ? 0x0301 : 0x0303);
		put16(o, (unsigned)n);
		put(o, hs->b + off, n);
	}
}

static struct bytes hs_buf, stream_buf;
static struct tls_parser parser;

static const struct bytes *
hello_stream(const struct hello_opts *h, size_t max_record)
{
	memset(&hs_buf, 0, sizeof(hs_buf));
	memset(&stream_buf, 0, sizeof(stream_buf));
	build_hello(&hs_buf, h);
	wrap_records(&stream_buf, &hs_buf, max_record);
	return &stream_buf;
}

static enum tls_result
feed_whole(const struct bytes *s, char sni[TLS_SNI_MAX])
{
	tls_parser_init(&parser);
	memset(sni, 0, TLS_SNI_MAX);
	return tls_parser_feed(&parser, s->b, s->n, sni);
}

/* Byte by byte: NEED_MORE until the last byte needed, then the result. */
static enum tls_result
feed_bytewise(const uint8_t *b, size_t n, char sni[TLS_SNI_MAX],
    size_t *at)
{
	enum tls_result r = TLS_NEED_MORE;
	size_t i;

	tls_parser_init(&parser);
	memset(sni, 0, TLS_SNI_MAX);
	for (i = 0; i < n && r == TLS_NEED_MORE; i++)
		r = tls_parser_feed(&parser, b + i, 1, sni);
	*at = i;
	return r;
}

/* The parser's saved state put back into another (a restart between two
 * segments: track/state.h), over bytes that are no state. */
static size_t resumed_mid_hello; /* restores tried with a hostile length */
static void
resume_saved(void)
{
	static uint8_t saved[sizeof(struct tls_parser)];
	static struct tls_parser other;
	size_t n = tls_parser_saved_len(&parser);

	memcpy(saved, &parser, n);
	memset(&other, 0x5a, sizeof(other));
	assert_true(tls_parser_restore(&other, saved, n));
	assert_false(tls_parser_restore(&other, saved, n + 1));
	/* a hello being gathered whose header claims more than fits (the
	 * next bytes would be copied past the buffer): refused */
	if (parser.done == TLS_NEED_MORE && parser.have >= 4) {
		uint8_t keep[3];
		size_t at = offsetof(struct tls_parser, buf) + 1;

		memcpy(keep, saved + at, 3);
		memset(saved + at, 0xff, 3);
		assert_false(tls_parser_restore(&other, saved, n));
		memcpy(saved + at, keep, 3);
		resumed_mid_hello++;
	}
	parser = other;
}

/* Whole, byte by byte, and split at every offset (with a save and restore
 * at the split) all give res and name. */
static void
assert_all_ways(const struct bytes *s, enum tls_result res,
    const char *name)
{
	char sni[TLS_SNI_MAX];
	size_t k, at;
	enum tls_result r;

	assert_int_equal(feed_whole(s, sni), res);
	if (name != NULL)
		assert_string_equal(sni, name);
	assert_int_equal(feed_bytewise(s->b, s->n, sni, &at), res);
	if (name != NULL)
		assert_string_equal(sni, name);
	for (k = 1; k < s->n; k++) {
		tls_parser_init(&parser);
		memset(sni, 0, sizeof(sni));
		r = tls_parser_feed(&parser, s->b, k, sni);
		resume_saved();
		if (r == TLS_NEED_MORE)
			r = tls_parser_feed(&parser, s->b + k, s->n - k, sni);
		assert_int_equal(r, res);
		if (name != NULL)
			assert_string_equal(sni, name);
	}
}

static void
test_sni_found(void **state)
{
	struct hello_opts h = { .sni = "Www.Example.COM", .sid_len = 32,
	    .suites_len = 8 };
	const struct bytes *s = hello_stream(&h, 16384);
	char sni[TLS_SNI_MAX];
	size_t at;

	(void)state;
	assert_int_equal(feed_whole(s, sni), TLS_SNI_FOUND);
	assert_string_equal(sni, "www.example.com");
	/* Later feeds give the same answer, and the name again. */
	memset(sni, 0, sizeof(sni));
	assert_int_equal(tls_parser_feed(&parser, (const uint8_t *)"x", 1, sni),
	    TLS_SNI_FOUND);
	assert_string_equal(sni, "www.example.com");
	assert_int_equal(tls_parser_feed(&parser, NULL, 0, NULL), TLS_SNI_FOUND);
	/* Byte by byte the answer comes with the very last byte. */
	assert_int_equal(feed_bytewise(s->b, s->n, sni, &at), TLS_SNI_FOUND);
	assert_int_equal(at, s->n);
	assert_string_equal(sni, "www.example.com");
	assert_all_ways(s, TLS_SNI_FOUND, "www.example.com");
	assert_true(resumed_mid_hello > 0); /* the hostile-length check ran */
}

static void
test_no_sni(void **state)
{
	struct hello_opts h = { .sid_len = 0, .suites_len = 2 };
	struct hello_opts none = { .sid_len = 32, .suites_len = 4,
	    .no_extensions = true };
	char sni[TLS_SNI_MAX];

	(void)state;
	assert_all_ways(hello_stream(&h, 16384), TLS_NO_SNI, NULL);
	assert_int_equal(feed_whole(hello_stream(&none, 16384), sni), TLS_NO_SNI);
	assert_all_ways(hello_stream(&none, 16384), TLS_NO_SNI, NULL);
	assert_int_equal(tls_parser_feed(&parser, (const uint8_t *)"\x16", 1,
	    sni), TLS_NO_SNI);
}

/* SNI after a 1,500-byte key_share: two records, two segments. */
static void
test_sni_after_big_key_share(void **state)
{
	struct hello_opts h = { .sni = "upload.example.net", .key_share = 1500,
	    .sid_len = 32, .suites_len = 32 };
	const struct bytes *s = hello_stream(&h, 1200);
	char sni[TLS_SNI_MAX];

	(void)state;
	assert_true(hs_buf.n > 1500 + 100);
	assert_int_equal(s->n, hs_buf.n + 10);	/* two record headers */
	tls_parser_init(&parser);
	memset(sni, 0, sizeof(sni));
	assert_int_equal(tls_parser_feed(&parser, s->b, 1448, sni),
	    TLS_NEED_MORE);
	assert_int_equal(tls_parser_feed(&parser, s->b + 1448, s->n - 1448,
	    sni), TLS_SNI_FOUND);
	assert_string_equal(sni, "upload.example.net");
	assert_all_ways(s, TLS_SNI_FOUND, "upload.example.net");
}

static void
test_record_header_split(void **state)
{
	struct hello_opts h = { .sni = "split.example", .sid_len = 16,
	    .suites_len = 6 };
	const struct bytes *s = hello_stream(&h, 16384);
	char sni[TLS_SNI_MAX];

	(void)state;
	tls_parser_init(&parser);
	assert_int_equal(tls_parser_feed(&parser, s->b, 1, sni), TLS_NEED_MORE);
	assert_int_equal(tls_parser_feed(&parser, s->b + 1, 4, sni),
	    TLS_NEED_MORE);
	assert_int_equal(tls_parser_feed(&parser, s->b + 5, 2, sni),
	    TLS_NEED_MORE);
	assert_int_equal(tls_parser_feed(&parser, s->b + 7, s->n - 7, sni),
	    TLS_SNI_FOUND);
	assert_string_equal(sni, "split.example");
}

/* Every handshake byte in a record of its own. */
static void
test_one_byte_records(void **state)
{
	struct hello_opts h = { .sni = "tiny.example", .sid_len = 32,
	    .suites_len = 4, .ech = true };
	const struct bytes *s = hello_stream(&h, 1);

	(void)state;
	assert_int_equal(s->n, hs_buf.n * 6);
	assert_all_ways(s, TLS_SNI_FOUND, "tiny.example");
}

static void
test_oversize(void **state)
{
	struct hello_opts h = { .sni = "big.example", .key_share = 9000,
	    .sid_len = 32, .suites_len = 4 };
	const struct bytes *s = hello_stream(&h, 16384);
	char sni[TLS_SNI_MAX];

	(void)state;
	assert_true(hs_buf.n > TLS_HELLO_MAX);
	/* Known as soon as the handshake header is in. */
	tls_parser_init(&parser);
	assert_int_equal(tls_parser_feed(&parser, s->b, 8, sni), TLS_NEED_MORE);
	assert_int_equal(tls_parser_feed(&parser, s->b + 8, 1, sni),
	    TLS_MALFORMED);
	assert_int_equal(tls_parser_feed(&parser, s->b + 9, s->n - 9, sni),
	    TLS_MALFORMED);
	assert_all_ways(s, TLS_MALFORMED, NULL);
	/* Exactly TLS_HELLO_MAX still fits. */
	h.key_share = 0;
	hello_stream(&h, 16384);
	h.key_share = TLS_HELLO_MAX - hs_buf.n - 4;	/* 4: extension header */
	s = hello_stream(&h, 16384);
	assert_int_equal(hs_buf.n, TLS_HELLO_MAX);
	assert_all_ways(s, TLS_SNI_FOUND, "big.example");
	h.key_share++;
	assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
}

static void
test_not_tls(void **state)
{
	static const struct {
		const char *b;
		size_t n;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n", 16 },
		{ "\x17\x03\x03\x00\x10", 5 },		/* application data first */
		{ "\x15\x03\x03\x00\x02\x02\x28", 7 },	/* alert */
		{ "\x16\x02\x00\x00\x10", 5 },		/* version 2.0 */
		{ "\x16\x03\x05\x00\x10", 5 },		/* minor 5 */
		{ "\x16\x03\x01\x00\x00", 5 },		/* empty record */
		{ "\x16\x03\x01\x48\x01", 5 },		/* 18433 bytes */
		{ "\x80\x2e\x01\x03\x01", 5 },		/* SSLv2 hello */
	};
	char sni[TLS_SNI_MAX];
	struct bytes s;
	size_t i, at;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		put(&s, cases[i].b, cases[i].n);
		assert_int_equal(feed_whole(&s, sni), TLS_NOT_TLS);
		assert_int_equal(feed_bytewise(s.b, s.n, sni, &at), TLS_NOT_TLS);
		assert_int_equal(tls_parser_feed(&parser, s.b, s.n, sni),
		    TLS_NOT_TLS);
	}
	/* Known from the first byte already. */
	tls_parser_init(&parser);
	assert_int_equal(tls_parser_feed(&parser, (const uint8_t *)"G", 1, sni),
	    TLS_NOT_TLS);
	/* 18432 bytes is the largest record allowed. */
	tls_parser_init(&parser);
	assert_int_equal(tls_parser_feed(&parser,
	    (const uint8_t *)"\x16\x03\x01\x48\x00", 5, sni), TLS_NEED_MORE);
}

#define LOOKS(lit) tls_looks_like_record((const uint8_t *)(lit), \
	sizeof(lit) - 1)

static void
test_looks_like_record(void **state)
{
	(void)state;
	assert_true(LOOKS("\x16\x03\x01\x02\x00"));
	assert_true(LOOKS("\x17\x03\x03\x00\x20"));
	assert_true(LOOKS("\x16\x03\x00\x48\x00"));	/* 18432 */
	assert_true(LOOKS("\x16\x03\x04"));		/* length not yet in */
	assert_false(LOOKS("\x16\x03\x01\x48\x01"));	/* 18433 */
	assert_false(LOOKS("\x16\x03\x01\x00\x00"));
	assert_false(LOOKS("\x16\x03\x05\x00\x10"));
	assert_false(LOOKS("\x15\x03\x01\x00\x02"));
	assert_false(LOOKS("\x16\x02\x01\x00\x02"));
	assert_false(LOOKS("GET /"));
	assert_false(LOOKS("\x16\x03"));
	assert_false(tls_looks_like_record(NULL, 0));
}

static void
test_malformed_hellos(void **state)
{
	struct hello_opts h;
	struct bytes s;
	char sni[TLS_SNI_MAX];

	(void)state;
	/* NUL inside the name */
	memset(&h, 0, sizeof(h));
	h.sni = "evil.example\0.good.example";
	h.sni_len = 26;
	h.suites_len = 2;
	assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
	/* name of 256 bytes does not fit; 255 does */
	{
		char name[257];

		memset(name, 'n', 256);
		name[256] = '\0';
		h.sni = name;
		h.sni_len = 0;
		assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
		name[255] = '\0';
		assert_int_equal(feed_whole(hello_stream(&h, 16384), sni),
		    TLS_SNI_FOUND);
		assert_int_equal(strlen(sni), 255);
	}
	/* session_id of 33 bytes */
	memset(&h, 0, sizeof(h));
	h.sni = "a.example";
	h.sid_len = 33;
	h.suites_len = 2;
	assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
	/* odd cipher_suites length */
	h.sid_len = 0;
	h.suites_len = 3;
	assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
	/* not a ClientHello (ServerHello) */
	h.suites_len = 2;
	h.hs_type = 2;
	assert_all_ways(hello_stream(&h, 16384), TLS_MALFORMED, NULL);
	/* empty handshake message */
	memset(&s, 0, sizeof(s));
	put(&s, "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9);
	assert_all_ways(&s, TLS_MALFORMED, NULL);
	/* an alert record in the middle of the hello */
	h.hs_type = 0;
	h.key_share = 100;
	hello_stream(&h, 50);
	stream_buf.b[55] = 21;
	assert_all_ways(&stream_buf, TLS_MALFORMED, NULL);
	/* a zero-length second record */
	hello_stream(&h, 50);
	stream_buf.b[58] = 0;
	stream_buf.b[59] = 0;
	assert_all_ways(&stream_buf, TLS_MALFORMED, NULL);
}

/* Length fields that disagree with what follows. */
static void
test_inconsistent_lengths(void **state)
{
	struct hello_opts h = { .sni = "len.example", .sid_len = 0,
	    .suites_len = 2 };
	size_t ext_len_off = 4 + 2 + 32 + 1 + 2 + 2 + 2;
	size_t sni_ext_off, i;
	struct bytes base;

	(void)state;
	memset(&base, 0, sizeof(base));
	build_hello(&base, &h);
	/* extensions length one too many, one too few */
	for (i = 0; i < 2; i++) {
		memset(&hs_buf, 0, sizeof(hs_buf));
		put(&hs_buf, base.b, base.n);
		hs_buf.b[ext_len_off + 1] = (uint8_t)(hs_buf.b[ext_len_off + 1] +
		    (i == 0 ? 1 : -1));
		memset(&stream_buf, 0, sizeof(stream_buf));
		wrap_records(&stream_buf, &hs_buf, 16384);
		assert_all_ways(&stream_buf, TLS_MALFORMED, NULL);
	}
	/* server_name list length and name length off by one */
	sni_ext_off = ext_len_off + 2 + 7;
	assert_int_equal(base.b[sni_ext_off + 1], 0);	/* type server_name */
	for (i = 0; i < 4; i++) {
		size_t at = sni_ext_off + 4 + (i < 2 ? 1 : 4);

		memset(&hs_buf, 0, sizeof(hs_buf));
		put(&hs_buf, base.b, base.n);
		hs_buf.b[at] = (uint8_t)(hs_buf.b[at] + (i % 2 == 0 ? 1 : -1));
		memset(&stream_buf, 0, sizeof(stream_buf));
		wrap_records(&stream_buf, &hs_buf, 16384);
		assert_all_ways(&stream_buf, TLS_MALFORMED, NULL);
	}
}

/* The stream cut at every offset never gives an answer early. */
static void
test_truncated_every_offset(void **state)
{
	struct hello_opts h = { .sni = "cut.example", .key_share = 300,
	    .sid_len = 32, .suites_len = 10 };
	const struct bytes *s = hello_stream(&h, 200);
	char sni[TLS_SNI_MAX];
	size_t k;

	(void)state;
	for (k = 0; k < s->n; k++) {
		tls_parser_init(&parser);
		assert_int_equal(tls_parser_feed(&parser, s->b, k, sni),
		    TLS_NEED_MORE);
	}
}

static void
test_sni_variants(void **state)
{
	struct hello_opts h = { .sni = "second.example", .suites_len = 2,
	    .sni_other_type_first = true, .ech = true };
	const struct bytes *s;
	size_t rec_len;

	(void)state;
	assert_all_ways(hello_stream(&h, 16384), TLS_SNI_FOUND,
	    "second.example");
	/* Bytes after the hello in its record (another message) are left. */
	h.sni_other_type_first = false;
	s = hello_stream(&h, 16384);
	rec_len = (size_t)stream_buf.b[3] << 8 | stream_buf.b[4];
	rec_len += 4;
	stream_buf.b[3] = (uint8_t)(rec_len >> 8);
	stream_buf.b[4] = (uint8_t)rec_len;
	put(&stream_buf, "\x0b\x00\x00\x00", 4);
	assert_all_ways(s, TLS_SNI_FOUND, "second.example");
}

/* The one record header check that this reader and the classifier share:
 * what is present is checked, at least need bytes must be. */
static void
test_record_header_shared(void **state)
{
	static const uint8_t hs[] = { 22, 3, 1, 0x48, 0x00 };   /* 2048 + 16384 */
	static const uint8_t big[] = { 22, 3, 3, 0x48, 0x01 };
	static const uint8_t ccs[] = { 20, 3, 3, 0x00, 0x01 };
	const uint32_t hs_only = TLS_CT_BIT(22);

	(void)state;
	assert_true(tls_record_header_ok(hs, 5, 5, hs_only));
	assert_false(tls_record_header_ok(hs, 4, 5, hs_only));	/* short */
	assert_true(tls_record_header_ok(hs, 4, 3, hs_only));	/* no length yet */
	assert_true(tls_record_header_ok(hs, 3, 3, hs_only));
	assert_false(tls_record_header_ok(hs, 2, 3, hs_only));
	assert_true(tls_record_header_ok(hs, 1, 0, hs_only));
	assert_true(tls_record_header_ok(hs, 0, 0, hs_only));
	assert_false(tls_record_header_ok(big, 5, 5, hs_only));	/* too long */
	assert_true(tls_record_header_ok(big, 4, 0, hs_only));
	assert_false(tls_record_header_ok(ccs, 1, 0, hs_only));
	assert_true(tls_record_header_ok(ccs, 5, 5, TLS_CT_BIT(20)));
	assert_false(tls_record_header_ok((const uint8_t[]){ 22, 3, 5 }, 3, 3,
	    hs_only));						/* version 3.5 */
	assert_false(tls_record_header_ok((const uint8_t[]){ 22, 2, 0 }, 3, 3,
	    hs_only));
	assert_false(tls_record_header_ok((const uint8_t[]){ 22, 3, 1, 0, 0 },
	    5, 5, hs_only));					/* length 0 */
	assert_false(tls_record_header_ok((const uint8_t[]){ 200 }, 1, 1,
	    0xffffffffu));					/* type >= 32 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni_found),
		cmocka_unit_test(test_no_sni),
		cmocka_unit_test(test_sni_after_big_key_share),
		cmocka_unit_test(test_record_header_split),
		cmocka_unit_test(test_one_byte_records),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_looks_like_record),
		cmocka_unit_test(test_record_header_shared),
		cmocka_unit_test(test_malformed_hellos),
		cmocka_unit_test(test_inconsistent_lengths),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_sni_variants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
