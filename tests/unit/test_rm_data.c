/* Unit tests of data forwarding: stamping, destinations, de-duplication,
 * permissions, the joining-receiver queue, slow receivers (lossy data first,
 * the queue bound and data_queue_full_action) and server-sent data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"
#include "server/room_manager.h"

#define MAX_RX 2048

struct rx {
    struct participant *to;
    int kind;
    Livekit__DataPacket *dp;
};

static struct rx rxs[MAX_RX];
static size_t n_rx;
static int send_result;

/* The last Leave a sink got: its sink, reason and action. */
static struct { void *sink; int reason, action, n; } leave;

static void sink_send(void *s, const uint8_t *d, size_t n)
{
    Livekit__SignalResponse *m = livekit__signal_response__unpack(NULL, n, d);
    assert_non_null(m);
    if (m->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE) {
        leave.sink = s;
        leave.reason = m->leave->reason;
        leave.action = m->leave->action;
        leave.n++;
    }
    livekit__signal_response__free_unpacked(m, NULL);
}

static void sink_close(void *s)
{
    (void)s;
}

static int send_data(struct participant *p, int kind, const uint8_t *d, size_t n)
{
    if (send_result)
        return send_result;
    assert_true(n_rx < MAX_RX);
    rxs[n_rx].to = p;
    rxs[n_rx].kind = kind;
    rxs[n_rx].dp = livekit__data_packet__unpack(NULL, n, d);
    assert_non_null(rxs[n_rx].dp);
    n_rx++;
    return 0;
}

/* What happened to each receiver, in order: 'S' send, 'H' hold, 'R' release. */
static struct { struct participant *p; char what; } evs[MAX_RX];
static size_t n_evs;

static void ev(struct participant *p, char what)
{
    if (n_evs < MAX_RX)
        evs[n_evs++].p = p, evs[n_evs - 1].what = what;
}

/* The events of p as a string. */
static const char *evs_of(struct participant *p)
{
    static char out[MAX_RX + 1];
    size_t k = 0;
    for (size_t i = 0; i < n_evs; i++)
        if (evs[i].p == p)
            out[k++] = evs[i].what;
    out[k] = 0;
    return out;
}

static int send_data_ev(struct participant *p, int kind, const uint8_t *d, size_t n)
{
    int r = send_data(p, kind, d, n);
    ev(p, r == 0 ? 'S' : 'E');
    return r;
}

static void hold_data(struct participant *p, bool hold)
{
    ev(p, hold ? 'H' : 'R');
}

static const struct rm_sink_ops ops = {.send = sink_send, .close = sink_close,
                                       .send_data = send_data_ev, .hold_data = hold_data};

static void rx_clear(void)
{
    for (size_t i = 0; i < n_rx; i++)
        livekit__data_packet__free_unpacked(rxs[i].dp, NULL);
    n_rx = 0;
}

static size_t rx_count(struct participant *p)
{
    size_t n = 0;
    for (size_t i = 0; i < n_rx; i++)
        n += rxs[i].to == p;
    return n;
}

struct fixture {
    struct config cfg;
    struct rm *rm;
    struct participant *p[3];
    int sinks[3];
};

static struct join_ticket *ticket(const char *identity, int can_publish_data)
{
    struct join_ticket *t = calloc(1, sizeof *t);
    kv_init(&t->claims.attributes);
    t->claims.identity = strdup(identity);
    t->claims.has_video = true;
    t->claims.video.room_join = true;
    t->claims.video.room = strdup("r");
    t->claims.video.can_publish = t->claims.video.can_subscribe = -1;
    t->claims.video.can_publish_data = can_publish_data;
    t->claims.video.can_update_own_metadata = -1;
    t->req = calloc(1, sizeof *t->req);
    livekit__join_request__init(t->req);
    t->room_name = strdup("r");
    return t;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    config_defaults(&f->cfg);
    log_current_level = LOG_LVL_ERROR;
    f->rm = rm_new(&f->cfg, &ops, NULL);
    const char *names[] = {"alice", "bob", "carol"};
    for (int i = 0; i < 3; i++) {
        f->p[i] = rm_join(f->rm, ticket(names[i], i == 2 ? 0 : -1), &f->sinks[i], 1000);
        rm_data_channel_state(f->rm, f->p[i], 0, true);
        rm_data_channel_state(f->rm, f->p[i], 1, true);
    }
    send_result = 0;
    rx_clear();
    n_evs = 0;
    memset(&leave, 0, sizeof leave);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rx_clear();
    rm_free(f->rm);
    config_free(&f->cfg);
    free(f);
    return 0;
}

static size_t user_packet(uint8_t *buf, const char *payload, uint32_t seq, const char *dest)
{
    Livekit__UserPacket u = LIVEKIT__USER_PACKET__INIT;
    u.payload.data = (uint8_t *)payload;
    u.payload.len = strlen(payload);
    u.topic_opt_case = LIVEKIT__USER_PACKET__TOPIC_OPT_TOPIC;
    u.topic = "t";
    u.participant_identity = "spoofed";
    char *dests[1] = {(char *)dest};
    if (dest) {
        u.destination_identities = dests;
        u.n_destination_identities = 1;
    }
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.kind = LIVEKIT__DATA_PACKET__KIND__LOSSY; /* the channel decides */
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &u;
    dp.sequence = seq;
    dp.participant_identity = "spoofed";
    return livekit__data_packet__pack(&dp, buf);
}

static void test_broadcast_stamped(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    size_t n = user_packet(buf, "hello", 1, NULL);
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(n_rx, 2);
    assert_int_equal(rx_count(f->p[0]), 0);
    for (size_t i = 0; i < n_rx; i++) {
        Livekit__DataPacket *dp = rxs[i].dp;
        assert_int_equal(rxs[i].kind, 0);
        assert_int_equal(dp->kind, LIVEKIT__DATA_PACKET__KIND__RELIABLE);
        assert_string_equal(dp->participant_sid, f->p[0]->sid);
        assert_string_equal(dp->participant_identity, "alice");
        assert_string_equal(dp->user->participant_identity, "alice");
        assert_string_equal(dp->user->participant_sid, f->p[0]->sid);
        assert_memory_equal(dp->user->payload.data, "hello", 5);
        assert_string_equal(dp->user->topic, "t");
        assert_int_equal(dp->sequence, 1);
    }
}

static void test_destinations_and_dedupe(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    size_t n = user_packet(buf, "x", 1, "carol");
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(n_rx, 1);
    assert_ptr_equal(rxs[0].to, f->p[2]);
    assert_int_equal(rxs[0].dp->n_destination_identities, 1);
    /* the same sequence again is a duplicate; a lower one too */
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(n_rx, 1);
    assert_int_equal(f->rm->stats.drop_duplicate, 1);
    /* lossy packets are never de-duplicated by sequence */
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(n_rx, 2);
    assert_int_equal(rxs[1].dp->kind, LIVEKIT__DATA_PACKET__KIND__LOSSY);
    /* counted by kind: in per packet, out per delivery */
    const struct rm_stats *st = &f->rm->stats;
    assert_int_equal(st->data_in[0], 2);
    assert_int_equal(st->data_in[1], 1);
    assert_int_equal(st->bytes_in[0], 2 * n);
    assert_int_equal(st->bytes_in[1], n);
    assert_int_equal(st->data_out[0], 1);
    assert_int_equal(st->data_out[1], 1);
    assert_true(st->bytes_out[1] > 0);
}

static void test_join_refused_counted(void **state)
{
    struct fixture *f = *state;
    struct rm_stats *st = &f->rm->stats;
    rm_stats_join_refused(st, 401);
    rm_stats_join_refused(st, 404);
    rm_stats_join_refused(st, 401);
    assert_int_equal(st->join_refused[0].status, 401);
    assert_int_equal(st->join_refused[0].n, 2);
    assert_int_equal(st->join_refused[1].status, 404);
    assert_int_equal(st->join_refused[1].n, 1);
    /* more distinct statuses than slots: the last slot counts them as "other" */
    for (int s = 500; s < 500 + RM_JOIN_STATUSES; s++)
        rm_stats_join_refused(st, s);
    assert_int_equal(st->join_refused[RM_JOIN_STATUSES - 1].status, 0);
    assert_int_equal(st->join_refused[RM_JOIN_STATUSES - 1].n, 3);
    assert_int_equal(rm_queued_now(f->rm), 0);
    assert_int_equal(rm_participant_count(f->rm), 3);
}

static void test_permission_and_garbage(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    size_t n = user_packet(buf, "x", 1, NULL);
    rm_data_received(f->rm, f->p[2], 0, buf, n); /* carol: canPublishData false */
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->stats.drop_no_permission, 1);
    rm_data_received(f->rm, f->p[0], 0, (const uint8_t *)"\xff\xff\xff\xff", 4);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->stats.drop_malformed, 1);
    /* metrics packets are not forwarded */
    Livekit__MetricsBatch mb = LIVEKIT__METRICS_BATCH__INIT;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_METRICS;
    dp.metrics = &mb;
    n = livekit__data_packet__pack(&dp, buf);
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(n_rx, 0);
}

static void test_joining_receiver_queue(void **state)
{
    struct fixture *f = *state;
    rm_data_channel_state(f->rm, f->p[1], 0, false);
    uint8_t buf[256];
    for (uint32_t seq = 1; seq <= 100; seq++) {
        char payload[16];
        snprintf(payload, sizeof payload, "m%u", seq);
        size_t n = user_packet(buf, payload, seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->p[1]->pending.n, 100);
    rm_data_channel_state(f->rm, f->p[1], 0, true);
    assert_int_equal(n_rx, 100);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(rxs[i].dp->sequence, i + 1);
    /* the bound is enforced and counted */
    rx_clear();
    rm_data_channel_state(f->rm, f->p[1], 0, false);
    f->rm->queue_max_msgs = 10;
    for (uint32_t seq = 101; seq <= 120; seq++) {
        size_t n = user_packet(buf, "y", seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    assert_int_equal(f->p[1]->pending.n, 10);
    assert_int_equal(f->rm->stats.drop_queue_full, 10);
}

static void test_server_send_data(void **state)
{
    struct fixture *f = *state;
    uint8_t nonce[16] = {1, 2, 3};
    char *dest[] = {"bob"};
    Livekit__SendDataRequest req = LIVEKIT__SEND_DATA_REQUEST__INIT;
    req.data.data = (uint8_t *)"srv";
    req.data.len = 3;
    req.nonce.data = nonce;
    req.nonce.len = 16;
    req.kind = LIVEKIT__DATA_PACKET__KIND__LOSSY;
    rm_data_send_request(f->rm, rm_room_find(f->rm, "r"), &req);
    assert_int_equal(n_rx, 3);
    assert_string_equal(rxs[0].dp->participant_sid, "");
    assert_int_equal(rxs[0].dp->kind, LIVEKIT__DATA_PACKET__KIND__LOSSY);
    /* same nonce: dropped */
    rm_data_send_request(f->rm, rm_room_find(f->rm, "r"), &req);
    assert_int_equal(n_rx, 3);
    nonce[0] = 9;
    req.destination_identities = dest;
    req.n_destination_identities = 1;
    rm_data_send_request(f->rm, rm_room_find(f->rm, "r"), &req);
    assert_int_equal(n_rx, 4);
    assert_ptr_equal(rxs[3].to, f->p[1]);
}

static void test_backpressure_counted(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    size_t n = user_packet(buf, "x", 0, NULL);
    send_result = DC_EAGAIN;
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(f->rm->stats.drop_lossy_backpressure, 2);
    send_result = DC_ETOOBIG;
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(f->rm->stats.drop_too_large, 2);
}

static void test_reliable_backpressure_queues(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    send_result = DC_EAGAIN;
    for (uint32_t seq = 1; seq <= 5; seq++) {
        size_t n = user_packet(buf, "r", seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->p[1]->pending.n, 5);
    assert_int_equal(f->rm->stats.queued_backpressure, 1);
    /* still full: nothing leaves, nothing is lost */
    rm_data_writable(f->rm, f->p[1]);
    assert_int_equal(f->p[1]->pending.n, 5);
    send_result = 0;
    rm_data_writable(f->rm, f->p[1]);
    assert_int_equal(n_rx, 5);
    assert_int_equal(f->p[1]->pending.n, 0);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rxs[i].dp->sequence, i + 1);
}

/* Reliable data waiting for a backed-up receiver goes first: lossy data for
 * it is dropped meanwhile, and flows again once the queue has drained. */
static void test_lossy_gives_way(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    send_result = DC_EAGAIN;
    size_t n = user_packet(buf, "r", 1, "bob");
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(f->p[1]->pending.n, 1);
    send_result = 0; /* room for the lossy message, but the reliable one waits */
    n = user_packet(buf, "l", 0, "bob");
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->stats.drop_lossy_backpressure, 1);
    assert_true(f->p[1]->lossy_dropping);
    rm_data_writable(f->rm, f->p[1]);
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(n_rx, 2);
    assert_int_equal(rxs[0].kind, 0);
    assert_int_equal(rxs[1].kind, 1);
    assert_false(f->p[1]->lossy_dropping);
    assert_int_equal(f->rm->stats.drop_lossy_backpressure, 1);
    /* a joining receiver (no _reliable yet) still gets lossy data */
    rm_data_channel_state(f->rm, f->p[1], 0, false);
    n = user_packet(buf, "r", 2, "bob");
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    n = user_packet(buf, "l", 0, "bob");
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(n_rx, 3);
    assert_int_equal(rxs[2].kind, 1);
}

/* Sends reliable messages seq first..last from alice to bob. */
static void reliable_to_bob(struct fixture *f, uint32_t first, uint32_t last)
{
    uint8_t buf[256];
    for (uint32_t seq = first; seq <= last; seq++) {
        size_t n = user_packet(buf, "q", seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
}

/* data_queue_full_action reconnect (the default): a receiver whose open
 * channel stays full past the bound loses its queue at once and is removed
 * with Leave{RECONNECT} at the next tick; the others carry on. */
static void test_queue_full_reconnect(void **state)
{
    struct fixture *f = *state;
    assert_true(f->rm->queue_full_reconnect);
    f->rm->queue_max_msgs = 4;
    send_result = DC_EAGAIN;
    reliable_to_bob(f, 1, 4);
    assert_int_equal(f->p[1]->pending.n, 4);
    assert_false(f->p[1]->data_evict);
    reliable_to_bob(f, 5, 5); /* does not fit */
    assert_true(f->p[1]->data_evict);
    assert_int_equal(f->p[1]->pending.n, 0);
    assert_int_equal(rm_queued_now(f->rm), 0);
    assert_int_equal(f->rm->stats.drop_queue_full, 5); /* the four queued and the fifth */
    assert_int_equal(f->rm->stats.slow_receivers_removed, 1);
    /* until the tick, nothing more goes to it, reliable or lossy */
    send_result = 0;
    f->rm->batch_sends = true;
    reliable_to_bob(f, 6, 6);
    uint8_t buf[256];
    size_t n = user_packet(buf, "l", 0, NULL);
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    rm_data_flush(f->rm);
    assert_int_equal(f->rm->stats.drop_queue_full, 6);
    assert_int_equal(f->rm->stats.drop_lossy_backpressure, 1);
    assert_int_equal(rx_count(f->p[1]), 0);
    assert_int_equal(rx_count(f->p[2]), 1); /* carol got the lossy one */
    rm_tick(f->rm, 5000);
    assert_int_equal(rm_participant_count(f->rm), 2);
    assert_null(rm_participant_find(rm_room_find(f->rm, "r"), "bob"));
    assert_int_equal(leave.n, 1);
    assert_ptr_equal(leave.sink, &f->sinks[1]);
    assert_int_equal(leave.action, LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT);
    assert_int_equal(leave.reason, LIVEKIT__DISCONNECT_REASON__CONNECTION_TIMEOUT);
    assert_int_equal(f->rm->n_evict, 0);
    f->p[1] = NULL;
    rm_tick(f->rm, 5050);
    assert_int_equal(leave.n, 1);
}

/* data_queue_full_action drop: the newest messages are dropped and the
 * receiver stays; once it has room, it gets the queued ones in order. */
static void test_queue_full_drop(void **state)
{
    struct fixture *f = *state;
    f->rm->queue_full_reconnect = false;
    f->rm->queue_max_msgs = 4;
    send_result = DC_EAGAIN;
    reliable_to_bob(f, 1, 10);
    assert_int_equal(f->p[1]->pending.n, 4);
    assert_int_equal(f->p[1]->pending_dropped, 6);
    assert_int_equal(f->rm->stats.drop_queue_full, 6);
    assert_false(f->p[1]->data_evict);
    rm_tick(f->rm, 5000);
    assert_int_equal(rm_participant_count(f->rm), 3);
    send_result = 0;
    rm_data_writable(f->rm, f->p[1]);
    assert_int_equal(n_rx, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(rxs[i].dp->sequence, i + 1);
    assert_int_equal(f->p[1]->pending_dropped, 0);
    reliable_to_bob(f, 11, 11);
    assert_int_equal(n_rx, 5);
    assert_int_equal(leave.n, 0);
    /* the byte bound too */
    send_result = DC_EAGAIN;
    f->rm->queue_max_bytes = 1;
    reliable_to_bob(f, 12, 12);
    assert_int_equal(f->p[1]->pending.n, 0);
    assert_int_equal(f->rm->stats.drop_queue_full, 7);
}

/* A field numbered 0 with its tag in two bytes: protobuf-c keeps it as an
 * unknown field and would pack it in one byte, which receivers reject.  Such
 * a packet is dropped, also when the field hides inside the user packet. */
static void test_field_zero_not_forwarded(void **state)
{
    struct fixture *f = *state;
    uint8_t buf[256];
    size_t n = user_packet(buf, "x", 1, NULL);
    memcpy(buf + n, "\x80\x00\x00", 3);
    rm_data_received(f->rm, f->p[0], 0, buf, n + 3);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->stats.drop_malformed, 1);
    /* the same inside UserPacket (field 2): its length grows by 3 */
    uint8_t in[256] = {0x12};
    Livekit__UserPacket u = LIVEKIT__USER_PACKET__INIT;
    u.payload.data = (uint8_t *)"y";
    u.payload.len = 1;
    size_t un = livekit__user_packet__pack(&u, in + 2);
    memcpy(in + 2 + un, "\x80\x00\x00", 3);
    in[1] = (uint8_t)(un + 3);
    rm_data_received(f->rm, f->p[0], 1, in, 2 + un + 3);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->stats.drop_malformed, 2);
    /* without it the packet goes through */
    in[1] = (uint8_t)un;
    rm_data_received(f->rm, f->p[0], 1, in, 2 + un);
    assert_int_equal(n_rx, 2);
}

/* Batched: nothing leaves until the flush; then each receiver's messages go
 * in order, held so that they can share packets, released before the last. */
static void test_batched_flush(void **state)
{
    struct fixture *f = *state;
    f->rm->batch_sends = true;
    uint8_t buf[256];
    for (uint32_t seq = 1; seq <= 3; seq++) {
        size_t n = user_packet(buf, "b", seq, NULL);
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    size_t n = user_packet(buf, "l", 0, "bob");
    rm_data_received(f->rm, f->p[0], 1, buf, n);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->rm->n_batched, 2);
    rm_data_flush(f->rm);
    assert_int_equal(rx_count(f->p[1]), 4);
    assert_int_equal(rx_count(f->p[2]), 3);
    assert_string_equal(evs_of(f->p[1]), "HSSSRS");
    assert_string_equal(evs_of(f->p[2]), "HSSRS");
    for (size_t i = 0, k = 0; i < n_rx; i++)
        if (rxs[i].to == f->p[1] && rxs[i].kind == 0)
            assert_int_equal(rxs[i].dp->sequence, ++k);
    assert_int_equal(f->rm->n_batched, 0);
    /* one message: no hold */
    n_evs = 0;
    n = user_packet(buf, "one", 9, "bob");
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    rm_data_flush(f->rm);
    assert_string_equal(evs_of(f->p[1]), "S");
    /* a long batch is sent when it reaches RM_BATCH_MAX */
    rx_clear();
    for (uint32_t seq = 10; seq < 10 + RM_BATCH_MAX; seq++) {
        n = user_packet(buf, "m", seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    assert_int_equal(n_rx, RM_BATCH_MAX);
    rm_data_flush(f->rm);
    assert_int_equal(n_rx, RM_BATCH_MAX);
}

/* Two receivers whose batches fill up on the same packet: sending the first
 * one's batch must not free the packet the second one still gets. */
static void test_batched_full_shared(void **state)
{
    struct fixture *f = *state;
    f->rm->batch_sends = true;
    uint8_t buf[256];
    for (uint32_t seq = 1; seq <= RM_BATCH_MAX; seq++) {
        size_t n = user_packet(buf, "all", seq, NULL);
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    assert_int_equal(n_rx, 2 * RM_BATCH_MAX);
    assert_int_equal(rx_count(f->p[1]), RM_BATCH_MAX);
    assert_int_equal(rx_count(f->p[2]), RM_BATCH_MAX);
    for (size_t i = 0; i < n_rx; i++)
        assert_memory_equal(rxs[i].dp->user->payload.data, "all", 3);
    rm_data_flush(f->rm);
    assert_int_equal(n_rx, 2 * RM_BATCH_MAX);
}

/* A full receiver at flush time: the rest of its batch queues in order and
 * leaves when it is writable again. */
static void test_batched_backpressure(void **state)
{
    struct fixture *f = *state;
    f->rm->batch_sends = true;
    uint8_t buf[256];
    for (uint32_t seq = 1; seq <= 4; seq++) {
        size_t n = user_packet(buf, "b", seq, "bob");
        rm_data_received(f->rm, f->p[0], 0, buf, n);
    }
    send_result = DC_EAGAIN;
    rm_data_flush(f->rm);
    assert_int_equal(n_rx, 0);
    assert_int_equal(f->p[1]->pending.n, 4);
    assert_string_equal(evs_of(f->p[1]), "HER"); /* one try, then queued behind it */
    /* new data queues behind it, not in a batch */
    size_t n = user_packet(buf, "b", 5, "bob");
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    assert_int_equal(f->p[1]->pending.n, 5);
    assert_int_equal(f->rm->n_batched, 0);
    send_result = 0;
    n_evs = 0;
    rm_data_writable(f->rm, f->p[1]);
    assert_string_equal(evs_of(f->p[1]), "HSSSSRS");
    assert_int_equal(n_rx, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rxs[i].dp->sequence, i + 1);
}

/* A receiver that leaves with a batch waiting is skipped and its batch freed. */
static void test_batched_receiver_leaves(void **state)
{
    struct fixture *f = *state;
    f->rm->batch_sends = true;
    uint8_t buf[256];
    size_t n = user_packet(buf, "b", 1, NULL);
    rm_data_received(f->rm, f->p[0], 0, buf, n);
    rm_participant_remove(f->rm, f->p[1], 0, 2000);
    rm_data_flush(f->rm);
    assert_int_equal(n_rx, 1);
    assert_ptr_equal(rxs[0].to, f->p[2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_broadcast_stamped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destinations_and_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joining_receiver_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_send_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reliable_backpressure_queues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lossy_gives_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_refused_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_receiver_leaves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_zero_not_forwarded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batched_full_shared, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
