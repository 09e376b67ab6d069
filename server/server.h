/* server.h: the libuv glue of the signaling port.
 *
 * Owns the loop's TCP listeners and every client connection.  A connection
 * starts as HTTP (signaling/http.h); front_handle() (server/front.h) decides
 * the answer; WebSocket upgrades switch it to signaling/ws.h and attach a
 * participant of the room manager.  This file does I/O only: no protocol
 * decisions are made here.  Connections are freed in their close callbacks. */
#ifndef DC_SERVER_H
#define DC_SERVER_H

#include <uv.h>

#include "config/config.h"

struct server;

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
/* Frees what server_stop left after the loop has run its close callbacks. */
void server_free(struct server *s);

#endif
