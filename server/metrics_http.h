/* metrics_http.h: the Prometheus scrape endpoint (prometheus.port).
 *
 * When cfg->prometheus_port is non-zero, metrics_http_start() listens on
 * bind_addresses x prometheus_port (all interfaces when none are set) and
 * answers `GET /metrics` (also HEAD) with the text exposition format 0.0.4;
 * any other path is 404, any other method 405.  Each connection serves one
 * request and is closed.  The listener reads the room manager's and the
 * data plane's counters at scrape time; it changes nothing.  With the port
 * 0, start does nothing and returns 0 with *out NULL.
 *
 * metrics_collect() builds the scrape text (malloc'd) from the sources; it is
 * separate so that it can be used without the listener.  The metric names
 * are documented in docs/METRICS.md.
 *
 * Return codes: 0, DC_ECONFIG (bad bind address), DC_EIO (cannot listen),
 * DC_ELIMIT (too many bind addresses). */
#ifndef DC_METRICS_HTTP_H
#define DC_METRICS_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "config/config.h"

struct rm;
struct rtc;
struct webhook;
struct server_tls_stats;
struct server;
struct metrics_http;

/* What a scrape reads; the pointers must outlive the listener. */
struct metrics_sources {
    struct rm *rm;
    struct rtc *rtc;
    const struct webhook *webhook;       /* NULL: no webhooks (counters read 0) */
    const struct server_tls_stats *tls;  /* NULL or !enabled: no dcsfu_tls_* metrics */
    const struct server *server;         /* NULL: dcsfu_signal_connections reads 0 */
};

int metrics_http_start(struct metrics_http **out, uv_loop_t *loop, const struct config *cfg,
                       const struct metrics_sources *src);
/* Closes the listeners and every open scrape connection. */
void metrics_http_stop(struct metrics_http *m);
/* After the loop has run the close callbacks.  NULL is fine. */
void metrics_http_free(struct metrics_http *m);

char *metrics_collect(const struct metrics_sources *src, size_t *len);

#endif
