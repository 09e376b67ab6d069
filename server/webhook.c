/* webhook.c: see webhook.h.  libcurl's multi-socket API driven by libuv: curl
 * tells us which sockets to watch (on_socket) and when to call it back
 * (on_curl_timer); uv_poll/uv_timer report back with curl_multi_socket_action. */
#include "server/webhook.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "server/webhook_event.h"

struct wh_item {
    struct wh_item *next;
    char *body;
    size_t len;
    int attempts;
};

struct wh_target {
    struct webhook *w;
    char *url;
    struct wh_item *head, *tail, *cur;
    size_t n;
    CURL *easy;
    struct curl_slist *hdrs;
    uv_timer_t retry;
};

struct wh_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct webhook *w;
    struct wh_sock *prev, *next;
};

struct webhook {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    struct wh_target *targets;
    size_t n_targets;
    char *api_key, *secret;
    struct wh_sock *socks;
    bool stopped;
    uint64_t posted, retries, dropped, delivered, failed;
};

static void item_free(struct wh_item *it)
{
    if (it) {
        free(it->body);
        free(it);
    }
}

/* ---------- libuv <-> libcurl ---------- */

static void check_done(struct webhook *w);

static void sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sock_close(struct webhook *w, struct wh_sock *ws)
{
    if (ws->prev)
        ws->prev->next = ws->next;
    else
        w->socks = ws->next;
    if (ws->next)
        ws->next->prev = ws->prev;
    uv_poll_stop(&ws->poll);
    uv_close((uv_handle_t *)&ws->poll, sock_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct wh_sock *ws = h->data;
    struct webhook *w = ws->w;
    int flags = 0;
    if (status < 0)
        flags |= CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(w->multi, ws->fd, flags, &running);
    check_done(w);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e;
    struct webhook *w = userp;
    struct wh_sock *ws = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (ws) {
            sock_close(w, ws);
            curl_multi_assign(w->multi, s, NULL);
        }
        return 0;
    }
    if (!ws) {
        ws = util_calloc(1, sizeof *ws);
        if (uv_poll_init_socket(w->loop, &ws->poll, s) < 0) {
            free(ws);
            return -1;
        }
        ws->fd = s;
        ws->w = w;
        ws->poll.data = ws;
        ws->next = w->socks;
        if (w->socks)
            w->socks->prev = ws;
        w->socks = ws;
        curl_multi_assign(w->multi, s, ws);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&ws->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    struct webhook *w = t->data;
    int running;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(w);
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
    (void)m;
    struct webhook *w = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&w->timer);
    else
        uv_timer_start(&w->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

/* ---------- per-URL delivery ---------- */

static void target_kick(struct wh_target *t);

static void request_release(struct wh_target *t)
{
    if (t->easy) {
        curl_multi_remove_handle(t->w->multi, t->easy);
        curl_easy_cleanup(t->easy);
        t->easy = NULL;
    }
    curl_slist_free_all(t->hdrs);
    t->hdrs = NULL;
}

static void item_done(struct wh_target *t)
{
    item_free(t->cur);
    t->cur = NULL;
    target_kick(t);
}

static int attempt_start(struct wh_target *t)
{
    struct webhook *w = t->w;
    struct wh_item *it = t->cur;
    it->attempts++;
    char *tok = webhook_event_token(it->body, it->len, w->api_key, w->secret,
                                    util_wall_ms() / 1000);
    if (!tok)
        return DC_EINVAL;
    size_t n = strlen(tok) + sizeof "Authorization: ";
    char *auth = util_malloc(n);
    snprintf(auth, n, "Authorization: %s", tok);
    free(tok);
    t->hdrs = curl_slist_append(NULL, "Content-Type: application/webhook+json");
    t->hdrs = curl_slist_append(t->hdrs, auth);
    t->hdrs = curl_slist_append(t->hdrs, "Expect:");
    free(auth);
    t->easy = curl_easy_init();
    if (!t->easy || !t->hdrs)
        return DC_EIO;
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, t->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)it->len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdrs);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "LiveKit");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBHOOK_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
        return DC_EIO;
    return 0;
}

static void on_retry(uv_timer_t *h)
{
    struct wh_target *t = h->data;
    if (t->w->stopped || !t->cur)
        return;
    if (attempt_start(t) < 0) {
        request_release(t);
        t->w->failed++;
        LOGW("webhook", "could not start a webhook request", "url=%s", t->url);
        item_done(t);
    }
}

static void target_kick(struct wh_target *t)
{
    while (!t->cur && t->head && !t->w->stopped) {
        t->cur = t->head;
        t->head = t->cur->next;
        if (!t->head)
            t->tail = NULL;
        t->n--;
        if (attempt_start(t) == 0)
            return;
        request_release(t);
        t->w->failed++;
        LOGW("webhook", "could not start a webhook request", "url=%s", t->url);
        item_free(t->cur);
        t->cur = NULL;
    }
}

static void request_finished(struct wh_target *t, CURLcode res)
{
    struct webhook *w = t->w;
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    request_release(t);
    bool retry = res != CURLE_OK || status >= 500;
    if (!retry) {
        if (status >= 200 && status < 300) {
            w->delivered++;
        } else {
            w->failed++;
            LOGW("webhook", "webhook refused", "url=%s status=%ld", t->url, status);
        }
        item_done(t);
        return;
    }
    if (t->cur->attempts < WEBHOOK_ATTEMPTS) {
        uint64_t delay = (uint64_t)WEBHOOK_BACKOFF_MS << (t->cur->attempts - 1);
        w->retries++;
        LOGD("webhook", "webhook post failed, retrying", "url=%s status=%ld error=\"%s\" delay_ms=%llu",
             t->url, status, curl_easy_strerror(res), (unsigned long long)delay);
        uv_timer_start(&t->retry, on_retry, delay, 0);
        return;
    }
    w->failed++;
    LOGW("webhook", "webhook post failed, giving up", "url=%s status=%ld error=\"%s\" attempts=%d",
         t->url, status, curl_easy_strerror(res), t->cur->attempts);
    item_done(t);
}

static void check_done(struct webhook *w)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(w->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct wh_target *t = NULL;
        CURLcode res = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        if (t && t->easy == msg->easy_handle)
            request_finished(t, res);
    }
}

static void target_push(struct wh_target *t, char *body, size_t len)
{
    if (t->n >= WEBHOOK_QUEUE_MAX) {
        struct wh_item *old = t->head;
        t->head = old->next;
        if (!t->head)
            t->tail = NULL;
        t->n--;
        item_free(old);
        t->w->dropped++;
        LOGW("webhook", "webhook queue full, dropped the oldest event", "url=%s dropped=%llu",
             t->url, (unsigned long long)t->w->dropped);
    }
    t->w->posted++;
    struct wh_item *it = util_calloc(1, sizeof *it);
    it->body = body;
    it->len = len;
    if (t->tail)
        t->tail->next = it;
    else
        t->head = it;
    t->tail = it;
    t->n++;
    target_kick(t);
}

/* ---------- public ---------- */

int webhook_start(struct webhook **out, uv_loop_t *loop, const struct config *cfg)
{
    *out = NULL;
    if (cfg->webhook.n_urls == 0)
        return 0;
    const char *key = cfg->webhook.api_key;
    const char *secret = key ? config_secret_for(cfg, key) : NULL;
    if (!secret || !*secret) {
        LOGE("webhook", "webhook.api_key must name one of the configured keys", NULL);
        return DC_EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return DC_EIO;
    struct webhook *w = util_calloc(1, sizeof *w);
    w->loop = loop;
    w->multi = curl_multi_init();
    if (!w->multi) {
        free(w);
        curl_global_cleanup();
        return DC_EIO;
    }
    w->api_key = util_strdup(key);
    w->secret = util_strdup(secret);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    w->n_targets = cfg->webhook.n_urls;
    w->targets = util_calloc(w->n_targets, sizeof *w->targets);
    for (size_t i = 0; i < w->n_targets; i++) {
        struct wh_target *t = &w->targets[i];
        t->w = w;
        t->url = util_strdup(cfg->webhook.urls[i]);
        uv_timer_init(loop, &t->retry);
        t->retry.data = t;
    }
    LOGI("webhook", "webhooks enabled", "urls=%zu", w->n_targets);
    *out = w;
    return 0;
}

void webhook_post(void *ctx, const char *event, const struct room *r, const struct participant *p)
{
    struct webhook *w = ctx;
    if (!w || w->stopped)
        return;
    Livekit__Room room;
    Livekit__ParticipantInfo info;
    if (r)
        rm_proto_room(r, &room);
    if (p)
        rm_proto_participant(p, &info);
    char id[UTIL_SID_MAX];
    util_new_sid(id, "EV_");
    char *body = webhook_event_body(event, r ? &room : NULL, p ? &info : NULL, id,
                                    util_wall_ms() / 1000);
    if (p)
        rm_proto_participant_release(&info);
    if (!body) {
        LOGW("webhook", "could not encode a webhook event", "event=%s", event);
        return;
    }
    size_t len = strlen(body);
    for (size_t i = 0; i < w->n_targets; i++)
        target_push(&w->targets[i], i + 1 < w->n_targets ? util_strdup(body) : body, len);
}

uint64_t webhook_dropped(const struct webhook *w) { return w ? w->dropped : 0; }
uint64_t webhook_delivered(const struct webhook *w) { return w ? w->delivered : 0; }
uint64_t webhook_failed(const struct webhook *w) { return w ? w->failed : 0; }

void webhook_stats(const struct webhook *w, struct webhook_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!w)
        return;
    out->posted = w->posted;
    out->delivered = w->delivered;
    out->failed = w->failed;
    out->dropped = w->dropped;
    out->retries = w->retries;
    for (size_t i = 0; i < w->n_targets; i++)
        out->pending += w->targets[i].n + (w->targets[i].cur != NULL);
}

void webhook_stop(struct webhook *w)
{
    if (!w || w->stopped)
        return;
    w->stopped = true;
    size_t abandoned = 0;
    for (size_t i = 0; i < w->n_targets; i++) {
        struct wh_target *t = &w->targets[i];
        request_release(t);
        abandoned += t->n + (t->cur != NULL);
        item_free(t->cur);
        t->cur = NULL;
        while (t->head) {
            struct wh_item *it = t->head;
            t->head = it->next;
            item_free(it);
        }
        t->tail = NULL;
        t->n = 0;
        uv_timer_stop(&t->retry);
        uv_close((uv_handle_t *)&t->retry, NULL);
    }
    curl_multi_cleanup(w->multi);
    w->multi = NULL;
    while (w->socks)
        sock_close(w, w->socks);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, NULL);
    if (abandoned)
        LOGI("webhook", "webhook events abandoned at shutdown", "events=%zu", abandoned);
}

void webhook_free(struct webhook *w)
{
    if (!w)
        return;
    webhook_stop(w);
    for (size_t i = 0; i < w->n_targets; i++)
        free(w->targets[i].url);
    free(w->targets);
    free(w->api_key);
    free(w->secret);
    free(w);
    curl_global_cleanup();
}
