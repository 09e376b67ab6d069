/* Native SCTP, sending side: the TSN-indexed send ring, fragmentation,
 * bundling into packets, SACK processing (cumulative ack, gap blocks,
 * fast retransmit), T3-rtx, RTO (RFC 9260 6.3), congestion control
 * (RFC 9260 7.2) and PR-SCTP abandonment with FORWARD-TSN (RFC 3758). */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/sctpc_internal.h"

#define MTU SCTPC_MTU
#define CWND_INITIAL (10u * MTU) /* dcSCTP's initial window */
#define CWND_MIN (4u * MTU)
/* The window after a retransmission timeout.  RFC 9260 restarts from one
 * packet; on the lossy paths data channels meet (random loss, not
 * congestion) that turns every timeout into stop-and-wait with a doubling
 * timer, and 30% loss delivered a few messages a second.  Four packets, the
 * floor dcSCTP keeps after SACK-detected loss, keep fast retransmission
 * possible (three later packets can report a gap). */
#define T3_CWND (4u * MTU)

static struct sctpc_txc *slot(const struct sctpc *a, uint32_t tsn)
{
    return &a->ring[tsn & a->ring_mask];
}

void sctpc_tx_init(struct sctpc *a, uint32_t init_tsn)
{
    a->ring_mask = 255;
    a->ring = util_calloc(a->ring_mask + 1, sizeof *a->ring);
    a->base_tsn = a->next_tsn = a->next_unsent = init_tsn;
    a->adv_peer_ack = init_tsn - 1;
    a->reconf_out_seq = init_tsn; /* RFC 6525: requests start at the initial TSN */
    a->cwnd = CWND_INITIAL;
    a->ssthresh = UINT32_MAX;
}

static void msg_unref(struct sctpc_msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

void sctpc_tx_free(struct sctpc *a)
{
    for (uint32_t t = a->base_tsn; t != a->next_tsn; t++)
        msg_unref(slot(a, t)->m);
    free(a->ring);
    a->ring = NULL;
}

bool sctpc_tx_idle(const struct sctpc *a) { return a->base_tsn == a->next_tsn; }

static void ring_reserve(struct sctpc *a, uint32_t n)
{
    uint32_t used = a->next_tsn - a->base_tsn, cap = a->ring_mask + 1;
    if (used + n <= cap)
        return;
    while (used + n > cap)
        cap *= 2;
    struct sctpc_txc *r = util_calloc(cap, sizeof *r);
    for (uint32_t t = a->base_tsn; t != a->next_tsn; t++)
        r[t & (cap - 1)] = *slot(a, t);
    free(a->ring);
    a->ring = r;
    a->ring_mask = cap - 1;
}

int sctpc_send(struct sctpc *a, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len,
               const struct sctpc_send_opts *opts, uint64_t now_ms)
{
    if (!a || a->in_cb || (!data && len) || len == 0)
        return DC_EINVAL;
    if (a->state != SCTPC_ESTABLISHED)
        return a->state < SCTPC_ESTABLISHED ? DC_EAGAIN : DC_ECLOSED;
    if (stream >= SCTPC_STREAMS || stream >= a->peer_mis)
        return DC_EINVAL;
    if (len > a->cfg.send_buffer)
        return DC_ETOOBIG;
    if (sctpc_stream_resetting(a, stream))
        return DC_EAGAIN;
    if (a->buffered + len > a->cfg.send_buffer) {
        a->want_writable = true;
        return DC_EAGAIN;
    }
    uint32_t nfrag = (uint32_t)((len + SCTPC_DATA_ROOM - 1) / SCTPC_DATA_ROOM);
    struct sctpc_msg *m = util_malloc(sizeof *m + len);
    m->refs = nfrag;
    m->ppid = ppid;
    m->stream = stream;
    m->unordered = opts && opts->unordered;
    m->ssn = m->unordered ? 0 : a->out_ssn[stream]++;
    m->max_rexmit = opts && a->peer_fwd_tsn ? opts->max_rexmit : -1;
    m->expires = opts && a->peer_fwd_tsn && opts->lifetime_ms ? now_ms + opts->lifetime_ms : 0;
    m->len = len;
    memcpy(m->data, data, len);
    ring_reserve(a, nfrag);
    for (uint32_t i = 0; i < nfrag; i++) {
        struct sctpc_txc *c = slot(a, a->next_tsn++);
        memset(c, 0, sizeof *c);
        c->m = m;
        c->off = i * SCTPC_DATA_ROOM;
        c->len = (uint16_t)(i + 1 < nfrag ? SCTPC_DATA_ROOM : len - c->off);
        c->flags = (uint8_t)((i == 0 ? SCTPC_DATA_B : 0) | (i + 1 == nfrag ? SCTPC_DATA_E : 0) |
                             (m->unordered ? SCTPC_DATA_U : 0));
        c->state = TX_UNSENT;
    }
    a->buffered += len;
    if (a->buffered > a->cfg.low_water)
        a->want_writable = true;
    a->stats.msgs_out++;
    return 0;
}

/* ---- PR-SCTP ---------------------------------------------------------------------- */

/* Moves the advanced peer ack point over abandoned chunks (RFC 3758 3.5). */
static void advance_peer_ack(struct sctpc *a)
{
    if (sctpc_lt32(a->adv_peer_ack, a->base_tsn - 1))
        a->adv_peer_ack = a->base_tsn - 1;
    while (a->adv_peer_ack + 1 != a->next_tsn &&
           slot(a, a->adv_peer_ack + 1)->state == TX_ABANDONED)
        a->adv_peer_ack++;
    if (sctpc_lt32(a->next_unsent, a->adv_peer_ack + 1))
        a->next_unsent = a->adv_peer_ack + 1; /* abandoned before ever sent */
    if (a->adv_peer_ack != a->base_tsn - 1)
        a->fwd_tsn_due = true;
}

/* Abandons every fragment of the message `tsn` belongs to. */
static void abandon(struct sctpc *a, uint32_t tsn)
{
    struct sctpc_msg *m = slot(a, tsn)->m;
    uint32_t t = tsn;
    while (t != a->base_tsn && slot(a, t - 1)->m == m)
        t--;
    for (; t != a->next_tsn && slot(a, t)->m == m; t++) {
        struct sctpc_txc *c = slot(a, t);
        if (c->state == TX_SENT)
            a->flight -= c->len;
        c->state = TX_ABANDONED;
    }
    a->stats.abandoned++;
    advance_peer_ack(a);
}

static bool expired(const struct sctpc_txc *c, uint64_t now_ms)
{
    return c->m->expires && now_ms >= c->m->expires;
}

static void put_fwd_tsn(struct sctpc *a, struct sctpc_out *o)
{
    uint16_t pairs[2 * SCTPC_STREAMS];
    uint16_t n = 0;
    int32_t last[SCTPC_STREAMS];
    for (int i = 0; i < SCTPC_STREAMS; i++)
        last[i] = -1;
    for (uint32_t t = a->base_tsn; t != a->adv_peer_ack + 1; t++) {
        const struct sctpc_txc *c = slot(a, t);
        if (c->m && !c->m->unordered)
            last[c->m->stream] = c->m->ssn;
    }
    for (int i = 0; i < SCTPC_STREAMS; i++)
        if (last[i] >= 0) {
            pairs[2 * n] = (uint16_t)i;
            pairs[2 * n + 1] = (uint16_t)last[i];
            n++;
        }
    size_t need = 8 + 4 * (size_t)n;
    uint8_t *p = sctpc_out_reserve(a, o, need);
    int r = sctpc_put_fwd_tsn(p, need, a->adv_peer_ack, pairs, n);
    if (r > 0) {
        sctpc_out_commit(o, (size_t)r);
        a->stats.fwd_tsn_out++;
    }
    a->fwd_tsn_due = false;
}

/* ---- output -------------------------------------------------------------------------- */

/* When T3-rtx started now would expire. */
static uint64_t t3_deadline(const struct sctpc *a, uint64_t now_ms)
{
    return now_ms + (a->t3_backoff ? a->t3_backoff : a->rto);
}

static void put_data(struct sctpc *a, struct sctpc_out *o, uint32_t tsn, struct sctpc_txc *c,
                     uint64_t now_ms)
{
    size_t need = (SCTPC_DATA_HDR + c->len + 3u) & ~3u;
    uint8_t *p = sctpc_out_reserve(a, o, need);
    struct sctpc_data d = {.tsn = tsn,
                           .ppid = c->m->ppid,
                           .stream = c->m->stream,
                           .ssn = c->m->ssn,
                           .flags = c->flags,
                           .payload = c->m->data + c->off,
                           .len = c->len};
    /* With a small window (after a timeout) the peer would delay its SACK
     * for each lone packet; retransmissions and small-window sends ask for
     * it at once (RFC 7053 I bit), so recovery is not paced by its timer. */
    if (c->nrtx > 0 || a->cwnd < CWND_MIN)
        d.flags |= SCTPC_DATA_I;
    sctpc_out_commit(o, (size_t)sctpc_put_data_hdr(p, need, &d));
    c->state = TX_SENT;
    c->sent_at = now_ms;
    c->miss = 0;
    a->flight += c->len;
    a->peer_rwnd = a->peer_rwnd > c->len ? a->peer_rwnd - c->len : 0;
    if (!a->t3_at)
        a->t3_at = t3_deadline(a, now_ms);
}

/* Whether one more chunk of `len` bytes may go out now. */
static bool window_open(const struct sctpc *a, size_t len)
{
    if (a->flight == 0)
        return true; /* always one packet in flight (zero-window probe) */
    return a->flight + len <= a->cwnd && len <= a->peer_rwnd;
}

/* PR-SCTP decisions come before any DATA is written, because FORWARD-TSN
 * (a control chunk) must precede DATA in a packet. */
static void abandon_due(struct sctpc *a, uint64_t now_ms)
{
    if (a->rtx_pending)
        for (uint32_t t = a->base_tsn; t != a->next_unsent; t++) {
            struct sctpc_txc *c = slot(a, t);
            if (c->state == TX_RTX &&
                ((c->m->max_rexmit >= 0 && c->nrtx >= c->m->max_rexmit) || expired(c, now_ms)))
                abandon(a, t);
        }
    while (a->next_unsent != a->next_tsn) {
        struct sctpc_txc *c = slot(a, a->next_unsent);
        if (c->state == TX_UNSENT && expired(c, now_ms))
            abandon(a, a->next_unsent);
        if (c->state != TX_ABANDONED)
            break;
        a->next_unsent++;
    }
}

static void flush_rtx(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms)
{
    bool left = false;
    for (uint32_t t = a->base_tsn; t != a->next_unsent; t++) {
        struct sctpc_txc *c = slot(a, t);
        if (c->state != TX_RTX)
            continue;
        if (!window_open(a, c->len)) {
            left = true;
            break;
        }
        if (c->nrtx < 255)
            c->nrtx++;
        c->rtt_ok = false;
        put_data(a, o, t, c, now_ms);
    }
    a->rtx_pending = left;
}

void sctpc_tx_flush(struct sctpc *a, struct sctpc_out *o, uint64_t now_ms)
{
    abandon_due(a, now_ms);
    if (a->fwd_tsn_due && a->peer_fwd_tsn && a->adv_peer_ack != a->base_tsn - 1) {
        put_fwd_tsn(a, o);
        if (!a->t3_at)
            a->t3_at = t3_deadline(a, now_ms);
    }
    a->fwd_tsn_due = false;
    if (a->rtx_pending)
        flush_rtx(a, o, now_ms);
    while (a->next_unsent != a->next_tsn && !a->rtx_pending) {
        struct sctpc_txc *c = slot(a, a->next_unsent);
        if (c->state == TX_ABANDONED) { /* a message abandoned while partly sent */
            a->next_unsent++;
            continue;
        }
        if (!window_open(a, c->len))
            break;
        c->rtt_ok = true;
        put_data(a, o, a->next_unsent, c, now_ms);
        a->next_unsent++;
    }
}

/* ---- acknowledgements ---------------------------------------------------------------- */

static void rtt_sample(struct sctpc *a, uint32_t r)
{
    if (!a->rtt_measured) {
        a->srtt = r;
        a->rttvar = r / 2;
        a->rtt_measured = true;
    } else {
        uint32_t d = a->srtt > r ? a->srtt - r : r - a->srtt;
        a->rttvar = (3 * a->rttvar + d) / 4;
        a->srtt = (7 * a->srtt + r) / 8;
    }
    uint32_t rto = a->srtt + 4 * a->rttvar;
    a->rto = rto < SCTPC_RTO_MIN ? SCTPC_RTO_MIN : rto > SCTPC_RTO_MAX ? SCTPC_RTO_MAX : rto;
}

/* Karn: only chunks sent exactly once give RTT samples; the newest one
 * acknowledged by a SACK is used. */
static void note_rtt(struct sctpc *a, const struct sctpc_txc *c)
{
    if (c->rtt_ok && c->sent_at > a->rtt_sent)
        a->rtt_sent = c->sent_at;
}

/* Releases chunks up to and including cum; returns bytes newly acked. */
static size_t ack_cumulative(struct sctpc *a, uint32_t cum)
{
    size_t acked = 0;
    for (; a->base_tsn != cum + 1; a->base_tsn++) {
        struct sctpc_txc *c = slot(a, a->base_tsn);
        if (c->state == TX_SENT) {
            a->flight -= c->len;
            acked += c->len;
            note_rtt(a, c);
        }
        a->buffered -= c->len;
        msg_unref(c->m);
        c->m = NULL;
    }
    if (sctpc_lt32(a->next_unsent, a->base_tsn))
        a->next_unsent = a->base_tsn;
    return acked;
}

/* Gap blocks: marks chunks ACKED; returns bytes newly acked and the highest
 * newly acknowledged TSN in *htna. */
static size_t ack_gaps(struct sctpc *a, const struct sctpc_sack *s, uint32_t *htna, bool *any)
{
    size_t acked = 0;
    uint32_t limit = a->next_unsent - a->base_tsn;
    for (uint16_t i = 0; i < s->ngaps; i++) {
        uint32_t lo = s->cum_tsn + sctpc_rd16(s->gaps + 4 * i);
        uint32_t hi = s->cum_tsn + sctpc_rd16(s->gaps + 4 * i + 2);
        for (uint32_t t = lo; sctpc_le32(t, hi) && t - a->base_tsn < limit; t++) {
            struct sctpc_txc *c = slot(a, t);
            if (c->state == TX_SENT || c->state == TX_RTX) {
                if (c->state == TX_SENT) {
                    a->flight -= c->len;
                    acked += c->len;
                    note_rtt(a, c);
                }
                c->state = TX_ACKED;
                *htna = t;
                *any = true;
            }
        }
    }
    return acked;
}

/* RFC 9260 7.2.4: chunks below the highest newly acked TSN still missing
 * get a miss indication; the third triggers one fast retransmission. */
static void missing_reports(struct sctpc *a, uint32_t htna)
{
    bool fast = false;
    for (uint32_t t = a->base_tsn; sctpc_lt32(t, htna); t++) {
        struct sctpc_txc *c = slot(a, t);
        if (c->state != TX_SENT || c->fast_done || ++c->miss < 3)
            continue;
        c->state = TX_RTX;
        c->fast_done = true;
        a->flight -= c->len;
        a->rtx_pending = true;
        a->stats.rtx_fast++;
        fast = true;
    }
    if (fast && !a->fast_recovery) {
        a->ssthresh = a->cwnd / 2 > CWND_MIN ? a->cwnd / 2 : CWND_MIN;
        a->cwnd = a->ssthresh;
        a->partial_acked = 0;
        a->fast_recovery = true;
        a->recover_tsn = a->next_unsent - 1;
    }
}

static void grow_cwnd(struct sctpc *a, size_t acked, size_t flight_before)
{
    if (a->fast_recovery || !acked || flight_before + MTU < a->cwnd)
        return; /* the window was not fully used */
    if (a->cwnd <= a->ssthresh) {
        a->cwnd += acked < MTU ? (uint32_t)acked : MTU;
        return;
    }
    a->partial_acked += (uint32_t)acked;
    if (a->partial_acked >= a->cwnd) {
        a->partial_acked -= a->cwnd;
        a->cwnd += MTU;
    }
}

void sctpc_tx_sack(struct sctpc *a, const struct sctpc_sack *s, uint64_t now_ms)
{
    uint32_t cum = s->cum_tsn;
    if (sctpc_lt32(cum, a->base_tsn - 1) || !sctpc_lt32(cum, a->next_unsent))
        return; /* stale, or acknowledges what was never sent */
    size_t flight_before = a->flight;
    bool advanced = cum != a->base_tsn - 1, any = false;
    a->rtt_sent = 0;
    size_t acked = advanced ? ack_cumulative(a, cum) : 0;
    uint32_t htna = cum;
    acked += ack_gaps(a, s, &htna, &any);
    if (a->rtt_sent) {
        rtt_sample(a, (uint32_t)(now_ms - a->rtt_sent));
        a->t3_backoff = 0;
        if (a->t3_at > now_ms + a->rto) /* a backed-off timer catches up */
            a->t3_at = now_ms + a->rto;
    }
    if (any)
        missing_reports(a, htna);
    if (a->fast_recovery && sctpc_le32(a->recover_tsn, cum))
        a->fast_recovery = false;
    if (advanced) {
        a->errors = 0;
        a->t3_backoff = 0;
        grow_cwnd(a, acked, flight_before);
    }
    a->peer_rwnd = s->a_rwnd > a->flight ? s->a_rwnd - (uint32_t)a->flight : 0;
    /* T3 runs while anything is unacknowledged (including gap-acked and
     * abandoned chunks: FORWARD-TSN is retransmitted on it too). */
    if (a->base_tsn == a->next_unsent)
        a->t3_at = 0;
    else if (advanced || !a->t3_at)
        a->t3_at = t3_deadline(a, now_ms);
    advance_peer_ack(a);
    if (sctpc_lt32(cum, a->adv_peer_ack))
        a->fwd_tsn_due = true;
    if (a->want_writable && a->buffered <= a->cfg.low_water) {
        a->want_writable = false;
        if (a->cb.on_writable)
            a->cb.on_writable(a->ctx);
    }
}

void sctpc_tx_t3(struct sctpc *a, uint64_t now_ms)
{
    if (++a->errors > a->cfg.max_retransmits) {
        sctpc_close(a, SCTPC_CLOSE_ABORTED);
        return;
    }
    a->ssthresh = a->cwnd / 2 > CWND_MIN ? a->cwnd / 2 : CWND_MIN;
    a->cwnd = T3_CWND;
    a->partial_acked = 0;
    a->fast_recovery = false;
    a->t3_backoff = sctpc_backoff(a->t3_backoff ? a->t3_backoff : a->rto);
    for (uint32_t t = a->base_tsn; t != a->next_unsent; t++) {
        struct sctpc_txc *c = slot(a, t);
        if (c->state != TX_SENT)
            continue;
        c->state = TX_RTX;
        a->flight -= c->len;
        a->rtx_pending = true;
        a->stats.rtx_t3++;
    }
    advance_peer_ack(a);
    a->t3_at = a->base_tsn != a->next_unsent ? t3_deadline(a, now_ms) : 0;
}
