/* Unit tests of the per-address connection rate limiter (common/ratelimit.h)
 * and of the cap refusal counters (server/limits.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/ratelimit.h"
#include "server/limits.h"
#include "tests/unit/test_helpers.h"

#define SA(x) ((const struct sockaddr *)&(x))

/* Takes n tokens for sa at `now`; returns how many were allowed. */
static int take(struct ratelimit *rl, const struct sockaddr *sa, int n, uint64_t now)
{
    int ok = 0;
    for (int i = 0; i < n; i++)
        ok += ratelimit_allow(rl, sa, now);
    return ok;
}

static void test_burst_and_refill(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(5, 16);
    struct sockaddr_in a = v4("192.0.2.1", 1000), a2 = v4("192.0.2.1", 2000);
    uint64_t t = 1000000;
    /* a burst of `rate`, then refused; the port does not matter */
    assert_int_equal(take(rl, SA(a), 4, t), 4);
    assert_true(ratelimit_allow(rl, SA(a2), t));
    assert_false(ratelimit_allow(rl, SA(a), t));
    assert_false(ratelimit_allow(rl, SA(a), t + 199));
    /* one token every 1000/rate ms */
    assert_true(ratelimit_allow(rl, SA(a), t + 200));
    assert_false(ratelimit_allow(rl, SA(a), t + 200));
    assert_int_equal(take(rl, SA(a), 3, t + 800), 3);
    assert_false(ratelimit_allow(rl, SA(a), t + 800));
    /* after a quiet second the whole burst again, never more */
    assert_int_equal(take(rl, SA(a), 10, t + 5000), 5);
    /* a steady client at exactly the rate is never refused */
    uint64_t u = t + 10000;
    for (int i = 0; i < 50; i++, u += 200)
        assert_true(ratelimit_allow(rl, SA(a), u));
    assert_int_equal(ratelimit_size(rl), 1);
    /* a clock that goes back hands out no new tokens, only the 4 left */
    assert_int_equal(take(rl, SA(a), 10, u - 5000), 4);
    ratelimit_free(rl);
}

static void test_addresses(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(2, 16);
    struct sockaddr_in a = v4("192.0.2.1", 1), b = v4("192.0.2.2", 1);
    struct sockaddr_in6 m = v6("::ffff:192.0.2.1", 1);
    struct sockaddr_in6 x1 = v6("2001:db8:1:2::1", 1), x2 = v6("2001:db8:1:2:ffff::9", 1);
    struct sockaddr_in6 y = v6("2001:db8:1:3::1", 1);
    uint64_t t = 5000;
    /* different IPv4 addresses are independent; a mapped one is the same */
    assert_int_equal(take(rl, SA(a), 1, t), 1);
    assert_int_equal(take(rl, SA(m), 3, t), 1);
    assert_int_equal(take(rl, SA(b), 3, t), 2);
    /* IPv6: one bucket per /64 */
    assert_int_equal(take(rl, SA(x1), 1, t), 1);
    assert_int_equal(take(rl, SA(x2), 3, t), 1);
    assert_int_equal(take(rl, SA(y), 3, t), 2);
    assert_int_equal(ratelimit_size(rl), 4);
    /* other families, and no limiter at all, always pass */
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(take(rl, &un, 10, t), 10);
    assert_null(ratelimit_new(0, 16));
    assert_int_equal(take(NULL, SA(a), 10, t), 10);
    assert_int_equal(ratelimit_size(NULL), 0);
    ratelimit_free(NULL);
    ratelimit_free(rl);
}

static void test_bounded_table(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_new(3, 4);
    struct sockaddr_in addrs[8];
    char ip[32];
    for (int i = 0; i < 8; i++) {
        snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
        addrs[i] = v4(ip, 9);
    }
    uint64_t t = 100000;
    /* address 0 floods; 1..3 connect once */
    assert_int_equal(take(rl, SA(addrs[0]), 10, t), 3);
    for (int i = 1; i < 4; i++)
        assert_true(ratelimit_allow(rl, SA(addrs[i]), t));
    assert_int_equal(ratelimit_size(rl), 4);
    /* table full, every entry still refilling: newcomers pass untracked */
    for (int i = 4; i < 8; i++)
        assert_int_equal(take(rl, SA(addrs[i]), 5, t + 50), 5);
    assert_int_equal(ratelimit_size(rl), 4);
    assert_int_equal(ratelimit_untracked(rl), 20);
    /* the flooding address stays tracked and refused */
    assert_false(ratelimit_allow(rl, SA(addrs[0]), t + 60));
    /* once 1..3 are full again they make room (the flooder keeps its entry) */
    assert_int_equal(take(rl, SA(addrs[0]), 10, t + 900), 2);
    assert_int_equal(take(rl, SA(addrs[4]), 5, t + 1000), 3);
    assert_int_equal(ratelimit_size(rl), 2);
    assert_int_equal(ratelimit_untracked(rl), 20);
    /* many addresses over time never grow the table past its bound */
    char ip6[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(ip6, sizeof ip6, "2001:db8:%x:%x::1", i >> 8, i & 0xff);
        struct sockaddr_in6 s = v6(ip6, 1);
        ratelimit_allow(rl, SA(s), t + 2000 + (uint64_t)i * 300);
        assert_true(ratelimit_size(rl) <= 4);
    }
    ratelimit_free(rl);
}

static void test_limits_counted_and_logged_sparingly(void **state)
{
    (void)state;
    struct limits l;
    memset(&l, 0, sizeof l);
    log_configure(LOG_LVL_INFO, false);
    capture_begin();
    limits_hit(&l, LIMIT_ROOMS, 7, 1000);
    limits_hit(&l, LIMIT_ROOMS, 7, 2000);
    limits_hit(&l, LIMIT_ROOMS, 7, 1000 + LIMITS_LOG_INTERVAL_MS - 1);
    limits_hit(&l, LIMIT_HTTP_HEADER, 100, 3000);
    limits_hit(&l, LIMIT_ROOMS, 7, 1000 + LIMITS_LOG_INTERVAL_MS);
    limits_hit(&l, LIMIT_NONE, 1, 5000);
    limits_hit(&l, LIMIT_COUNT, 1, 5000);
    char *out = capture_end();
    assert_int_equal(l.hits[LIMIT_ROOMS], 4);
    assert_int_equal(l.hits[LIMIT_HTTP_HEADER], 1);
    assert_int_equal(l.hits[LIMIT_NONE], 0);
    /* three lines: the first of each cap, then one after the interval with the count */
    size_t lines = 0;
    for (const char *p = out; (p = strstr(p, "limit reached")); p++)
        lines++;
    assert_int_equal(lines, 3);
    assert_non_null(strstr(out, "limit=limit.max_rooms max=7 count=1"));
    assert_non_null(strstr(out, "limit=limit.max_http_header_size max=100 count=1"));
    assert_non_null(strstr(out, "limit=limit.max_rooms max=7 count=3"));
    free(out);
    /* every cap has its key and reads its configured value */
    struct config c;
    config_defaults(&c);
    for (int i = LIMIT_NONE + 1; i < LIMIT_COUNT; i++) {
        assert_non_null(limits_key((enum limit_id)i));
        if (i != LIMIT_ROOM_PARTICIPANTS)
            assert_true(limits_configured(&c, (enum limit_id)i) > 0);
    }
    assert_null(limits_key(LIMIT_NONE));
    assert_null(limits_key(LIMIT_COUNT));
    assert_string_equal(limits_key(LIMIT_PENDING_HANDSHAKES), "rtc.max_pending_handshakes");
    assert_int_equal(limits_configured(&c, LIMIT_CONNECTION_RATE), 100);
    assert_int_equal(limits_configured(&c, LIMIT_NONE), 0);
    config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_and_refill),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_bounded_table),
        cmocka_unit_test(test_limits_counted_and_logged_sparingly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
