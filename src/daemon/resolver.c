/*
 * resolver.c - asynchronous lookups of destination names with libevent's
 * evdns: A (RFC 1035), then AAAA (RFC 3596) when the name has no A record;
 * a fixed in-flight array and a direct-mapped "asked recently" table.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/daemon/resolver.h"

#define HOST_NAME_LEN_MAX	253	/* RFC 1035 2.3.4, as text without the final dot */
#define LABEL_LEN_MAX		63
#define RESOLV_CONF_DEFAULT	"/etc/resolv.conf"

/* One name being looked up: the name is copied, the caller's does not live. */
struct inflight {
	uintptr_t ticket;	/* of the evdns request; 0: the slot is free */
	uint64_t hash;
	bool asking_aaaa;	/* the A query found no address */
	char name[HOST_NAME_LEN_MAX + 1];
};

/* Direct-mapped: a name whose slot another name took is simply asked again. */
struct recent {
	uint64_t hash;
	uint64_t asked_ns;
	bool used;
};

struct resolver {
	struct evdns_base *dns;
	resolver_answer_fn fn;
	void *ctx;
	struct hash_key key;
	struct inflight *slots;
	size_t nslots;
	struct recent *recent;
	size_t recent_mask;
	uint64_t retry_ns;
	struct resolver_stats stats;
	struct resolver *next_live;
};

/*
 * evdns hands a request's void * back from a deferred callback, which can
 * run after resolver_free: an answer read before the free is queued, and
 * evdns_base_free(base, 0) cannot take it back. So that void * is a ticket
 * number, never a pointer: the callback looks the ticket up among the live
 * resolvers' slots and drops an answer whose ticket no slot holds, without
 * touching any memory of a freed resolver. Tickets are not reused (a
 * pointer-wide counter). The daemon is one thread: plain statics.
 */
static struct resolver *live_resolvers;
static uintptr_t last_ticket;

static uintptr_t
ticket_next(void)
{
	if (++last_ticket == 0)
		last_ticket = 1;
	return last_ticket;
}

static struct inflight *
ticket_find(uintptr_t ticket, struct resolver **owner)
{
	struct resolver *r;
	size_t i;

	for (r = live_resolvers; r != NULL; r = r->next_live) {
		for (i = 0; i < r->nslots; i++) {
			if (r->slots[i].ticket == ticket) {
				*owner = r;
				return &r->slots[i];
			}
		}
	}
	return NULL;
}

static bool
host_name_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Copies name lowercased, without one trailing dot, into out (room for
 * HOST_NAME_LEN_MAX + 1) when it is a host name: labels of 1..63 letters,
 * digits, '-' or '_', at most 253 bytes, the last label not all digits (so
 * that no IPv4 literal, in any of inet_aton's forms, is ever asked; an IPv6
 * literal has ':'). 0 or -1.
 */
static int
host_name_normalize(const char *name, char *out)
{
	size_t n, i, label = 0;
	bool all_digits = true;

	if (name == NULL)
		return -1;
	n = strnlen(name, HOST_NAME_LEN_MAX + 2);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > HOST_NAME_LEN_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)name[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			all_digits = true;
			out[i] = '.';
			continue;
		}
		if (!host_name_byte(c) || ++label > LABEL_LEN_MAX)
			return -1;
		if (c < '0' || c > '9')
			all_digits = false;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	if (label == 0 || all_digits)
		return -1;
	out[n] = '\0';
	return 0;
}

static bool
recent_hit(const struct resolver *r, const struct recent *e, uint64_t hash,
    uint64_t now_ns)
{
	return e->used && e->hash == hash && now_ns >= e->asked_ns &&
	    now_ns - e->asked_ns < r->retry_ns;
}

static bool
inflight_has(const struct resolver *r, uint64_t hash, const char *name)
{
	size_t i;

	for (i = 0; i < r->nslots; i++) {
		const struct inflight *s = &r->slots[i];

		if (s->ticket != 0 && s->hash == hash &&
		    strcmp(s->name, name) == 0)
			return true;
	}
	return false;
}

static struct inflight *
inflight_free_slot(struct resolver *r)
{
	size_t i;

	for (i = 0; i < r->nslots; i++)
		if (r->slots[i].ticket == 0)
			return &r->slots[i];
	return NULL;
}

static void
inflight_release(struct resolver *r, struct inflight *s)
{
	s->ticket = 0;
	s->asking_aaaa = false;
	s->name[0] = '\0';
	r->stats.inflight--;
}

static void on_dns_answer(int result, char type, int count, int ttl,
    void *addresses, void *arg);

/* Sends the slot's next query (A, or AAAA once asking_aaaa) under a new ticket. */
static int
inflight_ask(struct resolver *r, struct inflight *s)
{
	struct evdns_request *req;

	s->ticket = ticket_next();
	if (s->asking_aaaa)
		req = evdns_base_resolve_ipv6(r->dns, s->name,
		    DNS_QUERY_NO_SEARCH, on_dns_answer, (void *)s->ticket);
	else
		req = evdns_base_resolve_ipv4(r->dns, s->name,
		    DNS_QUERY_NO_SEARCH, on_dns_answer, (void *)s->ticket);
	return req != NULL ? 0 : -1;
}

static void
inflight_fail(struct resolver *r, struct inflight *s, const char *why)
{
	log_debug("resolver: %s %s: %s", s->name,
	    s->asking_aaaa ? "AAAA" : "A", why);
	r->stats.failed++;
	inflight_release(r, s);
}

/* The first address of a successful answer of the type asked; 0 or -1. */
static int
answer_address(const struct inflight *s, int result, char type, int count,
    const void *addresses, struct netaddr *out)
{
	uint8_t raw[16];

	if (result != DNS_ERR_NONE || count < 1 || addresses == NULL)
		return -1;
	if (!s->asking_aaaa && type == DNS_IPv4_A) {
		memcpy(raw, addresses, 4);	/* an in_addr_t, network order */
		netaddr_from_v4(out, raw);
		return 0;
	}
	if (s->asking_aaaa && type == DNS_IPv6_AAAA) {
		memcpy(raw, addresses, 16);	/* a struct in6_addr */
		netaddr_from_v6(out, raw);
		return 0;
	}
	return -1;
}

/*
 * evdns's callback (deferred: it runs from the event loop after evdns has
 * read the reply or given up). fn is called last, with a copy of the name,
 * so that it may free the resolver.
 */
static void
on_dns_answer(int result, char type, int count, int ttl, void *addresses,
    void *arg)
{
	struct resolver *r = NULL;
	struct inflight *s;
	struct netaddr addr;
	char name[HOST_NAME_LEN_MAX + 1];

	s = ticket_find((uintptr_t)arg, &r);
	if (s == NULL)
		return;	/* its resolver was freed */
	if (answer_address(s, result, type, count, addresses, &addr) == 0) {
		memcpy(name, s->name, sizeof(name));
		r->stats.answered++;
		inflight_release(r, s);
		if (r->fn != NULL)
			r->fn(r->ctx, name, &addr, ttl > 0 ? (uint32_t)ttl : 0);
		return;
	}
	if (!s->asking_aaaa && (result == DNS_ERR_NODATA ||
	    (result == DNS_ERR_NONE && count < 1))) {
		s->asking_aaaa = true;
		if (inflight_ask(r, s) == 0)
			return;
		inflight_fail(r, s, "evdns refused the query");
		return;
	}
	inflight_fail(r, s, result == DNS_ERR_NONE ? "unexpected answer type" :
	    evdns_err_to_string(result));
}

int
resolver_lookup(struct resolver *r, const char *name, uint64_t now_ns)
{
	char norm[HOST_NAME_LEN_MAX + 1];
	struct recent *e;
	struct inflight *s;
	uint64_t hash;

	if (host_name_normalize(name, norm) == -1) {
		r->stats.invalid_names++;
		return -1;
	}
	hash = hash_bytes(&r->key, norm, strlen(norm));
	e = &r->recent[hash & r->recent_mask];
	if (recent_hit(r, e, hash, now_ns) || inflight_has(r, hash, norm)) {
		r->stats.skipped_recent++;
		return 1;
	}
	s = inflight_free_slot(r);
	if (s == NULL) {
		r->stats.refused_busy++;
		return -1;
	}
	e->used = true;
	e->hash = hash;
	e->asked_ns = now_ns;
	s->hash = hash;
	s->asking_aaaa = false;
	memcpy(s->name, norm, sizeof(s->name));
	r->stats.asked++;
	r->stats.inflight++;
	if (inflight_ask(r, s) == -1) {
		inflight_fail(r, s, "evdns refused the query");
		return -1;
	}
	return 0;
}

void
resolver_get_stats(const struct resolver *r, struct resolver_stats *out)
{
	*out = r->stats;
}

static void
live_unlink(struct resolver *r)
{
	struct resolver **pp;

	for (pp = &live_resolvers; *pp != NULL; pp = &(*pp)->next_live) {
		if (*pp == r) {
			*pp = r->next_live;
			return;
		}
	}
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	live_unlink(r);
	/* 0: requests in flight are dropped without a callback. */
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	free(r->slots);
	free(r->recent);
	free(r);
}

static void
evdns_log(int is_warning, const char *msg)
{
	if (is_warning)
		log_warnx("resolver: evdns: %s", msg);
	else
		log_debug("resolver: evdns: %s", msg);
}

static int
opts_check(struct resolver_opts *o, char *err, size_t errlen)
{
	if (o->max_inflight == 0)
		o->max_inflight = RESOLVER_DEFAULT_MAX_INFLIGHT;
	if (o->recent_slots == 0)
		o->recent_slots = RESOLVER_DEFAULT_RECENT_SLOTS;
	if (o->retry_ns == 0)
		o->retry_ns = RESOLVER_DEFAULT_RETRY_NS;
	if (o->timeout_ms == 0)
		o->timeout_ms = RESOLVER_DEFAULT_TIMEOUT_MS;
	if (o->attempts == 0)
		o->attempts = RESOLVER_DEFAULT_ATTEMPTS;
	if (o->max_inflight > RESOLVER_MAX_INFLIGHT) {
		snprintf(err, errlen, "resolver: max_inflight %zu out of range "
		    "1..%d", o->max_inflight, RESOLVER_MAX_INFLIGHT);
		return -1;
	}
	if (o->recent_slots > RESOLVER_MAX_RECENT_SLOTS) {
		snprintf(err, errlen, "resolver: recent_slots %zu out of range "
		    "1..%u", o->recent_slots, RESOLVER_MAX_RECENT_SLOTS);
		return -1;
	}
	if (o->timeout_ms > RESOLVER_MAX_TIMEOUT_MS) {
		snprintf(err, errlen, "resolver: timeout_ms %u out of range "
		    "1..%d", o->timeout_ms, RESOLVER_MAX_TIMEOUT_MS);
		return -1;
	}
	if (o->attempts > RESOLVER_MAX_ATTEMPTS) {
		snprintf(err, errlen, "resolver: attempts %u out of range 1..%d",
		    o->attempts, RESOLVER_MAX_ATTEMPTS);
		return -1;
	}
	return 0;
}

static int
nameserver_add(struct resolver *r, const char *ns, char *err, size_t errlen)
{
	char quoted[QUOTE_BUF];
	struct cursor c;

	if (evdns_base_nameserver_ip_add(r->dns, ns) == 0)
		return 0;
	cur_init(&c, (const uint8_t *)ns, strlen(ns));
	quote_bytes(&c, quoted, sizeof(quoted));
	snprintf(err, errlen, "resolver: nameserver %s: not an address or "
	    "address:port", quoted);
	return -1;
}

/* Only its nameserver lines and options: no search domains, no hosts file. */
static int
resolv_conf_load(struct resolver *r, const char *path, char *err,
    size_t errlen)
{
	int rc;

	rc = evdns_base_resolv_conf_parse(r->dns, DNS_OPTION_NAMESERVERS |
	    DNS_OPTION_MISC | DNS_OPTION_NAMESERVERS_NO_DEFAULT, path);
	if (rc == 1) {
		snprintf(err, errlen, "resolver: %s: cannot open", path);
		return -1;
	}
	if (rc != 0 && rc != 6) {
		snprintf(err, errlen, "resolver: %s: cannot read (evdns error "
		    "%d)", path, rc);
		return -1;
	}
	if (rc == 6 || evdns_base_count_nameservers(r->dns) == 0) {
		snprintf(err, errlen, "resolver: %s: no nameserver line", path);
		return -1;
	}
	return 0;
}

static int
dns_option_set(struct resolver *r, const char *option, const char *value,
    char *err, size_t errlen)
{
	if (evdns_base_set_option(r->dns, option, value) == 0)
		return 0;
	snprintf(err, errlen, "resolver: evdns refused option %s%s", option,
	    value);
	return -1;
}

static int
dns_options_set(struct resolver *r, const struct resolver_opts *o, char *err,
    size_t errlen)
{
	char value[32];

	/* evdns reads seconds with strtod: a fraction only when needed. */
	if (o->timeout_ms % 1000 == 0)
		snprintf(value, sizeof(value), "%u", o->timeout_ms / 1000);
	else
		snprintf(value, sizeof(value), "%u.%03u", o->timeout_ms / 1000,
		    o->timeout_ms % 1000);
	if (dns_option_set(r, "timeout:", value, err, errlen) == -1)
		return -1;
	snprintf(value, sizeof(value), "%u", o->attempts);
	if (dns_option_set(r, "attempts:", value, err, errlen) == -1)
		return -1;
	/* Room for ours and evdns's own nameserver probes: none waits. */
	snprintf(value, sizeof(value), "%zu", o->max_inflight + 8);
	return dns_option_set(r, "max-inflight:", value, err, errlen);
}

struct resolver *
resolver_new(struct event_base *base, const struct resolver_opts *opts,
    resolver_answer_fn fn, void *ctx, char *err, size_t errlen)
{
	struct resolver_opts o = *opts;
	struct resolver *r;
	size_t recent_n;

	if (opts_check(&o, err, errlen) == -1)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->fn = fn;
	r->ctx = ctx;
	r->retry_ns = o.retry_ns;
	r->nslots = o.max_inflight;
	r->slots = xcalloc(r->nslots, sizeof(*r->slots));
	recent_n = round_pow2(o.recent_slots);
	r->recent = xcalloc(recent_n, sizeof(*r->recent));
	r->recent_mask = recent_n - 1;
	if (o.key != NULL)
		r->key = *o.key;
	else if (hash_key_random(&r->key) == -1) {
		snprintf(err, errlen, "resolver: no random hash key");
		goto fail;
	}
	evdns_set_log_fn(evdns_log);
	r->dns = evdns_base_new(base, 0);
	if (r->dns == NULL) {
		snprintf(err, errlen, "resolver: cannot create an evdns base");
		goto fail;
	}
	if (o.nameserver != NULL) {
		if (nameserver_add(r, o.nameserver, err, errlen) == -1)
			goto fail;
	} else if (resolv_conf_load(r, o.resolv_conf != NULL ? o.resolv_conf :
	    RESOLV_CONF_DEFAULT, err, errlen) == -1)
		goto fail;
	if (dns_options_set(r, &o, err, errlen) == -1)
		goto fail;
	r->next_live = live_resolvers;
	live_resolvers = r;
	return r;
fail:
	resolver_free(r);
	return NULL;
}
