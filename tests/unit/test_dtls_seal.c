/* Unit tests of transport/dtls_seal: record layout; records sealed here
 * open with mbedTLS's AES-GCM (an independent implementation) under the
 * nonce and additional data DTLS 1.2 defines, and records sealed by mbedTLS
 * open here; tampering, malformed records and the replay window.  The
 * interop with mbedTLS's record layer is tested in test_dtls.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/gcm.h>

#include "common/err.h"
#include "transport/dtls_seal.h"

static const uint8_t KEY[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t IV[4] = {0xa0, 0xa1, 0xa2, 0xa3};
static const uint8_t CTR[8] = {0, 1, 0, 0, 0, 0, 0x12, 0x34};

/* Opens rec with mbedTLS's GCM as the receiver would; returns the
 * plaintext length or -1. */
static int open_record(const uint8_t *rec, size_t n, uint8_t *out)
{
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, KEY, 128), 0);
    size_t body = (size_t)rec[11] << 8 | rec[12];
    assert_int_equal(body + 13, n);
    size_t len = body - 8 - 16;
    uint8_t nonce[12], aad[13];
    memcpy(nonce, IV, 4);
    memcpy(nonce + 4, rec + 13, 8);
    memcpy(aad, rec + 3, 8);
    aad[8] = rec[0];
    aad[9] = rec[1];
    aad[10] = rec[2];
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    int r = mbedtls_gcm_auth_decrypt(&g, len, nonce, 12, aad, 13, rec + 13 + 8 + len, 16,
                                     rec + 21, out);
    mbedtls_gcm_free(&g);
    return r == 0 ? (int)len : -1;
}

static void test_seal_and_open(void **state)
{
    (void)state;
    struct dtls_seal s;
    dtls_seal_init(&s);
    uint8_t rec[256], pt[256];
    assert_int_equal(dtls_seal_record(&s, CTR, 23, (const uint8_t *)"x", 1, rec), 0);
    assert_int_equal(dtls_seal_setkey(&s, KEY, 15, IV), DC_EINVAL);
    assert_int_equal(dtls_seal_setkey(&s, KEY, 16, IV), 0);
    const char *msg = "a DataPacket on its way";
    size_t n = dtls_seal_record(&s, CTR, 23, (const uint8_t *)msg, strlen(msg), rec);
    assert_int_equal(n, strlen(msg) + DTLS_SEAL_OVERHEAD);
    const uint8_t hdr[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0x12, 0x34};
    assert_memory_equal(rec, hdr, sizeof hdr);
    assert_memory_equal(rec + 13, CTR, 8); /* explicit nonce = epoch and sequence */
    assert_int_equal(open_record(rec, n, pt), (int)strlen(msg));
    assert_memory_equal(pt, msg, strlen(msg));
    /* any change is caught */
    rec[n - 1] ^= 1;
    assert_int_equal(open_record(rec, n, pt), -1);
    rec[n - 1] ^= 1;
    rec[10] ^= 1; /* sequence number in the header (additional data) */
    assert_int_equal(open_record(rec, n, pt), -1);
    /* empty records and the size limit */
    assert_int_equal(dtls_seal_record(&s, CTR, 23, NULL, 0, rec), DTLS_SEAL_OVERHEAD);
    static uint8_t big[16385 + DTLS_SEAL_OVERHEAD];
    assert_int_equal(dtls_seal_record(&s, CTR, 23, big, 16385, big), 0);
    dtls_seal_free(&s);
    assert_int_equal(dtls_seal_record(&s, CTR, 23, (const uint8_t *)"x", 1, rec), 0);
}

/* Seals a record with mbedTLS's GCM under key (key_bits) and IV. */
static size_t mbedtls_seal(const uint8_t *key, unsigned key_bits, const uint8_t ctr[8],
                           const uint8_t *in, size_t len, uint8_t *rec)
{
    mbedtls_gcm_context g;
    mbedtls_gcm_init(&g);
    assert_int_equal(mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, key_bits), 0);
    size_t body = 8 + len + 16;
    rec[0] = 23, rec[1] = 0xfe, rec[2] = 0xfd;
    memcpy(rec + 3, ctr, 8);
    rec[11] = (uint8_t)(body >> 8), rec[12] = (uint8_t)body;
    memcpy(rec + 13, ctr, 8);
    uint8_t nonce[12], aad[13];
    memcpy(nonce, IV, 4);
    memcpy(nonce + 4, ctr, 8);
    memcpy(aad, rec + 3, 8);
    memcpy(aad + 8, rec, 3);
    aad[11] = (uint8_t)(len >> 8), aad[12] = (uint8_t)len;
    assert_int_equal(mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, len, nonce, 12, aad, 13,
                                               in, rec + 21, 16, rec + 21 + len),
                     0);
    mbedtls_gcm_free(&g);
    return 13 + body;
}

static void open_from_mbedtls(size_t key_len)
{
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 13 + 1);
    struct dtls_seal s;
    dtls_seal_init(&s);
    uint8_t in[1500], rec[1600], out[1600];
    assert_int_equal(dtls_seal_open(&s, rec, 100, out), DC_EINVAL); /* no key yet */
    assert_int_equal(dtls_seal_setkey(&s, key, key_len, IV), 0);
    for (size_t len = 0; len < sizeof in; len += 97) {
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)(i ^ len);
        size_t n = mbedtls_seal(key, (unsigned)key_len * 8, CTR, in, len, rec);
        assert_int_equal(dtls_seal_open(&s, rec, n, out), (int)len);
        assert_memory_equal(out, in, len);
        /* and what we seal, mbedTLS's GCM produced byte for byte */
        uint8_t again[1600];
        assert_int_equal(dtls_seal_record(&s, CTR, 23, in, len, again), n);
        assert_memory_equal(again, rec, n);
        /* a flipped bit anywhere authenticated is refused */
        for (size_t at = 3; at < n; at += 7) {
            rec[at] ^= 0x40;
            int r = dtls_seal_open(&s, rec, n, out);
            assert_true(r == DC_EAUTH || (at >= 11 && at < 13 && r == DC_EPROTO));
            rec[at] ^= 0x40;
        }
    }
    /* malformed: short, wrong version, length not matching the record */
    size_t n = mbedtls_seal(key, (unsigned)key_len * 8, CTR, in, 10, rec);
    assert_int_equal(dtls_seal_open(&s, rec, 36, out), DC_EPROTO);
    assert_int_equal(dtls_seal_open(&s, rec, n - 1, out), DC_EPROTO);
    rec[2] = 0xff;
    assert_int_equal(dtls_seal_open(&s, rec, n, out), DC_EPROTO);
    dtls_seal_free(&s);
}

static void test_open_aes128(void **state)
{
    (void)state;
    open_from_mbedtls(16);
}

static void test_open_aes256(void **state)
{
    (void)state;
    open_from_mbedtls(32);
}

static void test_replay_window(void **state)
{
    (void)state;
    struct dtls_replay r = {0};
    const uint8_t ctr[8] = {0, 1, 0, 0, 1, 2, 3, 4};
    assert_true(dtls_replay_seq(ctr) == 0x01020304u);
    assert_true(dtls_replay_fresh(&r, 0));
    dtls_replay_accept(&r, 100);
    assert_false(dtls_replay_fresh(&r, 100));
    assert_true(dtls_replay_fresh(&r, 99));  /* late but inside the window */
    assert_true(dtls_replay_fresh(&r, 37));  /* the oldest the window holds */
    assert_false(dtls_replay_fresh(&r, 36)); /* older than the window */
    dtls_replay_accept(&r, 99);
    assert_false(dtls_replay_fresh(&r, 99));
    dtls_replay_accept(&r, 105);
    assert_false(dtls_replay_fresh(&r, 100));
    assert_false(dtls_replay_fresh(&r, 99));
    assert_true(dtls_replay_fresh(&r, 104));
    assert_true(dtls_replay_fresh(&r, 101));
    dtls_replay_accept(&r, 1000); /* a jump past the window forgets the rest */
    assert_false(dtls_replay_fresh(&r, 1000));
    assert_false(dtls_replay_fresh(&r, 105));
    assert_true(dtls_replay_fresh(&r, 999));
    assert_true(dtls_replay_fresh(&r, 0xffffffffffffu));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_and_open),
        cmocka_unit_test(test_open_aes128),
        cmocka_unit_test(test_open_aes256),
        cmocka_unit_test(test_replay_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
