/* Unit tests for transport/sdp: offers captured from livekit-client 2.23.0 in
 * Chromium 156 and @livekit/rtc-node 1.1.0 (tests/unit/fixtures/), their
 * answers, and offers laid out differently.  Bad input: test_sdp_bad.c. */
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

/* ------------------------------------------------------------ helpers */

/* s with the n-th (0-based) occurrence of `from` replaced by `to`. */
static char *replace_nth(const char *s, const char *from, const char *to, int nth)
{
    const char *at = s;
    for (int i = 0;; i++) {
        at = strstr(at, from);
        assert_non_null(at);
        if (i == nth)
            break;
        at += strlen(from);
    }
    size_t pre = (size_t)(at - s), fl = strlen(from), tl = strlen(to), rest = strlen(at + fl);
    char *out = malloc(pre + tl + rest + 1);
    memcpy(out, s, pre);
    memcpy(out + pre, to, tl);
    memcpy(out + pre + tl, at + fl, rest + 1);
    return out;
}

/* s without every line that contains `needle`. */
static char *drop_lines(const char *s, const char *needle)
{
    char *out = malloc(strlen(s) + 1);
    size_t o = 0;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
        char line[SDP_MAX_LINE * 2];
        assert_true(n < sizeof line);
        memcpy(line, s, n);
        line[n] = '\0';
        if (!strstr(line, needle)) {
            memcpy(out + o, s, n);
            o += n;
        }
        s += n;
    }
    out[o] = '\0';
    return out;
}

static void parse_fixture(const char *name, struct sdp_offer *o)
{
    size_t len;
    char *s = load(name, &len);
    const char *why = NULL;
    int rc = sdp_parse_offer(s, len, o, &why);
    if (rc)
        fail_msg("%s: %s", name, why);
    free(s);
}

static void expect_fp(const struct sdp_offer *o, const char *hex)
{
    assert_string_equal(o->fingerprint_alg, "sha-256");
    assert_true(o->fingerprint_supported);
    assert_int_equal(o->fingerprint_len, 32);
    for (size_t i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 3 * i, "%2X", &v), 1);
        assert_int_equal(o->fingerprint[i], v);
    }
}

/* Checks the v1 layout: mids first_mid.. (3 audio, 3 video, application). */
static void expect_v1_layout(const struct sdp_offer *o, int first_mid)
{
    static const enum sdp_kind kinds[7] = {SDP_AUDIO, SDP_AUDIO, SDP_AUDIO, SDP_VIDEO,
                                           SDP_VIDEO, SDP_VIDEO, SDP_APPLICATION};
    assert_int_equal(o->n_sections, 7);
    assert_int_equal(o->n_bundle, 7);
    assert_int_equal(o->data_index, 6);
    for (int i = 0; i < 7; i++) {
        const struct sdp_section *s = &o->sections[i];
        char mid[8];
        snprintf(mid, sizeof mid, "%d", first_mid + i);
        assert_string_equal(s->mid, mid);
        assert_string_equal(o->bundle_mids[i], mid);
        assert_int_equal(s->kind, kinds[i]);
        assert_false(s->rejected);
        assert_int_equal(s->port, 9);
        if (i < 6) {
            assert_string_equal(s->direction, "recvonly");
            assert_string_equal(s->proto, "UDP/TLS/RTP/SAVPF");
            assert_false(s->is_datachannel);
        }
    }
    assert_int_equal(o->sections[0].first_pt, 111);
    assert_string_equal(o->sections[0].rtpmap, "opus/48000/2");
    assert_int_equal(o->sections[3].first_pt, 96);
    assert_string_equal(o->sections[3].rtpmap, "VP8/90000");
    assert_null(o->sections[3].fmtp);
    const struct sdp_section *d = &o->sections[6];
    assert_true(d->is_datachannel);
    assert_string_equal(d->proto, "UDP/DTLS/SCTP");
    assert_string_equal(d->fmts, "webrtc-datachannel");
    assert_int_equal(d->first_pt, -1);
    assert_int_equal(d->sctp_port, 5000);
    assert_int_equal(d->max_message_size, 262144);
    assert_string_equal(o->setup, "actpass");
    assert_false(o->ice_lite);
}

/* ------------------------------------------------------------ fixtures */

static void test_chromium_v1(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_chromium_v1.sdp", &o);
    expect_v1_layout(&o, 0);
    assert_string_equal(o.ice_ufrag, "RjXB");
    assert_string_equal(o.ice_pwd, "5PF0GU5miRP/kRgHiZHzgLLn");
    expect_fp(&o, "9E:E5:B2:EA:5F:D3:70:B8:F9:D7:EF:F0:AC:1B:D8:93:8B:DF:3F:1F:BF:D6:E3:19:D8:B8:C4:"
                  "8B:57:6B:CB:51");
    assert_string_equal(o.sections[0].fmtp, "minptime=10;useinbandfec=1");
    assert_true(o.session_id == 4289338146675382925ULL);
    assert_int_equal(o.session_version, 2);
    sdp_offer_free(&o);
}

static void test_chromium_v0(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_chromium_v0.sdp", &o);
    assert_int_equal(o.n_sections, 1);
    assert_int_equal(o.data_index, 0);
    assert_int_equal(o.n_bundle, 1);
    assert_string_equal(o.bundle_mids[0], "0");
    const struct sdp_section *d = &o.sections[0];
    assert_int_equal(d->kind, SDP_APPLICATION);
    assert_true(d->is_datachannel);
    assert_string_equal(d->mid, "0");
    assert_string_equal(d->direction, "sendrecv");
    assert_int_equal(d->sctp_port, 5000);
    assert_int_equal(d->max_message_size, 262144);
    assert_string_equal(o.ice_ufrag, "v5I8");
    assert_string_equal(o.ice_pwd, "510R9qnvmntie8FE2/DjTCmu");
    expect_fp(&o, "07:36:E1:4E:22:4B:08:9C:D6:7E:75:A8:9A:E7:99:13:DC:87:F2:A6:CB:F4:DA:BD:C5:DF:44:"
                  "A6:65:F6:0B:1D");
    assert_string_equal(o.setup, "actpass");
    sdp_offer_free(&o);
}

static void test_rtcnode_v1(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_rtcnode_v1.sdp", &o);
    expect_v1_layout(&o, 0);
    assert_string_equal(o.ice_ufrag, "wQp+");
    assert_string_equal(o.ice_pwd, "CpTroglbgnYSoFruImj5eGW1");
    expect_fp(&o, "5F:04:58:1E:D4:AA:59:5D:10:16:F2:A3:3B:B1:9D:86:24:1E:F6:1D:8E:DC:6F:10:AF:00:61:"
                  "12:00:EC:41:CD");
    assert_true(o.session_id == 547782764735643462ULL);
    sdp_offer_free(&o);
}

/* rtc-node falling back to v0 re-offers with new mids 7..13. */
static void test_rtcnode_v0(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_rtcnode_v0.sdp", &o);
    expect_v1_layout(&o, 7);
    assert_string_equal(o.ice_ufrag, "LJcr");
    assert_string_equal(o.sections[0].fmtp, "minptime=10;stereo=1;useinbandfec=1");
    assert_int_equal(o.session_version, 3);
    sdp_offer_free(&o);
}

/* Same session: a renegotiation keeps the credentials, an ICE restart
 * changes them and keeps the certificate. */
static void test_renegotiation_and_restart(void **state)
{
    (void)state;
    struct sdp_offer first, reneg, restart;
    parse_fixture(FIX "offer_chromium_v1.sdp", &first);
    parse_fixture(FIX "offer_chromium_v1_renego.sdp", &reneg);
    parse_fixture(FIX "offer_chromium_v1_restart.sdp", &restart);
    expect_v1_layout(&reneg, 0);
    expect_v1_layout(&restart, 0);
    assert_string_equal(reneg.ice_ufrag, first.ice_ufrag);
    assert_string_equal(reneg.ice_pwd, first.ice_pwd);
    assert_string_equal(reneg.sections[1].fmtp, "minptime=10;useinbandfec=1;stereo=1");
    assert_string_equal(restart.ice_ufrag, "FH9T");
    assert_string_equal(restart.ice_pwd, "UiOG0DWxqL+sKB+2dtN2iDSy");
    assert_string_not_equal(restart.ice_ufrag, first.ice_ufrag);
    assert_memory_equal(restart.fingerprint, first.fingerprint, 32);
    assert_true(restart.session_id == first.session_id);
    assert_int_equal(restart.session_version, 4);
    sdp_offer_free(&first);
    sdp_offer_free(&reneg);
    sdp_offer_free(&restart);
}

static void test_lf_line_endings(void **state)
{
    (void)state;
    char *s = load(FIX "offer_chromium_v1.sdp", NULL);
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != '\r')
            s[o++] = s[i];
    s[o] = '\0';
    struct sdp_offer off;
    assert_int_equal(parse_str(s, &off, NULL), 0);
    expect_v1_layout(&off, 0);
    assert_string_equal(off.ice_ufrag, "RjXB");
    sdp_offer_free(&off);
    free(s);
}

/* ------------------------------------------------------------ answers */

/* The answer split into lines, and the line index of each m= line. */
struct ans {
    char *text;
    char *lines[2048];
    size_t n;
    size_t m[SDP_MAX_SECTIONS + 1];
    size_t nm;
};

static void ans_split(struct ans *a, char *text)
{
    memset(a, 0, sizeof *a);
    a->text = text;
    size_t len = strlen(text);
    assert_true(len > 2 && text[len - 2] == '\r' && text[len - 1] == '\n');
    char *p = text;
    while (*p) {
        char *e = strstr(p, "\r\n");
        assert_non_null(e); /* every line ends in CRLF */
        assert_true(e > p); /* no empty lines */
        *e = '\0';
        assert_null(strchr(p, '\n'));
        assert_true(a->n < 2048);
        if (!strncmp(p, "m=", 2))
            a->m[a->nm++] = a->n;
        a->lines[a->n++] = p;
        p = e + 2;
    }
    a->m[a->nm] = a->n;
}

/* Whether section i (-1: session level) has exactly this line. */
static bool has(const struct ans *a, int i, const char *line)
{
    size_t from = i < 0 ? 0 : a->m[i], to = i < 0 ? a->m[0] : a->m[i + 1];
    for (size_t k = from; k < to; k++)
        if (!strcmp(a->lines[k], line))
            return true;
    return false;
}

/* Lines of section i (-1: session) starting with prefix. */
static size_t count(const struct ans *a, int i, const char *prefix)
{
    size_t from = i < 0 ? 0 : a->m[i], to = i < 0 ? a->m[0] : a->m[i + 1], c = 0;
    for (size_t k = from; k < to; k++)
        c += !strncmp(a->lines[k], prefix, strlen(prefix));
    return c;
}

static void expect_transport(const struct ans *a, int i)
{
    char fp[128];
    snprintf(fp, sizeof fp, "a=fingerprint:sha-256 %s", OUR_FP);
    assert_true(has(a, i, "a=ice-ufrag:srvU"));
    assert_true(has(a, i, "a=ice-pwd:serverpasswordserverpw"));
    assert_true(has(a, i, fp));
    assert_true(has(a, i, "a=setup:active"));
    assert_int_equal(count(a, i, "a=setup:"), 1);
}

/* Candidates, c= and the m= port live in section `tag` only. */
static void expect_candidates(const struct ans *a, int tag, const char *mline_prefix)
{
    for (size_t i = 0; i < a->nm; i++)
        if ((int)i != tag)
            assert_int_equal(count(a, (int)i, "a=candidate:"), 0);
    assert_int_equal(count(a, tag, "a=candidate:"), 2);
    assert_true(has(a, tag, "c=IN IP4 10.77.0.1"));
    assert_true(has(a, tag, "a=end-of-candidates"));
    assert_true(!strncmp(a->lines[a->m[tag]], mline_prefix, strlen(mline_prefix)));
    size_t k = a->m[tag];
    while (strncmp(a->lines[k], "a=candidate:", 12))
        k++;
    unsigned long f1, f2, p1, p2;
    char ip1[64], ip2[64];
    assert_int_equal(sscanf(a->lines[k], "a=candidate:%lu 1 udp %lu %63s 7882 typ host generation 0", &f1, &p1, ip1), 3);
    assert_int_equal(sscanf(a->lines[k + 1], "a=candidate:%lu 1 udp %lu %63s 7882 typ host generation 0", &f2, &p2, ip2), 3);
    assert_string_equal(ip1, "10.77.0.1");
    assert_string_equal(ip2, "fd00::1");
    assert_true(p1 > p2);
    assert_true(f1 != f2);
}

static void test_answer_v1(void **state)
{
    (void)state;
    static const char *fixtures[] = {FIX "offer_chromium_v1.sdp", FIX "offer_rtcnode_v1.sdp",
                                     FIX "offer_rtcnode_v0.sdp", FIX "offer_chromium_v1_restart.sdp"};
    for (size_t f = 0; f < 4; f++) {
        struct sdp_offer o;
        parse_fixture(fixtures[f], &o);
        struct sdp_answer_params p = params(cands(), 2);
        struct ans a;
        ans_split(&a, sdp_build_answer(&o, &p));
        assert_string_equal(a.lines[0], "v=0");
        assert_string_equal(a.lines[1], "o=- 77 2 IN IP4 0.0.0.0");
        assert_true(has(&a, -1, "s=-"));
        assert_true(has(&a, -1, "t=0 0"));
        assert_true(has(&a, -1, "a=ice-lite"));
        char bundle[128] = "a=group:BUNDLE";
        for (size_t i = 0; i < o.n_sections; i++)
            snprintf(bundle + strlen(bundle), sizeof bundle - strlen(bundle), " %s", o.sections[i].mid);
        assert_true(has(&a, -1, bundle));
        assert_int_equal(a.nm, 7);
        for (int i = 0; i < 7; i++) {
            char mid[32];
            snprintf(mid, sizeof mid, "a=mid:%s", o.sections[i].mid);
            assert_true(has(&a, i, mid));
            expect_transport(&a, i);
        }
        /* the BUNDLE tag (first section, audio) carries the address */
        expect_candidates(&a, 0, "m=audio 7882 UDP/TLS/RTP/SAVPF 111");
        for (int i = 0; i < 6; i++) {
            assert_true(has(&a, i, "a=inactive"));
            assert_true(has(&a, i, "a=rtcp-mux"));
            assert_int_equal(count(&a, i, "a=rtpmap:"), 1);
            if (i > 0)
                assert_true(has(&a, i, "c=IN IP4 0.0.0.0"));
        }
        assert_true(has(&a, 1, "m=audio 9 UDP/TLS/RTP/SAVPF 111"));
        assert_true(has(&a, 1, "a=rtpmap:111 opus/48000/2"));
        char fmtp[128];
        snprintf(fmtp, sizeof fmtp, "a=fmtp:111 %s", o.sections[1].fmtp);
        assert_true(has(&a, 1, fmtp));
        assert_true(has(&a, 3, "m=video 9 UDP/TLS/RTP/SAVPF 96"));
        assert_true(has(&a, 3, "a=rtpmap:96 VP8/90000"));
        assert_true(has(&a, 6, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel"));
        assert_true(has(&a, 6, "a=sctp-port:5000"));
        assert_true(has(&a, 6, "a=max-message-size:262144"));
        assert_int_equal(count(&a, 6, "a=inactive"), 0);
        assert_null(strstr(a.text, "actpass"));
        free(a.text);
        sdp_offer_free(&o);
    }
}

static void test_answer_v0(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_chromium_v0.sdp", &o);
    struct sdp_answer_params p = params(cands(), 2);
    p.max_message_size = 65536;
    struct ans a;
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_int_equal(a.nm, 1);
    assert_true(has(&a, -1, "a=group:BUNDLE 0"));
    assert_true(has(&a, 0, "a=mid:0"));
    expect_transport(&a, 0);
    expect_candidates(&a, 0, "m=application 7882 UDP/DTLS/SCTP webrtc-datachannel");
    assert_true(has(&a, 0, "a=max-message-size:65536"));
    free(a.text);
    sdp_offer_free(&o);
}

static void test_answer_ipv6_and_no_candidates(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_chromium_v0.sdp", &o);
    struct sdp_candidate c6[] = {{"::1", 4000}, {"127.0.0.1", 4001}};
    struct sdp_answer_params p = params(c6, 2);
    struct ans a;
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_string_equal(a.lines[a.m[0]], "m=application 4000 UDP/DTLS/SCTP webrtc-datachannel");
    assert_true(has(&a, 0, "c=IN IP6 ::1"));
    free(a.text);
    p = params(NULL, 0);
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_string_equal(a.lines[a.m[0]], "m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
    assert_true(has(&a, 0, "c=IN IP4 0.0.0.0"));
    assert_int_equal(count(&a, 0, "a=candidate:"), 0);
    assert_true(has(&a, 0, "a=end-of-candidates"));
    free(a.text);
    sdp_offer_free(&o);
}

/* Sections rejected in the offer, or outside the data section's BUNDLE
 * group, are answered with port 0 and left out of the group. */
static void test_answer_rejections(void **state)
{
    (void)state;
    char *v1 = load(FIX "offer_chromium_v1.sdp", NULL);
    struct sdp_offer o;
    struct sdp_answer_params p = params(cands(), 2);
    struct ans a;

    /* mid 0 rejected: mid 1 becomes the tag */
    char *s = replace_nth(v1, "m=audio 9 ", "m=audio 0 ", 0);
    assert_int_equal(parse_str(s, &o, NULL), 0);
    assert_true(o.sections[0].rejected);
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_true(has(&a, -1, "a=group:BUNDLE 1 2 3 4 5 6"));
    assert_string_equal(a.lines[a.m[0]], "m=audio 0 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126");
    assert_true(has(&a, 0, "a=mid:0"));
    assert_int_equal(count(&a, 0, "a=ice-ufrag:"), 0);
    expect_candidates(&a, 1, "m=audio 7882 ");
    free(a.text);
    sdp_offer_free(&o);
    free(s);

    /* video sections outside the group */
    s = replace_nth(v1, "a=group:BUNDLE 0 1 2 3 4 5 6", "a=group:BUNDLE 0 1 2 6", 0);
    assert_int_equal(parse_str(s, &o, NULL), 0);
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_true(has(&a, -1, "a=group:BUNDLE 0 1 2 6"));
    for (int i = 3; i < 6; i++)
        assert_true(!strncmp(a.lines[a.m[i]], "m=video 0 ", 10));
    expect_candidates(&a, 0, "m=audio 7882 ");
    free(a.text);
    sdp_offer_free(&o);
    free(s);

    /* no BUNDLE at all: only the data section is accepted and carries the address */
    s = drop_lines(v1, "a=group:BUNDLE");
    assert_int_equal(parse_str(s, &o, NULL), 0);
    assert_int_equal(o.n_bundle, 0);
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_int_equal(count(&a, -1, "a=group:"), 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(count(&a, i, "a=setup:"), 0);
    expect_candidates(&a, 6, "m=application 7882 ");
    free(a.text);
    sdp_offer_free(&o);
    free(s);
    free(v1);
}

static void test_answer_bad_params(void **state)
{
    (void)state;
    struct sdp_offer o;
    parse_fixture(FIX "offer_chromium_v0.sdp", &o);
    struct sdp_answer_params p = params(cands(), 2);
    assert_null(sdp_build_answer(NULL, &p));
    assert_null(sdp_build_answer(&o, NULL));
    p.ice_ufrag = "abc";
    assert_null(sdp_build_answer(&o, &p));
    p = params(cands(), 2);
    p.ice_ufrag = "ab cd";
    assert_null(sdp_build_answer(&o, &p));
    p = params(cands(), 2);
    p.ice_pwd = "short";
    assert_null(sdp_build_answer(&o, &p));
    p = params(cands(), 2);
    p.fingerprint = "AB:CD";
    assert_null(sdp_build_answer(&o, &p));
    p = params(cands(), 2);
    p.fingerprint = NULL;
    assert_null(sdp_build_answer(&o, &p));
    struct sdp_candidate bad[] = {{"localhost", 1}};
    p = params(bad, 1);
    assert_null(sdp_build_answer(&o, &p));
    struct sdp_candidate inj[] = {{"1.2.3.4\r\na=x", 1}};
    p = params(inj, 1);
    assert_null(sdp_build_answer(&o, &p));
    p = params(NULL, 1);
    assert_null(sdp_build_answer(&o, &p));
    struct sdp_offer empty = {0};
    p = params(cands(), 2);
    assert_null(sdp_build_answer(&empty, &p));
    sdp_offer_free(&o);
}

/* ------------------------------------------------------------ synthetic offers */

static void test_session_level_and_fallbacks(void **state)
{
    (void)state;
    struct sdp_offer o;
    /* Firefox-style session-level transport */
    assert_int_equal(parse_str(HEAD "a=ice-lite\r\n" FP256 ICE "a=setup:passive\r\n" DATA "a=mid:d\r\n", &o, NULL), 0);
    assert_string_equal(o.ice_ufrag, "abcd");
    assert_string_equal(o.setup, "passive");
    assert_true(o.ice_lite);
    assert_true(o.fingerprint_supported);
    assert_int_equal(o.fingerprint[10], 0xAA);
    assert_int_equal(o.sections[0].max_message_size, 65536); /* RFC 8841 default */
    assert_int_equal(o.n_bundle, 0);
    sdp_offer_free(&o);

    /* section-level values win over session-level ones */
    assert_int_equal(parse_str(HEAD "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsession\r\n" DATA
                               "a=mid:0\r\n" ICE FP256 "a=sctp-port:5001\r\na=max-message-size:0\r\n", &o, NULL), 0);
    assert_string_equal(o.ice_ufrag, "abcd");
    assert_null(o.setup);
    assert_int_equal(o.sections[0].sctp_port, 5001);
    assert_int_equal(o.sections[0].max_message_size, 0);
    sdp_offer_free(&o);

    /* RFC 8843: transport only in the BUNDLE tag section */
    assert_int_equal(parse_str(HEAD "a=group:BUNDLE a d\r\n"
                               "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\n" ICE FP256 "a=setup:actpass\r\n"
                               "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=bundle-only\r\na=mid:d\r\n", &o, NULL), 0);
    assert_int_equal(o.data_index, 1);
    assert_true(o.sections[1].bundle_only);
    assert_false(o.sections[1].rejected);
    assert_string_equal(o.ice_pwd, "0123456789012345678901");
    assert_string_equal(o.setup, "actpass");
    assert_int_equal(o.sections[0].first_pt, 0);
    assert_null(o.sections[0].rtpmap);
    sdp_offer_free(&o);

    /* fmtp/rtpmap formats outside RTP sections need not be payload types */
    assert_int_equal(parse_str(HEAD ICE FP256 DATA "a=mid:0\r\na=fmtp:webrtc-datachannel max-message-size=65536\r\n"
                               "a=rtpmap:x\r\na=fmtp:5000\r\n", &o, NULL), 0);
    assert_null(o.sections[0].fmtp);
    sdp_offer_free(&o);

    /* a rejected data section is skipped for a later one; other kinds */
    assert_int_equal(parse_str(HEAD ICE FP256 "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"
                               "m=text 9 RTP/AVP 98\r\na=mid:1\r\nm=application 9 TCP/DTLS/SCTP webrtc-datachannel\r\n"
                               "a=mid:2\r\n", &o, NULL), 0);
    assert_int_equal(o.data_index, 2);
    assert_true(o.sections[0].rejected);
    assert_int_equal(o.sections[1].kind, SDP_OTHER);
    assert_int_equal(o.sections[1].first_pt, 98);
    struct sdp_answer_params p = params(cands(), 1);
    struct ans a;
    ans_split(&a, sdp_build_answer(&o, &p));
    assert_string_equal(a.lines[a.m[0]], "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
    assert_string_equal(a.lines[a.m[1]], "m=text 0 RTP/AVP 98");
    assert_string_equal(a.lines[a.m[2]], "m=application 7882 TCP/DTLS/SCTP webrtc-datachannel");
    free(a.text);
    sdp_offer_free(&o);
}

static void test_fingerprint_algorithms(void **state)
{
    (void)state;
    struct sdp_offer o;
    const char *sha1 = "a=fingerprint:SHA-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\n";
    char buf[1024];
    snprintf(buf, sizeof buf, HEAD ICE "%s" DATA "a=mid:0\r\n", sha1);
    assert_int_equal(parse_str(buf, &o, NULL), 0);
    assert_string_equal(o.fingerprint_alg, "sha-1");
    assert_int_equal(o.fingerprint_len, 20);
    assert_false(o.fingerprint_supported);
    sdp_offer_free(&o);
    snprintf(buf, sizeof buf, HEAD ICE "%s" FP256 DATA "a=mid:0\r\n", sha1); /* sha-256 preferred */
    assert_int_equal(parse_str(buf, &o, NULL), 0);
    assert_string_equal(o.fingerprint_alg, "sha-256");
    assert_true(o.fingerprint_supported);
    assert_int_equal(o.fingerprint_len, 32);
    sdp_offer_free(&o);
    /* a hash unknown here: any length is kept, marked unsupported */
    assert_int_equal(parse_str(HEAD ICE "a=fingerprint:sha3-256 0a:1B\r\n" DATA "a=mid:0\r\n", &o, NULL), 0);
    assert_string_equal(o.fingerprint_alg, "sha3-256");
    assert_int_equal(o.fingerprint_len, 2);
    assert_int_equal(o.fingerprint[1], 0x1b);
    assert_false(o.fingerprint_supported);
    sdp_offer_free(&o);
    expect_bad(HEAD ICE "a=fingerprint:sha-256 00:11:22\r\n" DATA "a=mid:0\r\n", "length");
    expect_bad(HEAD ICE "a=fingerprint:sha-256 0G:11\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-256 00-11\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-256 001\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-256\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-256 00: 11\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:averyveryverylonghashname 00\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-2048 00:11:\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-2048 00:11:2\r\n" DATA "a=mid:0\r\n", "fingerprint");
    expect_bad(HEAD ICE "a=fingerprint:sha-2048 :00:11\r\n" DATA "a=mid:0\r\n", "fingerprint");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chromium_v1),
        cmocka_unit_test(test_chromium_v0),
        cmocka_unit_test(test_rtcnode_v1),
        cmocka_unit_test(test_rtcnode_v0),
        cmocka_unit_test(test_renegotiation_and_restart),
        cmocka_unit_test(test_lf_line_endings),
        cmocka_unit_test(test_answer_v1),
        cmocka_unit_test(test_answer_v0),
        cmocka_unit_test(test_answer_ipv6_and_no_candidates),
        cmocka_unit_test(test_answer_rejections),
        cmocka_unit_test(test_answer_bad_params),
        cmocka_unit_test(test_session_level_and_fallbacks),
        cmocka_unit_test(test_fingerprint_algorithms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
