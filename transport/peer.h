/* peer.h: one participant's WebRTC peer connection, data channels only.
 *
 * Composes the I/O-free cores: SDP offer/answer (sdp.h), ICE-lite (ice_lite.h),
 * DTLS in the client role (dtls.h) and SCTP with DCEP data channels (sctp.h).
 * Datagrams come in through peer_on_datagram() and go out through the `send`
 * callback; time comes in as arguments.  The LiveKit channels `_reliable`
 * and `_lossy` are reported by kind (PEER_RELIABLE, PEER_LOSSY); other
 * channels (`_data_track`) are accepted and ignored.
 *
 * Callbacks may run inside any peer_* call.  peer_free() must not be called
 * from inside a callback of the same peer: mark it and free it later. */
#ifndef DC_PEER_H
#define DC_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transport/cert.h"
#include "transport/sdp.h"
#include "transport/sctp.h"

enum { PEER_RELIABLE = 0, PEER_LOSSY = 1 };

/* Why a peer failed (on_failed). */
enum peer_failure {
    PEER_FAIL_CONSENT = 1,   /* no valid ICE check for the consent timeout */
    PEER_FAIL_DTLS,          /* handshake failure, fingerprint mismatch, alert */
    PEER_FAIL_DTLS_CLOSED,   /* close_notify from the peer */
    PEER_FAIL_SCTP,          /* association aborted or shut down */
};

struct peer_callbacks {
    void (*send)(void *ctx, const struct sockaddr *to, const uint8_t *data, size_t len);
    /* ICE selected a (new) address: route its datagrams to this peer. */
    void (*on_address)(void *ctx, const struct sockaddr *addr);
    void (*on_connected)(void *ctx);
    void (*on_channel)(void *ctx, int kind, bool open);
    void (*on_message)(void *ctx, int kind, const uint8_t *data, size_t len);
    /* peer_send returned DC_EAGAIN earlier and there is room again. */
    void (*on_writable)(void *ctx);
    void (*on_failed)(void *ctx, enum peer_failure why);
    /* Optional (NULL: always yes): ICE has selected an address and the DTLS
     * handshake is about to start.  Returning false holds it back until
     * peer_start_handshake(); the set-up timeout keeps running meanwhile. */
    bool (*may_handshake)(void *ctx);
};

struct peer_config {
    uint32_t max_message_size;      /* advertised and enforced */
    uint64_t consent_timeout_ms;    /* 30000 */
    int sctp_impl;                  /* enum peer_sctp_impl: native (0) or usrsctp */
};

struct peer;

struct peer *peer_new(const struct cert *cert, const struct peer_config *cfg,
                      const struct peer_callbacks *cb, void *ctx);
void peer_free(struct peer *p);
/* Applies an offer and returns the answer (malloc'd), or NULL with *why.  A
 * later offer renegotiates; one with new ICE credentials restarts ICE with
 * new local credentials. */
char *peer_answer(struct peer *p, uint64_t now_ms, const char *offer, size_t len,
                  const struct sdp_candidate *cands, size_t n_cands, const char **why);
/* Starts the DTLS handshake that may_handshake held back (may_handshake is
 * not asked again).  No-op when none is held back or the peer has failed or
 * been closed. */
void peer_start_handshake(struct peer *p, uint64_t now_ms);
/* Our current ICE username fragment (for routing STUN from new addresses). */
const char *peer_ufrag(const struct peer *p);
void peer_on_datagram(struct peer *p, uint64_t now_ms, const struct sockaddr *from,
                      const uint8_t *data, size_t len);
/* Sends one message on the channel of `kind`: 0, DC_ECLOSED, DC_ETOOBIG, DC_EAGAIN.
 * Lossy data gives way to reliable data: a PEER_LOSSY message is refused with
 * DC_EAGAIN while the association holds more than half its send buffer, so a
 * receiver that falls behind loses lossy messages well before reliable ones
 * have to wait. */
int peer_send(struct peer *p, int kind, const uint8_t *data, size_t len);
/* Batches the next sends into as few packets as possible (sctp_assoc_hold);
 * release before the last send of the batch.  No-op without an association. */
void peer_hold(struct peer *p, bool hold);
/* Sends what this loop turn queued on the association (the native SCTP
 * stack holds its output until then); call once per turn for every peer
 * that received datagrams or was sent data in it. */
void peer_flush(struct peer *p, uint64_t now_ms);
/* The association's own timers (native SCTP): call at peer_next_sctp_timer
 * (or any time: nothing happens before a deadline). */
void peer_tick_sctp(struct peer *p, uint64_t now_ms);
/* The next deadline of the native association's timers (absolute, in the
 * now_ms clock), UINT64_MAX if none (or usrsctp, which runs on sctp_tick). */
uint64_t peer_next_sctp_timer(const struct peer *p);
/* Timers: DTLS retransmission, consent.  Returns the next time it wants a call. */
uint64_t peer_tick(struct peer *p, uint64_t now_ms);
/* Counters of the peer's SCTP association (all zero before it exists). */
void peer_sctp_stats(const struct peer *p, struct sctp_stats *out);
/* Ends the connection politely (DTLS close_notify); no callbacks afterwards. */
void peer_close(struct peer *p);

#endif
