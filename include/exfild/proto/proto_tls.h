/*
 * proto_tls.h - TLS ClientHello reader (RFC 8446 4.1.2, RFC 6066 3 for
 * server_name). Reassembles a ClientHello that spans several TCP segments
 * and several TLS records into a fixed buffer; no allocation.
 */
#ifndef EXFILD_PROTO_TLS_H
#define EXFILD_PROTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_HELLO_MAX 8192 /* ClientHellos larger than this are given up on */
#define TLS_SNI_MAX 256

enum tls_result {
	TLS_NEED_MORE,   /* feed more client bytes */
	TLS_SNI_FOUND,   /* sni filled in */
	TLS_NO_SNI,      /* a complete ClientHello without server_name */
	TLS_NOT_TLS,     /* the stream does not start with a TLS handshake */
	TLS_MALFORMED,   /* inconsistent lengths, or too large to hold */
};

struct tls_parser {
	uint16_t have;     /* bytes of handshake message gathered */
	uint16_t rec_left; /* bytes left in the current record */
	uint8_t rec_hdr[5];
	uint8_t rec_hdr_len;
	uint8_t done;
	uint8_t buf[TLS_HELLO_MAX];
};

/* Does the stream start with a TLS record header (handshake/app data)? */
bool tls_looks_like_record(const uint8_t *data, size_t len);
void tls_parser_init(struct tls_parser *p);
/* As http_parser_saved_len and http_parser_restore (proto_http.h): the
 * struct up to the buffer, and the bytes gathered in it. */
size_t tls_parser_saved_len(const struct tls_parser *p);
bool tls_parser_restore(struct tls_parser *p, const uint8_t *bytes, size_t len);
/* sni receives the lowercased server name (NUL-terminated) on TLS_SNI_FOUND. */
enum tls_result tls_parser_feed(struct tls_parser *p, const uint8_t *data,
    size_t len, char sni[TLS_SNI_MAX]);

#endif
