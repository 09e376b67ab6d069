/* tls_stream.c: TLS 1.2 server sessions on mbedTLS 2.28 with memory buffers. */
#include "signaling/tls_stream.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "common/tls_params.h"
#include "common/util.h"

#define PEM_MAX (1u << 20)

struct tls_creds {
    int refs;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ssl_config conf;
    int64_t not_after;
    char subject[256];
};

struct tls_stream {
    mbedtls_ssl_context ssl;
    struct tls_creds *creds;
    struct tls_stream_callbacks cb;
    void *ctx;
    const uint8_t *in; /* ciphertext being fed, not yet handed to mbedTLS */
    size_t in_len;
    int result;        /* sticky: DC_EPROTO or DC_ECLOSED once the stream ended */
    enum tls_failure failure;
    bool established;
    bool closed;       /* close_notify sent (or the stream was closed before it could be) */
    bool got_input;
    char error[128];
};

/* One decrypted record at a time for every stream: dcsfu runs one thread and
 * on_data never leads to another stream being fed. */
static unsigned char plain_buf[MBEDTLS_SSL_IN_CONTENT_LEN];

static int rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    util_random_bytes(out, len);
    return 0;
}

/* ---------- credentials ---------- */

static int creds_fail(char *err, size_t errlen, const char *what, int ret)
{
    char detail[128];
    mbedtls_strerror(ret, detail, sizeof detail);
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, detail);
    return DC_ECONFIG;
}

/* mbedTLS wants PEM NUL-terminated, with the NUL counted in the length. */
static unsigned char *nul_copy(const char *s, size_t len)
{
    unsigned char *b = util_malloc(len + 1);
    memcpy(b, s, len);
    b[len] = '\0';
    return b;
}

static int64_t x509_time_unix(const mbedtls_x509_time *t)
{
    struct tm tm = {
        .tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
        .tm_hour = t->hour,        .tm_min = t->min,     .tm_sec = t->sec,
    };
    return (int64_t)timegm(&tm);
}

static int creds_parse(struct tls_creds *c, const char *cert_pem, size_t cert_len, const char *key_pem,
                       size_t key_len, char *err, size_t errlen)
{
    unsigned char *buf = nul_copy(cert_pem, cert_len);
    int ret = mbedtls_x509_crt_parse(&c->chain, buf, cert_len + 1);
    free(buf);
    if (ret < 0)
        return creds_fail(err, errlen, "certificate", ret);
    if (ret > 0 && c->chain.raw.p == NULL)
        return creds_fail(err, errlen, "certificate", MBEDTLS_ERR_X509_INVALID_FORMAT);
    buf = nul_copy(key_pem, key_len);
    ret = mbedtls_pk_parse_key(&c->key, buf, key_len + 1, NULL, 0);
    mbedtls_platform_zeroize(buf, key_len + 1);
    free(buf);
    if (ret == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
        if (err && errlen)
            snprintf(err, errlen, "private key: encrypted keys are not supported");
        return DC_ECONFIG;
    }
    if (ret != 0)
        return creds_fail(err, errlen, "private key", ret);
    ret = mbedtls_pk_check_pair(&c->chain.pk, &c->key);
    if (ret != 0) {
        if (err && errlen)
            snprintf(err, errlen, "private key does not match the first certificate");
        return DC_ECONFIG;
    }
    c->not_after = x509_time_unix(&c->chain.valid_to);
    if (mbedtls_x509_dn_gets(c->subject, sizeof c->subject, &c->chain.subject) < 0)
        c->subject[0] = '\0';
    return 0;
}

static int creds_configure(struct tls_creds *c, char *err, size_t errlen)
{
    mbedtls_ssl_config *conf = &c->conf;
    int ret = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return creds_fail(err, errlen, "TLS set-up", ret);
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(conf, rng, NULL);
    mbedtls_ssl_conf_ciphersuites(conf, tls_params_suites);
    mbedtls_ssl_conf_curves(conf, tls_params_curves);
    mbedtls_ssl_conf_authmode(conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_renegotiation(conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_session_tickets(conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    mbedtls_ssl_conf_extended_master_secret(conf, MBEDTLS_SSL_EXTENDED_MS_ENABLED);
    ret = mbedtls_ssl_conf_own_cert(conf, &c->chain, &c->key);
    if (ret != 0)
        return creds_fail(err, errlen, "certificate and key", ret);
    return 0;
}

int tls_creds_new(struct tls_creds **out, const char *cert_pem, size_t cert_len, const char *key_pem,
                  size_t key_len, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!cert_pem || !key_pem || cert_len == 0 || key_len == 0 || cert_len > PEM_MAX ||
        key_len > PEM_MAX) {
        if (err && errlen)
            snprintf(err, errlen, "certificate or key missing, empty or larger than 1 MiB");
        return DC_ECONFIG;
    }
    struct tls_creds *c = util_calloc(1, sizeof *c);
    c->refs = 1;
    mbedtls_x509_crt_init(&c->chain);
    mbedtls_pk_init(&c->key);
    mbedtls_ssl_config_init(&c->conf);
    int rc = creds_parse(c, cert_pem, cert_len, key_pem, key_len, err, errlen);
    if (rc == 0)
        rc = creds_configure(c, err, errlen);
    if (rc != 0) {
        tls_creds_release(c);
        return rc;
    }
    *out = c;
    return 0;
}

void tls_creds_release(struct tls_creds *c)
{
    if (!c || --c->refs > 0)
        return;
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_pk_free(&c->key);
    mbedtls_x509_crt_free(&c->chain);
    free(c);
}

int64_t tls_creds_not_after(const struct tls_creds *c)
{
    return c ? c->not_after : 0;
}

const char *tls_creds_subject(const struct tls_creds *c)
{
    return c ? c->subject : "";
}

/* ---------- memory buffers, called by mbedTLS ---------- */

static int bio_send(void *p, const unsigned char *buf, size_t len)
{
    struct tls_stream *t = p;
    t->cb.write(t->ctx, buf, len);
    return (int)len;
}

static int bio_recv(void *p, unsigned char *buf, size_t cap)
{
    struct tls_stream *t = p;
    if (t->in_len == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = t->in_len < cap ? t->in_len : cap;
    memcpy(buf, t->in, n);
    t->in += n;
    t->in_len -= n;
    return (int)n;
}

/* ---------- streams ---------- */

struct tls_stream *tls_stream_new(struct tls_creds *creds, const struct tls_stream_callbacks *cb,
                                  void *ctx)
{
    if (!creds || !cb || !cb->write || !cb->on_data)
        return NULL;
    struct tls_stream *t = util_calloc(1, sizeof *t);
    mbedtls_ssl_init(&t->ssl);
    if (mbedtls_ssl_setup(&t->ssl, &creds->conf) != 0) {
        mbedtls_ssl_free(&t->ssl);
        free(t);
        return NULL;
    }
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    creds->refs++;
    t->creds = creds;
    t->cb = *cb;
    t->ctx = ctx;
    return t;
}

void tls_stream_free(struct tls_stream *t)
{
    if (!t)
        return;
    mbedtls_ssl_free(&t->ssl);
    tls_creds_release(t->creds);
    free(t);
}

static int fail(struct tls_stream *t, enum tls_failure why, int ret, const char *what)
{
    t->failure = why;
    t->result = DC_EPROTO;
    if (ret)
        mbedtls_strerror(ret, t->error, sizeof t->error);
    else
        snprintf(t->error, sizeof t->error, "%s", what);
    return DC_EPROTO;
}

/* A client's first record is a handshake record (content type 22); an HTTP
 * request starts with a method in capitals.  Anything else is refused at
 * once rather than waiting for a record header that may never complete. */
static int check_first_byte(struct tls_stream *t, uint8_t first)
{
    if (first == MBEDTLS_SSL_MSG_HANDSHAKE)
        return 0;
    if (first >= 'A' && first <= 'Z')
        return fail(t, TLS_FAIL_PLAINTEXT, 0, "plaintext HTTP request on the TLS port");
    return fail(t, TLS_FAIL_HANDSHAKE, 0, "not a TLS handshake record");
}

static bool want_more(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int pump(struct tls_stream *t)
{
    while (!t->established) {
        int ret = mbedtls_ssl_handshake(&t->ssl);
        if (ret == 0)
            t->established = true;
        else if (want_more(ret))
            return 0;
        else
            return fail(t, TLS_FAIL_HANDSHAKE, ret, NULL);
    }
    for (;;) {
        int ret = mbedtls_ssl_read(&t->ssl, plain_buf, sizeof plain_buf);
        if (ret > 0) {
            t->cb.on_data(t->ctx, plain_buf, (size_t)ret);
            continue;
        }
        if (want_more(ret))
            return 0;
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            t->result = DC_ECLOSED;
            return DC_ECLOSED;
        }
        return fail(t, TLS_FAIL_RECORD, ret, NULL);
    }
}

int tls_stream_feed(struct tls_stream *t, const uint8_t *data, size_t len)
{
    if (t->result)
        return t->result;
    if (len == 0)
        return 0;
    if (!t->got_input) {
        t->got_input = true;
        if (check_first_byte(t, data[0]) < 0)
            return DC_EPROTO;
    }
    t->in = data;
    t->in_len = len;
    int rc = pump(t);
    t->in = NULL;
    t->in_len = 0;
    return rc;
}

int tls_stream_send(struct tls_stream *t, const uint8_t *data, size_t len)
{
    if (t->result == DC_EPROTO)
        return DC_EPROTO;
    if (t->closed)
        return DC_ECLOSED;
    if (!t->established)
        return DC_EAGAIN;
    while (len > 0) {
        /* The memory buffer takes everything, so mbedTLS never asks to wait. */
        int ret = mbedtls_ssl_write(&t->ssl, data, len);
        if (ret <= 0)
            return fail(t, TLS_FAIL_RECORD, ret ? ret : MBEDTLS_ERR_SSL_INTERNAL_ERROR, NULL);
        data += ret;
        len -= (size_t)ret;
    }
    return 0;
}

void tls_stream_close(struct tls_stream *t)
{
    if (!t || t->closed)
        return;
    t->closed = true;
    if (t->established && t->result != DC_EPROTO)
        mbedtls_ssl_close_notify(&t->ssl);
}

bool tls_stream_established(const struct tls_stream *t)
{
    return t && t->established;
}

enum tls_failure tls_stream_failure(const struct tls_stream *t)
{
    return t ? t->failure : TLS_FAIL_NONE;
}

const char *tls_stream_error(const struct tls_stream *t)
{
    return t ? t->error : "";
}

const char *tls_stream_ciphersuite(const struct tls_stream *t)
{
    return t && t->established ? mbedtls_ssl_get_ciphersuite(&t->ssl) : "";
}
