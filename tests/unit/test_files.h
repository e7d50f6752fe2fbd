/*
 * test_files.h - files a unit test writes: a file with exact bytes, or
 * text; and a directory tree removed. Included by the test files that need
 * it (after cmocka.h).
 */
#ifndef EXFILD_TEST_FILES_H
#define EXFILD_TEST_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

static inline int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The tree at path, itself included: 0, or -1. */
static inline int
remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
