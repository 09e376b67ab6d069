/* sdp_fixtures.h: helpers shared by test_sdp.c and test_sdp_bad.c: the
 * captured offers in tests/unit/fixtures/ (read from the repository root,
 * where the tests run), answer parameters, and building blocks for synthetic
 * offers. */
#ifndef DC_TEST_SDP_FIXTURES_H
#define DC_TEST_SDP_FIXTURES_H

#define FIX "tests/unit/fixtures/"

#define OUR_FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
               "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

#define HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define FP256 "a=fingerprint:sha-256 " \
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
#define ICE "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n"
#define DATA "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"

static inline char *load(const char *name, size_t *len)
{
    FILE *f = fopen(name, "rb");
    assert_non_null(f);
    char *buf = malloc(SDP_MAX_INPUT + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, SDP_MAX_INPUT, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline int parse_str(const char *s, struct sdp_offer *o, const char **why)
{
    return sdp_parse_offer(s, strlen(s), o, why);
}

static inline void expect_bad(const char *s, const char *why_part)
{
    struct sdp_offer o;
    const char *why = NULL;
    assert_int_equal(parse_str(s, &o, &why), DC_EPROTO);
    assert_non_null(why);
    if (why_part && !strstr(why, why_part))
        fail_msg("why=\"%s\", expected \"%s\"", why, why_part);
    sdp_offer_free(&o);
}

/* Two host candidates, IPv4 first. */
static inline const struct sdp_candidate *cands(void)
{
    static const struct sdp_candidate c[] = {{"10.77.0.1", 7882}, {"fd00::1", 7882}};
    return c;
}

static inline struct sdp_answer_params params(const struct sdp_candidate *c, size_t n)
{
    return (struct sdp_answer_params){.ice_ufrag = "srvU",
                                      .ice_pwd = "serverpasswordserverpw",
                                      .fingerprint = OUR_FP,
                                      .candidates = c,
                                      .n_candidates = n,
                                      .max_message_size = 262144,
                                      .session_id = 77,
                                      .session_version = 2};
}

#endif
