/* front.h: what the signaling port answers to one HTTP request; no I/O.
 *
 * Routes: GET / (health), GET /rtc/validate and /rtc/v1/validate, WebSocket
 * upgrades on /rtc and /rtc/v1 (token and join checks happen here, before the
 * upgrade), POST /twirp/livekit.RoomService/<Method>.  Everything else is 404.
 * While the room manager drains (rm->draining), GET / answers 406 "Not Ready"
 * and joins and validations 503 "server is draining"; RoomService still works.
 * A join refused by a configured cap (sizes, room.max_participants,
 * limit.max_rooms) is counted in rm->limits; a validation is not.
 *
 * The result owns its buffers until front_result_clear(). */
#ifndef DC_FRONT_H
#define DC_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signaling/http.h"

struct rm;
struct join_ticket;

enum front_action { FRONT_RESPOND, FRONT_UPGRADE };

struct front_result {
    enum front_action action;
    int status;
    uint8_t *bytes;              /* full HTTP response (or the 101 handshake) */
    size_t len;
    bool close_after;            /* close the connection once written */
    struct join_ticket *ticket;  /* FRONT_UPGRADE: hand to rm_join() */
};

void front_handle(struct rm *rm, const struct http_request *q, int64_t now_ms,
                  struct front_result *out);
void front_result_clear(struct front_result *r);

#endif
