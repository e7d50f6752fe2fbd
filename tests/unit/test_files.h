/*
 * test_files.h - files a unit test writes: a file with exact bytes, or
 * text. Included by the test files that need it (after cmocka.h).
 */
#ifndef EXFILD_TEST_FILES_H
#define EXFILD_TEST_FILES_H

#include <stdio.h>
#include <string.h>

static inline void
write_bytes(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static inline void
write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text));
}

#endif
