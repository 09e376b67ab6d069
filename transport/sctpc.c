/* Native SCTP association: lifecycle, association set-up (with INIT
 * collision), chunk dispatch, timers and packet output.  Data transfer is
 * in sctpc_tx.c / sctpc_rx.c, stream reset in sctpc_reconf.c.  See
 * sctpc.h for the contract. */
#include "transport/sctpc.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/sctpc_internal.h"

#define COOKIE_BODY 40

/* ---- output ------------------------------------------------------------------- */

void sctpc_out_send(struct sctpc *a, struct sctpc_out *o)
{
    if (o->len <= SCTPC_COMMON_HDR) {
        o->len = 0;
        return;
    }
    sctpc_seal(o->buf, o->len);
    a->stats.pkts_out++;
    a->stats.bytes_out += o->len;
    a->in_cb = true;
    a->cb.send(a->ctx, o->buf, o->len);
    a->in_cb = false;
    o->len = 0;
}

uint8_t *sctpc_out_reserve(struct sctpc *a, struct sctpc_out *o, size_t need)
{
    if (o->len && o->len + need > SCTPC_MTU)
        sctpc_out_send(a, o);
    if (!o->len) {
        sctpc_put_header(o->buf, a->cfg.port, a->peer_vtag);
        o->len = SCTPC_COMMON_HDR;
    }
    return o->buf + o->len;
}

void sctpc_out_commit(struct sctpc_out *o, size_t n) { o->len += n; }

void sctpc_ctrl_add(struct sctpc *a, uint8_t type, uint8_t flags, const uint8_t *v, size_t n)
{
    int r = sctpc_put_chunk(a->ctrl + a->ctrl_len, sizeof a->ctrl - a->ctrl_len, type, flags, v, n);
    if (r > 0)
        a->ctrl_len += (size_t)r; /* else dropped: the peer retries */
}

/* A packet of its own with its own verification tag (INIT, INIT-ACK, ABORT). */
static void send_raw(struct sctpc *a, uint32_t vtag, const uint8_t *chunk, size_t n)
{
    struct sctpc_out o;
    sctpc_put_header(o.buf, a->cfg.port, vtag);
    memcpy(o.buf + SCTPC_COMMON_HDR, chunk, n);
    o.len = SCTPC_COMMON_HDR + n;
    sctpc_out_send(a, &o);
}

uint32_t sctpc_backoff(uint32_t t)
{
    if (t >= SCTPC_BACKOFF_MAX)
        return t;
    return t * 2 > SCTPC_BACKOFF_MAX ? SCTPC_BACKOFF_MAX : t * 2;
}

void sctpc_close(struct sctpc *a, int reason)
{
    if (a->state == SCTPC_DEAD)
        return;
    a->state = SCTPC_DEAD;
    a->t1_at = a->t3_at = a->sack_at = a->reconf_at = 0;
    if (a->cb.on_closed)
        a->cb.on_closed(a->ctx, reason);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

struct sctpc *sctpc_new(const struct sctpc_config *cfg, const struct sctpc_callbacks *cb,
                        void *ctx)
{
    if (!cb || !cb->send)
        return NULL;
    struct sctpc *a = util_calloc(1, sizeof *a);
    a->cb = *cb;
    a->ctx = ctx;
    if (cfg)
        a->cfg = *cfg;
    if (!a->cfg.port)
        a->cfg.port = SCTPC_PORT;
    if (!a->cfg.max_message_size)
        a->cfg.max_message_size = SCTPC_MAX_MESSAGE_DEFAULT;
    if (!a->cfg.rwnd)
        a->cfg.rwnd = 1024 * 1024;
    if (!a->cfg.send_buffer)
        a->cfg.send_buffer = 2 * 1024 * 1024;
    if (!a->cfg.max_retransmits)
        a->cfg.max_retransmits = 10;
    if (!a->cfg.low_water)
        a->cfg.low_water = 256 * 1024;
    if (a->cfg.secret)
        memcpy(a->secret, a->cfg.secret, sizeof a->secret);
    else
        util_random_bytes(a->secret, sizeof a->secret);
    a->cfg.secret = NULL;
    do
        util_random_bytes(&a->my_vtag, sizeof a->my_vtag);
    while (!a->my_vtag);
    util_random_bytes(&a->my_init_tsn, sizeof a->my_init_tsn);
    a->state = SCTPC_CLOSED;
    a->rto = SCTPC_RTO_INITIAL;
    a->t1_rto = SCTPC_T1_TIMEOUT;
    sctpc_tx_init(a, a->my_init_tsn);
    return a;
}

void sctpc_free(struct sctpc *a)
{
    if (!a)
        return;
    sctpc_tx_free(a);
    sctpc_rx_free(a);
    free(a);
}

int sctpc_connect(struct sctpc *a, uint64_t now_ms)
{
    if (!a || a->started || a->state != SCTPC_CLOSED)
        return DC_EINVAL;
    a->started = true;
    a->state = SCTPC_COOKIE_WAIT;
    a->send_init = true;
    a->init_rtx = 0;
    a->t1_at = now_ms + a->t1_rto;
    return 0;
}

bool sctpc_is_open(const struct sctpc *a)
{
    return a && a->state >= SCTPC_ESTABLISHED && a->state < SCTPC_DEAD;
}

size_t sctpc_buffered(const struct sctpc *a) { return a ? a->buffered : 0; }

uint16_t sctpc_out_streams(const struct sctpc *a)
{
    if (!a || !a->peer_vtag)
        return 0;
    return a->peer_mis < SCTPC_STREAMS ? a->peer_mis : SCTPC_STREAMS;
}

void sctpc_set_low_water(struct sctpc *a, size_t bytes)
{
    if (a)
        a->cfg.low_water = bytes;
}

void sctpc_stats(const struct sctpc *a, struct sctpc_stats *out) { *out = a->stats; }

int sctpc_shutdown(struct sctpc *a)
{
    if (!a || a->state == SCTPC_DEAD)
        return DC_ECLOSED;
    if (a->state != SCTPC_ESTABLISHED)
        return a->state > SCTPC_ESTABLISHED ? 0 : DC_ECLOSED;
    a->state = SCTPC_SHUTDOWN_PENDING;
    return 0;
}

void sctpc_abort(struct sctpc *a)
{
    if (!a || a->state == SCTPC_DEAD)
        return;
    if (a->peer_vtag && !a->in_cb) {
        /* User-Initiated Abort cause (12) without a reason. */
        uint8_t ch[8] = {SCTPC_ABORT, 0, 0, 8, 0, 12, 0, 4};
        send_raw(a, a->peer_vtag, ch, sizeof ch);
    }
    a->state = SCTPC_DEAD;
}

/* ---- set-up ------------------------------------------------------------------------ */

static void cookie_mac(const struct sctpc *a, const uint8_t *body, uint8_t *mac)
{
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), a->secret, sizeof a->secret,
                    body, COOKIE_BODY, mac);
}

static void build_cookie(const struct sctpc *a, const struct sctpc_init *peer, uint64_t now_ms,
                         uint8_t *c)
{
    memset(c, 0, SCTPC_COOKIE_LEN);
    sctpc_wr32(c, (uint32_t)(now_ms >> 32));
    sctpc_wr32(c + 4, (uint32_t)now_ms);
    sctpc_wr32(c + 8, a->my_vtag);
    sctpc_wr32(c + 12, peer->tag);
    sctpc_wr32(c + 16, peer->init_tsn);
    sctpc_wr32(c + 20, peer->a_rwnd);
    sctpc_wr16(c + 24, peer->os);
    sctpc_wr16(c + 26, peer->mis);
    c[28] = (uint8_t)(peer->fwd_tsn | peer->reconfig << 1);
    sctpc_wr32(c + 32, a->my_init_tsn);
    memcpy(c + 36, "DCSC", 4);
    cookie_mac(a, c, c + COOKIE_BODY);
}

static uint32_t local_init(const struct sctpc *a, struct sctpc_init *in)
{
    memset(in, 0, sizeof *in);
    in->tag = a->my_vtag;
    in->a_rwnd = a->cfg.rwnd;
    in->os = SCTPC_STREAMS;
    in->mis = SCTPC_STREAMS;
    in->init_tsn = a->my_init_tsn;
    return 0;
}

/* INIT in any state: answer with an INIT-ACK carrying our (unchanging)
 * tag and a signed cookie (RFC 9260 5.1 and, for a collision, 5.2.1). */
static void on_init(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms)
{
    struct sctpc_init peer, me;
    if (sctpc_parse_init(c, &peer) < 0) {
        a->stats.drop_bad_pkt++;
        return;
    }
    if (a->state >= SCTPC_ESTABLISHED && peer.tag != a->peer_vtag)
        return; /* a restart: not supported, the old association goes on */
    uint8_t cookie[SCTPC_COOKIE_LEN], chunk[160];
    build_cookie(a, &peer, now_ms, cookie);
    local_init(a, &me);
    me.cookie = cookie;
    me.cookie_len = sizeof cookie;
    int n = sctpc_put_init(chunk, sizeof chunk, SCTPC_INIT_ACK, &me);
    if (n > 0)
        send_raw(a, peer.tag, chunk, (size_t)n);
}

static void adopt_peer(struct sctpc *a, uint32_t tag, uint32_t tsn, uint32_t rwnd, uint16_t os,
                       uint16_t mis, uint8_t flags)
{
    a->peer_vtag = tag;
    a->peer_os = os;
    a->peer_mis = mis;
    a->peer_fwd_tsn = flags & 1;
    a->peer_reconfig = flags & 2;
    a->peer_rwnd = rwnd;
    a->ssthresh = rwnd;
    a->reconf_in_seq = tsn; /* RFC 6525: first request carries the peer's initial TSN */
    sctpc_rx_init(a, tsn);
}

static void on_init_ack(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms)
{
    struct sctpc_init peer;
    if (a->state != SCTPC_COOKIE_WAIT)
        return;
    if (sctpc_parse_init(c, &peer) < 0 || !peer.cookie || peer.cookie_len > sizeof a->cookie) {
        a->stats.drop_bad_pkt++;
        return;
    }
    adopt_peer(a, peer.tag, peer.init_tsn, peer.a_rwnd, peer.os, peer.mis,
               (uint8_t)(peer.fwd_tsn | peer.reconfig << 1));
    memcpy(a->cookie, peer.cookie, peer.cookie_len);
    a->cookie_len = peer.cookie_len;
    a->state = SCTPC_COOKIE_ECHOED;
    a->send_cookie_echo = true;
    a->init_rtx = 0;
    a->t1_rto = SCTPC_T1_TIMEOUT;
    a->t1_at = now_ms + a->t1_rto;
}

static void established(struct sctpc *a)
{
    a->state = SCTPC_ESTABLISHED;
    a->t1_at = 0;
    a->send_cookie_echo = false;
    if (a->cb.on_open)
        a->cb.on_open(a->ctx);
}

/* RFC 9260 5.1.5 / 5.2.4 with a tag that never changes: a valid cookie
 * carrying our tag establishes the association (from CLOSED, COOKIE-WAIT
 * or, in a collision, COOKIE-ECHOED); once established, a cookie with the
 * same peer tag is a retransmission and is acknowledged again. */
static void on_cookie_echo(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms)
{
    uint8_t mac[32];
    if (c->vlen != SCTPC_COOKIE_LEN || memcmp(c->v + 36, "DCSC", 4)) {
        a->stats.drop_bad_pkt++;
        return;
    }
    cookie_mac(a, c->v, mac);
    uint64_t ts = (uint64_t)sctpc_rd32(c->v) << 32 | sctpc_rd32(c->v + 4);
    if (!util_ct_equal(mac, c->v + COOKIE_BODY, sizeof mac) ||
        sctpc_rd32(c->v + 8) != a->my_vtag || ts > now_ms + 1000 ||
        now_ms - ts > SCTPC_COOKIE_LIFE) {
        a->stats.drop_bad_pkt++;
        return;
    }
    const uint8_t *v = c->v;
    uint32_t ptag = sctpc_rd32(v + 12);
    if (a->state >= SCTPC_ESTABLISHED) {
        if (ptag == a->peer_vtag)
            sctpc_ctrl_add(a, SCTPC_COOKIE_ACK, 0, NULL, 0);
        return;
    }
    adopt_peer(a, ptag, sctpc_rd32(v + 16), sctpc_rd32(v + 20), sctpc_rd16(v + 24),
               sctpc_rd16(v + 26), v[28]);
    a->started = true;
    sctpc_ctrl_add(a, SCTPC_COOKIE_ACK, 0, NULL, 0);
    established(a);
}

static void on_heartbeat(struct sctpc *a, const struct sctpc_chunk *c)
{
    if (a->state < SCTPC_ESTABLISHED)
        return;
    /* Echo the Heartbeat Info parameter as it came. */
    if (c->vlen <= 512)
        sctpc_ctrl_add(a, SCTPC_HEARTBEAT_ACK, 0, c->v, c->vlen);
}

static void on_shutdown(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms)
{
    if (a->state < SCTPC_ESTABLISHED || c->vlen < 4)
        return;
    struct sctpc_sack s = {.cum_tsn = sctpc_rd32(c->v), .a_rwnd = a->peer_rwnd};
    sctpc_tx_sack(a, &s, now_ms);
    if (a->state == SCTPC_ESTABLISHED || a->state == SCTPC_SHUTDOWN_PENDING)
        a->state = SCTPC_SHUTDOWN_RECEIVED;
    else if (a->state == SCTPC_SHUTDOWN_SENT) /* both sides shut down at once */
        a->state = SCTPC_SHUTDOWN_RECEIVED;
}

static void on_shutdown_ack(struct sctpc *a)
{
    if (a->state != SCTPC_SHUTDOWN_SENT && a->state != SCTPC_SHUTDOWN_ACK_SENT)
        return;
    uint8_t ch[4] = {SCTPC_SHUTDOWN_COMPLETE, 0, 0, 4};
    send_raw(a, a->peer_vtag, ch, sizeof ch);
    sctpc_close(a, SCTPC_CLOSE_SHUTDOWN);
}

/* ---- input ---------------------------------------------------------------------- */

static bool vtag_ok(const struct sctpc *a, const struct sctpc_hdr *h, const struct sctpc_chunk *c)
{
    if (c->type == SCTPC_INIT)
        return h->vtag == 0;
    if ((c->type == SCTPC_ABORT || c->type == SCTPC_SHUTDOWN_COMPLETE) && (c->flags & SCTPC_FLAG_T))
        return a->peer_vtag && h->vtag == a->peer_vtag;
    return h->vtag == a->my_vtag;
}

/* One chunk; false to stop processing the packet. */
static bool dispatch(struct sctpc *a, const struct sctpc_chunk *c, uint64_t now_ms, bool *data)
{
    bool est = a->state >= SCTPC_ESTABLISHED;
    switch (c->type) {
    case SCTPC_DATA: {
        struct sctpc_data d;
        if (!est)
            return true;
        if (sctpc_parse_data(c, &d) < 0)
            return false;
        *data = true;
        sctpc_rx_data(a, &d);
        return true;
    }
    case SCTPC_INIT: on_init(a, c, now_ms); return false;
    case SCTPC_INIT_ACK: on_init_ack(a, c, now_ms); return false;
    case SCTPC_COOKIE_ECHO: on_cookie_echo(a, c, now_ms); return true;
    case SCTPC_COOKIE_ACK:
        if (a->state == SCTPC_COOKIE_ECHOED)
            established(a);
        return true;
    case SCTPC_SACK: {
        struct sctpc_sack s;
        if (!est)
            return true;
        if (sctpc_parse_sack(c, &s) < 0)
            return false;
        a->stats.sacks_in++;
        sctpc_tx_sack(a, &s, now_ms);
        return true;
    }
    case SCTPC_FORWARD_TSN: {
        struct sctpc_fwd_tsn f;
        if (!est)
            return true;
        if (sctpc_parse_fwd_tsn(c, &f) < 0)
            return false;
        a->stats.fwd_tsn_in++;
        sctpc_rx_fwd_tsn(a, &f);
        return true;
    }
    case SCTPC_RECONFIG: if (est) sctpc_reconf_in(a, c, now_ms); return true;
    case SCTPC_HEARTBEAT: on_heartbeat(a, c); return true;
    case SCTPC_HEARTBEAT_ACK: case SCTPC_ERROR: return true;
    case SCTPC_ABORT: sctpc_close(a, est ? SCTPC_CLOSE_ABORTED : SCTPC_CLOSE_FAILED); return false;
    case SCTPC_SHUTDOWN: on_shutdown(a, c, now_ms); return true;
    case SCTPC_SHUTDOWN_ACK: on_shutdown_ack(a); return false;
    case SCTPC_SHUTDOWN_COMPLETE:
        if (a->state == SCTPC_SHUTDOWN_ACK_SENT)
            sctpc_close(a, SCTPC_CLOSE_SHUTDOWN);
        return false;
    default:
        /* Unknown chunk: the top bit of the type says skip (1) or stop (0). */
        return (c->type & 0x80) != 0;
    }
}

/* After the association closed: a SHUTDOWN-ACK retransmitted by a peer
 * that missed our SHUTDOWN-COMPLETE gets one more (T bit, tag reflected;
 * RFC 9260 8.4); everything else is ignored. */
static void dead_input(struct sctpc *a, const struct sctpc_hdr *h, struct sctpc_iter *it)
{
    struct sctpc_chunk c;
    if (sctpc_next_chunk(it, &c) != 1 || c.type != SCTPC_SHUTDOWN_ACK || h->vtag != a->my_vtag)
        return;
    uint8_t ch[4] = {SCTPC_SHUTDOWN_COMPLETE, SCTPC_FLAG_T, 0, 4};
    send_raw(a, h->vtag, ch, sizeof ch);
}

void sctpc_feed(struct sctpc *a, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
    struct sctpc_hdr h;
    struct sctpc_iter it;
    struct sctpc_chunk c;
    if (!a || a->in_cb)
        return;
    if (sctpc_packet_parse(pkt, len, &h, &it) < 0 || h.dst_port != a->cfg.port) {
        a->stats.drop_bad_pkt++;
        return;
    }
    if (a->state == SCTPC_DEAD) {
        dead_input(a, &h, &it);
        return;
    }
    a->stats.pkts_in++;
    a->stats.bytes_in += len;
    bool data = false, first = true;
    int r;
    while ((r = sctpc_next_chunk(&it, &c)) == 1) {
        if (!vtag_ok(a, &h, &c) || (c.type == SCTPC_INIT && !first)) {
            a->stats.drop_bad_vtag++;
            return;
        }
        first = false;
        if (!dispatch(a, &c, now_ms, &data) || a->state == SCTPC_DEAD)
            break;
    }
    if (r < 0)
        a->stats.drop_bad_pkt++;
    if (data && a->state != SCTPC_DEAD) {
        if (++a->unacked_pkts >= 2)
            a->sack_now = true;
        else if (!a->sack_at)
            a->sack_at = now_ms + SCTPC_DELAYED_ACK;
    }
    sctpc_reconf_check(a);
    /* While there are gaps or duplicates, every packet gets its own SACK at
     * once (RFC 9260 6.7): the sender counts one miss indication per SACK
     * for fast retransmission, so a SACK per loop turn would starve it into
     * retransmission timeouts. */
    if (data && a->state >= SCTPC_ESTABLISHED && a->sack_now &&
        (a->rx_high != a->cum_tsn || a->ndups > 0))
        sctpc_flush(a, now_ms);
}

/* ---- flush and timers -------------------------------------------------------------- */

static void flush_handshake(struct sctpc *a, struct sctpc_out *o)
{
    if (a->send_init) {
        struct sctpc_init me;
        uint8_t chunk[64];
        a->send_init = false;
        local_init(a, &me);
        int n = sctpc_put_init(chunk, sizeof chunk, SCTPC_INIT, &me);
        if (n > 0)
            send_raw(a, 0, chunk, (size_t)n);
    }
    if (a->send_cookie_echo && a->peer_vtag) {
        a->send_cookie_echo = false;
        uint8_t *p = sctpc_out_reserve(a, o, 4 + a->cookie_len + 3);
        int n = sctpc_put_chunk(p, SCTPC_MTU - o->len, SCTPC_COOKIE_ECHO, 0, a->cookie,
                                a->cookie_len);
        if (n > 0)
            sctpc_out_commit(o, (size_t)n);
    }
}

static void flush_ctrl(struct sctpc *a, struct sctpc_out *o)
{
    size_t off = 0;
    while (off + 4 <= a->ctrl_len) {
        size_t n = ((size_t)sctpc_rd16(a->ctrl + off + 2) + 3) & ~(size_t)3;
        memcpy(sctpc_out_reserve(a, o, n), a->ctrl + off, n);
        sctpc_out_commit(o, n);
        off += n;
    }
    a->ctrl_len = 0;
}

static void flush_shutdown(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms)
{
    if (!sctpc_tx_idle(a))
        return;
    if (a->state == SCTPC_SHUTDOWN_PENDING || a->send_shutdown) {
        uint8_t *p = sctpc_out_reserve(a, o, 8);
        sctpc_out_commit(o, (size_t)sctpc_put_shutdown(p, 8, a->cum_tsn));
        if (a->state == SCTPC_SHUTDOWN_PENDING) {
            a->state = SCTPC_SHUTDOWN_SENT;
            a->init_rtx = 0;
            a->t1_rto = a->rto;
        }
        a->t1_at = now_ms + a->t1_rto;
        a->send_shutdown = false;
    } else if (a->state == SCTPC_SHUTDOWN_RECEIVED || a->send_shutdown_ack) {
        uint8_t *p = sctpc_out_reserve(a, o, 4);
        sctpc_out_commit(o, (size_t)sctpc_put_chunk(p, 4, SCTPC_SHUTDOWN_ACK, 0, NULL, 0));
        if (a->state == SCTPC_SHUTDOWN_RECEIVED) {
            a->state = SCTPC_SHUTDOWN_ACK_SENT;
            a->init_rtx = 0;
            a->t1_rto = a->rto;
        }
        a->t1_at = now_ms + a->t1_rto;
        a->send_shutdown_ack = false;
    }
}

void sctpc_flush(struct sctpc *a, uint64_t now_ms)
{
    if (!a || a->state == SCTPC_DEAD || a->in_cb)
        return;
    struct sctpc_out o = {.len = 0};
    flush_handshake(a, &o);
    if (!a->peer_vtag) {
        a->ctrl_len = 0;
        return;
    }
    flush_ctrl(a, &o);
    if (a->state >= SCTPC_ESTABLISHED) {
        bool data = a->rtx_pending || a->next_unsent != a->next_tsn;
        sctpc_rx_sack_out(a, &o, data, now_ms); /* a due SACK rides with data */
        sctpc_reconf_out(a, &o, now_ms);
        sctpc_tx_flush(a, &o, now_ms);
        if (a->state >= SCTPC_SHUTDOWN_PENDING)
            flush_shutdown(a, &o, now_ms);
    }
    sctpc_out_send(a, &o);
}

/* T1-init, T1-cookie and T2-shutdown share one timer. */
static void t1_expired(struct sctpc *a, uint64_t now_ms)
{
    if (++a->init_rtx > SCTPC_MAX_INIT_RTX) {
        sctpc_close(a, a->state < SCTPC_ESTABLISHED ? SCTPC_CLOSE_FAILED : SCTPC_CLOSE_ABORTED);
        return;
    }
    a->t1_rto = sctpc_backoff(a->t1_rto);
    a->t1_at = now_ms + a->t1_rto;
    switch (a->state) {
    case SCTPC_COOKIE_WAIT: a->send_init = true; break;
    case SCTPC_COOKIE_ECHOED: a->send_cookie_echo = true; break;
    case SCTPC_SHUTDOWN_SENT: a->send_shutdown = true; break;
    case SCTPC_SHUTDOWN_ACK_SENT: a->send_shutdown_ack = true; break;
    default: a->t1_at = 0; break;
    }
}

void sctpc_tick(struct sctpc *a, uint64_t now_ms)
{
    if (!a || a->state == SCTPC_DEAD || a->in_cb)
        return;
    if (a->t1_at && now_ms >= a->t1_at)
        t1_expired(a, now_ms);
    if (a->state == SCTPC_DEAD)
        return;
    if (a->t3_at && now_ms >= a->t3_at)
        sctpc_tx_t3(a, now_ms);
    if (a->state == SCTPC_DEAD)
        return;
    if (a->sack_at && now_ms >= a->sack_at)
        a->sack_now = true;
    if (a->reconf_at && now_ms >= a->reconf_at) {
        a->reconf_at = 0;
        a->reset_send = true;
    }
    sctpc_flush(a, now_ms);
}

static uint64_t earlier(uint64_t t, uint64_t u) { return u && u < t ? u : t; }

uint64_t sctpc_next_timer(const struct sctpc *a)
{
    uint64_t t = UINT64_MAX;
    if (!a || a->state == SCTPC_DEAD)
        return t;
    t = earlier(t, a->t1_at);
    t = earlier(t, a->t3_at);
    t = earlier(t, a->sack_at);
    return earlier(t, a->reconf_at);
}
