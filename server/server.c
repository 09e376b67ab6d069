#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/ratelimit.h"
#include "common/util.h"
#include "server/front.h"
#include "server/metrics_http.h"
#include "server/room_manager.h"
#include "server/rtc.h"
#include "server/webhook.h"
#include "signaling/http.h"
#include "signaling/tls_stream.h"
#include "signaling/ws.h"

#define TICK_MS 50
#define MAX_LISTENERS 16
/* A signaling client that lets this much pile up unread is cut off. */
#define MAX_WRITE_QUEUE (8u << 20)
/* A connection that sends nothing for this long is closed: clients ping every
 * 5 s once joined, and a request must arrive well within it. */
#define IDLE_TIMEOUT_MS 30000
/* A connection refused by a cap is closed once the client closes its end or
 * after this long; beyond MAX_REFUSED such connections at once, further ones
 * are closed without an answer. */
#define REFUSED_LINGER_MS 2000
#define MAX_REFUSED 256
/* Source addresses the per-address connection rate keeps track of. */
#define RATE_TABLE_ADDRS 8192

struct conn {
    uv_tcp_t tcp;
    struct server *srv;
    struct http_reader *http;
    struct ws_conn *ws;
    struct participant *part;
    struct tls_stream *tls;  /* NULL on a plain port */
    struct conn *prev, *next;
    uint64_t accepted_ms;
    uint64_t last_rx_ms;
    bool closing;
    bool shutting_down;
    bool refused;            /* answered 429/503 by a cap, waiting to close */
};

struct server {
    uv_loop_t *loop;
    struct webhook *webhook;  /* NULL: no webhook.urls */
    struct config *cfg;
    struct rm *rm;
    struct rtc *rtc;
    struct metrics_http *metrics;
    uv_tcp_t listeners[MAX_LISTENERS];
    size_t n_listeners;
    uv_timer_t tick;
    uv_timer_t drain;            /* polls while draining */
    uint64_t drain_deadline_ms;  /* util_now_ms() clock */
    void (*on_stopped)(void *arg);
    void *stopped_arg;
    bool stopped;
    struct conn *conns;
    size_t n_conns;
    size_t n_refused;            /* of n_conns, refused ones lingering */
    struct ratelimit *rate;      /* limit.max_connections_per_ip_per_second; NULL: none */
    struct tls_creds *tls;       /* for new connections; NULL: plain HTTP */
    struct server_tls_stats tls_stats;
};

static void conn_close(struct conn *c);
static void conn_feed(struct conn *c, const uint8_t *data, size_t len);

/* ---------- writing ---------- */

struct wreq {
    uv_write_t req;
    uv_buf_t buf;
};

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    struct conn *c = req->handle->data;
    free(w->buf.base);
    free(w);
    if (status < 0 && c && !c->closing)
        conn_close(c);
}

/* Bytes for the socket as they are (ciphertext on a TLS connection). */
static void raw_write(struct conn *c, const uint8_t *data, size_t len)
{
    if (c->closing || len == 0)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > MAX_WRITE_QUEUE) {
        LOGW("server", "signaling client too slow, closing", "queued=%zu",
             uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp));
        conn_close(c);
        return;
    }
    struct wreq *w = util_malloc(sizeof *w);
    w->buf = uv_buf_init(util_malloc(len), (unsigned)len);
    memcpy(w->buf.base, data, len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) < 0) {
        free(w->buf.base);
        free(w);
        conn_close(c);
    }
}

/* Bytes of the HTTP/WebSocket layer: through TLS when the port has it. */
static void conn_write(struct conn *c, const uint8_t *data, size_t len)
{
    if (c->closing || len == 0)
        return;
    if (!c->tls) {
        raw_write(c, data, len);
        return;
    }
    /* After our close_notify (closing after a flush) later writes are dropped. */
    int rc = tls_stream_send(c->tls, data, len);
    if (rc < 0 && rc != DC_ECLOSED)
        conn_close(c);
}

/* ---------- closing ---------- */

static void on_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->n_conns--;
    if (c->refused)
        s->n_refused--;
    http_reader_free(c->http);
    ws_conn_free(c->ws);
    tls_stream_free(c->tls);
    free(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->part) {
        struct participant *p = c->part;
        c->part = NULL;
        rm_signal_lost(c->srv->rm, p, util_wall_ms());
    }
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    struct conn *c = req->handle->data;
    free(req);
    conn_close(c);
}

/* Close after everything queued so far has been written. */
static void conn_close_after_flush(struct conn *c)
{
    if (c->closing || c->shutting_down)
        return;
    c->shutting_down = true;
    if (c->tls)
        tls_stream_close(c->tls); /* close_notify, queued before the FIN */
    uv_shutdown_t *req = util_malloc(sizeof *req);
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) < 0) {
        free(req);
        conn_close(c);
    }
}

/* ---------- WebSocket side ---------- */

static void ws_on_message(void *ctx, bool binary, const uint8_t *data, size_t len)
{
    struct conn *c = ctx;
    if (c->closing || c->shutting_down)
        return;
    if (!binary) {
        LOGW("server", "text frame refused", "conn=%p", (void *)c);
        ws_conn_close(c->ws, 1003, "binary protobuf frames only");
        return;
    }
    if (c->part)
        rm_signal_message(c->srv->rm, c->part, data, len, util_wall_ms());
}

static void ws_on_close(void *ctx, uint16_t code)
{
    struct conn *c = ctx;
    LOGD("server", "websocket closed", "code=%u", code);
    if (code == 1009 && ws_conn_failed(c->ws))
        limits_hit(&c->srv->rm->limits, LIMIT_SIGNAL_MESSAGE,
                   c->srv->cfg->limit.signal_message_size_limit, util_wall_ms());
    if (c->part) {
        struct participant *p = c->part;
        c->part = NULL;
        rm_signal_lost(c->srv->rm, p, util_wall_ms());
    }
    conn_close_after_flush(c);
}

static void ws_on_write(void *ctx, const uint8_t *data, size_t len)
{
    conn_write(ctx, data, len);
}

static const struct ws_callbacks ws_cbs = {
    .on_message = ws_on_message,
    .on_close = ws_on_close,
    .write = ws_on_write,
};

/* The room manager's view of a connection. */
static void sink_send(void *sink, const uint8_t *data, size_t len)
{
    struct conn *c = sink;
    if (c->ws && !c->closing)
        ws_conn_send(c->ws, true, data, len);
}

static void sink_close(void *sink)
{
    struct conn *c = sink;
    c->part = NULL;
    if (c->ws && !c->closing)
        ws_conn_close(c->ws, 1000, "");
    conn_close_after_flush(c);
}

static const struct rm_sink_ops sink_ops = {
    .send = sink_send,
    .close = sink_close,
    .send_data = rtc_send_data,
    .hold_data = rtc_hold_data,
    .answer = rtc_answer,
    .peer_close = rtc_peer_close,
    .on_event = webhook_post,
};

static void conn_upgrade(struct conn *c, struct front_result *r)
{
    struct server *s = c->srv;
    conn_write(c, r->bytes, r->len);
    c->ws = ws_conn_new(&ws_cbs, c, s->cfg->limit.signal_message_size_limit);
    struct join_ticket *t = r->ticket;
    r->ticket = NULL;
    c->part = rm_join(s->rm, t, c, util_wall_ms());
    if (!c->part)
        conn_close_after_flush(c);
}

/* ---------- HTTP side ---------- */

static void conn_http_error(struct conn *c, int status)
{
    enum limit_id limit = status == 431 ? LIMIT_HTTP_HEADER : status == 413 ? LIMIT_API_BODY
                                                                            : LIMIT_NONE;
    limits_hit(&c->srv->rm->limits, limit, limits_configured(c->srv->cfg, limit), util_wall_ms());
    const char *msg = status == 431 ? "request header fields too large"
                    : status == 413 ? "request body too large" : "bad request";
    size_t n;
    uint8_t *resp = http_response_build(status, "text/plain", NULL, msg, strlen(msg), false, &n);
    conn_write(c, resp, n);
    free(resp);
    conn_close_after_flush(c);
}

/* Returns bytes consumed, or -1 once the connection is no longer HTTP. */
static long conn_http_feed(struct conn *c, const uint8_t *data, size_t len)
{
    int status = 0;
    long k = http_reader_feed(c->http, data, len, &status);
    if (k < 0) {
        conn_http_error(c, status ? status : 400);
        return -1;
    }
    if (!http_reader_done(c->http))
        return k;
    struct front_result r;
    front_handle(c->srv->rm, http_reader_request(c->http), util_wall_ms(), &r);
    if (r.action == FRONT_UPGRADE) {
        http_reader_free(c->http);
        c->http = NULL;
        conn_upgrade(c, &r);
    } else {
        conn_write(c, r.bytes, r.len);
        if (r.close_after)
            conn_close_after_flush(c);
        else
            http_reader_reset(c->http);
    }
    front_result_clear(&r);
    return k;
}

static void conn_feed(struct conn *c, const uint8_t *data, size_t len)
{
    while (len > 0 && !c->closing && !c->shutting_down) {
        if (c->ws) {
            ws_conn_feed(c->ws, data, len);
            return;
        }
        long k = conn_http_feed(c, data, len);
        if (k < 0)
            return;
        if (k == 0 && !c->ws)
            return;
        data += k;
        len -= (size_t)k;
    }
}

/* ---------- TLS side ---------- */

static void tls_on_write(void *ctx, const uint8_t *data, size_t len)
{
    raw_write(ctx, data, len);
}

static void tls_on_data(void *ctx, const uint8_t *data, size_t len)
{
    conn_feed(ctx, data, len);
}

static const struct tls_stream_callbacks tls_cbs = {
    .write = tls_on_write,
    .on_data = tls_on_data,
};

/* A plaintext request on the TLS port: say so in plaintext, then hang up. */
static void conn_tls_refuse_plaintext(struct conn *c)
{
    static const char msg[] = "this port speaks TLS only: use https:// or wss://\n";
    size_t n;
    uint8_t *resp = http_response_build(400, "text/plain", NULL, msg, sizeof msg - 1, false, &n);
    raw_write(c, resp, n);
    free(resp);
    conn_close_after_flush(c);
}

static void conn_tls_read(struct conn *c, const uint8_t *data, size_t len)
{
    if (c->shutting_down)
        return; /* closing after a flush: nothing more is read */
    struct server_tls_stats *st = &c->srv->tls_stats;
    bool was_up = tls_stream_established(c->tls);
    int rc = tls_stream_feed(c->tls, data, len);
    if (!was_up && tls_stream_established(c->tls)) {
        st->handshakes++;
        LOGD("server", "TLS handshake done", "cipher=%s", tls_stream_ciphersuite(c->tls));
    }
    if (rc == 0 || c->closing)
        return;
    if (rc == DC_ECLOSED) {
        conn_close(c);
        return;
    }
    switch (tls_stream_failure(c->tls)) {
    case TLS_FAIL_PLAINTEXT:
        st->plaintext_requests++;
        LOGD("server", "plaintext HTTP on the TLS port refused", NULL);
        conn_tls_refuse_plaintext(c);
        return;
    case TLS_FAIL_HANDSHAKE:
        st->handshake_failures++;
        LOGD("server", "TLS handshake failed", "error=\"%s\"", tls_stream_error(c->tls));
        break;
    default:
        LOGI("server", "TLS error, closing", "error=\"%s\"", tls_stream_error(c->tls));
        break;
    }
    conn_close_after_flush(c); /* lets an alert mbedTLS wrote go out first */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char slab[65536];
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (c->refused)
        return; /* read and dropped until the client closes */
    if (n > 0) {
        c->last_rx_ms = util_now_ms();
        if (c->tls)
            conn_tls_read(c, (const uint8_t *)buf->base, (size_t)n);
        else
            conn_feed(c, (const uint8_t *)buf->base, (size_t)n);
    }
}

/* ---------- connection caps ---------- */

static void on_refused_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

/* Answers a connection a cap refused, then half-closes it and keeps reading
 * (and dropping) until the client closes its end or REFUSED_LINGER_MS have
 * passed: closing with unread request bytes would reset the connection and
 * could lose the answer.  On the TLS port, or beyond MAX_REFUSED refused
 * connections at once, it is closed without an answer. */
static void conn_refuse(struct conn *c, int status, const char *msg)
{
    struct server *s = c->srv;
    c->refused = true;
    s->n_refused++;
    if (s->tls || s->n_refused > MAX_REFUSED) {
        conn_close(c);
        return;
    }
    size_t n;
    uint8_t *resp = http_response_build(status, "text/plain; charset=utf-8", "Retry-After: 1\r\n",
                                        msg, strlen(msg), false, &n);
    raw_write(c, resp, n);
    free(resp);
    uv_shutdown_t *req = util_malloc(sizeof *req);
    if (c->closing || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_refused_shutdown) < 0) {
        free(req);
        conn_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* limit.max_connections_per_ip_per_second, then limit.max_signal_connections.
 * Returns false when c was refused (answered, counted). */
static bool conn_admit(struct server *s, struct conn *c)
{
    const struct config *cfg = s->cfg;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    enum limit_id hit = LIMIT_NONE;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0 &&
        !ratelimit_allow(s->rate, (struct sockaddr *)&ss, c->accepted_ms))
        hit = LIMIT_CONNECTION_RATE;
    else if (cfg->limit.max_signal_connections &&
             s->n_conns - s->n_refused > cfg->limit.max_signal_connections)
        hit = LIMIT_SIGNAL_CONNECTIONS;
    if (hit == LIMIT_NONE)
        return true;
    limits_hit(&s->rm->limits, hit, limits_configured(cfg, hit), util_wall_ms());
    if (hit == LIMIT_CONNECTION_RATE)
        conn_refuse(c, 429, "too many connections from this address");
    else
        conn_refuse(c, 503, "server has too many connections");
    return false;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct server *s = listener->data;
    if (status < 0)
        return;
    struct conn *c = util_calloc(1, sizeof *c);
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->n_conns++;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->accepted_ms = c->last_rx_ms = util_now_ms();
    if (!conn_admit(s, c))
        return;
    if (s->tls && !(c->tls = tls_stream_new(s->tls, &tls_cbs, c))) {
        conn_close(c);
        return;
    }
    c->http = http_reader_new(s->cfg->limit.max_http_header_size,
                              s->cfg->limit.max_api_request_body_size);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---------- lifecycle ---------- */

static void on_tick(uv_timer_t *t)
{
    struct server *s = t->data;
    rm_tick(s->rm, util_wall_ms());
    uint64_t now = util_now_ms();
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->refused) {
            if (!c->closing && now - c->accepted_ms > REFUSED_LINGER_MS)
                conn_close(c);
            continue;
        }
        if (!c->closing && c->tls && !tls_stream_established(c->tls) && !c->shutting_down &&
            now - c->accepted_ms > SERVER_TLS_HANDSHAKE_MS) {
            s->tls_stats.handshake_timeouts++;
            LOGD("server", "TLS handshake timed out", "after_ms=%llu",
                 (unsigned long long)(now - c->accepted_ms));
            conn_close(c);
        }
        if (!c->closing && now - c->last_rx_ms > IDLE_TIMEOUT_MS) {
            LOGI("server", "idle connection closed", "idle_ms=%llu websocket=%d",
                 (unsigned long long)(now - c->last_rx_ms), c->ws != NULL);
            conn_close(c);
        }
    }
}

static int listen_on(struct server *s, const char *addr, int port)
{
    if (s->n_listeners == MAX_LISTENERS)
        return DC_ELIMIT;
    struct sockaddr_storage ss;
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss) != 0) {
        LOGE("server", "bad bind address", "addr=%s", addr);
        return DC_ECONFIG;
    }
    uv_tcp_t *l = &s->listeners[s->n_listeners];
    uv_tcp_init(s->loop, l);
    l->data = s;
    s->n_listeners++;
    int r = uv_tcp_bind(l, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)l, 511, on_connection);
    if (r < 0) {
        LOGE("server", "cannot listen", "addr=%s port=%d err=\"%s\"", addr, port, uv_strerror(r));
        return DC_EIO;
    }
    LOGI("server", "listening", "addr=%s port=%d tls=%d", addr, port, s->tls != NULL);
    return 0;
}

/* The credentials in cfg->tls, or NULL with an error logged. */
static struct tls_creds *tls_creds_from(const struct config *cfg)
{
    char err[256];
    struct tls_creds *creds;
    const struct config_tls *t = &cfg->tls;
    if (tls_creds_new(&creds, t->cert_pem, t->cert_pem_len, t->key_pem, t->key_pem_len, err,
                      sizeof err) < 0) {
        LOGE("server", "TLS certificate or key rejected", "cert_file=%s key_file=%s error=\"%s\"",
             t->cert_file, t->key_file, err);
        return NULL;
    }
    return creds;
}

static void tls_use(struct server *s, struct tls_creds *creds)
{
    tls_creds_release(s->tls);
    s->tls = creds;
    s->tls_stats.enabled = true;
    s->tls_stats.not_after = tls_creds_not_after(creds);
    LOGI("server", "TLS certificate loaded", "subject=\"%s\" not_after=%lld cert_file=%s",
         tls_creds_subject(creds), (long long)tls_creds_not_after(creds), s->cfg->tls.cert_file);
}

static int tls_load(struct server *s)
{
    if (!s->cfg->tls.cert_pem)
        return 0;
    struct tls_creds *creds = tls_creds_from(s->cfg);
    if (!creds)
        return DC_ECONFIG;
    tls_use(s, creds);
    return 0;
}

void server_reload_tls(struct server *s)
{
    if (!s || s->stopped)
        return;
    bool want = s->cfg->tls.cert_pem != NULL;
    if (want != (s->tls != NULL)) {
        LOGW("server", "turning TLS on or off takes a restart; the port keeps its mode", "tls=%d",
             s->tls != NULL);
        return;
    }
    if (!want)
        return;
    struct tls_creds *creds = tls_creds_from(s->cfg);
    if (!creds) {
        s->tls_stats.reload_failures++;
        LOGE("server", "TLS reload failed, keeping the current certificate", NULL);
        return;
    }
    s->tls_stats.reloads++;
    tls_use(s, creds);
}

const struct server_tls_stats *server_tls_stats(const struct server *s)
{
    return &s->tls_stats;
}

size_t server_connections(const struct server *s)
{
    return s ? s->n_conns - s->n_refused : 0;
}

int server_start(struct server **out, uv_loop_t *loop, struct config *cfg)
{
    struct server *s = util_calloc(1, sizeof *s);
    s->loop = loop;
    s->cfg = cfg;
    *out = s;
    s->rate = ratelimit_new(cfg->limit.max_connections_per_ip_per_second, RATE_TABLE_ADDRS);
    uv_timer_init(loop, &s->tick);
    s->tick.data = s;
    uv_timer_init(loop, &s->drain);
    s->drain.data = s;
    int r = rtc_start(&s->rtc, loop, cfg);
    s->rm = rm_new(cfg, &sink_ops, s->rtc);
    rtc_set_rm(s->rtc, s->rm);
    if (r < 0)
        return r;
    r = webhook_start(&s->webhook, loop, cfg);
    s->rm->event_ctx = s->webhook;
    if (r < 0)
        return r;
    r = tls_load(s);
    if (r < 0)
        return r;
    if (cfg->n_bind_addresses == 0) {
        r = listen_on(s, "0.0.0.0", cfg->port);
    } else {
        for (size_t i = 0; i < cfg->n_bind_addresses && r == 0; i++)
            r = listen_on(s, cfg->bind_addresses[i], cfg->port);
    }
    if (r == 0)
        r = metrics_http_start(&s->metrics, loop, cfg,
                               &(struct metrics_sources){s->rm, s->rtc, s->webhook, &s->tls_stats, s});
    if (r == 0)
        uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
    return r;
}

#define DRAIN_POLL_MS 100

static void on_drain_poll(uv_timer_t *t)
{
    struct server *s = t->data;
    size_t left = rm_participant_count(s->rm);
    if (left == 0) {
        LOGI("server", "drain complete: no participants left", NULL);
        server_stop(s);
    } else if (util_now_ms() >= s->drain_deadline_ms) {
        LOGW("server", "drain timed out, closing the remaining rooms", "participants=%zu rooms=%zu",
             left, s->rm->n_rooms);
        server_stop(s);
    }
}

void server_drain(struct server *s, uint64_t timeout_ms, void (*on_stopped)(void *arg), void *arg)
{
    if (!s || s->stopped || s->rm->draining)
        return;
    s->on_stopped = on_stopped;
    s->stopped_arg = arg;
    s->rm->draining = true;
    size_t left = rm_participant_count(s->rm);
    LOGI("server", "draining", "participants=%zu rooms=%zu timeout_ms=%llu", left, s->rm->n_rooms,
         (unsigned long long)timeout_ms);
    if (left == 0 || timeout_ms == 0) {
        server_stop(s);
        return;
    }
    s->drain_deadline_ms = util_now_ms() + timeout_ms;
    uv_timer_start(&s->drain, on_drain_poll, DRAIN_POLL_MS, DRAIN_POLL_MS);
}

void server_stop(struct server *s)
{
    if (!s || s->stopped)
        return;
    s->stopped = true;
    if (s->rm)
        s->rm->draining = true;
    if (!uv_is_closing((uv_handle_t *)&s->drain))
        uv_close((uv_handle_t *)&s->drain, NULL);
    for (size_t i = 0; i < s->n_listeners; i++)
        if (!uv_is_closing((uv_handle_t *)&s->listeners[i]))
            uv_close((uv_handle_t *)&s->listeners[i], NULL);
    if (!uv_is_closing((uv_handle_t *)&s->tick))
        uv_close((uv_handle_t *)&s->tick, NULL);
    metrics_http_stop(s->metrics);
    rm_shutdown(s->rm, util_wall_ms());
    webhook_stop(s->webhook);
    rtc_stop(s->rtc);
    for (struct conn *c = s->conns; c; c = c->next)
        if (!c->shutting_down)
            conn_close(c);
    void (*cb)(void *) = s->on_stopped;
    s->on_stopped = NULL;
    if (cb)
        cb(s->stopped_arg);
}

void server_free(struct server *s)
{
    if (!s)
        return;
    metrics_http_free(s->metrics);
    rm_free(s->rm);
    rtc_free(s->rtc);
    webhook_free(s->webhook);
    tls_creds_release(s->tls);
    ratelimit_free(s->rate);
    free(s);
}
