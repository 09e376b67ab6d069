/* Unit tests for signaling/ws: handshake and server-side framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "signaling/http.h"
#include "signaling/ws.h"

/* ---- handshake ---------------------------------------------------------- */

static const char *ws_head(const char *method_line, const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s\r\nHost: h\r\n%s\r\n", method_line, extra);
    return buf;
}

static struct http_reader *parse(const char *s)
{
    struct http_reader *r = http_reader_new(8192, 1024);
    assert_int_equal(http_reader_feed(r, (const uint8_t *)s, strlen(s), NULL), (long)strlen(s));
    assert_true(http_reader_done(r));
    return r;
}

#define GOOD_HEADERS                             \
    "Upgrade: websocket\r\n"                     \
    "Connection: Upgrade\r\n"                    \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
    "Sec-WebSocket-Version: 13\r\n"

static void test_accept_key(void **state)
{
    (void)state;
    char acc[29];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc);
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    struct http_reader *r =
        parse(ws_head("GET /rtc?access_token=x HTTP/1.1",
                      GOOD_HEADERS "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                                   "Sec-WebSocket-Protocol: chat\r\n"));
    size_t n = 0;
    int st = 0;
    uint8_t *resp = ws_handshake_response(http_reader_request(r), &n, &st);
    const char *want = "HTTP/1.1 101 Switching Protocols\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_non_null(resp);
    assert_int_equal(st, 101);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(resp, want, n);
    free(resp);
    http_reader_free(r);
}

static void expect_refused(const char *line, const char *headers, int status)
{
    struct http_reader *r = parse(ws_head(line, headers));
    size_t n = 0;
    int st = 0;
    assert_null(ws_handshake_response(http_reader_request(r), &n, &st));
    assert_int_equal(st, status);
    http_reader_free(r);
}

static void test_bad_upgrades(void **state)
{
    (void)state;
    const char *key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const char *ver = "Sec-WebSocket-Version: 13\r\n";
    char h[512];
    /* not an upgrade at all */
    expect_refused("GET /rtc HTTP/1.1", "", 426);
    snprintf(h, sizeof h, "Connection: Upgrade\r\n%s%s", key, ver);
    expect_refused("GET /rtc HTTP/1.1", h, 426);
    snprintf(h, sizeof h, "Upgrade: websocket\r\n%s%s", key, ver);
    expect_refused("GET /rtc HTTP/1.1", h, 426);
    snprintf(h, sizeof h, "Upgrade: h2c\r\nConnection: Upgrade\r\n%s%s", key, ver);
    expect_refused("GET /rtc HTTP/1.1", h, 426);
    /* wrong method or HTTP version */
    expect_refused("POST /rtc HTTP/1.1", GOOD_HEADERS, 400);
    expect_refused("GET /rtc HTTP/1.0", GOOD_HEADERS, 400);
    /* other WebSocket versions */
    snprintf(h, sizeof h, "Upgrade: websocket\r\nConnection: Upgrade\r\n%s", key);
    expect_refused("GET /rtc HTTP/1.1", h, 426);
    snprintf(h, sizeof h, "Upgrade: websocket\r\nConnection: Upgrade\r\n%sSec-WebSocket-Version: 8\r\n", key);
    expect_refused("GET /rtc HTTP/1.1", h, 426);
    /* bad keys */
    static const char *keys[] = {
        "",
        "Sec-WebSocket-Key: \r\n",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n",     /* unpadded */
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ===\r\n",  /* 25 chars */
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j-Q==\r\n",   /* URL alphabet */
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n",   /* not base64 */
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=A\r\n",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXh4eA==\r\n", /* 17 bytes */
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(h, sizeof h, "Upgrade: websocket\r\nConnection: Upgrade\r\n%s%s", keys[i], ver);
        expect_refused("GET /rtc HTTP/1.1", h, 400);
    }
}

/* ---- frames ------------------------------------------------------------- */

#define MAX_MSGS 16

struct rec {
    struct ws_conn *w;
    int n_msgs;
    bool binary[MAX_MSGS];
    uint8_t *msg[MAX_MSGS];
    size_t len[MAX_MSGS];
    int n_close;
    uint16_t code;
    uint8_t *out;
    size_t out_len;
    int n_writes;
    bool echo, feed_inside;
    int inner_feed_rc;
};

static void rec_message(void *ctx, bool binary, const uint8_t *data, size_t len)
{
    struct rec *r = ctx;
    assert_true(r->n_msgs < MAX_MSGS);
    assert_non_null(data);
    r->binary[r->n_msgs] = binary;
    r->msg[r->n_msgs] = malloc(len + 1);
    memcpy(r->msg[r->n_msgs], data, len);
    r->len[r->n_msgs++] = len;
    if (r->echo)
        assert_int_equal(ws_conn_send(r->w, binary, data, len), 0);
    if (r->feed_inside)
        r->inner_feed_rc = ws_conn_feed(r->w, (const uint8_t *)"x", 1);
}

static void rec_close(void *ctx, uint16_t code)
{
    struct rec *r = ctx;
    r->n_close++;
    r->code = code;
}

static void rec_write(void *ctx, const uint8_t *data, size_t len)
{
    struct rec *r = ctx;
    r->out = realloc(r->out, r->out_len + len);
    memcpy(r->out + r->out_len, data, len);
    r->out_len += len;
    r->n_writes++;
}

static const struct ws_callbacks rec_cb = {rec_message, rec_close, rec_write};

static void rec_init(struct rec *r, size_t max_msg)
{
    memset(r, 0, sizeof *r);
    r->w = ws_conn_new(&rec_cb, r, max_msg);
    assert_non_null(r->w);
}

static void rec_clear(struct rec *r)
{
    for (int i = 0; i < r->n_msgs; i++)
        free(r->msg[i]);
    free(r->out);
    ws_conn_free(r->w);
}

/* Builds one frame; client frames are masked with a fixed key. */
static size_t mk_frame(uint8_t *out, bool fin, uint8_t rsv, uint8_t op, const void *payload, size_t len,
                       bool masked)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const uint8_t *p = payload;
    size_t n = 0;
    uint8_t m = masked ? 0x80 : 0;
    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | op);
    if (len < 126) {
        out[n++] = (uint8_t)(m | len);
    } else if (len < 65536) {
        out[n++] = m | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (masked) {
        memcpy(out + n, key, 4);
        n += 4;
    }
    for (size_t i = 0; i < len; i++)
        out[n + i] = masked ? p[i] ^ key[i % 4] : p[i];
    return n + len;
}

static void expect_written(struct rec *r, const uint8_t *want, size_t n)
{
    assert_int_equal(r->out_len, n);
    assert_memory_equal(r->out, want, n);
    free(r->out);
    r->out = NULL;
    r->out_len = 0;
}

/* The close frame a server sends: code then reason, unmasked. */
static size_t mk_close(uint8_t *out, uint16_t code, const char *reason)
{
    uint8_t p[125] = {(uint8_t)(code >> 8), (uint8_t)code};
    size_t rl = reason ? strlen(reason) : 0;
    memcpy(p + 2, reason ? reason : "", rl);
    return mk_frame(out, true, 0, 0x8, p, code ? 2 + rl : 0, false);
}

static void test_binary_and_text(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1024);
    uint8_t f[256];
    size_t n = mk_frame(f, true, 0, 0x2, "\x00\x01\xffhello", 8, true);
    n += mk_frame(f + n, true, 0, 0x1, "h\xc3\xa9llo", 6, true);
    n += mk_frame(f + n, true, 0, 0x2, "", 0, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    assert_int_equal(r.n_msgs, 3);
    assert_true(r.binary[0]);
    assert_int_equal(r.len[0], 8);
    assert_memory_equal(r.msg[0], "\x00\x01\xffhello", 8);
    assert_false(r.binary[1]);
    assert_int_equal(r.len[1], 6);
    assert_memory_equal(r.msg[1], "h\xc3\xa9llo", 6);
    assert_true(r.binary[2]);
    assert_int_equal(r.len[2], 0);
    assert_int_equal(r.out_len, 0);
    assert_int_equal(r.n_close, 0);
    assert_false(ws_conn_closed(r.w));
    rec_clear(&r);
}

static void test_fragmented_with_ping(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1024);
    uint8_t f[256], want[64];
    size_t n = mk_frame(f, false, 0, 0x2, "Hel", 3, true);
    n += mk_frame(f + n, true, 0, 0x9, "pp", 2, true); /* control frame between fragments */
    n += mk_frame(f + n, false, 0, 0x0, "", 0, true);
    n += mk_frame(f + n, true, 0, 0x0, "lo!", 3, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    assert_int_equal(r.n_msgs, 1);
    assert_true(r.binary[0]);
    assert_int_equal(r.len[0], 6);
    assert_memory_equal(r.msg[0], "Hello!", 6);
    size_t wn = mk_frame(want, true, 0, 0xA, "pp", 2, false);
    expect_written(&r, want, wn);
    rec_clear(&r);
}

static void test_ping_pong(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1024);
    uint8_t f[256], want[256];
    uint8_t payload[125];
    for (int i = 0; i < 125; i++)
        payload[i] = (uint8_t)i;
    size_t n = mk_frame(f, true, 0, 0x9, payload, 125, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    size_t wn = mk_frame(want, true, 0, 0xA, payload, 125, false);
    expect_written(&r, want, wn);
    assert_int_equal(r.n_writes, 1); /* one write per frame */
    /* an unsolicited pong is ignored */
    n = mk_frame(f, true, 0, 0xA, "x", 1, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    assert_int_equal(r.out_len, 0);
    assert_int_equal(r.n_msgs, 0);
    /* our own ping */
    assert_int_equal(ws_conn_ping(r.w), 0);
    expect_written(&r, (const uint8_t *)"\x89\x00", 2);
    rec_clear(&r);
}

static void test_peer_close(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1024);
    uint8_t f[256], want[64];
    size_t n = mk_frame(f, true, 0, 0x8, "\x03\xe8" "bye", 5, true);
    n += mk_frame(f + n, true, 0, 0x2, "late", 4, true); /* after close: ignored */
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_close, 1);
    assert_int_equal(r.code, 1000);
    assert_int_equal(r.n_msgs, 0);
    size_t wn = mk_close(want, 1000, NULL);
    expect_written(&r, want, wn);
    assert_true(ws_conn_closed(r.w));
    assert_int_equal(ws_conn_send(r.w, true, (const uint8_t *)"x", 1), DC_ECLOSED);
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_close, 1);
    assert_int_equal(r.out_len, 0);
    rec_clear(&r);

    /* a close without a code is answered without one; reported as 1005 */
    rec_init(&r, 1024);
    n = mk_frame(f, true, 0, 0x8, "", 0, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.code, 1005);
    expect_written(&r, (const uint8_t *)"\x88\x00", 2);
    rec_clear(&r);
}

static void test_server_close(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1024);
    uint8_t f[256], want[256];
    assert_int_equal(ws_conn_close(r.w, 1005, NULL), DC_EINVAL);
    assert_int_equal(ws_conn_close(r.w, 4001, "going"), 0);
    size_t wn = mk_close(want, 4001, "going");
    expect_written(&r, want, wn);
    assert_false(ws_conn_closed(r.w));
    assert_int_equal(ws_conn_close(r.w, 1000, NULL), DC_ECLOSED);
    assert_int_equal(ws_conn_ping(r.w), DC_ECLOSED);
    /* data still arriving before the peer's reply is dropped, pings unanswered */
    size_t n = mk_frame(f, true, 0, 0x2, "x", 1, true);
    n += mk_frame(f + n, true, 0, 0x9, "", 0, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_msgs, 0);
    assert_int_equal(r.out_len, 0);
    n = mk_frame(f, true, 0, 0x8, "\x0f\xa1", 2, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_close, 1);
    assert_int_equal(r.code, 4001);
    assert_int_equal(r.out_len, 0);
    assert_true(ws_conn_closed(r.w));
    assert_false(ws_conn_failed(r.w)); /* a close the peer answered is no failure */
    rec_clear(&r);

    /* long reasons are cut to 123 bytes without splitting a character */
    rec_init(&r, 1024);
    char reason[200];
    memset(reason, 'a', 122);
    strcpy(reason + 122, "\xc3\xa9zzzz");
    assert_int_equal(ws_conn_close(r.w, 1000, reason), 0);
    assert_int_equal(r.out_len, 2 + 2 + 122);
    assert_int_equal(r.out[1], 124);
    rec_clear(&r);
}

static void expect_fail(const uint8_t *f, size_t n, size_t max_msg, uint16_t code, const char *reason)
{
    struct rec r;
    uint8_t want[256];
    rec_init(&r, max_msg);
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_msgs, 0);
    assert_int_equal(r.n_close, 1);
    assert_int_equal(r.code, code);
    if (reason) {
        size_t wn = mk_close(want, code, reason);
        expect_written(&r, want, wn);
    } else {
        assert_true(r.out_len >= 4);
        assert_int_equal(r.out[0], 0x88);
        assert_int_equal(r.out[2] << 8 | r.out[3], code);
    }
    assert_true(ws_conn_closed(r.w));
    assert_true(ws_conn_failed(r.w));
    rec_clear(&r);
}

static void test_oversize(void **state)
{
    (void)state;
    uint8_t f[512];
    uint8_t big[200];
    memset(big, 'b', sizeof big);
    size_t n = mk_frame(f, true, 0, 0x2, big, 101, true);
    expect_fail(f, n, 100, 1009, "message too big");
    /* exactly at the limit is fine */
    struct rec r;
    rec_init(&r, 100);
    n = mk_frame(f, true, 0, 0x2, big, 100, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    assert_int_equal(r.n_msgs, 1);
    rec_clear(&r);
    /* fragments adding up past the limit */
    n = mk_frame(f, false, 0, 0x2, big, 60, true);
    n += mk_frame(f + n, true, 0, 0x0, big, 60, true);
    expect_fail(f, n, 100, 1009, "message too big");
    /* a huge declared length is refused at its first payload byte, unbuffered */
    uint8_t hdr[15] = {0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4, 'x'};
    expect_fail(hdr, sizeof hdr, 1 << 20, 1009, "message too big");
}

static void test_protocol_errors(void **state)
{
    (void)state;
    uint8_t f[512];
    size_t n;
    n = mk_frame(f, true, 0, 0x2, "abc", 3, false);
    expect_fail(f, n, 1024, 1002, "client frame not masked");
    n = mk_frame(f, true, 4, 0x2, "abc", 3, true);
    expect_fail(f, n, 1024, 1002, "reserved bits set");
    n = mk_frame(f, true, 0, 0x3, "abc", 3, true);
    expect_fail(f, n, 1024, 1002, "unknown opcode");
    n = mk_frame(f, true, 0, 0x0, "abc", 3, true);
    expect_fail(f, n, 1024, 1002, "continuation without a message");
    n = mk_frame(f, false, 0, 0x2, "a", 1, true);
    n += mk_frame(f + n, true, 0, 0x2, "b", 1, true);
    expect_fail(f, n, 1024, 1002, "new message inside a fragmented one");
    /* malformed headers caught by wslay: fragmented ping, 16-bit length < 126 */
    n = mk_frame(f, false, 0, 0x9, "a", 1, true);
    expect_fail(f, n, 1024, 1002, "malformed frame header");
    static const uint8_t shortlen[] = {0x82, 0xfe, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
    expect_fail(shortlen, sizeof shortlen, 1024, 1002, "malformed frame header");
    /* close payloads */
    n = mk_frame(f, true, 0, 0x8, "\x03", 1, true);
    expect_fail(f, n, 1024, 1002, "close payload of one byte");
    n = mk_frame(f, true, 0, 0x8, "\x03\xed", 2, true); /* 1005 may not be sent */
    expect_fail(f, n, 1024, 1002, "invalid close code");
    n = mk_frame(f, true, 0, 0x8, "\x03\xe8\xff", 3, true);
    expect_fail(f, n, 1024, 1007, "close reason is not UTF-8");
    /* invalid UTF-8 in text: overlong, surrogate, truncated */
    n = mk_frame(f, true, 0, 0x1, "\xc0\xaf", 2, true);
    expect_fail(f, n, 1024, 1007, "text message is not UTF-8");
    n = mk_frame(f, true, 0, 0x1, "\xed\xa0\x80", 3, true);
    expect_fail(f, n, 1024, 1007, "text message is not UTF-8");
    n = mk_frame(f, true, 0, 0x1, "ab\xe2\x82", 4, true);
    expect_fail(f, n, 1024, 1007, "text message is not UTF-8");
}

/* A stream of frames gives the same messages and replies however it is split. */
static void test_split_everywhere(void **state)
{
    (void)state;
    uint8_t f[2048], p[300];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = (uint8_t)(i * 7);
    size_t n = mk_frame(f, true, 0, 0x2, p, 300, true); /* 16-bit length */
    n += mk_frame(f + n, false, 0, 0x1, "fr", 2, true);
    n += mk_frame(f + n, true, 0, 0x9, "P", 1, true);
    n += mk_frame(f + n, true, 0, 0x0, "ag", 2, true);
    n += mk_frame(f + n, true, 0, 0x2, "", 0, true);
    n += mk_frame(f + n, true, 0, 0x8, "\x03\xe8", 2, true);
    uint8_t want[64];
    size_t wn = mk_frame(want, true, 0, 0xA, "P", 1, false);
    wn += mk_close(want + wn, 1000, NULL);

    for (size_t cut = 0; cut <= n + 1; cut++) {
        struct rec r;
        rec_init(&r, 4096);
        bool bytewise = cut == n + 1;
        if (bytewise) {
            for (size_t i = 0; i < n; i++)
                assert_int_equal(ws_conn_feed(r.w, f + i, 1), i + 1 == n ? DC_ECLOSED : 0);
        } else {
            assert_int_equal(ws_conn_feed(r.w, f, cut), cut == n ? DC_ECLOSED : 0);
            assert_int_equal(ws_conn_feed(r.w, f + cut, n - cut), DC_ECLOSED);
        }
        assert_int_equal(r.n_msgs, 3);
        assert_true(r.binary[0]);
        assert_int_equal(r.len[0], 300);
        assert_memory_equal(r.msg[0], p, 300);
        assert_false(r.binary[1]);
        assert_int_equal(r.len[1], 4);
        assert_memory_equal(r.msg[1], "frag", 4);
        assert_int_equal(r.len[2], 0);
        assert_int_equal(r.n_close, 1);
        assert_int_equal(r.code, 1000);
        expect_written(&r, want, wn);
        assert_true(ws_conn_closed(r.w));
        rec_clear(&r);
    }
}

static void test_send_and_reentrancy(void **state)
{
    (void)state;
    struct rec r;
    rec_init(&r, 1 << 20);
    uint8_t *big = malloc(70000), *want = malloc(70100), f[64];
    memset(big, 'q', 70000);
    /* 7-bit, 16-bit and 64-bit lengths */
    assert_int_equal(ws_conn_send(r.w, true, big, 125), 0);
    size_t wn = mk_frame(want, true, 0, 0x2, big, 125, false);
    expect_written(&r, want, wn);
    assert_int_equal(ws_conn_send(r.w, false, big, 300), 0);
    wn = mk_frame(want, true, 0, 0x1, big, 300, false);
    expect_written(&r, want, wn);
    assert_int_equal(ws_conn_send(r.w, true, big, 70000), 0);
    wn = mk_frame(want, true, 0, 0x2, big, 70000, false);
    expect_written(&r, want, wn);

    /* replying from inside on_message; feeding from inside is refused */
    r.echo = true;
    r.feed_inside = true;
    size_t n = mk_frame(f, true, 0, 0x2, "ping?", 5, true);
    assert_int_equal(ws_conn_feed(r.w, f, n), 0);
    assert_int_equal(r.inner_feed_rc, DC_EINVAL);
    wn = mk_frame(want, true, 0, 0x2, "ping?", 5, false);
    expect_written(&r, want, wn);
    free(big);
    free(want);
    rec_clear(&r);
}

static void close_from_callback(void *ctx, bool binary, const uint8_t *data, size_t len)
{
    struct rec *r = ctx;
    (void)binary, (void)data, (void)len;
    r->n_msgs++;
    assert_int_equal(ws_conn_close(r->w, 1008, "policy"), 0);
}

static void test_close_from_callback(void **state)
{
    (void)state;
    struct rec r;
    memset(&r, 0, sizeof r);
    struct ws_callbacks cb = {close_from_callback, rec_close, rec_write};
    r.w = ws_conn_new(&cb, &r, 1024);
    uint8_t f[64], want[64];
    size_t n = mk_frame(f, true, 0, 0x1, "text", 4, true);
    n += mk_frame(f + n, true, 0, 0x1, "more", 4, true); /* dropped: close already sent */
    assert_int_equal(ws_conn_feed(r.w, f, n), DC_ECLOSED);
    assert_int_equal(r.n_msgs, 1);
    size_t wn = mk_close(want, 1008, "policy");
    expect_written(&r, want, wn);
    assert_false(ws_conn_closed(r.w));
    assert_null(ws_conn_new(&(struct ws_callbacks){0}, NULL, 10));
    free(r.out);
    ws_conn_free(r.w);
}

/* Mutated frame streams fed in random pieces never crash, never deliver
 * more than the limit, and end in at most one on_close. */
static void test_mutations(void **state)
{
    (void)state;
    uint8_t base[1024], p[300];
    memset(p, 'm', sizeof p);
    size_t len = mk_frame(base, true, 0, 0x2, p, 300, true);
    len += mk_frame(base + len, false, 0, 0x1, "ab", 2, true);
    len += mk_frame(base + len, true, 0, 0x9, "P", 1, true);
    len += mk_frame(base + len, true, 0, 0x0, "cd", 2, true);
    len += mk_frame(base + len, true, 0, 0x8, "\x03\xe8", 2, true);
    uint32_t seed = 777;
    for (int iter = 0; iter < 3000; iter++) {
        uint8_t buf[1024];
        memcpy(buf, base, len);
        for (int k = 0; k < 1 + iter % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] ^= (uint8_t)(1u << ((seed >> 20) % 8));
        }
        struct rec r;
        rec_init(&r, 64 + (size_t)(iter % 300));
        size_t off = 0;
        while (off < len) {
            seed = seed * 1103515245u + 12345u;
            size_t k = 1 + (seed >> 16) % 50;
            if (k > len - off)
                k = len - off;
            int rc = ws_conn_feed(r.w, buf + off, k);
            assert_true(rc == 0 || rc == DC_ECLOSED);
            off += k;
        }
        for (int i = 0; i < r.n_msgs; i++)
            assert_true(r.len[i] <= 64 + (size_t)(iter % 300));
        assert_true(r.n_close <= 1);
        rec_clear(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_bad_upgrades),
        cmocka_unit_test(test_binary_and_text),
        cmocka_unit_test(test_fragmented_with_ping),
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_peer_close),
        cmocka_unit_test(test_server_close),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_send_and_reentrancy),
        cmocka_unit_test(test_close_from_callback),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
