/*
 * logparse_squid.h - Squid access.log lines, in the native "squid" format or
 * any custom logformat given as Squid's own format string (squid.conf
 * "logformat" directive: % [encoding] [-] [[0]width] [{arg}] code [{arg}]).
 */
#ifndef EXFILD_LOGPARSE_SQUID_H
#define EXFILD_LOGPARSE_SQUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/logs/log_record.h"

/* Squid's built-in native format. */
#define SQUID_NATIVE_FORMAT \
	"%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt"

struct squid_format; /* opaque: a compiled logformat */

/*
 * spec: "squid" (the native format), "squid:<logformat string>" or the bare
 * logformat string. Codes that fill the record: %ts %tu %tS %tl %tg (the
 * last two only as "[%tl]" with their default strftime form) %tr, %>a %>A,
 * %un %ul %ue %ui, %rm %>rm, %ru %>ru %>rd %>rP, %{Host}>h, %>Hs %Hs %<Hs,
 * %<st %>st, %<a %<A %<p, %mt. Every other code, known to Squid or not
 * (%Ss %Sh %>p %la %lp %rv %<tt %ssl::>sni %note{x} ...), only takes its
 * field's place. Width/precision, the encodings (" [ # ' /) and literal
 * text between codes are understood; a literal '"' or '[' before a code
 * makes its field a quoted string or a bracketed blob that may hold spaces.
 * The format needs a time code and a client code (%>a or %>A). Two codes
 * with nothing between them cannot be split and are refused.
 * Returns NULL with a message in err on a malformed spec (start-up only).
 */
struct squid_format *squid_format_compile(const char *spec, char *err,
    size_t errlen);
void squid_format_free(struct squid_format *f);

/* False when the format has no %>st: uploads cannot be measured from it
 * (the native format records only reply sizes). */
bool squid_format_measures_uploads(const struct squid_format *f);

/*
 * One line, without its line end (a trailing CR/LF is ignored). Fields are
 * separated by runs of blanks; "-" is an empty field; fields after the
 * format's last code (log_mime_hdrs, newer Squids) are ignored.
 *
 * User names hold blanks as Squid (5.7) logs them ("%[un" "j. \"q\" d%c3%b6e").
 * When the format has exactly one user code (%un %ul %ue %ui) outside quotes
 * and brackets, followed by a blank, and after it only codes outside quotes
 * and brackets (and no %tl outside brackets), a line with more fields than
 * the format is split at the user: the fields before it from the left, those
 * after it from the line's end (for a '[' encoded user, as the native
 * format's, from before log_mime_hdrs' " [...] [...]"), the user the bytes
 * between. That reading wins when it gives a record; else the line is read
 * field by field as above. Other formats (two user codes, as common and
 * combined; a quoted or bracketed code after the user) are read field by
 * field only: a user with blanks then usually gives format_mismatch.
 *
 * LOGPARSE_RECORD fills *out; LOGPARSE_HEADER for a blank line;
 * LOGPARSE_REJECT sets *why. Allocates nothing.
 *
 * The record: ts_ns from %ts.%tu (else %tS + %tr, else %tl/%tg); host and
 * port from %ru (CONNECT: host:port; else scheme://[user@]host[:port]/...,
 * the scheme's port when none is given), else %>rd and %>rP, else the Host
 * header; an address-literal URL host goes to server when %<a/%<A give no
 * address (they may be "-" or, in old Squids, a peer's name). Control
 * characters in text fields cut them short (the line is kept).
 */
enum log_parse_result squid_parse_line(const struct squid_format *f,
    const uint8_t *line, size_t len, struct log_record *out,
    enum log_reject *why);

#endif
