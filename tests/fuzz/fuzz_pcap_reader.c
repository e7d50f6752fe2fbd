/*
 * fuzz_pcap_reader.c - libFuzzer target for the zero-copy classic pcap
 * reader: the input is a whole file (through a memfd); every record it
 * returns must lie inside what was read and respect the length bound.
 * Build and run: make fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exfild/capture/capture_pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcap_reader *r;
	struct pcap_record rec;
	char err[256];
	uint64_t total = 0;
	volatile uint8_t sink = 0;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	lseek(fd, 0, SEEK_SET);
	if ((r = pcap_reader_open(fd, err, sizeof(err))) == NULL)
		return 0;
	while (pcap_reader_next(r, &rec, err, sizeof(err)) == 1) {
		if (rec.caplen > PCAP_RECORD_MAX)
			abort();
		total += 16 + rec.caplen;
		if (total + 24 > size)
			abort(); /* handed out more than the file holds */
		if (rec.caplen > 0)
			sink ^= rec.data[0] ^ rec.data[rec.caplen - 1];
	}
	(void)sink;
	pcap_reader_close(r);
	return 0;
}
