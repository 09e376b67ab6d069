/* rs_internal.h: shared by room_service.c (Twirp framing, auth, dispatch) and
 * rs_methods.c (one handler per RoomService method).  Not a public API.
 * A handler answers exactly once, through rs_reply or rs_error. */
#ifndef DC_RS_INTERNAL_H
#define DC_RS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "server/room_manager.h"
#include "server/room_service.h"

struct rs_call {
    struct rm *rm;
    struct auth_claims *claims;
    bool json;
    int64_t now_ms;
    struct room_service_reply *out;
};

void rs_reply(struct rs_call *c, const ProtobufCMessage *m);
void rs_error(struct rs_call *c, const char *code, const char *msg);
/* rs_error for a request that a configured cap refuses (counted in rm->limits). */
void rs_refuse(struct rs_call *c, enum limit_id limit, const char *code, const char *msg);
/* Find or answer not_found (then return NULL). */
struct room *rs_room(struct rs_call *c, const char *name);
struct participant *rs_participant(struct rs_call *c, const char *room, const char *identity);
void rs_reply_room(struct rs_call *c, const struct room *r);
void rs_reply_participant(struct rs_call *c, const struct participant *p);

void rs_create_room(struct rs_call *c, const ProtobufCMessage *in);
void rs_list_rooms(struct rs_call *c, const ProtobufCMessage *in);
void rs_delete_room(struct rs_call *c, const ProtobufCMessage *in);
void rs_list_participants(struct rs_call *c, const ProtobufCMessage *in);
void rs_get_participant(struct rs_call *c, const ProtobufCMessage *in);
void rs_remove_participant(struct rs_call *c, const ProtobufCMessage *in);
void rs_update_participant(struct rs_call *c, const ProtobufCMessage *in);
void rs_send_data(struct rs_call *c, const ProtobufCMessage *in);
void rs_update_room_metadata(struct rs_call *c, const ProtobufCMessage *in);

#endif
