/* Unit tests for transport/dcep (RFC 8832 messages) and transport/datachannel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "transport/datachannel.h"
#include "transport/dcep.h"

/* An OPEN as Chrome sends it for an unordered channel with maxRetransmits 0. */
static const uint8_t LOSSY_OPEN[] = {0x03, 0x81, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x06, 0x00, 0x00, '_',  'l',  'o',  's',  's',  'y'};

static void test_parse_open(void **state)
{
    (void)state;
    struct dcep_open o;
    assert_int_equal(dcep_message_type(LOSSY_OPEN, sizeof LOSSY_OPEN), DCEP_MSG_OPEN);
    assert_int_equal(dcep_parse_open(LOSSY_OPEN, sizeof LOSSY_OPEN, &o), 0);
    assert_int_equal(o.channel_type, DCEP_CHANNEL_REXMIT_UNORDERED);
    assert_int_equal(o.priority, 256);
    assert_int_equal(o.reliability, 0);
    assert_int_equal(o.label_len, 6);
    assert_memory_equal(o.label, "_lossy", 6);
    assert_int_equal(o.protocol_len, 0);
    assert_false(dcep_channel_type_ordered(o.channel_type));
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const uint8_t types[] = {0x00, 0x01, 0x02, 0x80, 0x81, 0x82};
    for (size_t i = 0; i < sizeof types; i++) {
        struct dcep_open in = {.channel_type = types[i],
                               .priority = 512,
                               .reliability = 0x01020304u,
                               .label = "_reliable",
                               .label_len = 9,
                               .protocol = "proto",
                               .protocol_len = 5};
        uint8_t buf[64];
        int n = dcep_build_open(&in, buf, sizeof buf);
        assert_int_equal(n, 12 + 9 + 5);
        assert_int_equal((size_t)n, dcep_open_size(&in));
        struct dcep_open out;
        assert_int_equal(dcep_parse_open(buf, (size_t)n, &out), 0);
        assert_int_equal(out.channel_type, types[i]);
        assert_int_equal(out.priority, 512);
        assert_int_equal(out.reliability, 0x01020304u);
        assert_int_equal(out.label_len, 9);
        assert_memory_equal(out.label, "_reliable", 9);
        assert_int_equal(out.protocol_len, 5);
        assert_memory_equal(out.protocol, "proto", 5);
        assert_int_equal(dcep_build_open(&in, buf, (size_t)n - 1), DC_ETOOBIG);
    }
    uint8_t ack[4];
    assert_int_equal(dcep_build_ack(ack, sizeof ack), 1);
    assert_int_equal(ack[0], DCEP_MSG_ACK);
    assert_int_equal(dcep_parse_ack(ack, 1), 0);
    assert_int_equal(dcep_build_ack(ack, 0), DC_ETOOBIG);
    struct dcep_open bad = {.channel_type = 0x03};
    assert_int_equal(dcep_build_open(&bad, ack, sizeof ack), DC_EINVAL);
    struct dcep_open nolabel = {.channel_type = 0, .label_len = 3};
    uint8_t big[32];
    assert_int_equal(dcep_build_open(&nolabel, big, sizeof big), DC_EINVAL);
}

static void test_malformed_open(void **state)
{
    (void)state;
    struct dcep_open o;
    uint8_t m[sizeof LOSSY_OPEN + 4];
    /* Every truncation, including empty and header-only. */
    for (size_t n = 0; n < sizeof LOSSY_OPEN; n++)
        assert_int_equal(dcep_parse_open(LOSSY_OPEN, n, &o), DC_EPROTO);
    assert_int_equal(dcep_parse_open(NULL, 10, &o), DC_EPROTO);
    assert_int_equal(dcep_message_type(NULL, 0), DC_EPROTO);
    assert_int_equal(dcep_message_type(LOSSY_OPEN, 0), DC_EPROTO);
    /* Label length beyond the message (and the 16-bit maximum). */
    memcpy(m, LOSSY_OPEN, sizeof LOSSY_OPEN);
    m[8] = 0xff;
    m[9] = 0xff;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    /* Protocol length overflowing what is left. */
    memcpy(m, LOSSY_OPEN, sizeof LOSSY_OPEN);
    m[11] = 1;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    m[10] = 0xff;
    m[11] = 0xff;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    /* Trailing bytes. */
    memcpy(m, LOSSY_OPEN, sizeof LOSSY_OPEN);
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN + 1, &o), DC_EPROTO);
    /* Unknown channel type, wrong message type, NUL inside the label. */
    m[1] = 0x03;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    m[1] = 0x81;
    m[0] = DCEP_MSG_ACK;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    m[0] = DCEP_MSG_OPEN;
    m[14] = 0;
    assert_int_equal(dcep_parse_open(m, sizeof LOSSY_OPEN, &o), DC_EPROTO);
    /* ACK: exactly one byte. */
    static const uint8_t ack2[] = {0x02, 0x00};
    assert_int_equal(dcep_parse_ack(ack2, 2), DC_EPROTO);
    assert_int_equal(dcep_parse_ack(ack2, 0), DC_EPROTO);
    assert_int_equal(dcep_parse_ack(LOSSY_OPEN, 1), DC_EPROTO);
}

/* Random bytes and random mutations of a valid OPEN: parse never reads
 * outside the buffer (ASan checks) and accepts only consistent messages. */
static void test_random_input(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    uint8_t buf[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(iter % 40);
        if (iter & 1) {
            memcpy(buf, LOSSY_OPEN, sizeof LOSSY_OPEN);
            n = sizeof LOSSY_OPEN;
        }
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            if (!(iter & 1) || (seed >> 28) == 0)
                buf[i] = (uint8_t)(seed >> 16);
        }
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        struct dcep_open o;
        if (dcep_parse_open(copy, n, &o) == 0) {
            assert_int_equal(n, 12 + (size_t)o.label_len + o.protocol_len);
            assert_true(dcep_channel_type_valid(o.channel_type));
        }
        dcep_parse_ack(copy, n);
        dcep_message_type(copy, n);
        free(copy);
    }
}

static void test_table(void **state)
{
    (void)state;
    struct datachannel_table t;
    datachannel_table_init(&t);
    for (uint16_t s = 0; s < 20; s += 2)
        assert_non_null(datachannel_add(&t, s, 0, 0, "x", 1, NULL, 0, true));
    assert_null(datachannel_add(&t, 4, 0, 0, "dup", 3, NULL, 0, false));
    struct datachannel *c = datachannel_find(&t, 6);
    assert_non_null(c);
    assert_string_equal(c->label, "x");
    assert_string_equal(c->protocol, "");
    assert_int_equal(c->state, DATACHANNEL_OPENING);
    assert_true(datachannel_remove(&t, 6));
    assert_false(datachannel_remove(&t, 6));
    assert_null(datachannel_find(&t, 6));
    assert_non_null(datachannel_find(&t, 18));
    assert_int_equal(t.n, 9);
    c = datachannel_add(&t, 7, 0x81, 0, "_lossy", 6, "p", 1, false);
    assert_int_equal(c->state, DATACHANNEL_OPEN);
    assert_string_equal(c->protocol, "p");
    datachannel_table_free(&t);
    datachannel_table_free(NULL);
}

static void test_send_params(void **state)
{
    (void)state;
    assert_int_equal(datachannel_type_for(true, -1), DCEP_CHANNEL_RELIABLE);
    assert_int_equal(datachannel_type_for(false, -1), DCEP_CHANNEL_RELIABLE_UNORDERED);
    assert_int_equal(datachannel_type_for(true, 3), DCEP_CHANNEL_REXMIT);
    assert_int_equal(datachannel_type_for(false, 0), DCEP_CHANNEL_REXMIT_UNORDERED);

    struct datachannel c = {
        .type = DCEP_CHANNEL_REXMIT_UNORDERED, .reliability = 0, .state = DATACHANNEL_OPEN};
    struct datachannel_send_params p;
    datachannel_send_params(&c, &p);
    assert_true(p.unordered);
    assert_int_equal(p.pr, DATACHANNEL_PR_RTX);
    assert_int_equal(p.pr_value, 0);
    c.state = DATACHANNEL_OPENING; /* before the ACK: ordered */
    datachannel_send_params(&c, &p);
    assert_false(p.unordered);
    c.type = DCEP_CHANNEL_TIMED;
    c.reliability = 1500;
    c.state = DATACHANNEL_OPEN;
    datachannel_send_params(&c, &p);
    assert_false(p.unordered);
    assert_int_equal(p.pr, DATACHANNEL_PR_TTL);
    assert_int_equal(p.pr_value, 1500);
    c.type = DCEP_CHANNEL_RELIABLE;
    datachannel_send_params(&c, &p);
    assert_int_equal(p.pr, DATACHANNEL_PR_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_open),     cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_malformed_open), cmocka_unit_test(test_random_input),
        cmocka_unit_test(test_table),          cmocka_unit_test(test_send_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
