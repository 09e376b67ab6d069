/* Unit tests for transport/peer: dcsfu's side of one participant's peer
 * connection against in-memory clients built from the same cores
 * (client_peer.h), over a simulated network with optional loss under a
 * fake clock (peer_world.h). */
#include "tests/unit/peer_stacks.h"

/* ---- tests -------------------------------------------------------------------------- */

/* Two clients (rtc-node and Chromium offers, the second with HelloVerify
 * cookies) connect at once; messages go both ways on both channels. */
static void test_full_setup(void **state)
{
    (void)state;
    struct sp *a = sp_new(), *b = sp_new();
    struct client_peer *ca = cl_new("192.168.1.10", 50000, false);
    struct client_peer *cb = cl_new("192.168.1.11", 50001, true);
    assert_int_equal(peer_send(a->peer, PEER_RELIABLE, (const uint8_t *)"x", 1), DC_ECLOSED);
    negotiate(a, ca, FIX_RTCNODE, NULL);
    negotiate(b, cb, FIX_CHROMIUM, NULL);
    assert_int_equal(ca->srv_max_message, SRV_MAX_MESSAGE);
    assert_string_not_equal(peer_ufrag(a->peer), peer_ufrag(b->peer));
    RUN_UNTIL(pair_up(a, ca) && pair_up(b, cb), 10000);

    for (int i = 0; i < 2; i++) {
        struct sp *s = i ? b : a;
        struct client_peer *c = i ? cb : ca;
        assert_int_equal(s->connected, 1);
        assert_int_equal(s->failed, 0);
        assert_int_equal(s->addresses, 1);
        assert_true(cp_addr_eq(&s->addr, &c->addr));
        assert_int_equal(s->chan_open[PEER_RELIABLE], 1);
        assert_int_equal(s->chan_open[PEER_LOSSY], 1);
        assert_true(c->nominated);
        assert_true(c->mapped_ok > 0);
        assert_int_equal(c->stun_bad + c->stun_err, 0);
        assert_int_equal(c->dtls_err, 0);
    }

    /* Client to dcsfu: ordered on _reliable (an empty one included), _lossy too. */
    uint8_t *big = pattern(60000, 1), *big2 = pattern(60000, 2);
    assert_int_equal(cp_send(ca, CP_RELIABLE, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(cp_send(ca, CP_RELIABLE, big, 60000), 0);
    assert_int_equal(cp_send(ca, CP_RELIABLE, NULL, 0), 0);
    assert_int_equal(cp_send(ca, CP_LOSSY, (const uint8_t *)"lossy", 5), 0);
    assert_int_equal(cp_send(cb, CP_RELIABLE, (const uint8_t *)"from b", 6), 0);
    /* dcsfu to the clients. */
    assert_int_equal(peer_send(a->peer, PEER_RELIABLE, big2, 60000), 0);
    assert_int_equal(peer_send(a->peer, PEER_LOSSY, (const uint8_t *)"back", 4), 0);
    assert_int_equal(peer_send(b->peer, PEER_RELIABLE, (const uint8_t *)"to b", 4), 0);
    RUN_UNTIL(a->rx.n == 4 && ca->rx.n == 2 && b->rx.n == 1 && cb->rx.n == 1, 2000);
    expect_nth(&a->rx, PEER_RELIABLE, 0, "hello", 5);
    expect_nth(&a->rx, PEER_RELIABLE, 1, big, 60000);
    expect_nth(&a->rx, PEER_RELIABLE, 2, NULL, 0);
    expect_nth(&a->rx, PEER_LOSSY, 0, "lossy", 5);
    expect_nth(&b->rx, PEER_RELIABLE, 0, "from b", 6);
    expect_nth(&ca->rx, CP_RELIABLE, 0, big2, 60000);
    assert_int_equal(nth(&ca->rx, CP_RELIABLE, 0)->ppid, DCEP_PPID_BINARY);
    expect_nth(&ca->rx, CP_LOSSY, 0, "back", 4);
    expect_nth(&cb->rx, CP_RELIABLE, 0, "to b", 4);
    free(big);
    free(big2);
}

/* The client's max-message-size (262144) bounds what dcsfu sends. */
static void test_max_message_size(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_CHROMIUM);
    uint8_t *huge = pattern(SRV_MAX_MESSAGE + 1, 3);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, huge, SRV_MAX_MESSAGE + 1), DC_ETOOBIG);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, huge, SRV_MAX_MESSAGE), 0);
    RUN_UNTIL(c->rx.n == 1, 3000);
    expect_nth(&c->rx, CP_RELIABLE, 0, huge, SRV_MAX_MESSAGE);
    assert_int_equal(peer_send(s->peer, 2, huge, 1), DC_ECLOSED);
    assert_int_equal(peer_send(s->peer, -1, huge, 1), DC_ECLOSED);
    run_ms(200);
    assert_int_equal(c->rx.n, 1);
    free(huge);
}

/* A client that ignores dcsfu's max-message-size: the oversize message is
 * dropped whole, later ones arrive, the connection lives on. */
static void test_oversize_from_client(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    negotiate(s, c, FIX_RTCNODE, NULL);
    c->srv_max_message = 0; /* before its SCTP association exists */
    RUN_UNTIL(pair_up(s, c), 10000);
    uint8_t *huge = pattern(300000, 4);
    assert_int_equal(cp_send(c, CP_RELIABLE, huge, 300000), 0);
    assert_int_equal(cp_send(c, CP_RELIABLE, huge, SRV_MAX_MESSAGE), 0);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"after", 5), 0);
    RUN_UNTIL(s->rx.n == 2, 5000);
    run_ms(500);
    assert_int_equal(s->rx.n, 2);
    expect_nth(&s->rx, PEER_RELIABLE, 0, huge, SRV_MAX_MESSAGE);
    expect_nth(&s->rx, PEER_RELIABLE, 1, "after", 5);
    assert_int_equal(s->failed, 0);
    free(huge);
}

/* Hands a datagram from STRANGER straight to the peer, as a router that
 * routes STUN by ufrag alone (or any misrouting) would. */
static void from_stranger(struct sp *sp, const uint8_t *d, size_t n)
{
    peer_on_datagram(sp->peer, now_ms, (const struct sockaddr *)&STRANGER, d, n);
}

/* Binding requests and the like from STRANGER that must get no answer. */
static void stranger_checks(struct sp *sp, const struct client_peer *c, const char *srv_ufrag,
                            const char *srv_pwd)
{
    char user[300], wrong_user[300];
    snprintf(user, sizeof user, "%s:%s", srv_ufrag, c->ufrag);
    snprintf(wrong_user, sizeof wrong_user, "zzzzzzzzzzzzzzzz:%s", c->ufrag);
    const char *bad_pwd = "not-the-password-at-all-0123";
    struct stun_binding_opts o = {.username = user, .priority = 1, .role = STUN_ROLE_CONTROLLING,
                                  .tiebreaker = 7, .use_candidate = true};
    uint8_t tid[STUN_TID_LEN] = {1, 2, 3};
    uint8_t b[600];
    size_t n;
    /* wrong password (bad MESSAGE-INTEGRITY) */
    n = stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)bad_pwd, strlen(bad_pwd));
    from_stranger(sp, b, n);
    /* no MESSAGE-INTEGRITY */
    n = stun_build_binding_request(b, sizeof b, tid, &o, NULL, 0);
    from_stranger(sp, b, n);
    /* right password, ufrag of nobody */
    o.username = wrong_user;
    n = stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    from_stranger(sp, b, n);
    /* right ufrag, wrong remote part */
    char other[300];
    snprintf(other, sizeof other, "%s:someoneelse", srv_ufrag);
    o.username = other;
    n = stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    from_stranger(sp, b, n);
    /* a genuine request altered after signing, and one cut short */
    o.username = user;
    n = stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    b[n - 30] ^= 1;
    from_stranger(sp, b, n);
    n = stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    from_stranger(sp, b, n - 8);
    /* a signed success response and indication instead of a request */
    struct stun_writer w;
    stun_writer_init(&w, b, sizeof b, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), tid);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, user, strlen(user));
    stun_writer_integrity(&w, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    stun_writer_fingerprint(&w);
    from_stranger(sp, b, stun_writer_finish(&w));
    stun_writer_init(&w, b, sizeof b, stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION), tid);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, user, strlen(user));
    stun_writer_integrity(&w, (const uint8_t *)srv_pwd, strlen(srv_pwd));
    stun_writer_fingerprint(&w);
    from_stranger(sp, b, stun_writer_finish(&w));
    /* DTLS-looking and junk datagrams */
    static const uint8_t junk[] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    from_stranger(sp, junk, sizeof junk);
    from_stranger(sp, junk + 1, 3);
    from_stranger(sp, junk, 1);
    from_stranger(sp, (const uint8_t *)"\0\1", 2);
}

/* STUN that is not for us gets no answer at all, before and after the
 * connection is up, and does not move the selected address. */
static void test_stun_from_stranger(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    negotiate(s, c, FIX_RTCNODE, NULL);
    c->checks = false;
    NET.watch = STRANGER;
    stranger_checks(s, c, c->srv_ufrag, c->srv_pwd);
    net_pump();
    assert_int_equal(s->sent, 0);
    assert_int_equal(s->addresses, 0);
    assert_int_equal(NET.to_watch, 0);

    c->checks = true;
    RUN_UNTIL(pair_up(s, c), 10000);
    uint64_t sent = s->sent;
    stranger_checks(s, c, c->srv_ufrag, c->srv_pwd);
    net_pump();
    assert_int_equal(s->sent, sent);
    assert_int_equal(NET.to_watch, 0);
    assert_int_equal(s->addresses, 1);
    assert_true(cp_addr_eq(&s->addr, &c->addr));
    /* Control: the genuine client's check is answered, once. */
    int ok = c->stun_ok;
    cp_send_check(c);
    net_pump();
    assert_int_equal(s->sent, sent + 1);
    assert_int_equal(c->stun_ok, ok + 1);
    /* Traffic goes on. */
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"still", 5), 0);
    RUN_UNTIL(s->rx.n == 1, 1000);
    assert_int_equal(NET.to_watch, 0);
    assert_int_equal(s->failed, 0);
}

/* ---- DTLS from the wrong address ---- */

static struct sp *hook_sp;
static struct client_peer *hook_cl;
static struct sockaddr_in hook_from; /* the address spoofed records claim */
static int hook_count;

/* A plaintext fatal alert (epoch 0), as anyone on the path could forge. */
static const uint8_t FORGED_ALERT[] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 2, 40};

/* When dcsfu's ClientHello goes out, an alert "from" hook_from reaches the peer. */
static bool hook_alert(struct dg *g)
{
    if (hook_count == 0 && cp_addr_eq(&g->from, &SRV) && g->len > 13 && g->data[0] == 22) {
        hook_count++;
        peer_on_datagram(hook_sp->peer, now_ms, (const struct sockaddr *)&hook_from, FORGED_ALERT,
                         sizeof FORGED_ALERT);
    }
    return false;
}

/* The client's next DTLS datagram reaches the peer from STRANGER instead. */
static bool hook_divert(struct dg *g)
{
    if (hook_count == 0 && cp_addr_eq(&g->from, &hook_cl->addr) && g->data[0] >= 20 &&
        g->data[0] <= 63) {
        hook_count++;
        peer_on_datagram(hook_sp->peer, now_ms, (const struct sockaddr *)&STRANGER, g->data,
                         g->len);
        return true;
    }
    return false;
}

static void test_dtls_from_wrong_address(void **state)
{
    (void)state;
    /* A forged alert from elsewhere during the handshake is ignored. */
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    hook_sp = s;
    hook_from = STRANGER;
    hook_count = 0;
    NET.hook = hook_alert;
    connect_pair(s, c, FIX_RTCNODE);
    assert_int_equal(hook_count, 1);

    /* Control: the same alert from the selected address ends the handshake. */
    struct sp *s2 = sp_new();
    struct client_peer *c2 = cl_new("192.168.1.11", 50001, false);
    hook_sp = s2;
    hook_from = c2->addr;
    hook_count = 0;
    negotiate(s2, c2, FIX_RTCNODE, NULL);
    RUN_UNTIL(s2->failed, 2000);
    assert_int_equal(hook_count, 1);
    assert_int_equal(s2->why, PEER_FAIL_DTLS);
    assert_int_equal(s2->connected, 0);

    /* A genuine record sent on from another address is not processed: its
     * message arrives only when SCTP retransmits it on the right path. */
    NET.hook = hook_divert;
    NET.watch = STRANGER;
    hook_sp = s;
    hook_cl = c;
    hook_count = 0;
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"diverted", 8), 0);
    net_pump();
    assert_int_equal(hook_count, 1);
    assert_int_equal(s->rx.n, 0);
    assert_int_equal(NET.to_watch, 0);
    RUN_UNTIL(s->rx.n == 1, 5000);
    expect_nth(&s->rx, PEER_RELIABLE, 0, "diverted", 8);
    run_ms(500);
    assert_int_equal(s->rx.n, 1);
    assert_int_equal(NET.to_watch, 0);
    assert_int_equal(s->failed, 0);
}

/* The client's certificate does not match the fingerprint in its offer. */
static void test_wrong_fingerprint(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    uint8_t fp[CERT_FP_LEN];
    memcpy(fp, cert_fingerprint_raw(CCERT), sizeof fp);
    fp[7] ^= 0x10;
    negotiate(s, c, FIX_CHROMIUM, fp);
    RUN_UNTIL(s->failed, 40000);
    assert_int_equal(s->why, PEER_FAIL_DTLS);
    assert_int_equal(s->connected, 0);
    assert_int_equal(s->addresses, 1);
    assert_true(c->dtls_err != 0); /* dcsfu told the client with an alert */
    assert_false(c->dtls_done);
    run_ms(2000);
    assert_int_equal(s->failed, 1);
    assert_int_equal(s->connected, 0);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(peer_tick(s->peer, now_ms), UINT64_MAX);
}

/* Consent lasts while checks come; 30 s after the last one the peer fails. */
static void test_consent_loss(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    run_ms(45000);
    assert_int_equal(s->failed, 0);
    c->checks = false;
    uint64_t last = c->last_check;
    RUN_UNTIL(now_ms >= last + 30000, 31000);
    assert_int_equal(s->failed, 0);
    RUN_UNTIL(s->failed, 1000);
    assert_int_equal(s->why, PEER_FAIL_CONSENT);
    assert_true(now_ms > last + 30000 && now_ms <= last + 30000 + STEP_MS);
    run_ms(1000);
    assert_int_equal(s->failed, 1);
}

/* A peer that never completes ICE fails after the set-up timeout. */
static void test_setup_timeout(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    negotiate(s, c, FIX_RTCNODE, NULL);
    c->checks = false;
    uint64_t t0 = now_ms;
    RUN_UNTIL(s->failed, 40000);
    assert_int_equal(s->why, PEER_FAIL_CONSENT);
    assert_true(now_ms > t0 + 29000);
    assert_int_equal(s->sent, 0);
}

/* may_handshake holds the DTLS handshake back: ICE completes, no DTLS goes
 * out until peer_start_handshake, then the connection comes up.  A
 * handshake held for good ends with the set-up timeout. */
static void test_handshake_held(void **state)
{
    (void)state;
    struct sp *a = sp_new(), *b = sp_new();
    struct client_peer *ca = cl_new("192.168.1.10", 50000, false);
    struct client_peer *cb = cl_new("192.168.1.11", 50001, true);
    a->hold_handshake = b->hold_handshake = true;
    peer_start_handshake(a->peer, now_ms); /* nothing held yet: no-op */
    uint64_t t0 = now_ms;
    negotiate(a, ca, FIX_RTCNODE, NULL);
    negotiate(b, cb, FIX_CHROMIUM, NULL);
    RUN_UNTIL(a->addresses == 1 && b->addresses == 1, 5000);
    run_ms(3000);
    for (int i = 0; i < 2; i++) {
        const struct sp *s = i ? b : a;
        const struct client_peer *c = i ? cb : ca;
        assert_int_equal(s->handshake_asks, 1); /* asked once, not on every check */
        assert_int_equal(s->connected + s->failed, 0);
        assert_true(c->mapped_ok > 0);          /* ICE keeps being answered */
        assert_false(c->dtls_done);
        assert_int_equal(c->dtls_sent, 0);      /* no ClientHello reached it */
    }
    /* a slot frees up for a */
    peer_start_handshake(a->peer, now_ms);
    RUN_UNTIL(pair_up(a, ca), 5000);
    assert_int_equal(a->connected, 1);
    peer_start_handshake(a->peer, now_ms); /* started already: no-op */
    assert_int_equal(a->handshake_asks, 1);
    /* b never gets one: the set-up timeout ends it */
    RUN_UNTIL(b->failed, 30000);
    assert_int_equal(b->why, PEER_FAIL_DTLS);
    assert_true(now_ms > t0 + 30000);
    peer_start_handshake(b->peer, now_ms); /* failed: no-op */
    run_ms(100);
    assert_int_equal(b->connected, 0);
    assert_int_equal(cb->dtls_sent, 0);
    assert_int_equal(a->failed, 0);
}

/* The client's address changes (NAT rebinding): its checks with
 * USE-CANDIDATE from the new address move the peer there; traffic resumes,
 * including what was sent to the old address meanwhile. */
static void test_network_move(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"one", 3), 0);
    RUN_UNTIL(s->rx.n == 1, 1000);

    struct sockaddr_in old = c->addr, moved = cp_addr("192.168.1.10", 50002);
    NET.watch = old;
    cp_move(c, moved);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"lost?", 5), 0);
    peer_flush(s->peer, now_ms); /* the end of the server's loop turn */
    net_pump();
    assert_true(NET.to_watch > 0); /* went to the old address, nobody there */
    RUN_UNTIL(s->addresses == 2, 1000);
    assert_true(cp_addr_eq(&s->addr, &moved));
    uint64_t to_old = NET.to_watch;
    RUN_UNTIL(c->rx.n == 1, 5000);
    expect_nth(&c->rx, CP_RELIABLE, 0, "lost?", 5);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"two", 3), 0);
    assert_int_equal(cp_send(c, CP_LOSSY, (const uint8_t *)"three", 5), 0);
    assert_int_equal(peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"four", 4), 0);
    RUN_UNTIL(s->rx.n == 3 && c->rx.n == 2, 1000);
    expect_nth(&s->rx, PEER_RELIABLE, 1, "two", 3);
    expect_nth(&s->rx, PEER_LOSSY, 0, "three", 5);
    expect_nth(&c->rx, CP_LOSSY, 0, "four", 4);
    /* Consent now comes from the new address. */
    run_ms(40000);
    assert_int_equal(NET.to_watch, to_old);
    assert_int_equal(s->failed, 0);
    assert_int_equal(s->connected, 1);
    assert_int_equal(s->addresses, 2);
}

/* Reads the a=ice-ufrag of an answer. */
static void answer_ufrag(const char *answer, char *out, size_t cap)
{
    const char *p = strstr(answer, "a=ice-ufrag:");
    assert_non_null(p);
    p += 12;
    size_t n = strcspn(p, "\r\n");
    assert_true(n < cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

/* A second offer with the same credentials keeps ours; new credentials
 * (ICE restart) get new ones, the old pair keeps working until the new one
 * is nominated, and DTLS and SCTP carry on throughout. */
static void test_ice_restart(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_CHROMIUM);
    char u0[64], u[64];
    snprintf(u0, sizeof u0, "%s", peer_ufrag(s->peer));

    /* Renegotiation without restart. */
    char *answer = offer_answer(s, c, FIX_CHROMIUM, NULL);
    answer_ufrag(answer, u, sizeof u);
    assert_string_equal(u, u0);
    cp_apply_answer(c, answer);
    free(answer);
    assert_true(c->nominated);

    /* Restart. */
    char old_srv_ufrag[ICE_REMOTE_MAX + 1], old_srv_pwd[ICE_REMOTE_MAX + 1];
    strcpy(old_srv_ufrag, c->srv_ufrag);
    strcpy(old_srv_pwd, c->srv_pwd);
    cp_ice_restart(c);
    answer = offer_answer(s, c, FIX_CHROMIUM, NULL);
    answer_ufrag(answer, u, sizeof u);
    assert_string_not_equal(u, u0);
    assert_string_equal(peer_ufrag(s->peer), u);
    /* The old pair still answers (no clock step: the client has not moved on). */
    int ok = c->stun_ok;
    cp_send_check_as(c, old_srv_ufrag, c->old_ufrag, old_srv_pwd, false);
    net_pump();
    assert_int_equal(c->stun_ok, ok + 1);
    cp_apply_answer(c, answer);
    free(answer);
    assert_false(c->nominated);
    assert_string_not_equal(c->srv_pwd, old_srv_pwd);
    RUN_UNTIL(c->nominated, 1000);
    /* Now the old credentials are refused, silently. */
    uint64_t sent = s->sent;
    ok = c->stun_ok;
    cp_send_check_as(c, old_srv_ufrag, c->old_ufrag, old_srv_pwd, true);
    net_pump();
    assert_int_equal(s->sent, sent);
    assert_int_equal(c->stun_ok, ok);

    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"after", 5), 0);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"restart", 7), 0);
    RUN_UNTIL(s->rx.n == 1 && c->rx.n == 1, 1000);
    run_ms(40000);
    assert_int_equal(s->failed, 0);
    assert_int_equal(s->connected, 1);
    assert_int_equal(s->addresses, 1);
}

/* A new password alone is a restart too (RFC 8839 4.4.1.1.1). */
static void test_ice_restart_pwd_only(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    char u0[64], u[64];
    snprintf(u0, sizeof u0, "%s", peer_ufrag(s->peer));
    cp_random_chars(c->pwd, 24);
    char *answer = offer_answer(s, c, FIX_RTCNODE, NULL);
    answer_ufrag(answer, u, sizeof u);
    assert_string_not_equal(u, u0);
    cp_apply_answer(c, answer);
    free(answer);
    assert_false(c->nominated);
    RUN_UNTIL(c->nominated, 1000);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"on", 2), 0);
    RUN_UNTIL(c->rx.n == 1, 1000);
    run_ms(40000);
    assert_int_equal(s->failed, 0);
}

/* Other channels and string messages are ignored; a channel the client
 * closes is reported closed and can be opened again; an SCTP ABORT ends
 * the peer. */
static void test_channels_and_abort(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    assert_int_equal(sctp_assoc_open_channel(c->sctp, 5, "_data_track", true, -1), 0);
    assert_int_equal(sctp_assoc_send(c->sctp, 5, DCEP_PPID_BINARY, (const uint8_t *)"dt", 2), 0);
    assert_int_equal(sctp_assoc_send(c->sctp, CP_STREAM_RELIABLE, DCEP_PPID_STRING,
                                     (const uint8_t *)"str", 3), 0);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"bin", 3), 0);
    RUN_UNTIL(s->rx.n == 1, 1000);
    run_ms(300);
    assert_int_equal(s->rx.n, 1);
    expect_nth(&s->rx, PEER_RELIABLE, 0, "bin", 3);
    assert_int_equal(s->chan_open[PEER_RELIABLE] + s->chan_open[PEER_LOSSY], 2);

    assert_int_equal(sctp_assoc_close_channel(c->sctp, CP_STREAM_LOSSY), 0);
    RUN_UNTIL(s->chan_closed[PEER_LOSSY] == 1, 2000);
    assert_int_equal(peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"y", 1), 0);
    RUN_UNTIL(c->rx.n == 1, 1000);
    struct sctp_channel_info ci;
    RUN_UNTIL(!sctp_assoc_channel_info(c->sctp, CP_STREAM_LOSSY, &ci), 2000);
    assert_int_equal(sctp_assoc_open_channel(c->sctp, CP_STREAM_LOSSY, "_lossy", false, 0), 0);
    RUN_UNTIL(s->chan_open[PEER_LOSSY] == 2, 1000);
    assert_int_equal(peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"z", 1), 0);
    RUN_UNTIL(c->rx.n == 2, 1000);
    expect_nth(&c->rx, CP_LOSSY, 0, "z", 1);
    assert_int_equal(s->chan_closed[PEER_RELIABLE], 0);

    sctp_assoc_free(c->sctp); /* sends an ABORT */
    c->sctp = NULL;
    net_pump();
    assert_int_equal(s->failed, 1);
    assert_int_equal(s->why, PEER_FAIL_SCTP);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"x", 1), DC_ECLOSED);
}

/* The client ends the session with close_notify. */
static void test_close_notify(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    cp_close_notify(c);
    net_pump();
    assert_int_equal(s->failed, 1);
    assert_int_equal(s->why, PEER_FAIL_DTLS_CLOSED);
    run_ms(2000);
    assert_int_equal(s->failed, 1);
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"x", 1), DC_ECLOSED);
}

/* dcsfu closes: no callbacks after peer_close, close_notify on peer_free. */
static void test_server_close(void **state)
{
    (void)state;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    connect_pair(s, c, FIX_RTCNODE);
    peer_close(s->peer);
    s->closed = true;
    assert_int_equal(peer_send(s->peer, PEER_RELIABLE, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"late", 4), 0);
    run_ms(500);
    assert_int_equal(s->after_close, 0);
    assert_int_equal(s->rx.n, 0);
    assert_false(c->close_notify_rx);
    sp_free(s);
    net_pump();
    assert_true(c->close_notify_rx);
}

/* 200 create/connect/exchange/free cycles, some ended early (before the
 * answer, before ICE, mid-handshake), freed in either order. */
static void test_cycles(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        struct sp *s = sp_new();
        struct client_peer *c = cl_new("192.168.7.1", (uint16_t)(40000 + i), i % 3 == 0);
        const char *fix = i % 2 ? FIX_CHROMIUM : FIX_RTCNODE;
        switch (i % 5) {
        case 0:
            break;
        case 1:
            negotiate(s, c, fix, NULL);
            break;
        case 2:
            negotiate(s, c, fix, NULL);
            RUN_UNTIL(c->dtls_sent > 0, 1000);
            break;
        default:
            connect_pair(s, c, fix);
            assert_int_equal(cp_send(c, CP_RELIABLE, (const uint8_t *)"ping", 4), 0);
            assert_int_equal(peer_send(s->peer, PEER_LOSSY, (const uint8_t *)"pong", 4), 0);
            RUN_UNTIL(s->rx.n == 1 && c->rx.n == 1, 1000);
            expect_nth(&s->rx, PEER_RELIABLE, 0, "ping", 4);
            expect_nth(&c->rx, CP_LOSSY, 0, "pong", 4);
            break;
        }
        if (i % 2) {
            sp_free(s);
            cl_free(c);
        } else {
            cl_free(c);
            sp_free(s);
        }
        net_clear();
        run_ms(20);
        assert_int_equal(dep_usrsctp_refs(), 0);
    }
}

/* Under 10% random loss both ways from the first datagram on, the
 * connection comes up and 500 reliable messages each way arrive complete
 * and in order. */
static void test_reliable_under_loss(void **state)
{
    (void)state;
    NET.loss_pct = getenv("PEER_TEST_LOSS") ? (unsigned)atoi(getenv("PEER_TEST_LOSS")) : 10;
    NET.rng = getenv("PEER_TEST_SEED") ? (uint32_t)atoi(getenv("PEER_TEST_SEED")) : 12345;
    struct sp *s = sp_new();
    struct client_peer *c = cl_new("192.168.1.10", 50000, false);
    negotiate(s, c, FIX_RTCNODE, NULL);
    RUN_UNTIL(pair_up(s, c), 60000);
    enum { N = 500 };
    int up = 0, down = 0;
    uint64_t t0 = now_ms, deadline = now_ms + 120000;
    while ((s->rx.n < N || c->rx.n < N) && now_ms < deadline && !s->failed) {
        while (up < N) {
            size_t len = 8 + (size_t)(up * 37 % 3000);
            uint8_t *m = pattern(len, (uint32_t)up);
            memcpy(m, &up, sizeof up);
            int r = cp_send(c, CP_RELIABLE, m, len);
            free(m);
            if (r == DC_EAGAIN)
                break;
            assert_int_equal(r, 0);
            up++;
        }
        while (down < N) {
            size_t len = 8 + (size_t)(down * 53 % 2500);
            uint8_t *m = pattern(len, (uint32_t)down + 7);
            memcpy(m, &down, sizeof down);
            int r = peer_send(s->peer, PEER_RELIABLE, m, len);
            free(m);
            if (r == DC_EAGAIN)
                break;
            assert_int_equal(r, 0);
            down++;
        }
        step();
    }
    if (s->rx.n < N || c->rx.n < N)
        print_message("after %llu ms: failed=%d why=%d client sctp_closed=%d dtls_err=%d "
                      "sent %d/%d received %zu/%zu lost %llu\n",
                      (unsigned long long)(now_ms - t0), s->failed, (int)s->why, c->sctp_closed,
                      c->dtls_err, up, down, s->rx.n, c->rx.n, (unsigned long long)NET.lost);
    assert_int_equal(s->rx.n, N);
    assert_int_equal(c->rx.n, N);
    for (int i = 0; i < N; i++) {
        size_t len = 8 + (size_t)(i * 37 % 3000);
        uint8_t *m = pattern(len, (uint32_t)i);
        memcpy(m, &i, sizeof i);
        expect_nth(&s->rx, PEER_RELIABLE, (size_t)i, m, len);
        free(m);
        len = 8 + (size_t)(i * 53 % 2500);
        m = pattern(len, (uint32_t)i + 7);
        memcpy(m, &i, sizeof i);
        expect_nth(&c->rx, CP_RELIABLE, (size_t)i, m, len);
        free(m);
    }
    assert_true(NET.lost > 100);
    assert_int_equal(s->failed, 0);
    assert_int_equal(s->connected, 1);
    assert_int_equal(count_kind(&s->rx, PEER_LOSSY), 0);
}


int main(void)
{
    if (getenv("PEER_TEST_FILTER"))
        cmocka_set_test_filter(getenv("PEER_TEST_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_setup, t_teardown),
        cmocka_unit_test_teardown(test_max_message_size, t_teardown),
        cmocka_unit_test_teardown(test_oversize_from_client, t_teardown),
        cmocka_unit_test_teardown(test_stun_from_stranger, t_teardown),
        cmocka_unit_test_teardown(test_dtls_from_wrong_address, t_teardown),
        cmocka_unit_test_teardown(test_wrong_fingerprint, t_teardown),
        cmocka_unit_test_teardown(test_consent_loss, t_teardown),
        cmocka_unit_test_teardown(test_setup_timeout, t_teardown),
        cmocka_unit_test_teardown(test_handshake_held, t_teardown),
        cmocka_unit_test_teardown(test_network_move, t_teardown),
        cmocka_unit_test_teardown(test_ice_restart, t_teardown),
        cmocka_unit_test_teardown(test_ice_restart_pwd_only, t_teardown),
        cmocka_unit_test_teardown(test_channels_and_abort, t_teardown),
        cmocka_unit_test_teardown(test_close_notify, t_teardown),
        cmocka_unit_test_teardown(test_server_close, t_teardown),
        cmocka_unit_test_teardown(test_cycles, t_teardown),
        cmocka_unit_test_teardown(test_reliable_under_loss, t_teardown),
    };
    return run_on_both_stacks(tests, sizeof tests / sizeof tests[0]);
}
