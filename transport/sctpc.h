/* sctpc.h: dcsfu's own SCTP association core for WebRTC data channels.
 *
 * One SCTP association (RFC 9260) with the extensions WebRTC peers use:
 * PR-SCTP FORWARD-TSN (RFC 3758) and outgoing stream reset (RFC 6525).
 * It works on SCTP user messages (stream, PPID, bytes); the data channel
 * layer (DCEP, channel table) is transport/sctpc_dc.h, on top of it.
 *
 * No I/O and no clock: decrypted packets come in through sctpc_feed,
 * packets go out through cb->send, and every call that may need the time
 * takes now_ms (monotonic milliseconds).  Output is batched: sctpc_feed,
 * sctpc_send, sctpc_reset_stream and sctpc_shutdown only change state; the
 * owner calls sctpc_flush once per loop turn, which emits everything due
 * (control chunks, SACK, retransmissions, new DATA) bundled into as few
 * packets of at most SCTPC_MTU bytes as possible.  sctpc_tick runs the
 * timers (call it when sctpc_next_timer says, or every ~10 ms) and
 * flushes.  Packets that stand alone go out at once instead: the INIT-ACK
 * answering an INIT and the SHUTDOWN-COMPLETE ending a shutdown (from
 * sctpc_feed), and the ABORT of sctpc_abort.
 *
 * Callbacks run synchronously inside sctpc_feed / sctpc_flush / sctpc_tick;
 * buffers they get are valid only during the call.  send must not call
 * back into this module; the others may call sctpc_send,
 * sctpc_reset_stream and sctpc_shutdown on this association but must not
 * free it (free it after the outer call returns).  on_closed fires at most
 * once; after it only sctpc_free is useful.
 *
 * Messages: on_message gets complete messages only.  Ordered messages of a
 * stream arrive in SSN order; unordered ones as soon as they are complete.
 * A message above max_message_size is dropped and counted, never delivered
 * in part.  Messages sent with max_rexmit >= 0 or lifetime_ms > 0 are
 * abandoned (and skipped at the peer with FORWARD-TSN) when the limit is
 * reached.
 *
 * Return codes: 0 or DC_* (common/err.h): DC_EAGAIN not open yet, send
 * buffer full (on_writable follows) or the stream's reset still under way,
 * DC_ETOOBIG message larger than the send buffer, DC_EINVAL bad argument
 * or stream, DC_ECLOSED association closed or shutting down, DC_EEXIST a
 * reset of that stream is already pending. */
#ifndef DC_SCTPC_H
#define DC_SCTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCTPC_MTU 1150
#define SCTPC_PORT 5000
#define SCTPC_STREAMS 64
#define SCTPC_MAX_MESSAGE_DEFAULT 262144u

enum sctpc_close_reason {
    SCTPC_CLOSE_ABORTED = 1,  /* ABORT received, or retransmissions exhausted */
    SCTPC_CLOSE_SHUTDOWN = 2, /* graceful SHUTDOWN completed */
    SCTPC_CLOSE_FAILED = 3,   /* the association could not be established */
};

struct sctpc_callbacks {
    void (*send)(void *ctx, const uint8_t *pkt, size_t len); /* required */
    void (*on_open)(void *ctx);
    void (*on_message)(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data,
                       size_t len);
    /* The peer reset its outgoing stream `stream` (its SSNs restart at 0). */
    void (*on_stream_reset)(void *ctx, uint16_t stream);
    /* Our reset of `stream` completed (ok) or was refused by the peer. */
    void (*on_reset_done)(void *ctx, uint16_t stream, bool ok);
    void (*on_closed)(void *ctx, int reason);
    /* sctpc_buffered dropped to the low-water mark or below, after a send
     * returned DC_EAGAIN or left more than that queued. */
    void (*on_writable)(void *ctx);
};

struct sctpc_config {
    uint16_t port;             /* 0: 5000 (both ends) */
    uint32_t max_message_size; /* largest message accepted from the peer; 0: 256 KiB */
    uint32_t rwnd;             /* receive window advertised; 0: 1 MiB */
    size_t send_buffer;        /* bytes queued and unacknowledged allowed; 0: 2 MiB */
    uint32_t max_retransmits;  /* consecutive T3 expiries before failure; 0: 10 */
    size_t low_water;          /* on_writable threshold; 0: 256 KiB */
    const uint8_t *secret;     /* 32-byte cookie HMAC key; NULL: random */
};

struct sctpc_send_opts {
    bool unordered;
    int max_rexmit;       /* < 0: unlimited (reliable) */
    uint32_t lifetime_ms; /* 0: unlimited */
};

struct sctpc_stats {
    uint64_t pkts_in, pkts_out, bytes_in, bytes_out; /* packets and their bytes */
    uint64_t msgs_in, msgs_out;                      /* user messages delivered / queued */
    uint64_t drop_bad_pkt;   /* bad checksum, header or chunk: whole packet dropped */
    uint64_t drop_bad_vtag;  /* wrong verification tag */
    uint64_t drop_too_big;   /* incoming messages over max_message_size */
    uint64_t drop_no_room;   /* DATA dropped for lack of buffer (peer retransmits) */
    uint64_t rtx_t3, rtx_fast; /* chunks retransmitted by timer / fast retransmit */
    uint64_t abandoned;        /* outgoing messages abandoned (PR-SCTP) */
    uint64_t fwd_tsn_out, fwd_tsn_in;
    uint64_t sacks_in, sacks_out;
    uint64_t dup_tsns; /* duplicate DATA received */
};

struct sctpc;

/* NULL cb->send or a bad config: NULL. */
struct sctpc *sctpc_new(const struct sctpc_config *cfg, const struct sctpc_callbacks *cb,
                        void *ctx);
/* NULL is a no-op.  Sends nothing (call sctpc_abort first to tell the peer). */
void sctpc_free(struct sctpc *a);
/* Queues our INIT (WebRTC: both ends do this once DTLS is up).  0 or
 * DC_EINVAL if already started.  A packet fed before connect is answered
 * as a passive endpoint would. */
int sctpc_connect(struct sctpc *a, uint64_t now_ms);
/* One decrypted SCTP packet.  Malformed packets are dropped and counted. */
void sctpc_feed(struct sctpc *a, const uint8_t *pkt, size_t len, uint64_t now_ms);
/* Queues one message (copied; len >= 1).  opts NULL: ordered, reliable. */
int sctpc_send(struct sctpc *a, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len,
               const struct sctpc_send_opts *opts, uint64_t now_ms);
/* Emits everything due, bundled. */
void sctpc_flush(struct sctpc *a, uint64_t now_ms);
/* Runs expired timers, then flushes. */
void sctpc_tick(struct sctpc *a, uint64_t now_ms);
/* The earliest timer deadline (ms), or UINT64_MAX if none runs. */
uint64_t sctpc_next_timer(const struct sctpc *a);
/* Resets our outgoing stream (RFC 6525): the peer restarts its expected
 * SSN at 0 once all data sent so far on it has arrived.  Sends on the
 * stream return DC_EAGAIN until on_reset_done.  DC_EINVAL if the peer does
 * not support RE-CONFIG. */
int sctpc_reset_stream(struct sctpc *a, uint16_t stream);
/* Graceful SHUTDOWN once all queued data is acknowledged. */
int sctpc_shutdown(struct sctpc *a);
/* Sends an ABORT now (if the association got far enough to have a peer
 * tag) and closes without calling on_closed. */
void sctpc_abort(struct sctpc *a);

bool sctpc_is_open(const struct sctpc *a);
/* Streams we may send on: min(SCTPC_STREAMS, the peer's inbound streams);
 * 0 until the association is up. */
uint16_t sctpc_out_streams(const struct sctpc *a);
void sctpc_set_low_water(struct sctpc *a, size_t bytes);
/* Bytes of user data queued or in flight. */
size_t sctpc_buffered(const struct sctpc *a);
void sctpc_stats(const struct sctpc *a, struct sctpc_stats *out);

#endif
