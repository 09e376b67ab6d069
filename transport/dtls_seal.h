/* dtls_seal.h: DTLS 1.2 record protection for AES-GCM (RFC 5288, RFC 6347).
 *
 * Seals one record with the keys of an established session, without going
 * through mbedTLS's record layer: the data plane's path for application
 * data, where mbedTLS's general write path costs several times the cipher
 * itself.  The nonce is the 4-byte implicit IV followed by the record's
 * epoch and sequence number (which is also the explicit nonce sent in the
 * record), the additional data is epoch, sequence, type, version and
 * plaintext length, as mbedTLS and other DTLS stacks build them.  The caller
 * owns the record counter and must never seal twice with the same one.
 *
 * No I/O, no allocation; keys are wiped by dtls_seal_free. */
#ifndef DC_DTLS_SEAL_H
#define DC_DTLS_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/gcm.h>

/* Record header (13) + explicit nonce (8) + tag (16). */
#define DTLS_SEAL_OVERHEAD 37
#define DTLS_SEAL_IMPLICIT_IV 4

struct dtls_seal {
    mbedtls_gcm_context gcm;
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
 * len exceeds a record's 16 KiB. */
size_t dtls_seal_record(struct dtls_seal *s, const uint8_t ctr[8], uint8_t type,
                        const uint8_t *in, size_t len, uint8_t *out);
void dtls_seal_free(struct dtls_seal *s);

#endif
