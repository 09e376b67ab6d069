/* Unit tests for transport/cert: the self-signed certificate and its fingerprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "transport/cert.h"

#define NOW 1700000000LL /* 2023-11-14T22:13:20Z */

static void test_fingerprint_format(void **state)
{
    (void)state;
    struct cert *c = NULL;
    assert_int_equal(cert_new(&c, NOW), 0);
    assert_non_null(c);
    const char *fp = cert_fingerprint(c);
    assert_int_equal(strlen(fp), 95);
    assert_int_equal(CERT_FP_STR_LEN, 95);
    for (size_t i = 0; i < 95; i++) {
        if (i % 3 == 2)
            assert_int_equal(fp[i], ':');
        else
            assert_true((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
    }
    cert_free(c);
}

static void test_fingerprint_is_sha256_of_der(void **state)
{
    (void)state;
    struct cert *c = NULL;
    assert_int_equal(cert_new(&c, NOW), 0);
    size_t len = 0;
    const uint8_t *der = cert_der(c, &len);
    assert_non_null(der);
    assert_true(len > 200 && len < 1024);
    uint8_t want[32];
    assert_int_equal(mbedtls_sha256_ret(der, len, want, 0), 0);
    assert_memory_equal(cert_fingerprint_raw(c), want, 32);

    char s[CERT_FP_STR_LEN + 1];
    cert_fingerprint_format(want, s);
    assert_string_equal(s, cert_fingerprint(c));
    /* the parsed certificate is the same bytes */
    const mbedtls_x509_crt *crt = cert_mbedtls_crt(c);
    assert_int_equal(crt->raw.len, len);
    assert_memory_equal(crt->raw.p, der, len);
    cert_free(c);
}

static void test_certificate_contents(void **state)
{
    (void)state;
    struct cert *c = NULL;
    assert_int_equal(cert_new(&c, NOW), 0);
    size_t len;
    const uint8_t *der = cert_der(c, &len);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    assert_int_equal(mbedtls_x509_crt_parse_der(&crt, der, len), 0);

    assert_int_equal(crt.version, 3);
    char name[64];
    assert_true(mbedtls_x509_dn_gets(name, sizeof name, &crt.subject) > 0);
    assert_string_equal(name, "CN=dcsfu");
    assert_true(mbedtls_x509_dn_gets(name, sizeof name, &crt.issuer) > 0);
    assert_string_equal(name, "CN=dcsfu");
    /* NOW - 1 day = 2023-11-13 22:13:20, NOW + 30 days = 2023-12-14 22:13:20 */
    assert_int_equal(crt.valid_from.year, 2023);
    assert_int_equal(crt.valid_from.mon, 11);
    assert_int_equal(crt.valid_from.day, 13);
    assert_int_equal(crt.valid_from.hour, 22);
    assert_int_equal(crt.valid_from.min, 13);
    assert_int_equal(crt.valid_to.year, 2023);
    assert_int_equal(crt.valid_to.mon, 12);
    assert_int_equal(crt.valid_to.day, 14);
    /* serial: positive, 16 bytes */
    assert_true(crt.serial.len == 16);
    assert_true((crt.serial.p[0] & 0x80) == 0);
    /* ECDSA P-256 key, ecdsa-with-SHA256 signature */
    assert_true(mbedtls_pk_can_do(&crt.pk, MBEDTLS_PK_ECKEY));
    assert_int_equal(mbedtls_pk_ec(crt.pk)->grp.id, MBEDTLS_ECP_DP_SECP256R1);
    assert_int_equal(crt.sig_md, MBEDTLS_MD_SHA256);
    assert_int_equal(crt.sig_pk, MBEDTLS_PK_ECDSA);
    /* self-signed: the signature over the TBS part verifies with its own key */
    uint8_t h[32];
    assert_int_equal(mbedtls_sha256_ret(crt.tbs.p, crt.tbs.len, h, 0), 0);
    assert_int_equal(mbedtls_pk_verify(&crt.pk, MBEDTLS_MD_SHA256, h, 32, crt.sig.p, crt.sig.len), 0);
    /* the private key belongs to the certificate */
    assert_int_equal(mbedtls_pk_check_pair(&crt.pk, cert_mbedtls_key(c)), 0);
    mbedtls_x509_crt_free(&crt);
    cert_free(c);
}

static void test_two_certs_differ(void **state)
{
    (void)state;
    struct cert *a = NULL, *b = NULL;
    assert_int_equal(cert_new(&a, NOW), 0);
    assert_int_equal(cert_new(&b, NOW), 0);
    assert_string_not_equal(cert_fingerprint(a), cert_fingerprint(b));
    const mbedtls_x509_crt *ca = cert_mbedtls_crt(a), *cb = cert_mbedtls_crt(b);
    assert_false(ca->serial.len == cb->serial.len &&
                 memcmp(ca->serial.p, cb->serial.p, ca->serial.len) == 0);
    cert_free(a);
    cert_free(b);
}

static void test_bad_time(void **state)
{
    (void)state;
    struct cert *c = (struct cert *)1;
    assert_int_equal(cert_new(&c, -5), DC_EINVAL);
    assert_null(c);
    assert_int_equal(cert_new(&c, 0), DC_EINVAL); /* now - 1 day is before 1970 */
    assert_int_equal(cert_new(&c, 253402300799LL), DC_EINVAL); /* past 9999 */
    assert_int_equal(cert_new(NULL, NOW), DC_EINVAL);
    cert_free(NULL);
}

static void test_fingerprint_parse(void **state)
{
    (void)state;
    struct cert *c = NULL;
    assert_int_equal(cert_new(&c, NOW), 0);
    uint8_t fp[32];
    assert_int_equal(cert_fingerprint_parse(cert_fingerprint(c), fp), 0);
    assert_memory_equal(fp, cert_fingerprint_raw(c), 32);

    /* lowercase and surrounding blanks, as some SDPs have them */
    char buf[128];
    snprintf(buf, sizeof buf, " \t%s \r\n", cert_fingerprint(c));
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    memset(fp, 0, sizeof fp);
    assert_int_equal(cert_fingerprint_parse(buf, fp), 0);
    assert_memory_equal(fp, cert_fingerprint_raw(c), 32);

    /* malformed */
    strcpy(buf, cert_fingerprint(c));
    buf[94] = '\0'; /* one hex digit short */
    assert_int_equal(cert_fingerprint_parse(buf, fp), DC_EINVAL);
    strcpy(buf, cert_fingerprint(c));
    buf[2] = '-';
    assert_int_equal(cert_fingerprint_parse(buf, fp), DC_EINVAL);
    strcpy(buf, cert_fingerprint(c));
    buf[0] = 'G';
    assert_int_equal(cert_fingerprint_parse(buf, fp), DC_EINVAL);
    snprintf(buf, sizeof buf, "%s:AB", cert_fingerprint(c)); /* 33 bytes: sha-384 length */
    assert_int_equal(cert_fingerprint_parse(buf, fp), DC_EINVAL);
    assert_int_equal(cert_fingerprint_parse("", fp), DC_EINVAL);
    assert_int_equal(cert_fingerprint_parse("AB", fp), DC_EINVAL);
    assert_int_equal(cert_fingerprint_parse(NULL, fp), DC_EINVAL);
    cert_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_format),
        cmocka_unit_test(test_fingerprint_is_sha256_of_der),
        cmocka_unit_test(test_certificate_contents),
        cmocka_unit_test(test_two_certs_differ),
        cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_fingerprint_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
