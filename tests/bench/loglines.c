/*
 * loglines.c - drives the log parsers outside the daemon:
 *   loglines generate N              N native Squid lines on stdout
 *   loglines count FORMAT [FILE|-]   records, rejects by reason, headers
 *   loglines dump FORMAT [FILE|-]    every line's record or reject reason
 *   loglines bench FORMAT FILE       lines per second
 * FORMAT is "zeek" or a Squid spec ("squid", "squid:<logformat>").
 * Built by tests/bench/loglines.sh and tests/e2e/logcorpus.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exfild/logs/logevent.h"
#include "exfild/logs/logparse_squid.h"
#include "exfild/logs/logparse_zeek.h"

#define BUF_SIZE (4u << 20)

struct counts {
	uint64_t newlines, records, rejected, headers, unterminated;
	uint64_t reason[LOGREJ_COUNT], first[LOGREJ_COUNT];
	uint64_t bytes_down, bytes_up; /* so that nothing is optimised away */
};

struct parser {
	struct squid_format *squid;
	struct zeek_reader *zeek;
	bool dump;
};

static void
dump_record(const struct log_record *r)
{
	char client[NETADDR_STRLEN], server[NETADDR_STRLEN];

	netaddr_format(&r->client, client, sizeof(client));
	netaddr_format(&r->server, server, sizeof(server));
	printf("%s ts=%" PRIu64 ".%09" PRIu64 " dur_ns=%" PRIu64 " client=%s "
	    "user=\"%s\" method=\"%s\" host=\"%s\" port=%u server=%s up=%s%" PRIu64
	    " down=%" PRIu64 " status=%u mime=\"%s\" uid=\"%s\"\n",
	    log_record_source(r->kind), r->ts_ns / 1000000000,
	    r->ts_ns % 1000000000, r->duration_ns, client, r->user, r->method,
	    r->host, r->port, server[0] != '\0' ? server : "-",
	    r->has_bytes_up ? "" : "?", r->bytes_up, r->bytes_down, r->status,
	    r->mime, r->zeek_uid);
}

static void
one_line(struct parser *p, const uint8_t *line, size_t len, struct counts *n)
{
	struct log_record rec;
	enum log_reject why;
	enum log_parse_result res;

	if (p->squid != NULL)
		res = squid_parse_line(p->squid, line, len, &rec, &why);
	else
		res = zeek_reader_line(p->zeek, line, len, &rec, &why);
	switch (res) {
	case LOGPARSE_RECORD:
		if (p->dump)
			dump_record(&rec);
		n->records++;
		n->bytes_down += rec.bytes_down;
		n->bytes_up += rec.bytes_up;
		break;
	case LOGPARSE_HEADER:
		if (p->dump)
			printf("header\n");
		n->headers++;
		break;
	case LOGPARSE_REJECT:
		n->rejected++;
		if (p->dump)
			printf("reject %s\n", log_reject_name(why));
		if (n->reason[why]++ == 0)
			n->first[why] = n->newlines + 1;
		break;
	}
}

/* Every line of fd, as the daemon's sources hand them out: without '\n'. */
static int
each_line(int fd, struct parser *p, struct counts *n)
{
	static uint8_t buf[BUF_SIZE];
	size_t have = 0, start, len;
	uint8_t *nl;
	ssize_t got;
	bool skipping = false; /* inside a line longer than the buffer */

	for (;;) {
		got = read(fd, buf + have, sizeof(buf) - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		have += (size_t)got;
		start = 0;
		while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
			len = (size_t)(nl - (buf + start));
			if (!skipping)
				one_line(p, buf + start, len, n);
			skipping = false;
			n->newlines++;
			start += len + 1;
		}
		if (start == 0 && have == sizeof(buf)) {
			/* No line end in a full buffer: one overlong line. */
			if (!skipping)
				one_line(p, buf, LOG_LINE_MAX + 1, n);
			skipping = true;
			have = 0;
			continue;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have > 0 && !skipping) {
		one_line(p, buf, have, n);
		n->unterminated++;
	}
	return 0;
}

static int
parser_open(struct parser *p, const char *format)
{
	char err[256];

	memset(p, 0, sizeof(*p));
	if (strcmp(format, "zeek") == 0) {
		p->zeek = zeek_reader_new();
		return 0;
	}
	if ((p->squid = squid_format_compile(format, err, sizeof(err))) == NULL) {
		fprintf(stderr, "loglines: %s\n", err);
		return -1;
	}
	return 0;
}

static void
parser_close(struct parser *p)
{
	squid_format_free(p->squid);
	zeek_reader_free(p->zeek);
}

static int
open_input(const char *path)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(path, O_RDONLY)) < 0)
		fprintf(stderr, "loglines: %s: %s\n", path, strerror(errno));
	return fd;
}

static int
cmd_count(const char *format, const char *path, bool dump)
{
	struct parser p;
	struct counts n;
	int fd, i;

	if (parser_open(&p, format) != 0 || (fd = open_input(path)) < 0)
		return 1;
	p.dump = dump;
	memset(&n, 0, sizeof(n));
	if (each_line(fd, &p, &n) != 0) {
		fprintf(stderr, "loglines: read: %s\n", strerror(errno));
		return 1;
	}
	printf("lines=%" PRIu64 " records=%" PRIu64 " rejected=%" PRIu64
	    " headers=%" PRIu64 " unterminated=%" PRIu64 "\n",
	    n.newlines + n.unterminated, n.records, n.rejected, n.headers,
	    n.unterminated);
	for (i = 1; i < LOGREJ_COUNT; i++)
		if (n.reason[i] > 0)
			printf("  reject %s: %" PRIu64 " (first at line %" PRIu64
			    ")\n", log_reject_name((enum log_reject)i),
			    n.reason[i], n.first[i]);
	parser_close(&p);
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmd_bench(const char *format, const char *path)
{
	struct parser p;
	struct counts n;
	double t0, t1;
	int fd;

	if (parser_open(&p, format) != 0 || (fd = open_input(path)) < 0)
		return 1;
	memset(&n, 0, sizeof(n));
	t0 = now();
	if (each_line(fd, &p, &n) != 0)
		return 1;
	t1 = now();
	printf("lines=%" PRIu64 " records=%" PRIu64 " rejected=%" PRIu64
	    " seconds=%.6f lines_per_s=%.0f check=%" PRIu64 "\n",
	    n.newlines, n.records, n.rejected, t1 - t0,
	    (double)n.newlines / (t1 - t0), n.bytes_down + n.bytes_up);
	close(fd);
	parser_close(&p);
	return n.rejected == 0 ? 0 : 1;
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Native-format lines shaped like a busy proxy's: GETs, POSTs, CONNECTs. */
static int
cmd_generate(unsigned long nlines)
{
	static const char *mimes[] = { "text/html", "image/png", "-",
	    "application/json" };
	static const char *codes[] = { "TCP_MISS", "TCP_HIT", "TCP_TUNNEL",
	    "TCP_REFRESH_MODIFIED" };
	uint32_t seed = 0x2545f491u, r;
	unsigned long i, ts = 1411000000;
	unsigned ms = 0;

	for (i = 0; i < nlines; i++) {
		r = next_rand(&seed);
		ms += r % 97;
		if (ms >= 1000) {
			ts += ms / 1000;
			ms %= 1000;
		}
		printf("%lu.%03u %6u 10.%u.%u.%u ", ts, ms, r % 60000,
		    (r >> 8) & 15, (r >> 12) & 255, (r >> 20) & 255);
		if ((r & 7) == 0)
			printf("TCP_TUNNEL/200 %u CONNECT host-%u.example.net:443 "
			    "user%u HIER_DIRECT/203.0.113.%u -\n", r % 900000,
			    (r >> 4) % 5000, (r >> 9) % 300, (r >> 16) & 255);
		else
			printf("%s/%03u %u %s http://www.site-%u.example.com/path/"
			    "%u/index.html?q=%u - HIER_DIRECT/198.51.100.%u %s\n",
			    codes[(r >> 3) & 3], (r & 0x30) ? 200 : 304,
			    r % 200000, (r & 0x40) ? "GET" : "POST",
			    (r >> 5) % 20000, (r >> 7) % 1000, r % 65536,
			    (r >> 18) & 255, mimes[(r >> 24) & 3]);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "generate") == 0)
		return cmd_generate(strtoul(argv[2], NULL, 10));
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "count") == 0)
		return cmd_count(argv[2], argc == 4 ? argv[3] : NULL, false);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "dump") == 0)
		return cmd_count(argv[2], argc == 4 ? argv[3] : NULL, true);
	if (argc == 4 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], argv[3]);
	fprintf(stderr, "usage: loglines generate N | count FORMAT [FILE|-] | "
	    "dump FORMAT [FILE|-] | bench FORMAT FILE\n");
	return 2;
}
