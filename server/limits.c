/* limits.c: counting and sparse logging of cap refusals (server/limits.h). */
#include "server/limits.h"

#include "common/log.h"

static const char *const keys[LIMIT_COUNT] = {
    [LIMIT_ROOM_PARTICIPANTS] = "room.max_participants",
    [LIMIT_ROOMS] = "limit.max_rooms",
    [LIMIT_SIGNAL_CONNECTIONS] = "limit.max_signal_connections",
    [LIMIT_CONNECTION_RATE] = "limit.max_connections_per_ip_per_second",
    [LIMIT_PENDING_HANDSHAKES] = "rtc.max_pending_handshakes",
    [LIMIT_METADATA] = "limit.max_metadata_size",
    [LIMIT_ATTRIBUTES] = "limit.max_attributes_size",
    [LIMIT_ROOM_NAME] = "limit.max_room_name_length",
    [LIMIT_IDENTITY] = "limit.max_participant_identity_length",
    [LIMIT_NAME] = "limit.max_participant_name_length",
    [LIMIT_SIGNAL_MESSAGE] = "limit.signal_message_size_limit",
    [LIMIT_API_BODY] = "limit.max_api_request_body_size",
    [LIMIT_HTTP_HEADER] = "limit.max_http_header_size",
};

static bool valid(enum limit_id id)
{
    return (int)id > LIMIT_NONE && (int)id < LIMIT_COUNT;
}

const char *limits_key(enum limit_id id)
{
    return valid(id) ? keys[id] : NULL;
}

uint64_t limits_configured(const struct config *cfg, enum limit_id id)
{
    switch (id) {
    case LIMIT_ROOM_PARTICIPANTS: return cfg->room.max_participants;
    case LIMIT_ROOMS: return cfg->limit.max_rooms;
    case LIMIT_SIGNAL_CONNECTIONS: return cfg->limit.max_signal_connections;
    case LIMIT_CONNECTION_RATE: return cfg->limit.max_connections_per_ip_per_second;
    case LIMIT_PENDING_HANDSHAKES: return cfg->rtc.max_pending_handshakes;
    case LIMIT_METADATA: return cfg->limit.max_metadata_size;
    case LIMIT_ATTRIBUTES: return cfg->limit.max_attributes_size;
    case LIMIT_ROOM_NAME: return cfg->limit.max_room_name_length;
    case LIMIT_IDENTITY: return cfg->limit.max_participant_identity_length;
    case LIMIT_NAME: return cfg->limit.max_participant_name_length;
    case LIMIT_SIGNAL_MESSAGE: return cfg->limit.signal_message_size_limit;
    case LIMIT_API_BODY: return cfg->limit.max_api_request_body_size;
    case LIMIT_HTTP_HEADER: return cfg->limit.max_http_header_size;
    default: return 0;
    }
}

void limits_hit(struct limits *l, enum limit_id id, uint64_t max, int64_t now_ms)
{
    if (!valid(id))
        return;
    l->hits[id]++;
    l->unlogged[id]++;
    if (l->logged[id] && now_ms - l->logged_ms[id] < LIMITS_LOG_INTERVAL_MS &&
        now_ms >= l->logged_ms[id])
        return;
    LOGW("limit", "limit reached", "limit=%s max=%llu count=%llu", keys[id],
         (unsigned long long)max, (unsigned long long)l->unlogged[id]);
    l->logged[id] = 1;
    l->logged_ms[id] = now_ms;
    l->unlogged[id] = 0;
}
