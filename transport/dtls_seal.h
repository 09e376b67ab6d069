/* dtls_seal.h: DTLS 1.2 record protection for AES-GCM (RFC 5288, RFC 6347).
 *
 * Seals and opens application-data records with the keys of an established
 * session, without going through mbedTLS's record layer: the data plane's
 * path, where mbedTLS's general record code and its block-at-a-time GCM
 * cost several times what the cipher needs.  The cipher is Nettle's AES-GCM
 * (AES-NI and carry-less multiplication where the CPU has them).  The nonce
 * is the 4-byte implicit IV followed by the record's epoch and sequence
 * number (also the explicit nonce carried in the record); the additional
 * data is epoch, sequence, type, version and plaintext length.
 *
 * A struct dtls_seal holds one direction's key.  The sealing caller owns
 * the record counter and must never seal twice with the same one; the
 * opening caller checks replays with struct dtls_replay (a 64-record
 * sliding window, RFC 6347 4.1.2.6) and updates it only for records that
 * opened.  No I/O, no allocation; keys are wiped by dtls_seal_free. */
#ifndef DC_DTLS_SEAL_H
#define DC_DTLS_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/gcm.h>

/* Record header (13) + explicit nonce (8) + tag (16). */
#define DTLS_SEAL_OVERHEAD 37
#define DTLS_SEAL_IMPLICIT_IV 4
#define DTLS_SEAL_MAX_PLAINTEXT 16384

struct dtls_seal {
    union {
        struct gcm_aes128_ctx a128;
        struct gcm_aes256_ctx a256;
    } gcm;
    size_t key_len; /* 16 or 32 once ready */
    uint8_t implicit_iv[DTLS_SEAL_IMPLICIT_IV];
    bool ready;
};

void dtls_seal_init(struct dtls_seal *s);
/* AES-128 or AES-256 (key_len 16 or 32).  0 or DC_EINVAL. */
int dtls_seal_setkey(struct dtls_seal *s, const uint8_t *key, size_t key_len,
                     const uint8_t implicit_iv[DTLS_SEAL_IMPLICIT_IV]);
/* Writes the record of `type` carrying `in` into out (room for len +
 * DTLS_SEAL_OVERHEAD bytes) under `ctr` (epoch, then 48-bit sequence
 * number, big-endian).  Returns the record's length, or 0 if not ready or
 * len exceeds DTLS_SEAL_MAX_PLAINTEXT. */
size_t dtls_seal_record(struct dtls_seal *s, const uint8_t ctr[8], uint8_t type,
                        const uint8_t *in, size_t len, uint8_t *out);
/* Opens the one record rec[0..rec_len) (header included, nothing after
 * it): checks the version and length, decrypts into out (room for
 * rec_len - DTLS_SEAL_OVERHEAD bytes) and checks the tag in constant time.
 * Returns the plaintext length, DC_EPROTO for a malformed record, DC_EAUTH
 * when the tag does not match (out then holds garbage), DC_EINVAL if not
 * ready. */
int dtls_seal_open(struct dtls_seal *s, const uint8_t *rec, size_t rec_len, uint8_t *out);
void dtls_seal_free(struct dtls_seal *s);

/* Anti-replay window over 48-bit sequence numbers of one epoch. */
struct dtls_replay {
    uint64_t top;  /* highest sequence number accepted */
    uint64_t bits; /* bit i: top - i was accepted */
    bool any;
};

/* The record's 48-bit sequence number, from the 8-byte epoch+sequence. */
uint64_t dtls_replay_seq(const uint8_t ctr[8]);
/* true when seq is new and not older than the window. */
bool dtls_replay_fresh(const struct dtls_replay *r, uint64_t seq);
/* Marks seq accepted (call after the record opened). */
void dtls_replay_accept(struct dtls_replay *r, uint64_t seq);

#endif
