#include "signaling/auth.h"

#include <jansson.h>
#include <jwt.h>
#include <math.h>
#include <mbedtls/md.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "common/err.h"
#include "common/util.h"

#define WHY_TOKEN "invalid authorization token"
#define WHY_KEY "invalid API key"
#define WHY_BEARER "invalid authorization header. Must start with Bearer "
#define BEARER "Bearer "
#define HS256_LEN 32

/* A token split into its three segments; hdr and pl are the parsed JSON. */
struct jwt_parts {
    const char *h, *p, *s;
    size_t hlen, plen, slen;
    json_t *hdr, *pl;
};

/* Registered time claims found while parsing. */
struct jwt_times {
    bool has_exp, has_nbf, has_iat;
    int64_t exp, nbf, iat;
};

static void set_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* ---- parsing ------------------------------------------------------------- */

/* Strict base64url without padding, as JWS compact serialization requires. */
static bool seg_chars_ok(const char *s, size_t n)
{
    if (n % 4 == 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Decodes a segment into a JSON object, or NULL. */
static json_t *seg_json(const char *s, size_t n)
{
    if (!n || !seg_chars_ok(s, n))
        return NULL;
    uint8_t *buf = util_malloc(b64_decoded_max(n));
    long len = b64_decode(s, n, buf);
    json_t *j = NULL;
    if (len > 0)
        j = json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static bool split_token(const char *tok, struct jwt_parts *jp)
{
    size_t n = strnlen(tok, AUTH_TOKEN_MAX + 1);
    if (n > AUTH_TOKEN_MAX)
        return false;
    const char *d1 = memchr(tok, '.', n);
    if (!d1)
        return false;
    const char *d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - tok));
    if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - tok)))
        return false;
    jp->h = tok;
    jp->hlen = (size_t)(d1 - tok);
    jp->p = d1 + 1;
    jp->plen = (size_t)(d2 - jp->p);
    jp->s = d2 + 1;
    jp->slen = n - (size_t)(jp->s - tok);
    return true;
}

/* Absent or null: 0 and *out untouched.  String: 0 and a copy.  Else -1. */
static int get_str(json_t *o, const char *k, char **out)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    *out = util_strdup(json_string_value(v));
    return 0;
}

/* NumericDate: integer or real seconds (reals truncated).  Same convention. */
static int get_time(json_t *o, const char *k, bool *has, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d >= 9.2e18 || d <= -9.2e18)
            return -1;
        *out = (int64_t)d;
    } else {
        return -1;
    }
    *has = true;
    return 0;
}

/* Stage 1: everything LiveKit reads before it knows the secret. */
static bool parse_token(const char *tok, struct jwt_parts *jp, struct jwt_times *t,
                        struct auth_claims *out)
{
    if (!split_token(tok, jp) || !seg_chars_ok(jp->s, jp->slen))
        return false;
    jp->hdr = seg_json(jp->h, jp->hlen);
    jp->pl = seg_json(jp->p, jp->plen);
    if (!jp->hdr || !jp->pl)
        return false;
    char *sub = NULL, *jti = NULL;
    int bad = get_str(jp->pl, "iss", &out->api_key) | get_str(jp->pl, "sub", &sub) |
              get_str(jp->pl, "jti", &jti) | get_time(jp->pl, "exp", &t->has_exp, &t->exp) |
              get_time(jp->pl, "nbf", &t->has_nbf, &t->nbf) |
              get_time(jp->pl, "iat", &t->has_iat, &t->iat);
    if (sub && *sub) {
        out->identity = sub;
        free(jti);
    } else {
        out->identity = jti ? jti : util_strdup("");
        free(sub);
    }
    return !bad;
}

/* ---- verification -------------------------------------------------------- */

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Stage 3a: algorithm and signature.  Returns a reason or NULL if valid. */
static const char *check_sig(const struct jwt_parts *jp, const char *secret)
{
    json_t *alg = json_object_get(jp->hdr, "alg");
    if (!json_is_string(alg))
        return "missing signing algorithm (alg)";
    if (strcmp(json_string_value(alg), "HS256") != 0)
        return "unexpected signing algorithm, only HS256 is accepted";
    if (json_object_get(jp->hdr, "crit"))
        return "unsupported critical header (crit)";
    if (jp->slen != b64_encoded_len(HS256_LEN, false))
        return "signature is invalid";
    uint8_t sig[HS256_LEN + 3], mac[HS256_LEN];
    if (b64_decode(jp->s, jp->slen, sig) != HS256_LEN)
        return "signature is invalid";
    /* Only the canonical encoding (unused low bits of the last char zero), so
     * that a valid token has exactly one accepted spelling. */
    char canon[48];
    b64_encode(sig, HS256_LEN, canon, true, false);
    if (memcmp(canon, jp->s, jp->slen) != 0)
        return "signature is invalid";
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    size_t signed_len = jp->hlen + 1 + jp->plen;
    if (!md || mbedtls_md_hmac(md, (const unsigned char *)secret, strlen(secret),
                               (const unsigned char *)jp->h, signed_len, mac) != 0)
        return "signature could not be computed";
    bool ok = util_ct_equal(sig, mac, HS256_LEN);
    memset(mac, 0, sizeof mac);
    return ok ? NULL : "signature is invalid";
}

/* Stage 3b: registered time claims, 60 s leeway each way (go-jose rules). */
static const char *check_times(const struct jwt_times *t, int64_t now)
{
    if (!t->has_exp)
        return "exp claim is required";
    if (t->exp < sat_add(now, -AUTH_LEEWAY_S))
        return "token is expired (exp)";
    if (t->has_nbf && t->nbf > sat_add(now, AUTH_LEEWAY_S))
        return "token not valid yet (nbf)";
    if (t->has_iat && t->iat > sat_add(now, AUTH_LEEWAY_S))
        return "token issued in the future (iat)";
    return NULL;
}

/* ---- custom claims ------------------------------------------------------- */

#define VG(f) offsetof(struct video_grant, f)
static const struct {
    const char *key;
    size_t off;
} VIDEO_BOOLS[] = {
    {"roomCreate", VG(room_create)}, {"roomList", VG(room_list)},
    {"roomRecord", VG(room_record)}, {"roomAdmin", VG(room_admin)},
    {"roomJoin", VG(room_join)},     {"ingressAdmin", VG(ingress_admin)},
    {"hidden", VG(hidden)},          {"recorder", VG(recorder)},
    {"agent", VG(agent)},
},
  VIDEO_TRIS[] = {
    {"canPublish", VG(can_publish)},
    {"canSubscribe", VG(can_subscribe)},
    {"canPublishData", VG(can_publish_data)},
    {"canUpdateOwnMetadata", VG(can_update_own_metadata)},
    {"canSubscribeMetrics", VG(can_subscribe_metrics)},
    {"canManageAgentSession", VG(can_manage_agent_session)},
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void grant_init(struct video_grant *g)
{
    memset(g, 0, sizeof *g);
    g->can_publish = g->can_subscribe = g->can_publish_data = -1;
    g->can_update_own_metadata = g->can_subscribe_metrics = g->can_manage_agent_session = -1;
}

static int parse_sources(json_t *v, struct video_grant *g)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return -1;
    size_t n = json_array_size(v);
    g->can_publish_sources = util_calloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e))
            return -1;
        g->can_publish_sources[i] = util_strdup(json_string_value(e));
        g->n_can_publish_sources = i + 1;
    }
    return 0;
}

/* Returns the name of the first badly typed field, or NULL. */
static const char *parse_video(json_t *v, struct video_grant *g)
{
    for (size_t i = 0; i < NELEM(VIDEO_BOOLS); i++) {
        json_t *b = json_object_get(v, VIDEO_BOOLS[i].key);
        if (!b || json_is_null(b))
            continue;
        if (!json_is_boolean(b))
            return VIDEO_BOOLS[i].key;
        *(bool *)((char *)g + VIDEO_BOOLS[i].off) = json_is_true(b);
    }
    for (size_t i = 0; i < NELEM(VIDEO_TRIS); i++) {
        json_t *b = json_object_get(v, VIDEO_TRIS[i].key);
        if (!b || json_is_null(b))
            continue;
        if (!json_is_boolean(b))
            return VIDEO_TRIS[i].key;
        *(int *)((char *)g + VIDEO_TRIS[i].off) = json_is_true(b) ? 1 : 0;
    }
    if (get_str(v, "room", &g->room))
        return "room";
    if (get_str(v, "destinationRoom", &g->destination_room))
        return "destinationRoom";
    if (parse_sources(json_object_get(v, "canPublishSources"), g))
        return "canPublishSources";
    return NULL;
}

static int parse_attributes(json_t *v, struct kv *m)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return -1;
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        if (!json_is_string(e))
            return -1;
        kv_set(m, k, json_string_value(e));
    }
    return 0;
}

static int parse_room_config(json_t *v, char **out)
{
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return -1;
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        return -1;
    *out = util_strdup(s);
    free(s);
    return 0;
}

/* Stage 3c: LiveKit's ClaimGrants.  Returns 0, or -1 with `reason` filled. */
static int parse_custom(json_t *pl, struct auth_claims *c, char *reason, size_t rlen)
{
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"name", offsetof(struct auth_claims, name)},
        {"metadata", offsetof(struct auth_claims, metadata)},
        {"kind", offsetof(struct auth_claims, kind)},
        {"sha256", offsetof(struct auth_claims, sha256)},
    };
    for (size_t i = 0; i < NELEM(strs); i++) {
        if (get_str(pl, strs[i].key, (char **)((char *)c + strs[i].off))) {
            snprintf(reason, rlen, "claim %s must be a string", strs[i].key);
            return -1;
        }
    }
    if (parse_attributes(json_object_get(pl, "attributes"), &c->attributes)) {
        snprintf(reason, rlen, "claim attributes must be an object of strings");
        return -1;
    }
    if (parse_room_config(json_object_get(pl, "roomConfig"), &c->room_config_json)) {
        snprintf(reason, rlen, "claim roomConfig must be an object");
        return -1;
    }
    json_t *v = json_object_get(pl, "video");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v)) {
        snprintf(reason, rlen, "claim video must be an object");
        return -1;
    }
    c->has_video = true;
    const char *bad = parse_video(v, &c->video);
    if (bad) {
        snprintf(reason, rlen, "claim video.%s has the wrong type", bad);
        return -1;
    }
    return 0;
}

/* ---- public API ---------------------------------------------------------- */

static void claims_init(struct auth_claims *c)
{
    memset(c, 0, sizeof *c);
    kv_init(&c->attributes);
    grant_init(&c->video);
}

void auth_claims_free(struct auth_claims *c)
{
    if (!c)
        return;
    free(c->api_key);
    free(c->identity);
    free(c->name);
    free(c->metadata);
    free(c->kind);
    kv_free(&c->attributes);
    free(c->video.room);
    free(c->video.destination_room);
    for (size_t i = 0; i < c->video.n_can_publish_sources; i++)
        free(c->video.can_publish_sources[i]);
    free(c->video.can_publish_sources);
    free(c->room_config_json);
    free(c->sha256);
    claims_init(c);
}

/* Stages 2 and 3, once the token has parsed. */
static int verify_parsed(const struct jwt_parts *jp, const struct jwt_times *t, int64_t now,
                         auth_secret_fn secret_for, void *ctx, struct auth_claims *out,
                         char *why, size_t why_len)
{
    const char *secret = NULL;
    if (out->api_key && *out->api_key && secret_for)
        secret = secret_for(ctx, out->api_key);
    if (!secret || !*secret) {
        set_why(why, why_len, "%s", WHY_KEY);
        return DC_EAUTH;
    }
    const char *reason = check_sig(jp, secret);
    if (!reason)
        reason = check_times(t, now);
    if (reason) {
        set_why(why, why_len, "%s: %s", WHY_TOKEN, reason);
        return DC_EAUTH;
    }
    char buf[96];
    if (parse_custom(jp->pl, out, buf, sizeof buf)) {
        set_why(why, why_len, "%s: %s", WHY_TOKEN, buf);
        return DC_EAUTH;
    }
    out->exp = t->exp;
    out->nbf = t->has_nbf ? t->nbf : 0;
    return 0;
}

int auth_verify(const char *token, int64_t now_s, auth_secret_fn secret_for, void *ctx,
                struct auth_claims *out, char *why, size_t why_len)
{
    set_why(why, why_len, "%s", "");
    if (!out) {
        set_why(why, why_len, "%s", WHY_TOKEN);
        return DC_EINVAL;
    }
    claims_init(out);
    if (!token) {
        set_why(why, why_len, "%s", WHY_TOKEN);
        return DC_EINVAL;
    }
    struct jwt_parts jp = {0};
    struct jwt_times t = {0};
    int rc;
    if (!parse_token(token, &jp, &t, out)) {
        set_why(why, why_len, "%s", WHY_TOKEN);
        rc = DC_EAUTH;
    } else {
        rc = verify_parsed(&jp, &t, now_s, secret_for, ctx, out, why, why_len);
    }
    json_decref(jp.hdr);
    json_decref(jp.pl);
    if (rc)
        auth_claims_free(out);
    return rc;
}

bool grant_can_publish(const struct video_grant *g)
{
    return g->can_publish != 0;
}

bool grant_can_subscribe(const struct video_grant *g)
{
    return g->can_subscribe != 0;
}

bool grant_can_publish_data(const struct video_grant *g)
{
    if (g->can_publish_data >= 0)
        return g->can_publish_data == 1;
    return grant_can_publish(g);
}

bool grant_can_update_metadata(const struct video_grant *g)
{
    return g->can_update_own_metadata == 1;
}

const char *auth_bearer(const char *header_value, const char **why)
{
    if (why)
        *why = NULL;
    if (!header_value || !*header_value)
        return NULL;
    if (strncmp(header_value, BEARER, strlen(BEARER)) != 0) {
        if (why)
            *why = WHY_BEARER;
        return NULL;
    }
    return header_value + strlen(BEARER);
}

char *auth_sign(const char *claims_json, const char *secret)
{
    if (!claims_json || !secret || !*secret)
        return NULL;
    json_t *probe = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
    bool is_obj = json_is_object(probe);
    json_decref(probe);
    if (!is_obj)
        return NULL;
    jwt_t *j = NULL;
    if (jwt_new(&j) != 0)
        return NULL;
    char *tok = NULL;
    if (jwt_add_grants_json(j, claims_json) == 0 &&
        jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)) == 0)
        tok = jwt_encode_str(j);
    jwt_free(j);
    return tok;
}
