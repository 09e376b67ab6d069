/* sctpc_internal.h: state of one native SCTP association, shared by
 * sctpc.c (lifecycle, set-up, dispatch, output), sctpc_tx.c (send queue,
 * SACK processing, retransmission, PR-SCTP), sctpc_rx.c (receive,
 * reassembly, SACK generation) and sctpc_reconf.c (stream reset); only
 * those files and their unit tests include it.
 *
 * Outgoing data: sctpc_send cuts a message into fragments and gives each a
 * TSN at once, so the send queue is one ring of chunks indexed by TSN from
 * the oldest unacknowledged TSN (base) to next_tsn.  A chunk is UNSENT,
 * SENT (in flight), RTX (to resend), ACKED (gap-acked) or ABANDONED.  The
 * fragments of a message share one reference-counted buffer.
 *
 * Incoming data: TSNs above cum_tsn that arrived are bits of a ring bitmap
 * of SCTPC_RX_WINDOW TSNs.  A single-fragment message next in order is
 * delivered straight from the packet; everything else is copied into a
 * TSN-sorted array of pending fragments until it can be delivered. */
#ifndef DC_SCTPC_INTERNAL_H
#define DC_SCTPC_INTERNAL_H

#include "transport/sctpc.h"
#include "transport/sctpc_wire.h"

#define SCTPC_RX_WINDOW 16384u /* TSNs tracked above cum_tsn (power of 2) */
#define SCTPC_MAX_GAPS 64
#define SCTPC_MAX_DUPS 16
#define SCTPC_CTRL_CAP 2048 /* pending control chunks */
#define SCTPC_COOKIE_LEN 72
#define SCTPC_DATA_ROOM (SCTPC_MTU - SCTPC_COMMON_HDR - SCTPC_DATA_HDR) /* max fragment */

/* Timers and RTO (milliseconds), as dcSCTP uses them. */
#define SCTPC_RTO_INITIAL 500
#define SCTPC_RTO_MIN 400
#define SCTPC_RTO_MAX 60000
#define SCTPC_T1_TIMEOUT 1000
/* Exponential backoff of T1/T3 stops here (libwebrtc caps it at 3 s so a
 * lossy link recovers quickly; RFC 9260 would go on to RTO.Max). */
#define SCTPC_BACKOFF_MAX 3000
#define SCTPC_DELAYED_ACK 200
#define SCTPC_MAX_INIT_RTX 8
#define SCTPC_COOKIE_LIFE 60000

enum sctpc_state {
    SCTPC_CLOSED,
    SCTPC_COOKIE_WAIT,
    SCTPC_COOKIE_ECHOED,
    SCTPC_ESTABLISHED,
    SCTPC_SHUTDOWN_PENDING,
    SCTPC_SHUTDOWN_SENT,
    SCTPC_SHUTDOWN_RECEIVED,
    SCTPC_SHUTDOWN_ACK_SENT,
    SCTPC_DEAD, /* closed for good (on_closed fired or aborted) */
};

enum sctpc_chunk_state { TX_UNSENT, TX_SENT, TX_RTX, TX_ACKED, TX_ABANDONED };

struct sctpc_msg {
    uint32_t refs;
    uint32_t ppid;
    uint16_t stream, ssn;
    bool unordered;
    int max_rexmit;
    uint64_t expires; /* 0: never */
    size_t len;
    uint8_t data[];
};

struct sctpc_txc {
    struct sctpc_msg *m; /* NULL: slot unused */
    uint32_t off;
    uint16_t len;
    uint8_t flags; /* B/E/U */
    uint8_t state;
    uint8_t nrtx;   /* times retransmitted */
    uint8_t miss;   /* missing reports (fast retransmit) */
    bool fast_done; /* fast-retransmitted once already */
    bool rtt_ok;    /* sent once only: may give an RTT sample */
    uint64_t sent_at;
};

struct sctpc_rxc {
    uint32_t tsn, ppid;
    uint16_t stream, ssn;
    uint8_t flags;
    uint32_t len;
    uint8_t *data;
};

/* A peer message over max_message_size being discarded fragment by fragment. */
struct sctpc_discard {
    bool on, unordered;
    uint16_t stream, ssn;
    uint32_t first_tsn;
};

struct sctpc {
    struct sctpc_callbacks cb;
    void *ctx;
    struct sctpc_config cfg;
    uint8_t secret[32];
    enum sctpc_state state;
    bool started; /* our INIT was queued */
    uint32_t my_vtag, peer_vtag;
    uint32_t my_init_tsn;
    uint16_t peer_os, peer_mis;
    bool peer_fwd_tsn, peer_reconfig;
    uint8_t cookie[SCTPC_MTU - SCTPC_COMMON_HDR - 4]; /* the peer's cookie we echo */
    size_t cookie_len;
    unsigned init_rtx;
    uint64_t t1_at; /* T1-init / T1-cookie / T2-shutdown deadline, 0 off */
    uint32_t t1_rto;

    /* control chunks waiting for the next flush */
    uint8_t ctrl[SCTPC_CTRL_CAP];
    size_t ctrl_len;
    bool send_init, send_cookie_echo, send_shutdown, send_shutdown_ack;

    /* transmit */
    struct sctpc_txc *ring;
    uint32_t ring_mask;
    uint32_t base_tsn;   /* oldest TSN in the ring (cum ack + 1) */
    uint32_t next_tsn;   /* next TSN to assign */
    uint32_t next_unsent; /* first TSN never sent */
    uint32_t adv_peer_ack; /* PR-SCTP advanced peer ack point */
    bool fwd_tsn_due;
    uint16_t out_ssn[SCTPC_STREAMS];
    size_t buffered;  /* user bytes in the ring */
    bool want_writable;
    size_t flight;    /* bytes in flight */
    uint32_t peer_rwnd;
    uint32_t cwnd, ssthresh, partial_acked;
    bool fast_recovery;
    uint32_t recover_tsn;
    bool rtx_pending; /* some chunk is TX_RTX */
    uint32_t rto, srtt, rttvar; /* ms */
    /* T3-rtx's current duration once it has expired (backed off from rto);
     * 0 while it runs on rto.  Acknowledged new data resets it, as WebRTC's
     * SCTP does: the back-off belongs to the timer, not to the path. */
    uint32_t t3_backoff;
    bool rtt_measured;
    uint64_t rtt_sent; /* newest RTT-eligible send time seen in a SACK */
    uint64_t t3_at;
    unsigned errors; /* consecutive timeouts */

    /* receive */
    uint32_t cum_tsn; /* highest in-order TSN received */
    uint8_t rx_bits[SCTPC_RX_WINDOW / 8];
    uint32_t rx_high; /* highest TSN received (>= cum_tsn) */
    uint16_t in_ssn[SCTPC_STREAMS];
    struct sctpc_rxc *pend;
    size_t npend, cappend, pend_bytes;
    struct sctpc_discard discard;
    uint32_t dups[SCTPC_MAX_DUPS];
    uint16_t ndups;
    unsigned unacked_pkts;
    bool sack_now;
    uint64_t sack_at; /* delayed SACK deadline, 0 off */

    /* stream reset (RFC 6525) */
    uint32_t reconf_out_seq;  /* our next request sequence */
    uint32_t reconf_in_seq;   /* the peer's next expected request sequence */
    uint16_t reset_want[SCTPC_STREAMS]; /* streams waiting to be reset */
    uint16_t nreset_want;
    uint16_t reset_inflight[SCTPC_STREAMS];
    uint16_t nreset_inflight;
    uint32_t reset_inflight_seq;
    bool reset_send;
    uint64_t reconf_at;
    bool peer_reset_deferred; /* peer's request waits for cum_tsn */
    uint32_t peer_reset_seq, peer_reset_last_tsn;
    uint16_t peer_reset_streams[SCTPC_STREAMS];
    uint16_t npeer_reset;
    uint32_t last_reset_result;

    bool in_cb; /* guards against re-entry through cb->send */
    struct sctpc_stats stats;
};

/* sctpc.c */
void sctpc_ctrl_add(struct sctpc *a, uint8_t type, uint8_t flags, const uint8_t *v, size_t n);
void sctpc_close(struct sctpc *a, int reason);
/* The timer value after one more backoff step. */
uint32_t sctpc_backoff(uint32_t t);
/* Output: chunks are appended to the current packet, which goes out when
 * full or at the end of the flush. */
struct sctpc_out {
    uint8_t buf[SCTPC_MTU];
    size_t len;
};
uint8_t *sctpc_out_reserve(struct sctpc *a, struct sctpc_out *o, size_t need);
void sctpc_out_commit(struct sctpc_out *o, size_t n);
void sctpc_out_send(struct sctpc *a, struct sctpc_out *o);

/* sctpc_tx.c */
void sctpc_tx_init(struct sctpc *a, uint32_t init_tsn);
void sctpc_tx_free(struct sctpc *a);
void sctpc_tx_sack(struct sctpc *a, const struct sctpc_sack *s, uint64_t now_ms);
void sctpc_tx_flush(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms);
void sctpc_tx_t3(struct sctpc *a, uint64_t now_ms);
bool sctpc_tx_idle(const struct sctpc *a);

/* sctpc_rx.c */
void sctpc_rx_init(struct sctpc *a, uint32_t peer_init_tsn);
void sctpc_rx_free(struct sctpc *a);
/* One DATA chunk; false if the association closed during delivery. */
void sctpc_rx_data(struct sctpc *a, const struct sctpc_data *d);
void sctpc_rx_fwd_tsn(struct sctpc *a, const struct sctpc_fwd_tsn *f);
/* Appends a SACK to the output if one is due (or `force`). */
void sctpc_rx_sack_out(struct sctpc *a, struct sctpc_out *o, bool force, uint64_t now_ms);
uint32_t sctpc_rx_rwnd(const struct sctpc *a);

/* sctpc_reconf.c */
void sctpc_reconf_in(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms);
void sctpc_reconf_out(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms);
/* A deferred peer reset may proceed once cum_tsn reached its last TSN. */
void sctpc_reconf_check(struct sctpc *a);
/* A reset of our outgoing `stream` is queued or in flight. */
bool sctpc_stream_resetting(const struct sctpc *a, uint16_t stream);

#endif
