/*
 * contain.c - containment decisions and actions (contain.h): the rules
 * listed, the addresses never blocked, the rate limit (a token bucket of
 * contain.max_per_minute a minute), catch-and-release timeouts from a
 * fixed table of addresses blocked before, and the block itself through
 * the seam of contain_ops (nft.c, hook.c; a test's double).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/contain/contain.h"
#include "exfild/contain/nft.h"
#include "exfild/detect/registry.h"
#include "exfild/util/cursor.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define CONTAIN_JSON_MAX 16384 /* the alert's JSON line for the hook */
#define OUTPUT_LINES_LOGGED 2  /* of the hook's output */
/* Hook run time a minute, at most: hooks run in the event loop, and the
 * unit's WatchdogSec is 30 s. A run starts only when its whole
 * contain.exec_timeout fits in what is left of the minute's. */
#define HOOK_BUDGET_NS (20 * NS_PER_SEC)
/* of a hook's path in "contained": room is left for " exit -2147483648" */
#define CONTAINED_PATH_MAX (ALERT_CONTAINED_MAX - 32)

/* An address blocked before: how often, and when its last block ends
 * (monotonic; the wall clock's until only to be shown again). */
struct blocked {
	struct netaddr addr;  /* family 0: a free slot */
	uint32_t blocks;
	uint64_t last_ns;     /* when it was last blocked */
	uint64_t until_ns;    /* when that block ends */
	uint64_t until_wall_ns;
};

struct contain {
	const struct config *cfg;
	struct contain_ops ops;
	struct nft_conn *nft;     /* the real nft_add's socket */
	double tokens;            /* the rate limit's bucket */
	uint64_t refilled_ns;     /* (monotonic, as the two below) */
	uint64_t hook_minute_ns;  /* the minute hook time is counted in */
	uint64_t hook_busy_ns;    /* ... and the time hooks ran in it */
	struct contain_stats stats;
	struct blocked history[CONTAIN_HISTORY];
};

/* ---- the real operations ---- */

static int
real_nft_add(void *ctx, const char *family, const char *table, const char *set,
    const struct netaddr *addr, uint64_t timeout_ms, char *err, size_t errlen)
{
	struct contain *c = ctx;

	/* (opened at start; after a reload from contain.exec, here) */
	if (c->nft == NULL && (c->nft = nft_open(err, errlen)) == NULL)
		return -1;
	return nft_add_element(c->nft, family, table, set, addr, timeout_ms,
	    err, errlen);
}

static int
real_exec(void *ctx, const char *path, const char *input, size_t len,
    uint64_t timeout_ms, struct hook_result *r, char *err, size_t errlen)
{
	(void)ctx;
	return hook_run(path, input, len, timeout_ms, r, err, errlen);
}

static uint64_t
real_now(void *ctx)
{
	(void)ctx;
	return clock_real_ns();
}

static uint64_t
real_mono(void *ctx)
{
	(void)ctx;
	return clock_mono_ns();
}

struct contain *
contain_new(const struct config *cfg, const struct contain_ops *ops, char *err,
    size_t errlen)
{
	struct contain *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	if (ops != NULL) {
		c->ops = *ops;
	} else {
		c->ops = (struct contain_ops){ real_nft_add, real_exec, real_now,
			real_mono, c };
		if (cfg->contain_exec == NULL &&
		    (c->nft = nft_open(err, errlen)) == NULL) {
			free(c);
			return NULL;
		}
	}
	c->tokens = (double)cfg->contain_max_per_minute;
	c->refilled_ns = c->ops.mono_ns(c->ops.ctx);
	return c;
}

void
contain_free(struct contain *c)
{
	if (c == NULL)
		return;
	nft_close(c->nft);
	free(c);
}

void
contain_apply_config(struct contain *c, const struct config *cfg)
{
	c->cfg = cfg;
	if (c->tokens > (double)cfg->contain_max_per_minute)
		c->tokens = (double)cfg->contain_max_per_minute;
}

void
contain_get_stats(const struct contain *c, struct contain_stats *out)
{
	*out = c->stats;
}

uint64_t
contain_bytes(void)
{
	return sizeof(struct contain);
}

uint64_t
contain_timeout_s(uint64_t timeout, uint64_t max, uint32_t blocks)
{
	while (blocks-- > 0 && timeout < max)
		timeout = timeout > max / 2 ? max : timeout * 2;
	return timeout < max ? timeout : max;
}

/* ---- what is never blocked ---- */

static bool
is_proxy(const struct config *cfg, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < cfg->n_proxies; i++)
		if (netaddr_eq(&cfg->proxies[i].addr, a))
			return true;
	return false;
}

/* The destination to judge and block: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) as the IPv4 address it is. */
static struct netaddr
destination(const struct alert *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct netaddr d = a->dst;

	if (d.family == 6 && memcmp(d.a, mapped, sizeof(mapped)) == 0)
		d.family = 4;
	return d;
}

/* On contain.never, an IPv4 address also as an entry written
 * ::ffff:a.b.c.d (the same bytes as IPv6). */
static bool
on_never(const struct config *cfg, const struct netaddr *d)
{
	struct netaddr as6 = *d;

	if (netset_contains(&cfg->contain_never, d))
		return true;
	as6.family = 6;
	return d->family == 4 && netset_contains(&cfg->contain_never, &as6);
}

/* Why destination d of alert a is not blocked; NULL when it may be.
 * special: addresses no upload goes to, whatever networks.internal says. */
static const char *
never_reason(const struct config *cfg, const struct alert *a,
    const struct netaddr *d, bool familiar)
{
	if (!netaddr_is_set(d))
		return "unknown";
	if (on_never(cfg, d))
		return "never";
	if (netaddr_is_loopback(d) || netaddr_is_never_destination(d))
		return "special";
	if (config_is_internal(cfg, d))
		return "internal";
	if (is_proxy(cfg, d))
		return "proxy";
	if (config_is_home(cfg, a->dst_country))
		return "home";
	if (familiar)
		return "familiar";
	return NULL;
}

/* ---- the rate limit ---- */

/* A token for one block or run: false when the minute's are spent. */
static bool
take_token(struct contain *c, uint64_t now)
{
	double per_ns = (double)c->cfg->contain_max_per_minute / 60e9;
	double cap = (double)c->cfg->contain_max_per_minute;

	if (now > c->refilled_ns) {
		c->tokens += (double)(now - c->refilled_ns) * per_ns;
		if (c->tokens > cap)
			c->tokens = cap;
	}
	c->refilled_ns = now;
	if (c->tokens < 1)
		return false;
	c->tokens -= 1;
	return true;
}

/* Room in this minute's hook time for one more run at its time limit. */
static bool
hook_time_left(struct contain *c, uint64_t now)
{
	if (now < c->hook_minute_ns || now - c->hook_minute_ns >= 60 * NS_PER_SEC) {
		c->hook_minute_ns = now;
		c->hook_busy_ns = 0;
	}
	return c->hook_busy_ns + c->cfg->contain_exec_timeout_s * NS_PER_SEC <=
	    HOOK_BUDGET_NS;
}

/* Why the alert is not acted on now ("over contain.max_per_minute" ...);
 * NULL when a block or run may go, its token taken. */
static const char *
over_limit(struct contain *c, uint64_t now)
{
	if (c->cfg->contain_exec != NULL && !hook_time_left(c, now))
		return "hooks ran 20 s of the last minute";
	if (!take_token(c, now))
		return "over contain.max_per_minute";
	return NULL;
}

/* ---- catch and release ---- */

/* The address's entry; NULL when it was never blocked (or forgotten). */
static struct blocked *
history_find(struct contain *c, const struct netaddr *a)
{
	size_t i;

	for (i = 0; i < CONTAIN_HISTORY; i++)
		if (c->history[i].addr.family != 0 &&
		    netaddr_eq(&c->history[i].addr, a))
			return &c->history[i];
	return NULL;
}

/* Its earlier blocks that count: none once its last block ended more
 * than max_timeout ago (it starts again from contain.timeout). */
static uint32_t
history_blocks(const struct contain *c, const struct blocked *b, uint64_t now)
{
	uint64_t forget = c->cfg->contain_max_timeout_s * NS_PER_SEC;

	if (b == NULL || (now > b->until_ns && now - b->until_ns > forget))
		return 0;
	return b->blocks;
}

/* A slot for a new address: a free one, else the least recently blocked
 * of those whose block ended, else the least recently blocked. */
static struct blocked *
history_slot(struct contain *c, uint64_t now)
{
	struct blocked *b, *ended = NULL, *oldest = NULL;
	size_t i;

	for (i = 0; i < CONTAIN_HISTORY; i++) {
		b = &c->history[i];
		if (b->addr.family == 0)
			return b;
		if (b->until_ns <= now &&
		    (ended == NULL || b->last_ns < ended->last_ns))
			ended = b;
		if (oldest == NULL || b->last_ns < oldest->last_ns)
			oldest = b;
	}
	return ended != NULL ? ended : oldest;
}

/* ---- acting ---- */

static void
skipped(struct contain *c, struct alert *a, const char *reason)
{
	snprintf(a->contained, sizeof(a->contained), "skipped (%s)", reason);
	if (strcmp(reason, "error") == 0)
		c->stats.errors++;
	else
		c->stats.skipped++;
}

static const char *
nft_set_of(const struct config *cfg, const struct netaddr *d)
{
	return d->family == 4 ? cfg->contain_nft_set : cfg->contain_nft_set6;
}

static void
say_until(struct alert *a, const char *set, uint64_t until_wall_ns)
{
	char when[RFC3339_LEN];

	format_rfc3339_ms(until_wall_ns, when);
	snprintf(a->contained, sizeof(a->contained), "nft set %s until %s", set,
	    when);
}

/* d's block has not ended: the alert says that block (nothing added:
 * the element is still in the set with its timeout). */
static bool
still_blocked(struct contain *c, struct alert *a, const struct netaddr *d,
    uint64_t now)
{
	const struct blocked *b = history_find(c, d);

	if (b == NULL || now >= b->until_ns)
		return false;
	say_until(a, nft_set_of(c->cfg, d), b->until_wall_ns);
	return true;
}

/* Noted after the element was added: its entry (taken now if new). */
static const struct blocked *
note_block(struct contain *c, struct blocked *b, const struct netaddr *d,
    uint32_t blocks, uint64_t now, uint64_t t)
{
	if (b == NULL) {
		b = history_slot(c, now);
		memset(b, 0, sizeof(*b));
		b->addr = *d;
	}
	b->blocks = blocks + 1;
	b->last_ns = now;
	b->until_ns = now + t * NS_PER_SEC;
	b->until_wall_ns = c->ops.now_ns(c->ops.ctx) + t * NS_PER_SEC;
	return b;
}

static void
block_nft(struct contain *c, struct alert *a, const struct netaddr *d,
    uint64_t now)
{
	const struct config *cfg = c->cfg;
	const char *set = nft_set_of(cfg, d);
	struct blocked *b = history_find(c, d);
	uint32_t blocks = history_blocks(c, b, now);
	uint64_t t = contain_timeout_s(cfg->contain_timeout_s,
	    cfg->contain_max_timeout_s, blocks), t0;
	char addr[NETADDR_STRLEN], err[256];

	netaddr_format(d, addr, sizeof(addr));
	t0 = c->ops.mono_ns(c->ops.ctx);
	if (c->ops.nft_add(c->ops.ctx, cfg->contain_nft_family,
	    cfg->contain_nft_table, set, d, t * 1000, err,
	    sizeof(err)) != 0) {
		log_warnx("contain: nft set %s add %s: %s (alert %s)", set, addr,
		    err, a->id);
		skipped(c, a, "error");
		return;
	}
	log_info("contain: nft set %s add %s timeout %llus in %.3f ms "
	    "(block %u of the address, alert %s)", set, addr,
	    (unsigned long long)t,
	    (double)(c->ops.mono_ns(c->ops.ctx) - t0) / 1e6, blocks + 1, a->id);
	say_until(a, set, note_block(c, b, d, blocks, now, t)->until_wall_ns);
	c->stats.blocked++;
}

/* The hook's first lines, each quoted (escaped) for the log. */
static void
log_hook(const char *path, const struct hook_result *r, const char *id)
{
	char lines[OUTPUT_LINES_LOGGED][QUOTE_BUF], how[48];
	struct cursor all, line;
	size_t i, n = 0, nl;

	cur_init(&all, (const uint8_t *)r->output, r->output_len);
	for (i = 0; i < OUTPUT_LINES_LOGGED && cur_left(&all) > 0; i++) {
		nl = cur_find(&all, '\n');
		line = cur_sub(&all, nl);
		quote_bytes(&line, lines[n++], sizeof(lines[0]));
		cur_skip(&all, cur_left(&all) > 0 ? 1 : 0);
	}
	if (r->timed_out)
		snprintf(how, sizeof(how), "killed at the time limit");
	else if (r->signal != 0)
		snprintf(how, sizeof(how), "ended by signal %d", r->signal);
	else
		snprintf(how, sizeof(how), "exit %d", r->exit_status);
	log_info("contain: exec %s %s (alert %s)%s%s%s%s", path, how, id,
	    n > 0 ? ": " : "", n > 0 ? lines[0] : "", n > 1 ? " " : "",
	    n > 1 ? lines[1] : "");
}

static void
block_exec(struct contain *c, struct alert *a)
{
	const char *path = c->cfg->contain_exec;
	char json[CONTAIN_JSON_MAX], err[256];
	struct hook_result r;
	struct strbuf sb;
	uint64_t t0, t1;
	size_t n;
	int rc;

	sb_init(&sb, json, sizeof(json));
	if (!alert_format_json(a, &sb) || (sb_putc(&sb, '\n'), sb.overflow)) {
		log_warnx("contain: alert %s: its JSON does not fit", a->id);
		skipped(c, a, "error");
		return;
	}
	t0 = c->ops.mono_ns(c->ops.ctx);
	rc = c->ops.exec(c->ops.ctx, path, json, sb.len,
	    c->cfg->contain_exec_timeout_s * 1000, &r, err, sizeof(err));
	t1 = c->ops.mono_ns(c->ops.ctx);
	c->hook_busy_ns += t1 > t0 ? t1 - t0 : 0;
	if (rc != 0) {
		log_warnx("contain: exec %s (alert %s)", err, a->id);
		skipped(c, a, "error");
		return;
	}
	log_hook(path, &r, a->id);
	if (r.exit_status < 0) {
		skipped(c, a, "error");
		return;
	}
	/* "exec PATH exit N", a long path cut to leave room for the rest */
	n = strlen(path);
	sb_init(&sb, a->contained, sizeof(a->contained));
	sb_puts(&sb, "exec ");
	sb_append(&sb, path, n < CONTAINED_PATH_MAX ? n : CONTAINED_PATH_MAX);
	sb_printf(&sb, " exit %d", r.exit_status);
	if (r.exit_status == 0)
		c->stats.blocked++;
	else
		c->stats.errors++;
}

void
contain_alert(struct contain *c, struct alert *a, bool familiar)
{
	int rule = rules_index(a->rule);
	struct netaddr d = destination(a);
	const char *why;
	uint64_t now;

	if (!c->cfg->contain_enabled) /* turned off by a reload */
		return;
	if (rule < 0 || !(c->cfg->contain_rules & (1u << rule)))
		return;
	if ((why = never_reason(c->cfg, a, &d, familiar)) != NULL) {
		skipped(c, a, why);
		return;
	}
	now = c->ops.mono_ns(c->ops.ctx);
	if (c->cfg->contain_exec == NULL && still_blocked(c, a, &d, now))
		return;
	if ((why = over_limit(c, now)) != NULL) {
		log_warnx("contain: %s: alert %s not acted on", why, a->id);
		c->stats.rate_limited++;
		skipped(c, a, "rate-limited");
		return;
	}
	if (c->cfg->contain_exec != NULL)
		block_exec(c, a);
	else
		block_nft(c, a, &d, now);
}
