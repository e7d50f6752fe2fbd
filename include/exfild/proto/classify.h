/*
 * classify.h - what kind of bytes a host sends: archive and compressor
 * formats by their magic numbers, "high-entropy" where deflating a sample
 * saves almost nothing, text, TLS records. No allocation per call: the
 * deflate state is made once and reset.
 */
#ifndef EXFILD_CLASSIFY_H
#define EXFILD_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum payload_kind {
	PK_OTHER = 0,  /* binary, not recognised */
	PK_TEXT,
	PK_TLS,
	PK_RAR,        /* RAR 4 and RAR 5 */
	PK_ZIP,
	PK_7Z,
	PK_GZIP,
	PK_BZIP2,
	PK_XZ,
	PK_ZSTD,
	PK_CAB,
	PK_HIGH_ENTROPY,
	PK_COUNT
};

const char *payload_kind_name(enum payload_kind k);
/* Archive, compressor or high-entropy: what compressed-upload counts. */
bool payload_kind_is_compressed(enum payload_kind k);

#define CLASSIFY_SAMPLE_MAX 1024 /* bytes deflated for the entropy test */

struct classifier;
struct classifier *classifier_new(void); /* NULL on failure */
void classifier_free(struct classifier *c);
enum payload_kind classify_bytes(struct classifier *c, const uint8_t *data,
    size_t len);

#endif
