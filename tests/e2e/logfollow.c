/*
 * logfollow.c - test driver for tests/e2e/logfollow.sh: follows one file
 * with logsrc_follow (tail -F) and prints every line it gets on stdout,
 * one per line, as it gets it. SIGTERM or SIGINT: the counters on stderr
 * ("lines=N bytes=N overlong=N rotations=N truncations=N read_errors=N"),
 * exit 0. Not installed; no cmocka.
 *
 *   logfollow [-n] [-p POLL_MS] [-d DRAIN_MS] PATH
 *   -n  no inotify: the stat poll alone
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "exfild/util/log.h"
#include "exfild/logs/logsource.h"

static void
print_line(void *ctx, const char *source, uint64_t lineno, const char *line,
    size_t len)
{
	(void)ctx;
	(void)source;
	(void)lineno;
	fwrite(line, 1, len, stdout);
	putchar('\n');
	fflush(stdout);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

static unsigned
number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 600000) {
		fprintf(stderr, "logfollow: bad number \"%s\"\n", s);
		exit(2);
	}
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct logsrc_follow_opts o;
	struct logsrc_stats st;
	struct logsrc_follow *f;
	struct event_base *base;
	struct event *ev_term, *ev_int;
	char err[256];
	int ch;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt(argc, argv, "np:d:")) != -1) {
		switch (ch) {
		case 'n':
			o.no_inotify = true;
			break;
		case 'p':
			o.poll_ms = number(optarg);
			break;
		case 'd':
			o.drain_ms = number(optarg);
			break;
		default:
			fprintf(stderr, "usage: logfollow [-n] [-p POLL_MS] "
			    "[-d DRAIN_MS] PATH\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: logfollow [-n] [-p POLL_MS] "
		    "[-d DRAIN_MS] PATH\n");
		return 2;
	}
	log_init("logfollow", true, LOG_LEVEL_WARN);
	if ((base = event_base_new()) == NULL) {
		fprintf(stderr, "logfollow: event_base_new failed\n");
		return 1;
	}
	ev_term = evsignal_new(base, SIGTERM, on_signal, base);
	ev_int = evsignal_new(base, SIGINT, on_signal, base);
	if (ev_term == NULL || ev_int == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1) {
		fprintf(stderr, "logfollow: cannot set up the signals\n");
		return 1;
	}
	f = logsrc_follow_start(base, argv[optind], &o, print_line, NULL,
	    err, sizeof(err));
	if (f == NULL) {
		fprintf(stderr, "logfollow: %s\n", err);
		return 1;
	}
	/* Tell the script the start point is taken. */
	fprintf(stderr, "ready\n");
	event_base_dispatch(base);
	logsrc_follow_get_stats(f, &st);
	fprintf(stderr, "lines=%llu bytes=%llu overlong=%llu rotations=%llu "
	    "truncations=%llu read_errors=%llu\n",
	    (unsigned long long)st.lines, (unsigned long long)st.bytes,
	    (unsigned long long)st.overlong, (unsigned long long)st.rotations,
	    (unsigned long long)st.truncations,
	    (unsigned long long)st.read_errors);
	logsrc_follow_stop(f);
	event_free(ev_term);
	event_free(ev_int);
	event_base_free(base);
	return 0;
}
