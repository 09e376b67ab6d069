/* Unit tests for transport/dtls: handshake, fingerprints, use_srtp,
 * application data, closing and re-entrant callbacks, against an mbedTLS DTLS
 * server (test-only, tests/unit/dtls_harness.h) back to back in memory. */
#include "tests/unit/dtls_harness.h"

static void test_handshake_both_ways(void **state)
{
    (void)state;
    struct world *w = &W;
    assert_int_equal(dtls_state(w->c), DTLS_NEW);
    assert_int_equal(dtls_timeout_ms(w->c), -1);
    connect_world(w);
    assert_int_equal(w->closed, 0);
    assert_int_equal(w->s.err, 0);
    /* the server saw our certificate and its fingerprint is the one we publish */
    assert_true(w->s.client_fp_ok);
    assert_non_null(mbedtls_ssl_get_peer_cert(&w->s.ssl));
    /* ECDHE-ECDSA with AES-GCM, DTLS 1.2 */
    assert_string_equal(dtls_cipher_suite(w->c), "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
    assert_string_equal(mbedtls_ssl_get_version(&w->s.ssl), "DTLSv1.2");
    /* use_srtp negotiated, seen by both sides */
    assert_int_equal(dtls_srtp_profile(w->c), DTLS_SRTP_AES128_CM_SHA1_80);
    mbedtls_dtls_srtp_info info;
    mbedtls_ssl_get_dtls_srtp_negotiation_result(&w->s.ssl, &info);
    assert_int_equal(info.chosen_dtls_srtp_profile, MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80);
    /* no timers once connected, and no datagram above the MTU */
    assert_int_equal(dtls_timeout_ms(w->c), -1);
    assert_true(w->max_dgram_s <= DTLS_MTU);
    assert_int_equal(w->n_to_s, 2); /* ClientHello; Certificate..Finished */
}

static void test_hello_verify_request(void **state)
{
    (void)state;
    teardown(NULL);
    world_init(&W, true, true, true);
    struct world *w = &W;
    connect_world(w);
    assert_int_equal(w->n_to_s, 3); /* ClientHello twice (the second with the cookie) */
    assert_true(w->s.client_fp_ok);
}

static void test_server_without_srtp(void **state)
{
    (void)state;
    teardown(NULL);
    world_init(&W, false, false, true);
    struct world *w = &W;
    connect_world(w);
    assert_int_equal(dtls_srtp_profile(w->c), 0);
}

static void test_application_data(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    assert_true(dtls_sealed_writes(w->c));
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"hello", 5), 0);
    run(w);
    assert_int_equal(w->s.rx_count, 1);
    assert_int_equal(w->s.rx_len, 5);
    assert_memory_equal(w->s.rx, "hello", 5);

    server_write(w, "world!");
    run(w);
    assert_int_equal(w->data_count, 1);
    assert_int_equal(w->rx_len, 6);
    assert_memory_equal(w->rx, "world!", 6);

    /* the largest payload fits one datagram of at most DTLS_MTU bytes */
    size_t max = dtls_max_payload(w->c);
    assert_int_equal(max, DTLS_MAX_PAYLOAD);
    uint8_t big[DTLS_MTU + 100];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    w->max_dgram_s = 0;
    assert_int_equal(dtls_send(w->c, big, max), 0);
    assert_int_equal(w->max_dgram_s, DTLS_MTU);
    run(w);
    assert_int_equal(w->s.rx_count, 2);
    assert_int_equal(w->s.rx_len, max);
    assert_memory_equal(w->s.rx, big, max);
    assert_int_equal(dtls_send(w->c, big, max + 1), DC_ETOOBIG);
    assert_int_equal(dtls_send(w->c, big, 0), 0);
    assert_int_equal(dtls_send(w->c, NULL, 3), DC_EINVAL);
}

/* Records we seal ourselves continue mbedTLS's sequence numbers: the
 * server's replay window takes every one, and the close_notify mbedTLS sends
 * after them is accepted too.  With ChaCha20 mbedTLS seals everything. */
static void sealed_then_close(struct world *w)
{
    for (int i = 0; i < 300; i++) {
        char m[16];
        int n = snprintf(m, sizeof m, "m%d", i);
        assert_int_equal(dtls_send(w->c, (const uint8_t *)m, (size_t)n), 0);
        run(w);
        assert_int_equal(w->s.rx_count, i + 1);
        assert_memory_equal(w->s.rx, m, (size_t)n);
    }
    dtls_close(w->c);
    run(w);
    assert_int_equal(w->s.err, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
}

static void test_sealed_records(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    assert_true(dtls_sealed_writes(w->c));
    sealed_then_close(w);
}

static void test_chacha_not_sealed(void **state)
{
    (void)state;
    static const int chacha[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0};
    teardown(NULL);
    g_srv_suites = chacha;
    world_init(&W, false, true, true);
    struct world *w = &W;
    connect_world(w);
    assert_string_equal(dtls_cipher_suite(w->c), "TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256");
    assert_false(dtls_sealed_writes(w->c));
    sealed_then_close(w);
}

static void test_two_records_in_one_datagram(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    server_write(w, "one");
    server_write(w, "two");
    uint8_t both[256];
    size_t n = take_two(w, both, sizeof both);
    assert_int_equal(dtls_feed(w->c, w->now, both, n), 0);
    assert_int_equal(w->data_count, 2);
    assert_memory_equal(w->rx, "two", 3);
}

/* Incoming application data is opened by dtls_seal: a replayed record, a
 * tampered one and one from another epoch are dropped and counted, the
 * session carries on, and records mbedTLS still handles (a warning alert,
 * then close_notify) in the same datagram as data are processed in order. */
static void test_sealed_reads(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    server_write(w, "first");
    struct dgram a = q_pop(&w->to_c);
    assert_int_equal(dtls_feed(w->c, w->now, a.p, a.n), 0);
    assert_int_equal(w->data_count, 1);
    assert_int_equal(dtls_feed(w->c, w->now, a.p, a.n), 0); /* replayed */
    assert_int_equal(w->data_count, 1);
    assert_int_equal(dtls_records_dropped(w->c), 1);
    a.p[a.n - 1] ^= 1; /* tag */
    a.p[10] ^= 0x20;   /* and a fresh sequence number, so only the tag fails */
    assert_int_equal(dtls_feed(w->c, w->now, a.p, a.n), 0);
    assert_int_equal(dtls_records_dropped(w->c), 2);
    a.p[4] = 7; /* another epoch: left to mbedTLS, which drops it */
    assert_int_equal(dtls_feed(w->c, w->now, a.p, a.n), 0);
    assert_int_equal(dtls_records_dropped(w->c), 2);
    assert_int_equal(w->data_count, 1);
    assert_int_equal(w->closed, 0);
    free(a.p);

    /* late records inside the window are taken, once */
    server_write(w, "two");
    server_write(w, "three");
    struct dgram two = q_pop(&w->to_c), three = q_pop(&w->to_c);
    assert_int_equal(dtls_feed(w->c, w->now, three.p, three.n), 0);
    assert_int_equal(dtls_feed(w->c, w->now, two.p, two.n), 0);
    assert_int_equal(dtls_feed(w->c, w->now, two.p, two.n), 0);
    assert_int_equal(w->data_count, 3);
    assert_memory_equal(w->rx, "two", 3);
    free(two.p);
    free(three.p);

    /* data, a warning alert, data and close_notify in one datagram */
    uint8_t all[512];
    size_t n = 0;
    server_write(w, "four");
    assert_int_equal(mbedtls_ssl_send_alert_message(&w->s.ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                                    MBEDTLS_SSL_ALERT_MSG_USER_CANCELED), 0);
    server_write(w, "five");
    assert_int_equal(mbedtls_ssl_close_notify(&w->s.ssl), 0);
    while (!q_empty(&w->to_c)) {
        struct dgram d = q_pop(&w->to_c);
        assert_true(n + d.n <= sizeof all);
        memcpy(all + n, d.p, d.n);
        n += d.n;
        free(d.p);
    }
    assert_int_equal(dtls_feed(w->c, w->now, all, n), DC_ECLOSED);
    assert_int_equal(w->data_count, 5);
    assert_memory_equal(w->rx, "five", 4);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_NOTIFY);
}

static void test_wrong_fingerprint(void **state)
{
    (void)state;
    teardown(NULL);
    world_init(&W, false, true, false); /* expects the client's own fingerprint */
    struct world *w = &W;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 0);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_FINGERPRINT);
    assert_int_equal(dtls_state(w->c), DTLS_CLOSED);
    /* we told the server with an alert, and sent nothing after it */
    assert_int_equal(w->s.err, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
    assert_false(w->s.done);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(dtls_timeout_ms(w->c), -1);
}

static void test_peer_close_notify(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    assert_int_equal(mbedtls_ssl_close_notify(&w->s.ssl), 0);
    run(w);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_NOTIFY);
    /* we answered with our own close_notify */
    assert_int_equal(w->s.err, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_ECLOSED);
}

static void test_local_close(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    dtls_close(w->c);
    run(w);
    assert_int_equal(w->s.err, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
    assert_int_equal(w->closed, 0); /* no on_closed for a local close */
    assert_int_equal(dtls_state(w->c), DTLS_CLOSED);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_ECLOSED);
    const uint8_t rec[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 0};
    assert_int_equal(dtls_feed(w->c, w->now, rec, sizeof rec), DC_ECLOSED);
    dtls_close(w->c); /* idempotent */
}

static void test_fatal_alert_from_peer(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    /* a warning alert other than close_notify does not end the session */
    assert_int_equal(mbedtls_ssl_send_alert_message(&w->s.ssl, MBEDTLS_SSL_ALERT_LEVEL_WARNING,
                                                    MBEDTLS_SSL_ALERT_MSG_USER_CANCELED), 0);
    run(w);
    assert_int_equal(w->closed, 0);
    assert_int_equal(mbedtls_ssl_send_alert_message(&w->s.ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                                    MBEDTLS_SSL_ALERT_MSG_INTERNAL_ERROR), 0);
    run(w);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_ALERT);
}

static void test_echo_from_callback(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    w->echo_on_data = true;
    server_write(w, "ping");
    run(w);
    assert_int_equal(w->s.rx_count, 1);
    assert_memory_equal(w->s.rx, "ping", 4);
}

static void test_free_from_on_data(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    server_write(w, "one");
    server_write(w, "two");
    uint8_t both[256];
    size_t n = take_two(w, both, sizeof both);
    w->free_on_data = true;
    assert_int_equal(dtls_feed(w->c, w->now, both, n), DC_ECLOSED);
    assert_null(w->c);
    assert_int_equal(w->data_count, 1); /* nothing after the free */
}

static void test_free_from_on_closed(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    w->free_on_closed = true;
    assert_int_equal(mbedtls_ssl_close_notify(&w->s.ssl), 0);
    run(w);
    assert_int_equal(w->closed, 1);
    assert_null(w->c);
}

static void test_free_from_on_connected(void **state)
{
    (void)state;
    struct world *w = &W;
    w->free_on_connected = true;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 1);
    assert_null(w->c);
    assert_int_equal(w->closed, 0);
}

/* Freed while mbedTLS is writing our second flight: nothing more is sent. */
static void test_free_from_send(void **state)
{
    (void)state;
    struct world *w = &W;
    w->free_in_send_at = 2;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_null(w->c);
    assert_int_equal(w->n_to_s, 2);
    assert_int_equal(w->connected + w->closed, 0);
}

static void test_misuse(void **state)
{
    (void)state;
    struct world *w = &W;
    const uint8_t rec[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    uint8_t fp[CERT_FP_LEN] = {0};
    assert_null(dtls_new(NULL, fp, sizeof fp, &client_cb, w));
    assert_null(dtls_new(w->ccert, fp, 20, &client_cb, w));
    assert_null(dtls_new(w->ccert, NULL, sizeof fp, &client_cb, w));
    struct dtls *quiet = dtls_new(w->ccert, fp, sizeof fp, NULL, NULL); /* no callbacks at all */
    assert_non_null(quiet);
    assert_int_equal(dtls_start(quiet, 0), 0);
    for (uint64_t t = 40000; t <= 400000; t += 40000) /* late timers: one step each */
        dtls_on_timer(quiet, t);
    assert_int_equal(dtls_state(quiet), DTLS_CLOSED);
    dtls_free(quiet);

    assert_int_equal(dtls_feed(w->c, w->now, rec, sizeof rec), DC_EINVAL); /* not started */
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_EAGAIN);
    dtls_on_timer(w->c, w->now);
    assert_int_equal(dtls_start(w->c, w->now), 0);
    assert_int_equal(dtls_start(w->c, w->now), DC_EINVAL);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_EAGAIN);
    dtls_on_timer(w->c, w->now); /* not due: nothing happens */
    assert_int_equal(w->n_to_s, 1);
    assert_int_equal(dtls_feed(NULL, 0, rec, sizeof rec), DC_EINVAL);
    assert_int_equal(dtls_send(NULL, rec, 1), DC_EINVAL);
    assert_int_equal(dtls_timeout_ms(NULL), -1);
    dtls_on_timer(NULL, 0);
    dtls_close(NULL);
    dtls_free(NULL);
    assert_string_equal(dtls_close_reason_str(DTLS_CLOSE_FINGERPRINT), "fingerprint");
    assert_string_equal(dtls_close_reason_str(99), "unknown");
}

static void test_reentrant_calls_refused(void **state)
{
    (void)state;
    struct world *w = &W;
    w->send_in_send = true;
    w->reentry_rc = 1;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    assert_int_equal(w->reentry_rc, DC_EINVAL);
    w->send_in_send = false;
    run(w);
    assert_int_equal(w->connected, 1);
    w->feed_on_data = true;
    w->reentry_rc = 1;
    server_write(w, "x");
    run(w);
    assert_int_equal(w->reentry_rc, DC_EINVAL);
    assert_int_equal(w->data_count, 1);
}

int main(void)
{
    harness_log_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hello_verify_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_without_srtp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_application_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_records_in_one_datagram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_fingerprint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_close_notify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chacha_not_sealed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_alert_from_peer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_on_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_on_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_on_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_from_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reentrant_calls_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
