/*
 * fuzz_logparse_zeek.c - libFuzzer target for the Zeek log reader: the
 * input is a log (TSV headers and lines, JSON lines, or a mix), fed line by
 * line to a fresh reader. Records must have NUL-terminated text free of
 * control characters and a client address; rejects a named reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/logs/logparse_zeek.h"

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
	check_text(r->zeek_uid, sizeof(r->zeek_uid));
	if ((r->kind != LOGREC_ZEEK_CONN && r->kind != LOGREC_ZEEK_HTTP) ||
	    (r->client.family != 4 && r->client.family != 6) ||
	    (!r->has_bytes_up && r->bytes_up != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct zeek_reader *z;
	struct log_record rec;
	enum log_reject why;
	enum log_parse_result res;
	const uint8_t *nl;
	size_t n;

	if (z == NULL)
		z = zeek_reader_new();
	zeek_reader_reset(z);
	while (size > 0) {
		nl = memchr(data, '\n', size);
		n = nl != NULL ? (size_t)(nl - data) : size;
		memset(&rec, 0x5a, sizeof(rec));
		res = zeek_reader_line(z, data, n, &rec, &why);
		check(res, why, &rec);
		n = nl != NULL ? n + 1 : n;
		data += n;
		size -= n;
	}
	return 0;
}
