/*
 * alert.h - an alert as a plain value, and its JSON line. Every string that
 * came from the wire or a database is escaped (RFC 8259), invalid UTF-8
 * replaced by U+FFFD. Also the JSON line of the --pairs forensic table.
 * dst_asn and dst_org are written only when the autonomous system is known.
 */
#ifndef EXFILD_ALERT_H
#define EXFILD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/detect/finding.h"
#include "exfild/proto/classify.h"
#include "exfild/config/config.h"
#include "exfild/proto/proto_http.h"
#include "exfild/util/community_id.h"
#include "exfild/util/netaddr.h"
#include "exfild/util/sha256.h"
#include "exfild/util/strbuf.h"

#define ALERT_ID_LEN 37 /* 36 chars (UUID form) + NUL */
#define ALERT_HOST_MAX 256
#define ALERT_USER_MAX 128
#define ALERT_ORG_MAX 128  /* an AS organisation, as a database names it */
#define ALERT_UID_MAX 24   /* a Zeek uid */
#define ALERT_CONTAINED_MAX 160 /* "nft set block4 until 2026-...Z" */
#define ALERT_EVIDENCE_DIR_MAX 96 /* "20261207T185302Z-<rule>-<id 8>" */
#define ALERT_SHA256_MAX 4 /* stored bodies' digests an alert lists */

/* What a record is: an alert, an alert-update (open_alerts.h): the same
 * alert's pair totals later, written with "kind":"update", or a row of
 * the pairs table the daemon writes to its outputs ("kind":"pair",
 * alert_from_pair). */
enum alert_kind { ALERT_KIND_ALERT = 0, ALERT_KIND_UPDATE, ALERT_KIND_PAIR };

struct alert {
	char id[ALERT_ID_LEN];
	enum alert_kind kind;      /* 0 (memset): an alert */
	uint64_t ts_ns;
	const char *sensor;
	const char *rule;
	const char *title;         /* the rule's one-line title */
	enum severity severity;
	const char *source;        /* "pcap", "live", "squid-log", "zeek-conn" ... */
	struct netaddr src;
	char src_user[ALERT_USER_MAX]; /* "" when unknown */
	struct netaddr dst;        /* family 0 when only the name is known */
	uint16_t dst_port;
	char dst_host[ALERT_HOST_MAX]; /* "" when unknown */
	country_t dst_country;
	uint32_t dst_asn;          /* autonomous system (geo.asn); 0: unknown */
	char dst_org[ALERT_ORG_MAX]; /* its organisation ("" when unknown) */
	bool via_proxy;
	bool during_learning;      /* raised while the baseline was learning
				    * (written only when true) */
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t flows;
	uint64_t window_s;
	uint64_t payload[PK_COUNT]; /* client payload bytes per kind, since the
				     * pair was first seen ("payload_total") */
	uint64_t first_seen_ns;
	uint64_t window_start_ns;  /* where the pair's window begins */
	uint64_t learn_end_ns;     /* when learning ends; 0: no learning period */
	uint64_t records_low, records_high; /* records at risk (alert_records) */
	struct finding finding;    /* the rule's reason and evidence (may be empty)
				    * and the threshold it crossed */
	const char *const *attack; /* the rule's ATT&CK technique ids,
				    * NULL-terminated (NULL: none) */
	/* The connection whose packet (or log line) made the rule match: IP
	 * protocol (6, 17; 0 unknown: the three are left out), its source
	 * port, its Community ID v1 (community_id.h, seed 0); "" unknown. */
	uint8_t proto;
	uint16_t src_port;
	char community_id[COMMUNITY_ID_LEN];
	char uid[ALERT_UID_MAX];   /* a Zeek log's uid; "" none */
	/* Its HTTP request, when the flow's parser held one (wire bytes, ""
	 * when absent), and whether it is a CONNECT tunnel. */
	char http_method[HTTP_METHOD_MAX];
	char http_uri[HTTP_URI_MAX];
	char http_user_agent[HTTP_UA_MAX];
	char http_filename[HTTP_FILENAME_MAX];
	/* Evidence (evidence/evidence.h): the alert's directory under
	 * evidence.dir ("" none), and the SHA-256 (hex) of the bodies stored
	 * complete there when it was written (the first ALERT_SHA256_MAX). */
	char evidence_dir[ALERT_EVIDENCE_DIR_MAX];
	uint8_t n_sha256;
	char sha256[ALERT_SHA256_MAX][SHA256_HEX_LEN];
	bool tunnel_connect;
	/* An update only: why it was written ("suppress_end", "pair_evicted",
	 * "end_of_input", "table_full") and the pair's last traffic. Its
	 * bytes_out, bytes_in, flows, payload and records are the pair's
	 * totals since first seen, ts the time of the update. */
	const char *update_reason;
	uint64_t last_seen_ns;
	uint64_t bytes_served;     /* a pair row only (pair_report) */
	/* What containment did (contain.h): "nft set block4 until TIME",
	 * "exec PATH exit N", "skipped (REASON)"; "" when it is off or the
	 * rule is not in contain.rules (then not written). */
	char contained[ALERT_CONTAINED_MAX];
};

/* "alert", "update" or "pair". */
const char *alert_kind_name(enum alert_kind k);

/* "tcp", "udp", or NULL for another protocol number. */
const char *alert_transport(uint8_t proto);

/*
 * Records at risk in `bytes` sent: low = bytes / bytes_per_record (every
 * byte at face value); high = (text + other x compression) /
 * bytes_per_record, where the share of text is the pair's text payload
 * among its payload kinds (archives, high-entropy, TLS and unrecognised
 * bytes may be compressed; text is not; no payload known: all may be).
 */
void alert_records(uint64_t bytes, const uint64_t kinds[PK_COUNT],
    uint64_t bytes_per_record, double compression, uint64_t *low,
    uint64_t *high);

/* Deterministic id: a UUID-formatted keyed hash of (sensor, rule, src,
 * destination, ts, seq) so that the same input gives the same ids, in one
 * run or split over several with the state saved between. seq tells apart
 * alerts alike in all the rest; the pipeline passes 0 (a rule alerts a
 * pair at most once at one time, unless rules.suppress is 0 and two
 * packets share a timestamp). */
void alert_make_id(struct alert *a, uint64_t seq);

/* One JSON object, no trailing newline. Returns false when it did not fit.
 * An update is written with its id, what names the pair (rule, src, dst,
 * dst_host ...), its totals, "last_seen" and "update_reason"; no evidence,
 * threshold, connection or HTTP request (those are the alert's). */
bool alert_format_json(const struct alert *a, struct strbuf *sb);

struct pair_report {
	struct netaddr src;
	struct netaddr dst;
	char dst_host[ALERT_HOST_MAX];
	country_t dst_country;
	uint32_t dst_asn;          /* 0: unknown */
	char dst_org[ALERT_ORG_MAX];
	uint64_t bytes_out, bytes_in;
	uint64_t bytes_served;  /* sent on connections the far side opened */
	uint64_t records_low, records_high;
	uint64_t flows;
	uint64_t first_ns, last_ns;
	uint64_t payload[PK_COUNT];
	bool familiar;          /* its destination, at the end (not in JSON) */
	bool foreign;           /* its country is not a home country (idem) */
};
/* A --pairs row: {"kind":"pair","src":...}. */
bool pair_format_json(const struct pair_report *r, struct strbuf *sb);

/* The row as a record for the outputs (the daemon's pairs table, SIGUSR2
 * and report.pairs_interval): kind ALERT_KIND_PAIR, rule "pair-report",
 * severity low, ts and sensor given, first_seen/last_seen the pair's
 * first and last traffic, an id as alert_make_id gives. Its JSON is the
 * --pairs row with "ts" and "sensor" after "kind". */
void alert_from_pair(struct alert *a, const struct pair_report *r,
    const char *sensor, uint64_t ts_ns);

/*
 * One line for a person (exfild -r ... --format text), no newline:
 *   alert:  TS SEVERITY RULE SRC[ (USER)] -> DEST: N bytes out[ while
 *           learning]: REASON (or the rule's title)
 *   update: TS update of RULE alert ID: SRC -> DEST: N bytes out, N bytes
 *           in, N flows, last seen TS (UPDATE_REASON)
 *   pair:   pair SRC -> DEST: N bytes out, N bytes in, N flows, FIRST to LAST
 * DEST is alert_format_dest's. Text from the wire or a database has its
 * control characters and invalid UTF-8 replaced by U+FFFD. False when it
 * did not fit.
 */
bool alert_format_text(const struct alert *a, struct strbuf *sb);
/* The destination for a person: "NAME (ADDRESS, CC, ASN ORG)", the
 * address when there is no name ("ADDRESS (CC, ...)"), ASN and ORG only
 * when known; sanitized as alert_format_text. */
void alert_format_dest(const struct alert *a, struct strbuf *sb);

/* The finding's evidence as a JSON object {"key":value,...}. */
void json_put_evidence(struct strbuf *sb, const struct finding *f);

/* JSON string (with the quotes) from untrusted bytes: escapes and
 * replaces invalid UTF-8 with U+FFFD. */
void json_put_string(struct strbuf *sb, const char *s, size_t n);

#endif
