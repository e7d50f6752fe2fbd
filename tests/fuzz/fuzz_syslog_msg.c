/*
 * fuzz_syslog_msg.c - libFuzzer target for the syslog listener's header
 * reader (RFC 5424 / RFC 3164): the MSG it returns must lie inside the
 * message, and a message without a recognised header is passed whole.
 */
#include <stdint.h>
#include <stdlib.h>

#include "exfild/logs/logsource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *msg = NULL;
	size_t len = 0;
	bool header = logsrc_syslog_msg(data, size, &msg, &len);

	if (size > 0 && msg == NULL)
		abort();
	if (msg != NULL && (msg < data || len > size ||
	    (size_t)(msg - data) > size - len))
		abort();
	if (!header && (msg != data || len != size))
		abort();
	return 0;
}
