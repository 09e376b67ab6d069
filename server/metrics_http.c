/* metrics_http.c: the listener and connections of the scrape endpoint. */
#include "server/metrics_http.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "signaling/http.h"

#define MAX_LISTENERS 16
#define MAX_HEADER_BYTES 8192
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct mconn {
    uv_tcp_t tcp;
    struct metrics_http *mh;
    struct http_reader *http;
    struct mconn *prev, *next;
    bool closing, answered;
};

struct metrics_http {
    uv_loop_t *loop;
    struct metrics_sources src;
    uv_tcp_t listeners[MAX_LISTENERS];
    size_t n_listeners;
    struct mconn *conns;
};

struct mwrite {
    uv_write_t req;
    uv_buf_t buf;
};

static void on_closed(uv_handle_t *h)
{
    struct mconn *c = h->data;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->mh->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    http_reader_free(c->http);
    free(c);
}

static void conn_close(struct mconn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    struct mwrite *w = (struct mwrite *)req;
    struct mconn *c = req->handle->data;
    free(w->buf.base);
    free(w);
    conn_close(c);
}

/* Sends the response (taking ownership of `resp`), then closes. */
static void conn_answer(struct mconn *c, uint8_t *resp, size_t len)
{
    c->answered = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (!resp) {
        conn_close(c);
        return;
    }
    struct mwrite *w = util_malloc(sizeof *w);
    w->buf = uv_buf_init((char *)resp, (unsigned)len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_written) < 0) {
        free(resp);
        free(w);
        conn_close(c);
    }
}

static uint8_t *respond_request(struct metrics_http *mh, const struct http_request *q,
                                size_t *len)
{
    bool get = !strcmp(q->method, "GET"), head = !strcmp(q->method, "HEAD");
    if (strcmp(q->path, "/metrics") != 0) {
        const char *msg = "not found; metrics are at /metrics\n";
        return http_response_build(404, "text/plain", NULL, msg, strlen(msg), false, len);
    }
    if (!get && !head) {
        const char *msg = "method not allowed\n";
        return http_response_build(405, "text/plain", "Allow: GET, HEAD\r\n", msg, strlen(msg),
                                   false, len);
    }
    size_t n;
    char *text = metrics_collect(&mh->src, &n);
    uint8_t *resp = http_response_build(200, CONTENT_TYPE, NULL, text, n, false, len);
    free(text);
    if (resp && head) {
        /* Same headers, no body. */
        *len -= n;
    }
    return resp;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    static char slab[16384];
    *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct mconn *c = st->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0 || c->closing || c->answered)
        return;
    int status = 0;
    size_t len = 0;
    long k = http_reader_feed(c->http, (const uint8_t *)buf->base, (size_t)n, &status);
    if (k < 0) {
        const char *msg = "bad request\n";
        status = status ? status : 400;
        uint8_t *resp = http_response_build(status, "text/plain", NULL, msg, strlen(msg), false,
                                            &len);
        conn_answer(c, resp, len);
        return;
    }
    if (http_reader_done(c->http)) {
        uint8_t *resp = respond_request(c->mh, http_reader_request(c->http), &len);
        conn_answer(c, resp, len);
    }
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct metrics_http *mh = listener->data;
    if (status < 0)
        return;
    struct mconn *c = util_calloc(1, sizeof *c);
    c->mh = mh;
    uv_tcp_init(mh->loop, &c->tcp);
    c->tcp.data = c;
    c->next = mh->conns;
    if (mh->conns)
        mh->conns->prev = c;
    mh->conns = c;
    c->http = http_reader_new(MAX_HEADER_BYTES, 0);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static int listen_on(struct metrics_http *mh, const char *addr, int port)
{
    if (mh->n_listeners == MAX_LISTENERS)
        return DC_ELIMIT;
    struct sockaddr_storage ss;
    if (uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss) != 0) {
        LOGE("metrics", "bad bind address", "addr=%s", addr);
        return DC_ECONFIG;
    }
    uv_tcp_t *l = &mh->listeners[mh->n_listeners++];
    uv_tcp_init(mh->loop, l);
    l->data = mh;
    int r = uv_tcp_bind(l, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)l, 64, on_connection);
    if (r < 0) {
        LOGE("metrics", "cannot listen", "addr=%s port=%d err=\"%s\"", addr, port,
             uv_strerror(r));
        return DC_EIO;
    }
    LOGI("metrics", "prometheus metrics listening", "addr=%s port=%d path=/metrics", addr, port);
    return 0;
}

int metrics_http_start(struct metrics_http **out, uv_loop_t *loop, const struct config *cfg,
                       const struct metrics_sources *src)
{
    *out = NULL;
    if (cfg->prometheus_port == 0)
        return 0;
    struct metrics_http *mh = util_calloc(1, sizeof *mh);
    mh->loop = loop;
    mh->src = *src;
    *out = mh;
    int r = 0;
    if (cfg->n_bind_addresses == 0)
        r = listen_on(mh, "0.0.0.0", cfg->prometheus_port);
    for (size_t i = 0; i < cfg->n_bind_addresses && r == 0; i++)
        r = listen_on(mh, cfg->bind_addresses[i], cfg->prometheus_port);
    return r;
}

void metrics_http_stop(struct metrics_http *mh)
{
    if (!mh)
        return;
    for (size_t i = 0; i < mh->n_listeners; i++)
        if (!uv_is_closing((uv_handle_t *)&mh->listeners[i]))
            uv_close((uv_handle_t *)&mh->listeners[i], NULL);
    for (struct mconn *c = mh->conns; c; c = c->next)
        conn_close(c);
}

void metrics_http_free(struct metrics_http *mh)
{
    free(mh);
}
