/* Unit tests for transport/sdp with bad input: malformed and oversized
 * offers, random bytes, every truncation of real offers, candidate lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "transport/sdp.h"
#include "tests/unit/sdp_fixtures.h"

static void test_malformed(void **state)
{
    (void)state;
    expect_bad("", "empty");
    expect_bad("\r\n\r\n", "empty");
    expect_bad("x", "malformed");
    expect_bad("o=- 1 1 IN IP4 0.0.0.0\r\n", "v=");
    expect_bad("v=1\r\n", "version");
    expect_bad("v=0\r\nv=0\r\n", "v=");
    expect_bad(HEAD, "no m=");
    expect_bad(HEAD "A=b\r\n", "malformed");
    expect_bad(HEAD " a=b\r\n", "malformed");
    expect_bad(HEAD ICE FP256 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n", "no m=application");
    expect_bad(HEAD ICE FP256 "m=application 9 DTLS/SCTP 5000\r\na=mid:0\r\na=sctpmap:5000 webrtc-datachannel 1024\r\n",
               "no m=application");
    expect_bad(HEAD ICE FP256 "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n", "no m=application");
    expect_bad(HEAD FP256 DATA "a=mid:0\r\na=ice-pwd:0123456789012345678901\r\n", "ice-ufrag");
    expect_bad(HEAD FP256 DATA "a=mid:0\r\na=ice-ufrag:abcd\r\n", "ice-ufrag");
    expect_bad(HEAD ICE DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD FP256 DATA "a=mid:0\r\na=ice-ufrag:abc\r\na=ice-pwd:0123456789012345678901\r\n", "ice-ufrag");
    expect_bad(HEAD FP256 DATA "a=mid:0\r\na=ice-ufrag:ab;d\r\na=ice-pwd:0123456789012345678901\r\n", "ice-ufrag");
    expect_bad(HEAD FP256 DATA "a=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:012345678901234567890\r\n", "ice-pwd");
    expect_bad(HEAD ICE FP256 DATA, "without a=mid");
    expect_bad(HEAD ICE FP256 DATA "a=mid:\r\n", "a=mid");
    expect_bad(HEAD ICE FP256 DATA "a=mid:a b\r\n", "a=mid");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\n" DATA "a=mid:0\r\n", "repeated a=mid");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=setup:active\r\n", "DTLS client");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=setup:holdconn\r\n", "DTLS client");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=setup:bogus\r\n", "setup");
    expect_bad(HEAD ICE FP256 "m=application\r\n", "m= line");
    expect_bad(HEAD ICE FP256 "m=application 9\r\n", "m= line");
    expect_bad(HEAD ICE FP256 "m=application x UDP/DTLS/SCTP webrtc-datachannel\r\n", "port");
    expect_bad(HEAD ICE FP256 "m=application 65536 UDP/DTLS/SCTP webrtc-datachannel\r\n", "port");
    expect_bad(HEAD ICE FP256 "m=application -1 UDP/DTLS/SCTP webrtc-datachannel\r\n", "port");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=sctp-port:0\r\n", "sctp-port");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=sctp-port:70000\r\n", "sctp-port");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=max-message-size:x\r\n", "max-message-size");
    expect_bad(HEAD ICE FP256 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111\r\n", "rtpmap");
    expect_bad(HEAD ICE FP256 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:x opus/48000\r\n", "rtpmap");
    expect_bad(HEAD ICE FP256 "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fmtp:300 a=b\r\n", "fmtp");
    expect_bad(HEAD "a=ice-ufrag:abcd\ra=ice-pwd:0123456789012345678901\r\n" FP256 DATA "a=mid:0\r\n", "control");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=x:\x01\r\n", "control");
    expect_bad(HEAD ICE FP256 DATA "a=mid:0\r\na=x:\x7f\r\n", "control");

    /* huge max-message-size saturates */
    struct sdp_offer o;
    assert_int_equal(parse_str(HEAD ICE FP256 DATA "a=mid:0\r\na=max-message-size:99999999999\r\n", &o, NULL), 0);
    assert_int_equal(o.sections[0].max_message_size, UINT32_MAX);
    sdp_offer_free(&o);

    /* NUL byte inside the given length */
    static const char nul[] = HEAD "a=x\0y\r\n" ICE FP256 DATA "a=mid:0\r\n";
    const char *why;
    assert_int_equal(sdp_parse_offer(nul, sizeof nul - 1, &o, &why), DC_EPROTO);
    sdp_offer_free(&o);
    assert_int_equal(sdp_parse_offer(NULL, 10, &o, &why), DC_EPROTO);
    assert_int_equal(sdp_parse_offer("v=0", 3, NULL, &why), DC_EPROTO);
    sdp_offer_free(&o);
    sdp_offer_free(NULL);
}

static void test_limits(void **state)
{
    (void)state;
    struct sdp_offer o;
    const char *why;
    /* line over 4 KiB */
    char *line = malloc(SDP_MAX_LINE + 64);
    memset(line, 'x', SDP_MAX_LINE + 63);
    memcpy(line, "a=x:", 4);
    line[SDP_MAX_LINE + 63] = '\0';
    char *s = malloc(SDP_MAX_LINE + 1024);
    snprintf(s, SDP_MAX_LINE + 1024, HEAD "%s\r\n" ICE FP256 DATA "a=mid:0\r\n", line);
    expect_bad(s, "too long");
    /* exactly 4 KiB is fine */
    line[SDP_MAX_LINE] = '\0';
    snprintf(s, SDP_MAX_LINE + 1024, HEAD "%s\r\n" ICE FP256 DATA "a=mid:0\r\n", line);
    assert_int_equal(parse_str(s, &o, NULL), 0);
    sdp_offer_free(&o);
    free(s);
    free(line);

    /* more than 64 sections / exactly 64 */
    size_t cap = 100 * 80 + 1024, n = 0;
    s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, HEAD ICE FP256);
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(s + n, cap - n, DATA "a=mid:%d\r\n", i);
    assert_int_equal(parse_str(s, &o, NULL), 0);
    assert_int_equal(o.n_sections, 64);
    sdp_offer_free(&o);
    n += (size_t)snprintf(s + n, cap - n, DATA "a=mid:x\r\n");
    expect_bad(s, "too many");
    free(s);

    /* input over 256 KiB, even if made of harmless lines */
    size_t big = SDP_MAX_INPUT + 1;
    s = malloc(big + 1);
    memset(s, '\n', big);
    memcpy(s, "v=0\n", 4);
    s[big] = '\0';
    assert_int_equal(sdp_parse_offer(s, big, &o, &why), DC_EPROTO);
    assert_non_null(strstr(why, "too large"));
    sdp_offer_free(&o);
    free(s);

    /* many BUNDLE groups */
    cap = 32 * 32 + 1024;
    s = malloc(cap);
    n = (size_t)snprintf(s, cap, HEAD);
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(s + n, cap - n, "a=group:BUNDLE %d\r\n", i);
    snprintf(s + n, cap - n, ICE FP256 DATA "a=mid:0\r\n");
    expect_bad(s, "group");
    free(s);
    expect_bad(HEAD "a=group:BUNDLE 0 0\r\n" ICE FP256 DATA "a=mid:0\r\n", "twice");
}

/* Deterministic xorshift for the garbage tests. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* A successful parse must give an offer the builder can answer. */
static void check_any(const char *s, size_t len)
{
    struct sdp_offer o;
    const char *why = NULL;
    int rc = sdp_parse_offer(s, len, &o, &why);
    assert_true(rc == 0 || rc == DC_EPROTO);
    if (rc == 0) {
        struct sdp_answer_params p = params(cands(), 2);
        char *a = sdp_build_answer(&o, &p);
        assert_non_null(a);
        free(a);
    } else {
        assert_non_null(why);
    }
    sdp_offer_free(&o);
}

static void test_garbage(void **state)
{
    (void)state;
    uint32_t x = 2463534242u;
    char buf[2048];
    for (int i = 0; i < 2000; i++) {
        size_t n = rnd(&x) % sizeof buf;
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)rnd(&x);
        if (i % 2)
            memcpy(buf, "v=0\r\n", n < 5 ? n : 5);
        check_any(buf, n);
    }
    /* random byte edits of a real offer */
    size_t len;
    char *orig = load(FIX "offer_chromium_v1.sdp", &len);
    char *s = malloc(len);
    static const char pool[] = "\r\n :=/0a9mxv\x01\x80";
    for (int i = 0; i < 3000; i++) {
        memcpy(s, orig, len);
        for (int e = 0; e < 1 + i % 4; e++)
            s[rnd(&x) % len] = (i & 1) ? pool[rnd(&x) % (sizeof pool - 1)] : (char)rnd(&x);
        check_any(s, len);
    }
    free(s);
    free(orig);
}

/* Every prefix of a real offer of each layout (offer_rtcnode_v0 has the
 * layout of offer_rtcnode_v1): never a crash; everything cut before the data
 * section's a=mid value is refused. */
static void test_truncations(void **state)
{
    (void)state;
    static const char *fixtures[] = {FIX "offer_chromium_v1.sdp", FIX "offer_chromium_v0.sdp",
                                     FIX "offer_rtcnode_v1.sdp"};
    for (size_t f = 0; f < 3; f++) {
        size_t len;
        char *s = load(fixtures[f], &len);
        const char *app = strstr(s, "m=application");
        assert_non_null(app);
        const char *mid = strstr(app, "a=mid:");
        assert_non_null(mid);
        size_t must_fail = (size_t)(mid - s) + 6;
        for (size_t n = 0; n <= len; n++) {
            char *cut = malloc(n ? n : 1); /* exact size so ASan sees over-reads */
            memcpy(cut, s, n);
            struct sdp_offer o;
            int rc = sdp_parse_offer(cut, n, &o, NULL);
            if (n <= must_fail && rc != DC_EPROTO)
                fail_msg("%s cut at %zu: rc=%d", fixtures[f], n, rc);
            if (rc == 0) {
                struct sdp_answer_params p = params(cands(), 2);
                char *a = sdp_build_answer(&o, &p);
                assert_non_null(a);
                free(a);
            }
            sdp_offer_free(&o);
            free(cut);
        }
        free(s);
    }
}

/* ------------------------------------------------------------ candidates */

static void test_candidates(void **state)
{
    (void)state;
    struct sdp_cand_info c;
    assert_int_equal(sdp_parse_candidate("candidate:3771469831 1 udp 2122194687 192.0.2.2 57215 typ host "
                                         "generation 0 ufrag LJcr network-id 1", &c), 0);
    assert_string_equal(c.foundation, "3771469831");
    assert_int_equal(c.component, 1);
    assert_string_equal(c.transport, "udp");
    assert_int_equal(c.priority, 2122194687u);
    assert_string_equal(c.address, "192.0.2.2");
    assert_int_equal(c.port, 57215);
    assert_string_equal(c.type, "host");
    assert_string_equal(c.tcptype, "");

    assert_int_equal(sdp_parse_candidate("candidate:3888020663 1 udp 2122265343 fd00::2 38790 typ host "
                                         "generation 0 ufrag LJcr network-id 2", &c), 0);
    assert_string_equal(c.address, "fd00::2");
    assert_int_equal(c.port, 38790);

    /* Chromium's tcp active candidates use port 9 */
    assert_int_equal(sdp_parse_candidate("candidate:1833427960 1 tcp 1518288127 ::1 9 typ host tcptype active "
                                         "generation 0 ufrag v5I8 network-id 4 network-cost 50", &c), 0);
    assert_string_equal(c.transport, "tcp");
    assert_string_equal(c.tcptype, "active");
    assert_string_equal(c.address, "::1");
    assert_int_equal(c.port, 9);
    assert_int_equal(sdp_parse_candidate("a=candidate:2651058847 1 TCP 1518214911 192.0.2.2 46877 typ host "
                                         "tcptype passive generation 0", &c), 0);
    assert_string_equal(c.transport, "tcp");
    assert_string_equal(c.tcptype, "passive");

    /* Firefox style, srflx with raddr/rport, mDNS name, trailing lone key */
    assert_int_equal(sdp_parse_candidate("candidate:0 1 UDP 2122252543 10.0.0.2 53534 typ host", &c), 0);
    assert_int_equal(sdp_parse_candidate("candidate:842163049 1 udp 1677729535 203.0.113.7 40000 typ srflx "
                                         "raddr 10.0.0.2 rport 53534 generation 0", &c), 0);
    assert_string_equal(c.type, "srflx");
    assert_int_equal(sdp_parse_candidate("candidate:1 1 udp 2113937151 2f1a-44.local 5000 typ host", &c), 0);
    assert_string_equal(c.address, "2f1a-44.local");
    assert_int_equal(sdp_parse_candidate("candidate:1 2 udp 1 10.0.0.1 5000 typ relay generation", &c), 0);
    assert_int_equal(c.component, 2);
}

static void test_bad_candidates(void **state)
{
    (void)state;
    struct sdp_cand_info c;
    static const char *bad[] = {
        "",
        "candidate:",
        "candidat:1 1 udp 1 10.0.0.1 5000 typ host",
        "candidate:1 1 udp 1 10.0.0.1 5000 host",
        "candidate:1 1 udp 1 10.0.0.1 5000 typ",
        "candidate:1 1 udp 1 10.0.0.1 5000 typ bogus",
        "candidate:1 1 sctp 1 10.0.0.1 5000 typ host",
        "candidate:1 1 udp 1 10.0.0.1 65536 typ host",
        "candidate:1 1 udp 4294967296 10.0.0.1 5000 typ host",
        "candidate:1 0 udp 1 10.0.0.1 5000 typ host",
        "candidate:1 x udp 1 10.0.0.1 5000 typ host",
        "candidate:123456789012345678901234567890123 1 udp 1 10.0.0.1 5000 typ host",
        "candidate:1;2 1 udp 1 10.0.0.1 5000 typ host",
        "candidate:1 1 udp 1 10.0.0.1/8 5000 typ host",
        "candidate:1 1 tcp 1 10.0.0.1 5000 typ host tcptype sideways",
        "candidate:1 1 udp 1 10.0.0.1 -1 typ host",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sdp_parse_candidate(bad[i], &c) != DC_EPROTO)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(sdp_parse_candidate(NULL, &c), DC_EPROTO);
    char longaddr[400] = "candidate:1 1 udp 1 ";
    memset(longaddr + strlen(longaddr), 'a', 300);
    strcpy(longaddr + 320, " 5000 typ host");
    assert_int_equal(sdp_parse_candidate(longaddr, &c), DC_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_bad_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
