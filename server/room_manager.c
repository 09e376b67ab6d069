#include "server/room_manager.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

struct rm *rm_new(const struct config *cfg, const struct rm_sink_ops *ops, void *ops_ctx)
{
    struct rm *rm = util_calloc(1, sizeof *rm);
    rm->cfg = cfg;
    rm->ops = ops;
    rm->ops_ctx = ops_ctx;
    rm->event_ctx = ops_ctx;
    rm->queue_max_msgs = cfg->limit.max_data_queue_messages;
    rm->queue_max_bytes = cfg->limit.max_data_queue_bytes;
    rm->queue_full_reconnect = cfg->limit.data_queue_full_action == CONFIG_QUEUE_FULL_RECONNECT;
    return rm;
}

void join_ticket_free(struct join_ticket *t)
{
    if (!t)
        return;
    auth_claims_free(&t->claims);
    if (t->req)
        livekit__join_request__free_unpacked(t->req, NULL);
    free(t->room_name);
    free(t);
}

/* ---------- participants ---------- */

/* Forgets p's held-back messages (p is going away). */
static void deferred_drop(struct rm *rm, const struct participant *p)
{
    size_t k = 0;
    for (size_t i = 0; i < rm->n_deferred; i++) {
        if (rm->deferred[i].p == p)
            free(rm->deferred[i].data);
        else
            rm->deferred[k++] = rm->deferred[i];
    }
    rm->n_deferred = k;
}

/* Sends the held-back messages that are due, in the order they were made. */
static void deferred_flush(struct rm *rm, int64_t now_ms)
{
    size_t k = 0;
    for (size_t i = 0; i < rm->n_deferred; i++) {
        struct rm_deferred *d = &rm->deferred[i];
        if (d->due_ms <= now_ms) {
            if (d->p->sink)
                rm->ops->send(d->p->sink, d->data, d->len);
            free(d->data);
        } else {
            rm->deferred[k++] = *d;
        }
    }
    rm->n_deferred = k;
}

/* Releases everything outside the room manager that p holds. */
static void participant_release(struct rm *rm, struct participant *p)
{
    deferred_drop(rm, p);
    rm_data_forget(rm, p);
    void *sink = p->sink;
    p->sink = NULL;
    if (sink)
        rm->ops->close(sink);
    if (p->peer && rm->ops->peer_close)
        rm->ops->peer_close(rm->ops_ctx, p);
    p->peer = NULL;
}

static void emit(struct rm *rm, const char *event, const struct room *r,
                 const struct participant *p)
{
    if (rm->ops->on_event)
        rm->ops->on_event(rm->event_ctx, event, r, p);
}

static const char *left_event(const struct participant *p)
{
    return p->state == LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE ? "participant_left"
                                                                : "participant_connection_aborted";
}

static void participant_free(struct participant *p)
{
    free(p->identity);
    free(p->name);
    free(p->metadata);
    kv_free(&p->attributes);
    free(p->capabilities);
    rm_data_queue_free(&p->pending);
    free(p);
}

static void room_detach(struct room *r, struct participant *p)
{
    for (size_t i = 0; i < r->n_parts; i++) {
        if (r->parts[i] == p) {
            memmove(&r->parts[i], &r->parts[i + 1], (r->n_parts - i - 1) * sizeof *r->parts);
            r->n_parts--;
            return;
        }
    }
}

struct participant *rm_participant_find(struct room *room, const char *identity)
{
    for (size_t i = 0; i < room->n_parts; i++)
        if (!strcmp(room->parts[i]->identity, identity))
            return room->parts[i];
    return NULL;
}

struct participant *rm_participant_find_sid(struct room *room, const char *sid)
{
    for (size_t i = 0; i < room->n_parts; i++)
        if (!strcmp(room->parts[i]->sid, sid))
            return room->parts[i];
    return NULL;
}

void rm_broadcast_participant(struct rm *rm, struct participant *p, bool self)
{
    struct room *r = p->room;
    Livekit__ParticipantInfo info;
    rm_proto_participant(p, &info);
    Livekit__ParticipantInfo *list[1] = {&info};
    Livekit__ParticipantUpdate up = LIVEKIT__PARTICIPANT_UPDATE__INIT;
    up.n_participants = 1;
    up.participants = list;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE;
    msg.update = &up;
    if (self)
        rm_send(rm, p, &msg);
    if (!p->perm.hidden)
        for (size_t i = 0; i < r->n_parts; i++)
            if (r->parts[i] != p)
                rm_send(rm, r->parts[i], &msg);
    rm_proto_participant_release(&info);
}

static void send_leave(struct rm *rm, struct participant *p, int reason, int action)
{
    Livekit__LeaveRequest leave = LIVEKIT__LEAVE_REQUEST__INIT;
    leave.reason = reason;
    leave.action = action;
    leave.can_reconnect = action != LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE;
    msg.leave = &leave;
    rm_send(rm, p, &msg);
}

/* Removes p from its room, tells the others, releases its sink if it still
 * has one, and frees it. */
static void participant_drop(struct rm *rm, struct participant *p, int reason, int64_t now_ms)
{
    struct room *r = p->room;
    LOGI("room", "participant left", "room=%s identity=%s sid=%s reason=%d", r->name,
         p->identity, p->sid, reason);
    const char *event = left_event(p);
    participant_release(rm, p);
    room_detach(r, p);
    p->state = LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED;
    p->disconnect_reason = reason;
    p->version++;
    rm_broadcast_participant(rm, p, false);
    r->last_left_ms = now_ms > 0 ? now_ms : 1;
    emit(rm, event, r, p);
    participant_free(p);
}

void rm_participant_remove(struct rm *rm, struct participant *p, int reason, int64_t now_ms)
{
    send_leave(rm, p, reason, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT);
    participant_drop(rm, p, reason, now_ms);
}

void rm_participant_active(struct rm *rm, struct participant *p)
{
    if (p->state == LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE)
        return;
    p->state = LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE;
    p->version++;
    LOGI("room", "participant active", "room=%s identity=%s sid=%s", p->room->name, p->identity,
         p->sid);
    rm_broadcast_participant(rm, p, false);
    emit(rm, "participant_joined", p->room, p);
}

void rm_signal_leave(struct rm *rm, struct participant *p, int64_t now_ms)
{
    participant_drop(rm, p, LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED, now_ms);
}

void rm_signal_lost(struct rm *rm, struct participant *p, int64_t now_ms)
{
    p->sink = NULL;
    participant_drop(rm, p, LIVEKIT__DISCONNECT_REASON__SIGNAL_CLOSE, now_ms);
}

/* ---------- rooms ---------- */

struct room *rm_room_find(struct rm *rm, const char *name)
{
    for (size_t i = 0; i < rm->n_rooms; i++)
        if (!strcmp(rm->rooms[i]->name, name))
            return rm->rooms[i];
    return NULL;
}

struct room *rm_room_create(struct rm *rm, const Livekit__CreateRoomRequest *req, int64_t now_ms)
{
    struct room *r = rm_room_find(rm, req->name);
    if (r)
        return r;
    r = util_calloc(1, sizeof *r);
    util_new_sid(r->sid, "RM_");
    r->name = util_strdup(req->name);
    r->metadata = util_strdup(req->metadata ? req->metadata : "");
    r->empty_timeout = req->empty_timeout ? req->empty_timeout : rm->cfg->room.empty_timeout;
    r->departure_timeout =
        req->departure_timeout ? req->departure_timeout : rm->cfg->room.departure_timeout;
    r->max_participants =
        req->max_participants ? req->max_participants : rm->cfg->room.max_participants;
    r->created_ms = now_ms;
    if (rm->n_rooms == rm->cap_rooms) {
        rm->cap_rooms = rm->cap_rooms ? rm->cap_rooms * 2 : 8;
        rm->rooms = util_realloc(rm->rooms, rm->cap_rooms * sizeof *rm->rooms);
    }
    rm->rooms[rm->n_rooms++] = r;
    LOGI("room", "room created", "room=%s sid=%s", r->name, r->sid);
    emit(rm, "room_started", r, NULL);
    return r;
}

static void room_free(struct rm *rm, struct room *r)
{
    for (size_t i = 0; i < rm->n_rooms; i++) {
        if (rm->rooms[i] == r) {
            rm->rooms[i] = rm->rooms[--rm->n_rooms];
            break;
        }
    }
    LOGI("room", "room closed", "room=%s sid=%s", r->name, r->sid);
    emit(rm, "room_finished", r, NULL);
    free(r->name);
    free(r->metadata);
    free(r->parts);
    free(r);
}

void rm_room_close(struct rm *rm, struct room *room, int reason)
{
    while (room->n_parts > 0) {
        struct participant *p = room->parts[room->n_parts - 1];
        send_leave(rm, p, reason, LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT);
        const char *event = left_event(p);
        participant_release(rm, p);
        room->n_parts--;
        p->state = LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED;
        p->disconnect_reason = reason;
        emit(rm, event, room, p);
        participant_free(p);
    }
    room_free(rm, room);
}

void rm_room_set_metadata(struct rm *rm, struct room *room, const char *metadata)
{
    free(room->metadata);
    room->metadata = util_strdup(metadata ? metadata : "");
    Livekit__Room info;
    rm_proto_room(room, &info);
    Livekit__RoomUpdate up = LIVEKIT__ROOM_UPDATE__INIT;
    up.room = &info;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE;
    msg.room_update = &up;
    for (size_t i = 0; i < room->n_parts; i++)
        rm_send(rm, room->parts[i], &msg);
}

/* Receivers whose reliable queue overflowed with data_queue_full_action
 * reconnect: they are told to rejoin and leave the room. */
static void evict_slow_receivers(struct rm *rm, int64_t now_ms)
{
    if (rm->n_evict == 0)
        return;
    rm->n_evict = 0;
    const int reason = LIVEKIT__DISCONNECT_REASON__CONNECTION_TIMEOUT;
    for (size_t i = 0; i < rm->n_rooms; i++) {
        struct room *r = rm->rooms[i];
        for (size_t j = r->n_parts; j-- > 0;) {
            struct participant *p = r->parts[j];
            if (!p->data_evict)
                continue;
            send_leave(rm, p, reason, LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT);
            participant_drop(rm, p, reason, now_ms);
        }
    }
}

void rm_tick(struct rm *rm, int64_t now_ms)
{
    deferred_flush(rm, now_ms);
    evict_slow_receivers(rm, now_ms);
    for (size_t i = rm->n_rooms; i-- > 0;) {
        struct room *r = rm->rooms[i];
        if (r->n_parts > 0)
            continue;
        bool expired = r->last_left_ms
                           ? now_ms - r->last_left_ms >= (int64_t)r->departure_timeout * 1000
                           : now_ms - r->created_ms >= (int64_t)r->empty_timeout * 1000;
        if (expired)
            room_free(rm, r);
    }
}

size_t rm_participant_count(const struct rm *rm)
{
    size_t n = 0;
    for (size_t i = 0; i < rm->n_rooms; i++)
        n += rm->rooms[i]->n_parts;
    return n;
}

void rm_shutdown(struct rm *rm, int64_t now_ms)
{
    (void)now_ms;
    while (rm->n_rooms > 0)
        rm_room_close(rm, rm->rooms[rm->n_rooms - 1], LIVEKIT__DISCONNECT_REASON__SERVER_SHUTDOWN);
}

void rm_free(struct rm *rm)
{
    if (!rm)
        return;
    rm_shutdown(rm, 0);
    free(rm->deferred);
    free(rm->batched);
    free(rm->rooms);
    free(rm);
}

void rm_stats_join_refused(struct rm_stats *st, int status)
{
    size_t last = RM_JOIN_STATUSES - 1;
    for (size_t i = 0; i < last; i++) {
        if (st->join_refused[i].status == status || st->join_refused[i].n == 0) {
            st->join_refused[i].status = status;
            st->join_refused[i].n++;
            return;
        }
    }
    st->join_refused[last].status = 0;
    st->join_refused[last].n++;
}

size_t rm_queued_now(const struct rm *rm)
{
    size_t n = 0;
    for (size_t i = 0; i < rm->n_rooms; i++)
        for (size_t j = 0; j < rm->rooms[i]->n_parts; j++)
            n += rm->rooms[i]->parts[j]->pending.n;
    return n;
}

