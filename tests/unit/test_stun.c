/* Unit tests for transport/stun: RFC 5769 vectors, builders, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "tests/unit/test_helpers.h"

#include "common/err.h"
#include "transport/stun.h"

/* ---- RFC 5769 test vectors ---------------------------------------------- */

static const char *PWD = "VOkJxbRl1RmTxUk/WvJxBt";

/* 2.1 Sample Request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME padded
 * with spaces, MESSAGE-INTEGRITY, FINGERPRINT). */
static const char *REQ_HEX =
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74"
    "002400046e0001ff"
    "80290008932ff9b151263b36"
    "000600096576746a3a68367659202020"
    "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf";

/* 2.2 Sample IPv4 Response: 192.0.2.1 port 32853. */
static const char *RESP4_HEX =
    "0101003c2112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000080001a147e112a643"
    "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7"
    "80280004c07d4c96";

/* 2.3 Sample IPv6 Response: 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const char *RESP6_HEX =
    "010100482112a442b7e7a701bc34d686fa87dfae"
    "8022000b7465737420766563746f7220"
    "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9"
    "00080014a382954e4be67bf11784c97c8292c275bfe3ed41"
    "80280004c8fb0b4c";

static const uint8_t TID[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static const uint8_t *K(const char *s) { return (const uint8_t *)s; }

static void test_rfc5769_request(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = unhex(REQ_HEX, b, sizeof b);
    assert_int_equal(n, 108);
    assert_true(stun_is_stun(b, n));

    struct stun_msg m;
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_memory_equal(m.tid, TID, 12);
    assert_int_equal(m.username_len, 9);
    assert_memory_equal(m.username, "evtj:h6vY", 9);
    assert_true(m.has_priority);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlled);
    assert_false(m.ice_controlling);
    assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
    assert_false(m.use_candidate);
    assert_true(m.has_integrity);
    assert_int_equal(m.integrity_off, 76);
    assert_true(m.has_fingerprint);
    assert_int_equal(m.n_unknown, 0);

    assert_true(stun_check_integrity(b, n, &m, K(PWD), strlen(PWD)));
    assert_false(stun_check_integrity(b, n, &m, K("VOkJxbRl1RmTxUk/WvJxBT"), strlen(PWD)));
    assert_false(stun_check_integrity(b, n, &m, K(PWD), strlen(PWD) - 1));

    char uf[16];
    assert_int_equal(stun_username_local_ufrag(&m, uf, sizeof uf), 4);
    assert_string_equal(uf, "evtj");
    assert_int_equal(stun_username_local_ufrag(&m, uf, 4), 0); /* no room for NUL */

    /* One flipped bit anywhere before FINGERPRINT breaks the fingerprint. */
    b[40] ^= 1;
    assert_int_equal(stun_parse(b, n, &m), DC_EPROTO);
}

/* Rebuilds the sample request with the writer; the only help needed is the
 * vector's space padding after USERNAME (the writer pads with zeros). */
static void test_rfc5769_request_rebuilt(void **state)
{
    (void)state;
    uint8_t want[256], b[256];
    size_t wn = unhex(REQ_HEX, want, sizeof want);
    struct stun_writer w;
    stun_writer_init(&w, b, sizeof b, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), TID);
    stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
    stun_writer_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
    stun_writer_u64(&w, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
    memset(b + w.len - 3, ' ', 3);
    stun_writer_integrity(&w, K(PWD), strlen(PWD));
    stun_writer_fingerprint(&w);
    assert_int_equal(stun_writer_finish(&w), wn);
    assert_memory_equal(b, want, wn);
}

static void check_response_vector(const char *hex, const struct sockaddr *addr, size_t addr_len)
{
    uint8_t b[256], out[256];
    size_t n = unhex(hex, b, sizeof b);
    struct stun_msg m;
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_true(m.has_fingerprint);
    assert_true(stun_check_integrity(b, n, &m, K(PWD), strlen(PWD)));
    assert_true(m.has_mapped);
    assert_int_equal(m.mapped.ss_family, addr->sa_family);
    assert_memory_equal(&m.mapped, addr, addr_len);

    /* Exact bytes from the writer (SOFTWARE "test vector" is space-padded). */
    struct stun_writer w;
    stun_writer_init(&w, out, sizeof out, stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), TID);
    stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
    out[w.len - 1] = ' ';
    stun_writer_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, addr);
    stun_writer_integrity(&w, K(PWD), strlen(PWD));
    stun_writer_fingerprint(&w);
    assert_int_equal(stun_writer_finish(&w), n);
    assert_memory_equal(out, b, n);

    /* The public builder: same message without SOFTWARE. */
    size_t bn = stun_build_binding_success(out, sizeof out, TID, addr, K(PWD), strlen(PWD));
    size_t xlen = addr->sa_family == AF_INET ? 12 : 24;
    assert_int_equal(bn, 20 + xlen + 24 + 8);
    assert_int_equal(out[2] * 256 + out[3], bn - 20);
    assert_memory_equal(out, b, 2);
    assert_memory_equal(out + 4, b + 4, 16);
    assert_memory_equal(out + 20, b + 36, xlen); /* XOR-MAPPED-ADDRESS */
    struct stun_msg r;
    assert_int_equal(stun_parse(out, bn, &r), 0);
    assert_true(r.has_fingerprint);
    assert_true(stun_check_integrity(out, bn, &r, K(PWD), strlen(PWD)));
    assert_memory_equal(&r.mapped, addr, addr_len);
}

static void test_rfc5769_ipv4_response(void **state)
{
    (void)state;
    struct sockaddr_in a = v4("192.0.2.1", 32853);
    check_response_vector(RESP4_HEX, (struct sockaddr *)&a, sizeof a);
}

static void test_rfc5769_ipv6_response(void **state)
{
    (void)state;
    struct sockaddr_in6 a = v6("2001:db8:1234:5678:11:2233:4455:6677", 32853);
    check_response_vector(RESP6_HEX, (struct sockaddr *)&a, sizeof a);
}

static void test_v4mapped_written_as_ipv4(void **state)
{
    (void)state;
    struct sockaddr_in6 a = v6("::ffff:192.0.2.1", 32853);
    uint8_t out[128];
    size_t n = stun_build_binding_success(out, sizeof out, TID, (struct sockaddr *)&a, NULL, 0);
    assert_int_equal(n, 20 + 12 + 8);
    struct stun_msg m;
    assert_int_equal(stun_parse(out, n, &m), 0);
    assert_false(m.has_integrity);
    struct sockaddr_in want = v4("192.0.2.1", 32853);
    assert_memory_equal(&m.mapped, &want, sizeof want);

    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(stun_build_binding_success(out, sizeof out, TID, &un, NULL, 0), 0);
    assert_int_equal(stun_build_binding_success(out, sizeof out, TID, NULL, NULL, 0), 0);
}

/* ---- demux and header checks -------------------------------------------- */

static void test_is_stun(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = unhex(REQ_HEX, b, sizeof b);
    assert_true(stun_is_stun(b, n));
    assert_false(stun_is_stun(NULL, 0));
    assert_false(stun_is_stun(b, 19));
    assert_false(stun_is_stun(b, n - 4)); /* length field mismatch */
    uint8_t c[256];
    memcpy(c, b, n);
    c[0] = 22; /* DTLS handshake */
    assert_false(stun_is_stun(c, n));
    c[0] = 0x80; /* RTP */
    assert_false(stun_is_stun(c, n));
    memcpy(c, b, n);
    c[4] ^= 0xff; /* magic cookie */
    assert_false(stun_is_stun(c, n));
    struct stun_msg m;
    assert_int_equal(stun_parse(c, n, &m), DC_EPROTO);
    memcpy(c, b, n);
    c[3] = 0x59; /* not a multiple of 4 */
    assert_false(stun_is_stun(c, n));
    /* A bare header is a valid message without attributes. */
    uint8_t h[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    assert_true(stun_is_stun(h, 20));
    assert_int_equal(stun_parse(h, 20, &m), 0);
    assert_null(m.username);
    assert_false(m.has_integrity);
    assert_false(stun_check_integrity(h, 20, &m, K(PWD), strlen(PWD)));
    assert_int_equal(stun_username_local_ufrag(&m, (char[8]){0}, 8), 0);
}

static void test_type_encoding(void **state)
{
    (void)state;
    assert_int_equal(stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), 0x0001);
    assert_int_equal(stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION), 0x0011);
    assert_int_equal(stun_type(STUN_METHOD_BINDING, STUN_CLASS_SUCCESS), 0x0101);
    assert_int_equal(stun_type(STUN_METHOD_BINDING, STUN_CLASS_ERROR), 0x0111);
    /* every method/class survives a round trip through a parsed header
     * (RFC 7983 demultiplexing keeps the first byte 0..3: methods < 0x100) */
    for (uint16_t meth = 0; meth < 0x100; meth++) {
        for (int c = 0; c < 4; c++) {
            uint8_t h[20];
            struct stun_writer w;
            stun_writer_init(&w, h, sizeof h, stun_type(meth, (enum stun_class)c), TID);
            struct stun_msg m;
            assert_int_equal(stun_parse(h, stun_writer_finish(&w), &m), 0);
            assert_int_equal(m.method, meth);
            assert_int_equal(m.cls, c);
        }
    }
    uint8_t h[20];
    struct stun_writer w;
    struct stun_msg m;
    stun_writer_init(&w, h, sizeof h, stun_type(0x100, STUN_CLASS_REQUEST), TID);
    assert_false(stun_is_stun(h, stun_writer_finish(&w)));
    assert_int_equal(stun_parse(h, 20, &m), DC_EPROTO);
}

/* ---- attribute rules ----------------------------------------------------- */

static void start(struct stun_writer *w, uint8_t *b, size_t cap)
{
    stun_writer_init(w, b, cap, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), TID);
}

static void test_attribute_rules(void **state)
{
    (void)state;
    uint8_t b[512];
    struct stun_writer w;
    struct stun_msg m;

    /* unknown comprehension-required recorded, optional ignored, both kept
     * out of the list after MESSAGE-INTEGRITY */
    start(&w, b, sizeof b);
    stun_writer_attr(&w, 0x7777, "x", 1);
    stun_writer_attr(&w, 0xC057, "abcd", 4);
    stun_writer_attr(&w, 0x0015, "nonce", 5); /* NONCE: not processed here */
    stun_writer_integrity(&w, K(PWD), strlen(PWD));
    stun_writer_attr(&w, 0x7778, NULL, 0);
    stun_writer_fingerprint(&w);
    size_t n = stun_writer_finish(&w);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.n_unknown, 2);
    assert_int_equal(m.unknown[0], 0x7777);
    assert_int_equal(m.unknown[1], 0x0015);
    assert_true(stun_check_integrity(b, n, &m, K(PWD), strlen(PWD)));

    /* attributes after MESSAGE-INTEGRITY do not count */
    start(&w, b, sizeof b);
    stun_writer_integrity(&w, K(PWD), strlen(PWD));
    stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
    n = stun_writer_finish(&w);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_false(m.use_candidate);
    assert_null(m.username);

    /* first occurrence wins */
    start(&w, b, sizeof b);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, "c:d", 3);
    stun_writer_u32(&w, STUN_ATTR_PRIORITY, 7);
    stun_writer_u32(&w, STUN_ATTR_PRIORITY, 8);
    n = stun_writer_finish(&w);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_memory_equal(m.username, "a:b", 3);
    assert_int_equal(m.priority, 7);

    /* anything after FINGERPRINT */
    start(&w, b, sizeof b);
    stun_writer_fingerprint(&w);
    stun_writer_attr(&w, STUN_ATTR_SOFTWARE, "x", 1);
    assert_int_equal(stun_parse(b, stun_writer_finish(&w), &m), DC_EPROTO);

    /* wrong FINGERPRINT value */
    start(&w, b, sizeof b);
    stun_writer_u32(&w, STUN_ATTR_FINGERPRINT, 0x12345678);
    assert_int_equal(stun_parse(b, stun_writer_finish(&w), &m), DC_EPROTO);
}

static void test_attribute_lengths(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        size_t len;
    } bad[] = {
        {STUN_ATTR_PRIORITY, 3},        {STUN_ATTR_PRIORITY, 8},
        {STUN_ATTR_USE_CANDIDATE, 4},   {STUN_ATTR_ICE_CONTROLLING, 4},
        {STUN_ATTR_ICE_CONTROLLED, 12}, {STUN_ATTR_MESSAGE_INTEGRITY, 32},
        {STUN_ATTR_FINGERPRINT, 8},     {STUN_ATTR_XOR_MAPPED_ADDRESS, 3},
        {STUN_ATTR_XOR_MAPPED_ADDRESS, 12}, {STUN_ATTR_ERROR_CODE, 2},
        {STUN_ATTR_USERNAME, STUN_MAX_USERNAME + 1},
    };
    uint8_t b[1024], zero[600] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct stun_writer w;
        struct stun_msg m;
        start(&w, b, sizeof b);
        stun_writer_attr(&w, bad[i].type, zero, bad[i].len);
        size_t n = stun_writer_finish(&w);
        assert_true(n > 0);
        assert_int_equal(stun_parse(b, n, &m), DC_EPROTO);
    }
    /* the longest username is fine */
    char u[STUN_MAX_USERNAME + 2];
    memset(u, 'a', sizeof u);
    u[STUN_MAX_USERNAME] = '\0';
    struct stun_binding_opts o = {.username = u};
    struct stun_msg m;
    size_t n = stun_build_binding_request(b, sizeof b, TID, &o, NULL, 0);
    assert_true(n > 0);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.username_len, STUN_MAX_USERNAME);
    assert_int_equal(stun_username_local_ufrag(&m, (char[8]){0}, 8), 0); /* no colon */
    u[STUN_MAX_USERNAME] = 'a';
    u[STUN_MAX_USERNAME + 1] = '\0';
    assert_int_equal(stun_build_binding_request(b, sizeof b, TID, &o, NULL, 0), 0);
}

/* ---- builders ------------------------------------------------------------ */

static void test_build_request(void **state)
{
    (void)state;
    struct stun_binding_opts o = {
        .username = "srvUfrag:cli",
        .priority = 0x6e0001ff,
        .role = STUN_ROLE_CONTROLLING,
        .tiebreaker = 0x0102030405060708ull,
        .use_candidate = true,
    };
    uint8_t b[256];
    size_t n = stun_build_binding_request(b, sizeof b, TID, &o, K("pw"), 2);
    /* header + USERNAME(16) + PRIORITY(8) + CONTROLLING(12) + USE-CANDIDATE(4) + MI(24) + FP(8) */
    assert_int_equal(n, 20 + 16 + 8 + 12 + 4 + 24 + 8);
    struct stun_msg m;
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.cls, STUN_CLASS_REQUEST);
    assert_memory_equal(m.username, "srvUfrag:cli", 12);
    assert_int_equal(m.priority, 0x6e0001ff);
    assert_true(m.ice_controlling);
    assert_true(m.tiebreaker == 0x0102030405060708ull);
    assert_true(m.use_candidate);
    assert_true(m.has_fingerprint);
    assert_true(stun_check_integrity(b, n, &m, K("pw"), 2));
    assert_false(stun_check_integrity(b, n, &m, K("pX"), 2));
    char uf[16];
    assert_int_equal(stun_username_local_ufrag(&m, uf, sizeof uf), 8);
    assert_string_equal(uf, "srvUfrag");

    /* every capacity below the length fails cleanly, without overflow */
    for (size_t cap = 0; cap < n; cap++) {
        uint8_t *h = malloc(cap ? cap : 1);
        assert_int_equal(stun_build_binding_request(h, cap, TID, &o, K("pw"), 2), 0);
        free(h);
    }
    uint8_t *h = malloc(n);
    assert_int_equal(stun_build_binding_request(h, n, TID, &o, K("pw"), 2), n);
    assert_memory_equal(h, b, n);
    free(h);

    /* minimal: no options, no key */
    n = stun_build_binding_request(b, sizeof b, TID, NULL, NULL, 0);
    assert_int_equal(n, 28);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_false(m.has_integrity);
    assert_true(m.has_fingerprint);
}

static void test_build_error(void **state)
{
    (void)state;
    uint8_t b[256];
    struct stun_msg m;
    size_t n = stun_build_error(b, sizeof b, TID, STUN_METHOD_BINDING, 487, NULL, 0, K("pw"), 2);
    assert_true(n > 0);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.cls, STUN_CLASS_ERROR);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_int_equal(m.error_code, 487);
    assert_memory_equal(m.tid, TID, 12);
    assert_true(stun_check_integrity(b, n, &m, K("pw"), 2));
    assert_non_null(memmem(b, n, "Role Conflict", 13));

    n = stun_build_error(b, sizeof b, TID, STUN_METHOD_BINDING, 401, NULL, 0, NULL, 0);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.error_code, 401);
    assert_false(m.has_integrity);

    n = stun_build_error(b, sizeof b, TID, STUN_METHOD_BINDING, 400, NULL, 0, NULL, 0);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.error_code, 400);

    uint16_t unk[3] = {0x7777, 0x0015, 0x001C};
    n = stun_build_error(b, sizeof b, TID, STUN_METHOD_BINDING, 420, unk, 3, K("pw"), 2);
    assert_int_equal(stun_parse(b, n, &m), 0);
    assert_int_equal(m.error_code, 420);
    const uint8_t want[] = {0x00, 0x0A, 0x00, 0x06, 0x77, 0x77, 0x00, 0x15, 0x00, 0x1C, 0, 0};
    assert_non_null(memmem(b, n, want, sizeof want));

    assert_int_equal(stun_build_error(b, sizeof b, TID, 1, 200, NULL, 0, NULL, 0), 0);
    assert_int_equal(stun_build_error(b, sizeof b, TID, 1, 700, NULL, 0, NULL, 0), 0);
    assert_int_equal(stun_build_error(b, 40, TID, 1, 487, NULL, 0, K("pw"), 2), 0);
}

/* ---- hostile input ------------------------------------------------------- */

static void parse_heap_copy(const uint8_t *src, size_t n, int *rc, struct stun_msg *m)
{
    uint8_t *h = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(h, src, n);
    *rc = stun_parse(h, n, m);
    if (*rc == 0) {
        stun_check_integrity(h, n, m, K(PWD), strlen(PWD));
        char uf[64];
        stun_username_local_ufrag(m, uf, sizeof uf);
    }
    free(h);
}

static void test_truncations(void **state)
{
    (void)state;
    const char *vec[] = {REQ_HEX, RESP4_HEX, RESP6_HEX};
    for (size_t v = 0; v < 3; v++) {
        uint8_t b[256];
        size_t n = unhex(vec[v], b, sizeof b);
        struct stun_msg m;
        int rc;
        for (size_t k = 0; k < n; k++) {
            assert_false(stun_is_stun(b, k));
            parse_heap_copy(b, k, &rc, &m);
            assert_int_equal(rc, DC_EPROTO);
        }
        /* cut anywhere with the length field made consistent: either a
         * shorter valid message (cut between attributes) or an error */
        for (size_t k = 20; k < n; k += 4) {
            uint8_t c[256];
            memcpy(c, b, k);
            c[2] = (uint8_t)((k - 20) >> 8);
            c[3] = (uint8_t)(k - 20);
            parse_heap_copy(c, k, &rc, &m);
            assert_true(rc == 0 || rc == DC_EPROTO);
            if (rc == 0)
                assert_false(m.has_fingerprint);
        }
    }
}

static uint32_t rnd_state = 0x9e3779b9u;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static void test_mutations(void **state)
{
    (void)state;
    const char *vec[] = {REQ_HEX, RESP4_HEX, RESP6_HEX};
    for (int it = 0; it < 60000; it++) {
        uint8_t b[300];
        size_t n = unhex(vec[it % 3], b, sizeof b);
        if (rnd() % 2) { /* without FINGERPRINT, so attributes get interpreted */
            n -= 8;
            b[2] = (uint8_t)((n - 20) >> 8);
            b[3] = (uint8_t)(n - 20);
        }
        int flips = 1 + (int)(rnd() % 6);
        for (int f = 0; f < flips; f++)
            b[20 + rnd() % (n - 20)] = (uint8_t)rnd();
        if (rnd() % 3 == 0) { /* sometimes change the size too */
            size_t nn = 20 + 4 * (rnd() % 70); /* < sizeof b */
            for (size_t i = n; i < nn; i++)
                b[i] = (uint8_t)rnd();
            n = nn;
            b[2] = (uint8_t)((n - 20) >> 8);
            b[3] = (uint8_t)(n - 20);
        }
        struct stun_msg m;
        int rc;
        parse_heap_copy(b, n, &rc, &m);
        assert_true(rc == 0 || rc == DC_EPROTO);
    }
    /* pure noise, any length, first byte in STUN range */
    for (int it = 0; it < 20000; it++) {
        uint8_t b[128];
        size_t n = rnd() % sizeof b;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)rnd();
        if (n >= 20) {
            b[0] &= 3;
            b[2] = 0;
            b[3] = (uint8_t)((n - 20) & ~3u);
            b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = 0x42;
            n = 20 + b[3];
        }
        struct stun_msg m;
        int rc;
        parse_heap_copy(b, n, &rc, &m);
        assert_true(rc == 0 || rc == DC_EPROTO);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5769_request),
        cmocka_unit_test(test_rfc5769_request_rebuilt),
        cmocka_unit_test(test_rfc5769_ipv4_response),
        cmocka_unit_test(test_rfc5769_ipv6_response),
        cmocka_unit_test(test_v4mapped_written_as_ipv4),
        cmocka_unit_test(test_is_stun),
        cmocka_unit_test(test_type_encoding),
        cmocka_unit_test(test_attribute_rules),
        cmocka_unit_test(test_attribute_lengths),
        cmocka_unit_test(test_build_request),
        cmocka_unit_test(test_build_error),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
