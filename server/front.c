/* front.c: routing of the signaling port and the checks made before a
 * WebSocket upgrade (the same ones /rtc/validate runs). */
#include "server/front.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "server/room_manager.h"
#include "server/room_service.h"
#include "signaling/joinreq.h"
#include "signaling/query.h"
#include "signaling/ws.h"

#define CORS "Access-Control-Allow-Origin: *\r\n"

static void respond(struct front_result *out, int status, const char *ctype, const char *extra,
                    const void *body, size_t len, bool keep_alive)
{
    out->action = FRONT_RESPOND;
    out->status = status;
    out->bytes = http_response_build(status, ctype, extra, body, len, keep_alive, &out->len);
    out->close_after = !keep_alive;
}

static void respond_text(struct front_result *out, int status, const char *extra, const char *text,
                         bool keep_alive)
{
    respond(out, status, "text/plain; charset=utf-8", extra, text, strlen(text), keep_alive);
}

/* The access token from ?access_token= or Authorization: Bearer. */
static char *find_token(const struct http_request *q, const char **why)
{
    char *t = query_get(q->query, "access_token");
    if (t && t[0])
        return t;
    free(t);
    const char *h = http_header_get(q, "authorization");
    if (!h) {
        *why = "no permissions to access the room";
        return NULL;
    }
    const char *b = auth_bearer(h, why);
    return b ? util_strdup(b) : NULL;
}

static const char *front_secret(void *ctx, const char *key)
{
    return config_secret_for(ctx, key);
}

/* The size caps of a join: the token's room name, identity, name, metadata
 * and attributes, and the metadata and attributes a JoinRequest sets (over
 * the token's).  Returns 0, or 400 with *limit and the reason in why. */
static int check_lengths(const struct config *cfg, const struct auth_claims *c,
                         const Livekit__JoinRequest *req, enum limit_id *limit, char *why,
                         size_t n)
{
    const char *req_md = req && req->metadata && req->metadata[0] ? req->metadata : NULL;
    struct {
        enum limit_id id;
        const char *what;
        const char *val;
    } checks[] = {
        {LIMIT_ROOM_NAME, "room name", c->video.room},
        {LIMIT_IDENTITY, "identity", c->identity},
        {LIMIT_NAME, "name", c->name},
        {LIMIT_METADATA, "metadata", c->metadata},
        {LIMIT_METADATA, "metadata", req_md},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        uint64_t max = limits_configured(cfg, checks[i].id);
        if (checks[i].val && strlen(checks[i].val) > max) {
            snprintf(why, n, "%s length exceeds limits: max length %llu", checks[i].what,
                     (unsigned long long)max);
            *limit = checks[i].id;
            return 400;
        }
    }
    struct kv attrs;
    kv_init(&attrs);
    kv_copy(&attrs, &c->attributes);
    for (size_t i = 0; req && i < req->n_participant_attributes; i++)
        kv_set(&attrs, req->participant_attributes[i]->key, req->participant_attributes[i]->value);
    size_t bytes = kv_bytes(&attrs);
    kv_free(&attrs);
    if (bytes > cfg->limit.max_attributes_size) {
        snprintf(why, n, "attributes size exceeds limits: max size %u",
                 cfg->limit.max_attributes_size);
        *limit = LIMIT_ATTRIBUTES;
        return 400;
    }
    return 0;
}

static int check_claims(const struct auth_claims *c, char *why, size_t n)
{
    if (!c->has_video) {
        snprintf(why, n, "no permissions to access the room");
        return 401;
    }
    if (!c->video.room_join) {
        snprintf(why, n, "permissions denied");
        return 401;
    }
    if (!c->video.room || !c->video.room[0]) {
        snprintf(why, n, "no room name");
        return 400;
    }
    if (!c->identity || !c->identity[0]) {
        snprintf(why, n, "identity cannot be empty");
        return 400;
    }
    return 0;
}

/* A join_request over `max` bytes (limit.signal_message_size_limit) sets
 * *limit. */
static int decode_join_request(const struct http_request *q, bool v1, size_t max,
                               Livekit__JoinRequest **req, enum limit_id *limit, char *why,
                               size_t n)
{
    const char *msg = NULL;
    int r;
    if (v1) {
        char *jr = query_get(q->query, "join_request");
        if (!jr || !jr[0]) {
            free(jr);
            snprintf(why, n, "join_request is required");
            return 400;
        }
        r = joinreq_decode_v1(jr, strlen(jr), max, req, &msg);
        free(jr);
    } else {
        r = joinreq_from_query_v0(q->query, req, &msg);
    }
    if (r < 0) {
        snprintf(why, n, "%s", msg ? msg : "invalid join request");
        if (r == DC_ETOOBIG)
            *limit = LIMIT_SIGNAL_MESSAGE;
        return 400;
    }
    return 0;
}

/* The room comes from the token alone.  A request that also names a room
 * (`room=`, as LiveKit's v0 query allows) must name the token's: a token for
 * one room never opens another, and a request that asks for one is refused
 * rather than quietly sent to the token's room. */
static int check_requested_room(const struct http_request *q, const struct auth_claims *c,
                                char *why, size_t n)
{
    int st = 0;
    char *room;
    for (unsigned i = 0; !st && (room = query_get_nth(q->query, "room", i)); i++) {
        if (room[0] && strcmp(room, c->video.room)) {
            snprintf(why, n, "permissions denied: the token is for another room");
            st = 401;
        }
        free(room);
    }
    return st;
}

/* The token, its grants, the join request and the size caps. */
static int join_request_checks(const struct config *cfg, struct join_ticket *t,
                               const struct http_request *q, bool v1, enum limit_id *limit,
                               char *why, size_t n)
{
    int st = check_claims(&t->claims, why, n);
    if (!st)
        st = check_requested_room(q, &t->claims, why, n);
    if (!st)
        st = decode_join_request(q, v1, cfg->limit.signal_message_size_limit, &t->req, limit, why,
                                 n);
    if (!st && t->claims.video.can_update_own_metadata != 1 && t->req &&
        ((t->req->metadata && t->req->metadata[0]) || t->req->n_participant_attributes)) {
        snprintf(why, n, "permissions denied: cannot set metadata or attributes");
        st = 401;
    }
    if (!st)
        st = check_lengths(cfg, &t->claims, t->req, limit, why, n);
    return st;
}

/* A cap that refused a join (limit LIMIT_NONE: none did) and its value. */
struct refusal {
    enum limit_id limit;
    uint64_t max;
};

/* The value of the cap that refused a join into room_name, for the log line. */
static uint64_t refused_max(struct rm *rm, enum limit_id limit, const char *room_name)
{
    struct room *r = limit == LIMIT_ROOM_PARTICIPANTS && room_name ? rm_room_find(rm, room_name)
                                                                   : NULL;
    return r ? r->max_participants : limits_configured(rm->cfg, limit);
}

/* Runs every check of a join.  Returns 0 with *out set, or an HTTP status
 * with the plain-text reason in why and *cap naming the cap that refused it. */
static int join_validate(struct rm *rm, const struct http_request *q, bool v1, int64_t now_ms,
                         struct join_ticket **out, struct refusal *cap, char *why, size_t n)
{
    enum limit_id *limit = &cap->limit;
    const struct config *cfg = rm->cfg;
    const char *msg = NULL;
    *limit = LIMIT_NONE;
    cap->max = 0;
    char *token = find_token(q, &msg);
    if (!token) {
        snprintf(why, n, "%s", msg);
        return 401;
    }
    struct join_ticket *t = util_calloc(1, sizeof *t);
    kv_init(&t->claims.attributes);
    t->v1 = v1;
    int st = 0;
    if (auth_verify(token, now_ms / 1000, front_secret, (void *)cfg, &t->claims, why, n) < 0)
        st = 401;
    free(token);
    if (!st)
        st = join_request_checks(cfg, t, q, v1, limit, why, n);
    if (!st) {
        t->room_name = util_strdup(t->claims.video.room);
        const char *reason = NULL;
        st = rm_join_check(rm, t->room_name, t->claims.identity, &reason, limit);
        if (st)
            snprintf(why, n, "%s", reason);
    }
    if (st) {
        cap->max = refused_max(rm, *limit, t->room_name);
        join_ticket_free(t);
        return st;
    }
    *out = t;
    return 0;
}

static void handle_rtc(struct rm *rm, const struct http_request *q, bool v1, bool validate,
                       int64_t now_ms, struct front_result *out)
{
    char why[256] = "";
    struct join_ticket *t = NULL;
    if (rm->draining) {
        respond_text(out, 503, validate ? CORS : NULL, "server is draining", validate);
        return;
    }
    struct refusal cap;
    int st = join_validate(rm, q, v1, now_ms, &t, &cap, why, sizeof why);
    if (st) {
        /* Cap refusals are logged by limits_hit, sparingly: a flood of them
         * must not flood the log. */
        if (cap.limit == LIMIT_NONE)
            LOGI("front", "join refused", "path=%s status=%d reason=\"%s\"", q->path, st, why);
        else
            LOGD("front", "join refused", "path=%s status=%d reason=\"%s\"", q->path, st, why);
        if (!validate) {
            rm_stats_join_refused(&rm->stats, st);
            limits_hit(&rm->limits, cap.limit, cap.max, now_ms);
        }
        respond_text(out, st, validate ? CORS : NULL, why, validate);
        return;
    }
    if (validate) {
        join_ticket_free(t);
        respond_text(out, 200, CORS, "success", true);
        return;
    }
    int hs_status = 400;
    out->bytes = ws_handshake_response(q, &out->len, &hs_status);
    if (!out->bytes) {
        join_ticket_free(t);
        respond_text(out, hs_status, NULL, "websocket upgrade required", false);
        return;
    }
    out->action = FRONT_UPGRADE;
    out->status = 101;
    out->ticket = t;
}

void front_handle(struct rm *rm, const struct http_request *q, int64_t now_ms,
                  struct front_result *out)
{
    memset(out, 0, sizeof *out);
    const char *p = q->path;
    bool get = !strcmp(q->method, "GET");
    if (get && !strcmp(p, "/")) {
        if (rm->draining)
            respond_text(out, 406, NULL, "Not Ready\nServer Is Draining", q->keep_alive);
        else
            respond_text(out, 200, NULL, "OK", q->keep_alive);
    } else if (get && (!strcmp(p, "/rtc/validate") || !strcmp(p, "/rtc/v1/validate"))) {
        handle_rtc(rm, q, !strcmp(p, "/rtc/v1/validate"), true, now_ms, out);
    } else if (get && (!strcmp(p, "/rtc") || !strcmp(p, "/rtc/v1"))) {
        handle_rtc(rm, q, !strcmp(p, "/rtc/v1"), false, now_ms, out);
    } else if (!strncmp(p, ROOM_SERVICE_PREFIX, strlen(ROOM_SERVICE_PREFIX))) {
        struct room_service_reply r;
        room_service_handle(rm, q, p + strlen(ROOM_SERVICE_PREFIX), now_ms, &r);
        respond(out, r.status, r.content_type, NULL, r.body, r.len, q->keep_alive);
        room_service_reply_clear(&r);
    } else {
        respond_text(out, 404, NULL, "404 page not found", q->keep_alive);
    }
}

void front_result_clear(struct front_result *r)
{
    free(r->bytes);
    join_ticket_free(r->ticket);
    memset(r, 0, sizeof *r);
}
