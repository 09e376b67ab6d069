/* Unit tests for transport/peer under hostile input and slow receivers:
 * SCTP that arrives before the DTLS handshake is complete, and lossy data
 * giving way to reliable data when a receiver falls behind.  Same world as
 * test_peer.c (peer_world.h), run on both SCTP stacks. */
#include "tests/unit/peer_stacks.h"

#include "transport/sctpc_wire.h"

static struct sp *hook_sp;
static struct client_peer *hook_cl;

/* ---- SCTP only after DTLS ---- */

static int held_flights, early_records;

/* Holds back the client's last DTLS flight (it starts with a
 * ChangeCipherSpec record, type 20), so that dcsfu's handshake cannot
 * finish, and lets the client's encrypted SCTP INIT (type 23), sent as soon
 * as its own side is done, reach the peer early.  The first time, forged
 * SCTP reaches the peer too: a bare SCTP INIT and the same INIT in a
 * plaintext application-data record. */
static bool hook_hold_last_flight(struct dg *g)
{
    if (!cp_addr_eq(&g->from, &hook_cl->addr))
        return false;
    if (g->data[0] == 23)
        early_records++;
    if (g->data[0] != 20)
        return false;
    if (held_flights++ == 0) {
        static const uint8_t init[32] = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0,
                                         1, 0, 0, 20, 0x11, 0x22, 0x33, 0x44,
                                         0, 0x10, 0, 0, 0, 64, 0, 64, 0, 0, 0, 1};
        uint8_t rec[13 + 32] = {23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 32};
        memcpy(rec + 13, init, sizeof init);
        sctpc_seal(rec + 13, sizeof init);
        const struct sockaddr *from = (const struct sockaddr *)&hook_cl->addr;
        peer_on_datagram(hook_sp->peer, now_ms, from, rec + 13, sizeof init);
        peer_on_datagram(hook_sp->peer, now_ms, from, rec, sizeof rec);
    }
    return true;
}

static bool no_sctp_yet(const struct sp *s)
{
    struct sctp_stats st, zero;
    memset(&zero, 0, sizeof zero);
    peer_sctp_stats(s->peer, &st);
    return s->connected == 0 && !s->chan_open[0] && !s->chan_open[1] && s->rx.n == 0 &&
           !memcmp(&st, &zero, sizeof st) &&
           peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"x", 1) == DC_ECLOSED;
}

/* SCTP exists only inside an established DTLS session: SCTP that arrives
 * before dcsfu's handshake is complete (bare, in a forged plaintext record,
 * or the client's genuine encrypted INIT) reaches no SCTP stack, and the
 * handshake and the association come up normally afterwards. */
static void test_sctp_before_dtls(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    hook_sp = s;
    hook_cl = c;
    held_flights = early_records = 0;
    NET.hook = hook_hold_last_flight;
    negotiate(s, c, FIX_RTCNODE, NULL);
    RUN_UNTIL(held_flights > 0 && early_records > 0, 3000);
    assert_true(c->dtls_done);
    assert_true(no_sctp_yet(s));
    run_ms(500); /* less than DTLS's first retransmission */
    assert_true(no_sctp_yet(s));
    assert_int_equal(s->failed, 0);
    NET.hook = NULL;
    RUN_UNTIL(pair_up(s, c), 10000);
    assert_int_equal(s->connected, 1);
    assert_int_equal(s->failed, 0);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"after", 5), 0);
    RUN_UNTIL(s->rx.n == 1, 2000);
    expect_nth(&s->rx, PEER_RELIABLE, 0, "after", 5);
}

/* A receiver that falls behind loses lossy data first: once the association
 * holds more than half its send buffer, lossy sends are refused while
 * reliable ones are still taken; when it has caught up, lossy flows again. */
static void test_lossy_gives_way(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    uint8_t *big = pattern(60000, 4);
    int sent = 0, lossy_refused_at = -1;
    for (; sent < 40; sent++) {
        if (peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"l", 1) == DC_EAGAIN) {
            lossy_refused_at = sent;
            break;
        }
        assert_int_equal(peer_send(s->peer, PEER_RELIABLE, big, 60000), 0);
    }
    assert_true(lossy_refused_at > 0);
    /* reliable data still fits */
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, big, 60000), 0);
    RUN_UNTIL(count_kind(&c->rx, CP_RELIABLE) == (size_t)sent + 1, 20000);
    assert_int_equal(peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"L", 1), 0);
    RUN_UNTIL(count_kind(&c->rx, CP_LOSSY) == (size_t)lossy_refused_at + 1, 2000);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sctp_before_dtls, t_teardown),
        cmocka_unit_test_teardown(test_lossy_gives_way, t_teardown),
    };
    return run_on_both_stacks(tests, sizeof tests / sizeof tests[0]);
}
