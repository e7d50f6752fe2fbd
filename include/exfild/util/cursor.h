/*
 * cursor.h - bounds-checked reader over untrusted bytes.
 * Every read checks the remaining length first; an error is sticky, so a
 * parser may read a whole header and test c->err once at the end. An
 * error also ends the cursor where it stands (len = off), so "nothing
 * left" alone keeps every reader from reading on.
 */
#ifndef EXFILD_CURSOR_H
#define EXFILD_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline void
cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p != NULL ? len : 0;
	c->off = 0;
	c->err = false;
}

/* Bytes left: 0 once in error (see cur_fail). */
static inline size_t
cur_left(const struct cursor *c)
{
	return c->len - c->off;
}

/* The sticky error: the cursor ends where it stands, nothing consumed. */
static inline void
cur_fail(struct cursor *c)
{
	c->err = true;
	c->len = c->off;
}

/* True when n more bytes can be read; sets the sticky error otherwise. */
static inline bool
cur_need(struct cursor *c, size_t n)
{
	if (c->err)
		return false;
	if (c->len - c->off < n) {
		cur_fail(c);
		return false;
	}
	return true;
}

static inline uint8_t
cur_u8(struct cursor *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->p[c->off++];
}

static inline uint16_t
cur_be16(struct cursor *c)
{
	uint16_t v;

	if (!cur_need(c, 2))
		return 0;
	v = (uint16_t)((uint16_t)c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return v;
}

static inline uint32_t
cur_be24(struct cursor *c)
{
	uint32_t v;

	if (!cur_need(c, 3))
		return 0;
	v = (uint32_t)c->p[c->off] << 16 | (uint32_t)c->p[c->off + 1] << 8 |
	    c->p[c->off + 2];
	c->off += 3;
	return v;
}

static inline uint32_t
cur_be32(struct cursor *c)
{
	uint32_t v;

	if (!cur_need(c, 4))
		return 0;
	v = (uint32_t)c->p[c->off] << 24 | (uint32_t)c->p[c->off + 1] << 16 |
	    (uint32_t)c->p[c->off + 2] << 8 | c->p[c->off + 3];
	c->off += 4;
	return v;
}

static inline uint16_t
cur_le16(struct cursor *c)
{
	uint16_t v;

	if (!cur_need(c, 2))
		return 0;
	v = (uint16_t)((uint16_t)c->p[c->off + 1] << 8 | c->p[c->off]);
	c->off += 2;
	return v;
}

static inline uint32_t
cur_le32(struct cursor *c)
{
	uint32_t v;

	if (!cur_need(c, 4))
		return 0;
	v = (uint32_t)c->p[c->off + 3] << 24 | (uint32_t)c->p[c->off + 2] << 16 |
	    (uint32_t)c->p[c->off + 1] << 8 | c->p[c->off];
	c->off += 4;
	return v;
}

static inline void
cur_skip(struct cursor *c, size_t n)
{
	if (cur_need(c, n))
		c->off += n;
}

/* Pointer to the next n bytes, advancing past them; NULL (and err) if short. */
static inline const uint8_t *
cur_ptr(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (!cur_need(c, n))
		return NULL;
	p = c->p + c->off;
	c->off += n;
	return p;
}

/* Pointer to the rest without consuming it (NULL when nothing is left). */
static inline const uint8_t *
cur_rest(const struct cursor *c)
{
	return c->off == c->len ? NULL : c->p + c->off;
}

/* Byte at off bytes ahead without consuming; 0 and no error when absent. */
static inline uint8_t
cur_peek(const struct cursor *c, size_t ahead)
{
	if (c->len - c->off <= ahead)
		return 0;
	return c->p[c->off + ahead];
}

/*
 * Child cursor over exactly the next n bytes; the parent advances past them.
 * When fewer than n bytes are left both are in error.
 */
static inline struct cursor
cur_sub(struct cursor *c, size_t n)
{
	struct cursor child = { NULL, 0, 0, true };

	if (cur_need(c, n)) {
		child.p = c->p + c->off;
		child.len = n;
		child.err = false;
		c->off += n;
	}
	return child;
}

/*
 * Narrow the readable rest to at most n bytes (an inner length such as the
 * IP total length). Fewer bytes than n is not an error: the capture may be
 * cut by the snap length.
 */
static inline void
cur_narrow(struct cursor *c, size_t n)
{
	if (!c->err && c->len - c->off > n)
		c->len = c->off + n;
}

/* Is [from, to) inside len bytes? Written so that nothing can overflow. */
static inline bool
cur_range_ok(size_t len, size_t from, size_t to)
{
	return from <= to && to <= len;
}

/*
 * Child cursor over bytes [from, to) of the rest, the parent not moved.
 * Unless from <= to <= cur_left(c), both are in error and the child is
 * empty: a bad range can never reach outside the parent.
 */
static inline struct cursor
cur_slice(struct cursor *c, size_t from, size_t to)
{
	struct cursor child = { NULL, 0, 0, true };

	if (c->err)
		return child;
	if (!cur_range_ok(c->len - c->off, from, to)) {
		cur_fail(c);
		return child;
	}
	cur_init(&child, c->p + c->off + from, to - from);
	return child;
}

/*
 * The rest of c as a cursor of its own, at offset 0 (c is not moved): a
 * value kept for later, or one a loop indexes from 0.
 */
static inline struct cursor
cur_view(const struct cursor *c)
{
	struct cursor v = { c->p + c->off, c->len - c->off, 0, c->err };

	return v;
}

/* Moves to absolute offset off (0 <= off <= len); err beyond the end. */
static inline void
cur_seek(struct cursor *c, size_t off)
{
	if (c->err)
		return;
	if (off > c->len)
		cur_fail(c);
	else
		c->off = off;
}

/* Index of the first ch in the rest, or cur_left(c) when there is none. */
static inline size_t
cur_find(const struct cursor *c, uint8_t ch)
{
	size_t left = cur_left(c);
	const uint8_t *q = left > 0 ? memchr(c->p + c->off, ch, left) : NULL;

	return q != NULL ? (size_t)(q - (c->p + c->off)) : left;
}

/* Index of the last ch in the rest, or cur_left(c) when there is none. */
static inline size_t
cur_find_last(const struct cursor *c, uint8_t ch)
{
	size_t left = cur_left(c);
	const uint8_t *q = left > 0 ? memrchr(c->p + c->off, ch, left) : NULL;

	return q != NULL ? (size_t)(q - (c->p + c->off)) : left;
}

/*
 * The bytes up to the first ch (all the rest when there is none) as a
 * child cursor; the parent stops at ch, which is not consumed.
 */
static inline struct cursor
cur_until(struct cursor *c, uint8_t ch)
{
	return cur_sub(c, cur_find(c, ch));
}

/* Consumes the next byte when it is ch; false (no error) otherwise. */
static inline bool
cur_eat(struct cursor *c, uint8_t ch)
{
	if (cur_left(c) == 0 || c->p[c->off] != ch)
		return false;
	c->off++;
	return true;
}

/* Does the rest start with the n bytes at s? Never an error; false for a
 * cursor in error. */
static inline bool
cur_starts_with(const struct cursor *c, const void *s, size_t n)
{
	return !c->err && c->len - c->off >= n &&
	    (n == 0 || memcmp(c->p + c->off, s, n) == 0);
}

/* Is the rest exactly the n bytes at s? As cur_starts_with. */
static inline bool
cur_eq(const struct cursor *c, const void *s, size_t n)
{
	return cur_left(c) == n && cur_starts_with(c, s, n);
}

/* Is the rest exactly the NUL-terminated string s? */
static inline bool
cur_eq_str(const struct cursor *c, const char *s)
{
	return cur_eq(c, s, strlen(s));
}

/* Text files (geo CSV, hosts, baseline state): blanks are space, tab and
 * the CR of a CRLF line end. */
static inline bool
cur_is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static inline void
cur_skip_blanks(struct cursor *c)
{
	while (cur_left(c) > 0 && cur_is_blank(cur_peek(c, 0)))
		cur_skip(c, 1);
}

/* The next blank-separated word, or an empty cursor at the end. */
static inline struct cursor
cur_next_word(struct cursor *c)
{
	size_t n = 0;

	cur_skip_blanks(c);
	while (n < cur_left(c) && !cur_is_blank(cur_peek(c, n)))
		n++;
	return cur_sub(c, n);
}

#endif
