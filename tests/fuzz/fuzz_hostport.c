/*
 * fuzz_hostport.c - libFuzzer target for the shared host[:port] parser
 * (netaddr_hostport_parse). The first byte picks the flags; the rest is
 * the text, not NUL-terminated. A result must be self-consistent: the
 * host NUL-terminated in bounds, an address family only for literals (6
 * exactly when bracketed), a port only when one was written, within the
 * flags, and the host text found again in the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/util/netaddr.h"

static void
check(const uint8_t *s, size_t n, unsigned flags,
    const struct netaddr_hostport *hp)
{
	size_t hl;

	if (memchr(hp->host, '\0', sizeof(hp->host)) == NULL)
		abort();
	hl = strlen(hp->host);
	if (hl == 0 || hl > n || memmem(s, n, hp->host, hl) == NULL)
		abort();
	if (hp->addr.family == 0 && !(flags & NETADDR_HP_NAME))
		abort();
	if ((hp->addr.family == 6) != (s[0] == '['))
		abort();
	if (!hp->has_port && (hp->port != 0 || (flags & NETADDR_HP_PORT)))
		abort();
	if (hp->has_port && hp->port == 0 && !(flags & NETADDR_HP_PORT_ZERO))
		abort();
	if (hp->has_port && memchr(s, ':', n) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netaddr_hostport hp;
	unsigned flags;

	if (size == 0)
		return 0;
	flags = data[0] & (NETADDR_HP_NAME | NETADDR_HP_PORT |
	    NETADDR_HP_PORT_ZERO);
	data++;
	size--;
	if (netaddr_hostport_parse((const char *)data, size, flags, &hp) ==
	    NETADDR_HP_OK)
		check(data, size, flags, &hp);
	return 0;
}
