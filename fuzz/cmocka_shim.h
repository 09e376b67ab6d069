/* cmocka_shim.h: lets a fuzz target include the unit tests' in-memory
 * harnesses (tests/unit/client_peer.h, peer_world.h) without cmocka: their
 * assertions become traps, which libFuzzer reports as crashes.  Include it
 * before those headers. */
#ifndef DC_FUZZ_CMOCKA_SHIM_H
#define DC_FUZZ_CMOCKA_SHIM_H

#include <stdio.h>
#include <string.h>

#define CMOCKA_H_ /* keeps <cmocka.h> out */

#define fuzz_check_(c, what)                                                                     \
    do {                                                                                         \
        if (!(c)) {                                                                              \
            fprintf(stderr, "%s:%d: harness check failed: %s\n", __FILE__, __LINE__, what);      \
            __builtin_trap();                                                                    \
        }                                                                                        \
    } while (0)
#define assert_true(c) fuzz_check_((c), #c)
#define assert_false(c) fuzz_check_(!(c), #c)
#define assert_non_null(p) fuzz_check_((p) != NULL, #p)
#define assert_null(p) fuzz_check_((p) == NULL, #p)
#define assert_int_equal(a, b) fuzz_check_((long long)(a) == (long long)(b), #a " == " #b)
#define assert_memory_equal(a, b, n) fuzz_check_(memcmp((a), (b), (n)) == 0, #a " == " #b)
#define assert_string_not_equal(a, b) fuzz_check_(strcmp((a), (b)) != 0, #a " != " #b)
#define fail_msg(...)                                                                            \
    do {                                                                                         \
        fprintf(stderr, __VA_ARGS__);                                                            \
        fprintf(stderr, "\n");                                                                   \
        __builtin_trap();                                                                        \
    } while (0)

#endif
