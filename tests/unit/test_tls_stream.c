/* Unit tests for signaling/tls_stream: credentials, the handshake against an
 * mbedTLS client back to back in memory, application data both ways, close,
 * byte-at-a-time delivery, refused clients and garbage input.  Fixtures in
 * tests/unit/fixtures/tls/ are test-only keys: a CA, an EC P-256 leaf (with
 * the CA appended as its chain), an RSA-2048 leaf and an encrypted key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "common/util.h"
#include "signaling/tls_stream.h"

#define FIX "tests/unit/fixtures/tls/"

struct bytes {
    uint8_t *p;
    size_t len;
};

static void bytes_add(struct bytes *b, const uint8_t *d, size_t n)
{
    b->p = util_realloc(b->p, b->len + n + 1);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void bytes_clear(struct bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = util_malloc(1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static struct tls_creds *load_creds(const char *cert, const char *key, int *rc, char *err, size_t errlen)
{
    size_t cl, kl;
    char *c = slurp(cert, &cl), *k = slurp(key, &kl);
    struct tls_creds *out = NULL;
    *rc = tls_creds_new(&out, c, cl, k, kl, err, errlen);
    free(c);
    free(k);
    return out;
}

/* ---------- the world: a stream and an mbedTLS client ---------- */

struct world {
    struct tls_creds *creds;
    struct tls_stream *s;
    struct bytes to_server, to_client, server_rx;
    int feed_rc;
    bool byte_at_a_time;
    bool echo_close; /* the server closes from inside on_data */
    mbedtls_x509_crt ca;
    mbedtls_ssl_config cconf;
    mbedtls_ssl_context cli;
    size_t client_rd; /* read position in to_client */
};

static struct world W;

static void s_write(void *ctx, const uint8_t *d, size_t n)
{
    bytes_add(&((struct world *)ctx)->to_client, d, n);
}

static void s_data(void *ctx, const uint8_t *d, size_t n)
{
    struct world *w = ctx;
    bytes_add(&w->server_rx, d, n);
    if (w->echo_close) {
        assert_int_equal(tls_stream_send(w->s, d, n), 0);
        tls_stream_close(w->s);
        assert_int_equal(tls_stream_send(w->s, d, n), DC_ECLOSED);
    }
}

static const struct tls_stream_callbacks s_cbs = {.write = s_write, .on_data = s_data};

static int c_send(void *p, const unsigned char *buf, size_t len)
{
    bytes_add(&((struct world *)p)->to_server, buf, len);
    return (int)len;
}

static int c_recv(void *p, unsigned char *buf, size_t cap)
{
    struct world *w = p;
    size_t avail = w->to_client.len - w->client_rd;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = avail < cap ? avail : cap;
    memcpy(buf, w->to_client.p + w->client_rd, n);
    w->client_rd += n;
    return (int)n;
}

static int c_rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    util_random_bytes(out, len);
    return 0;
}

static void client_init(struct world *w, const int *suites, int max_minor)
{
    size_t len;
    char *pem = slurp(FIX "ca.pem", &len);
    mbedtls_x509_crt_init(&w->ca);
    assert_int_equal(mbedtls_x509_crt_parse(&w->ca, (const unsigned char *)pem, len + 1), 0);
    free(pem);
    mbedtls_ssl_config_init(&w->cconf);
    mbedtls_ssl_init(&w->cli);
    assert_int_equal(mbedtls_ssl_config_defaults(&w->cconf, MBEDTLS_SSL_IS_CLIENT,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT),
                     0);
    mbedtls_ssl_conf_rng(&w->cconf, c_rng, NULL);
    mbedtls_ssl_conf_authmode(&w->cconf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&w->cconf, &w->ca, NULL);
    if (suites)
        mbedtls_ssl_conf_ciphersuites(&w->cconf, suites);
    if (max_minor) {
        mbedtls_ssl_conf_min_version(&w->cconf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_1);
        mbedtls_ssl_conf_max_version(&w->cconf, MBEDTLS_SSL_MAJOR_VERSION_3, max_minor);
    }
    assert_int_equal(mbedtls_ssl_setup(&w->cli, &w->cconf), 0);
    assert_int_equal(mbedtls_ssl_set_hostname(&w->cli, "localhost"), 0);
    mbedtls_ssl_set_bio(&w->cli, w, c_send, c_recv, NULL);
}

static void world_init(struct world *w, const char *cert, const char *key, const int *suites, int max_minor)
{
    memset(w, 0, sizeof *w);
    char err[256];
    int rc;
    w->creds = load_creds(cert, key, &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    w->s = tls_stream_new(w->creds, &s_cbs, w);
    assert_non_null(w->s);
    client_init(w, suites, max_minor);
}

static void world_free(struct world *w)
{
    tls_stream_free(w->s);
    tls_creds_release(w->creds);
    mbedtls_ssl_free(&w->cli);
    mbedtls_ssl_config_free(&w->cconf);
    mbedtls_x509_crt_free(&w->ca);
    bytes_clear(&w->to_server);
    bytes_clear(&w->to_client);
    bytes_clear(&w->server_rx);
}

static int teardown(void **state)
{
    (void)state;
    world_free(&W);
    return 0;
}

/* Hands what the client wrote to the stream (whole, or one byte per feed). */
static void deliver(struct world *w)
{
    struct bytes b = w->to_server;
    memset(&w->to_server, 0, sizeof w->to_server);
    for (size_t i = 0; i < b.len && w->feed_rc == 0;) {
        size_t n = w->byte_at_a_time ? 1 : b.len - i;
        w->feed_rc = tls_stream_feed(w->s, b.p + i, n);
        i += n;
    }
    bytes_clear(&b);
}

/* Runs the client's handshake to its end; returns its last result. */
static int handshake(struct world *w)
{
    int ret = MBEDTLS_ERR_SSL_WANT_READ;
    for (int i = 0; i < 50 && ret == MBEDTLS_ERR_SSL_WANT_READ; i++) {
        ret = mbedtls_ssl_handshake(&w->cli);
        deliver(w);
    }
    return ret;
}

static int client_read(struct world *w, uint8_t *buf, size_t cap)
{
    return mbedtls_ssl_read(&w->cli, buf, cap);
}

/* ---------- tests ---------- */

static void check_connected(struct world *w, const char *suite)
{
    assert_int_equal(handshake(w), 0);
    assert_int_equal(w->feed_rc, 0);
    assert_true(tls_stream_established(w->s));
    assert_int_equal(mbedtls_ssl_get_verify_result(&w->cli), 0);
    assert_string_equal(tls_stream_ciphersuite(w->s), suite);
    assert_string_equal(mbedtls_ssl_get_version(&w->cli), "TLSv1.2");
}

static void test_handshake_ec_chain(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    assert_string_equal(tls_stream_ciphersuite(W.s), "");
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    /* the client got the whole chain: leaf, then the CA */
    const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&W.cli);
    assert_non_null(peer);
    assert_non_null(peer->next);
}

static void test_handshake_rsa(void **state)
{
    (void)state;
    world_init(&W, FIX "rsa.pem", FIX "rsa.key", NULL, 0);
    check_connected(&W, "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256");
}

static void test_chacha_only_client(void **state)
{
    (void)state;
    static const int only[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0};
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", only, 0);
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256");
}

static void test_data_both_ways(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    assert_int_equal(tls_stream_send(W.s, (const uint8_t *)"x", 1), DC_EAGAIN);
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    assert_int_equal(mbedtls_ssl_write(&W.cli, (const unsigned char *)"GET / HTTP/1.1\r\n\r\n", 18), 18);
    deliver(&W);
    assert_int_equal(W.feed_rc, 0);
    assert_int_equal(W.server_rx.len, 18);
    assert_memory_equal(W.server_rx.p, "GET / HTTP/1.1\r\n\r\n", 18);

    /* 100 KB from the server: split into records, all of it arrives */
    size_t big = 100000;
    uint8_t *src = util_malloc(big), *dst = util_malloc(big);
    for (size_t i = 0; i < big; i++)
        src[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(tls_stream_send(W.s, src, big), 0);
    size_t got = 0;
    for (int i = 0; i < 100 && got < big; i++) {
        int n = client_read(&W, dst + got, big - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_int_equal(got, big);
    assert_memory_equal(src, dst, big);
    free(src);
    free(dst);
}

static void test_byte_at_a_time(void **state)
{
    (void)state;
    world_init(&W, FIX "rsa.pem", FIX "rsa.key", NULL, 0);
    W.byte_at_a_time = true;
    check_connected(&W, "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256");
    assert_int_equal(mbedtls_ssl_write(&W.cli, (const unsigned char *)"hello", 5), 5);
    deliver(&W);
    assert_int_equal(W.feed_rc, 0);
    assert_int_equal(W.server_rx.len, 5);
}

static void test_peer_close_notify(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    assert_int_equal(mbedtls_ssl_close_notify(&W.cli), 0);
    deliver(&W);
    assert_int_equal(W.feed_rc, DC_ECLOSED);
    assert_int_equal(tls_stream_feed(W.s, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_NONE);
}

static void test_close_from_on_data(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    W.echo_close = true;
    assert_int_equal(mbedtls_ssl_write(&W.cli, (const unsigned char *)"ping", 4), 4);
    deliver(&W);
    assert_int_equal(W.feed_rc, 0);
    uint8_t buf[16];
    assert_int_equal(client_read(&W, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(client_read(&W, buf, sizeof buf), MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    tls_stream_close(W.s); /* twice is fine */
}

static void test_creds_outlive_release(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    /* the caller drops its reference (a reload); the stream keeps its own */
    tls_creds_release(W.creds);
    W.creds = NULL;
    check_connected(&W, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
}

static void test_old_tls_refused(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, MBEDTLS_SSL_MINOR_VERSION_2);
    int ret = handshake(&W);
    assert_true(ret != 0);
    assert_int_equal(W.feed_rc, DC_EPROTO);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_HANDSHAKE);
    assert_false(tls_stream_established(W.s));
    assert_true(strlen(tls_stream_error(W.s)) > 0);
}

static void test_no_shared_cipher(void **state)
{
    (void)state;
    static const int rsa_kx[] = {MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256, 0};
    world_init(&W, FIX "rsa.pem", FIX "rsa.key", rsa_kx, 0);
    assert_true(handshake(&W) != 0);
    assert_int_equal(W.feed_rc, DC_EPROTO);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_HANDSHAKE);
}

static void test_plaintext_http(void **state)
{
    (void)state;
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    const char *req = "GET /rtc/v1 HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(tls_stream_feed(W.s, (const uint8_t *)req, strlen(req)), DC_EPROTO);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_PLAINTEXT);
    assert_int_equal(W.to_client.len, 0);
    assert_int_equal(tls_stream_feed(W.s, (const uint8_t *)req, strlen(req)), DC_EPROTO);
    assert_int_equal(tls_stream_send(W.s, (const uint8_t *)"x", 1), DC_EPROTO);
}

static void feed_garbage(const uint8_t *g, size_t n, bool chunked)
{
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        size_t k = chunked ? 1 + (size_t)(i % 7) : n - i;
        if (k > n - i)
            k = n - i;
        rc = tls_stream_feed(W.s, g + i, k);
        i += k;
    }
    /* either refused, or still waiting for more: never established */
    assert_true(rc == 0 || rc == DC_EPROTO);
    assert_false(tls_stream_established(W.s));
    world_free(&W);
}

static void test_garbage(void **state)
{
    (void)state;
    /* a handshake record whose ClientHello is nonsense */
    static const uint8_t bad_hello[] = {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00,
                                        0x04, 0xde, 0xad, 0xbe, 0xef};
    feed_garbage(bad_hello, sizeof bad_hello, false);
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    assert_int_equal(tls_stream_feed(W.s, bad_hello, sizeof bad_hello), DC_EPROTO);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_HANDSHAKE);
    world_free(&W);
    /* a record header announcing more than a record may hold */
    static const uint8_t huge[] = {0x16, 0x03, 0x03, 0xff, 0xff, 0x01};
    feed_garbage(huge, sizeof huge, false);
    /* a first byte that cannot start a ClientHello is refused at once */
    static const uint8_t short_junk[] = {0x00, 0xff, 0x13};
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    assert_int_equal(tls_stream_feed(W.s, short_junk, sizeof short_junk), DC_EPROTO);
    assert_int_equal(tls_stream_failure(W.s), TLS_FAIL_HANDSHAKE);
    assert_string_equal(tls_stream_error(W.s), "not a TLS handshake record");
    world_free(&W);
    /* random bytes, whole and in small pieces (an SSLv2-style first byte too) */
    uint8_t rnd[4096];
    for (int round = 0; round < 64; round++) {
        util_random_bytes(rnd, sizeof rnd);
        if (round % 4 == 0)
            rnd[0] = 0x16;
        else if (round % 4 == 1)
            rnd[0] = 0x80;
        if (rnd[0] >= 'A' && rnd[0] <= 'Z')
            rnd[0] = 0;
        feed_garbage(rnd, sizeof rnd, round % 2 == 0);
    }
    /* a real ClientHello followed by garbage where the client's next flight goes */
    world_init(&W, FIX "ec-chain.pem", FIX "ec.key", NULL, 0);
    assert_int_equal(mbedtls_ssl_handshake(&W.cli), MBEDTLS_ERR_SSL_WANT_READ);
    deliver(&W);
    assert_int_equal(W.feed_rc, 0);
    assert_true(W.to_client.len > 0); /* ServerHello..ServerHelloDone */
    util_random_bytes(rnd, 512);
    rnd[0] = 0x16;
    int rc = tls_stream_feed(W.s, rnd, 512);
    assert_true(rc == 0 || rc == DC_EPROTO);
    world_free(&W);
}

static void test_creds_errors(void **state)
{
    (void)state;
    char err[256];
    int rc;
    struct tls_creds *c;
    /* key of another certificate */
    c = load_creds(FIX "rsa.pem", FIX "ec.key", &rc, err, sizeof err);
    assert_int_equal(rc, DC_ECONFIG);
    assert_null(c);
    assert_non_null(strstr(err, "does not match"));
    /* encrypted key */
    c = load_creds(FIX "ec-chain.pem", FIX "ec-encrypted.key", &rc, err, sizeof err);
    assert_int_equal(rc, DC_ECONFIG);
    assert_non_null(strstr(err, "encrypted"));
    /* a key where the certificate should be */
    c = load_creds(FIX "ec.key", FIX "ec.key", &rc, err, sizeof err);
    assert_int_equal(rc, DC_ECONFIG);
    assert_non_null(strstr(err, "certificate"));
    /* a certificate where the key should be */
    c = load_creds(FIX "ec-chain.pem", FIX "ca.pem", &rc, err, sizeof err);
    assert_int_equal(rc, DC_ECONFIG);
    assert_non_null(strstr(err, "private key"));
    /* garbage and empty input */
    assert_int_equal(tls_creds_new(&c, "junk", 4, "junk", 4, err, sizeof err), DC_ECONFIG);
    assert_null(c);
    assert_int_equal(tls_creds_new(&c, "", 0, "x", 1, err, sizeof err), DC_ECONFIG);
    const char *trunc = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    assert_int_equal(tls_creds_new(&c, trunc, strlen(trunc), "x", 1, err, sizeof err), DC_ECONFIG);
    tls_creds_release(NULL);
}

static void test_creds_info(void **state)
{
    (void)state;
    char err[256];
    int rc;
    struct tls_creds *c = load_creds(FIX "ec-chain.pem", FIX "ec.key", &rc, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_string_equal(tls_creds_subject(c), "CN=localhost");
    /* the fixtures are valid for a century from 2026 */
    assert_true(tls_creds_not_after(c) > (int64_t)time(NULL) + 50LL * 365 * 86400);
    assert_null(tls_stream_new(c, NULL, NULL));
    tls_creds_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_handshake_ec_chain, teardown),
        cmocka_unit_test_teardown(test_handshake_rsa, teardown),
        cmocka_unit_test_teardown(test_chacha_only_client, teardown),
        cmocka_unit_test_teardown(test_data_both_ways, teardown),
        cmocka_unit_test_teardown(test_byte_at_a_time, teardown),
        cmocka_unit_test_teardown(test_peer_close_notify, teardown),
        cmocka_unit_test_teardown(test_close_from_on_data, teardown),
        cmocka_unit_test_teardown(test_creds_outlive_release, teardown),
        cmocka_unit_test_teardown(test_old_tls_refused, teardown),
        cmocka_unit_test_teardown(test_no_shared_cipher, teardown),
        cmocka_unit_test_teardown(test_plaintext_http, teardown),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_creds_errors),
        cmocka_unit_test(test_creds_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
