/* client_peer.h: test-only in-memory WebRTC client, the far end of a
 * transport/peer under test.
 *
 * Built from the same cores as dcsfu plus the mbedTLS DTLS server of
 * dtls_harness.h, it behaves like the LiveKit clients dcsfu serves: it
 * offers SDP shaped like theirs (a captured fixture with its own ICE
 * credentials and certificate fingerprint), is the controlling ICE agent
 * (Binding requests with USE-CANDIDATE until one succeeds, then consent
 * checks), the DTLS server (a=setup:actpass answered with active), runs an
 * SCTP association and opens `_reliable` (ordered, stream 1) and `_lossy`
 * (unordered, maxRetransmits 0, stream 3) with DCEP: odd stream ids, as
 * the DTLS server must.
 *
 * No I/O: datagrams leave through the `send` function given to cp_init
 * (with source and destination addresses) and come in through
 * cp_on_datagram; time comes in through cp_tick (and sctp_tick, which the
 * test calls for every association in the process).  Every datagram it
 * sends is queued by the test's network, never delivered synchronously.
 *
 * Functions are static so that the including test compiles what it uses.
 * One include per test binary; the harness brings cmocka and mbedTLS. */
#ifndef DC_TEST_CLIENT_PEER_H
#define DC_TEST_CLIENT_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/util.h"
#include "tests/unit/dtls_harness.h"
#include "transport/dcep.h"
#include "transport/ice_lite.h"
#include "transport/sctp.h"
#include "transport/sdp.h"
#include "transport/stun.h"

#define CP_RELIABLE 0
#define CP_LOSSY 1
#define CP_STREAM_RELIABLE 1 /* odd: the DTLS server's ids */
#define CP_STREAM_LOSSY 3
#define CP_MAX_MESSAGE 262144u
#define CP_CHECK_MS 50          /* check interval until nominated */
#define CP_CONSENT_MS 2500      /* consent check interval afterwards */
#define CP_TIDS 16

typedef void (*cp_send_fn)(void *ctx, const struct sockaddr_in *from,
                           const struct sockaddr_in *to, const uint8_t *data, size_t len);

struct cp_msg {
    int kind;
    uint32_t ppid;
    size_t len;
    uint8_t *data;
};

struct cp_msgs {
    struct cp_msg *v;
    size_t n, cap;
};

struct cp_tid {
    uint8_t tid[STUN_TID_LEN];
    bool use_candidate;
    bool live;
    char key[ICE_REMOTE_MAX + 1]; /* the password the request was signed with */
};

struct client_peer {
    cp_send_fn send;
    void *send_ctx;
    struct sockaddr_in addr; /* where it sends from and receives at */
    uint64_t now;

    /* ICE */
    char ufrag[9], pwd[25];
    char old_ufrag[9];             /* before the last cp_ice_restart */
    char srv_ufrag[ICE_REMOTE_MAX + 1], srv_pwd[ICE_REMOTE_MAX + 1];
    uint8_t srv_fp[CERT_FP_LEN];
    struct sockaddr_in srv_addr;
    uint32_t srv_max_message;      /* from the answer (0: no limit) */
    uint64_t tiebreaker;
    bool checks;                   /* keep sending checks */
    bool nominated;                /* a USE-CANDIDATE check succeeded */
    uint64_t next_check, last_check;
    struct cp_tid tids[CP_TIDS];
    unsigned next_tid;
    int checks_sent, stun_ok, stun_err, stun_bad, mapped_ok;

    /* DTLS (server role), from dtls_harness.h */
    struct world dw;
    bool dtls_done;
    int dtls_err;                  /* first fatal mbedTLS error */
    bool close_notify_rx;          /* the peer sent close_notify */
    int dtls_sent;

    /* SCTP */
    struct sctp_assoc *sctp;
    uint32_t max_message;          /* ours, for sctp_assoc_new */
    int sctp_open, sctp_closed;
    bool open_channels;            /* open _reliable and _lossy once SCTP is up */
    struct cp_msgs rx;
    int writable;
};

/* ---- helpers ---- */

static inline void cp_random_chars(char *out, size_t n)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[64];
    assert_true(n <= sizeof r);
    util_random_bytes(r, n);
    for (size_t i = 0; i < n; i++)
        out[i] = chars[r[i] & 63];
    out[n] = '\0';
}

static inline void cp_msgs_push(struct cp_msgs *m, int kind, uint32_t ppid, const uint8_t *d,
                                size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        assert_non_null(m->v);
    }
    struct cp_msg *x = &m->v[m->n++];
    x->kind = kind;
    x->ppid = ppid;
    x->len = len;
    x->data = malloc(len ? len : 1);
    assert_non_null(x->data);
    if (len)
        memcpy(x->data, d, len);
}

static inline void cp_msgs_clear(struct cp_msgs *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].data);
    free(m->v);
    memset(m, 0, sizeof *m);
}

static inline bool cp_addr_eq(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static inline struct sockaddr_in cp_addr(const char *ip, uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return a;
}

/* ---- DTLS server role ---- */

static inline void cp_flush(struct client_peer *c)
{
    while (!q_empty(&c->dw.to_c)) {
        struct dgram g = q_pop(&c->dw.to_c);
        c->send(c->send_ctx, &c->addr, &c->srv_addr, g.p, g.n);
        c->dtls_sent++;
        free(g.p);
    }
}

static inline void cp_sctp_start(struct client_peer *c);

/* Runs the DTLS server over what is queued for it (handshake, then
 * records handed to SCTP). */
static inline void cp_dtls_run(struct client_peer *c)
{
    struct srv *s = &c->dw.s;
    static uint8_t buf[16384];
    c->dw.now = c->now;
    for (int i = 0; i < 4096; i++) {
        if (c->dtls_err || c->close_notify_rx) {
            q_clear(&c->dw.to_s);
            return;
        }
        int ret;
        if (!c->dtls_done) {
            ret = mbedtls_ssl_handshake(&s->ssl);
            cp_flush(c);
            if (ret == 0) {
                c->dtls_done = s->done = true;
                cp_sctp_start(c);
                continue;
            }
            if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
                assert_int_equal(mbedtls_ssl_session_reset(&s->ssl), 0);
                assert_int_equal(mbedtls_ssl_set_client_transport_id(
                                     &s->ssl, (const unsigned char *)"peer", 4), 0);
                continue;
            }
        } else {
            ret = mbedtls_ssl_read(&s->ssl, buf, sizeof buf);
            cp_flush(c);
            if (ret > 0) {
                if (c->sctp)
                    sctp_assoc_feed(c->sctp, buf, (size_t)ret);
                continue;
            }
            if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
                c->close_notify_rx = true;
                continue;
            }
        }
        if (ret == 0 || ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_TIMEOUT) {
            if (!q_empty(&c->dw.to_s) || mbedtls_ssl_check_pending(&s->ssl))
                continue;
            return;
        }
        c->dtls_err = ret;
    }
    fail_msg("client DTLS loop did not settle");
}

/* ---- SCTP ---- */

static inline void cp_sctp_send(void *ctx, const uint8_t *pkt, size_t len)
{
    struct client_peer *c = ctx;
    if (!c->dtls_done || c->dtls_err || c->close_notify_rx)
        return;
    int n = mbedtls_ssl_write(&c->dw.s.ssl, pkt, len);
    assert_int_equal(n, (int)len);
    cp_flush(c);
}

static inline void cp_sctp_open(void *ctx)
{
    struct client_peer *c = ctx;
    c->sctp_open++;
    if (!c->open_channels)
        return;
    assert_int_equal(sctp_assoc_open_channel(c->sctp, CP_STREAM_RELIABLE, "_reliable", true, -1), 0);
    assert_int_equal(sctp_assoc_open_channel(c->sctp, CP_STREAM_LOSSY, "_lossy", false, 0), 0);
}

static inline void cp_sctp_message(void *ctx, uint16_t stream, uint32_t ppid, const uint8_t *data,
                                   size_t len)
{
    struct client_peer *c = ctx;
    int kind = stream == CP_STREAM_RELIABLE ? CP_RELIABLE : stream == CP_STREAM_LOSSY ? CP_LOSSY : -1;
    cp_msgs_push(&c->rx, kind, ppid, data, len);
}

static inline void cp_sctp_closed(void *ctx, int reason)
{
    (void)reason;
    ((struct client_peer *)ctx)->sctp_closed++;
}

static inline void cp_sctp_writable(void *ctx)
{
    ((struct client_peer *)ctx)->writable++;
}

static const struct sctp_callbacks cp_sctp_cbs = {
    .send = cp_sctp_send,
    .on_open = cp_sctp_open,
    .on_message = cp_sctp_message,
    .on_closed = cp_sctp_closed,
    .on_writable = cp_sctp_writable,
};

static inline void cp_sctp_start(struct client_peer *c)
{
    c->sctp = sctp_assoc_new(&cp_sctp_cbs, c, SCTP_DEFAULT_PORT, c->max_message,
                             c->srv_max_message);
    assert_non_null(c->sctp);
    assert_int_equal(sctp_assoc_connect(c->sctp), 0);
}

/* ---- ICE (controlling) ---- */

/* Sends one Binding request to the server's candidate, signed with `key`,
 * username "<srv_ufrag>:<ufrag>". */
static inline void cp_send_check_as(struct client_peer *c, const char *srv_ufrag, const char *ufrag,
                                    const char *key, bool use_candidate)
{
    char user[2 * ICE_REMOTE_MAX + 2];
    snprintf(user, sizeof user, "%s:%s", srv_ufrag, ufrag);
    struct cp_tid *t = &c->tids[c->next_tid++ % CP_TIDS];
    util_random_bytes(t->tid, sizeof t->tid);
    t->use_candidate = use_candidate;
    t->live = true;
    snprintf(t->key, sizeof t->key, "%s", key);
    struct stun_binding_opts o = {
        .username = user,
        .priority = 0x6e7f1eff,
        .role = STUN_ROLE_CONTROLLING,
        .tiebreaker = c->tiebreaker,
        .use_candidate = use_candidate,
    };
    uint8_t b[600];
    size_t n = stun_build_binding_request(b, sizeof b, t->tid, &o, (const uint8_t *)key, strlen(key));
    assert_true(n > 0);
    c->send(c->send_ctx, &c->addr, &c->srv_addr, b, n);
    c->checks_sent++;
    c->last_check = c->now;
}

static inline void cp_send_check(struct client_peer *c)
{
    cp_send_check_as(c, c->srv_ufrag, c->ufrag, c->srv_pwd, !c->nominated);
}

static inline void cp_on_stun(struct client_peer *c, const uint8_t *d, size_t n)
{
    struct stun_msg m;
    if (stun_parse(d, n, &m) < 0 || m.method != STUN_METHOD_BINDING) {
        c->stun_bad++;
        return;
    }
    struct cp_tid *t = NULL;
    for (unsigned i = 0; i < CP_TIDS; i++)
        if (c->tids[i].live && !memcmp(c->tids[i].tid, m.tid, STUN_TID_LEN))
            t = &c->tids[i];
    if (!t || !stun_check_integrity(d, n, &m, (const uint8_t *)t->key, strlen(t->key))) {
        c->stun_bad++;
        return;
    }
    t->live = false;
    if (m.cls == STUN_CLASS_ERROR) {
        c->stun_err++;
        return;
    }
    if (m.cls != STUN_CLASS_SUCCESS) {
        c->stun_bad++;
        return;
    }
    c->stun_ok++;
    if (m.has_mapped && cp_addr_eq((const struct sockaddr_in *)&m.mapped, &c->addr))
        c->mapped_ok++;
    if (t->use_candidate && !strcmp(t->key, c->srv_pwd))
        c->nominated = true;
}

/* ---- public ---- */

/* `cert` is the client's own identity, `server_cert` the one dcsfu must
 * present (checked by the harness's verify callback); both outlive c. */
static inline void cp_init(struct client_peer *c, struct sockaddr_in addr, struct cert *cert,
                           struct cert *server_cert, bool cookies, cp_send_fn send, void *ctx)
{
    memset(c, 0, sizeof *c);
    c->send = send;
    c->send_ctx = ctx;
    c->addr = addr;
    c->max_message = CP_MAX_MESSAGE;
    c->open_channels = true;
    cp_random_chars(c->ufrag, 8);
    cp_random_chars(c->pwd, 24);
    util_random_bytes(&c->tiebreaker, sizeof c->tiebreaker);
    c->dw.scert = cert;
    c->dw.ccert = server_cert;
    srv_init(&c->dw, cookies, true);
}

static inline void cp_free(struct client_peer *c)
{
    sctp_assoc_free(c->sctp);
    c->sctp = NULL;
    srv_free(&c->dw.s);
    q_clear(&c->dw.to_s);
    q_clear(&c->dw.to_c);
    cp_msgs_clear(&c->rx);
}

/* New local ICE credentials (an ICE restart); make a new offer next. */
static inline void cp_ice_restart(struct client_peer *c)
{
    strcpy(c->old_ufrag, c->ufrag);
    cp_random_chars(c->ufrag, 8);
    cp_random_chars(c->pwd, 24);
}

/* The fixture offer with our ICE credentials and fingerprint (or `fp`, a
 * wrong one, when not NULL) in every section.  Caller frees. */
static inline char *cp_offer(const struct client_peer *c, const char *path, const uint8_t *fp)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *in = malloc(SDP_MAX_INPUT + 1);
    assert_non_null(in);
    size_t n = fread(in, 1, SDP_MAX_INPUT, f);
    fclose(f);
    in[n] = '\0';
    char fps[CERT_FP_STR_LEN + 1];
    if (fp)
        cert_fingerprint_format(fp, fps);
    else
        snprintf(fps, sizeof fps, "%s", cert_fingerprint(c->dw.scert));
    char *out = malloc(n + 4096);
    assert_non_null(out);
    size_t o = 0;
    for (char *line = in; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        if (!strncmp(line, "a=ice-ufrag:", 12))
            o += (size_t)sprintf(out + o, "a=ice-ufrag:%s\r\n", c->ufrag);
        else if (!strncmp(line, "a=ice-pwd:", 10))
            o += (size_t)sprintf(out + o, "a=ice-pwd:%s\r\n", c->pwd);
        else if (!strncmp(line, "a=fingerprint:", 14))
            o += (size_t)sprintf(out + o, "a=fingerprint:sha-256 %s\r\n", fps);
        else {
            memcpy(out + o, line, len);
            o += len;
        }
        assert_true(o < n + 4096 - 200);
        line += len;
    }
    out[o] = '\0';
    free(in);
    return out;
}

/* Reads dcsfu's answer (transport attributes, first IPv4 UDP candidate,
 * max-message-size) and starts checking.  The answer must make dcsfu the
 * ICE-lite DTLS client. */
static inline void cp_apply_answer(struct client_peer *c, const char *answer)
{
    bool lite = false, active = false, cand = false, fp = false;
    char ufrag[ICE_REMOTE_MAX + 1] = "", pwd[ICE_REMOTE_MAX + 1] = "";
    for (const char *line = answer; *line;) {
        const char *end = strstr(line, "\r\n");
        assert_non_null(end);
        char l[SDP_MAX_LINE];
        size_t len = (size_t)(end - line);
        assert_true(len < sizeof l);
        memcpy(l, line, len);
        l[len] = '\0';
        line = end + 2;
        if (!strcmp(l, "a=ice-lite"))
            lite = true;
        else if (!strcmp(l, "a=setup:active"))
            active = true;
        else if (!strncmp(l, "a=setup:", 8))
            fail_msg("answer has %s", l);
        else if (!strncmp(l, "a=ice-ufrag:", 12) && len - 12 < sizeof ufrag)
            memcpy(ufrag, l + 12, len - 12 + 1);
        else if (!strncmp(l, "a=ice-pwd:", 10) && len - 10 < sizeof pwd)
            memcpy(pwd, l + 10, len - 10 + 1);
        else if (!strncmp(l, "a=fingerprint:sha-256 ", 22)) {
            assert_int_equal(cert_fingerprint_parse(l + 22, c->srv_fp), 0);
            fp = true;
        } else if (!strncmp(l, "a=max-message-size:", 19))
            c->srv_max_message = (uint32_t)strtoul(l + 19, NULL, 10);
        else if (!strncmp(l, "a=candidate:", 12) && !cand) {
            struct sdp_cand_info ci;
            assert_int_equal(sdp_parse_candidate(l, &ci), 0);
            if (!strcmp(ci.transport, "udp") && strchr(ci.address, '.')) {
                c->srv_addr = cp_addr(ci.address, ci.port);
                cand = true;
            }
        }
    }
    assert_true(lite);
    assert_true(active);
    assert_true(cand);
    assert_true(fp);
    assert_true(ufrag[0] && pwd[0]);
    if (strcmp(ufrag, c->srv_ufrag) || strcmp(pwd, c->srv_pwd))
        c->nominated = false; /* new credentials: nominate again */
    strcpy(c->srv_ufrag, ufrag);
    strcpy(c->srv_pwd, pwd);
    c->checks = true;
    c->next_check = c->now;
}

/* A datagram arrived at c->addr. */
static inline void cp_on_datagram(struct client_peer *c, const struct sockaddr_in *from,
                                  const uint8_t *d, size_t n)
{
    if (n == 0 || !cp_addr_eq(from, &c->srv_addr))
        return;
    if (d[0] <= 3) {
        cp_on_stun(c, d, n);
    } else if (d[0] >= 20 && d[0] <= 63) {
        q_push(&c->dw.to_s, d, n);
        cp_dtls_run(c);
    }
}

/* Timers: ICE checks, DTLS retransmissions. */
static inline void cp_tick(struct client_peer *c, uint64_t now)
{
    c->now = now;
    c->dw.now = now;
    if (c->checks && c->srv_ufrag[0] && now >= c->next_check) {
        cp_send_check(c);
        c->next_check = now + (c->nominated ? CP_CONSENT_MS : CP_CHECK_MS);
    }
    if (!c->dtls_done && !c->dtls_err && c->dw.s.t_fin >= 0 && (uint64_t)c->dw.s.t_fin <= now)
        cp_dtls_run(c);
}

/* The client moved (new port or interface): nominate the new path. */
static inline void cp_move(struct client_peer *c, struct sockaddr_in addr)
{
    c->addr = addr;
    c->nominated = false;
    c->next_check = c->now;
}

/* Sends one binary message; the sctp_assoc_send result. */
static inline int cp_send(struct client_peer *c, int kind, const uint8_t *d, size_t len)
{
    if (!c->sctp)
        return DC_EAGAIN;
    uint16_t stream = kind == CP_RELIABLE ? CP_STREAM_RELIABLE : CP_STREAM_LOSSY;
    return sctp_assoc_send(c->sctp, stream, len ? DCEP_PPID_BINARY : DCEP_PPID_BINARY_EMPTY, d, len);
}

/* Both channels are open and acknowledged. */
static inline bool cp_channels_up(const struct client_peer *c)
{
    struct sctp_channel_info ci;
    return c->sctp && sctp_assoc_channel_info(c->sctp, CP_STREAM_RELIABLE, &ci) && ci.acked &&
           sctp_assoc_channel_info(c->sctp, CP_STREAM_LOSSY, &ci) && ci.acked;
}

/* Sends close_notify. */
static inline void cp_close_notify(struct client_peer *c)
{
    assert_true(c->dtls_done);
    assert_int_equal(mbedtls_ssl_close_notify(&c->dw.s.ssl), 0);
    cp_flush(c);
}

#endif
