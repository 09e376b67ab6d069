/* sctpc_wire.h: SCTP packet codec for the native SCTP core (RFC 9260,
 * RFC 3758 FORWARD-TSN, RFC 6525 RE-CONFIG).
 *
 * Pure functions over byte buffers: no allocation, no I/O, no clock.
 * Parsers are strict: every length is checked against the bytes present
 * and a malformed chunk or parameter yields DC_EPROTO, never a read out of
 * bounds.  Parsed structures borrow pointers into the input buffer.
 * Builders write into a caller buffer and return the number of bytes
 * written (padded to 4) or DC_ETOOBIG when `cap` is too small.
 *
 * CRC32c (RFC 9260 appendix B) uses SSE4.2 when the CPU has it (checked
 * once at run time) and a slicing-by-8 table otherwise. */
#ifndef DC_SCTPC_WIRE_H
#define DC_SCTPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sctpc_chunk_type {
    SCTPC_DATA = 0,
    SCTPC_INIT = 1,
    SCTPC_INIT_ACK = 2,
    SCTPC_SACK = 3,
    SCTPC_HEARTBEAT = 4,
    SCTPC_HEARTBEAT_ACK = 5,
    SCTPC_ABORT = 6,
    SCTPC_SHUTDOWN = 7,
    SCTPC_SHUTDOWN_ACK = 8,
    SCTPC_ERROR = 9,
    SCTPC_COOKIE_ECHO = 10,
    SCTPC_COOKIE_ACK = 11,
    SCTPC_SHUTDOWN_COMPLETE = 14,
    SCTPC_RECONFIG = 130,
    SCTPC_FORWARD_TSN = 192,
};

/* DATA chunk flags. */
#define SCTPC_DATA_E 0x01
#define SCTPC_DATA_B 0x02
#define SCTPC_DATA_U 0x04
#define SCTPC_DATA_I 0x08
/* ABORT / SHUTDOWN-COMPLETE: the verification tag is the sender's own. */
#define SCTPC_FLAG_T 0x01

#define SCTPC_COMMON_HDR 12
#define SCTPC_DATA_HDR 16 /* chunk header + TSN, stream, SSN, PPID */

/* RE-CONFIG result codes (RFC 6525 section 4.4). */
enum sctpc_reconf_result {
    SCTPC_RECONF_NOTHING = 0,
    SCTPC_RECONF_PERFORMED = 1,
    SCTPC_RECONF_DENIED = 2,
    SCTPC_RECONF_ERR_WRONG_SSN = 3,
    SCTPC_RECONF_ERR_IN_PROGRESS = 4,
    SCTPC_RECONF_ERR_BAD_SEQ = 5,
    SCTPC_RECONF_IN_PROGRESS = 6,
};

struct sctpc_hdr {
    uint16_t src_port, dst_port;
    uint32_t vtag;
};

struct sctpc_chunk {
    uint8_t type, flags;
    const uint8_t *v; /* value after the 4-byte chunk header */
    size_t vlen;      /* chunk length minus 4 (padding excluded) */
};

/* Chunks of one packet, in order. */
struct sctpc_iter {
    const uint8_t *p;
    size_t len, off;
};

/* INIT and INIT-ACK. */
struct sctpc_init {
    uint32_t tag, a_rwnd, init_tsn;
    uint16_t os, mis;
    bool fwd_tsn;  /* Forward-TSN-Supported or FORWARD-TSN in Supported Extensions */
    bool reconfig; /* RE-CONFIG in Supported Extensions */
    bool idata;    /* the peer offered I-DATA (not used) */
    const uint8_t *cookie; /* INIT-ACK: State Cookie value (NULL if absent) */
    size_t cookie_len;
};

struct sctpc_data {
    uint32_t tsn, ppid;
    uint16_t stream, ssn;
    uint8_t flags;
    const uint8_t *payload;
    size_t len;
};

struct sctpc_sack {
    uint32_t cum_tsn, a_rwnd;
    uint16_t ngaps, ndups;
    const uint8_t *gaps; /* ngaps x (start u16, end u16), offsets from cum_tsn */
    const uint8_t *dups; /* ndups x u32 */
};

struct sctpc_fwd_tsn {
    uint32_t new_cum;
    uint16_t n;
    const uint8_t *streams; /* n x (stream u16, ssn u16) */
};

/* One parameter of a RE-CONFIG chunk. */
struct sctpc_reconf_param {
    uint16_t type; /* 13 outgoing reset request, 14 incoming, 16 response, ... */
    uint32_t seq;      /* request or response sequence number */
    uint32_t resp_seq; /* 13: the response sequence; 16: the result */
    uint32_t last_tsn; /* 13 only */
    uint16_t nstreams;
    const uint8_t *streams; /* nstreams x u16 */
};

static inline uint16_t sctpc_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t sctpc_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void sctpc_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void sctpc_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
/* Serial number arithmetic (RFC 1982) on 32 and 16 bits. */
static inline bool sctpc_lt32(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool sctpc_le32(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool sctpc_lt16(uint16_t a, uint16_t b) { return (int16_t)(uint16_t)(a - b) < 0; }

uint32_t sctpc_crc32c(const uint8_t *p, size_t n);

/* Checks the common header and the checksum.  0 or DC_EPROTO. */
int sctpc_packet_parse(const uint8_t *pkt, size_t len, struct sctpc_hdr *h, struct sctpc_iter *it);
/* 1 and *c filled, 0 at the end, DC_EPROTO on a malformed chunk header. */
int sctpc_next_chunk(struct sctpc_iter *it, struct sctpc_chunk *c);

int sctpc_parse_init(const struct sctpc_chunk *c, struct sctpc_init *out);
int sctpc_parse_data(const struct sctpc_chunk *c, struct sctpc_data *out);
int sctpc_parse_sack(const struct sctpc_chunk *c, struct sctpc_sack *out);
int sctpc_parse_fwd_tsn(const struct sctpc_chunk *c, struct sctpc_fwd_tsn *out);
/* Parameters of a RE-CONFIG chunk: *off starts at 0; 1 and *out filled, 0
 * at the end, DC_EPROTO if malformed.  Unknown parameter types are
 * returned with only `type` set. */
int sctpc_next_reconf_param(const struct sctpc_chunk *c, size_t *off,
                            struct sctpc_reconf_param *out);

/* ---- builders ---------------------------------------------------------------- */

/* Writes the 12-byte common header (checksum 0). */
void sctpc_put_header(uint8_t *pkt, uint16_t port, uint32_t vtag);
/* Fills in the checksum of a finished packet. */
void sctpc_seal(uint8_t *pkt, size_t len);
/* A chunk with an opaque value (HEARTBEAT-ACK, COOKIE-ECHO, ERROR ...). */
int sctpc_put_chunk(uint8_t *out, size_t cap, uint8_t type, uint8_t flags, const uint8_t *v,
                    size_t vlen);
/* INIT or INIT-ACK with the parameters WebRTC endpoints use: Forward-TSN
 * supported, Supported Extensions (RE-CONFIG, FORWARD-TSN), and for an
 * INIT-ACK the State Cookie. */
int sctpc_put_init(uint8_t *out, size_t cap, uint8_t type, const struct sctpc_init *in);
int sctpc_put_data_hdr(uint8_t *out, size_t cap, const struct sctpc_data *d);
/* SACK: gaps as (start, end) offset pairs, dups as TSNs. */
int sctpc_put_sack(uint8_t *out, size_t cap, uint32_t cum_tsn, uint32_t a_rwnd,
                   const uint16_t *gaps, uint16_t ngaps, const uint32_t *dups, uint16_t ndups);
int sctpc_put_fwd_tsn(uint8_t *out, size_t cap, uint32_t new_cum, const uint16_t *pairs,
                      uint16_t npairs);
/* SHUTDOWN carries the cumulative TSN ack. */
int sctpc_put_shutdown(uint8_t *out, size_t cap, uint32_t cum_tsn);
/* RE-CONFIG with one Outgoing SSN Reset Request parameter. */
int sctpc_put_reconf_req(uint8_t *out, size_t cap, uint32_t req_seq, uint32_t resp_seq,
                         uint32_t last_tsn, const uint16_t *streams, uint16_t n);
/* RE-CONFIG with one Re-configuration Response parameter. */
int sctpc_put_reconf_resp(uint8_t *out, size_t cap, uint32_t resp_seq, uint32_t result);

#endif
