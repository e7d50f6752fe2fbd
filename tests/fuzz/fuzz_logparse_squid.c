/*
 * fuzz_logparse_squid.c - libFuzzer target for the Squid logformat compiler
 * and line parser. The first byte picks a format: 0-4 fixed ones (native,
 * the issue's %>st format, an extended one with quoted headers, common,
 * combined), anything else makes the input's first line the logformat
 * string. Every further line is parsed; records must have NUL-terminated
 * text free of control characters and a client address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/logs/logparse_squid.h"

static const char *formats[] = {
	"squid",
	"squid:%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt",
	("%ts.%03tu %6tr %>a %>p %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a "
	    "%<p %mt \"%{Referer}>h\" \"%{User-Agent}>h\" \"%{Host}>h\" %<tt"),
	"common",
	"combined",
};

static void
check_text(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (end == NULL)
		abort();
	for (p = s; p < end; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

static void
check(enum log_parse_result res, enum log_reject why,
    const struct log_record *r)
{
	if (res == LOGPARSE_REJECT) {
		if (why <= LOGREJ_NONE || why >= LOGREJ_COUNT)
			abort();
		return;
	}
	if (why != LOGREJ_NONE)
		abort();
	if (res != LOGPARSE_RECORD)
		return;
	check_text(r->user, sizeof(r->user));
	check_text(r->method, sizeof(r->method));
	check_text(r->host, sizeof(r->host));
	check_text(r->mime, sizeof(r->mime));
	if (r->kind != LOGREC_SQUID || (r->client.family != 4 &&
	    r->client.family != 6) || r->zeek_uid[0] != '\0' ||
	    (!r->has_bytes_up && r->bytes_up != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct squid_format *f;
	struct log_record rec;
	enum log_reject why;
	enum log_parse_result res;
	const uint8_t *nl;
	char spec[4200], err[256];
	size_t n;

	if (size == 0)
		return 0;
	if (data[0] < sizeof(formats) / sizeof(formats[0])) {
		f = squid_format_compile(formats[data[0]], err, sizeof(err));
		if (f == NULL)
			abort();
		data++;
		size--;
	} else {
		nl = memchr(data, '\n', size);
		n = nl != NULL ? (size_t)(nl - data) : size;
		if (n >= sizeof(spec) || memchr(data, '\0', n) != NULL)
			return 0;
		memcpy(spec, data, n);
		spec[n] = '\0';
		f = squid_format_compile(spec, err, sizeof(err));
		if (f == NULL) {
			if (memchr(err, '\0', sizeof(err)) == NULL)
				abort();
			return 0;
		}
		n = nl != NULL ? n + 1 : n;
		data += n;
		size -= n;
	}
	while (size > 0) {
		nl = memchr(data, '\n', size);
		n = nl != NULL ? (size_t)(nl - data) : size;
		memset(&rec, 0x5a, sizeof(rec));
		res = squid_parse_line(f, data, n, &rec, &why);
		check(res, why, &rec);
		n = nl != NULL ? n + 1 : n;
		data += n;
		size -= n;
	}
	squid_format_free(f);
	return 0;
}
