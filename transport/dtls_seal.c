/* dtls_seal.c: AES-GCM DTLS 1.2 record sealing and opening (see dtls_seal.h). */
#include "transport/dtls_seal.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "common/err.h"
#include "common/util.h"

#define HDR 13
#define EXPLICIT 8
#define TAG 16
#define NONCE (DTLS_SEAL_IMPLICIT_IV + EXPLICIT)
#define WINDOW 64

void dtls_seal_init(struct dtls_seal *s)
{
    memset(s, 0, sizeof *s);
}

int dtls_seal_setkey(struct dtls_seal *s, const uint8_t *key, size_t key_len,
                     const uint8_t implicit_iv[DTLS_SEAL_IMPLICIT_IV])
{
    s->ready = false;
    if (!key || (key_len != 16 && key_len != 32) || !implicit_iv)
        return DC_EINVAL;
    if (key_len == 16)
        gcm_aes128_set_key(&s->gcm.a128, key);
    else
        gcm_aes256_set_key(&s->gcm.a256, key);
    s->key_len = key_len;
    memcpy(s->implicit_iv, implicit_iv, DTLS_SEAL_IMPLICIT_IV);
    s->ready = true;
    return 0;
}

/* Sets the nonce from the explicit part and feeds the additional data of a
 * record of `type` with `len` bytes of plaintext under `ctr`. */
static void begin(struct dtls_seal *s, const uint8_t explicit_nonce[EXPLICIT], const uint8_t ctr[8],
                  uint8_t type, size_t len)
{
    uint8_t nonce[NONCE], aad[HDR];
    memcpy(nonce, s->implicit_iv, DTLS_SEAL_IMPLICIT_IV);
    memcpy(nonce + DTLS_SEAL_IMPLICIT_IV, explicit_nonce, EXPLICIT);
    memcpy(aad, ctr, 8);
    aad[8] = type;
    aad[9] = 0xfe; /* DTLS 1.2 */
    aad[10] = 0xfd;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    if (s->key_len == 16) {
        gcm_aes128_set_iv(&s->gcm.a128, NONCE, nonce);
        gcm_aes128_update(&s->gcm.a128, HDR, aad);
    } else {
        gcm_aes256_set_iv(&s->gcm.a256, NONCE, nonce);
        gcm_aes256_update(&s->gcm.a256, HDR, aad);
    }
}

static void crypt(struct dtls_seal *s, bool enc, const uint8_t *in, size_t len, uint8_t *out)
{
    if (s->key_len == 16) {
        if (enc)
            gcm_aes128_encrypt(&s->gcm.a128, len, out, in);
        else
            gcm_aes128_decrypt(&s->gcm.a128, len, out, in);
    } else {
        if (enc)
            gcm_aes256_encrypt(&s->gcm.a256, len, out, in);
        else
            gcm_aes256_decrypt(&s->gcm.a256, len, out, in);
    }
}

static void digest(struct dtls_seal *s, uint8_t tag[TAG])
{
    if (s->key_len == 16)
        gcm_aes128_digest(&s->gcm.a128, TAG, tag);
    else
        gcm_aes256_digest(&s->gcm.a256, TAG, tag);
}

size_t dtls_seal_record(struct dtls_seal *s, const uint8_t ctr[8], uint8_t type,
                        const uint8_t *in, size_t len, uint8_t *out)
{
    if (!s->ready || len > DTLS_SEAL_MAX_PLAINTEXT || (!in && len))
        return 0;
    size_t body = EXPLICIT + len + TAG;
    out[0] = type;
    out[1] = 0xfe;
    out[2] = 0xfd;
    memcpy(out + 3, ctr, 8);
    out[11] = (uint8_t)(body >> 8);
    out[12] = (uint8_t)body;
    memcpy(out + HDR, ctr, EXPLICIT);
    uint8_t *ct = out + HDR + EXPLICIT;
    begin(s, ctr, ctr, type, len);
    if (len)
        crypt(s, true, in, len, ct);
    digest(s, ct + len);
    return HDR + body;
}

int dtls_seal_open(struct dtls_seal *s, const uint8_t *rec, size_t rec_len, uint8_t *out)
{
    if (!s->ready)
        return DC_EINVAL;
    if (rec_len < DTLS_SEAL_OVERHEAD || rec[1] != 0xfe || rec[2] != 0xfd ||
        ((size_t)rec[11] << 8 | rec[12]) != rec_len - HDR)
        return DC_EPROTO;
    size_t len = rec_len - DTLS_SEAL_OVERHEAD;
    if (len > DTLS_SEAL_MAX_PLAINTEXT)
        return DC_EPROTO;
    /* The nonce's explicit part is the record's own (RFC 5288 lets the
     * sender choose it; every stack sends epoch and sequence). */
    begin(s, rec + HDR, rec + 3, rec[0], len);
    const uint8_t *ct = rec + HDR + EXPLICIT;
    if (len)
        crypt(s, false, ct, len, out);
    uint8_t tag[TAG];
    digest(s, tag);
    return util_ct_equal(tag, ct + len, TAG) ? (int)len : DC_EAUTH;
}

void dtls_seal_free(struct dtls_seal *s)
{
    mbedtls_platform_zeroize(s, sizeof *s);
}

uint64_t dtls_replay_seq(const uint8_t ctr[8])
{
    uint64_t v = 0;
    for (int i = 2; i < 8; i++)
        v = v << 8 | ctr[i];
    return v;
}

bool dtls_replay_fresh(const struct dtls_replay *r, uint64_t seq)
{
    if (!r->any || seq > r->top)
        return true;
    uint64_t back = r->top - seq;
    return back < WINDOW && !(r->bits >> back & 1);
}

void dtls_replay_accept(struct dtls_replay *r, uint64_t seq)
{
    if (!r->any) {
        r->any = true;
        r->top = seq;
        r->bits = 1;
    } else if (seq > r->top) {
        uint64_t shift = seq - r->top;
        r->bits = shift >= WINDOW ? 1 : r->bits << shift | 1;
        r->top = seq;
    } else if (r->top - seq < WINDOW) {
        r->bits |= (uint64_t)1 << (r->top - seq);
    }
}
