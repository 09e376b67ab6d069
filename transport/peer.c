#include "transport/peer.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "transport/dtls.h"
#include "transport/ice_lite.h"
#include "transport/peer_sctp.h"
#include "transport/stun.h"

/* A peer that never gets its connection up within this long has failed. */
#define SETUP_TIMEOUT_MS 30000
#define NO_STREAM 0xffffffffu

struct peer {
    const struct cert *cert;
    struct peer_config cfg;
    const struct peer_callbacks *cb;
    void *ctx;
    struct ice_lite ice;
    struct dtls *dtls;
    struct peer_sctp sctp;
    uint64_t now_ms;           /* the clock of the current call, for SCTP */
    uint8_t remote_fp[CERT_FP_LEN];
    uint32_t remote_max_message;
    uint32_t stream[2];        /* SCTP stream of _reliable, _lossy */
    uint64_t answered_ms;
    bool connected, failed, closed;
    bool handshake_held;       /* may_handshake said not yet */
};

static void peer_fail(struct peer *p, enum peer_failure why)
{
    if (p->failed || p->closed)
        return;
    p->failed = true;
    p->cb->on_failed(p->ctx, why);
}

/* ---------- SCTP ---------- */

static void sctp_cb_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct peer *p = ctx;
    if (p->dtls && !p->failed)
        dtls_send(p->dtls, pkt, len);
}

static void sctp_cb_open(void *ctx)
{
    struct peer *p = ctx;
    LOGD("peer", "sctp association up", "ufrag=%s", p->ice.cur.ufrag);
}

static int label_kind(const char *label)
{
    if (!strcmp(label, "_reliable"))
        return PEER_RELIABLE;
    if (!strcmp(label, "_lossy"))
        return PEER_LOSSY;
    return -1;
}

static void sctp_cb_channel(void *ctx, uint16_t stream, const char *label, const char *protocol,
                            int type, uint32_t reliability)
{
    (void)protocol;
    (void)type;
    (void)reliability;
    struct peer *p = ctx;
    int kind = label_kind(label);
    LOGD("peer", "data channel open", "label=%s stream=%u", label, stream);
    if (kind < 0 || p->failed || p->closed)
        return;
    p->stream[kind] = stream;
    p->cb->on_channel(p->ctx, kind, true);
}

static int stream_kind(const struct peer *p, uint16_t stream)
{
    for (int k = 0; k < 2; k++)
        if (p->stream[k] == stream)
            return k;
    return -1;
}

static void sctp_cb_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data,
                            size_t len)
{
    struct peer *p = ctx;
    int kind = stream_kind(p, stream);
    if (kind < 0 || p->failed || p->closed)
        return;
    if (ppid != 53 && ppid != 57) /* LiveKit data is binary; strings are dropped */
        return;
    p->cb->on_message(p->ctx, kind, data, len);
}

static void sctp_cb_channel_closed(void *ctx, uint16_t stream)
{
    struct peer *p = ctx;
    int kind = stream_kind(p, stream);
    if (kind < 0)
        return;
    p->stream[kind] = NO_STREAM;
    if (!p->failed && !p->closed)
        p->cb->on_channel(p->ctx, kind, false);
}

static void sctp_cb_closed(void *ctx, int reason)
{
    struct peer *p = ctx;
    LOGD("peer", "sctp association ended", "reason=%d", reason);
    peer_fail(p, PEER_FAIL_SCTP);
}

static void sctp_cb_writable(void *ctx)
{
    struct peer *p = ctx;
    if (!p->failed && !p->closed && p->cb->on_writable)
        p->cb->on_writable(p->ctx);
}

static const struct sctp_callbacks sctp_cbs = {
    .send = sctp_cb_send,
    .on_open = sctp_cb_open,
    .on_channel = sctp_cb_channel,
    .on_message = sctp_cb_message,
    .on_channel_closed = sctp_cb_channel_closed,
    .on_closed = sctp_cb_closed,
    .on_writable = sctp_cb_writable,
};

/* ---------- DTLS ---------- */

static void dtls_cb_send(void *ctx, const uint8_t *data, size_t len)
{
    struct peer *p = ctx;
    if (p->ice.selected)
        p->cb->send(p->ctx, (const struct sockaddr *)&p->ice.selected_addr, data, len);
}

static void dtls_cb_connected(void *ctx)
{
    struct peer *p = ctx;
    LOGD("peer", "dtls connected", "cipher=%s srtp=%u", dtls_cipher_suite(p->dtls),
         dtls_srtp_profile(p->dtls));
    p->connected = true;
    if (peer_sctp_open(&p->sctp, p->cfg.sctp_impl, &sctp_cbs, p, p->cfg.max_message_size,
                       p->remote_max_message, p->now_ms) < 0) {
        peer_fail(p, PEER_FAIL_SCTP);
        return;
    }
    p->cb->on_connected(p->ctx);
}

static void dtls_cb_data(void *ctx, const uint8_t *data, size_t len)
{
    struct peer *p = ctx;
    peer_sctp_feed(&p->sctp, data, len, p->now_ms);
}

static void dtls_cb_closed(void *ctx, int reason)
{
    struct peer *p = ctx;
    LOGI("peer", "dtls ended", "reason=%s", dtls_close_reason_str(reason));
    peer_fail(p, reason == DTLS_CLOSE_NOTIFY ? PEER_FAIL_DTLS_CLOSED : PEER_FAIL_DTLS);
}

static const struct dtls_callbacks dtls_cbs = {
    .send = dtls_cb_send,
    .on_connected = dtls_cb_connected,
    .on_data = dtls_cb_data,
    .on_closed = dtls_cb_closed,
};

/* ---------- the peer ---------- */

struct peer *peer_new(const struct cert *cert, const struct peer_config *cfg,
                      const struct peer_callbacks *cb, void *ctx)
{
    struct peer *p = util_calloc(1, sizeof *p);
    p->cert = cert;
    p->cfg = *cfg;
    p->cb = cb;
    p->ctx = ctx;
    p->stream[0] = p->stream[1] = NO_STREAM;
    ice_lite_init(&p->ice);
    return p;
}

void peer_free(struct peer *p)
{
    if (!p)
        return;
    if (p->dtls && !p->failed)
        dtls_close(p->dtls);
    peer_sctp_free(&p->sctp);
    dtls_free(p->dtls);
    free(p);
}

void peer_sctp_stats(const struct peer *p, struct sctp_stats *out)
{
    peer_sctp_counters(&p->sctp, out);
}

void peer_close(struct peer *p)
{
    /* The close_notify goes out from peer_free, outside any callback. */
    p->closed = true;
}

const char *peer_ufrag(const struct peer *p)
{
    return p->ice.cur.ufrag;
}

/* The offer's data section and DTLS identity. */
static int offer_check(const struct sdp_offer *o, const char **why)
{
    const struct sdp_section *data = NULL;
    for (size_t i = 0; i < o->n_sections; i++)
        if (o->sections[i].is_datachannel && !o->sections[i].rejected)
            data = &o->sections[i];
    if (!data) {
        *why = "offer has no data channel section";
        return DC_EPROTO;
    }
    if (!o->fingerprint_supported || o->fingerprint_len != CERT_FP_LEN) {
        *why = "offer needs a sha-256 fingerprint";
        return DC_EPROTO;
    }
    return 0;
}

/* The peer's a=max-message-size (0: no limit, taken as 256 KiB). */
static uint32_t offer_max_message(const struct sdp_offer *o)
{
    uint32_t m = o->sections[o->data_index].max_message_size;
    return m ? m : 262144;
}

char *peer_answer(struct peer *p, uint64_t now_ms, const char *offer, size_t len,
                  const struct sdp_candidate *cands, size_t n_cands, const char **why)
{
    struct sdp_offer o;
    if (sdp_parse_offer(offer, len, &o, why) < 0)
        return NULL;
    char *answer = NULL;
    if (offer_check(&o, why) < 0)
        goto out;
    /* RFC 8839 4.4.1.1.1: a new ice-ufrag or ice-pwd is a restart. */
    bool restart = p->ice.cur.remote_ufrag[0] &&
                   (strcmp(p->ice.cur.remote_ufrag, o.ice_ufrag) ||
                    strcmp(p->ice.cur.remote_pwd, o.ice_pwd ? o.ice_pwd : ""));
    if (restart)
        ice_lite_restart(&p->ice);
    if (ice_lite_set_remote(&p->ice, o.ice_ufrag, o.ice_pwd) < 0) {
        *why = "bad ICE credentials in the offer";
        goto out;
    }
    if (!p->dtls)
        memcpy(p->remote_fp, o.fingerprint, CERT_FP_LEN);
    p->remote_max_message = offer_max_message(&o);
    struct sdp_answer_params ap = {
        .ice_ufrag = p->ice.cur.ufrag,
        .ice_pwd = p->ice.cur.pwd,
        .fingerprint = cert_fingerprint(p->cert),
        .candidates = cands,
        .n_candidates = n_cands,
        .max_message_size = p->cfg.max_message_size,
    };
    util_random_bytes(&ap.session_id, sizeof ap.session_id);
    ap.session_id &= 0x3fffffffffffffffull;
    ap.session_version = 2;
    answer = sdp_build_answer(&o, &ap);
    if (!answer)
        *why = "cannot answer the offer";
    if (!p->answered_ms)
        p->answered_ms = now_ms ? now_ms : 1;
out:
    sdp_offer_free(&o);
    return answer;
}

static void start_dtls(struct peer *p, uint64_t now_ms)
{
    p->dtls = dtls_new(p->cert, p->remote_fp, CERT_FP_LEN, &dtls_cbs, p);
    if (!p->dtls || dtls_start(p->dtls, now_ms) < 0)
        peer_fail(p, PEER_FAIL_DTLS);
}

void peer_start_handshake(struct peer *p, uint64_t now_ms)
{
    if (!p->handshake_held || p->dtls || p->failed || p->closed)
        return;
    p->handshake_held = false;
    p->now_ms = now_ms;
    start_dtls(p, now_ms);
}

static void on_stun(struct peer *p, uint64_t now_ms, const struct sockaddr *from,
                    const uint8_t *data, size_t len)
{
    uint8_t resp[512];
    enum ice_event ev = ICE_NONE;
    int n = ice_lite_on_stun(&p->ice, now_ms, data, len, from, resp, sizeof resp, &ev);
    if (n > 0)
        p->cb->send(p->ctx, from, resp, (size_t)n);
    if (ev == ICE_NONE)
        return;
    p->cb->on_address(p->ctx, (const struct sockaddr *)&p->ice.selected_addr);
    if (p->dtls || p->handshake_held || p->failed || p->closed)
        return;
    if (p->cb->may_handshake && !p->cb->may_handshake(p->ctx))
        p->handshake_held = true;
    else
        start_dtls(p, now_ms);
}

void peer_on_datagram(struct peer *p, uint64_t now_ms, const struct sockaddr *from,
                      const uint8_t *data, size_t len)
{
    p->now_ms = now_ms;
    if (p->failed || p->closed || len == 0)
        return;
    if (data[0] <= 3) {
        on_stun(p, now_ms, from, data, len);
    } else if (data[0] >= 20 && data[0] <= 63) {
        /* DTLS only to and from the address ICE validated. */
        if (p->dtls && p->ice.selected &&
            ice_lite_addr_equal(from, (const struct sockaddr *)&p->ice.selected_addr))
            dtls_feed(p->dtls, now_ms, data, len);
    }
}

int peer_send(struct peer *p, int kind, const uint8_t *data, size_t len)
{
    if (p->failed || p->closed || !peer_sctp_exists(&p->sctp) || kind < 0 || kind > 1 ||
        p->stream[kind] == NO_STREAM)
        return DC_ECLOSED;
    if (kind == PEER_LOSSY) {
        size_t cap;
        if (peer_sctp_buffered(&p->sctp, &cap) > cap / 2)
            return DC_EAGAIN;
    }
    return peer_sctp_send(&p->sctp, (uint16_t)p->stream[kind], len ? 53 : 57, data, len);
}

void peer_hold(struct peer *p, bool hold)
{
    if (!p->failed && !p->closed)
        peer_sctp_hold(&p->sctp, hold);
}

void peer_flush(struct peer *p, uint64_t now_ms)
{
    if (p->failed || p->closed)
        return;
    p->now_ms = now_ms;
    peer_sctp_flush(&p->sctp, now_ms);
}

void peer_tick_sctp(struct peer *p, uint64_t now_ms)
{
    if (p->failed || p->closed)
        return;
    p->now_ms = now_ms;
    peer_sctp_tick(&p->sctp, now_ms);
}

uint64_t peer_next_sctp_timer(const struct peer *p)
{
    return p->failed || p->closed ? UINT64_MAX : peer_sctp_next_timer(&p->sctp);
}

uint64_t peer_tick(struct peer *p, uint64_t now_ms)
{
    p->now_ms = now_ms;
    if (p->failed || p->closed)
        return UINT64_MAX;
    if (p->dtls) {
        int64_t t = dtls_timeout_ms(p->dtls);
        if (t >= 0 && (uint64_t)t <= now_ms)
            dtls_on_timer(p->dtls, now_ms);
    }
    if (p->ice.selected && ice_lite_consent_expired(&p->ice, now_ms, p->cfg.consent_timeout_ms))
        peer_fail(p, PEER_FAIL_CONSENT);
    else if (!p->connected && p->answered_ms && now_ms - p->answered_ms > SETUP_TIMEOUT_MS)
        peer_fail(p, p->ice.selected ? PEER_FAIL_DTLS : PEER_FAIL_CONSENT);
    return now_ms + 1000;
}
