/* limits.h: refusals of the configured caps (livekit.yaml `room:`, `limit:`
 * and `rtc:` keys), counted per cap and logged sparingly.  No I/O besides
 * the log line; no clock (times are passed in).
 *
 * Whoever refuses something because a cap is reached calls limits_hit():
 * the cap's counter goes up (dcsfu_limit_exceeded_total{limit="<key>"}) and
 * a warning naming the key is logged at most once every
 * LIMITS_LOG_INTERVAL_MS per cap, carrying the number of refusals since the
 * previous line, so that a flood of refused requests does not flood the log.
 * Refusals inside such an interval are counted but not logged until the next
 * refusal after it.
 *
 * The struct is plain data (zeroed = nothing counted); nothing to free. */
#ifndef DC_LIMITS_H
#define DC_LIMITS_H

#include <stdint.h>

#include "config/config.h"

#define LIMITS_LOG_INTERVAL_MS 10000

enum limit_id {
    LIMIT_NONE = 0,
    LIMIT_ROOM_PARTICIPANTS,  /* room.max_participants (or the room's own) */
    LIMIT_ROOMS,              /* limit.max_rooms */
    LIMIT_SIGNAL_CONNECTIONS, /* limit.max_signal_connections */
    LIMIT_CONNECTION_RATE,    /* limit.max_connections_per_ip_per_second */
    LIMIT_PENDING_HANDSHAKES, /* rtc.max_pending_handshakes */
    LIMIT_METADATA,           /* limit.max_metadata_size */
    LIMIT_ATTRIBUTES,         /* limit.max_attributes_size */
    LIMIT_ROOM_NAME,          /* limit.max_room_name_length */
    LIMIT_IDENTITY,           /* limit.max_participant_identity_length */
    LIMIT_NAME,               /* limit.max_participant_name_length */
    LIMIT_SIGNAL_MESSAGE,     /* limit.signal_message_size_limit */
    LIMIT_API_BODY,           /* limit.max_api_request_body_size */
    LIMIT_HTTP_HEADER,        /* limit.max_http_header_size */
    LIMIT_COUNT
};

struct limits {
    uint64_t hits[LIMIT_COUNT];      /* refusals since the start */
    uint64_t unlogged[LIMIT_COUNT];  /* refusals since the last log line */
    int64_t logged_ms[LIMIT_COUNT];  /* time of that line */
    uint8_t logged[LIMIT_COUNT];     /* a line was logged */
};

/* The cap's config key ("limit.max_rooms"), or NULL for LIMIT_NONE or an
 * out-of-range id. */
const char *limits_key(enum limit_id id);
/* The cap's value in cfg (room.max_participants for LIMIT_ROOM_PARTICIPANTS;
 * a room created with its own max has that instead); 0 for LIMIT_NONE. */
uint64_t limits_configured(const struct config *cfg, enum limit_id id);
/* Counts one refusal because of cap `id`, whose value was `max` (for the
 * log line).  LIMIT_NONE and out-of-range ids are ignored. */
void limits_hit(struct limits *l, enum limit_id id, uint64_t max, int64_t now_ms);

#endif
