/*
 * config.c - loads the YAML configuration (libyaml document API) into a
 * struct config. Every mapping is described by a table of key handlers; every
 * value is validated, and errors say "file:line:column: key.path: message".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "exfild/config/config.h"
#include "exfild/detect/registry.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define CONFIG_MAX_BYTES (1024 * 1024) /* a config file is small; refuse more */
#define LIMIT_MAX        (16u * 1024 * 1024)
#define KEYPATH_LEN      96  /* "rules.compressed_upload.severity" and the like */
#define QUOTE_LEN        80  /* a hostile value is shown escaped and cut short */
#define QUOTE_SHOWN      48
#define YAML_DEPTH_MAX   64  /* collections nested in one another, at most */
#define CONTAIN_TIMEOUT_MAX_S      (30 * 86400) /* an nft element's, at most */
#define CONTAIN_EXEC_TIMEOUT_MAX_S 20  /* a hook holds up the event loop (and
					* the unit's 30 s watchdog) so long */

/*
 * The default networks.internal: RFC 1918 and RFC 4193 (fc00::/7), IPv4
 * held IPv4-mapped as netaddr.h does. config_defaults() points at this array
 * so that a default config owns no memory; config_free() knows not to free it.
 */
#define V4MAPPED(a, b, c, d) { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d }
static struct netprefix default_internal[] = {
	{ { V4MAPPED(10, 0, 0, 0), 4 }, 8 },
	{ { V4MAPPED(172, 16, 0, 0), 4 }, 12 },
	{ { V4MAPPED(192, 168, 0, 0), 4 }, 16 },
	{ { { 0xfc }, 6 }, 7 },
};

static const char *const severity_names[] = { "low", "medium", "high", "critical" };

const char *
severity_name(enum severity s)
{
	if ((size_t)s >= ARRAY_LEN(severity_names))
		return "unknown";
	return severity_names[s];
}

int
severity_parse(const char *s, enum severity *out)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(severity_names); i++) {
		if (strcasecmp(s, severity_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return -1;
}

static bool
ascii_alpha(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static char
ascii_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static char
ascii_lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

country_t
country_parse(const char *s)
{
	if (s == NULL || !ascii_alpha(s[0]) || !ascii_alpha(s[1]) || s[2] != '\0')
		return COUNTRY_UNKNOWN;
	return (country_t)((unsigned)ascii_upper(s[0]) << 8 | (unsigned)ascii_upper(s[1]));
}

void
country_format(country_t cc, char out[3])
{
	char hi = (char)(cc >> 8), lo = (char)(cc & 0xff);

	if (hi < 'A' || hi > 'Z' || lo < 'A' || lo > 'Z')
		hi = lo = '?';
	out[0] = hi;
	out[1] = lo;
	out[2] = '\0';
}

static void
default_sensor(char *out, size_t outlen)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	str_copy(out, host[0] != '\0' ? host : "unknown", outlen);
}

static void rule_defaults(struct config *c);
static void contain_defaults(struct config *c);

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	default_sensor(c->sensor, sizeof(c->sensor));
	c->internal.v = default_internal;
	c->internal.n = ARRAY_LEN(default_internal);

	c->baseline_learn_s = 7 * 86400;
	c->baseline_familiar_by = BASELINE_BY_ADDRESS | BASELINE_BY_NAME |
	    BASELINE_BY_DOMAIN;
	c->baseline_min_hosts = 2;
	c->baseline_min_days = 2;
	c->rules_window_s = 3600;
	c->rules_suppress_s = 3600;
	rule_defaults(c);

	c->evidence_max_bytes = 64ULL << 20;
	c->evidence_ring = 64ULL << 20;
	c->evidence_max_total = 2ULL << 30;
	c->evidence_lookback = 64;
	c->evidence_max_open = 64;
	c->evidence_grace_s = 10;

	c->limit_flows = 262144;
	c->limit_pairs = 131072;
	c->limit_destinations = 131072;
	c->limit_names = 65536;
	c->limit_hosts = 65536;
	c->records_bytes_per_record = 500;
	c->records_compression = 5;
	c->limit_app_parsers = 4096;
	c->limit_half_open_per_host = 128;
	c->flow_timeout_s = 300;
	c->flow_closed_timeout_s = 10;

	c->log_level = LOG_LEVEL_INFO;
	c->capture_snaplen = 2048;
	c->capture_buffer = 64 * 1024 * 1024;
	c->capture_promiscuous = true;
	c->rules_eval_interval_s = 5;
	c->stats_interval_s = 300;
	c->daemon_save_interval_s = 900;
	c->indicators_check_s = 300;
	contain_defaults(c);
}

static void
free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Empties networks.internal, which may still be the static default. */
static void
release_netset(struct netset *s)
{
	if (s->v == default_internal) {
		s->v = NULL;
		s->n = 0;
		return;
	}
	netset_free(s);
}

static void
output_conf_release(struct output_conf *o)
{
	free(o->path);
	free(o->target);
	free(o->host);
	free(o->socket_path);
	free(o->name);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	for (size_t i = 0; i < c->n_refs; i++)
		free(c->refs[i].value);
	free(c->refs);
	release_netset(&c->internal);
	free(c->proxies);
	free(c->geo_home);
	free_strings(c->geo_databases, c->n_geo_databases);
	free(c->geo_hosts);
	free(c->geo_asn);
	free(c->baseline_psl);
	free(c->baseline_state);
	netset_free(&c->baseline_allow_nets);
	free(c->baseline_allow_asns);
	netset_free(&c->resolvers);
	netset_free(&c->servers);
	free(c->crown_jewels);
	free_strings(c->baseline_allow_domains, c->n_baseline_allow_domains);
	free(c->daemon_user);
	free(c->state_dir);
	free(c->evidence_dir);
	free_strings(c->capture_interfaces, c->n_capture_interfaces);
	free(c->capture_bpf);
	free(c->stats_listen);
	for (size_t i = 0; i < c->n_outputs; i++)
		output_conf_release(&c->outputs[i]);
	free(c->outputs);
	for (size_t i = 0; i < c->n_logs; i++) {
		free(c->logs[i].path);
		free(c->logs[i].listen);
		free(c->logs[i].format);
	}
	free(c->logs);
	for (size_t i = 0; i < c->n_indicators; i++)
		free(c->indicators[i].file);
	free(c->indicators);
	free(c->contain_exec);
	netset_free(&c->contain_never);
	free(c);
}

static const char *const format_names[] = { "json", "ecs", "cef", "leef" };

const char *
output_format_name(enum output_format f)
{
	return (size_t)f < ARRAY_LEN(format_names) ? format_names[f] : "unknown";
}

static const char *const ioc_format_names[] = { "plain", "feodo", "hostfile" };

const char *
ioc_format_name(enum ioc_format f)
{
	return (size_t)f < ARRAY_LEN(ioc_format_names) ? ioc_format_names[f] :
	    "unknown";
}

/* RFC 5424 6.2.1 facility codes 0..23 */
static const char *const facility_names[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6",
	"local7",
};

const char *
syslog_facility_name(int facility)
{
	return facility >= 0 && (size_t)facility < ARRAY_LEN(facility_names) ?
	    facility_names[facility] : "unknown";
}

bool
config_is_internal(const struct config *c, const struct netaddr *a)
{
	return netset_contains(&c->internal, a);
}

int
config_crown_jewel(const struct config *c, const struct netaddr *a,
    uint16_t port)
{
	size_t i;

	for (i = 0; i < c->n_crown_jewels; i++) {
		const struct crown_jewel *j = &c->crown_jewels[i];
		if (netaddr_eq(&j->addr, a) && (j->port == 0 || j->port == port))
			return (int)i;
	}
	return -1;
}

bool
config_is_proxy(const struct config *c, const struct netaddr *a, uint16_t port)
{
	size_t i;

	for (i = 0; i < c->n_proxies; i++) {
		const struct proxy_addr *p = &c->proxies[i];
		if (netaddr_eq(&p->addr, a) && (p->port == 0 || p->port == port))
			return true;
	}
	return false;
}

bool
config_is_home(const struct config *c, country_t cc)
{
	size_t i;

	for (i = 0; i < c->n_geo_home; i++)
		if (c->geo_home[i] == cc)
			return true;
	return false;
}

/* ---- Error reporting ------------------------------------------------- */

struct loader {
	const char *name; /* file name used in messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct config *cfg; /* what is being loaded */
	size_t dirlen;      /* of name's directory: relative paths' base */
};

static void set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int fail_at(struct loader *ld, const yaml_node_t *node, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "file:line:col: path: message"; libyaml marks are 0-based. Returns -1. */
static int
fail_at(struct loader *ld, const yaml_node_t *node, const char *path,
    const char *fmt, ...)
{
	char msg[CONFIG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error(ld->err, ld->errlen, "%s:%zu:%zu: %s%s%s", ld->name,
	    node->start_mark.line + 1, node->start_mark.column + 1, path,
	    path[0] != '\0' ? ": " : "", msg);
	return -1;
}

/* Shows an untrusted string escaped (no control bytes) and cut short. */
static const char *
quote(const char *s, size_t len, char out[QUOTE_LEN])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len && o < QUOTE_SHOWN; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 0xf];
		} else {
			out[o++] = (char)ch;
		}
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* `invalid WHAT "TEXT"HINT` at the node. */
static int
fail_invalid(struct loader *ld, const yaml_node_t *node, const char *path,
    const char *what, const char *text, const char *hint)
{
	char q[QUOTE_LEN];

	return fail_at(ld, node, path, "invalid %s \"%s\"%s", what,
	    quote(text, strlen(text), q), hint);
}

/* ---- Node access ------------------------------------------------------ */

static const char *
node_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain empty scalar, "~" or "null": a key written without a value. */
static bool
is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < ARRAY_LEN(nulls); i++)
		if (strcmp(node_text(node), nulls[i]) == 0)
			return true;
	return false;
}

static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

/* The text of a scalar value; an error for lists, mappings, nulls, NULs. */
static int
scalar_text(struct loader *ld, const char *path, const yaml_node_t *node,
    const char **out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail_at(ld, node, path, "expected a scalar, not %s",
		    node_kind(node));
	if (is_null(node))
		return fail_at(ld, node, path, "missing value");
	if (strlen(node_text(node)) != node->data.scalar.length)
		return fail_at(ld, node, path, "contains a NUL character");
	*out = node_text(node);
	return 0;
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A non-empty string without control characters (names, file paths). */
static int
plain_string(struct loader *ld, const char *path, const yaml_node_t *node,
    const char **out)
{
	if (scalar_text(ld, path, node, out) != 0)
		return -1;
	if ((*out)[0] == '\0')
		return fail_at(ld, node, path, "must not be empty");
	if (has_control(*out))
		return fail_at(ld, node, path, "contains control characters");
	return 0;
}

static yaml_node_t *
get_node(struct loader *ld, int id)
{
	return yaml_document_get_node(ld->doc, id);
}

/* ---- Tables of key handlers ----------------------------------------- */

struct key_handler;

struct key_table {
	const struct key_handler *keys;
	size_t n;
};
#define KEY_TABLE(a) { (a), ARRAY_LEN(a) }

/* Parses the value of one key into target (the struct the table describes). */
typedef int key_fn(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target);

/* The words a keyword key takes; the i-th word stores value i in an enum
 * (or int) field. Compared case-insensitively. */
struct keywords {
	const char *what;          /* "framing", for messages */
	const char *const *words;
	size_t n;
	const char *hint;          /* NULL: " (expected a, b or c)" */
};
#define KEYWORDS(what, a, hint) { (what), (a), ARRAY_LEN(a), (hint) }

struct key_handler {
	const char *key;
	key_fn *parse;
	size_t field;                /* offsetof() in target, for generic handlers */
	const struct key_table *sub; /* keys of a nested mapping (parse_section) */
	const struct keywords *words; /* parse_keyword_field */
};

#define FIELD(type, target, h) ((type *)(void *)((char *)(target) + (h)->field))

static bool
key_is(const yaml_node_t *key, const char *name)
{
	size_t n = strlen(name);

	return key->data.scalar.length == n && memcmp(key->data.scalar.value, name, n) == 0;
}

static bool
same_key(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->type == YAML_SCALAR_NODE && b->type == YAML_SCALAR_NODE &&
	    a->data.scalar.length == b->data.scalar.length &&
	    memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0;
}

static bool
is_duplicate_key(struct loader *ld, const yaml_node_t *map,
    const yaml_node_pair_t *pair, const yaml_node_t *key)
{
	const yaml_node_pair_t *prev;

	for (prev = map->data.mapping.pairs.start; prev < pair; prev++) {
		const yaml_node_t *other = get_node(ld, prev->key);
		if (other != NULL && same_key(other, key))
			return true;
	}
	return false;
}

static const struct key_handler *
find_key(const struct key_table *t, const yaml_node_t *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (key_is(key, t->keys[i].key))
			return &t->keys[i];
	return NULL;
}

static void
keypath_join(char *out, size_t outlen, const char *parent, const char *key)
{
	if (parent[0] == '\0')
		snprintf(out, outlen, "%s", key);
	else
		snprintf(out, outlen, "%s.%s", parent, key);
}

/* A mapping whose keys are all in the table; a null value keeps defaults. */
static int
parse_mapping(struct loader *ld, const char *path, yaml_node_t *node,
    const struct key_table *table, void *target)
{
	const yaml_node_pair_t *pair;
	char child[KEYPATH_LEN], q[QUOTE_LEN];

	if (is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return fail_at(ld, node, path, "expected a mapping");
	for (pair = node->data.mapping.pairs.start;
	    pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = get_node(ld, pair->key);
		yaml_node_t *value = get_node(ld, pair->value);
		const struct key_handler *h;

		if (key == NULL || value == NULL)
			return fail_at(ld, node, path, "malformed mapping");
		if (key->type != YAML_SCALAR_NODE)
			return fail_at(ld, key, path, "keys must be scalars, not %s",
			    node_kind(key));
		if (is_duplicate_key(ld, node, pair, key))
			return fail_at(ld, key, path, "duplicate key \"%s\"",
			    quote(node_text(key), key->data.scalar.length, q));
		if ((h = find_key(table, key)) == NULL)
			return fail_at(ld, key, path, "unknown key \"%s\"",
			    quote(node_text(key), key->data.scalar.length, q));
		keypath_join(child, sizeof(child), path, h->key);
		if (h->parse(ld, h, child, value, target) != 0)
			return -1;
	}
	return 0;
}

static int
parse_section(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	return parse_mapping(ld, path, value, h->sub, FIELD(char, target, h));
}

typedef int item_fn(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target);

/* A list of scalars, each handed to fn. */
static int
for_each_item(struct loader *ld, const char *path, yaml_node_t *node,
    item_fn *fn, void *target)
{
	const yaml_node_item_t *it;

	if (is_null(node))
		return fail_at(ld, node, path, "missing value");
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(ld, node, path, "expected a list");
	for (it = node->data.sequence.items.start;
	    it < node->data.sequence.items.top; it++) {
		const yaml_node_t *item = get_node(ld, *it);
		const char *text;

		if (item == NULL)
			return fail_at(ld, node, path, "malformed list");
		if (scalar_text(ld, path, item, &text) != 0 ||
		    fn(ld, path, item, text, target) != 0)
			return -1;
	}
	return 0;
}

/* ---- Generic value handlers (field = offsetof in target) ----------- */

static int
parse_size_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const char *s;
	uint64_t v;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (parse_size(s, &v) != 0)
		return fail_invalid(ld, value, path, "size", s, "");
	if (v == 0)
		return fail_at(ld, value, path, "must be greater than 0");
	*FIELD(uint64_t, target, h) = v;
	return 0;
}

static int
duration_value(struct loader *ld, const char *path, yaml_node_t *value,
    bool positive, uint64_t *out)
{
	const char *s;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (parse_duration(s, out) != 0)
		return fail_invalid(ld, value, path, "duration", s, "");
	if (positive && *out == 0)
		return fail_at(ld, value, path, "must be greater than 0");
	return 0;
}

/* A duration that may be 0 (baseline.learn: no learning period). */
static int
parse_duration_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	return duration_value(ld, path, value, false, FIELD(uint64_t, target, h));
}

static int
parse_period_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	return duration_value(ld, path, value, true, FIELD(uint64_t, target, h));
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Notes where the value of a field of the config was (config_where). */
static void
mark_field(struct loader *ld, const void *field, const yaml_node_t *value)
{
	struct config *c = ld->cfg;
	uintptr_t at = (uintptr_t)field, base = (uintptr_t)c;
	struct config_mark *m;

	if (at < base || at - base >= sizeof(*c) || c->n_marks == CONFIG_MARKS_MAX)
		return;
	m = &c->marks[c->n_marks++];
	m->field = at - base;
	m->line = value->start_mark.line + 1;
	m->col = value->start_mark.column + 1;
}

bool
config_where(const struct config *c, const void *field, size_t *line,
    size_t *col)
{
	size_t i;

	for (i = 0; i < c->n_marks; i++)
		if ((const char *)c + c->marks[i].field == (const char *)field) {
			*line = c->marks[i].line;
			*col = c->marks[i].col;
			return true;
		}
	return false;
}

static int
parse_limit_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	unsigned long long v;
	const char *s;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (!all_digits(s))
		return fail_invalid(ld, value, path, "number", s, "");
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno != 0 || v < 1 || v > LIMIT_MAX)
		return fail_at(ld, value, path, "must be between 1 and %u", LIMIT_MAX);
	*FIELD(size_t, target, h) = (size_t)v;
	mark_field(ld, FIELD(size_t, target, h), value);
	return 0;
}

static int
bool_from_text(const char *s, void *field)
{
	bool *out = field;

	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

#define COUNT_MAX 1000000000ULL

static int count_from_text(const char *s, void *field);

int
config_count_from_text(const char *s, uint64_t *out)
{
	return count_from_text(s, out);
}

static int
count_from_text(const char *s, void *field)
{
	uint64_t *out = field;
	unsigned long long v;

	if (!all_digits(s))
		return -1;
	errno = 0;
	v = strtoull(s, NULL, 10);
	if (errno != 0 || v < 1 || v > COUNT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* A scalar read by from_text into field; refused as an invalid `what`
 * with the hint. The typed handlers below and the rules' defaults share
 * the *_from_text readers. */
static int
scalar_into(struct loader *ld, const char *path, yaml_node_t *value,
    int (*from_text)(const char *, void *), void *field, const char *what,
    const char *hint)
{
	const char *s;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (from_text(s, field) != 0)
		return fail_invalid(ld, value, path, what, s, hint);
	return 0;
}

static int
parse_count_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	return scalar_into(ld, path, value, count_from_text, FIELD(uint64_t, target, h),
	    "number", " (expected a whole number from 1 to 1000000000)");
}

static int
parse_bool_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	return scalar_into(ld, path, value, bool_from_text, FIELD(bool, target, h),
	    "boolean", " (expected true, false, yes or no)");
}

/* " (expected a, b or c)" from the words. */
static void
keyword_hint(const struct keywords *kw, char *out, size_t outlen)
{
	size_t i, o;

	o = (size_t)snprintf(out, outlen, " (expected ");
	for (i = 0; i < kw->n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s",
		    i == 0 ? "" : i + 1 == kw->n ? " or " : ", ", kw->words[i]);
	if (o < outlen)
		snprintf(out + o, outlen - o, ")");
}

static int
parse_keyword_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const struct keywords *kw = h->words;
	char hint[160];
	const char *s;
	size_t i;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	for (i = 0; i < kw->n; i++) {
		if (strcasecmp(s, kw->words[i]) == 0) {
			*FIELD(int, target, h) = (int)i;
			return 0;
		}
	}
	if (kw->hint == NULL)
		keyword_hint(kw, hint, sizeof(hint));
	return fail_invalid(ld, value, path, kw->what, s,
	    kw->hint != NULL ? kw->hint : hint);
}

static const struct keywords severity_words =
    KEYWORDS("severity", severity_names, NULL);

/* A finite decimal number >= 0 ("3", "2.5"); no sign, hex, inf or nan. */
static int
ratio_from_text(const char *s, void *field)
{
	double *out = field, v;
	char *end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    strpbrk(s, "xX") != NULL)
		return -1;
	*out = v;
	return 0;
}

static int
parse_ratio_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	return scalar_into(ld, path, value, ratio_from_text, FIELD(double, target, h),
	    "ratio", " (expected a number >= 0)");
}

/* Notes where a key naming a file, a directory or the user was set, with
 * its value (config_ref_find, config_blame). */
static void
add_ref(struct loader *ld, const char *key, const yaml_node_t *node,
    const char *value, enum config_ref_use use)
{
	struct config *c = ld->cfg;
	struct config_ref *r;

	c->refs = xreallocarray(c->refs, c->n_refs + 1, sizeof(*c->refs));
	r = &c->refs[c->n_refs++];
	memset(r, 0, sizeof(*r));
	str_copy(r->key, key, sizeof(r->key));
	r->value = xstrdup(value);
	r->line = node->start_mark.line + 1;
	r->col = node->start_mark.column + 1;
	r->use = use;
}

/* A path as written, or for a relative one, joined to the directory of
 * the configuration file (a file named without a directory: as written,
 * the working directory being its directory). */
static char *
resolve_path(const struct loader *ld, const char *s)
{
	size_t n;
	char *out;

	if (s[0] == '/' || ld->dirlen == 0)
		return xstrdup(s);
	n = ld->dirlen + 1 + strlen(s) + 1;
	out = xmalloc(n);
	snprintf(out, n, "%.*s%s%s", (int)ld->dirlen, ld->name,
	    ld->name[ld->dirlen - 1] == '/' ? "" : "/", s);
	return out;
}

/* A path key's value (resolved) into *field, noted as a ref. */
static int
path_value(struct loader *ld, const char *path, yaml_node_t *value,
    enum config_ref_use use, char **field)
{
	const char *s;

	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	free(*field);
	*field = resolve_path(ld, s);
	add_ref(ld, path, value, *field, use);
	return 0;
}

/* What the path keys that are not files read are for. */
static const struct {
	const char *key;
	enum config_ref_use use;
} path_uses[] = {
	{ "outputs.file.path", CONFIG_REF_WRITE },
	{ "baseline.state", CONFIG_REF_WRITE },
	{ "daemon.state_dir", CONFIG_REF_DIR },
	{ "contain.exec", CONFIG_REF_EXEC },
	{ "evidence.dir", CONFIG_REF_DIR },
};

/* A file or directory (char *): read, unless path_uses says otherwise. */
static int
parse_path_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	enum config_ref_use use = CONFIG_REF_READ;
	size_t i;

	for (i = 0; i < ARRAY_LEN(path_uses); i++)
		if (strcmp(path, path_uses[i].key) == 0)
			use = path_uses[i].use;
	return path_value(ld, path, value, use, FIELD(char *, target, h));
}

/* daemon.user: a name, not a path. */
static int
parse_user(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	char **field = FIELD(char *, target, h);
	const char *s;

	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	free(*field);
	*field = xstrdup(s);
	add_ref(ld, path, value, s, CONFIG_REF_USER);
	return 0;
}

void
config_evidence_dir(const struct config *c, char *out, size_t outlen)
{
	if (c->evidence_dir != NULL)
		str_copy(out, c->evidence_dir, outlen);
	else
		snprintf(out, outlen, "%s/evidence", c->state_dir != NULL ?
		    c->state_dir : CONFIG_DEFAULT_STATE_DIR);
}

const struct config_ref *
config_ref_find(const struct config *c, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < c->n_refs; i++)
		if ((key == NULL || strcmp(c->refs[i].key, key) == 0) &&
		    (value == NULL || strcmp(c->refs[i].value, value) == 0))
			return &c->refs[i];
	return NULL;
}

void
config_ref_where(const struct config *c, const struct config_ref *r,
    char *out, size_t outlen)
{
	snprintf(out, outlen, "%s:%zu:%zu: %s", c->path, r->line, r->col, r->key);
}

bool
config_blame(const struct config *c, char *err, size_t errlen)
{
	const struct config_ref *best = NULL;
	char where[CONFIG_ERR_LEN], *msg;
	size_t i, n, best_n = 0;

	for (i = 0; i < c->n_refs; i++) {
		n = strlen(c->refs[i].value);
		if (c->refs[i].use != CONFIG_REF_USER && n > best_n &&
		    strncmp(err, c->refs[i].value, n) == 0 && err[n] == ':') {
			best = &c->refs[i];
			best_n = n;
		}
	}
	if (best == NULL)
		return false;
	config_ref_where(c, best, where, sizeof(where));
	msg = xstrdup(err);
	snprintf(err, errlen, "%s: %s", where, msg);
	free(msg);
	return true;
}

/* ---- Specific handlers -------------------------------------------- */

static int
parse_sensor(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct config *c = target;
	const char *s;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	if (strlen(s) >= sizeof(c->sensor))
		return fail_at(ld, value, path, "longer than %zu characters",
		    sizeof(c->sensor) - 1);
	str_copy(c->sensor, s, sizeof(c->sensor));
	return 0;
}

static int
add_cidr(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct netprefix p;

	if (netprefix_parse(text, &p) != 0)
		return fail_invalid(ld, item, path, "CIDR", text, "");
	netset_add(target, &p);
	return 0;
}

/* A list of CIDRs replacing the netset at field (and its defaults). */
static int
parse_cidr_list(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct netset *set = FIELD(struct netset, target, h);

	release_netset(set);
	return for_each_item(ld, path, value, add_cidr, set);
}

static int
parse_port(const char *s, uint16_t *out)
{
	unsigned long v;

	if (!all_digits(s) || strlen(s) > 5)
		return -1;
	v = strtoul(s, NULL, 10);
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

enum proxy_err { PROXY_OK, PROXY_BAD_ADDRESS, PROXY_BAD_PORT };

/*
 * "10.0.0.1", "10.0.0.1:3128", "2001:db8::1", "[2001:db8::1]:3128". A bare
 * IPv6 address has no port: with a port it must be in brackets.
 */
static enum proxy_err
proxy_parse(const char *s, struct proxy_addr *out)
{
	const char *colon = strchr(s, ':'), *port = NULL;
	const char *host = s;
	size_t hostlen = strlen(s);

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return PROXY_BAD_ADDRESS;
		host = s + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			port = close + 2;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		hostlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (netaddr_parse_n(host, hostlen, &out->addr) != 0)
		return PROXY_BAD_ADDRESS;
	if (s[0] == '[' && out->addr.family != 6)
		return PROXY_BAD_ADDRESS;
	out->port = 0;
	if (port != NULL && parse_port(port, &out->port) != 0)
		return PROXY_BAD_PORT;
	return PROXY_OK;
}

static int
add_proxy(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	struct proxy_addr p;

	switch (proxy_parse(text, &p)) {
	case PROXY_BAD_ADDRESS:
		return fail_invalid(ld, item, path, "proxy", text,
		    " (expected address, address:port or [IPv6]:port)");
	case PROXY_BAD_PORT:
		return fail_invalid(ld, item, path, "proxy", text,
		    " (port must be 1..65535)");
	case PROXY_OK:
		break;
	}
	c->proxies = xreallocarray(c->proxies, c->n_proxies + 1, sizeof(*c->proxies));
	c->proxies[c->n_proxies++] = p;
	return 0;
}

static int
parse_proxies(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_item(ld, path, value, add_proxy, target);
}

static int
add_country(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	country_t cc = country_parse(text);

	if (cc == COUNTRY_UNKNOWN)
		return fail_invalid(ld, item, path, "country code", text,
		    " (expected 2 letters)");
	c->geo_home = xreallocarray(c->geo_home, c->n_geo_home + 1, sizeof(*c->geo_home));
	c->geo_home[c->n_geo_home++] = cc;
	return 0;
}

static int
parse_geo_home(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_item(ld, path, value, add_country, target);
}

static void
append_string(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

static int
add_database(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	char *resolved;

	if (text[0] == '\0')
		return fail_at(ld, item, path, "must not be empty");
	if (has_control(text))
		return fail_at(ld, item, path, "contains control characters");
	resolved = resolve_path(ld, text);
	append_string(&c->geo_databases, &c->n_geo_databases, resolved);
	add_ref(ld, path, item, resolved, CONFIG_REF_READ);
	free(resolved);
	return 0;
}

static int
parse_geo_databases(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_item(ld, path, value, add_database, target);
}

/* "AS" (any case) and digits: an autonomous system number, 1..2^32-1
 * (RFC 6793; AS 0 is reserved, RFC 7607). 1: it is one, 0: not that
 * shape, -1: that shape but no valid number. */
static int
parse_as_entry(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (ascii_lower(s[0]) != 'a' || ascii_lower(s[1]) != 's' || s[2] == '\0')
		return 0;
	for (i = 2; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (i >= 12) /* more than 10 digits */
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 1;
}

static int
add_allow_entry(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	char domain[DOMAIN_MAX + 1];
	struct netprefix p;
	uint32_t asn;
	int as;

	if ((as = parse_as_entry(text, &asn)) != 0) {
		if (as < 0)
			return fail_invalid(ld, item, path, "AS number", text,
			    " (expected AS1 to AS4294967295)");
		c->baseline_allow_asns = xreallocarray(c->baseline_allow_asns,
		    c->n_baseline_allow_asns + 1, sizeof(*c->baseline_allow_asns));
		c->baseline_allow_asns[c->n_baseline_allow_asns++] = asn;
		return 0;
	}
	if (netprefix_parse(text, &p) == 0) {
		netset_add(&c->baseline_allow_nets, &p);
		return 0;
	}
	if (domain_normalise(text, strlen(text), domain, sizeof(domain)) != 0)
		return fail_invalid(ld, item, path, "CIDR or domain", text, "");
	append_string(&c->baseline_allow_domains, &c->n_baseline_allow_domains, domain);
	return 0;
}

static int
parse_baseline_allow(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_item(ld, path, value, add_allow_entry, target);
}

/* baseline.familiar_by's words, in BASELINE_BY_* bit order. */
static const char *const familiar_by_names[] = {
	"address", "name", "registered_domain", "asn",
};

static int
add_familiar_by(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	size_t i;

	for (i = 0; i < ARRAY_LEN(familiar_by_names); i++)
		if (strcmp(text, familiar_by_names[i]) == 0) {
			c->baseline_familiar_by |= 1u << i;
			return 0;
		}
	return fail_invalid(ld, item, path, "familiarity", text,
	    " (expected address, name, registered_domain or asn)");
}

static int
parse_familiar_by(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;

	(void)h;
	c->baseline_familiar_by = 0;
	if (for_each_item(ld, path, value, add_familiar_by, target) != 0)
		return -1;
	if (c->baseline_familiar_by == 0)
		return fail_at(ld, value, path, "must not be empty "
		    "(nothing would ever be familiar but baseline.allow)");
	return 0;
}

/* A whole number within [lo, hi] (the low bound of a count is 1). */
static int
parse_bounded(struct loader *ld, const char *path, yaml_node_t *value,
    uint64_t *out, uint64_t hi)
{
	if (parse_count_field(ld, &(struct key_handler){ .field = 0 }, path,
	    value, out) != 0)
		return -1;
	if (*out > hi)
		return fail_at(ld, value, path, "must be between 1 and %" PRIu64,
		    hi);
	return 0;
}

static int
parse_min_hosts(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return parse_bounded(ld, path, value,
	    &((struct config *)target)->baseline_min_hosts, 8);
}

static int
parse_min_days(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return parse_bounded(ld, path, value,
	    &((struct config *)target)->baseline_min_days, 32);
}

/* ---- The daemon's sections (issue 3) ------------------------------------ */

static int
parse_log_level(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct config *c = target;
	const char *s;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (log_level_parse(s, &c->log_level) != 0)
		return fail_invalid(ld, value, path, "level", s,
		    " (expected error, warning, info or debug)");
	return 0;
}

/* Letters, digits and ".-_:@" up to IFNAMSIZ - 1: what Linux accepts. */
static bool
ifname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > CONFIG_IFNAME_MAX || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_:@") == len;
}

static int
add_interface(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	struct config *c = target;
	size_t i;

	if (!ifname_valid(text))
		return fail_invalid(ld, item, path, "interface name", text,
		    " (1 to 15 letters, digits or .-_:@)");
	for (i = 0; i < c->n_capture_interfaces; i++)
		if (strcmp(c->capture_interfaces[i], text) == 0)
			return fail_at(ld, item, path, "interface \"%s\" listed twice",
			    text);
	append_string(&c->capture_interfaces, &c->n_capture_interfaces, text);
	return 0;
}

static int
parse_interfaces(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;

	(void)h;
	free_strings(c->capture_interfaces, c->n_capture_interfaces);
	c->capture_interfaces = NULL;
	c->n_capture_interfaces = 0;
	return for_each_item(ld, path, value, add_interface, target);
}

/* A capture filter: checked for control characters here, compiled by
 * libpcap when the capture opens (and by -t). Empty means everything. */
static int
parse_bpf(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct config *c = target;
	const char *s;

	(void)h;
	if (is_null(value)) {
		free(c->capture_bpf);
		c->capture_bpf = NULL;
		return 0;
	}
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (has_control(s))
		return fail_at(ld, value, path, "contains control characters");
	free(c->capture_bpf);
	c->capture_bpf = s[0] != '\0' ? xstrdup(s) : NULL;
	return 0;
}

#define SNAPLEN_MIN 96     /* Ethernet + IPv6 + TCP with options */
#define SNAPLEN_MAX 262144 /* libpcap's MAXIMUM_SNAPLEN */

static int
parse_snaplen(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct config *c = target;
	unsigned long v;
	const char *s;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (!all_digits(s) || strlen(s) > 7)
		return fail_invalid(ld, value, path, "number", s, "");
	v = strtoul(s, NULL, 10);
	if (v < SNAPLEN_MIN || v > SNAPLEN_MAX)
		return fail_at(ld, value, path, "must be between %d and %d",
		    SNAPLEN_MIN, SNAPLEN_MAX);
	c->capture_snaplen = (uint32_t)v;
	return 0;
}

#define CAPTURE_BUFFER_MAX (4ULL * 1024 * 1024 * 1024)

static int
parse_capture_buffer(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;

	if (parse_size_field(ld, h, path, value, target) != 0)
		return -1;
	if (c->capture_buffer < 1024 * 1024 || c->capture_buffer > CAPTURE_BUFFER_MAX)
		return fail_at(ld, value, path, "must be between 1MiB and 4GiB");
	return 0;
}

/* "127.0.0.1:9477" or "[::1]:9477": the stats endpoint has no
 * authentication, so only a loopback address is accepted. */
static int
parse_stats_listen(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;
	struct proxy_addr a;
	const char *s;

	(void)h;
	if (is_null(value) || (value->type == YAML_SCALAR_NODE &&
	    value->data.scalar.length == 0)) {
		free(c->stats_listen);
		c->stats_listen = NULL;
		return 0;
	}
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (proxy_parse(s, &a) != PROXY_OK || a.port == 0)
		return fail_invalid(ld, value, path, "listen address", s,
		    " (expected 127.0.0.1:PORT or [::1]:PORT)");
	if (!netaddr_is_loopback(&a.addr))
		return fail_invalid(ld, value, path, "listen address", s,
		    " (only loopback: the endpoint has no authentication)");
	free(c->stats_listen);
	c->stats_listen = xstrdup(s);
	return 0;
}

/* ---- outputs: a list of single-key mappings ---------------------------- */

static int
format_parse(const char *s, enum output_format *out)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(format_names); i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum output_format)i;
			return 0;
		}
	}
	return -1;
}

static int
parse_output_format(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct output_conf *o = target;
	const char *s;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (format_parse(s, &o->format) != 0)
		return fail_invalid(ld, value, path, "format", s,
		    " (expected json, ecs, cef or leef)");
	return 0;
}

/* A syslog format: the body (json, ecs, cef, leef), optionally behind the
 * header it goes in: "rfc5424-json", "rfc3164-cef"; "rfc5424" and
 * "rfc3164" alone carry JSON. */
static int
parse_syslog_format(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	static const struct { const char *prefix; enum syslog_header header; } hdrs[] = {
		{ "rfc5424", SYSLOG_RFC5424 }, { "rfc3164", SYSLOG_RFC3164 },
	};
	struct output_conf *o = target;
	const char *s, *body;
	size_t i, n;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	body = s;
	for (i = 0; i < ARRAY_LEN(hdrs); i++) {
		n = strlen(hdrs[i].prefix);
		if (strncmp(s, hdrs[i].prefix, n) == 0 && (s[n] == '\0' || s[n] == '-')) {
			o->header = hdrs[i].header;
			body = s[n] == '\0' ? "json" : s + n + 1;
			break;
		}
	}
	if (format_parse(body, &o->format) != 0)
		return fail_invalid(ld, value, path, "format", s,
		    " (expected json, ecs, cef or leef, optionally after rfc5424- "
		    "or rfc3164-)");
	return 0;
}

static int
parse_fsync_interval(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct output_conf *o = target;
	uint64_t secs;

	(void)h;
	if (duration_value(ld, path, value, true, &secs) != 0)
		return -1;
	if (secs > 3600)
		return fail_at(ld, value, path, "must be at most 1h");
	o->spool_fsync_ms = secs * 1000;
	return 0;
}

/* A size that may be 0 (spool: 0 turns the spool off). */
static int
parse_size0_field(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const char *s;
	uint64_t v;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (parse_size(s, &v) != 0)
		return fail_invalid(ld, value, path, "size", s, "");
	*FIELD(uint64_t, target, h) = v;
	return 0;
}

static int
parse_max_message(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct output_conf *o = target;

	if (parse_size_field(ld, h, path, value, target) != 0)
		return -1;
	if (o->max_message < SYSLOG_MIN_MESSAGE || o->max_message > 65000)
		return fail_at(ld, value, path, "must be between %d and 65000 bytes",
		    SYSLOG_MIN_MESSAGE);
	return 0;
}

/* "host", "host:port", "[v6]" or "[v6]:port" (the shared parser, port
 * 1..65535); a host that is not an address literal must be a domain name,
 * normalised in place. flags: NETADDR_HP_* beyond NETADDR_HP_NAME. */
static int
host_port_parse(const char *hp, unsigned flags, struct netaddr_hostport *out)
{
	if (netaddr_hostport_parse(hp, strlen(hp), flags | NETADDR_HP_NAME,
	    out) != NETADDR_HP_OK)
		return -1;
	if (out->addr.family == 0 &&
	    domain_normalise(out->host, strlen(out->host), out->host,
	    sizeof(out->host)) != 0)
		return -1;
	return 0;
}

/* The host part of a syslog target; the port defaults to 514. */
static int
target_host_port(const char *hp, struct output_conf *o)
{
	struct netaddr_hostport h;

	if (host_port_parse(hp, 0, &h) != 0)
		return -1;
	o->port = h.port != 0 ? h.port : 514;
	o->host = xstrdup(h.host);
	return 0;
}

/* "udp://host[:port]", "tcp://host[:port]" (514 by default),
 * "unix:///dev/log"; host a name, an IPv4 address or [IPv6]. */
static int
parse_target(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct output_conf *o = target;
	const char *s;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	free(o->target);
	free(o->host);
	free(o->socket_path);
	o->target = xstrdup(s);
	o->host = o->socket_path = NULL;
	if (strncmp(s, "unix://", 7) == 0) {
		if (s[7] != '/' || strlen(s + 7) >= 108)
			return fail_invalid(ld, value, path, "target", s,
			    " (unix:// needs an absolute socket path under 108 bytes)");
		o->transport = SYSLOG_UNIX;
		o->socket_path = xstrdup(s + 7);
		return 0;
	}
	if (strncmp(s, "udp://", 6) == 0)
		o->transport = SYSLOG_UDP;
	else if (strncmp(s, "tcp://", 6) == 0)
		o->transport = SYSLOG_TCP;
	else
		return fail_invalid(ld, value, path, "target", s,
		    " (expected udp://HOST[:PORT], tcp://HOST[:PORT] or unix:///PATH)");
	if (target_host_port(s + 6, o) != 0)
		return fail_invalid(ld, value, path, "target", s,
		    " (bad host or port)");
	return 0;
}

static int
parse_output_name(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct output_conf *o = target;
	const char *s;
	size_t len;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	len = strlen(s);
	if (len > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") != len)
		return fail_invalid(ld, value, path, "name", s,
		    " (1 to 32 of a-z, 0-9, - and _)");
	free(o->name);
	o->name = xstrdup(s);
	return 0;
}

static const struct key_handler output_file_keys[] = {
	{ "path", parse_path_field, offsetof(struct output_conf, path), NULL, NULL },
	{ "format", parse_output_format, 0, NULL, NULL },
};
static const struct key_table output_file_table = KEY_TABLE(output_file_keys);

static const struct key_handler output_stdout_keys[] = {
	{ "format", parse_output_format, 0, NULL, NULL },
};
static const struct key_table output_stdout_table = KEY_TABLE(output_stdout_keys);

static const char *const framing_words[] = { "octet-counting", "lf" };
static const char *const fsync_words[] = { "always", "interval", "never" };
static const struct keywords facility_kw = KEYWORDS("facility", facility_names,
    " (expected a name such as daemon, auth or local0..local7)");
static const struct keywords framing_kw = KEYWORDS("framing", framing_words, NULL);
static const struct keywords fsync_kw = KEYWORDS("fsync policy", fsync_words, NULL);

static const struct key_handler output_syslog_keys[] = {
	{ "target", parse_target, 0, NULL, NULL },
	{ "format", parse_syslog_format, 0, NULL, NULL },
	{ "facility", parse_keyword_field, offsetof(struct output_conf, facility), NULL,
	    &facility_kw },
	{ "framing", parse_keyword_field, offsetof(struct output_conf, framing), NULL,
	    &framing_kw },
	{ "max_message", parse_max_message, offsetof(struct output_conf, max_message), NULL, NULL },
	{ "enterprise_number", parse_count_field,
	    offsetof(struct output_conf, enterprise_number), NULL, NULL },
	{ "queue", parse_size_field, offsetof(struct output_conf, queue_bytes), NULL, NULL },
	{ "spool", parse_size0_field, offsetof(struct output_conf, spool_bytes), NULL, NULL },
	{ "fsync", parse_keyword_field, offsetof(struct output_conf, spool_fsync), NULL,
	    &fsync_kw },
	{ "fsync_interval", parse_fsync_interval, 0, NULL, NULL },
	{ "name", parse_output_name, 0, NULL, NULL },
};
static const struct key_table output_syslog_table = KEY_TABLE(output_syslog_keys);

static const struct {
	const char *name;
	enum output_kind kind;
	const struct key_table *keys;
} output_kinds[] = {
	{ "file", OUTPUT_FILE, &output_file_table },
	{ "stdout", OUTPUT_STDOUT, &output_stdout_table },
	{ "syslog", OUTPUT_SYSLOG, &output_syslog_table },
};

/* The name a syslog output goes by when none is given: its target with
 * every other character made '-' ("tcp---siem.corp-6514" becomes
 * "tcp-siem-corp-6514"): stable across restarts, for its spool. */
static char *
default_output_name(const char *target)
{
	char buf[33];
	size_t i, o = 0;

	for (i = 0; target[i] != '\0' && o < sizeof(buf) - 1; i++) {
		char ch = ascii_lower(target[i]);
		bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (keep)
			buf[o++] = ch;
		else if (o > 0 && buf[o - 1] != '-')
			buf[o++] = '-';
	}
	while (o > 0 && buf[o - 1] == '-')
		o--;
	buf[o] = '\0';
	return xstrdup(o > 0 ? buf : "syslog");
}

static void
output_defaults(struct output_conf *o)
{
	memset(o, 0, sizeof(*o));
	o->format = OUTPUT_FORMAT_JSON;
	o->facility = 20; /* local4 */
	o->framing = SYSLOG_FRAMING_OCTET;
	o->header = SYSLOG_RFC5424;
	o->max_message = SYSLOG_DEFAULT_MAX_MESSAGE;
	o->enterprise_number = SYSLOG_DEFAULT_PEN;
	o->queue_bytes = 4 * 1024 * 1024;
	o->spool_bytes = 256 * 1024 * 1024;
	o->spool_fsync = SPOOL_FSYNC_INTERVAL;
	o->spool_fsync_ms = 1000;
}

/* Checks across keys of one output, and across outputs. */
static int
output_finish(struct loader *ld, const yaml_node_t *node, const char *path,
    struct output_conf *o, const struct config *c)
{
	size_t i;

	if (o->kind == OUTPUT_FILE && o->path == NULL)
		return fail_at(ld, node, path, "missing key \"path\"");
	if (o->kind != OUTPUT_SYSLOG)
		return 0;
	if (o->target == NULL)
		return fail_at(ld, node, path, "missing key \"target\"");
	if (o->name == NULL)
		o->name = default_output_name(o->target);
	for (i = 0; i < c->n_outputs; i++)
		if (c->outputs[i].name != NULL && strcmp(c->outputs[i].name, o->name) == 0)
			return fail_at(ld, node, path, "two syslog outputs named \"%s\" "
			    "(give each a name:)", o->name);
	return 0;
}

static int
parse_output_item(struct loader *ld, const char *path, yaml_node_t *item,
    struct config *c)
{
	const yaml_node_pair_t *pair = item->data.mapping.pairs.start;
	struct output_conf o;
	yaml_node_t *key, *value;
	char child[KEYPATH_LEN], q[QUOTE_LEN];
	size_t i;

	output_defaults(&o);
	if (item->data.mapping.pairs.top - pair != 1)
		return fail_at(ld, item, path,
		    "each output is a mapping with one key (file, stdout or syslog)");
	key = get_node(ld, pair->key);
	value = get_node(ld, pair->value);
	if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE)
		return fail_at(ld, item, path, "malformed output");
	for (i = 0; i < ARRAY_LEN(output_kinds); i++)
		if (key_is(key, output_kinds[i].name))
			break;
	if (i == ARRAY_LEN(output_kinds))
		return fail_at(ld, key, path,
		    "unknown output \"%s\" (expected file, stdout or syslog)",
		    quote(node_text(key), key->data.scalar.length, q));
	o.kind = output_kinds[i].kind;
	keypath_join(child, sizeof(child), path, output_kinds[i].name);
	if (parse_mapping(ld, child, value, output_kinds[i].keys, &o) != 0 ||
	    output_finish(ld, value, child, &o, c) != 0) {
		output_conf_release(&o);
		return -1;
	}
	c->outputs = xreallocarray(c->outputs, c->n_outputs + 1, sizeof(*c->outputs));
	c->outputs[c->n_outputs++] = o;
	return 0;
}

typedef int mapping_fn(struct loader *ld, const char *path, yaml_node_t *item,
    struct config *c);

/* A list of mappings (outputs, logs), each handed to fn. */
static int
for_each_mapping(struct loader *ld, const char *path, yaml_node_t *value,
    mapping_fn *fn, struct config *c)
{
	const yaml_node_item_t *it;

	if (is_null(value))
		return 0;
	if (value->type != YAML_SEQUENCE_NODE)
		return fail_at(ld, value, path, "expected a list");
	for (it = value->data.sequence.items.start;
	    it < value->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);

		if (item == NULL)
			return fail_at(ld, value, path, "malformed list");
		if (item->type != YAML_MAPPING_NODE)
			return fail_at(ld, item, path, "expected a mapping, not %s",
			    node_kind(item));
		if (fn(ld, path, item, c) != 0)
			return -1;
	}
	return 0;
}

static int
parse_outputs(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_mapping(ld, path, value, parse_output_item, target);
}

/* ---- logs: proxy and sensor logs as sources ----------------------------- */

/* "squid", "squid:<logformat>" or "zeek"; the Squid format string itself is
 * compiled (and checked) when the source starts, and by exfild -t. */
bool
config_log_format_valid(const char *s)
{
	return strcmp(s, "squid") == 0 || strcmp(s, "zeek") == 0 ||
	    (strncmp(s, "squid:", 6) == 0 && s[6] != '\0');
}

static int
parse_log_format(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct log_source_conf *l = target;
	const char *s;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	if (!config_log_format_valid(s))
		return fail_invalid(ld, value, path, "log format", s,
		    " (expected squid, squid:<logformat> or zeek)");
	free(l->format);
	l->format = xstrdup(s);
	return 0;
}

/* A listener binds an address literal and a port: names are not resolved. */
static int
parse_log_listen(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct log_source_conf *l = target;
	struct netaddr_hostport hp;
	const char *s;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	if ((strncmp(s, "udp://", 6) != 0 && strncmp(s, "tcp://", 6) != 0) ||
	    host_port_parse(s + 6, NETADDR_HP_PORT, &hp) != 0 ||
	    hp.addr.family == 0)
		return fail_invalid(ld, value, path, "listen address", s,
		    " (expected udp://ADDR:PORT or tcp://ADDR:PORT)");
	free(l->listen);
	l->listen = xstrdup(s);
	l->kind = LOG_SOURCE_LISTEN;
	return 0;
}

static int
parse_log_follow(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct log_source_conf *l = target;

	(void)h;
	if (path_value(ld, path, value, CONFIG_REF_READ, &l->path) != 0)
		return -1;
	l->kind = LOG_SOURCE_FOLLOW;
	return 0;
}

static const struct key_handler log_source_keys[] = {
	{ "follow", parse_log_follow, 0, NULL, NULL },
	{ "listen", parse_log_listen, 0, NULL, NULL },
	{ "format", parse_log_format, 0, NULL, NULL },
};
static const struct key_table log_source_table = KEY_TABLE(log_source_keys);

static int
parse_log_item(struct loader *ld, const char *path, yaml_node_t *item,
    struct config *c)
{
	struct log_source_conf l;

	memset(&l, 0, sizeof(l));
	if (parse_mapping(ld, path, item, &log_source_table, &l) != 0)
		goto fail;
	if ((l.path == NULL) == (l.listen == NULL)) {
		fail_at(ld, item, path, "each log source has one of follow or listen");
		goto fail;
	}
	if (l.format == NULL) {
		fail_at(ld, item, path, "missing key \"format\"");
		goto fail;
	}
	c->logs = xreallocarray(c->logs, c->n_logs + 1, sizeof(*c->logs));
	c->logs[c->n_logs++] = l;
	return 0;
fail:
	free(l.path);
	free(l.listen);
	free(l.format);
	return -1;
}

static int
parse_logs(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_mapping(ld, path, value, parse_log_item, target);
}

/* A compression factor: a ratio of at least 1. */
static int
parse_compression(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	if (parse_ratio_field(ld, h, path, value, target) != 0)
		return -1;
	if (*FIELD(double, target, h) < 1)
		return fail_at(ld, value, path, "must be at least 1");
	return 0;
}

/* ---- networks.crown_jewels ---------------------------------------------- */

/* "address", "address:port" or "[IPv6]:port", as proxies are written. */
static int
parse_jewel_address(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct crown_jewel *j = target;
	struct proxy_addr p;
	const char *s;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (proxy_parse(s, &p) != PROXY_OK)
		return fail_invalid(ld, value, path, "address", s,
		    " (expected address, address:port or [IPv6]:port)");
	j->addr = p.addr;
	j->port = p.port;
	return 0;
}

static int
parse_jewel_name(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct crown_jewel *j = target;
	const char *s;

	(void)h;
	if (plain_string(ld, path, value, &s) != 0)
		return -1;
	if (strlen(s) >= sizeof(j->name))
		return fail_at(ld, value, path, "longer than %zu bytes",
		    sizeof(j->name) - 1);
	str_copy(j->name, s, sizeof(j->name));
	return 0;
}

static const struct key_handler jewel_keys[] = {
	{ "address", parse_jewel_address, 0, NULL, NULL },
	{ "name", parse_jewel_name, 0, NULL, NULL },
	{ "bytes_per_record", parse_size_field,
	    offsetof(struct crown_jewel, bytes_per_record), NULL, NULL },
	{ "compression", parse_compression,
	    offsetof(struct crown_jewel, compression), NULL, NULL },
};
static const struct key_table jewel_table = KEY_TABLE(jewel_keys);

/* Each item: "address:port", or a mapping with address (required), name,
 * bytes_per_record and compression. */
static int
parse_crown_jewels(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;
	const yaml_node_item_t *it;
	struct crown_jewel j;

	(void)h;
	if (value->type != YAML_SEQUENCE_NODE)
		return fail_at(ld, value, path, "expected a list");
	for (it = value->data.sequence.items.start;
	    it < value->data.sequence.items.top; it++) {
		yaml_node_t *item = get_node(ld, *it);

		if (item == NULL)
			return fail_at(ld, value, path, "malformed list");
		if (c->n_crown_jewels == CROWN_JEWELS_MAX)
			return fail_at(ld, item, path, "more than %d crown jewels",
			    CROWN_JEWELS_MAX);
		memset(&j, 0, sizeof(j));
		if (item->type == YAML_MAPPING_NODE) {
			if (parse_mapping(ld, path, item, &jewel_table, &j) != 0)
				return -1;
			if (!netaddr_is_set(&j.addr))
				return fail_at(ld, item, path, "a crown jewel needs an address");
		} else if (parse_jewel_address(ld, NULL, path, item, &j) != 0) {
			return -1;
		}
		c->crown_jewels = xreallocarray(c->crown_jewels,
		    c->n_crown_jewels + 1, sizeof(*c->crown_jewels));
		c->crown_jewels[c->n_crown_jewels++] = j;
	}
	return 0;
}

/* ---- indicators: lists for rule indicator-match ------------------------ */

static const struct keywords ioc_format_words =
    KEYWORDS("format", ioc_format_names, NULL);

static const struct key_handler indicator_keys[] = {
	{ "file", parse_path_field, offsetof(struct indicator_conf, file), NULL, NULL },
	{ "format", parse_keyword_field, offsetof(struct indicator_conf, format),
	    NULL, &ioc_format_words },
	{ "severity", parse_keyword_field, offsetof(struct indicator_conf, severity),
	    NULL, &severity_words },
};
static const struct key_table indicator_table = KEY_TABLE(indicator_keys);

/* Each item: file (required), format (plain) and severity (the rule's). */
static int
parse_indicator_item(struct loader *ld, const char *path, yaml_node_t *item,
    struct config *c)
{
	struct indicator_conf l = { NULL, IOC_FORMAT_PLAIN, -1 };

	if (c->n_indicators == INDICATOR_LISTS_MAX)
		return fail_at(ld, item, path, "more than %d indicator lists",
		    INDICATOR_LISTS_MAX);
	if (parse_mapping(ld, path, item, &indicator_table, &l) != 0) {
		free(l.file);
		return -1;
	}
	if (l.file == NULL)
		return fail_at(ld, item, path, "missing key \"file\"");
	c->indicators = xreallocarray(c->indicators, c->n_indicators + 1,
	    sizeof(*c->indicators));
	c->indicators[c->n_indicators++] = l;
	return 0;
}

static int
parse_indicators(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return for_each_mapping(ld, path, value, parse_indicator_item, target);
}

/* ---- The tables ------------------------------------------------------ */

static const struct key_handler networks_keys[] = {
	{ "internal", parse_cidr_list, offsetof(struct config, internal), NULL, NULL },
	{ "proxies", parse_proxies, 0, NULL, NULL },
	{ "resolvers", parse_cidr_list, offsetof(struct config, resolvers), NULL, NULL },
	{ "servers", parse_cidr_list, offsetof(struct config, servers), NULL, NULL },
	{ "crown_jewels", parse_crown_jewels, 0, NULL, NULL },
};
static const struct key_table networks_table = KEY_TABLE(networks_keys);

static const struct key_handler geo_keys[] = {
	{ "home", parse_geo_home, 0, NULL, NULL },
	{ "databases", parse_geo_databases, 0, NULL, NULL },
	{ "hosts", parse_path_field, offsetof(struct config, geo_hosts), NULL, NULL },
	{ "asn", parse_path_field, offsetof(struct config, geo_asn), NULL, NULL },
};
static const struct key_table geo_table = KEY_TABLE(geo_keys);

static const struct key_handler baseline_keys[] = {
	{ "state", parse_path_field, offsetof(struct config, baseline_state), NULL, NULL },
	{ "learn", parse_duration_field, offsetof(struct config, baseline_learn_s), NULL, NULL },
	{ "allow", parse_baseline_allow, 0, NULL, NULL },
	{ "familiar_by", parse_familiar_by, 0, NULL, NULL },
	{ "min_hosts", parse_min_hosts, 0, NULL, NULL },
	{ "min_days", parse_min_days, 0, NULL, NULL },
	{ "public_suffix_list", parse_path_field,
	    offsetof(struct config, baseline_psl), NULL, NULL },
};
static const struct key_table baseline_table = KEY_TABLE(baseline_keys);

/*
 * rules: the engine's keys, then one section per rule of the registry, each
 * described by the rule's own parameter table (src/detect/rule_*.c). The
 * key tables are built once from the registry.
 */
static const struct key_handler rules_engine_keys[] = {
	{ "window", parse_period_field, offsetof(struct config, rules_window_s), NULL, NULL },
	{ "suppress", parse_period_field, offsetof(struct config, rules_suppress_s), NULL, NULL },
	{ "eval_interval", parse_period_field,
	    offsetof(struct config, rules_eval_interval_s), NULL, NULL },
};

static struct key_handler rule_keys[RULES_MAX][RULE_PARAMS_MAX + 2];
static struct key_table rule_tables[RULES_MAX];
static struct key_handler rules_keys[ARRAY_LEN(rules_engine_keys) + RULES_MAX];
static struct key_table rules_table;

/* The rule parameter a handler of rule_keys stands for (the tables are
 * laid out as build_rule_table writes them: enabled, severity, params). */
static const struct rule_param *
param_of(const struct key_handler *h)
{
	const struct rule_def *const *defs;
	size_t n, at = (size_t)(h - &rule_keys[0][0]);
	size_t i = at / (RULE_PARAMS_MAX + 2), j = at % (RULE_PARAMS_MAX + 2);

	defs = rules_registry(&n);
	if (i >= n || j < 2 || j - 2 >= defs[i]->settings.n_params)
		fatalx("config: no rule parameter for key %s", h->key);
	return &defs[i]->settings.params[j - 2];
}

/* One scalar (of a TEXT, a LIST item or a MAP entry) to the rule. */
static int
rule_scalar(struct loader *ld, const char *path, const yaml_node_t *node,
    const struct rule_param *rp, void *conf, const char *key, const char *text)
{
	char why[160], q[QUOTE_LEN];

	why[0] = '\0';
	if (rp->parse(conf, key, text, why, sizeof(why)) == 0)
		return 0;
	return fail_at(ld, node, path, "invalid value \"%s\"%s%s",
	    quote(text, strlen(text), q), why[0] != '\0' ? ": " : "", why);
}

static int
parse_rule_text(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const struct rule_param *rp = param_of(h);
	const char *s;
	char why[8];

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	(void)rp->parse(target, NULL, NULL, why, sizeof(why));
	return rule_scalar(ld, path, value, rp, target, NULL, s);
}

static int
parse_rule_list(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const struct rule_param *rp = param_of(h);
	const yaml_node_item_t *it;
	const char *text;
	char why[8];

	if (value->type != YAML_SEQUENCE_NODE)
		return fail_at(ld, value, path, "expected a list");
	(void)rp->parse(target, NULL, NULL, why, sizeof(why));
	for (it = value->data.sequence.items.start;
	    it < value->data.sequence.items.top; it++) {
		const yaml_node_t *item = get_node(ld, *it);

		if (item == NULL)
			return fail_at(ld, value, path, "malformed list");
		if (scalar_text(ld, path, item, &text) != 0 ||
		    rule_scalar(ld, path, item, rp, target, NULL, text) != 0)
			return -1;
	}
	return 0;
}

static int
parse_rule_map(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const struct rule_param *rp = param_of(h);
	const yaml_node_pair_t *pair;
	const char *k, *v;
	char why[8];

	if (value->type != YAML_MAPPING_NODE)
		return fail_at(ld, value, path, "expected a mapping");
	(void)rp->parse(target, NULL, NULL, why, sizeof(why));
	for (pair = value->data.mapping.pairs.start;
	    pair < value->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = get_node(ld, pair->key);
		yaml_node_t *val = get_node(ld, pair->value);

		if (key == NULL || val == NULL)
			return fail_at(ld, value, path, "malformed mapping");
		if (scalar_text(ld, path, key, &k) != 0 ||
		    scalar_text(ld, path, val, &v) != 0 ||
		    rule_scalar(ld, path, val, rp, target, k, v) != 0)
			return -1;
	}
	return 0;
}

static key_fn *const param_parsers[] = {
	[RULE_PARAM_TEXT] = parse_rule_text,
	[RULE_PARAM_LIST] = parse_rule_list,
	[RULE_PARAM_MAP] = parse_rule_map,
	[RULE_PARAM_BOOL] = parse_bool_field,
	[RULE_PARAM_SIZE] = parse_size_field,
	[RULE_PARAM_PERIOD] = parse_period_field,
	[RULE_PARAM_DURATION] = parse_duration_field,
	[RULE_PARAM_RATIO] = parse_ratio_field,
	[RULE_PARAM_COUNT] = parse_count_field,
};

/* A rule's keys: enabled and severity (the engine's), then its own. */
static void
build_rule_table(size_t i, const struct rule_section *sec)
{
	struct key_handler *k = rule_keys[i];
	size_t j, n = 0;

	k[n++] = (struct key_handler){ "enabled", parse_bool_field,
	    offsetof(struct rule_base, enabled), NULL, NULL };
	k[n++] = (struct key_handler){ "severity", parse_keyword_field,
	    offsetof(struct rule_base, severity), NULL, &severity_words };
	for (j = 0; j < sec->n_params; j++)
		k[n++] = (struct key_handler){ sec->params[j].key,
		    param_parsers[sec->params[j].type], sec->params[j].offset,
		    NULL, NULL };
	rule_tables[i] = (struct key_table){ k, n };
}

static void
build_rules_table(void)
{
	const struct rule_def *const *defs;
	size_t i, n, nk = 0;

	if (rules_table.keys != NULL)
		return;
	defs = rules_registry(&n);
	for (i = 0; i < ARRAY_LEN(rules_engine_keys); i++)
		rules_keys[nk++] = rules_engine_keys[i];
	for (i = 0; i < n; i++) {
		const struct rule_section *sec = &defs[i]->settings;

		if (sec->n_params > RULE_PARAMS_MAX || sec->size > RULE_CONF_MAX)
			fatalx("rule %s: more settings than config.h allows",
			    defs[i]->name);
		build_rule_table(i, sec);
		rules_keys[nk++] = (struct key_handler){ sec->key, parse_section,
		    offsetof(struct config, rules) + i * sizeof(union rule_conf_slot),
		    &rule_tables[i], NULL };
	}
	rules_table = (struct key_table){ rules_keys, nk };
}

/* A LIST or MAP default: entries separated by ';', a MAP's as key=value. */
static int
param_entries(const struct rule_param *rp, void *conf)
{
	char buf[512], why[160], *entry, *next, *eq;

	(void)rp->parse(conf, NULL, NULL, why, sizeof(why));
	if (strlen(rp->dflt) >= sizeof(buf))
		return -1;
	strcpy(buf, rp->dflt);
	for (entry = buf; entry != NULL && *entry != '\0'; entry = next) {
		if ((next = strchr(entry, ';')) != NULL)
			*next++ = '\0';
		eq = rp->type == RULE_PARAM_MAP ? strchr(entry, '=') : NULL;
		if (rp->type == RULE_PARAM_MAP && eq == NULL)
			return -1;
		if (eq != NULL)
			*eq++ = '\0';
		if (rp->parse(conf, eq != NULL ? entry : NULL, eq != NULL ? eq : entry,
		    why, sizeof(why)) != 0)
			return -1;
	}
	return 0;
}

/* A default as written in a rule's table; a bad one is a bug in that rule
 * (test_config loads every rule's defaults). */
static int
param_from_text(enum rule_param_type type, const char *s, void *field)
{
	switch (type) {
	case RULE_PARAM_TEXT:
	case RULE_PARAM_LIST:
	case RULE_PARAM_MAP:
		return -1; /* the rule's own parser: param_entries */
	case RULE_PARAM_BOOL:
		return bool_from_text(s, field);
	case RULE_PARAM_SIZE:
		return parse_size(s, field) != 0 || *(uint64_t *)field == 0 ? -1 : 0;
	case RULE_PARAM_PERIOD:
		return parse_duration(s, field) != 0 || *(uint64_t *)field == 0 ? -1 : 0;
	case RULE_PARAM_DURATION:
		return parse_duration(s, field);
	case RULE_PARAM_RATIO:
		return ratio_from_text(s, field);
	case RULE_PARAM_COUNT:
		return count_from_text(s, field);
	}
	return -1;
}

static int
rule_default(const struct rule_param *rp, unsigned char *conf)
{
	char why[160];

	switch (rp->type) {
	case RULE_PARAM_TEXT:
		(void)rp->parse(conf, NULL, NULL, why, sizeof(why));
		return rp->parse(conf, NULL, rp->dflt, why, sizeof(why));
	case RULE_PARAM_LIST:
	case RULE_PARAM_MAP:
		return param_entries(rp, conf);
	default:
		return param_from_text(rp->type, rp->dflt, conf + rp->offset);
	}
}

static double
param_value(enum rule_param_type type, const void *field)
{
	switch (type) {
	case RULE_PARAM_BOOL:
		return *(const bool *)field ? 1 : 0;
	case RULE_PARAM_RATIO:
		return *(const double *)field;
	default:
		return (double)*(const uint64_t *)field;
	}
}

int
config_rule_get(const struct config *c, const char *section, const char *key,
    double *out)
{
	const struct rule_def *const *defs;
	size_t i, j, n;

	defs = rules_registry(&n);
	for (i = 0; i < n; i++) {
		const struct rule_section *sec = &defs[i]->settings;

		if (strcmp(sec->key, section) != 0)
			continue;
		if (strcmp(key, "enabled") == 0) {
			*out = c->rules[i].base.enabled ? 1 : 0;
			return 0;
		}
		if (strcmp(key, "severity") == 0) {
			*out = c->rules[i].base.severity;
			return 0;
		}
		for (j = 0; j < sec->n_params; j++) {
			if (strcmp(sec->params[j].key, key) == 0) {
				if (sec->params[j].parse != NULL)
					return -1; /* not a number */
				*out = param_value(sec->params[j].type,
				    c->rules[i].bytes + sec->params[j].offset);
				return 0;
			}
		}
	}
	return -1;
}

static void
rule_defaults(struct config *c)
{
	const struct rule_def *const *defs;
	size_t i, j, n;

	build_rules_table();
	defs = rules_registry(&n);
	for (i = 0; i < n; i++) {
		const struct rule_section *sec = &defs[i]->settings;
		unsigned char *conf = c->rules[i].bytes;

		c->rules[i].base.enabled = sec->enabled;
		c->rules[i].base.severity = sec->severity;
		for (j = 0; j < sec->n_params; j++) {
			const struct rule_param *rp = &sec->params[j];

			if (rule_default(rp, conf) == 0)
				continue;
			if (rp->parse == NULL) /* a value: a bug in the rule's table */
				fatalx("rule %s: bad default \"%s\" for %s",
				    defs[i]->name, rp->dflt, rp->key);
			/* a rule's own default may need the system (tzdata): off,
			 * unless the configuration turns it on with its own value */
			log_warnx("rule %s: default %s \"%s\" cannot be used here: "
			    "the rule is off unless rules.%s sets it", defs[i]->name,
			    rp->key, rp->dflt, sec->key);
			c->rules[i].base.enabled = false;
		}
	}
}

static const struct key_handler limits_keys[] = {
	{ "flows", parse_limit_field, offsetof(struct config, limit_flows), NULL, NULL },
	{ "pairs", parse_limit_field, offsetof(struct config, limit_pairs), NULL, NULL },
	{ "destinations", parse_limit_field, offsetof(struct config, limit_destinations), NULL, NULL },
	{ "names", parse_limit_field, offsetof(struct config, limit_names), NULL, NULL },
	{ "hosts", parse_limit_field, offsetof(struct config, limit_hosts), NULL, NULL },
	{ "app_parsers", parse_limit_field, offsetof(struct config, limit_app_parsers), NULL, NULL },
	{ "half_open_per_host", parse_limit_field, offsetof(struct config, limit_half_open_per_host), NULL, NULL },
};
static const struct key_table limits_table = KEY_TABLE(limits_keys);

static const struct key_handler flow_keys[] = {
	{ "timeout", parse_period_field, offsetof(struct config, flow_timeout_s), NULL, NULL },
	{ "closed_timeout", parse_period_field,
	    offsetof(struct config, flow_closed_timeout_s), NULL, NULL },
};
static const struct key_table flow_table = KEY_TABLE(flow_keys);

static const struct key_handler daemon_keys[] = {
	{ "user", parse_user, offsetof(struct config, daemon_user), NULL, NULL },
	{ "state_dir", parse_path_field, offsetof(struct config, state_dir), NULL, NULL },
	{ "save_interval", parse_duration_field,
	    offsetof(struct config, daemon_save_interval_s), NULL, NULL },
};
static const struct key_table daemon_table = KEY_TABLE(daemon_keys);

static const struct key_handler logging_keys[] = {
	{ "level", parse_log_level, 0, NULL, NULL },
};
static const struct key_table logging_table = KEY_TABLE(logging_keys);

static const struct key_handler capture_keys[] = {
	{ "interfaces", parse_interfaces, 0, NULL, NULL },
	{ "bpf", parse_bpf, 0, NULL, NULL },
	{ "snaplen", parse_snaplen, 0, NULL, NULL },
	{ "buffer", parse_capture_buffer, offsetof(struct config, capture_buffer), NULL, NULL },
	{ "promiscuous", parse_bool_field,
	    offsetof(struct config, capture_promiscuous), NULL, NULL },
};
static const struct key_table capture_table = KEY_TABLE(capture_keys);

/* evidence.lookback: 0 (no packet ring) to EVIDENCE_LOOKBACK_MAX. */
static int
parse_lookback(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	uint64_t *out = &((struct config *)target)->evidence_lookback;
	const char *s;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	return parse_bounded(ld, path, value, out, EVIDENCE_LOOKBACK_MAX);
}

static int
parse_max_open(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	(void)h;
	return parse_bounded(ld, path, value,
	    &((struct config *)target)->evidence_max_open, EVIDENCE_MAX_OPEN_MAX);
}

/* evidence.ring: the packet ring's arena, 1 MiB to 64 GiB (a power of
 * two at most is used: pktring.h). */
static int
parse_ring(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	uint64_t *out = &((struct config *)target)->evidence_ring;

	(void)h;
	if (parse_size_field(ld, &(struct key_handler){ .field = 0 }, path,
	    value, out) != 0)
		return -1;
	if (*out < EVIDENCE_RING_MIN || *out > EVIDENCE_RING_MAX)
		return fail_at(ld, value, path, "must be between 1MiB and 64GiB");
	return 0;
}

static const struct key_handler evidence_keys[] = {
	{ "enabled", parse_bool_field, offsetof(struct config, evidence_enabled), NULL, NULL },
	{ "dir", parse_path_field, offsetof(struct config, evidence_dir), NULL, NULL },
	{ "max_bytes", parse_size_field, offsetof(struct config, evidence_max_bytes), NULL, NULL },
	{ "max_total", parse_size_field, offsetof(struct config, evidence_max_total), NULL, NULL },
	{ "lookback", parse_lookback, 0, NULL, NULL },
	{ "ring", parse_ring, 0, NULL, NULL },
	{ "max_open", parse_max_open, 0, NULL, NULL },
	{ "grace", parse_duration_field, offsetof(struct config, evidence_grace_s), NULL, NULL },
};
static const struct key_table evidence_table = KEY_TABLE(evidence_keys);

static const struct key_handler stats_keys[] = {
	{ "interval", parse_duration_field, offsetof(struct config, stats_interval_s), NULL, NULL },
	{ "listen", parse_stats_listen, 0, NULL, NULL },
};
static const struct key_table stats_table = KEY_TABLE(stats_keys);

static const struct key_handler report_keys[] = {
	{ "pairs_interval", parse_duration_field,
	    offsetof(struct config, report_pairs_interval_s), NULL, NULL },
};
static const struct key_table report_table = KEY_TABLE(report_keys);

static const struct key_handler records_keys[] = {
	{ "bytes_per_record", parse_size_field,
	    offsetof(struct config, records_bytes_per_record), NULL, NULL },
	{ "compression", parse_compression,
	    offsetof(struct config, records_compression), NULL, NULL },
};
static const struct key_table records_table = KEY_TABLE(records_keys);

/* ---- contain: (issue 15) ------------------------------------------------ */

/* The rules an alert of which blocks its destination, by default. */
static const char *const contain_default_rules[] = {
	"campaign", "compressed-upload", "staging", "indicator-match",
	"server-egress",
};

static void
contain_defaults(struct config *c)
{
	size_t i;
	int r;

	c->contain_enabled = false;
	c->contain_rules = 0;
	for (i = 0; i < ARRAY_LEN(contain_default_rules); i++)
		if ((r = rules_index(contain_default_rules[i])) >= 0)
			c->contain_rules |= 1u << r;
	str_copy(c->contain_nft_family, "inet", sizeof(c->contain_nft_family));
	str_copy(c->contain_nft_table, "exfild", sizeof(c->contain_nft_table));
	str_copy(c->contain_nft_set, "block4", sizeof(c->contain_nft_set));
	str_copy(c->contain_nft_set6, "block6", sizeof(c->contain_nft_set6));
	c->contain_timeout_s = 3600;
	c->contain_max_timeout_s = 86400;
	c->contain_exec_timeout_s = 5;
	c->contain_max_per_minute = 10;
}

/* An nft identifier: a letter or '_', then letters, digits and '_'. */
static bool
nft_name_valid(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) >= CONFIG_NFT_NAME_MAX ||
	    (!ascii_alpha(s[0]) && s[0] != '_'))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!ascii_alpha(s[i]) && s[i] != '_' && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

static int
parse_nft_name(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	const char *s;

	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if (!nft_name_valid(s))
		return fail_invalid(ld, value, path, "nftables name", s,
		    " (expected a letter or _, then letters, digits or _, "
		    "at most 63)");
	str_copy(FIELD(char, target, h), s, CONFIG_NFT_NAME_MAX);
	return 0;
}

static const char *const nft_families[] = {
	"ip", "ip6", "inet", "bridge", "netdev",
};

/* contain.nft.table: "FAMILY NAME" ("inet exfild"). */
static int
parse_nft_table(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;
	const char *s, *sp;
	size_t i, n;

	(void)h;
	if (scalar_text(ld, path, value, &s) != 0)
		return -1;
	if ((sp = strchr(s, ' ')) == NULL || !nft_name_valid(sp + 1))
		return fail_invalid(ld, value, path, "nftables table", s,
		    " (expected FAMILY NAME, as \"inet exfild\")");
	n = (size_t)(sp - s);
	for (i = 0; i < ARRAY_LEN(nft_families); i++)
		if (strlen(nft_families[i]) == n &&
		    strncmp(s, nft_families[i], n) == 0)
			break;
	if (i == ARRAY_LEN(nft_families))
		return fail_invalid(ld, value, path, "nftables family", s,
		    " (expected ip, ip6, inet, bridge or netdev)");
	str_copy(c->contain_nft_family, nft_families[i],
	    sizeof(c->contain_nft_family));
	str_copy(c->contain_nft_table, sp + 1, sizeof(c->contain_nft_table));
	return 0;
}

static int
add_contain_rule(struct loader *ld, const char *path, const yaml_node_t *item,
    const char *text, void *target)
{
	uint32_t *rules = target;
	int r = rules_index(text);

	if (r < 0)
		return fail_invalid(ld, item, path, "rule", text,
		    " (expected a rule's name, as \"compressed-upload\")");
	*rules |= 1u << r;
	return 0;
}

static int
parse_contain_rules(struct loader *ld, const struct key_handler *h,
    const char *path, yaml_node_t *value, void *target)
{
	struct config *c = target;

	(void)h;
	c->contain_rules = 0;
	return for_each_item(ld, path, value, add_contain_rule,
	    &c->contain_rules);
}

static const struct key_handler contain_nft_keys[] = {
	{ "table", parse_nft_table, 0, NULL, NULL },
	{ "set", parse_nft_name, offsetof(struct config, contain_nft_set), NULL, NULL },
	{ "set6", parse_nft_name, offsetof(struct config, contain_nft_set6), NULL, NULL },
};
static const struct key_table contain_nft_table = KEY_TABLE(contain_nft_keys);

static const struct key_handler contain_keys[] = {
	{ "enabled", parse_bool_field, offsetof(struct config, contain_enabled), NULL, NULL },
	{ "rules", parse_contain_rules, 0, NULL, NULL },
	{ "nft", parse_section, 0, &contain_nft_table, NULL },
	{ "exec", parse_path_field, offsetof(struct config, contain_exec), NULL, NULL },
	{ "timeout", parse_period_field, offsetof(struct config, contain_timeout_s), NULL, NULL },
	{ "max_timeout", parse_period_field,
	    offsetof(struct config, contain_max_timeout_s), NULL, NULL },
	{ "exec_timeout", parse_period_field,
	    offsetof(struct config, contain_exec_timeout_s), NULL, NULL },
	{ "max_per_minute", parse_count_field,
	    offsetof(struct config, contain_max_per_minute), NULL, NULL },
	{ "never", parse_cidr_list, offsetof(struct config, contain_never), NULL, NULL },
};
static const struct key_table contain_table = KEY_TABLE(contain_keys);

/* The whole section, then what its keys say together. */
static int
parse_contain(struct loader *ld, const struct key_handler *h, const char *path,
    yaml_node_t *value, void *target)
{
	struct config *c = target;

	(void)h;
	if (parse_mapping(ld, path, value, &contain_table, c) != 0)
		return -1;
	if (c->contain_max_timeout_s < c->contain_timeout_s)
		return fail_at(ld, value, path, "max_timeout (%" PRIu64 " s) is "
		    "shorter than timeout (%" PRIu64 " s)",
		    c->contain_max_timeout_s, c->contain_timeout_s);
	if (c->contain_max_timeout_s > CONTAIN_TIMEOUT_MAX_S)
		return fail_at(ld, value, path, "max_timeout is longer than "
		    "%d days", CONTAIN_TIMEOUT_MAX_S / 86400);
	if (c->contain_exec_timeout_s > CONTAIN_EXEC_TIMEOUT_MAX_S)
		return fail_at(ld, value, path, "exec_timeout is longer than "
		    "%d s", CONTAIN_EXEC_TIMEOUT_MAX_S);
	return 0;
}

/* The top level: one row per section. */
static const struct key_handler section_keys[] = {
	{ "sensor", parse_sensor, 0, NULL, NULL },
	{ "networks", parse_section, 0, &networks_table, NULL },
	{ "geo", parse_section, 0, &geo_table, NULL },
	{ "baseline", parse_section, 0, &baseline_table, NULL },
	{ "rules", parse_section, 0, &rules_table, NULL },
	{ "records", parse_section, 0, &records_table, NULL },
	{ "limits", parse_section, 0, &limits_table, NULL },
	{ "flow", parse_section, 0, &flow_table, NULL },
	{ "daemon", parse_section, 0, &daemon_table, NULL },
	{ "logging", parse_section, 0, &logging_table, NULL },
	{ "capture", parse_section, 0, &capture_table, NULL },
	{ "stats", parse_section, 0, &stats_table, NULL },
	{ "report", parse_section, 0, &report_table, NULL },
	{ "evidence", parse_section, 0, &evidence_table, NULL },
	{ "outputs", parse_outputs, 0, NULL, NULL },
	{ "logs", parse_logs, 0, NULL, NULL },
	{ "indicators", parse_indicators, 0, NULL, NULL },
	{ "indicators_check", parse_duration_field,
	    offsetof(struct config, indicators_check_s), NULL, NULL },
	{ "contain", parse_contain, 0, NULL, NULL },
};
static const struct key_table section_table = KEY_TABLE(section_keys);

/* ---- Loading ------------------------------------------------------------ */

/* libyaml's own message, positioned: reader errors carry a byte offset only. */
static void
yaml_error(const yaml_parser_t *p, const char *name, const char *input,
    size_t len, char *err, size_t errlen)
{
	const char *problem = p->problem != NULL ? p->problem : "invalid YAML";
	size_t line = 1, col = 1, i;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		set_error(err, errlen, "%s: out of memory", name);
		return;
	case YAML_READER_ERROR:
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (input[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		set_error(err, errlen, "%s:%zu:%zu: %s", name, line, col, problem);
		return;
	default:
		break;
	}
	if (p->context != NULL)
		set_error(err, errlen, "%s:%zu:%zu: %s (%s at %zu:%zu)", name,
		    p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
		    p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else
		set_error(err, errlen, "%s:%zu:%zu: %s", name,
		    p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/*
 * Nesting deeper than YAML_DEPTH_MAX is refused from libyaml's events, at
 * the first collection beyond it, before its document loader builds the
 * tree (which took 20 s for a file 100000 deep). 0, or -1 with
 * "name:line:col: nesting deeper than 64 levels". A syntax error ends the
 * walk with 0: the loader reports it as before.
 */
static int
yaml_depth_check(const char *name, const char *yaml, size_t len, char *err,
    size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0;
	int rc = 0;
	bool done = false;

	if (!yaml_parser_initialize(&parser)) {
		set_error(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	while (!done && yaml_parser_parse(&parser, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > YAML_DEPTH_MAX) {
				set_error(err, errlen, "%s:%zu:%zu: nesting deeper "
				    "than %d levels", name, ev.start_mark.line + 1,
				    ev.start_mark.column + 1, YAML_DEPTH_MAX);
				rc = -1;
				done = true;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		    ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		done = done || ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

static int
load_root(struct loader *ld, struct config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);

	if (root == NULL || is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(ld, root, "", "expected a mapping of sections, not %s",
		    node_kind(root));
	return parse_mapping(ld, "", root, &section_table, c);
}

/* A second document in the stream is an error (likely a stray "---"). */
static int
check_single_document(yaml_parser_t *parser, struct loader *ld,
    const char *input, size_t len)
{
	yaml_document_t next;
	yaml_node_t *root;
	int rc = 0;

	if (!yaml_parser_load(parser, &next)) {
		yaml_error(parser, ld->name, input, len, ld->err, ld->errlen);
		return -1;
	}
	if ((root = yaml_document_get_root_node(&next)) != NULL)
		rc = fail_at(ld, root, "", "only one YAML document is allowed");
	yaml_document_delete(&next);
	return rc;
}

int
config_load_string(const char *name, const char *yaml, size_t len,
    struct config **out, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct loader ld = { name, &doc, err, errlen, NULL, 0 };
	const char *slash = strrchr(name, '/');
	struct config *c;
	int rc;

	*out = NULL;
	set_error(err, errlen, "%s", "");
	if (yaml_depth_check(name, yaml, len, err, errlen) != 0)
		return -1;
	if (!yaml_parser_initialize(&parser)) {
		set_error(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_error(&parser, name, yaml, len, err, errlen);
		yaml_parser_delete(&parser);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	config_defaults(c);
	c->path = xstrdup(name);
	ld.cfg = c;
	/* "/x.yaml": the root is its directory */
	ld.dirlen = slash == NULL ? 0 : slash == name ? 1 : (size_t)(slash - name);
	rc = load_root(&ld, c);
	if (rc == 0)
		rc = check_single_document(&parser, &ld, yaml, len);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc != 0) {
		config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

/* Reads at most CONFIG_MAX_BYTES; 0 or -1 with "path: ..." in err. */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		set_error(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	*buf = xmalloc(CONFIG_MAX_BYTES + 1);
	n = fread(*buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		set_error(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		goto fail;
	}
	if (n > CONFIG_MAX_BYTES) {
		set_error(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		goto fail;
	}
	fclose(f);
	*len = n;
	return 0;
fail:
	fclose(f);
	free(*buf);
	*buf = NULL;
	return -1;
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	rc = config_load_string(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}
