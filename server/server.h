/* server.h: the libuv glue of the signaling port.
 *
 * Owns the loop's TCP listeners and every client connection.  A connection
 * starts as HTTP (signaling/http.h); front_handle() (server/front.h) decides
 * the answer; WebSocket upgrades switch it to signaling/ws.h and attach a
 * participant of the room manager.  This file does I/O only: no protocol
 * decisions are made here.  Connections are freed in their close callbacks.
 *
 * With tls.cert_file set the port speaks TLS only (signaling/tls_stream.h
 * does the records; this file moves the bytes): a connection that starts
 * with a plaintext HTTP request gets a 400 in plaintext and is closed, one
 * that has not finished its handshake within SERVER_TLS_HANDSHAKE_MS is
 * closed, one whose handshake or records fail is closed.
 *
 * Connection caps (counted in rm->limits, answered before any byte is read):
 * a source address over limit.max_connections_per_ip_per_second gets 429
 * "too many connections from this address", a connection beyond
 * limit.max_signal_connections open ones gets 503 "server has too many
 * connections"; both with Retry-After: 1 and Connection: close, after which
 * the server reads and drops until the client closes (at most 2 s).  On the
 * TLS port they are closed without an answer. */
#ifndef DC_SERVER_H
#define DC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

struct server;

#define SERVER_TLS_HANDSHAKE_MS 10000

/* TLS counters of the signaling port, for the metrics (all zero without TLS). */
struct server_tls_stats {
    bool enabled;
    uint64_t handshakes;          /* completed */
    uint64_t handshake_failures;  /* refused by the TLS layer (bad hello, no shared cipher...) */
    uint64_t handshake_timeouts;  /* not done within SERVER_TLS_HANDSHAKE_MS */
    uint64_t plaintext_requests;  /* plaintext HTTP on the TLS port */
    uint64_t reloads, reload_failures;
    int64_t not_after;            /* the current certificate's expiry, Unix seconds */
};

/* Binds the listeners of cfg (bind_addresses x port). Returns 0 or a DC_E* code. */
int server_start(struct server **out, uv_loop_t *loop, struct config *cfg);
/* Graceful stop: from now on joins and validations are refused (503) and
 * GET / answers 406, while rooms in progress carry on.  Once no participant
 * is left, or timeout_ms has passed (0: at once), server_stop() runs.  When
 * server_stop() runs (from here or called directly), on_stopped(arg) is
 * called once at its end.  Calls after the first do nothing. */
void server_drain(struct server *s, uint64_t timeout_ms, void (*on_stopped)(void *arg), void *arg);
/* Stops listening, closes every connection (participants get Leave
 * SERVER_SHUTDOWN and are removed); the loop then runs dry.  Ends a drain. */
void server_stop(struct server *s);
/* SIGHUP, after config_reload: loads the certificate and key now in
 * cfg->tls for new connections; open connections keep the ones they started
 * with.  A certificate that does not load is logged and the current one
 * stays.  TLS cannot be turned on or off without a restart (logged). */
void server_reload_tls(struct server *s);
const struct server_tls_stats *server_tls_stats(const struct server *s);
/* Connections open on the signaling port now (refused ones not counted). */
size_t server_connections(const struct server *s);
/* Frees what server_stop left after the loop has run its close callbacks. */
void server_free(struct server *s);

#endif
