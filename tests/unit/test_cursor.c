/*
 * test_cursor.c - the bounds-checked cursor: every reader with 0 bytes
 * left, exactly the bytes it needs and one fewer; the sticky error; child
 * cursors (sub, slice, until, narrow) clamped to their parent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exfild/util/cursor.h"

static const uint8_t bytes[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };

static struct cursor
over(const void *p, size_t len)
{
	struct cursor c;

	cur_init(&c, p, len);
	return c;
}

/* A cursor over no bytes, over n bytes ("in error" false). */
static void
assert_fresh(const struct cursor *c, size_t off, size_t left)
{
	assert_false(c->err);
	assert_int_equal(c->off, off);
	assert_int_equal(cur_left(c), left);
}

static void
assert_failed(const struct cursor *c, size_t off)
{
	assert_true(c->err);
	assert_int_equal(c->off, off);
	assert_int_equal(cur_left(c), 0);
	assert_null(cur_rest(c));
}

static void
test_init(void **state)
{
	struct cursor c;

	(void)state;
	c = over(NULL, 5);
	assert_fresh(&c, 0, 0);
	assert_null(cur_rest(&c));
	c = over(bytes, 0);
	assert_fresh(&c, 0, 0);
	assert_null(cur_rest(&c));
	c = over(bytes, 3);
	assert_fresh(&c, 0, 3);
	assert_ptr_equal(cur_rest(&c), bytes);
}

static void
test_need(void **state)
{
	struct cursor c = over(bytes, 2);

	(void)state;
	assert_true(cur_need(&c, 0));
	assert_true(cur_need(&c, 1));
	assert_true(cur_need(&c, 2));
	assert_fresh(&c, 0, 2);
	assert_false(cur_need(&c, 3));
	assert_failed(&c, 0);
	/* sticky: even nothing is refused now */
	assert_false(cur_need(&c, 0));
	c = over(bytes, 0);
	assert_true(cur_need(&c, 0));
	assert_false(cur_need(&c, 1));
	assert_true(c.err);
	c = over(bytes, 2);
	assert_false(cur_need(&c, SIZE_MAX));
	assert_true(c.err);
}

/* One fixed-width reader: its width and what it reads from bytes[]. */
struct fixed {
	const char *name;
	size_t width;
	uint32_t want;
	uint32_t (*read)(struct cursor *c);
};

static uint32_t read_u8(struct cursor *c) { return cur_u8(c); }
static uint32_t read_be16(struct cursor *c) { return cur_be16(c); }
static uint32_t read_be24(struct cursor *c) { return cur_be24(c); }
static uint32_t read_be32(struct cursor *c) { return cur_be32(c); }
static uint32_t read_le16(struct cursor *c) { return cur_le16(c); }
static uint32_t read_le32(struct cursor *c) { return cur_le32(c); }

static const struct fixed fixed[] = {
	{ "u8", 1, 0x12, read_u8 },
	{ "be16", 2, 0x1234, read_be16 },
	{ "be24", 3, 0x123456, read_be24 },
	{ "be32", 4, 0x12345678, read_be32 },
	{ "le16", 2, 0x3412, read_le16 },
	{ "le32", 4, 0x78563412, read_le32 },
};

static void
test_fixed_width(void **state)
{
	const struct fixed *f;
	struct cursor c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		f = &fixed[i];
		/* exactly width bytes: read, nothing left */
		c = over(bytes, f->width);
		assert_int_equal(f->read(&c), f->want);
		assert_fresh(&c, f->width, 0);
		/* one more byte than needed: one left */
		c = over(bytes, f->width + 1);
		assert_int_equal(f->read(&c), f->want);
		assert_fresh(&c, f->width, 1);
		/* one byte short: 0, error, nothing consumed */
		c = over(bytes, f->width - 1);
		assert_int_equal(f->read(&c), 0);
		assert_failed(&c, 0);
		/* nothing left */
		c = over(bytes, 0);
		assert_int_equal(f->read(&c), 0);
		assert_failed(&c, 0);
		/* after one short read, one that would fit fails too */
		c = over(bytes, 6);
		cur_skip(&c, 6 - f->width + 1);
		assert_int_equal(f->read(&c), 0);
		assert_failed(&c, 6 - f->width + 1);
		assert_int_equal(cur_u8(&c), 0);
		assert_failed(&c, 6 - f->width + 1);
	}
}

static void
test_sticky(void **state)
{
	struct cursor c = over(bytes, 4), child;

	(void)state;
	assert_int_equal(cur_be16(&c), 0x1234);
	assert_int_equal(cur_be24(&c), 0);	/* 2 left, 3 needed */
	assert_failed(&c, 2);
	/* every reader now reads nothing and moves nothing */
	assert_int_equal(cur_u8(&c), 0);
	assert_int_equal(cur_le16(&c), 0);
	assert_null(cur_ptr(&c, 0));
	assert_int_equal(cur_peek(&c, 0), 0);
	cur_skip(&c, 0);
	cur_seek(&c, 0);
	assert_failed(&c, 2);
	assert_false(cur_eat(&c, 0x56));
	assert_false(cur_starts_with(&c, "", 0));
	assert_false(cur_eq(&c, "", 0));
	assert_int_equal(cur_find(&c, 0x56), 0);
	assert_int_equal(cur_find_last(&c, 0x56), 0);
	child = cur_sub(&c, 0);
	assert_true(child.err);
	child = cur_slice(&c, 0, 0);
	assert_true(child.err);
	cur_narrow(&c, 0);
	assert_failed(&c, 2);
}

static void
test_skip_ptr(void **state)
{
	struct cursor c = over(bytes, 3);

	(void)state;
	cur_skip(&c, 0);
	assert_fresh(&c, 0, 3);
	cur_skip(&c, 3);
	assert_fresh(&c, 3, 0);
	cur_skip(&c, 1);
	assert_failed(&c, 3);
	c = over(bytes, 3);
	cur_skip(&c, 4);
	assert_failed(&c, 0);

	c = over(bytes, 3);
	assert_ptr_equal(cur_ptr(&c, 0), bytes);
	assert_fresh(&c, 0, 3);
	assert_ptr_equal(cur_ptr(&c, 3), bytes);
	assert_fresh(&c, 3, 0);
	assert_ptr_equal(cur_ptr(&c, 0), bytes + 3);
	assert_null(cur_ptr(&c, 1));
	assert_failed(&c, 3);
	c = over(bytes, 3);
	assert_null(cur_ptr(&c, 4));
	assert_failed(&c, 0);
	c = over(bytes, 3);
	assert_null(cur_ptr(&c, SIZE_MAX));
	assert_failed(&c, 0);
}

static void
test_rest_peek(void **state)
{
	struct cursor c = over(bytes, 3);

	(void)state;
	assert_int_equal(cur_peek(&c, 0), 0x12);
	assert_int_equal(cur_peek(&c, 2), 0x56);
	assert_int_equal(cur_peek(&c, 3), 0);	/* one past: 0, no error */
	assert_int_equal(cur_peek(&c, SIZE_MAX), 0);
	assert_fresh(&c, 0, 3);
	cur_skip(&c, 2);
	assert_ptr_equal(cur_rest(&c), bytes + 2);
	assert_int_equal(cur_peek(&c, 0), 0x56);
	assert_int_equal(cur_peek(&c, 1), 0);
	cur_skip(&c, 1);
	assert_null(cur_rest(&c));		/* nothing left */
	assert_int_equal(cur_peek(&c, 0), 0);
	assert_fresh(&c, 3, 0);
}

static void
test_sub(void **state)
{
	struct cursor c = over(bytes, 4), child;

	(void)state;
	cur_skip(&c, 1);
	child = cur_sub(&c, 0);			/* empty child */
	assert_fresh(&child, 0, 0);
	assert_fresh(&c, 1, 3);
	child = cur_sub(&c, 2);
	assert_fresh(&child, 0, 2);
	assert_ptr_equal(cur_rest(&child), bytes + 1);
	assert_fresh(&c, 3, 1);
	/* the child cannot read past its own end */
	assert_int_equal(cur_be16(&child), 0x3456);
	assert_int_equal(cur_u8(&child), 0);
	assert_true(child.err);
	assert_fresh(&c, 3, 1);
	child = cur_sub(&c, 1);			/* exactly what is left */
	assert_fresh(&child, 0, 1);
	assert_fresh(&c, 4, 0);
	child = cur_sub(&c, 1);			/* one past */
	assert_failed(&child, 0);
	assert_failed(&c, 4);
	c = over(bytes, 4);
	child = cur_sub(&c, SIZE_MAX);
	assert_failed(&child, 0);
	assert_failed(&c, 0);
}

static void
test_narrow(void **state)
{
	struct cursor c = over(bytes, 6);

	(void)state;
	cur_skip(&c, 2);
	cur_narrow(&c, 5);			/* more than left: no change */
	assert_fresh(&c, 2, 4);
	cur_narrow(&c, 4);			/* exactly what is left */
	assert_fresh(&c, 2, 4);
	cur_narrow(&c, 3);
	assert_fresh(&c, 2, 3);
	assert_int_equal(cur_be24(&c), 0x5678 << 8 | 0x9a);
	assert_int_equal(cur_u8(&c), 0);	/* the narrowed end holds */
	assert_true(c.err);
	c = over(bytes, 6);
	cur_narrow(&c, 0);
	assert_fresh(&c, 0, 0);
}

static void
test_range_slice(void **state)
{
	struct cursor c = over(bytes, 6), child;

	(void)state;
	assert_true(cur_range_ok(0, 0, 0));
	assert_true(cur_range_ok(4, 0, 4));
	assert_true(cur_range_ok(4, 4, 4));
	assert_false(cur_range_ok(4, 0, 5));
	assert_false(cur_range_ok(4, 5, 5));
	assert_false(cur_range_ok(4, 3, 2));
	assert_false(cur_range_ok(4, SIZE_MAX, 1));
	assert_true(cur_range_ok(SIZE_MAX, 0, SIZE_MAX));

	cur_skip(&c, 2);			/* 4 left */
	child = cur_slice(&c, 1, 3);
	assert_fresh(&child, 0, 2);
	assert_ptr_equal(cur_rest(&child), bytes + 3);
	assert_fresh(&c, 2, 4);			/* the parent does not move */
	child = cur_slice(&c, 0, 4);		/* all of the rest */
	assert_fresh(&child, 0, 4);
	child = cur_slice(&c, 4, 4);		/* empty, at the end */
	assert_fresh(&child, 0, 0);
	child = cur_slice(&c, 2, 2);
	assert_fresh(&child, 0, 0);
	child = cur_slice(&c, 0, 5);		/* one past the end */
	assert_failed(&child, 0);
	assert_failed(&c, 2);
	c = over(bytes, 6);
	child = cur_slice(&c, 3, 2);		/* from > to */
	assert_failed(&child, 0);
	assert_failed(&c, 0);
	c = over(bytes, 6);
	child = cur_slice(&c, 7, 7);
	assert_failed(&child, 0);
	assert_true(c.err);
	c = over(bytes, 6);
	child = cur_slice(&c, 1, SIZE_MAX);
	assert_failed(&child, 0);
	assert_true(c.err);
}

static void
test_view(void **state)
{
	struct cursor c = over(bytes, 4), v;

	(void)state;
	cur_skip(&c, 1);
	v = cur_view(&c);			/* the rest, from offset 0 */
	assert_fresh(&v, 0, 3);
	assert_ptr_equal(cur_rest(&v), bytes + 1);
	assert_fresh(&c, 1, 3);			/* the parent does not move */
	cur_skip(&c, 3);
	v = cur_view(&c);			/* nothing left */
	assert_fresh(&v, 0, 0);
	cur_skip(&c, 1);			/* error: the view is too */
	v = cur_view(&c);
	assert_failed(&v, 0);
}

/* An error ends the cursor where it stands: nothing is readable after. */
static void
test_error_ends(void **state)
{
	struct cursor c = over(bytes, 6);

	(void)state;
	cur_skip(&c, 2);
	assert_int_equal(cur_be32(&c), 0x56789abc);
	assert_int_equal(cur_u8(&c), 0);
	assert_failed(&c, 6);
	c = over(bytes, 6);
	cur_skip(&c, 2);
	cur_skip(&c, 5);
	assert_failed(&c, 2);
	assert_int_equal(cur_peek(&c, 0), 0);	/* byte 2 exists, but no */
	assert_int_equal(cur_find(&c, 0x56), 0);
	assert_false(cur_eat(&c, 0x56));
}

static void
test_seek(void **state)
{
	struct cursor c = over(bytes, 4);

	(void)state;
	cur_seek(&c, 4);			/* to the end */
	assert_fresh(&c, 4, 0);
	cur_seek(&c, 1);			/* back */
	assert_fresh(&c, 1, 3);
	cur_seek(&c, 0);
	assert_fresh(&c, 0, 4);
	cur_seek(&c, 5);			/* one past */
	assert_failed(&c, 0);
	cur_seek(&c, 0);			/* sticky */
	assert_failed(&c, 0);
	c = over(bytes, 4);
	cur_narrow(&c, 2);
	cur_seek(&c, 3);			/* past a narrowed end */
	assert_true(c.err);
}

static void
test_find(void **state)
{
	static const uint8_t text[] = "a:b:c";
	struct cursor c = over(text, 5), head;

	(void)state;
	assert_int_equal(cur_find(&c, ':'), 1);
	assert_int_equal(cur_find_last(&c, ':'), 3);
	assert_int_equal(cur_find(&c, 'a'), 0);	/* first byte */
	assert_int_equal(cur_find(&c, 'c'), 4);	/* last byte */
	assert_int_equal(cur_find_last(&c, 'a'), 0);
	assert_int_equal(cur_find_last(&c, 'c'), 4);
	assert_int_equal(cur_find(&c, 'x'), 5);	/* absent: cur_left */
	assert_int_equal(cur_find_last(&c, 'x'), 5);
	assert_int_equal(cur_find(&c, '\0'), 5); /* not past the end */
	assert_fresh(&c, 0, 5);
	cur_skip(&c, 4);
	assert_int_equal(cur_find(&c, ':'), 1);	/* absent in the rest */
	assert_int_equal(cur_find(&c, 'c'), 0);
	cur_skip(&c, 1);
	assert_int_equal(cur_find(&c, 'c'), 0);	/* nothing left */
	assert_int_equal(cur_find_last(&c, 'c'), 0);
	assert_fresh(&c, 5, 0);

	c = over(text, 5);
	head = cur_until(&c, ':');
	assert_fresh(&head, 0, 1);
	assert_int_equal(cur_u8(&head), 'a');
	assert_fresh(&c, 1, 4);			/* stops at the ':' */
	assert_true(cur_eat(&c, ':'));
	head = cur_until(&c, 'x');		/* absent: all the rest */
	assert_fresh(&head, 0, 3);
	assert_fresh(&c, 5, 0);
	head = cur_until(&c, ':');		/* nothing left: empty */
	assert_fresh(&head, 0, 0);
	assert_fresh(&c, 5, 0);
}

static void
test_eat_compare(void **state)
{
	struct cursor c = over("GET /", 5);

	(void)state;
	assert_false(cur_eat(&c, 'g'));
	assert_fresh(&c, 0, 5);
	assert_true(cur_starts_with(&c, "GET", 3));
	assert_true(cur_starts_with(&c, "GET /", 5));	/* exactly */
	assert_false(cur_starts_with(&c, "GET /x", 6));	/* one past */
	assert_true(cur_starts_with(&c, "", 0));
	assert_false(cur_starts_with(&c, "GEX", 3));
	assert_true(cur_eq(&c, "GET /", 5));
	assert_false(cur_eq(&c, "GET ", 4));
	assert_false(cur_eq(&c, "GET /x", 6));
	assert_true(cur_eat(&c, 'G'));
	assert_fresh(&c, 1, 4);
	cur_skip(&c, 4);
	assert_false(cur_eat(&c, '/'));		/* nothing left */
	assert_fresh(&c, 5, 0);
	assert_true(cur_eq(&c, "", 0));
	assert_true(cur_starts_with(&c, "", 0));
	assert_false(cur_starts_with(&c, "/", 1));
}

static void
test_blanks_words(void **state)
{
	struct cursor c = over(" \t\rab  cd\r", 10), w;

	(void)state;
	assert_true(cur_is_blank(' '));
	assert_true(cur_is_blank('\t'));
	assert_true(cur_is_blank('\r'));
	assert_false(cur_is_blank('\n'));
	assert_false(cur_is_blank('a'));
	cur_skip_blanks(&c);
	assert_fresh(&c, 3, 7);
	cur_skip_blanks(&c);			/* none: no move */
	assert_fresh(&c, 3, 7);
	w = cur_next_word(&c);
	assert_true(cur_eq(&w, "ab", 2));
	w = cur_next_word(&c);
	assert_true(cur_eq(&w, "cd", 2));
	assert_fresh(&c, 9, 1);
	w = cur_next_word(&c);			/* only a blank was left */
	assert_fresh(&w, 0, 0);
	assert_fresh(&c, 10, 0);
	w = cur_next_word(&c);			/* nothing was left */
	assert_fresh(&w, 0, 0);
	assert_fresh(&c, 10, 0);
	c = over("x", 1);
	w = cur_next_word(&c);			/* a word up to the end */
	assert_true(cur_eq(&w, "x", 1));
	assert_fresh(&c, 1, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_need),
		cmocka_unit_test(test_fixed_width),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_skip_ptr),
		cmocka_unit_test(test_rest_peek),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_narrow),
		cmocka_unit_test(test_range_slice),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_error_ends),
		cmocka_unit_test(test_seek),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_eat_compare),
		cmocka_unit_test(test_blanks_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
