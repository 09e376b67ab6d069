/* webhook.h: posts LiveKit webhook events to the configured webhook.urls,
 * asynchronously on the server's libuv loop (libcurl multi-socket API).
 *
 * Each URL has its own FIFO of events, delivered one request at a time in
 * order.  A request is a POST of the WebhookEvent JSON (server/webhook_event.h)
 * with headers Content-Type: application/webhook+json, Authorization: <jwt>
 * and User-Agent: LiveKit.  A connection error, a timeout (WEBHOOK_TIMEOUT_MS)
 * or a 5xx answer is retried up to WEBHOOK_ATTEMPTS attempts in all, waiting
 * WEBHOOK_BACKOFF_MS, then twice that, ...; other answers end the event.  A
 * FIFO holds at most WEBHOOK_QUEUE_MAX events: the oldest waiting one is
 * dropped (counted, logged) to make room.  Nothing here blocks the loop.
 *
 * Lifecycle: webhook_start copies what it needs from the configuration (URLs,
 * API key and its secret); with no URLs it returns 0 and *out = NULL, and every
 * function accepts NULL.  webhook_stop abandons waiting and in-flight requests
 * and closes its handles; webhook_free (after the loop has run the close
 * callbacks) releases the rest.
 * Returns 0, DC_EINVAL (no api_key or no secret for it) or DC_EIO (libcurl). */
#ifndef DC_WEBHOOK_H
#define DC_WEBHOOK_H

#include <stdint.h>
#include <uv.h>

#include "config/config.h"
#include "server/room_manager.h"

#define WEBHOOK_QUEUE_MAX 1024
#define WEBHOOK_ATTEMPTS 3
#define WEBHOOK_BACKOFF_MS 500
#define WEBHOOK_TIMEOUT_MS 5000

struct webhook;

int webhook_start(struct webhook **out, uv_loop_t *loop, const struct config *cfg);
/* Queues `event` about r (and p, may be NULL) for every URL.  Usable as
 * rm_sink_ops.on_event with the webhook as ctx. */
void webhook_post(void *w, const char *event, const struct room *r, const struct participant *p);
/* Events dropped because a queue was full, delivered, and given up on. */
uint64_t webhook_dropped(const struct webhook *w);
uint64_t webhook_delivered(const struct webhook *w);
uint64_t webhook_failed(const struct webhook *w);

/* Counters since start, summed over every URL (an event counts once per
 * URL).  A NULL webhook gives zeros. */
struct webhook_stats {
    uint64_t posted;    /* events queued */
    uint64_t delivered; /* answered with 2xx */
    uint64_t failed;    /* given up on: 4xx, or every attempt failed */
    uint64_t dropped;   /* pushed out of a full queue before being sent */
    uint64_t retries;   /* attempts after the first */
    uint64_t pending;   /* now waiting or in flight */
};
void webhook_stats(const struct webhook *w, struct webhook_stats *out);
void webhook_stop(struct webhook *w);
void webhook_free(struct webhook *w);

#endif
