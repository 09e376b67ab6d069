/* Unit tests for transport/sctpc_dc: WebRTC data channels on the native
 * SCTP core, with sctp.h's contract.  X is always the data channel layer on
 * our core; Y is usrsctp through transport/sctp.c ("_usr") or another X
 * ("_self").  Both speak through struct sctp_callbacks. */
#include "tests/unit/sctpc_pipe.h"

#define RUN_UNTIL(cond, max_ms)                                 \
    for (uint64_t t_ = 0; t_ < (max_ms) && !(cond); t_ += 100) \
        run_for(100)

static void up(enum ep_kind yk, uint32_t x_max)
{
    pair_up(EP_DC, yk, x_max, 0);
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1), DC_EAGAIN);
    assert_int_equal(sctpc_dc_open_channel(X.d, 0, "a", true, -1), DC_EAGAIN);
    pair_connect();
}

static void do_channels(enum ep_kind yk)
{
    up(yk, 0);
    assert_int_equal(sctpc_dc_open_channel(X.d, 0, "_reliable", true, -1), 0);
    assert_int_equal(sctpc_dc_open_channel(X.d, 2, "_lossy", false, 0), 0);
    assert_int_equal(sctpc_dc_open_channel(X.d, 2, "again", true, -1), DC_EEXIST);
    assert_int_equal(sctpc_dc_open_channel(X.d, SCTP_NUM_STREAMS, "far", true, -1), DC_EINVAL);
    assert_int_equal(sctpc_dc_open_channel(X.d, 4, NULL, true, -1), DC_EINVAL);
    struct sctp_channel_info ci;
    assert_true(sctpc_dc_channel_info(X.d, 2, &ci));
    assert_true(ci.local && !ci.acked);
    ep_open_channel(&Y, 1, false, -1);
    run_for(100);
    assert_int_equal(Y.channels, 2);
    assert_int_equal(X.channels, 1);
    assert_true(sctpc_dc_channel_info(X.d, 2, &ci));
    assert_true(ci.acked);
    assert_int_equal(ci.type, DCEP_CHANNEL_REXMIT_UNORDERED);
    assert_true(sctpc_dc_channel_info(X.d, 1, &ci));
    assert_false(ci.local);
    assert_string_equal(ci.label, "ch");
    assert_int_equal(ci.type, DCEP_CHANNEL_RELIABLE_UNORDERED);
    assert_false(sctpc_dc_channel_info(X.d, 3, &ci));
    assert_int_equal(sctpc_dc_hold(X.d, true), 0);
    assert_int_equal(sctpc_dc_hold(NULL, true), DC_EINVAL);
}

static void do_messages(enum ep_kind yk)
{
    up(yk, 0);
    ep_open_channel(&X, 0, true, -1);
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    X.check_order[1] = Y.check_order[0] = true;
    uint32_t sx = 0, sy = 0;
    loss_pct = 10;
    send_seq(&X, 0, 300, 700, &sx);
    send_seq(&Y, 1, 300, 500, &sy);
    RUN_UNTIL(Y.per_stream[0] == 300 && X.per_stream[1] == 300, 60000);
    assert_int_equal(Y.per_stream[0], 300);
    assert_int_equal(X.per_stream[1], 300);
    assert_int_equal(X.order_errors + Y.order_errors, 0);
    /* Empty messages travel as PPID 56/57 and arrive empty. */
    loss_pct = 0;
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_STRING, NULL, 0), 0);
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY_EMPTY, NULL, 0), 0);
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY_EMPTY, (const uint8_t *)"x", 1),
                     DC_EINVAL);
    assert_int_equal(sctpc_dc_send(X.d, 0, 99, (const uint8_t *)"x", 1), DC_EINVAL);
    assert_int_equal(sctpc_dc_send(X.d, 7, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ENOTFOUND);
    run_for(500);
    assert_int_equal(Y.per_stream[0], 302);
    assert_int_equal(Y.last_len, 0);
    struct sctp_stats st;
    sctpc_dc_stats(X.d, &st);
    assert_int_equal(st.msgs_out, 302);
    assert_int_equal(st.msgs_in, 300);
    assert_int_equal(sctpc_dc_buffered(X.d), 0);
}

static void do_close(enum ep_kind yk)
{
    up(yk, 0);
    ep_open_channel(&X, 0, true, -1);
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    assert_int_equal(sctpc_dc_close_channel(X.d, 0), 0);
    assert_int_equal(sctpc_dc_close_channel(X.d, 0), 0);
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ENOTFOUND);
    run_for(1000);
    assert_int_equal(X.chan_closed, 1);
    assert_int_equal(Y.chan_closed, 1);
    if (Y.u)
        assert_int_equal(sctp_assoc_close_channel(Y.u, 1), 0);
    else
        assert_int_equal(sctpc_dc_close_channel(Y.d, 1), 0);
    run_for(1000);
    assert_int_equal(X.chan_closed, 2);
    assert_int_equal(Y.chan_closed, 2);
    assert_int_equal(sctpc_dc_close_channel(X.d, 1), DC_ENOTFOUND);
    /* The stream can be opened again. */
    ep_open_channel(&X, 0, true, -1);
    run_for(100);
    assert_int_equal(Y.channels, 2);
}

static void do_too_big(enum ep_kind yk)
{
    pair_up(EP_DC, yk, 0, 0);
    sctpc_dc_free(X.d);
    X.d = sctpc_dc_new(&USR_CB, &X, 0, 0, 1000);
    pair_connect();
    ep_open_channel(&X, 0, true, -1);
    run_for(50);
    static uint8_t m[2000];
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY, m, 1001), DC_ETOOBIG);
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY, m, 1000), 0);
    struct sctp_stats st;
    sctpc_dc_stats(X.d, &st);
    assert_int_equal(st.drop_out_too_big, 1);
}

static void free_on_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *d, size_t n)
{
    (void)stream, (void)ppid, (void)d, (void)n;
    struct ep *e = ctx;
    e->msgs++;
    sctpc_dc_free(e->d); /* deferred: we are inside sctpc_dc_feed */
    e->d = NULL;
}

static void do_free(enum ep_kind yk)
{
    up(yk, 0);
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    /* Freed from inside its own callback: no further callbacks, no crash. */
    sctpc_dc_free(X.d);
    struct sctp_callbacks cb = USR_CB;
    cb.on_message = free_on_message;
    X.d = sctpc_dc_new(&cb, &X, 0, 0, 0);
    X.opened = Y.opened = 0;
    ep_free(&Y);
    ep_new(&Y, "Y", yk, 0);
    X.peer = &Y;
    Y.peer = &X;
    pair_connect();
    ep_open_channel(&Y, 1, true, -1);
    run_for(50);
    ep_send(&Y, 1, (const uint8_t *)"abcd", 4);
    ep_send(&Y, 1, (const uint8_t *)"efgh", 4);
    run_for(50);
    assert_null(X.d);
    assert_int_equal(X.msgs, 1);
    /* Freed from outside: the peer hears an ABORT. */
    ep_free(&Y);
    ep_new(&Y, "Y", yk, 0);
    X.d = sctpc_dc_new(&USR_CB, &X, 0, 0, 0);
    X.opened = 0;
    X.peer = &Y;
    Y.peer = &X;
    pair_connect();
    sctpc_dc_free(X.d);
    X.d = NULL;
    run_for(50);
    assert_int_equal(Y.closed, 1);
    assert_int_equal(Y.reason, SCTP_CLOSE_ABORTED);
}

static void do_shutdown(enum ep_kind yk)
{
    up(yk, 0);
    ep_open_channel(&X, 0, true, -1);
    run_for(50);
    uint32_t sx = 0;
    send_seq(&X, 0, 20, 3000, &sx);
    assert_int_equal(sctpc_dc_shutdown(X.d), 0);
    RUN_UNTIL(X.closed && Y.closed, 30000);
    assert_int_equal(Y.per_stream[0], 20);
    assert_int_equal(X.reason, SCTP_CLOSE_SHUTDOWN);
    assert_int_equal(Y.reason, SCTP_CLOSE_SHUTDOWN);
    assert_false(sctpc_dc_is_open(X.d));
    assert_int_equal(sctpc_dc_send(X.d, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ECLOSED);
}

#define BOTH(name)                                                        \
    static void test_##name##_usr(void **s) { (void)s; do_##name(EP_USR); } \
    static void test_##name##_self(void **s) { (void)s; do_##name(EP_DC); }
BOTH(channels)
BOTH(messages)
BOTH(close)
BOTH(too_big)
BOTH(free)
BOTH(shutdown)

#define T(name)                                               \
    cmocka_unit_test_teardown(test_##name##_usr, teardown), \
        cmocka_unit_test_teardown(test_##name##_self, teardown)

int main(void)
{
    if (getenv("SCTPC_TEST_SEED"))
        rng = strtoull(getenv("SCTPC_TEST_SEED"), NULL, 0) | 1;
    const struct CMUnitTest tests[] = {
        T(channels), T(messages), T(close), T(too_big), T(free), T(shutdown),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    dep_usrsctp_shutdown(1000);
    return r;
}
