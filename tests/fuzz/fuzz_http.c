/*
 * fuzz_http.c - libFuzzer target for the HTTP request parser. The first 4
 * input bytes seed the cutting of the rest into segments of random sizes
 * (and, when the seed's low bit is set, gaps between some of them). Hosts
 * and methods must be NUL-terminated in bounds, body and tunnel bytes must
 * not outnumber the input; when no gap was made and nothing was malformed
 * the events must equal those of one feed of the whole stream; no span
 * may ever be asked outside its parent (http_span_errors).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/proto/proto_http.h"

struct events_seen {
	uint64_t hash;
	uint64_t bytes;
	int last_kind;
};

static void
mix(struct events_seen *e, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		e->hash ^= b[i];
		e->hash *= 0x100000001b3ULL;
	}
}

static void
on_request(void *ctx, const struct http_request *req)
{
	struct events_seen *e = ctx;

	if (memchr(req->host, '\0', sizeof(req->host)) == NULL ||
	    memchr(req->method, '\0', sizeof(req->method)) == NULL ||
	    req->method[0] == '\0')
		abort();
	mix(e, "R", 1);
	mix(e, req->method, strlen(req->method));
	mix(e, req->host, sizeof(req->host));
	mix(e, &req->port, sizeof(req->port));
	mix(e, &req->xff, sizeof(req->xff));
	mix(e, &req->content_length, sizeof(req->content_length));
	mix(e, (uint8_t[]){ req->is_connect, req->absolute_uri, req->has_xff,
	    req->chunked, req->has_content_length, req->multipart }, 6);
	e->last_kind = 'R';
}

static void
on_body(void *ctx, const uint8_t *data, size_t len, bool part_start)
{
	struct events_seen *e = ctx;

	if (len == 0)
		abort();
	if (part_start)
		mix(e, "P", 1);
	else if (e->last_kind != 'B')
		mix(e, "B", 1);
	mix(e, data, len);
	e->bytes += len;
	e->last_kind = 'B';
}

static void
on_tunnel(void *ctx, const uint8_t *data, size_t len)
{
	struct events_seen *e = ctx;

	if (len == 0)
		abort();
	if (e->last_kind != 'T')
		mix(e, "T", 1);
	mix(e, data, len);
	e->bytes += len;
	e->last_kind = 'T';
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_parser p;
	struct http_stats st_seg, st_whole;
	struct http_events ev = { on_request, on_body, on_tunnel, NULL, NULL, NULL };
	struct events_seen seg, whole;
	uint32_t seed = 0x9e3779b9u, r;
	size_t off = 0, n;
	bool gaps = false;

	if (size >= 4) {
		seed ^= (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
		    (uint32_t)data[2] << 8 | data[3];
		data += 4;
		size -= 4;
	}
	if (seed == 0)
		seed = 1;
	memset(&seg, 0, sizeof(seg));
	memset(&st_seg, 0, sizeof(st_seg));
	seg.hash = whole.hash = 0xcbf29ce484222325ULL;
	ev.stats = &st_seg;
	http_parser_init(&p);
	while (off < size) {
		r = next_rand(&seed);
		n = (r & 7) == 0 ? 1 + (r >> 8) % 2048 : 1 + (r >> 8) % 48;
		if (n > size - off)
			n = size - off;
		if ((seed & 1) && (r >> 3) % 16 == 0) {
			http_parser_gap(&p, &ev);
			gaps = true;
		}
		http_parser_feed(&p, data + off, n, &ev, &seg);
		off += n;
	}
	if (seg.bytes > size)
		abort();

	memset(&whole, 0, sizeof(whole));
	memset(&st_whole, 0, sizeof(st_whole));
	whole.hash = 0xcbf29ce484222325ULL;
	ev.stats = &st_whole;
	http_parser_init(&p);
	http_parser_feed(&p, data, size, &ev, &whole);
	if (!gaps && st_seg.malformed == 0 && st_whole.malformed == 0) {
		if (seg.hash != whole.hash || seg.bytes != whole.bytes ||
		    st_seg.requests != st_whole.requests ||
		    st_seg.connects != st_whole.connects ||
		    st_seg.long_lines != st_whole.long_lines)
			abort();
	}
	/* No input may make the parser ask for a span outside its parent. */
	if (http_span_errors() != 0)
		abort();
	return 0;
}
