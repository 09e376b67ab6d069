/* Unit tests for server/webhook_event: the WebhookEvent JSON body and the
 * Authorization token (checked with auth_verify and a recomputed hash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <mbedtls/sha256.h>

#include "common/b64.h"
#include "common/util.h"
#include "server/webhook_event.h"
#include "signaling/auth.h"

#define NOW 1700000000LL

static const char *secret_for(void *ctx, const char *key)
{
    (void)ctx;
    return strcmp(key, "devkey") ? NULL : "secret";
}

static void test_body(void **state)
{
    (void)state;
    Livekit__Room room = LIVEKIT__ROOM__INIT;
    room.sid = "RM_abc";
    room.name = "lobby";
    room.num_participants = 2;
    Livekit__ParticipantInfo p = LIVEKIT__PARTICIPANT_INFO__INIT;
    p.sid = "PA_x";
    p.identity = "alice";
    p.state = LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE;
    p.joined_at = 42;
    char id[UTIL_SID_MAX];
    util_new_sid(id, "EV_");
    assert_int_equal(strlen(id), 15);
    char *body = webhook_event_body("participant_joined", &room, &p, id, NOW);
    assert_non_null(body);
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "participant_joined");
    assert_string_equal(json_string_value(json_object_get(j, "id")), id);
    /* int64 goes out as a JSON string in protobuf JSON */
    assert_string_equal(json_string_value(json_object_get(j, "createdAt")), "1700000000");
    json_t *r = json_object_get(j, "room");
    assert_string_equal(json_string_value(json_object_get(r, "name")), "lobby");
    assert_string_equal(json_string_value(json_object_get(r, "sid")), "RM_abc");
    assert_int_equal(json_integer_value(json_object_get(r, "numParticipants")), 2);
    assert_null(json_object_get(r, "metadata")); /* defaults left out */
    json_t *pp = json_object_get(j, "participant");
    assert_string_equal(json_string_value(json_object_get(pp, "identity")), "alice");
    assert_string_equal(json_string_value(json_object_get(pp, "state")), "ACTIVE");
    assert_string_equal(json_string_value(json_object_get(pp, "joinedAt")), "42");
    assert_null(json_object_get(j, "numDropped"));
    json_decref(j);
    free(body);

    body = webhook_event_body("room_finished", &room, NULL, id, NOW);
    j = json_loads(body, 0, &err);
    assert_non_null(j);
    assert_null(json_object_get(j, "participant"));
    json_decref(j);
    free(body);
    assert_null(webhook_event_body(NULL, &room, NULL, id, NOW));
}

static void test_token(void **state)
{
    (void)state;
    const char *body = "{\"event\":\"room_started\"}";
    char *tok = webhook_event_token(body, strlen(body), "devkey", "secret", NOW);
    assert_non_null(tok);
    assert_null(strstr(tok, "Bearer"));
    struct auth_claims c;
    char why[128];
    assert_int_equal(auth_verify(tok, NOW + 10, secret_for, NULL, &c, why, sizeof why), 0);
    assert_string_equal(c.api_key, "devkey");
    assert_int_equal(c.nbf, NOW);
    assert_int_equal(c.exp, NOW + WEBHOOK_TOKEN_TTL_S);
    unsigned char hash[32];
    assert_int_equal(mbedtls_sha256_ret((const unsigned char *)body, strlen(body), hash, 0), 0);
    char b64[64];
    b64_encode(hash, sizeof hash, b64, false, true);
    assert_non_null(c.sha256);
    assert_string_equal(c.sha256, b64);
    auth_claims_free(&c);
    /* expired after the TTL */
    assert_int_not_equal(
        auth_verify(tok, NOW + WEBHOOK_TOKEN_TTL_S + 120, secret_for, NULL, &c, why, sizeof why), 0);
    free(tok);

    assert_null(webhook_event_token(body, strlen(body), "devkey", "", NOW));
    assert_null(webhook_event_token(body, strlen(body), NULL, "secret", NOW));
    assert_null(webhook_event_token(NULL, 0, "devkey", "secret", NOW));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
