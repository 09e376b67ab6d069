/* peer_world.h: test-only world for test_peer.c and test_peer_faults.c.
 *
 * dcsfu's side (struct sp: a transport/peer with callbacks that record
 * what happens), in-memory clients (client_peer.h), a simulated network
 * between them (a queue of datagrams with source and destination
 * addresses, optional random loss, a hook that may divert datagrams) and a
 * fake clock (now_ms) advanced in 10 ms steps, each step calling
 * sctp_tick, peer_tick_sctp, peer_tick and peer_flush as the server glue
 * does (which flushes after each datagram's turn too).  A small router stands
 * in for server/rtc.c: a datagram goes to the peer whose selected address
 * it comes from, STUN from a new address to the peer whose ICE ufrag it
 * names.  The clock is fake_clock.h's, which usrsctp reads too.
 *
 * Functions are static; one include per test binary. */
#ifndef DC_TEST_PEER_WORLD_H
#define DC_TEST_PEER_WORLD_H

#include "tests/unit/client_peer.h"
#include "tests/unit/fake_clock.h"
#include "transport/dep_usrsctp.h"
#include "transport/peer.h"
#include "transport/peer_sctp.h"

#define FIX_RTCNODE "tests/unit/fixtures/offer_rtcnode_v1.sdp"
#define FIX_CHROMIUM "tests/unit/fixtures/offer_chromium_v1.sdp"
#define MAX_SP 4
#define MAX_CL 4
#define STEP_MS 10
#define SRV_MAX_MESSAGE 262144u

static uint64_t now_ms = 1000000; /* fake_clock.h */
/* The server peers' SCTP stack (enum peer_sctp_impl); test_peer runs its
 * tests on each. */
static int g_sctp_impl;

/* ---- the network ---------------------------------------------------------- */

struct dg {
    struct dg *next;
    struct sockaddr_in from, to;
    size_t len;
    uint8_t data[];
};

/* A hook sees each datagram before delivery; returning true consumes it. */
typedef bool (*net_hook)(struct dg *g);

static struct net {
    struct dg *head, *tail;
    unsigned loss_pct;
    uint32_t rng;
    uint64_t lost, nowhere, srv_unrouted;
    net_hook hook;
    struct sockaddr_in watch; /* datagrams sent to this address are counted */
    uint64_t to_watch;
} NET;

static struct sockaddr_in SRV, STRANGER;
static const struct sdp_candidate CANDS[] = {{"10.0.0.1", 7882}};
static struct cert *SCERT, *CCERT;

static uint32_t rnd(void)
{
    NET.rng = NET.rng * 1664525u + 1013904223u;
    return NET.rng >> 8;
}

static void net_send(void *ctx, const struct sockaddr_in *from, const struct sockaddr_in *to,
                     const uint8_t *d, size_t n)
{
    (void)ctx;
    struct dg *g = malloc(sizeof *g + n);
    assert_non_null(g);
    g->next = NULL;
    g->from = *from;
    g->to = *to;
    g->len = n;
    memcpy(g->data, d, n);
    if (cp_addr_eq(to, &NET.watch))
        NET.to_watch++;
    if (NET.tail)
        NET.tail->next = g;
    else
        NET.head = g;
    NET.tail = g;
}

static void net_clear(void)
{
    while (NET.head) {
        struct dg *g = NET.head;
        NET.head = g->next;
        free(g);
    }
    NET.tail = NULL;
}

/* ---- dcsfu's side: peers and a router ----------------------------------------- */

struct sp {
    bool used, closed;
    struct peer *peer;
    struct sockaddr_in addr;
    bool has_addr;
    int connected, failed, addresses, after_close;
    enum peer_failure why;
    int chan_open[2], chan_closed[2];
    struct cp_msgs rx;
    uint64_t sent;
    bool hold_handshake;   /* may_handshake answers no */
    int handshake_asks;
};

static struct sp SP[MAX_SP];
static struct client_peer CL[MAX_CL];
static bool CL_used[MAX_CL];

static void sp_event(struct sp *s)
{
    if (s->closed)
        s->after_close++;
}

static void sp_send(void *ctx, const struct sockaddr *to, const uint8_t *d, size_t n)
{
    struct sp *s = ctx;
    assert_int_equal(to->sa_family, AF_INET);
    s->sent++;
    net_send(NULL, &SRV, (const struct sockaddr_in *)to, d, n);
}

static void sp_address(void *ctx, const struct sockaddr *a)
{
    struct sp *s = ctx;
    sp_event(s);
    assert_int_equal(a->sa_family, AF_INET);
    memcpy(&s->addr, a, sizeof s->addr);
    s->has_addr = true;
    s->addresses++;
}

static void sp_connected(void *ctx)
{
    struct sp *s = ctx;
    sp_event(s);
    s->connected++;
}

static void sp_channel(void *ctx, int kind, bool open)
{
    struct sp *s = ctx;
    sp_event(s);
    assert_true(kind == PEER_RELIABLE || kind == PEER_LOSSY);
    if (open)
        s->chan_open[kind]++;
    else
        s->chan_closed[kind]++;
}

static void sp_message(void *ctx, int kind, const uint8_t *d, size_t n)
{
    struct sp *s = ctx;
    sp_event(s);
    cp_msgs_push(&s->rx, kind, 0, d, n);
}

static void sp_failed(void *ctx, enum peer_failure why)
{
    struct sp *s = ctx;
    sp_event(s);
    s->failed++;
    s->why = why;
}

static bool sp_may_handshake(void *ctx)
{
    struct sp *s = ctx;
    sp_event(s);
    s->handshake_asks++;
    return !s->hold_handshake;
}

static const struct peer_callbacks SP_CB = {
    .send = sp_send,
    .on_address = sp_address,
    .on_connected = sp_connected,
    .on_channel = sp_channel,
    .on_message = sp_message,
    .on_failed = sp_failed,
    .may_handshake = sp_may_handshake,
};

static struct sp *sp_new(void)
{
    for (int i = 0; i < MAX_SP; i++) {
        struct sp *s = &SP[i];
        if (s->used)
            continue;
        memset(s, 0, sizeof *s);
        s->used = true;
        struct peer_config cfg = {.max_message_size = SRV_MAX_MESSAGE, .consent_timeout_ms = 30000,
                                  .sctp_impl = g_sctp_impl};
        s->peer = peer_new(SCERT, &cfg, &SP_CB, s);
        assert_non_null(s->peer);
        return s;
    }
    fail_msg("no free server peer slot");
    return NULL;
}

static void sp_free(struct sp *s)
{
    if (!s->used)
        return;
    peer_free(s->peer);
    cp_msgs_clear(&s->rx);
    memset(s, 0, sizeof *s);
}

/* What server/rtc.c does with an incoming datagram. */
static void srv_recv(const struct sockaddr_in *from, const uint8_t *d, size_t n)
{
    struct sp *s = NULL;
    for (int i = 0; i < MAX_SP && !s; i++)
        if (SP[i].used && !SP[i].closed && SP[i].has_addr && cp_addr_eq(&SP[i].addr, from))
            s = &SP[i];
    if (!s && n >= STUN_HEADER_LEN && d[0] <= 3) {
        struct stun_msg m;
        char u[64];
        size_t k = stun_parse(d, n, &m) == 0 ? stun_username_local_ufrag(&m, u, sizeof u) : 0;
        for (int i = 0; i < MAX_SP && k && !s; i++)
            if (SP[i].used && !SP[i].closed && !strcmp(peer_ufrag(SP[i].peer), u))
                s = &SP[i];
    }
    if (!s) {
        NET.srv_unrouted++;
        return;
    }
    peer_on_datagram(s->peer, now_ms, (const struct sockaddr *)from, d, n);
    peer_flush(s->peer, now_ms); /* as at the end of the server's loop turn */
}

static void deliver(const struct dg *g)
{
    if (cp_addr_eq(&g->to, &SRV)) {
        srv_recv(&g->from, g->data, g->len);
        return;
    }
    for (int i = 0; i < MAX_CL; i++) {
        if (CL_used[i] && cp_addr_eq(&CL[i].addr, &g->to)) {
            cp_on_datagram(&CL[i], &g->from, g->data, g->len);
            return;
        }
    }
    NET.nowhere++;
}

/* Delivers datagrams (and those they cause) until the network is quiet. */
static void net_pump(void)
{
    for (int i = 0; i < 1000000 && NET.head; i++) {
        struct dg *g = NET.head;
        NET.head = g->next;
        if (!NET.head)
            NET.tail = NULL;
        if (NET.loss_pct && rnd() % 100 < NET.loss_pct)
            NET.lost++;
        else if (!(NET.hook && NET.hook(g)))
            deliver(g);
        free(g);
    }
    assert_null(NET.head);
}

/* One 10 ms step of the fake clock, with the server glue's timers. */
static void step(void)
{
    net_pump();
    now_ms += STEP_MS;
    sctp_tick(now_ms);
    for (int i = 0; i < MAX_SP; i++) {
        if (SP[i].used && !SP[i].closed) {
            peer_tick_sctp(SP[i].peer, now_ms);
            peer_tick(SP[i].peer, now_ms);
        }
        if (SP[i].used && !SP[i].closed) /* sends the tests made, as the turn's end does */
            peer_flush(SP[i].peer, now_ms);
    }
    for (int i = 0; i < MAX_CL; i++)
        if (CL_used[i])
            cp_tick(&CL[i], now_ms);
    net_pump();
}

static void run_ms(uint64_t ms)
{
    uint64_t end = now_ms + ms;
    while (now_ms < end)
        step();
}

#define RUN_UNTIL(cond, max_ms)                                                                  \
    do {                                                                                         \
        uint64_t end_ = now_ms + (max_ms);                                                       \
        while (!(cond) && now_ms < end_)                                                         \
            step();                                                                              \
        if (!(cond))                                                                             \
            fail_msg("not reached in %u ms: %s", (unsigned)(max_ms), #cond);                    \
    } while (0)

/* ---- clients ---------------------------------------------------------------------- */

static struct client_peer *cl_new(const char *ip, uint16_t port, bool cookies)
{
    for (int i = 0; i < MAX_CL; i++) {
        if (CL_used[i])
            continue;
        CL_used[i] = true;
        cp_init(&CL[i], cp_addr(ip, port), CCERT, SCERT, cookies, net_send, NULL);
        CL[i].now = now_ms;
        return &CL[i];
    }
    fail_msg("no free client slot");
    return NULL;
}

static void cl_free(struct client_peer *c)
{
    int i = (int)(c - CL);
    if (!CL_used[i])
        return;
    cp_free(c);
    CL_used[i] = false;
}

/* Offer from the client, answer from the peer (malloc'd). */
static char *offer_answer(struct sp *s, struct client_peer *c, const char *fixture,
                          const uint8_t *fp)
{
    char *offer = cp_offer(c, fixture, fp);
    const char *why = NULL;
    char *answer = peer_answer(s->peer, now_ms, offer, strlen(offer), CANDS, 1, &why);
    if (!answer)
        fail_msg("peer_answer: %s", why ? why : "?");
    free(offer);
    return answer;
}

static void negotiate(struct sp *s, struct client_peer *c, const char *fixture, const uint8_t *fp)
{
    char *answer = offer_answer(s, c, fixture, fp);
    cp_apply_answer(c, answer);
    free(answer);
}

static bool pair_up(const struct sp *s, const struct client_peer *c)
{
    return s->chan_open[PEER_RELIABLE] && s->chan_open[PEER_LOSSY] && cp_channels_up(c);
}

static void connect_pair(struct sp *s, struct client_peer *c, const char *fixture)
{
    negotiate(s, c, fixture, NULL);
    RUN_UNTIL(pair_up(s, c), 10000);
    assert_int_equal(s->connected, 1);
    assert_int_equal(s->failed, 0);
}

static uint8_t *pattern(size_t len, uint32_t seed)
{
    uint8_t *b = malloc(len ? len : 1);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
    return b;
}

/* The k-th message of `kind` in m. */
static const struct cp_msg *nth(const struct cp_msgs *m, int kind, size_t k)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].kind == kind && k-- == 0)
            return &m->v[i];
    return NULL;
}

static void expect_nth(const struct cp_msgs *m, int kind, size_t k, const void *d, size_t len)
{
    const struct cp_msg *x = nth(m, kind, k);
    if (!x)
        fail_msg("message %zu of kind %d missing", k, kind);
    assert_int_equal(x->len, len);
    if (len)
        assert_memory_equal(x->data, d, len);
}

static size_t count_kind(const struct cp_msgs *m, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->v[i].kind == kind;
    return n;
}

/* Group set-up: log level (PEER_TEST_DEBUG), both certificates, addresses. */
static int group_setup(void **state)
{
    (void)state;
    if (getenv("PEER_TEST_DEBUG"))
        log_configure(LOG_LVL_DEBUG, false);
    else
        log_configure(LOG_LVL_ERROR, false);
    assert_int_equal(cert_new(&SCERT, NOW_S), 0);
    assert_int_equal(cert_new(&CCERT, NOW_S), 0);
    SRV = cp_addr("10.0.0.1", 7882);
    STRANGER = cp_addr("203.0.113.66", 4444);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cert_free(SCERT);
    cert_free(CCERT);
    return 0;
}

static int t_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_SP; i++)
        sp_free(&SP[i]);
    for (int i = 0; i < MAX_CL; i++)
        cl_free(&CL[i]);
    net_clear();
    memset(&NET, 0, sizeof NET);
    assert_int_equal(dep_usrsctp_refs(), 0);
    return 0;
}

#endif
