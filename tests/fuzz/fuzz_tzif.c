/*
 * fuzz_tzif.c - libFuzzer target for the off-hours rule's TZif reader
 * (RFC 8536): the input is one zone file. An accepted file must leave at
 * most TZ_TRANS transitions, ascending, with plausible offsets, and every
 * time must map to one of them. The rule's file is included (its reader is
 * static), its rule definition renamed so it does not clash with the
 * library's.
 */
#define rule_off_hours fuzz_rule_off_hours
#include "../../src/detect/rule_off_hours.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz_zone z;
	const char *why = NULL;
	int32_t off;
	uint32_t i;

	if (tzif_parse(data, size, &z, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (z.n > TZ_TRANS || z.off0 < TZ_OFF_MIN || z.off0 > TZ_OFF_MAX)
		abort();
	for (i = 0; i < z.n; i++) {
		if ((i > 0 && z.at[i] <= z.at[i - 1]) || z.at[i] >= TZ_KEEP_UNTIL ||
		    z.off[i] < TZ_OFF_MIN || z.off[i] > TZ_OFF_MAX)
			abort();
		off = zone_offset(&z, z.at[i]);
		if (off != z.off[i])
			abort();
	}
	(void)zone_offset(&z, INT64_MIN);
	(void)zone_offset(&z, INT64_MAX);
	return 0;
}
