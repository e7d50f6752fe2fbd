/*
 * proto_http.h - incremental HTTP/1.x request parser for the client-to-
 * server byte stream (RFC 9110, 9112): request line (origin-form,
 * absolute-form, CONNECT authority-form), Host, Content-Length,
 * Transfer-Encoding: chunked, Content-Type multipart/form-data boundaries,
 * X-Forwarded-For; for alerts, the request target (URI), User-Agent and a
 * multipart part's filename (RFC 7578 4.2). Keep-alive and pipelining: every request is reported.
 * Fixed-size state, no allocation; fed segment by segment in TCP order.
 */
#ifndef EXFILD_PROTO_HTTP_H
#define EXFILD_PROTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

#define HTTP_LINE_MAX 1024     /* longer lines keep their first bytes */
#define HTTP_HOST_MAX 256      /* host name as sent (raw, may be hostile) */
#define HTTP_METHOD_MAX 16
#define HTTP_BOUNDARY_MAX 72   /* RFC 2046: at most 70 characters */
#define HTTP_URI_MAX 1025      /* the request target, cut at 1 KiB (+ NUL) */
#define HTTP_UA_MAX 256        /* User-Agent, cut (+ NUL) */
#define HTTP_FILENAME_MAX 256  /* a part's filename="...", cut (+ NUL) */

struct http_request {
	char method[HTTP_METHOD_MAX];
	/* Host: from the CONNECT authority, the absolute URI, else Host:.
	 * Lowercased, without port and without IPv6 brackets. Raw bytes
	 * otherwise (it came from the wire: escape before output). */
	char host[HTTP_HOST_MAX];
	uint16_t port;          /* explicit port, else 80 (443 for https:// URIs) */
	bool is_connect;
	bool absolute_uri;
	bool has_xff;
	struct netaddr xff;     /* last (proxy-added) X-Forwarded-For address */
	bool chunked;
	bool has_content_length;
	uint64_t content_length;
	bool multipart;
	/* Bytes of this request's line and headers that were in the segment
	 * being fed (a head split over segments counts its last part), so a
	 * caller can credit them to this request's destination. */
	uint32_t head_in_feed;
	/* For alerts, raw bytes from the wire (escape before output), each
	 * NUL-terminated and "" when absent: the request target as sent (cut
	 * at 1 KiB, and shorter when the request line was longer than
	 * HTTP_LINE_MAX), User-Agent, and the filename of the latest
	 * multipart part that gave one (set while its body is read). */
	char uri[HTTP_URI_MAX];
	char user_agent[HTTP_UA_MAX];
	char filename[HTTP_FILENAME_MAX];
};

struct http_stats {
	uint64_t requests;
	uint64_t connects;
	uint64_t malformed;     /* request line or header we could not parse */
	uint64_t resyncs;       /* gaps after which we looked for a new request */
	uint64_t long_lines;    /* lines longer than HTTP_LINE_MAX (truncated) */
};

struct http_events {
	/* Headers of a request complete. */
	void (*on_request)(void *ctx, const struct http_request *req);
	/* Body bytes (de-chunked). part_start is true for the first bytes of a
	 * request body and of each multipart part's content. */
	void (*on_body)(void *ctx, const uint8_t *data, size_t len, bool part_start);
	/* Client bytes after a CONNECT request's headers (the tunnel). */
	void (*on_tunnel)(void *ctx, const uint8_t *data, size_t len);
	struct http_stats *stats; /* may be NULL */
	/* Client bytes dropped while looking for the next request after a gap
	 * (most likely the rest of a body). May be NULL. */
	void (*on_skipped)(void *ctx, const uint8_t *data, size_t len);
	/* A multipart part's content (or the preamble) ended: its delimiter
	 * is certain now. The last `delim` body bytes delivered are the
	 * delimiter's ("\n--boundary", padding, the line end or "--"; for a
	 * delimiter at a body's or content's start the '\n' is not a byte of
	 * the body), and the content's line end, CR LF, before it. May be
	 * NULL. */
	void (*on_part_end)(void *ctx, size_t delim);
};

/* Parser state: plain struct so flows can embed it; fields are private. */
struct http_parser {
	uint8_t state;
	uint8_t chunk_state;
	uint8_t multipart_state;
	uint8_t flags;
	bool line_truncated;
	bool in_tunnel;
	uint16_t line_len;
	uint16_t boundary_len;
	uint16_t match_len;
	uint8_t fn_match;      /* part headers: bytes of "filename=" matched */
	uint8_t fn_state;      /* ... and where in its value */
	uint16_t fn_len;       /* bytes of req.filename */
	uint64_t body_left;
	uint32_t head_feed;    /* head bytes of the current request in this feed */
	struct http_request req;
	char boundary[HTTP_BOUNDARY_MAX + 4];
	uint8_t line[HTTP_LINE_MAX];
};

void http_parser_init(struct http_parser *p);
/* The state file (track/state.h): the bytes of p that hold its state (the
 * struct up to the line buffer, and the line's bytes), and the same put
 * back. Restoring checks them as hostile (states, lengths, booleans,
 * strings terminated); false, p untouched, when they are not a state. */
size_t http_parser_saved_len(const struct http_parser *p);
bool http_parser_restore(struct http_parser *p, const uint8_t *bytes,
    size_t len);
void http_parser_feed(struct http_parser *p, const uint8_t *data, size_t len,
    const struct http_events *ev, void *ctx);
/* Bytes were lost (a TCP gap): drop the partial state and resynchronise on
 * the next segment that starts with a request line. */
void http_parser_gap(struct http_parser *p, const struct http_events *ev);
/* The proxy answered the CONNECT with 2xx: what follows is the tunnel for
 * good, even if it looks like a request (bytes held back are delivered). */
void http_parser_tunnel_confirmed(struct http_parser *p,
    const struct http_events *ev, void *ctx);
/* Does the parser hold anything a fresh one lacks? False between
 * requests (a request's head and body complete, nothing held back), so
 * its state can be let go and made again with http_parser_init. */
bool http_parser_busy(const struct http_parser *p);
/* Reading a request's body (its kind is that of the body's first bytes). */
bool http_parser_in_body(const struct http_parser *p);
/* After a CONNECT's head (its tunnel confirmed or not). */
bool http_parser_in_tunnel(const struct http_parser *p);
/* Inside a CONNECT's tunnel for good: every later byte is the tunnel's. */
bool http_parser_tunnel_steady(const struct http_parser *p);
/* Would a confirmation change anything now (a CONNECT's tunnel that has
 * seen no byte yet)? Lets the caller skip reading the server's replies. */
bool http_parser_awaits_tunnel_reply(const struct http_parser *p);
/* True for a status line "HTTP/1.x 2xx" at the start of data. */
bool http_response_is_2xx(const uint8_t *data, size_t len);
/* Does this look like the start of an HTTP request ("METHOD SP")? */
bool http_looks_like_request(const uint8_t *data, size_t len);
/* Internal spans the parser refused as out of range (each made empty):
 * a parser bug if ever non-zero, for tests and fuzzers. Process-wide. */
uint64_t http_span_errors(void);

#endif
