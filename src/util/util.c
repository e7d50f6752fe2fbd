/*
 * util.c - allocation that aborts (start-up only), bounded copies,
 * SipHash-2-4, size and duration parsing, time formatting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatal("malloc %zu bytes", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (p == NULL)
		fatal("calloc %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	void *q = reallocarray(p, nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

	if (q == NULL)
		fatal("reallocarray %zu x %zu bytes", nmemb, size);
	return q;
}

#define HUGE_PAGE ((uintptr_t)2 << 20)

void
mem_huge_pages(void *p, size_t len)
{
	uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);

	if (to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

int
file_each_line(const char *path, line_fn fn, void *ctx, char *err,
    size_t errlen)
{
	char msg[256];
	char *line = NULL;
	size_t linecap = 0, lineno = 0;
	ssize_t got;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((got = getline(&line, &linecap, fp)) != -1) {
		size_t len = (size_t)got;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (fn(ctx, (const uint8_t *)line, len, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, msg);
			rc = -1;
			goto done;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read: %s", path, strerror(errno));
		rc = -1;
	}
done:
	free(line);
	fclose(fp);
	return rc;
}

size_t
round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

size_t
str_copy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen > 0) {
		size_t k = n < dstlen - 1 ? n : dstlen - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

size_t
str_copy_lower(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i, k;

	if (dstlen == 0)
		return 0;
	k = n < dstlen - 1 ? n : dstlen - 1;
	for (i = 0; i < k; i++)
		dst[i] = (char)tolower(src[i]);
	dst[k] = '\0';
	return k;
}

void
quote_bytes(const struct cursor *bytes, char *out, size_t outlen)
{
	struct cursor c = *bytes;
	size_t o = 0;
	uint8_t ch;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	while (cur_left(&c) > 0) {
		if (o >= QUOTE_MAX || outlen - o < 9) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		ch = cur_u8(&c);
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
	}
	out[o++] = '"';
	out[o] = '\0';
}

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
md_update(struct md_buf *m, const void *data, size_t len,
    md_compress_fn *compress, void *state)
{
	const uint8_t *p = data;
	size_t n;

	m->bytes += len;
	while (len > 0) {
		n = sizeof(m->block) - m->used;
		if (n > len)
			n = len;
		memcpy(m->block + m->used, p, n);
		m->used += n;
		p += n;
		len -= n;
		if (m->used == sizeof(m->block)) {
			compress(state, m->block);
			m->used = 0;
		}
	}
}

void
md_pad(struct md_buf *m, md_compress_fn *compress, void *state)
{
	uint64_t bits = m->bytes * 8;
	int i;

	m->block[m->used++] = 0x80;
	if (m->used > 56) {
		memset(m->block + m->used, 0, sizeof(m->block) - m->used);
		compress(state, m->block);
		m->used = 0;
	}
	memset(m->block + m->used, 0, 56 - m->used);
	for (i = 0; i < 8; i++)
		m->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(state, m->block);
}

int
hex_digit_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
parse_dec_u64(const struct cursor *field, uint64_t *out)
{
	struct cursor c = *field;
	uint64_t v = 0;
	unsigned d;

	if (cur_left(&c) == 0 || cur_left(&c) > 20)
		return -1;
	while (cur_left(&c) > 0) {
		d = (unsigned)cur_u8(&c) - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
parse_hex_bytes(const struct cursor *field, uint8_t *out, size_t len)
{
	struct cursor c = *field;
	size_t i;
	int hi, lo;

	if (cur_left(&c) / 2 != len || cur_left(&c) % 2 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		hi = hex_digit_value(cur_u8(&c));
		lo = hex_digit_value(cur_u8(&c));
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool
name_byte_plain(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-';
}

int
field_write_name(FILE *fp, const char *name)
{
	const uint8_t *p = (const uint8_t *)name;
	bool plain = strcmp(name, "-") != 0;

	if (name[0] == '\0')
		return fputc('-', fp) == EOF ? -1 : 0;
	for (; *p != '\0'; p++) {
		if (plain && name_byte_plain(*p)) {
			if (fputc(*p, fp) == EOF)
				return -1;
		} else if (fprintf(fp, "%%%02X", *p) < 0) {
			return -1;
		}
	}
	return 0;
}

int
field_parse_name(const struct cursor *field, char *out, size_t outlen,
    size_t *len)
{
	struct cursor c = *field;
	size_t n = 0;
	uint8_t ch;
	int hi, lo;

	if (outlen == 0)
		return -1;
	while (cur_left(&c) > 0) {
		ch = cur_u8(&c);
		if (ch == '%') {
			hi = hex_digit_value(cur_u8(&c));
			lo = hex_digit_value(cur_u8(&c));
			if (c.err || hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			ch = (uint8_t)(hi << 4 | lo);
		} else if (!name_byte_plain(ch) && !(ch >= 'A' && ch <= 'Z')) {
			return -1;
		}
		if (n == outlen - 1)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

/* SipHash-2-4 (Aumasson and Bernstein), written from the paper. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);   \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);   \
	} while (0)

static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint64_t
hash_bytes(const struct hash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key->k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ key->k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ key->k0;
	uint64_t v3 = 0x7465646279746573ULL ^ key->k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, full = len - len % 8;

	for (i = 0; i < full; i += 8) {
		m = load_le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < len % 8; i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int
hash_key_random(struct hash_key *key)
{
	uint8_t buf[16];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("getrandom");
			return -1;
		}
		got += (size_t)n;
	}
	key->k0 = load_le64(buf);
	key->k1 = load_le64(buf + 8);
	return 0;
}

/* Splits "123.5MB" into a number and a unit; rejects anything else. */
static int
split_number_unit(const char *s, double *num, const char **unit)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*num = strtod(s, &end);
	if (errno != 0 || end == s || *num < 0 || *num > 1e18)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	*unit = end;
	return 0;
}

int
parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1 }, { "B", 1 },
		{ "KB", 1e3 }, { "MB", 1e6 }, { "GB", 1e9 }, { "TB", 1e12 },
		{ "KiB", 1024.0 }, { "MiB", 1048576.0 }, { "GiB", 1073741824.0 },
		{ "TiB", 1099511627776.0 },
	};
	const char *unit;
	double num;
	size_t i;

	if (split_number_unit(s, &num, &unit) != 0)
		return -1;
	for (i = 0; i < ARRAY_LEN(units); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			double v = num * units[i].mult;
			if (v > 1.8e19)
				return -1;
			*out = (uint64_t)(v + 0.5);
			return 0;
		}
	}
	return -1;
}

int
parse_duration(const char *s, uint64_t *seconds)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 },
		{ "w", 604800 },
	};
	const char *unit;
	double num;
	size_t i;

	if (split_number_unit(s, &num, &unit) != 0)
		return -1;
	for (i = 0; i < ARRAY_LEN(units); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			double v = num * units[i].mult;
			if (v > 1e10) /* ~317 years: seconds * 1e9 fits in 64 bits */
				return -1;
			*seconds = (uint64_t)(v + 0.5);
			return 0;
		}
	}
	return -1;
}

static void
put_digits(char *out, unsigned v, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
format_rfc3339_ms(uint64_t ts_ns, char out[RFC3339_LEN])
{
	time_t secs = (time_t)(ts_ns / NS_PER_SEC);
	unsigned ms = (unsigned)(ts_ns % NS_PER_SEC / 1000000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		str_copy(out, "1970-01-01T00:00:00.000Z", RFC3339_LEN);
		return;
	}
	put_digits(out, (unsigned)tm.tm_year + 1900, 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)tm.tm_mon + 1, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)tm.tm_mday, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)tm.tm_hour, 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)tm.tm_min, 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)tm.tm_sec, 2);
	out[19] = '.';
	put_digits(out + 20, ms, 3);
	out[23] = 'Z';
	out[24] = '\0';
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t
clock_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

size_t
utf8_sequence_cut(const uint8_t *d, size_t len, bool *cut)
{
	uint8_t b = d[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (cut != NULL)
		*cut = false;
	if (b >= 0xc2 && b <= 0xdf)
		need = 2;
	else if (b >= 0xe0 && b <= 0xef)
		need = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		need = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if (i >= len) {
			if (cut != NULL)
				*cut = true;
			return 0;
		}
		if (d[i] < lo || d[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

size_t
utf8_sequence(const uint8_t *d, size_t len)
{
	return utf8_sequence_cut(d, len, NULL);
}

bool
tls_record_header_ok(const uint8_t *d, size_t len, size_t need,
    uint32_t types)
{
	struct cursor c;
	uint8_t type, major, minor;
	uint16_t rlen;

	if (len < need)
		return false;
	cur_init(&c, d, len);
	if (cur_left(&c) == 0)
		return true;
	type = cur_u8(&c);
	if (type >= 32 || !(types & TLS_CT_BIT(type)))
		return false;
	if (cur_left(&c) < 2)
		return true;
	major = cur_u8(&c);
	minor = cur_u8(&c);
	if (major != 3 || minor > 4)
		return false;
	if (cur_left(&c) < 2)
		return true;
	rlen = cur_be16(&c);
	return rlen >= 1 && rlen <= TLS_RECORD_MAX;
}

bool
str_eq_nullable(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

int
domain_normalise(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i, label = 0;
	bool numeric = true;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	} else if (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DOMAIN_MAX || len >= outlen)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];

		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
			numeric = true;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_') {
			if (++label > 63)
				return -1;
			if (ch < '0' || ch > '9')
				numeric = false;
		} else {
			return -1;
		}
		out[i] = ch;
	}
	out[len] = '\0';
	return label == 0 || numeric ? -1 : 0;
}
