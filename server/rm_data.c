/* rm_data.c: data packet forwarding, as LiveKit's server does it.
 *
 * A packet is parsed once, stamped with its sender (sid, identity, kind from
 * the channel it arrived on), serialized once, and the same bytes go to every
 * receiver: everyone but the sender, or only the participants named in the
 * destination lists.  Reliable packets are de-duplicated by the sender's
 * sequence; reliable data for a receiver whose `_reliable` channel is not
 * open yet, or is full (backpressure), is queued and delivered in order when
 * it opens or has room again.
 *
 * A receiver that falls behind (docs/DATA.md, "Slow and stuck receivers"):
 * lossy data for it goes first, dropped and counted (lossy_backpressure)
 * while reliable data waits for it or its SCTP buffer is more than half full
 * (transport/peer.h); reliable data queues up to the configured bound, then
 * limit.data_queue_full_action applies: `reconnect` (default) marks the
 * receiver for removal with Leave{RECONNECT} at the next rm_tick and drops
 * its queue, `drop` drops the newest messages for it.  A receiver whose
 * channel is not open yet always gets `drop`.  Every reliable message lost
 * this way counts as queue_full, and each episode is logged. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "server/room_manager.h"

#define KIND_RELIABLE LIVEKIT__DATA_PACKET__KIND__RELIABLE
#define KIND_LOSSY LIVEKIT__DATA_PACKET__KIND__LOSSY

/* ---------- the per-receiver queue ---------- */

void rm_data_queue_free(struct data_queue *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->items[(q->head + i) % q->cap].data);
    free(q->items);
    memset(q, 0, sizeof *q);
}

static int queue_push(struct rm *rm, struct data_queue *q, const uint8_t *data, size_t len)
{
    if (q->n >= rm->queue_max_msgs || q->bytes + len > rm->queue_max_bytes)
        return DC_ELIMIT;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        struct data_msg *items = util_calloc(cap, sizeof *items);
        for (size_t i = 0; i < q->n; i++)
            items[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    struct data_msg *m = &q->items[(q->head + q->n) % q->cap];
    m->data = util_malloc(len);
    memcpy(m->data, data, len);
    m->len = len;
    q->n++;
    q->bytes += len;
    return 0;
}

/* ---------- delivery ---------- */

static int deliver(struct rm *rm, struct participant *to, int kind, const uint8_t *data,
                   size_t len)
{
    int r = rm->ops->send_data ? rm->ops->send_data(to, kind, data, len) : DC_ECLOSED;
    if (r == 0) {
        rm->stats.data_out[kind == KIND_LOSSY]++;
        rm->stats.bytes_out[kind == KIND_LOSSY] += len;
    }
    return r;
}

/* The receiver cannot keep up: it is removed at the next rm_tick, and what
 * waits for it is dropped now. */
static void evict(struct rm *rm, struct participant *p)
{
    LOGW("data", "receiver too slow, reliable queue full: told to reconnect",
         "room=%s identity=%s sid=%s queued=%zu bytes=%zu", p->room->name, p->identity, p->sid,
         p->pending.n, p->pending.bytes);
    rm->stats.drop_queue_full += p->pending.n;
    rm_data_queue_free(&p->pending);
    p->data_evict = true;
    rm->n_evict++;
    rm->stats.slow_receivers_removed++;
}

static void enqueue(struct rm *rm, struct participant *to, const uint8_t *data, size_t len)
{
    if (queue_push(rm, &to->pending, data, len) == 0) {
        rm->stats.queued++;
        return;
    }
    rm->stats.drop_queue_full++;
    if (rm->queue_full_reconnect && to->reliable_open) {
        evict(rm, to);
        return;
    }
    /* One line per filled queue, not per message; another when it empties. */
    if (to->pending_dropped++ == 0)
        LOGW("data", "reliable queue full, newest messages dropped",
             "room=%s identity=%s sid=%s queued=%zu bytes=%zu open=%d", to->room->name,
             to->identity, to->sid, to->pending.n, to->pending.bytes, (int)to->reliable_open);
}

/* Lossy data a backed-up receiver does not get; logged once per episode. */
static void lossy_dropped(struct rm *rm, struct participant *to)
{
    rm->stats.drop_lossy_backpressure++;
    if (!to->lossy_dropping)
        LOGD("data", "receiver backed up, lossy data dropped", "sid=%s queued=%zu", to->sid,
             to->pending.n);
    to->lossy_dropping = true;
}

static void count_failure(struct rm *rm, int r)
{
    if (r == DC_ETOOBIG)
        rm->stats.drop_too_large++;
    else
        rm->stats.drop_not_open++;
}

/* Reliable data keeps its order: while anything is queued for a receiver,
 * new data queues behind it.  A full SCTP buffer (DC_EAGAIN) queues it too.
 * Lossy data is dropped instead (the transport refuses it past half the SCTP
 * buffer), and also while reliable data waits in the queue of a receiver
 * whose channel is open: that receiver is behind, and reliable data goes
 * first.  A receiver marked for removal gets nothing more. */
static void send_now(struct rm *rm, struct participant *to, int kind, const uint8_t *data,
                     size_t len)
{
    if (to->data_evict) {
        if (kind == KIND_RELIABLE)
            rm->stats.drop_queue_full++;
        else
            rm->stats.drop_lossy_backpressure++;
        return;
    }
    if (kind == KIND_RELIABLE) {
        if (!to->reliable_open || to->pending.n > 0) {
            enqueue(rm, to, data, len);
            return;
        }
        int r = deliver(rm, to, kind, data, len);
        if (r == DC_EAGAIN) {
            rm->stats.queued_backpressure++;
            enqueue(rm, to, data, len);
        } else if (r < 0) {
            count_failure(rm, r);
        }
        return;
    }
    if (!to->lossy_open) {
        rm->stats.drop_not_open++;
        return;
    }
    if (to->reliable_open && to->pending.n > 0) {
        lossy_dropped(rm, to);
        return;
    }
    int r = deliver(rm, to, kind, data, len);
    if (r == DC_EAGAIN)
        lossy_dropped(rm, to);
    else if (r < 0)
        count_failure(rm, r);
    else
        to->lossy_dropping = false;
}

static void hold(struct rm *rm, struct participant *p, bool on)
{
    if (rm->ops->hold_data)
        rm->ops->hold_data(p, on);
}

/* Sends queued reliable data in order until the queue is empty or the
 * receiver is full again, as one batch. */
static void drain(struct rm *rm, struct participant *p)
{
    struct data_queue *q = &p->pending;
    bool held = q->n > 1 && p->reliable_open;
    if (held)
        hold(rm, p, true);
    while (q->n > 0 && p->reliable_open) {
        struct data_msg *m = &q->items[q->head];
        if (held && q->n == 1) {
            hold(rm, p, false);
            held = false;
        }
        int r = deliver(rm, p, KIND_RELIABLE, m->data, m->len);
        if (r == DC_EAGAIN)
            break;
        if (r < 0)
            count_failure(rm, r);
        free(m->data);
        q->bytes -= m->len;
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    if (held)
        hold(rm, p, false);
    if (q->n == 0 && p->pending_dropped) {
        LOGI("data", "reliable queue drained", "sid=%s dropped=%llu", p->sid,
             (unsigned long long)p->pending_dropped);
        p->pending_dropped = 0;
    }
}

/* ---------- batches: one receiver's data of one loop turn ---------- */

static void buf_unref(struct rm_buf *b)
{
    if (--b->refs == 0)
        free(b);
}

static void batch_clear(struct data_batch *bt)
{
    for (size_t i = 0; i < bt->n; i++)
        buf_unref(bt->items[i].buf);
    bt->n = 0;
}

/* Sends p's batch in order; the receiver's SCTP association may put several
 * messages in one packet. */
static void batch_send(struct rm *rm, struct participant *p)
{
    struct data_batch *bt = &p->batch;
    size_t n = bt->n;
    bool held = n > 1;
    if (held)
        hold(rm, p, true);
    for (size_t i = 0; i < n; i++) {
        struct batch_item *it = &bt->items[i];
        if (held && i == n - 1) {
            hold(rm, p, false);
            held = false;
        }
        send_now(rm, p, it->kind, it->buf->data, it->buf->len);
    }
    batch_clear(bt);
}

static void batch_push(struct rm *rm, struct participant *to, int kind, struct rm_buf *b)
{
    struct data_batch *bt = &to->batch;
    if (!bt->listed) {
        if (rm->n_batched == rm->cap_batched) {
            rm->cap_batched = rm->cap_batched ? rm->cap_batched * 2 : 64;
            rm->batched = util_realloc(rm->batched, rm->cap_batched * sizeof *rm->batched);
        }
        rm->batched[rm->n_batched++] = to;
        bt->listed = true;
    }
    if (bt->n == bt->cap) {
        bt->cap = bt->cap ? bt->cap * 2 : 8;
        bt->items = util_realloc(bt->items, bt->cap * sizeof *bt->items);
    }
    bt->items[bt->n++] = (struct batch_item){.buf = b, .kind = kind};
    b->refs++;
    if (bt->n >= RM_BATCH_MAX)
        batch_send(rm, to);
}

void rm_data_flush(struct rm *rm)
{
    /* Sending may end a participant (rm_data_forget clears its slot). */
    for (size_t i = 0; i < rm->n_batched; i++) {
        struct participant *p = rm->batched[i];
        if (!p)
            continue;
        rm->batched[i] = NULL;
        p->batch.listed = false;
        batch_send(rm, p);
    }
    rm->n_batched = 0;
}

void rm_data_forget(struct rm *rm, struct participant *p)
{
    struct data_batch *bt = &p->batch;
    if (bt->listed)
        for (size_t i = 0; i < rm->n_batched; i++)
            if (rm->batched[i] == p)
                rm->batched[i] = NULL;
    bt->listed = false;
    batch_clear(bt);
    free(bt->items);
    memset(bt, 0, sizeof *bt);
}

/* Sends now, or adds to the receiver's batch when the server batches; `shared`
 * holds the packet's one copy for all batches, made on first use. */
static void send_one(struct rm *rm, struct participant *to, int kind, const uint8_t *data,
                     size_t len, struct rm_buf **shared)
{
    bool now = !rm->batch_sends || to->data_evict || (kind == KIND_RELIABLE && to->pending.n > 0) ||
               (kind == KIND_RELIABLE ? !to->reliable_open : !to->lossy_open);
    if (now) {
        send_now(rm, to, kind, data, len);
        return;
    }
    if (!*shared) {
        *shared = util_malloc(sizeof **shared + len);
        (*shared)->refs = 1; /* the fan-out's own: a batch sent at RM_BATCH_MAX must not free it */
        (*shared)->len = len;
        memcpy((*shared)->data, data, len);
    }
    batch_push(rm, to, kind, *shared);
}

void rm_data_writable(struct rm *rm, struct participant *p)
{
    drain(rm, p);
}

static bool in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* Sends `data` to everyone in r but `from`, or only to those named by sid
 * or identity when either list is non-empty. */
static void fan_out(struct rm *rm, struct room *r, const struct participant *from, int kind,
                    const uint8_t *data, size_t len, char **sids, size_t n_sids, char **ids,
                    size_t n_ids)
{
    bool all = n_sids == 0 && n_ids == 0;
    struct rm_buf *shared = NULL;
    for (size_t i = 0; i < r->n_parts; i++) {
        struct participant *to = r->parts[i];
        if (to == from)
            continue;
        if (all || in_list(sids, n_sids, to->sid) || in_list(ids, n_ids, to->identity))
            send_one(rm, to, kind, data, len, &shared);
    }
    if (shared)
        buf_unref(shared);
}

static void pack_and_fan_out(struct rm *rm, struct room *r, const struct participant *from,
                             const Livekit__DataPacket *dp, char **sids, size_t n_sids)
{
    size_t n = livekit__data_packet__get_packed_size(dp);
    uint8_t stackbuf[4096];
    uint8_t *buf = n <= sizeof stackbuf ? stackbuf : util_malloc(n);
    livekit__data_packet__pack(dp, buf);
    fan_out(rm, r, from, dp->kind, buf, n, sids, n_sids, dp->destination_identities,
            dp->n_destination_identities);
    if (buf != stackbuf)
        free(buf);
}

/* Reliable packets with a sequence are taken once per sender. */
static bool duplicate(struct participant *from, int kind, uint32_t seq)
{
    if (kind != KIND_RELIABLE || seq == 0)
        return false;
    if (seq <= from->last_reliable_seq)
        return true;
    from->last_reliable_seq = seq;
    return false;
}

void rm_data_received(struct rm *rm, struct participant *from, int kind, const uint8_t *data,
                      size_t len)
{
    struct rm_stats *st = &rm->stats;
    st->data_in[kind == KIND_LOSSY]++;
    st->bytes_in[kind == KIND_LOSSY] += len;
    if (!from->perm.can_publish_data) {
        st->drop_no_permission++;
        return;
    }
    Livekit__DataPacket *in = livekit__data_packet__unpack(NULL, len, data);
    if (in && !rm_proto_forwardable(&in->base)) {
        livekit__data_packet__free_unpacked(in, NULL);
        in = NULL;
    }
    if (!in) {
        st->drop_malformed++;
        LOGD("data", "malformed data packet dropped", "sid=%s bytes=%zu", from->sid, len);
        return;
    }
    if (in->value_case == LIVEKIT__DATA_PACKET__VALUE_METRICS) {
        st->drop_metrics++;
    } else if (duplicate(from, kind, in->sequence)) {
        st->drop_duplicate++;
    } else {
        /* Shallow copies: the stamped fields point at our strings, and the
         * unpacked message is freed as it came. */
        Livekit__DataPacket dp = *in;
        const char *identity = from->perm.hidden ? "" : from->identity;
        dp.kind = kind;
        dp.participant_sid = from->sid;
        dp.participant_identity = (char *)identity;
        char **sids = NULL;
        size_t n_sids = 0;
        Livekit__UserPacket user;
        if (in->value_case == LIVEKIT__DATA_PACKET__VALUE_USER && in->user) {
            user = *in->user;
            user.participant_sid = from->perm.hidden ? "" : from->sid;
            user.participant_identity = (char *)identity;
            if (dp.n_destination_identities) {
                user.n_destination_identities = dp.n_destination_identities;
                user.destination_identities = dp.destination_identities;
            } else {
                dp.n_destination_identities = user.n_destination_identities;
                dp.destination_identities = user.destination_identities;
            }
            sids = user.destination_sids;
            n_sids = user.n_destination_sids;
            dp.user = &user;
        }
        pack_and_fan_out(rm, from->room, from, &dp, sids, n_sids);
    }
    livekit__data_packet__free_unpacked(in, NULL);
}

static bool nonce_seen(struct room *r, const ProtobufCBinaryData *nonce)
{
    if (nonce->len != 16)
        return false;
    for (size_t i = 0; i < r->n_nonces; i++)
        if (!memcmp(r->nonces[i], nonce->data, 16))
            return true;
    memcpy(r->nonces[r->next_nonce], nonce->data, 16);
    r->next_nonce = (r->next_nonce + 1) % RM_NONCE_RING;
    if (r->n_nonces < RM_NONCE_RING)
        r->n_nonces++;
    return false;
}

void rm_data_send_request(struct rm *rm, struct room *r, const Livekit__SendDataRequest *req)
{
    if (nonce_seen(r, &req->nonce)) {
        rm->stats.drop_duplicate++;
        return;
    }
    Livekit__UserPacket user = LIVEKIT__USER_PACKET__INIT;
    user.payload = req->data;
    user.n_destination_sids = req->n_destination_sids;
    user.destination_sids = req->destination_sids;
    user.n_destination_identities = req->n_destination_identities;
    user.destination_identities = req->destination_identities;
    if (req->topic_opt_case == LIVEKIT__SEND_DATA_REQUEST__TOPIC_OPT_TOPIC) {
        user.topic_opt_case = LIVEKIT__USER_PACKET__TOPIC_OPT_TOPIC;
        user.topic = req->topic;
    }
    user.nonce = req->nonce;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    dp.kind = req->kind == KIND_LOSSY ? KIND_LOSSY : KIND_RELIABLE;
    dp.n_destination_identities = req->n_destination_identities;
    dp.destination_identities = req->destination_identities;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &user;
    pack_and_fan_out(rm, r, NULL, &dp, req->destination_sids, req->n_destination_sids);
}

void rm_data_channel_state(struct rm *rm, struct participant *p, int kind, bool open)
{
    if (kind == KIND_LOSSY) {
        p->lossy_open = open;
        return;
    }
    p->reliable_open = open;
    if (open)
        drain(rm, p);
}
