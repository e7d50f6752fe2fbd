/*
 * logparse_zeek.h - Zeek conn.log and http.log lines, TSV (Zeek's ASCII
 * writer: '#' headers, then one record per line) or JSON (one object per
 * line, LogAscii::use_json), told apart line by line.
 */
#ifndef EXFILD_LOGPARSE_ZEEK_H
#define EXFILD_LOGPARSE_ZEEK_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/logs/log_record.h"

/* TSV columns beyond this many are ignored. */
#define ZEEK_MAX_COLUMNS 256

struct zeek_reader; /* opaque: the headers seen so far, a line buffer */

struct zeek_reader *zeek_reader_new(void); /* start-up only: allocates */
void zeek_reader_free(struct zeek_reader *z);
/* Forget every header (the next line starts a new file). */
void zeek_reader_reset(struct zeek_reader *z);

/*
 * One line, without its line end (a trailing CR/LF is ignored).
 *
 * TSV: '#separator' (with \xHH escapes; it starts a new header block),
 * '#set_separator', '#empty_field', '#unset_field', '#path', '#fields'
 * (columns found by name, any order, others ignored), '#types', '#open',
 * '#close' and any other '#' line are LOGPARSE_HEADER; data lines need a
 * '#fields' before them and exactly its number of columns. Values equal
 * to #unset_field are unknown; \xHH escapes in text are decoded.
 * JSON: a line starting with '{' is one strict JSON object; keys are the
 * TSV column names; unset fields are absent or null; ts is a number or an
 * ISO 8601 string; nested arrays and objects are checked and skipped.
 *
 * conn or http: by #path (or JSON "_path") when it says "conn" or "http",
 * else by the columns present (orig_bytes, conn_state, ... -> conn; method,
 * host, uri, ... -> http); anything else is LOGREJ_UNSUPPORTED_LOG.
 * conn: ts, uid, id.orig_h (client), id.resp_h/p (server, port), duration,
 * orig_bytes (bytes_up; has_bytes_up when set), resp_bytes.
 * http: the same ids, method, host (its port dropped; an address there is
 * not a name), request_body_len (up), response_body_len (down),
 * status_code, orig_mime_types (first), username. A CONNECT (host:port in
 * uri) or an absolute-URI request was sent to a proxy: host and port come
 * from the uri and server is left unknown (id.resp_h is the proxy).
 * ts and id.orig_h are required (LOGREJ_MISSING_FIELD).
 * Allocates nothing.
 */
enum log_parse_result zeek_reader_line(struct zeek_reader *z,
    const uint8_t *line, size_t len, struct log_record *out,
    enum log_reject *why);

#endif
