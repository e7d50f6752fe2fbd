/*
 * strbuf.h - append-only text buffer over caller-provided storage. Never
 * reallocates; on overflow it keeps what fits and sets a sticky flag.
 */
#ifndef EXFILD_STRBUF_H
#define EXFILD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *p;
	size_t len;
	size_t cap; /* including the NUL */
	bool overflow;
};

void sb_init(struct strbuf *sb, char *storage, size_t cap);
void sb_reset(struct strbuf *sb);
void sb_putc(struct strbuf *sb, char c);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_u64(struct strbuf *sb, uint64_t v);

#endif
