/* Unit tests for signaling/http: request reader and response builder. */
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

#define HEAD_MAX 8192
#define BODY_MAX 4096

static void expect_error(struct http_reader *r, const char *s, long err, int status);

static long feed_str(struct http_reader *r, const char *s, int *status)
{
    return http_reader_feed(r, (const uint8_t *)s, strlen(s), status);
}

/* Feeds a whole request in one go and checks it was consumed exactly. */
static struct http_reader *read_one(const char *s)
{
    struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
    int status = -1;
    long n = feed_str(r, s, &status);
    assert_int_equal(n, (long)strlen(s));
    assert_int_equal(status, 0);
    assert_true(http_reader_done(r));
    return r;
}

static void test_get_query_headers(void **state)
{
    (void)state;
    struct http_reader *r = read_one("GET /rtc/v1?access_token=abc&join_request=x%2By HTTP/1.1\r\n"
                                     "Host: localhost:7880\r\n"
                                     "User-Agent: unit\r\n"
                                     "X-Empty:\r\n"
                                     "authorization:   Bearer tok  \r\n"
                                     "\r\n");
    const struct http_request *q = http_reader_request(r);
    assert_string_equal(q->method, "GET");
    assert_string_equal(q->url, "/rtc/v1?access_token=abc&join_request=x%2By");
    assert_string_equal(q->path, "/rtc/v1");
    assert_string_equal(q->query, "access_token=abc&join_request=x%2By");
    assert_int_equal(q->n_headers, 4);
    assert_string_equal(q->headers[0].name, "Host");
    assert_string_equal(q->headers[0].value, "localhost:7880");
    assert_string_equal(http_header_get(q, "HOST"), "localhost:7880");
    assert_string_equal(http_header_get(q, "Authorization"), "Bearer tok");
    assert_string_equal(http_header_get(q, "x-empty"), "");
    assert_null(http_header_get(q, "Cookie"));
    assert_null(q->body);
    assert_int_equal(q->body_len, 0);
    assert_int_equal(q->http_major, 1);
    assert_int_equal(q->http_minor, 1);
    assert_true(q->keep_alive);
    assert_false(q->upgrade);
    http_reader_free(r);
}

static void check_target(const char *target, const char *path, const char *query)
{
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
    struct http_reader *r = read_one(req);
    const struct http_request *q = http_reader_request(r);
    assert_string_equal(q->url, target);
    assert_string_equal(q->path, path);
    assert_string_equal(q->query, query);
    http_reader_free(r);
}

static void test_paths(void **state)
{
    (void)state;
    check_target("//rtc", "/rtc", "");
    check_target("///rtc/v1?a=1", "/rtc/v1", "a=1");
    check_target("/", "/", "");
    check_target("/a//b", "/a//b", "");
    check_target("/a?", "/a", "");
    check_target("/a?b=1#frag", "/a", "b=1");
    check_target("/%2F/x?y", "/%2F/x", "y");
    check_target("http://example.com//twirp/x?k=v", "/twirp/x", "k=v");
    check_target("http://example.com", "/", "");
}

/* The path is copied only when a query follows it; the copy counts against
 * the head budget, and a request-target too long for it gets 414. */
static void test_long_path(void **state)
{
    (void)state;
    char req[1100];
    int n = snprintf(req, sizeof req, "GET /%0600d?q HTTP/1.1\r\nX: ", 0);
    memset(req + n, 'v', 399);
    memcpy(req + n + 399, "\r\n\r\n", 5);
    assert_int_equal(strlen(req), 1024);
    struct http_reader *r = http_reader_new(1024, 0);
    expect_error(r, req, DC_ETOOBIG, 414);
    http_reader_free(r);

    req[5 + 600] = '/'; /* no query: the path is the url itself */
    r = http_reader_new(1024, 0);
    assert_int_equal(feed_str(r, req, NULL), 1024);
    assert_true(http_reader_done(r));
    assert_int_equal(strlen(http_reader_request(r)->path), 603);
    assert_true(http_reader_mem(r) <= 1024 + HTTP_HEAD_SLACK);
    http_reader_reset(r);
    assert_int_equal(http_reader_mem(r), 0);
    http_reader_free(r);
}

static void test_post_body(void **state)
{
    (void)state;
    struct http_reader *r = read_one("POST /twirp/livekit.RoomService/ListRooms HTTP/1.1\r\n"
                                     "Content-Type: application/json\r\n"
                                     "Content-Length: 13\r\n"
                                     "\r\n"
                                     "{\"names\":[]}\n");
    const struct http_request *q = http_reader_request(r);
    assert_string_equal(q->method, "POST");
    assert_string_equal(q->path, "/twirp/livekit.RoomService/ListRooms");
    assert_int_equal(q->body_len, 13);
    assert_memory_equal(q->body, "{\"names\":[]}\n", 13);
    assert_int_equal(q->body[13], 0);
    http_reader_free(r);
}

static void test_chunked_body(void **state)
{
    (void)state;
    struct http_reader *r = read_one("POST /x HTTP/1.1\r\n"
                                     "Transfer-Encoding: chunked\r\n"
                                     "\r\n"
                                     "4\r\nWiki\r\n"
                                     "5;ext=1\r\npedia\r\n"
                                     "0\r\n"
                                     "X-Trailer: dropped\r\n"
                                     "\r\n");
    const struct http_request *q = http_reader_request(r);
    assert_int_equal(q->body_len, 9);
    assert_memory_equal(q->body, "Wikipedia", 9);
    assert_int_equal(q->n_headers, 1);
    assert_null(http_header_get(q, "X-Trailer"));
    http_reader_free(r);
}

static void assert_same_request(const struct http_request *a, const struct http_request *b)
{
    assert_string_equal(a->method, b->method);
    assert_string_equal(a->url, b->url);
    assert_string_equal(a->path, b->path);
    assert_string_equal(a->query, b->query);
    assert_int_equal(a->n_headers, b->n_headers);
    for (size_t i = 0; i < a->n_headers; i++) {
        assert_string_equal(a->headers[i].name, b->headers[i].name);
        assert_string_equal(a->headers[i].value, b->headers[i].value);
    }
    assert_int_equal(a->body_len, b->body_len);
    if (a->body_len)
        assert_memory_equal(a->body, b->body, a->body_len);
    assert_int_equal(a->keep_alive, b->keep_alive);
    assert_int_equal(a->upgrade, b->upgrade);
}

static const char *split_reqs[] = {
    "POST //twirp/livekit.RoomService/CreateRoom?x=1&y=%20 HTTP/1.1\r\n"
    "Host: 127.0.0.1:7880\r\n"
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig\r\n"
    "Content-Type: application/json;charset=UTF-8\r\n"
    "Connection: keep-alive\r\n"
    "Content-Length: 25\r\n"
    "\r\n"
    "{\"name\":\"room-1\",\"x\":10}\n",
    "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: h\r\n\r\n"
    "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
    "GET /rtc?access_token=t HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
};

static void split_one(const char *req)
{
    size_t len = strlen(req);
    const uint8_t *b = (const uint8_t *)req;
    struct http_reader *ref = read_one(req);
    const struct http_request *want = http_reader_request(ref);
    for (size_t cut = 0; cut <= len; cut++) {
        struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
        int st = -1;
        long a = http_reader_feed(r, b, cut, &st);
        assert_int_equal(a, (long)cut);
        assert_int_equal(http_reader_done(r), cut == len);
        long c = http_reader_feed(r, b + cut, len - cut, &st);
        assert_int_equal(c, (long)(len - cut));
        assert_int_equal(st, 0);
        assert_true(http_reader_done(r));
        assert_same_request(http_reader_request(r), want);
        http_reader_free(r);
    }
    struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
    for (size_t i = 0; i < len; i++) {
        int st = -1;
        assert_false(http_reader_done(r));
        assert_int_equal(http_reader_feed(r, b + i, 1, &st), 1);
    }
    assert_true(http_reader_done(r));
    assert_same_request(http_reader_request(r), want);
    http_reader_free(r);
    http_reader_free(ref);
}

static void test_split_everywhere(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof split_reqs / sizeof split_reqs[0]; i++)
        split_one(split_reqs[i]);
}

static void test_pipelined(void **state)
{
    (void)state;
    const char *s = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                    "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                    "GET /c HTTP/1.1\r\nConnection: close\r\n\r\n"
                    "GET /d HTTP/1.0\r\n\r\n"
                    "GET /e HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const char *paths[] = {"/a", "/b", "/c", "/d", "/e"};
    const bool ka[] = {true, true, false, false, true};
    struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
    size_t off = 0, len = strlen(s);
    for (int i = 0; i < 5; i++) {
        int st;
        long n = http_reader_feed(r, (const uint8_t *)s + off, len - off, &st);
        assert_true(n > 0);
        assert_true(http_reader_done(r));
        /* a done reader consumes nothing more */
        assert_int_equal(http_reader_feed(r, (const uint8_t *)s + off + n, len - off - (size_t)n, &st), 0);
        const struct http_request *q = http_reader_request(r);
        assert_string_equal(q->path, paths[i]);
        assert_int_equal(q->keep_alive, ka[i]);
        if (i == 1) {
            assert_int_equal(q->body_len, 3);
            assert_memory_equal(q->body, "abc", 3);
        }
        off += (size_t)n;
        http_reader_reset(r);
    }
    assert_int_equal(off, len);
    http_reader_free(r);
}

static void expect_error(struct http_reader *r, const char *s, long err, int status)
{
    int st = 0;
    assert_int_equal(feed_str(r, s, &st), err);
    assert_int_equal(st, status);
    assert_false(http_reader_done(r));
    assert_true(http_reader_error(r)[0] != '\0');
    /* the reader stays failed */
    st = 0;
    assert_int_equal(feed_str(r, "GET / HTTP/1.1\r\n\r\n", &st), err);
    assert_int_equal(st, status);
}

/* A GET whose head is exactly `total` bytes long. */
static void padded_request(char *out, size_t total)
{
    const char *pre = "GET / HTTP/1.1\r\nX: ", *post = "\r\n\r\n";
    size_t a = strlen(pre), b = strlen(post);
    memcpy(out, pre, a);
    memset(out + a, '.', total - a - b);
    memcpy(out + total - b, post, b + 1);
}

static void test_header_too_big(void **state)
{
    (void)state;
    struct http_reader *r = http_reader_new(1024, 1024);
    char big[2100];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Big: ");
    memset(big + n, 'a', 2000);
    big[n + 2000] = '\0';
    expect_error(r, big, DC_ETOOBIG, 431);
    http_reader_free(r);

    /* exactly at the limit is fine; one byte more is not */
    char req[1100];
    padded_request(req, 1024);
    r = http_reader_new(1024, 0);
    assert_int_equal(feed_str(r, req, NULL), 1024);
    assert_true(http_reader_done(r));
    http_reader_free(r);
    padded_request(req, 1025);
    r = http_reader_new(1024, 0);
    expect_error(r, req, DC_ETOOBIG, 431);
    http_reader_free(r);
}

/* A 64 KiB header line fed 7 bytes at a time: fails once the head passes the
 * limit, and the reader's buffers never grow past the bound. */
static void test_header_too_big_trickled(void **state)
{
    (void)state;
    const size_t head_max = 4096, body_max = 2048;
    size_t len = 65536 + 64;
    char *s = malloc(len + 1);
    int n = snprintf(s, len, "GET /x HTTP/1.1\r\nX-Huge: ");
    memset(s + n, 'z', len - (size_t)n);
    s[len] = '\0';
    struct http_reader *r = http_reader_new(head_max, body_max);
    size_t off = 0;
    long got = 0;
    int st = 0;
    while (off < len) {
        size_t k = len - off < 7 ? len - off : 7;
        got = http_reader_feed(r, (const uint8_t *)s + off, k, &st);
        assert_true(http_reader_mem(r) <= head_max + HTTP_HEAD_SLACK + body_max + 1);
        if (got < 0)
            break;
        off += (size_t)got;
    }
    assert_int_equal(got, DC_ETOOBIG);
    assert_int_equal(st, 431);
    assert_true(off <= head_max);
    http_reader_free(r);
    free(s);
}

static void test_too_many_headers(void **state)
{
    (void)state;
    char req[4096];
    size_t n = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(req + n, sizeof req - n, "H%d: v\r\n", i);
    snprintf(req + n, sizeof req - n, "\r\n");
    struct http_reader *r = http_reader_new(sizeof req, 0);
    expect_error(r, req, DC_ETOOBIG, 431);
    http_reader_free(r);
}

static void test_body_too_big(void **state)
{
    (void)state;
    /* refused from Content-Length alone, before any body byte arrives */
    struct http_reader *r = http_reader_new(HEAD_MAX, 100);
    expect_error(r, "POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n", DC_ETOOBIG, 413);
    assert_int_equal(http_reader_mem(r) <= HEAD_MAX + HTTP_HEAD_SLACK, 1);
    http_reader_free(r);

    r = http_reader_new(HEAD_MAX, 100);
    expect_error(r, "POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", DC_EPROTO, 400);
    http_reader_free(r);

    /* at the limit is fine */
    r = http_reader_new(HEAD_MAX, 4);
    assert_int_equal(feed_str(r, "POST /x HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", NULL), 43);
    assert_true(http_reader_done(r));
    http_reader_free(r);

    /* a chunked body is refused once its decoded size passes the limit */
    r = http_reader_new(HEAD_MAX, 8);
    const char *first = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n";
    assert_int_equal(feed_str(r, first, NULL), (long)strlen(first));
    expect_error(r, "5\r\nfghij\r\n0\r\n\r\n", DC_ETOOBIG, 413);
    http_reader_free(r);
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        "BLAH / HTTP/1.1\r\n\r\n",
        "GET / HTTP/x.1\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "\x01\x02\x03\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
        expect_error(r, bad[i], DC_EPROTO, 400);
        http_reader_free(r);
    }
    struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
    expect_error(r, "PROPPATCH / HTTP/1.1\r\n\r\n", DC_EPROTO, 501);
    /* reset clears the error */
    http_reader_reset(r);
    assert_int_equal(feed_str(r, "GET / HTTP/1.1\r\n\r\n", NULL), 18);
    assert_true(http_reader_done(r));
    http_reader_free(r);
}

static void test_upgrade(void **state)
{
    (void)state;
    const char *head = "GET /rtc HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
                       "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    char buf[512];
    size_t hl = strlen(head);
    memcpy(buf, head, hl);
    memcpy(buf + hl, "\x82\x85\x01\x02\x03\x04", 6); /* start of a WebSocket frame */
    struct http_reader *r = http_reader_new(HEAD_MAX, BODY_MAX);
    int st;
    assert_int_equal(http_reader_feed(r, (const uint8_t *)buf, hl + 6, &st), (long)hl);
    assert_true(http_reader_done(r));
    assert_true(http_reader_request(r)->upgrade);
    http_reader_free(r);

    struct http_reader *r2 = read_one("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
    assert_false(http_reader_request(r2)->upgrade);
    http_reader_free(r2);
    r2 = read_one("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
    assert_false(http_reader_request(r2)->upgrade);
    http_reader_free(r2);
    r2 = read_one("GET / HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: upgrade\r\n\r\n");
    assert_true(http_reader_request(r2)->upgrade);
    http_reader_free(r2);
}

static void test_tokens(void **state)
{
    (void)state;
    struct http_reader *r = read_one("GET / HTTP/1.1\r\nConnection: keep-alive\r\n"
                                     "Connection:  foo ,Upgrade-Insecure , bar\r\n\r\n");
    const struct http_request *q = http_reader_request(r);
    assert_true(http_header_has_token(q, "connection", "KEEP-ALIVE"));
    assert_true(http_header_has_token(q, "connection", "bar"));
    assert_true(http_header_has_token(q, "connection", "upgrade-insecure"));
    assert_false(http_header_has_token(q, "connection", "upgrade"));
    assert_false(http_header_has_token(q, "upgrade", "websocket"));
    http_reader_free(r);
}

static void check_response(uint8_t *got, size_t got_len, const char *want)
{
    assert_non_null(got);
    assert_int_equal(got_len, strlen(want));
    assert_memory_equal(got, want, got_len);
    free(got);
}

static void test_response_build(void **state)
{
    (void)state;
    size_t n;
    uint8_t *b = http_response_build(200, "application/json", NULL, "{}", 2, true, &n);
    check_response(b, n, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    b = http_response_build(404, NULL, "Access-Control-Allow-Origin: *\r\nX-A: b\r\n", NULL, 0, false, &n);
    check_response(b, n,
                   "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                   "Access-Control-Allow-Origin: *\r\nX-A: b\r\nConnection: close\r\n\r\n");
    b = http_response_build(431, "text/plain", NULL, "too big\n", 8, false, &n);
    check_response(b, n,
                   "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
                   "Content-Length: 8\r\nConnection: close\r\n\r\ntoo big\n");
    b = http_response_build(204, NULL, NULL, NULL, 0, true, &n);
    check_response(b, n, "HTTP/1.1 204 No Content\r\n\r\n");
    b = http_response_build(599, NULL, "", NULL, 0, true, &n);
    check_response(b, n, "HTTP/1.1 599 Unknown\r\nContent-Length: 0\r\n\r\n");
    assert_string_equal(http_reason(426), "Upgrade Required");
    assert_string_equal(http_reason(413), "Payload Too Large");

    assert_null(http_response_build(200, "text/plain\r\nX: y", NULL, NULL, 0, true, &n));
    assert_null(http_response_build(200, NULL, "X: y", NULL, 0, true, &n));
    assert_null(http_response_build(200, NULL, "X: y\n", NULL, 0, true, &n));
    assert_null(http_response_build(200, NULL, "X: y\r\n\r\n", NULL, 0, true, &n));
    assert_null(http_response_build(200, NULL, "X: y\rZ\n", NULL, 0, true, &n));
    assert_null(http_response_build(204, NULL, NULL, "x", 1, true, &n));
    assert_null(http_response_build(42, NULL, NULL, NULL, 0, true, &n));
}

/* Mutated requests fed in random pieces: any outcome but a crash, a broken
 * memory bound or an unknown status is a failure. */
static void test_mutations(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        const char *base = split_reqs[iter % 3];
        size_t len = strlen(base);
        uint8_t buf[512];
        memcpy(buf, base, len);
        for (int k = 0; k < 1 + iter % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] = (uint8_t)(seed >> 20);
        }
        struct http_reader *r = http_reader_new(200 + (size_t)(iter % 300), 16);
        size_t off = 0;
        while (off < len) {
            seed = seed * 1103515245u + 12345u;
            size_t k = 1 + (seed >> 16) % 40;
            if (k > len - off)
                k = len - off;
            int st = 0;
            long n = http_reader_feed(r, buf + off, k, &st);
            assert_true(http_reader_mem(r) <= 200 + 300 + HTTP_HEAD_SLACK + 16 + 1);
            if (n < 0) {
                assert_true(st == 400 || st == 413 || st == 414 || st == 431 || st == 501);
                break;
            }
            assert_true((size_t)n <= k);
            off += (size_t)n;
            if (http_reader_done(r)) {
                const struct http_request *q = http_reader_request(r);
                assert_non_null(q->url);
                assert_non_null(q->path);
                assert_non_null(q->query);
                http_reader_reset(r);
            }
        }
        http_reader_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_query_headers),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_long_path),
        cmocka_unit_test(test_post_body),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_header_too_big),
        cmocka_unit_test(test_header_too_big_trickled),
        cmocka_unit_test(test_too_many_headers),
        cmocka_unit_test(test_body_too_big),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_response_build),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
