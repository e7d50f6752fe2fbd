/*
 * sha256.h - SHA-256 (FIPS 180-4 6.2), for the evidence files' digests
 * (evidence/evidence.h). Incremental, no allocation.
 */
#ifndef EXFILD_SHA256_H
#define EXFILD_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/util.h"

#define SHA256_DIGEST_LEN 32
#define SHA256_HEX_LEN (2 * SHA256_DIGEST_LEN + 1) /* lower-case hex + NUL */

struct sha256 {
	uint32_t h[8];
	struct md_buf m;   /* the block being filled (util.h) */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_LEN]);
/* The digest so far in lower-case hex (s itself is finished: init again). */
void sha256_final_hex(struct sha256 *s, char out[SHA256_HEX_LEN]);

#endif
