/* Unit tests for signaling/pbjson: proto3 JSON <-> protobuf-c on the LiveKit
 * messages, in the forms livekit-server-sdk sends them. */
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "livekit_models.pb-c.h"
#include "livekit_room.pb-c.h"
#include "signaling/pbjson.h"

static char errbuf[256];

static ProtobufCMessage *dec(const ProtobufCMessageDescriptor *d, const char *json)
{
    errbuf[0] = 'X';
    errbuf[1] = '\0';
    ProtobufCMessage *m = pbjson_decode(d, json, strlen(json), errbuf, sizeof errbuf);
    if (!m)
        print_message("decode error: %s\n", errbuf);
    else
        assert_string_equal(errbuf, "");
    return m;
}

/* Decoding must fail with an error message containing `want`. */
static void dec_fails(const ProtobufCMessageDescriptor *d, const char *json, const char *want)
{
    ProtobufCMessage *m = pbjson_decode(d, json, strlen(json), errbuf, sizeof errbuf);
    if (m) {
        protobuf_c_message_free_unpacked(m, NULL);
        fail_msg("decoded %s but expected error \"%s\"", json, want);
    }
    if (!strstr(errbuf, want))
        fail_msg("error \"%s\" does not contain \"%s\" (input %s)", errbuf, want, json);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" not in %s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle))
        fail_msg("\"%s\" unexpectedly in %s", needle, hay);
}

#define DEC(type, desc, json) ((type *)dec(&(desc), (json)))

/* ------------------------------------------------------------ SDK requests */

static void test_send_data_sdk(void **state)
{
    (void)state;
    Livekit__SendDataRequest *r = DEC(Livekit__SendDataRequest, livekit__send_data_request__descriptor,
        "{\"room\":\"r1\",\"data\":\"aGk=\",\"topic\":\"t\",\"destinationIdentities\":[\"b\"],"
        "\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}");
    assert_non_null(r);
    assert_string_equal(r->room, "r1");
    assert_int_equal(r->data.len, 2);
    assert_memory_equal(r->data.data, "hi", 2);
    assert_int_equal(r->kind, LIVEKIT__DATA_PACKET__KIND__RELIABLE);
    assert_int_equal(r->topic_opt_case, LIVEKIT__SEND_DATA_REQUEST__TOPIC_OPT_TOPIC);
    assert_string_equal(r->topic, "t");
    assert_int_equal(r->n_destination_identities, 1);
    assert_string_equal(r->destination_identities[0], "b");
    assert_int_equal(r->n_destination_sids, 0);
    assert_int_equal(r->nonce.len, 16);
    static const uint8_t zero[16];
    assert_memory_equal(r->nonce.data, zero, 16);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    r = DEC(Livekit__SendDataRequest, livekit__send_data_request__descriptor,
            "{\"room\":\"r1\",\"data\":\"aGk=\",\"kind\":\"LOSSY\"}");
    assert_non_null(r);
    assert_int_equal(r->kind, LIVEKIT__DATA_PACKET__KIND__LOSSY);
    assert_int_equal(r->topic_opt_case, LIVEKIT__SEND_DATA_REQUEST__TOPIC_OPT__NOT_SET);
    assert_int_equal(r->nonce.len, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* enums by number; URL-safe and unpadded base64 */
    r = DEC(Livekit__SendDataRequest, livekit__send_data_request__descriptor,
            "{\"kind\":1,\"data\":\"-_8\",\"nonce\":\"aGk\"}");
    assert_non_null(r);
    assert_int_equal(r->kind, 1);
    assert_int_equal(r->data.len, 2);
    assert_int_equal(r->data.data[0], 0xfb);
    assert_int_equal(r->data.data[1], 0xff);
    assert_int_equal(r->nonce.len, 2);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void check_update_participant(Livekit__UpdateParticipantRequest *r)
{
    assert_non_null(r);
    assert_string_equal(r->room, "r1");
    assert_string_equal(r->identity, "u");
    assert_string_equal(r->metadata, "x");
    assert_string_equal(r->name, "n");
    assert_non_null(r->permission);
    assert_true(r->permission->can_subscribe);
    assert_true(r->permission->can_publish_data);
    assert_false(r->permission->can_publish);
    assert_int_equal(r->n_attributes, 1);
    assert_string_equal(r->attributes[0]->key, "a");
    assert_string_equal(r->attributes[0]->value, "b");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_update_participant(void **state)
{
    (void)state;
    check_update_participant(DEC(Livekit__UpdateParticipantRequest,
        livekit__update_participant_request__descriptor,
        "{\"room\":\"r1\",\"identity\":\"u\",\"metadata\":\"x\",\"permission\":{\"canSubscribe\":true,"
        "\"canPublishData\":true},\"name\":\"n\",\"attributes\":{\"a\":\"b\"}}"));
    check_update_participant(DEC(Livekit__UpdateParticipantRequest,
        livekit__update_participant_request__descriptor,
        "{\"room\":\"r1\",\"identity\":\"u\",\"metadata\":\"x\",\"permission\":{\"can_subscribe\":true,"
        "\"can_publish_data\":true},\"name\":\"n\",\"attributes\":{\"a\":\"b\"}}"));
}

static void test_create_room_numbers(void **state)
{
    (void)state;
    Livekit__CreateRoomRequest *r = DEC(Livekit__CreateRoomRequest,
        livekit__create_room_request__descriptor,
        "{\"name\":\"r\",\"emptyTimeout\":300,\"departureTimeout\":\"20\",\"maxParticipants\":1e1,"
        "\"min_playout_delay\":\"4294967295\",\"maxPlayoutDelay\":7.0,\"syncStreams\":true,"
        "\"tags\":{\"x\":\"y\",\"z\":\"\"},\"egress\":{},\"agents\":[{\"agentName\":\"a\"}],"
        "\"unknownField\":{\"deep\":[1,2,{\"x\":null}]},\"Name\":1}");
    assert_non_null(r);
    assert_string_equal(r->name, "r");
    assert_int_equal(r->empty_timeout, 300);
    assert_int_equal(r->departure_timeout, 20);
    assert_int_equal(r->max_participants, 10);
    assert_int_equal(r->min_playout_delay, 4294967295u);
    assert_int_equal(r->max_playout_delay, 7);
    assert_true(r->sync_streams);
    assert_int_equal(r->n_tags, 2);
    assert_string_equal(r->tags[1]->key, "z");
    assert_string_equal(r->tags[1]->value, "");
    assert_non_null(r->egress);
    assert_int_equal(r->n_agents, 1);
    assert_string_equal(r->agents[0]->agent_name, "a");
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* null means default, for every kind of field */
    r = DEC(Livekit__CreateRoomRequest, livekit__create_room_request__descriptor,
            "{\"name\":null,\"emptyTimeout\":null,\"tags\":null,\"egress\":null,\"agents\":null}");
    assert_non_null(r);
    assert_string_equal(r->name, "");
    assert_null(r->egress);
    assert_int_equal(r->n_tags, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* empty object */
    r = DEC(Livekit__CreateRoomRequest, livekit__create_room_request__descriptor, " {} ");
    assert_non_null(r);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_integer_ranges(void **state)
{
    (void)state;
    Livekit__TimedVersion *v = DEC(Livekit__TimedVersion, livekit__timed_version__descriptor,
        "{\"unixMicro\":\"-9223372036854775808\",\"ticks\":-2147483648}");
    assert_non_null(v);
    assert_true(v->unix_micro == INT64_MIN);
    assert_int_equal(v->ticks, INT32_MIN);
    protobuf_c_message_free_unpacked(&v->base, NULL);
    v = DEC(Livekit__TimedVersion, livekit__timed_version__descriptor,
            "{\"unixMicro\":9223372036854775807,\"ticks\":\"2147483647\"}");
    assert_non_null(v);
    assert_true(v->unix_micro == INT64_MAX);
    assert_int_equal(v->ticks, INT32_MAX);
    protobuf_c_message_free_unpacked(&v->base, NULL);

    Livekit__TranscriptionSegment *s = DEC(Livekit__TranscriptionSegment,
        livekit__transcription_segment__descriptor,
        "{\"startTime\":\"18446744073709551615\",\"endTime\":\"-0\"}");
    assert_non_null(s);
    assert_true(s->start_time == UINT64_MAX);
    assert_true(s->end_time == 0);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    const ProtobufCMessageDescriptor *tv = &livekit__timed_version__descriptor;
    dec_fails(tv, "{\"ticks\":2147483648}", "field \"ticks\": integer out of range for int32");
    dec_fails(tv, "{\"ticks\":\"-2147483649\"}", "integer out of range for int32");
    dec_fails(tv, "{\"ticks\":1.5}", "field \"ticks\": expected integer");
    dec_fails(tv, "{\"ticks\":\"1.5\"}", "expected integer");
    dec_fails(tv, "{\"ticks\":\" 1\"}", "invalid int32 string");
    dec_fails(tv, "{\"ticks\":\"0x10\"}", "invalid int32 string");
    dec_fails(tv, "{\"ticks\":\"\"}", "invalid int32 string");
    dec_fails(tv, "{\"ticks\":true}", "field \"ticks\": expected number");
    dec_fails(tv, "{\"unixMicro\":\"9223372036854775808\"}", "integer out of range for int64");
    dec_fails(tv, "{\"unixMicro\":\"99999999999999999999999\"}", "integer out of range for int64");
    dec_fails(tv, "{\"unixMicro\":1e300}", "integer out of range for int64");
    const ProtobufCMessageDescriptor *cr = &livekit__create_room_request__descriptor;
    dec_fails(cr, "{\"maxParticipants\":-1}", "field \"maxParticipants\": integer out of range for uint32");
    dec_fails(cr, "{\"maxParticipants\":4294967296}", "integer out of range for uint32");
    dec_fails(cr, "{\"maxParticipants\":\"abc\"}", "field \"maxParticipants\": invalid uint32 string");
    dec_fails(cr, "{\"maxParticipants\":[1]}", "field \"maxParticipants\": expected number");
    dec_fails(&livekit__transcription_segment__descriptor, "{\"startTime\":\"-1\"}",
              "integer out of range for uint64");
    dec_fails(&livekit__transcription_segment__descriptor,
              "{\"startTime\":\"18446744073709551616\"}", "integer out of range for uint64");
}

static void test_floats(void **state)
{
    (void)state;
    Livekit__SpeakerInfo si = LIVEKIT__SPEAKER_INFO__INIT;
    si.sid = "PA_x";
    si.level = 0.3f;
    char *j = pbjson_encode(&si.base, 0);
    assert_string_equal(j, "{\"sid\":\"PA_x\",\"level\":0.3}");
    free(j);
    si.level = INFINITY;
    j = pbjson_encode(&si.base, 0);
    assert_contains(j, "\"level\":\"Infinity\"");
    free(j);

    Livekit__SpeakerInfo *d = DEC(Livekit__SpeakerInfo, livekit__speaker_info__descriptor,
                                  "{\"level\":\"NaN\"}");
    assert_non_null(d);
    assert_true(d->level != d->level);
    protobuf_c_message_free_unpacked(&d->base, NULL);
    d = DEC(Livekit__SpeakerInfo, livekit__speaker_info__descriptor, "{\"level\":\"-Infinity\"}");
    assert_non_null(d);
    assert_true(d->level < -3.4e38f);
    protobuf_c_message_free_unpacked(&d->base, NULL);
    d = DEC(Livekit__SpeakerInfo, livekit__speaker_info__descriptor, "{\"level\":\"2.5e-1\"}");
    assert_non_null(d);
    assert_true(d->level == 0.25f);
    protobuf_c_message_free_unpacked(&d->base, NULL);
    d = DEC(Livekit__SpeakerInfo, livekit__speaker_info__descriptor, "{\"level\":2}");
    assert_non_null(d);
    assert_true(d->level == 2.0f);
    protobuf_c_message_free_unpacked(&d->base, NULL);

    const ProtobufCMessageDescriptor *sd = &livekit__speaker_info__descriptor;
    dec_fails(sd, "{\"level\":1e39}", "field \"level\": number out of range for float");
    dec_fails(sd, "{\"level\":\"inf\"}", "invalid float string");
    dec_fails(sd, "{\"level\":false}", "expected number");
}

/* ------------------------------------------------------------ round trips */

static uint8_t *pack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_int_equal(protobuf_c_message_pack(m, buf), *len);
    return buf;
}

/* encode -> decode -> pack must give the bytes of the original, with every
 * flag combination. */
static void round_trip(const ProtobufCMessage *m)
{
    size_t n0, n1;
    uint8_t *b0 = pack(m, &n0);
    for (int flags = 0; flags < 4; flags++) {
        char *j = pbjson_encode(m, flags);
        assert_non_null(j);
        ProtobufCMessage *back = pbjson_decode(m->descriptor, j, strlen(j), errbuf, sizeof errbuf);
        if (!back)
            fail_msg("re-decode of %s failed: %s", j, errbuf);
        uint8_t *b1 = pack(back, &n1);
        assert_int_equal(n0, n1);
        assert_memory_equal(b0, b1, n0);
        free(b1);
        protobuf_c_message_free_unpacked(back, NULL);
        free(j);
    }
    free(b0);
}

static void test_round_trip_room(void **state)
{
    (void)state;
    Livekit__Room room = LIVEKIT__ROOM__INIT;
    Livekit__Codec c1 = LIVEKIT__CODEC__INIT, c2 = LIVEKIT__CODEC__INIT;
    Livekit__Codec *codecs[] = { &c1, &c2 };
    Livekit__TimedVersion ver = LIVEKIT__TIMED_VERSION__INIT;
    c1.mime = "video/VP8";
    c2.mime = "audio/opus";
    c2.fmtp_line = "minptime=10;useinbandfec=1";
    ver.unix_micro = 1700000000123456;
    ver.ticks = 3;
    room.sid = "RM_abcdefghijkl";
    room.name = "r1";
    room.empty_timeout = 300;
    room.max_participants = 100;
    room.creation_time = 1700000000;
    room.creation_time_ms = 1700000000123;
    room.n_enabled_codecs = 2;
    room.enabled_codecs = codecs;
    room.metadata = "{\"k\":\"v\\n\"}\t\x01";
    room.num_participants = 2;
    room.active_recording = 1;
    room.version = &ver;
    round_trip(&room.base);

    char *j = pbjson_encode(&room.base, 0);
    assert_string_equal(j,
        "{\"sid\":\"RM_abcdefghijkl\",\"name\":\"r1\",\"emptyTimeout\":300,\"maxParticipants\":100,"
        "\"creationTime\":\"1700000000\",\"enabledCodecs\":[{\"mime\":\"video/VP8\"},"
        "{\"mime\":\"audio/opus\",\"fmtpLine\":\"minptime=10;useinbandfec=1\"}],"
        "\"metadata\":\"{\\\"k\\\":\\\"v\\\\n\\\"}\\t\\u0001\",\"numParticipants\":2,"
        "\"activeRecording\":true,\"version\":{\"unixMicro\":\"1700000000123456\",\"ticks\":3},"
        "\"creationTimeMs\":\"1700000000123\"}");
    free(j);
    j = pbjson_encode(&room.base, PBJSON_PROTO_NAMES);
    assert_contains(j, "\"creation_time_ms\":\"1700000000123\"");
    assert_contains(j, "\"enabled_codecs\":[");
    assert_contains(j, "\"fmtp_line\":");
    free(j);
}

static void test_round_trip_participant(void **state)
{
    (void)state;
    Livekit__ParticipantInfo p = LIVEKIT__PARTICIPANT_INFO__INIT;
    Livekit__ParticipantPermission perm = LIVEKIT__PARTICIPANT_PERMISSION__INIT;
    Livekit__ParticipantInfo__AttributesEntry a1 = LIVEKIT__PARTICIPANT_INFO__ATTRIBUTES_ENTRY__INIT;
    Livekit__ParticipantInfo__AttributesEntry a2 = LIVEKIT__PARTICIPANT_INFO__ATTRIBUTES_ENTRY__INIT;
    Livekit__ParticipantInfo__AttributesEntry *attrs[] = { &a1, &a2 };
    Livekit__TrackSource sources[] = { LIVEKIT__TRACK_SOURCE__CAMERA,
                                       LIVEKIT__TRACK_SOURCE__MICROPHONE };
    Livekit__ParticipantInfo__KindDetail details[] = { LIVEKIT__PARTICIPANT_INFO__KIND_DETAIL__FORWARDED,
                                                       (Livekit__ParticipantInfo__KindDetail)42 };
    Livekit__ClientInfo__Capability caps[] = { LIVEKIT__CLIENT_INFO__CAPABILITY__CAP_PACKET_TRAILER };
    Livekit__DataTrackInfo dt = LIVEKIT__DATA_TRACK_INFO__INIT;
    Livekit__DataTrackInfo *dts[] = { &dt };
    a1.key = "role";
    a1.value = "host";
    a2.key = "emoji \xf0\x9f\x98\x80";
    a2.value = "";
    perm.can_subscribe = 1;
    perm.can_publish_data = 1;
    perm.n_can_publish_sources = 2;
    perm.can_publish_sources = sources;
    dt.pub_handle = 7;
    dt.sid = "DTR_x";
    p.sid = "PA_abcdefghijkl";
    p.identity = "alice";
    p.state = LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE;
    p.metadata = "m";
    p.joined_at = 1700000000;
    p.joined_at_ms = -5;
    p.name = "Alice";
    p.version = 4;
    p.permission = &perm;
    p.is_publisher = 1;
    p.kind = LIVEKIT__PARTICIPANT_INFO__KIND__AGENT;
    p.n_attributes = 2;
    p.attributes = attrs;
    p.disconnect_reason = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED;
    p.n_kind_details = 2;
    p.kind_details = details;
    p.n_data_tracks = 1;
    p.data_tracks = dts;
    p.client_protocol = -1;
    p.n_capabilities = 1;
    p.capabilities = caps;
    round_trip(&p.base);

    char *j = pbjson_encode(&p.base, 0);
    assert_contains(j, "\"state\":\"ACTIVE\"");
    assert_contains(j, "\"joinedAt\":\"1700000000\"");
    assert_contains(j, "\"joinedAtMs\":\"-5\"");
    assert_contains(j, "\"permission\":{\"canSubscribe\":true,\"canPublishData\":true,"
                       "\"canPublishSources\":[\"CAMERA\",\"MICROPHONE\"]}");
    assert_contains(j, "\"kind\":\"AGENT\"");
    assert_contains(j, "\"attributes\":{\"role\":\"host\",\"emoji \xf0\x9f\x98\x80\":\"\"}");
    assert_contains(j, "\"kindDetails\":[\"FORWARDED\",42]");
    assert_contains(j, "\"dataTracks\":[{\"pubHandle\":7,\"sid\":\"DTR_x\"}]");
    assert_contains(j, "\"capabilities\":[\"CAP_PACKET_TRAILER\"]");
    assert_contains(j, "\"clientProtocol\":-1");
    assert_contains(j, "\"disconnectReason\":\"CLIENT_INITIATED\"");
    assert_lacks(j, "tracks\":[]");
    free(j);
}

static void test_round_trip_oneof(void **state)
{
    (void)state;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    Livekit__UserPacket up = LIVEKIT__USER_PACKET__INIT;
    uint8_t payload[] = { 0, 1, 2, 250, 255 };
    char *dests[] = { "b", "c" };
    dp.kind = LIVEKIT__DATA_PACKET__KIND__LOSSY;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &up;
    up.payload.data = payload;
    up.payload.len = sizeof payload;
    up.n_destination_identities = 2;
    up.destination_identities = dests;
    up.topic_opt_case = LIVEKIT__USER_PACKET__TOPIC_OPT_TOPIC;
    up.topic = "";
    up.start_time_opt_case = LIVEKIT__USER_PACKET__START_TIME_OPT_START_TIME;
    up.start_time = 0;
    round_trip(&dp.base);
    char *j = pbjson_encode(&dp.base, 0);
    assert_string_equal(j, "{\"kind\":\"LOSSY\",\"user\":{\"payload\":\"AAEC+v8=\",\"topic\":\"\","
                           "\"destinationIdentities\":[\"b\",\"c\"],\"startTime\":\"0\"}}");
    free(j);
    /* an empty oneof message member is still emitted */
    Livekit__ActiveSpeakerUpdate asu = LIVEKIT__ACTIVE_SPEAKER_UPDATE__INIT;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_SPEAKER;
    dp.speaker = &asu;
    j = pbjson_encode(&dp.base, 0);
    assert_string_equal(j, "{\"kind\":\"LOSSY\",\"speaker\":{}}");
    free(j);
    round_trip(&dp.base);
}

static void test_emit_defaults(void **state)
{
    (void)state;
    Livekit__Room room = LIVEKIT__ROOM__INIT;
    char *j = pbjson_encode(&room.base, 0);
    assert_string_equal(j, "{}");
    free(j);
    j = pbjson_encode(&room.base, PBJSON_EMIT_DEFAULTS);
    assert_string_equal(j,
        "{\"sid\":\"\",\"name\":\"\",\"emptyTimeout\":0,\"maxParticipants\":0,\"creationTime\":\"0\","
        "\"turnPassword\":\"\",\"enabledCodecs\":[],\"metadata\":\"\",\"numParticipants\":0,"
        "\"activeRecording\":false,\"numPublishers\":0,\"departureTimeout\":0,"
        "\"creationTimeMs\":\"0\"}");
    free(j);

    Livekit__ParticipantInfo p = LIVEKIT__PARTICIPANT_INFO__INIT;
    j = pbjson_encode(&p.base, PBJSON_EMIT_DEFAULTS | PBJSON_PROTO_NAMES);
    assert_contains(j, "\"state\":\"JOINING\"");
    assert_contains(j, "\"kind\":\"STANDARD\"");
    assert_contains(j, "\"attributes\":{}");
    assert_contains(j, "\"tracks\":[]");
    assert_contains(j, "\"is_publisher\":false");
    assert_contains(j, "\"joined_at\":\"0\"");
    assert_lacks(j, "permission");
    free(j);

    Livekit__SendDataRequest sd = LIVEKIT__SEND_DATA_REQUEST__INIT;
    j = pbjson_encode(&sd.base, PBJSON_EMIT_DEFAULTS);
    assert_contains(j, "\"data\":\"\"");
    assert_contains(j, "\"kind\":\"RELIABLE\"");
    assert_lacks(j, "topic");
    free(j);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *sd = &livekit__send_data_request__descriptor;
    const ProtobufCMessageDescriptor *up = &livekit__update_participant_request__descriptor;
    dec_fails(sd, "{\"room\":\"r1\",\"kind\":\"FOO\"}", "field \"kind\": unknown enum value \"FOO\"");
    dec_fails(sd, "{\"kind\":\"lossy\"}", "unknown enum value \"lossy\"");
    dec_fails(sd, "{\"kind\":true}", "field \"kind\": expected enum name or number");
    dec_fails(sd, "{\"kind\":2147483648}", "integer out of range for enum");
    dec_fails(sd, "{\"room\":}", "invalid JSON at line 1 column 9: ");
    dec_fails(sd, "{\"room\":\"r\"", "invalid JSON at line 1");
    dec_fails(sd, "", "invalid JSON at line");
    dec_fails(sd, "{\"room\":\"a\",\"room\":\"b\"}", "invalid JSON");
    dec_fails(sd, "[]", "top level must be a JSON object");
    dec_fails(sd, "\"x\"", "top level must be a JSON object");
    dec_fails(sd, "null", "top level must be a JSON object");
    dec_fails(sd, "1", "top level must be a JSON object");
    dec_fails(sd, "{\"room\":1}", "field \"room\": expected string");
    dec_fails(sd, "{\"data\":1}", "field \"data\": expected base64 string");
    dec_fails(sd, "{\"data\":\"!!!!\"}", "field \"data\": invalid base64");
    dec_fails(sd, "{\"nonce\":\"aGk=x\"}", "field \"nonce\": invalid base64");
    dec_fails(sd, "{\"data\":\"aG k=\"}", "invalid base64");
    dec_fails(sd, "{\"destinationIdentities\":\"b\"}", "field \"destinationIdentities\": expected array");
    dec_fails(sd, "{\"destinationIdentities\":[\"a\",1]}",
              "field \"destinationIdentities[1]\": expected string");
    dec_fails(sd, "{\"destination_identities\":[\"a\",null]}",
              "field \"destination_identities[1]\": null is not allowed in an array");
    dec_fails(sd, "{\"destinationIdentities\":[\"a\"],\"destination_identities\":[\"b\"]}",
              "field \"destination_identities\": field is given twice");
    dec_fails(up, "{\"permission\":\"x\"}", "field \"permission\": expected object");
    dec_fails(up, "{\"permission\":{\"canSubscribe\":\"true\"}}",
              "field \"permission.canSubscribe\": expected boolean");
    dec_fails(up, "{\"permission\":{\"canPublishSources\":[\"CAMERA\",\"NOPE\"]}}",
              "field \"permission.canPublishSources[1]\": unknown enum value \"NOPE\"");
    dec_fails(up, "{\"attributes\":[]}", "field \"attributes\": expected object");
    dec_fails(up, "{\"attributes\":{\"a\":1}}", "field \"attributes\": expected string");
    dec_fails(up, "{\"attributes\":{\"a\":\"b\",\"c\":null}}",
              "field \"attributes\": null is not allowed as a map value");
    /* two members of one oneof */
    dec_fails(&livekit__data_packet__descriptor, "{\"user\":{},\"chatMessage\":{}}",
              "field \"chatMessage\": another member of the same oneof is already set");
    /* a null member does not count as set */
    Livekit__DataPacket *dp = DEC(Livekit__DataPacket, livekit__data_packet__descriptor,
                                  "{\"speaker\":null,\"chat_message\":{\"message\":\"hi\"}}");
    assert_non_null(dp);
    assert_int_equal(dp->value_case, LIVEKIT__DATA_PACKET__VALUE_CHAT_MESSAGE);
    assert_string_equal(dp->chat_message->message, "hi");
    protobuf_c_message_free_unpacked(&dp->base, NULL);

    /* errors deep inside a partly built message free everything */
    dec_fails(&livekit__list_rooms_response__descriptor,
              "{\"rooms\":[{\"name\":\"a\",\"enabledCodecs\":[{\"mime\":\"x\"}],\"version\":{}},"
              "{\"name\":\"b\",\"version\":{\"ticks\":\"x\"}}]}",
              "field \"rooms[1].version.ticks\": invalid int32 string");
    dec_fails(&livekit__list_participants_response__descriptor,
              "{\"participants\":[{\"attributes\":{\"a\":\"b\",\"c\":\"d\"},\"kindDetails\":[1,"
              "\"SIMULATION\"],\"permission\":{\"canPublishSources\":[1]}},{\"kind\":\"X\"}]}",
              "field \"participants[1].kind\": unknown enum value \"X\"");

    /* err may be NULL or tiny */
    assert_null(pbjson_decode(sd, "{\"kind\":\"FOO\"}", 14, NULL, 0));
    char tiny[8];
    assert_null(pbjson_decode(sd, "{\"kind\":\"FOO\"}", 14, tiny, sizeof tiny));
    assert_string_equal(tiny, "field \"");
    assert_null(pbjson_decode(NULL, "{}", 2, tiny, sizeof tiny));
    assert_null(pbjson_decode(sd, NULL, 2, errbuf, sizeof errbuf));
    assert_null(pbjson_encode(NULL, 0));
}

/* prefix, `depth` times open, "0", `depth` times close, suffix */
static char *nested(const char *prefix, int depth, const char *open, const char *close,
                    const char *suffix)
{
    size_t lo = strlen(open), lc = strlen(close);
    size_t n = strlen(prefix) + strlen(suffix) + (size_t)depth * (lo + lc) + 2;
    char *s = malloc(n), *p = s;
    p = stpcpy(p, prefix);
    for (int i = 0; i < depth; i++)
        p = stpcpy(p, open);
    p = stpcpy(p, "0");
    for (int i = 0; i < depth; i++)
        p = stpcpy(p, close);
    stpcpy(p, suffix);
    return s;
}

static void test_depth(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *sd = &livekit__send_data_request__descriptor;
    /* the top-level object is depth 1: 31 arrays reach 32 */
    char *s = nested("{\"x\":", 31, "[", "]", "}");
    ProtobufCMessage *m = dec(sd, s);
    assert_non_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
    free(s);
    s = nested("{\"x\":", 32, "[", "]", "}");
    dec_fails(sd, s, "nesting depth exceeds 32");
    free(s);
    s = nested("{\"x\":", 40, "{\"a\":", "}", "}");
    dec_fails(sd, s, "nesting depth exceeds 32");
    free(s);
    s = nested("{\"x\":", 100000, "[", "]", "}");
    dec_fails(sd, s, "invalid JSON");
    free(s);
}

static void test_strings(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *sd = &livekit__send_data_request__descriptor;
    Livekit__SendDataRequest *r = DEC(Livekit__SendDataRequest, livekit__send_data_request__descriptor,
        "{\"room\":\"\\u00e9\\ud83d\\ude00\\\"\\\\/\",\"topic\":\"\"}");
    assert_non_null(r);
    assert_string_equal(r->room, "\xc3\xa9\xf0\x9f\x98\x80\"\\/");
    assert_int_equal(r->topic_opt_case, LIVEKIT__SEND_DATA_REQUEST__TOPIC_OPT_TOPIC);
    assert_string_equal(r->topic, "");
    char *j = pbjson_encode(&r->base, 0);
    assert_string_equal(j, "{\"room\":\"\xc3\xa9\xf0\x9f\x98\x80\\\"\\\\/\",\"topic\":\"\"}");
    free(j);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    dec_fails(sd, "{\"room\":\"a\\u0000b\"}", "field \"room\": string contains a NUL character");
    dec_fails(sd, "{\"destinationIdentities\":[\"\\u0000\"]}", "string contains a NUL character");
    dec_fails(sd, "{\"kind\":\"LOSSY\\u0000\"}", "field \"kind\": unknown enum value");
    /* jansson refuses NUL in object keys (map keys and field names) */
    dec_fails(&livekit__update_participant_request__descriptor,
              "{\"attributes\":{\"a\\u0000\":\"b\"}}", "invalid JSON");
    dec_fails(sd, "{\"ro\\u0000om\":\"x\"}", "invalid JSON");
    dec_fails(sd, "{\"room\":\"\xff\"}", "invalid JSON");
    dec_fails(sd, "{\"room\":\"\xc0\xaf\"}", "invalid JSON");
    dec_fails(sd, "{\"room\":\"\xed\xa0\x80\"}", "invalid JSON");
    dec_fails(sd, "{\"room\":\"\\ud800\"}", "invalid JSON");
    dec_fails(sd, "{\"room\":\"a\nb\"}", "invalid JSON");
    /* NUL byte in the raw text */
    {
        const char raw[] = "{\"room\":\"a\0b\"}";
        assert_null(pbjson_decode(sd, raw, sizeof raw - 1, errbuf, sizeof errbuf));
        assert_contains(errbuf, "invalid JSON");
    }
    /* invalid UTF-8 held in a message comes out repaired, control chars escaped */
    Livekit__SendDataRequest out = LIVEKIT__SEND_DATA_REQUEST__INIT;
    out.room = "a\xff" "b\xc3" "\x1f\xe2\x82\xac\xed\xa0\x80\x7f";
    j = pbjson_encode(&out.base, 0);
    assert_string_equal(j, "{\"room\":\"a\\ufffdb\\ufffd\\u001f\xe2\x82\xac\\ufffd\\ufffd\\ufffd\x7f\"}");
    r = DEC(Livekit__SendDataRequest, livekit__send_data_request__descriptor, j);
    assert_non_null(r);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(j);
}

/* Deterministic mutations of valid inputs: decoding never crashes or leaks,
 * and whatever decodes also encodes and decodes again. */
static void test_mutations(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "{\"room\":\"r1\",\"data\":\"aGk=\",\"kind\":\"LOSSY\",\"topic\":\"t\","
        "\"destinationIdentities\":[\"b\"],\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}",
        "{\"room\":\"r1\",\"identity\":\"u\",\"permission\":{\"canSubscribe\":true,"
        "\"canPublishSources\":[\"CAMERA\",2]},\"attributes\":{\"a\":\"b\",\"c\":\"d\"}}",
        "{\"participants\":[{\"joinedAt\":\"17\",\"attributes\":{\"k\":\"v\"},\"kindDetails\":[1],"
        "\"dataTracks\":[{\"pubHandle\":1}],\"permission\":{}}]}",
    };
    static const ProtobufCMessageDescriptor *descs[] = {
        &livekit__send_data_request__descriptor,
        &livekit__update_participant_request__descriptor,
        &livekit__list_participants_response__descriptor,
    };
    static const char alphabet[] = "{}[]\":,0123456789-eE.\\ntfaluAZ_=+/ \x00\xff\xc3";
    uint32_t rng = 12345;
    char buf[512];
    for (int iter = 0; iter < 6000; iter++) {
        int k = iter % 3;
        size_t n = strlen(seeds[k]);
        memcpy(buf, seeds[k], n);
        for (int e = 0; e < 1 + iter % 4; e++) {
            rng = rng * 1103515245u + 12345u;
            size_t pos = (rng >> 8) % n;
            char ch = alphabet[(rng >> 20) % (sizeof alphabet - 1)];
            if ((rng >> 4) % 3 == 0 && n + 1 < sizeof buf) { /* insert */
                memmove(buf + pos + 1, buf + pos, n - pos);
                n++;
            } else if ((rng >> 4) % 3 == 1 && n > 1) { /* delete */
                memmove(buf + pos, buf + pos + 1, n - pos - 1);
                n--;
                continue;
            }
            buf[pos] = ch;
        }
        ProtobufCMessage *m = pbjson_decode(descs[k], buf, n, errbuf, sizeof errbuf);
        if (!m) {
            assert_true(errbuf[0] != '\0');
            continue;
        }
        char *j = pbjson_encode(m, iter & 3);
        assert_non_null(j);
        ProtobufCMessage *m2 = pbjson_decode(descs[k], j, strlen(j), errbuf, sizeof errbuf);
        if (!m2)
            fail_msg("re-decode of %s failed: %s", j, errbuf);
        protobuf_c_message_free_unpacked(m2, NULL);
        protobuf_c_message_free_unpacked(m, NULL);
        free(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_send_data_sdk),
        cmocka_unit_test(test_update_participant),
        cmocka_unit_test(test_create_room_numbers),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_round_trip_room),
        cmocka_unit_test(test_round_trip_participant),
        cmocka_unit_test(test_round_trip_oneof),
        cmocka_unit_test(test_emit_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
