/* webhook_event.c: see webhook_event.h. */
#include "server/webhook_event.h"

#include <jansson.h>
#include <mbedtls/sha256.h>
#include <stdlib.h>

#include "common/b64.h"
#include "livekit_webhook.pb-c.h"
#include "signaling/auth.h"
#include "signaling/pbjson.h"

char *webhook_event_body(const char *event, const Livekit__Room *room,
                         const Livekit__ParticipantInfo *participant, const char *id,
                         int64_t created_at_s)
{
    if (!event)
        return NULL;
    Livekit__WebhookEvent ev = LIVEKIT__WEBHOOK_EVENT__INIT;
    ev.event = (char *)event;
    ev.room = (Livekit__Room *)room;
    ev.participant = (Livekit__ParticipantInfo *)participant;
    if (id)
        ev.id = (char *)id;
    ev.created_at = created_at_s;
    return pbjson_encode(&ev.base, 0);
}

char *webhook_event_token(const char *body, size_t len, const char *api_key, const char *secret,
                          int64_t now_s)
{
    if (!body || !api_key || !secret || !*secret)
        return NULL;
    unsigned char hash[32];
    if (mbedtls_sha256_ret((const unsigned char *)body, len, hash, 0) != 0)
        return NULL;
    char hash_b64[64];
    b64_encode(hash, sizeof hash, hash_b64, false, true);
    json_t *claims = json_pack("{s:s, s:I, s:I, s:s}", "iss", api_key, "nbf", (json_int_t)now_s,
                               "exp", (json_int_t)(now_s + WEBHOOK_TOKEN_TTL_S), "sha256",
                               hash_b64);
    if (!claims)
        return NULL;
    char *json = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    if (!json)
        return NULL;
    char *tok = auth_sign(json, secret);
    free(json);
    return tok;
}
