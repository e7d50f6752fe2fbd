/*
 * fuzz_config.c - libFuzzer target for the YAML configuration loader: any
 * bytes either load (and free cleanly) or fail with a "name:line:col:"
 * message; the error text is always NUL-terminated within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONFIG_ERR_LEN];
	struct config *c = NULL;

	memset(err, 'x', sizeof(err));
	if (config_load_string("f.yaml", (const char *)data, size, &c, err,
	    sizeof(err)) == 0) {
		if (c == NULL || err[0] != '\0')
			abort();
		config_free(c);
		return 0;
	}
	if (c != NULL || memchr(err, '\0', sizeof(err)) == NULL ||
	    strncmp(err, "f.yaml", 6) != 0)
		abort();
	return 0;
}
