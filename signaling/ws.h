/* ws.h: server side of RFC 6455 WebSocket, I/O-free (framing by wslay).
 *
 * ws_handshake_response checks an upgrade request and builds the 101 reply.
 * No sub-protocol and no extension is ever negotiated (permessage-deflate
 * offers are ignored), so every frame must have RSV bits clear.
 *
 * A ws_conn takes received bytes through ws_conn_feed, split anywhere, and
 * reports complete messages through on_message (fragments reassembled,
 * text delivered with binary=false after UTF-8 validation; refusing text is
 * the caller's choice).  Bytes to send go out through cb->write, one call
 * per frame, synchronously from whichever ws_conn_* call produced them: the
 * caller copies or queues them and owns flushing and back-pressure.
 * Pings are answered with pongs; a close is answered with a close echoing
 * the peer's code.  Errors fail the connection with a close frame: 1002 for
 * protocol violations (unmasked client frame, RSV bits, bad opcode or
 * sequence, bad length encoding, bad close payload), 1007 for invalid UTF-8,
 * 1009 (with a reason) for a message over max_message_bytes, which is
 * detected from the frame's declared length as soon as its payload starts
 * to arrive, before any of it is buffered.  Memory held for an incoming
 * message never exceeds max_message_bytes.
 *
 * on_close fires once: when the peer's close frame arrives (its code, 1005
 * if it had none) or when the connection is failed (the code sent).  After
 * it, feeding is pointless: ws_conn_feed returns DC_ECLOSED.  A close the
 * application sent with ws_conn_close does not fire on_close; the peer's
 * reply does.  The caller needs its own timeout for that reply.
 *
 * Re-entrancy: on_message and on_close may call ws_conn_send, ws_conn_ping,
 * ws_conn_close and ws_conn_closed.  They must NOT call ws_conn_free or
 * ws_conn_feed (feed returns DC_EINVAL if they do); free the connection
 * after ws_conn_feed returns.  `write` must not call back into ws_conn_*. */
#ifndef DC_WS_H
#define DC_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signaling/http.h"

/* Extra headers for a 426 reply (pass to http_response_build). */
#define WS_UPGRADE_REQUIRED_HEADERS "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"

/* Validates the upgrade request: GET, HTTP/1.1 or later, Upgrade holds
 * "websocket", Connection holds "upgrade", Sec-WebSocket-Version 13, and a
 * Sec-WebSocket-Key that is base64 (standard alphabet, padded) of 16 bytes.
 * Returns the malloc'd 101 response (*out_len bytes, *status 101), or NULL
 * with *status 426 (not a WebSocket upgrade, or another WebSocket version:
 * answer with WS_UPGRADE_REQUIRED_HEADERS) or 400 (method not GET, HTTP
 * older than 1.1, missing or bad key).  Sub-protocols and extensions the
 * client offers are ignored (none is accepted). */
uint8_t *ws_handshake_response(const struct http_request *q, size_t *out_len, int *status);
/* Writes the 28-character Sec-WebSocket-Accept value for `key`, plus a NUL. */
void ws_accept_key(const char *key, char out[29]);

struct ws_callbacks {
    void (*on_message)(void *ctx, bool binary, const uint8_t *data, size_t len);
    void (*on_close)(void *ctx, uint16_t code);
    void (*write)(void *ctx, const uint8_t *data, size_t len);
};

struct ws_conn;

/* Copies *cb.  NULL on_message/on_close are allowed; returns NULL if
 * cb->write is NULL. */
struct ws_conn *ws_conn_new(const struct ws_callbacks *cb, void *ctx, size_t max_message_bytes);
/* Never from inside a callback of this connection. */
void ws_conn_free(struct ws_conn *w);
/* Processes every byte given.  Returns 0 while the connection is open,
 * DC_ECLOSED once a close was sent or received (the peer's reply to our
 * close is still processed: keep feeding until ws_conn_closed), or
 * DC_EINVAL when called from inside a callback. */
int ws_conn_feed(struct ws_conn *w, const uint8_t *data, size_t len);
/* Sends one unfragmented message.  0, or DC_ECLOSED after a close was sent. */
int ws_conn_send(struct ws_conn *w, bool binary, const uint8_t *data, size_t len);
/* Sends a close frame (code 0: no code and no reason; the reason is cut to
 * 123 bytes on a UTF-8 boundary).  0, DC_ECLOSED if a close was already
 * sent, DC_EINVAL for a code that may not be sent (1005, 1006, 1015, < 1000). */
int ws_conn_close(struct ws_conn *w, uint16_t code, const char *reason);
/* Sends an empty ping.  0, or DC_ECLOSED after a close was sent. */
int ws_conn_ping(struct ws_conn *w);
/* True once a close was sent and one was received or the connection failed:
 * the caller may close the socket once its writes have flushed. */
bool ws_conn_closed(const struct ws_conn *w);
/* True once this side failed the connection (protocol error, invalid UTF-8,
 * oversize message): the code on_close reported is the one sent. */
bool ws_conn_failed(const struct ws_conn *w);

#endif
