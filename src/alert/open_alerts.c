/*
 * open_alerts.c - the alerts whose pair is still followed, closed with an
 * alert-update record (open_alerts.h). A plain array kept in the order the
 * alerts came: small (rules.suppress bounds how long an entry stays) and
 * walked only by the timer.
 */
#include <stdlib.h>
#include <string.h>

#include "exfild/alert/open_alerts.h"
#include "exfild/util/util.h"

struct open_entry {
	struct alert a;       /* the alert; its totals are the last noted */
	char sensor[ALERT_HOST_MAX]; /* a.sensor's copy: a reload frees the
				      * config that named it (a.sensor is
				      * pointed here when written: entries move) */
	uint32_t pair_id, pair_gen;
	uint64_t until_ns;
};

struct open_alerts {
	struct open_entry *v;
	size_t n, cap;
	open_alerts_totals_fn totals;
	open_alerts_emit_fn emit;
	void *ctx;
};

struct open_alerts *
open_alerts_new(size_t capacity, open_alerts_totals_fn tf,
    open_alerts_emit_fn ef, void *ctx)
{
	struct open_alerts *t;

	if (capacity == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->v = calloc(capacity, sizeof(*t->v))) == NULL) {
		free(t);
		return NULL;
	}
	t->cap = capacity;
	t->totals = tf;
	t->emit = ef;
	t->ctx = ctx;
	return t;
}

void
open_alerts_free(struct open_alerts *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

uint64_t
open_alerts_bytes(size_t capacity)
{
	return sizeof(struct open_alerts) +
	    (uint64_t)capacity * sizeof(struct open_entry);
}

size_t
open_alerts_count(const struct open_alerts *t)
{
	return t->n;
}

static void
note_totals(struct alert *a, const struct alert_totals *s)
{
	a->bytes_out = s->bytes_out;
	a->bytes_in = s->bytes_in;
	a->flows = s->flows;
	memcpy(a->payload, s->payload, sizeof(a->payload));
	a->records_low = s->records_low;
	a->records_high = s->records_high;
	a->last_seen_ns = s->last_ns;
}

/* Writes entry i's update and removes it (the order of the rest kept). */
static void
close_entry(struct open_alerts *t, size_t i, uint64_t now_ns,
    const char *reason)
{
	struct alert *a = &t->v[i].a;

	a->kind = ALERT_KIND_UPDATE;
	a->sensor = t->v[i].sensor;
	a->ts_ns = now_ns;
	a->update_reason = reason;
	t->emit(t->ctx, a);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

/* Notes entry i's totals; false when its pair is gone. */
static bool
refresh(struct open_alerts *t, size_t i)
{
	struct alert_totals s;

	if (!t->totals(t->ctx, t->v[i].pair_id, t->v[i].pair_gen, &s))
		return false;
	note_totals(&t->v[i].a, &s);
	return true;
}

void
open_alerts_add(struct open_alerts *t, const struct alert *a,
    uint32_t pair_id, uint32_t pair_gen, uint64_t until_ns, uint64_t now_ns)
{
	struct open_entry *e;

	if (t->n == t->cap)
		close_entry(t, 0, now_ns, refresh(t, 0) ? "table_full" :
		    "pair_evicted");
	e = &t->v[t->n++];
	e->a = *a;
	str_copy(e->sensor, a->sensor != NULL ? a->sensor : "", sizeof(e->sensor));
	e->a.sensor = NULL;
	/* what made the alert fire is the alert's, not its update's */
	memset(&e->a.finding, 0, sizeof(e->a.finding));
	e->a.proto = 0;
	e->a.src_port = 0;
	e->a.community_id[0] = '\0';
	e->a.uid[0] = '\0';
	e->a.http_method[0] = '\0';
	e->a.http_uri[0] = '\0';
	e->a.http_user_agent[0] = '\0';
	e->a.http_filename[0] = '\0';
	e->a.tunnel_connect = false;
	e->a.last_seen_ns = a->ts_ns;
	e->pair_id = pair_id;
	e->pair_gen = pair_gen;
	e->until_ns = until_ns;
}

size_t
open_alerts_check(struct open_alerts *t, uint64_t now_ns)
{
	size_t i = 0, closed = 0;

	while (i < t->n) {
		if (!refresh(t, i))
			close_entry(t, i, now_ns, "pair_evicted");
		else if (now_ns >= t->v[i].until_ns)
			close_entry(t, i, now_ns, "suppress_end");
		else {
			i++;
			continue;
		}
		closed++;
	}
	return closed;
}

size_t
open_alerts_close_all(struct open_alerts *t, uint64_t now_ns)
{
	size_t closed = t->n;

	while (t->n > 0)
		close_entry(t, 0, now_ns, refresh(t, 0) ? "end_of_input" :
		    "pair_evicted");
	return closed;
}
