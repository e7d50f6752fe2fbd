/*
 * logevent.c - log records as traffic events (see logevent.h), and the
 * payload kind a request body's MIME type names.
 */
#include <string.h>
#include <strings.h>

#include "exfild/logs/logevent.h"
#include "exfild/util/util.h"

/* The payload kind a MIME type names, for request bodies (Zeek's
 * orig_mime_types); PK_OTHER when it says nothing we count. */
static enum payload_kind
mime_kind(const char *mime)
{
	static const struct { const char *type; enum payload_kind kind; } kinds[] = {
		{ "application/x-rar-compressed", PK_RAR }, { "application/vnd.rar", PK_RAR },
		{ "application/x-rar", PK_RAR }, { "application/zip", PK_ZIP },
		{ "application/x-zip-compressed", PK_ZIP }, { "application/x-7z-compressed", PK_7Z },
		{ "application/gzip", PK_GZIP }, { "application/x-gzip", PK_GZIP },
		{ "application/x-bzip2", PK_BZIP2 }, { "application/x-xz", PK_XZ },
		{ "application/zstd", PK_ZSTD }, { "application/vnd.ms-cab-compressed", PK_CAB },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(kinds); i++)
		if (strcasecmp(mime, kinds[i].type) == 0)
			return kinds[i].kind;
	return PK_OTHER;
}

void
log_record_event(const struct log_record *r, struct traffic_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = r->ts_ns;
	ev->host = r->client;
	ev->dst_name = r->host[0] != '\0' ? r->host : NULL;
	ev->dst_addr = r->server; /* family 0 when the log names none */
	ev->dst_port = r->port;
	ev->via_proxy = r->kind == LOGREC_SQUID || r->via_proxy;
	ev->conn_start = true;
	/* Squid logs a request when it ends: it started its duration before */
	ev->conn_ns = r->ts_ns >= r->duration_ns && r->kind == LOGREC_SQUID ?
	    r->ts_ns - r->duration_ns : r->ts_ns;
	ev->from_host = true;
	ev->bytes_out = r->has_bytes_up ? r->bytes_up : 0;
	ev->bytes_in = r->bytes_down;
	/* only a request body's own type says what was uploaded (Zeek's
	 * orig_mime_types); Squid's %mt is the reply's */
	if (r->has_bytes_up)
		event_add_kind(ev, r->kind == LOGREC_ZEEK_HTTP ?
		    mime_kind(r->mime) : PK_OTHER, r->bytes_up);
	ev->source = log_record_event_source(r->kind);
	ev->user = r->user;
	if (r->kind != LOGREC_SQUID) {
		ev->tuple = r->tuple.proto != 0 ? &r->tuple : NULL;
		ev->uid = r->zeek_uid[0] != '\0' ? r->zeek_uid : NULL;
	}
}
