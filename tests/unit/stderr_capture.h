/*
 * stderr_capture.h - what a test's code logs (stderr), as a string, for
 * exact log lines: stderr_capture_begin(), the code, then
 * stderr_capture_end() with a buffer. Include after cmocka.h.
 */
#ifndef EXFILD_TEST_STDERR_CAPTURE_H
#define EXFILD_TEST_STDERR_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

static FILE *stderr_capture_file;
static int stderr_capture_saved = -1;

static inline void
stderr_capture_begin(void)
{
	fflush(stderr);
	stderr_capture_file = tmpfile();
	stderr_capture_saved = dup(STDERR_FILENO);
	assert_non_null(stderr_capture_file);
	assert_true(stderr_capture_saved >= 0);
	assert_true(dup2(fileno(stderr_capture_file), STDERR_FILENO) >= 0);
}

/* What was written since stderr_capture_begin (cut to len - 1 bytes). */
static inline void
stderr_capture_end(char *out, size_t len)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(stderr_capture_saved, STDERR_FILENO) >= 0);
	close(stderr_capture_saved);
	rewind(stderr_capture_file);
	n = fread(out, 1, len - 1, stderr_capture_file);
	out[n] = '\0';
	fclose(stderr_capture_file);
	stderr_capture_file = NULL;
}

#endif
