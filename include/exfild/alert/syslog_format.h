/*
 * syslog_format.h - one alert as one complete syslog message: an RFC 5424
 * header with structured data, or an RFC 3164 header, followed by a body in
 * JSON, ECS JSON, ArcSight CEF or QRadar LEEF 2.0. Never longer than the
 * limit: too long a message is shortened so that it still parses, never
 * split. No allocation; fit for the alert path.
 *
 * Header (RFC 5424 6):
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
 *   PRI = facility * 8 + severity: critical 2 (crit), high 3 (err),
 *   medium 4 (warning), low 5 (notice). TIMESTAMP: the alert's time, RFC
 *   3339 UTC with milliseconds. HOSTNAME, APP-NAME, PROCID, MSGID (the rule
 *   name): printable US-ASCII (any other byte becomes '_'), at most 255, 48,
 *   128 and 32 bytes, "-" when empty (PROCID: procid <= 0). One SD-ELEMENT
 *   exfild@<enterprise_number> (SYSLOG_PEN by default) with id, rule,
 *   severity, src, src_user (only when known), dst, dst_port, dst_host,
 *   dst_country, dst_asn and dst_org (only when the AS is known), via,
 *   bytes_out, bytes_in, window_s, source, records_est_low/_high, then
 *   (each only when known) proto, src_port, community_id, uid,
 *   window_start, learn_end, threshold, threshold_limit, threshold_value,
 *   http_method, http_uri, http_user_agent, http_filename, evidence_dir,
 *   sha256 (comma-separated), tunnel, attack_techniques, attack_tactics, reason and ev_<key>;
 *   PARAM-VALUE escapes '"', '\' and ']' (6.3.3).
 *   MSG is sent without the UTF-8 BOM (6.4 MSG-ANY): SIEM parsers anchor on
 *   the body's first bytes ("{", "CEF:", "LEEF:"), and a BOM in front of
 *   them breaks JSON decoding and CEF/LEEF detection in several of them.
 *   The body is valid UTF-8 all the same.
 * Header (RFC 3164 4.1, for old collectors):
 *   <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG
 *   Time in UTC, day space-padded; TAG is APP-NAME (at most 32 bytes of
 *   printable ASCII, ':', '[' and ']' also as '_'); "[PID]" only when
 *   procid > 0.
 *
 * Bodies (all one line: no CR, LF or other control character in them):
 *   JSON   alert_format_json() (alert.h).
 *   ECS    JSON with Elastic Common Schema names: @timestamp, ecs.version,
 *          event.kind "alert", event.category ["network"], event.type
 *          ["connection"], event.id, event.severity, event.module "exfild",
 *          event.start (the window's start), event.end (the alert's time),
 *          rule.name, source.ip, source.port, source.bytes,
 *          source.user.name, destination.ip, destination.port,
 *          destination.domain, destination.bytes,
 *          destination.geo.country_iso_code, destination.as.number,
 *          destination.as.organization.name, network.direction "outbound",
 *          network.transport, network.iana_number, network.community_id,
 *          http.request.method, url.original, user_agent.original,
 *          file.name, file.hash.sha256 (the first stored body's),
 *          threat.framework "MITRE ATT&CK",
 *          threat.technique.id/name and threat.tactic.id/name (arrays),
 *          zeek.session_id (a Zeek uid), observer.name (the sensor),
 *          labels.via, exfild.source, exfild.flows, exfild.window_s,
 *          exfild.first_seen, exfild.learn_end, exfild.threshold.name/
 *          limit/value, exfild.tunnel, exfild.payload_total.<kind>,
 *          exfild.evidence_dir, exfild.sha256 (array). Fields
 *          with no value (an unknown address, domain, country, user, port
 *          0, an unknown AS) are left out: ECS types them (ip, keyword,
 *          long).
 *   CEF    CEF:0|exfild|exfild|EXFILD_VERSION|<rule>|<name>|<severity>|ext
 *          ("Implementing ArcSight Common Event Format" rev 25). Header
 *          fields escape '|' and '\'; extension values escape '\' and '=',
 *          CR and LF as \r and \n. Keys: rt and start (ms since the
 *          epoch; start is the window's), dvchost (sensor), src/dst (IPv4)
 *          or c6a2/c6a3 (IPv6), spt and proto (TCP, UDP), externalId (a
 *          Zeek uid), suser, dpt, dhost, out, in, deviceDirection=1, cs1
 *          country, cs2 via, cs3 alert id, cs4 payload since first seen
 *          ("rar:1600000,tls:200"), cs5 input source, cn1 flows, cn2 window
 *          seconds, and when the AS is known cn3 its number and cs6 its
 *          organisation (each with its csNLabel/cnNLabel); requestMethod,
 *          request, requestClientApplication, fname, fileHash (the
 *          first stored body's SHA-256); flexString1/2 the
 *          ATT&CK techniques and tactics with their labels; exfild* custom
 *          keys: CommunityId, ThresholdName/Limit/Value, FirstSeen,
 *          LearnEnd, Tunnel, RecordsEstLow/High, EvidenceDir, Sha256
 *          (comma-separated) and the evidence.
 *   LEEF   LEEF:2.0|exfild|exfild|EXFILD_VERSION|<rule>|^|key=value^...
 *          (IBM QRadar LEEF 2.0). devTime with devTimeFormat
 *          "MMM dd yyyy HH:mm:ss.SSS z", cat, sev, src, dst, dstPort,
 *          srcPort and proto (the number), usrName, srcBytes, dstBytes,
 *          then alertId, dstHost, dstCountry, dstAsn and dstOrg (when the
 *          AS is known), via, flows, windowSeconds, payloadTotal, sensor,
 *          inputSource, zeekUid, httpMethod, url, userAgent, fileName,
 *          attackTechniques, attackTactics and CEF's exfild* keys. The
 *          delimiter is '^', not tab: rsyslog rewrites a received tab as
 *          "#011" by default. LEEF has no escape: the delimiter and '|'
 *          (IBM's guidelines) in a value become U+FFFD.
 *   Severity in CEF, LEEF and ECS: low 3, medium 5, high 8, critical 10.
 *
 * Text that came from anywhere: invalid UTF-8 (RFC 3629) becomes U+FFFD,
 * one per invalid byte as in alert.c. A character a format has no escape
 * for becomes U+FFFD too: in the SD, CEF and LEEF every C0 control, DEL
 * and C1 control (in CEF values CR and LF are escaped instead).
 *
 * An alert-update (a->kind ALERT_KIND_UPDATE, alert/open_alerts.h) is
 * written as its alert, with the pair's totals, and says what it is: ECS
 * event.kind "state" with exfild.kind "update", exfild.update_reason and
 * exfild.last_seen; CEF and LEEF exfildKind=update, exfildUpdateReason and
 * exfildLastSeen (ms since the epoch); the SD kind="update",
 * update_reason and last_seen. JSON: alert.h.
 *
 * Shortening: when the whole message is longer than max_len, the fields
 * from the wire or a database, dst_host, src_user, dst_org, http_uri,
 * http_user_agent and http_filename (and the finding's text), are cut at a
 * character
 * boundary to at most the same number of their own bytes (as many as fit,
 * found by bisection) and end with SYSLOG_TRUNC_MARKER, in every place they
 * appear; escaping is done after the cut, so no escape is ever cut. When
 * the message does not fit even with all cut to nothing but the marker,
 * nothing is written.
 */
#ifndef EXFILD_SYSLOG_FORMAT_H
#define EXFILD_SYSLOG_FORMAT_H

#include <stddef.h>

#include "exfild/alert/alert.h"
#include "exfild/config/config.h"
#include "exfild/util/strbuf.h"

#include "exfild/version.h"

/*
 * Private Enterprise Number of the structured data's SD-ID (RFC 5424 7.2.2)
 * when the output sets none (syslog_meta.enterprise_number, the syslog
 * output's enterprise_number key): 32473, reserved for documentation (RFC
 * 5612).
 */
#define SYSLOG_PEN SYSLOG_DEFAULT_PEN
#define SYSLOG_PEN_STR_(n) #n
#define SYSLOG_PEN_STR(n) SYSLOG_PEN_STR_(n)
#define SYSLOG_SD_ID "exfild@" SYSLOG_PEN_STR(SYSLOG_PEN)

#define SYSLOG_LEEF_DELIM '^'
/* U+2026 HORIZONTAL ELLIPSIS ends a field that was shortened. */
#define SYSLOG_TRUNC_MARKER "\xe2\x80\xa6"

struct syslog_meta {
	int facility;         /* 0..23 (local4 = 20) */
	const char *hostname; /* NULL or "" -> "-" */
	const char *app_name; /* NULL or "" -> "-" */
	int procid;           /* <= 0: none */
	uint32_t enterprise_number; /* the SD-ID's PEN; 0: SYSLOG_PEN */
};

/*
 * Appends one syslog message (no framing, no trailing newline) to out: at
 * most max_len bytes, and at most what out has room for. 0, or -1 when even
 * the shortened message cannot fit, out is already flagged overflowed, the
 * facility is not 0..23 or h or f is unknown (then out is left as it was).
 */
int syslog_format_message(const struct alert *a, enum syslog_header h,
    enum output_format f, const struct syslog_meta *m, size_t max_len,
    struct strbuf *out);

/* The body alone (file outputs in ecs/cef/leef; json is alert_format_json),
 * with the same limit, shortening and return values. */
int syslog_format_body(const struct alert *a, enum output_format f,
    size_t max_len, struct strbuf *out);

#endif
