/* dtls.h: one DTLS 1.2 client session per peer, over memory buffers.
 *
 * dcsfu answers SDP offers with a=setup:active, so it is the DTLS client.
 * The session does no I/O and reads no clock: received datagrams come in
 * through dtls_feed, records to send go out through cb->send (one call per
 * datagram), and time is whatever `now_ms` the caller last passed (any
 * monotonic millisecond clock).
 *
 * Security: the peer's certificate is accepted if and only if the SHA-256 of
 * its DER matches `remote_fp` (from the peer's a=fingerprint).  No CA chain,
 * name or validity checks: WebRTC certificates are self-signed.  On mismatch
 * the handshake is aborted with an alert and on_closed(DTLS_CLOSE_FINGERPRINT)
 * is called; on_connected is never called.
 *
 * Negotiation: DTLS 1.2 only; ECDHE with ECDSA (or RSA) certificates and
 * AES-GCM or ChaCha20-Poly1305; extended master secret on; renegotiation and
 * session tickets off; use_srtp offered with SRTP_AES128_CM_HMAC_SHA1_80 and
 * _32 (the keys are never exported: no RTP is sent).  Records are packed into
 * datagrams of at most DTLS_MTU bytes.
 *
 * Hostile input: records that fail to parse or authenticate are dropped, as
 * DTLS requires.  mbedTLS 2.28 would instead abort the handshake on some
 * malformed plaintext records (bad handshake fragment headers, alerts that
 * are not 2 bytes, bad ChangeCipherSpec, plaintext application data), so
 * datagrams holding those are dropped before mbedTLS sees them.  Replay
 * protection starts with the encrypted epoch: mbedTLS would let one spoofed
 * plaintext record with a huge sequence number make the genuine handshake
 * look replayed.  A well-formed spoofed plaintext message (e.g. a fatal
 * alert) can still end a handshake, as in any DTLS 1.2 implementation: feed
 * only datagrams from the ICE-selected address.
 *
 * Timers: the handshake retransmits after 1 s, doubling up to 16 s, and gives
 * up (on_closed(DTLS_CLOSE_TIMEOUT)) when the 16 s wait runs out: about 31 s
 * after dtls_start if nothing is heard.  After every dtls_* call, ask
 * dtls_timeout_ms() when to call dtls_on_timer next.
 *
 * Re-entrancy: callbacks run inside dtls_start/dtls_feed/dtls_on_timer/
 * dtls_send/dtls_close.
 *  - cb->send runs while mbedTLS is mid-operation: it must only queue or
 *    transmit the bytes; other dtls_* calls on the same session from it are
 *    refused (DC_EINVAL, or ignored when void), except dtls_free (below).
 *  - on_connected and on_data run between mbedTLS calls: they may call
 *    dtls_send, dtls_close, dtls_timeout_ms and the getters; dtls_feed,
 *    dtls_on_timer and dtls_start return DC_EINVAL there.
 *  - on_closed runs once, after which the session is inert (every call
 *    returns DC_ECLOSED, dtls_timeout_ms returns -1).  It is not called for a
 *    locally requested dtls_close or dtls_free.
 *  - Prefer freeing outside callbacks.  dtls_free from inside any callback is
 *    tolerated: the session stops processing at once and its memory is
 *    released when the outermost dtls_* call returns.
 *
 * Return codes: 0, or DC_EINVAL (bad argument or misuse), DC_EPROTO (not a
 * DTLS datagram), DC_EAGAIN (dtls_send before on_connected), DC_ETOOBIG
 * (dtls_send larger than dtls_max_payload), DC_ECLOSED (session closed,
 * possibly by this call), DC_EIO (mbedTLS error). */
#ifndef DC_DTLS_H
#define DC_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/cert.h"

#define DTLS_MTU 1200        /* largest datagram we send */
/* Largest dtls_send payload with any offered suite: DTLS_MTU minus the record
 * header (13), the explicit GCM nonce (8) and the tag (16). */
#define DTLS_MAX_PAYLOAD (DTLS_MTU - 37)

/* IANA DTLS-SRTP protection profile values (RFC 5764). */
#define DTLS_SRTP_AES128_CM_SHA1_80 0x0001
#define DTLS_SRTP_AES128_CM_SHA1_32 0x0002

enum dtls_close_reason {
    DTLS_CLOSE_NOTIFY = 1,  /* the peer sent close_notify */
    DTLS_CLOSE_ALERT,       /* the peer sent a fatal alert */
    DTLS_CLOSE_TIMEOUT,     /* the handshake did not complete in time */
    DTLS_CLOSE_FINGERPRINT, /* the peer's certificate does not match its fingerprint */
    DTLS_CLOSE_HANDSHAKE,   /* any other handshake failure */
    DTLS_CLOSE_ERROR,       /* a fatal error after the handshake */
};

enum dtls_state { DTLS_NEW, DTLS_HANDSHAKING, DTLS_CONNECTED, DTLS_CLOSED };

struct dtls_callbacks {
    void (*send)(void *ctx, const uint8_t *data, size_t len);  /* one datagram to the network */
    void (*on_connected)(void *ctx);                           /* handshake done, fingerprint verified */
    void (*on_data)(void *ctx, const uint8_t *data, size_t len); /* one decrypted record (an SCTP packet) */
    void (*on_closed)(void *ctx, int reason);                  /* enum dtls_close_reason */
};

struct dtls;

/* `local` must outlive the session; `remote_fp` is the 32-byte SHA-256 of the
 * peer's certificate (see cert_fingerprint_parse); `cb` is copied and every
 * member may be NULL.  Returns NULL on bad arguments or mbedTLS failure. */
struct dtls *dtls_new(const struct cert *local, const uint8_t *remote_fp, size_t remote_fp_len,
                      const struct dtls_callbacks *cb, void *ctx);
void dtls_free(struct dtls *d);

/* Sends the ClientHello (once; DC_EINVAL if already started). */
int dtls_start(struct dtls *d, uint64_t now_ms);
/* One received datagram (first byte 20..63, else DC_EPROTO).  Records that do
 * not authenticate or parse are dropped silently, as DTLS requires.
 * Returns 0, or DC_ECLOSED if the session is closed after this datagram. */
int dtls_feed(struct dtls *d, uint64_t now_ms, const uint8_t *data, size_t len);
/* Encrypts `data` as one record in one datagram (after on_connected). */
int dtls_send(struct dtls *d, const uint8_t *data, size_t len);
/* Absolute time (in the caller's now_ms clock) of the next retransmission
 * or give-up, or -1 if no timer is needed. */
int64_t dtls_timeout_ms(const struct dtls *d);
/* Retransmits the last flight or gives up, if the timer is due; harmless otherwise. */
void dtls_on_timer(struct dtls *d, uint64_t now_ms);
/* Sends close_notify if connected and makes the session inert (no on_closed). */
void dtls_close(struct dtls *d);

enum dtls_state dtls_state(const struct dtls *d);
/* Largest payload dtls_send accepts now (DTLS_MAX_PAYLOAD before the handshake). */
size_t dtls_max_payload(const struct dtls *d);
/* Negotiated use_srtp profile (DTLS_SRTP_*), 0 if none or not yet connected. */
uint16_t dtls_srtp_profile(const struct dtls *d);
/* mbedTLS's name of the negotiated cipher suite (e.g.
 * "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"), "" before the handshake completes. */
const char *dtls_cipher_suite(const struct dtls *d);
/* True once connected with an AES-GCM suite: application data is sealed and
 * opened by dtls_seal instead of mbedTLS's record layer (same records on the
 * wire; mbedTLS still handles every other record). */
bool dtls_sealed_writes(const struct dtls *d);
/* Application-data records dtls_seal dropped: tag mismatch, replayed or
 * older than the 64-record window, malformed. */
uint64_t dtls_records_dropped(const struct dtls *d);
const char *dtls_close_reason_str(int reason);

#endif
