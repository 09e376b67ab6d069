/* room_service.h: LiveKit's RoomService over Twirp; no I/O.
 *
 * POST /twirp/livekit.RoomService/<Method> with a JSON (protobuf JSON
 * mapping, camelCase or proto names) or application/protobuf body and an
 * `Authorization: Bearer` token.  The reply uses the request's encoding.
 * Errors are Twirp JSON {"code","msg"} with Content-Type application/json
 * and the HTTP status Twirp assigns to the code; an unparsable or invalid
 * token gets a plain-text 401, as LiveKit's middleware answers. */
#ifndef DC_ROOM_SERVICE_H
#define DC_ROOM_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "signaling/http.h"

#define ROOM_SERVICE_PREFIX "/twirp/livekit.RoomService/"

struct rm;

struct room_service_reply {
    int status;
    const char *content_type;  /* static string */
    uint8_t *body;             /* malloc'd */
    size_t len;
};

void room_service_handle(struct rm *rm, const struct http_request *q, const char *method,
                         int64_t now_ms, struct room_service_reply *out);
void room_service_reply_clear(struct room_service_reply *r);

#endif
