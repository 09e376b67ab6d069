/* twirp.c: fuzz target for the Twirp RoomService (server/room_service.c,
 * rs_methods.c) and its JSON codec (signaling/pbjson.c).
 *
 * Input: byte 0 picks the method (the nine implemented ones, one that is
 * not, and an unknown name) and, in bit 7, the body encoding (JSON or
 * protobuf); the rest is the request body.  The request carries a valid
 * admin token for devkey; the room "r" has the three participants of
 * fuzz_rm.h.  JSON bodies are also decoded and re-encoded directly by
 * pbjson for two message types (decode(encode(decode(x))) must succeed). */
#include <protobuf-c/protobuf-c.h>

#include "fuzz/fuzz_rm.h"
#include "server/room_service.h"
#include "signaling/auth.h"
#include "signaling/pbjson.h"

static char *bearer;

static const char *const METHODS[] = {
    "CreateRoom",        "ListRooms",          "DeleteRoom",
    "ListParticipants",  "GetParticipant",     "RemoveParticipant",
    "UpdateParticipant", "SendData",           "UpdateRoomMetadata",
    "MutePublishedTrack", "NoSuchMethod",
};
#define N_METHODS (sizeof METHODS / sizeof *METHODS)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *tok = auth_sign("{\"iss\":\"devkey\",\"sub\":\"admin\",\"exp\":2000000000,"
                          "\"video\":{\"roomCreate\":true,\"roomList\":true,"
                          "\"roomAdmin\":true,\"room\":\"r\"}}",
                          "secret");
    if (!tok)
        __builtin_trap();
    size_t n = strlen(tok) + 8;
    bearer = util_malloc(n);
    snprintf(bearer, n, "Bearer %s", tok);
    free(tok);
    return 0;
}

static void roundtrip(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t len)
{
    char err[128];
    ProtobufCMessage *m = pbjson_decode(d, (const char *)b, len, err, sizeof err);
    if (!m)
        return;
    for (int flags = 0; flags < 4; flags++) {
        char *j = pbjson_encode(m, flags);
        if (!j)
            __builtin_trap();
        ProtobufCMessage *m2 = pbjson_decode(d, j, strlen(j), err, sizeof err);
        if (!m2)
            __builtin_trap(); /* what we encode we must read back */
        protobuf_c_message_free_unpacked(m2, NULL);
        free(j);
    }
    protobuf_c_message_free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!bearer)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    fuzz_rm_start();
    const char *method = METHODS[(data[0] & 0x7f) % N_METHODS];
    bool json = !(data[0] & 0x80);
    struct http_header h[2] = {
        {"Authorization", bearer},
        {"Content-Type", json ? "application/json" : "application/protobuf"},
    };
    struct http_request q = {.method = "POST", .headers = h, .n_headers = 2, .http_major = 1,
                             .http_minor = 1};
    q.url = q.path = "/twirp/livekit.RoomService/x";
    q.query = "";
    /* The reader hands bodies with a NUL after them. */
    uint8_t *body = util_malloc(size);
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    q.body = size > 1 ? body : NULL;
    q.body_len = size - 1;
    struct room_service_reply out = {0};
    room_service_handle(F.rm, &q, method, F.now, &out);
    if (out.status < 200 || out.status > 599 || !out.content_type)
        __builtin_trap();
    room_service_reply_clear(&out);
    rm_tick(F.rm, F.now + 1000);
    if (json) {
        roundtrip(&livekit__update_participant_request__descriptor, body, size - 1);
        roundtrip(&livekit__send_data_request__descriptor, body, size - 1);
    }
    free(body);
    fuzz_rm_stop();
    return 0;
}
