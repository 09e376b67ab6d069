/* room_manager.h: rooms and participants of this node, and everything the
 * signaling connection of a participant asks for.  No I/O.
 *
 * The room manager owns every room and participant.  It talks to a
 * participant's signaling connection through a sink: `send` delivers one
 * serialized SignalResponse, `close` tells the connection that the room
 * manager is done with it (the connection flushes, closes, and must never
 * hand that participant back again).  When the connection goes away first,
 * the glue calls rm_signal_lost() and forgets the participant.
 *
 * Times are unix milliseconds passed in by the caller.
 *
 * Choices (documented in docs/SIGNALING.md): a closed signal connection
 * removes the participant at once (reason SIGNAL_CLOSE); the JoinResponse
 * already carries state JOINED; a full room is refused before the upgrade. */
#ifndef DC_ROOM_MANAGER_H
#define DC_ROOM_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kv.h"
#include "common/util.h"
#include "config/config.h"
#include "livekit_models.pb-c.h"
#include "livekit_room.pb-c.h"
#include "livekit_rtc.pb-c.h"
#include "server/limits.h"
#include "signaling/auth.h"

struct participant;
struct room;

struct rm_sink_ops {
    void (*send)(void *sink, const uint8_t *data, size_t len);
    void (*close)(void *sink);
    /* Data plane, optional (NULL: data is accepted and dropped).  Sends one
     * serialized DataPacket on p's data channel of that kind (0 reliable,
     * 1 lossy).  Returns 0, DC_EAGAIN (receiver backed up), DC_ETOOBIG or
     * DC_ECLOSED (no such channel open). */
    int (*send_data)(struct participant *p, int kind, const uint8_t *data, size_t len);
    /* Optional: the next sends to p are one batch (hold true) and may share
     * packets; hold false comes before the batch's last send. */
    void (*hold_data)(struct participant *p, bool hold);
    /* Answers p's SDP offer (creating its peer connection on the first one).
     * Returns the answer (malloc'd) or NULL with *why.  Optional. */
    char *(*answer)(void *ctx, struct participant *p, const char *offer, size_t len,
                    const char **why);
    /* p is going away: close and release its peer connection. */
    void (*peer_close)(void *ctx, struct participant *p);
    /* Optional: a LiveKit webhook event happened ("room_started",
     * "room_finished", "participant_joined", "participant_left",
     * "participant_connection_aborted").  `ctx` is rm->event_ctx; p is NULL
     * for room events.  r and p are valid only during the call. */
    void (*on_event)(void *ctx, const char *event, const struct room *r,
                     const struct participant *p);
};

/* Reliable data waiting for a receiver's `_reliable` channel to open or to
 * have room again (backpressure).  Bounded by limit.max_data_queue_messages
 * and limit.max_data_queue_bytes; what happens beyond that is
 * limit.data_queue_full_action (see rm_data.c). */
struct data_queue {
    struct data_msg { uint8_t *data; size_t len; } *items;
    size_t head, n, cap, bytes;
};

/* One serialized DataPacket shared by the receivers of a batched fan-out. */
struct rm_buf {
    size_t refs, len;
    uint8_t data[];
};

/* Data for one receiver gathered during a loop turn (see rm_data_flush). */
struct data_batch {
    struct batch_item { struct rm_buf *buf; int kind; } *items;
    size_t n, cap;
    bool listed;  /* in rm->batched */
};
/* A batch this long is sent at once. */
#define RM_BATCH_MAX 64

/* What the join checks produced; rm_join takes ownership. */
struct join_ticket {
    struct auth_claims claims;
    Livekit__JoinRequest *req;  /* never NULL */
    char *room_name;
    bool v1;
};
void join_ticket_free(struct join_ticket *t);

struct perm {
    bool can_subscribe, can_publish, can_publish_data, can_update_metadata;
    bool hidden, recorder, agent;
};

struct room;

struct participant {
    char sid[UTIL_SID_MAX];
    char *identity, *name, *metadata;
    struct kv attributes;
    int state;                /* Livekit__ParticipantInfo__State */
    uint32_t version;
    int kind;                 /* Livekit__ParticipantInfo__Kind */
    struct perm perm;
    int64_t joined_at_ms;
    int32_t client_protocol;
    int *capabilities;
    size_t n_capabilities;
    int disconnect_reason;
    struct room *room;
    void *sink;
    /* data plane */
    void *peer;               /* transport session, owned by the server glue */
    bool reliable_open, lossy_open;
    uint32_t last_reliable_seq;
    struct data_queue pending;
    uint64_t pending_dropped; /* reliable messages dropped since the queue last emptied */
    bool lossy_dropping;      /* lossy data is being dropped (backpressure) */
    bool data_evict;          /* too slow: removed at the next rm_tick */
    struct data_batch batch;  /* this turn's data, sent by rm_data_flush */
};

#define RM_NONCE_RING 128

/* Data counters are indexed by kind (0 reliable, 1 lossy). */
#define RM_JOIN_STATUSES 8
struct rm_stats {
    uint64_t data_in[2], data_out[2], bytes_in[2], bytes_out[2];
    uint64_t drop_no_permission, drop_malformed, drop_duplicate, drop_too_large;
    uint64_t drop_lossy_backpressure, drop_not_open, drop_queue_full, drop_metrics;
    uint64_t queued, queued_backpressure;
    uint64_t slow_receivers_removed;     /* data_queue_full_action: reconnect */
    uint64_t trickle_accepted, trickle_malformed;
    uint64_t joins;                      /* participants that joined */
    /* Joins refused before the upgrade, by HTTP status (status 0: other). */
    struct { int status; uint64_t n; } join_refused[RM_JOIN_STATUSES];
};

/* Counts a join refused with HTTP `status`. */
void rm_stats_join_refused(struct rm_stats *st, int status);

struct room {
    char sid[UTIL_SID_MAX];
    char *name, *metadata;
    uint32_t empty_timeout, departure_timeout, max_participants;
    int64_t created_ms, last_left_ms;
    struct participant **parts;
    size_t n_parts, cap_parts;
    uint8_t nonces[RM_NONCE_RING][16];  /* recent SendData nonces */
    size_t n_nonces, next_nonce;
};

/* A signal message held back until `due_ms` (see rm_send_later). */
struct rm_deferred {
    struct participant *p;
    uint8_t *data;
    size_t len;
    int64_t due_ms;
};

struct rm {
    const struct config *cfg;
    const struct rm_sink_ops *ops;
    void *ops_ctx;
    void *event_ctx;          /* passed to ops->on_event; rm_new sets it to ops_ctx */
    struct room **rooms;
    size_t n_rooms, cap_rooms;
    struct rm_stats stats;
    struct limits limits;     /* refusals of every configured cap, server-wide */
    struct rm_deferred *deferred;
    size_t n_deferred, cap_deferred;
    size_t queue_max_msgs, queue_max_bytes;  /* from limit.max_data_queue_* */
    bool queue_full_reconnect;               /* limit.data_queue_full_action */
    size_t n_evict;                          /* participants with data_evict set */
    /* When set, data for receivers is gathered per receiver and sent by
     * rm_data_flush (the server calls it once per loop turn), so that a
     * receiver's messages of one turn share packets; unset, each message is
     * sent at once. */
    bool batch_sends;
    struct participant **batched;  /* receivers with a non-empty batch */
    size_t n_batched, cap_batched;
    bool draining;            /* shutting down: joins are refused, rooms carry on */
};

struct rm *rm_new(const struct config *cfg, const struct rm_sink_ops *ops, void *ops_ctx);
void rm_free(struct rm *rm);
/* Reliable messages currently queued for all receivers. */
size_t rm_queued_now(const struct rm *rm);

/* ---- signaling connections ---- */
/* What a join or CreateRoom that would pass limit.max_rooms is told. */
#define RM_MAX_ROOMS_MSG "node has exceeded its max rooms"
/* Checks that a join into `room_name` can go ahead (room exists or may be
 * created without passing limit.max_rooms, not full).  Returns 0 or an HTTP
 * status with *why set; *limit (may be NULL) names the cap that refused it
 * (LIMIT_NONE otherwise).  Counts nothing: the caller does. */
int rm_join_check(struct rm *rm, const char *room_name, const char *identity, const char **why,
                  enum limit_id *limit);
/* Creates the participant, sends the JoinResponse and tells the others.
 * Returns NULL (and closes nothing) if the join cannot proceed. */
struct participant *rm_join(struct rm *rm, struct join_ticket *t, void *sink, int64_t now_ms);
void rm_signal_message(struct rm *rm, struct participant *p, const uint8_t *data, size_t len,
                       int64_t now_ms);
/* The participant said goodbye (Leave from the client). */
void rm_signal_leave(struct rm *rm, struct participant *p, int64_t now_ms);
void rm_signal_lost(struct rm *rm, struct participant *p, int64_t now_ms);
/* p's peer connection is up: p becomes ACTIVE and the others are told. */
void rm_participant_active(struct rm *rm, struct participant *p);
/* Answers p's SDP offer with SignalResponse.answer echoing `id`.  A bad
 * offer ends the participant (Leave JOIN_FAILURE, then DC_ECLOSED: p is
 * freed). */
int rm_handle_offer(struct rm *rm, struct participant *p, const char *sdp, uint32_t id,
                    int64_t now_ms);
/* Sends held-back messages that are due, removes receivers the data plane
 * gave up on (Leave{RECONNECT, CONNECTION_TIMEOUT}), and closes rooms whose
 * empty or departure timeout has passed.  The server calls it every 50 ms. */
void rm_tick(struct rm *rm, int64_t now_ms);
/* Participants in every room of this node. */
size_t rm_participant_count(const struct rm *rm);
/* Everyone gets Leave{SERVER_SHUTDOWN}; all rooms are closed. */
void rm_shutdown(struct rm *rm, int64_t now_ms);

/* ---- rooms and participants (RoomService) ---- */
struct room *rm_room_find(struct rm *rm, const char *name);
/* Returns the existing room of that name, or a new one with the request's
 * settings (zero fields take the configured defaults). */
struct room *rm_room_create(struct rm *rm, const Livekit__CreateRoomRequest *req, int64_t now_ms);
/* Everyone gets Leave with `reason`; the room is freed. */
void rm_room_close(struct rm *rm, struct room *room, int reason);
void rm_room_set_metadata(struct rm *rm, struct room *room, const char *metadata);
struct participant *rm_participant_find(struct room *room, const char *identity);
struct participant *rm_participant_find_sid(struct room *room, const char *sid);
/* Sends Leave{reason, DISCONNECT}, removes the participant, tells the others. */
void rm_participant_remove(struct rm *rm, struct participant *p, int reason, int64_t now_ms);
/* Applies name/metadata/attribute changes (NULL = unchanged; attributes merge,
 * an empty value deletes) and an optional new permission, then tells everyone.
 * Returns 0, or DC_ELIMIT with *why naming the limit exceeded (counted in
 * rm->limits at now_ms). */
int rm_participant_update(struct rm *rm, struct participant *p, const char *name,
                          const char *metadata, const struct kv *attrs,
                          const Livekit__ParticipantPermission *perm, int64_t now_ms,
                          const char **why);

/* Sends a ParticipantUpdate about p to everyone else in its room (and to p
 * itself when `self`).  Hidden participants are never announced to others. */
void rm_broadcast_participant(struct rm *rm, struct participant *p, bool self);

/* ---- data (server/rm_data.c) ---- */
/* A DataPacket from p's data channel of `kind`: checked, stamped with the
 * sender, serialized once and delivered to its receivers. */
void rm_data_received(struct rm *rm, struct participant *from, int kind, const uint8_t *data,
                      size_t len);
/* RoomService SendData: no sender fields; duplicates by nonce are dropped. */
void rm_data_send_request(struct rm *rm, struct room *r, const Livekit__SendDataRequest *req);
/* p's data channel of `kind` opened (queued reliable data is delivered now) or closed. */
void rm_data_channel_state(struct rm *rm, struct participant *p, int kind, bool open);
/* p's data channels have room again: queued reliable data goes out. */
void rm_data_writable(struct rm *rm, struct participant *p);
void rm_data_queue_free(struct data_queue *q);
/* Sends every receiver's batch (see rm->batch_sends). */
void rm_data_flush(struct rm *rm);
/* p is going away: its batch is dropped. */
void rm_data_forget(struct rm *rm, struct participant *p);

/* ---- protobuf views (server/rm_proto.c) ---- */
/* Fill `out` pointing into the participant/room; free with rm_proto_release. */
void rm_proto_participant(const struct participant *p, Livekit__ParticipantInfo *out);
void rm_proto_participant_release(Livekit__ParticipantInfo *out);
void rm_proto_room(const struct room *r, Livekit__Room *out);
/* False when m, or a message inside it, kept an unknown field numbered 0.
 * protobuf-c 1.4 accepts such a field when its tag is written in more than
 * one byte and packs it again in one, which no protobuf reader (protobuf-c
 * included) accepts: a message that is forwarded must be refused instead. */
bool rm_proto_forwardable(const ProtobufCMessage *m);
/* Packs msg and hands it to p's sink. */
void rm_send(struct rm *rm, struct participant *p, const Livekit__SignalResponse *msg);
/* Packs msg now and hands it to p's sink from the first rm_tick at or after
 * now_ms + delay_ms (dropped if p leaves first).  RequestResponses go this
 * way: @livekit/rtc-node starts waiting for the answer to a request only
 * after the request is written, and misses an answer that comes back within
 * that moment (it then reports a timeout after 5 s). */
void rm_send_later(struct rm *rm, struct participant *p, const Livekit__SignalResponse *msg,
                   int64_t now_ms, int64_t delay_ms);
size_t rm_room_visible_count(const struct room *r);

#endif
