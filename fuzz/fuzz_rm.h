/* fuzz_rm.h: a room manager with in-memory sinks for the fuzz targets that
 * drive server/ (signal, data, twirp).  Static functions; one include per
 * target.
 *
 * fuzz_rm_start makes a fresh room manager (config defaults plus the key
 * devkey/secret) and joins FUZZ_SLOTS participants: alice, bob (may update
 * her own metadata) and carol (hidden, may not publish data) in room "r".
 * A slot's participant is forgotten when the room manager closes its sink
 * or the target reports the connection lost.  Every response sent to a
 * sink must unpack as a SignalResponse.  fuzz_rm_stop frees everything, so
 * no state survives from one input to the next. */
#ifndef DC_FUZZ_RM_H
#define DC_FUZZ_RM_H

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fuzz/fuzz.h"
#include "server/room_manager.h"
#include "transport/sdp.h"

#define FUZZ_SLOTS 3
#define FUZZ_NOW_MS 1900000000000LL

struct fuzz_slot {
    struct participant *p;
    int closes;
};

static struct fuzz_rm {
    struct config cfg;
    struct rm *rm;
    struct fuzz_slot s[FUZZ_SLOTS];
    int64_t now;
    int send_result;   /* what send_data returns */
    uint64_t signal_out, data_out;
    long holds;        /* hold_data(true) calls minus hold_data(false) */
} F;

static void fz_send(void *sink, const uint8_t *d, size_t n)
{
    (void)sink;
    Livekit__SignalResponse *m = livekit__signal_response__unpack(NULL, n, d);
    if (!m)
        __builtin_trap(); /* the server must send what clients can read */
    livekit__signal_response__free_unpacked(m, NULL);
    F.signal_out++;
}

static void fz_close(void *sink)
{
    struct fuzz_slot *s = sink;
    if (++s->closes > 1)
        __builtin_trap(); /* closed twice */
    s->p = NULL;
}

static int fz_send_data(struct participant *p, int kind, const uint8_t *d, size_t n)
{
    (void)p;
    if (kind != 0 && kind != 1)
        __builtin_trap();
    Livekit__DataPacket *dp = livekit__data_packet__unpack(NULL, n, d);
    if (!dp)
        __builtin_trap(); /* forwarded data must stay a valid DataPacket */
    livekit__data_packet__free_unpacked(dp, NULL);
    if (F.send_result)
        return F.send_result;
    F.data_out++;
    return 0;
}

static void fz_hold_data(struct participant *p, bool hold)
{
    (void)p;
    F.holds += hold ? 1 : -1;
}

/* Answers with the real SDP code, as server/rtc.c does through the peer. */
static char *fz_answer(void *ctx, struct participant *p, const char *offer, size_t len,
                       const char **why)
{
    (void)ctx;
    (void)p;
    struct sdp_offer o;
    char *answer = NULL;
    if (sdp_parse_offer(offer, len, &o, why) == 0) {
        static const struct sdp_candidate cand = {"10.0.0.1", 7882};
        struct sdp_answer_params ap = {
            .ice_ufrag = "fuzzufrag0000000",
            .ice_pwd = "fuzzpassword00000000000000000000",
            .fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                           "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
            .candidates = &cand,
            .n_candidates = 1,
            .max_message_size = 262144,
            .session_id = 1,
            .session_version = 1,
        };
        answer = sdp_build_answer(&o, &ap);
        if (!answer)
            *why = "cannot answer";
    }
    sdp_offer_free(&o);
    return answer;
}

static const struct rm_sink_ops FZ_OPS = {
    .send = fz_send,
    .close = fz_close,
    .send_data = fz_send_data,
    .hold_data = fz_hold_data,
    .answer = fz_answer,
};

static const char *const FZ_NAMES[FUZZ_SLOTS] = {"alice", "bob", "carol"};

/* A join ticket for slot i; req (owned by the ticket) may be NULL. */
static struct join_ticket *fuzz_ticket(int i, Livekit__JoinRequest *req)
{
    struct join_ticket *t = util_calloc(1, sizeof *t);
    kv_init(&t->claims.attributes);
    t->claims.api_key = util_strdup("devkey");
    t->claims.identity = util_strdup(FZ_NAMES[i]);
    t->claims.name = util_strdup(FZ_NAMES[i]);
    t->claims.has_video = true;
    t->claims.video.room_join = true;
    t->claims.video.room = util_strdup("r");
    t->claims.video.hidden = i == 2;
    t->claims.video.can_publish = t->claims.video.can_subscribe = -1;
    t->claims.video.can_publish_data = i == 2 ? 0 : -1;
    t->claims.video.can_update_own_metadata = i == 1 ? 1 : -1;
    t->claims.video.can_subscribe_metrics = t->claims.video.can_manage_agent_session = -1;
    if (!req) {
        req = util_calloc(1, sizeof *req);
        livekit__join_request__init(req);
    }
    t->req = req;
    t->room_name = util_strdup("r");
    return t;
}

static void fuzz_join(int i, Livekit__JoinRequest *req)
{
    struct fuzz_slot *s = &F.s[i];
    if (s->p) { /* a new connection under the same identity replaces the old one */
        rm_signal_lost(F.rm, s->p, F.now);
        s->p = NULL;
    }
    s->closes = 0;
    s->p = rm_join(F.rm, fuzz_ticket(i, req), s, F.now);
    if (s->closes)
        s->p = NULL;
}

static void fuzz_rm_start(void)
{
    fuzz_reset();
    memset(&F, 0, sizeof F);
    config_defaults(&F.cfg);
    F.cfg.keys = util_calloc(1, sizeof *F.cfg.keys);
    F.cfg.keys[0].key = util_strdup("devkey");
    F.cfg.keys[0].secret = util_strdup("secret");
    F.cfg.n_keys = 1;
    F.rm = rm_new(&F.cfg, &FZ_OPS, NULL);
    F.now = FUZZ_NOW_MS;
    for (int i = 0; i < FUZZ_SLOTS; i++)
        fuzz_join(i, NULL);
}

static void fuzz_rm_stop(void)
{
    rm_free(F.rm);
    config_free(&F.cfg);
    memset(&F, 0, sizeof F);
}

#endif
