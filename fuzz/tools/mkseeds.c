/* mkseeds.c: writes the binary seed inputs of fuzz/corpus/ (STUN messages,
 * WebSocket frames, protobuf messages, signed tokens, scripts for the
 * stateful targets).  Run from the repository root after `make`:
 *
 *   cc -std=c11 -D_GNU_SOURCE -I. -Ibuild/gen fuzz/tools/mkseeds.c build/rel/libdcsfu.a \
 *      $(pkg-config --cflags --libs libprotobuf-c libjwt jansson zlib) \
 *      -lmbedtls -lmbedx509 -lmbedcrypto -o build/mkseeds && build/mkseeds
 *
 * Text seeds (SDP offers, HTTP requests, YAML, Twirp JSON) are plain files
 * written by hand.  The output is deterministic except for token signatures
 * (none: HS256 is deterministic) and is committed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "common/b64.h"
#include "signaling/auth.h"
#include "transport/dcep.h"
#include "transport/stun.h"
#include "livekit_models.pb-c.h"
#include "livekit_rtc.pb-c.h"
#include "livekit_room.pb-c.h"

#define UFRAG "fuzzufrag0000000"
#define PWD "fuzzpassword00000000000000000000"

static void put(const char *target, const char *name, const void *d, size_t n)
{
    char path[512];
    mkdir("fuzz/corpus", 0755);
    snprintf(path, sizeof path, "fuzz/corpus/%s", target);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "fuzz/corpus/%s/%s", target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

static size_t pack(const ProtobufCMessage *m, uint8_t *out)
{
    return protobuf_c_message_pack(m, out);
}

/* ---- script builder ---- */
struct script {
    uint8_t b[1 << 17];
    size_t n;
};
static void s_u8(struct script *s, uint8_t v) { s->b[s->n++] = v; }
static void s_bytes(struct script *s, const void *d, size_t n)
{
    s_u8(s, (uint8_t)(n >> 8));
    s_u8(s, (uint8_t)n);
    memcpy(s->b + s->n, d, n);
    s->n += n;
}
static void s_msg(struct script *s, uint8_t op, int slot, const ProtobufCMessage *m)
{
    static uint8_t buf[1 << 16];
    s_u8(s, op);
    if (slot >= 0)
        s_u8(s, (uint8_t)slot);
    s_bytes(s, buf, pack(m, buf));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    char *b = malloc(1 << 18);
    size_t n = fread(b, 1, (1 << 18) - 1, f);
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;
}

/* ---- STUN ---- */
static void stun_seeds(void)
{
    uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t b[1500];
    struct stun_binding_opts o = {.username = UFRAG ":remoteufrag", .priority = 0x6e7f1eff,
                                  .role = STUN_ROLE_CONTROLLING, .tiebreaker = 42,
                                  .use_candidate = true};
    put("stun", "binding-use-candidate",
        b, stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)PWD, strlen(PWD)));
    o.use_candidate = false;
    put("stun", "binding-check",
        b, stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)PWD, strlen(PWD)));
    o.role = STUN_ROLE_CONTROLLED;
    put("stun", "binding-controlled",
        b, stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)PWD, strlen(PWD)));
    o.username = "otherufrag:remoteufrag";
    put("stun", "binding-wrong-user",
        b, stun_build_binding_request(b, sizeof b, tid, &o, (const uint8_t *)PWD, strlen(PWD)));
    /* an unknown comprehension-required attribute (answered 420) */
    struct stun_writer w;
    stun_writer_init(&w, b, sizeof b, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, UFRAG ":remoteufrag", strlen(UFRAG ":remoteufrag"));
    stun_writer_u32(&w, 0x0033, 7);
    stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLING, 9);
    stun_writer_integrity(&w, (const uint8_t *)PWD, strlen(PWD));
    stun_writer_fingerprint(&w);
    put("stun", "binding-unknown-attr", b, stun_writer_finish(&w));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(50000)};
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
    put("stun", "success-response",
        b, stun_build_binding_success(b, sizeof b, tid, (struct sockaddr *)&a,
                                      (const uint8_t *)PWD, strlen(PWD)));
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(50000)};
    inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
    put("stun", "success-response-v6",
        b, stun_build_binding_success(b, sizeof b, tid, (struct sockaddr *)&a6, NULL, 0));
    uint16_t unk[2] = {0x0033, 0x0044};
    put("stun", "error-420",
        b, stun_build_error(b, sizeof b, tid, STUN_METHOD_BINDING, 420, unk, 2,
                            (const uint8_t *)PWD, strlen(PWD)));
    stun_writer_init(&w, b, sizeof b, stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION), tid);
    stun_writer_fingerprint(&w);
    put("stun", "indication", b, stun_writer_finish(&w));
}

/* ---- WebSocket ---- */
static size_t ws_frame(uint8_t *out, int fin, int op, const void *d, size_t n)
{
    static const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
    size_t o = 0;
    out[o++] = (uint8_t)((fin ? 0x80 : 0) | op);
    if (n < 126) {
        out[o++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        out[o++] = 0x80 | 126;
        out[o++] = (uint8_t)(n >> 8);
        out[o++] = (uint8_t)n;
    } else {
        out[o++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[o++] = (uint8_t)(n >> (8 * i));
    }
    memcpy(out + o, mask, 4);
    o += 4;
    for (size_t i = 0; i < n; i++)
        out[o + i] = ((const uint8_t *)d)[i] ^ mask[i & 3];
    return o + n;
}

static void ws_seeds(void)
{
    static uint8_t b[1 << 17];
    size_t n;
    b[0] = 0, b[1] = 16; /* no split, 1 KiB limit */
    n = 2;
    n += ws_frame(b + n, 1, 2, "\x0a\x02\x08\x01", 4);
    n += ws_frame(b + n, 1, 1, "hello", 5);
    n += ws_frame(b + n, 1, 9, "p", 1);
    n += ws_frame(b + n, 1, 8, "\x03\xe8" "bye", 5);
    put("ws", "messages-ping-close", b, n);
    b[0] = 3, b[1] = 1;
    n = 2;
    n += ws_frame(b + n, 0, 1, "frag", 4);
    n += ws_frame(b + n, 1, 9, "", 0);
    n += ws_frame(b + n, 0, 0, "ment", 4);
    n += ws_frame(b + n, 1, 0, "ed", 2);
    n += ws_frame(b + n, 1, 2, "close", 5);
    n += ws_frame(b + n, 1, 8, "\x03\xe8", 2);
    put("ws", "fragments-split", b, n);
    static uint8_t big[300];
    memset(big, 'x', sizeof big);
    b[0] = 0, b[1] = 3;
    n = 2;
    n += ws_frame(b + n, 1, 2, big, sizeof big);
    put("ws", "too-big-16bit-length", b, n);
    b[0] = 7, b[1] = 0;
    n = 2;
    n += ws_frame(b + n, 1, 1, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11);
    n += ws_frame(b + n, 1, 10, "pong", 4);
    n += ws_frame(b + n, 1, 8, "", 0);
    put("ws", "utf8-pong-close", b, n);
}

/* ---- join requests ---- */
static size_t gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z = {0};
    deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    z.next_in = (uint8_t *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    size_t o = z.total_out;
    deflateEnd(&z);
    return o;
}

static Livekit__JoinRequest *join_request(const char *offer)
{
    static Livekit__JoinRequest jr = LIVEKIT__JOIN_REQUEST__INIT;
    static Livekit__ClientInfo ci = LIVEKIT__CLIENT_INFO__INIT;
    static Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
    ci.sdk = LIVEKIT__CLIENT_INFO__SDK__JS;
    ci.version = "2.23.0";
    ci.protocol = 16;
    ci.client_protocol = 1;
    ci.os = "Linux";
    ci.browser = "Chrome";
    jr.client_info = &ci;
    if (offer) {
        sd.type = "offer";
        sd.sdp = (char *)offer;
        sd.id = 1;
        jr.publisher_offer = &sd;
    } else {
        jr.publisher_offer = NULL;
    }
    return &jr;
}

static void joinreq_seeds(const char *offer)
{
    static uint8_t raw[1 << 17], gz[1 << 17], wrapped[1 << 17];
    static char text[1 << 18];
    for (int compress = 0; compress < 2; compress++) {
        size_t n = pack(&join_request(offer)->base, raw);
        Livekit__WrappedJoinRequest w = LIVEKIT__WRAPPED_JOIN_REQUEST__INIT;
        if (compress) {
            w.compression = LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP;
            w.join_request.data = gz;
            w.join_request.len = gzip(raw, n, gz, sizeof gz);
        } else {
            w.join_request.data = raw;
            w.join_request.len = n;
        }
        size_t wn = pack(&w.base, wrapped);
        text[0] = 0;
        b64_encode(wrapped, wn, text + 1, true, false);
        size_t tn = strlen(text + 1);
        put("joinreq", compress ? "v1-gzip-offer" : "v1-plain-offer", text, tn + 1);
        if (compress) {
            /* the same as an /rtc/v1 query parameter for the http target */
            static char req[1 << 18];
            int k = snprintf(req, sizeof req,
                             "%cGET /rtc/v1?join_request=%s&access_token=x HTTP/1.1\r\n"
                             "Host: localhost:7880\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                             0, text + 1);
            put("http", "rtc-v1-upgrade", req, (size_t)k);
        }
    }
    const char *v0 = "\x01" "access_token=tok&auto_subscribe=1&sdk=js&version=2.5.0&protocol=15"
                     "&os=Linux&browser=Chrome&adaptive_stream=1&network=wifi"
                     "&capabilities=CAP_PACKET_TRAILER,CAP_NOPE&attributes=eyJhIjoiMSJ9";
    put("joinreq", "v0-query", v0, strlen(v0));
}

/* ---- tokens ---- */
static void token_seeds(void)
{
    static const struct {
        const char *name, *claims, *secret;
    } t[] = {
        {"join", "{\"iss\":\"devkey\",\"sub\":\"alice\",\"exp\":1900003600,\"nbf\":1899990000,"
                 "\"name\":\"Alice\",\"video\":{\"roomJoin\":true,\"room\":\"r\","
                 "\"canPublishData\":true,\"canUpdateOwnMetadata\":true}}",
         "secret"},
        {"full", "{\"iss\":\"devkey\",\"sub\":\"bob\",\"jti\":\"j\",\"exp\":1900003600,"
                 "\"metadata\":\"{}\",\"kind\":\"agent\",\"attributes\":{\"a\":\"1\"},"
                 "\"sha256\":\"abc\",\"roomConfig\":{\"name\":\"r\",\"emptyTimeout\":10},"
                 "\"video\":{\"roomAdmin\":true,\"roomList\":true,\"roomCreate\":true,"
                 "\"hidden\":true,\"canPublishSources\":[\"camera\",\"microphone\"],"
                 "\"canSubscribe\":false}}",
         "secret"},
        {"k2", "{\"iss\":\"k2\",\"sub\":\"c\",\"exp\":1900003600}",
         "a-much-longer-secret-for-the-second-key"},
        {"expired", "{\"iss\":\"devkey\",\"sub\":\"alice\",\"exp\":1800000000}", "secret"},
        {"wrong-secret", "{\"iss\":\"devkey\",\"sub\":\"alice\",\"exp\":1900003600}", "nope"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char *tok = auth_sign(t[i].claims, t[i].secret);
        if (!tok)
            exit(1);
        put("token", t[i].name, tok, strlen(tok));
        free(tok);
    }
    const char *none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJkZXZrZXkiLCJleHAiOjE5MDAwMDM2MDB9.";
    put("token", "alg-none", none, strlen(none));
}

/* ---- DCEP ---- */
static void dcep_seeds(void)
{
    uint8_t b[256];
    struct dcep_open o = {DCEP_CHANNEL_RELIABLE, DCEP_PRIORITY_NORMAL, 0, "_reliable", 9, NULL, 0};
    put("dcep", "open-reliable", b, (size_t)dcep_build_open(&o, b, sizeof b));
    o = (struct dcep_open){DCEP_CHANNEL_REXMIT_UNORDERED, DCEP_PRIORITY_NORMAL, 0, "_lossy", 6,
                           "proto", 5};
    put("dcep", "open-lossy", b, (size_t)dcep_build_open(&o, b, sizeof b));
    o = (struct dcep_open){DCEP_CHANNEL_TIMED, 128, 3000, "timed", 5, NULL, 0};
    put("dcep", "open-timed", b, (size_t)dcep_build_open(&o, b, sizeof b));
    put("dcep", "ack", b, (size_t)dcep_build_ack(b, sizeof b));
}

/* ---- signal requests ---- */
static void signal_seeds(const char *offer)
{
    static struct script s;
    Livekit__SignalRequest r = LIVEKIT__SIGNAL_REQUEST__INIT;

    Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
    sd.type = "offer";
    sd.sdp = (char *)offer;
    sd.id = 1;
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_OFFER;
    r.offer = &sd;
    s.n = 0;
    s_msg(&s, 0, 0, &r.base);
    s_u8(&s, 6), s_u8(&s, 0);
    Livekit__TrickleRequest tr = LIVEKIT__TRICKLE_REQUEST__INIT;
    tr.candidateinit = "{\"candidate\":\"candidate:1 1 udp 2122260223 10.0.0.2 51234 typ host\","
                       "\"sdpMid\":\"6\",\"sdpMLineIndex\":6}";
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_TRICKLE;
    r.trickle = &tr;
    s_msg(&s, 1, 0, &r.base);
    put("signal", "offer-trickle", s.b, s.n);

    s.n = 0;
    Livekit__UpdateParticipantMetadata um = LIVEKIT__UPDATE_PARTICIPANT_METADATA__INIT;
    Livekit__UpdateParticipantMetadata__AttributesEntry e1 =
        LIVEKIT__UPDATE_PARTICIPANT_METADATA__ATTRIBUTES_ENTRY__INIT;
    Livekit__UpdateParticipantMetadata__AttributesEntry e2 =
        LIVEKIT__UPDATE_PARTICIPANT_METADATA__ATTRIBUTES_ENTRY__INIT;
    e1.key = "color", e1.value = "blue";
    e2.key = "gone", e2.value = "";
    Livekit__UpdateParticipantMetadata__AttributesEntry *ents[] = {&e1, &e2};
    um.metadata = "{\"x\":1}";
    um.name = "Bobby";
    um.attributes = ents;
    um.n_attributes = 2;
    um.request_id = 7;
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_UPDATE_METADATA;
    r.update_metadata = &um;
    s_msg(&s, 2, 1, &r.base);
    s_msg(&s, 2, 0, &r.base); /* alice may not */
    s_u8(&s, 4), s_u8(&s, 0x01), s_u8(&s, 0x00); /* 256 ms */
    put("signal", "update-metadata", s.b, s.n);

    s.n = 0;
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING;
    r.ping = 1900000000000LL;
    s_msg(&s, 3, 0, &r.base);
    Livekit__Ping pr = LIVEKIT__PING__INIT;
    pr.timestamp = 1900000000000LL;
    pr.rtt = 20;
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING_REQ;
    r.ping_req = &pr;
    s_msg(&s, 0, 2, &r.base);
    Livekit__LeaveRequest lr = LIVEKIT__LEAVE_REQUEST__INIT;
    lr.reason = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED;
    r.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_LEAVE;
    r.leave = &lr;
    s_msg(&s, 1, 1, &r.base);
    s_u8(&s, 5), s_u8(&s, 2);                      /* carol's connection is lost */
    s_u8(&s, 4), s_u8(&s, 0xff), s_u8(&s, 0xff);   /* time passes */
    put("signal", "ping-leave-lost", s.b, s.n);

    s.n = 0;
    s_msg(&s, 7, 1, &join_request(offer)->base); /* bob joins again with an offer */
    s_u8(&s, 6), s_u8(&s, 1);
    Livekit__JoinRequest *jr = join_request(NULL);
    jr->reconnect = true;
    s_msg(&s, 7, 2, &jr->base);                  /* a resume is refused */
    jr->reconnect = false;
    put("signal", "rejoin", s.b, s.n);
}

/* ---- data packets ---- */
static void data_seeds(void)
{
    static struct script s;
    Livekit__DataPacket dp = LIVEKIT__DATA_PACKET__INIT;
    Livekit__UserPacket up = LIVEKIT__USER_PACKET__INIT;
    up.payload.data = (uint8_t *)"hello";
    up.payload.len = 5;
    up.topic_opt_case = LIVEKIT__USER_PACKET__TOPIC_OPT_TOPIC;
    up.topic = "chat";
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.user = &up;
    dp.sequence = 1;
    dp.participant_identity = "spoofed";
    s.n = 0;
    s_u8(&s, 0), s_u8(&s, 0), s_u8(&s, 0);       /* alice, reliable */
    static uint8_t buf[1 << 16];
    s_bytes(&s, buf, pack(&dp.base, buf));
    char *dests[] = {"bob"};
    up.destination_identities = dests;
    up.n_destination_identities = 1;
    dp.destination_identities = dests;
    dp.n_destination_identities = 1;
    dp.sequence = 2;
    s_u8(&s, 1), s_u8(&s, 0), s_u8(&s, 1);       /* alice, lossy, to bob */
    s_bytes(&s, buf, pack(&dp.base, buf));
    s_u8(&s, 2), s_u8(&s, 2), s_u8(&s, 0);       /* carol may not publish */
    s_bytes(&s, buf, pack(&dp.base, buf));
    put("data", "user-packets", s.b, s.n);

    s.n = 0;
    up.destination_identities = NULL;
    up.n_destination_identities = 0;
    dp.destination_identities = NULL;
    dp.n_destination_identities = 0;
    s_u8(&s, 5), s_u8(&s, 1);                    /* receivers back up */
    for (uint32_t i = 1; i <= 4; i++) {
        dp.sequence = i;
        s_u8(&s, 0), s_u8(&s, 1), s_u8(&s, 0);
        s_bytes(&s, buf, pack(&dp.base, buf));
    }
    s_u8(&s, 4), s_u8(&s, 2), s_u8(&s, 0);       /* carol's reliable channel closes */
    s_u8(&s, 5), s_u8(&s, 0);
    s_u8(&s, 6), s_u8(&s, 0);                    /* writable again */
    s_u8(&s, 4), s_u8(&s, 2), s_u8(&s, 2);       /* and reopens */
    put("data", "backpressure-queue", s.b, s.n);

    s.n = 0;
    Livekit__ChatMessage cm = LIVEKIT__CHAT_MESSAGE__INIT;
    cm.id = "m1";
    cm.timestamp = 1900000000000LL;
    cm.message = "hi";
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_CHAT_MESSAGE;
    dp.chat_message = &cm;
    dp.sequence = 9;
    s_u8(&s, 0), s_u8(&s, 1), s_u8(&s, 0);
    s_bytes(&s, buf, pack(&dp.base, buf));
    Livekit__RpcRequest rq = LIVEKIT__RPC_REQUEST__INIT;
    rq.id = "rpc1";
    rq.method = "greet";
    rq.payload = "{}";
    rq.response_timeout_ms = 5000;
    rq.version = 1;
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_RPC_REQUEST;
    dp.rpc_request = &rq;
    dp.destination_identities = dests;
    dp.n_destination_identities = 1;
    dp.sequence = 10;
    s_u8(&s, 3), s_u8(&s, 0), s_u8(&s, 0);
    s_bytes(&s, buf, pack(&dp.base, buf));
    Livekit__SendDataRequest sr = LIVEKIT__SEND_DATA_REQUEST__INIT;
    sr.room = "r";
    sr.data.data = (uint8_t *)"from server";
    sr.data.len = 11;
    sr.kind = LIVEKIT__DATA_PACKET__KIND__RELIABLE;
    sr.topic_opt_case = LIVEKIT__SEND_DATA_REQUEST__TOPIC_OPT_TOPIC;
    sr.topic = "t";
    sr.nonce.data = (uint8_t *)"0123456789abcdef";
    sr.nonce.len = 16;
    s_msg(&s, 7, -1, &sr.base);
    s_msg(&s, 7, -1, &sr.base);                  /* duplicate nonce */
    put("data", "chat-rpc-senddata", s.b, s.n);

    s.n = 0;
    s_u8(&s, 5), s_u8(&s, 4);                    /* batched sends */
    dp.value_case = LIVEKIT__DATA_PACKET__VALUE_USER;
    dp.destination_identities = NULL;
    dp.n_destination_identities = 0;
    for (uint32_t i = 20; i < 24; i++) {
        dp.sequence = i;
        s_u8(&s, 0), s_u8(&s, (uint8_t)(i & 1)), s_u8(&s, (uint8_t)(i & 1));
        s_bytes(&s, buf, pack(&dp.base, buf));
    }
    s_u8(&s, 6), s_u8(&s, 1);                    /* end of the loop turn */
    s_u8(&s, 5), s_u8(&s, 5);                    /* batched, receivers backed up */
    s_u8(&s, 0), s_u8(&s, 0), s_u8(&s, 0);
    dp.sequence = 30;
    s_bytes(&s, buf, pack(&dp.base, buf));
    s_u8(&s, 6), s_u8(&s, 2);
    put("data", "batched", s.b, s.n);
}

/* ---- DTLS + SCTP scripts ---- */
/* Each script twice: dcsfu on its native SCTP stack, and on usrsctp. */
static void put_dtls(const char *name, const uint8_t *d, size_t n)
{
    static uint8_t b[1 << 17];
    char alt[128];
    memcpy(b + 1, d, n);
    b[0] = 0;
    put("dtls_sctp", name, b, n + 1);
    b[0] = 1;
    snprintf(alt, sizeof alt, "%s-usrsctp", name);
    put("dtls_sctp", alt, b, n + 1);
}
static void dtls_seeds(void)
{
    static struct script s;
    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, 0);                             /* handshake datagrams delivered */
    s_u8(&s, 4), s_u8(&s, 0);
    s_bytes(&s, "hello", 5);
    s_u8(&s, 5), s_u8(&s, 1);
    s_bytes(&s, "back", 4);
    for (int i = 0; i < 16; i++)
        s_u8(&s, 0);
    put_dtls("clean-exchange", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, i % 5 == 2 ? 3 : 0);            /* some handshake datagrams dropped */
    s_u8(&s, 7), s_u8(&s, 20);                   /* 2 s pass */
    put_dtls("handshake-loss", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, 0);
    /* HEARTBEAT chunk with a heartbeat-info parameter */
    static const uint8_t hb[] = {4, 0, 0, 12, 0, 1, 0, 8, 'p', 'i', 'n', 'g'};
    s_u8(&s, 6);
    s_bytes(&s, hb, sizeof hb);
    /* DATA chunk: stream 5, PPID 50, a DCEP OPEN (TSN guessed) */
    uint8_t d[64] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 50};
    struct dcep_open o = {DCEP_CHANNEL_RELIABLE, DCEP_PRIORITY_NORMAL, 0, "x", 1, NULL, 0};
    int on = dcep_build_open(&o, d + 16, sizeof d - 16);
    d[3] = (uint8_t)(16 + on);
    s_u8(&s, 6);
    s_bytes(&s, d, (size_t)(16 + on + 3) & ~(size_t)3);
    for (int i = 0; i < 16; i++)
        s_u8(&s, 0);
    put_dtls("raw-sctp-chunks", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, 0);
    s_u8(&s, 4), s_u8(&s, 0x81), s_u8(&s, 0), s_u8(&s, 5); /* the client opens stream 5 */
    s_bytes(&s, "chat", 4);
    for (int i = 0; i < 8; i++)
        s_u8(&s, 0);
    s_u8(&s, 4), s_u8(&s, 0xc0), s_u8(&s, 0), s_u8(&s, 5); /* and closes it */
    for (int i = 0; i < 8; i++)
        s_u8(&s, 0);
    s_u8(&s, 4), s_u8(&s, 0xa0);                          /* then shuts SCTP down */
    for (int i = 0; i < 8; i++)
        s_u8(&s, 0);
    put_dtls("channels-shutdown", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, 0);
    static const uint8_t abort_chunk[] = {6, 0, 0, 4};
    s_u8(&s, 6);
    s_bytes(&s, abort_chunk, sizeof abort_chunk);
    put_dtls("raw-abort", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 48; i++)
        s_u8(&s, 0);
    s_u8(&s, 5), s_u8(&s, 0x80);                          /* dcsfu closes */
    for (int i = 0; i < 8; i++)
        s_u8(&s, 0);
    put_dtls("server-close", s.b, s.n);

    s.n = 0;
    for (int i = 0; i < 10; i++)
        s_u8(&s, 0);
    s_u8(&s, 4), s_u8(&s, 0x10), s_u8(&s, 0x00), s_u8(&s, 0x55); /* a flipped byte */
    s_u8(&s, 7);                                                  /* an injected datagram */
    s_bytes(&s, "\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 13);
    s_u8(&s, 5), s_u8(&s, 0x00), s_u8(&s, 0x20);                  /* a truncated one */
    s_u8(&s, 6);                                                  /* a duplicate */
    put_dtls("mangled", s.b, s.n);
}

int main(void)
{
    size_t n;
    char *offer = slurp("tests/unit/fixtures/offer_chromium_v1.sdp", &n);
    stun_seeds();
    ws_seeds();
    joinreq_seeds(offer);
    token_seeds();
    dcep_seeds();
    signal_seeds(offer);
    data_seeds();
    dtls_seeds();
    free(offer);
    return 0;
}
