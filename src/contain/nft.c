/*
 * nft.c - an element with a timeout added to an nftables set over
 * nf_tables netlink, as nft(8) does it through libnftnl, without either:
 * linux/netfilter/nfnetlink.h (the batch) and nf_tables.h (NEWSETELEM,
 * NFTA_SET_ELEM_LIST_*, NFTA_SET_ELEM_KEY/TIMEOUT, NFTA_DATA_VALUE).
 * The answer is read with the bounds-checked cursor.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <endian.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exfild/contain/nft.h"
#include "exfild/util/cursor.h"
#include "exfild/util/util.h"

#define NFT_BUF 1024
#define NFT_ANSWER_BUF 8192
#define NFT_WAIT_NS (1 * NS_PER_SEC) /* for the kernel's answer, in all */
#define NFT_ERRNO_MAX 4095            /* as the kernel's MAX_ERRNO */

struct nft_conn {
	int fd;
	uint32_t seq;
	uint32_t portid;
};

static const struct {
	const char *name;
	int proto;
} families[] = {
	{ "ip", NFPROTO_IPV4 }, { "ip6", NFPROTO_IPV6 }, { "inet", NFPROTO_INET },
	{ "bridge", NFPROTO_BRIDGE }, { "netdev", NFPROTO_NETDEV },
};

int
nft_family(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(families); i++)
		if (strcmp(name, families[i].name) == 0)
			return families[i].proto;
	return -1;
}

struct nft_conn *
nft_open(char *err, size_t errlen)
{
	struct sockaddr_nl sa, kernel = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct nft_conn *n;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd == -1) {
		snprintf(err, errlen, "nft: netlink socket: %s", strerror(errno));
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	/* connected to the kernel (port 0): nothing else can answer */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) == -1 ||
	    connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) == -1) {
		snprintf(err, errlen, "nft: netlink socket: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->fd = fd;
	n->portid = sa.nl_pid;
	n->seq = (uint32_t)clock_real_ns();
	return n;
}

void
nft_close(struct nft_conn *n)
{
	if (n == NULL)
		return;
	close(n->fd);
	free(n);
}

/* ---- building the batch ---- */

struct nlbuf {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

static void *
nl_reserve(struct nlbuf *b, size_t n)
{
	size_t need = NLMSG_ALIGN(n);
	void *at;

	if (b->full || b->cap - b->len < need) {
		b->full = true;
		return NULL;
	}
	at = b->p + b->len;
	memset(at, 0, need);
	b->len += need;
	return at;
}

/* A netlink message header with its nfgenmsg; its offset (the length is
 * set by nl_end). */
static size_t
nl_msg_start(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t family, uint16_t res_id)
{
	size_t at = b->len;
	struct nlmsghdr *h = nl_reserve(b, sizeof(*h));
	struct nfgenmsg *g = nl_reserve(b, sizeof(*g));

	if (h == NULL || g == NULL)
		return at;
	h->nlmsg_type = type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	h->nlmsg_seq = seq;
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htobe16(res_id);
	return at;
}

/* A message (nlmsg_len, 32 bits) or a nested attribute (nla_len, 16
 * bits) begun at `at` ends here: its length is set. */
static void
nl_end(struct nlbuf *b, size_t at, bool msg)
{
	uint32_t n = (uint32_t)(b->len - at);
	uint16_t n16 = (uint16_t)n;

	if (b->full)
		return;
	if (msg)
		memcpy(b->p + at + offsetof(struct nlmsghdr, nlmsg_len), &n,
		    sizeof(n));
	else
		memcpy(b->p + at + offsetof(struct nlattr, nla_len), &n16,
		    sizeof(n16));
}

static void
nl_attr(struct nlbuf *b, uint16_t type, const void *data, size_t n)
{
	struct nlattr *a = nl_reserve(b, NLA_HDRLEN + n);

	if (a == NULL)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + n);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, n);
}

static size_t
nl_nest_start(struct nlbuf *b, uint16_t type)
{
	size_t at = b->len;
	struct nlattr *a = nl_reserve(b, NLA_HDRLEN);

	if (a != NULL)
		a->nla_type = (uint16_t)(type | NLA_F_NESTED);
	return at;
}

static void
put_element(struct nlbuf *b, const struct netaddr *addr, uint64_t timeout_ms)
{
	size_t elems, elem, key;
	uint64_t be = htobe64(timeout_ms);

	elems = nl_nest_start(b, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = nl_nest_start(b, NFTA_LIST_ELEM);
	key = nl_nest_start(b, NFTA_SET_ELEM_KEY);
	if (addr->family == 4)
		nl_attr(b, NFTA_DATA_VALUE, addr->a + 12, 4);
	else
		nl_attr(b, NFTA_DATA_VALUE, addr->a, 16);
	nl_end(b, key, false);
	nl_attr(b, NFTA_SET_ELEM_TIMEOUT, &be, sizeof(be));
	nl_end(b, elem, false);
	nl_end(b, elems, false);
}

size_t
nft_build_add(uint8_t *buf, size_t cap, uint32_t seq, int family,
    const char *table, const char *set, const struct netaddr *addr,
    uint64_t timeout_ms)
{
	struct nlbuf b = { buf, cap, 0, false };
	size_t m;

	m = nl_msg_start(&b, NFNL_MSG_BATCH_BEGIN, 0, seq - 1, AF_UNSPEC,
	    NFNL_SUBSYS_NFTABLES);
	nl_end(&b, m, true);
	m = nl_msg_start(&b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM,
	    NLM_F_CREATE | NLM_F_ACK, seq, (uint8_t)family, 0);
	nl_attr(&b, NFTA_SET_ELEM_LIST_TABLE, table, strlen(table) + 1);
	nl_attr(&b, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
	put_element(&b, addr, timeout_ms);
	nl_end(&b, m, true);
	m = nl_msg_start(&b, NFNL_MSG_BATCH_END, 0, seq + 1, AF_UNSPEC,
	    NFNL_SUBSYS_NFTABLES);
	nl_end(&b, m, true);
	return b.full ? 0 : b.len;
}

/* ---- the answer ---- */

/* A netlink number (in the host's byte order) of n bytes into out. */
static void
cur_host(struct cursor *c, void *out, size_t n)
{
	const uint8_t *p = cur_ptr(c, n);

	memset(out, 0, n);
	if (p != NULL)
		memcpy(out, p, n);
}

/* Is seqno one of the batch's (BEGIN seq - 1, the add seq, END seq + 1)? */
static bool
in_batch(uint32_t seqno, uint32_t seq)
{
	return (uint32_t)(seqno - (seq - 1)) <= 2;
}

int
nft_find_answer(const uint8_t *d, size_t len, uint32_t seq, int *error)
{
	struct cursor c;

	cur_init(&c, d, len);
	while (cur_left(&c) >= NLMSG_HDRLEN) {
		struct cursor m = cur_view(&c);
		uint32_t mlen, seqno;
		uint16_t type;
		int32_t e;

		cur_host(&m, &mlen, sizeof(mlen));
		if (m.err || mlen < NLMSG_HDRLEN || mlen > cur_left(&c))
			return -1;
		cur_narrow(&m, mlen - sizeof(mlen)); /* this message only */
		cur_host(&m, &type, sizeof(type));
		cur_skip(&m, 2); /* flags */
		cur_host(&m, &seqno, sizeof(seqno));
		cur_skip(&m, 4); /* the port id */
		if (type == NLMSG_ERROR && in_batch(seqno, seq)) {
			if (mlen < NLMSG_HDRLEN + sizeof(e))
				return -1;
			cur_host(&m, &e, sizeof(e));
			if (m.err || e > 0 || e < -NFT_ERRNO_MAX)
				return -1;
			if (e != 0 || seqno == seq) { /* an error, or the ACK */
				*error = -e;
				return 1;
			}
		}
		cur_skip(&c, NLMSG_ALIGN(mlen) < cur_left(&c) ?
		    NLMSG_ALIGN(mlen) : cur_left(&c));
	}
	return 0;
}

/* The next datagram before the deadline: its length, 0 when the time is
 * up, -1 with err. */
static ssize_t
recv_until(struct nft_conn *n, uint8_t *buf, size_t cap, uint64_t deadline,
    char *err, size_t errlen)
{
	struct pollfd pfd = { .fd = n->fd, .events = POLLIN };
	uint64_t now;
	ssize_t got;

	while ((now = clock_mono_ns()) < deadline) {
		if (poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000)) < 0 &&
		    errno != EINTR)
			break;
		got = recv(n->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			break;
		if ((size_t)got > cap) {
			snprintf(err, errlen, "nft: an answer from the kernel "
			    "was cut (%zd bytes)", got);
			return -1;
		}
		return got;
	}
	if (now < deadline) {
		snprintf(err, errlen, "nft: no answer from the kernel: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The answer to seq, waited for NFT_WAIT_NS in all (older answers read
 * meanwhile do not extend it). */
static int
read_answer(struct nft_conn *n, uint32_t seq, char *err, size_t errlen)
{
	uint64_t deadline = clock_mono_ns() + NFT_WAIT_NS;
	uint8_t buf[NFT_ANSWER_BUF];
	int error = 0, found;
	ssize_t got;

	for (;;) {
		got = recv_until(n, buf, sizeof(buf), deadline, err, errlen);
		if (got < 0)
			return -1;
		if (got == 0) {
			snprintf(err, errlen,
			    "nft: no answer from the kernel: timed out");
			return -1;
		}
		found = nft_find_answer(buf, (size_t)got, seq, &error);
		if (found < 0) {
			snprintf(err, errlen, "nft: malformed answer from the kernel");
			return -1;
		}
		if (found == 0)
			continue; /* an old answer to an earlier request */
		if (error == 0)
			return 0;
		snprintf(err, errlen, "nft: %s", strerror(error));
		return -1;
	}
}

int
nft_add_element(struct nft_conn *n, const char *family, const char *table,
    const char *set, const struct netaddr *addr, uint64_t timeout_ms,
    char *err, size_t errlen)
{
	uint8_t buf[NFT_BUF];
	int fam = nft_family(family);
	uint32_t seq;
	size_t len;

	if (fam < 0 || (addr->family != 4 && addr->family != 6)) {
		snprintf(err, errlen, "nft: no family %s or no address", family);
		return -1;
	}
	n->seq += 3;
	seq = n->seq;
	len = nft_build_add(buf, sizeof(buf), seq, fam, table, set, addr,
	    timeout_ms);
	if (len == 0) {
		snprintf(err, errlen, "nft: the request does not fit");
		return -1;
	}
	if (send(n->fd, buf, len, 0) != (ssize_t)len) {
		snprintf(err, errlen, "nft: sending to the kernel: %s",
		    strerror(errno));
		return -1;
	}
	return read_answer(n, seq, err, errlen);
}
