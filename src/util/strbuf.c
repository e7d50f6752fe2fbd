/*
 * strbuf.c - bounded append-only text buffer (see strbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exfild/util/strbuf.h"

void
sb_init(struct strbuf *sb, char *storage, size_t cap)
{
	sb->p = storage;
	sb->cap = cap;
	sb_reset(sb);
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->overflow = sb->cap == 0;
	if (sb->cap > 0)
		sb->p[0] = '\0';
}

void
sb_append(struct strbuf *sb, const char *s, size_t n)
{
	size_t room;

	if (sb->cap == 0)
		return;
	room = sb->cap - 1 - sb->len;
	if (n > room) {
		n = room;
		sb->overflow = true;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

void
sb_putc(struct strbuf *sb, char c)
{
	sb_append(sb, &c, 1);
}

void
sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void
sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (sb->cap == 0)
		return;
	room = sb->cap - sb->len;
	va_start(ap, fmt);
	n = vsnprintf(sb->p + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		sb->len = sb->cap - 1;
		sb->overflow = true;
	} else {
		sb->len += (size_t)n;
	}
}

void
sb_u64(struct strbuf *sb, uint64_t v)
{
	char tmp[21];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sb_append(sb, tmp + i, sizeof(tmp) - i);
}
