/* dtls_harness.h: test-only world for the transport/dtls tests.
 *
 * Our DTLS client (transport/dtls) and an mbedTLS DTLS server built here,
 * linked back to back by two in-memory datagram queues under a fake clock.
 * Each link can drop chosen datagrams; the server can ask for HelloVerify
 * cookies and use_srtp.  Functions are static inline so that each test file
 * compiles only what it uses.  One world per process (W), reset by setup. */
#ifndef DC_TEST_DTLS_HARNESS_H
#define DC_TEST_DTLS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "common/log.h"
#include "transport/cert.h"
#include "transport/dep_mbedtls.h"
#include "transport/dtls.h"

#define NOW_S 1700000000LL
#define QMAX 256

/* ---- datagram queues ---- */

struct dgram {
    uint8_t *p;
    size_t n;
};

struct queue {
    struct dgram q[QMAX];
    size_t head, tail;
};

static inline void q_push(struct queue *q, const uint8_t *p, size_t n)
{
    assert_true(q->tail < QMAX);
    q->q[q->tail].p = malloc(n ? n : 1);
    memcpy(q->q[q->tail].p, p, n);
    q->q[q->tail].n = n;
    q->tail++;
}

static inline bool q_empty(const struct queue *q)
{
    return q->head == q->tail;
}

static inline struct dgram q_pop(struct queue *q)
{
    struct dgram g = q->q[q->head++];
    if (q->head == q->tail)
        q->head = q->tail = 0;
    return g;
}

static inline void q_clear(struct queue *q)
{
    while (!q_empty(q))
        free(q_pop(q).p);
}

/* ---- the world: client under test, test server, links, fake clock ---- */

struct srv {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_cookie_ctx cookie;
    int64_t t_int, t_fin;
    bool done;
    int err;              /* first fatal mbedTLS error, 0 if none */
    bool client_fp_ok;    /* saw the client's certificate with the right fingerprint */
    uint8_t rx[4096];
    size_t rx_len;
    int rx_count;
};

struct world {
    uint64_t now;
    struct cert *ccert, *scert;
    struct dtls *c;
    struct srv s;
    struct queue to_s, to_c;
    uint32_t drop_mask_s, drop_mask_c; /* bit i: drop the i-th datagram on that link */
    bool drop_all_s;
    int n_to_s, n_to_c;                /* datagrams produced on each link */
    size_t max_dgram_s;                /* largest datagram the client sent */
    /* client events */
    int connected, closed, reason, data_count;
    int data_early; /* on_data calls before on_connected (must stay 0) */
    uint8_t rx[4096];
    size_t rx_len;
    /* re-entrancy knobs */
    bool echo_on_data, free_on_data, free_on_closed, feed_on_data, send_in_send;
    bool free_on_connected;
    int free_in_send_at; /* free the session when sending this datagram (1-based), 0: never */
    int reentry_rc;
};

/* The next srv_init's cipher suites instead of s_suites (then reset). */
static const int *g_srv_suites;

static struct world W;

static inline void c_send(void *ctx, const uint8_t *p, size_t n)
{
    struct world *w = ctx;
    if (w->send_in_send)
        w->reentry_rc = dtls_send(w->c, p, 1);
    if (n > w->max_dgram_s)
        w->max_dgram_s = n;
    int i = w->n_to_s++;
    if (w->free_in_send_at == i + 1) {
        dtls_free(w->c);
        w->c = NULL;
    }
    if (w->drop_all_s || (i < 32 && (w->drop_mask_s >> i & 1)))
        return;
    q_push(&w->to_s, p, n);
}

static inline void c_connected(void *ctx)
{
    struct world *w = ctx;
    w->connected++;
    if (w->free_on_connected) {
        dtls_free(w->c);
        w->c = NULL;
    }
}

static inline void c_data(void *ctx, const uint8_t *p, size_t n)
{
    struct world *w = ctx;
    w->data_count++;
    if (!w->connected)
        w->data_early++;
    assert_true(n <= sizeof w->rx);
    memcpy(w->rx, p, n);
    w->rx_len = n;
    if (w->echo_on_data)
        assert_int_equal(dtls_send(w->c, p, n), 0);
    if (w->feed_on_data)
        w->reentry_rc = dtls_feed(w->c, w->now, p, n);
    if (w->free_on_data) {
        dtls_free(w->c);
        w->c = NULL;
    }
}

static inline void c_closed(void *ctx, int reason)
{
    struct world *w = ctx;
    w->closed++;
    w->reason = reason;
    if (w->free_on_closed) {
        dtls_free(w->c);
        w->c = NULL;
    }
}

static const struct dtls_callbacks client_cb = {c_send, c_connected, c_data, c_closed};

/* ---- test server (mbedTLS DTLS server) ---- */

static inline int s_bio_send(void *p, const unsigned char *b, size_t n)
{
    struct world *w = p;
    int i = w->n_to_c++;
    if (!(i < 32 && (w->drop_mask_c >> i & 1)))
        q_push(&w->to_c, b, n);
    return (int)n;
}

static inline int s_bio_recv(void *p, unsigned char *b, size_t cap)
{
    struct world *w = p;
    if (q_empty(&w->to_s))
        return MBEDTLS_ERR_SSL_WANT_READ;
    struct dgram g = q_pop(&w->to_s);
    size_t n = g.n < cap ? g.n : cap;
    memcpy(b, g.p, n);
    free(g.p);
    return (int)n;
}

static inline void s_timer_set(void *p, uint32_t int_ms, uint32_t fin_ms)
{
    struct world *w = p;
    if (fin_ms == 0) {
        w->s.t_int = w->s.t_fin = -1;
        return;
    }
    w->s.t_int = (int64_t)(w->now + int_ms);
    w->s.t_fin = (int64_t)(w->now + fin_ms);
}

static inline int s_timer_get(void *p)
{
    struct world *w = p;
    if (w->s.t_fin < 0)
        return -1;
    if ((int64_t)w->now >= w->s.t_fin)
        return 2;
    return (int64_t)w->now >= w->s.t_int ? 1 : 0;
}

static inline int s_verify(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct world *w = p;
    if (depth != 0)
        return 0;
    uint8_t fp[32];
    assert_int_equal(mbedtls_sha256_ret(crt->raw.p, crt->raw.len, fp, 0), 0);
    if (memcmp(fp, cert_fingerprint_raw(w->ccert), 32) != 0)
        return MBEDTLS_ERR_X509_FATAL_ERROR;
    w->s.client_fp_ok = true;
    *flags = 0;
    return 0;
}

static const mbedtls_ssl_srtp_profile s_srtp[] = {
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32,
    MBEDTLS_TLS_SRTP_UNSET,
};

/* The suites libwebrtc's DTLS server prefers, in its order. */
static const int s_suites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

static inline void srv_init(struct world *w, bool cookies, bool srtp)
{
    struct srv *s = &w->s;
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_init(&s->ssl);
    mbedtls_ssl_cookie_init(&s->cookie);
    s->t_int = s->t_fin = -1;
    assert_int_equal(mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
                                                 MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT), 0);
    mbedtls_ssl_conf_rng(&s->conf, dep_mbedtls_rng, NULL);
    mbedtls_ssl_conf_dbg(&s->conf, dep_mbedtls_dbg, NULL);
    mbedtls_ssl_conf_ciphersuites(&s->conf, g_srv_suites ? g_srv_suites : s_suites);
    g_srv_suites = NULL;
    mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_OPTIONAL); /* requests a certificate */
    mbedtls_ssl_conf_verify(&s->conf, s_verify, w);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&s->conf, cert_mbedtls_crt(w->scert),
                                               cert_mbedtls_key(w->scert)), 0);
    if (srtp)
        assert_int_equal(mbedtls_ssl_conf_dtls_srtp_protection_profiles(&s->conf, s_srtp), 0);
    if (cookies) {
        assert_int_equal(mbedtls_ssl_cookie_setup(&s->cookie, dep_mbedtls_rng, NULL), 0);
        mbedtls_ssl_conf_dtls_cookies(&s->conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check,
                                      &s->cookie);
    } else {
        mbedtls_ssl_conf_dtls_cookies(&s->conf, NULL, NULL, NULL);
    }
    assert_int_equal(mbedtls_ssl_setup(&s->ssl, &s->conf), 0);
    mbedtls_ssl_set_bio(&s->ssl, w, s_bio_send, s_bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&s->ssl, w, s_timer_set, s_timer_get);
    assert_int_equal(mbedtls_ssl_set_client_transport_id(&s->ssl, (const unsigned char *)"peer", 4), 0);
}

static inline void srv_free(struct srv *s)
{
    mbedtls_ssl_free(&s->ssl);
    mbedtls_ssl_config_free(&s->conf);
    mbedtls_ssl_cookie_free(&s->cookie);
}

/* Runs the server until it has consumed everything queued for it. */
static inline void srv_run(struct world *w)
{
    struct srv *s = &w->s;
    uint8_t buf[4096];
    for (int i = 0; i < 1000; i++) {
        if (s->err) {
            q_clear(&w->to_s);
            return;
        }
        int ret;
        if (!s->done) {
            ret = mbedtls_ssl_handshake(&s->ssl);
            if (ret == 0) {
                s->done = true;
                continue;
            }
            if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
                assert_int_equal(mbedtls_ssl_session_reset(&s->ssl), 0);
                assert_int_equal(mbedtls_ssl_set_client_transport_id(
                                     &s->ssl, (const unsigned char *)"peer", 4), 0);
                continue;
            }
        } else {
            ret = mbedtls_ssl_read(&s->ssl, buf, sizeof buf);
            if (ret > 0) {
                memcpy(s->rx, buf, (size_t)ret);
                s->rx_len = (size_t)ret;
                s->rx_count++;
                continue;
            }
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_TIMEOUT) {
            if (!q_empty(&w->to_s) || mbedtls_ssl_check_pending(&s->ssl))
                continue;
            return;
        }
        s->err = ret;
    }
    fail_msg("server loop did not settle");
}

/* Delivers queued datagrams both ways until both links are quiet. */
static inline void run(struct world *w)
{
    for (int i = 0; i < 200; i++) {
        bool progress = false;
        if (!q_empty(&w->to_s)) {
            srv_run(w);
            progress = true;
        }
        while (!q_empty(&w->to_c)) {
            struct dgram g = q_pop(&w->to_c);
            if (w->c)
                dtls_feed(w->c, w->now, g.p, g.n);
            free(g.p);
            progress = true;
        }
        if (!progress)
            return;
    }
    fail_msg("links did not settle");
}

/* Moves the fake clock forward in 100 ms ticks, firing due timers. */
static inline void advance(struct world *w, uint64_t ms)
{
    uint64_t end = w->now + ms;
    while (w->now < end) {
        uint64_t step = end - w->now < 100 ? end - w->now : 100;
        w->now += step;
        if (w->c) {
            int64_t t = dtls_timeout_ms(w->c);
            if (t >= 0 && (uint64_t)t <= w->now)
                dtls_on_timer(w->c, w->now);
        }
        if (w->s.t_fin >= 0 && (uint64_t)w->s.t_fin <= w->now && !w->s.err)
            srv_run(w);
        run(w);
    }
}

static inline void world_init(struct world *w, bool cookies, bool srtp, bool right_fp)
{
    memset(w, 0, sizeof *w);
    w->now = 5000;
    assert_int_equal(cert_new(&w->ccert, NOW_S), 0);
    assert_int_equal(cert_new(&w->scert, NOW_S), 0);
    srv_init(w, cookies, srtp);
    const struct cert *expect = right_fp ? w->scert : w->ccert;
    w->c = dtls_new(w->ccert, cert_fingerprint_raw(expect), CERT_FP_LEN, &client_cb, w);
    assert_non_null(w->c);
}

static inline int teardown(void **state)
{
    (void)state;
    struct world *w = &W;
    dtls_free(w->c);
    srv_free(&w->s);
    cert_free(w->ccert);
    cert_free(w->scert);
    q_clear(&w->to_s);
    q_clear(&w->to_c);
    return 0;
}

static inline int setup(void **state)
{
    (void)state;
    world_init(&W, false, true, true);
    return 0;
}

/* Starts the client and runs the handshake to completion without loss. */
static inline void connect_world(struct world *w)
{
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 1);
    assert_true(w->s.done);
    assert_int_equal(dtls_state(w->c), DTLS_CONNECTED);
}

static inline void server_write(struct world *w, const char *msg)
{
    int n = mbedtls_ssl_write(&w->s.ssl, (const unsigned char *)msg, strlen(msg));
    assert_int_equal(n, (int)strlen(msg));
}

/* Pops the next two datagrams for the client and concatenates them. */
static inline size_t take_two(struct world *w, uint8_t *out, size_t cap)
{
    struct dgram a = q_pop(&w->to_c), b = q_pop(&w->to_c);
    assert_true(a.n + b.n <= cap);
    memcpy(out, a.p, a.n);
    memcpy(out + a.n, b.p, b.n);
    free(a.p);
    free(b.p);
    return a.n + b.n;
}

/* DTLS_TEST_DEBUG=<0..4> prints our log and mbedTLS's trace. */
static inline void harness_log_init(void)
{
    const char *dbg = getenv("DTLS_TEST_DEBUG");
    if (dbg) {
        log_configure(LOG_LVL_DEBUG, false);
        dep_mbedtls_set_debug(atoi(dbg));
    } else {
        log_configure(LOG_LVL_WARN, false);
    }
}

#endif
