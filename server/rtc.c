#include "server/rtc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hmap.h"
#include "common/log.h"
#include "common/util.h"
#include "server/room_manager.h"
#include "server/udp_out.h"
#include "transport/cert.h"
#include "transport/dep_usrsctp.h"
#include "transport/peer.h"
#include "transport/sctp.h"
#include "transport/stun.h"

/* usrsctp's timers run every TICK_MS.  Native SCTP associations have their
 * own deadlines: one one-shot timer is armed for the earliest of them. */
#define TICK_MS 10
/* Peers' own timers (DTLS retransmission from 1 s, consent 30 s) need no
 * finer grain than this; dead peers are freed on the same tick. */
#define PEER_TICK_MS 100
#define MAX_CANDIDATES 8
#define MAX_MESSAGE_SIZE 262144
#define CONSENT_TIMEOUT_MS 30000
#define UDP_RCVBUF (4 * 1024 * 1024)

struct rtc_peer {
    struct rtc *rtc;
    struct peer *peer;
    struct participant *part;  /* NULL once the participant is gone */
    char ufrag[64];
    struct sockaddr_storage addr;
    bool has_addr;
    bool dead;
    bool dirty;                   /* in rtc->dirty: flush at the end of the turn */
    bool handshaking;             /* holds one of rtc.max_pending_handshakes */
    bool waiting;                 /* in the queue for one */
    struct rtc_peer *next;
    struct rtc_peer *dirty_next;
    struct rtc_peer *wait_next;
};

/* DataPackets of one loop turn whose fan-out time is observed. */
#define RTC_ARRIVALS 64

struct rtc {
    uv_loop_t *loop;
    const struct config *cfg;
    struct rm *rm;
    uv_udp_t udp;
    uv_timer_t timer;             /* every PEER_TICK_MS (TICK_MS with usrsctp) */
    uv_timer_t sctp_timer;        /* one-shot, at the earliest native SCTP deadline */
    uint64_t sctp_armed;          /* its deadline, UINT64_MAX when idle */
    struct udp_out *out;
    struct cert *cert;
    char ips[MAX_CANDIDATES][INET6_ADDRSTRLEN];
    struct sdp_candidate cands[MAX_CANDIDATES];
    size_t n_cands;
    struct hmap by_ufrag, by_addr;
    struct rtc_peer *peers;
    struct rtc_peer *dirty;       /* peers with SCTP output to flush this turn */
    size_t n_handshaking;         /* DTLS handshakes started, not finished */
    struct rtc_peer *wait_head, *wait_tail; /* handshakes held back, oldest first */
    size_t n_waiting;
    uint64_t dropped_unknown, peers_connected;
    uint64_t peer_failed[RTC_PEER_FAILURES];
    struct sctp_stats sctp_gone;  /* counters of freed peers */
    struct metrics_hist fanout;
    uint64_t arrivals[RTC_ARRIVALS];  /* this turn's DataPackets, for the histogram */
    size_t n_arrivals;
    unsigned ticks;
    bool usrsctp;
};

/* Fan-out latency buckets, in seconds: 10 us to 100 ms. */
static const double fanout_bounds[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                       0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1};

/* ---------- routing tables ---------- */

static size_t addr_key(const struct sockaddr *sa, uint8_t key[20])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(key, &in->sin_addr, 4);
        memcpy(key + 4, &in->sin_port, 2);
        return 6;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    memcpy(key, &in6->sin6_addr, 16);
    memcpy(key + 16, &in6->sin6_port, 2);
    return 18;
}

static void route_addr(struct rtc_peer *rp, const struct sockaddr *sa)
{
    struct rtc *r = rp->rtc;
    uint8_t key[20];
    if (rp->has_addr) {
        size_t k = addr_key((struct sockaddr *)&rp->addr, key);
        if (hmap_get(&r->by_addr, key, k) == rp)
            hmap_del(&r->by_addr, key, k);
    }
    size_t k = addr_key(sa, key);
    hmap_put(&r->by_addr, key, k, rp);
    memcpy(&rp->addr, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                  : sizeof(struct sockaddr_in6));
    rp->has_addr = true;
}

static void unroute(struct rtc_peer *rp)
{
    struct rtc *r = rp->rtc;
    if (rp->ufrag[0] && hmap_get(&r->by_ufrag, rp->ufrag, strlen(rp->ufrag)) == rp)
        hmap_del(&r->by_ufrag, rp->ufrag, strlen(rp->ufrag));
    if (rp->has_addr) {
        uint8_t key[20];
        size_t k = addr_key((struct sockaddr *)&rp->addr, key);
        if (hmap_get(&r->by_addr, key, k) == rp)
            hmap_del(&r->by_addr, key, k);
    }
    rp->ufrag[0] = '\0';
    rp->has_addr = false;
}

static void route_ufrag(struct rtc_peer *rp)
{
    struct rtc *r = rp->rtc;
    const char *u = peer_ufrag(rp->peer);
    if (!strcmp(u, rp->ufrag))
        return;
    if (rp->ufrag[0] && hmap_get(&r->by_ufrag, rp->ufrag, strlen(rp->ufrag)) == rp)
        hmap_del(&r->by_ufrag, rp->ufrag, strlen(rp->ufrag));
    snprintf(rp->ufrag, sizeof rp->ufrag, "%s", u);
    hmap_put(&r->by_ufrag, rp->ufrag, strlen(rp->ufrag), rp);
}

/* ---------- DTLS handshakes in flight (rtc.max_pending_handshakes) ---------- */

/* rp's handshake is over (connected, failed, or the peer went away). */
static void handshake_end(struct rtc_peer *rp)
{
    struct rtc *r = rp->rtc;
    if (rp->handshaking) {
        rp->handshaking = false;
        r->n_handshaking--;
    }
    if (!rp->waiting)
        return;
    rp->waiting = false;
    r->n_waiting--;
    struct rtc_peer *prev = NULL;
    for (struct rtc_peer *w = r->wait_head; w; prev = w, w = w->wait_next) {
        if (w != rp)
            continue;
        if (prev)
            prev->wait_next = w->wait_next;
        else
            r->wait_head = w->wait_next;
        if (r->wait_tail == w)
            r->wait_tail = prev;
        break;
    }
    rp->wait_next = NULL;
}

static void take_slot(struct rtc_peer *rp)
{
    rp->handshaking = true;
    rp->rtc->n_handshaking++;
}

static bool handshake_slot_free(const struct rtc *r)
{
    uint32_t max = r->cfg->rtc.max_pending_handshakes;
    return !max || r->n_handshaking < max;
}

/* peer_callbacks.may_handshake: a slot now, or a place at the end of the
 * queue (first come, first served: nobody overtakes a waiting peer). */
static bool cb_may_handshake(void *ctx)
{
    struct rtc_peer *rp = ctx;
    struct rtc *r = rp->rtc;
    if (rp->dead)
        return false;
    if (!r->wait_head && handshake_slot_free(r)) {
        take_slot(rp);
        return true;
    }
    rp->waiting = true;
    rp->wait_next = NULL;
    if (r->wait_tail)
        r->wait_tail->wait_next = rp;
    else
        r->wait_head = rp;
    r->wait_tail = rp;
    r->n_waiting++;
    if (r->rm)
        limits_hit(&r->rm->limits, LIMIT_PENDING_HANDSHAKES, r->cfg->rtc.max_pending_handshakes,
                   util_wall_ms());
    LOGD("rtc", "DTLS handshake held back", "pending=%zu waiting=%zu", r->n_handshaking,
         r->n_waiting);
    return false;
}

/* Starts held-back handshakes, oldest first, while slots are free. */
static void handshakes_admit(struct rtc *r, uint64_t now_ms)
{
    while (r->wait_head && handshake_slot_free(r)) {
        struct rtc_peer *rp = r->wait_head;
        handshake_end(rp); /* leaves the queue, whose head it is */
        take_slot(rp);
        peer_start_handshake(rp->peer, now_ms);
    }
}

/* ---------- peer callbacks ---------- */

static void cb_send(void *ctx, const struct sockaddr *to, const uint8_t *data, size_t len)
{
    struct rtc_peer *rp = ctx;
    udp_out_send(rp->rtc->out, to, data, len);
}

static void cb_address(void *ctx, const struct sockaddr *addr)
{
    struct rtc_peer *rp = ctx;
    if (!rp->dead)
        route_addr(rp, addr);
}

static void cb_connected(void *ctx)
{
    struct rtc_peer *rp = ctx;
    handshake_end(rp);
    rp->rtc->peers_connected++;
    if (rp->part)
        rm_participant_active(rp->rtc->rm, rp->part);
}

static void cb_channel(void *ctx, int kind, bool open)
{
    struct rtc_peer *rp = ctx;
    if (rp->part)
        rm_data_channel_state(rp->rtc->rm, rp->part, kind, open);
}

static void cb_message(void *ctx, int kind, const uint8_t *data, size_t len)
{
    struct rtc_peer *rp = ctx;
    if (!rp->part)
        return;
    struct rtc *r = rp->rtc;
    if (r->n_arrivals < RTC_ARRIVALS)
        r->arrivals[r->n_arrivals++] = uv_hrtime();
    rm_data_received(r->rm, rp->part, kind, data, len);
}

static void cb_writable(void *ctx)
{
    struct rtc_peer *rp = ctx;
    if (rp->part)
        rm_data_writable(rp->rtc->rm, rp->part);
}

static void cb_failed(void *ctx, enum peer_failure why)
{
    struct rtc_peer *rp = ctx;
    handshake_end(rp);
    if ((unsigned)why < RTC_PEER_FAILURES)
        rp->rtc->peer_failed[why]++;
    if (!rp->part)
        return;
    static const int reasons[] = {
        [PEER_FAIL_CONSENT] = LIVEKIT__DISCONNECT_REASON__CONNECTION_TIMEOUT,
        [PEER_FAIL_DTLS] = LIVEKIT__DISCONNECT_REASON__JOIN_FAILURE,
        [PEER_FAIL_DTLS_CLOSED] = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED,
        [PEER_FAIL_SCTP] = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED,
    };
    LOGI("rtc", "peer connection ended", "sid=%s why=%d", rp->part->sid, (int)why);
    rm_participant_remove(rp->rtc->rm, rp->part, reasons[why], util_wall_ms());
}

static const struct peer_callbacks peer_cbs = {
    .send = cb_send,
    .on_address = cb_address,
    .on_connected = cb_connected,
    .on_channel = cb_channel,
    .on_message = cb_message,
    .on_writable = cb_writable,
    .on_failed = cb_failed,
    .may_handshake = cb_may_handshake,
};

/* ---------- room manager hooks ---------- */

/* rp's association may have queued output: flushed at the end of the turn. */
static void mark_dirty(struct rtc_peer *rp)
{
    if (rp->dirty)
        return;
    rp->dirty = true;
    rp->dirty_next = rp->rtc->dirty;
    rp->rtc->dirty = rp;
}

static void on_sctp_timer(uv_timer_t *t);

/* Makes the SCTP timer fire by `due` (absolute, util_now_ms clock). */
static void arm_sctp(struct rtc *r, uint64_t due, uint64_t now)
{
    if (due >= r->sctp_armed)
        return;
    r->sctp_armed = due;
    uv_timer_start(&r->sctp_timer, on_sctp_timer, due > now ? due - now : 0, 0);
}

/* Runs every native association's due timers and arms the SCTP timer for
 * the next deadline.  Output goes out with the turn's flush. */
static void scan_sctp(struct rtc *r, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (struct rtc_peer *rp = r->peers; rp; rp = rp->next) {
        if (rp->dead)
            continue;
        uint64_t t = peer_next_sctp_timer(rp->peer);
        if (t <= now) {
            peer_tick_sctp(rp->peer, now);
            t = peer_next_sctp_timer(rp->peer);
        }
        if (t < next)
            next = t;
    }
    if (next != UINT64_MAX)
        arm_sctp(r, next, now);
}

static void on_sctp_timer(uv_timer_t *t)
{
    struct rtc *r = t->data;
    r->sctp_armed = UINT64_MAX;
    scan_sctp(r, util_now_ms());
}

/* Sends the turn's output of every peer it touched; their timers may have
 * moved closer, so the SCTP timer is lowered to their next deadline. */
static void flush_dirty(struct rtc *r)
{
    uint64_t now = util_now_ms();
    while (r->dirty) {
        struct rtc_peer *rp = r->dirty;
        r->dirty = rp->dirty_next;
        rp->dirty = false;
        if (rp->dead)
            continue;
        peer_flush(rp->peer, now);
        arm_sctp(r, peer_next_sctp_timer(rp->peer), now);
    }
}

char *rtc_answer(void *ctx, struct participant *p, const char *offer, size_t len, const char **why)
{
    struct rtc *r = ctx;
    struct rtc_peer *rp = p->peer;
    if (!rp) {
        struct peer_config pc = {.max_message_size = MAX_MESSAGE_SIZE,
                                 .consent_timeout_ms = CONSENT_TIMEOUT_MS,
                                 .sctp_impl = r->cfg->rtc.sctp};
        rp = util_calloc(1, sizeof *rp);
        rp->rtc = r;
        rp->part = p;
        rp->peer = peer_new(r->cert, &pc, &peer_cbs, rp);
        rp->next = r->peers;
        r->peers = rp;
        p->peer = rp;
    }
    char *answer = peer_answer(rp->peer, util_now_ms(), offer, len, r->cands, r->n_cands, why);
    if (answer)
        route_ufrag(rp);
    return answer;
}

void rtc_peer_close(void *ctx, struct participant *p)
{
    (void)ctx;
    struct rtc_peer *rp = p->peer;
    if (!rp)
        return;
    rp->part = NULL;
    rp->dead = true;
    handshake_end(rp);
    peer_close(rp->peer);
    unroute(rp);
    p->peer = NULL;
}

int rtc_send_data(struct participant *p, int kind, const uint8_t *data, size_t len)
{
    struct rtc_peer *rp = p->peer;
    if (!rp || rp->dead)
        return DC_ECLOSED;
    mark_dirty(rp);
    return peer_send(rp->peer, kind, data, len);
}

void rtc_hold_data(struct participant *p, bool hold)
{
    struct rtc_peer *rp = p->peer;
    if (rp && !rp->dead)
        peer_hold(rp->peer, hold);
}

/* ---------- UDP ---------- */

static struct rtc_peer *route(struct rtc *r, const struct sockaddr *from, const uint8_t *d,
                              size_t n)
{
    uint8_t key[20];
    struct rtc_peer *rp = hmap_get(&r->by_addr, key, addr_key(from, key));
    if (rp || n < 20 || d[0] > 3)
        return rp;
    /* STUN from a new address: route by the USERNAME attribute's first part. */
    struct stun_msg m;
    if (stun_parse(d, n, &m) < 0)
        return NULL;
    char ufrag[64];
    size_t k = stun_username_local_ufrag(&m, ufrag, sizeof ufrag);
    return k ? hmap_get(&r->by_ufrag, ufrag, k) : NULL;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char slab[65536];
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
    struct rtc *r = h->data;
    if (n <= 0 || !from || (flags & UV_UDP_PARTIAL))
        return;
    struct rtc_peer *rp = route(r, from, (const uint8_t *)buf->base, (size_t)n);
    if (!rp || rp->dead) {
        r->dropped_unknown++;
        return;
    }
    peer_on_datagram(rp->peer, util_now_ms(), from, (const uint8_t *)buf->base, (size_t)n);
    mark_dirty(rp);
}

static void sctp_stats_add(struct sctp_stats *sum, const struct sctp_stats *st)
{
    sum->msgs_in += st->msgs_in;
    sum->bytes_in += st->bytes_in;
    sum->msgs_out += st->msgs_out;
    sum->bytes_out += st->bytes_out;
    sum->drop_in_too_big += st->drop_in_too_big;
    sum->drop_out_too_big += st->drop_out_too_big;
    sum->drop_in_no_channel += st->drop_in_no_channel;
    sum->drop_in_bad += st->drop_in_bad;
    sum->send_eagain += st->send_eagain;
    sum->abandoned += st->abandoned;
    sum->pkts_in += st->pkts_in;
    sum->pkts_out += st->pkts_out;
    sum->rtx_timeout += st->rtx_timeout;
    sum->rtx_fast += st->rtx_fast;
    sum->sacks_in += st->sacks_in;
    sum->sacks_out += st->sacks_out;
    sum->dup_tsns += st->dup_tsns;
}

static void reap(struct rtc *r)
{
    for (struct rtc_peer **pp = &r->peers; *pp;) {
        struct rtc_peer *rp = *pp;
        if (rp->dead && !rp->dirty) {
            *pp = rp->next;
            struct sctp_stats st;
            peer_sctp_stats(rp->peer, &st);
            sctp_stats_add(&r->sctp_gone, &st);
            peer_free(rp->peer);
            free(rp);
        } else {
            pp = &rp->next;
        }
    }
}

static void on_timer(uv_timer_t *t)
{
    struct rtc *r = t->data;
    uint64_t now = util_now_ms();
    bool peers_due = true;
    if (r->usrsctp) {
        sctp_tick(now);
        peers_due = ++r->ticks % (PEER_TICK_MS / TICK_MS) == 0;
    }
    if (!peers_due)
        return;
    for (struct rtc_peer *rp = r->peers; rp; rp = rp->next)
        if (!rp->dead)
            peer_tick(rp->peer, now);
    handshakes_admit(r, now);
    /* every native association's deadline, also those set outside a flush */
    scan_sctp(r, now);
    reap(r);
}

/* ---------- set-up ---------- */

static void add_candidate(struct rtc *r, const char *ip)
{
    for (size_t i = 0; i < r->n_cands; i++)
        if (!strcmp(r->ips[i], ip))
            return;
    if (r->n_cands == MAX_CANDIDATES)
        return;
    snprintf(r->ips[r->n_cands], sizeof r->ips[0], "%s", ip);
    r->cands[r->n_cands].ip = r->ips[r->n_cands];
    r->cands[r->n_cands].port = (uint16_t)r->cfg->rtc.udp_port;
    r->n_cands++;
}

/* rtc.node_ip when set (one address, or "v4,v6"), otherwise every IPv4
 * interface address: loopback only in development mode. */
static void gather_candidates(struct rtc *r)
{
    const char *node_ip = r->cfg->rtc.node_ip;
    if (node_ip && node_ip[0]) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", node_ip);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save))
            if (!strchr(tok, ':'))
                add_candidate(r, tok);
        return;
    }
    uv_interface_address_t *ifs;
    int n;
    if (uv_interface_addresses(&ifs, &n) != 0)
        return;
    for (int i = 0; i < n; i++) {
        if (ifs[i].address.address4.sin_family != AF_INET)
            continue;
        if (ifs[i].is_internal && !r->cfg->development)
            continue;
        char ip[INET6_ADDRSTRLEN];
        uv_ip4_name(&ifs[i].address.address4, ip, sizeof ip);
        add_candidate(r, ip);
    }
    uv_free_interface_addresses(ifs, n);
}

int rtc_start(struct rtc **out, uv_loop_t *loop, const struct config *cfg)
{
    struct rtc *r = util_calloc(1, sizeof *r);
    *out = r;
    r->loop = loop;
    r->cfg = cfg;
    hmap_init(&r->by_ufrag);
    hmap_init(&r->by_addr);
    uv_udp_init(loop, &r->udp);
    r->udp.data = r;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    uv_timer_init(loop, &r->sctp_timer);
    r->sctp_timer.data = r;
    r->sctp_armed = UINT64_MAX;
    r->out = udp_out_new(loop, &r->udp);
    metrics_hist_init(&r->fanout, fanout_bounds, sizeof fanout_bounds / sizeof fanout_bounds[0]);
    if (cert_new(&r->cert, util_wall_ms() / 1000) < 0) {
        LOGE("rtc", "cannot create the DTLS certificate", NULL);
        return DC_EIO;
    }
    struct sockaddr_in addr;
    uv_ip4_addr("0.0.0.0", cfg->rtc.udp_port, &addr);
    int e = uv_udp_bind(&r->udp, (const struct sockaddr *)&addr, 0);
    if (e == 0) {
        /* Every receiver answers a fanned-out message within the same moment: with the
         * default 208 KiB, a room of a hundred overflows the socket and loses datagrams.
         * The kernel caps the request at net.core.rmem_max. */
        int rcvbuf = UDP_RCVBUF;
        if (uv_recv_buffer_size((uv_handle_t *)&r->udp, &rcvbuf) != 0)
            LOGW("rtc", "cannot set the UDP receive buffer", "bytes=%d", UDP_RCVBUF);
        e = uv_udp_recv_start(&r->udp, on_alloc, on_recv);
    }
    if (e < 0) {
        LOGE("rtc", "cannot bind the UDP port", "port=%d err=\"%s\"", cfg->rtc.udp_port,
             uv_strerror(e));
        return DC_EIO;
    }
    gather_candidates(r);
    LOGI("rtc", "data plane ready", "udp_port=%d sctp=%s", cfg->rtc.udp_port,
         cfg->rtc.sctp == CONFIG_SCTP_USRSCTP ? "usrsctp" : "native");
    for (size_t i = 0; i < r->n_cands; i++)
        LOGI("rtc", "candidate", "ip=%s port=%u", r->cands[i].ip, r->cands[i].port);
    r->usrsctp = cfg->rtc.sctp == CONFIG_SCTP_USRSCTP;
    unsigned period = r->usrsctp ? TICK_MS : PEER_TICK_MS;
    uv_timer_start(&r->timer, on_timer, period, period);
    return 0;
}

void rtc_stats(const struct rtc *r, struct rtc_stats *out)
{
    memset(out, 0, sizeof *out);
    out->dropped_unknown = r->dropped_unknown;
    out->udp_out_dropped = udp_out_dropped(r->out);
    out->peers_connected = r->peers_connected;
    out->handshakes_pending = r->n_handshaking;
    out->handshakes_waiting = r->n_waiting;
    memcpy(out->peer_failed, r->peer_failed, sizeof out->peer_failed);
    out->sctp = r->sctp_gone;
    for (const struct rtc_peer *rp = r->peers; rp; rp = rp->next) {
        struct sctp_stats st;
        peer_sctp_stats(rp->peer, &st);
        sctp_stats_add(&out->sctp, &st);
        out->peers += !rp->dead;
    }
}

const struct metrics_hist *rtc_fanout_hist(const struct rtc *r)
{
    return &r->fanout;
}

/* End of a loop turn: every receiver's batch goes to its association, the
 * datagrams to the kernel, and the turn's DataPackets are timed. */
static void flush_batches(void *ctx)
{
    struct rtc *r = ctx;
    if (r->rm)
        rm_data_flush(r->rm);
    flush_dirty(r);
    /* handshakes that ended this turn free their slots at once */
    if (r->wait_head)
        handshakes_admit(r, util_now_ms());
    if (r->n_arrivals == 0)
        return;
    udp_out_flush(r->out);
    uint64_t now = uv_hrtime();
    for (size_t i = 0; i < r->n_arrivals; i++)
        metrics_hist_observe(&r->fanout, (double)(now - r->arrivals[i]) / 1e9);
    r->n_arrivals = 0;
}

void rtc_set_rm(struct rtc *r, struct rm *rm)
{
    r->rm = rm;
    rm->batch_sends = true;
    udp_out_before_flush(r->out, flush_batches, r);
}

void rtc_stop(struct rtc *r)
{
    if (!r)
        return;
    /* Peers closed by now go while the socket still sends their close_notify. */
    reap(r);
    udp_out_close(r->out);
    if (!uv_is_closing((uv_handle_t *)&r->udp))
        uv_close((uv_handle_t *)&r->udp, NULL);
    if (!uv_is_closing((uv_handle_t *)&r->timer))
        uv_close((uv_handle_t *)&r->timer, NULL);
    if (!uv_is_closing((uv_handle_t *)&r->sctp_timer))
        uv_close((uv_handle_t *)&r->sctp_timer, NULL);
}

void rtc_free(struct rtc *r)
{
    if (!r)
        return;
    for (struct rtc_peer *rp = r->peers; rp; rp = rp->next)
        rp->dead = true;
    r->wait_head = r->wait_tail = NULL;
    reap(r);
    udp_out_free(r->out);
    if (dep_usrsctp_shutdown(2000) < 0)
        LOGW("rtc", "usrsctp did not finish in time", NULL);
    hmap_free(&r->by_ufrag);
    hmap_free(&r->by_addr);
    cert_free(r->cert);
    free(r);
}
