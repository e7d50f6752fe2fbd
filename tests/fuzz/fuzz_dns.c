/*
 * fuzz_dns.c - libFuzzer target for the DNS response reader: the input is
 * one DNS message. Every reported name must be non-empty, shorter than
 * DNS_NAME_MAX, of the allowed characters, with a set address; nothing
 * may be reported for a malformed message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/proto/proto_dns.h"

static void
on_answer(void *ctx, const char *name, const struct netaddr *addr,
    uint32_t ttl)
{
	size_t *count = ctx, i, n = strnlen(name, DNS_NAME_MAX);

	(void)ttl;
	if (n == 0 || n >= DNS_NAME_MAX || !netaddr_is_set(addr) ||
	    name[0] == '.' || name[n - 1] == '.')
		abort();
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-_.*",
		    name[i]) == NULL)
			abort();
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t count = 0;
	enum dns_result r = dns_parse_response(data, size, on_answer, &count);

	if (r != DNS_OK && count != 0)
		abort();
	return 0;
}
