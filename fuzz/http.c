/* http.c: fuzz target for signaling/http (request reader), the WebSocket
 * handshake check and the URL query and Authorization helpers.
 *
 * Input: byte 0 picks where the stream is split (the reader must give the
 * same result however the bytes arrive); the rest is what a client sends on
 * a connection, pipelined requests included.  Each complete request goes
 * through ws_handshake_response, query_get (join_request, access_token) and
 * auth_bearer, as server/front.c does. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "signaling/auth.h"
#include "signaling/http.h"
#include "signaling/query.h"
#include "signaling/ws.h"

static void use_request(const struct http_request *q)
{
    size_t len;
    int status;
    uint8_t *resp = ws_handshake_response(q, &len, &status);
    free(resp);
    free(query_get(q->query, "join_request"));
    free(query_get(q->query, "access_token"));
    const char *why;
    (void)auth_bearer(http_header_get(q, "Authorization"), &why);
    (void)http_header_has_token(q, "Connection", "keep-alive");
    uint8_t *r = http_response_build(status ? status : 200, "text/plain", NULL, q->body,
                                     q->body_len, q->keep_alive, &len);
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    if (size < 1)
        return 0;
    size_t chunk = data[0] ? data[0] : size;
    data++, size--;
    struct http_reader *r = http_reader_new(4096, 8192);
    size_t off = 0;
    int requests = 0;
    while (off < size && requests < 16) {
        size_t n = size - off < chunk ? size - off : chunk;
        int status = 0;
        long used = http_reader_feed(r, data + off, n, &status);
        if (used < 0)
            break;
        if ((size_t)used > n || http_reader_mem(r) > 4096 + HTTP_HEAD_SLACK + 8192 + 1 + 65536)
            __builtin_trap();
        off += (size_t)used;
        if (http_reader_done(r)) {
            use_request(http_reader_request(r));
            http_reader_reset(r);
            requests++;
        } else if (used == 0) {
            break;
        }
    }
    http_reader_free(r);
    return 0;
}
