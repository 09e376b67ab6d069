/* dtls_seal.c: AES-GCM DTLS 1.2 record sealing (see dtls_seal.h). */
#include "transport/dtls_seal.h"

#include <string.h>

#include "common/err.h"

#define HDR 13
#define EXPLICIT 8
#define TAG 16
#define MAX_PLAINTEXT 16384

void dtls_seal_init(struct dtls_seal *s)
{
    memset(s, 0, sizeof *s);
    mbedtls_gcm_init(&s->gcm);
}

int dtls_seal_setkey(struct dtls_seal *s, const uint8_t *key, size_t key_len,
                     const uint8_t implicit_iv[DTLS_SEAL_IMPLICIT_IV])
{
    s->ready = false;
    if (!key || (key_len != 16 && key_len != 32) || !implicit_iv)
        return DC_EINVAL;
    if (mbedtls_gcm_setkey(&s->gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned)(key_len * 8)) != 0)
        return DC_EINVAL;
    memcpy(s->implicit_iv, implicit_iv, DTLS_SEAL_IMPLICIT_IV);
    s->ready = true;
    return 0;
}

size_t dtls_seal_record(struct dtls_seal *s, const uint8_t ctr[8], uint8_t type,
                        const uint8_t *in, size_t len, uint8_t *out)
{
    if (!s->ready || len > MAX_PLAINTEXT || (!in && len))
        return 0;
    size_t body = EXPLICIT + len + TAG;
    out[0] = type;
    out[1] = 0xfe; /* DTLS 1.2 */
    out[2] = 0xfd;
    memcpy(out + 3, ctr, 8);
    out[11] = (uint8_t)(body >> 8);
    out[12] = (uint8_t)body;
    memcpy(out + HDR, ctr, EXPLICIT);

    uint8_t nonce[DTLS_SEAL_IMPLICIT_IV + EXPLICIT];
    memcpy(nonce, s->implicit_iv, DTLS_SEAL_IMPLICIT_IV);
    memcpy(nonce + DTLS_SEAL_IMPLICIT_IV, ctr, EXPLICIT);
    uint8_t aad[13];
    memcpy(aad, ctr, 8);
    aad[8] = type;
    aad[9] = 0xfe;
    aad[10] = 0xfd;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    uint8_t *ct = out + HDR + EXPLICIT;
    if (mbedtls_gcm_crypt_and_tag(&s->gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, sizeof nonce, aad,
                                  sizeof aad, in, ct, TAG, ct + len) != 0)
        return 0;
    return HDR + body;
}

void dtls_seal_free(struct dtls_seal *s)
{
    mbedtls_gcm_free(&s->gcm);
    memset(s->implicit_iv, 0, sizeof s->implicit_iv);
    s->ready = false;
}
