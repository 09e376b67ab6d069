/* rs_methods.c: one handler per RoomService method (LiveKit's semantics). */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/rs_internal.h"

void rs_create_room(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__CreateRoomRequest *req = (const Livekit__CreateRoomRequest *)in;
    if (!req->name || !req->name[0]) {
        rs_error(c, "invalid_argument", "room name cannot be empty");
        return;
    }
    const struct config *cfg = c->rm->cfg;
    if (strlen(req->name) > cfg->limit.max_room_name_length) {
        rs_refuse(c, LIMIT_ROOM_NAME, "invalid_argument", "room name length exceeds limits");
        return;
    }
    if (req->metadata && strlen(req->metadata) > cfg->limit.max_metadata_size) {
        rs_refuse(c, LIMIT_METADATA, "invalid_argument", "metadata size exceeds limits");
        return;
    }
    if (!rm_room_find(c->rm, req->name) && cfg->limit.max_rooms &&
        c->rm->n_rooms >= cfg->limit.max_rooms) {
        rs_refuse(c, LIMIT_ROOMS, "resource_exhausted", RM_MAX_ROOMS_MSG);
        return;
    }
    rs_reply_room(c, rm_room_create(c->rm, req, c->now_ms));
}

void rs_list_rooms(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__ListRoomsRequest *req = (const Livekit__ListRoomsRequest *)in;
    struct rm *rm = c->rm;
    Livekit__Room *rooms = util_calloc(rm->n_rooms, sizeof *rooms);
    Livekit__Room **ptrs = util_calloc(rm->n_rooms, sizeof *ptrs);
    size_t n = 0;
    for (size_t i = 0; i < rm->n_rooms; i++) {
        const struct room *r = rm->rooms[i];
        bool wanted = req->n_names == 0;
        for (size_t k = 0; k < req->n_names && !wanted; k++)
            wanted = !strcmp(req->names[k], r->name);
        if (!wanted)
            continue;
        rm_proto_room(r, &rooms[n]);
        ptrs[n] = &rooms[n];
        n++;
    }
    Livekit__ListRoomsResponse resp = LIVEKIT__LIST_ROOMS_RESPONSE__INIT;
    resp.n_rooms = n;
    resp.rooms = ptrs;
    rs_reply(c, &resp.base);
    free(rooms);
    free(ptrs);
}

void rs_delete_room(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__DeleteRoomRequest *req = (const Livekit__DeleteRoomRequest *)in;
    struct room *r = rs_room(c, req->room);
    if (!r)
        return;
    rm_room_close(c->rm, r, LIVEKIT__DISCONNECT_REASON__ROOM_DELETED);
    Livekit__DeleteRoomResponse resp = LIVEKIT__DELETE_ROOM_RESPONSE__INIT;
    rs_reply(c, &resp.base);
}

void rs_list_participants(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__ListParticipantsRequest *req = (const Livekit__ListParticipantsRequest *)in;
    struct room *r = rs_room(c, req->room);
    if (!r)
        return;
    Livekit__ParticipantInfo *infos = util_calloc(r->n_parts, sizeof *infos);
    Livekit__ParticipantInfo **ptrs = util_calloc(r->n_parts, sizeof *ptrs);
    for (size_t i = 0; i < r->n_parts; i++) {
        rm_proto_participant(r->parts[i], &infos[i]);
        ptrs[i] = &infos[i];
    }
    Livekit__ListParticipantsResponse resp = LIVEKIT__LIST_PARTICIPANTS_RESPONSE__INIT;
    resp.n_participants = r->n_parts;
    resp.participants = ptrs;
    rs_reply(c, &resp.base);
    for (size_t i = 0; i < r->n_parts; i++)
        rm_proto_participant_release(&infos[i]);
    free(infos);
    free(ptrs);
}

void rs_get_participant(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__RoomParticipantIdentity *req = (const Livekit__RoomParticipantIdentity *)in;
    struct participant *p = rs_participant(c, req->room, req->identity);
    if (p)
        rs_reply_participant(c, p);
}

void rs_remove_participant(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__RoomParticipantIdentity *req = (const Livekit__RoomParticipantIdentity *)in;
    struct participant *p = rs_participant(c, req->room, req->identity);
    if (!p)
        return;
    rm_participant_remove(c->rm, p, LIVEKIT__DISCONNECT_REASON__PARTICIPANT_REMOVED, c->now_ms);
    Livekit__RemoveParticipantResponse resp = LIVEKIT__REMOVE_PARTICIPANT_RESPONSE__INIT;
    rs_reply(c, &resp.base);
}

void rs_update_participant(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__UpdateParticipantRequest *req = (const Livekit__UpdateParticipantRequest *)in;
    struct participant *p = rs_participant(c, req->room, req->identity);
    if (!p)
        return;
    struct kv attrs;
    kv_init(&attrs);
    for (size_t i = 0; i < req->n_attributes; i++)
        kv_set(&attrs, req->attributes[i]->key, req->attributes[i]->value);
    const char *why = NULL;
    int r = rm_participant_update(c->rm, p, req->name && req->name[0] ? req->name : NULL,
                                  req->metadata && req->metadata[0] ? req->metadata : NULL,
                                  &attrs, req->permission, c->now_ms, &why);
    kv_free(&attrs);
    if (r < 0)
        rs_error(c, "invalid_argument", why);
    else
        rs_reply_participant(c, p);
}

void rs_send_data(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__SendDataRequest *req = (const Livekit__SendDataRequest *)in;
    struct room *r = rs_room(c, req->room);
    if (!r)
        return;
    if (req->nonce.len != 0 && req->nonce.len != 16) {
        rs_error(c, "invalid_argument", "nonce should be 16-bytes or not present");
        return;
    }
    LOGD("twirp", "send data", "room=%s bytes=%zu kind=%d", r->name, req->data.len, req->kind);
    rm_data_send_request(c->rm, r, req);
    Livekit__SendDataResponse resp = LIVEKIT__SEND_DATA_RESPONSE__INIT;
    rs_reply(c, &resp.base);
}

void rs_update_room_metadata(struct rs_call *c, const ProtobufCMessage *in)
{
    const Livekit__UpdateRoomMetadataRequest *req = (const Livekit__UpdateRoomMetadataRequest *)in;
    struct room *r = rs_room(c, req->room);
    if (!r)
        return;
    if (req->metadata && strlen(req->metadata) > c->rm->cfg->limit.max_metadata_size) {
        rs_refuse(c, LIMIT_METADATA, "invalid_argument", "metadata size exceeds limits");
        return;
    }
    rm_room_set_metadata(c->rm, r, req->metadata);
    rs_reply_room(c, r);
}
