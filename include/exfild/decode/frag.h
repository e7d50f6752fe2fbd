/*
 * frag.h - IP fragments: the ports of a datagram's first fragment, kept so
 * that its later fragments (which carry no transport header) can be
 * counted for the same flow (RFC 791, RFC 8200 4.5). A direct-mapped table
 * of FRAG_SLOTS: a newer datagram overwrites an older one's slot.
 */
#ifndef EXFILD_DECODE_FRAG_H
#define EXFILD_DECODE_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "exfild/decode/decode.h"
#include "exfild/util/util.h"

#define FRAG_SLOTS 4096
#define FRAG_TIMEOUT_NS (60ULL * NS_PER_SEC) /* RFC 8200 4.5, RFC 791 */

struct fragtab;
struct fragtab *fragtab_new(const struct hash_key *key);
void fragtab_free(struct fragtab *t);
/* A first fragment: remember its ports for the fragments that follow. */
void frag_remember(struct fragtab *t, const struct packet *pkt);
/* A later fragment: its first fragment's protocol and ports, when that
 * was seen (same addresses and id, at most FRAG_TIMEOUT_NS before). */
bool frag_lookup(const struct fragtab *t, const struct packet *pkt,
    uint8_t *proto, uint16_t *sport, uint16_t *dport);

#endif
