/*
 * open_alerts.h - alerts whose pair is still followed, for the
 * alert-update records: a fixed table of (alert, pair slot and
 * generation, end of suppression). Checked from the timer, never per
 * packet: an alert is closed with one update (same id, "kind":"update",
 * the pair's totals) when its suppression ends, its pair is gone (evicted:
 * the totals of the last check), at the end of the input, or when the
 * table is full and a newer alert needs its entry (the oldest goes).
 */
#ifndef EXFILD_OPEN_ALERTS_H
#define EXFILD_OPEN_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exfild/alert/alert.h"

/* A pair's totals since first seen (track/agg.h), as an update writes them. */
struct alert_totals {
	uint64_t bytes_out, bytes_in, flows;
	uint64_t payload[PK_COUNT];
	uint64_t records_low, records_high;
	uint64_t last_ns;
};

/* Fills t for the pair in slot id with generation gen; false: it is gone. */
typedef bool (*open_alerts_totals_fn)(void *ctx, uint32_t id, uint32_t gen,
    struct alert_totals *t);
/* An update to write (the alert struct with kind ALERT_KIND_UPDATE). */
typedef void (*open_alerts_emit_fn)(void *ctx, const struct alert *update);

struct open_alerts;
/* NULL when it cannot be allocated. */
struct open_alerts *open_alerts_new(size_t capacity, open_alerts_totals_fn tf,
    open_alerts_emit_fn ef, void *ctx);
void open_alerts_free(struct open_alerts *t);
/* The bytes open_alerts_new allocates for capacity entries. */
uint64_t open_alerts_bytes(size_t capacity);

/* Remembers alert a of the pair (id, gen) until until_ns, when its
 * suppression ends. A full table closes its oldest entry first (ts now_ns,
 * "table_full"). */
void open_alerts_add(struct open_alerts *t, const struct alert *a,
    uint32_t pair_id, uint32_t pair_gen, uint64_t until_ns, uint64_t now_ns);
/* Closes, with an update at now_ns, every entry whose suppression has
 * ended by now_ns or whose pair is gone; the others' totals are noted (an
 * evicted pair's update has those). Returns the updates written. */
size_t open_alerts_check(struct open_alerts *t, uint64_t now_ns);
/* End of input: closes every entry ("end_of_input"; "pair_evicted" when
 * its pair is gone). */
size_t open_alerts_close_all(struct open_alerts *t, uint64_t now_ns);
size_t open_alerts_count(const struct open_alerts *t);

#endif
