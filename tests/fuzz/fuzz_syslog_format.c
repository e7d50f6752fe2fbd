/*
 * fuzz_syslog_format.c - libFuzzer target: random alert strings through
 * every syslog header x body and every body alone. Input: 2 bytes of
 * max_len (0..65535), 1 byte of severity and flags, then dst_host,
 * src_user, sensor, rule, source and hostname separated by NUL bytes. Every
 * message must be at most max_len bytes of well-formed UTF-8 (RFC 3629)
 * without a C0 control or DEL; a refused one must leave the buffer as it
 * was; with room enough every one must fit; a message that fits at max_len
 * must fit at every larger limit too.
 *
 * Build and run (from the repository root): make build-fuzz/fuzz_syslog_format
 *   build-fuzz/fuzz_syslog_format -max_total_time=60 NEW_CORPUS_DIR \
 *     tests/fuzz/corpus_syslog_format
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/alert/syslog_format.h"
#include "exfild/util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "check failed: %s (line %d)\n",      \
			    #cond, __LINE__);                                \
			abort();                                             \
		}                                                            \
	} while (0)

#define FIELD_MAX 1024
#define ROOM 65536
#define NFIELDS 6

/* Well-formed UTF-8, checked by code point value; no C0 control or DEL. */
static void
check_text(const uint8_t *p, size_t n)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, len, k;
	uint32_t v;

	while (i < n) {
		if (p[i] < 0x80) {
			CHECK(p[i] >= 0x20 && p[i] != 0x7f);
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			len = 2;
			v = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			len = 3;
			v = p[i] & 0x0f;
		} else {
			CHECK((p[i] & 0xf8) == 0xf0);
			len = 4;
			v = p[i] & 0x07;
		}
		CHECK(n - i >= len);
		for (k = 1; k < len; k++) {
			CHECK((p[i + k] & 0xc0) == 0x80);
			v = v << 6 | (p[i + k] & 0x3f);
		}
		CHECK(v >= min_for_len[len] && v <= 0x10ffff &&
		    (v < 0xd800 || v > 0xdfff));
		i += len;
	}
}

/* The next NUL-separated field of the input, at most FIELD_MAX bytes. */
static void
next_field(const uint8_t **p, const uint8_t *end, char *out)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = nul != NULL ? (size_t)(nul - *p) : (size_t)(end - *p);

	if (n > FIELD_MAX)
		n = FIELD_MAX;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nul != NULL ? nul + 1 : end;
}

/* One format: at max_len, and with all the room there is. */
static void
run_one(const struct alert *a, int header, enum output_format f,
    const struct syslog_meta *m, size_t max_len, char *buf)
{
	static const char prefix[] = "12 ";
	struct strbuf sb;
	int rc, rc_big;

	sb_init(&sb, buf, ROOM);
	sb_puts(&sb, prefix);
	rc = header < 0 ? syslog_format_body(a, f, max_len, &sb) :
	    syslog_format_message(a, (enum syslog_header)header, f, m, max_len,
	    &sb);
	CHECK(rc == 0 || rc == -1);
	CHECK(!sb.overflow);
	CHECK(memcmp(buf, prefix, 3) == 0 && buf[sb.len] == '\0');
	if (rc == 0) {
		CHECK(sb.len - 3 <= max_len);
		check_text((const uint8_t *)buf + 3, sb.len - 3);
	} else {
		CHECK(sb.len == 3);
	}

	sb_init(&sb, buf, ROOM);
	rc_big = header < 0 ? syslog_format_body(a, f, ROOM, &sb) :
	    syslog_format_message(a, (enum syslog_header)header, f, m, ROOM, &sb);
	CHECK(rc_big == 0);
	check_text((const uint8_t *)buf, sb.len);
	/* fits at max_len: fits at every larger limit (spot-check one) */
	if (rc == 0) {
		sb_init(&sb, buf, ROOM);
		rc_big = header < 0 ?
		    syslog_format_body(a, f, max_len + 1 + max_len % 97, &sb) :
		    syslog_format_message(a, (enum syslog_header)header, f, m,
		    max_len + 1 + max_len % 97, &sb);
		CHECK(rc_big == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum output_format formats[] = { OUTPUT_FORMAT_JSON,
		OUTPUT_FORMAT_ECS, OUTPUT_FORMAT_CEF, OUTPUT_FORMAT_LEEF };
	static char fields[NFIELDS][FIELD_MAX + 1];
	static char buf[ROOM];
	static const char *const attack[] = { "T1560", "T1041", "T1048", NULL };
	const uint8_t *p = data + 3, *end = data + size;
	struct syslog_meta m;
	struct alert a;
	size_t max_len, i;
	int h;

	if (size < 3)
		return 0;
	max_len = (size_t)data[0] << 8 | data[1];
	for (i = 0; i < NFIELDS; i++)
		next_field(&p, end, fields[i]);

	memset(&a, 0, sizeof(a));
	alert_make_id(&a, max_len);
	a.ts_ns = 1411013527123000000ULL + (uint64_t)data[2] * 86400000000000ULL;
	a.first_seen_ns = a.ts_ns - 1000000;
	a.severity = (enum severity)(data[2] & 3);
	a.via_proxy = (data[2] & 4) != 0;
	a.dst_port = data[2] & 8 ? 0 : 3128;
	a.dst_country = data[2] & 16 ? COUNTRY_UNKNOWN : country_parse("HK");
	netaddr_parse(data[2] & 32 ? "fd00::77:2" : "10.1.20.66", &a.src);
	if (data[2] & 64)
		netaddr_parse("2001:db8::1", &a.dst);
	str_copy(a.dst_host, fields[0], sizeof(a.dst_host));
	str_copy(a.src_user, fields[1], sizeof(a.src_user));
	a.sensor = fields[2];
	a.rule = fields[3];
	a.source = fields[4];
	a.bytes_out = (uint64_t)size << 20;
	a.bytes_in = size;
	a.flows = data[2];
	a.window_s = 3600;
	a.payload[data[2] % PK_COUNT] = size;
	/* issue 13's fields: the wire's strings again as HTTP fields and a
	 * uid, join keys, a threshold and ATT&CK */
	str_copy(a.http_method, fields[4], sizeof(a.http_method));
	str_copy(a.http_uri, fields[0], sizeof(a.http_uri));
	str_copy(a.http_user_agent, fields[1], sizeof(a.http_user_agent));
	str_copy(a.http_filename, fields[5], sizeof(a.http_filename));
	str_copy(a.uid, fields[2], sizeof(a.uid));
	a.tunnel_connect = (data[2] & 1) != 0;
	if (data[2] & 2) {
		a.proto = 6;
		a.src_port = (uint16_t)max_len;
		(void)community_id(0, &a.src, &a.dst, 6, a.src_port, a.dst_port,
		    a.community_id);
		a.finding.threshold = "rules.bulk_upload.bytes";
		a.finding.limit.type = a.finding.value.type = FINDING_U64;
		a.finding.limit.u64 = max_len;
		a.finding.value.u64 = size;
		a.attack = attack;
		a.learn_end_ns = a.first_seen_ns;
		a.window_start_ns = a.first_seen_ns;
	}

	m.facility = data[2] % 24;
	m.enterprise_number = data[2] & 4 ? 0 : (uint32_t)max_len;
	m.hostname = fields[5];
	m.app_name = fields[3];
	m.procid = data[2] & 128 ? 0 : (int)max_len;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		for (h = -1; h < 2; h++)
			run_one(&a, h, formats[i], &m, max_len, buf);
	return 0;
}
