/* auth.h: LiveKit access tokens (JWT, HS256): verification, grants, signing.
 *
 * auth_verify checks a compact JWT the way LiveKit's server does and turns its
 * claims into struct auth_claims.  Order of checks and the text put in `why`
 * (LiveKit's plain-text 401 bodies):
 *   1. structure: exactly three '.'-separated base64url segments (no '=',
 *      '+', '/'), at most AUTH_TOKEN_MAX chars; header and payload decode to
 *      UTF-8 JSON objects without duplicate keys or NULs; iss/sub/jti are
 *      strings and exp/nbf/iat numbers when present
 *                                              -> "invalid authorization token"
 *   2. iss missing/empty, or secret_for returns NULL or ""
 *                                              -> "invalid API key"
 *   3. header alg exactly "HS256" (so "none", HS384/512, RS*, ES* and a
 *      missing alg are refused) and no "crit" header; HMAC-SHA256 of
 *      "header.payload" with the secret equals the 32-byte signature, given
 *      in its one canonical base64url spelling
 *      (constant-time compare; an empty signature never matches);
 *      exp present; exp and nbf (and iat, as go-jose does) within a 60 s
 *      leeway of now_s; every known custom claim has the right JSON type
 *      (null counts as absent)    -> "invalid authorization token: <reason>"
 * Nothing else is checked here: roomJoin, room name, identity length and the
 * like are the caller's business.
 *
 * Why not libjwt's jwt_decode (checked against libjwt 1.10.2): with a NULL or
 * zero-length key it skips the signature and returns success (alg reported
 * as "none"); it accepts whatever HS* alg the header names (HS512 passes);
 * and every failure is the same EINVAL, while LiveKit must tell "unparsable"
 * from "unknown key" from "bad signature" and read iss before verifying.  So
 * verification is done here with strict base64url, jansson and mbedTLS HMAC;
 * libjwt is used only by auth_sign to produce tokens (header
 * {"alg":"HS256","typ":"JWT"}).
 *
 * Ownership: every string in auth_claims is malloc'd and owned by it;
 * auth_claims_free releases them and leaves a zeroed struct (safe to call
 * twice or on a zeroed struct).  On failure *out is left zeroed.
 * Returns 0 or DC_EAUTH (DC_EINVAL for NULL token/out).  No I/O, no clock. */
#ifndef DC_AUTH_H
#define DC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kv.h"

#define AUTH_LEEWAY_S 60
/* Longer tokens are refused as unparsable. */
#define AUTH_TOKEN_MAX (64 * 1024)

struct video_grant {
    bool room_create, room_list, room_record, room_admin, room_join, ingress_admin, hidden,
        recorder, agent;
    char *room;             /* NULL if absent */
    char *destination_room; /* NULL if absent */
    /* -1 absent, 0 false, 1 true; use the grant_* helpers for LiveKit's defaults. */
    int can_publish, can_subscribe, can_publish_data, can_update_own_metadata,
        can_subscribe_metrics, can_manage_agent_session;
    char **can_publish_sources; /* empty = all sources */
    size_t n_can_publish_sources;
};

struct auth_claims {
    char *api_key;                /* iss, never NULL on success */
    char *identity;               /* sub, or jti if sub is absent/empty; "" if neither */
    char *name, *metadata, *kind; /* NULL if absent; kind as written ("agent", ...) */
    struct kv attributes;         /* empty if absent */
    bool has_video;               /* a "video" object was present */
    struct video_grant video;     /* zero/-1 defaults when !has_video */
    char *room_config_json;       /* compact JSON of roomConfig, or NULL */
    char *sha256;                 /* webhook body hash, or NULL */
    int64_t exp, nbf;             /* nbf 0 if absent */
};

/* Returns the secret for an API key, or NULL if the key is unknown. */
typedef const char *(*auth_secret_fn)(void *ctx, const char *api_key);

/* Verifies `token` at unix time now_s (see the contract above).  `why` (may be
 * NULL) receives a NUL-terminated message on failure, truncated to why_len. */
int auth_verify(const char *token, int64_t now_s, auth_secret_fn secret_for, void *ctx,
                struct auth_claims *out, char *why, size_t why_len);
void auth_claims_free(struct auth_claims *c);

/* Grant defaults as LiveKit applies them. */
bool grant_can_publish(const struct video_grant *g);         /* default true */
bool grant_can_subscribe(const struct video_grant *g);       /* default true */
bool grant_can_publish_data(const struct video_grant *g);    /* default = can_publish */
bool grant_can_update_metadata(const struct video_grant *g); /* default false */

/* Token from an Authorization header value.  NULL or "" (no header): returns
 * NULL with *why = NULL (caller falls back to ?access_token=).  Must start with
 * "Bearer " (case-sensitive, as LiveKit): returns a pointer into header_value
 * just after it (possibly "").  Otherwise returns NULL and sets *why to
 * "invalid authorization header. Must start with Bearer ". */
const char *auth_bearer(const char *header_value, const char **why);

/* Makes an HS256 token whose payload is the JSON object `claims_json` (the
 * caller supplies iss/exp/...).  Returns a malloc'd string, or NULL if the JSON
 * is not an object, the secret is NULL or empty, or libjwt fails. */
char *auth_sign(const char *claims_json, const char *secret);

#endif
