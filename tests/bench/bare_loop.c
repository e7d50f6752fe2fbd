/*
 * bare_loop.c - the benchmark's yardstick: read a capture with libpcap's
 * offline reader (1 MiB stdio buffer, as exfild does) and touch nothing but
 * the packet count and length. Prints packets, bytes, seconds, peak RSS.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

int
main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	static char iobuf[1 << 20];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	struct rusage ru;
	uint64_t packets = 0, bytes = 0, sum = 0;
	FILE *fp;
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: bare_loop FILE\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((fp = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	if ((p = pcap_fopen_offline(fp, errbuf)) == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], errbuf);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		packets++;
		bytes += h->len;
		sum += h->caplen > 0 ? data[0] : 0;
	}
	pcap_close(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	printf("packets=%llu bytes=%llu seconds=%.6f maxrss_kb=%ld check=%llu\n",
	    (unsigned long long)packets, (unsigned long long)bytes,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss, (unsigned long long)sum);
	return 0;
}
