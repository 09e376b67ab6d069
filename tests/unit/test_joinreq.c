/* Unit tests for signaling/joinreq: /rtc/v1 join_request decoding and /rtc
 * (v0) query parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/b64.h"
#include "common/err.h"
#include "signaling/joinreq.h"

#define MAX (64 * 1024)

/* ------------------------------------------------------------ builders */

static uint8_t *pack_join(size_t *len)
{
    Livekit__JoinRequest jr = LIVEKIT__JOIN_REQUEST__INIT;
    Livekit__ClientInfo ci = LIVEKIT__CLIENT_INFO__INIT;
    Livekit__ConnectionSettings cs = LIVEKIT__CONNECTION_SETTINGS__INIT;
    Livekit__SessionDescription offer = LIVEKIT__SESSION_DESCRIPTION__INIT;
    Livekit__JoinRequest__ParticipantAttributesEntry a1 =
        LIVEKIT__JOIN_REQUEST__PARTICIPANT_ATTRIBUTES_ENTRY__INIT;
    Livekit__JoinRequest__ParticipantAttributesEntry *attrs[] = {&a1};
    Livekit__ClientInfo__Capability caps[] = {LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_PACKET_TRAILER,
                                              LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_COMPRESSION_DEFLATE_RAW};
    ci.sdk = LIVEKIT__CLIENT_INFO__SDK__NODE;
    ci.version = "1.1.0";
    ci.protocol = 17;
    ci.client_protocol = 2;
    ci.os = "Debian";
    ci.n_capabilities = 2;
    ci.capabilities = caps;
    cs.auto_subscribe = 1;
    cs.subscriber_allow_pause_opt_case =
        LIVEKIT__CONNECTION_SETTINGS__SUBSCRIBER_ALLOW_PAUSE_OPT_SUBSCRIBER_ALLOW_PAUSE;
    cs.subscriber_allow_pause = 0;
    offer.type = "offer";
    offer.sdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:6\r\n";
    offer.id = 1;
    a1.key = "k";
    a1.value = "v\xc3\xa9";
    jr.client_info = &ci;
    jr.connection_settings = &cs;
    jr.publisher_offer = &offer;
    jr.metadata = "meta";
    jr.n_participant_attributes = 1;
    jr.participant_attributes = attrs;
    *len = livekit__join_request__get_packed_size(&jr);
    uint8_t *buf = malloc(*len);
    livekit__join_request__pack(&jr, buf);
    return buf;
}

/* gzip (RFC 1952) via zlib: windowBits 31. */
static uint8_t *gzip_bytes(const uint8_t *in, size_t n, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n);
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* WrappedJoinRequest{compression, bytes} -> base64 string (malloc'd). */
static char *wrap_b64(int compression, const uint8_t *p, size_t n, bool url, bool padded)
{
    Livekit__WrappedJoinRequest w = LIVEKIT__WRAPPED_JOIN_REQUEST__INIT;
    w.compression = (Livekit__WrappedJoinRequest__Compression)compression;
    w.join_request.data = (uint8_t *)(uintptr_t)p;
    w.join_request.len = n;
    size_t len = livekit__wrapped_join_request__get_packed_size(&w);
    uint8_t *bin = malloc(len);
    livekit__wrapped_join_request__pack(&w, bin);
    char *s = malloc(b64_encoded_len(len, padded) + 1);
    b64_encode(bin, len, s, url, padded);
    free(bin);
    return s;
}

static char *gz_wrapped(const uint8_t *p, size_t n, bool url, bool padded)
{
    size_t gl;
    uint8_t *gz = gzip_bytes(p, n, &gl);
    char *s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, gz, gl, url, padded);
    free(gz);
    return s;
}

static void check_join(const Livekit__JoinRequest *jr)
{
    assert_non_null(jr->client_info);
    assert_int_equal(jr->client_info->sdk, LIVEKIT__CLIENT_INFO__SDK__NODE);
    assert_string_equal(jr->client_info->version, "1.1.0");
    assert_int_equal(jr->client_info->protocol, 17);
    assert_int_equal(jr->client_info->client_protocol, 2);
    assert_string_equal(jr->client_info->os, "Debian");
    assert_int_equal(jr->client_info->n_capabilities, 2);
    assert_int_equal(jr->client_info->capabilities[1],
                     LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_COMPRESSION_DEFLATE_RAW);
    assert_non_null(jr->connection_settings);
    assert_true(jr->connection_settings->auto_subscribe);
    assert_int_equal(jr->connection_settings->subscriber_allow_pause_opt_case,
                     LIVEKIT__CONNECTION_SETTINGS__SUBSCRIBER_ALLOW_PAUSE_OPT_SUBSCRIBER_ALLOW_PAUSE);
    assert_non_null(jr->publisher_offer);
    assert_string_equal(jr->publisher_offer->type, "offer");
    assert_int_equal(jr->publisher_offer->id, 1);
    assert_non_null(strstr(jr->publisher_offer->sdp, "webrtc-datachannel"));
    assert_string_equal(jr->metadata, "meta");
    assert_int_equal(jr->n_participant_attributes, 1);
    assert_string_equal(jr->participant_attributes[0]->value, "v\xc3\xa9");
    assert_false(jr->reconnect);
}

static int decode(const char *s, size_t max, Livekit__JoinRequest **jr, const char **why)
{
    *why = NULL;
    return joinreq_decode_v1(s, strlen(s), max, jr, why);
}

/* ------------------------------------------------------------ v1 */

static void test_gzip_variants(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = pack_join(&n);
    const bool modes[][2] = {{true, true}, {true, false}, {false, true}, {false, false}};
    for (size_t i = 0; i < 4; i++) {
        char *s = gz_wrapped(raw, n, modes[i][0], modes[i][1]);
        Livekit__JoinRequest *jr = NULL;
        const char *why;
        assert_int_equal(decode(s, MAX, &jr, &why), 0);
        assert_null(why);
        check_join(jr);
        livekit__join_request__free_unpacked(jr, NULL);
        free(s);
    }
    free(raw);
}

static void test_uncompressed(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = pack_join(&n);
    char *s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE, raw, n, true, true);
    Livekit__JoinRequest *jr = NULL;
    const char *why;
    assert_int_equal(decode(s, MAX, &jr, &why), 0);
    check_join(jr);
    livekit__join_request__free_unpacked(jr, NULL);
    /* The same request over the limit is refused. */
    assert_int_equal(decode(s, n - 1, &jr, &why), DC_ETOOBIG);
    assert_null(jr);
    assert_string_equal(why, "join request too large");
    free(s);
    free(raw);
}

static void test_empty_and_garbage(void **state)
{
    (void)state;
    Livekit__JoinRequest *jr = (void *)1;
    const char *why;
    assert_int_equal(decode("", MAX, &jr, &why), DC_EINVAL);
    assert_null(jr);
    assert_string_equal(why, "join_request is required");
    assert_int_equal(decode("!!!not base64", MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot base64 decode wrapped join request");
    assert_int_equal(decode("QUJD=X", MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot base64 decode wrapped join request");
    /* "abc": field 12 as fixed64 with only two bytes left. */
    assert_int_equal(decode("YWJj", MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot unmarshal wrapped join request");
    assert_null(jr);
    /* why may be NULL. */
    assert_int_equal(joinreq_decode_v1("YWJj", 4, MAX, &jr, NULL), DC_EINVAL);
}

static void test_truncated_join(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = pack_join(&n);
    Livekit__JoinRequest *jr = NULL;
    const char *why;
    /* Cut inside the publisher offer: wrapped message is fine, inner is not. */
    char *s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE, raw, n - 3, true, false);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot unmarshal join request");
    free(s);
    s = gz_wrapped(raw, n - 3, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot unmarshal join request");
    free(s);
    assert_null(jr);
    free(raw);
}

static void test_bad_gzip(void **state)
{
    (void)state;
    size_t n, gl;
    uint8_t *raw = pack_join(&n);
    uint8_t *gz = gzip_bytes(raw, n, &gl);
    Livekit__JoinRequest *jr = NULL;
    const char *why;
    /* Truncated stream. */
    char *s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, gz, gl - 6, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot decompress join request");
    free(s);
    /* Corrupt CRC. */
    gz[gl - 5] ^= 0xff;
    s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, gz, gl, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot decompress join request");
    free(s);
    /* Not gzip at all (raw protobuf flagged as GZIP). */
    s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, raw, n, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot decompress join request");
    free(s);
    /* Trailing garbage after a valid member. */
    gz[gl - 5] ^= 0xff;
    uint8_t *tail = malloc(gl + 3);
    memcpy(tail, gz, gl);
    memcpy(tail + gl, "xyz", 3);
    s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, tail, gl + 3, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    free(s);
    /* Unknown compression value. */
    s = wrap_b64(7, raw, n, true, true);
    assert_int_equal(decode(s, MAX, &jr, &why), DC_EINVAL);
    assert_string_equal(why, "unsupported join request compression");
    free(s);
    assert_null(jr);
    free(tail);
    free(gz);
    free(raw);
}

static void test_gzip_bomb(void **state)
{
    (void)state;
    size_t big = 16u * 1024 * 1024;
    uint8_t *zeros = calloc(1, big);
    char *s = gz_wrapped(zeros, big, true, true);
    free(zeros);
    assert_true(strlen(s) < 40 * 1024); /* small on the wire */
    Livekit__JoinRequest *jr = NULL;
    const char *why;
    assert_int_equal(decode(s, MAX, &jr, &why), DC_ETOOBIG);
    assert_string_equal(why, "join request too large");
    assert_null(jr);
    free(s);
}

static void test_gzip_limit_exact(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = pack_join(&n);
    char *s = gz_wrapped(raw, n, true, true);
    Livekit__JoinRequest *jr = NULL;
    const char *why;
    assert_int_equal(decode(s, n, &jr, &why), 0);
    livekit__join_request__free_unpacked(jr, NULL);
    assert_int_equal(decode(s, n - 1, &jr, &why), DC_ETOOBIG);
    assert_int_equal(decode(s, 0, &jr, &why), DC_ETOOBIG);
    free(s);
    free(raw);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    const char *bad[] = {"\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Livekit__JoinRequest jr = LIVEKIT__JOIN_REQUEST__INIT;
        Livekit__SessionDescription offer = LIVEKIT__SESSION_DESCRIPTION__INIT;
        offer.sdp = (char *)bad[i]; /* nested string */
        jr.publisher_offer = &offer;
        uint8_t buf[64];
        size_t n = livekit__join_request__pack(&jr, buf);
        char *s = wrap_b64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE, buf, n, true, true);
        Livekit__JoinRequest *out = NULL;
        const char *why;
        assert_int_equal(decode(s, MAX, &out, &why), DC_EINVAL);
        assert_string_equal(why, "cannot unmarshal join request");
        free(s);
    }
}

/* ------------------------------------------------------------ v0 */

static void test_v0_node(void **state)
{
    (void)state;
    const char *q = "sdk=node&os=Debian&os_version=12.0.0&device_model=My%20Phone+X&protocol=17"
                    "&client_protocol=2&auto_subscribe=1&adaptive_stream=0&version=1.1.0"
                    "&capabilities=CAP_PACKET_TRAILER%2C%20CAP_BOGUS,,CAP_COMPRESSION_DEFLATE_RAW";
    Livekit__JoinRequest *jr = NULL;
    const char *why = NULL;
    assert_int_equal(joinreq_from_query_v0(q, &jr, &why), 0);
    Livekit__ClientInfo *ci = jr->client_info;
    assert_int_equal(ci->sdk, LIVEKIT__CLIENT_INFO__SDK__NODE);
    assert_string_equal(ci->version, "1.1.0");
    assert_string_equal(ci->os, "Debian");
    assert_string_equal(ci->os_version, "12.0.0");
    assert_string_equal(ci->device_model, "My Phone X");
    assert_string_equal(ci->browser, "");
    assert_int_equal(ci->protocol, 17);
    assert_int_equal(ci->client_protocol, 2);
    assert_int_equal(ci->n_capabilities, 2);
    assert_int_equal(ci->capabilities[0], LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_PACKET_TRAILER);
    assert_int_equal(ci->capabilities[1], LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_COMPRESSION_DEFLATE_RAW);
    assert_true(jr->connection_settings->auto_subscribe);
    assert_false(jr->connection_settings->adaptive_stream);
    assert_int_equal(jr->connection_settings->subscriber_allow_pause_opt_case,
                     LIVEKIT__CONNECTION_SETTINGS__SUBSCRIBER_ALLOW_PAUSE_OPT__NOT_SET);
    assert_false(jr->reconnect);
    assert_string_equal(jr->participant_sid, "");
    /* The result packs and unpacks like any other request. */
    size_t n = livekit__join_request__get_packed_size(jr);
    uint8_t *buf = malloc(n);
    livekit__join_request__pack(jr, buf);
    Livekit__JoinRequest *back = livekit__join_request__unpack(NULL, n, buf);
    assert_non_null(back);
    assert_string_equal(back->client_info->device_model, "My Phone X");
    livekit__join_request__free_unpacked(back, NULL);
    free(buf);
    livekit__join_request__free_unpacked(jr, NULL);
}

static void test_v0_defaults_and_js(void **state)
{
    (void)state;
    Livekit__JoinRequest *jr = NULL;
    assert_int_equal(joinreq_from_query_v0("", &jr, NULL), 0);
    assert_int_equal(jr->client_info->sdk, LIVEKIT__CLIENT_INFO__SDK__UNKNOWN);
    assert_true(jr->connection_settings->auto_subscribe);
    assert_int_equal(jr->client_info->n_capabilities, 0);
    assert_int_equal(jr->n_participant_attributes, 0);
    livekit__join_request__free_unpacked(jr, NULL);

    assert_int_equal(joinreq_from_query_v0(NULL, &jr, NULL), 0);
    livekit__join_request__free_unpacked(jr, NULL);

    const char *q = "?access_token=a.b.c&reconnect=1&sid=PA_abc123&auto_subscribe=0&sdk=js"
                    "&version=2.23.0&protocol=17&client_protocol=2&reconnect_reason=1"
                    "&subscriber_allow_pause=true&disable_ice_lite=1&adaptive_stream=yes"
                    "&auto_subscribe_data_track=0&network=wifi&browser=Chrome&browser_version=156";
    assert_int_equal(joinreq_from_query_v0(q, &jr, NULL), 0);
    assert_int_equal(jr->client_info->sdk, LIVEKIT__CLIENT_INFO__SDK__JS);
    assert_true(jr->reconnect);
    assert_string_equal(jr->participant_sid, "PA_abc123");
    assert_int_equal(jr->reconnect_reason, LIVEKIT__RECONNECT_REASON__RR_SIGNAL_DISCONNECTED);
    Livekit__ConnectionSettings *cs = jr->connection_settings;
    assert_false(cs->auto_subscribe);
    assert_true(cs->disable_ice_lite);
    assert_false(cs->adaptive_stream); /* only "1"/"true" are true */
    assert_int_equal(cs->subscriber_allow_pause_opt_case,
                     LIVEKIT__CONNECTION_SETTINGS__SUBSCRIBER_ALLOW_PAUSE_OPT_SUBSCRIBER_ALLOW_PAUSE);
    assert_true(cs->subscriber_allow_pause);
    assert_int_equal(cs->auto_subscribe_data_track_opt_case,
                     LIVEKIT__CONNECTION_SETTINGS__AUTO_SUBSCRIBE_DATA_TRACK_OPT_AUTO_SUBSCRIBE_DATA_TRACK);
    assert_false(cs->auto_subscribe_data_track);
    assert_string_equal(jr->client_info->network, "wifi");
    assert_string_equal(jr->client_info->browser, "Chrome");
    assert_string_equal(jr->client_info->browser_version, "156");
    livekit__join_request__free_unpacked(jr, NULL);

    /* Odd numbers and sdk names. */
    assert_int_equal(joinreq_from_query_v0("protocol=17x&client_protocol=99999999999&sdk=ios"
                                           "&reconnect_reason=abc&sdk=dotnet",
                                           &jr, NULL),
                     0);
    assert_int_equal(jr->client_info->protocol, 0);
    assert_int_equal(jr->client_info->client_protocol, 0);
    assert_int_equal(jr->client_info->sdk, LIVEKIT__CLIENT_INFO__SDK__SWIFT); /* first wins */
    assert_int_equal(jr->reconnect_reason, 0);
    livekit__join_request__free_unpacked(jr, NULL);

    const char *names[] = {"dotnet", "unreal", "esp32", "unityweb", "reactnative", "cpp", "zzz"};
    const int want[] = {15, 13, 14, 11, 7, 10, 0};
    for (size_t i = 0; i < 7; i++) {
        char q2[64];
        snprintf(q2, sizeof q2, "sdk=%s", names[i]);
        assert_int_equal(joinreq_from_query_v0(q2, &jr, NULL), 0);
        assert_int_equal(jr->client_info->sdk, want[i]);
        livekit__join_request__free_unpacked(jr, NULL);
    }
}

static char *attr_param(const char *json, bool url, bool padded)
{
    size_t n = strlen(json);
    char *s = malloc(b64_encoded_len(n, padded) + 1);
    b64_encode((const uint8_t *)json, n, s, url, padded);
    return s;
}

static void test_v0_attributes(void **state)
{
    (void)state;
    char q[512];
    char *a = attr_param("{\"a\":\"1\",\"b\":\"x y\",\"c\":\"\"}", true, true);
    /* '=' padding percent-encoded, as URLSearchParams does. */
    char *eq = strchr(a, '=');
    if (eq)
        *eq = '\0';
    snprintf(q, sizeof q, "sdk=js&attributes=%s%s", a, eq ? "%3D%3D" : "");
    free(a);
    Livekit__JoinRequest *jr = NULL;
    const char *why = NULL;
    assert_int_equal(joinreq_from_query_v0(q, &jr, &why), 0);
    assert_int_equal(jr->n_participant_attributes, 3);
    int seen = 0;
    for (size_t i = 0; i < jr->n_participant_attributes; i++) {
        const char *k = jr->participant_attributes[i]->key;
        const char *v = jr->participant_attributes[i]->value;
        if (strcmp(k, "a") == 0 && strcmp(v, "1") == 0)
            seen |= 1;
        if (strcmp(k, "b") == 0 && strcmp(v, "x y") == 0)
            seen |= 2;
        if (strcmp(k, "c") == 0 && strcmp(v, "") == 0)
            seen |= 4;
    }
    assert_int_equal(seen, 7);
    livekit__join_request__free_unpacked(jr, NULL);

    /* null is an empty map. */
    a = attr_param("null", true, false);
    snprintf(q, sizeof q, "attributes=%s", a);
    free(a);
    assert_int_equal(joinreq_from_query_v0(q, &jr, &why), 0);
    assert_int_equal(jr->n_participant_attributes, 0);
    livekit__join_request__free_unpacked(jr, NULL);

    const char *bad[] = {"{\"a\":1}", "{\"a\":\"1\",\"b\":[]}", "[\"a\"]", "{broken", "\"s\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = attr_param(bad[i], true, false);
        snprintf(q, sizeof q, "sdk=js&attributes=%s", a);
        free(a);
        jr = (void *)1;
        assert_int_equal(joinreq_from_query_v0(q, &jr, &why), DC_EINVAL);
        assert_null(jr);
        assert_string_equal(why, "cannot decode attributes");
    }
    assert_int_equal(joinreq_from_query_v0("attributes=***", &jr, &why), DC_EINVAL);
    assert_string_equal(why, "cannot decode attributes");
    assert_int_equal(joinreq_from_query_v0("os=%FF%FE", &jr, &why), DC_EINVAL);
    assert_string_equal(why, "invalid UTF-8 in query parameters");
    assert_null(jr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_variants),    cmocka_unit_test(test_uncompressed),
        cmocka_unit_test(test_empty_and_garbage), cmocka_unit_test(test_truncated_join),
        cmocka_unit_test(test_bad_gzip),          cmocka_unit_test(test_gzip_bomb),
        cmocka_unit_test(test_gzip_limit_exact),  cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_v0_node),           cmocka_unit_test(test_v0_defaults_and_js),
        cmocka_unit_test(test_v0_attributes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
