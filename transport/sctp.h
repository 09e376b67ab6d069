/* sctp.h: one SCTP association over a byte pipe, with WebRTC data channels.
 *
 * The association runs on usrsctp (AF_CONN, single-threaded; see
 * dep_usrsctp.h) and does no socket I/O of its own: decrypted SCTP packets
 * come in through sctp_assoc_feed, packets to encrypt and send go out
 * through cb->send.  Time enters only through sctp_tick (global, all
 * associations), which the owner calls every ~10 ms with a monotonic clock
 * that runs at wall-clock pace (usrsctp also reads gettimeofday itself).
 * The first association initialises usrsctp for the life of the process;
 * dep_usrsctp_shutdown finishes it at exit, after which sctp_assoc_new
 * fails.
 *
 * Data channels (RFC 8831/8832): a channel the peer opens with a DCEP OPEN
 * is acknowledged at once and reported through on_channel; channels we
 * open with sctp_assoc_open_channel are usable immediately (ordered until
 * the peer's ACK arrives).  As DTLS client we must pick EVEN stream ids for
 * our own channels (the peer, DTLS server, uses odd ones); this module does
 * not know the DTLS role and leaves that rule to the caller.  Closing a
 * channel resets its outgoing stream; when the peer resets its side, the
 * channel is gone and on_channel_closed fires (whoever started it).
 *
 * Messages: on_message gets complete user messages only (PPID 51 string,
 * 53 binary, 56/57 empty string/binary with len 0), reassembled with a
 * bounded buffer if usrsctp hands them over in pieces.  A message larger
 * than our max_message_size is dropped and counted, never delivered in
 * part; other streams and later messages are unaffected.  Messages on a
 * stream without a channel, deprecated or unknown PPIDs and malformed DCEP
 * are dropped and counted (sctp_assoc_stats).
 *
 * Callbacks run synchronously inside sctp_assoc_feed, sctp_tick and the
 * other calls below; buffers they get are valid only during the call.
 *   - send: hand the packet to DTLS.  It must NOT call any sctp_* function
 *     (they return DC_EINVAL / do nothing if it does): queue instead.
 *   - the others may call sctp_assoc_send / open / close_channel on any
 *     association, and may call sctp_assoc_free: a free requested while
 *     usrsctp is on the stack is deferred until the outermost sctp call
 *     returns, and from the free on that association makes no further
 *     callback at all (its final ABORT is not sent).  Called from outside
 *     any callback, sctp_assoc_free is immediate and sends an ABORT to the
 *     peer through cb->send before returning.
 * on_closed fires at most once (reason: enum sctp_close_reason); after it
 * the association only accepts sctp_assoc_free.  Strings handed to
 * on_channel stay valid until that channel closes.
 *
 * Return codes: 0 or DC_* (common/err.h): DC_EAGAIN not writable now (not
 * yet open, or send buffer full: on_writable follows when it drains below
 * the low-water mark), DC_ETOOBIG over the peer's max-message-size (dropped
 * and counted), DC_ENOTFOUND no such channel, DC_EEXIST stream in use,
 * DC_ECLOSED association closed, DC_EINVAL bad argument or called from
 * inside cb->send, DC_EIO other usrsctp failure (logged). */
#ifndef DC_SCTP_H
#define DC_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCTP_DEFAULT_PORT 5000
#define SCTP_DEFAULT_MAX_MESSAGE_SIZE 262144u
/* Outgoing and incoming stream count offered in INIT (ids 0..63).  LiveKit
 * clients open three channels; usrsctp's memory per association grows with
 * this number (about 100 bytes per stream). */
#define SCTP_NUM_STREAMS 64
/* Largest SCTP packet handed to cb->send (RFC 8261's safe value). */
#define SCTP_MTU 1150

enum sctp_close_reason {
    SCTP_CLOSE_ABORTED = 1,  /* ABORT received or retransmissions exhausted */
    SCTP_CLOSE_SHUTDOWN = 2, /* graceful SHUTDOWN, by either side */
    SCTP_CLOSE_FAILED = 3,   /* the association could not be established */
};

struct sctp_callbacks {
    void (*send)(void *ctx, const uint8_t *pkt, size_t len);
    void (*on_open)(void *ctx);
    void (*on_channel)(void *ctx, uint16_t stream, const char *label, const char *protocol,
                       int type, uint32_t reliability);
    void (*on_message)(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len);
    void (*on_channel_closed)(void *ctx, uint16_t stream);
    void (*on_closed)(void *ctx, int reason);
    void (*on_writable)(void *ctx);
};

struct sctp_stats {
    uint64_t msgs_in, bytes_in;   /* user messages delivered */
    uint64_t msgs_out, bytes_out; /* user messages accepted by sctp_assoc_send */
    uint64_t drop_in_too_big;     /* incoming messages over max_message_size */
    uint64_t drop_out_too_big;    /* sends refused with DC_ETOOBIG */
    uint64_t drop_in_no_channel;  /* user messages on a stream without a channel */
    uint64_t drop_in_bad;         /* unknown or deprecated PPID, malformed DCEP */
    uint64_t send_eagain;         /* sends refused with DC_EAGAIN (buffer full) */
    uint64_t abandoned;           /* messages usrsctp gave up on (PR-SCTP, failure) */
    /* Packet-level counters (native SCTP only; zero on usrsctp). */
    uint64_t pkts_in, pkts_out;
    uint64_t rtx_timeout, rtx_fast;   /* DATA chunks retransmitted by T3 / fast retransmit */
    uint64_t sacks_in, sacks_out, dup_tsns;
};

struct sctp_assoc;

/* Copies *cb (send is required, other callbacks may be NULL).  port 0 means
 * 5000 (both ends use the same port); max_message_size 0 means 262144 (it
 * is capped at 16 MiB); remote_max_message_size is the peer's SDP value
 * (0: no limit) and bounds what sctp_assoc_send accepts.  NULL on failure. */
struct sctp_assoc *sctp_assoc_new(const struct sctp_callbacks *cb, void *ctx, uint16_t port,
                                  uint32_t max_message_size, uint32_t remote_max_message_size);
/* NULL is a no-op.  See the contract above for frees from callbacks. */
void sctp_assoc_free(struct sctp_assoc *a);
/* Starts the association (sends INIT).  In WebRTC both ends connect once
 * DTLS is up (simultaneous open).  Feeding a packet to an association that
 * has not connected yet connects it first.  0, DC_EINVAL if already
 * started, DC_EIO. */
int sctp_assoc_connect(struct sctp_assoc *a);
void sctp_assoc_feed(struct sctp_assoc *a, const uint8_t *pkt, size_t len);
/* Sends one message on the channel of `stream`, with its reliability.
 * ppid 51 (string) or 53 (binary); an empty message goes out as 56/57 with
 * one zero byte (RFC 8831), which passing 56/57 also does. */
int sctp_assoc_send(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, const uint8_t *data,
                    size_t len);
/* Holds small messages back while earlier data is in flight (Nagle's rule,
 * SCTP_NODELAY off), so that several sends made in a row leave in as few
 * packets as possible; hold(false) restores immediate sending, and the next
 * sctp_assoc_send then carries out everything held with it.  A caller that
 * holds must release before its last send of the batch; data still held
 * without a following send goes out with the peer's next SACK.  0, DC_ECLOSED,
 * DC_EIO. */
int sctp_assoc_hold(struct sctp_assoc *a, bool hold);
/* Opens a channel with a DCEP OPEN: max_rexmit < 0 for reliable, else the
 * maximum number of retransmissions (0 for lossy).  Needs an open
 * association.  0, DC_EEXIST, DC_EINVAL (stream beyond the negotiated
 * count, label over 65535 bytes), DC_EAGAIN, DC_ECLOSED. */
int sctp_assoc_open_channel(struct sctp_assoc *a, uint16_t stream, const char *label, bool ordered,
                            int max_rexmit);
/* Resets the channel's outgoing stream; sends on it are refused from now
 * on, and on_channel_closed fires when the peer has reset its side.  0,
 * DC_ENOTFOUND, DC_ECLOSED (association closed: the channel is dropped),
 * DC_EIO (reset refused, e.g. the peer lacks RFC 6525: the channel stays
 * closing until the association goes). */
int sctp_assoc_close_channel(struct sctp_assoc *a, uint16_t stream);
/* Graceful SHUTDOWN once queued data is acknowledged; on_closed follows. */
int sctp_assoc_shutdown(struct sctp_assoc *a);

bool sctp_assoc_is_open(const struct sctp_assoc *a);

struct sctp_channel_info {
    const char *label, *protocol; /* owned by the association: valid until the channel closes */
    int type;                     /* DCEP channel type */
    uint32_t reliability;
    bool local;   /* opened by us */
    bool acked;   /* peer-opened, or our OPEN was acknowledged */
    bool closing; /* our outgoing stream reset is under way */
};
/* false if the stream has no channel. */
bool sctp_assoc_channel_info(const struct sctp_assoc *a, uint16_t stream,
                             struct sctp_channel_info *out);
/* User bytes queued in usrsctp (sent but unacknowledged, or unsent). */
size_t sctp_assoc_buffered(const struct sctp_assoc *a);
/* The most sctp_assoc_buffered can reach (the socket's send buffer). */
size_t sctp_assoc_send_buffer(const struct sctp_assoc *a);
/* on_writable fires when buffered drops to `bytes` or below after a send
 * returned DC_EAGAIN or left more than `bytes` queued.  Default 256 KiB. */
void sctp_assoc_set_low_water(struct sctp_assoc *a, size_t bytes);
void sctp_assoc_stats(const struct sctp_assoc *a, struct sctp_stats *out);

/* Drives usrsctp's timers for every association (now_ms: monotonic ms). */
void sctp_tick(uint64_t now_ms);

#endif
