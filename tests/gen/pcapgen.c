/*
 * pcapgen.c - writes the sample captures shipped in pcaps/ (the 2014 JAL
 * exfiltration day, a benign day, a proxy-egress tap) and large benchmark
 * captures. Deterministic: fixed seeds and timestamps, same bytes every run.
 *
 * Formats: classic pcap, Ethernet with 802.1Q, IPv4 (RFC 791), IPv6 (RFC
 * 8200), TCP (RFC 9293), UDP (RFC 768), Internet checksum (RFC 1071), DNS
 * (RFC 1035), HTTP/1.1 (RFC 9112), TLS 1.2 (RFC 5246), RAR 5.0 and RAR 4.x
 * (RARLAB technotes), ZIP (PKWARE APPNOTE).
 *
 * --week DIR writes a week at the tap (DIR/week.pcap) and the same
 * conversations as the proxy's and a Zeek sensor's logs (week-squid.log,
 * week-conn.log, week-http.log): the end-to-end test tests/e2e/week.sh.
 *
 * --blind ATTACK[:N] PATH writes a PC's 20 MB upload and its attempt to
 * blind exfild first (issue 11): the end-to-end test tests/e2e/blinding.sh.
 *
 * Usage: pcapgen -o DIR | --bench PATH | --bench-small PATH | --hostile PATH
 *        | --burst N PATH | --week DIR | --blind ATTACK[:N] PATH
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define US_PER_S 1000000ULL
#define DAY0_S 1410998400ULL /* 2014-09-18 00:00:00 UTC */
#define AT(h, m, s) \
	((DAY0_S + (uint64_t)(h) * 3600 + (uint64_t)(m) * 60 + (uint64_t)(s)) * US_PER_S)
#define MS(x) ((uint64_t)(x) * 1000)

#define MSS4 1460
#define MSS6 1440
/* A capture on a PC whose NIC segments for it (TSO) sees 16 KiB segments. */
#define TSO_SEG 16384
#define FRAME_MAX (TSO_SEG + 128)
#define SNAPLEN 65535
#define LINKTYPE_ETHERNET 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROXY_PORT 3128

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

enum dir { C2S = 0, S2C = 1 };

static const char ua_ie11[] =
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";
/* The uploader of the JAL case. */
static const char ua_msie7[] = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)";
static const char via_squid[] = "1.1 proxy01.corp.example (squid/3.3.8)";

/* ------------------------------------------------------------------ */
/* errors, PRNG, growable buffers                                      */

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("pcapgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL && n != 0)
		die("out of memory (%zu bytes)", n);
	return q;
}

/* splitmix64: small, fast, and the same sequence on every platform. */
struct rng {
	uint64_t s;
};

static uint64_t
rng_u64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
rng_u32(struct rng *r)
{
	return (uint32_t)(rng_u64(r) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t
rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rng_u64(r) % ((uint64_t)hi - lo + 1));
}

static void
rng_fill(struct rng *r, uint8_t *p, size_t n)
{
	while (n > 0) {
		uint64_t v = rng_u64(r);
		size_t k = n < 8 ? n : 8;

		for (size_t i = 0; i < k; i++)
			p[i] = (uint8_t)(v >> (8 * i));
		p += k;
		n -= k;
	}
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static uint8_t *
buf_room(struct buf *b, size_t n)
{
	uint8_t *q;

	if (b->cap - b->len < n) {
		size_t nc = b->cap ? b->cap : 4096;

		while (nc - b->len < n)
			nc *= 2;
		b->p = xrealloc(b->p, nc);
		b->cap = nc;
	}
	q = b->p + b->len;
	b->len += n;
	return q;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
wr_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
wr_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
wr_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_u8(struct buf *b, uint8_t v)
{
	*buf_room(b, 1) = v;
}

static void
put_be16(struct buf *b, uint16_t v)
{
	wr_be16(buf_room(b, 2), v);
}

static void
put_be32(struct buf *b, uint32_t v)
{
	wr_be32(buf_room(b, 4), v);
}

static void
put_le16(struct buf *b, uint16_t v)
{
	wr_le16(buf_room(b, 2), v);
}

static void
put_le32(struct buf *b, uint32_t v)
{
	wr_le32(buf_room(b, 4), v);
}

static void
put_be24(struct buf *b, uint32_t v)
{
	uint8_t *p = buf_room(b, 3);

	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void
put_mem(struct buf *b, const void *p, size_t n)
{
	if (n > 0)
		memcpy(buf_room(b, n), p, n);
}

static void
put_str(struct buf *b, const char *s)
{
	put_mem(b, s, strlen(s));
}

static void
put_rand(struct buf *b, struct rng *r, size_t n)
{
	rng_fill(r, buf_room(b, n), n);
}

static void put_fmt(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(small))
		die("put_fmt: text too long");
	put_mem(b, small, (size_t)n);
}

/* Length fields written before their contents are known. */
static void
patch_be16(struct buf *b, size_t off, size_t v)
{
	wr_be16(b->p + off, (uint16_t)v);
}

static void
patch_be24(struct buf *b, size_t off, size_t v)
{
	b->p[off] = (uint8_t)(v >> 16);
	b->p[off + 1] = (uint8_t)(v >> 8);
	b->p[off + 2] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* CRC-32 (IEEE 802.3, as used by RAR and ZIP)                         */

static uint32_t crc_table[256];

static void
crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t
crc32_buf(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffU;

	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffU;
}

/* ------------------------------------------------------------------ */
/* frames: Ethernet, 802.1Q, IPv4/IPv6, TCP/UDP with checksums          */

struct addr {
	bool v6;
	uint8_t b[16]; /* IPv4 in b[0..3] */
};

static struct addr
addr_parse(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.b) == 1)
		return a;
	if (inet_pton(AF_INET6, s, a.b) == 1) {
		a.v6 = true;
		return a;
	}
	die("bad address %s", s);
}

static struct addr
addr_v4(uint32_t v)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	wr_be32(a.b, v);
	return a;
}

/*
 * RFC 1071 sum in host byte order: the one's complement sum does not depend
 * on byte order, so native loads are summed and the folded result is stored
 * back natively. Every part must start at an even offset of the segment.
 */
static uint64_t
csum_add(uint64_t acc, const uint8_t *p, size_t n)
{
	uint32_t w;
	uint16_t h;

	while (n >= 4) {
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		n -= 2;
	}
	if (n == 1) {
		h = 0;
		memcpy(&h, p, 1);
		acc += h;
	}
	return acc;
}

static uint16_t
csum_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

struct pkt {
	const uint8_t *smac, *dmac;
	uint16_t vlan; /* 0: untagged */
	const struct addr *src, *dst;
	uint8_t ttl;
	uint16_t ipid;
	uint32_t flowlabel;
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opt;
	size_t optlen;
	const uint8_t *pl;
	size_t len;
};

/* Builds one frame into f (FRAME_MAX bytes); returns its length. */
static size_t
build_frame(uint8_t *f, const struct pkt *p)
{
	size_t o, l4hl, l4len, phl;
	uint8_t ph[40], *l4;
	uint16_t ck;
	uint64_t acc;

	memcpy(f, p->dmac, 6);
	memcpy(f + 6, p->smac, 6);
	o = 12;
	if (p->vlan != 0) {
		wr_be16(f + o, 0x8100);
		wr_be16(f + o + 2, p->vlan & 0x0fff);
		o += 4;
	}
	wr_be16(f + o, p->src->v6 ? 0x86dd : 0x0800);
	o += 2;
	l4hl = p->proto == PROTO_TCP ? 20 + p->optlen : 8;
	l4len = l4hl + p->len;
	if (o + 40 + l4len > FRAME_MAX)
		die("frame too long (%zu payload bytes)", p->len);

	if (!p->src->v6) {
		uint8_t *ip = f + o;

		ip[0] = 0x45;
		ip[1] = 0;
		wr_be16(ip + 2, (uint16_t)(20 + l4len));
		wr_be16(ip + 4, p->ipid);
		wr_be16(ip + 6, 0x4000); /* DF */
		ip[8] = p->ttl;
		ip[9] = p->proto;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, p->src->b, 4);
		memcpy(ip + 16, p->dst->b, 4);
		ck = csum_fold(csum_add(0, ip, 20));
		memcpy(ip + 10, &ck, 2);
		o += 20;

		memcpy(ph, p->src->b, 4);
		memcpy(ph + 4, p->dst->b, 4);
		ph[8] = 0;
		ph[9] = p->proto;
		wr_be16(ph + 10, (uint16_t)l4len);
		phl = 12;
	} else {
		uint8_t *ip = f + o;

		wr_be32(ip, (6U << 28) | (p->flowlabel & 0xfffff));
		wr_be16(ip + 4, (uint16_t)l4len);
		ip[6] = p->proto;
		ip[7] = p->ttl;
		memcpy(ip + 8, p->src->b, 16);
		memcpy(ip + 24, p->dst->b, 16);
		o += 40;

		memcpy(ph, p->src->b, 16);
		memcpy(ph + 16, p->dst->b, 16);
		wr_be32(ph + 32, (uint32_t)l4len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = p->proto;
		phl = 40;
	}

	l4 = f + o;
	wr_be16(l4, p->sport);
	wr_be16(l4 + 2, p->dport);
	if (p->proto == PROTO_TCP) {
		wr_be32(l4 + 4, p->seq);
		wr_be32(l4 + 8, p->ack);
		l4[12] = (uint8_t)((l4hl / 4) << 4);
		l4[13] = p->flags;
		wr_be16(l4 + 14, p->win);
		l4[16] = l4[17] = 0;
		l4[18] = l4[19] = 0;
		if (p->optlen > 0)
			memcpy(l4 + 20, p->opt, p->optlen);
	} else {
		wr_be16(l4 + 4, (uint16_t)l4len);
		l4[6] = l4[7] = 0;
	}
	if (p->len > 0)
		memcpy(l4 + l4hl, p->pl, p->len);
	acc = csum_add(0, ph, phl);
	acc = csum_add(acc, l4, l4len);
	ck = csum_fold(acc);
	if (p->proto == PROTO_UDP && ck == 0)
		ck = 0xffff;
	memcpy(l4 + (p->proto == PROTO_TCP ? 16 : 6), &ck, 2);
	return o + l4len;
}

/* ------------------------------------------------------------------ */
/* pcap output: a sink takes frames; a capture keeps them for sorting   */

struct sink {
	void (*put)(struct sink *s, uint64_t ts_us, const uint8_t *frame, size_t len);
};

static void
emit_pkt(struct sink *s, uint64_t ts_us, const struct pkt *p)
{
	uint8_t frame[FRAME_MAX];

	s->put(s, ts_us, frame, build_frame(frame, p));
}

static void
pcap_file_header(uint8_t h[24])
{
	wr_le32(h, 0xa1b2c3d4U);
	wr_le16(h + 4, 2);
	wr_le16(h + 6, 4);
	wr_le32(h + 8, 0);  /* thiszone */
	wr_le32(h + 12, 0); /* sigfigs */
	wr_le32(h + 16, SNAPLEN);
	wr_le32(h + 20, LINKTYPE_ETHERNET);
}

static void
pcap_record_header(uint8_t h[16], uint64_t ts_us, size_t len)
{
	wr_le32(h, (uint32_t)(ts_us / US_PER_S));
	wr_le32(h + 4, (uint32_t)(ts_us % US_PER_S));
	wr_le32(h + 8, (uint32_t)len);
	wr_le32(h + 12, (uint32_t)len);
}

struct frec {
	uint64_t ts, order;
	size_t off;
	uint32_t len;
};

/* Frames of independently generated conversations, merged by time. */
struct capture {
	struct sink sink; /* first member */
	struct buf bytes;
	struct frec *rec;
	size_t n, cap;
};

static void
capture_put(struct sink *s, uint64_t ts_us, const uint8_t *frame, size_t len)
{
	struct capture *c = (struct capture *)(void *)s;
	struct frec *r;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 4096;
		c->rec = xrealloc(c->rec, c->cap * sizeof(*c->rec));
	}
	r = &c->rec[c->n];
	r->ts = ts_us;
	r->order = c->n;
	r->off = c->bytes.len;
	r->len = (uint32_t)len;
	c->n++;
	put_mem(&c->bytes, frame, len);
}

static int
frec_cmp(const void *a, const void *b)
{
	const struct frec *x = a, *y = b; /* by time, then as made */

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
capture_write(struct capture *c, const char *path)
{
	uint8_t h[24];
	FILE *fp;
	uint64_t total = 24;

	qsort(c->rec, c->n, sizeof(*c->rec), frec_cmp);
	if ((fp = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	pcap_file_header(h);
	fwrite(h, 1, 24, fp);
	for (size_t i = 0; i < c->n; i++) {
		pcap_record_header(h, c->rec[i].ts, c->rec[i].len);
		fwrite(h, 1, 16, fp);
		fwrite(c->bytes.p + c->rec[i].off, 1, c->rec[i].len, fp);
		total += 16 + c->rec[i].len;
	}
	if (ferror(fp) || fclose(fp) != 0)
		die("%s: write failed", path);
	printf("%s: %zu frames, %llu bytes\n", path, c->n,
	    (unsigned long long)total);
}

/* ------------------------------------------------------------------ */
/* TCP conversations: handshake, MSS segments, ACK every 2, FIN         */

struct host {
	struct addr ip;
	uint8_t mac[6];
	uint8_t ttl;
	uint16_t vlan;
	uint16_t next_port;
};

static uint16_t
host_port(struct host *h, struct rng *r)
{
	uint16_t p = h->next_port;

	h->next_port = (uint16_t)(p + rng_range(r, 1, 3));
	if (h->next_port < p || h->next_port > 65000)
		h->next_port = p >= 49152 ? 49152 : 32768;
	return p;
}

struct conn {
	struct sink *out;
	uint8_t cmac[6], smac[6];
	struct addr cip, sip;
	uint16_t vlan, cport, sport, mss;
	uint8_t cttl, sttl;
	uint16_t cid, sid, cwin, swin;
	uint32_t cseq, sseq, flowlabel;
	uint64_t t;          /* time of the next event, µs since the epoch */
	uint32_t rtt;        /* tap -> server -> tap, µs */
	uint32_t cack_delay; /* tap -> client -> tap, µs */
	uint32_t crate, srate; /* bytes per second when streaming */
	struct convlog *log;   /* NULL: not logged (see convlog_*) */
	size_t log_conn;       /* its index in log->conns */
};

static void convlog_open(struct conn *c);
static void convlog_data(struct conn *c, enum dir d, const uint8_t *data,
    size_t len, uint64_t start);
static void convlog_close(struct conn *c);

/* Windows-like SYN: MSS, NOP, WS 8, NOP, NOP, SACK permitted. */
static const uint8_t syn_opt_client[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 };
/* Linux-like SYN/ACK: MSS, NOP, NOP, SACK permitted, NOP, WS 7. */
static const uint8_t syn_opt_server[12] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };

static void
conn_init(struct conn *c, struct sink *out, struct host *cli,
    const uint8_t smac[6], const struct addr *sip, uint16_t sport,
    uint8_t sttl, struct rng *r)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	memcpy(c->cmac, cli->mac, 6);
	memcpy(c->smac, smac, 6);
	c->cip = cli->ip;
	c->sip = *sip;
	c->vlan = cli->vlan;
	c->cport = host_port(cli, r);
	c->sport = sport;
	c->mss = cli->ip.v6 ? MSS6 : MSS4;
	c->cttl = cli->ttl;
	c->sttl = sttl;
	c->cid = (uint16_t)rng_u32(r);
	c->sid = (uint16_t)rng_u32(r);
	c->cseq = rng_u32(r);
	c->sseq = rng_u32(r);
	c->flowlabel = rng_u32(r) & 0xfffff;
	c->rtt = 400;
	c->cack_delay = 60;
	c->crate = 2500000;
	c->srate = 5000000;
}

static void
conn_emit(struct conn *c, enum dir d, uint64_t ts, uint8_t flags,
    const uint8_t *opt, size_t optlen, const uint8_t *pl, size_t len)
{
	struct pkt p;
	uint32_t consumed = (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);

	memset(&p, 0, sizeof(p));
	p.vlan = c->vlan;
	p.flowlabel = c->flowlabel;
	p.proto = PROTO_TCP;
	p.flags = flags;
	p.opt = opt;
	p.optlen = optlen;
	p.pl = pl;
	p.len = len;
	if (d == C2S) {
		p.smac = c->cmac;
		p.dmac = c->smac;
		p.src = &c->cip;
		p.dst = &c->sip;
		p.ttl = c->cttl;
		p.ipid = c->cid++;
		p.sport = c->cport;
		p.dport = c->sport;
		p.seq = c->cseq;
		p.ack = c->sseq;
		p.win = c->cwin;
		c->cseq += consumed;
	} else {
		p.smac = c->smac;
		p.dmac = c->cmac;
		p.src = &c->sip;
		p.dst = &c->cip;
		p.ttl = c->sttl;
		p.ipid = c->sid++;
		p.sport = c->sport;
		p.dport = c->cport;
		p.seq = c->sseq;
		p.ack = c->cseq;
		p.win = c->swin;
		c->sseq += consumed;
	}
	if (!(flags & TH_ACK))
		p.ack = 0;
	emit_pkt(c->out, ts, &p);
}

static void
syn_options(const struct conn *c, enum dir d, uint8_t opt[12])
{
	memcpy(opt, d == C2S ? syn_opt_client : syn_opt_server, 12);
	wr_be16(opt + 2, c->mss);
}

/* SYN, SYN/ACK, ACK starting at c->t. */
static void
tcp_connect(struct conn *c)
{
	uint8_t opt[12];

	if (c->log != NULL)
		convlog_open(c);
	syn_options(c, C2S, opt);
	c->cwin = 8192;
	conn_emit(c, C2S, c->t, TH_SYN, opt, sizeof(opt), NULL, 0);
	syn_options(c, S2C, opt);
	c->swin = 64240;
	conn_emit(c, S2C, c->t + c->rtt, TH_SYN | TH_ACK, opt, sizeof(opt), NULL, 0);
	c->cwin = 1024; /* x256: 256 KiB */
	c->swin = 2048; /* x128: 256 KiB */
	c->t += c->rtt + c->cack_delay;
	conn_emit(c, C2S, c->t, TH_ACK, NULL, 0, NULL, 0);
}

/*
 * Streams len bytes in one direction in MSS segments (the first at most
 * first_max bytes when that is not 0, followed by gap_us of silence); the
 * receiver ACKs every second segment and the last one.
 */
static void
tcp_send_split(struct conn *c, enum dir d, const uint8_t *data, size_t len,
    size_t first_max, uint32_t gap_us)
{
	uint32_t rate = d == C2S ? c->crate : c->srate;
	uint32_t ack_delay = d == C2S ? c->rtt : c->cack_delay;
	enum dir rd = d == C2S ? S2C : C2S;
	uint64_t t = c->t, end = c->t, start = c->t;
	size_t off = 0;
	int unacked = 0;

	while (off < len) {
		size_t max = (off == 0 && first_max != 0) ? first_max : c->mss;
		size_t seg = len - off < max ? len - off : max;
		uint64_t wire = (uint64_t)seg * US_PER_S / rate;

		conn_emit(c, d, t, TH_ACK | (off + seg == len ? TH_PSH : 0),
		    NULL, 0, data + off, seg);
		off += seg;
		if (++unacked == 2 || off == len) {
			conn_emit(c, rd, t + ack_delay, TH_ACK, NULL, 0, NULL, 0);
			unacked = 0;
			if (t + ack_delay > end)
				end = t + ack_delay;
		}
		t += wire > 0 ? wire : 1;
		if (off == seg && first_max != 0)
			t += gap_us;
	}
	c->t = (t > end ? t : end) + 20;
	if (c->log != NULL)
		convlog_data(c, d, data, len, start);
}

static void
tcp_send(struct conn *c, enum dir d, const uint8_t *data, size_t len)
{
	tcp_send_split(c, d, data, len, 0, 0);
}

static void
tcp_send_buf(struct conn *c, enum dir d, const struct buf *b)
{
	tcp_send(c, d, b->p, b->len);
}

static void
tcp_send_str(struct conn *c, enum dir d, const char *s)
{
	tcp_send(c, d, (const uint8_t *)s, strlen(s));
}

/* Client FIN, server FIN, client ACK. */
static void
tcp_close(struct conn *c)
{
	conn_emit(c, C2S, c->t, TH_FIN | TH_ACK, NULL, 0, NULL, 0);
	conn_emit(c, S2C, c->t + c->rtt, TH_FIN | TH_ACK, NULL, 0, NULL, 0);
	c->t += c->rtt + c->cack_delay;
	conn_emit(c, C2S, c->t, TH_ACK, NULL, 0, NULL, 0);
	if (c->log != NULL)
		convlog_close(c);
}

/* ------------------------------------------------------------------ */
/* payloads: DNS, HTTP, TLS 1.2, RAR5, RAR4, ZIP, HTML                 */

static void
dns_name(struct buf *b, const char *name)
{
	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		put_u8(b, (uint8_t)n);
		put_mem(b, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	put_u8(b, 0);
}

/* RFC 1035 4.1: a recursive query for the A record of name. */
static void
dns_query(struct buf *b, uint16_t id, const char *name)
{
	put_be16(b, id);
	put_be16(b, 0x0100); /* RD */
	put_be16(b, 1);
	put_be16(b, 0);
	put_be16(b, 0);
	put_be16(b, 0);
	dns_name(b, name);
	put_be16(b, 1); /* A */
	put_be16(b, 1); /* IN */
}

static void
dns_answer_a(struct buf *b, uint16_t id, const char *name, const struct addr *a)
{
	put_be16(b, id);
	put_be16(b, 0x8180); /* QR RD RA, NOERROR */
	put_be16(b, 1);
	put_be16(b, 1);
	put_be16(b, 0);
	put_be16(b, 0);
	dns_name(b, name);
	put_be16(b, 1);
	put_be16(b, 1);
	put_be16(b, 0xc00c); /* pointer to the question name */
	put_be16(b, 1);
	put_be16(b, 1);
	put_be32(b, 300);
	put_be16(b, 4);
	put_mem(b, a->b, 4);
}

static void
put_http_date(struct buf *b, uint64_t ts_us)
{
	time_t s = (time_t)(ts_us / US_PER_S);
	struct tm tm;
	char d[64];

	gmtime_r(&s, &tm);
	strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	put_fmt(b, "Date: %s\r\n", d);
}

static void
http_connect_request(struct buf *b, const char *host, uint16_t port)
{
	put_fmt(b, "CONNECT %s:%u HTTP/1.1\r\n", host, port);
	put_fmt(b, "User-Agent: %s\r\n", ua_ie11);
	put_fmt(b, "Host: %s:%u\r\n", host, port);
	put_str(b, "Content-Length: 0\r\n");
	put_str(b, "Proxy-Connection: Keep-Alive\r\n");
	put_str(b, "Pragma: no-cache\r\n\r\n");
}

static const char connect_ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

/* A browser's GET through the proxy: absolute-form request target. */
static void
http_proxy_get(struct buf *b, const char *host, const char *path, bool referer)
{
	put_fmt(b, "GET http://%s%s HTTP/1.1\r\n", host, path);
	put_str(b, "Accept: text/html, application/xhtml+xml, */*\r\n");
	if (referer)
		put_fmt(b, "Referer: http://%s/\r\n", host);
	put_str(b, "Accept-Language: ja-JP\r\n");
	put_fmt(b, "User-Agent: %s\r\n", ua_ie11);
	put_str(b, "Accept-Encoding: gzip, deflate\r\n");
	put_fmt(b, "Host: %s\r\n", host);
	put_str(b, "Proxy-Connection: Keep-Alive\r\n\r\n");
}

static void
http_response_head(struct buf *b, uint64_t ts, const char *ctype,
    size_t body_len, bool via_proxy)
{
	put_str(b, "HTTP/1.1 200 OK\r\n");
	put_http_date(b, ts);
	put_str(b, "Server: Apache\r\n");
	put_fmt(b, "Content-Type: %s\r\n", ctype);
	put_fmt(b, "Content-Length: %zu\r\n", body_len);
	if (via_proxy) {
		put_str(b, "X-Cache: MISS from proxy01.corp.example\r\n");
		put_fmt(b, "Via: %s\r\n", via_squid);
		put_str(b, "Connection: keep-alive\r\n\r\n");
	} else {
		put_str(b, "Keep-Alive: timeout=5, max=100\r\n");
		put_str(b, "Connection: Keep-Alive\r\n\r\n");
	}
}

static const char *const html_words[] = {
	"flight", "booking", "tokyo", "osaka", "haneda", "narita", "mileage",
	"news", "weather", "fare", "seat", "lounge", "status", "card", "tour",
	"hotel", "sale", "autumn", "kyoto", "service", "sapporo", "okinawa",
	"member", "notice", "schedule", "domestic", "international",
};

/* An HTML page of exactly n bytes (n >= 256). */
static void
put_html(struct buf *b, size_t n, const char *title, struct rng *r)
{
	static const char tail[] = "</body></html>\n";
	size_t start = b->len, nw = sizeof(html_words) / sizeof(html_words[0]);

	put_fmt(b, "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
	    "<title>%s</title></head><body>\n", title);
	while (b->len - start < n) {
		uint32_t k = rng_range(r, 8, 24);

		put_str(b, "<p>");
		for (uint32_t i = 0; i < k; i++) {
			put_str(b, html_words[rng_u32(r) % nw]);
			put_u8(b, i + 1 < k ? ' ' : '.');
		}
		put_str(b, "</p>\n");
	}
	b->len = start + n - (sizeof(tail) - 1);
	put_str(b, tail);
}

/* TLS 1.2 ClientHello (RFC 5246 7.4.1.2) with server_name (RFC 6066). */
static void
tls_client_hello(struct buf *b, const char *sni, const uint8_t sid[32], struct rng *r)
{
	static const uint16_t suites[] = {
		0xc02b, 0xc02f, 0xc00a, 0xc009, 0xc013, 0xc014, 0x0033, 0x0039,
		0x009c, 0x009d, 0x002f, 0x0035, 0x000a,
	};
	static const uint16_t sigalgs[] = {
		0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0402, 0x0202,
	};
	size_t rec = b->len, hs, ext, nl = strlen(sni);

	put_u8(b, 0x16);
	put_be16(b, 0x0301);
	put_be16(b, 0);
	hs = b->len;
	put_u8(b, 1);
	put_be24(b, 0);
	put_be16(b, 0x0303);
	put_rand(b, r, 32);
	put_u8(b, 32);
	put_mem(b, sid, 32);
	put_be16(b, (uint16_t)(2 * (sizeof(suites) / sizeof(suites[0]))));
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		put_be16(b, suites[i]);
	put_u8(b, 1);
	put_u8(b, 0);
	ext = b->len;
	put_be16(b, 0);
	put_be16(b, 0x0000); /* server_name */
	put_be16(b, (uint16_t)(nl + 5));
	put_be16(b, (uint16_t)(nl + 3));
	put_u8(b, 0);
	put_be16(b, (uint16_t)nl);
	put_mem(b, sni, nl);
	put_be16(b, 0xff01); /* renegotiation_info */
	put_be16(b, 1);
	put_u8(b, 0);
	put_be16(b, 0x000a); /* supported_groups */
	put_be16(b, 8);
	put_be16(b, 6);
	put_be16(b, 0x0017);
	put_be16(b, 0x0018);
	put_be16(b, 0x0019);
	put_be16(b, 0x000b); /* ec_point_formats */
	put_be16(b, 2);
	put_u8(b, 1);
	put_u8(b, 0);
	put_be16(b, 0x0023); /* session_ticket */
	put_be16(b, 0);
	put_be16(b, 0x0005); /* status_request */
	put_be16(b, 5);
	put_u8(b, 1);
	put_be16(b, 0);
	put_be16(b, 0);
	put_be16(b, 0x000d); /* signature_algorithms */
	put_be16(b, (uint16_t)(2 + 2 * (sizeof(sigalgs) / sizeof(sigalgs[0]))));
	put_be16(b, (uint16_t)(2 * (sizeof(sigalgs) / sizeof(sigalgs[0]))));
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		put_be16(b, sigalgs[i]);
	put_be16(b, 0x0010); /* ALPN */
	put_be16(b, 11);
	put_be16(b, 9);
	put_u8(b, 8);
	put_str(b, "http/1.1");
	patch_be16(b, ext, b->len - ext - 2);
	patch_be24(b, hs + 1, b->len - hs - 4);
	patch_be16(b, rec + 3, b->len - rec - 5);
}

/* An encrypted handshake record (Finished under the new keys). */
static void
tls_encrypted_finished(struct buf *b, struct rng *r)
{
	put_u8(b, 0x16);
	put_be16(b, 0x0303);
	put_be16(b, 40);
	put_rand(b, r, 40);
}

static void
tls_change_cipher_spec(struct buf *b)
{
	put_u8(b, 0x14);
	put_be16(b, 0x0303);
	put_be16(b, 1);
	put_u8(b, 1);
}

/*
 * Abbreviated (session-resumption) handshake, RFC 5246 7.3: ServerHello
 * echoing the session id, ChangeCipherSpec, Finished. No certificate.
 */
static void
tls_server_resume(struct buf *b, const uint8_t sid[32], struct rng *r)
{
	size_t rec = b->len, hs, ext;

	put_u8(b, 0x16);
	put_be16(b, 0x0303);
	put_be16(b, 0);
	hs = b->len;
	put_u8(b, 2);
	put_be24(b, 0);
	put_be16(b, 0x0303);
	put_rand(b, r, 32);
	put_u8(b, 32);
	put_mem(b, sid, 32);
	put_be16(b, 0xc02f);
	put_u8(b, 0);
	ext = b->len;
	put_be16(b, 0);
	put_be16(b, 0xff01);
	put_be16(b, 1);
	put_u8(b, 0);
	put_be16(b, 0x0010);
	put_be16(b, 11);
	put_be16(b, 9);
	put_u8(b, 8);
	put_str(b, "http/1.1");
	patch_be16(b, ext, b->len - ext - 2);
	patch_be24(b, hs + 1, b->len - hs - 4);
	patch_be16(b, rec + 3, b->len - rec - 5);
	tls_change_cipher_spec(b);
	tls_encrypted_finished(b, r);
}

static void
tls_client_finished(struct buf *b, struct rng *r)
{
	tls_change_cipher_spec(b);
	tls_encrypted_finished(b, r);
}

#define TLS_REC_MAX (5 + 16384 + 24) /* AES-GCM: 8-byte nonce, 16-byte tag */

/* Application-data records totalling exactly total bytes (total >= 64). */
static void
tls_app_data(struct buf *b, size_t total, struct rng *r)
{
	while (total > 0) {
		size_t rec = total < TLS_REC_MAX ? total : TLS_REC_MAX;

		if (total - rec != 0 && total - rec < 64)
			rec -= 64;
		put_u8(b, 0x17);
		put_be16(b, 0x0303);
		put_be16(b, (uint16_t)(rec - 5));
		put_rand(b, r, rec - 5);
		total -= rec;
	}
}

static size_t
vint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* RAR 5.0 variable-length integer: 7 bits a byte, low bits first. */
static void
put_vint(struct buf *b, uint64_t v)
{
	do {
		uint8_t x = v & 0x7f;

		v >>= 7;
		put_u8(b, v ? (uint8_t)(x | 0x80) : x);
	} while (v);
}

/* A RAR 5.0 block: CRC32 of (size vint + fields), size vint, fields. */
static void
rar5_block(struct buf *out, const struct buf *fields)
{
	struct buf h = { 0 };

	put_vint(&h, fields->len);
	put_mem(&h, fields->p, fields->len);
	put_le32(out, crc32_buf(h.p, h.len));
	put_mem(out, h.p, h.len);
	buf_free(&h);
}

static size_t
rar5_block_len(const struct buf *fields)
{
	return 4 + vint_len(fields->len) + fields->len;
}

struct rar5_file {
	const char *name;
	uint64_t unpacked;
	uint32_t mtime;
	unsigned volno, nvols; /* nvols 1: not a multi-volume archive */
};

static void
rar5_main_fields(struct buf *f, const struct rar5_file *rf)
{
	put_vint(f, 1); /* main archive header */
	put_vint(f, 0);
	put_vint(f, (rf->nvols > 1 ? 0x0001 : 0) | (rf->volno > 0 ? 0x0002 : 0));
	if (rf->volno > 0)
		put_vint(f, rf->volno);
}

static void
rar5_file_fields(struct buf *f, const struct rar5_file *rf, uint64_t data_size)
{
	bool more = rf->volno + 1 < rf->nvols;

	put_vint(f, 2); /* file header */
	put_vint(f, 0x0002 | (rf->volno > 0 ? 0x0008 : 0) | (more ? 0x0010 : 0));
	put_vint(f, data_size);
	put_vint(f, 0x0002); /* mtime present */
	put_vint(f, rf->unpacked);
	put_vint(f, 0x20);   /* FILE_ATTRIBUTE_ARCHIVE */
	put_le32(f, rf->mtime);
	/* a file packed to its own size is stored (method 0); else version 0,
	 * method 3, dictionary 4 MB */
	put_vint(f, rf->unpacked == data_size ? 0 : 0x1580);
	put_vint(f, 0);      /* Windows */
	put_vint(f, strlen(rf->name));
	put_str(f, rf->name);
}

static void
rar5_end_fields(struct buf *f, const struct rar5_file *rf)
{
	put_vint(f, 5); /* end of archive */
	put_vint(f, 0);
	put_vint(f, rf->volno + 1 < rf->nvols ? 0x0001 : 0);
}

static const uint8_t rar5_sig[8] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x01, 0x00 };

/* Signature, main and file headers before a data area of `data` bytes. */
static void
rar5_put_heads(struct buf *out, const struct rar5_file *rf, uint64_t data)
{
	struct buf mh = { 0 }, fh = { 0 };

	rar5_main_fields(&mh, rf);
	rar5_file_fields(&fh, rf, data);
	put_mem(out, rar5_sig, sizeof(rar5_sig));
	rar5_block(out, &mh);
	rar5_block(out, &fh);
	buf_free(&mh);
	buf_free(&fh);
}

/* Signature, main and file headers of an archive of exactly total bytes;
 * returns the size of the data area that must follow (then the end). */
static uint64_t
rar5_head(struct buf *out, size_t total, const struct rar5_file *rf)
{
	struct buf mh = { 0 }, fh = { 0 }, eh = { 0 };
	uint64_t data = total;
	size_t fixed;

	rar5_main_fields(&mh, rf);
	rar5_end_fields(&eh, rf);
	fixed = sizeof(rar5_sig) + rar5_block_len(&mh) + rar5_block_len(&eh);
	for (int pass = 0; pass < 4; pass++) {
		fh.len = 0;
		rar5_file_fields(&fh, rf, data);
		data = total - fixed - rar5_block_len(&fh);
	}
	fh.len = 0;
	rar5_file_fields(&fh, rf, data);
	if (fixed + rar5_block_len(&fh) + data != total)
		die("rar5: size did not converge");
	buf_free(&mh);
	buf_free(&fh);
	buf_free(&eh);
	rar5_put_heads(out, rf, data);
	return data;
}

static void
rar5_tail(struct buf *out, const struct rar5_file *rf)
{
	struct buf eh = { 0 };

	rar5_end_fields(&eh, rf);
	rar5_block(out, &eh);
	buf_free(&eh);
}

/* A whole RAR 5.0 archive (or one volume) of exactly total bytes whose
 * data area is pseudo-random, as compressed data looks. */
static void
rar5_archive(struct buf *out, size_t total, const struct rar5_file *rf, struct rng *r)
{
	size_t start = out->len;
	uint64_t data = rar5_head(out, total, rf);

	put_rand(out, r, data);
	rar5_tail(out, rf);
	if (out->len - start != total)
		die("rar5: wrote %zu of %zu bytes", out->len - start, total);
}

/* A RAR 5.0 archive that stores (method 0) the len bytes at data as they
 * are: text inside stays text, only the headers say "archive". */
static void
rar5_stored_archive(struct buf *out, const uint8_t *data, size_t len,
    const struct rar5_file *file)
{
	struct rar5_file rf = *file;

	rf.unpacked = len;
	rar5_put_heads(out, &rf, len);
	put_mem(out, data, len);
	rar5_tail(out, &rf);
}

/* RAR 4.x block with HEAD_CRC = low 16 bits of CRC32 from HEAD_TYPE on. */
static void
rar4_block(struct buf *out, const struct buf *from_type)
{
	put_le16(out, (uint16_t)crc32_buf(from_type->p, from_type->len));
	put_mem(out, from_type->p, from_type->len);
}

/* RAR 4.x: marker, archive header, one file header, data, end block. */
static void
rar4_archive(struct buf *out, size_t total, const char *name,
    uint32_t unpacked, uint32_t dostime, struct rng *r)
{
	static const uint8_t marker[7] = { 'R', 'a', 'r', '!', 0x1a, 0x07, 0x00 };
	struct buf h = { 0 };
	size_t nl = strlen(name), start = out->len;
	uint32_t pack = (uint32_t)(total - 7 - 13 - (32 + nl) - 7);

	put_mem(out, marker, sizeof(marker));
	put_u8(&h, 0x73); /* archive header */
	put_le16(&h, 0);
	put_le16(&h, 13);
	put_le16(&h, 0);
	put_le32(&h, 0);
	rar4_block(out, &h);
	h.len = 0;
	put_u8(&h, 0x74); /* file header */
	put_le16(&h, 0x8000);
	put_le16(&h, (uint16_t)(32 + nl));
	put_le32(&h, pack);
	put_le32(&h, unpacked);
	put_u8(&h, 2); /* Win32 */
	put_le32(&h, rng_u32(r));
	put_le32(&h, dostime);
	put_u8(&h, 29);
	put_u8(&h, 0x33);
	put_le16(&h, (uint16_t)nl);
	put_le32(&h, 0x20);
	put_str(&h, name);
	rar4_block(out, &h);
	put_rand(out, r, pack);
	h.len = 0;
	put_u8(&h, 0x7b); /* end of archive */
	put_le16(&h, 0x4000);
	put_le16(&h, 7);
	rar4_block(out, &h);
	buf_free(&h);
	if (out->len - start != total)
		die("rar4: wrote %zu of %zu bytes", out->len - start, total);
}

#define DOS_TIME(h, m, s) ((uint16_t)(((h) << 11) | ((m) << 5) | ((s) / 2)))
#define DOS_DATE(y, mo, d) ((uint16_t)((((y) - 1980) << 9) | ((mo) << 5) | (d)))

struct zip_entry {
	const char *name;
	uint32_t csize, usize, crc;
};

static void
zip_local_header(struct buf *b, const struct zip_entry *e)
{
	put_le32(b, 0x04034b50);
	put_le16(b, 20);
	put_le16(b, 0);
	put_le16(b, 8); /* deflate */
	put_le16(b, DOS_TIME(23, 48, 10));
	put_le16(b, DOS_DATE(2014, 9, 17));
	put_le32(b, e->crc);
	put_le32(b, e->csize);
	put_le32(b, e->usize);
	put_le16(b, (uint16_t)strlen(e->name));
	put_le16(b, 0);
	put_str(b, e->name);
}

static void
zip_central_and_end(struct buf *b, const struct zip_entry *e)
{
	size_t nl = strlen(e->name);

	put_le32(b, 0x02014b50);
	put_le16(b, 20);
	put_le16(b, 20);
	put_le16(b, 0);
	put_le16(b, 8);
	put_le16(b, DOS_TIME(23, 48, 10));
	put_le16(b, DOS_DATE(2014, 9, 17));
	put_le32(b, e->crc);
	put_le32(b, e->csize);
	put_le32(b, e->usize);
	put_le16(b, (uint16_t)nl);
	put_le16(b, 0);
	put_le16(b, 0);
	put_le16(b, 0);
	put_le16(b, 0);
	put_le32(b, 0x20);
	put_le32(b, 0);
	put_str(b, e->name);
	put_le32(b, 0x06054b50);
	put_le16(b, 0);
	put_le16(b, 0);
	put_le16(b, 1);
	put_le16(b, 1);
	put_le32(b, (uint32_t)(46 + nl));
	put_le32(b, (uint32_t)(30 + nl + e->csize));
	put_le16(b, 0);
}

/* A ZIP of one deflated entry, exactly total bytes. */
static void
zip_archive(struct buf *b, size_t total, const char *name, uint32_t usize, struct rng *r)
{
	size_t nl = strlen(name), start = b->len;
	struct zip_entry e;

	e.name = name;
	e.csize = (uint32_t)(total - (30 + nl) - (46 + nl) - 22);
	e.usize = usize;
	e.crc = rng_u32(r);
	zip_local_header(b, &e);
	put_rand(b, r, e.csize);
	zip_central_and_end(b, &e);
	if (b->len - start != total)
		die("zip: wrote %zu of %zu bytes", b->len - start, total);
}

/* ------------------------------------------------------------------ */
/* the sample world: PCs, the proxy, the resolver, browsing            */

struct world {
	struct capture cap;
	struct rng rng;
	uint8_t gw_mac[6]; /* the router every tapped frame crosses */
	struct addr proxy, resolver;
	struct buf b1, b2;
	struct convlog *log; /* NULL: conversations are not logged */
};

static void
world_init(struct world *w, uint64_t seed, const uint8_t gw_mac[6])
{
	memset(w, 0, sizeof(*w));
	w->cap.sink.put = capture_put;
	w->rng.s = seed;
	memcpy(w->gw_mac, gw_mac, 6);
	w->proxy = addr_parse("10.77.1.2");
	w->resolver = addr_parse("10.1.1.53");
}

static void
world_free(struct world *w)
{
	buf_free(&w->cap.bytes);
	free(w->cap.rec);
	buf_free(&w->b1);
	buf_free(&w->b2);
}

static const uint8_t pc_gw_mac[6] = { 0x00, 0x00, 0x0c, 0x07, 0xac, 0x14 };

/* An office PC 10.1.20.last with a fixed MAC; Windows TTL 128. */
static void
pc_init(struct host *h, unsigned last, uint16_t vlan, struct rng *r)
{
	char s[32];

	memset(h, 0, sizeof(*h));
	snprintf(s, sizeof(s), "10.1.20.%u", last);
	h->ip = addr_parse(s);
	h->mac[0] = 0x00;
	h->mac[1] = 0x1a;
	h->mac[2] = 0x4b;
	h->mac[3] = 0x14;
	h->mac[4] = 0x00;
	h->mac[5] = (uint8_t)last;
	h->ttl = 128;
	h->vlan = vlan;
	h->next_port = (uint16_t)rng_range(r, 49152, 52000);
}

static void
world_conn(struct world *w, struct conn *c, struct host *h,
    const struct addr *sip, uint16_t sport, uint8_t sttl, uint64_t t, uint32_t rtt)
{
	conn_init(c, &w->cap.sink, h, w->gw_mac, sip, sport, sttl, &w->rng);
	c->t = t;
	c->rtt = rtt;
	c->log = w->log;
	tcp_connect(c);
}

static void
world_proxy_conn(struct world *w, struct conn *c, struct host *pc, uint64_t t)
{
	world_conn(w, c, pc, &w->proxy, PROXY_PORT, 63, t, 400);
}

/* A UDP query to the internal resolver and its A answer. */
static void
dns_lookup(struct world *w, struct host *pc, const char *name,
    const struct addr *answer, uint64_t t)
{
	struct pkt p;
	uint16_t id = (uint16_t)rng_u32(&w->rng);

	memset(&p, 0, sizeof(p));
	w->b1.len = 0;
	dns_query(&w->b1, id, name);
	p.smac = pc->mac;
	p.dmac = w->gw_mac;
	p.vlan = pc->vlan;
	p.src = &pc->ip;
	p.dst = &w->resolver;
	p.ttl = pc->ttl;
	p.ipid = (uint16_t)rng_u32(&w->rng);
	p.proto = PROTO_UDP;
	p.sport = host_port(pc, &w->rng);
	p.dport = 53;
	p.pl = w->b1.p;
	p.len = w->b1.len;
	emit_pkt(&w->cap.sink, t, &p);

	w->b2.len = 0;
	dns_answer_a(&w->b2, id, name, answer);
	p.smac = w->gw_mac;
	p.dmac = pc->mac;
	p.src = &w->resolver;
	p.dst = &pc->ip;
	p.ttl = 63;
	p.ipid = (uint16_t)rng_u32(&w->rng);
	p.dport = p.sport;
	p.sport = 53;
	p.pl = w->b2.p;
	p.len = w->b2.len;
	emit_pkt(&w->cap.sink, t + rng_range(&w->rng, 900, 4000), &p);
}

/* TLS 1.2 after the TCP (or tunnel) is up: resumption handshake, then
 * `up` bytes of requests and `down` bytes of responses. */
static void
tls_session(struct world *w, struct conn *c, const char *sni, size_t up,
    size_t down, uint32_t server_ms)
{
	uint8_t sid[32];

	rng_fill(&w->rng, sid, sizeof(sid));
	w->b1.len = 0;
	tls_client_hello(&w->b1, sni, sid, &w->rng);
	tcp_send_buf(c, C2S, &w->b1);
	c->t += MS(server_ms);
	w->b1.len = 0;
	tls_server_resume(&w->b1, sid, &w->rng);
	tcp_send_buf(c, S2C, &w->b1);
	c->t += 300;
	w->b1.len = 0;
	tls_client_finished(&w->b1, &w->rng);
	tls_app_data(&w->b1, up, &w->rng);
	tcp_send_buf(c, C2S, &w->b1);
	c->t += MS(server_ms + rng_range(&w->rng, 10, 120));
	w->b1.len = 0;
	tls_app_data(&w->b1, down, &w->rng);
	tcp_send_buf(c, S2C, &w->b1);
}

/* A PC browses an https site through the proxy (CONNECT, then TLS). */
static void
browse_https(struct world *w, struct host *pc, const char *site, uint64_t t,
    size_t up, size_t down)
{
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	w->b1.len = 0;
	http_connect_request(&w->b1, site, 443);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(rng_range(&w->rng, 20, 120));
	tcp_send_str(&c, S2C, connect_ok);
	c.t += 200;
	tls_session(w, &c, site, up, down, rng_range(&w->rng, 30, 110));
	c.t += MS(rng_range(&w->rng, 2000, 15000));
	tcp_close(&c);
}

/* A PC fetches two pages of an http site through the proxy on one
 * keep-alive connection. */
static void
browse_http(struct world *w, struct host *pc, const char *site,
    const char *path1, const char *path2, uint64_t t)
{
	struct conn c;
	const char *paths[2] = { path1, path2 };

	world_proxy_conn(w, &c, pc, t);
	for (int i = 0; i < 2; i++) {
		size_t n = rng_range(&w->rng, 1500, 9000);

		w->b1.len = 0;
		http_proxy_get(&w->b1, site, paths[i], i > 0);
		tcp_send_buf(&c, C2S, &w->b1);
		c.t += MS(rng_range(&w->rng, 30, 150));
		w->b1.len = 0;
		http_response_head(&w->b1, c.t, "text/html; charset=UTF-8", n, true);
		put_html(&w->b1, n, site, &w->rng);
		tcp_send_buf(&c, S2C, &w->b1);
		c.t += MS(rng_range(&w->rng, 300, 3000));
	}
	c.t += MS(rng_range(&w->rng, 2000, 10000));
	tcp_close(&c);
}

static const char *const jal_paths[] = {
	"/", "/ja/", "/ja/dom/", "/ja/inter/", "/ja/info/2014/", "/ja/jmb/",
};
static const char *const news_paths[] = {
	"/", "/top/", "/economy/", "/world/asia/", "/sports/", "/tech/",
};

#define NPATHS(a) (sizeof(a) / sizeof((a)[0]))

static void
browse_news(struct world *w, struct host *pc, uint64_t t)
{
	struct addr news = addr_parse("198.51.100.170");

	dns_lookup(w, pc, "news.example.org", &news, t);
	browse_http(w, pc, "news.example.org", "/",
	    news_paths[rng_u32(&w->rng) % NPATHS(news_paths)], t + MS(5));
}

/* One ordinary action: search over https, the JAL site, or the news. */
static void
ordinary_action(struct world *w, struct host *pc, uint64_t t)
{
	switch (rng_u32(&w->rng) % 3) {
	case 0:
		browse_https(w, pc, "www.search.example.com", t,
		    rng_range(&w->rng, 1200, 3500), rng_range(&w->rng, 3000, 9000));
		break;
	case 1:
		browse_http(w, pc, "www.jal.example.jp", "/",
		    jal_paths[rng_u32(&w->rng) % NPATHS(jal_paths)], t);
		break;
	default:
		browse_news(w, pc, t);
		break;
	}
}

/* Each PC does `actions` ordinary things spread over [from, to); the very
 * first action starts exactly at `from`. Every action ends within a minute. */
static void
ordinary_browsing(struct world *w, struct host *pcs, size_t npcs,
    uint64_t from, uint64_t to, unsigned actions)
{
	uint64_t slot = (to - from) / actions;

	for (size_t i = 0; i < npcs; i++) {
		for (unsigned k = 0; k < actions; k++) {
			uint64_t t = from + k * slot;

			if (i != 0 || k != 0)
				t += rng_u64(&w->rng) % (slot - 60 * US_PER_S);
			ordinary_action(w, &pcs[i], t);
		}
	}
}

/* ------------------------------------------------------------------ */
/* capture 1: jal-day.pcap                                             */

static const char mp_boundary[] = "---------------------------7de1f83a20b46";

/* multipart/form-data body: a text field, then one file part. */
static void
multipart_body(struct buf *b, const char *field, const char *value,
    const char *filename, const uint8_t *file, size_t file_len)
{
	put_fmt(b, "--%s\r\n", mp_boundary);
	put_fmt(b, "Content-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n", field, value);
	put_fmt(b, "--%s\r\n", mp_boundary);
	put_fmt(b, "Content-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n", filename);
	put_str(b, "Content-Type: application/octet-stream\r\n\r\n");
	put_mem(b, file, file_len);
	put_fmt(b, "\r\n--%s--\r\n", mp_boundary);
}

/* A multipart POST's head: through the proxy (absolute-form target) or
 * straight to the server (origin-form). */
static void
http_post_head(struct buf *b, const char *host, const char *path,
    const char *ua, size_t content_length, bool via_proxy)
{
	if (via_proxy)
		put_fmt(b, "POST http://%s%s HTTP/1.1\r\n", host, path);
	else
		put_fmt(b, "POST %s HTTP/1.1\r\n", path);
	put_str(b, "Accept: */*\r\n");
	put_fmt(b, "User-Agent: %s\r\n", ua);
	put_fmt(b, "Host: %s\r\n", host);
	put_fmt(b, "Content-Type: multipart/form-data; boundary=%s\r\n", mp_boundary);
	put_fmt(b, "Content-Length: %zu\r\n", content_length);
	put_str(b, via_proxy ? "Proxy-Connection: Keep-Alive\r\n" : "Connection: Keep-Alive\r\n");
	put_str(b, "Pragma: no-cache\r\n\r\n");
}

static void
small_ok_response(struct conn *c, struct buf *b, bool via_proxy)
{
	static const char body[] = "<html><body>OK</body></html>\n";

	b->len = 0;
	http_response_head(b, c->t, "text/html", sizeof(body) - 1, via_proxy);
	put_str(b, body);
	tcp_send_buf(c, S2C, b);
}

#define RAR_VOLUME_SIZE 800000
#define TUNNEL_RAR_SIZE 1500000
#define TLS_BULK_SIZE 3000000
#define DIRECT_ZIP_SIZE 1200000
#define EGRESS_RAR4_SIZE 1200000

/* (a) two multipart POSTs of RAR5 volumes on one keep-alive connection. */
static void
attack_post_rar(struct world *w, struct host *pc, uint64_t t)
{
	struct conn c;
	struct buf vol = { 0 };

	world_proxy_conn(w, &c, pc, t);
	c.crate = 1500000;
	for (unsigned part = 1; part <= 2; part++) {
		struct rar5_file rf = { "vips_0917.csv", 9437184, 1410997690, part - 1, 2 };
		char fname[64], value[32];
		size_t body_len;

		vol.len = 0;
		rar5_archive(&vol, RAR_VOLUME_SIZE, &rf, &w->rng);
		snprintf(fname, sizeof(fname), "vips_0917.part%u.rar", part);
		snprintf(value, sizeof(value), "PC0121-%u", part);
		w->b2.len = 0;
		multipart_body(&w->b2, "id", value, fname, vol.p, vol.len);
		body_len = w->b2.len;
		w->b1.len = 0;
		http_post_head(&w->b1, "hk-files.example.net", "/upload.php", ua_msie7,
		    body_len, true);
		put_mem(&w->b1, w->b2.p, w->b2.len);
		tcp_send_buf(&c, C2S, &w->b1);
		c.t += MS(240);
		small_ok_response(&c, &w->b1, true);
		c.t += MS(1800);
	}
	c.t += MS(4000);
	tcp_close(&c);
	buf_free(&vol);
}

/* (b) CONNECT, then raw RAR5 bytes (not TLS) inside the tunnel. */
static void
attack_tunnel_rar(struct world *w, struct host *pc, uint64_t t)
{
	struct rar5_file rf = { "jmb_members_0918.csv", 8912896, 1411000210, 0, 1 };
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	c.crate = 1800000;
	w->b1.len = 0;
	http_connect_request(&w->b1, "hk-files.example.net", 443);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(72);
	tcp_send_str(&c, S2C, connect_ok);
	c.t += MS(3);
	w->b1.len = 0;
	rar5_archive(&w->b1, TUNNEL_RAR_SIZE, &rf, &w->rng);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(3000);
	tcp_close(&c);
}

/* (c) CONNECT, ClientHello split over two segments, 3 MB of TLS records. */
static void
attack_tls_bulk(struct world *w, struct host *pc, uint64_t t)
{
	struct conn c;
	uint8_t sid[32];

	world_proxy_conn(w, &c, pc, t);
	c.crate = 2000000;
	w->b1.len = 0;
	http_connect_request(&w->b1, "hk-files.example.net", 443);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(68);
	tcp_send_str(&c, S2C, connect_ok);
	c.t += MS(2);
	rng_fill(&w->rng, sid, sizeof(sid));
	w->b1.len = 0;
	tls_client_hello(&w->b1, "hk-files.example.net", sid, &w->rng);
	tcp_send_split(&c, C2S, w->b1.p, w->b1.len, 90, 800);
	c.t += MS(70);
	w->b1.len = 0;
	tls_server_resume(&w->b1, sid, &w->rng);
	tcp_send_buf(&c, S2C, &w->b1);
	c.t += 300;
	w->b1.len = 0;
	tls_client_finished(&w->b1, &w->rng);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += 100;
	w->b1.len = 0;
	tls_app_data(&w->b1, TLS_BULK_SIZE, &w->rng);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(75);
	w->b1.len = 0;
	tls_app_data(&w->b1, 125, &w->rng);
	tls_app_data(&w->b1, 93, &w->rng);
	tcp_send_buf(&c, S2C, &w->b1);
	c.t += MS(2500);
	tcp_close(&c);
}

/* (d) no proxy: a ZIP straight to 203.0.113.99:8443 (VLAN-tagged PC). */
static void
attack_direct_zip(struct world *w, struct host *pc, uint64_t t)
{
	struct addr dst = addr_parse("203.0.113.99");
	struct conn c;

	world_conn(w, &c, pc, &dst, 8443, 47, t, 58000);
	c.crate = 700000;
	w->b1.len = 0;
	zip_archive(&w->b1, DIRECT_ZIP_SIZE, "crm_export_20140918.csv", 7340032, &w->rng);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(60);
	w->b1.len = 0;
	put_rand(&w->b1, &w->rng, 16);
	tcp_send_buf(&c, S2C, &w->b1);
	c.t += MS(500);
	tcp_close(&c);
}

static void
gen_jal_day(struct world *w)
{
	struct host pcs[10], att[4];

	for (unsigned i = 0; i < 10; i++)
		pc_init(&pcs[i], 11 + i, 0, &w->rng);
	for (unsigned i = 0; i < 4; i++)
		pc_init(&att[i], 21 + i, i == 3 ? 20 : 0, &w->rng);

	/* learning window: 00:00 - 02:00 (all traffic ends before 01:51) */
	ordinary_browsing(w, pcs, 10, AT(0, 0, 0), AT(1, 50, 0), 8);
	/* after it: ordinary browsing goes on, the infected PCs too */
	ordinary_browsing(w, pcs, 10, AT(2, 5, 0), AT(4, 40, 0), 5);
	ordinary_browsing(w, att, 4, AT(2, 30, 0), AT(4, 0, 0), 2);
	/* a name that no geo database knows: country "??" */
	browse_https(w, &pcs[4], "mystery.example.xyz", AT(3, 31, 7), 900, 2400);

	attack_post_rar(w, &att[0], AT(4, 10, 0));
	attack_tunnel_rar(w, &att[1], AT(4, 14, 0));
	attack_tls_bulk(w, &att[2], AT(4, 18, 0));
	attack_direct_zip(w, &att[3], AT(4, 22, 0));
}

/* ------------------------------------------------------------------ */
/* capture 2: benign-day.pcap                                          */

#define BENIGN_SAAS_SIZE 2600000
#define BENIGN_JP_RAR_SIZE 1500000
#define BENIGN_DOWNLOAD_SIZE 2500000
#define BENIGN_WU_SIZE 2500000

/* Upload of `up` TLS bytes through a CONNECT tunnel; little comes back. */
static void
tls_upload_via_proxy(struct world *w, struct host *pc, const char *site,
    uint64_t t, size_t up)
{
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	c.crate = 2000000;
	w->b1.len = 0;
	http_connect_request(&w->b1, site, 443);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(110);
	tcp_send_str(&c, S2C, connect_ok);
	c.t += MS(1);
	tls_session(w, &c, site, up, 420, 110);
	c.t += MS(3000);
	tcp_close(&c);
}

/* POSTs the multipart body in w->b2 to host through the proxy connection
 * c, takes the small reply after reply_ms, closes after close_ms. */
static void
proxy_post_and_close(struct world *w, struct conn *c, const char *host,
    const char *path, uint32_t reply_ms, uint32_t close_ms)
{
	w->b1.len = 0;
	http_post_head(&w->b1, host, path, ua_ie11, w->b2.len, true);
	put_mem(&w->b1, w->b2.p, w->b2.len);
	tcp_send_buf(c, C2S, &w->b1);
	c->t += MS(reply_ms);
	small_ok_response(c, &w->b1, true);
	c->t += MS(close_ms);
	tcp_close(c);
}

/* .32: a RAR backup POSTed to a new but domestic (JP) server. */
static void
benign_jp_backup(struct world *w, struct host *pc, uint64_t t)
{
	struct rar5_file rf = { "sales_2014-09.xlsx", 2411520, 1411005600, 0, 1 };
	struct buf rar = { 0 };
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	c.crate = 3000000;
	rar5_archive(&rar, BENIGN_JP_RAR_SIZE, &rf, &w->rng);
	w->b2.len = 0;
	multipart_body(&w->b2, "dept", "sales", "sales_2014-09.rar", rar.p, rar.len);
	proxy_post_and_close(w, &c, "backup.jp-dc.example", "/store", 35, 2000);
	buf_free(&rar);
}

/* A GET through the proxy of `size` random bytes from host. */
static void
proxy_download(struct world *w, struct host *pc, uint64_t t, const char *host,
    const char *path, size_t size)
{
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	c.srate = 4000000;
	w->b1.len = 0;
	http_proxy_get(&w->b1, host, path, false);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(130);
	w->b1.len = 0;
	http_response_head(&w->b1, c.t, "application/octet-stream", size, true);
	put_rand(&w->b1, &w->rng, size);
	tcp_send_buf(&c, S2C, &w->b1);
	c.t += MS(1500);
	tcp_close(&c);
}

/* .33: a large download from a foreign, unfamiliar mirror. */
static void
benign_download(struct world *w, struct host *pc, uint64_t t)
{
	proxy_download(w, pc, t, "cdn.us-mirror.example.com", "/iso/part.bin",
	    BENIGN_DOWNLOAD_SIZE);
}

static void
gen_benign_day(struct world *w)
{
	struct host pcs[10], up[4];

	for (unsigned i = 0; i < 10; i++)
		pc_init(&pcs[i], 11 + i, 0, &w->rng);
	for (unsigned i = 0; i < 4; i++)
		pc_init(&up[i], 31 + i, 0, &w->rng);

	ordinary_browsing(w, pcs, 10, AT(0, 0, 0), AT(1, 50, 0), 6);
	/* the SaaS becomes familiar during learning */
	browse_https(w, &pcs[2], "upload.boxsaas.example.com", AT(0, 37, 12), 3100, 5200);
	browse_https(w, &pcs[7], "upload.boxsaas.example.com", AT(1, 22, 40), 2600, 4100);
	ordinary_browsing(w, pcs, 10, AT(2, 5, 0), AT(4, 40, 0), 4);

	tls_upload_via_proxy(w, &up[0], "upload.boxsaas.example.com", AT(2, 40, 0), BENIGN_SAAS_SIZE);
	benign_jp_backup(w, &up[1], AT(3, 5, 0));
	benign_download(w, &up[2], AT(3, 30, 0));
	tls_upload_via_proxy(w, &up[3], "update.windowsupdate.com", AT(3, 55, 0), BENIGN_WU_SIZE);
}

/* ------------------------------------------------------------------ */
/* capture 3: egress-xff.pcap (tap on the proxy's outside)             */

static const uint8_t proxy_mac[6] = { 0x00, 0x50, 0x56, 0x8a, 0x4d, 0x02 };
static const uint8_t upstream_mac[6] = { 0x00, 0x1b, 0x54, 0xc2, 0x10, 0x01 };

/* The proxy relays two GETs of different PCs on one server connection. */
static void
egress_http(struct world *w, struct host *proxy, uint64_t t)
{
	struct addr jal = addr_parse("198.51.100.10");
	struct conn c;

	world_conn(w, &c, proxy, &jal, 80, 58, t, MS(6));
	for (int i = 0; i < 2; i++) {
		size_t n = rng_range(&w->rng, 1500, 9000);

		w->b1.len = 0;
		put_fmt(&w->b1, "GET %s HTTP/1.1\r\n",
		    jal_paths[rng_u32(&w->rng) % NPATHS(jal_paths)]);
		put_str(&w->b1, "Accept: text/html, application/xhtml+xml, */*\r\n");
		put_str(&w->b1, "Accept-Language: ja-JP\r\n");
		put_fmt(&w->b1, "User-Agent: %s\r\n", ua_ie11);
		put_str(&w->b1, "Host: www.jal.example.jp\r\n");
		put_fmt(&w->b1, "Via: %s\r\n", via_squid);
		put_fmt(&w->b1, "X-Forwarded-For: 10.1.20.%u\r\n", rng_range(&w->rng, 11, 20));
		put_str(&w->b1, "Cache-Control: max-age=259200\r\n");
		put_str(&w->b1, "Connection: keep-alive\r\n\r\n");
		tcp_send_buf(&c, C2S, &w->b1);
		c.t += MS(rng_range(&w->rng, 8, 40));
		w->b1.len = 0;
		http_response_head(&w->b1, c.t, "text/html; charset=UTF-8", n, false);
		put_html(&w->b1, n, "www.jal.example.jp", &w->rng);
		tcp_send_buf(&c, S2C, &w->b1);
		c.t += MS(rng_range(&w->rng, 200, 4000));
	}
	c.t += MS(rng_range(&w->rng, 2000, 8000));
	tcp_close(&c);
}

/* The proxy's side of a CONNECT tunnel: plain TLS to the origin. */
static void
egress_https(struct world *w, struct host *proxy, const struct addr *dst,
    const char *sni, uint32_t rtt_ms, uint64_t t)
{
	struct conn c;

	world_conn(w, &c, proxy, dst, 443, 52, t, MS(rtt_ms));
	tls_session(w, &c, sni, rng_range(&w->rng, 1200, 3500),
	    rng_range(&w->rng, 3000, 9000), rtt_ms);
	c.t += MS(rng_range(&w->rng, 2000, 10000));
	tcp_close(&c);
}

static void
egress_attack(struct world *w, struct host *proxy, uint64_t t)
{
	struct addr hk = addr_parse("203.0.113.66");
	struct conn c;

	world_conn(w, &c, proxy, &hk, 80, 47, t, MS(55));
	c.crate = 1200000;
	w->b1.len = 0;
	put_str(&w->b1, "POST /upload.php HTTP/1.1\r\n");
	put_str(&w->b1, "Accept: */*\r\n");
	put_fmt(&w->b1, "User-Agent: %s\r\n", ua_msie7);
	put_str(&w->b1, "Host: hk-files.example.net\r\n");
	put_str(&w->b1, "Content-Type: application/octet-stream\r\n");
	put_fmt(&w->b1, "Content-Length: %u\r\n", EGRESS_RAR4_SIZE);
	put_fmt(&w->b1, "Via: %s\r\n", via_squid);
	put_str(&w->b1, "X-Forwarded-For: 10.1.20.25\r\n");
	put_str(&w->b1, "Cache-Control: max-age=259200\r\n");
	put_str(&w->b1, "Connection: keep-alive\r\n\r\n");
	tcp_send_buf(&c, C2S, &w->b1); /* headers, then the body */
	c.t += 50;
	w->b1.len = 0;
	rar4_archive(&w->b1, EGRESS_RAR4_SIZE, "vips_0917.csv", 7864320,
	    (uint32_t)DOS_DATE(2014, 9, 17) << 16 | DOS_TIME(23, 41, 30), &w->rng);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(60);
	small_ok_response(&c, &w->b1, false);
	c.t += MS(5000);
	tcp_close(&c);
}

static void
egress_ordinary(struct world *w, struct host *proxy, struct host *proxy6,
    uint64_t from, uint64_t to, unsigned actions)
{
	struct addr search = addr_parse("198.51.100.140");
	struct addr jal6 = addr_parse("2001:db8:100::10");
	uint64_t slot = (to - from) / actions;

	for (unsigned k = 0; k < actions; k++) {
		uint64_t t = from + k * slot;

		if (k != 0)
			t += rng_u64(&w->rng) % (slot - 60 * US_PER_S);
		switch (k % 5) {
		case 0:
		case 2:
			egress_http(w, proxy, t);
			break;
		case 3:
			egress_https(w, proxy6, &jal6, "www.jal.example.jp", 9, t);
			break;
		default:
			egress_https(w, proxy, &search, "www.search.example.com", 110, t);
			break;
		}
	}
}

static void
gen_egress(struct world *w)
{
	struct host proxy, proxy6;

	memset(&proxy, 0, sizeof(proxy));
	proxy.ip = addr_parse("10.77.1.2");
	memcpy(proxy.mac, proxy_mac, 6);
	proxy.ttl = 64;
	proxy.next_port = 40000;
	proxy6 = proxy;
	proxy6.ip = addr_parse("fd00::77:2");
	proxy6.next_port = 50000;

	egress_ordinary(w, &proxy, &proxy6, AT(0, 0, 0), AT(1, 50, 0), 30);
	egress_ordinary(w, &proxy, &proxy6, AT(2, 5, 0), AT(4, 40, 0), 25);
	egress_attack(w, &proxy, AT(4, 10, 0));
}

/* ------------------------------------------------------------------ */
/* --hostile: Host names that every output format must escape          */

#define HOSTILE_RAR_SIZE 1150000
#define HOSTILE_LONG_HOST 10240

struct hostile_host {
	const char *label;
	const char *name;
	size_t len;
};

#define HOSTILE(label, lit) { label, lit, sizeof(lit) - 1 }

/* Lowercase: the parser lowercases ASCII, and each name must stay unique
 * after whatever the parser cuts (at LF, NUL, 255 bytes). */
static const struct hostile_host hostile_hosts[] = {
	HOSTILE("pipe", "pipe|x.evil.example"),
	HOSTILE("equals", "equals=x.evil.example"),
	HOSTILE("backslash", "backslash\\x.evil.example"),
	HOSTILE("bracket", "bracket]x.evil.example"),
	HOSTILE("quote", "quote\"x.evil.example"),
	HOSTILE("lf", "lf\nx.evil.example"),
	HOSTILE("cr", "cr\rx.evil.example"),
	HOSTILE("nul", "nul\0x.evil.example"),
	HOSTILE("ff-fe", "\xff\xfe" "ff-fe.evil.example"),
	HOSTILE("overlong", "overlong\xc0\xaf" "x.evil.example"),
	HOSTILE("continuation", "cont\x80" "x.evil.example"),
};

/* A ~10 KB name made of every character above, over and over. */
static void
hostile_long_host(struct buf *b)
{
	static const char piece[] = "a|b=c\\d]e\"f\xff\xfe\xc0\xaf\x80g";

	put_str(b, "long-");
	while (b->len < HOSTILE_LONG_HOST - 13)
		put_mem(b, piece, sizeof(piece) - 1);
	put_str(b, ".evil.example");
}

/* POST of a RAR5 archive through the proxy, origin-form, so that the
 * destination comes from the Host header (written byte for byte); with
 * `wild`, its request target and User-Agent are ~240 bytes of the hostile
 * characters too (shorter than the host, so that a cut message cuts the
 * host too; the alert's http_uri and http_user_agent: issue 13). */
static void
hostile_upload(struct world *w, struct host *pc, const char *host,
    size_t host_len, bool wild, uint64_t t)
{
	static const char piece[] = "a|b=c\\d]e\"f\xff\xfe\xc0\xaf\x80g^";
	size_t i;
	struct rar5_file rf = { "hr_export.csv", 6291456, 1411000000, 0, 1 };
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	w->b2.len = 0;
	rar5_archive(&w->b2, HOSTILE_RAR_SIZE, &rf, &w->rng);
	w->b1.len = 0;
	put_str(&w->b1, "POST /upload.php");
	for (i = 0; wild && i < 13; i++)
		put_mem(&w->b1, piece, sizeof(piece) - 1);
	put_str(&w->b1, " HTTP/1.1\r\nHost: ");
	put_mem(&w->b1, host, host_len);
	put_str(&w->b1, "\r\n");
	if (wild) {
		put_str(&w->b1, "User-Agent: ");
		for (i = 0; i < 14; i++)
			put_mem(&w->b1, piece, sizeof(piece) - 1);
		put_str(&w->b1, "\r\n");
	} else {
		put_fmt(&w->b1, "User-Agent: %s\r\n", ua_ie11);
	}
	put_str(&w->b1, "Content-Type: application/x-rar-compressed\r\n");
	put_fmt(&w->b1, "Content-Length: %zu\r\n", w->b2.len);
	put_str(&w->b1, "Proxy-Connection: Keep-Alive\r\n\r\n");
	put_mem(&w->b1, w->b2.p, w->b2.len);
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(200);
	small_ok_response(&c, &w->b1, true);
	c.t += MS(1000);
	tcp_close(&c);
}

/*
 * 10.1.20.66 browses once at 00:00 (the learning window starts at the
 * first packet), then from 02:10 uploads a 1150000-byte RAR5 every three
 * minutes through the proxy, each to one hostile Host, the long one last.
 */
static void
gen_hostile(struct world *w)
{
	struct host pc;
	struct buf longhost = { 0 };
	size_t i, n = sizeof(hostile_hosts) / sizeof(hostile_hosts[0]);

	pc_init(&pc, 66, 0, &w->rng);
	browse_http(w, &pc, "www.jal.example.jp", "/", "/ja/", AT(0, 0, 0));
	for (i = 0; i < n; i++)
		hostile_upload(w, &pc, hostile_hosts[i].name, hostile_hosts[i].len,
		    false, AT(2, 10 + 3 * i, 0));
	hostile_long_host(&longhost);
	hostile_upload(w, &pc, (const char *)longhost.p, longhost.len, true,
	    AT(2, 10 + 3 * n, 0));
	buf_free(&longhost);
}

static void
write_hostile(const char *path)
{
	struct world w;

	world_init(&w, 0x484f5354494c45ULL, pc_gw_mac);
	gen_hostile(&w);
	capture_write(&w.cap, path);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* --burst N: N hosts, one small archive upload each (N alerts at once) */

#define BURST_MAX 100000U /* 8 frames, about 1.8 KB, a host */
#define BURST_RAR_SIZE 1200
#define BURST_GAP_US 10000

/*
 * Host i (0 <= i < N) is 10.128.0.0 + i + 1. Every 10 ms from 00:00 one of
 * them connects straight to 203.0.113.66:8443 (HK in conf/geo-sample.csv),
 * sends one 1200-byte RAR5 archive in one segment and closes: with no
 * learning period and compressed_upload at 1KB, exactly one alert per host
 * and N in all. Eight frames a host.
 */
static void
gen_burst(struct world *w, unsigned n)
{
	struct addr dst = addr_parse("203.0.113.66");
	struct rar5_file rf = { "q3.xlsx", 4096, 1411000000, 0, 1 };
	struct host h;
	struct conn c;

	for (unsigned i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.ip = addr_v4(0x0a800000U + i + 1);
		h.mac[0] = 0x00;
		h.mac[1] = 0x1a;
		h.mac[2] = 0x4b;
		h.mac[3] = (uint8_t)(i >> 16);
		h.mac[4] = (uint8_t)(i >> 8);
		h.mac[5] = (uint8_t)i;
		h.ttl = 128;
		h.next_port = (uint16_t)rng_range(&w->rng, 49152, 60000);
		world_conn(w, &c, &h, &dst, 8443, 47, AT(0, 0, 0) +
		    (uint64_t)i * BURST_GAP_US, MS(2));
		w->b1.len = 0;
		rar5_archive(&w->b1, BURST_RAR_SIZE, &rf, &w->rng);
		tcp_send_buf(&c, C2S, &w->b1);
		tcp_close(&c);
	}
}

/* A count given to option `what`, from lo to hi. */
static unsigned long
parse_count(const char *what, const char *count, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(count, &end, 10);
	if (errno != 0 || end == count || *end != '\0' || *count == '-' || n < lo || n > hi)
		die("%s: count \"%s\" is not %lu to %lu", what, count, lo, hi);
	return n;
}

static void
write_burst(const char *count, const char *path)
{
	struct world w;
	unsigned long n = parse_count("--burst", count, 1, BURST_MAX);

	world_init(&w, 0x4255525354ULL, pc_gw_mac);
	gen_burst(&w, (unsigned)n);
	capture_write(&w.cap, path);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* --blind ATTACK[:N] PATH: a PC tries to blind exfild (issue 11)      */

/*
 * The PC of the JAL case's first upload, 10.1.20.21, browses at 00:00 (the
 * learning window starts at the first packet). At 04:10 it POSTs a 20 MB
 * RAR5 (multipart, as in jal-day.pcap) to hk-files.example.net, through
 * the proxy 10.77.1.2:3128 or straight to 203.0.113.66:80 (HK), its
 * segments 16 KiB (a capture on the PC, which segments by offload). Before
 * or around it the PC tries to blind exfild with N of something:
 *   keepalive-proxy   keep-alive connections to the proxy, opened from
 *                     04:08 over 90 s, each an answered GET, never closed
 *   keepalive-direct  the same; the upload goes straight to Hong Kong
 *   synflood-proxy    the upload's head and first 16 KiB, then N bare SYNs
 *                     to 198.51.100.99 over 4 minutes (262300: 1.1k a
 *                     second), then the rest of the upload
 *   synflood-direct   the same straight to Hong Kong, the RAR one that
 *                     stores text (only its first bytes say "archive")
 *   flows             one-packet flows (a byte of payload) to 198.51.100.99
 *   pairs             one-packet flows from 1024 spoofed neighbours
 *                     (10.2.0.1-10.2.4.0) to N/1024 addresses in 100.64/10
 *   dests             one-packet flows to N addresses in 100.64.0.0/10
 * the last three over the minute up to 12 s into the upload (which takes
 * 15 s, so that its pair is still the most recent at the end). N = 0: the
 * upload alone.
 */
#define BLIND_PC 21
#define BLIND_RAR_SIZE 20000000
#define BLIND_PORT0 49152        /* the keep-alive connections' first port */
#define BLIND_KEEPALIVE_MAX 16000 /* Windows' dynamic ports: 16384 */
#define BLIND_FLOOD_MAX 4000000
#define BLIND_PAUSE_S 240        /* the upload's pause for the SYN flood */
#define BLIND_AROUND_S 60        /* the one-packet flows' span */
#define BLIND_INTO_S 12          /* ... which ends this far into the upload */
#define BLIND_NEIGHBOURS 1024
#define BLIND_TARGET "198.51.100.99"
#define BLIND_SHARED 0x64400000U /* 100.64.0.0/10 (RFC 6598): 4M addresses */
#define BLIND_SPOOFED 0x0a020000U /* 10.2.0.0 */

enum blind_flood { FLOOD_KEEPALIVE, FLOOD_SYN, FLOOD_FLOWS, FLOOD_PAIRS, FLOOD_DESTS };

static const struct blind_attack {
	const char *name;
	enum blind_flood flood;
	bool direct; /* the upload bypasses the proxy */
	bool stored; /* its RAR stores text */
	unsigned long count, max;
} blind_attacks[] = {
	{ "keepalive-proxy", FLOOD_KEEPALIVE, false, false, 4096, BLIND_KEEPALIVE_MAX },
	{ "keepalive-direct", FLOOD_KEEPALIVE, true, false, 4096, BLIND_KEEPALIVE_MAX },
	{ "synflood-proxy", FLOOD_SYN, false, false, 262300, BLIND_FLOOD_MAX },
	{ "synflood-direct", FLOOD_SYN, true, true, 262300, BLIND_FLOOD_MAX },
	{ "flows", FLOOD_FLOWS, false, false, 1000000, BLIND_FLOOD_MAX },
	{ "pairs", FLOOD_PAIRS, false, false, 1000000, BLIND_FLOOD_MAX },
	{ "dests", FLOOD_DESTS, false, false, 1000000, BLIND_FLOOD_MAX },
};

#define NBLIND (sizeof(blind_attacks) / sizeof(blind_attacks[0]))

/* n keep-alive connections to the proxy, one a port, each a GET answered
 * and never closed; the PC's next connection takes the port after. */
static void
keepalive_conns(struct world *w, struct host *pc, unsigned long n,
    uint64_t from, uint64_t span)
{
	struct conn c;

	for (unsigned long i = 0; i < n; i++) {
		pc->next_port = (uint16_t)(BLIND_PORT0 + i);
		world_proxy_conn(w, &c, pc, from + span * i / n);
		w->b1.len = 0;
		http_proxy_get(&w->b1, "www.jal.example.jp", "/", false);
		tcp_send_buf(&c, C2S, &w->b1);
		c.t += MS(30);
		small_ok_response(&c, &w->b1, true);
	}
	pc->next_port = (uint16_t)(BLIND_PORT0 + n);
}

/* Flow i of a flood of one-packet flows: its ends and ports. */
static void
flood_flow(enum blind_flood k, unsigned long i, struct addr *src,
    struct addr *dst, struct pkt *p)
{
	p->sport = (uint16_t)(1024 + i % 64512);
	p->dport = (uint16_t)(1 + i / 64512);
	if (k == FLOOD_PAIRS) {
		*src = addr_v4(BLIND_SPOOFED + 1 + (uint32_t)(i % BLIND_NEIGHBOURS));
		*dst = addr_v4(BLIND_SHARED + 1 + (uint32_t)(i / BLIND_NEIGHBOURS));
	} else if (k == FLOOD_DESTS) {
		*dst = addr_v4(BLIND_SHARED + 1 + (uint32_t)i);
	}
}

/* n flows of one packet each from the PC's MAC, a bare SYN or a byte of
 * payload, spread evenly over [from, from + span). */
static void
flood(struct world *w, const struct host *pc, enum blind_flood k,
    unsigned long n, uint64_t from, uint64_t span)
{
	static const uint8_t byte = 'x';
	struct addr src = pc->ip, dst = addr_parse(BLIND_TARGET);
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.smac = pc->mac;
	p.dmac = w->gw_mac;
	p.src = &src;
	p.dst = &dst;
	p.ttl = pc->ttl;
	p.proto = PROTO_TCP;
	p.win = 8192;
	p.flags = k == FLOOD_SYN ? TH_SYN : TH_ACK | TH_PSH;
	p.pl = k == FLOOD_SYN ? NULL : &byte;
	p.len = k == FLOOD_SYN ? 0 : 1;
	for (unsigned long i = 0; i < n; i++) {
		flood_flow(k, i, &src, &dst, &p);
		p.ipid = (uint16_t)i;
		p.seq = rng_u32(&w->rng);
		p.ack = k == FLOOD_SYN ? 0 : rng_u32(&w->rng);
		emit_pkt(&w->cap.sink, from + span * i / n, &p);
	}
}

/* The 20 MB RAR in a multipart POST to hk-files.example.net: its head in
 * one segment, its body in 16 KiB ones, paused after the first for
 * pause_us (0: no pause). */
static void
blind_upload(struct world *w, struct host *pc, const struct blind_attack *a,
    uint64_t t, uint64_t pause_us)
{
	struct rar5_file rf = { "vips_0917.csv", 94371840, 1410997690, 0, 1 };
	struct addr hk = addr_parse("203.0.113.66");
	struct buf rar = { 0 }, text = { 0 };
	struct conn c;

	if (a->direct)
		world_conn(w, &c, pc, &hk, 80, 47, t, MS(55));
	else
		world_proxy_conn(w, &c, pc, t);
	c.crate = 1500000;
	c.mss = TSO_SEG;
	if (a->stored) {
		put_html(&text, BLIND_RAR_SIZE - 64, "VIPS members", &w->rng);
		rar5_stored_archive(&rar, text.p, text.len, &rf);
	} else {
		rar5_archive(&rar, BLIND_RAR_SIZE, &rf, &w->rng);
	}
	w->b2.len = 0;
	multipart_body(&w->b2, "id", "PC0121-1", "vips_0917.rar", rar.p, rar.len);
	w->b1.len = 0;
	http_post_head(&w->b1, "hk-files.example.net", "/upload.php", ua_msie7,
	    w->b2.len, !a->direct);
	tcp_send_buf(&c, C2S, &w->b1);
	tcp_send_split(&c, C2S, w->b2.p, w->b2.len, pause_us ? TSO_SEG : 0,
	    (uint32_t)pause_us);
	c.t += MS(240);
	small_ok_response(&c, &w->b1, !a->direct);
	c.t += MS(1800);
	tcp_close(&c);
	buf_free(&rar);
	buf_free(&text);
}

static void
gen_blind(struct world *w, const struct blind_attack *a, unsigned long n)
{
	uint64_t up = AT(4, 10, 0), around = (uint64_t)BLIND_AROUND_S * US_PER_S;
	uint64_t into = (uint64_t)BLIND_INTO_S * US_PER_S;
	uint64_t pause = (uint64_t)BLIND_PAUSE_S * US_PER_S;
	struct host pc;

	pc_init(&pc, BLIND_PC, 0, &w->rng);
	browse_http(w, &pc, "www.jal.example.jp", "/", "/ja/", AT(0, 0, 0));
	switch (a->flood) {
	case FLOOD_KEEPALIVE:
		keepalive_conns(w, &pc, n, AT(4, 8, 0), 90 * US_PER_S);
		blind_upload(w, &pc, a, up, 0);
		break;
	case FLOOD_SYN:
		/* the upload's first 16 KiB are out within a second */
		flood(w, &pc, a->flood, n, up + US_PER_S, pause - 2 * US_PER_S);
		blind_upload(w, &pc, a, up, pause);
		break;
	default:
		flood(w, &pc, a->flood, n, up + into - around, around);
		blind_upload(w, &pc, a, up, 0);
		break;
	}
}

/* spec: ATTACK or ATTACK:N */
static void
write_blind(const char *spec, const char *path)
{
	const struct blind_attack *a = NULL;
	const char *colon = strchr(spec, ':');
	size_t len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	struct world w;
	unsigned long n;

	for (size_t i = 0; i < NBLIND; i++)
		if (strlen(blind_attacks[i].name) == len &&
		    strncmp(blind_attacks[i].name, spec, len) == 0)
			a = &blind_attacks[i];
	if (a == NULL)
		die("--blind: no attack \"%.*s\" (keepalive-proxy, keepalive-direct, "
		    "synflood-proxy, synflood-direct, flows, pairs, dests)", (int)len, spec);
	n = colon != NULL ? parse_count("--blind", colon + 1, 0, a->max) : a->count;
	world_init(&w, 0x424c494e4431ULL, pc_gw_mac);
	gen_blind(&w, a, n);
	capture_write(&w.cap, path);
	world_free(&w);
}

static void
write_samples(const char *dir)
{
	static const struct {
		const char *file;
		uint64_t seed;
		const uint8_t *gw;
		void (*gen)(struct world *);
	} samples[] = {
		{ "jal-day.pcap", 0x4a414c20140918ULL, pc_gw_mac, gen_jal_day },
		{ "benign-day.pcap", 0x42454e20140918ULL, pc_gw_mac, gen_benign_day },
		{ "egress-xff.pcap", 0x58464620140918ULL, upstream_mac, gen_egress },
	};
	struct world w;
	char path[4096];

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		world_init(&w, samples[i].seed, samples[i].gw);
		samples[i].gen(&w);
		snprintf(path, sizeof(path), "%s/%s", dir, samples[i].file);
		capture_write(&w.cap, path);
		world_free(&w);
	}
}

/* ------------------------------------------------------------------ */
/* conversation log: what the proxy (Squid) and a sensor at the tap     */
/* (Zeek) log of the conversations a world writes (--week)              */

/* A TCP connection as Zeek's conn.log has it. */
struct logconn {
	uint64_t start, end;
	struct addr cli, srv;
	uint16_t cport, sport;
	uint64_t up, down; /* payload bytes each way */
	size_t req;        /* its latest request's index + 1; 0: none */
	unsigned depth;    /* requests so far */
};

/* An HTTP request (a CONNECT: with its tunnel) as Squid and http.log
 * have it. */
struct logreq {
	size_t conn;
	uint64_t start, end;
	char method[12], target[256], host[256], mime[64];
	uint64_t up, down;           /* all bytes each way (Squid %>st, %<st) */
	uint64_t up_body, down_body; /* bodies (http.log); 0 for a tunnel */
	uint16_t status;
	unsigned depth;
	bool replied;
};

struct convlog {
	struct logconn *conns;
	size_t nconns, capconns;
	struct logreq *reqs;
	size_t nreqs, capreqs;
};

/* Where an HTTP head of n bytes ends (after CRLF CRLF); n if it does not. */
static size_t
head_len(const uint8_t *p, size_t n)
{
	const uint8_t *e = memmem(p, n, "\r\n\r\n", 4);

	return e != NULL ? (size_t)(e - p) + 4 : n;
}

/* The value of header `name` in the head p[0..n), up to CR or ';'. */
static void
head_value(const uint8_t *p, size_t n, const char *name, char *out, size_t outlen)
{
	char key[64];
	const uint8_t *v;
	size_t k, i = 0;

	out[0] = '\0';
	k = (size_t)snprintf(key, sizeof(key), "\r\n%s: ", name);
	if ((v = memmem(p, n, key, k)) == NULL)
		return;
	v += k;
	while (v + i < p + n && v[i] != '\r' && v[i] != ';' && i + 1 < outlen) {
		out[i] = (char)v[i];
		i++;
	}
	out[i] = '\0';
}

/* Copies the word of p[0..n) starting at *off (up to a space or CR). */
static void
head_word(const uint8_t *p, size_t n, size_t *off, char *out, size_t outlen)
{
	size_t i = 0;

	while (*off < n && p[*off] != ' ' && p[*off] != '\r') {
		if (i + 1 < outlen)
			out[i++] = (char)p[*off];
		(*off)++;
	}
	out[i] = '\0';
	if (*off < n && p[*off] == ' ')
		(*off)++;
}

static bool
is_request(const uint8_t *p, size_t n)
{
	static const char *const methods[] = { "GET ", "POST ", "CONNECT ", "HEAD ", "PUT " };

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (n > strlen(methods[i]) && memcmp(p, methods[i], strlen(methods[i])) == 0)
			return true;
	return false;
}

static void
convlog_open(struct conn *c)
{
	struct convlog *l = c->log;
	struct logconn *k;

	if (l->nconns == l->capconns) {
		l->capconns = l->capconns ? l->capconns * 2 : 1024;
		l->conns = xrealloc(l->conns, l->capconns * sizeof(*l->conns));
	}
	c->log_conn = l->nconns++;
	k = &l->conns[c->log_conn];
	memset(k, 0, sizeof(*k));
	k->start = k->end = c->t;
	k->cli = c->cip;
	k->srv = c->sip;
	k->cport = c->cport;
	k->sport = c->sport;
}

static struct logreq *
convlog_request(struct convlog *l, struct logconn *k, const uint8_t *p,
    size_t n, uint64_t start)
{
	struct logreq *q;
	size_t off = 0, hl = head_len(p, n);

	if (l->nreqs == l->capreqs) {
		l->capreqs = l->capreqs ? l->capreqs * 2 : 1024;
		l->reqs = xrealloc(l->reqs, l->capreqs * sizeof(*l->reqs));
	}
	q = &l->reqs[l->nreqs++];
	memset(q, 0, sizeof(*q));
	q->conn = (size_t)(k - l->conns);
	q->start = start;
	q->depth = ++k->depth;
	k->req = l->nreqs;
	head_word(p, hl, &off, q->method, sizeof(q->method));
	head_word(p, hl, &off, q->target, sizeof(q->target));
	head_value(p, hl, "Host", q->host, sizeof(q->host));
	q->up_body = n - hl;
	return q;
}

/* len bytes went one way from `start` to c->t. */
static void
convlog_data(struct conn *c, enum dir d, const uint8_t *data, size_t len,
    uint64_t start)
{
	struct convlog *l = c->log;
	struct logconn *k = &l->conns[c->log_conn];
	struct logreq *q = k->req != 0 ? &l->reqs[k->req - 1] : NULL;
	bool tunnel = q != NULL && strcmp(q->method, "CONNECT") == 0;

	if (d == C2S) {
		k->up += len;
		if (!tunnel && is_request(data, len))
			q = convlog_request(l, k, data, len, start);
		else if (q != NULL && !tunnel)
			q->up_body += len;
		if (q != NULL)
			q->up += len;
	} else {
		k->down += len;
		if (q != NULL && !q->replied && len > 12 && memcmp(data, "HTTP/1.", 7) == 0) {
			size_t hl = head_len(data, len);

			q->replied = true;
			q->status = (uint16_t)((data[9] - '0') * 100 + (data[10] - '0') * 10 +
			    (data[11] - '0'));
			head_value(data, hl, "Content-Type", q->mime, sizeof(q->mime));
			if (!tunnel)
				q->down_body += len - hl;
		} else if (q != NULL && !tunnel) {
			q->down_body += len;
		}
		if (q != NULL)
			q->down += len;
	}
	k->end = c->t;
	if (q != NULL)
		q->end = c->t;
}

/* The connection closes: a tunnel ends with it. */
static void
convlog_close(struct conn *c)
{
	struct convlog *l = c->log;
	struct logconn *k = &l->conns[c->log_conn];

	k->end = c->t;
	if (k->req != 0 && strcmp(l->reqs[k->req - 1].method, "CONNECT") == 0)
		l->reqs[k->req - 1].end = c->t;
}

static void
convlog_free(struct convlog *l)
{
	free(l->conns);
	free(l->reqs);
}

static void
addr_text(const struct addr *a, char *s, size_t n)
{
	inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->b, s, (socklen_t)n);
}

/* The host a request names (CONNECT host:port, or an absolute URI). */
static void
req_site(const struct logreq *q, char *out, size_t n)
{
	const char *p = q->target;
	size_t i = 0;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	while (p[i] != '\0' && p[i] != ':' && p[i] != '/' && i + 1 < n) {
		out[i] = p[i];
		i++;
	}
	out[i] = '\0';
}

static FILE *
open_out(const char *dir, const char *name, char *path, size_t n)
{
	FILE *fp;

	snprintf(path, n, "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	return fp;
}

static void
close_out(FILE *fp, const char *path, size_t lines)
{
	if (ferror(fp) || fclose(fp) != 0)
		die("%s: write failed", path);
	printf("%s: %zu lines\n", path, lines);
}

/*
 * Squid's access.log, as the proxy writes it: each request through it when
 * it ends, in the logformat
 * "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %>st %rm %ru %[un %Sh/%<a %mt"
 * (native with %>st added); addr_of gives the origin's address.
 */
static void
convlog_write_squid(const struct convlog *l, const struct addr *proxy,
    const char *(*addr_of)(const char *), const char *dir, const char *name)
{
	struct frec *o = xrealloc(NULL, (l->nreqs + 1) * sizeof(*o));
	size_t n = 0;
	char path[4096], cli[64], site[256];
	FILE *fp = open_out(dir, name, path, sizeof(path));

	for (size_t i = 0; i < l->nreqs; i++)
		if (memcmp(&l->conns[l->reqs[i].conn].srv, proxy, sizeof(*proxy)) == 0)
			o[n++] = (struct frec){ .ts = l->reqs[i].end, .order = i };
	qsort(o, n, sizeof(*o), frec_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct logreq *q = &l->reqs[o[i].order];
		bool tunnel = strcmp(q->method, "CONNECT") == 0;

		addr_text(&l->conns[q->conn].cli, cli, sizeof(cli));
		req_site(q, site, sizeof(site));
		fprintf(fp, "%llu.%03u %6llu %s %s/%03u %llu %llu %s %s - HIER_DIRECT/%s %s\n",
		    (unsigned long long)(q->end / US_PER_S),
		    (unsigned)(q->end % US_PER_S / 1000),
		    (unsigned long long)((q->end - q->start) / 1000), cli,
		    tunnel ? "TCP_TUNNEL" : "TCP_MISS", q->status,
		    (unsigned long long)q->down, (unsigned long long)q->up,
		    q->method, q->target, addr_of(site),
		    q->mime[0] != '\0' ? q->mime : "-");
	}
	close_out(fp, path, n);
	free(o);
}

static void
zeek_header(FILE *fp, const char *path, const char *fields, const char *types)
{
	fprintf(fp, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
	    "#unset_field\t-\n#path\t%s\n#open\t2014-09-21-15-00-00\n"
	    "#fields\t%s\n#types\t%s\n", path, fields, types);
}

static void
zeek_ids(FILE *fp, const struct logconn *k, size_t i, uint64_t ts)
{
	char cli[64], srv[64];

	addr_text(&k->cli, cli, sizeof(cli));
	addr_text(&k->srv, srv, sizeof(srv));
	fprintf(fp, "%llu.%06u\tCwk%014zu\t%s\t%u\t%s\t%u",
	    (unsigned long long)(ts / US_PER_S), (unsigned)(ts % US_PER_S), i,
	    cli, k->cport, srv, k->sport);
}

/*
 * Zeek's conn.log (every TCP connection, by start) and http.log (every
 * request, by start; a CONNECT's tunnel is not its body), TSV.
 */
static void
convlog_write_zeek(const struct convlog *l, const char *dir, const char *conn_name,
    const char *http_name)
{
	size_t most = l->nconns > l->nreqs ? l->nconns : l->nreqs;
	struct frec *o = xrealloc(NULL, (most + 1) * sizeof(*o));
	char path[4096];
	FILE *fp = open_out(dir, conn_name, path, sizeof(path));

	zeek_header(fp, "conn", "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
	    "proto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\t"
	    "missed_bytes\thistory", "time\tstring\taddr\tport\taddr\tport\tenum\t"
	    "string\tinterval\tcount\tcount\tstring\tcount\tstring");
	for (size_t i = 0; i < l->nconns; i++)
		o[i] = (struct frec){ .ts = l->conns[i].start, .order = i };
	qsort(o, l->nconns, sizeof(*o), frec_cmp);
	for (size_t i = 0; i < l->nconns; i++) {
		const struct logconn *k = &l->conns[o[i].order];
		uint64_t dur = k->end - k->start;

		zeek_ids(fp, k, (size_t)o[i].order, k->start);
		fprintf(fp, "\ttcp\t%s\t%llu.%06u\t%llu\t%llu\tSF\t0\tShADadFf\n",
		    k->sport == 443 ? "ssl" : k->sport == PROXY_PORT ? "http" : "-",
		    (unsigned long long)(dur / US_PER_S), (unsigned)(dur % US_PER_S),
		    (unsigned long long)k->up, (unsigned long long)k->down);
	}
	fprintf(fp, "#close\t2014-09-28-15-00-00\n");
	close_out(fp, path, l->nconns);

	fp = open_out(dir, http_name, path, sizeof(path));
	zeek_header(fp, "http", "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t"
	    "trans_depth\tmethod\thost\turi\tversion\trequest_body_len\t"
	    "response_body_len\tstatus_code\tusername\torig_mime_types\tresp_mime_types",
	    "time\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\t"
	    "string\tcount\tcount\tcount\tstring\tvector[string]\tvector[string]");
	for (size_t i = 0; i < l->nreqs; i++)
		o[i] = (struct frec){ .ts = l->reqs[i].start, .order = i };
	qsort(o, l->nreqs, sizeof(*o), frec_cmp);
	for (size_t i = 0; i < l->nreqs; i++) {
		const struct logreq *q = &l->reqs[o[i].order];

		zeek_ids(fp, &l->conns[q->conn], q->conn, q->start);
		fprintf(fp, "\t%u\t%s\t%s\t%s\t1.1\t%llu\t%llu\t%u\t-\t-\t%s\n",
		    q->depth, q->method, q->host[0] != '\0' ? q->host : "-", q->target,
		    (unsigned long long)q->up_body, (unsigned long long)q->down_body,
		    q->status, q->mime[0] != '\0' ? q->mime : "-");
	}
	fprintf(fp, "#close\t2014-09-28-15-00-00\n");
	close_out(fp, path, l->nreqs);
	free(o);
}

/* ------------------------------------------------------------------ */
/* --week DIR: a week at the tap, with every pattern of the issue-10   */
/* rules and the traps beside them; the same conversations as Squid's  */
/* access.log and Zeek's conn.log and http.log (tests/e2e/week.sh)      */

#define WEEK0_S 1411311600ULL /* Monday 2014-09-22 00:00 JST (UTC+9) */
#define WT(d, h, m) \
	((WEEK0_S + (uint64_t)(d) * 86400 + (uint64_t)(h) * 3600 + \
	(uint64_t)(m) * 60) * US_PER_S)
#define MIN_US(x) ((uint64_t)(x) * 60 * US_PER_S)

enum week_day { MON, TUE, WED, THU, FRI, SAT, SUN, WEEK_DAYS };

/* Names reached through the proxy and their addresses (the same as
 * tests/e2e/week-hosts; countries in tests/e2e/week-geo.csv). */
static const struct week_site {
	const char *name, *addr;
} week_sites[] = {
	/* familiar: first seen on Monday, while the baseline learns */
	{ "www.search.example.com", "198.51.100.40" },       /* JP */
	{ "www.jal.example.jp", "198.51.100.10" },           /* JP */
	{ "backup.cloudvault.example.com", "198.51.100.200" }, /* US: the cloud backup */
	{ "app.boxsaas.example.com", "198.51.100.150" },     /* US: the familiar SaaS */
	/* first seen after learning */
	{ "app.kintai.example.jp", "198.51.100.30" },        /* JP: new SaaS */
	{ "cdn.fastmirror.example.net", "192.0.2.200" },     /* US: new CDN */
	{ "forms.survey.example.de", "192.0.2.30" },         /* DE: form posts */
	{ "www.travelblog.example.sg", "203.0.113.140" },    /* SG: browsing */
	{ "sync.cloudnote.example.net", "192.0.2.40" },      /* DE: slow-upload */
	{ "hk-files.example.net", "203.0.113.66" },          /* HK: campaign */
	{ "update.cdn-check.example.com", "203.0.113.77" },  /* HK: beacon */
	{ "paste.example.net", "203.0.113.99" },             /* HK: dormant-host */
	{ "nightdrop.example.com", "192.0.2.160" },          /* US: off-hours */
};

static const char *
week_addr_of(const char *name)
{
	for (size_t i = 0; i < sizeof(week_sites) / sizeof(week_sites[0]); i++)
		if (strcmp(week_sites[i].name, name) == 0)
			return week_sites[i].addr;
	if (strcmp(name, "news.example.org") == 0)
		return "198.51.100.170"; /* browse_news's DNS answer */
	die("--week: no address for %s", name);
}

/* Any host by address: internal ones Windows-like, visitors Linux-like. */
static void
week_host(struct host *h, const char *ip, struct rng *r)
{
	memset(h, 0, sizeof(*h));
	h->ip = addr_parse(ip);
	h->mac[0] = 0x00;
	h->mac[1] = 0x1a;
	h->mac[2] = 0x4b;
	memcpy(h->mac + 3, h->ip.b + 1, 3);
	h->ttl = h->ip.b[0] == 10 ? 128 : 52;
	h->next_port = (uint16_t)rng_range(r, 49152, 60000);
}

/* A TLS conversation straight to dst:443 (no proxy), `up` bytes of
 * records out and `down` back. */
static void
tls_direct(struct world *w, struct host *cli, const char *dst, const char *sni,
    uint64_t t, size_t up, size_t down)
{
	struct addr a = addr_parse(dst);
	struct conn c;

	world_conn(w, &c, cli, &a, 443, 50, t, MS(rng_range(&w->rng, 20, 90)));
	c.crate = 2000000;
	tls_session(w, &c, sni, up, down, rng_range(&w->rng, 30, 110));
	c.t += MS(rng_range(&w->rng, 200, 2000));
	tcp_close(&c);
}

/* A small form (text, `size` bytes) POSTed through the proxy. */
static void
form_post_via_proxy(struct world *w, struct host *pc, const char *site,
    uint64_t t, size_t size)
{
	struct buf text = { 0 };
	struct conn c;

	world_proxy_conn(w, &c, pc, t);
	put_html(&text, size, "survey", &w->rng);
	w->b2.len = 0;
	multipart_body(&w->b2, "q1", "yes", "comments.html", text.p, text.len);
	proxy_post_and_close(w, &c, site, "/submit", 180, 1500);
	buf_free(&text);
}

/* A bulk read of the crown jewel (VIPS, 10.20.9.5:1521): a query out,
 * `size` bytes of rows back. */
static void
crown_jewel_pull(struct world *w, struct host *pc, uint64_t t, size_t size)
{
	struct addr vips = addr_parse("10.20.9.5");
	struct conn c;

	world_conn(w, &c, pc, &vips, 1521, 64, t, 300);
	w->b1.len = 0;
	put_str(&w->b1, "SELECT * FROM VIPS.CUSTOMER WHERE REGION IN ('KANTO','KANSAI')");
	tcp_send_buf(&c, C2S, &w->b1);
	c.t += MS(400);
	w->b1.len = 0;
	put_rand(&w->b1, &w->rng, size);
	tcp_send_buf(&c, S2C, &w->b1);
	c.t += MS(200);
	tcp_close(&c);
}

/* An exponential gap of mean `mean_s` seconds (a person's visits). */
static uint64_t
gap_exp(struct rng *r, double mean_s)
{
	double u = ((double)rng_u32(r) + 1.0) / 4294967297.0;

	return (uint64_t)(-log(u) * mean_s * (double)US_PER_S);
}

/* A period of `period_s` seconds, ±10 %. */
static uint64_t
gap_jitter(struct rng *r, uint64_t period_s)
{
	return period_s * US_PER_S * rng_range(r, 900, 1100) / 1000;
}

/* Ordinary browsing of domestic and familiar sites: `actions` a day
 * between 08:30 and 18:30 of day d. */
static void
week_browse(struct world *w, struct host *pc, enum week_day d, unsigned actions)
{
	uint64_t slot = MIN_US(600) / actions;

	for (unsigned k = 0; k < actions; k++)
		ordinary_action(w, pc, WT(d, 8, 30) + k * slot +
		    rng_u64(&w->rng) % (slot - MIN_US(2)));
}

/*
 * The week (Monday 00:00 to Sunday 24:00 JST; the baseline learns on
 * Monday). Each pattern's hosts (10.1.20.x unless said):
 *   slow-upload   .40 via the proxy, .41 direct: 5.2 MB a day, Tue-Fri in
 *                 working hours, in 10 parts (520 kB an hour)
 *   campaign      .80-.83 via the proxy (Wed), .84-.86 direct (Thu):
 *                 150 kB each to one Hong Kong server
 *   beacon        .50 CONNECT every 300 s ±10 % (Wed 09:00 to Thu 09:00),
 *                 .51 direct TLS every 600 s ±10 % (Tue 12:00 to Wed 12:00)
 *   dormant-host  .90 first seen Fri (proxy), .91 quiet Tue-Thu (direct):
 *                 1.3 MB abroad on Friday
 *   off-hours     .60 Wed 22:30 (proxy), .61 Sat 14:00 (direct): 2.2 MB
 *   server-egress 10.50.0.11 (listed) opens out Thu 03:10; 10.50.0.20
 *                 (learned: visitors from Monday) Fri 04:00
 *   staging       .70 reads 21 MB of VIPS Thu 10:00, uploads 1.2 MB to
 *                 Hong Kong at 12:00
 * and the traps, each to stay quiet:
 *   nightly backup 10.1.30.5 -> the familiar cloud, 3 MB at 02:00 daily
 *   .16-.27 adopt a new domestic SaaS (150 kB each, Wed)
 *   .12-.15 download 600 kB each from a new foreign CDN (Tue)
 *   .87-.89 and .11 post 20 kB forms abroad (Thu)
 *   .52 browses a new foreign site at random times (Thu, ~60 visits)
 *   .92 back from holiday (quiet Tue-Thu) uploads 2 MB to the familiar SaaS
 *   .62 works late (Thu 21:30) with a new domestic partner: 2.2 MB
 *   10.50.0.10 (listed) answers foreign visitors all week, opens nothing
 *   .70, after its VIPS read, uploads 1.2 MB to the familiar SaaS (11:00)
 *   and 1.2 MB to a new domestic host (11:30)
 */
#define WEEK_SLOW_PART 520000
#define WEEK_CAMPAIGN_SIZE 150000
#define WEEK_DORMANT_SIZE 1300000
#define WEEK_OFF_HOURS_SIZE 2200000
#define WEEK_BACKUP_SIZE 3000000
#define WEEK_PULL_SIZE 21000000
#define WEEK_STAGED_SIZE 1200000
#define WEEK_VISITS 12 /* a day, per public server */

static const unsigned week_office[] = {
	11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
	28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 50, 51, 52,
	60, 61, 62, 70, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
};

#define NOFFICE (sizeof(week_office) / sizeof(week_office[0]))

static void
week_servers(struct world *w)
{
	static const char *const servers[] = { "10.50.0.10", "10.50.0.11", "10.50.0.20" };
	static const char *const visitors[] = {
		"203.0.113.200", "203.0.113.201", "203.0.113.202",
		"192.0.2.220", "192.0.2.221", "192.0.2.222",
	};
	struct host srv[3], vis[6];

	for (size_t i = 0; i < 3; i++)
		week_host(&srv[i], servers[i], &w->rng);
	for (size_t i = 0; i < 6; i++)
		week_host(&vis[i], visitors[i], &w->rng);
	for (unsigned d = MON; d < WEEK_DAYS; d++)
		for (size_t s = 0; s < 3; s++)
			for (unsigned k = 0; k < WEEK_VISITS; k++) {
				uint64_t slot = MIN_US(24 * 60) / WEEK_VISITS;
				uint64_t t = WT(d, 0, 0) + k * slot +
				    (d == MON && k == 0 ? 0 : rng_u64(&w->rng) % (slot - MIN_US(1)));

				tls_direct(w, &vis[rng_u32(&w->rng) % 6],
				    servers[s],
				    "www.corp.example.jp", t, rng_range(&w->rng, 400, 900),
				    rng_range(&w->rng, 4000, 12000));
			}
	/* the listed server and the learned one open connections out */
	tls_direct(w, &srv[1], "203.0.113.120", "dl.hk-mirror.example.net",
	    WT(THU, 3, 10), 4200, 2100);
	tls_direct(w, &srv[2], "192.0.2.90", "c2.example.de", WT(FRI, 4, 0), 3800, 1900);
}

static void
gen_week(struct world *w)
{
	struct host pc[256], backup;
	uint64_t t;

	for (unsigned i = 1; i < 256; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "10.1.20.%u", i);
		week_host(&pc[i], ip, &w->rng);
	}
	week_host(&backup, "10.1.30.5", &w->rng);

	week_servers(w);
	/* ordinary browsing, weekdays; the holiday PCs only Mon and Fri,
	 * .90 only from Friday (first seen then) */
	for (unsigned d = MON; d <= FRI; d++)
		for (size_t i = 0; i < NOFFICE; i++)
			week_browse(w, &pc[week_office[i]], (enum week_day)d, 3);
	week_browse(w, &pc[91], MON, 3);
	week_browse(w, &pc[92], MON, 3);
	/* the familiar SaaS and cloud are seen while the baseline learns */
	browse_https(w, &pc[13], "app.boxsaas.example.com", WT(MON, 10, 12), 2400, 6100);
	browse_https(w, &pc[29], "app.boxsaas.example.com", WT(MON, 14, 40), 3100, 5200);

	/* the nightly backup to the familiar cloud, every night */
	for (unsigned d = MON; d < WEEK_DAYS; d++)
		tls_upload_via_proxy(w, &backup, "backup.cloudvault.example.com",
		    WT(d, 2, 0) + MIN_US(rng_range(&w->rng, 0, 5)), WEEK_BACKUP_SIZE);

	/* slow-upload */
	for (unsigned d = TUE; d <= FRI; d++)
		for (unsigned k = 0; k < 10; k++) {
			tls_upload_via_proxy(w, &pc[40], "sync.cloudnote.example.net",
			    WT(d, 9 + k, 10) + MIN_US(rng_range(&w->rng, 0, 8)), WEEK_SLOW_PART);
			tls_direct(w, &pc[41], "192.0.2.45", "sync2.cloudnote.example.net",
			    WT(d, 9 + k, 20) + MIN_US(rng_range(&w->rng, 0, 8)), WEEK_SLOW_PART, 600);
		}

	/* campaign, and the domestic SaaS, the CDN and the forms beside it */
	for (unsigned i = 0; i < 4; i++)
		tls_upload_via_proxy(w, &pc[80 + i], "hk-files.example.net",
		    WT(WED, 10, 0) + MIN_US(90 * i), WEEK_CAMPAIGN_SIZE);
	for (unsigned i = 0; i < 3; i++)
		tls_direct(w, &pc[84 + i], "203.0.113.67", "up.hk-files.example.net",
		    WT(THU, 10, 0) + MIN_US(60 * i), WEEK_CAMPAIGN_SIZE, 800);
	for (unsigned i = 0; i < 12; i++)
		tls_upload_via_proxy(w, &pc[16 + i], "app.kintai.example.jp",
		    WT(WED, 9, 0) + MIN_US(20 * i), WEEK_CAMPAIGN_SIZE);
	for (unsigned i = 0; i < 4; i++)
		proxy_download(w, &pc[12 + i], WT(TUE, 10, 0) + MIN_US(45 * i),
		    "cdn.fastmirror.example.net", "/pkg/viewer-2.4.msi", 600000);
	{
		static const unsigned posters[] = { 87, 88, 89, 11 };

		for (unsigned i = 0; i < 4; i++)
			form_post_via_proxy(w, &pc[posters[i]], "forms.survey.example.de",
			    WT(THU, 13, 0) + MIN_US(25 * i), 20000);
	}

	/* beacons, and a person's random visits beside them */
	for (t = WT(WED, 9, 0); t < WT(THU, 9, 0); t += gap_jitter(&w->rng, 300))
		browse_https(w, &pc[50], "update.cdn-check.example.com", t, 420, 910);
	for (t = WT(TUE, 12, 0); t < WT(WED, 12, 0); t += gap_jitter(&w->rng, 600))
		tls_direct(w, &pc[51], "203.0.113.88", "api.cdn-check.example.com", t, 380, 760);
	for (t = WT(THU, 9, 0); t < WT(THU, 19, 0); t += MS(2500) + gap_exp(&w->rng, 600))
		browse_https(w, &pc[52], "www.travelblog.example.sg", t,
		    rng_range(&w->rng, 900, 2600), rng_range(&w->rng, 9000, 40000));

	/* dormant hosts, and the one back from holiday */
	tls_upload_via_proxy(w, &pc[90], "paste.example.net", WT(FRI, 10, 0), WEEK_DORMANT_SIZE);
	week_browse(w, &pc[90], FRI, 3);
	tls_direct(w, &pc[91], "203.0.113.101", "files.example.hk", WT(FRI, 10, 30),
	    WEEK_DORMANT_SIZE, 900);
	tls_upload_via_proxy(w, &pc[92], "app.boxsaas.example.com", WT(FRI, 11, 0), 2000000);
	week_browse(w, &pc[91], FRI, 3);
	week_browse(w, &pc[92], FRI, 3);

	/* off-hours, and late work with a new domestic partner */
	tls_upload_via_proxy(w, &pc[60], "nightdrop.example.com", WT(WED, 22, 30),
	    WEEK_OFF_HOURS_SIZE);
	tls_direct(w, &pc[61], "192.0.2.170", "drop.example.com", WT(SAT, 14, 0),
	    WEEK_OFF_HOURS_SIZE, 1100);
	tls_direct(w, &pc[62], "198.51.100.50", "partner.example.co.jp", WT(THU, 21, 30),
	    WEEK_OFF_HOURS_SIZE, 1200);

	/* staging: a VIPS read, then uploads to the familiar SaaS, a new
	 * domestic host, and abroad */
	crown_jewel_pull(w, &pc[70], WT(THU, 10, 0), WEEK_PULL_SIZE);
	tls_upload_via_proxy(w, &pc[70], "app.boxsaas.example.com", WT(THU, 11, 0),
	    WEEK_STAGED_SIZE);
	tls_direct(w, &pc[70], "198.51.100.60", "dc.jpstore.example.jp", WT(THU, 11, 30),
	    WEEK_STAGED_SIZE, 1000);
	tls_direct(w, &pc[70], "203.0.113.30", "cdn.hk-share.example.net", WT(THU, 12, 0),
	    WEEK_STAGED_SIZE, 1000);

	/* the company's own cloud: an administrator checks the backups'
	 * console while the baseline learns, so two hosts use it then (one
	 * host on one day is not learned: baseline.min_hosts, min_days) */
	browse_https(w, &pc[31], "backup.cloudvault.example.com",
	    WT(MON, 11, 5), 1800, 4200);
}

static void
write_week(const char *dir)
{
	struct world w;
	struct convlog log = { 0 };
	char path[4096];

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	world_init(&w, 0x5745454b20140922ULL, pc_gw_mac);
	w.log = &log;
	gen_week(&w);
	snprintf(path, sizeof(path), "%s/week.pcap", dir);
	capture_write(&w.cap, path);
	convlog_write_squid(&log, &w.proxy, week_addr_of, dir, "week-squid.log");
	convlog_write_zeek(&log, dir, "week-conn.log", "week-http.log");
	convlog_free(&log);
	world_free(&w);
}

/* ------------------------------------------------------------------ */
/* benchmark captures: many interleaved flows streamed straight to disk */

#define BENCH_OUTBUF (8u << 20)
#define BF_TEXT 2048
#define BF_MSGS 8
#define BENCH_TLS_REC 16412 /* even, so every record starts 2-aligned */
#define BENCH_TLS_RECS 256
#define BENCH_RAND_POOL (4u << 20)
#define BENCH_TEXT_POOL (1u << 20)
#define BENCH_POPULAR 2000
#define BENCH_SITES 20000
#define BENCH_BIGS 6

struct bench_out {
	struct sink sink; /* first member */
	FILE *fp;
	uint8_t *buf;
	size_t len;
	uint64_t frames, bytes;
};

static void
bench_flush(struct bench_out *o)
{
	if (o->len > 0 && fwrite(o->buf, 1, o->len, o->fp) != o->len)
		die("bench: write failed: %s", strerror(errno));
	o->len = 0;
}

static void
bench_put(struct sink *s, uint64_t ts_us, const uint8_t *frame, size_t len)
{
	struct bench_out *o = (struct bench_out *)(void *)s;

	if (BENCH_OUTBUF - o->len < 16 + len)
		bench_flush(o);
	pcap_record_header(o->buf + o->len, ts_us, len);
	memcpy(o->buf + o->len + 16, frame, len);
	o->len += 16 + len;
	o->frames++;
	o->bytes += 16 + len;
}

enum pool_id { POOL_RANDOM, POOL_TLS, POOL_TEXT, POOL_COUNT };

struct pool {
	uint8_t *p;
	size_t len;
};

struct bmsg {
	uint8_t dir, pool;
	uint16_t text_off, text_len;
	uint64_t pool_off, body_len;
};

enum { BS_SYN, BS_SYNACK, BS_ACK, BS_DATA, BS_FIN2, BS_FIN3, BS_DONE };

struct bflow {
	struct conn c;
	uint8_t state, nmsg, cur, unacked;
	uint16_t burst, text_len;
	uint64_t off; /* bytes of msg[cur] sent */
	struct bmsg msg[BF_MSGS];
	uint8_t text[BF_TEXT];
};

struct bench_params {
	uint64_t tcp_flows;
	unsigned slots;
	uint64_t mean_gap_us;
	size_t big_size;
	unsigned nhosts;
};

struct bench {
	struct bench_out out;
	const struct bench_params *bp;
	struct rng rng;
	struct pool pool[POOL_COUNT];
	struct host *hosts;
	struct addr popular[BENCH_POPULAR];
	struct bflow *flows;  /* slots, then the big uploads */
	uint32_t *active;
	size_t nactive;
	uint64_t now, t0, flows_left, tcp_flows, dns_queries;
	unsigned bigs_started;
	struct addr proxy4, proxy6, resolver;
	struct buf tmp;
};

static void
bflow_text_msg(struct bflow *f, uint8_t dir, const struct buf *text,
    uint8_t pool, uint64_t pool_off, uint64_t body_len)
{
	struct bmsg *m;

	if (f->nmsg == BF_MSGS || (size_t)(BF_TEXT - f->text_len) < text->len)
		die("bench: flow script too long");
	m = &f->msg[f->nmsg++];
	m->dir = dir;
	m->pool = pool;
	m->text_off = f->text_len;
	m->text_len = (uint16_t)text->len;
	m->pool_off = pool_off;
	m->body_len = body_len;
	memcpy(f->text + f->text_len, text->p, text->len);
	f->text_len = (uint16_t)(f->text_len + text->len);
}

static uint64_t
bench_pool_off(struct bench *b, uint8_t pool)
{
	if (pool == POOL_TLS)
		return (uint64_t)(rng_u32(&b->rng) % BENCH_TLS_RECS) * BENCH_TLS_REC;
	return (rng_u32(&b->rng) % (b->pool[pool].len / 2)) * 2;
}

/* Size in [lo, hi], about log-uniform: a random octave, then uniform in
 * it. Integer only, so every platform makes the same bytes. */
static uint32_t
bench_size(struct bench *b, uint32_t lo, uint32_t hi)
{
	unsigned octaves = 0, k;
	uint64_t from, to;

	while (((uint64_t)lo << (octaves + 1)) <= hi)
		octaves++;
	k = rng_u32(&b->rng) % (octaves + 1);
	from = (uint64_t)lo << k;
	to = ((uint64_t)lo << (k + 1)) - 1;
	if (to > hi)
		to = hi;
	return rng_range(&b->rng, (uint32_t)from, (uint32_t)to);
}

static struct addr
bench_public4(struct rng *r)
{
	for (;;) {
		uint32_t a = rng_u32(r);
		uint8_t o1 = (uint8_t)(a >> 24), o2 = (uint8_t)(a >> 16);

		if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224 ||
		    (o1 == 100 && (o2 & 0xc0) == 64) || (o1 == 169 && o2 == 254) ||
		    (o1 == 172 && (o2 & 0xf0) == 16) || (o1 == 192 && o2 == 168))
			continue;
		return addr_v4(a);
	}
}

static void
bench_site(struct bench *b, char *s, size_t n)
{
	uint32_t k = rng_u32(&b->rng) % 100 < 60 ? rng_u32(&b->rng) % 500
	    : rng_u32(&b->rng) % BENCH_SITES;

	snprintf(s, n, "www.site%05u.example.com", k);
}

static void
bench_flow_start(struct bench *b, struct bflow *f, struct host *h,
    const struct addr *dst, uint16_t dport, uint8_t sttl)
{
	conn_init(&f->c, &b->out.sink, h, pc_gw_mac, dst, dport, sttl, &b->rng);
	f->state = BS_SYN;
	f->nmsg = f->cur = f->unacked = 0;
	f->text_len = 0;
	f->off = 0;
	f->burst = 1;
}

static void
bench_msg(struct bench *b, struct bflow *f, uint8_t dir, uint8_t pool, uint64_t body_len)
{
	bflow_text_msg(f, dir, &b->tmp, pool, body_len ? bench_pool_off(b, pool) : 0, body_len);
	b->tmp.len = 0;
}

/* CONNECT + TLS through the proxy, or TLS straight to the server. */
static void
bench_tls_script(struct bench *b, struct bflow *f, const char *sni,
    bool via_proxy, uint64_t up, uint64_t down)
{
	uint8_t sid[32];

	if (via_proxy) {
		http_connect_request(&b->tmp, sni, 443);
		bench_msg(b, f, C2S, POOL_TLS, 0);
		put_str(&b->tmp, connect_ok);
		bench_msg(b, f, S2C, POOL_TLS, 0);
	}
	rng_fill(&b->rng, sid, sizeof(sid));
	tls_client_hello(&b->tmp, sni, sid, &b->rng);
	bench_msg(b, f, C2S, POOL_TLS, 0);
	tls_server_resume(&b->tmp, sid, &b->rng);
	bench_msg(b, f, S2C, POOL_TLS, 0);
	tls_client_finished(&b->tmp, &b->rng);
	bench_msg(b, f, C2S, POOL_TLS, up);
	if (down > 0)
		bench_msg(b, f, S2C, POOL_TLS, down);
}

static struct host *
bench_host(struct bench *b)
{
	return &b->hosts[rng_u32(&b->rng) % b->bp->nhosts];
}

static const struct addr *
bench_proxy_for(struct bench *b, const struct host *h)
{
	return h->ip.v6 ? &b->proxy6 : &b->proxy4;
}

static void
bench_dns(struct bench *b)
{
	struct host *h = bench_host(b);
	struct pkt p;
	char name[64];
	struct addr ans = bench_public4(&b->rng);
	uint16_t id = (uint16_t)rng_u32(&b->rng);

	if (h->ip.v6)
		return;
	bench_site(b, name, sizeof(name));
	memset(&p, 0, sizeof(p));
	b->tmp.len = 0;
	dns_query(&b->tmp, id, name);
	p.smac = h->mac;
	p.dmac = pc_gw_mac;
	p.vlan = h->vlan;
	p.src = &h->ip;
	p.dst = &b->resolver;
	p.ttl = h->ttl;
	p.ipid = (uint16_t)id;
	p.proto = PROTO_UDP;
	p.sport = host_port(h, &b->rng);
	p.dport = 53;
	p.pl = b->tmp.p;
	p.len = b->tmp.len;
	emit_pkt(&b->out.sink, b->now, &p);
	b->now += 900;
	b->tmp.len = 0;
	dns_answer_a(&b->tmp, id, name, &ans);
	p.smac = pc_gw_mac;
	p.dmac = h->mac;
	p.src = &b->resolver;
	p.dst = &h->ip;
	p.ttl = 63;
	p.dport = p.sport;
	p.sport = 53;
	p.pl = b->tmp.p;
	p.len = b->tmp.len;
	emit_pkt(&b->out.sink, b->now, &p);
	b->tmp.len = 0;
	b->dns_queries++;
}

/* A new ordinary flow in slot f: the traffic mix of an office. */
static void
bench_new_flow(struct bench *b, struct bflow *f)
{
	struct host *h;
	char site[64];
	uint32_t k;

	if (rng_u32(&b->rng) % 100 < 7)
		bench_dns(b);
	h = bench_host(b);
	k = rng_u32(&b->rng) % 100;
	b->tmp.len = 0;
	if (k < 45) {
		bench_site(b, site, sizeof(site));
		bench_flow_start(b, f, h, bench_proxy_for(b, h), PROXY_PORT, 63);
		bench_tls_script(b, f, site, true, bench_size(b, 300, 6000),
		    bench_size(b, 400, 11000));
	} else if (k < 68) {
		struct addr dst;

		if (h->ip.v6) {
			dst = addr_parse("2001:db8:200::");
			wr_be32(dst.b + 12, rng_u32(&b->rng));
		} else if (rng_u32(&b->rng) % 100 < 60) {
			dst = b->popular[rng_u32(&b->rng) % BENCH_POPULAR];
		} else {
			dst = bench_public4(&b->rng);
		}
		bench_site(b, site, sizeof(site));
		bench_flow_start(b, f, h, &dst, 443, 52);
		bench_tls_script(b, f, site, false, bench_size(b, 300, 6000),
		    bench_size(b, 400, 11000));
	} else if (k < 92) {
		unsigned nreq = 1 + rng_u32(&b->rng) % 2;

		bench_site(b, site, sizeof(site));
		bench_flow_start(b, f, h, bench_proxy_for(b, h), PROXY_PORT, 63);
		for (unsigned i = 0; i < nreq; i++) {
			uint32_t n = bench_size(b, 300, 12000);
			bool bin = rng_u32(&b->rng) % 3 == 0;

			http_proxy_get(&b->tmp, site, i ? "/dl/data.bin" : "/", i > 0);
			bench_msg(b, f, C2S, POOL_TEXT, 0);
			http_response_head(&b->tmp, b->now, bin ? "application/octet-stream" : "text/html",
			    n, true);
			bench_msg(b, f, S2C, bin ? POOL_RANDOM : POOL_TEXT, n);
		}
	} else {
		/* a small upload through the proxy: RAR, ZIP or text */
		uint32_t n = bench_size(b, 2000, 120000);
		unsigned kind = rng_u32(&b->rng) % 3;
		struct buf arch = { 0 }, pre = { 0 };
		size_t body;

		bench_site(b, site, sizeof(site));
		bench_flow_start(b, f, h, bench_proxy_for(b, h), PROXY_PORT, 63);
		if (kind == 0) {
			struct rar5_file rf = { "report.xlsx", (uint64_t)n * 3, 1411000000, 0, 1 };

			rar5_head(&arch, n, &rf);
		} else if (kind == 1) {
			struct zip_entry e = { "photos.jpg", n - 30 - 10, n + 1000, 0x1234abcd };

			zip_local_header(&arch, &e);
		}
		/* preamble, `n` bytes of file (archive header, then pool bytes),
		 * closing boundary: Content-Length is exact */
		pre.len = 0;
		put_fmt(&pre, "--%s\r\n", mp_boundary);
		put_str(&pre, "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n");
		put_str(&pre, "Content-Type: application/octet-stream\r\n\r\n");
		body = pre.len + n + 2 + 2 + strlen(mp_boundary) + 4;
		put_fmt(&b->tmp, "POST http://%s/upload HTTP/1.1\r\n", site);
		put_fmt(&b->tmp, "User-Agent: %s\r\nHost: %s\r\n", ua_ie11, site);
		put_fmt(&b->tmp, "Content-Type: multipart/form-data; boundary=%s\r\n", mp_boundary);
		put_fmt(&b->tmp, "Content-Length: %zu\r\n\r\n", body);
		put_mem(&b->tmp, pre.p, pre.len);
		put_mem(&b->tmp, arch.p, arch.len);
		bench_msg(b, f, C2S, kind == 2 ? POOL_TEXT : POOL_RANDOM, n - arch.len);
		put_fmt(&b->tmp, "\r\n--%s--\r\n", mp_boundary);
		bench_msg(b, f, C2S, POOL_TEXT, 0);
		http_response_head(&b->tmp, b->now, "text/html", 2, true);
		put_str(&b->tmp, "OK");
		bench_msg(b, f, S2C, POOL_TEXT, 0);
		buf_free(&pre);
		buf_free(&arch);
	}
	b->tcp_flows++;
}

/* The few big uploads (and one big download) after the learning window. */
static void
bench_new_big(struct bench *b, struct bflow *f, unsigned which)
{
	struct host *h = &b->hosts[7 + which * 31]; /* IPv4 hosts, fixed */
	uint64_t n = b->bp->big_size;
	struct addr dst;

	b->tmp.len = 0;
	switch (which) {
	case 0: { /* raw RAR inside a CONNECT tunnel */
		struct rar5_file rf = { "dump.csv", n * 5, 1411010000, 0, 1 };

		bench_flow_start(b, f, h, &b->proxy4, PROXY_PORT, 63);
		http_connect_request(&b->tmp, "hk-files.example.net", 443);
		bench_msg(b, f, C2S, POOL_RANDOM, 0);
		put_str(&b->tmp, connect_ok);
		bench_msg(b, f, S2C, POOL_RANDOM, 0);
		uint64_t data = rar5_head(&b->tmp, n, &rf);

		bench_msg(b, f, C2S, POOL_RANDOM, data);
		break;
	}
	case 1: /* a POST of one RAR through the proxy */
		bench_flow_start(b, f, h, &b->proxy4, PROXY_PORT, 63);
		put_str(&b->tmp, "POST http://hk-files.example.net/upload.php HTTP/1.1\r\n");
		put_str(&b->tmp, "Host: hk-files.example.net\r\n");
		put_str(&b->tmp, "Content-Type: application/x-rar-compressed\r\n");
		put_fmt(&b->tmp, "Content-Length: %llu\r\n\r\n", (unsigned long long)n);
		put_mem(&b->tmp, rar5_sig, sizeof(rar5_sig));
		bench_msg(b, f, C2S, POOL_RANDOM, n - sizeof(rar5_sig));
		http_response_head(&b->tmp, b->now, "text/html", 2, true);
		put_str(&b->tmp, "OK");
		bench_msg(b, f, S2C, POOL_TEXT, 0);
		break;
	case 2: /* TLS bulk through the proxy */
		bench_flow_start(b, f, h, &b->proxy4, PROXY_PORT, 63);
		bench_tls_script(b, f, "hk-files.example.net", true, n, 200);
		break;
	case 3: { /* a ZIP straight out, bypassing the proxy */
		struct zip_entry e = { "crm.csv", (uint32_t)n - 30 - 7 - 53 - 22, (uint32_t)n * 4, 0xcafe1234 };

		dst = addr_parse("203.0.113.99");
		bench_flow_start(b, f, h, &dst, 8443, 47);
		zip_local_header(&b->tmp, &e);
		bench_msg(b, f, C2S, POOL_RANDOM, n - 37);
		break;
	}
	case 4: /* TLS upload to a SaaS */
		bench_flow_start(b, f, h, &b->proxy4, PROXY_PORT, 63);
		bench_tls_script(b, f, "upload.boxsaas.example.com", true, n, 400);
		break;
	default: /* a big download */
		bench_flow_start(b, f, h, &b->proxy4, PROXY_PORT, 63);
		http_proxy_get(&b->tmp, "cdn.us-mirror.example.com", "/iso/full.bin", false);
		bench_msg(b, f, C2S, POOL_RANDOM, 0);
		http_response_head(&b->tmp, b->now, "application/octet-stream", n, true);
		bench_msg(b, f, S2C, POOL_RANDOM, n);
		break;
	}
	f->burst = 64;
	b->tcp_flows++;
}

/* Payload bytes [off, off+n) of a message: its text, then pool bytes. */
static void
bmsg_copy(const struct bench *b, const struct bflow *f, const struct bmsg *m,
    uint64_t off, uint8_t *dst, size_t n)
{
	const struct pool *p = &b->pool[m->pool];
	size_t done = 0;

	if (off < m->text_len) {
		size_t k = m->text_len - off < n ? (size_t)(m->text_len - off) : n;

		memcpy(dst, f->text + m->text_off + off, k);
		done = k;
		off += k;
	}
	while (done < n) {
		uint64_t po = (m->pool_off + (off - m->text_len)) % p->len;
		size_t k = n - done < p->len - po ? n - done : (size_t)(p->len - po);

		memcpy(dst + done, p->p + po, k);
		done += k;
		off += k;
	}
}

/* Emits the next packet of a flow at b->now. */
static void
bflow_step(struct bench *b, struct bflow *f)
{
	struct conn *c = &f->c;
	uint8_t opt[12], payload[MSS4];

	switch (f->state) {
	case BS_SYN:
		syn_options(c, C2S, opt);
		c->cwin = 8192;
		conn_emit(c, C2S, b->now, TH_SYN, opt, sizeof(opt), NULL, 0);
		c->cwin = 1024;
		f->state = BS_SYNACK;
		return;
	case BS_SYNACK:
		syn_options(c, S2C, opt);
		c->swin = 64240;
		conn_emit(c, S2C, b->now, TH_SYN | TH_ACK, opt, sizeof(opt), NULL, 0);
		c->swin = 2048;
		f->state = BS_ACK;
		return;
	case BS_ACK:
		conn_emit(c, C2S, b->now, TH_ACK, NULL, 0, NULL, 0);
		f->state = BS_DATA;
		return;
	case BS_DATA:
		break;
	case BS_FIN2:
		conn_emit(c, S2C, b->now, TH_FIN | TH_ACK, NULL, 0, NULL, 0);
		f->state = BS_FIN3;
		return;
	case BS_FIN3:
		conn_emit(c, C2S, b->now, TH_ACK, NULL, 0, NULL, 0);
		f->state = BS_DONE;
		return;
	default:
		return;
	}

	if (f->cur == f->nmsg) {
		conn_emit(c, C2S, b->now, TH_FIN | TH_ACK, NULL, 0, NULL, 0);
		f->state = BS_FIN2;
		return;
	}
	{
		const struct bmsg *m = &f->msg[f->cur];
		uint64_t total = m->text_len + m->body_len;
		enum dir d = m->dir == C2S ? C2S : S2C;

		if (f->unacked == 2 || (f->unacked > 0 && f->off == total)) {
			conn_emit(c, d == C2S ? S2C : C2S, b->now, TH_ACK, NULL, 0, NULL, 0);
			f->unacked = 0;
			if (f->off == total) {
				f->cur++;
				f->off = 0;
			}
			return;
		}
		size_t seg = total - f->off < c->mss ? (size_t)(total - f->off) : c->mss;

		bmsg_copy(b, f, m, f->off, payload, seg);
		f->off += seg;
		f->unacked++;
		conn_emit(c, d, b->now, TH_ACK | (f->off == total ? TH_PSH : 0),
		    NULL, 0, payload, seg);
	}
}

static void
bench_pools(struct bench *b)
{
	struct pool *p;

	p = &b->pool[POOL_RANDOM];
	p->len = BENCH_RAND_POOL;
	p->p = xrealloc(NULL, p->len);
	rng_fill(&b->rng, p->p, p->len);

	/* back-to-back application-data records: any stream that starts at a
	 * record boundary is valid TLS */
	p = &b->pool[POOL_TLS];
	p->len = (size_t)BENCH_TLS_REC * BENCH_TLS_RECS;
	p->p = xrealloc(NULL, p->len);
	for (size_t i = 0; i < BENCH_TLS_RECS; i++) {
		uint8_t *r = p->p + i * BENCH_TLS_REC;

		r[0] = 0x17;
		wr_be16(r + 1, 0x0303);
		wr_be16(r + 3, BENCH_TLS_REC - 5);
		rng_fill(&b->rng, r + 5, BENCH_TLS_REC - 5);
	}

	p = &b->pool[POOL_TEXT];
	{
		struct buf t = { 0 };

		put_html(&t, BENCH_TEXT_POOL, "bench", &b->rng);
		p->p = t.p;
		p->len = t.len;
	}
}

static void
bench_hosts(struct bench *b)
{
	unsigned n = b->bp->nhosts;

	b->hosts = xrealloc(NULL, n * sizeof(*b->hosts));
	for (unsigned i = 0; i < n; i++) {
		struct host *h = &b->hosts[i];
		char s[64];

		memset(h, 0, sizeof(*h));
		if (i % 32 == 31) {
			snprintf(s, sizeof(s), "fd00::1:%x", i);
		} else {
			snprintf(s, sizeof(s), "10.1.%u.%u", 20 + i / 250, 1 + i % 250);
		}
		h->ip = addr_parse(s);
		h->mac[0] = 0x00;
		h->mac[1] = 0x1a;
		h->mac[2] = 0x4b;
		h->mac[3] = (uint8_t)(i >> 16);
		h->mac[4] = (uint8_t)(i >> 8);
		h->mac[5] = (uint8_t)i;
		h->ttl = 128;
		h->vlan = i % 10 == 3 ? 30 : 0;
		h->next_port = (uint16_t)rng_range(&b->rng, 49152, 60000);
	}
	for (unsigned i = 0; i < BENCH_POPULAR; i++)
		b->popular[i] = bench_public4(&b->rng);
}

static void
bench_remove_active(struct bench *b, size_t i)
{
	b->active[i] = b->active[--b->nactive];
}

static void
run_bench(const char *path, const struct bench_params *bp)
{
	static struct bench b; /* large: keep it off the stack */
	uint8_t h[24];
	size_t nslots = bp->slots + BENCH_BIGS;
	uint64_t big_at, big_every = 4 * 60 * US_PER_S;
	struct timespec t0, t1;
	double secs;

	memset(&b, 0, sizeof(b));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b.bp = bp;
	b.rng.s = 0xbe9c4201409180ULL;
	b.out.sink.put = bench_put;
	b.out.buf = xrealloc(NULL, BENCH_OUTBUF);
	if ((b.out.fp = fopen(path, "wb")) == NULL)
		die("%s: %s", path, strerror(errno));
	pcap_file_header(h);
	fwrite(h, 1, 24, b.out.fp);
	b.out.bytes = 24;
	b.proxy4 = addr_parse("10.77.1.2");
	b.proxy6 = addr_parse("fd00::77:2");
	b.resolver = addr_parse("10.1.1.53");
	bench_pools(&b);
	bench_hosts(&b);
	b.flows = xrealloc(NULL, nslots * sizeof(*b.flows));
	b.active = xrealloc(NULL, nslots * sizeof(*b.active));
	b.now = b.t0 = AT(0, 0, 0);
	big_at = AT(2, 5, 0);
	b.flows_left = bp->tcp_flows;

	for (unsigned i = 0; i < bp->slots && b.flows_left > 0; i++, b.flows_left--) {
		bench_new_flow(&b, &b.flows[i]);
		b.active[b.nactive++] = i;
	}
	while (b.nactive > 0 || b.bigs_started < BENCH_BIGS) {
		size_t i;
		struct bflow *f;

		if (b.bigs_started < BENCH_BIGS && (b.now >= big_at || b.nactive == 0)) {
			unsigned slot = bp->slots + b.bigs_started;

			if (b.now < big_at)
				b.now = big_at; /* only after the learning window */

			bench_new_big(&b, &b.flows[slot], b.bigs_started);
			b.active[b.nactive++] = slot;
			b.bigs_started++;
			big_at = b.now + big_every;
		}
		i = rng_u32(&b.rng) % b.nactive;
		f = &b.flows[b.active[i]];
		for (unsigned k = 0; k < f->burst && f->state != BS_DONE; k++) {
			bflow_step(&b, f);
			b.now += 25;
		}
		b.now += rng_u64(&b.rng) % (2 * bp->mean_gap_us + 1);
		if (f->state != BS_DONE)
			continue;
		if (b.active[i] < bp->slots && b.flows_left > 0) {
			b.flows_left--;
			bench_new_flow(&b, f);
		} else {
			bench_remove_active(&b, i);
		}
	}
	bench_flush(&b.out);
	if (fclose(b.out.fp) != 0)
		die("%s: close failed", path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%s: %llu frames, %llu bytes, %llu TCP flows, %llu DNS queries, "
	    "%.1f s of capture time; written in %.2f s (%.0f MB/s)\n", path,
	    (unsigned long long)b.out.frames, (unsigned long long)b.out.bytes,
	    (unsigned long long)b.tcp_flows, (unsigned long long)b.dns_queries,
	    (double)(b.now - b.t0) / 1e6, secs, (double)b.out.bytes / 1e6 / secs);
	for (int i = 0; i < POOL_COUNT; i++)
		free(b.pool[i].p);
	free(b.hosts);
	free(b.flows);
	free(b.active);
	free(b.out.buf);
	buf_free(&b.tmp);
}

static const struct bench_params bench_full = {
	.tcp_flows = 130000, .slots = 1024, .mean_gap_us = 4000,
	.big_size = 24000000, .nhosts = 4000,
};
static const struct bench_params bench_small = {
	.tcp_flows = 700, .slots = 32, .mean_gap_us = 400000,
	.big_size = 1100000, .nhosts = 200,
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: pcapgen -o DIR          write the sample captures into DIR\n"
	    "       pcapgen --bench PATH    write a large benchmark capture\n"
	    "       pcapgen --bench-small PATH  the same mix, about 20k packets\n"
	    "       pcapgen --hostile PATH  uploads to hostile Host names\n"
	    "       pcapgen --burst N PATH  N hosts, one small RAR upload each\n"
	    "       pcapgen --week DIR      a week at the tap, with Squid and Zeek logs\n"
	    "       pcapgen --blind ATTACK[:N] PATH  a PC's upload and its try to blind\n"
	    "                               exfild (issue 11): keepalive-proxy, keepalive-direct,\n"
	    "                               synflood-proxy, synflood-direct, flows, pairs, dests\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	crc32_init();
	if (argc == 4 && strcmp(argv[1], "--burst") == 0) {
		write_burst(argv[2], argv[3]);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "--blind") == 0) {
		write_blind(argv[2], argv[3]);
		return 0;
	}
	if (argc != 3)
		usage();
	if (strcmp(argv[1], "-o") == 0)
		write_samples(argv[2]);
	else if (strcmp(argv[1], "--bench") == 0)
		run_bench(argv[2], &bench_full);
	else if (strcmp(argv[1], "--bench-small") == 0)
		run_bench(argv[2], &bench_small);
	else if (strcmp(argv[1], "--hostile") == 0)
		write_hostile(argv[2]);
	else if (strcmp(argv[1], "--week") == 0)
		write_week(argv[2]);
	else
		usage();
	return 0;
}
