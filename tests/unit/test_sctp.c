/* Unit tests for transport/sctp: two associations in one process, wired
 * back to back through in-memory queues that the test pumps, under a fake
 * clock, with optional random packet loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "tests/unit/fake_clock.h"
#include "transport/dcep.h"
#include "transport/dep_usrsctp.h"
#include "transport/sctp.h"
#include "transport/sctp_internal.h"

/* ---- the pipe ----------------------------------------------------------- */

struct pkt {
    struct pkt *next;
    size_t len;
    uint8_t data[];
};

struct msg {
    uint16_t stream;
    uint32_t ppid;
    size_t len;
    uint8_t *data;
};

struct side {
    const char *name;
    struct sctp_assoc *a;
    struct side *peer;
    struct pkt *head, *tail; /* packets this side sent, not yet delivered */
    int opened, closed, close_reason, writable;
    int channels;
    uint16_t chan_stream[16];
    char chan_label[16][32];
    int chan_type[16];
    uint32_t chan_rel[16];
    int closed_channels;
    uint16_t closed_stream[16];
    struct msg *msgs;
    size_t nmsgs, capmsgs;
    bool keep_data;   /* store message bytes (else only length and checksum) */
    bool free_on_msg; /* free the association from inside on_message */
    int send_in_send; /* result of sctp_assoc_send called from inside send */
    bool try_send_in_send;
    int refill; /* messages still to send from inside on_writable */
    int refilled;
};

static struct side A, B;

static unsigned loss_pct;
static uint32_t rng = 1;
static uint64_t dropped_pkts;

static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static void cb_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct side *s = ctx;
    if (s->try_send_in_send)
        s->send_in_send = sctp_assoc_send(s->a, 0, DCEP_PPID_BINARY, pkt, 1);
    struct pkt *p = malloc(sizeof *p + len);
    p->next = NULL;
    p->len = len;
    memcpy(p->data, pkt, len);
    if (s->tail)
        s->tail->next = p;
    else
        s->head = p;
    s->tail = p;
}

static void cb_open(void *ctx) { ((struct side *)ctx)->opened++; }

static void cb_channel(void *ctx, uint16_t stream, const char *label, const char *protocol,
                       int type, uint32_t reliability)
{
    struct side *s = ctx;
    assert_non_null(protocol);
    assert_true(s->channels < 16);
    s->chan_stream[s->channels] = stream;
    snprintf(s->chan_label[s->channels], sizeof s->chan_label[0], "%s", label);
    s->chan_type[s->channels] = type;
    s->chan_rel[s->channels] = reliability;
    s->channels++;
}

static void cb_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len)
{
    struct side *s = ctx;
    assert_non_null(data);
    if (s->nmsgs == s->capmsgs) {
        s->capmsgs = s->capmsgs ? s->capmsgs * 2 : 64;
        s->msgs = realloc(s->msgs, s->capmsgs * sizeof *s->msgs);
    }
    struct msg *m = &s->msgs[s->nmsgs++];
    m->stream = stream;
    m->ppid = ppid;
    m->len = len;
    m->data = NULL;
    if (s->keep_data || len <= 8) {
        m->data = malloc(len ? len : 1);
        memcpy(m->data, data, len);
    }
    if (s->free_on_msg) {
        sctp_assoc_free(s->a); /* deferred: usrsctp is on the stack */
        s->a = NULL;
    }
}

static void cb_channel_closed(void *ctx, uint16_t stream)
{
    struct side *s = ctx;
    assert_true(s->closed_channels < 16);
    s->closed_stream[s->closed_channels++] = stream;
}

static void cb_closed(void *ctx, int reason)
{
    struct side *s = ctx;
    s->closed++;
    s->close_reason = reason;
}

/* With refill set, sends from inside the callback until the buffer is
 * full again (re-entering usrsctp from its send-space callback). */
static void cb_writable(void *ctx)
{
    struct side *s = ctx;
    s->writable++;
    static uint8_t m[60000];
    while (s->refill > 0 && sctp_assoc_send(s->a, 0, DCEP_PPID_BINARY, m, sizeof m) == 0) {
        s->refill--;
        s->refilled++;
    }
}

static const struct sctp_callbacks CB = {
    .send = cb_send,
    .on_open = cb_open,
    .on_channel = cb_channel,
    .on_message = cb_message,
    .on_channel_closed = cb_channel_closed,
    .on_closed = cb_closed,
    .on_writable = cb_writable,
};

static void side_clear_queue(struct side *s)
{
    while (s->head) {
        struct pkt *p = s->head;
        s->head = p->next;
        free(p);
    }
    s->tail = NULL;
}

static void side_clear_msgs(struct side *s)
{
    for (size_t i = 0; i < s->nmsgs; i++)
        free(s->msgs[i].data);
    free(s->msgs);
    s->msgs = NULL;
    s->nmsgs = s->capmsgs = 0;
}

static void side_reset(struct side *s)
{
    if (s->a)
        sctp_assoc_free(s->a);
    side_clear_queue(s);
    side_clear_msgs(s);
    memset(s, 0, sizeof *s);
}

/* Delivers the packets s has queued so far to its peer (new ones wait). */
static int deliver_from(struct side *s)
{
    struct pkt *p = s->head;
    s->head = s->tail = NULL;
    int n = 0;
    while (p) {
        struct pkt *next = p->next;
        bool lost = loss_pct && rnd() % 100 < loss_pct;
        if (lost)
            dropped_pkts++;
        else if (s->peer->a)
            sctp_assoc_feed(s->peer->a, p->data, p->len);
        free(p);
        p = next;
        n++;
    }
    return n;
}

static void pump(void)
{
    for (int i = 0; i < 1000; i++)
        if (deliver_from(&A) + deliver_from(&B) == 0)
            return;
    fail_msg("pipe never went quiet");
}

/* Pumps and advances the clock in steps of step_ms, for ms. */
static void run_for(uint64_t ms, uint64_t step_ms)
{
    for (uint64_t t = 0; t < ms; t += step_ms) {
        pump();
        now_ms += step_ms;
        sctp_tick(now_ms);
    }
    pump();
}

/* Creates A and B (A with the given limits) and connects them. */
static void pair_new(uint32_t a_max, uint32_t a_remote_max, uint32_t b_max, uint32_t b_remote_max)
{
    side_reset(&A);
    side_reset(&B);
    A.name = "A";
    B.name = "B";
    A.peer = &B;
    B.peer = &A;
    A.a = sctp_assoc_new(&CB, &A, 5000, a_max, a_remote_max);
    B.a = sctp_assoc_new(&CB, &B, 5000, b_max, b_remote_max);
    assert_non_null(A.a);
    assert_non_null(B.a);
}

static void pair_connect(void)
{
    assert_int_equal(sctp_assoc_connect(A.a), 0);
    assert_int_equal(sctp_assoc_connect(B.a), 0);
    for (int i = 0; i < 100 && !(A.opened && B.opened); i++)
        run_for(10, 10);
    assert_int_equal(A.opened, 1);
    assert_int_equal(B.opened, 1);
    assert_true(sctp_assoc_is_open(A.a));
    assert_true(sctp_assoc_is_open(B.a));
}

/* A opens _reliable on stream 0 and _lossy on stream 2 (even: DTLS client). */
static void open_channels(void)
{
    assert_int_equal(sctp_assoc_open_channel(A.a, 0, "_reliable", true, -1), 0);
    assert_int_equal(sctp_assoc_open_channel(A.a, 2, "_lossy", false, 0), 0);
    run_for(50, 10);
    assert_int_equal(B.channels, 2);
}

static void pair_free(void)
{
    side_reset(&A);
    side_reset(&B);
    loss_pct = 0;
}

static int teardown(void **state)
{
    (void)state;
    pair_free();
    assert_int_equal(dep_usrsctp_refs(), 0);
    return 0;
}

static uint8_t *pattern(size_t len, uint32_t seed)
{
    uint8_t *b = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
    return b;
}

/* ---- tests ---------------------------------------------------------------- */

/* Fills m (100 bytes) with a pattern of seed. */
static uint8_t *pattern_fill(uint8_t *m, int seed)
{
    for (int i = 0; i < 100; i++)
        m[i] = (uint8_t)(seed * 31 + i);
    return m;
}

static void test_open_and_channels(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1), DC_EAGAIN);
    assert_int_equal(sctp_assoc_open_channel(A.a, 0, "_reliable", true, -1), DC_EAGAIN);
    pair_connect();
    assert_int_equal(sctp_assoc_connect(A.a), DC_EINVAL);

    assert_int_equal(sctp_assoc_open_channel(A.a, 0, "_reliable", true, -1), 0);
    assert_int_equal(sctp_assoc_open_channel(A.a, 2, "_lossy", false, 0), 0);
    assert_int_equal(sctp_assoc_open_channel(A.a, 2, "again", true, -1), DC_EEXIST);
    assert_int_equal(sctp_assoc_open_channel(A.a, SCTP_NUM_STREAMS, "far", true, -1), DC_EINVAL);
    assert_int_equal(sctp_assoc_open_channel(A.a, 4, NULL, true, -1), DC_EINVAL);

    struct sctp_channel_info ci;
    assert_true(sctp_assoc_channel_info(A.a, 2, &ci));
    assert_false(ci.acked);
    assert_true(ci.local);
    run_for(50, 10);

    assert_int_equal(B.channels, 2);
    assert_int_equal(B.chan_stream[0], 0);
    assert_string_equal(B.chan_label[0], "_reliable");
    assert_int_equal(B.chan_type[0], DCEP_CHANNEL_RELIABLE);
    assert_int_equal(B.chan_stream[1], 2);
    assert_string_equal(B.chan_label[1], "_lossy");
    assert_int_equal(B.chan_type[1], DCEP_CHANNEL_REXMIT_UNORDERED);
    assert_int_equal(B.chan_rel[1], 0);
    assert_int_equal(A.channels, 0); /* our own channels are not reported */

    /* The ACKs came back. */
    assert_true(sctp_assoc_channel_info(A.a, 0, &ci));
    assert_true(ci.acked);
    assert_string_equal(ci.label, "_reliable");
    assert_true(sctp_assoc_channel_info(A.a, 2, &ci));
    assert_true(ci.acked);
    assert_int_equal(ci.type, DCEP_CHANNEL_REXMIT_UNORDERED);
    assert_true(sctp_assoc_channel_info(B.a, 2, &ci));
    assert_false(ci.local);
    assert_string_equal(ci.protocol, "");
    assert_false(sctp_assoc_channel_info(B.a, 4, &ci));
}

static void expect_msg(struct side *s, size_t i, uint16_t stream, uint32_t ppid, const uint8_t *d,
                       size_t len)
{
    assert_true(i < s->nmsgs);
    assert_int_equal(s->msgs[i].stream, stream);
    assert_int_equal(s->msgs[i].ppid, ppid);
    assert_int_equal(s->msgs[i].len, len);
    if (len)
        assert_memory_equal(s->msgs[i].data, d, len);
}

/* Checks the k-th message received on `stream` (streams are independent:
 * only the order within one stream is defined). */
static void expect_on(struct side *s, uint16_t stream, size_t k, uint32_t ppid, const uint8_t *d,
                      size_t len)
{
    for (size_t i = 0; i < s->nmsgs; i++) {
        if (s->msgs[i].stream != stream)
            continue;
        if (k-- == 0) {
            expect_msg(s, i, stream, ppid, d, len);
            return;
        }
    }
    fail_msg("%s: message %zu on stream %u missing", s->name, k, stream);
}

static void test_messages_both_ways(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    A.keep_data = B.keep_data = true;
    pair_connect();
    open_channels();

    uint8_t *big = pattern(60000, 1), *big2 = pattern(60000, 2);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, big, 60000), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, NULL, 0), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_STRING, (const uint8_t *)"hi", 2), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_STRING, (const uint8_t *)"", 0), 0);
    assert_int_equal(sctp_assoc_send(A.a, 2, DCEP_PPID_BINARY, (const uint8_t *)"lossy", 5), 0);
    /* The peer answers on the channels A opened. */
    assert_int_equal(sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, big2, 60000), 0);
    assert_int_equal(sctp_assoc_send(B.a, 2, DCEP_PPID_BINARY_EMPTY, NULL, 0), 0);
    assert_true(sctp_assoc_buffered(A.a) >= 60000);
    run_for(100, 10);

    assert_int_equal(B.nmsgs, 5);
    expect_on(&B, 0, 0, DCEP_PPID_BINARY, big, 60000);
    expect_on(&B, 0, 1, DCEP_PPID_BINARY_EMPTY, NULL, 0);
    expect_on(&B, 0, 2, DCEP_PPID_STRING, (const uint8_t *)"hi", 2);
    expect_on(&B, 0, 3, DCEP_PPID_STRING_EMPTY, NULL, 0);
    expect_on(&B, 2, 0, DCEP_PPID_BINARY, (const uint8_t *)"lossy", 5);
    assert_int_equal(A.nmsgs, 2);
    expect_on(&A, 0, 0, DCEP_PPID_BINARY, big2, 60000);
    expect_on(&A, 2, 0, DCEP_PPID_BINARY_EMPTY, NULL, 0);
    assert_int_equal(sctp_assoc_buffered(A.a), 0);

    /* Bad arguments. */
    assert_int_equal(sctp_assoc_send(A.a, 4, DCEP_PPID_BINARY, big, 1), DC_ENOTFOUND);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_CONTROL, big, 1), DC_EINVAL);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY_EMPTY, big, 1), DC_EINVAL);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, NULL, 1), DC_EINVAL);
    assert_int_equal(sctp_assoc_send(NULL, 0, DCEP_PPID_BINARY, big, 1), DC_EINVAL);

    struct sctp_stats st;
    sctp_assoc_stats(B.a, &st);
    assert_int_equal(st.msgs_in, 5);
    assert_int_equal(st.bytes_in, 60007);
    assert_int_equal(st.msgs_out, 2);
    free(big);
    free(big2);
}

/* 1,000 ordered reliable messages through a pipe losing 10% of packets
 * both ways arrive complete and in order. */
static void test_reliable_under_loss(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    B.keep_data = true;
    pair_connect();
    open_channels();
    loss_pct = 10;
    rng = 42;
    dropped_pkts = 0;
    int sent = 0;
    for (int round = 0; round < 20000 && (sent < 1000 || B.nmsgs < 1000); round++) {
        while (sent < 1000) {
            size_t len = 8 + (size_t)(sent * 37 % 3000); /* up to 3 packets each */
            uint8_t *m = pattern(len, (uint32_t)sent);
            memcpy(m, &sent, sizeof sent);
            int r = sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, m, len);
            free(m);
            if (r == DC_EAGAIN)
                break;
            assert_int_equal(r, 0);
            sent++;
        }
        run_for(10, 10);
    }
    assert_true(dropped_pkts > 50);
    assert_int_equal(B.nmsgs, 1000);
    for (int i = 0; i < 1000; i++) {
        size_t len = 8 + (size_t)(i * 37 % 3000);
        uint8_t *m = pattern(len, (uint32_t)i);
        memcpy(m, &i, sizeof i);
        expect_msg(&B, (size_t)i, 0, DCEP_PPID_BINARY, m, len);
        free(m);
    }
    assert_int_equal(A.closed, 0);
    assert_int_equal(B.closed, 0);
}

/* Sends on the lossy channel with loss: some may vanish, none is corrupt,
 * the association survives, and abandoned messages are counted. */
static void test_lossy_under_loss(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    B.keep_data = true;
    pair_connect();
    open_channels();
    loss_pct = 20;
    rng = 7;
    for (int i = 0; i < 300; i++) {
        uint8_t m[200];
        memset(m, i & 0xff, sizeof m);
        sctp_assoc_send(A.a, 2, DCEP_PPID_BINARY, m, sizeof m);
        run_for(10, 10);
    }
    run_for(5000, 10);
    loss_pct = 0;
    assert_true(B.nmsgs > 150 && B.nmsgs < 300);
    for (size_t i = 0; i < B.nmsgs; i++) {
        assert_int_equal(B.msgs[i].len, 200);
        for (size_t k = 1; k < 200; k++)
            assert_int_equal(B.msgs[i].data[k], B.msgs[i].data[0]);
    }
    struct sctp_stats st;
    sctp_assoc_stats(A.a, &st);
    assert_true(st.abandoned > 0);
    /* Still alive and reliable afterwards. */
    size_t before = B.nmsgs;
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_STRING, (const uint8_t *)"ok", 2), 0);
    run_for(100, 10);
    assert_int_equal(B.nmsgs, before + 1);
    assert_int_equal(A.closed + B.closed, 0);
}

static void test_too_big(void **state)
{
    (void)state;
    /* A may send up to 256 KiB (B's SDP), B accepts up to 64 KiB itself,
     * and B believes A accepts only 1000 bytes. */
    pair_new(0, 262144, 65536, 1000);
    B.keep_data = true;
    pair_connect();
    open_channels();

    uint8_t *big = pattern(200000, 3);
    assert_int_equal(sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, big, 1001), DC_ETOOBIG);
    assert_int_equal(sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, big, 1000), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, big, 262145), DC_ETOOBIG);
    struct sctp_stats st;
    sctp_assoc_stats(B.a, &st);
    assert_int_equal(st.drop_out_too_big, 1);

    /* Over B's limit: dropped whole; exactly at the limit: delivered. */
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, big, 200000), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, big, 65537), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, big, 65536), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_STRING, (const uint8_t *)"after", 5), 0);
    assert_int_equal(sctp_assoc_send(A.a, 2, DCEP_PPID_BINARY, (const uint8_t *)"other", 5), 0);
    run_for(200, 10);

    sctp_assoc_stats(B.a, &st);
    assert_int_equal(st.drop_in_too_big, 2);
    assert_int_equal(B.nmsgs, 3);
    expect_on(&B, 0, 0, DCEP_PPID_BINARY, big, 65536);
    expect_on(&B, 0, 1, DCEP_PPID_STRING, (const uint8_t *)"after", 5);
    expect_on(&B, 2, 0, DCEP_PPID_BINARY, (const uint8_t *)"other", 5);
    assert_int_equal(A.nmsgs, 1);
    assert_int_equal(A.msgs[0].len, 1000);
    assert_int_equal(A.closed + B.closed, 0);
    free(big);
}

static void test_stream_reset(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    /* Local close by A. */
    assert_int_equal(sctp_assoc_close_channel(A.a, 0), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ENOTFOUND);
    run_for(100, 10);
    assert_int_equal(B.closed_channels, 1);
    assert_int_equal(B.closed_stream[0], 0);
    assert_int_equal(A.closed_channels, 1);
    assert_int_equal(A.closed_stream[0], 0);
    struct sctp_channel_info ci;
    assert_false(sctp_assoc_channel_info(A.a, 0, &ci));
    assert_false(sctp_assoc_channel_info(B.a, 0, &ci));
    assert_int_equal(sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ENOTFOUND);
    /* The other channel is untouched. */
    assert_int_equal(sctp_assoc_send(B.a, 2, DCEP_PPID_BINARY, (const uint8_t *)"y", 1), 0);
    run_for(50, 10);
    assert_int_equal(A.nmsgs, 1);
    /* Close started by B (the side that did not open the channel). */
    assert_int_equal(sctp_assoc_close_channel(B.a, 2), 0);
    assert_int_equal(sctp_assoc_close_channel(B.a, 2), 0);
    assert_int_equal(sctp_assoc_close_channel(B.a, 8), DC_ENOTFOUND);
    /* usrsctp sends the reset only once everything sent on the stream is
     * acknowledged: "y" waits for a delayed SACK (200 ms). */
    run_for(500, 10);
    assert_int_equal(A.closed_channels, 2);
    assert_int_equal(A.closed_stream[1], 2);
    assert_int_equal(B.closed_channels, 2);
    /* A stream can be used again once reset. */
    assert_int_equal(sctp_assoc_open_channel(A.a, 0, "_again", true, -1), 0);
    run_for(50, 10);
    assert_int_equal(B.channels, 3);
    assert_string_equal(B.chan_label[2], "_again");
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"z", 1), 0);
    run_for(50, 10);
    assert_int_equal(B.nmsgs, 1);
    assert_int_equal(A.closed + B.closed, 0);
}

/* Freeing A sends an ABORT: B reports on_closed. */
static void test_abort(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    sctp_assoc_free(A.a);
    A.a = NULL;
    assert_non_null(A.head); /* the ABORT */
    run_for(50, 10);
    assert_int_equal(B.closed, 1);
    assert_int_equal(B.close_reason, SCTP_CLOSE_ABORTED);
    assert_false(sctp_assoc_is_open(B.a));
    assert_int_equal(sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1),
                     DC_ECLOSED);
    assert_int_equal(sctp_assoc_open_channel(B.a, 1, "x", true, -1), DC_ECLOSED);
    sctp_assoc_feed(B.a, (const uint8_t *)"junk", 4);
    run_for(50, 10);
    assert_int_equal(B.closed, 1);
}

/* A vanishes without a word (its ABORT is lost); B keeps sending and
 * ticking, retransmits into the void, and finally gives up. */
static void test_free_while_peer_runs(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    sctp_assoc_free(A.a);
    A.a = NULL;
    side_clear_queue(&A);
    for (int i = 0; i < 100; i++) {
        int r = sctp_assoc_send(B.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"hello", 5);
        assert_true(r == 0 || r == DC_EAGAIN || r == DC_ECLOSED);
        run_for(100, 50);
    }
    for (int i = 0; i < 200 && !B.closed; i++)
        run_for(5000, 100);
    assert_int_equal(B.closed, 1);
    assert_int_equal(B.close_reason, SCTP_CLOSE_ABORTED);
}

/* Freeing from inside a callback is deferred and silent. */
static void test_free_in_callback(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    B.free_on_msg = true;
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"1", 1), 0);
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"2", 1), 0);
    run_for(50, 10);
    assert_null(B.a);
    assert_int_equal(B.nmsgs, 1);
    /* A's traffic now goes nowhere; A eventually notices or stays quiet. */
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"3", 1), 0);
    run_for(2000, 10);
    assert_int_equal(B.nmsgs, 1);
}

static void test_shutdown(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"last", 4), 0);
    assert_int_equal(sctp_assoc_shutdown(A.a), 0);
    run_for(200, 10);
    assert_int_equal(B.nmsgs, 1);
    assert_int_equal(A.closed, 1);
    assert_int_equal(A.close_reason, SCTP_CLOSE_SHUTDOWN);
    assert_int_equal(B.closed, 1);
    assert_int_equal(B.close_reason, SCTP_CLOSE_SHUTDOWN);
}

/* Fill the send buffer while the pipe is stalled; on_writable fires once
 * it drains below the low-water mark. */
static void test_backpressure(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    sctp_assoc_set_low_water(A.a, 100000);
    uint8_t *m = pattern(60000, 9);
    int sent = 0, r;
    while ((r = sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, m, 60000)) == 0)
        sent++;
    assert_int_equal(r, DC_EAGAIN);
    assert_true(sent >= 10);
    assert_true(sctp_assoc_buffered(A.a) > 100000);
    struct sctp_stats st;
    sctp_assoc_stats(A.a, &st);
    assert_int_equal(st.send_eagain, 1);
    assert_int_equal(A.writable, 0);
    for (int i = 0; i < 500 && !A.writable; i++)
        run_for(10, 10);
    assert_int_equal(A.writable, 1);
    assert_true(sctp_assoc_buffered(A.a) <= 100000);
    run_for(500, 10);
    assert_int_equal(B.nmsgs, sent);
    assert_int_equal(sctp_assoc_buffered(A.a), 0);

    /* Refilling from inside on_writable keeps the pipe full until done. */
    A.refill = 3 * sent;
    while (sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, m, 60000) == 0)
        sent++;
    for (int i = 0; i < 2000 && (A.refill > 0 || B.nmsgs < (size_t)(sent + A.refilled)); i++)
        run_for(10, 10);
    assert_int_equal(A.refill, 0);
    assert_true(A.writable > 3);
    assert_int_equal(B.nmsgs, sent + A.refilled);
    free(m);
}

/* Messages usrsctp hands over in pieces (partial delivery) are reassembled
 * per stream, within the size limit; an oversize one is dropped whole. */
static void test_reassembly(void **state)
{
    (void)state;
    pair_new(0, 0, 65536, 0);
    B.keep_data = true;
    pair_connect();
    open_channels();
    uint8_t *m = pattern(65536 + 100, 4);
    /* Interleaved pieces on streams 0 and 2; only EOR completes. */
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, 0, m, 30000);
    sctp_recv_data(B.a, 2, DCEP_PPID_STRING, 0, m, 10);
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, 0, m + 30000, 30000);
    sctp_recv_data(B.a, 2, DCEP_PPID_STRING, MSG_EOR, m + 10, 5);
    assert_int_equal(B.nmsgs, 1);
    expect_on(&B, 2, 0, DCEP_PPID_STRING, m, 15);
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, MSG_EOR, m + 60000, 5536);
    expect_on(&B, 0, 0, DCEP_PPID_BINARY, m, 65536);
    /* One byte over: dropped whole, the next message is fine. */
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, 0, m, 65536);
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, 0, m, 1);
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, MSG_EOR, m, 99);
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, MSG_EOR, m, 7);
    assert_int_equal(B.nmsgs, 3);
    expect_on(&B, 0, 1, DCEP_PPID_BINARY, m, 7);
    /* A whole message over the limit, and one on a stream without channel. */
    sctp_recv_data(B.a, 0, DCEP_PPID_BINARY, MSG_EOR, m, 65537);
    sctp_recv_data(B.a, 6, DCEP_PPID_BINARY, MSG_EOR, m, 3);
    sctp_recv_data(B.a, 0, 54, MSG_EOR, m, 3);                /* deprecated partial PPID */
    sctp_recv_data(B.a, 0, DCEP_PPID_CONTROL, MSG_EOR, m, 3); /* bad DCEP */
    assert_int_equal(B.nmsgs, 3);
    struct sctp_stats st;
    sctp_assoc_stats(B.a, &st);
    assert_int_equal(st.drop_in_too_big, 2);
    assert_int_equal(st.drop_in_no_channel, 1);
    assert_int_equal(st.drop_in_bad, 2);
    /* A partial message pending when the association goes is freed. */
    sctp_recv_data(B.a, 2, DCEP_PPID_BINARY, 0, m, 1000);
    free(m);
}

/* The send callback may not call back into sctp. */
static void test_no_reentry_from_send(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    A.try_send_in_send = true;
    A.send_in_send = 1;
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1), 0);
    A.try_send_in_send = false;
    assert_int_equal(A.send_in_send, DC_EINVAL);
    run_for(50, 10);
    assert_int_equal(B.nmsgs, 1);
}

/* Garbage fed in never crashes; the association stays usable. */
static size_t queued_pkts(const struct side *s)
{
    size_t n = 0;
    for (const struct pkt *p = s->head; p; p = p->next)
        n++;
    return n;
}

/* Held sends share packets: the first leaves at once (nothing in flight),
 * the others wait for the send made after the release, which carries them
 * all in as few packets as the MTU allows.  Unheld, every message is its
 * own packet. */
static void test_hold_bundles(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    A.keep_data = B.keep_data = true;
    pair_connect();
    open_channels();
    run_for(500, 10);
    assert_int_equal(queued_pkts(&A), 0);
    uint8_t m[100];
    for (int i = 0; i < 11; i++)
        assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, pattern_fill(m, i), 100), 0);
    assert_int_equal(queued_pkts(&A), 11);
    run_for(500, 10);
    size_t before = B.nmsgs;

    assert_int_equal(sctp_assoc_hold(A.a, true), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, pattern_fill(m, i), 100), 0);
    assert_int_equal(queued_pkts(&A), 1);
    assert_int_equal(sctp_assoc_hold(A.a, false), 0);
    /* the other 7 and this one fit one packet (8 x 116 bytes < SCTP_MTU) */
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, pattern_fill(m, 8), 100), 0);
    assert_int_equal(queued_pkts(&A), 2);
    run_for(500, 10);
    assert_int_equal(B.nmsgs, before + 9);
    for (int i = 0; i < 9; i++)
        expect_on(&B, 0, 11 + (size_t)i, DCEP_PPID_BINARY, pattern_fill(m, i), 100);
    assert_int_equal(sctp_assoc_hold(NULL, true), DC_EINVAL);
}

static void test_garbage_input(void **state)
{
    (void)state;
    pair_new(0, 0, 0, 0);
    pair_connect();
    open_channels();
    rng = 99;
    uint8_t junk[1500];
    for (int i = 0; i < 2000; i++) {
        size_t n = rnd() % sizeof junk;
        for (size_t k = 0; k < n; k++)
            junk[k] = (uint8_t)rnd();
        if (i & 1 && n >= 12) { /* a plausible common header */
            junk[0] = 0x13, junk[1] = 0x88, junk[2] = 0x13, junk[3] = 0x88;
        }
        sctp_assoc_feed(B.a, junk, n);
    }
    pump();
    assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"x", 1), 0);
    run_for(50, 10);
    assert_int_equal(B.nmsgs, 1);
    assert_int_equal(B.closed, 0);
}

/* 200 create/connect/free cycles, some freed mid-handshake or with data in
 * flight, under ASan in `make SAN=1 unit`. */
static void test_cycles(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        pair_new(0, 0, 0, 0);
        assert_int_equal(sctp_assoc_connect(A.a), 0);
        if (i % 5 == 0) { /* never connected further */
            pair_free();
            continue;
        }
        assert_int_equal(sctp_assoc_connect(B.a), 0);
        if (i % 5 == 1) {
            deliver_from(&A);
            pair_free();
            continue;
        }
        run_for(30, 10);
        assert_true(sctp_assoc_is_open(A.a));
        assert_int_equal(sctp_assoc_open_channel(A.a, 0, "_reliable", true, -1), 0);
        assert_int_equal(sctp_assoc_send(A.a, 0, DCEP_PPID_BINARY, (const uint8_t *)"hey", 3), 0);
        if (i % 5 != 2)
            run_for(30, 10);
        if (i % 5 == 3)
            assert_int_equal(B.nmsgs, 1);
        pair_free();
        assert_int_equal(dep_usrsctp_refs(), 0);
    }
}

/* Last: every association is gone, so usrsctp finishes (freeing all it
 * holds, which the leak checkers then see), and stays finished. */
static void test_library_shutdown(void **state)
{
    (void)state;
    pair_free();
    assert_true(dep_usrsctp_initialized());
    assert_int_equal(dep_usrsctp_shutdown(5000), 0);
    assert_false(dep_usrsctp_initialized());
    assert_int_equal(dep_usrsctp_acquire(), DC_ECLOSED);
    assert_null(sctp_assoc_new(&CB, &A, 5000, 0, 0));
    sctp_tick(now_ms + 10);
}

int main(void)
{
    if (getenv("SCTP_TEST_DEBUG"))
        log_configure(LOG_LVL_DEBUG, false);
    if (getenv("SCTP_TEST_FILTER"))
        cmocka_set_test_filter(getenv("SCTP_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_and_channels, teardown),
        cmocka_unit_test_teardown(test_messages_both_ways, teardown),
        cmocka_unit_test_teardown(test_reliable_under_loss, teardown),
        cmocka_unit_test_teardown(test_lossy_under_loss, teardown),
        cmocka_unit_test_teardown(test_too_big, teardown),
        cmocka_unit_test_teardown(test_stream_reset, teardown),
        cmocka_unit_test_teardown(test_hold_bundles, teardown),
        cmocka_unit_test_teardown(test_abort, teardown),
        cmocka_unit_test_teardown(test_free_while_peer_runs, teardown),
        cmocka_unit_test_teardown(test_free_in_callback, teardown),
        cmocka_unit_test_teardown(test_shutdown, teardown),
        cmocka_unit_test_teardown(test_backpressure, teardown),
        cmocka_unit_test_teardown(test_reassembly, teardown),
        cmocka_unit_test_teardown(test_no_reentry_from_send, teardown),
        cmocka_unit_test_teardown(test_garbage_input, teardown),
        cmocka_unit_test_teardown(test_cycles, teardown),
        cmocka_unit_test(test_library_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
