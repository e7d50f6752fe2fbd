/*
 * alert.c - alerts and --pairs rows as JSON lines (RFC 8259). Every string
 * is escaped and its UTF-8 (RFC 3629) validated; each invalid byte becomes
 * U+FFFD. Alert ids are UUID-shaped keyed hashes (RFC 9562 §5.8).
 */
#include <string.h>

#include "exfild/alert/alert.h"
#include "exfild/detect/attack.h"
#include "exfild/util/util.h"

static const char hex_digits[] = "0123456789abcdef";

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded */
static const char replacement[] = "\xef\xbf\xbd";

static void
put_escape_u(struct strbuf *sb, unsigned cp)
{
	char esc[6] = { '\\', 'u', hex_digits[cp >> 12 & 0xf],
		hex_digits[cp >> 8 & 0xf], hex_digits[cp >> 4 & 0xf],
		hex_digits[cp & 0xf] };

	sb_append(sb, esc, sizeof(esc));
}

/* An ASCII byte that cannot appear as itself inside a JSON string. */
static void
put_escape_ascii(struct strbuf *sb, uint8_t b)
{
	switch (b) {
	case '"':
		sb_append(sb, "\\\"", 2);
		break;
	case '\\':
		sb_append(sb, "\\\\", 2);
		break;
	case '\b':
		sb_append(sb, "\\b", 2);
		break;
	case '\f':
		sb_append(sb, "\\f", 2);
		break;
	case '\n':
		sb_append(sb, "\\n", 2);
		break;
	case '\r':
		sb_append(sb, "\\r", 2);
		break;
	case '\t':
		sb_append(sb, "\\t", 2);
		break;
	default:
		put_escape_u(sb, b); /* other controls and DEL */
		break;
	}
}

static bool
is_plain_ascii(uint8_t b)
{
	return b >= 0x20 && b < 0x7f && b != '"' && b != '\\';
}

/* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR end a JavaScript
 * string literal (before ES2019); they are escaped for such consumers. */
static bool
is_js_line_break(const uint8_t *d, size_t k)
{
	return k == 3 && d[0] == 0xe2 && d[1] == 0x80 &&
	    (d[2] == 0xa8 || d[2] == 0xa9);
}

static void
put_run(struct strbuf *sb, const char *s, size_t from, size_t to)
{
	if (to > from)
		sb_append(sb, s + from, to - from);
}

/*
 * Runs of bytes that need no change are copied in one append. An invalid
 * byte is replaced on its own and decoding resumes at the next byte, so a
 * cut sequence E3 81 becomes two U+FFFD, an overlong C0 AF two.
 */
void
json_put_string(struct strbuf *sb, const char *s, size_t n)
{
	const uint8_t *d = (const uint8_t *)s;
	size_t i = 0, run = 0, k;

	if (d == NULL)
		n = 0;
	sb_putc(sb, '"');
	while (i < n) {
		if (is_plain_ascii(d[i])) {
			i++;
			continue;
		}
		k = d[i] < 0x80 ? 0 : utf8_sequence(d + i, n - i);
		if (k > 0 && !is_js_line_break(d + i, k)) {
			i += k;
			continue;
		}
		put_run(sb, s, run, i);
		if (d[i] < 0x80) {
			put_escape_ascii(sb, d[i]);
			i++;
		} else if (k > 0) {
			put_escape_u(sb, d[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			i += k;
		} else {
			sb_append(sb, replacement, sizeof(replacement) - 1);
			i++;
		}
		run = i;
	}
	put_run(sb, s, run, i);
	sb_putc(sb, '"');
}

/* A C string that may be NULL. */
static void
put_cstr(struct strbuf *sb, const char *s)
{
	json_put_string(sb, s, s != NULL ? strlen(s) : 0);
}

/* A fixed-size field that should be NUL-terminated but may not be. */
static void
put_field(struct strbuf *sb, const char *s, size_t size)
{
	json_put_string(sb, s, strnlen(s, size));
}

/* ,"key": -- keys are constants of this file and need no escaping. */
static void
put_key(struct strbuf *sb, const char *key)
{
	sb_putc(sb, ',');
	sb_putc(sb, '"');
	sb_puts(sb, key);
	sb_append(sb, "\":", 2);
}

static void
put_u64(struct strbuf *sb, const char *key, uint64_t v)
{
	put_key(sb, key);
	sb_u64(sb, v);
}

static void
put_time(struct strbuf *sb, const char *key, uint64_t ts_ns)
{
	char buf[RFC3339_LEN];

	format_rfc3339_ms(ts_ns, buf);
	put_key(sb, key);
	put_field(sb, buf, sizeof(buf));
}

/* "" when the address is not set. */
static void
put_addr(struct strbuf *sb, const char *key, const struct netaddr *a)
{
	char buf[NETADDR_STRLEN];

	netaddr_format(a, buf, sizeof(buf));
	put_key(sb, key);
	put_field(sb, buf, sizeof(buf));
}

static void
put_country(struct strbuf *sb, const char *key, country_t cc)
{
	char buf[3];

	country_format(cc, buf);
	put_key(sb, key);
	put_field(sb, buf, sizeof(buf));
}

/* "dst_asn" and "dst_org", only when the autonomous system is known. */
static void
put_as(struct strbuf *sb, uint32_t asn, const char *org, size_t orgsize)
{
	if (asn == 0)
		return;
	put_u64(sb, "dst_asn", asn);
	put_key(sb, "dst_org");
	put_field(sb, org, orgsize);
}

/* {"kind":bytes,...} in enum order, kinds with bytes only. */
static void
put_payload(struct strbuf *sb, const uint64_t payload[PK_COUNT])
{
	bool first = true;
	int k;

	put_key(sb, "payload_total");
	sb_putc(sb, '{');
	for (k = 0; k < PK_COUNT; k++) {
		if (payload[k] == 0)
			continue;
		if (!first)
			sb_putc(sb, ',');
		first = false;
		put_cstr(sb, payload_kind_name((enum payload_kind)k));
		sb_putc(sb, ':');
		sb_u64(sb, payload[k]);
	}
	sb_putc(sb, '}');
}

void
alert_records(uint64_t bytes, const uint64_t kinds[PK_COUNT],
    uint64_t bytes_per_record, double compression, uint64_t *low,
    uint64_t *high)
{
	uint64_t all = 0, text = kinds[PK_TEXT];
	double may, est;
	int k;

	for (k = 0; k < PK_COUNT; k++)
		all += kinds[k];
	if (bytes_per_record == 0)
		bytes_per_record = 1;
	*low = bytes / bytes_per_record;
	may = all > 0 ? (double)bytes * (double)(all - text) / (double)all :
	    (double)bytes;
	est = ((double)bytes - may + may * compression) / (double)bytes_per_record;
	*high = est >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)est;
	if (*high < *low)
		*high = *low;
}

void
json_put_evidence(struct strbuf *sb, const struct finding *f)
{
	char buf[32];
	const char *v;
	bool number;
	size_t i;

	sb_putc(sb, '{');
	for (i = 0; i < f->n; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		put_cstr(sb, f->f[i].key);
		sb_putc(sb, ':');
		v = finding_value(f, &f->f[i], buf, sizeof(buf), &number);
		if (number)
			sb_puts(sb, v);
		else
			put_cstr(sb, v);
	}
	sb_putc(sb, '}');
}

const char *
alert_transport(uint8_t proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : NULL;
}

/* A field from the wire, only when there is one. */
static void
put_field_set(struct strbuf *sb, const char *key, const char *s, size_t size)
{
	if (s[0] == '\0')
		return;
	put_key(sb, key);
	put_field(sb, s, size);
}

/* "proto", "src_port" and "community_id" of the connection, when known. */
static void
put_connection(struct strbuf *sb, const struct alert *a)
{
	if (a->proto == 0)
		return;
	put_key(sb, "proto");
	put_cstr(sb, alert_transport(a->proto));
	put_u64(sb, "src_port", a->src_port);
	put_key(sb, "community_id");
	put_field(sb, a->community_id, sizeof(a->community_id));
}

/* "threshold" (the setting crossed), "threshold_limit" (its value) and
 * "threshold_value" (the figure that reached it). */
static void
put_threshold(struct strbuf *sb, const struct finding *f)
{
	char buf[32];
	const char *v;
	bool number;

	if (f->threshold == NULL)
		return;
	put_key(sb, "threshold");
	put_cstr(sb, f->threshold);
	v = finding_value(f, &f->limit, buf, sizeof(buf), &number);
	put_key(sb, "threshold_limit");
	sb_puts(sb, number ? v : "null");
	v = finding_value(f, &f->value, buf, sizeof(buf), &number);
	put_key(sb, "threshold_value");
	sb_puts(sb, number ? v : "null");
}

/* The request of an HTTP flow, and a CONNECT tunnel. */
static void
put_http(struct strbuf *sb, const struct alert *a)
{
	put_field_set(sb, "http_method", a->http_method, sizeof(a->http_method));
	put_field_set(sb, "http_uri", a->http_uri, sizeof(a->http_uri));
	put_field_set(sb, "http_user_agent", a->http_user_agent,
	    sizeof(a->http_user_agent));
	put_field_set(sb, "http_filename", a->http_filename,
	    sizeof(a->http_filename));
	if (a->tunnel_connect) {
		put_key(sb, "tunnel");
		put_cstr(sb, "connect");
	}
}

/* "evidence_dir" (under evidence.dir) and "sha256":[...] of the bodies
 * stored complete, only when evidence was kept. */
static void
put_evidence_files(struct strbuf *sb, const struct alert *a)
{
	unsigned i;

	if (a->evidence_dir[0] == '\0')
		return;
	put_key(sb, "evidence_dir");
	put_field(sb, a->evidence_dir, sizeof(a->evidence_dir));
	if (a->n_sha256 == 0)
		return;
	put_key(sb, "sha256");
	sb_putc(sb, '[');
	for (i = 0; i < a->n_sha256 && i < ALERT_SHA256_MAX; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		put_field(sb, a->sha256[i], sizeof(a->sha256[i]));
	}
	sb_putc(sb, ']');
}

/* "attack":{"techniques":["T1041",...],"tactics":["Exfiltration",...]} */
static void
put_attack(struct strbuf *sb, const char *const *ids)
{
	const struct attack_technique *tac[ATTACK_TACTICS_MAX];
	size_t i, n;

	if (ids == NULL || ids[0] == NULL)
		return;
	put_key(sb, "attack");
	sb_puts(sb, "{\"techniques\":[");
	for (i = 0; ids[i] != NULL; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		put_cstr(sb, ids[i]);
	}
	sb_puts(sb, "],\"tactics\":[");
	n = attack_tactics(ids, tac, ATTACK_TACTICS_MAX);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		put_cstr(sb, tac[i]->tactic);
	}
	sb_puts(sb, "]}");
}

/* "reason" and "evidence", when the rule gave them. */
static void
put_finding(struct strbuf *sb, const struct finding *f)
{
	if (f->reason[0] != '\0') {
		put_key(sb, "reason");
		put_field(sb, f->reason, sizeof(f->reason));
	}
	if (f->n > 0) {
		put_key(sb, "evidence");
		json_put_evidence(sb, f);
	}
}

const char *
alert_kind_name(enum alert_kind k)
{
	return k == ALERT_KIND_UPDATE ? "update" : k == ALERT_KIND_PAIR ? "pair" :
	    "alert";
}

static bool format_pair_json(const struct alert *a, struct strbuf *sb);

/* id, kind, ts, sensor, rule, severity, source: every record of an alert. */
static void
put_head(struct strbuf *sb, const struct alert *a)
{
	sb_puts(sb, "{\"id\":");
	put_field(sb, a->id, sizeof(a->id));
	put_key(sb, "kind");
	put_cstr(sb, alert_kind_name(a->kind));
	put_time(sb, "ts", a->ts_ns);
	put_key(sb, "sensor");
	put_cstr(sb, a->sensor);
	put_key(sb, "rule");
	put_cstr(sb, a->rule);
	put_key(sb, "severity");
	put_cstr(sb, severity_name(a->severity));
	put_key(sb, "source");
	put_cstr(sb, a->source);
}

/* From the Zeek uid to the flows: who, to where, how much (an update has
 * no uid nor connection: open_alerts.c clears them). */
static void
put_pair_of(struct strbuf *sb, const struct alert *a)
{
	put_field_set(sb, "uid", a->uid, sizeof(a->uid));
	put_addr(sb, "src", &a->src);
	put_field_set(sb, "src_user", a->src_user, sizeof(a->src_user));
	put_addr(sb, "dst", &a->dst);
	put_u64(sb, "dst_port", a->dst_port);
	put_connection(sb, a);
	put_key(sb, "dst_host");
	put_field(sb, a->dst_host, sizeof(a->dst_host));
	put_country(sb, "dst_country", a->dst_country);
	put_as(sb, a->dst_asn, a->dst_org, sizeof(a->dst_org));
	put_key(sb, "via");
	put_cstr(sb, a->via_proxy ? "proxy" : "direct");
	put_u64(sb, "bytes_out", a->bytes_out);
	put_u64(sb, "bytes_in", a->bytes_in);
	put_u64(sb, "flows", a->flows);
}

/* The pair's totals: an update's. */
static bool
format_update_json(const struct alert *a, struct strbuf *sb)
{
	put_head(sb, a);
	put_pair_of(sb, a);
	put_payload(sb, a->payload);
	put_time(sb, "first_seen", a->first_seen_ns);
	put_time(sb, "last_seen", a->last_seen_ns);
	put_u64(sb, "records_est_low", a->records_low);
	put_u64(sb, "records_est_high", a->records_high);
	put_key(sb, "update_reason");
	put_cstr(sb, a->update_reason);
	put_evidence_files(sb, a);
	sb_putc(sb, '}');
	return !sb->overflow;
}

bool
alert_format_json(const struct alert *a, struct strbuf *sb)
{
	if (a->kind == ALERT_KIND_UPDATE)
		return format_update_json(a, sb);
	if (a->kind == ALERT_KIND_PAIR)
		return format_pair_json(a, sb);
	put_head(sb, a);
	put_pair_of(sb, a);
	put_u64(sb, "window_s", a->window_s);
	put_time(sb, "window_start", a->window_start_ns);
	put_payload(sb, a->payload);
	put_time(sb, "first_seen", a->first_seen_ns);
	if (a->learn_end_ns != 0)
		put_time(sb, "learn_end", a->learn_end_ns);
	put_u64(sb, "records_est_low", a->records_low);
	put_u64(sb, "records_est_high", a->records_high);
	if (a->during_learning) {
		put_key(sb, "during_learning");
		sb_puts(sb, "true");
	}
	put_field_set(sb, "contained", a->contained, sizeof(a->contained));
	put_threshold(sb, &a->finding);
	put_http(sb, a);
	put_evidence_files(sb, a);
	put_attack(sb, a->attack);
	put_finding(sb, &a->finding);
	sb_putc(sb, '}');
	return !sb->overflow;
}

/* A pairs-table row; "ts" and "sensor" when it goes to the outputs. */
static bool
format_pair_json(const struct alert *a, struct strbuf *sb)
{
	char src[NETADDR_STRLEN];

	netaddr_format(&a->src, src, sizeof(src));
	sb_puts(sb, "{\"kind\":\"pair\"");
	if (a->sensor != NULL) {
		put_time(sb, "ts", a->ts_ns);
		put_key(sb, "sensor");
		put_cstr(sb, a->sensor);
	}
	put_key(sb, "src");
	put_field(sb, src, sizeof(src));
	put_addr(sb, "dst", &a->dst);
	put_key(sb, "dst_host");
	put_field(sb, a->dst_host, sizeof(a->dst_host));
	put_country(sb, "dst_country", a->dst_country);
	put_as(sb, a->dst_asn, a->dst_org, sizeof(a->dst_org));
	put_u64(sb, "bytes_out", a->bytes_out);
	put_u64(sb, "bytes_in", a->bytes_in);
	put_u64(sb, "bytes_served", a->bytes_served);
	put_u64(sb, "flows", a->flows);
	put_time(sb, "first", a->first_seen_ns);
	put_time(sb, "last", a->last_seen_ns);
	put_payload(sb, a->payload);
	put_u64(sb, "records_est_low", a->records_low);
	put_u64(sb, "records_est_high", a->records_high);
	sb_putc(sb, '}');
	return !sb->overflow;
}

void
alert_from_pair(struct alert *a, const struct pair_report *r,
    const char *sensor, uint64_t ts_ns)
{
	memset(a, 0, sizeof(*a));
	a->kind = ALERT_KIND_PAIR;
	a->ts_ns = ts_ns;
	a->sensor = sensor;
	a->rule = "pair-report";
	a->title = "Totals of an (internal host, destination) pair";
	a->severity = SEV_LOW;
	a->source = "pairs";
	a->src = r->src;
	a->dst = r->dst;
	memcpy(a->dst_host, r->dst_host, sizeof(a->dst_host));
	a->dst_country = r->dst_country;
	a->dst_asn = r->dst_asn;
	memcpy(a->dst_org, r->dst_org, sizeof(a->dst_org));
	a->bytes_out = r->bytes_out;
	a->bytes_in = r->bytes_in;
	a->bytes_served = r->bytes_served;
	a->flows = r->flows;
	a->first_seen_ns = r->first_ns;
	a->last_seen_ns = r->last_ns;
	a->window_start_ns = r->first_ns;
	memcpy(a->payload, r->payload, sizeof(a->payload));
	a->records_low = r->records_low;
	a->records_high = r->records_high;
	if (sensor != NULL)
		alert_make_id(a, 0);
}

bool
pair_format_json(const struct pair_report *r, struct strbuf *sb)
{
	struct alert a;

	alert_from_pair(&a, r, NULL, 0);
	return format_pair_json(&a, sb);
}

/* ---- text for a person ---- */

/* Untrusted bytes as text: C0, DEL, C1 and invalid UTF-8 become U+FFFD. */
static void
put_text(struct strbuf *sb, const char *s, size_t n)
{
	const uint8_t *d = (const uint8_t *)s;
	size_t i = 0, k;

	while (i < n) {
		k = d[i] < 0x80 ? 1 : utf8_sequence(d + i, n - i);
		if (k == 0 || d[i] < 0x20 || d[i] == 0x7f ||
		    (d[i] == 0xc2 && d[i + 1] < 0xa0)) {
			sb_append(sb, replacement, sizeof(replacement) - 1);
			i++;
			continue;
		}
		sb_append(sb, s + i, k);
		i += k;
	}
}

static void
put_text_field(struct strbuf *sb, const char *s, size_t size)
{
	put_text(sb, s, strnlen(s, size));
}

void
alert_format_dest(const struct alert *a, struct strbuf *sb)
{
	char addr[NETADDR_STRLEN], cc[3];

	netaddr_format(&a->dst, addr, sizeof(addr));
	country_format(a->dst_country, cc);
	if (a->dst_host[0] != '\0') {
		put_text_field(sb, a->dst_host, sizeof(a->dst_host));
		sb_puts(sb, " (");
		if (addr[0] != '\0')
			sb_printf(sb, "%s, ", addr);
	} else {
		sb_printf(sb, "%s (", addr[0] != '\0' ? addr : "?");
	}
	sb_puts(sb, cc);
	if (a->dst_asn != 0) {
		sb_printf(sb, ", AS%lu ", (unsigned long)a->dst_asn);
		put_text_field(sb, a->dst_org, sizeof(a->dst_org));
	}
	sb_putc(sb, ')');
}

/* "SRC -> DEST: N bytes out" */
static void
text_who(struct strbuf *sb, const struct alert *a)
{
	char src[NETADDR_STRLEN];

	netaddr_format(&a->src, src, sizeof(src));
	sb_puts(sb, src);
	if (a->src_user[0] != '\0') {
		sb_puts(sb, " (");
		put_text_field(sb, a->src_user, sizeof(a->src_user));
		sb_putc(sb, ')');
	}
	sb_puts(sb, " -> ");
	alert_format_dest(a, sb);
	sb_printf(sb, ": %llu bytes out", (unsigned long long)a->bytes_out);
}

bool
alert_format_text(const struct alert *a, struct strbuf *sb)
{
	char ts[RFC3339_LEN], last[RFC3339_LEN];

	format_rfc3339_ms(a->ts_ns, ts);
	format_rfc3339_ms(a->last_seen_ns, last);
	switch (a->kind) {
	case ALERT_KIND_UPDATE:
		sb_printf(sb, "%s update of %s alert %s: ", ts, a->rule, a->id);
		text_who(sb, a);
		sb_printf(sb, ", %llu bytes in, %llu flows, last seen %s (%s)",
		    (unsigned long long)a->bytes_in,
		    (unsigned long long)a->flows, last, a->update_reason);
		break;
	case ALERT_KIND_PAIR:
		format_rfc3339_ms(a->first_seen_ns, ts);
		sb_puts(sb, "pair ");
		text_who(sb, a);
		sb_printf(sb, ", %llu bytes in, %llu flows, %s to %s",
		    (unsigned long long)a->bytes_in,
		    (unsigned long long)a->flows, ts, last);
		break;
	default:
		sb_printf(sb, "%s %s %s ", ts, severity_name(a->severity),
		    a->rule);
		text_who(sb, a);
		if (a->during_learning)
			sb_puts(sb, " while learning");
		sb_puts(sb, ": ");
		if (a->finding.reason[0] != '\0')
			put_text_field(sb, a->finding.reason,
			    sizeof(a->finding.reason));
		else
			put_text(sb, a->title, a->title != NULL ?
			    strlen(a->title) : 0);
		break;
	}
	return !sb->overflow;
}

/*
 * Alert ids. The hashed message is, in this order:
 *   sensor, rule    u16le length + bytes (at most ID_STR_MAX bytes)
 *   src, dst        family byte + 16 address bytes
 *   dst_host        u16le length + bytes
 *   ts_ns, seq      u64le
 * hashed twice with SipHash-2-4 under two fixed keys (the ASCII of
 * "exfild-alert-id1" and "exfild-alert-id2" read as two u64le each). The
 * keys are not secret: ids only need to be stable and well spread, not
 * unguessable. The 128 bits are laid out as a UUID with version 8
 * ("custom", RFC 9562 §5.8) and the RFC 9562 variant bits 10.
 */
#define ID_STR_MAX (ALERT_HOST_MAX - 1)
#define ID_MSG_MAX (3 * (2 + ID_STR_MAX) + 2 * 17 + 2 * 8)

static const struct hash_key id_key_hi = {
	0x612d646c69667865ULL, /* "exfild-a" */
	0x3164692d7472656cULL, /* "lert-id1" */
};
static const struct hash_key id_key_lo = {
	0x612d646c69667865ULL, /* "exfild-a" */
	0x3264692d7472656cULL, /* "lert-id2" */
};

struct id_msg {
	uint8_t b[ID_MSG_MAX];
	size_t len;
};

static void
msg_bytes(struct id_msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void
msg_u64(struct id_msg *m, uint64_t v)
{
	uint8_t le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	msg_bytes(m, le, sizeof(le));
}

static void
msg_str(struct id_msg *m, const char *s, size_t max)
{
	size_t n = s != NULL ? strnlen(s, max) : 0;
	uint8_t le[2];

	if (n > ID_STR_MAX)
		n = ID_STR_MAX;
	le[0] = (uint8_t)n;
	le[1] = (uint8_t)(n >> 8);
	msg_bytes(m, le, sizeof(le));
	if (n > 0)
		msg_bytes(m, s, n);
}

static void
msg_addr(struct id_msg *m, const struct netaddr *a)
{
	msg_bytes(m, &a->family, 1);
	msg_bytes(m, a->a, sizeof(a->a));
}

void
alert_make_id(struct alert *a, uint64_t seq)
{
	static const size_t dash_after[] = { 4, 6, 8, 10 };
	struct id_msg m;
	uint8_t u[16];
	uint64_t hi, lo;
	size_t i, d = 0, o = 0;

	m.len = 0;
	msg_str(&m, a->sensor, ID_STR_MAX);
	msg_str(&m, a->rule, ID_STR_MAX);
	msg_addr(&m, &a->src);
	msg_addr(&m, &a->dst);
	msg_str(&m, a->dst_host, sizeof(a->dst_host));
	msg_u64(&m, a->ts_ns);
	msg_u64(&m, seq);
	hi = hash_bytes(&id_key_hi, m.b, m.len);
	lo = hash_bytes(&id_key_lo, m.b, m.len);
	for (i = 0; i < 8; i++) {
		u[i] = (uint8_t)(hi >> (56 - 8 * i));
		u[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x80); /* version 8 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* variant 10 */
	for (i = 0; i < sizeof(u); i++) {
		if (d < sizeof(dash_after) / sizeof(dash_after[0]) &&
		    i == dash_after[d]) {
			a->id[o++] = '-';
			d++;
		}
		a->id[o++] = hex_digits[u[i] >> 4];
		a->id[o++] = hex_digits[u[i] & 0xf];
	}
	a->id[o] = '\0';
}
