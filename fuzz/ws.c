/* ws.c: fuzz target for signaling/ws (WebSocket framing, server side).
 *
 * Input: byte 0 picks where the stream is split, byte 1 the message limit
 * (in 64-byte units); the rest is what the client sends after the upgrade.
 * Like the server, on_message answers every message (re-entrant send), and
 * a message starting with "close" makes it close the connection. */
#include <stdbool.h>
#include <string.h>

#include "common/err.h"
#include "fuzz/fuzz.h"
#include "signaling/ws.h"

struct ctx {
    struct ws_conn *w;
    size_t written, messages;
    int closes;
};

static void on_message(void *c, bool binary, const uint8_t *d, size_t n)
{
    struct ctx *x = c;
    x->messages++;
    if (n >= 5 && memcmp(d, "close", 5) == 0) {
        (void)ws_conn_close(x->w, 1000, "bye");
        return;
    }
    if (x->messages % 3 == 0)
        (void)ws_conn_ping(x->w);
    (void)ws_conn_send(x->w, binary, d, n > 64 ? 64 : n);
}

static void on_close(void *c, uint16_t code)
{
    struct ctx *x = c;
    (void)code;
    if (++x->closes > 1)
        __builtin_trap(); /* on_close fires once */
}

static void on_write(void *c, const uint8_t *d, size_t n)
{
    struct ctx *x = c;
    (void)d;
    x->written += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    if (size < 2)
        return 0;
    size_t chunk = data[0] ? data[0] : size;
    size_t max_msg = (size_t)(data[1] + 1) * 64;
    data += 2, size -= 2;
    static const struct ws_callbacks cb = {on_message, on_close, on_write};
    struct ctx x = {0};
    x.w = ws_conn_new(&cb, &x, max_msg);
    for (size_t off = 0; off < size;) {
        size_t n = size - off < chunk ? size - off : chunk;
        int rc = ws_conn_feed(x.w, data + off, n);
        off += n;
        if (rc == DC_EINVAL)
            __builtin_trap();
        if (rc == DC_ECLOSED && ws_conn_closed(x.w))
            break;
    }
    ws_conn_free(x.w);
    return 0;
}
