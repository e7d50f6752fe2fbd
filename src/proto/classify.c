/*
 * classify.c - what kind of bytes a host sends: archive/compressor magic
 * numbers, TLS record headers (RFC 8446 §5.1), UTF-8 text (RFC 3629) and
 * "high-entropy" samples that deflate (RFC 1951, zlib) cannot shrink.
 */
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST /* next_in is const: the sample is never written */
#include <zlib.h>

#include "exfild/proto/classify.h"
#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

/*
 * Entropy test. The first CLASSIFY_SAMPLE_MAX bytes are deflated (raw
 * deflate, level 1). A stored block costs the input plus 5 bytes (RFC 1951
 * §3.2.4: block header padded to a byte, LEN, NLEN); a sample is
 * "high-entropy" when deflate saves less than 3% of the input against that:
 *
 *     deflated + ceil(3% of len) >= len + 5
 *
 * which is deflated >= 97.5% of a 1024-byte sample, but stays meaningful on
 * short samples where the stored-block overhead dominates. Measured with
 * this exact deflate setting on aligned chunks (fraction rated high-entropy):
 *
 *     sample   random   .gz bodies   ELF binaries   PNG   C headers
 *     1024     100%     99.2%        0.37%          66%   0%
 *      256     100%     99.4%        0.59%          68%   0%
 *       64     100%     99.3%        4.7%           73%   0%
 *
 * (random: 4 MB of /dev/urandom, every chunk deflates to len + 5, or at
 * least len + 3 at 64 bytes; ELF: /usr/bin and shared libraries, whose hits
 * are mostly embedded compressed sections; PNG hits are the zlib-compressed
 * IDAT data.) A plain "deflated >= 97% of len" rule rates 31% of 64-byte ELF
 * chunks high-entropy, which is why the overhead is taken into account.
 * Below ENTROPY_MIN_SAMPLE bytes the test is not run at all.
 */
#define ENTROPY_MIN_SAMPLE 64
#define ENTROPY_SAVING_PCT 3
#define DEFLATE_STORED_OVERHEAD 5
#define DEFLATE_LEVEL 1
/* A 2 KiB window covers the whole 1 KiB sample; memLevel 8 is zlib's
 * default. State is about 140 KB, made once per classifier. */
#define DEFLATE_WINDOW_BITS (-11) /* negative: raw deflate, no wrapper */
#define DEFLATE_MEM_LEVEL 8

/* Text: at least TEXT_MIN_PCT of the sample is printable or UTF-8. */
#define TEXT_MIN_PCT 95

struct classifier {
	z_stream zs;
	uint8_t *out;
	size_t out_cap;
};

static const char *const kind_names[PK_COUNT] = {
	[PK_OTHER] = "other",
	[PK_TEXT] = "text",
	[PK_TLS] = "tls",
	[PK_RAR] = "rar",
	[PK_ZIP] = "zip",
	[PK_7Z] = "7z",
	[PK_GZIP] = "gzip",
	[PK_BZIP2] = "bzip2",
	[PK_XZ] = "xz",
	[PK_ZSTD] = "zstd",
	[PK_CAB] = "cab",
	[PK_HIGH_ENTROPY] = "high-entropy",
};

const char *
payload_kind_name(enum payload_kind k)
{
	if ((unsigned)k >= PK_COUNT)
		return "other";
	return kind_names[k];
}

bool
payload_kind_is_compressed(enum payload_kind k)
{
	return (k >= PK_RAR && k <= PK_CAB) || k == PK_HIGH_ENTROPY;
}

struct classifier *
classifier_new(void)
{
	struct classifier *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("classifier_new: calloc");
		return NULL;
	}
	rc = deflateInit2(&c->zs, DEFLATE_LEVEL, Z_DEFLATED, DEFLATE_WINDOW_BITS,
	    DEFLATE_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	if (rc != Z_OK) {
		log_warnx("classifier_new: deflateInit2: %s",
		    c->zs.msg != NULL ? c->zs.msg : zError(rc));
		free(c);
		return NULL;
	}
	c->out_cap = deflateBound(&c->zs, CLASSIFY_SAMPLE_MAX);
	c->out = malloc(c->out_cap);
	if (c->out == NULL) {
		log_warn("classifier_new: malloc %zu bytes", c->out_cap);
		deflateEnd(&c->zs);
		free(c);
		return NULL;
	}
	return c;
}

void
classifier_free(struct classifier *c)
{
	if (c == NULL)
		return;
	deflateEnd(&c->zs);
	free(c->out);
	free(c);
}

static bool
has_prefix(const uint8_t *data, size_t len, const uint8_t *magic, size_t n)
{
	return len >= n && memcmp(data, magic, n) == 0;
}

/* RAR: RARLAB "RAR 5.0 archive format" technote, General archive layout:
 * RAR 1.5-4.x "Rar!" 1A 07 00, RAR 5.0 "Rar!" 1A 07 01 00. */
static bool
is_rar(const uint8_t *d, size_t len)
{
	static const uint8_t rar4[] = { 0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00 };
	static const uint8_t rar5[] = { 0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01,
		0x00 };

	return has_prefix(d, len, rar4, sizeof(rar4)) ||
	    has_prefix(d, len, rar5, sizeof(rar5));
}

/* ZIP: PKWARE APPNOTE.TXT 4.3.7 local file header 0x04034b50, 4.3.16 end
 * of central directory 0x06054b50 (an empty archive), 8.5.3 spanned/split
 * archive marker 0x08074b50; all little-endian "PK" + 2 bytes. */
static bool
is_zip(const uint8_t *d, size_t len)
{
	if (len < 4 || d[0] != 0x50 || d[1] != 0x4b)
		return false;
	return (d[2] == 0x03 && d[3] == 0x04) || (d[2] == 0x05 && d[3] == 0x06) ||
	    (d[2] == 0x07 && d[3] == 0x08);
}

/* 7z: 7-Zip DOC/7zFormat.txt, SignatureHeader: '7' 'z' BC AF 27 1C. */
static bool
is_7z(const uint8_t *d, size_t len)
{
	static const uint8_t sig[] = { 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c };

	return has_prefix(d, len, sig, sizeof(sig));
}

/* gzip: RFC 1952 §2.3.1 ID1 = 31, ID2 = 139, CM = 8 (deflate, the only
 * method defined); FLG bits 5-7 are reserved and must be zero. */
static bool
is_gzip(const uint8_t *d, size_t len)
{
	if (len < 3 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 0x08)
		return false;
	return len < 4 || (d[3] & 0xe0) == 0;
}

/* bzip2: stream header "BZh" + block size '1'..'9', then either a block
 * header magic 0x314159265359 (BCD pi) or, for an empty stream, the
 * end-of-stream magic 0x177245385090 (sqrt pi) -- bzip2 1.0.x
 * compress.c/decompress.c; "BZip2 format specification" (J. Tsai). The
 * 6-byte magic is checked only when present in the sample. */
static bool
is_bzip2(const uint8_t *d, size_t len)
{
	static const uint8_t block[] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };
	static const uint8_t eos[] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };

	if (len < 4 || d[0] != 'B' || d[1] != 'Z' || d[2] != 'h' ||
	    d[3] < '1' || d[3] > '9')
		return false;
	if (len < 4 + sizeof(block))
		return true;
	return memcmp(d + 4, block, sizeof(block)) == 0 ||
	    memcmp(d + 4, eos, sizeof(eos)) == 0;
}

/* xz: "The .xz File Format" 1.2.0 §2.1.1.1 Header Magic Bytes
 * FD 37 7A 58 5A 00. */
static bool
is_xz(const uint8_t *d, size_t len)
{
	static const uint8_t sig[] = { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 };

	return has_prefix(d, len, sig, sizeof(sig));
}

/* zstd: RFC 8878 §3.1.1 frame magic 0xFD2FB528 little-endian, and §3.1.2
 * skippable frames 0x184D2A50..0x184D2A5F (which zstd streams may begin with). */
static bool
is_zstd(const uint8_t *d, size_t len)
{
	if (len < 4)
		return false;
	if (d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd)
		return true;
	return (d[0] & 0xf0) == 0x50 && d[1] == 0x2a && d[2] == 0x4d &&
	    d[3] == 0x18;
}

/* CAB: [MS-CAB] 2.1 CFHEADER: signature "MSCF", then reserved1 (u32)
 * which must be zero. */
static bool
is_cab(const uint8_t *d, size_t len)
{
	static const uint8_t sig[] = { 0x4d, 0x53, 0x43, 0x46, 0, 0, 0, 0 };

	return has_prefix(d, len, sig, sizeof(sig));
}

static enum payload_kind
classify_magic(const uint8_t *d, size_t len)
{
	if (is_rar(d, len))
		return PK_RAR;
	if (is_zip(d, len))
		return PK_ZIP;
	if (is_7z(d, len))
		return PK_7Z;
	if (is_gzip(d, len))
		return PK_GZIP;
	if (is_bzip2(d, len))
		return PK_BZIP2;
	if (is_xz(d, len))
		return PK_XZ;
	if (is_zstd(d, len))
		return PK_ZSTD;
	if (is_cab(d, len))
		return PK_CAB;
	return PK_OTHER;
}

/*
 * TLS record header, all 5 bytes (RFC 8446 §5.1, RFC 5246 §6.2.1):
 * ContentType change_cipher_spec(20) .. application_data(23).
 */
static bool
is_tls_record(const uint8_t *d, size_t len)
{
	return tls_record_header_ok(d, len, 5, TLS_CT_BIT(20) | TLS_CT_BIT(21) |
	    TLS_CT_BIT(22) | TLS_CT_BIT(23));
}

static bool
is_text_byte(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || (b >= '\t' && b <= '\r');
}

/* Printable ASCII, whitespace and UTF-8 multibyte make up >= 95%. */
static bool
is_text(const uint8_t *d, size_t len)
{
	size_t i = 0, good = 0, k;
	bool cut;

	if (len == 0)
		return false;
	while (i < len) {
		if (d[i] < 0x80) {
			if (is_text_byte(d[i]))
				good++;
			i++;
			continue;
		}
		k = utf8_sequence_cut(d + i, len - i, &cut);
		if (k > 0) {
			good += k;
			i += k;
		} else if (cut) {
			/* a character cut by the end of the sample */
			good += len - i;
			break;
		} else {
			i++;
		}
	}
	return good * 100 >= len * TEXT_MIN_PCT;
}

static bool
is_high_entropy(struct classifier *c, const uint8_t *d, size_t len)
{
	size_t deflated, saving;
	int rc;

	if (len < ENTROPY_MIN_SAMPLE)
		return false;
	if (deflateReset(&c->zs) != Z_OK) {
		log_warnx("classify: deflateReset failed");
		return false;
	}
	c->zs.next_in = d;
	c->zs.avail_in = (uInt)len;
	c->zs.next_out = c->out;
	c->zs.avail_out = (uInt)c->out_cap;
	rc = deflate(&c->zs, Z_FINISH);
	if (rc != Z_STREAM_END) {
		log_warnx("classify: deflate: %s", zError(rc));
		return false;
	}
	deflated = c->zs.total_out;
	saving = (len * ENTROPY_SAVING_PCT + 99) / 100;
	return deflated + saving >= len + DEFLATE_STORED_OVERHEAD;
}

enum payload_kind
classify_bytes(struct classifier *c, const uint8_t *data, size_t len)
{
	enum payload_kind k;
	size_t sample;

	if (data == NULL || len == 0)
		return PK_OTHER;
	k = classify_magic(data, len);
	if (k != PK_OTHER)
		return k;
	if (is_tls_record(data, len))
		return PK_TLS;
	sample = len < CLASSIFY_SAMPLE_MAX ? len : CLASSIFY_SAMPLE_MAX;
	if (is_text(data, sample))
		return PK_TEXT;
	if (c != NULL && is_high_entropy(c, data, sample))
		return PK_HIGH_ENTROPY;
	return PK_OTHER;
}
