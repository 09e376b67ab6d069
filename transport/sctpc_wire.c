/* SCTP packet codec: CRC32c, parsing and building of chunks.  See
 * sctpc_wire.h for the contract. */
#include "transport/sctpc_wire.h"

#include <string.h>

#include "common/err.h"

/* ---- CRC32c ------------------------------------------------------------------ */

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t crc_tab[8][256];
static int crc_mode; /* 0 unknown, 1 table, 2 sse4.2 */

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
    crc_mode = 1;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("sse4.2"))
        crc_mode = 2;
#endif
}

static uint32_t crc_table(uint32_t c, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^ crc_tab[5][(lo >> 16) & 0xff] ^
            crc_tab[4][lo >> 24] ^ crc_tab[3][p[4]] ^ crc_tab[2][p[5]] ^ crc_tab[1][p[6]] ^
            crc_tab[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = (c >> 8) ^ crc_tab[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("sse4.2"))) static uint32_t crc_sse(uint32_t c, const uint8_t *p, size_t n)
{
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t sctpc_crc32c(const uint8_t *p, size_t n)
{
    if (!crc_mode)
        crc_init();
#if defined(__x86_64__) && defined(__GNUC__)
    if (crc_mode == 2)
        return ~crc_sse(0xffffffffu, p, n);
#endif
    return ~crc_table(0xffffffffu, p, n);
}

/* The checksum field holds the CRC in little-endian byte order. */
static uint32_t packet_crc(const uint8_t *pkt, size_t len)
{
    static const uint8_t zero[4];
    uint32_t c;
    if (!crc_mode)
        crc_init();
#if defined(__x86_64__) && defined(__GNUC__)
    if (crc_mode == 2) {
        c = crc_sse(0xffffffffu, pkt, 8);
        c = crc_sse(c, zero, 4);
        return ~crc_sse(c, pkt + 12, len - 12);
    }
#endif
    c = crc_table(0xffffffffu, pkt, 8);
    c = crc_table(c, zero, 4);
    return ~crc_table(c, pkt + 12, len - 12);
}

void sctpc_seal(uint8_t *pkt, size_t len)
{
    uint32_t c = packet_crc(pkt, len);
    pkt[8] = (uint8_t)c;
    pkt[9] = (uint8_t)(c >> 8);
    pkt[10] = (uint8_t)(c >> 16);
    pkt[11] = (uint8_t)(c >> 24);
}

/* ---- parsing --------------------------------------------------------------------- */

int sctpc_packet_parse(const uint8_t *pkt, size_t len, struct sctpc_hdr *h, struct sctpc_iter *it)
{
    if (!pkt || len < SCTPC_COMMON_HDR + 4 || len > 65535)
        return DC_EPROTO;
    uint32_t want = (uint32_t)pkt[8] | (uint32_t)pkt[9] << 8 | (uint32_t)pkt[10] << 16 |
                    (uint32_t)pkt[11] << 24;
    if (packet_crc(pkt, len) != want)
        return DC_EPROTO;
    h->src_port = sctpc_rd16(pkt);
    h->dst_port = sctpc_rd16(pkt + 2);
    h->vtag = sctpc_rd32(pkt + 4);
    it->p = pkt;
    it->len = len;
    it->off = SCTPC_COMMON_HDR;
    return 0;
}

int sctpc_next_chunk(struct sctpc_iter *it, struct sctpc_chunk *c)
{
    if (it->off >= it->len)
        return 0;
    if (it->len - it->off < 4)
        return DC_EPROTO;
    const uint8_t *p = it->p + it->off;
    size_t clen = sctpc_rd16(p + 2);
    if (clen < 4 || clen > it->len - it->off)
        return DC_EPROTO;
    c->type = p[0];
    c->flags = p[1];
    c->v = p + 4;
    c->vlen = clen - 4;
    size_t padded = (clen + 3) & ~(size_t)3;
    /* The last chunk's padding may be missing; anything else is malformed. */
    it->off = padded > it->len - it->off ? it->len : it->off + padded;
    return 1;
}

static void init_param(struct sctpc_init *o, uint16_t type, const uint8_t *v, size_t n)
{
    switch (type) {
    case 7: /* State Cookie */
        o->cookie = v;
        o->cookie_len = n;
        break;
    case 0xC000: /* Forward-TSN-Supported */
        o->fwd_tsn = true;
        break;
    case 0x8008: /* Supported Extensions */
        for (size_t i = 0; i < n; i++) {
            if (v[i] == SCTPC_RECONFIG)
                o->reconfig = true;
            else if (v[i] == SCTPC_FORWARD_TSN)
                o->fwd_tsn = true;
            else if (v[i] == 64)
                o->idata = true;
        }
        break;
    default:
        break;
    }
}

int sctpc_parse_init(const struct sctpc_chunk *c, struct sctpc_init *o)
{
    memset(o, 0, sizeof *o);
    if (c->vlen < 16)
        return DC_EPROTO;
    const uint8_t *v = c->v;
    o->tag = sctpc_rd32(v);
    o->a_rwnd = sctpc_rd32(v + 4);
    o->os = sctpc_rd16(v + 8);
    o->mis = sctpc_rd16(v + 10);
    o->init_tsn = sctpc_rd32(v + 12);
    if (o->tag == 0 || o->os == 0 || o->mis == 0)
        return DC_EPROTO;
    size_t off = 16;
    while (off < c->vlen) {
        if (c->vlen - off < 4)
            return DC_EPROTO;
        uint16_t type = sctpc_rd16(v + off);
        size_t plen = sctpc_rd16(v + off + 2);
        if (plen < 4 || plen > c->vlen - off)
            return DC_EPROTO;
        init_param(o, type, v + off + 4, plen - 4);
        off += (plen + 3) & ~(size_t)3;
    }
    return 0;
}

int sctpc_parse_data(const struct sctpc_chunk *c, struct sctpc_data *o)
{
    if (c->vlen < SCTPC_DATA_HDR - 4 + 1) /* empty DATA is a protocol violation */
        return DC_EPROTO;
    o->tsn = sctpc_rd32(c->v);
    o->stream = sctpc_rd16(c->v + 4);
    o->ssn = sctpc_rd16(c->v + 6);
    o->ppid = sctpc_rd32(c->v + 8);
    o->flags = c->flags;
    o->payload = c->v + 12;
    o->len = c->vlen - 12;
    return 0;
}

int sctpc_parse_sack(const struct sctpc_chunk *c, struct sctpc_sack *o)
{
    if (c->vlen < 12)
        return DC_EPROTO;
    o->cum_tsn = sctpc_rd32(c->v);
    o->a_rwnd = sctpc_rd32(c->v + 4);
    o->ngaps = sctpc_rd16(c->v + 8);
    o->ndups = sctpc_rd16(c->v + 10);
    if (c->vlen < 12 + (size_t)o->ngaps * 4 + (size_t)o->ndups * 4)
        return DC_EPROTO;
    o->gaps = c->v + 12;
    o->dups = o->gaps + (size_t)o->ngaps * 4;
    for (uint16_t i = 0; i < o->ngaps; i++) {
        uint16_t s = sctpc_rd16(o->gaps + 4 * i), e = sctpc_rd16(o->gaps + 4 * i + 2);
        if (s == 0 || e < s)
            return DC_EPROTO;
    }
    return 0;
}

int sctpc_parse_fwd_tsn(const struct sctpc_chunk *c, struct sctpc_fwd_tsn *o)
{
    if (c->vlen < 4 || (c->vlen - 4) % 4)
        return DC_EPROTO;
    o->new_cum = sctpc_rd32(c->v);
    o->n = (uint16_t)((c->vlen - 4) / 4);
    o->streams = c->v + 4;
    return 0;
}

static int reconf_fields(uint16_t type, const uint8_t *v, size_t n, struct sctpc_reconf_param *o)
{
    switch (type) {
    case 13: /* Outgoing SSN Reset Request */
        if (n < 12 || n % 2)
            return DC_EPROTO;
        o->seq = sctpc_rd32(v);
        o->resp_seq = sctpc_rd32(v + 4);
        o->last_tsn = sctpc_rd32(v + 8);
        o->nstreams = (uint16_t)((n - 12) / 2);
        o->streams = v + 12;
        return 0;
    case 14: /* Incoming SSN Reset Request */
        if (n < 4 || n % 2)
            return DC_EPROTO;
        o->seq = sctpc_rd32(v);
        o->nstreams = (uint16_t)((n - 4) / 2);
        o->streams = v + 4;
        return 0;
    case 15: /* SSN/TSN Reset Request */
        if (n < 4)
            return DC_EPROTO;
        o->seq = sctpc_rd32(v);
        return 0;
    case 16: /* Re-configuration Response */
        if (n != 8 && n != 16)
            return DC_EPROTO;
        o->seq = sctpc_rd32(v);
        o->resp_seq = sctpc_rd32(v + 4);
        return 0;
    default:
        return 0;
    }
}

int sctpc_next_reconf_param(const struct sctpc_chunk *c, size_t *off,
                            struct sctpc_reconf_param *o)
{
    memset(o, 0, sizeof *o);
    if (*off >= c->vlen)
        return 0;
    if (c->vlen - *off < 4)
        return DC_EPROTO;
    const uint8_t *p = c->v + *off;
    size_t plen = sctpc_rd16(p + 2);
    if (plen < 4 || plen > c->vlen - *off)
        return DC_EPROTO;
    o->type = sctpc_rd16(p);
    int r = reconf_fields(o->type, p + 4, plen - 4, o);
    if (r < 0)
        return r;
    *off += (plen + 3) & ~(size_t)3;
    return 1;
}

/* ---- building ------------------------------------------------------------------- */

void sctpc_put_header(uint8_t *pkt, uint16_t port, uint32_t vtag)
{
    sctpc_wr16(pkt, port);
    sctpc_wr16(pkt + 2, port);
    sctpc_wr32(pkt + 4, vtag);
    memset(pkt + 8, 0, 4);
}

/* Writes a chunk header and zeroes the padding; returns the padded size. */
static size_t chunk_hdr(uint8_t *out, uint8_t type, uint8_t flags, size_t len)
{
    size_t padded = (len + 3) & ~(size_t)3;
    out[0] = type;
    out[1] = flags;
    sctpc_wr16(out + 2, (uint16_t)len);
    memset(out + len, 0, padded - len);
    return padded;
}

int sctpc_put_chunk(uint8_t *out, size_t cap, uint8_t type, uint8_t flags, const uint8_t *v,
                    size_t vlen)
{
    size_t len = 4 + vlen;
    if (len > 65535 || ((len + 3) & ~(size_t)3) > cap)
        return DC_ETOOBIG;
    if (vlen)
        memcpy(out + 4, v, vlen);
    return (int)chunk_hdr(out, type, flags, len);
}

int sctpc_put_init(uint8_t *out, size_t cap, uint8_t type, const struct sctpc_init *in)
{
    size_t cookie = in->cookie ? ((4 + in->cookie_len + 3) & ~(size_t)3) : 0;
    size_t len = 4 + 16 + 4 /* fwd-tsn */ + 8 /* ext: 2 types, padded */ + cookie;
    if (len > cap || len > 65535)
        return DC_ETOOBIG;
    uint8_t *v = out + 4;
    sctpc_wr32(v, in->tag);
    sctpc_wr32(v + 4, in->a_rwnd);
    sctpc_wr16(v + 8, in->os);
    sctpc_wr16(v + 10, in->mis);
    sctpc_wr32(v + 12, in->init_tsn);
    uint8_t *p = v + 16;
    sctpc_wr16(p, 0xC000);
    sctpc_wr16(p + 2, 4);
    sctpc_wr16(p + 4, 0x8008);
    sctpc_wr16(p + 6, 6);
    p[8] = SCTPC_RECONFIG;
    p[9] = SCTPC_FORWARD_TSN;
    p[10] = p[11] = 0;
    p += 12;
    if (in->cookie) {
        sctpc_wr16(p, 7);
        sctpc_wr16(p + 2, (uint16_t)(4 + in->cookie_len));
        memcpy(p + 4, in->cookie, in->cookie_len);
        memset(p + 4 + in->cookie_len, 0, cookie - 4 - in->cookie_len);
    }
    return (int)chunk_hdr(out, type, 0, len);
}

int sctpc_put_data_hdr(uint8_t *out, size_t cap, const struct sctpc_data *d)
{
    size_t len = SCTPC_DATA_HDR + d->len;
    if (((len + 3) & ~(size_t)3) > cap || len > 65535)
        return DC_ETOOBIG;
    sctpc_wr32(out + 4, d->tsn);
    sctpc_wr16(out + 8, d->stream);
    sctpc_wr16(out + 10, d->ssn);
    sctpc_wr32(out + 12, d->ppid);
    if (d->len && d->payload != out + SCTPC_DATA_HDR)
        memcpy(out + SCTPC_DATA_HDR, d->payload, d->len);
    return (int)chunk_hdr(out, SCTPC_DATA, d->flags, len);
}

int sctpc_put_sack(uint8_t *out, size_t cap, uint32_t cum_tsn, uint32_t a_rwnd,
                   const uint16_t *gaps, uint16_t ngaps, const uint32_t *dups, uint16_t ndups)
{
    size_t len = 16 + (size_t)ngaps * 4 + (size_t)ndups * 4;
    if (len > cap)
        return DC_ETOOBIG;
    sctpc_wr32(out + 4, cum_tsn);
    sctpc_wr32(out + 8, a_rwnd);
    sctpc_wr16(out + 12, ngaps);
    sctpc_wr16(out + 14, ndups);
    uint8_t *p = out + 16;
    for (uint16_t i = 0; i < ngaps; i++, p += 4) {
        sctpc_wr16(p, gaps[2 * i]);
        sctpc_wr16(p + 2, gaps[2 * i + 1]);
    }
    for (uint16_t i = 0; i < ndups; i++, p += 4)
        sctpc_wr32(p, dups[i]);
    return (int)chunk_hdr(out, SCTPC_SACK, 0, len);
}

int sctpc_put_fwd_tsn(uint8_t *out, size_t cap, uint32_t new_cum, const uint16_t *pairs,
                      uint16_t npairs)
{
    size_t len = 8 + (size_t)npairs * 4;
    if (len > cap)
        return DC_ETOOBIG;
    sctpc_wr32(out + 4, new_cum);
    for (uint16_t i = 0; i < npairs; i++) {
        sctpc_wr16(out + 8 + 4 * i, pairs[2 * i]);
        sctpc_wr16(out + 10 + 4 * i, pairs[2 * i + 1]);
    }
    return (int)chunk_hdr(out, SCTPC_FORWARD_TSN, 0, len);
}

int sctpc_put_shutdown(uint8_t *out, size_t cap, uint32_t cum_tsn)
{
    if (cap < 8)
        return DC_ETOOBIG;
    sctpc_wr32(out + 4, cum_tsn);
    return (int)chunk_hdr(out, SCTPC_SHUTDOWN, 0, 8);
}

int sctpc_put_reconf_req(uint8_t *out, size_t cap, uint32_t req_seq, uint32_t resp_seq,
                         uint32_t last_tsn, const uint16_t *streams, uint16_t n)
{
    size_t plen = 16 + (size_t)n * 2;
    size_t len = 4 + plen;
    if (((len + 3) & ~(size_t)3) > cap || len > 65535)
        return DC_ETOOBIG;
    uint8_t *p = out + 4;
    sctpc_wr16(p, 13);
    sctpc_wr16(p + 2, (uint16_t)plen);
    sctpc_wr32(p + 4, req_seq);
    sctpc_wr32(p + 8, resp_seq);
    sctpc_wr32(p + 12, last_tsn);
    for (uint16_t i = 0; i < n; i++)
        sctpc_wr16(p + 16 + 2 * i, streams[i]);
    return (int)chunk_hdr(out, SCTPC_RECONFIG, 0, len);
}

int sctpc_put_reconf_resp(uint8_t *out, size_t cap, uint32_t resp_seq, uint32_t result)
{
    if (cap < 16)
        return DC_ETOOBIG;
    sctpc_wr16(out + 4, 16);
    sctpc_wr16(out + 6, 12);
    sctpc_wr32(out + 8, resp_seq);
    sctpc_wr32(out + 12, result);
    return (int)chunk_hdr(out, SCTPC_RECONFIG, 0, 16);
}
