/*
 * nft.h - adding an address to an nftables set with a timeout, over the
 * kernel's nf_tables netlink (NETLINK_NETFILTER): one batch with one
 * NFT_MSG_NEWSETELEM, its ACK or error read back. Needs CAP_NET_ADMIN in
 * the network namespace; no program is run.
 */
#ifndef EXFILD_CONTAIN_NFT_H
#define EXFILD_CONTAIN_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "exfild/util/netaddr.h"

struct nft_conn; /* opaque: the socket and its sequence numbers */

/* NULL with "nft: ..." in err when the socket cannot be made. */
struct nft_conn *nft_open(char *err, size_t errlen);
void nft_close(struct nft_conn *n);

/* The NFPROTO_* of a table family ("inet"); -1 when unknown. */
int nft_family(const char *name);

/*
 * The batch that adds addr (an IPv4 address as 4 bytes, IPv6 as 16) to
 * set of table (family: NFPROTO_*) with a timeout in ms, into buf:
 * BATCH_BEGIN, NEWSETELEM (NLM_F_CREATE | NLM_F_ACK, sequence seq),
 * BATCH_END. Its length, or 0 when it does not fit.
 */
size_t nft_build_add(uint8_t *buf, size_t cap, uint32_t seq, int family,
    const char *table, const char *set, const struct netaddr *addr,
    uint64_t timeout_ms);

/*
 * The answer to the batch of nft_build_add(seq) in one datagram d: 1 when
 * found, *error the kernel's errno (0: the ACK of the add), 0 when not
 * there, -1 when malformed. An error for any message of the batch (BEGIN
 * seq - 1, the add, END seq + 1: EPERM, a bad res_id) is its answer.
 * Each message is read within its nlmsg_len; an error code must be 0 or
 * -1..-4095.
 */
int nft_find_answer(const uint8_t *d, size_t len, uint32_t seq, int *error);

/* Adds the element and waits (1 s at most in all) for the kernel's
 * answer: 0, or -1 with "nft: ..." (the kernel's errno, "timed out", a
 * reply cut) in err. The socket is connected to the kernel. An element
 * already there is kept as it is (its timeout is not renewed). */
int nft_add_element(struct nft_conn *n, const char *family, const char *table,
    const char *set, const struct netaddr *addr, uint64_t timeout_ms,
    char *err, size_t errlen);

#endif
