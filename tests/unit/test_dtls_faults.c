/* Unit tests for transport/dtls under faults: lost flights and
 * retransmission on the fake clock, handshake timeout, alerts during the
 * handshake, garbage, truncated, altered, replayed and spoofed datagrams. */
#include "tests/unit/dtls_harness.h"
#include "transport/sctpc_wire.h"

static void test_lost_client_hello(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_mask_s = 1; /* the first ClientHello */
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 0);
    assert_int_equal(dtls_timeout_ms(w->c), (int64_t)w->now + 1000);
    advance(w, 999);
    assert_int_equal(w->n_to_s, 1);
    advance(w, 1);
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->n_to_s, 3);
    assert_true(w->s.client_fp_ok);
}

static void test_lost_server_flight(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_mask_c = 1; /* ServerHello..ServerHelloDone */
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 0);
    advance(w, 1000); /* our ClientHello again; the server resends its flight */
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->closed, 0);
}

static void test_lost_client_finished(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_mask_s = 2; /* Certificate..Finished */
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_int_equal(w->connected, 0);
    assert_int_equal(w->n_to_s, 2);
    advance(w, 1000);
    /* both timers fire: our flight goes again, maybe twice (the server's
     * repeated flight also prompts a resend) */
    assert_true(w->n_to_s >= 3);
    assert_int_equal(w->connected, 1);
    assert_true(w->s.done);
}

static void test_lost_server_finished(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_mask_c = 2; /* the server's ChangeCipherSpec+Finished */
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_true(w->s.done);
    assert_int_equal(w->connected, 0);
    advance(w, 1000); /* we resend our flight; the server answers with its last one */
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->closed, 0);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"late", 4), 0);
    run(w);
    assert_int_equal(w->s.rx_count, 1);
}

static void test_handshake_timeout(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_all_s = true;
    uint64_t t0 = w->now;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    while (!w->closed && w->now < t0 + 60000)
        advance(w, 100);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_TIMEOUT);
    assert_int_equal(w->connected, 0);
    /* sent at 0, 1, 3, 7, 15 s; gave up at 31 s */
    assert_int_equal(w->n_to_s, 5);
    assert_true(w->now - t0 >= 31000 && w->now - t0 <= 31100);
    assert_int_equal(dtls_timeout_ms(w->c), -1);
    /* later retransmissions used the reduced MTU and never exceeded ours */
    assert_true(w->max_dgram_s <= DTLS_MTU);
}

static void test_alert_during_handshake(void **state)
{
    (void)state;
    struct world *w = &W;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    q_clear(&w->to_s);
    /* the server refuses at once */
    const uint8_t alert[] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40};
    assert_int_equal(dtls_feed(w->c, w->now, alert, sizeof alert), DC_ECLOSED);
    assert_int_equal(w->closed, 1);
    assert_int_equal(w->reason, DTLS_CLOSE_ALERT);
    assert_int_equal(w->connected, 0);
}

/* Malformed datagrams that must be dropped whatever the state. */
static void feed_malformed(struct world *w)
{
    static const uint8_t g1[] = {22};
    static const uint8_t g2[] = {23, 0xfe, 0xfd};
    /* header claims 0x4000 bytes, carries 2 */
    static const uint8_t g3[] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 7, 0x40, 0, 1, 2};
    /* wrong version */
    static const uint8_t g4[] = {22, 0x03, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    /* handshake header cut short */
    static const uint8_t g5[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 3, 2, 0, 0};
    /* application data in epoch 0 / epoch 7 */
    static const uint8_t g6[] = {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 'h', 'i'};
    static const uint8_t g7[] = {23, 0xfe, 0xfd, 0, 7, 0, 0, 0, 0, 0, 3, 0, 2, 'h', 'i'};
    /* unknown content type 63 */
    static const uint8_t g8[] = {63, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    static const uint8_t *all[] = {g1, g2, g3, g4, g5, g6, g7, g8};
    static const size_t lens[] = {sizeof g1, sizeof g2, sizeof g3, sizeof g4,
                                  sizeof g5, sizeof g6, sizeof g7, sizeof g8};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        assert_int_equal(dtls_feed(w->c, w->now, all[i], lens[i]), 0);
}

static void test_garbage_during_handshake(void **state)
{
    (void)state;
    struct world *w = &W;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    feed_malformed(w);
    srv_run(w);
    feed_malformed(w); /* before the server's flight */
    run(w);
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->closed, 0);
}

/* A valid SCTP INIT packet (common header, INIT chunk) into p; returns 32. */
static size_t sctp_init_packet(uint8_t *p)
{
    static const uint8_t init[32] = {
        0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0, /* ports 5000, vtag 0, crc */
        1, 0, 0, 20, 0x11, 0x22, 0x33, 0x44,            /* INIT, length 20, init tag */
        0, 0x10, 0, 0, 0, 64, 0, 64, 0, 0, 0, 1};       /* a_rwnd, 64/64 streams, TSN */
    memcpy(p, init, sizeof init);
    sctpc_seal(p, sizeof init);
    return sizeof init;
}

/* SCTP only after DTLS: application data that arrives before the handshake
 * is complete never reaches on_data (the SCTP stack's input): an SCTP INIT
 * in a plaintext application-data record, the same in epoch 1 (where only
 * encrypted records belong), and a genuine encrypted record the server sent
 * once its side was done, while its last flight is lost.  on_connected comes
 * first; data flows after it. */
static void test_app_data_before_handshake(void **state)
{
    (void)state;
    struct world *w = &W;
    w->drop_mask_c = 2; /* the server's ChangeCipherSpec+Finished */
    assert_int_equal(dtls_start(w->c, w->now), 0);
    run(w);
    assert_true(w->s.done);
    assert_int_equal(w->connected, 0);
    uint8_t rec[13 + 32] = {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 32};
    sctp_init_packet(rec + 13);
    assert_int_equal(dtls_feed(w->c, w->now, rec, sizeof rec), 0);
    rec[4] = 1; /* epoch 1, sequence 9: fails authentication */
    assert_int_equal(dtls_feed(w->c, w->now, rec, sizeof rec), 0);
    server_write(w, "early"); /* encrypted, epoch 1, before our handshake is done */
    run(w);
    assert_int_equal(w->data_count, 0);
    assert_int_equal(w->connected, 0);
    assert_int_equal(w->closed, 0);
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"x", 1), DC_EAGAIN);
    advance(w, 1000); /* our flight again; the server repeats its last one */
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->data_early, 0);
    server_write(w, "after");
    run(w);
    assert_int_equal(w->data_count, 1); /* the early record was dropped (SCTP resends) */
    assert_int_equal(w->rx_len, 5);
    assert_memory_equal(w->rx, "after", 5);
    assert_int_equal(w->data_early, 0);
}

/* A spoofed plaintext handshake fragment with a huge record sequence number
 * must not make the genuine flight (small sequence numbers) look replayed. */
static void test_spoofed_record_sequence(void **state)
{
    (void)state;
    struct world *w = &W;
    static const uint8_t spoof[] = {22, 0xfe, 0xfd, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0, 14,
                                    2, 0, 0, 2, 0, 99, 0, 0, 0, 0, 0, 2, 0xaa, 0xbb};
    assert_int_equal(dtls_start(w->c, w->now), 0);
    assert_int_equal(dtls_feed(w->c, w->now, spoof, sizeof spoof), 0);
    run(w);
    assert_int_equal(w->connected, 1);
    assert_int_equal(w->closed, 0);
    /* once connected, replay protection is on: a replayed record is dropped */
    server_write(w, "once");
    struct dgram g = q_pop(&w->to_c);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n), 0);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n), 0);
    assert_int_equal(w->data_count, 1);
    free(g.p);
}

static uint32_t xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_garbage_and_truncation_when_connected(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    const uint8_t not_dtls[] = {0, 1, 0, 0};
    assert_int_equal(dtls_feed(w->c, w->now, not_dtls, sizeof not_dtls), DC_EPROTO);
    assert_int_equal(dtls_feed(w->c, w->now, not_dtls, 0), DC_EPROTO);
    feed_malformed(w);

    /* a genuine record, cut short or altered, is dropped; the original then
     * arrives; a replay of it is dropped */
    server_write(w, "payload");
    struct dgram g = q_pop(&w->to_c);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n - 1), 0);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, 13), 0);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n / 2), 0);
    g.p[g.n - 3] ^= 0x40;
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n), 0);
    g.p[g.n - 3] ^= 0x40;
    assert_int_equal(w->data_count, 0);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n), 0);
    assert_int_equal(w->data_count, 1);
    assert_memory_equal(w->rx, "payload", 7);
    assert_int_equal(dtls_feed(w->c, w->now, g.p, g.n), 0);
    assert_int_equal(w->data_count, 1);
    free(g.p);
    assert_int_equal(w->closed, 0);
}

/* Random datagrams, half of them with plausible record headers, while
 * connected: all dropped, and the session still works both ways. */
static void test_random_datagrams_when_connected(void **state)
{
    (void)state;
    struct world *w = &W;
    connect_world(w);
    uint32_t seed = 0x9e3779b9u;
    uint8_t buf[1500];
    for (int i = 0; i < 3000; i++) {
        size_t n = 1 + xorshift(&seed) % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)xorshift(&seed);
        buf[0] = (uint8_t)(20 + xorshift(&seed) % 44);
        if (i % 2 && n >= 13) {
            buf[1] = 0xfe;
            buf[2] = 0xfd;
            buf[3] = 0;
            buf[4] = (uint8_t)(xorshift(&seed) % 2);
            size_t body = n - 13;
            buf[11] = (uint8_t)(body >> 8);
            buf[12] = (uint8_t)body;
        }
        assert_int_equal(dtls_feed(w->c, w->now, buf, n), 0);
    }
    assert_int_equal(w->closed, 0);
    assert_int_equal(w->data_count, 0);
    server_write(w, "after");
    assert_int_equal(dtls_send(w->c, (const uint8_t *)"again", 5), 0);
    run(w);
    assert_int_equal(w->data_count, 1);
    assert_memory_equal(w->rx, "after", 5);
    assert_int_equal(w->s.rx_count, 1);
    assert_int_equal(w->s.err, 0);
}

/* Random datagrams during the handshake: whatever they do, the session ends
 * up either connected or closed once, never crashed or stuck. */
static void test_random_datagrams_during_handshake(void **state)
{
    (void)state;
    struct world *w = &W;
    assert_int_equal(dtls_start(w->c, w->now), 0);
    uint32_t seed = 0x2545f491u;
    uint8_t buf[600];
    for (int i = 0; i < 2000 && w->c && dtls_state(w->c) == DTLS_HANDSHAKING; i++) {
        size_t n = 1 + xorshift(&seed) % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)xorshift(&seed);
        buf[0] = (uint8_t)(20 + xorshift(&seed) % 4);
        if (n >= 25) { /* a record header and a handshake fragment header */
            buf[1] = 0xfe;
            buf[2] = 0xfd;
            buf[3] = buf[4] = 0;
            size_t body = n - 13;
            buf[11] = (uint8_t)(body >> 8);
            buf[12] = (uint8_t)body;
            size_t frag = body - 12;
            buf[14] = buf[19] = 0;
            buf[15] = buf[23] = (uint8_t)(frag >> 8);
            buf[16] = buf[24] = (uint8_t)frag;
            buf[20] = buf[21] = buf[22] = 0;
        }
        int rc = dtls_feed(w->c, w->now, buf, n);
        assert_true(rc == 0 || rc == DC_ECLOSED);
    }
    run(w);
    for (int i = 0; i < 40 && !w->connected && !w->closed; i++)
        advance(w, 1000);
    assert_int_equal(w->connected + w->closed, 1);
    if (getenv("DTLS_TEST_DEBUG"))
        printf("random handshake datagrams: connected=%d closed=%d reason=%s\n", w->connected,
               w->closed, dtls_close_reason_str(w->reason));
}

int main(void)
{
    harness_log_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lost_client_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_server_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_client_finished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_server_finished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_during_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_during_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_data_before_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spoofed_record_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_and_truncation_when_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_datagrams_when_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_datagrams_during_handshake, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
