/* Unit tests for the native SCTP core (transport/sctpc): our core against
 * usrsctp (transport/sctp.c) and against itself, in memory, with loss,
 * duplication and reordering under a fake clock.  X is always ours; Y is
 * usrsctp ("_usr" tests) or ours ("_self"). */
#include "tests/unit/sctpc_pipe.h"

/* Runs the pipe until `cond` holds or max_ms of fake time passed. */
#define RUN_UNTIL(cond, max_ms)                                   \
    for (uint64_t t_ = 0; t_ < (max_ms) && !(cond); t_ += 100)   \
        run_for(100)

static struct sctpc_stats ours_stats(const struct ep *e)
{
    struct sctpc_stats s;
    sctpc_stats(e->c, &s);
    return s;
}

/* X opens reliable channel 0, Y opens reliable channel 1. */
static void setup_reliable(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 0, 0);
    pair_connect();
    ep_open_channel(&X, 0, true, -1);
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    assert_int_equal(X.channels, 1);
    assert_int_equal(Y.channels, 1);
    X.check_order[1] = Y.check_order[0] = true;
}

static void do_setup(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 0, 0);
    pair_connect();
    assert_int_equal(sctpc_connect(X.c, now_ms), DC_EINVAL);
    pair_free();
    /* Only X connects: the other end answers as a passive endpoint. */
    pair_up(EP_OURS, yk, 0, 0);
    assert_int_equal(sctpc_connect(X.c, now_ms), 0);
    run_for(200);
    assert_int_equal(X.opened, 1);
    assert_int_equal(Y.opened, 1);
    pair_free();
    /* Handshake under 30% loss completes through the T1 timers. */
    pair_up(EP_OURS, yk, 0, 0);
    loss_pct = 30;
    pair_connect();
}

static void do_ordered(enum ep_kind yk)
{
    setup_reliable(yk);
    uint32_t sx = 0, sy = 0;
    send_seq(&X, 0, 1000, 100, &sx);
    send_seq(&Y, 1, 1000, 100, &sy);
    run_for(500);
    assert_int_equal(Y.per_stream[0], 1000);
    assert_int_equal(X.per_stream[1], 1000);
    assert_int_equal(X.order_errors + Y.order_errors, 0);
    assert_int_equal(sctpc_buffered(X.c), 0);
}

static void lossy_run(enum ep_kind yk, unsigned pct)
{
    setup_reliable(yk);
    loss_pct = pct;
    dup_pct = 3;
    reorder_pct = 5;
    uint32_t sx = 0, sy = 0;
    for (int round = 0; round < 10; round++) {
        send_seq(&X, 0, 40, 300 + (size_t)round * 150, &sx);
        send_seq(&Y, 1, 40, 200 + (size_t)round * 170, &sy);
        run_for(100);
    }
    /* usrsctp backs off up to 60 s per timeout: under 20% loss it may
     * need many minutes of (fake) time for its last messages. */
    RUN_UNTIL(Y.per_stream[0] == 400 && X.per_stream[1] == 400, 1800000);
    assert_int_equal(Y.per_stream[0], 400);
    assert_int_equal(X.per_stream[1], 400);
    assert_int_equal(X.order_errors + Y.order_errors, 0);
    assert_int_equal(X.dup_errors + Y.dup_errors, 0);
    struct sctpc_stats s = ours_stats(&X);
    assert_true(s.rtx_t3 + s.rtx_fast > 0);
    assert_true(s.dup_tsns > 0);
}

static void do_loss10(enum ep_kind yk) { lossy_run(yk, 10); }
static void do_loss20(enum ep_kind yk) { lossy_run(yk, 20); }

static void do_big(enum ep_kind yk)
{
    setup_reliable(yk);
    size_t n = 200 * 1024;
    uint8_t *m = malloc(n);
    for (size_t i = 0; i < n; i++)
        m[i] = (uint8_t)(i * 7 + (i >> 9));
    memset(m, 0, 4); /* sequence 0 */
    uint32_t want = sum32(m, n);
    assert_int_equal(ep_send(&X, 0, m, n), 0);
    assert_int_equal(ep_send(&Y, 1, m, n), 0);
    loss_pct = 5;
    RUN_UNTIL(Y.last_len == n && X.last_len == n, 60000);
    assert_int_equal(Y.last_len, n);
    assert_int_equal(Y.last_sum, want);
    assert_int_equal(X.last_len, n);
    assert_int_equal(X.last_sum, want);
    free(m);
}

/* Unordered max_rexmit 0 channels under loss: nothing stalls, FORWARD-TSN
 * moves the peer on, and reliable traffic behind it all arrives. */
static void do_lossy_channel(enum ep_kind yk)
{
    setup_reliable(yk);
    ep_open_channel(&X, 2, false, 0);
    ep_open_channel(&Y, 3, false, 0);
    run_for(50);
    loss_pct = 20;
    uint32_t sx = 0, sy = 0, lx = 0, ly = 0;
    for (int round = 0; round < 10; round++) {
        send_seq(&X, 2, 30, 200, &lx);
        send_seq(&Y, 3, 30, 200, &ly);
        send_seq(&X, 0, 5, 100, &sx);
        send_seq(&Y, 1, 5, 100, &sy);
        run_for(50);
    }
    RUN_UNTIL(Y.per_stream[0] == 50 && X.per_stream[1] == 50, 120000);
    assert_int_equal(Y.per_stream[0], 50);
    assert_int_equal(X.per_stream[1], 50);
    /* Our sender gets most through; usrsctp abandons more eagerly. */
    assert_true(Y.per_stream[2] > 100 && Y.per_stream[2] <= 300);
    assert_true(X.per_stream[3] > (yk == EP_OURS ? 100 : 30) && X.per_stream[3] <= 300);
    struct sctpc_stats s = ours_stats(&X);
    assert_true(s.abandoned > 0);
    assert_true(s.fwd_tsn_out > 0);
    assert_int_equal(X.order_errors + Y.order_errors, 0);
    assert_int_equal(X.dup_errors + Y.dup_errors, 0);
    loss_pct = 0;
    run_for(2000);
    assert_int_equal(sctpc_buffered(X.c), 0);
}

/* Reliable unordered channels under loss, heavy reordering and
 * duplication: every message exactly once. */
static void do_unordered(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 0, 0);
    pair_connect();
    ep_open_channel(&X, 0, false, -1);
    ep_open_channel(&Y, 1, false, -1);
    run_for(50);
    loss_pct = 10;
    dup_pct = 10;
    reorder_pct = 30;
    uint32_t sx = 0, sy = 0;
    for (int round = 0; round < 10; round++) {
        send_seq(&X, 0, 50, 100 + (size_t)round * 300, &sx);
        send_seq(&Y, 1, 50, 100 + (size_t)round * 250, &sy);
        run_for(100);
    }
    RUN_UNTIL(Y.per_stream[0] == 500 && X.per_stream[1] == 500, 1800000);
    assert_int_equal(Y.per_stream[0], 500);
    assert_int_equal(X.per_stream[1], 500);
    assert_int_equal(X.dup_errors + Y.dup_errors, 0);
}

/* A channel with a 200 ms lifetime: what cannot get through in time is
 * abandoned (also before its first transmission), the rest arrives. */
static void do_timed_channel(enum ep_kind yk)
{
    setup_reliable(yk);
    struct dcep_open o = {.channel_type = DCEP_CHANNEL_TIMED_UNORDERED,
                          .priority = DCEP_PRIORITY_NORMAL, .reliability = 200,
                          .label = "t", .label_len = 1};
    uint8_t buf[32];
    int n = dcep_build_open(&o, buf, sizeof buf);
    assert_non_null(datachannel_add(&X.dct, 4, o.channel_type, 200, "t", 1, NULL, 0, true));
    assert_int_equal(sctpc_send(X.c, 4, DCEP_PPID_CONTROL, buf, (size_t)n, NULL, now_ms), 0);
    run_for(50);
    assert_int_equal(X.acks, 2);
    loss_pct = 100;
    uint32_t lx = 0, sx = 0;
    send_seq(&X, 4, 200, 400, &lx);
    run_for(1000);
    loss_pct = 0;
    send_seq(&X, 0, 5, 100, &sx);
    RUN_UNTIL(Y.per_stream[0] == 5, 20000);
    assert_int_equal(Y.per_stream[0], 5);
    assert_int_equal(Y.per_stream[4], 0);
    assert_true(ours_stats(&X).abandoned >= 200);
    run_for(2000);
    assert_int_equal(sctpc_buffered(X.c), 0);
}

static void do_dcep(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 0, 0);
    pair_connect();
    ep_open_channel(&X, 0, true, -1);
    ep_open_channel(&X, 2, false, 0);
    ep_open_channel(&Y, 1, false, -1);
    run_for(50);
    assert_int_equal(Y.channels, 2);
    assert_int_equal(X.acks, 2);
    assert_int_equal(X.channels, 1);
    const struct datachannel *c = datachannel_find(&X.dct, 1);
    assert_non_null(c);
    assert_int_equal(c->type, DCEP_CHANNEL_RELIABLE_UNORDERED);
    c = datachannel_find(&X.dct, 2);
    assert_int_equal(c->state, DATACHANNEL_OPEN);
}

static void do_reset(enum ep_kind yk)
{
    setup_reliable(yk);
    uint32_t sx = 0;
    send_seq(&X, 0, 10, 50, &sx);
    datachannel_find(&X.dct, 0)->state = DATACHANNEL_CLOSING;
    assert_int_equal(sctpc_reset_stream(X.c, 0), 0);
    assert_int_equal(sctpc_reset_stream(X.c, 0), DC_EEXIST);
    assert_int_equal(ep_send(&X, 0, (const uint8_t *)"abcd", 4), DC_EAGAIN);
    run_for(1000);
    assert_int_equal(Y.per_stream[0], 10);
    assert_int_equal(X.reset_done, 1);
    assert_int_equal(X.peer_resets, 1); /* the peer reset its side back */
    if (yk == EP_USR)
        assert_int_equal(Y.chan_closed, 1);
    else
        assert_int_equal(Y.peer_resets, 1);
    /* The stream works again from SSN 0 in both directions. */
    datachannel_remove(&X.dct, 0);
    if (yk == EP_OURS)
        datachannel_remove(&Y.dct, 0);
    ep_open_channel(&X, 0, true, -1);
    run_for(100);
    Y.next_seq[0] = 0;
    sx = 0;
    send_seq(&X, 0, 10, 50, &sx);
    run_for(500);
    assert_int_equal(Y.per_stream[0], 20);
    assert_int_equal(Y.order_errors, 0);
    /* The peer closes its channel 1: we reset ours back. */
    if (yk == EP_USR) {
        assert_int_equal(sctp_assoc_close_channel(Y.u, 1), 0);
    } else {
        datachannel_find(&Y.dct, 1)->state = DATACHANNEL_CLOSING;
        assert_int_equal(sctpc_reset_stream(Y.c, 1), 0);
    }
    run_for(1000);
    assert_int_equal(X.peer_resets, 2);
    assert_int_equal(X.reset_done, 2);
    if (yk == EP_USR)
        assert_int_equal(Y.chan_closed, 2);
    else
        assert_int_equal(Y.reset_done, 2);
}

static void do_abort(enum ep_kind yk)
{
    setup_reliable(yk);
    sctpc_abort(X.c);
    assert_false(sctpc_is_open(X.c));
    run_for(50);
    assert_int_equal(Y.closed, 1);
    assert_int_equal(Y.reason, SCTPC_CLOSE_ABORTED);
    assert_int_equal(X.closed, 0);
    pair_free();
    /* The other way round. */
    setup_reliable(yk);
    if (Y.u) {
        sctp_assoc_free(Y.u);
        Y.u = NULL;
    } else {
        sctpc_abort(Y.c);
    }
    run_for(50);
    assert_int_equal(X.closed, 1);
    assert_int_equal(X.reason, SCTPC_CLOSE_ABORTED);
}

static void do_shutdown(enum ep_kind yk)
{
    setup_reliable(yk);
    uint32_t sx = 0;
    loss_pct = 10;
    send_seq(&X, 0, 50, 500, &sx);
    assert_int_equal(sctpc_shutdown(X.c), 0);
    RUN_UNTIL(X.closed && Y.closed, 60000);
    assert_int_equal(Y.per_stream[0], 50);
    assert_int_equal(X.closed, 1);
    assert_int_equal(X.reason, SCTPC_CLOSE_SHUTDOWN);
    assert_int_equal(Y.closed, 1);
    assert_int_equal(Y.reason, SCTPC_CLOSE_SHUTDOWN);
    pair_free();
    /* Peer-initiated. */
    setup_reliable(yk);
    if (Y.u)
        assert_int_equal(sctp_assoc_shutdown(Y.u), 0);
    else
        assert_int_equal(sctpc_shutdown(Y.c), 0);
    run_for(2000);
    assert_int_equal(X.closed, 1);
    assert_int_equal(X.reason, SCTPC_CLOSE_SHUTDOWN);
}

/* Our receiver drops messages over its limit, whole, and carries on. */
static void do_too_big(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 64 * 1024, 0);
    pair_connect();
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    uint8_t *m = calloc(1, 100000);
    uint32_t seq = 0;
    assert_int_equal(ep_send(&Y, 1, m, 100000), 0);
    send_seq(&Y, 1, 3, 10, &seq);
    sctpc_wr32(m, 1);
    assert_int_equal(ep_send(&Y, 1, m, 60000), 0);
    loss_pct = 10;
    reorder_pct = 10;
    RUN_UNTIL(X.per_stream[1] == 4, 60000);
    assert_int_equal(X.per_stream[1], 4);
    assert_int_equal(X.last_len, 60000);
    assert_int_equal(ours_stats(&X).drop_too_big, 1);
    free(m);
}

/* A dead link: retransmissions run out and the association fails. */
static void do_dead_link(enum ep_kind yk)
{
    setup_reliable(yk);
    uint32_t sx = 0;
    send_seq(&X, 0, 5, 100, &sx);
    loss_pct = 100;
    RUN_UNTIL(X.closed, 120000);
    assert_int_equal(X.closed, 1);
    assert_int_equal(X.reason, SCTPC_CLOSE_ABORTED);
    assert_int_equal(ep_send(&X, 0, (const uint8_t *)"abcd", 4), DC_ECLOSED);
}

/* Sends are refused before the association is up and when the buffer is
 * full; on_writable follows once SACKs drain it. */
static void do_backpressure(enum ep_kind yk)
{
    pair_up(EP_OURS, yk, 0, 0);
    assert_int_equal(sctpc_send(X.c, 0, 53, (const uint8_t *)"x", 1, NULL, now_ms), DC_EAGAIN);
    pair_connect();
    ep_open_channel(&X, 0, true, -1);
    run_for(50);
    static uint8_t big[60000];
    int n = 0;
    while (ep_send(&X, 0, big, sizeof big) == 0)
        n++;
    assert_true(n >= 30);
    assert_int_equal(X.writable, 0);
    assert_int_equal(sctpc_send(X.c, 0, 53, NULL, 0, NULL, now_ms), DC_EINVAL);
    assert_int_equal(sctpc_send(X.c, SCTPC_STREAMS, 53, big, 1, NULL, now_ms), DC_EINVAL);
    RUN_UNTIL(X.writable > 0, 10000);
    assert_true(X.writable > 0);
    RUN_UNTIL(Y.per_stream[0] == (uint64_t)n, 30000);
    assert_int_equal(Y.per_stream[0], n);
    assert_int_equal(sctpc_buffered(X.c), 0);
}

/* A HEARTBEAT is answered with its info echoed (usrsctp sends them when
 * idle; here one is crafted). */
static void do_heartbeat(enum ep_kind yk)
{
    setup_reliable(yk);
    if (yk == EP_USR) {
        run_for(70000); /* idle: usrsctp heartbeats every 30 s */
        assert_true(ep_open(&X) && ep_open(&Y));
        assert_int_equal(X.closed + Y.closed, 0);
        return;
    }
    uint8_t pkt[64], info[12] = {0, 1, 0, 12, 'p', 'i', 'n', 'g', 1, 2, 3, 4};
    sctpc_put_header(pkt, 5000, X.c->my_vtag);
    int n = sctpc_put_chunk(pkt + 12, sizeof pkt - 12, SCTPC_HEARTBEAT, 0, info, sizeof info);
    sctpc_seal(pkt, 12 + (size_t)n);
    ep_clear_queue(&X);
    sctpc_feed(X.c, pkt, 12 + (size_t)n, now_ms);
    sctpc_flush(X.c, now_ms);
    assert_non_null(X.head);
    assert_int_equal(X.head->data[12], SCTPC_HEARTBEAT_ACK);
    assert_memory_equal(X.head->data + 16, info, sizeof info);
    assert_int_equal(sctpc_rd32(X.head->data + 4), X.c->peer_vtag);
}

#define BOTH(name)                                                        \
    static void test_##name##_usr(void **s) { (void)s; do_##name(EP_USR); } \
    static void test_##name##_self(void **s) { (void)s; do_##name(EP_OURS); }
BOTH(setup)
BOTH(ordered)
BOTH(loss10)
BOTH(loss20)
BOTH(big)
BOTH(lossy_channel)
BOTH(dcep)
BOTH(timed_channel)
BOTH(unordered)
BOTH(reset)
BOTH(abort)
BOTH(shutdown)
BOTH(too_big)
BOTH(dead_link)
BOTH(backpressure)
BOTH(heartbeat)

#define T(name)                                               \
    cmocka_unit_test_teardown(test_##name##_usr, teardown), \
        cmocka_unit_test_teardown(test_##name##_self, teardown)

int main(void)
{
    /* SCTPC_TEST_SEED picks another loss pattern; SCTPC_TEST_FILTER a test. */
    if (getenv("SCTPC_TEST_SEED"))
        rng = strtoull(getenv("SCTPC_TEST_SEED"), NULL, 0) | 1;
    if (getenv("SCTPC_TEST_FILTER"))
        cmocka_set_test_filter(getenv("SCTPC_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        T(setup), T(ordered), T(loss10),  T(loss20), T(big),       T(lossy_channel),
        T(dcep),  T(reset),   T(abort),   T(shutdown), T(too_big),  T(dead_link),
        T(backpressure), T(heartbeat), T(timed_channel), T(unordered),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    dep_usrsctp_shutdown(1000);
    return r;
}
