/* sctpc_pipe.h: test harness for the native SCTP core (transport/sctpc).
 *
 * Two endpoints, X and Y, each either our core ("ours", with a small data
 * channel layer on top built from datachannel.c and dcep.c) or the
 * usrsctp-based association of transport/sctp.c ("usr"), joined by
 * in-memory packet queues.  A deterministic PRNG drops, duplicates and
 * reorders packets; a fake clock (fake_clock.h, which usrsctp reads too)
 * advances only when the test says so.  Received messages are checked for per-stream order: payloads
 * start with a 32-bit sequence number per stream. */
#ifndef DC_TEST_SCTPC_PIPE_H
#define DC_TEST_SCTPC_PIPE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "tests/unit/fake_clock.h"
#include "transport/datachannel.h"
#include "transport/dcep.h"
#include "transport/dep_usrsctp.h"
#include "transport/sctp.h"
#include "transport/sctpc.h"
#include "transport/sctpc_dc.h"
#include "transport/sctpc_wire.h"

enum ep_kind { EP_OURS, EP_USR, EP_DC }; /* core, usrsctp, data channels on the core */

struct qpkt {
    struct qpkt *next;
    size_t len;
    uint8_t data[];
};

struct ep {
    enum ep_kind kind;
    const char *name;
    struct sctpc *c;
    struct sctp_assoc *u;
    struct sctpc_dc *d;
    struct ep *peer;
    struct qpkt *head, *tail;
    int opened, closed, reason;
    int peer_resets, reset_done, reset_failed, chan_closed;
    int channels, acks, writable;
    struct datachannel_table dct; /* ours: the channel layer */
    uint64_t msgs, bytes;
    uint32_t next_seq[SCTPC_STREAMS];
    uint64_t per_stream[SCTPC_STREAMS];
    bool check_order[SCTPC_STREAMS];
    int order_errors;
    uint8_t seen[SCTPC_STREAMS][512]; /* sequence numbers 0..4095 received */
    int dup_errors;                   /* a message delivered twice */
    size_t last_len;
    uint32_t last_sum;
};

static struct ep X, Y;
static unsigned loss_pct, dup_pct, reorder_pct;
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t lost_pkts;

static inline uint32_t rnd(void)
{
    rng ^= rng >> 12; /* xorshift64* */
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

#include "transport/sctpc_internal.h"
static inline void ep_dump(const struct ep *e);
static inline uint32_t sum32(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

/* ---- callbacks (both kinds share signatures where they can) ---------------------- */

static inline void cb_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct ep *e = ctx;
    if (getenv("SCTPC_DEBUG") && len >= 16 && (pkt[12] == 6 || pkt[12] == 9)) {
        fprintf(stderr, "%s sends chunk %u:", e->name, pkt[12]);
        for (size_t i = 12; i < len && i < 60; i++)
            fprintf(stderr, " %02x", pkt[i]);
        fprintf(stderr, "\n");
    }
    struct qpkt *p = malloc(sizeof *p + len);
    p->next = NULL;
    p->len = len;
    memcpy(p->data, pkt, len);
    if (e->tail)
        e->tail->next = p;
    else
        e->head = p;
    e->tail = p;
}

static inline void cb_open(void *ctx) { ((struct ep *)ctx)->opened++; }
static inline void cb_writable(void *ctx) { ((struct ep *)ctx)->writable++; }

static inline void cb_closed(void *ctx, int reason)
{
    struct ep *e = ctx;
    e->closed++;
    e->reason = reason;
}

static inline void ours_dcep(struct ep *e, uint16_t stream, const uint8_t *data, size_t len)
{
    struct dcep_open o;
    int t = dcep_message_type(data, len);
    if (t == DCEP_MSG_ACK) {
        struct datachannel *c = datachannel_find(&e->dct, stream);
        if (c && c->state == DATACHANNEL_OPENING)
            c->state = DATACHANNEL_OPEN;
        e->acks++;
        return;
    }
    if (t != DCEP_MSG_OPEN || dcep_parse_open(data, len, &o) < 0)
        return;
    struct datachannel *c = datachannel_add(&e->dct, stream, o.channel_type, o.reliability,
                                            o.label, o.label_len, o.protocol, o.protocol_len,
                                            false);
    if (!c)
        return;
    c->state = DATACHANNEL_OPEN;
    e->channels++;
    uint8_t ack[1];
    dcep_build_ack(ack, sizeof ack);
    sctpc_send(e->c, stream, DCEP_PPID_CONTROL, ack, 1, NULL, now_ms);
}

static inline void cb_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data, size_t len)
{
    struct ep *e = ctx;
    assert_non_null(data);
    if (e->kind == EP_OURS && ppid == DCEP_PPID_CONTROL) {
        ours_dcep(e, stream, data, len);
        return;
    }
    e->msgs++;
    e->bytes += len;
    e->last_len = len;
    if (len > 4096)
        e->last_sum = sum32(data, len);
    if (stream < SCTPC_STREAMS) {
        e->per_stream[stream]++;
        if (len >= 4 && sctpc_rd32(data) < 4096) {
            uint32_t q = sctpc_rd32(data);
            if (e->seen[stream][q / 8] & (1u << (q % 8)))
                e->dup_errors++;
            e->seen[stream][q / 8] |= (uint8_t)(1u << (q % 8));
        }
        if (e->check_order[stream] && len >= 4) {
            uint32_t seq = sctpc_rd32(data);
            if (seq != e->next_seq[stream])
                e->order_errors++;
            e->next_seq[stream] = seq + 1;
        }
    }
}

/* ours: the peer reset its stream; as a data channel, reset ours too. */
static inline void cb_stream_reset(void *ctx, uint16_t stream)
{
    struct ep *e = ctx;
    e->peer_resets++;
    if (datachannel_find(&e->dct, stream)) {
        struct datachannel *c = datachannel_find(&e->dct, stream);
        if (c->state != DATACHANNEL_CLOSING) {
            c->state = DATACHANNEL_CLOSING;
            sctpc_reset_stream(e->c, stream);
        }
    }
}

static inline void cb_reset_done(void *ctx, uint16_t stream, bool ok)
{
    struct ep *e = ctx;
    (void)stream;
    if (ok)
        e->reset_done++;
    else
        e->reset_failed++;
}

static inline void cb_channel(void *ctx, uint16_t stream, const char *label, const char *protocol,
                       int type, uint32_t reliability)
{
    (void)stream, (void)label, (void)protocol, (void)type, (void)reliability;
    ((struct ep *)ctx)->channels++;
}

static inline void cb_channel_closed(void *ctx, uint16_t stream)
{
    (void)stream;
    ((struct ep *)ctx)->chan_closed++;
}

static const struct sctpc_callbacks OURS_CB = {
    .send = cb_send,
    .on_open = cb_open,
    .on_message = cb_message,
    .on_stream_reset = cb_stream_reset,
    .on_reset_done = cb_reset_done,
    .on_closed = cb_closed,
    .on_writable = cb_writable,
};

static const struct sctp_callbacks USR_CB = {
    .send = cb_send,
    .on_open = cb_open,
    .on_channel = cb_channel,
    .on_message = cb_message,
    .on_channel_closed = cb_channel_closed,
    .on_closed = cb_closed,
};

/* ---- endpoints --------------------------------------------------------------------------- */

static inline void ep_clear_queue(struct ep *e)
{
    while (e->head) {
        struct qpkt *p = e->head;
        e->head = p->next;
        free(p);
    }
    e->tail = NULL;
}

static inline void ep_free(struct ep *e)
{
    if (e->c)
        sctpc_free(e->c);
    if (e->u)
        sctp_assoc_free(e->u);
    if (e->d)
        sctpc_dc_free(e->d);
    if (e->kind == EP_OURS)
        datachannel_table_free(&e->dct);
    ep_clear_queue(e);
    memset(e, 0, sizeof *e);
}

static inline void ep_new(struct ep *e, const char *name, enum ep_kind kind, uint32_t max_msg)
{
    ep_free(e);
    e->kind = kind;
    e->name = name;
    if (kind == EP_OURS) {
        struct sctpc_config cfg = {.max_message_size = max_msg};
        datachannel_table_init(&e->dct);
        e->c = sctpc_new(&cfg, &OURS_CB, e);
        assert_non_null(e->c);
    } else if (kind == EP_DC) {
        e->d = sctpc_dc_new(&USR_CB, e, 5000, max_msg, 0);
        assert_non_null(e->d);
    } else {
        e->u = sctp_assoc_new(&USR_CB, e, 5000, max_msg, 0);
        assert_non_null(e->u);
    }
}

static inline void ep_feed(struct ep *e, const uint8_t *p, size_t n)
{
    if (e->c)
        sctpc_feed(e->c, p, n, now_ms);
    else if (e->u)
        sctp_assoc_feed(e->u, p, n);
    else if (e->d)
        sctpc_dc_feed(e->d, p, n, now_ms);
}

/* Hands what `from` sent to its peer, through the lossy network. */
static inline int deliver(struct ep *from)
{
    struct qpkt *p = from->head, *held = NULL;
    from->head = from->tail = NULL;
    int n = 0;
    while (p) {
        struct qpkt *next = p->next;
        n++;
        if (loss_pct && rnd() % 100 < loss_pct) {
            lost_pkts++;
            if (getenv("SCTPC_DEBUG"))
                fprintf(stderr, "lost from %s len=%zu\n", from->name, p->len);
            free(p);
        } else if (reorder_pct && !held && next && rnd() % 100 < reorder_pct) {
            held = p; /* goes after the next one */
        } else {
            ep_feed(from->peer, p->data, p->len);
            if (dup_pct && rnd() % 100 < dup_pct)
                ep_feed(from->peer, p->data, p->len);
            free(p);
            if (held) {
                ep_feed(from->peer, held->data, held->len);
                free(held);
                held = NULL;
            }
        }
        p = next;
    }
    if (held) {
        ep_feed(from->peer, held->data, held->len);
        free(held);
    }
    return n;
}

static inline void pump(void)
{
    for (int i = 0; i < 5000; i++) {
        if (X.c)
            sctpc_flush(X.c, now_ms);
        if (Y.c)
            sctpc_flush(Y.c, now_ms);
        if (X.d)
            sctpc_dc_flush(X.d, now_ms);
        if (Y.d)
            sctpc_dc_flush(Y.d, now_ms);
        if (deliver(&X) + deliver(&Y) == 0)
            return;
    }
    fail_msg("pipe never went quiet");
}

static inline void run_for(uint64_t ms)
{
    for (uint64_t t = 0; t < ms; t += 10) {
        pump();
        now_ms += 10;
        if (X.u || Y.u)
            sctp_tick(now_ms);
        if (X.c)
            sctpc_tick(X.c, now_ms);
        if (Y.c)
            sctpc_tick(Y.c, now_ms);
        if (X.d)
            sctpc_dc_tick(X.d, now_ms);
        if (Y.d)
            sctpc_dc_tick(Y.d, now_ms);
    }
    pump();
}

static inline bool ep_open(const struct ep *e)
{
    if (e->d)
        return sctpc_dc_is_open(e->d);
    return e->c ? sctpc_is_open(e->c) : sctp_assoc_is_open(e->u);
}

static inline void pair_up(enum ep_kind xk, enum ep_kind yk, uint32_t x_max, uint32_t y_max)
{
    ep_new(&X, "X", xk, x_max);
    ep_new(&Y, "Y", yk, y_max);
    X.peer = &Y;
    Y.peer = &X;
}

static inline void pair_connect(void)
{
    if (X.c)
        assert_int_equal(sctpc_connect(X.c, now_ms), 0);
    else if (X.d)
        assert_int_equal(sctpc_dc_connect(X.d, now_ms), 0);
    else
        assert_int_equal(sctp_assoc_connect(X.u), 0);
    if (Y.c)
        assert_int_equal(sctpc_connect(Y.c, now_ms), 0);
    else if (Y.d)
        assert_int_equal(sctpc_dc_connect(Y.d, now_ms), 0);
    else
        assert_int_equal(sctp_assoc_connect(Y.u), 0);
    /* usrsctp backs its INIT and COOKIE timers off up to 60 s. */
    for (int i = 0; i < 12000 && !(X.opened && Y.opened); i++)
        run_for(10);
    assert_int_equal(X.opened, 1);
    assert_int_equal(Y.opened, 1);
    assert_true(ep_open(&X));
    assert_true(ep_open(&Y));
}

/* Opens a channel from e (DCEP OPEN; the peer acknowledges). */
static inline void ep_open_channel(struct ep *e, uint16_t stream, bool ordered, int max_rexmit)
{
    if (e->u) {
        assert_int_equal(sctp_assoc_open_channel(e->u, stream, "ch", ordered, max_rexmit), 0);
        return;
    }
    if (e->d) {
        assert_int_equal(sctpc_dc_open_channel(e->d, stream, "ch", ordered, max_rexmit), 0);
        return;
    }
    struct dcep_open o = {.channel_type = datachannel_type_for(ordered, max_rexmit),
                          .priority = DCEP_PRIORITY_NORMAL,
                          .reliability = max_rexmit < 0 ? 0 : (uint32_t)max_rexmit,
                          .label = "ch",
                          .label_len = 2};
    uint8_t buf[64];
    int n = dcep_build_open(&o, buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(datachannel_add(&e->dct, stream, o.channel_type, o.reliability, "ch", 2, NULL,
                                    0, true));
    assert_int_equal(sctpc_send(e->c, stream, DCEP_PPID_CONTROL, buf, (size_t)n, NULL, now_ms), 0);
}

/* Sends one message on the stream's channel, with the channel's reliability. */
static inline int ep_send(struct ep *e, uint16_t stream, const uint8_t *data, size_t len)
{
    if (e->u)
        return sctp_assoc_send(e->u, stream, DCEP_PPID_BINARY, data, len);
    if (e->d)
        return sctpc_dc_send(e->d, stream, DCEP_PPID_BINARY, data, len);
    struct datachannel *c = datachannel_find(&e->dct, stream);
    if (!c)
        return DC_ENOTFOUND;
    struct datachannel_send_params p;
    datachannel_send_params(c, &p);
    struct sctpc_send_opts o = {.unordered = p.unordered,
                                .max_rexmit = p.pr == DATACHANNEL_PR_RTX ? (int)p.pr_value : -1,
                                .lifetime_ms = p.pr == DATACHANNEL_PR_TTL ? p.pr_value : 0};
    return sctpc_send(e->c, stream, DCEP_PPID_BINARY, data, len, &o, now_ms);
}

/* Sends `n` sequenced messages of `len` bytes (>= 4), pumping in between
 * when the send buffer is full. */
static inline void send_seq(struct ep *e, uint16_t stream, int n, size_t len, uint32_t *seq)
{
    uint8_t *buf = calloc(1, len);
    for (int i = 0; i < n;) {
        sctpc_wr32(buf, *seq);
        int r = ep_send(e, stream, buf, len);
        if (r == DC_EAGAIN) {
            run_for(10);
            continue;
        }
        if (r) {
            fprintf(stderr, "send on %s failed: %d closed=%d reason=%d\n", e->name, r, e->closed, e->reason);
            ep_dump(&X);
        }
        assert_int_equal(r, 0);
        (*seq)++;
        i++;
        if (i % 20 == 0)
            pump();
    }
    free(buf);
}

static inline void pair_free(void)
{
    ep_free(&X);
    ep_free(&Y);
    loss_pct = dup_pct = reorder_pct = 0;
}

static inline int teardown(void **state)
{
    (void)state;
    pair_free();
    assert_int_equal(dep_usrsctp_refs(), 0);
    return 0;
}


static inline void ep_dump(const struct ep *e)
{
    if (!e->c)
        return;
    const struct sctpc *a = e->c;
    fprintf(stderr,
            "%s: st=%d cum=%u high=%u npend=%zu pendb=%zu base=%u next=%u unsent=%u adv=%u flight=%zu "
            "cwnd=%u rwnd=%u rto=%u t3=%lu rtxp=%d disc=%d in_ssn1=%u drops(big=%lu room=%lu bad=%lu vt=%lu) "
            "fwd(out=%lu in=%lu) aband=%lu rtx(t3=%lu f=%lu) now=%lu\n",
            e->name, a->state, a->cum_tsn, a->rx_high, a->npend, a->pend_bytes, a->base_tsn,
            a->next_tsn, a->next_unsent, a->adv_peer_ack, a->flight, a->cwnd, a->peer_rwnd, a->rto,
            (unsigned long)a->t3_at, a->rtx_pending, a->discard.on, a->in_ssn[1],
            (unsigned long)a->stats.drop_too_big, (unsigned long)a->stats.drop_no_room,
            (unsigned long)a->stats.drop_bad_pkt, (unsigned long)a->stats.drop_bad_vtag,
            (unsigned long)a->stats.fwd_tsn_out, (unsigned long)a->stats.fwd_tsn_in,
            (unsigned long)a->stats.abandoned, (unsigned long)a->stats.rtx_t3,
            (unsigned long)a->stats.rtx_fast, (unsigned long)now_ms);
    for (size_t i = 0; i < a->npend && i < 20; i++)
        fprintf(stderr, "  pend tsn=%u stream=%u ssn=%u flags=%x len=%u\n", a->pend[i].tsn,
                a->pend[i].stream, a->pend[i].ssn, a->pend[i].flags, a->pend[i].len);
}
#endif
