/* cert.c: self-signed ECDSA P-256 certificate and its SDP fingerprint. */
#include "transport/cert.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/dep_mbedtls.h"

#define CERT_CN "CN=dcsfu"
#define CERT_BACKDATE_S (24 * 3600)
#define CERT_LIFETIME_S (30 * 24 * 3600)
#define CERT_DER_MAX 1024 /* a P-256 certificate with a short name is ~400 bytes */

struct cert {
    mbedtls_pk_context key;
    mbedtls_x509_crt crt;
    uint8_t *der;
    size_t der_len;
    uint8_t fp[CERT_FP_LEN];
    char fp_str[CERT_FP_STR_LEN + 1];
};

/* Formats unix seconds as mbedTLS's validity string "YYYYMMDDhhmmss". */
static int format_x509_time(int64_t t, char out[15])
{
    /* X.509 times between 1950 and 9999 are representable; keep to 1970+. */
    if (t < 0 || t > 253402300799LL)
        return DC_EINVAL;
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return DC_EINVAL;
    if (strftime(out, 15, "%Y%m%d%H%M%S", &tm) != 14)
        return DC_EINVAL;
    return 0;
}

static int gen_key(struct cert *c)
{
    int ret = mbedtls_pk_setup(&c->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (ret == 0)
        ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(c->key),
                                  dep_mbedtls_rng, NULL);
    return ret;
}

/* A random positive serial of 16 bytes (RFC 5280: at most 20 octets, > 0). */
static int set_serial(mbedtls_x509write_cert *w)
{
    uint8_t raw[16];
    int ret = dep_mbedtls_rng(NULL, raw, sizeof raw);
    if (ret != 0)
        return ret;
    raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40); /* positive and never zero */
    mbedtls_mpi serial;
    mbedtls_mpi_init(&serial);
    ret = mbedtls_mpi_read_binary(&serial, raw, sizeof raw);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_serial(w, &serial);
    mbedtls_mpi_free(&serial);
    return ret;
}

/* Builds the self-signed certificate into c->der. */
static int write_crt(struct cert *c, const char *not_before, const char *not_after)
{
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &c->key);
    mbedtls_x509write_crt_set_issuer_key(&w, &c->key);
    int ret = mbedtls_x509write_crt_set_subject_name(&w, CERT_CN);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_issuer_name(&w, CERT_CN);
    if (ret == 0)
        ret = set_serial(&w);
    if (ret == 0)
        ret = mbedtls_x509write_crt_set_validity(&w, not_before, not_after);
    uint8_t buf[CERT_DER_MAX];
    if (ret == 0) /* the DER is written at the end of buf; returns its length */
        ret = mbedtls_x509write_crt_der(&w, buf, sizeof buf, dep_mbedtls_rng, NULL);
    mbedtls_x509write_crt_free(&w);
    if (ret <= 0)
        return ret < 0 ? ret : -1;
    c->der_len = (size_t)ret;
    c->der = util_malloc(c->der_len);
    memcpy(c->der, buf + sizeof buf - c->der_len, c->der_len);
    return 0;
}

int cert_new(struct cert **out, int64_t now_unix_s)
{
    if (!out)
        return DC_EINVAL;
    *out = NULL;
    char nb[15], na[15];
    if (now_unix_s < CERT_BACKDATE_S || format_x509_time(now_unix_s - CERT_BACKDATE_S, nb) ||
        format_x509_time(now_unix_s + CERT_LIFETIME_S, na))
        return DC_EINVAL;

    struct cert *c = util_calloc(1, sizeof *c);
    mbedtls_pk_init(&c->key);
    mbedtls_x509_crt_init(&c->crt);
    int ret = gen_key(c);
    if (ret == 0)
        ret = write_crt(c, nb, na);
    if (ret == 0)
        ret = mbedtls_x509_crt_parse_der(&c->crt, c->der, c->der_len);
    if (ret == 0)
        ret = mbedtls_sha256_ret(c->der, c->der_len, c->fp, 0);
    if (ret != 0) {
        char msg[128];
        LOGE("cert", "certificate generation failed", "err=%d detail=\"%s\"", ret,
             dep_mbedtls_strerror(ret, msg, sizeof msg));
        cert_free(c);
        return DC_EIO;
    }
    cert_fingerprint_format(c->fp, c->fp_str);
    *out = c;
    return 0;
}

void cert_free(struct cert *c)
{
    if (!c)
        return;
    mbedtls_x509_crt_free(&c->crt);
    mbedtls_pk_free(&c->key);
    free(c->der);
    free(c);
}

const char *cert_fingerprint(const struct cert *c)
{
    return c->fp_str;
}

const uint8_t *cert_fingerprint_raw(const struct cert *c)
{
    return c->fp;
}

const uint8_t *cert_der(const struct cert *c, size_t *len)
{
    if (len)
        *len = c->der_len;
    return c->der;
}

void cert_fingerprint_format(const uint8_t fp[CERT_FP_LEN], char out[CERT_FP_STR_LEN + 1])
{
    static const char hex[] = "0123456789ABCDEF";
    char *p = out;
    for (size_t i = 0; i < CERT_FP_LEN; i++) {
        if (i)
            *p++ = ':';
        *p++ = hex[fp[i] >> 4];
        *p++ = hex[fp[i] & 15];
    }
    *p = '\0';
}

int cert_fingerprint_parse(const char *s, uint8_t out[CERT_FP_LEN])
{
    if (!s || !out)
        return DC_EINVAL;
    while (*s == ' ' || *s == '\t')
        s++;
    for (size_t i = 0; i < CERT_FP_LEN; i++) {
        if (i && *s++ != ':')
            return DC_EINVAL;
        int hi = util_hexval(s[0]), lo = hi < 0 ? -1 : util_hexval(s[1]);
        if (hi < 0 || lo < 0)
            return DC_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' ? 0 : DC_EINVAL;
}

struct mbedtls_x509_crt *cert_mbedtls_crt(const struct cert *c)
{
    return (struct mbedtls_x509_crt *)&c->crt;
}

struct mbedtls_pk_context *cert_mbedtls_key(const struct cert *c)
{
    return (struct mbedtls_pk_context *)&c->key;
}
