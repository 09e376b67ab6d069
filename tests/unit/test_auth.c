/* Unit tests for signaling/auth: tokens are built by hand here (own base64url
 * encoder + mbedTLS HMAC) so the verifier is not only checked against auth_sign. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/md.h>

#include "common/err.h"
#include "signaling/auth.h"

#define NOW 1700000000LL
#define KEY "APIkey"
#define SECRET "secret-one-0123456789abcdef"
#define T_BAD "invalid authorization token"
#define T_KEY "invalid API key"

static const char *secret_for(void *ctx, const char *api_key)
{
    (void)ctx;
    if (!strcmp(api_key, KEY))
        return SECRET;
    if (!strcmp(api_key, "other"))
        return "secret-two";
    if (!strcmp(api_key, "emptykey"))
        return "";
    return NULL;
}

/* Independent base64url (no padding) encoder. */
static char *b64url(const void *data, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const uint8_t *p = data;
    char *out = malloc(n * 4 / 3 + 4), *o = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        *o++ = A[p[i] >> 2];
        *o++ = A[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *o++ = A[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
        *o++ = A[p[i + 2] & 63];
    }
    if (n - i == 1) {
        *o++ = A[p[i] >> 2];
        *o++ = A[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        *o++ = A[p[i] >> 2];
        *o++ = A[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *o++ = A[(p[i + 1] & 15) << 2];
    }
    *o = 0;
    return out;
}

/* header.payload.signature with HMAC `md` over the first two parts; a NULL
 * secret leaves the signature empty. */
static char *make_token_md(const char *hdr, const char *payload, const char *secret,
                           mbedtls_md_type_t md)
{
    char *h = b64url(hdr, strlen(hdr)), *p = b64url(payload, strlen(payload));
    size_t cap = strlen(h) + strlen(p) + 100;
    char *tok = malloc(cap);
    snprintf(tok, cap, "%s.%s.", h, p);
    free(h);
    free(p);
    if (secret) {
        uint8_t mac[64];
        const mbedtls_md_info_t *mi = mbedtls_md_info_from_type(md);
        assert_int_equal(mbedtls_md_hmac(mi, (const unsigned char *)secret, strlen(secret),
                                         (const unsigned char *)tok, strlen(tok) - 1, mac),
                         0);
        char *s = b64url(mac, mbedtls_md_get_size(mi));
        strcat(tok, s);
        free(s);
    }
    return tok;
}

static char *make_token(const char *payload, const char *secret)
{
    return make_token_md("{\"alg\":\"HS256\"}", payload, secret, MBEDTLS_MD_SHA256);
}

/* Payload with iss/sub/exp/nbf plus `extra` (a JSON member list or ""). */
static char *payload(const char *extra)
{
    char *s = malloc(strlen(extra) + 200);
    sprintf(s, "{\"iss\":\"%s\",\"sub\":\"alice\",\"exp\":%lld,\"nbf\":%lld%s%s}", KEY,
            NOW + 3600, NOW - 10, *extra ? "," : "", extra);
    return s;
}

/* Verifies and expects success. */
static void verify_ok(const char *tok, struct auth_claims *c)
{
    char why[200];
    int rc = auth_verify(tok, NOW, secret_for, NULL, c, why, sizeof why);
    if (rc)
        fail_msg("unexpected failure: %s", why);
}

/* Verifies and expects DC_EAUTH with exactly `want`. */
static void verify_fails(const char *tok, const char *want)
{
    struct auth_claims c;
    char why[200];
    int rc = auth_verify(tok, NOW, secret_for, NULL, &c, why, sizeof why);
    assert_int_equal(rc, DC_EAUTH);
    assert_string_equal(why, want);
    assert_null(c.api_key);
    assert_null(c.identity);
    auth_claims_free(&c);
}

/* Same, with a payload built from `extra`, signed correctly. */
static void extra_fails(const char *extra, const char *want)
{
    char *p = payload(extra), *tok = make_token(p, SECRET);
    verify_fails(tok, want);
    free(p);
    free(tok);
}

static void extra_ok(const char *extra, struct auth_claims *c)
{
    char *p = payload(extra), *tok = make_token(p, SECRET);
    verify_ok(tok, c);
    free(p);
    free(tok);
}

static void test_all_grants(void **state)
{
    (void)state;
    struct auth_claims c;
    extra_ok("\"name\":\"Alice\",\"metadata\":\"m\",\"kind\":\"agent\",\"sha256\":\"abc\","
             "\"attributes\":{\"a\":\"1\"},\"roomConfig\":{\"name\":\"r1\",\"emptyTimeout\":30},"
             "\"video\":{\"roomCreate\":true,\"roomList\":true,\"roomRecord\":true,"
             "\"roomAdmin\":true,\"roomJoin\":true,\"room\":\"r1\",\"canPublish\":false,"
             "\"canSubscribe\":false,\"canPublishData\":true,"
             "\"canPublishSources\":[\"camera\",\"microphone\"],\"canUpdateOwnMetadata\":true,"
             "\"ingressAdmin\":true,\"hidden\":true,\"recorder\":true,\"agent\":true,"
             "\"canSubscribeMetrics\":true,\"canManageAgentSession\":false,"
             "\"destinationRoom\":\"r2\"}",
             &c);
    assert_string_equal(c.api_key, KEY);
    assert_string_equal(c.identity, "alice");
    assert_string_equal(c.name, "Alice");
    assert_string_equal(c.metadata, "m");
    assert_string_equal(c.kind, "agent");
    assert_string_equal(c.sha256, "abc");
    assert_string_equal(kv_get(&c.attributes, "a"), "1");
    assert_string_equal(c.room_config_json, "{\"name\":\"r1\",\"emptyTimeout\":30}");
    assert_int_equal(c.exp, NOW + 3600);
    assert_int_equal(c.nbf, NOW - 10);
    assert_true(c.has_video);
    const struct video_grant *g = &c.video;
    assert_true(g->room_create && g->room_list && g->room_record && g->room_admin);
    assert_true(g->room_join && g->ingress_admin && g->hidden && g->recorder && g->agent);
    assert_string_equal(g->room, "r1");
    assert_string_equal(g->destination_room, "r2");
    assert_int_equal(g->can_publish, 0);
    assert_int_equal(g->can_subscribe, 0);
    assert_int_equal(g->can_publish_data, 1);
    assert_int_equal(g->can_update_own_metadata, 1);
    assert_int_equal(g->can_subscribe_metrics, 1);
    assert_int_equal(g->can_manage_agent_session, 0);
    assert_int_equal(g->n_can_publish_sources, 2);
    assert_string_equal(g->can_publish_sources[0], "camera");
    assert_string_equal(g->can_publish_sources[1], "microphone");
    assert_false(grant_can_publish(g));
    assert_false(grant_can_subscribe(g));
    assert_true(grant_can_publish_data(g));
    assert_true(grant_can_update_metadata(g));
    auth_claims_free(&c);
    auth_claims_free(&c); /* idempotent */
}

static void test_defaults(void **state)
{
    (void)state;
    struct auth_claims c;
    extra_ok("\"video\":{\"roomJoin\":true,\"room\":\"r\"}", &c);
    const struct video_grant *g = &c.video;
    assert_true(c.has_video);
    assert_int_equal(g->can_publish, -1);
    assert_int_equal(g->can_publish_data, -1);
    assert_int_equal(g->can_update_own_metadata, -1);
    assert_true(grant_can_publish(g));
    assert_true(grant_can_subscribe(g));
    assert_true(grant_can_publish_data(g));
    assert_false(grant_can_update_metadata(g));
    assert_false(g->room_admin);
    assert_null(g->destination_room);
    assert_int_equal(g->n_can_publish_sources, 0);
    assert_null(c.name);
    assert_null(c.kind);
    assert_null(c.room_config_json);
    assert_null(c.sha256);
    assert_int_equal(c.attributes.n, 0);
    auth_claims_free(&c);

    /* canPublishData follows canPublish when absent. */
    extra_ok("\"video\":{\"canPublish\":false}", &c);
    assert_false(grant_can_publish(&c.video));
    assert_false(grant_can_publish_data(&c.video));
    auth_claims_free(&c);
    extra_ok("\"video\":{\"canPublish\":false,\"canPublishData\":true}", &c);
    assert_true(grant_can_publish_data(&c.video));
    auth_claims_free(&c);
    extra_ok("\"video\":{\"canPublish\":true,\"canPublishData\":false}", &c);
    assert_false(grant_can_publish_data(&c.video));
    auth_claims_free(&c);

    /* No video claim at all, and JSON null counts as absent. */
    extra_ok("", &c);
    assert_false(c.has_video);
    assert_true(grant_can_publish_data(&c.video));
    auth_claims_free(&c);
    extra_ok("\"video\":null,\"name\":null,\"attributes\":null,\"roomConfig\":null", &c);
    assert_false(c.has_video);
    assert_null(c.name);
    auth_claims_free(&c);
    extra_ok("\"video\":{\"canPublish\":null,\"room\":null,\"canPublishSources\":null}", &c);
    assert_int_equal(c.video.can_publish, -1);
    assert_null(c.video.room);
    auth_claims_free(&c);
}

static void test_signature(void **state)
{
    (void)state;
    char *p = payload("");
    char *tok = make_token(p, "not-the-secret");
    verify_fails(tok, T_BAD ": signature is invalid");
    free(tok);
    /* Signed with the other key's secret. */
    tok = make_token(p, "secret-two");
    verify_fails(tok, T_BAD ": signature is invalid");
    free(tok);

    tok = make_token(p, SECRET);
    struct auth_claims c;
    verify_ok(tok, &c);
    auth_claims_free(&c);
    size_t n = strlen(tok);
    /* One changed signature character. */
    char *t2 = strdup(tok);
    t2[n - 2] = t2[n - 2] == 'A' ? 'B' : 'A';
    verify_fails(t2, T_BAD ": signature is invalid");
    /* Same signature bytes, non-canonical last char (its unused low bits set). */
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    strcpy(t2, tok);
    t2[n - 1] = A[(strchr(A, tok[n - 1]) - A) ^ 1];
    verify_fails(t2, T_BAD ": signature is invalid");
    /* Truncated and empty signatures. */
    t2[n - 4] = 0;
    verify_fails(t2, T_BAD ": signature is invalid");
    *(strrchr(t2, '.') + 1) = 0;
    verify_fails(t2, T_BAD ": signature is invalid");
    free(t2);
    /* Extra signature bytes. */
    t2 = malloc(n + 8);
    sprintf(t2, "%sAAAA", tok);
    verify_fails(t2, T_BAD ": signature is invalid");
    free(t2);
    /* Payload swapped under a valid signature. */
    char *p2 = payload("\"video\":{\"roomAdmin\":true}");
    char *tok2 = make_token(p2, SECRET);
    char *mix = malloc(strlen(tok) + strlen(tok2) + 1);
    size_t head = (size_t)(strrchr(tok2, '.') - tok2);
    memcpy(mix, tok2, head);
    strcpy(mix + head, strrchr(tok, '.'));
    verify_fails(mix, T_BAD ": signature is invalid");
    free(mix);
    free(tok2);
    free(p2);
    free(tok);
    free(p);
}

static void test_keys(void **state)
{
    (void)state;
    char buf[200];
    sprintf(buf, "{\"iss\":\"nobody\",\"sub\":\"a\",\"exp\":%lld}", NOW + 100);
    char *tok = make_token(buf, SECRET);
    verify_fails(tok, T_KEY);
    free(tok);
    sprintf(buf, "{\"sub\":\"a\",\"exp\":%lld}", NOW + 100);
    tok = make_token(buf, SECRET);
    verify_fails(tok, T_KEY);
    free(tok);
    sprintf(buf, "{\"iss\":\"\",\"sub\":\"a\",\"exp\":%lld}", NOW + 100);
    tok = make_token(buf, SECRET);
    verify_fails(tok, T_KEY);
    free(tok);
    /* A key whose secret is empty is unusable. */
    sprintf(buf, "{\"iss\":\"emptykey\",\"sub\":\"a\",\"exp\":%lld}", NOW + 100);
    tok = make_token(buf, "");
    verify_fails(tok, T_KEY);
    free(tok);
    /* The second key works with its own secret. */
    sprintf(buf, "{\"iss\":\"other\",\"sub\":\"a\",\"exp\":%lld}", NOW + 100);
    tok = make_token(buf, "secret-two");
    struct auth_claims c;
    verify_ok(tok, &c);
    assert_string_equal(c.api_key, "other");
    auth_claims_free(&c);
    /* No lookup function at all. */
    char why[100];
    assert_int_equal(auth_verify(tok, NOW, NULL, NULL, &c, why, sizeof why), DC_EAUTH);
    assert_string_equal(why, T_KEY);
    free(tok);
}

static char *timed(const char *times)
{
    char buf[200];
    sprintf(buf, "{\"iss\":\"%s\",\"sub\":\"a\"%s%s}", KEY, *times ? "," : "", times);
    return make_token(buf, SECRET);
}

static void expect_time(long long exp_off, const char *nbf, const char *want)
{
    char t[120];
    if (nbf)
        sprintf(t, "\"exp\":%lld,\"nbf\":%s", NOW + exp_off, nbf);
    else
        sprintf(t, "\"exp\":%lld", NOW + exp_off);
    char *tok = timed(t);
    if (want) {
        verify_fails(tok, want);
    } else {
        struct auth_claims c;
        verify_ok(tok, &c);
        auth_claims_free(&c);
    }
    free(tok);
}

static void test_times(void **state)
{
    (void)state;
    char nbf[40];
    expect_time(-61, NULL, T_BAD ": token is expired (exp)");
    expect_time(-3600, NULL, T_BAD ": token is expired (exp)");
    expect_time(-60, NULL, NULL);
    expect_time(-1, NULL, NULL);
    expect_time(0, NULL, NULL);
    sprintf(nbf, "%lld", NOW + 61);
    expect_time(3600, nbf, T_BAD ": token not valid yet (nbf)");
    sprintf(nbf, "%lld", NOW + 60);
    expect_time(3600, nbf, NULL);
    sprintf(nbf, "%lld", NOW + 5);
    expect_time(3600, nbf, NULL);
    /* Reals are accepted as NumericDate. */
    sprintf(nbf, "%lld.5", NOW);
    expect_time(3600, nbf, NULL);
    /* Extreme values do not overflow. */
    expect_time(0, "-9223372036854775807", NULL);
    expect_time(0, "9223372036854775807", T_BAD ": token not valid yet (nbf)");

    char *tok = timed("");
    verify_fails(tok, T_BAD ": exp claim is required");
    free(tok);
    tok = timed("\"exp\":null");
    verify_fails(tok, T_BAD ": exp claim is required");
    free(tok);
    tok = timed("\"exp\":-9223372036854775807");
    verify_fails(tok, T_BAD ": token is expired (exp)");
    free(tok);
    tok = timed("\"exp\":9223372036854775807");
    struct auth_claims c;
    verify_ok(tok, &c);
    auth_claims_free(&c);
    free(tok);
    tok = timed("\"exp\":1e300");
    verify_fails(tok, T_BAD);
    free(tok);
    tok = timed("\"exp\":\"soon\"");
    verify_fails(tok, T_BAD);
    free(tok);
    /* Far-future iat is refused, as go-jose does. */
    sprintf(nbf, "\"exp\":%lld,\"iat\":%lld", NOW + 3600, NOW + 3000);
    tok = timed(nbf);
    verify_fails(tok, T_BAD ": token issued in the future (iat)");
    free(tok);
}

#define ALG_ONLY T_BAD ": unexpected signing algorithm, only HS256 is accepted"
#define ALG_MISSING T_BAD ": missing signing algorithm (alg)"

static void alg_fails(const char *hdr, const char *secret, mbedtls_md_type_t md, const char *want)
{
    char *p = payload("\"video\":{\"roomAdmin\":true}");
    char *tok = make_token_md(hdr, p, secret, md);
    verify_fails(tok, want);
    free(tok);
    free(p);
}

static void test_algs(void **state)
{
    (void)state;
    /* alg none, unsigned and with a signature that would otherwise be valid. */
    alg_fails("{\"alg\":\"none\"}", NULL, MBEDTLS_MD_SHA256, ALG_ONLY);
    alg_fails("{\"alg\":\"none\",\"typ\":\"JWT\"}", SECRET, MBEDTLS_MD_SHA256, ALG_ONLY);
    alg_fails("{\"alg\":\"NONE\"}", NULL, MBEDTLS_MD_SHA256, ALG_ONLY);
    alg_fails("{\"alg\":\"hs256\"}", SECRET, MBEDTLS_MD_SHA256, ALG_ONLY);
    alg_fails("{\"alg\":\"HS512\"}", SECRET, MBEDTLS_MD_SHA512, ALG_ONLY);
    alg_fails("{\"alg\":\"HS384\"}", SECRET, MBEDTLS_MD_SHA384, ALG_ONLY);
    /* Key confusion: asymmetric alg names with an HMAC signature. */
    alg_fails("{\"alg\":\"RS256\"}", SECRET, MBEDTLS_MD_SHA256, ALG_ONLY);
    alg_fails("{\"alg\":\"ES256\"}", SECRET, MBEDTLS_MD_SHA256, ALG_ONLY);
    /* Missing or non-string alg. */
    alg_fails("{\"typ\":\"JWT\"}", SECRET, MBEDTLS_MD_SHA256, ALG_MISSING);
    alg_fails("{}", NULL, MBEDTLS_MD_SHA256, ALG_MISSING);
    alg_fails("{\"alg\":null}", SECRET, MBEDTLS_MD_SHA256, ALG_MISSING);
    alg_fails("{\"alg\":256}", SECRET, MBEDTLS_MD_SHA256, ALG_MISSING);
    /* Critical extensions are not understood. */
    alg_fails("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", SECRET, MBEDTLS_MD_SHA256,
              T_BAD ": unsupported critical header (crit)");
    /* HS256 with an empty signature. */
    alg_fails("{\"alg\":\"HS256\"}", NULL, MBEDTLS_MD_SHA256, T_BAD ": signature is invalid");
    /* The header LiveKit's own SDKs write (with typ) is fine. */
    char *p = payload("");
    char *tok = make_token_md("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, SECRET, MBEDTLS_MD_SHA256);
    struct auth_claims c;
    verify_ok(tok, &c);
    auth_claims_free(&c);
    free(tok);
    free(p);
}

static void seg_token(const char *hdr_b64, const char *pl_json_raw, const char *sig, char *out)
{
    char *p = b64url(pl_json_raw, strlen(pl_json_raw));
    sprintf(out, "%s.%s.%s", hdr_b64, p, sig);
    free(p);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "abc", "a.b", "a.b.c.d", "..", "...", "....", ".e30.", "e30..", "e30.e30.e30.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30=.", "eyJhbGciOiJIUzI1NiJ9.e3 0.", "eyJhbGciOiJIUzI1NiJ9.e+0.",
        "eyJhbGciOiJIUzI1NiJ9.!!!!.", "eyJhbGciOiJIUzI1NiJ9.e30.a", "eyJhbGciOiJIUzI1NiJ9.e30.a/b",
        "eyJhbGciOiJIUzI1NiJ9.e30.ab=", "Bearer x.y.z", "\xff\xfe.\x01.\x02",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        verify_fails(bad[i], T_BAD);

    char tok[600];
    const char *hs = "eyJhbGciOiJIUzI1NiJ9"; /* {"alg":"HS256"} */
    seg_token(hs, "hello", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "[1,2]", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "\"str\"", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "{\"iss\":\"APIkey\"", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "{\"iss\":\"APIkey\",\"iss\":\"other\",\"exp\":9999999999}", "", tok);
    verify_fails(tok, T_BAD); /* duplicate keys */
    seg_token(hs, "{\"iss\":5}", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "{\"iss\":\"APIkey\",\"sub\":[]}", "", tok);
    verify_fails(tok, T_BAD);
    seg_token(hs, "{\"iss\":\"APIkey\",\"sub\":\"a\\u0000b\"}", "", tok);
    verify_fails(tok, T_BAD);
    seg_token("bm90IGpzb24", "{\"iss\":\"APIkey\"}", "", tok); /* header "not json" */
    verify_fails(tok, T_BAD);
    seg_token("WzFd", "{\"iss\":\"APIkey\"}", "", tok); /* header [1] */
    verify_fails(tok, T_BAD);

    /* Over-long token. */
    char *big = malloc(AUTH_TOKEN_MAX + 100);
    memset(big, 'A', AUTH_TOKEN_MAX + 99);
    big[10] = big[20] = '.';
    big[AUTH_TOKEN_MAX + 99] = 0;
    verify_fails(big, T_BAD);
    free(big);

    /* NULL inputs and NULL/short why buffers. */
    struct auth_claims c;
    char why[8];
    assert_int_equal(auth_verify(NULL, NOW, secret_for, NULL, &c, why, sizeof why), DC_EINVAL);
    assert_string_equal(why, "invalid");
    assert_int_equal(auth_verify("a.b.c", NOW, secret_for, NULL, NULL, NULL, 0), DC_EINVAL);
    assert_int_equal(auth_verify("a.b.c", NOW, secret_for, NULL, &c, NULL, 0), DC_EAUTH);
}

static void test_wrong_types(void **state)
{
    (void)state;
    extra_fails("\"video\":{\"roomJoin\":\"yes\"}", T_BAD ": claim video.roomJoin has the wrong type");
    extra_fails("\"video\":{\"canPublish\":1}", T_BAD ": claim video.canPublish has the wrong type");
    extra_fails("\"video\":{\"room\":7}", T_BAD ": claim video.room has the wrong type");
    extra_fails("\"video\":{\"destinationRoom\":{}}",
                T_BAD ": claim video.destinationRoom has the wrong type");
    extra_fails("\"video\":{\"canPublishSources\":\"camera\"}",
                T_BAD ": claim video.canPublishSources has the wrong type");
    extra_fails("\"video\":{\"canPublishSources\":[\"camera\",1]}",
                T_BAD ": claim video.canPublishSources has the wrong type");
    extra_fails("\"video\":true", T_BAD ": claim video must be an object");
    extra_fails("\"name\":5", T_BAD ": claim name must be a string");
    extra_fails("\"metadata\":{}", T_BAD ": claim metadata must be a string");
    extra_fails("\"kind\":1", T_BAD ": claim kind must be a string");
    extra_fails("\"sha256\":false", T_BAD ": claim sha256 must be a string");
    extra_fails("\"attributes\":{\"a\":1}", T_BAD ": claim attributes must be an object of strings");
    extra_fails("\"attributes\":[]", T_BAD ": claim attributes must be an object of strings");
    extra_fails("\"roomConfig\":\"x\"", T_BAD ": claim roomConfig must be an object");
    /* Unknown claims are ignored. */
    struct auth_claims c;
    extra_ok("\"kindDetails\":[\"x\"],\"sip\":{\"admin\":true},\"video\":{\"future\":1}", &c);
    auth_claims_free(&c);
}

static void test_identity(void **state)
{
    (void)state;
    char buf[200];
    struct auth_claims c;
    sprintf(buf, "{\"iss\":\"%s\",\"jti\":\"j1\",\"exp\":%lld}", KEY, NOW + 10);
    char *tok = make_token(buf, SECRET);
    verify_ok(tok, &c);
    assert_string_equal(c.identity, "j1");
    auth_claims_free(&c);
    free(tok);
    sprintf(buf, "{\"iss\":\"%s\",\"sub\":\"\",\"jti\":\"j2\",\"exp\":%lld}", KEY, NOW + 10);
    tok = make_token(buf, SECRET);
    verify_ok(tok, &c);
    assert_string_equal(c.identity, "j2");
    auth_claims_free(&c);
    free(tok);
    sprintf(buf, "{\"iss\":\"%s\",\"sub\":\"s\",\"jti\":\"j3\",\"exp\":%lld}", KEY, NOW + 10);
    tok = make_token(buf, SECRET);
    verify_ok(tok, &c);
    assert_string_equal(c.identity, "s");
    auth_claims_free(&c);
    free(tok);
    sprintf(buf, "{\"iss\":\"%s\",\"exp\":%lld}", KEY, NOW + 10);
    tok = make_token(buf, SECRET);
    verify_ok(tok, &c);
    assert_string_equal(c.identity, "");
    assert_int_equal(c.nbf, 0);
    auth_claims_free(&c);
    free(tok);
}

static void test_attributes(void **state)
{
    (void)state;
    struct auth_claims c;
    extra_ok("\"attributes\":{\"a\":\"1\",\"b\":\"\",\"k\\u00e9y\":\"v\\\"q\"}", &c);
    assert_int_equal(c.attributes.n, 3);
    assert_string_equal(kv_get(&c.attributes, "a"), "1");
    assert_string_equal(kv_get(&c.attributes, "b"), "");
    assert_string_equal(kv_get(&c.attributes, "k\xc3\xa9y"), "v\"q");
    auth_claims_free(&c);
    extra_ok("\"attributes\":{}", &c);
    assert_int_equal(c.attributes.n, 0);
    auth_claims_free(&c);
}

static void test_bearer(void **state)
{
    (void)state;
    const char *why = "x";
    assert_null(auth_bearer(NULL, &why));
    assert_null(why);
    why = "x";
    assert_null(auth_bearer("", &why));
    assert_null(why);
    assert_string_equal(auth_bearer("Bearer abc.def.ghi", &why), "abc.def.ghi");
    assert_null(why);
    assert_string_equal(auth_bearer("Bearer ", &why), "");
    assert_null(why);
    static const char *bad[] = {"bearer abc", "Bearer", "Basic abc", "abc.def.ghi", "BEARER x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_null(auth_bearer(bad[i], &why));
        assert_string_equal(why, "invalid authorization header. Must start with Bearer ");
    }
    assert_null(auth_bearer("Token x", NULL));
}

static void test_sign(void **state)
{
    (void)state;
    char *p = payload("\"video\":{\"roomJoin\":true,\"room\":\"r\"},\"attributes\":{\"x\":\"y\"}");
    char *tok = auth_sign(p, SECRET);
    assert_non_null(tok);
    struct auth_claims c;
    verify_ok(tok, &c);
    assert_string_equal(c.identity, "alice");
    assert_true(c.video.room_join);
    assert_string_equal(c.video.room, "r");
    assert_string_equal(kv_get(&c.attributes, "x"), "y");
    auth_claims_free(&c);
    free(tok);
    tok = auth_sign(p, "wrong");
    verify_fails(tok, T_BAD ": signature is invalid");
    free(tok);
    assert_null(auth_sign(p, ""));
    assert_null(auth_sign(p, NULL));
    assert_null(auth_sign("[1]", SECRET));
    assert_null(auth_sign("{not json", SECRET));
    assert_null(auth_sign(NULL, SECRET));
    free(p);
}

/* A token minted by livekit-server-sdk 2.19.2 (AccessToken, ttl 10 min) with
 * KEY/SECRET: nbf 1795822933, exp 1795823533. */
static const char SDK_TOKEN[] =
    "eyJhbGciOiJIUzI1NiJ9."
    "eyJtZXRhZGF0YSI6Im0iLCJhdHRyaWJ1dGVzIjp7ImEiOiIxIn0sIm5hbWUiOiJBbGljZSIsInZpZGVv"
    "Ijp7InJvb21Kb2luIjp0cnVlLCJyb29tIjoicjEiLCJjYW5QdWJsaXNoRGF0YSI6dHJ1ZSwiY2FuVXBk"
    "YXRlT3duTWV0YWRhdGEiOnRydWUsImNhblB1Ymxpc2hTb3VyY2VzIjpbImNhbWVyYSIsIm1pY3JvcGhv"
    "bmUiXX0sImlzcyI6IkFQSWtleSIsImV4cCI6MTc5NTgyMzUzMywibmJmIjoxNzk1ODIyOTMzLCJzdWIi"
    "OiJhbGljZSJ9."
    "VSOZeRpwZsQE1PJk2Vp7xI3XKtm9TNNHCl6Z-X6imaw";

static void test_sdk_token(void **state)
{
    (void)state;
    struct auth_claims c;
    char why[200];
    assert_int_equal(auth_verify(SDK_TOKEN, 1795822934, secret_for, NULL, &c, why, sizeof why), 0);
    assert_string_equal(c.identity, "alice");
    assert_string_equal(c.name, "Alice");
    assert_string_equal(c.metadata, "m");
    assert_string_equal(kv_get(&c.attributes, "a"), "1");
    assert_true(c.video.room_join);
    assert_string_equal(c.video.room, "r1");
    assert_true(grant_can_publish_data(&c.video));
    assert_true(grant_can_update_metadata(&c.video));
    assert_int_equal(c.video.n_can_publish_sources, 2);
    assert_string_equal(c.video.can_publish_sources[1], "microphone");
    assert_int_equal(c.exp - c.nbf, 600);
    auth_claims_free(&c);
    assert_int_equal(auth_verify(SDK_TOKEN, 1795823533 + 61, secret_for, NULL, &c, why, sizeof why),
                     DC_EAUTH);
    assert_string_equal(why, T_BAD ": token is expired (exp)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_grants),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_signature),   cmocka_unit_test(test_keys),
        cmocka_unit_test(test_times),       cmocka_unit_test(test_algs),
        cmocka_unit_test(test_garbage),     cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_identity),    cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_bearer),      cmocka_unit_test(test_sign),
        cmocka_unit_test(test_sdk_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
