/*
 * config.h - the YAML configuration (libyaml), parsed into plain values.
 * Unknown keys, bad values and wrong types are errors reported as
 * "file:line:column: message". Sections are parsed by a table of handlers so
 * later sections (capture, outputs, logs, stats) plug in beside these.
 */
#ifndef EXFILD_CONFIG_H
#define EXFILD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/util/log.h"
#include "exfild/util/netaddr.h"

enum severity { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };
const char *severity_name(enum severity s);
int severity_parse(const char *s, enum severity *out);

/* ISO 3166 alpha-2 code packed in 16 bits: ('J' << 8) | 'P'. */
typedef uint16_t country_t;
#define COUNTRY_UNKNOWN ((country_t)(('?' << 8) | '?'))
country_t country_parse(const char *s); /* COUNTRY_UNKNOWN when not 2 letters */
void country_format(country_t cc, char out[3]);

struct proxy_addr {
	struct netaddr addr;
	uint16_t port; /* 0 = any port */
};

/* A system whose bulk reads matter (the CRM, JAL's VIPS): traffic of
 * internal hosts to it is tracked as pulls (rule staging). */
#define CROWN_JEWELS_MAX 64
#define CROWN_JEWEL_NAME_MAX 64
struct crown_jewel {
	struct netaddr addr;
	uint16_t port;               /* 0 = any port */
	char name[CROWN_JEWEL_NAME_MAX]; /* "" when not named */
	uint64_t bytes_per_record;   /* 0: records.bytes_per_record */
	double compression;          /* 0: records.compression */
};

/* An indicator list (indicators:, rule indicator-match): a file of
 * addresses, CIDRs and names in one of these formats. */
#define INDICATOR_LISTS_MAX 32
enum ioc_format {
	IOC_FORMAT_PLAIN,    /* one address, CIDR or name a line, # comments */
	IOC_FORMAT_FEODO,    /* abuse.ch Feodo Tracker IP blocklist CSV */
	IOC_FORMAT_HOSTFILE, /* hosts-file lines ("127.0.0.1 name"): URLhaus */
};
struct indicator_conf {
	char *file;
	enum ioc_format format;
	int severity;        /* enum severity of its alerts; -1: the rule's */
};

/*
 * Rules' settings. Each rule (src/detect/rule_*.c) declares its section
 * rules.<key>: typed keys with defaults written as in the file, read into
 * its own struct, whose first member is struct rule_base. The loader knows
 * the sections from the rule registry, so every rule's keys are checked
 * (file:line:col) with no edit here.
 */
#define RULES_MAX       32  /* rules in the registry, at most */
#define RULE_PARAMS_MAX 16  /* keys of one rule's section, at most */
#define RULE_CONF_MAX   256 /* bytes of one rule's settings struct, at most */

struct rule_base {
	bool enabled;
	enum severity severity;
};

enum rule_param_type {
	RULE_PARAM_BOOL,     /* true, false, yes, no */
	RULE_PARAM_SIZE,     /* uint64_t bytes > 0: "50MB", "1MiB" */
	RULE_PARAM_PERIOD,   /* uint64_t seconds > 0: "1h", "7d" */
	RULE_PARAM_DURATION, /* uint64_t seconds >= 0 */
	RULE_PARAM_RATIO,    /* double >= 0 */
	RULE_PARAM_COUNT,    /* uint64_t, 1 .. 1e9 */
	/* Read by the rule's own parse function (below), into its struct: */
	RULE_PARAM_TEXT,     /* a scalar ("Asia/Tokyo") */
	RULE_PARAM_LIST,     /* a list of scalars, each handed over in turn */
	RULE_PARAM_MAP,      /* a mapping of scalars, each key and value */
};

/*
 * A rule's parser for TEXT, LIST and MAP keys: text NULL first (forget
 * what was there: a list in the file replaces the default), then each
 * scalar (key: a MAP entry's key, else NULL). -1 with why (a short reason,
 * shown after the file:line:col of the value) refuses it.
 */
typedef int rule_param_fn(void *conf, const char *key, const char *text,
    char *why, size_t whylen);

struct rule_param {
	const char *key;
	enum rule_param_type type;
	size_t offset;       /* offsetof() in the rule's settings struct */
	/* the default, written as in the file; for LIST and MAP, entries
	 * separated by ';', a MAP entry as key=value ("24h=10MB;7d=20MB") */
	const char *dflt;
	rule_param_fn *parse; /* TEXT, LIST and MAP */
};

/* A rule's key: a value type read into the field, or a TEXT, LIST or MAP
 * read by the rule's own function. */
#define RULE_KEY(key, type, st, field, dflt) \
	{ (key), (type), offsetof(st, field), (dflt), NULL }
#define RULE_KEY_FN(key, type, dflt, fn) { (key), (type), 0, (dflt), (fn) }

struct rule_section {
	const char *key;     /* "bulk_upload" */
	bool enabled;        /* defaults of the engine's keys */
	enum severity severity;
	const struct rule_param *params;
	size_t n_params;
	size_t size;         /* sizeof the rule's settings struct */
};

/* One rule's settings, by its registry index. */
union rule_conf_slot {
	struct rule_base base;
	long double align;
	unsigned char bytes[RULE_CONF_MAX];
};

/* Where alerts go: a list of outputs, several at once. */
enum output_kind { OUTPUT_FILE, OUTPUT_STDOUT, OUTPUT_SYSLOG };
/* The message body. ECS: JSON with Elastic Common Schema field names. */
enum output_format { OUTPUT_FORMAT_JSON, OUTPUT_FORMAT_ECS, OUTPUT_FORMAT_CEF,
	OUTPUT_FORMAT_LEEF };
enum syslog_transport { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_UNIX };
/* RFC 6587: octet-counting ("LEN SP MSG") or a trailing LF */
enum syslog_framing { SYSLOG_FRAMING_OCTET, SYSLOG_FRAMING_LF };
enum syslog_header { SYSLOG_RFC5424, SYSLOG_RFC3164 };
enum spool_fsync { SPOOL_FSYNC_ALWAYS, SPOOL_FSYNC_INTERVAL, SPOOL_FSYNC_NEVER };

#define SYSLOG_DEFAULT_MAX_MESSAGE 8192
/* The RFC 5424 SD-ID's Private Enterprise Number ("exfild@32473"): the
 * one RFC 5612 reserves for documentation, until outputs set their own */
#define SYSLOG_DEFAULT_PEN 32473
/* The smallest max_message: an alert with its structured data, join keys,
 * threshold, HTTP request and ATT&CK, the wire-borne fields cut to a
 * marker, needs up to 2.3 KB (RFC 5424 + ECS; test_length_sweep); rsyslog
 * takes 8 KiB by default */
#define SYSLOG_MIN_MESSAGE 3072

struct output_conf {
	enum output_kind kind;
	enum output_format format;
	char *path;                /* OUTPUT_FILE */
	/* OUTPUT_SYSLOG */
	char *target;              /* as written: "tcp://siem.corp:6514" */
	enum syslog_transport transport;
	char *host;                /* name or address literal (no brackets) */
	uint16_t port;
	char *socket_path;         /* SYSLOG_UNIX */
	int facility;              /* 0..23 (local4 = 20) */
	enum syslog_framing framing;
	enum syslog_header header;
	uint64_t max_message;      /* bytes; longer messages are shortened */
	uint64_t enterprise_number; /* the SD-ID exfild@<this> (RFC 5424 7.2.2) */
	uint64_t queue_bytes;      /* memory queue; past it alerts go to the spool */
	uint64_t spool_bytes;      /* disk spool cap (0: no spool) */
	enum spool_fsync spool_fsync;
	uint64_t spool_fsync_ms;   /* SPOOL_FSYNC_INTERVAL */
	char *name;                /* stats label and spool directory name */
};

/* Proxy or sensor logs as a source (issue 5). */
enum log_source_kind { LOG_SOURCE_FOLLOW, LOG_SOURCE_LISTEN };

struct log_source_conf {
	enum log_source_kind kind;
	char *path;    /* LOG_SOURCE_FOLLOW: the file, followed like tail -F */
	char *listen;  /* LOG_SOURCE_LISTEN: "udp://ADDR:PORT" or "tcp://ADDR:PORT" */
	char *format;  /* "squid", "squid:<logformat>", "zeek" */
};

/* Where a key was set in the file, for checks made after loading (what
 * the limits need in memory: pipeline/limits.h). */
#define CONFIG_MARKS_MAX 16
struct config_mark {
	size_t field;     /* offsetof() in struct config */
	size_t line, col; /* of its value, from 1 */
};

/*
 * Where a key naming a file, a directory or the user was set, with its
 * value: for messages that name the key and file:line ("a file that cannot
 * be opened") and for the start-up checks of exfild -t. A relative path is
 * held resolved against the configuration file's directory.
 */
#define CONFIG_KEY_LEN 96
enum config_ref_use {
	CONFIG_REF_READ,  /* a file read: geo.*, indicators, logs.follow */
	CONFIG_REF_WRITE, /* a file written: outputs' files, baseline.state */
	CONFIG_REF_DIR,   /* a directory written in: daemon.state_dir */
	CONFIG_REF_USER,  /* daemon.user */
	CONFIG_REF_EXEC,  /* a program run: contain.exec */
};
struct config_ref {
	char key[CONFIG_KEY_LEN]; /* "geo.databases", "outputs.file.path" */
	char *value;              /* the path (resolved) or the user name */
	size_t line, col;         /* of the value, from 1 */
	enum config_ref_use use;
};

#define CONFIG_DEFAULT_STATE_DIR "/var/lib/exfild"
#define EVIDENCE_LOOKBACK_MAX 1024
#define EVIDENCE_MAX_OPEN_MAX 4096
#define EVIDENCE_RING_MIN (1ULL << 20)
#define EVIDENCE_RING_MAX (64ULL << 30)
#define CONFIG_ERR_LEN 512
#define CONFIG_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* contain.nft's table and set names: nft identifiers, at most this long */
#define CONFIG_NFT_NAME_MAX 64

#define BASELINE_BY_ADDRESS 0x1u
#define BASELINE_BY_NAME    0x2u
#define BASELINE_BY_DOMAIN  0x4u
#define BASELINE_BY_ASN     0x8u

struct config {
	char *path;
	char sensor[64];
	struct config_ref *refs; /* in the file's order */
	size_t n_refs;

	struct netset internal;
	struct proxy_addr *proxies;
	size_t n_proxies;
	/* DNS servers whose answers teach names' addresses; empty: any */
	struct netset resolvers;
	/* Hosts that serve the outside (DMZ, public servers): their opening a
	 * connection to the outside is itself suspect (rule server-egress) */
	struct netset servers;
	struct crown_jewel *crown_jewels;
	size_t n_crown_jewels;

	country_t *geo_home;
	size_t n_geo_home;
	char **geo_databases;
	size_t n_geo_databases;
	char *geo_hosts; /* may be NULL */
	char *geo_asn;   /* the ASN database (may be NULL) */

	char *baseline_state; /* may be NULL */
	uint64_t baseline_learn_s;
	struct netset baseline_allow_nets;
	char **baseline_allow_domains; /* "*.example.com" kept as "example.com" */
	size_t n_baseline_allow_domains;
	uint32_t *baseline_allow_asns; /* "AS<number>" entries */
	size_t n_baseline_allow_asns;
	/* baseline.familiar_by: what makes a destination familiar, as
	 * BASELINE_BY_* bits (in the order of track/prevalence.h's kinds) */
	unsigned baseline_familiar_by;
	uint64_t baseline_min_hosts; /* 1 .. 8 */
	uint64_t baseline_min_days;  /* 1 .. 32 */
	char *baseline_psl;          /* a Public Suffix List file; NULL: libpsl's */

	uint64_t rules_window_s;
	uint64_t rules_suppress_s;
	union rule_conf_slot rules[RULES_MAX]; /* by rule registry index */

	/* records: how many customer records the bytes may hold (JAL sized
	 * its leak so): bytes / bytes_per_record, and for bytes that may be
	 * compressed, times compression */
	uint64_t records_bytes_per_record;
	double records_compression;

	/* limits: fixed capacities of the tables (memory stays bounded) */
	size_t limit_flows;
	size_t limit_pairs;
	size_t limit_destinations;
	size_t limit_names;
	size_t limit_hosts;
	size_t limit_app_parsers;
	size_t limit_half_open_per_host; /* flows a host opened that carried no payload yet */
	struct config_mark marks[CONFIG_MARKS_MAX]; /* where limits.* were set */
	size_t n_marks;
	uint64_t flow_timeout_s;     /* idle TCP/UDP flow timeout */
	uint64_t flow_closed_timeout_s; /* after FIN/RST */

	/* indicator lists (rule indicator-match), and how often their
	 * files are checked for changes (0: at a reload only) */
	struct indicator_conf *indicators;
	size_t n_indicators;
	uint64_t indicators_check_s;

	/* the daemon (issue 3) */
	char *daemon_user;         /* dropped to when started as root */
	char *state_dir;           /* NULL: /var/lib/exfild (output spools) */
	/* evidence (issue 15): uploads kept for an alert (evidence/evidence.h) */
	bool evidence_enabled;
	char *evidence_dir;        /* NULL: <state_dir>/evidence */
	uint64_t evidence_max_bytes;  /* per body, part or stream */
	uint64_t evidence_ring;       /* the packet ring's bytes (lookback) */
	uint64_t evidence_max_total;  /* everything under evidence_dir */
	uint64_t evidence_lookback;   /* packets per flow ring (0: no pcap) */
	uint64_t evidence_max_open;   /* files written at once */
	uint64_t evidence_grace_s;    /* a finished candidate waits this long
				       * (input time) for an alert */
	enum log_level log_level;
	char **capture_interfaces; /* live capture; -i replaces the list */
	size_t n_capture_interfaces;
	char *capture_bpf;         /* NULL: everything */
	uint32_t capture_snaplen;
	uint64_t capture_buffer;   /* kernel ring per interface, bytes */
	bool capture_promiscuous;
	uint64_t rules_eval_interval_s;
	uint64_t stats_interval_s; /* 0: no periodic stats line */
	uint64_t report_pairs_interval_s; /* the daemon writes its pairs table
				    * to the outputs this often (0: only
				    * on SIGUSR2) */
	uint64_t daemon_save_interval_s; /* the state saved in the background
				    * this often (0: at stop only) */
	char *stats_listen;        /* "127.0.0.1:9477"; NULL: no listener */
	struct output_conf *outputs;
	size_t n_outputs;
	struct log_source_conf *logs;
	size_t n_logs;

	/* contain: (issue 15) an alert of a listed rule blocks its
	 * destination: an element with a timeout in an nftables set, or a
	 * program run (contain.exec) */
	bool contain_enabled;
	uint32_t contain_rules;       /* bit i: the rule at registry index i */
	char contain_nft_family[8];   /* "inet" (ip, ip6, inet, bridge, netdev) */
	char contain_nft_table[CONFIG_NFT_NAME_MAX];
	char contain_nft_set[CONFIG_NFT_NAME_MAX];  /* IPv4 addresses */
	char contain_nft_set6[CONFIG_NFT_NAME_MAX]; /* IPv6 addresses */
	char *contain_exec;           /* NULL: nft */
	uint64_t contain_timeout_s;   /* the first block; doubled on repeats */
	uint64_t contain_max_timeout_s;
	uint64_t contain_exec_timeout_s;
	uint64_t contain_max_per_minute; /* blocks and runs, all addresses */
	struct netset contain_never;  /* never blocked */
};

/* Defaults for every key (what an empty file yields). */
void config_defaults(struct config *c);
/* 0 on success; -1 with err = "file:line:col: message" (or "file: ..."). */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
int config_load_string(const char *name, const char *yaml, size_t len,
    struct config **out, char *err, size_t errlen);
void config_free(struct config *c);
const char *output_format_name(enum output_format f);
const char *ioc_format_name(enum ioc_format f);
const char *syslog_facility_name(int facility);
bool config_log_format_valid(const char *s);

/* Where the key whose value is field (a member of c: &c->limit_flows) was
 * set: true with its line and column, false when the file did not set it
 * (limits.* only). */
bool config_where(const struct config *c, const void *field, size_t *line,
    size_t *col);

/* The first ref with that key and value (NULL: any); NULL when none. */
/* evidence.dir as used: set, or <daemon.state_dir>/evidence. */
void config_evidence_dir(const struct config *c, char *out, size_t outlen);
const struct config_ref *config_ref_find(const struct config *c,
    const char *key, const char *value);
/* "FILE:LINE:COL: KEY" of a ref. */
void config_ref_where(const struct config *c, const struct config_ref *r,
    char *out, size_t outlen);
/* An error about a file the configuration names ("PATH: reason", as the
 * loaders write them) gets the key and its place in front:
 * "FILE:LINE:COL: KEY: PATH: reason". False (err unchanged) when err
 * starts with no path of the file's. */
bool config_blame(const struct config *c, char *err, size_t errlen);

bool config_is_internal(const struct config *c, const struct netaddr *a);
/* The index of the crown jewel at (addr, port); -1 when none. */
int config_crown_jewel(const struct config *c, const struct netaddr *a,
    uint16_t port);
/* A count as the config reads one (digits, 1 .. COUNT_MAX): 0, or -1.
 * For a rule's own keys (RULE_PARAM_TEXT) that bound a count further. */
int config_count_from_text(const char *s, uint64_t *out);
/* Is (addr, port) one of networks.proxies? */
bool config_is_proxy(const struct config *c, const struct netaddr *a, uint16_t port);
bool config_is_home(const struct config *c, country_t cc);

/* A rule's setting by section and key ("bulk_upload", "bytes"), as a
 * number: sizes and durations in bytes and seconds, booleans 0 or 1,
 * severity its enum value. -1 when there is no such section or key. */
int config_rule_get(const struct config *c, const char *section,
    const char *key, double *out);

/* The settings of the rule at registry index i (its own struct). */
static inline const void *
config_rule(const struct config *c, size_t i)
{
	return c->rules[i].bytes;
}

static inline const struct rule_base *
config_rule_base(const struct config *c, size_t i)
{
	return &c->rules[i].base;
}

#endif
