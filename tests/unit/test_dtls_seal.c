/* Unit tests of transport/dtls_seal: record layout, and that the record
 * opens with AES-GCM under the nonce and additional data DTLS 1.2 defines
 * (the interop with mbedTLS's record layer is tested in test_dtls.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "transport/dtls_seal.h"

static const uint8_t KEY[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t IV[4] = {0xa0, 0xa1, 0xa2, 0xa3};
static const uint8_t CTR[8] = {0, 1, 0, 0, 0, 0, 0x12, 0x34};

/* Opens rec as the receiver would; returns the plaintext length or -1. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_and_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
