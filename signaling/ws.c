#include "signaling/ws.h"

#include <mbedtls/sha1.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#include "common/b64.h"
#include "common/err.h"
#include "common/util.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEEP_BUF 65536 /* larger buffers are released after use */

/* ---- handshake ---------------------------------------------------------- */

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define sha1_starts mbedtls_sha1_starts
#define sha1_update mbedtls_sha1_update
#define sha1_finish mbedtls_sha1_finish
#else
#define sha1_starts mbedtls_sha1_starts_ret
#define sha1_update mbedtls_sha1_update_ret
#define sha1_finish mbedtls_sha1_finish_ret
#endif

void ws_accept_key(const char *key, char out[29])
{
    unsigned char digest[20];
    mbedtls_sha1_context c;
    mbedtls_sha1_init(&c);
    sha1_starts(&c);
    sha1_update(&c, (const unsigned char *)key, strlen(key));
    sha1_update(&c, (const unsigned char *)WS_GUID, sizeof WS_GUID - 1);
    sha1_finish(&c, digest);
    mbedtls_sha1_free(&c);
    b64_encode(digest, sizeof digest, out, false, true);
}

/* Standard alphabet, "==" padded, 16 bytes once decoded. */
static bool key_ok(const char *key)
{
    uint8_t raw[24];
    if (!key || strlen(key) != 24 || strcmp(key + 22, "==") != 0 || strpbrk(key, "-_"))
        return false;
    return b64_decode(key, 24, raw) == 16;
}

uint8_t *ws_handshake_response(const struct http_request *q, size_t *out_len, int *status)
{
    int st = 0;
    const char *ver = http_header_get(q, "Sec-WebSocket-Version");
    const char *key = http_header_get(q, "Sec-WebSocket-Key");
    if (!http_header_has_token(q, "Upgrade", "websocket") ||
        !http_header_has_token(q, "Connection", "upgrade"))
        st = 426;
    else if (strcmp(q->method, "GET") != 0 || q->http_major < 1 ||
             (q->http_major == 1 && q->http_minor < 1))
        st = 400;
    else if (!ver || strcmp(ver, "13") != 0)
        st = 426;
    else if (!key_ok(key))
        st = 400;
    if (status)
        *status = st ? st : 101;
    if (st)
        return NULL;
    char accept[29];
    ws_accept_key(key, accept);
    char head[160];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    uint8_t *out = util_malloc((size_t)n);
    memcpy(out, head, (size_t)n);
    *out_len = (size_t)n;
    return out;
}

/* ---- connection state --------------------------------------------------- */

struct ws_conn {
    struct ws_callbacks cb;
    void *ctx;
    size_t max_msg;
    wslay_frame_context_ptr fc;

    const uint8_t *in; /* rest of the bytes given to the current feed */
    size_t in_len;
    uint8_t *out; /* one outgoing frame, gathered for a single write */
    size_t out_len, out_cap;

    /* frame being received */
    bool in_frame, fin;
    uint8_t op;
    uint64_t frame_len, frame_off;
    /* data message being reassembled */
    bool msg_active, msg_binary;
    uint8_t *msg;
    size_t msg_len, msg_cap;
    uint8_t ctl[125];
    size_t ctl_len;

    bool feeding, read_done, close_sent, close_recv, failed, close_reported;
};

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *user)
{
    struct ws_conn *w = user;
    (void)flags;
    size_t n = len < w->in_len ? len : w->in_len;
    if (n == 0)
        return -1; /* wslay reports this as WSLAY_ERR_WANT_READ */
    memcpy(buf, w->in, n);
    w->in += n;
    w->in_len -= n;
    return (ssize_t)n;
}

static ssize_t send_cb(const uint8_t *data, size_t len, int flags, void *user)
{
    struct ws_conn *w = user;
    (void)flags;
    if (len > w->out_cap - w->out_len) {
        size_t cap = w->out_cap ? w->out_cap : 256;
        while (cap - w->out_len < len)
            cap *= 2;
        w->out = util_realloc(w->out, cap);
        w->out_cap = cap;
    }
    memcpy(w->out + w->out_len, data, len);
    w->out_len += len;
    return (ssize_t)len;
}

static int genmask_cb(uint8_t *buf, size_t len, void *user)
{
    (void)user;
    util_random_bytes(buf, len); /* unused: a server never masks */
    return 0;
}

struct ws_conn *ws_conn_new(const struct ws_callbacks *cb, void *ctx, size_t max_message_bytes)
{
    static const struct wslay_frame_callbacks fcb = {send_cb, recv_cb, genmask_cb};
    if (!cb || !cb->write)
        return NULL;
    struct ws_conn *w = util_calloc(1, sizeof *w);
    w->cb = *cb;
    w->ctx = ctx;
    w->max_msg = max_message_bytes;
    if (wslay_frame_context_init(&w->fc, &fcb, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void ws_conn_free(struct ws_conn *w)
{
    if (!w)
        return;
    wslay_frame_context_free(w->fc);
    free(w->out);
    free(w->msg);
    free(w);
}

bool ws_conn_closed(const struct ws_conn *w)
{
    return w->close_sent && (w->close_recv || w->failed);
}

bool ws_conn_failed(const struct ws_conn *w)
{
    return w->failed;
}

/* ---- sending ------------------------------------------------------------ */

static int send_frame(struct ws_conn *w, uint8_t op, const uint8_t *data, size_t len)
{
    struct wslay_frame_iocb io;
    size_t sent = 0;
    memset(&io, 0, sizeof io);
    io.fin = 1;
    io.opcode = op;
    io.payload_length = len;
    do {
        io.data = len ? data + sent : data; /* data may be NULL when len is 0 */
        io.data_length = len - sent;
        ssize_t r = wslay_frame_send(w->fc, &io);
        if (r < 0) {
            w->out_len = 0;
            return DC_EINVAL;
        }
        sent += (size_t)r;
    } while (sent < len);
    w->cb.write(w->ctx, w->out, w->out_len);
    w->out_len = 0;
    if (w->out_cap > WS_KEEP_BUF) {
        free(w->out);
        w->out = NULL;
        w->out_cap = 0;
    }
    return 0;
}

/* Close codes that may appear on the wire (RFC 6455 7.4 and IANA registry). */
static bool close_code_ok(uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

static void send_close(struct ws_conn *w, uint16_t code, const char *reason)
{
    uint8_t buf[125];
    size_t n = 0;
    if (code) {
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > 123) {
            rl = 123;
            while (rl > 0 && ((uint8_t)reason[rl] & 0xC0) == 0x80)
                rl--;
        }
        buf[0] = (uint8_t)(code >> 8);
        buf[1] = (uint8_t)(code & 0xff);
        if (rl)
            memcpy(buf + 2, reason, rl);
        n = 2 + rl;
    }
    w->close_sent = true;
    send_frame(w, WSLAY_CONNECTION_CLOSE, buf, n);
}

int ws_conn_send(struct ws_conn *w, bool binary, const uint8_t *data, size_t len)
{
    if (w->close_sent)
        return DC_ECLOSED;
    return send_frame(w, binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME, data, len);
}

int ws_conn_ping(struct ws_conn *w)
{
    if (w->close_sent)
        return DC_ECLOSED;
    return send_frame(w, WSLAY_PING, NULL, 0);
}

int ws_conn_close(struct ws_conn *w, uint16_t code, const char *reason)
{
    if (w->close_sent)
        return DC_ECLOSED;
    if (code && !close_code_ok(code))
        return DC_EINVAL;
    send_close(w, code, reason);
    return 0;
}

/* ---- receiving ---------------------------------------------------------- */

static void report_close(struct ws_conn *w, uint16_t code)
{
    if (w->close_reported)
        return;
    w->close_reported = true;
    if (w->cb.on_close)
        w->cb.on_close(w->ctx, code);
}

/* Fails the connection: close frame with `code`, no more reading. */
static int ws_fail(struct ws_conn *w, uint16_t code, const char *reason)
{
    w->failed = true;
    w->read_done = true;
    if (!w->close_sent)
        send_close(w, code, reason);
    report_close(w, code);
    return -1;
}

static bool is_data_op(uint8_t op)
{
    return op == WSLAY_CONTINUATION_FRAME || op == WSLAY_TEXT_FRAME || op == WSLAY_BINARY_FRAME;
}

/* Checks a new frame's header against the connection state. */
static int frame_start(struct ws_conn *w, const struct wslay_frame_iocb *io)
{
    if (io->rsv)
        return ws_fail(w, 1002, "reserved bits set");
    if (!io->mask)
        return ws_fail(w, 1002, "client frame not masked");
    switch (io->opcode) {
    case WSLAY_CONTINUATION_FRAME:
        if (!w->msg_active)
            return ws_fail(w, 1002, "continuation without a message");
        break;
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (w->msg_active)
            return ws_fail(w, 1002, "new message inside a fragmented one");
        w->msg_active = true;
        w->msg_binary = io->opcode == WSLAY_BINARY_FRAME;
        w->msg_len = 0;
        break;
    case WSLAY_CONNECTION_CLOSE:
    case WSLAY_PING:
    case WSLAY_PONG:
        w->ctl_len = 0; /* wslay checked: fin set, at most 125 bytes */
        break;
    default:
        return ws_fail(w, 1002, "unknown opcode");
    }
    if (is_data_op(io->opcode) && io->payload_length > w->max_msg - w->msg_len)
        return ws_fail(w, 1009, "message too big");
    w->in_frame = true;
    w->op = io->opcode;
    w->fin = io->fin;
    w->frame_len = io->payload_length;
    w->frame_off = 0;
    return 0;
}

static void msg_append(struct ws_conn *w, const uint8_t *d, size_t n)
{
    if (n > w->msg_cap - w->msg_len) {
        size_t need = w->msg_len + n;
        size_t cap = w->msg_cap ? w->msg_cap * 2 : 1024;
        if (cap < need)
            cap = need;
        if (cap > w->max_msg)
            cap = w->max_msg; /* need <= max_msg: checked in frame_start */
        w->msg = util_realloc(w->msg, cap);
        w->msg_cap = cap;
    }
    memcpy(w->msg + w->msg_len, d, n);
    w->msg_len += n;
}

static void deliver(struct ws_conn *w)
{
    static const uint8_t empty[1];
    w->msg_active = false;
    if (!w->msg_binary && !util_utf8_valid(w->msg, w->msg_len)) {
        ws_fail(w, 1007, "text message is not UTF-8");
        return;
    }
    if (!w->close_sent && w->cb.on_message)
        w->cb.on_message(w->ctx, w->msg_binary, w->msg_len ? w->msg : empty, w->msg_len);
    w->msg_len = 0;
    if (w->msg_cap > WS_KEEP_BUF) {
        free(w->msg);
        w->msg = NULL;
        w->msg_cap = 0;
    }
}

static void peer_close(struct ws_conn *w)
{
    uint16_t code = 1005; /* no status received */
    if (w->ctl_len == 1) {
        ws_fail(w, 1002, "close payload of one byte");
        return;
    }
    if (w->ctl_len >= 2) {
        code = (uint16_t)(w->ctl[0] << 8 | w->ctl[1]);
        if (!close_code_ok(code)) {
            ws_fail(w, 1002, "invalid close code");
            return;
        }
        if (!util_utf8_valid(w->ctl + 2, w->ctl_len - 2)) {
            ws_fail(w, 1007, "close reason is not UTF-8");
            return;
        }
    }
    w->close_recv = true;
    w->read_done = true;
    if (!w->close_sent)
        send_close(w, w->ctl_len >= 2 ? code : 0, NULL);
    report_close(w, code);
}

static void frame_end(struct ws_conn *w)
{
    w->in_frame = false;
    switch (w->op) {
    case WSLAY_CONTINUATION_FRAME:
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME:
        if (w->fin)
            deliver(w);
        break;
    case WSLAY_PING:
        if (!w->close_sent)
            send_frame(w, WSLAY_PONG, w->ctl, w->ctl_len);
        break;
    case WSLAY_CONNECTION_CLOSE:
        peer_close(w);
        break;
    default: /* pong */
        break;
    }
}

static void handle_chunk(struct ws_conn *w, const struct wslay_frame_iocb *io)
{
    if (!w->in_frame && frame_start(w, io) != 0)
        return;
    if (io->data_length > 0) {
        if (is_data_op(w->op)) {
            msg_append(w, io->data, io->data_length);
        } else {
            memcpy(w->ctl + w->ctl_len, io->data, io->data_length);
            w->ctl_len += io->data_length;
        }
    }
    w->frame_off += io->data_length;
    if (w->frame_off == w->frame_len)
        frame_end(w);
}

int ws_conn_feed(struct ws_conn *w, const uint8_t *data, size_t len)
{
    if (w->feeding)
        return DC_EINVAL;
    w->feeding = true;
    w->in = data;
    w->in_len = len;
    while (!w->read_done) {
        struct wslay_frame_iocb io;
        memset(&io, 0, sizeof io);
        ssize_t r = wslay_frame_recv(w->fc, &io);
        if (r == WSLAY_ERR_WANT_READ) {
            if (w->in_len == 0)
                break;
            continue;
        }
        if (r < 0) {
            ws_fail(w, 1002, "malformed frame header");
            break;
        }
        handle_chunk(w, &io);
    }
    w->feeding = false;
    w->in = NULL;
    w->in_len = 0;
    return (w->close_sent || w->close_recv || w->failed) ? DC_ECLOSED : 0;
}
