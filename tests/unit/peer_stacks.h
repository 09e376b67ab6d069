/* peer_stacks.h: test-only runner for the cmocka binaries built on
 * peer_world.h (test_peer.c, test_peer_faults.c): one table of tests on
 * dcsfu's native SCTP stack, then on usrsctp, then usrsctp's shutdown.
 */
#ifndef DC_TEST_PEER_STACKS_H
#define DC_TEST_PEER_STACKS_H

#include "tests/unit/peer_world.h"

/* Last: every association is gone, so usrsctp finishes (freeing what it
 * holds, which the leak checkers then see). */
static void test_library_shutdown(void **state)
{
    (void)state;
    assert_int_equal(dep_usrsctp_refs(), 0);
    assert_int_equal(dep_usrsctp_shutdown(5000), 0);
}

/* Runs tests (each with t_teardown) on the native SCTP stack, then on
 * usrsctp, then shuts usrsctp down; returns the number of failures. */
static int run_on_both_stacks(const struct CMUnitTest *tests, size_t n)
{
    const struct CMUnitTest last[] = {cmocka_unit_test(test_library_shutdown)};
    g_sctp_impl = PEER_SCTP_NATIVE;
    int failed = _cmocka_run_group_tests("native SCTP", tests, n, group_setup, group_teardown);
    g_sctp_impl = PEER_SCTP_USRSCTP;
    failed += _cmocka_run_group_tests("usrsctp", tests, n, group_setup, group_teardown);
    return failed + cmocka_run_group_tests_name("shutdown", last, NULL, NULL);
}

#endif
