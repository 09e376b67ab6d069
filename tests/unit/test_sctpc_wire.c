/* Unit tests for the native SCTP packet codec (transport/sctpc_wire) and
 * for the core's handling of malformed, truncated and mutated packets. */
#include "tests/unit/sctpc_pipe.h"

static uint32_t crc_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}

static void test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(sctpc_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
    uint8_t z[32] = {0};
    assert_int_equal(sctpc_crc32c(z, 32), 0x8A9136AAu);
    uint8_t buf[1500];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rnd();
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 200; n += 7)
            assert_int_equal(sctpc_crc32c(buf + off, n), crc_ref(buf + off, n));
    assert_int_equal(sctpc_crc32c(buf, sizeof buf), crc_ref(buf, sizeof buf));
}

/* A sealed packet with one chunk. */
static size_t one_chunk(uint8_t *pkt, const uint8_t *chunk, size_t n, uint32_t vtag)
{
    sctpc_put_header(pkt, 5000, vtag);
    memcpy(pkt + SCTPC_COMMON_HDR, chunk, n);
    sctpc_seal(pkt, SCTPC_COMMON_HDR + n);
    return SCTPC_COMMON_HDR + n;
}

static void test_init_roundtrip(void **state)
{
    (void)state;
    uint8_t cookie[72], chunk[200], pkt[256];
    memset(cookie, 0xab, sizeof cookie);
    struct sctpc_init in = {.tag = 0x11223344, .a_rwnd = 131072, .os = 64, .mis = 64,
                            .init_tsn = 7, .cookie = cookie, .cookie_len = sizeof cookie};
    int n = sctpc_put_init(chunk, sizeof chunk, SCTPC_INIT_ACK, &in);
    assert_true(n > 0);
    assert_int_equal(sctpc_put_init(chunk, 40, SCTPC_INIT, &in), DC_ETOOBIG);
    size_t len = one_chunk(pkt, chunk, (size_t)n, 0x55);
    struct sctpc_hdr h;
    struct sctpc_iter it;
    struct sctpc_chunk c;
    struct sctpc_init out;
    assert_int_equal(sctpc_packet_parse(pkt, len, &h, &it), 0);
    assert_int_equal(h.vtag, 0x55);
    assert_int_equal(h.dst_port, 5000);
    assert_int_equal(sctpc_next_chunk(&it, &c), 1);
    assert_int_equal(c.type, SCTPC_INIT_ACK);
    assert_int_equal(sctpc_parse_init(&c, &out), 0);
    assert_int_equal(out.tag, 0x11223344);
    assert_int_equal(out.a_rwnd, 131072);
    assert_int_equal(out.init_tsn, 7);
    assert_true(out.fwd_tsn && out.reconfig && !out.idata);
    assert_int_equal(out.cookie_len, sizeof cookie);
    assert_memory_equal(out.cookie, cookie, sizeof cookie);
    assert_int_equal(sctpc_next_chunk(&it, &c), 0);
    /* Checksum and length errors. */
    pkt[20] ^= 1;
    assert_int_equal(sctpc_packet_parse(pkt, len, &h, &it), DC_EPROTO);
    pkt[20] ^= 1;
    assert_int_equal(sctpc_packet_parse(pkt, 15, &h, &it), DC_EPROTO);
    /* A parameter running past the chunk, a zero tag. */
    c.vlen = 18;
    assert_int_equal(sctpc_parse_init(&c, &out), DC_EPROTO);
    uint8_t bad[20] = {0};
    struct sctpc_chunk bc = {.type = SCTPC_INIT, .v = bad, .vlen = 16};
    assert_int_equal(sctpc_parse_init(&bc, &out), DC_EPROTO);
}

static void test_sack_fwd_reconf(void **state)
{
    (void)state;
    uint8_t buf[256];
    uint16_t gaps[4] = {2, 3, 5, 9};
    uint32_t dups[2] = {100, 101};
    int n = sctpc_put_sack(buf, sizeof buf, 99, 5000, gaps, 2, dups, 2);
    assert_int_equal(n, 16 + 8 + 8);
    struct sctpc_chunk c = {.type = buf[0], .v = buf + 4, .vlen = (size_t)n - 4};
    struct sctpc_sack s;
    assert_int_equal(sctpc_parse_sack(&c, &s), 0);
    assert_int_equal(s.cum_tsn, 99);
    assert_int_equal(s.ngaps, 2);
    assert_int_equal(sctpc_rd16(s.gaps + 4), 5);
    assert_int_equal(sctpc_rd32(s.dups + 4), 101);
    c.vlen -= 4; /* truncated dup list */
    assert_int_equal(sctpc_parse_sack(&c, &s), DC_EPROTO);
    uint16_t bad[2] = {4, 3};
    n = sctpc_put_sack(buf, sizeof buf, 1, 1, bad, 1, NULL, 0);
    c.vlen = (size_t)n - 4;
    assert_int_equal(sctpc_parse_sack(&c, &s), DC_EPROTO);

    uint16_t pairs[2] = {3, 17};
    n = sctpc_put_fwd_tsn(buf, sizeof buf, 1234, pairs, 1);
    c.vlen = (size_t)n - 4;
    struct sctpc_fwd_tsn f;
    assert_int_equal(sctpc_parse_fwd_tsn(&c, &f), 0);
    assert_int_equal(f.new_cum, 1234);
    assert_int_equal(f.n, 1);
    assert_int_equal(sctpc_rd16(f.streams + 2), 17);
    c.vlen = 6;
    assert_int_equal(sctpc_parse_fwd_tsn(&c, &f), DC_EPROTO);

    uint16_t streams[3] = {1, 2, 3};
    n = sctpc_put_reconf_req(buf, sizeof buf, 10, 20, 30, streams, 3);
    c.vlen = sctpc_rd16(buf + 2) - 4;
    size_t off = 0;
    struct sctpc_reconf_param p;
    assert_int_equal(sctpc_next_reconf_param(&c, &off, &p), 1);
    assert_int_equal(p.type, 13);
    assert_int_equal(p.seq, 10);
    assert_int_equal(p.last_tsn, 30);
    assert_int_equal(p.nstreams, 3);
    assert_int_equal(sctpc_next_reconf_param(&c, &off, &p), 0);
    buf[7] = 200; /* parameter length past the chunk */
    off = 0;
    assert_int_equal(sctpc_next_reconf_param(&c, &off, &p), DC_EPROTO);
    n = sctpc_put_reconf_resp(buf, sizeof buf, 10, SCTPC_RECONF_PERFORMED);
    c.vlen = (size_t)n - 4;
    off = 0;
    assert_int_equal(sctpc_next_reconf_param(&c, &off, &p), 1);
    assert_int_equal(p.type, 16);
    assert_int_equal(p.resp_seq, SCTPC_RECONF_PERFORMED);
}

static void test_data_and_chunks(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct sctpc_data d = {.tsn = 5, .ppid = 53, .stream = 2, .ssn = 9, .flags = 3,
                           .payload = (const uint8_t *)"hello", .len = 5};
    int n = sctpc_put_data_hdr(buf, sizeof buf, &d);
    assert_int_equal(n, 24);
    assert_int_equal(sctpc_put_data_hdr(buf, 20, &d), DC_ETOOBIG);
    struct sctpc_chunk c = {.type = buf[0], .flags = buf[1], .v = buf + 4, .vlen = 17};
    struct sctpc_data o;
    assert_int_equal(sctpc_parse_data(&c, &o), 0);
    assert_int_equal(o.len, 5);
    assert_memory_equal(o.payload, "hello", 5);
    c.vlen = 12; /* no payload */
    assert_int_equal(sctpc_parse_data(&c, &o), DC_EPROTO);

    /* Chunk iterator: short header, length below 4, length past the end. */
    uint8_t pkt[64];
    uint8_t ch[8] = {SCTPC_COOKIE_ACK, 0, 0, 4, SCTPC_HEARTBEAT, 0, 0, 3};
    size_t len = one_chunk(pkt, ch, sizeof ch, 1);
    struct sctpc_hdr h;
    struct sctpc_iter it;
    assert_int_equal(sctpc_packet_parse(pkt, len, &h, &it), 0);
    assert_int_equal(sctpc_next_chunk(&it, &c), 1);
    assert_int_equal(sctpc_next_chunk(&it, &c), DC_EPROTO);
    ch[7] = 40;
    len = one_chunk(pkt, ch, sizeof ch, 1);
    assert_int_equal(sctpc_packet_parse(pkt, len, &h, &it), 0);
    assert_int_equal(sctpc_next_chunk(&it, &c), 1);
    assert_int_equal(sctpc_next_chunk(&it, &c), DC_EPROTO);
    len = one_chunk(pkt, ch, 6, 1); /* 2 stray bytes after the first chunk */
    assert_int_equal(sctpc_packet_parse(pkt, len, &h, &it), 0);
    assert_int_equal(sctpc_next_chunk(&it, &c), 1);
    assert_int_equal(sctpc_next_chunk(&it, &c), DC_EPROTO);
}

/* Every prefix of a valid INIT, and garbage with valid checksums, is
 * dropped and counted by a fresh association; nothing crashes. */
static void test_feed_truncated_and_garbage(void **state)
{
    (void)state;
    pair_up(EP_OURS, EP_OURS, 0, 0);
    uint8_t chunk[64], pkt[1200];
    struct sctpc_init in = {.tag = 9, .a_rwnd = 1000, .os = 4, .mis = 4, .init_tsn = 1};
    int n = sctpc_put_init(chunk, sizeof chunk, SCTPC_INIT, &in);
    size_t len = one_chunk(pkt, chunk, (size_t)n, 0);
    for (size_t cut = 0; cut < len; cut++) {
        sctpc_seal(pkt, cut < 12 ? 12 : cut);
        sctpc_feed(X.c, pkt, cut, now_ms);
    }
    struct sctpc_stats s;
    sctpc_stats(X.c, &s);
    assert_true(s.drop_bad_pkt >= len - 16);
    sctpc_feed(X.c, NULL, 0, now_ms);
    for (int i = 0; i < 20000; i++) {
        size_t l = 12 + rnd() % 200;
        for (size_t k = 0; k < l; k++)
            pkt[k] = (uint8_t)rnd();
        sctpc_wr16(pkt + 2, 5000);
        if (i % 2)
            sctpc_wr32(pkt + 4, 0);
        if (l > 16)
            pkt[12] = (uint8_t)(rnd() % 16);
        sctpc_seal(pkt, l);
        sctpc_feed(X.c, pkt, l, now_ms);
    }
    sctpc_flush(X.c, now_ms);
    ep_clear_queue(&X);
}

/* Packets of a live association, mutated and resealed, fed to the peer. */
static void test_feed_mutated(void **state)
{
    (void)state;
    pair_up(EP_OURS, EP_OURS, 0, 0);
    pair_connect();
    ep_open_channel(&X, 0, true, -1);
    run_for(50);
    uint8_t msg[3000] = {0};
    for (int round = 0; round < 300; round++) {
        ep_send(&X, 0, msg, 1 + rnd() % sizeof msg);
        if (round % 7 == 0)
            sctpc_reset_stream(X.c, 1);
        sctpc_flush(X.c, now_ms);
        for (struct qpkt *p = X.head; p; p = p->next) {
            uint8_t m[1200];
            size_t l = p->len;
            memcpy(m, p->data, l);
            int flips = 1 + (int)(rnd() % 4);
            for (int k = 0; k < flips; k++)
                m[12 + rnd() % (l - 12)] = (uint8_t)rnd();
            if (rnd() % 4 == 0)
                l = 12 + rnd() % (l - 12);
            sctpc_seal(m, l);
            sctpc_feed(Y.c, m, l, now_ms);
        }
        run_for(10);
    }
    pair_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_init_roundtrip),
        cmocka_unit_test(test_sack_fwd_reconf),
        cmocka_unit_test(test_data_and_chunks),
        cmocka_unit_test_teardown(test_feed_truncated_and_garbage, teardown),
        cmocka_unit_test_teardown(test_feed_mutated, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
