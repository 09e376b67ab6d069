/* dtls.c: DTLS 1.2 client session on mbedTLS 2.28 with a memory BIO. */
#include "transport/dtls.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include "common/err.h"
#include "common/log.h"
#include "common/tls_params.h"
#include "common/util.h"
#include "transport/dep_mbedtls.h"
#include "transport/dtls_seal.h"

#define HS_TIMEOUT_MIN_MS 1000
#define HS_TIMEOUT_MAX_MS 16000
/* Upper bound on mbedTLS calls per dtls_feed/dtls_on_timer.  Each call
 * consumes at least one record, and a datagram holds at most a few hundred. */
#define PUMP_MAX_ROUNDS 1024

/* One decrypted record at a time for every session: the server is single-
 * threaded and a session's on_data never leads to another session reading. */
static unsigned char dtls_rbuf[MBEDTLS_SSL_IN_CONTENT_LEN];

struct dtls {
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    struct dtls_callbacks cb;
    void *ctx;
    uint8_t remote_fp[CERT_FP_LEN];
    enum dtls_state state;
    bool fp_ok;          /* the verify callback saw a matching leaf */
    bool fp_mismatch;    /* ... or a different one */
    bool in_mbedtls;     /* inside an mbedTLS call (cb->send may run) */
    bool free_pending;   /* dtls_free was called from a callback */
    int depth;           /* nesting of public calls, for deferred free */
    uint16_t srtp_profile;
    uint64_t now_ms;     /* the clock mbedTLS's timer callbacks read */
    int64_t timer_int;   /* absolute deadlines, -1 when cancelled */
    int64_t timer_fin;
    const uint8_t *in;   /* the datagram being fed, NULL once consumed */
    size_t in_len;
    /* Both directions' keys and implicit IVs, exported by mbedTLS during
     * the handshake; they key `seal` (ours) and `open` (the peer's) once it
     * is done, for AES-GCM suites only. */
    uint8_t wkey[32], wiv[DTLS_SEAL_IMPLICIT_IV];
    uint8_t rkey[32], riv[DTLS_SEAL_IMPLICIT_IV];
    size_t key_len;
    struct dtls_seal seal;
    struct dtls_seal open;
    struct dtls_replay replay; /* of the records `open` took */
    uint64_t open_failed;      /* records dropped: bad tag, replayed, malformed */
    size_t max_payload;        /* fixed once connected */
};

/* One sealed record at a time for every session, as with dtls_rbuf. */
static unsigned char dtls_wbuf[MBEDTLS_SSL_OUT_CONTENT_LEN + DTLS_SEAL_OVERHEAD];

/* mbedTLS 2.28 knows no AEAD SRTP profiles; these are the two libwebrtc
 * also accepts. */
static const mbedtls_ssl_srtp_profile srtp_profiles[] = {
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32,
    MBEDTLS_TLS_SRTP_UNSET,
};

/* ---- memory BIO and timer, called by mbedTLS ---- */

static int bio_send(void *p, const unsigned char *buf, size_t len)
{
    struct dtls *d = p;
    if (d->cb.send && !d->free_pending)
        d->cb.send(d->ctx, buf, len);
    return (int)len;
}

static int bio_recv(void *p, unsigned char *buf, size_t cap)
{
    struct dtls *d = p;
    if (!d->in)
        return MBEDTLS_ERR_SSL_WANT_READ;
    /* A datagram larger than mbedTLS's buffer cannot hold valid records;
     * its truncated tail fails to parse and is dropped. */
    size_t n = d->in_len < cap ? d->in_len : cap;
    memcpy(buf, d->in, n);
    d->in = NULL;
    return (int)n;
}

static void timer_set(void *p, uint32_t int_ms, uint32_t fin_ms)
{
    struct dtls *d = p;
    if (fin_ms == 0) {
        d->timer_int = d->timer_fin = -1;
        return;
    }
    d->timer_int = (int64_t)(d->now_ms + int_ms);
    d->timer_fin = (int64_t)(d->now_ms + fin_ms);
}

/* mbedTLS's contract: -1 cancelled, 0 running, 1 intermediate passed, 2 final passed. */
static int timer_get(void *p)
{
    struct dtls *d = p;
    if (d->timer_fin < 0)
        return -1;
    if ((int64_t)d->now_ms >= d->timer_fin)
        return 2;
    if ((int64_t)d->now_ms >= d->timer_int)
        return 1;
    return 0;
}

/* The only check on the peer's certificate: SHA-256 of the leaf's DER must be
 * the fingerprint from the SDP.  Called for each certificate of the chain
 * mbedTLS built, leaf (depth 0) last.  A non-zero return is fatal even with
 * authmode OPTIONAL: mbedTLS sends an alert and the handshake fails. */
static int verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    struct dtls *d = p;
    if (depth != 0)
        return 0;
    uint8_t fp[CERT_FP_LEN];
    if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, fp, 0) != 0 ||
        !util_ct_equal(fp, d->remote_fp, sizeof fp)) {
        d->fp_mismatch = true;
        return MBEDTLS_ERR_X509_FATAL_ERROR;
    }
    d->fp_ok = true;
    *flags = 0; /* self-signed, untrusted, maybe expired: all irrelevant */
    return 0;
}

/* ---- session set-up ---- */

/* The key block is client MAC key, server MAC key, client key, server key,
 * client IV, server IV; we are the client.  AES-GCM has no MAC keys and a
 * 4-byte implicit IV. */
static int export_keys(void *p, const unsigned char *ms, const unsigned char *kb, size_t maclen,
                       size_t keylen, size_t ivlen, const unsigned char client_random[32],
                       const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
    (void)ms, (void)client_random, (void)server_random, (void)prf;
    struct dtls *d = p;
    d->key_len = 0;
    if (maclen != 0 || ivlen != DTLS_SEAL_IMPLICIT_IV || (keylen != 16 && keylen != 32))
        return 0;
    memcpy(d->wkey, kb, keylen);
    memcpy(d->rkey, kb + keylen, keylen);
    memcpy(d->wiv, kb + 2 * keylen, ivlen);
    memcpy(d->riv, kb + 2 * keylen + ivlen, ivlen);
    d->key_len = keylen;
    return 0;
}

static bool suite_is_aes_gcm(int id)
{
    return id == MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
           id == MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ||
           id == MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ||
           id == MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
}

/* Application data goes through dtls_seal both ways from now on when the
 * suite is AES-GCM; the exported key material is wiped either way. */
static void seal_setup(struct dtls *d)
{
    int id = mbedtls_ssl_get_ciphersuite_id(mbedtls_ssl_get_ciphersuite(&d->ssl));
    if (d->key_len && suite_is_aes_gcm(id)) {
        dtls_seal_setkey(&d->seal, d->wkey, d->key_len, d->wiv);
        dtls_seal_setkey(&d->open, d->rkey, d->key_len, d->riv);
    }
    mbedtls_platform_zeroize(d->wkey, sizeof d->wkey);
    mbedtls_platform_zeroize(d->wiv, sizeof d->wiv);
    mbedtls_platform_zeroize(d->rkey, sizeof d->rkey);
    mbedtls_platform_zeroize(d->riv, sizeof d->riv);
    d->key_len = 0;
}

static int configure(struct dtls *d, const struct cert *local)
{
    mbedtls_ssl_config *c = &d->conf;
    int ret = mbedtls_ssl_config_defaults(c, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0)
        return ret;
    mbedtls_ssl_conf_min_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(c, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(c, dep_mbedtls_rng, NULL);
    if (dep_mbedtls_debug_level() > 0)
        mbedtls_ssl_conf_dbg(c, dep_mbedtls_dbg, NULL);
    mbedtls_ssl_conf_ciphersuites(c, tls_params_suites);
    mbedtls_ssl_conf_curves(c, tls_params_curves);
    mbedtls_ssl_conf_authmode(c, MBEDTLS_SSL_VERIFY_OPTIONAL);
    mbedtls_ssl_conf_verify(c, verify_cb, d);
    mbedtls_ssl_conf_extended_master_secret(c, MBEDTLS_SSL_EXTENDED_MS_ENABLED);
    mbedtls_ssl_conf_renegotiation(c, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    mbedtls_ssl_conf_session_tickets(c, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    mbedtls_ssl_conf_handshake_timeout(c, HS_TIMEOUT_MIN_MS, HS_TIMEOUT_MAX_MS);
    mbedtls_ssl_conf_read_timeout(c, 0);
    mbedtls_ssl_conf_export_keys_ext_cb(c, export_keys, d);
    /* Off until the handshake completes: see handshake_done. */
    mbedtls_ssl_conf_dtls_anti_replay(c, MBEDTLS_SSL_ANTI_REPLAY_DISABLED);
    ret = mbedtls_ssl_conf_dtls_srtp_protection_profiles(c, srtp_profiles);
    if (ret == 0)
        ret = mbedtls_ssl_conf_own_cert(c, cert_mbedtls_crt(local), cert_mbedtls_key(local));
    if (ret == 0)
        ret = mbedtls_ssl_setup(&d->ssl, c);
    if (ret != 0)
        return ret;
    mbedtls_ssl_set_mtu(&d->ssl, DTLS_MTU);
    mbedtls_ssl_set_bio(&d->ssl, d, bio_send, bio_recv, NULL);
    mbedtls_ssl_set_timer_cb(&d->ssl, d, timer_set, timer_get);
    return 0;
}

struct dtls *dtls_new(const struct cert *local, const uint8_t *remote_fp, size_t remote_fp_len,
                      const struct dtls_callbacks *cb, void *ctx)
{
    if (!local || !remote_fp || remote_fp_len != CERT_FP_LEN)
        return NULL;
    struct dtls *d = util_calloc(1, sizeof *d);
    mbedtls_ssl_config_init(&d->conf);
    mbedtls_ssl_init(&d->ssl);
    memcpy(d->remote_fp, remote_fp, CERT_FP_LEN);
    if (cb)
        d->cb = *cb;
    d->ctx = ctx;
    d->state = DTLS_NEW;
    d->timer_int = d->timer_fin = -1;
    dtls_seal_init(&d->seal);
    dtls_seal_init(&d->open);
    int ret = configure(d, local);
    if (ret != 0) {
        char msg[128];
        LOGE("dtls", "session set-up failed", "err=%d detail=\"%s\"", ret,
             dep_mbedtls_strerror(ret, msg, sizeof msg));
        dtls_seal_free(&d->seal);
        dtls_seal_free(&d->open);
        mbedtls_ssl_free(&d->ssl);
        mbedtls_ssl_config_free(&d->conf);
        free(d);
        return NULL;
    }
    return d;
}

static void destroy(struct dtls *d)
{
    dtls_seal_free(&d->seal);
    dtls_seal_free(&d->open);
    mbedtls_platform_zeroize(d->wkey, sizeof d->wkey);
    mbedtls_platform_zeroize(d->rkey, sizeof d->rkey);
    mbedtls_ssl_free(&d->ssl);
    mbedtls_ssl_config_free(&d->conf);
    free(d);
}

void dtls_free(struct dtls *d)
{
    if (!d)
        return;
    if (d->depth > 0) { /* called from a callback: finish when the stack unwinds */
        d->free_pending = true;
        d->state = DTLS_CLOSED;
        d->timer_int = d->timer_fin = -1;
        return;
    }
    destroy(d);
}

/* ---- entry/exit of public calls ---- */

static void enter(struct dtls *d, uint64_t now_ms)
{
    d->depth++;
    if (now_ms > d->now_ms)
        d->now_ms = now_ms;
}

/* Returns false if the session was freed (then d is gone). */
static bool leave(struct dtls *d)
{
    if (--d->depth == 0 && d->free_pending) {
        destroy(d);
        return false;
    }
    return true;
}

static bool alive(const struct dtls *d)
{
    return d->state != DTLS_CLOSED && !d->free_pending;
}

/* ---- state changes ---- */

static int close_reason(const struct dtls *d, int ret)
{
    if (d->fp_mismatch)
        return DTLS_CLOSE_FINGERPRINT;
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
        return DTLS_CLOSE_NOTIFY;
    if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
        return DTLS_CLOSE_ALERT;
    if (d->state == DTLS_HANDSHAKING)
        return ret == MBEDTLS_ERR_SSL_TIMEOUT ? DTLS_CLOSE_TIMEOUT : DTLS_CLOSE_HANDSHAKE;
    return DTLS_CLOSE_ERROR;
}

/* Ends the session after mbedTLS error `ret` and tells the owner. */
static void fail(struct dtls *d, int ret)
{
    int reason = close_reason(d, ret);
    char msg[128];
    LOGI("dtls", "session closed", "reason=%s err=%d detail=\"%s\"", dtls_close_reason_str(reason),
         ret, dep_mbedtls_strerror(ret, msg, sizeof msg));
    if (reason == DTLS_CLOSE_NOTIFY) { /* answer in kind (best effort) */
        d->in_mbedtls = true;
        mbedtls_ssl_close_notify(&d->ssl);
        d->in_mbedtls = false;
    }
    d->state = DTLS_CLOSED;
    d->timer_int = d->timer_fin = -1;
    if (d->cb.on_closed)
        d->cb.on_closed(d->ctx, reason);
}

/* The handshake just finished: check what mbedTLS cannot, then announce it. */
static void handshake_done(struct dtls *d)
{
    if (!d->fp_ok) { /* no certificate was verified at all */
        d->fp_mismatch = true;
        d->in_mbedtls = true;
        mbedtls_ssl_send_alert_message(&d->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL,
                                       MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
        d->in_mbedtls = false;
        fail(d, MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE);
        return;
    }
    mbedtls_dtls_srtp_info srtp;
    mbedtls_ssl_get_dtls_srtp_negotiation_result(&d->ssl, &srtp);
    d->srtp_profile = srtp.chosen_dtls_srtp_profile;
    /* mbedTLS marks the sequence numbers of plaintext (epoch 0) records as
     * seen before anything authenticates them, so during the handshake one
     * spoofed record with a huge sequence number would make every genuine
     * record look replayed.  Duplicate handshake records are harmless (the
     * handshake layer orders messages itself), so replay protection starts
     * here, for the authenticated epoch.  The config is this session's own;
     * mbedTLS reads the flag per record. */
    mbedtls_ssl_conf_dtls_anti_replay(&d->conf, MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
    seal_setup(d);
    int max = mbedtls_ssl_get_max_out_record_payload(&d->ssl);
    d->max_payload = max > 0 ? (size_t)max : 0;
    d->state = DTLS_CONNECTED;
    LOGI("dtls", "handshake complete", "suite=%s srtp=0x%04x", mbedtls_ssl_get_ciphersuite(&d->ssl),
         (unsigned)d->srtp_profile);
    if (d->cb.on_connected)
        d->cb.on_connected(d->ctx);
}

/* One mbedTLS step: the handshake, or reading one application record. */
static int step(struct dtls *d)
{
    int ret;
    d->in_mbedtls = true;
    if (d->state == DTLS_HANDSHAKING)
        ret = mbedtls_ssl_handshake(&d->ssl);
    else
        ret = mbedtls_ssl_read(&d->ssl, dtls_rbuf, sizeof dtls_rbuf);
    d->in_mbedtls = false;
    return ret;
}

/* Runs mbedTLS until it has consumed the fed datagram (if any) and every
 * record buffered from it, delivering events as they happen. */
static void pump(struct dtls *d)
{
    for (int i = 0; i < PUMP_MAX_ROUNDS && alive(d); i++) {
        bool handshaking = d->state == DTLS_HANDSHAKING;
        int ret = step(d);
        if (handshaking && ret == 0) {
            handshake_done(d);
            continue;
        }
        if (!handshaking && ret > 0) {
            if (d->cb.on_data)
                d->cb.on_data(d->ctx, dtls_rbuf, (size_t)ret);
            continue;
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE ||
            (!handshaking && ret == MBEDTLS_ERR_SSL_TIMEOUT)) {
            /* mbedTLS returns WANT_READ without reading when it has just
             * retransmitted on an expired timer, and after dropping some
             * records; go on while input remains. */
            if (!handshaking && ret == MBEDTLS_ERR_SSL_TIMEOUT)
                d->timer_int = d->timer_fin = -1;
            if (d->in || mbedtls_ssl_check_pending(&d->ssl))
                continue;
            return;
        }
        fail(d, ret);
        return;
    }
}

/* ---- input screening ---- */

static size_t rd24(const uint8_t *p)
{
    return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/* The handshake fragments of one record: each a 12-byte header (type,
 * length, message_seq, fragment_offset, fragment_length) and its bytes. */
static bool hs_fragments_ok(const uint8_t *b, size_t len)
{
    if (len == 0)
        return false;
    while (len > 0) {
        if (len < 12)
            return false;
        size_t msg_len = rd24(b + 1), off = rd24(b + 6), frag = rd24(b + 9);
        if (off > msg_len || frag > msg_len - off || frag > len - 12)
            return false;
        b += 12 + frag;
        len -= 12 + frag;
    }
    return true;
}

/* mbedTLS 2.28 drops records whose header is bad, but it aborts the
 * handshake on a plaintext (epoch 0) record whose body is malformed: a
 * handshake record with a short or inconsistent fragment header, an alert
 * that is not 2 bytes, a ChangeCipherSpec that is not {1}.  Legitimate peers
 * never send those, nor plaintext application data, so such datagrams are
 * dropped here, before mbedTLS sees them.  Records that do not fit are left
 * to mbedTLS, which discards them. */
static bool plaintext_well_formed(const uint8_t *p, size_t n)
{
    while (n >= 13) {
        uint8_t type = p[0];
        unsigned epoch = (unsigned)p[3] << 8 | p[4];
        size_t len = (size_t)p[11] << 8 | p[12];
        if (len > n - 13)
            return true;
        const uint8_t *b = p + 13;
        if (epoch == 0) {
            /* application data is never plaintext; mbedTLS would drop it
             * only after marking its sequence number as seen */
            if (type == MBEDTLS_SSL_MSG_APPLICATION_DATA)
                return false;
            if (type == MBEDTLS_SSL_MSG_ALERT && len != 2)
                return false;
            if (type == MBEDTLS_SSL_MSG_CHANGE_CIPHER_SPEC && (len != 1 || b[0] != 1))
                return false;
            if (type == MBEDTLS_SSL_MSG_HANDSHAKE && !hs_fragments_ok(b, len))
                return false;
        }
        p += 13 + len;
        n -= 13 + len;
    }
    return true;
}

/* ---- public calls ---- */

int dtls_start(struct dtls *d, uint64_t now_ms)
{
    if (!d || d->depth > 0 || d->state != DTLS_NEW)
        return d && d->state == DTLS_CLOSED ? DC_ECLOSED : DC_EINVAL;
    enter(d, now_ms);
    d->state = DTLS_HANDSHAKING;
    pump(d);
    int rc = alive(d) ? 0 : DC_ECLOSED;
    return leave(d) ? rc : DC_ECLOSED;
}

/* Hands mbedTLS the bytes p[0..n) as its next input and runs it until it
 * has consumed them. */
static void pump_input(struct dtls *d, const uint8_t *p, size_t n)
{
    d->in = p;
    d->in_len = n;
    pump(d);
    d->in = NULL;
}

/* Opens one application-data record of the current epoch with dtls_seal
 * and hands its plaintext on; records that do not open, or that were seen
 * before, are dropped and counted, as mbedTLS drops them. */
static void open_record(struct dtls *d, const uint8_t *rec, size_t n)
{
    uint64_t seq = dtls_replay_seq(rec + 3);
    if (!dtls_replay_fresh(&d->replay, seq) || n - DTLS_SEAL_OVERHEAD > sizeof dtls_rbuf) {
        d->open_failed++;
        return;
    }
    int len = dtls_seal_open(&d->open, rec, n, dtls_rbuf);
    if (len < 0) {
        d->open_failed++;
        return;
    }
    dtls_replay_accept(&d->replay, seq);
    if (d->cb.on_data)
        d->cb.on_data(d->ctx, dtls_rbuf, (size_t)len);
}

/* The connected session's input when `open` is keyed: application data of
 * the current epoch is opened here, every other record (alerts, handshake
 * retransmissions) goes through mbedTLS on its own, in datagram order. */
static void feed_records(struct dtls *d, const uint8_t *p, size_t n)
{
    while (n >= 13 && alive(d)) {
        size_t rec = 13 + ((size_t)p[11] << 8 | p[12]);
        if (rec > n)
            return; /* truncated: the rest of the datagram is dropped */
        unsigned epoch = (unsigned)p[3] << 8 | p[4];
        if (p[0] == MBEDTLS_SSL_MSG_APPLICATION_DATA && epoch == d->ssl.in_epoch)
            open_record(d, p, rec);
        else
            pump_input(d, p, rec);
        p += rec;
        n -= rec;
    }
}

int dtls_feed(struct dtls *d, uint64_t now_ms, const uint8_t *data, size_t len)
{
    if (!d || (!data && len))
        return DC_EINVAL;
    if (d->state == DTLS_CLOSED)
        return DC_ECLOSED;
    if (d->depth > 0 || d->state == DTLS_NEW)
        return DC_EINVAL;
    if (len == 0 || data[0] < 20 || data[0] > 63)
        return DC_EPROTO;
    if (d->state == DTLS_HANDSHAKING && !plaintext_well_formed(data, len)) {
        LOGD("dtls", "dropped malformed plaintext record", "len=%zu", len);
        return 0;
    }
    enter(d, now_ms);
    if (d->state == DTLS_CONNECTED && d->open.ready)
        feed_records(d, data, len);
    else
        pump_input(d, data, len);
    int rc = alive(d) ? 0 : DC_ECLOSED;
    return leave(d) ? rc : DC_ECLOSED;
}

/* Application data under dtls_seal, with mbedTLS's record counter (so that
 * the records mbedTLS itself sends later, such as alerts, continue it). */
static int send_sealed(struct dtls *d, const uint8_t *data, size_t len)
{
    unsigned char *ctr = d->ssl.cur_out_ctr;
    size_t n = dtls_seal_record(&d->seal, ctr, MBEDTLS_SSL_MSG_APPLICATION_DATA, data, len,
                                dtls_wbuf);
    if (n == 0)
        return DC_EIO;
    enter(d, d->now_ms);
    int i = 8;
    while (i > 2 && ++ctr[i - 1] == 0) /* 48-bit sequence number */
        i--;
    if (i == 2) /* wrapped: a nonce must never repeat */
        fail(d, MBEDTLS_ERR_SSL_COUNTER_WRAPPING);
    else
        bio_send(d, dtls_wbuf, n);
    return leave(d) && i > 2 ? 0 : DC_ECLOSED;
}

int dtls_send(struct dtls *d, const uint8_t *data, size_t len)
{
    if (!d || (!data && len) || d->in_mbedtls)
        return DC_EINVAL;
    if (d->state == DTLS_CLOSED || d->free_pending)
        return DC_ECLOSED;
    if (d->state != DTLS_CONNECTED)
        return DC_EAGAIN;
    if (len > dtls_max_payload(d))
        return DC_ETOOBIG;
    if (len == 0)
        return 0;
    if (d->seal.ready && d->ssl.out_left == 0)
        return send_sealed(d, data, len);
    enter(d, d->now_ms);
    d->in_mbedtls = true;
    int ret = mbedtls_ssl_write(&d->ssl, data, len);
    d->in_mbedtls = false;
    int rc = 0;
    if (ret != (int)len) {
        rc = DC_EIO;
        if (ret < 0 && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != MBEDTLS_ERR_SSL_WANT_READ) {
            fail(d, ret);
            rc = DC_ECLOSED;
        }
    }
    return leave(d) ? rc : DC_ECLOSED;
}

int64_t dtls_timeout_ms(const struct dtls *d)
{
    if (!d || !alive(d) || d->state == DTLS_NEW)
        return -1;
    return d->timer_fin;
}

void dtls_on_timer(struct dtls *d, uint64_t now_ms)
{
    if (!d || d->depth > 0 || !alive(d) || d->state == DTLS_NEW)
        return;
    enter(d, now_ms);
    if (d->timer_fin >= 0 && (int64_t)d->now_ms >= d->timer_fin)
        pump(d);
    leave(d);
}

void dtls_close(struct dtls *d)
{
    if (!d || d->in_mbedtls || !alive(d))
        return;
    if (d->state == DTLS_CONNECTED) {
        d->in_mbedtls = true;
        mbedtls_ssl_close_notify(&d->ssl);
        d->in_mbedtls = false;
    }
    d->state = DTLS_CLOSED;
    d->timer_int = d->timer_fin = -1;
}

enum dtls_state dtls_state(const struct dtls *d)
{
    return d ? d->state : DTLS_CLOSED;
}

size_t dtls_max_payload(const struct dtls *d)
{
    if (!d || d->state != DTLS_CONNECTED)
        return DTLS_MAX_PAYLOAD;
    return d->max_payload;
}

uint16_t dtls_srtp_profile(const struct dtls *d)
{
    return d && d->state == DTLS_CONNECTED ? d->srtp_profile : 0;
}

const char *dtls_cipher_suite(const struct dtls *d)
{
    if (!d || d->state != DTLS_CONNECTED)
        return "";
    const char *s = mbedtls_ssl_get_ciphersuite(&d->ssl);
    return s ? s : "";
}

bool dtls_sealed_writes(const struct dtls *d)
{
    return d && d->seal.ready;
}

uint64_t dtls_records_dropped(const struct dtls *d)
{
    return d ? d->open_failed : 0;
}

const char *dtls_close_reason_str(int reason)
{
    switch (reason) {
    case DTLS_CLOSE_NOTIFY: return "close_notify";
    case DTLS_CLOSE_ALERT: return "alert";
    case DTLS_CLOSE_TIMEOUT: return "timeout";
    case DTLS_CLOSE_FINGERPRINT: return "fingerprint";
    case DTLS_CLOSE_HANDSHAKE: return "handshake";
    case DTLS_CLOSE_ERROR: return "error";
    default: return "unknown";
    }
}
