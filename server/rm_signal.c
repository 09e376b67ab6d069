/* rm_signal.c: one handler per SignalRequest a participant sends, and the
 * metadata/name/attribute updates shared with the RoomService. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "server/room_manager.h"

#include <jansson.h>

/* See rm_send_later for why the answer waits a moment. */
#define REQUEST_RESPONSE_DELAY_MS 100

static void send_request_response(struct rm *rm, struct participant *p, uint32_t request_id,
                                  int reason, const char *message,
                                  Livekit__UpdateParticipantMetadata *req, int64_t now_ms)
{
    Livekit__RequestResponse rr = LIVEKIT__REQUEST_RESPONSE__INIT;
    rr.request_id = request_id;
    rr.reason = reason;
    rr.message = (char *)(message ? message : "");
    if (req) {
        rr.request_case = LIVEKIT__REQUEST_RESPONSE__REQUEST_UPDATE_METADATA;
        rr.update_metadata = req;
    }
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE;
    msg.request_response = &rr;
    rm_send_later(rm, p, &msg, now_ms, REQUEST_RESPONSE_DELAY_MS);
}

/* Size of the attribute map once `changes` are merged into `cur`. */
static size_t merged_attr_bytes(const struct kv *cur, const struct kv *changes)
{
    struct kv m;
    kv_init(&m);
    kv_copy(&m, cur);
    for (size_t i = 0; i < changes->n; i++) {
        if (changes->items[i].value[0])
            kv_set(&m, changes->items[i].key, changes->items[i].value);
        else
            kv_del(&m, changes->items[i].key);
    }
    size_t n = kv_bytes(&m);
    kv_free(&m);
    return n;
}

/* The cap a name/metadata/attributes update would pass, with *why. */
static enum limit_id update_over(const struct config *cfg, const struct participant *p,
                                 const char *name, const char *metadata, const struct kv *attrs,
                                 const char **why)
{
    if (name && strlen(name) > cfg->limit.max_participant_name_length) {
        *why = "name exceeds limits";
        return LIMIT_NAME;
    }
    if (metadata && strlen(metadata) > cfg->limit.max_metadata_size) {
        *why = "metadata exceeds limits";
        return LIMIT_METADATA;
    }
    if (attrs && attrs->n && merged_attr_bytes(&p->attributes, attrs) > cfg->limit.max_attributes_size) {
        *why = "attributes exceed limits";
        return LIMIT_ATTRIBUTES;
    }
    return LIMIT_NONE;
}

int rm_participant_update(struct rm *rm, struct participant *p, const char *name,
                          const char *metadata, const struct kv *attrs,
                          const Livekit__ParticipantPermission *perm, int64_t now_ms,
                          const char **why)
{
    enum limit_id over = update_over(rm->cfg, p, name, metadata, attrs, why);
    if (over != LIMIT_NONE) {
        limits_hit(&rm->limits, over, limits_configured(rm->cfg, over), now_ms);
        return DC_ELIMIT;
    }
    if (name) {
        free(p->name);
        p->name = util_strdup(name);
    }
    if (metadata) {
        free(p->metadata);
        p->metadata = util_strdup(metadata);
    }
    for (size_t i = 0; attrs && i < attrs->n; i++) {
        if (attrs->items[i].value[0])
            kv_set(&p->attributes, attrs->items[i].key, attrs->items[i].value);
        else
            kv_del(&p->attributes, attrs->items[i].key);
    }
    if (perm) {
        p->perm.can_subscribe = perm->can_subscribe;
        p->perm.can_publish = perm->can_publish;
        p->perm.can_publish_data = perm->can_publish_data;
        p->perm.can_update_metadata = perm->can_update_metadata;
        p->perm.hidden = perm->hidden;
        p->perm.recorder = perm->recorder;
        p->perm.agent = perm->agent;
    }
    p->version++;
    rm_broadcast_participant(rm, p, true);
    return 0;
}

static void on_update_metadata(struct rm *rm, struct participant *p,
                               Livekit__UpdateParticipantMetadata *u, int64_t now_ms)
{
    if (!p->perm.can_update_metadata) {
        send_request_response(rm, p, u->request_id, LIVEKIT__REQUEST_RESPONSE__REASON__NOT_ALLOWED,
                              "does not have permission to update own metadata", u, now_ms);
        return;
    }
    struct kv attrs;
    kv_init(&attrs);
    for (size_t i = 0; i < u->n_attributes; i++)
        kv_set(&attrs, u->attributes[i]->key, u->attributes[i]->value);
    const char *why = NULL;
    const char *name = u->name && u->name[0] ? u->name : NULL;
    const char *md = u->metadata && u->metadata[0] ? u->metadata : NULL;
    int r = rm_participant_update(rm, p, name, md, &attrs, NULL, now_ms, &why);
    kv_free(&attrs);
    if (r < 0)
        send_request_response(rm, p, u->request_id,
                              LIVEKIT__REQUEST_RESPONSE__REASON__LIMIT_EXCEEDED, why, u, now_ms);
    else
        send_request_response(rm, p, u->request_id, LIVEKIT__REQUEST_RESPONSE__REASON__OK, "", u,
                              now_ms);
}

static void on_ping(struct rm *rm, struct participant *p, int64_t now_ms)
{
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG;
    msg.pong = now_ms;
    rm_send(rm, p, &msg);
}

static void on_ping_req(struct rm *rm, struct participant *p, const Livekit__Ping *ping,
                        int64_t now_ms)
{
    Livekit__Pong pong = LIVEKIT__PONG__INIT;
    pong.last_ping_timestamp = ping->timestamp;
    pong.timestamp = now_ms;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG_RESP;
    msg.pong_resp = &pong;
    rm_send(rm, p, &msg);
}

int rm_handle_offer(struct rm *rm, struct participant *p, const char *sdp, uint32_t id,
                    int64_t now_ms)
{
    if (!sdp)
        sdp = "";
    if (!rm->ops->answer) {
        LOGD("signal", "offer ignored: no data plane", "sid=%s id=%u", p->sid, id);
        return 0;
    }
    const char *why = "invalid offer";
    char *answer = rm->ops->answer(rm->ops_ctx, p, sdp, strlen(sdp), &why);
    if (!answer) {
        LOGW("signal", "offer refused", "sid=%s reason=\"%s\"", p->sid, why);
        rm_participant_remove(rm, p, LIVEKIT__DISCONNECT_REASON__JOIN_FAILURE, now_ms);
        return DC_ECLOSED;
    }
    Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
    sd.type = "answer";
    sd.sdp = answer;
    sd.id = id;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ANSWER;
    msg.answer = &sd;
    rm_send(rm, p, &msg);
    free(answer);
    return 0;
}

/* Client candidates are accepted and checked for shape only: an ICE-lite
 * server learns the client's addresses from its connectivity checks. */
static void on_trickle(struct rm *rm, struct participant *p, const Livekit__TrickleRequest *t)
{
    json_error_t err;
    json_t *c = t->candidateinit ? json_loads(t->candidateinit, 0, &err) : NULL;
    const char *cand = json_string_value(json_object_get(c, "candidate"));
    if (!cand) {
        rm->stats.trickle_malformed++;
        LOGD("signal", "malformed trickle ignored", "sid=%s", p->sid);
    } else {
        rm->stats.trickle_accepted++;
        LOGD("signal", "trickle accepted", "sid=%s target=%d final=%d", p->sid, t->target,
             t->final);
    }
    json_decref(c);
}

void rm_signal_message(struct rm *rm, struct participant *p, const uint8_t *data, size_t len,
                       int64_t now_ms)
{
    Livekit__SignalRequest *req = livekit__signal_request__unpack(NULL, len, data);
    if (!req) {
        LOGW("signal", "malformed signal request dropped", "sid=%s bytes=%zu", p->sid, len);
        return;
    }
    switch (req->message_case) {
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING:
        on_ping(rm, p, now_ms);
        break;
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING_REQ:
        if (req->ping_req)
            on_ping_req(rm, p, req->ping_req, now_ms);
        break;
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_LEAVE:
        rm_signal_leave(rm, p, now_ms);
        break;
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_UPDATE_METADATA:
        if (req->update_metadata)
            on_update_metadata(rm, p, req->update_metadata, now_ms);
        break;
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_OFFER:
        if (req->offer)
            rm_handle_offer(rm, p, req->offer->sdp, req->offer->id, now_ms);
        break;
    case LIVEKIT__SIGNAL_REQUEST__MESSAGE_TRICKLE:
        if (req->trickle)
            on_trickle(rm, p, req->trickle);
        break;
    default:
        LOGD("signal", "signal request ignored", "sid=%s case=%d", p->sid, req->message_case);
        break;
    }
    livekit__signal_request__free_unpacked(req, NULL);
}
