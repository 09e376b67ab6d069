/* rm_join.c: admitting a participant: checks, the JoinResponse, announcing it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "common/version.h"
#include "server/room_manager.h"

#define SERVER_VERSION DCSFU_LIVEKIT_VERSION
#define PROTOCOL_VERSION DCSFU_LIVEKIT_PROTOCOL
#define PING_INTERVAL_S 5
#define PING_TIMEOUT_S 15

int rm_join_check(struct rm *rm, const char *room_name, const char *identity, const char **why,
                  enum limit_id *limit)
{
    enum limit_id dummy;
    if (!limit)
        limit = &dummy;
    *limit = LIMIT_NONE;
    struct room *r = rm_room_find(rm, room_name);
    if (!r) {
        if (!rm->cfg->room.auto_create) {
            *why = "requested room does not exist";
            return 404;
        }
        if (rm->cfg->limit.max_rooms && rm->n_rooms >= rm->cfg->limit.max_rooms) {
            *why = RM_MAX_ROOMS_MSG;
            *limit = LIMIT_ROOMS;
            return 429;
        }
        return 0;
    }
    size_t n = r->n_parts;
    if (rm_participant_find(r, identity))
        n--; /* the new session replaces the old one */
    if (r->max_participants && n >= r->max_participants) {
        *why = "room has exceeded its max participants";
        *limit = LIMIT_ROOM_PARTICIPANTS;
        return 429;
    }
    return 0;
}

static int kind_from_claims(const char *k)
{
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {
        {"standard", LIVEKIT__PARTICIPANT_INFO__KIND__STANDARD},
        {"ingress", LIVEKIT__PARTICIPANT_INFO__KIND__INGRESS},
        {"egress", LIVEKIT__PARTICIPANT_INFO__KIND__EGRESS},
        {"sip", LIVEKIT__PARTICIPANT_INFO__KIND__SIP},
        {"agent", LIVEKIT__PARTICIPANT_INFO__KIND__AGENT},
    };
    for (size_t i = 0; k && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcasecmp(k, kinds[i].name))
            return kinds[i].kind;
    return LIVEKIT__PARTICIPANT_INFO__KIND__STANDARD;
}

static void perm_from_grant(struct perm *p, const struct video_grant *g)
{
    p->can_subscribe = grant_can_subscribe(g);
    p->can_publish = grant_can_publish(g);
    p->can_publish_data = grant_can_publish_data(g);
    p->can_update_metadata = grant_can_update_metadata(g);
    p->hidden = g->hidden;
    p->recorder = g->recorder;
    p->agent = g->agent;
}

static struct participant *participant_new(struct join_ticket *t, int64_t now_ms)
{
    struct participant *p = util_calloc(1, sizeof *p);
    const struct auth_claims *c = &t->claims;
    const Livekit__JoinRequest *req = t->req;
    util_new_sid(p->sid, "PA_");
    p->identity = util_strdup(c->identity);
    p->name = util_strdup(c->name ? c->name : "");
    p->metadata = util_strdup(c->metadata ? c->metadata : "");
    kv_init(&p->attributes);
    kv_copy(&p->attributes, &c->attributes);
    /* A join request may set metadata and attributes (checked by the caller). */
    if (req->metadata && req->metadata[0]) {
        free(p->metadata);
        p->metadata = util_strdup(req->metadata);
    }
    for (size_t i = 0; i < req->n_participant_attributes; i++)
        kv_set(&p->attributes, req->participant_attributes[i]->key,
               req->participant_attributes[i]->value);
    p->kind = kind_from_claims(c->kind);
    perm_from_grant(&p->perm, &c->video);
    p->joined_at_ms = now_ms;
    p->state = LIVEKIT__PARTICIPANT_INFO__STATE__JOINED;
    p->version = 1;
    const Livekit__ClientInfo *ci = req->client_info;
    if (ci) {
        p->client_protocol = ci->client_protocol;
        if (ci->n_capabilities) {
            p->capabilities = util_calloc(ci->n_capabilities, sizeof *p->capabilities);
            for (size_t i = 0; i < ci->n_capabilities; i++)
                p->capabilities[i] = ci->capabilities[i];
            p->n_capabilities = ci->n_capabilities;
        }
    }
    return p;
}

static void room_attach(struct room *r, struct participant *p)
{
    if (r->n_parts == r->cap_parts) {
        r->cap_parts = r->cap_parts ? r->cap_parts * 2 : 8;
        r->parts = util_realloc(r->parts, r->cap_parts * sizeof *r->parts);
    }
    r->parts[r->n_parts++] = p;
    p->room = r;
}

static void send_join_response(struct rm *rm, struct participant *p)
{
    struct room *r = p->room;
    Livekit__Room room;
    rm_proto_room(r, &room);
    Livekit__ParticipantInfo self;
    rm_proto_participant(p, &self);

    size_t n_others = 0;
    Livekit__ParticipantInfo *others = util_calloc(r->n_parts, sizeof *others);
    Livekit__ParticipantInfo **other_ptrs = util_calloc(r->n_parts, sizeof *other_ptrs);
    for (size_t i = 0; i < r->n_parts; i++) {
        struct participant *o = r->parts[i];
        if (o == p || o->perm.hidden)
            continue;
        rm_proto_participant(o, &others[n_others]);
        other_ptrs[n_others] = &others[n_others];
        n_others++;
    }

    Livekit__ServerInfo si = LIVEKIT__SERVER_INFO__INIT;
    si.edition = LIVEKIT__SERVER_INFO__EDITION__Standard;
    si.version = SERVER_VERSION;
    si.protocol = PROTOCOL_VERSION;
    si.region = rm->cfg->region ? rm->cfg->region : "";
    Livekit__ClientConfiguration cc = LIVEKIT__CLIENT_CONFIGURATION__INIT;
    cc.resume_connection = LIVEKIT__CLIENT_CONFIG_SETTING__DISABLED;

    Livekit__JoinResponse jr = LIVEKIT__JOIN_RESPONSE__INIT;
    jr.room = &room;
    jr.participant = &self;
    jr.n_other_participants = n_others;
    jr.other_participants = other_ptrs;
    jr.server_version = SERVER_VERSION;
    jr.server_region = si.region;
    jr.server_info = &si;
    jr.client_configuration = &cc;
    jr.ping_interval = PING_INTERVAL_S;
    jr.ping_timeout = PING_TIMEOUT_S;
    jr.subscriber_primary = false;

    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN;
    msg.join = &jr;
    rm_send(rm, p, &msg);

    for (size_t i = 0; i < n_others; i++)
        rm_proto_participant_release(&others[i]);
    free(others);
    free(other_ptrs);
    rm_proto_participant_release(&self);
}

/* dcsfu does not resume sessions: a resume attempt is told to rejoin. */
static void refuse_resume(struct rm *rm, void *sink)
{
    Livekit__LeaveRequest leave = LIVEKIT__LEAVE_REQUEST__INIT;
    leave.reason = LIVEKIT__DISCONNECT_REASON__STATE_MISMATCH;
    leave.action = LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT;
    leave.can_reconnect = true;
    Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
    msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE;
    msg.leave = &leave;
    size_t n = livekit__signal_response__get_packed_size(&msg);
    uint8_t buf[64];
    if (n <= sizeof buf) {
        livekit__signal_response__pack(&msg, buf);
        rm->ops->send(sink, buf, n);
    }
    rm->ops->close(sink);
}

struct participant *rm_join(struct rm *rm, struct join_ticket *t, void *sink, int64_t now_ms)
{
    if (t->req->reconnect) {
        LOGI("room", "resume refused, client told to rejoin", "room=%s identity=%s",
             t->room_name, t->claims.identity);
        refuse_resume(rm, sink);
        join_ticket_free(t);
        return NULL;
    }
    const char *why = NULL;
    enum limit_id limit;
    int st = rm_join_check(rm, t->room_name, t->claims.identity, &why, &limit);
    if (st != 0) {
        rm_stats_join_refused(&rm->stats, st);
        if (limit != LIMIT_NONE) {
            struct room *full = rm_room_find(rm, t->room_name);
            limits_hit(&rm->limits, limit,
                       full ? full->max_participants : rm->cfg->limit.max_rooms, now_ms);
        } else {
            LOGW("room", "join refused", "room=%s reason=\"%s\"", t->room_name, why);
        }
        join_ticket_free(t);
        return NULL;
    }
    struct room *r = rm_room_find(rm, t->room_name);
    if (!r) {
        Livekit__CreateRoomRequest cr = LIVEKIT__CREATE_ROOM_REQUEST__INIT;
        cr.name = t->room_name;
        r = rm_room_create(rm, &cr, now_ms);
    }
    struct participant *old = rm_participant_find(r, t->claims.identity);
    if (old)
        rm_participant_remove(rm, old, LIVEKIT__DISCONNECT_REASON__DUPLICATE_IDENTITY, now_ms);

    struct participant *p = participant_new(t, now_ms);
    /* The offer inside the join request is answered after the JoinResponse. */
    Livekit__SessionDescription *offer = t->req->publisher_offer;
    t->req->publisher_offer = NULL;
    p->sink = sink;
    room_attach(r, p);
    rm->stats.joins++;
    LOGI("room", "participant joined", "room=%s identity=%s sid=%s", r->name, p->identity, p->sid);
    send_join_response(rm, p);
    rm_broadcast_participant(rm, p, false);
    join_ticket_free(t);
    if (offer) {
        int r = 0;
        if (offer->sdp && offer->sdp[0])
            r = rm_handle_offer(rm, p, offer->sdp, offer->id, now_ms);
        livekit__session_description__free_unpacked(offer, NULL);
        if (r < 0)
            return NULL; /* refused: the participant is gone */
    }
    return p;
}
