/*
 * community_id.h - the Community ID v1 flow hash (corelight
 * community-id-spec), the join key Zeek, Suricata, Arkime and Elastic
 * write: "1:" + base64(SHA-1(seed, the flow's endpoints, protocol)).
 * Worked out when an alert is made, never per packet.
 */
#ifndef EXFILD_COMMUNITY_ID_H
#define EXFILD_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

/* "1:" + 28 base64 characters + NUL */
#define COMMUNITY_ID_LEN 31

/*
 * The id of the flow between (saddr, sport) and (daddr, dport) over IP
 * protocol proto, either direction alike: the hash input is
 *   seed (2 bytes, BE), the smaller endpoint's address, the other's (4
 *   bytes for IPv4, 16 for IPv6), proto, a zero byte, then their ports
 *   (2 bytes BE each)
 * where the smaller endpoint is the one with the smaller address, or with
 * equal addresses the smaller port (the spec's ordering). Ports are hashed
 * for protocols that have them (TCP 6, UDP 17, SCTP 132); for others
 * they are left out. Both addresses must be of one family: -1 (out "")
 * otherwise, else 0.
 */
int community_id(uint16_t seed, const struct netaddr *saddr,
    const struct netaddr *daddr, uint8_t proto, uint16_t sport,
    uint16_t dport, char out[COMMUNITY_ID_LEN]);

#endif
