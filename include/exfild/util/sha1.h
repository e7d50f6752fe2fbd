/*
 * sha1.h - SHA-1 (FIPS 180-4 6.1), for the Community ID flow hash
 * (community_id.h) only: not for anything that needs collision resistance.
 * Incremental, no allocation.
 */
#ifndef EXFILD_SHA1_H
#define EXFILD_SHA1_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/util.h"

#define SHA1_DIGEST_LEN 20

struct sha1 {
	uint32_t h[5];
	struct md_buf m;   /* the block being filled (util.h) */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN]);

#endif
