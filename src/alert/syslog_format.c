/*
 * syslog_format.c - an alert as one syslog message: RFC 5424 (structured
 * data, RFC 5424 6.3) or RFC 3164 header; JSON, ECS, CEF (ArcSight CEF rev
 * 25) or LEEF 2.0 (IBM QRadar) body; shortened to fit, never split.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exfild/proto/classify.h"
#include "exfild/alert/syslog_format.h"
#include "exfild/detect/attack.h"
#include "exfild/util/util.h"

#define VENDOR "exfild"
#define PRODUCT "exfild"
#define ECS_VERSION "8.11.0"

/* RFC 5424 6.2: header field lengths */
#define HOSTNAME_MAX 255
#define APP_NAME_MAX 48
#define PROCID_MAX 128
#define MSGID_MAX 32
#define TAG_MAX 32 /* RFC 3164 4.1.3 */
#define FACILITY_MAX 23

#define MARKER_LEN (sizeof(SYSLOG_TRUNC_MARKER) - 1)

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded */
static const char replacement[] = "\xef\xbf\xbd";

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* ---- severities ---- */

/* RFC 5424 6.2.1 numerical severity */
static unsigned
syslog_severity(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return 2;
	case SEV_HIGH:
		return 3;
	case SEV_MEDIUM:
		return 4;
	default:
		return 5;
	}
}

/* CEF 0-10, LEEF 1-10, ECS event.severity */
static unsigned
severity_scale10(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return 10;
	case SEV_HIGH:
		return 8;
	case SEV_MEDIUM:
		return 5;
	default:
		return 3;
	}
}


/* ---- text ---- */

/* Bytes of the character at d: an ASCII byte, a well-formed sequence, or
 * one invalid byte (which is replaced on its own). */
static size_t
char_len(const uint8_t *d, size_t len)
{
	size_t k;

	if (d[0] < 0x80)
		return 1;
	k = utf8_sequence(d, len);
	return k > 0 ? k : 1;
}

/* The longest prefix of s[0..n) of at most max bytes that ends on a
 * character boundary. */
static size_t
prefix_len(const char *s, size_t n, size_t max)
{
	const uint8_t *d = (const uint8_t *)s;
	size_t i = 0, k;

	while (i < n) {
		k = char_len(d + i, n - i);
		if (k > max - i)
			break;
		i += k;
	}
	return i;
}

static bool
is_control(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/* What a value is written into; each has its own escapes. */
enum text_style {
	TEXT_SD_VALUE,   /* RFC 5424 PARAM-VALUE */
	TEXT_CEF_HEADER, /* CEF header field */
	TEXT_CEF_VALUE,  /* CEF extension value */
	TEXT_LEEF,       /* LEEF header field or attribute value */
};

static void
put_escaped(struct strbuf *sb, char c)
{
	char esc[2] = { '\\', c };

	sb_append(sb, esc, sizeof(esc));
}

static void
put_ascii(struct strbuf *sb, uint8_t c, enum text_style st)
{
	switch (st) {
	case TEXT_SD_VALUE:
		if (c == '"' || c == '\\' || c == ']') {
			put_escaped(sb, (char)c);
			return;
		}
		break;
	case TEXT_CEF_HEADER:
		if (c == '|' || c == '\\') {
			put_escaped(sb, (char)c);
			return;
		}
		break;
	case TEXT_CEF_VALUE:
		if (c == '\\' || c == '=') {
			put_escaped(sb, (char)c);
			return;
		}
		if (c == '\n' || c == '\r') {
			put_escaped(sb, c == '\n' ? 'n' : 'r');
			return;
		}
		break;
	case TEXT_LEEF:
		if (c == SYSLOG_LEEF_DELIM || c == '|') {
			sb_puts(sb, replacement);
			return;
		}
		break;
	}
	if (is_control(c))
		sb_puts(sb, replacement);
	else
		sb_putc(sb, (char)c);
}

/* Untrusted bytes as the style requires: valid UTF-8 without controls. */
static void
put_text(struct strbuf *sb, const char *s, size_t n, enum text_style st)
{
	const uint8_t *d = (const uint8_t *)s;
	size_t i = 0, k;

	while (i < n) {
		if (d[i] < 0x80) {
			put_ascii(sb, d[i], st);
			i++;
			continue;
		}
		k = utf8_sequence(d + i, n - i);
		if (k == 0) {
			sb_puts(sb, replacement);
			i++;
		} else if (k == 2 && d[i] == 0xc2 && d[i + 1] < 0xa0) {
			sb_puts(sb, replacement); /* C1 control */
			i += k;
		} else {
			sb_append(sb, s + i, k);
			i += k;
		}
	}
}

/* A C string that may be NULL. */
static void
put_cstr(struct strbuf *sb, const char *s, enum text_style st)
{
	if (s != NULL)
		put_text(sb, s, strlen(s), st);
}

/* An RFC 5424 header field (also the RFC 3164 HOSTNAME and TAG): printable
 * US-ASCII, other bytes as '_', at most max bytes, "-" when empty. */
static void
put_header_field(struct strbuf *sb, const char *s, size_t max,
    const char *also_bad)
{
	size_t i, n = s != NULL ? strnlen(s, max) : 0;

	if (n == 0) {
		sb_putc(sb, '-');
		return;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c < 33 || c > 126 || strchr(also_bad, c) != NULL)
			c = '_';
		sb_putc(sb, (char)c);
	}
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static const char *
via_name(const struct alert *a)
{
	return a->via_proxy ? "proxy" : "direct";
}

/* "rar:1600000,tls:200": kinds with bytes, in enum order. */
static void
put_payload_list(struct strbuf *sb, const uint64_t payload[PK_COUNT])
{
	bool first = true;
	int k;

	for (k = 0; k < PK_COUNT; k++) {
		if (payload[k] == 0)
			continue;
		if (!first)
			sb_putc(sb, ',');
		first = false;
		sb_puts(sb, payload_kind_name((enum payload_kind)k));
		sb_putc(sb, ':');
		sb_u64(sb, payload[k]);
	}
}

static bool
country_known(country_t cc)
{
	return cc != COUNTRY_UNKNOWN && cc != 0;
}

/* ---- ECS JSON ---- */

/* ,"key": (keys are constants of this file) -- n counts the members. */
static void
ecs_key(struct strbuf *sb, int *n, const char *key)
{
	if ((*n)++ > 0)
		sb_putc(sb, ',');
	sb_putc(sb, '"');
	sb_puts(sb, key);
	sb_append(sb, "\":", 2);
}

static void
ecs_str(struct strbuf *sb, int *n, const char *key, const char *s, size_t n_s)
{
	ecs_key(sb, n, key);
	json_put_string(sb, s, n_s);
}

static void
ecs_cstr(struct strbuf *sb, int *n, const char *key, const char *s)
{
	ecs_str(sb, n, key, str_or_empty(s), strlen(str_or_empty(s)));
}

static void
ecs_u64(struct strbuf *sb, int *n, const char *key, uint64_t v)
{
	ecs_key(sb, n, key);
	sb_u64(sb, v);
}

static void
ecs_time(struct strbuf *sb, int *n, const char *key, uint64_t ts_ns)
{
	char buf[RFC3339_LEN];

	format_rfc3339_ms(ts_ns, buf);
	ecs_str(sb, n, key, buf, strnlen(buf, sizeof(buf)));
}

static void
ecs_ip(struct strbuf *sb, int *n, const char *key, const struct netaddr *ip)
{
	char buf[NETADDR_STRLEN];

	if (!netaddr_is_set(ip))
		return;
	netaddr_format(ip, buf, sizeof(buf));
	ecs_str(sb, n, key, buf, strnlen(buf, sizeof(buf)));
}

static void
ecs_event(struct strbuf *sb, int *n, const struct alert *a)
{
	int m = 0;

	ecs_key(sb, n, "event");
	sb_putc(sb, '{');
	/* an update reports the state of the alert's pair */
	ecs_cstr(sb, &m, "kind", a->kind != ALERT_KIND_ALERT ? "state" : "alert");
	ecs_key(sb, &m, "category");
	sb_puts(sb, "[\"network\"]");
	ecs_key(sb, &m, "type");
	sb_puts(sb, "[\"connection\"]");
	ecs_str(sb, &m, "id", a->id, strnlen(a->id, sizeof(a->id)));
	ecs_u64(sb, &m, "severity", severity_scale10(a->severity));
	ecs_cstr(sb, &m, "module", "exfild");
	ecs_time(sb, &m, "start", a->window_start_ns);
	ecs_time(sb, &m, "end", a->ts_ns);
	sb_putc(sb, '}');
}

static void
ecs_source(struct strbuf *sb, int *n, const struct alert *a)
{
	size_t user = strnlen(a->src_user, sizeof(a->src_user));
	int m = 0, u = 0;

	ecs_key(sb, n, "source");
	sb_putc(sb, '{');
	ecs_ip(sb, &m, "ip", &a->src);
	if (a->proto != 0)
		ecs_u64(sb, &m, "port", a->src_port);
	if (user > 0) {
		ecs_key(sb, &m, "user");
		sb_putc(sb, '{');
		ecs_str(sb, &u, "name", a->src_user, user);
		sb_putc(sb, '}');
	}
	ecs_u64(sb, &m, "bytes", a->bytes_out);
	sb_putc(sb, '}');
}

/* "as":{"number":N,"organization":{"name":"..."}} when the AS is known. */
static void
ecs_as(struct strbuf *sb, int *n, const struct alert *a)
{
	size_t org = strnlen(a->dst_org, sizeof(a->dst_org));
	int m = 0, o = 0;

	if (a->dst_asn == 0)
		return;
	ecs_key(sb, n, "as");
	sb_putc(sb, '{');
	ecs_u64(sb, &m, "number", a->dst_asn);
	if (org > 0) {
		ecs_key(sb, &m, "organization");
		sb_putc(sb, '{');
		ecs_str(sb, &o, "name", a->dst_org, org);
		sb_putc(sb, '}');
	}
	sb_putc(sb, '}');
}

static void
ecs_destination(struct strbuf *sb, int *n, const struct alert *a)
{
	size_t host = strnlen(a->dst_host, sizeof(a->dst_host));
	char cc[3];
	int m = 0, g = 0;

	ecs_key(sb, n, "destination");
	sb_putc(sb, '{');
	ecs_ip(sb, &m, "ip", &a->dst);
	if (a->dst_port != 0)
		ecs_u64(sb, &m, "port", a->dst_port);
	if (host > 0)
		ecs_str(sb, &m, "domain", a->dst_host, host);
	ecs_u64(sb, &m, "bytes", a->bytes_in);
	ecs_as(sb, &m, a);
	if (country_known(a->dst_country)) {
		country_format(a->dst_country, cc);
		ecs_key(sb, &m, "geo");
		sb_putc(sb, '{');
		ecs_str(sb, &g, "country_iso_code", cc, strnlen(cc, sizeof(cc)));
		sb_putc(sb, '}');
	}
	sb_putc(sb, '}');
}

/* A JSON array of strings (constants of exfild, or catalogue names). */
static void
ecs_array(struct strbuf *sb, int *n, const char *key, const char *const *v,
    size_t nv)
{
	size_t i;

	ecs_key(sb, n, key);
	sb_putc(sb, '[');
	for (i = 0; i < nv; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		json_put_string(sb, v[i], strlen(v[i]));
	}
	sb_putc(sb, ']');
}

/* The rule's ATT&CK techniques and their tactics, as arrays of ids and
 * names; *nt: the techniques the catalogue knows (at most max). */
struct attack_lists {
	const char *tech_id[8], *tech_name[8];
	const char *tac_id[ATTACK_TACTICS_MAX], *tac_name[ATTACK_TACTICS_MAX];
	size_t ntech, ntac;
};

static void
attack_lists(const char *const *ids, struct attack_lists *l)
{
	const struct attack_technique *t, *tac[ATTACK_TACTICS_MAX];
	size_t i;

	l->ntech = 0;
	for (i = 0; ids != NULL && ids[i] != NULL && l->ntech < 8; i++) {
		if ((t = attack_technique(ids[i])) == NULL)
			continue;
		l->tech_id[l->ntech] = t->id;
		l->tech_name[l->ntech++] = t->name;
	}
	l->ntac = attack_tactics(ids, tac, ATTACK_TACTICS_MAX);
	for (i = 0; i < l->ntac; i++) {
		l->tac_id[i] = tac[i]->tactic_id;
		l->tac_name[i] = tac[i]->tactic;
	}
}

/* "threat":{"framework":"MITRE ATT&CK","technique":{"id":[..],"name":[..]},
 * "tactic":{"id":[..],"name":[..]}} */
static void
ecs_threat(struct strbuf *sb, int *n, const struct alert *a)
{
	struct attack_lists l;
	int m = 0, t = 0, c = 0;

	attack_lists(a->attack, &l);
	if (l.ntech == 0)
		return;
	ecs_key(sb, n, "threat");
	sb_putc(sb, '{');
	ecs_cstr(sb, &m, "framework", "MITRE ATT&CK");
	ecs_key(sb, &m, "technique");
	sb_putc(sb, '{');
	ecs_array(sb, &t, "id", l.tech_id, l.ntech);
	ecs_array(sb, &t, "name", l.tech_name, l.ntech);
	sb_putc(sb, '}');
	ecs_key(sb, &m, "tactic");
	sb_putc(sb, '{');
	ecs_array(sb, &c, "id", l.tac_id, l.ntac);
	ecs_array(sb, &c, "name", l.tac_name, l.ntac);
	sb_putc(sb, '}');
	sb_putc(sb, '}');
}

/* "network":{"direction":"outbound","transport":..,"iana_number":..,
 * "community_id":..} */
static void
ecs_network(struct strbuf *sb, int *n, const struct alert *a)
{
	char num[4];
	int m = 0;

	ecs_key(sb, n, "network");
	sb_putc(sb, '{');
	ecs_cstr(sb, &m, "direction", "outbound");
	if (a->proto != 0) {
		ecs_cstr(sb, &m, "transport", alert_transport(a->proto));
		snprintf(num, sizeof(num), "%u", a->proto);
		ecs_cstr(sb, &m, "iana_number", num);
		ecs_str(sb, &m, "community_id", a->community_id,
		    strnlen(a->community_id, sizeof(a->community_id)));
	}
	sb_putc(sb, '}');
}

/* "key":{"inner":"value"} for len bytes of wire text; nothing when empty. */
static void
ecs_object_str(struct strbuf *sb, int *n, const char *key, const char *inner,
    const char *s, size_t len)
{
	int m = 0;

	if (len == 0)
		return;
	ecs_key(sb, n, key);
	sb_putc(sb, '{');
	ecs_str(sb, &m, inner, s, len);
	sb_putc(sb, '}');
}

/* "h1,h2,...": the SHA-256 of the bodies stored for the alert. */
static void
sha256_list(const struct alert *a, char *out, size_t outlen)
{
	unsigned i;
	size_t o = 0;

	out[0] = '\0';
	for (i = 0; i < a->n_sha256 && i < ALERT_SHA256_MAX && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%.*s", i > 0 ? "," : "",
		    SHA256_HEX_LEN - 1, a->sha256[i]);
}

#define SHA256_LIST_LEN (ALERT_SHA256_MAX * SHA256_HEX_LEN)

/* "file":{"name":..,"hash":{"sha256":..}}: the part's filename, and the
 * first body stored for the alert. */
static void
ecs_file(struct strbuf *sb, int *n, const struct alert *a)
{
	size_t fn = strnlen(a->http_filename, sizeof(a->http_filename));
	int m = 0;

	if (fn == 0 && a->n_sha256 == 0)
		return;
	ecs_key(sb, n, "file");
	sb_putc(sb, '{');
	if (fn > 0)
		ecs_str(sb, &m, "name", a->http_filename, fn);
	if (a->n_sha256 > 0)
		ecs_object_str(sb, &m, "hash", "sha256", a->sha256[0],
		    strnlen(a->sha256[0], sizeof(a->sha256[0])));
	sb_putc(sb, '}');
}

/* exfild.evidence_dir and exfild.sha256:[...] */
static void
ecs_evidence_files(struct strbuf *sb, int *n, const struct alert *a)
{
	unsigned i;

	if (a->evidence_dir[0] == '\0')
		return;
	ecs_str(sb, n, "evidence_dir", a->evidence_dir,
	    strnlen(a->evidence_dir, sizeof(a->evidence_dir)));
	if (a->n_sha256 == 0)
		return;
	ecs_key(sb, n, "sha256");
	sb_putc(sb, '[');
	for (i = 0; i < a->n_sha256 && i < ALERT_SHA256_MAX; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		json_put_string(sb, a->sha256[i],
		    strnlen(a->sha256[i], sizeof(a->sha256[i])));
	}
	sb_putc(sb, ']');
}

/* url.original, http.request.method, user_agent.original, file.name: the
 * HTTP request of the flow, when its parser held one. */
static void
ecs_http(struct strbuf *sb, int *n, const struct alert *a)
{
	size_t uri = strnlen(a->http_uri, sizeof(a->http_uri));
	size_t ua = strnlen(a->http_user_agent, sizeof(a->http_user_agent));
	int m = 0, r = 0;

	if (a->http_method[0] != '\0') {
		ecs_key(sb, n, "http");
		sb_putc(sb, '{');
		ecs_key(sb, &m, "request");
		sb_putc(sb, '{');
		ecs_str(sb, &r, "method", a->http_method,
		    strnlen(a->http_method, sizeof(a->http_method)));
		sb_putc(sb, '}');
		sb_putc(sb, '}');
	}
	ecs_object_str(sb, n, "url", "original", a->http_uri, uri);
	ecs_object_str(sb, n, "user_agent", "original", a->http_user_agent, ua);
	ecs_file(sb, n, a);
}

/* exfild.threshold: {"name":..,"limit":..,"value":..} */
static void
ecs_threshold(struct strbuf *sb, int *n, const struct finding *f)
{
	char buf[32];
	const char *v;
	bool number;
	int m = 0;

	if (f->threshold == NULL)
		return;
	ecs_key(sb, n, "threshold");
	sb_putc(sb, '{');
	ecs_cstr(sb, &m, "name", f->threshold);
	v = finding_value(f, &f->limit, buf, sizeof(buf), &number);
	ecs_key(sb, &m, "limit");
	sb_puts(sb, number ? v : "null");
	v = finding_value(f, &f->value, buf, sizeof(buf), &number);
	ecs_key(sb, &m, "value");
	sb_puts(sb, number ? v : "null");
	sb_putc(sb, '}');
}

/* "key":{"inner":"value"} */
static void
ecs_object1(struct strbuf *sb, int *n, const char *key, const char *inner,
    const char *value)
{
	int m = 0;

	ecs_key(sb, n, key);
	sb_putc(sb, '{');
	ecs_cstr(sb, &m, inner, value);
	sb_putc(sb, '}');
}

static void
ecs_exfild(struct strbuf *sb, int *n, const struct alert *a)
{
	int m = 0, p = 0, k;

	ecs_key(sb, n, "exfild");
	sb_putc(sb, '{');
	ecs_cstr(sb, &m, "source", a->source);
	if (a->during_learning) {
		ecs_key(sb, &m, "during_learning");
		sb_puts(sb, "true");
	}
	if (a->contained[0] != '\0')
		ecs_str(sb, &m, "contained", a->contained,
		    strnlen(a->contained, sizeof(a->contained)));
	ecs_u64(sb, &m, "flows", a->flows);
	ecs_u64(sb, &m, "window_s", a->window_s);
	ecs_time(sb, &m, "first_seen", a->first_seen_ns);
	if (a->learn_end_ns != 0)
		ecs_time(sb, &m, "learn_end", a->learn_end_ns);
	ecs_threshold(sb, &m, &a->finding);
	if (a->tunnel_connect)
		ecs_cstr(sb, &m, "tunnel", "connect");
	ecs_key(sb, &m, "payload_total");
	sb_putc(sb, '{');
	for (k = 0; k < PK_COUNT; k++)
		if (a->payload[k] != 0)
			ecs_u64(sb, &p, payload_kind_name((enum payload_kind)k),
			    a->payload[k]);
	sb_putc(sb, '}');
	ecs_u64(sb, &m, "records_est_low", a->records_low);
	ecs_u64(sb, &m, "records_est_high", a->records_high);
	if (a->kind != ALERT_KIND_ALERT) {
		ecs_cstr(sb, &m, "kind", alert_kind_name(a->kind));
		if (a->update_reason != NULL)
			ecs_cstr(sb, &m, "update_reason", a->update_reason);
		ecs_time(sb, &m, "last_seen", a->last_seen_ns);
	}
	if (a->finding.n > 0) {
		ecs_key(sb, &m, "evidence");
		json_put_evidence(sb, &a->finding);
	}
	ecs_evidence_files(sb, &m, a);
	sb_putc(sb, '}');
}

static void
format_ecs(const struct alert *a, struct strbuf *sb)
{
	int n = 0;

	sb_putc(sb, '{');
	ecs_time(sb, &n, "@timestamp", a->ts_ns);
	ecs_object1(sb, &n, "ecs", "version", ECS_VERSION);
	ecs_event(sb, &n, a);
	ecs_object1(sb, &n, "rule", "name", a->rule);
	ecs_source(sb, &n, a);
	ecs_destination(sb, &n, a);
	ecs_network(sb, &n, a);
	ecs_http(sb, &n, a);
	ecs_threat(sb, &n, a);
	if (a->uid[0] != '\0')
		ecs_object1(sb, &n, "zeek", "session_id", a->uid);
	ecs_object1(sb, &n, "observer", "name", a->sensor);
	ecs_object1(sb, &n, "labels", "via", via_name(a));
	if (a->finding.reason[0] != '\0')
		ecs_str(sb, &n, "message", a->finding.reason,
		    strnlen(a->finding.reason, sizeof(a->finding.reason)));
	ecs_exfild(sb, &n, a);
	sb_putc(sb, '}');
}

/* ---- key=value lists (CEF, LEEF) ---- */

/* key=value lists of CEF extensions and LEEF attributes: a separator
 * before every pair but the first, values escaped in the list's style. */
struct kv_list {
	struct strbuf *sb;
	int n;
	char sep;
	enum text_style style;
};

static void
kv_key(struct kv_list *l, const char *key)
{
	if (l->n++ > 0)
		sb_putc(l->sb, l->sep);
	sb_puts(l->sb, key);
	sb_putc(l->sb, '=');
}

static void
kv_u64(struct kv_list *l, const char *key, uint64_t v)
{
	kv_key(l, key);
	sb_u64(l->sb, v);
}

static void
kv_text(struct kv_list *l, const char *key, const char *s, size_t len)
{
	kv_key(l, key);
	put_text(l->sb, s, len, l->style);
}

static void
kv_cstr(struct kv_list *l, const char *key, const char *s)
{
	kv_key(l, key);
	put_cstr(l->sb, s, l->style);
}

/* A fixed-size field that should be NUL-terminated but may not be; none
 * when empty. */
static void
kv_field(struct kv_list *l, const char *key, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n > 0)
		kv_text(l, key, s, n);
}

static void
kv_country(struct kv_list *l, const char *key, country_t country)
{
	char cc[3];

	country_format(country, cc);
	kv_field(l, key, cc, sizeof(cc));
}

static void
kv_payload(struct kv_list *l, const char *key, const struct alert *a)
{
	kv_key(l, key);
	put_payload_list(l->sb, a->payload);
}

/* The address under key4 (IPv4) or key6 (IPv6, after label6 under
 * label_key6); none when unset. */
struct ip_keys {
	const char *key4, *key6, *label_key6, *label6;
};

static void
kv_ip(struct kv_list *l, const struct netaddr *ip, const struct ip_keys *k)
{
	char buf[NETADDR_STRLEN];

	if (!netaddr_is_set(ip))
		return;
	netaddr_format(ip, buf, sizeof(buf));
	if (ip->family == 4 || k->key6 == NULL) {
		kv_cstr(l, k->key4, buf);
		return;
	}
	kv_cstr(l, k->label_key6, k->label6);
	kv_cstr(l, k->key6, buf);
}

/* ---- CEF ---- */

/* src/dst take IPv4; IPv6 goes to c6a2/c6a3, after their labels. */
static const struct ip_keys cef_src_keys = {
	"src", "c6a2", "c6a2Label", "Source IPv6 Address",
};
static const struct ip_keys cef_dst_keys = {
	"dst", "c6a3", "c6a3Label", "Destination IPv6 Address",
};

/* Header fields, each followed by '|'. */
static void
header_fields(struct strbuf *sb, const char *const *fields, size_t n,
    enum text_style st)
{
	size_t i;

	for (i = 0; i < n; i++) {
		put_cstr(sb, fields[i], st);
		sb_putc(sb, '|');
	}
}

/* "exfild" + the key in camel case ("median_gap": exfildMedianGap), the
 * custom-key convention of CEF (vendor prefix, no underscores), kept for
 * LEEF alike. */
static void
camel_key(const char *key, char *out, size_t outlen)
{
	size_t o = (size_t)snprintf(out, outlen, "exfild");
	bool up = true;

	for (; *key != '\0' && o + 1 < outlen; key++) {
		if (*key == '_') {
			up = true;
			continue;
		}
		out[o++] = up && *key >= 'a' && *key <= 'z' ? (char)(*key - 32) : *key;
		up = false;
	}
	out[o] = '\0';
}

/* Records at risk, as custom keys. */
static void
kv_records(struct kv_list *l, const struct alert *a)
{
	kv_u64(l, "exfildRecordsEstLow", a->records_low);
	kv_u64(l, "exfildRecordsEstHigh", a->records_high);
}

/* An update (CEF and LEEF alike): what it is, why, the pair's last
 * traffic (ms since the epoch). Nothing on an alert. */
static void
kv_update(struct kv_list *l, const struct alert *a)
{
	if (a->kind == ALERT_KIND_ALERT)
		return;
	kv_cstr(l, "exfildKind", alert_kind_name(a->kind));
	if (a->update_reason != NULL)
		kv_cstr(l, "exfildUpdateReason", a->update_reason);
	kv_u64(l, "exfildLastSeen", a->last_seen_ns / 1000000);
}

/* The threshold crossed, the learning end and the Community ID as custom
 * keys (CEF and LEEF alike). */
static void
kv_why(struct kv_list *l, const struct alert *a)
{
	char buf[32], ts[RFC3339_LEN];
	const char *v;
	bool number;

	if (a->proto != 0)
		kv_field(l, "exfildCommunityId", a->community_id,
		    sizeof(a->community_id));
	if (a->finding.threshold != NULL) {
		kv_cstr(l, "exfildThresholdName", a->finding.threshold);
		v = finding_value(&a->finding, &a->finding.limit, buf,
		    sizeof(buf), &number);
		kv_cstr(l, "exfildThresholdLimit", v);
		v = finding_value(&a->finding, &a->finding.value, buf,
		    sizeof(buf), &number);
		kv_cstr(l, "exfildThresholdValue", v);
	}
	format_rfc3339_ms(a->first_seen_ns, ts);
	kv_cstr(l, "exfildFirstSeen", ts);
	if (a->learn_end_ns != 0) {
		format_rfc3339_ms(a->learn_end_ns, ts);
		kv_cstr(l, "exfildLearnEnd", ts);
	}
	if (a->tunnel_connect)
		kv_cstr(l, "exfildTunnel", "connect");
}

/* The alert's evidence directory and stored bodies' SHA-256 (custom keys,
 * CEF and LEEF alike). */
static void
kv_evidence_files(struct kv_list *l, const struct alert *a)
{
	char list[SHA256_LIST_LEN];

	kv_field(l, "exfildEvidenceDir", a->evidence_dir, sizeof(a->evidence_dir));
	sha256_list(a, list, sizeof(list));
	kv_field(l, "exfildSha256", list, sizeof(list));
}

/* "T1041,T1048" or "Exfiltration,Collection": the rule's ATT&CK
 * techniques, or their tactics. */
static void
put_attack_list(struct strbuf *sb, const char *const *ids, bool tactics)
{
	struct attack_lists al;
	const char *const *v;
	size_t i, n;

	attack_lists(ids, &al);
	v = tactics ? al.tac_name : al.tech_id;
	n = tactics ? al.ntac : al.ntech;
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_putc(sb, ',');
		sb_puts(sb, v[i]);
	}
}

static void
kv_attack(struct kv_list *l, const char *key, const struct alert *a,
    bool tactics)
{
	kv_key(l, key);
	put_attack_list(l->sb, a->attack, tactics);
}

/* reason= and one custom key per evidence field, when the rule gave them. */
static void
kv_finding(struct kv_list *l, const struct finding *f)
{
	char key[48], buf[32];
	const char *v;
	bool number;
	size_t i;

	if (f->reason[0] != '\0')
		kv_field(l, "reason", f->reason, sizeof(f->reason));
	for (i = 0; i < f->n; i++) {
		camel_key(f->f[i].key, key, sizeof(key));
		v = finding_value(f, &f->f[i], buf, sizeof(buf), &number);
		kv_cstr(l, key, v);
	}
}

static void
format_cef(const struct alert *a, struct strbuf *sb)
{
	const char *rule = str_or_empty(a->rule);
	const char *const head[] = { VENDOR, PRODUCT, EXFILD_VERSION, rule,
		a->title != NULL ? a->title : rule };
	struct kv_list l = { sb, 0, ' ', TEXT_CEF_VALUE };

	sb_puts(sb, "CEF:0|");
	header_fields(sb, head, ARRAY_LEN(head), TEXT_CEF_HEADER);
	sb_u64(sb, severity_scale10(a->severity));
	sb_putc(sb, '|');

	kv_u64(&l, "rt", a->ts_ns / 1000000);
	kv_u64(&l, "start", a->window_start_ns / 1000000);
	kv_cstr(&l, "dvchost", a->sensor);
	kv_ip(&l, &a->src, &cef_src_keys);
	if (a->proto != 0) {
		kv_u64(&l, "spt", a->src_port);
		kv_cstr(&l, "proto", a->proto == 6 ? "TCP" : "UDP");
	}
	kv_field(&l, "externalId", a->uid, sizeof(a->uid));
	kv_field(&l, "suser", a->src_user, sizeof(a->src_user));
	kv_ip(&l, &a->dst, &cef_dst_keys);
	if (a->dst_port != 0)
		kv_u64(&l, "dpt", a->dst_port);
	kv_field(&l, "dhost", a->dst_host, sizeof(a->dst_host));
	kv_u64(&l, "out", a->bytes_out);
	kv_u64(&l, "in", a->bytes_in);
	kv_u64(&l, "deviceDirection", 1);
	kv_cstr(&l, "cs1Label", "Destination Country");
	kv_country(&l, "cs1", a->dst_country);
	kv_cstr(&l, "cs2Label", "Via");
	kv_cstr(&l, "cs2", via_name(a));
	kv_cstr(&l, "cs3Label", "Alert ID");
	kv_field(&l, "cs3", a->id, sizeof(a->id));
	kv_cstr(&l, "cs4Label", "Payload Bytes Total");
	kv_payload(&l, "cs4", a);
	kv_cstr(&l, "cs5Label", "Input Source");
	kv_cstr(&l, "cs5", a->source);
	kv_cstr(&l, "cn1Label", "Flows");
	kv_u64(&l, "cn1", a->flows);
	kv_cstr(&l, "cn2Label", "Window Seconds");
	kv_u64(&l, "cn2", a->window_s);
	if (a->dst_asn != 0) {
		kv_cstr(&l, "cn3Label", "Destination ASN");
		kv_u64(&l, "cn3", a->dst_asn);
		kv_cstr(&l, "cs6Label", "Destination AS Organization");
		kv_field(&l, "cs6", a->dst_org, sizeof(a->dst_org));
	}
	if (a->during_learning)
		kv_cstr(&l, "exfildDuringLearning", "true");
	kv_field(&l, "exfildContained", a->contained, sizeof(a->contained));
	kv_field(&l, "requestMethod", a->http_method, sizeof(a->http_method));
	kv_field(&l, "request", a->http_uri, sizeof(a->http_uri));
	kv_field(&l, "requestClientApplication", a->http_user_agent,
	    sizeof(a->http_user_agent));
	kv_field(&l, "fname", a->http_filename, sizeof(a->http_filename));
	if (a->n_sha256 > 0)
		kv_field(&l, "fileHash", a->sha256[0], sizeof(a->sha256[0]));
	kv_evidence_files(&l, a);
	if (a->attack != NULL && a->attack[0] != NULL) {
		kv_cstr(&l, "flexString1Label", "MITRE ATT&CK Techniques");
		kv_attack(&l, "flexString1", a, false);
		kv_cstr(&l, "flexString2Label", "MITRE ATT&CK Tactics");
		kv_attack(&l, "flexString2", a, true);
	}
	kv_records(&l, a);
	kv_why(&l, a);
	kv_update(&l, a);
	kv_finding(&l, &a->finding);
}

/* ---- LEEF 2.0 ---- */

static const struct ip_keys leef_src_keys = { "src", NULL, NULL, NULL };
static const struct ip_keys leef_dst_keys = { "dst", NULL, NULL, NULL };

/* devTimeFormat "MMM dd yyyy HH:mm:ss.SSS z": Sep 18 2014 04:12:07.123 GMT */
static void
leef_time(struct kv_list *l, uint64_t ts_ns)
{
	time_t s = (time_t)(ts_ns / NS_PER_SEC);
	unsigned ms = (unsigned)(ts_ns % NS_PER_SEC / 1000000);
	struct tm tm;

	kv_key(l, "devTime");
	if (gmtime_r(&s, &tm) == NULL)
		return;
	sb_printf(l->sb, "%s %02d %04d %02d:%02d:%02d.%03u GMT",
	    month_names[tm.tm_mon % 12], tm.tm_mday, tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static void
format_leef(const struct alert *a, struct strbuf *sb)
{
	static const char delim[2] = { SYSLOG_LEEF_DELIM, '\0' };
	const char *const head[] = { VENDOR, PRODUCT, EXFILD_VERSION,
		str_or_empty(a->rule) };
	struct kv_list l = { sb, 0, SYSLOG_LEEF_DELIM, TEXT_LEEF };

	sb_puts(sb, "LEEF:2.0|");
	header_fields(sb, head, ARRAY_LEN(head), TEXT_LEEF);
	sb_puts(sb, delim);
	sb_putc(sb, '|');

	leef_time(&l, a->ts_ns);
	kv_cstr(&l, "devTimeFormat", "MMM dd yyyy HH:mm:ss.SSS z");
	kv_cstr(&l, "cat", "exfiltration");
	kv_u64(&l, "sev", severity_scale10(a->severity));
	kv_ip(&l, &a->src, &leef_src_keys);
	kv_ip(&l, &a->dst, &leef_dst_keys);
	if (a->proto != 0) {
		kv_u64(&l, "srcPort", a->src_port);
		kv_u64(&l, "proto", a->proto);
	}
	if (a->dst_port != 0)
		kv_u64(&l, "dstPort", a->dst_port);
	kv_field(&l, "usrName", a->src_user, sizeof(a->src_user));
	kv_u64(&l, "srcBytes", a->bytes_out);
	kv_u64(&l, "dstBytes", a->bytes_in);
	kv_field(&l, "alertId", a->id, sizeof(a->id));
	kv_field(&l, "dstHost", a->dst_host, sizeof(a->dst_host));
	kv_country(&l, "dstCountry", a->dst_country);
	if (a->dst_asn != 0) {
		kv_u64(&l, "dstAsn", a->dst_asn);
		kv_field(&l, "dstOrg", a->dst_org, sizeof(a->dst_org));
	}
	kv_cstr(&l, "via", via_name(a));
	kv_u64(&l, "flows", a->flows);
	kv_u64(&l, "windowSeconds", a->window_s);
	kv_payload(&l, "payloadTotal", a);
	kv_cstr(&l, "sensor", a->sensor);
	kv_cstr(&l, "inputSource", a->source);
	if (a->during_learning)
		kv_cstr(&l, "duringLearning", "true");
	kv_field(&l, "contained", a->contained, sizeof(a->contained));
	kv_field(&l, "zeekUid", a->uid, sizeof(a->uid));
	kv_field(&l, "httpMethod", a->http_method, sizeof(a->http_method));
	kv_field(&l, "url", a->http_uri, sizeof(a->http_uri));
	kv_field(&l, "userAgent", a->http_user_agent, sizeof(a->http_user_agent));
	kv_field(&l, "fileName", a->http_filename, sizeof(a->http_filename));
	kv_evidence_files(&l, a);
	if (a->attack != NULL && a->attack[0] != NULL) {
		kv_attack(&l, "attackTechniques", a, false);
		kv_attack(&l, "attackTactics", a, true);
	}
	kv_records(&l, a);
	kv_why(&l, a);
	kv_update(&l, a);
	kv_finding(&l, &a->finding);
}

/* ---- headers ---- */

static unsigned
priority(const struct syslog_meta *m, const struct alert *a)
{
	return (unsigned)m->facility * 8 + syslog_severity(a->severity);
}

/* SD-PARAM: ' ' PARAM-NAME '="' PARAM-VALUE '"' */
static void
sd_param(struct strbuf *sb, const char *name, const char *s, size_t n)
{
	sb_putc(sb, ' ');
	sb_puts(sb, name);
	sb_append(sb, "=\"", 2);
	put_text(sb, s, n, TEXT_SD_VALUE);
	sb_putc(sb, '"');
}

static void
sd_cstr(struct strbuf *sb, const char *name, const char *s)
{
	s = str_or_empty(s);
	sd_param(sb, name, s, strlen(s));
}

static void
sd_u64(struct strbuf *sb, const char *name, uint64_t v)
{
	sb_putc(sb, ' ');
	sb_puts(sb, name);
	sb_append(sb, "=\"", 2);
	sb_u64(sb, v);
	sb_putc(sb, '"');
}

/* reason="..." and ev_<key>="..." per evidence field (rule keys are
 * [a-z0-9_], at most 32 bytes with the prefix: valid SD-NAMEs). */
static void
sd_finding(struct strbuf *sb, const struct finding *f)
{
	char name[40], buf[32];
	const char *v;
	bool number;
	size_t i;

	if (f->reason[0] != '\0')
		sd_param(sb, "reason", f->reason, strnlen(f->reason, sizeof(f->reason)));
	for (i = 0; i < f->n; i++) {
		snprintf(name, sizeof(name), "ev_%.29s", f->f[i].key);
		v = finding_value(f, &f->f[i], buf, sizeof(buf), &number);
		sd_param(sb, name, v, strlen(v));
	}
}

/* A wire field as an SD-PARAM, only when there is one. */
static void
sd_field(struct strbuf *sb, const char *name, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n > 0)
		sd_param(sb, name, s, n);
}

static void
sd_time(struct strbuf *sb, const char *name, uint64_t ts_ns)
{
	char ts[RFC3339_LEN];

	format_rfc3339_ms(ts_ns, ts);
	sd_cstr(sb, name, ts);
}

/* evidence_dir="..." sha256="h1,h2" when evidence was kept. */
static void
sd_evidence_files(struct strbuf *sb, const struct alert *a)
{
	char list[SHA256_LIST_LEN];

	sd_field(sb, "evidence_dir", a->evidence_dir, sizeof(a->evidence_dir));
	sha256_list(a, list, sizeof(list));
	sd_field(sb, "sha256", list, sizeof(list));
}

/* Join keys, why it fired, the HTTP request and ATT&CK. */
static void
sd_more(struct strbuf *sb, const struct alert *a)
{
	char buf[32];
	const char *v;
	bool number;

	if (a->proto != 0) {
		sd_cstr(sb, "proto", alert_transport(a->proto));
		sd_u64(sb, "src_port", a->src_port);
		sd_field(sb, "community_id", a->community_id,
		    sizeof(a->community_id));
	}
	sd_field(sb, "uid", a->uid, sizeof(a->uid));
	sd_time(sb, "window_start", a->window_start_ns);
	if (a->learn_end_ns != 0)
		sd_time(sb, "learn_end", a->learn_end_ns);
	if (a->finding.threshold != NULL) {
		sd_cstr(sb, "threshold", a->finding.threshold);
		v = finding_value(&a->finding, &a->finding.limit, buf,
		    sizeof(buf), &number);
		sd_cstr(sb, "threshold_limit", v);
		v = finding_value(&a->finding, &a->finding.value, buf,
		    sizeof(buf), &number);
		sd_cstr(sb, "threshold_value", v);
	}
	sd_field(sb, "http_method", a->http_method, sizeof(a->http_method));
	sd_field(sb, "http_uri", a->http_uri, sizeof(a->http_uri));
	sd_field(sb, "http_user_agent", a->http_user_agent,
	    sizeof(a->http_user_agent));
	sd_field(sb, "http_filename", a->http_filename, sizeof(a->http_filename));
	sd_evidence_files(sb, a);
	if (a->tunnel_connect)
		sd_cstr(sb, "tunnel", "connect");
	if (a->attack != NULL && a->attack[0] != NULL) {
		sb_puts(sb, " attack_techniques=\"");
		put_attack_list(sb, a->attack, false);
		sb_puts(sb, "\" attack_tactics=\"");
		put_attack_list(sb, a->attack, true);
		sb_putc(sb, '"');
	}
}

static void
sd_element(struct strbuf *sb, const struct alert *a, uint32_t pen)
{
	size_t user = strnlen(a->src_user, sizeof(a->src_user));
	char addr[NETADDR_STRLEN], cc[3];

	sb_printf(sb, "[exfild@%u", pen != 0 ? pen : SYSLOG_PEN);
	sd_param(sb, "id", a->id, strnlen(a->id, sizeof(a->id)));
	sd_cstr(sb, "rule", a->rule);
	sd_cstr(sb, "severity", severity_name(a->severity));
	netaddr_format(&a->src, addr, sizeof(addr));
	sd_cstr(sb, "src", addr);
	if (user > 0)
		sd_param(sb, "src_user", a->src_user, user);
	netaddr_format(&a->dst, addr, sizeof(addr));
	sd_cstr(sb, "dst", addr);
	sd_u64(sb, "dst_port", a->dst_port);
	sd_param(sb, "dst_host", a->dst_host,
	    strnlen(a->dst_host, sizeof(a->dst_host)));
	country_format(a->dst_country, cc);
	sd_param(sb, "dst_country", cc, strnlen(cc, sizeof(cc)));
	if (a->dst_asn != 0) {
		sd_u64(sb, "dst_asn", a->dst_asn);
		sd_param(sb, "dst_org", a->dst_org,
		    strnlen(a->dst_org, sizeof(a->dst_org)));
	}
	sd_cstr(sb, "via", via_name(a));
	sd_u64(sb, "bytes_out", a->bytes_out);
	sd_u64(sb, "bytes_in", a->bytes_in);
	sd_u64(sb, "window_s", a->window_s);
	sd_cstr(sb, "source", a->source);
	if (a->during_learning)
		sd_cstr(sb, "during_learning", "true");
	sd_field(sb, "contained", a->contained, sizeof(a->contained));
	sd_u64(sb, "records_est_low", a->records_low);
	sd_u64(sb, "records_est_high", a->records_high);
	sd_more(sb, a);
	if (a->kind != ALERT_KIND_ALERT) {
		sd_cstr(sb, "kind", alert_kind_name(a->kind));
		if (a->update_reason != NULL)
			sd_cstr(sb, "update_reason", a->update_reason);
		sd_time(sb, "last_seen", a->last_seen_ns);
	}
	sd_finding(sb, &a->finding);
	sb_putc(sb, ']');
}

static void
header_rfc5424(struct strbuf *sb, const struct alert *a,
    const struct syslog_meta *m)
{
	char ts[RFC3339_LEN], pid[24];

	format_rfc3339_ms(a->ts_ns, ts);
	sb_printf(sb, "<%u>1 %s ", priority(m, a), ts);
	put_header_field(sb, m->hostname, HOSTNAME_MAX, "");
	sb_putc(sb, ' ');
	put_header_field(sb, m->app_name, APP_NAME_MAX, "");
	sb_putc(sb, ' ');
	pid[0] = '\0';
	if (m->procid > 0)
		snprintf(pid, sizeof(pid), "%d", m->procid);
	put_header_field(sb, pid, PROCID_MAX, "");
	sb_putc(sb, ' ');
	put_header_field(sb, a->rule, MSGID_MAX, "");
	sb_putc(sb, ' ');
	sd_element(sb, a, m->enterprise_number);
	sb_putc(sb, ' ');
}

static void
header_rfc3164(struct strbuf *sb, const struct alert *a,
    const struct syslog_meta *m)
{
	time_t s = (time_t)(a->ts_ns / NS_PER_SEC);
	struct tm tm;

	if (gmtime_r(&s, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	sb_printf(sb, "<%u>%s %2d %02d:%02d:%02d ", priority(m, a),
	    month_names[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	put_header_field(sb, m->hostname, HOSTNAME_MAX, "");
	sb_putc(sb, ' ');
	put_header_field(sb, m->app_name, TAG_MAX, ":[]");
	if (m->procid > 0)
		sb_printf(sb, "[%d]", m->procid);
	sb_append(sb, ": ", 2);
}

/* ---- one message, shortened to fit ---- */

struct request {
	bool with_header;
	enum syslog_header header;
	enum output_format format;
	const struct syslog_meta *meta;
};

static void
format_body(const struct alert *a, enum output_format f, struct strbuf *sb)
{
	switch (f) {
	case OUTPUT_FORMAT_JSON:
		(void)alert_format_json(a, sb);
		break;
	case OUTPUT_FORMAT_ECS:
		format_ecs(a, sb);
		break;
	case OUTPUT_FORMAT_CEF:
		format_cef(a, sb);
		break;
	case OUTPUT_FORMAT_LEEF:
		format_leef(a, sb);
		break;
	}
}

static void
sb_truncate(struct strbuf *sb, size_t len)
{
	sb->len = len;
	sb->overflow = false;
	sb->p[len] = '\0';
}

/* Writes the message from `start` on; does it fit in `limit` bytes? */
static bool
format_once(const struct alert *a, const struct request *r,
    struct strbuf *out, size_t start, size_t limit)
{
	sb_truncate(out, start);
	if (r->with_header) {
		if (r->header == SYSLOG_RFC5424)
			header_rfc5424(out, a, r->meta);
		else
			header_rfc3164(out, a, r->meta);
	}
	format_body(a, r->format, out);
	return !out->overflow && out->len - start <= limit;
}

/* dst = src cut to at most `keep` bytes of its own, at a character
 * boundary, followed by the marker; src whole when it has <= keep bytes. */
static void
shorten_field(char *dst, size_t dstsize, const char *src, size_t keep)
{
	size_t n = strnlen(src, dstsize);

	if (n > keep || n == dstsize) {
		if (keep > dstsize - 1 - MARKER_LEN)
			keep = dstsize - 1 - MARKER_LEN;
		n = prefix_len(src, n, keep);
		memcpy(dst, src, n);
		memcpy(dst + n, SYSLOG_TRUNC_MARKER, MARKER_LEN);
		n += MARKER_LEN;
	} else {
		memcpy(dst, src, n);
	}
	dst[n] = '\0';
}

/* The finding's reason and string values cut the same way (values are
 * laid out again in the text; one that no longer fits is left empty). */
static void
shorten_finding(struct finding *dst, const struct finding *src, size_t keep)
{
	char cut[FINDING_TEXT_MAX];
	size_t i, n;

	shorten_field(dst->reason, sizeof(dst->reason), src->reason, keep);
	dst->text_len = 0;
	for (i = 0; i < src->n; i++) {
		if (src->f[i].type != FINDING_STR)
			continue;
		shorten_field(cut, sizeof(cut), finding_text(src, &src->f[i]), keep);
		n = strlen(cut);
		if (n + 1 > sizeof(dst->text) - dst->text_len)
			n = 0;
		dst->f[i].str_off = (uint16_t)dst->text_len;
		memcpy(dst->text + dst->text_len, cut, n);
		dst->text[dst->text_len + n] = '\0';
		dst->text_len += n + 1;
	}
}

static void
shorten(struct alert *tmp, const struct alert *a, size_t keep)
{
	shorten_field(tmp->dst_host, sizeof(tmp->dst_host), a->dst_host, keep);
	shorten_field(tmp->src_user, sizeof(tmp->src_user), a->src_user, keep);
	shorten_field(tmp->dst_org, sizeof(tmp->dst_org), a->dst_org, keep);
	shorten_field(tmp->http_uri, sizeof(tmp->http_uri), a->http_uri, keep);
	shorten_field(tmp->http_user_agent, sizeof(tmp->http_user_agent),
	    a->http_user_agent, keep);
	shorten_field(tmp->http_filename, sizeof(tmp->http_filename),
	    a->http_filename, keep);
	shorten_finding(&tmp->finding, &a->finding, keep);
}

/* The longest of hi and the HTTP fields, in bytes. */
static size_t
longest_http(const struct alert *a, size_t hi)
{
	size_t n[3] = { strnlen(a->http_uri, sizeof(a->http_uri)),
		strnlen(a->http_user_agent, sizeof(a->http_user_agent)),
		strnlen(a->http_filename, sizeof(a->http_filename)) };
	size_t i;

	for (i = 0; i < 3; i++)
		if (n[i] > hi)
			hi = n[i];
	return hi;
}

/*
 * The whole alert if it fits; else the largest `keep` (bytes of each wire
 * field) that fits, by bisection between 0 (fits, or nothing does) and the
 * longest field's length (the whole alert, which does not fit).
 */
static int
format_fitted(const struct alert *a, const struct request *r,
    size_t max_len, struct strbuf *out)
{
	struct alert tmp;
	size_t start = out->len, limit, lo, hi, mid, host, user, org;

	if (out->overflow || out->cap == 0)
		return -1;
	limit = out->cap - 1 - start;
	if (max_len < limit)
		limit = max_len;
	if (format_once(a, r, out, start, limit))
		return 0;
	host = strnlen(a->dst_host, sizeof(a->dst_host));
	user = strnlen(a->src_user, sizeof(a->src_user));
	org = strnlen(a->dst_org, sizeof(a->dst_org));
	hi = host > user ? host : user;
	if (org > hi)
		hi = org;
	hi = longest_http(a, hi);
	if (finding_longest(&a->finding) > hi)
		hi = finding_longest(&a->finding);
	if (hi == 0)
		goto fail;
	tmp = *a;
	shorten(&tmp, a, 0);
	if (!format_once(&tmp, r, out, start, limit))
		goto fail;
	lo = 0;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		shorten(&tmp, a, mid);
		if (format_once(&tmp, r, out, start, limit))
			lo = mid;
		else
			hi = mid;
	}
	shorten(&tmp, a, lo);
	if (format_once(&tmp, r, out, start, limit))
		return 0;
fail:
	sb_truncate(out, start);
	return -1;
}

static bool
format_valid(enum output_format f)
{
	return f == OUTPUT_FORMAT_JSON || f == OUTPUT_FORMAT_ECS ||
	    f == OUTPUT_FORMAT_CEF || f == OUTPUT_FORMAT_LEEF;
}

int
syslog_format_message(const struct alert *a, enum syslog_header h,
    enum output_format f, const struct syslog_meta *m, size_t max_len,
    struct strbuf *out)
{
	struct request r = { true, h, f, m };

	if (m->facility < 0 || m->facility > FACILITY_MAX || !format_valid(f) ||
	    (h != SYSLOG_RFC5424 && h != SYSLOG_RFC3164))
		return -1;
	return format_fitted(a, &r, max_len, out);
}

int
syslog_format_body(const struct alert *a, enum output_format f,
    size_t max_len, struct strbuf *out)
{
	struct request r = { false, SYSLOG_RFC5424, f, NULL };

	if (!format_valid(f))
		return -1;
	return format_fitted(a, &r, max_len, out);
}
