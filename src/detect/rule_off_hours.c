/*
 * rule_off_hours.c - off-hours: an internal host sends at least `bytes` to
 * one unfamiliar foreign destination outside working time (`work`, read in
 * the IANA zone `tz`) within one off-hours spell (from the end of a working
 * range to the start of the next). The bytes are the growth of the pair's
 * bytes out between two evaluations (byte milestones and the timer),
 * placed at the later one. The zone is read from the system's tzdata
 * (RFC 8536, TZif) into a per-process table at config load: converting a
 * time needs no setenv/tzset.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exfild/detect/describe.h"
#include "exfild/detect/finding.h"
#include "exfild/detect/rule.h"
#include "exfild/track/agg.h"
#include "exfild/track/baseline.h"
#include "exfild/util/cursor.h"

#ifndef OFF_HOURS_ZONEINFO
#define OFF_HOURS_ZONEINFO "/usr/share/zoneinfo"
#endif
#define TZ_NAME_MAX    64   /* bytes of a zone name, NUL included */
#define TZ_ZONES       16   /* zones loaded per process, reloads included */
#define TZ_TRANS       128  /* transitions kept per zone: the latest ones */
#define TZ_KEEP_UNTIL  2208988800LL /* 2040-01-01 UTC: later ones are dropped */
#define TZ_SLIM_BEFORE 1893456000LL /* 2030-01-01: a DST zone whose table ends
				     * earlier keeps its rule in the footer */
#define TZ_FILE_MAX    (64 * 1024)
#define TZ_OFF_MIN     (-89999) /* RFC 8536 3.2: offsets within -25h..+26h */
#define TZ_OFF_MAX     93599
#define WORK_MAX       16   /* ranges in `work` */
#define DAY_S          86400
#define DAY_MIN        1440
#define WEEK_MIN       (7 * DAY_MIN)
#define MILESTONE      (64 * 1024) /* bytes out between evaluations, at most */
#define NO_SPELL       INT64_MIN /* no working time at all: one endless spell */

/* A zone: UTC offsets from each kept transition on. */
struct tz_zone {
	char name[TZ_NAME_MAX];
	int32_t off0;           /* before the first kept transition */
	uint32_t n;
	int64_t at[TZ_TRANS];   /* UTC seconds, ascending */
	int32_t off[TZ_TRANS];  /* seconds east of UTC from at[i] on */
};

/* Zones are only added (a zone named again is reused), so the settings of
 * a configuration still in use stay valid across a reload. */
static struct tz_zone zones[TZ_ZONES];
static size_t n_zones;

/* Working time: days (bit 0 Monday .. bit 6 Sunday), minutes [start, end). */
struct work_range {
	uint16_t start, end;
	uint8_t days;
};

struct off_hours_conf {
	struct rule_base base;
	uint64_t bytes;
	uint8_t zone;           /* index in zones[] */
	uint8_t n_work;
	struct work_range work[WORK_MAX];
};

_Static_assert(sizeof(struct off_hours_conf) <= RULE_CONF_MAX,
    "off_hours settings fit a rule's slot");

/* Per pair (32 bytes): what was counted, where the spell began, and the
 * UTC minute last placed (working time and spells change on whole minutes:
 * the packets of one minute need no new look-up). */
struct off_hours_state {
	uint64_t seen_out;      /* the pair's total_out at the last evaluation */
	uint64_t spell_bytes;   /* sent off-hours in the current spell */
	int64_t spell_local;    /* the spell's start, local seconds */
	uint32_t minute;        /* UTC minute placed last, plus 1 (0: none) */
	bool working;           /* that minute is working time */
};

static const char *const day_names[7] = {
	"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"
};

static const char *const attack[] = { "T1029", "T1041", NULL };

/* ---- TZif (RFC 8536) ---- */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

/* A header (3.1); version 0 for a version 1 file. */
static void
tzif_header(struct cursor *c, struct tzif_counts *n, uint8_t *version)
{
	const uint8_t *h = cur_ptr(c, 20);

	if (h == NULL || memcmp(h, "TZif", 4) != 0 ||
	    (h[4] != 0 && h[4] < '2'))
		return cur_fail(c);
	*version = h[4];
	n->isut = cur_be32(c);
	n->isstd = cur_be32(c);
	n->leap = cur_be32(c);
	n->time = cur_be32(c);
	n->type = cur_be32(c);
	n->chars = cur_be32(c);
	if (n->type == 0 || n->type > 256 || n->chars == 0 ||
	    (n->isut != 0 && n->isut != n->type) ||
	    (n->isstd != 0 && n->isstd != n->type) ||
	    n->time > TZ_FILE_MAX || n->leap > TZ_FILE_MAX)
		cur_fail(c);
}

static int64_t
tzif_time(struct cursor *c, size_t tsize)
{
	uint64_t hi;

	if (tsize == 4)
		return (int32_t)cur_be32(c);
	hi = cur_be32(c);
	return (int64_t)(hi << 32 | cur_be32(c));
}

/* The UTC offset of local time type i (6 bytes each). */
static int32_t
tzif_offset(struct cursor types, uint32_t i)
{
	cur_skip(&types, (size_t)i * 6);
	return (int32_t)cur_be32(&types);
}

/* Every type's offset is plausible. */
static bool
tzif_types_ok(struct cursor types, uint32_t n)
{
	uint32_t i;
	int32_t off;

	for (i = 0; i < n; i++) {
		off = (int32_t)cur_be32(&types);
		cur_skip(&types, 2);
		if (off < TZ_OFF_MIN || off > TZ_OFF_MAX)
			return false;
	}
	return !types.err;
}

/* Transitions ascend and name existing types: how many are before
 * TZ_KEEP_UNTIL, or -1. */
static int64_t
tzif_count(struct cursor times, struct cursor idx, size_t tsize, uint32_t n,
    uint32_t types)
{
	int64_t at, prev = INT64_MIN, keep = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		at = tzif_time(&times, tsize);
		if ((i > 0 && at <= prev) || cur_u8(&idx) >= types)
			return -1;
		prev = at;
		keep += at < TZ_KEEP_UNTIL;
	}
	return times.err || idx.err ? -1 : keep;
}

/* The latest TZ_TRANS of the first keep transitions; off0 the offset
 * before them (type 0 before the first transition, 3.2). */
static void
tzif_keep(struct cursor times, struct cursor idx, struct cursor types,
    size_t tsize, uint32_t keep, struct tz_zone *z)
{
	uint32_t i, skip = keep > TZ_TRANS ? keep - TZ_TRANS : 0;
	int64_t at;
	int32_t off;

	z->off0 = tzif_offset(types, 0);
	z->n = 0;
	for (i = 0; i < keep; i++) {
		at = tzif_time(&times, tsize);
		off = tzif_offset(types, cur_u8(&idx));
		if (i < skip) {
			z->off0 = off;
			continue;
		}
		z->at[z->n] = at;
		z->off[z->n++] = off;
	}
}

/* A data block (3.2) with times of tsize bytes into z; c ends after it. */
static void
tzif_block(struct cursor *c, const struct tzif_counts *n, size_t tsize,
    struct tz_zone *z)
{
	struct cursor times, idx, types;
	int64_t keep;

	times = cur_sub(c, (size_t)n->time * tsize);
	idx = cur_sub(c, n->time);
	types = cur_sub(c, (size_t)n->type * 6);
	cur_skip(c, n->chars);
	cur_skip(c, (size_t)n->leap * (tsize + 4));
	cur_skip(c, (size_t)n->isstd + n->isut);
	if (c->err || !tzif_types_ok(types, n->type) ||
	    (keep = tzif_count(times, idx, tsize, n->time, n->type)) < 0)
		return cur_fail(c);
	tzif_keep(times, idx, types, tsize, (uint32_t)keep, z);
}

/* The footer (3.3) holds a DST rule (a ',') that the table does not
 * carry up to TZ_SLIM_BEFORE: a "slim" file, whose later changes would
 * need the footer's POSIX TZ rule (not read here). */
static bool
tzif_slim(struct cursor *c, const struct tz_zone *z)
{
	const uint8_t *rest = cur_rest(c);
	size_t len = cur_left(c);

	if (rest == NULL || rest[0] != '\n' || memchr(rest, ',', len) == NULL)
		return false;
	return z->n == 0 || z->at[z->n - 1] < TZ_SLIM_BEFORE;
}

/* Reads a TZif file's transitions into z (name untouched). 0, or -1 with
 * *why. */
static int
tzif_parse(const uint8_t *p, size_t len, struct tz_zone *z, const char **why)
{
	struct tzif_counts n;
	struct cursor c;
	uint8_t version = 0, v2;
	size_t tsize = 4;

	cur_init(&c, p, len);
	tzif_header(&c, &n, &version);
	if (!c.err && version != 0) {
		/* skip the version 1 block: the second header and 64-bit times */
		tzif_block(&c, &n, 4, z);
		tzif_header(&c, &n, &v2);
		tsize = 8;
	}
	if (!c.err)
		tzif_block(&c, &n, tsize, z);
	if (c.err) {
		*why = "not a valid TZif file";
		return -1;
	}
	if (version != 0 && tzif_slim(&c, z)) {
		*why = "tzdata built slim (DST rules only in the footer): not supported";
		return -1;
	}
	return 0;
}

/* ---- zones ---- */

/* An IANA name: letters, digits and "/_+-", no "..", no leading '/'. */
static bool
zone_name_ok(const char *name)
{
	const char *s;

	if (name[0] == '\0' || name[0] == '/' || name[0] == '-' ||
	    strlen(name) >= TZ_NAME_MAX || strstr(name, "..") != NULL)
		return false;
	for (s = name; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("/_+-", *s) == NULL)
			return false;
	return true;
}

/* The file's bytes into buf: its length, or -1. */
static long
zone_read(const char *name, uint8_t *buf, size_t cap)
{
	char path[sizeof(OFF_HOURS_ZONEINFO) + TZ_NAME_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", OFF_HOURS_ZONEINFO, name);
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	n = fread(buf, 1, cap, f);
	if (ferror(f) || n == cap)
		n = 0; /* a directory, or too large for a zone */
	fclose(f);
	return n > 0 ? (long)n : -1;
}

/* Loads a zone (or finds it loaded): its index, or -1 with why. */
static int
zone_load(const char *name, char *why, size_t whylen)
{
	static struct tz_zone z;
	const char *reason = "unknown time zone";
	uint8_t *buf;
	long len;
	size_t i;

	for (i = 0; i < n_zones; i++)
		if (strcmp(zones[i].name, name) == 0)
			return (int)i;
	if (!zone_name_ok(name)) {
		snprintf(why, whylen, "not an IANA time zone name");
		return -1;
	}
	if ((buf = malloc(TZ_FILE_MAX)) == NULL)
		fatalx("off_hours: out of memory");
	len = zone_read(name, buf, TZ_FILE_MAX);
	if (len < 0 || tzif_parse(buf, (size_t)len, &z, &reason) != 0) {
		free(buf);
		snprintf(why, whylen, "%s (%s/%s)", reason, OFF_HOURS_ZONEINFO, name);
		return -1;
	}
	free(buf);
	if (n_zones == TZ_ZONES) {
		snprintf(why, whylen, "more than %d time zones loaded", TZ_ZONES);
		return -1;
	}
	snprintf(z.name, sizeof(z.name), "%s", name);
	zones[n_zones] = z;
	return (int)n_zones++;
}

/* The index of the first transition after UTC time t (z->n: none). */
static uint32_t
zone_after(const struct tz_zone *z, int64_t t)
{
	uint32_t lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Seconds east of UTC at UTC time t. */
static int32_t
zone_offset(const struct tz_zone *z, int64_t t)
{
	uint32_t i = zone_after(z, t);

	return i == 0 ? z->off0 : z->off[i - 1];
}

/* The UTC time of the first transition after t; INT64_MAX when none. */
static int64_t
zone_next(const struct tz_zone *z, int64_t t)
{
	uint32_t i = zone_after(z, t);

	return i < z->n ? z->at[i] : INT64_MAX;
}

/* ---- settings ---- */

static int
parse_tz(void *conf, const char *key, const char *text, char *why, size_t whylen)
{
	struct off_hours_conf *c = conf;
	int i;

	(void)key;
	if (text == NULL) {
		c->zone = 0;
		return 0;
	}
	if ((i = zone_load(text, why, whylen)) < 0)
		return -1;
	c->zone = (uint8_t)i;
	return 0;
}

/* A day name at *s (any case): 0 (Mon) .. 6, or -1. */
static int
parse_day(const char **s)
{
	int d;

	for (d = 0; d < 7; d++) {
		if (tolower((unsigned char)(*s)[0]) == tolower(day_names[d][0]) &&
		    tolower((unsigned char)(*s)[1]) == day_names[d][1] &&
		    tolower((unsigned char)(*s)[2]) == day_names[d][2] &&
		    !isalpha((unsigned char)(*s)[3])) {
			*s += 3;
			return d;
		}
	}
	return -1;
}

/* "Mon" or "Mon-Fri" (a range may wrap: "Fri-Mon"): the days' bits. */
static int
parse_days(const char **s)
{
	int first, last, d, bits = 0;

	if ((first = last = parse_day(s)) < 0)
		return -1;
	if (**s == '-') {
		(*s)++;
		if ((last = parse_day(s)) < 0)
			return -1;
	}
	for (d = first;; d = (d + 1) % 7) {
		bits |= 1 << d;
		if (d == last)
			break;
	}
	return bits;
}

/* "HH:MM" (00:00 .. 24:00): minutes of the day, or -1. */
static int
parse_clock(const char **s)
{
	const char *p = *s;
	int h, m;

	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2] != ':' || !isdigit((unsigned char)p[3]) ||
	    !isdigit((unsigned char)p[4]))
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (m > 59 || h * 60 + m > DAY_MIN)
		return -1;
	*s += 5;
	return h * 60 + m;
}

/* One range of `work`: "Mon-Fri 08:00-20:00". */
static int
parse_work(void *conf, const char *key, const char *text, char *why,
    size_t whylen)
{
	struct off_hours_conf *c = conf;
	const char *s = text;
	int days, start, end;

	(void)key;
	if (text == NULL) {
		c->n_work = 0;
		return 0;
	}
	if ((days = parse_days(&s)) < 0) {
		snprintf(why, whylen, "days are Mon, Tue, Wed, Thu, Fri, Sat, Sun "
		    "or a range of them (Mon-Fri)");
		return -1;
	}
	while (*s == ' ')
		s++;
	start = parse_clock(&s);
	end = *s == '-' ? (s++, parse_clock(&s)) : -1;
	if (start < 0 || end < 0 || *s != '\0') {
		snprintf(why, whylen, "expected days and HH:MM-HH:MM, as "
		    "\"Mon-Fri 08:00-20:00\"");
		return -1;
	}
	if (end <= start) {
		snprintf(why, whylen, "the end must be after the start (a range "
		    "past midnight is two ranges, up to 24:00 and from 00:00)");
		return -1;
	}
	if (c->n_work == WORK_MAX) {
		snprintf(why, whylen, "at most %d ranges", WORK_MAX);
		return -1;
	}
	c->work[c->n_work++] = (struct work_range){ (uint16_t)start,
	    (uint16_t)end, (uint8_t)days };
	return 0;
}

static const struct rule_param params[] = {
	RULE_KEY_FN("tz", RULE_PARAM_TEXT, "Asia/Tokyo", parse_tz),
	RULE_KEY_FN("work", RULE_PARAM_LIST, "Mon-Fri 08:00-20:00", parse_work),
	RULE_KEY("bytes", RULE_PARAM_SIZE, struct off_hours_conf, bytes, "2MB"),
};

/* ---- local time ---- */

/* A local time, split. */
struct local {
	int64_t secs;           /* local seconds since the epoch */
	int64_t days;           /* since 1970-01-01 (a Thursday) */
	uint32_t week_min;      /* minutes since Monday 00:00 */
	uint32_t sec_of_min;
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
local_split(int64_t secs, struct local *out)
{
	int64_t sod;

	out->secs = secs;
	out->days = floor_div(secs, DAY_S);
	sod = secs - out->days * DAY_S;
	out->week_min = (uint32_t)(((out->days + 3) % 7 + 7) % 7 * DAY_MIN + sod / 60);
	out->sec_of_min = (uint32_t)(sod % 60);
}

/* Minutes from week minute w on to edge (a week minute), 1 .. WEEK_MIN. */
static uint32_t
minutes_to(uint32_t w, uint32_t edge)
{
	return (edge + WEEK_MIN - w - 1) % WEEK_MIN + 1;
}

/* Minutes from the latest end of working time to week minute w; -1 when
 * w is working time; WEEK_MIN when there is no working time. *until: the
 * minutes from w to the next start or end of a working range (WEEK_MIN
 * when there is none), when w may next change sides. */
static int32_t
since_work(const struct off_hours_conf *c, uint32_t w, uint32_t *until)
{
	uint32_t s, e, dist, best = WEEK_MIN;
	bool working = false;
	size_t i;
	int d;

	*until = WEEK_MIN;
	for (i = 0; i < c->n_work; i++) {
		for (d = 0; d < 7; d++) {
			if (!(c->work[i].days & (1 << d)))
				continue;
			s = (uint32_t)d * DAY_MIN + c->work[i].start;
			e = (uint32_t)d * DAY_MIN + c->work[i].end;
			working |= w >= s && w < e;
			dist = (w + WEEK_MIN - e) % WEEK_MIN;
			if (dist < best)
				best = dist;
			if (minutes_to(w, s) < *until)
				*until = minutes_to(w, s);
			if (minutes_to(w, e) < *until)
				*until = minutes_to(w, e);
		}
	}
	return working ? -1 : (int32_t)best;
}

/* "2024-06-01 03:12 Sat" (civil from days: H. Hinnant's algorithm). */
static void
local_format(int64_t secs, char *buf, size_t len)
{
	struct local l;
	int64_t z, era, doe, yoe, doy, mp, y, m, d;

	local_split(secs, &l);
	z = l.days + 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	snprintf(buf, len, "%04d-%02d-%02d %02u:%02u %.3s", (int)y, (int)m, (int)d,
	    (unsigned)(l.week_min % DAY_MIN / 60) % 100,
	    (unsigned)(l.week_min % 60) % 100, day_names[l.week_min / DAY_MIN]);
}

/* ---- the rule ---- */

static void
gate(const void *conf, struct rule_gate *out)
{
	const struct off_hours_conf *c = conf;

	out->unfamiliar_foreign_only = true;
	/* never per packet: asked at milestones (UINT64_MAX keeps the
	 * combined window gate of the other rules as it is) */
	out->min_window_out = UINT64_MAX;
	out->every_bytes_out = c->bytes < MILESTONE ? c->bytes : MILESTONE;
}

static void
describe(const struct rule_input *in, const struct off_hours_conf *c,
    const struct off_hours_state *st, int64_t now_local, struct finding *out)
{
	char now[64], since[64];
	struct rule_where w;

	describe_where(in, &w);
	local_format(now_local, now, sizeof(now));
	if (st->spell_local == NO_SPELL)
		snprintf(since, sizeof(since), "(no working time)");
	else
		local_format(st->spell_local, since, sizeof(since));
	finding_reason(out, "%s sent %llu bytes to %s (%s) outside working hours, "
	    "since %s (%s); local time %s", w.host,
	    (unsigned long long)st->spell_bytes, w.dst, w.cc, since,
	    zones[c->zone].name, now);
	finding_u64(out, "off_hours_bytes", st->spell_bytes);
	finding_str(out, "spell_start", since);
	finding_str(out, "local_time", now);
	finding_str(out, "tz", zones[c->zone].name);
}

/* Places UTC second t: working time, or the start of its spell (local
 * seconds) in *spell. */
static bool
place(const struct off_hours_conf *c, int64_t t, int64_t *spell)
{
	struct local l;
	uint32_t until;
	int32_t since;

	local_split(t + zone_offset(&zones[c->zone], t), &l);
	if ((since = since_work(c, l.week_min, &until)) < 0)
		return true;
	*spell = since == WEEK_MIN ? NO_SPELL :
	    l.secs - l.sec_of_min - (int64_t)since * 60;
	return false;
}

static bool
match(const struct rule_input *in, const void *conf,
    const struct rule_state *state, struct finding *out)
{
	const struct off_hours_conf *c = conf;
	struct off_hours_state *st = state->at[RULE_SCOPE_PAIR];
	int64_t t = (int64_t)(in->ts_ns / NS_PER_SEC), spell = st->spell_local;
	uint32_t minute = (uint32_t)(t / 60) + 1;
	uint64_t grown;

	if (in->pair->total_out <= st->seen_out)
		return false; /* nothing new (the timer, a fresh slot) */
	grown = in->pair->total_out - st->seen_out;
	st->seen_out = in->pair->total_out;
	if (minute != st->minute) {
		st->minute = minute;
		st->working = place(c, t, &spell);
	}
	if (st->working)
		return false;
	if (spell != st->spell_local) {
		st->spell_local = spell;
		st->spell_bytes = 0;
	}
	st->spell_bytes += grown;
	if (st->spell_bytes < c->bytes)
		return false;
	describe(in, c, st, t + zone_offset(&zones[c->zone], t), out);
	finding_threshold(out, "rules.off_hours.bytes", c->bytes, st->spell_bytes);
	return true;
}

/* The report's shading: is UTC second t off-hours, and when may that
 * change next (the next edge of a working range, or of the zone's
 * offset)? No working time at all: nothing to shade (it is all off). */
static int64_t
spans(const void *conf, int64_t t, bool *in)
{
	const struct off_hours_conf *c = conf;
	struct local l;
	uint32_t until;
	int64_t edge, next;

	*in = false;
	if (c->n_work == 0)
		return INT64_MAX;
	local_split(t + zone_offset(&zones[c->zone], t), &l);
	*in = since_work(c, l.week_min, &until) >= 0;
	/* the local minute's start, in UTC, plus the minutes to the edge */
	edge = t - l.sec_of_min + (int64_t)until * 60;
	next = zone_next(&zones[c->zone], t);
	return next < edge ? next : edge;
}

/* Saved state: a boolean, and a spell start within a sane range of
 * seconds (or none). */
static bool
state_ok(enum rule_scope scope, const void *state)
{
	int64_t spell;

	(void)scope;
	memcpy(&spell, (const unsigned char *)state +
	    offsetof(struct off_hours_state, spell_local), sizeof(spell));
	return rule_state_bool_ok(state, offsetof(struct off_hours_state, working)) &&
	    (spell == NO_SPELL || (spell > -(INT64_C(1) << 40) &&
	    spell < (INT64_C(1) << 40)));
}

const struct rule_def rule_off_hours = {
	.name = "off-hours",
	.title = "Upload to an unfamiliar foreign destination outside working hours",
	.settings = { "off_hours", true, SEV_MEDIUM, params,
	    sizeof(params) / sizeof(params[0]), sizeof(struct off_hours_conf) },
	.attack = attack,
	.state_size = { [RULE_SCOPE_PAIR] = sizeof(struct off_hours_state) },
	.observes = RULE_ON_BYTES | RULE_ON_TICK, /* milestones and the timer */
	.gate = gate,
	.match = match,
	.state_ok = state_ok,
	.shade = "off-hours",
	.spans = spans,
};
