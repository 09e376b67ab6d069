/* Unit tests for transport/ice_lite: checks, nomination, consent, restart. */
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
#include "transport/ice_lite.h"
#include "transport/stun.h"

#define REMOTE_UFRAG "cLiE"
#define REMOTE_PWD "clientpasswordclientpass"

#define SA(x) ((const struct sockaddr *)&(x))

/* A check as the controlling browser sends it to the agent's credentials. */
struct check {
    const char *ufrag;  /* local ufrag of the agent (NULL: current) */
    const char *remote; /* after the colon (NULL: REMOTE_UFRAG) */
    const char *pwd;    /* key (NULL: agent's current pwd; "" : no integrity) */
    enum stun_role role;
    bool use_candidate;
};

static uint8_t tid_counter;

static size_t make_check(const struct ice_lite *a, const struct check *c, uint8_t *out,
                         size_t cap, uint8_t tid[12])
{
    char user[600];
    snprintf(user, sizeof user, "%s:%s", c->ufrag ? c->ufrag : a->cur.ufrag,
             c->remote ? c->remote : REMOTE_UFRAG);
    memset(tid, 0x42, 12);
    tid[11] = ++tid_counter;
    struct stun_binding_opts o = {
        .username = user,
        .priority = 0x6e7f1eff,
        .role = c->role,
        .tiebreaker = 0x1122334455667788ull,
        .use_candidate = c->use_candidate,
    };
    const char *pwd = c->pwd ? c->pwd : a->cur.pwd;
    size_t n = stun_build_binding_request(out, cap, tid, &o, *pwd ? (const uint8_t *)pwd : NULL,
                                          strlen(pwd));
    assert_true(n > 0);
    return n;
}

/* Sends a check; returns the response length; *ev gets the event. */
static int send_check(struct ice_lite *a, uint64_t now, const struct check *c,
                      const struct sockaddr *from, struct stun_msg *resp_msg, enum ice_event *ev)
{
    uint8_t req[1024], tid[12], resp[512];
    size_t n = make_check(a, c, req, sizeof req, tid);
    int r = ice_lite_on_stun(a, now, req, n, from, resp, sizeof resp, ev);
    assert_true(r >= 0);
    if (r > 0) {
        struct stun_msg m;
        assert_int_equal(stun_parse(resp, (size_t)r, &m), 0);
        assert_memory_equal(m.tid, tid, 12);
        assert_true(m.has_fingerprint);
        const char *key = c->pwd && *c->pwd ? c->pwd : a->cur.pwd;
        assert_true(stun_check_integrity(resp, (size_t)r, &m, (const uint8_t *)key, strlen(key)));
        if (resp_msg)
            *resp_msg = m;
    }
    return r;
}

static struct ice_lite *agent(void)
{
    struct ice_lite *a = malloc(sizeof *a);
    ice_lite_init(a);
    assert_int_equal(ice_lite_set_remote(a, REMOTE_UFRAG, REMOTE_PWD), 0);
    return a;
}

static bool ice_chars(const char *s)
{
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *s))
            return false;
    return true;
}

/* ---- credentials ---------------------------------------------------------- */

static void test_init_credentials(void **state)
{
    (void)state;
    struct ice_lite a, b;
    ice_lite_init(&a);
    ice_lite_init(&b);
    assert_int_equal(strlen(a.cur.ufrag), ICE_UFRAG_LEN);
    assert_int_equal(strlen(a.cur.pwd), ICE_PWD_LEN);
    assert_true(ICE_UFRAG_LEN >= 4 && ICE_PWD_LEN >= 22);
    assert_true(ice_chars(a.cur.ufrag) && ice_chars(a.cur.pwd));
    assert_string_not_equal(a.cur.ufrag, b.cur.ufrag);
    assert_string_not_equal(a.cur.pwd, b.cur.pwd);
    assert_string_equal(a.cur.remote_ufrag, "");
    assert_false(a.selected);
    assert_false(ice_lite_consent_expired(&a, 1000000, 30000));
}

static void test_set_remote(void **state)
{
    (void)state;
    struct ice_lite a;
    ice_lite_init(&a);
    assert_int_equal(ice_lite_set_remote(&a, "abc+/9", "p"), 0);
    assert_string_equal(a.cur.remote_ufrag, "abc+/9");
    assert_string_equal(a.cur.remote_pwd, "p");
    assert_int_equal(ice_lite_set_remote(&a, "x", NULL), 0);
    assert_string_equal(a.cur.remote_pwd, "");
    assert_int_equal(ice_lite_set_remote(&a, "", "p"), DC_EINVAL);
    assert_int_equal(ice_lite_set_remote(&a, NULL, "p"), DC_EINVAL);
    assert_int_equal(ice_lite_set_remote(&a, "a:b", "p"), DC_EINVAL);
    assert_int_equal(ice_lite_set_remote(&a, "ab", "p w"), DC_EINVAL);
    char big[ICE_REMOTE_MAX + 2];
    memset(big, 'a', sizeof big);
    big[ICE_REMOTE_MAX + 1] = '\0';
    assert_int_equal(ice_lite_set_remote(&a, big, "p"), DC_EINVAL);
    assert_int_equal(ice_lite_set_remote(&a, "ab", big), DC_EINVAL);
    big[ICE_REMOTE_MAX] = '\0';
    assert_int_equal(ice_lite_set_remote(&a, big, big), 0);
    assert_string_equal(a.cur.remote_ufrag, big);
}

/* ---- answering ------------------------------------------------------------ */

static void test_valid_check_answered(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in from = v4("10.77.0.2", 50123);
    struct stun_msg m;
    enum ice_event ev = ICE_MOVED;
    struct check c = {.role = STUN_ROLE_CONTROLLING};
    assert_true(send_check(a, 1000, &c, SA(from), &m, &ev) > 0);
    assert_int_equal(ev, ICE_NONE);
    assert_int_equal(m.cls, STUN_CLASS_SUCCESS);
    assert_int_equal(m.method, STUN_METHOD_BINDING);
    assert_true(m.has_mapped);
    assert_true(ice_lite_addr_equal(SA(m.mapped), SA(from)));
    assert_false(a->selected); /* no USE-CANDIDATE yet */
    assert_int_equal(a->stats.requests_ok, 1);

    /* no role attribute (RFC 5245 style) is accepted; NULL ev is fine */
    c.role = STUN_ROLE_NONE;
    uint8_t req[512], tid[12], resp[512];
    size_t n = make_check(a, &c, req, sizeof req, tid);
    assert_true(ice_lite_on_stun(a, 1000, req, n, SA(from), resp, sizeof resp, NULL) > 0);

    /* IPv6 source */
    struct sockaddr_in6 f6 = v6("2001:db8::7", 4444);
    assert_true(send_check(a, 1000, &c, SA(f6), &m, NULL) > 0);
    assert_true(ice_lite_addr_equal(SA(m.mapped), SA(f6)));
    free(a);
}

static void test_remote_ufrag_unknown(void **state)
{
    (void)state;
    struct ice_lite a;
    ice_lite_init(&a); /* remote not set yet: any remote part goes */
    struct sockaddr_in from = v4("10.77.0.2", 50123);
    struct check c = {.remote = "whatever"};
    assert_true(send_check(&a, 1, &c, SA(from), NULL, NULL) > 0);
}

static void test_strangers_dropped(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in from = v4("10.77.0.2", 50123);
    enum ice_event ev;

    struct check wrong_local = {.ufrag = "nottheufrag", .pwd = a->cur.pwd, .use_candidate = true};
    assert_int_equal(send_check(a, 1, &wrong_local, SA(from), NULL, &ev), 0);
    struct check prefix = {.ufrag = "", .pwd = a->cur.pwd};
    assert_int_equal(send_check(a, 1, &prefix, SA(from), NULL, &ev), 0);
    struct check wrong_remote = {.remote = "other", .use_candidate = true};
    assert_int_equal(send_check(a, 1, &wrong_remote, SA(from), NULL, &ev), 0);
    struct check longer_remote = {.remote = REMOTE_UFRAG "x"};
    assert_int_equal(send_check(a, 1, &longer_remote, SA(from), NULL, &ev), 0);
    assert_int_equal(a->stats.dropped_username, 4);

    struct check bad_key = {.pwd = "wrongpasswordwrongpassword", .use_candidate = true};
    assert_int_equal(send_check(a, 1, &bad_key, SA(from), NULL, &ev), 0);
    struct check no_mi = {.pwd = "", .use_candidate = true};
    assert_int_equal(send_check(a, 1, &no_mi, SA(from), NULL, &ev), 0);
    assert_int_equal(a->stats.dropped_integrity, 2);

    /* bad FINGERPRINT, not STUN, garbage */
    uint8_t req[512], tid[12], resp[512];
    struct check ok = {.use_candidate = true};
    size_t n = make_check(a, &ok, req, sizeof req, tid);
    req[n - 1] ^= 1;
    assert_int_equal(ice_lite_on_stun(a, 1, req, n, SA(from), resp, sizeof resp, &ev), 0);
    req[n - 1] ^= 1;
    assert_int_equal(ice_lite_on_stun(a, 1, req, n - 1, SA(from), resp, sizeof resp, &ev), 0);
    assert_int_equal(ice_lite_on_stun(a, 1, NULL, 0, SA(from), resp, sizeof resp, &ev), 0);
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(ice_lite_on_stun(a, 1, req, n, &un, resp, sizeof resp, &ev), 0);
    assert_int_equal(ice_lite_on_stun(a, 1, req, n, NULL, resp, sizeof resp, &ev), 0);
    assert_int_equal(a->stats.dropped_malformed, 5);

    /* a Binding indication and a response are never answered */
    uint8_t ind[64];
    size_t in = stun_build_binding_success(ind, sizeof ind, tid, SA(from), NULL, 0);
    assert_int_equal(ice_lite_on_stun(a, 1, ind, in, SA(from), resp, sizeof resp, &ev), 0);
    struct stun_writer w;
    stun_writer_init(&w, ind, sizeof ind, stun_type(STUN_METHOD_BINDING, STUN_CLASS_INDICATION),
                     tid);
    stun_writer_fingerprint(&w);
    in = stun_writer_finish(&w);
    assert_int_equal(ice_lite_on_stun(a, 1, ind, in, SA(from), resp, sizeof resp, &ev), 0);
    assert_int_equal(a->stats.dropped_not_request, 2);

    assert_int_equal(ev, ICE_NONE);
    assert_false(a->selected);
    assert_int_equal(a->stats.requests_ok, 0);
    free(a);
}

static void test_role_conflict(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in from = v4("10.77.0.2", 50123);
    struct stun_msg m;
    enum ice_event ev;
    struct check c = {.role = STUN_ROLE_CONTROLLED, .use_candidate = true};
    assert_true(send_check(a, 5, &c, SA(from), &m, &ev) > 0);
    assert_int_equal(m.cls, STUN_CLASS_ERROR);
    assert_int_equal(m.error_code, STUN_ERR_ROLE_CONFLICT);
    assert_int_equal(ev, ICE_NONE);
    assert_false(a->selected);
    assert_int_equal(a->stats.role_conflicts, 1);
    assert_int_equal(a->stats.requests_ok, 0);
    free(a);
}

/* The RFC 5769 sample request carries ICE-CONTROLLED: a lite agent holding
 * its credentials answers it with 487. */
static void test_role_conflict_rfc5769(void **state)
{
    (void)state;
    static const char *hex =
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a6836765920202000080014"
        "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf";
    uint8_t req[108], resp[256];
    for (size_t i = 0; i < sizeof req; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        req[i] = (uint8_t)v;
    }
    struct ice_lite a;
    ice_lite_init(&a);
    strcpy(a.cur.ufrag, "evtj");
    strcpy(a.cur.pwd, "VOkJxbRl1RmTxUk/WvJxBt");
    assert_int_equal(ice_lite_set_remote(&a, "h6vY", NULL), 0);
    struct sockaddr_in from = v4("192.0.2.1", 32853);
    int r = ice_lite_on_stun(&a, 0, req, sizeof req, SA(from), resp, sizeof resp, NULL);
    assert_true(r > 0);
    struct stun_msg m;
    assert_int_equal(stun_parse(resp, (size_t)r, &m), 0);
    assert_int_equal(m.error_code, 487);
    assert_memory_equal(m.tid, req + 8, 12);
    assert_true(stun_check_integrity(resp, (size_t)r, &m, (const uint8_t *)a.cur.pwd,
                                     strlen(a.cur.pwd)));
}

static void test_unknown_attribute_420(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in from = v4("10.77.0.2", 50123);
    char user[64];
    snprintf(user, sizeof user, "%s:%s", a->cur.ufrag, REMOTE_UFRAG);
    uint8_t req[256], tid[12] = {1}, resp[256];
    struct stun_writer w;
    stun_writer_init(&w, req, sizeof req, stun_type(STUN_METHOD_BINDING, STUN_CLASS_REQUEST), tid);
    stun_writer_attr(&w, STUN_ATTR_USERNAME, user, strlen(user));
    stun_writer_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    stun_writer_attr(&w, 0x0031, "zz", 2);
    stun_writer_integrity(&w, (const uint8_t *)a->cur.pwd, strlen(a->cur.pwd));
    size_t n = stun_writer_finish(&w);
    enum ice_event ev;
    int r = ice_lite_on_stun(a, 1, req, n, SA(from), resp, sizeof resp, &ev);
    assert_true(r > 0);
    struct stun_msg m;
    assert_int_equal(stun_parse(resp, (size_t)r, &m), 0);
    assert_int_equal(m.error_code, 420);
    const uint8_t ua[] = {0x00, 0x0A, 0x00, 0x02, 0x00, 0x31};
    assert_non_null(memmem(resp, (size_t)r, ua, sizeof ua));
    assert_int_equal(ev, ICE_NONE);
    assert_false(a->selected);
    assert_int_equal(a->stats.unknown_attrs, 1);
    free(a);
}

/* ---- nomination and consent ------------------------------------------------ */

static void test_use_candidate_selects(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    struct sockaddr_in p2 = v4("10.77.0.2", 50124); /* same host, other port */
    struct sockaddr_in6 p3 = v6("2001:db8::2", 50123);
    enum ice_event ev;
    struct check chk = {.role = STUN_ROLE_CONTROLLING};
    struct check nom = {.role = STUN_ROLE_CONTROLLING, .use_candidate = true};

    assert_true(send_check(a, 100, &chk, SA(p1), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_NONE);
    assert_true(send_check(a, 110, &nom, SA(p1), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_SELECTED);
    assert_true(a->selected);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p1)));
    assert_int_equal(a->last_consent_ms, 110);

    /* nominated again from the same address: nothing new */
    assert_true(send_check(a, 120, &nom, SA(p1), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_NONE);

    /* a plain check from elsewhere does not move the session nor refresh it */
    assert_true(send_check(a, 130, &chk, SA(p2), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_NONE);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p1)));
    assert_int_equal(a->last_consent_ms, 120);

    /* network change: nomination from another port, then another family */
    assert_true(send_check(a, 140, &nom, SA(p2), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_MOVED);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p2)));
    assert_int_equal(a->last_consent_ms, 140);
    assert_true(send_check(a, 150, &nom, SA(p3), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_MOVED);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p3)));
    assert_int_equal(a->stats.selections, 1);
    assert_int_equal(a->stats.moves, 2);
    free(a);
}

static void test_addr_equal(void **state)
{
    (void)state;
    struct sockaddr_in a = v4("1.2.3.4", 5), b = v4("1.2.3.4", 5), c = v4("1.2.3.4", 6),
                       d = v4("1.2.3.5", 5);
    struct sockaddr_in6 e = v6("::1", 5), f = v6("::1", 5), g = v6("::2", 5);
    b.sin_zero[0] = 9; /* padding is not compared */
    assert_true(ice_lite_addr_equal(SA(a), SA(b)));
    assert_false(ice_lite_addr_equal(SA(a), SA(c)));
    assert_false(ice_lite_addr_equal(SA(a), SA(d)));
    assert_true(ice_lite_addr_equal(SA(e), SA(f)));
    assert_false(ice_lite_addr_equal(SA(e), SA(g)));
    assert_false(ice_lite_addr_equal(SA(a), SA(e)));
    assert_false(ice_lite_addr_equal(SA(a), NULL));
}

static void test_consent(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    struct sockaddr_in p2 = v4("10.77.0.3", 50123);
    struct check chk = {0};
    struct check nom = {.use_candidate = true};
    const uint64_t T = ICE_CONSENT_TIMEOUT_MS;

    assert_false(ice_lite_consent_expired(a, 1000 + 2 * T, T)); /* nothing selected */
    assert_true(send_check(a, 1000, &nom, SA(p1), NULL, NULL) > 0);
    assert_false(ice_lite_consent_expired(a, 1000 + T, T));
    assert_true(ice_lite_consent_expired(a, 1000 + T + 1, T));
    assert_false(ice_lite_consent_expired(a, 500, T)); /* clock before the check */

    /* keepalive checks from the selected address refresh consent */
    assert_true(send_check(a, 20000, &chk, SA(p1), NULL, NULL) > 0);
    assert_false(ice_lite_consent_expired(a, 20000 + T, T));
    /* checks from another address do not */
    assert_true(send_check(a, 45000, &chk, SA(p2), NULL, NULL) > 0);
    assert_true(ice_lite_consent_expired(a, 20000 + T + 1, T));
    /* a dropped (unauthenticated) request from the selected address neither */
    struct check bad = {.pwd = "wrongpasswordwrongpassword"};
    assert_int_equal(send_check(a, 49000, &bad, SA(p1), NULL, NULL), 0);
    assert_true(ice_lite_consent_expired(a, 50001, T));
    /* consent comes back with the next valid check */
    assert_true(send_check(a, 50002, &chk, SA(p1), NULL, NULL) > 0);
    assert_false(ice_lite_consent_expired(a, 50003, T));
    free(a);
}

static void test_small_response_buffer(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    uint8_t req[512], tid[12], resp[40];
    struct check nom = {.use_candidate = true};
    size_t n = make_check(a, &nom, req, sizeof req, tid);
    enum ice_event ev;
    assert_int_equal(ice_lite_on_stun(a, 7, req, n, SA(p1), resp, sizeof resp, &ev), 0);
    assert_int_equal(ev, ICE_SELECTED); /* the nomination itself was valid */
    assert_int_equal(a->stats.dropped_no_room, 1);
    assert_int_equal(a->stats.requests_ok, 0);
    free(a);
}

/* ---- ICE restart ------------------------------------------------------------ */

static void test_restart(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    struct sockaddr_in p2 = v4("10.77.0.9", 40000);
    enum ice_event ev;
    struct check nom = {.use_candidate = true};
    assert_true(send_check(a, 100, &nom, SA(p1), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_SELECTED);

    char old_ufrag[ICE_UFRAG_LEN + 1], old_pwd[ICE_PWD_LEN + 1];
    strcpy(old_ufrag, a->cur.ufrag);
    strcpy(old_pwd, a->cur.pwd);
    ice_lite_restart(a);
    assert_string_not_equal(a->cur.ufrag, old_ufrag);
    assert_string_not_equal(a->cur.pwd, old_pwd);
    assert_int_equal(strlen(a->cur.ufrag), ICE_UFRAG_LEN);
    assert_true(a->selected);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p1)));
    ice_lite_restart(a); /* a second restart before completion keeps the old pair's creds */
    assert_int_equal(ice_lite_set_remote(a, "newR", "newremotepasswordnewremote"), 0);

    /* consent checks on the old pair keep using the old credentials */
    struct check old = {.ufrag = old_ufrag, .pwd = old_pwd};
    assert_true(send_check(a, 200, &old, SA(p1), NULL, &ev) > 0);
    assert_int_equal(a->last_consent_ms, 200);

    /* checks on the new credentials (remote part must be the new one) */
    struct check fresh = {.remote = "newR"};
    assert_int_equal(send_check(a, 300, &(struct check){0}, SA(p2), NULL, &ev), 0);
    assert_true(send_check(a, 300, &fresh, SA(p2), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_NONE);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p1)));
    assert_true(send_check(a, 310, &old, SA(p1), NULL, &ev) > 0); /* still accepted */

    /* nomination on the new credentials completes the restart */
    struct check fresh_nom = {.remote = "newR", .use_candidate = true};
    assert_true(send_check(a, 400, &fresh_nom, SA(p2), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_MOVED);
    assert_true(ice_lite_addr_equal(SA(a->selected_addr), SA(p2)));
    assert_int_equal(a->last_consent_ms, 400);
    assert_false(a->prev_valid);
    assert_int_equal(send_check(a, 410, &old, SA(p1), NULL, &ev), 0);
    assert_int_equal(a->stats.dropped_username, 2);
    free(a);
}

static void test_restart_same_address(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    enum ice_event ev;
    struct check nom = {.use_candidate = true};
    assert_true(send_check(a, 100, &nom, SA(p1), NULL, &ev) > 0);
    ice_lite_restart(a);
    assert_int_equal(ice_lite_set_remote(a, REMOTE_UFRAG, REMOTE_PWD), 0);
    assert_true(send_check(a, 200, &nom, SA(p1), NULL, &ev) > 0);
    assert_int_equal(ev, ICE_NONE); /* same path: no event */
    assert_false(a->prev_valid);
    assert_int_equal(a->last_consent_ms, 200);
    free(a);
}

/* ---- hostile input ------------------------------------------------------------ */

static uint32_t rnd_state = 0x12345678u;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static void test_mutated_checks(void **state)
{
    (void)state;
    struct ice_lite *a = agent();
    struct sockaddr_in p1 = v4("10.77.0.2", 50123);
    uint8_t req[512], tid[12], resp[512];
    struct check nom = {.use_candidate = true, .role = STUN_ROLE_CONTROLLING};
    size_t n0 = make_check(a, &nom, req, sizeof req, tid);
    uint64_t answered = 0;
    for (int it = 0; it < 30000; it++) {
        uint8_t *b = malloc(n0);
        memcpy(b, req, n0);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++)
            b[rnd() % n0] = (uint8_t)rnd();
        size_t n = rnd() % 4 == 0 ? rnd() % (n0 + 1) : n0;
        enum ice_event ev;
        int r = ice_lite_on_stun(a, (uint64_t)it, b, n, SA(p1), resp, sizeof resp, &ev);
        assert_true(r >= 0);
        if (r > 0)
            answered++;
        free(b);
    }
    /* every answer went to an authenticated request */
    assert_int_equal(answered, a->stats.requests_ok + a->stats.role_conflicts +
                                   a->stats.unknown_attrs);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_credentials),
        cmocka_unit_test(test_set_remote),
        cmocka_unit_test(test_valid_check_answered),
        cmocka_unit_test(test_remote_ufrag_unknown),
        cmocka_unit_test(test_strangers_dropped),
        cmocka_unit_test(test_role_conflict),
        cmocka_unit_test(test_role_conflict_rfc5769),
        cmocka_unit_test(test_unknown_attribute_420),
        cmocka_unit_test(test_use_candidate_selects),
        cmocka_unit_test(test_addr_equal),
        cmocka_unit_test(test_consent),
        cmocka_unit_test(test_small_response_buffer),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_restart_same_address),
        cmocka_unit_test(test_mutated_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
