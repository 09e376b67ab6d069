/* stun.c: fuzz target for transport/stun and the ICE-lite agent.
 *
 * Input: one datagram.  It is parsed, its integrity checked with the agent's
 * password, and handed to an ICE-lite agent with fixed credentials twice
 * (from two addresses, so that nomination and moves are reached), then the
 * agent answers it after an ICE restart (previous credentials path). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "transport/ice_lite.h"
#include "transport/stun.h"

#define UFRAG "fuzzufrag0000000"
#define PWD "fuzzpassword00000000000000000000"

static void addr(struct sockaddr_in *a, const char *ip, uint16_t port)
{
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reset();
    struct stun_msg m;
    (void)stun_is_stun(data, size);
    if (stun_parse(data, size, &m) == 0) {
        char u[64];
        (void)stun_check_integrity(data, size, &m, (const uint8_t *)PWD, strlen(PWD));
        (void)stun_username_local_ufrag(&m, u, sizeof u);
        uint8_t out[1500];
        (void)stun_build_error(out, sizeof out, m.tid, m.method, STUN_ERR_UNKNOWN_ATTRIBUTE,
                               m.unknown, m.n_unknown, (const uint8_t *)PWD, strlen(PWD));
    }

    struct ice_lite a;
    ice_lite_init(&a);
    memcpy(a.cur.ufrag, UFRAG, sizeof a.cur.ufrag);
    memcpy(a.cur.pwd, PWD, sizeof a.cur.pwd);
    if (ice_lite_set_remote(&a, "remoteufrag", "remotepassword0000000000") != 0)
        __builtin_trap();
    struct sockaddr_in x, y;
    addr(&x, "192.0.2.1", 50000);
    addr(&y, "198.51.100.7", 40000);
    uint8_t resp[1500];
    enum ice_event ev;
    uint64_t now = 1000;
    int n = ice_lite_on_stun(&a, now, data, size, (struct sockaddr *)&x, resp, sizeof resp, &ev);
    if (n > 0) {
        /* What we answer must itself be a well-formed STUN message. */
        struct stun_msg r;
        if (stun_parse(resp, (size_t)n, &r) != 0 || !r.has_fingerprint)
            __builtin_trap();
    }
    (void)ice_lite_on_stun(&a, now + 10, data, size, (struct sockaddr *)&y, resp, sizeof resp,
                           &ev);
    (void)ice_lite_consent_expired(&a, now + 40000, ICE_CONSENT_TIMEOUT_MS);
    ice_lite_restart(&a);
    (void)ice_lite_on_stun(&a, now + 20, data, size, (struct sockaddr *)&x, resp, sizeof resp,
                           &ev);
    return 0;
}
