#include "server/room_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "server/room_manager.h"
#include "server/rs_internal.h"
#include "signaling/pbjson.h"

#include <jansson.h>

enum grant_need { NEED_CREATE, NEED_LIST, NEED_ADMIN, NEED_NONE };

typedef void (*rs_handler)(struct rs_call *c, const ProtobufCMessage *in);

static void set_body(struct room_service_reply *out, int status, const char *ctype, void *body,
                     size_t len)
{
    free(out->body);
    out->status = status;
    out->content_type = ctype;
    out->body = body;
    out->len = len;
}

static int twirp_status(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {
        {"invalid_argument", 400}, {"malformed", 400},      {"out_of_range", 400},
        {"unauthenticated", 401},  {"permission_denied", 403}, {"not_found", 404},
        {"bad_route", 404},        {"already_exists", 409},  {"aborted", 409},
        {"failed_precondition", 412}, {"resource_exhausted", 429}, {"canceled", 408},
        {"deadline_exceeded", 408}, {"unimplemented", 501},  {"unavailable", 503},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].code, code))
            return map[i].status;
    return 500;
}

static void twirp_error(struct room_service_reply *out, const char *code, const char *msg)
{
    /* msg may quote the request (a JSON parse error), which need not be
     * UTF-8: jansson refuses such a string, so non-ASCII bytes become '?'. */
    char *clean = NULL;
    if (!util_utf8_valid((const uint8_t *)msg, strlen(msg))) {
        clean = util_strdup(msg);
        for (char *p = clean; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        msg = clean;
    }
    json_t *o = json_pack("{s:s,s:s}", "code", code, "msg", msg);
    free(clean);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) /* out of memory only */
        s = util_strdup("{\"code\":\"internal\",\"msg\":\"\"}");
    set_body(out, twirp_status(code), "application/json", s, strlen(s));
}

void rs_error(struct rs_call *c, const char *code, const char *msg)
{
    twirp_error(c->out, code, msg);
}

void rs_refuse(struct rs_call *c, enum limit_id limit, const char *code, const char *msg)
{
    limits_hit(&c->rm->limits, limit, limits_configured(c->rm->cfg, limit), c->now_ms);
    twirp_error(c->out, code, msg);
}

void rs_reply(struct rs_call *c, const ProtobufCMessage *m)
{
    if (c->json) {
        char *s = pbjson_encode(m, PBJSON_PROTO_NAMES | PBJSON_EMIT_DEFAULTS);
        if (!s) {
            rs_error(c, "internal", "cannot encode response");
            return;
        }
        set_body(c->out, 200, "application/json", s, strlen(s));
    } else {
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *b = util_malloc(n);
        protobuf_c_message_pack(m, b);
        set_body(c->out, 200, "application/protobuf", b, n);
    }
}

/* Finds the named room or answers not_found. */
struct room *rs_room(struct rs_call *c, const char *name)
{
    struct room *r = name ? rm_room_find(c->rm, name) : NULL;
    if (!r)
        rs_error(c, "not_found", "requested room does not exist");
    return r;
}

struct participant *rs_participant(struct rs_call *c, const char *room, const char *id)
{
    struct room *r = rs_room(c, room);
    if (!r)
        return NULL;
    struct participant *p = id ? rm_participant_find(r, id) : NULL;
    if (!p)
        rs_error(c, "not_found", "participant does not exist");
    return p;
}

void rs_reply_room(struct rs_call *c, const struct room *r)
{
    Livekit__Room info;
    rm_proto_room(r, &info);
    rs_reply(c, &info.base);
}

void rs_reply_participant(struct rs_call *c, const struct participant *p)
{
    Livekit__ParticipantInfo info;
    rm_proto_participant(p, &info);
    rs_reply(c, &info.base);
    rm_proto_participant_release(&info);
}

struct rs_method {
    const char *name;
    enum grant_need need;
    rs_handler fn;  /* NULL: media-only, unimplemented */
};

static const struct rs_method methods[] = {
    {"CreateRoom", NEED_CREATE, rs_create_room},
    {"ListRooms", NEED_LIST, rs_list_rooms},
    {"DeleteRoom", NEED_CREATE, rs_delete_room},
    {"ListParticipants", NEED_ADMIN, rs_list_participants},
    {"GetParticipant", NEED_ADMIN, rs_get_participant},
    {"RemoveParticipant", NEED_ADMIN, rs_remove_participant},
    {"UpdateParticipant", NEED_ADMIN, rs_update_participant},
    {"SendData", NEED_ADMIN, rs_send_data},
    {"UpdateRoomMetadata", NEED_ADMIN, rs_update_room_metadata},
    {"MutePublishedTrack", NEED_ADMIN, NULL},
    {"UpdateSubscriptions", NEED_ADMIN, NULL},
    {"ForwardParticipant", NEED_ADMIN, NULL},
    {"MoveParticipant", NEED_ADMIN, NULL},
    {"PerformRpc", NEED_ADMIN, NULL},
};

static const ProtobufCMessageDescriptor *input_type(const char *name)
{
    const ProtobufCServiceDescriptor *sd = &livekit__room_service__descriptor;
    for (unsigned i = 0; i < sd->n_methods; i++)
        if (!strcmp(sd->methods[i].name, name))
            return sd->methods[i].input;
    return NULL;
}

/* The room a request names: every admin request has it as field 1 "room". */
static const char *request_room(const ProtobufCMessage *in)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(in->descriptor, "room");
    if (!f || f->type != PROTOBUF_C_TYPE_STRING)
        return NULL;
    return *(const char *const *)((const char *)in + f->offset);
}

static bool grant_ok(const struct auth_claims *cl, enum grant_need need, const ProtobufCMessage *in)
{
    if (!cl->has_video)
        return false;
    const struct video_grant *g = &cl->video;
    switch (need) {
    case NEED_CREATE:
        return g->room_create;
    case NEED_LIST:
        return g->room_list;
    case NEED_ADMIN: {
        const char *room = request_room(in);
        return g->room_admin && g->room && room && !strcmp(g->room, room);
    }
    case NEED_NONE:
        return true;
    }
    return false;
}

static const char *rs_secret(void *ctx, const char *key)
{
    return config_secret_for(ctx, key);
}

/* Verifies the bearer token; on failure the reply is already set. */
static bool rs_auth(struct rm *rm, const struct http_request *q, int64_t now_ms,
                    struct auth_claims *cl, struct room_service_reply *out)
{
    const char *h = http_header_get(q, "authorization");
    if (!h) {
        twirp_error(out, "unauthenticated", "permissions denied");
        return false;
    }
    const char *why = NULL;
    const char *token = auth_bearer(h, &why);
    char buf[256];
    if (token && auth_verify(token, now_ms / 1000, rs_secret, (void *)rm->cfg, cl, buf,
                             sizeof buf) == 0)
        return true;
    const char *msg = token ? buf : why;
    set_body(out, 401, "text/plain; charset=utf-8", util_strdup(msg), strlen(msg));
    return false;
}

static ProtobufCMessage *rs_decode(const ProtobufCMessageDescriptor *d, bool json,
                                   const struct http_request *q, struct room_service_reply *out)
{
    char err[256] = "";
    ProtobufCMessage *in;
    if (json) {
        in = pbjson_decode(d, (const char *)q->body, q->body_len, err, sizeof err);
    } else {
        in = protobuf_c_message_unpack(d, NULL, q->body_len, q->body);
        snprintf(err, sizeof err, "cannot unmarshal protobuf request");
    }
    if (!in) {
        char msg[320];
        snprintf(msg, sizeof msg, "the json request could not be decoded: %s", err);
        twirp_error(out, "malformed", json ? msg : err);
    }
    return in;
}

static void rs_dispatch(struct rs_call *c, const struct rs_method *m,
                        const struct http_request *q)
{
    const ProtobufCMessageDescriptor *d = input_type(m->name);
    ProtobufCMessage *in = d ? rs_decode(d, c->json, q, c->out) : NULL;
    if (!in)
        return;
    if (!grant_ok(c->claims, m->need, in))
        rs_error(c, "unauthenticated", "permissions denied");
    else if (!m->fn)
        rs_error(c, "unimplemented", "not supported by this data-only server");
    else
        m->fn(c, in);
    protobuf_c_message_free_unpacked(in, NULL);
}

static bool content_type_json(const char *ct, bool *json)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; ");
    if (n == strlen("application/json") && !strncasecmp(ct, "application/json", n))
        *json = true;
    else if (n == strlen("application/protobuf") && !strncasecmp(ct, "application/protobuf", n))
        *json = false;
    else
        return false;
    return true;
}

void room_service_handle(struct rm *rm, const struct http_request *q, const char *method,
                         int64_t now_ms, struct room_service_reply *out)
{
    memset(out, 0, sizeof *out);
    const struct rs_method *m = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (!strcmp(methods[i].name, method))
            m = &methods[i];
    bool json = true;
    if (strcmp(q->method, "POST") != 0) {
        twirp_error(out, "bad_route", "unsupported method (only POST is allowed)");
        return;
    }
    if (!m) {
        twirp_error(out, "bad_route", "no handler for path");
        return;
    }
    if (!content_type_json(http_header_get(q, "content-type"), &json)) {
        twirp_error(out, "bad_route", "unexpected Content-Type");
        return;
    }
    struct auth_claims claims;
    memset(&claims, 0, sizeof claims);
    kv_init(&claims.attributes);
    if (!rs_auth(rm, q, now_ms, &claims, out)) {
        auth_claims_free(&claims);
        return;
    }
    struct rs_call c = {.rm = rm, .claims = &claims, .json = json, .now_ms = now_ms, .out = out};
    rs_dispatch(&c, m, q);
    auth_claims_free(&claims);
    LOGD("twirp", "request", "method=%s status=%d", method, out->status);
}

void room_service_reply_clear(struct room_service_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}
