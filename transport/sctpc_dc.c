/* Data channels on the native SCTP core: DCEP, the channel table, PPIDs
 * and the sctp.h-shaped API.  See sctpc_dc.h for the contract. */
#include "transport/sctpc_dc.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "transport/datachannel.h"
#include "transport/dcep.h"
#include "transport/sctpc.h"

#define MAX_MESSAGE_CAP (16u * 1024 * 1024)
#define SEND_BUFFER_MIN (2u * 1024 * 1024)
#define ACK_RETRY_MS 10

struct sctpc_dc {
    struct sctp_callbacks cb;
    void *ctx;
    struct sctpc *core;
    struct datachannel_table channels;
    struct sctp_stats stats;
    size_t send_limit;
    size_t send_buffer;
    uint64_t now;
    int depth;     /* our calls on the stack */
    bool freeing;  /* sctpc_dc_free called: no more callbacks */
    bool closed;   /* on_closed fired */
    bool acks_due; /* some peer OPEN still awaits its ACK */
};

static void destroy(struct sctpc_dc *a)
{
    sctpc_free(a->core);
    datachannel_table_free(&a->channels);
    free(a);
}

static void enter(struct sctpc_dc *a) { a->depth++; }

/* False if the association was destroyed (freed from a callback). */
static bool leave(struct sctpc_dc *a)
{
    if (--a->depth == 0 && a->freeing) {
        destroy(a);
        return false;
    }
    return true;
}

/* ---- from the core ---------------------------------------------------------------- */

static int send_ack(struct sctpc_dc *a, uint16_t stream)
{
    uint8_t ack[1];
    dcep_build_ack(ack, sizeof ack);
    return sctpc_send(a->core, stream, DCEP_PPID_CONTROL, ack, 1, NULL, a->now);
}

static void on_dcep_open(struct sctpc_dc *a, uint16_t stream, const uint8_t *d, size_t n)
{
    struct dcep_open o;
    if (dcep_parse_open(d, n, &o) < 0 || datachannel_find(&a->channels, stream)) {
        a->stats.drop_in_bad++;
        return;
    }
    struct datachannel *c =
        datachannel_add(&a->channels, stream, o.channel_type, o.reliability, o.label, o.label_len,
                        o.protocol, o.protocol_len, false);
    c->priority = o.priority;
    c->state = DATACHANNEL_OPEN;
    c->ack_pending = send_ack(a, stream) < 0;
    a->acks_due |= c->ack_pending;
    if (a->cb.on_channel && !a->freeing)
        a->cb.on_channel(a->ctx, stream, c->label, c->protocol, c->type, c->reliability);
}

static void on_dcep(struct sctpc_dc *a, uint16_t stream, const uint8_t *d, size_t n)
{
    int type = dcep_message_type(d, n);
    if (type == DCEP_MSG_OPEN) {
        on_dcep_open(a, stream, d, n);
        return;
    }
    struct datachannel *c = datachannel_find(&a->channels, stream);
    if (type == DCEP_MSG_ACK && dcep_parse_ack(d, n) == 0) {
        if (c && c->local && c->state == DATACHANNEL_OPENING)
            c->state = DATACHANNEL_OPEN;
        return;
    }
    a->stats.drop_in_bad++;
}

static void core_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *d, size_t n)
{
    struct sctpc_dc *a = ctx;
    if (a->freeing)
        return;
    if (datachannel_deliver(&a->channels, &a->cb, a->ctx, &a->stats, stream, ppid, d, n))
        on_dcep(a, stream, d, n);
}

/* The peer reset its stream: reset ours too unless we started, and the
 * channel is gone. */
static void core_stream_reset(void *ctx, uint16_t stream)
{
    struct sctpc_dc *a = ctx;
    struct datachannel *c = datachannel_find(&a->channels, stream);
    if (!c)
        return;
    if (c->state != DATACHANNEL_CLOSING)
        sctpc_reset_stream(a->core, stream);
    datachannel_remove(&a->channels, stream);
    if (a->cb.on_channel_closed && !a->freeing)
        a->cb.on_channel_closed(a->ctx, stream);
}

static void core_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct sctpc_dc *a = ctx;
    if (!a->freeing)
        a->cb.send(a->ctx, pkt, len);
}

static void core_open(void *ctx)
{
    struct sctpc_dc *a = ctx;
    if (a->cb.on_open && !a->freeing)
        a->cb.on_open(a->ctx);
}

static void core_closed(void *ctx, int reason)
{
    struct sctpc_dc *a = ctx;
    a->closed = true;
    if (a->cb.on_closed && !a->freeing)
        a->cb.on_closed(a->ctx, reason); /* same values as enum sctp_close_reason */
}

static void core_writable(void *ctx)
{
    struct sctpc_dc *a = ctx;
    if (a->cb.on_writable && !a->freeing)
        a->cb.on_writable(a->ctx);
}

static const struct sctpc_callbacks CORE_CB = {
    .send = core_send,
    .on_open = core_open,
    .on_message = core_message,
    .on_stream_reset = core_stream_reset,
    .on_closed = core_closed,
    .on_writable = core_writable,
};

/* ---- lifecycle ------------------------------------------------------------------------ */

struct sctpc_dc *sctpc_dc_new(const struct sctp_callbacks *cb, void *ctx, uint16_t port,
                              uint32_t max_message_size, uint32_t remote_max_message_size)
{
    if (!cb || !cb->send)
        return NULL;
    if (max_message_size == 0)
        max_message_size = SCTP_DEFAULT_MAX_MESSAGE_SIZE;
    if (max_message_size > MAX_MESSAGE_CAP)
        max_message_size = MAX_MESSAGE_CAP;
    struct sctpc_dc *a = util_calloc(1, sizeof *a);
    a->cb = *cb;
    a->ctx = ctx;
    size_t sndbuf = max_message_size > SEND_BUFFER_MIN ? max_message_size : SEND_BUFFER_MIN;
    a->send_buffer = sndbuf;
    a->send_limit = remote_max_message_size && remote_max_message_size < sndbuf
                        ? remote_max_message_size
                        : sndbuf;
    struct sctpc_config cfg = {.port = port,
                               .max_message_size = max_message_size,
                               .rwnd = max_message_size * 4 > (1u << 20) ? max_message_size * 4
                                                                         : (1u << 20),
                               .send_buffer = sndbuf};
    datachannel_table_init(&a->channels);
    a->core = sctpc_new(&cfg, &CORE_CB, a);
    return a;
}

void sctpc_dc_free(struct sctpc_dc *a)
{
    if (!a || a->freeing)
        return;
    if (a->depth > 0) {
        a->freeing = true; /* destroyed when the outermost call returns */
        return;
    }
    sctpc_abort(a->core); /* the ABORT goes out through cb->send */
    a->freeing = true;
    destroy(a);
}

int sctpc_dc_connect(struct sctpc_dc *a, uint64_t now_ms)
{
    if (!a || a->freeing)
        return DC_EINVAL;
    a->now = now_ms;
    return sctpc_connect(a->core, now_ms);
}

/* Retries the ACKs a full send buffer held back. */
static void send_due_acks(struct sctpc_dc *a)
{
    a->acks_due = false;
    for (size_t i = 0; i < a->channels.n; i++) {
        struct datachannel *c = &a->channels.v[i];
        if (c->ack_pending) {
            c->ack_pending = send_ack(a, c->stream) < 0;
            a->acks_due |= c->ack_pending;
        }
    }
}

void sctpc_dc_feed(struct sctpc_dc *a, const uint8_t *pkt, size_t len, uint64_t now_ms)
{
    if (!a || a->freeing)
        return;
    a->now = now_ms;
    enter(a);
    sctpc_feed(a->core, pkt, len, now_ms);
    leave(a);
}

void sctpc_dc_flush(struct sctpc_dc *a, uint64_t now_ms)
{
    if (!a || a->freeing)
        return;
    a->now = now_ms;
    enter(a);
    if (a->acks_due)
        send_due_acks(a);
    sctpc_flush(a->core, now_ms);
    leave(a);
}

void sctpc_dc_tick(struct sctpc_dc *a, uint64_t now_ms)
{
    if (!a || a->freeing)
        return;
    a->now = now_ms;
    enter(a);
    if (a->acks_due)
        send_due_acks(a);
    sctpc_tick(a->core, now_ms);
    leave(a);
}

uint64_t sctpc_dc_next_timer(const struct sctpc_dc *a)
{
    if (!a || a->freeing)
        return UINT64_MAX;
    uint64_t t = sctpc_next_timer(a->core);
    if (a->acks_due && a->now + ACK_RETRY_MS < t) /* DCEP ACKs a full buffer held back */
        t = a->now + ACK_RETRY_MS;
    return t;
}

/* ---- sending ---------------------------------------------------------------------------- */

static int check_open(const struct sctpc_dc *a)
{
    if (!a)
        return DC_EINVAL;
    if (a->freeing || a->closed)
        return DC_ECLOSED;
    return sctpc_is_open(a->core) ? 0 : DC_EAGAIN;
}

int sctpc_dc_send(struct sctpc_dc *a, uint16_t stream, uint32_t ppid, const uint8_t *data,
                  size_t len)
{
    int r = check_open(a);
    if (r < 0)
        return r;
    uint32_t wire;
    struct datachannel_send_params p;
    r = datachannel_prepare_send(&a->channels, stream, ppid, data, len, a->send_limit, &wire, &p);
    if (r == DC_ETOOBIG)
        a->stats.drop_out_too_big++;
    if (r < 0)
        return r;
    struct sctpc_send_opts o = {.unordered = p.unordered,
                                .max_rexmit = p.pr == DATACHANNEL_PR_RTX ? (int)p.pr_value : -1,
                                .lifetime_ms = p.pr == DATACHANNEL_PR_TTL ? p.pr_value : 0};
    static const uint8_t zero = 0;
    r = sctpc_send(a->core, stream, wire, len ? data : &zero, len ? len : 1, &o, a->now);
    if (r == 0) {
        a->stats.msgs_out++;
        a->stats.bytes_out += len;
    } else if (r == DC_EAGAIN) {
        a->stats.send_eagain++;
    } else if (r == DC_ETOOBIG) {
        a->stats.drop_out_too_big++;
    }
    return r;
}

int sctpc_dc_hold(struct sctpc_dc *a, bool hold)
{
    (void)hold;
    int r = check_open(a);
    return r == DC_EAGAIN ? 0 : r;
}

int sctpc_dc_open_channel(struct sctpc_dc *a, uint16_t stream, const char *label, bool ordered,
                          int max_rexmit)
{
    int r = check_open(a);
    if (r < 0)
        return r;
    size_t ll = label ? strlen(label) : 0;
    if (!label || ll > UINT16_MAX || stream >= sctpc_out_streams(a->core))
        return DC_EINVAL;
    if (datachannel_find(&a->channels, stream))
        return DC_EEXIST;
    struct dcep_open o = {
        .channel_type = datachannel_type_for(ordered, max_rexmit),
        .priority = DCEP_PRIORITY_NORMAL,
        .reliability = max_rexmit > 0 ? (uint32_t)max_rexmit : 0,
        .label = label,
        .label_len = (uint16_t)ll,
    };
    size_t n = dcep_open_size(&o);
    uint8_t *buf = util_malloc(n);
    dcep_build_open(&o, buf, n);
    r = sctpc_send(a->core, stream, DCEP_PPID_CONTROL, buf, n, NULL, a->now);
    if (r == 0)
        datachannel_add(&a->channels, stream, o.channel_type, o.reliability, label, ll, NULL, 0,
                        true);
    free(buf);
    return r;
}

int sctpc_dc_close_channel(struct sctpc_dc *a, uint16_t stream)
{
    if (!a || a->freeing)
        return a ? DC_ECLOSED : DC_EINVAL;
    struct datachannel *c = datachannel_find(&a->channels, stream);
    if (!c)
        return DC_ENOTFOUND;
    if (c->state == DATACHANNEL_CLOSING)
        return 0;
    if (!sctpc_is_open(a->core)) {
        datachannel_remove(&a->channels, stream);
        return DC_ECLOSED;
    }
    c->state = DATACHANNEL_CLOSING;
    int r = sctpc_reset_stream(a->core, stream);
    return r == 0 || r == DC_EEXIST ? 0 : DC_EIO;
}

int sctpc_dc_shutdown(struct sctpc_dc *a)
{
    int r = check_open(a);
    return r < 0 ? r : sctpc_shutdown(a->core);
}

/* ---- queries ---------------------------------------------------------------------------- */

bool sctpc_dc_is_open(const struct sctpc_dc *a)
{
    return a && !a->freeing && !a->closed && sctpc_is_open(a->core);
}

bool sctpc_dc_channel_info(const struct sctpc_dc *a, uint16_t stream,
                           struct sctp_channel_info *out)
{
    if (!a || !out)
        return false;
    const struct datachannel *c =
        datachannel_find((struct datachannel_table *)&a->channels, stream);
    if (!c)
        return false;
    *out = (struct sctp_channel_info){
        .label = c->label,
        .protocol = c->protocol,
        .type = c->type,
        .reliability = c->reliability,
        .local = c->local,
        .acked = c->state != DATACHANNEL_OPENING,
        .closing = c->state == DATACHANNEL_CLOSING,
    };
    return true;
}

size_t sctpc_dc_buffered(const struct sctpc_dc *a) { return a ? sctpc_buffered(a->core) : 0; }

size_t sctpc_dc_send_buffer(const struct sctpc_dc *a) { return a ? a->send_buffer : 0; }

void sctpc_dc_set_low_water(struct sctpc_dc *a, size_t bytes)
{
    if (a)
        sctpc_set_low_water(a->core, bytes);
}

void sctpc_dc_stats(const struct sctpc_dc *a, struct sctp_stats *out)
{
    if (!a || !out)
        return;
    struct sctpc_stats s;
    sctpc_stats(a->core, &s);
    *out = a->stats;
    out->drop_in_too_big = s.drop_too_big;
    out->abandoned = s.abandoned;
    out->pkts_in = s.pkts_in;
    out->pkts_out = s.pkts_out;
    out->rtx_timeout = s.rtx_t3;
    out->rtx_fast = s.rtx_fast;
    out->sacks_in = s.sacks_in;
    out->sacks_out = s.sacks_out;
    out->dup_tsns = s.dup_tsns;
}
