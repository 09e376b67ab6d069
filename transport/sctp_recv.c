/* Incoming side of an SCTP association: user messages (reassembled when
 * usrsctp hands them over in pieces), DCEP, and notifications.  See
 * sctp.h for the contract and sctp_internal.h for the usrsctp facts. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/dcep.h"
#include "transport/dep_usrsctp.h"
#include "transport/sctp_internal.h"

/* ---- callbacks to the owner ------------------------------------------------ */

static void notify_closed(struct sctp_assoc *a, int reason)
{
    if (a->state == SCTP_ST_CLOSED)
        return;
    a->state = SCTP_ST_CLOSED;
    LOGD("sctp", "association closed", "id=%lu reason=%d", (unsigned long)a->id, reason);
    if (a->cb.on_closed && !a->freeing)
        a->cb.on_closed(a->ctx, reason);
}

static void notify_writable(struct sctp_assoc *a)
{
    if (!a->want_writable || a->buffered > a->low_water || a->state != SCTP_ST_OPEN)
        return;
    a->want_writable = false;
    if (a->cb.on_writable && !a->freeing)
        a->cb.on_writable(a->ctx);
}

/* ---- receiving: partial messages -------------------------------------------- */

static struct sctp_partial *partial_find(struct sctp_assoc *a, uint16_t stream)
{
    for (size_t i = 0; i < a->npartials; i++)
        if (a->partials[i].stream == stream)
            return &a->partials[i];
    return NULL;
}

static struct sctp_partial *partial_add(struct sctp_assoc *a, uint16_t stream)
{
    a->partials = util_realloc(a->partials, (a->npartials + 1) * sizeof *a->partials);
    struct sctp_partial *p = &a->partials[a->npartials++];
    memset(p, 0, sizeof *p);
    p->stream = stream;
    return p;
}

static void partial_drop(struct sctp_assoc *a, uint16_t stream)
{
    struct sctp_partial *p = partial_find(a, stream);
    if (!p)
        return;
    free(p->buf);
    *p = a->partials[--a->npartials];
    if (a->npartials == 0) {
        free(a->partials);
        a->partials = NULL;
    }
}

/* Appends a piece; false (and the message is discarded) if over the limit. */
static bool partial_append(struct sctp_assoc *a, struct sctp_partial *p, const uint8_t *d, size_t n)
{
    if (p->discard)
        return false;
    if (n > a->max_message_size - p->len) {
        p->discard = true;
        free(p->buf);
        p->buf = NULL;
        p->len = p->cap = 0;
        a->stats.drop_in_too_big++;
        LOGD("sctp", "oversize message dropped", "id=%lu stream=%u", (unsigned long)a->id,
             p->stream);
        return false;
    }
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 65536;
        while (cap < p->len + n)
            cap *= 2;
        if (cap > a->max_message_size)
            cap = a->max_message_size;
        p->buf = util_realloc(p->buf, cap);
        p->cap = cap;
    }
    memcpy(p->buf + p->len, d, n);
    p->len += n;
    return true;
}

/* ---- receiving: DCEP and user messages --------------------------------------- */

static void on_dcep_open(struct sctp_assoc *a, uint16_t stream, const uint8_t *d, size_t n)
{
    struct dcep_open o;
    if (dcep_parse_open(d, n, &o) < 0) {
        a->stats.drop_in_bad++;
        SCTP_LOG_PEER(a, "malformed DATA_CHANNEL_OPEN", "id=%lu stream=%u len=%zu",
                      (unsigned long)a->id, stream, n);
        return;
    }
    if (datachannel_find(&a->channels, stream)) {
        a->stats.drop_in_bad++;
        SCTP_LOG_PEER(a, "DATA_CHANNEL_OPEN on a stream in use", "id=%lu stream=%u",
                      (unsigned long)a->id, stream);
        return;
    }
    struct datachannel *c =
        datachannel_add(&a->channels, stream, o.channel_type, o.reliability, o.label, o.label_len,
                        o.protocol, o.protocol_len, false);
    c->priority = o.priority;
    /* A full send buffer delays the ACK (retried as it drains); meanwhile
     * the peer keeps its messages ordered, which is harmless. */
    c->ack_pending = sctp_send_ack(a, stream) == DC_EAGAIN;
    LOGD("sctp", "channel opened by peer", "id=%lu stream=%u type=%u", (unsigned long)a->id, stream,
         o.channel_type);
    if (a->cb.on_channel)
        a->cb.on_channel(a->ctx, stream, c->label, c->protocol, c->type, c->reliability);
}

static void on_dcep(struct sctp_assoc *a, uint16_t stream, const uint8_t *d, size_t n)
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
    SCTP_LOG_PEER(a, "malformed DCEP message", "id=%lu stream=%u len=%zu", (unsigned long)a->id,
                  stream, n);
}

static void deliver(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, const uint8_t *d,
                    size_t n)
{
    if (datachannel_deliver(&a->channels, &a->cb, a->ctx, &a->stats, stream, ppid, d, n))
        on_dcep(a, stream, d, n);
}

void sctp_recv_data(struct sctp_assoc *a, uint16_t stream, uint32_t ppid, int flags,
                    const uint8_t *d, size_t n)
{
    bool eor = (flags & MSG_EOR) != 0;
    struct sctp_partial *p = partial_find(a, stream);
    if (!eor || p) {
        if (!p)
            p = partial_add(a, stream);
        bool ok = partial_append(a, p, d, n);
        if (!eor)
            return;
        /* Detach the buffer before delivering: the owner may call back in. */
        uint8_t *buf = ok ? p->buf : NULL;
        size_t len = p->len;
        p->buf = NULL;
        partial_drop(a, stream);
        if (ok)
            deliver(a, stream, ppid, buf, len);
        free(buf);
        return;
    }
    if (n > a->max_message_size) {
        a->stats.drop_in_too_big++;
        LOGD("sctp", "oversize message dropped", "id=%lu stream=%u len=%zu", (unsigned long)a->id,
             stream, n);
        return;
    }
    deliver(a, stream, ppid, d, n);
}

/* ---- receiving: notifications ---------------------------------------------- */

static void on_assoc_change(struct sctp_assoc *a, const struct sctp_assoc_change *sac)
{
    switch (sac->sac_state) {
    case SCTP_COMM_UP:
    case SCTP_RESTART:
        a->out_streams = sac->sac_outbound_streams;
        LOGD("sctp", "association up", "id=%lu out=%u in=%u", (unsigned long)a->id,
             sac->sac_outbound_streams, sac->sac_inbound_streams);
        if (a->state != SCTP_ST_OPEN && a->state != SCTP_ST_CLOSED) {
            a->state = SCTP_ST_OPEN;
            if (a->cb.on_open)
                a->cb.on_open(a->ctx);
        }
        break;
    case SCTP_COMM_LOST:
        notify_closed(a, SCTP_CLOSE_ABORTED);
        break;
    case SCTP_SHUTDOWN_COMP:
        notify_closed(a, SCTP_CLOSE_SHUTDOWN);
        break;
    case SCTP_CANT_STR_ASSOC:
        notify_closed(a, SCTP_CLOSE_FAILED);
        break;
    default:
        break;
    }
}

/* The peer reset its outgoing stream: reset ours (unless we started the
 * close) and the channel is gone. */
static void on_incoming_reset(struct sctp_assoc *a, uint16_t stream)
{
    partial_drop(a, stream);
    struct datachannel *c = datachannel_find(&a->channels, stream);
    if (!c)
        return;
    if (c->state != DATACHANNEL_CLOSING)
        sctp_reset_outgoing(a, stream);
    datachannel_remove(&a->channels, stream);
    LOGD("sctp", "channel closed", "id=%lu stream=%u", (unsigned long)a->id, stream);
    if (a->cb.on_channel_closed)
        a->cb.on_channel_closed(a->ctx, stream);
}

static void on_stream_reset(struct sctp_assoc *a, const struct sctp_stream_reset_event *ev)
{
    if (ev->strreset_length < sizeof *ev)
        return;
    size_t n = (ev->strreset_length - sizeof *ev) / sizeof(uint16_t);
    if (ev->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) {
        SCTP_LOG_PEER(a, "stream reset refused", "id=%lu flags=0x%x", (unsigned long)a->id,
                      ev->strreset_flags);
        return;
    }
    if (!(ev->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN))
        return;
    if (n == 0) { /* every stream */
        while (a->channels.n > 0 && !a->freeing)
            on_incoming_reset(a, a->channels.v[0].stream);
        return;
    }
    for (size_t i = 0; i < n && !a->freeing; i++)
        on_incoming_reset(a, ev->strreset_stream_list[i]);
}

static void on_notification(struct sctp_assoc *a, const union sctp_notification *sn, size_t len)
{
    if (len < sizeof sn->sn_header || sn->sn_header.sn_length != len)
        return;
    switch (sn->sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
        if (len >= sizeof sn->sn_assoc_change)
            on_assoc_change(a, &sn->sn_assoc_change);
        break;
    case SCTP_SHUTDOWN_EVENT:
        notify_closed(a, SCTP_CLOSE_SHUTDOWN);
        break;
    case SCTP_STREAM_RESET_EVENT:
        on_stream_reset(a, &sn->sn_strreset_event);
        break;
    case SCTP_STREAM_CHANGE_EVENT:
        if (len >= sizeof sn->sn_strchange_event && sn->sn_strchange_event.strchange_flags == 0)
            a->out_streams = sn->sn_strchange_event.strchange_outstrms;
        break;
    case SCTP_SEND_FAILED_EVENT:
        a->stats.abandoned++;
        break;
    case SCTP_PARTIAL_DELIVERY_EVENT:
        if (len >= sizeof sn->sn_pdapi_event &&
            sn->sn_pdapi_event.pdapi_indication == SCTP_PARTIAL_DELIVERY_ABORTED)
            partial_drop(a, (uint16_t)sn->sn_pdapi_event.pdapi_stream);
        break;
    case SCTP_REMOTE_ERROR:
        LOGD("sctp", "remote error", "id=%lu", (unsigned long)a->id);
        break;
    default:
        break;
    }
}

/* ---- usrsctp callbacks (by id) ------------------------------------------------ */

int sctp_recv_cb(struct socket *sock, union sctp_sockstore addr, void *data, size_t len,
                 struct sctp_rcvinfo rcv, int flags, void *ulp)
{
    (void)sock;
    (void)addr;
    struct sctp_assoc *a = dep_usrsctp_lookup((uintptr_t)ulp);
    if (a && !a->freeing && data) {
        if (flags & MSG_NOTIFICATION) {
            if (flags & MSG_EOR)
                on_notification(a, data, len);
        } else {
            sctp_recv_data(a, rcv.rcv_sid, ntohl(rcv.rcv_ppid), flags, data, len);
        }
    }
    free(data);
    return 1;
}

int sctp_sendable_cb(struct socket *sock, uint32_t sb_free, void *ulp)
{
    (void)sock;
    struct sctp_assoc *a = dep_usrsctp_lookup((uintptr_t)ulp);
    if (!a || a->freeing)
        return 0;
    a->buffered = a->sndbuf > sb_free ? a->sndbuf - sb_free : 0;
    for (size_t i = 0; i < a->channels.n; i++) {
        struct datachannel *c = &a->channels.v[i];
        if (c->ack_pending)
            c->ack_pending = sctp_send_ack(a, c->stream) == DC_EAGAIN;
    }
    notify_writable(a);
    return 1;
}

void sctp_partials_free(struct sctp_assoc *a)
{
    for (size_t i = 0; i < a->npartials; i++)
        free(a->partials[i].buf);
    free(a->partials);
    a->partials = NULL;
    a->npartials = 0;
}
