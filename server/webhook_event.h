/* webhook_event.h: the body and Authorization token of one LiveKit webhook
 * post.  No I/O, no clock (times are passed in).
 *
 * The body is a livekit.WebhookEvent in protobuf JSON (camelCase names,
 * default values left out), as LiveKit's server posts it.  The token is an
 * HS256 JWT signed with the API key's secret whose claims are
 * {iss: api_key, nbf: now, exp: now + WEBHOOK_TOKEN_TTL_S, sha256: standard
 * padded base64 of SHA-256(body)}; it goes in the Authorization header
 * as is (no "Bearer " prefix).
 *
 * Ownership: both functions return a malloc'd string the caller free()s, or
 * NULL on bad input (NULL event/api_key/secret, empty secret). */
#ifndef DC_WEBHOOK_EVENT_H
#define DC_WEBHOOK_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "livekit_models.pb-c.h"

#define WEBHOOK_TOKEN_TTL_S 300

/* room and participant may be NULL (left out). */
char *webhook_event_body(const char *event, const Livekit__Room *room,
                         const Livekit__ParticipantInfo *participant, const char *id,
                         int64_t created_at_s);
char *webhook_event_token(const char *body, size_t len, const char *api_key, const char *secret,
                          int64_t now_s);

#endif
